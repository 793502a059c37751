use crate::error::AssetError;
use ark_ff::PrimeField;
use sero_crypto::Base;
use std::fmt;
use std::str::FromStr;

/// Longest token or category name.
pub const MAX_NAME_LEN: usize = 32;

/// Checks `^[A-Z][A-Z0-9_]{0,31}$` and pads the name with zero bytes.
fn parse_name(what: &'static str, name: &str) -> Result<[u8; 32], AssetError> {
    let err = |reason| AssetError::InvalidName {
        what,
        name: name.chars().take(64).collect(),
        reason,
    };
    let b = name.as_bytes();
    if b.is_empty() {
        return Err(err("empty"));
    }
    if b.len() > MAX_NAME_LEN {
        return Err(err("longer than 32 bytes"));
    }
    if !b[0].is_ascii_uppercase() {
        return Err(err("must start with a letter A-Z"));
    }
    if !b
        .iter()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
    {
        return Err(err("only A-Z, 0-9 and _ are allowed"));
    }
    let mut out = [0u8; 32];
    out[..b.len()].copy_from_slice(b);
    Ok(out)
}

/// The reserved ticket category of packages (`crate::package`): `#PKG`
/// and zero padding. `#` is not a name character, so `Category::new`, and
/// with it every contract's `sero_allotTicket` and `sero_send`, refuses
/// it; only [`Category::package`] and the byte decoder produce it.
pub const PACKAGE_CATEGORY: [u8; 32] = {
    let mut b = [0u8; 32];
    b[0] = b'#';
    b[1] = b'P';
    b[2] = b'K';
    b[3] = b'G';
    b
};

/// Decodes 32 name bytes: the name, then only zero bytes.
fn name_from_bytes(what: &'static str, bytes: &[u8; 32]) -> Result<[u8; 32], AssetError> {
    if what == CATEGORY_WHAT && *bytes == PACKAGE_CATEGORY {
        return Ok(PACKAGE_CATEGORY);
    }
    let len = bytes.iter().position(|b| *b == 0).unwrap_or(32);
    if bytes[len..].iter().any(|b| *b != 0) {
        return Err(AssetError::InvalidName {
            what,
            name: hex::encode(bytes),
            reason: "bytes after the zero padding",
        });
    }
    let name = std::str::from_utf8(&bytes[..len]).map_err(|_| AssetError::InvalidName {
        what,
        name: hex::encode(bytes),
        reason: "not ASCII",
    })?;
    parse_name(what, name)
}

fn name_str(bytes: &[u8; 32]) -> &str {
    let len = bytes.iter().position(|b| *b == 0).unwrap_or(32);
    std::str::from_utf8(&bytes[..len]).expect("validated at construction")
}

/// Splits 32 bytes into two field elements (little-endian 16-byte halves).
pub(crate) fn halves(bytes: &[u8; 32]) -> [Base; 2] {
    [
        Base::from_le_bytes_mod_order(&bytes[..16]),
        Base::from_le_bytes_mod_order(&bytes[16..]),
    ]
}

macro_rules! name_type {
    ($(#[$m:meta])* $ty:ident, $what:expr) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty([u8; 32]);

        impl $ty {
            /// Validates a name against `^[A-Z][A-Z0-9_]{0,31}$`.
            pub fn new(name: &str) -> Result<Self, AssetError> {
                parse_name($what, name).map($ty)
            }

            /// Decodes the 32-byte form (name, zero padding), canonically.
            pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, AssetError> {
                name_from_bytes($what, bytes).map($ty)
            }

            pub fn to_bytes(&self) -> [u8; 32] {
                self.0
            }

            pub fn name(&self) -> &str {
                name_str(&self.0)
            }

            /// The two field elements that enter hash-to-curve.
            pub fn field_elements(&self) -> [Base; 2] {
                halves(&self.0)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($ty), self.name())
            }
        }

        impl FromStr for $ty {
            type Err = AssetError;
            fn from_str(s: &str) -> Result<Self, AssetError> {
                $ty::new(s)
            }
        }
    };
}

