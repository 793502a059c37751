//! One round of BA★ for one node, as a pure state machine.

use super::keys::VotePublicKey;
use super::message::{
    Certificate, DecisionKind, Message, Proposal, Vote, VoteStep, MAX_CERTIFICATE_VOTES,
};
use super::params::BaParams;
use super::validators::RoundContext;
use super::verify::{
    is_coin_step, is_deciding, proposer_credential, sign_proposal, sign_vote_in, verify_vote,
    VerifiedProposal, VerifiedVote,
};
use super::ValidatorKeys;
use crate::credential::Credential;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Recovery periods ahead of this node's whose votes are counted (and
/// can make it jump ahead); votes of later periods are ignored, which
/// bounds what a Byzantine validator can make a node store.
pub const RECOVERY_PERIODS_AHEAD: u16 = 8;

/// A tally's key: recovery period and step.
type Key = (u16, VoteStep);

/// What the agreement asks its host to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// This node is a proposer of the round: build a block, publish its body
    /// and call [`Agreement::propose`] with its hash.
    Propose {
        /// The proposer credential (its priority orders proposals).
        credential: Credential,
    },
    /// Gossip this message. For an own vote, the host must persist it
    /// before sending (see [`Agreement::new`]'s `prior_votes`).
    Broadcast(Message),
    /// Fetch and validate the body of this block, then call
    /// [`Agreement::on_block`].
    FetchBlock {
        /// The block hash.
        hash: [u8; 32],
    },
    /// The round is decided. A `Tentative` decision may later be followed
    /// by a `Final` one (same value, or — after a partition — another
    /// value, which tells the host to roll back and sync).
    Decided(Decision),
}

/// A decision and its certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The round.
    pub round: u64,
    /// The decided block hash (possibly the round's empty block).
    pub value: [u8; 32],
    /// Final or tentative.
    pub kind: DecisionKind,
    /// The votes that prove it ([`super::verify_certificate`] accepts it).
    pub certificate: Certificate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Collecting proposals until `start + λ_proposal`.
    Proposals,
    /// Waiting for the best proposal's block until `+ λ_block`.
    BlockWait,
    Reduction1,
    Reduction2,
    Binary(u32),
    /// Binary BA★ decided; counting final votes for `λ_step`.
    FinalCount,
    /// Decided (tentatively or finally).
    Done,
    /// `max_steps` binary steps without a decision: the node stopped
    /// voting in this period; at the deadline (`λ_recovery` later) it
    /// starts the next recovery period.
    Halted,
}

