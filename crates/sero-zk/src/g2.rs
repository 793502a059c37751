//! Membership of BN254's G2 by the endomorphism ψ.
//!
//! Every proof's `B` is a G2 point from outside and must lie in the
//! subgroup of order `r`. arkworks checks `ψ(P) = [6x₀²]P`, a 127-bit
//! multiplication. For BN curves `P ∈ G2 ⟺ [x₀+1]P + ψ([x₀]P) + ψ²([x₀]P) =
//! ψ³([2x₀]P)` (Housni–Guillevic–Piellard, "Co-factor clearing and subgroup
//! membership testing on pairing-friendly curves", ePrint 2022/352 §3, §5.1;
//! gnark-crypto's `G2Jac.IsInSubGroup`), which needs one 63-bit
//! multiplication `[x₀]P` and four cheap ψ maps: about half the work. Tests
//! compare it with `[r]P = O` on subgroup, off-subgroup and mixed points.

use ark_bn254::{Fq, Fq2, G2Affine, G2Projective};
use ark_ec::AffineRepr;
use ark_ff::{AdditiveGroup, BigInteger, Field, PrimeField};
use std::sync::OnceLock;

/// BN254's curve parameter `x₀` (the seed: `p` and `r` are polynomials in it).
const X0: u64 = 4965661367192848881;

/// `(ξ^((p−1)/3), ξ^((p−1)/2))` with `ξ = 9 + u`, the twist's non-residue:
/// `ψ(x, y) = (x̄·c₀, ȳ·c₁)` (untwist, Frobenius, twist).
fn psi_coefficients() -> &'static (Fq2, Fq2) {
    static C: OnceLock<(Fq2, Fq2)> = OnceLock::new();
    C.get_or_init(|| {
        let xi = Fq2::new(Fq::from(9u64), Fq::from(1u64));
        let mut p_minus_1 = Fq::MODULUS;
        p_minus_1.sub_with_borrow(&1u64.into());
        let mut half = p_minus_1;
        half.div2();
        // (p − 1)/3, limb by limb from the top (3 divides p − 1 for BN254).
        let mut third = p_minus_1;
        let mut rem: u128 = 0;
        for limb in third.0.iter_mut().rev() {
            let cur = (rem << 64) | *limb as u128;
            *limb = (cur / 3) as u64;
            rem = cur % 3;
        }
        debug_assert_eq!(rem, 0);
        (xi.pow(third), xi.pow(half))
    })
}

/// ψ on Jacobian coordinates: `(X̄·c₀, Ȳ·c₁, Z̄)` (conjugation commutes with
/// the division by `Z²`, `Z³`).
fn psi(p: &G2Projective) -> G2Projective {
    let (c0, c1) = psi_coefficients();
    let mut r = *p;
    r.x.frobenius_map_in_place(1);
    r.y.frobenius_map_in_place(1);
    r.z.frobenius_map_in_place(1);
    r.x *= c0;
    r.y *= c1;
    r
}

#[cfg(target_arch = "x86_64")]
mod lanes;

/// The lane check's constants, where the CPU has the instructions.
#[cfg(target_arch = "x86_64")]
fn lane_check() -> Option<&'static lanes::Check> {
    static C: OnceLock<Option<lanes::Check>> = OnceLock::new();
    C.get_or_init(|| sero_crypto::ifma::available().then(lanes::Check::new))
        .as_ref()
}

/// [`is_in_g2`] for many points (on the curve): eight per vector pass
/// where the CPU has AVX-512 IFMA (complete formulas, see `g2/lanes.rs`),
/// one at a time otherwise. Same answers as [`is_in_g2`]. A pass costs
/// about two scalar checks (`cargo bench -p sero-zk --bench decode`), so
/// one or two points are checked one at a time.
pub fn all_in_g2(points: &[G2Affine]) -> Vec<bool> {
    #[cfg(target_arch = "x86_64")]
    if let (Some(c), true) = (lane_check(), points.len() >= 3) {
        use rayon::prelude::*;
        return points
            .par_chunks(sero_crypto::ifma::LANES)
            .flat_map_iter(|g| lanes::in_g2_lanes(c, g))
            .collect();
    }
    points.iter().map(is_in_g2).collect()
}

/// True iff `p` (on the curve) is in G2, the subgroup of order `r`.
pub fn is_in_g2(p: &G2Affine) -> bool {
    // From the affine point: arkworks' double-and-add then adds it with
    // mixed (affine + Jacobian) additions.
    let xp = p.mul_bigint([X0]);
    let p = p.into_group();
    let psi_xp = psi(&xp);
    let psi2_xp = psi(&psi_xp);
    let lhs = xp + p + psi_xp + psi2_xp;
    let rhs = psi(&psi2_xp).double();
    lhs == rhs
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Fr;
    use ark_ec::{CurveGroup, PrimeGroup};
    use ark_ff::Zero;
    use ark_std::UniformRand;
    use rand::SeedableRng;

    fn by_order(p: &G2Affine) -> bool {
        p.mul_bigint(Fr::MODULUS).is_zero()
    }

    /// A point of the twist from a random `x`, not multiplied by the
    /// cofactor: outside G2 but for a negligible chance.
    fn off_subgroup(r: &mut rand_chacha::ChaCha20Rng) -> G2Affine {
        loop {
            let x = Fq2::rand(r);
            if let Some(p) = G2Affine::get_point_from_x_unchecked(x, bool::rand(r)) {
                return p;
            }
        }
    }

    #[test]
    fn psi_is_the_endomorphism_arkworks_uses() {
        // On G2, ψ acts as multiplication by 6x₀² (= t − 1 = p mod r).
        let mut r = rand_chacha::ChaCha20Rng::seed_from_u64(21);
        let six_x_squared = 6u128 * (X0 as u128) * (X0 as u128);
        for _ in 0..4 {
            let p = G2Projective::generator() * Fr::rand(&mut r);
            let expected = p.mul_bigint([six_x_squared as u64, (six_x_squared >> 64) as u64]);
            assert_eq!(psi(&p), expected);
        }
    }

    #[test]
    fn g2_check_agrees_with_the_order() {
        let mut r = rand_chacha::ChaCha20Rng::seed_from_u64(22);
        assert!(is_in_g2(&G2Affine::zero()));
        for _ in 0..8 {
            let g = (G2Projective::generator() * Fr::rand(&mut r)).into_affine();
            assert!(is_in_g2(&g) && by_order(&g));
            let q = off_subgroup(&mut r);
            assert!(!by_order(&q));
            assert!(!is_in_g2(&q), "{q}");
            // Mixed: a subgroup point plus a point of the cofactor's part.
            let t = q.mul_bigint(Fr::MODULUS);
            assert!(!t.is_zero());
            let mixed = (g.into_group() + t).into_affine();
            assert!(!by_order(&mixed));
            assert!(!is_in_g2(&mixed), "{mixed}");
            assert!(!is_in_g2(&t.into_affine()));
            // The cofactor cleared: back in G2.
            let cleared = q.clear_cofactor();
            assert!(by_order(&cleared) && is_in_g2(&cleared));
            assert_eq!(is_in_g2(&q), q.is_in_correct_subgroup_assuming_on_curve());
        }
    }
}
