//! The file formats of snarkjs/circom (iden3 "binfile": a 4-byte type,
//! `LE32` version, `LE32` section count, then sections `LE32 id ‖ LE64 size
//! ‖ data`), as read and written by hand from snarkjs's source:
//!
//! * `.r1cs` (write): our circuits' constraint systems, so that snarkjs can
//!   build and check keys for them. Wire 0 is the constant one, then the
//!   public inputs, then the witness, as in arkworks; coefficients in
//!   standard form.
//! * `.ptau` (read and write): a Powers of Tau of snarkjs (sections 1
//!   header, 2 τⁱ·G1, 3 τⁱ·G2, 4 α·τⁱ·G1, 5 β·τⁱ·G1, 6 β·G2; written also
//!   with 7, no contributions, and the prepared Lagrange sections 12–15), to
//!   be our phase 1 ([`crate::Phase1::import_ptau`]) or to give snarkjs our
//!   phase 1's powers ([`ptau_bytes`]).
//! * `.zkey` (read and write): a Groth16 proving key of snarkjs (sections 2
//!   header and α, β, γ, δ; 3 IC; 4 the coefficients of `A` and `B`; 5 A;
//!   6 B in G1; 7 B in G2; 8 C = our L; 9 H; 10 the MPC contributions), so
//!   `snarkjs zkey verify` checks our phase 2 ([`zkey_bytes`]) and we check
//!   snarkjs's ([`verify_zkey`]).
//!
//! Points are in snarkjs's "LEM" encoding: coordinates in Montgomery form,
//! little-endian, x then y (G2: x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1), the identity as
//! all zeros.

use crate::{CeremonyError, Fr, G1A, G2A};
use ark_bn254::{Bn254, Fq, Fq2};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{BigInteger, BigInteger256, Field, One, PrimeField, Zero};
use ark_groth16::{ProvingKey, VerifyingKey};
use rayon::prelude::*;
use sero_zk::qap::R1csMatrices;
use std::collections::BTreeMap;

fn bad(m: impl Into<String>) -> CeremonyError {
    CeremonyError::Format(m.into())
}

/// A binfile's sections by id (the last of each id).
struct BinFile<'a> {
    sections: BTreeMap<u32, &'a [u8]>,
}

impl<'a> BinFile<'a> {
    fn parse(bytes: &'a [u8], kind: &[u8; 4], what: &str) -> Result<Self, CeremonyError> {
        if bytes.len() < 12 || &bytes[..4] != kind {
            return Err(bad(format!("not a {what} file (bad magic)")));
        }
        let n = u32::from_le_bytes(bytes[8..12].try_into().expect("4")) as usize;
        let mut pos = 12;
        let mut sections = BTreeMap::new();
        for _ in 0..n {
            if bytes.len() - pos < 12 {
                return Err(bad(format!("{what}: truncated section header")));
            }
            let id = u32::from_le_bytes(bytes[pos..pos + 4].try_into().expect("4"));
            let size = u64::from_le_bytes(bytes[pos + 4..pos + 12].try_into().expect("8"));
            pos += 12;
            let size = usize::try_from(size).map_err(|_| bad("section too large"))?;
            if bytes.len() - pos < size {
                return Err(bad(format!("{what}: section {id} truncated")));
            }
            sections.insert(id, &bytes[pos..pos + size]);
            pos += size;
        }
        Ok(BinFile { sections })
    }

    fn section(&self, id: u32, what: &str) -> Result<&'a [u8], CeremonyError> {
        self.sections
            .get(&id)
            .copied()
            .ok_or_else(|| bad(format!("{what}: section {id} missing")))
    }
}

fn fq_lem(b: &[u8]) -> Result<Fq, CeremonyError> {
    let limbs: [u64; 4] =
        std::array::from_fn(|i| u64::from_le_bytes(b[8 * i..8 * i + 8].try_into().expect("8")));
    let big = BigInteger256::new(limbs);
    if big >= Fq::MODULUS {
        return Err(bad("coordinate not below the field modulus"));
    }
    Ok(Fq::new_unchecked(big))
}

