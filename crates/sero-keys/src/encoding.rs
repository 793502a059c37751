//! Typed, checksummed base58: `base58(type ‖ payload ‖ checksum)`, where
//! `checksum = BLAKE2b-256("SERO_Base58Check"; type ‖ payload)[0..4]`.

use crate::error::KeyError;
use sero_crypto::hash::{hash256, tags};

/// The type byte of a human-readable encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum KeyType {
    /// Secret key SK = (zsk, vsk), 64 bytes.
    SecretKey = 0x10,
    /// Payment address PK = (ZPK, VPK), 64 bytes.
    PaymentAddress = 0x11,
    /// Trace key TK = (ZPK, vsk), 64 bytes.
    TraceKey = 0x12,
    /// One-time address PKr = (ZPKr, VPKr, BASEr), 96 bytes.
    OneTimeAddress = 0x13,
}

impl KeyType {
    pub fn name(self) -> &'static str {
        match self {
            KeyType::SecretKey => "secret key (SK)",
            KeyType::PaymentAddress => "payment address (PK)",
            KeyType::TraceKey => "trace key (TK)",
            KeyType::OneTimeAddress => "one-time address (PKr)",
        }
    }

    pub fn payload_len(self) -> usize {
        match self {
            KeyType::OneTimeAddress => 96,
            _ => 64,
        }
    }

    fn from_byte(b: u8) -> Option<KeyType> {
        [
            KeyType::SecretKey,
            KeyType::PaymentAddress,
            KeyType::TraceKey,
            KeyType::OneTimeAddress,
        ]
        .into_iter()
        .find(|t| *t as u8 == b)
    }
}

fn checksum(ty: u8, payload: &[u8]) -> [u8; 4] {
    let h = hash256(tags::BASE58_CHECK, &[&[ty], payload]);
    [h[0], h[1], h[2], h[3]]
}

/// Encodes `payload` as a typed base58 string.
pub fn encode_typed(ty: KeyType, payload: &[u8]) -> String {
    debug_assert_eq!(payload.len(), ty.payload_len());
    let mut buf = Vec::with_capacity(payload.len() + 5);
    buf.push(ty as u8);
    buf.extend_from_slice(payload);
    buf.extend_from_slice(&checksum(ty as u8, payload));
    bs58::encode(buf).into_string()
}

/// Decodes a typed base58 string, checking checksum, type and length.
pub fn decode_typed(expected: KeyType, s: &str) -> Result<Vec<u8>, KeyError> {
    let s = s.trim();
    // Longest valid string is far below this; refuse huge inputs early.
    if s.len() > 256 {
        return Err(KeyError::Base58(format!(
            "string too long ({} chars)",
            s.len()
        )));
    }
    let raw = bs58::decode(s)
        .into_vec()
        .map_err(|e| KeyError::Base58(e.to_string()))?;
    if raw.len() < 5 {
        return Err(KeyError::Base58("string too short".into()));
    }
    let (body, sum) = raw.split_at(raw.len() - 4);
    let (ty, payload) = (body[0], &body[1..]);
    if checksum(ty, payload) != sum {
        return Err(KeyError::Checksum);
    }
    if ty != expected as u8 {
        return Err(KeyError::WrongType {
            expected: expected.name(),
            found: KeyType::from_byte(ty)
                .map(|t| t.name().to_string())
                .unwrap_or_else(|| format!("unknown type 0x{ty:02x}")),
        });
    }
    if payload.len() != expected.payload_len() {
        return Err(KeyError::Length {
            what: expected.name(),
            expected: expected.payload_len(),
            got: payload.len(),
        });
    }
    Ok(payload.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_errors() {
        let payload = [7u8; 64];
        let s = encode_typed(KeyType::PaymentAddress, &payload);
        assert_eq!(decode_typed(KeyType::PaymentAddress, &s).unwrap(), payload);
        assert!(matches!(
            decode_typed(KeyType::TraceKey, &s),
            Err(KeyError::WrongType { .. })
        ));
        // Change one character.
        let mut chars: Vec<char> = s.chars().collect();
        chars[10] = if chars[10] == '2' { '3' } else { '2' };
        let t: String = chars.into_iter().collect();
        assert_eq!(
            decode_typed(KeyType::PaymentAddress, &t),
            Err(KeyError::Checksum)
        );
        assert!(matches!(
            decode_typed(KeyType::PaymentAddress, "0OIl"),
            Err(KeyError::Base58(_))
        ));
        assert!(decode_typed(KeyType::PaymentAddress, "").is_err());
        assert!(decode_typed(KeyType::PaymentAddress, &s[..s.len() - 1]).is_err());
        // Right type, checksum valid, wrong length.
        let short = {
            let mut buf = vec![KeyType::PaymentAddress as u8];
            buf.extend_from_slice(&[1u8; 10]);
            buf.extend_from_slice(&checksum(KeyType::PaymentAddress as u8, &[1u8; 10]));
            bs58::encode(buf).into_string()
        };
        assert!(matches!(
            decode_typed(KeyType::PaymentAddress, &short),
            Err(KeyError::Length { .. })
        ));
    }
}
