//! Committee sizes, thresholds and timeouts of BA★.

use crate::sortition::MAX_TAU;
use thiserror::Error;

/// An expected committee size at least as large as any total stake: every
/// validator is selected with weight equal to its stake (sortition's
/// `τ ≥ W` case), so committees are the whole validator set.
pub const FULL_COMMITTEE: u64 = u64::MAX;

/// Most doublings of the BA★ timeouts after consecutive empty rounds
/// ([`BaParams::backed_off`]): 16× (devnet: an 8-s proposal window and a
/// 16-s block wait).
pub const MAX_BACKOFF: u32 = 4;

/// The parameters of BA★ (Gilad et al., SOSP 2017, §7 and Fig. 4).
///
/// **Thresholds** are in permille and compared in integers: a value passes
/// a step when `weight · 1000 > t_permille · τ_eff`, with
/// `τ_eff = min(τ, W)` (`W` the total stake): when `τ ≥ W` every unit of
/// stake is a selected sub-user, so the committee's expected (and actual)
/// size is `W`, not `τ`.
///
/// **Timeouts** are in milliseconds of the host's clock:
/// * `lambda_proposal_ms` (`λ_priority + λ_stepvar` in the paper): how long
///   a node collects proposals before it picks the best one;
/// * `lambda_block_ms` (`λ_block`): how much longer it waits for the body
///   of the best proposal; reduction step 1 waits `λ_block + λ_step`;
/// * `lambda_step_ms` (`λ_step`): every later step, and the final count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct BaParams {
    /// Expected number of proposer sub-users (paper: 26).
    pub tau_proposer: u64,
    /// Expected committee size of reduction and binary steps (paper: 2000).
    pub tau_step: u64,
    /// Step threshold in permille of `τ_step` (paper: 0.685 → 685).
    pub t_step_permille: u64,
    /// Expected committee size of the final step (paper: 10000).
    pub tau_final: u64,
    /// Final threshold in permille of `τ_final` (paper: 0.74 → 740).
    pub t_final_permille: u64,
    /// Binary BA★ steps before a node gives up on the round (paper: 150).
    pub max_steps: u32,
    /// Wait for proposals (λ_priority + λ_stepvar).
    pub lambda_proposal_ms: u64,
    /// Extra wait for the best proposal's block (λ_block).
    pub lambda_block_ms: u64,
    /// Timeout of one voting step (λ_step).
    pub lambda_step_ms: u64,
}

/// Why a [`BaParams`] is unusable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParamsError {
    /// An expected committee size is 0, or above [`MAX_TAU`] without being
    /// [`FULL_COMMITTEE`] (sortition bounds a verifier's work).
    #[error("committee size {0} is neither in 1..={MAX_TAU} nor FULL_COMMITTEE")]
    Tau(u64),
    /// A threshold outside `500..1000` permille: two values could both
    /// pass a step, or none ever could.
    #[error("threshold {0} permille is not in 500..1000")]
    Threshold(u64),
    /// `max_steps` outside `3..=10000`.
    #[error("max_steps {0} is not in 3..=10000")]
    MaxSteps(u32),
    /// A timeout of 0 ms.
    #[error("timeouts must be positive")]
    Lambda,
}

impl BaParams {
    /// The paper's values (SOSP 2017, Fig. 4): τ_proposer 26, τ_step 2000,
    /// T_step 0.685, τ_final 10000, T_final 0.74, MaxSteps 150,
    /// λ_priority + λ_stepvar = 5 s + 5 s, λ_block 1 min, λ_step 20 s. They
    /// assume ≥ 80 % honest stake and a wide-area network.
    pub fn production() -> Self {
        BaParams {
            tau_proposer: 26,
            tau_step: 2000,
            t_step_permille: 685,
            tau_final: 10_000,
            t_final_permille: 740,
            max_steps: 150,
            lambda_proposal_ms: 10_000,
            lambda_block_ms: 60_000,
            lambda_step_ms: 20_000,
        }
    }

    /// The paper's committees with timeouts for a low-latency network
    /// (links up to ~100 ms one way, e.g. one region): λ_proposal 600 ms,
    /// λ_block 1 s, λ_step 600 ms. Each timeout covers several one-way
    /// delays plus jitter; the happy path does not wait for step timeouts
    /// (a step ends as soon as a value passes), so finality is about
    /// `λ_proposal` + 4 one-way delays.
    pub fn production_lan() -> Self {
        BaParams {
            lambda_proposal_ms: 600,
            lambda_block_ms: 1_000,
            lambda_step_ms: 600,
            ..Self::production()
        }
    }

