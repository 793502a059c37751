//! Packages: sealed bundles of assets and data (`docs/protocol.md` §17).
//!
//! A package holds up to [`MAX_PACKAGE_ASSETS`] assets and up to
//! [`MAX_PACKAGE_DATA`] bytes of data. On chain it is
//! `(C_pkg, ciphertext)`:
//!
//! * `C_pkg = Σ CC_asset(a_i) + r·G_r` — one Pedersen asset commitment of
//!   the whole contents with one blinding `r` (the generators of notes);
//! * `ciphertext = ChaCha20-Poly1305(K, nonce, plaintext, ad)` under a
//!   fresh 32-byte key `K`, with `ad = "SERO_PackageAd_1" ‖ chain_id ‖
//!   C_pkg` and `nonce = BLAKE2b-256("SERO_PackageNc_1"; chain_id ‖
//!   C_pkg)[..12]` (distinct per package even if a key were reused: `r` is
//!   fresh);
//! * `plaintext = 0x01 ‖ r (32, LE scalar) ‖ u8 n ‖ n × asset ‖ u16 len ‖
//!   data`, zero-padded to a multiple of [`PAD_BLOCK`] bytes, where `asset
//!   = currency (32) ‖ value u128 ‖ u8 has_ticket ‖ [category ‖ id]` (the
//!   transaction codec's asset layout).
//!
//! The package id is `BLAKE2b-256("SERO_PackageId_1"; chain_id ‖ unique ‖
//! C_pkg ‖ u32 len ‖ ciphertext)` where `unique` is the first nullifier of
//! the creating transaction (spent once, so ids never repeat). Ownership
//! is the ticket [`package_ticket`]`(id)` of the reserved category
//! [`Category::package`].
//!
//! [`open`] is what validators run when a package is opened: decrypt with
//! the revealed key, decode canonically, and check that the contents and
//! blinding re-commit to exactly `C_pkg`.

use crate::asset::{Asset, Category, Currency, Ticket, TicketId};
use crate::commitment::{asset_part, AssetCommitment};
use crate::error::AssetError;
use crate::generators::randomness_generator;
use ark_ec::CurveGroup;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use rand_core::{CryptoRng, RngCore};
use sero_crypto::curve::{decode_scalar, encode_scalar};
use sero_crypto::hash::hash256;
use sero_crypto::Scalar;
use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// Most assets in one package.
pub const MAX_PACKAGE_ASSETS: usize = 4;
/// Most data bytes in one package.
pub const MAX_PACKAGE_DATA: usize = 4096;
/// The plaintext is zero-padded to a multiple of this many bytes.
pub const PAD_BLOCK: usize = 256;
/// Bytes of one encoded asset with a ticket.
const MAX_ASSET_LEN: usize = 32 + 16 + 1 + 64;
/// The longest plaintext (padded).
pub const MAX_PLAINTEXT: usize =
    (1 + 32 + 1 + MAX_PACKAGE_ASSETS * MAX_ASSET_LEN + 2 + MAX_PACKAGE_DATA).div_ceil(PAD_BLOCK)
        * PAD_BLOCK;
/// The Poly1305 tag.
pub const TAG_LEN: usize = 16;
/// The longest ciphertext.
pub const MAX_CIPHERTEXT: usize = MAX_PLAINTEXT + TAG_LEN;
/// The shortest ciphertext (one padded block).
pub const MIN_CIPHERTEXT: usize = PAD_BLOCK + TAG_LEN;

const PLAINTEXT_VERSION: u8 = 1;

/// Hash tags of packages.
pub mod tags {
    pub const ID: &[u8; 16] = b"SERO_PackageId_1";
    pub const AD: &[u8; 16] = b"SERO_PackageAd_1";
    pub const NONCE: &[u8; 16] = b"SERO_PackageNc_1";
}

