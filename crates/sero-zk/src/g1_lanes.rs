//! Many BN254 `G1` scalar multiplications at once: eight per pass, one per
//! 64-bit lane of AVX-512 IFMA vectors where the CPU has them (field
//! arithmetic from [`sero_crypto::ifma`]), arkworks' double-and-add one
//! point at a time elsewhere.
//!
//! Batch verification multiplies every proof's `A` and `C` by its 128-bit
//! weight and the verifying key's public-input bases by full-size scalars;
//! arkworks spends 50 µs on a 128-bit multiplication and its MSM over a
//! handful of bases runs 3-bit windows over all 254 bits. Here each lane
//! runs a fixed 4-bit window over projective coordinates with the
//! *complete* formulas of Renes, Costello and Batina (eprint 2015/1060,
//! algorithms 7 and 9 for `a = 0`): no exceptional case (identity, equal
//! or opposite points) whatever the scalar or the point, so every lane
//! runs the same instructions and the table look-up is a masked blend.
//! The result is the same group element as arkworks'; the tests compare.

use ark_bn254::{G1Affine, G1Projective};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, BigInteger256};
use rayon::prelude::*;

/// `scalars[i]·points[i]` for every `i`, where every scalar is below
/// `2^bits` (`bits` ≤ 256: the lane path walks that many bits, so a caller
/// passes the bound it knows). Panics if the lengths differ or a scalar is
/// wider than `bits` (caller bugs).
pub fn mul_many(points: &[G1Affine], scalars: &[BigInteger256], bits: u32) -> Vec<G1Projective> {
    assert_eq!(points.len(), scalars.len(), "one scalar per point");
    assert!(
        bits <= 256 && scalars.iter().all(|s| s.num_bits() <= bits),
        "every scalar below 2^{bits}"
    );
    #[cfg(target_arch = "x86_64")]
    if let Some(c) = consts() {
        let size = if points.len() >= 2 * ifma_impl::LANES {
            ifma_impl::LANES
        } else {
            points.len().max(1)
        };
        return points
            .par_chunks(size)
            .zip(scalars.par_chunks(size))
            .flat_map_iter(|(p, s)| {
                p.chunks(ifma_impl::LANES)
                    .zip(s.chunks(ifma_impl::LANES))
                    .flat_map(|(p, s)| ifma_impl::mul_lanes(c, p, s, bits))
                    .collect::<Vec<_>>()
            })
            .collect();
    }
    mul_many_portable(points, scalars)
}

/// [`mul_many`] on arkworks' arithmetic, whatever the CPU.
pub fn mul_many_portable(points: &[G1Affine], scalars: &[BigInteger256]) -> Vec<G1Projective> {
    assert_eq!(points.len(), scalars.len(), "one scalar per point");
    points
        .par_iter()
        .zip(scalars)
        .map(|(p, s)| p.mul_bigint(s))
        .collect()
}

/// Whether [`mul_many`] runs in vector lanes on this CPU.
pub fn lanes_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        consts().is_some()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(target_arch = "x86_64")]
fn consts() -> Option<&'static ifma_impl::Consts> {
    static C: std::sync::OnceLock<Option<ifma_impl::Consts>> = std::sync::OnceLock::new();
    C.get_or_init(|| sero_crypto::ifma::available().then(ifma_impl::Consts::new))
        .as_ref()
}

#[cfg(target_arch = "x86_64")]
mod ifma_impl {
    use super::*;
    use ark_bn254::Fq;
    use ark_ff::Zero;
    use core::arch::x86_64::*;
    pub use sero_crypto::ifma::LANES;
    use sero_crypto::ifma::{field_of, limbs_of, load, splat, store, Fe, Lanes, Modulus, Rows};

    /// Field constants (Montgomery forms, R = 2^260).
    #[derive(Clone, Debug)]
    pub struct Consts {
        m: Modulus,
        /// 3·b = 9 for `y² = x³ + 3`.
        b3: [u64; 5],
    }

    impl Consts {
        pub fn new() -> Self {
            let m = Modulus::of::<Fq>();
            Consts {
                b3: m.mont(Fq::from(9u64)),
                m,
            }
        }
    }

    type P = [Fe; 3];

    #[derive(Clone, Copy)]
    struct G {
        f: Lanes,
        b3: Fe,
    }

