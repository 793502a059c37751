//! Phase 1: Powers of Tau.
//!
//! Transcript file (integers little-endian, points arkworks-uncompressed):
//! ```text
//! magic "SEROPOT1" ‖ u32 version 1 ‖ u32 power n ‖ u32 contributions k
//! k × record:
//!   var name ‖ u8 source (0 participant, 1 beacon) [‖ var value ‖ u8 iterations exp]
//!   τ·G1 ‖ τ·G2 ‖ α·G1 ‖ β·G1 ‖ β·G2            (first powers after it)
//!   proof of knowledge of τ, α, β (each G1 ‖ G1 ‖ G2)
//!   accumulator hash (32)                       (of the state it produced)
//! accumulator: u64 len ‖ τⁱ·G1 (i < 2ⁿ⁺¹−1) ‖ u64 len ‖ τⁱ·G2 (i < 2ⁿ)
//!              ‖ u64 len ‖ α·τⁱ·G1 ‖ u64 len ‖ β·τⁱ·G1 (i < 2ⁿ) ‖ β·G2
//! BLAKE2b-256("SERO_CerP1File__"; everything before)
//! ```
//! The proofs of record `j` are bound to the chain hash `hⱼ`:
//! `h₀ = H("SERO_CerP1Init__"; n)`, `hⱼ₊₁ = H("SERO_CerP1Contr_"; hⱼ ‖ record j)`,
//! and `hⱼ₊₁` is the contribution hash its participant publishes.

use crate::codec::{Reader, Writer};
use crate::pok::Pok;
use crate::{
    beacon_rng, hash, nonzero_scalar, same_ratio, weights, CeremonyError, Fr, Progress, Source, G1,
    G1A, G2, G2A,
};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{Field, One};
use rand_core::{CryptoRng, RngCore};
use rayon::prelude::*;

const MAGIC: &[u8; 8] = b"SEROPOT1";
const VERSION: u32 = 1;
const FILE_TAG: &[u8; 16] = b"SERO_CerP1File__";
/// The largest power accepted (2²⁸ is BN254's two-adicity).
pub const MAX_POWER: u32 = 27;

/// The powers of a phase 1 of power `n`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accumulator {
    pub power: u32,
    /// `τⁱ·G1`, `i < 2ⁿ⁺¹ − 1`.
    pub tau_g1: Vec<G1A>,
    /// `τⁱ·G2`, `i < 2ⁿ`.
    pub tau_g2: Vec<G2A>,
    /// `α·τⁱ·G1`, `i < 2ⁿ`.
    pub alpha_tau_g1: Vec<G1A>,
    /// `β·τⁱ·G1`, `i < 2ⁿ`.
    pub beta_tau_g1: Vec<G1A>,
    pub beta_g2: G2A,
}

/// The first powers of an accumulator, which each record repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FirstPowers {
    pub tau_g1: G1A,
    pub tau_g2: G2A,
    pub alpha_g1: G1A,
    pub beta_g1: G1A,
    pub beta_g2: G2A,
}

impl FirstPowers {
    fn generators() -> Self {
        FirstPowers {
            tau_g1: G1A::generator(),
            tau_g2: G2A::generator(),
            alpha_g1: G1A::generator(),
            beta_g1: G1A::generator(),
            beta_g2: G2A::generator(),
        }
    }
}

fn check_power(power: u32) -> Result<(), CeremonyError> {
    if !(1..=MAX_POWER).contains(&power) {
        return Err(CeremonyError::Usage(format!(
            "power {power}: must be between 1 and {MAX_POWER}"
        )));
    }
    Ok(())
}

impl Accumulator {
    /// The starting point: every power is the generator.
    pub fn new(power: u32) -> Result<Self, CeremonyError> {
        check_power(power)?;
        let n = 1usize << power;
        Ok(Accumulator {
            power,
            tau_g1: vec![G1A::generator(); 2 * n - 1],
            tau_g2: vec![G2A::generator(); n],
            alpha_tau_g1: vec![G1A::generator(); n],
            beta_tau_g1: vec![G1A::generator(); n],
            beta_g2: G2A::generator(),
        })
    }

    pub fn first(&self) -> FirstPowers {
        FirstPowers {
            tau_g1: self.tau_g1[1],
            tau_g2: self.tau_g2[1],
            alpha_g1: self.alpha_tau_g1[0],
            beta_g1: self.beta_tau_g1[0],
            beta_g2: self.beta_g2,
        }
    }

