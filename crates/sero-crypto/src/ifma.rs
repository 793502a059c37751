//! Prime-field arithmetic in AVX-512 IFMA lanes, for any odd modulus
//! p < 2^254 (BN254's two fields, Baby Jubjub's base field is BN254's
//! scalar field): eight field elements per set of five 512-bit vectors, one
//! per 64-bit lane, each as five 52-bit limbs (radix 2^52). Multiplication
//! is Montgomery's with R = 2^260 using `vpmadd52luq`/`vpmadd52huq`.
//!
//! Users: the wallet scan's y-only ladder ([`crate::ladder`]) and the
//! batched Miller loop of proof verification (`sero_zk::miller`).
//!
//! Bounds (p < 2^253.6, so 8p < 2^257 and limbs never overflow):
//! * [`Lanes::mul`] of two values below 8p is below 2p
//!   (8p·8p/2^260 + p < 2p);
//! * [`Lanes::add`] of two values below 4p is below 8p (no reduction);
//!   [`Lanes::sub`] computes a + 4p − b and needs a < 4p, b ≤ 4p;
//! * [`Lanes::add_r`], [`Lanes::sub_r`] and [`Lanes::neg_r`] take values
//!   below 2p and return values below 2p (one conditional subtraction of
//!   2p), so that long chains of additions stay bounded.
//!
//! Every function with `#[target_feature]` may only run on a CPU for which
//! [`available`] returned true; a [`Lanes`] value is built only after that
//! check, which is what the callers' `unsafe` blocks rely on.

// The `pub` functions below are `#[target_feature]` functions, which Rust
// treats as unsafe to call outside code with the same features; their one
// safety condition is the module's (a CPU for which `available()` is true).
#![allow(clippy::missing_safety_doc)]

use ark_ff::{BigInteger, PrimeField};
use core::arch::x86_64::*;

/// The low 52 bits.
pub const MASK: u64 = (1 << 52) - 1;
/// Lanes per vector.
pub const LANES: usize = 8;
/// Eight field elements: limb k of every lane in vector k.
pub type Fe = [__m512i; 5];
/// Eight field elements as plain limbs, limb-major (`[limb][lane]`).
pub type Rows = [[u64; LANES]; 5];

/// Whether this CPU has the instructions (checked at run time).
pub fn available() -> bool {
    is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512vl")
        && is_x86_feature_detected!("avx512ifma")
}

/// The lanes' constants of Baby Jubjub's base field (BN254's scalar
/// field), built once; `None` where the CPU lacks the instructions. Shared
/// by the square roots of point decompression, the subgroup check and the
/// lane Poseidon.
pub fn base_modulus() -> Option<&'static Modulus> {
    static M: std::sync::OnceLock<Option<Modulus>> = std::sync::OnceLock::new();
    M.get_or_init(|| available().then(Modulus::of::<crate::curve::Base>))
        .as_ref()
}

/// 4 little-endian 64-bit words → 5 limbs of 52 bits (input < 2^260).
pub fn to_limbs(w: [u64; 4]) -> [u64; 5] {
    [
        w[0] & MASK,
        (w[0] >> 52 | w[1] << 12) & MASK,
        (w[1] >> 40 | w[2] << 24) & MASK,
        (w[2] >> 28 | w[3] << 36) & MASK,
        w[3] >> 16,
    ]
}

