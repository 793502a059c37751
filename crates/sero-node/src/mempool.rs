//! The mempool: transactions admitted by the stateless and stateful rules,
//! conflicts resolved by nullifier (a higher fee replaces), ordered by fee,
//! bounded in count and in bytes (the lowest fee per byte is evicted), and
//! optionally durable ([`MempoolStore`]): a node that restarts keeps its
//! pending transactions.
//!
//! Admission runs the cheap checks first and the proofs last, and the
//! proofs need no lock: [`submit`] prechecks under the node's lock
//! (already known, chain id, anchors, nullifiers, stake rules, conflicts,
//! room), verifies the proofs and signatures with the lock released, then
//! re-checks the cheap rules under the lock (the chain may have moved) and
//! inserts.

use crate::chain::Chain;
use crate::Node;
use redb::{Database, ReadableTable, TableDefinition};
use sero_crypto::Base;
use sero_ledger::tx::Transaction;
use sero_ledger::validate::validate_stateful;
use sero_ledger::TxError;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use thiserror::Error;

/// Why the mempool refused a transaction.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum MempoolError {
    #[error("transaction already in the mempool")]
    AlreadyKnown,
    #[error("invalid transaction: {0}")]
    Invalid(#[from] TxError),
    #[error("conflicts with a pending transaction spending the same note, whose fee is not lower")]
    Conflict,
    #[error("mempool full and the fee per byte is not above the lowest pending one")]
    Full,
    #[error("mempool store: {0}")]
    Store(String),
}

impl MempoolError {
    /// Whether the error proves the sender misbehaved (a bad proof or
    /// signature, a malformed or foreign transaction), as opposed to a race
    /// an honest sender can lose: an anchor that just left the window, a
    /// note spent meanwhile, a duplicate, a full pool.
    pub fn is_misbehaviour(&self) -> bool {
        match self {
            MempoolError::Invalid(e) => !matches!(
                e,
                TxError::UnknownAnchor(_) | TxError::AlreadySpent(_) | TxError::Stake(_)
            ),
            _ => false,
        }
    }
}

/// Default bounds: 10,000 transactions, 64 MiB of encodings.
pub const DEFAULT_MAX_TXS: usize = 10_000;
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;

struct Entry {
    tx: Transaction,
    size: usize,
}

impl Entry {
    /// Orders by fee per byte without division: `a.fee·b.size` vs `b.fee·a.size`.
    fn rate_cmp(&self, fee: u128, size: usize) -> std::cmp::Ordering {
        self.tx
            .fee
            .saturating_mul(size as u128)
            .cmp(&fee.saturating_mul(self.size as u128))
    }
}

/// Pending transactions.
pub struct Mempool {
    txs: HashMap<[u8; 32], Entry>,
    by_nil: HashMap<Base, [u8; 32]>,
    bytes: usize,
    max_txs: usize,
    max_bytes: usize,
    store: Option<MempoolStore>,
}

impl Mempool {
    /// An in-memory mempool of at most `capacity` transactions (and
    /// [`DEFAULT_MAX_BYTES`]).
    pub fn new(capacity: usize) -> Self {
        Mempool::with_limits(capacity, DEFAULT_MAX_BYTES)
    }

    /// An in-memory mempool bounded in count and bytes.
    pub fn with_limits(max_txs: usize, max_bytes: usize) -> Self {
        Mempool {
            txs: HashMap::new(),
            by_nil: HashMap::new(),
            bytes: 0,
            max_txs,
            max_bytes,
            store: None,
        }
    }

