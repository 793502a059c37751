//! Byte layouts of the encoded values in [`crate::tables`].
//!
//! Decoders take bytes read back from disk and never panic: a wrong length or
//! an inconsistent length prefix is reported as [`StateError::Corrupt`].

use crate::error::StateError;
use crate::ValidatorRecord;

/// Length of an encoded [`ValidatorRecord`].
pub const VALIDATOR_RECORD_LEN: usize = 32 + 8 + 96 + 8 + 1 + 8 + 1;

/// Encodes a [`crate::tables::VALIDATORS`] value: `vrf_key ‖ stake: u64 LE ‖
/// refund (96) ‖ registered_at: u64 LE ‖ unbonding: u8 (0|1) ‖ unbond_at:
/// u64 LE (0 when not unbonding) ‖ released: u8 (0|1)`.
pub fn encode_validator(v: &ValidatorRecord) -> [u8; VALIDATOR_RECORD_LEN] {
    let mut out = [0u8; VALIDATOR_RECORD_LEN];
    out[..32].copy_from_slice(&v.vrf_key);
    out[32..40].copy_from_slice(&v.stake.to_le_bytes());
    out[40..136].copy_from_slice(&v.refund);
    out[136..144].copy_from_slice(&v.registered_at.to_le_bytes());
    out[144] = v.unbond_at.is_some() as u8;
    out[145..153].copy_from_slice(&v.unbond_at.unwrap_or(0).to_le_bytes());
    out[153] = v.released as u8;
    out
}

/// Decodes a [`crate::tables::VALIDATORS`] value; flags must be 0 or 1,
/// `unbond_at` 0 when not unbonding, and only an unbonding record may be
/// released.
pub fn decode_validator(bytes: &[u8]) -> Result<ValidatorRecord, StateError> {
    let mut r = Reader::new(bytes, "validator record");
    let v = read_validator(&mut r)?;
    r.finish()?;
    Ok(v)
}

fn read_validator(r: &mut Reader<'_>) -> Result<ValidatorRecord, StateError> {
    let vrf_key = r.array()?;
    let stake = r.u64()?;
    let refund = r.array()?;
    let registered_at = r.u64()?;
    let unbonding = r.flag()?;
    let unbond_at = r.u64()?;
    let released = r.flag()?;
    if !unbonding && (unbond_at != 0 || released) {
        return Err(StateError::Corrupt(
            "validator record: inconsistent unbonding fields".into(),
        ));
    }
    Ok(ValidatorRecord {
        vrf_key,
        stake,
        refund,
        registered_at,
        unbond_at: unbonding.then_some(unbond_at),
        released,
    })
}

/// What undoing one block needs (a [`crate::tables::UNDO`] value).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UndoRecord {
    /// Leaf count before the block.
    pub leaf_count_before: u64,
    /// Nullifiers the block spent.
    pub nullifiers: Vec<[u8; 32]>,
    /// Tils the block recorded.
    pub tils: Vec<[u8; 32]>,
    /// Transaction ids of the block.
    pub txids: Vec<[u8; 32]>,
    /// Registry entries the block wrote, each with its previous record
    /// (`None`: the key was absent), in write order.
    pub registry: Vec<([u8; 32], Option<ValidatorRecord>)>,
}

/// Encodes an [`UndoRecord`]: `leaf_count_before: u64 ‖ u32 n ‖ n ×
/// nullifier ‖ u32 t ‖ t × til ‖ u32 x ‖ x × txid ‖ u32 r ‖ r × (vote_key ‖
/// u8 had ‖ [validator record])`, counts little-endian.
pub fn encode_undo(u: &UndoRecord) -> Result<Vec<u8>, StateError> {
    let mut out = Vec::with_capacity(
        24 + 32 * (u.nullifiers.len() + u.tils.len() + u.txids.len())
            + u.registry.len() * (33 + VALIDATOR_RECORD_LEN),
    );
    out.extend_from_slice(&u.leaf_count_before.to_le_bytes());
    for list in [&u.nullifiers, &u.tils, &u.txids] {
        out.extend_from_slice(&u32_len("undo list", list.len())?.to_le_bytes());
        for h in list {
            out.extend_from_slice(h);
        }
    }
    out.extend_from_slice(&u32_len("undo registry", u.registry.len())?.to_le_bytes());
    for (k, prev) in &u.registry {
        out.extend_from_slice(k);
        match prev {
            Some(v) => {
                out.push(1);
                out.extend_from_slice(&encode_validator(v));
            }
            None => out.push(0),
        }
    }
    Ok(out)
}

