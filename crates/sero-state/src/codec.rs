//! Byte layouts of the encoded values in [`crate::tables`].
//!
//! Decoders take bytes read back from disk and never panic: a wrong length or
//! an inconsistent length prefix is reported as [`StateError::Corrupt`].

use crate::error::StateError;

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
