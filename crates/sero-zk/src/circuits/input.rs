//! The input circuit: spending a note of the witness tree.
//!
//! Public: `anchor`, `Nil`, `Til`, `CM_asset` (x, y) with fresh randomness.
//! Private: the note (its asset part `CC`, PKr, memo hash, `rsk`), its
//! position and path, `zsk`, `vsk`, and the re-randomisation `ar`.
//!
//! Proves:
//! * `CMout = H_NOTE(CC, H_PKR(PKr), memo_hash, rsk)`,
//!   `CMauth = H_AUTH(position, CMout)` is a leaf under `anchor`;
//! * `ZPKr = zsk·BASEr` and `VPKr = vsk·ZPKr` (the spender holds the keys);
//!   `zsk` and `vsk` are canonical (< ℓ), so each note has one nullifier;
//! * `Nil = H_NIL(zsk, CMauth)`, `Til = H_TIL(vsk, CMauth)`;
//! * `CM_asset = CC + ar·G_r`.
//!
//! The circuit does not derive generators: `CC` is bound by `CMout`, which an
//! output proof (or the node, for plain outputs) checked when the note was
//! created. Likewise the PKr points are bound by `pkr_hash`, computed from a
//! PKr that was fully checked when the note was created.

use crate::gadgets::bits::{scalar_bits, witness_bits, witness_canonical_scalar, SCALAR_BITS};
use crate::gadgets::ecc::{
    enforce_point_equal, fixed_base_mul, variable_base_mul, witness_point_unchecked,
};
use crate::gadgets::merkle::root_var;
use crate::gadgets::poseidon::poseidon_tagged_var;
use crate::gadgets::{FrVar, PointVar};
use crate::note::{nullifier, trace_tag, Note};
use crate::ZkError;
use ark_ec::CurveGroup;
use ark_r1cs_std::{alloc::AllocVar, boolean::Boolean, eq::EqGadget};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use sero_assets::generators::randomness_generator;
use sero_assets::Asset;
use sero_crypto::poseidon::tags;
use sero_crypto::{Base, Point, Scalar};
use sero_tree::{cm_auth, MerklePath, DEPTH};

/// The input proof's public inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputProofPublic {
    pub anchor: Base,
    pub nil: Base,
    pub til: Base,
    pub cm_asset: Point,
}

impl InputProofPublic {
    /// Number of public field elements.
    pub const LEN: usize = 5;

    pub fn to_field_elements(&self) -> Vec<Base> {
        vec![
            self.anchor,
            self.nil,
            self.til,
            self.cm_asset.x,
            self.cm_asset.y,
        ]
    }
}

/// The input proof's private witness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputProofPrivate {
    pub note: Note,
    /// The note's asset part `CC` (computed natively from `note.asset`).
    pub cc: Point,
    pub path: MerklePath,
    pub zsk: Scalar,
    pub vsk: Scalar,
    pub ar: Scalar,
}

/// The input circuit.
#[derive(Clone)]
pub struct InputCircuit {
    pub public: InputProofPublic,
    pub private: InputProofPrivate,
    /// The bits witnessed for `zsk` and `vsk` (little-endian, 251 each):
    /// those of the canonical scalars for an honest prover. Negative tests
    /// substitute the bits of `zsk + ℓ` to show the range check bites.
    pub zsk_bits: Vec<bool>,
    pub vsk_bits: Vec<bool>,
}

impl InputCircuit {
    /// Builds the statement for spending `note` at `path` (whose root is the
    /// anchor) with keys `(zsk, vsk)` and fresh randomness `ar`.
    pub fn for_note(
        note: Note,
        path: MerklePath,
        zsk: Scalar,
        vsk: Scalar,
        ar: Scalar,
    ) -> Result<Self, ZkError> {
        let cc = note.cc()?;
        let leaf = cm_auth(path.position, note.cm_out()?);
        let cm = (cc + randomness_generator() * ar).into_affine();
        Ok(InputCircuit {
            zsk_bits: scalar_bits(&zsk),
            vsk_bits: scalar_bits(&vsk),
            public: InputProofPublic {
                anchor: path.root(leaf),
                nil: nullifier(&zsk, leaf),
                til: trace_tag(&vsk, leaf),
                cm_asset: cm,
            },
            private: InputProofPrivate {
                note,
                cc,
                path,
                zsk,
                vsk,
                ar,
            },
        })
    }

