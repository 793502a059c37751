//! A tiny deterministic network for the BA★ integration tests: fixed
//! delays, no losses unless a test drops a node.
#![allow(dead_code)]

use sero_consensus::ba::{
    verify_proposal, verify_vote, Agreement, BaParams, Decision, Message, Output, RoundContext,
    ValidatorKeys, ValidatorSet, Vote,
};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashSet};
use std::sync::Arc;

pub fn keys(n: usize) -> Vec<ValidatorKeys> {
    (0..n)
        .map(|i| ValidatorKeys::from_seed(&[i as u8 + 1; 32]))
        .collect()
}

pub fn context(keys: &[ValidatorKeys], stakes: &[u64], round: u64) -> RoundContext {
    let set = ValidatorSet::new(
        keys.iter()
            .zip(stakes)
            .map(|(k, &s)| k.validator(s))
            .collect(),
    )
    .unwrap();
    RoundContext {
        round,
        prev_hash: [0xaa; 32],
        seed: [0x5e; 32],
        empty_hash: [0xee; 32],
        validators: Arc::new(set),
    }
}

pub fn block_of(i: usize) -> [u8; 32] {
    [0xb0 + i as u8; 32]
}

#[derive(Debug)]
enum Ev {
    Msg(Box<Message>),
    Block([u8; 32], bool),
    Timer,
}

/// Node `i` proposes `block_of(i)` when asked, unless `silent_proposer`.
pub struct Net {
    pub ctx: RoundContext,
    pub params: BaParams,
    pub keys: Vec<ValidatorKeys>,
    pub nodes: Vec<Option<Agreement>>,
    pub now: u64,
    pub delay: u64,
    queue: BinaryHeap<Reverse<(u64, u64, usize)>>,
    events: BTreeMap<u64, Ev>,
    seq: u64,
    timers: Vec<Option<u64>>,
    pub valid_blocks: HashSet<[u8; 32]>,
    pub no_propose: HashSet<usize>,
    /// Every vote each node broadcast, in order.
    pub sent: Vec<Vec<Vote>>,
    pub decisions: Vec<Vec<Decision>>,
    pub fetches: Vec<Vec<[u8; 32]>>,
}

impl Net {
    pub fn new(n: usize, stakes: &[u64], params: BaParams) -> Net {
        let keys = keys(n);
        let ctx = context(&keys, stakes, 7);
        Net {
            ctx,
            params,
            nodes: (0..n).map(|_| None).collect(),
            keys,
            now: 0,
            delay: 10,
            queue: BinaryHeap::new(),
            events: BTreeMap::new(),
            seq: 0,
            timers: vec![None; n],
            valid_blocks: HashSet::new(),
            no_propose: HashSet::new(),
            sent: vec![Vec::new(); n],
            decisions: vec![Vec::new(); n],
            fetches: vec![Vec::new(); n],
        }
    }

    pub fn start(&mut self, i: usize, prior: Vec<Vote>) {
        let (a, out) = Agreement::new(
            self.ctx.clone(),
            self.params,
            Some(self.keys[i].clone()),
            self.now,
            prior,
        );
        self.nodes[i] = Some(a);
        self.handle(i, out);
    }

    pub fn start_all(&mut self) {
        for i in 0..self.nodes.len() {
            self.start(i, Vec::new());
        }
    }

    pub fn crash(&mut self, i: usize) {
        self.nodes[i] = None;
        self.timers[i] = None;
    }

    fn push(&mut self, at: u64, to: usize, ev: Ev) {
        self.seq += 1;
        self.events.insert(self.seq, ev);
        self.queue.push(Reverse((at, self.seq, to)));
    }

    fn handle(&mut self, i: usize, out: Vec<Output>) {
        let mut pending = out;
        while !pending.is_empty() {
            let mut next = Vec::new();
            for o in pending {
                match o {
                    Output::Propose { .. } => {
                        if !self.no_propose.contains(&i) {
                            let b = block_of(i);
                            self.valid_blocks.insert(b);
                            let now = self.now;
                            next.extend(self.nodes[i].as_mut().unwrap().propose(b, now));
                        }
                    }
                    Output::Broadcast(m) => {
                        if let Message::Vote(v) = &m {
                            self.sent[i].push(v.clone());
                        }
                        for j in 0..self.nodes.len() {
                            if j != i {
                                let at = self.now + self.delay;
                                self.push(at, j, Ev::Msg(Box::new(m.clone())));
                            }
                        }
                    }
                    Output::FetchBlock { hash } => {
                        self.fetches[i].push(hash);
                        let valid = self.valid_blocks.contains(&hash);
                        if valid {
                            let at = self.now + 2 * self.delay;
                            self.push(at, i, Ev::Block(hash, true));
                        }
                    }
                    Output::Decided(d) => self.decisions[i].push(d),
                }
            }
            pending = next;
        }
        self.arm(i);
    }

    fn arm(&mut self, i: usize) {
        let Some(a) = &self.nodes[i] else { return };
        if let Some(d) = a.next_deadline() {
            if self.timers[i] != Some(d) {
                self.timers[i] = Some(d);
                self.push(d.max(self.now), i, Ev::Timer);
            }
        }
    }

    /// Delivers a message to node `to` now (verifying it first).
    pub fn deliver(&mut self, to: usize, m: &Message) {
        let now = self.now;
        let Some(a) = self.nodes[to].as_mut() else {
            return;
        };
        let out = match m {
            Message::Vote(v) => match verify_vote(&self.ctx, &self.params, v) {
                Ok(vv) => a.on_vote(vv, now),
                Err(_) => Vec::new(),
            },
            Message::Proposal(p) => match verify_proposal(&self.ctx, &self.params, p) {
                Ok(vp) => a.on_proposal(vp, now),
                Err(_) => Vec::new(),
            },
        };
        self.handle(to, out);
    }

    pub fn run_until(&mut self, t: u64) {
        while let Some(&Reverse((at, seq, to))) = self.queue.peek() {
            if at > t {
                break;
            }
            self.queue.pop();
            self.now = at;
            let ev = self.events.remove(&seq).unwrap();
            if self.nodes[to].is_none() {
                continue;
            }
            match ev {
                Ev::Msg(m) => self.deliver(to, &m),
                Ev::Block(h, valid) => {
                    let out = self.nodes[to].as_mut().unwrap().on_block(h, valid, at);
                    self.handle(to, out);
                }
                Ev::Timer => {
                    if self.timers[to] == Some(at) {
                        self.timers[to] = None;
                    }
                    let out = self.nodes[to].as_mut().unwrap().on_timeout(at);
                    self.handle(to, out);
                }
            }
        }
        self.now = self.now.max(t);
    }

    pub fn last_decision(&self, i: usize) -> Option<&Decision> {
        self.decisions[i].last()
    }

    /// No node sent two different votes for one step.
    pub fn assert_no_equivocation(&self) {
        for (i, votes) in self.sent.iter().enumerate() {
            let mut by_step = BTreeMap::new();
            for v in votes {
                if let Some(prev) = by_step.insert((v.period, v.step), v.clone()) {
                    assert_eq!(prev, *v, "node {i} sent two votes for {:?}", v.step);
                }
            }
        }
    }
}
