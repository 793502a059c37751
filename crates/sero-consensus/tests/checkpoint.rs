//! Finality checkpoints (`sero_consensus::checkpoint`, protocol §18.9):
//! the vectors of `test-vectors/checkpoint.json` and one test per way to
//! pass off a checkpoint that the signing set did not sign.
//! `SERO_WRITE_VECTORS=1 cargo test -p sero-consensus --test checkpoint`
//! rewrites the file first.

use serde_json::{json, Value};
use sero_consensus::ba::{ValidatorKeys, ValidatorSet};
use sero_consensus::checkpoint::{
    checkpoint_message, is_checkpoint, CheckpointCertificate, CheckpointError, CheckpointVote,
    CHECKPOINT_VOTE_LEN,
};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../test-vectors/checkpoint.json"
);

/// Four validators with stakes 10, 20, 30, 40 (total 100).
fn keys() -> Vec<ValidatorKeys> {
    (1u8..=4)
        .map(|i| ValidatorKeys::from_seed(&[i; 32]))
        .collect()
}

fn set(keys: &[ValidatorKeys]) -> ValidatorSet {
    ValidatorSet::new(
        keys.iter()
            .enumerate()
            .map(|(i, k)| k.validator(10 * (i as u64 + 1)))
            .collect(),
    )
    .unwrap()
}

const H: u64 = 0x0000_0001_0002_0300;
const HASH: [u8; 32] = {
    let mut b = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        b[i] = i as u8;
        i += 1;
    }
    b
};
const SEED: [u8; 32] = {
    let mut b = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        b[i] = 0xa0 ^ (3 * i as u8);
        i += 1;
    }
    b
};

/// A certificate signed by the validators at `who` (indices into `keys`).
fn cert(keys: &[ValidatorKeys], who: &[usize]) -> CheckpointCertificate {
    let mut c = CheckpointCertificate::new(H, HASH, SEED);
    for &i in who {
        assert!(c.add(&CheckpointVote::sign(&keys[i].vote, H, HASH, SEED)));
    }
    c
}

fn vectors() -> Value {
    let k = keys();
    let vote = CheckpointVote::sign(&k[1].vote, H, HASH, SEED);
    let c = cert(&k, &[3, 1, 2]);
    json!({
        "description": "Finality checkpoints (docs/protocol.md §18.9). Keys: ValidatorKeys::from_seed([i; 32]) for i = 1..4 with stakes 10, 20, 30, 40. message = H256(\"SERO_Checkpnt_v1\"; LE64(height) || block_hash || seed), H256 = BLAKE2b-256 with the 16-byte personalisation; signature = Ed25519(vote_sk, message). vote = 01 04 || LE64 height || block_hash || seed || voter || signature; certificate = 01 05 || LE64 height || block_hash || seed || LE32 n || n x (voter || signature), voters in increasing byte order. The certificate's signers hold 90 of 100 stake (more than two thirds: complete).",
        "height": H,
        "block_hash": hex::encode(HASH),
        "seed": hex::encode(SEED),
        "message": hex::encode(checkpoint_message(H, &HASH, &SEED)),
        "vote_key_2": hex::encode(k[1].vote_public().to_bytes()),
        "vote_2": hex::encode(vote.to_bytes()),
        "certificate_2_3_4": hex::encode(c.to_bytes()),
    })
}

