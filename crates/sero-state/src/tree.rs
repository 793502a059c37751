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
use sero_tree::{empty_root, node_hash, Base, Frontier, MerklePath, DEPTH};

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
        let mut above = Vec::with_capacity((pe - ps) as usize);
        for j in ps..pe {
            let left = if 2 * j >= s {
                cur[(2 * j - s) as usize]
            } else {
                get_node(leaves, &*nodes, level, 2 * j)?.ok_or_else(|| {
                    StateError::Corrupt(format!("tree node {level}/{} missing", 2 * j))
                })?
            };
            let right = if 2 * j + 1 < e {
                cur[(2 * j + 1 - s) as usize]
            } else {
                empty_root(level)
            };
            above.push(node_hash(left, right));
        }
        for (j, v) in (ps..).zip(&above) {
            nodes.insert(node_key(level + 1, j), &encode_base(v))?;
        }
        cur = above;
        (s, e) = (ps, pe);
    }
    Ok(cur.first().copied())
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