    /// A durable mempool at `path`: the transactions it held before a
    /// restart are re-validated against `chain` and those still valid are
    /// pending again. Returns the mempool and how many it restored.
    pub fn open(
        path: &Path,
        max_txs: usize,
        max_bytes: usize,
        chain: &Chain,
    ) -> Result<(Mempool, usize), MempoolError> {
        let store = MempoolStore::open(path)?;
        let saved = store.load()?;
        let mut m = Mempool::with_limits(max_txs, max_bytes);
        m.store = Some(store);
        // All re-validated together: the cheap rules one by one, the
        // proofs as one batch, then one admission (one store commit); what
        // fails is dropped from the store in one more.
        let mut dropped: Vec<[u8; 32]> = vec![];
        let mut forget = |id: [u8; 32], e: &MempoolError| {
            tracing::info!(txid = %hex::encode(id), "dropping a saved transaction: {e}");
            dropped.push(id);
        };
        let mut txs = vec![];
        for (id, raw) in saved {
            let checked = Transaction::from_bytes(&raw)
                .map_err(|e| MempoolError::Invalid(e.into()))
                .and_then(|tx| m.precheck(&tx, chain).map(|_| tx));
            match checked {
                Ok(tx) => txs.push(tx),
                Err(e) => forget(id, &e),
            }
        }
        let verdicts = chain.verified_cache().validate_batch(&txs, chain.params());
        let mut valid = vec![];
        for (tx, v) in txs.into_iter().zip(verdicts) {
            match v {
                Ok(()) => valid.push(tx),
                Err(e) => forget(tx.txid(), &e.into()),
            }
        }
        let ids: Vec<[u8; 32]> = valid.iter().map(Transaction::txid).collect();
        let mut restored = 0;
        for (id, r) in ids.into_iter().zip(m.admit_verified_many(valid, chain)) {
            match r {
                Ok(_) => restored += 1,
                // The store failed: keep what it holds.
                Err(e @ MempoolError::Store(_)) => return Err(e),
                Err(e) => forget(id, &e),
            }
        }
        if let (Some(s), false) = (&m.store, dropped.is_empty()) {
            s.remove(&dropped)?;
        }
        Ok((m, restored))
    }

    pub fn len(&self) -> usize {
        self.txs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    /// Bytes of the pending transactions' encodings.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn contains(&self, txid: &[u8; 32]) -> bool {
        self.txs.contains_key(txid)
    }

    pub fn get(&self, txid: &[u8; 32]) -> Option<&Transaction> {
        self.txs.get(txid).map(|e| &e.tx)
    }

    /// Adds `tx` (of `size` bytes) to the pending set, without any check.
    fn insert(&mut self, id: [u8; 32], tx: Transaction, size: usize) {
        for n in tx.nullifiers() {
            self.by_nil.insert(*n, id);
        }
        self.bytes += size;
        self.txs.insert(id, Entry { tx, size });
    }

    fn remove(&mut self, id: &[u8; 32]) -> Option<Transaction> {
        let e = self.txs.remove(id)?;
        self.bytes -= e.size;
        for n in e.tx.nullifiers() {
            self.by_nil.remove(n);
        }
        Some(e.tx)
    }

    /// The cheap admission checks (no proof): not already pending, valid
    /// against the chain state (chain id, anchors, nullifiers, stake rules),
    /// no conflict with a pending transaction of a higher or equal fee, and
    /// room — possibly after evicting transactions of a lower fee per byte.
    pub fn precheck(&self, tx: &Transaction, chain: &Chain) -> Result<(), MempoolError> {
        self.plan(tx, tx.to_bytes().len(), chain).map(|_| ())
    }

    /// What admitting `tx` (of `size` bytes) would remove: its conflicts
    /// and the evictions that make room.
    fn plan(
        &self,
        tx: &Transaction,
        size: usize,
        chain: &Chain,
    ) -> Result<Vec<[u8; 32]>, MempoolError> {
        if self.txs.contains_key(&tx.txid()) {
            return Err(MempoolError::AlreadyKnown);
        }
        if size > self.max_bytes {
            return Err(MempoolError::Full);
        }
        validate_stateful(tx, chain)?;
        let mut out: Vec<[u8; 32]> = vec![];
        for n in tx.nullifiers() {
            if let Some(c) = self.by_nil.get(n) {
                if self.txs[c].tx.fee >= tx.fee {
                    return Err(MempoolError::Conflict);
                }
                if !out.contains(c) {
                    out.push(*c);
                }
            }
        }
        let freed: usize = out.iter().map(|c| self.txs[c].size).sum();
        let mut count = self.txs.len() - out.len();
        let mut bytes = self.bytes - freed;
        if count < self.max_txs && bytes + size <= self.max_bytes {
            return Ok(out);
        }
        // Evict from the lowest fee per byte while it is below the new one's.
        let mut by_rate: Vec<(&[u8; 32], &Entry)> =
            self.txs.iter().filter(|(k, _)| !out.contains(k)).collect();
        by_rate.sort_by(|a, b| {
            a.1.rate_cmp(b.1.tx.fee, b.1.size)
                .then_with(|| a.0.cmp(b.0))
        });
        for (k, e) in by_rate {
            if count < self.max_txs && bytes + size <= self.max_bytes {
                break;
            }
            if e.rate_cmp(tx.fee, size) != std::cmp::Ordering::Less {
                return Err(MempoolError::Full);
            }
            out.push(*k);
            count -= 1;
            bytes -= e.size;
        }
        if count < self.max_txs && bytes + size <= self.max_bytes {
            Ok(out)
        } else {
            Err(MempoolError::Full)
        }
    }

