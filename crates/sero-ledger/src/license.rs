//! The mining licence (whitepaper §3.3 "License System"; `docs/protocol.md`
//! §12).
//!
//! An issuer with secret `(sk_zpk, sk_prop)` and public key
//! `PK_lic = (PK_zpk, PK_prop) = (sk_zpk·G_lic, sk_prop·G_lic)` grants a
//! validator, named by its 32-byte vote key `zpk`, the right to propose
//! blocks up to the height `prop`:
//!
//! ```text
//! G_lic = H2C("sero.h2c.license.v1"; 0)
//! h     = H_ℓ("SERO_LicenseZpk1"; zpk)
//! r     random non-zero,  R = r·G_lic
//! c     = H_ℓ("SERO_LicenseChal"; enc(R) ‖ enc(PK_zpk) ‖ enc(PK_prop) ‖ zpk ‖ LE64(prop))
//! S     = r + c·(sk_zpk·h + sk_prop·prop)  mod ℓ
//! LIC   = (prop, R, S)
//! valid ⇔ S·G_lic = R + c·(h·PK_zpk + prop·PK_prop)  and  height ≤ prop
//! ```
//!
//! Change from the whitepaper: its check `S·G = R + h·PK_zpk + prop·PK_prop`
//! does not bind `R`, so anyone can forge a licence for any key and any
//! `prop` without the issuer (pick `S`, solve for `R`), and can turn a
//! licence for `prop` into one for any `prop'`
//! (`R' = R − (prop' − prop)·PK_prop`). The challenge `c` over `R`, the
//! issuer's key and the message makes it a Schnorr signature with the
//! derived key `sk_zpk·h + sk_prop·prop` (key-prefixed, hence secure under
//! these linear key relations). `forgery_against_the_whitepaper_equation`
//! below shows the attack and that it fails here.
//!
//! Encodings: `License` = `LE64(prop) ‖ enc(R) ‖ LE(S)` (72 bytes);
//! issuer public key = `enc(PK_zpk) ‖ enc(PK_prop)` (64 bytes); issuer
//! secret = `LE(sk_zpk) ‖ LE(sk_prop)` (64 bytes). Points are decoded with
//! every check (canonical, on the curve, in the subgroup, not the
//! identity) and scalars must be canonical (`< ℓ`; secrets non-zero).

use ark_ec::{AffineRepr, CurveGroup};
use rand_core::{CryptoRng, RngCore};
use sero_crypto::curve::{
    decode_nonidentity_point, decode_nonzero_scalar, decode_scalar, encode_point, encode_scalar,
    random_scalar,
};
use sero_crypto::hash::{hash_to_scalar, tags};
use sero_crypto::{h2c, Point, Scalar};
use std::sync::OnceLock;
use thiserror::Error;

/// Poseidon domain tag of the licence generator `G_lic = H2C(tag; 0)`.
pub const H2C_LICENSE_TAG: &str = "sero.h2c.license.v1";

/// Why a licence is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LicenseError {
    #[error("malformed licence: {0}")]
    Malformed(String),
    #[error("the licence does not verify for this validator and issuer")]
    Invalid,
    #[error("the licence expired at height {prop} (block height {height})")]
    Expired { prop: u64, height: u64 },
    #[error("a mining licence is required up to height {required_until}")]
    Missing { required_until: u64 },
}

/// `G_lic`.
pub fn generator() -> Point {
    static G: OnceLock<Point> = OnceLock::new();
    *G.get_or_init(|| {
        h2c::hash_to_curve(H2C_LICENSE_TAG, &[sero_crypto::Base::from(0u64)])
            .expect("G_lic exists (checked by the test vectors)")
    })
}

/// `H(zpk)`: the validator key's scalar.
pub fn zpk_scalar(zpk: &[u8; 32]) -> Scalar {
    hash_to_scalar(tags::LICENSE_ZPK, &[zpk])
}

