//! Groth16 proving time of the two circuits with the development
//! parameters, witness synthesis included (as `sero bench zk` and
//! `tools/zk-compare` measure it), on the sample statements of
//! `sero_zk::samples`:
//!
//! ```sh
//! cargo bench -p sero-zk --bench prove
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use rand_chacha::rand_core::SeedableRng;
use sero_zk::proof::prove;
use sero_zk::samples::{input_statement, output_statement};
use sero_zk::Parameters;

fn bench_prove(c: &mut Criterion) {
    let params = Parameters::dev();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let mut g = c.benchmark_group("prove");
    g.sample_size(20);
    let inputs: Vec<_> = (0..5).map(input_statement).collect();
    let outputs: Vec<_> = (0..5).map(output_statement).collect();
    let mut i = 0;
    g.bench_function("input", |b| {
        b.iter(|| {
            i += 1;
            prove(&params.input, inputs[i % 5].clone(), &mut rng).expect("proof")
        })
    });
    g.bench_function("output", |b| {
        b.iter(|| {
            i += 1;
            prove(&params.output, outputs[i % 5].clone(), &mut rng).expect("proof")
        })
    });
    g.finish();
}

criterion_group!(benches, bench_prove);
criterion_main!(benches);
