//! Typed errors.

use thiserror::Error;

/// A failure of the state behind a [`crate::StateView`] (the node's store).
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum ViewError {
    #[error("state store: {0}")]
    Store(String),
    #[error("corrupt state entry: {0}")]
    Corrupt(String),
}

impl revm::database_interface::DBErrorMarker for ViewError {}

/// Why an execution could not produce an outcome at all (no status, no
/// gas): the transaction must not be included.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum ExecError {
    #[error(transparent)]
    View(#[from] ViewError),
    #[error("invalid transaction: {0}")]
    InvalidTx(String),
    #[error("engine: {0}")]
    Engine(String),
}

/// Why a frame halted for a SERO rule (the top-level halt reason when the
/// whole call halted).
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum SeroHalt {
    #[error("system call {topic}: data length {got}, expected {expected}")]
    BadLength {
        topic: &'static str,
        got: usize,
        expected: usize,
    },
    #[error("system call {topic}: string pointer outside memory")]
    BadPointer { topic: &'static str },
    #[error("system call {topic}: {reason}")]
    BadName {
        topic: &'static str,
        reason: &'static str,
    },
    #[error("sero_TransferPkg to an unknown address")]
    UnknownPkgRecipient,
    #[error("opcode {0} is disabled on SERO")]
    Disabled(&'static str),
    #[error("CALL with an asset to an unknown address")]
    UnknownAddress,
    #[error("input prefix too short")]
    ShortPrefix,
    #[error("input prefix lists an invalid PKr")]
    BadPrefixPkr,
    #[error("top-level call to an address without code")]
    NotAContract,
    #[error("the call's asset is invalid: {0}")]
    BadAsset(&'static str),
}
