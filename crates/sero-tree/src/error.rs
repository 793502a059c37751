//! Errors of the witness tree, its paths, frontiers and their encodings.

use thiserror::Error;

/// Everything that can go wrong with the witness tree. Decoding errors name
/// the structure (`what`: "witness tree", "frontier" or "Merkle path") and
/// each malformation has its own variant.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TreeError {
    /// The tree (or frontier) already holds 2^32 leaves.
    #[error("the witness tree is full (it holds 2^32 leaves)")]
    Full,
    /// A leaf position at or beyond the number of appended leaves.
    #[error("position {position} is out of range: the tree has {len} leaves")]
    PositionOutOfRange { position: u64, len: u64 },
    /// A Merkle path position that is not below 2^32 (it cannot be encoded).
    #[error("path position {position} is not below 2^32")]
    InvalidPosition { position: u64 },
    /// The encoding does not start with the expected magic bytes.
    #[error("not a serialised {what}: bad magic bytes (expected {expected:?})")]
    BadMagic {
        what: &'static str,
        expected: &'static str,
    },
    /// The encoding has a version this implementation does not know.
    #[error(
        "unsupported {what} version {version} (this implementation reads version {supported})"
    )]
    UnsupportedVersion {
        what: &'static str,
        version: u8,
        supported: u8,
    },
    /// The leaf count in the header exceeds the capacity 2^32.
    #[error("{what} leaf count {count} exceeds the capacity 2^32")]
    CountTooLarge { what: &'static str, count: u64 },
    /// The input ends before the encoding does.
    #[error("truncated {what}: expected {expected} bytes, got {got}")]
    Truncated {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// The input continues after the encoding ends.
    #[error("trailing bytes after {what}: expected {expected} bytes, got {got}")]
    TrailingBytes {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// A 32-byte field element that is not the canonical encoding (>= p).
    #[error("non-canonical field element #{index} in {what} (value >= p)")]
    NonCanonical { what: &'static str, index: usize },
}
