//! `sero_ClosePkg` and `sero_TransferPkg` through the engine, with the
//! sealed-bid auction of `contracts/SealedBidAuction.sol` (compiled by the
//! real solc): packages brought to a contract, opened there with a key
//! (the contents enter its book, the package is marked opened and its
//! ticket burnt), a wrong key refused with nothing changed, an unrevealed
//! package handed back as a note.

mod common;

use common::*;
use rand::SeedableRng;
use sero_assets::package::{package_ticket, seal_with, PackageContents, PackageKey, PackageRecord};
use sero_assets::{Asset, Currency};
use sero_crypto::Scalar;
use sero_evm::{StateKey, StateValue, StateView, Status, TicketState, U256};

const NETWORK: [u8; 32] = [0x5a; 32];

/// Puts a sealed package of `amount` SERO in the state (as a creating
/// transaction would) and returns its id and key.
fn package(ch: &mut Chain, n: u8, amount: u128) -> ([u8; 32], PackageKey) {
    let key = PackageKey([n; 32]);
    let contents = PackageContents {
        assets: vec![Asset::sero(amount)],
        data: vec![n; 10],
    };
    let sealed = seal_with(&contents, Scalar::from(n as u64 + 7), &key, &NETWORK).unwrap();
    let id = [n ^ 0xf0; 32];
    ch.state.set(
        StateKey::Package(id),
        Some(StateValue::Package(PackageRecord {
            opened: false,
            height: 1,
            creator: [n; 20],
            sealed,
        })),
    );
    (id, key)
}

fn b32(x: &[u8; 32]) -> Tok {
    Tok::B(U256::from_be_bytes(*x))
}

#[test]
fn sealed_bid_auction_opens_packages_in_the_contract() {
    let _ = rand_chacha::ChaCha20Rng::seed_from_u64(0);
    let mut ch = Chain::default();
    ch.cfg.network = NETWORK;
    let seller = pkr(1);
    let bidders = [pkr(2), pkr(3), pkr(4)];
    let (auction, _) = ch.deploy(&seller, "SealedBidAuction", &[], None);
    let out = ch.call(&seller, auction, "mintLot()", &[], None);
    assert_eq!(out.status, Status::Success, "{:?}", out.status);

    // A package that is not brought is not a bid; a plain ticket is not
    // a package.
    let mut pkgs = vec![];
    for (b, amount) in bidders.iter().zip([300u128, 500, 400]) {
        let (id, key) = package(&mut ch, 10 + pkgs.len() as u8, amount);
        let out = ch.call(
            b,
            auction,
            "bid()",
            &[],
            Some(Asset::ticket(package_ticket(&id))),
        );
        assert_eq!(out.status, Status::Success, "{:?}", out.status);
        assert_eq!(
            ch.state.ticket(&package_ticket(&id)).unwrap(),
            TicketState::Held(auction)
        );
        pkgs.push((id, key));
    }
    let out = ch.call(&seller, auction, "close()", &[], None);
    assert!(out.is_success());

    // A wrong key: reverted, the package still sealed and held.
    let root = ch.state.state_root();
    let out = ch.call(
        &bidders[0],
        auction,
        "reveal(bytes32,bytes32)",
        &[b32(&pkgs[0].0), b32(&[0x99; 32])],
        None,
    );
    assert_eq!(out.status, Status::Revert);
    assert!(out.changes.is_empty());
    assert_eq!(ch.state.state_root(), root);

    // The right keys for the first two: contents in the book, opened.
    for (b, (id, key)) in bidders.iter().zip(&pkgs).take(2) {
        let out = ch.call(
            b,
            auction,
            "reveal(bytes32,bytes32)",
            &[b32(id), b32(&key.0)],
            None,
        );
        assert_eq!(out.status, Status::Success, "{:?}", out.status);
        let r = ch.state.package(id).unwrap().unwrap();
        assert!(r.opened);
        assert_eq!(
            ch.state.ticket(&package_ticket(id)).unwrap(),
            TicketState::Unknown,
            "the package ticket is burnt"
        );
    }
    assert_eq!(ch.book(&auction, "SERO"), U256::from(800u64));
    // Revealing again: refused by the contract (and the package is opened).
    let out = ch.call(
        &bidders[1],
        auction,
        "reveal(bytes32,bytes32)",
        &[b32(&pkgs[1].0), b32(&pkgs[1].1 .0)],
        None,
    );
    assert_eq!(out.status, Status::Revert);

    // Finish: Bob wins the lot, the seller gets 500, Alice 300 back, and
    // Carol's package comes back to her as a note, still sealed.
    let out = ch.call(&seller, auction, "finish()", &[], None);
    assert_eq!(out.status, Status::Success, "{:?}", out.status);
    assert_eq!(ch.book(&auction, "SERO"), U256::ZERO);
    let note_to = |p: &sero_keys::OneTimeAddress| -> Vec<Asset> {
        out.notes
            .iter()
            .filter(|n| n.pkr == *p)
            .map(|n| n.asset)
            .collect()
    };
    assert_eq!(note_to(&seller), vec![Asset::sero(500)]);
    assert_eq!(note_to(&bidders[0]), vec![Asset::sero(300)]);
    let lot = note_to(&bidders[1]);
    assert_eq!(lot.len(), 1);
    assert_eq!(lot[0].ticket.unwrap().category.name(), "LOT");
    assert_eq!(
        note_to(&bidders[2]),
        vec![Asset::ticket(package_ticket(&pkgs[2].0))]
    );
    assert_eq!(
        ch.state.ticket(&package_ticket(&pkgs[2].0)).unwrap(),
        TicketState::InNotes
    );
    assert!(!ch.state.package(&pkgs[2].0).unwrap().unwrap().opened);
    let _ = Currency::sero();
}

#[test]
fn close_pkg_without_the_ticket_or_with_another_network_fails_softly() {
    let mut ch = Chain::default();
    ch.cfg.network = NETWORK;
    let seller = pkr(1);
    let (auction, _) = ch.deploy(&seller, "SealedBidAuction", &[], None);
    assert!(ch
        .call(&seller, auction, "mintLot()", &[], None)
        .is_success());
    let (id, key) = package(&mut ch, 40, 100);
    // Not brought to the contract: it does not hold the ticket. The bid
    // check fails first (no package in the call), so bring another one and
    // try to open this one.
    let (other, _) = package(&mut ch, 41, 100);
    assert!(ch
        .call(
            &pkr(2),
            auction,
            "bid()",
            &[],
            Some(Asset::ticket(package_ticket(&other)))
        )
        .is_success());
    assert!(ch.call(&seller, auction, "close()", &[], None).is_success());
    let out = ch.call(
        &pkr(2),
        auction,
        "reveal(bytes32,bytes32)",
        &[b32(&id), b32(&key.0)],
        None,
    );
    assert_eq!(out.status, Status::Revert, "not a bid here");
    // Sealed for another network: the contract's key check fails.
    ch.cfg.network = [0; 32];
    let (_, okey) = (other, PackageKey([41; 32]));
    let out = ch.call(
        &pkr(2),
        auction,
        "reveal(bytes32,bytes32)",
        &[b32(&other), b32(&okey.0)],
        None,
    );
    assert_eq!(out.status, Status::Revert);
    ch.cfg.network = NETWORK;
    let out = ch.call(
        &pkr(2),
        auction,
        "reveal(bytes32,bytes32)",
        &[b32(&other), b32(&okey.0)],
        None,
    );
    assert_eq!(out.status, Status::Success, "{:?}", out.status);
    assert_eq!(ch.book(&auction, "SERO"), U256::from(100u64));
}
