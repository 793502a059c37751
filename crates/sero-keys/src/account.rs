use crate::encoding::{decode_typed, encode_typed, KeyType};
use crate::error::KeyError;
use ark_ec::AffineRepr;
use ark_ff::Zero;
use rand_core::{CryptoRng, RngCore};
use sero_crypto::curve::{
    decode_nonidentity_point, decode_nonidentity_points, decode_nonzero_scalar, encode_point,
    encode_scalar, generator, mul, random_scalar,
};
use sero_crypto::hash::{hash_to_scalar, tags};
use sero_crypto::schnorr::{self, SchnorrTags, Signature};
use sero_crypto::{Point, Scalar};
use std::fmt;
use std::str::FromStr;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// BLAKE2b tags of the PKr signature.
pub const PKR_SIG_TAGS: SchnorrTags = SchnorrTags {
    nonce: tags::PKR_SIG_NONCE,
    challenge: tags::PKR_SIG_CHALLENGE,
};

/// A PKr signature: Schnorr with base `BASEr` and key `zvsk`.
pub type PkrSignature = Signature;

/// The 32-byte account seed. Zeroised on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct Seed([u8; 32]);

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seed(..)")
    }
}

impl Seed {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Seed(bytes)
    }

    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut b = [0u8; 32];
        rng.fill_bytes(&mut b);
        Seed(b)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 24-word English BIP-39 mnemonic whose entropy is the seed.
    pub fn to_mnemonic(&self) -> String {
        bip39::Mnemonic::from_entropy(&self.0)
            .expect("32 bytes is a valid BIP-39 entropy length")
            .to_string()
    }

    /// Parses a 24-word English BIP-39 mnemonic (checksum verified).
    pub fn from_mnemonic(words: &str) -> Result<Self, KeyError> {
        let normalized = words.split_whitespace().collect::<Vec<_>>().join(" ");
        let m = bip39::Mnemonic::parse_in_normalized(bip39::Language::English, &normalized)
            .map_err(|e| KeyError::Mnemonic(e.to_string()))?;
        let (entropy, len) = m.to_entropy_array();
        if len != 32 {
            return Err(KeyError::Mnemonic(format!(
                "expected 24 words (32 bytes of entropy), got {} words",
                m.word_count()
            )));
        }
        let mut b = [0u8; 32];
        b.copy_from_slice(&entropy[..32]);
        Ok(Seed(b))
    }
}

/// The spending key SK = (zsk, vsk).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey {
    zsk: Scalar,
    vsk: Scalar,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.zsk = Scalar::zero();
        self.vsk = Scalar::zero();
    }
}

fn derive_scalar(tag: &[u8; 16], seed: &Seed) -> Scalar {
    // A zero scalar has probability 2^-250; re-hash with a counter byte if
    // it ever happens so that every seed yields a key.
    let mut s = hash_to_scalar(tag, &[seed.as_bytes()]);
    let mut ctr = 0u8;
    while s.is_zero() {
        ctr += 1;
        s = hash_to_scalar(tag, &[seed.as_bytes(), &[ctr]]);
    }
    s
}

impl SecretKey {
    /// zsk = BLAKE2b-512("SERO_ZskDerive01"; seed) mod ℓ, and likewise vsk.
    pub fn from_seed(seed: &Seed) -> Self {
        SecretKey {
            zsk: derive_scalar(tags::ZSK, seed),
            vsk: derive_scalar(tags::VSK, seed),
        }
    }

    pub fn zsk(&self) -> Scalar {
        self.zsk
    }

    pub fn vsk(&self) -> Scalar {
        self.vsk
    }

    /// True iff this key can spend a note sent to `pkr`: the trace key
    /// recognises it (`VPKr == vsk·ZPKr`) and `ZPKr == zsk·BASEr`, which
    /// the input circuit requires. Recognition alone is not enough: a payer
    /// who knows the PK can build `ZPKr = r·ZPK`, `VPKr = r·VPK` with an
    /// unrelated `BASEr`, a PKr that the trace key accepts but whose notes
    /// nobody can spend.
    pub fn can_spend(&self, pkr: &OneTimeAddress) -> bool {
        mul(&pkr.baser, &self.zsk) == pkr.zpkr && mul(&pkr.zpkr, &self.vsk) == pkr.vpkr
    }

