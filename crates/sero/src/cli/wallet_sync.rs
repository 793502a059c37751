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
//!
//! **Verification** (`docs/protocol.md` §18.5). On a network (a node
//! started from a genesis file) the wallet believes nothing the node says
//! that it cannot check: it starts from the genesis (`--genesis FILE`, else
//! the one pinned in `<sync dir>/genesis.json`, else the node's
//! `sero_getGenesis` on first use, pinned from then on), checks every
//! header with [`HeaderVerifier`] (parent links, seal, BA★ certificate by
//! the round's validator set, validator-set changes against the header's
//! `validators_hash`), and checks each compact block against its verified
//! header: its hash, the note root and leaf count its outputs give, and
//! that each note of ours opens to the served commitment. It moves only
//! up to the last final header, and saves the verifier's state with the
//! notes, so the next command verifies only the headers after it. A lying
//! node is refused with an error and the saved state is left as it was; a
//! withholding node only keeps the wallet behind, which the report says
//! (`sync.verified_height`, `sync.node_tip`). A dev chain (no genesis
//! file, no validators) has no certificates: its wallet is unverified.

use crate::output::{fail, CliError};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use sero_consensus::ba::Certificate;
use sero_crypto::curve::{base_from_canonical, encode_base};
use sero_keys::TraceKey;
use sero_ledger::block::BlockHeader;
use sero_ledger::light::{HeaderVerifier, LightState, ValidatorEntry};
use sero_node::genesis::{Genesis, GenesisJson};
use sero_node::scan::{find_notes, find_notes_encoded, OutputRecord};
use sero_rpc::SeroApiClient;
use sero_tree::{cm_auth, Frontier, MerklePath};
use sero_zk::note::{trace_tag, Note};
use std::path::{Path, PathBuf};

use super::wallet::Client;

/// Version of the file layout (2: the verified header state).
const VERSION: u32 = 2;

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
    /// The header verifier's state at `height` ([`LightState::to_bytes`],
    /// hex); absent for an unverified (dev chain) wallet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    light: Option<String>,
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
    /// The verified header state at `height` (verifying wallets).
    light: Option<LightState>,
    pub notes: Vec<SyncedNote>,
    /// The trace tag of each note, in the order of `notes`.
    pub tils: Vec<[u8; 32]>,
}

/// What a sync downloaded (for reports and tests).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SyncStats {
    pub blocks: u64,
    pub outputs: u64,
    /// The tip the node claimed.
    pub node_tip: u64,
}

impl SyncState {
    /// A state synced to `height` (block `hash`) whose tree had
    /// `frontier`, holding no note yet (the history benchmark resumes one).
    pub(crate) fn resume(height: u64, hash: [u8; 32], frontier: Frontier) -> Self {
        SyncState {
            height: Some(height),
            hash,
            frontier,
            light: None,
            notes: vec![],
            tils: vec![],
        }
    }

