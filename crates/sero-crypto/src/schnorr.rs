//! Schnorr signatures on Baby Jubjub over an arbitrary base point.
//!
//! Given base `B`, secret `x` and public `P = x·B`:
//! * nonce `k = H512_nonce(aux ‖ x ‖ B ‖ P ‖ m) mod ℓ` (hedged: deterministic
//!   in the secret and message, plus 32 bytes of fresh randomness `aux`, the
//!   whitepaper's `a`);
//! * `R = k·B`, `c = H512_challenge(B ‖ P ‖ R ‖ m) mod ℓ`, `s = k + c·x`;
//! * signature = `R ‖ s` (64 bytes); valid iff `s·B = R + c·P`.
//!
//! The challenge binds the base and the public key as well as the whitepaper's
//! `(R, m)`, so a signature cannot be moved to another key.

use crate::curve::{
    decode_point, decode_scalar, encode_point, encode_scalar, Point, PointProj, Scalar,
};
use crate::error::CryptoError;
use crate::hash::hash_to_scalar;
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::Zero;

/// The pair of BLAKE2b personalisations that makes one signature scheme.
#[derive(Clone, Copy, Debug)]
pub struct SchnorrTags {
    pub nonce: &'static [u8; 16],
    pub challenge: &'static [u8; 16],
}

/// A Schnorr signature `(R, s)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    pub r: Point,
    pub s: Scalar,
}

/// Length of an encoded signature.
pub const SIGNATURE_LEN: usize = 64;

impl Signature {
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&encode_point(&self.r));
        out[32..].copy_from_slice(&encode_scalar(&self.s));
        out
    }

    /// Decodes `R ‖ s`: `R` canonical and in the subgroup, `s < ℓ`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() != SIGNATURE_LEN {
            return Err(CryptoError::Length {
                expected: SIGNATURE_LEN,
                got: bytes.len(),
            });
        }
        Ok(Signature {
            r: decode_point(&bytes[..32])?,
            s: decode_scalar(&bytes[32..])?,
        })
    }
}

fn challenge(tags: &SchnorrTags, base: &Point, pk: &Point, r: &Point, msg: &[u8]) -> Scalar {
    hash_to_scalar(
        tags.challenge,
        &[
            &encode_point(base),
            &encode_point(pk),
            &encode_point(r),
            msg,
        ],
    )
}

/// Signs `msg` with secret `sk` for public key `pk = sk·base`.
pub fn sign(
    tags: &SchnorrTags,
    base: &Point,
    sk: &Scalar,
    pk: &Point,
    msg: &[u8],
    aux: &[u8; 32],
) -> Signature {
    let mut k = hash_to_scalar(
        tags.nonce,
        &[
            aux,
            &encode_scalar(sk),
            &encode_point(base),
            &encode_point(pk),
            msg,
        ],
    );
    if k.is_zero() {
        // Probability 2^-250; any fixed non-zero nonce derivation works.
        k = Scalar::from(1u64);
    }
    let r = (*base * k).into_affine();
    let c = challenge(tags, base, pk, &r, msg);
    Signature { r, s: k + c * sk }
}

/// Verifies `sig` on `msg` for `pk` over `base`. `base` and `pk` must come
/// from checked decoding (in the subgroup); the identity is rejected.
pub fn verify(
    tags: &SchnorrTags,
    base: &Point,
    pk: &Point,
    msg: &[u8],
    sig: &Signature,
) -> Result<(), CryptoError> {
    if base.is_zero() {
        return Err(CryptoError::Identity);
    }
    let c = challenge(tags, base, pk, &sig.r, msg);
    // s·B − c·P − R == 0
    let lhs = PointProj::msm_unchecked(&[*base, *pk], &[sig.s, -c]);
    if lhs == sig.r.into_group() {
        Ok(())
    } else {
        Err(CryptoError::BadSignature)
    }
}

/// One signature of a batch ([`verify_batch`]).
#[derive(Clone, Copy, Debug)]
pub struct BatchEntry<'a> {
    pub tags: &'a SchnorrTags,
    pub base: Point,
    pub pk: Point,
    pub msg: &'a [u8],
    pub sig: Signature,
}

