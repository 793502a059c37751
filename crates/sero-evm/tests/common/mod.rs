//! Test helpers: the real Solidity compiler (solcjs from the npm registry),
//! a tiny ABI encoder and a chain over `MemState`.
#![allow(dead_code)]

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_assets::Asset;
use sero_evm::{
    execute, make_prefix, Action, Address, Env, EvmConfig, ExecutionOutcome, MemState, StateView,
    U256,
};
use sero_keys::{OneTimeAddress, SecretKey, Seed};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The compiler version the contracts (`pragma solidity ^0.4.24`) need.
pub const SOLC_VERSION: &str = "0.4.26";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn version_ok(bin: &Path) -> bool {
    Command::new(bin)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).starts_with(SOLC_VERSION))
        .unwrap_or(false)
}

/// Finds `solcjs` (env `SOLCJS`, `PATH`, `<repo>/target/solc`), installing
/// it with npm into `<repo>/target/solc` if absent.
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

/// Every contract of `contracts/`, compiled once: name -> creation bytecode.
pub fn contracts() -> &'static HashMap<String, Vec<u8>> {
    static C: OnceLock<HashMap<String, Vec<u8>>> = OnceLock::new();
    C.get_or_init(|| {
        let dir = repo_root().join("contracts");
        let out = std::env::temp_dir().join(format!("sero-evm-solc-{}", std::process::id()));
        std::fs::create_dir_all(&out).unwrap();
        let files = [
            "SeroInterface.sol",
            "TokenSale.sol",
            "Src20.sol",
            "Kitty.sol",
            "TicketRelay.sol",
            "Vault.sol",
            "Airdrop.sol",
            "SealedBidAuction.sol",
            "test/Probe.sol",
            "test/Erc20.sol",
        ];
        let o = Command::new(solcjs())
            .current_dir(&dir)
            .args(["--bin", "--optimize", "-o"])
            .arg(&out)
            .args(files)
            .output()
            .expect("run solcjs");
        assert!(
            o.status.success(),
            "solcjs failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let mut m = HashMap::new();
        for e in std::fs::read_dir(&out).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if let Some(stem) = name.strip_suffix(".bin") {
                let contract = stem.rsplit('_').next().unwrap().to_string();
                let hexs = std::fs::read_to_string(&p).unwrap();
                m.insert(contract, hex::decode(hexs.trim()).unwrap());
            }
        }
        let _ = std::fs::remove_dir_all(&out);
        m
    })
}

pub fn code(name: &str) -> Vec<u8> {
    contracts()
        .get(name)
        .unwrap_or_else(|| panic!("contract {name} not compiled"))
        .clone()
}

/// ABI argument.
#[derive(Clone, Debug)]
pub enum Tok {
    U(U256),
    A(Address),
    B(U256),
    S(String),
    Addrs(Vec<Address>),
}

pub fn u(x: u128) -> Tok {
    Tok::U(U256::from(x))
}
pub fn s(x: &str) -> Tok {
    Tok::S(x.to_string())
}

pub fn selector(sig: &str) -> [u8; 4] {
    let h = sero_evm::engine_keccak(sig.as_bytes());
    [h[0], h[1], h[2], h[3]]
}

/// Standard ABI encoding of `args` (head/tail).
pub fn encode(args: &[Tok]) -> Vec<u8> {
    let mut head = Vec::new();
    let mut tail = Vec::new();
    let hl = 32 * args.len();
    for a in args {
        match a {
            Tok::U(v) | Tok::B(v) => head.extend_from_slice(&v.to_be_bytes::<32>()),
            Tok::A(a) => {
                head.extend_from_slice(&[0u8; 12]);
                head.extend_from_slice(a.as_slice());
            }
            Tok::S(st) => {
                head.extend_from_slice(&U256::from(hl + tail.len()).to_be_bytes::<32>());
                tail.extend_from_slice(&U256::from(st.len()).to_be_bytes::<32>());
                let mut b = st.as_bytes().to_vec();
                while b.len() % 32 != 0 {
                    b.push(0);
                }
                tail.extend_from_slice(&b);
            }
            Tok::Addrs(v) => {
                head.extend_from_slice(&U256::from(hl + tail.len()).to_be_bytes::<32>());
                tail.extend_from_slice(&U256::from(v.len()).to_be_bytes::<32>());
                for a in v {
                    tail.extend_from_slice(&[0u8; 12]);
                    tail.extend_from_slice(a.as_slice());
                }
            }
        }
    }
    head.extend(tail);
    head
}

pub fn calldata(sig: &str, args: &[Tok]) -> Vec<u8> {
    let mut v = selector(sig).to_vec();
    v.extend(encode(args));
    v
}

pub fn word(out: &[u8], i: usize) -> U256 {
    U256::from_be_slice(&out[32 * i..32 * (i + 1)])
}

/// A fresh PKr from a deterministic key.
pub fn pkr(n: u64) -> OneTimeAddress {
    let mut rng = ChaCha20Rng::seed_from_u64(n);
    let seed = Seed::random(&mut rng);
    let sk = SecretKey::from_seed(&seed);
    sk.payment_address().derive_pkr(&mut rng)
}

/// A chain of executions over an in-memory state.
pub struct Chain {
    pub state: MemState,
    pub cfg: EvmConfig,
    pub height: u64,
    pub gas_limit: u64,
}

impl Default for Chain {
    fn default() -> Self {
        Chain {
            state: MemState::new(),
            cfg: EvmConfig::default(),
            height: 1,
            gas_limit: 5_000_000,
        }
    }
}

impl Chain {
    pub fn env(&self, from: &OneTimeAddress, asset: Option<Asset>, action: Action) -> Env {
        let mut h = [0u8; 32];
        h[..8].copy_from_slice(&self.height.to_be_bytes());
        h[31] = 0xaa;
        Env {
            height: self.height,
            time: 1_700_000_000 + self.height,
            tx_hash: h,
            gas_limit: self.gas_limit,
            from: *from,
            asset,
            action,
        }
    }

    pub fn run(&mut self, env: &Env) -> ExecutionOutcome {
        let out = execute(&self.state, &self.cfg, env).expect("execution");
        self.state.apply(&out.changes);
        self.height += 1;
        out
    }

    pub fn deploy(
        &mut self,
        from: &OneTimeAddress,
        name: &str,
        args: &[Tok],
        asset: Option<Asset>,
    ) -> (Address, ExecutionOutcome) {
        let mut init = code(name);
        init.extend(encode(args));
        let data = make_prefix([0u8; 16], &[], &init);
        let env = self.env(from, asset, Action::Create { data });
        let out = self.run(&env);
        assert!(out.is_success(), "deploy {name}: {:?}", out.status);
        (out.created.expect("created"), out)
    }

    pub fn call(
        &mut self,
        from: &OneTimeAddress,
        to: Address,
        sig: &str,
        args: &[Tok],
        asset: Option<Asset>,
    ) -> ExecutionOutcome {
        self.call_listing(from, to, sig, args, asset, &[])
    }

    pub fn call_listing(
        &mut self,
        from: &OneTimeAddress,
        to: Address,
        sig: &str,
        args: &[Tok],
        asset: Option<Asset>,
        listed: &[OneTimeAddress],
    ) -> ExecutionOutcome {
        let data = make_prefix([0u8; 16], listed, &calldata(sig, args));
        let env = self.env(from, asset, Action::Call { to, data });
        self.run(&env)
    }

    pub fn book(&self, a: &Address, cur: &str) -> U256 {
        self.state
            .book(a, &sero_assets::Currency::new(cur).unwrap())
            .unwrap()
    }
}
