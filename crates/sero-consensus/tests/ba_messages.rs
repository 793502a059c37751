//! BA★ messages: encodings, and one rejection per way to cheat.

mod ba_common;

use ba_common::{context, keys};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sero_consensus::ba::{
    proposer_credential, sign_proposal, sign_vote, sign_vote_in, verify_certificate,
    verify_proposal, verify_vote, BaParams, Certificate, DecisionKind, Message, MessageError,
    Proposal, RoundContext, ValidatorKeys, Vote, VotePublicKey, VoteStep, MAX_CERTIFICATE_LEN,
    PROPOSAL_LEN, VOTE_LEN,
};
use sero_consensus::{prove, sortition_alpha, SortitionParams};

struct Fx {
    ks: Vec<ValidatorKeys>,
    ctx: RoundContext,
    params: BaParams,
}

fn fx() -> Fx {
    let ks = keys(4);
    let ctx = context(&ks, &[10; 4], 5);
    Fx {
        ks,
        ctx,
        params: BaParams::devnet(),
    }
}

impl Fx {
    fn vote(&self, who: usize, step: VoteStep, value: [u8; 32]) -> Vote {
        sign_vote(&self.ctx, &self.params, &self.ks[who], step, value)
            .unwrap()
            .unwrap()
            .into_vote()
    }
    fn proposal(&self, who: usize) -> Proposal {
        let cred = proposer_credential(&self.ctx, &self.params, &self.ks[who])
            .unwrap()
            .expect("selected");
        sign_proposal(&self.ctx, &self.ks[who], &cred, [0xb1; 32])
            .proposal()
            .clone()
    }
    fn check(&self, v: &Vote) -> Result<u64, MessageError> {
        verify_vote(&self.ctx, &self.params, v).map(|vv| vv.weight())
    }
}

fn proposer_index(f: &Fx) -> usize {
    (0..4)
        .find(|&i| {
            proposer_credential(&f.ctx, &f.params, &f.ks[i])
                .unwrap()
                .is_some()
        })
        .unwrap()
}

#[test]
fn encodings_round_trip() {
    let f = fx();
    for step in [
        VoteStep::Reduction1,
        VoteStep::Reduction2,
        VoteStep::Binary(1),
        VoteStep::Binary(153),
        VoteStep::Final,
    ] {
        let v = f.vote(1, step, [3; 32]);
        let b = v.to_bytes();
        assert_eq!(b.len(), VOTE_LEN);
        assert_eq!(Vote::from_bytes(&b).unwrap(), v);
        assert_eq!(Message::from_bytes(&b).unwrap(), Message::Vote(v.clone()));
        assert_eq!(Message::Vote(v).to_bytes(), b);
    }
    let p = f.proposal(proposer_index(&f));
    let b = p.to_bytes();
    assert_eq!(b.len(), PROPOSAL_LEN);
    assert_eq!(Proposal::from_bytes(&b).unwrap(), p);
    assert_eq!(Message::from_bytes(&b).unwrap(), Message::Proposal(p));

    let cert = Certificate {
        round: 5,
        value: [3; 32],
        kind: DecisionKind::Final,
        step: VoteStep::Final,
        period: 0,
        votes: (0..3)
            .map(|i| f.vote(i, VoteStep::Final, [3; 32]))
            .collect(),
    };
    let b = cert.to_bytes();
    assert_eq!(Certificate::from_bytes(&b).unwrap(), cert);
}

