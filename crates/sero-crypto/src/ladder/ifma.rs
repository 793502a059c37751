//! The y-only ladder in AVX-512 IFMA lanes: eight pairs per 512-bit vector,
//! one pair per 64-bit lane, each field element as five 52-bit limbs
//! (radix 2^52, five vectors). Multiplication is Montgomery's with
//! R = 2^260 using `vpmadd52luq`/`vpmadd52huq`; every lane runs the same
//! instructions, because the ladder's schedule depends on the fixed scalar
//! only.
//!
//! Reduction is lazy. With p < 2^253.6: a Montgomery product of two values
//! below 8p is below 2p (8p·8p/2^260 < p); `add` of two values below 4p is
//! below 8p; `sub(a, b) = a + 4p − b` needs b ≤ 4p. The ladder keeps every
//! stored coordinate a product (< 2p), so all bounds hold; only the final
//! comparison reduces fully (in scalar code).

use super::A24;
use crate::curve::Base;
use ark_ff::{BigInteger, Field, PrimeField};
use core::arch::x86_64::*;

const MASK: u64 = (1 << 52) - 1;
type Fe = [__m512i; 5];

/// Whether this CPU has the instructions (checked at run time).
pub fn available() -> bool {
    is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512vl")
        && is_x86_feature_detected!("avx512ifma")
}

/// Field constants in radix 2^52.
#[derive(Clone, Debug)]
pub struct Consts {
    p: [u64; 5],
    p4: [u64; 5],
    /// −p⁻¹ mod 2^52.
    pinv: u64,
    /// R² mod p (to enter Montgomery form).
    r2: [u64; 5],
    /// R mod p (Montgomery form of 1).
    one: [u64; 5],
    /// Montgomery form of (A − 2)/4.
    a24: [u64; 5],
}

/// 4 little-endian 64-bit words → 5 limbs of 52 bits (input < 2^260).
pub(crate) fn to_limbs(w: [u64; 4]) -> [u64; 5] {
    [
        w[0] & MASK,
        (w[0] >> 52 | w[1] << 12) & MASK,
        (w[1] >> 40 | w[2] << 24) & MASK,
        (w[2] >> 28 | w[3] << 36) & MASK,
        w[3] >> 16,
    ]
}

fn words_of(b: &impl BigInteger) -> [u64; 4] {
    let le = b.to_bytes_le();
    let mut w = [0u64; 4];
    for (i, c) in le.chunks(8).take(4).enumerate() {
        w[i] = u64::from_le_bytes(c.try_into().expect("8 bytes"));
    }
    w
}

fn limbs_of(f: Base) -> [u64; 5] {
    to_limbs(words_of(&f.into_bigint()))
}

impl Consts {
    pub fn new() -> Self {
        let p = to_limbs(words_of(&Base::MODULUS));
        let mut p4 = [0u64; 5];
        let mut carry = 0u64;
        for i in 0..5 {
            let v = (p[i] << 2) + carry;
            p4[i] = v & MASK;
            carry = v >> 52;
        }
        p4[4] += carry << 52;
        // p⁻¹ mod 2^64 by Newton's iteration, then −p⁻¹ mod 2^52.
        let p0 = Base::MODULUS.as_ref()[0];
        let mut inv = 1u64;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(p0.wrapping_mul(inv)));
        }
        let two = Base::from(2u64);
        let r = two.pow([260u64]);
        Consts {
            p,
            p4,
            pinv: inv.wrapping_neg() & MASK,
            r2: limbs_of(r * r),
            one: limbs_of(r),
            a24: limbs_of(Base::from(A24) * r),
        }
    }
}

impl Default for Consts {
    fn default() -> Self {
        Self::new()
    }
}

