//! A y-only filter for `Q == s·P` over many (P, Q) pairs with one fixed
//! scalar `s` — the wallet scan's recognition check `VPKr == vsk·ZPKr`
//! without decompressing any point.
//!
//! A twisted-Edwards point's y determines it up to sign, and Baby Jubjub is
//! birationally equivalent to the Montgomery curve `v² = u³ + 168698u² + u`
//! (times a constant B that an x-only ladder never needs) with
//! `u = (1+y)/(1−y)`. So from the 32 bytes of P we take y, start the x-only
//! Montgomery ladder at the projective `(1+y : 1−y)` and obtain
//! `u(s·P) = U/W`, then compare with Q's y projectively:
//! `y_Q·(U+W) == U−W`. No square root, no inversion, and the same operation
//! schedule for every pair (it depends on `s` only), so eight pairs run at
//! once in AVX-512 IFMA lanes where the CPU has them (see [`ifma`]).
//!
//! The filter matches `Q == ±s·P`. It never misses a pair with `Q == s·P`
//! when P is in the prime-order subgroup (every point on chain); a caller
//! must confirm each candidate with an exact check (hits are rare, and a
//! pair with `Q == −s·P` is a candidate the exact check rejects). Bytes that
//! are not a canonical y (bit 254 set, y ≥ p) are never candidates, since
//! every exact decoding rejects them; y = ±1 in P (the identity and the
//! point of order 2) is always a candidate, so that the exact check decides.

use crate::curve::{Base, Scalar};
use ark_ff::{BigInteger, Field, One, PrimeField, Zero};

#[cfg(target_arch = "x86_64")]
pub mod ifma;

/// Which implementation of the lane arithmetic runs the filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// arkworks' field arithmetic, one pair at a time (any CPU).
    Portable,
    /// Eight pairs per AVX-512 IFMA vector (x86-64 with avx512f, avx512vl
    /// and avx512ifma, detected at run time).
    Ifma,
}

impl Backend {
    /// The fastest backend this CPU supports.
    pub fn detect() -> Backend {
        if Backend::Ifma.available() {
            Backend::Ifma
        } else {
            Backend::Portable
        }
    }

    /// Whether this CPU can run the backend.
    pub fn available(self) -> bool {
        match self {
            Backend::Portable => true,
            Backend::Ifma => {
                #[cfg(target_arch = "x86_64")]
                {
                    ifma::available()
                }
                #[cfg(not(target_arch = "x86_64"))]
                {
                    false
                }
            }
        }
    }
}

/// `(A − 2)/4` for Baby Jubjub's Montgomery form (A = 168698).
pub const A24: u64 = 42174;

/// A scalar prepared for the y-only filter.
#[derive(Clone, Debug)]
pub struct LadderScalar {
    /// Bits of `s` below its top set bit, most significant first (the
    /// ladder starts at (P, 2P)); `None` when `s == 0`.
    bits: Option<Vec<bool>>,
    backend: Backend,
    #[cfg(target_arch = "x86_64")]
    consts: Option<ifma::Consts>,
}

/// The y of a 32-byte point encoding, if canonical (bit 254 clear, y < p);
/// the sign bit 255 is ignored.
pub fn y_of(bytes: &[u8]) -> Option<Base> {
    let b: &[u8; 32] = bytes.get(..32)?.try_into().ok()?;
    if b[31] & 0x40 != 0 {
        return None;
    }
    let mut yb = *b;
    yb[31] &= 0x3f;
    crate::curve::base_from_canonical(&yb).ok()
}

impl LadderScalar {
    /// Prepares `s` for the fastest backend this CPU has.
    pub fn new(s: &Scalar) -> Self {
        Self::with_backend(s, Backend::detect())
    }

