//! The contract state root: a block that changes 5 entries of a state of
//! 100,000 — updating the LtHash accumulator (what the node does) vs
//! recomputing it over every entry, and the previous flat hash (one
//! BLAKE2b pass over every entry, plus the store scan it needed).
//!
//! Also the cost of one spent-set entry (a nullifier or a til).
//!
//! `cargo bench -p sero-evm --bench root`

use criterion::{criterion_group, criterion_main, Criterion};
use sero_evm::LtHash;

fn entry(i: u64) -> (Vec<u8>, Vec<u8>) {
    let mut k = vec![0x04];
    k.extend_from_slice(&[0x11; 20]);
    k.extend_from_slice(&i.to_be_bytes());
    (k, (i * 7919).to_be_bytes().repeat(4))
}

fn bench(c: &mut Criterion) {
    let n = 100_000u64;
    let entries: Vec<_> = (0..n).map(entry).collect();
    let acc = LtHash::of(entries.iter().map(|(k, v)| (k, v)));
    let mut g = c.benchmark_group("state root, 5 changed entries of 100,000");
    g.sample_size(10);
    g.bench_function("incremental (LtHash update)", |b| {
        b.iter(|| {
            let mut a = acc.clone();
            for i in 0..5 {
                let (k, old) = &entries[i * 1000];
                a.update(k, Some(old), Some(&[i as u8; 32]));
            }
            a.root()
        })
    });
    // The previous root: one BLAKE2b pass over every entry in key order
    // (before the store read that it also needed).
    g.bench_function("flat hash over every entry (previous root)", |b| {
        b.iter(|| {
            let mut st = blake2b_simd::Params::new().hash_length(32).to_state();
            for (k, v) in &entries {
                st.update(&(k.len() as u32).to_be_bytes());
                st.update(k);
                st.update(&(v.len() as u32).to_be_bytes());
                st.update(v);
            }
            st.finalize()
        })
    });
    g.bench_function("full recompute", |b| {
        b.iter(|| LtHash::of(entries.iter().map(|(k, v)| (k, v))).root())
    });
    g.finish();
    // The cost a block pays per spent input: two spent-set entries (its
    // nullifier and its til), each one digest and one lane expansion.
    let mut g = c.benchmark_group("spent set");
    g.bench_function("one spent entry (add_spent)", |b| {
        let mut a = acc.clone();
        let mut i = 0u64;
        b.iter(|| {
            let mut id = [0x5a; 32];
            id[..8].copy_from_slice(&i.to_le_bytes());
            i += 1;
            a.add_spent(sero_evm::Spent::Nullifier, &id);
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