/// Reduces a value below 2^260 given as 5 limbs (< 2^52 each but the top)
/// to its canonical residue, as 5 limbs.
pub(crate) fn canonical(mut v: [u64; 5], p: &[u64; 5]) -> [u64; 5] {
    loop {
        // v ≥ p ?
        let mut ge = true;
        for i in (0..5).rev() {
            if v[i] != p[i] {
                ge = v[i] > p[i];
                break;
            }
        }
        if !ge {
            return v;
        }
        let mut borrow = 0i64;
        for i in 0..5 {
            let d = v[i] as i64 - p[i] as i64 + borrow;
            v[i] = (d as u64) & MASK;
            borrow = d >> 52;
        }
        // The top limb takes the leftover (v ≥ p so the total is ≥ 0).
        v[4] = v[4].wrapping_add((borrow as u64) << 52);
    }
}

/// Parses a canonical y (bit 254 clear, y < p; bit 255 ignored) as limbs.
pub(crate) fn parse_y(b: &[u8], p: &[u64; 5]) -> Option<[u64; 5]> {
    let b: &[u8; 32] = b.get(..32)?.try_into().ok()?;
    if b[31] & 0x40 != 0 {
        return None;
    }
    let mut w = [0u64; 4];
    for (i, c) in b.chunks(8).enumerate() {
        w[i] = u64::from_le_bytes(c.try_into().expect("8 bytes"));
    }
    w[3] &= (1 << 62) - 1;
    let l = to_limbs(w);
    (canonical(l, p) == l).then_some(l)
}

/// Lanes per vector.
pub const LANES: usize = 8;