/// 5 limbs (value < 2^256) → 4 little-endian 64-bit words.
pub fn from_limbs(l: [u64; 5]) -> [u64; 4] {
    [
        l[0] | l[1] << 52,
        l[1] >> 12 | l[2] << 40,
        l[2] >> 24 | l[3] << 28,
        l[3] >> 36 | l[4] << 16,
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

/// The canonical integer of `f` as limbs (not in Montgomery form).
pub fn limbs_of<F: PrimeField>(f: F) -> [u64; 5] {
    to_limbs(words_of(&f.into_bigint()))
}

/// The field element whose integer the limbs hold (any value below 2^256;
/// reduced modulo p).
pub fn field_of<F: PrimeField>(l: [u64; 5]) -> F {
    let w = from_limbs(l);
    let mut b = [0u8; 32];
    for (i, x) in w.iter().enumerate() {
        b[8 * i..8 * i + 8].copy_from_slice(&x.to_le_bytes());
    }
    F::from_le_bytes_mod_order(&b)
}

/// Reduces a value below 2^260 given as 5 limbs (< 2^52 each but the top)
/// to its canonical residue, as 5 limbs.
pub fn canonical(mut v: [u64; 5], p: &[u64; 5]) -> [u64; 5] {
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

/// `k·p` as normalised limbs (k ≤ 16).
fn times(p: &[u64; 5], k: u64) -> [u64; 5] {
    let mut r = [0u64; 5];
    let mut carry = 0u64;
    for i in 0..5 {
        let v = p[i] * k + carry;
        r[i] = v & MASK;
        carry = v >> 52;
    }
    r[4] += carry << 52;
    r
}

/// A modulus and its Montgomery constants in radix 2^52.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Modulus {
    pub p: [u64; 5],
    /// 2p and 4p, normalised.
    pub p2: [u64; 5],
    pub p4: [u64; 5],
    /// −p⁻¹ mod 2^52.
    pub pinv: u64,
    /// R² mod p (to enter Montgomery form).
    pub r2: [u64; 5],
    /// R mod p (Montgomery form of 1).
    pub one: [u64; 5],
}

impl Modulus {
    /// The constants of `F`'s modulus (which must be below 2^254).
    pub fn of<F: PrimeField>() -> Self {
        assert!(F::MODULUS_BIT_SIZE <= 254, "modulus below 2^254");
        let p = to_limbs(words_of(&F::MODULUS));
        // p⁻¹ mod 2^64 by Newton's iteration, then −p⁻¹ mod 2^52.
        let p0 = F::MODULUS.as_ref()[0];
        let mut inv = 1u64;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(p0.wrapping_mul(inv)));
        }
        let r = F::from(2u64).pow([260u64]);
        Modulus {
            p,
            p2: times(&p, 2),
            p4: times(&p, 4),
            pinv: inv.wrapping_neg() & MASK,
            r2: limbs_of(r * r),
            one: limbs_of(r),
        }
    }

    /// The Montgomery form (x·R mod p, canonical) of `f`, as limbs.
    pub fn mont<F: PrimeField>(&self, f: F) -> [u64; 5] {
        limbs_of(f * F::from(2u64).pow([260u64]))
    }

    /// The field element whose Montgomery form the limbs hold (any lazy
    /// representative below 2^256); slow (an inversion), for tests.
    #[cfg(test)]
    pub fn unmont<F: PrimeField>(&self, l: [u64; 5]) -> F {
        let x: F = field_of(canonical(l, &self.p));
        x * F::from(2u64)
            .pow([260u64])
            .inverse()
            .expect("R is invertible")
    }
}

/// `v^e` for every value of `values`, eight per vector pass, for the
/// exponent `e` whose sliding-window schedule of `width` is `schedule`
/// ([`crate::sqrt::window_schedule`]); `m` is `F`'s modulus. The users:
/// the square roots of point decompression and the Tate pairing's final
/// exponentiation of the Baby Jubjub subgroup check.
///
/// # Panics
/// On a CPU for which [`available`] is false (a caller bug: callers check).
pub fn pow_many<F: PrimeField>(
    m: &Modulus,
    schedule: &[(u32, usize)],
    width: u32,
    values: &[F],
) -> Vec<F> {
    assert!(available(), "IFMA lanes on this CPU");
    let mut out = Vec::with_capacity(values.len());
    for chunk in values.chunks(LANES) {
        let mut rows: Rows = [[0; LANES]; 5];
        for (l, v) in chunk.iter().enumerate() {
            let limbs = limbs_of(*v);
            for k in 0..5 {
                rows[k][l] = limbs[k];
            }
        }
        // SAFETY: the CPU has the instructions (checked above).
        let r = unsafe { pow_rows(m, schedule, width, &rows) };
        out.extend(
            (0..chunk.len())
                .map(|l| field_of::<F>(canonical(core::array::from_fn(|k| r[k][l]), &m.p))),
        );
    }
    out
}

