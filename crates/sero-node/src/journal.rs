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
