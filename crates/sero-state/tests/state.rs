//! Integration tests of the state store: a 50-block chain read back,
//! persistence across reopen, every rejection leaving the database
//! unchanged, defensive decoding, and SIGKILL crash recovery.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sero_state::redb::{self, ReadableTable, TableDefinition, TableHandle};
use sero_state::{
    tables, BlockEffects, StateDb, StateError, StoredBlock, ValidatorRecord, MAX_RANGE,
};

// ---------------------------------------------------------------------------
// Synthetic blocks
// ---------------------------------------------------------------------------

/// A block with `n_tx` transactions of 0–2 inputs and 0–3 outputs each. The
/// body records the leaf count, the nullifiers and the txids so a reader can
/// check the store against it without the generator.
fn synth(rng: &mut ChaCha8Rng, height: u64, parent: [u8; 32], n_tx: usize) -> BlockEffects {
    let mut e = BlockEffects {
        height,
        hash: rng.gen(),
        parent,
        note_root: rng.gen(),
        seed: rng.gen(),
        ..Default::default()
    };
    if rng.gen_bool(0.5) {
        e.certificate = vec![rng.gen(); rng.gen_range(1..40)];
    }
    for _ in 0..n_tx {
        let txid: [u8; 32] = rng.gen();
        e.txids.push(txid);
        for _ in 0..rng.gen_range(0..=2) {
            e.nullifiers.push(rng.gen());
            e.tils.push((rng.gen(), txid));
        }
        for _ in 0..rng.gen_range(0..=3) {
            e.leaves.push(canonical_leaf(rng));
            let mut out = vec![0u8; rng.gen_range(0..80)];
            rng.fill_bytes(&mut out);
            e.outputs.push(out);
        }
    }
    e.header = height.to_le_bytes().to_vec();
    e.header.extend_from_slice(&parent);
    e.header.extend_from_slice(&e.hash);
    e.body = encode_body(&e);
    e
}

fn encode_body(e: &BlockEffects) -> Vec<u8> {
    let mut body = (e.leaves.len() as u32).to_le_bytes().to_vec();
    body.extend_from_slice(&(e.nullifiers.len() as u32).to_le_bytes());
    for n in &e.nullifiers {
        body.extend_from_slice(n);
    }
    body.extend_from_slice(&(e.txids.len() as u32).to_le_bytes());
    for t in &e.txids {
        body.extend_from_slice(t);
    }
    body
}

/// `(leaf count, nullifiers, txids)` recorded in a synthetic body.
fn decode_body(body: &[u8]) -> (u64, Vec<[u8; 32]>, Vec<[u8; 32]>) {
    let u32_at = |at: usize| u32::from_le_bytes(body[at..at + 4].try_into().unwrap()) as usize;
    let leaves = u32_at(0) as u64;
    let n_null = u32_at(4);
    let hashes = |start: usize, n: usize| -> Vec<[u8; 32]> {
        (0..n)
            .map(|i| {
                body[start + 32 * i..start + 32 * (i + 1)]
                    .try_into()
                    .unwrap()
            })
            .collect()
    };
    let nullifiers = hashes(8, n_null);
    let tx_at = 8 + 32 * n_null;
    let txids = hashes(tx_at + 4, u32_at(tx_at));
    assert_eq!(body.len(), tx_at + 4 + 32 * txids.len());
    (leaves, nullifiers, txids)
}

fn chain(seed: u64, n: u64) -> Vec<BlockEffects> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut parent = [0u8; 32];
    let mut keys: Vec<[u8; 32]> = vec![];
    (0..n)
        .map(|h| {
            let n_tx = rng.gen_range(0..6);
            let mut b = synth(&mut rng, h, parent, n_tx);
            // Registry: a new validator now and then, and an update of an
            // existing one (unbonding, release) now and then.
            if rng.gen_bool(0.4) {
                let k: [u8; 32] = rng.gen();
                keys.push(k);
                b.registry.push((k, validator(&mut rng, h)));
            }
            if rng.gen_bool(0.3) && !keys.is_empty() {
                let k = keys[rng.gen_range(0..keys.len())];
                if b.registry.iter().all(|(x, _)| *x != k) {
                    let mut v = validator(&mut rng, h);
                    v.unbond_at = Some(h);
                    v.released = rng.gen_bool(0.5);
                    b.registry.push((k, v));
                }
            }
            parent = b.hash;
            b
        })
        .collect()
}

fn validator(rng: &mut ChaCha8Rng, height: u64) -> ValidatorRecord {
    let mut refund = [0u8; 96];
    rng.fill_bytes(&mut refund);
    ValidatorRecord {
        vrf_key: rng.gen(),
        stake: rng.gen(),
        refund,
        registered_at: height,
        unbond_at: None,
        released: false,
    }
}

