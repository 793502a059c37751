//! `sero bench zk`: proving, verification and batch verification of both
//! circuits, with peak memory measured in a fresh child process per circuit.
//!
//! `sero bench ledger`: real 2-input/2-output transactions on a throwaway
//! chain: stateless validation (batched and one proof at a time, wall and
//! process CPU time), block build and apply (validation and redb commit),
//! and the wallet scan rate.
//!
//! `sero bench evm` (in `bench_evm.rs`): the contract engine.

use crate::output::{CliError, Report};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use rand_core::OsRng;
use serde_json::{json, Value};
use sero_assets::Asset;
use sero_crypto::Base;
use sero_keys::{SecretKey, Seed};
use sero_ledger::block::{Seal, MAX_BLOCK_TXS};
use sero_ledger::builder::{build_transaction, Network, Recipient, SpendableNote};
use sero_ledger::validate::{
    check_structure_and_signatures, check_structure_and_signatures_batch, proof_statements,
    validate_stateless_batch,
};
use sero_ledger::Transaction;
use sero_node::chain::genesis_block;
use sero_node::scan::{find_notes, OutputRecord};
use sero_node::{Chain, ChainConfig};
use sero_zk::params::{CircuitKind, Parameters, DEV_SEED};
use sero_zk::proof::{check_satisfied, prove};
use sero_zk::samples::{input_statement, output_statement};
use sero_zk::{batch_verify, verify, CircuitParams, ZkProof};
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

#[path = "bench_evm.rs"]
mod bench_evm;
#[path = "bench_history/mod.rs"]
mod bench_history;
#[path = "bench_load.rs"]
mod bench_load;
#[path = "bench_sync.rs"]
mod bench_sync;

#[derive(Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: BenchCommand,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Benchmark the output and input circuits (Groth16 on BN254).
    Zk(ZkArgs),
    /// Benchmark transaction validation, block apply and wallet scanning on
    /// a temporary chain of real 2-input/2-output transactions.
    Ledger(LedgerArgs),
    /// Benchmark a real local network: N `sero node` validators on loopback
    /// (time to finality), then a fresh node catching up (sync blocks/s).
    Network(crate::cli::bench_net::NetBenchArgs),
    /// Benchmark the contract engine: ERC-20 transfers through the SERO
    /// engine vs plain revm (gas/s), and validation and apply time of a
    /// block of contract calls carrying private assets.
    Evm(bench_evm::EvmArgs),
    /// Cost against history: open time, memory, disk, block commit and
    /// wallet sync of a store of N notes (synthetic blocks, no proofs).
    History(bench_history::HistoryArgs),
    /// Sustained load on a real local network: N validators on loopback
    /// receive pre-proved private transfers at a fixed rate; prints
    /// finalised tx/s, submission-to-finality p50/p99, CPU and memory per
    /// node. The pool is proved once and cached in --dir.
    Load(bench_load::LoadArgs),
    /// A fresh node syncing finalized blocks with transactions: the blocks
    /// and certificates of a store (node 0 of a `sero bench load` run)
    /// applied to a fresh store through the node's sync path; prints
    /// blocks/s, tx/s and CPU per transaction.
    Sync(bench_sync::SyncArgs),
    /// (internal) prove once in this process and print peak memory.
    #[command(hide = true)]
    ProveOnce {
        #[arg(value_enum)]
        circuit: Which,
        params: PathBuf,
    },
}

#[derive(Args)]
struct ZkArgs {
    /// Proofs timed per circuit (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Proofs per batch verification.
    #[arg(long, default_value_t = 1024)]
    batch: usize,
    /// Skip the peak-memory child processes.
    #[arg(long)]
    no_memory: bool,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Which {
    Output,
    Input,
}

impl Which {
    fn name(self) -> &'static str {
        match self {
            Which::Output => "sero-output",
            Which::Input => "sero-input",
        }
    }
}

fn constraints<C: ConstraintSynthesizer<Base>>(c: C) -> usize {
    let cs = ConstraintSystem::<Base>::new_ref();
    c.generate_constraints(cs.clone()).expect("synthesis");
    cs.num_constraints()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    v[v.len() / 2]
}

