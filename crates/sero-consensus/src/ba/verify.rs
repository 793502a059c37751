//! Checking messages and certificates against a round's context, and
//! signing one's own.
//!
//! # Replays and equivocation
//!
//! A vote's signature covers its round, step, previous block hash and
//! value, and its credential is a VRF proof over the round's seed, round
//! and step, so a vote is valid in exactly one `(round, step, chain)` and
//! for one value: replaying it anywhere else fails verification, and
//! replaying it in its own step is a duplicate, which the agreement counts
//! once per `(voter, step)`. A voter that signs two values in one step
//! (equivocation) gets only its first vote counted by each node; such a
//! voter is Byzantine and its stake is within the adversary's budget. An
//! honest node never equivocates, even across a crash, because its host
//! persists each of its votes before sending it and hands them back to the
//! agreement on restart (`prior_votes`): a step it already voted in is
//! answered with the same vote.
//!
//! Algorand's ephemeral per-step keys add forward security: an adversary
//! who corrupts a key *after* a round cannot sign fresh votes for that
//! round. Here that attack could only produce certificates for old
//! rounds; nodes never roll back a final block they hold, and a node that
//! joins late must start from a trusted recent checkpoint (weak
//! subjectivity), as in every proof-of-stake chain with long-lived keys.
//! So long-lived ed25519 keys suffice.

use super::keys::VotePublicKey;
use super::message::{
    h256, Certificate, DecisionKind, Proposal, Vote, VoteStep, MAX_CERTIFICATE_VOTES,
};
use super::params::BaParams;
use super::validators::RoundContext;
use super::ValidatorKeys;
use crate::credential::{
    proposer_priority, select, verify_selection, Credential, SortitionParams, Step,
    MAX_PRIORITY_SUB_USERS,
};
use crate::error::ConsensusError;
use crate::vrf::OUTPUT_LEN;
use std::collections::HashSet;
use thiserror::Error;

/// BLAKE2b personalisation of the common coin's sub-user hashes.
pub const TAG_COIN: &[u8; 16] = b"SERO_BaCoin_v001";

/// Why a message or certificate is rejected. The host logs it and may
/// score the peer that relayed it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MessageError {
    /// For another round (the host may buffer future rounds).
    #[error("message for round {got}, expected round {expected}")]
    WrongRound {
        /// This node's round.
        expected: u64,
        /// The message's round.
        got: u64,
    },
    /// Extends another chain: the previous block hash differs (a fork, or
    /// this node is behind or ahead).
    #[error("message extends another chain (previous block hash differs)")]
    WrongPrevHash,
    /// The signer is not a validator of this round.
    #[error("signer is not a validator of this round")]
    UnknownVoter,
    /// The ed25519 signature does not verify (strictly).
    #[error("signature does not verify")]
    BadSignature,
    /// The VRF proof is malformed or does not verify for the signer's VRF
    /// key and this role (e.g. a credential for another step, round or
    /// validator).
    #[error("VRF credential does not verify for this signer and role")]
    BadVrfProof,
    /// A valid credential that selects no sub-user.
    #[error("the signer is not selected for this role")]
    NotSelected,
    /// A binary step beyond `max_steps + 3`, or a certificate whose step
    /// cannot decide its value.
    #[error("step out of range or not a deciding step")]
    BadStep,
    /// Bytes that do not decode (wrong version or type, truncated, trailing
    /// bytes, too long, invalid code or key).
    #[error("malformed message: {0}")]
    Malformed(&'static str),
    /// A certificate vote for another round, step or value than the
    /// certificate's.
    #[error("certificate vote does not match the certificate's round, step or value")]
    CertificateMismatch,
    /// Two certificate votes by one voter.
    #[error("certificate contains two votes by one voter")]
    DuplicateVoter,
    /// The certificate's votes do not pass the threshold.
    #[error("certificate weight {weight} does not pass the threshold")]
    InsufficientWeight {
        /// The total weight of the certificate's votes.
        weight: u64,
    },
    /// The parameters or the validator set are unusable (a host bug).
    #[error("invalid consensus parameters: {0}")]
    BadParams(String),
}

/// A proposal that passed [`verify_proposal`]; only that function (and the
/// agreement, for its own proposal) builds one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedProposal {
    proposal: Proposal,
    priority: [u8; 32],
    j: u64,
}

