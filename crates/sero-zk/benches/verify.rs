//! Where a batch verification's time goes, per proof:
//! `cargo bench -p sero-zk --bench verify`. Run it with
//! `RAYON_NUM_THREADS=1` to read the rows as CPU time per proof.
//!
//! `batch/32` is [`sero_zk::proof::batch_verify`] over 32 output proofs;
//! the `part/*` rows are its pieces on the same proofs: the weight
//! multiplication `rᵢ·Aᵢ` (128-bit `rᵢ`), the preparation of one `Bᵢ`
//! (the line coefficients of its Miller loop) and the final
//! exponentiation the batch pays once. `miller_loop_32/*` is the
//! multi-Miller loop of the 32 pairs `(Aᵢ, Bᵢ)`, preparation included,
//! by arkworks and by [`sero_zk::miller`] (`sero`: IFMA lanes where the
//! CPU has them; `sero-portable`: arkworks' field arithmetic), and
//! `miller_loop_4/*` the same for the first four pairs (one transaction's
//! proofs).

use ark_bn254::{Bn254, Fr, G1Affine, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, PrimeGroup, VariableBaseMSM};
use ark_ff::PrimeField;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use sero_zk::proof::{batch_verify, prove};
use sero_zk::samples::output_statement;
use sero_zk::{Parameters, ZkProof};

const N: usize = 32;

fn bench_verify(c: &mut Criterion) {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
    let params = Parameters::dev();
    let items: Vec<(Vec<Fr>, ZkProof)> = (0..N as u64)
        .map(|i| {
            let circuit = output_statement(i);
            let public = circuit.public.to_field_elements();
            let proof = prove(&params.output, circuit, &mut rng).expect("proves");
            (public, proof)
        })
        .collect();
    let mut g = c.benchmark_group("verify");
    g.sample_size(20);
    g.bench_function("batch/32", |b| {
        b.iter(|| batch_verify(&params.output, black_box(&items), &mut rng).expect("valid"))
    });
    let weight = |rng: &mut rand_chacha::ChaCha20Rng| {
        let mut w = [0u8; 16];
        rng.fill_bytes(&mut w);
        Fr::from_le_bytes_mod_order(&w)
    };
    let a: G1Affine = items[0].1 .0.a;
    let bpt: G2Affine = items[0].1 .0.b;
    let r = weight(&mut rng);
    g.bench_function("part/weight_mul_g1", |b| {
        b.iter(|| black_box(a).mul_bigint(black_box(r).into_bigint()))
    });
    g.bench_function("part/weight_mul_g1_glv", |b| {
        b.iter(|| {
            black_box(a)
                .into_group()
                .mul_bigint(black_box(r).into_bigint())
        })
    });
    let full = weight(&mut rng) * weight(&mut rng);
    g.bench_function("part/full_mul_g1_glv", |b| {
        b.iter(|| {
            black_box(a)
                .into_group()
                .mul_bigint(black_box(full).into_bigint())
        })
    });
    g.bench_function("part/prepare_g2", |b| {
        b.iter(|| <Bn254 as Pairing>::G2Prepared::from(black_box(bpt)))
    });
    let g1s: Vec<G1Affine> = items.iter().map(|(_, p)| p.0.a).collect();
    let g2s: Vec<G2Affine> = items.iter().map(|(_, p)| p.0.b).collect();
    g.bench_function("miller_loop_32/arkworks", |b| {
        b.iter(|| Bn254::multi_miller_loop(black_box(g1s.clone()), black_box(g2s.clone())))
    });
    g.bench_function("miller_loop_32/sero", |b| {
        b.iter(|| sero_zk::miller::multi_miller_loop(black_box(&g1s), black_box(&g2s)))
    });
    g.bench_function("miller_loop_32/sero-portable", |b| {
        b.iter(|| sero_zk::miller::multi_miller_loop_portable(black_box(&g1s), black_box(&g2s)))
    });
    g.bench_function("miller_loop_4/sero", |b| {
        b.iter(|| sero_zk::miller::multi_miller_loop(black_box(&g1s[..4]), black_box(&g2s[..4])))
    });
    g.bench_function("miller_loop_4/sero-portable", |b| {
        b.iter(|| {
            sero_zk::miller::multi_miller_loop_portable(black_box(&g1s[..4]), black_box(&g2s[..4]))
        })
    });
    let ic = &params.output.pvk.vk.gamma_abc_g1;
    let ic_scalars: Vec<Fr> = ic
        .iter()
        .map(|_| weight(&mut rng) * weight(&mut rng))
        .collect();
    g.bench_function("part/public_input_msm", |b| {
        b.iter(|| ark_bn254::G1Projective::msm_unchecked(black_box(ic), black_box(&ic_scalars)))
    });
    let cs: Vec<G1Affine> = items.iter().map(|(_, p)| p.0.c).collect();
    let w64: Vec<u64> = cs.iter().map(|_| rng.next_u64()).collect();
    g.bench_function("part/c_msm_u64_32", |b| {
        b.iter(|| ark_bn254::G1Projective::msm_u64(black_box(&cs), black_box(&w64)))
    });
    let ml = Bn254::multi_miller_loop(g1s.clone(), g2s.clone());
    g.bench_function("part/final_exponentiation", |b| {
        b.iter(|| Bn254::final_exponentiation(black_box(ml)))
    });
    g.finish();
}

criterion_group!(benches, bench_verify);
criterion_main!(benches);
