//! What a simulation run is made of.

use serde::Serialize;
use sero_consensus::ba::BaParams;

/// How a validator behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Behaviour {
    /// Follows the protocol.
    Honest,
    /// Sends nothing and answers nothing (it still follows the chain).
    Silent,
    /// As proposer, signs two different (valid) blocks and sends one to
    /// each half of the network; votes honestly.
    EquivocatingProposer,
    /// Votes several values in every step, as an omniscient adversary: it
    /// answers every honest vote with its own vote for the same value (in
    /// that voter's round and chain), sent to that voter only, so that
    /// nodes that disagree each see it on their side.
    DoubleVoter,
    /// Proposes a block whose body nobody can fetch, and votes for it in
    /// every step.
    UnseenBlockVoter,
}

impl Behaviour {
    /// Whether the validator is honest.
    pub fn is_honest(self) -> bool {
        self == Behaviour::Honest
    }
}

/// The network between every pair of nodes. Probabilities are in parts
/// per million.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LinkModel {
    /// Mean one-way delay; each link draws its own base in 80–120 % of it.
    pub base_ms: u64,
    /// Each message adds a uniform delay in `0..=jitter_ms`.
    pub jitter_ms: u64,
    /// Probability that a message is lost.
    pub drop_ppm: u32,
    /// Probability that a message is delivered twice (independent delays).
    pub dup_ppm: u32,
    /// Probability that a message is held back by up to 4 × `base_ms`
    /// (so that later messages overtake it).
    pub reorder_ppm: u32,
}

impl LinkModel {
    /// A perfect network with fixed delay (plus jitter).
    pub fn clean(base_ms: u64, jitter_ms: u64) -> Self {
        LinkModel {
            base_ms,
            jitter_ms,
            drop_ppm: 0,
            dup_ppm: 0,
            reorder_ppm: 0,
        }
    }
}

/// A network partition: from `start_ms` to `end_ms` every message between
/// an honest node with `side[i] = true` and one with `side[j] = false` is
/// dropped (at sending and at delivery). Byzantine nodes are never cut off:
/// the adversary reaches both sides, which is what lets it try to make
/// them decide differently.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Partition {
    /// When the cut appears.
    pub start_ms: u64,
    /// When it heals.
    pub end_ms: u64,
    /// Which side each node is on.
    pub side: Vec<bool>,
}

/// A node that stops at `at_ms` (losing everything but its chain, block
/// bodies and persisted own votes) and restarts at `restart_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Crash {
    /// The node.
    pub node: usize,
    /// When it stops.
    pub at_ms: u64,
    /// When it restarts.
    pub restart_ms: u64,
}

/// One simulation run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimConfig {
    /// Seeds all randomness (one ChaCha stream) and the validators' keys.
    pub seed: u64,
    /// Each node's stake (the number of nodes is its length).
    pub stakes: Vec<u64>,
    /// Each node's behaviour.
    pub behaviours: Vec<Behaviour>,
    /// The network.
    pub link: LinkModel,
    /// Partitions (they heal at `end_ms`).
    pub partitions: Vec<Partition>,
    /// Crashes (all restart).
    pub crashes: Vec<Crash>,
    /// Gossip redundancy: each honest node relays every valid vote it sees
    /// for the first time to this many random peers (0: votes travel only
    /// from their signer to every node).
    pub relay_fanout: usize,
    /// Stop once every honest node has this many final rounds (and has
    /// finalised one after the last fault).
    pub rounds: u64,
    /// Stop at this virtual time in any case.
    pub max_time_ms: u64,
    /// After the last partition heals and the last crashed node restarts,
    /// every honest node must finalise a new round within this time.
    pub liveness_bound_ms: u64,
    /// The agreement's parameters.
    pub params: BaParams,
    /// Test hook that breaks safety on purpose: when node 1 finalises this
    /// round, its recorded value is replaced by another one, so that the
    /// checks must report a violation.
    pub sabotage_round: Option<u64>,
}

impl SimConfig {
    /// `n` honest nodes of stake 1000 each on a clean network (jitter a
    /// fifth of the latency), 5 rounds, liveness bound 60 s.
    pub fn honest(seed: u64, n: usize, latency_ms: u64, params: BaParams) -> Self {
        SimConfig {
            seed,
            stakes: vec![1000; n],
            behaviours: vec![Behaviour::Honest; n],
            link: LinkModel::clean(latency_ms, latency_ms / 5),
            partitions: Vec::new(),
            crashes: Vec::new(),
            relay_fanout: 0,
            rounds: 5,
            max_time_ms: 600_000,
            liveness_bound_ms: 60_000,
            params,
            sabotage_round: None,
        }
    }

    /// The number of nodes.
    pub fn nodes(&self) -> usize {
        self.stakes.len()
    }

    /// When the last fault ends (partition healed, node restarted).
    pub fn last_disruption_ms(&self) -> u64 {
        let p = self.partitions.iter().map(|p| p.end_ms);
        let c = self.crashes.iter().map(|c| c.restart_ms);
        p.chain(c).max().unwrap_or(0)
    }
}
