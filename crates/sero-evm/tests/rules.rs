//! One negative test per SERO rule.

mod common;

use common::*;
use sero_assets::{Asset, Currency};
use sero_evm::{
    make_prefix, short_address, Action, Address, StateView, Status, SysTopic, FEE_SINK, ONE_SERO,
    U256,
};

fn halted(st: &Status, needle: &str) -> bool {
    matches!(st, Status::Halt(m) if m.contains(needle))
}

fn probe(ch: &mut Chain) -> Address {
    ch.deploy(&pkr(100), "Probe", &[], None).0
}

#[test]
fn every_system_topic_with_a_wrong_length_halts() {
    let mut ch = Chain::default();
    let p = probe(&mut ch);
    let from = pkr(101);
    for t in SysTopic::ALL {
        let Some(l) = t.data_len() else { continue };
        for bad in [l + 32, l - 32, l + 1] {
            let out = ch.call(
                &from,
                p,
                "rawLog(bytes32,uint256)",
                &[Tok::B(t.word()), u(bad as u128)],
                Some(Asset::sero(3)),
            );
            assert!(
                halted(&out.status, "data length"),
                "{t:?} L={bad}: {:?}",
                out.status
            );
            assert!(out.gas_used > 0);
            // The call's asset goes back to From.
            assert_eq!(out.notes[0].asset, Asset::sero(3));
            assert!(out.changes.is_empty());
        }
    }
    // With the right length, zeroed arguments are soft failures or plain
    // reads; transferPkg to an unknown address halts.
    for t in SysTopic::ALL {
        let l = t.data_len().unwrap_or(32);
        let out = ch.call(
            &from,
            p,
            "rawLog(bytes32,uint256)",
            &[Tok::B(t.word()), u(l as u128)],
            None,
        );
        match t {
            // transferPkg to address 0 (unknown) halts; closePkg of an
            // unknown package writes zeros.
            SysTopic::TransferPkg => {
                assert!(
                    halted(&out.status, "unknown address"),
                    "{t:?}: {:?}",
                    out.status
                )
            }
            // setTokenRate with an empty name halts.
            SysTopic::SetTokenRate => {
                assert!(halted(&out.status, "setTokenRate"), "{:?}", out.status)
            }
            _ => assert!(out.is_success(), "{t:?}: {:?}", out.status),
        }
    }
}

#[test]
fn close_pkg_needs_exactly_256_bytes() {
    let mut ch = Chain::default();
    let p = probe(&mut ch);
    // The published wrapper's L = 0xa0 halts (never a partial read or
    // write of the 256-byte region).
    let out = ch.call(
        &pkr(1),
        p,
        "rawLog(bytes32,uint256)",
        &[Tok::B(SysTopic::ClosePkg.word()), u(0xa0)],
        None,
    );
    assert!(halted(&out.status, "expected 256"), "{:?}", out.status);
    // Our SeroInterface wrapper passes 256: an unknown package is a soft
    // failure (zero words).
    let out = ch.call(&pkr(1), p, "closePkg()", &[], None);
    assert!(out.is_success(), "{:?}", out.status);
    assert_eq!(word(&out.output, 0), U256::ZERO);
}

#[test]
fn string_pointer_outside_memory_halts() {
    let mut ch = Chain::default();
    let p = probe(&mut ch);
    for ptr in [1u128 << 40, 1 << 100, u128::MAX, 0x10000] {
        let out = ch.call(&pkr(1), p, "badPointer(uint256)", &[u(ptr)], None);
        assert!(
            halted(&out.status, "pointer outside memory"),
            "{:?}",
            out.status
        );
    }
    let out = ch.call(&pkr(1), p, "badLength()", &[], None);
    assert!(
        halted(&out.status, "pointer outside memory"),
        "{:?}",
        out.status
    );
}

#[test]
fn system_call_under_staticcall_halts_the_static_frame() {
    let mut ch = Chain::default();
    let p = probe(&mut ch);
    let out = ch.call(&pkr(1), p, "staticSys()", &[], None);
    assert!(out.is_success());
    assert_eq!(
        word(&out.output, 0),
        U256::ZERO,
        "the static call must fail"
    );
    // Called directly, the same function works.
    let out = ch.call(&pkr(1), p, "sysBalance()", &[], None);
    assert!(out.is_success());
}