    /// Prepares `s` for `backend`; falls back to [`Backend::Portable`] when
    /// the CPU lacks it.
    pub fn with_backend(s: &Scalar, backend: Backend) -> Self {
        let backend = if backend.available() {
            backend
        } else {
            Backend::Portable
        };
        let big = s.into_bigint();
        let n = big.num_bits() as usize;
        let bits = (n > 0).then(|| (0..n - 1).rev().map(|i| big.get_bit(i)).collect());
        LadderScalar {
            bits,
            backend,
            #[cfg(target_arch = "x86_64")]
            consts: (backend == Backend::Ifma).then(ifma::Consts::new),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// For each item (whose first 64 bytes are P ‖ Q, both encoded points)
    /// whether it is a candidate for `Q == s·P`: see the module
    /// documentation. Items shorter than 64 bytes are never candidates.
    pub fn candidates<T: AsRef<[u8]>>(&self, items: &[T]) -> Vec<bool> {
        let Some(bits) = &self.bits else {
            // s = 0: every Q might be the identity; the exact check decides.
            return vec![true; items.len()];
        };
        #[cfg(target_arch = "x86_64")]
        if let Some(c) = &self.consts {
            return ifma::candidates(c, bits, items);
        }
        candidates_portable(bits, items)
    }
}

/// Ys of P and Q, or `None` when either is not canonical.
pub(crate) fn ys(item: &[u8]) -> Option<(Base, Base)> {
    Some((y_of(item.get(..32)?)?, y_of(item.get(32..64)?)?))
}

fn candidates_portable<T: AsRef<[u8]>>(bits: &[bool], items: &[T]) -> Vec<bool> {
    let a24 = Base::from(A24);
    // Affine u = (1+y)/(1−y) for every P, with one batched inversion.
    let mut parsed: Vec<Option<(Base, Base)>> = items.iter().map(|i| ys(i.as_ref())).collect();
    let mut dens: Vec<Base> = parsed
        .iter()
        .map(|p| p.map_or(Base::zero(), |(y, _)| Base::one() - y))
        .collect();
    ark_ff::batch_inversion(&mut dens);
    parsed
        .iter_mut()
        .zip(dens)
        .map(|(p, inv)| {
            let Some((yp, yq)) = *p else {
                return false;
            };
            if inv.is_zero() || yp == -Base::one() {
                return true; // y = ±1: exceptional, the exact check decides
            }
            let u = (Base::one() + yp) * inv;
            let (x, z) = ladder_affine(bits, u, a24);
            yq * (x + z) == x - z
        })
        .collect()
}

/// `(U : W)` of `u(s·P)` for `u = u(P)` affine, where `bits` are those of
/// `s` below its top bit.
fn ladder_affine(bits: &[bool], u: Base, a24: Base) -> (Base, Base) {
    // R0 = P, R1 = 2P.
    let mut r0 = (u, Base::one());
    let mut r1 = dbl(r0, a24);
    for &b in bits {
        if b {
            (r1, r0) = step(r1, r0, u, a24);
        } else {
            (r0, r1) = step(r0, r1, u, a24);
        }
    }
    r0
}

fn dbl((x, z): (Base, Base), a24: Base) -> (Base, Base) {
    let aa = (x + z).square();
    let bb = (x - z).square();
    let e = aa - bb;
    (aa * bb, e * (aa + a24 * e))
}

/// One ladder step: `(2·r0, r0 + r1)` given `u(r1 − r0) = u`.
fn step(r0: (Base, Base), r1: (Base, Base), u: Base, a24: Base) -> ((Base, Base), (Base, Base)) {
    let (x2, z2) = r0;
    let (x3, z3) = r1;
    let a = x2 + z2;
    let b = x2 - z2;
    let aa = a.square();
    let bb = b.square();
    let e = aa - bb;
    let c = x3 + z3;
    let d = x3 - z3;
    let da = d * a;
    let cb = c * b;
    let sum = (da + cb).square();
    let diff = (da - cb).square();
    ((aa * bb, e * (aa + a24 * e)), (sum, u * diff))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::{encode_point, generator, mul};
    use ark_ff::UniformRand;
    use rand::SeedableRng;

    fn item(p: &crate::Point, q: &crate::Point) -> [u8; 64] {
        let mut b = [0u8; 64];
        b[..32].copy_from_slice(&encode_point(p));
        b[32..].copy_from_slice(&encode_point(q));
        b
    }

    pub(crate) fn check_backend(backend: Backend) {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(8);
        for round in 0..6 {
            let s = if round == 0 {
                Scalar::one()
            } else {
                Scalar::rand(&mut rng)
            };
            let ls = LadderScalar::with_backend(&s, backend);
            assert_eq!(ls.backend(), backend);
            // 8·k + 3 items: every lane position gets mine and not-mine.
            let n = 8 * 3 + 3;
            let mut items = vec![];
            let mut want = vec![];
            for i in 0..n {
                let p = mul(&generator(), &Scalar::rand(&mut rng));
                let sp = mul(&p, &s);
                let (q, w) = match (i + round) % 4 {
                    0 => (sp, true),
                    1 => (-sp, true), // ±: a candidate the exact check rejects
                    2 => (mul(&p, &(s + Scalar::one())), false),
                    _ => (mul(&generator(), &Scalar::rand(&mut rng)), false),
                };
                items.push(item(&p, &q));
                want.push(w);
            }
            assert_eq!(ls.candidates(&items), want, "round {round}");
        }
    }

    #[test]
    fn portable_filter_matches() {
        check_backend(Backend::Portable);
    }

    #[test]
    fn ifma_filter_matches_when_available() {
        if Backend::Ifma.available() {
            check_backend(Backend::Ifma);
        } else {
            eprintln!("no AVX-512 IFMA on this CPU: SIMD filter not tested");
        }
    }

    #[test]
    fn malformed_and_exceptional_inputs() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
        let s = Scalar::rand(&mut rng);
        let p = mul(&generator(), &Scalar::rand(&mut rng));
        let good = item(&p, &mul(&p, &s));
        let mut bit254 = good;
        bit254[31] |= 0x40;
        let mut bit254q = good;
        bit254q[63] |= 0x40;
        let mut big_y = good;
        big_y[..32].copy_from_slice(&[0xff; 32]);
        big_y[31] = 0x3f; // y = 2^254 − 1 ≥ p
        let mut p_exact = good; // y = p
        p_exact[..32].copy_from_slice(&Base::MODULUS.to_bytes_le());
        let mut off_curve = good;
        off_curve[..32].copy_from_slice(&encode_point(&p));
        off_curve[0] ^= 1; // almost surely not on the curve: any answer, no panic
        let mut ident = [0u8; 64];
        ident[0] = 1; // y = 1: P is the identity
        ident[32] = 1;
        let mut two = [0u8; 64]; // y = −1
        two[..32].copy_from_slice(&encode_base_neg_one());
        let short = [0u8; 40];
        for backend in [Backend::Portable, Backend::Ifma] {
            if !backend.available() {
                continue;
            }
            let ls = LadderScalar::with_backend(&s, backend);
            let items: Vec<&[u8]> = vec![
                &good,
                &bit254,
                &bit254q,
                &big_y,
                &p_exact,
                &off_curve,
                &ident,
                &two,
                &short,
                &[0u8; 64],
                &[0xffu8; 64],
                &good,
            ];
            let c = ls.candidates(&items);
            assert_eq!(
                [c[0], c[1], c[2], c[3], c[4], c[6], c[7], c[8], c[11]],
                [true, false, false, false, false, true, true, false, true],
                "{backend:?}"
            );
            // s = 0: everything is a candidate.
            let zero = LadderScalar::with_backend(&Scalar::zero(), backend);
            assert_eq!(zero.candidates(&items), vec![true; items.len()]);
        }
    }

    fn encode_base_neg_one() -> [u8; 32] {
        crate::curve::encode_base(&-Base::one())
    }
}
