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

fn kitty() -> Category {
    Category::new("KITTY").unwrap()
}

#[test]
fn src20_constructor_issues_and_sends_to_deployer() {
    let mut ch = Chain::default();
    let dev = pkr(3);
    let (tok, out) = ch.deploy(
        &dev,
        "Src20",
        &[u(21_000_000), s("SRC")],
        Some(Asset::sero(ONE_SERO)),
    );
    let src = Currency::new("SRC").unwrap();
    assert_eq!(out.notes.len(), 1);
    assert_eq!(out.notes[0].pkr, dev);
    assert_eq!(out.notes[0].asset, Asset::token(src, 21_000_000));
    assert_eq!(ch.book(&tok, "SRC"), U256::ZERO);
    assert_eq!(ch.state.token_owner(&src).unwrap(), Some(tok));
    assert_eq!(ch.book(&FEE_SINK, "SERO"), U256::from(ONE_SERO));
    // Without the fee the constructor's issue fails and the deploy reverts,
    // returning the call's asset.
    let out = ch.run(&ch.env(
        &dev,
        Some(Asset::sero(5)),
        sero_evm::Action::Create {
            data: sero_evm::make_prefix([0; 16], &[], &{
                let mut c = code("Src20");
                c.extend(encode(&[u(1), s("OTHER")]));
                c
            }),
        },
    ));
    assert_eq!(out.status, Status::Revert);
    assert_eq!(out.notes[0].asset, Asset::sero(5));
    assert_eq!(out.notes[0].pkr, dev);
    // Only the contract nonce advanced.
    assert_eq!(out.changes.changes.len(), 1);
}

#[test]
fn kitty_mint_transfer_and_give() {
    let mut ch = Chain::default();
    let owner = pkr(4);
    let alice = pkr(5);
    let bob = pkr(6);
    let (k, _) = ch.deploy(&owner, "Kitty", &[], None);
    // Mint to Alice (listed in the input prefix): a ticket note for her.
    let out = ch.call_listing(
        &owner,
        k,
        "mint(address,uint256)",
        &[Tok::A(short_address(&alice)), u(42)],
        None,
        &[alice],
    );
    assert!(out.is_success(), "{:?}", out.status);
    let id = word(&out.output, 0);
    assert!(!id.is_zero());
    let t = Ticket {
        category: kitty(),
        id: TicketId(id.to_be_bytes::<32>()),
    };
    assert_eq!(
        out.notes,
        vec![sero_evm::Note {
            pkr: alice,
            asset: Asset::ticket(t)
        }]
    );
    assert_eq!(ch.state.ticket(&t).unwrap(), TicketState::InNotes);
    assert_eq!(ch.state.category_owner(&kitty()).unwrap(), Some(k));
    // Mint to the contract itself: it holds the kitty, then transfers it.
    let out = ch.call(&owner, k, "mint(address,uint256)", &[Tok::A(k), u(7)], None);
    assert!(out.is_success());
    let id2 = word(&out.output, 0);
    assert_ne!(id2, id);
    let t2 = Ticket {
        category: kitty(),
        id: TicketId(id2.to_be_bytes::<32>()),
    };
    assert_eq!(ch.state.ticket(&t2).unwrap(), TicketState::Held(k));
    let out = ch.call_listing(
        &owner,
        k,
        "transfer(address,bytes32)",
        &[Tok::A(short_address(&bob)), Tok::B(id2)],
        None,
        &[bob],
    );
    assert!(out.is_success());
    assert_eq!(word(&out.output, 0), U256::from(1u8));
    assert_eq!(out.notes[0].pkr, bob);
    assert_eq!(ch.state.ticket(&t2).unwrap(), TicketState::InNotes);
    // Alice brings her kitty and gives it to Bob.
    let out = ch.call_listing(
        &alice,
        k,
        "give(address)",
        &[Tok::A(short_address(&bob))],
        Some(Asset::ticket(t)),
        &[bob],
    );
    assert!(out.is_success(), "{:?}", out.status);
    assert_eq!(
        out.notes,
        vec![sero_evm::Note {
            pkr: bob,
            asset: Asset::ticket(t)
        }]
    );
    // Ticket ids exist once: a third mint gets yet another id.
    let out = ch.call(&owner, k, "mint(address,uint256)", &[Tok::A(k), u(1)], None);
    let id3 = word(&out.output, 0);
    assert!(id3 != id && id3 != id2);
}

