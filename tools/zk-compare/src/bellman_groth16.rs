//! Benchmark harness for any bellman circuit proved with the `groth16` crate
//! (the Groth16 prover/verifier that was split out of `bellman::groth16`) on
//! BLS12-381: parameter generation + on-disk cache, proving, single and batch
//! verification, and the body of the peak-memory child process.

use std::{
    fs::{self, File},
    io::{BufReader, BufWriter, Write},
    path::{Path, PathBuf},
};

use bellman::{Circuit, ConstraintSystem, Index, LinearCombination, SynthesisError, Variable};
use bls12_381::{Bls12, Scalar};
use ff::Field;
use groth16::{batch, Parameters, Proof};
use rand::{rngs::StdRng, SeedableRng};
use serde_json::json;

use crate::{
    measure::{median, timed, vm_hwm, vm_rss, MemReport},
    report::{CircuitBench, Config},
    Result,
};

/// A concrete witness for a circuit together with the public inputs
/// (without the leading constant 1) that were computed *natively*, outside
/// the circuit.
pub struct Instance<C> {
    pub circuit: C,
    pub inputs: Vec<Scalar>,
}

/// Everything the harness needs to know about one bellman circuit.
pub struct BellmanCircuit<C> {
    pub name: &'static str,
    pub system: &'static str,
    /// The circuit with no witness (all `None`), used for parameter generation.
    pub blank: fn() -> C,
    /// Builds a valid witness and its natively computed public inputs.
    pub instance: fn(&mut StdRng) -> Result<Instance<C>>,
}

/// What synthesising a circuit reveals without a prover: its shape and,
/// when a witness is present, the public-input values it allocates.
/// Like bellman's own assemblies it must run the value closures when a witness
/// is present: gadgets capture their values through those closures.
#[derive(Default)]
struct ShapeCollector {
    with_witness: bool,
    constraints: u64,
    aux: usize,
    inputs: Vec<Option<Scalar>>,
}

impl ConstraintSystem<Scalar> for ShapeCollector {
    type Root = Self;

    fn alloc<F, A, AR>(&mut self, _: A, f: F) -> std::result::Result<Variable, SynthesisError>
    where
        F: FnOnce() -> std::result::Result<Scalar, SynthesisError>,
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        if self.with_witness {
            f()?;
        }
        self.aux += 1;
        Ok(Variable::new_unchecked(Index::Aux(self.aux - 1)))
    }

    fn alloc_input<F, A, AR>(&mut self, _: A, f: F) -> std::result::Result<Variable, SynthesisError>
    where
        F: FnOnce() -> std::result::Result<Scalar, SynthesisError>,
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        let value = if self.with_witness { Some(f()?) } else { None };
        self.inputs.push(value);
        // Index 0 is the constant ONE.
        Ok(Variable::new_unchecked(Index::Input(self.inputs.len())))
    }

    fn enforce<A, AR, LA, LB, LC>(&mut self, _: A, _: LA, _: LB, _: LC)
    where
        A: FnOnce() -> AR,
        AR: Into<String>,
        LA: FnOnce(LinearCombination<Scalar>) -> LinearCombination<Scalar>,
        LB: FnOnce(LinearCombination<Scalar>) -> LinearCombination<Scalar>,
        LC: FnOnce(LinearCombination<Scalar>) -> LinearCombination<Scalar>,
    {
        self.constraints += 1;
    }

    fn push_namespace<NR, N>(&mut self, _: N)
    where
        NR: Into<String>,
        N: FnOnce() -> NR,
    {
    }

    fn pop_namespace(&mut self) {}

    fn get_root(&mut self) -> &mut Self::Root {
        self
    }
}

fn shape<C: Circuit<Scalar>>(circuit: C, with_witness: bool) -> Result<ShapeCollector> {
    let mut cs = ShapeCollector {
        with_witness,
        ..ShapeCollector::default()
    };
    circuit.synthesize(&mut cs)?;
    Ok(cs)
}

/// Synthesises the witness once and checks the in-circuit public inputs
/// against the natively computed ones, so a wrong witness fails loudly here
/// rather than as an unexplained verification failure.
fn checked_instance<C: Circuit<Scalar> + Clone>(
    spec: &BellmanCircuit<C>,
    rng: &mut StdRng,
) -> Result<(Instance<C>, u64)> {
    let inst = (spec.instance)(rng)?;
    let cs = shape(inst.circuit.clone(), true)?;
    let in_circuit: Vec<Scalar> = cs
        .inputs
        .iter()
        .map(|v| v.ok_or("witness circuit left a public input unassigned"))
        .collect::<std::result::Result<_, _>>()?;
    if in_circuit != inst.inputs {
        return Err(format!(
            "{}: public inputs from the circuit ({} values) differ from the natively computed ones ({} values)",
            spec.name,
            in_circuit.len(),
            inst.inputs.len()
        )
        .into());
    }
    Ok((inst, cs.constraints))
}

fn params_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.params"))
}

fn meta_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.meta.json"))
}