    /// A development network of a handful of validators: every committee
    /// is the whole validator set ([`FULL_COMMITTEE`], each vote weighs the
    /// voter's stake), proposers are still drawn (τ_proposer 26), and both
    /// thresholds are 667 ‰ — strictly more than 2/3 of the stake. With
    /// committees that are not sampled the classic BFT bound applies: any
    /// two quorums overlap in more than 1/3 of the stake, so safety holds
    /// while Byzantine validators hold less than 33.3 % (the paper's 68.5 %
    /// and 74 % are margins for sampling noise and 20 % adversaries; 74 %
    /// would let 30 % silent validators stop finality). Timeouts suit
    /// loopback or a LAN.
    pub fn devnet() -> Self {
        BaParams {
            tau_proposer: 26,
            tau_step: FULL_COMMITTEE,
            t_step_permille: 667,
            tau_final: FULL_COMMITTEE,
            t_final_permille: 667,
            max_steps: 150,
            lambda_proposal_ms: 500,
            lambda_block_ms: 1_000,
            lambda_step_ms: 500,
        }
    }

    /// Checks the ranges documented on [`ParamsError`].
    pub fn validate(&self) -> Result<(), ParamsError> {
        for tau in [self.tau_proposer, self.tau_step, self.tau_final] {
            if tau == 0 || (tau > MAX_TAU && tau != FULL_COMMITTEE) {
                return Err(ParamsError::Tau(tau));
            }
        }
        for t in [self.t_step_permille, self.t_final_permille] {
            if !(500..1000).contains(&t) {
                return Err(ParamsError::Threshold(t));
            }
        }
        if !(3..=10_000).contains(&self.max_steps) {
            return Err(ParamsError::MaxSteps(self.max_steps));
        }
        if self.lambda_proposal_ms == 0 || self.lambda_block_ms == 0 || self.lambda_step_ms == 0 {
            return Err(ParamsError::Lambda);
        }
        Ok(())
    }

    /// Whether `weight` passes a threshold of `t_permille` of the committee
    /// `tau` out of total stake `total`: `weight·1000 > t·min(τ, W)`.
    pub fn passes(weight: u64, t_permille: u64, tau: u64, total: u64) -> bool {
        u128::from(weight) * 1000 > u128::from(t_permille) * u128::from(tau.min(total))
    }

    /// A step (reduction or binary) quorum.
    pub fn step_quorum(&self, weight: u64, total: u64) -> bool {
        Self::passes(weight, self.t_step_permille, self.tau_step, total)
    }

    /// A final-step quorum.
    pub fn final_quorum(&self, weight: u64, total: u64) -> bool {
        Self::passes(weight, self.t_final_permille, self.tau_final, total)
    }

    /// `λ_recovery`: how long a node whose BA★ passed `max_steps` without a
    /// decision waits before it starts the next recovery period (Algorand
    /// §8.2): a fresh proposal window, block wait, two reduction steps and
    /// six binary steps, `λ_proposal + λ_block + 8·λ_step` — long enough
    /// for the other nodes to halt too, short enough that the network
    /// retries often once a partition heals. Derived, so genesis files
    /// need no new field.
    pub fn lambda_recovery_ms(&self) -> u64 {
        self.lambda_proposal_ms
            .saturating_add(self.lambda_block_ms)
            .saturating_add(self.lambda_step_ms.saturating_mul(8))
    }

    /// These parameters with the three timeouts doubled `k` times (at most
    /// [`MAX_BACKOFF`]); thresholds and committees unchanged. A node uses it
    /// for a round after `k` consecutive rounds that ended with the empty
    /// block, as Tendermint lengthens its timeouts round after round: a
    /// proposal that takes longer to fetch and validate than `λ_proposal +
    /// λ_block` (a large block on a slow or loaded machine) would otherwise
    /// be voted down again every round, forever. Timeouts are local (no
    /// message carries them), so safety does not depend on them; every
    /// honest node sees the same empty blocks and backs off alike.
    pub fn backed_off(&self, k: u32) -> Self {
        let f = 1u64 << k.min(MAX_BACKOFF);
        BaParams {
            lambda_proposal_ms: self.lambda_proposal_ms.saturating_mul(f),
            lambda_block_ms: self.lambda_block_ms.saturating_mul(f),
            lambda_step_ms: self.lambda_step_ms.saturating_mul(f),
            ..*self
        }
    }

