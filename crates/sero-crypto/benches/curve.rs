//! Point decoding: `cargo bench -p sero-crypto --bench curve`. Every point a
//! node receives (transactions by gossip and RPC, synced blocks) is
//! decompressed and subgroup-checked. `pairing` is the check in use (order-8
//! Tate pairing); `naf` (ℓ·P with a NAF) and `arkworks` (ℓ·P bit by bit)
//! are the checks it replaced, kept here as baselines.

use ark_ec::twisted_edwards::TECurveConfig;
use ark_ff::UniformRand;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_crypto::curve::{
    decode_point, decode_point_on_curve, encode_point, generator, is_in_subgroup, mul, Scalar,
};
use sero_crypto::subgroup::is_in_subgroup_by_order;

fn bench_curve(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let p = mul(&generator(), &Scalar::rand(&mut rng));
    let e = encode_point(&p);
    c.bench_function("curve/subgroup_check/pairing", |b| {
        b.iter(|| is_in_subgroup(black_box(&p)))
    });
    c.bench_function("curve/subgroup_check/naf", |b| {
        b.iter(|| is_in_subgroup_by_order(black_box(&p)))
    });
    c.bench_function("curve/subgroup_check/arkworks", |b| {
        b.iter(|| {
            ark_ed_on_bn254::EdwardsConfig::is_in_correct_subgroup_assuming_on_curve(black_box(&p))
        })
    });
    c.bench_function("curve/decode_on_curve", |b| {
        b.iter(|| decode_point_on_curve(black_box(&e)))
    });
    c.bench_function("curve/decode_point", |b| {
        b.iter(|| decode_point(black_box(&e)))
    });
}

criterion_group!(benches, bench_curve);
criterion_main!(benches);
