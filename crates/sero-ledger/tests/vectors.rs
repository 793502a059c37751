//! Checks `test-vectors/license.json` against the implementation, by
//! regeneration and by recomputing the licence from its inputs with plain
//! curve arithmetic. `SERO_WRITE_VECTORS=1 cargo test -p sero-ledger --test
//! vectors` rewrites the file first.

use serde_json::Value;
use sero_crypto::curve::{decode_nonidentity_point, decode_scalar, encode_point, mul};
use sero_crypto::hash::{hash_to_scalar, tags};
use sero_crypto::{h2c, Base, Scalar};
use sero_ledger::license::{self, License, LicenseIssuerPublic, LicenseIssuerSecret};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../test-vectors/license.json"
);

fn load() -> Value {
    if std::env::var_os("SERO_WRITE_VECTORS").is_some() {
        let mut text = serde_json::to_string_pretty(&license::vectors()).unwrap();
        text.push('\n');
        std::fs::write(PATH, text).expect("write test-vectors/license.json");
    }
    let text = std::fs::read_to_string(PATH).expect(
        "test-vectors/license.json exists (SERO_WRITE_VECTORS=1 cargo test -p sero-ledger --test vectors)",
    );
    serde_json::from_str(&text).expect("valid JSON")
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

#[test]
fn licence_vector_matches_and_recomputes() {
    let v = load();
    assert_eq!(
        v,
        license::vectors(),
        "regenerate with SERO_WRITE_VECTORS=1"
    );
    // G_lic = H2C("sero.h2c.license.v1"; 0).
    assert_eq!(v["h2c_tag"], "sero.h2c.license.v1");
    let g = h2c::hash_to_curve("sero.h2c.license.v1", &[Base::from(0u64)]).unwrap();
    assert_eq!(bytes(&v["g_lic"]), encode_point(&g));
    // Keys.
    let sk = LicenseIssuerSecret::from_bytes(&bytes(&v["issuer_secret"])).unwrap();
    let pk = LicenseIssuerPublic::from_bytes(&bytes(&v["issuer_public"])).unwrap();
    assert_eq!(pk.pk_zpk, mul(&g, &sk.sk_zpk));
    assert_eq!(pk.pk_prop, mul(&g, &sk.sk_prop));
    // The licence by hand.
    let zpk: [u8; 32] = bytes(&v["validator"]).try_into().unwrap();
    let h = hash_to_scalar(b"SERO_LicenseZpk1", &[&zpk]);
    assert_eq!(bytes(&v["h_zpk"]), sero_crypto::curve::encode_scalar(&h));
    let prop = v["prop"].as_u64().unwrap();
    let r = decode_scalar(&bytes(&v["nonce"])).unwrap();
    let big_r = mul(&g, &r);
    let c = hash_to_scalar(
        tags::LICENSE_CHALLENGE,
        &[
            &encode_point(&big_r),
            &bytes(&v["issuer_public"]),
            &zpk,
            &prop.to_le_bytes(),
        ],
    );
    let s = r + c * (sk.sk_zpk * h + sk.sk_prop * Scalar::from(prop));
    let lic_bytes = bytes(&v["license"]);
    let mut manual = prop.to_le_bytes().to_vec();
    manual.extend_from_slice(&encode_point(&big_r));
    manual.extend_from_slice(&sero_crypto::curve::encode_scalar(&s));
    assert_eq!(lic_bytes, manual);
    let lic = License::from_bytes(&lic_bytes).unwrap();
    assert_eq!(lic.r, decode_nonidentity_point(&lic_bytes[8..40]).unwrap());
    lic.check(&pk, &zpk, prop).unwrap();
    assert!(lic.check(&pk, &zpk, prop + 1).is_err());
}

const TX_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../test-vectors/transaction.json"
);

#[test]
fn transaction_vector_matches_and_binds_the_chain_id() {
    if std::env::var_os("SERO_WRITE_VECTORS").is_some() {
        let mut text = serde_json::to_string_pretty(&sero_ledger::vectors::vectors()).unwrap();
        text.push('\n');
        std::fs::write(TX_PATH, text).expect("write test-vectors/transaction.json");
    }
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(TX_PATH)
            .expect("test-vectors/transaction.json exists (SERO_WRITE_VECTORS=1)"),
    )
    .unwrap();
    assert_eq!(
        v,
        sero_ledger::vectors::vectors(),
        "regenerate with SERO_WRITE_VECTORS=1"
    );
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    for c in cases {
        let effects = bytes(&c["effects"]);
        // Version 3, then the chain id.
        assert_eq!(effects[0], 3);
        assert_eq!(effects[1..33], bytes(&c["chain_id"])[..]);
        // The txid by hand: BLAKE2b-256 personalised with the tag.
        let h = blake2b_simd::Params::new()
            .hash_length(32)
            .personal(b"SERO_TxId_v1____")
            .hash(&effects);
        assert_eq!(h.as_bytes(), &bytes(&c["txid"])[..]);
        assert_eq!(c["txid"], c["sighash"]);
    }
    // The same payment on two networks: the effects differ only in the
    // chain id, the txids differ entirely.
    let (a, b) = (bytes(&cases[0]["effects"]), bytes(&cases[1]["effects"]));
    assert_eq!(a[33..], b[33..]);
    assert_ne!(cases[0]["txid"], cases[1]["txid"]);
}
