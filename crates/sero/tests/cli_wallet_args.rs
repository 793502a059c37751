//! `sero wallet send` argument checks that need no node: malformed tickets
//! and empty payments exit 2 with a message.

use serde_json::Value;
use std::process::Command;

const SERO: &str = env!("CARGO_BIN_EXE_sero");

fn run(args: &[&str]) -> (i32, Value) {
    let out = Command::new(SERO)
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), v)
}

#[test]
fn send_rejects_bad_tickets_and_empty_payments() {
    let (_, k) = run(&["keys", "new"]);
    let (m, pk) = (k["mnemonic"].as_str().unwrap(), k["pk"].as_str().unwrap());
    let base = [
        "wallet",
        "--rpc",
        "http://127.0.0.1:9",
        "send",
        "--mnemonic",
        m,
        "--to",
        pk,
    ];
    for bad in [
        "CARD",
        "card:00",
        &format!("CARD:{}", "zz".repeat(32)),
        "CARD:0011",
    ] {
        let mut a = base.to_vec();
        a.extend(["--ticket", bad]);
        let (code, v) = run(&a);
        assert_eq!(code, 2, "{bad}: {v}");
        assert!(v["error"].as_str().unwrap().contains("--ticket"), "{v}");
    }
    let (code, v) = run(&base);
    assert_eq!(code, 2, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("nothing to send"),
        "{v}"
    );
}
