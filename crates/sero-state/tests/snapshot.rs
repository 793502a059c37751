//! State snapshots (`StateDb::write_snapshot` / `import_snapshot`): a
//! round trip gives the same state (bodies dropped, tree nodes rebuilt),
//! a non-final tip is refused, and every way to damage the stream —
//! truncation, a flipped byte, records out of order or repeated, a wrong
//! length, a body, a foreign file — is a clear error that leaves no store
//! behind.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sero_crypto::curve::encode_base;
use sero_state::snapshot::SNAPSHOT_MAGIC;
use sero_state::{BlockEffects, StateDb, StateError, ValidatorRecord};
use std::path::Path;

fn leaf(rng: &mut ChaCha8Rng) -> [u8; 32] {
    // Small canonical field elements.
    let mut l = [0u8; 32];
    l[..8].copy_from_slice(&rng.gen::<u64>().to_le_bytes());
    l
}

/// A store of `blocks` blocks, each with leaves, spends, a txid, a
/// contract write and (the first) a validator, final at its tip.
fn store(path: &Path, blocks: u64) -> StateDb {
    let db = StateDb::open(path).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut parent = [0u8; 32];
    for h in 0..blocks {
        let hash: [u8; 32] = rng.gen();
        let mut e = BlockEffects {
            height: h,
            hash,
            parent,
            header: format!("header {h}").into_bytes(),
            body: format!("body {h}").repeat(20).into_bytes(),
            note_root: rng.gen(),
            seed: rng.gen(),
            certificate: format!("cert {h}").into_bytes(),
            evm_changes: vec![(
                format!("key {}", h % 3).into_bytes(),
                Some(vec![h as u8; 5]),
            )],
            receipts: vec![(rng.gen(), b"receipt".to_vec())],
            ..Default::default()
        };
        for i in 0..3 {
            e.leaves.push(leaf(&mut rng));
            e.outputs.push(vec![h as u8, i, 0xab]);
        }
        if h > 0 {
            e.nullifiers.push(rng.gen());
            e.tils.push((rng.gen(), rng.gen()));
            e.txids.push(rng.gen());
        } else {
            e.registry.push((
                rng.gen(),
                ValidatorRecord {
                    vrf_key: rng.gen(),
                    stake: 1_000,
                    refund: [9; 96],
                    ..Default::default()
                },
            ));
        }
        db.apply_block(&e).unwrap();
        parent = hash;
    }
    db.set_finalized(blocks - 1).unwrap();
    for h in (4..blocks).step_by(4) {
        db.put_checkpoint(h, format!("checkpoint {h}").as_bytes())
            .unwrap();
    }
    db
}

fn snapshot(db: &StateDb) -> Vec<u8> {
    let mut out = vec![];
    db.write_snapshot(&mut out, |_| {}).unwrap();
    out
}

fn import(dir: &Path, bytes: &[u8]) -> Result<StateDb, StateError> {
    let path = dir.join("imported.redb");
    let r = StateDb::import_snapshot(&path, bytes, |_| {});
    if r.is_err() {
        assert!(!path.exists(), "a refused snapshot leaves no store behind");
    }
    r.map(|(db, _)| db)
}

#[test]
fn a_snapshot_round_trips_the_state_without_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let db = store(&dir.path().join("a.redb"), 12);
    let bytes = snapshot(&db);
    assert_eq!(&bytes[..8], SNAPSHOT_MAGIC);
    let path = dir.path().join("b.redb");
    let (got, info) = StateDb::import_snapshot(&path, &bytes[..], |_| {}).unwrap();
    assert_eq!((info.height, info.leaf_count), (11, 36));
    assert_eq!(info.bytes, bytes.len() as u64);
    assert_eq!(got.tip().unwrap(), db.tip().unwrap());
    assert_eq!(got.finalized_height().unwrap(), 11);
    assert_eq!(got.pruned_below().unwrap(), 12);
    assert_eq!(got.leaves(0, 36).unwrap(), db.leaves(0, 36).unwrap());
    assert_eq!(got.outputs(0, 36).unwrap(), db.outputs(0, 36).unwrap());
    assert_eq!(got.tree_root().unwrap(), db.tree_root().unwrap());
    assert_eq!(info.note_root, encode_base(&db.tree_root().unwrap()));
    assert_eq!(got.tree_frontier().unwrap(), db.tree_frontier().unwrap());
    assert_eq!(got.tree_path(5).unwrap(), db.tree_path(5).unwrap());
    assert_eq!(got.all_validators().unwrap(), db.all_validators().unwrap());
    assert_eq!(
        got.evm_entries_with(&Default::default()).unwrap(),
        db.evm_entries_with(&Default::default()).unwrap()
    );
    for h in 0..12 {
        assert_eq!(
            got.header_by_height(h).unwrap(),
            db.header_by_height(h).unwrap()
        );
        assert_eq!(got.seed_at(h).unwrap(), db.seed_at(h).unwrap());
        assert_eq!(got.root_at(h).unwrap(), db.root_at(h).unwrap());
        assert_eq!(got.certificate(h).unwrap(), db.certificate(h).unwrap());
        assert_eq!(got.checkpoint(h).unwrap(), db.checkpoint(h).unwrap());
        assert!(matches!(
            got.block_by_height(h),
            Err(StateError::Pruned { .. })
        ));
    }
    assert_eq!(got.checkpoint(8).unwrap(), Some(b"checkpoint 8".to_vec()));
    // A checkpoint is only stored for a final block.
    assert!(matches!(
        got.put_checkpoint(12, b"x"),
        Err(StateError::UnknownHeight { height: 12 })
    ));
    // The same state writes the same snapshot again.
    assert_eq!(snapshot(&got), bytes);
}

