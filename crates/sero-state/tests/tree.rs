//! The persisted witness tree (`tree_nodes`): its root, frontier and paths
//! equal the in-memory tree's after appends, rollbacks, the one-time
//! migration of an old store, and SIGKILLs in the middle of commits.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sero_crypto::curve::encode_base;
use sero_state::tables::{META, META_SCHEMA_VERSION, SCHEMA_VERSION_NO_TREE, TREE_NODES};
use sero_state::{BlockEffects, StateDb};
use sero_tree::{Base, WitnessTree};
use std::path::Path;

fn block(rng: &mut ChaCha8Rng, height: u64, parent: [u8; 32], n: usize) -> BlockEffects {
    let mut e = BlockEffects {
        height,
        hash: rng.gen(),
        parent,
        ..Default::default()
    };
    for _ in 0..n {
        e.leaves.push(encode_base(&Base::from(rng.gen::<u64>())));
        e.outputs.push(vec![1, 2, 3]);
    }
    e
}

/// Applies blocks with `sizes` leaves each; every note root recorded is the
/// in-memory tree's root after the block.
fn apply(db: &StateDb, tree: &mut WitnessTree, rng: &mut ChaCha8Rng, sizes: &[usize]) {
    for &n in sizes {
        let (height, parent) = match db.tip().unwrap() {
            None => (0, [0; 32]),
            Some((h, hash)) => (h + 1, hash),
        };
        let mut e = block(rng, height, parent, n);
        for l in &e.leaves {
            tree.append(sero_crypto::curve::base_from_canonical(l).unwrap())
                .unwrap();
        }
        e.note_root = encode_base(&tree.root());
        db.apply_block(&e).unwrap();
    }
}

fn stored_tree(db: &StateDb) -> WitnessTree {
    let n = db.leaf_count().unwrap();
    let leaves = db
        .leaves(0, n)
        .unwrap()
        .iter()
        .map(|l| sero_crypto::curve::base_from_canonical(l).unwrap())
        .collect();
    WitnessTree::from_leaves(leaves).unwrap()
}

/// The persisted nodes agree with a tree rebuilt from the stored leaves and
/// with the root recorded for the tip.
fn check(db: &StateDb) {
    let t = stored_tree(db);
    assert_eq!(db.tree_root().unwrap(), t.root());
    assert_eq!(db.tree_frontier().unwrap(), t.frontier());
    if let Some((h, _)) = db.tip().unwrap() {
        assert_eq!(db.root_at(h).unwrap().unwrap(), encode_base(&t.root()));
    }
    for p in 0..t.len() {
        let (path, root) = db.tree_path(p).unwrap().unwrap();
        assert_eq!(path, t.path(p).unwrap(), "position {p}");
        assert_eq!(root, t.root());
    }
    assert!(db.tree_path(t.len()).unwrap().is_none());
}

#[test]
fn nodes_follow_appends_and_rollbacks() {
    let dir = tempfile::tempdir().unwrap();
    let db = StateDb::open(&dir.path().join("s.redb")).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut tree = WitnessTree::new();
    check(&db);
    apply(&db, &mut tree, &mut rng, &[1, 0, 2, 3, 0, 5, 8, 1, 13]);
    check(&db);
    for to in [7u64, 5, 2, 1, 0] {
        eprintln!("rollback to {to} from {:?}", db.tip().unwrap().map(|t| t.0));
        db.rollback_to(to).unwrap();
        check(&db);
        // Appending again after a rollback continues from the cut.
        let mut t = stored_tree(&db);
        apply(&db, &mut t, &mut rng, &[3, 4]);
        check(&db);
        db.rollback_to(to).unwrap();
    }
    // Reopen: the tree is read back, not rebuilt.
    drop(db);
    let db = StateDb::open(&dir.path().join("s.redb")).unwrap();
    check(&db);
}

