//! The package action of a transaction (`docs/protocol.md` §17): create a
//! package, or open one. Packages themselves (contents, commitment,
//! sealing, id) are `sero_assets::package`.
//!
//! Encoding (inside a version-6 transaction, after the plain outputs):
//!
//! ```text
//! package = 0x01 ‖ C_pkg (32) ‖ u16 len ‖ ciphertext (len)   (create)
//!         | 0x02 ‖ id (32) ‖ C_pkg (32) ‖ key (32)            (open)
//! ```
//!
//! How each enters the balance signature (rule 4 of [`crate::validate`]):
//! * create: `C_pkg` on the output side (the contents leave the shielded
//!   pool, hidden), and the package ticket `(#PKG, id)` as a public value
//!   on the input side (it is minted, and the balance forces it into one
//!   of the transaction's outputs: an ordinary shielded note);
//! * open: `C_pkg` on the input side (the contents come back, exactly
//!   what was committed) and the package ticket as a public value on the
//!   output side (burnt: the balance forces an input that holds it).
//!
//! Stateful (against the parent's package table, [`PackageView`]): a
//! creation's id is new; an open names a sealed package whose stored
//! commitment is the action's `C_pkg` and whose ciphertext the revealed
//! key opens to contents that re-commit to it ([`check_historical`]).

use crate::codec::{invalid, Reader};
use crate::error::{DecodeError, TxError};
use crate::tx::Transaction;
pub use sero_assets::package::PackageRecord;
use sero_assets::package::{
    check_ciphertext_len, open, package_id, package_ticket, PackageKey, PackagePlaintext,
    SealedPackage, MAX_CIPHERTEXT,
};
use sero_assets::{Asset, AssetCommitment};
use sero_crypto::curve::encode_base;

const KIND_CREATE: u8 = 1;
const KIND_OPEN: u8 = 2;

/// A package action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PackageAction {
    /// Seal contents into a new package owned by whoever receives its
    /// ticket.
    Create(SealedPackage),
    /// Open package `id` (commitment `cm`, copied from the chain) with
    /// `key`: its contents come back into the pool.
    Open {
        id: [u8; 32],
        cm: AssetCommitment,
        key: PackageKey,
    },
}

impl PackageAction {
    /// Appends the canonical encoding.
    pub fn put(&self, out: &mut Vec<u8>) {
        match self {
            PackageAction::Create(s) => {
                out.push(KIND_CREATE);
                out.extend_from_slice(&s.cm.to_bytes());
                out.extend_from_slice(&(s.ciphertext.len() as u16).to_le_bytes());
                out.extend_from_slice(&s.ciphertext);
            }
            PackageAction::Open { id, cm, key } => {
                out.push(KIND_OPEN);
                out.extend_from_slice(id);
                out.extend_from_slice(&cm.to_bytes());
                out.extend_from_slice(&key.0);
            }
        }
    }
}

impl Reader<'_> {
    pub(crate) fn package(&mut self) -> Result<PackageAction, DecodeError> {
        match self.u8("package kind")? {
            KIND_CREATE => {
                let cm = AssetCommitment::from_bytes(self.take(32, "package commitment")?)
                    .map_err(|e| invalid("package commitment", e))?;
                let len = u16::from_le_bytes(self.array("package ciphertext length")?) as usize;
                if len > MAX_CIPHERTEXT {
                    return Err(DecodeError::TooMany {
                        what: "package ciphertext bytes",
                        got: len,
                        limit: MAX_CIPHERTEXT,
                    });
                }
                let ciphertext = self.take(len, "package ciphertext")?.to_vec();
                Ok(PackageAction::Create(SealedPackage { cm, ciphertext }))
            }
            KIND_OPEN => Ok(PackageAction::Open {
                id: self.array("package id")?,
                cm: AssetCommitment::from_bytes(self.take(32, "package commitment")?)
                    .map_err(|e| invalid("package commitment", e))?,
                key: PackageKey(self.array("package key")?),
            }),
            k => Err(invalid("package kind", format!("unknown kind {k}"))),
        }
    }
}

