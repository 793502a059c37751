//! The persisted witness tree: every filled inner node in
//! [`TREE_NODES`](crate::tables::TREE_NODES), the leaves in
//! [`LEAVES`](crate::tables::LEAVES).
//!
//! A node is keyed `level << 32 | index` (levels `1..=DEPTH`; level 0 is
//! the `LEAVES` table). Node `index` of level `l` covers leaves
//! `index·2^l .. (index+1)·2^l`; it is stored once it covers at least one
//! leaf, and a node on the right edge (partly filled) holds the hash with
//! empty subtrees ([`sero_tree::empty_root`]) on its right, exactly as the
//! in-memory [`sero_tree::WitnessTree`] does. So the stored level-`DEPTH`
//! node 0 is the note-tree root, a Merkle path is `DEPTH` point reads, and
//! appending `k` leaves rewrites `k + DEPTH` nodes at most per level
//! boundary — about `2k + DEPTH` hashes and writes, whatever the history.

use redb::{ReadableTable, Table};
use sero_crypto::curve::{base_from_canonical, encode_base};
use sero_tree::{empty_root, node_hash, Base, Frontier, MerklePath, NewNodes, DEPTH};

use crate::error::StateError;

/// The key of node `index` at `level` (`1..=DEPTH`).
pub fn node_key(level: usize, index: u64) -> u64 {
    ((level as u64) << 32) | index
}

fn decode(bytes: &[u8; 32], what: &str) -> Result<Base, StateError> {
    base_from_canonical(bytes)
        .map_err(|_| StateError::Corrupt(format!("{what} is not a canonical field element")))
}

/// Reads node `(level, index)`: a leaf at level 0, else a stored node.
pub(crate) fn get_node(
    leaves: &impl ReadableTable<u64, &'static [u8; 32]>,
    nodes: &impl ReadableTable<u64, &'static [u8; 32]>,
    level: usize,
    index: u64,
) -> Result<Option<Base>, StateError> {
    let g = if level == 0 {
        leaves.get(index)?
    } else {
        nodes.get(node_key(level, index))?
    };
    match g {
        Some(g) => Ok(Some(decode(g.value(), "a stored tree node")?)),
        None => Ok(None),
    }
}

/// Updates the inner nodes after `new` leaves were appended at positions
/// `start..start + new.len()` (already inserted into `leaves`). Returns the
/// new root. A non-canonical leaf is [`StateError::BadLeaf`].
pub(crate) fn append_nodes(
    leaves: &Table<u64, &'static [u8; 32]>,
    nodes: &mut Table<u64, &'static [u8; 32]>,
    start: u64,
    new: &[[u8; 32]],
) -> Result<Option<Base>, StateError> {
    if new.is_empty() {
        return Ok(None);
    }
    let mut cur = Vec::with_capacity(new.len());
    for (i, l) in new.iter().enumerate() {
        cur.push(base_from_canonical(l).map_err(|_| StateError::BadLeaf {
            position: start + i as u64,
        })?);
    }
    let (mut s, mut e) = (start, start + new.len() as u64);
    for level in 0..DEPTH {
        let (ps, pe) = (s >> 1, ((e - 1) >> 1) + 1);
        // Only the first pair can start left of the new nodes (`s` odd):
        // its left child is a stored node.
        let stored_left = if 2 * ps < s {
            Some(get_node(leaves, &*nodes, level, 2 * ps)?.ok_or_else(|| {
                StateError::Corrupt(format!("tree node {level}/{} missing", 2 * ps))
            })?)
        } else {
            None
        };
        let pair = |j: u64| {
            let left = match stored_left {
                Some(l) if j == ps => l,
                _ => cur[(2 * j - s) as usize],
            };
            let right = if 2 * j + 1 < e {
                cur[(2 * j + 1 - s) as usize]
            } else {
                empty_root(level)
            };
            node_hash(left, right)
        };
        // Many new nodes (a bulk load): hashed in parallel.
        let above: Vec<Base> = if pe - ps >= 64 {
            use rayon::prelude::*;
            (ps..pe).into_par_iter().map(pair).collect()
        } else {
            (ps..pe).map(pair).collect()
        };
        for (j, v) in (ps..).zip(&above) {
            nodes.insert(node_key(level + 1, j), &encode_base(v))?;
        }
        cur = above;
        (s, e) = (ps, pe);
    }
    Ok(cur.first().copied())
}

