//! The input circuit: the honest spend holds, and each way to cheat leaves
//! the circuit unsatisfied — and fails natively where there is a native
//! counterpart.

mod common;

use ark_ec::CurveGroup;
use ark_ff::{BigInteger, PrimeField};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use common::*;
use sero_assets::generators::randomness_generator;
use sero_assets::{Asset, AssetCommitment};
use sero_crypto::{Base, Scalar};
use sero_keys::SecretKey;
use sero_tree::cm_auth;
use sero_zk::note::{nullifier, trace_tag};
use sero_zk::InputCircuit;

/// Expected constraint count; a change must be deliberate.
const INPUT_CONSTRAINTS: usize = 16047;

fn satisfied(c: InputCircuit) -> bool {
    let cs = ConstraintSystem::<Base>::new_ref();
    c.generate_constraints(cs.clone()).unwrap();
    cs.is_satisfied().unwrap()
}

fn honest() -> (InputCircuit, SecretKey) {
    let sk = account(7);
    let (c, _) = input_for(&sk, gold(1234));
    (c, sk)
}

#[test]
fn honest_spends_satisfy() {
    let sk = account(7);
    for asset in [Asset::sero(1), gold(u128::MAX), Asset::ticket(ticket(3))] {
        assert!(satisfied(input_for(&sk, asset).0), "{asset:?}");
    }
}

#[test]
fn constraint_count_is_pinned() {
    let cs = ConstraintSystem::<Base>::new_ref();
    honest().0.generate_constraints(cs.clone()).unwrap();
    let n = cs.num_constraints();
    println!("input circuit: {n} constraints");
    assert_eq!(n, INPUT_CONSTRAINTS, "input circuit size changed");
}

#[test]
fn wrong_anchor_fails() {
    let (mut c, _) = honest();
    let leaf = cm_auth(c.private.path.position, c.private.note.cm_out().unwrap());
    let wrong = c.public.anchor + Base::from(1u64);
    assert!(!c.private.path.verify(leaf, wrong));
    c.public.anchor = wrong;
    assert!(!satisfied(c));
}

#[test]
fn old_or_other_tree_anchor_fails() {
    // The anchor of a tree that does not contain the note.
    let (mut c, _) = honest();
    let mut other = sero_tree::WitnessTree::new();
    other.append(Base::from(1u64)).unwrap();
    c.public.anchor = other.root();
    assert!(!satisfied(c));
}

#[test]
fn tampered_path_fails() {
    for level in [0usize, 7, 31] {
        let (mut c, _) = honest();
        let leaf = cm_auth(c.private.path.position, c.private.note.cm_out().unwrap());
        c.private.path.siblings[level] += Base::from(1u64);
        assert!(!c.private.path.verify(leaf, c.public.anchor));
        assert!(!satisfied(c), "sibling {level}");
    }
}

#[test]
fn wrong_position_fails() {
    // Claiming the note sits elsewhere changes CMauth and the path order.
    let (mut c, _) = honest();
    c.private.path.position ^= 1;
    assert!(!satisfied(c));
}

#[test]
fn note_not_in_tree_fails() {
    // A note with another value but the honest note's path.
    let (mut c, _) = honest();
    c.private.note.asset = gold(999_999);
    c.private.cc = c.private.note.cc().unwrap();
    assert!(!satisfied(c));
    // A different rsk, memo or PKr.
    let (mut c, _) = honest();
    c.private.note.rsk += Base::from(1u64);
    assert!(!satisfied(c));
    let (mut c, _) = honest();
    c.private.note.memo_hash += Base::from(1u64);
    assert!(!satisfied(c));
}

#[test]
fn nil_not_derived_from_the_note_fails() {
    let (mut c, sk) = honest();
    // Nil of another note (another CMauth), and a random Nil.
    let other = nullifier(&sk.zsk(), Base::from(42u64));
    c.public.nil = other;
    assert!(!satisfied(c.clone()));
    c.public.nil = Base::from(5u64);
    assert!(!satisfied(c));
}

#[test]
fn til_not_derived_from_the_note_fails() {
    let (mut c, sk) = honest();
    c.public.til = trace_tag(&sk.vsk(), Base::from(42u64));
    assert!(!satisfied(c));
}

