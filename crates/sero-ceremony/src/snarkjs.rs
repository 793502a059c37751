//! The file formats of snarkjs/circom (iden3 "binfile": a 4-byte type,
//! `LE32` version, `LE32` section count, then sections `LE32 id ‖ LE64 size
//! ‖ data`), as read and written by hand from snarkjs's source:
//!
//! * `.r1cs` (write): our circuits' constraint systems, so that snarkjs can
//!   build and check keys for them. Wire 0 is the constant one, then the
//!   public inputs, then the witness, as in arkworks; coefficients in
//!   standard form.
//! * `.ptau` (read): a Powers of Tau of snarkjs (sections 1 header, 2 τⁱ·G1,
//!   3 τⁱ·G2, 4 α·τⁱ·G1, 5 β·τⁱ·G1, 6 β·G2), to be our phase 1
//!   ([`crate::Phase1::import_ptau`]).
//! * `.zkey` (read): a Groth16 proving key of snarkjs (sections 2 header and
//!   α, β, γ, δ; 3 IC; 5 A; 6 B in G1; 7 B in G2; 8 C = our L; 9 H).
//!
//! Points are in snarkjs's "LEM" encoding: coordinates in Montgomery form,
//! little-endian, x then y (G2: x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1), the identity as
//! all zeros.

use crate::{CeremonyError, Fr, G1A, G2A};
use ark_bn254::{Bn254, Fq, Fq2};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, BigInteger256, PrimeField, Zero};
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
