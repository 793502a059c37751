//! The Miller loop of a batch of pairings, with one accumulator per thread.
//!
//! arkworks' `Bn::multi_miller_loop` (with its `parallel` feature) splits
//! the pairs into chunks of **4**, each with its own `Fq12` accumulator
//! squared 64 times, and prepares every `G2` point serially before the
//! loop. A batch of proofs has one pair per proof, so that costs 16
//! `Fq12` squarings per pair on top of its ~90 line evaluations. Here the
//! `G2` points are prepared in parallel and the pairs are split into one
//! chunk per thread: the squarings are paid once per thread, not once per
//! four pairs. The product is the same `Fq12` element as arkworks' (the
//! same factors; `f ↦ f²` and conjugation are multiplicative), which the
//! tests check.

//!
//! Where the CPU has AVX-512 IFMA (detected at run time), the pairs run
//! eight at a time in vector lanes instead ([`ifma`]): each lane is one
//! pair's whole Miller loop with its own accumulator, bit-for-bit the
//! element arkworks computes for that pair, and the lanes' results are
//! multiplied. [`multi_miller_loop_portable`] is the arkworks-arithmetic
//! path on every CPU (benches and tests compare the two).

use ark_bn254::{Config, Fq12, G1Affine, G2Affine};
use ark_ec::bn::{g2::EllCoeff, BnConfig, G2Prepared, TwistType};
use ark_ec::AffineRepr;
use ark_ff::{CyclotomicMultSubgroup, Field, One};
use rayon::prelude::*;

/// `f ← f · ℓ(p)`: one line of the loop evaluated at `p` (arkworks'
/// private `ell` for BN254's D-type twist).
fn ell(f: &mut Fq12, coeffs: &EllCoeff<Config>, p: &G1Affine) {
    const _: () = assert!(matches!(<Config as BnConfig>::TWIST_TYPE, TwistType::D));
    let (mut c0, mut c1, c2) = *coeffs;
    c0.mul_assign_by_fp(&p.y);
    c1.mul_assign_by_fp(&p.x);
    f.mul_by_034(&c0, &c1, &c2);
}

/// The Miller loop of a few pairs with one accumulator, including the
/// final two lines of each pair.
fn chain(pairs: &[(G1Affine, G2Prepared<Config>)]) -> Fq12 {
    let mut iters: Vec<_> = pairs
        .iter()
        .map(|(p, q)| (p, q.ell_coeffs.iter()))
        .collect();
    let mut next = |f: &mut Fq12| {
        for (p, c) in iters.iter_mut() {
            ell(f, c.next().expect("one coefficient per step"), p);
        }
    };
    let count = <Config as BnConfig>::ATE_LOOP_COUNT;
    let mut f = Fq12::one();
    for i in (1..count.len()).rev() {
        if i != count.len() - 1 {
            f.square_in_place();
        }
        next(&mut f);
        if count[i - 1] != 0 {
            next(&mut f);
        }
    }
    if <Config as BnConfig>::X_IS_NEGATIVE {
        f.cyclotomic_inverse_in_place();
    }
    next(&mut f);
    next(&mut f);
    f
}

#[cfg(target_arch = "x86_64")]
pub mod ifma;

/// The lane constants, where the CPU has the instructions.
#[cfg(target_arch = "x86_64")]
fn lanes() -> Option<&'static ifma::Consts> {
    static C: std::sync::OnceLock<Option<ifma::Consts>> = std::sync::OnceLock::new();
    C.get_or_init(|| sero_crypto::ifma::available().then(ifma::Consts::new))
        .as_ref()
}

/// Whether [`multi_miller_loop`] runs in vector lanes on this CPU (then a
/// pair costs about a quarter of an arkworks pair with a prepared `G2`
/// point, so callers pass fixed `G2` points as plain pairs too).
pub fn lanes_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        lanes().is_some()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The pairs with neither point at infinity (those contribute 1).
fn finite_pairs(ps: &[G1Affine], qs: &[G2Affine]) -> Vec<(G1Affine, G2Affine)> {
    assert_eq!(ps.len(), qs.len(), "one G2 point per G1 point");
    ps.iter()
        .zip(qs)
        .filter(|(p, q)| !p.is_zero() && !q.is_zero())
        .map(|(p, q)| (*p, *q))
        .collect()
}