    impl G {
        /// Algorithm 7 of eprint 2015/1060 (complete addition, a = 0).
        #[inline]
        #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
        fn add(&self, p: &P, q: &P) -> P {
            let f = &self.f;
            let [x1, y1, z1] = p;
            let [x2, y2, z2] = q;
            let t0 = f.mul(x1, x2);
            let t1 = f.mul(y1, y2);
            let t2 = f.mul(z1, z2);
            let t3 = f.mul(&f.add(x1, y1), &f.add(x2, y2));
            let t3 = f.sub_r(&t3, &f.add_r(&t0, &t1));
            let t4 = f.mul(&f.add(y1, z1), &f.add(y2, z2));
            let t4 = f.sub_r(&t4, &f.add_r(&t1, &t2));
            let x3 = f.mul(&f.add(x1, z1), &f.add(x2, z2));
            let y3 = f.sub_r(&x3, &f.add_r(&t0, &t2));
            let t0 = f.add_r(&f.add_r(&t0, &t0), &t0);
            let t2 = f.mul(&self.b3, &t2);
            let z3 = f.add_r(&t1, &t2);
            let t1 = f.sub_r(&t1, &t2);
            let y3 = f.mul(&self.b3, &y3);
            let x3 = f.sub_r(&f.mul(&t3, &t1), &f.mul(&t4, &y3));
            let y3 = f.add_r(&f.mul(&t1, &z3), &f.mul(&y3, &t0));
            let z3 = f.add_r(&f.mul(&z3, &t4), &f.mul(&t0, &t3));
            [x3, y3, z3]
        }

        /// Algorithm 9 of eprint 2015/1060 (doubling, a = 0).
        #[inline]
        #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
        fn double(&self, p: &P) -> P {
            let f = &self.f;
            let [x, y, z] = p;
            let t0 = f.sq(y);
            let z3 = f.add_r(&t0, &t0);
            let z3 = f.add_r(&z3, &z3);
            let z3 = f.add_r(&z3, &z3);
            let t1 = f.mul(y, z);
            let t2 = f.mul(&self.b3, &f.sq(z));
            let x3 = f.mul(&t2, &z3);
            let y3 = f.add_r(&t0, &t2);
            let z3 = f.mul(&t1, &z3);
            let t2 = f.add_r(&f.add_r(&t2, &t2), &t2);
            let t0 = f.sub_r(&t0, &t2);
            let y3 = f.add_r(&x3, &f.mul(&t0, &y3));
            let t1 = f.mul(x, y);
            let x3 = f.mul(&t0, &t1);
            [f.add_r(&x3, &x3), y3, z3]
        }
    }

    /// Up to eight multiplications, one per lane (unused lanes multiply
    /// the first point by zero).
    pub fn mul_lanes(
        c: &Consts,
        points: &[G1Affine],
        scalars: &[BigInteger256],
        bits: u32,
    ) -> Vec<G1Projective> {
        assert!(points.len() <= LANES && points.len() == scalars.len());
        assert!(bits <= 256);
        let mut rows = [[[0u64; LANES]; 5]; 3];
        // The identity's lanes stay (0 : 1 : 0) via z = 0 and y = 1.
        let mut digits = vec![[0u64; LANES]; bits.div_ceil(4) as usize];
        for lane in 0..LANES {
            let (x, y, z) = match points.get(lane) {
                Some(p) if !p.is_zero() => (p.x, p.y, Fq::from(1u64)),
                _ => (Fq::zero(), Fq::from(1u64), Fq::zero()),
            };
            for (row, v) in rows.iter_mut().zip([x, y, z]) {
                let l = limbs_of(v);
                for k in 0..5 {
                    row[k][lane] = l[k];
                }
            }
            if let Some(s) = scalars.get(lane) {
                for (w, d) in digits.iter_mut().enumerate() {
                    let bit = 4 * w;
                    let word = s.0[bit / 64];
                    d[lane] = (word >> (bit % 64)) & 0xf;
                }
            }
        }
        assert!(sero_crypto::ifma::available(), "IFMA lanes on this CPU");
        // SAFETY: the CPU has avx512f, avx512vl and avx512ifma (checked above).
        let out = unsafe { run(c, &rows, &digits) };
        (0..points.len())
            .map(|lane| {
                let fq = |r: &Rows| -> Fq { field_of(core::array::from_fn(|k| r[k][lane])) };
                let (x, y, z) = (fq(&out[0]), fq(&out[1]), fq(&out[2]));
                if z.is_zero() {
                    G1Projective::zero()
                } else {
                    G1Projective::new_unchecked(x, y, z)
                }
            })
            .collect()
    }

