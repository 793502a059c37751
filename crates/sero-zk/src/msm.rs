//! Multi-scalar multiplications `Σ sᵢ·Pᵢ` in `G1` and `G2`, the bulk of a
//! Groth16 proof (the `A`, `B`, `L` and `H` queries of the proving key).
//!
//! Pippenger's bucket method with signed digits (6, 8 or 11 bits per
//! window, the size of least work for the number of terms: [`Window`]),
//! the windows run eight at a time in AVX-512 IFMA lanes where the CPU has
//! them ([`lanes`]): one vector step adds a base to one bucket of each of
//! eight windows. Elsewhere, and for fewer than
//! [`LANE_MIN`] terms, arkworks' `msm_bigint`. Both give the same group
//! element; the tests compare them on random, edge and structured inputs.
//!
//! Terms with a zero scalar or a base at infinity are dropped first (the
//! proving key has bases at infinity for variables absent from a
//! polynomial, and witnesses are often 0).

// Without x86-64 only the portable path is compiled in.
#![cfg_attr(not(target_arch = "x86_64"), allow(dead_code, unused_imports))]

use ark_bn254::{Fq, Fq2, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, VariableBaseMSM};
use ark_ff::{BigInteger, BigInteger256, Field, Zero};
use rayon::prelude::*;

#[cfg(target_arch = "x86_64")]
mod lanes;
#[cfg(target_arch = "x86_64")]
use sero_crypto::ifma::limbs_of;

/// A window size: `c` bits per window, `windows` windows (a multiple of
/// the eight lanes, `c·windows` ≥ 255 so that any scalar below 2^254 and
/// the carry of its signed digits fit), `2^(c−1)` buckets per window
/// (digits in `−2^(c−1)..=2^(c−1)`, bucket `|d| − 1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) c: usize,
    pub(crate) windows: usize,
}

impl Window {
    const SMALL: Window = Window { c: 6, windows: 48 };
    const MEDIUM: Window = Window { c: 8, windows: 32 };
    const LARGE: Window = Window { c: 11, windows: 24 };

    /// The size of least work for `n` terms: a vector step per term and
    /// pass (a pass is eight windows) plus `2^c` bucket sums per pass,
    /// each ≈ 1.3 steps.
    fn for_terms(n: usize) -> Window {
        [Self::SMALL, Self::MEDIUM, Self::LARGE]
            .into_iter()
            .min_by_key(|w| w.passes() * (10 * n + 13 * (1 << w.c)))
            .expect("three sizes")
    }

    pub(crate) fn passes(&self) -> usize {
        self.windows / 8
    }

    pub(crate) fn buckets(&self) -> usize {
        1 << (self.c - 1)
    }
}

/// Fewer terms than this go to arkworks: below it the lanes' fixed cost
/// (the bucket sums of every pass) outweighs their gain.
pub const LANE_MIN: usize = 256;
/// Terms per thread when an MSM is split across the rayon pool.
const PER_THREAD_MIN: usize = 2048;

/// `Σ scalars[i]·bases[i]` in G1 (scalars as integers, each below the
/// group order). Panics if the lengths differ or a scalar is not below
/// 2^254 (caller bugs).
pub fn g1(bases: &[G1Affine], scalars: &[BigInteger256]) -> G1Projective {
    check(bases.len(), scalars);
    #[cfg(target_arch = "x86_64")]
    if let Some(c) = consts() {
        return split(bases, scalars, |b, s| c.g1(b, s));
    }
    g1_portable(bases, scalars)
}

/// `Σ scalars[i]·bases[i]` in G2; as [`g1`].
pub fn g2(bases: &[G2Affine], scalars: &[BigInteger256]) -> G2Projective {
    check(bases.len(), scalars);
    #[cfg(target_arch = "x86_64")]
    if let Some(c) = consts() {
        return split(bases, scalars, |b, s| c.g2(b, s));
    }
    g2_portable(bases, scalars)
}

