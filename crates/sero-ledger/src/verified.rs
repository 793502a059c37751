//! Stateless results remembered from mempool admission to block apply, so
//! that a transaction's proofs and signatures are verified once per node
//! (as Zebra's and reth's transaction pools hand verified transactions to
//! block validation).
//!
//! # Why this is sound
//!
//! Stateless validity (rules 1–5 of [`crate::validate`]: encodings,
//! signatures, proof of possession, balance, proofs) is a function of the
//! transaction's bytes and the chain's verifying keys only; nothing the
//! chain state holds enters it. The cache keys a success by
//! [`Transaction::full_hash`](crate::Transaction::full_hash) — BLAKE2b-256
//! over the *whole* canonical encoding, proofs and signatures included — so
//! a transaction that differs in any byte from the one verified (a swapped
//! proof, a changed signature) misses the cache and is verified in full. A
//! cache belongs to one chain (one set of verifying keys): [`crate::validate`]
//! never shares one between chains. Only successes are remembered; a failure
//! is recomputed (and costs the sender its peer score, not us a cache slot).
//!
//! # Decoded transactions
//!
//! The most recent [`DECODED_CAPACITY`] verified transactions are also kept
//! decoded, under the same full hash, so that a proposed block made of
//! transactions the node already holds is not decoded again
//! ([`Block::from_parts_with`](crate::Block::from_parts_with) with
//! [`VerifiedCache::decoded`]). Decoding is deterministic and canonical
//! (every point, scalar and proof has one encoding, checked on decode), so
//! the transaction kept for a full hash is the one its bytes decode to.
//!
//! # Bounds
//!
//! At most `capacity` hashes (32 bytes each, plus a queue entry) and at most
//! [`DECODED_CAPACITY`] decoded transactions (a few KiB each); when full, the
//! oldest entry is forgotten first (FIFO). A forgotten transaction is
//! simply decoded and verified again at block apply: the cache changes
//! cost, never a verdict.

use crate::validate::{stateless_batch_ok, validate_stateless_batch};
use crate::{Transaction, TxError};
use rayon::prelude::*;
use sero_zk::params::Parameters;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

/// The default bound: enough for a full mempool (10,000 transactions) and
/// several blocks of gossip on top; 65,536 × ≈ 80 bytes ≈ 5 MiB.
pub const DEFAULT_CAPACITY: usize = 65_536;

/// How many verified transactions are kept decoded: a minute of blocks at
/// 150 transactions per second; ≈ 3 KiB each, so ≈ 25 MiB at most.
pub const DECODED_CAPACITY: usize = 8_192;

/// A bounded set of full hashes of transactions that passed stateless
/// validation under one chain's parameters. Shared (`Arc`) between the
/// mempool and block validation; internally locked.
#[derive(Debug)]
pub struct VerifiedCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    set: HashSet<[u8; 32]>,
    order: VecDeque<[u8; 32]>,
    decoded: HashMap<[u8; 32], Arc<Transaction>>,
    decoded_order: VecDeque<[u8; 32]>,
    hits: u64,
    misses: u64,
}

/// Hit and miss counters (for logs and benchmarks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Entries held now.
    pub len: usize,
    /// Transactions found verified.
    pub hits: u64,
    /// Transactions that had to be verified.
    pub misses: u64,
}

