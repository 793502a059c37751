//! Zcash Sapling side: the real `sapling_crypto::circuit::{Spend, Output}`
//! circuits with real witnesses (keys, note, Merkle path, value commitment)
//! and natively computed public inputs, proved with random local parameters.

use bellman::gadgets::multipack;
use bls12_381::Scalar;
use ff::Field;
use group::Curve;
use incrementalmerkletree::Position;
use rand::{rngs::StdRng, Rng};
use sapling_crypto::{
    circuit::{Output, Spend, SpendParameters, ValueCommitmentOpening},
    prover::SpendProver,
    value::{NoteValue, ValueCommitTrapdoor, ValueCommitment},
    zip32::ExtendedSpendingKey,
    MerklePath, Node, Note, Rseed, NOTE_COMMITMENT_TREE_DEPTH,
};

use crate::{
    bellman_groth16::{self, BellmanCircuit, Instance},
    report::{CircuitBench, CircuitSpec, Config},
    Result,
};

pub const SYSTEM: &str = "zcash-sapling";

fn proof_system() -> String {
    format!(
        "Groth16 over BLS12-381 (groth16 {} / bellman {} / bls12_381 {}, sapling-crypto {} circuits)",
        env!("ZKC_VER_GROTH16"),
        env!("ZKC_VER_BELLMAN"),
        env!("ZKC_VER_BLS12_381"),
        env!("ZKC_VER_SAPLING_CRYPTO"),
    )
}

/// The Sapling circuits this tool measures.
pub fn circuits() -> Vec<CircuitSpec> {
    vec![
        CircuitSpec {
            name: SPEND.name,
            system: SYSTEM,
            bench: |cfg| bench_spend(cfg),
            prove_once: |cfg| bellman_groth16::prove_once(&SPEND, cfg),
        },
        CircuitSpec {
            name: OUTPUT.name,
            system: SYSTEM,
            bench: |cfg| bench_output(cfg),
            prove_once: |cfg| bellman_groth16::prove_once(&OUTPUT, cfg),
        },
    ]
}

pub fn bench_spend(cfg: &Config) -> Result<CircuitBench> {
    bellman_groth16::bench(&SPEND, &proof_system(), cfg)
}

pub fn bench_output(cfg: &Config) -> Result<CircuitBench> {
    bellman_groth16::bench(&OUTPUT, &proof_system(), cfg)
}

/// Sapling Spend: proves knowledge of a note in the commitment tree (depth
/// 32 Pedersen-hash Merkle path), its nullifier, the value commitment and the
/// re-randomised spend-authorisation key.
pub const SPEND: BellmanCircuit<Spend> = BellmanCircuit {
    name: "sapling-spend",
    system: SYSTEM,
    blank: blank_spend,
    instance: spend_instance,
};

/// Sapling Output: proves a note commitment, the value commitment and the
/// ephemeral key are well formed.
pub const OUTPUT: BellmanCircuit<Output> = BellmanCircuit {
    name: "sapling-output",
    system: SYSTEM,
    blank: blank_output,
    instance: output_instance,
};

fn blank_spend() -> Spend {
    Spend {
        value_commitment_opening: None,
        proof_generation_key: None,
        payment_address: None,
        commitment_randomness: None,
        ar: None,
        auth_path: vec![None; usize::from(NOTE_COMMITMENT_TREE_DEPTH)],
        anchor: None,
    }
}

fn blank_output() -> Output {
    Output {
        value_commitment_opening: None,
        payment_address: None,
        commitment_randomness: None,
        esk: None,
    }
}

fn random_bytes<const N: usize>(rng: &mut StdRng) -> [u8; N] {
    let mut b = [0u8; N];
    rng.fill_bytes(&mut b);
    b
}

/// A fresh ZIP-32 master spending key and its default payment address.
fn random_key(rng: &mut StdRng) -> Result<(ExtendedSpendingKey, sapling_crypto::PaymentAddress)> {
    let seed: [u8; 32] = random_bytes(rng);
    let xsk = ExtendedSpendingKey::master(&seed).ok_or("invalid ZIP-32 master key")?;
    let (_, addr) = xsk.default_address();
    Ok((xsk, addr))
}

