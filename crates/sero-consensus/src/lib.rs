//! SERO consensus core: the cryptographic sortition of SE-Random
//! (whitepaper chapter IV §4.1, after Algorand: Gilad et al., SOSP 2017).
//! Pure: no IO, no clocks, no floating point. The agreement protocol
//! (BA★) built on it is in [`ba`].
//!
//! # Overview
//!
//! In every round `r` and every step of BA★, each validator privately draws
//! a lottery with its VRF key on a public seed:
//!
//! 1. **VRF** ([`vrf`]): ECVRF-RISTRETTO255-SHA512 (the RFC 9381 ECVRF
//!    construction on ristretto255, <https://c2sp.org/vrf-r255>, through the
//!    `vrf-r255` crate). `prove(sk, α) → (β, π)` with a 64-byte output `β`
//!    and an 80-byte proof `π`; anyone holding the public key recomputes `β`
//!    from `π` ([`verify`]).
//! 2. **VRF input** ([`sortition_alpha`]): the round seed, the round and the
//!    role ([`Step`]: proposer, committee step `k`, final), so a credential
//!    is valid for one role of one round only.
//! 3. **Sortition** ([`sortition()`]): the validator's stake `w` (out of the
//!    total `W`) counts as `w` sub-users, each selected with probability
//!    `p = τ/W`, `τ` being the expected committee size of the role. The
//!    number `j` of selected sub-users is binomial; it is obtained by
//!    inverting the binomial CDF at the uniform `x = BE64(β[0..8]) / 2^64`:
//!    `j` is the smallest value with `x < CDF(j)`. The validator's vote
//!    weighs `j`; it takes part iff `j ≥ 1` ([`select`], checked by others
//!    with [`verify_selection`]).
//! 4. **Proposer priority** ([`proposer_priority`]): a selected proposer
//!    hashes its output with each sub-user index `1..=j`; the smallest hash
//!    is its priority, and the proposal with the lowest priority wins.
//! 5. **Seed chaining** ([`round_seed`]): each block carries the proposer's
//!    VRF output on ([`seed_alpha`]) the previous seed and its round; the
//!    next seed hashes it. An empty block hashes only the previous seed and
//!    the round, so the seed always advances.
//!
//! # Exact arithmetic (a consensus rule)
//!
//! Every node must compute the same `j` for the same `(x, w, W, τ)`, or
//! honest nodes would disagree on vote counts. The binomial CDF is therefore
//! defined here bit-exactly, in integer arithmetic only (this crate contains
//! no floating-point type; a test enforces it). Any other implementation
//! must reproduce it exactly; `test-vectors/sortition.json` has known
//! answers.
//!
//! **Special cases** (checked in this order): `w > W` is an error;
//! `w = 0` or `τ = 0` gives `j = 0`; `τ ≥ W` (`p = 1`) gives `j = w`;
//! otherwise `τ > MAX_TAU` is an error ([`MAX_TAU`] = 2^17 bounds a
//! verifier's work).
//!
//! **Numbers.** A positive value is `m · 2^e` with a 128-bit mantissa
//! `2^127 ≤ m < 2^128` and an unbounded exponent (`i128`, which never
//! overflows here: `|e| < 2^72`). Operations, each exact on the integers
//! and then **truncated** (rounded toward zero) to 128 significant bits:
//!
//! * `mul(a, b)`: the 256-bit product of the mantissas, exponents added;
//! * `mul_u64(a, n)`: `m · n` (≤ 192 bits), `n ≥ 1`;
//! * `div_u64(a, d)`: the integer quotient `⌊m · 2^128 / d⌋` (≥ 2^191, so
//!   ≥ 128 significant bits), exponent `e − 128`, `d ≥ 1`;
//! * `pow(a, n)`: left-to-right binary exponentiation from `r = 1`: for each
//!   bit of `n` from the most significant, `r ← mul(r, r)`, then
//!   `r ← mul(r, a)` if the bit is 1;
//! * `fixed(a) = ⌊a · 2^127⌋`, the value in unsigned 1.127 fixed point
//!   (0 when `a < 2^−127`).
//!
//! **Binomial terms** (`0 < τ < W`, `w ≥ 1`):
//!
//! ```text
//! b     = div_u64(W − τ, W)                         (1 − p)
//! c     = div_u64(τ, W − τ)                         (p / (1 − p))
//! t_0   = pow(b, w)                                 (1 − p)^w
//! t_k+1 = mul(div_u64(mul_u64(t_k, w − k), k + 1), c)
//! T(k)  = fixed(t_k)            S(j) = Σ_{k ≤ j} T(k)   (u128, 1.127)
//! ```
//!
//! **Selection.** With `x` the first 8 bytes of `β` read big-endian,
//! `j` is the smallest `j ≤ w` with `x · 2^63 < S(j)` (that is,
//! `x/2^64 < S(j)/2^127`), and `j = w` if there is none. A conforming
//! implementation may stop early as [`sortition()`] does: once
//! `(w − k)·τ ≤ (k + 1)·(W − τ)` (past the mode, so later terms are no
//! larger) and `T(k) = 0`, the answer is `w`; this changes no result.
//!
//! **Error bound.** Each operation's relative error is below
//! `δ = 2^−126` and every operation is monotone, so the computed terms
//! never exceed the exact ones. `b^w` is accurate to within `5wδ` (the
//! error of `b` counted `w` times, plus two roundings per bit, each doubled
//! by every later squaring: `< 2δ · 2^bitlen(w) ≤ 4wδ`), and each
//! recurrence step adds at most `4δ` (three roundings and the error of `c`).
//! Truncating each term to 1.127 fixed point loses less than `2^−127`.
//! Hence, with `CDF(j)` the exact binomial CDF,
//!
//! ```text
//! 0 ≤ CDF(j) − S(j)/2^127 ≤ (5w + 4j)·2^−126 + (j + 1)·2^−127 < (w + j + 1)·2^−122
//! ```
//!
//! so `S(w)` is 1 to within `(2w + 1)·2^−122` (`< 2^−80` for `w ≤ 2^40`).
//! The computed `j` is never below the exact-arithmetic `j*`, and differs
//! from it only if `x/2^64` falls within that distance below some
//! `CDF(j*)`. Tests compare against exact rational arithmetic.
//!
//! **Cost.** `O(64)` multiplications for `b^w`, then one iteration per
//! `k ≤ j`, and the loop ends at the latest a few dozen standard deviations
//! past the mode `≈ wτ/W ≤ τ` (the terms fall below 2^−127 there), so a
//! verification costs `O(τ)` at worst.
//!
//! # Example
//!
//! ```
//! use sero_consensus::{
//!     round_seed, select, verify_selection, SortitionParams, Step, VrfSecretKey,
//! };
//!
//! let sk = VrfSecretKey::from_seed(&[7; 32]);
//! let pk = sk.public_key();
//! let seed = round_seed(&[0; 32], None, 1);
//! // 400 of 1000 units of stake, expected committee 1000 ≥ W: always selected.
//! let params = SortitionParams { stake: 400, total: 1000, tau: 1000 };
//! let cred = select(&sk, &seed, 2, Step::Committee(1), &params)?.expect("p = 1");
//! assert_eq!(cred.j, 400);
//! let checked = verify_selection(&pk, &seed, 2, Step::Committee(1), &params, &cred.proof)?;
//! assert_eq!(checked, cred);
//! // The same proof is worthless for another step.
//! assert!(verify_selection(&pk, &seed, 2, Step::Final, &params, &cred.proof).is_err());
//! # Ok::<(), sero_consensus::ConsensusError>(())
//! ```

#![forbid(unsafe_code)]

pub mod ba;
pub mod checkpoint;
pub mod credential;
mod error;
mod fixed;
pub mod fuzz;
pub mod pop;
pub mod sortition;
pub mod vectors;
pub mod vrf;

pub use credential::{
    proposer_priority, round_seed, seed_alpha, select, sortition_alpha, verify_selection,
    Credential, SortitionParams, Step, MAX_PRIORITY_SUB_USERS,
};
pub use error::ConsensusError;
pub use sortition::{
    binomial_terms, cdf, check_params, sortition, sortition_from_output, sortition_x,
    BinomialTerms, FIXED_ONE, MAX_TAU,
};
pub use vrf::{prove, verify, VrfPublicKey, VrfSecretKey, OUTPUT_LEN, PROOF_LEN};