/// `∏ᵢ f_{pᵢ,qᵢ}`: the product of the Miller loops of the pairs, before the
/// final exponentiation — equal to arkworks'
/// `Bn254::multi_miller_loop(ps, qs).0`. Pairs with a point at infinity
/// contribute 1 (as there). Panics if the lengths differ (a caller bug).
pub fn multi_miller_loop(ps: &[G1Affine], qs: &[G2Affine]) -> Fq12 {
    let pairs = finite_pairs(ps, qs);
    #[cfg(target_arch = "x86_64")]
    if let Some(c) = lanes() {
        if pairs.is_empty() {
            return Fq12::one();
        }
        // Groups of at most eight, as even as possible, one vector pass each.
        let size = pairs
            .len()
            .div_ceil(pairs.len().div_ceil(sero_crypto::ifma::LANES));
        return pairs
            .par_chunks(size)
            .map(|g| ifma::miller_lanes(c, g).into_iter().product::<Fq12>())
            .reduce(Fq12::one, |a, b| a * b);
    }
    portable(pairs)
}

/// [`multi_miller_loop`] on arkworks' field arithmetic, whatever the CPU.
pub fn multi_miller_loop_portable(ps: &[G1Affine], qs: &[G2Affine]) -> Fq12 {
    portable(finite_pairs(ps, qs))
}

fn portable(pairs: Vec<(G1Affine, G2Affine)>) -> Fq12 {
    let pairs: Vec<(G1Affine, G2Prepared<Config>)> = pairs
        .into_par_iter()
        .map(|(p, q)| (p, G2Prepared::from(q)))
        .collect();
    if pairs.is_empty() {
        return Fq12::one();
    }
    let chunk = pairs.len().div_ceil(rayon::current_num_threads().max(1));
    pairs
        .par_chunks(chunk)
        .map(chain)
        .reduce(Fq12::one, |a, b| a * b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Bn254, Fr, G1Projective, G2Projective};
    use ark_ec::pairing::Pairing;
    use ark_ec::{CurveGroup, PrimeGroup};
    use ark_std::UniformRand;
    use rand_chacha::rand_core::SeedableRng;

    fn points(n: usize, seed: u64) -> (Vec<G1Affine>, Vec<G2Affine>) {
        let mut r = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                (
                    (G1Projective::generator() * Fr::rand(&mut r)).into_affine(),
                    (G2Projective::generator() * Fr::rand(&mut r)).into_affine(),
                )
            })
            .unzip()
    }

    #[test]
    fn equals_arkworks_for_every_size() {
        for n in [0usize, 1, 2, 3, 4, 5, 7, 8, 9, 17, 33] {
            let (ps, qs) = points(n, n as u64);
            let theirs = Bn254::multi_miller_loop(ps.clone(), qs.clone()).0;
            assert_eq!(multi_miller_loop(&ps, &qs), theirs, "{n} pairs");
            assert_eq!(multi_miller_loop_portable(&ps, &qs), theirs, "{n} pairs");
        }
    }

    #[test]
    fn points_at_infinity_contribute_one() {
        let (mut ps, mut qs) = points(6, 99);
        let expected = multi_miller_loop(&ps[2..], &qs[2..]);
        ps[0] = G1Affine::zero();
        qs[1] = G2Affine::zero();
        assert_eq!(multi_miller_loop(&ps, &qs), expected);
        assert_eq!(multi_miller_loop_portable(&ps, &qs), expected);
        assert_eq!(Bn254::multi_miller_loop(ps.clone(), qs.clone()).0, expected);
    }

    #[test]
    fn is_bilinear_after_the_final_exponentiation() {
        // e(a·P, Q) · e(−P, a·Q) = 1
        let mut r = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        let a = Fr::rand(&mut r);
        let p = (G1Projective::generator() * Fr::rand(&mut r)).into_affine();
        let q = (G2Projective::generator() * Fr::rand(&mut r)).into_affine();
        let ps = [(p * a).into_affine(), -p];
        let qs = [q, (q * a).into_affine()];
        let f = multi_miller_loop(&ps, &qs);
        let e = Bn254::final_exponentiation(ark_ec::pairing::MillerLoopOutput(f)).unwrap();
        assert!(e.0.is_one());
        // and a wrong factor is caught
        let qs = [q, (q * (a + Fr::one())).into_affine()];
        let f = multi_miller_loop(&ps, &qs);
        let e = Bn254::final_exponentiation(ark_ec::pairing::MillerLoopOutput(f)).unwrap();
        assert!(!e.0.is_one());
    }
}