impl Stage {
    /// The vote-step index of the stage ([`VoteStep::index`]), `u64::MAX`
    /// once binary BA★ is over.
    fn index(self) -> u64 {
        match self {
            Stage::Proposals | Stage::BlockWait => 0,
            Stage::Reduction1 => 1,
            Stage::Reduction2 => 2,
            Stage::Binary(s) => u64::from(s) + 2,
            Stage::FinalCount | Stage::Done | Stage::Halted => u64::MAX,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BlockState {
    Valid,
    Invalid,
}

#[derive(Clone, Debug)]
struct Candidate {
    priority: [u8; 32],
    block_hash: [u8; 32],
    equivocated: bool,
    /// The signed proposal, re-announced when a recovery period starts.
    proposal: Proposal,
}

/// The votes of one step: the first vote of each voter counts.
#[derive(Default, Debug)]
struct Tally {
    voters: HashSet<VotePublicKey>,
    votes: Vec<VerifiedVote>,
    weight: HashMap<[u8; 32], u64>,
    total: u64,
    coin: Option<[u8; 32]>,
}

/// One round of BA★ (Gilad et al., SOSP 2017, Algorithms 3–9) for one
/// node: a pure state machine driven by verified messages, block checks
/// and the host's clock (milliseconds, any origin, non-decreasing).
///
/// # Flow
/// 1. **Proposals** (`λ_proposal`): a selected proposer gets
///    [`Output::Propose`]; everyone collects [`VerifiedProposal`]s and asks
///    for the body of the best one ([`Output::FetchBlock`]). A proposer
///    that signs two blocks is ignored.
/// 2. **Block** (up to `λ_block` more): the node votes in reduction step 1
///    for the best-priority proposal whose block the host confirmed valid
///    ([`Agreement::on_block`]); proposals whose block is still unknown
///    are waited for until then, and skipped after; with none, it votes
///    for the empty block.
/// 3. **Reduction** (Algorithm 7): step 1 (timeout `λ_block + λ_step`),
///    step 2 re-votes step 1's quorum value or the empty block (timeout
///    `λ_step`); its quorum value, or the empty block, enters binary BA★.
/// 4. **Binary BA★** (Algorithm 8): three-step cycles with the common coin
///    (Algorithm 9: lowest sub-user hash among the coin step's votes). On
///    a decision in step `s` the node votes the decided value in steps
///    `s+1..=s+3`, and in the final step if `s = 1`.
/// 5. **Final count** (`λ_step`): a final quorum for the value makes the
///    decision `Final`, the timeout makes it `Tentative`.
///
/// A step ends as soon as a value passes its threshold (no wait for the
/// timeout). Votes for other steps are kept and counted when the step
/// comes. **Catch-up:** a quorum for a value in a deciding binary step
/// (any step, ahead of or behind this node's) decides at once, and a final
/// quorum decides `Final` at once, so a restarted or lagging node finishes
/// a round from the others' votes. **Skip-ahead:** when the votes of a
/// later step weigh more than `(1000 − T_step)` ‰ of the committee (more
/// than the adversary holds), the node fires its timeouts until it reaches
/// that step; a node whose timers run fast does the same, so this is
/// covered by BA★'s safety under asynchrony, and it lets a restarted node
/// rejoin a round whose binary steps are stalled.
///
/// # Recovery (Algorand, SOSP 2017, §8.2)
/// After `max_steps` binary steps without a decision the node stops voting
/// ([`Agreement::is_halted`]) — this happens when no value can gather a
/// quorum, e.g. while a partition splits the stake so that no side holds
/// more than the threshold. `λ_recovery` ([`BaParams::lambda_recovery_ms`])
/// later it starts **recovery period** `p + 1`: a fresh run of BA★ for the
/// same round (proposal collection for `λ_proposal`, reduction, binary
/// BA★, final count) whose votes carry the period (on the wire, see
/// [`super::message`]) and whose committees are drawn for it
/// ([`VoteStep::sortition_step_in`]), so votes of different periods never
/// mix. Proposals belong to the round, not to a period: at the start of a
/// period the node re-announces the best proposal it holds, so nodes that
/// were cut off learn it, and the period converges on it once messages
/// flow again. Periods repeat every time a period halts, until one
/// decides. A node also jumps to a later period (up to
/// [`RECOVERY_PERIODS_AHEAD`] ahead) when that period's votes in some step
/// weigh more than `(1000 − T_step)` ‰ (honest nodes are there), and
/// decides at once from a deciding or final quorum of any period it
/// counts (the current one, the one before, or later ones).
///
/// **Safety across periods.** A node stops voting in a round once it has
/// decided. A final decision for `v` in period `p` needs final votes of
/// more than `T_final` of the stake; only nodes that decided `v` in binary
/// step 1 of period `p` cast them, so more than `T_final − f` honest stake
/// (`f` the adversary's) has decided and never votes in a later period.
/// The stake left, less than `1 − T_final + f`, cannot pass `T_step` in
/// any later period when `f ≤ T_step + T_final − 1` (devnet: `f < 1/3`;
/// the paper's values: `f ≤ 0.425`, above its 20 % assumption), so no
/// other value is decided in the round. Tentative decisions carry no such
/// guarantee (as without recovery): a final decision for another value
/// tells the host to roll back.
///
/// # Host duties
/// * Verify every message once ([`super::verify_vote`],
///   [`super::verify_proposal`]) before passing it in (and before relaying).
/// * Persist each own vote of an [`Output::Broadcast`] before sending it;
///   on restart pass them as `prior_votes`.
/// * Call [`Agreement::on_timeout`] at [`Agreement::next_deadline`].
/// * Messages for another round or chain are rejected by verification;
///   the host buffers future rounds and syncs when it sees a later round.
#[derive(Debug)]
pub struct Agreement {
    ctx: RoundContext,
    params: BaParams,
    keys: Option<ValidatorKeys>,
    total: u64,
    start_ms: u64,
    stage: Stage,
    deadline: Option<u64>,
    proposals: HashMap<VotePublicKey, Candidate>,
    blocks: HashMap<[u8; 32], BlockState>,
    fetching: HashSet<[u8; 32]>,
    proposer_cred: Option<Credential>,
    proposed: bool,
    tallies: BTreeMap<Key, Tally>,
    my_votes: BTreeMap<Key, Vote>,
    sent: HashSet<Key>,
    binary_input: [u8; 32],
    binary_decision: Option<([u8; 32], Key)>,
    decision: Option<Decision>,
    jump_target: u64,
    /// The current recovery period (0: the round's first run).
    period: u16,
    /// The latest period with enough presence (or own prior votes) to
    /// jump to.
    period_target: u16,
}

impl Agreement {
    /// Starts the round at `now_ms`.
    ///
    /// `keys` are this node's keys (`None` for an observer that only
    /// follows). `prior_votes` are the votes this node sent in this round
    /// (same `round` and `prev_hash`) before a restart: they are counted
    /// again, and when the node reaches a step it already voted in it
    /// re-broadcasts that vote and never signs a different one. Votes by
    /// other keys or for another round are ignored.
    ///
    /// # Panics
    /// If `params` do not [validate](BaParams::validate).
    pub fn new(
        ctx: RoundContext,
        params: BaParams,
        keys: Option<ValidatorKeys>,
        now_ms: u64,
        prior_votes: Vec<Vote>,
    ) -> (Agreement, Vec<Output>) {
        params.validate().expect("BA★ parameters must validate");
        let mut blocks = HashMap::new();
        blocks.insert(ctx.empty_hash, BlockState::Valid);
        let mut a = Agreement {
            total: ctx.validators.total(),
            binary_input: ctx.empty_hash,
            ctx,
            params,
            keys,
            start_ms: now_ms,
            stage: Stage::Proposals,
            deadline: None,
            proposals: HashMap::new(),
            blocks,
            fetching: HashSet::new(),
            proposer_cred: None,
            proposed: false,
            tallies: BTreeMap::new(),
            my_votes: BTreeMap::new(),
            sent: HashSet::new(),
            binary_decision: None,
            decision: None,
            jump_target: 0,
            period: 0,
            period_target: 0,
        };
        let mut out = Vec::new();
        if let Some(me) = a.keys.as_ref().map(|k| k.vote_public()) {
            for v in prior_votes {
                if v.voter != me
                    || v.round != a.ctx.round
                    || v.prev_hash != a.ctx.prev_hash
                    || a.my_votes.contains_key(&(v.period, v.step))
                {
                    continue;
                }
                if let Ok(vv) = verify_vote(&a.ctx, &a.params, &v) {
                    // Resume in the latest period this node voted in.
                    a.period_target = a.period_target.max(v.period);
                    a.my_votes.insert((v.period, v.step), v);
                    a.add_vote(vv);
                }
            }
            let cred = a
                .keys
                .as_ref()
                .and_then(|k| proposer_credential(&a.ctx, &a.params, k).ok().flatten());
            if let Some(credential) = cred {
                a.proposer_cred = Some(credential);
                out.push(Output::Propose { credential });
            }
        }
        a.catch_up(now_ms, &mut out);
        a.progress(now_ms, &mut out);
        (a, out)
    }

    /// The round's context.
    pub fn context(&self) -> &RoundContext {
        &self.ctx
    }

    /// The parameters.
    pub fn params(&self) -> &BaParams {
        &self.params
    }

    /// The decision, once there is one (the latest: a `Final` one replaces
    /// a `Tentative` one).
    pub fn decision(&self) -> Option<&Decision> {
        self.decision.as_ref()
    }

    /// Whether the node passed `max_steps` binary steps of the current
    /// period without a decision and waits to start the next recovery
    /// period (at [`Agreement::next_deadline`]).
    pub fn is_halted(&self) -> bool {
        self.stage == Stage::Halted
    }

    /// The current recovery period (0 until the first run of BA★ halts).
    pub fn period(&self) -> u16 {
        self.period
    }

    /// The step this node is counting votes for (`None` while collecting
    /// proposals and after binary BA★).
    pub fn current_step(&self) -> Option<VoteStep> {
        match self.stage {
            Stage::Reduction1 => Some(VoteStep::Reduction1),
            Stage::Reduction2 => Some(VoteStep::Reduction2),
            Stage::Binary(s) => Some(VoteStep::Binary(s)),
            Stage::FinalCount => Some(VoteStep::Final),
            _ => None,
        }
    }

    /// This node's votes in this round (prior and new), by step.
    pub fn my_votes(&self) -> impl Iterator<Item = &Vote> {
        self.my_votes.values()
    }

    /// When [`Agreement::on_timeout`] should be called next (`None` once
    /// decided; while halted, the start of the next recovery period).
    pub fn next_deadline(&self) -> Option<u64> {
        match self.stage {
            Stage::Proposals => Some(self.start_ms + self.params.lambda_proposal_ms),
            Stage::Done => None,
            _ => self.deadline,
        }
    }

    /// Signs and broadcasts this node's proposal of `block_hash` (after
    /// [`Output::Propose`]); the block counts as valid. At most one
    /// proposal per round: later calls, and calls without a proposer
    /// credential, do nothing.
    pub fn propose(&mut self, block_hash: [u8; 32], now_ms: u64) -> Vec<Output> {
        let mut out = Vec::new();
        let (Some(cred), Some(keys)) = (self.proposer_cred, self.keys.as_ref()) else {
            return out;
        };
        if self.proposed {
            return out;
        }
        self.proposed = true;
        let vp = sign_proposal(&self.ctx, keys, &cred, block_hash);
        self.blocks.insert(block_hash, BlockState::Valid);
        out.push(Output::Broadcast(Message::Proposal(vp.proposal().clone())));
        self.record_proposal(vp);
        self.progress(now_ms, &mut out);
        out
    }

    /// A verified proposal of this round.
    pub fn on_proposal(&mut self, p: VerifiedProposal, now_ms: u64) -> Vec<Output> {
        let mut out = Vec::new();
        if p.proposal().round != self.ctx.round || p.proposal().prev_hash != self.ctx.prev_hash {
            return out;
        }
        self.record_proposal(p);
        self.request_best_block(&mut out);
        self.progress(now_ms, &mut out);
        out
    }

    /// The host fetched the body of `block_hash` and checked it.
    pub fn on_block(&mut self, block_hash: [u8; 32], valid: bool, now_ms: u64) -> Vec<Output> {
        let mut out = Vec::new();
        self.fetching.remove(&block_hash);
        self.blocks.entry(block_hash).or_insert(if valid {
            BlockState::Valid
        } else {
            BlockState::Invalid
        });
        self.request_best_block(&mut out);
        self.progress(now_ms, &mut out);
        out
    }

    /// A verified vote of this round.
    pub fn on_vote(&mut self, v: VerifiedVote, now_ms: u64) -> Vec<Output> {
        let mut out = Vec::new();
        let vote = v.vote();
        if vote.round != self.ctx.round || vote.prev_hash != self.ctx.prev_hash {
            return out;
        }
        if self.is_final() {
            return out;
        }
        let (step, period, value) = (vote.step, vote.period, vote.value);
        if period.saturating_add(1) < self.period
            || period > self.period.saturating_add(RECOVERY_PERIODS_AHEAD)
        {
            return out;
        }
        if !self.add_vote(v) {
            return out;
        }
        if step == VoteStep::Final {
            self.check_final(now_ms, &mut out);
        } else if is_deciding(step, &value, &self.ctx.empty_hash)
            && self
                .params
                .step_quorum(self.weight((period, step), &value), self.total)
        {
            self.binary_decide(value, (period, step), now_ms, &mut out);
        }
        self.progress(now_ms, &mut out);
        out
    }

    /// The host's timer fired (or any time: early calls do nothing).
    pub fn on_timeout(&mut self, now_ms: u64) -> Vec<Output> {
        let mut out = Vec::new();
        self.progress(now_ms, &mut out);
        out
    }

    fn is_final(&self) -> bool {
        matches!(&self.decision, Some(d) if d.kind == DecisionKind::Final)
    }

    fn record_proposal(&mut self, p: VerifiedProposal) {
        let prop = p.proposal();
        match self.proposals.get_mut(&prop.proposer) {
            Some(c) if c.block_hash != prop.block_hash => c.equivocated = true,
            Some(_) => {}
            None => {
                self.proposals.insert(
                    prop.proposer,
                    Candidate {
                        priority: p.priority(),
                        block_hash: prop.block_hash,
                        equivocated: false,
                        proposal: prop.clone(),
                    },
                );
            }
        }
    }

    /// Candidates in priority order (equivocating proposers left out).
    fn candidates(&self) -> Vec<&Candidate> {
        let mut c: Vec<&Candidate> = self.proposals.values().filter(|c| !c.equivocated).collect();
        c.sort_by_key(|c| (c.priority, c.block_hash));
        c
    }

    /// Asks for the body of the best proposal not known to be invalid,
    /// while the node still has to choose.
    fn request_best_block(&mut self, out: &mut Vec<Output>) {
        if !matches!(self.stage, Stage::Proposals | Stage::BlockWait) {
            return;
        }
        let want = self
            .candidates()
            .into_iter()
            .find(|c| self.blocks.get(&c.block_hash) != Some(&BlockState::Invalid))
            .map(|c| c.block_hash);
        if let Some(hash) = want {
            if !self.blocks.contains_key(&hash) && self.fetching.insert(hash) {
                out.push(Output::FetchBlock { hash });
            }
        }
    }

    /// The value for reduction step 1: the best candidate with a valid
    /// block; `None` if the best remaining one is still unknown and we may
    /// wait (`forced` = false).
    fn choose(&self, forced: bool) -> Option<[u8; 32]> {
        for c in self.candidates() {
            match self.blocks.get(&c.block_hash) {
                Some(BlockState::Valid) => return Some(c.block_hash),
                Some(BlockState::Invalid) => continue,
                None if forced => continue,
                None => return None,
            }
        }
        Some(self.ctx.empty_hash)
    }

    /// Counts a vote if it is its voter's first in the step (of its
    /// period).
    fn add_vote(&mut self, v: VerifiedVote) -> bool {
        let (step, period) = (v.vote().step, v.vote().period);
        let tally = self.tallies.entry((period, step)).or_default();
        if !tally.voters.insert(v.vote().voter) {
            return false;
        }
        let w = v.weight();
        *tally.weight.entry(v.vote().value).or_insert(0) += w;
        tally.total = tally.total.saturating_add(w);
        if let Some(c) = v.coin() {
            tally.coin = Some(tally.coin.map_or(c, |m| m.min(c)));
        }
        tally.votes.push(v);
        let present = self.params.step_presence(tally.total, self.total);
        if let Some(idx) = step.index() {
            let cap = u64::from(self.params.max_steps) + 2;
            if present && idx <= cap {
                if period == self.period && idx > self.jump_target {
                    self.jump_target = idx;
                } else if period > self.period {
                    self.period_target = self.period_target.max(period);
                }
            }
        }
        true
    }

    fn weight(&self, key: Key, value: &[u8; 32]) -> u64 {
        self.tallies
            .get(&key)
            .and_then(|t| t.weight.get(value))
            .copied()
            .unwrap_or(0)
    }

    /// The value passing the step's threshold, if any (the heaviest; ties,
    /// impossible with thresholds above 1/2, by lowest hash).
    fn quorum(&self, key: Key) -> Option<[u8; 32]> {
        let step = key.1;
        let t = self.tallies.get(&key)?;
        t.weight
            .iter()
            .filter(|(_, &w)| match step {
                VoteStep::Final => self.params.final_quorum(w, self.total),
                _ => self.params.step_quorum(w, self.total),
            })
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(v, _)| *v)
    }

    fn certificate(&self, key: Key, value: [u8; 32], kind: DecisionKind) -> Certificate {
        let (period, step) = key;
        let votes = self
            .tallies
            .get(&key)
            .map(|t| {
                t.votes
                    .iter()
                    .filter(|v| v.vote().value == value)
                    .take(MAX_CERTIFICATE_VOTES)
                    .map(|v| v.vote().clone())
                    .collect()
            })
            .unwrap_or_default();
        Certificate {
            round: self.ctx.round,
            value,
            kind,
            step,
            period,
            votes,
        }
    }

    /// Votes `value` in `step` (or re-broadcasts the vote this node already
    /// has for the step), once per step.
    fn cast(&mut self, key: Key, value: [u8; 32], out: &mut Vec<Output>) {
        if !self.sent.insert(key) {
            return;
        }
        if let Some(prior) = self.my_votes.get(&key) {
            out.push(Output::Broadcast(Message::Vote(prior.clone())));
            return;
        }
        let Some(keys) = self.keys.as_ref() else {
            return;
        };
        let (period, step) = key;
        if let Ok(Some(vv)) = sign_vote_in(&self.ctx, &self.params, keys, step, period, value) {
            let vote = vv.vote().clone();
            self.my_votes.insert(key, vote.clone());
            self.add_vote(vv);
            out.push(Output::Broadcast(Message::Vote(vote)));
        }
    }

    fn emit_decision(&mut self, d: Decision, out: &mut Vec<Output>) {
        if d.value != self.ctx.empty_hash
            && self.blocks.get(&d.value) != Some(&BlockState::Valid)
            && self.fetching.insert(d.value)
        {
            out.push(Output::FetchBlock { hash: d.value });
        }
        self.decision = Some(d.clone());
        out.push(Output::Decided(d));
    }

    /// Decides `Final` if some value has a final quorum (in any period
    /// counted).
    fn check_final(&mut self, _now: u64, out: &mut Vec<Output>) {
        if self.is_final() {
            return;
        }
        let found = self
            .tallies
            .keys()
            .filter(|(_, s)| *s == VoteStep::Final)
            .find_map(|&k| self.quorum(k).map(|v| (k, v)));
        if let Some((key, v)) = found {
            let cert = self.certificate(key, v, DecisionKind::Final);
            self.stage = Stage::Done;
            self.deadline = None;
            self.emit_decision(
                Decision {
                    round: self.ctx.round,
                    value: v,
                    kind: DecisionKind::Final,
                    certificate: cert,
                },
                out,
            );
        }
    }

    /// Decides from any quorum already counted (prior votes at start).
    fn catch_up(&mut self, now: u64, out: &mut Vec<Output>) {
        let empty = self.ctx.empty_hash;
        let deciding: Option<(Key, [u8; 32])> = self.tallies.iter().find_map(|(&key, t)| {
            let mut values: Vec<_> = t.weight.iter().collect();
            values.sort();
            values
                .into_iter()
                .find(|(v, &w)| {
                    is_deciding(key.1, v, &empty) && self.params.step_quorum(w, self.total)
                })
                .map(|(v, _)| (key, *v))
        });
        if let Some((key, v)) = deciding {
            self.binary_decide(v, key, now, out);
        }
        self.check_final(now, out);
    }

    /// Binary BA★ decided `value` in `step` of a period: echo it for three
    /// steps (and in the final step after step 1) of that period, then
    /// count final votes.
    fn binary_decide(&mut self, value: [u8; 32], key: Key, now: u64, out: &mut Vec<Output>) {
        if self.binary_decision.is_some() || self.decision.is_some() {
            return;
        }
        let (period, VoteStep::Binary(s)) = key else {
            return;
        };
        self.binary_decision = Some((value, key));
        let last = self.params.max_steps.saturating_add(3);
        for k in 1..=3u32 {
            let t = s.saturating_add(k);
            if t <= last {
                self.cast((period, VoteStep::Binary(t)), value, out);
            }
        }
        if s == 1 {
            self.cast((period, VoteStep::Final), value, out);
        }
        self.stage = Stage::FinalCount;
        self.deadline = Some(now + self.params.lambda_step_ms);
        self.check_final(now, out);
    }

    fn enter(&mut self, stage: Stage, deadline: u64) {
        self.stage = stage;
        self.deadline = Some(deadline);
    }

    fn enter_binary(&mut self, s: u32, r: [u8; 32], now: u64, out: &mut Vec<Output>) {
        self.cast((self.period, VoteStep::Binary(s)), r, out);
        self.enter(Stage::Binary(s), now + self.params.lambda_step_ms);
    }

    /// Starts recovery period `q` at `now`: collect (and re-announce)
    /// proposals, then run BA★ again with the period's committees.
    fn start_period(&mut self, q: u16, now: u64, out: &mut Vec<Output>) {
        self.period = q;
        self.period_target = self.period_target.max(q);
        self.stage = Stage::Proposals;
        self.start_ms = now;
        self.deadline = None;
        self.binary_input = self.ctx.empty_hash;
        let lo = q.saturating_sub(1);
        self.tallies.retain(|(p, _), _| *p >= lo);
        let cap = u64::from(self.params.max_steps) + 2;
        self.jump_target = self
            .tallies
            .iter()
            .filter(|((p, _), t)| *p == q && self.params.step_presence(t.total, self.total))
            .filter_map(|((_, s), _)| s.index())
            .filter(|&i| i <= cap)
            .max()
            .unwrap_or(0);
        let best = self.candidates().first().map(|c| c.proposal.clone());
        if let Some(p) = best {
            out.push(Output::Broadcast(Message::Proposal(p)));
        }
        self.request_best_block(out);
    }

    /// Runs the stage machine as far as the votes and the clock allow.
    fn progress(&mut self, now: u64, out: &mut Vec<Output>) {
        let p = self.params;
        let empty = self.ctx.empty_hash;
        loop {
            if self.period_target > self.period
                && self.binary_decision.is_none()
                && self.decision.is_none()
            {
                self.start_period(self.period_target, now, out);
            }
            let skip = self.jump_target > self.stage.index();
            let expired = skip || self.deadline.is_some_and(|d| now >= d);
            match self.stage {
                Stage::Proposals => {
                    if !(skip || now >= self.start_ms + p.lambda_proposal_ms) {
                        break;
                    }
                    match self.choose(skip) {
                        Some(v) => {
                            self.cast((self.period, VoteStep::Reduction1), v, out);
                            self.enter(
                                Stage::Reduction1,
                                now + p.lambda_block_ms + p.lambda_step_ms,
                            );
                        }
                        None => {
                            self.enter(
                                Stage::BlockWait,
                                self.start_ms + p.lambda_proposal_ms + p.lambda_block_ms,
                            );
                            self.request_best_block(out);
                        }
                    }
                }
                Stage::BlockWait => {
                    let Some(v) = self.choose(expired) else { break };
                    self.cast((self.period, VoteStep::Reduction1), v, out);
                    self.enter(
                        Stage::Reduction1,
                        now + p.lambda_block_ms + p.lambda_step_ms,
                    );
                }
                Stage::Reduction1 => {
                    let v = match self.quorum((self.period, VoteStep::Reduction1)) {
                        Some(v) => v,
                        None if expired => empty,
                        None => break,
                    };
                    self.cast((self.period, VoteStep::Reduction2), v, out);
                    self.enter(Stage::Reduction2, now + p.lambda_step_ms);
                }
                Stage::Reduction2 => {
                    let v = match self.quorum((self.period, VoteStep::Reduction2)) {
                        Some(v) => v,
                        None if expired => empty,
                        None => break,
                    };
                    self.binary_input = v;
                    self.enter_binary(1, v, now, out);
                }
                Stage::Binary(s) => {
                    let step = VoteStep::Binary(s);
                    let key = (self.period, step);
                    let r = match self.quorum(key) {
                        Some(v) if is_deciding(step, &v, &empty) => {
                            self.binary_decide(v, key, now, out);
                            continue;
                        }
                        Some(v) => v,
                        None if !expired => break,
                        None => match s % 3 {
                            1 => self.binary_input,
                            2 => empty,
                            _ => {
                                if self.coin(key) == 0 {
                                    self.binary_input
                                } else {
                                    empty
                                }
                            }
                        },
                    };
                    if s >= p.max_steps {
                        self.stage = Stage::Halted;
                        self.deadline = (self.period < u16::MAX)
                            .then(|| now.saturating_add(p.lambda_recovery_ms()));
                        break;
                    }
                    self.enter_binary(s + 1, r, now, out);
                }
                Stage::FinalCount => {
                    if self.deadline.is_none_or(|d| now < d) {
                        break;
                    }
                    let (value, key) = self.binary_decision.expect("set before FinalCount");
                    let cert = self.certificate(key, value, DecisionKind::Tentative);
                    self.stage = Stage::Done;
                    self.deadline = None;
                    self.emit_decision(
                        Decision {
                            round: self.ctx.round,
                            value,
                            kind: DecisionKind::Tentative,
                            certificate: cert,
                        },
                        out,
                    );
                }
                Stage::Halted => {
                    if self.deadline.is_none_or(|d| now < d) {
                        break;
                    }
                    let next = self.period.saturating_add(1);
                    self.start_period(next, now, out);
                }
                Stage::Done => break,
            }
        }
    }

    /// The common coin of a step (Algorithm 9): the last bit of the lowest
    /// sub-user hash among its votes; 0 without votes.
    fn coin(&self, key: Key) -> u8 {
        debug_assert!(is_coin_step(key.1));
        self.tallies
            .get(&key)
            .and_then(|t| t.coin)
            .map_or(0, |h| h[31] & 1)
    }
}