    /// zvsk = zsk·vsk, the key of PKr signatures.
    pub fn zvsk(&self) -> Scalar {
        self.zsk * self.vsk
    }

    pub fn payment_address(&self) -> PaymentAddress {
        let zpk = mul(&generator(), &self.zsk);
        PaymentAddress {
            zpk,
            vpk: mul(&zpk, &self.vsk),
        }
    }

    pub fn trace_key(&self) -> TraceKey {
        TraceKey {
            zpk: mul(&generator(), &self.zsk),
            vsk: self.vsk,
        }
    }

    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&encode_scalar(&self.zsk));
        out[32..].copy_from_slice(&encode_scalar(&self.vsk));
        out
    }

    /// Decodes zsk ‖ vsk; both canonical (< ℓ) and non-zero.
    pub fn from_bytes(b: &[u8]) -> Result<Self, KeyError> {
        check_len("secret key", b, 64)?;
        Ok(SecretKey {
            zsk: decode_nonzero_scalar(&b[..32]).map_err(KeyError::crypto("zsk"))?,
            vsk: decode_nonzero_scalar(&b[32..]).map_err(KeyError::crypto("vsk"))?,
        })
    }

    /// Signs `msg` for `pkr`, which must belong to this key. `aux` is fresh
    /// randomness mixed into the nonce (the whitepaper's `a`).
    pub fn sign_with_aux(
        &self,
        pkr: &OneTimeAddress,
        msg: &[u8],
        aux: &[u8; 32],
    ) -> Result<PkrSignature, KeyError> {
        let zvsk = self.zvsk();
        if mul(&pkr.baser, &zvsk) != pkr.vpkr {
            return Err(KeyError::NotMine);
        }
        Ok(schnorr::sign(
            &PKR_SIG_TAGS,
            &pkr.baser,
            &zvsk,
            &pkr.vpkr,
            msg,
            aux,
        ))
    }

    /// [`SecretKey::sign_with_aux`] with randomness from `rng`.
    pub fn sign<R: RngCore + CryptoRng>(
        &self,
        pkr: &OneTimeAddress,
        msg: &[u8],
        rng: &mut R,
    ) -> Result<PkrSignature, KeyError> {
        let mut aux = [0u8; 32];
        rng.fill_bytes(&mut aux);
        self.sign_with_aux(pkr, msg, &aux)
    }
}

fn check_len(what: &'static str, b: &[u8], expected: usize) -> Result<(), KeyError> {
    if b.len() != expected {
        return Err(KeyError::Length {
            what,
            expected,
            got: b.len(),
        });
    }
    Ok(())
}

/// The payment address PK = (ZPK, VPK).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaymentAddress {
    pub zpk: Point,
    pub vpk: Point,
}

impl PaymentAddress {
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&encode_point(&self.zpk));
        out[32..].copy_from_slice(&encode_point(&self.vpk));
        out
    }

    /// Decodes ZPK ‖ VPK: canonical, in the subgroup, not the identity.
    pub fn from_bytes(b: &[u8]) -> Result<Self, KeyError> {
        check_len("payment address", b, 64)?;
        Ok(PaymentAddress {
            zpk: decode_nonidentity_point(&b[..32]).map_err(KeyError::crypto("ZPK"))?,
            vpk: decode_nonidentity_point(&b[32..]).map_err(KeyError::crypto("VPK"))?,
        })
    }

    /// A fresh one-time address with randomness from `rng`.
    pub fn derive_pkr<R: RngCore + CryptoRng>(&self, rng: &mut R) -> OneTimeAddress {
        self.derive_pkr_with(&random_scalar(rng))
    }

    /// The one-time address for a given non-zero `r`: r·(ZPK, VPK, G).
    pub fn derive_pkr_with(&self, r: &Scalar) -> OneTimeAddress {
        assert!(!r.is_zero(), "PKr randomness must be non-zero");
        OneTimeAddress {
            zpkr: mul(&self.zpk, r),
            vpkr: mul(&self.vpk, r),
            baser: mul(&generator(), r),
        }
    }
}

