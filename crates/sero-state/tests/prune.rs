//! Pruning block bodies (`BlockEffects::prune`): done in the block's own
//! write, only final and consecutive heights, everything but the body kept,
//! refused prunes change nothing, and a SIGKILL during pruning commits
//! leaves a store whose bodies are exactly `pruned_below..=tip`.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sero_state::tables::{META, META_SCHEMA_VERSION, SCHEMA_VERSION, SCHEMA_VERSION_NO_PRUNE};
use sero_state::{BlockEffects, PrunedBody, StateDb, StateError};
use std::path::Path;

/// Block `height` on `parent` with `n` leaves, a body naming its height and
/// one spend `([h;32]…)` per leaf.
fn block(rng: &mut ChaCha8Rng, height: u64, parent: [u8; 32], n: usize) -> BlockEffects {
    let mut e = BlockEffects {
        height,
        hash: rng.gen(),
        parent,
        header: format!("header {height}").into_bytes(),
        body: format!("body {height}").repeat(50).into_bytes(),
        certificate: format!("cert {height}").into_bytes(),
        ..Default::default()
    };
    for i in 0..n {
        // Small canonical field elements.
        let mut leaf = [0u8; 32];
        leaf[..8].copy_from_slice(&rng.gen::<u64>().to_le_bytes());
        e.leaves.push(leaf);
        e.outputs.push(vec![height as u8, i as u8]);
        let nil: [u8; 32] = rng.gen();
        e.nullifiers.push(nil);
        e.tils.push((rng.gen(), rng.gen()));
    }
    e
}

fn next(db: &StateDb) -> (u64, [u8; 32]) {
    match db.tip().unwrap() {
        None => (0, [0; 32]),
        Some((h, hash)) => (h + 1, hash),
    }
}

/// The spends a pruned block `h` keeps in these tests.
fn spends(h: u64) -> Vec<([u8; 32], [u8; 32], [u8; 32])> {
    vec![([h as u8; 32], [1; 32], [2; 32])]
}

/// Applies one block pruning `prune`, finalizing it at once when `fin`.
fn apply(
    db: &StateDb,
    rng: &mut ChaCha8Rng,
    prune: std::ops::Range<u64>,
    fin: bool,
) -> Result<(), StateError> {
    let (h, parent) = next(db);
    let mut e = block(rng, h, parent, 2);
    e.prune = prune
        .map(|height| PrunedBody {
            height,
            spends: spends(height),
        })
        .collect();
    db.apply_block(&e)?;
    if fin {
        db.set_finalized(h).unwrap();
    }
    Ok(())
}

/// Bodies are stored exactly for `pruned_below..=tip`; headers, hashes,
/// roots, seeds, certificates and outputs for every height.
fn check(db: &StateDb) {
    let (tip, _) = db.tip().unwrap().unwrap();
    let below = db.pruned_below().unwrap();
    assert!(below <= db.finalized_height().unwrap() + 1);
    for h in 0..=tip {
        let (hash, header) = db.header_by_height(h).unwrap().unwrap();
        assert_eq!(header, format!("header {h}").into_bytes());
        assert_eq!(db.hash_at(h).unwrap(), Some(hash));
        assert!(db.root_at(h).unwrap().is_some());
        assert!(db.seed_at(h).unwrap().is_some());
        assert_eq!(
            db.certificate(h).unwrap(),
            Some(format!("cert {h}").into_bytes())
        );
        if h < below {
            match db.block_by_height(h) {
                Err(StateError::Pruned { height, lowest }) => {
                    assert_eq!((height, lowest), (h, below))
                }
                other => panic!("block {h} below {below}: {other:?}"),
            }
            assert!(matches!(
                db.block_by_hash(&hash),
                Err(StateError::Pruned { .. })
            ));
            assert_eq!(db.pruned_spends(h).unwrap(), Some(spends(h)));
        } else {
            let b = db.block_by_height(h).unwrap().unwrap();
            assert_eq!(b.body, format!("body {h}").repeat(50).into_bytes());
            assert_eq!(db.pruned_spends(h).unwrap(), None);
        }
    }
    let n = db.leaf_count().unwrap();
    assert_eq!(db.outputs(0, n).unwrap().len() as u64, n);
}

#[test]
fn prunes_in_the_block_write_and_keeps_everything_else() {
    let dir = tempfile::tempdir().unwrap();
    let db = StateDb::open(&dir.path().join("s.redb")).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for _ in 0..6 {
        apply(&db, &mut rng, 0..0, true).unwrap();
    }
    assert_eq!(db.pruned_below().unwrap(), 0);
    check(&db);
    // Block 6 prunes 0..3, block 7 prunes 3..5.
    apply(&db, &mut rng, 0..3, true).unwrap();
    assert_eq!(db.pruned_below().unwrap(), 3);
    check(&db);
    apply(&db, &mut rng, 3..5, true).unwrap();
    assert_eq!(db.pruned_below().unwrap(), 5);
    check(&db);
    // Reopening keeps it (and the consistency checks accept it).
    drop(db);
    let db = StateDb::open(&dir.path().join("s.redb")).unwrap();
    assert_eq!(db.pruned_below().unwrap(), 5);
    check(&db);
}

