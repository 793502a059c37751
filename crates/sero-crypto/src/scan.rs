//! Fast multiplication of many points by one fixed scalar — the inner loop of
//! wallet scanning, where `vsk` is fixed and every output brings a new
//! `ZPKr`. The scalar's width-5 NAF is computed once; each multiplication
//! then costs 251 doublings and about 42 additions, and the result stays in
//! projective form so that comparing it with an affine point needs no
//! inversion.

use crate::curve::{Point, PointProj, Scalar};
use ark_ec::{AdditiveGroup, AffineRepr};
use ark_ff::{BigInteger, PrimeField, Zero};

const WINDOW: usize = 5;

/// A scalar prepared for repeated variable-base multiplication.
#[derive(Clone, Debug)]
pub struct FixedScalar {
    /// wNAF digits, most significant first.
    digits: Vec<i8>,
}

impl FixedScalar {
    pub fn new(s: &Scalar) -> Self {
        let mut digits: Vec<i8> = s
            .into_bigint()
            .find_wnaf(WINDOW)
            .expect("window in range")
            .into_iter()
            .map(|d| d as i8)
            .collect();
        while digits.last() == Some(&0) {
            digits.pop();
        }
        digits.reverse();
        FixedScalar { digits }
    }

    /// `s·p` in projective form.
    pub fn mul(&self, p: &Point) -> PointProj {
        // Odd multiples p, 3p, .., 15p.
        let p1 = p.into_group();
        let p2 = p1 + p1;
        let mut table = [p1; 1 << (WINDOW - 2)];
        for i in 1..table.len() {
            table[i] = table[i - 1] + p2;
        }
        let mut acc = PointProj::zero();
        for &d in &self.digits {
            acc.double_in_place();
            if d > 0 {
                acc += table[(d as usize) >> 1];
            } else if d < 0 {
                acc -= table[((-d) as usize) >> 1];
            }
        }
        acc
    }

    /// True iff `s·p == q`, without an inversion.
    pub fn mul_eq(&self, p: &Point, q: &Point) -> bool {
        self.mul(p) == q.into_group()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::{generator, mul};
    use ark_ff::UniformRand;
    use rand::SeedableRng;

    #[test]
    fn matches_generic_multiplication() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        for _ in 0..32 {
            let s = Scalar::rand(&mut rng);
            let p = mul(&generator(), &Scalar::rand(&mut rng));
            let f = FixedScalar::new(&s);
            assert_eq!(f.mul(&p), p * s);
            assert!(f.mul_eq(&p, &mul(&p, &s)));
            assert!(!f.mul_eq(&p, &mul(&p, &(s + Scalar::from(1u64)))));
        }
        for s in [Scalar::zero(), Scalar::from(1u64), -Scalar::from(1u64)] {
            let p = generator();
            assert_eq!(FixedScalar::new(&s).mul(&p), p * s);
        }
    }
}