fn progress(len: u64, msg: &str, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg:>28} [{bar:30}] {pos}/{len} {elapsed}")
            .expect("template")
            .progress_chars("=> "),
    );
    pb.set_message(msg.to_string());
    pb
}

struct Timing {
    prove: f64,
    verify: f64,
    batch_per_proof: f64,
}

fn time_circuit<C: ConstraintSynthesizer<Base> + Clone>(
    params: &CircuitParams,
    statement: impl Fn(u64) -> (C, Vec<Base>),
    runs: usize,
    batch: usize,
    quiet: bool,
) -> Result<Timing, CliError> {
    let fail = |e: sero_zk::ZkError| CliError::Failed(e.to_string());
    let distinct = runs.clamp(1, 8);
    let mut proofs: Vec<(Vec<Base>, ZkProof)> = vec![];
    let mut prove_times = vec![];
    let pb = progress(runs as u64, "proving", quiet);
    for i in 0..runs.max(1) {
        let (c, public) = statement(i as u64);
        check_satisfied(c.clone()).map_err(fail)?;
        let t = Instant::now();
        let proof = prove(params, c, &mut OsRng).map_err(fail)?;
        prove_times.push(t.elapsed().as_secs_f64());
        if proofs.len() < distinct {
            proofs.push((public, proof));
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    let mut verify_times = vec![];
    for k in 0..(runs * 4).max(5) {
        let (public, proof) = &proofs[k % proofs.len()];
        let t = Instant::now();
        verify(params, public, proof).map_err(fail)?;
        verify_times.push(t.elapsed().as_secs_f64());
    }
    let items: Vec<(Vec<Base>, ZkProof)> = (0..batch.max(1))
        .map(|k| proofs[k % proofs.len()].clone())
        .collect();
    let mut batch_times = vec![];
    for _ in 0..3 {
        let t = Instant::now();
        batch_verify(params, &items, &mut OsRng).map_err(fail)?;
        batch_times.push(t.elapsed().as_secs_f64());
    }
    Ok(Timing {
        prove: median(prove_times),
        verify: median(verify_times),
        batch_per_proof: median(batch_times) / items.len() as f64,
    })
}

/// Peak resident memory (VmHWM) of this process, in bytes.
fn vm_hwm() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn prove_once(circuit: Which, path: PathBuf) -> Result<Report, CliError> {
    let file = std::fs::File::open(&path)
        .map_err(|e| CliError::Failed(format!("cannot open {}: {e}", path.display())))?;
    let kind = match circuit {
        Which::Output => CircuitKind::Output,
        Which::Input => CircuitKind::Input,
    };
    let params = CircuitParams::read_one(std::io::BufReader::new(file), kind)
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let loaded = vm_hwm();
    let proof = match circuit {
        Which::Output => prove(&params, output_statement(0), &mut OsRng),
        Which::Input => prove(&params, input_statement(0), &mut OsRng),
    }
    .map_err(|e| CliError::Failed(e.to_string()))?;
    let _ = proof.to_bytes();
    Ok(Report::new(
        format!("{:?} {:?}", loaded, vm_hwm()),
        json!({ "loaded_bytes": loaded, "peak_bytes": vm_hwm() }),
    ))
}

fn child_memory(circuit: Which, params: &std::path::Path) -> Result<Value, CliError> {
    let exe = std::env::current_exe().map_err(|e| CliError::Failed(e.to_string()))?;
    let out = Command::new(exe)
        .args(["--json", "bench", "prove-once"])
        .arg(match circuit {
            Which::Output => "output",
            Which::Input => "input",
        })
        .arg(params)
        .output()
        .map_err(|e| CliError::Failed(format!("cannot start the memory probe: {e}")))?;
    serde_json::from_slice(&out.stdout).map_err(|e| {
        CliError::Failed(format!(
            "memory probe failed: {e}: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    })
}

fn zk(args: ZkArgs, quiet: bool) -> Result<Report, CliError> {
    let t = Instant::now();
    let params =
        Parameters::generate_insecure(DEV_SEED).map_err(|e| CliError::Failed(e.to_string()))?;
    let setup_s = t.elapsed().as_secs_f64();
    let dir = std::env::temp_dir().join(format!("sero-bench-{}", std::process::id()));
    let mut mem = [Value::Null, Value::Null];
    if !args.no_memory {
        std::fs::create_dir_all(&dir).map_err(|e| CliError::Failed(e.to_string()))?;
        let path = dir.join("params.bin");
        let file = std::fs::File::create(&path).map_err(|e| CliError::Failed(e.to_string()))?;
        params
            .write(std::io::BufWriter::new(file))
            .map_err(|e| CliError::Failed(e.to_string()))?;
        mem = [
            child_memory(Which::Output, &path)?,
            child_memory(Which::Input, &path)?,
        ];
        let _ = std::fs::remove_dir_all(&dir);
    }
    let out = time_circuit(
        &params.output,
        |i| {
            let c = output_statement(i);
            let p = c.public.to_field_elements();
            (c, p)
        },
        args.runs,
        args.batch,
        quiet,
    )?;
    let inp = time_circuit(
        &params.input,
        |i| {
            let c = input_statement(i);
            let p = c.public.to_field_elements();
            (c, p)
        },
        args.runs,
        args.batch,
        quiet,
    )?;
    let circuits = [
        (
            Which::Output,
            constraints(output_statement(0)),
            out,
            &mem[0],
        ),
        (Which::Input, constraints(input_statement(0)), inp, &mem[1]),
    ];
    let rows: Vec<Value> = circuits
        .iter()
        .map(|(w, n, t, m)| {
            json!({
                "name": w.name(),
                "constraints": n,
                "prove_s_median": t.prove,
                "verify_s_median": t.verify,
                "batch_size": args.batch.max(1),
                "batch_verify_per_proof_s": t.batch_per_proof,
                "batch_to_single_ratio": t.batch_per_proof / t.verify,
                "peak_mem_bytes": m.get("peak_bytes").cloned().unwrap_or(Value::Null),
                "loaded_mem_bytes": m.get("loaded_bytes").cloned().unwrap_or(Value::Null),
            })
        })
        .collect();
    let mut human = format!(
        "setup (both circuits, insecure dev seed): {setup_s:.2} s, threads: {}\n",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    human.push_str(&format!(
        "{:<12} {:>11} {:>10} {:>10} {:>14} {:>8} {:>10}\n",
        "circuit", "constraints", "prove", "verify", "batch/proof", "ratio", "peak MiB"
    ));
    for (w, n, t, m) in &circuits {
        let peak = m
            .get("peak_bytes")
            .and_then(Value::as_u64)
            .map(|b| format!("{:.1}", b as f64 / 1048576.0))
            .unwrap_or_else(|| "-".into());
        human.push_str(&format!(
            "{:<12} {:>11} {:>8.1}ms {:>8.2}ms {:>12.3}ms {:>8.3} {:>10}\n",
            w.name(),
            n,
            t.prove * 1e3,
            t.verify * 1e3,
            t.batch_per_proof * 1e3,
            t.batch_per_proof / t.verify,
            peak
        ));
    }
    Ok(Report::new(
        human.trim_end().to_string(),
        json!({
            "setup_s": setup_s,
            "threads": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            "runs": args.runs,
            "circuits": rows,
        }),
    ))
}

#[derive(Args)]
struct LedgerArgs {
    /// Transactions to build and validate, each spending two genesis notes
    /// (2 input and 2 output proofs); at most the block limit (1,000).
    #[arg(long, default_value_t = 100)]
    txs: usize,
    /// How many times each stateless validation is repeated: wall times are
    /// the median round, CPU times the total over all rounds divided by the
    /// rounds (process CPU time is read in 10 ms ticks).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
}

/// The goal for stateless validation (issue 14's table): CPU time per transaction...
const GOAL_CPU_PER_TX_S: f64 = 1e-3;
/// ...and throughput on the 2-core reference machine.
const GOAL_TX_PER_S: f64 = 1_000.0;
/// Value of each genesis note; a transaction pays more than one note's worth
/// so that the builder must spend both notes it is given.
const NOTE_VALUE: u128 = 1_000;
const PAY: u128 = 1_500;
const FEE: u128 = 1;

/// User and system CPU time of the whole process (every thread, exited ones
/// included), in seconds: fields 14 and 15 of `/proc/self/stat`, in USER_HZ
/// ticks (100 per second on Linux). `None` where there is no procfs.
fn process_cpu_s() -> Option<[f64; 2]> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces: split after its ')'.
    let fields: Vec<&str> = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .collect();
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some([utime as f64 / 100.0, stime as f64 / 100.0])
}

/// CPU time between two readings: (user + system, system).
fn cpu_since(start: Option<[f64; 2]>, per: usize) -> (Option<f64>, Option<f64>) {
    match (start, process_cpu_s()) {
        (Some(a), Some(b)) => {
            let (user, sys) = ((b[0] - a[0]) / per as f64, (b[1] - a[1]) / per as f64);
            (Some(user + sys), Some(sys))
        }
        _ => (None, None),
    }
}

/// The 1, 5 and 15 minute load averages.
fn load_average() -> Option<[f64; 3]> {
    let s = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut it = s.split_whitespace().map(|x| x.parse::<f64>().ok());
    Some([it.next()??, it.next()??, it.next()??])
}

/// Wall and process CPU time (user + system, and the system part) of one
/// stage.
#[derive(Clone, Copy)]
struct Cost {
    wall_s: f64,
    cpu_s: Option<f64>,
    sys_s: Option<f64>,
}

impl Cost {
    fn json(&self, txs: usize) -> Value {
        json!({
            "wall_s": self.wall_s,
            "wall_per_tx_ms": self.wall_s * 1e3 / txs as f64,
            "tx_per_s": txs as f64 / self.wall_s,
            "cpu_s": self.cpu_s,
            "cpu_per_tx_ms": self.cpu_s.map(|c| c * 1e3 / txs as f64),
            "cpu_to_wall": self.cpu_s.map(|c| c / self.wall_s),
            "cpu_system_s": self.sys_s,
        })
    }

    fn row(&self, name: &str, txs: usize) -> String {
        let cpu = self
            .cpu_s
            .map(|c| format!("{:.3}ms", c * 1e3 / txs as f64))
            .unwrap_or_else(|| "-".into());
        let sys = match (self.cpu_s, self.sys_s) {
            (Some(c), Some(s)) if c > 0.0 => format!("{:.0}%", 100.0 * s / c),
            _ => "-".into(),
        };
        format!(
            "{:<34} {:>10.1}ms {:>10.3}ms {:>11} {:>6} {:>9.0}\n",
            name,
            self.wall_s * 1e3,
            self.wall_s * 1e3 / txs as f64,
            cpu,
            sys,
            txs as f64 / self.wall_s
        )
    }
}

/// Runs `f` once and measures it.
fn cost<T>(f: impl FnOnce() -> T) -> (T, Cost) {
    let cpu0 = process_cpu_s();
    let t = Instant::now();
    let out = f();
    let wall_s = t.elapsed().as_secs_f64();
    let (cpu_s, sys_s) = cpu_since(cpu0, 1);
    (
        out,
        Cost {
            wall_s,
            cpu_s,
            sys_s,
        },
    )
}

/// Runs `f` `rounds` times: the median wall time and the mean CPU time.
fn cost_rounds(
    rounds: usize,
    mut f: impl FnMut() -> Result<(), CliError>,
) -> Result<Cost, CliError> {
    let rounds = rounds.max(1);
    let cpu0 = process_cpu_s();
    let mut walls = vec![];
    for _ in 0..rounds {
        let t = Instant::now();
        f()?;
        walls.push(t.elapsed().as_secs_f64());
    }
    let (cpu_s, sys_s) = cpu_since(cpu0, rounds);
    Ok(Cost {
        wall_s: median(walls),
        cpu_s,
        sys_s,
    })
}

/// Runs `check` on every transaction, the transactions split over
/// `threads` scoped threads; the first error wins.
fn for_each_split<T: Sync>(
    txs: &[T],
    threads: usize,
    check: impl Fn(&T) -> Result<(), String> + Sync,
) -> Result<(), String> {
    let chunk = txs.len().div_ceil(threads.max(1)).max(1);
    let check = &check;
    std::thread::scope(|s| {
        let handles: Vec<_> = txs
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().try_for_each(check)))
            .collect();
        // Every thread is joined (by the scope) even if one fails early.
        handles.into_iter().try_for_each(|h| {
            h.join()
                .unwrap_or_else(|_| Err("validation thread panicked".into()))
        })
    })
}

/// Stateless validation without batching: rules 1–4, then every proof
/// verified on its own.
fn validate_unbatched(tx: &Transaction, params: &Parameters) -> Result<(), String> {
    check_structure_and_signatures(tx).map_err(|e| e.to_string())?;
    let (ins, outs) = proof_statements(tx);
    for (public, proof) in &ins {
        verify(&params.input, public, proof).map_err(|e| e.to_string())?;
    }
    for (public, proof) in &outs {
        verify(&params.output, public, proof).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Every output record of the chain, in position order.
fn all_records(chain: &Chain) -> Result<Vec<(u64, OutputRecord)>, CliError> {
    let fail = |e: &dyn std::fmt::Display| CliError::Failed(format!("store: {e}"));
    let n = chain.db().leaf_count().map_err(|e| fail(&e))?;
    let mut out = Vec::with_capacity(n as usize);
    let mut from = 0;
    while from < n {
        let to = (from + 10_000).min(n);
        for (pos, bytes) in chain.db().outputs(from, to).map_err(|e| fail(&e))? {
            let r = OutputRecord::from_bytes(&bytes).ok_or_else(|| {
                CliError::Failed(format!("malformed output record at position {pos}"))
            })?;
            out.push((pos, r));
        }
        from = to;
    }
    Ok(out)
}

/// A benchmark's scratch directory, removed however the benchmark ends.
pub(super) struct TempDir(pub(super) PathBuf);

impl TempDir {
    pub(super) fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn ledger(args: LedgerArgs, quiet: bool) -> Result<Report, CliError> {
    let n = args.txs;
    if n == 0 || n > MAX_BLOCK_TXS {
        return Err(CliError::Usage(format!(
            "--txs must be between 1 and {MAX_BLOCK_TXS} (one block)"
        )));
    }
    let failed = |e: &dyn std::fmt::Display| CliError::Failed(e.to_string());
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let load_before = load_average();

    let t = Instant::now();
    let params = Parameters::generate_insecure(DEV_SEED).map_err(|e| failed(&e))?;
    let setup_s = t.elapsed().as_secs_f64();

    let owner = SecretKey::from_seed(&Seed::from_bytes([1; 32]));
    let payee = SecretKey::from_seed(&Seed::from_bytes([2; 32]));
    let stranger = SecretKey::from_seed(&Seed::from_bytes([3; 32]));
    let miner = SecretKey::from_seed(&Seed::from_bytes([4; 32]));
    let dir = TempDir(std::env::temp_dir().join(format!(
        "sero-bench-ledger-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    )));
    std::fs::create_dir_all(&dir.0).map_err(|e| failed(&e))?;
    let owner_pk = owner.payment_address();
    let genesis_pkrs: Vec<_> = (0..2 * n + 2)
        .map(|_| owner_pk.derive_pkr(&mut OsRng))
        .collect();
    let cfg = ChainConfig::dev();
    let mut chain = Chain::open(
        &dir.0.join("chain.redb"),
        Arc::new(params),
        cfg.clone(),
        || {
            let premine: Vec<_> = genesis_pkrs.iter().map(|p| (*p, NOTE_VALUE)).collect();
            genesis_block(&premine, &[], 0, &cfg)
        },
    )
    .map_err(|e| failed(&e))?;

    // The owner's genesis notes, with their paths.
    let records = all_records(&chain)?;
    let notes: Vec<SpendableNote> = find_notes(&owner.trace_key(), &records)
        .into_iter()
        .map(|(pos, note)| {
            chain
                .path(pos)
                .map(|path| SpendableNote { note, path })
                .ok_or_else(|| CliError::Failed(format!("no path for note {pos}")))
        })
        .collect::<Result<_, _>>()?;
    if notes.len() != 2 * n + 2 {
        return Err(CliError::Failed(format!(
            "found {} genesis notes, expected {}",
            notes.len(),
            2 * n + 2
        )));
    }

    // N transactions, each given exactly two notes: 2 inputs, 2 outputs.
    let payee_pk = payee.payment_address();
    let pb = progress(n as u64, "proving transactions", quiet);
    let (built, prove_cost) = cost(|| -> Result<Vec<Transaction>, CliError> {
        let mut txs = Vec::with_capacity(n);
        for pair in notes.chunks(2).take(n) {
            let network = Network {
                chain_id: chain.chain_id(),
                params: chain.params(),
            };
            let tx = build_transaction(
                network,
                &owner,
                pair,
                vec![Recipient {
                    pkr: payee_pk.derive_pkr(&mut OsRng),
                    asset: Asset::sero(PAY),
                    memo: b"bench".to_vec(),
                    plain: false,
                }],
                FEE,
                &mut OsRng,
                &|_, _| {},
            )
            .map_err(|e| failed(&e))?;
            if tx.inputs.len() != 2 || tx.outputs.len() != 2 || !tx.plain_outputs.is_empty() {
                return Err(CliError::Failed(format!(
                    "built a {}-input/{}-output transaction, expected 2/2",
                    tx.inputs.len(),
                    tx.outputs.len()
                )));
            }
            txs.push(tx);
            pb.inc(1);
        }
        Ok(txs)
    });
    pb.finish_and_clear();
    let txs = built?;
    let distinct: HashSet<[u8; 32]> = txs.iter().map(Transaction::txid).collect();
    if distinct.len() != n {
        return Err(CliError::Failed("transaction ids are not distinct".into()));
    }
    let tx_bytes = txs.iter().map(|t| t.to_bytes().len()).sum::<usize>() / n;

    // Decoding from the wire (every point decompressed and subgroup-checked,
    // every proof's points too), as a node receiving them by gossip does.
    let encoded: Vec<Vec<u8>> = txs.iter().map(Transaction::to_bytes).collect();
    let decoding = cost_rounds(args.rounds, || {
        for_each_split(&encoded, threads, |b: &Vec<u8>| {
            Transaction::from_bytes(b)
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .map_err(|e| failed(&e))
    })?;

    // (a) Stateless validation, proofs batch-verified.
    let params = chain.params();
    let batched = cost_rounds(args.rounds, || {
        let bad = validate_stateless_batch(&txs, params)
            .into_iter()
            .filter(Result::is_err)
            .count();
        match bad {
            0 => Ok(()),
            _ => Err(CliError::Failed(format!(
                "{bad} transactions failed batched validation"
            ))),
        }
    })?;
    // (b) The same, one proof at a time.
    let single = cost_rounds(args.rounds, || {
        for_each_split(&txs, threads, |tx| validate_unbatched(tx, params)).map_err(|e| failed(&e))
    })?;
    // Where the batched time goes: rules 1–4 alone (the balance points,
    // all 2N signatures as one batch), then each circuit's proof batch.
    let signatures = cost_rounds(
        args.rounds,
        || match check_structure_and_signatures_batch(&txs)
            .into_iter()
            .find_map(Result::err)
        {
            None => Ok(()),
            Some(e) => Err(failed(&e)),
        },
    )?;
    // The same rules with each signature verified on its own.
    let signatures_single = cost_rounds(args.rounds, || {
        for_each_split(&txs, threads, |tx| {
            check_structure_and_signatures(tx).map_err(|e| e.to_string())
        })
        .map_err(|e| failed(&e))
    })?;
    let (mut ins, mut outs) = (vec![], vec![]);
    for tx in &txs {
        let (a, b) = proof_statements(tx);
        ins.extend(a);
        outs.extend(b);
    }
    let input_batch = cost_rounds(args.rounds, || {
        batch_verify(&params.input, &ins, &mut OsRng).map_err(|e| failed(&e))
    })?;
    let output_batch = cost_rounds(args.rounds, || {
        batch_verify(&params.output, &outs, &mut OsRng).map_err(|e| failed(&e))
    })?;

    // (c) Block build (validates again) and apply (validation + commit).
    // A second chain with the same genesis and its own (empty) cache plays
    // the syncing node that never saw the transactions.
    let cold_dir = dir.0.join("cold");
    std::fs::create_dir_all(&cold_dir).map_err(|e| failed(&e))?;
    let mut cold = Chain::open(
        &cold_dir.join("chain.redb"),
        chain.params_arc(),
        cfg.clone(),
        || {
            let premine: Vec<_> = genesis_pkrs.iter().map(|p| (*p, NOTE_VALUE)).collect();
            genesis_block(&premine, &[], 0, &cfg)
        },
    )
    .map_err(|e| failed(&e))?;
    if cold.chain_id() != chain.chain_id() {
        return Err(CliError::Failed(
            "the second chain has another genesis".into(),
        ));
    }
    // The mempool's admissions, one transaction at a time through the
    // chain's cache: what block build and apply then skip.
    let (admitted, admit_cost) = cost(|| {
        txs.iter()
            .map(|t| chain.validate_stateless(std::slice::from_ref(t)).remove(0))
            .find_map(Result::err)
    });
    if let Some(e) = admitted {
        return Err(failed(&e));
    }
    let coinbase = miner.payment_address().derive_pkr(&mut OsRng);
    let (block, build_cost) = cost(|| chain.build_block(txs.clone(), &coinbase, 1, Seal::Dev));
    let block = block.map_err(|e| failed(&e))?;
    if block.txs.len() != n {
        return Err(CliError::Failed(format!(
            "the block holds {} of the {n} transactions",
            block.txs.len()
        )));
    }
    let body_bytes = block.body_bytes().len();
    let (applied, apply_cost) = cost(|| chain.apply_block(&block));
    applied.map_err(|e| failed(&e))?;
    let (applied, cold_cost) = cost(|| cold.apply_block(&block));
    applied.map_err(|e| failed(&e))?;
    drop(cold);

    // (d) Wallet scan over every output record of the chain.
    let records = all_records(&chain)?;
    let mut scans = vec![];
    for (name, sk) in [
        ("non-owner TK", &stranger),
        ("owner TK", &owner),
        ("payee TK", &payee),
    ] {
        let tk = sk.trace_key();
        let mut walls = vec![];
        let mut found = 0;
        for _ in 0..3 {
            let t = Instant::now();
            found = find_notes(&tk, &records).len();
            walls.push(t.elapsed().as_secs_f64());
        }
        let wall = median(walls);
        scans.push((name, wall, found));
    }
    drop(chain);
    drop(dir);
    let load_after = load_average();

    // Verdict on the goal, from the batched validation.
    let cpu_per_tx = batched.cpu_s.map(|c| c / n as f64);
    let tps = n as f64 / batched.wall_s;
    // Under 20 ticks of 10 ms in all rounds the CPU figure is too coarse to
    // judge: no verdict (it counts as not met).
    let measurable = batched
        .cpu_s
        .is_some_and(|c| c * args.rounds.max(1) as f64 >= 0.2);
    let cpu_met = cpu_per_tx
        .filter(|_| measurable)
        .map(|c| c <= GOAL_CPU_PER_TX_S);
    let tps_met = tps >= GOAL_TX_PER_S;
    let met = cpu_met.unwrap_or(false) && tps_met;
    let verdict = |b: bool| if b { "MET" } else { "MISSED" };
    let load = |l: Option<[f64; 3]>| {
        l.map(|l| format!("{:.2} {:.2} {:.2}", l[0], l[1], l[2]))
            .unwrap_or_else(|| "-".into())
    };

    let mut human = format!(
        "{n} transactions of 2 inputs / 2 outputs ({tx_bytes} bytes each), threads: {threads}, \
         load average {} (before) / {} (after)\n\
         setup (insecure dev seed): {setup_s:.2} s; proving: {:.1} s ({:.2} s per transaction)\n",
        load(load_before),
        load(load_after),
        prove_cost.wall_s,
        prove_cost.wall_s / n as f64,
    );
    human.push_str(&format!(
        "{:<34} {:>12} {:>12} {:>11} {:>6} {:>9}\n",
        "stage", "wall", "wall/tx", "CPU/tx", "sys", "tx/s"
    ));
    human.push_str(&decoding.row("decoding (points checked)", n));
    human.push_str(&batched.row("stateless, batched proofs", n));
    human.push_str(&signatures.row("  of which rules 1-4 (signatures)", n));
    human.push_str(&signatures_single.row("  rules 1-4, one signature at a time", n));
    human.push_str(&input_batch.row(&format!("  of which {} input proofs", ins.len()), n));
    human.push_str(&output_batch.row(&format!("  of which {} output proofs", outs.len()), n));
    human.push_str(&single.row("stateless, one proof at a time", n));
    human.push_str(&admit_cost.row("mempool admission, one tx at a time", n));
    human.push_str(&build_cost.row("block build (admitted: cached)", n));
    human.push_str(&apply_cost.row("block apply (admitted: cached)", n));
    human.push_str(&cold_cost.row("block apply, cold (a syncing node)", n));
    human.push_str(&format!(
        "goal, batched stateless: CPU/tx <= 1 ms: {} {}; >= 1,000 tx/s: {tps:.0} {}; overall: {}\n",
        cpu_per_tx
            .map(|c| format!("{:.3} ms", c * 1e3))
            .unwrap_or_else(|| "-".into()),
        match cpu_met {
            Some(b) => verdict(b),
            None => "NOT MEASURED (too short: raise --txs or --rounds)",
        },
        verdict(tps_met),
        verdict(met),
    ));
    human.push_str(&format!(
        "{:<34} {:>12} {:>12} {:>9}\n",
        format!("scan of {} outputs", records.len()),
        "wall",
        "outputs/s",
        "found"
    ));
    for (name, wall, found) in &scans {
        human.push_str(&format!(
            "{:<34} {:>10.1}ms {:>12.0} {:>9}\n",
            name,
            wall * 1e3,
            records.len() as f64 / wall,
            found
        ));
    }
    let json = json!({
        "txs": n,
        "inputs_per_tx": 2,
        "outputs_per_tx": 2,
        "tx_bytes": tx_bytes,
        "block_body_bytes": body_bytes,
        "threads": threads,
        "rounds": args.rounds.max(1),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "setup_s": setup_s,
        "prove": prove_cost.json(n),
        "decoding": decoding.json(n),
        "stateless_batched": batched.json(n),
        "stateless_batched_parts": {
            "rules_1_to_4": signatures.json(n),
            "rules_1_to_4_unbatched": signatures_single.json(n),
            "input_proof_batch": input_batch.json(n),
            "output_proof_batch": output_batch.json(n),
            "input_proofs": ins.len(),
            "output_proofs": outs.len(),
        },
        "stateless_single": single.json(n),
        "mempool_admission": admit_cost.json(n),
        "block_build": build_cost.json(n),
        "block_apply": apply_cost.json(n),
        "block_apply_cold": cold_cost.json(n),
        "goal": {
            "cpu_per_tx_ms_max": GOAL_CPU_PER_TX_S * 1e3,
            "tx_per_s_min": GOAL_TX_PER_S,
            "cpu_per_tx_ms": cpu_per_tx.map(|c| c * 1e3),
            "tx_per_s": tps,
            "cpu_met": cpu_met,
            "throughput_met": tps_met,
            "met": met,
        },
        "scan": scans.iter().map(|(name, wall, found)| json!({
            "key": name,
            "outputs": records.len(),
            "wall_s": wall,
            "outputs_per_s": records.len() as f64 / wall,
            "found": found,
        })).collect::<Vec<_>>(),
    });
    Ok(Report::new(human.trim_end().to_string(), json))
}

pub fn run(args: BenchArgs, json: bool) -> Result<Report, CliError> {
    match args.what {
        BenchCommand::Zk(a) => zk(a, json),
        BenchCommand::Ledger(a) => ledger(a, json),
        BenchCommand::Network(a) => crate::cli::bench_net::run(a),
        BenchCommand::Evm(a) => bench_evm::run(a, json),
        BenchCommand::History(a) => bench_history::run(a, json),
        BenchCommand::Load(a) => bench_load::run(a, json),
        BenchCommand::Sync(a) => bench_sync::run(a, json),
        BenchCommand::ProveOnce { circuit, params } => prove_once(circuit, params),
    }
}
