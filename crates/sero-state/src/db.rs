//! [`StateDb`]: opening, applying blocks, reading.

use std::path::Path;

use redb::{
    Database, Durability, ReadTransaction, ReadableTable, ReadableTableMetadata, WriteTransaction,
};

use crate::codec::{
    decode_block_record, decode_evm_undo, decode_meta_u32, decode_meta_u64, decode_spends,
    decode_til, decode_tip, decode_tx_location, decode_undo, decode_validator, encode_block_record,
    encode_evm_undo, encode_spends, encode_til, encode_tip, encode_tx_location, encode_undo,
    encode_validator, Spend, UndoRecord,
};
use crate::error::StateError;
use crate::tables::{
    BLOCKS, BLOCK_HASHES, CERTIFICATES, CHECKPOINTS, EVM_STATE, EVM_UNDO, LEAVES, META,
    META_FINALIZED, META_LEAF_COUNT, META_LEGACY_EVM_ACC, META_PRUNED_BELOW, META_SCHEMA_VERSION,
    META_STATE_ACC, META_TIP, NULLIFIERS, OUTPUTS, RECEIPTS, ROOTS, SCHEMA_VERSION,
    SCHEMA_VERSION_NO_PRUNE, SCHEMA_VERSION_NO_TREE, SEEDS, SPENDS, TILS, TREE_NODES, TXS, UNDO,
    VALIDATORS,
};
use crate::tree;
use sero_tree::NewNodes;

/// A key and its value, as bytes.
pub type KeyValue = (Vec<u8>, Vec<u8>);

/// Most items one range read ([`StateDb::leaves`], [`StateDb::outputs`],
/// [`StateDb::recent_roots`]) may cover.
pub const MAX_RANGE: u64 = 10_000;

/// A validator in the stake registry (bytes only: the node gives them
/// meaning).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorRecord {
    /// The validator's VRF public key.
    pub vrf_key: [u8; 32],
    /// Stake weight (the SERO locked).
    pub stake: u64,
    /// Encoded one-time address (PKr) the stake is refunded to.
    pub refund: [u8; 96],
    /// Height of the block that registered it (0: genesis).
    pub registered_at: u64,
    /// Height of the block that started its unbonding, if any; it has no
    /// weight from the next block on.
    pub unbond_at: Option<u64>,
    /// Whether the refund was paid.
    pub released: bool,
}

impl Default for ValidatorRecord {
    fn default() -> Self {
        ValidatorRecord {
            vrf_key: [0; 32],
            stake: 0,
            refund: [0; 96],
            registered_at: 0,
            unbond_at: None,
            released: false,
        }
    }
}

impl ValidatorRecord {
    /// Registered and not unbonding: it has weight.
    pub fn is_active(&self) -> bool {
        self.unbond_at.is_none()
    }
}

/// Everything a block changes in the state, as bytes.
///
/// Produced by the node after validating a block; [`StateDb::apply_block`]
/// stores it atomically.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockEffects {
    /// Height of the block (0 for genesis).
    pub height: u64,
    /// Block hash.
    pub hash: [u8; 32],
    /// Hash of the parent block (all zero for genesis).
    pub parent: [u8; 32],
    /// Encoded header, stored opaquely.
    pub header: Vec<u8>,
    /// Encoded body, stored opaquely.
    pub body: Vec<u8>,
    /// Note-tree root after this block.
    pub note_root: [u8; 32],
    /// New witness-tree leaves (`CMauth`), in order; they get positions
    /// `leaf_count..leaf_count + leaves.len()`.
    pub leaves: Vec<[u8; 32]>,
    /// Opaque encoded output for each leaf (same length as `leaves`).
    pub outputs: Vec<Vec<u8>>,
    /// Nullifiers spent by the block.
    pub nullifiers: Vec<[u8; 32]>,
    /// `(til, txid)` of every input in the block.
    pub tils: Vec<([u8; 32], [u8; 32])>,
    /// Transaction ids, in block order (the index is the position here).
    pub txids: Vec<[u8; 32]>,
    /// Registry records the block writes (new or updated), each key at most
    /// once; the previous values are kept for [`StateDb::rollback_to`].
    pub registry: Vec<([u8; 32], ValidatorRecord)>,
    /// Round seed after this block.
    pub seed: [u8; 32],
    /// Consensus certificate of the block (empty: none yet; see
    /// [`StateDb::put_certificate`]).
    pub certificate: Vec<u8>,
    /// Contract-state writes of the block: `(key, new value)`, `None`
    /// deleting the key, each key at most once. The previous values are
    /// kept in [`crate::tables::EVM_UNDO`] for [`StateDb::rollback_to`].
    pub evm_changes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    /// Receipts of the block's contract actions: `(txid, receipt bytes)`.
    pub receipts: Vec<([u8; 32], Vec<u8>)>,
    /// The state accumulator after this block (opaque bytes: the LtHash
    /// over the contract state and the spent set whose root is the
    /// header's `state_root`), stored under
    /// [`crate::tables::META_STATE_ACC`] with the block hash; empty: drop
    /// any stored one (it is recomputed on open).
    pub state_acc: Vec<u8>,
    /// Old block bodies to prune in the same write (see
    /// [`StateDb::pruned_below`]): consecutive heights starting at the
    /// current `pruned_below`, each at or below the finalized height.
    pub prune: Vec<PrunedBody>,
    /// The witness-tree nodes `leaves` rewrite, as the caller already
    /// hashed them ([`sero_tree::Frontier::append_batch`] from the tree
    /// before the block): stored as given, after a check of their shape,
    /// of level 0 against `leaves` and of the root against `note_root`
    /// ([`StateError::Corrupt`] otherwise). `None`: the store hashes them.
    pub tree_nodes: Option<NewNodes>,
    /// The block is final (a Final certificate): in the same write, the
    /// finalized height moves to it and the undo records up to it are
    /// dropped, as [`StateDb::set_finalized`] does.
    pub finalize: bool,
}

/// A block body to drop ([`BlockEffects::prune`]): its header, certificate,
/// outputs and every index stay; its spends are kept in
/// [`crate::tables::SPENDS`] for light wallets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrunedBody {
    /// Height of the block.
    pub height: u64,
    /// Its spends `(txid, nullifier, til)`, in block order.
    pub spends: Vec<Spend>,
}

/// A stored block, as returned by [`StateDb::block_by_height`] and
/// [`StateDb::block_by_hash`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredBlock {
    /// Height of the block.
    pub height: u64,
    /// Block hash.
    pub hash: [u8; 32],
    /// Encoded header, as given to [`StateDb::apply_block`].
    pub header: Vec<u8>,
    /// Encoded body, as given to [`StateDb::apply_block`].
    pub body: Vec<u8>,
}

