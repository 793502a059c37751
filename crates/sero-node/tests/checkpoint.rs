//! Finality checkpoint votes on a node (`sero_node::checkpoint`, protocol
//! §18.9): what a node records from gossip, and one test per vote it must
//! not record — not a checkpoint height, not final here yet, another block
//! or seed, a signer outside the signing set, a forged signature.

use sero_consensus::ba::ValidatorKeys;
use sero_consensus::checkpoint::{CheckpointCertificate, CheckpointError, CheckpointVote};
use sero_consensus::round_seed;
use sero_ledger::block::Block;
use sero_node::checkpoint::{check_vote, record, sign, signing_set, VoteError};
use sero_node::{Chain, GenesisValidator};

mod common;
use common::{key, params};

const K: u64 = 4;

fn keys() -> Vec<ValidatorKeys> {
    (1u8..=4)
        .map(|i| ValidatorKeys::from_seed(&[0x40 + i; 32]))
        .collect()
}

/// A chain of four equal validators with 8 empty blocks, final up to 6.
fn chain(dir: &std::path::Path) -> Chain {
    let refund = key(1).payment_address().derive_pkr_with(&1u64.into());
    let vals: Vec<GenesisValidator> = keys()
        .iter()
        .map(|k| GenesisValidator {
            vote_key: k.vote_public().to_bytes(),
            vrf_key: k.vrf_public().to_bytes(),
            stake: 1000,
            refund,
        })
        .collect();
    let cfg = sero_node::ChainConfig::dev();
    let mut chain = Chain::open(&dir.join("chain.redb"), params(), cfg.clone(), || {
        sero_node::chain::genesis_block(&[], &vals, 0, &cfg)
    })
    .unwrap();
    let mut seed = chain.seed(0).unwrap().unwrap();
    for h in 1..=8 {
        let parent = chain.header(h - 1).unwrap().unwrap();
        seed = round_seed(&seed, None, h);
        chain
            .apply_block_with(&Block::empty(h, &parent), seed, vec![], false)
            .unwrap();
    }
    chain.db().set_finalized(6).unwrap();
    chain
}

fn vote(chain: &Chain, k: &ValidatorKeys, h: u64) -> CheckpointVote {
    let hash = chain.db().hash_at(h).unwrap().unwrap();
    let seed = chain.db().seed_at(h).unwrap().unwrap();
    CheckpointVote::sign(&k.vote, h, hash, seed)
}

#[test]
fn valid_votes_build_a_complete_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let chain = chain(dir.path());
    let ks = keys();
    for k in &ks[..2] {
        let v = vote(&chain, k, 4);
        check_vote(&chain, K, &v).unwrap();
        assert!(record(&chain, &v).unwrap());
        // The same vote again adds nothing.
        assert!(!record(&chain, &v).unwrap());
    }
    // A validator signs its own vote (and records it).
    let own = sign(&chain, K, &ks[2], 4).unwrap().unwrap();
    assert_eq!(own, vote(&chain, &ks[2], 4));
    let stored =
        CheckpointCertificate::from_bytes(&chain.db().checkpoint(4).unwrap().unwrap()).unwrap();
    assert_eq!(stored.signers.len(), 3);
    let set = signing_set(&chain, 4, K).unwrap();
    let hash = chain.db().hash_at(4).unwrap().unwrap();
    let seed = chain.db().seed_at(4).unwrap().unwrap();
    assert_eq!(stored.verify(4, &hash, &seed, &set), Ok(3000));
    // Someone outside the set has nothing to sign.
    let outsider = ValidatorKeys::from_seed(&[9; 32]);
    assert!(sign(&chain, K, &outsider, 4).unwrap().is_none());
}

#[test]
fn a_height_that_is_no_checkpoint_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let chain = chain(dir.path());
    let v = vote(&chain, &keys()[0], 5);
    assert!(matches!(
        check_vote(&chain, K, &v),
        Err(VoteError::Invalid(CheckpointError::NotCheckpoint(5)))
    ));
}

#[test]
fn a_checkpoint_not_final_here_waits() {
    let dir = tempfile::tempdir().unwrap();
    let chain = chain(dir.path());
    let v = vote(&chain, &keys()[0], 8);
    assert!(matches!(
        check_vote(&chain, K, &v),
        Err(VoteError::NotYet(8))
    ));
    // Only a validator's valid vote waits: a forged one or an outsider's
    // is refused at once…
    let mut forged = v.clone();
    forged.signature[0] ^= 1;
    assert!(matches!(
        check_vote(&chain, K, &forged),
        Err(VoteError::Invalid(CheckpointError::BadSignature))
    ));
    let outsider = CheckpointVote::sign(
        &ValidatorKeys::from_seed(&[9; 32]).vote,
        8,
        v.block_hash,
        v.seed,
    );
    assert!(matches!(
        check_vote(&chain, K, &outsider),
        Err(VoteError::Invalid(CheckpointError::UnknownSigner))
    ));
    // …and one beyond the next checkpoint is not considered.
    let far = CheckpointVote::sign(&keys()[0].vote, 12, v.block_hash, v.seed);
    assert!(matches!(
        check_vote(&chain, K, &far),
        Err(VoteError::TooFar(12))
    ));
    // And cannot be stored behind the node's back either.
    assert!(chain.db().put_checkpoint(8, b"x").is_err());
}

#[test]
fn a_vote_for_another_block_or_seed_is_not_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let chain = chain(dir.path());
    let k = &keys()[0];
    let hash = chain.db().hash_at(4).unwrap().unwrap();
    let seed = chain.db().seed_at(4).unwrap().unwrap();
    let mut other = hash;
    other[0] ^= 1;
    for v in [
        CheckpointVote::sign(&k.vote, 4, other, seed),
        CheckpointVote::sign(&k.vote, 4, hash, other),
    ] {
        assert!(matches!(
            check_vote(&chain, K, &v),
            Err(VoteError::OtherBlock(4))
        ));
    }
}

#[test]
fn a_signer_outside_the_set_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let chain = chain(dir.path());
    let v = vote(&chain, &ValidatorKeys::from_seed(&[9; 32]), 4);
    assert!(matches!(
        check_vote(&chain, K, &v),
        Err(VoteError::Invalid(CheckpointError::UnknownSigner))
    ));
}

#[test]
fn a_forged_signature_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let chain = chain(dir.path());
    let mut v = vote(&chain, &keys()[0], 4);
    v.signature[7] ^= 1;
    assert!(matches!(
        check_vote(&chain, K, &v),
        Err(VoteError::Invalid(CheckpointError::BadSignature))
    ));
    // A signature of the validator's vote for another checkpoint.
    let mut v = vote(&chain, &keys()[0], 4);
    v.signature = CheckpointVote::sign(&keys()[0].vote, 8, v.block_hash, v.seed).signature;
    assert!(matches!(
        check_vote(&chain, K, &v),
        Err(VoteError::Invalid(CheckpointError::BadSignature))
    ));
}