impl VerifiedProposal {
    /// The proposal.
    pub fn proposal(&self) -> &Proposal {
        &self.proposal
    }
    /// Its priority (lower wins).
    pub fn priority(&self) -> [u8; 32] {
        self.priority
    }
    /// The proposer's selected sub-users.
    pub fn sub_users(&self) -> u64 {
        self.j
    }
}

/// A vote that passed [`verify_vote`]; only that function (and the
/// agreement, for its own votes) builds one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedVote {
    vote: Vote,
    weight: u64,
    coin: Option<[u8; 32]>,
}

impl VerifiedVote {
    /// The vote.
    pub fn vote(&self) -> &Vote {
        &self.vote
    }
    /// Its weight `j` (selected sub-users).
    pub fn weight(&self) -> u64 {
        self.weight
    }
    /// The vote, consumed.
    pub fn into_vote(self) -> Vote {
        self.vote
    }
    /// The smallest sub-user hash (common coin input), for binary steps
    /// `s ≡ 0 (mod 3)`.
    pub(crate) fn coin(&self) -> Option<[u8; 32]> {
        self.coin
    }
    pub(crate) fn own(vote: Vote, cred: &Credential) -> Self {
        let coin = coin_hash(vote.step, &cred.output, cred.j);
        VerifiedVote {
            vote,
            weight: cred.j,
            coin,
        }
    }
}

impl VerifiedProposal {
    pub(crate) fn own(proposal: Proposal, cred: &Credential) -> Self {
        VerifiedProposal {
            proposal,
            priority: cred.priority(),
            j: cred.j,
        }
    }
}

/// Whether binary step `s` is a coin step (`s ≡ 0 (mod 3)`).
pub(crate) fn is_coin_step(step: VoteStep) -> bool {
    matches!(step, VoteStep::Binary(s) if s % 3 == 0)
}

/// The common-coin input of a vote (Algorithm 9): the minimum over its
/// sub-users `i = 1..=min(j, MAX_PRIORITY_SUB_USERS)` of
/// `H256("SERO_BaCoin_v001"; β ‖ LE64(i))`, for coin steps only.
fn coin_hash(step: VoteStep, output: &[u8; OUTPUT_LEN], j: u64) -> Option<[u8; 32]> {
    is_coin_step(step).then(|| {
        (1..=j.min(MAX_PRIORITY_SUB_USERS))
            .map(|i| h256(TAG_COIN, &[output, &i.to_le_bytes()]))
            .min()
            .unwrap_or([0xff; 32])
    })
}

/// Whether a quorum for `value` in `step` decides binary BA★: a non-empty
/// value in `Binary(s)`, `s ≡ 1 (mod 3)`, or the empty block in `Binary(s)`,
/// `s ≡ 2 (mod 3)`.
pub fn is_deciding(step: VoteStep, value: &[u8; 32], empty_hash: &[u8; 32]) -> bool {
    match step {
        VoteStep::Binary(s) if s % 3 == 1 => value != empty_hash,
        VoteStep::Binary(s) if s % 3 == 2 => value == empty_hash,
        _ => false,
    }
}

/// The expected committee size of a step.
pub(crate) fn step_tau(params: &BaParams, step: VoteStep) -> u64 {
    match step {
        VoteStep::Final => params.tau_final,
        _ => params.tau_step,
    }
}

fn map_sortition(e: ConsensusError) -> MessageError {
    match e {
        ConsensusError::MalformedProof | ConsensusError::InvalidProof => MessageError::BadVrfProof,
        ConsensusError::NotSelected => MessageError::NotSelected,
        other => MessageError::BadParams(other.to_string()),
    }
}

fn check_chain(ctx: &RoundContext, round: u64, prev: &[u8; 32]) -> Result<(), MessageError> {
    if round != ctx.round {
        return Err(MessageError::WrongRound {
            expected: ctx.round,
            got: round,
        });
    }
    if *prev != ctx.prev_hash {
        return Err(MessageError::WrongPrevHash);
    }
    Ok(())
}

