//! The RPC server's limits (issue 9 item 8), over raw HTTP on loopback:
//!
//! * 100 connections from one address trickling a large body do not starve
//!   a client from another address (127.0.0.2), and a trickled request is
//!   cut with 408 after the request timeout;
//! * extra parameters are refused, also for methods that take none; wrong
//!   types and missing parameters too;
//! * a batch over the limit is refused as a whole;
//! * a transaction that failed validation is answered from the cache when
//!   resubmitted (same error, `data.cached`).
//!
//! Timings are generous: a test fails only if a client is starved, not if
//! the machine is slow.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};
use sero_assets::Asset;
use sero_keys::{SecretKey, Seed};
use sero_ledger::builder::{build_unproven, Recipient, SpendableNote};
use sero_node::scan::{find_notes, OutputRecord};
use sero_node::{genesis_block, Chain, ChainConfig, Mempool, Node};
use sero_rpc::{serve_with, RpcLimits};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

fn alice() -> SecretKey {
    SecretKey::from_seed(&Seed::from_bytes([0xa1; 32]))
}

/// A dev chain whose genesis pays Alice two notes of 1,000 SERO, with an
/// empty mempool.
fn node(dir: &std::path::Path) -> Arc<Mutex<Node>> {
    let a = alice().payment_address();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let premine: Vec<_> = (0..2).map(|_| (a.derive_pkr(&mut rng), 1_000)).collect();
    let chain = Chain::open(
        &dir.join("chain.redb"),
        Arc::new(sero_zk::params::Parameters::dev().clone()),
        ChainConfig::dev(),
        || genesis_block(&premine, &[], 0, &ChainConfig::dev()),
    )
    .unwrap();
    Arc::new(Mutex::new(Node {
        chain,
        mempool: Mempool::new(100),
    }))
}

/// Connects to `server` from the loopback address `from`.
async fn connect(from: [u8; 4], server: SocketAddr) -> std::io::Result<TcpStream> {
    let s = TcpSocket::new_v4()?;
    s.bind(SocketAddr::from((from, 0)))?;
    s.connect(server).await
}

