//! Proving, verification and batch verification.

use crate::circuits::input::InputCircuit;
use crate::circuits::output::OutputCircuit;
use crate::params::CircuitParams;
use crate::qap::{CircomReduction, Reduction};
use crate::{Curve, Fr, ZkError};
use ark_ec::pairing::{MillerLoopOutput, Pairing};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{Field, One, PrimeField, Zero};
use ark_groth16::{Groth16, Proof};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_snark::SNARK;
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore, SeedableRng};
use rayon::prelude::*;

type G1 = <Curve as Pairing>::G1;
type G1Affine = <Curve as Pairing>::G1Affine;

/// A Groth16 proof: `A` (G1), `B` (G2), `C` (G1).
#[derive(Clone, Debug, PartialEq)]
pub struct ZkProof(pub Proof<Curve>);

impl ZkProof {
    /// Encoded length: compressed A (32) ‖ B (64) ‖ C (32).
    pub const LEN: usize = 128;

    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut v = Vec::with_capacity(Self::LEN);
        self.0.serialize_compressed(&mut v).expect("in-memory");
        v.try_into()
            .expect("a compressed BN254 Groth16 proof is 128 bytes")
    }

    /// Decodes a proof: canonical encodings, points on their curves and in
    /// their prime-order subgroups.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ZkError> {
        if bytes.len() != Self::LEN {
            return Err(ZkError::ProofEncoding(format!(
                "expected {} bytes, got {}",
                Self::LEN,
                bytes.len()
            )));
        }
        let p = Proof::<Curve>::deserialize_compressed(bytes)
            .map_err(|e| ZkError::ProofEncoding(e.to_string()))?;
        let proof = ZkProof(p);
        if proof.to_bytes()[..] != *bytes {
            return Err(ZkError::ProofEncoding("non-canonical encoding".into()));
        }
        Ok(proof)
    }
}

/// Synthesises `circuit` with its witness and reports the first unsatisfied
/// constraint, if any. Cheap next to proving; builders call it so that a bad
/// witness gets a clear error rather than an invalid proof.
pub fn check_satisfied<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Result<(), ZkError> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    circuit.generate_constraints(cs.clone())?;
    if cs.is_satisfied()? {
        Ok(())
    } else {
        let which = cs.which_is_unsatisfied()?.unwrap_or_default();
        Err(ZkError::Unsatisfied(which))
    }
}

/// Proves one statement.
pub fn prove<C: ConstraintSynthesizer<Fr>, R: RngCore + CryptoRng>(
    params: &CircuitParams,
    circuit: C,
    rng: &mut R,
) -> Result<ZkProof, ZkError> {
    let proof = match params.reduction() {
        Reduction::Libsnark => Groth16::<Curve>::prove(&params.pk, circuit, rng)?,
        Reduction::Circom => Groth16::<Curve, CircomReduction>::prove(&params.pk, circuit, rng)?,
    };
    Ok(ZkProof(proof))
}

/// Proves many statements in parallel; each gets its own RNG seeded from
/// `rng`. Proofs come back in input order.
pub fn prove_all<C, R>(
    params: &CircuitParams,
    circuits: Vec<C>,
    rng: &mut R,
) -> Result<Vec<ZkProof>, ZkError>
where
    C: ConstraintSynthesizer<Fr> + Send,
    R: RngCore + CryptoRng,
{
    let seeds: Vec<[u8; 32]> = circuits
        .iter()
        .map(|_| {
            let mut s = [0u8; 32];
            rng.fill_bytes(&mut s);
            s
        })
        .collect();
    circuits
        .into_par_iter()
        .zip(seeds)
        .map(|(c, s)| prove(params, c, &mut ChaCha20Rng::from_seed(s)))
        .collect()
}

/// Proves an output statement (after checking the witness).
pub fn prove_output<R: RngCore + CryptoRng>(
    params: &CircuitParams,
    circuit: OutputCircuit,
    rng: &mut R,
) -> Result<ZkProof, ZkError> {
    check_satisfied(circuit.clone())?;
    prove(params, circuit, rng)
}

/// Proves an input statement (after checking the witness).
pub fn prove_input<R: RngCore + CryptoRng>(
    params: &CircuitParams,
    circuit: InputCircuit,
    rng: &mut R,
) -> Result<ZkProof, ZkError> {
    check_satisfied(circuit.clone())?;
    prove(params, circuit, rng)
}

