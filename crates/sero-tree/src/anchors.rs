//! The window of recent roots a validator accepts as anchors.

use crate::Base;
use std::collections::{HashMap, VecDeque};

/// Default number of recent roots accepted as a transaction's anchor.
///
/// A wallet proves membership against the root it last saw; by the time the
/// transaction is mined the tree has usually grown. Accepting the last 100
/// roots (one per block, so roughly the last 100 blocks) leaves room for
/// proving time, propagation, a congested mempool and short reorganisations,
/// while bounding the validator's state to 100 field elements and a hash
/// lookup. Old roots are not less sound, only unbounded to keep; a wallet
/// whose anchor has left the window simply refreshes its paths.
pub const DEFAULT_ANCHOR_WINDOW: usize = 100;

/// A bounded FIFO window of recent roots with `O(1)` membership.
///
/// [`Anchors::push`] appends a root and evicts the oldest entries beyond the
/// capacity. The same root may be pushed several times (a block that adds no
/// output keeps the root); it stays a member while any of its entries is in
/// the window. A capacity of 0 keeps nothing.
#[derive(Clone, Debug)]
pub struct Anchors {
    capacity: usize,
    window: VecDeque<Base>,
    counts: HashMap<Base, usize>,
}

impl Default for Anchors {
    fn default() -> Self {
        Self::new(DEFAULT_ANCHOR_WINDOW)
    }
}

impl Anchors {
    /// An empty window keeping at most `capacity` roots.
    pub fn new(capacity: usize) -> Self {
        Anchors {
            capacity,
            window: VecDeque::with_capacity(capacity.min(1 << 16)),
            counts: HashMap::new(),
        }
    }

    /// Appends `root`, evicting the oldest entries beyond the capacity.
    pub fn push(&mut self, root: Base) {
        self.window.push_back(root);
        *self.counts.entry(root).or_insert(0) += 1;
        while self.window.len() > self.capacity {
            let Some(old) = self.window.pop_front() else {
                break;
            };
            if let Some(count) = self.counts.get_mut(&old) {
                *count -= 1;
                if *count == 0 {
                    self.counts.remove(&old);
                }
            }
        }
    }

    /// Whether `root` is in the window.
    pub fn contains(&self, root: &Base) -> bool {
        self.counts.contains_key(root)
    }

    /// Number of entries in the window (repeated roots count each time).
    pub fn len(&self) -> usize {
        self.window.len()
    }

    /// Whether the window is empty.
    pub fn is_empty(&self) -> bool {
        self.window.is_empty()
    }

    /// Number of distinct roots in the window.
    pub fn distinct(&self) -> usize {
        self.counts.len()
    }

    /// The maximum number of entries.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The most recently pushed root.
    pub fn latest(&self) -> Option<Base> {
        self.window.back().copied()
    }

    /// The roots in the window, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Base> {
        self.window.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(n: u64) -> Base {
        Base::from(n)
    }

    #[test]
    fn evicts_oldest() {
        let mut a = Anchors::new(3);
        assert!(a.is_empty());
        for n in 1..=5 {
            a.push(b(n));
        }
        assert_eq!(a.len(), 3);
        assert!(!a.contains(&b(1)) && !a.contains(&b(2)));
        assert!(a.contains(&b(3)) && a.contains(&b(4)) && a.contains(&b(5)));
        assert_eq!(a.latest(), Some(b(5)));
        assert_eq!(
            a.iter().copied().collect::<Vec<_>>(),
            vec![b(3), b(4), b(5)]
        );
    }

    #[test]
    fn duplicates_stay_until_last_copy_leaves() {
        let mut a = Anchors::new(3);
        a.push(b(1));
        a.push(b(1));
        a.push(b(2));
        assert_eq!((a.len(), a.distinct()), (3, 2));
        a.push(b(3)); // evicts the first 1
        assert!(a.contains(&b(1)));
        a.push(b(4)); // evicts the second 1
        assert!(!a.contains(&b(1)));
        assert_eq!((a.len(), a.distinct()), (3, 3));
    }

    #[test]
    fn zero_capacity_keeps_nothing() {
        let mut a = Anchors::new(0);
        a.push(b(1));
        assert!(a.is_empty());
        assert!(!a.contains(&b(1)));
        assert_eq!(a.latest(), None);
    }

    #[test]
    fn default_window() {
        let mut a = Anchors::default();
        assert_eq!(a.capacity(), DEFAULT_ANCHOR_WINDOW);
        for n in 0..(DEFAULT_ANCHOR_WINDOW as u64 + 1) {
            a.push(b(n));
        }
        assert!(!a.contains(&b(0)));
        assert!(a.contains(&b(1)));
    }
}
