//! Block headers v4: every seal kind round-trips, decoding is strict, the
//! signing hash ignores the signature, and the empty block is
//! deterministic.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_crypto::Base;
use sero_ledger::block::{Block, BlockHeader, ProposerSeal, Seal, HEADER_VERSION};
use sero_ledger::license::LicenseIssuerSecret;
use sero_ledger::DecodeError;

fn header(seal: Seal) -> BlockHeader {
    BlockHeader {
        height: 7,
        parent: [1; 32],
        time: 1_700_000_000,
        tx_root: [2; 32],
        note_root: Base::from(3u64),
        leaf_count: 4,
        state_root: [7; 32],
        validators_hash: [0xa5; 32],
        seal,
    }
}

fn proposed(with_licence: bool) -> Seal {
    let licence = with_licence.then(|| {
        LicenseIssuerSecret::generate(&mut ChaCha20Rng::seed_from_u64(1)).issue(
            &[5; 32],
            100,
            &mut ChaCha20Rng::seed_from_u64(2),
        )
    });
    Seal::Proposed(ProposerSeal {
        proposer: [5; 32],
        seed_proof: [6; 80],
        credential: [7; 80],
        license: licence,
        signature: [8; 64],
    })
}

fn all_seals() -> Vec<Seal> {
    vec![
        Seal::Genesis {
            config_hash: [9; 32],
        },
        Seal::Empty,
        proposed(false),
        proposed(true),
        Seal::Dev,
    ]
}

#[test]
fn every_seal_round_trips_and_every_truncation_fails() {
    for seal in all_seals() {
        let h = header(seal);
        let b = h.to_bytes();
        assert_eq!(b[0], HEADER_VERSION);
        assert_eq!(BlockHeader::from_bytes(&b).unwrap(), h);
        for n in 0..b.len() {
            assert!(BlockHeader::from_bytes(&b[..n]).is_err(), "cut at {n}");
        }
        let mut long = b.clone();
        long.push(0);
        assert_eq!(
            BlockHeader::from_bytes(&long),
            Err(DecodeError::TrailingBytes(1))
        );
    }
    // Lengths: fixed part + seal.
    let len = |s: Seal| header(s).to_bytes().len() - BlockHeader::FIXED_LEN;
    assert_eq!(len(Seal::Empty), 1);
    assert_eq!(len(Seal::Dev), 1);
    assert_eq!(
        len(Seal::Genesis {
            config_hash: [0; 32]
        }),
        33
    );
    assert_eq!(len(proposed(false)), 1 + 32 + 80 + 80 + 1 + 64);
    assert_eq!(len(proposed(true)), 1 + 32 + 80 + 80 + 1 + 72 + 64);
}

#[test]
fn unknown_versions_kinds_and_flags_are_rejected() {
    let b = header(Seal::Empty).to_bytes();
    let mut v1 = b.clone();
    v1[0] = 1;
    assert_eq!(BlockHeader::from_bytes(&v1), Err(DecodeError::Version(1)));
    let mut k = b.clone();
    *k.last_mut().unwrap() = 4;
    assert!(matches!(
        BlockHeader::from_bytes(&k),
        Err(DecodeError::Invalid {
            what: "seal kind",
            ..
        })
    ));
    let p = header(proposed(false)).to_bytes();
    let flag_at = BlockHeader::FIXED_LEN + 1 + 32 + 80 + 80;
    assert_eq!(p[flag_at], 0);
    let mut f = p.clone();
    f[flag_at] = 2;
    assert!(matches!(
        BlockHeader::from_bytes(&f),
        Err(DecodeError::Invalid {
            what: "licence flag",
            ..
        })
    ));
    // A licence whose R is not a valid point.
    let l = header(proposed(true)).to_bytes();
    let mut bad = l.clone();
    bad[flag_at + 1 + 8..flag_at + 1 + 40].copy_from_slice(&[0xff; 32]);
    assert!(matches!(
        BlockHeader::from_bytes(&bad),
        Err(DecodeError::Invalid {
            what: "licence",
            ..
        })
    ));
    // A non-canonical note root.
    let mut nr = b;
    nr[1 + 8 + 32 + 8 + 32..1 + 8 + 32 + 8 + 64].copy_from_slice(&[0xff; 32]);
    assert!(BlockHeader::from_bytes(&nr).is_err());
}

#[test]
fn signing_hash_ignores_only_the_signature() {
    let h = header(proposed(true));
    let mut other_sig = h.clone();
    let Seal::Proposed(p) = &mut other_sig.seal else {
        unreachable!()
    };
    p.signature = [0; 64];
    assert_eq!(h.signing_hash(), other_sig.signing_hash());
    assert_ne!(h.hash(), other_sig.hash());
    assert_ne!(h.signing_hash(), h.hash());
    let mut other_proof = h.clone();
    let Seal::Proposed(p) = &mut other_proof.seal else {
        unreachable!()
    };
    p.credential[0] ^= 1;
    assert_ne!(h.signing_hash(), other_proof.signing_hash());
    let mut later = h.clone();
    later.time += 1;
    assert_ne!(h.signing_hash(), later.signing_hash());
    // Other seals have no signature: the signing hash covers everything.
    assert_ne!(
        header(Seal::Empty).signing_hash(),
        header(Seal::Dev).signing_hash()
    );
}

#[test]
fn the_empty_block_is_deterministic() {
    let parent = header(proposed(false));
    let a = Block::empty(8, &parent);
    let b = Block::empty(8, &parent);
    assert_eq!(a.hash(), b.hash());
    assert_eq!(a.header.parent, parent.hash());
    assert_eq!(a.header.time, parent.time);
    assert_eq!(a.header.note_root, parent.note_root);
    assert_eq!(a.header.leaf_count, parent.leaf_count);
    assert_eq!(a.header.tx_root, [0; 32]);
    assert_eq!(a.header.seal, Seal::Empty);
    assert!(a.coinbase.is_empty() && a.txs.is_empty());
    assert_ne!(Block::empty(9, &parent).hash(), a.hash());
    let back = Block::from_parts(&a.header.to_bytes(), &a.body_bytes()).unwrap();
    assert_eq!(back, a);
}
