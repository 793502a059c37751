//! Test vectors of the account system (`test-vectors/keys.json`), generated
//! by `sero vectors` and checked by `tests/vectors.rs`.

use crate::{seal_with, SecretKey, Seed};
use serde_json::{json, Value};
use sero_crypto::curve::encode_scalar;
use sero_crypto::Scalar;

/// One account per seed: keys, a PKr for a fixed `r`, a sealed message for a
/// fixed `s`, and a PKr signature for a fixed nonce randomness.
pub fn generate() -> Value {
    let accounts: Vec<Value> = [[0u8; 32], [1u8; 32], [0xab; 32]]
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            let seed = Seed::from_bytes(*bytes);
            let sk = SecretKey::from_seed(&seed);
            let pk = sk.payment_address();
            let tk = sk.trace_key();
            let r = Scalar::from(1000 + i as u64);
            let pkr = pk.derive_pkr_with(&r);
            let s = Scalar::from(2000 + i as u64);
            let plaintext = format!("note {i}");
            let sealed = seal_with(&pkr, plaintext.as_bytes(), b"aad", &s);
            let aux = [i as u8; 32];
            let msg = format!("message {i}");
            let sig = sk
                .sign_with_aux(&pkr, msg.as_bytes(), &aux)
                .expect("own PKr");
            json!({
                "seed": hex::encode(bytes),
                "mnemonic": seed.to_mnemonic(),
                "zsk": hex::encode(encode_scalar(&sk.zsk())),
                "vsk": hex::encode(encode_scalar(&sk.vsk())),
                "zvsk": hex::encode(encode_scalar(&sk.zvsk())),
                "sk": sk.to_string(),
                "pk_hex": hex::encode(pk.to_bytes()),
                "pk": pk.to_string(),
                "tk_hex": hex::encode(tk.to_bytes()),
                "tk": tk.to_string(),
                "pkr_r": hex::encode(encode_scalar(&r)),
                "pkr_hex": hex::encode(pkr.to_bytes()),
                "pkr": pkr.to_string(),
                "seal_s": hex::encode(encode_scalar(&s)),
                "seal_plaintext": plaintext,
                "seal_aad": "aad",
                "sealed": hex::encode(sealed),
                "sign_aux": hex::encode(aux),
                "sign_message": msg,
                "signature": hex::encode(sig.to_bytes()),
            })
        })
        .collect();
    json!({
        "description": "SERO account vectors: seed -> mnemonic, SK, PK, TK; PKr for a fixed r; a sealed message for a fixed s; a PKr signature for a fixed nonce randomness. Scalars are 32-byte little-endian hex; points use the canonical 32-byte encoding.",
        "accounts": accounts,
    })
}
