//! Property tests: supply is conserved over random call sequences, and no
//! input makes the engine panic.

mod common;

use common::*;
use proptest::prelude::*;
use sero_assets::{Asset, Currency};
use sero_evm::{
    execute, make_prefix, Action, Address, StateKey, StateValue, StateView, SysTopic, ONE_SERO,
    U256,
};
use std::collections::BTreeMap;

/// Σ books per currency over the whole state.
fn books(ch: &Chain) -> BTreeMap<Currency, U256> {
    let mut m = BTreeMap::new();
    for (k, v) in ch.state.iter() {
        if let (StateKey::Book(_, c), StateValue::Word(w)) = (k, v) {
            *m.entry(*c).or_insert(U256::ZERO) += *w;
        }
    }
    m
}

#[derive(Clone, Debug)]
enum Op {
    Buy(u16),
    BuyRevert(u16),
    Withdraw(u16),
    Fund(u16),
    Pay(u16),
    PayReverting(u16),
    PaySero(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        any::<u16>().prop_map(Op::Buy),
        any::<u16>().prop_map(Op::BuyRevert),
        any::<u16>().prop_map(Op::Withdraw),
        any::<u16>().prop_map(Op::Fund),
        any::<u16>().prop_map(Op::Pay),
        any::<u16>().prop_map(Op::PayReverting),
        any::<u16>().prop_map(Op::PaySero),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// notes created + books = assets brought in + minted, per currency.
    #[test]
    fn supply_is_conserved(ops in proptest::collection::vec(op(), 1..12)) {
        let mut ch = Chain::default();
        let owner = pkr(1);
        let user = pkr(2);
        let minted = 1_000_000u128;
        let mut brought: BTreeMap<Currency, U256> = BTreeMap::new();
        let mut noted: BTreeMap<Currency, U256> = BTreeMap::new();
        let mut track = |ch: &mut Chain, from: &sero_keys::OneTimeAddress, to: Address, sig: &str, args: &[Tok], asset: Option<Asset>, brought: &mut BTreeMap<Currency, U256>| {
            if let Some(a) = asset {
                *brought.entry(a.currency).or_insert(U256::ZERO) += U256::from(a.value);
            }
            let out = ch.call(from, to, sig, args, asset);
            for n in &out.notes {
                *noted.entry(n.asset.currency).or_insert(U256::ZERO) += U256::from(n.asset.value);
            }
        };
        let (sale, _) = ch.deploy(&owner, "TokenSale", &[u(10)], None);
        let (payer, _) = ch.deploy(&owner, "Payer", &[], None);
        let (vault, _) = ch.deploy(&owner, "Vault", &[], None);
        track(&mut ch, &owner, sale, "issue(uint256)", &[u(minted)], Some(Asset::sero(ONE_SERO)), &mut brought);
        for o in ops {
            match o {
                Op::Buy(x) => track(&mut ch, &user, sale, "buy()", &[], Some(Asset::sero(x as u128)), &mut brought),
                Op::BuyRevert(x) => track(&mut ch, &user, sale, "buyThenRevert()", &[], Some(Asset::sero(x as u128)), &mut brought),
                Op::Withdraw(x) => track(&mut ch, &owner, sale, "withdraw(uint256)", &[u(x as u128)], None, &mut brought),
                Op::Fund(x) => track(&mut ch, &user, payer, "fund()", &[], Some(Asset::token(Currency::new("COIN").unwrap(), x as u128)), &mut brought),
                Op::Pay(x) => track(&mut ch, &user, payer, "pay(address,string,uint256)", &[Tok::A(vault), s("COIN"), u(x as u128)], None, &mut brought),
                Op::PayReverting(x) => track(&mut ch, &user, payer, "payReverting(address,string,uint256)", &[Tok::A(vault), s("COIN"), u(x as u128)], None, &mut brought),
                Op::PaySero(x) => track(&mut ch, &user, payer, "paySero(address,uint256)", &[Tok::A(vault), u(x as u128)], None, &mut brought),
            }
        }
        let b = books(&ch);
        for cur in [Currency::sero(), Currency::new("COIN").unwrap()] {
            let lhs = noted.get(&cur).copied().unwrap_or_default() + b.get(&cur).copied().unwrap_or_default();
            let mut rhs = brought.get(&cur).copied().unwrap_or_default();
            if cur.name() == "COIN" {
                rhs += U256::from(minted);
            }
            prop_assert_eq!(lhs, rhs, "currency {}", cur);
        }
    }

    /// Random calldata to every example contract never panics.
    #[test]
    fn random_calldata_never_panics(data in proptest::collection::vec(any::<u8>(), 0..300), which in 0usize..4, value in any::<u64>()) {
        let mut ch = Chain::default();
        let owner = pkr(3);
        let names = ["TokenSale", "Kitty", "Payer", "Probe"];
        let args: &[Tok] = if which == 0 { &[Tok::U(U256::from(3u8))] } else { &[] };
        let (a, _) = ch.deploy(&owner, names[which], args, None);
        let env = ch.env(&owner, Some(Asset::sero(value as u128)), Action::Call { to: a, data: make_prefix([0; 16], &[], &data) });
        prop_assert!(execute(&ch.state, &ch.cfg, &env).is_ok());
        // Raw data, prefix included, too.
        let env = ch.env(&owner, None, Action::Call { to: a, data: data.clone() });
        prop_assert!(execute(&ch.state, &ch.cfg, &env).is_ok());
    }

    /// Random system calls (topic, length, offset, memory contents and
    /// pointers) as init code never panic.
    #[test]
    fn random_system_calls_never_panic(steps in proptest::collection::vec((0usize..13, any::<[u8; 32]>(), 0u64..400, prop_oneof![0u64..512, any::<u64>()], 0u64..256, 1u8..5), 1..8)) {
        let mut code = Vec::new();
        for (t, word, len, off, store_at, n) in steps {
            // MSTORE(store_at, word)
            code.push(0x7f);
            code.extend_from_slice(&word);
            code.push(0x61);
            code.extend_from_slice(&(store_at as u16).to_be_bytes());
            code.push(0x52);
            // extra topics
            for _ in 1..n {
                code.extend_from_slice(&[0x60, 0x01]);
            }
            let topic = if t < SysTopic::ALL.len() { SysTopic::ALL[t].word() } else { U256::from(7u8) };
            code.push(0x7f);
            code.extend_from_slice(&topic.to_be_bytes::<32>());
            code.push(0x67);
            code.extend_from_slice(&len.to_be_bytes());
            code.push(0x67);
            code.extend_from_slice(&off.to_be_bytes());
            code.push(0xa0 + n);
        }
        code.push(0x00);
        let ch = Chain::default();
        let env = ch.env(&pkr(4), Some(Asset::sero(5)), Action::Create { data: make_prefix([0; 16], &[], &code) });
        let out = execute(&ch.state, &ch.cfg, &env);
        prop_assert!(out.is_ok());
    }
}

#[test]
fn state_root_changes_with_state_and_undo_restores_it() {
    let mut ch = Chain::default();
    let owner = pkr(1);
    let r0 = ch.state.state_root();
    let (sale, out) = ch.deploy(&owner, "TokenSale", &[u(10)], None);
    let r1 = ch.state.state_root();
    assert_ne!(r0, r1);
    let out2 = ch.call(
        &owner,
        sale,
        "issue(uint256)",
        &[u(5)],
        Some(Asset::sero(ONE_SERO)),
    );
    assert!(out2.is_success());
    assert_ne!(ch.state.state_root(), r1);
    ch.state.undo(&out2.changes);
    assert_eq!(ch.state.state_root(), r1);
    ch.state.undo(&out.changes);
    assert_eq!(ch.state.state_root(), r0);
    assert!(ch.state.is_empty());
    // Keys and values round-trip through their byte encodings.
    ch.state.apply(&out.changes);
    ch.state.apply(&out2.changes);
    for (k, v) in ch.state.iter() {
        let kb = k.encode();
        let k2 = StateKey::decode(&kb).unwrap();
        assert_eq!(&k2, k);
        assert_eq!(&StateValue::decode(k, &v.encode()).unwrap(), v);
    }
    assert!(ch.state.contract_nonce().unwrap() >= 1);
}
