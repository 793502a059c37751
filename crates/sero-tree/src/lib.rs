//! The SERO witness tree (`docs/protocol.md` §6).
//!
//! An append-only Merkle tree of depth [`DEPTH`] = 32 over BN254 `Fr`
//! ([`Base`]) whose leaves are note authenticators
//! `CMauth = H_AUTH(position, CMout)` ([`cm_auth`]) and whose inner nodes are
//! `H_NODE(left, right)` ([`node_hash`]). Unfilled leaves are `0`, so an
//! empty subtree of height `i` hashes to [`empty_root`]`(i)`.
//!
//! * [`WitnessTree`]: every filled node, for full nodes and wallets: `O(depth)`
//!   appends, `O(1)` root, a [`MerklePath`] for any leaf against the current
//!   root.
//! * [`Frontier`]: only the right-most path (`O(depth)` memory) for light
//!   nodes; the same roots as the full tree.
//! * [`Anchors`]: a bounded FIFO window of recent roots that validators accept
//!   as a transaction's anchor.
//!
//! Everything is pure (no IO). Byte encodings reject every malformed input
//! with a distinct [`TreeError`] and never panic.
//!
//! ```
//! use sero_tree::{cm_auth, Anchors, Base, Frontier, WitnessTree};
//!
//! let mut tree = WitnessTree::new();
//! let mut light = Frontier::new();
//! let mut anchors = Anchors::default();
//! for cm_out in [11u64, 12, 13].map(Base::from) {
//!     let leaf = cm_auth(tree.len(), cm_out);
//!     tree.append(leaf)?;
//!     light.append(leaf)?;
//!     anchors.push(tree.root());
//! }
//! assert_eq!(light.root(), tree.root());
//! let path = tree.path(1)?;
//! assert!(path.verify(tree.leaf(1)?, tree.root()));
//! assert!(anchors.contains(&path.root(tree.leaf(1)?)));
//! let copy = WitnessTree::from_bytes(&tree.to_bytes())?;
//! assert_eq!(copy, tree);
//! # Ok::<(), sero_tree::TreeError>(())
//! ```

mod anchors;
mod codec;
mod error;
mod frontier;
mod path;
mod tree;
pub mod vectors;

pub use anchors::{Anchors, DEFAULT_ANCHOR_WINDOW};
pub use error::TreeError;
pub use frontier::{Frontier, NewNodes};
pub use path::MerklePath;
pub use sero_crypto::Base;
pub use tree::WitnessTree;

use ark_ff::Zero;
use sero_crypto::poseidon::{hash_tagged, hash_tagged_many, tags};
use std::sync::OnceLock;

/// Depth of the tree: 2^32 leaves, positions `0 .. 2^32`.
pub const DEPTH: usize = 32;

/// Number of leaves the tree holds when full (2^32).
pub const CAPACITY: u64 = 1 << DEPTH;

/// The leaf of the note output `cm_out` at `position`:
/// `CMauth = H_AUTH(position, CMout)` with tag `sero.cmauth.v1`. Binding the
/// position makes equal commitments at different positions distinct leaves
/// (and so distinct nullifiers).
pub fn cm_auth(position: u64, cm_out: Base) -> Base {
    hash_tagged(tags::AUTH, &[Base::from(position), cm_out])
}

/// An inner node: `H_NODE(left, right)` with tag `sero.tree.node.v1`.
pub fn node_hash(left: Base, right: Base) -> Base {
    hash_tagged(tags::NODE, &[left, right])
}

/// Work per parallel task in the `*_many` hashes (a multiple of the eight
/// lanes).
const CHUNK: usize = 32;

/// [`node_hash`] of every `[left, right]`: eight per vector pass where the
/// CPU has AVX-512 IFMA ([`hash_tagged_many`]), and in parallel.
pub fn node_hash_many(pairs: &[[Base; 2]]) -> Vec<Base> {
    hash_pairs(tags::NODE, pairs)
}