    fn write(&self, w: &mut Writer) {
        w.points(&self.tau_g1);
        w.points(&self.tau_g2);
        w.points(&self.alpha_tau_g1);
        w.points(&self.beta_tau_g1);
        w.point(&self.beta_g2);
    }

    fn read(r: &mut Reader, power: u32) -> Result<Self, CeremonyError> {
        let n = 1usize << power;
        Ok(Accumulator {
            power,
            tau_g1: r.g1s(2 * n - 1, "tau_g1")?,
            tau_g2: r.g2s(n, "tau_g2")?,
            alpha_tau_g1: r.g1s(n, "alpha_tau_g1")?,
            beta_tau_g1: r.g1s(n, "beta_tau_g1")?,
            beta_g2: r.g2("beta_g2")?,
        })
    }

    /// `BLAKE2b-256` of the encoded powers.
    pub fn hash(&self) -> [u8; 32] {
        let mut w = Writer::new();
        w.u32(self.power);
        self.write(&mut w);
        hash(b"SERO_CerP1Accum_", &[&w.0])
    }

    /// Multiplies in secrets `τ`, `α`, `β`.
    fn apply(&mut self, tau: Fr, alpha: Fr, beta: Fr, progress: &dyn Progress) {
        let total = self.tau_g1.len() + self.tau_g2.len() + 2 * self.alpha_tau_g1.len();
        progress.begin("contributing", total as u64);
        scale_powers::<G1>(&mut self.tau_g1, Fr::one(), tau, progress);
        scale_powers::<G2>(&mut self.tau_g2, Fr::one(), tau, progress);
        scale_powers::<G1>(&mut self.alpha_tau_g1, alpha, tau, progress);
        scale_powers::<G1>(&mut self.beta_tau_g1, beta, tau, progress);
        self.beta_g2 = (self.beta_g2 * beta).into_affine();
    }

    /// Checks that the powers are powers: `tau_g1[0]` and `tau_g2[0]` are
    /// the generators, each sequence has ratio `τ` (a random linear
    /// combination of consecutive pairs, one pairing equation each), and
    /// `β·G1`, `β·G2` agree.
    pub fn verify_structure<R: RngCore>(
        &self,
        rng: &mut R,
        progress: &dyn Progress,
    ) -> Result<(), CeremonyError> {
        let fail = |m: &str| Err(CeremonyError::Invalid(format!("accumulator: {m}")));
        if self.tau_g1[0] != G1A::generator() || self.tau_g2[0] != G2A::generator() {
            return fail("τ⁰ is not the generator");
        }
        let t1 = self.tau_g1[1];
        let t2 = self.tau_g2[1];
        if t1.is_zero() || t2.is_zero() || self.alpha_tau_g1[0].is_zero() {
            return fail("a secret is zero");
        }
        if self.beta_tau_g1[0].is_zero() || self.beta_g2.is_zero() {
            return fail("a secret is zero");
        }
        let g1 = G1A::generator();
        let g2 = G2A::generator();
        progress.begin("checking the powers", 5);
        let (x, y) = ratio_pair::<G1>(&self.tau_g1, rng);
        if !same_ratio(x, y, g2, t2) {
            return fail("tau_g1 is not a sequence of powers of τ (a tampered point?)");
        }
        progress.advance(1);
        let (x, y) = ratio_pair::<G2>(&self.tau_g2, rng);
        if !same_ratio(g1, t1, x, y) {
            return fail("tau_g2 is not a sequence of powers of τ (a tampered point?)");
        }
        progress.advance(1);
        let (x, y) = ratio_pair::<G1>(&self.alpha_tau_g1, rng);
        if !same_ratio(x, y, g2, t2) {
            return fail("alpha_tau_g1 is not α times the powers of τ (a tampered point?)");
        }
        progress.advance(1);
        let (x, y) = ratio_pair::<G1>(&self.beta_tau_g1, rng);
        if !same_ratio(x, y, g2, t2) {
            return fail("beta_tau_g1 is not β times the powers of τ (a tampered point?)");
        }
        progress.advance(1);
        if !same_ratio(g1, self.beta_tau_g1[0], g2, self.beta_g2) {
            return fail("β·G1 and β·G2 disagree");
        }
        progress.advance(1);
        Ok(())
    }
}

/// `points[i] *= c·xⁱ`, in parallel chunks.
pub(crate) fn scale_powers<C: crate::Group>(
    points: &mut [C::Affine],
    c: Fr,
    x: Fr,
    progress: &dyn Progress,
) {
    const CHUNK: usize = 1024;
    points
        .par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(ci, chunk)| {
            let mut p = c * x.pow([(ci * CHUNK) as u64]);
            let proj: Vec<C> = chunk
                .iter()
                .map(|pt| {
                    let r = C::times(pt.into_group(), p);
                    p *= x;
                    r
                })
                .collect();
            chunk.copy_from_slice(&C::normalize_batch(&proj));
            progress.advance(chunk.len() as u64);
        });
}

