//! Checks `test-vectors/register_pop.json` (proof of possession of a
//! validator's keys in `Register`) by regeneration and by recomputing each
//! vector from its inputs.
//! `SERO_WRITE_VECTORS=1 cargo test -p sero-consensus --test pop_vectors`
//! rewrites the file first.

use serde_json::Value;
use sero_consensus::ba::ValidatorKeys;
use sero_consensus::pop::{pop_message, vectors, verify_possession, ProofOfPossession, POP_LEN};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../test-vectors/register_pop.json"
);

fn load() -> Value {
    if std::env::var_os("SERO_WRITE_VECTORS").is_some() {
        let mut text = serde_json::to_string_pretty(&vectors()).unwrap();
        text.push('\n');
        std::fs::write(PATH, text).expect("write test-vectors/register_pop.json");
    }
    let text = std::fs::read_to_string(PATH).expect(
        "test-vectors/register_pop.json exists (SERO_WRITE_VECTORS=1 cargo test -p sero-consensus --test pop_vectors)",
    );
    serde_json::from_str(&text).expect("valid JSON")
}

fn hexv(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("hex")
}

fn arr<const N: usize>(v: &Value) -> [u8; N] {
    hexv(v).try_into().expect("length")
}

#[test]
fn file_matches_the_implementation_and_each_vector_recomputes() {
    let file = load();
    assert_eq!(file, vectors(), "regenerate with SERO_WRITE_VECTORS=1");
    let valid = file["valid"].as_array().unwrap();
    assert_eq!(valid.len(), 3);
    for c in valid {
        let k = ValidatorKeys::from_seed(&arr(&c["validator_seed"]));
        let (chain, who) = (arr::<32>(&c["chain_id"]), hexv(&c["registrant"]));
        let (v, r) = (arr::<32>(&c["vote_key"]), arr::<32>(&c["vrf_key"]));
        assert_eq!(k.vote_public().to_bytes(), v);
        assert_eq!(k.vrf_public().to_bytes(), r);
        assert_eq!(pop_message(&chain, &who, &v, &r), arr::<32>(&c["message"]));
        let pop = ProofOfPossession::from_bytes(&arr::<POP_LEN>(&c["pop"]));
        assert_eq!(pop.vote_sig, arr::<64>(&c["vote_sig"]));
        assert_eq!(pop.vrf_proof, arr::<80>(&c["vrf_proof"]));
        assert_eq!(k.prove_possession(&chain, &who), pop);
        verify_possession(&chain, &who, &v, &r, &pop).unwrap();
    }
    let invalid = file["invalid"].as_array().unwrap();
    assert_eq!(invalid.len(), 7);
    for c in invalid {
        let pop = ProofOfPossession::from_bytes(&arr::<POP_LEN>(&c["pop"]));
        let err = verify_possession(
            &arr(&c["chain_id"]),
            &hexv(&c["registrant"]),
            &arr(&c["vote_key"]),
            &arr(&c["vrf_key"]),
            &pop,
        )
        .expect_err(c["case"].as_str().unwrap());
        assert_eq!(err.to_string(), c["error"].as_str().unwrap(), "{c}");
    }
}
