//! The system-independent result type ([`CircuitBench`]), the circuit registry
//! type ([`CircuitSpec`]) that each proof system plugs into, and the text-table
//! / JSON rendering including machine information and ratios.

use std::{fs, path::PathBuf};

use serde_json::{json, Map, Value};

use crate::{measure::MemReport, Result};

/// Run-wide options shared by every system.
#[derive(Clone, Debug)]
pub struct Config {
    /// Number of timed proofs per circuit (median reported).
    pub runs: usize,
    /// Number of timed single verifications per circuit (median reported).
    pub verify_runs: usize,
    /// Number of proofs in one batch verification.
    pub batch: usize,
    /// How many times the batch verification is repeated (median reported).
    pub batch_runs: usize,
    /// Where proving parameters are cached between the parent and its children.
    pub params_dir: PathBuf,
    /// Load cached parameters instead of regenerating (setup time then comes
    /// from the cache's metadata and is flagged `setup_from_cache`).
    pub reuse_params: bool,
    /// Seed for witnesses and proof randomness (timings do not depend on it).
    pub seed: u64,
    /// Skip the fresh-process peak-memory measurement.
    pub skip_mem: bool,
}

/// One circuit's measurements. Every system produces exactly this, so the
/// lead engineer's SERO side can be compared field by field.
#[derive(Clone, Debug, Default)]
pub struct CircuitBench {
    /// Registry name, e.g. `sapling-spend`.
    pub name: String,
    /// The system it belongs to, e.g. `zcash-sapling`.
    pub system: String,
    /// Proving system, curve and library, in words.
    pub proof_system: String,
    /// Number of R1CS constraints (multiplication gates) of the circuit.
    pub constraints: u64,
    /// Number of public inputs, not counting the constant 1.
    pub public_inputs: u64,
    /// FFT evaluation-domain size the prover works over.
    pub domain_size: u64,
    /// Wall time of parameter (CRS) generation.
    pub setup_s: f64,
    /// True when `setup_s` was read from the parameter cache's metadata
    /// (`--reuse-params`) rather than measured in this run.
    pub setup_from_cache: bool,
    /// Size of the serialized proving parameters in bytes.
    pub params_bytes: u64,
    /// Size of one serialized proof in bytes.
    pub proof_bytes: u64,
    /// Median wall time of one proof (witness synthesis included).
    pub prove_s_median: f64,
    /// Every timed proof, in order.
    pub prove_s_all: Vec<f64>,
    /// Median wall time of one verification with a prepared verifying key.
    pub verify_s_median: f64,
    /// How many single verifications were timed.
    pub verify_runs: usize,
    /// Proofs per batch verification.
    pub batch_size: usize,
    /// How many distinct proofs were cycled to fill the batch.
    pub batch_distinct_proofs: usize,
    /// Batch verification time divided by the batch size, using all cores.
    pub batch_verify_per_proof_s: f64,
    /// Same with the single-threaded batch verifier, where the system has one.
    pub batch_verify_1t_per_proof_s: Option<f64>,
    /// `VmHWM` after one proof in a fresh process (includes loaded parameters).
    pub peak_mem_bytes: u64,
    /// `VmHWM` right after loading the parameters in that fresh process.
    pub loaded_mem_bytes: u64,
    /// `VmRSS` right after loading the parameters in that fresh process.
    pub loaded_rss_bytes: u64,
    /// `VmHWM` of that fresh process before loading anything.
    pub baseline_mem_bytes: u64,
    /// Wall time of the single cold proof in that fresh process.
    pub child_prove_s: f64,
    /// Whether memory was measured (false with `--skip-mem`).
    pub mem_measured: bool,
}

impl CircuitBench {
    pub fn set_mem(&mut self, m: &MemReport) {
        self.peak_mem_bytes = m.peak_hwm;
        self.loaded_mem_bytes = m.loaded_hwm;
        self.loaded_rss_bytes = m.loaded_rss;
        self.baseline_mem_bytes = m.baseline_hwm;
        self.child_prove_s = m.prove_s;
        self.mem_measured = true;
    }

    /// Batch verification time per proof over one single verification
    /// (all-core batch verifier); `None` without a single-verify time.
    pub fn batch_to_single_ratio(&self) -> Option<f64> {
        (self.verify_s_median > 0.0).then(|| self.batch_verify_per_proof_s / self.verify_s_median)
    }

