//! Canonical binary encoding (little-endian integers; see
//! `docs/protocol.md` §8):
//!
//! ```text
//! tx      = version u8 (3 | 4 | 5 | 6) ‖ chain_id (32) ‖ fee u128 ‖ from PKr (96)
//!           ‖ u16 n ‖ n × input ‖ u16 m ‖ m × output ‖ u16 k ‖ k × plain
//!           ‖ [stake, version 4 only] ‖ [contract, version 5 only]
//!           ‖ [package, version 6 only]
//!           ‖ balance_sig (64) ‖ from_sig (64)
//! stake   = 0x01 ‖ vote_key (32) ‖ vrf_key (32) ‖ amount u128   (register)
//!         | 0x02 ‖ vote_key (32)                                 (unbond)
//! input   = anchor (32) ‖ nil (32) ‖ til (32) ‖ cm_asset (32) ‖ proof (128)
//! output  = cm_asset (32) ‖ cm_out (32) ‖ pkr (96) ‖ u16 len ‖ sealed (len) ‖ proof (128)
//! plain   = pkr (96) ‖ asset ‖ memo_hash (32)
//! asset   = currency (32) ‖ value u128 ‖ u8 has_ticket (0|1) ‖ [category (32) ‖ id (32)]
//! ```
//! Version 3 has no action, version 4 exactly one stake action and
//! version 5 exactly one contract action (`crate::contract`), version 6
//! exactly one package action (`crate::package`); no version carries two. Versions 1
//! and 2 (the same layouts without the chain id) are rejected: they could be
//! replayed across networks. `chain_id` is the hash of the network's genesis
//! block. The effects (hashed into the
//! txid) are the same bytes without the proofs and the two signatures. Decoding rejects anything that does not
//! re-encode to the same bytes: trailing data, counts over the limits,
//! non-canonical field elements, invalid points, names and flags.

use crate::error::DecodeError;
use crate::tx::*;
use ark_bn254::G2Affine;
use sero_assets::{Asset, AssetCommitment, BalanceSignature, Category, Currency, Ticket, TicketId};
use sero_crypto::curve::{base_from_canonical, encode_base};
use sero_crypto::Base;
use sero_keys::{OneTimeAddress, PkrSignature};
use sero_zk::ZkProof;

const VERSION: u8 = 3;
/// Version of a transaction carrying a stake action.
const VERSION_STAKE: u8 = 4;
/// Version of a transaction carrying a contract action.
const VERSION_CONTRACT: u8 = 5;
/// Version of a transaction carrying a package action.
const VERSION_PACKAGE: u8 = 6;
/// The versions before the chain id (no longer accepted).
const LEGACY_VERSIONS: [u8; 2] = [1, 2];
const STAKE_REGISTER: u8 = 1;
const STAKE_UNBOND: u8 = 2;
/// A registration with a proof of possession (`… ‖ vote_sig(64) ‖ vrf_proof(80)`).
const STAKE_REGISTER_POP: u8 = 3;

fn put_base(out: &mut Vec<u8>, f: &Base) {
    out.extend_from_slice(&encode_base(f));
}