fn check_inputs(params: &CircuitParams, public: &[Fr]) -> Result<(), ZkError> {
    let expected = params.pvk.vk.gamma_abc_g1.len() - 1;
    if public.len() != expected {
        return Err(ZkError::PublicInputs {
            expected,
            got: public.len(),
        });
    }
    Ok(())
}

/// Verifies one proof.
pub fn verify(params: &CircuitParams, public: &[Fr], proof: &ZkProof) -> Result<(), ZkError> {
    check_inputs(params, public)?;
    match Groth16::<Curve>::verify_with_processed_vk(&params.pvk, public, &proof.0) {
        Ok(true) => Ok(()),
        _ => Err(ZkError::InvalidProof),
    }
}

/// Verifies many proofs of one circuit at once with a random linear
/// combination: with 128-bit weights `rᵢ` from a secure RNG,
///
/// `∏ e(rᵢ·Aᵢ, Bᵢ) · e(−Σ rᵢ·ICᵢ, γ) · e(−Σ rᵢ·Cᵢ, δ) = e(α, β)^{Σ rᵢ}`
///
/// holds for a batch containing an invalid proof with probability at most
/// 2⁻¹²⁸. One Miller loop per proof plus two, one final exponentiation, the
/// Miller loops split across threads. On failure, callers that need to know
/// which proof is bad verify them one by one.
pub fn batch_verify<R: RngCore + CryptoRng>(
    params: &CircuitParams,
    items: &[(Vec<Fr>, ZkProof)],
    rng: &mut R,
) -> Result<(), ZkError> {
    if items.is_empty() {
        return Ok(());
    }
    for (public, _) in items {
        check_inputs(params, public)?;
    }
    let weights: Vec<Fr> = items
        .iter()
        .map(|_| {
            let mut b = [0u8; 16];
            rng.fill_bytes(&mut b);
            Fr::from_le_bytes_mod_order(&b)
        })
        .collect();
    let vk = &params.pvk.vk;
    let n_pub = vk.gamma_abc_g1.len() - 1;

    // Σ rᵢ·ICᵢ = (Σ rᵢ)·γ_abc₀ + Σⱼ (Σᵢ rᵢ·xᵢⱼ)·γ_abcⱼ
    let mut ic_scalars = vec![Fr::zero(); n_pub + 1];
    for ((public, _), r) in items.iter().zip(&weights) {
        ic_scalars[0] += r;
        for (j, x) in public.iter().enumerate() {
            ic_scalars[j + 1] += *r * x;
        }
    }
    let sum_ic = G1::msm_unchecked(&vk.gamma_abc_g1, &ic_scalars);
    let cs: Vec<G1Affine> = items.iter().map(|(_, p)| p.0.c).collect();
    let sum_c = G1::msm_unchecked(&cs, &weights);

    // rᵢ·Aᵢ, then the Miller loops in parallel chunks.
    let ra: Vec<G1> = items
        .par_iter()
        .zip(&weights)
        .map(|((_, p), r)| p.0.a.mul_bigint(r.into_bigint()))
        .collect();
    let ra = G1::normalize_batch(&ra);
    let chunk = items.len().div_ceil(rayon::current_num_threads()).max(1);
    let ml = ra
        .par_chunks(chunk)
        .zip(items.par_chunks(chunk))
        .map(|(a, ps)| Curve::multi_miller_loop(a.iter().copied(), ps.iter().map(|(_, p)| p.0.b)).0)
        .reduce(<Curve as Pairing>::TargetField::one, |x, y| x * y);
    let rest = Curve::multi_miller_loop(
        [sum_ic.into_affine(), sum_c.into_affine()],
        [
            params.pvk.gamma_g2_neg_pc.clone(),
            params.pvk.delta_g2_neg_pc.clone(),
        ],
    );
    let total = MillerLoopOutput::<Curve>(ml * rest.0);
    let lhs = Curve::final_exponentiation(total).ok_or(ZkError::InvalidBatch(items.len()))?;
    let r_sum: Fr = weights.iter().sum();
    let rhs = params.pvk.alpha_g1_beta_g2.pow(r_sum.into_bigint());
    if lhs.0 == rhs {
        Ok(())
    } else {
        Err(ZkError::InvalidBatch(items.len()))
    }
}
