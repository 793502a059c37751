//! The light client's header verifier (`sero_ledger::light`): an honest
//! chain with a stake change verifies, and one test per way a node could
//! cheat a wallet — each refused, the verifier left where it was.

use sero_consensus::ba::{
    sign_vote, BaParams, Certificate, DecisionKind, MessageError, RoundContext, ValidatorKeys,
    ValidatorSet, VoteStep,
};
use sero_consensus::{seed_alpha, select, vrf, SortitionParams, Step};
use sero_crypto::Base;
use sero_ledger::block::{validators_hash, Block, BlockHeader, ProposerSeal, Seal};
use sero_ledger::light::{HeaderVerifier, LightError, LightState, ValidatorEntry};
use sero_ledger::seal::SealError;
use std::sync::Arc;

fn keys(i: u8) -> ValidatorKeys {
    ValidatorKeys::from_seed(&[i; 32])
}

fn entry(i: u8, stake: u64) -> ValidatorEntry {
    let k = keys(i);
    (
        k.vote.public_key().to_bytes(),
        k.vrf.public_key().to_bytes(),
        stake,
    )
}

fn set_of(entries: &[ValidatorEntry]) -> Arc<ValidatorSet> {
    Arc::new(
        ValidatorSet::new(
            entries
                .iter()
                .map(|(vote, _, stake)| {
                    let i = (1..=20u8)
                        .find(|i| keys(*i).vote.public_key().to_bytes() == *vote)
                        .unwrap();
                    keys(i).validator(*stake)
                })
                .collect(),
        )
        .unwrap(),
    )
}

fn key_of(vote: &[u8; 32]) -> ValidatorKeys {
    let i = (1..=20u8)
        .find(|i| keys(*i).vote.public_key().to_bytes() == *vote)
        .unwrap();
    keys(i)
}

fn params() -> BaParams {
    BaParams::devnet()
}

fn genesis_set() -> Vec<ValidatorEntry> {
    (1..=4).map(|i| entry(i, 1000)).collect()
}

fn genesis() -> BlockHeader {
    BlockHeader {
        height: 0,
        parent: [0; 32],
        time: 1_700_000_000,
        tx_root: [0; 32],
        note_root: Base::from(11u64),
        leaf_count: 3,
        state_root: [0x5c; 32],
        validators_hash: validators_hash(&genesis_set()),
        seal: Seal::Genesis {
            config_hash: [9; 32],
        },
    }
}

const SEED0: [u8; 32] = [0x42; 32];

/// The chain as a node holds it: headers, their seeds and the validator
/// set of each round.
#[derive(Clone)]
struct Tip {
    header: BlockHeader,
    seed: [u8; 32],
    set: Vec<ValidatorEntry>,
}

/// A proposed header on `tip`, whose validators after it are `next`.
fn propose(tip: &Tip, next: &[ValidatorEntry]) -> (BlockHeader, [u8; 32]) {
    let h = tip.header.height + 1;
    let total: u64 = tip.set.iter().map(|e| e.2).sum();
    for (vote, _, stake) in &tip.set {
        let k = key_of(vote);
        let sp = SortitionParams {
            stake: *stake,
            total,
            tau: params().tau_proposer,
        };
        let Some(cred) = select(&k.vrf, &tip.seed, h, Step::Proposer, &sp).unwrap() else {
            continue;
        };
        let (beta, seed_proof) = vrf::prove(&k.vrf, &seed_alpha(&tip.seed, h));
        let mut header = BlockHeader {
            height: h,
            parent: tip.header.hash(),
            time: tip.header.time + 7,
            tx_root: [h as u8; 32],
            note_root: Base::from(1000 + h),
            leaf_count: tip.header.leaf_count + 2,
            state_root: [0x30 + h as u8; 32],
            validators_hash: validators_hash(next),
            seal: Seal::Proposed(ProposerSeal {
                proposer: *vote,
                seed_proof,
                credential: cred.proof,
                license: None,
                signature: [0; 64],
            }),
        };
        let sig = k.vote.sign(&header.signing_hash());
        if let Seal::Proposed(s) = &mut header.seal {
            s.signature = sig;
        }
        return (
            header,
            sero_consensus::round_seed(&tip.seed, Some(&beta), h),
        );
    }
    panic!("no proposer selected");
}

