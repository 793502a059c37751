//! SERO side: the `sero-zk` output and input circuits (arkworks 0.6 Groth16
//! on BN254), measured exactly like the Sapling side (`bellman_groth16`).
//!
//! * **setup** — wall time of `Groth16::<Bn254>::setup` for the circuit (its
//!   `dummy()` statement), with the RNG `Parameters::generate_insecure`
//!   derives from [`DEV_SEED`], so the parameters are the development
//!   parameters `sero` itself uses. Both circuits are set up together (the
//!   parameter file holds both), each timed on its own, and written with
//!   `Parameters::write` to `<params-dir>/sero-dev-params.bin`.
//! * **prove** — median of `cfg.runs` calls of `sero_zk::proof::prove` on
//!   `samples::{output,input}_statement(i)`, `i = 0..runs` (distinct
//!   statements). Only the `prove` call is timed; it includes witness
//!   synthesis, as on the Sapling side. Statements are built and checked
//!   (satisfied, in-circuit public inputs equal to the native ones) first.
//! * **verify** — median of `cfg.verify_runs` `sero_zk::verify` calls (the
//!   verifying key is prepared once, when the parameters are built).
//! * **batch** — `sero_zk::batch_verify` on `cfg.batch` items cycling the
//!   first `min(runs, 8)` proofs, median of `cfg.batch_runs`, divided by
//!   the batch size; on all cores and inside a one-thread rayon pool.
//! * **memory** — the `prove-once` child loads only its circuit with
//!   `CircuitParams::read_one` and records `VmHWM`/`VmRSS` like the Sapling
//!   child.

use std::{
    fs::{self, File},
    io::{BufReader, BufWriter, Write},
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use ark_groth16::{Groth16, ProvingKey};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode,
};
use ark_serialize::{CanonicalSerialize, Compress};
use ark_snark::CircuitSpecificSetupSNARK;
use rand_chacha::ChaCha20Rng;
use rand_core06::{OsRng, SeedableRng};
use serde_json::json;
use sero_crypto::hash::{hash256, tags};
use sero_zk::{
    params::{CircuitKind, DEV_SEED},
    proof::prove,
    samples, CircuitParams, Curve, Fr, InputCircuit, OutputCircuit, Parameters, ZkProof,
};

use crate::{
    measure::{median, timed, vm_hwm, vm_rss, MemReport},
    report::{CircuitBench, CircuitSpec, Config, Goal, GoalMetric},
    Result,
};

pub const SYSTEM: &str = "sero";

/// At most this many distinct proofs fill a batch (as `sero bench zk`).
const MAX_DISTINCT: usize = 8;

const PARAMS_FILE: &str = "sero-dev-params.bin";
const META_FILE: &str = "sero-dev-params.meta.json";

fn proof_system() -> String {
    format!(
        "Groth16 over BN254 (ark-groth16 {} / ark-bn254 {} / ark-relations {}, sero-zk {} circuits)",
        env!("ZKC_VER_ARK_GROTH16"),
        env!("ZKC_VER_ARK_BN254"),
        env!("ZKC_VER_ARK_RELATIONS"),
        env!("ZKC_VER_SERO_ZK"),
    )
}

fn versions_tag() -> String {
    format!(
        "ark-groth16 {} / ark-bn254 {} / sero-zk {}",
        env!("ZKC_VER_ARK_GROTH16"),
        env!("ZKC_VER_ARK_BN254"),
        env!("ZKC_VER_SERO_ZK"),
    )
}

/// The SERO circuits this tool measures.
pub fn circuits() -> Vec<CircuitSpec> {
    vec![
        CircuitSpec {
            name: OUTPUT.name,
            system: SYSTEM,
            bench: |cfg| bench(&OUTPUT, cfg),
            prove_once: |cfg| prove_once(&OUTPUT, cfg),
        },
        CircuitSpec {
            name: INPUT.name,
            system: SYSTEM,
            bench: |cfg| bench(&INPUT, cfg),
            prove_once: |cfg| prove_once(&INPUT, cfg),
        },
    ]
}

/// `(numerator, denominator)` circuit pairs for the `ratios` section.
pub const RATIO_PAIRS: &[(&str, &str)] = &[
    ("sero-input", "sapling-spend"),
    ("sero-output", "sapling-output"),
];

