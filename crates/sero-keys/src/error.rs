use sero_crypto::CryptoError;
use thiserror::Error;

/// Errors from parsing or using keys and addresses.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    #[error("invalid mnemonic: {0}")]
    Mnemonic(String),
    #[error("invalid base58 string: {0}")]
    Base58(String),
    #[error("bad checksum: the string was mistyped or truncated")]
    Checksum,
    #[error("wrong key type: expected {expected}, found {found}")]
    WrongType {
        expected: &'static str,
        found: String,
    },
    #[error("wrong length for {what}: expected {expected} bytes, got {got}")]
    Length {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("invalid {what}: {source}")]
    Crypto {
        what: &'static str,
        #[source]
        source: CryptoError,
    },
    #[error("this one-time address does not belong to the key")]
    NotMine,
    #[error("sealed message is too short ({0} bytes)")]
    SealedTooShort(usize),
    #[error("sealed message could not be opened: wrong key or tampered data")]
    OpenFailed,
}

impl KeyError {
    pub(crate) fn crypto(what: &'static str) -> impl FnOnce(CryptoError) -> KeyError {
        move |source| KeyError::Crypto { what, source }
    }
}
