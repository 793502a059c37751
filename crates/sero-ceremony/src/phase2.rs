//! Phase 2: one circuit's proving key.
//!
//! The initial key is computed from a phase 1 and the circuit's constraint
//! matrices exactly as snarkjs's `zkey new` does (`γ = δ = 1`, snarkjs's
//! R1CS-to-QAP reduction): with `Lₖ` the Lagrange basis of the domain of
//! size `m` and `L⁽²ᵐ⁾` that of `2m`, all at `τ`,
//! `A_j = Σₖ Aₖⱼ·Lₖ` (plus `L_{nc+j}` for public input `j`), `B_j` in G1
//! and G2 likewise, `IC_j`/`L_j = Σₖ (Aₖⱼ·β·Lₖ + Bₖⱼ·α·Lₖ + Cₖⱼ·Lₖ)`,
//! `H_i = L⁽²ᵐ⁾₂ᵢ₊₁`. Each contribution multiplies `δ` by a secret `d` and
//! divides `H` and `L` by it.
//!
//! Transcript file:
//! ```text
//! magic "SEROMPC2" ‖ u32 version 2 ‖ u8 circuit (0 output, 1 input)
//! ‖ circuit hash (32) ‖ phase 1 chain hash (32) ‖ snarkjs csHash (64)
//! ‖ u32 contributions k
//! k × record: var name ‖ source ‖ δ·G1 ‖ δ·G2 ‖ g1_s ‖ g1_sx ‖ g2_spx
//!             ‖ snarkjs transcript (64) ‖ key hash (32, of the key it produced)
//! u64 len ‖ arkworks ProvingKey<Bn254>, uncompressed
//! BLAKE2b-256("SERO_CerP2File__"; everything before)
//! ```
//! Chain: `h₀ = H("SERO_CerP2Init__"; circuit ‖ circuit hash ‖ phase 1
//! hash ‖ csHash)`, `hⱼ₊₁ = H("SERO_CerP2Contr_"; hⱼ ‖ record j)`.
//!
//! The proofs of knowledge are snarkjs's ([`crate::mpc`]), so that the
//! transcript exported as a `.zkey` ([`crate::snarkjs::zkey_bytes`]) is
//! checked by `snarkjs zkey verify`.

use crate::codec::{Reader, Writer};
use crate::phase1::{read_name, read_source, scale_powers, write_source, Accumulator, Phase1};
use crate::pok::Pok;
use crate::{
    hash, mpc, nonzero_scalar, same_ratio, weights, CeremonyError, Fr, Progress, Source, G1, G1A,
    G2, G2A, MAX_BEACON_ITERATIONS_EXP,
};
use ark_bn254::Bn254;
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{Field, One, Zero};
use ark_groth16::{ProvingKey, VerifyingKey};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use rand_core::{CryptoRng, RngCore};
use rayon::prelude::*;
use sero_zk::params::CircuitParams;
use sero_zk::qap::{R1csMatrices, Reduction};

const MAGIC: &[u8; 8] = b"SEROMPC2";
const VERSION: u32 = 2;
const FILE_TAG: &[u8; 16] = b"SERO_CerP2File__";

/// SERO's two circuits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Circuit {
    Output,
    Input,
}

impl Circuit {
    pub fn id(self) -> u8 {
        match self {
            Circuit::Output => 0,
            Circuit::Input => 1,
        }
    }
    pub fn from_id(id: u8) -> Option<Self> {
        match id {
            0 => Some(Circuit::Output),
            1 => Some(Circuit::Input),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Circuit::Output => "output",
            Circuit::Input => "input",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "output" => Some(Circuit::Output),
            "input" => Some(Circuit::Input),
            _ => None,
        }
    }
    /// The circuit's constraint matrices.
    pub fn r1cs(self) -> Result<R1csMatrices, CeremonyError> {
        Ok(match self {
            Circuit::Output => R1csMatrices::output()?,
            Circuit::Input => R1csMatrices::input()?,
        })
    }
}

