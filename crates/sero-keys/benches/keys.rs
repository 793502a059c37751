//! Account-system benchmarks: `cargo bench -p sero-keys --bench keys`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
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

    // Wallet scan rate over a batch of outputs, on all cores (rayon).
    const N: usize = 4096;
    let batch: Vec<OneTimeAddress> = (0..N).map(|_| other.derive_pkr(&mut rng)).collect();
    let bytes: Vec<[u8; 96]> = batch.iter().map(|p| p.to_bytes()).collect();
    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(20);
    g.bench_function("decoded-parallel", |b| b.iter(|| scanner.scan(&batch)));
    g.bench_function("bytes-parallel", |b| b.iter(|| scanner.scan_bytes(&bytes)));
    g.finish();

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
