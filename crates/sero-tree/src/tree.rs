//! The full witness tree: every filled node of every level.

use crate::codec::{
    check_body_len, read_elements, read_header, write_elements, write_header, HEADER_LEN,
};
use crate::error::TreeError;
use crate::{empty_root, next_position, node_hash, Base, Frontier, MerklePath, CAPACITY, DEPTH};
use std::fmt;

const WHAT: &str = "witness tree";
/// Magic bytes of [`WitnessTree::to_bytes`].
pub(crate) const MAGIC: &[u8; 8] = b"SEROTREE";
/// Encoding version of [`WitnessTree::to_bytes`].
pub(crate) const VERSION: u8 = 1;

/// The append-only witness tree with every filled node stored.
///
/// `levels[i]` holds the nodes of level `i` (level 0 = leaves, level
/// [`DEPTH`] = root) whose subtree contains at least one leaf: with `n`
/// leaves, `ceil(n / 2^i)` of them. A missing right child is the empty
/// subtree [`empty_root`]`(i)`. An append rewrites only the right-most path
/// (`DEPTH` hashes); the root is read in `O(1)`; memory is about `2n`
/// field elements.
#[derive(Clone, PartialEq, Eq)]
pub struct WitnessTree {
    levels: Vec<Vec<Base>>,
}

impl Default for WitnessTree {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for WitnessTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WitnessTree")
            .field("len", &self.len())
            .field("root", &self.root())
            .finish()
    }
}

impl WitnessTree {
    /// An empty tree (root [`empty_root`]`(DEPTH)`).
    pub fn new() -> Self {
        WitnessTree {
            levels: vec![Vec::new(); DEPTH + 1],
        }
    }

    /// Builds a tree from its leaves level by level (about `n` hashes, half
    /// the work of appending one at a time and no repeated path rewrites).
    /// Fails with [`TreeError::CountTooLarge`] beyond 2^32 leaves.
    pub fn from_leaves(leaves: Vec<Base>) -> Result<Self, TreeError> {
        if leaves.len() as u64 > CAPACITY {
            return Err(TreeError::CountTooLarge {
                what: WHAT,
                count: leaves.len() as u64,
            });
        }
        let mut levels = Vec::with_capacity(DEPTH + 1);
        levels.push(leaves);
        for level in 0..DEPTH {
            let below = &levels[level];
            let empty = empty_root(level);
            let pairs: Vec<[Base; 2]> = below
                .chunks(2)
                .map(|pair| [pair[0], pair.get(1).copied().unwrap_or(empty)])
                .collect();
            let above = crate::node_hash_many(&pairs);
            levels.push(above);
        }
        Ok(WitnessTree { levels })
    }

    /// Number of appended leaves.
    pub fn len(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// Node `index` of `level` (`0..=DEPTH`; level 0 = the leaves), if its
    /// subtree holds a leaf.
    pub fn node(&self, level: usize, index: u64) -> Option<Base> {
        self.levels
            .get(level)?
            .get(usize::try_from(index).ok()?)
            .copied()
    }

    /// Whether no leaf has been appended.
    pub fn is_empty(&self) -> bool {
        self.levels[0].is_empty()
    }

    /// The current root.
    pub fn root(&self) -> Base {
        self.levels[DEPTH]
            .first()
            .copied()
            .unwrap_or_else(|| empty_root(DEPTH))
    }

    /// Appends `leaf` (a `CMauth`, see [`crate::cm_auth`]) and returns its
    /// position; [`TreeError::Full`] after 2^32 leaves.
    pub fn append(&mut self, leaf: Base) -> Result<u64, TreeError> {
        let position = next_position(self.len())?;
        self.levels[0].push(leaf);
        let mut node = leaf;
        for level in 0..DEPTH {
            let index = (position >> level) as usize;
            node = if index & 1 == 1 {
                node_hash(self.levels[level][index - 1], node)
            } else {
                node_hash(node, empty_root(level))
            };
            let parent = index >> 1;
            let above = &mut self.levels[level + 1];
            if parent == above.len() {
                above.push(node);
            } else {
                above[parent] = node;
            }
        }
        Ok(position)
    }

    /// The leaf at `position`.
    pub fn leaf(&self, position: u64) -> Result<Base, TreeError> {
        self.check_position(position)?;
        Ok(self.levels[0][position as usize])
    }

    /// The authentication path of `position` against the current root.
    pub fn path(&self, position: u64) -> Result<MerklePath, TreeError> {
        self.check_position(position)?;
        let mut siblings = [Base::from(0u64); DEPTH];
        for (level, sibling) in siblings.iter_mut().enumerate() {
            let index = ((position >> level) ^ 1) as usize;
            *sibling = self.levels[level]
                .get(index)
                .copied()
                .unwrap_or_else(|| empty_root(level));
        }
        Ok(MerklePath { position, siblings })
    }

    /// The right-most path of this tree as a compact [`Frontier`].
    pub fn frontier(&self) -> Frontier {
        let Some(last) = self.len().checked_sub(1) else {
            return Frontier::new();
        };
        let mut ommers = [Base::from(0u64); DEPTH];
        for (level, ommer) in ommers.iter_mut().enumerate() {
            if (last >> level) & 1 == 1 {
                *ommer = self.levels[level][((last >> level) - 1) as usize];
            }
        }
        Frontier::from_parts(last, self.levels[0][last as usize], ommers)
    }

    /// The encoding `"SEROTREE" ‖ 0x01 ‖ LE64(n) ‖ LE(leaf_0) ‖ … ‖
    /// LE(leaf_{n-1})`: leaves only, inner nodes are recomputed on load.
    pub fn to_bytes(&self) -> Vec<u8> {
        let leaves = &self.levels[0];
        let mut out = write_header(MAGIC, VERSION, self.len(), leaves.len());
        write_elements(&mut out, leaves);
        out
    }

    /// Decodes [`WitnessTree::to_bytes`] and rebuilds the inner nodes level
    /// by level. Rejects, each with its own error: bad magic, an unknown
    /// version, a count above 2^32, truncated input, trailing bytes and
    /// non-canonical leaves (`index` = position).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TreeError> {
        let (count, body) = read_header(WHAT, MAGIC, VERSION, bytes)?;
        check_body_len(WHAT, HEADER_LEN, body, count)?;
        Self::from_leaves(read_elements(WHAT, body)?)
    }

