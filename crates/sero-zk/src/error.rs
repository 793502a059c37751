use thiserror::Error;

/// Errors from building, proving or verifying proofs and from parameters.
#[derive(Debug, Error)]
pub enum ZkError {
    #[error("proof does not verify")]
    InvalidProof,
    #[error("batch of {0} proofs does not verify (at least one is invalid)")]
    InvalidBatch(usize),
    #[error("wrong number of public inputs: expected {expected}, got {got}")]
    PublicInputs { expected: usize, got: usize },
    #[error("malformed proof encoding: {0}")]
    ProofEncoding(String),
    #[error("the witness does not satisfy the circuit: {0}")]
    Unsatisfied(String),
    #[error("constraint synthesis failed: {0}")]
    Synthesis(#[from] ark_relations::gr1cs::SynthesisError),
    #[error("asset error: {0}")]
    Asset(#[from] sero_assets::AssetError),
    #[error("parameter file: {0}")]
    Params(String),
    #[error("prover: {0}")]
    Prover(String),
    #[error("io error: {0}")]
    Io(#[from] std::io::Error),
}
