//! `sero bench load`: sustained private transfers through a real local
//! network. N `sero node` validators on loopback (a `sero testnet`
//! genesis) receive a pool of pre-proved 1-input/2-output private payments
//! at a fixed rate over JSON-RPC, spread over the nodes; node 0 is watched
//! for finality. Printed: transactions finalised per second, time from
//! submission to finality (p50/p99/max), CPU seconds and resident memory of
//! every node process, and blocks and transactions per block.
//!
//! # The pool, proved once
//!
//! A genesis holds at most 16 notes, so the pool's notes are made first:
//! levels of fan-out transactions (each spends one note and makes up to 63
//! plain notes) split the development account's genesis notes into
//! `--txs` notes on the running network (two levels up to 504 notes,
//! three up to 31,752, ...), each level until final. Between levels, and
//! after the last, the nodes are stopped and node 0's store copied to
//! every node (`base/`); the next level and the pool are proved against
//! that state with the nodes down (each pool transaction spends one
//! fan-out note), so their anchor is the tip's root when the nodes
//! restart. Every run restores the nodes from `base/`: the same chain, so
//! the cached `pool.bin` (tied to the chain id and the base's root) stays
//! valid and a rerun skips fan-out and proving.
//!
//! The pool is appended to `pool.bin` as it is proved (a chunk at a time,
//! synced), so a long pool (45,000 transactions for five minutes at 150
//! per second) can be proved over several invocations: an interrupted one
//! resumes where the file ends (`--prepare-only` proves and stops). The
//! bench network's genesis accepts anchors from the last
//! [`ANCHOR_WINDOW`] blocks (a genesis field, `sero testnet
//! --anchor-window`), so a run of minutes stays within the window of the
//! base tip.

use super::{all_records, progress};
use crate::cli::bench_net::{testnet_ports, Procs};
use crate::cli::testnet::{init, spawn_node, NodePlan, TestnetArgs};
use crate::output::{fail, CliError, Report};
use clap::Args;
use rand_core::OsRng;
use rayon::prelude::*;
use serde_json::json;
use sero_assets::Asset;
use sero_ledger::builder::{build_transaction, Network, Recipient, SpendableNote};
use sero_ledger::Transaction;
use sero_node::genesis::{Genesis, GenesisJson};
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
    /// Transactions in the pool (proved once, cached in --dir and resumed
    /// where an interrupted proving stopped; the fan-out is made for the
    /// whole pool, so a rerun with more transactions than the base holds
    /// starts over).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..=MAX_TXS as i64))]
    txs: u32,
    /// Submission rate, transactions per second (spread over the nodes).
    #[arg(long, default_value_t = 150.0)]
    rate: f64,
    /// Directory for the genesis, keys, base stores, pool cache and node
    /// stores (kept between runs so the pool is proved once).
    #[arg(long, default_value = ".sero-bench-load")]
    dir: PathBuf,
    /// A CI-sized run: 3 nodes, 6 transactions at 3 per second.
    #[arg(long)]
    quick: bool,
    /// Make the fan-out and prove the pool (or the rest of it), then stop
    /// without running the load.
    #[arg(long)]
    prepare_only: bool,
}

const POOL_MAGIC: &[u8; 8] = b"SEROPOL2";
/// The largest pool (`--txs`).
const MAX_TXS: u32 = 60_000;
/// Anchors the bench network accepts: recent roots, one per block. A run
/// finalises a few blocks per second; its pool was proved against the
/// base tip.
pub const ANCHOR_WINDOW: u64 = sero_node::genesis::MAX_ANCHOR_WINDOW;
/// Pool transactions proved between two appends to `pool.bin`.
const CHUNK: usize = 128;
/// Submissions in flight per node: below the RPC server's 16 connections
/// per IP address (`sero_rpc::RpcLimits`), which would answer `429`.
const PER_NODE_INFLIGHT: usize = 12;
/// Each pool note (a plain fan-out output), what a pool transaction pays
/// (the rest, less the fee, is its change) and every fee.
const NOTE: u128 = 100;
const PAY: u128 = 40;
const FEE: u128 = 10;
/// Most plain notes one fan-out transaction makes.
const FAN: usize = 63;

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

