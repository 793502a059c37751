//! Fuzzing property of the keystore reader, shared by the cargo-fuzz
//! target `keystore` (`fuzz/`) and the corpus replay test
//! `tests/fuzz_corpus.rs`.
//!
//! It fuzzes the file's parsing and parameter checks, not Argon2id:
//! [`Keystore::from_json`] runs no KDF (it only checks the parameters,
//! bounded by [`MAX_M_COST`], [`MAX_T_COST`], [`MAX_P_COST`], before
//! anything else could use them), and [`keystore_file`] unlocks only a
//! keystore whose parameters are the cheapest Argon2id allows (at most
//! [`UNLOCK_M_COST`] KiB, one pass), so an input costs microseconds.

use crate::{Keystore, WalletError, MAX_M_COST, MAX_P_COST, MAX_T_COST};
use sero_keys::SecretKey;

/// The largest `m_cost` (KiB) with which [`keystore_file`] tries to unlock.
pub const UNLOCK_M_COST: u32 = 64;

/// The text of a keystore file through [`Keystore::from_json`] (what
/// [`Keystore::load`] does once it has read at most 64 KiB of UTF-8): no
/// panic, a refused file is an error with a message; an accepted keystore
///
/// * has parameters within the limits;
/// * writes JSON ([`Keystore::to_json`]) that reads back to an equal
///   keystore, and writes the same JSON again (the written form is
///   canonical);
/// * when its parameters are the cheapest, unlocks with the empty
///   passphrase to a seed that derives its payment address, or fails with
///   [`WalletError::WrongPassphrase`] or [`WalletError::PkMismatch`] only.
pub fn keystore_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ks = match Keystore::from_json(text) {
        Ok(ks) => ks,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    let p = ks.params();
    assert!(p.m_cost <= MAX_M_COST && p.t_cost <= MAX_T_COST && p.p_cost <= MAX_P_COST);
    let json = ks.to_json();
    let again = Keystore::from_json(&json).expect("a written keystore reads back");
    assert_eq!(again, ks, "the keystore does not round-trip");
    assert_eq!(again.to_json(), json, "the written form is not canonical");
    if p.m_cost <= UNLOCK_M_COST && p.t_cost == 1 {
        match ks.unlock("") {
            Ok(seed) => assert_eq!(
                SecretKey::from_seed(&seed).payment_address(),
                ks.payment_address()
            ),
            Err(WalletError::WrongPassphrase | WalletError::PkMismatch) => {}
            Err(e) => panic!("unlock: unexpected error {e}"),
        }
    }
}