fn versions_tag() -> String {
    format!(
        "groth16 {} / bellman {} / bls12_381 {} / sapling-crypto {}",
        env!("ZKC_VER_GROTH16"),
        env!("ZKC_VER_BELLMAN"),
        env!("ZKC_VER_BLS12_381"),
        env!("ZKC_VER_SAPLING_CRYPTO"),
    )
}

/// Loads cached parameters if present and made for this circuit shape and
/// these library versions. Returns the parameters and the setup time
/// recorded when they were generated.
fn load_cached(dir: &Path, name: &str, constraints: u64) -> Option<(Parameters<Bls12>, f64)> {
    let meta: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(meta_path(dir, name)).ok()?).ok()?;
    if meta["constraints"].as_u64() != Some(constraints)
        || meta["versions"].as_str() != Some(versions_tag().as_str())
    {
        return None;
    }
    let setup_s = meta["setup_s"].as_f64()?;
    let file = File::open(params_path(dir, name)).ok()?;
    // Our own cache: skip the (slow) subgroup checks, like zcashd does for
    // parameter files whose hash it has checked.
    let params = Parameters::<Bls12>::read(BufReader::with_capacity(1 << 20, file), false).ok()?;
    Some((params, setup_s))
}

/// Generates random parameters (timed) and writes them, atomically, to the cache.
fn generate_and_cache<C: Circuit<Scalar>>(
    dir: &Path,
    name: &str,
    blank: C,
    constraints: u64,
    rng: &mut StdRng,
) -> Result<(Parameters<Bls12>, f64)> {
    let (params, setup_s) =
        timed(|| groth16::generate_random_parameters::<Bls12, _, _>(blank, rng));
    let params = params?;
    fs::create_dir_all(dir)?;
    let tmp = dir.join(format!("{name}.params.tmp{}", std::process::id()));
    {
        let mut w = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
        params.write(&mut w)?;
        w.flush()?;
    }
    fs::rename(&tmp, params_path(dir, name))?;
    let meta = json!({
        "circuit": name,
        "constraints": constraints,
        "setup_s": setup_s,
        "versions": versions_tag(),
        "note": "random (insecure, locally generated) Groth16 parameters for benchmarking only",
    });
    fs::write(meta_path(dir, name), serde_json::to_string_pretty(&meta)?)?;
    Ok((params, setup_s))
}

fn proof_bytes(proof: &Proof<Bls12>) -> Result<u64> {
    let mut v = Vec::new();
    proof.write(&mut v)?;
    Ok(v.len() as u64)
}

fn batch_of(proofs: &[Proof<Bls12>], inputs: &[Scalar], size: usize) -> batch::Verifier<Bls12> {
    let mut v = batch::Verifier::new();
    for i in 0..size {
        v.queue((proofs[i % proofs.len()].clone(), inputs.to_vec()));
    }
    v
}

