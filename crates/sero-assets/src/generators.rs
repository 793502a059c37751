//! Asset generators by hash-to-curve (see `sero_crypto::h2c`):
//!
//! * `G_cy = H2C("sero.h2c.token.v1"; currency_lo, currency_hi)`
//! * `G_tk = H2C("sero.h2c.ticket.v1"; category_lo, category_hi, id_lo, id_hi)`
//! * `G_r  = H2C("sero.h2c.rand.v1"; 0)`
//!
//! where `*_lo`/`*_hi` are the little-endian 16-byte halves of the 32-byte
//! identifiers as field elements. Circuits re-derive `G_cy` and `G_tk` from
//! the identifiers with the same steps, so no prover can choose a generator.

use crate::asset::{Currency, Ticket};
use crate::error::AssetError;
use sero_crypto::h2c::{hash_to_curve_trace, H2cTrace};
use sero_crypto::poseidon::tags;
use sero_crypto::{Base, Point};
use std::sync::OnceLock;

fn h2c(tag: &str, inputs: &[Base], what: &'static str) -> Result<H2cTrace, AssetError> {
    hash_to_curve_trace(tag, inputs).map_err(|source| AssetError::Crypto { what, source })
}

/// The full derivation of `G_cy`, for circuit witnesses.
pub fn token_generator_trace(currency: &Currency) -> Result<H2cTrace, AssetError> {
    h2c(
        tags::H2C_TOKEN,
        &currency.field_elements(),
        "token generator",
    )
}

/// The full derivation of `G_tk`, for circuit witnesses.
pub fn ticket_generator_trace(ticket: &Ticket) -> Result<H2cTrace, AssetError> {
    h2c(
        tags::H2C_TICKET,
        &ticket.field_elements(),
        "ticket generator",
    )
}

/// `G_cy` of a currency (cached for SERO).
pub fn token_generator(currency: &Currency) -> Result<Point, AssetError> {
    if *currency == Currency::sero() {
        return Ok(sero_generator());
    }
    token_generator_trace(currency).map(|t| t.point)
}

/// `G_tk` of a ticket.
pub fn ticket_generator(ticket: &Ticket) -> Result<Point, AssetError> {
    ticket_generator_trace(ticket).map(|t| t.point)
}

/// `G_SERO`, the generator of the native coin.
pub fn sero_generator() -> Point {
    static G: OnceLock<Point> = OnceLock::new();
    *G.get_or_init(|| {
        token_generator_trace(&Currency::sero())
            .expect("SERO's generator exists (checked by test vectors)")
            .point
    })
}

/// `G_r`, the generator of commitment randomness.
pub fn randomness_generator() -> Point {
    static G: OnceLock<Point> = OnceLock::new();
    *G.get_or_init(|| {
        h2c(tags::H2C_RAND, &[Base::from(0u64)], "randomness generator")
            .expect("G_r exists (checked by test vectors)")
            .point
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asset::{Category, TicketId};
    use sero_crypto::curve::{generator, is_in_subgroup};

    #[test]
    fn generators_distinct_and_in_subgroup() {
        let a = token_generator(&Currency::new("A").unwrap()).unwrap();
        let b = token_generator(&Currency::new("B").unwrap()).unwrap();
        let s = sero_generator();
        let r = randomness_generator();
        let t1 = ticket_generator(&Ticket {
            category: Category::new("CAT").unwrap(),
            id: TicketId([1; 32]),
        })
        .unwrap();
        let t2 = ticket_generator(&Ticket {
            category: Category::new("CAT").unwrap(),
            id: TicketId([2; 32]),
        })
        .unwrap();
        let all = [a, b, s, r, t1, t2, generator()];
        for (i, p) in all.iter().enumerate() {
            assert!(is_in_subgroup(p));
            for q in &all[i + 1..] {
                assert_ne!(p, q);
                assert_ne!(*p, -*q);
            }
        }
        assert_eq!(token_generator(&Currency::sero()).unwrap(), s);
        assert_eq!(token_generator_trace(&Currency::sero()).unwrap().point, s);
    }

    #[test]
    fn token_and_ticket_domains_separate() {
        // A category named like a currency, with a zero id, still differs.
        let c = Currency::new("GOLD").unwrap();
        let t = Ticket {
            category: Category::new("GOLD").unwrap(),
            id: TicketId([0; 32]),
        };
        assert_ne!(token_generator(&c).unwrap(), ticket_generator(&t).unwrap());
    }
}