/// Number of entries in each table (O(1) to compute), for diagnostics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StateStats {
    /// Entries in [`crate::tables::BLOCK_HASHES`] (= tip height + 1).
    pub blocks: u64,
    /// Entries in [`crate::tables::LEAVES`].
    pub leaves: u64,
    /// Entries in [`crate::tables::OUTPUTS`].
    pub outputs: u64,
    /// Entries in [`crate::tables::ROOTS`].
    pub roots: u64,
    /// Entries in [`crate::tables::NULLIFIERS`].
    pub nullifiers: u64,
    /// Entries in [`crate::tables::TILS`].
    pub tils: u64,
    /// Entries in [`crate::tables::TXS`].
    pub txs: u64,
    /// Entries in [`crate::tables::VALIDATORS`].
    pub validators: u64,
    /// Entries in [`crate::tables::SEEDS`].
    pub seeds: u64,
    /// Entries in [`crate::tables::CERTIFICATES`].
    pub certificates: u64,
    /// Entries in [`crate::tables::UNDO`].
    pub undo: u64,
}

/// A read view of the contract state ([`StateDb::evm_snapshot`]).
pub struct EvmSnapshot {
    table: redb::ReadOnlyTable<&'static [u8], &'static [u8]>,
    _txn: ReadTransaction,
}

impl EvmSnapshot {
    /// The contract-state value under `key` in this view.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.table.get(key)?.map(|g| g.value().to_vec()))
    }
}

/// The node's persistent state, in one redb file.
///
/// `StateDb` is `Send + Sync`; reads run in their own read transactions and
/// may run concurrently with a write. Only one process may open the file at a
/// time (redb holds a file lock).
pub struct StateDb {
    db: Database,
}

impl std::fmt::Debug for StateDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateDb").finish_non_exhaustive()
    }
}

impl StateDb {
    /// Opens the database file at `path`, creating it (and its parent
    /// directories) if missing, creating every table and recording
    /// [`SCHEMA_VERSION`] on first open.
    ///
    /// Fails with [`StateError::SchemaVersion`] if the file has another
    /// schema version, and with [`StateError::Corrupt`] if the tip, the leaf
    /// count and the tables disagree. After a crash redb recovers the last
    /// committed transaction first (a repair that may take a while on a large
    /// file).
    pub fn open(path: &Path) -> Result<StateDb, StateError> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)?;
            }
        }
        let db = Database::create(path)?;
        let txn = db.begin_write()?;
        {
            // Opening a table in a write transaction creates it.
            txn.open_table(BLOCK_HASHES)?;
            txn.open_table(BLOCKS)?;
            txn.open_table(LEAVES)?;
            txn.open_table(ROOTS)?;
            txn.open_table(NULLIFIERS)?;
            txn.open_table(TILS)?;
            txn.open_table(TXS)?;
            txn.open_table(OUTPUTS)?;
            txn.open_table(VALIDATORS)?;
            txn.open_table(SEEDS)?;
            txn.open_table(CERTIFICATES)?;
            txn.open_table(UNDO)?;
            txn.open_table(EVM_STATE)?;
            txn.open_table(EVM_UNDO)?;
            txn.open_table(RECEIPTS)?;
            txn.open_table(TREE_NODES)?;
            txn.open_table(SPENDS)?;
            txn.open_table(CHECKPOINTS)?;
            let mut meta = txn.open_table(META)?;
            let version = match meta.get(META_SCHEMA_VERSION)? {
                Some(v) => Some(decode_meta_u32(v.value(), "meta schema_version")?),
                None => None,
            };
            match version {
                Some(SCHEMA_VERSION_NO_TREE) => {
                    // One-time migration: build the tree nodes from the leaves.
                    let count = read_leaf_count(&meta)?;
                    let leaves = txn.open_table(LEAVES)?;
                    let mut nodes = txn.open_table(TREE_NODES)?;
                    tree::rebuild_nodes(&leaves, &mut nodes, count)?;
                    meta.insert(META_SCHEMA_VERSION, &SCHEMA_VERSION.to_le_bytes()[..])?;
                }
                Some(SCHEMA_VERSION_NO_PRUNE) => {
                    // Nothing pruned yet: the new table was created above.
                    meta.insert(META_SCHEMA_VERSION, &SCHEMA_VERSION.to_le_bytes()[..])?;
                }
                Some(found) if found != SCHEMA_VERSION => {
                    return Err(StateError::SchemaVersion {
                        found,
                        expected: SCHEMA_VERSION,
                    });
                }
                Some(_) => {}
                None => {
                    if meta.len()? != 0 {
                        return Err(StateError::Corrupt(
                            "meta table has entries but no schema version".into(),
                        ));
                    }
                    meta.insert(META_SCHEMA_VERSION, &SCHEMA_VERSION.to_le_bytes()[..])?;
                    meta.insert(META_LEAF_COUNT, &0u64.to_le_bytes()[..])?;
                }
            }
        }
        txn.commit()?;
        let state = StateDb { db };
        state.check_consistency()?;
        Ok(state)
    }

    /// Cheap cross-checks between [`META`] and the tables (all O(log n)).
    fn check_consistency(&self) -> Result<(), StateError> {
        let r = self.db.begin_read()?;
        let meta = r.open_table(META)?;
        let tip = read_tip(&meta)?;
        let leaf_count = read_leaf_count(&meta)?;
        let hashes = r.open_table(BLOCK_HASHES)?;
        let roots = r.open_table(ROOTS)?;
        let blocks = r.open_table(BLOCKS)?;
        let leaves = r.open_table(LEAVES)?;
        let outputs = r.open_table(OUTPUTS)?;
        let seeds = r.open_table(SEEDS)?;
        let finalized = read_finalized(&meta)?;
        let corrupt = |m: String| Err(StateError::Corrupt(m));
        match tip {
            None => {
                if hashes.len()? != 0 || roots.len()? != 0 || blocks.len()? != 0 {
                    return corrupt("no tip but blocks are stored".into());
                }
            }
            Some((h, hash)) => {
                let n = h
                    .checked_add(1)
                    .ok_or_else(|| StateError::Corrupt("tip height overflows".into()))?;
                if hashes.len()? != n || roots.len()? != n || seeds.len()? != n {
                    return corrupt(format!(
                        "tip height {h} but {} block hashes, {} roots and {} seeds",
                        hashes.len()?,
                        roots.len()?,
                        seeds.len()?
                    ));
                }
                if finalized > h {
                    return corrupt(format!("finalized height {finalized} above the tip {h}"));
                }
                let pruned_below = read_pruned_below(&meta)?;
                if pruned_below > finalized + 1 {
                    return corrupt(format!(
                        "bodies pruned below {pruned_below}, above the finalized height {finalized}"
                    ));
                }
                match hashes.get(h)? {
                    Some(g) if *g.value() == hash => {}
                    _ => return corrupt(format!("tip hash is not the hash at height {h}")),
                }
                if blocks.get(&hash)?.is_none() {
                    return corrupt("tip block missing".into());
                }
            }
        }
        if leaves.len()? != leaf_count || outputs.len()? != leaf_count {
            return corrupt(format!(
                "leaf count {leaf_count} but {} leaves and {} outputs",
                leaves.len()?,
                outputs.len()?
            ));
        }
        if let Some((k, _)) = leaves.last()? {
            if k.value().checked_add(1) != Some(leaf_count) {
                return corrupt(format!(
                    "last leaf position {} with leaf count {leaf_count}",
                    k.value()
                ));
            }
        }
        let nodes = r.open_table(TREE_NODES)?;
        if leaf_count > 0 && nodes.get(tree::node_key(sero_tree::DEPTH, 0))?.is_none() {
            return corrupt("leaves are stored but the tree has no root node".into());
        }
        Ok(())
    }

    /// Stores everything `e` changes, in ONE durable write transaction.
    ///
    /// Checks, in this order, and rejects with a typed error:
    /// `leaves.len() == outputs.len()` ([`StateError::LengthMismatch`]),
    /// `height == tip + 1` or 0 on an empty database
    /// ([`StateError::NotNextHeight`]), `parent == tip hash` or all zero for
    /// genesis ([`StateError::WrongParent`]), then while writing: no
    /// nullifier, til, txid or block hash already stored or repeated inside
    /// the block ([`StateError::DuplicateNullifier`],
    /// [`StateError::DuplicateTil`], [`StateError::DuplicateTx`],
    /// [`StateError::DuplicateBlock`]); a registry key twice in `e.registry`
    /// is [`StateError::DuplicateValidator`]. Besides the block it stores
    /// the seed, the certificate (if not empty), the registry records and
    /// the block's undo record.
    ///
    /// On any error the transaction is aborted, so nothing of the block is
    /// stored; on success all of it is, durably, when this returns. Leaves
    /// and outputs get positions from the current leaf count.
    pub fn apply_block(&self, e: &BlockEffects) -> Result<(), StateError> {
        let record = check_effects(e)?;
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate);
        let r = write_block(&txn, e, &record, true).and_then(|()| {
            if e.finalize {
                finalize(&txn, e.height)
            } else {
                Ok(())
            }
        });
        finish(txn, r)
    }

    /// Applies `blocks`, in order, as [`apply_block`](Self::apply_block)
    /// would one after the other, but in ONE write transaction: all of
    /// them are stored, durably, or none. The tree nodes are updated once
    /// for all their leaves (the same nodes: they depend on the leaves
    /// only). For bulk loading (`sero bench history`'s synthetic history,
    /// tests); a node commits each block on its own.
    pub fn apply_blocks(&self, blocks: &[BlockEffects]) -> Result<(), StateError> {
        let records = blocks
            .iter()
            .map(check_effects)
            .collect::<Result<Vec<_>, _>>()?;
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate);
        let r = (|| {
            let start = read_leaf_count(&txn.open_table(META)?)?;
            for (e, record) in blocks.iter().zip(&records) {
                write_block(&txn, e, record, false)?;
            }
            let new: Vec<[u8; 32]> = blocks
                .iter()
                .flat_map(|e| e.leaves.iter().copied())
                .collect();
            let leaves = txn.open_table(LEAVES)?;
            let mut nodes = txn.open_table(TREE_NODES)?;
            tree::append_nodes(&leaves, &mut nodes, start, &new)?;
            Ok(())
        })();
        finish(txn, r)
    }
}

