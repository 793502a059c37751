//! The Miller loop of eight pairs at once, one pair per 64-bit lane of
//! AVX-512 IFMA vectors (field arithmetic from [`sero_crypto::ifma`]).
//!
//! Every lane runs arkworks' own formulas — the `G2` doubling and addition
//! steps of `G2Prepared` in homogeneous projective coordinates, the line
//! `(c₀·y_P, c₁·x_P, c₂)` multiplied in at positions 0, 3, 4, and the same
//! loop over `ATE_LOOP_COUNT` with the two Frobenius lines at the end — so
//! each lane's result is the very `Fq12` element that
//! `Bn254::multi_miller_loop` computes for that pair alone; the tests
//! compare them. Each lane keeps its own accumulator (its squarings cost
//! nothing extra: they run in the other lanes' slots), and the caller
//! multiplies the eight results.
//!
//! The tower is BN254's: `Fq2 = Fq[u]/(u² + 1)`, `Fq6 = Fq2[v]/(v³ − ξ)`
//! with `ξ = 9 + u`, `Fq12 = Fq6[w]/(w² − v)`. Every stored value is below
//! 2p (products, and the reducing additions [`Lanes::add_r`] and
//! [`Lanes::sub_r`]); the unreduced sums fed straight into a product stay
//! below 8p, as [`Lanes::mul`] requires.

use ark_bn254::{Config, Fq, Fq12, Fq2, Fq6, G1Affine, G2Affine};
use ark_ec::bn::BnConfig;
use ark_ec::short_weierstrass::SWCurveConfig;
use ark_ff::Field;
use sero_crypto::ifma::{field_of, limbs_of, load, splat, store, Fe, Lanes, Modulus, Rows, LANES};

pub(crate) type F2 = [Fe; 2];
type F6 = [F2; 3];
type F12 = [F6; 2];

/// Field constants for the lanes (Montgomery forms, R = 2^260).
#[derive(Clone, Debug)]
pub struct Consts {
    m: Modulus,
    two_inv: [u64; 5],
    nine: [u64; 5],
    /// The twist's `b' = 3/(9 + u)`.
    b2: [[u64; 5]; 2],
}

impl Consts {
    pub fn new() -> Self {
        let m = Modulus::of::<Fq>();
        let b = <ark_bn254::g2::Config as SWCurveConfig>::COEFF_B;
        Consts {
            two_inv: m.mont(Fq::from(2u64).inverse().expect("2 ≠ 0")),
            nine: m.mont(Fq::from(9u64)),
            b2: [m.mont(b.c0), m.mont(b.c1)],
            m,
        }
    }
}

impl Default for Consts {
    fn default() -> Self {
        Self::new()
    }
}

/// `q` multiplied by the field characteristic (arkworks' private
/// `mul_by_char`): the untwist-Frobenius-twist endomorphism.
fn mul_by_char(q: G2Affine) -> G2Affine {
    let mut s = q;
    s.x.frobenius_map_in_place(1);
    s.x *= &<Config as BnConfig>::TWIST_MUL_BY_Q_X;
    s.y.frobenius_map_in_place(1);
    s.y *= &<Config as BnConfig>::TWIST_MUL_BY_Q_Y;
    s
}

/// The Miller loops of up to eight pairs (neither point at infinity), one
/// per lane: `out[i]` is `Bn254::multi_miller_loop([pᵢ], [qᵢ])`.
///
/// # Panics
/// If `pairs` is empty or longer than eight (a caller bug).
pub fn miller_lanes(c: &Consts, pairs: &[(G1Affine, G2Affine)]) -> Vec<Fq12> {
    assert!(
        !pairs.is_empty() && pairs.len() <= LANES,
        "1 to 8 pairs per call"
    );
    // Inputs as limb rows; unused lanes repeat the first pair.
    let mut rows = [[[0u64; LANES]; 5]; 14];
    for lane in 0..LANES {
        let (p, q) = pairs.get(lane).unwrap_or(&pairs[0]);
        let q1 = mul_by_char(*q);
        let mut q2 = mul_by_char(q1);
        q2.y = -q2.y;
        let vals = [
            p.x, p.y, q.x.c0, q.x.c1, q.y.c0, q.y.c1, q1.x.c0, q1.x.c1, q1.y.c0, q1.y.c1, q2.x.c0,
            q2.x.c1, q2.y.c0, q2.y.c1,
        ];
        for (row, v) in rows.iter_mut().zip(vals) {
            let l = limbs_of(v);
            for k in 0..5 {
                row[k][lane] = l[k];
            }
        }
    }
    assert!(sero_crypto::ifma::available(), "IFMA lanes on this CPU");
    // SAFETY: the CPU has avx512f, avx512vl and avx512ifma (checked above).
    let out = unsafe { run(c, &rows) };
    let fq = |r: &Rows, lane: usize| -> Fq { field_of(core::array::from_fn(|k| r[k][lane])) };
    (0..pairs.len())
        .map(|lane| {
            let e = |i: usize| Fq2::new(fq(&out[2 * i], lane), fq(&out[2 * i + 1], lane));
            Fq12::new(Fq6::new(e(0), e(1), e(2)), Fq6::new(e(3), e(4), e(5)))
        })
        .collect()
}

