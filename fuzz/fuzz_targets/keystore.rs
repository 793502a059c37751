//! The text of a keystore file through `Keystore::from_json` (parsing and
//! parameter checks; no KDF but the cheapest, see the property's docs): no
//! panic, refused files are errors, an accepted keystore round-trips.
//! Property: `sero_wallet::fuzz::keystore_file` (also run over the
//! committed corpus by `crates/sero-wallet/tests/fuzz_corpus.rs`).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sero_wallet::fuzz::keystore_file(data));
