//! The chain: validates blocks and applies each in one atomic redb write.
//!
//! The witness tree, the anchor window, the stake registry and the tip
//! header live in memory and are rebuilt from the store on start, so a node
//! killed at any instant restarts on its last whole block: the store holds
//! every committed block entirely or not at all, and nothing else is
//! persisted. [`Chain::rollback_to`] undoes non-final blocks the same way.
//!
//! Seals: block 0 carries [`Seal::Genesis`] with [`genesis_config_hash`];
//! later blocks are [`Seal::Proposed`] (the proposer must be an active
//! validator and show a licence while one is required; its VRF proofs and
//! signature are the consensus service's to verify), [`Seal::Empty`]
//! ([`Block::empty`]: nothing but the parent's tree and time) or, on a
//! chain in [`ChainConfig::dev_mode`], [`Seal::Dev`].

use crate::contract::{BlockExec, ExecFailure, Receipt, ReceiptNote, TipView};
pub use crate::registry::GenesisValidator;
use crate::registry::{Registry, RegistryError};
use crate::scan::OutputRecord;
use sero_assets::{Asset, Currency};
use sero_crypto::curve::{base_from_canonical, encode_base};
use sero_crypto::hash::{hash256, tags};
use sero_crypto::Base;
use sero_evm::{LtHash, Spent};
use sero_keys::OneTimeAddress;
use sero_ledger::block::{plain_cm_out, tx_root, Block, BlockHeader, Seal};
use sero_ledger::license::{check_proposer_license, LicenseConfig, LicenseError};
use sero_ledger::tx::{PlainOutput, Transaction};
use sero_ledger::validate::{check_block_nullifiers, validate_stateful, LedgerView};
use sero_ledger::verified::VerifiedCache;
use sero_ledger::{DecodeError, TxError};
use sero_state::{BlockEffects, StateDb, StateError};
use sero_tree::{cm_auth, cm_auth_many, Anchors, Frontier, MerklePath, WitnessTree};
use sero_zk::params::Parameters;
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use thiserror::Error;

/// Chain parameters. Every field is a consensus rule and is hashed into the
/// genesis seal ([`genesis_config_hash`]).
#[derive(Clone, Debug)]
pub struct ChainConfig {
    /// New SERO per block, paid with the fees to the producer's coinbase.
    pub block_reward: u128,
    /// How many recent note-tree roots are valid anchors.
    pub anchor_window: usize,
    /// Smallest stake a registration may lock.
    pub min_stake: u64,
    /// Blocks between an unbonding and its refund (at least 1).
    pub unbond_delay: u64,
    /// The mining-licence rule, if the network has one.
    pub license: Option<LicenseConfig>,
    /// A single-node development chain: accepts [`Seal::Dev`] blocks.
    pub dev_mode: bool,
    /// Opaque bytes hashed into the genesis seal (e.g. a network name and
    /// the zk verifying-key hash), so different networks never share a
    /// genesis.
    pub genesis_extra: Vec<u8>,
}

impl Default for ChainConfig {
    fn default() -> Self {
        ChainConfig {
            block_reward: 1_000,
            anchor_window: sero_tree::DEFAULT_ANCHOR_WINDOW,
            min_stake: 1_000,
            unbond_delay: 10,
            license: None,
            dev_mode: false,
            genesis_extra: vec![],
        }
    }
}

impl ChainConfig {
    /// The defaults with [`dev_mode`](Self::dev_mode) on.
    pub fn dev() -> Self {
        ChainConfig {
            dev_mode: true,
            ..ChainConfig::default()
        }
    }
}

/// A genesis block with the validators its effects write into the
/// registry (they are not in the block itself: the seal's config hash
/// commits to them) and the round seed stored with it (`seed_0`; the block
/// hash unless the caller sets another).
#[derive(Clone, Debug, PartialEq)]
pub struct GenesisBlock {
    pub block: Block,
    pub validators: Vec<GenesisValidator>,
    pub seed: [u8; 32],
}

