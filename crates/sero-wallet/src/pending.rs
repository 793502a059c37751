//! The wallet's record of the transactions it sent and has not yet seen in
//! a block (issue 9, item 7): written durably **before** a transaction is
//! submitted, so that a node or connection dying mid-send never leaves the
//! user unsure whether they paid — the wallet knows the txid, rebroadcasts
//! the transaction until it is included or can no longer be (its notes
//! spent by something else, its anchor expired), and reports the true
//! status after a reconnect.
//!
//! Layout: one file per transaction, `<dir>/<txid hex>.tx`, holding the
//! transaction's encoding in hex; written to a temporary file, synced, then
//! renamed, so a crash leaves either no record or a whole one.

use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// A pending-store failure.
#[derive(Debug, Error)]
#[error("pending transactions in {dir}: {msg}")]
pub struct PendingError {
    pub dir: String,
    pub msg: String,
}

/// A recorded transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingTx {
    pub txid: [u8; 32],
    pub raw: Vec<u8>,
}

/// The directory of pending transactions.
pub struct PendingStore {
    dir: PathBuf,
}

impl PendingStore {
    /// Opens (creating) the store in `dir`.
    pub fn open(dir: &Path) -> Result<PendingStore, PendingError> {
        let s = PendingStore {
            dir: dir.to_path_buf(),
        };
        std::fs::create_dir_all(dir).map_err(|e| s.err(e))?;
        Ok(s)
    }

    fn err(&self, e: impl std::fmt::Display) -> PendingError {
        PendingError {
            dir: self.dir.display().to_string(),
            msg: e.to_string(),
        }
    }

    fn path(&self, txid: &[u8; 32]) -> PathBuf {
        self.dir.join(format!("{}.tx", hex::encode(txid)))
    }

    /// Durably records a transaction (returns once it is on disk).
    pub fn record(&self, tx: &PendingTx) -> Result<(), PendingError> {
        let tmp = self.dir.join(format!(".{}.tmp", hex::encode(tx.txid)));
        let mut f = std::fs::File::create(&tmp).map_err(|e| self.err(e))?;
        f.write_all(hex::encode(&tx.raw).as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(|e| self.err(e))?;
        std::fs::rename(&tmp, self.path(&tx.txid)).map_err(|e| self.err(e))?;
        if let Ok(d) = std::fs::File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Forgets a transaction (included, or no longer includable).
    pub fn remove(&self, txid: &[u8; 32]) -> Result<(), PendingError> {
        match std::fs::remove_file(self.path(txid)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.err(e)),
        }
    }

    /// Every recorded transaction, by txid. A damaged record is skipped
    /// with its name in the second list (never a panic).
    pub fn list(&self) -> Result<(Vec<PendingTx>, Vec<String>), PendingError> {
        let mut out = vec![];
        let mut bad = vec![];
        for e in std::fs::read_dir(&self.dir).map_err(|e| self.err(e))? {
            let e = e.map_err(|e| self.err(e))?;
            let name = e.file_name().to_string_lossy().to_string();
            let Some(stem) = name.strip_suffix(".tx") else {
                continue;
            };
            let parsed = hex::decode(stem)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .and_then(|txid| {
                    let text = std::fs::read_to_string(e.path()).ok()?;
                    let raw = hex::decode(text.trim()).ok()?;
                    Some(PendingTx { txid, raw })
                });
            match parsed {
                Some(p) => out.push(p),
                None => bad.push(name),
            }
        }
        out.sort_by_key(|p| p.txid);
        Ok((out, bad))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_survive_reopening_and_damage_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let s = PendingStore::open(dir.path()).unwrap();
        let a = PendingTx {
            txid: [1; 32],
            raw: vec![1, 2, 3],
        };
        let b = PendingTx {
            txid: [2; 32],
            raw: vec![9; 100],
        };
        s.record(&b).unwrap();
        s.record(&a).unwrap();
        let s = PendingStore::open(dir.path()).unwrap();
        assert_eq!(s.list().unwrap().0, vec![a.clone(), b.clone()]);
        s.remove(&a.txid).unwrap();
        s.remove(&a.txid).unwrap();
        assert_eq!(s.list().unwrap().0, vec![b]);
        std::fs::write(dir.path().join(format!("{}.tx", "ab".repeat(32))), "zz").unwrap();
        std::fs::write(dir.path().join("x.tx"), "00").unwrap();
        let (ok, bad) = s.list().unwrap();
        assert_eq!(ok.len(), 1);
        assert_eq!(bad.len(), 2);
    }
}
