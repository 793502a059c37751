//! The error type of the state store.

/// Everything that can go wrong opening, reading or writing the state.
///
/// Rejections of a block ([`NotNextHeight`](Self::NotNextHeight),
/// [`WrongParent`](Self::WrongParent), the `Duplicate*` variants,
/// [`LengthMismatch`](Self::LengthMismatch), [`TooLarge`](Self::TooLarge))
/// leave the database unchanged.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Operating-system I/O error (creating directories, or reported by redb).
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// Any other error reported by the redb storage engine.
    #[error("database error: {0}")]
    Database(#[source] Box<redb::Error>),
    /// The block is not at the next height (`tip + 1`, or 0 on an empty
    /// database).
    #[error("block height {got} is not the next height {expected}")]
    NotNextHeight {
        /// Height the store expected.
        expected: u64,
        /// Height of the block offered.
        got: u64,
    },
    /// The block's parent is not the tip hash (all zero for genesis).
    #[error("block parent {got} is not the tip hash {expected}")]
    WrongParent {
        /// Hex of the tip hash (or of 32 zero bytes for genesis).
        expected: String,
        /// Hex of the block's parent field.
        got: String,
    },
    /// A leaf is not a canonical field element (it cannot enter the tree).
    #[error("leaf at position {position} is not a canonical field element")]
    BadLeaf {
        /// Position the leaf would have had.
        position: u64,
    },
    /// A nullifier is already spent, or repeated inside the block.
    #[error("nullifier {hex} already spent")]
    DuplicateNullifier {
        /// Hex of the nullifier.
        hex: String,
    },
    /// A til is already recorded, or repeated inside the block.
    #[error("til {hex} already recorded")]
    DuplicateTil {
        /// Hex of the til.
        hex: String,
    },
    /// A transaction id is already stored, or repeated inside the block.
    #[error("transaction {hex} already stored")]
    DuplicateTx {
        /// Hex of the txid.
        hex: String,
    },
    /// A block with this hash is already stored.
    #[error("block {hex} already stored")]
    DuplicateBlock {
        /// Hex of the block hash.
        hex: String,
    },
    /// A vote key appears twice in one block's registry changes.
    #[error("validator {hex} written twice by one block")]
    DuplicateValidator {
        /// Hex of the vote key.
        hex: String,
    },
    /// A height above the tip (or any height on an empty database).
    #[error("no block at height {height}")]
    UnknownHeight {
        /// The height asked for.
        height: u64,
    },
    /// A rollback below the finalized height.
    #[error("cannot roll back to {height}: blocks up to {finalized} are final")]
    RollbackBelowFinalized {
        /// Height asked for.
        height: u64,
        /// Finalized height.
        finalized: u64,
    },
    /// The finalized height may not decrease.
    #[error("finalized height {current} cannot go back to {requested}")]
    FinalizedBackwards {
        /// Current finalized height.
        current: u64,
        /// Height asked for.
        requested: u64,
    },
    /// `leaves` and `outputs` of a block differ in length.
    #[error("{leaves} leaves but {outputs} outputs")]
    LengthMismatch {
        /// Number of leaves.
        leaves: usize,
        /// Number of outputs.
        outputs: usize,
    },
    /// A value is too long for its length prefix or index type.
    #[error("{what} too large: {len}")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its length or count.
        len: usize,
    },
    /// Bytes read back from disk are malformed or the tables disagree.
    #[error("corrupt state: {0}")]
    Corrupt(String),
    /// A range argument starts after it ends.
    #[error("invalid range {from}..{to}")]
    InvalidRange {
        /// Start (inclusive).
        from: u64,
        /// End (exclusive).
        to: u64,
    },
    /// A range argument covers more than [`crate::MAX_RANGE`] items.
    #[error("range of {requested} items exceeds the maximum of {max}")]
    RangeTooLarge {
        /// Items requested.
        requested: u64,
        /// Maximum per call.
        max: u64,
    },
    /// The body of the block at `height` was pruned: this store keeps
    /// bodies from `lowest` on (headers, certificates and outputs of every
    /// block stay).
    #[error("the body of block {height} was pruned: this node keeps block bodies from height {lowest} on (ask an archive node)")]
    Pruned {
        /// Height asked for.
        height: u64,
        /// Lowest height whose body is stored.
        lowest: u64,
    },
    /// The database was written with another schema version.
    #[error("schema version {found}, this build reads version {expected}")]
    SchemaVersion {
        /// Version stored in the database.
        found: u32,
        /// Version this build understands.
        expected: u32,
    },
}

impl From<redb::Error> for StateError {
    fn from(e: redb::Error) -> Self {
        match e {
            redb::Error::Io(io) => StateError::Io(io),
            other => StateError::Database(Box::new(other)),
        }
    }
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StateError {
            fn from(e: $t) -> Self {
                StateError::from(redb::Error::from(e))
            }
        }
    )*};
}

from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);