    /// Same with the single-threaded batch verifier.
    pub fn batch_1t_to_single_ratio(&self) -> Option<f64> {
        let b = self.batch_verify_1t_per_proof_s?;
        (self.verify_s_median > 0.0).then(|| b / self.verify_s_median)
    }

    /// Memory the prover itself needed on top of the loaded parameters.
    pub fn prover_working_mem_bytes(&self) -> u64 {
        self.peak_mem_bytes.saturating_sub(self.loaded_rss_bytes)
    }

    pub fn to_json(&self) -> Value {
        let mem = |v: u64| {
            if self.mem_measured {
                json!(v)
            } else {
                Value::Null
            }
        };
        json!({
            "name": self.name,
            "system": self.system,
            "proof_system": self.proof_system,
            "constraints": self.constraints,
            "public_inputs": self.public_inputs,
            "domain_size": self.domain_size,
            "setup_s": self.setup_s,
            "setup_from_cache": self.setup_from_cache,
            "params_bytes": self.params_bytes,
            "proof_bytes": self.proof_bytes,
            "prove_s_median": self.prove_s_median,
            "prove_s_all": self.prove_s_all,
            "verify_s_median": self.verify_s_median,
            "verify_runs": self.verify_runs,
            "batch_size": self.batch_size,
            "batch_distinct_proofs": self.batch_distinct_proofs,
            "batch_verify_per_proof_s": self.batch_verify_per_proof_s,
            "batch_verify_1t_per_proof_s": self.batch_verify_1t_per_proof_s,
            "batch_to_single_ratio": self.batch_to_single_ratio(),
            "batch_1t_to_single_ratio": self.batch_1t_to_single_ratio(),
            "peak_mem_bytes": mem(self.peak_mem_bytes),
            "loaded_mem_bytes": mem(self.loaded_mem_bytes),
            "loaded_rss_bytes": mem(self.loaded_rss_bytes),
            "baseline_mem_bytes": mem(self.baseline_mem_bytes),
            "prover_working_mem_bytes": mem(self.prover_working_mem_bytes()),
            "child_prove_s": if self.mem_measured { json!(self.child_prove_s) } else { Value::Null },
        })
    }
}

/// A circuit one system contributes. `bench` measures everything except
/// memory, in this process; `prove_once` is the body of the hidden
/// `prove-once <name>` subcommand run in a fresh child process for memory.
pub struct CircuitSpec {
    pub name: &'static str,
    pub system: &'static str,
    pub bench: fn(&Config) -> Result<CircuitBench>,
    pub prove_once: fn(&Config) -> Result<MemReport>,
}

/// Machine and build facts recorded with every report.
pub fn machine_info(loadavg_start: &str) -> Value {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == "model name").then(|| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string());
    let logical_cpus = cpuinfo
        .lines()
        .filter(|l| l.split(':').next().map(str::trim) == Some("processor"))
        .count();
    let flags = cpuinfo
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == "flags").then(|| v.to_string())
        })
        .unwrap_or_default();
    let has = |f: &str| flags.split_whitespace().any(|x| x == f);
    let available_parallelism = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem_total_bytes = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines().find_map(|l| {
                let rest = l.strip_prefix("MemTotal:")?;
                rest.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()
            })
        })
        .map(|kib| kib * 1024);
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    json!({
        "cpu_model": cpu_model,
        "logical_cpus": logical_cpus,
        "available_parallelism": available_parallelism,
        "cpu_flags": {"adx": has("adx"), "bmi2": has("bmi2"), "avx2": has("avx2"), "avx512f": has("avx512f")},
        "mem_total_bytes": mem_total_bytes,
        "kernel": kernel,
        "arch": std::env::consts::ARCH,
        "loadavg_start": loadavg_start,
        "loadavg_end": loadavg(),
        "rustc": env!("ZKC_RUSTC_VERSION"),
        "build_profile": env!("ZKC_PROFILE"),
    })
}

