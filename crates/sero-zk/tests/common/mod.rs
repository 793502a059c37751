//! Fixtures shared by the circuit tests.
#![allow(dead_code)]

use sero_assets::{Asset, Category, Currency, Ticket, TicketId};
use sero_crypto::{Base, Scalar};
use sero_keys::{OneTimeAddress, SecretKey, Seed};
use sero_tree::WitnessTree;
use sero_zk::note::Note;
use sero_zk::{InputCircuit, OutputCircuit};

pub fn account(b: u8) -> SecretKey {
    SecretKey::from_seed(&Seed::from_bytes([b; 32]))
}

pub fn pkr_of(sk: &SecretKey, r: u64) -> OneTimeAddress {
    sk.payment_address().derive_pkr_with(&Scalar::from(r))
}

pub fn gold(v: u128) -> Asset {
    Asset::token(Currency::new("GOLD").unwrap(), v)
}

pub fn ticket(id: u8) -> Ticket {
    Ticket {
        category: Category::new("CARD").unwrap(),
        id: TicketId([id; 32]),
    }
}

pub fn output_for(asset: Asset) -> OutputCircuit {
    let pkr = pkr_of(&account(1), 5);
    OutputCircuit::for_note(
        asset,
        &pkr,
        Scalar::from(99u64),
        Base::from(7u64),
        Base::from(8u64),
    )
    .unwrap()
}

/// A tree with a few notes; returns it and the note of `sk` at position 2.
pub fn tree_with_note(sk: &SecretKey, asset: Asset) -> (WitnessTree, Note, u64) {
    let mut tree = WitnessTree::new();
    for i in 0..2u64 {
        tree.append(Base::from(1000 + i)).unwrap();
    }
    let note = Note {
        asset,
        pkr: pkr_of(sk, 17),
        memo_hash: Base::from(3u64),
        rsk: Base::from(4u64),
    };
    let pos = tree.len();
    tree.append(sero_tree::cm_auth(pos, note.cm_out().unwrap()))
        .unwrap();
    for i in 0..3u64 {
        tree.append(Base::from(2000 + i)).unwrap();
    }
    (tree, note, pos)
}

pub fn input_for(sk: &SecretKey, asset: Asset) -> (InputCircuit, WitnessTree) {
    let (tree, note, pos) = tree_with_note(sk, asset);
    let c = InputCircuit::for_note(
        note,
        tree.path(pos).unwrap(),
        sk.zsk(),
        sk.vsk(),
        Scalar::from(55u64),
    )
    .unwrap();
    (c, tree)
}
