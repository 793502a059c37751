//! Decompression of the points of Groth16 proofs: `A`, `C` ∈ G1 over `Fq`
//! and `B` ∈ G2 over `Fq2`, in arkworks' compressed encoding, many proofs
//! at once.
//!
//! What an encoding means, and which encodings are refused, is arkworks'
//! (`Proof::<Bn254>::deserialize_with_mode(Compress::Yes, Validate::No)`):
//! `x` and the two flag bits are parsed by arkworks itself, and `y` is the
//! square root of `x³ + b` that the "y is the larger one" flag selects.
//! Only the square roots are computed differently — any root will do, as
//! the flag then picks between `y` and `−y`:
//!
//! * in `Fq` (`p ≡ 3 mod 4`): `r = a^((p+1)/4)`, a square root iff
//!   `r² = a`, by a sliding-window exponentiation (arkworks: bit by bit);
//! * in `Fq2 = Fq[u]/(u² + 1)`, `a = a₀ + a₁u` with `a₁ ≠ 0`, the complex
//!   method of arkworks (eprint 2012/685, algorithm 8) without its
//!   Legendre symbol: `α = √(a₀² + a₁²)` (none: `a` is not a square),
//!   `δ = (a₀ + α)/2`, `c = δ^((p+1)/4)`. If `c² = δ` the root is
//!   `c + a₁/(2c)·u`; otherwise `c² = −δ`, and as
//!   `δ·(δ − α) = −a₁²/4`, `δ − α` is the square of `−a₁/(2c)` and the
//!   root is `−a₁/(2c) + (δ/c)·u`. One inversion either way, and the
//!   candidate is squared and compared; `a₁ = 0`, or a candidate that
//!   fails (never, by the argument above), falls back to arkworks' own
//!   `sqrt`.
//!
//! The exponentiations of all points run together: where the CPU has
//! AVX-512 IFMA, eight per vector pass (`sero_crypto::ifma`), otherwise
//! one at a time with the same schedule. A proof costs one exponentiation
//! for each of `A` and `C` and two for `B` (arkworks: five).

use crate::ZkError;
use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
use ark_ec::short_weierstrass::{SWCurveConfig, SWFlags};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, Field, PrimeField, Zero};
use ark_serialize::CanonicalDeserializeWithFlags;
use rayon::prelude::*;
use sero_crypto::sqrt::{pow_with_schedule, window_schedule};
use std::sync::OnceLock;

/// Width of the sliding window of the exponentiation by `(p+1)/4`.
const WIDTH: u32 = 5;

/// Bytes of a compressed G1 point (`x` with the flags in its top bits).
pub const G1_LEN: usize = 32;
/// Bytes of a compressed G2 point (`x.c0`, then `x.c1` with the flags).
pub const G2_LEN: usize = 64;
/// Bytes of a compressed proof: `A`, `B`, `C`.
pub const PROOF_LEN: usize = G1_LEN + G2_LEN + G1_LEN;

struct Consts {
    /// Schedule of `(p+1)/4`.
    schedule: Vec<(u32, usize)>,
    /// 1/2 in `Fq`.
    half: Fq,
    #[cfg(target_arch = "x86_64")]
    lanes: Option<sero_crypto::ifma::Modulus>,
}

fn consts() -> &'static Consts {
    static C: OnceLock<Consts> = OnceLock::new();
    C.get_or_init(|| {
        let mut e = Fq::MODULUS;
        e.add_with_carry(&1u64.into());
        e.div2();
        e.div2();
        Consts {
            schedule: window_schedule(&e.to_bits_be(), WIDTH),
            half: Fq::from(2u64).inverse().expect("2 is invertible"),
            #[cfg(target_arch = "x86_64")]
            lanes: sero_crypto::ifma::available().then(sero_crypto::ifma::Modulus::of::<Fq>),
        }
    })
}

/// `v^((p+1)/4)` for every `v` (eight per vector pass where the CPU has
/// IFMA lanes and there are at least two values).
pub fn pow_p_plus_one_div_four(values: &[Fq]) -> Vec<Fq> {
    let c = consts();
    #[cfg(target_arch = "x86_64")]
    if let (Some(m), true) = (&c.lanes, values.len() >= 2) {
        return values
            .par_chunks(4 * sero_crypto::ifma::LANES)
            .flat_map_iter(|chunk| sero_crypto::ifma::pow_many(m, &c.schedule, WIDTH, chunk))
            .collect();
    }
    values
        .iter()
        .map(|v| pow_with_schedule(v, &c.schedule, WIDTH))
        .collect()
}

/// A compressed point as arkworks parses it: the identity, or `x` with the
/// flag "y is the larger of the two roots".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Parsed<F> {
    Identity,
    X { x: F, larger: bool },
}

