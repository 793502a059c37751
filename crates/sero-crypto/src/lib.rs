//! Cryptographic primitives shared by every SERO crate.
//!
//! * [`curve`]: Baby Jubjub (the twisted Edwards curve over BN254's scalar
//!   field), its canonical 32-byte point encoding with on-curve and
//!   prime-order-subgroup checks, and scalar encodings.
//! * [`hash`]: BLAKE2b with a distinct 16-byte personalisation per use.
//! * [`poseidon`]: Poseidon over BN254 `Fr` with circomlib's parameters.
//! * [`h2c`]: a deterministic hash-to-curve (Poseidon + Elligator 2) whose
//!   outputs have no known discrete-log relation, cheap to re-derive inside
//!   a circuit.
//! * [`schnorr`]: Schnorr signatures over an arbitrary base point, used for
//!   PKr signatures (base `BASEr`) and the balance signature (base `G_r`).
//!
//! This crate does no IO.

pub mod curve;
pub mod error;
pub mod h2c;
pub mod hash;
#[cfg(target_arch = "x86_64")]
pub mod ifma;
pub mod ladder;
pub mod poseidon;
pub mod scan;
pub mod schnorr;
pub mod sqrt;
pub mod subgroup;
pub mod vectors;

pub use curve::{Base, Point, PointProj, Scalar};
pub use error::CryptoError;