impl StateDb {
    /// The tip `(height, hash)`, or `None` on an empty database.
    pub fn tip(&self) -> Result<Option<(u64, [u8; 32])>, StateError> {
        let r = self.read()?;
        read_tip(&r.open_table(META)?)
    }

    /// Hash of the canonical block at `height`.
    pub fn hash_at(&self, height: u64) -> Result<Option<[u8; 32]>, StateError> {
        let r = self.read()?;
        let t = r.open_table(BLOCK_HASHES)?;
        Ok(t.get(height)?.map(|g| *g.value()))
    }

    /// Calls `f(height, hash, header, root, seed)` for every height
    /// `from..=to` in order, from ONE read transaction (a walk over a long
    /// header chain without a transaction per lookup); a height without a
    /// block is [`StateError::Corrupt`], a missing root or seed is `None`.
    /// Stops at the first error `f` returns.
    #[allow(clippy::type_complexity)]
    pub fn for_each_header(
        &self,
        from: u64,
        to: u64,
        mut f: impl FnMut(
            u64,
            &[u8; 32],
            &[u8],
            Option<&[u8; 32]>,
            Option<&[u8; 32]>,
        ) -> Result<(), StateError>,
    ) -> Result<(), StateError> {
        let r = self.read()?;
        let hashes = r.open_table(BLOCK_HASHES)?;
        let blocks = r.open_table(BLOCKS)?;
        let roots = r.open_table(ROOTS)?;
        let seeds = r.open_table(SEEDS)?;
        for h in from..=to {
            let hash = match hashes.get(h)? {
                Some(g) => *g.value(),
                None => return Err(StateError::Corrupt(format!("no block at height {h}"))),
            };
            let rec = blocks.get(&hash)?.ok_or_else(|| {
                StateError::Corrupt(format!("block {} at height {h} missing", hex::encode(hash)))
            })?;
            let (height, header, _) = crate::codec::decode_block_record(rec.value())?;
            if height != h {
                return Err(StateError::Corrupt(format!(
                    "block at height {h} records height {height}"
                )));
            }
            let root = roots.get(h)?.map(|g| *g.value());
            let seed = seeds.get(h)?.map(|g| *g.value());
            f(h, &hash, &header, root.as_ref(), seed.as_ref())?;
        }
        Ok(())
    }

    /// The lowest height whose block body is stored: 0 on an archive
    /// store; bodies below it were pruned ([`BlockEffects::prune`]).
    pub fn pruned_below(&self) -> Result<u64, StateError> {
        let r = self.read()?;
        read_pruned_below(&r.open_table(META)?)
    }

    /// The spends `(txid, nullifier, til)` kept for the pruned block at
    /// `height` (`None` when its body is stored or no block is there).
    pub fn pruned_spends(&self, height: u64) -> Result<Option<Vec<Spend>>, StateError> {
        let r = self.read()?;
        match r.open_table(SPENDS)?.get(height)? {
            Some(g) => Ok(Some(decode_spends(g.value())?)),
            None => Ok(None),
        }
    }

    /// `(hash, encoded header)` of the canonical block at `height`, whether
    /// or not its body was pruned.
    #[allow(clippy::type_complexity)]
    pub fn header_by_height(&self, height: u64) -> Result<Option<([u8; 32], Vec<u8>)>, StateError> {
        let r = self.read()?;
        let hash = match r.open_table(BLOCK_HASHES)?.get(height)? {
            Some(g) => *g.value(),
            None => return Ok(None),
        };
        match read_record(&r, &hash)? {
            Some((h, header, _)) if h == height => Ok(Some((hash, header))),
            Some((h, _, _)) => Err(StateError::Corrupt(format!(
                "block at height {height} records height {h}"
            ))),
            None => Err(StateError::Corrupt(format!(
                "block {} at height {height} missing",
                hex::encode(hash)
            ))),
        }
    }

