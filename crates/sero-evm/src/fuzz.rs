//! Fuzzing harnesses, shared by the cargo-fuzz targets in `fuzz/` and the
//! property test `tests/fuzz.rs`: each takes arbitrary bytes, runs the
//! engine on them over a small fixed state and panics if a property fails:
//!
//! * the engine never panics and returns `Ok` (the fixture holds no
//!   malformed entries, so no store error can arise);
//! * gas used ≤ the gas limit;
//! * a transaction that reverts or halts leaves the state unchanged (books,
//!   tickets, registries, storage; only the contract nonce of a creation
//!   moves) and creates no note but the refund of its asset to `From`;
//! * a frame that reverts or halts inside a successful transaction leaves
//!   nothing of its own (no change outside the calling wrapper's book, no
//!   note);
//! * SERO is conserved: books plus notes after = books before plus the
//!   SERO the call brings.

use crate::address::{short_address, FEE_SINK};
use crate::exec::{execute, make_prefix, Action, Env, EvmConfig, ExecutionOutcome, Status};
use crate::instructions::SysTopic;
use crate::state::{MemState, StateKey, StateValue};
use crate::{engine_keccak, Address, Bytes, B256, U256};
use sero_assets::{Asset, Category, Currency, Ticket, TicketId};
use sero_keys::{OneTimeAddress, SecretKey, Seed};
use std::sync::OnceLock;

/// The contract that runs the fuzzed system call.
pub const VICTIM: Address = Address::new([0x11; 20]);
/// The contract that calls [`VICTIM`] in nested mode.
pub const WRAPPER: Address = Address::new([0x22; 20]);
/// A contract whose code is STOP (a payee with a fallback).
pub const SINK: Address = Address::new([0x33; 20]);

const GAS_LIMIT: u64 = 1_000_000;
const BOOK: u64 = 1_000_000;

struct Fixture {
    state: MemState,
    from: OneTimeAddress,
    payee: OneTimeAddress,
    coin: Currency,
    ticket: Ticket,
}

fn pkr(seed: u8, r: u64) -> OneTimeAddress {
    SecretKey::from_seed(&Seed::from_bytes([seed; 32]))
        .payment_address()
        .derive_pkr_with(&sero_crypto::Scalar::from(r))
}

fn set_code(state: &mut MemState, a: Address, code: &[u8]) {
    let h = B256::from(engine_keccak(code));
    state.set(
        StateKey::Account(a),
        Some(StateValue::Account {
            nonce: 1,
            code_hash: h,
        }),
    );
    state.set(
        StateKey::Code(h),
        Some(StateValue::Code(Bytes::copy_from_slice(code))),
    );
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let from = pkr(1, 1);
        let payee = pkr(2, 2);
        let coin = Currency::new("COIN").expect("name");
        let ticket = Ticket {
            category: Category::new("TKT").expect("name"),
            id: TicketId([7; 32]),
        };
        let mut s = MemState::new();
        for p in [from, payee] {
            s.set(
                StateKey::ShortAddr(short_address(&p)),
                Some(StateValue::Pkr(p.to_bytes())),
            );
        }
        set_code(&mut s, SINK, &[0x00]);
        for a in [VICTIM, WRAPPER] {
            for c in [Currency::sero(), coin] {
                s.set(
                    StateKey::Book(a, c),
                    Some(StateValue::Word(U256::from(BOOK))),
                );
            }
        }
        s.set(StateKey::TokenOwner(coin), Some(StateValue::Owner(VICTIM)));
        s.set(
            StateKey::CategoryOwner(ticket.category),
            Some(StateValue::Owner(VICTIM)),
        );
        s.set(
            StateKey::Ticket(ticket),
            Some(StateValue::TicketHolder(Some(VICTIM))),
        );
        Fixture {
            state: s,
            from,
            payee,
            coin,
            ticket,
        }
    })
}

/// Reads fuzz input front to back; missing bytes are zeros.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
}

fn asset(sel: u8) -> Option<Asset> {
    let f = fixture();
    match sel % 4 {
        0 => None,
        1 => Some(Asset::sero(1 + sel as u128)),
        2 => Some(Asset::token(f.coin, 5)),
        // A ticket that is in the notes (unknown to the state: it enters).
        _ => Some(Asset {
            currency: Currency::sero(),
            value: 0,
            ticket: Some(Ticket {
                category: f.ticket.category,
                id: TicketId([9; 32]),
            }),
        }),
    }
}

fn sero_total(state: &MemState) -> U256 {
    state
        .iter()
        .filter_map(|(k, v)| match (k, v) {
            (StateKey::Book(_, c), StateValue::Word(w)) if *c == Currency::sero() => Some(*w),
            _ => None,
        })
        .fold(U256::ZERO, |a, b| a + b)
}

