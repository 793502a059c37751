//! The validator set and the context of one round.

use super::keys::VotePublicKey;
use crate::vrf::VrfPublicKey;
use std::sync::Arc;
use thiserror::Error;

/// A validator: its vote key, VRF key and stake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Validator {
    /// Signs votes and proposals.
    pub vote_key: VotePublicKey,
    /// Checks its sortition credentials.
    pub vrf_key: VrfPublicKey,
    /// Its stake (weight), ≥ 1.
    pub stake: u64,
}

/// Why a list of validators is not a valid set.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValidatorSetError {
    /// No validators.
    #[error("the validator set is empty")]
    Empty,
    /// A validator with stake 0.
    #[error("validator {0:?} has zero stake")]
    ZeroStake(VotePublicKey),
    /// Two validators with the same vote key.
    #[error("duplicate vote key {0:?}")]
    DuplicateVoteKey(VotePublicKey),
    /// Two validators with the same VRF key (its encoding).
    #[error("duplicate VRF key {}", hex::encode(.0))]
    DuplicateVrfKey([u8; 32]),
    /// The stakes add up to more than `u64::MAX`.
    #[error("total stake overflows")]
    Overflow,
}

/// A non-empty set of validators ordered by vote key, with distinct vote
/// and VRF keys and positive stakes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorSet {
    validators: Vec<Validator>,
    total: u64,
}

impl ValidatorSet {
    /// Sorts and checks `validators`.
    pub fn new(mut validators: Vec<Validator>) -> Result<Self, ValidatorSetError> {
        if validators.is_empty() {
            return Err(ValidatorSetError::Empty);
        }
        validators.sort_by_key(|v| v.vote_key);
        let mut total = 0u64;
        let mut vrf_keys = std::collections::HashSet::new();
        for (i, v) in validators.iter().enumerate() {
            if v.stake == 0 {
                return Err(ValidatorSetError::ZeroStake(v.vote_key));
            }
            if i > 0 && validators[i - 1].vote_key == v.vote_key {
                return Err(ValidatorSetError::DuplicateVoteKey(v.vote_key));
            }
            if !vrf_keys.insert(v.vrf_key.to_bytes()) {
                return Err(ValidatorSetError::DuplicateVrfKey(v.vrf_key.to_bytes()));
            }
            total = total
                .checked_add(v.stake)
                .ok_or(ValidatorSetError::Overflow)?;
        }
        Ok(ValidatorSet { validators, total })
    }

    /// The total stake `W`.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The validator with this vote key.
    pub fn get(&self, key: &VotePublicKey) -> Option<&Validator> {
        self.validators
            .binary_search_by(|v| v.vote_key.cmp(key))
            .ok()
            .map(|i| &self.validators[i])
    }

    /// The validators, ordered by vote key.
    pub fn iter(&self) -> impl Iterator<Item = &Validator> {
        self.validators.iter()
    }

    /// The number of validators.
    pub fn len(&self) -> usize {
        self.validators.len()
    }

    /// Always false (a set is never empty); for clippy's `len` convention.
    pub fn is_empty(&self) -> bool {
        self.validators.is_empty()
    }
}

/// What a node knows about the round it runs BA★ for. The host builds it
/// from its chain: two contexts with the same `round` and `prev_hash` must
/// be equal (the seed, the empty block and the validators follow from the
/// chain up to `prev_hash`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundContext {
    /// The round (block height) being agreed on.
    pub round: u64,
    /// The hash of the previous block (the chain this round extends).
    pub prev_hash: [u8; 32],
    /// The sortition seed of this round.
    pub seed: [u8; 32],
    /// The hash of this round's deterministic empty block (computed by the
    /// host): the value BA★ falls back to.
    pub empty_hash: [u8; 32],
    /// The validators and their stakes for this round.
    pub validators: Arc<ValidatorSet>,
}

#[cfg(test)]
mod tests {
    use super::super::ValidatorKeys;
    use super::*;

    fn v(seed: u8, stake: u64) -> Validator {
        ValidatorKeys::from_seed(&[seed; 32]).validator(stake)
    }

    #[test]
    fn set_rules() {
        let set = ValidatorSet::new(vec![v(1, 5), v(2, 7), v(3, 1)]).unwrap();
        assert_eq!(set.total(), 13);
        assert_eq!(set.len(), 3);
        let keys: Vec<_> = set.iter().map(|v| v.vote_key).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert_eq!(set.get(&v(2, 0).vote_key).unwrap().stake, 7);
        assert!(set.get(&v(4, 0).vote_key).is_none());
        assert_eq!(ValidatorSet::new(vec![]), Err(ValidatorSetError::Empty));
        assert!(matches!(
            ValidatorSet::new(vec![v(1, 5), v(1, 6)]),
            Err(ValidatorSetError::DuplicateVoteKey(_))
        ));
        assert!(matches!(
            ValidatorSet::new(vec![v(1, 0)]),
            Err(ValidatorSetError::ZeroStake(_))
        ));
        let mut dup_vrf = v(2, 1);
        dup_vrf.vrf_key = v(1, 1).vrf_key;
        assert!(matches!(
            ValidatorSet::new(vec![v(1, 5), dup_vrf]),
            Err(ValidatorSetError::DuplicateVrfKey(_))
        ));
        assert_eq!(
            ValidatorSet::new(vec![v(1, u64::MAX), v(2, 1)]),
            Err(ValidatorSetError::Overflow)
        );
    }
}