fn parse<F: CanonicalDeserializeWithFlags>(bytes: &[u8]) -> Result<Parsed<F>, ZkError> {
    let (x, flags): (F, SWFlags) = F::deserialize_with_flags(bytes)
        .map_err(|e| ZkError::ProofEncoding(format!("point: {e}")))?;
    Ok(if flags.is_infinity() {
        Parsed::Identity
    } else {
        Parsed::X {
            x,
            larger: flags.is_positive() == Some(false),
        }
    })
}

/// What is still to compute for one `B`.
enum Twist {
    Identity,
    /// `a₁ = 0`: arkworks' own square root.
    Fallback {
        x: Fq2,
        rhs: Fq2,
        larger: bool,
    },
    Pending {
        x: Fq2,
        rhs: Fq2,
        larger: bool,
    },
}

fn no_point() -> ZkError {
    ZkError::ProofEncoding("point: no curve point has this x coordinate".into())
}

/// A G1 point from its parse and the next `(x³ + b, (x³ + b)^((p+1)/4))` (`None`:
/// `x³ + b` is not a square).
fn g1_point(p: &Parsed<Fq>, roots: &mut impl Iterator<Item = (Fq, Fq)>) -> Option<G1Affine> {
    match p {
        Parsed::Identity => Some(G1Affine::zero()),
        Parsed::X { x, larger } => {
            let (rhs, r) = roots.next().expect("one root per point");
            (r.square() == rhs).then(|| G1Affine::new_unchecked(*x, select(r, *larger)))
        }
    }
}

/// `y` or `−y`, whichever the flag selects (arkworks' rule: `larger`
/// picks the greater of the two in its field order).
fn select<F: Field + Ord>(y: F, larger: bool) -> F {
    let n = -y;
    let (small, large) = if y < n { (y, n) } else { (n, y) };
    if larger {
        large
    } else {
        small
    }
}

/// The points `(A, B, C)` of each encoding (each [`PROOF_LEN`] bytes; a
/// wrong length is refused), decompressed but not validated: what
/// `Proof::<Bn254>::deserialize_with_mode(_, Compress::Yes, Validate::No)`
/// returns, with the same refusals (bad flags, `x` not canonical, `x`
/// without a point). The caller checks the curve equations, subgroups and
/// canonical re-encoding as before.
pub fn decompress_proofs(
    encodings: &[&[u8]],
) -> Vec<Result<(G1Affine, G2Affine, G1Affine), ZkError>> {
    let c = consts();
    let b1 = ark_bn254::g1::Config::COEFF_B;
    let b2 = ark_bn254::g2::Config::COEFF_B;
    // Parse; gather the first pass of exponentiations: x³ + b of A and C,
    // the norm of x³ + b′ of B.
    type Parts = (Parsed<Fq>, Twist, Parsed<Fq>);
    let mut parts: Vec<Result<Parts, ZkError>> = Vec::with_capacity(encodings.len());
    let mut first = Vec::with_capacity(3 * encodings.len());
    for bytes in encodings {
        parts.push((|| {
            if bytes.len() != PROOF_LEN {
                return Err(ZkError::ProofEncoding(format!(
                    "expected {PROOF_LEN} bytes, got {}",
                    bytes.len()
                )));
            }
            let a = parse::<Fq>(&bytes[..G1_LEN])?;
            let b = parse::<Fq2>(&bytes[G1_LEN..G1_LEN + G2_LEN])?;
            let cc = parse::<Fq>(&bytes[G1_LEN + G2_LEN..])?;
            for p in [&a, &cc] {
                if let Parsed::X { x, .. } = p {
                    first.push(x.square() * x + b1);
                }
            }
            let b = match b {
                Parsed::Identity => Twist::Identity,
                Parsed::X { x, larger } => {
                    let rhs = x.square() * x + b2;
                    if rhs.c1.is_zero() {
                        Twist::Fallback { x, rhs, larger }
                    } else {
                        first.push(rhs.norm());
                        Twist::Pending { x, rhs, larger }
                    }
                }
            };
            Ok((a, b, cc))
        })());
    }
    // (value, value^((p+1)/4)) for A and C, and for the norm of each B,
    // in the order pushed above.
    let roots = pow_p_plus_one_div_four(&first);
    let mut next = first.into_iter().zip(roots);
    // (A, C, δ of B: zero where B needs none) per proof that parsed.
    type Staged = Result<(G1Affine, G1Affine, Fq), ZkError>;
    let mut stage: Vec<Option<Staged>> = Vec::with_capacity(parts.len());
    let mut second = vec![];
    for p in &parts {
        let Ok((a, b, cc)) = p else {
            stage.push(None);
            continue;
        };
        let a = g1_point(a, &mut next);
        let cc = g1_point(cc, &mut next);
        let delta = match b {
            Twist::Pending { rhs, .. } => {
                let (norm, alpha) = next.next().expect("one root per point");
                (alpha.square() == norm).then(|| {
                    let d = (alpha + rhs.c0) * c.half;
                    second.push(d);
                    d
                })
            }
            _ => Some(Fq::zero()),
        };
        stage.push(Some(match (a, cc, delta) {
            (Some(a), Some(cc), Some(d)) => Ok((a, cc, d)),
            _ => Err(no_point()),
        }));
    }
    let second = pow_p_plus_one_div_four(&second);
    let mut next = second.into_iter();
    parts
        .into_iter()
        .zip(stage)
        .map(|(p, s)| {
            let (_, b, _) = p?;
            let (a, cc, delta) = s.expect("staged after parsing")?;
            let b = match b {
                Twist::Identity => G2Affine::zero(),
                Twist::Fallback { x, rhs, larger } => {
                    let y = rhs.sqrt().ok_or_else(no_point)?;
                    G2Affine::new_unchecked(x, select(y, larger))
                }
                Twist::Pending { x, rhs, larger } => {
                    let r = next.next().expect("one root per δ");
                    let y = root_from(&rhs, &delta, &r)
                        .or_else(|| rhs.sqrt())
                        .ok_or_else(no_point)?;
                    G2Affine::new_unchecked(x, select(y, larger))
                }
            };
            Ok((a, b, cc))
        })
        .collect()
}