/// Removes everything in a node directory but its keys.
fn clear_node_dir(dir: &Path) -> Result<(), CliError> {
    for e in std::fs::read_dir(dir).map_err(fail)?.flatten() {
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
    Ok(())
}

/// Copies the stores (`*.redb`) of `from` into `to`.
fn copy_stores(from: &Path, to: &Path) -> Result<(), CliError> {
    std::fs::create_dir_all(to).map_err(fail)?;
    for e in std::fs::read_dir(from).map_err(fail)?.flatten() {
        let path = e.path();
        if path.extension().is_some_and(|x| x == "redb") {
            std::fs::copy(&path, to.join(e.file_name()))
                .map_err(|e| fail(format!("cannot copy {}: {e}", path.display())))?;
        }
    }
    Ok(())
}

/// The bench network: `sero testnet`'s genesis, keys and parameters
/// (reused while it has `--nodes` validators; otherwise the directory
/// starts over).
fn prepare(args: &LoadArgs) -> Result<(PathBuf, Vec<NodePlan>), CliError> {
    let (base_port, rpc_base_port) = testnet_ports(args.nodes)?;
    let t = TestnetArgs {
        nodes: args.nodes,
        dir: args.dir.clone(),
        base_port,
        rpc_base_port,
        stake: 1000,
        init_only: true,
        reset: false,
        checkpoint_interval: sero_node::genesis::DEFAULT_CHECKPOINT_INTERVAL,
        anchor_window: ANCHOR_WINDOW,
    };
    let genesis_path = args.dir.join("genesis.json");
    if genesis_path.exists() {
        let g: Option<GenesisJson> = std::fs::read(&genesis_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        if g.is_none_or(|g| {
            g.validators.len() != args.nodes as usize || g.anchor_window != ANCHOR_WINDOW
        }) {
            std::fs::remove_dir_all(&args.dir).map_err(fail)?;
        }
    }
    init(&t)
}

/// The chain of node 0's store in `base` (opened read-write on a copy).
fn open_copy(genesis_path: &Path, store: &Path, scratch: &Path) -> Result<Chain, CliError> {
    let genesis = Genesis::load(genesis_path).map_err(fail)?;
    let params = Arc::new(genesis.load_params(genesis_path, None).map_err(fail)?);
    let _ = std::fs::remove_dir_all(scratch);
    std::fs::create_dir_all(scratch).map_err(fail)?;
    let path = scratch.join("chain.redb");
    if store.exists() {
        std::fs::copy(store, &path).map_err(fail)?;
    }
    Chain::open(&path, params, genesis.chain_config(), || genesis.block()).map_err(fail)
}

/// The development account's notes of `chain` worth `value` (all when
/// `None`), with their paths.
fn dev_notes(chain: &Chain, value: Option<u128>) -> Result<Vec<SpendableNote>, CliError> {
    spendable(chain, &account_notes(chain, value)?)
}

/// The development account's notes of `chain` worth `value` (all when
/// `None`), in tree order, without their paths.
fn account_notes(
    chain: &Chain,
    value: Option<u128>,
) -> Result<Vec<(u64, sero_zk::note::Note)>, CliError> {
    let owner = crate::cli::dev::dev_account();
    Ok(find_notes(&owner.trace_key(), &all_records(chain)?)
        .into_iter()
        .filter(|(_, n)| value.is_none_or(|v| n.asset.value == v))
        .collect())
}

/// `notes` with their witness paths in `chain`.
fn spendable(
    chain: &Chain,
    notes: &[(u64, sero_zk::note::Note)],
) -> Result<Vec<SpendableNote>, CliError> {
    notes
        .iter()
        .map(|&(pos, note)| {
            chain
                .path(pos)
                .map(|path| SpendableNote { note, path })
                .ok_or_else(|| fail(format!("no path for note {pos}")))
        })
        .collect()
}

fn prove(
    chain: &Chain,
    notes: &[SpendableNote],
    recipients: impl Fn() -> Vec<Recipient> + Sync,
    pb: &indicatif::ProgressBar,
) -> Result<Vec<Transaction>, CliError> {
    let owner = crate::cli::dev::dev_account();
    let (chain_id, params) = (chain.chain_id(), chain.params());
    // Transactions in parallel, each proving its circuits in parallel:
    // nested rayon work runs stolen jobs on the waiting thread's stack, so
    // the workers get large stacks (a many-output fan-out overflowed 2 MiB).
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(64 << 20)
        .build()
        .map_err(fail)?;
    pool.install(|| {
        notes
            .par_iter()
            .map(|note| {
                let tx = build_transaction(
                    Network { chain_id, params },
                    &owner,
                    std::slice::from_ref(note),
                    recipients(),
                    FEE,
                    &mut OsRng,
                    &|_, _| {},
                )
                .map_err(fail);
                pb.inc(1);
                tx
            })
            .collect()
    })
}

/// The pool cached at `path`: `POOL_MAGIC ‖ key (32) ‖ (LE32 len ‖
/// transaction)*`, appended as it is proved.
struct PoolFile {
    path: PathBuf,
    key: [u8; 32],
    txs: Vec<Transaction>,
    /// Bytes of the header and the complete records read.
    len: u64,
}

impl PoolFile {
    /// The first `max` transactions cached for `key`: of the longest
    /// prefix of complete records (an interrupted append leaves a torn last
    /// record, dropped and overwritten by the next append). Another key, or
    /// no file: none.
    fn read(path: &Path, key: [u8; 32], max: usize) -> PoolFile {
        let mut pool = PoolFile {
            path: path.to_path_buf(),
            key,
            txs: vec![],
            len: 0,
        };
        let Ok(b) = std::fs::read(path) else {
            return pool;
        };
        if b.len() < 40 || &b[..8] != POOL_MAGIC || b[8..40] != key {
            return pool;
        }
        let mut at = 40;
        while pool.txs.len() < max {
            let Some(len) = b.get(at..at + 4) else {
                break;
            };
            let len = u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize;
            let Some(tx) = b
                .get(at + 4..at + 4 + len)
                .and_then(|raw| Transaction::from_bytes(raw).ok())
            else {
                break;
            };
            pool.txs.push(tx);
            at += 4 + len;
        }
        pool.len = at as u64;
        pool
    }

    /// Appends `txs` after the records read (a new file starts with the
    /// header; records beyond those read are overwritten, so only a pool
    /// read to its end is appended to) and syncs it.
    fn append(&mut self, txs: Vec<Transaction>) -> Result<(), CliError> {
        use std::io::{Seek, Write};
        let mut b = Vec::new();
        if self.len == 0 {
            b.extend_from_slice(POOL_MAGIC);
            b.extend_from_slice(&self.key);
        }
        for t in &txs {
            let raw = t.to_bytes();
            b.extend_from_slice(&(raw.len() as u32).to_le_bytes());
            b.extend_from_slice(&raw);
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.path)
            .map_err(fail)?;
        f.set_len(self.len).map_err(fail)?;
        f.seek(std::io::SeekFrom::Start(self.len)).map_err(fail)?;
        f.write_all(&b).map_err(fail)?;
        f.sync_data().map_err(fail)?;
        self.len += b.len() as u64;
        self.txs.extend(txs);
        Ok(())
    }
}

/// What the cached pool is valid for: the chain id and the base's note
/// root (the pool's anchor).
fn pool_key(chain: &Chain) -> Result<[u8; 32], CliError> {
    let root = chain.db().tree_root().map_err(fail)?;
    Ok(sero_crypto::hash::hash256(
        b"SERO_BenchPool01",
        &[&chain.chain_id(), &sero_crypto::curve::encode_base(&root)],
    ))
}

fn start(genesis: &Path, plans: &[NodePlan]) -> Result<Procs, CliError> {
    let mut procs = Procs(vec![]);
    for p in plans {
        procs.0.push(spawn_node(&p.args(genesis), &p.dir)?);
    }
    Ok(procs)
}

impl Procs {
    /// An error naming the first node that has exited, if any.
    fn check_alive(&mut self) -> Result<(), CliError> {
        for (i, c) in self.0.iter_mut().enumerate() {
            if let Ok(Some(s)) = c.try_wait() {
                return Err(fail(format!("node {i} exited ({s}); see its node.log")));
            }
        }
        Ok(())
    }
}

/// Waits until every node answers and node 0 has finalised `height`.
async fn wait_up(
    clients: &[jsonrpsee_client::HttpClient],
    procs: &mut Procs,
    height: u64,
) -> Result<(), CliError> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        procs.check_alive()?;
        let mut up = true;
        for c in clients {
            up &= c.block_number().await.is_ok();
        }
        if up && clients[0].finalized_number().await.unwrap_or(0) >= height {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(fail(format!(
                "the network did not finalise block {height} within 5 minutes"
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until every node has committed two blocks after the base stores'
/// tip: the restarted nodes' first round runs while their gossip mesh
/// forms (its proposals can be lost, and it often ends empty, which backs
/// the next round off), so the measurement starts on a running network.
async fn warm_up(
    clients: &[jsonrpsee_client::HttpClient],
    procs: &mut Procs,
) -> Result<(), CliError> {
    let tip = clients[0].block_number().await.map_err(fail)?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        procs.check_alive()?;
        let mut warm = true;
        for c in clients {
            warm &= c.block_number().await.unwrap_or(0) >= tip + 2;
        }
        if warm {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(fail(format!(
                "the restarted network did not reach block {} within 2 minutes",
                tip + 2
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

mod jsonrpsee_client {
    pub use sero_rpc::jsonrpsee::http_client::HttpClient;
}

fn clients(plans: &[NodePlan]) -> Result<Vec<jsonrpsee_client::HttpClient>, CliError> {
    plans
        .iter()
        .map(|p| sero_rpc::client(&format!("http://{}", p.rpc)).map_err(fail))
        .collect()
}

/// The fan-out levels for `n` pool notes from `genesis` notes: how many
/// notes each level makes (the last is `n`) and the value of each (the
/// last is [`NOTE`]); a note of one level pays for its share of the next
/// level's notes and one fee.
fn fan_levels(genesis: usize, n: usize) -> Vec<(usize, u128)> {
    assert!(genesis > 0, "fan-out needs genesis notes");
    let mut sizes = vec![n];
    while *sizes.last().expect("non-empty") > genesis * FAN {
        sizes.push(sizes.last().expect("non-empty").div_ceil(FAN));
    }
    sizes.reverse();
    let mut values = vec![NOTE; sizes.len()];
    for i in (1..sizes.len()).rev() {
        values[i - 1] = sizes[i].div_ceil(sizes[i - 1]) as u128 * values[i] + FEE;
    }
    sizes.into_iter().zip(values).collect()
}

/// One fan-out level on the network: `fan` submitted to node 0 of nodes
/// started on `base` (on fresh stores when `fresh`), until final; then the
/// nodes are stopped and `base` holds node 0's chain for every node.
fn fan_out_on_network(
    genesis: &Path,
    plans: &[NodePlan],
    base: &Path,
    fan: &[Transaction],
    fresh: bool,
) -> Result<(), CliError> {
    for (i, p) in plans.iter().enumerate() {
        clear_node_dir(&p.dir)?;
        if !fresh {
            copy_stores(&base.join(format!("node{i}")), &p.dir)?;
        }
    }
    let mut procs = start(genesis, plans)?;
    let cs = clients(plans)?;
    let rt = tokio::runtime::Runtime::new().map_err(fail)?;
    rt.block_on(async {
        wait_up(&cs, &mut procs, 1).await?;
        if !fresh {
            warm_up(&cs, &mut procs).await?;
        }
        let mut last = 0;
        let deadline = Instant::now() + Duration::from_secs(300 + fan.len() as u64);
        // A node busy applying fan-out blocks may not answer in time: a
        // request that fails without the node's verdict is asked again.
        let transient = |e: &sero_rpc::jsonrpsee::core::ClientError| {
            !matches!(e, sero_rpc::jsonrpsee::core::ClientError::Call(_))
                && Instant::now() < deadline
        };
        for t in fan {
            loop {
                match cs[0].send_raw_transaction(hex::encode(t.to_bytes())).await {
                    Ok(_) => break,
                    Err(e) if e.to_string().contains("already") => break,
                    Err(e) if transient(&e) => {
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                    Err(e) => return Err(fail(format!("fan-out refused: {e}"))),
                }
            }
        }
        for t in fan {
            loop {
                match cs[0].transaction_status(hex::encode(t.txid())).await {
                    Ok(s) => {
                        if let (true, Some(h)) = (s.status == "included", s.height) {
                            last = last.max(h);
                            break;
                        }
                    }
                    Err(e) if transient(&e) => {}
                    Err(e) => return Err(fail(e)),
                }
                if Instant::now() > deadline {
                    return Err(fail("fan-out not included in time"));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        wait_up(&cs, &mut procs, last).await
    })?;
    // Stop (a kill: the stores are crash-safe) and keep the stores.
    drop(procs);
    let _ = std::fs::remove_dir_all(base);
    // Every node restarts on node 0's chain: the nodes were killed at
    // slightly different heights, and the next proofs' anchor (node 0's
    // tip root) must be known to all of them.
    for (i, p) in plans.iter().enumerate() {
        let to = base.join(format!("node{i}"));
        copy_stores(&p.dir, &to)?;
        std::fs::copy(plans[0].dir.join("chain.redb"), to.join("chain.redb"))
            .map_err(|e| fail(format!("cannot copy node 0's chain: {e}")))?;
    }
    Ok(())
}

/// The fan-out levels on the running network, leaving the base stores
/// with `n` pool notes (of value [`NOTE`]).
fn build_base(
    genesis: &Path,
    plans: &[NodePlan],
    dir: &Path,
    n: usize,
    quiet: bool,
) -> Result<(), CliError> {
    let scratch = dir.join("scratch");
    let base = dir.join("base");
    let _ = std::fs::remove_dir_all(&base);
    let _ = std::fs::remove_file(dir.join("pool.bin"));
    // The genesis notes, spendable at the genesis root.
    let mut chain = open_copy(genesis, &dir.join("none.redb"), &scratch)?;
    let mut parents = dev_notes(&chain, None)?;
    if parents.is_empty() {
        return Err(fail("the genesis has no notes of the development account"));
    }
    let levels = fan_levels(parents.len(), n);
    let top = levels[0].0.div_ceil(parents.len()) as u128 * levels[0].1 + FEE;
    if parents.iter().any(|p| p.note.asset.value < top) {
        return Err(fail(format!(
            "the genesis notes cannot fund {n} pool notes ({} notes of at least {top} needed)",
            parents.len()
        )));
    }
    let payee = crate::cli::dev::dev_account().payment_address();
    for (level, &(count, value)) in levels.iter().enumerate() {
        let per = count.div_ceil(parents.len());
        let spend = &parents[..count.div_ceil(per)];
        let pb = progress(
            spend.len() as u64,
            &format!("proving fan-out {}/{}", level + 1, levels.len()),
            quiet,
        );
        let fan = prove(
            &chain,
            spend,
            || {
                (0..per)
                    .map(|_| Recipient {
                        pkr: payee.derive_pkr(&mut OsRng),
                        asset: Asset::sero(value),
                        memo: vec![],
                        plain: true,
                    })
                    .collect()
            },
            &pb,
        )?;
        pb.finish_and_clear();
        drop(chain);
        fan_out_on_network(genesis, plans, &base, &fan, level == 0)?;
        chain = open_copy(genesis, &base.join("node0").join("chain.redb"), &scratch)?;
        parents = dev_notes(&chain, Some(value))?;
        if parents.len() < count {
            return Err(fail(format!(
                "fan-out level {} made {} notes, {count} needed",
                level + 1,
                parents.len()
            )));
        }
    }
    drop(chain);
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

/// Proves the pool's transactions missing from `pool.bin`, spending the
/// first `n` of `notes` (the base's pool notes, in tree order), appending
/// as it goes.
fn prove_pool(
    chain: &Chain,
    notes: &[(u64, sero_zk::note::Note)],
    pool: &mut PoolFile,
    n: usize,
    quiet: bool,
) -> Result<(), CliError> {
    let done = pool.txs.len().min(n);
    if done == n {
        return Ok(());
    }
    if notes.len() < n {
        return Err(fail(format!(
            "the base holds {} pool notes, {n} needed",
            notes.len()
        )));
    }
    let payee = crate::cli::dev::dev_account().payment_address();
    let pb = progress(n as u64, "proving the pool", quiet);
    pb.set_position(done as u64);
    for chunk in notes[done..n].chunks(CHUNK) {
        let spend = spendable(chain, chunk)?;
        let txs = prove(
            chain,
            &spend,
            || {
                vec![Recipient {
                    pkr: payee.derive_pkr(&mut OsRng),
                    asset: Asset::sero(PAY),
                    memo: b"load".to_vec(),
                    plain: false,
                }]
            },
            &pb,
        )?;
        pool.append(txs)?;
        // Proving for hours in the background: a line per append where
        // there is no bar to show.
        if !quiet && pb.is_hidden() {
            eprintln!(
                "pool: {} of {n} transactions proved and kept",
                pool.txs.len().min(n)
            );
        }
    }
    pb.finish_and_clear();
    Ok(())
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
    let n = args.txs as usize;
    let (genesis, plans) = prepare(&args)?;
    let base = args.dir.join("base");
    let scratch = args.dir.join("scratch");
    let base_chain = base.join("node0").join("chain.redb");
    let t = Instant::now();
    // The base: kept while it holds notes for the whole pool (opened and
    // scanned once, unless the fan-out makes it again).
    let base_notes = || -> Result<_, CliError> {
        let chain = open_copy(&genesis, &base_chain, &scratch)?;
        let notes = account_notes(&chain, Some(NOTE))?;
        Ok((chain, notes))
    };
    let kept = if base_chain.exists() {
        Some(base_notes()?).filter(|(_, notes)| notes.len() >= n)
    } else {
        None
    };
    let fanned = kept.is_none();
    let (chain, notes) = match kept {
        Some(k) => k,
        None => {
            build_base(&genesis, &plans, &args.dir, n, quiet)?;
            base_notes()?
        }
    };
    let mut pool = PoolFile::read(&args.dir.join("pool.bin"), pool_key(&chain)?, n);
    let cached = pool.txs.len().min(n);
    prove_pool(&chain, &notes, &mut pool, n, quiet)?;
    drop(chain);
    let _ = std::fs::remove_dir_all(&scratch);
    let prove_s = if fanned || cached < n {
        t.elapsed().as_secs_f64()
    } else {
        0.0
    };
    let mut txs = pool.txs;
    txs.truncate(n);
    if !quiet {
        if prove_s > 0.0 {
            eprintln!(
                "fan-out and pool of {n} transactions made in {prove_s:.1} s ({} cached before; \
                 kept in {})",
                if fanned { 0 } else { cached },
                args.dir.display()
            );
        } else {
            eprintln!(
                "pool of {n} transactions read from {}",
                args.dir.join("pool.bin").display()
            );
        }
    }
    if args.prepare_only {
        let human = format!(
            "pool of {n} transactions ready in {} ({prove_s:.1} s of fan-out and proving)",
            args.dir.display()
        );
        return Ok(Report::new(
            human,
            json!({ "txs": n, "prove_pool_s": prove_s, "prepared": true }),
        ));
    }
    // Every run: the nodes on the base stores.
    for (i, p) in plans.iter().enumerate() {
        clear_node_dir(&p.dir)?;
        copy_stores(&base.join(format!("node{i}")), &p.dir)?;
    }
    let mut procs = start(&genesis, &plans)?;
    let pids: Vec<u32> = procs.0.iter().map(Child::id).collect();
    let cs = clients(&plans)?;
    let rt = tokio::runtime::Runtime::new().map_err(fail)?;
    let (human, mut json) = rt.block_on(async {
        wait_up(&cs, &mut procs, 1).await?;
        warm_up(&cs, &mut procs).await?;
        drive(&args, txs, &cs, &pids, quiet).await
    })?;
    drop(procs);
    if let Some(o) = json.as_object_mut() {
        o.insert("prove_pool_s".into(), json!(prove_s));
    }
    Ok(Report::new(human, json))
}

/// Length of the windows of [`Sustained`].
const WINDOW_S: f64 = 10.0;

/// Finalisation while the load is offered: from the first finalised
/// transaction to the end of submission (before it, the first block is
/// still being agreed; after it, the backlog drains), the transactions
/// finalised per second over that span and in each whole
/// [`WINDOW_S`]-second window of it.
#[derive(Debug, PartialEq)]
struct Sustained {
    span_s: f64,
    tx_per_s: f64,
    windows: Vec<f64>,
}

impl Sustained {
    /// From the finalisation times (seconds after the first submission)
    /// and the submission's length.
    fn of(mut finals: Vec<f64>, send_s: f64) -> Sustained {
        finals.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
        let Some(&first) = finals.first() else {
            return Sustained {
                span_s: 0.0,
                tx_per_s: 0.0,
                windows: vec![],
            };
        };
        let span_s = (send_s - first).max(0.0);
        let count = |from: f64, to: f64| finals.iter().filter(|&&t| t >= from && t < to).count();
        let tx_per_s = if span_s > 0.0 {
            count(first, send_s) as f64 / span_s
        } else {
            0.0
        };
        let windows = (0..(span_s / WINDOW_S) as usize)
            .map(|k| {
                let from = first + k as f64 * WINDOW_S;
                count(from, from + WINDOW_S) as f64 / WINDOW_S
            })
            .collect();
        Sustained {
            span_s,
            tx_per_s,
            windows,
        }
    }

    fn min(&self) -> f64 {
        self.windows.iter().copied().reduce(f64::min).unwrap_or(0.0)
    }

    fn max(&self) -> f64 {
        self.windows.iter().copied().reduce(f64::max).unwrap_or(0.0)
    }
}

async fn drive(
    args: &LoadArgs,
    txs: Vec<Transaction>,
    clients: &[jsonrpsee_client::HttpClient],
    pids: &[u32],
    quiet: bool,
) -> Result<(String, serde_json::Value), CliError> {
    let start_height = clients[0].finalized_number().await.map_err(fail)?;
    let cpu0: Vec<Option<f64>> = pids.iter().map(|p| proc_cpu_s(*p)).collect();
    let n = txs.len();
    // Encoded as submitted (a 5-minute pool is 45,000 transactions).
    let txs = Arc::new(txs);
    let submitted: Arc<Mutex<HashMap<String, Instant>>> = Default::default();
    let errors: Arc<Mutex<Vec<String>>> = Default::default();
    let pb = progress(n as u64, "finalised", quiet);
    let t0 = Instant::now();
    let period = Duration::from_secs_f64(1.0 / args.rate);
    // Submitter: transaction i at t0 + i/rate, to node i mod N, each in
    // its own task so a slow answer does not delay the schedule.
    let submitter = {
        let clients = clients.to_vec();
        let submitted = submitted.clone();
        let errors = errors.clone();
        let txs = txs.clone();
        tokio::spawn(async move {
            let mut handles = vec![];
            let inflight: Vec<Arc<tokio::sync::Semaphore>> = clients
                .iter()
                .map(|_| Arc::new(tokio::sync::Semaphore::new(PER_NODE_INFLIGHT)))
                .collect();
            for i in 0..txs.len() {
                tokio::time::sleep_until(tokio::time::Instant::from_std(t0 + period * i as u32))
                    .await;
                let (txid, raw) = (hex::encode(txs[i].txid()), hex::encode(txs[i].to_bytes()));
                let c = clients[i % clients.len()].clone();
                let submitted = submitted.clone();
                let errors = errors.clone();
                // At most PER_NODE_INFLIGHT submissions in flight per node
                // (the nodes' RPC servers allow 16 connections per IP); a
                // backlog shows as a longer time to finality, not as a
                // refusal.
                // Latency counts from the scheduled time (an open-loop
                // load), so waiting for a slot is part of it.
                let at = t0 + period * i as u32;
                let permit = inflight[i % clients.len()].clone().acquire_owned().await;
                handles.push(tokio::spawn(async move {
                    let _permit = permit;
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
            // A busy node may drop a connection: asked again next poll.
            let Ok(Some(b)) = clients[0].block_by_number(height + 1).await else {
                break;
            };
            height += 1;
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
    let finals: Vec<f64> = final_at
        .values()
        .map(|f| f.duration_since(t0).as_secs_f64())
        .collect();
    let sustained = Sustained::of(finals, send_s);
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
         blocks finalised: {} ({} with transactions, at most {} transactions in one)\n\
         while submitting (from the first finalisation, {:.1} s): {:.1} tx/s finalised; \
         10-second windows: min {:.1}, max {:.1} tx/s\n",
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
        sustained.span_s,
        sustained.tx_per_s,
        sustained.min(),
        sustained.max(),
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
        "sustained": {
            "span_s": sustained.span_s,
            "tx_per_s": sustained.tx_per_s,
            "window_s": WINDOW_S,
            "windows_tx_per_s": sustained.windows,
            "min_window_tx_per_s": sustained.min(),
        },
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Distinct transactions that decode (the ledger's vector transaction
    /// under other chain ids; the pool file never checks proofs).
    fn sample(i: u8) -> Transaction {
        sero_ledger::vectors::sample_transaction([i; 32])
    }

    fn ids(txs: &[Transaction]) -> Vec<[u8; 32]> {
        txs.iter().map(Transaction::txid).collect()
    }

    #[test]
    fn the_pool_file_appends_resumes_after_a_torn_record_and_ignores_another_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pool.bin");
        let key = [7u8; 32];
        let mut p = PoolFile::read(&path, key, usize::MAX);
        assert!(p.txs.is_empty());
        p.append(vec![sample(1), sample(2)]).unwrap();
        p.append(vec![sample(3)]).unwrap();
        let again = PoolFile::read(&path, key, usize::MAX);
        assert_eq!(ids(&again.txs), ids(&[sample(1), sample(2), sample(3)]));
        // An append cut short (a killed prover): half a record at the end
        // is dropped, and the next append overwrites it.
        let mut torn = std::fs::read(&path).unwrap();
        torn.extend_from_slice(&1000u32.to_le_bytes());
        torn.extend_from_slice(&[0xab; 10]);
        std::fs::write(&path, &torn).unwrap();
        let mut p = PoolFile::read(&path, key, usize::MAX);
        assert_eq!(p.txs.len(), 3);
        p.append(vec![sample(4)]).unwrap();
        let again = PoolFile::read(&path, key, usize::MAX);
        assert_eq!(
            ids(&again.txs),
            ids(&[sample(1), sample(2), sample(3), sample(4)])
        );
        assert_eq!(std::fs::metadata(&path).unwrap().len(), again.len);
        // The first two only: the rest is not decoded.
        assert_eq!(
            ids(&PoolFile::read(&path, key, 2).txs),
            ids(&[sample(1), sample(2)])
        );
        // A record that does not decode (its version byte) ends the pool
        // there too.
        let mut bad = std::fs::read(&path).unwrap();
        let at = bad.len() - sample(4).to_bytes().len();
        bad[at] ^= 0xff;
        std::fs::write(&path, &bad).unwrap();
        assert_eq!(PoolFile::read(&path, key, usize::MAX).txs.len(), 3);
        // Another key (another chain, another base): nothing is cached, and
        // its first append starts the file over.
        let mut other = PoolFile::read(&path, [8u8; 32], usize::MAX);
        assert!(other.txs.is_empty());
        other.append(vec![sample(5)]).unwrap();
        assert_eq!(
            ids(&PoolFile::read(&path, [8u8; 32], usize::MAX).txs),
            ids(&[sample(5)])
        );
        assert!(PoolFile::read(&path, key, usize::MAX).txs.is_empty());
    }

    #[test]
    fn sustained_finalisation_counts_the_span_and_its_windows() {
        // Submission over 25 s; the first transaction final at 2 s, then
        // 100 per second until 12 s, 50 per second until 25 s, and a
        // backlog after the end that does not count.
        let mut finals = vec![2.0];
        finals.extend((1..1000).map(|i| 2.0 + i as f64 / 100.0));
        finals.extend((0..650).map(|i| 12.0 + i as f64 / 50.0));
        finals.extend([25.5, 26.0, 30.0]);
        let s = Sustained::of(finals, 25.0);
        assert_eq!(s.span_s, 23.0);
        assert_eq!(s.tx_per_s, 1650.0 / 23.0);
        assert_eq!(s.windows, vec![100.0, 50.0]);
        assert_eq!((s.min(), s.max()), (50.0, 100.0));
        // Nothing final: zeros, no window.
        let none = Sustained::of(vec![], 25.0);
        assert_eq!((none.span_s, none.tx_per_s, none.min()), (0.0, 0.0, 0.0));
        assert!(none.windows.is_empty());
        // Final only after the submission ended.
        let late = Sustained::of(vec![30.0], 25.0);
        assert_eq!((late.span_s, late.tx_per_s), (0.0, 0.0));
    }

    #[test]
    fn fan_out_levels_reach_the_pool_and_fund_it() {
        // CI's 6 notes: one level from the 8 genesis notes.
        assert_eq!(fan_levels(8, 6), vec![(6, NOTE)]);
        assert_eq!(fan_levels(8, 504), vec![(504, NOTE)]);
        // Two levels above 8 × 63 notes.
        let l = fan_levels(8, 505);
        assert_eq!(l.len(), 2);
        assert_eq!(l[1], (505, NOTE));
        // A five-minute pool: 12 → 715 → 45,000.
        let l = fan_levels(8, 45_000);
        assert_eq!(l.iter().map(|x| x.0).collect::<Vec<_>>(), [12, 715, 45_000]);
        for w in l.windows(2) {
            let ((parents, value), (children, child_value)) = (w[0], w[1]);
            let per = children.div_ceil(parents);
            assert!(per <= FAN);
            // Each parent pays for its children and one fee.
            assert_eq!(value, per as u128 * child_value + FEE);
        }
        // The genesis notes (1,000,000 each) pay for the top level.
        let per = l[0].0.div_ceil(8) as u128;
        assert!(per * l[0].1 + FEE <= crate::cli::dev::DEV_NOTE_VALUE);
        let l = fan_levels(8, MAX_TXS as usize);
        assert!(l[0].0.div_ceil(8) as u128 * l[0].1 + FEE <= crate::cli::dev::DEV_NOTE_VALUE);
    }
}
