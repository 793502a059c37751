//! The discrete-event engine: nodes running the real [`Agreement`], a
//! seeded network, crashes, sync and the checks.

use crate::check::{check_safety, NodeView};
use crate::config::{Behaviour, SimConfig};
use crate::report::{percentile, SimReport};
use blake2b_simd::Params;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sero_consensus::ba::{
    sign_proposal, sign_vote_in, verify_certificate, verify_proposal, verify_vote, Agreement,
    Certificate, Decision, DecisionKind, Message, MessageError, Output, RoundContext,
    ValidatorKeys, ValidatorSet, VerifiedProposal, VerifiedVote, Vote, VoteStep,
};
use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::sync::Arc;

const TAG_GENESIS: &[u8; 16] = b"SERO_SimGenes_v1";
const TAG_SEED: &[u8; 16] = b"SERO_SimSeed__v1";
const TAG_EMPTY: &[u8; 16] = b"SERO_SimEmpty_v1";
const TAG_BLOCK: &[u8; 16] = b"SERO_SimBlock_v1";
const TAG_KEYS: &[u8; 16] = b"SERO_SimKeys__v1";
const TAG_MEMO: &[u8; 16] = b"SERO_SimMemo__v1";

/// Sync requests at most this often per node.
const SYNC_COOLDOWN_MS: u64 = 1_000;
/// Entries per sync response.
const SYNC_BATCH: usize = 64;
/// Buffered messages for future rounds, per node.
const FUTURE_CAP: usize = 20_000;
/// Rounds ahead that are buffered.
const FUTURE_WINDOW: u64 = 3;
/// Block fetch retries.
const FETCH_RETRIES: u32 = 6;

