//! Groth16 parameters: generation, the versioned file format and the
//! verifying-key hash.
//!
//! File format (all integers little-endian):
//! ```text
//! magic    8 bytes  "SEROZKP\0"
//! version  u32      1
//! flags    u32      bit 0: insecure development parameters
//!                   bit 1: proving keys for snarkjs's R1CS-to-QAP reduction
//!                          (ceremony parameters; see [`crate::qap`]); it must
//!                          agree with the keys (`CircuitParams::reduction`)
//! then for each circuit, output first, input second:
//!   id     u8       0 = output, 1 = input
//!   len    u64      length of the proving key
//!   pk     len      arkworks uncompressed ProvingKey<Bn254>
//! hash     32 bytes BLAKE2b-256("SERO_ZkParamFile"; every byte before)
//! ```
//! The hash catches corruption and truncation. Security does not rest on it:
//! a node compares [`Parameters::vk_hash`] with the hash its genesis pins,
//! and the verifying keys are re-decoded with full point validation.

use crate::circuits::input::InputCircuit;
use crate::circuits::output::OutputCircuit;
use crate::qap::Reduction;
use crate::{Curve, ZkError};
use ark_groth16::{prepare_verifying_key, Groth16, PreparedVerifyingKey, ProvingKey, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use ark_snark::CircuitSpecificSetupSNARK;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sero_crypto::hash::{hash256, tags};
use std::io::{Read, Write};
use std::sync::OnceLock;

const MAGIC: &[u8; 8] = b"SEROZKP\0";
const VERSION: u32 = 1;
const FLAG_INSECURE: u32 = 1;
const FLAG_CIRCOM_QAP: u32 = 2;
/// The public seed of the development parameters (`sero dev`, tests).
pub const DEV_SEED: &[u8] = b"sero development parameters v1 - INSECURE";

/// [`Parameters::vk_hash`] of the development parameters ([`DEV_SEED`]),
/// pinned so that a node recognises them without regenerating them
/// (`tests/proofs.rs` recomputes it). Anyone can derive their trapdoor from
/// the public seed and forge proofs: only a genesis marked `dev` may use
/// them.
pub const DEV_VK_HASH: [u8; 32] = [
    0x0c, 0x65, 0x6b, 0x96, 0xbe, 0xd2, 0xe7, 0x2f, 0x08, 0x61, 0x6b, 0x69, 0xfb, 0x06, 0xee, 0xb6,
    0x06, 0xc9, 0xea, 0x02, 0x07, 0xe5, 0x8a, 0x90, 0x08, 0x8c, 0x48, 0xb3, 0x40, 0xb6, 0x56, 0xfb,
];

/// Why a node must not run on a set of parameters.
pub const INSECURE_PARAMS_WARNING: &str = "these zk parameters are INSECURE: they are derived \
from a public seed, so anyone can compute their trapdoor and forge proofs that mint any amount";

/// The keys of one circuit.
#[derive(Clone)]
pub struct CircuitParams {
    pub pk: ProvingKey<Curve>,
    pub pvk: PreparedVerifyingKey<Curve>,
    /// `β` of the verifying key, prepared for batch verification's
    /// Miller loop ([`crate::batch_verify_groups`]).
    pub beta_g2_pc: <Curve as ark_ec::pairing::Pairing>::G2Prepared,
    /// The constraint matrices of the circuit this key proves, kept from
    /// the first proof ([`crate::prover`]): later proofs synthesise the
    /// witness only.
    pub(crate) shape: std::sync::OnceLock<std::sync::Arc<crate::qap::R1csMatrices>>,
}

impl CircuitParams {
    /// The keys of a proving key (its verifying key prepared).
    pub fn new(pk: ProvingKey<Curve>) -> Self {
        let pvk = prepare_verifying_key(&pk.vk);
        let beta_g2_pc = pk.vk.beta_g2.into();
        CircuitParams {
            pk,
            pvk,
            beta_g2_pc,
            shape: std::sync::OnceLock::new(),
        }
    }

    /// The R1CS-to-QAP reduction the proving key was made for, which the
    /// prover must use, read off its `H` query: arkworks' reduction has
    /// `m − 1` elements, snarkjs's `m`, for a power of two `m ≥ 2`.
    pub fn reduction(&self) -> Reduction {
        let n = self.pk.h_query.len();
        if n >= 2 && n.is_power_of_two() {
            Reduction::Circom
        } else {
            Reduction::Libsnark
        }
    }

    pub fn vk(&self) -> &VerifyingKey<Curve> {
        &self.pk.vk
    }
}

/// The keys of both circuits.
#[derive(Clone)]
pub struct Parameters {
    pub output: CircuitParams,
    pub input: CircuitParams,
    /// True for parameters derived from a public seed.
    pub insecure: bool,
}

impl std::fmt::Debug for Parameters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parameters")
            .field("vk_hash", &hex::encode(self.vk_hash()))
            .field("insecure", &self.is_insecure())
            .finish()
    }
}

