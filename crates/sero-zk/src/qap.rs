//! The R1CS-to-QAP reductions a proving key can be made for, and the
//! constraint matrices of our circuits as the setup sees them.
//!
//! arkworks' own setup (the development parameters) uses
//! [`LibsnarkReduction`]: `h_query[i] = τⁱ·Z(τ)/δ` for `i < m − 1` and the
//! prover divides `A·B − C` by `Z` on a coset. snarkjs/circom, and therefore
//! the trusted-setup ceremony (`sero-ceremony`), use the reduction of
//! [`CircomReduction`]: `h_query[i] = L⁽²ᵐ⁾₂ᵢ₊₁(τ)/δ`, the odd Lagrange
//! polynomials of the domain of size `2m`, and the prover supplies
//! `A·B − C` evaluated at the odd points of that domain (where `Z = −2`, so
//! no division is needed). Both reductions share the instance map (the
//! `A`, `B`, `C` queries, with one extra `A` row per public input), so a
//! proof is verified the same way; only the prover must know which
//! reduction its proving key was made for ([`crate::CircuitParams::reduction`],
//! read off the length of its `H` query).

use crate::{Fr, ZkError};
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::r1cs_to_qap::{evaluate_constraint, LibsnarkReduction, R1CSToQAP};
use ark_poly::EvaluationDomain;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, Matrix, OptimizationGoal,
    Result as R1CSResult, SynthesisError, SynthesisMode, R1CS_PREDICATE_LABEL,
};
use rayon::prelude::*;

/// Which R1CS-to-QAP reduction a proving key was generated for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduction {
    /// arkworks' default ([`LibsnarkReduction`]): the development parameters.
    Libsnark,
    /// snarkjs's ([`CircomReduction`]): parameters from the ceremony.
    Circom,
}

/// The witness map of snarkjs (a port of ark-circom's `CircomReduction`
/// to arkworks 0.6): the prover's `h` is `A·B − C` evaluated on the odd
/// points of the domain of size `2m`, to be combined with
/// `h_query[i] = L⁽²ᵐ⁾₂ᵢ₊₁(τ)/δ`.
pub struct CircomReduction;

impl R1CSToQAP for CircomReduction {
    #[allow(clippy::type_complexity)]
    fn instance_map_with_evaluation<F: PrimeField, D: EvaluationDomain<F>>(
        cs: ConstraintSystemRef<F>,
        t: &F,
    ) -> R1CSResult<(Vec<F>, Vec<F>, Vec<F>, F, usize, usize)> {
        LibsnarkReduction::instance_map_with_evaluation::<F, D>(cs, t)
    }

    fn witness_map_from_matrices<F: PrimeField, D: EvaluationDomain<F>>(
        matrices: &[Matrix<F>],
        num_inputs: usize,
        num_constraints: usize,
        full_assignment: &[F],
    ) -> R1CSResult<Vec<F>> {
        let zero = F::zero();
        let domain =
            D::new(num_constraints + num_inputs).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let domain_size = domain.size();
        let mut a = vec![zero; domain_size];
        let mut b = vec![zero; domain_size];
        let mut c = vec![zero; domain_size];
        a[..num_constraints]
            .par_iter_mut()
            .zip(&mut b[..num_constraints])
            .zip(&mut c[..num_constraints])
            .enumerate()
            .for_each(|(i, ((a, b), c))| {
                *a = evaluate_constraint(&matrices[0][i], full_assignment);
                *b = evaluate_constraint(&matrices[1][i], full_assignment);
                *c = evaluate_constraint(&matrices[2][i], full_assignment);
            });
        a[num_constraints..num_constraints + num_inputs]
            .clone_from_slice(&full_assignment[..num_inputs]);
        // Shift each polynomial to the odd points of the domain of size 2m:
        // coefficients times ω₂ₘ^j, then evaluate on the domain of size m.
        let omega = D::new(2 * domain_size)
            .ok_or(SynthesisError::PolynomialDegreeTooLarge)?
            .element(1);
        for v in [&mut a, &mut b, &mut c] {
            domain.ifft_in_place(v);
            D::distribute_powers_and_mul_by_const(v, omega, F::one());
            domain.fft_in_place(v);
        }
        let mut ab = domain.mul_polynomials_in_evaluation_domain(&a, &b);
        ab.par_iter_mut().zip(c).for_each(|(x, c)| *x -= c);
        Ok(ab)
    }

