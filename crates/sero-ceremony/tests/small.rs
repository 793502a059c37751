//! A whole ceremony on a tiny circuit (phase 1 of power 4): contributions,
//! a beacon, verification, proving with the result; and every way to cheat
//! or damage a transcript rejected with a clear message.

use ark_bn254::Fr;
use ark_ec::{AffineRepr, CurveGroup};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_relations::lc;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_ceremony::phase2::Phase2;
use sero_ceremony::{CeremonyError, Circuit, Phase1, Quiet};
use sero_zk::qap::R1csMatrices;

/// Knows `x, y` with `x·y = z` and `(x + z)·x = w`, public `z`, `w`.
#[derive(Clone)]
struct Toy {
    x: Fr,
    y: Fr,
    extra: usize,
}

impl ConstraintSynthesizer<Fr> for Toy {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let z_val = self.x * self.y;
        let w_val = (self.x + z_val) * self.x;
        let z = cs.new_input_variable(|| Ok(z_val))?;
        let w = cs.new_input_variable(|| Ok(w_val))?;
        let x = cs.new_witness_variable(|| Ok(self.x))?;
        let y = cs.new_witness_variable(|| Ok(self.y))?;
        cs.enforce_r1cs_constraint(|| lc!() + x, || lc!() + y, || lc!() + z)?;
        cs.enforce_r1cs_constraint(|| lc!() + x + z, || lc!() + x, || lc!() + w)?;
        for _ in 0..self.extra {
            cs.enforce_r1cs_constraint(|| lc!() + x, || lc!() + y, || lc!() + z)?;
        }
        Ok(())
    }
}

fn toy() -> Toy {
    Toy {
        x: Fr::from(3u64),
        y: Fr::from(5u64),
        extra: 0,
    }
}

fn rng(i: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(i)
}

fn phase1() -> Phase1 {
    let mut p = Phase1::new(4).unwrap();
    for (i, name) in ["alice", "bob", "carol"].iter().enumerate() {
        p.contribute(name, &mut rng(i as u64), &Quiet).unwrap();
    }
    p.beacon(b"block 123 hash", 3, &Quiet).unwrap();
    p
}

fn invalid(r: Result<impl std::fmt::Debug, CeremonyError>) -> String {
    match r {
        Err(CeremonyError::Invalid(m)) => m,
        other => panic!("expected a verification failure, got {other:?}"),
    }
}

#[test]
fn toy_ceremony_end_to_end() {
    let p1 = phase1();
    let report = p1.verify(&mut rng(9), &Quiet).unwrap();
    assert_eq!(report.len(), 4);
    // Round trip through bytes.
    let p1 = Phase1::from_bytes(&p1.to_bytes()).unwrap();
    assert_eq!(p1.verify(&mut rng(9), &Quiet).unwrap().len(), 4);

    let r1cs = R1csMatrices::of(toy()).unwrap();
    let mut p2 = Phase2::new(Circuit::Output, &r1cs, &p1, &Quiet).unwrap();
    for i in 0..3 {
        p2.contribute(&format!("p{i}"), &mut rng(20 + i), &Quiet)
            .unwrap();
    }
    p2.beacon(b"another block", 2, &Quiet).unwrap();
    let p2 = Phase2::from_bytes(&p2.to_bytes()).unwrap();
    assert_eq!(p2.verify(&p1, &r1cs, &mut rng(1), &Quiet).unwrap().len(), 4);

    let params = p2.circuit_params();
    let proof = sero_zk::proof::prove(&params, toy(), &mut rng(5)).unwrap();
    let public = [Fr::from(15u64), Fr::from(54u64)];
    sero_zk::verify(&params, &public, &proof).unwrap();
    assert!(sero_zk::verify(&params, &[Fr::from(15u64), Fr::from(55u64)], &proof).is_err());
}

#[test]
fn phase1_rejects_cheating() {
    let p1 = phase1();
    // A wrong proof of knowledge.
    let mut t = p1.clone();
    t.contributions[1].pok_alpha.g2_spx =
        (t.contributions[1].pok_alpha.g2_spx * Fr::from(2u64)).into_affine();
    let m = invalid(t.verify(&mut rng(1), &Quiet));
    assert!(
        m.contains("#2") && m.contains("proof of knowledge of alpha"),
        "{m}"
    );
    // A skipped step.
    let mut t = p1.clone();
    t.contributions.remove(1);
    let m = invalid(t.verify(&mut rng(1), &Quiet));
    assert!(
        m.contains("#2") && m.contains("skipped or reordered"),
        "{m}"
    );
    // A reordered step.
    let mut t = p1.clone();
    t.contributions.swap(0, 1);
    let m = invalid(t.verify(&mut rng(1), &Quiet));
    assert!(
        m.contains("#1") && m.contains("skipped or reordered"),
        "{m}"
    );
    // A dropped last step.
    let mut t = p1.clone();
    t.contributions.pop();
    let m = invalid(t.verify(&mut rng(1), &Quiet));
    assert!(m.contains("last contribution"), "{m}");
    // A tampered point of the powers.
    let mut t = p1.clone();
    t.accumulator.tau_g1[7] =
        (t.accumulator.tau_g1[7] + ark_bn254::G1Affine::generator()).into_affine();
    let m = invalid(t.verify(&mut rng(1), &Quiet));
    assert!(m.contains("altered") && m.contains("tampered"), "{m}");
    // ... even with the last record's hash fixed up.
    let h = t.accumulator.hash();
    t.contributions.last_mut().unwrap().accumulator_hash = h;
    let m = invalid(t.verify(&mut rng(1), &Quiet));
    assert!(m.contains("tau_g1 is not a sequence of powers"), "{m}");
    // A beacon whose secrets are not its value's.
    let mut t = p1.clone();
    if let sero_ceremony::Source::Beacon { value, .. } = &mut t.contributions[3].source {
        value[0] ^= 1;
    }
    let m = invalid(t.verify(&mut rng(1), &Quiet));
    assert!(m.contains("beacon"), "{m}");
}

