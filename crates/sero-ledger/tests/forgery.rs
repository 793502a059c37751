//! Why the development parameters must never run a real network: they are
//! derived from a public seed, so anyone can recompute the Groth16 trapdoor
//! (α, β, γ, δ) and forge a proof of any statement. This test does it: it
//! mints 10²⁷ SERO out of nothing with a forged input proof, and the
//! transaction passes every stateless and stateful rule under the
//! development parameters. It keeps the warning printed by `sero dev` and
//! refused by `Genesis::check_params` true; if it ever fails, the
//! derivation of the development parameters changed and the warning must
//! be re-examined.

use ark_bn254::{Fr, G1Projective, G2Projective};
use ark_ec::CurveGroup;
use ark_ff::{Field, UniformRand};
use ark_groth16::Proof;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_assets::{Asset, AssetCommitment, BalanceSignature};
use sero_crypto::hash::{hash256, tags};
use sero_crypto::{Base, Scalar};
use sero_keys::{SecretKey, Seed};
use sero_ledger::tx::{PlainOutput, Transaction, ZInput};
use sero_ledger::validate::{validate_stateful, validate_stateless, LedgerView};
use sero_zk::params::{CircuitParams, Parameters, DEV_SEED};
use sero_zk::{InputProofPublic, ZkProof};

const CHAIN: [u8; 32] = [0x7a; 32];

/// The trapdoor of one circuit of the development parameters, recomputed
/// from the public seed exactly as `Parameters::generate_insecure` draws it
/// (ark-groth16 draws α, β, γ, δ first).
fn trapdoor(label: &[u8]) -> [Fr; 4] {
    let mut rng = ChaCha20Rng::from_seed(hash256(tags::ZK_DEV_PARAMS, &[label, DEV_SEED]));
    [0; 4].map(|_| Fr::rand(&mut rng))
}

/// A proof of `public` (true or not) from the trapdoor:
/// A = a·g₁, B = b·g₂, C = ((ab − αβ)/δ)·g₁ − (γ/δ)·IC(x), with g₁ = α⁻¹·[α]₁
/// and g₂ = β⁻¹·[β]₂ read back from the verifying key.
fn forge(p: &CircuitParams, [alpha, beta, gamma, delta]: [Fr; 4], public: &[Base]) -> ZkProof {
    let vk = p.vk();
    let g1 = G1Projective::from(vk.alpha_g1) * alpha.inverse().unwrap();
    let g2 = G2Projective::from(vk.beta_g2) * beta.inverse().unwrap();
    assert_eq!((g2 * gamma).into_affine(), vk.gamma_g2, "γ recomputed");
    assert_eq!((g2 * delta).into_affine(), vk.delta_g2, "δ recomputed");
    let mut ic = G1Projective::from(vk.gamma_abc_g1[0]);
    for (x, base) in public.iter().zip(&vk.gamma_abc_g1[1..]) {
        ic += G1Projective::from(*base) * x;
    }
    let (a, b) = (Fr::from(3u64), Fr::from(5u64));
    let d_inv = delta.inverse().unwrap();
    let c = g1 * ((a * b - alpha * beta) * d_inv) - ic * (gamma * d_inv);
    ZkProof(Proof {
        a: (g1 * a).into_affine(),
        b: (g2 * b).into_affine(),
        c: c.into_affine(),
    })
}

struct View(Base);

impl LedgerView for View {
    fn chain_id(&self) -> [u8; 32] {
        CHAIN
    }
    fn is_known_anchor(&self, root: &Base) -> bool {
        *root == self.0
    }
    fn is_spent(&self, _: &Base) -> bool {
        false
    }
}

#[test]
fn the_development_parameters_let_anyone_mint() {
    let params = Parameters::dev();
    assert!(params.is_insecure());
    let mallory = SecretKey::from_seed(&Seed::from_bytes([0x66; 32]));
    let pk = mallory.payment_address();
    let minted: u128 = 10u128.pow(27);
    let fee = 10;
    // A note that was never created: any anchor the chain knows, a fresh
    // nullifier, and an asset commitment to 10²⁷ SERO.
    let anchor = Base::from(42u64);
    let r_in = Scalar::from(1234u64);
    let cm_asset = AssetCommitment::commit(&Asset::sero(minted), &r_in).unwrap();
    let public = InputProofPublic {
        anchor,
        nil: Base::from(0xdead_u64),
        til: Base::from(0xbeef_u64),
        cm_asset: cm_asset.0,
    };
    let proof = forge(
        &params.input,
        trapdoor(b"input"),
        &public.to_field_elements(),
    );
    let from = pk.derive_pkr_with(&Scalar::from(1u64));
    let mut tx = Transaction {
        chain_id: CHAIN,
        fee,
        from,
        inputs: vec![ZInput {
            anchor,
            nil: public.nil,
            til: public.til,
            cm_asset,
            proof,
        }],
        outputs: vec![],
        // The minted SERO as a public note of Mallory's: spendable later as
        // privately as any note.
        plain_outputs: vec![PlainOutput {
            pkr: pk.derive_pkr_with(&Scalar::from(2u64)),
            asset: Asset::sero(minted - fee),
            memo_hash: Base::from(0u64),
        }],
        stake: None,
        contract: None,
        package: None,
        balance_sig: BalanceSignature::sign_with_aux(&Scalar::from(0u64), b"", &[0; 32]),
        from_sig: mallory.sign_with_aux(&from, b"", &[0; 32]).unwrap(),
    };
    let sighash = tx.sighash();
    tx.balance_sig = BalanceSignature::sign_with_aux(&r_in, &sighash, &[1; 32]);
    tx.from_sig = mallory.sign_with_aux(&from, &sighash, &[2; 32]).unwrap();
    // Every rule holds: the forged proof verifies.
    validate_stateless(&tx, params).expect("the forgery verifies under the dev parameters");
    validate_stateful(&tx, &View(anchor)).unwrap();
    // It survives the wire format too.
    let again = Transaction::from_bytes(&tx.to_bytes()).unwrap();
    validate_stateless(&again, params).unwrap();
    // The sanity check that the forgery is a forgery: the same proof for
    // another statement fails.
    let mut other = tx.clone();
    other.inputs[0].nil = Base::from(0xdeaf_u64);
    assert!(validate_stateless(&other, params).is_err());
}