fn fq_to_lem(x: &Fq, out: &mut Vec<u8>) {
    // `Fq` stores its Montgomery form.
    out.extend_from_slice(&x.0.to_bytes_le());
}

/// Decodes a G1 point in LEM (checked on the curve).
pub fn g1_lem(b: &[u8]) -> Result<G1A, CeremonyError> {
    let (x, y) = (fq_lem(&b[..32])?, fq_lem(&b[32..64])?);
    if x.is_zero() && y.is_zero() {
        return Ok(G1A::zero());
    }
    let p = G1A::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(bad("G1 point not on the curve"));
    }
    Ok(p)
}

/// Decodes a G2 point in LEM (checked on the curve and in the subgroup).
pub fn g2_lem(b: &[u8]) -> Result<G2A, CeremonyError> {
    let x = Fq2::new(fq_lem(&b[..32])?, fq_lem(&b[32..64])?);
    let y = Fq2::new(fq_lem(&b[64..96])?, fq_lem(&b[96..128])?);
    if x.is_zero() && y.is_zero() {
        return Ok(G2A::zero());
    }
    let p = G2A::new_unchecked(x, y);
    if !p.is_on_curve() || !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(bad("G2 point not on the curve or not in the subgroup"));
    }
    Ok(p)
}

/// Encodes a G1 point in LEM.
pub fn g1_to_lem(p: &G1A, out: &mut Vec<u8>) {
    match p.xy() {
        Some((x, y)) => {
            fq_to_lem(&x, out);
            fq_to_lem(&y, out);
        }
        None => out.extend_from_slice(&[0; 64]),
    }
}

fn g1s(b: &[u8], n: usize, what: &str) -> Result<Vec<G1A>, CeremonyError> {
    if b.len() < 64 * n {
        return Err(bad(format!(
            "{what}: {} bytes, expected {}",
            b.len(),
            64 * n
        )));
    }
    b[..64 * n]
        .par_chunks(64)
        .map(g1_lem)
        .collect::<Result<_, _>>()
        .map_err(|e| bad(format!("{what}: {e}")))
}

fn g2s(b: &[u8], n: usize, what: &str) -> Result<Vec<G2A>, CeremonyError> {
    if b.len() < 128 * n {
        return Err(bad(format!(
            "{what}: {} bytes, expected {}",
            b.len(),
            128 * n
        )));
    }
    b[..128 * n]
        .par_chunks(128)
        .map(g2_lem)
        .collect::<Result<_, _>>()
        .map_err(|e| bad(format!("{what}: {e}")))
}

fn u32_at(b: &[u8], pos: usize, what: &str) -> Result<u32, CeremonyError> {
    b.get(pos..pos + 4)
        .map(|s| u32::from_le_bytes(s.try_into().expect("4")))
        .ok_or_else(|| bad(format!("{what}: header too short")))
}

fn check_prime(b: &[u8], pos: usize, modulus: &[u8], what: &str) -> Result<usize, CeremonyError> {
    let n8 = u32_at(b, pos, what)? as usize;
    if n8 != 32 || b.get(pos + 4..pos + 36) != Some(modulus) {
        return Err(bad(format!("{what}: not over BN254")));
    }
    Ok(pos + 36)
}