/// The callers' obligations: one scalar per base, each below 2^254.
fn check(bases: usize, scalars: &[BigInteger256]) {
    assert_eq!(bases, scalars.len(), "one scalar per base");
    assert!(
        scalars.iter().all(|s| s.0[3] >> 62 == 0),
        "every scalar below 2^254"
    );
}

/// [`g1`] by arkworks, whatever the CPU.
pub fn g1_portable(bases: &[G1Affine], scalars: &[BigInteger256]) -> G1Projective {
    G1Projective::msm_bigint(bases, scalars)
}

/// [`g2`] by arkworks, whatever the CPU.
pub fn g2_portable(bases: &[G2Affine], scalars: &[BigInteger256]) -> G2Projective {
    G2Projective::msm_bigint(bases, scalars)
}

/// The terms with a nonzero scalar and a base not at infinity, split into
/// one chunk per thread of the current rayon pool (at least
/// [`PER_THREAD_MIN`] terms each), each summed by `one`.
#[cfg(target_arch = "x86_64")]
fn split<A, G>(
    bases: &[A],
    scalars: &[BigInteger256],
    one: impl Fn(&[A], &[BigInteger256]) -> G + Sync,
) -> G
where
    A: AffineRepr<Group = G>,
    G: ark_ec::CurveGroup + Send,
{
    let (b, s): (Vec<A>, Vec<BigInteger256>) = bases
        .iter()
        .zip(scalars)
        .filter(|(b, s)| !b.is_zero() && !s.is_zero())
        .map(|(b, s)| (*b, *s))
        .unzip();
    let chunks = (b.len() / PER_THREAD_MIN).clamp(1, rayon::current_num_threads());
    let size = b.len().div_ceil(chunks).max(1);
    b.par_chunks(size)
        .zip(s.par_chunks(size))
        .map(|(b, s)| one(b, s))
        .reduce(G::zero, |x, y| x + y)
}

/// Signed base-2^c digits `d_w ∈ −2^(c−1)..=2^(c−1)` of `s`, with
/// `s = Σ d_w·2^(cw)`, into `out` (one per window).
fn digits(s: &BigInteger256, w: Window, out: &mut [i16]) {
    let c = w.c;
    let mut carry = 0i64;
    for (i, d) in out[..w.windows].iter_mut().enumerate() {
        let bit = i * c;
        let (word, shift) = (bit / 64, bit % 64);
        let mut v = if word < 4 { s.0[word] >> shift } else { 0 };
        if shift + c > 64 && word + 1 < 4 {
            v |= s.0[word + 1] << (64 - shift);
        }
        let v = (v & ((1 << c) - 1)) as i64 + carry;
        if v > w.buckets() as i64 {
            *d = (v - (1 << c)) as i16;
            carry = 1;
        } else {
            *d = v as i16;
            carry = 0;
        }
    }
    debug_assert_eq!(carry, 0, "a scalar below 2^(c·windows − 1)");
}

/// Every scalar's digits, one row of `w.windows` per scalar.
fn all_digits(scalars: &[BigInteger256], w: Window) -> Vec<i16> {
    let mut out = vec![0i16; scalars.len() * w.windows];
    for (s, row) in scalars.iter().zip(out.chunks_exact_mut(w.windows)) {
        digits(s, w, row);
    }
    out
}

/// `Σ_i 2^(c·i)·sums[i]`, from the top window down.
fn combine<G: ark_ec::CurveGroup>(sums: impl DoubleEndedIterator<Item = G>, w: Window) -> G {
    sums.rev().fold(G::zero(), |mut acc, s| {
        for _ in 0..w.c {
            acc.double_in_place();
        }
        acc + s
    })
}

