//! Hash-to-curve onto Baby Jubjub's prime-order subgroup.
//!
//! `H2C(tag, m_1..m_k)`:
//! 1. `t = Poseidon_tag(m_1, .., m_k)` (circomlib parameters, the tag's
//!    field element as capacity, see [`crate::poseidon`]);
//! 2. Elligator 2 on the Montgomery form `B·v² = u³ + A·u² + u`
//!    (`A = 168698`, `B = 168700`) with the non-square `Z = 5`:
//!    `u1 = −A / (1 + Z·t²)`, `u2 = −u1 − A`; exactly one of `g(u1)`,
//!    `g(u2)` (with `g(u) = (u³ + A·u² + u)/B`) is a square because
//!    `g(u2)/g(u1) = Z·t²`; take that `u` and `v = √g(u)`, choosing the
//!    root whose canonical integer is even;
//! 3. map to the twisted Edwards form: `x = u/v`, `y = (u − 1)/(u + 1)`;
//! 4. clear the cofactor: `P = 8·(x, y)`; reject the identity.
//!
//! Every step is deterministic and cheap to re-check in R1CS (one Poseidon,
//! two inversions, one square-root witness, one parity bit, three
//! doublings), so circuits can derive asset generators from identifiers
//! instead of trusting a witnessed generator. As the output of a hash
//! modelled as a random oracle, no discrete-log relation between two
//! outputs is known.

use crate::curve::{mul_by_cofactor, Base, Point};
use crate::error::CryptoError;
use crate::poseidon;
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, Field, MontFp, One, PrimeField, Zero};

/// Montgomery coefficient A of Baby Jubjub.
pub const MONT_A: Base = MontFp!("168698");
/// Montgomery coefficient B of Baby Jubjub.
pub const MONT_B: Base = MontFp!("168700");
/// Elligator 2's non-square Z.
pub const ELLIGATOR_Z: Base = MontFp!("5");

/// Every intermediate value of one hash-to-curve, for circuit witnesses and
/// for test vectors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct H2cTrace {
    /// The Poseidon output.
    pub t: Base,
    /// False when `u = u1`, true when `u = u2`.
    pub second_branch: bool,
    /// The chosen Montgomery point.
    pub u: Base,
    pub v: Base,
    /// The Edwards point before cofactor clearing.
    pub pre: Point,
    /// The result, `8·pre`.
    pub point: Point,
}

fn g(u: Base) -> Base {
    // (u³ + A·u² + u) / B
    let u2 = u.square();
    (u2 * u + MONT_A * u2 + u) * MONT_B.inverse().expect("B != 0")
}

/// True iff the canonical integer of `f` is odd.
pub fn is_odd(f: &Base) -> bool {
    f.into_bigint().is_odd()
}

/// Maps a field element to the prime-order subgroup (steps 2–4).
pub fn map_to_curve(t: Base) -> Result<H2cTrace, CryptoError> {
    let den = Base::one() + ELLIGATOR_Z * t.square();
    // 1 + Z·t² = 0 has no solution: −1/Z is a non-square.
    let u1 = -MONT_A * den.inverse().ok_or(CryptoError::HashToCurve)?;
    let u2 = -u1 - MONT_A;
    let (second_branch, u, v) = match g(u1).sqrt() {
        Some(v) => (false, u1, v),
        None => (true, u2, g(u2).sqrt().ok_or(CryptoError::HashToCurve)?),
    };
    if v.is_zero() {
        return Err(CryptoError::HashToCurve);
    }
    let v = if is_odd(&v) { -v } else { v };
    let x = u * v.inverse().ok_or(CryptoError::HashToCurve)?;
    let y = (u - Base::one())
        * (u + Base::one())
            .inverse()
            .ok_or(CryptoError::HashToCurve)?;
    let pre = Point::new_unchecked(x, y);
    if !pre.is_on_curve() {
        return Err(CryptoError::HashToCurve);
    }
    let point = mul_by_cofactor(&pre);
    if point.is_zero() {
        return Err(CryptoError::HashToCurve);
    }
    Ok(H2cTrace {
        t,
        second_branch,
        u,
        v,
        pre,
        point,
    })
}

/// `H2C(tag, inputs)` with its trace.
pub fn hash_to_curve_trace(tag: &str, inputs: &[Base]) -> Result<H2cTrace, CryptoError> {
    map_to_curve(poseidon::hash_tagged(tag, inputs))
}

/// `H2C(tag, inputs)`.
pub fn hash_to_curve(tag: &str, inputs: &[Base]) -> Result<Point, CryptoError> {
    hash_to_curve_trace(tag, inputs).map(|t| t.point)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::is_in_subgroup;
    use ark_ff::UniformRand;
    use rand::SeedableRng;

    #[test]
    fn z_is_non_square_and_minus_one_is_square() {
        assert!(ELLIGATOR_Z.sqrt().is_none());
        assert!((-Base::one()).sqrt().is_some());
        let a_over_b_curve = MONT_A;
        let _ = a_over_b_curve;
    }

    #[test]
    fn outputs_in_subgroup_and_deterministic() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let mut branches = [0usize; 2];
        for _ in 0..64 {
            let t = Base::rand(&mut rng);
            let tr = map_to_curve(t).unwrap();
            assert!(tr.pre.is_on_curve());
            assert!(is_in_subgroup(&tr.point));
            assert!(!is_odd(&tr.v));
            assert_eq!(map_to_curve(t).unwrap(), tr);
            // B·v² = g-numerator
            assert_eq!(
                MONT_B * tr.v.square(),
                tr.u.square() * tr.u + MONT_A * tr.u.square() + tr.u
            );
            branches[tr.second_branch as usize] += 1;
        }
        assert!(branches[0] > 0 && branches[1] > 0, "both branches taken");
    }

    #[test]
    fn exactly_one_branch_is_square() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(4);
        for _ in 0..64 {
            let t = Base::rand(&mut rng);
            let den = Base::one() + ELLIGATOR_Z * t.square();
            let u1 = -MONT_A * den.inverse().unwrap();
            let u2 = -u1 - MONT_A;
            assert_ne!(g(u1).sqrt().is_some(), g(u2).sqrt().is_some());
        }
    }

    #[test]
    fn tags_separate() {
        let a = hash_to_curve("sero.h2c.token.v1", &[Base::from(1u64)]).unwrap();
        let b = hash_to_curve("sero.h2c.ticket.v1", &[Base::from(1u64)]).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn t_zero_is_exceptional() {
        // t = 0: u1 = −A, g(u1) = (−A³ + A³ − A)/B = −A/B; either way the
        // result must be a valid point or a clean error, never a panic.
        let _ = map_to_curve(Base::zero());
    }
}