/// The `.r1cs` file of a constraint system.
pub fn r1cs_bytes(r1cs: &R1csMatrices) -> Vec<u8> {
    let mut header = vec![];
    header.extend_from_slice(&32u32.to_le_bytes());
    header.extend_from_slice(&Fr::MODULUS.to_bytes_le());
    header.extend_from_slice(&(r1cs.num_variables() as u32).to_le_bytes()); // wires
    header.extend_from_slice(&0u32.to_le_bytes()); // public outputs
    header.extend_from_slice(&((r1cs.num_instance - 1) as u32).to_le_bytes()); // public inputs
    header.extend_from_slice(&0u32.to_le_bytes()); // private inputs
    header.extend_from_slice(&(r1cs.num_variables() as u64).to_le_bytes()); // labels
    header.extend_from_slice(&(r1cs.num_constraints as u32).to_le_bytes());
    let mut cons = vec![];
    for row in 0..r1cs.num_constraints {
        for m in &r1cs.matrices {
            let terms = &m[row];
            cons.extend_from_slice(&(terms.len() as u32).to_le_bytes());
            let mut sorted: Vec<_> = terms.iter().collect();
            sorted.sort_by_key(|(_, v)| *v);
            for (c, v) in sorted {
                cons.extend_from_slice(&(*v as u32).to_le_bytes());
                cons.extend_from_slice(&c.into_bigint().to_bytes_le());
            }
        }
    }
    let mut labels = vec![];
    for i in 0..r1cs.num_variables() as u64 {
        labels.extend_from_slice(&i.to_le_bytes());
    }
    let mut out = b"r1cs".to_vec();
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&3u32.to_le_bytes());
    for (id, s) in [(1u32, header), (2, cons), (3, labels)] {
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        out.extend_from_slice(&s);
    }
    out
}

/// The powers of a snarkjs `.ptau`, truncated to `power` (at most the
/// file's): `(τⁱ·G1, τⁱ·G2, α·τⁱ·G1, β·τⁱ·G1, β·G2)`.
pub fn read_ptau(bytes: &[u8], power: u32) -> Result<crate::Accumulator, CeremonyError> {
    let f = BinFile::parse(bytes, b"ptau", "ptau")?;
    let h = f.section(1, "ptau")?;
    let pos = check_prime(h, 0, &Fq::MODULUS.to_bytes_le(), "ptau")?;
    let file_power = u32_at(h, pos, "ptau")?;
    if power > file_power || power == 0 {
        return Err(CeremonyError::Usage(format!(
            "this ptau has power {file_power}; asked for {power}"
        )));
    }
    let n = 1usize << power;
    Ok(crate::Accumulator {
        power,
        tau_g1: g1s(f.section(2, "ptau")?, 2 * n - 1, "ptau tauG1")?,
        tau_g2: g2s(f.section(3, "ptau")?, n, "ptau tauG2")?,
        alpha_tau_g1: g1s(f.section(4, "ptau")?, n, "ptau alphaTauG1")?,
        beta_tau_g1: g1s(f.section(5, "ptau")?, n, "ptau betaTauG1")?,
        beta_g2: g2s(f.section(6, "ptau")?, 1, "ptau betaG2")?[0],
    })
}

/// A Groth16 proving key from a snarkjs `.zkey`.
pub fn read_zkey(bytes: &[u8]) -> Result<ProvingKey<Bn254>, CeremonyError> {
    let f = BinFile::parse(bytes, b"zkey", "zkey")?;
    let s1 = f.section(1, "zkey")?;
    if u32_at(s1, 0, "zkey")? != 1 {
        return Err(bad("zkey: not a Groth16 key"));
    }
    let h = f.section(2, "zkey")?;
    let pos = check_prime(h, 0, &Fq::MODULUS.to_bytes_le(), "zkey")?;
    let pos = check_prime(h, pos, &Fr::MODULUS.to_bytes_le(), "zkey")?;
    let n_vars = u32_at(h, pos, "zkey")? as usize;
    let n_public = u32_at(h, pos + 4, "zkey")? as usize;
    let domain = u32_at(h, pos + 8, "zkey")? as usize;
    if n_public + 1 > n_vars || domain == 0 || !domain.is_power_of_two() {
        return Err(bad("zkey: inconsistent sizes"));
    }
    let p = pos + 12;
    let pts = h
        .get(p..p + 64 * 3 + 128 * 3)
        .ok_or_else(|| bad("zkey: header too short"))?;
    let alpha_g1 = g1_lem(&pts[0..64])?;
    let beta_g1 = g1_lem(&pts[64..128])?;
    let beta_g2 = g2_lem(&pts[128..256])?;
    let gamma_g2 = g2_lem(&pts[256..384])?;
    let delta_g1 = g1_lem(&pts[384..448])?;
    let delta_g2 = g2_lem(&pts[448..576])?;
    Ok(ProvingKey {
        vk: VerifyingKey {
            alpha_g1,
            beta_g2,
            gamma_g2,
            delta_g2,
            gamma_abc_g1: g1s(f.section(3, "zkey")?, n_public + 1, "zkey IC")?,
        },
        beta_g1,
        delta_g1,
        a_query: g1s(f.section(5, "zkey")?, n_vars, "zkey A")?,
        b_g1_query: g1s(f.section(6, "zkey")?, n_vars, "zkey B1")?,
        b_g2_query: g2s(f.section(7, "zkey")?, n_vars, "zkey B2")?,
        h_query: g1s(f.section(9, "zkey")?, domain, "zkey H")?,
        l_query: g1s(f.section(8, "zkey")?, n_vars - n_public - 1, "zkey C")?,
    })
}