/// The issuer's secret `(sk_zpk, sk_prop)`.
#[derive(Clone, PartialEq, Eq)]
pub struct LicenseIssuerSecret {
    pub sk_zpk: Scalar,
    pub sk_prop: Scalar,
}

impl std::fmt::Debug for LicenseIssuerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LicenseIssuerSecret(..)")
    }
}

/// The issuer's public key `(PK_zpk, PK_prop)`, named by the genesis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LicenseIssuerPublic {
    pub pk_zpk: Point,
    pub pk_prop: Point,
}

/// A licence `(prop, R, S)`; `prop` is the last height at which it is
/// valid (public: it appears in the block seal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct License {
    pub prop: u64,
    pub r: Point,
    pub s: Scalar,
}

/// The genesis licence rule: proposers of blocks at heights
/// `1..=required_until` must show a licence of `issuer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LicenseConfig {
    pub issuer: LicenseIssuerPublic,
    pub required_until: u64,
}

fn mul(p: &Point, s: &Scalar) -> sero_crypto::PointProj {
    *p * s
}

impl LicenseIssuerSecret {
    pub const LEN: usize = 64;

    /// A fresh issuer key.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        LicenseIssuerSecret {
            sk_zpk: random_scalar(rng),
            sk_prop: random_scalar(rng),
        }
    }

    pub fn public(&self) -> LicenseIssuerPublic {
        let g = generator();
        LicenseIssuerPublic {
            pk_zpk: mul(&g, &self.sk_zpk).into_affine(),
            pk_prop: mul(&g, &self.sk_prop).into_affine(),
        }
    }

    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&encode_scalar(&self.sk_zpk));
        out[32..].copy_from_slice(&encode_scalar(&self.sk_prop));
        out
    }

    /// Two canonical non-zero scalars.
    pub fn from_bytes(b: &[u8]) -> Result<Self, LicenseError> {
        if b.len() != Self::LEN {
            return Err(malformed(format!(
                "issuer secret of {} bytes, expected 64",
                b.len()
            )));
        }
        Ok(LicenseIssuerSecret {
            sk_zpk: decode_nonzero_scalar(&b[..32])
                .map_err(|e| malformed(format!("sk_zpk: {e}")))?,
            sk_prop: decode_nonzero_scalar(&b[32..])
                .map_err(|e| malformed(format!("sk_prop: {e}")))?,
        })
    }

    /// Issues a licence for `zpk` valid up to height `prop`.
    pub fn issue<R: RngCore + CryptoRng>(&self, zpk: &[u8; 32], prop: u64, rng: &mut R) -> License {
        self.issue_with_nonce(zpk, prop, &random_scalar(rng))
    }

    /// [`issue`](Self::issue) with a given nonce `r` (test vectors only: a
    /// nonce used twice reveals the derived key).
    pub fn issue_with_nonce(&self, zpk: &[u8; 32], prop: u64, r: &Scalar) -> License {
        let big_r = mul(&generator(), r).into_affine();
        let c = challenge(&self.public(), &big_r, zpk, prop);
        let s = *r + c * (self.sk_zpk * zpk_scalar(zpk) + self.sk_prop * Scalar::from(prop));
        License { prop, r: big_r, s }
    }
}

impl LicenseIssuerPublic {
    pub const LEN: usize = 64;

    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&encode_point(&self.pk_zpk));
        out[32..].copy_from_slice(&encode_point(&self.pk_prop));
        out
    }

    /// Two points, each canonical, in the subgroup and not the identity.
    pub fn from_bytes(b: &[u8]) -> Result<Self, LicenseError> {
        if b.len() != Self::LEN {
            return Err(malformed(format!(
                "issuer public key of {} bytes, expected 64",
                b.len()
            )));
        }
        Ok(LicenseIssuerPublic {
            pk_zpk: decode_nonidentity_point(&b[..32])
                .map_err(|e| malformed(format!("PK_zpk: {e}")))?,
            pk_prop: decode_nonidentity_point(&b[32..])
                .map_err(|e| malformed(format!("PK_prop: {e}")))?,
        })
    }
}

