//! `sero bench zk`: proving, verification and batch verification of both
//! circuits, with peak memory measured in a fresh child process per circuit.

use crate::output::{CliError, Report};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use rand_core::OsRng;
use serde_json::{json, Value};
use sero_crypto::Base;
use sero_zk::params::{CircuitKind, Parameters, DEV_SEED};
use sero_zk::proof::{check_satisfied, prove};
use sero_zk::samples::{input_statement, output_statement};
use sero_zk::{batch_verify, verify, CircuitParams, ZkProof};
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

#[derive(Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: BenchCommand,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Benchmark the output and input circuits (Groth16 on BN254).
    Zk(ZkArgs),
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

pub fn run(args: BenchArgs, json: bool) -> Result<Report, CliError> {
    match args.what {
        BenchCommand::Zk(a) => zk(a, json),
        BenchCommand::ProveOnce { circuit, params } => prove_once(circuit, params),
    }
}
