//! Proving, verification and batch verification.

use crate::circuits::input::InputCircuit;
use crate::circuits::output::OutputCircuit;
use crate::params::CircuitParams;
use crate::qap::{CircomReduction, Reduction};
use crate::{Curve, Fr, ZkError};
use ark_ec::pairing::{MillerLoopOutput, Pairing};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_ff::{One, PrimeField, Zero};
use ark_groth16::r1cs_to_qap::LibsnarkReduction;
use ark_groth16::{Groth16, Proof};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use ark_serialize::CanonicalSerialize;
use ark_snark::SNARK;
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore, SeedableRng};
use rayon::prelude::*;

type G1 = <Curve as Pairing>::G1;
type G1Affine = <Curve as Pairing>::G1Affine;
type G2Affine = <Curve as Pairing>::G2Affine;
type Fq12 = <Curve as Pairing>::TargetField;

/// A Groth16 proof: `A` (G1), `B` (G2), `C` (G1).
#[derive(Clone, Debug, PartialEq)]
pub struct ZkProof(pub Proof<Curve>);

impl ZkProof {
    /// Encoded length: compressed A (32) ‖ B (64) ‖ C (32).
    pub const LEN: usize = 128;

    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut v = Vec::with_capacity(Self::LEN);
        self.0.serialize_compressed(&mut v).expect("in-memory");
        v.try_into()
            .expect("a compressed BN254 Groth16 proof is 128 bytes")
    }

    /// Decodes a proof: canonical encodings, points on their curves and in
    /// their prime-order subgroups.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ZkError> {
        let proof = Self::from_bytes_deferred(bytes)?;
        if !crate::g2::is_in_g2(&proof.0.b) {
            return Err(Self::not_in_subgroup());
        }
        Ok(proof)
    }

    /// [`ZkProof::from_bytes`] except for one check, `B`'s membership of
    /// G2, which the caller **must** make before the proof is used —
    /// for many proofs at once with [`crate::g2::all_in_g2`] (eight per
    /// vector pass), refusing a failure with
    /// [`ZkProof::not_in_subgroup`]. Block and transaction decoding do so.
    pub fn from_bytes_deferred(bytes: &[u8]) -> Result<Self, ZkError> {
        Self::many_from_bytes_deferred(&[bytes])
            .pop()
            .expect("one result per encoding")
    }

    /// [`ZkProof::from_bytes_deferred`] of each encoding, the square roots
    /// of all their points' decompression computed together
    /// ([`crate::decompress`]: eight per vector pass where the CPU has
    /// AVX-512 IFMA). One result per encoding, in order; the caller still
    /// owes the `B ∈ G2` checks.
    pub fn many_from_bytes_deferred(encodings: &[&[u8]]) -> Vec<Result<Self, ZkError>> {
        crate::decompress::decompress_proofs(encodings)
            .into_iter()
            .zip(encodings)
            .map(|(points, bytes)| {
                // Decompression puts each point on its curve (checked again
                // here); G1 has cofactor 1, so only `B` needs a subgroup
                // check, done with ψ (`crate::g2`) rather than arkworks'
                // longer multiplication.
                let (a, b, c) = points?;
                let p = Proof::<Curve> { a, b, c };
                if !(p.a.is_on_curve() && p.b.is_on_curve() && p.c.is_on_curve()) {
                    return Err(ZkError::ProofEncoding("point not on its curve".into()));
                }
                if !(p.a.is_in_correct_subgroup_assuming_on_curve()
                    && p.c.is_in_correct_subgroup_assuming_on_curve())
                {
                    return Err(Self::not_in_subgroup());
                }
                let proof = ZkProof(p);
                if proof.to_bytes()[..] != **bytes {
                    return Err(ZkError::ProofEncoding("non-canonical encoding".into()));
                }
                Ok(proof)
            })
            .collect()
    }

    /// The error of a point outside its prime-order subgroup.
    pub fn not_in_subgroup() -> ZkError {
        ZkError::ProofEncoding("point not in its prime-order subgroup".into())
    }
}

/// Synthesises `circuit` with its witness and reports the first unsatisfied
/// constraint, if any. Cheap next to proving; builders call it so that a bad
/// witness gets a clear error rather than an invalid proof.
pub fn check_satisfied<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Result<(), ZkError> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    circuit.generate_constraints(cs.clone())?;
    if cs.is_satisfied()? {
        Ok(())
    } else {
        let which = cs.which_is_unsatisfied()?.unwrap_or_default();
        Err(ZkError::Unsatisfied(which))
    }
}

