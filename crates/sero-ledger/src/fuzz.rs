//! Fuzzing properties of the decoders, shared by the cargo-fuzz targets
//! `decode_tx` and `decode_block` (`fuzz/`) and the corpus replay test
//! `tests/fuzz_corpus.rs` (which runs every committed corpus file through
//! the same functions on stable). Each takes arbitrary bytes and panics if
//! a property fails:
//!
//! * decoding never panics (a refused input is an `Err`);
//! * an accepted input is canonical: it re-encodes to exactly the input;
//! * the hashes of an accepted value do not panic.

use crate::block::Block;
use crate::Transaction;

/// `Transaction::from_bytes(data)`: no panic; an accepted transaction
/// re-encodes (`to_bytes`) to exactly `data`; `txid` and `full_hash` run.
pub fn decode_tx(data: &[u8]) {
    if let Ok(tx) = Transaction::from_bytes(data) {
        assert_eq!(tx.to_bytes(), data, "decoded transaction is not canonical");
        let _ = (tx.txid(), tx.full_hash());
    }
}

/// `Block::from_parts(header, body)` where the first byte of `data` says
/// where the rest splits into header and body (a header is 121 bytes, so
/// every split point up to 255 is reachable): no panic; an accepted block's
/// `header.to_bytes()` and `body_bytes()` give back the two parts exactly;
/// its hash runs.
pub fn decode_block(data: &[u8]) {
    let Some((&at, rest)) = data.split_first() else {
        return;
    };
    let (header, body) = rest.split_at((at as usize).min(rest.len()));
    if let Ok(block) = Block::from_parts(header, body) {
        assert_eq!(block.header.to_bytes(), header, "header is not canonical");
        assert_eq!(block.body_bytes(), body, "body is not canonical");
        let _ = block.hash();
    }
}
