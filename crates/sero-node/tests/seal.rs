//! The consensus seal rules (`sero_node::seal`), one test per way to cheat:
//! a proposed block is accepted only with the proposer's own valid
//! credential, a seed proof for this round, and a signature over this
//! header; an empty block only in its canonical form; genesis and dev seals
//! never after genesis.

use sero_consensus::ba::{BaParams, ValidatorKeys, VoteSecretKey};
use sero_consensus::{round_seed, seed_alpha, select, vrf, SortitionParams, Step};
use sero_keys::{SecretKey, Seed};
use sero_ledger::block::{Block, ProposerSeal, Seal};
use sero_node::chain::genesis_block;
use sero_node::seal::{validator_set, verify_seal, SealError};
use sero_node::{Chain, ChainConfig, GenesisValidator};
use sero_zk::params::Parameters;
use std::sync::Arc;

fn keys(i: u8) -> ValidatorKeys {
    ValidatorKeys::from_seed(&[i; 32])
}

fn open(dir: &std::path::Path) -> Chain {
    let owner = SecretKey::from_seed(&Seed::from_bytes([9; 32])).payment_address();
    let validators: Vec<GenesisValidator> = (1..=4)
        .map(|i| {
            let k = keys(i);
            GenesisValidator {
                vote_key: k.vote.public_key().to_bytes(),
                vrf_key: k.vrf.public_key().to_bytes(),
                stake: 1000,
                refund: owner.derive_pkr_with(&sero_crypto::Scalar::from(i as u64)),
            }
        })
        .collect();
    let premine = vec![(
        owner.derive_pkr_with(&sero_crypto::Scalar::from(99u64)),
        1_000u128,
    )];
    let cfg = ChainConfig::default();
    Chain::open(
        &dir.join("chain.redb"),
        Arc::new(Parameters::dev().clone()),
        cfg.clone(),
        || genesis_block(&premine, &validators, 0, &cfg),
    )
    .unwrap()
}

/// A proposer among the genesis validators and its credential for round 1.
fn proposer(chain: &Chain, params: &BaParams) -> (ValidatorKeys, sero_consensus::Credential) {
    let seed = chain.seed(0).unwrap().unwrap();
    for i in 1..=4 {
        let k = keys(i);
        let sp = SortitionParams {
            stake: 1000,
            total: 4000,
            tau: params.tau_proposer,
        };
        if let Some(c) = select(&k.vrf, &seed, 1, Step::Proposer, &sp).unwrap() {
            return (k, c);
        }
    }
    panic!("no proposer among four validators");
}

fn coinbase() -> sero_keys::OneTimeAddress {
    SecretKey::from_seed(&Seed::from_bytes([8; 32]))
        .payment_address()
        .derive_pkr_with(&sero_crypto::Scalar::from(1u64))
}

/// A proposed block for round 1 with the given seal parts, signed by `signer`.
fn proposed(
    chain: &Chain,
    proposer: [u8; 32],
    seed_proof: [u8; 80],
    credential: [u8; 80],
    signer: &VoteSecretKey,
) -> Block {
    let seal = Seal::Proposed(ProposerSeal {
        proposer,
        seed_proof,
        credential,
        license: None,
        signature: [0; 64],
    });
    let mut b = chain.build_block(vec![], &coinbase(), 10, seal).unwrap();
    let sig = signer.sign(&b.header.signing_hash());
    if let Seal::Proposed(s) = &mut b.header.seal {
        s.signature = sig;
    }
    b
}

