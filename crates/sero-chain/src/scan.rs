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

    /// The commitment `cm_out` of an encoded record, after checking every
    /// part of its layout that [`from_bytes`](Self::from_bytes) checks
    /// except that the three PKr points decode onto the curve and into its
    /// prime-order subgroup — the part that costs (≈ 90 % of decoding).
    /// For checking a received state against its leaves
    /// (`Chain::verify_state`): the leaf commits to `cm_out` only, and a
    /// wallet decodes the PKr itself when it scans.
    pub fn cm_out_of(b: &[u8]) -> Option<Base> {
        let (&kind, rest) = b.split_first()?;
        if rest.len() < 128 {
            return None;
        }
        let cm_out = base_from_canonical(rest[96..128].try_into().ok()?).ok()?;
        let rest = &rest[128..];
        match kind {
            0 => {
                let len = u16::from_le_bytes(rest.get(..2)?.try_into().ok()?) as usize;
                (rest.len() == 2 + len).then_some(cm_out)
            }
            1 => {
                let (_, rest) = take_asset(rest).ok()?;
                base_from_canonical(rest.try_into().ok()?).ok()?;
                Some(cm_out)
            }
            _ => None,
        }
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
/// Recognition runs in parallel through [`sero_keys::Scanner::scan`] (the
/// y-only ladder filter, exact check on its hits).
pub fn find_notes(
    tk: &sero_keys::TraceKey,
    records: &[(u64, OutputRecord)],
) -> Vec<(u64, sero_zk::note::Note)> {
    let scanner = sero_keys::Scanner::new(tk);
    let pkrs: Vec<OneTimeAddress> = records.iter().map(|(_, r)| *r.pkr()).collect();
    let mine = scanner.scan(&pkrs);
    records
        .iter()
        .zip(mine)
        .filter(|(_, m)| *m)
        .filter_map(|((pos, r), _)| note_of(tk, *pos, r))
        .collect()
}

/// [`find_notes`] over encoded records (position, bytes), recognising from
/// the PKr bytes before decoding anything: only the recognised records are
/// decoded (with every check of [`OutputRecord::from_bytes`]; a malformed
/// one is skipped). Returns each note with its decoded record. For
/// well-formed records the notes are those [`find_notes`] finds after
/// decoding every record, at a fraction of the cost (decoding checks three
/// points per record).
pub fn find_notes_encoded<T: AsRef<[u8]> + Sync>(
    tk: &sero_keys::TraceKey,
    records: &[(u64, T)],
) -> Vec<(u64, OutputRecord, sero_zk::note::Note)> {
    let scanner = sero_keys::Scanner::new(tk);
    let mine = scanner.scan_with(records, |(_, b)| b.as_ref().get(1..97).unwrap_or(&[]));
    records
        .iter()
        .zip(mine)
        .filter(|(_, m)| *m)
        .filter_map(|((pos, b), _)| {
            let r = OutputRecord::from_bytes(b.as_ref())?;
            let (pos, n) = note_of(tk, *pos, &r)?;
            Some((pos, r, n))
        })
        .collect()
}

/// The note of a recognised record, if it is one (a shielded output must
/// open and match its commitment).
fn note_of(
    tk: &sero_keys::TraceKey,
    pos: u64,
    r: &OutputRecord,
) -> Option<(u64, sero_zk::note::Note)> {
    match r {
        OutputRecord::Shielded {
            pkr,
            cm_out,
            sealed_note,
        } => sero_ledger::note_plaintext::open_sealed(tk, pkr, cm_out, sealed_note)
            .map(|(_, n)| (pos, n)),
        OutputRecord::Plain {
            pkr,
            asset,
            memo_hash,
            ..
        } => Some((
            pos,
            sero_zk::note::Note {
                asset: *asset,
                pkr: *pkr,
                memo_hash: *memo_hash,
                rsk: Base::from(0u64),
            },
        )),
    }
}

/// The notes of `sk` among `records`, split by whether `sk` can spend them.
/// [`find_notes`] recognises a note by `VPKr = vsk·ZPKr` (all a trace key
/// can check); spending also needs `ZPKr = zsk·BASEr`
/// ([`sero_keys::SecretKey::can_spend`]). A payer can send a note to a
/// crafted PKr that passes the first check and not the second: such a note
/// is the wallet's on paper but nobody can ever spend it, so a wallet keeps
/// it out of its balance and coin selection.
pub struct OwnNotes {
    pub spendable: Vec<(u64, sero_zk::note::Note)>,
    pub unspendable: Vec<(u64, sero_zk::note::Note)>,
}

/// [`find_notes`] with the spending key: see [`OwnNotes`].
pub fn find_own_notes(sk: &sero_keys::SecretKey, records: &[(u64, OutputRecord)]) -> OwnNotes {
    let (spendable, unspendable) = find_notes(&sk.trace_key(), records)
        .into_iter()
        .partition(|(_, n)| sk.can_spend(&n.pkr));
    OwnNotes {
        spendable,
        unspendable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sero_assets::{Category, Ticket, TicketId};
    use sero_keys::{SecretKey, Seed};

    #[test]
    fn crafted_pkr_notes_are_found_but_unspendable() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let sk = SecretKey::from_seed(&Seed::from_bytes([5; 32]));
        let pk = sk.payment_address();
        let good = pk.derive_pkr(&mut rng);
        // Recognised by the trace key (VPKr = vsk·ZPKr), but BASEr is not
        // ZPKr/zsk: the input circuit can never be satisfied.
        let r = sero_crypto::Scalar::from(11u64);
        let crafted = OneTimeAddress {
            zpkr: sero_crypto::curve::mul(&pk.zpk, &r),
            vpkr: sero_crypto::curve::mul(&pk.vpk, &r),
            baser: sero_crypto::curve::mul(
                &sero_crypto::curve::generator(),
                &sero_crypto::Scalar::from(12u64),
            ),
        };
        let shielded = |pkr: OneTimeAddress, v: u128, rng: &mut rand_chacha::ChaCha20Rng| {
            let pt = sero_ledger::note_plaintext::NotePlaintext {
                asset: Asset::sero(v),
                rsk: Base::from(77u64),
                memo: b"hi".to_vec(),
            };
            let cm_out = pt.note(pkr).cm_out().unwrap();
            OutputRecord::Shielded {
                pkr,
                cm_out,
                sealed_note: pt.seal(&pkr, &cm_out, rng),
            }
        };
        let plain = |pkr: OneTimeAddress, v: u128| OutputRecord::Plain {
            pkr,
            cm_out: Base::from(1u64),
            asset: Asset::sero(v),
            memo_hash: Base::from(2u64),
        };
        let records = vec![
            (0, shielded(good, 10, &mut rng)),
            (1, shielded(crafted, 20, &mut rng)),
            (2, plain(good, 30)),
            (3, plain(crafted, 40)),
        ];
        // The trace key alone counts all four (what a wallet did before).
        assert_eq!(find_notes(&sk.trace_key(), &records).len(), 4);
        // The encoded path finds the same notes among foreign and broken
        // records, in every SIMD lane position.
        let stranger = SecretKey::from_seed(&Seed::from_bytes([6; 32])).payment_address();
        let mut all = vec![];
        for i in 0..21u64 {
            if i % 5 == 2 {
                let (p, r) = &records[(i as usize / 5) % 4];
                all.push((i * 100 + p, r.clone()));
            } else {
                all.push((i * 100, plain(stranger.derive_pkr(&mut rng), 1)));
            }
        }
        let mut encoded: Vec<(u64, Vec<u8>)> =
            all.iter().map(|(p, r)| (*p, r.to_bytes())).collect();
        let want = find_notes(&sk.trace_key(), &all);
        assert_eq!(want.len(), 4);
        let got = find_notes_encoded(&sk.trace_key(), &encoded);
        assert_eq!(
            got.iter().map(|(p, _, n)| (*p, *n)).collect::<Vec<_>>(),
            want
        );
        for (p, r, _) in &got {
            assert_eq!(Some(r), all.iter().find(|(q, _)| q == p).map(|(_, r)| r));
        }
        // Broken records (truncated, bad kind, bad PKr bits) are skipped.
        encoded[2].1.truncate(60);
        encoded[7].1[0] = 9;
        encoded[12].1[32] |= 0x40;
        encoded.push((5, vec![]));
        let got = find_notes_encoded(&sk.trace_key(), &encoded);
        assert_eq!(
            got.iter().map(|(p, _, _)| *p).collect::<Vec<_>>(),
            vec![1703]
        );
        let own = find_own_notes(&sk, &records);
        let pos = |v: &[(u64, sero_zk::note::Note)]| v.iter().map(|(p, _)| *p).collect::<Vec<_>>();
        assert_eq!(pos(&own.spendable), vec![0, 2]);
        assert_eq!(pos(&own.unspendable), vec![1, 3]);
    }

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
