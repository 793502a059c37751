//! Runs N ERC-20 transfers through one side of `sero_evm::bench`, for
//! counting instructions independently of machine load:
//!
//! ```sh
//! cargo build -p sero-evm --profile bench --example transfer_loop
//! perf stat -e instructions:u target/release/examples/transfer_loop sero 100000
//! perf stat -e instructions:u target/release/examples/transfer_loop plain 100000
//! ```
//!
//! (subtract a run with N = 0 for the set-up).

use sero_evm::bench::{bytecode, TransferBench, ERC20_HEX};
use sero_keys::{SecretKey, Seed};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let side = args.get(1).map(String::as_str).unwrap_or("sero");
    let n: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let from = SecretKey::from_seed(&Seed::from_bytes([5; 32]))
        .payment_address()
        .derive_pkr_with(&sero_crypto::Scalar::from(1u64));
    let mut b = TransferBench::new(&bytecode(ERC20_HEX), from).expect("set up");
    let t = std::time::Instant::now();
    for _ in 0..n {
        match side {
            "plain" => b.plain_transfer().map(|_| ()).expect("transfer"),
            _ => b.sero_transfer().map(|_| ()).expect("transfer"),
        }
    }
    let s = t.elapsed().as_secs_f64();
    if n > 0 {
        println!(
            "{side}: {n} transfers of {} gas, {:.2} us each (wall)",
            b.gas_per_transfer,
            s * 1e6 / n as f64
        );
    }
}