/// `BLAKE2b-256("SERO_GenesisCfg1"; config)`, the genesis seal (§8.4 of
/// `docs/protocol.md`): the consensus parameters of `cfg` and the genesis
/// validators (ascending by vote key).
pub fn genesis_config_hash(cfg: &ChainConfig, validators: &[GenesisValidator]) -> [u8; 32] {
    let mut b = Vec::with_capacity(128 + validators.len() * 168 + cfg.genesis_extra.len());
    b.extend_from_slice(&cfg.block_reward.to_le_bytes());
    b.extend_from_slice(&(cfg.anchor_window as u64).to_le_bytes());
    b.extend_from_slice(&cfg.min_stake.to_le_bytes());
    b.extend_from_slice(&cfg.unbond_delay.to_le_bytes());
    b.push(cfg.dev_mode as u8);
    match &cfg.license {
        Some(l) => {
            b.push(1);
            b.extend_from_slice(&l.issuer.to_bytes());
            b.extend_from_slice(&l.required_until.to_le_bytes());
        }
        None => b.push(0),
    }
    b.extend_from_slice(&(cfg.genesis_extra.len() as u32).to_le_bytes());
    b.extend_from_slice(&cfg.genesis_extra);
    b.extend_from_slice(&(validators.len() as u32).to_le_bytes());
    for v in validators {
        b.extend_from_slice(&v.vote_key);
        b.extend_from_slice(&v.vrf_key);
        b.extend_from_slice(&v.stake.to_le_bytes());
        b.extend_from_slice(&v.refund.to_bytes());
    }
    hash256(tags::GENESIS_CONFIG, &[&b])
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
    #[error("stake refunds: {0}")]
    Refund(String),
    #[error("seal: {0}")]
    Seal(String),
    #[error("mining licence: {0}")]
    License(#[from] LicenseError),
    #[error("genesis: {0}")]
    Genesis(String),
    #[error("transaction {index}: {error}")]
    Tx { index: usize, error: TxError },
    #[error("contract-state root does not match the block's execution")]
    StateRoot,
    #[error("the header's validators hash is not the hash of the validators after the block")]
    ValidatorsHash,
    #[error("transaction {index}: stake: {error}")]
    Stake { index: usize, error: RegistryError },
    #[error("rollback: {0}")]
    Rollback(String),
    #[error("the witness tree is full")]
    TreeFull,
    #[error("corrupt store: {0}")]
    Corrupt(String),
}

/// The chain state.
pub struct Chain {
    db: StateDb,
    /// The right edge of the note tree (`O(depth)`); the whole tree lives
    /// in the store's `tree_nodes` table.
    frontier: Frontier,
    anchors: Anchors,
    params: Arc<Parameters>,
    cfg: ChainConfig,
    tip: Option<(u64, [u8; 32])>,
    tip_header: Option<BlockHeader>,
    registry: Registry,
    /// The genesis block hash, which every transaction must carry.
    chain_id: [u8; 32],
    /// The LtHash accumulator of the stored contract state and spent set
    /// (its root is the tip's `state_root`): kept in memory and updated by
    /// each block's changes and spends, so a block's root costs what the
    /// block does, not the whole state.
    state_acc: LtHash,
    /// Transactions already found statelessly valid (by the mempool, or by
    /// an earlier validation of a block holding them): block validation
    /// does not verify them again.
    verified: Arc<VerifiedCache>,
    /// Keep the bodies of only the last this many blocks (and never prune
    /// a non-final one); `None`: an archive node (the default).
    prune_depth: Option<u64>,
}

/// The in-memory state after a validated block, computed by the
/// validation (to check the header's note root and state root) and
/// installed by the commit.
struct After {
    frontier: Frontier,
    acc: LtHash,
}

/// Most old bodies one block's write prunes (a node that turns pruning on
/// with a long history catches up over the next blocks; in steady state
/// each block prunes one).
pub const MAX_PRUNE_PER_BLOCK: u64 = 256;

/// An entry of the state accumulator, as read by [`scan_state_acc`].
enum AccEntry {
    Contract(Vec<u8>, Vec<u8>),
    Spent(Spent, [u8; 32]),
}

/// Entries hashed per parallel job of [`scan_state_acc`].
const ACC_BATCH: usize = 4_096;

/// The accumulator of `batch` (its entries hashed in parallel).
fn acc_of(batch: &[AccEntry]) -> LtHash {
    use rayon::prelude::*;
    batch
        .par_iter()
        .fold(LtHash::default, |mut a, e| {
            match e {
                AccEntry::Contract(k, v) => a.add(k, v),
                AccEntry::Spent(kind, id) => a.add_spent(*kind, id),
            }
            a
        })
        .reduce(LtHash::default, |mut a, b| {
            a.merge(&b);
            a
        })
}

/// The state accumulator over every stored contract-state entry, spent
/// nullifier and til: one streamed scan of each table, recomputed from
/// the entries (nothing persisted is read). The entries are hashed in
/// batches on the other cores while the scan reads on (the sum does not
/// depend on the order); at most a few batches are in flight, so memory
/// does not grow with the state.
pub fn scan_state_acc(db: &StateDb) -> Result<LtHash, ChainError> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let total = Mutex::new(LtHash::default());
    let in_flight = AtomicUsize::new(0);
    let max_in_flight = rayon::current_num_threads().max(2);
    let res = rayon::scope(|s| -> Result<(), ChainError> {
        let mut batch = Vec::with_capacity(ACC_BATCH);
        let flush = |batch: &mut Vec<AccEntry>| {
            let b = std::mem::replace(batch, Vec::with_capacity(ACC_BATCH));
            if in_flight.load(Ordering::Acquire) >= max_in_flight {
                // Enough queued: hash this one here.
                let part = acc_of(&b);
                total.lock().expect("not poisoned").merge(&part);
            } else {
                in_flight.fetch_add(1, Ordering::AcqRel);
                let (total, in_flight) = (&total, &in_flight);
                s.spawn(move |_| {
                    let part = acc_of(&b);
                    total.lock().expect("not poisoned").merge(&part);
                    in_flight.fetch_sub(1, Ordering::AcqRel);
                });
            }
        };
        let push = |e: AccEntry, batch: &mut Vec<AccEntry>| {
            batch.push(e);
            if batch.len() == ACC_BATCH {
                flush(batch);
            }
        };
        db.for_each_evm_entry(|k, v| push(AccEntry::Contract(k.to_vec(), v.to_vec()), &mut batch))?;
        db.for_each_nullifier(|n, _| push(AccEntry::Spent(Spent::Nullifier, *n), &mut batch))?;
        db.for_each_til(|t, _, _| push(AccEntry::Spent(Spent::Til, *t), &mut batch))?;
        if !batch.is_empty() {
            flush(&mut batch);
        }
        Ok(())
    });
    res?;
    Ok(total.into_inner().expect("not poisoned"))
}

/// The accumulator at the tip: the persisted one if it was written for the
/// tip block, else one scan of the state (an old store, or after a
/// rollback), persisted for the next open.
fn load_state_acc(db: &StateDb) -> Result<LtHash, ChainError> {
    let Some((_, tip)) = db.tip()? else {
        return scan_state_acc(db);
    };
    if let Some(acc) = db.state_acc(&tip)?.as_deref().and_then(LtHash::from_bytes) {
        return Ok(acc);
    }
    let acc = scan_state_acc(db)?;
    db.put_state_acc(&tip, &acc.to_bytes())?;
    Ok(acc)
}

impl LedgerView for Chain {
    fn chain_id(&self) -> [u8; 32] {
        self.chain_id
    }

    fn is_known_anchor(&self, root: &Base) -> bool {
        self.anchors.contains(root)
    }

    fn is_spent(&self, nil: &Base) -> bool {
        // A store error counts as spent: refuse rather than risk a double spend.
        !matches!(self.db.nullifier_height(&encode_base(nil)), Ok(None))
    }

    fn check_stake(&self, tx: &Transaction) -> Result<(), TxError> {
        self.registry
            .check_action(self.cfg.min_stake, tx)
            .map_err(|e| TxError::Stake(e.to_string()))
    }

    fn check_contract(&self, c: &sero_ledger::ContractAction) -> Result<(), TxError> {
        // A store error refuses the action rather than risk a wrong accept.
        let view = self
            .contract_view()
            .map_err(|e| TxError::Contract(format!("contract state unreadable: {e}")))?;
        sero_ledger::contract::check_historical(c, &view.view())
    }

    fn check_package(&self, tx: &Transaction) -> Result<(), TxError> {
        let Some(p) = &tx.package else {
            return Ok(());
        };
        let view = self
            .contract_view()
            .map_err(|e| TxError::Contract(format!("contract state unreadable: {e}")))?;
        sero_ledger::package::check_historical(tx, p, &view.view()).map(|_| ())
    }
}