/// Appends an asset's encoding (`currency ‖ value ‖ flag ‖ [category ‖ id]`).
pub fn put_asset(out: &mut Vec<u8>, a: &Asset) {
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

fn encode_inner(tx: &Transaction, with_proofs_and_sigs: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    out.push(if tx.stake.is_some() {
        VERSION_STAKE
    } else if tx.contract.is_some() {
        VERSION_CONTRACT
    } else if tx.package.is_some() {
        VERSION_PACKAGE
    } else {
        VERSION
    });
    out.extend_from_slice(&tx.chain_id);
    out.extend_from_slice(&tx.fee.to_le_bytes());
    out.extend_from_slice(&tx.from.to_bytes());
    out.extend_from_slice(&(tx.inputs.len() as u16).to_le_bytes());
    for i in &tx.inputs {
        put_base(&mut out, &i.anchor);
        put_base(&mut out, &i.nil);
        put_base(&mut out, &i.til);
        out.extend_from_slice(&i.cm_asset.to_bytes());
        if with_proofs_and_sigs {
            out.extend_from_slice(&i.proof.to_bytes());
        }
    }
    out.extend_from_slice(&(tx.outputs.len() as u16).to_le_bytes());
    for o in &tx.outputs {
        out.extend_from_slice(&o.cm_asset.to_bytes());
        put_base(&mut out, &o.cm_out);
        out.extend_from_slice(&o.pkr.to_bytes());
        out.extend_from_slice(&(o.sealed_note.len() as u16).to_le_bytes());
        out.extend_from_slice(&o.sealed_note);
        if with_proofs_and_sigs {
            out.extend_from_slice(&o.proof.to_bytes());
        }
    }
    out.extend_from_slice(&(tx.plain_outputs.len() as u16).to_le_bytes());
    for p in &tx.plain_outputs {
        put_plain_output(&mut out, p);
    }
    if let Some(s) = &tx.stake {
        put_stake(&mut out, s);
    } else if let Some(c) = &tx.contract {
        c.put(&mut out);
    } else if let Some(p) = &tx.package {
        p.put(&mut out);
    }
    if with_proofs_and_sigs {
        out.extend_from_slice(&tx.balance_sig.to_bytes());
        out.extend_from_slice(&tx.from_sig.to_bytes());
    }
    out
}

/// Appends a stake action's encoding.
pub fn put_stake(out: &mut Vec<u8>, s: &StakeAction) {
    match s {
        StakeAction::Register {
            vote_key,
            vrf_key,
            amount,
            pop,
        } => {
            out.push(if pop.is_some() {
                STAKE_REGISTER_POP
            } else {
                STAKE_REGISTER
            });
            out.extend_from_slice(vote_key);
            out.extend_from_slice(vrf_key);
            out.extend_from_slice(&amount.to_le_bytes());
            if let Some(p) = pop {
                out.extend_from_slice(&p.to_bytes());
            }
        }
        StakeAction::Unbond { vote_key } => {
            out.push(STAKE_UNBOND);
            out.extend_from_slice(vote_key);
        }
    }
}

/// The full encoding.
pub fn encode(tx: &Transaction) -> Vec<u8> {
    encode_inner(tx, true)
}

/// The effects: the encoding without proofs and signatures.
pub fn encode_effects(tx: &Transaction) -> Vec<u8> {
    encode_inner(tx, false)
}

/// A cursor over untrusted bytes; every read is bounds-checked.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    /// The `B` points of the proofs read so far, whose G2 membership is
    /// checked together (eight per vector pass) by [`Reader::finish`], or
    /// handed to the caller by [`Reader::finish_deferred`].
    pending_g2: Vec<PendingG2>,
    /// Proofs decoded ahead, together ([`decode_deferred`]): the encoding's
    /// address and length in the buffer, and the result
    /// [`ZkProof::from_bytes_deferred`] gives for it.
    proofs_ahead: Vec<(usize, Option<Result<ZkProof, sero_zk::ZkError>>)>,
}

