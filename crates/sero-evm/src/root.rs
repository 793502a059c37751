//! The state root as an incremental, homomorphic multiset hash
//! (LtHash, Bellare–Micciancio; the lattice parameters of Lewi et al.,
//! "Securing update propagation with homomorphic hashing", 2019, also used
//! by Solana for its accounts): a vector of 1,024 lanes of 16 bits,
//! `acc = Σ lanes(entry)` over the entries, wrapping per lane. Adding or
//! removing one entry is one lane expansion, so a block's root costs what
//! its changes cost, not what the whole state holds.
//!
//! The entries are of two kinds, told apart by the personalisation of their
//! digest (so no entry of one kind, whatever its bytes, has the digest of
//! an entry of the other):
//!
//! * a contract-state entry `(key, value)`: digest `d =
//!   BLAKE2b-256_{SERO_EvmLtEntry1}(u32 BE len ‖ key ‖ u32 BE len ‖ value)`;
//! * a spent-set entry (a spent nullifier or a til, [`Spent`]): digest `d =
//!   BLAKE2b-256_{SERO_SpentLtEnt1}(kind ‖ id)`, `kind` one byte (`0x01`
//!   nullifier, `0x02` til), `id` its 32-byte canonical encoding. No value:
//!   the set's membership is what a double spend depends on.
//!
//! Then, for either kind:
//!
//! * lanes: the 2,048 bytes `BLAKE2b-512_{SERO_EvmLtLanes1}(d ‖ i)` for
//!   `i = 0..32` (one byte), concatenated, read as 1,024 little-endian u16;
//! * root `= BLAKE2b-256_{SERO_EvmStateRt2}(acc as 1,024 LE u16)`.
//!
//! The empty state's accumulator is all zeros. A set hash (not a Merkle
//! tree): it commits to the state for consensus and snapshot checks, but
//! gives no membership proofs.

use sero_crypto::hash::tags;

/// Lanes of the accumulator.
pub const LANES: usize = 1024;

/// The LtHash accumulator of a set of entries: contract-state `(key,
/// value)` pairs and spent-set entries.
#[derive(Clone, PartialEq, Eq)]
pub struct LtHash(Box<[u16; LANES]>);

impl Default for LtHash {
    fn default() -> Self {
        LtHash(Box::new([0; LANES]))
    }
}

impl std::fmt::Debug for LtHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LtHash({})", hex::encode(self.root()))
    }
}

/// A spent-set entry's kind (the first byte of its digest input).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Spent {
    /// A spent nullifier (the `nullifiers` table).
    Nullifier = 0x01,
    /// A recorded til (the `tils` table).
    Til = 0x02,
}

/// The digest of the contract-state entry `(key, value)`.
fn entry_digest(key: &[u8], value: &[u8]) -> [u8; 32] {
    let mut d = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(tags::EVM_LTHASH_ENTRY)
        .to_state();
    d.update(&(key.len() as u32).to_be_bytes());
    d.update(key);
    d.update(&(value.len() as u32).to_be_bytes());
    d.update(value);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.finalize().as_bytes());
    out
}

/// The digest of the spent-set entry `id` of `kind` (see the module
/// documentation).
pub fn spent_digest(kind: Spent, id: &[u8; 32]) -> [u8; 32] {
    let mut d = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(tags::SPENT_LTHASH_ENTRY)
        .to_state();
    d.update(&[kind as u8]);
    d.update(id);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.finalize().as_bytes());
    out
}

/// The lanes of the entry digest `d`.
fn lanes(d: &[u8; 32]) -> [u16; LANES] {
    let mut out = [0u16; LANES];
    let params = {
        let mut p = blake2b_simd::Params::new();
        p.hash_length(64).personal(tags::EVM_LTHASH_LANES);
        p
    };
    for (i, chunk) in out.chunks_mut(32).enumerate() {
        let mut st = params.to_state();
        st.update(d);
        st.update(&[i as u8]);
        let h = st.finalize();
        for (lane, b) in chunk.iter_mut().zip(h.as_bytes().chunks(2)) {
            *lane = u16::from_le_bytes([b[0], b[1]]);
        }
    }
    out
}

impl LtHash {
    /// The accumulator of `entries` (any order; each key once).
    pub fn of<K: AsRef<[u8]>, V: AsRef<[u8]>>(entries: impl IntoIterator<Item = (K, V)>) -> Self {
        let mut h = LtHash::default();
        for (k, v) in entries {
            h.add(k.as_ref(), v.as_ref());
        }
        h
    }