fn ctx(tip: &Tip, set: Arc<ValidatorSet>) -> RoundContext {
    let h = tip.header.height + 1;
    RoundContext {
        round: h,
        prev_hash: tip.header.hash(),
        seed: tip.seed,
        empty_hash: Block::empty(h, &tip.header).hash(),
        validators: set,
    }
}

/// A Final certificate for `value` in the round after `tip`, by the
/// validators `voters` (signing with a context whose set is `signing`).
fn certify(tip: &Tip, value: [u8; 32], voters: &[u8], signing: &[ValidatorEntry]) -> Certificate {
    let c = ctx(tip, set_of(signing));
    let votes = voters
        .iter()
        .map(|i| {
            sign_vote(&c, &params(), &keys(*i), VoteStep::Final, value)
                .unwrap()
                .expect("full committee")
                .into_vote()
        })
        .collect();
    Certificate {
        round: tip.header.height + 1,
        value,
        kind: DecisionKind::Final,
        step: VoteStep::Final,
        period: 0,
        votes,
    }
}

fn voters_of(set: &[ValidatorEntry]) -> Vec<u8> {
    set.iter()
        .map(|(v, _, _)| {
            (1..=20u8)
                .find(|i| keys(*i).vote.public_key().to_bytes() == *v)
                .unwrap()
        })
        .collect()
}

fn start() -> (HeaderVerifier, Tip) {
    let v = HeaderVerifier::from_genesis(genesis(), SEED0, &genesis_set(), params(), None).unwrap();
    let tip = Tip {
        header: genesis(),
        seed: SEED0,
        set: genesis_set(),
    };
    (v, tip)
}

/// The honest next block on `tip` (validators after it: `next`).
fn honest(tip: &Tip, next: &[ValidatorEntry]) -> (BlockHeader, Certificate, Tip) {
    let (header, seed) = propose(tip, next);
    let cert = certify(tip, header.hash(), &voters_of(&tip.set), &tip.set);
    let t = Tip {
        header: header.clone(),
        seed,
        set: next.to_vec(),
    };
    (header, cert, t)
}

/// Runs `f` on a verifier and checks it left the state unchanged.
fn refused(
    v: &mut HeaderVerifier,
    f: impl FnOnce(&mut HeaderVerifier) -> LightError,
) -> LightError {
    let before = v.state().clone();
    let e = f(v);
    assert_eq!(
        v.state(),
        &before,
        "a refused header must not move the verifier"
    );
    e
}

#[test]
fn an_honest_chain_with_a_stake_change_verifies_and_resumes() {
    let (mut v, tip0) = start();
    let (h1, c1, tip1) = honest(&tip0, &genesis_set());
    assert_eq!(v.verify_next(&h1, &c1, None).unwrap(), DecisionKind::Final);
    // Block 2 registers validator 5 (stake 2500): its header commits to
    // the new set, which the node must supply.
    let mut bigger = genesis_set();
    bigger.push(entry(5, 2500));
    let (h2, c2, tip2) = honest(&tip1, &bigger);
    assert!(matches!(
        refused(&mut v, |v| v.verify_next(&h2, &c2, None).unwrap_err()),
        LightError::MissingValidatorSet(2)
    ));
    v.verify_next(&h2, &c2, Some(&bigger)).unwrap();
    assert_eq!(v.state().validators.len(), 5);
    // Round 3 is voted by the new set: without validator 5 (2500 of 6500)
    // the old four have only 61.5 %, below the 66.7 % threshold.
    let (h3, _, tip3) = honest(&tip2, &bigger);
    let short = certify(&tip2, h3.hash(), &[1, 2, 3, 4], &bigger);
    assert!(matches!(
        refused(&mut v, |v| v.verify_next(&h3, &short, None).unwrap_err()),
        LightError::Certificate(3, MessageError::InsufficientWeight { .. })
    ));
    let c3 = certify(&tip2, h3.hash(), &[1, 2, 5], &bigger);
    v.verify_next(&h3, &c3, None).unwrap();
    assert_eq!(v.state().finalized, 3);
    assert_eq!(v.state().seed, tip3.seed);

    // The state survives a round trip and the verifier resumes from it.
    let saved = LightState::from_bytes(&v.state().to_bytes()).unwrap();
    assert_eq!(&saved, v.state());
    let mut again = HeaderVerifier::resume(saved, params(), None).unwrap();
    let (h4, c4, _) = honest(&tip3, &bigger);
    again.verify_next(&h4, &c4, None).unwrap();
    assert_eq!(again.height(), 4);
    // A saved state whose validators are not its header's is refused.
    let mut bad = v.state().clone();
    bad.validators[0].2 += 1;
    assert!(LightState::from_bytes(&bad.to_bytes()).is_err());
}

