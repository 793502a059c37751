//! `zk-compare`: measures the Groth16 circuits of Zcash Sapling (Spend,
//! Output) and SERO (input, output) side by side on one machine.
//!
//! Usage:
//!   zk-compare [--runs N] [--verify-runs N] [--batch B] [--batch-runs N]
//!              [--params-dir DIR] [--reuse-params] [--seed S]
//!              [--only NAME[,NAME...]] [--skip-mem] [--json] [--json-out FILE]
//!
//! Hidden: `zk-compare prove-once NAME [--params-dir DIR] [--seed S]` is what
//! the tool re-executes itself with to measure one circuit's peak memory in a
//! fresh process.

mod bellman_groth16;
mod measure;
mod report;
mod sapling;
mod sero;

use std::{path::PathBuf, process::ExitCode};

use report::{CircuitBench, CircuitSpec, Config};
use serde_json::json;

pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Ratios always reported when both circuits were measured.
const SAPLING_RATIO_PAIRS: &[(&str, &str)] = &[("sapling-spend", "sapling-output")];

const USAGE: &str = "\
zk-compare: Groth16 circuit benchmark, Zcash Sapling (Spend, Output) vs SERO (input, output)

USAGE:
    zk-compare [OPTIONS]

OPTIONS:
    --runs N            timed proofs per circuit, median reported        [default: 5]
    --verify-runs N     timed single verifications per circuit           [default: 50]
    --batch B           proofs per batch verification                    [default: 1024]
    --batch-runs N      repetitions of the batch verification (median)   [default: 3]
    --params-dir DIR    parameter cache       [default: <tool>/target/zk-compare-params]
    --reuse-params      load cached parameters instead of regenerating them
                        (setup time is then the one recorded in the cache, marked *)
    --seed S            seed for witnesses and proof randomness          [default: 1]
    --only NAMES        comma-separated circuits to run (repeatable)
    --skip-mem          skip the fresh-process peak-memory measurement
    --json              print one JSON object instead of the table
    --json-out FILE     also write that JSON object to FILE
    -h, --help          print this help
";

fn registry() -> Vec<CircuitSpec> {
    let mut all = sapling::circuits();
    all.extend(sero::circuits());
    all
}

fn default_params_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("zk-compare-params")
}

struct Cli {
    cfg: Config,
    json: bool,
    json_out: Option<PathBuf>,
    only: Vec<String>,
    prove_once: Option<String>,
}

fn parse_args(args: &[String]) -> Result<Option<Cli>> {
    let mut cfg = Config {
        runs: 5,
        verify_runs: 50,
        batch: 1024,
        batch_runs: 3,
        params_dir: default_params_dir(),
        reuse_params: false,
        seed: 1,
        skip_mem: false,
    };
    let mut json = false;
    let mut json_out = None;
    let mut only = Vec::new();
    let mut prove_once = None;

    let mut it = args.iter();
    if args.first().map(String::as_str) == Some("prove-once") {
        it.next();
        prove_once = Some(it.next().ok_or("prove-once needs a circuit name")?.clone());
    }
    while let Some(arg) = it.next() {
        let mut value = |flag: &str| -> Result<String> {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value").into())
        };
        let positive = |flag: &str, v: String| -> Result<usize> {
            match v.parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!("{flag} needs a positive integer, got {v:?}").into()),
            }
        };
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--runs" => cfg.runs = positive(arg, value(arg)?)?,
            "--verify-runs" => cfg.verify_runs = positive(arg, value(arg)?)?,
            "--batch" => cfg.batch = positive(arg, value(arg)?)?,
            "--batch-runs" => cfg.batch_runs = positive(arg, value(arg)?)?,
            "--params-dir" => cfg.params_dir = PathBuf::from(value(arg)?),
            "--reuse-params" => cfg.reuse_params = true,
            "--seed" => {
                let v = value(arg)?;
                cfg.seed = v
                    .parse()
                    .map_err(|_| format!("--seed needs an integer, got {v:?}"))?;
            }
            "--only" => only.extend(
                value(arg)?
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from),
            ),
            "--skip-mem" => cfg.skip_mem = true,
            "--json" => json = true,
            "--json-out" => json_out = Some(PathBuf::from(value(arg)?)),
            other => return Err(format!("unknown argument {other:?}\n\n{USAGE}").into()),
        }
    }
    Ok(Some(Cli {
        cfg,
        json,
        json_out,
        only,
        prove_once,
    }))
}

