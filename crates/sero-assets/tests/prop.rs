//! Property tests of asset commitments and the balance signature.

use ark_ff::{UniformRand, Zero};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_assets::{
    balance_point, Asset, AssetCommitment, BalanceSignature, Category, Currency, Ticket, TicketId,
};
use sero_crypto::Scalar;

const MSG: &[u8] = b"sighash";

fn currency(i: u8) -> Currency {
    Currency::new(["SERO", "GOLD", "SILVER"][i as usize % 3]).unwrap()
}

fn ticket(i: u8) -> Ticket {
    Ticket {
        category: Category::new("CARD").unwrap(),
        id: TicketId([i; 32]),
    }
}

/// Commits to inputs and outputs with random randomness, signs with r_bal,
/// and reports whether the signature verifies against the balance point.
fn balances(inputs: &[Asset], outputs: &[Asset], plain: &[Asset], fee: u128, seed: u64) -> bool {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut r_bal = Scalar::zero();
    let mut cin = vec![];
    for a in inputs {
        let ar = Scalar::rand(&mut rng);
        r_bal += ar;
        cin.push(AssetCommitment::commit(a, &ar).unwrap());
    }
    let mut cout = vec![];
    for a in outputs {
        let ar = Scalar::rand(&mut rng);
        r_bal -= ar;
        cout.push(AssetCommitment::commit(a, &ar).unwrap());
    }
    let sig = BalanceSignature::sign(&r_bal, MSG, &mut rng);
    let bp = balance_point(&cin, &cout, plain, fee).unwrap();
    sig.verify(&bp, MSG).is_ok()
}

fn split(total: u128, parts: &[u64]) -> Vec<u128> {
    // Splits `total` into len(parts)+1 values using parts as cut weights.
    let mut out = vec![];
    let mut left = total;
    for p in parts {
        let v = left.min(*p as u128);
        out.push(v);
        left -= v;
    }
    out.push(left);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn balances_exactly_when_values_balance(
        totals in proptest::collection::vec(0u128..(1u128 << 100), 1..3),
        cuts in proptest::collection::vec(0u64..u64::MAX, 0..3),
        fee in 0u128..1_000_000,
        delta in 1u128..1000,
        which in 0usize..3,
        seed in any::<u64>(),
    ) {
        // Inputs: for each currency one note of `total` (SERO also pays the fee).
        let mut inputs = vec![];
        let mut outputs = vec![];
        for (i, t) in totals.iter().enumerate() {
            let c = currency(i as u8);
            let extra = if c == Currency::sero() { fee } else { 0 };
            inputs.push(Asset::token(c, t + extra));
            for v in split(*t, &cuts) {
                outputs.push(Asset::token(c, v));
            }
        }
        // Balanced: a plain output takes the last output's place.
        let plain = vec![outputs.pop().unwrap()];
        prop_assert!(balances(&inputs, &outputs, &plain, fee, seed));
        // Any change of one value by `delta` breaks it.
        match which {
            0 => { let mut o = outputs.clone(); if let Some(x) = o.first_mut() { x.value += delta; } else { return Ok(()); }
                   prop_assert!(!balances(&inputs, &o, &plain, fee, seed)); }
            1 => { let mut p = plain.clone(); p[0].value += delta;
                   prop_assert!(!balances(&inputs, &outputs, &p, fee, seed)); }
            _ => { prop_assert!(!balances(&inputs, &outputs, &plain, fee + delta, seed)); }
        }
        // Moving value between currencies breaks it.
        if totals.len() > 1 && totals[1] > 0 {
            let mut o = outputs.clone();
            let k = o.iter().position(|a| a.currency == currency(1) && a.value > 0);
            if let Some(k) = k { o[k].currency = currency(0); prop_assert!(!balances(&inputs, &o, &plain, fee, seed)); }
        }
    }

    #[test]
    fn tickets_balance_only_as_the_same_multiset(
        ins in proptest::collection::vec(0u8..6, 1..5),
        perm_seed in any::<u64>(),
        change in 0usize..3,
        seed in any::<u64>(),
    ) {
        let inputs: Vec<Asset> = ins.iter().map(|i| Asset::ticket(ticket(*i))).collect();
        // A permutation of the same multiset balances.
        let mut outs = inputs.clone();
        let k = (perm_seed as usize) % outs.len();
        outs.rotate_left(k);
        prop_assert!(balances(&inputs, &outs, &[], 0, seed));
        let mut bad = outs.clone();
        match change {
            // Duplicate a ticket.
            0 => bad.push(bad[0]),
            // Destroy a ticket.
            1 => { bad.pop(); }
            // Change one ticket's id.
            _ => { let t = bad[0].ticket.unwrap(); bad[0].ticket = Some(ticket(t.id.0[0] + 10)); }
        }
        prop_assert!(!balances(&inputs, &bad, &[], 0, seed));
    }
}

#[test]
fn balance_signature_rejects_changed_message_and_bad_encoding() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let a = Asset::sero(10);
    let (r1, r2) = (Scalar::rand(&mut rng), Scalar::rand(&mut rng));
    let cin = AssetCommitment::commit(&a, &r1).unwrap();
    let cout = AssetCommitment::commit(&a, &r2).unwrap();
    let bp = balance_point(&[cin], &[cout], &[], 0).unwrap();
    let sig = BalanceSignature::sign(&(r1 - r2), MSG, &mut rng);
    sig.verify(&bp, MSG).unwrap();
    assert!(sig.verify(&bp, b"other").is_err());
    assert!(sig.verify(&bp, &[]).is_err());
    assert_eq!(BalanceSignature::from_bytes(&sig.to_bytes()).unwrap(), sig);
    assert!(BalanceSignature::from_bytes(&[0xff; 64]).is_err());
    // A signature by a wrong key (r_bal off by one).
    let sig2 = BalanceSignature::sign(&(r1 - r2 + Scalar::from(1u64)), MSG, &mut rng);
    assert!(sig2.verify(&bp, MSG).is_err());
    // Commitment decoding: canonical, subgroup-checked.
    assert_eq!(AssetCommitment::from_bytes(&cin.to_bytes()).unwrap(), cin);
    for (name, bad) in sero_crypto::curve::bad_encodings::all(&cin.0) {
        assert!(AssetCommitment::from_bytes(&bad).is_err(), "{name}");
    }
}

#[test]
fn value_and_ticket_in_one_note() {
    // A note with a token slot and a ticket balances against the same pair
    // split over two notes.
    let t = ticket(9);
    let both = Asset {
        currency: currency(1),
        value: 7,
        ticket: Some(t),
    };
    let parts = [
        Asset::token(currency(1), 7),
        Asset {
            currency: currency(0),
            value: 0,
            ticket: Some(t),
        },
    ];
    assert!(balances(&[both], &parts, &[], 0, 3));
    assert!(!balances(&[both], &parts[..1], &[], 0, 3));
    // Max value (2^128 − 1) commits fine.
    assert!(balances(
        &[Asset::sero(u128::MAX)],
        &[Asset::sero(u128::MAX)],
        &[],
        0,
        4
    ));
}