#[test]
fn log0_and_ordinary_logs_are_plain_logs() {
    let mut ch = Chain::default();
    let p = probe(&mut ch);
    let out = ch.call(&pkr(1), p, "log0Plain()", &[], None);
    assert!(out.is_success());
    assert_eq!(out.logs.len(), 1);
    assert!(out.logs[0].data.topics().is_empty());
    let out = ch.call(&pkr(1), p, "plainEvent()", &[], None);
    assert!(out.is_success());
    assert_eq!(out.logs.len(), 1);
    assert_eq!(out.logs[0].data.topics().len(), 1);
    // A system call leaves no log.
    let out = ch.call(&pkr(1), p, "txHash()", &[], None);
    assert!(out.is_success());
    assert!(out.logs.is_empty());
    let h = ch
        .env(&pkr(1), None, Action::Create { data: vec![] })
        .tx_hash;
    let _ = h;
    assert_eq!(out.output[31], 0xaa);
}

fn sale(ch: &mut Chain, owner: &sero_keys::OneTimeAddress) -> Address {
    let (a, _) = ch.deploy(owner, "TokenSale", &[u(10)], None);
    a
}

#[test]
fn bad_names_fail() {
    let mut ch = Chain::default();
    let owner = pkr(2);
    let a = sale(&mut ch, &owner);
    let long = "A".repeat(33);
    for name in ["coin", "XSEROX", "SERO", long.as_str(), "", "1AB", "A-B"] {
        let out = ch.call(
            &owner,
            a,
            "issueOther(uint256,string)",
            &[u(5), s(name)],
            Some(Asset::sero(ONE_SERO)),
        );
        assert!(out.is_success(), "{name}: {:?}", out.status);
        assert_eq!(word(&out.output, 0), U256::ZERO, "{name} must fail");
    }
    // No fee was kept for a failed issue: the SERO stays in the book.
    assert_eq!(ch.book(&FEE_SINK, "SERO"), U256::ZERO);
    // Ticket categories follow the same rule.
    let (k, _) = ch.deploy(&owner, "Kitty", &[], None);
    for name in ["kitty", "MYSERO", long.as_str()] {
        let out = ch.call(
            &owner,
            k,
            "mintCategory(address,string)",
            &[Tok::A(k), s(name)],
            None,
        );
        assert_eq!(word(&out.output, 0), U256::ZERO, "{name}");
    }
    // setTokenRate with a bad name halts.
    let p = probe(&mut ch);
    let out = ch.call(
        &owner,
        p,
        "setRate(string,uint256,uint256)",
        &[s("coin"), u(1), u(1)],
        None,
    );
    assert!(halted(&out.status, "setTokenRate"), "{:?}", out.status);
}

#[test]
fn first_registrant_wins_and_only_it_mints_more() {
    let mut ch = Chain::default();
    let owner = pkr(3);
    let a = sale(&mut ch, &owner);
    let b = sale(&mut ch, &owner);
    let fee = Some(Asset::sero(ONE_SERO));
    let out = ch.call(
        &owner,
        a,
        "issueOther(uint256,string)",
        &[u(5), s("GOLD")],
        fee,
    );
    assert_eq!(word(&out.output, 0), U256::from(1u8));
    let out = ch.call(
        &owner,
        b,
        "issueOther(uint256,string)",
        &[u(5), s("GOLD")],
        fee,
    );
    assert_eq!(word(&out.output, 0), U256::ZERO);
    assert_eq!(ch.book(&b, "GOLD"), U256::ZERO);
    // b keeps the SERO it brought (no fee for a refused issue).
    assert_eq!(ch.book(&b, "SERO"), U256::from(ONE_SERO));
    let out = ch.call(
        &owner,
        a,
        "issueOther(uint256,string)",
        &[u(7), s("GOLD")],
        None,
    );
    assert_eq!(word(&out.output, 0), U256::from(1u8));
    assert_eq!(ch.book(&a, "GOLD"), U256::from(12u8));
    // Same for ticket categories.
    let (k1, _) = ch.deploy(&owner, "Kitty", &[], None);
    let (k2, _) = ch.deploy(&owner, "Kitty", &[], None);
    let out = ch.call(
        &owner,
        k1,
        "mint(address,uint256)",
        &[Tok::A(k1), u(1)],
        None,
    );
    assert!(out.is_success());
    let out = ch.call(
        &owner,
        k2,
        "mint(address,uint256)",
        &[Tok::A(k2), u(1)],
        None,
    );
    assert_eq!(out.status, Status::Revert, "k2 cannot mint KITTY");
    // The fee needs SERO in the book.
    let c = sale(&mut ch, &owner);
    let out = ch.call(
        &owner,
        c,
        "issueOther(uint256,string)",
        &[u(5), s("SILVER")],
        Some(Asset::sero(ONE_SERO - 1)),
    );
    assert_eq!(word(&out.output, 0), U256::ZERO);
}

