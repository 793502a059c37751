//! `sero bench load`: sustained private transfers through a real local
//! network. N `sero node` validators on loopback (a `sero testnet` genesis
//! whose premine gives the development account one note per transaction)
//! receive a pool of pre-proved 1-input/2-output private payments at a
//! fixed rate over JSON-RPC, spread over the nodes; node 0 is watched for
//! finality. Printed: transactions finalised per second, time from
//! submission to finality (p50/p99/max), CPU seconds and resident memory of
//! every node process, and blocks and transactions per block.
//!
//! The pool is proved once and cached in the bench directory with the
//! genesis and validator keys that it is valid for (`pool.bin`, tied to the
//! chain id): a rerun with the same or a smaller `--txs` skips proving and
//! starts the nodes on fresh stores.

use super::{all_records, progress};
use crate::cli::testnet::{init, spawn_node, TestnetArgs};
use crate::output::{CliError, Report};
use clap::Args;
use rand_core::OsRng;
use rayon::prelude::*;
use serde_json::json;
use sero_assets::Asset;
use sero_crypto::Scalar;
use sero_ledger::builder::{build_transaction, Network, Recipient, SpendableNote};
use sero_ledger::Transaction;
use sero_node::genesis::{Genesis, GenesisJson, PremineJson};
use sero_node::scan::find_notes;
use sero_node::Chain;
use sero_rpc::SeroApiClient;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Args)]
pub struct LoadArgs {
    /// Validator processes on loopback.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=16))]
    nodes: u32,
    /// Transactions in the pool (proved once, cached in --dir).
    #[arg(long, default_value_t = 300)]
    txs: usize,
    /// Submission rate, transactions per second (spread over the nodes).
    #[arg(long, default_value_t = 150.0)]
    rate: f64,
    /// Directory for the genesis, keys, pool cache and node stores (kept
    /// between runs so the pool is proved once).
    #[arg(long, default_value = ".sero-bench-load")]
    dir: PathBuf,
    /// A CI-sized run: 3 nodes, 6 transactions at 3 per second.
    #[arg(long)]
    quick: bool,
}

const POOL_MAGIC: &[u8; 8] = b"SEROPOOL";
const PAY: u128 = 1_000;
const FEE: u128 = 10;

fn fail(e: impl std::fmt::Display) -> CliError {
    CliError::Failed(e.to_string())
}

struct Procs(Vec<Child>);

impl Drop for Procs {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> Result<u16, CliError> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(fail)?
        .local_addr()
        .map_err(fail)?
        .port())
}

/// `utime + stime` of a process, in seconds (clock ticks of 10 ms).
fn proc_cpu_s(pid: u32) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// `VmRSS` and `VmHWM` of a process, in MiB.
fn proc_mem_mib(pid: u32) -> (Option<f64>, Option<f64>) {
    let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return (None, None);
    };
    let field = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// The genesis of the bench network: `sero testnet`'s (validators, keys,
/// parameters), its premine replaced by `n` notes of the development
/// account (positions `1..=n` of `derive_pkr_with`). Reused when it already
/// has at least `n` notes.
fn prepare_genesis(
    args: &LoadArgs,
    n: usize,
) -> Result<(PathBuf, Vec<crate::cli::testnet::NodePlan>), CliError> {
    let t = TestnetArgs {
        nodes: args.nodes,
        dir: args.dir.clone(),
        base_port: free_port()?,
        rpc_base_port: free_port()?,
        stake: 1000,
        init_only: true,
        reset: false,
    };
    let genesis_path = args.dir.join("genesis.json");
    if genesis_path.exists() {
        let g: Option<GenesisJson> = std::fs::read(&genesis_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        let fits =
            g.is_some_and(|g| g.premine.len() >= n && g.validators.len() == args.nodes as usize);
        if !fits {
            // Another size or network: start over (keys, genesis, pool).
            std::fs::remove_dir_all(&args.dir).map_err(fail)?;
        }
    }
    let fresh = !genesis_path.exists();
    let (genesis, mut plans) = init(&t)?;
    if fresh {
        let mut g: GenesisJson =
            serde_json::from_slice(&std::fs::read(&genesis).map_err(fail)?).map_err(fail)?;
        let pk = crate::cli::dev::dev_account().payment_address();
        g.name = format!("sero-bench-load-{}", args.nodes);
        g.premine = (1..=n.max(1) as u64)
            .map(|i| PremineJson {
                pkr: pk.derive_pkr_with(&Scalar::from(i)).to_string(),
                value: crate::cli::dev::DEV_NOTE_VALUE.to_string(),
            })
            .collect();
        Genesis::from_json(g.clone()).map_err(fail)?;
        std::fs::write(&genesis, serde_json::to_string_pretty(&g).map_err(fail)?).map_err(fail)?;
        let _ = std::fs::remove_file(args.dir.join("pool.bin"));
    }
    // Fresh node stores every run; keys stay.
    for p in &mut plans {
        for e in std::fs::read_dir(&p.dir).map_err(fail)?.flatten() {
            let name = e.file_name();
            if name == "validator.key" || name == "p2p.key" {
                continue;
            }
            let path = e.path();
            let r = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            r.map_err(|e| fail(format!("cannot clear {}: {e}", path.display())))?;
        }
    }
    Ok((genesis, plans))
}

fn read_pool(path: &Path, chain_id: &[u8; 32], n: usize) -> Option<Vec<Transaction>> {
    let b = std::fs::read(path).ok()?;
    if b.len() < 44 || &b[..8] != POOL_MAGIC || &b[8..40] != chain_id {
        return None;
    }
    let count = u32::from_le_bytes(b[40..44].try_into().ok()?) as usize;
    if count < n {
        return None;
    }
    let mut at = 44;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let len = u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize;
        at += 4;
        out.push(Transaction::from_bytes(b.get(at..at + len)?).ok()?);
        at += len;
    }
    Some(out)
}