    /// The block at `height`; [`StateError::Pruned`] if its body was pruned
    /// (its header is still [`header_by_height`](Self::header_by_height)).
    pub fn block_by_height(&self, height: u64) -> Result<Option<StoredBlock>, StateError> {
        let r = self.read()?;
        let hash = match r.open_table(BLOCK_HASHES)?.get(height)? {
            Some(g) => *g.value(),
            None => return Ok(None),
        };
        match read_block(&r, &hash)? {
            Some(b) if b.height == height => Ok(Some(b)),
            Some(b) => Err(StateError::Corrupt(format!(
                "block at height {height} records height {}",
                b.height
            ))),
            None => Err(StateError::Corrupt(format!(
                "block {} at height {height} missing",
                hex::encode(hash)
            ))),
        }
    }

    /// The block with this hash; [`StateError::Pruned`] if its body was
    /// pruned.
    pub fn block_by_hash(&self, hash: &[u8; 32]) -> Result<Option<StoredBlock>, StateError> {
        let r = self.read()?;
        read_block(&r, hash)
    }

    /// Number of witness-tree leaves stored (= next leaf position).
    pub fn leaf_count(&self) -> Result<u64, StateError> {
        let r = self.read()?;
        read_leaf_count(&r.open_table(META)?)
    }

    /// Leaves at positions `from..to` (end exclusive), in order, clipped to
    /// the stored leaves. Errors: [`StateError::InvalidRange`] if
    /// `from > to`, [`StateError::RangeTooLarge`] if `to - from` exceeds
    /// [`MAX_RANGE`].
    pub fn leaves(&self, from: u64, to: u64) -> Result<Vec<[u8; 32]>, StateError> {
        check_range(from, to)?;
        let r = self.read()?;
        let t = r.open_table(LEAVES)?;
        let mut out = Vec::with_capacity((to - from) as usize);
        for item in t.range(from..to)? {
            let (_, v) = item?;
            out.push(*v.value());
        }
        Ok(out)
    }

    /// `(position, output)` at positions `from_pos..to_pos` (end exclusive),
    /// clipped to the stored outputs; same range rules as
    /// [`leaves`](Self::leaves).
    pub fn outputs(&self, from_pos: u64, to_pos: u64) -> Result<Vec<(u64, Vec<u8>)>, StateError> {
        check_range(from_pos, to_pos)?;
        let r = self.read()?;
        let t = r.open_table(OUTPUTS)?;
        let mut out = Vec::with_capacity((to_pos - from_pos) as usize);
        for item in t.range(from_pos..to_pos)? {
            let (k, v) = item?;
            out.push((k.value(), v.value().to_vec()));
        }
        Ok(out)
    }

    /// The current note-tree root, from the persisted nodes (one read).
    pub fn tree_root(&self) -> Result<sero_tree::Base, StateError> {
        let r = self.read()?;
        tree::root(&r.open_table(LEAVES)?, &r.open_table(TREE_NODES)?)
    }

    /// The frontier of the persisted tree (`1 + popcount(n − 1)` reads, one
    /// snapshot): what a node keeps in memory to append the next block.
    pub fn tree_frontier(&self) -> Result<sero_tree::Frontier, StateError> {
        let r = self.read()?;
        let count = read_leaf_count(&r.open_table(META)?)?;
        tree::frontier(&r.open_table(LEAVES)?, &r.open_table(TREE_NODES)?, count)
    }

    /// The frontier the tree had when it held `count` leaves (`count` ≤
    /// the leaf count): its ommers are complete subtrees, never rewritten
    /// after, so they are read from the current nodes. What a light wallet
    /// resuming at an earlier height starts from.
    pub fn tree_frontier_at(&self, count: u64) -> Result<sero_tree::Frontier, StateError> {
        let r = self.read()?;
        let now = read_leaf_count(&r.open_table(META)?)?;
        if count > now {
            return Err(StateError::InvalidRange {
                from: count,
                to: now,
            });
        }
        tree::frontier(&r.open_table(LEAVES)?, &r.open_table(TREE_NODES)?, count)
    }

    /// The Merkle path of the leaf at `position` against the current root
    /// and that root, from one snapshot (`DEPTH` point reads); `None` if no
    /// leaf is there yet.
    pub fn tree_path(
        &self,
        position: u64,
    ) -> Result<Option<(sero_tree::MerklePath, sero_tree::Base)>, StateError> {
        let r = self.read()?;
        let count = read_leaf_count(&r.open_table(META)?)?;
        if position >= count {
            return Ok(None);
        }
        let (leaves, nodes) = (r.open_table(LEAVES)?, r.open_table(TREE_NODES)?);
        Ok(Some((
            tree::path(&leaves, &nodes, position)?,
            tree::root(&leaves, &nodes)?,
        )))
    }

    /// The stored state accumulator bytes, if they belong to the block
    /// `tip_hash` (see [`crate::tables::META_STATE_ACC`]).
    pub fn state_acc(&self, tip_hash: &[u8; 32]) -> Result<Option<Vec<u8>>, StateError> {
        let r = self.read()?;
        let meta = r.open_table(META)?;
        let Some(g) = meta.get(META_STATE_ACC)? else {
            return Ok(None);
        };
        let v = g.value();
        Ok((v.len() > 32 && &v[..32] == tip_hash).then(|| v[32..].to_vec()))
    }

