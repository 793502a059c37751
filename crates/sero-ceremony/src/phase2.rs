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
//! magic "SEROMPC2" ‖ u32 version 1 ‖ u8 circuit (0 output, 1 input)
//! ‖ circuit hash (32) ‖ phase 1 chain hash (32) ‖ u32 contributions k
//! k × record: var name ‖ source ‖ δ·G1 ‖ δ·G2 ‖ proof of knowledge of d
//!             ‖ key hash (32, of the key it produced)
//! u64 len ‖ arkworks ProvingKey<Bn254>, uncompressed
//! BLAKE2b-256("SERO_CerP2File__"; everything before)
//! ```
//! Chain: `h₀ = H("SERO_CerP2Init__"; circuit ‖ circuit hash ‖ phase 1
//! hash)`, `hⱼ₊₁ = H("SERO_CerP2Contr_"; hⱼ ‖ record j)`.

use crate::codec::{Reader, Writer};
use crate::phase1::{read_name, read_source, scale_powers, write_source, Accumulator, Phase1};
use crate::pok::Pok;
use crate::{
    beacon_rng, hash, nonzero_scalar, same_ratio, weights, CeremonyError, Fr, Progress, Source,
    G1, G1A, G2, G2A,
};
use ark_bn254::Bn254;
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{Field, One};
use ark_groth16::{ProvingKey, VerifyingKey};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use rand_core::{CryptoRng, RngCore};
use rayon::prelude::*;
use sero_zk::params::CircuitParams;
use sero_zk::qap::{R1csMatrices, Reduction};

const MAGIC: &[u8; 8] = b"SEROMPC2";
const VERSION: u32 = 1;
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

/// The Lagrange basis at `τ` of the domain of `points.len()` (a power of
/// two) from `τⁱ` in the group: an inverse FFT over group elements.
fn lagrange<C: CurveGroup<ScalarField = Fr>>(points: &[C::Affine]) -> Vec<C::Affine> {
    let domain = Radix2EvaluationDomain::<Fr>::new(points.len()).expect("power of two");
    let mut v: Vec<C> = points.par_iter().map(|p| p.into_group()).collect();
    domain.ifft_in_place(&mut v);
    C::normalize_batch(&v)
}

