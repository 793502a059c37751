//! The output circuit: the honest statement holds, and each way to cheat
//! leaves the circuit unsatisfied (and, where it has one, fails natively).

mod common;

use ark_ec::CurveGroup;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use common::*;
use sero_assets::generators::{randomness_generator, token_generator};
use sero_assets::{Asset, AssetCommitment, Currency};
use sero_crypto::{Base, Scalar};
use sero_zk::gadgets::h2c::H2cHint;
use sero_zk::note::{note_commitment, pkr_hash};
use sero_zk::OutputCircuit;

/// Expected constraint count; a change must be deliberate.
const OUTPUT_CONSTRAINTS: usize = 4779;

fn satisfied(c: OutputCircuit) -> bool {
    let cs = ConstraintSystem::<Base>::new_ref();
    c.generate_constraints(cs.clone()).unwrap();
    cs.is_satisfied().unwrap()
}

fn count(c: OutputCircuit) -> usize {
    let cs = ConstraintSystem::<Base>::new_ref();
    c.generate_constraints(cs.clone()).unwrap();
    cs.num_constraints()
}

#[test]
fn honest_outputs_satisfy() {
    for asset in [
        Asset::sero(0),
        Asset::sero(1),
        gold(u128::MAX),
        Asset::ticket(ticket(1)),
        Asset {
            ticket: Some(ticket(2)),
            ..gold(42)
        },
    ] {
        assert!(satisfied(output_for(asset)), "{asset:?}");
    }
}

#[test]
fn constraint_count_is_pinned() {
    let n = count(output_for(gold(5)));
    println!("output circuit: {n} constraints");
    assert_eq!(n, OUTPUT_CONSTRAINTS, "output circuit size changed");
}

#[test]
fn commitment_to_another_value_fails() {
    let mut c = output_for(gold(5));
    c.public.cm_asset = AssetCommitment::commit(&gold(6), &c.private.ar).unwrap().0;
    assert!(!satisfied(c));
}

#[test]
fn commitment_to_another_currency_fails() {
    let mut c = output_for(gold(5));
    let silver = Asset::token(Currency::new("SILVER").unwrap(), 5);
    c.public.cm_asset = AssetCommitment::commit(&silver, &c.private.ar).unwrap().0;
    assert!(!satisfied(c));
    // Or: the commitment is GOLD's but the witness claims SILVER.
    let mut c = output_for(gold(5));
    c.private.asset = silver;
    assert!(!satisfied(c));
}

#[test]
fn note_commitment_to_another_asset_fails() {
    // CM_asset for 5 GOLD, CMout for 500 GOLD.
    let mut c = output_for(gold(5));
    let cc = sero_assets::asset_part(&gold(500)).unwrap().into_affine();
    c.public.cm_out = note_commitment(&cc, c.public.pkr_hash, c.private.memo_hash, c.private.rsk);
    assert!(!satisfied(c));
}

#[test]
fn note_commitment_to_another_pkr_memo_or_rsk_fails() {
    let base = output_for(gold(5));
    let other_pkr = pkr_hash(&pkr_of(&account(2), 9));
    let mut c = base.clone();
    c.public.pkr_hash = other_pkr;
    assert!(!satisfied(c));
    let mut c = base.clone();
    c.private.memo_hash += Base::from(1u64);
    assert!(!satisfied(c));
    let mut c = base;
    c.private.rsk += Base::from(1u64);
    assert!(!satisfied(c));
}

#[test]
fn value_of_2_pow_128_or_more_cannot_be_expressed() {
    // A commitment to 2^128 + 5 GOLD: the circuit's 128 value bits can only
    // reach the value mod 2^128 (here 5), which commits to something else.
    let g = token_generator(&Currency::new("GOLD").unwrap()).unwrap();
    let big = Scalar::from(u128::MAX) + Scalar::from(6u64); // 2^128 + 5
    let ar = Scalar::from(99u64);
    let cm = (g * big + randomness_generator() * ar).into_affine();
    let mut c = output_for(gold(5));
    c.public.cm_asset = cm;
    assert!(!satisfied(c));
}

#[test]
fn negated_generator_mint_fails() {
    // The (v, G) + (v, −G) mint: commit with −G_cy. Natively the balance of
    // (v, G) and (v, −G) is zero, which is exactly why the circuit must refuse.
    let g = token_generator(&Currency::new("GOLD").unwrap()).unwrap();
    let ar = Scalar::from(99u64);
    let neg = ((-g) * Scalar::from(5u64) + randomness_generator() * ar).into_affine();
    let pos = AssetCommitment::commit(&gold(5), &ar).unwrap().0;
    assert_eq!(
        (pos + neg).into_affine(),
        (randomness_generator() * (ar + ar)).into_affine()
    );
    let mut c = output_for(gold(5));
    c.public.cm_asset = neg;
    let cc_neg = ((-g) * Scalar::from(5u64)).into_affine();
    c.public.cm_out = note_commitment(
        &cc_neg,
        c.public.pkr_hash,
        c.private.memo_hash,
        c.private.rsk,
    );
    // Honest hints cannot produce −G ...
    assert!(!satisfied(c.clone()));
    // ... and neither can the other square root, which would give −G.
    c.token_hint = |t| {
        let h = H2cHint::honest(t)?;
        Ok(H2cHint { v: -h.v, ..h })
    };
    assert!(!satisfied(c));
}

#[test]
fn wrong_generator_branch_fails() {
    let mut c = output_for(gold(5));
    c.token_hint = |t| {
        let h = H2cHint::honest(t)?;
        Ok(H2cHint {
            second_branch: !h.second_branch,
            ..h
        })
    };
    assert!(!satisfied(c));
}

#[test]
fn ticket_changed_added_or_dropped_fails() {
    let with = Asset {
        ticket: Some(ticket(1)),
        ..gold(5)
    };
    // The commitment is to ticket 1, the witness claims ticket 2.
    let mut c = output_for(with);
    c.private.asset.ticket = Some(ticket(2));
    assert!(!satisfied(c));
    // The commitment has a ticket, the witness drops it.
    let mut c = output_for(with);
    c.private.asset.ticket = None;
    assert!(!satisfied(c));
    // The commitment has no ticket, the witness adds one.
    let mut c = output_for(gold(5));
    c.private.asset.ticket = Some(ticket(1));
    assert!(!satisfied(c));
    // A ticket generator hint with the other root (a −G_tk ticket).
    let mut c = output_for(with);
    c.ticket_hint = |t| {
        let h = H2cHint::honest(t)?;
        Ok(H2cHint { v: -h.v, ..h })
    };
    assert!(!satisfied(c));
}