/// Proves one statement.
pub fn prove<C: ConstraintSynthesizer<Fr>, R: RngCore + CryptoRng>(
    params: &CircuitParams,
    circuit: C,
    rng: &mut R,
) -> Result<ZkProof, ZkError> {
    let proof = match params.reduction() {
        Reduction::Libsnark => {
            crate::prover::prove::<LibsnarkReduction, _, _>(params, circuit, rng)?
        }
        Reduction::Circom => crate::prover::prove::<CircomReduction, _, _>(params, circuit, rng)?,
    };
    Ok(ZkProof(proof))
}

/// Proves many statements of one circuit; each gets its own RNG seeded from
/// `rng`. Proofs come back in input order. See [`prove_jobs`].
pub fn prove_all<C, R>(
    params: &CircuitParams,
    circuits: Vec<C>,
    rng: &mut R,
) -> Result<Vec<ZkProof>, ZkError>
where
    C: ConstraintSynthesizer<Fr> + Send,
    R: RngCore + CryptoRng,
{
    let jobs = circuits
        .into_iter()
        .map(|c| ProofJob::new(params, c))
        .collect();
    prove_jobs(jobs, rng, &|| {})
}

/// What a [`ProofJob`] runs: proves with the RNG it is given.
type ProveFn<'a> = Box<dyn FnOnce(&mut ChaCha20Rng) -> Result<ZkProof, ZkError> + Send + 'a>;

/// A job waiting for a worker, with its RNG seed.
type Slot<'a> = std::sync::Mutex<Option<(ProofJob<'a>, [u8; 32])>>;

/// One statement to prove, of any circuit: the unit [`prove_jobs`]
/// schedules.
pub struct ProofJob<'a> {
    /// Work estimate: the proving key's query sizes (MSM lengths).
    cost: usize,
    run: ProveFn<'a>,
}

impl<'a> ProofJob<'a> {
    pub fn new<C: ConstraintSynthesizer<Fr> + Send + 'a>(
        params: &'a CircuitParams,
        circuit: C,
    ) -> Self {
        ProofJob {
            cost: Self::cost(params),
            run: Box::new(move |rng| prove(params, circuit, rng)),
        }
    }

    /// The MSM lengths of a proof under `params` (`B` counted twice: it is
    /// also in G2).
    fn cost(params: &CircuitParams) -> usize {
        let pk = &params.pk;
        pk.a_query.len() + 2 * pk.b_g1_query.len() + pk.h_query.len() + pk.l_query.len()
    }

    /// A job whose proof is checked before it is returned: the proof must
    /// verify against `public`, the statement's public inputs. When it does
    /// not, the witness is synthesised again to name the first unsatisfied
    /// constraint ([`ZkError::Unsatisfied`]); a satisfied witness whose proof
    /// still fails gives [`ZkError::InvalidProof`] (`public` is not the
    /// circuit's). One verification (≈ 1–2 ms) instead of checking every
    /// constraint beforehand: the check evaluated each of the ~16,000
    /// constraints through arkworks' parallel polynomial evaluation, a
    /// rayon job per constraint — about as long as the proof itself.
    pub fn checked<C: ConstraintSynthesizer<Fr> + Clone + Send + 'a>(
        params: &'a CircuitParams,
        circuit: C,
        public: Vec<Fr>,
    ) -> Self {
        ProofJob {
            cost: Self::cost(params),
            run: Box::new(move |rng| prove_checked(params, circuit, &public, rng)),
        }
    }
}

/// Proves, then verifies the proof against `public`; see [`ProofJob::checked`].
pub fn prove_checked<C: ConstraintSynthesizer<Fr> + Clone, R: RngCore + CryptoRng>(
    params: &CircuitParams,
    circuit: C,
    public: &[Fr],
    rng: &mut R,
) -> Result<ZkProof, ZkError> {
    let proof = prove(params, circuit.clone(), rng)?;
    if verify(params, public, &proof).is_ok() {
        return Ok(proof);
    }
    check_satisfied(circuit)?;
    Err(ZkError::InvalidProof)
}

