//! Asset commitments and the balance signature.
//!
//! `CC_asset = value·G_cy + [ticket]·G_tk` (the asset part, whitepaper
//! `CCasset`), `CM_asset = CC_asset + ar·G_r`. A transaction balances when
//! `Σ CM_in − Σ CM_out − Σ (plain outputs as value·G_cy + G_tk) − fee·G_SERO
//! = r_bal·G_r`, proven by a Schnorr signature with key `r_bal` on base
//! `G_r` over the transaction's sighash (B-Sign). Since nobody knows a
//! discrete-log relation between `G_r` and the asset generators, the
//! signature exists only when the asset parts cancel: per currency the
//! values sum to zero, and every ticket generator appears as often on each
//! side.

use crate::asset::Asset;
use crate::error::AssetError;
use crate::generators::{randomness_generator, sero_generator, ticket_generator, token_generator};
use ark_ec::CurveGroup;
use ark_ff::Zero;
use rand_core::{CryptoRng, RngCore};
use sero_crypto::curve::{decode_point, encode_point};
use sero_crypto::hash::tags;
use sero_crypto::schnorr::{self, SchnorrTags, Signature};
use sero_crypto::{Point, PointProj, Scalar};

/// BLAKE2b tags of the balance signature.
pub const BALANCE_SIG_TAGS: SchnorrTags = SchnorrTags {
    nonce: tags::BAL_SIG_NONCE,
    challenge: tags::BAL_SIG_CHALLENGE,
};

/// The asset part `value·G_cy + [ticket]·G_tk`, without randomness.
pub fn asset_part(asset: &Asset) -> Result<PointProj, AssetError> {
    let mut acc = PointProj::zero();
    if asset.value != 0 {
        acc += token_generator(&asset.currency)? * Scalar::from(asset.value);
    }
    if let Some(t) = &asset.ticket {
        acc += ticket_generator(t)?;
    }
    Ok(acc)
}

/// A Pedersen asset commitment `CM_asset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssetCommitment(pub Point);

impl AssetCommitment {
    /// `CM_asset = CC_asset + ar·G_r`.
    pub fn commit(asset: &Asset, ar: &Scalar) -> Result<Self, AssetError> {
        let cm = asset_part(asset)? + randomness_generator() * ar;
        Ok(AssetCommitment(cm.into_affine()))
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        encode_point(&self.0)
    }

    /// Decodes a commitment: canonical and in the prime-order subgroup.
    pub fn from_bytes(b: &[u8]) -> Result<Self, AssetError> {
        decode_point(b)
            .map(AssetCommitment)
            .map_err(|source| AssetError::Crypto {
                what: "asset commitment",
                source,
            })
    }
}

/// `Σ in − Σ out − Σ plain − fee·G_SERO`; equals `r_bal·G_r` exactly when
/// the transaction balances.
pub fn balance_point(
    inputs: &[AssetCommitment],
    outputs: &[AssetCommitment],
    plain_outputs: &[Asset],
    fee: u128,
) -> Result<Point, AssetError> {
    balance_point_ext(inputs, outputs, plain_outputs, &[], fee)
}

/// [`balance_point`] with public values entering the pool: `+ Σ CC(plain
/// inputs)` (a package ticket minted at creation, a package's contents'
/// commitment is passed among `inputs`).
pub fn balance_point_ext(
    inputs: &[AssetCommitment],
    outputs: &[AssetCommitment],
    plain_outputs: &[Asset],
    plain_inputs: &[Asset],
    fee: u128,
) -> Result<Point, AssetError> {
    let mut acc = PointProj::zero();
    for a in plain_inputs {
        acc += asset_part(a)?;
    }
    for c in inputs {
        acc += c.0;
    }
    for c in outputs {
        acc -= c.0;
    }
    for a in plain_outputs {
        acc -= asset_part(a)?;
    }
    acc -= sero_generator() * Scalar::from(fee);
    Ok(acc.into_affine())
}

/// The balance signature (B-Sign): Schnorr on base `G_r` with key `r_bal`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BalanceSignature(pub Signature);

impl BalanceSignature {
    /// Signs `msg` with `r_bal = Σ ar_in − Σ ar_out`.
    pub fn sign<R: RngCore + CryptoRng>(r_bal: &Scalar, msg: &[u8], rng: &mut R) -> Self {
        let mut aux = [0u8; 32];
        rng.fill_bytes(&mut aux);
        Self::sign_with_aux(r_bal, msg, &aux)
    }

    /// [`BalanceSignature::sign`] with explicit nonce randomness.
    pub fn sign_with_aux(r_bal: &Scalar, msg: &[u8], aux: &[u8; 32]) -> Self {
        let g_r = randomness_generator();
        let pk = (g_r * r_bal).into_affine();
        BalanceSignature(schnorr::sign(&BALANCE_SIG_TAGS, &g_r, r_bal, &pk, msg, aux))
    }

    /// Verifies against the transaction's balance point.
    pub fn verify(&self, balance: &Point, msg: &[u8]) -> Result<(), AssetError> {
        schnorr::verify(
            &BALANCE_SIG_TAGS,
            &randomness_generator(),
            balance,
            msg,
            &self.0,
        )
        .map_err(|_| AssetError::Unbalanced)
    }

    /// This signature as one entry of a batch verification
    /// ([`schnorr::verify_batch`]) against the balance point.
    pub fn batch_entry<'a>(&self, balance: &Point, msg: &'a [u8]) -> schnorr::BatchEntry<'a> {
        schnorr::BatchEntry {
            tags: &BALANCE_SIG_TAGS,
            base: randomness_generator(),
            pk: *balance,
            msg,
            sig: self.0,
        }
    }

    pub fn to_bytes(&self) -> [u8; 64] {
        self.0.to_bytes()
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, AssetError> {
        Signature::from_bytes(b)
            .map(BalanceSignature)
            .map_err(|source| AssetError::Crypto {
                what: "balance signature",
                source,
            })
    }
}
