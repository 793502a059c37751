//! `sero sim` from the command line: a few seeds of mixed faults give no
//! violation and exit 0 with one JSON object; malformed arguments exit 2.

use serde_json::Value;
use std::process::Command;

const SERO: &str = env!("CARGO_BIN_EXE_sero");

fn sim(args: &[&str]) -> (i32, Value) {
    let out = Command::new(SERO)
        .args(["--json", "sim"])
        .args(args)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap_or(-1), v)
}

#[test]
fn a_few_seeds_are_safe_and_live() {
    let (code, v) = sim(&["--seeds", "6", "--start", "1000", "--threads", "2"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["violations"], 0, "{v}");
    assert_eq!(v["runs"], 6, "{v}");
}

#[test]
fn malformed_arguments_exit_2() {
    for args in [
        &["--seeds", "0"][..],
        &["--nodes", "1"],
        &["--latency-ms", "0"],
        &["--seeds", "x"],
        &["--production", "--devnet"],
    ] {
        let (code, v) = sim(args);
        assert_eq!(code, 2, "{args:?}: {v}");
        assert!(v["error"].is_string(), "{v}");
    }
}