    /// Inserts `tx`, whose proofs and signatures the caller has verified
    /// (`validate_stateless`), after re-running the cheap checks.
    pub fn admit_verified(
        &mut self,
        tx: Transaction,
        chain: &Chain,
    ) -> Result<[u8; 32], MempoolError> {
        self.admit_verified_many(vec![tx], chain)
            .pop()
            .expect("one result per transaction")
    }

    /// [`admit_verified`](Self::admit_verified) for many transactions, in
    /// order (a later one sees the earlier ones: conflicts, room), with one
    /// durable store commit for all of them: when it returns, every
    /// admitted transaction is on disk. If that commit fails, nothing of
    /// the batch is admitted (the pending set is as before) and every
    /// transaction that would have been gets the store's error.
    pub fn admit_verified_many(
        &mut self,
        txs: Vec<Transaction>,
        chain: &Chain,
    ) -> Vec<Result<[u8; 32], MempoolError>> {
        let mut results = Vec::with_capacity(txs.len());
        // The store's changes in order, and what left the pending set
        // (to put back if the commit fails).
        let mut ops: Vec<StoreOp> = vec![];
        let mut evicted: Vec<([u8; 32], Transaction)> = vec![];
        let mut added: Vec<[u8; 32]> = vec![];
        for tx in txs {
            let raw = tx.to_bytes();
            let removed = match self.plan(&tx, raw.len(), chain) {
                Ok(r) => r,
                Err(e) => {
                    results.push(Err(e));
                    continue;
                }
            };
            for c in &removed {
                if let Some(t) = self.remove(c) {
                    evicted.push((*c, t));
                }
                ops.push(StoreOp::Remove(*c));
            }
            let id = tx.txid();
            self.insert(id, tx, raw.len());
            added.push(id);
            ops.push(StoreOp::Insert(id, raw));
            results.push(Ok(id));
        }
        let stored = match &self.store {
            Some(s) if !ops.is_empty() => s.apply(&ops),
            _ => Ok(()),
        };
        if let Err(e) = stored {
            for id in &added {
                self.remove(id);
            }
            for (id, tx) in evicted.into_iter().rev() {
                if !added.contains(&id) {
                    let size = tx.to_bytes().len();
                    self.insert(id, tx, size);
                }
            }
            for r in results.iter_mut().filter(|r| r.is_ok()) {
                *r = Err(e.clone());
            }
        }
        results
    }

    /// Admits `tx` after full validation against `chain`, cheap checks
    /// first (holding whatever lock guards `self` throughout; [`submit`]
    /// verifies the proofs without it).
    pub fn admit(&mut self, tx: Transaction, chain: &Chain) -> Result<[u8; 32], MempoolError> {
        self.precheck(&tx, chain)?;
        chain.verified_cache().validate(&tx, chain.params())?;
        self.admit_verified(tx, chain)
    }

    /// The ids of the pending transactions, in no particular order.
    pub fn ids(&self) -> impl Iterator<Item = &[u8; 32]> {
        self.txs.keys()
    }

    /// Up to `max` transactions, highest fee first.
    pub fn select(&self, max: usize) -> Vec<Transaction> {
        let mut v: Vec<(&[u8; 32], &Entry)> = self.txs.iter().collect();
        v.sort_by(|a, b| b.1.tx.fee.cmp(&a.1.tx.fee).then_with(|| a.0.cmp(b.0)));
        v.into_iter().take(max).map(|(_, e)| e.tx.clone()).collect()
    }