/// The id a creation in `tx` gets: bound to the chain, the transaction's
/// first nullifier (unique on chain), the commitment and the ciphertext.
/// `None` without inputs (such a transaction is invalid anyway).
pub fn created_id(tx: &Transaction, sealed: &SealedPackage) -> Option<[u8; 32]> {
    let first = tx.inputs.first()?;
    Some(package_id(&tx.chain_id, &encode_base(&first.nil), sealed))
}

/// What a package action adds to the balance equation (see
/// [`balance_terms`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BalanceTerms {
    /// Commitments added on the input side.
    pub inputs: Vec<AssetCommitment>,
    /// Commitments added on the output side.
    pub outputs: Vec<AssetCommitment>,
    /// Public values entering the pool (minted).
    pub public_in: Vec<Asset>,
    /// Public values leaving the pool (burnt).
    pub public_out: Vec<Asset>,
}

/// What the action adds to the balance equation.
pub fn balance_terms(tx: &Transaction, p: &PackageAction) -> Result<BalanceTerms, TxError> {
    Ok(match p {
        PackageAction::Create(s) => {
            let id = created_id(tx, s).ok_or(TxError::NoInputs)?;
            BalanceTerms {
                outputs: vec![s.cm],
                public_in: vec![Asset::ticket(package_ticket(&id))],
                ..BalanceTerms::default()
            }
        }
        PackageAction::Open { id, cm, .. } => BalanceTerms {
            inputs: vec![*cm],
            public_out: vec![Asset::ticket(package_ticket(id))],
            ..BalanceTerms::default()
        },
    })
}

/// Stage 1 (stateless): a creation's ciphertext has a valid length.
pub fn check_stateless(_tx: &Transaction, p: &PackageAction) -> Result<(), TxError> {
    if let PackageAction::Create(s) = p {
        check_ciphertext_len(s.ciphertext.len()).map_err(|e| TxError::Package(e.to_string()))?;
    }
    Ok(())
}

/// What [`check_historical`] reads: the package table after the parent
/// block (plus the block's earlier changes).
pub trait PackageView {
    /// The package `id`, if it exists (`Err`: the store failed).
    fn package(&self, id: &[u8; 32]) -> Result<Option<PackageRecord>, String>;
}

/// What an accepted package action does to the package table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PackageEffect {
    /// Store a new sealed package under `id`.
    Created { id: [u8; 32] },
    /// Mark package `id` opened; these were its contents.
    Opened {
        id: [u8; 32],
        plaintext: PackagePlaintext,
    },
}

/// Stage 2 (against the package table): a creation's id is new; an open
/// names an existing, still sealed package with the action's commitment,
/// and the key opens it (decrypts, decodes, re-commits to `C_pkg`).
pub fn check_historical(
    tx: &Transaction,
    p: &PackageAction,
    view: &impl PackageView,
) -> Result<PackageEffect, TxError> {
    let err = |m: String| TxError::Package(m);
    match p {
        PackageAction::Create(s) => {
            let id = created_id(tx, s).ok_or(TxError::NoInputs)?;
            if view.package(&id).map_err(err)?.is_some() {
                return Err(err(format!("package {} already exists", hex::encode(id))));
            }
            Ok(PackageEffect::Created { id })
        }
        PackageAction::Open { id, cm, key } => {
            let rec = view
                .package(id)
                .map_err(err)?
                .ok_or_else(|| err(format!("no package {}", hex::encode(id))))?;
            if rec.opened {
                return Err(err(format!(
                    "package {} is already opened",
                    hex::encode(id)
                )));
            }
            if rec.sealed.cm != *cm {
                return Err(err(format!(
                    "the commitment given does not match package {}",
                    hex::encode(id)
                )));
            }
            let plaintext = open(&rec.sealed, key, &tx.chain_id)
                .map_err(|e| err(format!("package {}: {e}", hex::encode(id))))?;
            Ok(PackageEffect::Opened { id: *id, plaintext })
        }
    }
}