/// The registry after `chain`: the last record written per key.
fn registry(chain: &[BlockEffects]) -> Vec<([u8; 32], ValidatorRecord)> {
    let mut m = std::collections::BTreeMap::new();
    for b in chain {
        for (k, v) in &b.registry {
            m.insert(*k, v.clone());
        }
    }
    m.into_iter().collect()
}

fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("state.redb")
}

// ---------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------

/// Every read of the store agrees with `chain`.
fn assert_matches_chain(db: &StateDb, chain: &[BlockEffects]) {
    let last = chain.last().unwrap();
    assert_eq!(db.tip().unwrap(), Some((last.height, last.hash)));
    let all_leaves: Vec<[u8; 32]> = chain.iter().flat_map(|b| b.leaves.clone()).collect();
    let all_outputs: Vec<(u64, Vec<u8>)> = chain
        .iter()
        .flat_map(|b| b.outputs.clone())
        .enumerate()
        .map(|(i, o)| (i as u64, o))
        .collect();
    let count = all_leaves.len() as u64;
    assert_eq!(db.leaf_count().unwrap(), count);

    for b in chain {
        let stored = StoredBlock {
            height: b.height,
            hash: b.hash,
            header: b.header.clone(),
            body: b.body.clone(),
        };
        assert_eq!(db.block_by_height(b.height).unwrap(), Some(stored.clone()));
        assert_eq!(db.block_by_hash(&b.hash).unwrap(), Some(stored));
        assert_eq!(db.hash_at(b.height).unwrap(), Some(b.hash));
        assert_eq!(db.root_at(b.height).unwrap(), Some(b.note_root));
        assert_eq!(db.seed_at(b.height).unwrap(), Some(b.seed));
        assert_eq!(
            db.certificate(b.height).unwrap(),
            (!b.certificate.is_empty()).then(|| b.certificate.clone())
        );
        for n in &b.nullifiers {
            assert_eq!(db.nullifier_height(n).unwrap(), Some(b.height));
        }
        for (til, txid) in &b.tils {
            assert_eq!(db.til(til).unwrap(), Some((*txid, b.height)));
        }
        for (i, txid) in b.txids.iter().enumerate() {
            assert_eq!(db.tx_location(txid).unwrap(), Some((b.height, i as u32)));
        }
    }

    // Whole range, chunked ranges, and a range clipped past the end.
    assert_eq!(db.leaves(0, count).unwrap(), all_leaves);
    assert_eq!(db.outputs(0, count).unwrap(), all_outputs);
    let mut from = 0;
    while from < count {
        let to = (from + 37).min(count);
        assert_eq!(
            db.leaves(from, to).unwrap(),
            all_leaves[from as usize..to as usize]
        );
        assert_eq!(
            db.outputs(from, to).unwrap(),
            all_outputs[from as usize..to as usize]
        );
        from = to;
    }
    assert_eq!(
        db.leaves(count.saturating_sub(2), count + 10).unwrap(),
        all_leaves[all_leaves.len().saturating_sub(2)..]
    );
    assert!(db.leaves(count, count + 5).unwrap().is_empty());

    let roots: Vec<[u8; 32]> = chain.iter().map(|b| b.note_root).collect();
    assert_eq!(
        db.recent_roots(5).unwrap(),
        roots[roots.len().saturating_sub(5)..]
    );
    assert_eq!(db.recent_roots(1).unwrap(), vec![last.note_root]);
    assert_eq!(db.recent_roots(MAX_RANGE).unwrap(), roots);
    assert!(db.recent_roots(0).unwrap().is_empty());

    let stats = db.stats().unwrap();
    assert_eq!(stats.blocks, chain.len() as u64);
    assert_eq!(stats.roots, chain.len() as u64);
    assert_eq!(stats.leaves, count);
    assert_eq!(stats.outputs, count);
    assert_eq!(
        stats.nullifiers,
        chain.iter().map(|b| b.nullifiers.len() as u64).sum::<u64>()
    );
    assert_eq!(
        stats.tils,
        chain.iter().map(|b| b.tils.len() as u64).sum::<u64>()
    );
    assert_eq!(
        stats.txs,
        chain.iter().map(|b| b.txids.len() as u64).sum::<u64>()
    );
    assert_eq!(stats.seeds, chain.len() as u64);
    let reg = registry(chain);
    assert_eq!(db.all_validators().unwrap(), reg);
    let active: Vec<_> = reg.iter().filter(|(_, v)| v.is_active()).cloned().collect();
    assert_eq!(db.validators().unwrap(), active);
    for (k, v) in &reg {
        assert_eq!(db.validator(k).unwrap().as_ref(), Some(v));
    }
    assert_eq!(db.validator(&[0xee; 32]).unwrap(), None);

    // Past the tip and unknown keys.
    assert_eq!(db.hash_at(last.height + 1).unwrap(), None);
    assert_eq!(db.root_at(last.height + 1).unwrap(), None);
    assert_eq!(db.block_by_height(last.height + 1).unwrap(), None);
    assert_eq!(db.block_by_hash(&[0xee; 32]).unwrap(), None);
    assert_eq!(db.nullifier_height(&[0xee; 32]).unwrap(), None);
    assert_eq!(db.til(&[0xee; 32]).unwrap(), None);
    assert_eq!(db.tx_location(&[0xee; 32]).unwrap(), None);
}

