//! End to end with a real `sero dev`: the wallet keeps its sync state
//! locally, so a second `wallet balance` downloads only the outputs of the
//! blocks since the first one — counted on the node's side
//! (`sero_servedOutputs`) and checked against the chain's leaf counts.

use serde_json::Value;
use sero_rpc::SeroApiClient;
use std::path::Path;
use std::process::{Command, Stdio};

mod common;

use common::{start_with, DevNode, SERO};

fn balance(node: &DevNode, wallet_dir: &Path) -> Value {
    let out = Command::new(SERO)
        .args(["--json", "wallet", "--rpc", &node.url, "--wallet-dir"])
        .arg(wallet_dir)
        .args(["balance", "--mnemonic", &node.mnemonic])
        .env_remove("SERO_MNEMONIC")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "balance failed");
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn second_balance_downloads_only_the_new_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let node = start_with(&dir.path().join("chain"), 1);
    let wallet_dir = dir.path().join("wallet");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = sero_rpc::client(&node.url).unwrap();
    let leaf_count_at = |h: u64| -> u64 {
        rt.block_on(client.block_by_number(h))
            .unwrap()
            .unwrap()
            .leaf_count
    };
    let served = || rt.block_on(client.served_outputs()).unwrap();

    // Let a few blocks pass so the first sync has history to download.
    while rt.block_on(client.block_number()).unwrap() < 3 {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let s0 = served();
    let first = balance(&node, &wallet_dir);
    let h1 = first["sync"]["height"].as_u64().unwrap();
    assert_eq!(first["sync"]["blocks"].as_u64().unwrap(), h1 + 1);
    let all = leaf_count_at(h1);
    assert_eq!(first["sync"]["outputs"].as_u64().unwrap(), all);
    assert_eq!(served() - s0, all, "the first sync downloads every output");
    assert!(first["balances"]["SERO"].as_str().is_some(), "{first}");

    // Wait for at least one more block, then sync again.
    while rt.block_on(client.block_number()).unwrap() <= h1 {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let s1 = served();
    let second = balance(&node, &wallet_dir);
    let s2 = served();
    let h2 = second["sync"]["height"].as_u64().unwrap();
    assert!(h2 > h1);
    let new = leaf_count_at(h2) - leaf_count_at(h1);
    assert_eq!(second["sync"]["blocks"].as_u64().unwrap(), h2 - h1);
    assert_eq!(second["sync"]["outputs"].as_u64().unwrap(), new);
    assert_eq!(
        s2 - s1,
        new,
        "the node served only the outputs of blocks {}..={h2}",
        h1 + 1
    );
    assert!(new < leaf_count_at(h2), "not a rescan from position 0");

    // The saved state gives the same notes as a fresh sync.
    let fresh = balance(&node, &dir.path().join("fresh"));
    let h3 = fresh["sync"]["height"].as_u64().unwrap();
    let again = balance(&node, &wallet_dir);
    assert!(again["sync"]["height"].as_u64().unwrap() >= h3);
    // Nothing is spent here: the notes up to h3 are the same either way.
    let upto = |v: &Value| -> Vec<Value> {
        v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["position"].as_u64().unwrap() < leaf_count_at(h3))
            .cloned()
            .collect()
    };
    assert_eq!(upto(&again), upto(&fresh));
    assert!(!upto(&fresh).is_empty(), "{fresh}");
}
