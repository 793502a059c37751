//! Round seeds, VRF inputs for each role, credentials (select / verify) and
//! proposer priorities.
//!
//! ```text
//! seed_0    = the genesis seed
//! block r   carries (β_r, π_r) = VRF(sk_proposer, seed_alpha(seed_{r−1}, r)),
//!           or nothing when round r ends with an empty block
//! seed_r    = round_seed(seed_{r−1}, β_r or None, r)
//! round r   runs its sortition (every role) on seed_{r−1}
//! ```

use crate::error::ConsensusError;
use crate::sortition::{self, sortition_from_output};
use crate::vrf::{self, VrfPublicKey, VrfSecretKey, OUTPUT_LEN, PROOF_LEN};
use blake2b_simd::Params;

/// BLAKE2b personalisation of [`round_seed`].
pub const TAG_SEED: &[u8; 16] = b"SERO_ConsSeed_v1";
/// BLAKE2b personalisation of [`proposer_priority`].
pub const TAG_PRIORITY: &[u8; 16] = b"SERO_ConsPrio_v1";
/// Prefix of the VRF input [`sortition_alpha`].
pub const ALPHA_SORTITION: &[u8; 16] = b"SERO_VrfSort_v01";
/// Prefix of the VRF input [`seed_alpha`].
pub const ALPHA_SEED: &[u8; 16] = b"SERO_VrfSeed_v01";

/// [`proposer_priority`] hashes at most this many sub-users (only reachable
/// when `τ ≥ W` makes every unit of stake a selected sub-user, as on a small
/// devnet); it bounds a verifier's work.
pub const MAX_PRIORITY_SUB_USERS: u64 = 1 << 12;

/// The role a credential is for. Each role has its own VRF input, so a
/// credential for one role or step says nothing about another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// Block proposal.
    Proposer,
    /// Committee vote in BA★ step `k` (reduction and binary BA steps).
    Committee(u32),
    /// The final-certification committee.
    Final,
}

impl Step {
    /// `(role byte, step number)` as encoded in [`sortition_alpha`]:
    /// proposer `(0, 0)`, committee step `k` `(1, k)`, final `(2, 0)`.
    pub fn code(self) -> (u8, u32) {
        match self {
            Step::Proposer => (0, 0),
            Step::Committee(k) => (1, k),
            Step::Final => (2, 0),
        }
    }
}

/// The stake-weighting parameters of one sortition: the validator's stake
/// `w`, the total stake `W` (both in the same units, `w ≤ W`) and the
/// expected number `τ` of selected sub-users for the role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SortitionParams {
    /// The validator's stake `w`.
    pub stake: u64,
    /// The total stake `W`.
    pub total: u64,
    /// The expected committee size `τ`.
    pub tau: u64,
}

impl SortitionParams {
    /// The number of selected sub-users for a VRF output.
    pub fn sub_users(&self, output: &[u8; OUTPUT_LEN]) -> Result<u64, ConsensusError> {
        sortition_from_output(output, self.stake, self.total, self.tau)
    }

    /// Checks the parameters without doing the sortition.
    pub fn validate(&self) -> Result<(), ConsensusError> {
        sortition::check_params(self.stake, self.total, self.tau)
    }
}

/// `BLAKE2b-256` with a 16-byte personalisation over the concatenated parts.
pub(crate) fn h256(tag: &[u8; 16], parts: &[&[u8]]) -> [u8; 32] {
    let mut state = Params::new().hash_length(32).personal(tag).to_state();
    for p in parts {
        state.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(state.finalize().as_bytes());
    out
}

/// The seed after the block of `round`:
/// `H256("SERO_ConsSeed_v1"; 0x01 ‖ prev_seed ‖ LE64(round) ‖ β)` when the
/// block carries the seed VRF output `β`, and
/// `H256("SERO_ConsSeed_v1"; 0x00 ‖ prev_seed ‖ LE64(round))` when the round
/// ended with an empty block (`None`).
pub fn round_seed(
    prev_seed: &[u8; 32],
    prev_block_vrf_output: Option<&[u8; OUTPUT_LEN]>,
    round: u64,
) -> [u8; 32] {
    let r = round.to_le_bytes();
    match prev_block_vrf_output {
        Some(beta) => h256(TAG_SEED, &[&[1], prev_seed, &r, beta]),
        None => h256(TAG_SEED, &[&[0], prev_seed, &r]),
    }
}

/// The VRF input whose output the proposer of `round` puts in its block:
/// `"SERO_VrfSeed_v01" ‖ prev_seed ‖ LE64(round)` (56 bytes).
pub fn seed_alpha(prev_seed: &[u8; 32], round: u64) -> Vec<u8> {
    let mut a = Vec::with_capacity(56);
    a.extend_from_slice(ALPHA_SEED);
    a.extend_from_slice(prev_seed);
    a.extend_from_slice(&round.to_le_bytes());
    a
}

/// The VRF input of a sortition:
/// `"SERO_VrfSort_v01" ‖ seed ‖ LE64(round) ‖ role ‖ LE32(step)` (61 bytes),
/// with `(role, step)` from [`Step::code`].
pub fn sortition_alpha(seed: &[u8; 32], round: u64, step: Step) -> Vec<u8> {
    let (role, k) = step.code();
    let mut a = Vec::with_capacity(61);
    a.extend_from_slice(ALPHA_SORTITION);
    a.extend_from_slice(seed);
    a.extend_from_slice(&round.to_le_bytes());
    a.push(role);
    a.extend_from_slice(&k.to_le_bytes());
    a
}

/// A sortition credential: `j ≥ 1` selected sub-users, the VRF output and
/// its proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Credential {
    /// The number of selected sub-users (votes, or proposal tickets).
    pub j: u64,
    /// The VRF output `β`.
    pub output: [u8; OUTPUT_LEN],
    /// The VRF proof `π`.
    pub proof: [u8; PROOF_LEN],
}