/// A proof's `B` awaiting its G2 membership check, and the field it came
/// from (for the error).
pub(crate) type PendingG2 = (G2Affine, &'static str);

/// Checks the pending points; the first outside G2 is the error.
pub(crate) fn check_pending_g2(pending: &[PendingG2]) -> Result<(), DecodeError> {
    if pending.is_empty() {
        return Ok(());
    }
    let points: Vec<G2Affine> = pending.iter().map(|(p, _)| *p).collect();
    match sero_zk::g2::all_in_g2(&points).iter().position(|ok| !ok) {
        Some(i) => Err(invalid(pending[i].1, ZkProof::not_in_subgroup())),
        None => Ok(()),
    }
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader {
            buf,
            pending_g2: Vec::new(),
            proofs_ahead: Vec::new(),
        }
    }

    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        if self.buf.len() < n {
            return Err(DecodeError::Truncated(what));
        }
        let (a, b) = self.buf.split_at(n);
        self.buf = b;
        Ok(a)
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<[u8; N], DecodeError> {
        Ok(self.take(N, what)?.try_into().expect("length checked"))
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    pub(crate) fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    pub(crate) fn u128(&mut self, what: &'static str) -> Result<u128, DecodeError> {
        Ok(u128::from_le_bytes(self.array(what)?))
    }

    pub(crate) fn base(&mut self, what: &'static str) -> Result<Base, DecodeError> {
        let b: [u8; 32] = self.array(what)?;
        base_from_canonical(&b).map_err(|e| invalid(what, e))
    }

    fn count(&mut self, what: &'static str, limit: usize) -> Result<usize, DecodeError> {
        let n = self.u16(what)? as usize;
        if n > limit {
            return Err(DecodeError::TooMany {
                what,
                got: n,
                limit,
            });
        }
        Ok(n)
    }

    fn pkr(&mut self, what: &'static str) -> Result<OneTimeAddress, DecodeError> {
        OneTimeAddress::from_bytes(self.take(96, what)?).map_err(|e| invalid(what, e))
    }

    fn commitment(&mut self, what: &'static str) -> Result<AssetCommitment, DecodeError> {
        AssetCommitment::from_bytes(self.take(32, what)?).map_err(|e| invalid(what, e))
    }

    fn proof(&mut self, what: &'static str) -> Result<ZkProof, DecodeError> {
        let bytes = self.take(ZkProof::LEN, what)?;
        // Decoded ahead (the same bytes at the same place), else now.
        let ahead = self
            .proofs_ahead
            .iter_mut()
            .find(|(at, _)| *at == bytes.as_ptr() as usize)
            .and_then(|(_, r)| r.take());
        let p = ahead
            .unwrap_or_else(|| ZkProof::from_bytes_deferred(bytes))
            .map_err(|e| invalid(what, e))?;
        self.pending_g2.push((p.0.b, what));
        Ok(p)
    }

    pub(crate) fn asset(&mut self) -> Result<Asset, DecodeError> {
        let currency =
            Currency::from_bytes(&self.array("currency")?).map_err(|e| invalid("currency", e))?;
        let value = self.u128("value")?;
        let ticket = match self.u8("ticket flag")? {
            0 => None,
            1 => Some(Ticket {
                category: Category::from_bytes(&self.array("ticket category")?)
                    .map_err(|e| invalid("ticket category", e))?,
                id: TicketId(self.array("ticket id")?),
            }),
            f => return Err(invalid("ticket flag", format!("{f} is neither 0 nor 1"))),
        };
        Ok(Asset {
            currency,
            value,
            ticket,
        })
    }

    /// No bytes left, and every proof's `B` in G2.
    pub(crate) fn finish(self) -> Result<(), DecodeError> {
        let pending = self.finish_deferred()?;
        check_pending_g2(&pending)
    }

    /// No bytes left; the proofs' `B` points, which the caller must check
    /// with [`check_pending_g2`] before the decoded value is used.
    pub(crate) fn finish_deferred(self) -> Result<Vec<PendingG2>, DecodeError> {
        if self.buf.is_empty() {
            Ok(self.pending_g2)
        } else {
            Err(DecodeError::TrailingBytes(self.buf.len()))
        }
    }
}

pub(crate) fn invalid(what: &'static str, e: impl std::fmt::Display) -> DecodeError {
    DecodeError::Invalid {
        what,
        reason: e.to_string(),
    }
}

/// Decodes an asset at the start of `b`; returns it and the rest.
pub fn take_asset(b: &[u8]) -> Result<(Asset, &[u8]), DecodeError> {
    let mut r = Reader::new(b);
    let a = r.asset()?;
    Ok((a, r.buf))
}

/// Appends a plain output's encoding (`pkr ‖ asset ‖ memo_hash`).
pub fn put_plain_output(out: &mut Vec<u8>, p: &PlainOutput) {
    out.extend_from_slice(&p.pkr.to_bytes());
    put_asset(out, &p.asset);
    put_base(out, &p.memo_hash);
}

impl Reader<'_> {
    pub(crate) fn stake(&mut self) -> Result<StakeAction, DecodeError> {
        match self.u8("stake kind")? {
            k @ (STAKE_REGISTER | STAKE_REGISTER_POP) => Ok(StakeAction::Register {
                vote_key: self.array("vote key")?,
                vrf_key: self.array("VRF key")?,
                amount: self.u128("stake amount")?,
                pop: if k == STAKE_REGISTER_POP {
                    Some(sero_consensus::pop::ProofOfPossession::from_bytes(
                        &self.array("proof of possession")?,
                    ))
                } else {
                    None
                },
            }),
            STAKE_UNBOND => Ok(StakeAction::Unbond {
                vote_key: self.array("vote key")?,
            }),
            k => Err(invalid("stake kind", format!("unknown kind {k}"))),
        }
    }

    pub(crate) fn plain_output(&mut self, what: &'static str) -> Result<PlainOutput, DecodeError> {
        Ok(PlainOutput {
            pkr: self.pkr(what)?,
            asset: self.asset()?,
            memo_hash: self.base("memo hash")?,
        })
    }
}