/// Full in-process benchmark of one circuit (everything but memory).
pub fn bench<C: Circuit<Scalar> + Clone>(
    spec: &BellmanCircuit<C>,
    proof_system: &str,
    cfg: &Config,
) -> Result<CircuitBench> {
    let name = spec.name;
    let mut rng = StdRng::seed_from_u64(cfg.seed);

    let blank_shape = shape((spec.blank)(), false)?;
    let (inst, constraints) = checked_instance(spec, &mut rng)?;
    if constraints != blank_shape.constraints {
        return Err(format!(
            "{name}: blank circuit has {} constraints but the witness circuit has {constraints}",
            blank_shape.constraints
        )
        .into());
    }

    // --- parameters -------------------------------------------------------
    let cached = if cfg.reuse_params {
        load_cached(&cfg.params_dir, name, constraints)
    } else {
        None
    };
    let setup_from_cache = cached.is_some();
    let (params, setup_s) = match cached {
        Some(p) => {
            eprintln!(
                "[{name}] loaded cached parameters from {}",
                cfg.params_dir.display()
            );
            p
        }
        None => {
            eprintln!("[{name}] generating random parameters ({constraints} constraints)...");
            let p =
                generate_and_cache(&cfg.params_dir, name, (spec.blank)(), constraints, &mut rng)?;
            eprintln!("[{name}] setup {:.2} s", p.1);
            p
        }
    };
    let domain_size = params.h.len() as u64 + 1;
    if !domain_size.is_power_of_two() {
        return Err(format!("{name}: unexpected evaluation-domain size {domain_size}").into());
    }
    let params_bytes = fs::metadata(params_path(&cfg.params_dir, name))?.len();
    let pvk = groth16::prepare_verifying_key(&params.vk);

    // --- proving ------------------------------------------------------------
    let mut proofs = Vec::with_capacity(cfg.runs);
    let mut prove_s_all = Vec::with_capacity(cfg.runs);
    for i in 0..cfg.runs {
        let circuit = inst.circuit.clone();
        let (proof, s) = timed(|| groth16::create_random_proof(circuit, &params, &mut rng));
        let proof = proof?;
        eprintln!("[{name}] prove {}/{}: {s:.3} s", i + 1, cfg.runs);
        prove_s_all.push(s);
        proofs.push(proof);
    }

    // --- single verification (prepared verifying key) ------------------------
    let mut verify_s = Vec::with_capacity(cfg.verify_runs);
    for i in 0..cfg.verify_runs {
        let proof = &proofs[i % proofs.len()];
        let (res, s) = timed(|| groth16::verify_proof(&pvk, proof, &inst.inputs));
        res.map_err(|e| format!("{name}: proof {i} failed to verify: {e:?}"))?;
        verify_s.push(s);
    }
    // Soundness sanity: a wrong public input must be rejected.
    let mut bad_inputs = inst.inputs.clone();
    bad_inputs[0] += Scalar::ONE;
    if groth16::verify_proof(&pvk, &proofs[0], &bad_inputs).is_ok() {
        return Err(format!("{name}: proof verified against a wrong public input").into());
    }

    // --- batch verification ------------------------------------------------
    let mut batch_mc = Vec::with_capacity(cfg.batch_runs);
    let mut batch_1t = Vec::with_capacity(cfg.batch_runs);
    for _ in 0..cfg.batch_runs {
        let v = batch_of(&proofs, &inst.inputs, cfg.batch);
        let (res, s) = timed(|| v.verify_multicore(&params.vk));
        res.map_err(|e| format!("{name}: multicore batch verification failed: {e:?}"))?;
        batch_mc.push(s);

        let v = batch_of(&proofs, &inst.inputs, cfg.batch);
        let (res, s) = timed(|| v.verify(&mut rng, &params.vk));
        res.map_err(|e| format!("{name}: batch verification failed: {e:?}"))?;
        batch_1t.push(s);
    }
    eprintln!(
        "[{name}] batch of {}: {:.3} s (all cores), {:.3} s (1 thread)",
        cfg.batch,
        median(&batch_mc),
        median(&batch_1t)
    );
    // A batch with one bad member must be rejected by both verifiers.
    {
        let n = cfg.batch.clamp(2, 16);
        let mut v = batch_of(&proofs, &inst.inputs, n - 1);
        v.queue((proofs[0].clone(), bad_inputs.clone()));
        if v.verify_multicore(&params.vk).is_ok() {
            return Err(
                format!("{name}: batch containing a bad proof verified (multicore)").into(),
            );
        }
        let mut v = batch_of(&proofs, &inst.inputs, n - 1);
        v.queue((proofs[0].clone(), bad_inputs));
        if v.verify(&mut rng, &params.vk).is_ok() {
            return Err(format!("{name}: batch containing a bad proof verified").into());
        }
    }

    Ok(CircuitBench {
        name: name.to_string(),
        system: spec.system.to_string(),
        proof_system: proof_system.to_string(),
        constraints,
        public_inputs: inst.inputs.len() as u64,
        domain_size,
        setup_s,
        setup_from_cache,
        params_bytes,
        proof_bytes: proof_bytes(&proofs[0])?,
        prove_s_median: median(&prove_s_all),
        prove_s_all,
        verify_s_median: median(&verify_s),
        verify_runs: cfg.verify_runs,
        batch_size: cfg.batch,
        batch_distinct_proofs: proofs.len().min(cfg.batch),
        batch_verify_per_proof_s: median(&batch_mc) / cfg.batch as f64,
        batch_verify_1t_per_proof_s: Some(median(&batch_1t) / cfg.batch as f64),
        ..CircuitBench::default()
    })
}

/// Body of `zk-compare prove-once <name>`: load parameters, prove once, and
/// report `VmHWM`/`VmRSS` at each stage. Meant to run in a fresh process.
pub fn prove_once<C: Circuit<Scalar> + Clone>(
    spec: &BellmanCircuit<C>,
    cfg: &Config,
) -> Result<MemReport> {
    let baseline_hwm = vm_hwm();
    let name = spec.name;
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let constraints = shape((spec.blank)(), false)?.constraints;

    let (params, generated_params) = match load_cached(&cfg.params_dir, name, constraints) {
        Some((p, _)) => (p, false),
        None => {
            eprintln!(
                "[{name}] prove-once: no usable parameter cache in {}; generating (loaded memory will include generation)",
                cfg.params_dir.display()
            );
            let (p, _) =
                generate_and_cache(&cfg.params_dir, name, (spec.blank)(), constraints, &mut rng)?;
            (p, true)
        }
    };
    let loaded_hwm = vm_hwm();
    let loaded_rss = vm_rss();

    let (inst, _) = checked_instance(spec, &mut rng)?;
    let (proof, prove_s) = timed(|| groth16::create_random_proof(inst.circuit, &params, &mut rng));
    let proof = proof?;
    let peak_hwm = vm_hwm();

    let pvk = groth16::prepare_verifying_key(&params.vk);
    groth16::verify_proof(&pvk, &proof, &inst.inputs)
        .map_err(|e| format!("{name}: prove-once proof failed to verify: {e:?}"))?;

    Ok(MemReport {
        baseline_hwm,
        loaded_hwm,
        loaded_rss,
        peak_hwm,
        prove_s,
        generated_params,
    })
}
