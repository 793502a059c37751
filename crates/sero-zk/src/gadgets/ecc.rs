//! Curve gadgets: witnessing points and fixed-base multiplication.

use super::{FrVar, PointVar};
use ark_ec::AdditiveGroup;
use ark_r1cs_std::{alloc::AllocVar, boolean::Boolean, groups::CurveVar};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use sero_crypto::{Base, Point, PointProj};

/// Witnesses a point's coordinates without any check. Only for points whose
/// validity is implied by a hash the circuit checks (e.g. the fields of a
/// note bound by its commitment).
pub fn witness_point_unchecked(
    cs: ConstraintSystemRef<Base>,
    p: impl FnOnce() -> Point,
) -> Result<PointVar, SynthesisError> {
    let (x, y) = if cs.is_in_setup_mode() {
        (Base::from(0u64), Base::from(1u64))
    } else {
        let p = p();
        (p.x, p.y)
    };
    Ok(PointVar::new(
        FrVar::new_witness(cs.clone(), || Ok(x))?,
        FrVar::new_witness(cs, || Ok(y))?,
    ))
}

/// `[bits]·base` for a constant base: 2-bit windows over the precomputed
/// powers `2^i·base` (about 4 constraints per bit).
pub fn fixed_base_mul(base: &Point, bits: &[Boolean<Base>]) -> Result<PointVar, SynthesisError> {
    let mut powers = Vec::with_capacity(bits.len());
    let mut acc = PointProj::from(*base);
    for _ in 0..bits.len() {
        powers.push(acc);
        acc.double_in_place();
    }
    let mut result = PointVar::zero();
    result.precomputed_base_scalar_mul_le(bits.iter().zip(powers.iter()))?;
    Ok(result)
}

/// `[bits]·base` for a variable base (bits little-endian): 2-bit windows
/// over the table `[O, P, 2P, 3P]`, most significant window first. Per
/// window: two doublings (5 constraints each), a 4-way selection (6) and
/// one complete addition (6) — about 11 constraints per bit instead of
/// double-and-add's 13. Twisted Edwards addition on Baby Jubjub is complete
/// (a square, d non-square), so no input is exceptional.
pub fn variable_base_mul(
    base: &PointVar,
    bits: &[Boolean<Base>],
) -> Result<PointVar, SynthesisError> {
    use ark_r1cs_std::select::CondSelectGadget;
    let p2 = base.double()?;
    let p3 = &p2 + base;
    let table = [PointVar::zero(), base.clone(), p2, p3];
    let mut acc = PointVar::zero();
    let n = bits.len().div_ceil(2);
    for w in (0..n).rev() {
        acc.double_in_place()?;
        acc.double_in_place()?;
        let lo = bits[2 * w].clone();
        let hi = bits.get(2 * w + 1).cloned().unwrap_or(Boolean::FALSE);
        // Position bits for the selection tree, most significant first.
        let chosen = PointVar::conditionally_select_power_of_two_vector(&[hi, lo], &table)?;
        acc += chosen;
    }
    Ok(acc)
}

/// Enforces `a == b` coordinate-wise.
pub fn enforce_point_equal(a: &PointVar, b: &PointVar) -> Result<(), SynthesisError> {
    use ark_r1cs_std::eq::EqGadget;
    a.x.enforce_equal(&b.x)?;
    a.y.enforce_equal(&b.y)
}

/// The affine value of a point variable (for tests and hints). Does not
/// assume the point is on the curve (a cheating witness may not be).
pub fn point_value(p: &PointVar) -> Result<Point, SynthesisError> {
    use ark_r1cs_std::GR1CSVar;
    Ok(Point::new_unchecked(p.x.value()?, p.y.value()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gadgets::bits::{scalar_bits, witness_bits};
    use ark_ff::UniformRand;
    use ark_relations::gr1cs::ConstraintSystem;
    use rand::SeedableRng;
    use sero_crypto::curve::{generator, mul};
    use sero_crypto::Scalar;

    #[test]
    fn variable_base_matches_native_and_is_cheaper() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let mut scalars: Vec<Scalar> = (0..4).map(|_| Scalar::rand(&mut rng)).collect();
        scalars.extend([
            Scalar::from(0u64),
            Scalar::from(1u64),
            -Scalar::from(1u64),
            Scalar::from(3u64),
        ]);
        for s in scalars {
            let p = mul(&generator(), &Scalar::rand(&mut rng));
            let cs = ConstraintSystem::<Base>::new_ref();
            let pv = witness_point_unchecked(cs.clone(), || p).unwrap();
            let bits = witness_bits(cs.clone(), || scalar_bits(&s), 251).unwrap();
            let before = cs.num_constraints();
            let r = variable_base_mul(&pv, &bits).unwrap();
            let cost = cs.num_constraints() - before;
            assert_eq!(point_value(&r).unwrap(), mul(&p, &s));
            assert!(cs.is_satisfied().unwrap());
            let r2 = pv.scalar_mul_le(bits.iter()).unwrap();
            let cost2 = cs.num_constraints() - before - cost;
            assert_eq!(point_value(&r2).unwrap(), mul(&p, &s));
            assert!(cost < cost2, "windowed {cost} vs double-and-add {cost2}");
        }
        // Odd bit counts (the 128-bit value uses an even count, keys 251).
        let cs = ConstraintSystem::<Base>::new_ref();
        let p = generator();
        let pv = witness_point_unchecked(cs.clone(), || p).unwrap();
        let bits = witness_bits(cs.clone(), || vec![true, false, true], 3).unwrap();
        let r = variable_base_mul(&pv, &bits).unwrap();
        assert_eq!(point_value(&r).unwrap(), mul(&p, &Scalar::from(5u64)));
    }

    #[test]
    fn fixed_base_matches_native() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2);
        for _ in 0..4 {
            let s = Scalar::rand(&mut rng);
            let cs = ConstraintSystem::<Base>::new_ref();
            let bits = witness_bits(cs.clone(), || scalar_bits(&s), 251).unwrap();
            let p = fixed_base_mul(&generator(), &bits).unwrap();
            assert_eq!(point_value(&p).unwrap(), mul(&generator(), &s));
            assert!(cs.is_satisfied().unwrap());
        }
    }
}
