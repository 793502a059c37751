//! One JSON-RPC request through the server's method table over a
//! development chain: the first byte picks the method (or a raw body), the
//! rest is its parameters. Property and harness: `sero_rpc::fuzz` (also run
//! over the committed corpus by `crates/sero-rpc/tests/fuzz_corpus.rs`).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use sero_rpc::fuzz::{rpc_request, Harness};

fuzz_target!(
    init: {
        Harness::shared();
    },
    |data: &[u8]| rpc_request(Harness::shared(), data)
);
