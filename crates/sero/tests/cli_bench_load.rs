//! `sero bench load --quick --json`: a real 3-validator network on loopback
//! receives a small pre-proved pool at a fixed rate and finalises all of
//! it; the second run reads the pool from its cache instead of proving.
//! No assertion on timings (the figures are the benchmark's, not the
//! test's).

use serde_json::Value;
use std::process::Command;

const SERO: &str = env!("CARGO_BIN_EXE_sero");

fn run(dir: &std::path::Path) -> Value {
    let out = Command::new(SERO)
        .args(["--json", "bench", "load", "--quick", "--dir"])
        .arg(dir)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "not JSON: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(out.status.success(), "{v}");
    v
}

#[test]
fn quick_load_bench_finalises_the_whole_pool_and_caches_it() {
    let dir = tempfile::tempdir().unwrap();
    let bench = dir.path().join("load");
    let v = run(&bench);
    assert_eq!(v["nodes"], 3, "{v}");
    assert_eq!(v["txs"], 6, "{v}");
    assert_eq!(v["refused"], 0, "{v}");
    assert_eq!(v["accepted"], 6, "{v}");
    assert_eq!(v["finalized"], 6, "every transaction is finalised: {v}");
    assert!(v["prove_pool_s"].as_f64().unwrap() > 0.0, "proved: {v}");
    for k in ["p50", "p99", "max"] {
        let x = v["finality_s"][k].as_f64().unwrap();
        assert!(x.is_finite() && x > 0.0, "{k}: {v}");
    }
    assert!(v["blocks_with_txs"].as_u64().unwrap() >= 1, "{v}");
    let cpu = v["node_cpu_s"].as_array().unwrap();
    assert_eq!(cpu.len(), 3);
    assert!(bench.join("pool.bin").exists());

    // Again: the pool comes from the cache, the nodes from fresh stores
    // (the same transactions would be double spends on the old ones).
    let v = run(&bench);
    assert_eq!(v["prove_pool_s"], 0.0, "read from the cache: {v}");
    assert_eq!(v["finalized"], 6, "{v}");
    assert_eq!(v["refused"], 0, "{v}");
}
