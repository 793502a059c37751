//! Witness-tree benchmarks: `cargo bench -p sero-tree --bench tree`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode, Throughput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sero_tree::{Base, WitnessTree};

const N: u64 = 1 << 16;

fn bench_tree(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let leaves: Vec<Base> = (0..N).map(|i| Base::from(i + 1)).collect();
    let tree = WitnessTree::from_leaves(leaves).expect("fits");
    let bytes = tree.to_bytes();
    let frontier = tree.frontier();

    // Appends into a tree of 2^16 leaves (it grows by the iteration count,
    // a few thousand, which changes nothing: every append hashes DEPTH nodes).
    let mut growing = tree.clone();
    let mut next = N;
    c.bench_function("tree/append/2^16", |b| {
        b.iter(|| {
            next += 1;
            growing.append(Base::from(next)).expect("not full")
        })
    });

    c.bench_function("tree/path/2^16", |b| {
        b.iter_batched(
            || rng.gen_range(0..N),
            |p| tree.path(p).expect("in range"),
            BatchSize::SmallInput,
        )
    });

    let root = tree.root();
    let paths: Vec<_> = (0..64)
        .map(|_| {
            let p = rng.gen_range(0..N);
            (tree.leaf(p).unwrap(), tree.path(p).unwrap())
        })
        .collect();
    let mut i = 0;
    c.bench_function("path/verify", |b| {
        b.iter(|| {
            i = (i + 1) % paths.len();
            let (leaf, path) = &paths[i];
            assert!(path.verify(*leaf, root))
        })
    });

    c.bench_function("frontier/root/2^16", |b| b.iter(|| frontier.root()));

    let mut growing_frontier = frontier.clone();
    let mut next = N;
    c.bench_function("frontier/append", |b| {
        b.iter(|| {
            next += 1;
            growing_frontier.append(Base::from(next)).expect("not full")
        })
    });

    let mut g = c.benchmark_group("tree/from_bytes");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.throughput(Throughput::Elements(N));
    g.bench_function("2^16", |b| {
        b.iter(|| WitnessTree::from_bytes(&bytes).expect("valid"))
    });
    g.finish();
}

criterion_group!(benches, bench_tree);
criterion_main!(benches);