/// `/proc/loadavg`'s first three fields (other jobs on the machine skew timings).
pub fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// `numerator/denominator` ratios of the headline metrics for each listed
/// pair of circuits that is present in `results`.
pub fn ratios(results: &[CircuitBench], pairs: &[(&str, &str)]) -> Value {
    let mut out = Map::new();
    for (a, b) in pairs {
        let (Some(x), Some(y)) = (
            results.iter().find(|r| r.name == *a),
            results.iter().find(|r| r.name == *b),
        ) else {
            continue;
        };
        let r = |n: f64, d: f64| if d > 0.0 { json!(n / d) } else { Value::Null };
        let mem = |n: u64, d: u64| {
            if x.mem_measured && y.mem_measured {
                r(n as f64, d as f64)
            } else {
                Value::Null
            }
        };
        out.insert(
            format!("{a}/{b}"),
            json!({
                "constraints": r(x.constraints as f64, y.constraints as f64),
                "setup_s": r(x.setup_s, y.setup_s),
                "prove_s_median": r(x.prove_s_median, y.prove_s_median),
                "verify_s_median": r(x.verify_s_median, y.verify_s_median),
                "batch_verify_per_proof_s": r(x.batch_verify_per_proof_s, y.batch_verify_per_proof_s),
                "peak_mem_bytes": mem(x.peak_mem_bytes, y.peak_mem_bytes),
                "loaded_mem_bytes": mem(x.loaded_mem_bytes, y.loaded_mem_bytes),
                // Per circuit, not a quotient of the two: batch verification
                // per proof over one single verification.
                "batch_to_single": Map::from_iter([
                    (a.to_string(), json!(x.batch_to_single_ratio())),
                    (b.to_string(), json!(y.batch_to_single_ratio())),
                ]),
            }),
        );
    }
    Value::Object(out)
}

/// Which ratio a [`Goal`] bounds.
#[derive(Clone, Copy, Debug)]
pub enum GoalMetric {
    /// `prove_s_median(a) / prove_s_median(b)`.
    Prove,
    /// `peak_mem_bytes(a) / peak_mem_bytes(b)` (needs the memory children).
    PeakMem,
    /// `batch_verify_per_proof_s(a) / verify_s_median(a)`; `b` is unused.
    BatchToSingle,
}

/// A performance target: `metric(a, b) <= max`.
pub struct Goal {
    pub label: &'static str,
    pub metric: GoalMetric,
    pub a: &'static str,
    pub b: &'static str,
    pub max: f64,
}

