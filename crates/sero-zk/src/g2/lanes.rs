//! The G2 membership check of [`super::is_in_g2`] on eight points at once,
//! one per 64-bit lane of AVX-512 IFMA vectors (the `Fq2` arithmetic of
//! [`crate::miller::ifma`]).
//!
//! The points come from outside and may lie outside G2, in a subgroup of
//! small order (the twist's cofactor has small prime factors), where a
//! double-and-add with the usual Jacobian formulas can meet an exceptional
//! case (`R = ±P`, `R = O`) and compute garbage. So every step uses the
//! *complete* projective formulas of Renes–Costello–Batina (eprint
//! 2015/1060, algorithms 7 and 9 for `a = 0`), complete on any curve
//! `y² = x³ + b` without points of order 2 — `E'(Fq2)` has odd order
//! `r·(2p − r)`. The scalar `x₀` is fixed, so every lane runs the same
//! instructions; the final comparison is projective
//! (`X₁Z₂ = X₂Z₁`, `Y₁Z₂ = Y₂Z₁`), which is exact also when one side or
//! both are the identity `(0 : λ : 0)`.

use super::{psi_coefficients, X0};
use crate::miller::ifma::{Consts, F2, T};
use ark_bn254::{Fq, G2Affine};
use ark_ec::AffineRepr;
use sero_crypto::ifma::{canonical, limbs_of, load, splat, store, Fe, Rows, LANES};

type P = [F2; 3];

/// Constants of the check in Montgomery form.
#[derive(Clone, Debug)]
pub(crate) struct Check {
    c: Consts,
    /// 3·b′.
    b3: [[u64; 5]; 2],
    /// ψ's coefficients.
    psi: [[[u64; 5]; 2]; 2],
}

impl Check {
    pub(crate) fn new() -> Self {
        let c = Consts::new();
        let m = T::modulus(&c);
        let b = <ark_bn254::g2::Config as ark_ec::short_weierstrass::SWCurveConfig>::COEFF_B;
        let b3 = b + b + b;
        let (c0, c1) = psi_coefficients();
        Check {
            b3: [m.mont(b3.c0), m.mont(b3.c1)],
            psi: [
                [m.mont(c0.c0), m.mont(c0.c1)],
                [m.mont(c1.c0), m.mont(c1.c1)],
            ],
            c,
        }
    }
}

struct G {
    t: T,
    b3: F2,
    psi: [F2; 2],
}

impl G {
    /// Algorithm 7 of eprint 2015/1060 (complete addition, a = 0), in Fq2.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn add(&self, p: &P, q: &P) -> P {
        let t = &self.t;
        let [x1, y1, z1] = p;
        let [x2, y2, z2] = q;
        let t0 = t.m2(x1, x2);
        let t1 = t.m2(y1, y2);
        let t2 = t.m2(z1, z2);
        let t3 = t.m2(&t.a2(x1, y1), &t.a2(x2, y2));
        let t3 = t.s2(&t3, &t.a2(&t0, &t1));
        let t4 = t.m2(&t.a2(y1, z1), &t.a2(y2, z2));
        let t4 = t.s2(&t4, &t.a2(&t1, &t2));
        let x3 = t.m2(&t.a2(x1, z1), &t.a2(x2, z2));
        let y3 = t.s2(&x3, &t.a2(&t0, &t2));
        let t0 = t.a2(&t.a2(&t0, &t0), &t0);
        let t2 = t.m2(&self.b3, &t2);
        let z3 = t.a2(&t1, &t2);
        let t1 = t.s2(&t1, &t2);
        let y3 = t.m2(&self.b3, &y3);
        let x3 = t.s2(&t.m2(&t3, &t1), &t.m2(&t4, &y3));
        let y3 = t.a2(&t.m2(&t1, &z3), &t.m2(&y3, &t0));
        let z3 = t.a2(&t.m2(&z3, &t4), &t.m2(&t0, &t3));
        [x3, y3, z3]
    }

    /// Algorithm 9 of eprint 2015/1060 (doubling, a = 0), in Fq2.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn double(&self, p: &P) -> P {
        let t = &self.t;
        let [x, y, z] = p;
        let t0 = t.q2(y);
        let z3 = t.a2(&t0, &t0);
        let z3 = t.a2(&z3, &z3);
        let z3 = t.a2(&z3, &z3);
        let t1 = t.m2(y, z);
        let t2 = t.m2(&self.b3, &t.q2(z));
        let x3 = t.m2(&t2, &z3);
        let y3 = t.a2(&t0, &t2);
        let z3 = t.m2(&t1, &z3);
        let t2 = t.a2(&t.a2(&t2, &t2), &t2);
        let t0 = t.s2(&t0, &t2);
        let y3 = t.a2(&x3, &t.m2(&t0, &y3));
        let t1 = t.m2(x, y);
        let x3 = t.m2(&t0, &t1);
        [t.a2(&x3, &x3), y3, z3]
    }

    /// ψ(X : Y : Z) = (X̄·c₀ : Ȳ·c₁ : Z̄).
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn psi(&self, p: &P) -> P {
        let t = &self.t;
        let conj = |a: &F2| -> F2 { [a[0], t.f.neg_r(&a[1])] };
        [
            t.m2(&conj(&p[0]), &self.psi[0]),
            t.m2(&conj(&p[1]), &self.psi[1]),
            conj(&p[2]),
        ]
    }
}

