//! The frontier: the right-most path of the tree, for light nodes.

use crate::codec::{
    check_body_len, read_elements, read_header, write_elements, write_header, HEADER_LEN,
};
use crate::error::TreeError;
use crate::{empty_root, next_position, node_hash, Base, DEPTH};
use ark_ff::Zero;

const WHAT: &str = "frontier";
const MAGIC: &[u8; 8] = b"SEROFRNT";
const VERSION: u8 = 1;

/// The right-most path of a witness tree: the last leaf and, for each level
/// `i` where bit `i` of the last position is 1, the root of the complete left
/// subtree beside the path (its "ommer"). `O(DEPTH)` memory; gives the same
/// roots as [`crate::WitnessTree`] for the same appends, but no paths.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    last: Option<Last>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Last {
    /// Position of the last appended leaf.
    position: u64,
    leaf: Base,
    /// `ommers[i]` is meaningful iff bit `i` of `position` is 1; the other
    /// entries are kept at zero so that equality is structural.
    ommers: [Base; DEPTH],
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Frontier { last: None }
    }

    /// From the last position, its leaf and its ommers (entries at clear bits
    /// of `position` are ignored). Used to rebuild a frontier from persisted
    /// tree nodes (the node store of `sero-state`).
    pub fn from_parts(position: u64, leaf: Base, mut ommers: [Base; DEPTH]) -> Self {
        for (level, ommer) in ommers.iter_mut().enumerate() {
            if (position >> level) & 1 == 0 {
                *ommer = Base::zero();
            }
        }
        Frontier {
            last: Some(Last {
                position,
                leaf,
                ommers,
            }),
        }
    }

    /// Number of appended leaves.
    pub fn len(&self) -> u64 {
        self.last.as_ref().map_or(0, |l| l.position + 1)
    }

    /// Whether no leaf has been appended.
    pub fn is_empty(&self) -> bool {
        self.last.is_none()
    }

    /// Appends `leaf` and returns its position; [`TreeError::Full`] after 2^32
    /// leaves. At most `DEPTH` hashes (one on average).
    pub fn append(&mut self, leaf: Base) -> Result<u64, TreeError> {
        let position = next_position(self.len())?;
        match &mut self.last {
            None => {
                self.last = Some(Last {
                    position,
                    leaf,
                    ommers: [Base::zero(); DEPTH],
                })
            }
            Some(last) => {
                // The old leaf joins the complete subtrees to its left until
                // the first level where it is a left child: that subtree is
                // complete now and becomes the new path's ommer there.
                let mut carry = last.leaf;
                for level in 0..DEPTH {
                    if (last.position >> level) & 1 == 1 {
                        carry = node_hash(last.ommers[level], carry);
                        last.ommers[level] = Base::zero();
                    } else {
                        last.ommers[level] = carry;
                        break;
                    }
                }
                last.position = position;
                last.leaf = leaf;
            }
        }
        Ok(position)
    }

    /// The current root (`DEPTH` hashes).
    pub fn root(&self) -> Base {
        let Some(last) = &self.last else {
            return empty_root(DEPTH);
        };
        (0..DEPTH).fold(last.leaf, |node, level| {
            if (last.position >> level) & 1 == 1 {
                node_hash(last.ommers[level], node)
            } else {
                node_hash(node, empty_root(level))
            }
        })
    }

    /// The encoding `"SEROFRNT" ‖ 0x01 ‖ LE64(n)`, then for `n > 0`
    /// `LE(last leaf)` and the ommers at the set bits of `n − 1`, lowest
    /// level first.
    pub fn to_bytes(&self) -> Vec<u8> {
        let Some(last) = &self.last else {
            return write_header(MAGIC, VERSION, 0, 0);
        };
        let ommers: Vec<&Base> = set_levels(last.position)
            .map(|level| &last.ommers[level])
            .collect();
        let mut out = write_header(MAGIC, VERSION, last.position + 1, 1 + ommers.len());
        write_elements(&mut out, std::iter::once(&last.leaf).chain(ommers));
        out
    }

    /// Decodes [`Frontier::to_bytes`]. Rejects, each with its own error: bad
    /// magic, an unknown version, a count above 2^32, truncated input,
    /// trailing bytes and non-canonical elements (`index` 0 = the leaf).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TreeError> {
        let (count, body) = read_header(WHAT, MAGIC, VERSION, bytes)?;
        let Some(position) = count.checked_sub(1) else {
            check_body_len(WHAT, HEADER_LEN, body, 0)?;
            return Ok(Frontier::new());
        };
        check_body_len(WHAT, HEADER_LEN, body, 1 + u64::from(position.count_ones()))?;
        let elements = read_elements(WHAT, body)?;
        let mut ommers = [Base::zero(); DEPTH];
        for (level, ommer) in set_levels(position).zip(&elements[1..]) {
            ommers[level] = *ommer;
        }
        Ok(Frontier::from_parts(position, elements[0], ommers))
    }
}

