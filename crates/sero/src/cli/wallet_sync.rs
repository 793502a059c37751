//! The wallet's local sync state: what a scan learned, kept between
//! commands so the next one downloads only the blocks after it
//! (`docs/protocol.md` §18.3).
//!
//! Per trace key, one file `<wallet dir>/sync/<id>.json` (`id` = the first
//! 16 bytes of `BLAKE2b-256("SERO_WalletSync1", TK)`, hex): the last synced
//! height and block hash, the note tree's frontier, and each note of the
//! key with its output record, its Merkle path (kept current as the tree
//! grows, [`sero_tree::Frontier::append_tracking`]), its trace tag and its
//! spend once seen. Blocks come from `sero_getCompactBlocks` (the same
//! reply for every asker of a range); each block's note root is checked
//! against the frontier after its outputs, so a node that sends wrong or
//! missing outputs is caught. The file is written after every batch
//! (temporary file, fsync, rename), so an interrupted sync resumes where
//! it stopped. If the block at the saved height is no longer the one
//! saved (a reorganisation), the state is dropped and the scan starts over.

use crate::output::CliError;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use sero_crypto::curve::{base_from_canonical, encode_base};
use sero_keys::TraceKey;
use sero_node::scan::{find_notes, OutputRecord};
use sero_rpc::SeroApiClient;
use sero_tree::{cm_auth, Frontier, MerklePath};
use sero_zk::note::{trace_tag, Note};
use std::path::{Path, PathBuf};

use super::wallet::Client;

/// Version of the file layout.
const VERSION: u32 = 1;

fn fail(e: impl std::fmt::Display) -> CliError {
    CliError::Failed(e.to_string())
}

/// A spend of one of the wallet's notes.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct SeenSpend {
    pub height: u64,
    pub txid: String,
    /// The nullifier, hex.
    pub nil: String,
}

/// A note of the wallet, as stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct StoredNote {
    pos: u64,
    /// The output record, hex.
    record: String,
    /// The Merkle path against the root at `height`, hex (1,028 bytes).
    path: String,
    /// The trace tag, hex.
    til: String,
    spent: Option<SeenSpend>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct File {
    version: u32,
    /// Last synced height (`None`: nothing yet).
    height: Option<u64>,
    /// Hash of the block at `height`, hex.
    hash: String,
    /// `Frontier::to_bytes`, hex.
    frontier: String,
    notes: Vec<StoredNote>,
}

/// A note of the wallet with what spending it needs.
pub(crate) struct SyncedNote {
    pub pos: u64,
    pub note: Note,
    pub record: OutputRecord,
    pub path: MerklePath,
    pub spent: Option<SeenSpend>,
}

/// The wallet's view after a sync.
pub(crate) struct SyncState {
    height: Option<u64>,
    hash: [u8; 32],
    frontier: Frontier,
    pub notes: Vec<SyncedNote>,
    /// The trace tag of each note, in the order of `notes`.
    pub tils: Vec<[u8; 32]>,
}

/// What a sync downloaded (for reports and tests).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SyncStats {
    pub blocks: u64,
    pub outputs: u64,
}

impl SyncState {
    /// A state synced to `height` (block `hash`) whose tree had
    /// `frontier`, holding no note yet (the history benchmark resumes one).
    pub(crate) fn resume(height: u64, hash: [u8; 32], frontier: Frontier) -> Self {
        SyncState {
            height: Some(height),
            hash,
            frontier,
            notes: vec![],
            tils: vec![],
        }
    }

    pub(crate) fn empty() -> Self {
        SyncState {
            height: None,
            hash: [0; 32],
            frontier: Frontier::new(),
            notes: vec![],
            tils: vec![],
        }
    }

    /// The file of `tk` under `dir`.
    pub(crate) fn path(dir: &Path, tk: &TraceKey) -> PathBuf {
        let id = sero_crypto::hash::hash256(b"SERO_WalletSync1", &[&tk.to_bytes()]);
        dir.join(format!("{}.json", hex::encode(&id[..16])))
    }

