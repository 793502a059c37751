//! SERO's zero-knowledge proofs: Groth16 on BN254 (arkworks).
//!
//! * [`note`]: notes and their commitments, nullifiers and trace tags
//!   (native side).
//! * [`gadgets`]: R1CS gadgets next to their native counterparts: Poseidon,
//!   hash-to-curve, fixed-base multiplication, canonical scalars, Merkle
//!   paths.
//! * [`circuits`]: the output circuit (a new note's asset commitment and
//!   note commitment agree, generators derived in-circuit, value < 2^128)
//!   and the input circuit (membership under an anchor, ownership, Nil and
//!   Til, re-randomised asset commitment). Each has a `*ProofPublic` /
//!   `*ProofPrivate` pair.
//! * [`params`]: parameter generation (insecure development seed), the
//!   versioned file format and the verifying-key hash.
//! * [`proof`]: proving (in parallel), verification and batch verification;
//!   [`prover`]: the Groth16 prover on [`msm`]'s multi-scalar
//!   multiplications (vector lanes);
//!   [`decompress`]: the proofs' points from their compressed encoding,
//!   many at once.
//! * [`qap`]: the R1CS-to-QAP reductions (arkworks' for the development
//!   parameters, snarkjs's for ceremony parameters) and the circuits'
//!   constraint matrices.
//!
//! This crate does no IO beyond the explicit `Read`/`Write` of parameters.

pub mod circuits;
pub mod decompress;
mod error;
pub mod g1_lanes;
pub mod g2;
pub mod gadgets;
pub mod miller;
pub mod msm;
pub mod note;
pub mod params;
pub mod proof;
pub mod prover;
pub mod qap;
pub mod samples;

pub use circuits::input::{InputCircuit, InputProofPrivate, InputProofPublic};
pub use circuits::output::{OutputCircuit, OutputProofPrivate, OutputProofPublic};
pub use error::ZkError;
pub use note::Note;
pub use params::{CircuitParams, Parameters};
pub use proof::{batch_verify, batch_verify_groups, verify, ProofGroup, ZkProof};

/// The pairing-friendly curve of the proofs.
pub type Curve = ark_bn254::Bn254;
/// The circuits' field: BN254's scalar field, Baby Jubjub's base field.
pub type Fr = sero_crypto::Base;
