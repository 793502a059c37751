//! The chain: validates blocks and applies each in one atomic redb write.
//!
//! The witness tree and the anchor window live in memory and are rebuilt
//! from the store on start, so a node killed at any instant restarts on its
//! last whole block: the store holds every committed block entirely or not
//! at all, and nothing else is persisted.

use crate::scan::OutputRecord;
use sero_assets::{Asset, Currency};
use sero_crypto::curve::{base_from_canonical, encode_base};
use sero_crypto::Base;
use sero_keys::OneTimeAddress;
use sero_ledger::block::{plain_cm_out, tx_root, Block, BlockHeader};
use sero_ledger::tx::{PlainOutput, Transaction};
use sero_ledger::validate::{
    check_block_nullifiers, validate_stateful, validate_stateless_batch, LedgerView,
};
use sero_ledger::{DecodeError, TxError};
use sero_state::{BlockEffects, StateDb, StateError};
use sero_tree::{cm_auth, Anchors, MerklePath, WitnessTree};
use sero_zk::params::Parameters;
use std::path::Path;
use std::sync::Arc;
use thiserror::Error;

/// Chain parameters.
#[derive(Clone, Debug)]
pub struct ChainConfig {
    /// New SERO per block, paid with the fees to the producer's coinbase.
    pub block_reward: u128,
    /// How many recent note-tree roots are valid anchors.
    pub anchor_window: usize,
}

impl Default for ChainConfig {
    fn default() -> Self {
        ChainConfig {
            block_reward: 1_000,
            anchor_window: sero_tree::DEFAULT_ANCHOR_WINDOW,
        }
    }
}

