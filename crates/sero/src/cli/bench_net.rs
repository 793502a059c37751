//! `sero bench network`: a real local network on loopback (N `sero node`
//! processes from a fresh `sero testnet` genesis). Measures
//!
//! * **time to finality**: node 0's RPC is polled every 10 ms; the interval
//!   between two consecutive heights becoming final is the time one round of
//!   SE-Random takes from its start (the previous block final) to its own
//!   Final certificate;
//! * **sync rate**: a fresh non-voting node then joins and catches up
//!   through request-response sync (certificates and seals checked, blocks
//!   validated and applied): blocks per second from its first RPC answer to
//!   the validators' tip.

use crate::cli::testnet::{init, spawn_node, TestnetArgs};
use crate::output::{fail, CliError, Report};
use clap::Args;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

#[derive(Args)]
pub struct NetBenchArgs {
    /// Number of validator processes.
    #[arg(long, default_value_t = 4)]
    nodes: u32,
    /// Finalised blocks to measure.
    #[arg(long, default_value_t = 20)]
    blocks: u64,
    /// Working directory (default: a fresh one under the system temp dir).
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// Child processes killed (and reaped) when dropped.
pub(crate) struct Procs(pub(crate) Vec<Child>);

impl Drop for Procs {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn rpc_u64(addr: &str, method: &str) -> Option<u64> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": []}).to_string();
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    let start = resp.find("\r\n\r\n")? + 4;
    let v: Value = serde_json::from_str(resp[start..].trim()).ok()?;
    v.get("result")?.as_u64()
}

/// `span` consecutive loopback ports, all free now; the first is
/// returned. Drawn below the kernel's ephemeral range (32768–60999 on
/// Linux), so that no outgoing connection is given one of them before the
/// node binds it, and as one range, so that a testnet's `base + i` ports of
/// two kinds cannot overlap (two `bind(0)` draws can land within `--nodes`
/// of each other).
pub(crate) fn free_ports(span: u16) -> Result<u16, CliError> {
    let seed = std::process::id().wrapping_mul(0x9e37_79b9)
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
    for k in 0..10_000u32 {
        let x = seed.wrapping_add(k).wrapping_mul(0x9e37_79b9);
        let base = (10_000 + (x >> 8) % (22_000 - u32::from(span))) as u16;
        if (0..span).all(|i| std::net::TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return Ok(base);
        }
    }
    Err(CliError::Failed(format!(
        "no {span} consecutive free loopback ports below 32000"
    )))
}

/// One free port ([`free_ports`]).
pub(crate) fn free_port() -> Result<u16, CliError> {
    free_ports(1)
}

/// The first libp2p port and the first RPC port of a testnet of `nodes`
/// validators: one range of `2·nodes` free ports ([`free_ports`]).
pub(crate) fn testnet_ports(nodes: u32) -> Result<(u16, u16), CliError> {
    let n = u16::try_from(nodes)
        .ok()
        .filter(|n| *n <= 1000)
        .ok_or_else(|| CliError::Failed(format!("{nodes} nodes: at most 1000 on loopback")))?;
    let base = free_ports(2 * n)?;
    Ok((base, base + n))
}

fn percentile(sorted: &[u64], p: usize) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

pub fn run(args: NetBenchArgs) -> Result<Report, CliError> {
    let dir = args.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("sero-bench-net-{}", std::process::id()))
    });
    let (base_port, rpc_base_port) = testnet_ports(args.nodes)?;
    let t = TestnetArgs {
        nodes: args.nodes,
        dir: dir.clone(),
        base_port,
        rpc_base_port,
        stake: 1000,
        init_only: true,
        reset: true,
        checkpoint_interval: sero_node::genesis::DEFAULT_CHECKPOINT_INTERVAL,
        anchor_window: sero_tree::DEFAULT_ANCHOR_WINDOW as u64,
    };
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(fail)?;
    }
    let (genesis, plans) = init(&t)?;
    let mut procs = Procs(vec![]);
    for p in &plans {
        procs.0.push(spawn_node(&p.args(&genesis), &p.dir)?);
    }
    eprintln!(
        "started {} validators in {}; waiting for the first final block...",
        plans.len(),
        dir.display()
    );
    let rpc0 = plans[0].rpc.clone();
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut last = 0u64;
    let mut final_at: Vec<(u64, Instant)> = vec![];
    while final_at.len() < args.blocks as usize + 1 {
        if Instant::now() > deadline {
            return Err(fail(
                "the network did not finalise the blocks within 10 minutes",
            ));
        }
        if let Some(f) = rpc_u64(&rpc0, "sero_finalizedNumber") {
            if f > last {
                // Only consecutive single-height steps time one round.
                if f == last + 1 || final_at.is_empty() {
                    final_at.push((f, Instant::now()));
                } else {
                    final_at.clear();
                    final_at.push((f, Instant::now()));
                }
                last = f;
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut rounds: Vec<u64> = final_at
        .windows(2)
        .map(|w| (w[1].1 - w[0].1).as_millis() as u64)
        .collect();
    rounds.sort_unstable();
    let (median, p90) = (percentile(&rounds, 50), percentile(&rounds, 90));
    eprintln!(
        "time to finality: median {median} ms, p90 {p90} ms over {} rounds",
        rounds.len()
    );

    // A fresh follower catches up.
    let target = rpc_u64(&rpc0, "sero_blockNumber").unwrap_or(0);
    let fdir = dir.join("follower");
    std::fs::create_dir_all(&fdir).map_err(fail)?;
    let frpc = format!("127.0.0.1:{}", free_port()?);
    let mut fargs = vec![
        "node".to_string(),
        "--datadir".into(),
        fdir.display().to_string(),
        "--genesis".into(),
        genesis.display().to_string(),
        "--listen".into(),
        format!("/ip4/127.0.0.1/tcp/{}", free_port()?),
        "--rpc-addr".into(),
        frpc.clone(),
    ];
    for b in &plans[1].bootnodes {
        fargs.push("--bootnode".into());
        fargs.push(b.clone());
    }
    procs.0.push(spawn_node(&fargs, &fdir)?);
    let mut start: Option<(Instant, u64)> = None;
    let synced = loop {
        if Instant::now() > deadline {
            return Err(fail("the follower did not catch up within the deadline"));
        }
        if let Some(h) = rpc_u64(&frpc, "sero_blockNumber") {
            let s = *start.get_or_insert((Instant::now(), h));
            if h >= target {
                break (h - s.1, s.0.elapsed());
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let rate = synced.0 as f64 / synced.1.as_secs_f64().max(1e-3);
    drop(procs);
    if args.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let human = format!(
        "{} validators on loopback\n  time to finality  median {median} ms, p90 {p90} ms ({} rounds)\n  sync              {} blocks in {:.2} s = {rate:.1} blocks/s",
        args.nodes,
        rounds.len(),
        synced.0,
        synced.1.as_secs_f64()
    );
    Ok(Report::new(
        human,
        json!({
            "nodes": args.nodes,
            "rounds": rounds.len(),
            "finality_median_ms": median,
            "finality_p90_ms": p90,
            "sync_blocks": synced.0,
            "sync_seconds": synced.1.as_secs_f64(),
            "sync_blocks_per_s": rate,
        }),
    ))
}