#[cfg(target_arch = "x86_64")]
fn consts() -> Option<&'static Consts> {
    static C: std::sync::OnceLock<Option<Consts>> = std::sync::OnceLock::new();
    C.get_or_init(|| sero_crypto::ifma::available().then(Consts::new))
        .as_ref()
}

/// The lanes' constants (Montgomery forms, R = 2^260).
#[cfg(target_arch = "x86_64")]
struct Consts {
    /// The `Fq2` tower of the Miller loop's lanes (and its `Fq` modulus).
    tower: crate::miller::ifma::Consts,
    /// R⁻¹ in `Fq`.
    r_inv: Fq,
    /// 3·b of G1 (9) and of the twist (3·b′).
    b3_g1: [u64; 5],
    b3_g2: [[u64; 5]; 2],
}

#[cfg(target_arch = "x86_64")]
impl Consts {
    fn new() -> Self {
        use ark_ec::short_weierstrass::SWCurveConfig;
        let tower = crate::miller::ifma::Consts::new();
        let m = crate::miller::ifma::T::modulus(&tower);
        let b = <ark_bn254::g2::Config as SWCurveConfig>::COEFF_B;
        let b3 = b + b + b;
        Consts {
            b3_g1: m.mont(Fq::from(9u64)),
            b3_g2: [m.mont(b3.c0), m.mont(b3.c1)],
            r_inv: Fq::from(2u64).pow([260u64]).inverse().expect("R ≠ 0"),
            tower,
        }
    }

    fn m(&self) -> &sero_crypto::ifma::Modulus {
        crate::miller::ifma::T::modulus(&self.tower)
    }

    fn unmont(&self, l: &[u64; 5]) -> Fq {
        sero_crypto::ifma::field_of::<Fq>(*l) * self.r_inv
    }

    /// The window sums of terms whose bases' coordinates are `coords`
    /// (`x` then `y`, `K` canonical `Fq` elements each, base after base).
    ///
    /// # Safety
    /// The CPU must support avx512f, avx512vl and avx512ifma.
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    unsafe fn sums<const K: usize, M: lanes::CoordMul<K>>(
        &self,
        curve: &lanes::Curve<K, M>,
        coords: &[[u64; 5]],
        scalars: &[BigInteger256],
    ) -> (Vec<[lanes::Limbs<K>; 3]>, Window) {
        let w = Window::for_terms(scalars.len());
        let digits = all_digits(scalars, w);
        let mont = lanes::mont_many(curve.m.f(), &self.m().r2, coords);
        let rows: Vec<[lanes::Limbs<K>; 2]> = mont
            .chunks_exact(2 * K)
            .map(|c| [0, 1].map(|i| core::array::from_fn(|k| c[i * K + k])))
            .collect();
        let sums = lanes::window_sums(curve, &self.m().one, &rows, &digits, w);
        (sums, w)
    }

    /// One chunk of [`g1`]'s terms (no zero scalar, no base at infinity).
    fn g1(&self, bases: &[G1Affine], scalars: &[BigInteger256]) -> G1Projective {
        if bases.len() < LANE_MIN {
            return g1_portable(bases, scalars);
        }
        let coords: Vec<_> = bases
            .iter()
            .flat_map(|p| [p.x, p.y])
            .map(limbs_of)
            .collect();
        assert!(sero_crypto::ifma::available(), "IFMA lanes on this CPU");
        // SAFETY: the CPU has avx512f, avx512vl and avx512ifma (checked above).
        let (sums, w) = unsafe {
            let curve = lanes::Curve {
                m: lanes::Fq1(sero_crypto::ifma::Lanes::new(self.m())),
                b3: [sero_crypto::ifma::splat(&self.b3_g1)],
            };
            self.sums(&curve, &coords, scalars)
        };
        let f1 = |l: &[[u64; 5]; 1]| self.unmont(&l[0]);
        combine(
            sums.iter()
                .map(|[x, y, z]| projective_g1(f1(x), f1(y), f1(z))),
            w,
        )
    }

