//! The bucket method of [`super`] in AVX-512 IFMA lanes: lane `j` of pass
//! `p` owns window `8p + j` of every scalar and its own 1,024 buckets, so
//! one vector step adds one base to eight buckets (one per window) at
//! once. The base is the same in every lane (a broadcast); each lane's
//! bucket is gathered from, and scattered back to, that lane's column of
//! the bucket table.
//!
//! Buckets and sums use the *complete* projective formulas of Renes,
//! Costello and Batina (eprint 2015/1060, algorithm 7 for addition,
//! algorithm 8 for the mixed addition of an affine base, `a = 0`):
//! complete on a curve `y² = x³ + b` of odd order — BN254's `G1` and the
//! twist carrying `G2` — so a bucket that is empty, equal to the base or
//! its negation needs no special case and every lane runs the same
//! instructions. Bases at infinity (which the affine formula cannot
//! take) and zero scalars are left out by the caller.
//!
//! Values stay below 2p (products and the reducing sums of
//! [`sero_crypto::ifma::Lanes`]).

// Coordinate, component, limb and lane indices read best as such (and the
// closures of iterator adapters are not always inlined into
// `#[target_feature]` code).
#![allow(clippy::needless_range_loop)]

use super::Window;
use core::arch::x86_64::*;
use sero_crypto::ifma::{splat, Fe, Lanes, LANES};

/// One coordinate: `K` = 1 (`Fq`) or 2 (`Fq2`) field elements of eight
/// lanes.
pub(crate) type E<const K: usize> = [Fe; K];
/// A projective point `(X : Y : Z)` in eight lanes.
type P<const K: usize> = [E<K>; 3];
/// A coordinate as plain limbs (Montgomery form, R = 2^260).
pub(crate) type Limbs<const K: usize> = [[u64; 5]; K];

/// Multiplication in the coordinate field.
pub(crate) trait CoordMul<const K: usize>: Copy {
    /// The base field's lanes (sums, differences, negations).
    fn f(&self) -> &Lanes;

    /// `a·b` (both below 2p, result below 2p).
    ///
    /// # Safety
    /// The CPU must support avx512f, avx512vl and avx512ifma.
    unsafe fn mul(&self, a: &E<K>, b: &E<K>) -> E<K>;
}

/// `Fq` in lanes.
#[derive(Clone, Copy)]
pub(crate) struct Fq1(pub(crate) Lanes);