/// Why a package cannot be made or opened.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PackageError {
    #[error("package data of {0} bytes exceeds the limit of {MAX_PACKAGE_DATA}")]
    DataTooLarge(usize),
    #[error("a package holds at most {MAX_PACKAGE_ASSETS} assets, got {0}")]
    TooManyAssets(usize),
    #[error("an empty package (no asset and no data)")]
    Empty,
    #[error("invalid package asset: {0}")]
    BadAsset(String),
    #[error("package ciphertext of {0} bytes is not a whole number of {PAD_BLOCK}-byte blocks plus the {TAG_LEN}-byte tag within {MIN_CIPHERTEXT}..={MAX_CIPHERTEXT}")]
    BadCiphertextLength(usize),
    #[error("the key does not open this package (wrong key, or the ciphertext was altered or truncated)")]
    WrongKey,
    #[error("malformed package plaintext: {0}")]
    Malformed(String),
    #[error("the opened contents do not match the package commitment")]
    CommitmentMismatch,
    #[error("invalid package key: {0}")]
    BadKey(String),
    #[error("asset error: {0}")]
    Asset(#[from] AssetError),
}

/// A package key (32 bytes; hex in the CLI).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PackageKey(pub [u8; 32]);

impl PackageKey {
    /// A fresh random key.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut k = [0u8; 32];
        rng.fill_bytes(&mut k);
        PackageKey(k)
    }
}

impl fmt::Display for PackageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for PackageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PackageKey(..)")
    }
}

impl FromStr for PackageKey {
    type Err = PackageError;
    fn from_str(s: &str) -> Result<Self, PackageError> {
        let h = s.trim().strip_prefix("0x").unwrap_or(s.trim());
        let v = hex::decode(h).map_err(|_| PackageError::BadKey("not hexadecimal".into()))?;
        let b: [u8; 32] = v
            .try_into()
            .map_err(|_| PackageError::BadKey("must be 32 bytes (64 hex digits)".into()))?;
        Ok(PackageKey(b))
    }
}

/// What a package holds.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PackageContents {
    pub assets: Vec<Asset>,
    pub data: Vec<u8>,
}

impl PackageContents {
    /// The contents' rules: at most [`MAX_PACKAGE_ASSETS`] assets, each
    /// not empty (a zero value has the currency SERO), no ticket twice, at
    /// most [`MAX_PACKAGE_DATA`] data bytes, and not empty altogether.
    pub fn check(&self) -> Result<(), PackageError> {
        if self.assets.len() > MAX_PACKAGE_ASSETS {
            return Err(PackageError::TooManyAssets(self.assets.len()));
        }
        if self.data.len() > MAX_PACKAGE_DATA {
            return Err(PackageError::DataTooLarge(self.data.len()));
        }
        if self.assets.is_empty() && self.data.is_empty() {
            return Err(PackageError::Empty);
        }
        let mut tickets = HashSet::new();
        for a in &self.assets {
            if a.value == 0 && a.ticket.is_none() {
                return Err(PackageError::BadAsset("an empty asset".into()));
            }
            if a.value == 0 && a.currency != Currency::sero() {
                return Err(PackageError::BadAsset(
                    "a zero value must have the currency SERO".into(),
                ));
            }
            if let Some(t) = a.ticket {
                if !tickets.insert(t) {
                    return Err(PackageError::BadAsset(format!(
                        "ticket {}:{} twice",
                        t.category, t.id
                    )));
                }
            }
        }
        Ok(())
    }

    /// `C_pkg = Σ CC_asset(a_i) + r·G_r`.
    pub fn commit(&self, blinding: &Scalar) -> Result<AssetCommitment, AssetError> {
        let mut acc = randomness_generator() * blinding;
        for a in &self.assets {
            acc += asset_part(a)?;
        }
        Ok(AssetCommitment(acc.into_affine()))
    }
}

/// The sealed plaintext: the contents and the blinding of `C_pkg`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackagePlaintext {
    pub contents: PackageContents,
    pub blinding: Scalar,
}

