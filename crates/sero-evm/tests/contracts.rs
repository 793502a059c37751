//! Example contracts compiled by the real solc, executed through the engine.

mod common;

use common::*;
use sero_assets::{Asset, Category, Currency, Ticket, TicketId};
use sero_evm::{short_address, StateView, Status, TicketState, FEE_SINK, ONE_SERO, U256};

fn coin() -> Currency {
    Currency::new("COIN").unwrap()
}

#[test]
fn token_sale_issue_buy_and_payout_note() {
    let mut ch = Chain::default();
    let owner = pkr(1);
    let buyer = pkr(2);
    let (sale, _) = ch.deploy(&owner, "TokenSale", &[u(10)], None);
    // The owner brings 1 SERO for the issue fee.
    let out = ch.call(
        &owner,
        sale,
        "issue(uint256)",
        &[u(1_000_000)],
        Some(Asset::sero(ONE_SERO)),
    );
    assert_eq!(out.status, Status::Success, "{:?}", out.status);
    assert_eq!(ch.book(&sale, "COIN"), U256::from(1_000_000u64));
    assert_eq!(ch.book(&sale, "SERO"), U256::ZERO);
    assert_eq!(ch.book(&FEE_SINK, "SERO"), U256::from(ONE_SERO));
    assert_eq!(ch.state.token_owner(&coin()).unwrap(), Some(sale));
    // The buyer pays 500 SERO and gets 5000 COIN as a note to its From.
    let out = ch.call(&buyer, sale, "buy()", &[], Some(Asset::sero(500)));
    assert_eq!(out.status, Status::Success, "{:?}", out.status);
    assert_eq!(word(&out.output, 0), U256::from(5000u64));
    assert_eq!(out.notes.len(), 1);
    assert_eq!(out.notes[0].pkr, buyer);
    assert_eq!(out.notes[0].asset, Asset::token(coin(), 5000));
    assert_eq!(ch.book(&sale, "SERO"), U256::from(500u64));
    assert_eq!(ch.book(&sale, "COIN"), U256::from(1_000_000u64 - 5000));
    // A second issue by the registrant: no fee, more supply.
    let out = ch.call(&owner, sale, "issue(uint256)", &[u(1)], None);
    assert!(out.is_success(), "{:?}", out.status);
    assert_eq!(ch.book(&sale, "COIN"), U256::from(1_000_000u64 - 5000 + 1));
    // The owner withdraws SERO as a note.
    let out = ch.call(&owner, sale, "withdraw(uint256)", &[u(200)], None);
    assert!(out.is_success());
    assert_eq!(out.notes[0].asset, Asset::sero(200));
    assert_eq!(out.notes[0].pkr, owner);
}
