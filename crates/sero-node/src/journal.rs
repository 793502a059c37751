//! The vote journal: every vote and proposal this validator signs is written
//! durably (one redb commit, fsync) **before** it is sent. After a crash the
//! node reloads the round's entries and hands them to the agreement as
//! `prior_votes`, which re-sends the same votes instead of signing new ones,
//! so a restart can never make the validator equivocate.
//!
//! Key `LE64(round) ‖ LE64(sequence)` → the vote's encoding. Rounds more
//! than [`KEEP_ROUNDS`] below the current one are pruned.

use redb::{Database, ReadableTable, TableDefinition};
use sero_consensus::ba::Vote;
use std::path::Path;
use thiserror::Error;

const VOTES: TableDefinition<'static, (u64, u64), &'static [u8]> =
    TableDefinition::new("own_votes");

/// Rounds kept below the current one.
pub const KEEP_ROUNDS: u64 = 16;

/// A journal failure (the vote is then not sent).
#[derive(Debug, Error)]
#[error("vote journal: {0}")]
pub struct JournalError(String);

fn je(e: impl std::fmt::Display) -> JournalError {
    JournalError(e.to_string())
}

/// The durable record of this validator's own votes.
pub struct VoteJournal {
    db: Database,
}

impl VoteJournal {
    pub fn open(path: &Path) -> Result<VoteJournal, JournalError> {
        let db = Database::create(path).map_err(je)?;
        let w = db.begin_write().map_err(je)?;
        w.open_table(VOTES).map_err(je)?;
        w.commit().map_err(je)?;
        Ok(VoteJournal { db })
    }

    /// Durably records `vote` (returns once it is on disk).
    pub fn record(&self, vote: &Vote) -> Result<(), JournalError> {
        let w = self.db.begin_write().map_err(je)?;
        {
            let mut t = w.open_table(VOTES).map_err(je)?;
            let next = t
                .range((vote.round, 0)..=(vote.round, u64::MAX))
                .map_err(je)?
                .next_back()
                .transpose()
                .map_err(je)?
                .map(|(k, _)| k.value().1 + 1)
                .unwrap_or(0);
            t.insert((vote.round, next), vote.to_bytes().as_slice())
                .map_err(je)?;
        }
        w.commit().map_err(je)
    }

    /// The votes recorded for `round`, in signing order.
    pub fn votes(&self, round: u64) -> Result<Vec<Vote>, JournalError> {
        let r = self.db.begin_read().map_err(je)?;
        let t = r.open_table(VOTES).map_err(je)?;
        let mut out = vec![];
        for e in t.range((round, 0)..=(round, u64::MAX)).map_err(je)? {
            let (_, v) = e.map_err(je)?;
            out.push(Vote::from_bytes(v.value()).map_err(je)?);
        }
        Ok(out)
    }

    /// Drops rounds below `round − KEEP_ROUNDS`.
    pub fn prune(&self, round: u64) -> Result<(), JournalError> {
        let below = round.saturating_sub(KEEP_ROUNDS);
        if below == 0 {
            return Ok(());
        }
        let w = self.db.begin_write().map_err(je)?;
        {
            let mut t = w.open_table(VOTES).map_err(je)?;
            t.retain_in((0, 0)..(below, 0), |_, _| false).map_err(je)?;
        }
        w.commit().map_err(je)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sero_consensus::ba::{ValidatorKeys, VoteStep};

    fn vote(round: u64, step: VoteStep, value: u8) -> Vote {
        let k = ValidatorKeys::from_seed(&[3; 32]);
        let mut v = Vote {
            round,
            step,
            prev_hash: [1; 32],
            value: [value; 32],
            voter: k.vote.public_key(),
            credential: [0; 80],
            signature: [0; 64],
        };
        v.sign(&k.vote);
        v
    }

    #[test]
    fn votes_survive_reopening_in_order_and_old_rounds_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("votes.redb");
        let a = vote(5, VoteStep::Reduction1, 1);
        let b = vote(5, VoteStep::Reduction2, 2);
        let c = vote(6, VoteStep::Final, 3);
        {
            let j = VoteJournal::open(&path).unwrap();
            for v in [&a, &b, &c] {
                j.record(v).unwrap();
            }
        }
        // A restart (the database is reopened) sees the same votes.
        let j = VoteJournal::open(&path).unwrap();
        assert_eq!(j.votes(5).unwrap(), vec![a, b]);
        assert_eq!(j.votes(6).unwrap(), vec![c.clone()]);
        assert!(j.votes(7).unwrap().is_empty());
        j.prune(5 + KEEP_ROUNDS + 1).unwrap();
        assert!(j.votes(5).unwrap().is_empty());
        assert_eq!(j.votes(6).unwrap(), vec![c]);
    }

    #[test]
    fn a_corrupt_journal_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("votes.redb");
        std::fs::write(&path, b"not a database").unwrap();
        assert!(VoteJournal::open(&path).is_err());
    }
}