/// The trace key TK = (ZPK, vsk): recognises and opens, cannot spend.
#[derive(Clone, PartialEq, Eq)]
pub struct TraceKey {
    pub zpk: Point,
    vsk: Scalar,
}

impl fmt::Debug for TraceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TraceKey(ZPK={}, ..)",
            hex::encode(encode_point(&self.zpk))
        )
    }
}

impl TraceKey {
    pub fn vsk(&self) -> Scalar {
        self.vsk
    }

    /// The payment address of this TK: (ZPK, vsk·ZPK).
    pub fn payment_address(&self) -> PaymentAddress {
        PaymentAddress {
            zpk: self.zpk,
            vpk: mul(&self.zpk, &self.vsk),
        }
    }

    /// True iff `pkr` was derived from this key's PK: `VPKr == vsk·ZPKr`.
    pub fn is_mine(&self, pkr: &OneTimeAddress) -> bool {
        mul(&pkr.zpkr, &self.vsk) == pkr.vpkr
    }

    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&encode_point(&self.zpk));
        out[32..].copy_from_slice(&encode_scalar(&self.vsk));
        out
    }

    /// Decodes ZPK ‖ vsk (ZPK a checked non-identity point, vsk canonical and non-zero).
    pub fn from_bytes(b: &[u8]) -> Result<Self, KeyError> {
        check_len("trace key", b, 64)?;
        Ok(TraceKey {
            zpk: decode_nonidentity_point(&b[..32]).map_err(KeyError::crypto("ZPK"))?,
            vsk: decode_nonzero_scalar(&b[32..]).map_err(KeyError::crypto("vsk"))?,
        })
    }
}

/// A one-time address PKr = (ZPKr, VPKr, BASEr).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OneTimeAddress {
    pub zpkr: Point,
    pub vpkr: Point,
    pub baser: Point,
}

impl OneTimeAddress {
    pub fn to_bytes(&self) -> [u8; 96] {
        let mut out = [0u8; 96];
        out[..32].copy_from_slice(&encode_point(&self.zpkr));
        out[32..64].copy_from_slice(&encode_point(&self.vpkr));
        out[64..].copy_from_slice(&encode_point(&self.baser));
        out
    }

    /// Decodes ZPKr ‖ VPKr ‖ BASEr, each canonical, in the subgroup and not
    /// the identity (the three subgroup checks computed together); the
    /// error is the first point's, in that order.
    pub fn from_bytes(b: &[u8]) -> Result<Self, KeyError> {
        check_len("one-time address", b, 96)?;
        let [zpkr, vpkr, baser]: [Result<_, _>; 3] =
            decode_nonidentity_points(&[&b[..32], &b[32..64], &b[64..]])
                .try_into()
                .expect("three results");
        Ok(OneTimeAddress {
            zpkr: zpkr.map_err(KeyError::crypto("ZPKr"))?,
            vpkr: vpkr.map_err(KeyError::crypto("VPKr"))?,
            baser: baser.map_err(KeyError::crypto("BASEr"))?,
        })
    }

    /// Verifies a PKr signature: `s·BASEr == R + c·VPKr`.
    pub fn verify(&self, msg: &[u8], sig: &PkrSignature) -> Result<(), KeyError> {
        schnorr::verify(&PKR_SIG_TAGS, &self.baser, &self.vpkr, msg, sig)
            .map_err(KeyError::crypto("signature"))
    }

    /// This signature as one entry of a batch verification
    /// ([`schnorr::verify_batch`]).
    pub fn batch_entry<'a>(&self, msg: &'a [u8], sig: &PkrSignature) -> schnorr::BatchEntry<'a> {
        schnorr::BatchEntry {
            tags: &PKR_SIG_TAGS,
            base: self.baser,
            pk: self.vpkr,
            msg,
            sig: *sig,
        }
    }

    pub(crate) fn is_well_formed(&self) -> bool {
        !self.zpkr.is_zero() && !self.vpkr.is_zero() && !self.baser.is_zero()
    }
}