/// The filter over `items` (see [`super::LadderScalar::candidates`]).
pub(crate) fn candidates<T: AsRef<[u8]>>(c: &Consts, bits: &[bool], items: &[T]) -> Vec<bool> {
    let p = c.p;
    let mut pm1 = p;
    pm1[0] -= 1; // p's low limb is odd
    let mut one_raw = [0u64; 5];
    one_raw[0] = 1;
    let mut out = Vec::with_capacity(items.len());
    for group in items.chunks(LANES) {
        let mut yp = [[0u64; LANES]; 5];
        let mut yq = [[0u64; LANES]; 5];
        // None: not canonical (never a candidate); Some(true): exceptional
        // (always a candidate); Some(false): the ladder decides.
        let mut status = [None; LANES];
        for (lane, it) in group.iter().enumerate() {
            let it = it.as_ref();
            let (Some(a), Some(b)) = (
                it.get(..32).and_then(|s| parse_y(s, &p)),
                it.get(32..64).and_then(|s| parse_y(s, &p)),
            ) else {
                continue;
            };
            status[lane] = Some(a == one_raw || a == pm1);
            for k in 0..5 {
                yp[k][lane] = a[k];
                yq[k][lane] = b[k];
            }
        }
        // SAFETY: `Consts` exists only for a backend chosen after
        // `available()` confirmed avx512f, avx512vl and avx512ifma.
        let (lhs, rhs) = unsafe { ladder_lanes(c, bits, &yp, &yq) };
        for (lane, st) in status.iter().take(group.len()).enumerate() {
            out.push(match st {
                None => false,
                Some(true) => true,
                Some(false) => {
                    let l: [u64; 5] = core::array::from_fn(|k| lhs[k][lane]);
                    let r: [u64; 5] = core::array::from_fn(|k| rhs[k][lane]);
                    canonical(l, &p) == canonical(r, &p)
                }
            });
        }
    }
    out
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
fn splat(l: &[u64; 5]) -> Fe {
    core::array::from_fn(|k| _mm512_set1_epi64(l[k] as i64))
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
fn load(l: &[[u64; LANES]; 5]) -> Fe {
    // SAFETY: each row is 8 u64 = 64 readable bytes; loadu has no
    // alignment requirement.
    core::array::from_fn(|k| unsafe { _mm512_loadu_si512(l[k].as_ptr().cast()) })
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
fn store(v: &Fe) -> [[u64; LANES]; 5] {
    let mut out = [[0u64; LANES]; 5];
    for k in 0..5 {
        // SAFETY: each row is 8 u64 = 64 writable bytes; storeu has no
        // alignment requirement.
        unsafe { _mm512_storeu_si512(out[k].as_mut_ptr().cast(), v[k]) };
    }
    out
}

/// Field operations on eight lanes at once.
#[derive(Clone, Copy)]
struct F {
    p: Fe,
    p4: Fe,
    pinv: __m512i,
    mask: __m512i,
}

impl F {
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn new(c: &Consts) -> F {
        F {
            p: splat(&c.p),
            p4: splat(&c.p4),
            pinv: _mm512_set1_epi64(c.pinv as i64),
            mask: _mm512_set1_epi64(MASK as i64),
        }
    }

    /// Montgomery product a·b/2^260 mod p, < 2p for a, b < 8p.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn mul(&self, a: &Fe, b: &Fe) -> Fe {
        let z = _mm512_setzero_si512();
        let mut t = [z; 10];
        for i in 0..5 {
            for j in 0..5 {
                t[i + j] = _mm512_madd52lo_epu64(t[i + j], a[i], b[j]);
                t[i + j + 1] = _mm512_madd52hi_epu64(t[i + j + 1], a[i], b[j]);
            }
        }
        for i in 0..5 {
            // q = −t·p⁻¹ mod 2^52 (madd52 reads the low 52 bits of t[i]).
            let q = _mm512_madd52lo_epu64(z, t[i], self.pinv);
            for j in 0..5 {
                t[i + j] = _mm512_madd52lo_epu64(t[i + j], q, self.p[j]);
                t[i + j + 1] = _mm512_madd52hi_epu64(t[i + j + 1], q, self.p[j]);
            }
            // t[i] ≡ 0 mod 2^52 now; carry its high bits on.
            t[i + 1] = _mm512_add_epi64(t[i + 1], _mm512_srli_epi64::<52>(t[i]));
        }
        let mut r = [t[5], t[6], t[7], t[8], t[9]];
        for k in 0..4 {
            r[k + 1] = _mm512_add_epi64(r[k + 1], _mm512_srli_epi64::<52>(r[k]));
            r[k] = _mm512_and_si512(r[k], self.mask);
        }
        r
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn sq(&self, a: &Fe) -> Fe {
        self.mul(a, a)
    }

    /// a + b, limbs normalised.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn add(&self, a: &Fe, b: &Fe) -> Fe {
        let mut r: Fe = core::array::from_fn(|k| _mm512_add_epi64(a[k], b[k]));
        for k in 0..4 {
            r[k + 1] = _mm512_add_epi64(r[k + 1], _mm512_srli_epi64::<52>(r[k]));
            r[k] = _mm512_and_si512(r[k], self.mask);
        }
        r
    }

    /// a + 4p − b (b ≤ 4p), limbs normalised.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn sub(&self, a: &Fe, b: &Fe) -> Fe {
        let mut r: Fe =
            core::array::from_fn(|k| _mm512_sub_epi64(_mm512_add_epi64(a[k], self.p4[k]), b[k]));
        for k in 0..4 {
            r[k + 1] = _mm512_add_epi64(r[k + 1], _mm512_srai_epi64::<52>(r[k]));
            r[k] = _mm512_and_si512(r[k], self.mask);
        }
        r
    }
}

/// Runs the ladder on eight lanes: returns `(y_Q·(U+W), U−W)` (lazy
/// residues, limb-major) for `u(s·P) = U/W`.
///
/// # Safety
/// The CPU must support avx512f, avx512vl and avx512ifma.
#[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
unsafe fn ladder_lanes(
    c: &Consts,
    bits: &[bool],
    yp: &[[u64; LANES]; 5],
    yq: &[[u64; LANES]; 5],
) -> ([[u64; LANES]; 5], [[u64; LANES]; 5]) {
    let f = F::new(c);
    let r2 = splat(&c.r2);
    let one = splat(&c.one);
    let a24 = splat(&c.a24);
    let ypm = f.mul(&load(yp), &r2);
    // Base point (1 + y : 1 − y), both < 8p.
    let xp = f.add(&one, &ypm);
    let zp = f.sub(&one, &ypm);
    let dbl = |x: &Fe, z: &Fe| -> (Fe, Fe) {
        let aa = f.sq(&f.add(x, z));
        let bb = f.sq(&f.sub(x, z));
        let e = f.sub(&aa, &bb);
        let t = f.add(&aa, &f.mul(&a24, &e));
        (f.mul(&aa, &bb), f.mul(&e, &t))
    };
    // R0 = P (as products, < 2p), R1 = 2P.
    let (mut x2, mut z2) = (f.mul(&xp, &one), f.mul(&zp, &one));
    let (mut x3, mut z3) = dbl(&x2, &z2);
    for &b in bits {
        if b {
            core::mem::swap(&mut x2, &mut x3);
            core::mem::swap(&mut z2, &mut z3);
        }
        // (R0, R1) ← (2R0, R0 + R1), R1 − R0 = P.
        let a = f.add(&x2, &z2);
        let bq = f.sub(&x2, &z2);
        let cq = f.add(&x3, &z3);
        let d = f.sub(&x3, &z3);
        let aa = f.sq(&a);
        let bb = f.sq(&bq);
        let da = f.mul(&d, &a);
        let cb = f.mul(&cq, &bq);
        let e = f.sub(&aa, &bb);
        let sum = f.sq(&f.add(&da, &cb));
        let diff = f.sq(&f.sub(&da, &cb));
        let t = f.add(&aa, &f.mul(&a24, &e));
        x2 = f.mul(&aa, &bb);
        z2 = f.mul(&e, &t);
        x3 = f.mul(&zp, &sum);
        z3 = f.mul(&xp, &diff);
        if b {
            core::mem::swap(&mut x2, &mut x3);
            core::mem::swap(&mut z2, &mut z3);
        }
    }
    let yqm = f.mul(&load(yq), &r2);
    let lhs = f.mul(&yqm, &f.add(&x2, &z2));
    let rhs = f.sub(&x2, &z2);
    (store(&lhs), store(&rhs))
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)] // limb and lane indices read best as such
mod tests {
    use super::*;
    use ark_ff::{UniformRand, Zero};
    use rand::SeedableRng;