    /// The windowed loop; returns Jacobian `(X·Z, Y·Z², Z)` of each lane's
    /// projective result, out of Montgomery form.
    ///
    /// # Safety
    /// The CPU must support avx512f, avx512vl and avx512ifma.
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    unsafe fn run(c: &Consts, rows: &[Rows; 3], digits: &[[u64; LANES]]) -> [Rows; 3] {
        let f = Lanes::new(&c.m);
        let g = G {
            f,
            b3: splat(&c.b3),
        };
        let r2 = splat(&c.m.r2);
        let base: P = core::array::from_fn(|i| f.mul(&load(&rows[i]), &r2));
        let zero = [_mm512_setzero_si512(); 5];
        let identity: P = [zero, splat(&c.m.one), zero];
        // table[j] = j·P for j in 0..16.
        let mut table = [identity; 16];
        table[1] = base;
        table[2] = g.double(&base);
        for j in 3..16 {
            table[j] = g.add(&table[j - 1], &base);
        }
        let select = |d: __m512i| -> P {
            let mut s = identity;
            for (j, t) in table.iter().enumerate().skip(1) {
                let m = _mm512_cmpeq_epi64_mask(d, _mm512_set1_epi64(j as i64));
                for (sc, tc) in s.iter_mut().zip(t) {
                    *sc = core::array::from_fn(|k| _mm512_mask_blend_epi64(m, sc[k], tc[k]));
                }
            }
            s
        };
        let digit = |d: &[u64; LANES]| -> __m512i {
            // SAFETY: 8 u64 = 64 readable bytes; no alignment needed.
            unsafe { _mm512_loadu_si512(d.as_ptr().cast()) }
        };
        let mut acc = identity;
        for (w, d) in digits.iter().enumerate().rev() {
            if w + 1 != digits.len() {
                for _ in 0..4 {
                    acc = g.double(&acc);
                }
            }
            acc = g.add(&acc, &select(digit(d)));
        }
        // Projective (X : Y : Z) → Jacobian (X·Z, Y·Z², Z), out of
        // Montgomery form (a product with the integer 1).
        let [x, y, z] = acc;
        let mut raw1 = [0u64; 5];
        raw1[0] = 1;
        let raw1 = splat(&raw1);
        let zz = f.sq(&z);
        [
            store(&f.mul(&f.mul(&x, &z), &raw1)),
            store(&f.mul(&f.mul(&y, &zz), &raw1)),
            store(&f.mul(&z, &raw1)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Fr;
    use ark_ec::{CurveGroup, PrimeGroup};
    use ark_ff::{PrimeField, UniformRand};
    use rand_chacha::rand_core::{RngCore, SeedableRng};

    #[test]
    fn equals_arkworks_for_every_count_and_edge_scalar() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
        for n in [0usize, 1, 2, 7, 8, 9, 17, 40] {
            let points: Vec<G1Affine> = (0..n)
                .map(|i| match i % 7 {
                    3 => G1Affine::zero(),
                    4 => G1Affine::generator(),
                    _ => (G1Projective::generator() * Fr::rand(&mut rng)).into_affine(),
                })
                .collect();
            let full: Vec<BigInteger256> = (0..n)
                .map(|i| match i % 5 {
                    0 => BigInteger256::from(0u64),
                    1 => BigInteger256::from(1u64),
                    2 => (-Fr::from(1u64)).into_bigint(),
                    _ => Fr::rand(&mut rng).into_bigint(),
                })
                .collect();
            let short: Vec<BigInteger256> = (0..n)
                .map(|i| {
                    let w = if i % 3 == 0 {
                        u128::MAX
                    } else {
                        (rng.next_u64() as u128) << 64 | rng.next_u64() as u128
                    };
                    Fr::from(w).into_bigint()
                })
                .collect();
            for (scalars, bits) in [(&full, 256), (&short, 128)] {
                let want: Vec<G1Affine> = points
                    .iter()
                    .zip(scalars.iter())
                    .map(|(p, s)| p.mul_bigint(s).into_affine())
                    .collect();
                let got = G1Projective::normalize_batch(&mul_many(&points, scalars, bits));
                assert_eq!(got, want, "{n} points, {bits} bits");
                let got = G1Projective::normalize_batch(&mul_many_portable(&points, scalars));
                assert_eq!(got, want, "portable, {n} points");
            }
        }
    }

    #[test]
    fn a_point_plus_itself_and_its_negation_inside_the_window_table() {
        // 2·P, 3·P and (q−1)·P exercise the doubling case of the addition
        // and the identity in the table walk.
        let p = (G1Projective::generator() * Fr::from(12345u64)).into_affine();
        let scalars = [2u64, 3, 16, 17, 255]
            .map(|k| Fr::from(k).into_bigint())
            .to_vec();
        let points = vec![p; scalars.len()];
        let got = G1Projective::normalize_batch(&mul_many(&points, &scalars, 256));
        for (g, s) in got.iter().zip(&scalars) {
            assert_eq!(*g, p.mul_bigint(s).into_affine());
        }
    }

    #[test]
    #[should_panic(expected = "every scalar below 2^128")]
    fn a_scalar_wider_than_the_bound_is_a_caller_bug() {
        let s = Fr::from(u128::MAX).into_bigint();
        let mut wide = s;
        wide.0[2] = 1;
        let _ = mul_many(&[G1Affine::generator(); 2], &[s, wide], 128);
    }
}
