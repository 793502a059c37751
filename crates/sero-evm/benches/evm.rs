//! ERC-20-style transfers: gas/s through the SERO engine (instruction
//! hooks, frame hook, state view, change set) vs plain revm on the same
//! bytecode (solc 0.4.26, `contracts/test/Erc20.sol`).
//!
//! `CARGO_TARGET_DIR=... cargo bench -p sero-evm --bench evm`
//! (criterion reports "elem/s": one element is one unit of gas).

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use revm::context::{CfgEnv, Context, TxEnv};
use revm::database::InMemoryDB;
use revm::handler::{ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext};
use revm::primitives::{Address, Bytes, TxKind, U256};
use sero_evm::{execute, make_prefix, short_address, Action};

fn bench(c: &mut Criterion) {
    let erc20 = code("Erc20");
    let mut init = erc20.clone();
    init.extend(encode(&[u(1_000_000_000)]));
    let transfer = calldata(
        "transfer(address,uint256)",
        &[Tok::A(Address::repeat_byte(0x42)), u(1)],
    );

    // SERO engine.
    let mut ch = Chain::default();
    let from = pkr(1);
    let env = ch.env(
        &from,
        None,
        Action::Create {
            data: make_prefix([0; 16], &[], &init),
        },
    );
    let out = ch.run(&env);
    let token = out.created.expect("deployed");
    let env = ch.env(
        &from,
        None,
        Action::Call {
            to: token,
            data: make_prefix([0; 16], &[], &transfer),
        },
    );
    let sero_gas = execute(&ch.state, &ch.cfg, &env).unwrap().gas_used;

    // Plain revm, same spec, same bytecode, caller = the same short address.
    let caller = short_address(&from);
    let mut cfg = CfgEnv::new_with_spec(sero_evm::SPEC);
    cfg.disable_nonce_check = true;
    let mut evm = Context::mainnet()
        .with_db(InMemoryDB::default())
        .with_cfg(cfg)
        .build_mainnet();
    let deployed = evm
        .transact_commit(TxEnv {
            caller,
            gas_limit: 5_000_000,
            kind: TxKind::Create,
            data: Bytes::from(init.clone()),
            ..Default::default()
        })
        .unwrap();
    let plain_token = match deployed {
        revm::context::result::ExecutionResult::Success { output, .. } => {
            output.address().copied().unwrap()
        }
        r => panic!("deploy: {r:?}"),
    };
    let tx = TxEnv {
        caller,
        gas_limit: 5_000_000,
        kind: TxKind::Call(plain_token),
        data: Bytes::from(transfer.clone()),
        value: U256::ZERO,
        ..Default::default()
    };
    let plain_gas = evm.transact(tx.clone()).unwrap().result.tx_gas_used();
    eprintln!("gas per transfer: sero {sero_gas}, plain revm {plain_gas}");

    let mut g = c.benchmark_group("erc20_transfer");
    g.throughput(Throughput::Elements(sero_gas));
    g.bench_function("sero_engine", |b| {
        b.iter(|| execute(&ch.state, &ch.cfg, &env).unwrap())
    });
    g.throughput(Throughput::Elements(plain_gas));
    g.bench_function("plain_revm", |b| {
        b.iter(|| evm.transact(tx.clone()).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
