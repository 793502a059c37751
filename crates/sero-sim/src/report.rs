//! What a run reports, and a summary over many runs.

use crate::config::Behaviour;
use serde::Serialize;

/// The `p`-th percentile (nearest rank) of sorted samples.
pub fn percentile(sorted: &[u64], p: u64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len() as u64;
    let rank = (p * n).div_ceil(100).clamp(1, n);
    Some(sorted[(rank - 1) as usize])
}

/// The outcome of one run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SimReport {
    /// The run's seed.
    pub seed: u64,
    /// Number of nodes.
    pub nodes: usize,
    /// Each node's behaviour.
    pub behaviours: Vec<Behaviour>,
    /// Each node's final height at the end.
    pub finals: Vec<u64>,
    /// Each node's number of tentative rounds at the end.
    pub tentatives: Vec<u64>,
    /// Each node's chain length at the end.
    pub chain_lengths: Vec<u64>,
    /// Safety (and validity) violations; empty in a correct run.
    pub violations: Vec<String>,
    /// Whether every honest node finalised a new round within the bound
    /// after the last fault.
    pub liveness_ok: bool,
    /// Why liveness failed.
    pub liveness_failures: Vec<String>,
    /// Median time from a node starting a round to finalising it
    /// (virtual ms), over honest nodes and rounds they finalised
    /// themselves.
    pub median_finality_ms: Option<u64>,
    /// 90th percentile of the same.
    pub p90_finality_ms: Option<u64>,
    /// Number of such samples.
    pub finality_samples: u64,
    /// The samples themselves, sorted (virtual ms).
    #[serde(skip)]
    pub finality_ms: Vec<u64>,
    /// Messages handed to the network (one per recipient).
    pub messages_sent: u64,
    /// Messages delivered.
    pub messages_delivered: u64,
    /// Messages that failed decoding or verification.
    pub rejected_messages: u64,
    /// Tentative blocks replaced.
    pub rollbacks: u64,
    /// Sync requests sent.
    pub sync_requests: u64,
    /// Times a node passed `max_steps` in a round's BA★ period without a
    /// decision (each is followed by a recovery period).
    pub halts: u64,
    /// Decisions (by honest nodes) reached in a recovery period (≥ 1).
    pub recovered_decisions: u64,
    /// Virtual time at the end.
    pub virtual_ms: u64,
    /// A digest of every node's chain (for determinism checks).
    pub chain_digest: String,
}

impl SimReport {
    /// No violation and liveness held.
    pub fn ok(&self) -> bool {
        self.violations.is_empty() && self.liveness_ok
    }
}

/// Totals over many runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Runs.
    pub runs: u64,
    /// Runs with at least one safety violation.
    pub runs_with_violations: u64,
    /// Violations in all.
    pub violations: u64,
    /// Runs whose liveness check failed.
    pub liveness_failures: u64,
    /// Median time to finality over all samples of all runs (virtual ms).
    pub median_finality_ms: Option<u64>,
    /// 90th percentile of the same.
    pub p90_finality_ms: Option<u64>,
    /// Messages sent in all.
    pub messages_sent: u64,
    /// Final rounds reached by honest nodes, summed.
    pub final_rounds: u64,
    /// Halts (a BA★ period passing `max_steps`), summed.
    pub halts: u64,
    /// Decisions reached in recovery periods, summed.
    pub recovered_decisions: u64,
    /// Seeds of failing runs (first 20).
    pub failing_seeds: Vec<u64>,
}

impl Summary {
    /// Summarises reports (finality percentiles over all runs' samples).
    pub fn new(reports: &[SimReport]) -> Self {
        let mut samples: Vec<u64> = reports
            .iter()
            .flat_map(|r| r.finality_ms.iter().copied())
            .collect();
        samples.sort_unstable();
        let samples = &samples[..];
        Summary {
            runs: reports.len() as u64,
            runs_with_violations: reports.iter().filter(|r| !r.violations.is_empty()).count()
                as u64,
            violations: reports.iter().map(|r| r.violations.len() as u64).sum(),
            liveness_failures: reports.iter().filter(|r| !r.liveness_ok).count() as u64,
            median_finality_ms: percentile(samples, 50),
            p90_finality_ms: percentile(samples, 90),
            messages_sent: reports.iter().map(|r| r.messages_sent).sum(),
            final_rounds: reports
                .iter()
                .map(|r| {
                    r.finals
                        .iter()
                        .zip(&r.behaviours)
                        .filter(|(_, b)| b.is_honest())
                        .map(|(f, _)| *f)
                        .sum::<u64>()
                })
                .sum(),
            halts: reports.iter().map(|r| r.halts).sum(),
            recovered_decisions: reports.iter().map(|r| r.recovered_decisions).sum(),
            failing_seeds: reports
                .iter()
                .filter(|r| !r.ok())
                .map(|r| r.seed)
                .take(20)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 90), Some(7));
        let v: Vec<u64> = (1..=10).collect();
        assert_eq!(percentile(&v, 50), Some(5));
        assert_eq!(percentile(&v, 90), Some(9));
        assert_eq!(percentile(&v, 100), Some(10));
        assert_eq!(percentile(&v, 0), Some(1));
    }
}