/// Decodes an [`UndoRecord`] written by [`encode_undo`].
pub fn decode_undo(bytes: &[u8]) -> Result<UndoRecord, StateError> {
    let mut r = Reader::new(bytes, "undo record");
    let leaf_count_before = r.u64()?;
    let mut lists: [Vec<[u8; 32]>; 3] = Default::default();
    for list in &mut lists {
        let n = r.u32()? as usize;
        // Bound the allocation by what the bytes can hold.
        let mut v = Vec::with_capacity(n.min(bytes.len() / 32));
        for _ in 0..n {
            v.push(r.array()?);
        }
        *list = v;
    }
    let n = r.u32()? as usize;
    let mut registry = Vec::with_capacity(n.min(bytes.len() / 33));
    for _ in 0..n {
        let k = r.array()?;
        let prev = if r.flag()? {
            Some(read_validator(&mut r)?)
        } else {
            None
        };
        registry.push((k, prev));
    }
    r.finish()?;
    let [nullifiers, tils, txids] = lists;
    Ok(UndoRecord {
        leaf_count_before,
        nullifiers,
        tils,
        txids,
        registry,
    })
}

/// Encodes a [`crate::tables::BLOCKS`] record:
/// `height: u64 LE ‖ header_len: u32 LE ‖ header ‖ body_len: u32 LE ‖ body`.
///
/// Fails with [`StateError::TooLarge`] if the header or body is longer than
/// `u32::MAX` bytes.
pub fn encode_block_record(height: u64, header: &[u8], body: &[u8]) -> Result<Vec<u8>, StateError> {
    let header_len = u32_len("block header", header.len())?;
    let body_len = u32_len("block body", body.len())?;
    let mut out = Vec::with_capacity(16 + header.len() + body.len());
    out.extend_from_slice(&height.to_le_bytes());
    out.extend_from_slice(&header_len.to_le_bytes());
    out.extend_from_slice(header);
    out.extend_from_slice(&body_len.to_le_bytes());
    out.extend_from_slice(body);
    Ok(out)
}

/// Decodes a block record written by [`encode_block_record`] into
/// `(height, header, body)`. The record must be exactly as long as its
/// prefixes say.
pub fn decode_block_record(bytes: &[u8]) -> Result<(u64, Vec<u8>, Vec<u8>), StateError> {
    let mut r = Reader::new(bytes, "block record");
    let height = r.u64()?;
    let header_len = r.u32()? as usize;
    let header = r.take(header_len)?.to_vec();
    let body_len = r.u32()? as usize;
    let body = r.take(body_len)?.to_vec();
    r.finish()?;
    Ok((height, header, body))
}

/// One spend of a block for light wallets: `(txid, nullifier, til)`.
pub type Spend = ([u8; 32], [u8; 32], [u8; 32]);

/// Encodes a [`crate::tables::SPENDS`] value: `n × (txid ‖ nil ‖ til)`.
pub fn encode_spends(spends: &[Spend]) -> Vec<u8> {
    let mut out = Vec::with_capacity(spends.len() * 96);
    for (txid, nil, til) in spends {
        out.extend_from_slice(txid);
        out.extend_from_slice(nil);
        out.extend_from_slice(til);
    }
    out
}