#[test]
fn blocks_applied_in_one_transaction_give_the_same_store() {
    // `apply_blocks` (bulk loading) against `apply_block` one by one: the
    // same tip, roots, leaves and tree nodes, large batches included (the
    // nodes of a level hashed in parallel).
    let dir = tempfile::tempdir().unwrap();
    let one = StateDb::open(&dir.path().join("one.redb")).unwrap();
    let bulk = StateDb::open(&dir.path().join("bulk.redb")).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut tree = WitnessTree::new();
    let mut parent = [0u8; 32];
    let mut height = 0;
    for batch in [&[3usize, 0, 70][..], &[300, 1], &[], &[129, 2, 1000, 5]] {
        let mut blocks = vec![];
        for &n in batch {
            let mut e = block(&mut rng, height, parent, n);
            for l in &e.leaves {
                tree.append(sero_crypto::curve::base_from_canonical(l).unwrap())
                    .unwrap();
            }
            e.note_root = encode_base(&tree.root());
            one.apply_block(&e).unwrap();
            parent = e.hash;
            height += 1;
            blocks.push(e);
        }
        bulk.apply_blocks(&blocks).unwrap();
        assert_eq!(bulk.tip().unwrap(), one.tip().unwrap());
        assert_eq!(bulk.tree_root().unwrap(), tree.root());
        check(&bulk);
    }
    for h in 0..height {
        assert_eq!(bulk.root_at(h).unwrap(), one.root_at(h).unwrap());
    }
    // A bad block anywhere in a batch stores none of it.
    let before = bulk.tip().unwrap();
    let good = block(&mut rng, height, parent, 4);
    let mut bad = block(&mut rng, height + 1, good.hash, 4);
    bad.leaves[2] = [0xff; 32];
    assert!(bulk.apply_blocks(&[good, bad]).is_err());
    assert_eq!(bulk.tip().unwrap(), before);
    check(&bulk);
}

#[test]
fn non_canonical_leaf_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = StateDb::open(&dir.path().join("s.redb")).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut tree = WitnessTree::new();
    apply(&db, &mut tree, &mut rng, &[3]);
    let (_, tip) = db.tip().unwrap().unwrap();
    let mut e = block(&mut rng, 1, tip, 2);
    e.leaves[1] = [0xff; 32];
    let err = db.apply_block(&e).unwrap_err();
    assert!(
        matches!(err, sero_state::StateError::BadLeaf { position: 4 }),
        "{err}"
    );
    assert_eq!(db.tip().unwrap().unwrap().0, 0);
    check(&db);
}

/// A store of schema version 3 (no `tree_nodes`) is migrated once on open.
#[test]
fn old_store_is_migrated_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut tree = WitnessTree::new();
    {
        let db = StateDb::open(&path).unwrap();
        apply(&db, &mut tree, &mut rng, &[5, 9, 1, 40]);
    }
    {
        // Make it look like a version-3 store.
        let db = sero_state::redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut meta = txn.open_table(META).unwrap();
            meta.insert(
                META_SCHEMA_VERSION,
                &SCHEMA_VERSION_NO_TREE.to_le_bytes()[..],
            )
            .unwrap();
        }
        txn.delete_table(TREE_NODES).unwrap();
        txn.commit().unwrap();
    }
    let db = StateDb::open(&path).unwrap();
    check(&db);
    assert_eq!(db.tree_root().unwrap(), tree.root());
}

const CHILD_ENV: &str = "SERO_TREE_CRASH_CHILD";

/// The child: appends blocks forever, printing each committed height.
fn child(path: &Path) {
    let db = StateDb::open(path).unwrap();
    let mut tree = stored_tree(&db);
    let mut rng = ChaCha8Rng::seed_from_u64(db.leaf_count().unwrap() + 7);
    loop {
        let n = rng.gen_range(0..40);
        apply(&db, &mut tree, &mut rng, &[n]);
        println!("committed {}", db.tip().unwrap().unwrap().0);
    }
}