fn put_asset(out: &mut Vec<u8>, a: &Asset) {
    out.extend_from_slice(&a.currency.to_bytes());
    out.extend_from_slice(&a.value.to_le_bytes());
    match &a.ticket {
        Some(t) => {
            out.push(1);
            out.extend_from_slice(&t.category.to_bytes());
            out.extend_from_slice(&t.id.0);
        }
        None => out.push(0),
    }
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], PackageError> {
        if self.0.len() < n {
            return Err(PackageError::Malformed(format!("truncated at {what}")));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn arr<const N: usize>(&mut self, what: &str) -> Result<[u8; N], PackageError> {
        Ok(self.take(N, what)?.try_into().expect("length checked"))
    }
    fn asset(&mut self) -> Result<Asset, PackageError> {
        let bad = |e: AssetError| PackageError::Malformed(e.to_string());
        let currency = Currency::from_bytes(&self.arr("currency")?).map_err(bad)?;
        let value = u128::from_le_bytes(self.arr("value")?);
        let ticket = match self.arr::<1>("ticket flag")?[0] {
            0 => None,
            1 => Some(Ticket {
                category: Category::from_bytes(&self.arr("category")?).map_err(bad)?,
                id: TicketId(self.arr("ticket id")?),
            }),
            f => return Err(PackageError::Malformed(format!("ticket flag {f}"))),
        };
        Ok(Asset {
            currency,
            value,
            ticket,
        })
    }
}

impl PackagePlaintext {
    /// The padded encoding (the contents must pass [`PackageContents::check`]).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PAD_BLOCK);
        out.push(PLAINTEXT_VERSION);
        out.extend_from_slice(&encode_scalar(&self.blinding));
        out.push(self.contents.assets.len() as u8);
        for a in &self.contents.assets {
            put_asset(&mut out, a);
        }
        out.extend_from_slice(&(self.contents.data.len() as u16).to_le_bytes());
        out.extend_from_slice(&self.contents.data);
        let padded = out.len().div_ceil(PAD_BLOCK).max(1) * PAD_BLOCK;
        out.resize(padded, 0);
        out
    }

    /// Decodes canonically: the version, a canonical scalar, contents that
    /// pass [`PackageContents::check`], then only zero padding up to a
    /// whole block (the shortest such padding).
    pub fn decode(b: &[u8]) -> Result<Self, PackageError> {
        let mut c = Cursor(b);
        let v = c.arr::<1>("version")?[0];
        if v != PLAINTEXT_VERSION {
            return Err(PackageError::Malformed(format!("version {v}")));
        }
        let blinding = decode_scalar(c.take(32, "blinding")?)
            .map_err(|e| PackageError::Malformed(format!("blinding: {e}")))?;
        let n = c.arr::<1>("asset count")?[0] as usize;
        if n > MAX_PACKAGE_ASSETS {
            return Err(PackageError::TooManyAssets(n));
        }
        let mut assets = Vec::with_capacity(n);
        for _ in 0..n {
            assets.push(c.asset()?);
        }
        let len = u16::from_le_bytes(c.arr("data length")?) as usize;
        if len > MAX_PACKAGE_DATA {
            return Err(PackageError::DataTooLarge(len));
        }
        let data = c.take(len, "data")?.to_vec();
        let pt = PackagePlaintext {
            contents: PackageContents { assets, data },
            blinding,
        };
        pt.contents.check()?;
        if pt.encode() != b {
            return Err(PackageError::Malformed("non-canonical padding".into()));
        }
        Ok(pt)
    }
}

fn nonce(chain_id: &[u8; 32], cm: &AssetCommitment) -> [u8; 12] {
    let h = hash256(tags::NONCE, &[chain_id, &cm.to_bytes()]);
    h[..12].try_into().expect("12 bytes")
}

fn ad(chain_id: &[u8; 32], cm: &AssetCommitment) -> Vec<u8> {
    let mut v = Vec::with_capacity(16 + 64);
    v.extend_from_slice(tags::AD);
    v.extend_from_slice(chain_id);
    v.extend_from_slice(&cm.to_bytes());
    v
}

/// Checks a ciphertext's length (whole blocks plus the tag, within limits).
pub fn check_ciphertext_len(len: usize) -> Result<(), PackageError> {
    if !(MIN_CIPHERTEXT..=MAX_CIPHERTEXT).contains(&len)
        || !(len - TAG_LEN).is_multiple_of(PAD_BLOCK)
    {
        return Err(PackageError::BadCiphertextLength(len));
    }
    Ok(())
}

/// A sealed package as it goes on chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedPackage {
    pub cm: AssetCommitment,
    pub ciphertext: Vec<u8>,
}