    /// Stores the state accumulator of the block `tip_hash` (after a
    /// recompute), durably, and drops a store's contract-only accumulator
    /// of before the spent set was committed
    /// ([`crate::tables::META_LEGACY_EVM_ACC`]); refused unless `tip_hash`
    /// is the tip.
    pub fn put_state_acc(&self, tip_hash: &[u8; 32], acc: &[u8]) -> Result<(), StateError> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate);
        let r = (|| {
            let mut meta = txn.open_table(META)?;
            match read_tip(&meta)? {
                Some((_, h)) if h == *tip_hash => {}
                _ => {
                    return Err(StateError::Corrupt(
                        "contract accumulator for a block that is not the tip".into(),
                    ))
                }
            }
            let mut v = tip_hash.to_vec();
            v.extend_from_slice(acc);
            meta.insert(META_STATE_ACC, v.as_slice())?;
            meta.remove(META_LEGACY_EVM_ACC)?;
            Ok(())
        })();
        finish(txn, r)
    }

    /// Note-tree root after the block at `height`.
    pub fn root_at(&self, height: u64) -> Result<Option<[u8; 32]>, StateError> {
        let r = self.read()?;
        let t = r.open_table(ROOTS)?;
        Ok(t.get(height)?.map(|g| *g.value()))
    }

    /// Roots after the last `n` blocks (fewer if the chain is shorter),
    /// oldest first, newest last. [`StateError::RangeTooLarge`] if
    /// `n > MAX_RANGE`.
    pub fn recent_roots(&self, n: u64) -> Result<Vec<[u8; 32]>, StateError> {
        if n > MAX_RANGE {
            return Err(StateError::RangeTooLarge {
                requested: n,
                max: MAX_RANGE,
            });
        }
        let r = self.read()?;
        let t = r.open_table(ROOTS)?;
        let mut out = Vec::with_capacity(n as usize);
        for item in t.range::<u64>(..)?.rev().take(n as usize) {
            let (_, v) = item?;
            out.push(*v.value());
        }
        out.reverse();
        Ok(out)
    }

    /// Height of the block that spent `nullifier`, if spent.
    pub fn nullifier_height(&self, nullifier: &[u8; 32]) -> Result<Option<u64>, StateError> {
        let r = self.read()?;
        let t = r.open_table(NULLIFIERS)?;
        Ok(t.get(nullifier)?.map(|g| g.value()))
    }

    /// Calls `f(key, value)` for every contract-state entry, in key order,
    /// streamed from one read transaction (memory does not grow with the
    /// state): the contract part of the state root.
    pub fn for_each_evm_entry(&self, mut f: impl FnMut(&[u8], &[u8])) -> Result<(), StateError> {
        let r = self.read()?;
        let t = r.open_table(EVM_STATE)?;
        for e in t.iter()? {
            let (k, v) = e?;
            f(k.value(), v.value());
        }
        Ok(())
    }

    /// Calls `f(nullifier, height)` for every spent nullifier, in key
    /// order, streamed from one read transaction (memory does not grow
    /// with the set): the spent set's part of the state root.
    pub fn for_each_nullifier(&self, mut f: impl FnMut(&[u8; 32], u64)) -> Result<(), StateError> {
        let r = self.read()?;
        let t = r.open_table(NULLIFIERS)?;
        for e in t.iter()? {
            let (k, v) = e?;
            f(k.value(), v.value());
        }
        Ok(())
    }

    /// Calls `f(til, txid, height)` for every recorded til, in key order,
    /// streamed from one read transaction, like
    /// [`for_each_nullifier`](Self::for_each_nullifier).
    pub fn for_each_til(
        &self,
        mut f: impl FnMut(&[u8; 32], &[u8; 32], u64),
    ) -> Result<(), StateError> {
        let r = self.read()?;
        let t = r.open_table(TILS)?;
        for e in t.iter()? {
            let (k, v) = e?;
            let (txid, height) = decode_til(v.value());
            f(k.value(), &txid, height);
        }
        Ok(())
    }

    /// `(txid, height)` of the transaction that recorded `til`.
    pub fn til(&self, til: &[u8; 32]) -> Result<Option<([u8; 32], u64)>, StateError> {
        let r = self.read()?;
        let t = r.open_table(TILS)?;
        Ok(t.get(til)?.map(|g| decode_til(g.value())))
    }

    /// `(height, index in block)` of transaction `txid`.
    pub fn tx_location(&self, txid: &[u8; 32]) -> Result<Option<(u64, u32)>, StateError> {
        let r = self.read()?;
        let t = r.open_table(TXS)?;
        Ok(t.get(txid)?.map(|g| decode_tx_location(g.value())))
    }

    /// A consistent read view of the contract state as of now (one redb
    /// read transaction): its reader needs no lock on the store, sees no
    /// block committed after it was taken, and pays for one transaction
    /// instead of one per read.
    pub fn evm_snapshot(&self) -> Result<EvmSnapshot, StateError> {
        let txn = self.read()?;
        let table = txn.open_table(EVM_STATE)?;
        Ok(EvmSnapshot { table, _txn: txn })
    }

    /// The contract-state value under `key`.
    pub fn evm_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateError> {
        let r = self.read()?;
        let t = r.open_table(EVM_STATE)?;
        Ok(t.get(key)?.map(|g| g.value().to_vec()))
    }

    /// Every contract-state entry in key order, with `overlay` applied
    /// (`None` deletes): what the state root is computed over.
    pub fn evm_entries_with(
        &self,
        overlay: &std::collections::BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    ) -> Result<Vec<KeyValue>, StateError> {
        let r = self.read()?;
        let t = r.open_table(EVM_STATE)?;
        let mut merged: std::collections::BTreeMap<Vec<u8>, Vec<u8>> =
            std::collections::BTreeMap::new();
        for e in t.iter()? {
            let (k, v) = e?;
            merged.insert(k.value().to_vec(), v.value().to_vec());
        }
        for (k, v) in overlay {
            match v {
                Some(v) => {
                    merged.insert(k.clone(), v.clone());
                }
                None => {
                    merged.remove(k);
                }
            }
        }
        Ok(merged.into_iter().collect())
    }

    /// The receipt of the contract action of transaction `txid`.
    pub fn receipt(&self, txid: &[u8; 32]) -> Result<Option<Vec<u8>>, StateError> {
        let r = self.read()?;
        let t = r.open_table(RECEIPTS)?;
        Ok(t.get(txid)?.map(|g| g.value().to_vec()))
    }

    /// Entry counts of the tables.
    pub fn stats(&self) -> Result<StateStats, StateError> {
        let r = self.read()?;
        Ok(StateStats {
            blocks: r.open_table(BLOCK_HASHES)?.len()?,
            leaves: r.open_table(LEAVES)?.len()?,
            outputs: r.open_table(OUTPUTS)?.len()?,
            roots: r.open_table(ROOTS)?.len()?,
            nullifiers: r.open_table(NULLIFIERS)?.len()?,
            tils: r.open_table(TILS)?.len()?,
            txs: r.open_table(TXS)?.len()?,
            validators: r.open_table(VALIDATORS)?.len()?,
            seeds: r.open_table(SEEDS)?.len()?,
            certificates: r.open_table(CERTIFICATES)?.len()?,
            undo: r.open_table(UNDO)?.len()?,
        })
    }

    /// The active validators at the tip (registered, not unbonding),
    /// ordered by vote key.
    pub fn validators(&self) -> Result<Vec<([u8; 32], ValidatorRecord)>, StateError> {
        Ok(self
            .all_validators()?
            .into_iter()
            .filter(|(_, v)| v.is_active())
            .collect())
    }

    /// Every registry record (active, unbonding, released), ordered by vote
    /// key.
    pub fn all_validators(&self) -> Result<Vec<([u8; 32], ValidatorRecord)>, StateError> {
        let r = self.read()?;
        let t = r.open_table(VALIDATORS)?;
        let mut out = vec![];
        for item in t.iter()? {
            let (k, v) = item?;
            out.push((*k.value(), decode_validator(v.value())?));
        }
        Ok(out)
    }

    /// The registry record of `vote_key`.
    pub fn validator(&self, vote_key: &[u8; 32]) -> Result<Option<ValidatorRecord>, StateError> {
        let r = self.read()?;
        let t = r.open_table(VALIDATORS)?;
        match t.get(vote_key)? {
            Some(g) => Ok(Some(decode_validator(g.value())?)),
            None => Ok(None),
        }
    }

    /// Round seed after the block at `height`.
    pub fn seed_at(&self, height: u64) -> Result<Option<[u8; 32]>, StateError> {
        let r = self.read()?;
        let t = r.open_table(SEEDS)?;
        Ok(t.get(height)?.map(|g| *g.value()))
    }

    /// Certificate of the block at `height`, if one was stored.
    pub fn certificate(&self, height: u64) -> Result<Option<Vec<u8>>, StateError> {
        let r = self.read()?;
        let t = r.open_table(CERTIFICATES)?;
        Ok(t.get(height)?.map(|g| g.value().to_vec()))
    }

    /// Stores (or replaces) the certificate of the stored block at `height`
    /// — a final certificate may arrive after the block was applied.
    /// [`StateError::UnknownHeight`] above the tip.
    pub fn put_certificate(&self, height: u64, certificate: &[u8]) -> Result<(), StateError> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate);
        let r = (|| {
            let tip = read_tip(&txn.open_table(META)?)?;
            if tip.is_none_or(|(h, _)| height > h) {
                return Err(StateError::UnknownHeight { height });
            }
            txn.open_table(CERTIFICATES)?.insert(height, certificate)?;
            Ok(())
        })();
        finish(txn, r)
    }

    /// The finality checkpoint certificate stored for `height`, if any
    /// ([`crate::tables::CHECKPOINTS`]).
    pub fn checkpoint(&self, height: u64) -> Result<Option<Vec<u8>>, StateError> {
        let r = self.read()?;
        let t = r.open_table(CHECKPOINTS)?;
        Ok(t.get(height)?.map(|g| g.value().to_vec()))
    }

    /// Stores (or replaces) the checkpoint certificate of the final block
    /// at `height`; [`StateError::UnknownHeight`] above the finalized
    /// height (a checkpoint is signed only once its block is final).
    pub fn put_checkpoint(&self, height: u64, certificate: &[u8]) -> Result<(), StateError> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate);
        let r = (|| {
            if height > read_finalized(&txn.open_table(META)?)? {
                return Err(StateError::UnknownHeight { height });
            }
            txn.open_table(CHECKPOINTS)?.insert(height, certificate)?;
            Ok(())
        })();
        finish(txn, r)
    }

    /// The finalized height: blocks at or below it are never rolled back
    /// (0, the genesis, until [`set_finalized`](Self::set_finalized)).
    pub fn finalized_height(&self) -> Result<u64, StateError> {
        let r = self.read()?;
        read_finalized(&r.open_table(META)?)
    }

    /// Marks every block up to `height` final, and drops their undo
    /// records. [`StateError::UnknownHeight`] above the tip,
    /// [`StateError::FinalizedBackwards`] below the current finalized
    /// height (the same height is accepted).
    pub fn set_finalized(&self, height: u64) -> Result<(), StateError> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate);
        let r = finalize(&txn, height);
        finish(txn, r)
    }

    /// Undoes every block above `height` in ONE durable write: their block
    /// records, hashes, roots, seeds, certificates, leaves and outputs,
    /// nullifiers, tils, transaction ids and registry changes, so the
    /// state equals the state right after block `height`. A no-op at the
    /// tip. [`StateError::RollbackBelowFinalized`] below
    /// [`finalized_height`](Self::finalized_height),
    /// [`StateError::UnknownHeight`] above the tip; a missing undo record is
    /// [`StateError::Corrupt`]. On any error nothing changes; a crash
    /// leaves either the old or the new state.
    pub fn rollback_to(&self, height: u64) -> Result<(), StateError> {
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate);
        let r = rollback(&txn, height);
        finish(txn, r)
    }

    fn read(&self) -> Result<ReadTransaction, StateError> {
        Ok(self.db.begin_read()?)
    }

    pub(crate) fn db_read(&self) -> Result<ReadTransaction, StateError> {
        self.read()
    }

    pub(crate) fn db_write(&self) -> Result<WriteTransaction, StateError> {
        Ok(self.db.begin_write()?)
    }
}

