//! R1CS gadgets, each next to the native function it mirrors.

pub mod bits;
pub mod ecc;
pub mod h2c;
pub mod merkle;
pub mod poseidon;

use ark_r1cs_std::fields::fp::FpVar;

/// A field element variable of the circuits.
pub type FrVar = FpVar<sero_crypto::Base>;
/// A Baby Jubjub point variable (twisted Edwards, affine).
pub type PointVar = ark_ed_on_bn254::constraints::EdwardsVar;
