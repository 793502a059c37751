//! Witnessing integers and scalars as bits, with canonical-range checks.

use super::FrVar;
use ark_ff::{BigInteger, Field, PrimeField};
use ark_r1cs_std::{alloc::AllocVar, boolean::Boolean};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use sero_crypto::{Base, Scalar};

/// Number of bits of the subgroup order ℓ.
pub const SCALAR_BITS: usize = 251;

/// Witnesses the `n` low bits of `value` (little-endian).
pub fn witness_bits(
    cs: ConstraintSystemRef<Base>,
    bits: impl FnOnce() -> Vec<bool>,
    n: usize,
) -> Result<Vec<Boolean<Base>>, SynthesisError> {
    let values = if cs.is_in_setup_mode() {
        vec![false; n]
    } else {
        let mut v = bits();
        v.resize(n, false);
        v
    };
    values
        .into_iter()
        .map(|b| Boolean::new_witness(cs.clone(), || Ok(b)))
        .collect()
}

/// The little-endian bits of a scalar (251 of them).
pub fn scalar_bits(s: &Scalar) -> Vec<bool> {
    let mut bits = s.into_bigint().to_bits_le();
    bits.truncate(SCALAR_BITS);
    bits
}

/// Witnesses a scalar's 251 bits **and enforces that they encode an integer
/// below ℓ**, so that a key has exactly one in-circuit representation
/// (otherwise `zsk` and `zsk + ℓ` would open the same point but give two
/// nullifiers). Returns the bits and their value as a field element.
pub fn witness_canonical_scalar(
    cs: ConstraintSystemRef<Base>,
    bits: impl FnOnce() -> Vec<bool>,
) -> Result<(Vec<Boolean<Base>>, FrVar), SynthesisError> {
    let bits = witness_bits(cs, bits, SCALAR_BITS)?;
    let mut l_minus_one = Scalar::MODULUS;
    l_minus_one.sub_with_borrow(&1u64.into());
    enforce_le_constant(&bits, &l_minus_one.to_bits_le())?;
    let fe = Boolean::le_bits_to_fp(&bits)?;
    Ok((bits, fe))
}