    /// Loads the state of `tk` from `file` (a fresh one if absent).
    fn load(file: &Path, tk: &TraceKey) -> Result<Self, CliError> {
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::empty()),
            Err(e) => return Err(fail(format!("reading {}: {e}", file.display()))),
        };
        let bad = |what: &str| fail(format!("{}: {what}; delete it to rescan", file.display()));
        let f: File = serde_json::from_slice(&bytes).map_err(|e| bad(&e.to_string()))?;
        if f.version != VERSION {
            return Err(bad(&format!("unknown version {}", f.version)));
        }
        let frontier =
            Frontier::from_bytes(&hex::decode(&f.frontier).map_err(|_| bad("frontier"))?)
                .map_err(|e| bad(&e.to_string()))?;
        let hash = hex32(&f.hash).ok_or_else(|| bad("hash"))?;
        let mut st = SyncState {
            height: f.height,
            hash,
            frontier,
            notes: vec![],
            tils: vec![],
        };
        for n in f.notes {
            let record = hex::decode(&n.record)
                .ok()
                .and_then(|b| OutputRecord::from_bytes(&b))
                .ok_or_else(|| bad("note record"))?;
            let path = hex::decode(&n.path)
                .ok()
                .and_then(|b| MerklePath::from_bytes(&b).ok())
                .ok_or_else(|| bad("note path"))?;
            let (_, note) = find_notes(tk, &[(n.pos, record.clone())])
                .pop()
                .ok_or_else(|| bad("a note that is not this key's"))?;
            st.tils.push(hex32(&n.til).ok_or_else(|| bad("trace tag"))?);
            st.notes.push(SyncedNote {
                pos: n.pos,
                note,
                record,
                path,
                spent: n.spent,
            });
        }
        Ok(st)
    }

    /// Writes the state to `file` atomically and durably.
    fn save(&self, file: &Path) -> Result<(), CliError> {
        let f = File {
            version: VERSION,
            height: self.height,
            hash: hex::encode(self.hash),
            frontier: hex::encode(self.frontier.to_bytes()),
            notes: self
                .notes
                .iter()
                .zip(&self.tils)
                .map(|(n, til)| {
                    Ok(StoredNote {
                        pos: n.pos,
                        record: hex::encode(n.record.to_bytes()),
                        path: hex::encode(n.path.to_bytes().map_err(fail)?),
                        til: hex::encode(til),
                        spent: n.spent.clone(),
                    })
                })
                .collect::<Result<_, CliError>>()?,
        };
        let dir = file.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| fail(format!("{}: {e}", dir.display())))?;
        let tmp = file.with_extension("json.tmp");
        let io = |e: std::io::Error| fail(format!("writing {}: {e}", file.display()));
        {
            use std::io::Write;
            let mut w = std::fs::File::create(&tmp).map_err(io)?;
            w.write_all(&serde_json::to_vec(&f).map_err(fail)?)
                .map_err(io)?;
            w.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, file).map_err(io)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Applies one compact block: its outputs (finding ours, keeping our
    /// paths current, checking the note root) then its spends.
    pub(crate) fn apply(
        &mut self,
        tk: &TraceKey,
        b: &sero_rpc::CompactBlock,
    ) -> Result<(), CliError> {
        let expected = self.height.map_or(0, |h| h + 1);
        if b.height != expected || b.start != self.frontier.len() {
            return Err(fail(format!(
                "node sent block {} starting at leaf {}, expected block {expected} at leaf {}",
                b.height,
                b.start,
                self.frontier.len()
            )));
        }
        let mut records = Vec::with_capacity(b.outputs.len());
        let mut leaves = Vec::with_capacity(b.outputs.len());
        for (i, hex_record) in b.outputs.iter().enumerate() {
            let pos = b.start + i as u64;
            let r = hex::decode(hex_record)
                .ok()
                .and_then(|bytes| OutputRecord::from_bytes(&bytes))
                .ok_or_else(|| fail("node sent a malformed output record"))?;
            leaves.push(cm_auth(pos, r.cm_out()));
            records.push((pos, r));
        }
        let found = find_notes(tk, &records);
        let marks: Vec<u64> = found.iter().map(|(p, _)| *p).collect();
        let mut paths: Vec<MerklePath> = self.notes.iter().map(|n| n.path).collect();
        let new_paths = self
            .frontier
            .append_tracking(&leaves, &mut paths, &marks)
            .map_err(fail)?;
        let root = hex32(&b.note_root)
            .and_then(|r| base_from_canonical(&r).ok())
            .ok_or_else(|| fail("node sent a malformed note root"))?;
        if self.frontier.root() != root {
            return Err(fail(format!(
                "block {}: the outputs the node sent do not give the block's note root",
                b.height
            )));
        }
        for (n, p) in self.notes.iter_mut().zip(paths) {
            n.path = p;
        }
        for ((pos, note), path) in found.into_iter().zip(new_paths) {
            let record = records[(pos - b.start) as usize].1.clone();
            let leaf = cm_auth(pos, note.cm_out().map_err(fail)?);
            self.tils.push(encode_base(&trace_tag(&tk.vsk(), leaf)));
            self.notes.push(SyncedNote {
                pos,
                note,
                record,
                path,
                spent: None,
            });
        }
        for s in &b.spends {
            let Some(til) = hex32(&s.til) else {
                return Err(fail("node sent a malformed trace tag"));
            };
            if let Some(i) = self.tils.iter().position(|t| *t == til) {
                self.notes[i].spent = Some(SeenSpend {
                    height: b.height,
                    txid: s.txid.clone(),
                    nil: s.nil.clone(),
                });
            }
        }
        self.height = Some(b.height);
        self.hash = hex32(&b.hash).ok_or_else(|| fail("node sent a malformed block hash"))?;
        Ok(())
    }

    /// The last synced height.
    pub(crate) fn height(&self) -> Option<u64> {
        self.height
    }
}

