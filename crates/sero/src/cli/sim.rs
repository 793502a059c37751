//! `sero sim`: runs the deterministic BA★ simulator (crate `sero-sim`) on
//! many seeds in parallel and summarises safety, liveness and finality.

use crate::output::{CliError, Report};
use clap::Args;
use serde_json::json;
use sero_consensus::ba::BaParams;
use sero_sim::{run_many, scenario_with, ScenarioOptions, SimReport, Summary};
use std::time::Instant;

#[derive(Args)]
pub struct SimArgs {
    /// Number of runs (seeds).
    #[arg(long, default_value_t = 100)]
    seeds: u64,
    /// First seed; runs use seeds start..start+seeds.
    #[arg(long, default_value_t = 0)]
    start: u64,
    /// Nodes per run (default: 4 to 7, chosen by each seed).
    #[arg(long)]
    nodes: Option<usize>,
    /// Mean one-way link latency in ms (default: 10 to 80, chosen by each seed).
    #[arg(long)]
    latency_ms: Option<u64>,
    /// Final rounds every honest node must reach in a run.
    #[arg(long, default_value_t = 4)]
    rounds: u64,
    /// The paper's committees and thresholds (τ 26/2000/10000, T 0.685/0.74)
    /// with timeouts for links up to ~100 ms (BaParams::production_lan).
    #[arg(long, conflicts_with = "devnet")]
    production: bool,
    /// Full committees, thresholds above 2/3 (BaParams::devnet; the default).
    #[arg(long)]
    devnet: bool,
    /// No faults: honest validators of equal stake on a lossless network
    /// (to measure time to finality).
    #[arg(long)]
    clean: bool,
    /// Force BA★ recovery: max_steps 9 and a 30–60 s partition into two
    /// halves in every run, so that all nodes pass max_steps before it heals.
    #[arg(long, conflicts_with = "clean")]
    recovery: bool,
    /// Worker threads (default: the available cores).
    #[arg(long)]
    threads: Option<usize>,
}

pub fn run(args: SimArgs) -> Result<Report, CliError> {
    if args.seeds == 0 {
        return Err(CliError::Usage("--seeds must be at least 1".into()));
    }
    if args.nodes.is_some_and(|n| !(2..=512).contains(&n)) {
        return Err(CliError::Usage("--nodes must be in 2..=512".into()));
    }
    if args.latency_ms == Some(0) {
        return Err(CliError::Usage("--latency-ms must be at least 1".into()));
    }
    let (params, params_name) = if args.production {
        (BaParams::production_lan(), "production (LAN timeouts)")
    } else {
        (BaParams::devnet(), "devnet")
    };
    let end = args
        .start
        .checked_add(args.seeds)
        .ok_or_else(|| CliError::Usage("--start + --seeds overflows".into()))?;
    let opts = ScenarioOptions {
        nodes: args.nodes,
        latency_ms: args.latency_ms,
        rounds: Some(args.rounds),
        params: Some(params),
        clean: args.clean,
        recovery: args.recovery,
    };
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let configs = (args.start..end).map(|s| scenario_with(s, opts)).collect();
    let t0 = Instant::now();
    let reports = run_many(configs, threads);
    let wall_ms = t0.elapsed().as_millis() as u64;
    let summary = Summary::new(&reports);
    let failed = summary.violations > 0 || summary.liveness_failures > 0;

    let first: Vec<String> = reports
        .iter()
        .filter(|r| !r.ok())
        .take(5)
        .flat_map(first_problem)
        .collect();
    let ms = |v: Option<u64>| v.map_or("-".to_string(), |x| format!("{x} ms"));
    let mut human = format!(
        "sero sim: {} runs (seeds {}..{}), {params_name} parameters, {}, {}\n\
         \x20 safety violations: {} (in {} runs)\n\
         \x20 liveness failures: {}\n\
         \x20 time to finality:  median {}, p90 {} (virtual)\n\
         \x20 final rounds:      {}; messages sent {}\n\
         \x20 BA★ recovery:      {} halts past max_steps, {} decisions in recovery periods\n\
         \x20 wall time:         {}.{:03} s on {threads} threads",
        summary.runs,
        args.start,
        end - 1,
        args.nodes
            .map_or("4-7 nodes".to_string(), |n| format!("{n} nodes")),
        if args.clean {
            "no faults"
        } else if args.recovery {
            "mixed faults + long partitions (recovery)"
        } else {
            "mixed faults"
        },
        summary.violations,
        summary.runs_with_violations,
        summary.liveness_failures,
        ms(summary.median_finality_ms),
        ms(summary.p90_finality_ms),
        summary.final_rounds,
        summary.messages_sent,
        summary.halts,
        summary.recovered_decisions,
        wall_ms / 1000,
        wall_ms % 1000,
    );
    for line in &first {
        human.push_str("\n  ");
        human.push_str(line);
    }
    let mut value = serde_json::to_value(&summary).expect("summary serialises");
    let obj = value.as_object_mut().expect("an object");
    obj.insert("ok".into(), json!(!failed));
    obj.insert("start".into(), json!(args.start));
    obj.insert("params".into(), json!(params_name));
    obj.insert("nodes".into(), json!(args.nodes));
    obj.insert("latency_ms".into(), json!(args.latency_ms));
    obj.insert("clean".into(), json!(args.clean));
    obj.insert("recovery".into(), json!(args.recovery));
    obj.insert("wall_ms".into(), json!(wall_ms));
    obj.insert("threads".into(), json!(threads));
    obj.insert("problems".into(), json!(first));
    let report = Report::new(human, value);
    Ok(if failed { report.negative() } else { report })
}

fn first_problem(r: &SimReport) -> Vec<String> {
    r.violations
        .iter()
        .chain(&r.liveness_failures)
        .take(2)
        .map(|l| format!("seed {}: {l}", r.seed))
        .collect()
}
