//! The ceremony on SERO's real circuits: a phase 1 of power 16 with three
//! participants and a beacon, phase 2 of both circuits with three
//! participants and a beacon each, everything verified, the parameters
//! exported, and a real transaction built, proved and validated with them.
//! Prints the time of each step (no timed assertions).

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_assets::Asset;
use sero_ceremony::phase2::{parameters, Phase2};
use sero_ceremony::{Circuit, Phase1, Quiet};
use sero_crypto::{Base, Scalar};
use sero_keys::{SecretKey, Seed};
use sero_ledger::builder::{build_transaction, Network, Recipient, SpendableNote};
use sero_ledger::note_plaintext::memo_hash;
use sero_ledger::validate::validate_stateless;
use sero_tree::WitnessTree;
use sero_zk::note::Note;
use sero_zk::params::Parameters;
use std::time::Instant;

fn rng(i: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(i)
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let r = f();
    eprintln!("{what}: {:.1} s", t.elapsed().as_secs_f64());
    r
}

fn alice() -> SecretKey {
    SecretKey::from_seed(&Seed::from_bytes([0xa1; 32]))
}

fn wallet() -> Vec<SpendableNote> {
    let a = alice();
    let mut tree = WitnessTree::new();
    let mut placed = vec![];
    for k in 0..2u64 {
        let note = Note {
            asset: Asset::sero(1000),
            pkr: a.payment_address().derive_pkr_with(&Scalar::from(10 + k)),
            memo_hash: memo_hash(b""),
            rsk: Base::from(99 + k),
        };
        let pos = tree.len();
        tree.append(sero_tree::cm_auth(pos, note.cm_out().unwrap()))
            .unwrap();
        placed.push((note, pos));
    }
    placed
        .into_iter()
        .map(|(note, pos)| SpendableNote {
            note,
            path: tree.path(pos).unwrap(),
        })
        .collect()
}

#[test]
fn three_party_ceremony_on_the_real_circuits_proves_a_transaction() {
    let mut p1 = Phase1::new(16).unwrap();
    for (i, name) in ["alice", "bob", "carol"].iter().enumerate() {
        let h = timed(&format!("phase 1 (power 16) contribution {name}"), || {
            p1.contribute(name, &mut rng(i as u64), &Quiet).unwrap()
        });
        eprintln!("  hash {}", hex::encode(h));
    }
    timed("phase 1 beacon (2^10 iterations)", || {
        p1.beacon(b"future block hash", 10, &Quiet).unwrap()
    });
    let bytes = timed("phase 1 encode", || p1.to_bytes());
    eprintln!("phase 1 transcript: {} bytes", bytes.len());
    let p1 = timed("phase 1 decode (point checks)", || {
        Phase1::from_bytes(&bytes).unwrap()
    });
    let report = timed("phase 1 verify", || {
        p1.verify(&mut rng(99), &Quiet).unwrap()
    });
    assert_eq!(report.len(), 4);

    let mut keys = vec![];
    for circuit in [Circuit::Output, Circuit::Input] {
        let c = circuit.name();
        let r1cs = circuit.r1cs().unwrap();
        eprintln!(
            "{c}: {} constraints, {} variables, domain {}",
            r1cs.num_constraints,
            r1cs.num_variables(),
            r1cs.domain_size()
        );
        let mut p2 = timed(&format!("phase 2 {c}: new"), || {
            Phase2::new(circuit, &r1cs, &p1, &Quiet).unwrap()
        });
        for i in 0..3 {
            timed(&format!("phase 2 {c}: contribution {i}"), || {
                p2.contribute(&format!("participant {i}"), &mut rng(50 + i), &Quiet)
                    .unwrap()
            });
        }
        timed(&format!("phase 2 {c}: beacon"), || {
            p2.beacon(b"another future block hash", 10, &Quiet).unwrap()
        });
        let bytes = p2.to_bytes();
        eprintln!("phase 2 {c} transcript: {} bytes", bytes.len());
        let p2 = timed(&format!("phase 2 {c}: decode"), || {
            Phase2::from_bytes(&bytes).unwrap()
        });
        let r = timed(&format!("phase 2 {c}: verify"), || {
            p2.verify(&p1, &r1cs, &mut rng(7), &Quiet).unwrap()
        });
        assert_eq!(r.len(), 4);
        keys.push(p2);
    }
    // A transcript of one circuit does not verify as the other.
    let m = keys[0]
        .verify(&p1, &Circuit::Input.r1cs().unwrap(), &mut rng(7), &Quiet)
        .unwrap_err()
        .to_string();
    assert!(m.contains("another circuit"), "{m}");

    let params = parameters(&keys[0], &keys[1]).unwrap();
    assert!(!params.is_insecure());
    let mut file = vec![];
    params.write(&mut file).unwrap();
    let params = Parameters::read(&file[..]).unwrap();
    assert_eq!(params.output.reduction(), sero_zk::qap::Reduction::Circom);
    assert_eq!(params.input.reduction(), sero_zk::qap::Reduction::Circom);
    assert_eq!(
        Parameters::dev().input.reduction(),
        sero_zk::qap::Reduction::Libsnark
    );
    let vk_hash = params.vk_hash();
    eprintln!("vk_hash {}", hex::encode(vk_hash));
    assert_ne!(vk_hash, Parameters::dev().vk_hash());

    let bob = SecretKey::from_seed(&Seed::from_bytes([0xb0; 32]));
    let tx = timed("build and prove a transaction", || {
        build_transaction(
            Network {
                chain_id: [7; 32],
                params: &params,
            },
            &alice(),
            &wallet(),
            vec![Recipient {
                pkr: bob.payment_address().derive_pkr_with(&Scalar::from(1u64)),
                asset: Asset::sero(700),
                memo: b"paid with ceremony parameters".to_vec(),
                plain: false,
            }],
            10,
            &mut rng(3),
            &|_, _| {},
        )
        .unwrap()
    });
    timed("validate the transaction", || {
        validate_stateless(&tx, &params).unwrap()
    });
    // Proofs made with the ceremony's keys do not verify under others.
    assert!(validate_stateless(&tx, Parameters::dev()).is_err());
}
