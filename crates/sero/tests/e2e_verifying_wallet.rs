//! End to end (issue 15, "verifying wallet"): a wallet against an untrusted
//! node verifies what it is told. Four `sero node` validators on loopback
//! finalise a payment to the wallet; the wallet, given the network's
//! genesis file, syncs (a) straight from an honest node — the balance is
//! right and verified; (b) through a proxy on a real socket that rewrites
//! the node's JSON-RPC replies — an invented output, a changed note
//! commitment, a forged note root in the header, a fake validator set, a
//! certificate with votes dropped — each refused with a clear error, the
//! wallet's stored state byte for byte unchanged; (c) through a proxy that
//! withholds the newest blocks — the wallet shows what it could verify and
//! says how far.

use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

mod common;

use common::net::{finalized, send_wait, start_testnet, wait_until};
use common::proxy::{Proxy, Rewrite};
use common::SERO;
use sero_consensus::ba::Certificate;

/// `sero --json wallet balance` for `mnemonic`: (exit code, JSON, stderr).
fn balance(url: &str, wdir: &Path, genesis: &Path, mnemonic: &str) -> (i32, Value, String) {
    let out = Command::new(SERO)
        .args(["--json", "wallet", "--rpc", url, "--wallet-dir"])
        .arg(wdir)
        .arg("--genesis")
        .arg(genesis)
        .args(["balance", "--mnemonic", mnemonic])
        .env_remove("SERO_MNEMONIC")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sero_of(v: &Value) -> u64 {
    v["balances"]["SERO"]
        .as_str()
        .map(|s| s.parse().unwrap())
        .or_else(|| v["balances"]["SERO"].as_u64())
        .unwrap_or(0)
}

/// Every file under `dir` with its bytes (the wallet's stored state).
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = vec![];
    for e in walk(dir) {
        out.push((e.display().to_string(), std::fs::read(&e).unwrap()));
    }
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v = vec![];
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            v.extend(walk(&p));
        } else {
            v.push(p);
        }
    }
    v
}

/// Applies `f` to the entries of a list reply.
fn each(result: Value, mut f: impl FnMut(&mut Value)) -> Value {
    let mut r = result;
    if let Some(a) = r.as_array_mut() {
        for e in a {
            f(e);
        }
    }
    r
}

fn flip_hex(s: &str, byte: usize) -> String {
    let mut b = hex::decode(s).unwrap();
    b[byte] ^= 1;
    hex::encode(b)
}

