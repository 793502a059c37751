//! Groth16 parameters: generation, the versioned file format and the
//! verifying-key hash.
//!
//! File format (all integers little-endian):
//! ```text
//! magic    8 bytes  "SEROZKP\0"
//! version  u32      1
//! flags    u32      bit 0: insecure development parameters
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
/// The public seed of the development parameters (`sero dev`, tests).
pub const DEV_SEED: &[u8] = b"sero development parameters v1 - INSECURE";

/// The keys of one circuit.
#[derive(Clone)]
pub struct CircuitParams {
    pub pk: ProvingKey<Curve>,
    pub pvk: PreparedVerifyingKey<Curve>,
}

impl CircuitParams {
    fn new(pk: ProvingKey<Curve>) -> Self {
        let pvk = prepare_verifying_key(&pk.vk);
        CircuitParams { pk, pvk }
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
        let flags = if self.insecure { FLAG_INSECURE } else { 0 };
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

    /// Reads and checks a parameter file.
    pub fn read<R: Read>(mut r: R) -> Result<Self, ZkError> {
        let mut buf = Vec::new();
        r.read_to_end(&mut buf)?;
        let bad = |m: &str| ZkError::Params(m.to_string());
        if buf.len() < 16 + 32 {
            return Err(bad("file too short"));
        }
        if &buf[..8] != MAGIC {
            return Err(bad("not a SERO parameter file (bad magic)"));
        }
        let (body, hash) = buf.split_at(buf.len() - 32);
        if hash256(tags::ZK_PARAMS_FILE, &[body]) != hash {
            return Err(bad(
                "integrity hash mismatch: the file is corrupt or truncated",
            ));
        }
        let version = u32::from_le_bytes(body[8..12].try_into().expect("4 bytes"));
        if version != VERSION {
            return Err(ZkError::Params(format!(
                "unsupported version {version} (expected {VERSION})"
            )));
        }
        let flags = u32::from_le_bytes(body[12..16].try_into().expect("4 bytes"));
        let mut rest = &body[16..];
        let mut keys = vec![];
        for expected in [0u8, 1u8] {
            if rest.len() < 9 {
                return Err(bad("truncated circuit header"));
            }
            if rest[0] != expected {
                return Err(ZkError::Params(format!(
                    "expected circuit {expected}, found {}",
                    rest[0]
                )));
            }
            let len = u64::from_le_bytes(rest[1..9].try_into().expect("8 bytes"));
            let len = usize::try_from(len).map_err(|_| bad("length overflows"))?;
            rest = &rest[9..];
            if rest.len() < len {
                return Err(bad("truncated proving key"));
            }
            let pk = ProvingKey::<Curve>::deserialize_with_mode(
                &rest[..len],
                Compress::No,
                Validate::No,
            )
            .map_err(|e| ZkError::Params(format!("proving key: {e}")))?;
            // The verifying key is what validators rely on: re-check its points.
            let mut vk = vec![];
            pk.vk
                .serialize_compressed(&mut vk)
                .map_err(|e| ZkError::Params(e.to_string()))?;
            VerifyingKey::<Curve>::deserialize_compressed(&vk[..])
                .map_err(|e| ZkError::Params(format!("verifying key: {e}")))?;
            keys.push(pk);
            rest = &rest[len..];
        }
        if !rest.is_empty() {
            return Err(bad("trailing bytes"));
        }
        let input = keys.pop().expect("two keys");
        let output = keys.pop().expect("two keys");
        Ok(Parameters {
            output: CircuitParams::new(output),
            input: CircuitParams::new(input),
            insecure: flags & FLAG_INSECURE != 0,
        })
    }
}
