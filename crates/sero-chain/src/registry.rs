//! The public stake registry's rules (`docs/protocol.md` §11).
//!
//! Validators lock SERO publicly: a transaction's [`StakeAction::Register`]
//! takes `amount` from its shielded inputs exactly like the fee and adds a
//! validator with weight `amount`; [`StakeAction::Unbond`] (only from the
//! registered refund PKr) removes the weight from the next block on; after
//! [`crate::ChainConfig::unbond_delay`] blocks the next proposed block pays
//! the locked amount back to the refund PKr as a coinbase plain output,
//! after the reward output. The registry lives in `sero-state` (table
//! `validators`); this module decides what a block may do to it.

use sero_assets::Asset;
use sero_crypto::hash::{hash512, tags};
use sero_crypto::Base;
use sero_keys::OneTimeAddress;
use sero_ledger::tx::{PlainOutput, StakeAction, Transaction};
use sero_state::ValidatorRecord;
use std::collections::BTreeMap;
use thiserror::Error;

/// Most stake refunds one block pays (the rest wait for the next blocks).
pub const MAX_REFUNDS_PER_BLOCK: usize = 8;

/// A validator as the consensus sees it: keys, weight and refund address.
/// Used for the genesis validators and for the active set at the tip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenesisValidator {
    /// ed25519 vote key (its identity in the registry).
    pub vote_key: [u8; 32],
    /// VRF public key.
    pub vrf_key: [u8; 32],
    /// Stake weight.
    pub stake: u64,
    /// Where the stake goes back after unbonding.
    pub refund: OneTimeAddress,
}

/// Why a stake action (or a genesis validator list) is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegistryError {
    #[error("stake {amount} is below the minimum {min}")]
    BelowMinimum { amount: u128, min: u64 },
    #[error("stake {amount} exceeds the largest weight (u64::MAX)")]
    TooLarge { amount: u128 },
    #[error("the total stake would exceed u64::MAX")]
    TotalOverflow,
    #[error("vote key {0} is already registered")]
    DuplicateVoteKey(String),
    #[error("vote key {0} is not registered")]
    UnknownValidator(String),
    #[error("only the refund address of validator {0} may unbond it")]
    NotRefundOwner(String),
    #[error("validator {0} is already unbonding")]
    AlreadyUnbonding(String),
    #[error("a second stake action for vote key {0} in one block")]
    TwoActions(String),
    #[error("genesis validator {0} has no stake")]
    ZeroStake(String),
    #[error("corrupt registry record for {0}")]
    Corrupt(String),
}

/// The memo hash of a stake refund:
/// `BLAKE2b-512("SERO_StakeRefund"; vote_key) mod p`.
pub fn refund_memo_hash(vote_key: &[u8; 32]) -> Base {
    use ark_ff::PrimeField;
    Base::from_le_bytes_mod_order(&hash512(tags::STAKE_REFUND_MEMO, &[vote_key]))
}

fn hex8(k: &[u8; 32]) -> String {
    hex::encode(&k[..8])
}

/// The registry at some height: every record by vote key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registry {
    records: BTreeMap<[u8; 32], ValidatorRecord>,
}

impl Registry {
    pub fn from_records(records: impl IntoIterator<Item = ([u8; 32], ValidatorRecord)>) -> Self {
        Registry {
            records: records.into_iter().collect(),
        }
    }

    pub fn get(&self, vote_key: &[u8; 32]) -> Option<&ValidatorRecord> {
        self.records.get(vote_key)
    }

    /// Every record (active, unbonding, released), by vote key.
    pub fn records(&self) -> impl Iterator<Item = (&[u8; 32], &ValidatorRecord)> {
        self.records.iter()
    }

    /// Whether `vote_key` is registered and not unbonding.
    pub fn is_active(&self, vote_key: &[u8; 32]) -> bool {
        self.get(vote_key).is_some_and(ValidatorRecord::is_active)
    }

    /// Sum of the active stakes (fits a u64 by the registration rule).
    pub fn total_stake(&self) -> u64 {
        self.records
            .values()
            .filter(|v| v.is_active())
            .fold(0u64, |a, v| a.saturating_add(v.stake))
    }

    /// The active validators, by vote key: the weights of the next round.
    pub fn validators(&self) -> Result<Vec<GenesisValidator>, RegistryError> {
        self.records
            .iter()
            .filter(|(_, v)| v.is_active())
            .map(|(k, v)| {
                Ok(GenesisValidator {
                    vote_key: *k,
                    vrf_key: v.vrf_key,
                    stake: v.stake,
                    refund: refund_pkr(k, v)?,
                })
            })
            .collect()
    }