#[test]
fn refused_prunes_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = StateDb::open(&dir.path().join("s.redb")).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    for _ in 0..4 {
        apply(&db, &mut rng, 0..0, true).unwrap();
    }
    // Two blocks not final: 4 and 5.
    apply(&db, &mut rng, 0..0, false).unwrap();
    apply(&db, &mut rng, 0..0, false).unwrap();
    let before = (db.tip().unwrap(), db.pruned_below().unwrap());
    // Not starting at the next unpruned height.
    assert!(apply(&db, &mut rng, 1..2, false).is_err());
    // Above the finalized height (3).
    assert!(apply(&db, &mut rng, 0..5, false).is_err());
    assert_eq!((db.tip().unwrap(), db.pruned_below().unwrap()), before);
    check(&db);
    // The final ones are fine; a rollback of the non-final blocks keeps
    // the pruned range.
    apply(&db, &mut rng, 0..4, false).unwrap();
    assert_eq!(db.pruned_below().unwrap(), 4);
    db.rollback_to(3).unwrap();
    assert_eq!(db.pruned_below().unwrap(), 4);
    check(&db);
}

#[test]
fn a_version_4_store_is_migrated_unpruned() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    {
        let db = StateDb::open(&path).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..3 {
            apply(&db, &mut rng, 0..0, true).unwrap();
        }
    }
    {
        let db = redb::Database::create(&path).unwrap();
        let w = db.begin_write().unwrap();
        w.open_table(META)
            .unwrap()
            .insert(
                META_SCHEMA_VERSION,
                &SCHEMA_VERSION_NO_PRUNE.to_le_bytes()[..],
            )
            .unwrap();
        w.commit().unwrap();
    }
    let db = StateDb::open(&path).unwrap();
    assert_eq!(db.pruned_below().unwrap(), 0);
    check(&db);
    drop(db);
    let db = redb::Database::create(&path).unwrap();
    let r = db.begin_read().unwrap();
    let v = r
        .open_table(META)
        .unwrap()
        .get(META_SCHEMA_VERSION)
        .unwrap()
        .unwrap()
        .value()
        .to_vec();
    assert_eq!(v, SCHEMA_VERSION.to_le_bytes());
}

const CHILD_ENV: &str = "SERO_PRUNE_CRASH_CHILD";

/// The child: appends final blocks forever, each pruning up to 3 bodies
/// while keeping the last 4, printing each committed height.
fn child(path: &Path) {
    let db = StateDb::open(path).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(db.leaf_count().unwrap() + 11);
    loop {
        let (h, _) = next(&db);
        let from = db.pruned_below().unwrap();
        let to = h.saturating_sub(4).min(from + 3);
        apply(&db, &mut rng, from..to.max(from), true).unwrap();
        println!("committed {h}");
    }
}

/// SIGKILL a process committing pruning blocks, several times: each
/// reopened store has bodies exactly for `pruned_below..=tip`, never went
/// back, and keeps pruning after the restart.
#[test]
fn sigkill_during_pruning_commits_leaves_a_consistent_store() {
    use std::io::{BufRead, BufReader};
    if let Ok(p) = std::env::var(CHILD_ENV) {
        child(Path::new(&p));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.redb");
    let exe = std::env::current_exe().unwrap();
    let (mut last_tip, mut last_below) = (0u64, 0u64);
    for round in 0..4 {
        let mut c = std::process::Command::new(&exe)
            .args([
                "--exact",
                "sigkill_during_pruning_commits_leaves_a_consistent_store",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(c.stdout.take().unwrap()).lines();
        // Wait for some commits (counted lines, no timing), then kill.
        let mut seen = 0;
        for l in lines.by_ref() {
            if l.unwrap().starts_with("committed ") {
                seen += 1;
                if seen == 8 + round * 3 {
                    break;
                }
            }
        }
        c.kill().unwrap(); // SIGKILL on Unix
        c.wait().unwrap();
        let db = StateDb::open(&path).unwrap();
        let (tip, _) = db.tip().unwrap().unwrap();
        let below = db.pruned_below().unwrap();
        assert!(tip >= last_tip && below >= last_below, "round {round}");
        assert!(below > 0, "round {round}: nothing pruned");
        (last_tip, last_below) = (tip, below);
        check(&db);
    }
}