impl Frontier {
    /// The value of the right-edge node at each level `0..=DEPTH` (the node
    /// holding the last leaf, empty subtrees on its right); `None` when
    /// empty.
    fn edge(&self) -> Option<[Base; DEPTH + 1]> {
        let last = self.last.as_ref()?;
        let mut out = [Base::zero(); DEPTH + 1];
        out[0] = last.leaf;
        for level in 0..DEPTH {
            out[level + 1] = if (last.position >> level) & 1 == 1 {
                node_hash(last.ommers[level], out[level])
            } else {
                node_hash(out[level], empty_root(level))
            };
        }
        Some(out)
    }

    /// Appends `leaves` and keeps Merkle paths current, as a light wallet
    /// needs for its own notes: every path in `paths` (positions already in
    /// the tree) is updated to the new root, and the paths of the new
    /// positions in `mark` are returned in `mark`'s order. Costs about
    /// `2·leaves.len() + DEPTH` hashes plus `DEPTH` reads per path, whatever
    /// the size of the tree. [`TreeError::PositionOutOfRange`] if a position
    /// in `paths` is not below the current length or one in `mark` is not
    /// among the new leaves; [`TreeError::Full`] past 2^32 leaves. On error
    /// nothing changes.
    pub fn append_tracking(
        &mut self,
        leaves: &[Base],
        paths: &mut [crate::MerklePath],
        mark: &[u64],
    ) -> Result<Vec<crate::MerklePath>, TreeError> {
        let m = self.len();
        let e0 = m
            .checked_add(leaves.len() as u64)
            .filter(|e| *e <= crate::CAPACITY)
            .ok_or(TreeError::Full)?;
        if let Some(p) = paths.iter().map(|p| p.position).find(|p| *p >= m) {
            return Err(TreeError::PositionOutOfRange {
                position: p,
                len: m,
            });
        }
        if let Some(&p) = mark.iter().find(|p| !(m..e0).contains(*p)) {
            return Err(TreeError::PositionOutOfRange {
                position: p,
                len: e0,
            });
        }
        if leaves.is_empty() {
            return Ok(vec![]);
        }
        let edge = self.edge();
        let ommers = self.last.as_ref().map(|l| l.ommers);
        // The complete node just left of the new ones at `level`.
        let left_of = |level: usize| -> Base {
            let (Some(edge), Some(ommers)) = (&edge, &ommers) else {
                return Base::zero(); // not reached: m = 0 needs no left node
            };
            if (m - 1) >> level == (m >> level) - 1 {
                edge[level]
            } else {
                ommers[level]
            }
        };
        // levels[l] = (first index, values) of the rewritten nodes of level l.
        let mut levels: Vec<(u64, Vec<Base>)> = Vec::with_capacity(DEPTH + 1);
        let (mut s, mut e) = (m, e0);
        let mut cur = leaves.to_vec();
        for level in 0..DEPTH {
            let (ps, pe) = (s >> 1, ((e - 1) >> 1) + 1);
            let above: Vec<Base> = (ps..pe)
                .map(|j| {
                    let left = if 2 * j >= s {
                        cur[(2 * j - s) as usize]
                    } else {
                        left_of(level)
                    };
                    let right = if 2 * j + 1 < e {
                        cur[(2 * j + 1 - s) as usize]
                    } else {
                        empty_root(level)
                    };
                    node_hash(left, right)
                })
                .collect();
            levels.push((s, std::mem::replace(&mut cur, above)));
            (s, e) = (ps, pe);
        }
        let new_node = |level: usize, index: u64| -> Option<Base> {
            let (first, values) = &levels[level];
            index
                .checked_sub(*first)
                .and_then(|i| values.get(i as usize).copied())
        };
        for path in paths.iter_mut() {
            for (level, sibling) in path.siblings.iter_mut().enumerate() {
                if let Some(v) = new_node(level, (path.position >> level) ^ 1) {
                    *sibling = v;
                }
            }
        }
        let marked = mark
            .iter()
            .map(|&p| {
                let mut siblings = [Base::zero(); DEPTH];
                for (level, sibling) in siblings.iter_mut().enumerate() {
                    let i = (p >> level) ^ 1;
                    *sibling = match new_node(level, i) {
                        Some(v) => v,
                        None if i < levels[level].0 => left_of(level),
                        None => empty_root(level),
                    };
                }
                crate::MerklePath {
                    position: p,
                    siblings,
                }
            })
            .collect();
        for l in leaves {
            self.append(*l)?;
        }
        Ok(marked)
    }
}