#[test]
fn the_import_hashes_the_same_tree_over_several_chunks() {
    // More leaves than two of the import's hashing chunks (2^14 leaves),
    // the last one partial: every node, the root and the paths are the
    // ones the writer's store built block by block.
    let dir = tempfile::tempdir().unwrap();
    let db = StateDb::open(&dir.path().join("a.redb")).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut parent = [0u8; 32];
    let per_block = 12_345u64;
    for h in 0..3u64 {
        let hash: [u8; 32] = rng.gen();
        let mut e = BlockEffects {
            height: h,
            hash,
            parent,
            header: format!("header {h}").into_bytes(),
            ..Default::default()
        };
        for i in 0..per_block {
            e.leaves.push(leaf(&mut rng));
            e.outputs.push((h * per_block + i).to_le_bytes().to_vec());
        }
        db.apply_block(&e).unwrap();
        parent = hash;
    }
    db.set_finalized(2).unwrap();
    let n = 3 * per_block;
    let bytes = snapshot(&db);
    let path = dir.path().join("b.redb");
    let (got, info) = StateDb::import_snapshot(&path, &bytes[..], |_| {}).unwrap();
    assert_eq!(info.leaf_count, n);
    assert_eq!(info.note_root, encode_base(&db.tree_root().unwrap()));
    assert_eq!(got.tree_root().unwrap(), db.tree_root().unwrap());
    assert_eq!(got.tree_frontier().unwrap(), db.tree_frontier().unwrap());
    for p in [0, 1, 16_383, 16_384, 16_385, 32_767, 32_768, n - 2, n - 1] {
        assert_eq!(got.tree_path(p).unwrap(), db.tree_path(p).unwrap(), "{p}");
    }
    for count in [1, 16_384, 20_000, n] {
        assert_eq!(
            got.tree_frontier_at(count).unwrap(),
            db.tree_frontier_at(count).unwrap(),
            "{count}"
        );
    }
}

#[test]
fn a_tip_that_is_not_final_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = store(&dir.path().join("a.redb"), 3);
    let e = BlockEffects {
        height: 3,
        hash: [3; 32],
        parent: db.tip().unwrap().unwrap().1,
        header: b"h".to_vec(),
        ..Default::default()
    };
    db.apply_block(&e).unwrap();
    let err = db.write_snapshot(&mut vec![], |_| {}).unwrap_err();
    assert!(err.to_string().contains("not final"), "{err}");
}

/// Offsets of each record's table id in a snapshot (after the header).
fn records(bytes: &[u8]) -> Vec<(usize, u8)> {
    let mut at = 8 + 4 + 8 + 32 + 8;
    let mut out = vec![];
    while bytes[at] != 0 {
        out.push((at, bytes[at]));
        let kl = u32::from_le_bytes(bytes[at + 1..at + 5].try_into().unwrap()) as usize;
        let vat = at + 5 + kl;
        let vl = u32::from_le_bytes(bytes[vat..vat + 4].try_into().unwrap()) as usize;
        at = vat + 4 + vl;
    }
    out
}

/// Recomputes the trailer (count and checksum) after an edit, so that
/// the import's structural checks, not the checksum, must catch it.
fn reseal(bytes: &mut Vec<u8>) {
    let recs = records(bytes);
    let end = {
        let (at, _) = *recs.last().unwrap();
        let kl = u32::from_le_bytes(bytes[at + 1..at + 5].try_into().unwrap()) as usize;
        let vat = at + 5 + kl;
        let vl = u32::from_le_bytes(bytes[vat..vat + 4].try_into().unwrap()) as usize;
        vat + 4 + vl
    };
    bytes.truncate(end);
    bytes.push(0);
    bytes.extend_from_slice(&(recs.len() as u64).to_le_bytes());
    let d = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(sero_state::snapshot::SNAPSHOT_CHECKSUM_TAG)
        .hash(bytes);
    bytes.extend_from_slice(d.as_bytes());
}