/// `(Σ rᵢ·Pᵢ, Σ rᵢ·Pᵢ₊₁)` for random `rᵢ`: equal ratio `τ` for all pairs
/// unless with probability 2⁻¹²⁸.
fn ratio_pair<C: CurveGroup<ScalarField = Fr>>(
    points: &[C::Affine],
    rng: &mut impl RngCore,
) -> (C::Affine, C::Affine) {
    let n = points.len() - 1;
    let r = weights(n, rng);
    let (x, y) = rayon::join(
        || C::msm_unchecked(&points[..n], &r),
        || C::msm_unchecked(&points[1..], &r),
    );
    (x.into_affine(), y.into_affine())
}

/// One contribution's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contribution {
    /// A public label the participant chose (may be empty).
    pub name: String,
    pub source: Source,
    /// The first powers after this contribution.
    pub after: FirstPowers,
    pub pok_tau: Pok,
    pub pok_alpha: Pok,
    pub pok_beta: Pok,
    /// [`Accumulator::hash`] of the state this contribution produced.
    pub accumulator_hash: [u8; 32],
}

pub(crate) fn write_source(w: &mut Writer, s: &Source) {
    match s {
        Source::Participant => w.u8(0),
        Source::Beacon {
            value,
            iterations_exp,
        } => {
            w.u8(1);
            w.var(value);
            w.u8(*iterations_exp);
        }
        Source::Imported { file_hash } => {
            w.u8(2);
            w.bytes(file_hash);
        }
    }
}

pub(crate) fn read_source(r: &mut Reader) -> Result<Source, CeremonyError> {
    match r.u8("source")? {
        0 => Ok(Source::Participant),
        1 => Ok(Source::Beacon {
            value: r.var(1024, "beacon value")?.to_vec(),
            iterations_exp: r.u8("beacon iterations")?,
        }),
        2 => Ok(Source::Imported {
            file_hash: r.array32("imported file hash")?,
        }),
        s => Err(CeremonyError::Format(format!("unknown source {s}"))),
    }
}

pub(crate) fn read_name(r: &mut Reader) -> Result<String, CeremonyError> {
    String::from_utf8(r.var(256, "name")?.to_vec())
        .map_err(|_| CeremonyError::Format("name is not UTF-8".into()))
}

impl Contribution {
    fn write(&self, w: &mut Writer) {
        w.var(self.name.as_bytes());
        write_source(w, &self.source);
        w.point(&self.after.tau_g1);
        w.point(&self.after.tau_g2);
        w.point(&self.after.alpha_g1);
        w.point(&self.after.beta_g1);
        w.point(&self.after.beta_g2);
        self.pok_tau.write(w);
        self.pok_alpha.write(w);
        self.pok_beta.write(w);
        w.bytes(&self.accumulator_hash);
    }

    fn read(r: &mut Reader) -> Result<Self, CeremonyError> {
        Ok(Contribution {
            name: read_name(r)?,
            source: read_source(r)?,
            after: FirstPowers {
                tau_g1: r.g1("record tau_g1")?,
                tau_g2: r.g2("record tau_g2")?,
                alpha_g1: r.g1("record alpha_g1")?,
                beta_g1: r.g1("record beta_g1")?,
                beta_g2: r.g2("record beta_g2")?,
            },
            pok_tau: Pok::read(r, "proof of knowledge")?,
            pok_alpha: Pok::read(r, "proof of knowledge")?,
            pok_beta: Pok::read(r, "proof of knowledge")?,
            accumulator_hash: r.array32("accumulator hash")?,
        })
    }

    /// The chain hash after this record, given the one before it.
    pub fn hash(&self, prev: &[u8; 32]) -> [u8; 32] {
        let mut w = Writer::new();
        self.write(&mut w);
        hash(b"SERO_CerP1Contr_", &[prev, &w.0])
    }
}

/// A phase 1 transcript: the current powers and every contribution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phase1 {
    pub accumulator: Accumulator,
    pub contributions: Vec<Contribution>,
}

/// One verified contribution: its position, name, source and hash.
#[derive(Clone, Debug)]
pub struct Verified {
    pub index: usize,
    pub name: String,
    pub source: Source,
    pub hash: [u8; 32],
}

