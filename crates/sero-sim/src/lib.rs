//! A deterministic discrete-event simulator for SERO's BA★
//! ([`sero_consensus::ba::Agreement`]).
//!
//! N nodes run the real agreement for many consecutive rounds on a virtual
//! clock: events are ordered by `(time, sequence number)` and every random
//! choice comes from one ChaCha20 stream seeded by [`SimConfig::seed`], so
//! a seed always replays the same run.
//!
//! * **Chain.** Each node keeps the values it decided (final or
//!   tentative); the last one is the next round's previous-block hash, and
//!   the seed is a hash chain over the decided values. A proposer's block
//!   hash is `H(round, prev, proposer)`; honest blocks are valid.
//! * **Network.** Every pair of nodes has a link with its own base delay
//!   (80–120 % of [`LinkModel::base_ms`]) plus jitter, and seeded losses,
//!   duplicates and hold-backs (reordering). Partitions drop messages across
//!   the cut until they heal. Votes are broadcast to all; proposals are
//!   relayed by nodes for which they are the best seen (as Algorand's
//!   gossip does); bodies travel with proposals and can be fetched.
//! * **Crashes.** A crashed node loses its state but its chain, bodies and
//!   own persisted votes, which it passes back as `prior_votes`.
//! * **Sync.** A node that sees a later round or another chain, or stalls,
//!   asks a peer for its chain and checks each certificate with
//!   [`sero_consensus::ba::verify_certificate`]; it switches to a chain
//!   with a higher final height (or as high and longer), rolling back
//!   tentative blocks only. A node that would have to drop a final block
//!   reports a safety violation.
//! * **Byzantine validators** ([`Behaviour`]): equivocating proposer,
//!   double voter, voter for unseen blocks, silent.
//! * **Checks** ([`check::check_safety`]): safety (one final value per
//!   round among honest nodes, also counting rolled-back ones; every honest
//!   node's value equal to it), validity (no honest node decides a block
//!   that does not exist) and liveness (after the last fault, every honest
//!   node finalises a new round within a bound).
//!
//! Verifying a message is a pure function of its bytes and the round's
//! context, so verifications (and certificate checks) are memoised across
//! nodes to keep runs fast.

pub mod check;
pub mod config;
pub mod report;
mod sim;

pub use config::{Behaviour, Crash, LinkModel, Partition, SimConfig};
pub use report::{percentile, SimReport, Summary};
pub use sim::{block, empty_block, genesis, next_seed, Sim};

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sero_consensus::ba::BaParams;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Runs one simulation.
pub fn run(cfg: SimConfig) -> SimReport {
    Sim::new(cfg).run()
}

/// Runs many simulations on `threads` threads (at least 1); the reports
/// come back in the order of `configs`.
pub fn run_many(configs: Vec<SimConfig>, threads: usize) -> Vec<SimReport> {
    let n = configs.len();
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<SimReport>>> = (0..n).map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, n.max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let r = run(configs[i].clone());
                *slots[i].lock().expect("no panics while holding") = Some(r);
            });
        }
    });
    slots
        .into_iter()
        .map(|m| m.into_inner().expect("unpoisoned").expect("ran"))
        .collect()
}

/// Knobs of [`scenario_with`]; `None` lets the seed choose.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScenarioOptions {
    /// Number of nodes (default: 4–7 from the seed).
    pub nodes: Option<usize>,
    /// Mean one-way latency (default: 10–80 ms from the seed).
    pub latency_ms: Option<u64>,
    /// Final rounds to reach (default 4).
    pub rounds: Option<u64>,
    /// Parameters (default [`BaParams::devnet`]).
    pub params: Option<BaParams>,
    /// No faults at all: honest nodes of equal stake, no losses.
    pub clean: bool,
    /// Force BA★ recovery: `max_steps` at most 9 and, in every run, a
    /// partition of 30–60 s that splits the nodes into two halves by
    /// count, so that (unless one side holds more than the threshold of
    /// the stake) every node passes `max_steps`, several times, before it
    /// heals (Algorand §8.2). Ignored with `clean`.
    pub recovery: bool,
}

/// A scenario mixing faults at random from `seed` (see [`scenario_with`]).
pub fn scenario(seed: u64) -> SimConfig {
    scenario_with(seed, ScenarioOptions::default())
}