fn refused(bytes: &[u8], what: &str) {
    let dir = tempfile::tempdir().unwrap();
    let err = import(dir.path(), bytes).expect_err(what).to_string();
    assert!(err.contains("snapshot"), "{what}: {err}");
}

#[test]
fn every_damaged_stream_is_refused_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = store(&dir.path().join("a.redb"), 6);
    let good = snapshot(&db);
    assert!(import(&dir.path().join("x"), &good).is_ok());

    refused(&good[..good.len() - 1], "truncated");
    refused(&good[..100], "truncated early");
    let mut extra = good.clone();
    extra.push(0);
    refused(&extra, "trailing bytes");
    for at in [10, 70, good.len() / 2, good.len() - 40, good.len() - 1] {
        let mut b = good.clone();
        b[at] ^= 0x20;
        let dir = tempfile::tempdir().unwrap();
        assert!(import(dir.path(), &b).is_err(), "flipped byte at {at}");
    }
    let mut b = good.clone();
    b[0] = b'X';
    refused(&b, "bad magic");

    // Structural damage with a valid checksum.
    let recs = records(&good);
    // Two leaves swapped: out of order.
    let leaves: Vec<usize> = recs.iter().filter(|r| r.1 == 3).map(|r| r.0).collect();
    let rec_len = 1 + 4 + 8 + 4 + 32;
    let mut b = good.clone();
    let (x, y) = (leaves[1], leaves[2]);
    let first = b[x..x + rec_len].to_vec();
    let second = b[y..y + rec_len].to_vec();
    b[x..x + rec_len].copy_from_slice(&second);
    b[y..y + rec_len].copy_from_slice(&first);
    reseal(&mut b);
    refused(&b, "leaves out of order");
    // A leaf repeated instead of the next.
    let mut b = good.clone();
    let first = b[x..x + rec_len].to_vec();
    b[y..y + rec_len].copy_from_slice(&first);
    reseal(&mut b);
    refused(&b, "leaf repeated");
    // A leaf that is not a canonical field element (no tree has it).
    let mut b = good.clone();
    b[x + rec_len - 32..x + rec_len].copy_from_slice(&[0xff; 32]);
    reseal(&mut b);
    refused(&b, "non-canonical leaf");
    // A table after a later one.
    let mut b = good.clone();
    let seed_at = recs.iter().find(|r| r.1 == 10).unwrap().0;
    b[seed_at] = 4; // a seed record claiming to be a root, after the nullifiers
    reseal(&mut b);
    refused(&b, "table order");
    // An unknown table.
    let mut b = good.clone();
    b[seed_at] = 13;
    reseal(&mut b);
    refused(&b, "unknown table");
    // A leaf dropped: the counts no longer match.
    let mut b = good.clone();
    b.drain(x..x + rec_len);
    reseal(&mut b);
    refused(&b, "leaf missing");
    // A wrong key length.
    let mut b = good[..x + 1].to_vec();
    b.extend_from_slice(&7u32.to_le_bytes());
    b.extend_from_slice(&good[x + 5..x + 12]);
    b.extend_from_slice(&good[x + 13..]);
    reseal(&mut b);
    refused(&b, "a 7-byte height");
    // A header record that carries a body.
    let blk = recs.iter().find(|r| r.1 == 2).unwrap().0;
    let vat = blk + 5 + 32;
    let vl = u32::from_le_bytes(b[vat..vat + 4].try_into().unwrap()) as usize;
    let rec = &good[vat + 4..vat + 4 + vl];
    // height u64 ‖ header_len u32 ‖ header ‖ body_len u32 ‖ body (empty)
    let mut with_body = rec.to_vec();
    let n = with_body.len();
    with_body[n - 4..].copy_from_slice(&3u32.to_le_bytes());
    with_body.extend_from_slice(b"abc");
    let mut b = good[..vat].to_vec();
    b.extend_from_slice(&(with_body.len() as u32).to_le_bytes());
    b.extend_from_slice(&with_body);
    b.extend_from_slice(&good[vat + 4 + vl..]);
    reseal(&mut b);
    refused(&b, "a body");

    // An import never overwrites an existing store.
    let path = dir.path().join("a.redb");
    drop(db);
    let err = StateDb::import_snapshot(&path, &good[..], |_| {}).unwrap_err();
    assert!(err.to_string().contains("already exists"));
    assert!(StateDb::open(&path).unwrap().tip().unwrap().is_some());
}
