//! Bounded, fair verification of gossiped transactions.
//!
//! A peer's transactions wait in its own queue of at most
//! [`PER_PEER`] entries (and all queues together at most [`TOTAL`]); a full
//! queue drops the newcomer (the gossip is ignored, not relayed). The
//! service verifies one transaction at a time, taking the peers in turn, so
//! a peer that floods the node delays only its own transactions, and the
//! proofs are checked outside the node's lock
//! ([`mempool::submit`](crate::mempool::submit)).

use sero_ledger::tx::Transaction;
use sero_network::{MessageId, PeerId};
use std::collections::{HashMap, VecDeque};

/// Most transactions waiting per peer.
pub const PER_PEER: usize = 64;
/// Most transactions waiting in all.
pub const TOTAL: usize = 1024;
/// Most transactions verified together (one proof batch per circuit).
pub const BATCH: usize = 64;

/// A gossiped transaction waiting for verification.
pub struct Job {
    pub id: MessageId,
    pub source: PeerId,
    pub tx: Transaction,
}

/// The per-peer queues, served round-robin.
#[derive(Default)]
pub struct TxQueue {
    queues: HashMap<PeerId, VecDeque<Job>>,
    order: VecDeque<PeerId>,
    len: usize,
    /// Transactions dropped because a queue was full.
    pub dropped: u64,
}

impl TxQueue {
    /// Queues `job`; gives it back when its peer's queue (or the total) is
    /// full.
    pub fn push(&mut self, job: Job) -> Result<(), Box<Job>> {
        let q = self.queues.entry(job.source).or_default();
        if q.len() >= PER_PEER || self.len >= TOTAL {
            self.dropped += 1;
            return Err(Box::new(job));
        }
        if q.is_empty() {
            self.order.push_back(job.source);
        }
        q.push_back(job);
        self.len += 1;
        Ok(())
    }

    /// The next job, from the next peer in turn.
    pub fn pop(&mut self) -> Option<Job> {
        let peer = self.order.pop_front()?;
        let q = self.queues.get_mut(&peer)?;
        let job = q.pop_front();
        if q.is_empty() {
            self.queues.remove(&peer);
        } else {
            self.order.push_back(peer);
        }
        if job.is_some() {
            self.len -= 1;
        }
        job
    }

    /// Up to `max` jobs, the peers in turn (one from each peer with
    /// transactions waiting, then a second from each, ...): a batch for one
    /// verification, in which a flooding peer holds at most its share.
    pub fn pop_batch(&mut self, max: usize) -> Vec<Job> {
        let mut out = vec![];
        while out.len() < max {
            match self.pop() {
                Some(j) => out.push(j),
                None => break,
            }
        }
        out
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many of `peer`'s transactions wait.
    pub fn waiting(&self, peer: &PeerId) -> usize {
        self.queues.get(peer).map_or(0, |q| q.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(peer: PeerId, n: u8) -> Job {
        // Any transaction will do: the queue never looks inside.
        let tx = sero_ledger::vectors::sample_transaction([n; 32]);
        Job {
            id: MessageId::new(&[n]),
            source: peer,
            tx,
        }
    }

    #[test]
    fn a_flooding_peer_fills_only_its_own_queue_and_peers_take_turns() {
        let (rogue, honest) = (PeerId::random(), PeerId::random());
        let mut q = TxQueue::default();
        for i in 0..PER_PEER {
            assert!(q.push(job(rogue, i as u8)).is_ok());
        }
        // The rogue's next transactions are dropped...
        assert!(q.push(job(rogue, 200)).is_err());
        assert_eq!(q.dropped, 1);
        assert_eq!(q.waiting(&rogue), PER_PEER);
        // ...while an honest peer still gets in, and is served second, not
        // after the rogue's backlog.
        assert!(q.push(job(honest, 1)).is_ok());
        assert_eq!(q.pop().unwrap().source, rogue);
        assert_eq!(q.pop().unwrap().source, honest);
        assert_eq!(q.len(), PER_PEER - 1);
        while q.pop().is_some() {}
        assert!(q.is_empty());
    }

    #[test]
    fn a_batch_takes_the_peers_in_turn() {
        let (rogue, a, b) = (PeerId::random(), PeerId::random(), PeerId::random());
        let mut q = TxQueue::default();
        for i in 0..10 {
            assert!(q.push(job(rogue, i)).is_ok());
        }
        assert!(q.push(job(a, 100)).is_ok());
        assert!(q.push(job(b, 101)).is_ok());
        let batch = q.pop_batch(4);
        let sources: Vec<PeerId> = batch.iter().map(|j| j.source).collect();
        assert_eq!(sources, vec![rogue, a, b, rogue]);
        assert_eq!(q.len(), 8);
        assert_eq!(q.pop_batch(100).len(), 8);
        assert!(q.pop_batch(4).is_empty());
    }

    #[test]
    fn the_total_is_bounded() {
        let mut q = TxQueue::default();
        let mut pushed = 0;
        for _ in 0..(TOTAL / PER_PEER + 2) {
            let p = PeerId::random();
            for i in 0..PER_PEER {
                if q.push(job(p, i as u8)).is_ok() {
                    pushed += 1;
                }
            }
        }
        assert_eq!(pushed, TOTAL);
        assert_eq!(q.len(), TOTAL);
    }
}