    fn add_lanes(&mut self, d: &[u8; 32]) {
        for (a, l) in self.0.iter_mut().zip(lanes(d)) {
            *a = a.wrapping_add(l);
        }
    }

    fn sub_lanes(&mut self, d: &[u8; 32]) {
        for (a, l) in self.0.iter_mut().zip(lanes(d)) {
            *a = a.wrapping_sub(l);
        }
    }

    /// Adds the contract-state entry `(key, value)`.
    pub fn add(&mut self, key: &[u8], value: &[u8]) {
        self.add_lanes(&entry_digest(key, value));
    }

    /// Removes the contract-state entry `(key, value)` (which must have
    /// been added).
    pub fn remove(&mut self, key: &[u8], value: &[u8]) {
        self.sub_lanes(&entry_digest(key, value));
    }

    /// Adds the spent-set entry `id` of `kind` (a block's nullifier or til).
    pub fn add_spent(&mut self, kind: Spent, id: &[u8; 32]) {
        self.add_lanes(&spent_digest(kind, id));
    }

    /// Removes the spent-set entry `id` of `kind` (which must have been
    /// added).
    pub fn remove_spent(&mut self, kind: Spent, id: &[u8; 32]) {
        self.sub_lanes(&spent_digest(kind, id));
    }

    /// Replaces the value under `key`: `old`/`new` `None` when absent.
    pub fn update(&mut self, key: &[u8], old: Option<&[u8]>, new: Option<&[u8]>) {
        if old == new {
            return;
        }
        if let Some(o) = old {
            self.remove(key, o);
        }
        if let Some(n) = new {
            self.add(key, n);
        }
    }

    /// Adds every entry of `other` (lane-wise): the accumulator of the
    /// union of two disjoint sets, so a set can be hashed in parts (in
    /// parallel) and the parts added, in any order.
    pub fn merge(&mut self, other: &LtHash) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a = a.wrapping_add(*b);
        }
    }

    /// The accumulator's bytes (1,024 little-endian u16).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|l| l.to_le_bytes()).collect()
    }

    /// The accumulator from [`to_bytes`](Self::to_bytes); `None` unless
    /// exactly 2,048 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != 2 * LANES {
            return None;
        }
        let mut lanes = Box::new([0u16; LANES]);
        for (l, b) in lanes.iter_mut().zip(bytes.chunks_exact(2)) {
            *l = u16::from_le_bytes([b[0], b[1]]);
        }
        Some(LtHash(lanes))
    }

    /// The state root.
    pub fn root(&self) -> [u8; 32] {
        let mut st = blake2b_simd::Params::new()
            .hash_length(32)
            .personal(tags::EVM_STATE_ROOT)
            .to_state();
        st.update(&self.to_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(st.finalize().as_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_free_incremental_and_removable() {
        let a = LtHash::of([(b"k1".as_slice(), b"v1".as_slice()), (b"k2", b"v2")]);
        let b = LtHash::of([(b"k2".as_slice(), b"v2".as_slice()), (b"k1", b"v1")]);
        assert_eq!(a, b);
        let mut c = a.clone();
        c.update(b"k1", Some(b"v1"), Some(b"v9"));
        assert_ne!(c.root(), a.root());
        c.update(b"k1", Some(b"v9"), Some(b"v1"));
        assert_eq!(c, a);
        c.update(b"k1", Some(b"v1"), None);
        c.update(b"k2", Some(b"v2"), None);
        assert_eq!(c, LtHash::default());
        // A spent entry is removable and differs by kind.
        let mut d = a.clone();
        d.add_spent(Spent::Nullifier, &[7; 32]);
        assert_ne!(d, a);
        let mut t = a.clone();
        t.add_spent(Spent::Til, &[7; 32]);
        assert_ne!(t, d);
        d.remove_spent(Spent::Nullifier, &[7; 32]);
        assert_eq!(d, a);
        // Parts hashed apart and merged give the whole.
        let mut m = LtHash::of([(b"k1".as_slice(), b"v1".as_slice())]);
        m.merge(&LtHash::of([(b"k2".as_slice(), b"v2".as_slice())]));
        assert_eq!(m, a);
        // Key/value boundaries are framed: (k1, v) ≠ (k, 1v).
        assert_ne!(
            LtHash::of([(b"k1".as_slice(), b"v".as_slice())]),
            LtHash::of([(b"k".as_slice(), b"1v".as_slice())])
        );
    }
}
