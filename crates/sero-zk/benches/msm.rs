//! Multi-scalar multiplications of a proof's size: `sero_zk::msm` (vector
//! lanes where the CPU has AVX-512 IFMA) against arkworks' `msm_bigint`,
//! on random bases and full-size random scalars, one thread:
//!
//! ```sh
//! RAYON_NUM_THREADS=1 cargo bench -p sero-zk --bench msm --profile dev
//! ```

use ark_bn254::{Fr, G1Projective, G2Projective};
use ark_ec::CurveGroup;
use ark_ff::{BigInteger256, PrimeField, UniformRand};
use criterion::{criterion_group, criterion_main, Criterion};
use rand_chacha::rand_core::SeedableRng;
use sero_zk::msm;

fn terms<G: CurveGroup<ScalarField = Fr>>(n: usize) -> (Vec<G::Affine>, Vec<BigInteger256>) {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(n as u64);
    // Random multiples of one random point, stepped (cheap to build).
    let step = G::generator() * Fr::rand(&mut rng);
    let mut p = step;
    let points: Vec<G> = (0..n)
        .map(|_| {
            p += step;
            p
        })
        .collect();
    let scalars = (0..n).map(|_| Fr::rand(&mut rng).into_bigint()).collect();
    (G::normalize_batch(&points), scalars)
}

fn bench_msm(c: &mut Criterion) {
    let mut g = c.benchmark_group("msm");
    g.sample_size(10);
    for n in [4096usize, 16_384] {
        let (b1, s1) = terms::<G1Projective>(n);
        let (b2, s2) = terms::<G2Projective>(n);
        g.bench_function(format!("g1/{n}/sero"), |b| b.iter(|| msm::g1(&b1, &s1)));
        g.bench_function(format!("g1/{n}/arkworks"), |b| {
            b.iter(|| msm::g1_portable(&b1, &s1))
        });
        g.bench_function(format!("g2/{n}/sero"), |b| b.iter(|| msm::g2(&b2, &s2)));
        g.bench_function(format!("g2/{n}/arkworks"), |b| {
            b.iter(|| msm::g2_portable(&b2, &s2))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_msm);
criterion_main!(benches);
