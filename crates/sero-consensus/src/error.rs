//! Errors of the consensus core.

use thiserror::Error;

/// Everything that can go wrong with VRF keys, proofs and sortition.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConsensusError {
    /// 32 bytes that are not the canonical ristretto255 encoding of a group
    /// element, or that encode the identity (RFC 9381 `validate_key`).
    #[error(
        "invalid VRF public key: not the canonical ristretto255 encoding of a non-identity element"
    )]
    InvalidPublicKey,
    /// 32 bytes that are not a canonical (little-endian, below the group
    /// order) non-zero scalar.
    #[error("invalid VRF secret key: not a canonical non-zero ristretto255 scalar")]
    InvalidSecretKey,
    /// An 80-byte proof whose `Gamma` is not a canonical ristretto255
    /// encoding or whose `s` is not a canonical scalar.
    #[error("malformed VRF proof: Gamma or s is not canonically encoded")]
    MalformedProof,
    /// A well-formed proof that does not verify for this key and input.
    #[error("VRF proof does not verify for this public key and input")]
    InvalidProof,
    /// The stake is larger than the total stake.
    #[error("stake {stake} exceeds the total stake {total}")]
    StakeExceedsTotal { stake: u64, total: u64 },
    /// The expected committee size is above [`crate::MAX_TAU`] (and below the
    /// total stake).
    #[error("expected committee size {tau} exceeds the maximum {max}")]
    TauTooLarge { tau: u64, max: u64 },
    /// A valid VRF proof whose sortition selects no sub-user (`j = 0`).
    #[error("the credential selects no sub-user (j = 0) for this role")]
    NotSelected,
}