#[test]
fn relay_receives_a_ticket_and_sends_it_on() {
    let mut ch = Chain::default();
    let owner = pkr(7);
    let alice = pkr(8);
    let (k, _) = ch.deploy(&owner, "Kitty", &[], None);
    let (relay, _) = ch.deploy(&owner, "TicketRelay", &[], None);
    let (vault, _) = ch.deploy(&owner, "Vault", &[], None);
    let out = ch.call(
        &owner,
        k,
        "mint(address,uint256)",
        &[Tok::A(short_address(&owner)), u(1)],
        None,
    );
    let t = Ticket {
        category: kitty(),
        id: TicketId(word(&out.output, 0).to_be_bytes::<32>()),
    };
    assert_eq!(out.notes[0].asset, Asset::ticket(t));
    // The owner brings it to the relay, which sends it to Alice.
    let out = ch.call_listing(
        &owner,
        relay,
        "relay(address)",
        &[Tok::A(short_address(&alice))],
        Some(Asset::ticket(t)),
        &[alice],
    );
    assert!(out.is_success(), "{:?}", out.status);
    assert_eq!(
        out.notes,
        vec![sero_evm::Note {
            pkr: alice,
            asset: Asset::ticket(t)
        }]
    );
    // Alice relays it to a contract: its fallback runs and it holds it.
    let out = ch.call(
        &alice,
        relay,
        "relay(address)",
        &[Tok::A(vault)],
        Some(Asset::ticket(t)),
    );
    assert!(out.is_success(), "{:?}", out.status);
    assert!(out.notes.is_empty());
    assert_eq!(ch.state.ticket(&t).unwrap(), TicketState::Held(vault));
}

/// A Payer funded with COIN bought from a TokenSale.
fn payer_setup(ch: &mut Chain) -> (sero_evm::Address, sero_evm::Address, sero_evm::Address) {
    let owner = pkr(9);
    let (sale, _) = ch.deploy(&owner, "TokenSale", &[u(10)], None);
    assert!(ch
        .call(
            &owner,
            sale,
            "issue(uint256)",
            &[u(1_000_000)],
            Some(Asset::sero(ONE_SERO))
        )
        .is_success());
    let (payer, _) = ch.deploy(&owner, "Payer", &[], None);
    let (vault, _) = ch.deploy(&owner, "Vault", &[], None);
    let out = ch.call(&owner, sale, "buy()", &[], Some(Asset::sero(100)));
    assert_eq!(out.notes[0].asset, Asset::token(coin(), 1000));
    assert!(ch
        .call(
            &owner,
            payer,
            "fund()",
            &[],
            Some(Asset::token(coin(), 1000))
        )
        .is_success());
    assert!(ch
        .call(&owner, payer, "fund()", &[], Some(Asset::sero(50)))
        .is_success());
    (sale, payer, vault)
}

#[test]
fn set_call_values_moves_assets_between_contracts() {
    let mut ch = Chain::default();
    let (_, payer, vault) = payer_setup(&mut ch);
    let user = pkr(10);
    assert_eq!(ch.book(&payer, "COIN"), U256::from(1000u64));
    let out = ch.call(
        &user,
        payer,
        "pay(address,string,uint256)",
        &[Tok::A(vault), s("COIN"), u(300)],
        None,
    );
    assert!(out.is_success(), "{:?}", out.status);
    assert_eq!(ch.book(&payer, "COIN"), U256::from(700u64));
    assert_eq!(ch.book(&vault, "COIN"), U256::from(300u64));
    // The vault saw msg.value and sero_msg_currency.
    let out = ch.call(&user, vault, "received()", &[], None);
    assert_eq!(word(&out.output, 0), U256::from(300u64));
    let out = ch.call(&user, vault, "lastCurrency()", &[], None);
    assert_eq!(&out.output[64..68], b"COIN");
    // Lowercase names are uppercased for setCallValues.
    let out = ch.call(
        &user,
        payer,
        "pay(address,string,uint256)",
        &[Tok::A(vault), s("coin"), u(1)],
        None,
    );
    assert!(out.is_success());
    assert_eq!(ch.book(&vault, "COIN"), U256::from(301u64));
    // A plain CALL with value pays SERO.
    let out = ch.call(
        &user,
        payer,
        "paySero(address,uint256)",
        &[Tok::A(vault), u(20)],
        None,
    );
    assert_eq!(word(&out.output, 0), U256::from(1u8));
    assert_eq!(ch.book(&vault, "SERO"), U256::from(20u64));
    assert_eq!(ch.book(&payer, "SERO"), U256::from(30u64));
}

#[test]
fn airdrop_pays_listed_pkrs() {
    let mut ch = Chain::default();
    let owner = pkr(11);
    let (air, _) = ch.deploy(&owner, "Airdrop", &[], None);
    assert!(ch
        .call(&owner, air, "fund()", &[], Some(Asset::sero(1000)))
        .is_success());
    let rs: Vec<_> = (20..23).map(pkr).collect();
    let mut to: Vec<_> = rs.iter().map(short_address).collect();
    to.push(sero_evm::Address::repeat_byte(0x77)); // unknown: skipped
    let out = ch.call_listing(
        &owner,
        air,
        "drop(address[],string,uint256)",
        &[Tok::Addrs(to), s("SERO"), u(100)],
        None,
        &rs,
    );
    assert!(out.is_success(), "{:?}", out.status);
    assert_eq!(word(&out.output, 0), U256::from(3u8));
    let got: Vec<_> = out.notes.iter().map(|n| (n.pkr, n.asset)).collect();
    let want: Vec<_> = rs.iter().map(|p| (*p, Asset::sero(100))).collect();
    assert_eq!(got, want);
    assert_eq!(ch.book(&air, "SERO"), U256::from(700u64));
}