#[test]
fn decoding_rejects_garbage() {
    let f = fx();
    let v = f.vote(0, VoteStep::Binary(2), [3; 32]).to_bytes();
    let malformed = |r: Result<Vote, MessageError>| matches!(r, Err(MessageError::Malformed(_)));
    // Truncated, trailing bytes, oversize.
    for n in 0..v.len() {
        assert!(malformed(Vote::from_bytes(&v[..n])), "prefix {n}");
        assert!(Message::from_bytes(&v[..n]).is_err());
    }
    let mut long = v.clone();
    long.push(0);
    assert!(malformed(Vote::from_bytes(&long)));
    assert!(malformed(Vote::from_bytes(&vec![0; 1 << 20])));
    // Version, type, step codes.
    let mut b = v.clone();
    b[0] = 2;
    assert!(malformed(Vote::from_bytes(&b)));
    let mut b = v.clone();
    b[1] = 1;
    assert!(malformed(Vote::from_bytes(&b)));
    let mut b = v.clone();
    b[1] = 9;
    assert!(Message::from_bytes(&b).is_err());
    let step_at = 10;
    for (code, n) in [(0u8, 0u32), (5, 0), (3, 0), (1, 1), (4, 7)] {
        let mut b = v.clone();
        b[step_at] = code;
        b[step_at + 1..step_at + 5].copy_from_slice(&n.to_le_bytes());
        assert!(malformed(Vote::from_bytes(&b)), "step {code}/{n}");
    }
    // A weak (small-order) voter key.
    let voter_at = 2 + 8 + 5 + 32 + 32;
    let mut b = v.clone();
    b[voter_at..voter_at + 32].copy_from_slice(&{
        let mut id = [0u8; 32];
        id[0] = 1;
        id
    });
    assert!(malformed(Vote::from_bytes(&b)));
    // Random bytes never panic and never decode.
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    for _ in 0..2000 {
        let n = rng.gen_range(0..600);
        let mut junk: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
        if rng.gen::<bool>() && n > 2 {
            junk[0] = 1;
            junk[1] = rng.gen_range(1..4);
        }
        let _ = Message::from_bytes(&junk);
        let _ = Certificate::from_bytes(&junk);
    }
    // Certificates: count/length mismatch, oversize, bad kind.
    let cert = Certificate {
        round: 5,
        value: [3; 32],
        kind: DecisionKind::Final,
        step: VoteStep::Final,
        period: 0,
        votes: vec![f.vote(0, VoteStep::Final, [3; 32])],
    };
    let b = cert.to_bytes();
    assert!(Certificate::from_bytes(&b[..b.len() - 1]).is_err());
    let mut t = b.clone();
    t.push(1);
    assert!(Certificate::from_bytes(&t).is_err());
    let mut k = b.clone();
    k[42] = 3;
    assert!(Certificate::from_bytes(&k).is_err());
    let mut c = b.clone();
    c[48..52].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(Certificate::from_bytes(&c).is_err());
    assert!(Certificate::from_bytes(&vec![1u8; MAX_CERTIFICATE_LEN + 1]).is_err());
}

#[test]
fn honest_messages_verify() {
    let f = fx();
    assert_eq!(f.check(&f.vote(2, VoteStep::Reduction1, [1; 32])), Ok(10));
    let p = f.proposal(proposer_index(&f));
    verify_proposal(&f.ctx, &f.params, &p).unwrap();
}

#[test]
fn vote_for_another_round_or_chain() {
    let f = fx();
    let v = f.vote(0, VoteStep::Reduction1, [1; 32]);
    let mut other = f.ctx.clone();
    other.round = 6;
    assert_eq!(
        verify_vote(&other, &f.params, &v).unwrap_err(),
        MessageError::WrongRound {
            expected: 6,
            got: 5
        }
    );
    let mut other = f.ctx.clone();
    other.prev_hash = [1; 32];
    assert_eq!(
        verify_vote(&other, &f.params, &v).unwrap_err(),
        MessageError::WrongPrevHash
    );
    // Editing the round or the chain breaks the signature.
    let mut r = v.clone();
    r.prev_hash = [1; 32];
    assert_eq!(
        verify_vote(&other, &f.params, &r).unwrap_err(),
        MessageError::BadSignature
    );
}

#[test]
fn vote_by_an_unknown_voter() {
    let f = fx();
    let outsider = ValidatorKeys::from_seed(&[200; 32]);
    let mut v = f.vote(0, VoteStep::Reduction1, [1; 32]);
    v.voter = outsider.vote_public();
    v.sign(&outsider.vote);
    assert_eq!(f.check(&v), Err(MessageError::UnknownVoter));
}

#[test]
fn forged_signatures() {
    let f = fx();
    let v = f.vote(0, VoteStep::Reduction1, [1; 32]);
    // Another value under the same signature.
    let mut w = v.clone();
    w.value = [2; 32];
    assert_eq!(f.check(&w), Err(MessageError::BadSignature));
    // Signed by another validator's key.
    let mut w = v.clone();
    w.sign(&f.ks[1].vote);
    assert_eq!(f.check(&w), Err(MessageError::BadSignature));
    // A flipped bit.
    let mut w = v.clone();
    w.signature[5] ^= 1;
    assert_eq!(f.check(&w), Err(MessageError::BadSignature));
    // Proposals too.
    let mut p = f.proposal(proposer_index(&f));
    p.block_hash = [9; 32];
    assert_eq!(
        verify_proposal(&f.ctx, &f.params, &p).unwrap_err(),
        MessageError::BadSignature
    );
}

