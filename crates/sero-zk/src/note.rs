//! Notes and the values derived from them (native side; the circuits
//! compute the same with the gadgets).
//!
//! ```text
//! pkr_hash = H_PKR(ZPKr.x, ZPKr.y, VPKr.x, VPKr.y, BASEr.x, BASEr.y)
//! CC       = value·G_cy + [ticket]·G_tk
//! CMout    = H_NOTE(CC.x, CC.y, pkr_hash, memo_hash, rsk)
//! CMauth   = H_AUTH(position, CMout)          (the witness-tree leaf)
//! Nil      = H_NIL(zsk, CMauth)               (stops double spends)
//! Til      = H_TIL(vsk, CMauth)               (lets the TK see the spend)
//! ```

use crate::error::ZkError;
use ark_ec::CurveGroup;
use ark_ff::{BigInteger, PrimeField};
use sero_assets::{asset_part, Asset};
use sero_crypto::poseidon::{hash_tagged, tags};
use sero_crypto::{Base, Point, Scalar};
use sero_keys::OneTimeAddress;

/// A note: an asset owned by a one-time address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Note {
    pub asset: Asset,
    pub pkr: OneTimeAddress,
    /// Hash of the memo carried (encrypted) with the note.
    pub memo_hash: Base,
    /// The note commitment's randomness (hides the asset in CMout).
    pub rsk: Base,
}

/// `H_PKR` of a one-time address.
pub fn pkr_hash(pkr: &OneTimeAddress) -> Base {
    hash_tagged(tags::PKR, &pkr_row(pkr))
}

/// The inputs of [`pkr_hash`]: ZPKr, VPKr, BASEr as `(x, y)`.
fn pkr_row(p: &OneTimeAddress) -> [Base; 6] {
    [p.zpkr.x, p.zpkr.y, p.vpkr.x, p.vpkr.y, p.baser.x, p.baser.y]
}

/// [`pkr_hash`] of every address, eight per vector pass where the CPU has
/// AVX-512 IFMA ([`sero_crypto::poseidon::hash_tagged_many`]).
pub fn pkr_hash_many(pkrs: &[&OneTimeAddress]) -> Vec<Base> {
    let rows: Vec<[Base; 6]> = pkrs.iter().map(|p| pkr_row(p)).collect();
    sero_crypto::poseidon::hash_tagged_many(tags::PKR, &rows)
}

/// `CMout` from its parts.
pub fn note_commitment(cc: &Point, pkr_hash: Base, memo_hash: Base, rsk: Base) -> Base {
    hash_tagged(tags::NOTE, &[cc.x, cc.y, pkr_hash, memo_hash, rsk])
}

/// A Baby Jubjub scalar (< ℓ < p) as a field element of the circuits.
pub fn scalar_to_base(s: &Scalar) -> Base {
    Base::from_le_bytes_mod_order(&s.into_bigint().to_bytes_le())
}

/// `Nil = H_NIL(zsk, CMauth)`.
pub fn nullifier(zsk: &Scalar, cm_auth: Base) -> Base {
    hash_tagged(tags::NIL, &[scalar_to_base(zsk), cm_auth])
}

/// `Til = H_TIL(vsk, CMauth)`.
pub fn trace_tag(vsk: &Scalar, cm_auth: Base) -> Base {
    hash_tagged(tags::TIL, &[scalar_to_base(vsk), cm_auth])
}

impl Note {
    /// The asset part `CC = value·G_cy + [ticket]·G_tk`.
    pub fn cc(&self) -> Result<Point, ZkError> {
        Ok(asset_part(&self.asset)?.into_affine())
    }

    /// The note commitment `CMout`.
    pub fn cm_out(&self) -> Result<Base, ZkError> {
        Ok(note_commitment(
            &self.cc()?,
            pkr_hash(&self.pkr),
            self.memo_hash,
            self.rsk,
        ))
    }
}