/// The body of [`StateDb::apply_block`]; any error makes the caller abort
/// the transaction, discarding what was already inserted.
/// The checks of [`StateDb::apply_block`] that need no store; the block's
/// record.
fn check_effects(e: &BlockEffects) -> Result<Vec<u8>, StateError> {
    if e.leaves.len() != e.outputs.len() {
        return Err(StateError::LengthMismatch {
            leaves: e.leaves.len(),
            outputs: e.outputs.len(),
        });
    }
    if u32::try_from(e.txids.len()).is_err() {
        return Err(StateError::TooLarge {
            what: "transactions in a block",
            len: e.txids.len(),
        });
    }
    let mut keys = std::collections::HashSet::new();
    for (k, _) in &e.registry {
        if !keys.insert(*k) {
            return Err(StateError::DuplicateValidator {
                hex: hex::encode(k),
            });
        }
    }
    encode_block_record(e.height, &e.header, &e.body)
}

/// Marks every block up to `height` final and drops their undo records
/// (see [`StateDb::set_finalized`]).
fn finalize(txn: &WriteTransaction, height: u64) -> Result<(), StateError> {
    let mut meta = txn.open_table(META)?;
    let tip = read_tip(&meta)?;
    if tip.is_none_or(|(h, _)| height > h) {
        return Err(StateError::UnknownHeight { height });
    }
    let current = read_finalized(&meta)?;
    if height < current {
        return Err(StateError::FinalizedBackwards {
            current,
            requested: height,
        });
    }
    meta.insert(META_FINALIZED, &height.to_le_bytes()[..])?;
    let mut undo = txn.open_table(UNDO)?;
    undo.retain_in(..=height, |_, _| false)?;
    let mut evm_undo = txn.open_table(EVM_UNDO)?;
    evm_undo.retain_in(..=height, |_, _| false)?;
    Ok(())
}