name_type!(
    /// A token (fungible currency) name. The native coin is `SERO`.
    Currency,
    "currency"
);
const CATEGORY_WHAT: &str = "ticket category";

name_type!(
    /// A ticket category name (or the reserved [`PACKAGE_CATEGORY`]).
    Category,
    CATEGORY_WHAT
);

impl Category {
    /// The reserved category of package tickets (not a valid name).
    pub fn package() -> Self {
        Category(PACKAGE_CATEGORY)
    }

    /// Whether this is the reserved package category.
    pub fn is_package(&self) -> bool {
        self.0 == PACKAGE_CATEGORY
    }
}

impl Currency {
    /// The native coin.
    pub fn sero() -> Self {
        Currency::new("SERO").expect("valid name")
    }
}

/// A 256-bit ticket id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketId(pub [u8; 32]);

impl fmt::Debug for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TicketId({})", hex::encode(self.0))
    }
}

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl FromStr for TicketId {
    type Err = AssetError;
    /// 64 hex digits (an optional `0x` prefix is accepted).
    fn from_str(s: &str) -> Result<Self, AssetError> {
        let h = s.strip_prefix("0x").unwrap_or(s);
        let bad = |reason| AssetError::InvalidName {
            what: "ticket id",
            name: s.chars().take(80).collect(),
            reason,
        };
        let v = hex::decode(h).map_err(|_| bad("not hexadecimal"))?;
        let b: [u8; 32] = v
            .try_into()
            .map_err(|_| bad("must be 32 bytes (64 hex digits)"))?;
        Ok(TicketId(b))
    }
}

/// A unique ticket: a category and a 256-bit id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ticket {
    pub category: Category,
    pub id: TicketId,
}

impl Ticket {
    /// The four field elements that enter hash-to-curve.
    pub fn field_elements(&self) -> [Base; 4] {
        let [c0, c1] = self.category.field_elements();
        let [i0, i1] = halves(&self.id.0);
        [c0, c1, i0, i1]
    }
}

/// What one note carries: one token slot (`value < 2^128` of `currency`) and
/// optionally one ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Asset {
    pub currency: Currency,
    pub value: u128,
    pub ticket: Option<Ticket>,
}

impl Asset {
    pub fn token(currency: Currency, value: u128) -> Self {
        Asset {
            currency,
            value,
            ticket: None,
        }
    }

    pub fn sero(value: u128) -> Self {
        Asset::token(Currency::sero(), value)
    }

    /// A ticket-only asset (token slot: 0 SERO).
    pub fn ticket(ticket: Ticket) -> Self {
        Asset {
            currency: Currency::sero(),
            value: 0,
            ticket: Some(ticket),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["SERO", "A", "A_1", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"] {
            let c = Currency::new(ok).unwrap();
            assert_eq!(c.name(), ok);
            assert_eq!(Currency::from_bytes(&c.to_bytes()).unwrap(), c);
        }
        for bad in [
            "",
            "sero",
            "1ABC",
            "_A",
            "A-B",
            "AB C",
            "ÀB",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456",
        ] {
            assert!(Currency::new(bad).is_err(), "{bad}");
        }
        let mut b = Currency::sero().to_bytes();
        b[10] = b'X';
        assert!(Currency::from_bytes(&b).is_err(), "bytes after padding");
        assert!(Currency::from_bytes(&[0u8; 32]).is_err(), "empty");
        assert!(Category::new("TICKETS").is_ok());
        // The package category: decodable, displayable, never a name.
        let p = Category::from_bytes(&PACKAGE_CATEGORY).unwrap();
        assert!(p.is_package() && p == Category::package());
        assert_eq!(p.name(), "#PKG");
        assert!(Category::new("#PKG").is_err());
        assert!(Currency::from_bytes(&PACKAGE_CATEGORY).is_err());
        assert!("00".repeat(32).parse::<TicketId>().is_ok());
        assert!("00".repeat(31).parse::<TicketId>().is_err());
        assert!("zz".parse::<TicketId>().is_err());
    }
}