/// The performance goals of the zero-knowledge issue.
pub const GOALS: &[Goal] = &[
    Goal {
        label: "input prove <= 0.125 x Sapling spend prove",
        metric: GoalMetric::Prove,
        a: "sero-input",
        b: "sapling-spend",
        max: 0.125,
    },
    Goal {
        label: "output prove <= 0.5 x Sapling output prove",
        metric: GoalMetric::Prove,
        a: "sero-output",
        b: "sapling-output",
        max: 0.5,
    },
    Goal {
        label: "input peak memory <= 0.5 x Sapling spend peak memory",
        metric: GoalMetric::PeakMem,
        a: "sero-input",
        b: "sapling-spend",
        max: 0.5,
    },
    Goal {
        label: "input batch verify per proof <= 0.2 x single verify",
        metric: GoalMetric::BatchToSingle,
        a: "sero-input",
        b: "sero-input",
        max: 0.2,
    },
    Goal {
        label: "output batch verify per proof <= 0.2 x single verify",
        metric: GoalMetric::BatchToSingle,
        a: "sero-output",
        b: "sero-output",
        max: 0.2,
    },
];

/// One SERO circuit: how to build its statements and which part of the
/// parameter file it is.
pub struct SeroCircuit<C> {
    pub name: &'static str,
    pub kind: CircuitKind,
    /// The `i`-th sample statement and its natively computed public inputs.
    pub statement: fn(u64) -> (C, Vec<Fr>),
    /// The fixed statement parameters are generated from.
    pub dummy: fn() -> C,
    /// Label of the dev-seed RNG (as in `Parameters::generate_insecure`).
    pub rng_label: &'static [u8],
}

pub const OUTPUT: SeroCircuit<OutputCircuit> = SeroCircuit {
    name: "sero-output",
    kind: CircuitKind::Output,
    statement: |i| {
        let c = samples::output_statement(i);
        let p = c.public.to_field_elements();
        (c, p)
    },
    dummy: OutputCircuit::dummy,
    rng_label: b"output",
};

pub const INPUT: SeroCircuit<InputCircuit> = SeroCircuit {
    name: "sero-input",
    kind: CircuitKind::Input,
    statement: |i| {
        let c = samples::input_statement(i);
        let p = c.public.to_field_elements();
        (c, p)
    },
    dummy: InputCircuit::dummy,
    rng_label: b"input",
};

/// The RNG `Parameters::generate_insecure(DEV_SEED)` uses for `label`.
fn dev_rng(label: &[u8]) -> ChaCha20Rng {
    ChaCha20Rng::from_seed(hash256(tags::ZK_DEV_PARAMS, &[label, DEV_SEED]))
}

/// Synthesises `c` the way ark-groth16's prover does (optimising for
/// constraints, linear combinations inlined) and returns the constraint
/// count, the number of instance variables (with the constant 1) and, in
/// prove mode, the public-input values the circuit allocated.
fn synthesize<C: ConstraintSynthesizer<Fr>>(
    c: C,
    with_witness: bool,
) -> Result<(u64, usize, Option<Vec<Fr>>)> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    if !with_witness {
        cs.set_mode(SynthesisMode::Setup);
    }
    c.generate_constraints(cs.clone())?;
    cs.finalize();
    let inputs = if with_witness {
        if !cs.is_satisfied()? {
            let which = cs.which_is_unsatisfied()?.unwrap_or_default();
            return Err(format!("witness does not satisfy the circuit: {which}").into());
        }
        Some(cs.instance_assignment()?[1..].to_vec())
    } else {
        None
    };
    Ok((
        cs.num_constraints() as u64,
        cs.num_instance_variables(),
        inputs,
    ))
}

/// Builds statement `i`, checks it is satisfied and that the circuit's
/// public inputs equal the natively computed ones; returns it with its
/// constraint count.
fn checked_statement<C: ConstraintSynthesizer<Fr> + Clone>(
    spec: &SeroCircuit<C>,
    i: u64,
) -> Result<(C, Vec<Fr>, u64)> {
    let (c, public) = (spec.statement)(i);
    let (constraints, _, in_circuit) = synthesize(c.clone(), true)?;
    if in_circuit.as_deref() != Some(public.as_slice()) {
        return Err(format!(
            "{}: statement {i}: public inputs from the circuit differ from the natively computed ones",
            spec.name
        )
        .into());
    }
    Ok((c, public, constraints))
}

