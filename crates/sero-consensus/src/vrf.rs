//! ECVRF-RISTRETTO255-SHA512 (the RFC 9381 ECVRF construction instantiated
//! on ristretto255 as specified at <https://c2sp.org/vrf-r255>), wrapping the
//! `vrf-r255` crate.
//!
//! * Secret key: a canonical non-zero scalar `x` (32 bytes, little-endian).
//! * Public key: `Y = x·B`, the 32-byte ristretto255 encoding. Decoding
//!   rejects non-canonical encodings, non-points and the identity.
//! * Proof `π = Gamma (32) ‖ c (16) ‖ s (32)` = 80 bytes; decoding rejects a
//!   non-canonical `Gamma` or `s`.
//! * Output `β = SHA-512(0xFF ‖ "c2sp.org/vrf-r255" ‖ 0x03 ‖ Gamma ‖ 0x00)`,
//!   64 bytes.

use crate::error::ConsensusError;
use blake2b_simd::Params;
use rand_core::{CryptoRng, RngCore};
use std::fmt;
use std::hash::{Hash, Hasher};

/// Length of a VRF proof.
pub const PROOF_LEN: usize = 80;
/// Length of a VRF output.
pub const OUTPUT_LEN: usize = 64;

/// BLAKE2b personalisation for [`VrfSecretKey::from_seed`].
pub const TAG_KEY_DERIVE: &[u8; 16] = b"SERO_VrfKeyDeriv";

/// A VRF secret key. `Debug` does not print the key.
///
/// The upstream type is `Copy` and not zeroised on drop, so copies of the
/// scalar may remain in memory; keep the process holding it trusted.
#[derive(Clone)]
pub struct VrfSecretKey(vrf_r255::SecretKey);

/// A VRF public key: a validated, canonical, non-identity ristretto255
/// element.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct VrfPublicKey(vrf_r255::PublicKey);

impl VrfSecretKey {
    /// A fresh random key.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        VrfSecretKey(vrf_r255::SecretKey::generate(rng))
    }

    /// Decodes a canonical non-zero scalar (32 bytes little-endian, below the
    /// group order).
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, ConsensusError> {
        Option::from(vrf_r255::SecretKey::from_bytes(*bytes))
            .map(VrfSecretKey)
            .ok_or(ConsensusError::InvalidSecretKey)
    }

    /// Derives a key deterministically from a 32-byte seed:
    /// `x = LE(H256("SERO_VrfKeyDeriv"; seed ‖ LE32(i))) mod 2^252` for the
    /// first `i = 0, 1, …` giving `x ≠ 0` (`x < 2^252 < ℓ` is always
    /// canonical; statistical distance from uniform ≈ 2^−127).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        for i in 0u32.. {
            let h = Params::new()
                .hash_length(32)
                .personal(TAG_KEY_DERIVE)
                .to_state()
                .update(seed)
                .update(&i.to_le_bytes())
                .finalize();
            let mut x = [0u8; 32];
            x.copy_from_slice(h.as_bytes());
            x[31] &= 0x0f;
            if let Ok(sk) = VrfSecretKey::from_bytes(&x) {
                return sk;
            }
        }
        unreachable!("a zero scalar 2^32 times in a row")
    }

    /// The 32-byte encoding of the scalar.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public key `x·B`.
    pub fn public_key(&self) -> VrfPublicKey {
        VrfPublicKey(vrf_r255::PublicKey::from(self.0))
    }
}

impl fmt::Debug for VrfSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VrfSecretKey(<redacted>)")
    }
}

impl VrfPublicKey {
    /// Decodes a public key: the canonical ristretto255 encoding (RFC 9496
    /// §4.3.1) of a non-identity element; anything else is
    /// [`ConsensusError::InvalidPublicKey`].
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, ConsensusError> {
        vrf_r255::PublicKey::from_bytes(*bytes)
            .map(VrfPublicKey)
            .ok_or(ConsensusError::InvalidPublicKey)
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }
}

impl Hash for VrfPublicKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.to_bytes().hash(state);
    }
}

impl fmt::Debug for VrfPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VrfPublicKey({})", hex::encode(self.to_bytes()))
    }
}

/// Proves `alpha` under `sk`: returns the VRF output `β` and the proof `π`.
/// Deterministic (RFC 9381 nonces are derived from the key and input). The
/// output is obtained by verifying the fresh proof, which also guards
/// against a faulty computation leaking a bad proof.
pub fn prove(sk: &VrfSecretKey, alpha: &[u8]) -> ([u8; OUTPUT_LEN], [u8; PROOF_LEN]) {
    let proof = sk.0.prove(alpha);
    let pk = vrf_r255::PublicKey::from(sk.0);
    let output: Option<[u8; OUTPUT_LEN]> = pk.verify(alpha, &proof).into();
    (
        output.expect("a fresh VRF proof verifies"),
        proof.to_bytes(),
    )
}

