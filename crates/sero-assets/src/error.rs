use sero_crypto::CryptoError;
use thiserror::Error;

/// Errors from parsing or checking assets and commitments.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AssetError {
    #[error("invalid {what} name {name:?}: {reason}")]
    InvalidName {
        what: &'static str,
        name: String,
        reason: &'static str,
    },
    #[error("invalid {what}: {source}")]
    Crypto {
        what: &'static str,
        #[source]
        source: CryptoError,
    },
    #[error("balance signature does not verify: the transaction does not balance or was altered")]
    Unbalanced,
}
