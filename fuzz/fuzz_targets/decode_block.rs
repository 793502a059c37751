//! `Block::from_parts` on untrusted bytes. The first byte says where the
//! rest splits into header and body (a header is 121 bytes, so every split
//! point up to 255 is reachable). Decoding must never panic, and an accepted
//! block must be canonical: its header and body re-encode to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sero_ledger::block::Block;

fuzz_target!(|data: &[u8]| {
    let Some((&at, rest)) = data.split_first() else {
        return;
    };
    let (header, body) = rest.split_at((at as usize).min(rest.len()));
    if let Ok(block) = Block::from_parts(header, body) {
        assert_eq!(block.header.to_bytes(), header, "header is not canonical");
        assert_eq!(block.body_bytes(), body, "body is not canonical");
        let _ = block.hash();
    }
});