fn write_pool(path: &Path, chain_id: &[u8; 32], txs: &[Transaction]) -> Result<(), CliError> {
    let mut b = Vec::new();
    b.extend_from_slice(POOL_MAGIC);
    b.extend_from_slice(chain_id);
    b.extend_from_slice(&(txs.len() as u32).to_le_bytes());
    for t in txs {
        let raw = t.to_bytes();
        b.extend_from_slice(&(raw.len() as u32).to_le_bytes());
        b.extend_from_slice(&raw);
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, &b).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)
}

/// The pool: from the cache, or proved now (each transaction spends one
/// premined note: 1 input, a payment and the change, 2 outputs).
fn pool(
    genesis_path: &Path,
    dir: &Path,
    n: usize,
    quiet: bool,
) -> Result<(Vec<Transaction>, f64), CliError> {
    let genesis = Genesis::load(genesis_path).map_err(fail)?;
    let params = Arc::new(genesis.load_params(genesis_path, None).map_err(fail)?);
    let scratch = dir.join("pool-chain");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).map_err(fail)?;
    let chain = Chain::open(
        &scratch.join("chain.redb"),
        params.clone(),
        genesis.chain_config(),
        || genesis.block(),
    )
    .map_err(fail)?;
    let chain_id = chain.chain_id();
    let cache = dir.join("pool.bin");
    if let Some(txs) = read_pool(&cache, &chain_id, n) {
        drop(chain);
        let _ = std::fs::remove_dir_all(&scratch);
        return Ok((txs, 0.0));
    }
    let owner = crate::cli::dev::dev_account();
    let records = all_records(&chain)?;
    let notes: Vec<SpendableNote> = find_notes(&owner.trace_key(), &records)
        .into_iter()
        .take(n)
        .map(|(pos, note)| {
            chain
                .path(pos)
                .map(|path| SpendableNote { note, path })
                .ok_or_else(|| fail(format!("no path for note {pos}")))
        })
        .collect::<Result<_, _>>()?;
    if notes.len() < n {
        return Err(fail(format!(
            "the genesis gives {} notes, {n} needed",
            notes.len()
        )));
    }
    let payee = crate::cli::dev::dev_account().payment_address();
    let pb = progress(n as u64, "proving the pool", quiet);
    let t = Instant::now();
    let txs: Vec<Transaction> = notes
        .par_iter()
        .map(|note| {
            let tx = build_transaction(
                Network {
                    chain_id,
                    params: &params,
                },
                &owner,
                std::slice::from_ref(note),
                vec![Recipient {
                    pkr: payee.derive_pkr(&mut OsRng),
                    asset: Asset::sero(PAY),
                    memo: b"load".to_vec(),
                    plain: false,
                }],
                FEE,
                &mut OsRng,
                &|_, _| {},
            )
            .map_err(fail);
            pb.inc(1);
            tx
        })
        .collect::<Result<_, _>>()?;
    pb.finish_and_clear();
    let prove_s = t.elapsed().as_secs_f64();
    drop(chain);
    let _ = std::fs::remove_dir_all(&scratch);
    write_pool(&cache, &chain_id, &txs)?;
    Ok((txs, prove_s))
}

