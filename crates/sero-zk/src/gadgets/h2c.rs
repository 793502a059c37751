//! Hash-to-curve in R1CS, mirroring `sero_crypto::h2c` step by step:
//!
//! 1. `t = H_tag(inputs)` (Poseidon gadget);
//! 2. `u₁ = −A·(1 + Z·t²)⁻¹`, `u₂ = −u₁ − A`, `u = branch ? u₂ : u₁`;
//! 3. witness `v` with `B·v² = u³ + A·u² + u` — satisfiable only for the
//!    branch whose `g(u)` is a square, and exactly one is, so the prover has
//!    no choice of branch; `v ≠ 0`; `v` even (strict bit decomposition), so
//!    the prover has no choice of sign (else `−G` would be available, the
//!    `(v, G) + (v, −G)` mint);
//! 4. `x = u/v`, `y = (u−1)/(u+1)`, then three doublings.
//!
//! About 520 constraints plus the Poseidon.

use super::poseidon::poseidon_tagged_var;
use super::{FrVar, PointVar};
use ark_ff::{Field, One};
use ark_r1cs_std::{
    alloc::AllocVar, boolean::Boolean, eq::EqGadget, fields::FieldVar, groups::CurveVar,
    prelude::ToBitsGadget, GR1CSVar,
};
use ark_relations::gr1cs::SynthesisError;
use sero_crypto::h2c::{map_to_curve, ELLIGATOR_Z, MONT_A, MONT_B};
use sero_crypto::Base;

/// The prover's hint for one hash-to-curve: which branch, and the root `v`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct H2cHint {
    pub second_branch: bool,
    pub v: Base,
}

impl H2cHint {
    /// The honest hint for a Poseidon output `t`.
    pub fn honest(t: Base) -> Result<Self, SynthesisError> {
        let tr = map_to_curve(t).map_err(|_| SynthesisError::Unsatisfiable)?;
        Ok(H2cHint {
            second_branch: tr.second_branch,
            v: tr.v,
        })
    }
}

/// A function from the Poseidon output `t` to the hint; honest provers use
/// [`H2cHint::honest`], tests substitute cheating ones.
pub type HintFn<'a> = &'a dyn Fn(Base) -> Result<H2cHint, SynthesisError>;

/// `H2C(tag, inputs)` in-circuit.
pub fn h2c_var(tag: &str, inputs: &[FrVar], hint: HintFn<'_>) -> Result<PointVar, SynthesisError> {
    let t = poseidon_tagged_var(tag, inputs)?;
    let cs = t.cs();
    let hint_value = || -> Result<H2cHint, SynthesisError> { hint(t.value()?) };
    let h = if cs.is_in_setup_mode() {
        None
    } else {
        Some(hint_value()?)
    };
    let branch = Boolean::new_witness(cs.clone(), || {
        h.map(|h| h.second_branch)
            .ok_or(SynthesisError::AssignmentMissing)
    })?;
    let v = FrVar::new_witness(cs.clone(), || {
        h.map(|h| h.v).ok_or(SynthesisError::AssignmentMissing)
    })?;

    // den = 1 + Z·t², never zero (−1/Z is a non-square).
    let den = t.square()? * ELLIGATOR_Z + Base::one();
    let den_inv = den.inverse()?;
    let u1 = den_inv * (-MONT_A);
    let u2 = u1.negate()? - MONT_A;
    let u = branch.select(&u2, &u1)?;

    // B·v² = u³ + A·u² + u
    let u_sq = u.square()?;
    let rhs = &u_sq * &u + &u_sq * MONT_A + &u;
    (v.square()? * MONT_B).enforce_equal(&rhs)?;

    // v ≠ 0 and v even.
    let v_inv = v.inverse()?;
    let v_bits = v.to_bits_le()?;
    v_bits[0].enforce_equal(&Boolean::FALSE)?;

    // Edwards coordinates; u + 1 ≠ 0 is implied by the inverse.
    let x = &u * &v_inv;
    let y = (&u - Base::ONE) * (&u + Base::ONE).inverse()?;
    let mut p = PointVar::new(x, y);
    for _ in 0..3 {
        p.double_in_place()?;
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gadgets::ecc::point_value;
    use ark_relations::gr1cs::ConstraintSystem;
    use sero_crypto::h2c::hash_to_curve;
    use sero_crypto::poseidon::tags;

    fn run(inputs: &[u64], hint: HintFn<'_>) -> (bool, Option<sero_crypto::Point>, usize) {
        let cs = ConstraintSystem::<Base>::new_ref();
        let vars: Vec<FrVar> = inputs
            .iter()
            .map(|x| FrVar::new_witness(cs.clone(), || Ok(Base::from(*x))).unwrap())
            .collect();
        let p = h2c_var(tags::H2C_TOKEN, &vars, hint).unwrap();
        (
            cs.is_satisfied().unwrap(),
            point_value(&p).ok(),
            cs.num_constraints(),
        )
    }

    #[test]
    fn honest_matches_native() {
        let mut branches = [false, false];
        for i in 0..8u64 {
            let inputs = [i, 1000 + i];
            let native = hash_to_curve(tags::H2C_TOKEN, &inputs.map(Base::from)).unwrap();
            let tr = map_to_curve(sero_crypto::poseidon::hash_tagged(
                tags::H2C_TOKEN,
                &inputs.map(Base::from),
            ))
            .unwrap();
            branches[tr.second_branch as usize] = true;
            let (ok, p, n) = run(&inputs, &H2cHint::honest);
            assert!(ok);
            assert_eq!(p.unwrap(), native);
            assert!(n < 1000, "h2c costs {n} constraints");
        }
        assert!(branches[0] && branches[1], "both branches exercised");
    }

    #[test]
    fn negated_root_is_unsatisfiable() {
        // The (v, G) + (v, −G) mint: the prover takes the other root.
        let cheat = |t: Base| {
            let h = H2cHint::honest(t)?;
            Ok(H2cHint { v: -h.v, ..h })
        };
        let (ok, p, _) = run(&[1, 2], &cheat);
        assert!(!ok);
        let native = hash_to_curve(tags::H2C_TOKEN, &[Base::from(1u64), Base::from(2u64)]).unwrap();
        assert_eq!(p.unwrap(), -native, "the cheat would have produced −G");
    }

    #[test]
    fn wrong_branch_is_unsatisfiable() {
        let cheat = |t: Base| {
            let h = H2cHint::honest(t)?;
            // Claim the other branch with any root: no v satisfies it.
            Ok(H2cHint {
                second_branch: !h.second_branch,
                ..h
            })
        };
        assert!(!run(&[3, 4], &cheat).0);
    }

    #[test]
    fn zero_root_is_unsatisfiable() {
        let cheat = |_t: Base| {
            Ok(H2cHint {
                second_branch: false,
                v: Base::from(0u64),
            })
        };
        assert!(!run(&[5, 6], &cheat).0);
    }
}
