//! The ceremony on SERO's real circuits: a phase 1 of power 16 with three
//! participants and a beacon, phase 2 of both circuits with three
//! participants and a beacon each, everything verified, the parameters
//! exported, a real transaction built, proved and validated with them, and
//! then a network on them: `sero testnet --params` writes a genesis pinning
//! their vk hash, a `sero node` runs it, and a private payment proved by
//! `sero wallet send --params` with the ceremony's keys is finalised and
//! received. Prints the time of each step (no timed assertions).

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::Value;
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
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

mod common;
use common::net::{finalized, free_ports, wait_until, Proc};
use common::SERO;

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

    // A network on the ceremony's parameters.
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::create_dir_all(d.join("ceremony")).unwrap();
    std::fs::write(d.join("ceremony/params.bin"), &file).unwrap();
    run_network(d, &params);
}

fn cli(args: &[&str]) -> (bool, Value, String) {
    let o = Command::new(SERO)
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let v = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (o.status.success(), v, text)
}

/// `sero testnet --params` on the exported parameters, one validator
/// node, and a private payment proved with the ceremony's keys.
fn run_network(d: &Path, params: &Parameters) {
    let net = d.join("net");
    let p2p = free_ports(2);
    let rpc_port = p2p + 1;
    let (ok, plan, text) = cli(&[
        "testnet",
        "--nodes",
        "1",
        "--init-only",
        "--dir",
        net.to_str().unwrap(),
        "--params",
        d.join("ceremony").to_str().unwrap(),
        "--base-port",
        &p2p.to_string(),
        "--rpc-base-port",
        &rpc_port.to_string(),
    ]);
    assert!(ok, "{text}");
    let genesis: Value =
        serde_json::from_str(&std::fs::read_to_string(net.join("genesis.json")).unwrap()).unwrap();
    assert_eq!(genesis["dev"], false);
    assert_eq!(genesis["vk_hash"], hex::encode(params.vk_hash()));

    let node = &plan["nodes"][0];
    let args: Vec<String> = node["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    let url = node["rpc"].as_str().unwrap().to_string();
    let log = std::fs::File::create(d.join("node.log")).unwrap();
    let _node = Proc(
        Command::new(SERO)
            .args(&args)
            .env("RUST_LOG", "info")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let node_log = || std::fs::read_to_string(d.join("node.log")).unwrap_or_default();
    wait_until("the node to finalise block 1", 180, || {
        finalized(&url).is_some_and(|f| f >= 1)
    });
    let l = node_log();
    assert!(l.contains(&hex::encode(params.vk_hash())), "{l}");
    assert!(!l.contains("INSECURE"), "{l}");

    let (ok, bob, text) = cli(&["keys", "new"]);
    assert!(ok, "{text}");
    let dev = plan["dev_mnemonic"].as_str().unwrap();
    let send = |extra: &[&str]| {
        let mut a = vec!["wallet", "--rpc", &url, "--wallet-dir", d.to_str().unwrap()];
        a.extend_from_slice(extra);
        a.extend_from_slice(&[
            "send",
            "--mnemonic",
            dev,
            "--to",
            bob["pk"].as_str().unwrap(),
            "--amount",
            "4321",
            "--wait",
        ]);
        cli(&a)
    };
    // Without the ceremony's file the wallet cannot prove for this network.
    let (ok, _, text) = send(&[]);
    assert!(!ok, "{text}");
    assert!(text.contains("--params"), "{text}");
    // With it, the payment is proved, included and finalised.
    let params_file = net.join("params.bin");
    let (ok, sent, text) = timed("send a payment on the ceremony network", || {
        send(&["--params", params_file.to_str().unwrap()])
    });
    assert!(ok, "{text}\n{}", node_log());
    let h = sent["height"].as_u64().unwrap();
    wait_until("the payment's block to be final", 120, || {
        finalized(&url).is_some_and(|f| f >= h)
    });
    let (ok, bal, text) = cli(&[
        "wallet",
        "--rpc",
        &url,
        "--wallet-dir",
        d.to_str().unwrap(),
        "balance",
        "--mnemonic",
        bob["mnemonic"].as_str().unwrap(),
    ]);
    assert!(ok, "{text}");
    assert!(bal.to_string().contains("4321"), "{bal}");
}