/// The inverse FFT over group elements without the final `1/n` factor
/// (callers fold it into their coefficients): `out_k = Σᵢ ω⁻ⁱᵏ·aᵢ`.
/// Iterative radix-2, parallel within each level.
pub(crate) fn ifft_unscaled<C: crate::Group>(a: &mut [C], progress: &dyn Progress) {
    let n = a.len();
    assert!(n.is_power_of_two());
    if n == 1 {
        return;
    }
    let log = n.trailing_zeros();
    for i in 0..n {
        let j = i.reverse_bits() >> (usize::BITS - log);
        if i < j {
            a.swap(i, j);
        }
    }
    let w_inv = Radix2EvaluationDomain::<Fr>::new(n)
        .expect("power of two")
        .group_gen_inv();
    let mut len = 2;
    while len <= n {
        let half = len / 2;
        let w = w_inv.pow([(n / len) as u64]);
        let tw: Vec<Fr> = std::iter::successors(Some(Fr::one()), |x| Some(*x * w))
            .take(half)
            .collect();
        a.par_chunks_mut(len).for_each(|chunk| {
            let (lo, hi) = chunk.split_at_mut(half);
            lo.par_iter_mut()
                .zip(hi.par_iter_mut())
                .zip(tw.par_iter())
                .for_each(|((x, y), t)| {
                    let t = if t.is_one() { *y } else { C::times(*y, *t) };
                    *y = *x - t;
                    *x += t;
                });
        });
        progress.advance(1);
        len *= 2;
    }
}

/// `m·Lₖ(τ)` for the domain of `points.len()`, from `τⁱ` in the group.
fn lagrange_times_m<C: crate::Group>(
    points: &[C::Affine],
    progress: &dyn Progress,
) -> Vec<C::Affine> {
    let mut v: Vec<C> = points.par_iter().map(|p| p.into_group()).collect();
    ifft_unscaled(&mut v, progress);
    C::normalize_batch(&v)
}

/// `Lₖ(τ)` for the domain of `points.len()` from `τⁱ` in the group: the
/// "prepared" sections of a snarkjs `.ptau`.
pub(crate) fn lagrange<C: crate::Group>(points: &[C::Affine]) -> Vec<C::Affine> {
    let n_inv = Fr::from(points.len() as u64).inverse().expect("n ≠ 0");
    let mut v: Vec<C> = points
        .par_iter()
        .map(|p| C::times(p.into_group(), n_inv))
        .collect();
    ifft_unscaled(&mut v, &crate::Quiet);
    C::normalize_batch(&v)
}

/// `Σ coeff·bases[row]`.
fn combine<C: crate::Group>(bases: &[C::Affine], terms: &[(usize, Fr)]) -> C {
    if terms.len() <= 8 {
        terms
            .iter()
            .map(|(k, c)| C::times(bases[*k].into_group(), *c))
            .sum()
    } else {
        let b: Vec<C::Affine> = terms.iter().map(|(k, _)| bases[*k]).collect();
        let s: Vec<Fr> = terms.iter().map(|(_, c)| *c).collect();
        C::msm_unchecked(&b, &s)
    }
}

/// The initial proving key (`δ = γ = 1`) of a circuit from phase 1.
pub fn initial_key(
    acc: &Accumulator,
    r1cs: &R1csMatrices,
    progress: &dyn Progress,
) -> Result<ProvingKey<Bn254>, CeremonyError> {
    crate::in_pool(|| initial_key_inner(acc, r1cs, progress))
}