/// [`pow_many`] on one vector of canonical values (out: below 2p).
#[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
fn pow_rows(m: &Modulus, schedule: &[(u32, usize)], width: u32, rows: &Rows) -> Rows {
    let f = Lanes::new(m);
    let x = f.mul(&load(rows), &splat(&m.r2));
    let y = f.pow(&x, schedule, width);
    store(&f.mul(&y, &splat(&[1, 0, 0, 0, 0])))
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
pub fn splat(l: &[u64; 5]) -> Fe {
    core::array::from_fn(|k| _mm512_set1_epi64(l[k] as i64))
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
pub fn load(l: &Rows) -> Fe {
    // SAFETY: each row is 8 u64 = 64 readable bytes; loadu has no
    // alignment requirement.
    core::array::from_fn(|k| unsafe { _mm512_loadu_si512(l[k].as_ptr().cast()) })
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
pub fn store(v: &Fe) -> Rows {
    let mut out = [[0u64; LANES]; 5];
    for k in 0..5 {
        // SAFETY: each row is 8 u64 = 64 writable bytes; storeu has no
        // alignment requirement.
        unsafe { _mm512_storeu_si512(out[k].as_mut_ptr().cast(), v[k]) };
    }
    out
}

/// Field operations on eight lanes at once (see the module's bounds).
#[derive(Clone, Copy)]
pub struct Lanes {
    p: Fe,
    p2: Fe,
    p4: Fe,
    pinv: __m512i,
    mask: __m512i,
}

impl Lanes {
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    pub fn new(m: &Modulus) -> Lanes {
        Lanes {
            p: splat(&m.p),
            p2: splat(&m.p2),
            p4: splat(&m.p4),
            pinv: _mm512_set1_epi64(m.pinv as i64),
            mask: _mm512_set1_epi64(MASK as i64),
        }
    }

    /// Montgomery product a·b/2^260 mod p, < 2p for a, b < 8p.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    pub fn mul(&self, a: &Fe, b: &Fe) -> Fe {
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
    pub fn sq(&self, a: &Fe) -> Fe {
        self.mul(a, a)
    }

    /// a + b, limbs normalised (no reduction).
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    pub fn add(&self, a: &Fe, b: &Fe) -> Fe {
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
    pub fn sub(&self, a: &Fe, b: &Fe) -> Fe {
        self.sub_plus(a, b, &self.p4)
    }

    /// a + k − b, limbs normalised (signed carries).
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn sub_plus(&self, a: &Fe, b: &Fe, k: &Fe) -> Fe {
        let mut r: Fe =
            core::array::from_fn(|i| _mm512_sub_epi64(_mm512_add_epi64(a[i], k[i]), b[i]));
        for i in 0..4 {
            r[i + 1] = _mm512_add_epi64(r[i + 1], _mm512_srai_epi64::<52>(r[i]));
            r[i] = _mm512_and_si512(r[i], self.mask);
        }
        r
    }

    /// a − 2p where a ≥ 2p, else a: a value below 4p → below 2p.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn reduce2(&self, a: &Fe) -> Fe {
        let z = _mm512_setzero_si512();
        let t = self.sub_plus(a, &self.p2, &[z; 5]);
        // Lanes where a − 2p went negative keep a.
        let neg = _mm512_cmplt_epi64_mask(t[4], z);
        core::array::from_fn(|k| _mm512_mask_blend_epi64(neg, t[k], a[k]))
    }

    /// a + b for a, b < 2p, result < 2p.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    pub fn add_r(&self, a: &Fe, b: &Fe) -> Fe {
        self.reduce2(&self.add(a, b))
    }

    /// a − b for a, b < 2p, result < 2p.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    pub fn sub_r(&self, a: &Fe, b: &Fe) -> Fe {
        self.reduce2(&self.sub_plus(a, b, &self.p2))
    }

    /// −a for a < 2p, result < 2p.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    pub fn neg_r(&self, a: &Fe) -> Fe {
        let z = [_mm512_setzero_si512(); 5];
        self.sub_r(&z, a)
    }

    /// `a^e` in every lane (Montgomery form in and out, `a` below 8p,
    /// result below 2p), for the exponent `e` whose sliding-window
    /// schedule of `width` (1 to 5) is `schedule`
    /// ([`crate::sqrt::window_schedule`]); the exponent is public and the
    /// same in every lane.
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    pub fn pow(&self, a: &Fe, schedule: &[(u32, usize)], width: u32) -> Fe {
        assert!((1..=5).contains(&width), "window width 1 to 5");
        let (first, rest) = schedule.split_first().expect("nonzero exponent");
        let n = 1usize << (width - 1);
        let a2 = self.sq(a);
        let mut odd = [*a; 16];
        for i in 1..n {
            odd[i] = self.mul(&odd[i - 1], &a2);
        }
        let mut acc = odd[first.1];
        for &(sq, idx) in rest {
            for _ in 0..sq {
                acc = self.sq(&acc);
            }
            if idx != usize::MAX {
                acc = self.mul(&acc, &odd[idx]);
            }
        }
        acc
    }
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)] // limb and lane indices read best as such
mod tests {
    use super::*;
    use crate::curve::Base;
    use ark_ff::{Field, UniformRand, Zero};
    use rand::SeedableRng;