type Dump = Vec<(&'static str, Vec<u8>, Vec<u8>)>;

fn dump_table<K: redb::Key + 'static, V: redb::Value + 'static>(
    r: &redb::ReadTransaction,
    def: TableDefinition<K, V>,
    out: &mut Dump,
) {
    let name: &'static str = tables::ALL_TABLE_NAMES
        .iter()
        .find(|n| **n == def.name())
        .unwrap();
    let t = r.open_table(def).unwrap();
    for item in t.iter().unwrap() {
        let (k, v) = item.unwrap();
        out.push((
            name,
            K::as_bytes(&k.value()).as_ref().to_vec(),
            V::as_bytes(&v.value()).as_ref().to_vec(),
        ));
    }
}

/// Every key and value of every table, as bytes, read with plain redb.
/// The file must not be open in a `StateDb`.
fn dump(path: &Path) -> Dump {
    let db = redb::Database::open(path).unwrap();
    let r = db.begin_read().unwrap();
    let mut out = Vec::new();
    dump_table(&r, tables::BLOCK_HASHES, &mut out);
    dump_table(&r, tables::BLOCKS, &mut out);
    dump_table(&r, tables::LEAVES, &mut out);
    dump_table(&r, tables::ROOTS, &mut out);
    dump_table(&r, tables::NULLIFIERS, &mut out);
    dump_table(&r, tables::TILS, &mut out);
    dump_table(&r, tables::TXS, &mut out);
    dump_table(&r, tables::OUTPUTS, &mut out);
    dump_table(&r, tables::VALIDATORS, &mut out);
    dump_table(&r, tables::SEEDS, &mut out);
    dump_table(&r, tables::CERTIFICATES, &mut out);
    dump_table(&r, tables::UNDO, &mut out);
    dump_table(&r, tables::META, &mut out);
    out
}

/// Tip, leaf count, table sizes and each listed nullifier's height.
fn summary(db: &StateDb, nullifiers: &[[u8; 32]]) -> impl PartialEq + std::fmt::Debug {
    let heights: Vec<Option<u64>> = nullifiers
        .iter()
        .map(|n| db.nullifier_height(n).unwrap())
        .collect();
    (
        db.tip().unwrap(),
        db.leaf_count().unwrap(),
        db.stats().unwrap(),
        heights,
    )
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[test]
fn chain_of_50_blocks_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = StateDb::open(&db_path(&dir)).unwrap();
    assert_eq!(db.tip().unwrap(), None);
    assert_eq!(db.leaf_count().unwrap(), 0);
    assert!(db.recent_roots(3).unwrap().is_empty());
    assert!(db.leaves(0, 10).unwrap().is_empty());

    let blocks = chain(1, 50);
    for (i, b) in blocks.iter().enumerate() {
        db.apply_block(b).unwrap();
        if i % 10 == 9 {
            assert_matches_chain(&db, &blocks[..=i]);
        }
    }
    assert!(blocks.iter().map(|b| b.leaves.len()).sum::<usize>() > 50);
    assert_matches_chain(&db, &blocks);
}

#[test]
fn range_arguments_are_validated() {
    let dir = tempfile::tempdir().unwrap();
    let db = StateDb::open(&db_path(&dir)).unwrap();
    for b in chain(2, 3) {
        db.apply_block(&b).unwrap();
    }
    assert!(matches!(
        db.leaves(5, 4),
        Err(StateError::InvalidRange { from: 5, to: 4 })
    ));
    assert!(matches!(
        db.outputs(9, 0),
        Err(StateError::InvalidRange { .. })
    ));
    assert!(matches!(
        db.leaves(0, MAX_RANGE + 1),
        Err(StateError::RangeTooLarge { requested, max: MAX_RANGE }) if requested == MAX_RANGE + 1
    ));
    assert!(matches!(
        db.outputs(1, MAX_RANGE + 2),
        Err(StateError::RangeTooLarge { .. })
    ));
    assert!(matches!(
        db.recent_roots(MAX_RANGE + 1),
        Err(StateError::RangeTooLarge { .. })
    ));
    assert!(matches!(
        db.leaves(0, u64::MAX),
        Err(StateError::RangeTooLarge { .. })
    ));
    assert!(matches!(
        db.outputs(u64::MAX, 0),
        Err(StateError::InvalidRange { .. })
    ));
    // Exactly MAX_RANGE is allowed, and huge positions are just empty.
    assert!(db.leaves(0, MAX_RANGE).is_ok());
    assert!(db.outputs(u64::MAX - 5, u64::MAX).unwrap().is_empty());
    assert!(db.leaves(3, 3).unwrap().is_empty());
}

#[test]
fn reopen_persists_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let blocks = chain(3, 30);
    {
        let db = StateDb::open(&path).unwrap();
        for b in &blocks[..20] {
            db.apply_block(b).unwrap();
        }
    }
    let before = dump(&path);
    {
        let db = StateDb::open(&path).unwrap();
        assert_matches_chain(&db, &blocks[..20]);
        for b in &blocks[20..] {
            db.apply_block(b).unwrap();
        }
    }
    let db = StateDb::open(&path).unwrap();
    assert_matches_chain(&db, &blocks);
    drop(db);
    // Reopening alone wrote nothing.
    let after_reopen = dump(&path);
    StateDb::open(&path).unwrap();
    assert_eq!(dump(&path), after_reopen);
    assert!(before.len() < after_reopen.len());
}