/// Decodes a [`crate::tables::SPENDS`] value (a multiple of 96 bytes).
pub fn decode_spends(bytes: &[u8]) -> Result<Vec<Spend>, StateError> {
    if !bytes.len().is_multiple_of(96) {
        return Err(StateError::Corrupt(format!(
            "spends record of {} bytes is not a multiple of 96",
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(96)
        .map(|c| {
            let mut t = [[0u8; 32]; 3];
            for (i, part) in t.iter_mut().enumerate() {
                part.copy_from_slice(&c[i * 32..(i + 1) * 32]);
            }
            (t[0], t[1], t[2])
        })
        .collect())
}

/// Encodes a [`crate::tables::TILS`] value: `txid ‖ height: u64 LE`.
pub fn encode_til(txid: &[u8; 32], height: u64) -> [u8; 40] {
    let mut out = [0u8; 40];
    out[..32].copy_from_slice(txid);
    out[32..].copy_from_slice(&height.to_le_bytes());
    out
}

/// Decodes a [`crate::tables::TILS`] value into `(txid, height)`.
pub fn decode_til(bytes: &[u8; 40]) -> ([u8; 32], u64) {
    let mut txid = [0u8; 32];
    txid.copy_from_slice(&bytes[..32]);
    let mut h = [0u8; 8];
    h.copy_from_slice(&bytes[32..]);
    (txid, u64::from_le_bytes(h))
}

/// Encodes a [`crate::tables::TXS`] value: `height: u64 LE ‖ index: u32 LE`.
pub fn encode_tx_location(height: u64, index: u32) -> [u8; 12] {
    let mut out = [0u8; 12];
    out[..8].copy_from_slice(&height.to_le_bytes());
    out[8..].copy_from_slice(&index.to_le_bytes());
    out
}

/// Decodes a [`crate::tables::TXS`] value into `(height, index)`.
pub fn decode_tx_location(bytes: &[u8; 12]) -> (u64, u32) {
    let mut h = [0u8; 8];
    h.copy_from_slice(&bytes[..8]);
    let mut i = [0u8; 4];
    i.copy_from_slice(&bytes[8..]);
    (u64::from_le_bytes(h), u32::from_le_bytes(i))
}

/// Encodes the [`crate::tables::META_TIP`] value: `height: u64 LE ‖ hash`.
pub fn encode_tip(height: u64, hash: &[u8; 32]) -> [u8; 40] {
    encode_til(hash, height)
}

/// Decodes the [`crate::tables::META_TIP`] value into `(height, hash)`.
pub fn decode_tip(bytes: &[u8]) -> Result<(u64, [u8; 32]), StateError> {
    let mut r = Reader::new(bytes, "meta tip");
    let hash: [u8; 32] = r.array()?;
    let height = r.u64()?;
    r.finish()?;
    Ok((height, hash))
}

/// Decodes a `u64 LE` [`crate::tables::META`] value named `what`.
pub fn decode_meta_u64(bytes: &[u8], what: &'static str) -> Result<u64, StateError> {
    let mut r = Reader::new(bytes, what);
    let v = r.u64()?;
    r.finish()?;
    Ok(v)
}

/// Decodes a `u32 LE` [`crate::tables::META`] value named `what`.
pub fn decode_meta_u32(bytes: &[u8], what: &'static str) -> Result<u32, StateError> {
    let mut r = Reader::new(bytes, what);
    let v = r.u32()?;
    r.finish()?;
    Ok(v)
}

fn u32_len(what: &'static str, len: usize) -> Result<u32, StateError> {
    u32::try_from(len).map_err(|_| StateError::TooLarge { what, len })
}

/// Bounds-checked cursor over bytes read from disk.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Reader {
            bytes,
            pos: 0,
            what,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], StateError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| {
                StateError::Corrupt(format!(
                    "{}: needs {} bytes at offset {}, only {} in total",
                    self.what,
                    n,
                    self.pos,
                    self.bytes.len()
                ))
            })?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], StateError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u64(&mut self) -> Result<u64, StateError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, StateError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn flag(&mut self) -> Result<bool, StateError> {
        match self.take(1)?[0] {
            0 => Ok(false),
            1 => Ok(true),
            f => Err(StateError::Corrupt(format!(
                "{}: flag {f} is neither 0 nor 1",
                self.what
            ))),
        }
    }

    fn finish(self) -> Result<(), StateError> {
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            Err(StateError::Corrupt(format!(
                "{}: {} trailing bytes",
                self.what,
                self.bytes.len() - self.pos
            )))
        }
    }
}