/// Byzantine stake budget in permille of the total: below a third for
/// full committees (thresholds 667 ‰); 20 % (the paper's assumption) when
/// a threshold is higher.
fn byzantine_budget(params: &BaParams) -> u64 {
    if params.t_step_permille.max(params.t_final_permille) <= 667 {
        300
    } else {
        200
    }
}

/// A scenario from `seed`: 4–7 nodes with stakes 10–100; Byzantine
/// validators (each behaviour equally likely) holding less than the
/// budget (a third, or 20 % with the paper's thresholds); a link with
/// jitter, up to 5 % drops, duplicates and hold-backs; with probability
/// 0.35 a partition of 0.5–8 s that heals; with probability 0.4 one or two
/// honest nodes crashing for 0.2–8 s (they restart). Liveness bound: 60 s
/// of virtual time after the last fault.
pub fn scenario_with(seed: u64, opts: ScenarioOptions) -> SimConfig {
    let mut rng = ChaCha20Rng::seed_from_u64(seed ^ 0x5ce7_a410);
    let mut params = opts.params.unwrap_or_else(BaParams::devnet);
    if opts.recovery && !opts.clean {
        params.max_steps = params.max_steps.min(9);
    }
    let n = opts.nodes.unwrap_or_else(|| rng.gen_range(4..=7));
    let latency = opts.latency_ms.unwrap_or_else(|| rng.gen_range(10..=80));
    let rounds = opts.rounds.unwrap_or(4);
    if opts.clean {
        let mut c = SimConfig::honest(seed, n, latency, params);
        c.rounds = rounds;
        return c;
    }
    let stakes: Vec<u64> = (0..n).map(|_| rng.gen_range(10..=100)).collect();
    let total: u64 = stakes.iter().sum();
    let budget = byzantine_budget(&params);
    let mut behaviours = vec![Behaviour::Honest; n];
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng);
    let mut byz_stake = 0;
    let kinds = [
        Behaviour::Silent,
        Behaviour::EquivocatingProposer,
        Behaviour::DoubleVoter,
        Behaviour::UnseenBlockVoter,
    ];
    let want_byz = rng.gen_range(0..=2usize);
    for &i in order.iter().take(want_byz) {
        if (byz_stake + stakes[i]) * 1000 < budget * total {
            byz_stake += stakes[i];
            behaviours[i] = kinds[rng.gen_range(0..kinds.len())];
        }
    }
    let link = LinkModel {
        base_ms: latency,
        jitter_ms: rng.gen_range(0..=latency),
        drop_ppm: rng.gen_range(0..=30_000),
        dup_ppm: rng.gen_range(0..=50_000),
        reorder_ppm: rng.gen_range(0..=50_000),
    };
    let mut partitions = Vec::new();
    if opts.recovery {
        let start = rng.gen_range(0..4_000);
        let mut side = vec![false; n];
        for &i in order.iter().take(n / 2) {
            side[i] = true;
        }
        partitions.push(Partition {
            start_ms: start,
            end_ms: start + rng.gen_range(30_000..=60_000),
            side,
        });
    } else if rng.gen_range(0..100) < 35 {
        let start = rng.gen_range(0..4_000);
        let side = (0..n).map(|_| rng.gen::<bool>()).collect();
        partitions.push(Partition {
            start_ms: start,
            end_ms: start + rng.gen_range(500..=8_000),
            side,
        });
    }
    let mut crashes = Vec::new();
    if rng.gen_range(0..100) < 40 {
        let honest: Vec<usize> = (0..n).filter(|&i| behaviours[i].is_honest()).collect();
        let k = rng.gen_range(1..=2usize).min(honest.len());
        for &node in honest.choose_multiple(&mut rng, k) {
            let at = rng.gen_range(0..6_000);
            crashes.push(Crash {
                node,
                at_ms: at,
                restart_ms: at + rng.gen_range(200..=8_000),
            });
        }
    }
    let mut c = SimConfig {
        seed,
        stakes,
        behaviours,
        link,
        partitions,
        crashes,
        relay_fanout: 2,
        rounds,
        max_time_ms: 0,
        liveness_bound_ms: 60_000,
        params,
        sabotage_round: None,
    };
    c.max_time_ms = c.last_disruption_ms() + c.liveness_bound_ms + 120_000;
    c
}
