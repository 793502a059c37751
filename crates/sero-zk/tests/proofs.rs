//! Real Groth16 proofs with the development parameters: they verify, one by
//! one and in batches, and stop verifying when any public input, the proof
//! or the circuit changes. Parameter files round-trip and reject damage.

mod common;

use common::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_crypto::Base;
use sero_zk::params::Parameters;
use sero_zk::proof::{prove, prove_all, prove_input, prove_jobs, prove_output, ProofJob};
use sero_zk::{
    batch_verify, batch_verify_groups, verify, InputProofPublic, OutputProofPublic, ZkError,
    ZkProof,
};

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(11)
}

#[test]
fn output_proof_verifies_and_binds_every_public_input() {
    let p = Parameters::dev();
    let c = output_for(gold(77));
    let public = c.public;
    let proof = prove_output(&p.output, c, &mut rng()).unwrap();
    let inputs = public.to_field_elements();
    assert_eq!(inputs.len(), OutputProofPublic::LEN);
    verify(&p.output, &inputs, &proof).unwrap();
    for i in 0..inputs.len() {
        let mut changed = inputs.clone();
        changed[i] += Base::from(1u64);
        assert!(verify(&p.output, &changed, &proof).is_err(), "input {i}");
    }
    // The proof does not verify against the other circuit's key.
    assert!(verify(&p.input, &inputs, &proof).is_err());
    // Wrong number of public inputs: a clear error.
    assert!(matches!(
        verify(&p.output, &inputs[..3], &proof),
        Err(ZkError::PublicInputs {
            expected: 4,
            got: 3
        })
    ));
}

#[test]
fn input_proof_verifies_and_binds_every_public_input() {
    let p = Parameters::dev();
    let (c, _) = input_for(&account(3), gold(5));
    let public = c.public;
    let proof = prove_input(&p.input, c, &mut rng()).unwrap();
    let inputs = public.to_field_elements();
    assert_eq!(inputs.len(), InputProofPublic::LEN);
    verify(&p.input, &inputs, &proof).unwrap();
    for i in 0..inputs.len() {
        let mut changed = inputs.clone();
        changed[i] += Base::from(1u64);
        assert!(verify(&p.input, &changed, &proof).is_err(), "input {i}");
    }
}

#[test]
fn provers_refuse_bad_witnesses_with_a_clear_error() {
    let p = Parameters::dev();
    let mut c = output_for(gold(77));
    c.public.cm_out += Base::from(1u64);
    assert!(matches!(
        prove_output(&p.output, c.clone(), &mut rng()),
        Err(ZkError::Unsatisfied(_))
    ));
    // Forcing a proof past the check gives one that does not verify.
    let public = c.public.to_field_elements();
    let forced = prove(&p.output, c, &mut rng()).unwrap();
    assert!(verify(&p.output, &public, &forced).is_err());
}

/// Both circuits' statements in one schedule (a transaction's proofs): the
/// proofs come back in the jobs' order, each verifying against its own
/// statement, and `done` counts every proof.
#[test]
fn proof_jobs_of_both_circuits_come_back_in_order_and_verified() {
    let p = Parameters::dev();
    let (input, _tree) = input_for(&account(3), gold(40));
    let outputs = [output_for(gold(25)), output_for(gold(15))];
    let publics: Vec<Vec<Base>> = std::iter::once(input.public.to_field_elements())
        .chain(outputs.iter().map(|c| c.public.to_field_elements()))
        .collect();
    let mut jobs = vec![ProofJob::checked(&p.input, input, publics[0].clone())];
    for (c, public) in outputs.into_iter().zip(&publics[1..]) {
        jobs.push(ProofJob::checked(&p.output, c, public.clone()));
    }
    let done = std::sync::atomic::AtomicUsize::new(0);
    let proofs = prove_jobs(jobs, &mut rng(), &|| {
        done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    })
    .unwrap();
    assert_eq!(proofs.len(), 3);
    assert_eq!(done.into_inner(), 3);
    verify(&p.input, &publics[0], &proofs[0]).unwrap();
    verify(&p.output, &publics[1], &proofs[1]).unwrap();
    verify(&p.output, &publics[2], &proofs[2]).unwrap();
    // Order matters: the outputs' proofs do not verify swapped.
    assert!(verify(&p.output, &publics[1], &proofs[2]).is_err());
    // From inside a rayon pool (a bench proving many transactions), the
    // same jobs run on the caller's pool.
    let c = output_for(gold(5));
    let public = c.public.to_field_elements();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let inner = pool
        .install(|| {
            prove_jobs(
                vec![ProofJob::checked(&p.output, c, public.clone())],
                &mut rng(),
                &|| {},
            )
        })
        .unwrap();
    verify(&p.output, &public, &inner[0]).unwrap();
}