/// The square root of `a` (with `a₁ ≠ 0`) from `δ` and `c = δ^((p+1)/4)`
/// (see the module's text), or `None` if the candidate is not one.
fn root_from(a: &Fq2, delta: &Fq, c: &Fq) -> Option<Fq2> {
    let inv = c.inverse()?;
    let half_a1_over_c = a.c1 * consts().half * inv;
    let cand = if c.square() == *delta {
        Fq2::new(*c, half_a1_over_c)
    } else {
        Fq2::new(-half_a1_over_c, *delta * inv)
    };
    (cand.square() == *a).then_some(cand)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Bn254, Fr, G1Projective, G2Projective};
    use ark_ec::{CurveGroup, PrimeGroup};
    use ark_groth16::Proof;
    use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
    use ark_std::UniformRand;
    use rand::{Rng, SeedableRng};

    fn arkworks(bytes: &[u8]) -> Result<(G1Affine, G2Affine, G1Affine), ()> {
        Proof::<Bn254>::deserialize_with_mode(bytes, Compress::Yes, Validate::No)
            .map(|p| (p.a, p.b, p.c))
            .map_err(|_| ())
    }

    fn encode(a: G1Affine, b: G2Affine, c: G1Affine) -> Vec<u8> {
        let mut v = vec![];
        Proof::<Bn254> { a, b, c }
            .serialize_compressed(&mut v)
            .expect("serialise");
        v
    }

    fn random_proof(rng: &mut rand_chacha::ChaCha20Rng) -> Vec<u8> {
        encode(
            (G1Projective::generator() * Fr::rand(rng)).into_affine(),
            (G2Projective::generator() * Fr::rand(rng)).into_affine(),
            (G1Projective::generator() * Fr::rand(rng)).into_affine(),
        )
    }

    /// Same results as arkworks, for every encoding in `cases`, decoded
    /// together and one at a time.
    fn agree(cases: &[Vec<u8>]) {
        let refs: Vec<&[u8]> = cases.iter().map(|c| c.as_slice()).collect();
        let together = decompress_proofs(&refs);
        assert_eq!(together.len(), cases.len());
        for (i, (bytes, got)) in cases.iter().zip(together).enumerate() {
            let want = arkworks(bytes);
            assert_eq!(got.map_err(|_| ()), want, "case {i} together");
            let alone = decompress_proofs(&[bytes]).pop().expect("one");
            assert_eq!(alone.map_err(|_| ()), want, "case {i} alone");
        }
    }

    #[test]
    fn the_exponentiation_is_the_one_of_arkworks() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let mut e = Fq::MODULUS;
        e.add_with_carry(&1u64.into());
        e.div2();
        e.div2();
        for n in [0usize, 1, 2, 7, 8, 9, 17] {
            let v: Vec<Fq> = (0..n)
                .map(|i| {
                    if i == 1 {
                        Fq::zero()
                    } else {
                        Fq::rand(&mut rng)
                    }
                })
                .collect();
            let got = pow_p_plus_one_div_four(&v);
            let want: Vec<Fq> = v.iter().map(|x| x.pow(e)).collect();
            assert_eq!(got, want, "{n} values");
        }
    }

    #[test]
    fn valid_proofs_decode_as_with_arkworks() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(8);
        let cases: Vec<Vec<u8>> = (0..19).map(|_| random_proof(&mut rng)).collect();
        agree(&cases);
        // The identity in each position.
        let p = random_proof(&mut rng);
        let (a, b, c) = arkworks(&p).expect("valid");
        agree(&[
            encode(G1Affine::zero(), b, c),
            encode(a, G2Affine::zero(), c),
            encode(a, b, G1Affine::zero()),
            encode(G1Affine::zero(), G2Affine::zero(), G1Affine::zero()),
        ]);
    }

    #[test]
    fn points_off_g2_and_with_a1_zero_decode_as_with_arkworks() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
        let g = (G1Projective::generator() * Fr::rand(&mut rng)).into_affine();
        let mut cases = vec![];
        // B on the twist but outside G2 (any x with x³ + b′ a square).
        while cases.len() < 12 {
            let x = Fq2::rand(&mut rng);
            if let Some(b) = G2Affine::get_point_from_x_unchecked(x, rng.gen()) {
                cases.push(encode(g, b, g));
            }
        }
        // B whose x³ + b′ lies in Fq (a₁ = 0, the fallback): with
        // x = u₀ + u₁·u, (x³)₁ = 3u₀²u₁ − u₁³, so u₀² = (u₁³ − b′₁)/(3u₁).
        let b1 = ark_bn254::g2::Config::COEFF_B.c1;
        let mut fallback = 0;
        while fallback < 4 {
            let u1 = Fq::rand(&mut rng);
            let Some(u0) = ((u1.square() * u1 - b1) / (u1 + u1 + u1)).sqrt() else {
                continue;
            };
            let x = Fq2::new(u0, u1);
            let rhs = x.square() * x + ark_bn254::g2::Config::COEFF_B;
            assert!(rhs.c1.is_zero());
            let b = G2Affine::get_point_from_x_unchecked(x, fallback % 2 == 0)
                .expect("every element of Fq is a square in Fq2");
            cases.push(encode(g, b, g));
            fallback += 1;
        }
        agree(&cases);
        // The root from δ, both cases (c² = δ and c² = −δ), and a square
        // with a₀ = 0 (the square of t + t·u).
        let mut seen = [false; 2];
        for i in 0..40 {
            let a = match i {
                0 => {
                    let t = Fq::rand(&mut rng);
                    Fq2::new(t, t)
                }
                _ => Fq2::rand(&mut rng),
            };
            let s = a.square();
            let d = (pow_p_plus_one_div_four(&[s.norm()])[0] + s.c0) * consts().half;
            let c = pow_p_plus_one_div_four(&[d])[0];
            seen[usize::from(c.square() == d)] = true;
            let r = root_from(&s, &d, &c).expect("a root");
            assert!(r == a || r == -a);
        }
        assert_eq!(seen, [true, true], "both cases met");
    }

    #[test]
    fn bad_encodings_are_refused_as_by_arkworks() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(10);
        let good = random_proof(&mut rng);
        let mut cases = vec![good.clone()];
        // Every flag combination on each point (bit 7: larger y, bit 6:
        // identity; both set is refused).
        for last in [G1_LEN - 1, G1_LEN + G2_LEN - 1, PROOF_LEN - 1] {
            for flags in 0..4u8 {
                let mut b = good.clone();
                b[last] = (b[last] & 0x3f) | (flags << 6);
                cases.push(b);
            }
        }
        // x not canonical (≥ p), x without a point, random bytes.
        for start in [0, G1_LEN, G1_LEN + 32, G1_LEN + G2_LEN] {
            let mut b = good.clone();
            b[start..start + 32].copy_from_slice(&[0xff; 32]);
            b[start + 31] &= 0x3f;
            cases.push(b);
        }
        for _ in 0..40 {
            let mut b = good.clone();
            let i = rng.gen_range(0..PROOF_LEN);
            b[i] ^= 1 << rng.gen_range(0..8);
            cases.push(b);
            let r: Vec<u8> = (0..PROOF_LEN).map(|_| rng.gen()).collect();
            cases.push(r);
        }
        agree(&cases);
        // Wrong lengths.
        for n in [0, 1, PROOF_LEN - 1, PROOF_LEN + 1] {
            let b = vec![0u8; n];
            assert!(decompress_proofs(&[&b]).pop().expect("one").is_err());
        }
        // One bad proof among good ones leaves the others' results alone.
        let bad = vec![0xffu8; PROOF_LEN];
        let other = random_proof(&mut rng);
        let got: Vec<_> = decompress_proofs(&[&good, &bad, &other])
            .into_iter()
            .map(|r| r.map_err(|_| ()))
            .collect();
        assert_eq!(got, vec![arkworks(&good), Err(()), arkworks(&other)]);
    }
}