/// Both circuits' parameters, with per-circuit setup times.
struct SeroParams {
    params: Parameters,
    /// Setup wall time of the output and input circuits.
    setup_s: [f64; 2],
    from_cache: bool,
}

impl SeroParams {
    fn circuit(&self, kind: CircuitKind) -> &CircuitParams {
        match kind {
            CircuitKind::Output => &self.params.output,
            CircuitKind::Input => &self.params.input,
        }
    }

    fn setup_s(&self, kind: CircuitKind) -> f64 {
        self.setup_s[kind_index(kind)]
    }
}

fn kind_index(kind: CircuitKind) -> usize {
    match kind {
        CircuitKind::Output => 0,
        CircuitKind::Input => 1,
    }
}

/// Constraint counts of the blank (setup-mode) circuits, output then input.
fn blank_constraints() -> Result<[u64; 2]> {
    Ok([
        synthesize((OUTPUT.dummy)(), false)?.0,
        synthesize((INPUT.dummy)(), false)?.0,
    ])
}

fn params_path(dir: &Path) -> PathBuf {
    dir.join(PARAMS_FILE)
}

fn meta_path(dir: &Path) -> PathBuf {
    dir.join(META_FILE)
}

/// Whether the cache's metadata matches these circuit shapes and versions;
/// returns the recorded setup times.
fn cached_meta(dir: &Path, constraints: [u64; 2]) -> Option<[f64; 2]> {
    let meta: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(meta_path(dir)).ok()?).ok()?;
    if meta["versions"].as_str() != Some(versions_tag().as_str())
        || meta["constraints"]["output"].as_u64() != Some(constraints[0])
        || meta["constraints"]["input"].as_u64() != Some(constraints[1])
    {
        return None;
    }
    Some([
        meta["setup_s"]["output"].as_f64()?,
        meta["setup_s"]["input"].as_f64()?,
    ])
}

fn setup_one<C: ConstraintSynthesizer<Fr>>(
    spec: &SeroCircuit<C>,
) -> Result<(ProvingKey<Curve>, f64)> {
    let blank = (spec.dummy)();
    let mut rng = dev_rng(spec.rng_label);
    let (res, s) = timed(|| Groth16::<Curve>::setup(blank, &mut rng));
    let (pk, _) = res?;
    Ok((pk, s))
}

