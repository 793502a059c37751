//! SERO's trusted-setup ceremony for the Groth16 parameters of the output
//! and input circuits: a multi-party computation whose result is secure if
//! a single participant was honest and destroyed their secret.
//!
//! * [`phase1`]: Powers of Tau over BN254 — `τⁱ` in G1 (`i < 2ⁿ⁺¹ − 1`)
//!   and G2, `α·τⁱ`, `β·τⁱ` in G1 (`i < 2ⁿ`) and `β` in G2. Each
//!   participant multiplies in secret `τ`, `α`, `β` and proves knowledge of
//!   them; a random beacon closes the phase.
//! * [`phase2`]: per circuit, the proving key built from phase 1 with
//!   `δ = 1` (as snarkjs does, `γ = 1`, snarkjs's R1CS-to-QAP reduction,
//!   see [`sero_zk::qap`]), then each participant multiplies `δ` by a
//!   secret and divides the `H` and `L` queries by it.
//! * [`pok`]: the proofs of knowledge that chain the contributions.
//! * [`snarkjs`]: snarkjs's `.r1cs` (write), `.ptau` and `.zkey` (read) and
//!   JSON verifying keys and proofs, for cross-checks with snarkjs and to
//!   start from a public Powers of Tau.
//!
//! Everything here is pure: bytes in, bytes out. The `sero ceremony`
//! command does the file IO and shows progress.
//!
//! A transcript holds the current state and every contribution's record:
//! the first powers after it, its proofs of knowledge (bound to the hash of
//! the transcript before it) and the hash of the whole state it produced.
//! A verifier replays the chain of records, then checks the final state
//! against the last record and the structure of the powers with random
//! linear combinations, so verification costs a few multi-scalar
//! multiplications, not one pairing per point.

mod codec;
pub mod mpc;
pub mod phase1;
pub mod phase2;
pub mod pok;
pub mod snarkjs;

pub use phase1::{Accumulator, Phase1};
pub use phase2::{Circuit, Phase2};

use ark_bn254::Bn254;
use ark_ec::pairing::Pairing;
use ark_ff::{UniformRand, Zero};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

pub type Fr = ark_bn254::Fr;
pub type G1 = ark_bn254::G1Projective;
pub type G2 = ark_bn254::G2Projective;
pub type G1A = ark_bn254::G1Affine;
pub type G2A = ark_bn254::G2Affine;

/// Why a ceremony step failed.
#[derive(Debug, thiserror::Error)]
pub enum CeremonyError {
    /// A file that cannot be decoded (truncated, corrupt, not a transcript).
    #[error("malformed transcript: {0}")]
    Format(String),
    /// A well-formed transcript that does not verify.
    #[error("verification failed: {0}")]
    Invalid(String),
    /// A request that cannot be carried out (sizes, arguments).
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Zk(#[from] sero_zk::ZkError),
}

/// Progress of a long step: `begin` a stage of `total` units, `advance`.
/// Called from worker threads.
pub trait Progress: Sync {
    fn begin(&self, _stage: &str, _total: u64) {}
    fn advance(&self, _units: u64) {}
}

/// No progress output.
pub struct Quiet;
impl Progress for Quiet {}

/// Scalar multiplication with the GLV endomorphism in both groups
/// (arkworks uses it for BN254's G1 only; it halves the cost in G2).
pub(crate) trait Group: ark_ec::CurveGroup<ScalarField = Fr> {
    fn times(p: Self, s: Fr) -> Self;
}

impl Group for ark_ec::short_weierstrass::Projective<ark_bn254::g1::Config> {
    fn times(p: Self, s: Fr) -> Self {
        p * s
    }
}

impl Group for ark_ec::short_weierstrass::Projective<ark_bn254::g2::Config> {
    fn times(p: Self, s: Fr) -> Self {
        <ark_bn254::g2::Config as ark_ec::scalar_mul::glv::GLVConfig>::glv_mul_projective(p, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::PrimeGroup;

    #[test]
    fn glv_in_g2_agrees_with_plain_multiplication() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        for _ in 0..20 {
            let p = G2::generator() * Fr::rand(&mut rng);
            let s = Fr::rand(&mut rng);
            assert_eq!(G2::times(p, s), p * s);
        }
        assert_eq!(
            G2::times(G2::generator(), -Fr::from(1u64)),
            -G2::generator()
        );
    }
}

/// Runs `f` on the ceremony's thread pool (as many threads as rayon's
/// default) whose threads have 256 MiB stacks (reserved, not committed):
/// arkworks' parallel multi-scalar multiplications nested in our parallel
/// loops overflow the default 2 MiB at the input circuit's size.
pub(crate) fn in_pool<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    let pool = POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .stack_size(256 << 20)
            .thread_name(|i| format!("sero-ceremony-{i}"))
            .build()
            .ok()
    });
    match pool {
        Some(p) => p.install(f),
        None => f(),
    }
}

