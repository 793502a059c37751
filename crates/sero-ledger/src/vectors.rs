//! Test vectors for the transaction's effects encoding, txid and sighash
//! (`test-vectors/transaction.json`, `docs/protocol.md` §8): one
//! transaction with asymmetric values, hashed under two chain ids.

use crate::tx::{PlainOutput, Transaction, ZInput, ZOutput};
use serde_json::{json, Value};
use sero_assets::{Asset, AssetCommitment, BalanceSignature, Currency};
use sero_crypto::curve::encode_base;
use sero_crypto::{Base, Scalar};
use sero_keys::{SecretKey, Seed};

/// The vector transaction for `chain_id`. Proofs and signatures are
/// placeholders: the txid and the sighash do not cover them.
pub fn sample_transaction(chain_id: [u8; 32]) -> Transaction {
    let sk = SecretKey::from_seed(&Seed::from_bytes([0x3c; 32]));
    let pk = sk.payment_address();
    let placeholder = sero_zk::ZkProof(Default::default());
    let asset = Asset::sero(1_000_003);
    let token = Asset {
        currency: Currency::new("KITTYCOIN").expect("valid name"),
        value: 77,
        ticket: None,
    };
    Transaction {
        chain_id,
        fee: 1_234_567,
        from: pk.derive_pkr_with(&Scalar::from(5u64)),
        inputs: vec![ZInput {
            anchor: Base::from(0x0102_0304_0506_0708u64),
            nil: Base::from(0x1112_1314_1516_1718u64),
            til: Base::from(0x2122_2324_2526_2728u64),
            cm_asset: AssetCommitment::commit(&asset, &Scalar::from(9u64)).expect("commits"),
            proof: placeholder.clone(),
        }],
        outputs: vec![ZOutput {
            cm_asset: AssetCommitment::commit(&asset, &Scalar::from(8u64)).expect("commits"),
            cm_out: Base::from(0x3132_3334_3536_3738u64),
            pkr: pk.derive_pkr_with(&Scalar::from(6u64)),
            sealed_note: (0u8..40).collect(),
            proof: placeholder,
        }],
        plain_outputs: vec![PlainOutput {
            pkr: pk.derive_pkr_with(&Scalar::from(7u64)),
            asset: token,
            memo_hash: Base::from(0x4142_4344u64),
        }],
        stake: None,
        contract: None,
        package: None,
        balance_sig: BalanceSignature::sign_with_aux(&Scalar::from(1u64), b"", &[0; 32]),
        from_sig: sk
            .sign_with_aux(&pk.derive_pkr_with(&Scalar::from(5u64)), b"", &[0; 32])
            .expect("own PKr"),
    }
}

/// The two chain ids of the vectors (asymmetric bytes).
pub fn vector_chain_ids() -> [[u8; 32]; 2] {
    let a: [u8; 32] = std::array::from_fn(|i| i as u8);
    let b: [u8; 32] = std::array::from_fn(|i| 0xff - 3 * i as u8);
    [a, b]
}

/// `test-vectors/transaction.json`.
pub fn vectors() -> Value {
    let cases: Vec<Value> = vector_chain_ids()
        .into_iter()
        .map(|chain_id| {
            let tx = sample_transaction(chain_id);
            json!({
                "chain_id": hex::encode(chain_id),
                "effects": hex::encode(crate::codec::encode_effects(&tx)),
                "txid": hex::encode(tx.txid()),
                "sighash": hex::encode(tx.sighash()),
            })
        })
        .collect();
    let tx = sample_transaction(vector_chain_ids()[0]);
    json!({
        "description": "effects = the canonical encoding without proofs and signatures; txid = sighash = BLAKE2b-256(personal \"SERO_TxId_v1____\"; effects). The effects start with the version byte and the 32-byte chain id (genesis block hash), so the same transaction has another txid on another network.",
        "tag": "SERO_TxId_v1____",
        "fee": tx.fee.to_string(),
        "input_anchor": hex::encode(encode_base(&tx.inputs[0].anchor)),
        "cases": cases,
    })
}
