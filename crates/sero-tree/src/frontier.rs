//! The frontier: the right-most path of the tree, for light nodes.

use crate::codec::{
    check_body_len, read_elements, read_header, write_elements, write_header, HEADER_LEN,
};
use crate::error::TreeError;
use crate::{empty_root, next_position, node_hash, node_hash_many, Base, DEPTH};
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

/// The nodes an append of several leaves writes: at each level
/// `0..=DEPTH`, the nodes whose subtree holds a new leaf (level 0: the
/// leaves themselves; level `DEPTH`: the root), nodes on the right edge
/// hashed with the empty subtrees to their right, as
/// [`crate::WitnessTree`] holds them. From [`Frontier::append_batch`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewNodes {
    /// `levels[l] = (index of the first node, values)`.
    levels: Vec<(u64, Vec<Base>)>,
}

impl NewNodes {
    /// The index of the first new node of `level` (`0..=DEPTH`) and the
    /// values from it on.
    pub fn level(&self, level: usize) -> (u64, &[Base]) {
        let (first, values) = &self.levels[level];
        (*first, values)
    }

    /// The tree's root after the append.
    pub fn root(&self) -> Base {
        self.levels[DEPTH].1[0]
    }

    /// The new node `index` of `level`, if the append wrote it.
    fn get(&self, level: usize, index: u64) -> Option<Base> {
        let (first, values) = &self.levels[level];
        index
            .checked_sub(*first)
            .and_then(|i| values.get(i as usize).copied())
    }
}

impl Frontier {
    /// At each level where bit `level` of the length is 1 (zero elsewhere),
    /// the complete node just left of the first new node of an append: the
    /// ommer there, except at the length's lowest set bit, where it is the
    /// (full) subtree ending with the last leaf (that many hashes, once).
    fn left_nodes(&self) -> [Base; DEPTH] {
        let mut out = [Base::zero(); DEPTH];
        let Some(last) = &self.last else {
            return out; // an empty tree has no left node
        };
        let m = last.position + 1;
        let lowest = m.trailing_zeros() as usize;
        for (level, node) in out.iter_mut().enumerate() {
            if (m >> level) & 1 == 0 {
                continue;
            }
            *node = if level > lowest {
                last.ommers[level]
            } else {
                // Bits `0..level` of the last position are all 1.
                (0..level).fold(last.leaf, |node, l| node_hash(last.ommers[l], node))
            };
        }
        out
    }

    /// Appends `leaves` (in order) as [`Frontier::append`] would one by one,
    /// hashing every new node once, level by level (a level's nodes
    /// together: [`node_hash_many`]), and returns them: about `leaves.len() + DEPTH` hashes in
    /// all, the root included. [`TreeError::Full`] past 2^32 leaves, and
    /// nothing changes. An empty `leaves` is an empty append (its root is
    /// the current one).
    pub fn append_batch(&mut self, leaves: &[Base]) -> Result<NewNodes, TreeError> {
        self.append_levels(leaves).map(|(nodes, _)| nodes)
    }

    /// [`Frontier::append_batch`], also returning the tree's left nodes
    /// before the append ([`Frontier::left_nodes`]).
    fn append_levels(&mut self, leaves: &[Base]) -> Result<(NewNodes, [Base; DEPTH]), TreeError> {
        let m = self.len();
        let e0 = m
            .checked_add(leaves.len() as u64)
            .filter(|e| *e <= crate::CAPACITY)
            .ok_or(TreeError::Full)?;
        if leaves.is_empty() {
            let mut levels = vec![(m, vec![]); DEPTH];
            levels.push((0, vec![self.root()]));
            return Ok((NewNodes { levels }, [Base::zero(); DEPTH]));
        }
        let lefts = self.left_nodes();
        let mut levels: Vec<(u64, Vec<Base>)> = Vec::with_capacity(DEPTH + 1);
        let (mut s, mut e) = (m, e0);
        let mut cur = leaves.to_vec();
        for (level, &left) in lefts.iter().enumerate() {
            let (ps, pe) = (s >> 1, ((e - 1) >> 1) + 1);
            let pair = |j: u64| {
                let l = if 2 * j >= s {
                    cur[(2 * j - s) as usize]
                } else {
                    left
                };
                let r = if 2 * j + 1 < e {
                    cur[(2 * j + 1 - s) as usize]
                } else {
                    empty_root(level)
                };
                [l, r]
            };
            let above: Vec<Base> = if pe - ps >= 2 {
                // In lanes (and in parallel when many).
                node_hash_many(&(ps..pe).map(pair).collect::<Vec<_>>())
            } else {
                let [l, r] = pair(ps);
                vec![node_hash(l, r)]
            };
            levels.push((s, std::mem::replace(&mut cur, above)));
            (s, e) = (ps, pe);
        }
        levels.push((s, cur));
        let nodes = NewNodes { levels };
        // The new right-most path: the last leaf and, at each set bit of
        // its position, the node to the left (new, or the old one left of
        // the new nodes).
        let position = e0 - 1;
        let mut ommers = [Base::zero(); DEPTH];
        for level in set_levels(position) {
            let i = (position >> level) - 1;
            ommers[level] = nodes.get(level, i).unwrap_or(lefts[level]);
        }
        self.last = Some(Last {
            position,
            leaf: leaves[leaves.len() - 1],
            ommers,
        });
        Ok((nodes, lefts))
    }

