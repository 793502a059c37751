//! Checks `test-vectors/assets.json`: regeneration, and the balance vector
//! recomputed and verified through the public API.

use serde_json::Value;
use sero_assets::{balance_point, vectors, Asset, AssetCommitment, BalanceSignature};

fn load() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../test-vectors/assets.json"
    );
    let text = std::fs::read_to_string(path)
        .expect("test-vectors/assets.json exists (run `sero vectors`)");
    serde_json::from_str(&text).expect("valid JSON")
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
fn balance_vector_verifies() {
    let v = load();
    let b = &v["balance"];
    let cm = |x: &Value| {
        AssetCommitment::from_bytes(&hex::decode(x.as_str().unwrap()).unwrap()).unwrap()
    };
    let cin = cm(&b["input"]["commitment"]);
    let cout = cm(&b["output"]["commitment"]);
    let plain: u128 = b["plain_output"].as_str().unwrap().parse().unwrap();
    let fee: u128 = b["fee"].as_str().unwrap().parse().unwrap();
    let bp = balance_point(&[cin], &[cout], &[Asset::sero(plain)], fee).unwrap();
    let sig = BalanceSignature::from_bytes(&hex::decode(b["signature"].as_str().unwrap()).unwrap())
        .unwrap();
    sig.verify(&bp, b["message"].as_str().unwrap().as_bytes())
        .unwrap();
    // Off by one in the fee: unbalanced.
    let bp2 = balance_point(&[cin], &[cout], &[Asset::sero(plain)], fee + 1).unwrap();
    assert!(sig.verify(&bp2, b"sighash").is_err());
}