fn hex32(s: &str) -> Option<[u8; 32]> {
    hex::decode(s).ok()?.try_into().ok()
}

fn bar(len: u64, quiet: bool) -> ProgressBar {
    if quiet || len == 0 {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(
            "{msg:>10} [{bar:30}] {pos}/{len} blocks, {per_sec}, eta {eta}",
        )
        .expect("template")
        .progress_chars("=> "),
    );
    pb.set_message("syncing");
    pb
}

/// Brings the local state of `tk` under `dir` up to the node's tip,
/// downloading only the blocks after the saved height.
pub(crate) async fn sync(
    client: &Client,
    tk: &TraceKey,
    dir: &Path,
    quiet: bool,
) -> Result<(SyncState, SyncStats), CliError> {
    let file = SyncState::path(dir, tk);
    let mut st = SyncState::load(&file, tk)?;
    let tip = client.block_number().await.map_err(fail)?;
    if let Some(h) = st.height {
        let same = match client.block_by_number(h).await.map_err(fail)? {
            Some(b) => hex32(&b.hash) == Some(st.hash),
            None => false,
        };
        if !same {
            tracing::warn!(
                height = h,
                "the saved block is no longer on the chain: rescanning"
            );
            st = SyncState::empty();
        }
    }
    let mut stats = SyncStats::default();
    let from = st.height.map_or(0, |h| h + 1);
    let pb = bar((tip + 1).saturating_sub(from), quiet);
    let mut next = from;
    while next <= tip {
        let to = (next + 999).min(tip);
        let blocks = client.compact_blocks(next, to).await.map_err(fail)?;
        if blocks.is_empty() {
            return Err(fail(format!("node sent no block for {next}..={to}")));
        }
        for b in &blocks {
            st.apply(tk, b)?;
            stats.blocks += 1;
            stats.outputs += b.outputs.len() as u64;
        }
        next = st.height.map_or(0, |h| h + 1);
        st.save(&file)?;
        pb.set_position(next - from);
    }
    pb.finish_and_clear();
    Ok((st, stats))
}
