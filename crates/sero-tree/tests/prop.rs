//! Property tests of the witness tree against a naive reference.

use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sero_crypto::poseidon::{hash_tagged, tags};
use sero_tree::{Anchors, Base, Frontier, MerklePath, WitnessTree, DEPTH};
use std::collections::VecDeque;

fn h(l: Base, r: Base) -> Base {
    hash_tagged(tags::NODE, &[l, r])
}

/// The root by brute force: pad the leaves with zero leaves to the next power
/// of two, hash every full level, then climb the remaining levels beside
/// empty subtrees (each obtained by hashing zero leaves).
fn naive_root(leaves: &[Base]) -> Base {
    let mut width = 1;
    let mut k = 0;
    while width < leaves.len() {
        width *= 2;
        k += 1;
    }
    let mut level: Vec<Base> = leaves.to_vec();
    level.resize(width, Base::from(0u64));
    let mut empty = Base::from(0u64);
    for _ in 0..k {
        level = level.chunks(2).map(|p| h(p[0], p[1])).collect();
        empty = h(empty, empty);
    }
    let mut root = level[0];
    for _ in k..DEPTH {
        root = h(root, empty);
        empty = h(empty, empty);
    }
    root
}

fn random_leaves(seed: u64, n: usize) -> Vec<Base> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    (0..n).map(|_| Base::from(rng.gen::<u128>())).collect()
}

fn build(leaves: &[Base]) -> WitnessTree {
    let mut t = WitnessTree::new();
    for (i, l) in leaves.iter().enumerate() {
        assert_eq!(t.append(*l), Ok(i as u64));
    }
    t
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn root_matches_naive(seed: u64, n in 0usize..150) {
        let leaves = random_leaves(seed, n);
        let t = build(&leaves);
        prop_assert_eq!(t.len(), n as u64);
        prop_assert_eq!(t.root(), naive_root(&leaves));
        prop_assert_eq!(WitnessTree::from_leaves(leaves.clone()).unwrap(), t.clone());
        for (i, l) in leaves.iter().enumerate() {
            prop_assert_eq!(t.leaf(i as u64), Ok(*l));
        }
    }

    #[test]
    fn paths_verify_after_later_appends(seed: u64, n1 in 1usize..40, n2 in 0usize..24) {
        let leaves = random_leaves(seed, n1 + n2);
        let mut t = build(&leaves[..n1]);
        let old_root = t.root();
        let old_paths: Vec<MerklePath> = (0..n1 as u64).map(|p| t.path(p).unwrap()).collect();
        for l in &leaves[n1..] {
            t.append(*l).unwrap();
        }
        let root = t.root();
        prop_assert_eq!(root, naive_root(&leaves));
        for (p, leaf) in leaves.iter().enumerate() {
            let path = t.path(p as u64).unwrap();
            prop_assert_eq!(path.position, p as u64);
            prop_assert!(path.verify(*leaf, root));
            prop_assert!(n2 == 0 || !path.verify(*leaf, old_root), "a new path fails the old root");
        }
        for (p, path) in old_paths.iter().enumerate() {
            prop_assert!(path.verify(leaves[p], old_root));
            prop_assert_eq!(path.verify(leaves[p], root), n2 == 0, "an old path fails the new root");
        }
    }

    #[test]
    fn paths_reject_tampering(seed: u64, n in 2usize..200, pick: prop::sample::Index, level in 0usize..DEPTH) {
        let leaves = random_leaves(seed, n);
        let mut t = WitnessTree::from_leaves(leaves[..n - 1].to_vec()).unwrap();
        let old_root = t.root();
        t.append(leaves[n - 1]).unwrap();
        let root = t.root();
        let p = pick.index(n);
        let leaf = leaves[p];
        let path = t.path(p as u64).unwrap();
        prop_assert!(path.verify(leaf, root));
        prop_assert_eq!(path.root(leaf), root);
        // Wrong leaf.
        prop_assert!(!path.verify(leaf + Base::from(1u64), root));
        // Wrong position: one flipped bit, or a position beyond 2^32.
        let mut moved = path;
        moved.position ^= 1 << level;
        prop_assert!(!moved.verify(leaf, root));
        let mut beyond = path;
        beyond.position += 1 << 32;
        prop_assert!(!beyond.verify(leaf, root));
        // A tampered sibling.
        let mut tampered = path;
        tampered.siblings[level] += Base::from(1u64);
        prop_assert!(!tampered.verify(leaf, root));
        // An old root.
        prop_assert!(!path.verify(leaf, old_root));
        // Another leaf's path.
        let other = t.path(((p + 1) % n) as u64).unwrap();
        prop_assert!(!other.verify(leaf, root));
    }

    #[test]
    fn frontier_tracks_tree(seed: u64, n in 0usize..100) {
        let leaves = random_leaves(seed, n);
        let mut t = WitnessTree::new();
        let mut f = Frontier::new();
        prop_assert_eq!(f.root(), t.root());
        for l in &leaves {
            prop_assert_eq!(f.append(*l), t.append(*l));
            prop_assert_eq!(f.root(), t.root());
            prop_assert_eq!(f.len(), t.len());
        }
        prop_assert_eq!(t.frontier(), f);
    }

    #[test]
    fn serialisation_round_trips(seed: u64, n in 0usize..300) {
        let leaves = random_leaves(seed, n);
        let t = WitnessTree::from_leaves(leaves).unwrap();
        let bytes = t.to_bytes();
        prop_assert_eq!(bytes.len(), 17 + 32 * n);
        let back = WitnessTree::from_bytes(&bytes).unwrap();
        prop_assert_eq!(back.root(), t.root());
        prop_assert_eq!(&back, &t);
        let f = t.frontier();
        let fb = Frontier::from_bytes(&f.to_bytes()).unwrap();
        prop_assert_eq!(fb.root(), t.root());
        prop_assert_eq!(fb, f);
        if n > 0 {
            let path = t.path(seed % n as u64).unwrap();
            let pb = path.to_bytes().unwrap();
            prop_assert_eq!(pb.len(), MerklePath::ENCODED_LEN);
            prop_assert_eq!(MerklePath::from_bytes(&pb), Ok(path));
        }
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
        header in 0usize..3,
    ) {
        // Half the inputs start with a valid header so the body checks run.
        let mut input = match header {
            0 => b"SEROTREE\x01".to_vec(),
            1 => b"SEROFRNT\x01".to_vec(),
            _ => vec![],
        };
        input.extend_from_slice(&bytes);
        let _ = WitnessTree::from_bytes(&input);
        let _ = Frontier::from_bytes(&input);
        let _ = MerklePath::from_bytes(&input);
        let _ = MerklePath::from_bytes(&bytes);
    }

    #[test]
    fn anchors_match_model(cap in 0usize..8, pushes in prop::collection::vec(0u64..12, 0..60)) {
        let mut a = Anchors::new(cap);
        let mut model: VecDeque<u64> = VecDeque::new();
        for x in pushes {
            a.push(Base::from(x));
            model.push_back(x);
            while model.len() > cap {
                model.pop_front();
            }
            prop_assert_eq!(a.len(), model.len());
            for y in 0..12u64 {
                prop_assert_eq!(a.contains(&Base::from(y)), model.contains(&y));
            }
            let mut distinct: Vec<u64> = model.iter().copied().collect();
            distinct.sort_unstable();
            distinct.dedup();
            prop_assert_eq!(a.distinct(), distinct.len());
            prop_assert_eq!(a.latest(), model.back().map(|x| Base::from(*x)).filter(|_| cap > 0));
        }
    }
}
