//! Groth16 proving time of the two circuits with the development
//! parameters, witness synthesis included (as `sero bench zk` and
//! `tools/zk-compare` measure it), on the sample statements of
//! `sero_zk::samples`:
//!
//! ```sh
//! cargo bench -p sero-zk --bench prove
//! ```
//!
//! `prove/*` is wall time (all cores). `prove-cpu/*` reports the process's
//! CPU time (user + system, all threads, from `/proc/self/stat`, Linux
//! only) per proof instead: on a machine shared with other jobs it moves far
//! less with their load than wall time does.

use criterion::{criterion_group, criterion_main, Criterion};
use rand_chacha::rand_core::SeedableRng;
use sero_zk::proof::prove;
use sero_zk::samples::{input_statement, output_statement};
use sero_zk::Parameters;
use std::time::Duration;

/// CPU time of this process so far (all threads), from `/proc/self/stat`
/// (`utime` + `stime`, in clock ticks of 10 ms: `USER_HZ` is 100 on Linux).
fn process_cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("Linux /proc");
    // Fields after the command name (which is in parentheses).
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f[11].parse::<u64>().expect("utime") + f[12].parse::<u64>().expect("stime");
    Duration::from_millis(ticks * 10)
}

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

    let mut g = c.benchmark_group("prove-cpu");
    g.sample_size(10);
    for (name, is_input) in [("input", true), ("output", false)] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let start = process_cpu_time();
                for _ in 0..iters {
                    i += 1;
                    if is_input {
                        prove(&params.input, inputs[i % 5].clone(), &mut rng)
                    } else {
                        prove(&params.output, outputs[i % 5].clone(), &mut rng)
                    }
                    .expect("proof");
                }
                process_cpu_time() - start
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_prove);
criterion_main!(benches);