fn initial_key_inner(
    acc: &Accumulator,
    r1cs: &R1csMatrices,
    progress: &dyn Progress,
) -> Result<ProvingKey<Bn254>, CeremonyError> {
    let m = r1cs.domain_size();
    let n = 1usize << acc.power;
    if m > n / 2 {
        return Err(CeremonyError::Usage(format!(
            "the circuit needs a domain of {m} (2^{}), so a phase 1 of power at least {}; this \
             one has power {}",
            m.trailing_zeros(),
            m.trailing_zeros() + 1,
            acc.power
        )));
    }
    let nc = r1cs.num_constraints;
    let ni = r1cs.num_instance;
    let nv = r1cs.num_variables();
    let log = m.trailing_zeros() as u64;
    progress.begin("Lagrange bases", 5 * log);
    // The bases are m·Lₖ(τ): every coefficient below carries 1/m.
    let l1 = lagrange_times_m::<G1>(&acc.tau_g1[..m], progress);
    let l2 = lagrange_times_m::<G2>(&acc.tau_g2[..m], progress);
    let la = lagrange_times_m::<G1>(&acc.alpha_tau_g1[..m], progress);
    let lb = lagrange_times_m::<G1>(&acc.beta_tau_g1[..m], progress);
    let m_inv = Fr::from(m as u64).inverse().expect("m ≠ 0");
    // H_i = L⁽²ᵐ⁾₂ᵢ₊₁(τ) = (1/m)·Σⱼ ωₘ⁻ⁱʲ·Qⱼ with Qⱼ = (τʲ − τʲ⁺ᵐ)·ω₂ₘ⁻ʲ/2.
    let d2 = Radix2EvaluationDomain::<Fr>::new(2 * m).expect("power of two");
    let c = Fr::from(2u64).inverse().expect("2 ≠ 0") * m_inv;
    let w = d2.group_gen_inv();
    let mut q: Vec<G1> = (0..m)
        .into_par_iter()
        .map(|j| (acc.tau_g1[j].into_group() - acc.tau_g1[j + m]) * (c * w.pow([j as u64])))
        .collect();
    ifft_unscaled(&mut q, progress);
    let h_query = G1::normalize_batch(&q);

    // Columns: for each variable, the (row, coefficient) of A, B, C.
    let mut cols = vec![[vec![], vec![], vec![]]; nv];
    for (mat, matrix) in r1cs.matrices.iter().enumerate() {
        for (row, terms) in matrix.iter().enumerate() {
            for (coeff, var) in terms {
                let col = cols
                    .get_mut(*var)
                    .ok_or_else(|| CeremonyError::Usage(format!("variable {var} out of range")))?;
                col[mat].push((row, *coeff * m_inv));
            }
        }
    }
    for (i, col) in cols.iter_mut().enumerate().take(ni) {
        col[0].push((nc + i, m_inv));
    }
    progress.begin("circuit queries", nv as u64);
    let per_var: Vec<(G1, G1, G2, G1)> = cols
        .par_iter()
        .map(|[a, b, c]| {
            let r = (
                combine::<G1>(&l1, a),
                combine::<G1>(&l1, b),
                combine::<G2>(&l2, b),
                combine::<G1>(&lb, a) + combine::<G1>(&la, b) + combine::<G1>(&l1, c),
            );
            progress.advance(1);
            r
        })
        .collect();
    let a_query = G1::normalize_batch(&per_var.iter().map(|v| v.0).collect::<Vec<_>>());
    let b_g1_query = G1::normalize_batch(&per_var.iter().map(|v| v.1).collect::<Vec<_>>());
    let b_g2_query = G2::normalize_batch(&per_var.iter().map(|v| v.2).collect::<Vec<_>>());
    let k = G1::normalize_batch(&per_var.iter().map(|v| v.3).collect::<Vec<_>>());
    Ok(ProvingKey {
        vk: VerifyingKey {
            alpha_g1: acc.alpha_tau_g1[0],
            beta_g2: acc.beta_g2,
            gamma_g2: G2A::generator(),
            delta_g2: G2A::generator(),
            gamma_abc_g1: k[..ni].to_vec(),
        },
        beta_g1: acc.beta_tau_g1[0],
        delta_g1: G1A::generator(),
        a_query,
        b_g1_query,
        b_g2_query,
        h_query,
        l_query: k[ni..].to_vec(),
    })
}

fn field_ifft(v: &mut Vec<Fr>) {
    Radix2EvaluationDomain::<Fr>::new(v.len())
        .expect("power of two")
        .ifft_in_place(v);
}

/// Checks a key (any `δ`) against the circuit and phase 1 without
/// recomputing it: for random weights `r` over the variables,
/// `Σ rⱼ·A_j = Σₖ uₖ·Lₖ(τ) = Σᵢ cᵢ·τⁱ` with `u = A·r` and `c = IFFT(u)`,
/// one multi-scalar multiplication on each side; likewise `B` (G1 and G2),
/// `IC`, `L` (times `δ`) and `H` (times `δ`, the odd points of the domain
/// of size `2m`). A wrong point survives with probability about 2⁻¹²⁸.
/// This is the structural part of [`Phase2::verify`], usable alone on a key
/// whose contributions are checked elsewhere (a snarkjs `.zkey`).
pub fn check_key<R: RngCore>(
    pk: &ProvingKey<Bn254>,
    acc: &Accumulator,
    r1cs: &R1csMatrices,
    rng: &mut R,
    progress: &dyn Progress,
) -> Result<(), CeremonyError> {
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    crate::in_pool(|| {
        let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::from_seed(seed);
        check_key_inner(pk, acc, r1cs, &mut rng, progress)
    })
}

