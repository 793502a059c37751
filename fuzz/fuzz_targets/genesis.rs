//! The text of a `genesis.json` through `Genesis::parse` (the file reader's
//! JSON parsing and every check): no panic, refused files are errors, an
//! accepted genesis round-trips through JSON to the same canonical
//! encoding. Property: `sero_node::fuzz::genesis_file` (also run over the
//! committed corpus by `crates/sero-node/tests/fuzz_corpus.rs`).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sero_node::fuzz::genesis_file(data));