/// The levels `< DEPTH` where bit `level` of `position` is 1, ascending.
fn set_levels(position: u64) -> impl Iterator<Item = usize> {
    (0..DEPTH).filter(move |level| (position >> level) & 1 == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CAPACITY;

    #[test]
    fn full_frontier_refuses_appends() {
        // A frontier with 2^32 - 1 leaves, made from bytes: one more fits.
        let mut bytes = write_header(MAGIC, VERSION, CAPACITY - 1, 32);
        write_elements(&mut bytes, &[Base::from(9u64); 32]);
        let mut f = Frontier::from_bytes(&bytes).unwrap();
        assert_eq!(f.len(), CAPACITY - 1);
        let before = f.root();
        assert_eq!(f.append(Base::from(1u64)), Ok(CAPACITY - 1));
        assert_eq!(f.len(), CAPACITY);
        assert_ne!(f.root(), before);
        let full = f.clone();
        assert_eq!(f.append(Base::from(2u64)), Err(TreeError::Full));
        assert_eq!(f, full, "a refused append changes nothing");
        assert_eq!(Frontier::from_bytes(&f.to_bytes()), Ok(full));
    }

    #[test]
    fn tracked_paths_equal_the_full_tree() {
        use crate::WitnessTree;
        let sizes = [1usize, 0, 2, 3, 1, 7, 16, 5, 1, 1, 33, 2];
        let mut f = Frontier::new();
        let mut t = WitnessTree::new();
        let mut paths = vec![];
        let mut n = 0u64;
        for (round, k) in sizes.into_iter().enumerate() {
            let leaves: Vec<Base> = (0..k as u64).map(|i| Base::from(1000 + n + i)).collect();
            for l in &leaves {
                t.append(*l).unwrap();
            }
            // Mark every other new leaf, and the last one.
            let mark: Vec<u64> = (n..n + k as u64)
                .filter(|p| (p + round as u64).is_multiple_of(2) || *p + 1 == n + k as u64)
                .collect();
            let new = f.append_tracking(&leaves, &mut paths, &mark).unwrap();
            paths.extend(new);
            n += k as u64;
            assert_eq!(f.root(), t.root());
            assert_eq!(f, t.frontier());
            for p in &paths {
                assert_eq!(*p, t.path(p.position).unwrap(), "position {}", p.position);
            }
        }
        assert!(paths.len() > 10);
        // Bad positions are refused and change nothing.
        let before = f.clone();
        assert!(f
            .append_tracking(&[Base::from(1u64)], &mut [], &[0])
            .is_err());
        let mut future = [t.path(0).unwrap()];
        future[0].position = n;
        assert!(f
            .append_tracking(&[Base::from(1u64)], &mut future, &[])
            .is_err());
        assert_eq!(f, before);
    }

    #[test]
    fn encoding_length_follows_popcount() {
        let mut f = Frontier::new();
        assert_eq!(f.to_bytes().len(), HEADER_LEN);
        for n in 1..=16u64 {
            f.append(Base::from(n)).unwrap();
            let expected = HEADER_LEN + 32 * (1 + (n - 1).count_ones() as usize);
            assert_eq!(f.to_bytes().len(), expected);
            assert_eq!(Frontier::from_bytes(&f.to_bytes()).as_ref(), Ok(&f));
        }
    }
}