fn check_key_inner<R: RngCore>(
    pk: &ProvingKey<Bn254>,
    acc: &Accumulator,
    r1cs: &R1csMatrices,
    rng: &mut R,
    progress: &dyn Progress,
) -> Result<(), CeremonyError> {
    let invalid = |m: &str| Err(CeremonyError::Invalid(m.to_string()));
    let m = r1cs.domain_size();
    if m > (1usize << acc.power) / 2 {
        return invalid("the circuit is too large for this phase 1");
    }
    let (nc, ni, nv) = (
        r1cs.num_constraints,
        r1cs.num_instance,
        r1cs.num_variables(),
    );
    let g1 = G1A::generator();
    let g2 = G2A::generator();
    if pk.vk.alpha_g1 != acc.alpha_tau_g1[0]
        || pk.beta_g1 != acc.beta_tau_g1[0]
        || pk.vk.beta_g2 != acc.beta_g2
        || pk.vk.gamma_g2 != g2
    {
        return invalid(
            "the key's α, β or γ differ from those phase 1 determines (a tampered point)",
        );
    }
    if pk.a_query.len() != nv
        || pk.b_g1_query.len() != nv
        || pk.b_g2_query.len() != nv
        || pk.vk.gamma_abc_g1.len() != ni
        || pk.l_query.len() != nv - ni
        || pk.h_query.len() != m
    {
        return invalid("the key's sizes do not match the circuit (parameters of another circuit)");
    }
    progress.begin("checking the key", 7);
    let r = weights(nv, rng);
    // u = M·r per matrix, split into public (IC) and private (L) variables.
    let mut u = [(); 6].map(|_| vec![Fr::zero(); m]);
    for (mat, matrix) in r1cs.matrices.iter().enumerate() {
        for (row, terms) in matrix.iter().enumerate() {
            for (coeff, var) in terms {
                let part = if *var < ni { 0 } else { 3 };
                u[part + mat][row] += *coeff * r[*var];
            }
        }
    }
    for (i, ri) in r.iter().enumerate().take(ni) {
        u[0][nc + i] += ri;
    }
    u.par_iter_mut().for_each(field_ifft);
    let [a_pub, b_pub, c_pub, a_prv, b_prv, c_prv] = u;
    let sum = |x: &[Fr], y: &[Fr]| x.iter().zip(y).map(|(a, b)| *a + b).collect::<Vec<_>>();
    let a_all = sum(&a_pub, &a_prv);
    let b_all = sum(&b_pub, &b_prv);
    let t1 = &acc.tau_g1[..m];
    let t2 = &acc.tau_g2[..m];
    let at = &acc.alpha_tau_g1[..m];
    let bt = &acc.beta_tau_g1[..m];
    let eq1 = |x: G1, y: G1| x.into_affine() == y.into_affine();
    if !eq1(
        G1::msm_unchecked(&pk.a_query, &r),
        G1::msm_unchecked(t1, &a_all),
    ) {
        return invalid("the A query is not the one the circuit and phase 1 determine (a tampered point, or parameters of another circuit)");
    }
    progress.advance(1);
    if !eq1(
        G1::msm_unchecked(&pk.b_g1_query, &r),
        G1::msm_unchecked(t1, &b_all),
    ) {
        return invalid("the B query (G1) is not the one the circuit and phase 1 determine (a tampered point, or parameters of another circuit)");
    }
    progress.advance(1);
    if G2::msm_unchecked(&pk.b_g2_query, &r).into_affine()
        != G2::msm_unchecked(t2, &b_all).into_affine()
    {
        return invalid("the B query (G2) is not the one the circuit and phase 1 determine (a tampered point, or parameters of another circuit)");
    }
    progress.advance(1);
    let k = |a: &[Fr], b: &[Fr], c: &[Fr]| {
        G1::msm_unchecked(bt, a) + G1::msm_unchecked(at, b) + G1::msm_unchecked(t1, c)
    };
    if !eq1(
        G1::msm_unchecked(&pk.vk.gamma_abc_g1, &r[..ni]),
        k(&a_pub, &b_pub, &c_pub),
    ) {
        return invalid("the IC points of the verifying key are not the ones the circuit and phase 1 determine (a tampered point, or parameters of another circuit)");
    }
    progress.advance(1);
    let l = G1::msm_unchecked(&pk.l_query, &r[ni..]).into_affine();
    if !same_ratio(
        l,
        k(&a_prv, &b_prv, &c_prv).into_affine(),
        g2,
        pk.vk.delta_g2,
    ) {
        return invalid("the L query is not the one the circuit and phase 1 determine, divided by δ (a tampered point)");
    }
    progress.advance(1);
    // Σ sᵢ·L⁽²ᵐ⁾₂ᵢ₊₁(τ) = Σⱼ cⱼ·τʲ with c = IFFT₂ₘ(s at the odd positions).
    let s = weights(m, rng);
    let mut v = vec![Fr::zero(); 2 * m];
    for (i, si) in s.iter().enumerate() {
        v[2 * i + 1] = *si;
    }
    field_ifft(&mut v);
    let h = G1::msm_unchecked(&pk.h_query, &s).into_affine();
    let expect = G1::msm_unchecked(&acc.tau_g1[..2 * m], &v).into_affine();
    if !same_ratio(h, expect, g2, pk.vk.delta_g2) {
        return invalid(
            "the H query is not the one phase 1 determines, divided by δ (a tampered point)",
        );
    }
    progress.advance(1);
    if pk.delta_g1.is_zero()
        || pk.vk.delta_g2.is_zero()
        || !same_ratio(g1, pk.delta_g1, g2, pk.vk.delta_g2)
    {
        return invalid("δ·G1 and δ·G2 disagree");
    }
    progress.advance(1);
    Ok(())
}