/// Stores the nodes `given` that the caller hashed for the `new` leaves
/// appended at `start` ([`sero_tree::Frontier::append_batch`]), after
/// checking that they are the nodes of exactly those positions, that level
/// 0 is `new` and that the root is `note_root`: no hashing.
pub(crate) fn insert_nodes(
    nodes: &mut Table<u64, &'static [u8; 32]>,
    start: u64,
    new: &[[u8; 32]],
    note_root: &[u8; 32],
    given: &NewNodes,
) -> Result<(), StateError> {
    let bad = |what: &str| StateError::Corrupt(format!("given tree nodes: {what}"));
    if new.is_empty() {
        return Ok(());
    }
    let end = start + new.len() as u64;
    let (first, leaves) = given.level(0);
    if first != start
        || leaves.len() != new.len()
        || leaves.iter().zip(new).any(|(a, b)| encode_base(a) != *b)
    {
        return Err(bad("level 0 is not the block's leaves"));
    }
    for level in 1..=DEPTH {
        let (first, values) = given.level(level);
        let (s, e) = (start >> level, ((end - 1) >> level) + 1);
        if first != s || values.len() as u64 != e - s {
            return Err(bad(&format!("level {level} has the wrong positions")));
        }
    }
    if encode_base(&given.root()) != *note_root {
        return Err(bad("the root is not the block's note root"));
    }
    for level in 1..=DEPTH {
        let (first, values) = given.level(level);
        for (j, v) in (first..).zip(values) {
            nodes.insert(node_key(level, j), &encode_base(v))?;
        }
    }
    Ok(())
}

/// After the leaves were cut back to `count`: drops the nodes that cover
/// no leaf any more and recomputes the right edge (`DEPTH` hashes).
pub(crate) fn truncate_nodes(
    leaves: &Table<u64, &'static [u8; 32]>,
    nodes: &mut Table<u64, &'static [u8; 32]>,
    count: u64,
) -> Result<(), StateError> {
    for level in 1..=DEPTH {
        // Nodes that still cover a leaf: indices < ceil(count / 2^level).
        let keep = count.div_ceil(1u64 << level);
        let from = node_key(level, keep);
        let to = (level as u64 + 1) << 32;
        nodes.retain_in(from..to, |_, _| false)?;
    }
    let Some(last) = count.checked_sub(1) else {
        return Ok(());
    };
    for level in 0..DEPTH {
        let j = last >> (level + 1);
        let left = get_node(leaves, &*nodes, level, 2 * j)?
            .ok_or_else(|| StateError::Corrupt(format!("tree node {level}/{} missing", 2 * j)))?;
        let right = match get_node(leaves, &*nodes, level, 2 * j + 1)? {
            Some(r) => r,
            None => empty_root(level),
        };
        nodes.insert(
            node_key(level + 1, j),
            &encode_base(&node_hash(left, right)),
        )?;
    }
    Ok(())
}

/// The root stored at level `DEPTH` (the empty root with no leaf).
pub(crate) fn root(
    leaves: &impl ReadableTable<u64, &'static [u8; 32]>,
    nodes: &impl ReadableTable<u64, &'static [u8; 32]>,
) -> Result<Base, StateError> {
    Ok(get_node(leaves, nodes, DEPTH, 0)?.unwrap_or_else(|| empty_root(DEPTH)))
}

/// The frontier of a tree of `count` leaves, from `1 + popcount` reads.
pub(crate) fn frontier(
    leaves: &impl ReadableTable<u64, &'static [u8; 32]>,
    nodes: &impl ReadableTable<u64, &'static [u8; 32]>,
    count: u64,
) -> Result<Frontier, StateError> {
    let Some(last) = count.checked_sub(1) else {
        return Ok(Frontier::new());
    };
    let missing =
        |level: usize, i: u64| StateError::Corrupt(format!("tree node {level}/{i} missing"));
    let leaf = get_node(leaves, nodes, 0, last)?.ok_or_else(|| missing(0, last))?;
    let mut ommers = [Base::from(0u64); DEPTH];
    for (level, ommer) in ommers.iter_mut().enumerate() {
        if (last >> level) & 1 == 1 {
            let i = (last >> level) - 1;
            *ommer = get_node(leaves, nodes, level, i)?.ok_or_else(|| missing(level, i))?;
        }
    }
    Ok(Frontier::from_parts(last, leaf, ommers))
}

