//! The mempool: transactions admitted by the stateless and stateful rules,
//! conflicts resolved by nullifier (a higher fee replaces), ordered by fee,
//! bounded in size.

use crate::chain::Chain;
use sero_crypto::Base;
use sero_ledger::tx::Transaction;
use sero_ledger::validate::{validate_stateful, validate_stateless};
use sero_ledger::TxError;
use std::collections::HashMap;
use thiserror::Error;

/// Why the mempool refused a transaction.
#[derive(Debug, Error, PartialEq)]
pub enum MempoolError {
    #[error("transaction already in the mempool")]
    AlreadyKnown,
    #[error("invalid transaction: {0}")]
    Invalid(#[from] TxError),
    #[error("conflicts with a pending transaction spending the same note, whose fee is not lower")]
    Conflict,
    #[error("mempool full and the fee is not above the lowest pending fee")]
    Full,
}

/// Pending transactions.
pub struct Mempool {
    txs: HashMap<[u8; 32], Transaction>,
    by_nil: HashMap<Base, [u8; 32]>,
    capacity: usize,
}

impl Mempool {
    pub fn new(capacity: usize) -> Self {
        Mempool {
            txs: HashMap::new(),
            by_nil: HashMap::new(),
            capacity,
        }
    }

    pub fn len(&self) -> usize {
        self.txs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    pub fn contains(&self, txid: &[u8; 32]) -> bool {
        self.txs.contains_key(txid)
    }

    pub fn get(&self, txid: &[u8; 32]) -> Option<&Transaction> {
        self.txs.get(txid)
    }

    fn remove(&mut self, id: &[u8; 32]) -> Option<Transaction> {
        let t = self.txs.remove(id)?;
        for n in t.nullifiers() {
            self.by_nil.remove(n);
        }
        Some(t)
    }

    /// Admits `tx` after full validation against `chain`.
    pub fn admit(&mut self, tx: Transaction, chain: &Chain) -> Result<[u8; 32], MempoolError> {
        let id = tx.txid();
        if self.txs.contains_key(&id) {
            return Err(MempoolError::AlreadyKnown);
        }
        // Cheap checks first: a transaction for another network or with a
        // spent nullifier or stale anchor costs no proof verification.
        validate_stateful(&tx, chain)?;
        validate_stateless(&tx, chain.params())?;
        let conflicts: Vec<[u8; 32]> = tx
            .nullifiers()
            .filter_map(|n| self.by_nil.get(n).copied())
            .collect();
        if conflicts.iter().any(|c| self.txs[c].fee >= tx.fee) {
            return Err(MempoolError::Conflict);
        }
        if conflicts.is_empty() && self.txs.len() >= self.capacity {
            let lowest = self
                .txs
                .iter()
                .min_by_key(|(_, t)| t.fee)
                .map(|(k, t)| (*k, t.fee));
            match lowest {
                Some((k, fee)) if fee < tx.fee => {
                    self.remove(&k);
                }
                _ => return Err(MempoolError::Full),
            }
        }
        for c in conflicts {
            self.remove(&c);
        }
        for n in tx.nullifiers() {
            self.by_nil.insert(*n, id);
        }
        self.txs.insert(id, tx);
        Ok(id)
    }

    /// The ids of the pending transactions, in no particular order.
    pub fn ids(&self) -> impl Iterator<Item = &[u8; 32]> {
        self.txs.keys()
    }

    /// Up to `max` transactions, highest fee first.
    pub fn select(&self, max: usize) -> Vec<Transaction> {
        let mut v: Vec<&Transaction> = self.txs.values().collect();
        v.sort_by(|a, b| b.fee.cmp(&a.fee).then_with(|| a.txid().cmp(&b.txid())));
        v.into_iter().take(max).cloned().collect()
    }

    /// After a block: drops included transactions and those that no longer
    /// validate (spent nullifiers, expired anchors).
    pub fn prune(&mut self, chain: &Chain) {
        let stale: Vec<[u8; 32]> = self
            .txs
            .iter()
            .filter(|(_, t)| validate_stateful(t, chain).is_err())
            .map(|(k, _)| *k)
            .collect();
        for k in stale {
            self.remove(&k);
        }
    }
}
