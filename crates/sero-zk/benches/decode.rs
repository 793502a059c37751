//! Decoding a proof from the wire: `cargo bench -p sero-zk --bench decode`.
//! Every proof a node receives is decompressed and its `B` checked in G2;
//! `g2/psi` is the check in use (`sero_zk::g2`), `g2/arkworks` the
//! `ψ(P) = [6x₀²]P` check it replaced; `g2/all_in_g2/*` the batched check
//! of a transaction's (4) and a full vector's (8) points. `proof/*`:
//! a whole proof decoded (`from_bytes`, with its G2 check), decompressed
//! alone (`deferred`, no G2 check), four and eight decompressed together
//! (`many/*`, per proof eight per vector pass), and arkworks' own
//! decompression (`arkworks`, `Validate::No`) for comparison.

use ark_bn254::{Fr, G2Projective};
use ark_ec::{short_weierstrass::SWCurveConfig, CurveGroup, PrimeGroup};
use ark_std::UniformRand;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rand_chacha::rand_core::SeedableRng;
use sero_zk::proof::prove;
use sero_zk::samples::output_statement;
use sero_zk::{Parameters, ZkProof};

fn bench_decode(c: &mut Criterion) {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2);
    let b = (G2Projective::generator() * Fr::rand(&mut rng)).into_affine();
    c.bench_function("g2/psi", |x| {
        x.iter(|| sero_zk::g2::is_in_g2(black_box(&b)))
    });
    c.bench_function("g2/arkworks", |x| {
        x.iter(|| ark_bn254::g2::Config::is_in_correct_subgroup_assuming_on_curve(black_box(&b)))
    });
    let four: Vec<_> = (0..4)
        .map(|_| (G2Projective::generator() * Fr::rand(&mut rng)).into_affine())
        .collect();
    let eight: Vec<_> = four.iter().chain(&four).copied().collect();
    c.bench_function("g2/all_in_g2/4", |x| {
        x.iter(|| sero_zk::g2::all_in_g2(black_box(&four)))
    });
    c.bench_function("g2/all_in_g2/8", |x| {
        x.iter(|| sero_zk::g2::all_in_g2(black_box(&eight)))
    });
    let params = Parameters::dev();
    let proof = prove(&params.output, output_statement(0), &mut rng).expect("proves");
    let bytes = proof.to_bytes();
    c.bench_function("proof/from_bytes", |x| {
        x.iter(|| ZkProof::from_bytes(black_box(&bytes)).expect("decodes"))
    });
    c.bench_function("proof/deferred", |x| {
        x.iter(|| ZkProof::from_bytes_deferred(black_box(&bytes)).expect("decodes"))
    });
    c.bench_function("proof/arkworks", |x| {
        use ark_serialize::{CanonicalDeserialize, Compress, Validate};
        x.iter(|| {
            ark_groth16::Proof::<ark_bn254::Bn254>::deserialize_with_mode(
                black_box(&bytes[..]),
                Compress::Yes,
                Validate::No,
            )
            .expect("decodes")
        })
    });
    for n in [4usize, 8] {
        let many: Vec<&[u8]> = (0..n).map(|_| &bytes[..]).collect();
        c.bench_function(&format!("proof/many/{n}"), |x| {
            x.iter(|| ZkProof::many_from_bytes_deferred(black_box(&many)))
        });
    }
}

criterion_group!(benches, bench_decode);
criterion_main!(benches);