    /// A statement with fixed values, for parameter generation.
    pub fn dummy() -> Self {
        let sk = sero_keys::SecretKey::from_seed(&sero_keys::Seed::from_bytes([0; 32]));
        let pkr = sk.payment_address().derive_pkr_with(&Scalar::from(1u64));
        let note = Note {
            asset: Asset::sero(1),
            pkr,
            memo_hash: Base::from(0u64),
            rsk: Base::from(0u64),
        };
        let path = MerklePath {
            position: 0,
            siblings: [Base::from(0u64); DEPTH],
        };
        Self::for_note(note, path, sk.zsk(), sk.vsk(), Scalar::from(1u64)).expect("dummy")
    }
}

impl ConstraintSynthesizer<Base> for InputCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Base>) -> Result<(), SynthesisError> {
        let InputCircuit {
            public,
            private,
            zsk_bits,
            vsk_bits,
        } = self;
        // Public inputs, in `to_field_elements` order.
        let anchor = FrVar::new_input(cs.clone(), || Ok(public.anchor))?;
        let nil = FrVar::new_input(cs.clone(), || Ok(public.nil))?;
        let til = FrVar::new_input(cs.clone(), || Ok(public.til))?;
        let cm_x = FrVar::new_input(cs.clone(), || Ok(public.cm_asset.x))?;
        let cm_y = FrVar::new_input(cs.clone(), || Ok(public.cm_asset.y))?;

        // The note, bound by CMout.
        let note = &private.note;
        let cc = witness_point_unchecked(cs.clone(), || private.cc)?;
        let zpkr = witness_point_unchecked(cs.clone(), || note.pkr.zpkr)?;
        let vpkr = witness_point_unchecked(cs.clone(), || note.pkr.vpkr)?;
        let baser = witness_point_unchecked(cs.clone(), || note.pkr.baser)?;
        let memo = FrVar::new_witness(cs.clone(), || Ok(note.memo_hash))?;
        let rsk = FrVar::new_witness(cs.clone(), || Ok(note.rsk))?;
        let pkr_h = poseidon_tagged_var(
            tags::PKR,
            &[
                zpkr.x.clone(),
                zpkr.y.clone(),
                vpkr.x.clone(),
                vpkr.y.clone(),
                baser.x.clone(),
                baser.y.clone(),
            ],
        )?;
        let cm_out =
            poseidon_tagged_var(tags::NOTE, &[cc.x.clone(), cc.y.clone(), pkr_h, memo, rsk])?;

        // Membership: CMauth under the anchor.
        let position = private.path.position;
        let pos_bits = witness_bits(
            cs.clone(),
            || (0..DEPTH).map(|i| (position >> i) & 1 == 1).collect(),
            DEPTH,
        )?;
        let pos = Boolean::le_bits_to_fp(&pos_bits)?;
        let leaf = poseidon_tagged_var(tags::AUTH, &[pos, cm_out])?;
        let root = root_var(cs.clone(), &leaf, &pos_bits, || {
            private.path.siblings.to_vec()
        })?;
        root.enforce_equal(&anchor)?;

        // Ownership with canonical keys.
        let (zsk_bits, zsk) = witness_canonical_scalar(cs.clone(), || zsk_bits)?;
        let (vsk_bits, vsk) = witness_canonical_scalar(cs.clone(), || vsk_bits)?;
        enforce_point_equal(&variable_base_mul(&baser, &zsk_bits)?, &zpkr)?;
        enforce_point_equal(&variable_base_mul(&zpkr, &vsk_bits)?, &vpkr)?;

        // Nil and Til.
        poseidon_tagged_var(tags::NIL, &[zsk, leaf.clone()])?.enforce_equal(&nil)?;
        poseidon_tagged_var(tags::TIL, &[vsk, leaf])?.enforce_equal(&til)?;

        // Re-randomised asset commitment.
        let ar = witness_bits(cs.clone(), || scalar_bits(&private.ar), SCALAR_BITS)?;
        let cm = &cc + fixed_base_mul(&randomness_generator(), &ar)?;
        enforce_point_equal(&cm, &PointVar::new(cm_x, cm_y))
    }
}
