//! `Transaction::from_bytes` on untrusted bytes: it must never panic, and
//! whatever it accepts must be canonical (re-encode to the same bytes).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sero_ledger::Transaction;

fuzz_target!(|data: &[u8]| {
    if let Ok(tx) = Transaction::from_bytes(data) {
        assert_eq!(tx.to_bytes(), data, "decoded transaction is not canonical");
        // The hashes must not panic either.
        let _ = (tx.txid(), tx.full_hash());
    }
});