fn dec(x: &Fq) -> String {
    x.into_bigint().to_string()
}

fn g1_json(p: &G1A) -> String {
    match p.xy() {
        Some((x, y)) => format!("[\"{}\",\"{}\",\"1\"]", dec(&x), dec(&y)),
        None => "[\"0\",\"1\",\"0\"]".into(),
    }
}

fn g2_json(p: &G2A) -> String {
    match p.xy() {
        Some((x, y)) => format!(
            "[[\"{}\",\"{}\"],[\"{}\",\"{}\"],[\"1\",\"0\"]]",
            dec(&x.c0),
            dec(&x.c1),
            dec(&y.c0),
            dec(&y.c1)
        ),
        None => "[[\"0\",\"0\"],[\"1\",\"0\"],[\"0\",\"0\"]]".into(),
    }
}

/// A verifying key as snarkjs's `verification_key.json` (for `snarkjs
/// groth16 verify`).
pub fn vk_json(vk: &VerifyingKey<Bn254>) -> String {
    let ic: Vec<String> = vk.gamma_abc_g1.iter().map(g1_json).collect();
    format!(
        "{{\"protocol\":\"groth16\",\"curve\":\"bn128\",\"nPublic\":{},\"vk_alpha_1\":{},\
         \"vk_beta_2\":{},\"vk_gamma_2\":{},\"vk_delta_2\":{},\"IC\":[{}]}}",
        vk.gamma_abc_g1.len() - 1,
        g1_json(&vk.alpha_g1),
        g2_json(&vk.beta_g2),
        g2_json(&vk.gamma_g2),
        g2_json(&vk.delta_g2),
        ic.join(",")
    )
}

/// A proof as snarkjs's `proof.json`.
pub fn proof_json(p: &ark_groth16::Proof<Bn254>) -> String {
    format!(
        "{{\"protocol\":\"groth16\",\"curve\":\"bn128\",\"pi_a\":{},\"pi_b\":{},\"pi_c\":{}}}",
        g1_json(&p.a),
        g2_json(&p.b),
        g1_json(&p.c)
    )
}

/// Public inputs as snarkjs's `public.json`.
pub fn public_json(public: &[Fr]) -> String {
    let v: Vec<String> = public
        .iter()
        .map(|x| format!("\"{}\"", x.into_bigint()))
        .collect();
    format!("[{}]", v.join(","))
}

fn g2_to_lem(p: &G2A, out: &mut Vec<u8>) {
    match p.xy() {
        Some((x, y)) => {
            for c in [x.c0, x.c1, y.c0, y.c1] {
                fq_to_lem(&c, out);
            }
        }
        None => out.extend_from_slice(&[0; 128]),
    }
}

