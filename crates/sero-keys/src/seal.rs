//! Sealing a message to a PKr (whitepaper §3.3 "Enc"/"Dec").
//!
//! `BASEs = s·ZPKr`, `SECRET = s·VPKr`; the TK holder recomputes
//! `SECRET = vsk·BASEs`. The AEAD key is
//! `BLAKE2b-256("SERO_SealKey_v01"; SECRET ‖ BASEs)` and ChaCha20-Poly1305
//! runs with the all-zero nonce (every key is used once, `s` being fresh).
//! Sealed bytes: `BASEs (32) ‖ ciphertext ‖ tag (16)`.

use crate::account::{OneTimeAddress, TraceKey};
use crate::error::KeyError;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use rand_core::{CryptoRng, RngCore};
use sero_crypto::curve::{decode_nonidentity_point, encode_point, mul, random_scalar};
use sero_crypto::hash::{hash256, tags};
use sero_crypto::{Point, Scalar};

/// Bytes added to the plaintext: BASEs and the Poly1305 tag.
pub const SEAL_OVERHEAD: usize = 32 + 16;

fn cipher(secret: &Point, bases: &[u8; 32]) -> ChaCha20Poly1305 {
    let key = hash256(tags::SEAL_KEY, &[&encode_point(secret), bases]);
    ChaCha20Poly1305::new(&key.into())
}

/// Seals `plaintext` (bound to `aad`) to `pkr` with fresh randomness.
pub fn seal<R: RngCore + CryptoRng>(
    pkr: &OneTimeAddress,
    plaintext: &[u8],
    aad: &[u8],
    rng: &mut R,
) -> Vec<u8> {
    seal_with(pkr, plaintext, aad, &random_scalar(rng))
}

/// [`seal`] with an explicit non-zero `s` (for test vectors).
pub fn seal_with(pkr: &OneTimeAddress, plaintext: &[u8], aad: &[u8], s: &Scalar) -> Vec<u8> {
    assert!(pkr.is_well_formed(), "PKr points are checked at decoding");
    let bases = encode_point(&mul(&pkr.zpkr, s));
    let secret = mul(&pkr.vpkr, s);
    let ct = cipher(&secret, &bases)
        .encrypt(
            &[0u8; 12].into(),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .expect("ChaCha20-Poly1305 encryption cannot fail for in-memory data");
    let mut out = Vec::with_capacity(SEAL_OVERHEAD + plaintext.len());
    out.extend_from_slice(&bases);
    out.extend_from_slice(&ct);
    out
}

/// Opens a sealed message with the trace key.
pub fn open(tk: &TraceKey, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, KeyError> {
    if sealed.len() < SEAL_OVERHEAD {
        return Err(KeyError::SealedTooShort(sealed.len()));
    }
    let bases_bytes: [u8; 32] = sealed[..32].try_into().expect("length checked");
    let bases = decode_nonidentity_point(&bases_bytes).map_err(KeyError::crypto("BASEs"))?;
    let secret = mul(&bases, &tk.vsk());
    cipher(&secret, &bases_bytes)
        .decrypt(
            &[0u8; 12].into(),
            Payload {
                msg: &sealed[32..],
                aad,
            },
        )
        .map_err(|_| KeyError::OpenFailed)
}