/// Writes the block `e` (see [`StateDb::apply_block`]); the tree nodes
/// too when `nodes` (else the caller updates them).
fn write_block(
    txn: &WriteTransaction,
    e: &BlockEffects,
    record: &[u8],
    nodes: bool,
) -> Result<(), StateError> {
    let mut meta = txn.open_table(META)?;
    let tip = read_tip(&meta)?;
    let (expected_height, expected_parent) = match tip {
        None => (0, [0u8; 32]),
        Some((h, hash)) => (
            h.checked_add(1)
                .ok_or_else(|| StateError::Corrupt("tip height overflows".into()))?,
            hash,
        ),
    };
    if e.height != expected_height {
        return Err(StateError::NotNextHeight {
            expected: expected_height,
            got: e.height,
        });
    }
    if e.parent != expected_parent {
        return Err(StateError::WrongParent {
            expected: hex::encode(expected_parent),
            got: hex::encode(e.parent),
        });
    }
    let leaf_count = read_leaf_count(&meta)?;
    let new_leaf_count = leaf_count
        .checked_add(e.leaves.len() as u64)
        .ok_or_else(|| StateError::Corrupt("leaf count overflows".into()))?;

    // `insert` returns the previous value: `Some` means the key was already
    // stored, either before this block or earlier in it.
    {
        let mut t = txn.open_table(NULLIFIERS)?;
        for n in &e.nullifiers {
            if t.insert(n, e.height)?.is_some() {
                return Err(StateError::DuplicateNullifier {
                    hex: hex::encode(n),
                });
            }
        }
    }
    {
        let mut t = txn.open_table(TILS)?;
        for (til, txid) in &e.tils {
            if t.insert(til, &encode_til(txid, e.height))?.is_some() {
                return Err(StateError::DuplicateTil {
                    hex: hex::encode(til),
                });
            }
        }
    }
    {
        let mut t = txn.open_table(TXS)?;
        for (i, txid) in e.txids.iter().enumerate() {
            // `apply_block` checked that the count fits in a u32.
            let loc = encode_tx_location(e.height, i as u32);
            if t.insert(txid, &loc)?.is_some() {
                return Err(StateError::DuplicateTx {
                    hex: hex::encode(txid),
                });
            }
        }
    }
    {
        let mut t = txn.open_table(BLOCKS)?;
        if t.insert(&e.hash, record)?.is_some() {
            return Err(StateError::DuplicateBlock {
                hex: hex::encode(e.hash),
            });
        }
    }
    {
        let mut t = txn.open_table(BLOCK_HASHES)?;
        if t.insert(e.height, &e.hash)?.is_some() {
            return Err(StateError::Corrupt(format!(
                "height {} already has a block hash",
                e.height
            )));
        }
    }
    {
        let mut t = txn.open_table(ROOTS)?;
        if t.insert(e.height, &e.note_root)?.is_some() {
            return Err(StateError::Corrupt(format!(
                "height {} already has a root",
                e.height
            )));
        }
    }
    {
        let mut leaves = txn.open_table(LEAVES)?;
        let mut outputs = txn.open_table(OUTPUTS)?;
        for (pos, (leaf, output)) in (leaf_count..).zip(e.leaves.iter().zip(&e.outputs)) {
            if leaves.insert(pos, leaf)?.is_some()
                || outputs.insert(pos, output.as_slice())?.is_some()
            {
                return Err(StateError::Corrupt(format!(
                    "leaf position {pos} already used"
                )));
            }
        }
        if nodes {
            let mut nodes = txn.open_table(TREE_NODES)?;
            match &e.tree_nodes {
                Some(given) => {
                    tree::insert_nodes(&mut nodes, leaf_count, &e.leaves, &e.note_root, given)?
                }
                None => {
                    tree::append_nodes(&leaves, &mut nodes, leaf_count, &e.leaves)?;
                }
            }
        }
    }
    {
        let mut t = txn.open_table(SEEDS)?;
        if t.insert(e.height, &e.seed)?.is_some() {
            return Err(StateError::Corrupt(format!(
                "height {} already has a seed",
                e.height
            )));
        }
    }
    if !e.certificate.is_empty() {
        txn.open_table(CERTIFICATES)?
            .insert(e.height, e.certificate.as_slice())?;
    }
    let mut undo = UndoRecord {
        leaf_count_before: leaf_count,
        nullifiers: e.nullifiers.clone(),
        tils: e.tils.iter().map(|(t, _)| *t).collect(),
        txids: e.txids.clone(),
        registry: Vec::with_capacity(e.registry.len()),
    };
    {
        let mut t = txn.open_table(VALIDATORS)?;
        for (k, v) in &e.registry {
            let prev = match t.insert(k, &encode_validator(v)[..])? {
                Some(g) => Some(decode_validator(g.value())?),
                None => None,
            };
            undo.registry.push((*k, prev));
        }
    }
    txn.open_table(UNDO)?
        .insert(e.height, encode_undo(&undo)?.as_slice())?;
    {
        let mut t = txn.open_table(EVM_STATE)?;
        let mut olds = Vec::with_capacity(e.evm_changes.len());
        for (k, v) in &e.evm_changes {
            let old = match v {
                Some(v) => t.insert(k.as_slice(), v.as_slice())?,
                None => t.remove(k.as_slice())?,
            }
            .map(|g| g.value().to_vec());
            olds.push((k.clone(), old));
        }
        txn.open_table(EVM_UNDO)?
            .insert(e.height, encode_evm_undo(&olds)?.as_slice())?;
        let mut r = txn.open_table(RECEIPTS)?;
        for (id, b) in &e.receipts {
            r.insert(id, b.as_slice())?;
        }
    }
    if !e.prune.is_empty() {
        prune_bodies(txn, &mut meta, &e.prune, e.height)?;
    }
    meta.insert(META_TIP, &encode_tip(e.height, &e.hash)[..])?;
    meta.insert(META_LEAF_COUNT, &new_leaf_count.to_le_bytes()[..])?;
    if e.state_acc.is_empty() {
        meta.remove(META_STATE_ACC)?;
    } else {
        let mut acc = e.hash.to_vec();
        acc.extend_from_slice(&e.state_acc);
        meta.insert(META_STATE_ACC, acc.as_slice())?;
    }
    Ok(())
}

/// Drops the bodies of `prune` (part of [`write_block`]): each must be the
/// next unpruned height, final, and below the block being written; its
/// record keeps the header with an empty body and its spends go to
/// [`SPENDS`].
fn prune_bodies(
    txn: &WriteTransaction,
    meta: &mut redb::Table<&'static str, &'static [u8]>,
    prune: &[PrunedBody],
    height: u64,
) -> Result<(), StateError> {
    let mut next = read_pruned_below(meta)?;
    let finalized = read_finalized(meta)?;
    let hashes = txn.open_table(BLOCK_HASHES)?;
    let mut blocks = txn.open_table(BLOCKS)?;
    let mut spends = txn.open_table(SPENDS)?;
    for p in prune {
        if p.height != next || p.height > finalized || p.height >= height {
            return Err(StateError::Corrupt(format!(
                "cannot prune block {}: the next prunable height is {next}, finalized {finalized}",
                p.height
            )));
        }
        let hash = match hashes.get(p.height)? {
            Some(g) => *g.value(),
            None => return Err(StateError::UnknownHeight { height: p.height }),
        };
        let header = match blocks.get(&hash)? {
            Some(g) => decode_block_record(g.value())?.1,
            None => {
                return Err(StateError::Corrupt(format!(
                    "record of block {} missing",
                    p.height
                )))
            }
        };
        blocks.insert(
            &hash,
            encode_block_record(p.height, &header, &[])?.as_slice(),
        )?;
        if !p.spends.is_empty() {
            spends.insert(p.height, encode_spends(&p.spends).as_slice())?;
        }
        next = p.height + 1;
    }
    meta.insert(META_PRUNED_BELOW, &next.to_le_bytes()[..])?;
    Ok(())
}

