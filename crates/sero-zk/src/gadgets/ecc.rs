//! Curve gadgets: witnessing points, fixed- and variable-base multiplication.

use super::{FrVar, PointVar};
use ark_ec::{AdditiveGroup, CurveGroup};
use ark_r1cs_std::{alloc::AllocVar, boolean::Boolean, fields::FieldVar, groups::CurveVar};
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

/// `[bits]·base` for a constant base (bits little-endian): 3-bit windows,
/// as Sapling's fixed-base multiplication. Window `w` looks up
/// `k·8^w·base` (`k ∈ 0..8`, the identity included) in a constant table with
/// [`lookup3_xy`] (3 constraints), and the windows' points are summed with
/// complete Edwards additions (6 constraints each; the first window needs
/// none): about 3 constraints per bit instead of the 2-bit windows' 4.
pub fn fixed_base_mul(base: &Point, bits: &[Boolean<Base>]) -> Result<PointVar, SynthesisError> {
    let mut acc: Option<PointVar> = None;
    let mut window_base = PointProj::from(*base);
    for chunk in bits.chunks(3) {
        let bit = |i: usize| chunk.get(i).cloned().unwrap_or(Boolean::FALSE);
        let mut multiples = Vec::with_capacity(8);
        let mut m = PointProj::ZERO;
        for _ in 0..8 {
            multiples.push(m);
            m += window_base;
        }
        let table = PointProj::normalize_batch(&multiples);
        let p = lookup3_xy(&[bit(0), bit(1), bit(2)], &table)?;
        acc = Some(match acc {
            None => p,
            Some(a) => a + p,
        });
        for _ in 0..3 {
            window_base.double_in_place();
        }
    }
    Ok(acc.unwrap_or_else(PointVar::zero))
}

/// `table[b0 + 2·b1 + 4·b2]` for a constant 8-entry table and boolean bits
/// (Sapling's `lookup3_xy`): one constraint for `p = b1·b2`, then per
/// coordinate `r = A + b0·B` with `A`, `B` linear in `b1`, `b2`, `p` — one
/// constraint each, 3 in all. With boolean bits the multilinear form equals
/// the table entry exactly (see the tests: every index, and a tampered
/// result is refused).
pub fn lookup3_xy(bits: &[Boolean<Base>; 3], table: &[Point]) -> Result<PointVar, SynthesisError> {
    assert_eq!(table.len(), 8);
    let [b0, b1, b2] = bits;
    let p = b1 & b2;
    let fp = |b: &Boolean<Base>| FrVar::from(b.clone());
    let (f0, f1, f2, f12) = (fp(b0), fp(b1), fp(b2), fp(&p));
    let coord = |c: [Base; 8]| -> Result<FrVar, SynthesisError> {
        let a = FrVar::constant(c[0])
            + &f1 * (c[2] - c[0])
            + &f2 * (c[4] - c[0])
            + &f12 * (c[6] - c[4] - c[2] + c[0]);
        let b = FrVar::constant(c[1] - c[0])
            + &f1 * (c[3] - c[2] - c[1] + c[0])
            + &f2 * (c[5] - c[4] - c[1] + c[0])
            + &f12 * (c[7] - c[6] - c[5] + c[4] - c[3] + c[2] + c[1] - c[0]);
        Ok(a + &f0 * &b)
    };
    let xs: [Base; 8] = std::array::from_fn(|k| table[k].x);
    let ys: [Base; 8] = std::array::from_fn(|k| table[k].y);
    Ok(PointVar::new(coord(xs)?, coord(ys)?))
}

