//! The output circuit: a new note's asset commitment and note commitment
//! agree on one asset.
//!
//! Public: `CM_asset` (x, y), `CMout`, `pkr_hash` (of the PKr published
//! with the output; validators compute it from the decoded PKr).
//! Private: the asset (currency, value, optional ticket), `ar`, `memo_hash`,
//! `rsk`.
//!
//! Proves:
//! * `G_cy = H2C(token; currency)` and `G_tk = H2C(ticket; category, id)`
//!   derived in-circuit — no freely witnessed generator;
//! * `value` is 128 bits (so `value < 2^128`);
//! * `CC = value·G_cy + [ticket]·G_tk`, `CM_asset = CC + ar·G_r`;
//! * `CMout = H_NOTE(CC.x, CC.y, pkr_hash, memo_hash, rsk)`.

use super::{asset_fields, value_bits};
use crate::gadgets::bits::{scalar_bits, witness_bits, SCALAR_BITS};
use crate::gadgets::ecc::{enforce_point_equal, fixed_base_mul, variable_base_mul_unsigned};
use crate::gadgets::h2c::{h2c_var, H2cHint};
use crate::gadgets::poseidon::poseidon_tagged_var;
use crate::gadgets::{FrVar, PointVar};
use crate::note::{note_commitment, pkr_hash};
use crate::ZkError;
use ark_ec::CurveGroup;
use ark_r1cs_std::{alloc::AllocVar, boolean::Boolean, eq::EqGadget, groups::CurveVar};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use sero_assets::generators::randomness_generator;
use sero_assets::{Asset, AssetCommitment};
use sero_crypto::poseidon::tags;
use sero_crypto::{Base, Point, Scalar};
use sero_keys::OneTimeAddress;

/// The output proof's public inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputProofPublic {
    pub cm_asset: Point,
    pub cm_out: Base,
    pub pkr_hash: Base,
}

impl OutputProofPublic {
    /// Number of public field elements.
    pub const LEN: usize = 4;

    pub fn to_field_elements(&self) -> Vec<Base> {
        vec![self.cm_asset.x, self.cm_asset.y, self.cm_out, self.pkr_hash]
    }
}

/// The output proof's private witness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputProofPrivate {
    pub asset: Asset,
    pub ar: Scalar,
    pub memo_hash: Base,
    pub rsk: Base,
}

/// Cheating hooks for negative tests: functions from Poseidon outputs to
/// hash-to-curve hints. Honest provers use [`H2cHint::honest`].
pub type HintOverride = fn(Base) -> Result<H2cHint, SynthesisError>;

/// The output circuit.
#[derive(Clone)]
pub struct OutputCircuit {
    pub public: OutputProofPublic,
    pub private: OutputProofPrivate,
    /// Hints for the token and ticket generators.
    pub token_hint: HintOverride,
    pub ticket_hint: HintOverride,
}

impl OutputCircuit {
    pub fn new(public: OutputProofPublic, private: OutputProofPrivate) -> Self {
        OutputCircuit {
            public,
            private,
            token_hint: H2cHint::honest,
            ticket_hint: H2cHint::honest,
        }
    }

    /// Builds the statement for a note sent to `pkr`: computes `CM_asset`,
    /// `CMout` and `pkr_hash` natively.
    pub fn for_note(
        asset: Asset,
        pkr: &OneTimeAddress,
        ar: Scalar,
        memo_hash: Base,
        rsk: Base,
    ) -> Result<Self, ZkError> {
        let cm = AssetCommitment::commit(&asset, &ar)?;
        let cc = sero_assets::asset_part(&asset)?.into_affine();
        let ph = pkr_hash(pkr);
        Ok(Self::new(
            OutputProofPublic {
                cm_asset: cm.0,
                cm_out: note_commitment(&cc, ph, memo_hash, rsk),
                pkr_hash: ph,
            },
            OutputProofPrivate {
                asset,
                ar,
                memo_hash,
                rsk,
            },
        ))
    }

    /// A statement with fixed values, for parameter generation.
    pub fn dummy() -> Self {
        let sk = sero_keys::SecretKey::from_seed(&sero_keys::Seed::from_bytes([0; 32]));
        let pkr = sk.payment_address().derive_pkr_with(&Scalar::from(1u64));
        Self::for_note(
            Asset::sero(1),
            &pkr,
            Scalar::from(1u64),
            Base::from(0u64),
            Base::from(0u64),
        )
        .expect("dummy statement")
    }
}

impl ConstraintSynthesizer<Base> for OutputCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Base>) -> Result<(), SynthesisError> {
        let OutputCircuit {
            public,
            private,
            token_hint,
            ticket_hint,
        } = self;
        // Public inputs, in `to_field_elements` order.
        let cm_x = FrVar::new_input(cs.clone(), || Ok(public.cm_asset.x))?;
        let cm_y = FrVar::new_input(cs.clone(), || Ok(public.cm_asset.y))?;
        let cm_out = FrVar::new_input(cs.clone(), || Ok(public.cm_out))?;
        let pkr_h = FrVar::new_input(cs.clone(), || Ok(public.pkr_hash))?;

        // Private witness.
        let (cur, has_ticket, ticket) = asset_fields(&private.asset);
        let cur: Vec<FrVar> = cur
            .iter()
            .map(|f| FrVar::new_witness(cs.clone(), || Ok(*f)))
            .collect::<Result<_, _>>()?;
        let ticket: Vec<FrVar> = ticket
            .iter()
            .map(|f| FrVar::new_witness(cs.clone(), || Ok(*f)))
            .collect::<Result<_, _>>()?;
        let has_ticket = Boolean::new_witness(cs.clone(), || Ok(has_ticket))?;
        let value = witness_bits(cs.clone(), || value_bits(private.asset.value), 128)?;
        let ar = witness_bits(cs.clone(), || scalar_bits(&private.ar), SCALAR_BITS)?;
        let memo = FrVar::new_witness(cs.clone(), || Ok(private.memo_hash))?;
        let rsk = FrVar::new_witness(cs.clone(), || Ok(private.rsk))?;

        // Generators from identifiers.
        let g_cy = h2c_var(tags::H2C_TOKEN, &cur, &token_hint)?;
        let g_tk = h2c_var(tags::H2C_TICKET, &ticket, &ticket_hint)?;

        // CC = value·G_cy + [ticket]·G_tk ; CM = CC + ar·G_r
        // Unsigned windows: cheaper to prove for a value with leading zeros.
        let vg = variable_base_mul_unsigned(&g_cy, &value)?;
        let tk = has_ticket.select(&g_tk, &PointVar::zero())?;
        let cc = vg + tk;
        let cm = &cc + fixed_base_mul(&randomness_generator(), &ar)?;
        enforce_point_equal(&cm, &PointVar::new(cm_x, cm_y))?;

        // CMout
        let note =
            poseidon_tagged_var(tags::NOTE, &[cc.x.clone(), cc.y.clone(), pkr_h, memo, rsk])?;
        note.enforce_equal(&cm_out)
    }
}
