//! Every table of the state database, in one place.
//!
//! Each entry gives the table name as stored on disk, its key and value
//! types and what it holds. All integers are little-endian (redb's encoding
//! of `u64`); fixed-size byte strings are stored as redb `[u8; N]` (the
//! borrowed `&[u8; N]` form shares that on-disk type, so reads are zero-copy).
//! Variable-length values are `&[u8]` whose layout is defined in
//! [`crate::codec`] and decoded defensively there.
//!
//! Changing any key or value type, or the layout of an encoded value, is a
//! schema change: bump [`SCHEMA_VERSION`].
//!
//! | table           | key                    | value                                   |
//! |-----------------|------------------------|-----------------------------------------|
//! | [`BLOCK_HASHES`]| `u64` height           | `[u8; 32]` block hash                   |
//! | [`BLOCKS`]      | `[u8; 32]` block hash  | block record (height, header, body)     |
//! | [`LEAVES`]      | `u64` leaf position    | `[u8; 32]` CMauth                       |
//! | [`ROOTS`]       | `u64` height           | `[u8; 32]` note-tree root after block   |
//! | [`NULLIFIERS`]  | `[u8; 32]` nullifier   | `u64` height that spent it              |
//! | [`TILS`]        | `[u8; 32]` til         | `[u8; 40]` txid ‖ height                |
//! | [`TXS`]         | `[u8; 32]` txid        | `[u8; 12]` height ‖ index in block      |
//! | [`OUTPUTS`]     | `u64` leaf position    | opaque encoded output (wallet scanning) |
//! | [`VALIDATORS`]  | `[u8; 32]` vote key    | validator record (154 bytes)            |
//! | [`SEEDS`]       | `u64` height           | `[u8; 32]` round seed after the block   |
//! | [`CERTIFICATES`]| `u64` height           | opaque certificate bytes                |
//! | [`UNDO`]        | `u64` height           | undo record of a non-final block        |
//! | [`EVM_STATE`]   | contract state key     | contract state value (`sero_evm::state`)|
//! | [`EVM_UNDO`]    | `u64` height           | previous values of the keys the block wrote |
//! | [`RECEIPTS`]    | `[u8; 32]` txid        | receipt of a contract action            |
//! | [`TREE_NODES`]  | `u64` level‖index      | `[u8; 32]` inner node of the note tree  |
//! | [`SPENDS`]      | `u64` height           | spends of a pruned block (compact data) |
//! | [`CHECKPOINTS`] | `u64` height           | finality checkpoint certificate bytes   |
//! | [`META`]        | `&str` key             | bytes, see the `META_*` keys            |

use redb::TableDefinition;

/// Schema version written to [`META`] under [`META_SCHEMA_VERSION`] when a
/// database is created and checked on every open.
pub const SCHEMA_VERSION: u32 = 5;

/// The schema version before [`TREE_NODES`]: a store at this version is
/// migrated once on open (the nodes are built from [`LEAVES`]).
pub const SCHEMA_VERSION_NO_TREE: u32 = 3;

/// The schema version before pruning ([`SPENDS`], [`META_PRUNED_BELOW`]):
/// a store at this version is migrated on open by creating the empty
/// table (nothing is pruned in it). Version 5 exists so that an older
/// build refuses a pruned store instead of misreading its header-only
/// block records.
pub const SCHEMA_VERSION_NO_PRUNE: u32 = 4;

/// Canonical chain: block height → block hash.
pub const BLOCK_HASHES: TableDefinition<u64, &[u8; 32]> = TableDefinition::new("block_hashes");

/// Block hash → block record: `height: u64 ‖ header_len: u32 ‖ header ‖
/// body_len: u32 ‖ body` (see [`crate::codec::encode_block_record`]).
pub const BLOCKS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("blocks");

/// Witness-tree leaves (`CMauth`) by position, in append order
/// `0..leaf_count`: level 0 of the persisted tree ([`TREE_NODES`]).
pub const LEAVES: TableDefinition<u64, &[u8; 32]> = TableDefinition::new("leaves");

/// The persisted witness tree: inner node `index` of `level` (`1..=32`)
/// under the key `level << 32 | index` (`u64`), value its canonical
/// little-endian field element. Every node covering at least one leaf is
/// stored; right-edge nodes hash empty subtrees on their right, so level 32
/// index 0 is the current root. Updated by every block in the same write
/// transaction (see `crate::tree`).
pub const TREE_NODES: TableDefinition<u64, &[u8; 32]> = TableDefinition::new("tree_nodes");

/// Note-tree root after the block at this height was applied.
pub const ROOTS: TableDefinition<u64, &[u8; 32]> = TableDefinition::new("roots");

/// Spent nullifiers → height of the block that spent them.
pub const NULLIFIERS: TableDefinition<&[u8; 32], u64> = TableDefinition::new("nullifiers");

/// Tils → `txid: [u8; 32] ‖ height: u64 LE` of the spending transaction
/// (see [`crate::codec::encode_til`]).
pub const TILS: TableDefinition<&[u8; 32], &[u8; 40]> = TableDefinition::new("tils");

/// Transaction id → `height: u64 LE ‖ index: u32 LE` (position inside its
/// block; see [`crate::codec::encode_tx_location`]).
pub const TXS: TableDefinition<&[u8; 32], &[u8; 12]> = TableDefinition::new("txs");

/// Opaque encoded output at each leaf position (same positions as
/// [`LEAVES`]), for wallet scanning. The store never interprets it.
pub const OUTPUTS: TableDefinition<u64, &[u8]> = TableDefinition::new("outputs");

