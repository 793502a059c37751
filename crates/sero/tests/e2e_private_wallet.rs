//! End to end (issue 9, item 5): a wallet against a node it does not trust
//! tells it nothing about which notes are its own. A recording proxy sits
//! between `sero wallet` and `sero dev`; after `wallet balance`, `wallet
//! send` and `wallet audit`, every request it saw is one that any wallet
//! makes identically (chain info, counts, all outputs in fixed chunks, all
//! spends in fixed chunks) or the wallet's own transaction — never a
//! witness for a position, the status of a nullifier or a trace tag.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};

mod common;

use common::{start, SERO};

/// Forwards HTTP/1.1 requests to `upstream`, one per connection, and keeps
/// each request's JSON body.
fn proxy(upstream: String, seen: Arc<Mutex<Vec<Value>>>) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(c) = c else { continue };
            let (up, seen) = (upstream.clone(), seen.clone());
            std::thread::spawn(move || {
                let _ = relay(c, &up, &seen);
            });
        }
    });
    format!("http://{addr}")
}

fn relay(client: TcpStream, upstream: &str, seen: &Mutex<Vec<Value>>) -> std::io::Result<()> {
    let mut r = BufReader::new(client.try_clone()?);
    let mut head = String::new();
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
        if !lower.starts_with("connection:") {
            head.push_str(&line);
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    if let Ok(v) = serde_json::from_slice::<Value>(&body) {
        seen.lock().unwrap().push(v);
    }
    let mut up = TcpStream::connect(upstream.strip_prefix("http://").unwrap())?;
    up.write_all(head.as_bytes())?;
    up.write_all(b"Connection: close\r\n\r\n")?;
    up.write_all(&body)?;
    let mut resp = vec![];
    up.read_to_end(&mut resp)?;
    let mut c = client;
    c.write_all(&resp)?;
    Ok(())
}

fn wallet(url: &str, dir: &std::path::Path, args: &[&str]) -> Value {
    let out = Command::new(SERO)
        .args(["--json", "wallet", "--rpc", url, "--wallet-dir"])
        .arg(dir)
        .args(args)
        .env_remove("SERO_MNEMONIC")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert!(out.status.success(), "{args:?}: {v}");
    v
}

#[test]
fn the_wallet_never_names_its_notes_to_the_node() {
    let dir = tempfile::tempdir().unwrap();
    let node = start(&dir.path().join("dev"));
    let seen = Arc::new(Mutex::new(vec![]));
    let url = proxy(node.url.clone(), seen.clone());
    let keys = Command::new(SERO)
        .args(["--json", "keys", "new"])
        .output()
        .unwrap();
    let bob: Value = serde_json::from_slice(&keys.stdout).unwrap();
    let w = dir.path().join("wallet");
    let sent = wallet(
        &url,
        &w,
        &[
            "send",
            "--mnemonic",
            &node.mnemonic,
            "--to",
            bob["pk"].as_str().unwrap(),
            "--amount",
            "2500",
            "--wait",
        ],
    );
    let txid = sent["txid"].as_str().unwrap().to_string();
    let b = wallet(
        &url,
        &w,
        &["balance", "--mnemonic", bob["mnemonic"].as_str().unwrap()],
    );
    assert_eq!(b["balances"]["SERO"], "2500");
    // The sender's change and spent notes are told apart locally too.
    let a = wallet(&url, &w, &["balance", "--mnemonic", &node.mnemonic]);
    assert!(a["notes"].as_array().unwrap().len() >= 7, "{a}");
    let audit = wallet(&url, &w, &["audit", "--tk", bob["tk"].as_str().unwrap()]);
    assert!(audit.to_string().contains("2500"), "{audit}");

    let seen = seen.lock().unwrap().clone();
    assert!(!seen.is_empty(), "the proxy saw nothing");
    for req in &seen {
        let method = req["method"].as_str().unwrap_or_default();
        let params = &req["params"];
        match method {
            "sero_chainInfo" | "sero_leafCount" | "sero_blockNumber" => {}
            // The network's genesis, to pin it on first contact (the same
            // question from every wallet; a dev chain answers none).
            "sero_getGenesis" => {}
            // Every wallet downloads the same chunks.
            "sero_getOutputs" => assert_eq!(params[0].as_u64().unwrap() % 10_000, 0, "{req}"),
            "sero_getSpendsByBlock" => {
                assert_eq!(params[0].as_u64().unwrap() % 1_000, 0, "{req}")
            }
            // Compact blocks by height range (from the wallet's last
            // synced height + 1), the same reply for every asker; and the
            // block at the saved height, to detect a reorganisation.
            "sero_getCompactBlocks" => {
                let (from, to) = (params[0].as_u64().unwrap(), params[1].as_u64().unwrap());
                assert!(from <= to && to - from < 1_000, "{req}");
            }
            "sero_getBlockByNumber" => {}
            // Its own transaction, which it publishes anyway.
            "sero_sendRawTransaction" => {}
            "sero_getTransactionStatus" => assert_eq!(params[0], txid.as_str(), "{req}"),
            other => panic!("the wallet asked the node {other}: {req}"),
        }
    }
}