    /// One chunk of [`g2`]'s terms (no zero scalar, no base at infinity).
    fn g2(&self, bases: &[G2Affine], scalars: &[BigInteger256]) -> G2Projective {
        if bases.len() < LANE_MIN {
            return g2_portable(bases, scalars);
        }
        let coords: Vec<_> = bases
            .iter()
            .flat_map(|p| [p.x.c0, p.x.c1, p.y.c0, p.y.c1])
            .map(limbs_of)
            .collect();
        assert!(sero_crypto::ifma::available(), "IFMA lanes on this CPU");
        // SAFETY: the CPU has avx512f, avx512vl and avx512ifma (checked above).
        let (sums, w) = unsafe {
            let curve = lanes::Curve {
                m: lanes::Fq2L(crate::miller::ifma::T::new(&self.tower)),
                b3: self.b3_g2.map(|b| sero_crypto::ifma::splat(&b)),
            };
            self.sums(&curve, &coords, scalars)
        };
        let f2 = |l: &[[u64; 5]; 2]| Fq2::new(self.unmont(&l[0]), self.unmont(&l[1]));
        combine(
            sums.iter()
                .map(|[x, y, z]| projective_g2(f2(x), f2(y), f2(z))),
            w,
        )
    }
}

/// The homogeneous projective `(X : Y : Z)` as arkworks' Jacobian point
/// `(X·Z, Y·Z², Z)`.
fn projective_g1(x: Fq, y: Fq, z: Fq) -> G1Projective {
    if z.is_zero() {
        G1Projective::zero()
    } else {
        G1Projective::new_unchecked(x * z, y * z.square(), z)
    }
}