/// Checks a proposal: round, previous block, proposer, signature, and the
/// proposer credential (VRF proof for `Step::Proposer` with `τ_proposer`).
/// Cheap checks come first.
pub fn verify_proposal(
    ctx: &RoundContext,
    params: &BaParams,
    p: &Proposal,
) -> Result<VerifiedProposal, MessageError> {
    check_chain(ctx, p.round, &p.prev_hash)?;
    let v = ctx
        .validators
        .get(&p.proposer)
        .ok_or(MessageError::UnknownVoter)?;
    if !p.proposer.verify(&p.signing_hash(), &p.signature) {
        return Err(MessageError::BadSignature);
    }
    let sp = SortitionParams {
        stake: v.stake,
        total: ctx.validators.total(),
        tau: params.tau_proposer,
    };
    let cred = verify_selection(
        &v.vrf_key,
        &ctx.seed,
        ctx.round,
        Step::Proposer,
        &sp,
        &p.credential,
    )
    .map_err(map_sortition)?;
    Ok(VerifiedProposal {
        priority: proposer_priority(&cred.output, cred.j),
        j: cred.j,
        proposal: p.clone(),
    })
}

/// Checks a vote: round, previous block, step range, voter, signature,
/// and the committee credential for the step (weight `j ≥ 1`). Cheap
/// checks come first.
pub fn verify_vote(
    ctx: &RoundContext,
    params: &BaParams,
    vote: &Vote,
) -> Result<VerifiedVote, MessageError> {
    check_chain(ctx, vote.round, &vote.prev_hash)?;
    if let VoteStep::Binary(s) = vote.step {
        if s == 0 || s > params.max_steps.saturating_add(3) {
            return Err(MessageError::BadStep);
        }
    }
    let v = ctx
        .validators
        .get(&vote.voter)
        .ok_or(MessageError::UnknownVoter)?;
    if !vote.voter.verify(&vote.signing_hash(), &vote.signature) {
        return Err(MessageError::BadSignature);
    }
    let sp = SortitionParams {
        stake: v.stake,
        total: ctx.validators.total(),
        tau: step_tau(params, vote.step),
    };
    let cred = verify_selection(
        &v.vrf_key,
        &ctx.seed,
        ctx.round,
        vote.step.sortition_step_in(vote.period),
        &sp,
        &vote.credential,
    )
    .map_err(map_sortition)?;
    Ok(VerifiedVote {
        coin: coin_hash(vote.step, &cred.output, cred.j),
        weight: cred.j,
        vote: vote.clone(),
    })
}

/// Checks a certificate: every vote for the certificate's round, step,
/// recovery period and value and valid ([`verify_vote`]), voters distinct, the step able to
/// decide the value (`Final` for final certificates; a deciding binary
/// step, see [`is_deciding`], for tentative ones), and the total weight
/// over the step's threshold (`T_final·τ_final` or `T_step·τ_step`).
pub fn verify_certificate(
    ctx: &RoundContext,
    params: &BaParams,
    cert: &Certificate,
) -> Result<(), MessageError> {
    if cert.round != ctx.round {
        return Err(MessageError::WrongRound {
            expected: ctx.round,
            got: cert.round,
        });
    }
    if cert.votes.len() > MAX_CERTIFICATE_VOTES {
        return Err(MessageError::Malformed("too many votes"));
    }
    let step_ok = match cert.kind {
        DecisionKind::Final => cert.step == VoteStep::Final,
        DecisionKind::Tentative => is_deciding(cert.step, &cert.value, &ctx.empty_hash),
    };
    if !step_ok {
        return Err(MessageError::BadStep);
    }
    let mut voters: HashSet<VotePublicKey> = HashSet::with_capacity(cert.votes.len());
    for v in &cert.votes {
        if v.round != cert.round
            || v.step != cert.step
            || v.period != cert.period
            || v.value != cert.value
        {
            return Err(MessageError::CertificateMismatch);
        }
        if !voters.insert(v.voter) {
            return Err(MessageError::DuplicateVoter);
        }
    }
    // The votes' signatures and credentials in parallel; the first
    // failure in vote order is the error.
    use rayon::prelude::*;
    let checked: Vec<_> = cert
        .votes
        .par_iter()
        .map(|v| verify_vote(ctx, params, v))
        .collect();
    let mut weight = 0u64;
    for c in checked {
        weight = weight.saturating_add(c?.weight);
    }
    let total = ctx.validators.total();
    let ok = match cert.kind {
        DecisionKind::Final => params.final_quorum(weight, total),
        DecisionKind::Tentative => params.step_quorum(weight, total),
    };
    if ok {
        Ok(())
    } else {
        Err(MessageError::InsufficientWeight { weight })
    }
}