#[test]
fn several_blocks_in_one_write_are_all_stored_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let db = StateDb::open(&db_path(&dir)).unwrap();
    let blocks = chain(3, 12);
    db.apply_blocks(&blocks[..5]).unwrap();
    assert_matches_chain(&db, &blocks[..5]);
    // A batch whose third block repeats a nullifier of the first: nothing
    // of it is stored.
    let mut bad = blocks[5..9].to_vec();
    let n = bad[0].nullifiers[0];
    bad[2].nullifiers.push(n);
    assert!(matches!(
        db.apply_blocks(&bad),
        Err(StateError::DuplicateNullifier { .. })
    ));
    assert_matches_chain(&db, &blocks[..5]);
    // A batch that does not start at the tip.
    assert!(matches!(
        db.apply_blocks(&blocks[6..9]),
        Err(StateError::NotNextHeight { .. })
    ));
    assert_matches_chain(&db, &blocks[..5]);
    db.apply_blocks(&blocks[5..]).unwrap();
    assert_matches_chain(&db, &blocks);
}

#[test]
fn rejections_return_typed_errors_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);

    // Genesis rules on an empty database.
    {
        let db = StateDb::open(&path).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(40);
        let g = synth(&mut rng, 1, [0; 32], 2);
        assert!(matches!(
            db.apply_block(&g),
            Err(StateError::NotNextHeight {
                expected: 0,
                got: 1
            })
        ));
        let g = synth(&mut rng, 0, [7; 32], 2);
        assert!(matches!(
            db.apply_block(&g),
            Err(StateError::WrongParent { .. })
        ));
        assert_eq!(db.tip().unwrap(), None);
        assert_eq!(db.leaf_count().unwrap(), 0);
        assert_eq!(db.stats().unwrap(), Default::default());
    }

    let blocks = chain(4, 10);
    {
        let db = StateDb::open(&path).unwrap();
        for b in &blocks {
            db.apply_block(b).unwrap();
        }
    }
    let snapshot = dump(&path);
    let tip = blocks.last().unwrap();
    let spent = blocks
        .iter()
        .find(|b| !b.nullifiers.is_empty())
        .unwrap()
        .nullifiers[0];
    let old_til = blocks.iter().find(|b| !b.tils.is_empty()).unwrap().tils[0].0;
    let old_txid = blocks[3]
        .txids
        .first()
        .copied()
        .unwrap_or(blocks[0].txids[0]);

    // A valid next block with several txs, leaves and nullifiers; each case
    // breaks one thing.
    let mut rng = ChaCha8Rng::seed_from_u64(41);
    let mut next = synth(&mut rng, tip.height + 1, tip.hash, 8);
    while next.nullifiers.len() < 2 || next.leaves.is_empty() || next.tils.is_empty() {
        next = synth(&mut rng, tip.height + 1, tip.hash, 8);
    }

    type Case = (&'static str, BlockEffects, fn(&StateError) -> bool);
    let mut cases: Vec<Case> = Vec::new();
    let mut c = next.clone();
    c.height += 1;
    cases.push(("height skips one", c, |e| {
        matches!(
            e,
            StateError::NotNextHeight {
                expected: 10,
                got: 11
            }
        )
    }));
    let mut c = next.clone();
    c.height = tip.height;
    cases.push(("height repeats the tip", c, |e| {
        matches!(
            e,
            StateError::NotNextHeight {
                expected: 10,
                got: 9
            }
        )
    }));
    let mut c = next.clone();
    c.height = 0;
    c.parent = [0; 32];
    cases.push(("second genesis", c, |e| {
        matches!(e, StateError::NotNextHeight { .. })
    }));
    let mut c = next.clone();
    c.parent = blocks[8].hash;
    cases.push(("wrong parent", c, |e| {
        matches!(e, StateError::WrongParent { .. })
    }));
    let mut c = next.clone();
    c.nullifiers.push(spent);
    cases.push(("nullifier spent in an earlier block", c, |e| {
        matches!(e, StateError::DuplicateNullifier { .. })
    }));
    let mut c = next.clone();
    c.nullifiers[1] = c.nullifiers[0];
    cases.push(("nullifier repeated in the block", c, |e| {
        matches!(e, StateError::DuplicateNullifier { .. })
    }));
    let mut c = next.clone();
    c.txids.push(old_txid);
    cases.push(("txid stored in an earlier block", c, |e| {
        matches!(e, StateError::DuplicateTx { .. })
    }));
    let mut c = next.clone();
    c.txids.push(c.txids[0]);
    cases.push(("txid repeated in the block", c, |e| {
        matches!(e, StateError::DuplicateTx { .. })
    }));
    let mut c = next.clone();
    c.tils.push((old_til, [1; 32]));
    cases.push(("til stored in an earlier block", c, |e| {
        matches!(e, StateError::DuplicateTil { .. })
    }));
    let mut c = next.clone();
    c.tils.push(c.tils[0]);
    cases.push(("til repeated in the block", c, |e| {
        matches!(e, StateError::DuplicateTil { .. })
    }));
    let mut c = next.clone();
    c.hash = blocks[2].hash;
    cases.push(("block hash already stored", c, |e| {
        matches!(e, StateError::DuplicateBlock { .. })
    }));
    let mut c = next.clone();
    c.outputs.pop();
    cases.push(("fewer outputs than leaves", c, |e| {
        matches!(e, StateError::LengthMismatch { .. })
    }));
    let mut c = next.clone();
    c.outputs.push(vec![1, 2, 3]);
    cases.push(("more outputs than leaves", c, |e| {
        matches!(e, StateError::LengthMismatch { .. })
    }));

    let watched: Vec<[u8; 32]> = blocks
        .iter()
        .flat_map(|b| b.nullifiers.clone())
        .chain(next.nullifiers.clone())
        .collect();
    let db = StateDb::open(&path).unwrap();
    let before = summary(&db, &watched);
    for (name, block, is_expected) in &cases {
        let err = db.apply_block(block).expect_err(name);
        assert!(is_expected(&err), "{name}: unexpected error {err:?}");
        assert_eq!(summary(&db, &watched), before, "{name}: state changed");
        for n in &next.nullifiers {
            assert_eq!(db.nullifier_height(n).unwrap(), None, "{name}");
        }
        for t in &next.txids {
            assert_eq!(db.tx_location(t).unwrap(), None, "{name}");
        }
    }
    drop(db);
    // Byte-for-byte: every key and value of every table is unchanged.
    assert_eq!(dump(&path), snapshot);

    // The untouched block still applies, and nothing of the rejects leaked.
    let db = StateDb::open(&path).unwrap();
    db.apply_block(&next).unwrap();
    let mut all = blocks.clone();
    all.push(next);
    assert_matches_chain(&db, &all);
}

