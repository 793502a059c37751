//! The Groth16 prover: arkworks' own steps (`ark-groth16`'s
//! `create_random_proof_with_reduction` and `create_proof_with_assignment`,
//! same randomness `r`, `s` drawn in the same order, same witness map,
//! same proof for the same `r`, `s`), with the five multi-scalar
//! multiplications in [`crate::msm`] (vector lanes where the CPU has them)
//! and run side by side on the rayon pool, and the circuit's constraint
//! matrices kept from the first proof under a key ([`prove_with`]). The
//! tests check the proof element by element against arkworks' for the
//! same `r` and `s`.

use crate::qap::R1csMatrices;
use crate::{CircuitParams, Curve, Fr, ZkError};
use ark_bn254::{G1Projective, G2Projective};
use ark_ec::pairing::Pairing;
use ark_ec::CurveGroup;
use ark_ff::{BigInteger256, PrimeField, UniformRand, Zero};
use ark_groth16::r1cs_to_qap::R1CSToQAP;
use ark_groth16::{Proof, ProvingKey};
use ark_poly::GeneralEvaluationDomain;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode,
};
use rand_core::RngCore;
use rayon::prelude::*;
use std::sync::Arc;

/// A zero-knowledge proof of `circuit` under `params` with the R1CS-to-QAP
/// reduction `Q`; `r` and `s` drawn from `rng` (first `r`, then `s`).
pub fn prove<Q: R1CSToQAP, C: ConstraintSynthesizer<Fr>, R: RngCore>(
    params: &CircuitParams,
    circuit: C,
    rng: &mut R,
) -> Result<Proof<Curve>, ZkError> {
    let r = Fr::rand(rng);
    let s = Fr::rand(rng);
    prove_with::<Q, C>(params, circuit, r, s)
}

/// [`prove`] with the given randomness (`r = s = 0` gives arkworks'
/// proof without zero knowledge; for tests).
///
/// A proving key proves one circuit, whose constraints do not depend on
/// the instance: the first proof under `params` that verifies synthesises
/// the circuit with its constraint matrices, as arkworks' prover does for
/// every proof, and the key keeps them; later proofs synthesise the
/// witness only (about half the synthesis, and no inlining of linear
/// combinations) and take the kept matrices. A circuit whose numbers of
/// instance and witness variables are not the key's is refused
/// (`ZkError::Prover`; arkworks would return an invalid proof).
pub fn prove_with<Q: R1CSToQAP, C: ConstraintSynthesizer<Fr>>(
    params: &CircuitParams,
    circuit: C,
    r: Fr,
    s: Fr,
) -> Result<Proof<Curve>, ZkError> {
    let kept = params.shape.get().cloned();
    let cs = ConstraintSystem::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: kept.is_none(),
        generate_lc_assignments: false,
    });
    circuit.generate_constraints(cs.clone())?;
    let (shape, fresh) = match kept {
        Some(shape) => (shape, false),
        None => {
            cs.finalize();
            (Arc::new(R1csMatrices::of_finalized(&cs)?), true)
        }
    };
    let prover = cs
        .borrow()
        .ok_or_else(|| ZkError::Prover("no constraint system".into()))?;
    let instance = prover.instance_assignment()?;
    let witness = prover.witness_assignment()?;
    let pk = &params.pk;
    let (key_instance, key_witness) = (pk.vk.gamma_abc_g1.len(), pk.l_query.len());
    let key_variables = [pk.a_query.len(), pk.b_g1_query.len(), pk.b_g2_query.len()];
    if instance.len() != key_instance
        || witness.len() != key_witness
        || key_variables
            .iter()
            .any(|&n| n != key_instance + key_witness)
        || shape.num_instance != key_instance
        || shape.num_witness != key_witness
    {
        return Err(ZkError::Prover(format!(
            "the circuit has {} instance and {} witness variables, the proving key's {} and {}",
            instance.len(),
            witness.len(),
            key_instance,
            key_witness
        )));
    }
    let full = [instance, witness].concat();
    let h = Q::witness_map_from_matrices::<Fr, GeneralEvaluationDomain<Fr>>(
        &shape.matrices,
        shape.num_instance,
        shape.num_constraints,
        &full,
    )?;
    let proof = from_assignment(pk, r, s, &h, &full[1..], key_instance - 1);
    // Keep the matrices of a circuit shown to be the key's: its proof
    // verifies (once per key; another proof may have kept equal ones first).
    if fresh {
        let checked = crate::proof::ZkProof(proof.clone());
        if crate::proof::verify(params, &full[1..key_instance], &checked).is_ok() {
            let _ = params.shape.set(shape);
        }
    }
    Ok(proof)
}

fn bigints(v: &[Fr]) -> Vec<BigInteger256> {
    v.par_iter().map(|s| s.into_bigint()).collect()
}

