//! The Groth16 prover: arkworks' own steps (`ark-groth16`'s
//! `create_random_proof_with_reduction` and `create_proof_with_assignment`,
//! same randomness `r`, `s` drawn in the same order, same witness map,
//! same proof for the same `r`, `s`), with the five multi-scalar
//! multiplications in [`crate::msm`] (vector lanes where the CPU has them)
//! and run side by side on the rayon pool. The tests check the proof
//! element by element against arkworks' for the same `r` and `s`.

use crate::{Curve, Fr};
use ark_bn254::{G1Projective, G2Projective};
use ark_ec::pairing::Pairing;
use ark_ec::CurveGroup;
use ark_ff::{BigInteger256, PrimeField, UniformRand, Zero};
use ark_groth16::r1cs_to_qap::R1CSToQAP;
use ark_groth16::{Proof, ProvingKey};
use ark_poly::GeneralEvaluationDomain;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisError, SynthesisMode,
};
use rand_core::RngCore;
use rayon::prelude::*;

/// A zero-knowledge proof of `circuit` under `pk` with the R1CS-to-QAP
/// reduction `Q`; `r` and `s` drawn from `rng` (first `r`, then `s`).
pub fn prove<Q: R1CSToQAP, C: ConstraintSynthesizer<Fr>, R: RngCore>(
    pk: &ProvingKey<Curve>,
    circuit: C,
    rng: &mut R,
) -> Result<Proof<Curve>, SynthesisError> {
    let r = Fr::rand(rng);
    let s = Fr::rand(rng);
    prove_with::<Q, C>(pk, circuit, r, s)
}

/// [`prove`] with the given randomness (`r = s = 0` gives arkworks'
/// proof without zero knowledge; for tests).
pub fn prove_with<Q: R1CSToQAP, C: ConstraintSynthesizer<Fr>>(
    pk: &ProvingKey<Curve>,
    circuit: C,
    r: Fr,
    s: Fr,
) -> Result<Proof<Curve>, SynthesisError> {
    let cs = ConstraintSystem::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: true,
        generate_lc_assignments: false,
    });
    circuit.generate_constraints(cs.clone())?;
    cs.finalize();
    let h = Q::witness_map::<Fr, GeneralEvaluationDomain<Fr>>(cs.clone())?;
    let prover = cs.borrow().ok_or(SynthesisError::MissingCS)?;
    let instance = prover
        .instance_assignment()
        .map_err(|_| SynthesisError::AssignmentMissing)?;
    let witness = prover
        .witness_assignment()
        .map_err(|_| SynthesisError::AssignmentMissing)?;
    Ok(from_assignment(pk, r, s, &h, &instance[1..], witness))
}

fn bigints(v: &[Fr]) -> Vec<BigInteger256> {
    v.par_iter().map(|s| s.into_bigint()).collect()
}

/// arkworks' `create_proof_with_assignment`: `A`, `B` and `C` from the
/// QAP's `h` and the assignment (instance without the constant 1, then
/// witness).
fn from_assignment(
    pk: &ProvingKey<Curve>,
    r: Fr,
    s: Fr,
    h: &[Fr],
    instance: &[Fr],
    witness: &[Fr],
) -> Proof<Curve> {
    // The H query has one base fewer than the domain (h's top coefficient
    // is zero); arkworks' MSM takes the shorter length, as here.
    let h_len = h.len().min(pk.h_query.len());
    let h = bigints(&h[..h_len]);
    let aux = bigints(witness);
    let assignment = [bigints(instance), aux.clone()].concat();
    let vk = &pk.vk;
    // Each query's first base belongs to the constant 1 (its scalar is 1).
    let coeff_g1 = |query: &[<Curve as Pairing>::G1Affine]| -> G1Projective {
        G1Projective::from(query[0]) + crate::msm::g1(&query[1..], &assignment)
    };
    let ((h_acc, l_acc), ((g_a_sum, b_g1_sum), b_g2_sum)) = rayon::join(
        || {
            rayon::join(
                || crate::msm::g1(&pk.h_query[..h_len], &h),
                || crate::msm::g1(&pk.l_query, &aux),
            )
        },
        || {
            rayon::join(
                || {
                    rayon::join(
                        || coeff_g1(&pk.a_query),
                        || {
                            if r.is_zero() {
                                G1Projective::zero()
                            } else {
                                coeff_g1(&pk.b_g1_query)
                            }
                        },
                    )
                },
                || {
                    G2Projective::from(pk.b_g2_query[0])
                        + crate::msm::g2(&pk.b_g2_query[1..], &assignment)
                },
            )
        },
    );
    let g_a = pk.delta_g1 * r + g_a_sum + vk.alpha_g1;
    let g1_b = if r.is_zero() {
        G1Projective::zero()
    } else {
        pk.delta_g1 * s + b_g1_sum + pk.beta_g1
    };
    let g2_b = vk.delta_g2 * s + b_g2_sum + vk.beta_g2;
    let g_c = g_a * s + g1_b * r - pk.delta_g1 * (r * s) + l_acc + h_acc;
    Proof {
        a: g_a.into_affine(),
        b: g2_b.into_affine(),
        c: g_c.into_affine(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qap::CircomReduction;
    use crate::samples::{input_statement, output_statement};
    use ark_groth16::r1cs_to_qap::LibsnarkReduction;
    use ark_groth16::Groth16;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn proofs_equal_arkworks_for_the_same_randomness() {
        let params = crate::Parameters::dev();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        for (r, s) in [
            (Fr::rand(&mut rng), Fr::rand(&mut rng)),
            (Fr::zero(), Fr::zero()),
            (Fr::zero(), Fr::from(3u64)),
        ] {
            let want = Groth16::<Curve, LibsnarkReduction>::create_proof_with_reduction(
                output_statement(2),
                &params.output.pk,
                r,
                s,
            )
            .expect("arkworks proves");
            let got =
                prove_with::<LibsnarkReduction, _>(&params.output.pk, output_statement(2), r, s)
                    .expect("proves");
            assert_eq!(got, want, "output, r = {r}, s = {s}");
        }
        let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        let want = Groth16::<Curve, LibsnarkReduction>::create_proof_with_reduction(
            input_statement(3),
            &params.input.pk,
            r,
            s,
        )
        .expect("arkworks proves");
        let got = prove_with::<LibsnarkReduction, _>(&params.input.pk, input_statement(3), r, s)
            .expect("proves");
        assert_eq!(got, want, "input");
        // The other reduction (ceremony parameters) through the same steps.
        let want = Groth16::<Curve, CircomReduction>::create_proof_with_reduction(
            output_statement(4),
            &params.output.pk,
            r,
            s,
        )
        .expect("arkworks proves");
        let got = prove_with::<CircomReduction, _>(&params.output.pk, output_statement(4), r, s)
            .expect("proves");
        assert_eq!(got, want, "circom reduction");
    }

    #[test]
    fn randomness_is_drawn_as_arkworks_draws_it() {
        let params = crate::Parameters::dev();
        let mut a = rand_chacha::ChaCha20Rng::seed_from_u64(9);
        let mut b = a.clone();
        let got = prove::<LibsnarkReduction, _, _>(&params.output.pk, output_statement(1), &mut a)
            .expect("proves");
        let want = <Groth16<Curve> as ark_snark::SNARK<Fr>>::prove(
            &params.output.pk,
            output_statement(1),
            &mut b,
        )
        .expect("arkworks proves");
        assert_eq!(got, want);
    }
}