#[test]
fn the_genesis_set_must_match_the_genesis_header() {
    let mut other = genesis_set();
    other[0].2 = 999;
    assert!(matches!(
        HeaderVerifier::from_genesis(genesis(), SEED0, &other, params(), None),
        Err(LightError::ValidatorSetMismatch(0))
    ));
    // A dev chain (no validators) has nothing to verify blocks by.
    let mut g = genesis();
    g.validators_hash = validators_hash(&[]);
    let mut v = HeaderVerifier::from_genesis(g.clone(), SEED0, &[], params(), None).unwrap();
    let mut next = Block::empty(1, &g).header;
    next.seal = Seal::Dev;
    let cert = certify(&start().1, next.hash(), &[1, 2, 3], &genesis_set());
    assert!(matches!(
        v.verify_next(&next, &cert, None),
        Err(LightError::NoValidators(1))
    ));
}

#[test]
fn wrong_parent_and_skipped_height_are_refused() {
    let (mut v, tip0) = start();
    let (h1, c1, tip1) = honest(&tip0, &genesis_set());
    let (h2, c2, _) = honest(&tip1, &genesis_set());
    // Block 2 before block 1.
    assert!(matches!(
        refused(&mut v, |v| v.verify_next(&h2, &c2, None).unwrap_err()),
        LightError::Height {
            expected: 1,
            got: 2
        }
    ));
    // A block 1 on another parent, signed and certified by the validators
    // (say, of a fork): not our chain.
    let mut fork = tip0.clone();
    fork.header.time += 1;
    let (f1, fc1, _) = honest(&fork, &genesis_set());
    assert!(matches!(
        refused(&mut v, |v| v.verify_next(&f1, &fc1, None).unwrap_err()),
        LightError::Parent(1)
    ));
    v.verify_next(&h1, &c1, None).unwrap();
}

#[test]
fn forged_and_short_certificates_are_refused() {
    let (mut v, tip0) = start();
    let (h1, c1, tip1) = honest(&tip0, &genesis_set());
    // Too little stake: two of four validators (50 %).
    let short = certify(&tip0, h1.hash(), &[1, 2], &genesis_set());
    assert!(matches!(
        refused(&mut v, |v| v.verify_next(&h1, &short, None).unwrap_err()),
        LightError::Certificate(1, MessageError::InsufficientWeight { .. })
    ));
    // One vote dropped from an honest certificate of three of four.
    let mut dropped = certify(&tip0, h1.hash(), &[1, 2, 3], &genesis_set());
    dropped.votes.pop();
    assert!(matches!(
        refused(&mut v, |v| v.verify_next(&h1, &dropped, None).unwrap_err()),
        LightError::Certificate(1, MessageError::InsufficientWeight { .. })
    ));
    // Votes by keys that are not validators of the round (a node that
    // invents validators signs with them).
    let mut fake = genesis_set();
    fake.extend((6..=9).map(|i| entry(i, 1000)));
    let forged = certify(&tip0, h1.hash(), &[6, 7, 8, 9, 1], &fake);
    assert!(matches!(
        refused(&mut v, |v| v.verify_next(&h1, &forged, None).unwrap_err()),
        LightError::Certificate(1, MessageError::UnknownVoter)
    ));
    // A vote counted twice.
    let mut dup = certify(&tip0, h1.hash(), &[1, 2], &genesis_set());
    dup.votes.push(dup.votes[0].clone());
    assert!(
        refused(&mut v, |v| v.verify_next(&h1, &dup, None).unwrap_err())
            .to_string()
            .contains("certificate")
    );
    // A certificate for another block of the round (the empty block), and
    // one of another round.
    let empty = Block::empty(1, &tip0.header).hash();
    let other = certify(&tip0, empty, &[1, 2, 3, 4], &genesis_set());
    assert!(matches!(
        refused(&mut v, |v| v.verify_next(&h1, &other, None).unwrap_err()),
        LightError::CertificateForAnotherBlock(1)
    ));
    let (h2, c2, _) = honest(&tip1, &genesis_set());
    let mut relabelled = c2.clone();
    relabelled.round = 1;
    relabelled.value = h1.hash();
    assert!(matches!(
        refused(&mut v, |v| v
            .verify_next(&h1, &relabelled, None)
            .unwrap_err()),
        LightError::Certificate(1, _)
    ));
    // A vote signature that does not verify.
    let mut bad_sig = c1.clone();
    bad_sig.votes[0].signature[0] ^= 1;
    assert!(matches!(
        refused(&mut v, |v| v.verify_next(&h1, &bad_sig, None).unwrap_err()),
        LightError::Certificate(1, MessageError::BadSignature)
    ));
    v.verify_next(&h1, &c1, None).unwrap();
    v.verify_next(&h2, &c2, None).unwrap();
}