/// Commits `txn` if `r` is Ok, else aborts it; returns `r`.
fn finish(txn: WriteTransaction, r: Result<(), StateError>) -> Result<(), StateError> {
    match r {
        Ok(()) => {
            txn.commit()?;
            Ok(())
        }
        Err(err) => {
            txn.abort()?;
            Err(err)
        }
    }
}

/// The body of [`StateDb::rollback_to`].
fn rollback(txn: &WriteTransaction, height: u64) -> Result<(), StateError> {
    let mut meta = txn.open_table(META)?;
    let tip = read_tip(&meta)?;
    let Some((tip_height, _)) = tip.filter(|(h, _)| height <= *h) else {
        return Err(StateError::UnknownHeight { height });
    };
    let finalized = read_finalized(&meta)?;
    if height < finalized {
        return Err(StateError::RollbackBelowFinalized { height, finalized });
    }
    let mut leaf_count = read_leaf_count(&meta)?;
    let mut hashes = txn.open_table(BLOCK_HASHES)?;
    let mut blocks = txn.open_table(BLOCKS)?;
    let mut roots = txn.open_table(ROOTS)?;
    let mut seeds = txn.open_table(SEEDS)?;
    let mut certs = txn.open_table(CERTIFICATES)?;
    let mut undos = txn.open_table(UNDO)?;
    let mut leaves = txn.open_table(LEAVES)?;
    let mut outputs = txn.open_table(OUTPUTS)?;
    let mut nullifiers = txn.open_table(NULLIFIERS)?;
    let mut tils = txn.open_table(TILS)?;
    let mut txs = txn.open_table(TXS)?;
    let mut validators = txn.open_table(VALIDATORS)?;
    let mut evm_state = txn.open_table(EVM_STATE)?;
    let mut evm_undos = txn.open_table(EVM_UNDO)?;
    let mut receipts = txn.open_table(RECEIPTS)?;
    let missing = |what: &str, h: u64| StateError::Corrupt(format!("{what} of block {h} missing"));
    for h in (height + 1..=tip_height).rev() {
        let undo = match undos.remove(h)? {
            Some(g) => decode_undo(g.value())?,
            None => return Err(missing("undo record", h)),
        };
        let hash = match hashes.remove(h)? {
            Some(g) => *g.value(),
            None => return Err(missing("hash", h)),
        };
        if blocks.remove(&hash)?.is_none() {
            return Err(missing("record", h));
        }
        if roots.remove(h)?.is_none() || seeds.remove(h)?.is_none() {
            return Err(missing("root or seed", h));
        }
        certs.remove(h)?;
        if undo.leaf_count_before > leaf_count {
            return Err(StateError::Corrupt(format!(
                "undo record of block {h}: leaf count {} above {leaf_count}",
                undo.leaf_count_before
            )));
        }
        for pos in undo.leaf_count_before..leaf_count {
            if leaves.remove(pos)?.is_none() || outputs.remove(pos)?.is_none() {
                return Err(missing("leaf", h));
            }
        }
        leaf_count = undo.leaf_count_before;
        for n in &undo.nullifiers {
            nullifiers.remove(n)?;
        }
        for t in &undo.tils {
            tils.remove(t)?;
        }
        for t in &undo.txids {
            txs.remove(t)?;
            receipts.remove(t)?;
        }
        let olds = match evm_undos.remove(h)? {
            Some(g) => decode_evm_undo(g.value())?,
            None => return Err(missing("contract-state undo record", h)),
        };
        for (k, old) in olds.iter().rev() {
            match old {
                Some(v) => {
                    evm_state.insert(k.as_slice(), v.as_slice())?;
                }
                None => {
                    evm_state.remove(k.as_slice())?;
                }
            }
        }
        for (k, prev) in undo.registry.iter().rev() {
            match prev {
                Some(v) => {
                    validators.insert(k, &encode_validator(v)[..])?;
                }
                None => {
                    validators.remove(k)?;
                }
            }
        }
    }
    let hash = match hashes.get(height)? {
        Some(g) => *g.value(),
        None => return Err(missing("hash", height)),
    };
    let mut nodes = txn.open_table(TREE_NODES)?;
    tree::truncate_nodes(&leaves, &mut nodes, leaf_count)?;
    meta.insert(META_TIP, &encode_tip(height, &hash)[..])?;
    meta.insert(META_LEAF_COUNT, &leaf_count.to_le_bytes()[..])?;
    meta.remove(META_STATE_ACC)?;
    Ok(())
}

pub(crate) fn read_finalized(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<u64, StateError> {
    match meta.get(META_FINALIZED)? {
        Some(v) => decode_meta_u64(v.value(), "meta finalized"),
        None => Ok(0),
    }
}

pub(crate) fn read_tip(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<Option<(u64, [u8; 32])>, StateError> {
    match meta.get(META_TIP)? {
        Some(v) => Ok(Some(decode_tip(v.value())?)),
        None => Ok(None),
    }
}

pub(crate) fn read_leaf_count(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<u64, StateError> {
    match meta.get(META_LEAF_COUNT)? {
        Some(v) => decode_meta_u64(v.value(), "meta leaf_count"),
        None => Err(StateError::Corrupt("meta leaf_count missing".into())),
    }
}

fn read_pruned_below(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<u64, StateError> {
    match meta.get(META_PRUNED_BELOW)? {
        Some(v) => decode_meta_u64(v.value(), "meta pruned_below"),
        None => Ok(0),
    }
}

fn read_record(r: &ReadTransaction, hash: &[u8; 32]) -> Result<Option<BlockRecord>, StateError> {
    let t = r.open_table(BLOCKS)?;
    let Some(g) = t.get(hash)? else {
        return Ok(None);
    };
    Ok(Some(decode_block_record(g.value())?))
}

type BlockRecord = (u64, Vec<u8>, Vec<u8>);

fn read_block(r: &ReadTransaction, hash: &[u8; 32]) -> Result<Option<StoredBlock>, StateError> {
    let Some((height, header, body)) = read_record(r, hash)? else {
        return Ok(None);
    };
    let lowest = read_pruned_below(&r.open_table(META)?)?;
    if height < lowest {
        return Err(StateError::Pruned { height, lowest });
    }
    Ok(Some(StoredBlock {
        height,
        hash: *hash,
        header,
        body,
    }))
}

fn check_range(from: u64, to: u64) -> Result<(), StateError> {
    if from > to {
        return Err(StateError::InvalidRange { from, to });
    }
    if to - from > MAX_RANGE {
        return Err(StateError::RangeTooLarge {
            requested: to - from,
            max: MAX_RANGE,
        });
    }
    Ok(())
}