/// A checked job refuses a bad witness by naming the constraint, and a
/// good witness checked against another statement's public inputs with
/// `InvalidProof`; one failing job fails the whole schedule.
#[test]
fn checked_proof_jobs_refuse_bad_witnesses_and_wrong_statements() {
    let p = Parameters::dev();
    let mut bad = output_for(gold(77));
    bad.public.cm_out += Base::from(1u64);
    let bad_public = bad.public.to_field_elements();
    let good = output_for(gold(78));
    let good_public = good.public.to_field_elements();
    let jobs = vec![
        ProofJob::checked(&p.output, good.clone(), good_public.clone()),
        ProofJob::checked(&p.output, bad, bad_public),
    ];
    assert!(matches!(
        prove_jobs(jobs, &mut rng(), &|| {}),
        Err(ZkError::Unsatisfied(_))
    ));
    let other = output_for(gold(79)).public.to_field_elements();
    assert!(matches!(
        prove_jobs(
            vec![ProofJob::checked(&p.output, good, other)],
            &mut rng(),
            &|| {}
        ),
        Err(ZkError::InvalidProof)
    ));
}

#[test]
fn proof_encoding_roundtrip_and_rejection() {
    let p = Parameters::dev();
    let c = output_for(gold(1));
    let public = c.public.to_field_elements();
    let proof = prove(&p.output, c, &mut rng()).unwrap();
    let bytes = proof.to_bytes();
    let back = ZkProof::from_bytes(&bytes).unwrap();
    verify(&p.output, &public, &back).unwrap();
    assert!(ZkProof::from_bytes(&bytes[..127]).is_err());
    assert!(ZkProof::from_bytes(&[0xff; 128]).is_err());
    // Every single-bit flip is rejected by decoding or by verification.
    for i in (0..128).step_by(5) {
        let mut b = bytes;
        b[i] ^= 0x04;
        if let Ok(q) = ZkProof::from_bytes(&b) {
            assert!(verify(&p.output, &public, &q).is_err(), "byte {i}");
        }
    }
}

#[test]
fn proof_decoding_rejects_points_off_their_groups() {
    use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
    use ark_serialize::CanonicalSerialize;
    use ark_std::UniformRand;
    let p = Parameters::dev();
    let proof = prove(&p.output, output_for(gold(1)), &mut rng()).unwrap();
    let encode = |a: &G1Affine, b: &G2Affine, c: &G1Affine| {
        let mut v = Vec::new();
        a.serialize_compressed(&mut v).unwrap();
        b.serialize_compressed(&mut v).unwrap();
        c.serialize_compressed(&mut v).unwrap();
        v
    };
    let (a, b, c) = (proof.0.a, proof.0.b, proof.0.c);
    assert_eq!(encode(&a, &b, &c), proof.to_bytes().to_vec());
    // B on the twist but outside G2 (the cofactor not cleared), alone and
    // added to the honest B (a mixed point): refused at decoding.
    let mut r = rng();
    let off = loop {
        let x = Fq2::rand(&mut r);
        if let Some(q) = G2Affine::get_point_from_x_unchecked(x, false) {
            break q;
        }
    };
    assert!(!off.is_in_correct_subgroup_assuming_on_curve());
    let mixed: G2Affine = (b + off).into();
    for bad in [off, mixed] {
        let err = ZkProof::from_bytes(&encode(&a, &bad, &c)).unwrap_err();
        assert!(
            matches!(&err, ZkError::ProofEncoding(m) if m.contains("subgroup")),
            "{err}"
        );
    }
    // A with an x that has no y on G1: not a point.
    let mut x = Fq::from(1u64);
    while G1Affine::get_point_from_x_unchecked(x, false).is_some() {
        x += Fq::from(1u64);
    }
    let mut bytes = proof.to_bytes();
    let mut xb = Vec::new();
    x.serialize_compressed(&mut xb).unwrap();
    bytes[..32].copy_from_slice(&xb);
    assert!(matches!(
        ZkProof::from_bytes(&bytes),
        Err(ZkError::ProofEncoding(_))
    ));
}