pub fn run(mut args: LoadArgs, quiet: bool) -> Result<Report, CliError> {
    if args.quick {
        args.nodes = 3;
        args.txs = 6;
        args.rate = 3.0;
    }
    if !(args.rate > 0.0 && args.rate.is_finite()) {
        return Err(CliError::Usage("--rate must be a positive number".into()));
    }
    if args.txs == 0 {
        return Err(CliError::Usage("--txs must be at least 1".into()));
    }
    let n = args.txs;
    let (genesis, plans) = prepare_genesis(&args, n)?;
    let (txs, prove_s) = pool(&genesis, &args.dir, n, quiet)?;
    if !quiet {
        if prove_s > 0.0 {
            eprintln!(
                "proved a pool of {n} transactions in {prove_s:.1} s (cached in {})",
                args.dir.join("pool.bin").display()
            );
        } else {
            eprintln!(
                "pool of {n} transactions read from {}",
                args.dir.join("pool.bin").display()
            );
        }
    }

    let mut procs = Procs(vec![]);
    for p in &plans {
        procs.0.push(spawn_node(&p.args(&genesis), &p.dir)?);
    }
    let pids: Vec<u32> = procs.0.iter().map(Child::id).collect();
    let urls: Vec<String> = plans.iter().map(|p| format!("http://{}", p.rpc)).collect();
    let rt = tokio::runtime::Runtime::new().map_err(fail)?;
    let report = rt.block_on(drive(&args, &txs, &urls, &pids, &mut procs, quiet))?;
    drop(procs);
    let mut report = report;
    if let Some(o) = report.1.as_object_mut() {
        o.insert("prove_pool_s".into(), json!(prove_s));
    }
    Ok(Report::new(report.0, report.1))
}

