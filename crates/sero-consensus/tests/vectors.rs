//! Checks `test-vectors/sortition.json` against the implementation, both by
//! regeneration and by recomputing each vector from its inputs.
//! `SERO_WRITE_VECTORS=1 cargo test -p sero-consensus --test vectors`
//! rewrites the file first.

use serde_json::Value;
use sero_consensus::{
    binomial_terms, proposer_priority, round_seed, seed_alpha, sortition, sortition_alpha, vectors,
    verify, verify_selection, ConsensusError, SortitionParams, Step, VrfPublicKey, VrfSecretKey,
    FIXED_ONE,
};
use std::sync::Once;

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../test-vectors/sortition.json"
);

fn load() -> Value {
    // Tests run in parallel: write once, before any of them reads.
    static WRITE: Once = Once::new();
    WRITE.call_once(|| {
        if std::env::var_os("SERO_WRITE_VECTORS").is_some() {
            let mut text = serde_json::to_string_pretty(&vectors::vectors()).unwrap();
            text.push('\n');
            std::fs::write(PATH, text).expect("write test-vectors/sortition.json");
        }
    });
    let text = std::fs::read_to_string(PATH).expect(
        "test-vectors/sortition.json exists (SERO_WRITE_VECTORS=1 cargo test -p sero-consensus --test vectors)",
    );
    serde_json::from_str(&text).expect("valid JSON")
}

fn n(v: &Value) -> u64 {
    v.as_str().expect("decimal string").parse().expect("u64")
}

fn bytes<const N: usize>(v: &Value) -> [u8; N] {
    hex::decode(v.as_str().expect("hex string"))
        .expect("hex")
        .try_into()
        .expect("length")
}

fn step(name: &str) -> Step {
    match name {
        "proposer" => Step::Proposer,
        "final" => Step::Final,
        other => Step::Committee(
            other
                .strip_prefix("committee ")
                .expect("committee k")
                .parse()
                .unwrap(),
        ),
    }
}

#[test]
fn file_matches_generator() {
    let file = load();
    assert_eq!(
        file,
        vectors::vectors(),
        "regenerate with SERO_WRITE_VECTORS=1"
    );
    assert_eq!(vectors::generate(), file);
    let text = std::fs::read_to_string(PATH).unwrap();
    assert!(text.ends_with("}\n"), "pretty JSON with a trailing newline");
}

#[test]
fn recompute_sortition_cases() {
    let v = load();
    assert_eq!(v["fixed_one"].as_str().unwrap(), FIXED_ONE.to_string());
    let cases = v["sortition"].as_array().unwrap();
    assert_eq!(cases.len(), vectors::SORTITION_CASES.len());
    for c in cases {
        let (x, w, total, tau) = (n(&c["x"]), n(&c["stake"]), n(&c["total"]), n(&c["tau"]));
        let j = n(&c["j"]);
        assert_eq!(sortition(x, w, total, tau), Ok(j), "{}", c["name"]);
        assert!(j <= w);
    }
    // The required edge cases are present and have the required answers.
    let by_name = |name: &str| {
        cases
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("case {name}"))
    };
    assert_eq!(n(&by_name("w = 0")["j"]), 0);
    assert_eq!(n(&by_name("tau = 0")["j"]), 0);
    assert_eq!(n(&by_name("tau > W: p = 1")["j"]), 500);
    assert_eq!(n(&by_name("tau = W: p = 1")["j"]), 500);
    assert_eq!(n(&by_name("tau = W = w = 2^64 - 1: p = 1")["j"]), u64::MAX);
    assert_eq!(n(&by_name("tiny p = 10^-18, x = 0")["j"]), 0);
    assert_eq!(n(&by_name("tiny p = 10^-18, x = 2^64 - 1")["j"]), 1);
    assert_eq!(n(&by_name("w = 1, p = 1/4, x just below 3/4")["j"]), 0);
    assert_eq!(n(&by_name("w = 1, p = 1/4, x = 3/4")["j"]), 1);
    let median = n(&by_name("w = 10^6, tau = 1000 of 10^7, x = 2^63")["j"]);
    assert!(
        (95..=105).contains(&median),
        "median of B(10^6, 10^-4) ≈ 100"
    );
}

#[test]
fn recompute_binomial_tables() {
    let v = load();
    for t in v["binomial_terms"].as_array().unwrap() {
        let terms: Vec<String> = binomial_terms(n(&t["stake"]), n(&t["total"]), n(&t["tau"]))
            .unwrap()
            .map(|x| x.to_string())
            .collect();
        let file: Vec<String> = t["terms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect();
        assert_eq!(terms, file);
    }
}

#[test]
fn recompute_seeds_alphas_credentials() {
    let v = load();
    for s in v["round_seed"].as_array().unwrap() {
        let out: Option<[u8; 64]> = (!s["vrf_output"].is_null()).then(|| bytes(&s["vrf_output"]));
        assert_eq!(
            round_seed(&bytes(&s["prev_seed"]), out.as_ref(), n(&s["round"])),
            bytes::<32>(&s["seed"])
        );
    }
    for a in v["sortition_alpha"].as_array().unwrap() {
        let alpha = sortition_alpha(
            &bytes(&a["seed"]),
            n(&a["round"]),
            step(a["step"].as_str().unwrap()),
        );
        assert_eq!(hex::encode(alpha), a["alpha"].as_str().unwrap());
    }

    let c = &v["credentials"];
    let sk = VrfSecretKey::from_seed(&bytes(&c["key_seed"]));
    assert_eq!(
        hex::encode(sk.to_bytes()),
        c["secret_key"].as_str().unwrap()
    );
    let pk = VrfPublicKey::from_bytes(&bytes(&c["public_key"])).unwrap();
    assert_eq!(sk.public_key(), pk);
    let seed: [u8; 32] = bytes(&c["seed"]);
    let round = n(&c["round"]);

    let sa = &v["seed_alpha"];
    let alpha = seed_alpha(&bytes(&sa["prev_seed"]), n(&sa["round"]));
    assert_eq!(hex::encode(&alpha), sa["alpha"].as_str().unwrap());
    assert_eq!(
        verify(&pk, &alpha, &bytes(&sa["proof"])).map(hex::encode),
        Ok(sa["output"].as_str().unwrap().to_string())
    );

    let params = SortitionParams {
        stake: n(&c["stake"]),
        total: n(&c["total"]),
        tau: n(&c["tau"]),
    };
    let mut selected = 0;
    for case in c["cases"].as_array().unwrap() {
        let st = step(case["step"].as_str().unwrap());
        let alpha = sortition_alpha(&seed, round, st);
        assert_eq!(hex::encode(&alpha), case["alpha"].as_str().unwrap());
        let proof: [u8; 80] = bytes(&case["proof"]);
        let output: [u8; 64] = bytes(&case["output"]);
        assert_eq!(verify(&pk, &alpha, &proof), Ok(output));
        let j = n(&case["j"]);
        match verify_selection(&pk, &seed, round, st, &params, &proof) {
            Ok(cred) => {
                assert_eq!((cred.j, cred.output), (j, output));
                selected += 1;
            }
            Err(e) => assert_eq!((e, j), (ConsensusError::NotSelected, 0)),
        }
        assert_eq!(
            hex::encode(proposer_priority(&output, j)),
            case["priority"].as_str().unwrap()
        );
    }
    assert!(selected > 0, "the vectors include a selected credential");

    for p in v["proposer_priority"].as_array().unwrap() {
        assert_eq!(
            hex::encode(proposer_priority(&bytes(&p["output"]), n(&p["j"]))),
            p["priority"].as_str().unwrap()
        );
    }
}