#[test]
fn a_wallet_verifies_an_untrusted_node() {
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("net");
    let (plan, _, urls, _procs) = start_testnet(&d, 4, 2);
    let genesis = d.join("genesis.json");
    assert!(genesis.exists());
    let url = urls[0].clone();

    // The receiver's wallet syncs from the honest node before the payment.
    let keys: Value = serde_json::from_slice(
        &Command::new(SERO)
            .args(["--json", "keys", "new"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let mnemonic = keys["mnemonic"].as_str().unwrap().to_string();
    let wdir = dir.path().join("receiver");
    let (code, v, err) = balance(&url, &wdir, &genesis, &mnemonic);
    assert_eq!(code, 0, "{v} {err}");
    assert_eq!(v["sync"]["verified"], true, "{v}");
    assert_eq!(sero_of(&v), 0);
    let before_payment = v["sync"]["height"].as_u64().unwrap();

    // The payment (the payer's wallet verifies too: it pins the genesis the
    // node serves on first use).
    let sent = send_wait(
        &url,
        &dir.path().join("payer"),
        plan["dev_mnemonic"].as_str().unwrap(),
        keys["pk"].as_str().unwrap(),
        1234,
    );
    let h = sent["height"].as_u64().unwrap();
    assert!(h > before_payment);
    wait_until("the payment to be final", 120, || {
        finalized(&url).is_some_and(|f| f > h)
    });
    let t_setup = t0.elapsed();

    // (b) A lying node: each lie is refused and the state is unchanged.
    let proxy = Proxy::start(&url);
    let stored = snapshot(&wdir);
    let lies: Vec<(&str, Rewrite, &str)> = vec![
        (
            "an invented output",
            Box::new(move |m, _, r| {
                if m != "sero_getCompactBlocks" {
                    return r;
                }
                each(r, |b| {
                    if b["height"] == h {
                        let first = b["outputs"][0].clone();
                        b["outputs"].as_array_mut().unwrap().push(first);
                    }
                })
            }),
            "block",
        ),
        (
            "a changed note commitment",
            Box::new(move |m, _, r| {
                if m != "sero_getCompactBlocks" {
                    return r;
                }
                each(r, |b| {
                    if b["height"] == h {
                        // Record: kind (1) ‖ PKr (96) ‖ cm_out (32) ‖ …
                        let o = b["outputs"][0].as_str().unwrap().to_string();
                        b["outputs"][0] = json!(flip_hex(&o, 1 + 96 + 3));
                    }
                })
            }),
            "note root",
        ),
        (
            "a forged note root in the header and the block",
            Box::new(move |m, _, r| match m {
                // Header: version (1) ‖ height (8) ‖ parent (32) ‖ time (8)
                // ‖ tx_root (32) ‖ note_root (32) …
                "sero_getHeaders" => each(r, |e| {
                    if e["height"] == h {
                        let x = e["header"].as_str().unwrap().to_string();
                        e["header"] = json!(flip_hex(&x, 1 + 8 + 32 + 8 + 32));
                    }
                }),
                "sero_getCompactBlocks" => each(r, |b| {
                    if b["height"] == h {
                        let x = b["note_root"].as_str().unwrap().to_string();
                        b["note_root"] = json!(flip_hex(&x, 0));
                    }
                }),
                _ => r,
            }),
            "refusing the node's chain",
        ),
        (
            "a fake validator set (an invented stake change)",
            Box::new(move |m, _, r| {
                if m != "sero_getHeaders" {
                    return r;
                }
                each(r, |e| {
                    if e["height"] == h {
                        e["validators"] = json!([{
                            "vote_key": hex::encode([7u8; 32]),
                            "vrf_key": hex::encode([8u8; 32]),
                            "stake": 1_000_000u64,
                        }]);
                    }
                })
            }),
            "validator set does not match",
        ),
        (
            "a certificate with votes dropped",
            Box::new(move |m, _, r| {
                if m != "sero_getHeaders" {
                    return r;
                }
                each(r, |e| {
                    if e["height"] == h {
                        let b = hex::decode(e["certificate"].as_str().unwrap()).unwrap();
                        let mut c = Certificate::from_bytes(&b).unwrap();
                        c.votes.truncate(2);
                        e["certificate"] = json!(hex::encode(c.to_bytes()));
                    }
                })
            }),
            "certificate",
        ),
        (
            "no certificate",
            Box::new(move |m, _, r| {
                if m != "sero_getHeaders" {
                    return r;
                }
                each(r, |e| {
                    if e["height"] == h {
                        e["certificate"] = json!("");
                    }
                })
            }),
            "certificate",
        ),
    ];
    let t_lies = Instant::now();
    for (what, f, expect) in lies {
        proxy.lie(f);
        let (code, v, err) = balance(&proxy.url, &wdir, &genesis, &mnemonic);
        let msg = format!("{} {err}", v["error"]);
        eprintln!("{what}: exit {code}: {msg}");
        assert_ne!(code, 0, "{what}: accepted: {v}");
        assert!(msg.contains(expect), "{what}: {msg}");
        assert!(
            snapshot(&wdir) == stored,
            "{what}: the stored state changed"
        );
    }
    let t_lies = t_lies.elapsed();

    // (c) A withholding node: serves nothing from the payment's block on.
    proxy.lie(move |m, _, r| match m {
        "sero_getHeaders" | "sero_getCompactBlocks" => {
            let mut r = r;
            r.as_array_mut()
                .unwrap()
                .retain(|e| e["height"].as_u64().unwrap() < h);
            r
        }
        _ => r,
    });
    let (code, v, err) = balance(&proxy.url, &wdir, &genesis, &mnemonic);
    assert_eq!(code, 0, "{v} {err}");
    assert_eq!(sero_of(&v), 0, "{v}");
    assert_eq!(v["sync"]["height"].as_u64(), Some(h - 1), "{v}");
    assert!(v["sync"]["node_tip"].as_u64().unwrap() > h, "{v}");
    assert!(err.contains("verified up to block"), "{err}");

    // (a) The honest node, through the same proxy then directly: the
    // payment, verified; the next sync verifies only the new headers.
    proxy.honest();
    let t_sync = Instant::now();
    let (code, v, err) = balance(&proxy.url, &wdir, &genesis, &mnemonic);
    let t_sync = t_sync.elapsed();
    assert_eq!(code, 0, "{v} {err}");
    assert_eq!(sero_of(&v), 1234, "{v}");
    assert_eq!(v["sync"]["verified"], true);
    assert!(v["sync"]["height"].as_u64().unwrap() >= h);
    let (code, v, err) = balance(&url, &wdir, &genesis, &mnemonic);
    assert_eq!(code, 0, "{v} {err}");
    assert_eq!(sero_of(&v), 1234, "{v}");

    // A fresh wallet (the whole chain) straight from the honest node.
    let fresh = dir.path().join("fresh");
    let t_fresh = Instant::now();
    let (code, v, err) = balance(&url, &fresh, &genesis, &mnemonic);
    let t_fresh = t_fresh.elapsed();
    assert_eq!(code, 0, "{v} {err}");
    assert_eq!(sero_of(&v), 1234, "{v}");
    let blocks = v["sync"]["blocks"].as_u64().unwrap();

    // A node of another network (another genesis) is refused at once.
    let other = dir.path().join("other-genesis.json");
    let mut g: Value = serde_json::from_slice(&std::fs::read(&genesis).unwrap()).unwrap();
    g["time"] = json!(g["time"].as_u64().unwrap() + 1);
    std::fs::write(&other, g.to_string()).unwrap();
    let (code, v, err) = balance(&url, &dir.path().join("other"), &other, &mnemonic);
    assert_ne!(code, 0);
    assert!(
        format!("{v} {err}").contains("genesis is not the trusted one"),
        "{v} {err}"
    );

    eprintln!(
        "figures: setup {:.1} s; 6 lies refused in {:.1} s; incremental verified sync {:.2} s; \
         fresh verified sync of {blocks} blocks {:.2} s",
        t_setup.as_secs_f64(),
        t_lies.as_secs_f64(),
        t_sync.as_secs_f64(),
        t_fresh.as_secs_f64()
    );
}