    fn check_position(&self, position: u64) -> Result<(), TreeError> {
        if position < self.len() {
            Ok(())
        } else {
            Err(TreeError::PositionOutOfRange {
                position,
                len: self.len(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::empty_roots;

    fn leaves(n: u64) -> Vec<Base> {
        (0..n).map(|i| Base::from(1000 + i)).collect()
    }

    #[test]
    fn empty_tree() {
        let t = WitnessTree::new();
        assert_eq!(t.len(), 0);
        assert!(t.is_empty());
        assert_eq!(t.root(), empty_roots()[DEPTH]);
        assert_eq!(
            t.path(0),
            Err(TreeError::PositionOutOfRange {
                position: 0,
                len: 0
            })
        );
        assert_eq!(t.frontier(), Frontier::new());
        assert_eq!(WitnessTree::from_bytes(&t.to_bytes()), Ok(t));
    }

    #[test]
    fn small_tree_by_hand() {
        let mut t = WitnessTree::new();
        let (a, b, c) = (Base::from(1u64), Base::from(2u64), Base::from(3u64));
        assert_eq!(t.append(a), Ok(0));
        assert_eq!(t.append(b), Ok(1));
        assert_eq!(t.append(c), Ok(2));
        let mut root = node_hash(node_hash(a, b), node_hash(c, Base::from(0u64)));
        for level in 2..DEPTH {
            root = node_hash(root, empty_roots()[level]);
        }
        assert_eq!(t.root(), root);
        assert_eq!(t.leaf(2), Ok(c));
        assert_eq!(
            t.leaf(3),
            Err(TreeError::PositionOutOfRange {
                position: 3,
                len: 3
            })
        );
    }

    #[test]
    fn from_leaves_equals_appends() {
        for n in [0u64, 1, 2, 3, 4, 5, 8, 17] {
            let mut t = WitnessTree::new();
            for l in leaves(n) {
                t.append(l).unwrap();
            }
            let built = WitnessTree::from_leaves(leaves(n)).unwrap();
            assert_eq!(built, t, "n = {n}");
            assert_eq!(built.frontier(), {
                let mut f = Frontier::new();
                for l in leaves(n) {
                    f.append(l).unwrap();
                }
                f
            });
        }
    }

    #[test]
    fn paths_verify() {
        let t = WitnessTree::from_leaves(leaves(11)).unwrap();
        for p in 0..11 {
            let path = t.path(p).unwrap();
            assert!(path.verify(t.leaf(p).unwrap(), t.root()));
            assert!(!path.verify(Base::from(7u64), t.root()));
        }
        assert!(t.path(11).is_err());
        assert!(t.path(u64::MAX).is_err());
    }

    #[test]
    fn debug_is_short() {
        let s = format!("{:?}", WitnessTree::from_leaves(leaves(3)).unwrap());
        assert!(s.starts_with("WitnessTree { len: 3, root: "));
    }
}