/// POSTs `body` from `from`; the status and the body of the response.
async fn post(from: [u8; 4], server: SocketAddr, body: &str) -> std::io::Result<(u16, String)> {
    let mut s = connect(from, server).await?;
    let req = format!(
        "POST / HTTP/1.1\r\nhost: {server}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await?;
    let mut out = vec![];
    s.read_to_end(&mut out).await?;
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// One JSON-RPC call from 127.0.0.2; the response object.
async fn call(server: SocketAddr, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let (status, text) = post([127, 0, 0, 2], server, &body.to_string())
        .await
        .unwrap();
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(text.trim()).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

/// Opens a connection from 127.0.0.1 that sends a request head announcing
/// a 1 MB body and then trickles one byte every 200 ms.
async fn trickler(server: SocketAddr) -> Option<TcpStream> {
    let mut s = connect([127, 0, 0, 1], server).await.ok()?;
    let head = format!(
        "POST / HTTP/1.1\r\nhost: {server}\r\ncontent-type: application/json\r\n\
         content-length: 1000000\r\n\r\n{{\"jsonrpc\":\"2.0\","
    );
    s.write_all(head.as_bytes()).await.ok()?;
    Some(s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn trickling_connections_do_not_starve_other_clients() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, handle) = serve_with(node(dir.path()), "127.0.0.1:0", RpcLimits::default())
        .await
        .unwrap();
    let mut conns = vec![];
    for _ in 0..100 {
        if let Some(c) = trickler(addr).await {
            conns.push(c);
        }
    }
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let trickling = {
        let stop = stop.clone();
        tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for c in conns.iter_mut() {
                    let _ = c.write_all(b" ").await;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Another client keeps getting answers while the trickle goes on.
    let mut latencies = vec![];
    for _ in 0..5 {
        let started = Instant::now();
        let r = tokio::time::timeout(
            Duration::from_secs(20),
            call(addr, "sero_blockNumber", json!([])),
        )
        .await
        .expect("another client starved by trickling connections");
        assert_eq!(r["result"], 0, "{r}");
        latencies.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The trickling address is refused beyond its share.
    let (status, _) = post([127, 0, 0, 1], addr, "{}")
        .await
        .unwrap_or((0, String::new()));
    assert_eq!(status, 429);
    println!(
        "100 trickling connections from 127.0.0.1; sero_blockNumber from 127.0.0.2: \
         latencies {latencies:?}"
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    trickling.await.unwrap();
    handle.stop().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_request_is_cut_after_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let limits = RpcLimits {
        request_timeout: Duration::from_secs(2),
        ..RpcLimits::default()
    };
    let (addr, _handle) = serve_with(node(dir.path()), "127.0.0.1:0", limits)
        .await
        .unwrap();
    let mut c = trickler(addr).await.unwrap();
    let started = Instant::now();
    let mut got = vec![];
    let mut buf = [0u8; 1024];
    // Keep trickling until the server answers and closes (or 60 s pass).
    while started.elapsed() < Duration::from_secs(60) {
        let _ = c.write_all(b" ").await;
        match tokio::time::timeout(Duration::from_millis(200), c.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extra_and_wrong_params_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _handle) = serve_with(node(dir.path()), "127.0.0.1:0", RpcLimits::default())
        .await
        .unwrap();
    // Accepted: no params, [], {}; the right number of the right type.
    for p in [Value::Null, json!([]), json!({})] {
        let body = if p.is_null() {
            json!({"jsonrpc": "2.0", "id": 1, "method": "sero_blockNumber"})
        } else {
            json!({"jsonrpc": "2.0", "id": 1, "method": "sero_blockNumber", "params": p})
        };
        let (_, text) = post([127, 0, 0, 2], addr, &body.to_string()).await.unwrap();
        let r: Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(r["result"], 0, "{r}");
    }
    let r = call(addr, "sero_getBlockByNumber", json!([0])).await;
    assert_eq!(r["result"]["height"], 0, "{r}");
    let r = call(addr, "sero_getOutputs", json!([0, 2])).await;
    assert_eq!(r["result"].as_array().unwrap().len(), 2, "{r}");
    // Refused with -32602: extra, wrong-typed, missing.
    for (m, p) in [
        ("sero_blockNumber", json!([1])),
        ("sero_blockNumber", json!({"x": 1})),
        ("sero_chainInfo", json!(["a", "b"])),
        ("sero_leafCount", json!([null])),
        ("sero_getBlockByNumber", json!([0, 1])),
        ("sero_getOutputs", json!([0, 2, 3])),
        ("sero_getBlockByNumber", json!(["0"])),
        ("sero_getBlockByNumber", json!([-1])),
        ("sero_getBlockByNumber", json!([1.5])),
        ("sero_getOutputs", json!([0])),
        ("sero_getOutputs", json!(["0", 2])),
        ("sero_getTil", json!([7])),
        ("sero_blockNumber", json!(5)),
    ] {
        let r = call(addr, m, p.clone()).await;
        assert_eq!(r["error"]["code"], -32602, "{m} {p}: {r}");
        assert!(r.get("result").is_none(), "{m} {p}: {r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_are_bounded_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let limits = RpcLimits::default();
    let max = limits.max_batch as usize;
    let (addr, _handle) = serve_with(node(dir.path()), "127.0.0.1:0", limits)
        .await
        .unwrap();
    let batch = |n: usize, params: Value| {
        Value::Array(
            (0..n)
                .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "sero_blockNumber", "params": params}))
                .collect(),
        )
        .to_string()
    };
    let (_, text) = post([127, 0, 0, 2], addr, &batch(max, json!([])))
        .await
        .unwrap();
    let r: Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(r.as_array().unwrap().len(), max, "{r}");
    let (_, text) = post([127, 0, 0, 2], addr, &batch(max + 1, json!([])))
        .await
        .unwrap();
    let r: Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(r["error"]["code"], -32010, "{r}");
    // Extra parameters inside a batch are refused per call.
    let (_, text) = post([127, 0, 0, 2], addr, &batch(2, json!([9])))
        .await
        .unwrap();
    let r: Value = serde_json::from_str(text.trim()).unwrap();
    for e in r.as_array().unwrap() {
        assert_eq!(e["error"]["code"], -32602, "{r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_transaction_is_answered_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let node = node(dir.path());
    // A transaction of Alice's that passes every cheap rule (chain id,
    // anchor, nullifiers, signatures, balance) but carries no valid proof.
    let tx = {
        let n = node.lock().unwrap();
        let count = n.chain.db().leaf_count().unwrap();
        let records: Vec<(u64, OutputRecord)> = n
            .chain
            .db()
            .outputs(0, count)
            .unwrap()
            .into_iter()
            .map(|(p, b)| (p, OutputRecord::from_bytes(&b).unwrap()))
            .collect();
        let notes: Vec<SpendableNote> = find_notes(&alice().trace_key(), &records)
            .into_iter()
            .map(|(pos, note)| SpendableNote {
                note,
                path: n.chain.path(pos).unwrap(),
            })
            .collect();
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        build_unproven(
            n.chain.chain_id(),
            &alice(),
            &notes,
            vec![Recipient {
                pkr: alice().payment_address().derive_pkr(&mut rng),
                asset: Asset::sero(100),
                memo: vec![],
                plain: false,
            }],
            10,
            None,
            &mut rng,
        )
        .unwrap()
    };
    let (addr, _handle) = serve_with(node.clone(), "127.0.0.1:0", RpcLimits::default())
        .await
        .unwrap();
    let raw = json!([hex::encode(tx.to_bytes())]);
    let first = call(addr, "sero_sendRawTransaction", raw.clone()).await;
    assert_eq!(first["error"]["code"], -32000, "{first}");
    let msg = first["error"]["message"].as_str().unwrap().to_string();
    assert!(msg.contains("proof does not verify"), "{msg}");
    assert!(first["error"].get("data").is_none(), "{first}");
    for _ in 0..3 {
        let again = call(addr, "sero_sendRawTransaction", raw.clone()).await;
        assert_eq!(again["error"]["code"], -32000, "{again}");
        assert_eq!(again["error"]["message"], msg.as_str(), "{again}");
        assert_eq!(again["error"]["data"]["cached"], true, "{again}");
    }
    assert!(node.lock().unwrap().mempool.is_empty());
}

#[test]
fn every_method_has_its_arity_listed() {
    let dir = tempfile::tempdir().unwrap();
    let methods = sero_rpc::methods(node(dir.path()), 16).unwrap();
    let mut names: Vec<&str> = methods.method_names().collect();
    names.sort();
    let listed: Vec<&str> = sero_rpc::METHOD_ARITY.iter().map(|(m, _)| *m).collect();
    for m in &names {
        assert!(
            listed.contains(m),
            "{m} is served but not in METHOD_ARITY (extra parameters would be ignored)"
        );
    }
    for m in &listed {
        assert!(names.contains(m), "{m} is listed but not served");
    }
}

/// Every method the server answers, each with a battery of malformed
/// parameters (wrong types, huge numbers, garbage and oversize hex,
/// non-canonical encodings, nested junk): a JSON-RPC error object every
/// time — never a crash, a hang or an HTTP error — and afterwards the node
/// answers as before with nothing changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_method_refuses_malformed_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let n = node(dir.path());
    let (addr, _handle) = serve_with(n.clone(), "127.0.0.1:0", RpcLimits::default())
        .await
        .unwrap();
    let before = call(addr, "sero_chainInfo", json!([])).await;
    let leaves = call(addr, "sero_leafCount", json!([])).await;
    let long_hex = format!("0x{}", "ab".repeat(200_000));
    let junk: Vec<Value> = vec![
        json!(null),
        json!(true),
        json!(-1),
        json!(1.5),
        json!(u64::MAX),
        json!("18446744073709551616"),
        json!("0x"),
        json!("0xzz"),
        json!("zz"),
        json!("0x0"),
        json!("00".repeat(33)),
        json!(long_hex),
        json!([]),
        json!([[[[[[]]]]]]),
        json!({}),
        json!({"to": 5, "data": []}),
        json!({"to": "0x00000000000000000000000000000000000000aa", "data": "0xzz"}),
        json!({"fromBlock": "0xffffffffffffffffff", "toBlock": "latest"}),
        json!({"fromBlock": "0x0", "toBlock": "0xffffffff"}),
        json!({"address": ["0x12"], "topics": [[5]]}),
    ];
    let methods = sero_rpc::methods(n.clone(), 16).unwrap();
    let names: Vec<String> = methods.method_names().map(str::to_string).collect();
    assert!(names.len() >= 25, "{names:?}");
    let mut tried = 0;
    for m in &names {
        let (_, arity) = sero_rpc::METHOD_ARITY
            .iter()
            .find(|(x, _)| x == m)
            .copied()
            .unwrap();
        for j in &junk {
            // The junk value in every position, the others valid-looking.
            for pos in 0..arity.max(1) {
                let mut p: Vec<Value> = (0..arity).map(|_| json!("0x00")).collect();
                if p.is_empty() {
                    p.push(j.clone());
                } else {
                    p[pos] = j.clone();
                }
                let r = tokio::time::timeout(
                    Duration::from_secs(30),
                    call(addr, m, Value::Array(p.clone())),
                )
                .await
                .unwrap_or_else(|_| panic!("{m} {p:?}: no answer in 30 s"));
                tried += 1;
                // A method may accept a value that happens to be valid (e.g.
                // `null` as an optional block tag); what it may not do is
                // crash, hang or answer something that is not JSON-RPC.
                assert!(
                    r.get("error").is_some() || r.get("result").is_some(),
                    "{m} {p:?}: {r}"
                );
                if let Some(e) = r.get("error") {
                    assert!(e["code"].is_i64(), "{m} {p:?}: {r}");
                    assert!(e["message"].is_string(), "{m} {p:?}: {r}");
                }
            }
        }
    }
    assert!(tried > 500, "{tried}");
    assert_eq!(call(addr, "sero_chainInfo", json!([])).await, before);
    assert_eq!(call(addr, "sero_leafCount", json!([])).await, leaves);
    assert_eq!(n.lock().unwrap().mempool.len(), 0);
}
