//! The `sero dev` process shared by the end-to-end tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub mod net;
pub mod proxy;

pub const SERO: &str = env!("CARGO_BIN_EXE_sero");

/// A running `sero dev`, killed when dropped.
pub struct DevNode {
    pub child: Child,
    pub url: String,
    pub mnemonic: String,
}

impl Drop for DevNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `sero dev` on a free loopback port with 1 s blocks and reads its
/// RPC URL and the dev mnemonic from its output.
pub fn start(datadir: &Path) -> DevNode {
    start_with(datadir, 1)
}

/// [`start`] with a block every `block_time` seconds.
pub fn start_with(datadir: &Path, block_time: u64) -> DevNode {
    start_dev(datadir, block_time, &[])
}

/// `sero dev` making blocks only every `block_time` seconds, not as soon as
/// a transaction is pending: for tests that need a transaction to wait.
#[allow(dead_code)]
pub fn start_interval_only(datadir: &Path, block_time: u64) -> DevNode {
    start_dev(datadir, block_time, &["--interval-only"])
}

fn start_dev(datadir: &Path, block_time: u64, extra: &[&str]) -> DevNode {
    let mut child = Command::new(SERO)
        .args(["dev", "--rpc-addr", "127.0.0.1:0", "--block-time"])
        .arg(block_time.to_string())
        .args(extra)
        .arg("--datadir")
        .arg(datadir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sero dev");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut url, mut mnemonic) = (None, None);
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(m) = line.strip_prefix("  dev mnemonic   : ") {
            mnemonic = Some(m.to_string());
        }
        if let Some(u) = line.strip_prefix("  rpc            : ") {
            url = Some(u.to_string());
            break;
        }
    }
    // Keep draining stdout so the node never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    DevNode {
        child,
        url: url.expect("rpc line"),
        mnemonic: mnemonic.expect("mnemonic line"),
    }
}

const SOLC_VERSION: &str = "0.4.26";

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn version_ok(bin: &Path) -> bool {
    Command::new(bin)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).starts_with(SOLC_VERSION))
        .unwrap_or(false)
}

/// `solcjs` from `SOLCJS`, `PATH` or `<repo>/target/solc` (installed there
/// with npm if absent, as `.ci/run` does).
pub fn solcjs() -> PathBuf {
    if let Ok(p) = std::env::var("SOLCJS") {
        return PathBuf::from(p);
    }
    if let Ok(path) = std::env::var("PATH") {
        for dir in std::env::split_paths(&path) {
            let c = dir.join("solcjs");
            if c.is_file() && version_ok(&c) {
                return c;
            }
        }
    }
    let prefix = repo_root().join("target/solc");
    let local = prefix.join("node_modules/.bin/solcjs");
    if !version_ok(&local) {
        let st = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg(format!("solc@{SOLC_VERSION}"))
            .status()
            .expect("npm (Node.js) is needed to install the Solidity compiler");
        assert!(st.success(), "npm install solc@{SOLC_VERSION} failed");
    }
    local
}

/// `sero --json <group> --rpc URL args…` against `node`: (exit code, JSON).
pub fn sero_cli(node: &DevNode, group: &str, args: &[&str]) -> (i32, serde_json::Value) {
    let out = Command::new(SERO)
        .args(["--json", group, "--rpc", &node.url])
        .args(args)
        .env_remove("SERO_MNEMONIC")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap_or(-1), v)
}

/// A new account: (mnemonic, PK).
pub fn new_account() -> (String, String) {
    let out = Command::new(SERO)
        .args(["--json", "keys", "new"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        v["mnemonic"].as_str().unwrap().to_string(),
        v["pk"].as_str().unwrap().to_string(),
    )
}

/// Compiles `contracts/<name>.sol` (with SeroInterface.sol and `more`)
/// into `out` with solcjs: `out/<name>_sol_<name>.{bin,abi}`.
pub fn compile_contract(out: &Path, name: &str, more: &[&str]) -> (PathBuf, PathBuf) {
    let o = Command::new(solcjs())
        .current_dir(repo_root().join("contracts"))
        .args(["--bin", "--abi", "--optimize", "-o"])
        .arg(out)
        .args(["SeroInterface.sol", &format!("{name}.sol")])
        .args(more)
        .output()
        .expect("run solcjs");
    assert!(
        o.status.success(),
        "solcjs: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    (
        out.join(format!("{name}_sol_{name}.bin")),
        out.join(format!("{name}_sol_{name}.abi")),
    )
}