fn malformed(s: String) -> LicenseError {
    LicenseError::Malformed(s)
}

/// `c = H_ℓ("SERO_LicenseChal"; enc(R) ‖ PK_lic ‖ zpk ‖ LE64(prop))`.
fn challenge(issuer: &LicenseIssuerPublic, r: &Point, zpk: &[u8; 32], prop: u64) -> Scalar {
    hash_to_scalar(
        tags::LICENSE_CHALLENGE,
        &[
            &encode_point(r),
            &issuer.to_bytes(),
            zpk,
            &prop.to_le_bytes(),
        ],
    )
}

impl License {
    pub const LEN: usize = 8 + 32 + 32;

    pub fn to_bytes(&self) -> [u8; 72] {
        let mut out = [0u8; 72];
        out[..8].copy_from_slice(&self.prop.to_le_bytes());
        out[8..40].copy_from_slice(&encode_point(&self.r));
        out[40..].copy_from_slice(&encode_scalar(&self.s));
        out
    }

    /// `LE64(prop) ‖ R ‖ S`: `R` canonical, in the subgroup, not the
    /// identity; `S < ℓ`.
    pub fn from_bytes(b: &[u8]) -> Result<Self, LicenseError> {
        if b.len() != Self::LEN {
            return Err(malformed(format!(
                "licence of {} bytes, expected {}",
                b.len(),
                Self::LEN
            )));
        }
        Ok(License {
            prop: u64::from_le_bytes(b[..8].try_into().expect("8 bytes")),
            r: decode_nonidentity_point(&b[8..40]).map_err(|e| malformed(format!("R: {e}")))?,
            s: decode_scalar(&b[40..]).map_err(|e| malformed(format!("S: {e}")))?,
        })
    }

    /// The signature check alone (no height): `S·G_lic = R + c·(H(zpk)·PK_zpk
    /// + prop·PK_prop)`.
    pub fn verify(&self, issuer: &LicenseIssuerPublic, zpk: &[u8; 32]) -> Result<(), LicenseError> {
        if self.r.is_zero() {
            return Err(LicenseError::Invalid);
        }
        let c = challenge(issuer, &self.r, zpk, self.prop);
        let lhs = mul(&generator(), &self.s);
        let rhs = mul(&issuer.pk_zpk, &(c * zpk_scalar(zpk)))
            + mul(&issuer.pk_prop, &(c * Scalar::from(self.prop)))
            + self.r;
        if lhs == rhs {
            Ok(())
        } else {
            Err(LicenseError::Invalid)
        }
    }

    /// [`verify`](Self::verify) and `height ≤ prop`.
    pub fn check(
        &self,
        issuer: &LicenseIssuerPublic,
        zpk: &[u8; 32],
        height: u64,
    ) -> Result<(), LicenseError> {
        self.verify(issuer, zpk)?;
        if height > self.prop {
            return Err(LicenseError::Expired {
                prop: self.prop,
                height,
            });
        }
        Ok(())
    }
}

/// The consensus rule for the licence in a proposed block's seal on a chain
/// whose genesis configures `cfg` (a chain without one needs no licence):
/// above `required_until` anything (a licence or none) is accepted;
/// otherwise the proposer must show a licence of the configured issuer for
/// its vote key that is valid at `height`.
pub fn check_proposer_license(
    cfg: &LicenseConfig,
    height: u64,
    proposer: &[u8; 32],
    license: Option<&License>,
) -> Result<(), LicenseError> {
    if height > cfg.required_until {
        return Ok(());
    }
    match license {
        None => Err(LicenseError::Missing {
            required_until: cfg.required_until,
        }),
        Some(l) => l.check(&cfg.issuer, proposer, height),
    }
}