    fn value_limbs(f: Base, extra_p: u64, m: &Modulus) -> [u64; 5] {
        // f + extra_p·p as limbs (lazy representative).
        let mut l = limbs_of(f);
        let kp = times(&m.p, extra_p);
        let mut carry = 0u64;
        for i in 0..5 {
            let v = l[i] + kp[i] + carry;
            l[i] = v & MASK;
            carry = v >> 52;
        }
        l[4] += carry << 52;
        l
    }

    fn below(v: &[u64; 5], bound: &[u64; 5]) -> bool {
        v.iter().take(4).all(|&x| x <= MASK)
            && (0..5)
                .rev()
                .find(|&k| v[k] != bound[k])
                .is_some_and(|k| v[k] < bound[k])
    }

    /// Runs `op` on eight lanes of (a, b) and returns the raw lanes.
    fn lanes(m: &Modulus, a: &[[u64; 5]; 8], b: &[[u64; 5]; 8], op: u8) -> [[u64; 5]; 8] {
        #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
        fn run(m: &Modulus, a: &Rows, b: &Rows, op: u8) -> Rows {
            let f = Lanes::new(m);
            let (a, b) = (load(a), load(b));
            store(&match op {
                0 => f.mul(&a, &b),
                1 => f.add(&a, &b),
                2 => f.sub(&a, &b),
                3 => f.add_r(&a, &b),
                4 => f.sub_r(&a, &b),
                _ => f.neg_r(&a),
            })
        }
        let t = |x: &[[u64; 5]; 8]| -> Rows {
            core::array::from_fn(|k| core::array::from_fn(|l| x[l][k]))
        };
        // SAFETY: only called after `available()`.
        let r = unsafe { run(m, &t(a), &t(b), op) };
        core::array::from_fn(|l| core::array::from_fn(|k| r[k][l]))
    }