    fn h_query_scalars<F: PrimeField, D: EvaluationDomain<F>>(
        max_power: usize,
        t: F,
        _zt: F,
        delta_inverse: F,
    ) -> Result<Vec<F>, SynthesisError> {
        // L⁽²ᵐ⁾ₖ(t) for all k: the inverse FFT of t⁰ … t²ᵐ⁻¹ (all 2m powers:
        // dropping the last one would put a free τᵐ⁻¹/δ in the key).
        let m = max_power + 1;
        let domain = D::new(2 * m).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let mut scalars = Vec::with_capacity(domain.size());
        let mut p = delta_inverse;
        for _ in 0..domain.size() {
            scalars.push(p);
            p *= t;
        }
        domain.ifft_in_place(&mut scalars);
        Ok(scalars.into_iter().skip(1).step_by(2).collect())
    }
}

/// A circuit's constraint system as the setup and the prover see it (after
/// arkworks inlines linear combinations): variable 0 is the constant one,
/// then the public inputs, then the witness.
#[derive(Clone, Debug)]
pub struct R1csMatrices {
    /// Instance variables, the constant one included.
    pub num_instance: usize,
    pub num_witness: usize,
    pub num_constraints: usize,
    /// `[A, B, C]`, one row per constraint: `(coefficient, variable)`.
    pub matrices: Vec<Matrix<Fr>>,
}

impl R1csMatrices {
    /// Synthesises `circuit` in setup mode, as Groth16's generator does.
    pub fn of<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Result<Self, ZkError> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        circuit.generate_constraints(cs.clone())?;
        cs.finalize();
        Self::of_finalized(&cs)
    }

    /// The matrices of a finalised constraint system (setup mode, or
    /// proving mode with matrices).
    pub fn of_finalized(cs: &ConstraintSystemRef<Fr>) -> Result<Self, ZkError> {
        let all = cs.to_matrices()?;
        let matrices = all
            .get(R1CS_PREDICATE_LABEL)
            .cloned()
            .ok_or_else(|| ZkError::Params("constraint system has no R1CS predicate".into()))?;
        if matrices.len() != 3 {
            return Err(ZkError::Params("R1CS predicate without 3 matrices".into()));
        }
        Ok(R1csMatrices {
            num_instance: cs.num_instance_variables(),
            num_witness: cs.num_witness_variables(),
            num_constraints: cs.num_constraints(),
            matrices,
        })
    }

    /// The matrices of the output circuit.
    pub fn output() -> Result<Self, ZkError> {
        Self::of(crate::OutputCircuit::dummy())
    }

    /// The matrices of the input circuit.
    pub fn input() -> Result<Self, ZkError> {
        Self::of(crate::InputCircuit::dummy())
    }

    pub fn num_variables(&self) -> usize {
        self.num_instance + self.num_witness
    }

    /// The QAP domain size `m`: the next power of two at or above
    /// constraints plus instance variables (one extra row per input).
    pub fn domain_size(&self) -> usize {
        (self.num_constraints + self.num_instance).next_power_of_two()
    }

    /// `BLAKE2b-256` over the dimensions and every coefficient: names the
    /// circuit in a ceremony transcript.
    pub fn hash(&self) -> [u8; 32] {
        let mut st = blake2b_simd::Params::new()
            .hash_length(32)
            .personal(b"SERO_R1csHash_v1")
            .to_state();
        for n in [self.num_instance, self.num_witness, self.num_constraints] {
            st.update(&(n as u64).to_le_bytes());
        }
        for m in &self.matrices {
            for row in m {
                st.update(&(row.len() as u64).to_le_bytes());
                for (coeff, var) in row {
                    st.update(&(*var as u64).to_le_bytes());
                    st.update(&coeff.into_bigint().to_bytes_le());
                }
            }
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(st.finalize().as_bytes());
        out
    }
}