impl Parameters {
    /// Derives parameters from a public seed. **Insecure**: anyone can
    /// recompute the toxic waste and forge proofs. For development networks
    /// and tests only; a real network needs a multi-party ceremony.
    pub fn generate_insecure(seed: &[u8]) -> Result<Self, ZkError> {
        let rng_for =
            |label: &[u8]| ChaCha20Rng::from_seed(hash256(tags::ZK_DEV_PARAMS, &[label, seed]));
        let (opk, _) = Groth16::<Curve>::setup(OutputCircuit::dummy(), &mut rng_for(b"output"))?;
        let (ipk, _) = Groth16::<Curve>::setup(InputCircuit::dummy(), &mut rng_for(b"input"))?;
        Ok(Parameters {
            output: CircuitParams::new(opk),
            input: CircuitParams::new(ipk),
            insecure: true,
        })
    }

    /// The development parameters ([`DEV_SEED`]), generated once per process.
    pub fn dev() -> &'static Parameters {
        static DEV: OnceLock<Parameters> = OnceLock::new();
        DEV.get_or_init(|| {
            Parameters::generate_insecure(DEV_SEED).expect("setup of fixed circuits")
        })
    }

    /// Whether these parameters are known to be insecure: flagged so in
    /// their file, or the development parameters whatever the flag says (a
    /// cleared flag bit does not make them secure).
    pub fn is_insecure(&self) -> bool {
        self.insecure || self.vk_hash() == DEV_VK_HASH
    }

    /// Loads a parameter file and checks it is the one a genesis names by
    /// its verifying-key hash. The one loader for nodes and wallets.
    pub fn load_checked(path: &std::path::Path, vk_hash: &[u8; 32]) -> Result<Self, ZkError> {
        let file = std::fs::File::open(path).map_err(|e| {
            ZkError::Params(format!(
                "cannot open parameter file {}: {e}",
                path.display()
            ))
        })?;
        let p = Parameters::read(std::io::BufReader::with_capacity(1 << 20, file))
            .map_err(|e| ZkError::Params(format!("{}: {e}", path.display())))?;
        let got = p.vk_hash();
        if &got != vk_hash {
            return Err(ZkError::Params(format!(
                "{} holds parameters with vk hash {}, the network expects {}",
                path.display(),
                hex::encode(got),
                hex::encode(vk_hash)
            )));
        }
        Ok(p)
    }

    /// `BLAKE2b-256("SERO_ZkVkHash_v1"; vk_output ‖ vk_input)`, verifying
    /// keys in arkworks' compressed encoding. A genesis pins this value.
    pub fn vk_hash(&self) -> [u8; 32] {
        let mut o = vec![];
        let mut i = vec![];
        self.output
            .vk()
            .serialize_compressed(&mut o)
            .expect("in-memory");
        self.input
            .vk()
            .serialize_compressed(&mut i)
            .expect("in-memory");
        hash256(tags::ZK_VK_HASH, &[&o, &i])
    }

    /// Writes the parameter file.
    pub fn write<W: Write>(&self, mut w: W) -> Result<(), ZkError> {
        let mut buf = Vec::new();
        buf.extend_from_slice(MAGIC);
        buf.extend_from_slice(&VERSION.to_le_bytes());
        if self.output.reduction() != self.input.reduction() {
            return Err(ZkError::Params(
                "both circuits' keys must be made for the same QAP reduction".into(),
            ));
        }
        let mut flags = if self.insecure { FLAG_INSECURE } else { 0 };
        if self.output.reduction() == Reduction::Circom {
            flags |= FLAG_CIRCOM_QAP;
        }
        buf.extend_from_slice(&flags.to_le_bytes());
        for (id, p) in [(0u8, &self.output), (1u8, &self.input)] {
            let mut pk = vec![];
            p.pk.serialize_uncompressed(&mut pk)
                .map_err(|e| ZkError::Params(e.to_string()))?;
            buf.push(id);
            buf.extend_from_slice(&(pk.len() as u64).to_le_bytes());
            buf.extend_from_slice(&pk);
        }
        let h = hash256(tags::ZK_PARAMS_FILE, &[&buf]);
        buf.extend_from_slice(&h);
        w.write_all(&buf)?;
        Ok(())
    }

    /// Reads and checks a parameter file (streaming: the file is hashed
    /// while it is parsed, never held whole in memory).
    pub fn read<R: Read>(r: R) -> Result<Self, ZkError> {
        let (output, input, insecure) = read_sections(r, [true, true])?;
        Ok(Parameters {
            output: output.expect("requested"),
            input: input.expect("requested"),
            insecure,
        })
    }
}

