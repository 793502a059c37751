use thiserror::Error;

/// Errors from decoding or checking cryptographic values.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CryptoError {
    #[error("expected {expected} bytes, got {got}")]
    Length { expected: usize, got: usize },
    #[error("non-canonical encoding of {what}")]
    NonCanonical { what: &'static str },
    #[error("point is not on the Baby Jubjub curve")]
    NotOnCurve,
    #[error("point is not in the prime-order subgroup (small-order or mixed-order point)")]
    NotInSubgroup,
    #[error("point is the identity where a non-identity point is required")]
    Identity,
    #[error("scalar is zero where a non-zero scalar is required")]
    ZeroScalar,
    #[error("signature verification failed")]
    BadSignature,
    #[error("hash-to-curve reached an exceptional case for this input")]
    HashToCurve,
}