fn secrets<R: RngCore>(rng: &mut R) -> [Fr; 3] {
    [
        nonzero_scalar(rng),
        nonzero_scalar(rng),
        nonzero_scalar(rng),
    ]
}

impl Phase1 {
    /// A fresh ceremony of power `n` (circuits up to `2ⁿ⁻¹` constraints and
    /// inputs with snarkjs's reduction).
    pub fn new(power: u32) -> Result<Self, CeremonyError> {
        Ok(Phase1 {
            accumulator: Accumulator::new(power)?,
            contributions: vec![],
        })
    }

    /// A phase 1 that starts from the powers of a snarkjs `.ptau` file
    /// (truncated to `power`): its first record names the file by hash; its
    /// own contributions are for `snarkjs powersoftau verify` to check.
    pub fn import_ptau(ptau: &[u8], power: u32) -> Result<Self, CeremonyError> {
        check_power(power)?;
        let accumulator = crate::snarkjs::read_ptau(ptau, power)?;
        let file_hash = hash(b"SERO_CerPtauFile", &[ptau]);
        let g1 = G1A::generator();
        let none = Pok {
            g1_s: g1,
            g1_sx: g1,
            g2_spx: G2A::generator(),
        };
        let c = Contribution {
            name: "imported snarkjs Powers of Tau".into(),
            source: Source::Imported { file_hash },
            after: accumulator.first(),
            pok_tau: none,
            pok_alpha: none,
            pok_beta: none,
            accumulator_hash: accumulator.hash(),
        };
        Ok(Phase1 {
            accumulator,
            contributions: vec![c],
        })
    }

    pub fn power(&self) -> u32 {
        self.accumulator.power
    }

    fn init_hash(power: u32) -> [u8; 32] {
        hash(b"SERO_CerP1Init__", &[&power.to_le_bytes()])
    }

    /// The chain hash after every contribution: the next contribution's
    /// challenge, and (after the last) the transcript's identity.
    pub fn chain_hash(&self) -> [u8; 32] {
        self.contributions
            .iter()
            .fold(Self::init_hash(self.power()), |h, c| c.hash(&h))
    }

    /// Contributes fresh secrets from `rng`; returns the contribution hash
    /// to publish. The secrets are dropped when this returns.
    pub fn contribute<R: RngCore + CryptoRng>(
        &mut self,
        name: &str,
        rng: &mut R,
        progress: &dyn Progress,
    ) -> Result<[u8; 32], CeremonyError> {
        let s = secrets(rng);
        self.apply(name, Source::Participant, s, rng, progress)
    }

    /// Contributes the secrets of a public beacon (`value` hashed
    /// `2^iterations_exp` times): anyone can recompute them, so this step
    /// only makes the final powers unpredictable to the participants.
    pub fn beacon(
        &mut self,
        value: &[u8],
        iterations_exp: u8,
        progress: &dyn Progress,
    ) -> Result<[u8; 32], CeremonyError> {
        let mut rng = beacon_rng(value, iterations_exp)?;
        let s = secrets(&mut rng);
        let source = Source::Beacon {
            value: value.to_vec(),
            iterations_exp,
        };
        self.apply("beacon", source, s, &mut rng, progress)
    }

    fn apply<R: RngCore>(
        &mut self,
        name: &str,
        source: Source,
        [tau, alpha, beta]: [Fr; 3],
        rng: &mut R,
        progress: &dyn Progress,
    ) -> Result<[u8; 32], CeremonyError> {
        if name.len() > 256 {
            return Err(CeremonyError::Usage("name longer than 256 bytes".into()));
        }
        let challenge = self.chain_hash();
        let pok_tau = Pok::create(&tau, &challenge, "tau", rng);
        let pok_alpha = Pok::create(&alpha, &challenge, "alpha", rng);
        let pok_beta = Pok::create(&beta, &challenge, "beta", rng);
        self.accumulator.apply(tau, alpha, beta, progress);
        let c = Contribution {
            name: name.to_string(),
            source,
            after: self.accumulator.first(),
            pok_tau,
            pok_alpha,
            pok_beta,
            accumulator_hash: self.accumulator.hash(),
        };
        let h = c.hash(&challenge);
        self.contributions.push(c);
        Ok(h)
    }

