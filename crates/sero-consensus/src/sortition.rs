//! Stake-weighted cryptographic sortition (Algorand, Gilad et al., SOSP 2017,
//! §5 and Algorithm 1), with the binomial distribution evaluated in exact
//! integer arithmetic.
//!
//! A validator with stake `w` out of a total `W` holds `w` "sub-users", each
//! selected independently with probability `p = τ/W`, where `τ` is the
//! expected number of selected sub-users (the committee size). The number `j`
//! of its selected sub-users is binomial `B(w, p)`; it is drawn from the
//! VRF output by inverting the cumulative distribution function:
//!
//! ```text
//! x = BE64(output[0..8])                    (a uniform u64)
//! j = the smallest j ∈ [0, w] with  x / 2^64 < S(j),  or w if there is none
//! S(j) = Σ_{k=0..j} T(k) / 2^127            (computed CDF, see below)
//! ```
//!
//! `T(k)` is the binomial probability `B(k; w, p)` computed with the
//! `fixed` software float (128-bit mantissa, rounding toward zero)
//! and converted to 1.127 fixed point with truncation:
//!
//! ```text
//! b    = (W − τ) / W                      div
//! c    = τ / (W − τ)                      div          (= p / (1 − p))
//! t_0  = b^w                              left-to-right square-and-multiply
//! t_k+1 = ((t_k · (w − k)) / (k + 1)) · c  mul_u64, div_u64, mul
//! T(k) = ⌊t_k · 2^127⌋
//! ```
//!
//! Special cases, decided before any arithmetic: `w = 0` or `τ = 0` gives
//! `j = 0`; `τ ≥ W` (so `p = 1`) gives `j = w`.
//!
//! Every operation rounds toward zero and is monotone, so the computed values
//! never exceed the exact ones: `0 ≤ CDF(j) − S(j) ≤ (w + j + 1) · 2^−122`
//! (see the crate documentation for the derivation). The result therefore
//! equals the exact-arithmetic `j` unless `x / 2^64` falls in one of these
//! tiny gaps; either way it is a deterministic function of the inputs, which
//! is what consensus needs.

use crate::error::ConsensusError;
use crate::fixed::Float;

/// 1 in the 1.127 fixed-point format of [`cdf`] and [`BinomialTerms`].
pub const FIXED_ONE: u128 = 1 << 127;

/// Largest committee size `τ` accepted when `τ < W`. The sortition loop runs
/// about `τ·w/W + O(√τ)` ≤ `τ + O(√τ)` iterations, so this bounds the work a
/// verifier does per credential (about 3 ms at this bound on a 2020s x86-64
/// core, ~45 ns per iteration; Algorand's largest committee is 10,000).
pub const MAX_TAU: u64 = 1 << 17;

/// The first 8 bytes of a VRF output, big-endian: the uniform `x` of the
/// sortition (`x / 2^64 ∈ [0, 1)`).
pub fn sortition_x(output: &[u8; 64]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&output[..8]);
    u64::from_be_bytes(b)
}

/// Checks `stake ≤ total` and (when `tau < total`) `tau ≤ MAX_TAU`: the
/// conditions under which [`sortition`] succeeds.
pub fn check_params(stake: u64, total: u64, tau: u64) -> Result<(), ConsensusError> {
    dist(stake, total, tau).map(|_| ())
}

/// The validated parameters of one binomial distribution `B(w, τ/W)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dist {
    /// `p = 0` or `w = 0`: all the mass at 0.
    Zero { w: u64 },
    /// `p = 1`: all the mass at `w`.
    All { w: u64 },
    /// `0 < p < 1` and `w ≥ 1`.
    Binomial { w: u64, total: u64, tau: u64 },
}

fn dist(stake: u64, total: u64, tau: u64) -> Result<Dist, ConsensusError> {
    if stake > total {
        return Err(ConsensusError::StakeExceedsTotal { stake, total });
    }
    if stake == 0 || tau == 0 {
        return Ok(Dist::Zero { w: stake });
    }
    if tau >= total {
        return Ok(Dist::All { w: stake });
    }
    if tau > MAX_TAU {
        return Err(ConsensusError::TauTooLarge { tau, max: MAX_TAU });
    }
    Ok(Dist::Binomial {
        w: stake,
        total,
        tau,
    })
}

