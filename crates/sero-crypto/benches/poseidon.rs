//! Native Poseidon benchmarks: `cargo bench -p sero-crypto --bench poseidon`.

use ark_ff::UniformRand;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_crypto::curve::Base;
use sero_crypto::poseidon::{
    hash_tagged, hash_tagged_many, hash_with_domain, reference, tag_element, tags,
};

fn bench_poseidon(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let domain = tag_element(tags::NODE);
    for n in [1usize, 2, 4, 5] {
        let inputs: Vec<Base> = (0..n).map(|_| Base::rand(&mut rng)).collect();
        c.bench_function(&format!("poseidon/width{}", n + 1), |b| {
            b.iter(|| hash_with_domain(black_box(domain), black_box(&inputs)))
        });
        c.bench_function(&format!("poseidon/reference/width{}", n + 1), |b| {
            b.iter(|| reference::hash_with_domain(black_box(domain), black_box(&inputs)))
        });
    }
    let inputs = [Base::rand(&mut rng), Base::rand(&mut rng)];
    c.bench_function("poseidon/tagged_node", |b| {
        b.iter(|| hash_tagged(tags::NODE, black_box(&inputs)))
    });
    // Eight hashes: one at a time, then together (IFMA lanes where the CPU
    // has them); width 3 (tree nodes) and width 7 (`pkr_hash`).
    let nodes: Vec<[Base; 2]> = (0..8)
        .map(|_| [Base::rand(&mut rng), Base::rand(&mut rng)])
        .collect();
    c.bench_function("poseidon/eight_nodes/one_at_a_time", |b| {
        b.iter(|| {
            black_box(&nodes)
                .iter()
                .map(|x| hash_tagged(tags::NODE, x))
                .collect::<Vec<_>>()
        })
    });
    c.bench_function("poseidon/eight_nodes/together", |b| {
        b.iter(|| hash_tagged_many(tags::NODE, black_box(&nodes)))
    });
    let pkrs: Vec<[Base; 6]> = (0..8)
        .map(|_| std::array::from_fn(|_| Base::rand(&mut rng)))
        .collect();
    c.bench_function("poseidon/eight_width7/one_at_a_time", |b| {
        b.iter(|| {
            black_box(&pkrs)
                .iter()
                .map(|x| hash_tagged(tags::PKR, x))
                .collect::<Vec<_>>()
        })
    });
    c.bench_function("poseidon/eight_width7/together", |b| {
        b.iter(|| hash_tagged_many(tags::PKR, black_box(&pkrs)))
    });
}

criterion_group!(benches, bench_poseidon);
criterion_main!(benches);
