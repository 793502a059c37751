//! Property tests: the sortition arithmetic against exact rational
//! arithmetic (num-bigint), its documented error bound, distribution sanity,
//! and credential verification.

use num_bigint::BigUint;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sero_consensus::{
    binomial_terms, cdf, proposer_priority, round_seed, select, sortition, verify_selection,
    ConsensusError, SortitionParams, Step, VrfPublicKey, VrfSecretKey, FIXED_ONE, MAX_TAU,
};

/// The documented bound `(w + j + 1)·2^−122`, in units of 2^−127.
fn bound(w: u64, j: u64) -> u128 {
    32 * (u128::from(w) + u128::from(j) + 1)
}

/// Exact binomial CDF numerators `Σ_{k ≤ j} C(w,k) τ^k (W−τ)^(w−k)` for
/// `j = 0..=upto`, and the common denominator `W^w`.
fn exact_cdf(w: u64, total: u64, tau: u64, upto: u64) -> (Vec<BigUint>, BigUint) {
    let den = BigUint::from(total).pow(w as u32);
    let mut term = BigUint::from(total - tau).pow(w as u32);
    let mut sum = BigUint::from(0u32);
    let mut out = Vec::new();
    for k in 0..=upto.min(w) {
        sum += &term;
        out.push(sum.clone());
        if k < w {
            // N_{k+1} = N_k (w−k) τ / ((k+1)(W−τ)), an exact division.
            term = term * BigUint::from(w - k) * BigUint::from(tau)
                / (BigUint::from(k + 1) * BigUint::from(total - tau));
        }
    }
    (out, den)
}

/// Checks `0 ≤ CDF(j)·2^127 − S(j) ≤ bound(w, j)` for `j = 0..=upto`.
fn check_against_exact(w: u64, total: u64, tau: u64, upto: u64) {
    let (num, den) = exact_cdf(w, total, tau, upto);
    let one = BigUint::from(1u32) << 127;
    let mut s = 0u128;
    for (j, (term, n)) in binomial_terms(w, total, tau)
        .unwrap()
        .zip(num.iter())
        .enumerate()
    {
        s += term;
        let exact = n * &one; // CDF(j)·2^127·D
        let computed = BigUint::from(s) * &den;
        assert!(
            computed <= exact,
            "S({j}) above the exact CDF (w={w} W={total} τ={tau})"
        );
        let gap = exact - computed;
        assert!(
            gap <= BigUint::from(bound(w, j as u64)) * &den,
            "S({j}) below the exact CDF by more than the bound (w={w} W={total} τ={tau})"
        );
    }
}

/// The exact-arithmetic answer: the smallest `j` with `x/2^64 < CDF(j)`.
fn exact_j(x: u64, w: u64, total: u64, tau: u64) -> u64 {
    let (num, den) = exact_cdf(w, total, tau, w);
    let lhs = BigUint::from(x) * &den;
    for (j, n) in num.iter().enumerate() {
        if lhs < (n << 64u32) {
            return j as u64;
        }
    }
    w
}

