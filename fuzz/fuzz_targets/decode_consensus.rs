//! The consensus messages gossiped by peers (`sero_consensus::ba`): votes,
//! proposals and certificates from untrusted bytes. Decoding must never
//! panic, and an accepted message must be canonical: it re-encodes to the
//! same bytes. Property: `sero_consensus::fuzz::decode_consensus` (also run
//! over the committed corpus by `crates/sero-consensus/tests/fuzz_corpus.rs`).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sero_consensus::fuzz::decode_consensus(data));