/// For up to eight points on the twist, whether each is in G2.
///
/// # Panics
/// If `points` is empty or longer than eight (a caller bug).
pub(crate) fn in_g2_lanes(c: &Check, points: &[G2Affine]) -> Vec<bool> {
    assert!(
        !points.is_empty() && points.len() <= LANES,
        "1 to 8 points per call"
    );
    let mut rows = [[[0u64; LANES]; 5]; 4];
    for lane in 0..LANES {
        let p = points.get(lane).unwrap_or(&points[0]);
        let (x, y) = if p.is_zero() {
            (Default::default(), Default::default())
        } else {
            (p.x, p.y)
        };
        for (row, v) in rows.iter_mut().zip([x.c0, x.c1, y.c0, y.c1]) {
            let l = limbs_of::<Fq>(v);
            for k in 0..5 {
                row[k][lane] = l[k];
            }
        }
    }
    assert!(sero_crypto::ifma::available(), "IFMA lanes on this CPU");
    // SAFETY: the CPU has avx512f, avx512vl and avx512ifma (checked above).
    let diffs = unsafe { run(c, &rows) };
    let p = &T::modulus(&c.c).p;
    points
        .iter()
        .enumerate()
        .map(|(lane, pt)| {
            // The identity is in G2 (it never comes from a decoder, which
            // refuses it, but the answer must be right).
            pt.is_zero()
                || diffs
                    .iter()
                    .all(|d| canonical(core::array::from_fn(|k| d[k][lane]), p) == [0; 5])
        })
        .collect()
}

