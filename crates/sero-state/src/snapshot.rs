//! State snapshots: the whole state of a final tip as one byte stream, so
//! that a new node can start from it instead of replaying every block
//! (`docs/protocol.md` §18.8).
//!
//! [`StateDb::write_snapshot`] writes, from ONE read transaction (a
//! consistent view while blocks keep being applied), every table a node
//! needs to validate the next block and to serve headers and wallets:
//! the canonical hashes, the headers (block records with an empty body),
//! leaves, roots, nullifiers, tils, the transaction index, output
//! records, the registry, seeds, certificates, the contract state and the
//! finality checkpoint certificates (version 2; version 1 had no table 13).
//! Block bodies, receipts, pruned spends, undo records and the tree's
//! inner nodes are not sent: bodies and the tree nodes are not needed
//! (the import hashes the nodes from the leaves), the rest is not committed by
//! any header and so could not be checked.
//!
//! [`StateDb::import_snapshot`] creates a new store from such a stream,
//! checking its framing, the order of every table's keys (strictly
//! ascending, so no key twice), the fixed lengths and a BLAKE2b-256
//! checksum, and builds the tree nodes: the leaves are hashed as they are
//! written (complete subtrees of `2^14` leaves on other cores while the
//! import goes on), and the root it computed is returned
//! ([`SnapshotInfo::note_root`]). It trusts nothing else: the caller must
//! then check the store against a header it verified (the chain's
//! `verify_imported_state` with that root, or `verify_state`, and the
//! header chain from the genesis). The
//! imported store is final at the snapshot's height and stores no body up
//! to it ([`StateDb::pruned_below`] is `height + 1`).
//!
//! # Format (all integers little-endian)
//!
//! ```text
//! magic "SEROSNAP" (8) ‖ version u32 = 2 ‖ height u64 ‖ tip hash [32] ‖ leaf_count u64
//! records: table id u8 (1..=13, non-decreasing) ‖ key_len u32 ‖ key ‖ value_len u32 ‖ value
//! end: 0u8 ‖ record count u64 ‖ BLAKE2b-256, personalisation "SERO_Snapshot_v1",
//!      of every byte before it
//! ```
//!
//! Keys and values are the bytes of the table's redb types (`u64`: 8 bytes
//! little-endian; fixed arrays as they are; byte strings as they are).

use std::io::{Read, Write};
use std::path::Path;

use redb::{Durability, ReadableTable, ReadableTableMetadata, Table, WriteTransaction};

use sero_crypto::curve::{base_from_canonical, encode_base};

use crate::codec::{decode_block_record, encode_block_record, encode_tip};
use crate::error::StateError;
use crate::tables::{
    BLOCKS, BLOCK_HASHES, CERTIFICATES, CHECKPOINTS, EVM_STATE, LEAVES, META, META_FINALIZED,
    META_LEAF_COUNT, META_PRUNED_BELOW, META_TIP, NULLIFIERS, OUTPUTS, ROOTS, SEEDS, TILS,
    TREE_NODES, TXS, VALIDATORS,
};
use crate::{tree, StateDb};

/// The first bytes of a snapshot.
pub const SNAPSHOT_MAGIC: &[u8; 8] = b"SEROSNAP";
/// The format version written after [`SNAPSHOT_MAGIC`].
pub const SNAPSHOT_VERSION: u32 = 2;
/// BLAKE2b personalisation of the snapshot checksum.
pub const SNAPSHOT_CHECKSUM_TAG: &[u8; 16] = b"SERO_Snapshot_v1";
/// Longest key or value a snapshot may carry (a contract-state value or
/// an output record is far smaller).
pub const MAX_ITEM_LEN: u32 = 1 << 24;
/// Records imported per write transaction (the last commit is durable).
const BATCH: u64 = 200_000;

/// What a snapshot is of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotInfo {
    /// The height of its tip (final on the node that wrote it).
    pub height: u64,
    /// The tip's block hash.
    pub hash: [u8; 32],
    /// Number of notes (leaves) in it.
    pub leaf_count: u64,
    /// The root of the note tree of its leaves (canonical encoding). On
    /// [`StateDb::write_snapshot`], the root the writer's store holds; on
    /// [`StateDb::import_snapshot`], the root the import computed itself
    /// from the leaves it wrote (the one its stored tree nodes give): what
    /// a joining node compares with the `note_root` of a header it
    /// verified, instead of hashing the leaves a second time.
    pub note_root: [u8; 32],
    /// Records written or read.
    pub records: u64,
    /// Bytes of the whole stream.
    pub bytes: u64,
}

