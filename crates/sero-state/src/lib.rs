//! SERO persistent node state on [redb], an embedded, pure-Rust, ACID
//! key-value store.
//!
//! The store is byte-level: it keeps hashes, leaves, nullifiers and opaque
//! encoded headers, bodies and outputs, and never depends on transaction or
//! block types. The node validates a block, computes its [`BlockEffects`] and
//! hands them to [`StateDb::apply_block`].
//!
//! # Tables
//!
//! Every table, with its key and value types, is declared in [`tables`]:
//!
//! * [`tables::BLOCK_HASHES`] `u64 height → [u8; 32] hash` — the canonical chain;
//! * [`tables::BLOCKS`] `[u8; 32] hash → record` — height, header and body,
//!   length-prefixed ([`codec::encode_block_record`]);
//! * [`tables::LEAVES`] `u64 position → [u8; 32] CMauth` — the witness-tree
//!   leaves in order, level 0 of the persisted tree
//!   ([`StateDb::leaves`]);
//! * [`tables::ROOTS`] `u64 height → [u8; 32]` — note-tree root after each
//!   block (anchor window: [`StateDb::recent_roots`]);
//! * [`tables::NULLIFIERS`] `[u8; 32] → u64 height` — spent nullifiers;
//! * [`tables::TILS`] `[u8; 32] til → txid ‖ height` (40 bytes);
//! * [`tables::TXS`] `[u8; 32] txid → height ‖ index` (12 bytes);
//! * [`tables::OUTPUTS`] `u64 position → bytes` — opaque encoded output for
//!   wallet scanning, at the same positions as the leaves;
//! * [`tables::VALIDATORS`] `[u8; 32] vote key → record` — the stake
//!   registry ([`StateDb::validators`], [`ValidatorRecord`]);
//! * [`tables::SEEDS`] `u64 height → [u8; 32]` — the round seed after each
//!   block ([`StateDb::seed_at`]);
//! * [`tables::CERTIFICATES`] `u64 height → bytes` — opaque consensus
//!   certificates ([`StateDb::certificate`], [`StateDb::put_certificate`]);
//! * [`tables::CHECKPOINTS`] `u64 height → bytes` — finality checkpoint
//!   certificates ([`StateDb::checkpoint`], [`StateDb::put_checkpoint`]);
//! * [`tables::UNDO`] `u64 height → record` — what undoing a non-final
//!   block needs ([`StateDb::rollback_to`]);
//! * [`tables::TREE_NODES`] `u64 level‖index → [u8; 32]` — every inner node
//!   of the witness tree, updated with each block: the root, the frontier
//!   ([`StateDb::tree_frontier`]) and any path ([`StateDb::tree_path`]) are
//!   point reads, so opening costs the same at any history length;
//! * [`tables::SPENDS`] `u64 height → bytes` — the spends (txid,
//!   nullifier, til) of blocks whose body was pruned, for light wallets;
//! * [`tables::META`] `&str → bytes` — tip height and hash, leaf count,
//!   finalized height, lowest unpruned body, schema version
//!   ([`tables::SCHEMA_VERSION`], checked on open).
//!
//! # Pruning
//!
//! A block's [`BlockEffects::prune`] drops old bodies in the block's own
//! write: each must be final and the next unpruned height, so the stored
//! bodies are always the range `pruned_below..=tip`
//! ([`StateDb::pruned_below`]). The header, certificate, seed, root,
//! outputs, nullifiers, tils, transaction index and registry of a pruned
//! block stay: everything validating the next block reads. Reading a
//! pruned body is [`StateError::Pruned`].
//!
//! # Atomicity and durability
//!
//! [`StateDb::apply_block`] runs in ONE redb write transaction. It first
//! checks the block against the tip (height, parent, leaves/outputs
//! lengths), then inserts, rejecting any nullifier, til, txid or block hash
//! that is already stored or repeated in the block. Any error aborts the
//! transaction, so a rejected block leaves the database exactly as it was;
//! otherwise the commit makes the whole block visible at once. A block is
//! either entirely stored or not at all, also across crashes: after a kill
//! or power loss, reopening yields the state after the last committed block.
//!
//! redb commits are durable by default ([`redb::Durability::Immediate`],
//! which `apply_block` also sets explicitly): `commit` returns only after
//! `fsync`, and a commit slot with a valid checksum is chosen on recovery.
//! Readers use MVCC snapshots and never see a half-applied block.
//!
//! [`StateDb::rollback_to`] undoes the blocks above a height in ONE write
//! transaction as well, from the undo record each block stored; it refuses
//! to go below [`StateDb::finalized_height`], and
//! [`StateDb::set_finalized`] drops the undo records that can no longer be
//! used.
//!
//! Reads decode defensively: malformed bytes in the variable-length values
//! come back as [`StateError::Corrupt`], never a panic. Range reads are
//! bounded by [`MAX_RANGE`] items.
//!
//! ```
//! use sero_state::{BlockEffects, StateDb};
//!
//! let dir = tempfile::tempdir()?;
//! let db = StateDb::open(&dir.path().join("state.redb"))?;
//! let genesis = BlockEffects {
//!     height: 0,
//!     hash: [1; 32],
//!     note_root: [2; 32],
//!     leaves: vec![[3; 32]],
//!     outputs: vec![b"output".to_vec()],
//!     nullifiers: vec![[4; 32]],
//!     ..Default::default()
//! };
//! db.apply_block(&genesis)?;
//! assert_eq!(db.tip()?, Some((0, [1; 32])));
//! assert_eq!(db.leaves(0, db.leaf_count()?)?, vec![[3; 32]]);
//! assert_eq!(db.nullifier_height(&[4; 32])?, Some(0));
//! // A second spend of the nullifier is rejected and changes nothing.
//! let next = BlockEffects { height: 1, hash: [5; 32], parent: [1; 32],
//!     nullifiers: vec![[4; 32]], ..Default::default() };
//! assert!(db.apply_block(&next).is_err());
//! assert_eq!(db.tip()?, Some((0, [1; 32])));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

pub mod codec;
mod db;
mod error;
pub mod snapshot;
pub mod tables;
mod tree;

pub use db::{
    BlockEffects, EvmSnapshot, PrunedBody, StateDb, StateStats, StoredBlock, ValidatorRecord,
    MAX_RANGE,
};
pub use error::StateError;
/// The redb version this crate is built on (the types of [`tables`]).
pub use redb;
pub use snapshot::SnapshotInfo;
