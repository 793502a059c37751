//! The fuzz harnesses of `sero_evm::fuzz` (also run by the cargo-fuzz
//! targets in `fuzz/`) on a few hundred random inputs each, so that CI
//! exercises them: no panic, gas used ≤ limit, a reverted or halted
//! transaction or frame leaves books, tickets and notes unchanged, SERO is
//! conserved (the harnesses assert all of it).

use proptest::prelude::*;
use sero_evm::fuzz;

/// Header bytes of the system-call harness, then data biased to small
/// words (pointers and lengths that land inside memory).
fn syscall_input() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec(any::<u8>(), 6),
        proptest::collection::vec(prop_oneof![Just(0u8), 0u8..64, any::<u8>()], 0..400),
    )
        .prop_map(|(mut h, d)| {
            h.extend(d);
            h
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn system_call_data(input in syscall_input()) {
        fuzz::syscall(&input);
    }

    #[test]
    fn calldata_and_bytecode(input in proptest::collection::vec(any::<u8>(), 0..400)) {
        fuzz::engine(&input);
    }
}

/// Every system topic, directly and nested, with each ending, over the
/// patched-in names and addresses: the harness's own corners.
#[test]
fn every_topic_and_ending() {
    for topic in 0..13u8 {
        for flags in [0u8, 0x04, 0x08, 0x20, 0x24, 0x28, 0x40, 0x64] {
            for addr in 0..6u8 {
                for ptr in [0u8, 0x05, 0x0f] {
                    let mut input = vec![topic, 0, flags, addr | 0x80, ptr, topic % 4];
                    input.extend_from_slice(&[0u8; 31]);
                    input.push(9);
                    fuzz::syscall(&input);
                }
            }
        }
    }
}

/// The harness reaches real work: `send` of 5 SERO to a registered PKr
/// pays a note; the same inside a reverting nested frame leaves nothing.
#[test]
fn harness_reaches_a_payment() {
    let mut data = vec![0u8; 160];
    data[95] = 5; // amount (word 2)
                  // topic send, exact length, LOG1 STOP direct, payee PKr, "SERO" and "TKT" pointers, no asset
    let mut input = vec![2, 0, 0x00, 2, 0b0101, 0];
    input.extend_from_slice(&data);
    let out = fuzz::syscall(&input);
    assert!(out.is_success(), "{:?}", out.status);
    assert_eq!(out.notes.len(), 1);
    assert_eq!(out.notes[0].asset.value, 5);
    assert!(!out.changes.is_empty());
    // Nested, the victim reverting after paying: success, nothing survives.
    input[2] = 0x20 | 0x04;
    let out = fuzz::syscall(&input);
    assert!(out.is_success(), "{:?}", out.status);
    assert!(out.notes.is_empty());
    assert!(out.changes.is_empty());
}

/// `StateKey`'s derived order is the order of its encoding (change sets
/// are sorted by the former, the state root by the latter).
#[test]
fn key_order_is_encoding_order() {
    use sero_assets::{Category, Currency, Ticket, TicketId};
    use sero_evm::{Address, StateKey, B256, U256};
    let a = |b: u8| Address::repeat_byte(b);
    let c = |n: &str| Currency::new(n).unwrap();
    let mut keys = vec![];
    for x in [0u8, 1, 0x7f, 0x80, 0xff] {
        keys.push(StateKey::Account(a(x)));
        keys.push(StateKey::Code(B256::repeat_byte(x)));
        for slot in [
            U256::ZERO,
            U256::from(x),
            U256::from(1u64) << 200,
            U256::MAX,
        ] {
            keys.push(StateKey::Storage(a(x), slot));
        }
        for cur in ["SERO", "COIN", "A", "Z9_"] {
            keys.push(StateKey::Book(a(x), c(cur)));
            keys.push(StateKey::Rate(a(x), c(cur)));
            keys.push(StateKey::TokenOwner(c(cur)));
            keys.push(StateKey::CategoryOwner(Category::new(cur).unwrap()));
            keys.push(StateKey::Ticket(Ticket {
                category: Category::new(cur).unwrap(),
                id: TicketId([x; 32]),
            }));
        }
        keys.push(StateKey::ShortAddr(a(x)));
        keys.push(StateKey::TicketNonce(a(x)));
    }
    keys.push(StateKey::ContractNonce);
    let mut by_ord = keys.clone();
    by_ord.sort();
    let mut by_bytes = keys;
    by_bytes.sort_by_key(|k| k.encode());
    assert_eq!(by_ord, by_bytes);
}

/// Regressions found by the cargo-fuzz targets (`fuzz/`).
#[test]
fn fuzz_regressions() {
    // evm_engine: stored code starting with EIP-7702's 0xef01 made revm's
    // `Bytecode::new_raw` panic on load. It is legacy code (an invalid
    // opcode) under SERO's spec.
    let out = fuzz::engine(&[0xff, 0xff, 0xff, 0xef, 0x01]);
    assert!(!out.is_success());
    // The same code deployed by a creation, then called.
    for runtime in [
        vec![0xef, 0x01],
        [&[0xef, 0x01, 0x00][..], &[0x42; 20]].concat(),
    ] {
        // init code: CODECOPY the runtime after it and RETURN it.
        let n = runtime.len() as u8;
        let mut init = vec![
            0x60, n, 0x80, 0x60, 0x0b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3,
        ];
        init.extend_from_slice(&runtime);
        let mut input = vec![1, 0, 255];
        input.extend_from_slice(&init);
        let out = fuzz::engine(&input);
        assert!(out.is_success(), "{:?}", out.status);
        // A call to it, through the stored state.
        let mut state = sero_evm::MemState::new();
        state.apply(&out.changes);
        let to = out.created.unwrap();
        let mut rng = <rand_chacha::ChaCha20Rng as rand::SeedableRng>::seed_from_u64(1);
        let from = sero_keys::SecretKey::from_seed(&sero_keys::Seed::random(&mut rng))
            .payment_address()
            .derive_pkr(&mut rng);
        let env = sero_evm::Env {
            height: 2,
            time: 2,
            tx_hash: [1; 32],
            gas_limit: 100_000,
            from,
            asset: None,
            action: sero_evm::Action::Call {
                to,
                data: sero_evm::make_prefix([0; 16], &[], &[]),
            },
        };
        let call = sero_evm::execute(&state, &sero_evm::EvmConfig::default(), &env).unwrap();
        assert!(
            matches!(call.status, sero_evm::Status::Halt(_)),
            "{:?}",
            call.status
        );
    }
}