/// The tables a snapshot carries, by table id (their order in the stream).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Tbl {
    BlockHashes = 1,
    Blocks,
    Leaves,
    Roots,
    Nullifiers,
    Tils,
    Txs,
    Outputs,
    Validators,
    Seeds,
    Certificates,
    EvmState,
    Checkpoints,
}

const ALL: [Tbl; 13] = [
    Tbl::BlockHashes,
    Tbl::Blocks,
    Tbl::Leaves,
    Tbl::Roots,
    Tbl::Nullifiers,
    Tbl::Tils,
    Tbl::Txs,
    Tbl::Outputs,
    Tbl::Validators,
    Tbl::Seeds,
    Tbl::Certificates,
    Tbl::EvmState,
    Tbl::Checkpoints,
];

/// How a table's keys and values are laid out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    U64,
    Fixed(usize),
    Bytes,
}

impl Tbl {
    fn from_id(id: u8) -> Option<Tbl> {
        ALL.iter().copied().find(|t| *t as u8 == id)
    }

    fn name(self) -> &'static str {
        match self {
            Tbl::BlockHashes => "block_hashes",
            Tbl::Blocks => "blocks",
            Tbl::Leaves => "leaves",
            Tbl::Roots => "roots",
            Tbl::Nullifiers => "nullifiers",
            Tbl::Tils => "tils",
            Tbl::Txs => "txs",
            Tbl::Outputs => "outputs",
            Tbl::Validators => "validators",
            Tbl::Seeds => "seeds",
            Tbl::Certificates => "certificates",
            Tbl::EvmState => "evm_state",
            Tbl::Checkpoints => "checkpoints",
        }
    }

    /// (key layout, value layout).
    fn layout(self) -> (Kind, Kind) {
        use Kind::*;
        match self {
            Tbl::BlockHashes | Tbl::Leaves | Tbl::Roots | Tbl::Seeds => (U64, Fixed(32)),
            Tbl::Blocks => (Fixed(32), Bytes),
            Tbl::Nullifiers => (Fixed(32), U64),
            Tbl::Tils => (Fixed(32), Fixed(40)),
            Tbl::Txs => (Fixed(32), Fixed(12)),
            Tbl::Outputs | Tbl::Certificates | Tbl::Checkpoints => (U64, Bytes),
            Tbl::Validators => (Fixed(32), Bytes),
            Tbl::EvmState => (Bytes, Bytes),
        }
    }
}

fn corrupt(m: impl Into<String>) -> StateError {
    StateError::Corrupt(format!("snapshot: {}", m.into()))
}

fn checksum_state() -> blake2b_simd::State {
    blake2b_simd::Params::new()
        .hash_length(32)
        .personal(SNAPSHOT_CHECKSUM_TAG)
        .to_state()
}

/// A writer that hashes and counts what passes through it.
struct Hashing<W> {
    inner: W,
    hash: blake2b_simd::State,
    bytes: u64,
}

impl<W: Write> Hashing<W> {
    fn put(&mut self, b: &[u8]) -> Result<(), StateError> {
        self.inner.write_all(b)?;
        self.hash.update(b);
        self.bytes += b.len() as u64;
        Ok(())
    }

    fn record(&mut self, t: Tbl, k: &[u8], v: &[u8]) -> Result<(), StateError> {
        self.put(&[t as u8])?;
        self.put(&(k.len() as u32).to_le_bytes())?;
        self.put(k)?;
        self.put(&(v.len() as u32).to_le_bytes())?;
        self.put(v)
    }
}

/// A consistent view of a final tip, ready to be written as a snapshot
/// ([`StateDb::begin_snapshot`]). It holds a read transaction: blocks
/// applied meanwhile do not change what it writes, and the caller need
/// not keep any lock on the node while writing.
pub struct SnapshotSource {
    txn: redb::ReadTransaction,
    height: u64,
    hash: [u8; 32],
    leaf_count: u64,
}

impl SnapshotSource {
    /// The height of the tip the snapshot is of.
    pub fn height(&self) -> u64 {
        self.height
    }

