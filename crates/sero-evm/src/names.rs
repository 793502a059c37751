//! Token and category names as system calls pass them.

use sero_assets::{Category, Currency};

/// A name given to `issueToken`, `allotTicket` (minting) or `setTokenRate`:
/// the raw bytes must match `^[A-Z][A-Z0-9_]{0,31}$` (lowercase rejected).
pub fn strict(raw: &[u8]) -> Option<[u8; 32]> {
    let s = std::str::from_utf8(raw).ok()?;
    Currency::new(s).ok().map(|c| c.to_bytes())
}

/// A name that may be issued or minted: [`strict`] and never containing `SERO`.
pub fn issuable(raw: &[u8]) -> Option<[u8; 32]> {
    if raw.windows(4).any(|w| w == b"SERO") {
        return None;
    }
    strict(raw)
}

/// A name given to `send`, `setCallValues`, `balanceOf`: uppercased first
/// (as go-sero does), then it must be a valid name to name anything.
pub fn loose(raw: &[u8]) -> Option<[u8; 32]> {
    strict(&raw.to_ascii_uppercase())
}

pub(crate) fn currency(b: [u8; 32]) -> Currency {
    Currency::from_bytes(&b).expect("validated name")
}

pub(crate) fn category(b: [u8; 32]) -> Category {
    Category::from_bytes(&b).expect("validated name")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(issuable(b"ABC").is_some());
        assert!(issuable(b"A_1").is_some());
        assert!(issuable(b"abc").is_none());
        assert!(issuable(b"XSEROX").is_none());
        assert!(issuable(&[b'A'; 33]).is_none());
        assert!(issuable(&[b'A'; 32]).is_some());
        assert!(issuable(b"1A").is_none());
        assert!(issuable(b"").is_none());
        assert!(strict(b"SERO").is_some());
        assert_eq!(loose(b"sero"), strict(b"SERO"));
    }
}
