//! Poseidon in R1CS, with the constants of `sero_crypto::poseidon` (circomlib
//! parameters, domain tag in the capacity element). Cost: 3 constraints per
//! S-box, i.e. `3·(8·width + partial_rounds) − 3` (the first round's
//! capacity S-box acts on a constant), plus the materialised lanes.

use super::FrVar;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::SynthesisError;
use sero_crypto::poseidon::{parameters, tag_element};
use sero_crypto::Base;

/// Partial rounds leave all lanes but the first linear: their linear
/// combinations grow with every round, and inlined they make the constraint
/// matrices dense (memory and prover time). Every `MATERIALISE_EVERY`
/// partial rounds the linear lanes are allocated as witnesses (one
/// constraint each), which bounds the combinations' length.
pub const MATERIALISE_EVERY: usize = 16;

fn materialise(x: &FrVar) -> Result<FrVar, SynthesisError> {
    use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, GR1CSVar};
    let cs = x.cs();
    if x.is_constant() {
        return Ok(x.clone());
    }
    let v = FrVar::new_witness(cs, || x.value())?;
    v.enforce_equal(x)?;
    Ok(v)
}

fn sbox(x: &FrVar) -> Result<FrVar, SynthesisError> {
    let x2 = x.square()?;
    let x4 = x2.square()?;
    Ok(x4 * x)
}

/// `H_domain(inputs)` in-circuit; equals `poseidon::hash_with_domain`.
pub fn poseidon_var(domain: Base, inputs: &[FrVar]) -> Result<FrVar, SynthesisError> {
    let p = parameters(inputs.len());
    let w = p.width;
    let mut state: Vec<FrVar> = Vec::with_capacity(w);
    state.push(FrVar::constant(domain));
    state.extend(inputs.iter().cloned());
    let half = p.full_rounds / 2;
    let total = p.full_rounds + p.partial_rounds;
    for round in 0..total {
        for (i, s) in state.iter_mut().enumerate() {
            *s += p.ark[round * w + i];
        }
        if round < half || round >= half + p.partial_rounds {
            for s in state.iter_mut() {
                *s = sbox(s)?;
            }
        } else {
            state[0] = sbox(&state[0])?;
            let k = round - half + 1;
            if k.is_multiple_of(MATERIALISE_EVERY) && k != p.partial_rounds {
                for lane in state.iter_mut().skip(1) {
                    *lane = materialise(lane)?;
                }
            }
        }
        let mut next = Vec::with_capacity(w);
        for row in &p.mds {
            let mut acc = FrVar::zero();
            for (s, m) in state.iter().zip(row) {
                acc += s * *m;
            }
            next.push(acc);
        }
        state = next;
    }
    Ok(state.swap_remove(0))
}

/// `H_tag(inputs)` in-circuit.
pub fn poseidon_tagged_var(tag: &str, inputs: &[FrVar]) -> Result<FrVar, SynthesisError> {
    poseidon_var(tag_element(tag), inputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_r1cs_std::{alloc::AllocVar, GR1CSVar};
    use ark_relations::gr1cs::ConstraintSystem;
    use sero_crypto::poseidon::{hash_tagged, tags};

    #[test]
    fn matches_native_and_counts() {
        for n in 1..=6usize {
            let cs = ConstraintSystem::<Base>::new_ref();
            let inputs: Vec<Base> = (0..n as u64).map(|i| Base::from(i * 7 + 1)).collect();
            let vars: Vec<FrVar> = inputs
                .iter()
                .map(|x| FrVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
                .collect();
            let h = poseidon_tagged_var(tags::NOTE, &vars).unwrap();
            assert_eq!(h.value().unwrap(), hash_tagged(tags::NOTE, &inputs));
            assert!(cs.is_satisfied().unwrap());
            let p = parameters(n);
            // The capacity lane is a constant in the first round: its S-box
            // costs nothing. Materialising adds one constraint per linear lane.
            let materialised = (p.partial_rounds - 1) / MATERIALISE_EVERY * (p.width - 1);
            assert_eq!(
                cs.num_constraints(),
                3 * (p.full_rounds * p.width + p.partial_rounds) - 3 + materialised,
                "width {}",
                n + 1
            );
        }
    }
}