#[test]
fn open_checks_schema_version_and_decodes_defensively() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let blocks = chain(5, 4);
    {
        let db = StateDb::open(&path).unwrap();
        for b in &blocks {
            db.apply_block(b).unwrap();
        }
    }
    let rewrite = |f: &dyn Fn(&redb::WriteTransaction)| {
        let raw = redb::Database::open(&path).unwrap();
        let w = raw.begin_write().unwrap();
        f(&w);
        w.commit().unwrap();
    };

    // Another schema version.
    rewrite(&|w| {
        let mut t = w.open_table(tables::META).unwrap();
        t.insert(
            tables::META_SCHEMA_VERSION,
            &(tables::SCHEMA_VERSION + 1).to_le_bytes()[..],
        )
        .unwrap();
    });
    assert!(matches!(
        StateDb::open(&path),
        Err(StateError::SchemaVersion {
            found,
            expected: tables::SCHEMA_VERSION
        }) if found == tables::SCHEMA_VERSION + 1
    ));
    // A malformed schema version value.
    rewrite(&|w| {
        let mut t = w.open_table(tables::META).unwrap();
        t.insert(tables::META_SCHEMA_VERSION, &[1u8, 0][..])
            .unwrap();
    });
    assert!(matches!(StateDb::open(&path), Err(StateError::Corrupt(_))));
    rewrite(&|w| {
        let mut t = w.open_table(tables::META).unwrap();
        t.insert(
            tables::META_SCHEMA_VERSION,
            &tables::SCHEMA_VERSION.to_le_bytes()[..],
        )
        .unwrap();
    });
    StateDb::open(&path).unwrap();

    // A truncated tip.
    rewrite(&|w| {
        let mut t = w.open_table(tables::META).unwrap();
        t.insert(tables::META_TIP, &[0u8; 39][..]).unwrap();
    });
    assert!(matches!(StateDb::open(&path), Err(StateError::Corrupt(_))));
    // A tip that disagrees with the chain.
    let tip = blocks.last().unwrap();
    rewrite(&|w| {
        let mut t = w.open_table(tables::META).unwrap();
        let mut fixed = tip.hash.to_vec();
        fixed.extend_from_slice(&(tip.height + 1).to_le_bytes());
        t.insert(tables::META_TIP, fixed.as_slice()).unwrap();
    });
    assert!(matches!(StateDb::open(&path), Err(StateError::Corrupt(_))));
    rewrite(&|w| {
        let mut t = w.open_table(tables::META).unwrap();
        let mut v = tip.hash.to_vec();
        v.extend_from_slice(&tip.height.to_le_bytes());
        t.insert(tables::META_TIP, v.as_slice()).unwrap();
    });
    // A leaf count that disagrees with the leaves.
    rewrite(&|w| {
        let mut t = w.open_table(tables::META).unwrap();
        t.insert(tables::META_LEAF_COUNT, &u64::MAX.to_le_bytes()[..])
            .unwrap();
    });
    assert!(matches!(StateDb::open(&path), Err(StateError::Corrupt(_))));
    let count: u64 = blocks.iter().map(|b| b.leaves.len() as u64).sum();
    rewrite(&|w| {
        let mut t = w.open_table(tables::META).unwrap();
        t.insert(tables::META_LEAF_COUNT, &count.to_le_bytes()[..])
            .unwrap();
    });
    StateDb::open(&path).unwrap();

    // Malformed block records read back as Corrupt, never a panic.
    for bad in [&[][..], &[1, 2, 3][..], &[0xff; 20][..]] {
        rewrite(&|w| {
            let mut t = w.open_table(tables::BLOCKS).unwrap();
            t.insert(&blocks[1].hash, bad).unwrap();
        });
        let db = StateDb::open(&path).unwrap();
        assert!(matches!(db.block_by_height(1), Err(StateError::Corrupt(_))));
        assert!(matches!(
            db.block_by_hash(&blocks[1].hash),
            Err(StateError::Corrupt(_))
        ));
        assert_eq!(db.block_by_height(2).unwrap().unwrap().body, blocks[2].body);
    }
    // A record that decodes but claims another height.
    rewrite(&|w| {
        let mut t = w.open_table(tables::BLOCKS).unwrap();
        let rec = sero_state::codec::encode_block_record(3, b"h", b"b").unwrap();
        t.insert(&blocks[1].hash, rec.as_slice()).unwrap();
    });
    let db = StateDb::open(&path).unwrap();
    assert!(matches!(db.block_by_height(1), Err(StateError::Corrupt(_))));
}

