//! Realistic sample statements with fixed values, for benchmarks (`sero
//! bench zk`, `tools/zk-compare`) and examples. Not used by the protocol.

use crate::circuits::input::InputCircuit;
use crate::circuits::output::OutputCircuit;
use crate::note::Note;
use sero_assets::{Asset, Currency};
use sero_crypto::{Base, Scalar};
use sero_keys::{SecretKey, Seed};
use sero_tree::WitnessTree;

/// The `i`-th output statement: 1,000 + i GOLD to a fresh PKr.
pub fn output_statement(i: u64) -> OutputCircuit {
    let sk = SecretKey::from_seed(&Seed::from_bytes([1; 32]));
    let pkr = sk
        .payment_address()
        .derive_pkr_with(&Scalar::from(1000 + i));
    OutputCircuit::for_note(
        Asset::token(Currency::new("GOLD").expect("valid"), 1000 + i as u128),
        &pkr,
        Scalar::from(77 + i),
        Base::from(i),
        Base::from(i + 1),
    )
    .expect("valid statement")
}

/// The `i`-th input statement: a note at position 40 of a tree of 64 notes.
pub fn input_statement(i: u64) -> InputCircuit {
    let sk = SecretKey::from_seed(&Seed::from_bytes([2; 32]));
    let note = Note {
        asset: Asset::sero(5_000 + i as u128),
        pkr: sk.payment_address().derive_pkr_with(&Scalar::from(3 + i)),
        memo_hash: Base::from(i),
        rsk: Base::from(9 + i),
    };
    let leaves: Vec<Base> = (0..64u64)
        .map(|k| {
            if k == 40 {
                sero_tree::cm_auth(k, note.cm_out().expect("note"))
            } else {
                Base::from(k + 100)
            }
        })
        .collect();
    let tree = WitnessTree::from_leaves(leaves).expect("room");
    let path = tree.path(40).expect("appended");
    InputCircuit::for_note(note, path, sk.zsk(), sk.vsk(), Scalar::from(55 + i)).expect("valid")
}
