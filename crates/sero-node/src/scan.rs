//! The output records served to wallets for scanning (stored per leaf
//! position):
//!
//! ```text
//! kind 0 (Z-output): 0 ‖ pkr (96) ‖ cm_out (32) ‖ u16 len ‖ sealed note
//! kind 1 (plain):    1 ‖ pkr (96) ‖ cm_out (32) ‖ asset ‖ memo_hash (32)
//! ```

use sero_assets::Asset;
use sero_crypto::curve::{base_from_canonical, encode_base};
use sero_crypto::Base;
use sero_keys::OneTimeAddress;
use sero_ledger::codec::{put_asset, take_asset};
use sero_ledger::tx::{PlainOutput, ZOutput};

/// One output as a wallet sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum OutputRecord {
    Shielded {
        pkr: OneTimeAddress,
        cm_out: Base,
        sealed_note: Vec<u8>,
    },
    Plain {
        pkr: OneTimeAddress,
        cm_out: Base,
        asset: Asset,
        memo_hash: Base,
    },
}

impl OutputRecord {
    pub fn shielded(o: &ZOutput) -> Self {
        OutputRecord::Shielded {
            pkr: o.pkr,
            cm_out: o.cm_out,
            sealed_note: o.sealed_note.clone(),
        }
    }

    pub fn plain(p: &PlainOutput, cm_out: Base) -> Self {
        OutputRecord::Plain {
            pkr: p.pkr,
            cm_out,
            asset: p.asset,
            memo_hash: p.memo_hash,
        }
    }

    pub fn pkr(&self) -> &OneTimeAddress {
        match self {
            OutputRecord::Shielded { pkr, .. } | OutputRecord::Plain { pkr, .. } => pkr,
        }
    }

    pub fn cm_out(&self) -> Base {
        match self {
            OutputRecord::Shielded { cm_out, .. } | OutputRecord::Plain { cm_out, .. } => *cm_out,
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![];
        match self {
            OutputRecord::Shielded {
                pkr,
                cm_out,
                sealed_note,
            } => {
                out.push(0);
                out.extend_from_slice(&pkr.to_bytes());
                out.extend_from_slice(&encode_base(cm_out));
                out.extend_from_slice(&(sealed_note.len() as u16).to_le_bytes());
                out.extend_from_slice(sealed_note);
            }
            OutputRecord::Plain {
                pkr,
                cm_out,
                asset,
                memo_hash,
            } => {
                out.push(1);
                out.extend_from_slice(&pkr.to_bytes());
                out.extend_from_slice(&encode_base(cm_out));
                put_asset(&mut out, asset);
                out.extend_from_slice(&encode_base(memo_hash));
            }
        }
        out
    }

    /// Decodes a record; `None` for malformed bytes.
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        let (&kind, rest) = b.split_first()?;
        if rest.len() < 128 {
            return None;
        }
        let pkr = OneTimeAddress::from_bytes(&rest[..96]).ok()?;
        let cm_out = base_from_canonical(rest[96..128].try_into().ok()?).ok()?;
        let rest = &rest[128..];
        match kind {
            0 => {
                let len = u16::from_le_bytes(rest.get(..2)?.try_into().ok()?) as usize;
                let sealed_note = rest.get(2..2 + len)?.to_vec();
                (rest.len() == 2 + len).then_some(OutputRecord::Shielded {
                    pkr,
                    cm_out,
                    sealed_note,
                })
            }
            1 => {
                let (asset, rest) = take_asset(rest).ok()?;
                let memo_hash = base_from_canonical(rest.try_into().ok()?).ok()?;
                Some(OutputRecord::Plain {
                    pkr,
                    cm_out,
                    asset,
                    memo_hash,
                })
            }
            _ => None,
        }
    }
}

/// The notes of `tk` among `records` (position, record): shielded outputs
/// that open and match their commitment, and plain outputs to its PKr.
pub fn find_notes(
    tk: &sero_keys::TraceKey,
    records: &[(u64, OutputRecord)],
) -> Vec<(u64, sero_zk::note::Note)> {
    let scanner = sero_keys::Scanner::new(tk);
    records
        .iter()
        .filter(|(_, r)| scanner.is_mine(r.pkr()))
        .filter_map(|(pos, r)| match r {
            OutputRecord::Shielded {
                pkr,
                cm_out,
                sealed_note,
            } => sero_ledger::note_plaintext::open_sealed(tk, pkr, cm_out, sealed_note)
                .map(|(_, n)| (*pos, n)),
            OutputRecord::Plain {
                pkr,
                asset,
                memo_hash,
                ..
            } => Some((
                *pos,
                sero_zk::note::Note {
                    asset: *asset,
                    pkr: *pkr,
                    memo_hash: *memo_hash,
                    rsk: Base::from(0u64),
                },
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sero_assets::{Category, Ticket, TicketId};
    use sero_keys::{SecretKey, Seed};

    #[test]
    fn records_roundtrip_and_reject_garbage() {
        let sk = SecretKey::from_seed(&Seed::from_bytes([4; 32]));
        let pkr = sk
            .payment_address()
            .derive_pkr_with(&sero_crypto::Scalar::from(3u64));
        let ticket = Ticket {
            category: Category::new("CARD").unwrap(),
            id: TicketId([9; 32]),
        };
        let records = [
            OutputRecord::Shielded {
                pkr,
                cm_out: Base::from(5u64),
                sealed_note: vec![1, 2, 3],
            },
            OutputRecord::Plain {
                pkr,
                cm_out: Base::from(6u64),
                asset: Asset::sero(7),
                memo_hash: Base::from(8u64),
            },
            OutputRecord::Plain {
                pkr,
                cm_out: Base::from(6u64),
                asset: Asset::ticket(ticket),
                memo_hash: Base::from(8u64),
            },
        ];
        for r in records {
            let b = r.to_bytes();
            assert_eq!(OutputRecord::from_bytes(&b), Some(r.clone()));
            for n in 0..b.len() {
                assert_eq!(OutputRecord::from_bytes(&b[..n]), None, "truncated at {n}");
            }
            let mut long = b.clone();
            long.push(0);
            assert_eq!(OutputRecord::from_bytes(&long), None);
        }
        assert_eq!(OutputRecord::from_bytes(&[2; 200]), None);
    }
}
