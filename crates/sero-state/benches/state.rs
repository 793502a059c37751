//! `apply_block` cost: one durable (fsync) redb write transaction per block.
//!
//! `cargo bench -p sero-state --bench state -- --warm-up-time 1 --measurement-time 3`

use std::cell::Cell;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sero_state::{BlockEffects, StateDb};

const TXS: usize = 100;
const LEAVES: usize = 200;
const NULLIFIERS: usize = 200;
const OUTPUT_BYTES: usize = 600;
/// Stand-in for the encoded transactions (proofs, outputs, signatures).
const BODY_BYTES: usize = 150_000;

fn block_hash(height: u64) -> [u8; 32] {
    let mut h = [0xb1; 32];
    h[..8].copy_from_slice(&height.to_le_bytes());
    h
}

/// Effects of a block of `TXS` transactions at `height`, or an empty block.
fn effects(rng: &mut ChaCha8Rng, height: u64, full: bool) -> BlockEffects {
    let parent = if height == 0 {
        [0; 32]
    } else {
        block_hash(height - 1)
    };
    let mut e = BlockEffects {
        height,
        hash: block_hash(height),
        parent,
        header: vec![7; 200],
        note_root: rng.gen(),
        ..Default::default()
    };
    if full {
        let mut body = vec![0u8; BODY_BYTES];
        rng.fill_bytes(&mut body);
        e.body = body;
        e.txids = (0..TXS).map(|_| rng.gen()).collect();
        e.leaves = (0..LEAVES).map(|_| canonical_leaf(rng)).collect();
        e.outputs = (0..LEAVES)
            .map(|_| {
                let mut o = vec![0u8; OUTPUT_BYTES];
                rng.fill_bytes(&mut o);
                o
            })
            .collect();
        e.nullifiers = (0..NULLIFIERS).map(|_| rng.gen()).collect();
        e.tils = (0..NULLIFIERS)
            .map(|i| (rng.gen(), e.txids[i % TXS]))
            .collect();
    }
    e
}

fn bench_apply(c: &mut Criterion) {
    let mut group = c.benchmark_group("apply_block");
    for (name, full) in [("100tx", true), ("empty", false)] {
        let dir = tempfile::tempdir().unwrap();
        let db = StateDb::open(&dir.path().join("state.redb")).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        // Some history first, so the tables are not trivially small.
        for h in 0..200 {
            db.apply_block(&effects(&mut rng, h, full)).unwrap();
        }
        let next = Cell::new(200u64);
        group.throughput(Throughput::Elements(1));
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let h = next.get();
                    next.set(h + 1);
                    effects(&mut rng, h, full)
                },
                |e| db.apply_block(&e).unwrap(),
                BatchSize::SmallInput,
            )
        });
        drop(db);
    }
    group.finish();
}

criterion_group!(benches, bench_apply);
criterion_main!(benches);

/// A random leaf that is a canonical field element (top nibble clear): the
/// store hashes leaves into its persisted tree and refuses other bytes.
fn canonical_leaf(rng: &mut ChaCha8Rng) -> [u8; 32] {
    let mut l: [u8; 32] = rng.gen();
    l[31] &= 0x0f;
    l
}
