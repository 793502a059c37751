//! `sero bench evm --quick --json`: both parts run (ERC-20 transfers through
//! the engine and plain revm; a block of real contract calls carrying a
//! private asset, validated and applied) and report every field. No
//! assertion on timings: only that they are measured (positive, finite).

use serde_json::Value;
use std::process::Command;

const SERO: &str = env!("CARGO_BIN_EXE_sero");

fn positive(v: &Value, path: &str) {
    let x = path
        .split('.')
        .fold(v, |v, k| &v[k])
        .as_f64()
        .unwrap_or_else(|| panic!("{path} is not a number: {v}"));
    assert!(x.is_finite() && x > 0.0, "{path} = {x}");
}

#[test]
fn quick_json_reports_both_parts() {
    let out = Command::new(SERO)
        .args(["--json", "bench", "evm", "--quick"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&out.stdout)));
    assert!(out.status.success(), "{v}");
    assert_eq!(v["quick"], true, "{v}");
    // (a) the same bytecode on both sides uses the same gas.
    assert!(
        v["erc20"]["gas_per_transfer"].as_u64().unwrap() > 21_000,
        "{v}"
    );
    for k in [
        "sero_us_per_transfer",
        "plain_us_per_transfer",
        "sero_gas_per_s",
        "plain_gas_per_s",
        "ratio",
    ] {
        positive(&v, &format!("erc20.{k}"));
    }
    // (b) every call succeeded (the command fails otherwise) and was timed.
    let c = &v["contract_calls"];
    assert_eq!(c["calls"], 2, "{v}");
    assert!(c["gas_per_call"].as_u64().unwrap() > 21_000, "{v}");
    assert!(c["tx_bytes"].as_u64().unwrap() > 0, "{v}");
    for k in [
        "validate_ms_per_tx",
        "apply_ms_per_tx",
        "engine_only_ms_per_call",
        "validate_block.wall_s",
        "apply_block.wall_s",
    ] {
        positive(&v, &format!("contract_calls.{k}"));
    }
}

#[test]
fn zero_calls_is_a_usage_error() {
    let out = Command::new(SERO)
        .args(["--json", "bench", "evm", "--calls", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["error"].is_string(), "{v}");
}