/// The operations of the tower on eight lanes.
#[derive(Clone, Copy)]
pub(crate) struct T {
    pub(crate) f: Lanes,
    two_inv: Fe,
    nine: Fe,
    b2: F2,
}

impl T {
    /// The tower's operations with `c`'s constants.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    pub(crate) fn new(c: &Consts) -> T {
        T {
            f: Lanes::new(&c.m),
            two_inv: splat(&c.two_inv),
            nine: splat(&c.nine),
            b2: [splat(&c.b2[0]), splat(&c.b2[1])],
        }
    }

    /// The modulus's constants (to enter and leave Montgomery form).
    pub(crate) fn modulus(c: &Consts) -> &Modulus {
        &c.m
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    pub(crate) fn a2(&self, a: &F2, b: &F2) -> F2 {
        [self.f.add_r(&a[0], &b[0]), self.f.add_r(&a[1], &b[1])]
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    pub(crate) fn s2(&self, a: &F2, b: &F2) -> F2 {
        [self.f.sub_r(&a[0], &b[0]), self.f.sub_r(&a[1], &b[1])]
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    pub(crate) fn n2(&self, a: &F2) -> F2 {
        [self.f.neg_r(&a[0]), self.f.neg_r(&a[1])]
    }

    /// Karatsuba: 3 products.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    pub(crate) fn m2(&self, a: &F2, b: &F2) -> F2 {
        let f = &self.f;
        let v0 = f.mul(&a[0], &b[0]);
        let v1 = f.mul(&a[1], &b[1]);
        let s = f.mul(&f.add(&a[0], &a[1]), &f.add(&b[0], &b[1]));
        [f.sub_r(&v0, &v1), f.sub_r(&f.sub_r(&s, &v0), &v1)]
    }

    /// (a₀ + a₁)(a₀ − a₁) + 2a₀a₁·u: 2 products.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    pub(crate) fn q2(&self, a: &F2) -> F2 {
        let f = &self.f;
        let t = f.mul(&a[0], &a[1]);
        [
            f.mul(&f.add(&a[0], &a[1]), &f.sub(&a[0], &a[1])),
            f.add_r(&t, &t),
        ]
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    pub(crate) fn mfp(&self, a: &F2, s: &Fe) -> F2 {
        [self.f.mul(&a[0], s), self.f.mul(&a[1], s)]
    }

    /// ξ·a = (9a₀ − a₁) + (a₀ + 9a₁)·u.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn xi(&self, a: &F2) -> F2 {
        let f = &self.f;
        let t0 = f.mul(&a[0], &self.nine);
        let t1 = f.mul(&a[1], &self.nine);
        [f.sub_r(&t0, &a[1]), f.add_r(&a[0], &t1)]
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn a6(&self, a: &F6, b: &F6) -> F6 {
        [
            self.a2(&a[0], &b[0]),
            self.a2(&a[1], &b[1]),
            self.a2(&a[2], &b[2]),
        ]
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn s6(&self, a: &F6, b: &F6) -> F6 {
        [
            self.s2(&a[0], &b[0]),
            self.s2(&a[1], &b[1]),
            self.s2(&a[2], &b[2]),
        ]
    }

    /// v·a = ξa₂ + a₀v + a₁v².
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn v6(&self, a: &F6) -> F6 {
        [self.xi(&a[2]), a[0], a[1]]
    }

    /// Karatsuba over Fq2: 6 Fq2 products.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn m6(&self, a: &F6, b: &F6) -> F6 {
        let v0 = self.m2(&a[0], &b[0]);
        let v1 = self.m2(&a[1], &b[1]);
        let v2 = self.m2(&a[2], &b[2]);
        let t0 = self.m2(&self.a2(&a[1], &a[2]), &self.a2(&b[1], &b[2]));
        let t1 = self.m2(&self.a2(&a[0], &a[1]), &self.a2(&b[0], &b[1]));
        let t2 = self.m2(&self.a2(&a[0], &a[2]), &self.a2(&b[0], &b[2]));
        [
            self.a2(&v0, &self.xi(&self.s2(&self.s2(&t0, &v1), &v2))),
            self.a2(&self.s2(&self.s2(&t1, &v0), &v1), &self.xi(&v2)),
            self.a2(&self.s2(&self.s2(&t2, &v0), &v2), &v1),
        ]
    }

    /// a·(b₀ + b₁v): 5 Fq2 products.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn m6_01(&self, a: &F6, b0: &F2, b1: &F2) -> F6 {
        let v0 = self.m2(&a[0], b0);
        let v1 = self.m2(&a[1], b1);
        let t = self.m2(&self.a2(&a[0], &a[1]), &self.a2(b0, b1));
        [
            self.a2(&v0, &self.xi(&self.m2(&a[2], b1))),
            self.s2(&self.s2(&t, &v0), &v1),
            self.a2(&v1, &self.m2(&a[2], b0)),
        ]
    }

    /// a·s for s in Fq2.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn m6_2(&self, a: &F6, s: &F2) -> F6 {
        [self.m2(&a[0], s), self.m2(&a[1], s), self.m2(&a[2], s)]
    }

    /// (a + bw)² = (a + b)(a + vb) − ab − v·ab + 2ab·w.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn sq12(&self, x: &F12) -> F12 {
        let (a, b) = (&x[0], &x[1]);
        let ab = self.m6(a, b);
        let t = self.m6(&self.a6(a, b), &self.a6(a, &self.v6(b)));
        [self.s6(&self.s6(&t, &ab), &self.v6(&ab)), self.a6(&ab, &ab)]
    }

    /// x · (c₀ + (c₃ + c₄v)w), as arkworks' `mul_by_034`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn m12_034(&self, x: &F12, c0: &F2, c3: &F2, c4: &F2) -> F12 {
        let a = self.m6_2(&x[0], c0);
        let b = self.m6_01(&x[1], c3, c4);
        let e = self.m6_01(&self.a6(&x[0], &x[1]), &self.a2(c0, c3), c4);
        [self.a6(&self.v6(&b), &a), self.s6(&e, &self.a6(&a, &b))]
    }

    /// f ← f·ℓ(P) for the line (c₀, c₁, c₂) of BN254's D-type twist.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn ell(&self, f: &F12, l: &(F2, F2, F2), px: &Fe, py: &Fe) -> F12 {
        let c0 = self.mfp(&l.0, py);
        let c1 = self.mfp(&l.1, px);
        self.m12_034(f, &c0, &c1, &l.2)
    }

    /// arkworks' `G2HomProjective::double_in_place` (D twist).
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn double(&self, r: &mut [F2; 3]) -> (F2, F2, F2) {
        let [x, y, z] = *r;
        let a = self.mfp(&self.m2(&x, &y), &self.two_inv);
        let b = self.q2(&y);
        let c = self.q2(&z);
        let c3 = self.a2(&self.a2(&c, &c), &c);
        let e = self.m2(&self.b2, &c3);
        let f = self.a2(&self.a2(&e, &e), &e);
        let g = self.mfp(&self.a2(&b, &f), &self.two_inv);
        let h = self.s2(&self.q2(&self.a2(&y, &z)), &self.a2(&b, &c));
        let i = self.s2(&e, &b);
        let j = self.q2(&x);
        let e_sq = self.q2(&e);
        r[0] = self.m2(&a, &self.s2(&b, &f));
        r[1] = self.s2(&self.q2(&g), &self.a2(&self.a2(&e_sq, &e_sq), &e_sq));
        r[2] = self.m2(&b, &h);
        (self.n2(&h), self.a2(&self.a2(&j, &j), &j), i)
    }

    /// arkworks' `G2HomProjective::add_in_place` with an affine `q` (D twist).
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn add(&self, r: &mut [F2; 3], qx: &F2, qy: &F2) -> (F2, F2, F2) {
        let [x, y, z] = *r;
        let theta = self.s2(&y, &self.m2(qy, &z));
        let lambda = self.s2(&x, &self.m2(qx, &z));
        let c = self.q2(&theta);
        let d = self.q2(&lambda);
        let e = self.m2(&lambda, &d);
        let f = self.m2(&z, &c);
        let g = self.m2(&x, &d);
        let h = self.s2(&self.a2(&e, &f), &self.a2(&g, &g));
        r[0] = self.m2(&lambda, &h);
        r[1] = self.s2(&self.m2(&theta, &self.s2(&g, &h)), &self.m2(&e, &y));
        r[2] = self.m2(&z, &e);
        let j = self.s2(&self.m2(&theta, qx), &self.m2(&lambda, qy));
        (lambda, self.n2(&theta), j)
    }
}