/// The binomial probabilities `T(0), T(1), …, T(w)` of `B(w, τ/W)` in 1.127
/// fixed point, computed exactly as the sortition does (see the module
/// documentation). Created by [`binomial_terms`].
#[derive(Clone, Debug)]
pub struct BinomialTerms {
    dist: Dist,
    /// The next `k`.
    k: u64,
    /// `t_k` (only for [`Dist::Binomial`]).
    t: Float,
    /// `c = τ / (W − τ)`.
    c: Float,
    done: bool,
}

impl BinomialTerms {
    fn new(dist: Dist) -> Self {
        let (t, c) = match dist {
            Dist::Binomial { w, total, tau } => {
                let b = Float::from_u64(total - tau).div_u64(total);
                let c = Float::from_u64(tau).div_u64(total - tau);
                (b.pow(w), c)
            }
            _ => (Float::ONE, Float::ONE),
        };
        BinomialTerms {
            dist,
            k: 0,
            t,
            c,
            done: false,
        }
    }

    /// The number of sub-users `w`.
    fn w(&self) -> u64 {
        match self.dist {
            Dist::Zero { w } | Dist::All { w } | Dist::Binomial { w, .. } => w,
        }
    }

    /// Whether the exact ratio `T(k+1)/T(k) = (w−k)·τ / ((k+1)·(W−τ))` is at
    /// most 1, i.e. `k` is at or past the mode, so every later term is at
    /// most this one (true for the computed terms too: every operation
    /// rounds down).
    fn past_mode(&self) -> bool {
        match self.dist {
            Dist::Binomial { w, total, tau } => {
                let k = self.k;
                u128::from(w - k) * u128::from(tau) <= u128::from(k + 1) * u128::from(total - tau)
            }
            _ => true,
        }
    }
}

impl Iterator for BinomialTerms {
    type Item = u128;

    fn next(&mut self) -> Option<u128> {
        if self.done {
            return None;
        }
        let k = self.k;
        let w = self.w();
        let term = match self.dist {
            Dist::Zero { .. } => {
                if k == 0 {
                    FIXED_ONE
                } else {
                    0
                }
            }
            Dist::All { w } => {
                if k == w {
                    FIXED_ONE
                } else {
                    0
                }
            }
            Dist::Binomial { .. } => self.t.to_fixed127(),
        };
        if k == w {
            self.done = true;
        } else {
            if let Dist::Binomial { .. } = self.dist {
                self.t = self.t.mul_u64(w - k).div_u64(k + 1).mul(self.c);
            }
            self.k = k + 1;
        }
        Some(term)
    }
}

/// The binomial probabilities `T(k)` for `k = 0..=stake` of `B(stake,
/// tau/total)`, in 1.127 fixed point (`FIXED_ONE` = 1). Fails when
/// `stake > total`, or when `tau > MAX_TAU` and `tau < total`.
pub fn binomial_terms(stake: u64, total: u64, tau: u64) -> Result<BinomialTerms, ConsensusError> {
    Ok(BinomialTerms::new(dist(stake, total, tau)?))
}

/// The computed CDF `S(j) = Σ_{k=0..min(j, stake)} T(k)` in 1.127 fixed point.
/// `O(min(j, stake))` time: for tests and tools, not for consensus, which
/// uses [`sortition`].
pub fn cdf(stake: u64, total: u64, tau: u64, j: u64) -> Result<u128, ConsensusError> {
    let mut sum = 0u128;
    for (k, term) in binomial_terms(stake, total, tau)?.enumerate() {
        if k as u64 > j {
            break;
        }
        sum += term;
    }
    Ok(sum)
}

/// The number `j ∈ [0, stake]` of selected sub-users for the uniform `x`
/// (see [`sortition_x`]): the smallest `j` with `x / 2^64 < S(j)`, or `stake`
/// if there is none. A consensus rule: defined bit-exactly in the module
/// documentation.
///
/// Errors: `stake > total`; `tau > MAX_TAU` while `tau < total`.
pub fn sortition(x: u64, stake: u64, total: u64, tau: u64) -> Result<u64, ConsensusError> {
    let d = dist(stake, total, tau)?;
    match d {
        Dist::Zero { .. } => return Ok(0),
        Dist::All { w } => return Ok(w),
        Dist::Binomial { .. } => {}
    }
    // x / 2^64 < S / 2^127  ⟺  x · 2^63 < S  (x · 2^63 < 2^127: no overflow).
    let target = u128::from(x) << 63;
    let mut terms = BinomialTerms::new(d);
    let mut sum = 0u128;
    loop {
        let k = terms.k;
        // Checked before `next()` advances the state.
        let past_mode = terms.past_mode();
        let term = terms.next().expect("the loop returns at k = w");
        // S ≤ 1 (computed terms never exceed the exact ones): no overflow.
        sum += term;
        if target < sum {
            return Ok(k);
        }
        if k == stake {
            return Ok(stake);
        }
        // Shortcut, same result: past the mode every later term is at most
        // this one, so if this one is 0 the sum never grows again and the
        // answer is w. Bounds the loop by about the mode + 13σ + 130.
        if term == 0 && past_mode {
            return Ok(stake);
        }
    }
}

