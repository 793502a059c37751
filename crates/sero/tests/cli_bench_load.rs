//! `sero bench load --quick --json`: a real 3-validator network on loopback
//! receives a small pre-proved pool at a fixed rate and finalises all of
//! it; the second run reads the pool from its cache instead of proving.
//! Node 0's store then feeds `sero bench sync --quick` (a fresh node
//! syncing those blocks with transactions) and the sync path's refusals:
//! a range whose block k has a tampered certificate or body applies the
//! blocks before k only. `sero bench ledger` in its CI-sized form (two real
//! transactions) reports every stage. No assertion on timings (the figures
//! are the benchmark's, not the test's).

use serde_json::Value;
use sero_node::genesis::Genesis;
use sero_node::sync::{apply_range, serve_blocks};
use sero_node::wire::SyncedBlock;
use sero_node::{Chain, Mempool, Node};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

const SERO: &str = env!("CARGO_BIN_EXE_sero");

fn run(dir: &std::path::Path) -> Value {
    sero_json(&["bench", "load", "--quick", "--dir"], Some(dir))
}

/// `sero --json ARGS [PATH]`: its JSON output, which must report success.
fn sero_json(args: &[&str], path: Option<&Path>) -> Value {
    let out = Command::new(SERO)
        .arg("--json")
        .args(args)
        .args(path)
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

    sync_bench(&bench);
    refused_blocks_stop_the_range(&bench);

    // Again: the pool comes from the cache, the nodes from fresh stores
    // (the same transactions would be double spends on the old ones).
    let v = run(&bench);
    assert_eq!(v["prove_pool_s"], 0.0, "read from the cache: {v}");
    assert_eq!(v["finalized"], 6, "{v}");
    assert_eq!(v["refused"], 0, "{v}");
}

fn sync_bench(bench: &Path) {
    let v = sero_json(&["bench", "sync", "--quick", "--from"], Some(bench));
    assert_eq!(v["runs"], 1, "{v}");
    assert_eq!(
        v["blocks"], v["source_final"],
        "synced to the source's final block: {v}"
    );
    // The pool's 6 and the fan-out transactions.
    assert!(v["txs"].as_u64().unwrap() > 6, "{v}");
    assert_eq!(v["txs"], v["source_txs"], "{v}");
    assert!(
        v["proofs"].as_u64().unwrap() > v["txs"].as_u64().unwrap(),
        "{v}"
    );
    assert!(v["tx_per_s"].as_f64().unwrap() > 0.0, "{v}");
}

/// A fresh node of the bench's genesis, in `dir`.
fn fresh(bench: &Path, genesis: &Genesis, dir: &Path) -> Mutex<Node> {
    let gpath = bench.join("genesis.json");
    let params = Arc::new(genesis.load_params(&gpath, None).unwrap());
    std::fs::create_dir_all(dir).unwrap();
    let chain = Chain::open(
        &dir.join("chain.redb"),
        params,
        genesis.chain_config(),
        || genesis.block(),
    )
    .unwrap();
    Mutex::new(Node {
        chain,
        mempool: Mempool::new(100),
    })
}

fn refused_blocks_stop_the_range(bench: &Path) {
    let genesis = Genesis::load(&bench.join("genesis.json")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("source.redb");
    std::fs::copy(bench.join("node0").join("chain.redb"), &copy).unwrap();
    let gpath = bench.join("genesis.json");
    let params = Arc::new(genesis.load_params(&gpath, None).unwrap());
    let source = Chain::open(&copy, params, genesis.chain_config(), || genesis.block()).unwrap();
    let blocks = serve_blocks(&source, 1, 64);
    // blocks[i] is at height i + 1.
    let k = (0..blocks.len())
        .rposition(|i| !source.block(i as u64 + 1).unwrap().unwrap().txs.is_empty())
        .expect("a block with transactions");
    // The last block with transactions: blocks with transactions (the
    // fan-out) come before it.
    assert!(k >= 1, "the fan-out and the pool are in different blocks");
    let tail = blocks.len() - k;
    drop(source);
    let run = |name: &str, tamper: &dyn Fn(&mut SyncedBlock)| {
        let node = fresh(bench, &genesis, &tmp.path().join(name));
        let mut range = blocks.clone();
        tamper(&mut range[k]);
        let out = apply_range(
            &node,
            &genesis.consensus,
            genesis.license.as_ref(),
            &"test",
            range,
        )
        .unwrap();
        assert_eq!(out.applied, k, "{name}: the blocks before the bad one only");
        assert!(!out.fork);
        {
            let n = node.lock().unwrap();
            assert_eq!(n.chain.tip().0, k as u64, "{name}");
            n.chain.verify_state().unwrap();
        }
        // Nothing half-applied: the honest blocks from k on still apply.
        let out = apply_range(
            &node,
            &genesis.consensus,
            genesis.license.as_ref(),
            &"test",
            blocks[k..].to_vec(),
        )
        .unwrap();
        assert_eq!(out.applied, tail, "{name}: the rest after the refusal");
        let n = node.lock().unwrap();
        assert_eq!(n.chain.tip().0, blocks.len() as u64);
        n.chain.verify_state().unwrap();
    };
    // A signature byte of the certificate.
    run("certificate", &|b| {
        let i = b.certificate.len() - 1;
        b.certificate[i] ^= 1;
    });
    // A byte in the middle of the last transaction's encoding: it no
    // longer decodes, or no longer matches the header's tx_root.
    run("body", &|b| {
        let i = b.body.len() - 200;
        b.body[i] ^= 1;
    });
    // No certificate (a tentative block served as it is stored).
    run("no-certificate", &|b| {
        b.certificate = vec![];
    });
    // The certificate of the block before: for another round and block.
    let previous = blocks[k - 1].certificate.clone();
    run("another-certificate", &move |b| {
        b.certificate = previous.clone();
    });
}

#[test]
fn ledger_bench_reports_every_stage() {
    // Two real 2-input/2-output transactions proved, decoded, validated,
    // admitted, built into a block and applied; each stage measured (a
    // positive, finite wall time), so that a broken bench command is caught.
    let v = sero_json(&["bench", "ledger", "--txs", "2", "--rounds", "1"], None);
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
