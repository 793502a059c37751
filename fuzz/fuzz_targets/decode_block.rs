//! `Block::from_parts` on untrusted bytes. The first byte says where the
//! rest splits into header and body (a header is 121 bytes, so every split
//! point up to 255 is reachable). Decoding must never panic, and an accepted
//! block must be canonical: its header and body re-encode to the same bytes.
//! Property: `sero_ledger::fuzz::decode_block` (also run over the committed
//! corpus by `crates/sero-ledger/tests/fuzz_corpus.rs`).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sero_ledger::fuzz::decode_block(data));