/// One phase 2 contribution's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contribution {
    pub name: String,
    pub source: Source,
    pub delta_g1: G1A,
    pub delta_g2: G2A,
    /// snarkjs's proof of knowledge of the secret `d`: `g1_s`, `g1_sx =
    /// d·g1_s`, `g2_spx = d·`[`mpc::hash_to_g2`]`(transcript)`.
    pub pok: Pok,
    /// The snarkjs transcript hash the proof is bound to
    /// ([`mpc::transcript`] of everything before).
    pub transcript: [u8; 64],
    /// [`key_hash`] of the key this contribution produced.
    pub key_hash: [u8; 32],
}

impl Contribution {
    fn write(&self, w: &mut Writer) {
        w.var(self.name.as_bytes());
        write_source(w, &self.source);
        w.point(&self.delta_g1);
        w.point(&self.delta_g2);
        self.pok.write(w);
        w.bytes(&self.transcript);
        w.bytes(&self.key_hash);
    }

    fn read(r: &mut Reader) -> Result<Self, CeremonyError> {
        Ok(Contribution {
            name: read_name(r)?,
            source: read_source(r)?,
            delta_g1: r.g1("record delta_g1")?,
            delta_g2: r.g2("record delta_g2")?,
            pok: Pok::read(r, "proof of knowledge")?,
            transcript: r.take(64, "transcript hash")?.try_into().expect("64 bytes"),
            key_hash: r.array32("key hash")?,
        })
    }

    pub fn hash(&self, prev: &[u8; 32]) -> [u8; 32] {
        let mut w = Writer::new();
        self.write(&mut w);
        hash(b"SERO_CerP2Contr_", &[prev, &w.0])
    }
}

fn pk_bytes(pk: &ProvingKey<Bn254>) -> Vec<u8> {
    let mut v = vec![];
    pk.serialize_uncompressed(&mut v).expect("in-memory");
    v
}

/// `BLAKE2b-256` of a proving key's uncompressed encoding.
pub fn key_hash(pk: &ProvingKey<Bn254>) -> [u8; 32] {
    hash(b"SERO_CerP2Key___", &[&pk_bytes(pk)])
}

