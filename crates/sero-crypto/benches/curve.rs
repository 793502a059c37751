//! Point decoding: `cargo bench -p sero-crypto --bench curve`. Every point a
//! node receives (transactions by gossip and RPC, synced blocks) is
//! decompressed and subgroup-checked. `pairing` is the check in use (order-8
//! Tate pairing); `naf` (ℓ·P with a NAF) and `arkworks` (ℓ·P bit by bit)
//! are the checks it replaced, kept here as baselines. `decompress/*`
//! times the square root alone, `x² = (1 − y²)/(a − d·y²)`: `sqrt_ratio`
//! (in use) against arkworks' inversion plus generic Tonelli–Shanks.

use ark_ec::twisted_edwards::TECurveConfig;
use ark_ff::{Field, UniformRand};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_crypto::curve::{
    decode_point, decode_point_on_curve, encode_point, generator, is_in_subgroup, mul, xs_from_y,
    Point, Scalar,
};
use sero_crypto::sqrt::sqrt_ratio;
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
    let y = p.y;
    let y2 = y.square();
    let num = sero_crypto::Base::ONE - y2;
    let den =
        ark_ed_on_bn254::EdwardsConfig::COEFF_A - y2 * ark_ed_on_bn254::EdwardsConfig::COEFF_D;
    c.bench_function("curve/decompress/sqrt_ratio", |b| {
        b.iter(|| sqrt_ratio(black_box(&num), black_box(&den)))
    });
    c.bench_function("curve/decompress/arkworks", |b| {
        b.iter(|| {
            black_box(&den)
                .inverse()
                .and_then(|i| (i * black_box(&num)).sqrt())
        })
    });
    c.bench_function("curve/decompress/xs_from_y", |b| {
        b.iter(|| xs_from_y(black_box(&y)))
    });
    c.bench_function("curve/decompress/get_xs_from_y_unchecked", |b| {
        b.iter(|| Point::get_xs_from_y_unchecked(black_box(y)))
    });
    c.bench_function("curve/decode_on_curve", |b| {
        b.iter(|| decode_point_on_curve(black_box(&e)))
    });
    c.bench_function("curve/decode_point", |b| {
        b.iter(|| decode_point(black_box(&e)))
    });
    // A PKr's three points: one at a time, and together (the subgroup
    // checks' exponentiations in one pass of IFMA lanes).
    c.bench_function("curve/decode_three/one_at_a_time", |b| {
        b.iter(|| {
            (0..3)
                .map(|_| sero_crypto::curve::decode_nonidentity_point(black_box(&e)))
                .collect::<Vec<_>>()
        })
    });
    c.bench_function("curve/decode_three/together", |b| {
        b.iter(|| sero_crypto::curve::decode_nonidentity_points(black_box(&[&e, &e, &e])))
    });
}

criterion_group!(benches, bench_curve);
criterion_main!(benches);