/// The path of `position` (< `count`) against the current root.
pub(crate) fn path(
    leaves: &impl ReadableTable<u64, &'static [u8; 32]>,
    nodes: &impl ReadableTable<u64, &'static [u8; 32]>,
    position: u64,
) -> Result<MerklePath, StateError> {
    let mut siblings = [Base::from(0u64); DEPTH];
    for (level, s) in siblings.iter_mut().enumerate() {
        *s = get_node(leaves, nodes, level, (position >> level) ^ 1)?
            .unwrap_or_else(|| empty_root(level));
    }
    Ok(MerklePath { position, siblings })
}

/// Builds every inner node from the stored leaves, level by level in
/// chunks (bounded memory): the one-time migration of a store made before
/// [`TREE_NODES`](crate::tables::TREE_NODES) existed.
pub(crate) fn rebuild_nodes(
    leaves: &Table<u64, &'static [u8; 32]>,
    nodes: &mut Table<u64, &'static [u8; 32]>,
    count: u64,
) -> Result<(), StateError> {
    const CHUNK: u64 = 1 << 14;
    nodes.retain(|_, _| false)?;
    let mut n = count;
    for level in 0..DEPTH {
        if n == 0 {
            break;
        }
        let mut from = 0;
        while from < n {
            let to = (from + CHUNK).min(n);
            let mut below = Vec::with_capacity((to - from) as usize);
            if level == 0 {
                for item in leaves.range(from..to)? {
                    let (k, v) = item?;
                    below.push((k.value(), decode(v.value(), "a stored leaf")?));
                }
            } else {
                for item in nodes.range(node_key(level, from)..node_key(level, to))? {
                    let (k, v) = item?;
                    below.push((k.value() & 0xffff_ffff, decode(v.value(), "a tree node")?));
                }
            }
            if below.len() as u64 != to - from || below.first().map(|b| b.0) != Some(from) {
                return Err(StateError::Corrupt(format!(
                    "level {level} of the tree has a gap in {from}..{to}"
                )));
            }
            for pair in below.chunks(2) {
                let right = pair.get(1).map_or(empty_root(level), |p| p.1);
                let v = node_hash(pair[0].1, right);
                nodes.insert(node_key(level + 1, pair[0].0 >> 1), &encode_base(&v))?;
            }
            from = to;
        }
        n = n.div_ceil(2);
    }
    Ok(())
}

/// Leaves per chunk of [`NodeBuilder`]: a complete subtree of this many
/// leaves is hashed as one job (`2^CHUNK_LEVELS − 1` nodes).
const CHUNK_LEVELS: usize = 14;

/// The inner nodes of one chunk, ready to insert, and its root (the node
/// at level [`CHUNK_LEVELS`]).
type ChunkNodes = (u64, Vec<(u64, [u8; 32])>, Base);

/// Builds the inner nodes of a tree from its leaves as they arrive, in
/// order (a snapshot import): each chunk of `2^CHUNK_LEVELS` leaves is
/// hashed on a worker thread (in parallel, level by level, with rayon)
/// while the caller goes on writing, and its nodes come back to be
/// inserted with [`drain`](Self::drain); [`finish`](Self::finish) hashes
/// the levels above the chunks. The nodes and the root are exactly those
/// of [`rebuild_nodes`] (and so of [`sero_tree::WitnessTree`]): each
/// computed here from the leaves given to [`push`](Self::push), nothing
/// read back.
pub(crate) struct NodeBuilder {
    count: u64,
    chunk: Vec<Base>,
    chunks_sent: u64,
    received: u64,
    roots: Vec<Option<Base>>,
    jobs: Option<std::sync::mpsc::SyncSender<(u64, Vec<Base>)>>,
    done: std::sync::mpsc::Receiver<ChunkNodes>,
    worker: Option<std::thread::JoinHandle<()>>,
}

