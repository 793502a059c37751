//! End to end with real processes (issue 9, item 7): a payment accepted by
//! the node is not lost when the node is killed before it is in a block.
//! `sero dev` (30 s blocks) admits the payment, is SIGKILLed, restarts on
//! the same data directory with its mempool restored, and includes it.

use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{start_interval_only, start_with, DevNode, SERO};

fn wallet(node: &DevNode, args: &[&str]) -> (i32, Value) {
    let out = Command::new(SERO)
        .args(["--json", "wallet", "--rpc", &node.url])
        .args(args)
        .env_remove("SERO_MNEMONIC")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), v)
}

#[test]
fn a_pending_payment_survives_a_node_kill() {
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("dev");
    let mut node = start_interval_only(&datadir, 30);
    let out = Command::new(SERO)
        .args(["--json", "keys", "new"])
        .output()
        .unwrap();
    let bob: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (bob_pk, bob_words) = (
        bob["pk"].as_str().unwrap().to_string(),
        bob["mnemonic"].as_str().unwrap().to_string(),
    );
    // Admitted, not yet in a block (the first block comes after 30 s).
    let mnemonic = node.mnemonic.clone();
    let (code, sent) = wallet(
        &node,
        &[
            "send",
            "--mnemonic",
            &mnemonic,
            "--to",
            &bob_pk,
            "--amount",
            "4321",
        ],
    );
    assert_eq!(code, 0, "{sent}");
    let txid = sent["txid"].as_str().unwrap().to_string();
    assert!(sent["height"].is_null(), "{sent}");
    // SIGKILL: no shutdown step runs.
    node.child.kill().unwrap();
    node.child.wait().unwrap();
    drop(node);
    // Restart with 1 s blocks: the mempool is restored and the payment
    // lands.
    let node = start_with(&datadir, 1);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (code, v) = wallet(&node, &["balance", "--mnemonic", &bob_words]);
        assert_eq!(code, 0, "{v}");
        if v["balances"]["SERO"] == "4321" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "payment {txid} lost after the restart: {v}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn a_send_cut_off_by_a_node_kill_is_recorded_and_reconciled() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("dev");
    let wallet_dir = dir.path().join("wallet");
    let wdir = wallet_dir.to_str().unwrap();
    let mut node = start_interval_only(&datadir, 30);
    let out = Command::new(SERO)
        .args(["--json", "keys", "new"])
        .output()
        .unwrap();
    let bob: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (bob_pk, bob_words) = (
        bob["pk"].as_str().unwrap().to_string(),
        bob["mnemonic"].as_str().unwrap().to_string(),
    );
    // `send --wait`, and the node dies while the wallet waits.
    let mut send = Command::new(SERO)
        .args(["--json", "wallet", "--rpc", &node.url, "--wallet-dir", wdir])
        .args(["send", "--mnemonic", &node.mnemonic, "--to", &bob_pk])
        .args(["--amount", "777", "--wait"])
        .env_remove("SERO_MNEMONIC")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut txid = None;
    for line in BufReader::new(send.stderr.take().unwrap()).lines() {
        if let Some(t) = line.unwrap().strip_prefix("submitting transaction ") {
            txid = Some(t.to_string());
            break;
        }
    }
    let txid = txid.expect("the wallet announces the txid before submitting");
    std::thread::sleep(Duration::from_secs(1));
    node.child.kill().unwrap();
    node.child.wait().unwrap();
    drop(node);
    let out = send.wait_with_output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err: Value = serde_json::from_slice(&out.stdout).unwrap();
    let msg = err["error"].as_str().unwrap();
    assert!(msg.contains(&txid), "{msg}");
    assert!(msg.contains("wallet pending"), "{msg}");
    assert!(msg.contains("do not pay again"), "{msg}");
    // The node comes back; `wallet pending` reports the truth and the
    // payment lands exactly once.
    let node = start_with(&datadir, 1);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = Command::new(SERO)
            .args(["--json", "wallet", "--rpc", &node.url, "--wallet-dir", wdir])
            .arg("pending")
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let rows = v["transactions"].as_array().expect("rows").clone();
        if rows.is_empty() {
            break; // reported included earlier and forgotten
        }
        assert_eq!(rows.len(), 1, "{v}");
        assert_eq!(rows[0]["txid"], txid.as_str());
        let status = rows[0]["status"].as_str().unwrap();
        assert!(
            ["pending", "rebroadcast", "included"].contains(&status),
            "{v}"
        );
        if status == "included" {
            break;
        }
        assert!(Instant::now() < deadline, "never included: {v}");
        std::thread::sleep(Duration::from_millis(500));
    }
    let (code, v) = wallet(&node, &["balance", "--mnemonic", &bob_words]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["balances"]["SERO"], "777", "paid exactly once");
}