    /// The tip's block hash.
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }
}

impl StateDb {
    /// Opens a consistent view of the tip for a snapshot. The tip must be
    /// final ([`StateDb::finalized_height`]); otherwise
    /// [`StateError::Corrupt`] says so.
    pub fn begin_snapshot(&self) -> Result<SnapshotSource, StateError> {
        let txn = self.db_read()?;
        let (height, hash, leaf_count) = {
            let meta = txn.open_table(META)?;
            let (height, hash) =
                crate::db::read_tip(&meta)?.ok_or_else(|| corrupt("the store has no block"))?;
            let finalized = crate::db::read_finalized(&meta)?;
            if finalized != height {
                return Err(StateError::Corrupt(format!(
                    "snapshot: the tip {height} is not final yet (finalized {finalized})"
                )));
            }
            let leaf_count = crate::db::read_leaf_count(&meta)?;
            (height, hash, leaf_count)
        };
        Ok(SnapshotSource {
            txn,
            height,
            hash,
            leaf_count,
        })
    }

    /// Writes a snapshot of the tip to `w` (module docs): [`begin_snapshot`]
    /// then [`SnapshotSource::write`].
    ///
    /// [`begin_snapshot`]: StateDb::begin_snapshot
    pub fn write_snapshot(
        &self,
        w: impl Write,
        progress: impl FnMut(u64),
    ) -> Result<SnapshotInfo, StateError> {
        self.begin_snapshot()?.write(w, progress)
    }
}

impl SnapshotSource {
    /// Writes the snapshot to `w` (module docs). `progress` is called with
    /// the bytes written so far, now and then.
    pub fn write(
        &self,
        w: impl Write,
        mut progress: impl FnMut(u64),
    ) -> Result<SnapshotInfo, StateError> {
        let r = &self.txn;
        let (height, hash, leaf_count) = (self.height, self.hash, self.leaf_count);
        let note_root = encode_base(&tree::root(
            &r.open_table(LEAVES)?,
            &r.open_table(TREE_NODES)?,
        )?);
        let mut out = Hashing {
            inner: std::io::BufWriter::with_capacity(1 << 20, w),
            hash: checksum_state(),
            bytes: 0,
        };
        out.put(SNAPSHOT_MAGIC)?;
        out.put(&SNAPSHOT_VERSION.to_le_bytes())?;
        out.put(&height.to_le_bytes())?;
        out.put(&hash)?;
        out.put(&leaf_count.to_le_bytes())?;
        let mut records = 0u64;
        let mut tick = |out: &Hashing<_>, records: &mut u64| {
            *records += 1;
            if (*records).is_multiple_of(65_536) {
                progress(out.bytes);
            }
        };
        macro_rules! dump {
            ($tbl:expr, $def:expr, |$k:ident, $v:ident| ($kb:expr, $vb:expr)) => {{
                let t = r.open_table($def)?;
                for e in t.iter()? {
                    let (kg, vg) = e?;
                    let $k = kg.value();
                    let $v = vg.value();
                    out.record($tbl, $kb, $vb)?;
                    tick(&out, &mut records);
                }
            }};
        }
        dump!(Tbl::BlockHashes, BLOCK_HASHES, |k, v| (&k.to_le_bytes(), v));
        {
            let t = r.open_table(BLOCKS)?;
            for e in t.iter()? {
                let (kg, vg) = e?;
                let (h, header, _) = decode_block_record(vg.value())?;
                let rec = encode_block_record(h, &header, &[])?;
                out.record(Tbl::Blocks, kg.value(), &rec)?;
                tick(&out, &mut records);
            }
        }
        dump!(Tbl::Leaves, LEAVES, |k, v| (&k.to_le_bytes(), v));
        dump!(Tbl::Roots, ROOTS, |k, v| (&k.to_le_bytes(), v));
        dump!(Tbl::Nullifiers, NULLIFIERS, |k, v| (k, &v.to_le_bytes()));
        dump!(Tbl::Tils, TILS, |k, v| (k, v));
        dump!(Tbl::Txs, TXS, |k, v| (k, v));
        dump!(Tbl::Outputs, OUTPUTS, |k, v| (&k.to_le_bytes(), v));
        dump!(Tbl::Validators, VALIDATORS, |k, v| (k, v));
        dump!(Tbl::Seeds, SEEDS, |k, v| (&k.to_le_bytes(), v));
        dump!(Tbl::Certificates, CERTIFICATES, |k, v| (
            &k.to_le_bytes(),
            v
        ));
        dump!(Tbl::EvmState, EVM_STATE, |k, v| (k, v));
        dump!(Tbl::Checkpoints, CHECKPOINTS, |k, v| (&k.to_le_bytes(), v));
        out.put(&[0])?;
        out.put(&records.to_le_bytes())?;
        let digest = out.hash.finalize();
        out.inner.write_all(digest.as_bytes())?;
        out.inner.flush()?;
        let bytes = out.bytes + 32;
        progress(bytes);
        Ok(SnapshotInfo {
            height,
            hash,
            leaf_count,
            note_root,
            records,
            bytes,
        })
    }
}

