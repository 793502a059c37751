//! `sero --json bench ledger --txs 2 --rounds 1`: the CI-sized form of the
//! ledger benchmark (two real 2-input/2-output transactions proved, decoded,
//! validated, admitted, built into a block and applied) reports every
//! stage. No assertion on timings: only that each is measured (a positive,
//! finite wall time), so that a broken bench command is caught.

use serde_json::Value;
use std::process::Command;

const SERO: &str = env!("CARGO_BIN_EXE_sero");

#[test]
fn ledger_bench_reports_every_stage() {
    let out = Command::new(SERO)
        .args(["--json", "bench", "ledger", "--txs", "2", "--rounds", "1"])
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
    assert_eq!(v["txs"], 2, "{v}");
    assert_eq!(v["inputs_per_tx"], 2, "{v}");
    for stage in [
        "prove",
        "decoding",
        "stateless_batched",
        "stateless_single",
        "mempool_admission",
        "block_build",
        "block_apply",
        "block_apply_cold",
    ] {
        let wall = v[stage]["wall_s"]
            .as_f64()
            .unwrap_or_else(|| panic!("{stage}.wall_s missing: {v}"));
        assert!(wall.is_finite() && wall > 0.0, "{stage}.wall_s = {wall}");
    }
    assert!(v["block_body_bytes"].as_u64().unwrap() > 0, "{v}");
}