fn h(tag: &[u8; 16], parts: &[&[u8]]) -> [u8; 32] {
    let mut s = Params::new().hash_length(32).personal(tag).to_state();
    for p in parts {
        s.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(s.finalize().as_bytes());
    out
}

/// The previous-block hash and the seed of round 1.
pub fn genesis(seed: u64) -> ([u8; 32], [u8; 32]) {
    let s = seed.to_le_bytes();
    (
        h(TAG_GENESIS, &[b"prev", &s]),
        h(TAG_GENESIS, &[b"seed", &s]),
    )
}

/// The seed of round `round + 1` after `value` was decided in `round`.
pub fn next_seed(seed: &[u8; 32], round: u64, value: &[u8; 32]) -> [u8; 32] {
    h(TAG_SEED, &[seed, &round.to_le_bytes(), value])
}

/// The hash of the empty block of `round` on `prev`.
pub fn empty_block(round: u64, prev: &[u8; 32]) -> [u8; 32] {
    h(TAG_EMPTY, &[&round.to_le_bytes(), prev])
}

/// The hash of the block that `proposer` (vote key bytes) proposes in
/// `round` on `prev`; `variant` 0 for honest blocks, others for a
/// Byzantine proposer's extra blocks.
pub fn block(round: u64, prev: &[u8; 32], proposer: &[u8; 32], variant: u8) -> [u8; 32] {
    h(
        TAG_BLOCK,
        &[&round.to_le_bytes(), prev, proposer, &[variant]],
    )
}

#[derive(Clone, Debug)]
struct Entry {
    value: [u8; 32],
    kind: DecisionKind,
    cert: Arc<Certificate>,
    /// The seed this round ran with.
    seed: [u8; 32],
}

#[derive(Clone, Debug)]
enum Net {
    Consensus(Arc<[u8]>),
    Body([u8; 32]),
    BlockRequest([u8; 32]),
    SyncRequest(u64),
    SyncResponse(u64, Arc<Vec<Entry>>),
}

#[derive(Debug)]
enum Event {
    Deliver {
        to: usize,
        from: usize,
        msg: Net,
    },
    Timer {
        node: usize,
        epoch: u64,
    },
    NextRound {
        node: usize,
        epoch: u64,
    },
    Crash(usize),
    Restart(usize),
    SyncTick(usize),
    FetchRetry {
        node: usize,
        hash: [u8; 32],
        tries: u32,
    },
}

struct Queued {
    at: u64,
    seq: u64,
    ev: Event,
}
impl PartialEq for Queued {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Queued {
    fn cmp(&self, o: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(o.at, o.seq))
    }
}

/// A buffered message for a later round: sender and bytes.
type Pending = (usize, Arc<[u8]>);
/// Round, chain, recovery period, step and value of a mirrored vote.
type MirrorKey = (u64, [u8; 32], u16, VoteStep, [u8; 32]);

struct Node {
    behaviour: Behaviour,
    keys: ValidatorKeys,
    vote_key: [u8; 32],
    up: bool,
    chain: Vec<Entry>,
    final_height: u64,
    agreement: Option<Agreement>,
    prev_agreement: Option<Agreement>,
    round_start: u64,
    epoch: u64,
    timer_at: Option<u64>,
    persisted: HashMap<(u64, [u8; 32]), Vec<Vote>>,
    future: BTreeMap<u64, Vec<Pending>>,
    future_len: usize,
    blocks: HashSet<[u8; 32]>,
    best_seen: Option<[u8; 32]>,
    /// Votes already relayed, by round.
    relayed: BTreeMap<u64, HashSet<[u8; 32]>>,
    /// (Double voters) own votes signed so far, by round, chain, step and value.
    mirrored: HashMap<MirrorKey, Option<Arc<[u8]>>>,
    last_sync: Option<u64>,
    /// Times at which the final height grew.
    final_times: Vec<u64>,
    /// Time to finality of rounds this node finalised itself.
    ttf: Vec<u64>,
    halts: u64,
    /// The (round, period) of the last halt counted.
    last_halt: Option<(u64, u16)>,
}

#[derive(Clone)]
enum Verified {
    Vote(VerifiedVote),
    Proposal(VerifiedProposal),
}

/// One simulation.
pub struct Sim {
    cfg: SimConfig,
    rng: ChaCha20Rng,
    now: u64,
    seq: u64,
    queue: BinaryHeap<Reverse<Queued>>,
    nodes: Vec<Node>,
    validators: Arc<ValidatorSet>,
    genesis_prev: [u8; 32],
    genesis_seed: [u8; 32],
    link_base: Vec<Vec<u64>>,
    /// Block validity of every block that exists (has a body somewhere).
    registry: HashMap<[u8; 32], bool>,
    decode_memo: HashMap<[u8; 32], Option<Message>>,
    verify_memo: HashMap<[u8; 32], Result<Verified, MessageError>>,
    cert_memo: HashMap<[u8; 32], bool>,
    /// Every final value an honest node recorded: (round, value, node).
    final_log: Vec<(u64, [u8; 32], usize)>,
    violations: Vec<String>,
    messages_sent: u64,
    messages_delivered: u64,
    rejected: u64,
    rollbacks: u64,
    recovered: u64,
    syncs: u64,
    last_disruption: u64,
    done: bool,
}

impl Sim {
    /// Builds the nodes and schedules the faults.
    pub fn new(cfg: SimConfig) -> Sim {
        assert_eq!(cfg.stakes.len(), cfg.behaviours.len());
        cfg.params.validate().expect("valid BA parameters");
        let n = cfg.nodes();
        let mut rng = ChaCha20Rng::seed_from_u64(cfg.seed);
        let keys: Vec<ValidatorKeys> = (0..n)
            .map(|i| {
                ValidatorKeys::from_seed(&h(
                    TAG_KEYS,
                    &[&cfg.seed.to_le_bytes(), &(i as u64).to_le_bytes()],
                ))
            })
            .collect();
        let validators = Arc::new(
            ValidatorSet::new(
                keys.iter()
                    .zip(&cfg.stakes)
                    .map(|(k, &s)| k.validator(s))
                    .collect(),
            )
            .expect("valid validator set"),
        );
        let base = cfg.link.base_ms;
        let mut link_base = vec![vec![0; n]; n];
        for (i, row) in link_base.iter_mut().enumerate() {
            for (j, b) in row.iter_mut().enumerate() {
                if i != j {
                    *b = base * rng.gen_range(80..=120) / 100;
                }
            }
        }
        let (genesis_prev, genesis_seed) = genesis(cfg.seed);
        let nodes = keys
            .into_iter()
            .zip(&cfg.behaviours)
            .map(|(keys, &behaviour)| Node {
                behaviour,
                vote_key: keys.vote_public().to_bytes(),
                keys,
                up: true,
                chain: Vec::new(),
                final_height: 0,
                agreement: None,
                prev_agreement: None,
                round_start: 0,
                epoch: 0,
                timer_at: None,
                persisted: HashMap::new(),
                future: BTreeMap::new(),
                future_len: 0,
                blocks: HashSet::new(),
                best_seen: None,
                relayed: BTreeMap::new(),
                mirrored: HashMap::new(),
                last_sync: None,
                final_times: Vec::new(),
                ttf: Vec::new(),
                halts: 0,
                last_halt: None,
            })
            .collect();
        let last_disruption = cfg.last_disruption_ms();
        let mut sim = Sim {
            rng,
            now: 0,
            seq: 0,
            queue: BinaryHeap::new(),
            nodes,
            validators,
            genesis_prev,
            genesis_seed,
            link_base,
            registry: HashMap::new(),
            decode_memo: HashMap::new(),
            verify_memo: HashMap::new(),
            cert_memo: HashMap::new(),
            final_log: Vec::new(),
            violations: Vec::new(),
            messages_sent: 0,
            messages_delivered: 0,
            rejected: 0,
            rollbacks: 0,
            recovered: 0,
            syncs: 0,
            last_disruption,
            done: false,
            cfg,
        };
        for c in sim.cfg.crashes.clone() {
            sim.push(c.at_ms, Event::Crash(c.node));
            sim.push(c.restart_ms.max(c.at_ms + 1), Event::Restart(c.node));
        }
        let tick = sim.sync_interval();
        for i in 0..n {
            let jitter = sim.rng.gen_range(0..tick);
            sim.push(tick + jitter, Event::SyncTick(i));
        }
        sim
    }

    fn sync_interval(&self) -> u64 {
        (self.cfg.params.lambda_step_ms * 4).max(1_000)
    }

    fn push(&mut self, at: u64, ev: Event) {
        self.seq += 1;
        self.queue.push(Reverse(Queued {
            at,
            seq: self.seq,
            ev,
        }));
    }

    /// Runs to completion and checks the outcome.
    pub fn run(mut self) -> SimReport {
        for i in 0..self.nodes.len() {
            self.start_round(i);
        }
        while let Some(Reverse(q)) = self.queue.pop() {
            if q.at > self.cfg.max_time_ms || self.done {
                self.now = self.now.max(q.at.min(self.cfg.max_time_ms));
                break;
            }
            self.now = q.at;
            self.dispatch(q.ev);
        }
        self.finish()
    }

    fn dispatch(&mut self, ev: Event) {
        match ev {
            Event::Deliver { to, from, msg } => {
                if !self.nodes[to].up || self.cut(from, to) {
                    return;
                }
                self.messages_delivered += 1;
                self.receive(to, from, msg);
            }
            Event::Timer { node, epoch } => {
                let n = &mut self.nodes[node];
                if !n.up || n.epoch != epoch || n.timer_at.is_none_or(|t| t > self.now) {
                    return;
                }
                n.timer_at = None;
                let now = self.now;
                let out = n
                    .agreement
                    .as_mut()
                    .map(|a| a.on_timeout(now))
                    .unwrap_or_default();
                self.handle(node, out, true);
            }
            Event::NextRound { node, epoch } => {
                if self.nodes[node].up && self.nodes[node].epoch == epoch {
                    self.start_round(node);
                }
            }
            Event::Crash(i) => {
                let n = &mut self.nodes[i];
                n.up = false;
                n.agreement = None;
                n.prev_agreement = None;
                n.future.clear();
                n.future_len = 0;
                n.timer_at = None;
                n.epoch += 1;
            }
            Event::Restart(i) => {
                self.nodes[i].up = true;
                self.start_round(i);
                let peer = self.random_peer(i);
                self.request_sync(i, peer, true);
            }
            Event::SyncTick(i) => {
                let next = self.now + self.sync_interval();
                self.push(next, Event::SyncTick(i));
                let n = &self.nodes[i];
                if !n.up {
                    return;
                }
                let stalled = n.agreement.as_ref().is_none_or(|a| a.is_halted())
                    || self.now.saturating_sub(n.round_start) > 2 * self.sync_interval();
                if stalled {
                    let peer = self.random_peer(i);
                    self.request_sync(i, peer, false);
                }
            }
            Event::FetchRetry { node, hash, tries } => {
                let n = &self.nodes[node];
                if !n.up || n.blocks.contains(&hash) || tries >= FETCH_RETRIES {
                    return;
                }
                self.fetch(node, hash, tries + 1);
            }
        }
    }

    fn random_peer(&mut self, i: usize) -> usize {
        let n = self.nodes.len();
        (i + self.rng.gen_range(1..n)) % n
    }

    // ---------------------------------------------------------------- chain

    fn ctx_for(&self, chain: &[Entry]) -> RoundContext {
        let round = chain.len() as u64 + 1;
        let (prev, seed) = match chain.last() {
            None => (self.genesis_prev, self.genesis_seed),
            Some(e) => (e.value, next_seed(&e.seed, round - 1, &e.value)),
        };
        RoundContext {
            round,
            prev_hash: prev,
            seed,
            empty_hash: empty_block(round, &prev),
            validators: self.validators.clone(),
        }
    }

    fn start_round(&mut self, i: usize) {
        let ctx = self.ctx_for(&self.nodes[i].chain);
        let now = self.now;
        let n = &mut self.nodes[i];
        n.epoch += 1;
        n.timer_at = None;
        n.round_start = now;
        n.best_seen = None;
        let prior = n
            .persisted
            .get(&(ctx.round, ctx.prev_hash))
            .cloned()
            .unwrap_or_default();
        let round = ctx.round;
        // Keep the previous round's agreement for late final votes.
        n.prev_agreement = n
            .agreement
            .take()
            .filter(|a| a.context().round + 1 == round);
        let (a, out) = Agreement::new(ctx, self.cfg.params, Some(n.keys.clone()), now, prior);
        n.agreement = Some(a);
        // Buffered messages of this round, and drop older ones.
        let buffered = n.future.remove(&round).unwrap_or_default();
        n.future = n.future.split_off(&round);
        n.future_len = n.future.values().map(Vec::len).sum();
        self.handle(i, out, true);
        for (from, bytes) in buffered {
            if self.nodes[i].agreement.as_ref().map(|a| a.context().round) != Some(round) {
                break;
            }
            self.on_consensus(i, from, bytes);
        }
    }

    fn record_final(&mut self, i: usize, round: u64, value: [u8; 32]) {
        if self.nodes[i].behaviour.is_honest() {
            self.final_log.push((round, value, i));
        }
    }

    /// Sets node `i`'s final height to at least `round`.
    fn raise_final(&mut self, i: usize, round: u64) {
        let now = self.now;
        let n = &mut self.nodes[i];
        if round > n.final_height {
            n.final_height = round;
            n.final_times.push(now);
            self.check_done();
        }
    }

    fn check_done(&mut self) {
        let t = self.last_disruption;
        self.done = self.nodes.iter().all(|n| {
            !n.behaviour.is_honest()
                || (n.final_height >= self.cfg.rounds && n.final_times.iter().any(|&x| x > t))
        });
    }

    /// A decision of node `i`'s agreement (current or previous round).
    fn on_decided(&mut self, i: usize, mut d: Decision) -> bool {
        let round = d.round;
        let len = self.nodes[i].chain.len() as u64;
        if d.kind == DecisionKind::Final
            && i == 1
            && self.cfg.sabotage_round == Some(round)
            && round == len + 1
        {
            d.value = h(TAG_BLOCK, &[b"sabotage"]);
        }
        if d.certificate.period > 0 && self.nodes[i].behaviour.is_honest() {
            self.recovered += 1;
        }
        if round == len + 1 {
            let seed = self.nodes[i]
                .agreement
                .as_ref()
                .expect("decided by the current agreement")
                .context()
                .seed;
            let final_ = d.kind == DecisionKind::Final;
            if final_ {
                let ttf = self.now - self.nodes[i].round_start;
                self.nodes[i].ttf.push(ttf);
                self.record_final(i, round, d.value);
            }
            self.nodes[i].chain.push(Entry {
                value: d.value,
                kind: d.kind,
                cert: Arc::new(d.certificate),
                seed,
            });
            if final_ {
                self.raise_final(i, round);
            }
            return true;
        }
        // A late final decision for the previous round.
        if round == len && d.kind == DecisionKind::Final {
            let idx = (round - 1) as usize;
            let entry = &mut self.nodes[i].chain[idx];
            if entry.kind == DecisionKind::Final {
                return false;
            }
            if entry.value == d.value {
                entry.kind = DecisionKind::Final;
                entry.cert = Arc::new(d.certificate);
                self.record_final(i, round, d.value);
                self.raise_final(i, round);
                return false;
            }
            // Our tentative block lost: roll it back.
            self.rollbacks += 1;
            entry.value = d.value;
            entry.kind = DecisionKind::Final;
            entry.cert = Arc::new(d.certificate);
            self.record_final(i, round, d.value);
            self.raise_final(i, round);
            return true;
        }
        false
    }

    // ------------------------------------------------------------- outputs

    /// Handles an agreement's outputs (`current`: of the current round's
    /// agreement, else of the previous round's).
    fn handle(&mut self, i: usize, out: Vec<Output>, current: bool) {
        let mut pending = out;
        let mut restart = false;
        while !pending.is_empty() {
            let mut next = Vec::new();
            for o in pending {
                match o {
                    Output::Propose { credential } => {
                        if current {
                            next.extend(self.propose(i, credential));
                        }
                    }
                    Output::Broadcast(m) => self.broadcast_own(i, m),
                    Output::FetchBlock { hash } => {
                        if self.nodes[i].blocks.contains(&hash) {
                            let valid = self.registry.get(&hash).copied().unwrap_or(false);
                            let now = self.now;
                            if let Some(a) = self.agreement_mut(i, current) {
                                next.extend(a.on_block(hash, valid, now));
                            }
                        } else {
                            self.fetch(i, hash, 0);
                        }
                    }
                    Output::Decided(d) => restart |= self.on_decided(i, d),
                }
            }
            pending = next;
        }
        if restart {
            let epoch = self.nodes[i].epoch + 1;
            self.nodes[i].epoch = epoch;
            self.nodes[i].timer_at = None;
            let now = self.now;
            self.push(now, Event::NextRound { node: i, epoch });
        } else {
            self.arm(i);
        }
    }

    fn agreement_mut(&mut self, i: usize, current: bool) -> Option<&mut Agreement> {
        let n = &mut self.nodes[i];
        if current {
            n.agreement.as_mut()
        } else {
            n.prev_agreement.as_mut()
        }
    }

    fn arm(&mut self, i: usize) {
        let n = &mut self.nodes[i];
        let Some(a) = &n.agreement else { return };
        if a.is_halted() {
            let at = (a.context().round, a.period());
            if n.last_halt != Some(at) {
                n.last_halt = Some(at);
                n.halts += 1;
            }
        }
        if let Some(d) = a.next_deadline() {
            if n.timer_at != Some(d) {
                n.timer_at = Some(d);
                let epoch = n.epoch;
                let at = d.max(self.now);
                self.push(at, Event::Timer { node: i, epoch });
            }
        }
    }

    fn propose(&mut self, i: usize, credential: sero_consensus::Credential) -> Vec<Output> {
        let behaviour = self.nodes[i].behaviour;
        let ctx = self.nodes[i]
            .agreement
            .as_ref()
            .expect("current agreement")
            .context()
            .clone();
        let me = self.nodes[i].vote_key;
        let now = self.now;
        match behaviour {
            Behaviour::Honest | Behaviour::DoubleVoter => {
                let b = block(ctx.round, &ctx.prev_hash, &me, 0);
                self.registry.insert(b, true);
                self.nodes[i].blocks.insert(b);
                let out = self.nodes[i].agreement.as_mut().unwrap().propose(b, now);
                // The body travels with the proposal.
                let peers: Vec<usize> = (0..self.nodes.len()).filter(|&j| j != i).collect();
                for j in peers {
                    self.send(i, j, Net::Body(b));
                }
                out
            }
            Behaviour::Silent => Vec::new(),
            Behaviour::EquivocatingProposer => {
                let keys = self.nodes[i].keys.clone();
                let n = self.nodes.len();
                for (variant, half) in [(1u8, 0usize), (2, 1)] {
                    let b = block(ctx.round, &ctx.prev_hash, &me, variant);
                    self.registry.insert(b, true);
                    self.nodes[i].blocks.insert(b);
                    let p = sign_proposal(&ctx, &keys, &credential, b);
                    let bytes: Arc<[u8]> = p.proposal().to_bytes().into();
                    for j in (0..n).filter(|&j| j != i && j % 2 == half) {
                        self.send(i, j, Net::Consensus(bytes.clone()));
                        self.send(i, j, Net::Body(b));
                    }
                }
                Vec::new()
            }
            Behaviour::UnseenBlockVoter => {
                let b = block(ctx.round, &ctx.prev_hash, &me, 9);
                let keys = self.nodes[i].keys.clone();
                let p = sign_proposal(&ctx, &keys, &credential, b);
                let bytes: Arc<[u8]> = p.proposal().to_bytes().into();
                self.broadcast(i, Net::Consensus(bytes));
                Vec::new()
            }
        }
    }

    /// An own message of node `i`'s agreement, sent according to its
    /// behaviour. Honest votes are persisted before sending.
    fn broadcast_own(&mut self, i: usize, m: Message) {
        let behaviour = self.nodes[i].behaviour;
        match (&m, behaviour) {
            (_, Behaviour::Silent) => {}
            (Message::Vote(v), Behaviour::Honest | Behaviour::EquivocatingProposer) => {
                self.nodes[i]
                    .persisted
                    .entry((v.round, v.prev_hash))
                    .or_default()
                    .push(v.clone());
                self.broadcast(i, Net::Consensus(m.to_bytes().into()));
            }
            // Votes only by mirroring others' (`double_vote_mirror`).
            (Message::Vote(_), Behaviour::DoubleVoter) => {}
            (Message::Vote(v), Behaviour::UnseenBlockVoter) => {
                let Some(ctx) = self.ctx_of_vote(i, v) else {
                    return;
                };
                let unseen = block(ctx.round, &ctx.prev_hash, &self.nodes[i].vote_key, 9);
                let keys = self.nodes[i].keys.clone();
                if let Ok(Some(alt)) =
                    sign_vote_in(&ctx, &self.cfg.params, &keys, v.step, v.period, unseen)
                {
                    let b = Message::Vote(alt.into_vote()).to_bytes().into();
                    self.broadcast(i, Net::Consensus(b));
                }
            }
            (Message::Proposal(_), _) => {
                self.broadcast(i, Net::Consensus(m.to_bytes().into()));
            }
        }
    }

    fn ctx_of_vote(&self, i: usize, v: &Vote) -> Option<RoundContext> {
        let n = &self.nodes[i];
        [n.agreement.as_ref(), n.prev_agreement.as_ref()]
            .into_iter()
            .flatten()
            .map(|a| a.context())
            .find(|c| c.round == v.round && c.prev_hash == v.prev_hash)
            .cloned()
    }

    fn fetch(&mut self, i: usize, hash: [u8; 32], tries: u32) {
        self.broadcast(i, Net::BlockRequest(hash));
        let at = self.now + 4 * self.cfg.link.base_ms + 2 * self.cfg.link.jitter_ms + 200;
        self.push(
            at,
            Event::FetchRetry {
                node: i,
                hash,
                tries,
            },
        );
    }

    // ------------------------------------------------------------- network

    /// Whether the link is cut by a partition now. The adversary's own
    /// nodes are never cut off: they reach both sides.
    fn cut(&self, a: usize, b: usize) -> bool {
        if !self.nodes[a].behaviour.is_honest() || !self.nodes[b].behaviour.is_honest() {
            return false;
        }
        self.cfg
            .partitions
            .iter()
            .any(|p| p.start_ms <= self.now && self.now < p.end_ms && p.side[a] != p.side[b])
    }

    fn broadcast(&mut self, from: usize, msg: Net) {
        for j in 0..self.nodes.len() {
            if j != from {
                self.send(from, j, msg.clone());
            }
        }
    }

    fn send(&mut self, from: usize, to: usize, msg: Net) {
        if !self.nodes[from].up {
            return;
        }
        self.messages_sent += 1;
        if self.cut(from, to) {
            return;
        }
        let l = self.cfg.link;
        if self.rng.gen_range(0..1_000_000) < l.drop_ppm {
            return;
        }
        let copies = if self.rng.gen_range(0..1_000_000) < l.dup_ppm {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let mut d = self.link_base[from][to] + self.rng.gen_range(0..=l.jitter_ms);
            if self.rng.gen_range(0..1_000_000) < l.reorder_ppm {
                d += self.rng.gen_range(0..=4 * l.base_ms);
            }
            let at = self.now + d.max(1);
            self.push(
                at,
                Event::Deliver {
                    to,
                    from,
                    msg: msg.clone(),
                },
            );
        }
    }

    fn receive(&mut self, to: usize, from: usize, msg: Net) {
        match msg {
            Net::Consensus(bytes) => self.on_consensus(to, from, bytes),
            Net::Body(hash) => {
                if !self.nodes[to].blocks.insert(hash) {
                    return;
                }
                let valid = self.registry.get(&hash).copied().unwrap_or(false);
                let now = self.now;
                if let Some(a) = self.nodes[to].agreement.as_mut() {
                    let out = a.on_block(hash, valid, now);
                    self.handle(to, out, true);
                }
            }
            Net::BlockRequest(hash) => {
                let n = &self.nodes[to];
                if n.behaviour != Behaviour::Silent && n.blocks.contains(&hash) {
                    self.send(to, from, Net::Body(hash));
                }
            }
            Net::SyncRequest(from_round) => {
                let n = &self.nodes[to];
                if n.behaviour == Behaviour::Silent || from_round == 0 {
                    return;
                }
                let start = (from_round - 1) as usize;
                if start >= n.chain.len() {
                    return;
                }
                let end = (start + SYNC_BATCH).min(n.chain.len());
                let entries = Arc::new(n.chain[start..end].to_vec());
                self.send(to, from, Net::SyncResponse(from_round, entries));
            }
            Net::SyncResponse(from_round, entries) => self.adopt(to, from_round, &entries),
        }
    }

    fn memo_key(bytes: &[u8], ctx: &RoundContext) -> [u8; 32] {
        h(
            TAG_MEMO,
            &[bytes, &ctx.round.to_le_bytes(), &ctx.prev_hash, &ctx.seed],
        )
    }

    fn decode(&mut self, bytes: &[u8]) -> Option<Message> {
        let k = h(TAG_MEMO, &[b"decode", bytes]);
        self.decode_memo
            .entry(k)
            .or_insert_with(|| Message::from_bytes(bytes).ok())
            .clone()
    }

    /// Verification is a pure function of the bytes and the context:
    /// memoised across nodes.
    fn verify(
        &mut self,
        ctx: &RoundContext,
        msg: &Message,
        bytes: &[u8],
    ) -> Result<Verified, MessageError> {
        let k = Self::memo_key(bytes, ctx);
        let params = self.cfg.params;
        self.verify_memo
            .entry(k)
            .or_insert_with(|| match msg {
                Message::Vote(v) => verify_vote(ctx, &params, v).map(Verified::Vote),
                Message::Proposal(p) => verify_proposal(ctx, &params, p).map(Verified::Proposal),
            })
            .clone()
    }

    fn on_consensus(&mut self, i: usize, from: usize, bytes: Arc<[u8]>) {
        let Some(msg) = self.decode(&bytes) else {
            self.rejected += 1;
            return;
        };
        if self.nodes[i].behaviour == Behaviour::DoubleVoter {
            self.double_vote_mirror(i, from, &msg);
        }
        let round = self.nodes[i].chain.len() as u64 + 1;
        let mr = msg.round();
        if mr > round {
            let n = &mut self.nodes[i];
            if mr <= round + FUTURE_WINDOW && n.future_len < FUTURE_CAP {
                n.future.entry(mr).or_default().push((from, bytes));
                n.future_len += 1;
            }
            self.request_sync(i, from, false);
            return;
        }
        let current = mr == round;
        if !current && mr + 1 != round {
            return;
        }
        let ctx = {
            let n = &self.nodes[i];
            let a = if current {
                n.agreement.as_ref()
            } else {
                n.prev_agreement.as_ref()
            };
            match a {
                Some(a) => a.context().clone(),
                None => return,
            }
        };
        let now = self.now;
        match self.verify(&ctx, &msg, &bytes) {
            Ok(Verified::Vote(vv)) => {
                self.relay_vote(i, from, mr, &bytes);
                if let Some(a) = self.agreement_mut(i, current) {
                    let out = a.on_vote(vv, now);
                    self.handle(i, out, current);
                }
            }
            Ok(Verified::Proposal(vp)) => {
                if !current {
                    return;
                }
                self.maybe_relay(i, &vp, &bytes);
                if let Some(a) = self.nodes[i].agreement.as_mut() {
                    let out = a.on_proposal(vp, now);
                    self.handle(i, out, true);
                }
            }
            Err(MessageError::WrongPrevHash) => {
                self.rejected += 1;
                self.request_sync(i, from, false);
            }
            Err(_) => self.rejected += 1,
        }
    }

    /// The double voter, an omniscient adversary, answers every honest
    /// vote with its own vote for the same value, in that voter's round and
    /// chain, sent to that voter only: each node's first vote from it in a
    /// step supports that node's own value, so nodes that disagree each see
    /// it on their side (it signs as many values per step as there are).
    fn double_vote_mirror(&mut self, i: usize, from: usize, msg: &Message) {
        let Message::Vote(v) = msg else { return };
        if !self.nodes[from].behaviour.is_honest()
            || v.voter.to_bytes() != self.nodes[from].vote_key
        {
            return;
        }
        let ctx = self.ctx_for(&self.nodes[from].chain);
        if ctx.round != v.round || ctx.prev_hash != v.prev_hash {
            return;
        }
        let key = (v.round, v.prev_hash, v.period, v.step, v.value);
        let bytes = match self.nodes[i].mirrored.get(&key) {
            Some(b) => b.clone(),
            None => {
                let keys = self.nodes[i].keys.clone();
                let b = sign_vote_in(&ctx, &self.cfg.params, &keys, v.step, v.period, v.value)
                    .ok()
                    .flatten()
                    .map(|vv| -> Arc<[u8]> { Message::Vote(vv.into_vote()).to_bytes().into() });
                let n = &mut self.nodes[i];
                if n.mirrored.len() > 100_000 {
                    n.mirrored.clear();
                }
                n.mirrored.insert(key, b.clone());
                b
            }
        };
        if let Some(b) = bytes {
            self.send(i, from, Net::Consensus(b));
        }
    }

    /// Gossip: an honest node relays each valid vote it sees for the first
    /// time to `relay_fanout` random peers.
    fn relay_vote(&mut self, i: usize, from: usize, round: u64, bytes: &Arc<[u8]>) {
        let fanout = self.cfg.relay_fanout;
        let n = &mut self.nodes[i];
        if fanout == 0 || !n.behaviour.is_honest() {
            return;
        }
        let k = h(TAG_MEMO, &[b"relay", bytes]);
        if !n.relayed.entry(round).or_default().insert(k) {
            return;
        }
        if n.relayed.len() > 3 {
            let first = *n.relayed.keys().next().expect("non-empty");
            n.relayed.remove(&first);
        }
        let count = self.nodes.len();
        for _ in 0..fanout {
            let j = self.random_peer(i);
            if j != from && j < count {
                self.send(i, j, Net::Consensus(bytes.clone()));
            }
        }
    }

    /// Honest nodes relay a proposal (and its body) when it is the best
    /// they have seen this round, as Algorand's gossip does.
    fn maybe_relay(&mut self, i: usize, vp: &VerifiedProposal, bytes: &Arc<[u8]>) {
        let n = &mut self.nodes[i];
        if !n.behaviour.is_honest() || n.best_seen.is_some_and(|b| b <= vp.priority()) {
            return;
        }
        n.best_seen = Some(vp.priority());
        let hash = vp.proposal().block_hash;
        let has_body = n.blocks.contains(&hash);
        self.broadcast(i, Net::Consensus(bytes.clone()));
        if has_body {
            self.broadcast(i, Net::Body(hash));
        }
    }

    // ---------------------------------------------------------------- sync

    fn request_sync(&mut self, i: usize, peer: usize, force: bool) {
        let n = &mut self.nodes[i];
        if !force && n.last_sync.is_some_and(|t| self.now < t + SYNC_COOLDOWN_MS) {
            return;
        }
        n.last_sync = Some(self.now);
        let from_round = n.final_height + 1;
        self.syncs += 1;
        self.send(i, peer, Net::SyncRequest(from_round));
    }

    fn cert_ok(&mut self, ctx: &RoundContext, cert: &Certificate) -> bool {
        let k = Self::memo_key(&cert.to_bytes(), ctx);
        let params = self.cfg.params;
        *self
            .cert_memo
            .entry(k)
            .or_insert_with(|| verify_certificate(ctx, &params, cert).is_ok())
    }

    /// A peer's chain from `from_round`: check every certificate against
    /// the chain it extends, and switch to it if it has a higher final
    /// height, or the same and more rounds, or the same length and smaller
    /// values (a deterministic tie-break between tentative forks). Blocks at or below our final
    /// height are never replaced; a valid conflicting final certificate
    /// there is a safety violation.
    fn adopt(&mut self, i: usize, from_round: u64, entries: &[Entry]) {
        if !self.nodes[i].up || from_round == 0 {
            return;
        }
        let base = (from_round - 1) as usize;
        if base > self.nodes[i].chain.len() {
            return;
        }
        let mut cand: Vec<Entry> = self.nodes[i].chain[..base].to_vec();
        for e in entries {
            let ctx = self.ctx_for(&cand);
            let c = &e.cert;
            if c.round != ctx.round || c.value != e.value || c.kind != e.kind {
                break;
            }
            if !self.cert_ok(&ctx, c) {
                break;
            }
            cand.push(Entry {
                seed: ctx.seed,
                ..e.clone()
            });
        }
        let fh = self.nodes[i].final_height as usize;
        let mine = &self.nodes[i].chain;
        // Our final prefix must be kept.
        for r in base..fh.min(cand.len()) {
            if cand[r].value != mine[r].value {
                if cand[r].kind == DecisionKind::Final && self.nodes[i].behaviour.is_honest() {
                    self.violations.push(format!(
                        "node {i}: valid final certificate at round {} conflicts with its final chain",
                        r + 1
                    ));
                }
                return;
            }
        }
        let cand_fh = cand
            .iter()
            .rposition(|e| e.kind == DecisionKind::Final)
            .map_or(0, |p| p + 1);
        // Fork choice: higher final height, then longer, then (equal
        // tentative forks) the smaller values, so split nodes converge.
        let smaller = || {
            let a = cand.iter().map(|e| e.value);
            let b = mine.iter().map(|e| e.value);
            a.lt(b)
        };
        let better = cand_fh > fh
            || (cand_fh == fh
                && (cand.len() > mine.len() || (cand.len() == mine.len() && smaller())));
        if !better {
            return;
        }
        let rolled = (base..mine.len().min(cand.len()))
            .filter(|&r| cand[r].value != mine[r].value)
            .count()
            + mine.len().saturating_sub(cand.len());
        self.rollbacks += rolled as u64;
        let new_finals: Vec<(u64, [u8; 32])> = cand
            .iter()
            .enumerate()
            .skip(base)
            .filter(|(r, e)| {
                e.kind == DecisionKind::Final
                    && !mine
                        .get(*r)
                        .is_some_and(|m| m.kind == DecisionKind::Final && m.value == e.value)
            })
            .map(|(r, e)| (r as u64 + 1, e.value))
            .collect();
        for (r, v) in new_finals {
            self.record_final(i, r, v);
        }
        let values: Vec<[u8; 32]> = cand.iter().map(|e| e.value).collect();
        let n = &mut self.nodes[i];
        n.blocks.extend(values);
        n.chain = cand;
        self.raise_final(i, cand_fh as u64);
        self.nodes[i].prev_agreement = None;
        self.nodes[i].agreement = None;
        self.start_round(i);
    }

    // -------------------------------------------------------------- report

    fn finish(mut self) -> SimReport {
        let views: Vec<NodeView> = self
            .nodes
            .iter()
            .map(|n| NodeView {
                honest: n.behaviour.is_honest(),
                chain: n.chain.iter().map(|e| (e.value, e.kind)).collect(),
                final_height: n.final_height,
            })
            .collect();
        let mut violations = std::mem::take(&mut self.violations);
        violations.extend(check_safety(&views, &self.final_log));
        // Validity: honest chains hold only real blocks or empty blocks.
        for (i, n) in self.nodes.iter().enumerate() {
            if !n.behaviour.is_honest() {
                continue;
            }
            let mut prev = self.genesis_prev;
            for (r, e) in n.chain.iter().enumerate() {
                let round = r as u64 + 1;
                let ok = e.value == empty_block(round, &prev)
                    || self.registry.get(&e.value) == Some(&true);
                if !ok && self.cfg.sabotage_round != Some(round) {
                    violations.push(format!(
                        "node {i}: round {round} decided a block that does not exist"
                    ));
                }
                prev = e.value;
            }
        }
        let t = self.last_disruption;
        let bound = self.cfg.liveness_bound_ms;
        let mut liveness_failures = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            if !n.behaviour.is_honest() {
                continue;
            }
            match n.final_times.iter().find(|&&x| x > t) {
                Some(&x) if x <= t + bound => {}
                Some(&x) => liveness_failures.push(format!(
                    "node {i}: first final round {} ms after the last fault (bound {bound})",
                    x - t
                )),
                None => liveness_failures.push(format!(
                    "node {i}: no final round after the last fault at {t} ms"
                )),
            }
        }
        let mut ttf: Vec<u64> = self
            .nodes
            .iter()
            .filter(|n| n.behaviour.is_honest())
            .flat_map(|n| n.ttf.iter().copied())
            .collect();
        ttf.sort_unstable();
        SimReport {
            seed: self.cfg.seed,
            nodes: self.nodes.len(),
            behaviours: self.cfg.behaviours.clone(),
            finals: self.nodes.iter().map(|n| n.final_height).collect(),
            tentatives: self
                .nodes
                .iter()
                .map(|n| {
                    n.chain
                        .iter()
                        .filter(|e| e.kind == DecisionKind::Tentative)
                        .count() as u64
                })
                .collect(),
            chain_lengths: self.nodes.iter().map(|n| n.chain.len() as u64).collect(),
            violations,
            liveness_ok: liveness_failures.is_empty(),
            liveness_failures,
            median_finality_ms: percentile(&ttf, 50),
            p90_finality_ms: percentile(&ttf, 90),
            finality_samples: ttf.len() as u64,
            finality_ms: ttf,
            messages_sent: self.messages_sent,
            messages_delivered: self.messages_delivered,
            rejected_messages: self.rejected,
            rollbacks: self.rollbacks,
            sync_requests: self.syncs,
            halts: self.nodes.iter().map(|n| n.halts).sum(),
            recovered_decisions: self.recovered,
            virtual_ms: self.now,
            chain_digest: chain_digest(&self.nodes),
        }
    }
}

fn chain_digest(nodes: &[Node]) -> String {
    let mut s = Params::new().hash_length(16).personal(TAG_MEMO).to_state();
    for n in nodes {
        for e in &n.chain {
            s.update(&e.value);
            s.update(&[e.kind as u8]);
        }
        s.update(b"|");
    }
    s.finalize()
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