macro_rules! typed_string {
    ($ty:ty, $kind:expr) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&encode_typed($kind, &self.to_bytes()))
            }
        }

        impl FromStr for $ty {
            type Err = KeyError;
            fn from_str(s: &str) -> Result<Self, KeyError> {
                <$ty>::from_bytes(&decode_typed($kind, s)?)
            }
        }
    };
}

typed_string!(SecretKey, KeyType::SecretKey);
typed_string!(PaymentAddress, KeyType::PaymentAddress);
typed_string!(TraceKey, KeyType::TraceKey);
typed_string!(OneTimeAddress, KeyType::OneTimeAddress);

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn crafted_pkr_is_recognised_but_not_spendable() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let sk = SecretKey::from_seed(&Seed::random(&mut rng));
        let other = SecretKey::from_seed(&Seed::random(&mut rng));
        let pk = sk.payment_address();
        let good = pk.derive_pkr(&mut rng);
        assert!(sk.trace_key().is_mine(&good) && sk.can_spend(&good));
        // ZPKr = r·ZPK and VPKr = r·VPK, but BASEr = r'·G with r' ≠ r: the
        // trace key recognises it, the input circuit's ZPKr = zsk·BASEr fails.
        let r = random_scalar(&mut rng);
        let crafted = OneTimeAddress {
            zpkr: mul(&pk.zpk, &r),
            vpkr: mul(&pk.vpk, &r),
            baser: mul(&generator(), &(r + Scalar::from(1u64))),
        };
        assert!(sk.trace_key().is_mine(&crafted));
        assert!(!sk.can_spend(&crafted));
        // Nor can the owner sign for it (VPKr ≠ zvsk·BASEr).
        assert!(sk.sign(&crafted, b"m", &mut rng).is_err());
        // Someone else's PKr: neither recognised nor spendable.
        let theirs = other.payment_address().derive_pkr(&mut rng);
        assert!(!sk.trace_key().is_mine(&theirs) && !sk.can_spend(&theirs));
        // A PKr that passes zsk·BASEr = ZPKr but not recognition.
        let half = OneTimeAddress {
            vpkr: mul(&good.vpkr, &Scalar::from(2u64)),
            ..good
        };
        assert!(!sk.can_spend(&half));
    }

    #[test]
    fn mnemonic_roundtrip() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let seed = Seed::random(&mut rng);
        let m = seed.to_mnemonic();
        assert_eq!(m.split(' ').count(), 24);
        assert_eq!(Seed::from_mnemonic(&m).unwrap(), seed);
        assert_eq!(
            Seed::from_mnemonic(&format!("  {}  ", m.replace(' ', "   "))).unwrap(),
            seed
        );
        // Swap two words: the checksum catches it (almost always).
        let mut w: Vec<&str> = m.split(' ').collect();
        w.swap(0, 1);
        if w[0] != w[1] {
            assert!(Seed::from_mnemonic(&w.join(" ")).is_err());
        }
        assert!(Seed::from_mnemonic("abandon abandon").is_err());
        assert!(Seed::from_mnemonic("notaword ".repeat(24).trim()).is_err());
        // A valid 12-word mnemonic is refused: seeds are 32 bytes.
        let twelve = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
        assert!(matches!(
            Seed::from_mnemonic(twelve),
            Err(KeyError::Mnemonic(_))
        ));
    }

    #[test]
    fn keys_relate_as_in_the_whitepaper() {
        let sk = SecretKey::from_seed(&Seed::from_bytes([42; 32]));
        let pk = sk.payment_address();
        let tk = sk.trace_key();
        assert_eq!(pk.zpk, mul(&generator(), &sk.zsk()));
        assert_eq!(pk.vpk, mul(&generator(), &sk.zvsk()));
        assert_eq!(tk.payment_address(), pk);
        let s = pk.to_string();
        assert_eq!(s.parse::<PaymentAddress>().unwrap(), pk);
        assert_eq!(tk.to_string().parse::<TraceKey>().unwrap(), tk);
        assert_eq!(sk.to_string().parse::<SecretKey>().unwrap(), sk);
        assert!(matches!(
            s.parse::<TraceKey>(),
            Err(KeyError::WrongType { .. })
        ));
    }
}
