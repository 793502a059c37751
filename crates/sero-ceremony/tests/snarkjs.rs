//! Cross-checks with snarkjs (npm package `snarkjs`, found via $SNARKJS or
//! in `<repo>/target/snarkjs`, installed there with npm if absent; `.ci/run`
//! installs it). Skipped, loudly, only where npm is missing.
//!
//! * snarkjs makes a Powers of Tau (two contributions and a beacon) and
//!   verifies it; we import it as our phase 1 and verify its powers.
//! * snarkjs reads the `.r1cs` we write for a small circuit and makes its
//!   phase 2 key from its ptau (`groth16 setup`): it is exactly the initial
//!   key we compute from the same ptau. snarkjs contributes to it and
//!   verifies it (`zkey verify`, which also checks our r1cs); we verify the
//!   contributed key's structure and prove with it (snarkjs's reduction).
//! * The `.zkey` we write for a fresh phase 2 is, section for section, the
//!   one snarkjs's `groth16 setup` writes (the coefficients and the circuit
//!   hash included).
//! * We verify snarkjs's contributions (a participant and a beacon) with
//!   our port of its scheme, and notice tampering.
//! * We run our own phase 2 on snarkjs's phase 1 (participants and a
//!   beacon), export it as a `.zkey`, and `snarkjs zkey verify` accepts our
//!   contributions; a tampered one it refuses. We prove with the result, and
//!   snarkjs's verifier (`groth16 verify`) accepts the proof under our
//!   verifying key.

use ark_bn254::Fr;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_relations::lc;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_ceremony::phase2::{check_key, initial_key, Phase2};
use sero_ceremony::snarkjs::{
    proof_json, ptau_bytes, public_json, r1cs_bytes, read_zkey, verify_zkey, vk_json, zkey_bytes,
};
use sero_ceremony::{Circuit, Phase1, Quiet};
use sero_zk::params::CircuitParams;
use sero_zk::qap::{R1csMatrices, Reduction};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Knows `x, y` with `x·y = z`, `(x + z)·x = w`, `y·y = v`; public `z, w`.
#[derive(Clone)]
struct Toy {
    x: Fr,
    y: Fr,
}

impl ConstraintSynthesizer<Fr> for Toy {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let z_val = self.x * self.y;
        let w_val = (self.x + z_val) * self.x;
        let z = cs.new_input_variable(|| Ok(z_val))?;
        let w = cs.new_input_variable(|| Ok(w_val))?;
        let x = cs.new_witness_variable(|| Ok(self.x))?;
        let y = cs.new_witness_variable(|| Ok(self.y))?;
        let v = cs.new_witness_variable(|| Ok(self.y * self.y))?;
        cs.enforce_r1cs_constraint(|| lc!() + x, || lc!() + y, || lc!() + z)?;
        cs.enforce_r1cs_constraint(|| lc!() + x + z, || lc!() + x, || lc!() + w)?;
        cs.enforce_r1cs_constraint(|| lc!() + y, || lc!() + y, || lc!() + v)?;
        Ok(())
    }
}

fn toy() -> Toy {
    Toy {
        x: Fr::from(3u64),
        y: Fr::from(5u64),
    }
}

fn public() -> [Fr; 2] {
    [Fr::from(15u64), Fr::from(54u64)]
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// snarkjs, or `None` (with a loud message) where npm is missing.
fn snarkjs() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("SNARKJS") {
        return Some(PathBuf::from(p));
    }
    let prefix = repo_root().join("target/snarkjs");
    let local = prefix.join("node_modules/.bin/snarkjs");
    if local.is_file() {
        return Some(local);
    }
    if Command::new("npm").arg("--version").output().is_err() {
        eprintln!(
            "\n!!!!!!!!!! SKIPPED: npm not found, so snarkjs cannot be installed: the \
             snarkjs cross-checks did not run !!!!!!!!!!\n"
        );
        return None;
    }
    let st = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&prefix)
        .arg("snarkjs@0.7.6")
        .status()
        .expect("run npm");
    assert!(st.success(), "npm install snarkjs failed");
    Some(local)
}