/// The checks every run ends with.
fn check(state: &MemState, env: &Env, out: &ExecutionOutcome) {
    assert!(
        out.gas_used <= env.gas_limit,
        "gas used {} > limit {}",
        out.gas_used,
        env.gas_limit
    );
    let refund: Vec<_> = match env.asset {
        Some(a) if a.value != 0 || a.ticket.is_some() => vec![a],
        _ => vec![],
    };
    if out.status != Status::Success {
        assert!(
            out.changes
                .changes
                .iter()
                .all(|c| c.key == StateKey::ContractNonce),
            "a failed transaction changed the state: {:?}",
            out.changes
        );
        let notes: Vec<_> = out.notes.iter().map(|n| n.asset).collect();
        assert_eq!(notes, refund, "a failed transaction's notes");
        assert!(out.notes.iter().all(|n| n.pkr == env.from));
        assert!(out.logs.is_empty());
        return;
    }
    // SERO conservation over the applied change set.
    let mut after = state.clone();
    after.apply(&out.changes);
    let brought = match env.asset {
        Some(a) if a.currency == Currency::sero() => U256::from(a.value),
        _ => U256::ZERO,
    };
    let noted = out
        .notes
        .iter()
        .filter(|n| n.asset.currency == Currency::sero())
        .fold(U256::ZERO, |a, n| a + U256::from(n.asset.value));
    assert_eq!(
        sero_total(&after) + noted,
        sero_total(state) + brought,
        "SERO not conserved (fee sink {FEE_SINK})"
    );
}

/// Fuzz target (a): one SERO system call with arbitrary data; returns the
/// outcome (after the checks).
///
/// Input: `topic, len_mode, flags, address_sel, pointer_mask, asset_sel,
/// data...`. [`VICTIM`] (holding SERO, COIN and a ticket, COIN's and the
/// ticket category's registrant) copies its calldata (`data`, with the
/// chosen address and pointer words patched in) to memory 0 and runs
/// `LOGn(0, len)` with the chosen system topic as first topic, then
/// optionally a plain CALL to [`SINK`] (which spends an asset armed by
/// `setCallValues`), then ends with STOP, REVERT or INVALID. In nested mode
/// the transaction calls [`WRAPPER`], which calls the victim and returns.
pub fn syscall(input: &[u8]) -> ExecutionOutcome {
    let f = fixture();
    let mut inp = Input(input);
    let topic_sel = inp.byte();
    let len_mode = inp.byte();
    let flags = inp.byte();
    let addr_sel = inp.byte();
    let ptr_mask = inp.byte();
    let asset_sel = inp.byte();
    let mut data = inp.0.to_vec();

    let n_topics = 1 + (flags & 3) as usize; // LOG1..LOG4
    let ending = ((flags >> 2) & 3) % 3; // STOP, REVERT, INVALID
    let nested = flags & 0x20 != 0;
    let call_after = flags & 0x40 != 0;
    let topic = SysTopic::ALL.get(topic_sel as usize % 13).copied();
    let topic_word = topic.map(|t| t.word()).unwrap_or(U256::from(topic_sel));
    let exact = topic.and_then(|t| t.data_len());
    let len = match (len_mode % 4, exact) {
        (0..=2, Some(l)) => l,
        _ => data.len().min(4096) + (len_mode as usize >> 2),
    };

    // Solidity strings after the call's data: "SERO", "COIN", "TKT", "".
    let base = len.div_ceil(32) * 32;
    data.resize(base, 0);
    let strings: [&[u8]; 4] = [b"SERO", b"COIN", b"TKT", b""];
    let str_at = |i: usize| base + 64 * i;
    let mut tail = vec![0u8; 64 * strings.len()];
    for (i, s) in strings.iter().enumerate() {
        tail[64 * i + 31] = s.len() as u8;
        tail[64 * i + 32..64 * i + 32 + s.len()].copy_from_slice(s);
    }
    data.extend_from_slice(&tail);
    let put = |data: &mut Vec<u8>, w: usize, v: U256| {
        data[32 * w..32 * w + 32].copy_from_slice(&v.to_be_bytes::<32>());
    };
    // Words that hold string pointers, and the word that holds an address.
    let (ptrs, addr): (&[usize], Option<usize>) = match topic {
        Some(SysTopic::IssueToken) | Some(SysTopic::BalanceOf) => (&[0], None),
        Some(SysTopic::SetTokenRate) => (&[0], None),
        Some(SysTopic::Send) => (&[1, 3], Some(0)),
        Some(SysTopic::AllotTicket) => (&[2], Some(1)),
        Some(SysTopic::SetCallValues) => (&[0, 2], None),
        _ => (&[], None),
    };
    for (k, w) in ptrs.iter().enumerate() {
        if 32 * w + 32 <= base && ptr_mask >> (2 * k) & 1 != 0 {
            let which = (ptr_mask >> (2 * k + 1) & 1) as usize + 2 * (k % 2);
            put(&mut data, *w, U256::from(str_at(which % 4)));
        }
    }
    if let Some(w) = addr {
        if 32 * w + 32 <= base {
            let a = match addr_sel % 6 {
                0 => Some(VICTIM),
                1 => Some(SINK),
                2 => Some(short_address(&f.payee)),
                3 => Some(Address::repeat_byte(0x77)), // unknown
                4 => Some(WRAPPER),
                _ => None, // the fuzzed word
            };
            if let Some(a) = a {
                put(&mut data, w, U256::from_be_slice(a.as_slice()));
            }
        }
        // The ticket of allotTicket (word 0): the victim's, or fuzzed.
        if topic == Some(SysTopic::AllotTicket) && addr_sel & 0x80 != 0 {
            put(&mut data, 0, U256::from_be_bytes(f.ticket.id.0));
        }
    }

    // The victim's code.
    let mut code = vec![0x36, 0x60, 0x00, 0x60, 0x00, 0x37]; // CALLDATACOPY(0, 0, size)
    for _ in 1..n_topics {
        code.extend_from_slice(&[0x60, 0x01]);
    }
    code.push(0x7f);
    code.extend_from_slice(&topic_word.to_be_bytes::<32>());
    code.push(0x67);
    code.extend_from_slice(&(len as u64).to_be_bytes());
    code.extend_from_slice(&[0x60, 0x00]);
    code.push(0xa0 + n_topics as u8);
    if call_after {
        // CALL(gas, SINK, 0, 0, 0, 0, 0); POP
        code.extend_from_slice(&[0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00]);
        code.push(0x73);
        code.extend_from_slice(SINK.as_slice());
        code.extend_from_slice(&[0x5a, 0xf1, 0x50]);
    }
    match ending {
        0 => code.push(0x00),
        1 => code.extend_from_slice(&[0x60, 0x00, 0x60, 0x00, 0xfd]),
        _ => code.push(0xfe),
    }
    // The wrapper: CALL(gas, VICTIM, 0, 0, calldatasize, 0, 0); POP; STOP.
    let mut wrapper = vec![0x36, 0x60, 0x00, 0x60, 0x00, 0x37];
    wrapper.extend_from_slice(&[0x60, 0x00, 0x60, 0x00, 0x36, 0x60, 0x00, 0x60, 0x00]);
    wrapper.push(0x73);
    wrapper.extend_from_slice(VICTIM.as_slice());
    wrapper.extend_from_slice(&[0x5a, 0xf1, 0x50, 0x00]);

    let mut state = f.state.clone();
    set_code(&mut state, VICTIM, &code);
    set_code(&mut state, WRAPPER, &wrapper);
    let to = if nested { WRAPPER } else { VICTIM };
    let env = Env {
        height: 10,
        time: 1_700_000_000,
        tx_hash: [0xab; 32],
        gas_limit: GAS_LIMIT,
        from: f.from,
        asset: asset(asset_sel),
        action: Action::Call {
            to,
            data: make_prefix([0; 16], &[], &data),
        },
    };
    let out = match execute(&state, &EvmConfig::default(), &env) {
        Ok(o) => o,
        Err(e) => panic!("engine error on a sane state: {e}"),
    };
    check(&state, &env, &out);
    if nested && ending != 0 && out.status == Status::Success {
        // The victim's frame failed: nothing of it survives.
        assert!(out.notes.is_empty(), "notes of a reverted frame survived");
        for c in &out.changes.changes {
            let own = match &c.key {
                StateKey::Book(a, _) => *a == WRAPPER,
                StateKey::Ticket(_) => c.new == Some(StateValue::TicketHolder(Some(WRAPPER))),
                _ => false,
            };
            assert!(own, "a reverted frame's change survived: {c:?}");
        }
    }
    out
}

