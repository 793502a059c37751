//! `sero node` and the zk parameters its genesis names (issue 9, item 1):
//! a genesis not marked `dev` refuses the insecure development parameters
//! and says why; a `dev` genesis runs on them from the parameter file that
//! `sero testnet` writes next to it; a file with another hash is refused.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

const SERO: &str = env!("CARGO_BIN_EXE_sero");

fn init(dir: &Path) {
    let out = Command::new(SERO)
        .args(["testnet", "--nodes", "1", "--init-only", "--json", "--dir"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

fn node(dir: &Path, genesis: &Path, extra: &[&str]) -> Output {
    let mut child = Command::new(SERO)
        .args(["node", "--datadir"])
        .arg(dir.join("data"))
        .arg("--genesis")
        .arg(genesis)
        .args([
            "--listen",
            "/ip4/127.0.0.1/tcp/0",
            "--rpc-addr",
            "127.0.0.1:0",
        ])
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A refusal exits at once; a node that starts is stopped after a while.
    for _ in 0..300 {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn a_non_dev_genesis_refuses_the_development_parameters() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let gpath = dir.path().join("genesis.json");
    let mut g: Value = serde_json::from_str(&std::fs::read_to_string(&gpath).unwrap()).unwrap();
    assert_eq!(g["dev"], true);
    assert_eq!(g["params"], "params.bin");
    assert!(dir.path().join("params.bin").exists());

    // The same genesis without "dev": refused before anything is opened.
    g["dev"] = Value::Bool(false);
    let prod = dir.path().join("prod.json");
    std::fs::write(&prod, serde_json::to_string(&g).unwrap()).unwrap();
    let out = node(dir.path(), &prod, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("refusing to run"), "{t}");
    assert!(t.contains("INSECURE"), "{t}");
    assert!(t.contains("forge"), "{t}");
    assert!(!dir.path().join("data").join("chain.redb").exists());
}

#[test]
fn a_dev_genesis_runs_on_its_parameter_file_and_refuses_another() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let gpath = dir.path().join("genesis.json");
    // A parameter file that is not the one the genesis names.
    let other = dir.path().join("other.bin");
    std::fs::write(&other, b"SEROZKP\0not parameters").unwrap();
    let out = node(dir.path(), &gpath, &["--params", other.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("other.bin"), "{}", text(&out));
    // Its own file: the node starts and warns loudly.
    let out = node(dir.path(), &gpath, &[]);
    let t = text(&out);
    assert!(t.contains("zk vk hash"), "{t}");
    assert!(t.contains("INSECURE zk parameters"), "{t}");
}
