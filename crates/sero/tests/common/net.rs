//! Processes and JSON-RPC over plain HTTP for the multi-process tests
//! (`e2e_testnet`, `e2e_kill`, `e2e_ceremony`).

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::SERO;

/// A child process, killed when dropped.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A JSON-RPC call over plain HTTP/1.1 (no client library needed).
pub fn rpc(url: &str, method: &str, params: Value) -> Option<Value> {
    let addr = url.strip_prefix("http://").unwrap_or(url);
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    let json_start = resp.find("\r\n\r\n")? + 4;
    let v: Value = serde_json::from_str(resp[json_start..].trim()).ok()?;
    v.get("result").cloned()
}

pub fn height(url: &str) -> Option<u64> {
    rpc(url, "sero_blockNumber", json!([]))?.as_u64()
}

pub fn finalized(url: &str) -> Option<u64> {
    rpc(url, "sero_finalizedNumber", json!([]))?.as_u64()
}

pub fn block_hash(url: &str, h: u64) -> Option<String> {
    rpc(url, "sero_getBlockByNumber", json!([h]))?
        .get("hash")?
        .as_str()
        .map(String::from)
}

pub fn wait_until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("timed out after {secs} s waiting for {what}");
}

/// `span` consecutive ports, all free now, the first returned. Drawn
/// below the kernel's ephemeral range (32768–60999 on Linux): a port the
/// kernel hands out for `bind(0)` or for an outgoing connection (a node
/// dialling a peer, an RPC client) can be taken by another process before
/// the node binds it, and two `bind(0)` draws can fall within a testnet's
/// `base + i` of each other. A node that cannot bind never answers, and the
/// test waits out its timeout.
pub fn free_ports(span: u16) -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static DRAWS: AtomicU32 = AtomicU32::new(0);
    let seed = std::process::id().wrapping_mul(0x9e37_79b9)
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
    for _ in 0..10_000 {
        let x = seed
            .wrapping_add(DRAWS.fetch_add(1, Ordering::Relaxed))
            .wrapping_mul(0x9e37_79b9);
        let base = 10_000 + (x >> 8) % (32_000 - 10_000 - span as u32);
        let base = base as u16;
        if (0..span).all(|i| std::net::TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return base;
        }
    }
    panic!("no {span} consecutive free ports below 32000");
}

/// One free port ([`free_ports`]).
pub fn free_port() -> u16 {
    free_ports(1)
}

pub fn spawn(args: &[String], log: &Path) -> Proc {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    Proc(
        Command::new(SERO)
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(f.try_clone().unwrap())
            .stderr(f)
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// `sero testnet --nodes n --init-only` into `d`: the plan (JSON) and the
/// first libp2p port. The `n` libp2p ports and then the `n` RPC ports are
/// one range of free ports ([`free_ports`]).
pub fn init_testnet(d: &Path, n: u32) -> (Value, u16) {
    init_testnet_with(d, n, &[])
}

/// [`init_testnet`] with more `sero testnet` options.
pub fn init_testnet_with(d: &Path, n: u32, extra: &[&str]) -> (Value, u16) {
    let nodes = u16::try_from(n).expect("a small testnet");
    let p2p = free_ports(2 * nodes);
    let rpc_port = p2p + nodes;
    let out = Command::new(SERO)
        .args(["--json", "testnet", "--nodes", &n.to_string()])
        .args(["--init-only", "--dir"])
        .arg(d)
        .args(["--base-port", &p2p.to_string()])
        .args(["--rpc-base-port", &rpc_port.to_string()])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (serde_json::from_slice(&out.stdout).unwrap(), p2p)
}

/// Each node of a testnet plan: its command line and its RPC URL.
pub fn plan_nodes(plan: &Value) -> (Vec<Vec<String>>, Vec<String>) {
    plan["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let args = n["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect();
            (args, n["rpc"].as_str().unwrap().to_string())
        })
        .unzip()
}

/// A testnet of `n` validators from `sero testnet --init-only` in `d`,
/// started, once node 0 has finalised block `final_at`: the plan, each
/// node's command line and RPC URL, and the running processes.
#[allow(dead_code)]
pub fn start_testnet(
    d: &Path,
    n: u32,
    final_at: u64,
) -> (Value, Vec<Vec<String>>, Vec<String>, Vec<Proc>) {
    start_testnet_with(d, n, final_at, &[])
}

/// [`start_testnet`] with more `sero testnet` options.
#[allow(dead_code)]
pub fn start_testnet_with(
    d: &Path,
    n: u32,
    final_at: u64,
    extra: &[&str],
) -> (Value, Vec<Vec<String>>, Vec<String>, Vec<Proc>) {
    let (plan, _) = init_testnet_with(d, n, extra);
    let (args, urls) = plan_nodes(&plan);
    let procs: Vec<Proc> = args
        .iter()
        .enumerate()
        .map(|(i, a)| spawn(a, &d.join(format!("node{i}.log"))))
        .collect();
    wait_until(&format!("block {final_at} to be final"), 240, || {
        finalized(&urls[0]).is_some_and(|f| f >= final_at)
    });
    (plan, args, urls, procs)
}

/// `sero --json wallet send --wait` of `amount` to `to` from `mnemonic`
/// through `url`, with its own `wallet_dir`; must succeed. Returns the
/// JSON report (its `height` is the including block).
#[allow(dead_code)]
pub fn send_wait(url: &str, wallet_dir: &Path, mnemonic: &str, to: &str, amount: u64) -> Value {
    let out = Command::new(SERO)
        .args(["--json", "wallet", "--rpc", url, "--wallet-dir"])
        .arg(wallet_dir)
        .args(["send", "--mnemonic", mnemonic, "--to", to, "--amount"])
        .arg(amount.to_string())
        .arg("--wait")
        .env_remove("SERO_MNEMONIC")
        .output()
        .unwrap();
    let sent: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert!(
        out.status.success(),
        "{sent} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    sent
}
