//! Merkle authentication paths.

use crate::codec::{check_body_len, read_elements, write_elements, ELEMENT_LEN};
use crate::error::TreeError;
use crate::{node_hash, Base, CAPACITY, DEPTH};

const WHAT: &str = "Merkle path";

/// The authentication path of the leaf at `position`: `siblings[i]` is the
/// sibling of the path's node at level `i` (level 0 = leaves). Bit `i` of
/// `position` = 1 means the path's node at level `i` is the right child, so
/// its parent is `H_NODE(siblings[i], node)`; otherwise it is
/// `H_NODE(node, siblings[i])`.
///
/// Encoding ([`MerklePath::to_bytes`], [`MerklePath::ENCODED_LEN`] bytes):
/// `LE32(position) ‖ LE(siblings[0]) ‖ … ‖ LE(siblings[31])`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MerklePath {
    /// The leaf position, `< 2^32` for a valid path.
    pub position: u64,
    /// Siblings from the leaf level (0) up to level `DEPTH - 1`.
    pub siblings: [Base; DEPTH],
}

impl MerklePath {
    /// Length of the byte encoding: a `u32` position and 32 siblings.
    pub const ENCODED_LEN: usize = 4 + DEPTH * ELEMENT_LEN;

    /// The root this path gives for `leaf`. Only the low 32 bits of
    /// `position` are used; [`MerklePath::verify`] also rejects positions
    /// `>= 2^32`.
    pub fn root(&self, leaf: Base) -> Base {
        self.siblings
            .iter()
            .enumerate()
            .fold(leaf, |node, (level, sibling)| {
                if (self.position >> level) & 1 == 1 {
                    node_hash(*sibling, node)
                } else {
                    node_hash(node, *sibling)
                }
            })
    }

    /// Whether `leaf` sits at `position` in the tree with `root`.
    pub fn verify(&self, leaf: Base, root: Base) -> bool {
        self.position < CAPACITY && self.root(leaf) == root
    }

    /// The encoding `LE32(position) ‖ siblings`, or
    /// [`TreeError::InvalidPosition`] if `position >= 2^32` (possible only for
    /// a hand-built path).
    pub fn to_bytes(&self) -> Result<Vec<u8>, TreeError> {
        let position = u32::try_from(self.position).map_err(|_| TreeError::InvalidPosition {
            position: self.position,
        })?;
        let mut out = Vec::with_capacity(Self::ENCODED_LEN);
        out.extend_from_slice(&position.to_le_bytes());
        write_elements(&mut out, &self.siblings);
        Ok(out)
    }

    /// Decodes [`MerklePath::to_bytes`], rejecting short input
    /// ([`TreeError::Truncated`]), long input ([`TreeError::TrailingBytes`])
    /// and siblings `>= p` ([`TreeError::NonCanonical`], `index` = level).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TreeError> {
        if bytes.len() < 4 {
            return Err(TreeError::Truncated {
                what: WHAT,
                expected: Self::ENCODED_LEN,
                got: bytes.len(),
            });
        }
        let (head, body) = bytes.split_at(4);
        check_body_len(WHAT, 4, body, DEPTH as u64)?;
        let position = u32::from_le_bytes(head.try_into().expect("4 bytes")) as u64;
        let siblings: [Base; DEPTH] = read_elements(WHAT, body)?
            .try_into()
            .expect("length checked");
        Ok(MerklePath { position, siblings })
    }
}
