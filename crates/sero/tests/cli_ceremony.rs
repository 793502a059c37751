//! `sero ceremony` end to end on the output circuit (phase 1 of power 14,
//! two participants and a beacon, phase 2 with one participant), its
//! errors, and `sero testnet --params` on non-development parameters. The
//! full ceremony on both circuits, with a real transaction and a node on its
//! parameters, is `e2e_ceremony.rs`.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const SERO: &str = env!("CARGO_BIN_EXE_sero");

fn sero(args: &[&str], dir: &Path) -> Output {
    Command::new(SERO)
        .current_dir(dir)
        .args(["--json", "ceremony", "--quiet"])
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(args: &[&str], dir: &Path) -> Value {
    let o = sero(args, dir);
    assert!(o.status.success(), "{args:?}: {}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn fails(args: &[&str], dir: &Path, code: i32, msg: &str) {
    let o = sero(args, dir);
    assert_eq!(o.status.code(), Some(code), "{args:?}: {}", text(&o));
    assert!(text(&o).contains(msg), "{args:?}: {}", text(&o));
}

#[test]
fn a_ceremony_through_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ok(&["phase1", "new", "--power", "14", "p0.bin"], d);
    let a = ok(
        &[
            "phase1",
            "contribute",
            "p0.bin",
            "p1.bin",
            "--name",
            "alice",
        ],
        d,
    );
    let b = ok(
        &["phase1", "contribute", "p1.bin", "p2.bin", "--name", "bob"],
        d,
    );
    let c = ok(
        &[
            "phase1",
            "beacon",
            "p2.bin",
            "p3.bin",
            "--value",
            "00ff10",
            "--iterations-exp",
            "3",
        ],
        d,
    );
    let v = ok(&["phase1", "verify", "p3.bin"], d);
    assert_eq!(v["valid"], true);
    let hashes: Vec<&Value> = v["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["hash"])
        .collect();
    assert_eq!(
        hashes,
        [
            &a["contribution_hash"],
            &b["contribution_hash"],
            &c["contribution_hash"]
        ]
    );
    assert_eq!(v["contributions"][2]["beacon"], true);

    // Errors: an existing output, a damaged file, a too small phase 1.
    fails(
        &["phase1", "contribute", "p1.bin", "p2.bin"],
        d,
        1,
        "exists",
    );
    let mut bytes = std::fs::read(d.join("p3.bin")).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 4;
    std::fs::write(d.join("bad.bin"), &bytes).unwrap();
    fails(
        &["phase1", "verify", "bad.bin"],
        d,
        1,
        "integrity hash mismatch",
    );
    std::fs::write(d.join("short.bin"), &bytes[..100]).unwrap();
    fails(
        &["phase1", "verify", "short.bin"],
        d,
        1,
        "integrity hash mismatch",
    );
    fails(
        &["phase2", "new", "--circuit", "input", "p3.bin", "i0.bin"],
        d,
        2,
        "power at least 15",
    );
    fails(
        &["phase2", "new", "--circuit", "nope", "p3.bin", "x.bin"],
        d,
        2,
        "output or input",
    );

    // Phase 2 of the output circuit.
    ok(
        &["phase2", "new", "--circuit", "output", "p3.bin", "o0.bin"],
        d,
    );
    let o = ok(
        &[
            "phase2",
            "contribute",
            "o0.bin",
            "o1.bin",
            "--name",
            "carol",
        ],
        d,
    );
    let v = ok(&["phase2", "verify", "--phase1", "p3.bin", "o1.bin"], d);
    // The transcript for snarkjs (checked against snarkjs itself in
    // sero-ceremony's tests/snarkjs.rs).
    let z = ok(&["phase2", "zkey", "o1.bin", "o1.zkey"], d);
    assert_eq!(z["contributions"], 1);
    assert_eq!(&std::fs::read(d.join("o1.zkey")).unwrap()[..4], b"zkey");
    fails(
        &["phase2", "zkey", "p3.bin", "p3.zkey"],
        d,
        1,
        "not a phase 2",
    );
    let t = ok(&["phase1", "ptau", "p3.bin", "p3.ptau"], d);
    assert_eq!(t["power"], 14);
    assert_eq!(&std::fs::read(d.join("p3.ptau")).unwrap()[..4], b"ptau");
    assert_eq!(v["circuit"], "output");
    assert_eq!(v["contributions"][0]["hash"], o["contribution_hash"]);
    // Against another phase 1, or as a phase 1.
    fails(
        &["phase2", "verify", "--phase1", "p2.bin", "o1.bin"],
        d,
        1,
        "another phase 1",
    );
    fails(
        &["phase1", "verify", "o1.bin"],
        d,
        1,
        "not a phase 1 transcript",
    );
    // Export wants both circuits.
    fails(
        &[
            "phase2", "export", "--phase1", "p3.bin", "o1.bin", "o1.bin", "params",
        ],
        d,
        1,
        "another circuit",
    );
}

#[test]
fn a_testnet_on_ceremony_parameters() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // Stand-in for exported ceremony parameters: not the development ones.
    let mut params = sero_zk::Parameters::generate_insecure(b"cli_ceremony stand-in").unwrap();
    params.insecure = false;
    std::fs::create_dir_all(d.join("ceremony")).unwrap();
    let mut f = std::fs::File::create(d.join("ceremony/params.bin")).unwrap();
    params.write(&mut f).unwrap();
    drop(f);
    let net = d.join("net");
    let o = Command::new(SERO)
        .args(["testnet", "--nodes", "1", "--init-only", "--json", "--dir"])
        .arg(&net)
        .arg("--params")
        .arg(d.join("ceremony"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let g: Value =
        serde_json::from_str(&std::fs::read_to_string(net.join("genesis.json")).unwrap()).unwrap();
    assert_eq!(g["dev"], false);
    assert_eq!(g["vk_hash"], hex::encode(params.vk_hash()));
    assert_eq!(
        std::fs::read(net.join("params.bin")).unwrap(),
        std::fs::read(d.join("ceremony/params.bin")).unwrap()
    );

    // The development parameters are refused.
    let dev = d.join("dev");
    std::fs::create_dir_all(&dev).unwrap();
    let mut f = std::fs::File::create(dev.join("params.bin")).unwrap();
    sero_zk::Parameters::dev().write(&mut f).unwrap();
    drop(f);
    let o = Command::new(SERO)
        .args(["testnet", "--nodes", "1", "--init-only", "--dir"])
        .arg(d.join("net2"))
        .arg("--params")
        .arg(&dev)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("insecure"), "{}", text(&o));
}