/// Decodes a transaction from untrusted bytes.
pub fn decode(bytes: &[u8]) -> Result<Transaction, DecodeError> {
    let (tx, pending) = decode_deferred(bytes)?;
    check_pending_g2(&pending)?;
    Ok(tx)
}

/// [`decode`] without the G2 membership check of the proofs' `B` points,
/// which are returned for the caller to check with [`check_pending_g2`]
/// (a block checks all its transactions' points together).
pub(crate) fn decode_deferred(bytes: &[u8]) -> Result<(Transaction, Vec<PendingG2>), DecodeError> {
    if bytes.len() > MAX_TX_BYTES {
        return Err(DecodeError::TooLarge(bytes.len(), MAX_TX_BYTES));
    }
    // The points and proofs are decoded ahead, all of a kind together (so
    // that the vector lanes fill), then the transaction is parsed as ever,
    // its decoders finding those results: the same results, the same
    // checks in the same order, the same first error.
    let (points, proofs) = layout_hint(bytes);
    let proofs_ahead = proofs
        .iter()
        .map(|p| p.as_ptr() as usize)
        .zip(
            ZkProof::many_from_bytes_deferred(&proofs)
                .into_iter()
                .map(Some),
        )
        .collect();
    sero_crypto::curve::with_decoded_ahead(&points, || parse(bytes, proofs_ahead))
}

/// Where a transaction's Baby Jubjub points (`from`, the input and output
/// commitments, the output PKrs, the two signatures' `R`) and its proofs
/// lie, by a walk of the layout that stops at the first thing out of
/// place. Only a hint for decoding ahead: [`parse`] reads every field
/// itself, and a point or proof not found here is decoded when read.
fn layout_hint(b: &[u8]) -> (Vec<&[u8]>, Vec<&[u8]>) {
    let (mut points, mut proofs) = (vec![], vec![]);
    let n = b.len();
    let known = b
        .first()
        .is_some_and(|v| [VERSION, VERSION_STAKE, VERSION_CONTRACT, VERSION_PACKAGE].contains(v));
    if !known || n < 1 + 32 + 16 + 96 + 2 + 128 {
        return (points, proofs);
    }
    // The signatures close every version: R ‖ s, balance then from.
    points.push(&b[n - 128..n - 96]);
    points.push(&b[n - 64..n - 32]);
    let body = &b[..n - 128];
    let mut at = 1 + 32 + 16;
    let get = |at: usize, len: usize| body.get(at..at.checked_add(len)?);
    let count = |at: usize| get(at, 2).map(|c| u16::from_le_bytes([c[0], c[1]]) as usize);
    let Some(from) = get(at, 96) else {
        return (points, proofs);
    };
    points.extend(from.chunks(32));
    at += 96;
    let Some(inputs) = count(at).filter(|k| *k <= MAX_INPUTS) else {
        return (points, proofs);
    };
    at += 2;
    for _ in 0..inputs {
        // anchor, nullifier, trace tag, commitment, proof
        let (Some(cm), Some(proof)) = (get(at + 96, 32), get(at + 128, ZkProof::LEN)) else {
            return (points, proofs);
        };
        points.push(cm);
        proofs.push(proof);
        at += 128 + ZkProof::LEN;
    }
    let Some(outputs) = count(at).filter(|k| *k <= MAX_OUTPUTS) else {
        return (points, proofs);
    };
    at += 2;
    for _ in 0..outputs {
        // commitment, note commitment, PKr, sealed note (counted), proof
        let (Some(cm), Some(pkr), Some(sealed)) = (get(at, 32), get(at + 64, 96), count(at + 160))
        else {
            return (points, proofs);
        };
        at += 162 + sealed;
        let Some(proof) = get(at, ZkProof::LEN) else {
            return (points, proofs);
        };
        points.push(cm);
        points.extend(pkr.chunks(32));
        proofs.push(proof);
        at += ZkProof::LEN;
    }
    (points, proofs)
}