#[test]
fn validator_sets_must_match_the_header() {
    let (mut v, tip0) = start();
    let mut bigger = genesis_set();
    bigger.push(entry(5, 2500));
    let (h1, c1, _) = honest(&tip0, &bigger);
    // A set that is not the one the header commits to.
    let mut wrong = bigger.clone();
    wrong[4].2 = 250_000;
    assert!(matches!(
        refused(&mut v, |v| v
            .verify_next(&h1, &c1, Some(&wrong))
            .unwrap_err()),
        LightError::ValidatorSetMismatch(1)
    ));
    // An invented stake change: the header keeps the set, the node serves
    // another (e.g. to give its own key weight in the next round).
    let (mut v2, _) = start();
    let (g1, gc1, _) = honest(&tip0, &genesis_set());
    let mut invented = genesis_set();
    invented.push(entry(9, 1_000_000));
    assert!(matches!(
        refused(&mut v2, |v| v
            .verify_next(&g1, &gc1, Some(&invented))
            .unwrap_err()),
        LightError::ValidatorSetMismatch(1)
    ));
    v2.verify_next(&g1, &gc1, Some(&genesis_set())).unwrap();
    v.verify_next(&h1, &c1, Some(&bigger)).unwrap();
}

#[test]
fn bad_seals_are_refused() {
    let (mut v, tip0) = start();
    let (h1, _, _) = honest(&tip0, &genesis_set());
    let with = |f: &dyn Fn(&mut ProposerSeal)| {
        let mut h = h1.clone();
        if let Seal::Proposed(s) = &mut h.seal {
            f(s);
            let k = key_of(&s.proposer);
            s.signature = [0; 64];
            let sig = k.vote.sign(&h.signing_hash());
            if let Seal::Proposed(s) = &mut h.seal {
                s.signature = sig;
            }
        }
        let c = certify(&tip0, h.hash(), &[1, 2, 3, 4], &genesis_set());
        (h, c)
    };
    // A seed proof of another round: the seed chain would fork.
    let (h, c) = with(&|s| {
        let k = key_of(&s.proposer);
        s.seed_proof = vrf::prove(&k.vrf, &seed_alpha(&SEED0, 2)).1;
    });
    assert!(matches!(
        refused(&mut v, |v| v.verify_next(&h, &c, None).unwrap_err()),
        LightError::Seal(1, SealError::SeedProof(_))
    ));
    // Another validator's credential.
    let (h, c) = with(&|s| {
        let k = key_of(&s.proposer);
        let other = (1..=4)
            .map(keys)
            .find(|o| o.vote.public_key().to_bytes() != s.proposer)
            .unwrap();
        let _ = k;
        s.credential = vrf::prove(&other.vrf, b"not a sortition").1;
    });
    assert!(matches!(
        refused(&mut v, |v| v.verify_next(&h, &c, None).unwrap_err()),
        LightError::Seal(1, SealError::Credential(_))
    ));
    // A proposer that is not a validator.
    let mut h = h1.clone();
    if let Seal::Proposed(s) = &mut h.seal {
        s.proposer = keys(9).vote.public_key().to_bytes();
    }
    let c = certify(&tip0, h.hash(), &[1, 2, 3, 4], &genesis_set());
    assert!(matches!(
        refused(&mut v, |v| v.verify_next(&h, &c, None).unwrap_err()),
        LightError::Seal(1, SealError::UnknownProposer)
    ));
    // A non-canonical empty block (keeps the seal, changes the root).
    let mut e = Block::empty(1, &tip0.header).header;
    e.note_root = Base::from(5u64);
    let c = certify(&tip0, e.hash(), &[1, 2, 3, 4], &genesis_set());
    assert!(matches!(
        refused(&mut v, |v| v.verify_next(&e, &c, None).unwrap_err()),
        LightError::Seal(1, SealError::NotEmpty)
    ));
    // The canonical empty block, certified, is accepted.
    let e = Block::empty(1, &tip0.header).header;
    let c = certify(&tip0, e.hash(), &[1, 2, 3, 4], &genesis_set());
    v.verify_next(&e, &c, None).unwrap();
}