impl Default for VerifiedCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl VerifiedCache {
    /// An empty cache holding at most `capacity` hashes (0 disables it).
    pub fn new(capacity: usize) -> Self {
        VerifiedCache {
            capacity,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave the set inconsistent
        // with the queue in a way that changes a verdict (at worst an entry
        // is forgotten early), so a poisoned lock is taken over.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the transaction with this full hash was verified.
    pub fn contains(&self, full_hash: &[u8; 32]) -> bool {
        self.lock().set.contains(full_hash)
    }

    /// Records that the transaction with this full hash passed stateless
    /// validation.
    pub fn insert(&self, full_hash: [u8; 32]) {
        if self.capacity > 0 {
            Self::remember(&mut self.lock(), self.capacity, full_hash);
        }
    }

    fn remember(g: &mut Inner, capacity: usize, full_hash: [u8; 32]) {
        if !g.set.insert(full_hash) {
            return;
        }
        g.order.push_back(full_hash);
        while g.order.len() > capacity {
            if let Some(old) = g.order.pop_front() {
                g.set.remove(&old);
            }
        }
    }

    /// Records a verified transaction and keeps it decoded (one lock for
    /// both).
    fn insert_tx(&self, full_hash: [u8; 32], tx: &Transaction) {
        let cap = self.capacity.min(DECODED_CAPACITY);
        if cap == 0 {
            return;
        }
        let tx = Arc::new(tx.clone());
        let mut g = self.lock();
        Self::remember(&mut g, self.capacity, full_hash);
        if g.decoded.insert(full_hash, tx).is_some() {
            return;
        }
        g.decoded_order.push_back(full_hash);
        while g.decoded_order.len() > cap {
            if let Some(old) = g.decoded_order.pop_front() {
                g.decoded.remove(&old);
            }
        }
    }

    /// The verified transaction whose canonical encoding is `encoding`, if
    /// it is still kept decoded: what `Transaction::from_bytes(encoding)`
    /// gives, without the point checks.
    pub fn decoded(&self, encoding: &[u8]) -> Option<Transaction> {
        if encoding.len() > crate::tx::MAX_TX_BYTES {
            return None;
        }
        let h = Transaction::full_hash_of(encoding);
        let tx = self.lock().decoded.get(&h).cloned()?;
        Some((*tx).clone())
    }

    /// Counters since creation.
    pub fn stats(&self) -> CacheStats {
        let g = self.lock();
        CacheStats {
            len: g.set.len(),
            hits: g.hits,
            misses: g.misses,
        }
    }

    /// [`validate_stateless_batch`] for the transactions not yet verified
    /// (one batch for all of them); those found in the cache are `Ok`
    /// without work. The successes are remembered.
    pub fn validate_batch(
        &self,
        txs: &[Transaction],
        params: &Parameters,
    ) -> Vec<Result<(), TxError>> {
        let hashes: Vec<[u8; 32]> = txs.par_iter().map(Transaction::full_hash).collect();
        let todo: Vec<usize> = {
            let mut g = self.lock();
            let todo: Vec<usize> = (0..txs.len())
                .filter(|&i| !g.set.contains(&hashes[i]))
                .collect();
            g.hits += (txs.len() - todo.len()) as u64;
            g.misses += todo.len() as u64;
            todo
        };
        let mut results: Vec<Result<(), TxError>> = vec![Ok(()); txs.len()];
        if todo.is_empty() {
            return results;
        }
        let verdicts = if todo.len() == txs.len() {
            validate_stateless_batch(txs, params)
        } else {
            let batch: Vec<Transaction> = todo.iter().map(|&i| txs[i].clone()).collect();
            validate_stateless_batch(&batch, params)
        };
        for (&i, r) in todo.iter().zip(verdicts) {
            if r.is_ok() {
                self.insert_tx(hashes[i], &txs[i]);
            }
            results[i] = r;
        }
        results
    }

    /// Verifies the not-yet-verified transactions of `txs` as one batch
    /// without blame ([`stateless_batch_ok`]) and remembers them all if the
    /// batch holds; returns whether it held. Nothing is remembered on
    /// failure: each block is then validated (and blamed) on its own.
    pub fn preverify(&self, txs: &[Transaction], params: &Parameters) -> bool {
        // The hashes (an encoding and BLAKE2b each) in parallel, outside
        // the lock.
        let hashes: Vec<[u8; 32]> = txs.par_iter().map(Transaction::full_hash).collect();
        let todo: Vec<(usize, [u8; 32])> = {
            let g = self.lock();
            hashes
                .into_iter()
                .enumerate()
                .filter(|(_, h)| !g.set.contains(h))
                .collect()
        };
        if todo.is_empty() {
            return true;
        }
        let ok = if todo.len() == txs.len() {
            stateless_batch_ok(txs, params)
        } else {
            let batch: Vec<Transaction> = todo.iter().map(|(i, _)| txs[*i].clone()).collect();
            stateless_batch_ok(&batch, params)
        };
        if ok {
            for (i, h) in todo {
                self.insert_tx(h, &txs[i]);
            }
        }
        ok
    }

    /// [`validate_batch`](Self::validate_batch) of one transaction.
    pub fn validate(&self, tx: &Transaction, params: &Parameters) -> Result<(), TxError> {
        self.validate_batch(std::slice::from_ref(tx), params)
            .pop()
            .expect("one result")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_fifo() {
        let c = VerifiedCache::new(2);
        c.insert([1; 32]);
        c.insert([2; 32]);
        c.insert([1; 32]); // already there: no reordering, no growth
        assert_eq!(c.stats().len, 2);
        c.insert([3; 32]);
        assert!(!c.contains(&[1; 32]), "the oldest goes first");
        assert!(c.contains(&[2; 32]) && c.contains(&[3; 32]));
        assert_eq!(c.stats().len, 2);
    }

    #[test]
    fn capacity_zero_disables() {
        let c = VerifiedCache::new(0);
        c.insert([1; 32]);
        assert!(!c.contains(&[1; 32]));
    }
}