    pub(crate) fn empty() -> Self {
        SyncState {
            height: None,
            hash: [0; 32],
            frontier: Frontier::new(),
            light: None,
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
        // Version 1 has no verified header state: read as unverified (a
        // verifying sync rescans it).
        if f.version != VERSION && f.version != 1 {
            return Err(bad(&format!("unknown version {}", f.version)));
        }
        let frontier =
            Frontier::from_bytes(&hex::decode(&f.frontier).map_err(|_| bad("frontier"))?)
                .map_err(|e| bad(&e.to_string()))?;
        let hash = hex32(&f.hash).ok_or_else(|| bad("hash"))?;
        let light = match &f.light {
            Some(l) => Some(
                LightState::from_bytes(&hex::decode(l).map_err(|_| bad("light state"))?)
                    .map_err(|e| bad(&e.to_string()))?,
            ),
            None => None,
        };
        let mut st = SyncState {
            height: f.height,
            hash,
            frontier,
            light,
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
            light: self.light.as_ref().map(|l| hex::encode(l.to_bytes())),
        };
        let dir = file.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| fail(format!("{}: {e}", dir.display())))?;
        // A temporary file of this write alone: two wallet commands of one
        // key (two processes, or threads) may save at once; each renames a
        // complete file into place and the last one wins.
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = file.with_extension(format!("json.{}.{n}.tmp", std::process::id()));
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
        // The leaves need each record's layout and commitment only; the
        // PKr is recognised from its bytes and only our records are decoded
        // in full (three point decodings with subgroup checks each, which
        // cost more than the recognition). A PKr whose bytes are not valid
        // points is not ours: a node could as well have sent a foreign PKr.
        let mut records = Vec::with_capacity(b.outputs.len());
        let mut leaves = Vec::with_capacity(b.outputs.len());
        for (i, hex_record) in b.outputs.iter().enumerate() {
            let pos = b.start + i as u64;
            let bytes =
                hex::decode(hex_record).map_err(|_| fail("node sent a malformed output record"))?;
            let cm = OutputRecord::cm_out_of(&bytes)
                .ok_or_else(|| fail("node sent a malformed output record"))?;
            leaves.push(cm_auth(pos, cm));
            records.push((pos, bytes));
        }
        let found = find_notes_encoded(tk, &records);
        let marks: Vec<u64> = found.iter().map(|(p, _, _)| *p).collect();
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
        for ((pos, record, note), path) in found.into_iter().zip(new_paths) {
            let cm = note.cm_out().map_err(fail)?;
            if cm != record.cm_out() {
                // A plain record whose asset or memo is not the one its
                // commitment (in the verified tree) holds.
                return Err(fail(format!(
                    "block {}: output #{pos} does not open to its note commitment",
                    b.height
                )));
            }
            let leaf = cm_auth(pos, cm);
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

/// The wallet's trust anchor: the network's genesis (module docs).
pub(crate) struct Anchor {
    genesis: Genesis,
    header: BlockHeader,
}

impl Anchor {
    fn verifier(&self) -> Result<HeaderVerifier, CliError> {
        let g = &self.genesis;
        let vals: Vec<ValidatorEntry> = g
            .validators
            .iter()
            .map(|v| (v.vote_key, v.vrf_key, v.stake))
            .collect();
        HeaderVerifier::from_genesis(self.header.clone(), g.seed, &vals, g.consensus, g.license)
            .map_err(fail)
    }

    fn resume(&self, st: LightState) -> Result<HeaderVerifier, CliError> {
        HeaderVerifier::resume(st, self.genesis.consensus, self.genesis.license).map_err(fail)
    }
}

/// The genesis to verify against: `explicit` (a file the user trusts),
/// else the one pinned under `dir`, else the node's (trusted on first use,
/// then pinned). `None` on a dev chain (the node serves no genesis and
/// none is pinned).
async fn anchor(
    client: &Client,
    dir: &Path,
    explicit: Option<&Path>,
) -> Result<Option<Anchor>, CliError> {
    let pinned = dir.join("genesis.json");
    let (json, pin): (GenesisJson, bool) = if let Some(f) = explicit {
        let g = Genesis::load(f).map_err(|e| fail(format!("--genesis: {e}")))?;
        (g.json, !pinned.exists())
    } else if pinned.exists() {
        let g = Genesis::load(&pinned).map_err(|e| {
            fail(format!(
                "{}: {e}; delete it to trust the node's",
                pinned.display()
            ))
        })?;
        (g.json, false)
    } else {
        match client.genesis().await.map_err(fail)? {
            Some(j) => {
                eprintln!(
                    "warning: trusting the node for the network's genesis on first use \
                     (pinned in {}); pass --genesis FILE to check it",
                    pinned.display()
                );
                (j, true)
            }
            None => return Ok(None),
        }
    };
    let genesis = Genesis::from_json(json.clone()).map_err(fail)?;
    let block = genesis.block().map_err(fail)?.block;
    let served = client.headers(0, 0).await.map_err(fail)?;
    let same = served
        .first()
        .and_then(|e| hex::decode(&e.header).ok())
        .is_some_and(|b| b == block.header.to_bytes());
    if !same {
        return Err(fail(format!(
            "the node's genesis is not the trusted one (chain id {}): another network, or a lying node{}",
            hex::encode(block.hash()),
            if explicit.is_none() {
                format!(
                    " (for another network use another --wallet-dir, or delete {})",
                    pinned.display()
                )
            } else {
                String::new()
            }
        )));
    }
    if pin {
        std::fs::create_dir_all(dir).map_err(|e| fail(format!("{}: {e}", dir.display())))?;
        let text = serde_json::to_vec_pretty(&json).map_err(fail)?;
        std::fs::write(&pinned, text).map_err(|e| fail(format!("{}: {e}", pinned.display())))?;
    }
    Ok(Some(Anchor {
        genesis,
        header: block.header,
    }))
}

/// Verifies the headers `from..=to` the node serves after `v`'s state;
/// returns each verified header with the verifier's state after it, and
/// whether the node served the whole range.
async fn verify_headers(
    client: &Client,
    v: &mut HeaderVerifier,
    from: u64,
    to: u64,
) -> Result<(Vec<(BlockHeader, LightState)>, bool), CliError> {
    let entries = client.headers(from, to).await.map_err(fail)?;
    let complete = entries.len() as u64 == to - from + 1;
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let header = hex::decode(&e.header)
            .ok()
            .and_then(|b| BlockHeader::from_bytes(&b).ok())
            .ok_or_else(|| fail(format!("node sent a malformed header {}", e.height)))?;
        if header.height == 0 {
            // The genesis is the anchor's (checked in `anchor`).
            if header != v.state().header {
                return Err(fail("node sent another genesis header"));
            }
            out.push((header, v.state().clone()));
            continue;
        }
        let cert = hex::decode(&e.certificate)
            .ok()
            .and_then(|b| Certificate::from_bytes(&b).ok())
            .ok_or_else(|| {
                fail(format!(
                    "block {}: node sent no valid certificate",
                    header.height
                ))
            })?;
        let vals = match &e.validators {
            Some(list) => Some(
                list.iter()
                    .map(|x| Some((hex32(&x.vote_key)?, hex32(&x.vrf_key)?, x.stake)))
                    .collect::<Option<Vec<ValidatorEntry>>>()
                    .ok_or_else(|| fail("node sent a malformed validator set"))?,
            ),
            None => None,
        };
        v.verify_next(&header, &cert, vals.as_deref())
            .map_err(|e| fail(format!("refusing the node's chain: {e}")))?;
        out.push((header, v.state().clone()));
    }
    Ok((out, complete))
}

impl SyncState {
    /// [`apply`](Self::apply) for a block whose header is verified: the
    /// block must be that header's, and its outputs must give the header's
    /// note root and leaf count.
    fn apply_verified(
        &mut self,
        tk: &TraceKey,
        b: &sero_rpc::CompactBlock,
        header: &BlockHeader,
    ) -> Result<(), CliError> {
        if b.height != header.height || hex32(&b.hash) != Some(header.hash()) {
            return Err(fail(format!(
                "block {}: the node's compact block is not the verified block",
                b.height
            )));
        }
        if hex32(&b.note_root) != Some(encode_base(&header.note_root)) {
            return Err(fail(format!(
                "block {}: the node's note root is not the verified header's",
                b.height
            )));
        }
        self.apply(tk, b)?;
        if self.frontier.len() != header.leaf_count {
            return Err(fail(format!(
                "block {}: the node sent {} outputs too many or too few for the verified leaf count",
                b.height,
                (self.frontier.len() as i128 - header.leaf_count as i128).abs()
            )));
        }
        Ok(())
    }

    /// Whether the state was verified against headers.
    pub(crate) fn verified(&self) -> bool {
        self.light.is_some()
    }
}

/// Brings the local state of `tk` under `dir` up to the node's tip,
/// downloading only the blocks after the saved height.
pub(crate) async fn sync(
    client: &Client,
    tk: &TraceKey,
    dir: &Path,
    genesis: Option<&Path>,
    quiet: bool,
) -> Result<(SyncState, SyncStats), CliError> {
    let file = SyncState::path(dir, tk);
    let mut st = SyncState::load(&file, tk)?;
    let tip = client.block_number().await.map_err(fail)?;
    let anchor = anchor(client, dir, genesis).await?;
    if let Some(a) = &anchor {
        return sync_verified(client, tk, a, st, &file, tip, quiet).await;
    }
    if st.light.is_some() {
        return Err(fail(format!(
            "{} was verified against a network's genesis but the node serves none: \
             pass --genesis FILE, or delete the file to use this node unverified",
            file.display()
        )));
    }
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
    let mut stats = SyncStats {
        node_tip: tip,
        ..SyncStats::default()
    };
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

/// [`sync`] against verified headers (module docs): moves only up to the
/// last final header the node proves.
async fn sync_verified(
    client: &Client,
    tk: &TraceKey,
    anchor: &Anchor,
    mut st: SyncState,
    file: &Path,
    tip: u64,
    quiet: bool,
) -> Result<(SyncState, SyncStats), CliError> {
    if st.height.is_some() && st.light.is_none() {
        tracing::warn!("the saved state was not verified: rescanning");
        st = SyncState::empty();
    }
    let mut verifier = match &st.light {
        Some(l) => {
            if l.hash != st.hash || Some(l.header.height) != st.height {
                return Err(fail(format!(
                    "{}: the verified header is not the synced block; delete it to rescan",
                    file.display()
                )));
            }
            anchor.resume(l.clone())?
        }
        None => anchor.verifier()?,
    };
    let mut stats = SyncStats {
        node_tip: tip,
        ..SyncStats::default()
    };
    let from = st.height.map_or(0, |h| h + 1);
    let pb = bar((tip + 1).saturating_sub(from), quiet);
    let mut next = from;
    while next <= tip {
        let to = (next + 999).min(tip);
        let (headers, complete) = verify_headers(client, &mut verifier, next, to).await?;
        // Only final headers are committed to.
        let fin = verifier.state().finalized;
        let usable: Vec<&(BlockHeader, LightState)> = headers
            .iter()
            .filter(|(h, _)| h.height <= fin || h.height == 0)
            .collect();
        let Some(last) = usable.last().map(|(h, _)| h.height) else {
            break;
        };
        while st.height.map_or(0, |h| h + 1) <= last {
            let n = st.height.map_or(0, |h| h + 1);
            let blocks = client.compact_blocks(n, last).await.map_err(fail)?;
            if blocks.is_empty() {
                break;
            }
            for b in &blocks {
                let Some((h, ls)) = usable.iter().find(|(h, _)| h.height == b.height) else {
                    return Err(fail(format!(
                        "node sent block {} outside the range asked",
                        b.height
                    )));
                };
                st.apply_verified(tk, b, h)?;
                st.light = Some(ls.clone());
                stats.blocks += 1;
                stats.outputs += b.outputs.len() as u64;
            }
            st.save(file)?;
            pb.set_position(st.height.map_or(0, |h| h + 1) - from);
        }
        if st.height != Some(last) {
            break;
        }
        // Go on from the committed state (tentative headers are verified
        // again next time, with their later certificates).
        verifier = anchor.resume(st.light.clone().expect("set with the height"))?;
        next = last + 1;
        if !complete || last < to {
            break;
        }
    }
    pb.finish_and_clear();
    let h = st.height.unwrap_or(0);
    if h < tip {
        eprintln!(
            "warning: verified up to block {h}; the node claims block {tip} \
             (later blocks are not final yet, or the node did not serve them)"
        );
    }
    Ok((st, stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_saves_of_one_wallet_all_succeed() {
        // Before: one shared `*.json.tmp`, so one save's rename could take
        // the other's file away ("No such file or directory").
        let dir = std::env::temp_dir().join(format!("sero-sync-save-{}", std::process::id()));
        let file = dir.join("w.json");
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..50 {
                        SyncState::empty().save(&file).expect("saved");
                    }
                });
            }
        });
        assert!(file.exists());
        let left: Vec<_> = std::fs::read_dir(&dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(left.len(), 1, "no temporary file left: {left:?}");
        std::fs::remove_dir_all(&dir).expect("cleaned");
    }
}
