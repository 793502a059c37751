use thiserror::Error;

/// Why bytes are not a canonical transaction.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("unexpected end of data while reading {0}")]
    Truncated(&'static str),
    #[error("{0} bytes left after the transaction")]
    TrailingBytes(usize),
    #[error("transaction of {0} bytes exceeds the {1}-byte limit")]
    TooLarge(usize, usize),
    #[error("unsupported transaction version {0}")]
    Version(u8),
    #[error("transaction version {0} has no chain id (replayable across networks); rebuild it")]
    LegacyVersion(u8),
    #[error("too many {what}: {got} (limit {limit})")]
    TooMany {
        what: &'static str,
        got: usize,
        limit: usize,
    },
    #[error("invalid {what}: {reason}")]
    Invalid { what: &'static str, reason: String },
}

/// Why a transaction is rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TxError {
    #[error("malformed transaction: {0}")]
    Decode(#[from] DecodeError),
    #[error("transaction for another network: chain id {got}, this network is {expected}")]
    WrongChain { expected: String, got: String },
    #[error("a transaction needs at least one input")]
    NoInputs,
    #[error("nullifier {0} appears twice in the transaction")]
    DuplicateNullifier(String),
    #[error("the From signature does not verify")]
    BadFromSignature,
    #[error("the balance signature does not verify: inputs, outputs and fee do not balance")]
    Unbalanced,
    #[error("an input proof does not verify")]
    BadInputProof,
    #[error("an output proof does not verify")]
    BadOutputProof,
    #[error("unknown anchor {0}: not among the recent note-tree roots")]
    UnknownAnchor(String),
    #[error("nullifier {0} is already spent")]
    AlreadySpent(String),
    #[error("asset error: {0}")]
    Asset(String),
    #[error("stake: {0}")]
    Stake(String),
    #[error("contract: {0}")]
    Contract(String),
    #[error("package: {0}")]
    Package(String),
}