fn projective_g2(x: Fq2, y: Fq2, z: Fq2) -> G2Projective {
    if z.is_zero() {
        G2Projective::zero()
    } else {
        G2Projective::new_unchecked(x * z, y * z.square(), z)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Fr;
    use ark_ec::{CurveGroup, PrimeGroup};
    use ark_ff::{PrimeField, UniformRand};
    use rand_chacha::rand_core::SeedableRng;

    fn from_digits(d: &[i16], w: Window) -> Fr {
        d.iter().rev().fold(Fr::zero(), |acc, &x| {
            acc * Fr::from(1u64 << w.c) + Fr::from(x as i64)
        })
    }

    #[test]
    fn digits_are_signed_windows_of_the_scalar() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let edge = [
            Fr::zero(),
            Fr::from(1u64),
            Fr::from(32u64),
            Fr::from(33u64),
            Fr::from(128u64),
            Fr::from(129u64),
            Fr::from(1024u64),
            Fr::from(1025u64),
            Fr::from(2047u64),
            Fr::from(2048u64),
            -Fr::from(1u64),
            Fr::from(u128::MAX),
        ];
        // The widest integer a caller may pass (2^254 − 1) also fits.
        let top = BigInteger256::new([u64::MAX, u64::MAX, u64::MAX, (1 << 62) - 1]);
        for w in [Window::SMALL, Window::MEDIUM, Window::LARGE] {
            assert!(w.c * w.windows >= 255 && w.windows % 8 == 0, "{w:?}");
            let half = w.buckets() as i16;
            let mut d = vec![0i16; w.windows];
            for s in edge.into_iter().chain((0..200).map(|_| Fr::rand(&mut rng))) {
                digits(&s.into_bigint(), w, &mut d);
                assert!(d.iter().all(|x| (-half..=half).contains(x)), "{d:?}");
                assert_eq!(from_digits(&d, w), s, "{w:?}");
            }
            digits(&top, w, &mut d);
            assert_eq!(
                from_digits(&d, w),
                Fr::from_le_bytes_mod_order(&top.to_bytes_le())
            );
        }
    }

    #[test]
    fn window_sizes_follow_the_number_of_terms() {
        assert_eq!(Window::for_terms(LANE_MIN), Window::SMALL);
        assert_eq!(Window::for_terms(4000), Window::MEDIUM);
        assert_eq!(Window::for_terms(16_000), Window::LARGE);
    }

    fn random_terms<A: AffineRepr>(
        n: usize,
        rng: &mut rand_chacha::ChaCha20Rng,
    ) -> (Vec<A>, Vec<BigInteger256>)
    where
        A::ScalarField: PrimeField<BigInt = BigInteger256>,
    {
        // A few distinct points, repeated, so that buckets meet equal and
        // opposite points (the formulas' doubling and identity cases).
        let g = A::generator();
        let distinct: Vec<A> = (0..5)
            .map(|_| (g * A::ScalarField::rand(rng)).into_affine())
            .collect();
        let bases = (0..n)
            .map(|i| match i % 11 {
                0 => A::zero(),
                1 => g,
                2..=4 => distinct[i % 5],
                _ => (g * A::ScalarField::rand(rng)).into_affine(),
            })
            .collect();
        let scalars = (0..n)
            .map(|i| match i % 13 {
                0 => BigInteger256::from(0u64),
                1 => BigInteger256::from(1u64),
                2 => (-A::ScalarField::from(1u64)).into_bigint(),
                3 => BigInteger256::from(1024u64 + (i as u64 % 3)),
                4 => A::ScalarField::from(u64::MAX).into_bigint(),
                _ => A::ScalarField::rand(rng).into_bigint(),
            })
            .collect();
        (bases, scalars)
    }

    #[test]
    fn g1_equals_arkworks() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        for n in [0, 1, 5, LANE_MIN - 1, LANE_MIN + 3, 700, 3000, 20_000] {
            let (b, s) = random_terms::<G1Affine>(n, &mut rng);
            assert_eq!(
                g1(&b, &s).into_affine(),
                g1_portable(&b, &s).into_affine(),
                "{n} terms"
            );
        }
    }

    #[test]
    fn g2_equals_arkworks() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(8);
        for n in [0, 3, LANE_MIN + 1, 1200, 15_000] {
            let (b, s) = random_terms::<G2Affine>(n, &mut rng);
            assert_eq!(
                g2(&b, &s).into_affine(),
                g2_portable(&b, &s).into_affine(),
                "{n} terms"
            );
        }
    }

    #[test]
    fn one_base_many_times_sums_to_the_product() {
        // Every term lands in the same buckets: equal-point additions in
        // every lane, and opposite points cancelling to the identity.
        let p = (G1Projective::generator() * Fr::from(987_654_321u64)).into_affine();
        let n = 2 * LANE_MIN;
        let bases = vec![p; n];
        let scalars: Vec<_> = (0..n)
            .map(|i| {
                if i % 2 == 0 {
                    Fr::from(5u64)
                } else {
                    -Fr::from(5u64)
                }
            })
            .map(|s| s.into_bigint())
            .collect();
        assert!(g1(&bases, &scalars).is_zero());
        let scalars: Vec<_> = (0..n).map(|i| Fr::from(i as u64).into_bigint()).collect();
        let want = p * Fr::from((n * (n - 1) / 2) as u64);
        assert_eq!(g1(&bases, &scalars), want);
        let q = G2Affine::generator();
        let bases = vec![q; n];
        assert_eq!(g2(&bases, &scalars), q * Fr::from((n * (n - 1) / 2) as u64));
    }

    #[test]
    #[should_panic(expected = "every scalar below 2^254")]
    fn scalars_must_be_field_elements() {
        let wide = BigInteger256::new([0, 0, 0, 1 << 63]);
        let _ = g1(
            &[G1Affine::generator(); 2],
            &[BigInteger256::from(1u64), wide],
        );
    }

    #[test]
    #[should_panic(expected = "one scalar per base")]
    fn lengths_must_agree() {
        let _ = g1(&[G1Affine::generator()], &[]);
    }
}