/// arkworks' `create_proof_with_assignment`: `A`, `B` and `C` from the
/// QAP's `h` and the assignment (`inputs` public inputs without the
/// constant 1, then the witness), whose length the caller has checked
/// against the key.
fn from_assignment(
    pk: &ProvingKey<Curve>,
    r: Fr,
    s: Fr,
    h: &[Fr],
    assignment: &[Fr],
    inputs: usize,
) -> Proof<Curve> {
    // The H query has one base fewer than the domain (h's top coefficient
    // is zero); arkworks' MSM takes the shorter length, as here.
    let h_len = h.len().min(pk.h_query.len());
    let h = bigints(&h[..h_len]);
    let assignment = bigints(assignment);
    let aux = &assignment[inputs..];
    let vk = &pk.vk;
    // Each query's first base belongs to the constant 1 (its scalar is 1).
    let coeff_g1 = |query: &[<Curve as Pairing>::G1Affine]| -> G1Projective {
        G1Projective::from(query[0]) + crate::msm::g1(&query[1..], &assignment)
    };
    let ((h_acc, l_acc), ((g_a_sum, b_g1_sum), b_g2_sum)) = rayon::join(
        || {
            rayon::join(
                || crate::msm::g1(&pk.h_query[..h_len], &h),
                || crate::msm::g1(&pk.l_query, aux),
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
    use ark_relations::gr1cs::ConstraintSynthesizer;
    use rand_chacha::rand_core::SeedableRng;

    fn arkworks<Q: R1CSToQAP, C: ConstraintSynthesizer<Fr>>(
        pk: &ProvingKey<Curve>,
        c: C,
        r: Fr,
        s: Fr,
    ) -> Proof<Curve> {
        Groth16::<Curve, Q>::create_proof_with_reduction(c, pk, r, s).expect("arkworks proves")
    }

    #[test]
    fn proofs_equal_arkworks_for_the_same_randomness() {
        let dev = crate::Parameters::dev();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        // Fresh keys: the first proof synthesises the matrices, the later
        // ones take the kept matrices.
        let output = CircuitParams::new(dev.output.pk.clone());
        for (i, (r, s)) in [
            (Fr::rand(&mut rng), Fr::rand(&mut rng)),
            (Fr::zero(), Fr::zero()),
            (Fr::zero(), Fr::from(3u64)),
        ]
        .into_iter()
        .enumerate()
        {
            let want = arkworks::<LibsnarkReduction, _>(&output.pk, output_statement(2), r, s);
            let got = prove_with::<LibsnarkReduction, _>(&output, output_statement(2), r, s)
                .expect("proves");
            assert_eq!(got, want, "output, r = {r}, s = {s}");
            assert!(
                output.shape.get().is_some(),
                "matrices kept after proof {i}"
            );
        }
        let input = CircuitParams::new(dev.input.pk.clone());
        for i in 0..2 {
            let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
            let want = arkworks::<LibsnarkReduction, _>(&input.pk, input_statement(i), r, s);
            let got = prove_with::<LibsnarkReduction, _>(&input, input_statement(i), r, s)
                .expect("proves");
            assert_eq!(got, want, "input {i}");
        }
        // The other reduction (ceremony parameters) through the same steps.
        let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        for _ in 0..2 {
            let want = arkworks::<CircomReduction, _>(&output.pk, output_statement(4), r, s);
            let got = prove_with::<CircomReduction, _>(&output, output_statement(4), r, s)
                .expect("proves");
            assert_eq!(got, want, "circom reduction");
        }
    }

    #[test]
    fn randomness_is_drawn_as_arkworks_draws_it() {
        let params = &crate::Parameters::dev().output;
        let mut a = rand_chacha::ChaCha20Rng::seed_from_u64(9);
        let mut b = a.clone();
        let got =
            prove::<LibsnarkReduction, _, _>(params, output_statement(1), &mut a).expect("proves");
        let want = <Groth16<Curve> as ark_snark::SNARK<Fr>>::prove(
            &params.pk,
            output_statement(1),
            &mut b,
        )
        .expect("arkworks proves");
        assert_eq!(got, want);
    }

    #[test]
    fn a_circuit_of_another_shape_is_refused_before_and_after_the_matrices_are_kept() {
        let dev = crate::Parameters::dev();
        let input = CircuitParams::new(dev.input.pk.clone());
        let (r, s) = (Fr::from(5u64), Fr::from(7u64));
        for kept in [false, true] {
            let err = prove_with::<LibsnarkReduction, _>(&input, output_statement(0), r, s)
                .expect_err("the output circuit under the input key");
            assert!(
                matches!(&err, ZkError::Prover(m) if m.contains("witness variables")),
                "{err}"
            );
            assert_eq!(
                input.shape.get().is_some(),
                kept,
                "nothing kept from a refusal"
            );
            prove_with::<LibsnarkReduction, _>(&input, input_statement(0), r, s).expect("proves");
        }
    }

    #[test]
    fn matrices_are_kept_only_from_a_proof_that_verifies() {
        // A witness that does not satisfy the circuit (a wrong anchor)
        // gives an invalid proof, as arkworks' prover does, and the key
        // keeps nothing from it.
        let dev = crate::Parameters::dev();
        let input = CircuitParams::new(dev.input.pk.clone());
        let mut bad = input_statement(1);
        bad.public.anchor += Fr::from(1u64);
        let proof =
            prove_with::<LibsnarkReduction, _>(&input, bad.clone(), Fr::from(2u64), Fr::from(3u64))
                .expect("a proof, invalid");
        let public = bad.public.to_field_elements();
        assert!(crate::proof::verify(&input, &public, &crate::ZkProof(proof)).is_err());
        assert!(input.shape.get().is_none());
        prove_with::<LibsnarkReduction, _>(
            &input,
            input_statement(1),
            Fr::from(2u64),
            Fr::from(3u64),
        )
        .expect("proves");
        assert!(input.shape.get().is_some());
    }
}