#[test]
fn rollback_restores_the_exact_earlier_state_and_reapply_works() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let blocks = chain(11, 12);
    let mut snapshots = vec![];
    {
        let db = StateDb::open(&path).unwrap();
        for b in &blocks {
            db.apply_block(b).unwrap();
            // Snapshot through a second handle is impossible (file lock):
            // summarise instead, and dump at the end.
            snapshots.push((
                db.tip().unwrap(),
                db.stats().unwrap(),
                db.all_validators().unwrap(),
            ));
        }
    }
    // Dump after block 5 by replaying into a second file.
    let path5 = dir.path().join("five.redb");
    {
        let db = StateDb::open(&path5).unwrap();
        for b in &blocks[..6] {
            db.apply_block(b).unwrap();
        }
    }
    let expected = dump(&path5);

    let db = StateDb::open(&path).unwrap();
    // Above the tip, and a no-op at the tip.
    assert!(matches!(
        db.rollback_to(12),
        Err(StateError::UnknownHeight { height: 12 })
    ));
    db.rollback_to(11).unwrap();
    assert_eq!(db.tip().unwrap(), snapshots[11].0);
    db.rollback_to(5).unwrap();
    assert_eq!(db.tip().unwrap(), snapshots[5].0);
    assert_eq!(db.stats().unwrap(), snapshots[5].1);
    assert_eq!(db.all_validators().unwrap(), snapshots[5].2);
    assert_matches_chain(&db, &blocks[..6]);
    for b in &blocks[6..] {
        for n in &b.nullifiers {
            assert_eq!(db.nullifier_height(n).unwrap(), None);
        }
        assert_eq!(db.block_by_hash(&b.hash).unwrap(), None);
    }
    drop(db);
    assert_eq!(
        dump(&path),
        expected,
        "byte-identical to the state after block 5"
    );

    // Re-apply works; then finality bounds the rollback.
    let db = StateDb::open(&path).unwrap();
    for b in &blocks[6..] {
        db.apply_block(b).unwrap();
    }
    assert_matches_chain(&db, &blocks);
    assert_eq!(db.finalized_height().unwrap(), 0);
    db.set_finalized(8).unwrap();
    assert_eq!(db.finalized_height().unwrap(), 8);
    assert_eq!(
        db.stats().unwrap().undo,
        3,
        "undo kept above the final height only"
    );
    assert!(matches!(
        db.set_finalized(7),
        Err(StateError::FinalizedBackwards {
            current: 8,
            requested: 7
        })
    ));
    assert!(matches!(
        db.set_finalized(12),
        Err(StateError::UnknownHeight { height: 12 })
    ));
    assert!(matches!(
        db.rollback_to(7),
        Err(StateError::RollbackBelowFinalized {
            height: 7,
            finalized: 8
        })
    ));
    assert_eq!(db.tip().unwrap(), snapshots[11].0);
    db.rollback_to(8).unwrap();
    assert_matches_chain(&db, &blocks[..9]);
    drop(db);
    let db = StateDb::open(&path).unwrap();
    assert_eq!(db.finalized_height().unwrap(), 8);
    assert_matches_chain(&db, &blocks[..9]);
}

