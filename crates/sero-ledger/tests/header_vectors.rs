//! `test-vectors/block_header.json`: one header of each seal kind with
//! asymmetric field values (every multi-byte field's bytes differ, so a
//! swapped or mis-ordered field shows), its bytes, hash and signing hash,
//! and a `validators_hash` of an unsorted set. Regenerate with
//! `SERO_WRITE_VECTORS=1 cargo test -p sero-ledger --test header_vectors`.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};
use sero_crypto::Base;
use sero_ledger::block::{validators_hash, BlockHeader, ProposerSeal, Seal};
use sero_ledger::license::LicenseIssuerSecret;

fn ramp(start: u8) -> [u8; 32] {
    std::array::from_fn(|i| start.wrapping_add(i as u8 * 3))
}

fn header(seal: Seal) -> BlockHeader {
    BlockHeader {
        height: 0x0102_0304_0506_0708,
        parent: ramp(0x10),
        time: 0x1122_3344_5566_7788,
        tx_root: ramp(0x20),
        note_root: Base::from(0x0a0b_0c0d_0e0f_1011u64),
        leaf_count: 0x2122_2324_2526_2728,
        state_root: ramp(0x30),
        validators_hash: validators_set_hash(),
        seal,
    }
}

fn validators() -> Vec<([u8; 32], [u8; 32], u64)> {
    // Deliberately not in vote-key order.
    vec![
        (ramp(0x90), ramp(0xa0), 0x0000_0001_0000_0002),
        (ramp(0x50), ramp(0x60), 7),
        (ramp(0x70), ramp(0x80), 0x0102_0304_0506_0708),
    ]
}

fn validators_set_hash() -> [u8; 32] {
    validators_hash(&validators())
}

fn seals() -> Vec<(&'static str, Seal)> {
    let licence = LicenseIssuerSecret::generate(&mut ChaCha20Rng::seed_from_u64(1)).issue(
        &ramp(0x40),
        100,
        &mut ChaCha20Rng::seed_from_u64(2),
    );
    let proposed = |license| {
        Seal::Proposed(ProposerSeal {
            proposer: ramp(0x40),
            seed_proof: std::array::from_fn(|i| 0x50u8.wrapping_add(i as u8)),
            credential: std::array::from_fn(|i| 0xa0u8.wrapping_add(i as u8)),
            license,
            signature: std::array::from_fn(|i| 0xf0u8.wrapping_add(i as u8)),
        })
    };
    vec![
        (
            "genesis",
            Seal::Genesis {
                config_hash: ramp(0xc0),
            },
        ),
        ("empty", Seal::Empty),
        ("proposed", proposed(None)),
        ("proposed_with_licence", proposed(Some(licence))),
        ("dev", Seal::Dev),
    ]
}

fn generate() -> Value {
    json!({
        "description": "Block headers, version 4 (docs/protocol.md §8.4): bytes, hash = BLAKE2b-256(\"SERO_BlockHdr_v1\"; bytes), signing hash = BLAKE2b-256(\"SERO_BlockSign_1\"; bytes with a proposed seal's signature zeroed); validators_hash = BLAKE2b-256(\"SERO_ValSetHash1\"; u32 n ‖ sorted (vote ‖ vrf ‖ u64 stake))",
        "validators": validators().iter().map(|(a, b, s)| json!({"vote_key": hex::encode(a), "vrf_key": hex::encode(b), "stake": s})).collect::<Vec<_>>(),
        "validators_hash": hex::encode(validators_set_hash()),
        "empty_validators_hash": hex::encode(validators_hash(&[])),
        "headers": seals().into_iter().map(|(name, seal)| {
            let h = header(seal);
            let b = h.to_bytes();
            json!({
                "seal": name,
                "len": b.len(),
                "bytes": hex::encode(&b),
                "hash": hex::encode(h.hash()),
                "signing_hash": hex::encode(h.signing_hash()),
            })
        }).collect::<Vec<_>>(),
    })
}

#[test]
fn header_vectors_match() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../test-vectors/block_header.json"
    );
    let got = generate();
    if std::env::var_os("SERO_WRITE_VECTORS").is_some() {
        std::fs::write(path, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
    }
    let want: Value = serde_json::from_str(
        &std::fs::read_to_string(path).expect("test-vectors/block_header.json exists"),
    )
    .unwrap();
    assert_eq!(got, want);
    // The bytes decode back, and the documented lengths hold.
    let lens: Vec<u64> = want["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let b = hex::decode(h["bytes"].as_str().unwrap()).unwrap();
            let d = BlockHeader::from_bytes(&b).unwrap();
            assert_eq!(hex::encode(d.hash()), h["hash"].as_str().unwrap());
            assert_eq!(&b[185 - 32..185], &validators_set_hash());
            h["len"].as_u64().unwrap()
        })
        .collect();
    assert_eq!(lens, [218, 186, 443, 515, 186]);
    assert_eq!(BlockHeader::FIXED_LEN, 185);
}