impl StateDb {
    /// Creates the store `path` (which must not exist) from the snapshot
    /// read from `r` (module docs); on any error the partly written file
    /// is removed. `progress` is called with the bytes read so far, now
    /// and then. The result is checked for framing, key order, lengths,
    /// the checksum and the cross-table consistency of [`StateDb::open`];
    /// its contents are not checked against any header here.
    pub fn import_snapshot(
        path: &Path,
        r: impl Read,
        progress: impl FnMut(u64),
    ) -> Result<(StateDb, SnapshotInfo), StateError> {
        if path.exists() {
            return Err(StateError::Corrupt(format!(
                "snapshot: {} already exists",
                path.display()
            )));
        }
        let res = (|| {
            let db = StateDb::open(path)?;
            let info = db.import_into(r, progress)?;
            Ok((db, info))
        })();
        match res {
            Ok((db, info)) => {
                drop(db);
                // Reopen: the cross-table checks of `open` run on the result.
                Ok((StateDb::open(path)?, info))
            }
            Err(e) => {
                let _ = std::fs::remove_file(path);
                Err(e)
            }
        }
    }

    fn import_into(
        &self,
        r: impl Read,
        mut progress: impl FnMut(u64),
    ) -> Result<SnapshotInfo, StateError> {
        let mut rd = Reading {
            inner: std::io::BufReader::with_capacity(1 << 20, r),
            hash: checksum_state(),
            bytes: 0,
        };
        let magic: [u8; 8] = rd.array()?;
        if &magic != SNAPSHOT_MAGIC {
            return Err(corrupt("not a SERO snapshot (bad magic)"));
        }
        let version = u32::from_le_bytes(rd.array()?);
        if version != SNAPSHOT_VERSION {
            return Err(corrupt(format!(
                "format version {version}, this build reads {SNAPSHOT_VERSION}"
            )));
        }
        let height = u64::from_le_bytes(rd.array()?);
        let hash: [u8; 32] = rd.array()?;
        let leaf_count = u64::from_le_bytes(rd.array()?);
        {
            let w = self.db_write()?;
            if w.open_table(BLOCK_HASHES)?.len()? != 0 {
                return Err(corrupt("the target store is not empty"));
            }
        }
        let mut records = 0u64;
        let mut last: Option<(Tbl, Vec<u8>)> = None;
        let mut done = false;
        // The tree nodes are hashed from the leaves as they are written,
        // on other cores, while the rest of the stream is imported.
        let mut tree = tree::NodeBuilder::new();
        let mut txn = loop {
            let mut txn = self.db_write()?;
            txn.set_durability(Durability::None);
            {
                let mut tables = Tables::open(&txn)?;
                let mut in_txn = 0u64;
                while in_txn < BATCH {
                    let id = rd.array::<1>()?[0];
                    if id == 0 {
                        done = true;
                        break;
                    }
                    let t = Tbl::from_id(id)
                        .ok_or_else(|| corrupt(format!("unknown table id {id}")))?;
                    let k = rd.item()?;
                    let v = rd.item()?;
                    let (kk, vk) = t.layout();
                    check_len(t, "key", kk, &k)?;
                    check_len(t, "value", vk, &v)?;
                    if let Some((lt, lk)) = &last {
                        let ordered = match (*lt).cmp(&t) {
                            std::cmp::Ordering::Less => true,
                            std::cmp::Ordering::Greater => false,
                            std::cmp::Ordering::Equal => key_less(kk, lk, &k),
                        };
                        if !ordered {
                            return Err(corrupt(format!(
                                "{} records out of order or repeated",
                                t.name()
                            )));
                        }
                    }
                    if t == Tbl::Leaves {
                        let pos = u64_of(&k);
                        if pos != tree.count() {
                            return Err(corrupt(format!(
                                "leaf {pos} where leaf {} was due (a gap)",
                                tree.count()
                            )));
                        }
                        let leaf = base_from_canonical(arr::<32>(&v)).map_err(|_| {
                            corrupt(format!("leaf {pos} is not a canonical field element"))
                        })?;
                        tree.push(leaf)?;
                    }
                    tables.insert(t, &k, &v)?;
                    last = Some((t, k));
                    records += 1;
                    in_txn += 1;
                    if records.is_multiple_of(4_096) {
                        tree.drain(&mut tables.nodes)?;
                        if records.is_multiple_of(65_536) {
                            progress(rd.bytes);
                        }
                    }
                }
                tree.drain(&mut tables.nodes)?;
            }
            if done {
                break txn;
            }
            txn.commit()?;
        };
        let count = u64::from_le_bytes(rd.array()?);
        let expected = rd.hash.finalize();
        let mut digest = [0u8; 32];
        rd.inner
            .read_exact(&mut digest)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::UnexpectedEof => corrupt("truncated"),
                _ => StateError::Io(e),
            })?;
        rd.bytes += 32;
        if count != records || digest != *expected.as_bytes() {
            return Err(corrupt("checksum or record count does not match"));
        }
        let mut extra = [0u8; 1];
        if rd.inner.read(&mut extra)? != 0 {
            return Err(corrupt("bytes after the checksum"));
        }
        let note_root = {
            let hashes = txn.open_table(BLOCK_HASHES)?;
            match hashes.get(height)? {
                Some(g) if *g.value() == hash => {}
                _ => return Err(corrupt("the tip hash is not the hash at its height")),
            }
            if hashes.len()? != height + 1 {
                return Err(corrupt("block hashes do not cover every height"));
            }
            let leaves = txn.open_table(LEAVES)?;
            if leaves.len()? != leaf_count || tree.count() != leaf_count {
                return Err(corrupt("the leaf count does not match the leaves"));
            }
            let mut nodes = txn.open_table(TREE_NODES)?;
            let root = tree.finish(&mut nodes)?;
            let mut meta = txn.open_table(META)?;
            meta.insert(META_TIP, &encode_tip(height, &hash)[..])?;
            meta.insert(META_LEAF_COUNT, &leaf_count.to_le_bytes()[..])?;
            meta.insert(META_FINALIZED, &height.to_le_bytes()[..])?;
            meta.insert(META_PRUNED_BELOW, &(height + 1).to_le_bytes()[..])?;
            encode_base(&root)
        };
        txn.set_durability(Durability::Immediate);
        txn.commit()?;
        progress(rd.bytes);
        Ok(SnapshotInfo {
            height,
            hash,
            leaf_count,
            note_root,
            records,
            bytes: rd.bytes,
        })
    }
}