/// This node's sortition for `step`: `None` when it is not a validator of
/// the round or not selected.
pub(crate) fn own_credential(
    ctx: &RoundContext,
    keys: &ValidatorKeys,
    step: Step,
    tau: u64,
) -> Result<Option<Credential>, MessageError> {
    let Some(v) = ctx.validators.get(&keys.vote_public()) else {
        return Ok(None);
    };
    let sp = SortitionParams {
        stake: v.stake,
        total: ctx.validators.total(),
        tau,
    };
    select(&keys.vrf, &ctx.seed, ctx.round, step, &sp)
        .map_err(|e| MessageError::BadParams(e.to_string()))
}

/// Signs a vote for `value` in `step` with `keys`, if they are selected:
/// `Ok(None)` when not a validator of the round or not selected. The
/// agreement uses it; it is public for hosts and tests that need to craft
/// votes (e.g. a simulator's Byzantine validators).
pub fn sign_vote(
    ctx: &RoundContext,
    params: &BaParams,
    keys: &ValidatorKeys,
    step: VoteStep,
    value: [u8; 32],
) -> Result<Option<VerifiedVote>, MessageError> {
    sign_vote_in(ctx, params, keys, step, 0, value)
}

/// [`sign_vote`] in recovery period `period`.
pub fn sign_vote_in(
    ctx: &RoundContext,
    params: &BaParams,
    keys: &ValidatorKeys,
    step: VoteStep,
    period: u16,
    value: [u8; 32],
) -> Result<Option<VerifiedVote>, MessageError> {
    let role = step.sortition_step_in(period);
    let Some(cred) = own_credential(ctx, keys, role, step_tau(params, step))? else {
        return Ok(None);
    };
    let mut vote = Vote {
        round: ctx.round,
        step,
        period,
        prev_hash: ctx.prev_hash,
        value,
        voter: keys.vote_public(),
        credential: cred.proof,
        signature: [0; 64],
    };
    vote.sign(&keys.vote);
    Ok(Some(VerifiedVote::own(vote, &cred)))
}

/// This node's proposer credential for the round, if selected.
pub fn proposer_credential(
    ctx: &RoundContext,
    params: &BaParams,
    keys: &ValidatorKeys,
) -> Result<Option<Credential>, MessageError> {
    own_credential(ctx, keys, Step::Proposer, params.tau_proposer)
}

/// Signs a proposal of `block_hash` with the proposer credential `cred`
/// (from [`proposer_credential`]).
pub fn sign_proposal(
    ctx: &RoundContext,
    keys: &ValidatorKeys,
    cred: &Credential,
    block_hash: [u8; 32],
) -> VerifiedProposal {
    let mut p = Proposal {
        round: ctx.round,
        prev_hash: ctx.prev_hash,
        block_hash,
        proposer: keys.vote_public(),
        credential: cred.proof,
        signature: [0; 64],
    };
    p.sign(&keys.vote);
    VerifiedProposal::own(p, cred)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deciding_steps() {
        let (x, e) = ([1; 32], [0; 32]);
        assert!(is_deciding(VoteStep::Binary(1), &x, &e));
        assert!(!is_deciding(VoteStep::Binary(1), &e, &e));
        assert!(is_deciding(VoteStep::Binary(2), &e, &e));
        assert!(!is_deciding(VoteStep::Binary(2), &x, &e));
        assert!(!is_deciding(VoteStep::Binary(3), &x, &e));
        assert!(!is_deciding(VoteStep::Binary(3), &e, &e));
        assert!(is_deciding(VoteStep::Binary(7), &x, &e));
        assert!(!is_deciding(VoteStep::Reduction2, &x, &e));
        assert!(!is_deciding(VoteStep::Final, &x, &e));
    }

    #[test]
    fn coin_hashes_only_on_coin_steps() {
        let out = [9u8; 64];
        assert!(coin_hash(VoteStep::Binary(2), &out, 3).is_none());
        let c3 = coin_hash(VoteStep::Binary(3), &out, 3).unwrap();
        let c1 = coin_hash(VoteStep::Binary(3), &out, 1).unwrap();
        assert!(c3 <= c1);
        assert_eq!(c1, h256(TAG_COIN, &[&out, &1u64.to_le_bytes()]));
    }
}