/// A zkey's section 4, the coefficients of `A` and `B` for snarkjs's
/// prover: `u32` count, then per term `u32` matrix (0 `A`, 1 `B`) ‖ `u32`
/// constraint ‖ `u32` signal ‖ the coefficient times `R²` (`R = 2²⁵⁶ mod
/// r`) little-endian, in the order snarkjs's `zkey new` reads them from our
/// `.r1cs` ([`r1cs_bytes`]), then `A`'s extra constraints `1·x_s` for the
/// constant and each public input.
fn coeffs_section(r1cs: &R1csMatrices) -> Vec<u8> {
    let r2 = Fr::from(2u64).pow([512]);
    let mut terms: Vec<(u32, u32, u32, Fr)> = vec![];
    for row in 0..r1cs.num_constraints {
        for (mi, m) in r1cs.matrices.iter().take(2).enumerate() {
            let mut sorted: Vec<_> = m[row].iter().collect();
            sorted.sort_by_key(|(_, v)| *v);
            for (c, v) in sorted {
                terms.push((mi as u32, row as u32, *v as u32, *c));
            }
        }
    }
    for s in 0..r1cs.num_instance {
        terms.push((0, (r1cs.num_constraints + s) as u32, s as u32, Fr::one()));
    }
    let mut out = Vec::with_capacity(4 + terms.len() * 44);
    out.extend_from_slice(&(terms.len() as u32).to_le_bytes());
    for (m, c, s, v) in terms {
        out.extend_from_slice(&m.to_le_bytes());
        out.extend_from_slice(&c.to_le_bytes());
        out.extend_from_slice(&s.to_le_bytes());
        out.extend_from_slice(&(v * r2).into_bigint().to_bytes_le());
    }
    out
}

fn binfile(kind: &[u8; 4], sections: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = kind.to_vec();
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&(sections.len() as u32).to_le_bytes());
    for (id, s) in sections {
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        out.extend_from_slice(s);
    }
    out
}

/// A phase 2 transcript as a snarkjs `.zkey`: the key (sections 1–9, as
/// `zkey new` lays them out) and the contributions in snarkjs's MPC section
/// 10, so that `snarkjs zkey verify CIRCUIT.r1cs PHASE1.ptau FILE.zkey`
/// checks the whole phase 2 and snarkjs's prover can use the key. `r1cs` is
/// the transcript's circuit.
pub fn zkey_bytes(p2: &crate::Phase2, r1cs: &R1csMatrices) -> Result<Vec<u8>, CeremonyError> {
    if r1cs.hash() != p2.circuit_hash {
        return Err(CeremonyError::Invalid(
            "parameters of another circuit: the constraint system is not the transcript's".into(),
        ));
    }
    let pk = &p2.pk;
    let n_public = pk.vk.gamma_abc_g1.len() - 1;
    let mut h = vec![];
    for (n8, m) in [
        (32u32, Fq::MODULUS.to_bytes_le()),
        (32, Fr::MODULUS.to_bytes_le()),
    ] {
        h.extend_from_slice(&n8.to_le_bytes());
        h.extend_from_slice(&m);
    }
    for v in [pk.a_query.len(), n_public, pk.h_query.len()] {
        h.extend_from_slice(&(v as u32).to_le_bytes());
    }
    g1_to_lem(&pk.vk.alpha_g1, &mut h);
    g1_to_lem(&pk.beta_g1, &mut h);
    g2_to_lem(&pk.vk.beta_g2, &mut h);
    g2_to_lem(&pk.vk.gamma_g2, &mut h);
    g1_to_lem(&pk.delta_g1, &mut h);
    g2_to_lem(&pk.vk.delta_g2, &mut h);
    let g1_sec = |pts: &[G1A]| {
        let mut v = Vec::with_capacity(64 * pts.len());
        pts.iter().for_each(|p| g1_to_lem(p, &mut v));
        v
    };
    let mut b2 = Vec::with_capacity(128 * pk.b_g2_query.len());
    pk.b_g2_query.iter().for_each(|p| g2_to_lem(p, &mut b2));
    let mut mpc = p2.cs_hash.to_vec();
    mpc.extend_from_slice(&(p2.contributions.len() as u32).to_le_bytes());
    for c in &p2.contributions {
        g1_to_lem(&c.delta_g1, &mut mpc);
        g1_to_lem(&c.pok.g1_s, &mut mpc);
        g1_to_lem(&c.pok.g1_sx, &mut mpc);
        g2_to_lem(&c.pok.g2_spx, &mut mpc);
        mpc.extend_from_slice(&c.transcript);
        let mut params = vec![];
        if !c.name.is_empty() {
            // snarkjs keeps at most 64 characters; cut on a UTF-8 boundary.
            let mut end = c.name.len().min(64);
            while !c.name.is_char_boundary(end) {
                end -= 1;
            }
            params.push(1u8);
            params.push(end as u8);
            params.extend_from_slice(&c.name.as_bytes()[..end]);
        }
        let kind = match &c.source {
            crate::Source::Beacon {
                value,
                iterations_exp,
            } => {
                params.extend_from_slice(&[2, *iterations_exp, 3, value.len() as u8]);
                params.extend_from_slice(value);
                1u32
            }
            _ => 0,
        };
        mpc.extend_from_slice(&kind.to_le_bytes());
        mpc.extend_from_slice(&(params.len() as u32).to_le_bytes());
        mpc.extend_from_slice(&params);
    }
    Ok(binfile(
        b"zkey",
        &[
            (1, 1u32.to_le_bytes().to_vec()),
            (2, h),
            (3, g1_sec(&pk.vk.gamma_abc_g1)),
            (4, coeffs_section(r1cs)),
            (5, g1_sec(&pk.a_query)),
            (6, g1_sec(&pk.b_g1_query)),
            (7, b2),
            (8, g1_sec(&pk.l_query)),
            (9, g1_sec(&pk.h_query)),
            (10, mpc),
        ],
    ))
}