/// The stake registry: vote key → `vrf_key (32) ‖ stake u64 ‖ refund PKr (96)
/// ‖ registered_at u64 ‖ unbonding u8 (0|1) ‖ unbond_at u64 ‖ released u8
/// (0|1)` (see [`crate::codec::encode_validator`]). Records are never
/// deleted except by a rollback, so a vote key is used once.
pub const VALIDATORS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("validators");

/// Round seed after the block at this height.
pub const SEEDS: TableDefinition<u64, &[u8; 32]> = TableDefinition::new("seeds");

/// Opaque consensus certificate of the block at this height (absent when
/// none was given).
pub const CERTIFICATES: TableDefinition<u64, &[u8]> = TableDefinition::new("certificates");

/// Finality checkpoint certificates (`sero_consensus::checkpoint`) by
/// checkpoint height: the signatures of the previous checkpoint's
/// validators gathered so far (opaque here). Written only for final
/// blocks, so never rolled back. Added without a schema bump: every open
/// creates the table, and older builds ignore it.
pub const CHECKPOINTS: TableDefinition<u64, &[u8]> = TableDefinition::new("checkpoints");

/// What [`crate::StateDb::rollback_to`] needs to undo the block at this
/// height (see [`crate::codec::encode_undo`]); kept for blocks above the
/// finalized height only.
pub const UNDO: TableDefinition<u64, &[u8]> = TableDefinition::new("undo");

/// The contract state: key bytes → value bytes, both opaque here (their
/// layouts are `sero_evm::StateKey::encode` and `StateValue::encode`,
/// documented in `docs/contracts.md`). Absent keys have no value.
pub const EVM_STATE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("evm_state");

/// What undoing the contract-state writes of the block at this height
/// needs: `u32 n ‖ n × (u32 klen ‖ key ‖ u8 had (0|1) ‖ [u32 vlen ‖ old
/// value])` in write order (see [`crate::codec::encode_evm_undo`]); kept
/// for non-final blocks only, like [`UNDO`].
pub const EVM_UNDO: TableDefinition<u64, &[u8]> = TableDefinition::new("evm_undo");

/// The receipt of each contract action by transaction id (opaque here;
/// the node's `receipt` module defines the layout).
pub const RECEIPTS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("receipts");

/// The compact spends of a block whose body was pruned: `n ×
/// (txid ‖ nullifier ‖ til)` (96 bytes each, input order; see
/// [`crate::codec::encode_spends`]). What a light wallet needs of a block
/// besides its outputs (which stay in [`OUTPUTS`]); absent for blocks whose
/// body is still stored (the spends are then read from the body).
pub const SPENDS: TableDefinition<u64, &[u8]> = TableDefinition::new("spends");

/// Small named values; keys are the `META_*` constants.
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// [`META`] key: `u32 LE` schema version.
pub const META_SCHEMA_VERSION: &str = "schema_version";
/// [`META`] key: tip as `height: u64 LE ‖ hash: [u8; 32]` (absent on an empty
/// database).
pub const META_TIP: &str = "tip";
/// [`META`] key: `u64 LE` number of leaves (= next leaf position).
pub const META_LEAF_COUNT: &str = "leaf_count";
/// [`META`] key: `u64 LE` finalized height (absent: 0, the genesis).
pub const META_FINALIZED: &str = "finalized";

/// [`META`] key: the state LtHash accumulator at the tip, over the
/// contract state ([`EVM_STATE`]) and the spent set ([`NULLIFIERS`] and
/// [`TILS`] keys), whose root is the tip header's `state_root`: `tip hash
/// [u8; 32] ‖ 1,024 × u16 LE` (2,080 bytes). Written with each block;
/// absent (or for another tip hash) after a rollback or in an old store,
/// when the chain recomputes it once by scanning those three tables.
///
/// A new key rather than a schema bump: the stored tables did not change,
/// only what the accumulator covers, so an old store needs no migration
/// beyond that one recompute. Stores written before the spent set was
/// committed hold a contract-only accumulator under
/// [`META_LEGACY_EVM_ACC`], keyed by the same tip hash, which would be
/// wrong for a chain with spends: it is never read, and dropped with the
/// first recompute. (The headers of such a chain, made under the old
/// rule, no longer verify once it has a spend: a consensus change.)
pub const META_STATE_ACC: &str = "state_acc";

/// [`META`] key of the contract-state-only accumulator of older stores
/// (same layout as [`META_STATE_ACC`]): never read, removed by
/// [`crate::StateDb::put_state_acc`].
pub const META_LEGACY_EVM_ACC: &str = "evm_acc";

/// [`META`] key: `u64 LE` lowest height whose block body is stored
/// (absent: 0, an archive store). Bodies of every block below it were
/// pruned: their [`BLOCKS`] records keep the header with an empty body,
/// and their spends moved to [`SPENDS`]. Never above the finalized
/// height + 1.
pub const META_PRUNED_BELOW: &str = "pruned_below";

/// Names of every table, for diagnostics and tests.
pub const ALL_TABLE_NAMES: [&str; 18] = [
    "block_hashes",
    "blocks",
    "leaves",
    "roots",
    "nullifiers",
    "tils",
    "txs",
    "outputs",
    "validators",
    "seeds",
    "certificates",
    "undo",
    "meta",
    "evm_state",
    "evm_undo",
    "receipts",
    "tree_nodes",
    "spends",
];