/// `test-vectors/package.json`: a package of 500 COIN, a ticket and data
/// sealed with a fixed key and blinding, its plaintext, ciphertext, id,
/// and the create and open actions' encodings.
pub fn vectors() -> serde_json::Value {
    use sero_assets::package::{seal_with, PackageContents, PackagePlaintext};
    use sero_assets::{Category, Currency, Ticket, TicketId};
    use sero_crypto::curve::encode_scalar;
    use sero_crypto::Scalar;
    let chain_id: [u8; 32] = std::array::from_fn(|i| i as u8);
    let unique: [u8; 32] = std::array::from_fn(|i| 0x80 + i as u8);
    let key = PackageKey(std::array::from_fn(|i| 0x40 ^ i as u8));
    let blinding = Scalar::from(0x0123_4567_89ab_cdefu64);
    let contents = PackageContents {
        assets: vec![
            Asset::token(Currency::new("COIN").expect("valid"), 500),
            Asset::ticket(Ticket {
                category: Category::new("KITTY").expect("valid"),
                id: TicketId([0x11; 32]),
            }),
        ],
        data: b"sealed bid: 500 COIN".to_vec(),
    };
    let sealed = seal_with(&contents, blinding, &key, &chain_id).expect("seals");
    let plaintext = PackagePlaintext {
        contents: contents.clone(),
        blinding,
    }
    .encode();
    let id = package_id(&chain_id, &unique, &sealed);
    let mut create = vec![];
    PackageAction::Create(sealed.clone()).put(&mut create);
    let mut open_enc = vec![];
    PackageAction::Open {
        id,
        cm: sealed.cm,
        key,
    }
    .put(&mut open_enc);
    let ticket_gen = sero_assets::generators::ticket_generator(&package_ticket(&id)).expect("maps");
    serde_json::json!({
        "description": "A package (docs/protocol.md §17): C_pkg = Σ CC_asset + r·G_r; plaintext = 0x01 ‖ r (LE) ‖ u8 n ‖ n × asset ‖ u16 len ‖ data, zero-padded to a multiple of 256; ciphertext = ChaCha20-Poly1305(key, nonce = BLAKE2b-256(\"SERO_PackageNc_1\"; chain_id ‖ C_pkg)[..12], ad = \"SERO_PackageAd_1\" ‖ chain_id ‖ C_pkg); id = BLAKE2b-256(\"SERO_PackageId_1\"; chain_id ‖ unique ‖ C_pkg ‖ u32 LE len ‖ ciphertext) with unique = the creating transaction's first nullifier; the owner holds the ticket (#PKG, id). Actions: create = 0x01 ‖ C_pkg ‖ u16 len ‖ ciphertext; open = 0x02 ‖ id ‖ C_pkg ‖ key.",
        "chain_id": hex::encode(chain_id),
        "unique": hex::encode(unique),
        "key": key.to_string(),
        "blinding": hex::encode(encode_scalar(&blinding)),
        "contents": {
            "assets": contents.assets.iter().map(|a| serde_json::json!({
                "currency": a.currency.name(),
                "value": a.value.to_string(),
                "ticket": a.ticket.map(|t| format!("{}:{}", t.category, t.id)),
            })).collect::<Vec<_>>(),
            "data": String::from_utf8_lossy(&contents.data),
        },
        "commitment": hex::encode(sealed.cm.to_bytes()),
        "plaintext": hex::encode(&plaintext),
        "ciphertext": hex::encode(&sealed.ciphertext),
        "id": hex::encode(id),
        "ticket_category": hex::encode(sero_assets::PACKAGE_CATEGORY),
        "ticket_generator": hex::encode(sero_crypto::curve::encode_point(&ticket_gen)),
        "create_action": hex::encode(create),
        "open_action": hex::encode(open_enc),
    })
}