/// One contribution of a snarkjs `.zkey`'s MPC section.
#[derive(Clone, Debug)]
pub struct ZkeyContribution {
    pub delta_after: G1A,
    pub g1_s: G1A,
    pub g1_sx: G1A,
    pub g2_spx: G2A,
    pub transcript: [u8; 64],
    pub name: String,
    /// `(value, iterations exponent)` of a beacon.
    pub beacon: Option<(Vec<u8>, u8)>,
}

/// The circuit hash and contributions of a `.zkey` (section 10).
pub fn read_zkey_mpc(bytes: &[u8]) -> Result<([u8; 64], Vec<ZkeyContribution>), CeremonyError> {
    let f = BinFile::parse(bytes, b"zkey", "zkey")?;
    let s = f.section(10, "zkey")?;
    let take = |pos: &mut usize, n: usize| -> Result<&[u8], CeremonyError> {
        let v = s
            .get(*pos..*pos + n)
            .ok_or_else(|| bad("zkey: MPC section truncated"))?;
        *pos += n;
        Ok(v)
    };
    let mut pos = 0;
    let cs_hash: [u8; 64] = take(&mut pos, 64)?.try_into().expect("64");
    let k = u32::from_le_bytes(take(&mut pos, 4)?.try_into().expect("4"));
    let mut out = vec![];
    for _ in 0..k {
        let delta_after = g1_lem(take(&mut pos, 64)?)?;
        let g1_s = g1_lem(take(&mut pos, 64)?)?;
        let g1_sx = g1_lem(take(&mut pos, 64)?)?;
        let g2_spx = g2_lem(take(&mut pos, 128)?)?;
        let transcript: [u8; 64] = take(&mut pos, 64)?.try_into().expect("64");
        let kind = u32::from_le_bytes(take(&mut pos, 4)?.try_into().expect("4"));
        let len = u32::from_le_bytes(take(&mut pos, 4)?.try_into().expect("4")) as usize;
        let p = take(&mut pos, len)?;
        let (mut name, mut exp, mut value) = (String::new(), None, None);
        let mut i = 0;
        let mut last = 0u8;
        while i < p.len() {
            let t = p[i];
            if t <= last {
                return Err(bad("zkey: contribution parameters not sorted"));
            }
            last = t;
            let n = *p
                .get(i + 1)
                .ok_or_else(|| bad("zkey: parameter truncated"))? as usize;
            match t {
                1 | 3 => {
                    let v = p
                        .get(i + 2..i + 2 + n)
                        .ok_or_else(|| bad("zkey: parameter truncated"))?;
                    if t == 1 {
                        name = String::from_utf8_lossy(v).into_owned();
                    } else {
                        value = Some(v.to_vec());
                    }
                    i += 2 + n;
                }
                2 => {
                    exp = Some(n as u8);
                    i += 2;
                }
                _ => return Err(bad(format!("zkey: unknown contribution parameter {t}"))),
            }
        }
        let beacon = match (kind, value, exp) {
            (0, _, _) => None,
            (1, Some(v), Some(e)) => Some((v, e)),
            _ => return Err(bad("zkey: a beacon contribution without its parameters")),
        };
        out.push(ZkeyContribution {
            delta_after,
            g1_s,
            g1_sx,
            g2_spx,
            transcript,
            name,
            beacon,
        });
    }
    if pos != s.len() {
        return Err(bad("zkey: trailing bytes in the MPC section"));
    }
    Ok((cs_hash, out))
}