/// Why a block is refused (the store is left unchanged).
#[derive(Debug, Error)]
pub enum ChainError {
    #[error("state: {0}")]
    State(#[from] StateError),
    #[error("malformed block: {0}")]
    Decode(#[from] DecodeError),
    #[error("block height {got}, expected {expected}")]
    Height { expected: u64, got: u64 },
    #[error("block does not extend the tip (wrong parent)")]
    Parent,
    #[error("transaction root does not match the body")]
    TxRoot,
    #[error("note-tree root or leaf count does not match the block's notes")]
    NoteRoot,
    #[error("coinbase: {0}")]
    Coinbase(String),
    #[error("transaction {index}: {error}")]
    Tx { index: usize, error: TxError },
    #[error("the witness tree is full")]
    TreeFull,
    #[error("corrupt store: {0}")]
    Corrupt(String),
}

/// The chain state.
pub struct Chain {
    db: StateDb,
    tree: WitnessTree,
    anchors: Anchors,
    params: Arc<Parameters>,
    cfg: ChainConfig,
    tip: Option<(u64, [u8; 32])>,
}

impl LedgerView for Chain {
    fn is_known_anchor(&self, root: &Base) -> bool {
        self.anchors.contains(root)
    }

    fn is_spent(&self, nil: &Base) -> bool {
        // A store error counts as spent: refuse rather than risk a double spend.
        !matches!(self.db.nullifier_height(&encode_base(nil)), Ok(None))
    }
}

/// A genesis block paying `premine` to `pkr` in `notes` equal coinbase notes.
pub fn genesis_block(
    pkr: &[OneTimeAddress],
    premine_each: u128,
    time: u64,
) -> Result<Block, ChainError> {
    let coinbase: Vec<PlainOutput> = pkr
        .iter()
        .map(|p| PlainOutput {
            pkr: *p,
            asset: Asset::sero(premine_each),
            memo_hash: Base::from(0u64),
        })
        .collect();
    let mut tree = WitnessTree::new();
    for p in &coinbase {
        let pos = tree.len();
        let cm = plain_cm_out(p).map_err(|e| ChainError::Coinbase(e.to_string()))?;
        tree.append(cm_auth(pos, cm))
            .map_err(|_| ChainError::TreeFull)?;
    }
    Ok(Block {
        header: BlockHeader {
            height: 0,
            parent: [0; 32],
            time,
            tx_root: tx_root(&coinbase, &[]),
            note_root: tree.root(),
            leaf_count: tree.len(),
        },
        coinbase,
        txs: vec![],
    })
}

impl Chain {
    /// Opens (or creates) the chain at `path`. An empty store gets `genesis`.
    pub fn open(
        path: &Path,
        params: Arc<Parameters>,
        cfg: ChainConfig,
        genesis: impl FnOnce() -> Result<Block, ChainError>,
    ) -> Result<Chain, ChainError> {
        let db = StateDb::open(path)?;
        let n = db.leaf_count()?;
        let mut leaves = Vec::with_capacity(n as usize);
        let mut from = 0;
        while from < n {
            let to = (from + 10_000).min(n);
            for l in db.leaves(from, to)? {
                leaves
                    .push(base_from_canonical(&l).map_err(|e| ChainError::Corrupt(e.to_string()))?);
            }
            from = to;
        }
        let tree =
            WitnessTree::from_leaves(leaves).map_err(|e| ChainError::Corrupt(e.to_string()))?;
        let mut anchors = Anchors::new(cfg.anchor_window);
        for r in db.recent_roots(cfg.anchor_window as u64)? {
            anchors.push(base_from_canonical(&r).map_err(|e| ChainError::Corrupt(e.to_string()))?);
        }
        let tip = db.tip()?;
        let mut chain = Chain {
            db,
            tree,
            anchors,
            params,
            cfg,
            tip,
        };
        if chain.tip.is_none() {
            let g = genesis()?;
            chain.apply_block(&g)?;
        } else if chain.tree.root() != chain.anchors.latest().unwrap_or_default() {
            return Err(ChainError::Corrupt(
                "note tree does not match the last root".into(),
            ));
        }
        Ok(chain)
    }

    pub fn params(&self) -> &Parameters {
        &self.params
    }

    pub fn config(&self) -> &ChainConfig {
        &self.cfg
    }

    /// `(height, hash)` of the last block.
    pub fn tip(&self) -> (u64, [u8; 32]) {
        self.tip.expect("a chain always has its genesis")
    }

    pub fn db(&self) -> &StateDb {
        &self.db
    }

    pub fn tree(&self) -> &WitnessTree {
        &self.tree
    }

    /// The path of a note against the current root.
    pub fn path(&self, position: u64) -> Option<MerklePath> {
        self.tree.path(position).ok()
    }

    pub fn block(&self, height: u64) -> Result<Option<Block>, ChainError> {
        match self.db.block_by_height(height)? {
            Some(b) => Ok(Some(Block::from_parts(&b.header, &b.body)?)),
            None => Ok(None),
        }
    }

    fn expected_next(&self) -> (u64, [u8; 32]) {
        match self.tip {
            Some((h, hash)) => (h + 1, hash),
            None => (0, [0; 32]),
        }
    }

    /// Checks every rule for `block` as the next block and returns what to
    /// write. Reads only.
    pub fn validate_block(&self, block: &Block) -> Result<BlockEffects, ChainError> {
        let (height, parent) = self.expected_next();
        let h = &block.header;
        if h.height != height {
            return Err(ChainError::Height {
                expected: height,
                got: h.height,
            });
        }
        if h.parent != parent {
            return Err(ChainError::Parent);
        }
        if h.tx_root != tx_root(&block.coinbase, &block.txs) {
            return Err(ChainError::TxRoot);
        }
        // Coinbase: SERO only; after genesis at most reward + fees.
        let mut minted: u128 = 0;
        for c in &block.coinbase {
            if c.asset.currency != Currency::sero() || c.asset.ticket.is_some() {
                return Err(ChainError::Coinbase("only SERO may be minted".into()));
            }
            minted = minted
                .checked_add(c.asset.value)
                .ok_or_else(|| ChainError::Coinbase("overflow".into()))?;
        }
        if height > 0 {
            let fees = block
                .txs
                .iter()
                .try_fold(0u128, |a, t| a.checked_add(t.fee))
                .ok_or_else(|| ChainError::Coinbase("fee overflow".into()))?;
            let allowed = fees
                .checked_add(self.cfg.block_reward)
                .ok_or_else(|| ChainError::Coinbase("overflow".into()))?;
            if minted > allowed {
                return Err(ChainError::Coinbase(format!(
                    "mints {minted}, allowed {allowed} (reward + fees)"
                )));
            }
        }
        check_block_nullifiers(&block.txs).map_err(|error| ChainError::Tx { index: 0, error })?;
        for (index, r) in validate_stateless_batch(&block.txs, &self.params)
            .into_iter()
            .enumerate()
        {
            r.map_err(|error| ChainError::Tx { index, error })?;
        }
        for (index, t) in block.txs.iter().enumerate() {
            validate_stateful(t, self).map_err(|error| ChainError::Tx { index, error })?;
        }
        // New notes and the tree root they give.
        let mut records = vec![];
        for c in &block.coinbase {
            let cm = plain_cm_out(c).map_err(|e| ChainError::Coinbase(e.to_string()))?;
            records.push(OutputRecord::plain(c, cm));
        }
        for t in &block.txs {
            records.extend(t.outputs.iter().map(OutputRecord::shielded));
            for p in &t.plain_outputs {
                let cm = plain_cm_out(p).map_err(|e| ChainError::Tx {
                    index: 0,
                    error: TxError::Asset(e.to_string()),
                })?;
                records.push(OutputRecord::plain(p, cm));
            }
        }
        let mut frontier = self.tree.frontier();
        let mut leaves = Vec::with_capacity(records.len());
        for r in &records {
            let pos = frontier.len();
            let leaf = cm_auth(pos, r.cm_out());
            frontier.append(leaf).map_err(|_| ChainError::TreeFull)?;
            leaves.push(encode_base(&leaf));
        }
        if h.note_root != frontier.root() || h.leaf_count != frontier.len() {
            return Err(ChainError::NoteRoot);
        }
        let mut tils = vec![];
        let mut txids = vec![];
        let mut nullifiers = vec![];
        for t in &block.txs {
            let id = t.txid();
            txids.push(id);
            for i in &t.inputs {
                nullifiers.push(encode_base(&i.nil));
                tils.push((encode_base(&i.til), id));
            }
        }
        Ok(BlockEffects {
            height,
            hash: block.hash(),
            parent,
            header: h.to_bytes(),
            body: block.body_bytes(),
            note_root: encode_base(&h.note_root),
            leaves,
            outputs: records.iter().map(OutputRecord::to_bytes).collect(),
            nullifiers,
            tils,
            txids,
        })
    }

    /// Validates and applies `block` in one atomic write, then updates the
    /// in-memory tree and anchors.
    pub fn apply_block(&mut self, block: &Block) -> Result<(), ChainError> {
        let effects = self.validate_block(block)?;
        self.db.apply_block(&effects)?;
        for l in &effects.leaves {
            let leaf = base_from_canonical(l).expect("encoded above");
            self.tree.append(leaf).map_err(|_| ChainError::TreeFull)?;
        }
        self.anchors.push(self.tree.root());
        self.tip = Some((effects.height, effects.hash));
        tracing::info!(
            height = effects.height,
            hash = %hex::encode(&effects.hash[..8]),
            txs = block.txs.len(),
            notes = effects.leaves.len(),
            "block applied"
        );
        Ok(())
    }

    /// Assembles the next block from `candidates` (already admitted by the
    /// mempool; any that no longer validate are skipped), paying reward and
    /// fees to `coinbase`.
    pub fn build_block(
        &self,
        candidates: Vec<Transaction>,
        coinbase: &OneTimeAddress,
        time: u64,
    ) -> Result<Block, ChainError> {
        let (height, parent) = self.expected_next();
        let results = validate_stateless_batch(&candidates, &self.params);
        let mut txs: Vec<Transaction> = vec![];
        let mut seen = std::collections::HashSet::new();
        for (t, r) in candidates.into_iter().zip(results) {
            if r.is_err() || validate_stateful(&t, self).is_err() {
                continue;
            }
            if t.nullifiers().any(|n| seen.contains(n)) {
                continue;
            }
            seen.extend(t.nullifiers().copied());
            txs.push(t);
        }
        let fees: u128 = txs.iter().map(|t| t.fee).sum();
        let cb = vec![PlainOutput {
            pkr: *coinbase,
            asset: Asset::sero(self.cfg.block_reward + fees),
            memo_hash: Base::from(height),
        }];
        let mut frontier = self.tree.frontier();
        let probe = Block {
            header: BlockHeader {
                height,
                parent,
                time,
                tx_root: [0; 32],
                note_root: Base::from(0u64),
                leaf_count: 0,
            },
            coinbase: cb,
            txs,
        };
        for cm in probe
            .new_notes()
            .map_err(|e| ChainError::Coinbase(e.to_string()))?
        {
            let pos = frontier.len();
            frontier
                .append(cm_auth(pos, cm))
                .map_err(|_| ChainError::TreeFull)?;
        }
        let mut block = probe;
        block.header.tx_root = tx_root(&block.coinbase, &block.txs);
        block.header.note_root = frontier.root();
        block.header.leaf_count = frontier.len();
        Ok(block)
    }
}