    /// After a block: drops included transactions and those that no longer
    /// validate (spent nullifiers, expired anchors).
    pub fn prune(&mut self, chain: &Chain) {
        let stale: Vec<[u8; 32]> = self
            .txs
            .iter()
            .filter(|(_, e)| validate_stateful(&e.tx, chain).is_err())
            .map(|(k, _)| *k)
            .collect();
        if stale.is_empty() {
            return;
        }
        if let Some(s) = &self.store {
            if let Err(e) = s.remove(&stale) {
                tracing::warn!("mempool store: {e}");
            }
        }
        for k in stale {
            self.remove(&k);
        }
    }
}

/// Admits `tx` to `node`'s mempool with the proofs verified outside the
/// lock: precheck under the lock, verify without it, re-check and insert
/// under it. Junk that fails a cheap check costs no proof verification and
/// nobody waits for a proof check.
pub fn submit(node: &Mutex<Node>, tx: Transaction) -> Result<[u8; 32], MempoolError> {
    let lock = || {
        node.lock()
            .map_err(|_| MempoolError::Store("node lock poisoned".into()))
    };
    let (params, verified) = {
        let n = lock()?;
        n.mempool.precheck(&tx, &n.chain)?;
        (n.chain.params_arc(), n.chain.verified_cache())
    };
    // Through the chain's cache: the block that includes it will not verify
    // it again.
    verified.validate(&tx, &params)?;
    let mut n = lock()?;
    let Node { chain, mempool } = &mut *n;
    mempool.admit_verified(tx, chain)
}

/// [`submit`] for many transactions at once (gossip): each is prechecked
/// under the lock, the survivors' signatures and proofs are verified as one
/// batch without it (through the chain's cache, with blame if the batch
/// fails), then each is re-checked and inserted under the lock. One result
/// per transaction, in order.
pub fn submit_batch(
    node: &Mutex<Node>,
    txs: Vec<Transaction>,
) -> Vec<Result<[u8; 32], MempoolError>> {
    let poisoned = || MempoolError::Store("node lock poisoned".into());
    let mut results: Vec<Option<Result<[u8; 32], MempoolError>>> =
        txs.iter().map(|_| None).collect();
    let (params, verified) = match node.lock() {
        Ok(n) => {
            for (r, tx) in results.iter_mut().zip(&txs) {
                if let Err(e) = n.mempool.precheck(tx, &n.chain) {
                    *r = Some(Err(e));
                }
            }
            (n.chain.params_arc(), n.chain.verified_cache())
        }
        Err(_) => return txs.iter().map(|_| Err(poisoned())).collect(),
    };
    let todo: Vec<usize> = (0..txs.len()).filter(|&i| results[i].is_none()).collect();
    let batch: Vec<Transaction> = todo.iter().map(|&i| txs[i].clone()).collect();
    for (&i, r) in todo.iter().zip(verified.validate_batch(&batch, &params)) {
        if let Err(e) = r {
            results[i] = Some(Err(e.into()));
        }
    }
    let order: Vec<bool> = results.iter().map(Option::is_none).collect();
    let mut n = match node.lock() {
        Ok(n) => n,
        Err(_) => return txs.iter().map(|_| Err(poisoned())).collect(),
    };
    let Node { chain, mempool } = &mut *n;
    // The survivors, admitted together: one durable commit.
    let (fresh, done): (Vec<_>, Vec<_>) =
        txs.into_iter().zip(results).partition(|(_, r)| r.is_none());
    let mut admitted = mempool
        .admit_verified_many(fresh.into_iter().map(|(tx, _)| tx).collect(), chain)
        .into_iter();
    let mut done = done.into_iter().map(|(_, r)| r);
    // Back in the callers' order.
    let mut out = Vec::with_capacity(order.len());
    for fresh in order {
        let r = if fresh {
            admitted.next()
        } else {
            done.next().flatten()
        };
        out.push(r.expect("one result per transaction"));
    }
    out
}

type Reply = std::sync::mpsc::SyncSender<Result<[u8; 32], MempoolError>>;

