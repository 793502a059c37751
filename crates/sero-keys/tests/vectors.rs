//! Checks `test-vectors/keys.json`: regeneration, and each vector recomputed
//! and cross-checked through the public API.

use serde_json::Value;
use sero_crypto::curve::decode_scalar;
use sero_keys::{
    open, vectors, OneTimeAddress, PaymentAddress, PkrSignature, SecretKey, Seed, TraceKey,
};

fn load() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../test-vectors/keys.json");
    let text =
        std::fs::read_to_string(path).expect("test-vectors/keys.json exists (run `sero vectors`)");
    serde_json::from_str(&text).expect("valid JSON")
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str()
        .unwrap_or_else(|| panic!("field {k}"))
        .to_string()
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
    for a in load()["accounts"].as_array().unwrap() {
        let seed = Seed::from_mnemonic(&s(a, "mnemonic")).unwrap();
        assert_eq!(hex::encode(seed.as_bytes()), s(a, "seed"));
        let sk = SecretKey::from_seed(&seed);
        assert_eq!(s(a, "sk").parse::<SecretKey>().unwrap(), sk);
        let pk: PaymentAddress = s(a, "pk").parse().unwrap();
        assert_eq!(hex::encode(pk.to_bytes()), s(a, "pk_hex"));
        assert_eq!(pk, sk.payment_address());
        let tk: TraceKey = s(a, "tk").parse().unwrap();
        assert_eq!(tk, sk.trace_key());
        let r = decode_scalar(&hex::decode(s(a, "pkr_r")).unwrap()).unwrap();
        let pkr: OneTimeAddress = s(a, "pkr").parse().unwrap();
        assert_eq!(pk.derive_pkr_with(&r), pkr);
        assert!(tk.is_mine(&pkr));
        let sealed = hex::decode(s(a, "sealed")).unwrap();
        assert_eq!(
            open(&tk, &sealed, s(a, "seal_aad").as_bytes()).unwrap(),
            s(a, "seal_plaintext").as_bytes()
        );
        let sig = PkrSignature::from_bytes(&hex::decode(s(a, "signature")).unwrap()).unwrap();
        pkr.verify(s(a, "sign_message").as_bytes(), &sig).unwrap();
    }
}