/// Contract-state entries: key bytes with a value (`None`: absent).
pub type EvmEntries = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// Encodes the previous values of contract-state keys a block wrote
/// ([`crate::tables::EVM_UNDO`]): `u32 n ‖ n × (u32 klen ‖ key ‖ u8 had ‖
/// [u32 vlen ‖ value])`, little-endian.
pub fn encode_evm_undo(list: &[(Vec<u8>, Option<Vec<u8>>)]) -> Result<Vec<u8>, StateError> {
    let mut out = Vec::new();
    out.extend_from_slice(&u32_len("evm undo", list.len())?.to_le_bytes());
    for (k, v) in list {
        out.extend_from_slice(&u32_len("evm undo key", k.len())?.to_le_bytes());
        out.extend_from_slice(k);
        match v {
            Some(v) => {
                out.push(1);
                out.extend_from_slice(&u32_len("evm undo value", v.len())?.to_le_bytes());
                out.extend_from_slice(v);
            }
            None => out.push(0),
        }
    }
    Ok(out)
}

/// Decodes [`encode_evm_undo`].
pub fn decode_evm_undo(bytes: &[u8]) -> Result<EvmEntries, StateError> {
    let mut r = Reader::new(bytes, "evm undo record");
    let n = r.u32()? as usize;
    let mut out = Vec::with_capacity(n.min(bytes.len() / 5));
    for _ in 0..n {
        let kl = r.u32()? as usize;
        let k = r.take(kl)?.to_vec();
        let v = if r.flag()? {
            let vl = r.u32()? as usize;
            Some(r.take(vl)?.to_vec())
        } else {
            None
        };
        out.push((k, v));
    }
    r.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_record_round_trip_and_rejects_bad_bytes() {
        let rec = encode_block_record(7, b"head", b"body!").unwrap();
        assert_eq!(
            decode_block_record(&rec).unwrap(),
            (7, b"head".to_vec(), b"body!".to_vec())
        );
        // Every truncation and one trailing byte are rejected, never a panic.
        for cut in 0..rec.len() {
            assert!(matches!(
                decode_block_record(&rec[..cut]),
                Err(StateError::Corrupt(_))
            ));
        }
        let mut long = rec.clone();
        long.push(0);
        assert!(matches!(
            decode_block_record(&long),
            Err(StateError::Corrupt(_))
        ));
        // A huge length prefix must not overflow or allocate.
        let mut huge = rec;
        huge[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            decode_block_record(&huge),
            Err(StateError::Corrupt(_))
        ));
    }

    #[test]
    fn validator_and_undo_records_round_trip_and_reject_bad_bytes() {
        let v = ValidatorRecord {
            vrf_key: [1; 32],
            stake: 77,
            refund: [2; 96],
            registered_at: 5,
            unbond_at: Some(9),
            released: true,
        };
        let b = encode_validator(&v);
        assert_eq!(decode_validator(&b).unwrap(), v);
        let active = ValidatorRecord {
            unbond_at: None,
            released: false,
            ..v
        };
        assert_eq!(
            decode_validator(&encode_validator(&active)).unwrap(),
            active
        );
        for cut in 0..b.len() {
            assert!(decode_validator(&b[..cut]).is_err());
        }
        let mut bad = b;
        bad[144] = 2;
        assert!(decode_validator(&bad).is_err());
        let mut bad = encode_validator(&active);
        bad[153] = 1; // released without unbonding
        assert!(decode_validator(&bad).is_err());
        let u = UndoRecord {
            leaf_count_before: 12,
            nullifiers: vec![[3; 32]],
            tils: vec![[4; 32], [5; 32]],
            txids: vec![],
            registry: vec![([6; 32], None), ([7; 32], Some(v))],
        };
        let b = encode_undo(&u).unwrap();
        assert_eq!(decode_undo(&b).unwrap(), u);
        for cut in 0..b.len() {
            assert!(decode_undo(&b[..cut]).is_err());
        }
        let mut huge = b.clone();
        huge[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode_undo(&huge).is_err());
    }

    #[test]
    fn fixed_values_round_trip() {
        let txid = [9u8; 32];
        assert_eq!(decode_til(&encode_til(&txid, 42)), (txid, 42));
        assert_eq!(
            decode_tx_location(&encode_tx_location(u64::MAX, 3)),
            (u64::MAX, 3)
        );
        assert_eq!(decode_tip(&encode_tip(5, &txid)).unwrap(), (5, txid));
        assert!(decode_tip(&[0u8; 39]).is_err());
        assert!(decode_meta_u64(&[0u8; 9], "x").is_err());
        assert!(decode_meta_u32(&[0u8; 3], "x").is_err());
    }
}