/// A binfile's sections by id.
fn sections(b: &[u8]) -> std::collections::BTreeMap<u32, Vec<u8>> {
    let n = u32::from_le_bytes(b[8..12].try_into().unwrap());
    let mut pos = 12;
    let mut out = std::collections::BTreeMap::new();
    for _ in 0..n {
        let id = u32::from_le_bytes(b[pos..pos + 4].try_into().unwrap());
        let len = u64::from_le_bytes(b[pos + 4..pos + 12].try_into().unwrap()) as usize;
        out.insert(id, b[pos + 12..pos + 12 + len].to_vec());
        pos += 12 + len;
    }
    out
}

/// snarkjs's exit status and output.
fn try_run(snarkjs: &Path, dir: &Path, args: &[&str]) -> (bool, String) {
    let o = Command::new(snarkjs)
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run snarkjs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.success(), text)
}

fn run(snarkjs: &Path, dir: &Path, args: &[&str]) -> String {
    let o = Command::new(snarkjs)
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run snarkjs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "snarkjs {args:?} failed:\n{text}");
    text
}

#[test]
fn snarkjs_and_sero_check_each_other() {
    let Some(sj) = snarkjs() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();

    // snarkjs's phase 1.
    run(&sj, d, &["powersoftau", "new", "bn128", "4", "pot0.ptau"]);
    run(
        &sj,
        d,
        &[
            "powersoftau",
            "contribute",
            "pot0.ptau",
            "pot1.ptau",
            "--name=one",
            "-e=snarkjs entropy one",
        ],
    );
    run(
        &sj,
        d,
        &[
            "powersoftau",
            "contribute",
            "pot1.ptau",
            "pot2.ptau",
            "--name=two",
            "-e=snarkjs entropy two",
        ],
    );
    run(
        &sj,
        d,
        &[
            "powersoftau",
            "beacon",
            "pot2.ptau",
            "pot3.ptau",
            "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            "10",
            "-n=beacon",
        ],
    );
    run(
        &sj,
        d,
        &[
            "powersoftau",
            "prepare",
            "phase2",
            "pot3.ptau",
            "final.ptau",
        ],
    );
    let t = run(&sj, d, &["powersoftau", "verify", "final.ptau"]);
    assert!(t.contains("Powers of Tau Ok"), "{t}");

    // We import and verify it.
    let ptau = std::fs::read(d.join("final.ptau")).unwrap();
    let p1 = Phase1::import_ptau(&ptau, 4).unwrap();
    let p1 = Phase1::from_bytes(&p1.to_bytes()).unwrap();
    p1.verify(&mut ChaCha20Rng::seed_from_u64(1), &Quiet)
        .unwrap();
    // A damaged point of τⁱ·G1 (section 2, after section 1) is refused.
    let size1 = u64::from_le_bytes(ptau[16..24].try_into().unwrap()) as usize;
    let tau_g1 = 12 + 12 + size1 + 12;
    let mut bad = ptau.clone();
    bad[tau_g1 + 5 * 64 + 3] ^= 0x40;
    let e = Phase1::import_ptau(&bad, 4).unwrap_err().to_string();
    assert!(e.contains("not on the curve"), "{e}");
    // A truncated one too.
    let e = Phase1::import_ptau(&ptau[..tau_g1 + 100], 4)
        .unwrap_err()
        .to_string();
    assert!(e.contains("truncated") || e.contains("missing"), "{e}");

    // The prepared .ptau we write from it is snarkjs's, section for
    // section (the contribution section aside: ours holds none).
    let mine = sections(&ptau_bytes(&p1.accumulator));
    let theirs_s = sections(&ptau);
    for id in [1, 2, 3, 4, 5, 6, 12, 13, 14, 15] {
        assert!(
            mine[&id] == theirs_s[&id],
            "ptau section {id} differs from snarkjs's"
        );
    }

    // snarkjs's phase 2 on our r1cs: the same initial key as ours.
    let r1cs = R1csMatrices::of(toy()).unwrap();
    std::fs::write(d.join("toy.r1cs"), r1cs_bytes(&r1cs)).unwrap();
    let t = run(&sj, d, &["r1cs", "info", "toy.r1cs"]);
    assert!(t.contains("# of Constraints: 3"), "{t}");
    run(
        &sj,
        d,
        &["groth16", "setup", "toy.r1cs", "final.ptau", "toy0.zkey"],
    );
    let theirs = read_zkey(&std::fs::read(d.join("toy0.zkey")).unwrap()).unwrap();
    let ours = initial_key(&p1.accumulator, &r1cs, &Quiet).unwrap();
    assert!(theirs == ours, "snarkjs's initial key differs from ours");
    // Our .zkey of a fresh phase 2 is snarkjs's, section for section.
    let fresh = Phase2::new(Circuit::Output, &r1cs, &p1, &Quiet).unwrap();
    let mine = sections(&zkey_bytes(&fresh, &r1cs).unwrap());
    let theirs_s = sections(&std::fs::read(d.join("toy0.zkey")).unwrap());
    assert_eq!(
        mine.keys().collect::<Vec<_>>(),
        theirs_s.keys().collect::<Vec<_>>()
    );
    for (id, s) in &theirs_s {
        assert!(mine[id] == *s, "zkey section {id} differs from snarkjs's");
    }

    // snarkjs contributes and verifies; we check the key and prove with it.
    run(
        &sj,
        d,
        &[
            "zkey",
            "contribute",
            "toy0.zkey",
            "toy1.zkey",
            "--name=three",
            "-e=zkey entropy",
        ],
    );
    run(
        &sj,
        d,
        &[
            "zkey",
            "beacon",
            "toy1.zkey",
            "toy2.zkey",
            "0a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            "10",
            "-n=their beacon",
        ],
    );
    let t = run(
        &sj,
        d,
        &["zkey", "verify", "toy.r1cs", "final.ptau", "toy2.zkey"],
    );
    assert!(t.contains("ZKey Ok"), "{t}");
    // We verify snarkjs's contribution chain with our port of its scheme.
    let zk = std::fs::read(d.join("toy2.zkey")).unwrap();
    let (cs, _) = verify_zkey(&zk, &p1, &r1cs, &mut ChaCha20Rng::seed_from_u64(4), &Quiet).unwrap();
    assert_eq!(cs.len(), 2);
    assert_eq!(cs[0].name, "three");
    assert!(cs[1].beacon.is_some());
    // ... and notice a tampered transcript hash or proof.
    let mpc = {
        let b = &zk;
        let n = u32::from_le_bytes(b[8..12].try_into().unwrap());
        let mut pos = 12;
        let mut at = 0;
        for _ in 0..n {
            let id = u32::from_le_bytes(b[pos..pos + 4].try_into().unwrap());
            let len = u64::from_le_bytes(b[pos + 4..pos + 12].try_into().unwrap()) as usize;
            if id == 10 {
                at = pos + 12;
            }
            pos += 12 + len;
        }
        at
    };
    let first_transcript = mpc + 64 + 4 + 3 * 64 + 128;
    let mut bad = zk.clone();
    bad[first_transcript + 7] ^= 1;
    let e = verify_zkey(&bad, &p1, &r1cs, &mut ChaCha20Rng::seed_from_u64(4), &Quiet)
        .unwrap_err()
        .to_string();
    assert!(e.contains("#1") && e.contains("transcript"), "{e}");
    let mut bad = zk.clone();
    bad[mpc + 64 + 4 + 64 + 1] ^= 1; // g1_s of #1: off the curve or another point
    assert!(verify_zkey(&bad, &p1, &r1cs, &mut ChaCha20Rng::seed_from_u64(4), &Quiet).is_err());
    let theirs = read_zkey(&std::fs::read(d.join("toy1.zkey")).unwrap()).unwrap();
    check_key(
        &theirs,
        &p1.accumulator,
        &r1cs,
        &mut ChaCha20Rng::seed_from_u64(2),
        &Quiet,
    )
    .unwrap();
    // ... and would notice a tampered point in it.
    let mut tampered = theirs.clone();
    tampered.l_query[0] = (tampered.l_query[0] + tampered.l_query[0]).into();
    assert!(check_key(
        &tampered,
        &p1.accumulator,
        &r1cs,
        &mut ChaCha20Rng::seed_from_u64(2),
        &Quiet
    )
    .is_err());
    let params = CircuitParams::new(theirs);
    assert_eq!(params.reduction(), Reduction::Circom);
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let proof = sero_zk::proof::prove(&params, toy(), &mut rng).unwrap();
    sero_zk::verify(&params, &public(), &proof).unwrap();

    // Our phase 2 on snarkjs's phase 1; snarkjs verifies our proof.
    let mut p2 = Phase2::new(Circuit::Output, &r1cs, &p1, &Quiet).unwrap();
    p2.contribute("sero one", &mut rng, &Quiet).unwrap();
    p2.contribute("sero two", &mut rng, &Quiet).unwrap();
    p2.beacon(b"beacon", 10, &Quiet).unwrap();
    p2.verify(&p1, &r1cs, &mut rng, &Quiet).unwrap();
    // snarkjs verifies our contributions (its `zkey verify`), and so do we
    // through the same file.
    let zk = zkey_bytes(&p2, &r1cs).unwrap();
    std::fs::write(d.join("ours.zkey"), &zk).unwrap();
    let t = run(
        &sj,
        d,
        &["zkey", "verify", "toy.r1cs", "final.ptau", "ours.zkey"],
    );
    assert!(t.contains("ZKey Ok"), "{t}");
    assert!(t.contains("sero two"), "{t}");
    let (cs, pk) =
        verify_zkey(&zk, &p1, &r1cs, &mut ChaCha20Rng::seed_from_u64(5), &Quiet).unwrap();
    assert_eq!(cs.len(), 3);
    assert!(pk == p2.pk);
    // A ceremony entirely ours (phase 1 too): snarkjs checks its phase 2
    // against the powers of the .ptau we write.
    let mut own = Phase1::new(4).unwrap();
    own.contribute("sero p1", &mut rng, &Quiet).unwrap();
    own.beacon(b"p1 beacon", 3, &Quiet).unwrap();
    std::fs::write(d.join("sero.ptau"), ptau_bytes(&own.accumulator)).unwrap();
    let mut own2 = Phase2::new(Circuit::Output, &r1cs, &own, &Quiet).unwrap();
    own2.contribute("sero p2", &mut rng, &Quiet).unwrap();
    std::fs::write(d.join("own.zkey"), zkey_bytes(&own2, &r1cs).unwrap()).unwrap();
    let t = run(
        &sj,
        d,
        &["zkey", "verify", "toy.r1cs", "sero.ptau", "own.zkey"],
    );
    assert!(t.contains("ZKey Ok"), "{t}");
    // ... and not against another phase 1.
    let (ok, t) = try_run(
        &sj,
        d,
        &["zkey", "verify", "toy.r1cs", "final.ptau", "own.zkey"],
    );
    assert!(!ok || !t.contains("ZKey Ok"), "{t}");
    // A contribution whose proof was tampered with: snarkjs refuses.
    let mut t2 = p2.clone();
    t2.contributions[1].pok.g2_spx = t2.contributions[0].pok.g2_spx;
    std::fs::write(d.join("bad.zkey"), zkey_bytes(&t2, &r1cs).unwrap()).unwrap();
    let (ok, t) = try_run(
        &sj,
        d,
        &["zkey", "verify", "toy.r1cs", "final.ptau", "bad.zkey"],
    );
    assert!(!ok || !t.contains("ZKey Ok"), "{t}");
    // A key point changed after the last contribution: refused too.
    let mut t3 = p2.clone();
    t3.pk.l_query[0] = (t3.pk.l_query[0] + t3.pk.l_query[0]).into();
    std::fs::write(d.join("bad2.zkey"), zkey_bytes(&t3, &r1cs).unwrap()).unwrap();
    let (ok, t) = try_run(
        &sj,
        d,
        &["zkey", "verify", "toy.r1cs", "final.ptau", "bad2.zkey"],
    );
    assert!(!ok || !t.contains("ZKey Ok"), "{t}");
    let params = p2.circuit_params();
    let proof = sero_zk::proof::prove(&params, toy(), &mut rng).unwrap();
    sero_zk::verify(&params, &public(), &proof).unwrap();
    std::fs::write(d.join("vk.json"), vk_json(params.vk())).unwrap();
    std::fs::write(d.join("proof.json"), proof_json(&proof.0)).unwrap();
    std::fs::write(d.join("public.json"), public_json(&public())).unwrap();
    let t = run(
        &sj,
        d,
        &["groth16", "verify", "vk.json", "public.json", "proof.json"],
    );
    assert!(t.contains("OK"), "{t}");
    // A wrong public input: snarkjs refuses.
    std::fs::write(
        d.join("public.json"),
        public_json(&[Fr::from(15u64), Fr::from(55u64)]),
    )
    .unwrap();
    let o = Command::new(&sj)
        .current_dir(d)
        .args(["groth16", "verify", "vk.json", "public.json", "proof.json"])
        .output()
        .unwrap();
    let t = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!o.status.success() || t.contains("Invalid"), "{t}");
}