/// Which circuit of a parameter file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CircuitKind {
    Output,
    Input,
}

impl CircuitParams {
    /// Reads one circuit's keys from a parameter file, checking the whole
    /// file's integrity hash but keeping only that circuit in memory (a
    /// prover that makes only input proofs needs no output key).
    pub fn read_one<R: Read>(r: R, kind: CircuitKind) -> Result<Self, ZkError> {
        let want = [kind == CircuitKind::Output, kind == CircuitKind::Input];
        let (o, i, _) = read_sections(r, want)?;
        Ok(o.or(i).expect("requested"))
    }
}

/// A reader that hashes everything read through it.
struct Hashing<R> {
    inner: R,
    state: blake2b_simd::State,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.state.update(&buf[..n]);
        Ok(n)
    }
}

fn read_exact_or<R: Read>(r: &mut R, buf: &mut [u8], what: &str) -> Result<(), ZkError> {
    r.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => ZkError::Params(format!("file too short ({what})")),
        _ => ZkError::Io(e),
    })
}

type Sections = (Option<CircuitParams>, Option<CircuitParams>, bool);

fn read_sections<R: Read>(r: R, want: [bool; 2]) -> Result<Sections, ZkError> {
    let bad = |m: &str| ZkError::Params(m.to_string());
    let mut h = Hashing {
        inner: r,
        state: blake2b_simd::Params::new()
            .hash_length(32)
            .personal(tags::ZK_PARAMS_FILE)
            .to_state(),
    };
    let mut head = [0u8; 16];
    read_exact_or(&mut h, &mut head, "header")?;
    if &head[..8] != MAGIC {
        return Err(bad("not a SERO parameter file (bad magic)"));
    }
    let version = u32::from_le_bytes(head[8..12].try_into().expect("4 bytes"));
    if version != VERSION {
        return Err(ZkError::Params(format!(
            "unsupported version {version} (expected {VERSION})"
        )));
    }
    let flags = u32::from_le_bytes(head[12..16].try_into().expect("4 bytes"));
    if flags & !(FLAG_INSECURE | FLAG_CIRCOM_QAP) != 0 {
        return Err(ZkError::Params(format!("unknown flags {flags:#x}")));
    }
    let reduction = if flags & FLAG_CIRCOM_QAP != 0 {
        Reduction::Circom
    } else {
        Reduction::Libsnark
    };
    let mut keys: [Option<CircuitParams>; 2] = [None, None];
    for (id, wanted) in want.iter().enumerate() {
        let mut sh = [0u8; 9];
        read_exact_or(&mut h, &mut sh, "circuit header")?;
        if sh[0] as usize != id {
            return Err(ZkError::Params(format!(
                "expected circuit {id}, found {}",
                sh[0]
            )));
        }
        let len = u64::from_le_bytes(sh[1..9].try_into().expect("8 bytes"));
        let mut section = (&mut h).take(len);
        if *wanted {
            let pk = ProvingKey::<Curve>::deserialize_with_mode(
                &mut section,
                Compress::No,
                Validate::No,
            )
            .map_err(|e| ZkError::Params(format!("proving key: {e}")))?;
            if section.limit() != 0 {
                return Err(bad("proving key shorter than its declared length"));
            }
            // The verifying key is what validators rely on: re-check its points.
            let mut vk = vec![];
            pk.vk
                .serialize_compressed(&mut vk)
                .map_err(|e| ZkError::Params(e.to_string()))?;
            VerifyingKey::<Curve>::deserialize_compressed(&vk[..])
                .map_err(|e| ZkError::Params(format!("verifying key: {e}")))?;
            let params = CircuitParams::new(pk);
            if params.reduction() != reduction {
                return Err(ZkError::Params(format!(
                    "circuit {id}: the flags say {reduction:?} reduction, the proving key's H \
                     query is made for the {:?} one",
                    params.reduction()
                )));
            }
            keys[id] = Some(params);
        } else {
            let skipped = std::io::copy(&mut section, &mut std::io::sink())?;
            if skipped != len {
                return Err(bad("file too short (proving key)"));
            }
        }
    }
    let expected = h.state.finalize();
    let mut inner = h.inner;
    let mut hash = [0u8; 32];
    read_exact_or(&mut inner, &mut hash, "integrity hash")?;
    if expected.as_bytes() != hash {
        return Err(bad(
            "integrity hash mismatch: the file is corrupt or truncated",
        ));
    }
    let mut extra = [0u8; 1];
    if inner.read(&mut extra)? != 0 {
        return Err(bad("trailing bytes"));
    }
    let [o, i] = keys;
    Ok((o, i, flags & FLAG_INSECURE != 0))
}
