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
pub use crate::ifma::available;
use crate::ifma::{canonical, load, splat, store, to_limbs, Fe, Lanes, Modulus, Rows, LANES};

/// The field's constants and the Montgomery form of (A − 2)/4.
#[derive(Clone, Debug)]
pub struct Consts {
    m: Modulus,
    a24: [u64; 5],
}

impl Consts {
    pub fn new() -> Self {
        let m = Modulus::of::<Base>();
        Consts {
            a24: m.mont(Base::from(A24)),
            m,
        }
    }
}

impl Default for Consts {
    fn default() -> Self {
        Self::new()
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

/// The filter over `items` (see [`super::LadderScalar::candidates`]).
pub(crate) fn candidates<T: AsRef<[u8]>>(c: &Consts, bits: &[bool], items: &[T]) -> Vec<bool> {
    let p = c.m.p;
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

/// Runs the ladder on eight lanes: returns `(y_Q·(U+W), U−W)` (lazy
/// residues, limb-major) for `u(s·P) = U/W`.
///
/// # Safety
/// The CPU must support avx512f, avx512vl and avx512ifma.
#[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
unsafe fn ladder_lanes(c: &Consts, bits: &[bool], yp: &Rows, yq: &Rows) -> (Rows, Rows) {
    let f = Lanes::new(&c.m);
    let r2 = splat(&c.m.r2);
    let one = splat(&c.m.one);
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
mod tests {
    use super::*;
    use crate::ifma::limbs_of;
    use ark_ff::{BigInteger, Field, PrimeField};

    #[test]
    fn parse_and_canonical() {
        let c = Consts::new();
        let p = c.m.p;
        assert_eq!(canonical(p, &p), [0; 5]);
        let mut b = Base::MODULUS.to_bytes_le();
        assert_eq!(parse_y(&b, &p), None);
        b[0] -= 1;
        assert_eq!(parse_y(&b, &p), Some(limbs_of(-Base::from(1u64))));
        b[31] |= 0x80; // the sign bit is ignored
        assert!(parse_y(&b, &p).is_some());
        b[31] |= 0x40;
        assert_eq!(parse_y(&b, &p), None);
        assert_eq!(c.m.one, limbs_of(Base::from(2u64).pow([260u64])));
        assert_eq!(
            c.a24,
            limbs_of(Base::from(A24) * Base::from(2u64).pow([260u64]))
        );
    }
}