#[test]
fn wrong_zsk_or_vsk_fails() {
    // Another account's keys against this account's note.
    let (c, _) = honest();
    let thief = account(8);
    assert!(!thief.trace_key().is_mine(&c.private.note.pkr));
    let mut t = InputCircuit::for_note(
        c.private.note,
        c.private.path,
        thief.zsk(),
        c.private.vsk,
        Scalar::from(55u64),
    )
    .unwrap();
    assert!(!satisfied(t.clone()));
    t = InputCircuit::for_note(
        c.private.note,
        c.private.path,
        c.private.zsk,
        thief.vsk(),
        Scalar::from(55u64),
    )
    .unwrap();
    assert!(!satisfied(t));
    // The watch-only holder knows vsk and ZPK but not zsk: no spend.
    let t = InputCircuit::for_note(
        c.private.note,
        c.private.path,
        Scalar::from(1u64),
        c.private.vsk,
        Scalar::from(55u64),
    )
    .unwrap();
    assert!(!satisfied(t));
}

#[test]
fn non_canonical_zsk_second_nullifier_fails() {
    // zsk + ℓ opens the same ZPKr but would give a second Nil for the note.
    let zsk = Scalar::from(123_456_789u64);
    let sk = SecretKey::from_bytes(
        &[
            sero_crypto::curve::encode_scalar(&zsk),
            sero_crypto::curve::encode_scalar(&Scalar::from(987u64)),
        ]
        .concat(),
    )
    .unwrap();
    let (mut c, _) = input_for(&sk, gold(10));
    assert!(satisfied(c.clone()));
    let mut alias = Scalar::MODULUS;
    alias.add_with_carry(&zsk.into_bigint());
    let alias_bits: Vec<bool> = alias.to_bits_le().into_iter().take(251).collect();
    assert!(
        alias.to_bits_le()[251..].iter().all(|b| !b),
        "fits 251 bits"
    );
    let alias_fe = Base::from_bigint(alias).unwrap();
    let leaf = cm_auth(c.private.path.position, c.private.note.cm_out().unwrap());
    let second_nil =
        sero_crypto::poseidon::hash_tagged(sero_crypto::poseidon::tags::NIL, &[alias_fe, leaf]);
    assert_ne!(second_nil, c.public.nil);
    // Natively the alias is refused by the canonical scalar decoder.
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(&alias.to_bytes_le());
    assert!(sero_crypto::curve::decode_scalar(&bytes).is_err());
    c.zsk_bits = alias_bits;
    c.public.nil = second_nil;
    assert!(!satisfied(c));
}

#[test]
fn non_canonical_vsk_second_trace_tag_fails() {
    let vsk = Scalar::from(4242u64);
    let sk = SecretKey::from_bytes(
        &[
            sero_crypto::curve::encode_scalar(&Scalar::from(77u64)),
            sero_crypto::curve::encode_scalar(&vsk),
        ]
        .concat(),
    )
    .unwrap();
    let (mut c, _) = input_for(&sk, gold(10));
    let mut alias = Scalar::MODULUS;
    alias.add_with_carry(&vsk.into_bigint());
    c.vsk_bits = alias.to_bits_le().into_iter().take(251).collect();
    let leaf = cm_auth(c.private.path.position, c.private.note.cm_out().unwrap());
    c.public.til = sero_crypto::poseidon::hash_tagged(
        sero_crypto::poseidon::tags::TIL,
        &[Base::from_bigint(alias).unwrap(), leaf],
    );
    assert!(!satisfied(c));
}

#[test]
fn cm_asset_opening_to_another_value_or_asset_fails() {
    let (mut c, _) = honest();
    c.public.cm_asset = AssetCommitment::commit(&gold(1235), &c.private.ar)
        .unwrap()
        .0;
    assert!(!satisfied(c));
    let (mut c, _) = honest();
    c.public.cm_asset = AssetCommitment::commit(&Asset::sero(1234), &c.private.ar)
        .unwrap()
        .0;
    assert!(!satisfied(c));
    // The right asset part with a claimed CC of another value: CMout breaks.
    let (mut c, _) = honest();
    let cc = sero_assets::asset_part(&gold(2000)).unwrap().into_affine();
    c.private.cc = cc;
    c.public.cm_asset = (cc + randomness_generator() * c.private.ar).into_affine();
    assert!(!satisfied(c));
}

#[test]
fn ticket_swapped_at_spend_fails() {
    let sk = account(7);
    let (mut c, _) = input_for(&sk, Asset::ticket(ticket(1)));
    c.public.cm_asset = AssetCommitment::commit(&Asset::ticket(ticket(2)), &c.private.ar)
        .unwrap()
        .0;
    assert!(!satisfied(c));
}