/// Verifies `proof` for `alpha` under `pk` and returns the VRF output.
pub fn verify(
    pk: &VrfPublicKey,
    alpha: &[u8],
    proof: &[u8; PROOF_LEN],
) -> Result<[u8; OUTPUT_LEN], ConsensusError> {
    let proof = vrf_r255::Proof::from_bytes(*proof).ok_or(ConsensusError::MalformedProof)?;
    Option::from(pk.0.verify(alpha, &proof)).ok_or(ConsensusError::InvalidProof)
}

/// The VRF output a well-formed `proof` carries, **without** verifying it
/// against a key and an input (RFC 9381 §5.2, proof-to-hash:
/// `SHA-512(0xFF ‖ "c2sp.org/vrf-r255" ‖ 0x03 ‖ Gamma ‖ 0x00)`). Only for
/// proofs that something else vouches for — a joining node re-deriving the
/// round seeds of headers that a finality checkpoint covers; sortition and
/// seals must use [`verify`].
pub fn output_unchecked(proof: &[u8; PROOF_LEN]) -> Result<[u8; OUTPUT_LEN], ConsensusError> {
    use sha2::{Digest, Sha512};
    vrf_r255::Proof::from_bytes(*proof).ok_or(ConsensusError::MalformedProof)?;
    let mut h = Sha512::new();
    h.update(b"\xFFc2sp.org/vrf-r255");
    h.update([0x03]);
    h.update(&proof[..32]);
    h.update([0x00]);
    Ok(h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unchecked_output_is_the_verified_one() {
        for i in 0..8u8 {
            let sk = VrfSecretKey::from_seed(&[i; 32]);
            let (out, proof) = prove(&sk, &[i, 1, 2]);
            assert_eq!(output_unchecked(&proof), Ok(out));
        }
        let mut bad = prove(&VrfSecretKey::from_seed(&[1; 32]), b"m").1;
        bad[..32].copy_from_slice(&[0xff; 32]);
        assert_eq!(output_unchecked(&bad), Err(ConsensusError::MalformedProof));
    }

    #[test]
    fn round_trip_and_determinism() {
        let sk = VrfSecretKey::from_seed(&[7; 32]);
        let sk2 = VrfSecretKey::from_bytes(&sk.to_bytes()).unwrap();
        assert_eq!(sk.public_key(), sk2.public_key());
        let pk = VrfPublicKey::from_bytes(&sk.public_key().to_bytes()).unwrap();
        let (out, proof) = prove(&sk, b"alpha");
        assert_eq!(prove(&sk2, b"alpha"), (out, proof));
        assert_eq!(verify(&pk, b"alpha", &proof), Ok(out));
        assert_eq!(
            verify(&pk, b"alphb", &proof),
            Err(ConsensusError::InvalidProof)
        );
        assert_ne!(prove(&sk, b"beta").0, out);
    }

    #[test]
    fn secret_key_decoding() {
        assert_eq!(
            VrfSecretKey::from_bytes(&[0; 32]).unwrap_err(),
            ConsensusError::InvalidSecretKey
        );
        assert_eq!(
            VrfSecretKey::from_bytes(&[0xff; 32]).unwrap_err(),
            ConsensusError::InvalidSecretKey
        );
        let mut one = [0u8; 32];
        one[0] = 1;
        let sk = VrfSecretKey::from_bytes(&one).unwrap();
        // 1·B is the ristretto255 generator.
        assert_eq!(
            hex::encode(sk.public_key().to_bytes()),
            "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76"
        );
        assert_eq!(format!("{sk:?}"), "VrfSecretKey(<redacted>)");
    }

    #[test]
    fn malformed_proofs() {
        let sk = VrfSecretKey::from_seed(&[1; 32]);
        let (_, proof) = prove(&sk, b"m");
        // Gamma not canonical (all 0xff).
        let mut bad = proof;
        bad[..32].copy_from_slice(&[0xff; 32]);
        assert_eq!(
            verify(&sk.public_key(), b"m", &bad),
            Err(ConsensusError::MalformedProof)
        );
        // s not canonical.
        let mut bad = proof;
        bad[48..].copy_from_slice(&[0xff; 32]);
        assert_eq!(
            verify(&sk.public_key(), b"m", &bad),
            Err(ConsensusError::MalformedProof)
        );
    }
}