/// `(w, W, τ)` with `1 ≤ w ≤ W`, `1 ≤ τ < W`: the binomial branch.
fn small_params() -> impl Strategy<Value = (u64, u64, u64)> {
    (1u64..120, 0u64..400).prop_flat_map(|(w, extra)| {
        let total = (w + extra).max(2);
        (Just(w), Just(total), 1..total)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn cdf_is_within_the_bound_of_the_exact_cdf((w, total, tau) in small_params()) {
        check_against_exact(w, total, tau, w);
    }

    #[test]
    fn cdf_is_monotone_and_ends_at_one((w, total, tau) in small_params()) {
        let mut prev = 0u128;
        let mut count = 0u64;
        for term in binomial_terms(w, total, tau).unwrap() {
            let s = prev + term;
            prop_assert!(s >= prev);
            prev = s;
            count += 1;
        }
        prop_assert_eq!(count, w + 1);
        prop_assert!(prev <= FIXED_ONE);
        prop_assert!(FIXED_ONE - prev <= bound(w, w));
        prop_assert_eq!(cdf(w, total, tau, w), Ok(prev));
        prop_assert_eq!(cdf(w, total, tau, u64::MAX), Ok(prev));
    }

    #[test]
    fn sortition_agrees_with_exact_arithmetic((w, total, tau) in small_params(), x: u64) {
        let j = sortition(x, w, total, tau).unwrap();
        let jx = exact_j(x, w, total, tau);
        prop_assert!(j >= jx);
        if j != jx {
            // Only inside the documented gap below CDF(jx).
            let (num, den) = exact_cdf(w, total, tau, jx);
            let gap = (&num[jx as usize] << 64u32) - BigUint::from(x) * &den;
            prop_assert!(gap * (BigUint::from(1u32) << 63u32) <= BigUint::from(bound(w, jx)) * den);
        }
    }

    #[test]
    fn j_is_at_most_w_and_monotone_in_x(
        w in 0u64..=u64::MAX,
        extra in 0u64..=u64::MAX,
        tau in 0u64..=MAX_TAU,
        x1: u64,
        x2: u64,
    ) {
        let total = w.saturating_add(extra);
        let (lo, hi) = (x1.min(x2), x1.max(x2));
        let a = sortition(lo, w, total, tau).unwrap();
        let b = sortition(hi, w, total, tau).unwrap();
        prop_assert!(a <= b && b <= w);
        // Determinism across calls.
        prop_assert_eq!(sortition(lo, w, total, tau).unwrap(), a);
    }

    #[test]
    fn invalid_parameters_are_errors(w in 1u64..=u64::MAX, tau in (MAX_TAU + 1)..u64::MAX) {
        prop_assert_eq!(
            sortition(0, w, w - 1, 10),
            Err(ConsensusError::StakeExceedsTotal { stake: w, total: w - 1 })
        );
        let total = tau.saturating_add(1).max(w);
        prop_assert_eq!(
            sortition(0, w, total, tau),
            if tau >= total { Ok(w) } else { Err(ConsensusError::TauTooLarge { tau, max: MAX_TAU }) }
        );
    }
}

#[test]
fn large_stake_against_exact_arithmetic() {
    // (1−p)^w with w in the thousands: exercises the squaring chain.
    check_against_exact(3000, 100_000, 1000, 200);
    check_against_exact(20_000, 200_000, 200, 120);
    check_against_exact(4096, 4096, 64, 200);
}

#[test]
fn terms_sum_to_one_for_a_million_sub_users() {
    let (w, total, tau) = (1_000_000u64, 10_000_000u64, 1000u64);
    let sum: u128 = binomial_terms(w, total, tau).unwrap().sum();
    assert!(sum <= FIXED_ONE);
    assert!(
        FIXED_ONE - sum <= bound(w, w),
        "1 − Σ = {}",
        FIXED_ONE - sum
    );
}

#[test]
fn mean_of_j_for_w_100_p_tenth() {
    let mut rng = ChaCha20Rng::seed_from_u64(2017);
    let n = 2000u64;
    let (mut sum, mut sq) = (0u64, 0u64);
    for _ in 0..n {
        let j = sortition(rng.gen(), 100, 1000, 100).unwrap();
        assert!(j <= 100);
        sum += j;
        sq += j * j;
    }
    // Mean 10 (± 1 is ~15 standard errors), variance w·p·(1−p) = 9.
    assert!((9 * n..=11 * n).contains(&sum), "mean {}/{n}", sum);
    let var_n2 = sq * n - sum * sum; // n²·variance
    assert!(
        (6 * n * n..=12 * n * n).contains(&var_n2),
        "variance {var_n2}/{}",
        n * n
    );
}

#[test]
fn committee_size_concentrates_on_tau() {
    // 50 validators with unequal stakes; the total number of selected
    // sub-users over many seeds averages τ.
    let stakes: Vec<u64> = (1..=50u64).map(|i| i * i * 1000).collect();
    let total: u64 = stakes.iter().sum();
    let tau = 200u64;
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let rounds = 200u64;
    let mut selected = 0u64;
    for _ in 0..rounds {
        for &w in &stakes {
            selected += sortition(rng.gen(), w, total, tau).unwrap();
        }
    }
    // Mean τ, standard error ≈ √(τ/rounds) = 1.
    assert!(
        (195 * rounds..=205 * rounds).contains(&selected),
        "mean committee {}/{rounds}",
        selected
    );
}

fn key(i: u8) -> VrfSecretKey {
    VrfSecretKey::from_seed(&[i; 32])
}

/// τ ≥ W: always selected, so every failure below is the proof's.
const ALWAYS: SortitionParams = SortitionParams {
    stake: 7,
    total: 10,
    tau: 10,
};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn verification_binds_round_step_seed_and_key(
        seed: [u8; 32],
        round in 0u64..1_000_000,
        k in 0u32..100,
        flip in 0usize..80,
        bit in 0u8..8,
    ) {
        let sk = key(1);
        let pk = sk.public_key();
        let step = Step::Committee(k);
        let cred = select(&sk, &seed, round, step, &ALWAYS).unwrap().unwrap();
        prop_assert_eq!(cred.j, 7);
        prop_assert_eq!(verify_selection(&pk, &seed, round, step, &ALWAYS, &cred.proof), Ok(cred));
        // Determinism.
        prop_assert_eq!(select(&sk, &seed, round, step, &ALWAYS).unwrap(), Some(cred));

        let invalid = Err(ConsensusError::InvalidProof);
        prop_assert_eq!(verify_selection(&pk, &seed, round + 1, step, &ALWAYS, &cred.proof), invalid.clone());
        prop_assert_eq!(verify_selection(&pk, &seed, round, Step::Committee(k + 1), &ALWAYS, &cred.proof), invalid.clone());
        prop_assert_eq!(verify_selection(&pk, &seed, round, Step::Final, &ALWAYS, &cred.proof), invalid.clone());
        prop_assert_eq!(verify_selection(&pk, &seed, round, Step::Proposer, &ALWAYS, &cred.proof), invalid.clone());
        let mut other_seed = seed;
        other_seed[0] ^= 1;
        prop_assert_eq!(verify_selection(&pk, &other_seed, round, step, &ALWAYS, &cred.proof), invalid.clone());
        prop_assert_eq!(verify_selection(&key(2).public_key(), &seed, round, step, &ALWAYS, &cred.proof), invalid);

        let mut bad = cred.proof;
        bad[flip] ^= 1 << bit;
        let r = verify_selection(&pk, &seed, round, step, &ALWAYS, &bad);
        prop_assert!(
            matches!(r, Err(ConsensusError::InvalidProof | ConsensusError::MalformedProof)),
            "flipped proof accepted: {:?}", r
        );
    }

    #[test]
    fn selection_recomputes_j_from_the_stake(seed: [u8; 32], round: u64) {
        // The verifier recomputes j from its own view of the stake, so a
        // credential cannot claim more votes than the stake gives.
        let sk = key(3);
        let pk = sk.public_key();
        let params = SortitionParams { stake: 400, total: 1000, tau: 100 };
        match select(&sk, &seed, round, Step::Final, &params).unwrap() {
            Some(cred) => {
                prop_assert!(cred.j >= 1 && cred.j <= 400);
                let v = verify_selection(&pk, &seed, round, Step::Final, &params, &cred.proof);
                prop_assert_eq!(v, Ok(cred));
                let smaller = SortitionParams { stake: 0, ..params };
                prop_assert_eq!(
                    verify_selection(&pk, &seed, round, Step::Final, &smaller, &cred.proof),
                    Err(ConsensusError::NotSelected)
                );
                prop_assert_eq!(cred.priority(), proposer_priority(&cred.output, cred.j));
            }
            None => {
                // Not selected: a proof for it verifies but gives j = 0.
                let (_, proof) = sero_consensus::prove(
                    &sk,
                    &sero_consensus::sortition_alpha(&seed, round, Step::Final),
                );
                prop_assert_eq!(
                    verify_selection(&pk, &seed, round, Step::Final, &params, &proof),
                    Err(ConsensusError::NotSelected)
                );
            }
        }
    }

    #[test]
    fn public_key_decoding_is_canonical(bytes: [u8; 32]) {
        match VrfPublicKey::from_bytes(&bytes) {
            Ok(pk) => prop_assert_eq!(pk.to_bytes(), bytes),
            Err(e) => prop_assert_eq!(e, ConsensusError::InvalidPublicKey),
        }
        // A valid key with bit 255 set, or with an odd first byte
        // (a negative field element), is rejected.
        let valid = key(bytes[0]).public_key().to_bytes();
        let mut high = valid;
        high[31] |= 0x80;
        prop_assert_eq!(VrfPublicKey::from_bytes(&high), Err(ConsensusError::InvalidPublicKey));
        let mut odd = valid;
        odd[0] |= 1;
        prop_assert_eq!(VrfPublicKey::from_bytes(&odd), Err(ConsensusError::InvalidPublicKey));
    }

    #[test]
    fn seeds_are_deterministic_and_distinct(prev: [u8; 32], out: [u8; 32], round: u64) {
        let mut beta = [0u8; 64];
        beta[..32].copy_from_slice(&out);
        let a = round_seed(&prev, Some(&beta), round);
        prop_assert_eq!(a, round_seed(&prev, Some(&beta), round));
        prop_assert_ne!(a, round_seed(&prev, None, round));
        prop_assert_ne!(a, round_seed(&prev, Some(&beta), round.wrapping_add(1)));
    }

    #[test]
    fn priority_is_the_minimum_and_decreases_with_j(out: [u8; 32], j in 1u64..50) {
        let mut output = [0u8; 64];
        output[32..].copy_from_slice(&out);
        let p = proposer_priority(&output, j);
        prop_assert!(proposer_priority(&output, j + 1) <= p);
        prop_assert!(p < [0xff; 32]);
    }
}