/// A phase 2 transcript of one circuit.
#[derive(Clone, Debug, PartialEq)]
pub struct Phase2 {
    pub circuit: Circuit,
    /// [`R1csMatrices::hash`] of the circuit.
    pub circuit_hash: [u8; 32],
    /// [`Phase1::chain_hash`] of the phase 1 it starts from.
    pub phase1_hash: [u8; 32],
    /// snarkjs's circuit hash of the initial key ([`mpc::cs_hash`]),
    /// computed by [`Phase2::new`]; it opens the snarkjs transcript.
    pub cs_hash: [u8; 64],
    pub contributions: Vec<Contribution>,
    pub pk: ProvingKey<Bn254>,
}

impl Phase2 {
    /// Starts phase 2 of `circuit` from a (verified) phase 1.
    pub fn new(
        circuit: Circuit,
        r1cs: &R1csMatrices,
        phase1: &Phase1,
        progress: &dyn Progress,
    ) -> Result<Self, CeremonyError> {
        let pk = initial_key(&phase1.accumulator, r1cs, progress)?;
        let cs_hash = mpc::cs_hash(&pk, &phase1.accumulator.tau_g1).ok_or_else(|| {
            CeremonyError::Usage("phase 1 has too few powers for this circuit".into())
        })?;
        Ok(Phase2 {
            circuit,
            circuit_hash: r1cs.hash(),
            phase1_hash: phase1.chain_hash(),
            cs_hash,
            contributions: vec![],
            pk,
        })
    }

    fn init_hash(&self) -> [u8; 32] {
        hash(
            b"SERO_CerP2Init__",
            &[
                &[self.circuit.id()],
                &self.circuit_hash,
                &self.phase1_hash,
                &self.cs_hash,
            ],
        )
    }

    /// The snarkjs transcript before contribution `k`: csHash and the
    /// public keys of contributions `0..k`.
    fn mpc_acc(&self, k: usize) -> Vec<u8> {
        let mut acc = self.cs_hash.to_vec();
        for c in &self.contributions[..k] {
            acc.extend(mpc::pubkey_bytes(
                &c.delta_g1,
                &c.pok.g1_s,
                &c.pok.g1_sx,
                &c.pok.g2_spx,
                &c.transcript,
            ));
        }
        acc
    }

    pub fn chain_hash(&self) -> [u8; 32] {
        self.contributions
            .iter()
            .fold(self.init_hash(), |h, c| c.hash(&h))
    }

    pub fn contribute<R: RngCore + CryptoRng>(
        &mut self,
        name: &str,
        rng: &mut R,
        progress: &dyn Progress,
    ) -> Result<[u8; 32], CeremonyError> {
        let d = nonzero_scalar(rng);
        let g1_s = (G1A::generator() * nonzero_scalar(rng)).into_affine();
        self.apply(name, Source::Participant, d, g1_s, progress)
    }

    pub fn beacon(
        &mut self,
        value: &[u8],
        iterations_exp: u8,
        progress: &dyn Progress,
    ) -> Result<[u8; 32], CeremonyError> {
        let (d, g1_s) = beacon_secret(value, iterations_exp)?;
        let source = Source::Beacon {
            value: value.to_vec(),
            iterations_exp,
        };
        self.apply("beacon", source, d, g1_s, progress)
    }

    fn apply(
        &mut self,
        name: &str,
        source: Source,
        d: Fr,
        g1_s: G1A,
        progress: &dyn Progress,
    ) -> Result<[u8; 32], CeremonyError> {
        if name.len() > 256 {
            return Err(CeremonyError::Usage("name longer than 256 bytes".into()));
        }
        let challenge = self.chain_hash();
        let g1_sx = (g1_s * d).into_affine();
        let transcript = mpc::transcript(&self.mpc_acc(self.contributions.len()), &g1_s, &g1_sx);
        let pok = Pok {
            g1_s,
            g1_sx,
            g2_spx: (mpc::hash_to_g2(&transcript) * d).into_affine(),
        };
        let dinv = d.inverse().expect("nonzero");
        let pk = &mut self.pk;
        pk.delta_g1 = (pk.delta_g1 * d).into_affine();
        pk.vk.delta_g2 = (pk.vk.delta_g2 * d).into_affine();
        progress.begin("contributing", (pk.h_query.len() + pk.l_query.len()) as u64);
        scale_powers::<G1>(&mut pk.h_query, dinv, Fr::one(), progress);
        scale_powers::<G1>(&mut pk.l_query, dinv, Fr::one(), progress);
        let c = Contribution {
            name: name.to_string(),
            source,
            delta_g1: pk.delta_g1,
            delta_g2: pk.vk.delta_g2,
            pok,
            transcript,
            key_hash: key_hash(pk),
        };
        let h = c.hash(&challenge);
        self.contributions.push(c);
        Ok(h)
    }