#[test]
fn one_batch_over_both_circuits_accepts_valid_and_rejects_any_invalid() {
    let p = Parameters::dev();
    let outs: Vec<(Vec<Base>, ZkProof)> = (0..3u128)
        .map(|v| {
            let c = output_for(gold(v + 1));
            let public = c.public.to_field_elements();
            (public, prove(&p.output, c, &mut rng()).unwrap())
        })
        .collect();
    let ins: Vec<(Vec<Base>, ZkProof)> = (0..2u8)
        .map(|k| {
            let (c, _) = input_for(&account(k + 7), gold(9));
            let public = c.public.to_field_elements();
            (public, prove(&p.input, c, &mut rng()).unwrap())
        })
        .collect();
    let os = &mut rand::rngs::OsRng;
    batch_verify_groups(&[(&p.input, &ins), (&p.output, &outs)], os).unwrap();
    batch_verify_groups(&[(&p.output, &outs), (&p.input, &ins)], os).unwrap();
    batch_verify_groups(&[(&p.input, &ins), (&p.output, &[])], os).unwrap();
    batch_verify_groups(&[(&p.input, &[]), (&p.output, &[])], os).unwrap();
    batch_verify_groups(&[], os).unwrap();
    // A changed public input in either circuit's group.
    let mut bad = ins.clone();
    bad[1].0[0] += Base::from(1u64);
    assert!(matches!(
        batch_verify_groups(&[(&p.input, &bad), (&p.output, &outs)], os),
        Err(ZkError::InvalidBatch(5))
    ));
    let mut bad = outs.clone();
    bad[2].0[1] += Base::from(1u64);
    assert!(batch_verify_groups(&[(&p.input, &ins), (&p.output, &bad)], os).is_err());
    // Each group checked against its own keys: the groups' keys swapped
    // (arity matching) or a proof moved to the other circuit's group.
    let one_in = vec![ins[0].clone()];
    assert!(batch_verify_groups(&[(&p.output, &one_in[..0]), (&p.input, &one_in)], os).is_ok());
    let mut moved = outs.clone();
    moved[0].1 = ins[0].1.clone();
    assert!(batch_verify_groups(&[(&p.input, &ins), (&p.output, &moved)], os).is_err());
    // A tampered proof point (B of one proof replaced by another's).
    let mut bad = outs.clone();
    bad[0].1 .0.b = outs[1].1 .0.b;
    assert!(batch_verify_groups(&[(&p.input, &ins), (&p.output, &bad)], os).is_err());
    // The same statements in two groups of the same circuit also verify
    // (a group is just a set of proofs with its keys).
    batch_verify_groups(&[(&p.output, &outs[..1]), (&p.output, &outs[1..])], os).unwrap();
    // Wrong arity stays a clear error.
    assert!(matches!(
        batch_verify_groups(&[(&p.output, &ins), (&p.input, &[])], os),
        Err(ZkError::PublicInputs { .. })
    ));
}

