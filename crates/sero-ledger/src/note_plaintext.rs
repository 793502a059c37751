//! The plaintext a Z-output seals to its recipient:
//! `asset ‖ rsk (32) ‖ u16 memo_len ‖ memo ‖ zero padding`, padded to
//! [`PLAINTEXT_LEN`] bytes whatever the asset (with or without a ticket) and
//! the memo, so every sealed note is exactly [`SEALED_NOTE_LEN`] bytes and
//! its length tells an observer nothing (change and payment look alike).
//! It is sealed to the output's PKr (`sero_keys::seal`) with the output's
//! `CMout` as associated data, so a ciphertext cannot be moved to another
//! output. `memo_hash = BLAKE2b-512("SERO_MemoHash_v1"; memo) mod p`.

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

/// Longest memo (as Zcash's 512-byte memo field).
pub const MAX_MEMO: usize = 512;

/// The longest asset encoding: currency, value, flag, ticket.
const MAX_ASSET_LEN: usize = 32 + 16 + 1 + 64;

/// Every plaintext is padded to this length (659 bytes): the longest asset,
/// `rsk`, the memo length and the longest memo.
pub const PLAINTEXT_LEN: usize = MAX_ASSET_LEN + 32 + 2 + MAX_MEMO;

/// The length of every sealed note a wallet makes (707 bytes).
pub const SEALED_NOTE_LEN: usize = PLAINTEXT_LEN + SEAL_OVERHEAD;

const _: () = assert!(SEALED_NOTE_LEN <= MAX_SEALED_NOTE);

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
    /// The encoding, zero-padded to [`PLAINTEXT_LEN`] (longer only for a
    /// memo over [`MAX_MEMO`], which the builder refuses and the decoder
    /// rejects).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PLAINTEXT_LEN);
        put_asset(&mut out, &self.asset);
        out.extend_from_slice(&encode_base(&self.rsk));
        out.extend_from_slice(&(self.memo.len() as u16).to_le_bytes());
        out.extend_from_slice(&self.memo);
        if out.len() < PLAINTEXT_LEN {
            out.resize(PLAINTEXT_LEN, 0);
        }
        out
    }

    /// Decodes `asset ‖ rsk ‖ u16 memo_len ‖ memo` followed by zero bytes
    /// (the padding; any number, none included); a memo over [`MAX_MEMO`]
    /// or a non-zero byte after the memo is an error.
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
        let mut head = vec![];
        put_asset(&mut head, &asset);
        let used = head.len() + 32 + 2 + len;
        if b[used..].iter().any(|&x| x != 0) {
            return Err(invalid("padding", "a non-zero byte after the memo"));
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use sero_assets::{Category, Ticket, TicketId};

    fn pt(ticket: bool, memo: usize) -> NotePlaintext {
        let mut asset = Asset::sero(5);
        if ticket {
            asset.ticket = Some(Ticket {
                category: Category::new("CARD").unwrap(),
                id: TicketId([7; 32]),
            });
        }
        NotePlaintext {
            asset,
            rsk: Base::from(9u64),
            memo: vec![0xab; memo],
        }
    }

    #[test]
    fn every_plaintext_has_one_length() {
        assert_eq!((PLAINTEXT_LEN, SEALED_NOTE_LEN), (659, 707));
        for (ticket, memo) in [(false, 0), (false, 6), (true, 0), (true, MAX_MEMO)] {
            let p = pt(ticket, memo);
            let b = p.encode();
            assert_eq!(b.len(), PLAINTEXT_LEN);
            assert_eq!(NotePlaintext::decode(&b).unwrap(), p);
        }
    }

    #[test]
    fn padding_must_be_zero_and_memo_bounded() {
        let p = pt(false, 3);
        let mut b = p.encode();
        // Unpadded (and shorter padding) decodes: padding is any zero run.
        let used = 49 + 32 + 2 + 3;
        assert_eq!(NotePlaintext::decode(&b[..used]).unwrap(), p);
        assert_eq!(NotePlaintext::decode(&b[..used + 10]).unwrap(), p);
        *b.last_mut().unwrap() = 1;
        assert!(NotePlaintext::decode(&b).is_err());
        let mut long = pt(false, MAX_MEMO + 1).encode();
        assert!(NotePlaintext::decode(&long).is_err());
        long.truncate(used);
        assert!(NotePlaintext::decode(&long).is_err());
    }
}