    /// Verifies the whole transcript: every record's proofs of knowledge
    /// against the transcript before it and its first powers against the
    /// previous record's, beacons against their public value, then the
    /// final powers against the last record and their structure.
    pub fn verify<R: RngCore>(
        &self,
        rng: &mut R,
        progress: &dyn Progress,
    ) -> Result<Vec<Verified>, CeremonyError> {
        let mut prev = FirstPowers::generators();
        let mut h = Self::init_hash(self.power());
        let mut out = vec![];
        progress.begin("checking contributions", self.contributions.len() as u64);
        for (i, c) in self.contributions.iter().enumerate() {
            let who = format!("contribution #{} ({:?})", i + 1, c.name);
            let fail = |m: String| Err(CeremonyError::Invalid(format!("{who}: {m}")));
            if let Source::Imported { .. } = c.source {
                if i != 0 {
                    return fail("an imported Powers of Tau can only be the first step".into());
                }
                h = c.hash(&h);
                prev = c.after;
                out.push(Verified {
                    index: i + 1,
                    name: c.name.clone(),
                    source: c.source.clone(),
                    hash: h,
                });
                progress.advance(1);
                continue;
            }
            let mut sp = vec![];
            for (pok, label) in [
                (&c.pok_tau, "tau"),
                (&c.pok_alpha, "alpha"),
                (&c.pok_beta, "beta"),
            ] {
                match pok.verify(&h, label) {
                    Some(p) => sp.push(p),
                    None => {
                        return fail(format!(
                            "the proof of knowledge of {label} does not verify against the \
                             transcript before it: a wrong proof, or a skipped or reordered step"
                        ))
                    }
                }
            }
            let a = &c.after;
            let step = "is not the previous value times the proven secret (a skipped or \
                        reordered step, or a tampered point)";
            if !same_ratio(prev.tau_g1, a.tau_g1, sp[0], c.pok_tau.g2_spx) {
                return fail(format!("τ·G1 {step}"));
            }
            if !same_ratio(c.pok_tau.g1_s, c.pok_tau.g1_sx, prev.tau_g2, a.tau_g2) {
                return fail(format!("τ·G2 {step}"));
            }
            if !same_ratio(prev.alpha_g1, a.alpha_g1, sp[1], c.pok_alpha.g2_spx) {
                return fail(format!("α·G1 {step}"));
            }
            if !same_ratio(prev.beta_g1, a.beta_g1, sp[2], c.pok_beta.g2_spx) {
                return fail(format!("β·G1 {step}"));
            }
            if !same_ratio(c.pok_beta.g1_s, c.pok_beta.g1_sx, prev.beta_g2, a.beta_g2) {
                return fail(format!("β·G2 {step}"));
            }
            if let Source::Beacon {
                value,
                iterations_exp,
            } = &c.source
            {
                let s = secrets(&mut beacon_rng(value, *iterations_exp)?);
                if !(c.pok_tau.secret_is(&s[0])
                    && c.pok_alpha.secret_is(&s[1])
                    && c.pok_beta.secret_is(&s[2]))
                {
                    return fail("its secrets are not the ones its beacon value derives".into());
                }
            }
            h = c.hash(&h);
            prev = c.after;
            out.push(Verified {
                index: i + 1,
                name: c.name.clone(),
                source: c.source.clone(),
                hash: h,
            });
            progress.advance(1);
        }
        if self.accumulator.first() != prev {
            return Err(CeremonyError::Invalid(
                "the powers do not start with the last contribution's first powers (a \
                 tampered accumulator or a dropped last contribution)"
                    .into(),
            ));
        }
        if let Some(last) = self.contributions.last() {
            if last.accumulator_hash != self.accumulator.hash() {
                return Err(CeremonyError::Invalid(
                    "the powers differ from the state the last contribution recorded: the \
                     accumulator was altered after it (a tampered point)"
                        .into(),
                ));
            }
        }
        self.accumulator.verify_structure(rng, progress)?;
        Ok(out)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.bytes(MAGIC);
        w.u32(VERSION);
        w.u32(self.power());
        w.u32(self.contributions.len() as u32);
        for c in &self.contributions {
            c.write(&mut w);
        }
        self.accumulator.write(&mut w);
        w.finish(FILE_TAG)
    }

    /// Decodes a transcript (points checked on the curve and in the
    /// subgroup; nothing else verified: see [`Phase1::verify`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CeremonyError> {
        let mut r = Reader::open(bytes, MAGIC, VERSION, FILE_TAG, "phase 1 transcript")?;
        let power = r.u32("power")?;
        check_power(power).map_err(|e| CeremonyError::Format(e.to_string()))?;
        let k = r.u32("contribution count")?;
        let mut contributions = vec![];
        for _ in 0..k {
            contributions.push(Contribution::read(&mut r)?);
        }
        let accumulator = Accumulator::read(&mut r, power)?;
        r.done()?;
        Ok(Phase1 {
            accumulator,
            contributions,
        })
    }
}