    /// Verifies the transcript against the circuit and the phase 1 it
    /// claims to start from: the initial key recomputed, every record's
    /// proof of knowledge and `δ` step, the final key against the last
    /// record, and `H`, `L` as the initial ones divided by the final `δ`.
    pub fn verify<R: RngCore>(
        &self,
        phase1: &Phase1,
        r1cs: &R1csMatrices,
        rng: &mut R,
        progress: &dyn Progress,
    ) -> Result<Vec<crate::phase1::Verified>, CeremonyError> {
        let invalid = |m: String| Err(CeremonyError::Invalid(m));
        let got = r1cs.hash();
        if self.circuit_hash != got {
            return invalid(format!(
                "parameters of another circuit: the transcript is for the {} circuit with \
                 constraint-system hash {}, the circuit checked against hashes to {}",
                self.circuit.name(),
                hex::encode(self.circuit_hash),
                hex::encode(got)
            ));
        }
        if self.phase1_hash != phase1.chain_hash() {
            return invalid(format!(
                "the transcript starts from another phase 1 (hash {}, this phase 1 is {})",
                hex::encode(self.phase1_hash),
                hex::encode(phase1.chain_hash())
            ));
        }
        let pk = &self.pk;
        check_key(pk, &phase1.accumulator, r1cs, rng, progress)?;
        let mut prev = (G1A::generator(), G2A::generator());
        let mut h = self.init_hash();
        let mut acc = self.cs_hash.to_vec();
        let mut out = vec![];
        progress.begin("checking contributions", self.contributions.len() as u64);
        for (i, c) in self.contributions.iter().enumerate() {
            let who = format!("contribution #{} ({:?})", i + 1, c.name);
            let fail = |m: &str| Err(CeremonyError::Invalid(format!("{who}: {m}")));
            if mpc::transcript(&acc, &c.pok.g1_s, &c.pok.g1_sx) != c.transcript {
                return fail(
                    "its proof of knowledge is bound to another transcript than the one before \
                     it: a skipped or reordered step, or a tampered proof",
                );
            }
            let sp = mpc::hash_to_g2(&c.transcript);
            if c.pok.g1_s.is_zero()
                || c.pok.g1_sx.is_zero()
                || c.pok.g2_spx.is_zero()
                || !same_ratio(c.pok.g1_s, c.pok.g1_sx, sp, c.pok.g2_spx)
            {
                return fail("the proof of knowledge of its secret does not verify");
            }
            if !same_ratio(prev.0, c.delta_g1, sp, c.pok.g2_spx)
                || !same_ratio(c.pok.g1_s, c.pok.g1_sx, prev.1, c.delta_g2)
            {
                return fail(
                    "δ is not the previous δ times the proven secret (a skipped or reordered \
                     step, or a tampered point)",
                );
            }
            if let Source::Beacon {
                value,
                iterations_exp,
            } = &c.source
            {
                let (d, g1_s) = beacon_secret(value, *iterations_exp)?;
                if c.pok.g1_s != g1_s || !c.pok.secret_is(&d) {
                    return fail("its secret is not the one its beacon value derives");
                }
            }
            h = c.hash(&h);
            acc.extend(mpc::pubkey_bytes(
                &c.delta_g1,
                &c.pok.g1_s,
                &c.pok.g1_sx,
                &c.pok.g2_spx,
                &c.transcript,
            ));
            prev = (c.delta_g1, c.delta_g2);
            out.push(crate::phase1::Verified {
                index: i + 1,
                name: c.name.clone(),
                source: c.source.clone(),
                hash: h,
            });
            progress.advance(1);
        }
        if (pk.delta_g1, pk.vk.delta_g2) != prev {
            return invalid(
                "the key's δ is not the last contribution's (a tampered key or a dropped last \
                 contribution)"
                    .into(),
            );
        }
        if let Some(last) = self.contributions.last() {
            if last.key_hash != key_hash(pk) {
                return invalid(
                    "the key differs from the one the last contribution recorded: it was altered \
                     after it (a tampered point)"
                        .into(),
                );
            }
        }
        if pk.delta_g1.is_zero() || pk.vk.delta_g2.is_zero() {
            return invalid("δ is zero".into());
        }
        Ok(out)
    }