    /// The active validators after block `height` (`height` at most this
    /// registry's): registered at or before it and not unbonding by then.
    /// Records are never removed and vote keys never reused, so the tip's
    /// registry holds every earlier set.
    pub fn validators_at(&self, height: u64) -> Result<Vec<GenesisValidator>, RegistryError> {
        self.records
            .iter()
            .filter(|(_, v)| v.registered_at <= height && v.unbond_at.is_none_or(|u| u > height))
            .map(|(k, v)| {
                Ok(GenesisValidator {
                    vote_key: *k,
                    vrf_key: v.vrf_key,
                    stake: v.stake,
                    refund: refund_pkr(k, v)?,
                })
            })
            .collect()
    }

    /// The header commitment to the active validators
    /// ([`sero_ledger::block::validators_hash`]): what the `validators_hash`
    /// of a block that leaves this registry must be.
    pub fn validators_hash(&self) -> [u8; 32] {
        let entries: Vec<_> = self
            .records
            .iter()
            .filter(|(_, v)| v.is_active())
            .map(|(k, v)| (*k, v.vrf_key, v.stake))
            .collect();
        sero_ledger::block::validators_hash(&entries)
    }

    /// The rules for `tx.stake` against this registry (the fee/amount
    /// balance and `amount ≤ u64::MAX` are stateless rules of the ledger,
    /// checked again here).
    pub fn check_action(&self, min_stake: u64, tx: &Transaction) -> Result<(), RegistryError> {
        match &tx.stake {
            None => Ok(()),
            Some(StakeAction::Register {
                vote_key, amount, ..
            }) => {
                if *amount < min_stake as u128 {
                    return Err(RegistryError::BelowMinimum {
                        amount: *amount,
                        min: min_stake,
                    });
                }
                let weight = u64::try_from(*amount)
                    .map_err(|_| RegistryError::TooLarge { amount: *amount })?;
                if self.records.contains_key(vote_key) {
                    return Err(RegistryError::DuplicateVoteKey(hex8(vote_key)));
                }
                self.total_stake()
                    .checked_add(weight)
                    .ok_or(RegistryError::TotalOverflow)?;
                Ok(())
            }
            Some(StakeAction::Unbond { vote_key }) => {
                let rec = self
                    .get(vote_key)
                    .ok_or_else(|| RegistryError::UnknownValidator(hex8(vote_key)))?;
                if rec.refund != tx.from.to_bytes() {
                    return Err(RegistryError::NotRefundOwner(hex8(vote_key)));
                }
                if !rec.is_active() {
                    return Err(RegistryError::AlreadyUnbonding(hex8(vote_key)));
                }
                Ok(())
            }
        }
    }

    /// Applies `tx.stake` (after [`check_action`](Self::check_action)) as
    /// part of the block at `height`; returns the key it wrote.
    pub fn apply_action(
        &mut self,
        min_stake: u64,
        height: u64,
        tx: &Transaction,
    ) -> Result<Option<[u8; 32]>, RegistryError> {
        self.check_action(min_stake, tx)?;
        Ok(match &tx.stake {
            None => None,
            Some(StakeAction::Register {
                vote_key,
                vrf_key,
                amount,
                ..
            }) => {
                self.records.insert(
                    *vote_key,
                    ValidatorRecord {
                        vrf_key: *vrf_key,
                        stake: *amount as u64,
                        refund: tx.from.to_bytes(),
                        registered_at: height,
                        unbond_at: None,
                        released: false,
                    },
                );
                Some(*vote_key)
            }
            Some(StakeAction::Unbond { vote_key }) => {
                let rec = self.records.get_mut(vote_key).expect("checked above");
                rec.unbond_at = Some(height);
                Some(*vote_key)
            }
        })
    }

    /// The refunds a proposed block at `height` must pay, in order: records
    /// unbonding since `u` with `height ≥ u + max(delay, 1)` and not yet
    /// released, ordered by `(u, vote_key)`, at most
    /// [`MAX_REFUNDS_PER_BLOCK`].
    pub fn due_refunds(
        &self,
        height: u64,
        unbond_delay: u64,
    ) -> Result<Vec<([u8; 32], PlainOutput)>, RegistryError> {
        let mut due: Vec<(u64, [u8; 32])> = self
            .records
            .iter()
            .filter_map(|(k, v)| match v.unbond_at {
                Some(u) if !v.released && height >= u.saturating_add(unbond_delay.max(1)) => {
                    Some((u, *k))
                }
                _ => None,
            })
            .collect();
        due.sort();
        due.truncate(MAX_REFUNDS_PER_BLOCK);
        due.into_iter()
            .map(|(_, k)| {
                let rec = &self.records[&k];
                Ok((
                    k,
                    PlainOutput {
                        pkr: refund_pkr(&k, rec)?,
                        asset: Asset::sero(rec.stake as u128),
                        memo_hash: refund_memo_hash(&k),
                    },
                ))
            })
            .collect()
    }