    #[test]
    fn field_ops_match_arkworks() {
        if !available() {
            eprintln!("no AVX-512 IFMA on this CPU: lane arithmetic not tested");
            return;
        }
        let m = Modulus::of::<Base>();
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
        let val = |l: [u64; 5]| -> Base { field_of(canonical(l, &m.p)) };
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
            let la: [[u64; 5]; 8] = core::array::from_fn(|i| value_limbs(av[i], k, &m));
            let lb: [[u64; 5]; 8] = core::array::from_fn(|i| value_limbs(bv[i], 7 - k, &m));
            let got = lanes(&m, &la, &lb, 0);
            for i in 0..8 {
                assert_eq!(
                    val(got[i]),
                    av[i] * bv[i] * rinv,
                    "mul lane {i} round {round}"
                );
                assert!(below(&got[i], &m.p2), "mul below 2p");
            }
            let la: [[u64; 5]; 8] = core::array::from_fn(|i| value_limbs(av[i], k % 4, &m));
            let lb: [[u64; 5]; 8] = core::array::from_fn(|i| value_limbs(bv[i], 3 - k % 4, &m));
            let got = lanes(&m, &la, &lb, 1);
            for i in 0..8 {
                assert_eq!(val(got[i]), av[i] + bv[i], "add lane {i}");
            }
            let got = lanes(&m, &la, &lb, 2);
            for i in 0..8 {
                assert_eq!(val(got[i]), av[i] - bv[i], "sub lane {i}");
            }
            // The reducing operations: inputs below 2p, outputs below 2p.
            let la: [[u64; 5]; 8] = core::array::from_fn(|i| value_limbs(av[i], k % 2, &m));
            let lb: [[u64; 5]; 8] = core::array::from_fn(|i| value_limbs(bv[i], 1 - k % 2, &m));
            type Op = (u8, fn(Base, Base) -> Base);
            let ops: [Op; 3] = [(3, |a, b| a + b), (4, |a, b| a - b), (5, |a, _| -a)];
            for (op, want) in ops {
                let got = lanes(&m, &la, &lb, op);
                for i in 0..8 {
                    assert_eq!(val(got[i]), want(av[i], bv[i]), "op {op} lane {i}");
                    assert!(below(&got[i], &m.p2), "op {op} below 2p");
                }
            }
        }
    }

    #[test]
    fn pow_matches_arkworks() {
        if !available() {
            eprintln!("no AVX-512 IFMA on this CPU: lane exponentiation not tested");
            return;
        }
        use crate::sqrt::window_schedule;
        let m = Modulus::of::<Base>();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2);
        let exps: [&[u64]; 4] = [
            &[1],
            &[0b1011_0001_0111],
            &[u64::MAX, 3],
            &[5, 0, 0, 1 << 60],
        ];
        for (n, e) in exps.iter().enumerate() {
            let bits = ark_ff::BitIteratorBE::new(e).collect::<Vec<bool>>();
            for w in 1..=5 {
                let sch = window_schedule(&bits, w);
                // 0, −1 and random values; 11 of them: a full and a partial
                // vector.
                let xs: Vec<Base> = (0..11)
                    .map(|i| match i {
                        0 => Base::zero(),
                        1 => -Base::from(1u64),
                        _ => Base::rand(&mut rng),
                    })
                    .collect();
                let got = pow_many(&m, &sch, w, &xs);
                for (l, x) in xs.iter().enumerate() {
                    assert_eq!(got[l], x.pow(e), "exponent {n}, width {w}, value {l}");
                }
            }
        }
    }

    #[test]
    fn limbs_and_constants() {
        let m = Modulus::of::<Base>();
        assert_eq!(canonical(m.p, &m.p), [0; 5]);
        assert_eq!(m.one, limbs_of(Base::from(2u64).pow([260u64])));
        for x in [
            Base::zero(),
            -Base::from(1u64),
            Base::from(0x0123_4567_89ab_cdefu64),
        ] {
            assert_eq!(field_of::<Base>(limbs_of(x)), x);
            assert_eq!(m.unmont::<Base>(m.mont(x)), x);
        }
        // p·pinv ≡ −1 mod 2^52
        assert_eq!(m.p[0].wrapping_mul(m.pinv) & MASK, MASK);
        assert_eq!(from_limbs(to_limbs([1, 2, 3, 4])), [1, 2, 3, 4]);
    }
}
