//! Exact, platform-independent arithmetic for the sortition: a software
//! binary "float" with a 128-bit mantissa and an unbounded (`i128`) exponent,
//! built only from integer operations, every operation rounding toward zero.
//!
//! Every node must compute bit-identical results, so nothing here depends on
//! the platform, the compiler or a hardware floating-point unit. The exact
//! definition of each operation is given in the crate documentation
//! ("Arithmetic") and in `docs/protocol.md` §10.

/// A positive number `m · 2^e` with `2^127 ≤ m < 2^128` (zero is never
/// needed: every value the sortition forms is positive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Float {
    m: u128,
    e: i128,
}

const LO64: u128 = u64::MAX as u128;

/// The full 256-bit product `a · b` as `(high, low)` 128-bit halves.
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    let (a1, a0) = (a >> 64, a & LO64);
    let (b1, b0) = (b >> 64, b & LO64);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    // < 3 · 2^64: no overflow.
    let mid = (p00 >> 64) + (p01 & LO64) + (p10 & LO64);
    let lo = (p00 & LO64) | ((mid & LO64) << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

impl Float {
    /// 1 = 2^127 · 2^−127.
    pub(crate) const ONE: Float = Float {
        m: 1 << 127,
        e: -127,
    };

    /// `(hi · 2^128 + lo) · 2^e`, a non-zero 256-bit integer times a power of
    /// two, truncated to its 128 most significant bits.
    fn normalize(hi: u128, lo: u128, e: i128) -> Float {
        debug_assert!(hi != 0 || lo != 0, "the sortition never forms zero");
        if hi == 0 {
            let s = lo.leading_zeros();
            Float {
                m: lo << s,
                e: e - i128::from(s),
            }
        } else {
            let s = hi.leading_zeros();
            let m = if s == 0 {
                hi
            } else {
                (hi << s) | (lo >> (128 - s))
            };
            Float {
                m,
                e: e + 128 - i128::from(s),
            }
        }
    }

    /// The integer `n ≥ 1`, exactly.
    pub(crate) fn from_u64(n: u64) -> Float {
        assert!(n != 0, "the sortition never forms zero");
        Float::normalize(0, u128::from(n), 0)
    }

    /// `a · b`, the 256-bit mantissa product truncated to 128 bits.
    pub(crate) fn mul(self, b: Float) -> Float {
        let (hi, lo) = mul_wide(self.m, b.m);
        Float::normalize(hi, lo, self.e + b.e)
    }

    /// `a · n` for an integer `n ≥ 1`, truncated to 128 bits.
    pub(crate) fn mul_u64(self, n: u64) -> Float {
        assert!(n != 0, "the sortition never forms zero");
        let (hi, lo) = mul_wide(self.m, u128::from(n));
        Float::normalize(hi, lo, self.e)
    }

    /// `a / d` for an integer `d ≥ 1`: the 256-bit integer quotient
    /// `⌊m · 2^128 / d⌋` (at least 2^191, so at least 128 significant
    /// bits), then truncated to 128 bits.
    pub(crate) fn div_u64(self, d: u64) -> Float {
        assert!(d != 0, "division by zero");
        let d = u128::from(d);
        let limbs = [(self.m >> 64) as u64, self.m as u64, 0, 0];
        let mut q = [0u64; 4];
        let mut rem: u128 = 0;
        for (qi, limb) in q.iter_mut().zip(limbs) {
            // rem < d < 2^64, so the shift does not overflow.
            let cur = (rem << 64) | u128::from(limb);
            *qi = (cur / d) as u64;
            rem = cur % d;
        }
        let hi = (u128::from(q[0]) << 64) | u128::from(q[1]);
        let lo = (u128::from(q[2]) << 64) | u128::from(q[3]);
        Float::normalize(hi, lo, self.e - 128)
    }

    /// `a^n` by left-to-right binary exponentiation: starting from `r = 1`,
    /// for each bit of `n` from the most significant, `r ← r·r`, then
    /// `r ← r·a` if the bit is set. `a^0 = 1`.
    pub(crate) fn pow(self, n: u64) -> Float {
        let mut r = Float::ONE;
        for i in (0..(64 - n.leading_zeros())).rev() {
            r = r.mul(r);
            if (n >> i) & 1 == 1 {
                r = r.mul(self);
            }
        }
        r
    }

    /// `⌊a · 2^127⌋` as an integer (the value in 1.127 fixed point),
    /// saturating at `u128::MAX` (values above `2 − 2^−127`, which the
    /// sortition never forms).
    pub(crate) fn to_fixed127(self) -> u128 {
        let s = self.e + 127;
        if s > 0 {
            u128::MAX
        } else if s <= -128 {
            0
        } else {
            self.m >> (-s)
        }
    }

    /// The mantissa and exponent (tests).
    #[cfg(test)]
    pub(crate) fn parts(self) -> (u128, i128) {
        (self.m, self.e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mul_wide_matches_schoolbook() {
        assert_eq!(mul_wide(u128::MAX, u128::MAX), (u128::MAX - 1, 1));
        assert_eq!(mul_wide(1 << 127, 2), (1, 0));
        assert_eq!(mul_wide(3, 5), (0, 15));
        let a = 0x1234_5678_9abc_def0_0fed_cba9_8765_4321u128;
        let (hi, lo) = mul_wide(a, 1 << 64);
        assert_eq!((hi, lo), (a >> 64, a << 64));
    }

    #[test]
    fn exact_small_values() {
        assert_eq!(Float::from_u64(1), Float::ONE);
        assert_eq!(Float::from_u64(1).to_fixed127(), 1 << 127);
        assert_eq!(Float::from_u64(7).div_u64(7), Float::ONE);
        assert_eq!(Float::from_u64(3).mul_u64(5), Float::from_u64(15));
        assert_eq!(
            Float::from_u64(3).mul(Float::from_u64(5)),
            Float::from_u64(15)
        );
        assert_eq!(Float::from_u64(3).pow(4), Float::from_u64(81));
        assert_eq!(Float::from_u64(u64::MAX).pow(0), Float::ONE);
        assert_eq!(Float::ONE.pow(u64::MAX), Float::ONE);
        // 1/2 and 1/4 in 1.127 fixed point.
        assert_eq!(Float::ONE.div_u64(2).to_fixed127(), 1 << 126);
        assert_eq!(Float::ONE.div_u64(2).pow(2).to_fixed127(), 1 << 125);
        // Far below 2^-127: zero in fixed point, but not zero as a Float.
        let tiny = Float::ONE.div_u64(1 << 63).pow(3);
        assert_eq!(tiny.to_fixed127(), 0);
        assert_eq!(tiny.parts(), (1 << 127, -127 - 189));
    }

    #[test]
    fn rounding_is_toward_zero() {
        // 1/3 = 0.0101…₂: the 128-bit mantissa is ⌊2^129/3⌋ = 0xAAAA…AA.
        let third = Float::ONE.div_u64(3);
        assert_eq!(third.parts(), (u128::MAX / 3 * 2, -129));
        // (1/3)·3 < 1 after truncation.
        assert!(third.mul_u64(3).to_fixed127() < 1 << 127);
        assert_eq!(third.to_fixed127(), (1u128 << 127) / 3);
    }

    #[test]
    fn huge_exponents_do_not_overflow() {
        // (1/2^64)^(2^64 − 1): exponent ≈ −2^70.
        let r = Float::ONE.div_u64(u64::MAX).pow(u64::MAX);
        assert!(r.parts().1 < -(1i128 << 69));
        assert_eq!(r.to_fixed127(), 0);
    }
}