/// Seals `contents` under `key` with blinding `blinding` for `chain_id`.
pub fn seal_with(
    contents: &PackageContents,
    blinding: Scalar,
    key: &PackageKey,
    chain_id: &[u8; 32],
) -> Result<SealedPackage, PackageError> {
    contents.check()?;
    let cm = contents.commit(&blinding)?;
    let pt = PackagePlaintext {
        contents: contents.clone(),
        blinding,
    }
    .encode();
    let ciphertext = ChaCha20Poly1305::new(&key.0.into())
        .encrypt(
            &nonce(chain_id, &cm).into(),
            Payload {
                msg: &pt,
                aad: &ad(chain_id, &cm),
            },
        )
        .expect("ChaCha20-Poly1305 encryption cannot fail for in-memory data");
    Ok(SealedPackage { cm, ciphertext })
}

/// Seals `contents` under a fresh key and blinding; returns the key too.
pub fn seal<R: RngCore + CryptoRng>(
    contents: &PackageContents,
    chain_id: &[u8; 32],
    rng: &mut R,
) -> Result<(SealedPackage, PackageKey, Scalar), PackageError> {
    let key = PackageKey::random(rng);
    let blinding = sero_crypto::curve::random_scalar(rng);
    let s = seal_with(contents, blinding, &key, chain_id)?;
    Ok((s, key, blinding))
}

/// Opens a package: decrypts with `key`, decodes canonically and checks
/// that the contents and blinding re-commit to exactly `cm`. This is the
/// validators' check; any failure leaves the package sealed.
pub fn open(
    sealed: &SealedPackage,
    key: &PackageKey,
    chain_id: &[u8; 32],
) -> Result<PackagePlaintext, PackageError> {
    check_ciphertext_len(sealed.ciphertext.len())?;
    let pt = ChaCha20Poly1305::new(&key.0.into())
        .decrypt(
            &nonce(chain_id, &sealed.cm).into(),
            Payload {
                msg: &sealed.ciphertext,
                aad: &ad(chain_id, &sealed.cm),
            },
        )
        .map_err(|_| PackageError::WrongKey)?;
    let p = PackagePlaintext::decode(&pt)?;
    if p.contents.commit(&p.blinding)? != sealed.cm {
        return Err(PackageError::CommitmentMismatch);
    }
    Ok(p)
}

/// The package id: `BLAKE2b-256("SERO_PackageId_1"; chain_id ‖ unique ‖
/// C_pkg ‖ u32 len ‖ ciphertext)`.
pub fn package_id(chain_id: &[u8; 32], unique: &[u8; 32], sealed: &SealedPackage) -> [u8; 32] {
    hash256(
        tags::ID,
        &[
            chain_id,
            unique,
            &sealed.cm.to_bytes(),
            &(sealed.ciphertext.len() as u32).to_le_bytes(),
            &sealed.ciphertext,
        ],
    )
}

/// A package as the chain stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageRecord {
    /// Opened (its contents are back in the pool or a contract's book).
    pub opened: bool,
    /// The height of the block that created it.
    pub height: u64,
    /// The short (20-byte) address of the creating transaction's `From`.
    pub creator: [u8; 20],
    pub sealed: SealedPackage,
}

impl PackageRecord {
    /// `opened u8 ‖ height u64 (BE) ‖ creator (20) ‖ C_pkg (32) ‖ ciphertext`.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(61 + self.sealed.ciphertext.len());
        v.push(self.opened as u8);
        v.extend_from_slice(&self.height.to_be_bytes());
        v.extend_from_slice(&self.creator);
        v.extend_from_slice(&self.sealed.cm.to_bytes());
        v.extend_from_slice(&self.sealed.ciphertext);
        v
    }

    /// Decodes [`PackageRecord::encode`].
    pub fn decode(b: &[u8]) -> Option<Self> {
        if b.len() < 61 || b[0] > 1 {
            return None;
        }
        Some(PackageRecord {
            opened: b[0] == 1,
            height: u64::from_be_bytes(b[1..9].try_into().ok()?),
            creator: b[9..29].try_into().ok()?,
            sealed: SealedPackage {
                cm: AssetCommitment::from_bytes(&b[29..61]).ok()?,
                ciphertext: b[61..].to_vec(),
            },
        })
    }
}