/// Verifies many signatures at once: with independent random 128-bit
/// weights `zᵢ`, `Σ zᵢ·(sᵢ·Bᵢ − cᵢ·Pᵢ − Rᵢ) = 0` as one multi-scalar
/// multiplication (equal bases merged, so the shared `G_r` of the balance
/// signatures costs one point). All points are in the prime-order subgroup
/// (checked decoding), so if any signature is invalid the sum is zero with
/// probability at most 2⁻¹²⁸. An error says only that some signature is
/// invalid: verify them one by one ([`verify`]) to find which.
pub fn verify_batch<R: rand_core::RngCore>(
    entries: &[BatchEntry<'_>],
    rng: &mut R,
) -> Result<(), CryptoError> {
    use std::collections::HashMap;
    if entries.iter().any(|e| e.base.is_zero()) {
        return Err(CryptoError::Identity);
    }
    let mut index: HashMap<Point, usize> = HashMap::with_capacity(2 * entries.len());
    let mut points: Vec<Point> = Vec::with_capacity(3 * entries.len());
    let mut scalars: Vec<Scalar> = Vec::with_capacity(3 * entries.len());
    let mut add = |p: Point, k: Scalar, merge: bool| {
        if merge {
            if let Some(&i) = index.get(&p) {
                scalars[i] += k;
                return;
            }
            index.insert(p, points.len());
        }
        points.push(p);
        scalars.push(k);
    };
    for e in entries {
        let mut zb = [0u8; 16];
        rng.fill_bytes(&mut zb);
        let z = Scalar::from(u128::from_le_bytes(zb));
        let c = challenge(e.tags, &e.base, &e.pk, &e.sig.r, e.msg);
        add(e.base, z * e.sig.s, true);
        add(e.pk, -(z * c), false);
        add(e.sig.r, -z, false);
    }
    if PointProj::msm_unchecked(&points, &scalars).is_zero() {
        Ok(())
    } else {
        Err(CryptoError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::{generator, mul, random_scalar};
    use crate::hash::tags;
    use rand::SeedableRng;

    const T: SchnorrTags = SchnorrTags {
        nonce: tags::PKR_SIG_NONCE,
        challenge: tags::PKR_SIG_CHALLENGE,
    };
    const T2: SchnorrTags = SchnorrTags {
        nonce: tags::BAL_SIG_NONCE,
        challenge: tags::BAL_SIG_CHALLENGE,
    };

    #[test]
    fn sign_verify_and_reject() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
        let base = mul(&generator(), &random_scalar(&mut rng));
        let sk = random_scalar(&mut rng);
        let pk = mul(&base, &sk);
        let sig = sign(&T, &base, &sk, &pk, b"hello", &[1; 32]);
        verify(&T, &base, &pk, b"hello", &sig).unwrap();
        assert_eq!(Signature::from_bytes(&sig.to_bytes()).unwrap(), sig);
        assert!(verify(&T, &base, &pk, b"hellp", &sig).is_err());
        assert!(
            verify(&T2, &base, &pk, b"hello", &sig).is_err(),
            "other scheme"
        );
        let pk2 = mul(&base, &(sk + Scalar::from(1u64)));
        assert!(verify(&T, &base, &pk2, b"hello", &sig).is_err());
        let bad = Signature {
            r: sig.r,
            s: sig.s + Scalar::from(1u64),
        };
        assert!(verify(&T, &base, &pk, b"hello", &bad).is_err());
        let bad = Signature {
            r: mul(&sig.r, &Scalar::from(2u64)),
            s: sig.s,
        };
        assert!(verify(&T, &base, &pk, b"hello", &bad).is_err());
        assert!(verify(&T, &Point::zero(), &pk, b"hello", &sig).is_err());
    }

    #[test]
    fn batches_accept_valid_and_refuse_any_bad_signature() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
        let shared = mul(&generator(), &random_scalar(&mut rng));
        let msgs: Vec<Vec<u8>> = (0..6u8).map(|i| vec![i; 1 + i as usize]).collect();
        let mut sigs = vec![];
        for (i, m) in msgs.iter().enumerate() {
            // Half on one shared base (like B-Sign's G_r), half on their own.
            let base = if i % 2 == 0 {
                shared
            } else {
                mul(&generator(), &random_scalar(&mut rng))
            };
            let sk = random_scalar(&mut rng);
            let pk = mul(&base, &sk);
            let tags = if i % 2 == 0 { &T } else { &T2 };
            sigs.push((
                tags,
                base,
                pk,
                sign(tags, &base, &sk, &pk, m, &[i as u8; 32]),
            ));
        }
        type Signed<'t> = (&'t SchnorrTags, Point, Point, Signature);
        fn entries<'a>(sigs: &[Signed<'a>], msgs: &'a [Vec<u8>]) -> Vec<BatchEntry<'a>> {
            sigs.iter()
                .zip(msgs)
                .map(|((t, b, p, s), m)| BatchEntry {
                    tags: t,
                    base: *b,
                    pk: *p,
                    msg: m,
                    sig: *s,
                })
                .collect()
        }
        verify_batch(&entries(&sigs, &msgs), &mut rng).unwrap();
        verify_batch(&[], &mut rng).unwrap();
        // Each way to break one signature breaks the batch.
        for i in 0..sigs.len() {
            let mut bad = sigs.clone();
            bad[i].3.s += Scalar::from(1u64);
            assert!(
                verify_batch(&entries(&bad, &msgs), &mut rng).is_err(),
                "s of {i}"
            );
            let mut bad = sigs.clone();
            bad[i].3.r = sigs[(i + 1) % sigs.len()].3.r;
            assert!(
                verify_batch(&entries(&bad, &msgs), &mut rng).is_err(),
                "R of {i}"
            );
            let mut bad = sigs.clone();
            bad[i].2 = sigs[(i + 1) % sigs.len()].2;
            assert!(
                verify_batch(&entries(&bad, &msgs), &mut rng).is_err(),
                "key of {i}"
            );
            let mut e = entries(&sigs, &msgs);
            e[i].msg = b"another message";
            assert!(verify_batch(&e, &mut rng).is_err(), "message of {i}");
            let mut e = entries(&sigs, &msgs);
            e[i].tags = if i % 2 == 0 { &T2 } else { &T };
            assert!(verify_batch(&e, &mut rng).is_err(), "scheme of {i}");
        }
        // Two bad signatures that would cancel without weights.
        let mut bad = sigs.clone();
        bad[0].3.s += Scalar::from(1u64);
        bad[2].3.s -= Scalar::from(1u64);
        assert!(verify_batch(&entries(&bad, &msgs), &mut rng).is_err());
        let mut e = entries(&sigs, &msgs);
        e[1].base = Point::zero();
        assert!(verify_batch(&e, &mut rng).is_err());
    }
}