/// `[bits]·base` for a variable base (bits little-endian), with signed
/// 2-bit digits. Write `s = b₀ + 2·s'`; the windows `v = lo + 2·hi` of `s'`
/// are read as the odd digits `d = 2v − 3 ∈ {−3, −1, 1, 3}`, so that with
/// the accumulator started at `P`, `4ⁿ·P + Σ dᵢ·4ⁱ·P = (2s' + 1)·P`. A digit's
/// point `±P` or `±3P` costs 4 constraints (`x = −x₃ + lo·(x₃ − x₁) +
/// hi·(x₁ + x₃)`, `y = y₃ + (y₁ − y₃)·(lo ⊕ hi)`; negation is `x ↦ −x`)
/// instead of the 6 of a 4-way selection over `[O, P, 2P, 3P]`. Per window:
/// two doublings (5 each), the digit (4), one complete addition (6) —
/// 10 constraints per bit. The end: `s·P = b₀ ? (2s'+1)·P : (2s'+1)·P − P`
/// (one addition and a selection). Twisted Edwards addition and doubling
/// on Baby Jubjub are complete (`a` a square, `d` a non-square), so no
/// input is exceptional and the result is `s·P` for every point `P` of the
/// curve and every bit string.
pub fn variable_base_mul(
    base: &PointVar,
    bits: &[Boolean<Base>],
) -> Result<PointVar, SynthesisError> {
    let Some((b0, rest)) = bits.split_first() else {
        return Ok(PointVar::zero());
    };
    let p2 = base.double()?;
    let p3 = &p2 + base;
    let (x1, y1, x3, y3) = (&base.x, &base.y, &p3.x, &p3.y);
    let dx = x3 - x1;
    let sx = x1 + x3;
    let dy = y1 - y3;
    let n = rest.len().div_ceil(2);
    let mut acc = base.clone();
    for w in (0..n).rev() {
        let lo = FrVar::from(rest[2 * w].clone());
        let hi = FrVar::from(rest.get(2 * w + 1).cloned().unwrap_or(Boolean::FALSE));
        let x = &hi * &sx + &lo * &dx - x3;
        let r = &lo * &dy;
        let y = &hi * (&dy - r.double()?) + r + y3;
        if w == n - 1 {
            acc = p2.double()?;
        } else {
            acc.double_in_place()?;
            acc.double_in_place()?;
        }
        acc += PointVar::new(x, y);
    }
    // acc = (2s' + 1)·P.
    let minus = &acc + PointVar::new(base.x.negate()?, base.y.clone());
    b0.select(&acc, &minus)
}