/// Proves the jobs (of one or several circuits) and returns the proofs in
/// the jobs' order; `done` is called after each proof. Each job gets its
/// own RNG seeded from `rng`.
///
/// Called outside any rayon pool (a wallet's send, a dev node), the jobs
/// are spread over `w = min(jobs, threads)` workers, largest first, and
/// each worker proves its statements one after the other on a rayon pool
/// of its own with `threads / w` threads. Nested parallelism (one pool for
/// the proofs, the same pool for each proof's MSMs and FFTs) left idle
/// workers spinning in `sched_yield` while a few large MSMs finished — a
/// third of the samples of a 1-input/2-output send on 2 cores
/// (`docs/benchmarks.md`, "Proving without nested pools"). Called from
/// inside a rayon pool (a benchmark proving many transactions at once),
/// the caller's pool already has the parallelism: the jobs run on it.
pub fn prove_jobs<R: RngCore + CryptoRng>(
    jobs: Vec<ProofJob<'_>>,
    rng: &mut R,
    done: &(dyn Fn() + Sync),
) -> Result<Vec<ZkProof>, ZkError> {
    let n = jobs.len();
    let seeds: Vec<[u8; 32]> = (0..n)
        .map(|_| {
            let mut s = [0u8; 32];
            rng.fill_bytes(&mut s);
            s
        })
        .collect();
    let run = |job: ProofJob<'_>, seed: [u8; 32]| {
        let r = (job.run)(&mut ChaCha20Rng::from_seed(seed));
        done();
        r
    };
    if rayon::current_thread_index().is_some() || n <= 1 {
        return jobs
            .into_par_iter()
            .zip(seeds)
            .map(|(j, s)| run(j, s))
            .collect();
    }
    let threads = rayon::current_num_threads().max(1);
    let workers = n.min(threads);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(jobs[i].cost));
    let slots: Vec<Slot<'_>> = jobs
        .into_iter()
        .zip(seeds)
        .map(|j| std::sync::Mutex::new(Some(j)))
        .collect();
    let results: Vec<std::sync::Mutex<Option<Result<ZkProof, ZkError>>>> =
        (0..n).map(|_| std::sync::Mutex::new(None)).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for w in 0..workers {
            let pool_threads = threads / workers + usize::from(w < threads % workers);
            let (order, slots, results, next, run) = (&order, &slots, &results, &next, &run);
            scope.spawn(move || {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(pool_threads)
                    .thread_name(move |i| format!("sero-prover-{w}-{i}"))
                    .build();
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&i) = order.get(k) else { break };
                    let taken = slots[i].lock().map(|mut s| s.take());
                    let Ok(Some((job, seed))) = taken else { break };
                    let r = match &pool {
                        Ok(pool) => pool.install(|| run(job, seed)),
                        // No pool of its own: the global one.
                        Err(_) => run(job, seed),
                    };
                    if let Ok(mut slot) = results[i].lock() {
                        *slot = Some(r);
                    }
                }
            });
        }
    });
    results
        .into_iter()
        .map(|r| {
            r.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Err(ZkError::Prover("a proving worker stopped".into())))
        })
        .collect()
}

/// Proves an output statement; a bad witness is refused with the first
/// unsatisfied constraint ([`prove_checked`]).
pub fn prove_output<R: RngCore + CryptoRng>(
    params: &CircuitParams,
    circuit: OutputCircuit,
    rng: &mut R,
) -> Result<ZkProof, ZkError> {
    let public = circuit.public.to_field_elements();
    prove_checked(params, circuit, &public, rng)
}

/// Proves an input statement; a bad witness is refused with the first
/// unsatisfied constraint ([`prove_checked`]).
pub fn prove_input<R: RngCore + CryptoRng>(
    params: &CircuitParams,
    circuit: InputCircuit,
    rng: &mut R,
) -> Result<ZkProof, ZkError> {
    let public = circuit.public.to_field_elements();
    prove_checked(params, circuit, &public, rng)
}

fn check_inputs(params: &CircuitParams, public: &[Fr]) -> Result<(), ZkError> {
    let expected = params.pvk.vk.gamma_abc_g1.len() - 1;
    if public.len() != expected {
        return Err(ZkError::PublicInputs {
            expected,
            got: public.len(),
        });
    }
    Ok(())
}

/// Verifies one proof.
pub fn verify(params: &CircuitParams, public: &[Fr], proof: &ZkProof) -> Result<(), ZkError> {
    check_inputs(params, public)?;
    match Groth16::<Curve>::verify_with_processed_vk(&params.pvk, public, &proof.0) {
        Ok(true) => Ok(()),
        _ => Err(ZkError::InvalidProof),
    }
}

