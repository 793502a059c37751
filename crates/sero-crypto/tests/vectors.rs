//! Checks `test-vectors/crypto.json` against the implementation, both by
//! regeneration and by recomputing each vector from its inputs.

use serde_json::Value;
use sero_crypto::curve::{decode_point, encode_point};
use sero_crypto::h2c::hash_to_curve;
use sero_crypto::{poseidon, vectors, Base};
use std::str::FromStr;

fn load() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../test-vectors/crypto.json"
    );
    let text = std::fs::read_to_string(path)
        .expect("test-vectors/crypto.json exists (run `sero vectors`)");
    serde_json::from_str(&text).expect("valid JSON")
}

fn fe(v: &Value) -> Base {
    Base::from_str(v.as_str().unwrap()).unwrap()
}

#[test]
fn file_matches_generator() {
    assert_eq!(
        load(),
        vectors::generate(),
        "regenerate with `sero vectors`"
    );
}

#[test]
fn recompute_each_vector() {
    let v = load();
    for p in v["poseidon"].as_array().unwrap() {
        let inputs: Vec<Base> = p["inputs"].as_array().unwrap().iter().map(fe).collect();
        assert_eq!(poseidon::hash(&inputs), fe(&p["output"]));
    }
    for h in v["hash_to_curve"].as_array().unwrap() {
        let inputs: Vec<Base> = h["inputs"].as_array().unwrap().iter().map(fe).collect();
        let p = hash_to_curve(h["tag"].as_str().unwrap(), &inputs).unwrap();
        assert_eq!(hex::encode(encode_point(&p)), h["point"].as_str().unwrap());
    }
    for p in v["points"].as_array().unwrap() {
        let bytes = hex::decode(p["encoding"].as_str().unwrap()).unwrap();
        let pt = decode_point(&bytes).unwrap();
        assert_eq!(pt.x, fe(&p["x"]));
        assert_eq!(pt.y, fe(&p["y"]));
    }
    for p in v["invalid_points"].as_array().unwrap() {
        let bytes = hex::decode(p["encoding"].as_str().unwrap()).unwrap();
        assert!(decode_point(&bytes).is_err(), "{}", p["reason"]);
    }
}