    /// Sets the record of `vote_key` (as a block's effects wrote it).
    pub fn insert(&mut self, vote_key: [u8; 32], record: ValidatorRecord) {
        self.records.insert(vote_key, record);
    }

    /// Marks `vote_key`'s refund as paid.
    pub fn release(&mut self, vote_key: &[u8; 32]) {
        if let Some(r) = self.records.get_mut(vote_key) {
            r.released = true;
        }
    }

    /// The registry of a genesis: `validators` strictly ascending by vote
    /// key, each with a non-zero stake, the total within u64.
    pub fn genesis(validators: &[GenesisValidator]) -> Result<Registry, RegistryError> {
        let mut reg = Registry::default();
        let mut total: u64 = 0;
        for v in validators {
            if v.stake == 0 {
                return Err(RegistryError::ZeroStake(hex8(&v.vote_key)));
            }
            total = total
                .checked_add(v.stake)
                .ok_or(RegistryError::TotalOverflow)?;
            if reg
                .records
                .last_key_value()
                .is_some_and(|(k, _)| *k >= v.vote_key)
            {
                return Err(RegistryError::DuplicateVoteKey(hex8(&v.vote_key)));
            }
            reg.records.insert(
                v.vote_key,
                ValidatorRecord {
                    vrf_key: v.vrf_key,
                    stake: v.stake,
                    refund: v.refund.to_bytes(),
                    registered_at: 0,
                    unbond_at: None,
                    released: false,
                },
            );
        }
        Ok(reg)
    }
}

fn refund_pkr(k: &[u8; 32], v: &ValidatorRecord) -> Result<OneTimeAddress, RegistryError> {
    OneTimeAddress::from_bytes(&v.refund).map_err(|_| RegistryError::Corrupt(hex8(k)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sero_crypto::Scalar;
    use sero_keys::{SecretKey, Seed};

    fn pkr() -> OneTimeAddress {
        SecretKey::from_seed(&Seed::from_bytes([3; 32]))
            .payment_address()
            .derive_pkr_with(&Scalar::from(5u64))
    }

    fn rec(stake: u64, unbond_at: Option<u64>, released: bool) -> ValidatorRecord {
        ValidatorRecord {
            vrf_key: [0; 32],
            stake,
            refund: pkr().to_bytes(),
            registered_at: 0,
            unbond_at,
            released,
        }
    }

    #[test]
    fn refunds_are_due_in_order_and_bounded() {
        let mut records = vec![];
        // Twelve unbonding at heights 10 − i%3 …, one released, one active,
        // one not yet due.
        for i in 0..12u8 {
            records.push((
                [i; 32],
                rec(100 + i as u64, Some(10 - (i % 3) as u64), false),
            ));
        }
        records.push(([20; 32], rec(1, Some(1), true)));
        records.push(([21; 32], rec(1, None, false)));
        records.push(([22; 32], rec(1, Some(12), false)));
        let reg = Registry::from_records(records);
        let due = reg.due_refunds(13, 3).unwrap();
        assert_eq!(due.len(), MAX_REFUNDS_PER_BLOCK);
        let keys: Vec<u8> = due.iter().map(|(k, _)| k[0]).collect();
        // unbond_at 8: keys 2, 5, 8, 11; then 9: 1, 4, 7, 10.
        assert_eq!(keys, vec![2, 5, 8, 11, 1, 4, 7, 10]);
        for (k, p) in &due {
            assert_eq!(p.asset, Asset::sero(100 + k[0] as u128));
            assert_eq!(p.pkr, pkr());
            assert_eq!(p.memo_hash, refund_memo_hash(k));
        }
        // Delay 0 counts as 1: not due in the block that unbonds.
        assert!(reg
            .due_refunds(12, 0)
            .unwrap()
            .iter()
            .all(|(k, _)| k[0] != 22));
        assert!(reg.due_refunds(13, 0).unwrap().len() == MAX_REFUNDS_PER_BLOCK);
        assert_eq!(reg.total_stake(), 1);
        assert_eq!(reg.validators().unwrap().len(), 1);
    }
}
