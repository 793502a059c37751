//! Test vectors of this crate (`test-vectors/sortition.json`), checked by
//! `tests/vectors.rs` (which rewrites the file when `SERO_WRITE_VECTORS=1`).
//!
//! Integers above 2^53 do not survive every JSON reader, so every `u64` and
//! `u128` is a decimal string; byte strings are hex.

use crate::credential::{
    proposer_priority, round_seed, seed_alpha, select, sortition_alpha, SortitionParams, Step,
};
use crate::sortition::{binomial_terms, sortition, FIXED_ONE, MAX_TAU};
use crate::vrf::{prove, VrfSecretKey};
use serde_json::{json, Value};

/// `(name, x, stake, total, tau)` of the sortition known-answer cases.
pub const SORTITION_CASES: &[(&str, u64, u64, u64, u64)] = &[
    ("w = 0", u64::MAX, 0, 1000, 100),
    ("w = 0, W = 0", u64::MAX, 0, 0, 100),
    ("tau = 0", u64::MAX, 500, 1000, 0),
    ("tau = W: p = 1", 0, 500, 1000, 1000),
    ("tau > W: p = 1", 0, 500, 1000, 5000),
    (
        "tau = W = w = 2^64 - 1: p = 1",
        0,
        u64::MAX,
        u64::MAX,
        u64::MAX,
    ),
    (
        "w = W = 2^64 - 1, tau = 100, x = 2^63",
        1 << 63,
        u64::MAX,
        u64::MAX,
        100,
    ),
    ("w = 1, p = 1/4, x just below 3/4", (3 << 62) - 1, 1, 4, 1),
    ("w = 1, p = 1/4, x = 3/4", 3 << 62, 1, 4, 1),
    ("p = 0.1, x = 0", 0, 100, 1000, 100),
    ("p = 0.1, x = 2^63", 1 << 63, 100, 1000, 100),
    ("p = 0.1, x = 2^64 - 1", u64::MAX, 100, 1000, 100),
    (
        "p = 0.1, x = 0x0123456789abcdef",
        0x0123_4567_89ab_cdef,
        100,
        1000,
        100,
    ),
    (
        "tiny p = 10^-18, x = 0",
        0,
        1_000_000,
        1_000_000_000_000_000_000,
        1,
    ),
    (
        "tiny p = 10^-18, x = 2^64 - 1",
        u64::MAX,
        1_000_000,
        1_000_000_000_000_000_000,
        1,
    ),
    ("tiny p, w = W", u64::MAX - (1 << 40), 1 << 60, 1 << 60, 2),
    (
        "w = 10^6, tau = 1000 of 10^7, x = 0",
        0,
        1_000_000,
        10_000_000,
        1000,
    ),
    (
        "w = 10^6, tau = 1000 of 10^7, x = 2^63",
        1 << 63,
        1_000_000,
        10_000_000,
        1000,
    ),
    (
        "w = 10^6, tau = 1000 of 10^7, x = 2^64 - 1",
        u64::MAX,
        1_000_000,
        10_000_000,
        1000,
    ),
    (
        "w = W = 10^6, tau = 2000, x = 2^63",
        1 << 63,
        1_000_000,
        1_000_000,
        2000,
    ),
    (
        "w = 2^63, W = 2^64 - 1, tau = 10000, x = 2^63",
        1 << 63,
        1 << 63,
        u64::MAX,
        10_000,
    ),
    (
        "w = 2^63, W = 2^64 - 1, tau = MAX_TAU, x = 2^64 - 1",
        u64::MAX,
        1 << 63,
        u64::MAX,
        MAX_TAU,
    ),
];

fn s<T: ToString>(v: T) -> String {
    v.to_string()
}