#[test]
fn vectors_match_the_file() {
    let v = vectors();
    if std::env::var_os("SERO_WRITE_VECTORS").is_some() {
        let mut text = serde_json::to_string_pretty(&v).unwrap();
        text.push('\n');
        std::fs::write(PATH, text).expect("write test-vectors/checkpoint.json");
    }
    let text = std::fs::read_to_string(PATH).expect(
        "test-vectors/checkpoint.json (SERO_WRITE_VECTORS=1 cargo test -p sero-consensus --test checkpoint)",
    );
    let file: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(file, v, "regenerate with SERO_WRITE_VECTORS=1");
    // Decoding the file's bytes gives back what verifies.
    let c = CheckpointCertificate::from_bytes(
        &hex::decode(file["certificate_2_3_4"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(c.verify(H, &HASH, &SEED, &set(&keys())), Ok(90));
    let vote = CheckpointVote::from_bytes(&hex::decode(file["vote_2"].as_str().unwrap()).unwrap())
        .unwrap();
    assert!(vote.signature_ok());
    assert_eq!(vote.to_bytes().len(), CHECKPOINT_VOTE_LEN);
}

#[test]
fn checkpoint_heights() {
    assert!(!is_checkpoint(0, 4));
    assert!(is_checkpoint(4, 4));
    assert!(!is_checkpoint(5, 4));
    assert!(is_checkpoint(1, 1));
    assert!(!is_checkpoint(4, 0));
}

#[test]
fn a_complete_certificate_verifies_and_round_trips() {
    let k = keys();
    // 20 + 30 + 40 = 90 > 66.7.
    let c = cert(&k, &[1, 2, 3]);
    assert_eq!(c.verify(H, &HASH, &SEED, &set(&k)), Ok(90));
    assert_eq!(CheckpointCertificate::from_bytes(&c.to_bytes()).unwrap(), c);
    // Exactly the order of the keys, whatever the order of arrival.
    let d = cert(&k, &[3, 1, 2]);
    assert_eq!(c, d);
}

#[test]
fn two_thirds_exactly_is_not_enough() {
    // A set of three with equal stakes: two signers hold exactly 2/3.
    let k = keys();
    let s = ValidatorSet::new(k[..3].iter().map(|k| k.validator(5)).collect()).unwrap();
    let c = cert(&k, &[0, 1]);
    assert_eq!(
        c.verify(H, &HASH, &SEED, &s),
        Err(CheckpointError::Incomplete {
            signed: 10,
            total: 15
        })
    );
    let c = cert(&k, &[0, 1, 2]);
    assert_eq!(c.verify(H, &HASH, &SEED, &s), Ok(15));
}

#[test]
fn too_little_stake_is_incomplete() {
    let k = keys();
    // 10 + 20 + 30 = 60 of 100.
    let c = cert(&k, &[0, 1, 2]);
    assert_eq!(
        c.verify(H, &HASH, &SEED, &set(&k)),
        Err(CheckpointError::Incomplete {
            signed: 60,
            total: 100
        })
    );
}

#[test]
fn a_forged_signature_is_refused() {
    let k = keys();
    let mut c = cert(&k, &[1, 2, 3]);
    c.signers[1].1[5] ^= 1;
    assert_eq!(
        c.verify(H, &HASH, &SEED, &set(&k)),
        Err(CheckpointError::BadSignature)
    );
    // A signature of another checkpoint moved in.
    let mut c = cert(&k, &[1, 2, 3]);
    c.signers[0].1 = CheckpointVote::sign(&k[1].vote, H + 1, HASH, SEED).signature;
    assert_eq!(
        c.verify(H, &HASH, &SEED, &set(&k)),
        Err(CheckpointError::BadSignature)
    );
}

#[test]
fn a_signer_outside_the_set_is_refused() {
    let k = keys();
    let outsider = ValidatorKeys::from_seed(&[9; 32]);
    let mut c = cert(&k, &[1, 2, 3]);
    assert!(c.add(&CheckpointVote::sign(&outsider.vote, H, HASH, SEED)));
    assert_eq!(
        c.verify(H, &HASH, &SEED, &set(&k)),
        Err(CheckpointError::UnknownSigner)
    );
}

#[test]
fn another_block_or_seed_is_refused() {
    let k = keys();
    let c = cert(&k, &[1, 2, 3]);
    let s = set(&k);
    let mut other = HASH;
    other[0] ^= 1;
    assert_eq!(
        c.verify(H, &other, &SEED, &s),
        Err(CheckpointError::WrongBlock(H))
    );
    assert_eq!(
        c.verify(H, &HASH, &other, &s),
        Err(CheckpointError::WrongBlock(H))
    );
    assert_eq!(
        c.verify(H + 1, &HASH, &SEED, &s),
        Err(CheckpointError::WrongBlock(H + 1))
    );
    // A certificate relabelled with another seed: its signatures are not
    // for that message.
    let mut relabelled = c.clone();
    relabelled.seed = other;
    assert_eq!(
        relabelled.verify(H, &HASH, &other, &s),
        Err(CheckpointError::BadSignature)
    );
}

#[test]
fn a_repeated_signer_is_refused() {
    let k = keys();
    let mut c = cert(&k, &[1, 2, 3]);
    // `add` refuses a second vote by one signer…
    assert!(!c.add(&CheckpointVote::sign(&k[1].vote, H, HASH, SEED)));
    // …and a certificate built by hand with one is refused, decoded or not:
    // 20 counted twice would otherwise be 20 + 20 + 30 = 70 > 66.7.
    let mut d = cert(&k, &[1, 2]);
    d.signers.insert(1, d.signers[0]);
    assert_eq!(
        d.verify(H, &HASH, &SEED, &set(&k)),
        Err(CheckpointError::SignerOrder)
    );
    assert_eq!(
        CheckpointCertificate::from_bytes(&d.to_bytes()),
        Err(CheckpointError::SignerOrder)
    );
    // Out of order (not canonical).
    c.signers.swap(0, 1);
    assert_eq!(
        CheckpointCertificate::from_bytes(&c.to_bytes()),
        Err(CheckpointError::SignerOrder)
    );
}

#[test]
fn malformed_encodings_are_refused() {
    let k = keys();
    let c = cert(&k, &[1, 2, 3]).to_bytes();
    let bad = |b: &[u8]| CheckpointCertificate::from_bytes(b).unwrap_err();
    assert!(matches!(
        bad(&c[..c.len() - 1]),
        CheckpointError::Malformed(_)
    ));
    let mut t = c.clone();
    t.push(0);
    assert!(matches!(bad(&t), CheckpointError::Malformed(_)));
    let mut t = c.clone();
    t[0] = 2;
    assert!(matches!(bad(&t), CheckpointError::Malformed(_)));
    let mut t = c.clone();
    t[1] = 4;
    assert!(matches!(bad(&t), CheckpointError::Malformed(_)));
    // No signer.
    let empty = CheckpointCertificate::new(H, HASH, SEED).to_bytes();
    assert!(matches!(bad(&empty), CheckpointError::Malformed(_)));
    // A signer count that does not match the length.
    let mut t = c.clone();
    t[74] = 4;
    assert!(matches!(bad(&t), CheckpointError::Malformed(_)));
    // A non-canonical signer key (y = p, all ones but the top bit).
    let mut t = c.clone();
    t[78..110].copy_from_slice(&{
        let mut y = [0xffu8; 32];
        y[0] = 0xed;
        y[31] = 0x7f;
        y
    });
    assert!(matches!(bad(&t), CheckpointError::Malformed(_)));
    // Votes: wrong length, wrong type, a BA★ vote is not one.
    let v = CheckpointVote::sign(&k[0].vote, H, HASH, SEED).to_bytes();
    assert!(CheckpointVote::from_bytes(&v[1..]).is_err());
    let mut t = v.clone();
    t[1] = 2;
    assert!(CheckpointVote::from_bytes(&t).is_err());
    assert!(!CheckpointVote::is_checkpoint_vote(&t));
    assert!(CheckpointVote::is_checkpoint_vote(&v));
}

#[test]
fn add_refuses_votes_for_another_checkpoint() {
    let k = keys();
    let mut c = CheckpointCertificate::new(H, HASH, SEED);
    assert!(!c.add(&CheckpointVote::sign(&k[0].vote, H + 1, HASH, SEED)));
    assert!(!c.add(&CheckpointVote::sign(&k[0].vote, H, SEED, SEED)));
    assert!(!c.add(&CheckpointVote::sign(&k[0].vote, H, HASH, HASH)));
    assert!(c.signers.is_empty());
}