/// The loop on the lanes; returns f's twelve `Fq` coordinates (c0.c0.c0,
/// c0.c0.c1, c0.c1.c0, …) as canonical-below-2p integers, out of
/// Montgomery form.
///
/// # Safety
/// The CPU must support avx512f, avx512vl and avx512ifma.
#[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
unsafe fn run(c: &Consts, rows: &[Rows; 14]) -> [Rows; 12] {
    const _: () = assert!(!<Config as BnConfig>::X_IS_NEGATIVE);
    let t = T::new(c);
    let f = t.f;
    let r2 = splat(&c.m.r2);
    let v: [Fe; 14] = core::array::from_fn(|i| f.mul(&load(&rows[i]), &r2));
    let (px, py) = (v[0], v[1]);
    let (qx, qy) = ([v[2], v[3]], [v[4], v[5]]);
    let nqy = t.n2(&qy);
    let (q1x, q1y) = ([v[6], v[7]], [v[8], v[9]]);
    let (q2x, q2y) = ([v[10], v[11]], [v[12], v[13]]);
    let one = splat(&c.m.one);
    let zero = [core::arch::x86_64::_mm512_setzero_si512(); 5];
    let mut r = [qx, qy, [one, zero]];
    let z2 = [zero, zero];
    let mut acc: F12 = [[[one, zero], z2, z2], [z2, z2, z2]];
    let count = <Config as BnConfig>::ATE_LOOP_COUNT;
    for i in (1..count.len()).rev() {
        if i != count.len() - 1 {
            acc = t.sq12(&acc);
        }
        let l = t.double(&mut r);
        acc = t.ell(&acc, &l, &px, &py);
        let l = match count[i - 1] {
            1 => t.add(&mut r, &qx, &qy),
            -1 => t.add(&mut r, &qx, &nqy),
            _ => continue,
        };
        acc = t.ell(&acc, &l, &px, &py);
    }
    let l = t.add(&mut r, &q1x, &q1y);
    acc = t.ell(&acc, &l, &px, &py);
    let l = t.add(&mut r, &q2x, &q2y);
    acc = t.ell(&acc, &l, &px, &py);
    // Out of Montgomery form: a product with the integer 1.
    let mut raw1 = [0u64; 5];
    raw1[0] = 1;
    let raw1 = splat(&raw1);
    let mut out = [[[0u64; LANES]; 5]; 12];
    for (k, o) in out.iter_mut().enumerate() {
        let e = &acc[k / 6][(k / 2) % 3][k % 2];
        *o = store(&f.mul(e, &raw1));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Bn254, Fr, G1Projective, G2Projective};
    use ark_ec::pairing::Pairing;
    use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
    use ark_std::UniformRand;
    use rand_chacha::rand_core::SeedableRng;

    #[test]
    fn each_lane_equals_arkworks_miller_loop() {
        if !sero_crypto::ifma::available() {
            eprintln!("no AVX-512 IFMA on this CPU: lane Miller loop not tested");
            return;
        }
        let c = Consts::new();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        for n in [1usize, 3, 8] {
            let pairs: Vec<(G1Affine, G2Affine)> = (0..n)
                .map(|_| {
                    (
                        (G1Projective::generator() * Fr::rand(&mut rng)).into_affine(),
                        (G2Projective::generator() * Fr::rand(&mut rng)).into_affine(),
                    )
                })
                .collect();
            let got = miller_lanes(&c, &pairs);
            assert_eq!(got.len(), n);
            for (i, (p, q)) in pairs.iter().enumerate() {
                let want = Bn254::multi_miller_loop([*p], [*q]).0;
                assert_eq!(got[i], want, "lane {i} of {n}");
            }
        }
        // The generators and a point and its negation in one call.
        let g1 = G1Affine::generator();
        let g2 = G2Affine::generator();
        let pairs = [(g1, g2), (-g1, g2), (g1, -g2)];
        let got = miller_lanes(&c, &pairs);
        for (i, (p, q)) in pairs.iter().enumerate() {
            assert_eq!(got[i], Bn254::multi_miller_loop([*p], [*q]).0, "lane {i}");
        }
    }
}