    fn value_limbs(f: Base, extra_p: u64, c: &Consts) -> [u64; 5] {
        // f + extra_p·p as limbs (lazy representative).
        let mut l = limbs_of(f);
        let mut carry = 0u64;
        for i in 0..5 {
            let v = l[i] + extra_p * c.p[i] + carry;
            l[i] = v & MASK;
            carry = v >> 52;
        }
        l[4] += carry << 52;
        l
    }

    fn from_limbs(l: [u64; 5], c: &Consts) -> Base {
        let l = canonical(l, &c.p);
        let mut bytes = [0u8; 32];
        let mut acc: u128 = 0;
        let mut nbits = 0;
        let mut o = 0;
        for limb in l {
            acc |= (limb as u128) << nbits;
            nbits += 52;
            while nbits >= 8 && o < 32 {
                bytes[o] = acc as u8;
                acc >>= 8;
                nbits -= 8;
                o += 1;
            }
        }
        while o < 32 {
            bytes[o] = acc as u8;
            acc >>= 8;
            o += 1;
        }
        Base::from_le_bytes_mod_order(&bytes)
    }

    /// Runs `op` on eight lanes of (a, b) and returns the lanes as field
    /// elements (canonical).
    fn lanes(c: &Consts, a: &[[u64; 5]; 8], b: &[[u64; 5]; 8], op: u8) -> Vec<Base> {
        #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
        fn run(c: &Consts, a: &[[u64; LANES]; 5], b: &[[u64; LANES]; 5], op: u8) -> [[u64; 8]; 5] {
            let f = F::new(c);
            let (a, b) = (load(a), load(b));
            store(&match op {
                0 => f.mul(&a, &b),
                1 => f.add(&a, &b),
                _ => f.sub(&a, &b),
            })
        }
        let t = |x: &[[u64; 5]; 8]| -> [[u64; 8]; 5] {
            core::array::from_fn(|k| core::array::from_fn(|l| x[l][k]))
        };
        // SAFETY: only called after `available()`.
        let r = unsafe { run(c, &t(a), &t(b), op) };
        (0..8)
            .map(|l| from_limbs(core::array::from_fn(|k| r[k][l]), c))
            .collect()
    }