/// The check on the lanes: returns the four `Fq` coordinates of
/// `(X_l·Z_r − X_r·Z_l, Y_l·Z_r − Y_r·Z_l)`, all zero iff the lane's point
/// is in G2.
///
/// # Safety
/// The CPU must support avx512f, avx512vl and avx512ifma.
#[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
unsafe fn run(c: &Check, rows: &[Rows; 4]) -> [Rows; 4] {
    let t = T::new(&c.c);
    let f = t.f;
    let g = G {
        t,
        b3: [splat(&c.b3[0]), splat(&c.b3[1])],
        psi: [
            [splat(&c.psi[0][0]), splat(&c.psi[0][1])],
            [splat(&c.psi[1][0]), splat(&c.psi[1][1])],
        ],
    };
    let m = T::modulus(&c.c);
    let r2 = splat(&m.r2);
    let v: [Fe; 4] = core::array::from_fn(|i| f.mul(&load(&rows[i]), &r2));
    let zero: Fe = [core::arch::x86_64::_mm512_setzero_si512(); 5];
    let one: F2 = [splat(&m.one), zero];
    let p: P = [[v[0], v[1]], [v[2], v[3]], one];
    // [x₀]P, left to right from below the top bit.
    let mut r = p;
    for i in (0..63 - X0.leading_zeros()).rev() {
        r = g.double(&r);
        if (X0 >> i) & 1 == 1 {
            r = g.add(&r, &p);
        }
    }
    let a = g.psi(&r);
    let b = g.psi(&a);
    let lhs = g.add(&g.add(&g.add(&r, &p), &a), &b);
    let rhs = g.double(&g.psi(&b));
    let dx = t.s2(&t.m2(&lhs[0], &rhs[2]), &t.m2(&rhs[0], &lhs[2]));
    let dy = t.s2(&t.m2(&lhs[1], &rhs[2]), &t.m2(&rhs[1], &lhs[2]));
    [store(&dx[0]), store(&dx[1]), store(&dy[0]), store(&dy[1])]
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fq2, Fr, G2Projective};
    use ark_ec::{CurveGroup, PrimeGroup};
    use ark_ff::{Field, PrimeField, UniformRand, Zero};
    use rand::SeedableRng;

    /// A point on the twist outside G2 (x from the RNG until y² = x³ + b′
    /// has a root; the twist's cofactor is large, so it is off G2 with
    /// overwhelming probability, which the test confirms with [r]P).
    fn off_g2(r: &mut rand_chacha::ChaCha20Rng) -> G2Affine {
        let b = <ark_bn254::g2::Config as ark_ec::short_weierstrass::SWCurveConfig>::COEFF_B;
        loop {
            let x = Fq2::rand(r);
            if let Some(y) = (x * x * x + b).sqrt() {
                let p = G2Affine::new_unchecked(x, y);
                if !p.mul_bigint(Fr::MODULUS).is_zero() {
                    return p;
                }
            }
        }
    }

    #[test]
    fn lanes_agree_with_the_scalar_check_and_the_order() {
        if !sero_crypto::ifma::available() {
            eprintln!("no AVX-512 IFMA on this CPU: lane G2 check not tested");
            return;
        }
        let c = Check::new();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(21);
        for round in 0..6 {
            let n = [1usize, 3, 8, 8, 5, 8][round];
            let points: Vec<G2Affine> = (0..n)
                .map(|i| match (i + round) % 4 {
                    0 => (G2Projective::generator() * Fr::rand(&mut rng)).into_affine(),
                    1 => off_g2(&mut rng),
                    // in G2 plus a point outside: outside
                    2 => (G2Projective::generator() * Fr::rand(&mut rng) + off_g2(&mut rng))
                        .into_affine(),
                    _ => G2Affine::generator(),
                })
                .collect();
            let got = in_g2_lanes(&c, &points);
            for (i, p) in points.iter().enumerate() {
                let by_order = p.mul_bigint(Fr::MODULUS).is_zero();
                assert_eq!(got[i], by_order, "lane {i}, round {round}");
                assert_eq!(got[i], super::super::is_in_g2(p), "lane {i}, round {round}");
            }
        }
    }

    #[test]
    fn points_of_small_order_are_refused() {
        if !sero_crypto::ifma::available() {
            return;
        }
        // [r]·P for P off G2 lies in the cofactor part (order dividing
        // 2p − r, which has small prime factors): the points on which
        // incomplete formulas meet R = ±P or R = O.
        let c = Check::new();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        let small = off_g2(&mut rng).mul_bigint(Fr::MODULUS).into_affine();
        // `small` = [r]P lies in the cofactor part: off G2 unless it is O.
        assert!(!small.is_zero());
        let got = in_g2_lanes(&c, &[small, G2Affine::generator(), small]);
        assert_eq!(got, vec![false, true, false]);
        assert!(!super::super::is_in_g2(&small));
    }
}