/// Generates both circuits' development parameters (each setup timed) and
/// writes the parameter file and its metadata, atomically.
fn generate_and_cache(dir: &Path, constraints: [u64; 2]) -> Result<SeroParams> {
    eprintln!(
        "[sero] generating development parameters ({} + {} constraints)...",
        constraints[0], constraints[1]
    );
    let (opk, out_s) = setup_one(&OUTPUT)?;
    eprintln!("[sero-output] setup {out_s:.2} s");
    let (ipk, in_s) = setup_one(&INPUT)?;
    eprintln!("[sero-input] setup {in_s:.2} s");
    let params = Parameters {
        output: CircuitParams::new(opk),
        input: CircuitParams::new(ipk),
        insecure: true,
    };
    fs::create_dir_all(dir)?;
    let tmp = dir.join(format!("{PARAMS_FILE}.tmp{}", std::process::id()));
    {
        let mut w = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
        params.write(&mut w)?;
        w.flush()?;
    }
    fs::rename(&tmp, params_path(dir))?;
    let meta = json!({
        "file": PARAMS_FILE,
        "constraints": {"output": constraints[0], "input": constraints[1]},
        "setup_s": {"output": out_s, "input": in_s},
        "vk_hash": hex(&params.vk_hash()),
        "versions": versions_tag(),
        "note": "SERO development parameters (public DEV_SEED, INSECURE), for benchmarking only",
    });
    fs::write(meta_path(dir), serde_json::to_string_pretty(&meta)?)?;
    Ok(SeroParams {
        params,
        setup_s: [out_s, in_s],
        from_cache: false,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The parameters of this process: loaded from the cache (`--reuse-params`)
/// or generated once and shared by both SERO circuits' benches.
fn shared_params(cfg: &Config) -> Result<Arc<SeroParams>> {
    static SHARED: Mutex<Option<Arc<SeroParams>>> = Mutex::new(None);
    let mut guard = SHARED.lock().map_err(|_| "parameter lock poisoned")?;
    if let Some(p) = guard.as_ref() {
        return Ok(Arc::clone(p));
    }
    let constraints = blank_constraints()?;
    let cached = if cfg.reuse_params {
        cached_meta(&cfg.params_dir, constraints).and_then(|setup_s| {
            let file = File::open(params_path(&cfg.params_dir)).ok()?;
            let params = Parameters::read(BufReader::with_capacity(1 << 20, file)).ok()?;
            Some(SeroParams {
                params,
                setup_s,
                from_cache: true,
            })
        })
    } else {
        None
    };
    let p = match cached {
        Some(p) => {
            eprintln!(
                "[sero] loaded cached parameters from {}",
                cfg.params_dir.display()
            );
            p
        }
        None => generate_and_cache(&cfg.params_dir, constraints)?,
    };
    let p = Arc::new(p);
    *guard = Some(Arc::clone(&p));
    Ok(p)
}

/// Full in-process benchmark of one SERO circuit (everything but memory).
pub fn bench<C: ConstraintSynthesizer<Fr> + Clone>(
    spec: &SeroCircuit<C>,
    cfg: &Config,
) -> Result<CircuitBench> {
    let name = spec.name;
    let shared = shared_params(cfg)?;
    let params = shared.circuit(spec.kind);

    // --- shape ----------------------------------------------------------------
    let (blank_constraints, n_instance, _) = synthesize((spec.dummy)(), false)?;
    let (_, public0, constraints) = checked_statement(spec, 0)?;
    if constraints != blank_constraints {
        return Err(format!(
            "{name}: blank circuit has {blank_constraints} constraints but the witness circuit has {constraints}"
        )
        .into());
    }
    let public_inputs = public0.len() as u64;
    if n_instance != public0.len() + 1 || params.pvk.vk.gamma_abc_g1.len() != n_instance {
        return Err(format!("{name}: public-input count disagrees with the verifying key").into());
    }
    let domain_size = params.pk.h_query.len() as u64 + 1;
    if !domain_size.is_power_of_two() {
        return Err(format!("{name}: unexpected evaluation-domain size {domain_size}").into());
    }
    // This circuit's section of the parameter file (the file holds both).
    let params_bytes = params.pk.serialized_size(Compress::No) as u64;

    // --- proving ------------------------------------------------------------
    let mut proofs: Vec<(Vec<Fr>, ZkProof)> = Vec::with_capacity(cfg.runs);
    let mut prove_s_all = Vec::with_capacity(cfg.runs);
    for i in 0..cfg.runs {
        let (c, public, _) = checked_statement(spec, i as u64)?;
        let (proof, s) = timed(|| prove(params, c, &mut OsRng));
        let proof = proof?;
        eprintln!("[{name}] prove {}/{}: {s:.3} s", i + 1, cfg.runs);
        prove_s_all.push(s);
        proofs.push((public, proof));
    }

    // --- single verification (prepared verifying key) ------------------------
    let mut verify_s = Vec::with_capacity(cfg.verify_runs);
    for i in 0..cfg.verify_runs {
        let (public, proof) = &proofs[i % proofs.len()];
        let (res, s) = timed(|| sero_zk::verify(params, public, proof));
        res.map_err(|e| format!("{name}: proof {i} failed to verify: {e}"))?;
        verify_s.push(s);
    }
    // Soundness sanity: a wrong public input must be rejected.
    let mut bad_inputs = proofs[0].0.clone();
    bad_inputs[0] += Fr::from(1u64);
    if sero_zk::verify(params, &bad_inputs, &proofs[0].1).is_ok() {
        return Err(format!("{name}: proof verified against a wrong public input").into());
    }
    let proof_bytes = proofs[0].1.to_bytes().len() as u64;

    // --- batch verification ------------------------------------------------
    let distinct = proofs.len().min(MAX_DISTINCT).min(cfg.batch);
    let items: Vec<(Vec<Fr>, ZkProof)> = (0..cfg.batch)
        .map(|k| proofs[k % distinct].clone())
        .collect();
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let mut batch_mc = Vec::with_capacity(cfg.batch_runs);
    let mut batch_1t = Vec::with_capacity(cfg.batch_runs);
    for _ in 0..cfg.batch_runs {
        let (res, s) = timed(|| sero_zk::batch_verify(params, &items, &mut OsRng));
        res.map_err(|e| format!("{name}: batch verification failed: {e}"))?;
        batch_mc.push(s);

        let (res, s) =
            timed(|| one_thread.install(|| sero_zk::batch_verify(params, &items, &mut OsRng)));
        res.map_err(|e| format!("{name}: single-thread batch verification failed: {e}"))?;
        batch_1t.push(s);
    }
    eprintln!(
        "[{name}] batch of {}: {:.3} s (all cores), {:.3} s (1 thread)",
        cfg.batch,
        median(&batch_mc),
        median(&batch_1t)
    );
    // A batch with one bad member must be rejected by both variants.
    {
        let n = cfg.batch.clamp(2, 16);
        let mut bad: Vec<(Vec<Fr>, ZkProof)> = items.iter().take(n - 1).cloned().collect();
        bad.push((bad_inputs, proofs[0].1.clone()));
        if sero_zk::batch_verify(params, &bad, &mut OsRng).is_ok() {
            return Err(format!("{name}: batch containing a bad proof verified").into());
        }
        if one_thread
            .install(|| sero_zk::batch_verify(params, &bad, &mut OsRng))
            .is_ok()
        {
            return Err(format!("{name}: batch containing a bad proof verified (1 thread)").into());
        }
    }

    Ok(CircuitBench {
        name: name.to_string(),
        system: SYSTEM.to_string(),
        proof_system: proof_system(),
        constraints,
        public_inputs,
        domain_size,
        setup_s: shared.setup_s(spec.kind),
        setup_from_cache: shared.from_cache,
        params_bytes,
        proof_bytes,
        prove_s_median: median(&prove_s_all),
        prove_s_all,
        verify_s_median: median(&verify_s),
        verify_runs: cfg.verify_runs,
        batch_size: cfg.batch,
        batch_distinct_proofs: distinct,
        batch_verify_per_proof_s: median(&batch_mc) / cfg.batch as f64,
        batch_verify_1t_per_proof_s: Some(median(&batch_1t) / cfg.batch as f64),
        ..CircuitBench::default()
    })
}

/// Body of `zk-compare prove-once sero-*`: load only this circuit's keys
/// with `CircuitParams::read_one`, prove once, and report `VmHWM`/`VmRSS`
/// at each stage. Meant to run in a fresh process.
pub fn prove_once<C: ConstraintSynthesizer<Fr> + Clone>(
    spec: &SeroCircuit<C>,
    cfg: &Config,
) -> Result<MemReport> {
    let baseline_hwm = vm_hwm();
    let name = spec.name;
    let dir = &cfg.params_dir;

    // The parent has just made or checked the cache; only the versions are
    // checked here, because synthesising the blank circuits to compare
    // constraint counts would raise the high-water mark before loading. A
    // stale file would show up as a proof that does not verify below.
    let cached = params_path(dir).exists()
        && fs::read_to_string(meta_path(dir))
            .ok()
            .and_then(|m| serde_json::from_str::<serde_json::Value>(&m).ok())
            .is_some_and(|m| m["versions"].as_str() == Some(versions_tag().as_str()));
    let generated_params = !cached;
    if generated_params {
        eprintln!(
            "[{name}] prove-once: no usable parameter cache in {}; generating (loaded memory will include generation)",
            dir.display()
        );
        generate_and_cache(dir, blank_constraints()?)?;
    }
    let file = File::open(params_path(dir))?;
    let params = CircuitParams::read_one(BufReader::with_capacity(1 << 20, file), spec.kind)?;
    let loaded_hwm = vm_hwm();
    let loaded_rss = vm_rss();

    // Only build the statement here: a full checking synthesis would add its
    // own constraint system to the high-water mark. The proof is checked
    // against the natively computed public inputs below instead.
    let (c, public) = (spec.statement)(0);
    let (proof, prove_s) = timed(|| prove(&params, c, &mut OsRng));
    let proof = proof?;
    let peak_hwm = vm_hwm();

    sero_zk::verify(&params, &public, &proof)
        .map_err(|e| format!("{name}: prove-once proof failed to verify: {e}"))?;

    Ok(MemReport {
        baseline_hwm,
        loaded_hwm,
        loaded_rss,
        peak_hwm,
        prove_s,
        generated_params,
    })
}