/// Enforces `Σ bits[i]·2^i ≤ c` for boolean `bits` (already constrained)
/// and a constant `c` given by its little-endian bits, with **one
/// constraint per run of zeros** in `c`.
///
/// Scanning from the most significant bit, let `D_j` be the number of
/// positions, above the `j`-th run of zeros of `c`, where `c` has a one and
/// the value a zero: an integer in `[0, bits.len()]`, a linear combination
/// of the bits. `D_j = 0` says the value agrees with `c` on every one above
/// the run, so (by induction over the earlier runs) on every bit above it;
/// then the value's bits in the run must all be zero. The constraint
/// `w_j · D_j = Σ_run bits` with a free witness `w_j` says exactly that:
/// when `D_j = 0` the sum (of at most `bits.len()` booleans, so no
/// wrap-around) is zero; when `D_j ≠ 0` the prover takes `w_j = Σ/D_j`.
/// If the value exceeds `c`, its first differing bit is a one in a run of
/// zeros of `c` with `D_j = 0`, and that run's constraint fails.
///
/// Bits of the value above `c`'s length must be zero (one constraint).
pub fn enforce_le_constant(bits: &[Boolean<Base>], c: &[bool]) -> Result<(), SynthesisError> {
    use ark_r1cs_std::{eq::EqGadget, fields::FieldVar, GR1CSVar};
    let c_len = c.iter().rposition(|b| *b).map_or(0, |i| i + 1);
    let cs = bits.cs();
    let to_fp = |b: &Boolean<Base>| FrVar::from(b.clone());
    if bits.len() > c_len {
        let high: FrVar = bits[c_len..].iter().map(to_fp).sum();
        high.enforce_equal(&FrVar::zero())?;
    }
    // Deficit D (ones of c where the value has a zero) and the current run
    // of zeros, most significant first.
    let mut deficit = FrVar::zero();
    let mut run: Vec<&Boolean<Base>> = Vec::new();
    let flush = |deficit: &FrVar, run: &mut Vec<&Boolean<Base>>| -> Result<(), SynthesisError> {
        if run.is_empty() {
            return Ok(());
        }
        let sum: FrVar = run.iter().map(|b| to_fp(b)).sum();
        run.clear();
        let w = FrVar::new_witness(cs.clone(), || {
            let (d, s) = (deficit.value()?, sum.value()?);
            Ok(d.inverse().map_or(Base::from(0u64), |inv| s * inv))
        })?;
        w.mul_equals(deficit, &sum)
    };
    // Positions beyond the value's bits are zeros of the value.
    let zero = Boolean::FALSE;
    for i in (0..c_len).rev() {
        let bit = bits.get(i).unwrap_or(&zero);
        if c[i] {
            flush(&deficit, &mut run)?;
            deficit += FrVar::one() - to_fp(bit);
        } else {
            run.push(bit);
        }
    }
    flush(&deficit, &mut run)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_r1cs_std::GR1CSVar;
    use ark_relations::gr1cs::ConstraintSystem;

    #[test]
    fn canonical_scalar_range() {
        let ok = -Scalar::from(1u64); // ℓ − 1
        let cs = ConstraintSystem::<Base>::new_ref();
        let (_, fe) = witness_canonical_scalar(cs.clone(), || scalar_bits(&ok)).unwrap();
        assert!(cs.is_satisfied().unwrap());
        assert_eq!(fe.value().unwrap(), crate::note::scalar_to_base(&ok));
        // ℓ itself (the bits of ℓ) and ℓ + 5 are refused.
        for extra in [0u64, 5] {
            let mut big = Scalar::MODULUS;
            big.add_with_carry(&extra.into());
            let bits: Vec<bool> = big.to_bits_le().into_iter().take(SCALAR_BITS).collect();
            let cs = ConstraintSystem::<Base>::new_ref();
            let _ = witness_canonical_scalar(cs.clone(), || bits).unwrap();
            assert!(!cs.is_satisfied().unwrap(), "ℓ + {extra} accepted");
        }
    }

    fn le_check(value: u64, n: usize, c: u64, tamper: Option<u64>) -> bool {
        let cs = ConstraintSystem::<Base>::new_ref();
        let bits = witness_bits(
            cs.clone(),
            || (0..n).map(|i| (value >> i) & 1 == 1).collect(),
            n,
        )
        .unwrap();
        let from = cs.num_witness_variables();
        let c_bits: Vec<bool> = (0..64).map(|i| (c >> i) & 1 == 1).collect();
        enforce_le_constant(&bits, &c_bits).unwrap();
        if let Some(seed) = tamper {
            // Any choice of the free witnesses w_j (combinations inlined
            // and their cached values dropped, so that the check reads the
            // new values).
            cs.finalize();
            let mut inner = cs.borrow_mut().unwrap();
            for (k, w) in inner.assignments.witness_assignment[from..]
                .iter_mut()
                .enumerate()
            {
                *w = Base::from(seed.wrapping_mul(k as u64 + 1) ^ 0x5eed);
            }
            inner.assignments.lc_assignment.clear();
        }
        cs.is_satisfied().unwrap()
    }

    #[test]
    fn le_constant_exhaustive_small() {
        // Every 7-bit value against every constant below 2⁷ (and constants
        // shorter than the value, whose top bits must then be zero); 5-bit
        // values against longer constants.
        for c in 0..128u64 {
            for v in 0..32u64 {
                assert_eq!(le_check(v, 5, c, None), v <= c, "{v} ≤ {c} (5 bits)");
            }
            for v in 0..128u64 {
                assert_eq!(le_check(v, 7, c, None), v <= c, "{v} ≤ {c}");
                if v > c {
                    // No choice of the free witnesses rescues a value above c.
                    for seed in [1u64, 2, 0xdead_beef] {
                        assert!(!le_check(v, 7, c, Some(seed)), "{v} ≤ {c} with w {seed}");
                    }
                }
            }
        }
    }

    #[test]
    fn le_constant_costs_one_constraint_per_run_of_zeros() {
        let mut l_minus_one = Scalar::MODULUS;
        l_minus_one.sub_with_borrow(&1u64.into());
        let c = l_minus_one.to_bits_le();
        let runs = (0..SCALAR_BITS)
            .filter(|&i| !c[i] && (i + 1 == SCALAR_BITS || c[i + 1]))
            .count();
        let cs = ConstraintSystem::<Base>::new_ref();
        let bits =
            witness_bits(cs.clone(), || scalar_bits(&Scalar::from(5u64)), SCALAR_BITS).unwrap();
        let before = cs.num_constraints();
        enforce_le_constant(&bits, &c).unwrap();
        let ours = cs.num_constraints() - before;
        assert_eq!(ours, runs);
        let before = cs.num_constraints();
        Boolean::enforce_smaller_or_equal_than_le(&bits, l_minus_one).unwrap();
        let arkworks = cs.num_constraints() - before;
        assert!(cs.is_satisfied().unwrap());
        assert!(ours * 3 < arkworks, "{ours} vs arkworks' {arkworks}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn prop_canonical_scalar_iff_below_l(limbs in proptest::prelude::any::<[u64; 4]>(), near in proptest::prelude::any::<bool>(), delta in 0u64..1000) {
            // Uniform 251-bit strings and strings within ±1000 of ℓ.
            let mut v = ark_ff::BigInt::<4>(limbs);
            v.0[3] &= (1u64 << (SCALAR_BITS - 192)) - 1;
            if near {
                v = Scalar::MODULUS;
                if limbs[0] & 1 == 0 {
                    v.add_with_carry(&delta.into());
                } else {
                    v.sub_with_borrow(&delta.into());
                }
            }
            let bits: Vec<bool> = v.to_bits_le().into_iter().take(SCALAR_BITS).collect();
            let cs = ConstraintSystem::<Base>::new_ref();
            let _ = witness_canonical_scalar(cs.clone(), || bits).unwrap();
            proptest::prop_assert_eq!(cs.is_satisfied().unwrap(), v < Scalar::MODULUS);
        }
    }
}