#[test]
fn ticket_moves_need_ownership() {
    let mut ch = Chain::default();
    let owner = pkr(4);
    let (k, _) = ch.deploy(&owner, "Kitty", &[], None);
    // transfer of a kitty the contract does not hold fails.
    let out = ch.call_listing(
        &owner,
        k,
        "transfer(address,bytes32)",
        &[Tok::A(short_address(&owner)), Tok::B(U256::from(5u8))],
        None,
        &[],
    );
    assert_eq!(word(&out.output, 0), U256::ZERO);
    assert!(out.notes.is_empty());
}

#[test]
fn a_contract_sends_no_more_than_its_book() {
    let mut ch = Chain::default();
    let owner = pkr(5);
    let a = sale(&mut ch, &owner);
    assert!(ch
        .call(
            &owner,
            a,
            "issue(uint256)",
            &[u(10)],
            Some(Asset::sero(ONE_SERO + 50))
        )
        .is_success());
    let out = ch.call(&owner, a, "withdraw(uint256)", &[u(51)], None);
    assert!(out.is_success());
    assert_eq!(word(&out.output, 0), U256::ZERO);
    assert!(out.notes.is_empty());
    let out = ch.call(&owner, a, "withdraw(uint256)", &[u(50)], None);
    assert_eq!(word(&out.output, 0), U256::from(1u8));
    assert_eq!(out.notes[0].asset, Asset::sero(50));
    assert_eq!(ch.book(&a, "SERO"), U256::ZERO);
}

#[test]
fn revert_undoes_books_tickets_and_notes_and_refunds_the_asset() {
    let mut ch = Chain::default();
    let owner = pkr(6);
    let buyer = pkr(7);
    let a = sale(&mut ch, &owner);
    assert!(ch
        .call(
            &owner,
            a,
            "issue(uint256)",
            &[u(1000)],
            Some(Asset::sero(ONE_SERO))
        )
        .is_success());
    let before = ch.state.state_root();
    let out = ch.call(&buyer, a, "buyThenRevert()", &[], Some(Asset::sero(30)));
    assert_eq!(out.status, Status::Revert);
    assert!(out.changes.is_empty());
    assert_eq!(
        out.notes,
        vec![sero_evm::Note {
            pkr: buyer,
            asset: Asset::sero(30)
        }]
    );
    assert_eq!(ch.state.state_root(), before);
    // An inner revert (callee of an asset CALL) keeps the caller's book.
    let (payer, _) = ch.deploy(&owner, "Payer", &[], None);
    let (vault, _) = ch.deploy(&owner, "Vault", &[], None);
    assert!(ch
        .call(&owner, payer, "fund()", &[], Some(Asset::sero(40)))
        .is_success());
    let out = ch.call(
        &owner,
        payer,
        "payReverting(address,string,uint256)",
        &[Tok::A(vault), s("SERO"), u(40)],
        None,
    );
    assert!(out.is_success());
    assert_eq!(word(&out.output, 0), U256::ZERO);
    assert_eq!(ch.book(&payer, "SERO"), U256::from(40u8));
    assert_eq!(ch.book(&vault, "SERO"), U256::ZERO);
    // A ticket brought into a reverted call goes back too.
    let (k, _) = ch.deploy(&owner, "Kitty", &[], None);
    let out = ch.call(
        &owner,
        k,
        "mint(address,uint256)",
        &[Tok::A(short_address(&owner)), u(1)],
        None,
    );
    let t = out.notes[0].asset.ticket.unwrap();
    let out = ch.call(&owner, a, "buyThenRevert()", &[], Some(Asset::ticket(t)));
    assert_eq!(out.status, Status::Revert);
    assert_eq!(out.notes[0].asset, Asset::ticket(t));
    assert_eq!(ch.state.ticket(&t).unwrap(), sero_evm::TicketState::InNotes);
}

