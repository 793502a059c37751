//! Vote keys (ed25519) and the pair of keys a validator holds.

use crate::vrf::{VrfPublicKey, VrfSecretKey};
use blake2b_simd::Params;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand_core::{CryptoRng, RngCore};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use thiserror::Error;
use zeroize::Zeroize;

/// BLAKE2b personalisation of [`ValidatorKeys::from_seed`].
pub const TAG_VALIDATOR_KEYS: &[u8; 16] = b"SERO_ValKeyDrv_1";

/// A vote public key that is not usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum VoteKeyError {
    /// Not the canonical encoding of a point of edwards25519.
    #[error("vote key is not a canonical edwards25519 point encoding")]
    NotCanonical,
    /// A point of small order (a "weak" key, for which signatures prove
    /// nothing).
    #[error("vote key is of small order")]
    Weak,
}

/// An ed25519 signing key for votes and proposals (zeroised on drop).
/// `Debug` does not print it.
#[derive(Clone)]
pub struct VoteSecretKey(SigningKey);

/// An ed25519 verification key: canonically encoded, not of small order
/// (checked when decoded). Ordered and compared by its 32-byte encoding.
#[derive(Clone, Copy)]
pub struct VotePublicKey {
    bytes: [u8; 32],
}

impl VoteSecretKey {
    /// A fresh random key.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        VoteSecretKey(SigningKey::generate(rng))
    }

    /// The key with the RFC 8032 32-byte secret `bytes`.
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        VoteSecretKey(SigningKey::from_bytes(bytes))
    }

    /// The 32-byte secret.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public key.
    pub fn public_key(&self) -> VotePublicKey {
        VotePublicKey {
            bytes: self.0.verifying_key().to_bytes(),
        }
    }

    /// An ed25519 signature of `msg`. Callers sign only domain-tagged
    /// 32-byte hashes (votes, proposals, block headers each have their own
    /// BLAKE2b personalisation), so a signature for one use is worthless for
    /// another.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.0.sign(msg).to_bytes()
    }
}

impl fmt::Debug for VoteSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VoteSecretKey(<redacted>)")
    }
}

impl VotePublicKey {
    /// Decodes a public key: the encoding must decompress to a point, be
    /// canonical (re-encoding gives the same bytes, so `y < p`) and the
    /// point must not be of small order.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, VoteKeyError> {
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| VoteKeyError::NotCanonical)?;
        if key.to_edwards().compress().to_bytes() != *bytes {
            return Err(VoteKeyError::NotCanonical);
        }
        if key.is_weak() {
            return Err(VoteKeyError::Weak);
        }
        Ok(VotePublicKey { bytes: *bytes })
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.bytes
    }

    /// The 32-byte encoding, borrowed.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// `verify_strict` (rejects non-canonical `S`, small-order `R` and
    /// weak keys) of a 64-byte signature over `msg`.
    pub fn verify(&self, msg: &[u8], sig: &[u8; 64]) -> bool {
        let Ok(key) = VerifyingKey::from_bytes(&self.bytes) else {
            return false;
        };
        key.verify_strict(msg, &Signature::from_bytes(sig)).is_ok()
    }
}

impl PartialEq for VotePublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}
impl Eq for VotePublicKey {}
impl Hash for VotePublicKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}
impl PartialOrd for VotePublicKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for VotePublicKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.bytes.cmp(&other.bytes)
    }
}
impl fmt::Debug for VotePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VotePublicKey({})", hex::encode(self.bytes))
    }
}

/// The secret keys of one validator: an ed25519 key that signs votes and
/// proposals and a VRF key for sortition.
#[derive(Clone, Debug)]
pub struct ValidatorKeys {
    /// Signs votes and proposals.
    pub vote: VoteSecretKey,
    /// Draws sortition credentials.
    pub vrf: VrfSecretKey,
}

impl ValidatorKeys {
    /// Deterministic keys from a 32-byte seed:
    /// `vote = H256("SERO_ValKeyDrv_1"; 0x00 ‖ seed)` (an RFC 8032 secret)
    /// and `vrf = VrfSecretKey::from_seed(H256("SERO_ValKeyDrv_1"; 0x01 ‖ seed))`.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let derive = |i: u8| {
            let h = Params::new()
                .hash_length(32)
                .personal(TAG_VALIDATOR_KEYS)
                .to_state()
                .update(&[i])
                .update(seed)
                .finalize();
            let mut out = [0u8; 32];
            out.copy_from_slice(h.as_bytes());
            out
        };
        let mut vote = derive(0);
        let mut vrf = derive(1);
        let keys = ValidatorKeys {
            vote: VoteSecretKey::from_bytes(&vote),
            vrf: VrfSecretKey::from_seed(&vrf),
        };
        vote.zeroize();
        vrf.zeroize();
        keys
    }

    /// The vote public key.
    pub fn vote_public(&self) -> VotePublicKey {
        self.vote.public_key()
    }

    /// The VRF public key.
    pub fn vrf_public(&self) -> VrfPublicKey {
        self.vrf.public_key()
    }

    /// The public [`super::Validator`] record for these keys.
    pub fn validator(&self, stake: u64) -> super::Validator {
        super::Validator {
            vote_key: self.vote_public(),
            vrf_key: self.vrf_public(),
            stake,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivation_is_deterministic_and_separated() {
        let a = ValidatorKeys::from_seed(&[1; 32]);
        let b = ValidatorKeys::from_seed(&[1; 32]);
        let c = ValidatorKeys::from_seed(&[2; 32]);
        assert_eq!(a.vote_public(), b.vote_public());
        assert_eq!(a.vrf_public(), b.vrf_public());
        assert_ne!(a.vote_public(), c.vote_public());
        assert_ne!(a.vote.to_bytes(), a.vrf.to_bytes());
        assert_eq!(format!("{:?}", a.vote), "VoteSecretKey(<redacted>)");
    }

    #[test]
    fn public_key_decoding() {
        let k = ValidatorKeys::from_seed(&[3; 32]).vote_public();
        assert_eq!(VotePublicKey::from_bytes(&k.to_bytes()).unwrap(), k);
        // The identity (y = 1) is of small order.
        let mut id = [0u8; 32];
        id[0] = 1;
        assert_eq!(VotePublicKey::from_bytes(&id), Err(VoteKeyError::Weak));
        // y = p + 1 ≡ 1, a non-canonical encoding of the identity.
        let mut nc = [0xffu8; 32];
        nc[0] = 0xee;
        nc[31] = 0x7f;
        assert_eq!(
            VotePublicKey::from_bytes(&nc),
            Err(VoteKeyError::NotCanonical)
        );
        // y = 2 is not on the curve.
        let mut off = [0u8; 32];
        off[0] = 2;
        assert_eq!(
            VotePublicKey::from_bytes(&off),
            Err(VoteKeyError::NotCanonical)
        );
    }

    #[test]
    fn sign_verify_strict() {
        let sk = ValidatorKeys::from_seed(&[4; 32]).vote;
        let pk = sk.public_key();
        let sig = sk.sign(b"m");
        assert!(pk.verify(b"m", &sig));
        assert!(!pk.verify(b"n", &sig));
        let mut bad = sig;
        bad[63] |= 0xf0; // non-canonical S
        assert!(!pk.verify(b"m", &bad));
    }
}