/// Evaluates each goal whose circuits were measured: the measured ratio, the
/// bound and whether it is met (`null` where the ratio is unavailable, e.g.
/// memory with `--skip-mem`).
pub fn goals(results: &[CircuitBench], goals: &[Goal]) -> Value {
    let find = |n: &str| results.iter().find(|r| r.name == n);
    let mut out = Vec::new();
    for g in goals {
        let Some(x) = find(g.a) else { continue };
        let ratio = match g.metric {
            GoalMetric::BatchToSingle => x.batch_to_single_ratio(),
            GoalMetric::Prove | GoalMetric::PeakMem => {
                let Some(y) = find(g.b) else { continue };
                let (n, d) = match g.metric {
                    GoalMetric::Prove => (x.prove_s_median, y.prove_s_median),
                    _ if x.mem_measured && y.mem_measured => {
                        (x.peak_mem_bytes as f64, y.peak_mem_bytes as f64)
                    }
                    _ => (0.0, 0.0),
                };
                (d > 0.0).then(|| n / d)
            }
        };
        out.push(json!({
            "goal": g.label,
            "numerator": g.a,
            "denominator": match g.metric {
                GoalMetric::BatchToSingle => format!("{} single verify", g.a),
                _ => g.b.to_string(),
            },
            "ratio": ratio,
            "max": g.max,
            "met": ratio.map(|r| r <= g.max),
        }));
    }
    Value::Array(out)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Human-readable table of all results plus the ratios.
pub fn render_table(
    cfg: &Config,
    machine: &Value,
    results: &[CircuitBench],
    ratios: &Value,
    goals: &Value,
) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "machine: {} | {} logical CPUs ({} usable) | load avg start {} end {}",
        machine["cpu_model"].as_str().unwrap_or("?"),
        machine["logical_cpus"],
        machine["available_parallelism"],
        machine["loadavg_start"].as_str().unwrap_or("?"),
        machine["loadavg_end"].as_str().unwrap_or("?"),
    );
    let _ = writeln!(
        s,
        "config: prove runs {} | verify runs {} | batch {} x {} runs | rustc {} ({})\n",
        cfg.runs,
        cfg.verify_runs,
        cfg.batch,
        cfg.batch_runs,
        machine["rustc"].as_str().unwrap_or("?"),
        machine["build_profile"].as_str().unwrap_or("?"),
    );
    let header = [
        "circuit",
        "constraints",
        "domain",
        "setup s",
        "prove s (med)",
        "verify ms (med)",
        "batch ms/proof",
        "batch 1t ms/proof",
        "batch/single",
        "loaded MiB",
        "peak MiB",
        "prover MiB",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    for r in results {
        let mem = |v: u64| {
            if r.mem_measured {
                format!("{:.1}", mib(v))
            } else {
                "-".to_string()
            }
        };
        rows.push(vec![
            r.name.clone(),
            r.constraints.to_string(),
            r.domain_size.to_string(),
            format!(
                "{:.2}{}",
                r.setup_s,
                if r.setup_from_cache { "*" } else { "" }
            ),
            format!("{:.3}", r.prove_s_median),
            format!("{:.3}", r.verify_s_median * 1e3),
            format!("{:.3}", r.batch_verify_per_proof_s * 1e3),
            r.batch_verify_1t_per_proof_s
                .map(|v| format!("{:.3}", v * 1e3))
                .unwrap_or_else(|| "-".to_string()),
            r.batch_to_single_ratio()
                .map(|v| format!("{v:.3}"))
                .unwrap_or_else(|| "-".to_string()),
            mem(r.loaded_mem_bytes),
            mem(r.peak_mem_bytes),
            mem(r.prover_working_mem_bytes()),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| rows.iter().map(|row| row[c].len()).max().unwrap_or(0))
        .collect();
    for (i, row) in rows.iter().enumerate() {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                if c == 0 {
                    format!("{cell:<w$}", w = widths[c])
                } else {
                    format!("{cell:>w$}", w = widths[c])
                }
            })
            .collect();
        let _ = writeln!(s, "{}", line.join("  "));
        if i == 0 {
            let total: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
            let _ = writeln!(s, "{}", "-".repeat(total));
        }
    }
    let _ = writeln!(
        s,
        "\nloaded = VmHWM after loading params; peak = VmHWM after one proof; prover = peak - VmRSS after load.\n\
         batch = all-core batch verifier; batch 1t = single-threaded batch verifier;\n\
         batch/single = batch ms/proof / verify ms; * = setup time from cache."
    );
    for r in results {
        let _ = writeln!(
            s,
            "{}: {} public inputs, proof {} B, params {:.1} MiB, batch of {} cycles {} distinct proofs, prove runs {:?} s, cold prove in child {:.3} s",
            r.name,
            r.public_inputs,
            r.proof_bytes,
            mib(r.params_bytes),
            r.batch_size,
            r.batch_distinct_proofs,
            r.prove_s_all.iter().map(|v| (v * 1e3).round() / 1e3).collect::<Vec<_>>(),
            r.child_prove_s,
        );
    }
    if let Value::Object(map) = ratios {
        if !map.is_empty() {
            let _ = writeln!(s, "\nratios:");
            for (k, v) in map {
                let f = |key: &str| {
                    v[key]
                        .as_f64()
                        .map(|x| format!("{x:.3}"))
                        .unwrap_or_else(|| "-".to_string())
                };
                let per_circuit = match &v["batch_to_single"] {
                    Value::Object(m) => m
                        .iter()
                        .map(|(c, x)| {
                            let x = x
                                .as_f64()
                                .map(|x| format!("{x:.3}"))
                                .unwrap_or_else(|| "-".to_string());
                            format!("{c} {x}")
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    _ => "-".to_string(),
                };
                let _ = writeln!(
                    s,
                    "  {k}: constraints {} | setup {} | prove {} | verify {} | batch/proof {} | peak mem {} | batch/single: {per_circuit}",
                    f("constraints"),
                    f("setup_s"),
                    f("prove_s_median"),
                    f("verify_s_median"),
                    f("batch_verify_per_proof_s"),
                    f("peak_mem_bytes"),
                );
            }
        }
    }
    if let Value::Array(list) = goals {
        if !list.is_empty() {
            let _ = writeln!(s, "\ngoals:");
            for g in list {
                let ratio = g["ratio"]
                    .as_f64()
                    .map(|x| format!("{x:.3}"))
                    .unwrap_or_else(|| "-".to_string());
                let verdict = match g["met"].as_bool() {
                    Some(true) => "MET",
                    Some(false) => "MISSED",
                    None => "not measured",
                };
                let _ = writeln!(
                    s,
                    "  {}: {} / {} = {ratio} (max {}) -> {verdict}",
                    g["goal"].as_str().unwrap_or("?"),
                    g["numerator"].as_str().unwrap_or("?"),
                    g["denominator"].as_str().unwrap_or("?"),
                    g["max"],
                );
            }
        }
    }
    s
}
