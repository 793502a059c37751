//! Account-system benchmarks: `cargo bench -p sero-keys --bench keys`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_crypto::ladder::Backend;
use sero_keys::{open, seal, OneTimeAddress, Scanner, SecretKey, Seed};

fn setup() -> (SecretKey, ChaCha20Rng) {
    (
        SecretKey::from_seed(&Seed::from_bytes([1; 32])),
        ChaCha20Rng::seed_from_u64(1),
    )
}

fn bench_keys(c: &mut Criterion) {
    let (sk, mut rng) = setup();
    let pk = sk.payment_address();
    let tk = sk.trace_key();
    let other = SecretKey::from_seed(&Seed::from_bytes([2; 32])).payment_address();

    c.bench_function("pkr/derive", |b| b.iter(|| pk.derive_pkr(&mut rng)));

    let pkr = pk.derive_pkr(&mut rng);
    let foreign = other.derive_pkr(&mut rng);
    let scanner = Scanner::new(&tk);
    c.bench_function("recognise/generic", |b| b.iter(|| tk.is_mine(&foreign)));
    c.bench_function("recognise/scanner-decoded", |b| {
        b.iter(|| scanner.is_mine(&foreign))
    });
    let fb = foreign.to_bytes();
    c.bench_function("recognise/scanner-bytes", |b| {
        b.iter(|| scanner.is_mine_bytes(&fb))
    });

    // Wallet scan rate over a batch of outputs, on all cores (rayon). The
    // filter backend: AVX-512 IFMA lanes where the CPU has them ("ifma"),
    // arkworks field arithmetic otherwise ("portable"); "reference" is the
    // former path (one decompression and wNAF multiplication per PKr).
    let portable = Scanner::with_backend(&tk, Backend::Portable);
    let reference = |pkrs: &[[u8; 96]]| -> Vec<bool> {
        use rayon::prelude::*;
        pkrs.par_iter().map(|p| scanner.is_mine_bytes(p)).collect()
    };
    for n in [4096usize, 65536] {
        let batch: Vec<OneTimeAddress> = (0..n).map(|_| other.derive_pkr(&mut rng)).collect();
        let bytes: Vec<[u8; 96]> = batch.iter().map(|p| p.to_bytes()).collect();
        let mut g = c.benchmark_group(format!("scan-{n}"));
        g.throughput(Throughput::Elements(n as u64));
        g.sample_size(10);
        if n == 4096 {
            g.bench_function("reference-bytes", |b| b.iter(|| reference(&bytes)));
            g.bench_function("reference-decoded", |b| {
                b.iter(|| {
                    use rayon::prelude::*;
                    batch
                        .par_iter()
                        .map(|p| scanner.is_mine(p))
                        .collect::<Vec<_>>()
                })
            });
        }
        if scanner.backend() == Backend::Ifma {
            g.bench_function("ifma-bytes", |b| b.iter(|| scanner.scan_bytes(&bytes)));
            g.bench_function("ifma-decoded", |b| b.iter(|| scanner.scan(&batch)));
        }
        g.bench_function("portable-bytes", |b| b.iter(|| portable.scan_bytes(&bytes)));
        g.finish();
    }

    let msg = [7u8; 128];
    c.bench_function("seal/128B", |b| b.iter(|| seal(&pkr, &msg, b"", &mut rng)));
    let sealed = seal(&pkr, &msg, b"", &mut rng);
    c.bench_function("open/128B", |b| b.iter(|| open(&tk, &sealed, b"").unwrap()));

    c.bench_function("pkr-sig/sign", |b| {
        b.iter_batched(
            || [9u8; 32],
            |aux| sk.sign_with_aux(&pkr, b"message", &aux).unwrap(),
            BatchSize::SmallInput,
        )
    });
    let sig = sk.sign_with_aux(&pkr, b"message", &[9; 32]).unwrap();
    c.bench_function("pkr-sig/verify", |b| {
        b.iter(|| pkr.verify(b"message", &sig).unwrap())
    });
}

criterion_group!(benches, bench_keys);
criterion_main!(benches);