#[test]
fn create_is_disabled_and_balance_is_zero() {
    let mut ch = Chain::default();
    let p = probe(&mut ch);
    let out = ch.call(&pkr(1), p, "createChild()", &[], None);
    assert!(halted(&out.status, "CREATE"), "{:?}", out.status);
    let owner = pkr(8);
    let a = sale(&mut ch, &owner);
    ch.call(
        &owner,
        a,
        "issue(uint256)",
        &[u(1)],
        Some(Asset::sero(2 * ONE_SERO)),
    );
    assert!(ch.book(&a, "SERO") > U256::ZERO);
    let out = ch.call(&pkr(1), p, "bal(address)", &[Tok::A(a)], None);
    assert!(out.is_success());
    assert_eq!(word(&out.output, 0), U256::ZERO);
}

#[test]
fn input_prefix_rules() {
    let mut ch = Chain::default();
    let p = probe(&mut ch);
    let from = pkr(1);
    // Too short: halts, asset refunded.
    let env = ch.env(
        &from,
        Some(Asset::sero(9)),
        Action::Call {
            to: p,
            data: vec![0u8; 17],
        },
    );
    let out = ch.run(&env);
    assert!(halted(&out.status, "prefix"), "{:?}", out.status);
    assert_eq!(out.notes[0].asset, Asset::sero(9));
    // Count says 1 PKr but none follows.
    let mut d = vec![0u8; 18];
    d[17] = 1;
    let out = ch.run(&ch.env(&from, None, Action::Call { to: p, data: d }));
    assert!(halted(&out.status, "prefix"));
    // Listed PKrs are registered in the short address table.
    let listed = pkr(55);
    let data = make_prefix([7; 16], &[listed], &calldata("txHash()", &[]));
    let out = ch.run(&ch.env(&from, None, Action::Call { to: p, data }));
    assert!(out.is_success());
    assert_eq!(
        ch.state.short_pkr(&short_address(&listed)).unwrap(),
        Some(listed.to_bytes())
    );
    assert_eq!(
        ch.state.short_pkr(&short_address(&from)).unwrap(),
        Some(from.to_bytes())
    );
    // A call to an address without code is refused.
    let out = ch.call(
        &from,
        Address::repeat_byte(3),
        "x()",
        &[],
        Some(Asset::sero(1)),
    );
    assert!(halted(&out.status, "without code"));
}

#[test]
fn token_rate_is_stored_for_registered_tokens() {
    let mut ch = Chain::default();
    let owner = pkr(9);
    let a = sale(&mut ch, &owner);
    let p = probe(&mut ch);
    let out = ch.call(
        &owner,
        p,
        "setRate(string,uint256,uint256)",
        &[s("COIN"), u(10), u(1)],
        None,
    );
    assert_eq!(
        word(&out.output, 0),
        U256::ZERO,
        "COIN is not registered yet"
    );
    ch.call(
        &owner,
        a,
        "issue(uint256)",
        &[u(10)],
        Some(Asset::sero(ONE_SERO + 1000)),
    );
    let out = ch.call(
        &owner,
        p,
        "setRate(string,uint256,uint256)",
        &[s("COIN"), u(10), u(1)],
        None,
    );
    assert_eq!(word(&out.output, 0), U256::from(1u8));
    let coin = Currency::new("COIN").unwrap();
    assert_eq!(
        ch.state.token_rate(&p, &coin).unwrap(),
        Some((U256::from(10u8), U256::from(1u8)))
    );
    // Gas on behalf: p has no SERO, so it cannot pay.
    assert_eq!(
        sero_evm::gas_on_behalf(&ch.state, &p, &coin, U256::from(100u8)).unwrap(),
        None
    );
}

