//! The vote journal: every vote and proposal this validator signs is written
//! durably (one redb commit, fsync) **before** it is sent. After a crash the
//! node reloads the round's entries and hands them to the agreement as
//! `prior_votes`, which re-sends the same votes instead of signing new ones,
//! so a restart can never make the validator equivocate.
//!
//! Key `LE64(round) ‖ LE64(sequence)` → the vote's encoding. The block a
//! validator proposes is journaled the same way (one per round), so after a
//! restart it proposes the same block again rather than a second one.
//! Rounds more than [`KEEP_ROUNDS`] below the current one are pruned.

use redb::{Database, ReadableTable, TableDefinition};
use sero_consensus::ba::Vote;
use std::path::Path;
use thiserror::Error;

const VOTES: TableDefinition<'static, (u64, u64), &'static [u8]> =
    TableDefinition::new("own_votes");
/// round → LE32(header length) ‖ header ‖ body of the block we proposed.
const PROPOSALS: TableDefinition<'static, u64, &'static [u8]> =
    TableDefinition::new("own_proposals");

/// A journaled proposal: `(header, body)` encodings.
pub type ProposedBlock = (Vec<u8>, Vec<u8>);

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
        w.open_table(PROPOSALS).map_err(je)?;
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

    /// Durably records the block proposed in `round` (before it is sent).
    pub fn record_proposal(
        &self,
        round: u64,
        header: &[u8],
        body: &[u8],
    ) -> Result<(), JournalError> {
        let mut v = Vec::with_capacity(4 + header.len() + body.len());
        v.extend_from_slice(&(header.len() as u32).to_le_bytes());
        v.extend_from_slice(header);
        v.extend_from_slice(body);
        let w = self.db.begin_write().map_err(je)?;
        {
            let mut t = w.open_table(PROPOSALS).map_err(je)?;
            t.insert(round, v.as_slice()).map_err(je)?;
        }
        w.commit().map_err(je)
    }

    /// The `(header, body)` proposed in `round`, if any.
    pub fn proposal(&self, round: u64) -> Result<Option<ProposedBlock>, JournalError> {
        let r = self.db.begin_read().map_err(je)?;
        let t = r.open_table(PROPOSALS).map_err(je)?;
        let Some(v) = t.get(round).map_err(je)? else {
            return Ok(None);
        };
        let v = v.value();
        let n = v
            .get(..4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4")) as usize)
            .ok_or_else(|| JournalError("truncated proposal".into()))?;
        let header = v
            .get(4..4 + n)
            .ok_or_else(|| JournalError("truncated proposal".into()))?;
        Ok(Some((header.to_vec(), v[4 + n..].to_vec())))
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
            let mut p = w.open_table(PROPOSALS).map_err(je)?;
            p.retain_in(0..below, |_, _| false).map_err(je)?;
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
            period: 0,
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
    fn the_proposed_block_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("votes.redb");
        {
            let j = VoteJournal::open(&path).unwrap();
            j.record_proposal(9, b"header", b"body bytes").unwrap();
        }
        let j = VoteJournal::open(&path).unwrap();
        assert_eq!(
            j.proposal(9).unwrap(),
            Some((b"header".to_vec(), b"body bytes".to_vec()))
        );
        assert_eq!(j.proposal(10).unwrap(), None);
        j.prune(9 + KEEP_ROUNDS + 1).unwrap();
        assert_eq!(j.proposal(9).unwrap(), None);
    }

    #[test]
    fn a_corrupt_journal_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("votes.redb");
        std::fs::write(&path, b"not a database").unwrap();
        assert!(VoteJournal::open(&path).is_err());
    }
}
