//! ERC-20-style transfers: gas/s through the SERO engine (instruction
//! hooks, frame hook, state view, change set) vs plain revm on the same
//! bytecode (solc 0.4.26, `contracts/test/Erc20.sol`, committed as
//! `contracts/build/Erc20.hex`). Both sides commit every transfer: the
//! engine's change set is applied to its `MemState`, plain revm's state to
//! its `InMemoryDB`.
//!
//! `CARGO_TARGET_DIR=... cargo bench -p sero-evm --bench evm`
//! (criterion reports "elem/s": one element is one unit of gas).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_evm::bench::{bytecode, TransferBench, ERC20_HEX};
use sero_keys::{SecretKey, Seed};

fn bench(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let from = SecretKey::from_seed(&Seed::random(&mut rng))
        .payment_address()
        .derive_pkr(&mut rng);
    let mut b = TransferBench::new(&bytecode(ERC20_HEX), from).expect("set up");
    let gas = b.gas_per_transfer;
    eprintln!("gas per transfer: {gas} (engine and plain revm)");

    let mut g = c.benchmark_group("erc20_transfer");
    g.throughput(Throughput::Elements(gas));
    g.bench_function("sero_engine", |bch| {
        bch.iter(|| b.sero_transfer().expect("transfer"))
    });
    g.bench_function("plain_revm", |bch| {
        bch.iter(|| b.plain_transfer().expect("transfer"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