#[test]
fn system_call_gas_is_log_gas_plus_the_extra_column() {
    let mut ch = Chain::default();
    let p = probe(&mut ch);
    let from = pkr(1);
    let gas_of = |ch: &mut Chain, topic: U256, len: u128| {
        let out = ch.call(
            &from,
            p,
            "rawLog(bytes32,uint256)",
            &[Tok::B(topic), u(len)],
            None,
        );
        assert!(out.is_success(), "{:?}", out.status);
        out.gas_used
    };
    for (t, extra) in [
        (SysTopic::IssueToken, 0u64),
        (SysTopic::BalanceOf, 0),
        (SysTopic::Send, 9000),
        (SysTopic::Currency, 0),
        (SysTopic::Category, 0),
        (SysTopic::Ticket, 0),
        (SysTopic::AllotTicket, 9000),
        (SysTopic::SetCallValues, 0),
        (SysTopic::TxHash, 0),
    ] {
        let l = t.data_len().unwrap_or(32) as u128;
        let sys = gas_of(&mut ch, t.word(), l);
        // A plain topic with as many non-zero bytes (same calldata gas).
        let plain = t.word() ^ (U256::from(0x80u8) << 248);
        assert!(SysTopic::from_word(&plain).is_none());
        let base = gas_of(&mut ch, plain, l);
        assert_eq!(sys, base + extra, "{t:?}");
    }
}

#[test]
fn an_inner_revert_drops_the_notes_of_its_frame() {
    let mut ch = Chain::default();
    let p = probe(&mut ch);
    let user = pkr(12);
    assert!(ch
        .call(&user, p, "fund()", &[], Some(Asset::sero(10)))
        .is_success());
    let out = ch.call(
        &user,
        p,
        "outer(address)",
        &[Tok::A(short_address(&user))],
        None,
    );
    assert!(out.is_success(), "{:?}", out.status);
    assert_eq!(word(&out.output, 0), U256::ZERO, "the inner call reverted");
    // Only the outer payment survives.
    assert_eq!(
        out.notes,
        vec![sero_evm::Note {
            pkr: user,
            asset: Asset::sero(2)
        }]
    );
    assert_eq!(ch.book(&p, "SERO"), U256::from(8u8));
}

#[test]
fn send_to_a_contract_runs_its_fallback_and_fails_if_it_fails() {
    let mut ch = Chain::default();
    let owner = pkr(13);
    let (air, _) = ch.deploy(&owner, "Airdrop", &[], None);
    let (vault, _) = ch.deploy(&owner, "Vault", &[], None); // payable fallback
    let (kitty, _) = ch.deploy(&owner, "Kitty", &[], None); // no fallback: reverts
    assert!(ch
        .call(&owner, air, "fund()", &[], Some(Asset::sero(100)))
        .is_success());
    let out = ch.call(
        &owner,
        air,
        "drop(address[],string,uint256)",
        &[Tok::Addrs(vec![vault, kitty, vault]), s("SERO"), u(10)],
        None,
    );
    assert!(out.is_success(), "{:?}", out.status);
    assert_eq!(word(&out.output, 0), U256::from(2u8));
    assert!(out.notes.is_empty());
    assert_eq!(ch.book(&vault, "SERO"), U256::from(20u8));
    assert_eq!(ch.book(&kitty, "SERO"), U256::ZERO);
    assert_eq!(ch.book(&air, "SERO"), U256::from(80u8));
}

#[test]
fn a_gas_limit_below_the_intrinsic_gas_is_an_invalid_transaction() {
    let mut ch = Chain::default();
    let p = probe(&mut ch);
    ch.gas_limit = 20_000;
    let env = ch.env(
        &pkr(1),
        None,
        Action::Call {
            to: p,
            data: make_prefix([0; 16], &[], &calldata("txHash()", &[])),
        },
    );
    let r = sero_evm::execute(&ch.state, &ch.cfg, &env);
    assert!(matches!(r, Err(sero_evm::ExecError::InvalidTx(_))), "{r:?}");
    // Out of gas during execution is a halt with the gas charged.
    ch.gas_limit = 24_000;
    let out = ch.call(
        &pkr(1),
        p,
        "rawLog(bytes32,uint256)",
        &[Tok::B(SysTopic::TxHash.word()), u(32)],
        Some(Asset::sero(4)),
    );
    assert!(matches!(out.status, Status::Halt(_)), "{:?}", out.status);
    assert_eq!(out.gas_used, 24_000);
    assert_eq!(out.notes[0].asset, Asset::sero(4));
}
