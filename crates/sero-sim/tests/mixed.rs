//! Hundreds of seeds of mixed faults: every run must be safe and live.
//! `SERO_SIM_SEEDS=N` changes the number of seeds (default 300).

use sero_sim::{run_many, scenario, scenario_with, ScenarioOptions, Summary};

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[test]
fn mixed_scenarios_are_safe_and_live() {
    let n: u64 = std::env::var("SERO_SIM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let configs: Vec<_> = (0..n).map(scenario).collect();
    let faulty = configs
        .iter()
        .filter(|c| {
            !c.partitions.is_empty()
                || !c.crashes.is_empty()
                || c.behaviours.iter().any(|b| !b.is_honest())
        })
        .count();
    let reports = run_many(configs.clone(), threads());
    let summary = Summary::new(&reports);
    eprintln!("{summary:?} ({faulty} of {n} runs with partitions, crashes or Byzantine nodes)");
    for (c, r) in configs.iter().zip(&reports) {
        assert!(
            r.violations.is_empty(),
            "seed {}: safety violations {:?}\n{c:?}",
            r.seed,
            r.violations
        );
        assert!(
            r.liveness_ok,
            "seed {}: liveness {:?}\n{c:?}",
            r.seed, r.liveness_failures
        );
        for (i, (f, b)) in r.finals.iter().zip(&r.behaviours).enumerate() {
            assert!(
                !b.is_honest() || *f >= c.rounds,
                "seed {}: node {i} finalised only {f} rounds",
                r.seed
            );
        }
    }
    assert!(faulty * 2 > n as usize, "the generator mixes in faults");
}

/// Mixed faults plus, in every run, a partition long enough that nodes
/// pass `max_steps` (BA★ recovery, Algorand §8.2): every run must be safe
/// and live after it heals. `SERO_SIM_RECOVERY_SEEDS=N` (default 40).
#[test]
fn long_partitions_recover_safely() {
    let n: u64 = std::env::var("SERO_SIM_RECOVERY_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    let opts = ScenarioOptions {
        recovery: true,
        ..Default::default()
    };
    let configs: Vec<_> = (0..n).map(|s| scenario_with(s, opts)).collect();
    let reports = run_many(configs.clone(), threads());
    let summary = Summary::new(&reports);
    eprintln!("{summary:?}");
    for (c, r) in configs.iter().zip(&reports) {
        assert!(
            r.violations.is_empty(),
            "seed {}: {:?}\n{c:?}",
            r.seed,
            r.violations
        );
        assert!(
            r.liveness_ok,
            "seed {}: {:?}\n{c:?}",
            r.seed, r.liveness_failures
        );
        for (i, (f, b)) in r.finals.iter().zip(&r.behaviours).enumerate() {
            assert!(
                !b.is_honest() || *f >= c.rounds,
                "seed {}: node {i}: {f}",
                r.seed
            );
        }
    }
    assert!(summary.halts > n, "long partitions make nodes halt");
    assert!(summary.recovered_decisions > n, "recovery periods decide");
}