/// Verifies a snarkjs phase 2 (`.zkey`) for `r1cs` on `phase1` as `snarkjs
/// zkey verify` does: the circuit hash of the initial key recomputed from
/// phase 1, every contribution's transcript hash, proof of knowledge and
/// `δ` step (and a beacon's secret), the key's `δ` the last one, and the key
/// itself (`A`, `B`, `IC` the initial ones, `L` and `H` divided by `δ`).
/// Returns the contributions and the key.
pub fn verify_zkey<R: rand_core::RngCore>(
    bytes: &[u8],
    phase1: &crate::Phase1,
    r1cs: &R1csMatrices,
    rng: &mut R,
    progress: &dyn crate::Progress,
) -> Result<(Vec<ZkeyContribution>, ProvingKey<Bn254>), CeremonyError> {
    let invalid = |m: String| Err(CeremonyError::Invalid(m));
    let pk = read_zkey(bytes)?;
    let (cs_hash, contributions) = read_zkey_mpc(bytes)?;
    let init = crate::phase2::initial_key(&phase1.accumulator, r1cs, progress)?;
    if crate::mpc::cs_hash(&init, &phase1.accumulator.tau_g1) != Some(cs_hash) {
        return invalid(
            "the zkey's circuit hash is not this circuit's on this phase 1 (parameters of \
             another circuit or phase 1)"
                .into(),
        );
    }
    let mut acc = cs_hash.to_vec();
    let mut cur = G1A::generator();
    for (i, c) in contributions.iter().enumerate() {
        let fail = |m: &str| invalid(format!("zkey contribution #{} ({:?}): {m}", i + 1, c.name));
        if crate::mpc::transcript(&acc, &c.g1_s, &c.g1_sx) != c.transcript {
            return fail(
                "inconsistent transcript (a skipped or reordered step, or a tampered proof)",
            );
        }
        let sp = crate::mpc::hash_to_g2(&c.transcript);
        if c.g1_s.is_zero()
            || c.g1_sx.is_zero()
            || c.delta_after.is_zero()
            || !crate::same_ratio(c.g1_s, c.g1_sx, sp, c.g2_spx)
        {
            return fail("the proof of knowledge of its secret does not verify");
        }
        if !crate::same_ratio(cur, c.delta_after, sp, c.g2_spx) {
            return fail("δ is not the previous δ times the proven secret");
        }
        if let Some((value, e)) = &c.beacon {
            let (d, g1_s) = crate::mpc::beacon_secret(value, *e);
            if g1_s != c.g1_s || (g1_s * d).into_affine() != c.g1_sx {
                return fail("its secret is not the one its beacon value derives");
            }
        }
        acc.extend(crate::mpc::pubkey_bytes(
            &c.delta_after,
            &c.g1_s,
            &c.g1_sx,
            &c.g2_spx,
            &c.transcript,
        ));
        cur = c.delta_after;
    }
    if pk.delta_g1 != cur
        || !crate::same_ratio(G1A::generator(), cur, G2A::generator(), pk.vk.delta_g2)
    {
        return invalid("the key's δ is not the last contribution's".into());
    }
    if pk.a_query != init.a_query
        || pk.b_g1_query != init.b_g1_query
        || pk.b_g2_query != init.b_g2_query
        || pk.vk.gamma_abc_g1 != init.vk.gamma_abc_g1
        || pk.vk.alpha_g1 != init.vk.alpha_g1
        || pk.beta_g1 != init.beta_g1
        || pk.vk.beta_g2 != init.vk.beta_g2
        || pk.vk.gamma_g2 != init.vk.gamma_g2
    {
        return invalid(
            "the key's A, B, IC, α, β or γ differ from the circuit's initial key".into(),
        );
    }
    crate::phase2::check_key(&pk, &phase1.accumulator, r1cs, rng, progress)?;
    Ok((contributions, pk))
}