impl Credential {
    /// The proposer priority ([`proposer_priority`]) of this credential.
    pub fn priority(&self) -> [u8; 32] {
        proposer_priority(&self.output, self.j)
    }
}

/// Runs the sortition for `step` of `round` with the key `sk`: `None` when no
/// sub-user is selected. Errors only for invalid parameters.
pub fn select(
    sk: &VrfSecretKey,
    seed: &[u8; 32],
    round: u64,
    step: Step,
    params: &SortitionParams,
) -> Result<Option<Credential>, ConsensusError> {
    params.validate()?;
    let (output, proof) = vrf::prove(sk, &sortition_alpha(seed, round, step));
    let j = params.sub_users(&output)?;
    Ok((j > 0).then_some(Credential { j, output, proof }))
}

/// Verifies a credential's proof for `step` of `round` under `pk` and
/// recomputes its number of sub-users from the stake: the credential, with
/// `j ≥ 1`, or an error (invalid parameters, a malformed or invalid proof,
/// or [`ConsensusError::NotSelected`] when `j = 0`).
pub fn verify_selection(
    pk: &VrfPublicKey,
    seed: &[u8; 32],
    round: u64,
    step: Step,
    params: &SortitionParams,
    proof: &[u8; PROOF_LEN],
) -> Result<Credential, ConsensusError> {
    params.validate()?;
    let output = vrf::verify(pk, &sortition_alpha(seed, round, step), proof)?;
    match params.sub_users(&output)? {
        0 => Err(ConsensusError::NotSelected),
        j => Ok(Credential {
            j,
            output,
            proof: *proof,
        }),
    }
}

/// The priority of a proposer with VRF output `output` and `j` selected
/// sub-users: the minimum, as 32-byte big-endian strings, of
/// `H256("SERO_ConsPrio_v1"; output ‖ LE64(i))` for
/// `i = 1..=min(j, MAX_PRIORITY_SUB_USERS)`. The lowest priority wins.
/// `j = 0` (not selected) gives `[0xff; 32]`, above every real priority
/// but one with probability 2^−256.
pub fn proposer_priority(output: &[u8; OUTPUT_LEN], j: u64) -> [u8; 32] {
    (1..=j.min(MAX_PRIORITY_SUB_USERS))
        .map(|i| h256(TAG_PRIORITY, &[output, &i.to_le_bytes()]))
        .min()
        .unwrap_or([0xff; 32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_distinct_and_16_bytes() {
        let tags = [
            TAG_SEED,
            TAG_PRIORITY,
            ALPHA_SORTITION,
            ALPHA_SEED,
            crate::vrf::TAG_KEY_DERIVE,
        ];
        for (i, a) in tags.iter().enumerate() {
            for b in &tags[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn alpha_layout() {
        let a = sortition_alpha(&[9; 32], 0x0102, Step::Committee(7));
        assert_eq!(a.len(), 61);
        assert_eq!(&a[..16], ALPHA_SORTITION);
        assert_eq!(&a[16..48], &[9; 32]);
        assert_eq!(&a[48..56], &0x0102u64.to_le_bytes());
        assert_eq!(a[56], 1);
        assert_eq!(&a[57..], &7u32.to_le_bytes());
        assert_ne!(
            sortition_alpha(&[9; 32], 1, Step::Proposer),
            sortition_alpha(&[9; 32], 1, Step::Final)
        );
        assert_ne!(
            sortition_alpha(&[9; 32], 1, Step::Proposer),
            sortition_alpha(&[9; 32], 1, Step::Committee(0))
        );
        assert_eq!(seed_alpha(&[1; 32], 5).len(), 56);
    }

    #[test]
    fn seeds_chain() {
        let s0 = [0u8; 32];
        let beta = [5u8; 64];
        let with = round_seed(&s0, Some(&beta), 1);
        let without = round_seed(&s0, None, 1);
        assert_ne!(with, without);
        assert_ne!(round_seed(&s0, None, 2), without);
        assert_ne!(round_seed(&with, None, 1), without);
        assert_eq!(round_seed(&s0, Some(&beta), 1), with);
    }

    #[test]
    fn priority_is_min_over_sub_users() {
        let out = [3u8; 64];
        assert_eq!(proposer_priority(&out, 0), [0xff; 32]);
        let p1 = proposer_priority(&out, 1);
        let p5 = proposer_priority(&out, 5);
        assert!(p5 <= p1);
        let min = (1..=5u64)
            .map(|i| h256(TAG_PRIORITY, &[&out, &i.to_le_bytes()]))
            .min()
            .unwrap();
        assert_eq!(p5, min);
        // Capped: u64::MAX sub-users cost MAX_PRIORITY_SUB_USERS hashes.
        assert_eq!(
            proposer_priority(&out, u64::MAX),
            proposer_priority(&out, MAX_PRIORITY_SUB_USERS)
        );
    }
}