#[test]
fn batch_verification_accepts_valid_and_rejects_any_invalid() {
    let p = Parameters::dev();
    let circuits: Vec<_> = (0..6u128).map(|v| output_for(gold(v))).collect();
    let publics: Vec<Vec<Base>> = circuits
        .iter()
        .map(|c| c.public.to_field_elements())
        .collect();
    let proofs = prove_all(&p.output, circuits, &mut rng()).unwrap();
    let items: Vec<(Vec<Base>, ZkProof)> = publics.into_iter().zip(proofs).collect();
    batch_verify(&p.output, &items, &mut rand::rngs::OsRng).unwrap();
    batch_verify(&p.output, &[], &mut rand::rngs::OsRng).unwrap();
    // One changed public input anywhere in the batch.
    for k in [0usize, 3, 5] {
        let mut bad = items.clone();
        bad[k].0[2] += Base::from(1u64);
        assert!(matches!(
            batch_verify(&p.output, &bad, &mut rand::rngs::OsRng),
            Err(ZkError::InvalidBatch(6))
        ));
    }
    // Two proofs swapped between statements.
    let mut bad = items.clone();
    let tmp = bad[0].1.clone();
    bad[0].1 = bad[1].1.clone();
    bad[1].1 = tmp;
    assert!(batch_verify(&p.output, &bad, &mut rand::rngs::OsRng).is_err());
    // A proof of the other circuit in the batch.
    let (ic, _) = input_for(&account(3), gold(5));
    let ipub = ic.public.to_field_elements();
    let iproof = prove(&p.input, ic, &mut rng()).unwrap();
    let mut bad = items.clone();
    bad[2].1 = iproof;
    assert!(batch_verify(&p.output, &bad, &mut rand::rngs::OsRng).is_err());
    // Wrong arity is a clear error.
    let mut bad = items;
    bad[1].0 = ipub;
    assert!(matches!(
        batch_verify(&p.output, &bad, &mut rand::rngs::OsRng),
        Err(ZkError::PublicInputs { .. })
    ));
}

#[test]
fn parameter_file_roundtrip_and_damage() {
    let p = Parameters::dev();
    assert!(p.insecure);
    let mut file = vec![];
    p.write(&mut file).unwrap();
    let q = Parameters::read(&file[..]).unwrap();
    assert_eq!(q.vk_hash(), p.vk_hash());
    assert!(q.insecure);
    // Regeneration from the same seed is deterministic.
    assert_eq!(
        Parameters::generate_insecure(sero_zk::params::DEV_SEED)
            .unwrap()
            .vk_hash(),
        p.vk_hash()
    );
    // The pinned hash by which nodes recognise them is theirs.
    assert_eq!(
        hex::encode(p.vk_hash()),
        hex::encode(sero_zk::params::DEV_VK_HASH),
        "DEV_VK_HASH is stale"
    );
    assert!(p.is_insecure());
    // Clearing the insecure flag in the file does not make them secure.
    let mut cleared = file.clone();
    cleared[12] = 0;
    let n = cleared.len();
    let h = sero_crypto::hash::hash256(
        sero_crypto::hash::tags::ZK_PARAMS_FILE,
        &[&cleared[..n - 32]],
    );
    cleared[n - 32..].copy_from_slice(&h);
    let r = Parameters::read(&cleared[..]).unwrap();
    assert!(!r.insecure);
    assert!(r.is_insecure());
    // Proofs made with loaded keys verify with the originals.
    let c = output_for(gold(3));
    let public = c.public.to_field_elements();
    let proof = prove(&q.output, c, &mut rng()).unwrap();
    verify(&p.output, &public, &proof).unwrap();
    // One circuit only: same keys, the other section skipped but hashed.
    let only =
        sero_zk::CircuitParams::read_one(&file[..], sero_zk::params::CircuitKind::Input).unwrap();
    assert_eq!(only.vk(), p.input.vk());
    let mut bad = file.clone();
    let n = bad.len();
    bad[n / 10] ^= 1; // inside the output section
    assert!(
        sero_zk::CircuitParams::read_one(&bad[..], sero_zk::params::CircuitKind::Input).is_err()
    );
    // Damage: flipped byte, truncation, bad magic, trailing garbage.
    let mut bad = file.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 1;
    assert!(Parameters::read(&bad[..]).is_err());
    assert!(Parameters::read(&file[..file.len() - 1]).is_err());
    assert!(Parameters::read(&file[..10]).is_err());
    let mut bad = file.clone();
    bad[0] = b'X';
    assert!(Parameters::read(&bad[..]).is_err());
    let mut bad = file;
    bad.push(0);
    assert!(Parameters::read(&bad[..]).is_err());
}