/// Our phase 1's powers as a prepared snarkjs `.ptau` (what `powersoftau
/// prepare phase2` writes): sections 1–6, an empty contribution section 7
/// (the contributions are checked by `sero ceremony phase1 verify`, in our
/// scheme), and the Lagrange bases of every domain `2ᵏ`, `k ≤ power` (τ in
/// G1 also `k = power + 1`, its last power taken as zero) in 12–15. With it,
/// `snarkjs zkey new` and `zkey verify` work on a phase 2 made from our
/// phase 1.
pub fn ptau_bytes(acc: &crate::Accumulator) -> Vec<u8> {
    use crate::phase2::lagrange;
    let p = acc.power;
    let mut h = vec![];
    h.extend_from_slice(&32u32.to_le_bytes());
    h.extend_from_slice(&Fq::MODULUS.to_bytes_le());
    h.extend_from_slice(&p.to_le_bytes());
    h.extend_from_slice(&p.to_le_bytes());
    let g1_sec = |pts: &[G1A]| {
        let mut v = Vec::with_capacity(64 * pts.len());
        pts.iter().for_each(|q| g1_to_lem(q, &mut v));
        v
    };
    let g2_sec = |pts: &[G2A]| {
        let mut v = Vec::with_capacity(128 * pts.len());
        pts.iter().for_each(|q| g2_to_lem(q, &mut v));
        v
    };
    let prepared_g1 = |pts: &[G1A], top: u32| {
        let mut v = vec![];
        for k in 0..=top {
            let n = 1usize << k;
            let mut level: Vec<G1A> = pts[..n.min(pts.len())].to_vec();
            level.resize(n, G1A::zero());
            v.extend(g1_sec(&lagrange::<crate::G1>(&level)));
        }
        v
    };
    let mut s13 = vec![];
    for k in 0..=p {
        s13.extend(g2_sec(&lagrange::<crate::G2>(&acc.tau_g2[..1 << k])));
    }
    binfile(
        b"ptau",
        &[
            (1, h),
            (2, g1_sec(&acc.tau_g1)),
            (3, g2_sec(&acc.tau_g2)),
            (4, g1_sec(&acc.alpha_tau_g1)),
            (5, g1_sec(&acc.beta_tau_g1)),
            (6, g2_sec(&[acc.beta_g2])),
            (7, 0u32.to_le_bytes().to_vec()),
            (12, prepared_g1(&acc.tau_g1, p + 1)),
            (13, s13),
            (14, prepared_g1(&acc.alpha_tau_g1, p)),
            (15, prepared_g1(&acc.beta_tau_g1, p)),
        ],
    )
}
