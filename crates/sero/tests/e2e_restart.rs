//! End to end with real processes (issue 9, item 7): a payment accepted by
//! the node is not lost when the node is killed before it is in a block.
//! `sero dev` (30 s blocks) admits the payment, is SIGKILLed, restarts on
//! the same data directory with its mempool restored, and includes it.

use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{start_with, DevNode, SERO};

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
    let mut node = start_with(&datadir, 30);
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