/// What made a contribution's secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A participant's private randomness.
    Participant,
    /// A public random beacon: the secrets come from `value` hashed
    /// `2^iterations_exp` times, so anyone can recompute them.
    Beacon { value: Vec<u8>, iterations_exp: u8 },
    /// Phase 1 only, first step only: the powers of a snarkjs `.ptau`
    /// (BLAKE2b-256 of the file), whose own contributions `snarkjs
    /// powersoftau verify` checks; ours chain on from it.
    Imported { file_hash: [u8; 32] },
}

/// The largest beacon iteration exponent accepted.
pub const MAX_BEACON_ITERATIONS_EXP: u8 = 40;

/// `BLAKE2b-256` with a 16-byte personalisation over `parts`.
pub(crate) fn hash(personal: &[u8; 16], parts: &[&[u8]]) -> [u8; 32] {
    let mut st = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(personal)
        .to_state();
    for p in parts {
        st.update(&(p.len() as u64).to_le_bytes());
        st.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(st.finalize().as_bytes());
    out
}

/// The RNG of a beacon: `value` hashed `2^iterations_exp` times seeds
/// ChaCha20.
pub fn beacon_rng(value: &[u8], iterations_exp: u8) -> Result<ChaCha20Rng, CeremonyError> {
    if iterations_exp > MAX_BEACON_ITERATIONS_EXP {
        return Err(CeremonyError::Usage(format!(
            "beacon iterations 2^{iterations_exp}: the exponent must be at most {MAX_BEACON_ITERATIONS_EXP}"
        )));
    }
    let mut h = hash(b"SERO_CerBeacon_0", &[value]);
    for _ in 0..(1u64 << iterations_exp) {
        h = hash(b"SERO_CerBeacon_i", &[&h]);
    }
    Ok(ChaCha20Rng::from_seed(h))
}

/// A participant's RNG: operating-system randomness (`os_seed`) mixed with
/// optional typed entropy. Either alone suffices if it is secret.
pub fn participant_rng(os_seed: &[u8; 32], entropy: &[u8]) -> ChaCha20Rng {
    ChaCha20Rng::from_seed(hash(b"SERO_CerEntropy_", &[os_seed, entropy]))
}

pub(crate) fn nonzero_scalar<R: RngCore>(rng: &mut R) -> Fr {
    loop {
        let x = Fr::rand(rng);
        if !x.is_zero() {
            return x;
        }
    }
}

/// 128-bit random weights for random linear combinations.
pub(crate) fn weights<R: RngCore>(n: usize, rng: &mut R) -> Vec<Fr> {
    (0..n)
        .map(|_| {
            let mut b = [0u8; 16];
            rng.fill_bytes(&mut b);
            <Fr as ark_ff::PrimeField>::from_le_bytes_mod_order(&b)
        })
        .collect()
}

/// `b1 = k·a1` and `b2 = k·a2` for the same (unknown) `k`:
/// `e(b1, a2) = e(a1, b2)`.
pub(crate) fn same_ratio(a1: G1A, b1: G1A, a2: G2A, b2: G2A) -> bool {
    use ark_ec::AffineRepr;
    Bn254::multi_pairing([b1, (-a1.into_group()).into()], [a2, b2]).is_zero()
}

/// A contribution's published hash, in hex groups of 8 for reading aloud.
pub fn format_hash(h: &[u8; 32]) -> String {
    hex::encode(h)
        .as_bytes()
        .chunks(16)
        .map(|c| std::str::from_utf8(c).expect("hex"))
        .collect::<Vec<_>>()
        .join(" ")
}