/// Deterministic vectors: sortition cases, the full binomial table of
/// `B(10, 1/10)` and `B(4, 1/2)` (exact), round seeds, VRF inputs, credentials of a
/// key derived from a fixed seed, and proposer priorities.
pub fn vectors() -> Value {
    let sortition_cases: Vec<Value> = SORTITION_CASES
        .iter()
        .map(|&(name, x, stake, total, tau)| {
            json!({
                "name": name,
                "x": s(x),
                "stake": s(stake),
                "total": s(total),
                "tau": s(tau),
                "j": s(sortition(x, stake, total, tau).expect("valid case")),
            })
        })
        .collect();

    let table = |stake: u64, total: u64, tau: u64| {
        let terms: Vec<String> = binomial_terms(stake, total, tau)
            .expect("valid")
            .map(s)
            .collect();
        json!({ "stake": s(stake), "total": s(total), "tau": s(tau), "terms": terms })
    };

    let seed0 = [0u8; 32];
    let beta = [0x5au8; 64];
    let seed1 = round_seed(&seed0, Some(&beta), 1);
    let seed2 = round_seed(&seed1, None, 2);

    let steps = [
        ("proposer", Step::Proposer),
        ("committee 1", Step::Committee(1)),
        ("committee 7", Step::Committee(7)),
        ("final", Step::Final),
    ];
    let alphas: Vec<Value> = steps
        .iter()
        .map(|&(name, step)| {
            json!({
                "step": name,
                "seed": hex::encode(seed2),
                "round": s(3u64),
                "alpha": hex::encode(sortition_alpha(&seed2, 3, step)),
            })
        })
        .collect();

    let key_seed = [1u8; 32];
    let sk = VrfSecretKey::from_seed(&key_seed);
    let pk = sk.public_key();
    let (seed_out, seed_proof) = prove(&sk, &seed_alpha(&seed2, 3));
    let params = SortitionParams {
        stake: 300,
        total: 1000,
        tau: 100,
    };
    let credentials: Vec<Value> = steps
        .iter()
        .map(|&(name, step)| {
            let alpha = sortition_alpha(&seed2, 3, step);
            let (output, proof) = prove(&sk, &alpha);
            let cred = select(&sk, &seed2, 3, step, &params).expect("valid params");
            let j = cred.map_or(0, |c| c.j);
            json!({
                "step": name,
                "alpha": hex::encode(&alpha),
                "output": hex::encode(output),
                "proof": hex::encode(proof),
                "j": s(j),
                "priority": hex::encode(proposer_priority(&output, j)),
            })
        })
        .collect();

    let prio_out = [0x11u8; 64];
    let priorities: Vec<Value> = [1u64, 2, 10]
        .iter()
        .map(|&j| {
            json!({
                "output": hex::encode(prio_out),
                "j": s(j),
                "priority": hex::encode(proposer_priority(&prio_out, j)),
            })
        })
        .collect();
    json!({
        "fixed_one": s(FIXED_ONE),
        "max_tau": s(MAX_TAU),
        "sortition": sortition_cases,
        "binomial_terms": [table(10, 100, 10), table(4, 8, 4)],
        "round_seed": [
            {
                "prev_seed": hex::encode(seed0),
                "vrf_output": hex::encode(beta),
                "round": s(1u64),
                "seed": hex::encode(seed1),
            },
            {
                "prev_seed": hex::encode(seed1),
                "vrf_output": Value::Null,
                "round": s(2u64),
                "seed": hex::encode(seed2),
            },
        ],
        "seed_alpha": {
            "prev_seed": hex::encode(seed2),
            "round": s(3u64),
            "alpha": hex::encode(seed_alpha(&seed2, 3)),
            "output": hex::encode(seed_out),
            "proof": hex::encode(seed_proof),
        },
        "sortition_alpha": alphas,
        "credentials": {
            "key_seed": hex::encode(key_seed),
            "secret_key": hex::encode(sk.to_bytes()),
            "public_key": hex::encode(pk.to_bytes()),
            "seed": hex::encode(seed2),
            "round": s(3u64),
            "stake": s(params.stake),
            "total": s(params.total),
            "tau": s(params.tau),
            "cases": credentials,
        },
        "proposer_priority": priorities,
    })
}

/// The same as [`vectors`], under the name the other SERO crates use, for
/// `sero vectors`.
pub fn generate() -> Value {
    vectors()
}