    #[test]
    fn field_ops_match_arkworks() {
        if !available() {
            eprintln!("no AVX-512 IFMA on this CPU: lane arithmetic not tested");
            return;
        }
        let c = Consts::new();
        let rinv = Base::from(2u64).pow([260u64]).inverse().unwrap();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let edge = [
            Base::zero(),
            Base::from(1u64),
            -Base::from(1u64),
            -Base::from(2u64),
            Base::from(2u64).pow([252u64]),
            Base::from(2u64).pow([253u64]),
            -Base::from(2u64).pow([200u64]),
            Base::from(u64::MAX),
        ];
        for round in 0..200 {
            let pick = |rng: &mut rand_chacha::ChaCha20Rng, i: usize| {
                if round < 16 {
                    edge[(i + round) % edge.len()]
                } else {
                    Base::rand(rng)
                }
            };
            let av: Vec<Base> = (0..8).map(|i| pick(&mut rng, i)).collect();
            let bv: Vec<Base> = (0..8).map(|i| pick(&mut rng, i * 3 + 1)).collect();
            // Lazy representatives: mul inputs up to 8p (value + k·p, k ≤ 7);
            // add inputs below 4p; sub: a below 4p, b up to 4p.
            let k = (round % 8) as u64;
            let la: [[u64; 5]; 8] = core::array::from_fn(|i| value_limbs(av[i], k, &c));
            let lb: [[u64; 5]; 8] = core::array::from_fn(|i| value_limbs(bv[i], 7 - k, &c));
            let got = lanes(&c, &la, &lb, 0);
            for i in 0..8 {
                assert_eq!(got[i], av[i] * bv[i] * rinv, "mul lane {i} round {round}");
            }
            let la: [[u64; 5]; 8] = core::array::from_fn(|i| value_limbs(av[i], k % 4, &c));
            let lb: [[u64; 5]; 8] = core::array::from_fn(|i| value_limbs(bv[i], 3 - k % 4, &c));
            let got = lanes(&c, &la, &lb, 1);
            for i in 0..8 {
                assert_eq!(got[i], av[i] + bv[i], "add lane {i}");
            }
            let got = lanes(&c, &la, &lb, 2);
            for i in 0..8 {
                assert_eq!(got[i], av[i] - bv[i], "sub lane {i}");
            }
            // The product bound: results below 2p before canonicalisation.
            let la: [[u64; 5]; 8] = core::array::from_fn(|i| value_limbs(av[i], 7, &c));
            #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
            fn raw_mul(c: &Consts, a: &[[u64; LANES]; 5]) -> [[u64; 8]; 5] {
                let f = F::new(c);
                store(&f.mul(&load(a), &load(a)))
            }
            let t: [[u64; 8]; 5] = core::array::from_fn(|k| core::array::from_fn(|l| la[l][k]));
            // SAFETY: only called after `available()`.
            let r = unsafe { raw_mul(&c, &t) };
            let mut p2 = c.p.map(|x| x * 2);
            for k in 0..4 {
                p2[k + 1] += p2[k] >> 52;
                p2[k] &= MASK;
            }
            for l in 0..8 {
                let v: [u64; 5] = core::array::from_fn(|k| r[k][l]);
                assert!(v.iter().take(4).all(|&x| x <= MASK));
                assert!((0..5)
                    .rev()
                    .find(|&k| v[k] != p2[k])
                    .is_none_or(|k| v[k] < p2[k]));
            }
        }
    }

    #[test]
    fn parse_and_canonical() {
        let c = Consts::new();
        let p = c.p;
        assert_eq!(canonical(p, &p), [0; 5]);
        let mut b = Base::MODULUS.to_bytes_le();
        assert_eq!(parse_y(&b, &p), None);
        b[0] -= 1;
        assert_eq!(parse_y(&b, &p), Some(limbs_of(-Base::from(1u64))));
        b[31] |= 0x80; // the sign bit is ignored
        assert!(parse_y(&b, &p).is_some());
        b[31] |= 0x40;
        assert_eq!(parse_y(&b, &p), None);
        assert_eq!(c.one, limbs_of(Base::from(2u64).pow([260u64])));
    }
}