#[test]
fn certificates_arrive_late_and_registry_keys_are_unique_per_block() {
    let dir = tempfile::tempdir().unwrap();
    let db = StateDb::open(&db_path(&dir)).unwrap();
    assert!(matches!(
        db.put_certificate(0, b"x"),
        Err(StateError::UnknownHeight { height: 0 })
    ));
    let mut blocks = chain(12, 3);
    blocks[1].certificate.clear();
    for b in &blocks {
        db.apply_block(b).unwrap();
    }
    assert_eq!(db.certificate(1).unwrap(), None);
    db.put_certificate(1, b"final").unwrap();
    assert_eq!(db.certificate(1).unwrap(), Some(b"final".to_vec()));
    db.put_certificate(1, b"final2").unwrap();
    assert_eq!(db.certificate(1).unwrap(), Some(b"final2".to_vec()));
    assert!(matches!(
        db.put_certificate(3, b"x"),
        Err(StateError::UnknownHeight { height: 3 })
    ));
    // A rollback removes late certificates too.
    db.rollback_to(0).unwrap();
    assert_eq!(db.certificate(1).unwrap(), None);
    let mut next = chain(13, 2)[1].clone();
    next.parent = blocks[0].hash;
    let v = ValidatorRecord::default();
    next.registry = vec![([1; 32], v.clone()), ([1; 32], v)];
    assert!(matches!(
        db.apply_block(&next),
        Err(StateError::DuplicateValidator { .. })
    ));
    assert_eq!(db.tip().unwrap(), Some((0, blocks[0].hash)));
}

#[test]
fn open_creates_parent_directories() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/c/state.redb");
    let db = StateDb::open(&path).unwrap();
    db.apply_block(&chain(6, 1)[0]).unwrap();
    drop(db);
    assert_eq!(StateDb::open(&path).unwrap().tip().unwrap().unwrap().0, 0);
}

// ---------------------------------------------------------------------------
// Crash recovery
// ---------------------------------------------------------------------------

const CRASH_ENV: &str = "SERO_STATE_CRASH_CHILD";
const CHILD_TEST: &str = "crash_child_writer";