/// `[bits]·base` for a variable base (bits little-endian): unsigned 2-bit
/// windows over the table `[O, P, 2P, 3P]`, most significant window first. Per
/// window: two doublings (5 constraints each), a 4-way selection (6) and
/// one complete addition (6) — about 11 constraints per bit instead of
/// double-and-add's 13. Twisted Edwards addition on Baby Jubjub is complete
/// (a square, d non-square), so no input is exceptional.
///
/// 11 constraints per bit against [`variable_base_mul`]'s 10, but cheaper
/// to *prove* for a scalar with many leading zeros: the accumulator stays
/// the identity `(0, 1)` until the first non-zero window, and zero digits
/// add the identity, so those witnesses are 0 or 1, which arkworks' MSMs
/// take almost for free; with signed digits every witness is a full-size
/// field element. The output circuit's value (below 2¹²⁸, usually far
/// below) uses this one: with the signed digits the sample output proof
/// had 2,371 large witness values instead of 1,709 and took ≈ 20 % more
/// CPU time. Keys (uniform below ℓ) use [`variable_base_mul`].
pub fn variable_base_mul_unsigned(
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
    use ark_ff::{BigInteger, PrimeField};
    use ark_r1cs_std::GR1CSVar;
    use ark_relations::gr1cs::{ConstraintSystem, ConstraintSystemRef};
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

    /// Adds `delta` to one witness value. The linear combinations are
    /// inlined and their cached values dropped, so that the check
    /// re-evaluates every constraint from the changed witness.
    pub(crate) fn tamper_witness(cs: &ConstraintSystemRef<Base>, index: usize, delta: Base) {
        cs.finalize();
        let mut inner = cs.borrow_mut().unwrap();
        inner.assignments.witness_assignment[index] += delta;
        inner.assignments.lc_assignment.clear();
    }

    #[test]
    fn variable_base_small_scalars_exhaustive() {
        // Every scalar of 1 to 7 bits (odd and even counts, the lone low
        // bit, padded top windows) against native multiplication.
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        let p = mul(&generator(), &Scalar::rand(&mut rng));
        for n in 1..=7usize {
            for s in 0..(1u64 << n) {
                let cs = ConstraintSystem::<Base>::new_ref();
                let pv = witness_point_unchecked(cs.clone(), || p).unwrap();
                let bits = witness_bits(
                    cs.clone(),
                    || (0..n).map(|i| (s >> i) & 1 == 1).collect(),
                    n,
                )
                .unwrap();
                let r = variable_base_mul(&pv, &bits).unwrap();
                let u = variable_base_mul_unsigned(&pv, &bits).unwrap();
                assert!(cs.is_satisfied().unwrap());
                assert_eq!(point_value(&u).unwrap(), mul(&p, &Scalar::from(s)));
                assert_eq!(
                    point_value(&r).unwrap(),
                    mul(&p, &Scalar::from(s)),
                    "{s} ({n} bits)"
                );
            }
        }
    }

    #[test]
    fn variable_base_non_canonical_bits_and_edge_scalars() {
        // The gadget computes Σ bᵢ·2ⁱ·P for any bit string, ≥ ℓ included
        // (the canonical check is the caller's, `bits::witness_canonical_scalar`).
        let p = mul(&generator(), &Scalar::from(12345u64));
        let mut big = Scalar::MODULUS;
        big.add_with_carry(&7u64.into()); // ℓ + 7 < 2²⁵¹
        let cases: Vec<(Vec<bool>, Scalar)> = vec![
            (big.to_bits_le()[..251].to_vec(), Scalar::from(7u64)),
            (vec![true; 251], {
                let mut all = Scalar::from(0u64);
                for _ in 0..251 {
                    all = all.double() + Scalar::from(1u64);
                }
                all
            }),
            (scalar_bits(&-Scalar::from(1u64)), -Scalar::from(1u64)),
            (vec![false; 251], Scalar::from(0u64)),
        ];
        for (bits, s) in cases {
            let cs = ConstraintSystem::<Base>::new_ref();
            let pv = witness_point_unchecked(cs.clone(), || p).unwrap();
            let b = witness_bits(cs.clone(), || bits, 251).unwrap();
            let r = variable_base_mul(&pv, &b).unwrap();
            assert!(cs.is_satisfied().unwrap());
            assert_eq!(point_value(&r).unwrap(), mul(&p, &s));
        }
    }

    #[test]
    fn variable_base_tampered_witness_is_refused() {
        // Every witness the gadget allocates is pinned by a constraint:
        // changing any one (a digit coordinate, a doubling, an addition,
        // the final selection) leaves the system unsatisfied.
        let p = mul(&generator(), &Scalar::from(99u64));
        let s = Scalar::from(0x2d_u64);
        let cs = ConstraintSystem::<Base>::new_ref();
        let pv = witness_point_unchecked(cs.clone(), || p).unwrap();
        let bits = witness_bits(cs.clone(), || scalar_bits(&s), 8).unwrap();
        let from = cs.num_witness_variables();
        let _ = variable_base_mul(&pv, &bits).unwrap();
        let to = cs.num_witness_variables();
        assert!(to > from);
        for i in from..to {
            let copy = ConstraintSystem::<Base>::new_ref();
            let pv = witness_point_unchecked(copy.clone(), || p).unwrap();
            let bits = witness_bits(copy.clone(), || scalar_bits(&s), 8).unwrap();
            let _ = variable_base_mul(&pv, &bits).unwrap();
            assert!(copy.is_satisfied().unwrap());
            tamper_witness(&copy, i, Base::from(1u64));
            assert!(
                !copy.is_satisfied().unwrap(),
                "witness {i} of {from}..{to} is free"
            );
        }
    }

    #[test]
    fn lookup3_every_index_and_tampered_entry() {
        let table: Vec<Point> = (0..8u64)
            .map(|k| mul(&generator(), &Scalar::from(k * 1000 + 3)))
            .collect();
        for k in 0..8usize {
            let cs = ConstraintSystem::<Base>::new_ref();
            let bits = witness_bits(
                cs.clone(),
                || (0..3).map(|i| (k >> i) & 1 == 1).collect(),
                3,
            )
            .unwrap();
            let before = cs.num_constraints();
            let r =
                lookup3_xy(&[bits[0].clone(), bits[1].clone(), bits[2].clone()], &table).unwrap();
            assert_eq!(cs.num_constraints() - before, 3);
            assert!(cs.is_satisfied().unwrap());
            assert_eq!(point_value(&r).unwrap(), table[k]);
            // A prover claiming another entry (or any other value) for
            // either coordinate is refused.
            let n = cs.num_witness_variables();
            for (i, other) in [(n - 2, table[(k + 1) % 8].x), (n - 1, table[(k + 3) % 8].y)] {
                let copy = ConstraintSystem::<Base>::new_ref();
                let bits = witness_bits(
                    copy.clone(),
                    || (0..3).map(|i| (k >> i) & 1 == 1).collect(),
                    3,
                )
                .unwrap();
                let r = lookup3_xy(&[bits[0].clone(), bits[1].clone(), bits[2].clone()], &table)
                    .unwrap();
                let honest = copy.borrow().unwrap().assignments.witness_assignment[i];
                let coord = if i == n - 2 {
                    r.x.value().unwrap()
                } else {
                    r.y.value().unwrap()
                };
                tamper_witness(&copy, i, other - coord);
                assert_ne!(
                    honest,
                    copy.borrow().unwrap().assignments.witness_assignment[i]
                );
                assert!(
                    !copy.is_satisfied().unwrap(),
                    "entry {k}: tampered witness {i}"
                );
            }
        }
    }

    #[test]
    fn lookup3_non_boolean_bit_is_refused() {
        // Booleanity is what makes the multilinear form a table lookup:
        // with b0 = 2 the form would give 2·B + A, a point off the table.
        let table: Vec<Point> = (0..8u64)
            .map(|k| mul(&generator(), &Scalar::from(k + 1)))
            .collect();
        let cs = ConstraintSystem::<Base>::new_ref();
        let bits = witness_bits(cs.clone(), || vec![true, false, true], 3).unwrap();
        let _ = lookup3_xy(&[bits[0].clone(), bits[1].clone(), bits[2].clone()], &table).unwrap();
        assert!(cs.is_satisfied().unwrap());
        // bits[0] is the first witness allocated.
        tamper_witness(&cs, 0, Base::from(1u64));
        assert!(!cs.is_satisfied().unwrap());
    }

    #[test]
    fn fixed_base_cost_and_edge_scalars() {
        let g = generator();
        for (bits, s) in [
            (vec![false; 251], Scalar::from(0u64)),
            (scalar_bits(&-Scalar::from(1u64)), -Scalar::from(1u64)),
            (vec![true, true], Scalar::from(3u64)),
        ] {
            let n = bits.len();
            let cs = ConstraintSystem::<Base>::new_ref();
            let b = witness_bits(cs.clone(), || bits, n).unwrap();
            let before = cs.num_constraints();
            let p = fixed_base_mul(&g, &b).unwrap();
            let cost = cs.num_constraints() - before;
            assert!(cs.is_satisfied().unwrap());
            assert_eq!(point_value(&p).unwrap(), mul(&g, &s));
            let windows = n.div_ceil(3);
            assert!(cost <= 3 * windows + 6 * (windows - 1), "{cost}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        #[test]
        fn prop_scalar_muls_match_native(seed in proptest::prelude::any::<u64>(), len in 1usize..=251) {
            let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
            let p = mul(&generator(), &Scalar::rand(&mut rng));
            let bits: Vec<bool> = (0..len).map(|_| rand::Rng::gen::<bool>(&mut rng)).collect();
            let mut s = Scalar::from(0u64);
            for b in bits.iter().rev() {
                s = s.double() + Scalar::from(*b as u64);
            }
            let cs = ConstraintSystem::<Base>::new_ref();
            let pv = witness_point_unchecked(cs.clone(), || p).unwrap();
            let b = witness_bits(cs.clone(), || bits, len).unwrap();
            let v = variable_base_mul(&pv, &b).unwrap();
            let u = variable_base_mul_unsigned(&pv, &b).unwrap();
            let f = fixed_base_mul(&p, &b).unwrap();
            proptest::prop_assert!(cs.is_satisfied().unwrap());
            proptest::prop_assert_eq!(point_value(&v).unwrap(), mul(&p, &s));
            proptest::prop_assert_eq!(point_value(&f).unwrap(), mul(&p, &s));
            proptest::prop_assert_eq!(point_value(&u).unwrap(), mul(&p, &s));
        }
    }
}