/// A reader that hashes and counts what it reads.
struct Reading<R> {
    inner: R,
    hash: blake2b_simd::State,
    bytes: u64,
}

impl<R: Read> Reading<R> {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), StateError> {
        self.inner.read_exact(buf).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                corrupt("truncated")
            } else {
                StateError::Io(e)
            }
        })?;
        self.hash.update(buf);
        self.bytes += buf.len() as u64;
        Ok(())
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], StateError> {
        let mut b = [0u8; N];
        self.fill(&mut b)?;
        Ok(b)
    }

    fn item(&mut self) -> Result<Vec<u8>, StateError> {
        let len = u32::from_le_bytes(self.array()?);
        if len > MAX_ITEM_LEN {
            return Err(corrupt(format!("an item of {len} bytes")));
        }
        let mut v = vec![0u8; len as usize];
        self.fill(&mut v)?;
        Ok(v)
    }
}

fn check_len(t: Tbl, what: &str, kind: Kind, b: &[u8]) -> Result<(), StateError> {
    let ok = match kind {
        Kind::U64 => b.len() == 8,
        Kind::Fixed(n) => b.len() == n,
        Kind::Bytes => true,
    };
    if ok {
        Ok(())
    } else {
        Err(corrupt(format!(
            "a {} {what} of {} bytes",
            t.name(),
            b.len()
        )))
    }
}

