//! End to end with real processes: a new account, funded by the dev
//! account, stakes in the public registry (`sero wallet stake`), unbonds
//! (`sero wallet unbond`) and receives its stake back in a coinbase refund
//! after the dev chain's unbonding delay; a second unbond and an unbond by
//! another account are refused by the node.

use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{start, DevNode, SERO};

fn sero(args: &[&str]) -> (i32, Value) {
    let out = Command::new(SERO)
        .arg("--json")
        .args(args)
        .env_remove("SERO_MNEMONIC")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap_or(-1), v)
}

fn wallet(node: &DevNode, mnemonic: &str, cmd: &str, args: &[&str]) -> (i32, Value) {
    let mut a = vec!["wallet", "--rpc", &node.url, cmd, "--mnemonic", mnemonic];
    a.extend_from_slice(args);
    sero(&a)
}

fn balance(node: &DevNode, mnemonic: &str) -> u128 {
    let (code, v) = wallet(node, mnemonic, "balance", &[]);
    assert_eq!(code, 0, "{v}");
    v["balances"]["SERO"]
        .as_str()
        .map(|s| s.parse().unwrap())
        .unwrap_or(0)
}

#[test]
fn stake_unbond_and_refund_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let node = start(&dir.path().join("dev"));
    let (_, k) = sero(&["keys", "new"]);
    let (m, pk) = (
        k["mnemonic"].as_str().unwrap().to_string(),
        k["pk"].as_str().unwrap().to_string(),
    );
    let (code, v) = wallet(
        &node,
        &node.mnemonic,
        "send",
        &["--to", &pk, "--amount", "20000", "--wait"],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(balance(&node, &m), 20_000);

    // Validator key files (as `sero node --validator-key` reads): the
    // wallet registers their keys with a proof of possession.
    let key1 = dir.path().join("validator1.key");
    let key2 = dir.path().join("validator2.key");
    std::fs::write(&key1, "a1".repeat(32)).unwrap();
    std::fs::write(&key2, "c3".repeat(32)).unwrap();
    let (code, v) = wallet(
        &node,
        &m,
        "stake",
        &[
            "--validator-key",
            key1.to_str().unwrap(),
            "--amount",
            "5000",
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    assert!(v["height"].as_u64().is_some(), "{v}");
    let vote = v["vote_key"].as_str().unwrap().to_string();
    assert_eq!(vote.len(), 64);
    assert_eq!(balance(&node, &m), 20_000 - 5_000 - 10);

    // Below the dev chain's minimum stake: refused by the node (exit 1).
    let (code, v) = wallet(
        &node,
        &m,
        "stake",
        &["--validator-key", key2.to_str().unwrap(), "--amount", "10"],
    );
    assert_eq!(code, 1, "{v}");
    assert!(v["error"].as_str().unwrap().contains("minimum"), "{v}");

    // Only the staking account may unbond.
    let (code, v) = wallet(&node, &node.mnemonic, "unbond", &["--vote-key", &vote]);
    assert_eq!(code, 1, "{v}");
    assert!(v["error"].as_str().unwrap().contains("refund"), "{v}");

    let (code, v) = wallet(&node, &m, "unbond", &["--vote-key", &vote, "--wait"]);
    assert_eq!(code, 0, "{v}");
    let unbonded_at = v["height"].as_u64().unwrap();
    let (code, v) = wallet(&node, &m, "unbond", &["--vote-key", &vote]);
    assert_eq!(code, 1, "unbonding twice: {v}");
    assert!(
        v["error"].as_str().unwrap().contains("already unbonding"),
        "{v}"
    );

    // The refund arrives after the unbonding delay (10 blocks of 1 s).
    let start_wait = Instant::now();
    loop {
        let b = balance(&node, &m);
        if b == 20_000 - 20 {
            break;
        }
        assert_eq!(b, 20_000 - 5_000 - 20, "no partial refund");
        assert!(
            start_wait.elapsed() < Duration::from_secs(90),
            "refund not paid (unbonded at {unbonded_at})"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
}
