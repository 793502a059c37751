//! Shared pieces of the byte encodings: the `magic ‖ version ‖ count`
//! header and runs of canonical 32-byte field elements.

use crate::error::TreeError;
use crate::CAPACITY;
use sero_crypto::curve::{base_from_canonical, encode_base};
use sero_crypto::Base;

/// Bytes of one encoded field element.
pub(crate) const ELEMENT_LEN: usize = 32;
/// Bytes of the header: 8 magic bytes, a version byte and a `u64` count.
pub(crate) const HEADER_LEN: usize = 8 + 1 + 8;

/// `magic ‖ version ‖ LE64(count)`, with room for `elements` field elements.
pub(crate) fn write_header(magic: &[u8; 8], version: u8, count: u64, elements: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + elements * ELEMENT_LEN);
    out.extend_from_slice(magic);
    out.push(version);
    out.extend_from_slice(&count.to_le_bytes());
    out
}

/// Appends the canonical encodings of `elements`.
pub(crate) fn write_elements<'a>(out: &mut Vec<u8>, elements: impl IntoIterator<Item = &'a Base>) {
    for e in elements {
        out.extend_from_slice(&encode_base(e));
    }
}

/// Checks the header and returns the leaf count and the bytes after it.
/// Checks, in order: magic (a proper prefix of the magic is `Truncated`),
/// version, count (at most 2^32).
pub(crate) fn read_header<'a>(
    what: &'static str,
    magic: &'static [u8; 8],
    version: u8,
    data: &'a [u8],
) -> Result<(u64, &'a [u8]), TreeError> {
    let prefix = data.len().min(magic.len());
    if data[..prefix] != magic[..prefix] {
        return Err(TreeError::BadMagic {
            what,
            expected: std::str::from_utf8(magic).unwrap_or("?"),
        });
    }
    if data.len() < HEADER_LEN {
        return Err(TreeError::Truncated {
            what,
            expected: HEADER_LEN,
            got: data.len(),
        });
    }
    if data[8] != version {
        return Err(TreeError::UnsupportedVersion {
            what,
            version: data[8],
            supported: version,
        });
    }
    let count = u64::from_le_bytes(data[9..17].try_into().expect("8 bytes"));
    if count > CAPACITY {
        return Err(TreeError::CountTooLarge { what, count });
    }
    Ok((count, &data[HEADER_LEN..]))
}

/// Checks that `body` (which follows `offset` bytes already read) holds
/// exactly `elements` field elements.
pub(crate) fn check_body_len(
    what: &'static str,
    offset: usize,
    body: &[u8],
    elements: u64,
) -> Result<(), TreeError> {
    // At most 2^32 + 32 elements: no overflow in u64.
    let expected = offset as u64 + elements * ELEMENT_LEN as u64;
    let got = offset as u64 + body.len() as u64;
    let to_usize = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    if got < expected {
        return Err(TreeError::Truncated {
            what,
            expected: to_usize(expected),
            got: to_usize(got),
        });
    }
    if got > expected {
        return Err(TreeError::TrailingBytes {
            what,
            expected: to_usize(expected),
            got: to_usize(got),
        });
    }
    Ok(())
}

/// Decodes `body` (a multiple of 32 bytes, checked by the caller) into
/// canonical field elements.
pub(crate) fn read_elements(what: &'static str, body: &[u8]) -> Result<Vec<Base>, TreeError> {
    body.chunks_exact(ELEMENT_LEN)
        .enumerate()
        .map(|(index, chunk)| {
            let bytes: &[u8; ELEMENT_LEN] = chunk.try_into().expect("32-byte chunk");
            base_from_canonical(bytes).map_err(|_| TreeError::NonCanonical { what, index })
        })
        .collect()
}