impl CoordMul<1> for Fq1 {
    fn f(&self) -> &Lanes {
        &self.0
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    unsafe fn mul(&self, a: &E<1>, b: &E<1>) -> E<1> {
        [self.0.mul(&a[0], &b[0])]
    }
}

/// `Fq2` in lanes (the tower of [`crate::miller::ifma`]).
#[derive(Clone, Copy)]
pub(crate) struct Fq2L(pub(crate) crate::miller::ifma::T);

impl CoordMul<2> for Fq2L {
    fn f(&self) -> &Lanes {
        &self.0.f
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    unsafe fn mul(&self, a: &E<2>, b: &E<2>) -> E<2> {
        self.0.m2(a, b)
    }
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
fn add<const K: usize>(f: &Lanes, a: &E<K>, b: &E<K>) -> E<K> {
    // Loops rather than `array::from_fn`: its closure does not inherit the
    // target features and is not inlined.
    let mut r = *a;
    for k in 0..K {
        r[k] = f.add_r(&a[k], &b[k]);
    }
    r
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
fn sub<const K: usize>(f: &Lanes, a: &E<K>, b: &E<K>) -> E<K> {
    let mut r = *a;
    for k in 0..K {
        r[k] = f.sub_r(&a[k], &b[k]);
    }
    r
}

/// The curve's arithmetic in lanes: its coordinate field and `3b`.
pub(crate) struct Curve<const K: usize, M: CoordMul<K>> {
    pub(crate) m: M,
    pub(crate) b3: E<K>,
}

impl<const K: usize, M: CoordMul<K>> Curve<K, M> {
    /// Algorithm 7 of eprint 2015/1060 (complete addition, a = 0).
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    unsafe fn add(&self, p: &P<K>, q: &P<K>) -> P<K> {
        let (m, f) = (&self.m, self.m.f());
        let [x1, y1, z1] = p;
        let [x2, y2, z2] = q;
        let t0 = m.mul(x1, x2);
        let t1 = m.mul(y1, y2);
        let t2 = m.mul(z1, z2);
        let t3 = m.mul(&add(f, x1, y1), &add(f, x2, y2));
        let t3 = sub(f, &t3, &add(f, &t0, &t1));
        let t4 = m.mul(&add(f, y1, z1), &add(f, y2, z2));
        let t4 = sub(f, &t4, &add(f, &t1, &t2));
        let x3 = m.mul(&add(f, x1, z1), &add(f, x2, z2));
        let y3 = sub(f, &x3, &add(f, &t0, &t2));
        let t0 = add(f, &add(f, &t0, &t0), &t0);
        let t2 = m.mul(&self.b3, &t2);
        let z3 = add(f, &t1, &t2);
        let t1 = sub(f, &t1, &t2);
        let y3 = m.mul(&self.b3, &y3);
        let x3 = sub(f, &m.mul(&t3, &t1), &m.mul(&t4, &y3));
        let y3 = add(f, &m.mul(&t1, &z3), &m.mul(&y3, &t0));
        let z3 = add(f, &m.mul(&z3, &t4), &m.mul(&t0, &t3));
        [x3, y3, z3]
    }

    /// Algorithm 8 of eprint 2015/1060 (complete mixed addition of an
    /// affine point `(x2, y2)`, not the identity; a = 0).
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    unsafe fn add_affine(&self, p: &P<K>, x2: &E<K>, y2: &E<K>) -> P<K> {
        let (m, f) = (&self.m, self.m.f());
        let [x1, y1, z1] = p;
        let t0 = m.mul(x1, x2);
        let t1 = m.mul(y1, y2);
        let t3 = m.mul(&add(f, x2, y2), &add(f, x1, y1));
        let t3 = sub(f, &t3, &add(f, &t0, &t1));
        let t4 = add(f, &m.mul(y2, z1), y1);
        let y3 = add(f, &m.mul(x2, z1), x1);
        let t0 = add(f, &add(f, &t0, &t0), &t0);
        let t2 = m.mul(&self.b3, z1);
        let z3 = add(f, &t1, &t2);
        let t1 = sub(f, &t1, &t2);
        let y3 = m.mul(&self.b3, &y3);
        let x3 = sub(f, &m.mul(&t3, &t1), &m.mul(&t4, &y3));
        let y3 = add(f, &m.mul(&y3, &t0), &m.mul(&t1, &z3));
        let z3 = add(f, &m.mul(&z3, &t4), &m.mul(&t0, &t3));
        [x3, y3, z3]
    }
}

/// Rows of `u64` per bucket: three coordinates of `K` elements of five
/// limbs.
const fn rows(k: usize) -> usize {
    15 * k
}

/// Gathers point rows `row0 + row` (`row` < 15K) at `idx` + row.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
unsafe fn gather<const K: usize>(table: *const u64, idx: __m512i) -> P<K> {
    let zero = _mm512_setzero_si512();
    let mut p = [[[zero; 5]; K]; 3];
    let mut row = 0i64;
    for c in 0..3 {
        for k in 0..K {
            for l in 0..5 {
                let at = _mm512_add_epi64(idx, _mm512_set1_epi64(row));
                // SAFETY: the caller's indices are in bounds.
                p[c][k][l] = _mm512_i64gather_epi64::<8>(at, table.cast());
                row += 1;
            }
        }
    }
    p
}

/// Scatters the lanes of `mask` of `p` to `idx` + row.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
unsafe fn scatter<const K: usize>(table: *mut u64, mask: __mmask8, idx: __m512i, p: &P<K>) {
    let mut row = 0i64;
    for c in 0..3 {
        for k in 0..K {
            for l in 0..5 {
                let at = _mm512_add_epi64(idx, _mm512_set1_epi64(row));
                // SAFETY: the caller's indices are in bounds.
                _mm512_mask_i64scatter_epi64::<8>(table.cast(), mask, at, p[c][k][l]);
                row += 1;
            }
        }
    }
}

/// The window sums `Σ_b b·bucket_b` of the windows of `w` for the bases
/// (affine `x`, `y`, Montgomery form, none at infinity) and their signed
/// digits (`digits[i·w.windows + j]`: base `i`, window `j`), as projective
/// points in limbs (Montgomery form, below 2p): `out[j] = [X, Y, Z]`.
///
/// # Safety
/// The CPU must support avx512f, avx512vl and avx512ifma.
#[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
pub(crate) unsafe fn window_sums<const K: usize, M: CoordMul<K>>(
    curve: &Curve<K, M>,
    one: &[u64; 5],
    bases: &[[Limbs<K>; 2]],
    digits: &[i16],
    w: Window,
) -> Vec<[Limbs<K>; 3]> {
    assert_eq!(
        bases.len() * w.windows,
        digits.len(),
        "one digit row per base"
    );
    assert_eq!(w.windows, w.passes() * LANES, "whole passes");
    let buckets = w.buckets();
    let f = *curve.m.f();
    let r = rows(K);
    let zero = _mm512_setzero_si512();
    let identity: P<K> = [
        [[zero; 5]; K],
        core::array::from_fn(|k| if k == 0 { splat(one) } else { [zero; 5] }),
        [[zero; 5]; K],
    ];
    // table[(lane·buckets + b)·r + row]: bucket b of this pass's lane
    // `lane`, its rows together (two or four cache lines), so that a step
    // touches few lines.
    let mut table = vec![0u64; buckets * r * LANES];
    let tp = table.as_mut_ptr();
    let lane_iota = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    let stride = _mm512_set1_epi64(r as i64);
    // Products of values below 2^32 (`vpmuludq`, AVX-512F; `vpmullq`
    // would need AVX-512DQ, which `ifma::available` does not check).
    let lane_base = _mm512_mul_epu32(lane_iota, _mm512_set1_epi64(buckets as i64));
    let one_v = _mm512_set1_epi64(1);
    let mut out = vec![[[[0u64; 5]; K]; 3]; w.windows];
    // (0 : 1 : 0): Y's first component is one, every other row zero.
    let mut id_rows = vec![0u64; r];
    id_rows[5 * K..5 * K + 5].copy_from_slice(one);
    for pass in 0..w.passes() {
        // Every bucket of every lane at the identity.
        for bucket in table.chunks_exact_mut(r) {
            bucket.copy_from_slice(&id_rows);
        }
        for (base, d) in bases.iter().zip(digits.chunks_exact(w.windows)) {
            // SAFETY: 8 i16 at offset 8·pass of a row of 8·passes.
            let d = _mm512_cvtepi16_epi64(_mm_loadu_si128(d.as_ptr().add(pass * LANES).cast()));
            let active = _mm512_test_epi64_mask(d, d);
            if active == 0 {
                continue;
            }
            let negative = _mm512_cmplt_epi64_mask(d, zero);
            let bucket = _mm512_max_epi64(_mm512_sub_epi64(_mm512_abs_epi64(d), one_v), zero);
            let idx = _mm512_mul_epu32(_mm512_add_epi64(lane_base, bucket), stride);
            // SAFETY: bucket < buckets, row < r, lane < 8: in bounds.
            let acc = gather::<K>(tp.cast_const(), idx);
            let mut x = [[zero; 5]; K];
            let mut y = [[zero; 5]; K];
            for k in 0..K {
                x[k] = splat(&base[0][k]);
                let y0 = splat(&base[1][k]);
                let ny = f.neg_r(&y0);
                for l in 0..5 {
                    y[k][l] = _mm512_mask_blend_epi64(negative, y0[l], ny[l]);
                }
            }
            let sum = curve.add_affine(&acc, &x, &y);
            // SAFETY: as for the gather; inactive lanes are not written.
            scatter::<K>(tp, active, idx, &sum);
        }
        // Σ_b (b + 1)·bucket_b by running sums from the top bucket.
        let mut running = identity;
        let mut total = identity;
        for b in (0..buckets).rev() {
            let idx = _mm512_mul_epu32(
                _mm512_add_epi64(lane_base, _mm512_set1_epi64(b as i64)),
                stride,
            );
            // SAFETY: in bounds, as above.
            let bucket = gather::<K>(tp.cast_const(), idx);
            running = curve.add(&running, &bucket);
            total = curve.add(&total, &running);
        }
        for (c, coord) in total.iter().enumerate() {
            for (k, e) in coord.iter().enumerate() {
                for (l, v) in e.iter().enumerate() {
                    let mut lanes = [0u64; LANES];
                    // SAFETY: 8 u64 = 64 writable bytes.
                    _mm512_storeu_si512(lanes.as_mut_ptr().cast(), *v);
                    for (j, w) in lanes.iter().enumerate() {
                        out[pass * LANES + j][c][k][l] = *w;
                    }
                }
            }
        }
    }
    out
}

/// The Montgomery forms (R = 2^260, below 2p) of canonical values given as
/// limbs: products with `r2` = R² mod p, eight per vector.
///
/// # Safety
/// The CPU must support avx512f, avx512vl and avx512ifma.
#[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
pub(crate) unsafe fn mont_many(f: &Lanes, r2: &[u64; 5], values: &[[u64; 5]]) -> Vec<[u64; 5]> {
    let r2 = splat(r2);
    let mut out = Vec::with_capacity(values.len());
    for chunk in values.chunks(LANES) {
        let mut rows = [[0u64; LANES]; 5];
        for (j, v) in chunk.iter().enumerate() {
            for l in 0..5 {
                rows[l][j] = v[l];
            }
        }
        let m = sero_crypto::ifma::store(&f.mul(&sero_crypto::ifma::load(&rows), &r2));
        out.extend((0..chunk.len()).map(|j| core::array::from_fn(|l| m[l][j])));
    }
    out
}