/// Known answers for `test-vectors/license.json` (fixed secrets and nonce).
pub fn vectors() -> serde_json::Value {
    let secret = LicenseIssuerSecret {
        sk_zpk: Scalar::from(11u64),
        sk_prop: Scalar::from(13u64),
    };
    let public = secret.public();
    let zpk = [0x42u8; 32];
    let prop = 1000u64;
    let lic = secret.issue_with_nonce(&zpk, prop, &Scalar::from(17u64));
    serde_json::json!({
        "h2c_tag": H2C_LICENSE_TAG,
        "g_lic": hex::encode(encode_point(&generator())),
        "issuer_secret": hex::encode(secret.to_bytes()),
        "issuer_public": hex::encode(public.to_bytes()),
        "validator": hex::encode(zpk),
        "h_zpk": hex::encode(encode_scalar(&zpk_scalar(&zpk))),
        "prop": prop,
        "nonce": hex::encode(encode_scalar(&Scalar::from(17u64))),
        "license": hex::encode(lic.to_bytes()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use sero_crypto::curve::{bad_encodings, generator as key_generator};

    fn setup() -> (LicenseIssuerSecret, LicenseIssuerPublic, [u8; 32], License) {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let sk = LicenseIssuerSecret::generate(&mut rng);
        let pk = sk.public();
        let zpk = [9u8; 32];
        let lic = sk.issue(&zpk, 100, &mut rng);
        (sk, pk, zpk, lic)
    }

    #[test]
    fn honest_licence_verifies_and_round_trips() {
        let (sk, pk, zpk, lic) = setup();
        lic.check(&pk, &zpk, 100).unwrap();
        lic.check(&pk, &zpk, 1).unwrap();
        assert_eq!(License::from_bytes(&lic.to_bytes()).unwrap(), lic);
        assert_eq!(LicenseIssuerPublic::from_bytes(&pk.to_bytes()).unwrap(), pk);
        assert_eq!(LicenseIssuerSecret::from_bytes(&sk.to_bytes()).unwrap(), sk);
        assert_ne!(generator(), key_generator());
    }

    #[test]
    fn wrong_key_prop_r_s_issuer_and_expiry_are_rejected() {
        let (_, pk, zpk, lic) = setup();
        assert_eq!(lic.verify(&pk, &[8u8; 32]), Err(LicenseError::Invalid));
        let mut x = lic;
        x.prop += 1;
        assert_eq!(x.verify(&pk, &zpk), Err(LicenseError::Invalid));
        let mut x = lic;
        x.r = (x.r + generator()).into_affine();
        assert_eq!(x.verify(&pk, &zpk), Err(LicenseError::Invalid));
        let mut x = lic;
        x.s += Scalar::from(1u64);
        assert_eq!(x.verify(&pk, &zpk), Err(LicenseError::Invalid));
        let other = LicenseIssuerSecret::generate(&mut ChaCha20Rng::seed_from_u64(8)).public();
        assert_eq!(lic.verify(&other, &zpk), Err(LicenseError::Invalid));
        // Issuer halves swapped.
        let swapped = LicenseIssuerPublic {
            pk_zpk: pk.pk_prop,
            pk_prop: pk.pk_zpk,
        };
        assert_eq!(lic.verify(&swapped, &zpk), Err(LicenseError::Invalid));
        assert_eq!(
            lic.check(&pk, &zpk, 101),
            Err(LicenseError::Expired {
                prop: 100,
                height: 101
            })
        );
    }

    #[test]
    fn non_canonical_and_small_order_encodings_are_rejected() {
        let (_, pk, _, lic) = setup();
        let good = lic.to_bytes();
        assert!(License::from_bytes(&good[..71]).is_err());
        let mut long = good.to_vec();
        long.push(0);
        assert!(License::from_bytes(&long).is_err());
        for (name, r) in bad_encodings::all(&lic.r) {
            if r.len() != 32 {
                continue;
            }
            let mut b = good;
            b[8..40].copy_from_slice(&r);
            assert!(
                matches!(License::from_bytes(&b), Err(LicenseError::Malformed(_))),
                "{name}"
            );
        }
        // Identity R.
        let mut b = good;
        b[8..40].copy_from_slice(&encode_point(&Point::zero()));
        assert!(matches!(
            License::from_bytes(&b),
            Err(LicenseError::Malformed(_))
        ));
        // S ≥ ℓ (S + ℓ), and all ones.
        let mut b = good;
        b[40..].copy_from_slice(&[0xff; 32]);
        assert!(License::from_bytes(&b).is_err());
        // S + ℓ (fits in 256 bits since ℓ < 2^252): the same residue,
        // non-canonical.
        let mut b = good;
        b[40..].copy_from_slice(&num_le_add(&encode_scalar(&lic.s), &ell_bytes()));
        assert!(matches!(
            License::from_bytes(&b),
            Err(LicenseError::Malformed(_))
        ));
        // Issuer keys: identity and small-order components.
        let mut b = pk.to_bytes();
        b[..32].copy_from_slice(&encode_point(&Point::zero()));
        assert!(LicenseIssuerPublic::from_bytes(&b).is_err());
        let mut b = pk.to_bytes();
        b[32..].copy_from_slice(&encode_point(&bad_encodings::order_eight()));
        assert!(LicenseIssuerPublic::from_bytes(&b).is_err());
        assert!(LicenseIssuerSecret::from_bytes(&[0u8; 64]).is_err());
    }

    fn ell_bytes() -> [u8; 32] {
        use ark_ff::PrimeField;
        let mut out = [0u8; 32];
        let v = ark_ff::BigInteger::to_bytes_le(&Scalar::MODULUS);
        out.copy_from_slice(&v);
        out
    }

    fn num_le_add(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
        let mut out = [0u8; 32];
        let mut carry = 0u16;
        for i in 0..32 {
            let s = a[i] as u16 + b[i] as u16 + carry;
            out[i] = s as u8;
            carry = s >> 8;
        }
        out
    }

    #[test]
    fn forgery_against_the_whitepaper_equation() {
        // Without the challenge, anyone forges: pick S, solve for R.
        let (_, pk, _, _) = setup();
        let victim = [5u8; 32];
        let prop = u64::MAX;
        let s = Scalar::from(1234u64);
        let r = (mul(&generator(), &s)
            - mul(&pk.pk_zpk, &zpk_scalar(&victim))
            - mul(&pk.pk_prop, &Scalar::from(prop)))
        .into_affine();
        // It satisfies the whitepaper's equation …
        assert_eq!(
            mul(&generator(), &s),
            mul(&pk.pk_zpk, &zpk_scalar(&victim)) + mul(&pk.pk_prop, &Scalar::from(prop)) + r
        );
        // … but not ours.
        let forged = License { prop, r, s };
        assert_eq!(forged.verify(&pk, &victim), Err(LicenseError::Invalid));
    }

    #[test]
    fn proposer_rule() {
        let (_, pk, zpk, lic) = setup();
        let cfg = LicenseConfig {
            issuer: pk,
            required_until: 50,
        };
        assert!(check_proposer_license(&cfg, 51, &zpk, None).is_ok());
        assert_eq!(
            check_proposer_license(&cfg, 50, &zpk, None),
            Err(LicenseError::Missing { required_until: 50 })
        );
        assert!(check_proposer_license(&cfg, 50, &zpk, Some(&lic)).is_ok());
        assert_eq!(
            check_proposer_license(&cfg, 50, &[1; 32], Some(&lic)),
            Err(LicenseError::Invalid)
        );
        let short = LicenseConfig {
            issuer: pk,
            required_until: 500,
        };
        assert!(matches!(
            check_proposer_license(&short, 101, &zpk, Some(&lic)),
            Err(LicenseError::Expired { .. })
        ));
    }

    #[test]
    fn tag_is_not_a_poseidon_tag_of_another_use() {
        assert!(!sero_crypto::poseidon::tags::ALL.contains(&H2C_LICENSE_TAG));
    }
}