#[test]
fn seals_accept_the_honest_proposal_and_reject_every_forgery() {
    let dir = tempfile::tempdir().unwrap();
    let chain = open(dir.path());
    let params = BaParams::devnet();
    let vset = validator_set(&chain).unwrap();
    assert_eq!(vset.total(), 4000);
    let seed0 = chain.seed(0).unwrap().unwrap();
    let (k, cred) = proposer(&chain, &params);
    let me = k.vote.public_key().to_bytes();
    let (beta, seed_proof) = vrf::prove(&k.vrf, &seed_alpha(&seed0, 1));
    let check = |b: &Block| verify_seal(&chain, &vset, &params, None, b);

    // The honest proposal: its seed chains the VRF output.
    let good = proposed(&chain, me, seed_proof, cred.proof, &k.vote);
    assert_eq!(check(&good).unwrap(), round_seed(&seed0, Some(&beta), 1));
    chain.validate_block(&good).unwrap();

    // Signed by another validator's key.
    let other = keys(if me == keys(1).vote.public_key().to_bytes() {
        2
    } else {
        1
    });
    let b = proposed(&chain, me, seed_proof, cred.proof, &other.vote);
    assert!(
        matches!(check(&b), Err(SealError::Signature)),
        "{:?}",
        check(&b)
    );

    // Header changed after signing.
    let mut b = good.clone();
    b.header.time += 1;
    assert!(matches!(check(&b), Err(SealError::Signature)));

    // Zero signature.
    let mut b = good.clone();
    if let Seal::Proposed(s) = &mut b.header.seal {
        s.signature = [0; 64];
    }
    assert!(matches!(check(&b), Err(SealError::Signature)));

    // Another validator's credential under our name.
    let sp = SortitionParams {
        stake: 1000,
        total: 4000,
        tau: 4000,
    };
    let theirs = select(&other.vrf, &seed0, 1, Step::Proposer, &sp)
        .unwrap()
        .unwrap();
    let b = proposed(&chain, me, seed_proof, theirs.proof, &k.vote);
    assert!(matches!(check(&b), Err(SealError::Credential(_))));

    // Our credential for another role (a committee step).
    let step = select(&k.vrf, &seed0, 1, Step::Committee(1), &sp)
        .unwrap()
        .unwrap();
    let b = proposed(&chain, me, seed_proof, step.proof, &k.vote);
    assert!(matches!(check(&b), Err(SealError::Credential(_))));

    // A seed proof for another round, or by another key.
    let (_, wrong_round) = vrf::prove(&k.vrf, &seed_alpha(&seed0, 2));
    let b = proposed(&chain, me, wrong_round, cred.proof, &k.vote);
    assert!(matches!(check(&b), Err(SealError::SeedProof(_))));
    let (_, wrong_key) = vrf::prove(&other.vrf, &seed_alpha(&seed0, 1));
    let b = proposed(&chain, me, wrong_key, cred.proof, &k.vote);
    assert!(matches!(check(&b), Err(SealError::SeedProof(_))));

    // A proposer outside the registry (with a self-consistent seal).
    let stranger = keys(77);
    let (_, sp_proof) = vrf::prove(&stranger.vrf, &seed_alpha(&seed0, 1));
    let b = proposed(
        &chain,
        stranger.vote.public_key().to_bytes(),
        sp_proof,
        cred.proof,
        &stranger.vote,
    );
    assert!(matches!(check(&b), Err(SealError::UnknownProposer)));

    // The empty block: only its canonical form.
    let parent = chain.header(0).unwrap().unwrap();
    let empty = Block::empty(1, &parent);
    assert_eq!(check(&empty).unwrap(), round_seed(&seed0, None, 1));
    let mut b = empty.clone();
    b.coinbase = good.coinbase.clone();
    assert!(matches!(check(&b), Err(SealError::NotEmpty)));
    let mut b = empty.clone();
    b.header.time += 5;
    assert!(matches!(check(&b), Err(SealError::NotEmpty)));

    // Dev and genesis seals after genesis.
    let mut b = good.clone();
    b.header.seal = Seal::Dev;
    assert!(matches!(check(&b), Err(SealError::Kind)));
    let mut b = good;
    b.header.seal = Seal::Genesis {
        config_hash: [1; 32],
    };
    assert!(matches!(check(&b), Err(SealError::Kind)));
}