/// [`cm_auth`] of `cms[i]` at position `first + i`, as [`node_hash_many`].
pub fn cm_auth_many(first: u64, cms: &[Base]) -> Vec<Base> {
    let rows: Vec<[Base; 2]> = (first..)
        .zip(cms)
        .map(|(pos, cm)| [Base::from(pos), *cm])
        .collect();
    hash_pairs(tags::AUTH, &rows)
}

/// `H_tag` of every pair, in lanes, [`CHUNK`] pairs per parallel task.
fn hash_pairs(tag: &str, pairs: &[[Base; 2]]) -> Vec<Base> {
    use rayon::prelude::*;
    if pairs.len() <= CHUNK {
        return hash_tagged_many(tag, pairs);
    }
    pairs
        .par_chunks(CHUNK)
        .flat_map_iter(|c| hash_tagged_many(tag, c))
        .collect()
}

/// The root of an empty subtree of height `level` (`0 ..= DEPTH`):
/// `empty(0) = 0`, `empty(i + 1) = H_NODE(empty(i), empty(i))`. Levels above
/// `DEPTH` are clamped to `DEPTH`.
pub fn empty_root(level: usize) -> Base {
    empty_roots()[level.min(DEPTH)]
}

/// All empty-subtree roots, levels `0 ..= DEPTH`, computed once.
pub fn empty_roots() -> &'static [Base; DEPTH + 1] {
    static EMPTY: OnceLock<[Base; DEPTH + 1]> = OnceLock::new();
    EMPTY.get_or_init(|| {
        let mut e = [Base::zero(); DEPTH + 1];
        for i in 0..DEPTH {
            e[i + 1] = node_hash(e[i], e[i]);
        }
        e
    })
}

/// The position the next append gets in a tree of `len` leaves, or
/// [`TreeError::Full`].
pub(crate) fn next_position(len: u64) -> Result<u64, TreeError> {
    if len >= CAPACITY {
        Err(TreeError::Full)
    } else {
        Ok(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_roots_chain() {
        let e = empty_roots();
        assert_eq!(e[0], Base::zero());
        for i in 0..DEPTH {
            assert_eq!(e[i + 1], node_hash(e[i], e[i]));
            assert_eq!(empty_root(i), e[i]);
        }
        assert_eq!(empty_root(DEPTH + 5), e[DEPTH]);
    }

    #[test]
    fn hashes_are_domain_separated() {
        let (a, b) = (Base::from(3u64), Base::from(4u64));
        assert_ne!(node_hash(a, b), node_hash(b, a));
        assert_ne!(node_hash(a, b), cm_auth(3, b));
        assert_ne!(
            node_hash(a, b),
            sero_crypto::poseidon::hash(&[a, b]),
            "tag in the capacity element"
        );
        assert_ne!(cm_auth(1, a), cm_auth(2, a));
    }

    #[test]
    fn many_equal_one_at_a_time() {
        for n in [0u64, 1, 9, 33, 100] {
            let cms: Vec<Base> = (0..n).map(|i| Base::from(5 + i * i)).collect();
            let want: Vec<Base> = (0..n).map(|i| cm_auth(70 + i, cms[i as usize])).collect();
            assert_eq!(cm_auth_many(70, &cms), want);
            let pairs: Vec<[Base; 2]> = cms.iter().map(|c| [*c, -*c]).collect();
            let want: Vec<Base> = pairs.iter().map(|[a, b]| node_hash(*a, *b)).collect();
            assert_eq!(node_hash_many(&pairs), want);
        }
    }

    #[test]
    fn next_position_stops_at_capacity() {
        assert_eq!(next_position(0), Ok(0));
        assert_eq!(next_position(CAPACITY - 1), Ok(CAPACITY - 1));
        assert_eq!(next_position(CAPACITY), Err(TreeError::Full));
        assert_eq!(next_position(u64::MAX), Err(TreeError::Full));
    }
}