/// Not a test on its own: with `SERO_STATE_CRASH_CHILD=<db path>` set (by
/// [`sigkill_during_writes_recovers_a_consistent_state`]) it appends blocks to
/// that database forever, printing `COMMITTED <height>` after each commit.
#[test]
fn crash_child_writer() {
    let Some(path) = std::env::var_os(CRASH_ENV) else {
        return;
    };
    let db = StateDb::open(Path::new(&path)).unwrap();
    let (mut height, mut parent) = match db.tip().unwrap() {
        Some((h, hash)) => (h + 1, hash),
        None => (0, [0; 32]),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(u64::from(std::process::id()) ^ height);
    loop {
        let n_tx = rng.gen_range(1..12);
        let b = synth(&mut rng, height, parent, n_tx);
        db.apply_block(&b).unwrap();
        // stdout is line-buffered: the line reaches the pipe before the next
        // block starts.
        println!("COMMITTED {height}");
        parent = b.hash;
        height += 1;
    }
}

/// Opens the database after a crash and checks it is consistent, then that
/// a next block applies. Returns the tip height before that block.
fn check_after_crash(path: &Path, last_reported: Option<u64>) -> u64 {
    let db = StateDb::open(path).unwrap();
    let (h, tip_hash) = db.tip().unwrap().expect("the child committed blocks");
    // Every commit the child saw return is there; at most one more (killed
    // between commit and println).
    let reported = last_reported.unwrap();
    assert!(
        h == reported || h == reported + 1,
        "tip {h}, last reported {reported}"
    );

    let mut leaves = 0u64;
    let mut nullifiers = 0u64;
    let mut txs = 0u64;
    let mut parent = [0u8; 32];
    for height in 0..=h {
        let b = db.block_by_height(height).unwrap().expect("block present");
        assert_eq!(&b.header[..8], &height.to_le_bytes());
        assert_eq!(b.header[8..40], parent, "parent link at {height}");
        assert_eq!(b.header[40..72], b.hash);
        assert_eq!(db.hash_at(height).unwrap(), Some(b.hash));
        assert!(db.root_at(height).unwrap().is_some(), "root at {height}");
        let (n_leaves, nulls, txids) = decode_body(&b.body);
        for n in &nulls {
            assert_eq!(db.nullifier_height(n).unwrap(), Some(height));
        }
        for (i, t) in txids.iter().enumerate() {
            assert_eq!(db.tx_location(t).unwrap(), Some((height, i as u32)));
        }
        leaves += n_leaves;
        nullifiers += nulls.len() as u64;
        txs += txids.len() as u64;
        parent = b.hash;
    }
    assert_eq!(parent, tip_hash);
    assert_eq!(db.leaf_count().unwrap(), leaves);
    let stats = db.stats().unwrap();
    assert_eq!((stats.blocks, stats.roots), (h + 1, h + 1));
    assert_eq!((stats.leaves, stats.outputs), (leaves, leaves));
    assert_eq!((stats.nullifiers, stats.txs), (nullifiers, txs));
    assert_eq!(db.hash_at(h + 1).unwrap(), None);
    assert_eq!(db.root_at(h + 1).unwrap(), None);
    let mut pos = 0;
    while pos < leaves {
        let to = (pos + MAX_RANGE).min(leaves);
        assert_eq!(db.leaves(pos, to).unwrap().len() as u64, to - pos);
        assert_eq!(db.outputs(pos, to).unwrap().len() as u64, to - pos);
        pos = to;
    }
    drop(db);

    // Every nullifier present belongs to a block at or below the tip.
    let raw = redb::Database::open(path).unwrap();
    let r = raw.begin_read().unwrap();
    let t = r.open_table(tables::NULLIFIERS).unwrap();
    for item in t.iter().unwrap() {
        assert!(item.unwrap().1.value() <= h);
    }
    drop((t, r, raw));

    let db = StateDb::open(path).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(h);
    let next = synth(&mut rng, h + 1, tip_hash, 5);
    db.apply_block(&next).unwrap();
    assert_eq!(db.tip().unwrap(), Some((h + 1, next.hash)));
    h
}

#[test]
fn sigkill_during_writes_recovers_a_consistent_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let mut previous_tip = None;
    for delay_ms in [350u64, 800, 1300] {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", CHILD_TEST, "--nocapture", "--test-threads=1"])
            .env(CRASH_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut last = None;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(h) = line.strip_prefix("COMMITTED ") {
                    let h: u64 = h.trim().parse().unwrap();
                    if last.is_none() {
                        let _ = tx.send(());
                    }
                    last = Some(h);
                }
            }
            last
        });
        // Kill while the child is busy writing: some time after its first
        // commit.
        let started = rx.recv_timeout(Duration::from_secs(15));
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL on unix
        child.wait().unwrap();
        let last_reported = reader.join().unwrap();
        assert!(started.is_ok(), "child never committed a block");

        let h = check_after_crash(&path, last_reported);
        eprintln!(
            "killed after {delay_ms} ms: recovered tip {h}, child last reported {last_reported:?}"
        );
        if let Some(p) = previous_tip {
            // The child resumed from our extra block and wrote more.
            assert!(h > p + 1, "child made no progress: {h} after {p}");
        }
        previous_tip = Some(h);
    }
}

/// A random leaf that is a canonical field element (top nibble clear): the
/// store hashes leaves into its persisted tree and refuses other bytes.
fn canonical_leaf(rng: &mut ChaCha8Rng) -> [u8; 32] {
    let mut l: [u8; 32] = rng.gen();
    l[31] &= 0x0f;
    l
}
