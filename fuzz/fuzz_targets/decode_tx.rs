//! `Transaction::from_bytes` on untrusted bytes: it must never panic, and
//! whatever it accepts must be canonical (re-encode to the same bytes).
//! Property: `sero_ledger::fuzz::decode_tx` (also run over the committed
//! corpus by `crates/sero-ledger/tests/fuzz_corpus.rs`).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sero_ledger::fuzz::decode_tx(data));