/// Fuzz target (b): arbitrary bytecode and calldata.
///
/// Input: `mode, asset_sel, split, bytes...`: the bytes split at
/// `split` (scaled) into code and calldata. Mode 0: the code is a
/// contract's runtime code, called with the calldata; mode 1: the code is
/// init code (the calldata appended as constructor arguments); mode 2:
/// the whole input is the transaction data, input prefix included.
pub fn engine(input: &[u8]) -> ExecutionOutcome {
    let f = fixture();
    let mut inp = Input(input);
    let mode = inp.byte() % 3;
    let asset_sel = inp.byte();
    let split = inp.byte() as usize;
    let rest = inp.0;
    let at = (rest.len() * split / 255).min(rest.len());
    let (code, calldata) = rest.split_at(at);
    let mut state = f.state.clone();
    let action = match mode {
        0 => {
            set_code(&mut state, VICTIM, code);
            Action::Call {
                to: VICTIM,
                data: make_prefix([0; 16], &[], calldata),
            }
        }
        1 => Action::Create {
            data: make_prefix([0; 16], &[], rest),
        },
        _ => {
            set_code(&mut state, VICTIM, code);
            Action::Call {
                to: VICTIM,
                data: rest.to_vec(),
            }
        }
    };
    let env = Env {
        height: 10,
        time: 1_700_000_000,
        tx_hash: [0xcd; 32],
        gas_limit: GAS_LIMIT,
        from: f.from,
        asset: asset(asset_sel),
        action,
    };
    let out = match execute(&state, &EvmConfig::default(), &env) {
        Ok(o) => o,
        Err(e) => panic!("engine error on a sane state: {e}"),
    };
    check(&state, &env, &out);
    out
}