#[test]
fn credential_for_another_step() {
    let f = fx();
    let r1 = f.vote(0, VoteStep::Reduction1, [1; 32]);
    // Reuse the reduction-1 credential in reduction step 2, re-signed.
    let mut v = f.vote(0, VoteStep::Reduction2, [1; 32]);
    v.credential = r1.credential;
    v.sign(&f.ks[0].vote);
    assert_eq!(f.check(&v), Err(MessageError::BadVrfProof));
    // A vote credential as a proposer credential.
    let i = proposer_index(&f);
    let mut p = f.proposal(i);
    p.credential = f.vote(i, VoteStep::Reduction1, [1; 32]).credential;
    p.sign(&f.ks[i].vote);
    assert_eq!(
        verify_proposal(&f.ctx, &f.params, &p).unwrap_err(),
        MessageError::BadVrfProof
    );
    // Garbage proof bytes.
    let mut v = f.vote(0, VoteStep::Final, [1; 32]);
    v.credential = [0xff; 80];
    v.sign(&f.ks[0].vote);
    assert_eq!(f.check(&v), Err(MessageError::BadVrfProof));
}

#[test]
fn credential_of_another_validator() {
    let f = fx();
    let theirs = f.vote(1, VoteStep::Reduction1, [1; 32]);
    let mut v = f.vote(0, VoteStep::Reduction1, [1; 32]);
    v.credential = theirs.credential;
    v.sign(&f.ks[0].vote);
    assert_eq!(f.check(&v), Err(MessageError::BadVrfProof));
}

#[test]
fn not_selected() {
    // Paper committees over a large stake: a validator with 1 unit of
    // 1,000,000 is selected in a step with probability 0.2 %.
    let ks = keys(2);
    let ctx = context(&ks, &[1, 999_999], 5);
    let params = BaParams::production();
    let step = (1..200u32)
        .map(VoteStep::Binary)
        .find(|&s| {
            sign_vote(&ctx, &params, &ks[0], s, [1; 32])
                .unwrap()
                .is_none()
        })
        .unwrap();
    assert!(sign_vote(&ctx, &params, &ks[0], step, [1; 32])
        .unwrap()
        .is_none());
    let (_, proof) = prove(
        &ks[0].vrf,
        &sortition_alpha(&ctx.seed, ctx.round, step.sortition_step()),
    );
    let sp = SortitionParams {
        stake: 1,
        total: 1_000_000,
        tau: params.tau_step,
    };
    sp.validate().unwrap();
    let mut v = Vote {
        round: 5,
        step,
        period: 0,
        prev_hash: ctx.prev_hash,
        value: [1; 32],
        voter: ks[0].vote_public(),
        credential: proof,
        signature: [0; 64],
    };
    v.sign(&ks[0].vote);
    assert_eq!(
        verify_vote(&ctx, &params, &v).unwrap_err(),
        MessageError::NotSelected
    );
}

#[test]
fn step_out_of_range() {
    let f = fx();
    let s = f.params.max_steps + 4;
    let v = f.vote(0, VoteStep::Binary(s), [1; 32]);
    assert_eq!(f.check(&v), Err(MessageError::BadStep));
    let ok = f.vote(0, VoteStep::Binary(s - 1), [1; 32]);
    assert!(f.check(&ok).is_ok());
}

fn final_cert(f: &Fx, voters: &[usize], value: [u8; 32]) -> Certificate {
    Certificate {
        round: 5,
        value,
        kind: DecisionKind::Final,
        step: VoteStep::Final,
        period: 0,
        votes: voters
            .iter()
            .map(|&i| f.vote(i, VoteStep::Final, value))
            .collect(),
    }
}