/// Admission of transactions that arrive one by one from many callers
/// (JSON-RPC): one thread takes whatever is waiting — one transaction when
/// the node is idle, up to [`crate::txqueue::BATCH`] under load — and
/// verifies it as one batch with [`submit_batch`]. An idle node adds no
/// delay; a busy one verifies together what arrived while it verified the
/// previous batch (the proofs' pairings are shared), instead of one at a
/// time. The thread ends when the last handle is dropped.
#[derive(Clone)]
pub struct Submitter {
    jobs: std::sync::mpsc::Sender<(Transaction, Reply)>,
}

impl Submitter {
    pub fn new(node: std::sync::Arc<Mutex<Node>>) -> Self {
        let (jobs, rx) = std::sync::mpsc::channel::<(Transaction, Reply)>();
        let spawned = std::thread::Builder::new()
            .name("sero-submit".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut batch = vec![first];
                    while batch.len() < crate::txqueue::BATCH {
                        match rx.try_recv() {
                            Ok(j) => batch.push(j),
                            Err(_) => break,
                        }
                    }
                    let (txs, replies): (Vec<Transaction>, Vec<Reply>) = batch.into_iter().unzip();
                    for (r, reply) in submit_batch(&node, txs).into_iter().zip(replies) {
                        let _ = reply.send(r);
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!("cannot start the submission thread: {e}");
        }
        Submitter { jobs }
    }

    /// Verifies and admits `tx` (see [`submit`]), batched with whatever
    /// else is being submitted; blocks until its verdict.
    pub fn submit(&self, tx: Transaction) -> Result<[u8; 32], MempoolError> {
        let gone = || MempoolError::Store("the submission thread is gone".into());
        let (reply, verdict) = std::sync::mpsc::sync_channel(1);
        self.jobs.send((tx, reply)).map_err(|_| gone())?;
        verdict.recv().map_err(|_| gone())?
    }
}

/// Saved transactions: `(txid, encoding)`.
type Saved = Vec<([u8; 32], Vec<u8>)>;

const PENDING: TableDefinition<'static, &'static [u8; 32], &'static [u8]> =
    TableDefinition::new("pending_txs");

/// A change to the durable copy.
enum StoreOp {
    Insert([u8; 32], Vec<u8>),
    Remove([u8; 32]),
}

/// The durable copy of the mempool: txid → transaction encoding, one redb
/// commit per admitted batch and per pruning.
pub struct MempoolStore {
    db: Database,
}

fn se(e: impl std::fmt::Display) -> MempoolError {
    MempoolError::Store(e.to_string())
}

impl MempoolStore {
    pub fn open(path: &Path) -> Result<MempoolStore, MempoolError> {
        let db = Database::create(path).map_err(se)?;
        let w = db.begin_write().map_err(se)?;
        w.open_table(PENDING).map_err(se)?;
        w.commit().map_err(se)?;
        Ok(MempoolStore { db })
    }

    fn load(&self) -> Result<Saved, MempoolError> {
        let r = self.db.begin_read().map_err(se)?;
        let t = r.open_table(PENDING).map_err(se)?;
        let mut out = vec![];
        for e in t.iter().map_err(se)? {
            let (k, v) = e.map_err(se)?;
            out.push((*k.value(), v.value().to_vec()));
        }
        Ok(out)
    }

    /// Applies `ops` in order in one durable commit (returns once on
    /// disk).
    fn apply(&self, ops: &[StoreOp]) -> Result<(), MempoolError> {
        let w = self.db.begin_write().map_err(se)?;
        {
            let mut t = w.open_table(PENDING).map_err(se)?;
            for op in ops {
                match op {
                    StoreOp::Insert(id, raw) => {
                        t.insert(id, raw.as_slice()).map_err(se)?;
                    }
                    StoreOp::Remove(id) => {
                        t.remove(id).map_err(se)?;
                    }
                }
            }
        }
        w.commit().map_err(se)
    }

    fn remove(&self, ids: &[[u8; 32]]) -> Result<(), MempoolError> {
        let w = self.db.begin_write().map_err(se)?;
        {
            let mut t = w.open_table(PENDING).map_err(se)?;
            for r in ids {
                t.remove(r).map_err(se)?;
            }
        }
        w.commit().map_err(se)
    }
}