    /// Appends `leaves` and keeps Merkle paths current, as a light wallet
    /// needs for its own notes: every path in `paths` (positions already in
    /// the tree) is updated to the new root, and the paths of the new
    /// positions in `mark` are returned in `mark`'s order. Costs about
    /// `leaves.len() + DEPTH` hashes plus `DEPTH` reads per path, whatever
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
        let (nodes, lefts) = self.append_levels(leaves)?;
        for path in paths.iter_mut() {
            for (level, sibling) in path.siblings.iter_mut().enumerate() {
                if let Some(v) = nodes.get(level, (path.position >> level) ^ 1) {
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
                    *sibling = match nodes.get(level, i) {
                        Some(v) => v,
                        None if i < nodes.level(level).0 => lefts[level],
                        None => empty_root(level),
                    };
                }
                crate::MerklePath {
                    position: p,
                    siblings,
                }
            })
            .collect();
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
    fn batch_appends_equal_one_by_one_and_the_full_tree() {
        use crate::WitnessTree;
        // Sizes crossing many level boundaries, from lengths of every
        // parity (the left node of a level is an ommer or the full edge).
        let sizes = [
            0usize, 1, 1, 2, 3, 0, 5, 8, 1, 16, 7, 9, 31, 33, 64, 2, 100, 1,
        ];
        let mut batch = Frontier::new();
        let mut single = Frontier::new();
        let mut t = WitnessTree::new();
        let mut n = 0u64;
        for k in sizes {
            let leaves: Vec<Base> = (0..k as u64).map(|i| Base::from(7 + 3 * (n + i))).collect();
            let nodes = batch.append_batch(&leaves).unwrap();
            for l in &leaves {
                single.append(*l).unwrap();
                t.append(*l).unwrap();
            }
            n += k as u64;
            assert_eq!(batch, single, "after {n} leaves");
            assert_eq!(nodes.root(), t.root());
            assert_eq!(batch.root(), t.root());
            // Every new node is the full tree's node there (level 0: the
            // leaves; a node covers leaves index·2^l ..).
            for level in 0..=DEPTH {
                let (first, values) = nodes.level(level);
                if k == 0 {
                    // Nothing new but the (unchanged) root.
                    assert_eq!(values.len(), usize::from(level == DEPTH));
                    continue;
                }
                assert_eq!(first, (n - k as u64) >> level, "level {level}");
                assert_eq!(values.len() as u64, ((n - 1) >> level) - first + 1);
                for (j, v) in (first..).zip(values) {
                    assert_eq!(Some(*v), t.node(level, j), "node {level}/{j}");
                }
            }
        }
    }

    #[test]
    fn a_full_batch_is_refused_and_changes_nothing() {
        let mut bytes = write_header(MAGIC, VERSION, CAPACITY - 2, 32);
        write_elements(&mut bytes, &[Base::from(9u64); 32]);
        let mut f = Frontier::from_bytes(&bytes).unwrap();
        let before = f.clone();
        let three = [Base::from(1u64), Base::from(2u64), Base::from(3u64)];
        assert_eq!(f.append_batch(&three), Err(TreeError::Full));
        assert_eq!(f, before);
        let nodes = f.append_batch(&three[..2]).unwrap();
        let mut single = before;
        single.append(three[0]).unwrap();
        single.append(three[1]).unwrap();
        assert_eq!(f, single);
        assert_eq!(nodes.root(), single.root());
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