    /// Transactions a proposer puts in its block after `k` consecutive
    /// empty rounds: `max_txs` halved `min(k, MAX_BACKOFF)` times, at least
    /// one (none if `max_txs` is 0), so that a proposal too costly to
    /// validate within the round's timeouts shrinks while
    /// [`backed_off`](Self::backed_off) lengthens them.
    pub fn backed_off_txs(max_txs: usize, k: u32) -> usize {
        match max_txs {
            0 => 0,
            n => (n >> k.min(MAX_BACKOFF)).max(1),
        }
    }

    /// The weight at a later step that makes a lagging node skip ahead:
    /// more than `(1000 − T_step)` ‰ of the committee, which the
    /// adversary's stake alone cannot reach, so honest nodes are there.
    pub fn step_presence(&self, weight: u64, total: u64) -> bool {
        Self::passes(weight, 1000 - self.t_step_permille, self.tau_step, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_validate() {
        BaParams::production().validate().unwrap();
        BaParams::production_lan().validate().unwrap();
        BaParams::devnet().validate().unwrap();
        let p = BaParams::production();
        assert_eq!(
            (p.tau_proposer, p.tau_step, p.t_step_permille, p.tau_final),
            (26, 2000, 685, 10_000)
        );
        assert_eq!((p.t_final_permille, p.max_steps), (740, 150));
    }

    #[test]
    fn backing_off_doubles_the_timeouts_only() {
        let p = BaParams::devnet();
        assert_eq!(p.backed_off(0), p);
        let b = p.backed_off(2);
        assert_eq!(
            (b.lambda_proposal_ms, b.lambda_block_ms, b.lambda_step_ms),
            (2_000, 4_000, 2_000)
        );
        assert_eq!(
            (b.tau_proposer, b.tau_step, b.t_step_permille, b.tau_final),
            (p.tau_proposer, p.tau_step, p.t_step_permille, p.tau_final)
        );
        assert_eq!(
            (b.t_final_permille, b.max_steps),
            (p.t_final_permille, p.max_steps)
        );
        assert_eq!(p.backed_off(MAX_BACKOFF), p.backed_off(1000));
        assert_eq!(p.backed_off(MAX_BACKOFF).lambda_block_ms, 16_000);
        b.validate().unwrap();
    }

    #[test]
    fn backing_off_halves_proposals_down_to_one() {
        assert_eq!(BaParams::backed_off_txs(500, 0), 500);
        assert_eq!(BaParams::backed_off_txs(500, 1), 250);
        assert_eq!(BaParams::backed_off_txs(500, MAX_BACKOFF), 31);
        assert_eq!(BaParams::backed_off_txs(500, 1000), 31);
        assert_eq!(BaParams::backed_off_txs(3, 3), 1);
        assert_eq!(BaParams::backed_off_txs(0, 2), 0);
    }

    #[test]
    fn validation_rejects() {
        let ok = BaParams::devnet();
        let bad = [
            BaParams { tau_step: 0, ..ok },
            BaParams {
                tau_final: MAX_TAU + 1,
                ..ok
            },
            BaParams {
                t_step_permille: 500 - 1,
                ..ok
            },
            BaParams {
                t_final_permille: 1000,
                ..ok
            },
            BaParams { max_steps: 2, ..ok },
            BaParams {
                lambda_step_ms: 0,
                ..ok
            },
        ];
        for b in bad {
            assert!(b.validate().is_err(), "{b:?}");
        }
    }

    #[test]
    fn thresholds_are_strict_integers() {
        // 4 validators of 1: 3 of 4 pass 667 ‰, 2 of 4 do not.
        let p = BaParams::devnet();
        assert!(p.step_quorum(3, 4));
        assert!(!p.step_quorum(2, 4));
        // Exactly 685 of 1000 does not pass 685 ‰; 686 does.
        assert!(!BaParams::passes(685, 685, 1000, 5000));
        assert!(BaParams::passes(686, 685, 1000, 5000));
        // τ above W: W is the committee.
        assert!(BaParams::passes(7, 685, FULL_COMMITTEE, 10));
        assert!(!BaParams::passes(6, 685, FULL_COMMITTEE, 10));
        // Presence: more than 333 ‰.
        assert!(p.step_presence(2, 4));
        assert!(!p.step_presence(1, 4));
    }
}