    /// The keys for proving (with snarkjs's reduction) and verifying.
    pub fn circuit_params(&self) -> CircuitParams {
        let p = CircuitParams::new(self.pk.clone());
        debug_assert_eq!(p.reduction(), Reduction::Circom);
        p
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.bytes(MAGIC);
        w.u32(VERSION);
        w.u8(self.circuit.id());
        w.bytes(&self.circuit_hash);
        w.bytes(&self.phase1_hash);
        w.bytes(&self.cs_hash);
        w.u32(self.contributions.len() as u32);
        for c in &self.contributions {
            c.write(&mut w);
        }
        let pk = pk_bytes(&self.pk);
        w.u64(pk.len() as u64);
        w.bytes(&pk);
        w.finish(FILE_TAG)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CeremonyError> {
        let mut r = Reader::open(bytes, MAGIC, VERSION, FILE_TAG, "phase 2 transcript")?;
        let id = r.u8("circuit")?;
        let circuit = Circuit::from_id(id)
            .ok_or_else(|| CeremonyError::Format(format!("unknown circuit {id}")))?;
        let circuit_hash = r.array32("circuit hash")?;
        let phase1_hash = r.array32("phase 1 hash")?;
        let cs_hash: [u8; 64] = r.take(64, "circuit hash")?.try_into().expect("64 bytes");
        let k = r.u32("contribution count")?;
        let mut contributions = vec![];
        for _ in 0..k {
            contributions.push(Contribution::read(&mut r)?);
        }
        let len = r.u64("key length")?;
        let len = usize::try_from(len)
            .map_err(|_| CeremonyError::Format("key length out of range".into()))?;
        let body = r.take(len, "proving key")?;
        let pk = ProvingKey::<Bn254>::deserialize_with_mode(body, Compress::No, Validate::Yes)
            .map_err(|e| CeremonyError::Format(format!("proving key: {e}")))?;
        r.done()?;
        Ok(Phase2 {
            circuit,
            circuit_hash,
            phase1_hash,
            cs_hash,
            contributions,
            pk,
        })
    }
}

/// A phase 2 beacon's secret and `g1_s`, derived as snarkjs's `zkey
/// beacon` does ([`mpc::beacon_secret`]).
pub fn beacon_secret(value: &[u8], iterations_exp: u8) -> Result<(Fr, G1A), CeremonyError> {
    if iterations_exp > MAX_BEACON_ITERATIONS_EXP {
        return Err(CeremonyError::Usage(format!(
            "beacon iterations 2^{iterations_exp}: the exponent must be at most {MAX_BEACON_ITERATIONS_EXP}"
        )));
    }
    if value.is_empty() || value.len() > 255 {
        return Err(CeremonyError::Usage(
            "the beacon value must be 1 to 255 bytes".into(),
        ));
    }
    let (d, g1_s) = mpc::beacon_secret(value, iterations_exp);
    if d.is_zero() {
        return Err(CeremonyError::Usage(
            "this beacon value derives a zero secret".into(),
        ));
    }
    Ok((d, g1_s))
}

/// Both circuits' final keys as a parameter file's [`sero_zk::Parameters`]
/// (not insecure; snarkjs's reduction).
pub fn parameters(output: &Phase2, input: &Phase2) -> Result<sero_zk::Parameters, CeremonyError> {
    if output.circuit != Circuit::Output || input.circuit != Circuit::Input {
        return Err(CeremonyError::Invalid(format!(
            "parameters of another circuit: expected the output then the input circuit's \
             transcripts, got {} then {}",
            output.circuit.name(),
            input.circuit.name()
        )));
    }
    if output.phase1_hash != input.phase1_hash {
        return Err(CeremonyError::Invalid(
            "the two circuits' transcripts start from different phase 1 transcripts".into(),
        ));
    }
    Ok(sero_zk::Parameters {
        output: output.circuit_params(),
        input: input.circuit_params(),
        insecure: false,
    })
}