#[test]
fn tampered_header_fields_are_refused() {
    let (mut v, tip0) = start();
    let (h1, c1, _) = honest(&tip0, &genesis_set());
    type Tamper = Box<dyn Fn(&mut BlockHeader)>;
    let tampered: Vec<(&str, Tamper)> = vec![
        ("note_root", Box::new(|h| h.note_root += Base::from(1u64))),
        ("leaf_count", Box::new(|h| h.leaf_count += 1)),
        ("state_root", Box::new(|h| h.state_root[0] ^= 1)),
        ("tx_root", Box::new(|h| h.tx_root[31] ^= 1)),
        ("time", Box::new(|h| h.time += 1)),
        ("validators_hash", Box::new(|h| h.validators_hash[0] ^= 1)),
    ];
    for (what, f) in tampered {
        let mut h = h1.clone();
        f(&mut h);
        // As served (the proposer's signature no longer covers it) ...
        let e = refused(&mut v, |v| v.verify_next(&h, &c1, None).unwrap_err());
        assert!(
            matches!(e, LightError::Seal(1, SealError::Signature)),
            "{what}: {e}"
        );
        // ... and even re-signed by the proposer: the certificate is for
        // the original header.
        let sig = match &h.seal {
            Seal::Proposed(s) => key_of(&s.proposer).vote.sign(&h.signing_hash()),
            _ => unreachable!(),
        };
        if let Seal::Proposed(s) = &mut h.seal {
            s.signature = sig;
        }
        let e = refused(&mut v, |v| v.verify_next(&h, &c1, None).unwrap_err());
        assert!(
            matches!(e, LightError::CertificateForAnotherBlock(1)),
            "{what}: {e}"
        );
    }
    // Time going back is refused even when certified.
    let (mut h, _) = propose(&tip0, &genesis_set());
    h.time = tip0.header.time - 1;
    let c = certify(&tip0, h.hash(), &[1, 2, 3, 4], &genesis_set());
    assert!(matches!(
        refused(&mut v, |v| v.verify_next(&h, &c, None).unwrap_err()),
        LightError::Time(1)
    ));
    v.verify_next(&h1, &c1, None).unwrap();
}

#[test]
fn tentative_certificates_verify_but_do_not_finalise() {
    let (mut v, tip0) = start();
    let (h1, _, tip1) = honest(&tip0, &genesis_set());
    let c = ctx(&tip0, set_of(&genesis_set()));
    let votes = (1..=4)
        .map(|i| {
            sign_vote(&c, &params(), &keys(i), VoteStep::Binary(1), h1.hash())
                .unwrap()
                .unwrap()
                .into_vote()
        })
        .collect();
    let tentative = Certificate {
        round: 1,
        value: h1.hash(),
        kind: DecisionKind::Tentative,
        step: VoteStep::Binary(1),
        period: 0,
        votes,
    };
    assert_eq!(
        v.verify_next(&h1, &tentative, None).unwrap(),
        DecisionKind::Tentative
    );
    assert_eq!(v.state().finalized, 0);
    let (h2, c2, _) = honest(&tip1, &genesis_set());
    v.verify_next(&h2, &c2, None).unwrap();
    assert_eq!(v.state().finalized, 2);
}

/// Prints what verifying one header costs (4 validators, a Final
/// certificate of 4 votes): run with `--nocapture` for the figure.
#[test]
fn verification_cost_per_header() {
    let (mut v, mut tip) = start();
    let mut chain = vec![];
    for _ in 0..20 {
        let (h, c, t) = honest(&tip, &genesis_set());
        chain.push((h, c));
        tip = t;
    }
    let t = std::time::Instant::now();
    for (h, c) in &chain {
        v.verify_next(h, c, None).unwrap();
    }
    let per = t.elapsed() / chain.len() as u32;
    eprintln!("header verification: {per:?} per header (4 validators, 4 votes)");
    assert_eq!(v.height(), 20);
}