/// `Σ coeff·bases[row]`.
fn combine<C: CurveGroup<ScalarField = Fr>>(bases: &[C::Affine], terms: &[(usize, Fr)]) -> C {
    if terms.len() <= 8 {
        terms.iter().map(|(k, c)| bases[*k] * c).sum()
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
    progress.begin("Lagrange bases", 5);
    let l1 = lagrange::<G1>(&acc.tau_g1[..m]);
    progress.advance(1);
    let l2 = lagrange::<G2>(&acc.tau_g2[..m]);
    progress.advance(1);
    let la = lagrange::<G1>(&acc.alpha_tau_g1[..m]);
    progress.advance(1);
    let lb = lagrange::<G1>(&acc.beta_tau_g1[..m]);
    progress.advance(1);
    // H_i = L⁽²ᵐ⁾₂ᵢ₊₁(τ) = IFFTₘ(Q)ᵢ with Qⱼ = (τʲ − τʲ⁺ᵐ)·ω₂ₘ⁻ʲ/2.
    let d2 = Radix2EvaluationDomain::<Fr>::new(2 * m).expect("power of two");
    let half = Fr::from(2u64).inverse().expect("2 ≠ 0");
    let w = d2.group_gen_inv();
    let mut q: Vec<G1> = (0..m)
        .into_par_iter()
        .map(|j| (acc.tau_g1[j].into_group() - acc.tau_g1[j + m]) * (half * w.pow([j as u64])))
        .collect();
    Radix2EvaluationDomain::<Fr>::new(m)
        .expect("power of two")
        .ifft_in_place(&mut q);
    let h_query = G1::normalize_batch(&q);
    progress.advance(1);

    // Columns: for each variable, the (row, coefficient) of A, B, C.
    let mut cols = vec![[vec![], vec![], vec![]]; nv];
    for (mat, matrix) in r1cs.matrices.iter().enumerate() {
        for (row, terms) in matrix.iter().enumerate() {
            for (coeff, var) in terms {
                let col = cols.get_mut(*var).ok_or_else(|| {
                    CeremonyError::Usage(format!("variable {var} out of range"))
                })?;
                col[mat].push((row, *coeff));
            }
        }
    }
    for (i, col) in cols.iter_mut().enumerate().take(ni) {
        col[0].push((nc + i, Fr::one()));
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

/// One phase 2 contribution's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contribution {
    pub name: String,
    pub source: Source,
    pub delta_g1: G1A,
    pub delta_g2: G2A,
    pub pok: Pok,
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
        w.bytes(&self.key_hash);
    }

    fn read(r: &mut Reader) -> Result<Self, CeremonyError> {
        Ok(Contribution {
            name: read_name(r)?,
            source: read_source(r)?,
            delta_g1: r.g1("record delta_g1")?,
            delta_g2: r.g2("record delta_g2")?,
            pok: Pok::read(r, "proof of knowledge")?,
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
        Ok(Phase2 {
            circuit,
            circuit_hash: r1cs.hash(),
            phase1_hash: phase1.chain_hash(),
            contributions: vec![],
            pk: initial_key(&phase1.accumulator, r1cs, progress)?,
        })
    }

    fn init_hash(&self) -> [u8; 32] {
        hash(
            b"SERO_CerP2Init__",
            &[&[self.circuit.id()], &self.circuit_hash, &self.phase1_hash],
        )
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
        self.apply(name, Source::Participant, d, rng, progress)
    }

    pub fn beacon(
        &mut self,
        value: &[u8],
        iterations_exp: u8,
        progress: &dyn Progress,
    ) -> Result<[u8; 32], CeremonyError> {
        let mut rng = beacon_rng(value, iterations_exp)?;
        let d = nonzero_scalar(&mut rng);
        let source = Source::Beacon {
            value: value.to_vec(),
            iterations_exp,
        };
        self.apply("beacon", source, d, &mut rng, progress)
    }

    fn apply<R: RngCore>(
        &mut self,
        name: &str,
        source: Source,
        d: Fr,
        rng: &mut R,
        progress: &dyn Progress,
    ) -> Result<[u8; 32], CeremonyError> {
        if name.len() > 256 {
            return Err(CeremonyError::Usage("name longer than 256 bytes".into()));
        }
        let challenge = self.chain_hash();
        let pok = Pok::create(&d, &challenge, "delta", rng);
        let dinv = d.inverse().expect("nonzero");
        let pk = &mut self.pk;
        pk.delta_g1 = (pk.delta_g1 * d).into_affine();
        pk.vk.delta_g2 = (pk.vk.delta_g2 * d).into_affine();
        progress.begin(
            "contributing",
            (pk.h_query.len() + pk.l_query.len()) as u64,
        );
        scale_powers::<G1>(&mut pk.h_query, dinv, Fr::one(), progress);
        scale_powers::<G1>(&mut pk.l_query, dinv, Fr::one(), progress);
        let c = Contribution {
            name: name.to_string(),
            source,
            delta_g1: pk.delta_g1,
            delta_g2: pk.vk.delta_g2,
            pok,
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
        let init = initial_key(&phase1.accumulator, r1cs, progress)?;
        let pk = &self.pk;
        let same = pk.vk.alpha_g1 == init.vk.alpha_g1
            && pk.vk.beta_g2 == init.vk.beta_g2
            && pk.vk.gamma_g2 == init.vk.gamma_g2
            && pk.vk.gamma_abc_g1 == init.vk.gamma_abc_g1
            && pk.beta_g1 == init.beta_g1
            && pk.a_query == init.a_query
            && pk.b_g1_query == init.b_g1_query
            && pk.b_g2_query == init.b_g2_query
            && pk.h_query.len() == init.h_query.len()
            && pk.l_query.len() == init.l_query.len();
        if !same {
            return invalid(
                "the key's α, β, γ, IC, A or B differ from those the circuit and phase 1 \
                 determine (a tampered point, or parameters of another circuit)"
                    .into(),
            );
        }
        let mut prev = (G1A::generator(), G2A::generator());
        let mut h = self.init_hash();
        let mut out = vec![];
        progress.begin("checking contributions", self.contributions.len() as u64);
        for (i, c) in self.contributions.iter().enumerate() {
            let who = format!("contribution #{} ({:?})", i + 1, c.name);
            let fail = |m: &str| Err(CeremonyError::Invalid(format!("{who}: {m}")));
            let Some(sp) = c.pok.verify(&h, "delta") else {
                return fail(
                    "the proof of knowledge of its secret does not verify against the transcript \
                     before it: a wrong proof, or a skipped or reordered step",
                );
            };
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
                let d = nonzero_scalar(&mut beacon_rng(value, *iterations_exp)?);
                if !c.pok.secret_is(&d) {
                    return fail("its secret is not the one its beacon value derives");
                }
            }
            h = c.hash(&h);
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
        progress.begin("checking H and L", 2);
        let g2 = G2A::generator();
        for (what, fin, ini) in [
            ("H", &pk.h_query, &init.h_query),
            ("L", &pk.l_query, &init.l_query),
        ] {
            if fin.is_empty() {
                continue;
            }
            let r = weights(fin.len(), rng);
            let (x, y) = rayon::join(
                || G1::msm_unchecked(fin, &r).into_affine(),
                || G1::msm_unchecked(ini, &r).into_affine(),
            );
            if !same_ratio(x, y, g2, pk.vk.delta_g2) {
                return invalid(format!(
                    "the {what} query is not the initial one divided by δ (a tampered point)"
                ));
            }
            progress.advance(1);
        }
        if pk.delta_g1.is_zero() || pk.vk.delta_g2.is_zero() {
            return invalid("δ is zero".into());
        }
        Ok(out)
    }

    /// The keys for proving (with snarkjs's reduction) and verifying.
    pub fn circuit_params(&self) -> CircuitParams {
        CircuitParams::with_reduction(self.pk.clone(), Reduction::Circom)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.bytes(MAGIC);
        w.u32(VERSION);
        w.u8(self.circuit.id());
        w.bytes(&self.circuit_hash);
        w.bytes(&self.phase1_hash);
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
            contributions,
            pk,
        })
    }
}

/// Both circuits' final keys as a parameter file's [`sero_zk::Parameters`]
/// (not insecure; snarkjs's reduction).
pub fn parameters(output: &Phase2, input: &Phase2) -> Result<sero_zk::Parameters, CeremonyError> {
    if output.circuit != Circuit::Output || input.circuit != Circuit::Input {
        return Err(CeremonyError::Usage(format!(
            "parameters of another circuit: expected the output then the input circuit's \
             transcripts, got {} then {}",
            output.circuit.name(),
            input.circuit.name()
        )));
    }
    if output.phase1_hash != input.phase1_hash {
        return Err(CeremonyError::Usage(
            "the two circuits' transcripts start from different phase 1 transcripts".into(),
        ));
    }
    Ok(sero_zk::Parameters {
        output: output.circuit_params(),
        input: input.circuit_params(),
        insecure: false,
    })
}