/// SIGKILL a process that is committing blocks, several times; after each
/// kill the reopened store's tree equals a recompute from its leaves and
/// the root recorded for its tip.
#[test]
fn sigkill_during_commits_leaves_a_consistent_tree() {
    use std::io::{BufRead, BufReader};
    if let Ok(p) = std::env::var(CHILD_ENV) {
        child(Path::new(&p));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.redb");
    let exe = std::env::current_exe().unwrap();
    let mut last = 0u64;
    for round in 0..4 {
        let mut c = std::process::Command::new(&exe)
            .args([
                "--exact",
                "sigkill_during_commits_leaves_a_consistent_tree",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(c.stdout.take().unwrap()).lines();
        // Wait for some commits (no timing: counted lines), then kill.
        let mut seen = 0;
        for l in lines.by_ref() {
            if l.unwrap().starts_with("committed ") {
                seen += 1;
                if seen == 5 + round * 3 {
                    break;
                }
            }
        }
        c.kill().unwrap(); // SIGKILL on Unix
        c.wait().unwrap();
        let db = StateDb::open(&path).unwrap();
        let (tip, _) = db.tip().unwrap().unwrap();
        assert!(
            tip >= last,
            "round {round}: tip {tip} went back from {last}"
        );
        last = tip;
        check(&db);
    }
}

#[test]
fn frontier_at_an_earlier_count() {
    let dir = tempfile::tempdir().unwrap();
    let db = StateDb::open(&dir.path().join("s.redb")).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let mut tree = WitnessTree::new();
    apply(&db, &mut tree, &mut rng, &[7, 9, 30, 1]);
    let leaves = db.leaves(0, 47).unwrap();
    for c in 0..=47u64 {
        let t = WitnessTree::from_leaves(
            leaves[..c as usize]
                .iter()
                .map(|l| sero_crypto::curve::base_from_canonical(l).unwrap())
                .collect(),
        )
        .unwrap();
        assert_eq!(db.tree_frontier_at(c).unwrap(), t.frontier(), "count {c}");
    }
    assert!(db.tree_frontier_at(48).is_err());
}

#[test]
fn given_nodes_are_stored_as_the_computed_ones_and_checked() {
    // Blocks whose nodes the caller hashed (`Frontier::append_batch`, as the
    // chain does) give the store that hashing them itself gives, and the
    // block can then be rolled back like any other.
    let dir = tempfile::tempdir().unwrap();
    let db = StateDb::open(&dir.path().join("given.redb")).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut frontier = sero_tree::Frontier::new();
    let mut parent = [0u8; 32];
    for (height, n) in [0usize, 1, 5, 0, 8, 33, 2].into_iter().enumerate() {
        let mut e = block(&mut rng, height as u64, parent, n);
        let leaves: Vec<Base> = e
            .leaves
            .iter()
            .map(|l| sero_crypto::curve::base_from_canonical(l).unwrap())
            .collect();
        let nodes = frontier.append_batch(&leaves).unwrap();
        e.note_root = encode_base(&nodes.root());
        e.tree_nodes = Some(nodes);
        db.apply_block(&e).unwrap();
        parent = e.hash;
        check(&db);
        assert_eq!(db.tree_frontier().unwrap(), frontier);
    }
    db.rollback_to(3).unwrap();
    check(&db);

    // Nodes that are not the block's are refused, and nothing is written.
    let (tip, hash) = db.tip().unwrap().unwrap();
    let before = (db.tree_root().unwrap(), db.leaf_count().unwrap());
    let base = db.tree_frontier().unwrap();
    let fresh = |rng: &mut ChaCha8Rng| {
        let mut e = block(rng, tip + 1, hash, 6);
        let leaves: Vec<Base> = e
            .leaves
            .iter()
            .map(|l| sero_crypto::curve::base_from_canonical(l).unwrap())
            .collect();
        let nodes = base.clone().append_batch(&leaves).unwrap();
        e.note_root = encode_base(&nodes.root());
        (e, leaves, nodes)
    };
    let (mut e, _, nodes) = fresh(&mut rng);
    // Another block's nodes: level 0 is not these leaves.
    let (_, _, other) = fresh(&mut rng);
    e.tree_nodes = Some(other);
    assert!(db
        .apply_block(&e)
        .unwrap_err()
        .to_string()
        .contains("level 0"));
    // Nodes hashed from another position (a frontier one leaf longer).
    let (_, leaves, _) = fresh(&mut rng);
    let (mut e2, ..) = fresh(&mut rng);
    let mut longer = base.clone();
    longer.append(Base::from(1u64)).unwrap();
    let shifted = longer.append_batch(&leaves).unwrap();
    e2.leaves = leaves.iter().map(encode_base).collect();
    e2.note_root = encode_base(&shifted.root());
    e2.tree_nodes = Some(shifted);
    assert!(db
        .apply_block(&e2)
        .unwrap_err()
        .to_string()
        .contains("level 0"));
    // The right nodes under another note root.
    e.tree_nodes = Some(nodes.clone());
    let honest_root = e.note_root;
    e.note_root = encode_base(&Base::from(77u64));
    assert!(db.apply_block(&e).unwrap_err().to_string().contains("root"));
    assert_eq!((db.tree_root().unwrap(), db.leaf_count().unwrap()), before);
    assert_eq!(db.tip().unwrap().unwrap().0, tip);
    // The honest block goes in.
    e.note_root = honest_root;
    db.apply_block(&e).unwrap();
    check(&db);
}

#[test]
fn a_final_block_moves_the_finalized_height_in_its_own_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = StateDb::open(&dir.path().join("final.redb")).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let mut tree = WitnessTree::new();
    apply(&db, &mut tree, &mut rng, &[2, 3]);
    assert_eq!(db.finalized_height().unwrap(), 0);
    let (h, hash) = db.tip().unwrap().unwrap();
    let mut e = block(&mut rng, h + 1, hash, 4);
    for l in &e.leaves {
        tree.append(sero_crypto::curve::base_from_canonical(l).unwrap())
            .unwrap();
    }
    e.note_root = encode_base(&tree.root());
    e.finalize = true;
    db.apply_block(&e).unwrap();
    assert_eq!(db.finalized_height().unwrap(), h + 1);
    // Final: no rollback below it.
    assert!(db.rollback_to(h).is_err());
    check(&db);
}