/// The ticket that carries ownership of package `id`.
pub fn package_ticket(id: &[u8; 32]) -> Ticket {
    Ticket {
        category: Category::package(),
        id: TicketId(*id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn contents() -> PackageContents {
        PackageContents {
            assets: vec![Asset::token(Currency::new("COIN").unwrap(), 500)],
            data: b"hello".to_vec(),
        }
    }

    #[test]
    fn roundtrip_and_rejections() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let chain = [7u8; 32];
        let (s, k, r) = seal(&contents(), &chain, &mut rng).unwrap();
        assert_eq!(s.ciphertext.len(), MIN_CIPHERTEXT);
        let p = open(&s, &k, &chain).unwrap();
        assert_eq!(p.contents, contents());
        assert_eq!(p.blinding, r);
        // Wrong key, wrong chain, altered and truncated ciphertexts.
        assert_eq!(
            open(&s, &PackageKey([0; 32]), &chain),
            Err(PackageError::WrongKey)
        );
        assert_eq!(open(&s, &k, &[8; 32]), Err(PackageError::WrongKey));
        let mut t = s.clone();
        t.ciphertext[3] ^= 1;
        assert_eq!(open(&t, &k, &chain), Err(PackageError::WrongKey));
        let mut t = s.clone();
        t.ciphertext.truncate(t.ciphertext.len() - 1);
        assert!(matches!(
            open(&t, &k, &chain),
            Err(PackageError::BadCiphertextLength(_))
        ));
        t.ciphertext.clear();
        assert!(open(&t, &k, &chain).is_err());
        // Another commitment: the AD (and nonce) differ.
        let mut t = s.clone();
        t.cm = contents().commit(&Scalar::from(5u64)).unwrap();
        assert_eq!(open(&t, &k, &chain), Err(PackageError::WrongKey));
        // Oversize data and too many assets.
        let big = PackageContents {
            assets: vec![],
            data: vec![1; MAX_PACKAGE_DATA + 1],
        };
        assert!(matches!(
            seal(&big, &chain, &mut rng),
            Err(PackageError::DataTooLarge(_))
        ));
        let many = PackageContents {
            assets: vec![Asset::sero(1); MAX_PACKAGE_ASSETS + 1],
            data: vec![],
        };
        assert!(matches!(
            seal(&many, &chain, &mut rng),
            Err(PackageError::TooManyAssets(_))
        ));
        assert!(seal(&PackageContents::default(), &chain, &mut rng).is_err());
        // The largest package fits the limits.
        let full = PackageContents {
            assets: vec![Asset::sero(1); MAX_PACKAGE_ASSETS],
            data: vec![9; MAX_PACKAGE_DATA],
        };
        let (s, k, _) = seal(&full, &chain, &mut rng).unwrap();
        assert!(s.ciphertext.len() <= MAX_CIPHERTEXT);
        assert_eq!(open(&s, &k, &chain).unwrap().contents, full);
    }

    #[test]
    fn contents_other_than_sealed_are_refused() {
        // A ciphertext that decrypts to contents which do not re-commit to
        // C_pkg (a creator lying in the plaintext) cannot be opened.
        let chain = [1u8; 32];
        let key = PackageKey([3; 32]);
        let honest = contents();
        let cm = honest.commit(&Scalar::from(9u64)).unwrap();
        let lie = PackagePlaintext {
            contents: PackageContents {
                assets: vec![Asset::token(Currency::new("COIN").unwrap(), 5000)],
                data: b"hello".to_vec(),
            },
            blinding: Scalar::from(9u64),
        }
        .encode();
        let ct = ChaCha20Poly1305::new(&key.0.into())
            .encrypt(
                &nonce(&chain, &cm).into(),
                Payload {
                    msg: &lie,
                    aad: &ad(&chain, &cm),
                },
            )
            .unwrap();
        let s = SealedPackage { cm, ciphertext: ct };
        assert_eq!(
            open(&s, &key, &chain),
            Err(PackageError::CommitmentMismatch)
        );
    }

    #[test]
    fn key_parsing() {
        assert!("00".repeat(32).parse::<PackageKey>().is_ok());
        assert!(format!("0x{}", "ab".repeat(32))
            .parse::<PackageKey>()
            .is_ok());
        assert!("00".repeat(31).parse::<PackageKey>().is_err());
        assert!("zz".parse::<PackageKey>().is_err());
    }
}