fn run(cli: Cli) -> Result<()> {
    let registry = registry();
    let names: Vec<&str> = registry.iter().map(|c| c.name).collect();

    if let Some(name) = cli.prove_once {
        let spec = registry
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| format!("unknown circuit {name:?}; known: {}", names.join(", ")))?;
        let mem = (spec.prove_once)(&cli.cfg)?;
        println!("{}", mem.to_line());
        return Ok(());
    }

    for o in &cli.only {
        if !names.contains(&o.as_str()) {
            return Err(
                format!("--only: unknown circuit {o:?}; known: {}", names.join(", ")).into(),
            );
        }
    }
    let selected: Vec<&CircuitSpec> = registry
        .iter()
        .filter(|c| cli.only.is_empty() || cli.only.iter().any(|o| o == c.name))
        .collect();

    let loadavg_start = report::loadavg();
    let mut results: Vec<CircuitBench> = Vec::new();
    for spec in selected {
        eprintln!("== {} ({}) ==", spec.name, spec.system);
        let mut r = (spec.bench)(&cli.cfg)?;
        if !cli.cfg.skip_mem {
            eprintln!(
                "[{}] measuring peak memory in a fresh process...",
                spec.name
            );
            let mem = measure::measure_in_child(spec.name, &cli.cfg.params_dir, cli.cfg.seed)?;
            if mem.generated_params {
                eprintln!(
                    "[{}] warning: the child regenerated parameters; its loaded memory includes generation",
                    spec.name
                );
            }
            r.set_mem(&mem);
        }
        results.push(r);
    }

    let pairs: Vec<(&str, &str)> = SAPLING_RATIO_PAIRS
        .iter()
        .chain(sero::RATIO_PAIRS)
        .copied()
        .collect();
    let ratios = report::ratios(&results, &pairs);
    let goals = report::goals(&results, sero::GOALS);
    let machine = report::machine_info(&loadavg_start);

    let cfg = &cli.cfg;
    let out = json!({
        "tool": "zk-compare",
        "versions": {
            "sapling-crypto": env!("ZKC_VER_SAPLING_CRYPTO"),
            "groth16": env!("ZKC_VER_GROTH16"),
            "bellman": env!("ZKC_VER_BELLMAN"),
            "bls12_381": env!("ZKC_VER_BLS12_381"),
            "jubjub": env!("ZKC_VER_JUBJUB"),
            "pairing": env!("ZKC_VER_PAIRING"),
            "sero-zk": env!("ZKC_VER_SERO_ZK"),
            "ark-groth16": env!("ZKC_VER_ARK_GROTH16"),
            "ark-bn254": env!("ZKC_VER_ARK_BN254"),
            "ark-relations": env!("ZKC_VER_ARK_RELATIONS"),
        },
        "config": {
            "runs": cfg.runs,
            "verify_runs": cfg.verify_runs,
            "batch": cfg.batch,
            "batch_runs": cfg.batch_runs,
            "reuse_params": cfg.reuse_params,
            "seed": cfg.seed,
            "params_dir": cfg.params_dir.display().to_string(),
        },
        "machine": machine,
        "circuits": results.iter().map(CircuitBench::to_json).collect::<Vec<_>>(),
        "ratios": ratios,
        "goals": goals,
    });
    let json_text = serde_json::to_string_pretty(&out)?;
    if let Some(path) = &cli.json_out {
        std::fs::write(path, format!("{json_text}\n"))?;
    }
    if cli.json {
        println!("{json_text}");
    } else {
        print!(
            "{}",
            report::render_table(
                cfg,
                &out["machine"],
                &results,
                &out["ratios"],
                &out["goals"]
            )
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cli = match parse_args(&args) {
        Ok(Some(cli)) => cli,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
