//! The plaintext a Z-output seals to its recipient:
//! `asset ‖ rsk (32) ‖ u16 memo_len ‖ memo`, sealed to the output's PKr
//! (`sero_keys::seal`) with the output's `CMout` as associated data, so a
//! ciphertext cannot be moved to another output.
//! `memo_hash = BLAKE2b-512("SERO_MemoHash_v1"; memo) mod p`.

use crate::codec::{invalid, put_asset, Reader};
use crate::error::DecodeError;
use crate::tx::{ZOutput, MAX_SEALED_NOTE};
use ark_ff::PrimeField;
use rand_core::{CryptoRng, RngCore};
use sero_assets::Asset;
use sero_crypto::curve::encode_base;
use sero_crypto::hash::{hash512, tags};
use sero_crypto::Base;
use sero_keys::{OneTimeAddress, TraceKey, SEAL_OVERHEAD};
use sero_zk::note::Note;

/// Longest memo that fits a sealed note.
pub const MAX_MEMO: usize = MAX_SEALED_NOTE - SEAL_OVERHEAD - (32 + 16 + 1 + 64) - 32 - 2;

/// The memo hash committed in a note.
pub fn memo_hash(memo: &[u8]) -> Base {
    Base::from_le_bytes_mod_order(&hash512(tags::MEMO_HASH, &[memo]))
}

/// The recipient's view of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotePlaintext {
    pub asset: Asset,
    pub rsk: Base,
    pub memo: Vec<u8>,
}

impl NotePlaintext {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + self.memo.len());
        put_asset(&mut out, &self.asset);
        out.extend_from_slice(&encode_base(&self.rsk));
        out.extend_from_slice(&(self.memo.len() as u16).to_le_bytes());
        out.extend_from_slice(&self.memo);
        out
    }

    pub fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(b);
        let asset = r.asset()?;
        let rsk = r.base("rsk")?;
        let len =
            u16::from_le_bytes(r.take(2, "memo length")?.try_into().expect("2 bytes")) as usize;
        if len > MAX_MEMO {
            return Err(invalid("memo", format!("{len} bytes exceeds {MAX_MEMO}")));
        }
        let memo = r.take(len, "memo")?.to_vec();
        r.finish()?;
        Ok(NotePlaintext { asset, rsk, memo })
    }

    /// The note this plaintext describes for `pkr`.
    pub fn note(&self, pkr: OneTimeAddress) -> Note {
        Note {
            asset: self.asset,
            pkr,
            memo_hash: memo_hash(&self.memo),
            rsk: self.rsk,
        }
    }

    /// Seals to `pkr`, bound to `cm_out`.
    pub fn seal<R: RngCore + CryptoRng>(
        &self,
        pkr: &OneTimeAddress,
        cm_out: &Base,
        rng: &mut R,
    ) -> Vec<u8> {
        sero_keys::seal(pkr, &self.encode(), &encode_base(cm_out), rng)
    }
}

/// Opens a Z-output with a trace key: decrypts, decodes, and checks that the
/// note it describes has the output's `CMout` (a sender cannot give the
/// recipient a note that differs from the one on chain).
pub fn open_output(tk: &TraceKey, out: &ZOutput) -> Option<(NotePlaintext, Note)> {
    open_sealed(tk, &out.pkr, &out.cm_out, &out.sealed_note)
}

/// [`open_output`] from the output's parts.
pub fn open_sealed(
    tk: &TraceKey,
    pkr: &OneTimeAddress,
    cm_out: &Base,
    sealed: &[u8],
) -> Option<(NotePlaintext, Note)> {
    let bytes = sero_keys::open(tk, sealed, &encode_base(cm_out)).ok()?;
    let pt = NotePlaintext::decode(&bytes).ok()?;
    let note = pt.note(*pkr);
    (note.cm_out().ok()? == *cm_out).then_some((pt, note))
}