async fn drive(
    args: &LoadArgs,
    txs: &[Transaction],
    urls: &[String],
    pids: &[u32],
    procs: &mut Procs,
    quiet: bool,
) -> Result<(String, serde_json::Value), CliError> {
    let clients: Vec<_> = urls
        .iter()
        .map(|u| sero_rpc::client(u).map_err(fail))
        .collect::<Result<_, _>>()?;
    // Up: every node answers and node 0 has finalised a block.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        for (i, c) in procs.0.iter_mut().enumerate() {
            if let Ok(Some(s)) = c.try_wait() {
                return Err(fail(format!("node {i} exited ({s}); see its node.log")));
            }
        }
        let mut up = true;
        for c in &clients {
            up &= c.block_number().await.is_ok();
        }
        if up && clients[0].finalized_number().await.unwrap_or(0) >= 1 {
            break;
        }
        if Instant::now() > deadline {
            return Err(fail(
                "the network did not finalise a block within 5 minutes",
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let start_height = clients[0].finalized_number().await.map_err(fail)?;
    let cpu0: Vec<Option<f64>> = pids.iter().map(|p| proc_cpu_s(*p)).collect();
    let n = txs.len();
    let raws: Vec<(String, String)> = txs
        .iter()
        .map(|t| (hex::encode(t.txid()), hex::encode(t.to_bytes())))
        .collect();
    let submitted: Arc<Mutex<HashMap<String, Instant>>> = Default::default();
    let errors: Arc<Mutex<Vec<String>>> = Default::default();
    let pb = progress(n as u64, "finalised", quiet);
    let t0 = Instant::now();
    let period = Duration::from_secs_f64(1.0 / args.rate);
    // Submitter: transaction i at t0 + i/rate, to node i mod N, each in
    // its own task so a slow answer does not delay the schedule.
    let submitter = {
        let clients = clients.clone();
        let submitted = submitted.clone();
        let errors = errors.clone();
        tokio::spawn(async move {
            let mut handles = vec![];
            for (i, (txid, raw)) in raws.into_iter().enumerate() {
                tokio::time::sleep_until(tokio::time::Instant::from_std(t0 + period * i as u32))
                    .await;
                let c = clients[i % clients.len()].clone();
                let submitted = submitted.clone();
                let errors = errors.clone();
                handles.push(tokio::spawn(async move {
                    let at = Instant::now();
                    match c.send_raw_transaction(raw).await {
                        Ok(_) => {
                            submitted.lock().expect("lock").insert(txid, at);
                        }
                        Err(e) => errors.lock().expect("lock").push(e.to_string()),
                    }
                }));
            }
            for h in handles {
                let _ = h.await;
            }
        })
    };
    // Watcher: node 0's finalised blocks, polled every 20 ms.
    let mut final_at: HashMap<String, Instant> = HashMap::new();
    let mut blocks: Vec<(u64, usize)> = vec![];
    let mut height = start_height;
    let send_s = n as f64 / args.rate;
    let deadline = t0 + Duration::from_secs_f64(send_s + 120.0);
    let mut last_final = t0;
    while final_at.len() < n {
        if Instant::now() > deadline {
            break;
        }
        let f = clients[0].finalized_number().await.unwrap_or(height);
        while height < f {
            height += 1;
            let Some(b) = clients[0].block_by_number(height).await.map_err(fail)? else {
                break;
            };
            let now = Instant::now();
            let mine = b
                .txids
                .iter()
                .filter(|t| final_at.insert((*t).clone(), now).is_none())
                .count();
            if mine > 0 {
                last_final = now;
            }
            blocks.push((height, b.txids.len()));
            pb.set_position(final_at.len() as u64);
        }
        if submitter.is_finished() && errors.lock().expect("lock").len() + final_at.len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    pb.finish_and_clear();
    let _ = submitter.await;
    let wall = last_final.duration_since(t0).as_secs_f64();
    let cpu: Vec<Option<f64>> = pids
        .iter()
        .zip(&cpu0)
        .map(|(p, c0)| Some(proc_cpu_s(*p)? - (*c0)?))
        .collect();
    let mem: Vec<(Option<f64>, Option<f64>)> = pids.iter().map(|p| proc_mem_mib(*p)).collect();
    let submitted = submitted.lock().expect("lock").clone();
    let errors = errors.lock().expect("lock").clone();
    let mut lat: Vec<f64> = final_at
        .iter()
        .filter_map(|(id, f)| {
            submitted
                .get(id)
                .map(|s| f.duration_since(*s).as_secs_f64())
        })
        .collect();
    lat.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let finalized = lat.len();
    let tps = if wall > 0.0 {
        finalized as f64 / wall
    } else {
        0.0
    };
    let (p50, p99, max) = (
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(0.0),
    );
    let with_txs: Vec<usize> = blocks.iter().map(|b| b.1).filter(|&c| c > 0).collect();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut human = format!(
        "{} validators on loopback, {n} private 1-input/2-output transfers submitted at {:.1}/s over {:.1} s\n\
         accepted by the nodes: {}; refused: {}; finalised: {finalized} in {:.1} s\n\
         finalised throughput: {tps:.1} tx/s; submission to finality: p50 {:.2} s, p99 {:.2} s, max {:.2} s\n\
         blocks finalised: {} ({} with transactions, at most {} transactions in one)\n",
        args.nodes,
        args.rate,
        send_s,
        submitted.len(),
        errors.len(),
        wall,
        p50,
        p99,
        max,
        blocks.len(),
        with_txs.len(),
        with_txs.iter().max().copied().unwrap_or(0),
    );
    for (i, (c, (rss, hwm))) in cpu.iter().zip(&mem).enumerate() {
        human.push_str(&format!(
            "node {i}: CPU {} s ({}% of one core over the run), RSS {} MiB (peak {} MiB)\n",
            c.map(|c| format!("{c:.1}")).unwrap_or_else(|| "-".into()),
            c.map(|c| format!("{:.0}", 100.0 * c / wall.max(1e-9)))
                .unwrap_or_else(|| "-".into()),
            rss.map(|m| format!("{m:.0}")).unwrap_or_else(|| "-".into()),
            hwm.map(|m| format!("{m:.0}")).unwrap_or_else(|| "-".into()),
        ));
    }
    human.push_str(&format!("load average at the end: {}", load.trim()));
    if let Some(e) = errors.first() {
        human.push_str(&format!("\nfirst refusal: {e}"));
    }
    let json = json!({
        "nodes": args.nodes,
        "txs": n,
        "rate": args.rate,
        "submit_s": send_s,
        "accepted": submitted.len(),
        "refused": errors.len(),
        "finalized": finalized,
        "wall_s": wall,
        "finalized_tx_per_s": tps,
        "finality_s": { "p50": p50, "p99": p99, "max": max },
        "blocks": blocks.len(),
        "blocks_with_txs": with_txs.len(),
        "max_txs_per_block": with_txs.iter().max().copied().unwrap_or(0),
        "node_cpu_s": cpu,
        "node_rss_mib": mem.iter().map(|m| m.0).collect::<Vec<_>>(),
        "node_peak_rss_mib": mem.iter().map(|m| m.1).collect::<Vec<_>>(),
        "load_average_end": load.trim(),
        "first_error": errors.first(),
    });
    Ok((human, json))
}
