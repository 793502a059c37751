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
}