/// The nodes of the subtree over `leaves` (at most `2^CHUNK_LEVELS`),
/// chunk `index`, the right edge padded with empty subtrees.
fn hash_chunk(index: u64, leaves: Vec<Base>) -> ChunkNodes {
    use rayon::prelude::*;
    let mut out = Vec::with_capacity(leaves.len());
    let mut cur = leaves;
    for level in 0..CHUNK_LEVELS {
        let next: Vec<Base> = cur
            .par_chunks(2)
            .map(|p| node_hash(p[0], p.get(1).copied().unwrap_or(empty_root(level))))
            .collect();
        let first = index << (CHUNK_LEVELS - level - 1);
        out.extend(
            next.iter()
                .enumerate()
                .map(|(j, v)| (node_key(level + 1, first + j as u64), encode_base(v))),
        );
        cur = next;
    }
    (index, out, cur[0])
}

impl NodeBuilder {
    pub(crate) fn new() -> Self {
        // A few chunks in flight at most (bounded memory): the caller
        // waits for the worker when hashing is the slower part.
        let (jobs, rx) = std::sync::mpsc::sync_channel::<(u64, Vec<Base>)>(4);
        let (tx, done) = std::sync::mpsc::channel();
        let worker = std::thread::spawn(move || {
            for (i, leaves) in rx {
                if tx.send(hash_chunk(i, leaves)).is_err() {
                    return;
                }
            }
        });
        NodeBuilder {
            count: 0,
            chunk: Vec::with_capacity(1 << CHUNK_LEVELS),
            chunks_sent: 0,
            received: 0,
            roots: vec![],
            jobs: Some(jobs),
            done,
            worker: Some(worker),
        }
    }

    /// Leaves pushed so far (the position the next one must have).
    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// Appends the next leaf.
    pub(crate) fn push(&mut self, leaf: Base) -> Result<(), StateError> {
        if self.count >= sero_tree::CAPACITY {
            return Err(StateError::Corrupt(
                "more leaves than the tree holds".into(),
            ));
        }
        self.chunk.push(leaf);
        self.count += 1;
        if self.chunk.len() == 1 << CHUNK_LEVELS {
            self.send()?;
        }
        Ok(())
    }

    fn send(&mut self) -> Result<(), StateError> {
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(1 << CHUNK_LEVELS));
        let jobs = self.jobs.as_ref().expect("not finished");
        jobs.send((self.chunks_sent, chunk))
            .map_err(|_| StateError::Corrupt("the tree hashing thread stopped".into()))?;
        self.chunks_sent += 1;
        Ok(())
    }

    fn insert(
        &mut self,
        nodes: &mut Table<u64, &'static [u8; 32]>,
        (index, batch, root): ChunkNodes,
    ) -> Result<(), StateError> {
        for (k, v) in &batch {
            nodes.insert(*k, v)?;
        }
        let i = index as usize;
        if self.roots.len() <= i {
            self.roots.resize(i + 1, None);
        }
        self.roots[i] = Some(root);
        self.received += 1;
        Ok(())
    }

    /// Inserts the nodes of the chunks hashed so far.
    pub(crate) fn drain(
        &mut self,
        nodes: &mut Table<u64, &'static [u8; 32]>,
    ) -> Result<(), StateError> {
        while let Ok(c) = self.done.try_recv() {
            self.insert(nodes, c)?;
        }
        Ok(())
    }

    /// Hashes the last (partial) chunk, waits for every chunk, inserts
    /// the rest of the nodes and the levels above the chunks, and returns
    /// the root of the tree of the leaves pushed.
    pub(crate) fn finish(
        mut self,
        nodes: &mut Table<u64, &'static [u8; 32]>,
    ) -> Result<Base, StateError> {
        if !self.chunk.is_empty() {
            self.send()?;
        }
        drop(self.jobs.take());
        let stopped = || StateError::Corrupt("the tree hashing thread stopped".into());
        while self.received < self.chunks_sent {
            let c = self.done.recv().map_err(|_| stopped())?;
            self.insert(nodes, c)?;
        }
        if let Some(w) = self.worker.take() {
            w.join().map_err(|_| stopped())?;
        }
        if self.count == 0 {
            return Ok(empty_root(DEPTH));
        }
        let mut cur: Vec<Base> = self.roots.iter().map(|r| r.expect("every chunk")).collect();
        for level in CHUNK_LEVELS..DEPTH {
            let next: Vec<Base> = cur
                .chunks(2)
                .map(|p| node_hash(p[0], p.get(1).copied().unwrap_or(empty_root(level))))
                .collect();
            for (j, v) in next.iter().enumerate() {
                nodes.insert(node_key(level + 1, j as u64), &encode_base(v))?;
            }
            cur = next;
        }
        Ok(cur[0])
    }
}