/// The parse of [`decode_deferred`], with the proofs decoded ahead.
fn parse(
    bytes: &[u8],
    proofs_ahead: Vec<(usize, Option<Result<ZkProof, sero_zk::ZkError>>)>,
) -> Result<(Transaction, Vec<PendingG2>), DecodeError> {
    let mut r = Reader::new(bytes);
    r.proofs_ahead = proofs_ahead;
    let version = r.u8("version")?;
    if LEGACY_VERSIONS.contains(&version) {
        return Err(DecodeError::LegacyVersion(version));
    }
    if ![VERSION, VERSION_STAKE, VERSION_CONTRACT, VERSION_PACKAGE].contains(&version) {
        return Err(DecodeError::Version(version));
    }
    let chain_id = r.array("chain id")?;
    let fee = r.u128("fee")?;
    let from = r.pkr("from")?;
    let n = r.count("inputs", MAX_INPUTS)?;
    let mut inputs = Vec::with_capacity(n);
    for _ in 0..n {
        inputs.push(ZInput {
            anchor: r.base("anchor")?,
            nil: r.base("nullifier")?,
            til: r.base("trace tag")?,
            cm_asset: r.commitment("input commitment")?,
            proof: r.proof("input proof")?,
        });
    }
    let m = r.count("outputs", MAX_OUTPUTS)?;
    let mut outputs = Vec::with_capacity(m);
    for _ in 0..m {
        let cm_asset = r.commitment("output commitment")?;
        let cm_out = r.base("note commitment")?;
        let pkr = r.pkr("output PKr")?;
        let len = r.count("sealed note bytes", MAX_SEALED_NOTE)?;
        let sealed_note = r.take(len, "sealed note")?.to_vec();
        outputs.push(ZOutput {
            cm_asset,
            cm_out,
            pkr,
            sealed_note,
            proof: r.proof("output proof")?,
        });
    }
    let k = r.count("plain outputs", MAX_PLAIN_OUTPUTS)?;
    let mut plain_outputs = Vec::with_capacity(k);
    for _ in 0..k {
        plain_outputs.push(r.plain_output("plain output PKr")?);
    }
    let stake = if version == VERSION_STAKE {
        Some(r.stake()?)
    } else {
        None
    };
    let contract = if version == VERSION_CONTRACT {
        Some(r.contract()?)
    } else {
        None
    };
    let package = if version == VERSION_PACKAGE {
        Some(r.package()?)
    } else {
        None
    };
    let balance_sig = BalanceSignature::from_bytes(r.take(64, "balance signature")?)
        .map_err(|e| invalid("balance signature", e))?;
    let from_sig = PkrSignature::from_bytes(r.take(64, "from signature")?)
        .map_err(|e| invalid("from signature", e))?;
    let pending = r.finish_deferred()?;
    let tx = Transaction {
        chain_id,
        fee,
        from,
        inputs,
        outputs,
        plain_outputs,
        stake,
        contract,
        package,
        balance_sig,
        from_sig,
    };
    Ok((tx, pending))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_hint_finds_every_point_and_proof() {
        let mut tx = crate::vectors::sample_transaction([7; 32]);
        tx.outputs.push(tx.outputs[0].clone());
        tx.outputs[1].sealed_note = vec![9; 3];
        let bytes = encode(&tx);
        let (points, proofs) = layout_hint(&bytes);
        let mut want: Vec<Vec<u8>> = vec![
            tx.balance_sig.to_bytes()[..32].to_vec(),
            tx.from_sig.to_bytes()[..32].to_vec(),
        ];
        want.extend(tx.from.to_bytes().chunks(32).map(<[u8]>::to_vec));
        want.extend(tx.inputs.iter().map(|i| i.cm_asset.to_bytes().to_vec()));
        for o in &tx.outputs {
            want.push(o.cm_asset.to_bytes().to_vec());
            want.extend(o.pkr.to_bytes().chunks(32).map(<[u8]>::to_vec));
        }
        assert_eq!(points, want);
        let want: Vec<Vec<u8>> = tx
            .inputs
            .iter()
            .map(|i| i.proof.to_bytes().to_vec())
            .chain(tx.outputs.iter().map(|o| o.proof.to_bytes().to_vec()))
            .collect();
        assert_eq!(proofs, want);
        // Truncated and altered encodings: the hint stops without a panic
        // and the decoding is the one without any hint.
        for cut in 0..bytes.len() {
            let _ = layout_hint(&bytes[..cut]);
            assert_eq!(
                decode_deferred(&bytes[..cut]).map(|(t, _)| t),
                parse(&bytes[..cut], vec![]).map(|(t, _)| t),
                "cut at {cut}"
            );
        }
        for at in (0..bytes.len()).step_by(7) {
            let mut b = bytes.clone();
            b[at] ^= 0x5a;
            let _ = layout_hint(&b);
            assert_eq!(
                decode_deferred(&b).map(|(t, _)| t),
                parse(&b, vec![]).map(|(t, _)| t),
                "byte {at}"
            );
        }
    }
}