/// Verifies many proofs of one circuit at once: [`batch_verify_groups`]
/// with one group.
pub fn batch_verify<R: RngCore + CryptoRng>(
    params: &CircuitParams,
    items: &[(Vec<Fr>, ZkProof)],
    rng: &mut R,
) -> Result<(), ZkError> {
    batch_verify_groups(&[(params, items)], rng)
}

/// A batch of proofs of one circuit: its keys and `(public inputs, proof)`
/// pairs.
pub type ProofGroup<'a> = (&'a CircuitParams, &'a [(Vec<Fr>, ZkProof)]);

/// `Σ wᵢ·Pᵢ` for 128-bit `wᵢ`, as two 64-bit multi-scalar
/// multiplications (`lo + 2⁶⁴·hi`): arkworks' MSM over field scalars
/// runs its windows over all 254 bits whatever the scalars' size.
fn msm_u128(bases: &[G1Affine], weights: &[u128]) -> G1 {
    let lo: Vec<u64> = weights.iter().map(|w| *w as u64).collect();
    let hi: Vec<u64> = weights.iter().map(|w| (*w >> 64) as u64).collect();
    G1::msm_u64(bases, &hi).mul_bigint([0, 1]) + G1::msm_u64(bases, &lo)
}

/// Verifies many proofs of one or several circuits at once with a random
/// linear combination: with independent 128-bit weights `rᵢ` from a secure
/// RNG, for every circuit `k` with its proofs `i ∈ k`,
///
/// `∏ₖ [ ∏ᵢ e(rᵢ·Aᵢ, Bᵢ) · e(−Σ rᵢ·ICᵢ, γₖ) · e(−Σ rᵢ·Cᵢ, δₖ) · e(−(Σ rᵢ)·αₖ, βₖ) ] = 1`
///
/// (each factor in brackets is 1 for valid proofs, since Groth16's check
/// is `e(A, B) = e(α, β)·e(IC, γ)·e(C, δ)`). A batch containing an invalid
/// proof passes with probability at most 2⁻¹²⁸ (the weights are chosen
/// after the proofs; `GT` has prime order). One Miller loop per proof plus
/// three per circuit, all in one multi-Miller loop split across threads,
/// and **one** final exponentiation for the whole batch: a transaction's
/// input and output proofs together cost one, not one per circuit, and the
/// `e(α, β)^{Σr}` exponentiation in `GT` becomes a Miller-loop pair with the
/// prepared `β`. On failure, callers that need to know which proof is bad
/// verify them one by one.
pub fn batch_verify_groups<R: RngCore + CryptoRng>(
    groups: &[ProofGroup<'_>],
    rng: &mut R,
) -> Result<(), ZkError> {
    let total: usize = groups.iter().map(|(_, items)| items.len()).sum();
    if total == 0 {
        return Ok(());
    }
    for (params, items) in groups {
        for (public, _) in items.iter() {
            check_inputs(params, public)?;
        }
    }
    // Per proof: (weight, A, B). Per circuit: the three fixed pairs.
    // Where the CPU has vector lanes, the G1 multiplications run there
    // (`g1_lanes`), collected first: the 128-bit rᵢ·Cᵢ, then per circuit
    // the public-input bases and α with full-size scalars.
    let lanes = crate::miller::lanes_available();
    let mut fixed_g1: Vec<G1> = Vec::with_capacity(3 * groups.len());
    let mut fixed_g2: Vec<<Curve as Pairing>::G2Prepared> = Vec::with_capacity(3 * groups.len());
    let mut weights_all: Vec<Fr> = Vec::with_capacity(total);
    let (mut c_jobs, mut full_jobs, mut segments) = (Vec::new(), Vec::new(), Vec::new());
    for (params, items) in groups {
        if items.is_empty() {
            continue;
        }
        let weights128: Vec<u128> = items
            .iter()
            .map(|_| {
                let mut b = [0u8; 16];
                rng.fill_bytes(&mut b);
                u128::from_le_bytes(b)
            })
            .collect();
        let weights: Vec<Fr> = weights128.iter().map(|w| Fr::from(*w)).collect();
        let vk = &params.pvk.vk;
        let n_pub = vk.gamma_abc_g1.len() - 1;
        // Σ rᵢ·ICᵢ = (Σ rᵢ)·γ_abc₀ + Σⱼ (Σᵢ rᵢ·xᵢⱼ)·γ_abcⱼ
        let mut ic_scalars = vec![Fr::zero(); n_pub + 1];
        for ((public, _), r) in items.iter().zip(&weights) {
            ic_scalars[0] += r;
            for (j, x) in public.iter().enumerate() {
                ic_scalars[j + 1] += *r * x;
            }
        }
        let r_sum = ic_scalars[0];
        if lanes {
            c_jobs.extend(
                items
                    .iter()
                    .zip(&weights)
                    .map(|((_, p), r)| (p.0.c, r.into_bigint())),
            );
            full_jobs.extend(
                vk.gamma_abc_g1
                    .iter()
                    .zip(&ic_scalars)
                    .map(|(b, s)| (*b, s.into_bigint())),
            );
            full_jobs.push((vk.alpha_g1, (-r_sum).into_bigint()));
            segments.push((items.len(), n_pub + 2));
        } else {
            fixed_g1.push(G1::msm_unchecked(&vk.gamma_abc_g1, &ic_scalars));
            fixed_g2.push(params.pvk.gamma_g2_neg_pc.clone());
            let cs: Vec<G1Affine> = items.iter().map(|(_, p)| p.0.c).collect();
            fixed_g1.push(msm_u128(&cs, &weights128));
            fixed_g2.push(params.pvk.delta_g2_neg_pc.clone());
            fixed_g1.push(-(vk.alpha_g1 * r_sum));
            fixed_g2.push(params.beta_g2_pc.clone());
        }
        weights_all.extend(weights);
    }
    let proofs: Vec<&ZkProof> = groups
        .iter()
        .flat_map(|(_, items)| items.iter().map(|(_, p)| p))
        .collect();

    // rᵢ·Aᵢ, then the Miller loops in parallel chunks.
    let ra: Vec<G1> = if lanes {
        let (pts, sc): (Vec<G1Affine>, Vec<_>) = proofs
            .iter()
            .zip(&weights_all)
            .map(|(p, r)| (p.0.a, r.into_bigint()))
            .chain(c_jobs)
            .unzip();
        let mut ra = crate::g1_lanes::mul_many(&pts, &sc, 128);
        let c_terms = ra.split_off(total);
        let (pts, sc): (Vec<G1Affine>, Vec<_>) = full_jobs.into_iter().unzip();
        let full = crate::g1_lanes::mul_many(&pts, &sc, 256);
        let (mut ci, mut fi) = (0, 0);
        for (nc, nf) in segments {
            fixed_g1.push(full[fi..fi + nf - 1].iter().sum());
            fixed_g1.push(c_terms[ci..ci + nc].iter().sum());
            fixed_g1.push(full[fi + nf - 1]);
            (ci, fi) = (ci + nc, fi + nf);
        }
        ra
    } else {
        proofs
            .par_iter()
            .zip(&weights_all)
            .map(|(p, r)| p.0.a.mul_bigint(r.into_bigint()))
            .collect()
    };
    let mut ra = G1::normalize_batch(&ra);
    let mut bs: Vec<G2Affine> = proofs.iter().map(|p| p.0.b).collect();
    let fixed = G1::normalize_batch(&fixed_g1);
    let (ml, rest) = if lanes {
        // In vector lanes a pair costs less than arkworks' line evaluation
        // with a prepared point: the fixed pairs join the proofs' pairs.
        for (p, g) in groups
            .iter()
            .filter(|(_, items)| !items.is_empty())
            .map(|g| g.0)
            .zip(fixed.chunks(3))
        {
            let vk = &p.pvk.vk;
            ra.extend_from_slice(g);
            bs.extend([-vk.gamma_g2, -vk.delta_g2, vk.beta_g2]);
        }
        (crate::miller::multi_miller_loop(&ra, &bs), Fq12::one())
    } else {
        let ml = crate::miller::multi_miller_loop(&ra, &bs);
        (ml, Curve::multi_miller_loop(fixed, fixed_g2).0)
    };
    let product = MillerLoopOutput::<Curve>(ml * rest);
    match Curve::final_exponentiation(product) {
        Some(v) if v.0.is_one() => Ok(()),
        _ => Err(ZkError::InvalidBatch(total)),
    }
}