#[test]
fn damaged_files_are_clear_errors() {
    let p1 = phase1();
    let bytes = p1.to_bytes();
    for cut in [0, 5, 20, bytes.len() / 2, bytes.len() - 1] {
        let e = Phase1::from_bytes(&bytes[..cut]).unwrap_err();
        assert!(matches!(e, CeremonyError::Format(_)), "{e}");
    }
    let mut b = bytes.clone();
    b[100] ^= 1;
    let e = Phase1::from_bytes(&b).unwrap_err().to_string();
    assert!(e.contains("integrity hash mismatch"), "{e}");
    assert!(Phase2::from_bytes(&bytes)
        .unwrap_err()
        .to_string()
        .contains("not a phase 2"));
}

#[test]
fn phase2_rejects_cheating_and_other_circuits() {
    let p1 = phase1();
    let r1cs = R1csMatrices::of(toy()).unwrap();
    let mut p2 = Phase2::new(Circuit::Output, &r1cs, &p1, &Quiet).unwrap();
    for i in 0..3 {
        p2.contribute(&format!("p{i}"), &mut rng(30 + i), &Quiet)
            .unwrap();
    }
    // Parameters of another circuit.
    let other = R1csMatrices::of(Toy { extra: 1, ..toy() }).unwrap();
    let m = invalid(p2.verify(&p1, &other, &mut rng(1), &Quiet));
    assert!(m.contains("another circuit"), "{m}");
    // Another phase 1.
    let mut p1b = Phase1::new(4).unwrap();
    p1b.contribute("mallory", &mut rng(77), &Quiet).unwrap();
    let m = invalid(p2.verify(&p1b, &r1cs, &mut rng(1), &Quiet));
    assert!(m.contains("another phase 1"), "{m}");
    // Wrong proof of knowledge.
    let mut t = p2.clone();
    t.contributions[2].pok.g1_sx = t.contributions[1].pok.g1_sx;
    let m = invalid(t.verify(&p1, &r1cs, &mut rng(1), &Quiet));
    assert!(m.contains("#3") && m.contains("proof of knowledge"), "{m}");
    // Skipped and reordered steps.
    let mut t = p2.clone();
    t.contributions.remove(1);
    let m = invalid(t.verify(&p1, &r1cs, &mut rng(1), &Quiet));
    assert!(
        m.contains("#2") && m.contains("skipped or reordered"),
        "{m}"
    );
    let mut t = p2.clone();
    t.contributions.swap(1, 2);
    let m = invalid(t.verify(&p1, &r1cs, &mut rng(1), &Quiet));
    assert!(
        m.contains("#2") && m.contains("skipped or reordered"),
        "{m}"
    );
    // Tampered points.
    let g = ark_bn254::G1Affine::generator();
    let mut t = p2.clone();
    t.pk.h_query[1] = (t.pk.h_query[1] + g).into_affine();
    let m = invalid(t.verify(&p1, &r1cs, &mut rng(1), &Quiet));
    assert!(m.contains("tampered"), "{m}");
    let h = sero_ceremony::phase2::key_hash(&t.pk);
    t.contributions.last_mut().unwrap().key_hash = h;
    let m = invalid(t.verify(&p1, &r1cs, &mut rng(1), &Quiet));
    assert!(m.contains("H query"), "{m}");
    let mut t = p2.clone();
    t.pk.a_query[2] = (t.pk.a_query[2] + g).into_affine();
    let m = invalid(t.verify(&p1, &r1cs, &mut rng(1), &Quiet));
    assert!(m.contains("tampered"), "{m}");
    // A beacon value snarkjs's file format cannot carry, or too many
    // iterations: clear usage errors, and the transcript is unchanged.
    let mut t = p2.clone();
    for (value, exp, msg) in [
        (vec![7u8; 256], 3u8, "1 to 255 bytes"),
        (vec![], 3, "1 to 255 bytes"),
        (vec![7u8; 8], 41, "at most 40"),
    ] {
        let e = t.beacon(&value, exp, &Quiet).unwrap_err();
        assert!(matches!(e, CeremonyError::Usage(_)), "{e}");
        assert!(e.to_string().contains(msg), "{e}");
    }
    assert_eq!(t, p2);
    // A beacon whose secret or g1_s is not the one its value derives.
    let mut t = p2.clone();
    t.beacon(b"public beacon", 2, &Quiet).unwrap();
    t.verify(&p1, &r1cs, &mut rng(1), &Quiet).unwrap();
    if let sero_ceremony::Source::Beacon { value, .. } = &mut t.contributions[3].source {
        value[0] ^= 1;
    }
    let m = invalid(t.verify(&p1, &r1cs, &mut rng(1), &Quiet));
    assert!(m.contains("#4") && m.contains("beacon"), "{m}");
    // Exporting the circuits in the wrong order.
    let e = sero_ceremony::phase2::parameters(&p2, &p2)
        .unwrap_err()
        .to_string();
    assert!(e.contains("another circuit"), "{e}");
}