/// The genesis: one coinbase note per `premine` entry, the registry seeded
/// with `validators` (sorted here by vote key; duplicates, zero stakes and
/// a total above u64 are refused), sealed with [`genesis_config_hash`] of
/// `cfg` and the validators. Its seed is the block hash; set
/// [`GenesisBlock::seed`] for another `seed_0`.
pub fn genesis_block(
    premine: &[(OneTimeAddress, u128)],
    validators: &[GenesisValidator],
    time: u64,
    cfg: &ChainConfig,
) -> Result<GenesisBlock, ChainError> {
    let mut validators = validators.to_vec();
    validators.sort_by_key(|a| a.vote_key);
    let registry =
        Registry::genesis(&validators).map_err(|e| ChainError::Genesis(e.to_string()))?;
    let coinbase: Vec<PlainOutput> = premine
        .iter()
        .map(|(p, v)| PlainOutput {
            pkr: *p,
            asset: Asset::sero(*v),
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
    let block = Block {
        header: BlockHeader {
            height: 0,
            parent: [0; 32],
            time,
            tx_root: tx_root(&coinbase, &[]),
            note_root: tree.root(),
            leaf_count: tree.len(),
            state_root: empty_state_root(),
            validators_hash: registry.validators_hash(),
            seal: Seal::Genesis {
                config_hash: genesis_config_hash(cfg, &validators),
            },
        },
        coinbase,
        txs: vec![],
    };
    Ok(GenesisBlock {
        seed: block.hash(),
        block,
        validators,
    })
}

/// The state root of an empty state (the genesis's: no contract state, no
/// spends).
pub fn empty_state_root() -> [u8; 32] {
    LtHash::default().root()
}

fn load_anchors(db: &StateDb, window: usize) -> Result<Anchors, ChainError> {
    let mut anchors = Anchors::new(window);
    for r in db.recent_roots(window as u64)? {
        anchors.push(base_from_canonical(&r).map_err(|e| ChainError::Corrupt(e.to_string()))?);
    }
    Ok(anchors)
}

fn load_registry(db: &StateDb) -> Result<Registry, ChainError> {
    Ok(Registry::from_records(db.all_validators()?))
}

impl Chain {
    /// Opens (or creates) the chain at `path`. An empty store gets
    /// `genesis` (validated against `cfg`); an existing one must have been
    /// made for the same configuration: its genesis seal must equal the one
    /// `genesis` gives now (the seal covers `cfg` and the validators, not
    /// the time or the premine), else [`ChainError::Genesis`].
    pub fn open(
        path: &Path,
        params: Arc<Parameters>,
        cfg: ChainConfig,
        genesis: impl FnOnce() -> Result<GenesisBlock, ChainError>,
    ) -> Result<Chain, ChainError> {
        let db = StateDb::open(path)?;
        // Only the right edge of the tree is read: the open costs the same
        // whatever the number of notes.
        let frontier = db.tree_frontier()?;
        let anchors = load_anchors(&db, cfg.anchor_window)?;
        let registry = load_registry(&db)?;
        let tip = db.tip()?;
        let state_acc = load_state_acc(&db)?;
        let mut chain = Chain {
            db,
            frontier,
            anchors,
            params,
            cfg,
            tip,
            tip_header: None,
            registry,
            chain_id: [0; 32],
            state_acc,
            verified: Arc::new(VerifiedCache::default()),
            prune_depth: None,
        };
        chain.tip_header = match chain.tip {
            Some((h, _)) => chain.header(h)?,
            None => None,
        };
        let g = genesis()?;
        if chain.tip.is_none() {
            let (effects, after) = chain.validate_genesis(&g)?;
            chain.commit(&g.block, effects, after)?;
        } else {
            let stored = chain
                .header(0)?
                .ok_or_else(|| ChainError::Corrupt("genesis missing".into()))?;
            if stored.seal != g.block.header.seal {
                return Err(ChainError::Genesis(
                    "the store holds a chain of another configuration".into(),
                ));
            }
            if chain.frontier.root() != chain.anchors.latest().unwrap_or_default()
                || chain.frontier.root() != chain.db.tree_root()?
            {
                return Err(ChainError::Corrupt(
                    "note tree does not match the last root".into(),
                ));
            }
        }
        chain.chain_id = chain
            .db
            .hash_at(0)?
            .ok_or_else(|| ChainError::Corrupt("genesis missing".into()))?;
        Ok(chain)
    }

    /// The chain id: the genesis block hash. Transactions sign it.
    pub fn chain_id(&self) -> [u8; 32] {
        self.chain_id
    }

    pub fn params(&self) -> &Parameters {
        &self.params
    }

    /// The parameters, shared: for verifying proofs without holding the
    /// node's lock.
    pub fn params_arc(&self) -> Arc<Parameters> {
        self.params.clone()
    }

    /// The stateless verdicts this chain remembers (see
    /// [`sero_ledger::verified`]): the mempool verifies through it, without
    /// holding the node's lock, so block validation skips what it admitted.
    pub fn verified_cache(&self) -> Arc<VerifiedCache> {
        self.verified.clone()
    }

    /// Stateless validation of `txs` through the chain's cache (one batch
    /// for the ones not yet verified). A node syncing a range of blocks
    /// calls it on all of the range's transactions first, so their proofs
    /// are verified in one batch and each block's apply finds them done.
    pub fn validate_stateless(&self, txs: &[Transaction]) -> Vec<Result<(), TxError>> {
        self.verified.validate_batch(txs, &self.params)
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

    /// The state accumulator after writing `changes` (contract-state key →
    /// new value, `None` deletes) over the stored state and adding the
    /// spent-set entries `spent` (a block's nullifiers and tils; the store
    /// refuses a block that repeats one, so they are new).
    fn acc_after<'a>(
        &self,
        changes: impl IntoIterator<Item = (&'a Vec<u8>, &'a Option<Vec<u8>>)>,
        spent: impl IntoIterator<Item = (Spent, &'a [u8; 32])>,
    ) -> Result<LtHash, ChainError> {
        let snap = self.db.evm_snapshot()?;
        let mut acc = self.state_acc.clone();
        for (k, new) in changes {
            let old = snap.get(k)?;
            acc.update(k, old.as_deref(), new.as_deref());
        }
        // Each spent entry costs 32 BLAKE2b calls: in parallel, in parts
        // that are added (the accumulator is a sum; order is irrelevant).
        use rayon::prelude::*;
        let spent: Vec<(Spent, &[u8; 32])> = spent.into_iter().collect();
        let part = spent
            .par_chunks(8)
            .map(|chunk| {
                let mut h = LtHash::default();
                for (kind, id) in chunk {
                    h.add_spent(*kind, id);
                }
                h
            })
            .reduce(LtHash::default, |mut a, b| {
                a.merge(&b);
                a
            });
        acc.merge(&part);
        Ok(acc)
    }

    /// The state root after a block holding `txs` whose contract actions
    /// ran as `exec`: the stored state with its overlay applied, and every
    /// input's nullifier and til added. The proposer
    /// ([`build_block`](Self::build_block)) and the validator
    /// ([`validate_block`](Self::validate_block)) both compute it here;
    /// [`commit`](Self::commit) adds the same entries from the effects.
    fn state_acc_after(&self, exec: &BlockExec, txs: &[Transaction]) -> Result<LtHash, ChainError> {
        let spent: Vec<(Spent, [u8; 32])> = txs
            .iter()
            .flat_map(|t| &t.inputs)
            .flat_map(|i| {
                [
                    (Spent::Nullifier, encode_base(&i.nil)),
                    (Spent::Til, encode_base(&i.til)),
                ]
            })
            .collect();
        self.acc_after(&exec.overlay, spent.iter().map(|(k, id)| (*k, id)))
    }

    /// The contract state at the tip, as a snapshot that stays consistent
    /// (and needs no lock on the chain) while later blocks are applied.
    pub fn contract_view(&self) -> Result<TipView, ChainError> {
        Ok(TipView::new(self.db.evm_snapshot()?))
    }

    /// The right edge of the note tree: its root and leaf count.
    pub fn tree(&self) -> &Frontier {
        &self.frontier
    }

    /// The path of a note against the current root, from the persisted
    /// tree nodes (`DEPTH` point reads); `None` past the last leaf or on a
    /// store error.
    pub fn path(&self, position: u64) -> Option<MerklePath> {
        match self.db.tree_path(position) {
            Ok(p) => p.map(|(path, _)| path),
            Err(e) => {
                tracing::error!(position, error = %e, "reading a witness path");
                None
            }
        }
    }

    /// The block at `height`; `ChainError::State(StateError::Pruned)` if
    /// its body was pruned ([`header`](Self::header) still answers).
    pub fn block(&self, height: u64) -> Result<Option<Block>, ChainError> {
        match self.db.block_by_height(height)? {
            Some(b) => Ok(Some(Block::from_parts(&b.header, &b.body)?)),
            None => Ok(None),
        }
    }

    /// The header of the block at `height` (kept when the body is pruned).
    pub fn header(&self, height: u64) -> Result<Option<BlockHeader>, ChainError> {
        match self.db.header_by_height(height)? {
            Some((_, h)) => Ok(Some(BlockHeader::from_bytes(&h)?)),
            None => Ok(None),
        }
    }

    /// Recomputes, from the stored contents alone, every commitment the
    /// tip header makes to the state, and compares: the note root and leaf
    /// count (all leaves, streamed into a fresh frontier; also against the
    /// persisted root node), each output record against its leaf
    /// (`CMauth(pos, cm)`; its layout is checked, its PKr points are not
    /// decoded: the leaf commits to `cm` only, and a wallet checks a note
    /// it recognises against `cm`; in parallel), the state root (one scan of the contract state,
    /// the spent nullifiers and the tils into a fresh LtHash: an omitted,
    /// added or altered entry fails) and `validators_hash` (the registry's
    /// active set). What a node that received its state from a peer (a
    /// snapshot) must check before trusting it; cost linear in the state.
    /// The spending heights, the til → txid values, the transaction index,
    /// the receipts and the registry's inactive records are **not**
    /// committed by any header, so they cannot be checked here (see
    /// `docs/protocol.md` §18.7).
    pub fn verify_state(&self) -> Result<(), ChainError> {
        let h = self.tip_header();
        let bad = |what: &str| Err(ChainError::Corrupt(format!("state check: {what}")));
        let mut frontier = Frontier::new();
        let n = self.check_records(|leaves| {
            for l in leaves {
                frontier.append(*l).map_err(|_| ChainError::TreeFull)?;
            }
            Ok(())
        })?;
        if n != h.leaf_count || frontier.len() != h.leaf_count || frontier.root() != h.note_root {
            return bad("the leaves do not give the header's note root and leaf count");
        }
        if self.db.tree_root()? != h.note_root {
            return bad("the persisted tree nodes do not give the header's note root");
        }
        if scan_state_acc(&self.db)?.root() != h.state_root {
            return bad("the contract state and spent set do not give the header's state root");
        }
        if load_registry(&self.db)?.validators_hash() != h.validators_hash {
            return bad("the registry does not give the header's validators hash");
        }
        Ok(())
    }

    /// [`verify_state`](Self::verify_state) for a store this process has
    /// just imported from a snapshot, doing each piece of work once: the
    /// tree and the state accumulator are not hashed again but taken from
    /// what the caller computed itself while importing, and compared with
    /// the tip header.
    ///
    /// * `note_root`: the root the import computed from the leaves it
    ///   wrote (`sero_state::SnapshotInfo::note_root` of
    ///   `StateDb::import_snapshot`, which also wrote the tree nodes from
    ///   them; nothing in a snapshot carries a tree node);
    /// * `state_acc`: [`scan_state_acc`] of this store (not the persisted
    ///   accumulator, which anyone could have written).
    ///
    /// Checked here: the leaf count, `note_root`, the persisted root node
    /// (one read), each output record against its leaf (`CMauth`, in
    /// parallel: the one pass over the leaves and records), `state_acc`'s
    /// root and the registry's validators hash. Passing values that were
    /// not computed that way voids the check: use [`verify_state`] for any
    /// other store.
    ///
    /// [`verify_state`]: Self::verify_state
    pub fn verify_imported_state(
        &self,
        note_root: &[u8; 32],
        state_acc: &LtHash,
    ) -> Result<(), ChainError> {
        let h = self.tip_header();
        let bad = |what: &str| Err(ChainError::Corrupt(format!("state check: {what}")));
        if self.db.leaf_count()? != h.leaf_count || *note_root != encode_base(&h.note_root) {
            return bad("the leaves do not give the header's note root and leaf count");
        }
        if self.db.tree_root()? != h.note_root {
            return bad("the persisted tree nodes do not give the header's note root");
        }
        if self.check_records(|_| Ok(()))? != h.leaf_count {
            return bad("the leaves do not give the header's note root and leaf count");
        }
        if state_acc.root() != h.state_root {
            return bad("the contract state and spent set do not give the header's state root");
        }
        if load_registry(&self.db)?.validators_hash() != h.validators_hash {
            return bad("the registry does not give the header's validators hash");
        }
        Ok(())
    }

    /// Checks every stored output record against its leaf (`CMauth(pos,
    /// cm_out)`, one Poseidon each, in parallel; the record's layout is
    /// checked, its PKr points are not decoded: the leaf commits to
    /// `cm_out` only, see `OutputRecord::cm_out_of`) and gives `each` the
    /// leaves, in order, in ranges of at most [`sero_state::MAX_RANGE`].
    /// The next range is read while one is hashed. Returns the number of
    /// leaves.
    fn check_records(
        &self,
        mut each: impl FnMut(&[Base]) -> Result<(), ChainError>,
    ) -> Result<u64, ChainError> {
        use rayon::prelude::*;
        type Range = (Vec<[u8; 32]>, Vec<(u64, Vec<u8>)>);
        let bad = |what: &str| ChainError::Corrupt(format!("state check: {what}"));
        let n = self.db.leaf_count()?;
        let read = |pos: u64| -> Result<Range, ChainError> {
            let to = (pos + sero_state::MAX_RANGE).min(n);
            let leaves = self.db.leaves(pos, to)?;
            let outputs = self.db.outputs(pos, to)?;
            if leaves.len() as u64 != to - pos || outputs.len() as u64 != to - pos {
                return Err(bad("leaves or outputs missing"));
            }
            Ok((leaves, outputs))
        };
        let check = |pos: u64, (leaves, outputs): &Range| -> Result<Vec<Base>, ChainError> {
            if outputs.iter().zip(pos..).any(|((p, _), want)| *p != want) {
                return Err(bad("output positions out of order"));
            }
            leaves
                .par_iter()
                .zip(outputs.par_iter())
                .map(|(l, (p, o))| {
                    let leaf =
                        base_from_canonical(l).map_err(|e| ChainError::Corrupt(e.to_string()))?;
                    let cm_out = OutputRecord::cm_out_of(o).ok_or_else(|| {
                        ChainError::Corrupt(format!("state check: output record {p} malformed"))
                    })?;
                    if cm_auth(*p, cm_out) != leaf {
                        return Err(ChainError::Corrupt(format!(
                            "state check: output record {p} does not match its leaf"
                        )));
                    }
                    Ok(leaf)
                })
                .collect()
        };
        let mut pos = 0u64;
        let mut cur = if n > 0 { Some(read(0)?) } else { None };
        while let Some(range) = cur.take() {
            let len = range.0.len() as u64;
            let next_pos = pos + len;
            let (checked, next) = rayon::join(
                || check(pos, &range),
                || (next_pos < n).then(|| read(next_pos)).transpose(),
            );
            each(&checked?)?;
            cur = next?;
            pos = next_pos;
        }
        Ok(pos)
    }

    /// Turns pruning on (`Some(depth)`: keep the bodies of the last `depth`
    /// blocks, and of every block not yet final) or off (`None`, archive:
    /// bodies already pruned stay pruned). Pruning runs in each block's
    /// write, at most [`MAX_PRUNE_PER_BLOCK`] bodies at a time.
    pub fn set_prune_depth(&mut self, depth: Option<u64>) {
        self.prune_depth = depth;
    }

    /// The configured prune depth (`None`: archive).
    pub fn prune_depth(&self) -> Option<u64> {
        self.prune_depth
    }

    /// The spends `(txid, nullifier, til)` of the block at `height`, in
    /// block order, from its body or, when the body was pruned, from what
    /// the pruning kept: what a light wallet needs besides the outputs.
    #[allow(clippy::type_complexity)]
    pub fn spends(&self, height: u64) -> Result<Option<Vec<sero_state::codec::Spend>>, ChainError> {
        match self.db.block_by_height(height) {
            Ok(Some(b)) => Ok(Some(spends_of(&Block::from_parts(&b.header, &b.body)?))),
            Ok(None) => Ok(None),
            Err(StateError::Pruned { .. }) => {
                Ok(Some(self.db.pruned_spends(height)?.unwrap_or_default()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The bodies the block at `height` prunes in its write (see
    /// [`set_prune_depth`](Self::set_prune_depth)).
    fn prune_list(&self, height: u64) -> Result<Vec<sero_state::PrunedBody>, ChainError> {
        let Some(depth) = self.prune_depth else {
            return Ok(vec![]);
        };
        let from = self.db.pruned_below()?;
        // Keep heights > height − depth, and every non-final block.
        let Some(keep_from) = (height + 1).checked_sub(depth.max(1)) else {
            return Ok(vec![]);
        };
        let to = keep_from
            .min(self.db.finalized_height()? + 1)
            .min(from.saturating_add(MAX_PRUNE_PER_BLOCK));
        let mut out = vec![];
        for h in from..to {
            let b = self
                .block(h)?
                .ok_or_else(|| ChainError::Corrupt(format!("block {h} missing")))?;
            out.push(sero_state::PrunedBody {
                height: h,
                spends: spends_of(&b),
            });
        }
        Ok(out)
    }

    /// The header of the tip.
    pub fn tip_header(&self) -> &BlockHeader {
        self.tip_header
            .as_ref()
            .expect("a chain always has its genesis")
    }

    /// The round seed stored with the block at `height` (for the genesis,
    /// [`GenesisBlock::seed`]).
    pub fn seed(&self, height: u64) -> Result<Option<[u8; 32]>, ChainError> {
        Ok(self.db.seed_at(height)?)
    }

    /// The active validators at the tip, by vote key: the weights for the
    /// next round.
    pub fn validators(&self) -> Result<Vec<GenesisValidator>, ChainError> {
        self.registry
            .validators()
            .map_err(|e| ChainError::Corrupt(e.to_string()))
    }

    /// The sum of the active stakes at the tip.
    pub fn total_stake(&self) -> u64 {
        self.registry.total_stake()
    }

    /// The whole registry at the tip (active, unbonding and released).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    fn expected_next(&self) -> (u64, [u8; 32]) {
        match self.tip {
            Some((h, hash)) => (h + 1, hash),
            None => (0, [0; 32]),
        }
    }

    /// The genesis rules: height 0, no parent, the seal naming this
    /// configuration and these validators, SERO-only coinbase, no
    /// transactions. Reads only.
    fn validate_genesis(&self, g: &GenesisBlock) -> Result<(BlockEffects, After), ChainError> {
        let (block, h) = (&g.block, &g.block.header);
        if self.tip.is_some() || h.height != 0 {
            return Err(ChainError::Genesis("not block 0 of an empty store".into()));
        }
        if h.parent != [0; 32] {
            return Err(ChainError::Parent);
        }
        let registry =
            Registry::genesis(&g.validators).map_err(|e| ChainError::Genesis(e.to_string()))?;
        let expected = genesis_config_hash(&self.cfg, &g.validators);
        if h.seal
            != (Seal::Genesis {
                config_hash: expected,
            })
        {
            return Err(ChainError::Genesis(
                "the seal does not match this chain configuration".into(),
            ));
        }
        if !block.txs.is_empty() {
            return Err(ChainError::Genesis("transactions in the genesis".into()));
        }
        if h.tx_root != tx_root(&block.coinbase, &block.txs) {
            return Err(ChainError::TxRoot);
        }
        check_sero_only(&block.coinbase)?;
        if h.state_root != empty_state_root() {
            return Err(ChainError::StateRoot);
        }
        if h.validators_hash != registry.validators_hash() {
            return Err(ChainError::ValidatorsHash);
        }
        let (mut e, frontier) = self.note_effects(block, 0, [0; 32], &[])?;
        e.registry = registry.records().map(|(k, v)| (*k, v.clone())).collect();
        e.seed = g.seed;
        // The genesis spends nothing and runs no contract.
        let acc = self.state_acc.clone();
        Ok((e, After { frontier, acc }))
    }

    /// Checks every rule for `block` as the next block and returns what to
    /// write (with the parent's seed and no certificate; see
    /// [`apply_block_with`](Self::apply_block_with)). Reads only.
    pub fn validate_block(&self, block: &Block) -> Result<BlockEffects, ChainError> {
        self.validate_block_after(block).map(|(e, _)| e)
    }

    /// [`validate_block`](Self::validate_block) and the state after the
    /// block that the validation computed to check the header (the commit
    /// installs it rather than computing it again).
    fn validate_block_after(&self, block: &Block) -> Result<(BlockEffects, After), ChainError> {
        let (height, parent) = self.expected_next();
        let h = &block.header;
        if height == 0 {
            return Err(ChainError::Genesis(
                "the genesis is applied by Chain::open".into(),
            ));
        }
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
        let parent_header = self.tip_header();
        if h.time < parent_header.time {
            return Err(ChainError::Seal("time before the parent's".into()));
        }
        match &h.seal {
            Seal::Genesis { .. } => {
                return Err(ChainError::Seal("a genesis seal after block 0".into()))
            }
            Seal::Dev if !self.cfg.dev_mode => {
                return Err(ChainError::Seal(
                    "a dev seal on a chain not in dev mode".into(),
                ))
            }
            Seal::Dev => {}
            Seal::Empty => {
                if !block.coinbase.is_empty() || !block.txs.is_empty() {
                    return Err(ChainError::Seal("an empty block with contents".into()));
                }
                if h.time != parent_header.time {
                    return Err(ChainError::Seal(
                        "an empty block must keep the parent's time".into(),
                    ));
                }
            }
            Seal::Proposed(p) => {
                if !self.registry.is_active(&p.proposer) {
                    return Err(ChainError::Seal(format!(
                        "proposer {} is not an active validator",
                        hex::encode(&p.proposer[..8])
                    )));
                }
                if let Some(cfg) = &self.cfg.license {
                    check_proposer_license(cfg, height, &p.proposer, p.license.as_ref())?;
                }
            }
        }
        let mut registry = self.registry.clone();
        let mut written: Vec<[u8; 32]> = vec![];
        if h.seal != Seal::Empty {
            // Coinbase: one reward output (SERO, at most reward + fees),
            // then exactly the refunds due, in order.
            let due = registry
                .due_refunds(height, self.cfg.unbond_delay)
                .map_err(|e| ChainError::Corrupt(e.to_string()))?;
            if block.coinbase.len() != 1 + due.len() {
                return Err(ChainError::Refund(format!(
                    "expected one reward output and {} refunds, found {} coinbase outputs",
                    due.len(),
                    block.coinbase.len()
                )));
            }
            check_sero_only(&block.coinbase[..1])?;
            for (i, ((k, want), got)) in due.iter().zip(&block.coinbase[1..]).enumerate() {
                if got.pkr != want.pkr {
                    return Err(ChainError::Refund(format!(
                        "refund {i} (validator {}) pays the wrong PKr",
                        hex::encode(&k[..8])
                    )));
                }
                if got != want {
                    return Err(ChainError::Refund(format!(
                        "refund {i} (validator {}) must be {} SERO with its memo hash",
                        hex::encode(&k[..8]),
                        want.asset.value
                    )));
                }
                registry.release(k);
                written.push(*k);
            }
        }
        check_block_nullifiers(&block.txs).map_err(|error| ChainError::Tx { index: 0, error })?;
        // Stake actions, in block order, each vote key at most once.
        let mut touched = HashSet::new();
        for (index, t) in block.txs.iter().enumerate() {
            let Some(a) = &t.stake else { continue };
            if !touched.insert(*a.vote_key()) {
                return Err(ChainError::Stake {
                    index,
                    error: RegistryError::TwoActions(hex::encode(&a.vote_key()[..8])),
                });
            }
            if let Some(k) = registry
                .apply_action(self.cfg.min_stake, height, t)
                .map_err(|error| ChainError::Stake { index, error })?
            {
                written.push(k);
            }
        }
        // The header commits to the validators of the next round: the
        // registry after this block (light clients check certificates
        // against it).
        if h.validators_hash != registry.validators_hash() {
            return Err(ChainError::ValidatorsHash);
        }
        // Cheap stateful checks (chain id, anchors, nullifiers, stake rules
        // against the parent state) before the proofs.
        for (index, t) in block.txs.iter().enumerate() {
            validate_stateful(t, self).map_err(|error| ChainError::Tx { index, error })?;
        }
        for (index, r) in self
            .verified
            .validate_batch(&block.txs, &self.params)
            .into_iter()
            .enumerate()
        {
            r.map_err(|error| ChainError::Tx { index, error })?;
        }
        // Contract actions, in block order, on the parent's contract state
        // plus the block's earlier changes.
        let (exec, mut executions) = self.execute_contracts(&block.txs, height, h.time)?;
        if h.seal != Seal::Empty {
            // The reward output: at most reward + fees + the SERO contracts
            // paid for callers' gas (known only after execution).
            let fees = block
                .txs
                .iter()
                .try_fold(0u128, |a, t| a.checked_add(t.fee))
                .ok_or_else(|| ChainError::Coinbase("fee overflow".into()))?;
            let allowed = fees
                .checked_add(self.cfg.block_reward)
                .and_then(|a| a.checked_add(exec.sponsored))
                .ok_or_else(|| ChainError::Coinbase("overflow".into()))?;
            let minted = block.coinbase[0].asset.value;
            if minted > allowed {
                return Err(ChainError::Coinbase(format!(
                    "mints {minted}, allowed {allowed} (reward + fees + gas paid by contracts)"
                )));
            }
        }
        let extra: Vec<Vec<PlainOutput>> = executions
            .iter_mut()
            .map(|x| {
                x.as_mut()
                    .map(|x| std::mem::take(&mut x.notes))
                    .unwrap_or_default()
            })
            .collect();
        let acc = self.state_acc_after(&exec, &block.txs)?;
        if h.state_root != acc.root() {
            return Err(ChainError::StateRoot);
        }
        let (mut e, frontier) = self.note_effects(block, height, parent, &extra)?;
        let first = self.frontier.len() + block.coinbase.len() as u64;
        attach_contract_effects(&mut e, exec, executions, &block.txs, &extra, first);
        e.registry = written
            .iter()
            .map(|k| (*k, registry.get(k).expect("written").clone()))
            .collect();
        e.seed = self.db.seed_at(height - 1)?.unwrap_or_default();
        Ok((e, After { frontier, acc }))
    }

    /// The note root and leaf count after `block` with the contract notes
    /// `extra` (tree order of [`Self::note_effects`]).
    fn note_effects_unchecked(
        &self,
        block: &Block,
        extra: &[Vec<PlainOutput>],
    ) -> Result<(Base, u64), ChainError> {
        let mut frontier = self.frontier.clone();
        let mut cms = vec![];
        for p in &block.coinbase {
            cms.push(plain_cm_out(p).map_err(|e| ChainError::Coinbase(e.to_string()))?);
        }
        for (index, t) in block.txs.iter().enumerate() {
            cms.extend(t.outputs.iter().map(|o| o.cm_out));
            for p in t
                .plain_outputs
                .iter()
                .chain(extra.get(index).into_iter().flatten())
            {
                cms.push(plain_cm_out(p).map_err(|e| ChainError::Tx {
                    index,
                    error: TxError::Asset(e.to_string()),
                })?);
            }
        }
        let leaves = cm_auth_many(frontier.len(), &cms);
        let nodes = frontier
            .append_batch(&leaves)
            .map_err(|_| ChainError::TreeFull)?;
        Ok((nodes.root(), frontier.len()))
    }

    /// Runs the contract actions of `txs` in order ([`BlockExec`]); an
    /// action that cannot be in a block is the block's error.
    #[allow(clippy::type_complexity)]
    fn execute_contracts(
        &self,
        txs: &[Transaction],
        height: u64,
        time: u64,
    ) -> Result<(BlockExec, Vec<Option<crate::contract::TxExecution>>), ChainError> {
        let mut exec = BlockExec::default();
        let mut out = Vec::with_capacity(txs.len());
        for (index, t) in txs.iter().enumerate() {
            match exec.execute_tx(&self.db, t, height, time, index as u32) {
                Ok(x) => out.push(x),
                Err(ExecFailure::Store(e)) => return Err(ChainError::Corrupt(e)),
                Err(ExecFailure::Tx(error)) => return Err(ChainError::Tx { index, error }),
            }
        }
        Ok((exec, out))
    }

    /// The note, nullifier, til and txid effects of `block` (checks the note
    /// root and leaf count) and the tree's frontier after it; `extra[i]`
    /// are the notes transaction `i`'s contract action made, entering the
    /// tree after its own outputs.
    fn note_effects(
        &self,
        block: &Block,
        height: u64,
        parent: [u8; 32],
        extra: &[Vec<PlainOutput>],
    ) -> Result<(BlockEffects, Frontier), ChainError> {
        let h = &block.header;
        let mut records = vec![];
        for c in &block.coinbase {
            let cm = plain_cm_out(c).map_err(|e| ChainError::Coinbase(e.to_string()))?;
            records.push(OutputRecord::plain(c, cm));
        }
        for (index, t) in block.txs.iter().enumerate() {
            records.extend(t.outputs.iter().map(OutputRecord::shielded));
            for p in t
                .plain_outputs
                .iter()
                .chain(extra.get(index).into_iter().flatten())
            {
                let cm = plain_cm_out(p).map_err(|e| ChainError::Tx {
                    index,
                    error: TxError::Asset(e.to_string()),
                })?;
                records.push(OutputRecord::plain(p, cm));
            }
        }
        // The leaves `CMauth(position, cm)` in parallel (a hash each), then
        // the tree's new nodes once, level by level (the store keeps them).
        use rayon::prelude::*;
        let mut frontier = self.frontier.clone();
        let cms: Vec<Base> = records.iter().map(OutputRecord::cm_out).collect();
        let leaf_values = cm_auth_many(frontier.len(), &cms);
        let nodes = frontier
            .append_batch(&leaf_values)
            .map_err(|_| ChainError::TreeFull)?;
        if h.note_root != nodes.root() || h.leaf_count != frontier.len() {
            return Err(ChainError::NoteRoot);
        }
        let leaves = leaf_values.iter().map(encode_base).collect();
        let mut tils = vec![];
        let mut txids = vec![];
        let mut nullifiers = vec![];
        let ids: Vec<[u8; 32]> = block.txs.par_iter().map(Transaction::txid).collect();
        for (t, id) in block.txs.iter().zip(ids) {
            txids.push(id);
            for i in &t.inputs {
                nullifiers.push(encode_base(&i.nil));
                tils.push((encode_base(&i.til), id));
            }
        }
        let effects = BlockEffects {
            height,
            hash: block.hash(),
            parent,
            header: h.to_bytes(),
            body: block.body_bytes(),
            note_root: encode_base(&h.note_root),
            leaves,
            outputs: records.par_iter().map(OutputRecord::to_bytes).collect(),
            nullifiers,
            tils,
            txids,
            registry: vec![],
            seed: [0; 32],
            certificate: vec![],
            evm_changes: vec![],
            receipts: vec![],
            state_acc: vec![],
            prune: vec![],
            tree_nodes: Some(nodes),
            finalize: false,
        };
        Ok((effects, frontier))
    }

    /// Validates and applies `block` in one atomic write, keeping the
    /// parent's round seed and storing no certificate (the dev chain and
    /// tests; consensus nodes use [`apply_block_with`](Self::apply_block_with)).
    pub fn apply_block(&mut self, block: &Block) -> Result<(), ChainError> {
        let (effects, after) = self.validate_block_after(block)?;
        self.commit(block, effects, after)
    }

    /// Validates and applies `block` as [`apply_block`](Self::apply_block)
    /// does, and makes it the finalized height in the same write (a single
    /// producer's dev chain: every block is final at once).
    pub fn apply_final_block(&mut self, block: &Block) -> Result<(), ChainError> {
        let (mut effects, after) = self.validate_block_after(block)?;
        effects.finalize = true;
        self.commit(block, effects, after)
    }

    /// Validates and applies `block` with the round `seed` after it and its
    /// consensus `certificate` (may be empty, and stored later with
    /// [`StateDb::put_certificate`]), in one atomic write; with `finalize`
    /// (a Final certificate) the block becomes the finalized height in the
    /// same write ([`StateDb::set_finalized`]).
    pub fn apply_block_with(
        &mut self,
        block: &Block,
        seed: [u8; 32],
        certificate: Vec<u8>,
        finalize: bool,
    ) -> Result<(), ChainError> {
        let (mut effects, after) = self.validate_block_after(block)?;
        effects.seed = seed;
        effects.certificate = certificate;
        effects.finalize = finalize;
        self.commit(block, effects, after)
    }

    /// Writes validated effects, then updates the in-memory state to
    /// `after` (the validation's note-tree frontier and state accumulator
    /// after the block: the tree with the effects' leaves appended, the
    /// accumulator with their contract changes and spent entries).
    fn commit(
        &mut self,
        block: &Block,
        mut effects: BlockEffects,
        after: After,
    ) -> Result<(), ChainError> {
        let After { frontier, acc } = after;
        effects.state_acc = acc.to_bytes();
        if effects.height > 0 {
            effects.prune = self.prune_list(effects.height)?;
        }
        debug_assert_eq!(
            frontier.len(),
            self.frontier.len() + effects.leaves.len() as u64
        );
        self.db.apply_block(&effects)?;
        self.state_acc = acc;
        self.frontier = frontier;
        // The header's note root is the frontier's (checked by the
        // validation): no need to hash the 32 levels again.
        self.anchors.push(block.header.note_root);
        for (k, v) in &effects.registry {
            self.registry.insert(*k, v.clone());
        }
        self.tip = Some((effects.height, effects.hash));
        self.tip_header = Some(block.header.clone());
        tracing::info!(
            height = effects.height,
            hash = %hex::encode(&effects.hash[..8]),
            txs = block.txs.len(),
            notes = effects.leaves.len(),
            "block applied"
        );
        Ok(())
    }

    /// Undoes every block above `height` (see [`StateDb::rollback_to`]: one
    /// atomic write, never below the finalized height), then rebuilds the
    /// in-memory tree, anchors, registry and tip.
    pub fn rollback_to(&mut self, height: u64) -> Result<(), ChainError> {
        let (tip, _) = self.tip();
        if height >= tip {
            return if height == tip {
                Ok(())
            } else {
                Err(ChainError::Rollback(format!(
                    "height {height} is above the tip {tip}"
                )))
            };
        }
        self.db.rollback_to(height)?;
        self.state_acc = load_state_acc(&self.db)?;
        self.frontier = self.db.tree_frontier()?;
        self.anchors = load_anchors(&self.db, self.cfg.anchor_window)?;
        self.registry = load_registry(&self.db)?;
        self.tip = self.db.tip()?;
        self.tip_header = self.header(height)?;
        tracing::warn!(height, "rolled back");
        Ok(())
    }

    /// The registry after a block at `height` that pays the refunds `due`
    /// and holds `txs` (whose stake actions are valid in order).
    fn registry_after(
        &self,
        height: u64,
        due: &[([u8; 32], PlainOutput)],
        txs: &[Transaction],
    ) -> Result<Registry, ChainError> {
        let mut registry = self.registry.clone();
        for (k, _) in due {
            registry.release(k);
        }
        for (index, t) in txs.iter().enumerate() {
            registry
                .apply_action(self.cfg.min_stake, height, t)
                .map_err(|error| ChainError::Stake { index, error })?;
        }
        Ok(registry)
    }

    /// Assembles the next block from `candidates` (already admitted by the
    /// mempool; any that no longer validate, and any second stake action
    /// for one vote key, are skipped), paying reward and fees to `coinbase`
    /// and then the stake refunds due, sealed with `seal`. The time is at
    /// least the parent's. With [`Seal::Empty`] it returns [`Block::empty`].
    ///
    /// For a proposed block pass a [`Seal::Proposed`] whose signature is
    /// zero, then sign [`BlockHeader::signing_hash`] (which ignores the
    /// signature bytes) and put the signature in.
    pub fn build_block(
        &self,
        candidates: Vec<Transaction>,
        coinbase: &OneTimeAddress,
        time: u64,
        seal: Seal,
    ) -> Result<Block, ChainError> {
        let (height, parent) = self.expected_next();
        let parent_header = self.tip_header();
        match seal {
            Seal::Empty => return Ok(Block::empty(height, parent_header)),
            Seal::Genesis { .. } => {
                return Err(ChainError::Seal("build_block makes no genesis".into()))
            }
            _ => {}
        }
        let results = self.verified.validate_batch(&candidates, &self.params);
        let mut registry = self.registry.clone();
        let due = registry
            .due_refunds(height, self.cfg.unbond_delay)
            .map_err(|e| ChainError::Corrupt(e.to_string()))?;
        for (k, _) in &due {
            registry.release(k);
        }
        let mut txs: Vec<Transaction> = vec![];
        let mut seen = HashSet::new();
        let mut touched = HashSet::new();
        let block_time = time.max(parent_header.time);
        let mut exec = BlockExec::default();
        for (t, r) in candidates.into_iter().zip(results) {
            if txs.len() >= sero_ledger::block::MAX_BLOCK_TXS {
                break;
            }
            if r.is_err() || validate_stateful(&t, self).is_err() {
                continue;
            }
            if t.nullifiers().any(|n| seen.contains(n)) {
                continue;
            }
            if let Some(a) = &t.stake {
                if touched.contains(a.vote_key())
                    || registry
                        .apply_action(self.cfg.min_stake, height, &t)
                        .is_err()
                {
                    continue;
                }
                touched.insert(*a.vote_key());
            }
            // The contract action on a scratch copy of the block's
            // execution: kept only if it can be in the block (the same
            // path validate_block runs).
            if t.contract.is_some() || t.package.is_some() {
                let mut trial = exec.clone();
                match trial.execute_tx(&self.db, &t, height, block_time, txs.len() as u32) {
                    Ok(_) => exec = trial,
                    Err(ExecFailure::Store(e)) => return Err(ChainError::Corrupt(e)),
                    Err(ExecFailure::Tx(error)) => {
                        tracing::debug!(txid = %hex::encode(t.txid()), %error, "contract action skipped");
                        continue;
                    }
                }
            }
            seen.extend(t.nullifiers().copied());
            txs.push(t);
        }
        // Run the kept actions once more, in their final order and with
        // their final indices: exactly what validate_block will do.
        let (exec, mut executions) = self.execute_contracts(&txs, height, block_time)?;
        let fees: u128 = txs.iter().map(|t| t.fee).sum();
        let mut cb = vec![PlainOutput {
            pkr: *coinbase,
            asset: Asset::sero(self.cfg.block_reward + fees + exec.sponsored),
            memo_hash: Base::from(height),
        }];
        let next_validators = self.registry_after(height, &due, &txs)?.validators_hash();
        cb.extend(due.into_iter().map(|(_, p)| p));
        let extra: Vec<Vec<PlainOutput>> = executions
            .iter_mut()
            .map(|x| {
                x.as_mut()
                    .map(|x| std::mem::take(&mut x.notes))
                    .unwrap_or_default()
            })
            .collect();
        let mut block = Block {
            header: BlockHeader {
                height,
                parent,
                time: block_time,
                tx_root: [0; 32],
                note_root: Base::from(0u64),
                leaf_count: 0,
                state_root: self.state_acc_after(&exec, &txs)?.root(),
                validators_hash: next_validators,
                seal,
            },
            coinbase: cb,
            txs,
        };
        let e = self.note_effects_unchecked(&block, &extra)?;
        block.header.tx_root = tx_root(&block.coinbase, &block.txs);
        block.header.note_root = e.0;
        block.header.leaf_count = e.1;
        Ok(block)
    }
}

/// Puts the block's contract-state writes and receipts (with the leaf
/// positions of the notes each action made) into its effects.
fn attach_contract_effects(
    e: &mut BlockEffects,
    exec: BlockExec,
    executions: Vec<Option<crate::contract::TxExecution>>,
    txs: &[Transaction],
    extra: &[Vec<PlainOutput>],
    first_tx_leaf: u64,
) {
    e.evm_changes = exec.overlay.into_iter().collect();
    // Tree order: coinbase, then per transaction its outputs, its plain
    // outputs and its contract notes.
    let mut pos = first_tx_leaf;
    for ((t, x), ex) in txs.iter().zip(extra).zip(executions) {
        pos += (t.outputs.len() + t.plain_outputs.len()) as u64;
        if let Some(ex) = ex {
            let mut r: Receipt = ex.receipt;
            for n in x {
                r.notes.push(ReceiptNote {
                    position: pos,
                    pkr: n.pkr.to_string(),
                    currency: n.asset.currency.to_string(),
                    value: n.asset.value.to_string(),
                    ticket: n.asset.ticket.map(|t| format!("{}:{}", t.category, t.id)),
                });
                pos += 1;
            }
            let id = t.txid();
            e.receipts
                .push((id, serde_json::to_vec(&r).expect("receipt serialises")));
        } else {
            pos += x.len() as u64;
        }
    }
}

/// Coinbase outputs mint SERO only, without tickets.
/// `(txid, nullifier, til)` of every input of `block`, in block order.
fn spends_of(block: &Block) -> Vec<sero_state::codec::Spend> {
    let mut out = vec![];
    for t in &block.txs {
        let id = t.txid();
        for i in &t.inputs {
            out.push((id, encode_base(&i.nil), encode_base(&i.til)));
        }
    }
    out
}

fn check_sero_only(coinbase: &[PlainOutput]) -> Result<(), ChainError> {
    let mut minted: u128 = 0;
    for c in coinbase {
        if c.asset.currency != Currency::sero() || c.asset.ticket.is_some() {
            return Err(ChainError::Coinbase("only SERO may be minted".into()));
        }
        minted = minted
            .checked_add(c.asset.value)
            .ok_or_else(|| ChainError::Coinbase("overflow".into()))?;
    }
    Ok(())
}