/// Real Spend witness, built through the same `SpendProver::prepare_circuit`
/// path Zcash wallets use: a ZIP-212 note at a random position of a tree
/// whose other 32 path nodes are random, so the anchor is computed natively
/// from the path (the same construction as sapling-crypto's circuit tests).
fn spend_instance(rng: &mut StdRng) -> Result<Instance<Spend>> {
    let (xsk, addr) = random_key(rng)?;
    let proof_generation_key = xsk.expsk().proof_generation_key();
    let viewing_key = proof_generation_key.to_viewing_key();

    let value = NoteValue::from_raw(rng.next_u64() % 2_100_000_000_000_000);
    let rseed = Rseed::AfterZip212(random_bytes(rng));
    let note = Note::from_parts(addr, value, rseed);

    let path_elems: Vec<Node> = (0..NOTE_COMMITMENT_TREE_DEPTH)
        .map(|_| Node::from_scalar(Scalar::random(&mut *rng)))
        .collect();
    let position = Position::from(u64::from(rng.next_u32()));
    let merkle_path = MerklePath::from_parts(path_elems, position)
        .map_err(|()| "Merkle path of the wrong depth")?;
    let anchor: Scalar = merkle_path.root(Node::from_cmu(&note.cmu())).into();

    let alpha = jubjub::Fr::random(&mut *rng);
    let rcv = ValueCommitTrapdoor::random(&mut *rng);

    // Public inputs, computed natively in the circuit's allocation order:
    // rk (u, v), cv (u, v), anchor, nullifier packed into two field elements.
    let rk_bytes: [u8; 32] = viewing_key.rk(alpha).into();
    let rk = Option::<jubjub::AffinePoint>::from(jubjub::AffinePoint::from_bytes(rk_bytes))
        .ok_or("rk is not a valid point")?;
    let cv = ValueCommitment::derive(value, rcv.clone())
        .as_inner()
        .to_affine();
    let nf = note.nf(viewing_key.nk(), u64::from(position));
    let nf: Vec<Scalar> = multipack::compute_multipacking(&multipack::bytes_to_bits_le(&nf.0));
    let mut inputs = vec![rk.get_u(), rk.get_v(), cv.get_u(), cv.get_v(), anchor];
    inputs.extend(nf);

    let circuit = <SpendParameters as SpendProver>::prepare_circuit(
        proof_generation_key,
        *addr.diversifier(),
        rseed,
        value,
        alpha,
        rcv,
        anchor,
        merkle_path,
    )
    .ok_or("invalid diversifier")?;
    Ok(Instance { circuit, inputs })
}

/// Real Output witness for a payment to a fresh address (the fields
/// `OutputProver::prepare_circuit` fills; built directly because the
/// ephemeral secret key type cannot be constructed outside the crate).
fn output_instance(rng: &mut StdRng) -> Result<Instance<Output>> {
    let (_, addr) = random_key(rng)?;
    let value = NoteValue::from_raw(rng.next_u64() % 2_100_000_000_000_000);
    let rcm = jubjub::Fr::random(&mut *rng);
    let esk = jubjub::Fr::random(&mut *rng);
    let rcv = ValueCommitTrapdoor::random(&mut *rng);

    // Public inputs: cv (u, v), epk (u, v), cmu.
    let cv = ValueCommitment::derive(value, rcv.clone())
        .as_inner()
        .to_affine();
    let g_d = addr.diversifier().g_d().ok_or("invalid diversifier")?;
    let epk = jubjub::ExtendedPoint::from(g_d * esk).to_affine();
    let note = Note::from_parts(addr, value, Rseed::BeforeZip212(rcm));
    let cmu = Option::<Scalar>::from(Scalar::from_bytes(&note.cmu().to_bytes()))
        .ok_or("cmu is not canonical")?;
    let inputs = vec![cv.get_u(), cv.get_v(), epk.get_u(), epk.get_v(), cmu];

    let circuit = Output {
        value_commitment_opening: Some(ValueCommitmentOpening {
            value,
            randomness: rcv.inner(),
        }),
        payment_address: Some(addr),
        commitment_randomness: Some(rcm),
        esk: Some(esk),
    };
    Ok(Instance { circuit, inputs })
}