/// [`sortition`] with `x` taken from a VRF output ([`sortition_x`]).
pub fn sortition_from_output(
    output: &[u8; 64],
    stake: u64,
    total: u64,
    tau: u64,
) -> Result<u64, ConsensusError> {
    sortition(sortition_x(output), stake, total, tau)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_cases() {
        assert_eq!(sortition(u64::MAX, 0, 100, 10), Ok(0));
        assert_eq!(sortition(u64::MAX, 0, 0, 10), Ok(0));
        assert_eq!(sortition(u64::MAX, 50, 100, 0), Ok(0));
        assert_eq!(sortition(0, 50, 100, 100), Ok(50));
        assert_eq!(sortition(0, 50, 100, u64::MAX), Ok(50));
        assert_eq!(sortition(0, u64::MAX, u64::MAX, u64::MAX), Ok(u64::MAX));
        assert_eq!(
            sortition(0, 101, 100, 10),
            Err(ConsensusError::StakeExceedsTotal {
                stake: 101,
                total: 100
            })
        );
        assert_eq!(
            sortition(0, 1, 1 << 40, MAX_TAU + 1),
            Err(ConsensusError::TauTooLarge {
                tau: MAX_TAU + 1,
                max: MAX_TAU
            })
        );
        // τ ≥ W is fine whatever its size.
        assert_eq!(sortition(0, 5, 10, MAX_TAU + 1), Ok(5));
    }

    #[test]
    fn one_sub_user_is_bernoulli() {
        // w = 1, p = 1/4: j = 0 iff x/2^64 < 3/4.
        let three_quarters = 3u64 << 62;
        assert_eq!(sortition(three_quarters - 1, 1, 4, 1), Ok(0));
        assert_eq!(sortition(three_quarters, 1, 4, 1), Ok(1));
        assert_eq!(sortition(u64::MAX, 1, 4, 1), Ok(1));
        assert_eq!(sortition(0, 1, 4, 1), Ok(0));
    }

    #[test]
    fn exact_terms_for_powers_of_two() {
        // w = 2, p = 1/2: 1/4, 1/2, 1/4 exactly.
        let t: Vec<u128> = binomial_terms(2, 4, 2).unwrap().collect();
        assert_eq!(t, vec![FIXED_ONE / 4, FIXED_ONE / 2, FIXED_ONE / 4]);
        assert_eq!(cdf(2, 4, 2, 5), Ok(FIXED_ONE));
        let t: Vec<u128> = binomial_terms(3, 10, 0).unwrap().collect();
        assert_eq!(t, vec![FIXED_ONE, 0, 0, 0]);
        let t: Vec<u128> = binomial_terms(3, 10, 10).unwrap().collect();
        assert_eq!(t, vec![0, 0, 0, FIXED_ONE]);
        let t: Vec<u128> = binomial_terms(0, 10, 5).unwrap().collect();
        assert_eq!(t, vec![FIXED_ONE]);
    }

    #[test]
    fn x_is_big_endian_prefix() {
        let mut out = [0u8; 64];
        out[0] = 0x80;
        out[7] = 1;
        out[8] = 0xff;
        assert_eq!(sortition_x(&out), (1 << 63) | 1);
    }

    #[test]
    fn top_x_terminates_fast_for_large_stake() {
        // w = 10^12 of W = 10^13, τ = 1000: mean 100. x = 2^64 − 1 needs the
        // far tail; the loop must stop long before w.
        let j = sortition(u64::MAX, 1_000_000_000_000, 10_000_000_000_000, 1000).unwrap();
        assert!((150..400).contains(&j), "j = {j}");
    }
}