/// Whether `prev < next` in the table's key order (redb's: numeric for
/// `u64`, lexicographic for bytes).
fn key_less(kind: Kind, prev: &[u8], next: &[u8]) -> bool {
    match kind {
        Kind::U64 => u64_of(prev) < u64_of(next),
        _ => prev < next,
    }
}

fn u64_of(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

fn arr<const N: usize>(b: &[u8]) -> &[u8; N] {
    b.try_into().expect("length checked by check_len")
}

/// Every table an import writes, open in one write transaction.
struct Tables<'t> {
    hashes: Table<'t, u64, &'static [u8; 32]>,
    blocks: Table<'t, &'static [u8; 32], &'static [u8]>,
    leaves: Table<'t, u64, &'static [u8; 32]>,
    roots: Table<'t, u64, &'static [u8; 32]>,
    nullifiers: Table<'t, &'static [u8; 32], u64>,
    tils: Table<'t, &'static [u8; 32], &'static [u8; 40]>,
    txs: Table<'t, &'static [u8; 32], &'static [u8; 12]>,
    outputs: Table<'t, u64, &'static [u8]>,
    validators: Table<'t, &'static [u8; 32], &'static [u8]>,
    seeds: Table<'t, u64, &'static [u8; 32]>,
    certificates: Table<'t, u64, &'static [u8]>,
    evm: Table<'t, &'static [u8], &'static [u8]>,
    checkpoints: Table<'t, u64, &'static [u8]>,
    /// Not a snapshot table: the nodes the import computes.
    nodes: Table<'t, u64, &'static [u8; 32]>,
}

impl<'t> Tables<'t> {
    fn open(txn: &'t WriteTransaction) -> Result<Self, StateError> {
        Ok(Tables {
            hashes: txn.open_table(BLOCK_HASHES)?,
            blocks: txn.open_table(BLOCKS)?,
            leaves: txn.open_table(LEAVES)?,
            roots: txn.open_table(ROOTS)?,
            nullifiers: txn.open_table(NULLIFIERS)?,
            tils: txn.open_table(TILS)?,
            txs: txn.open_table(TXS)?,
            outputs: txn.open_table(OUTPUTS)?,
            validators: txn.open_table(VALIDATORS)?,
            seeds: txn.open_table(SEEDS)?,
            certificates: txn.open_table(CERTIFICATES)?,
            evm: txn.open_table(EVM_STATE)?,
            checkpoints: txn.open_table(CHECKPOINTS)?,
            nodes: txn.open_table(TREE_NODES)?,
        })
    }

    fn insert(&mut self, t: Tbl, k: &[u8], v: &[u8]) -> Result<(), StateError> {
        match t {
            Tbl::BlockHashes => {
                self.hashes.insert(u64_of(k), arr::<32>(v))?;
            }
            Tbl::Blocks => {
                let (h, _, body) = decode_block_record(v)?;
                if !body.is_empty() {
                    return Err(corrupt(format!("block {h} carries a body")));
                }
                self.blocks.insert(arr::<32>(k), v)?;
            }
            Tbl::Leaves => {
                self.leaves.insert(u64_of(k), arr::<32>(v))?;
            }
            Tbl::Roots => {
                self.roots.insert(u64_of(k), arr::<32>(v))?;
            }
            Tbl::Nullifiers => {
                self.nullifiers.insert(arr::<32>(k), u64_of(v))?;
            }
            Tbl::Tils => {
                self.tils.insert(arr::<32>(k), arr::<40>(v))?;
            }
            Tbl::Txs => {
                self.txs.insert(arr::<32>(k), arr::<12>(v))?;
            }
            Tbl::Outputs => {
                self.outputs.insert(u64_of(k), v)?;
            }
            Tbl::Validators => {
                crate::codec::decode_validator(v)?;
                self.validators.insert(arr::<32>(k), v)?;
            }
            Tbl::Seeds => {
                self.seeds.insert(u64_of(k), arr::<32>(v))?;
            }
            Tbl::Certificates => {
                self.certificates.insert(u64_of(k), v)?;
            }
            Tbl::EvmState => {
                self.evm.insert(k, v)?;
            }
            Tbl::Checkpoints => {
                self.checkpoints.insert(u64_of(k), v)?;
            }
        }
        Ok(())
    }
}