#[test]
fn certificates() {
    let f = fx();
    let x = [7; 32];
    let good = final_cert(&f, &[0, 1, 2], x);
    verify_certificate(&f.ctx, &f.params, &good).unwrap();
    // Too little weight.
    assert_eq!(
        verify_certificate(&f.ctx, &f.params, &final_cert(&f, &[0, 1], x)),
        Err(MessageError::InsufficientWeight { weight: 20 })
    );
    assert_eq!(
        verify_certificate(&f.ctx, &f.params, &final_cert(&f, &[], x)),
        Err(MessageError::InsufficientWeight { weight: 0 })
    );
    // A duplicate voter does not add weight.
    let dup = final_cert(&f, &[0, 1, 1], x);
    assert_eq!(
        verify_certificate(&f.ctx, &f.params, &dup),
        Err(MessageError::DuplicateVoter)
    );
    // Mixed steps.
    let mut mixed = final_cert(&f, &[0, 1], x);
    mixed.votes.push(f.vote(2, VoteStep::Binary(1), x));
    assert_eq!(
        verify_certificate(&f.ctx, &f.params, &mixed),
        Err(MessageError::CertificateMismatch)
    );
    // Mixed values.
    let mut mixed = final_cert(&f, &[0, 1], x);
    mixed.votes.push(f.vote(2, VoteStep::Final, [8; 32]));
    assert_eq!(
        verify_certificate(&f.ctx, &f.params, &mixed),
        Err(MessageError::CertificateMismatch)
    );
    // A forged vote inside.
    let mut forged = good.clone();
    forged.votes[2].signature[0] ^= 1;
    assert_eq!(
        verify_certificate(&f.ctx, &f.params, &forged),
        Err(MessageError::BadSignature)
    );
    // Final kind with binary votes; tentative with a step that cannot decide.
    let binary = |s: u32, value: [u8; 32], kind| Certificate {
        round: 5,
        value,
        kind,
        step: VoteStep::Binary(s),
        period: 0,
        votes: (0..3)
            .map(|i| f.vote(i, VoteStep::Binary(s), value))
            .collect(),
    };
    assert_eq!(
        verify_certificate(&f.ctx, &f.params, &binary(1, x, DecisionKind::Final)),
        Err(MessageError::BadStep)
    );
    verify_certificate(&f.ctx, &f.params, &binary(1, x, DecisionKind::Tentative)).unwrap();
    verify_certificate(&f.ctx, &f.params, &binary(4, x, DecisionKind::Tentative)).unwrap();
    let e = f.ctx.empty_hash;
    verify_certificate(&f.ctx, &f.params, &binary(2, e, DecisionKind::Tentative)).unwrap();
    for (s, v) in [(2, x), (1, e), (3, x), (3, e)] {
        assert_eq!(
            verify_certificate(&f.ctx, &f.params, &binary(s, v, DecisionKind::Tentative)),
            Err(MessageError::BadStep),
            "step {s}"
        );
    }
    // Another round, another chain.
    let mut other = f.ctx.clone();
    other.round = 6;
    assert!(matches!(
        verify_certificate(&other, &f.params, &good),
        Err(MessageError::WrongRound { .. })
    ));
    let mut other = f.ctx.clone();
    other.prev_hash = [0; 32];
    assert_eq!(
        verify_certificate(&other, &f.params, &good),
        Err(MessageError::WrongPrevHash)
    );
}

#[test]
fn vote_keys_are_canonical() {
    let k = keys(1)[0].vote_public();
    assert_eq!(VotePublicKey::from_bytes(&k.to_bytes()).unwrap(), k);
    let mut id = [0u8; 32];
    id[0] = 1;
    assert!(VotePublicKey::from_bytes(&id).is_err());
}

#[test]
fn recovery_period_votes_are_bound_to_their_period() {
    let f = fx();
    let v1 = sign_vote_in(
        &f.ctx,
        &f.params,
        &f.ks[0],
        VoteStep::Reduction1,
        1,
        [0xb1; 32],
    )
    .unwrap()
    .unwrap()
    .into_vote();
    assert_eq!(v1.period, 1);
    assert_eq!(f.check(&v1), Ok(10));
    // Round trip keeps the period.
    assert_eq!(Vote::from_bytes(&v1.to_bytes()).unwrap(), v1);
    // Moving it to another period breaks the signature ...
    let mut moved = v1.clone();
    moved.period = 0;
    assert_eq!(f.check(&moved), Err(MessageError::BadSignature));
    moved.period = 2;
    assert_eq!(f.check(&moved), Err(MessageError::BadSignature));
    // ... and re-signing it does not help: the credential is for period 1.
    moved.sign(&f.ks[0].vote);
    assert_eq!(f.check(&moved), Err(MessageError::BadVrfProof));
    // A certificate mixing periods is rejected.
    let mut cert = final_cert(&f, &[0, 1, 2], [0xb1; 32]);
    verify_certificate(&f.ctx, &f.params, &cert).unwrap();
    cert.votes[2] = sign_vote_in(&f.ctx, &f.params, &f.ks[2], VoteStep::Final, 1, [0xb1; 32])
        .unwrap()
        .unwrap()
        .into_vote();
    assert_eq!(
        verify_certificate(&f.ctx, &f.params, &cert),
        Err(MessageError::CertificateMismatch)
    );
    // A whole period-1 certificate verifies, and encodes its period.
    cert.period = 1;
    cert.votes = (0..3)
        .map(|i| {
            sign_vote_in(&f.ctx, &f.params, &f.ks[i], VoteStep::Final, 1, [0xb1; 32])
                .unwrap()
                .unwrap()
                .into_vote()
        })
        .collect();
    verify_certificate(&f.ctx, &f.params, &cert).unwrap();
    assert_eq!(Certificate::from_bytes(&cert.to_bytes()).unwrap(), cert);
}
