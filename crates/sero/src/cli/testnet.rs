//! `sero testnet`: a local multi-node network on loopback with a shared
//! genesis — N validator processes (`sero node`), each with its own data
//! directory, validator key and node identity, connected to one another.

use crate::output::{fail, CliError, Report};
use clap::Args;
use serde_json::json;
use sero_consensus::ba::{BaParams, ValidatorKeys};
use sero_crypto::Scalar;
use sero_network::NodeKey;
use sero_node::genesis::{Genesis, GenesisJson, PremineJson, ValidatorJson};
use sero_zk::params::{Parameters, DEV_SEED, DEV_VK_HASH};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Args)]
pub struct TestnetArgs {
    /// Number of validator nodes.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=32))]
    pub nodes: u32,
    /// Directory for the genesis file and the nodes' data directories.
    #[arg(long, default_value = ".sero-testnet")]
    pub dir: PathBuf,
    /// First libp2p port (node i listens on base + i).
    #[arg(long, default_value_t = 30400)]
    pub base_port: u16,
    /// First JSON-RPC port (node i serves on base + i).
    #[arg(long, default_value_t = 9600)]
    pub rpc_base_port: u16,
    /// Stake of each validator.
    #[arg(long, default_value_t = 1000)]
    pub stake: u64,
    /// Only write the genesis and the node configurations (printed as
    /// command lines), do not start the nodes.
    #[arg(long)]
    pub init_only: bool,
    /// Delete the directory first.
    #[arg(long)]
    pub reset: bool,
    /// Blocks between finality checkpoints (the validators sign every
    /// K-th final block, so that a new node can join from a snapshot
    /// checking one signature set per K blocks).
    #[arg(long, value_name = "K", default_value_t = sero_node::genesis::DEFAULT_CHECKPOINT_INTERVAL,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub checkpoint_interval: u64,
    /// How many recent note-tree roots (one per block) are valid anchors:
    /// a transaction proved against an older root is refused. A chain
    /// rule of the genesis.
    #[arg(long, value_name = "BLOCKS", default_value_t = sero_tree::DEFAULT_ANCHOR_WINDOW as u64,
          value_parser = clap::value_parser!(u64).range(1..=sero_node::genesis::MAX_ANCHOR_WINDOW))]
    pub anchor_window: u64,
}

/// `sero testnet`: [`TestnetArgs`] and the parameters to run on.
#[derive(Args)]
pub struct TestnetCli {
    #[command(flatten)]
    pub args: TestnetArgs,
    /// Run on the parameters of a ceremony (`sero ceremony phase2 export
    /// DIR` wrote DIR/params.bin) instead of the insecure development
    /// ones: the genesis pins their vk hash and is not marked dev.
    #[arg(long, value_name = "DIR")]
    pub params: Option<PathBuf>,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The parameter file of a testnet, next to its genesis.
pub const PARAMS_FILE: &str = "params.bin";

/// One node's command line.
pub struct NodePlan {
    pub dir: PathBuf,
    pub key: PathBuf,
    pub listen: String,
    pub rpc: String,
    pub bootnodes: Vec<String>,
}

impl NodePlan {
    pub fn args(&self, genesis: &Path) -> Vec<String> {
        let mut a = vec![
            "node".to_string(),
            "--datadir".into(),
            self.dir.display().to_string(),
            "--genesis".into(),
            genesis.display().to_string(),
            "--validator-key".into(),
            self.key.display().to_string(),
            "--listen".into(),
            self.listen.clone(),
            "--rpc-addr".into(),
            self.rpc.clone(),
        ];
        for b in &self.bootnodes {
            a.push("--bootnode".into());
            a.push(b.clone());
        }
        a
    }
}

/// Writes (or reuses) the testnet's genesis and keys, on the development
/// parameters.
pub fn init(args: &TestnetArgs) -> Result<(PathBuf, Vec<NodePlan>), CliError> {
    init_with(args, None)
}

/// [`init`] on the parameters of `params_dir`/params.bin when given (copied
/// next to the genesis, which pins their vk hash and is not `dev`).
pub fn init_with(
    args: &TestnetArgs,
    params_dir: Option<&Path>,
) -> Result<(PathBuf, Vec<NodePlan>), CliError> {
    let genesis_path = args.dir.join("genesis.json");
    std::fs::create_dir_all(&args.dir)
        .map_err(|e| fail(format!("cannot create {}: {e}", args.dir.display())))?;
    let dev = crate::cli::dev::dev_account();
    let pk = dev.payment_address();
    let mut validators = vec![];
    let mut ids = vec![];
    let mut plans = vec![];
    for i in 0..args.nodes {
        let dir = args.dir.join(format!("node{i}"));
        std::fs::create_dir_all(&dir).map_err(fail)?;
        let key = dir.join("validator.key");
        if !key.exists() {
            let mut seed = [0u8; 32];
            rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut seed);
            std::fs::write(&key, hex::encode(seed)).map_err(fail)?;
        }
        let keys = crate::cli::node::read_validator_key(&key)?;
        validators.push(validator_json(&keys, args.stake, &pk, i));
        let nk = NodeKey::load_or_create(dir.join("p2p.key")).map_err(fail)?;
        ids.push(nk.peer_id());
        plans.push(NodePlan {
            dir,
            key,
            listen: format!("/ip4/127.0.0.1/tcp/{}", args.base_port as u32 + i),
            rpc: format!("127.0.0.1:{}", args.rpc_base_port as u32 + i),
            bootnodes: vec![],
        });
    }
    for (i, p) in plans.iter_mut().enumerate() {
        for (j, id) in ids.iter().enumerate() {
            if i != j {
                p.bootnodes.push(format!(
                    "/ip4/127.0.0.1/tcp/{}/p2p/{id}",
                    args.base_port as usize + j
                ));
            }
        }
    }
    let params_path = args.dir.join(PARAMS_FILE);
    let mut vk_hash = DEV_VK_HASH;
    if let Some(src_dir) = params_dir {
        let src = src_dir.join(PARAMS_FILE);
        let file = std::fs::File::open(&src)
            .map_err(|e| fail(format!("cannot open {}: {e}", src.display())))?;
        let params = Parameters::read(std::io::BufReader::new(file))
            .map_err(|e| fail(format!("{}: {e}", src.display())))?;
        if params.is_insecure() {
            return Err(fail(format!(
                "{} holds insecure parameters: --params wants a ceremony's",
                src.display()
            )));
        }
        vk_hash = params.vk_hash();
        if genesis_path.exists() {
            let g: GenesisJson =
                serde_json::from_slice(&std::fs::read(&genesis_path).map_err(fail)?)
                    .map_err(|e| fail(format!("{}: {e}", genesis_path.display())))?;
            if g.vk_hash != hex::encode(vk_hash) {
                return Err(fail(format!(
                    "{} pins other parameters (vk_hash {}); use --reset",
                    genesis_path.display(),
                    g.vk_hash
                )));
            }
        }
        std::fs::copy(&src, &params_path).map_err(|e| {
            fail(format!(
                "cannot copy {} to {}: {e}",
                src.display(),
                params_path.display()
            ))
        })?;
    } else if !params_path.exists() {
        eprintln!("generating INSECURE development zk parameters into {PARAMS_FILE}...");
        let params = Parameters::generate_insecure(DEV_SEED).map_err(fail)?;
        let tmp = args.dir.join(format!("{PARAMS_FILE}.tmp"));
        let file = std::fs::File::create(&tmp).map_err(fail)?;
        params.write(std::io::BufWriter::new(file)).map_err(fail)?;
        std::fs::rename(&tmp, &params_path).map_err(fail)?;
    }
    if !genesis_path.exists() {
        let mut seed = [0u8; 32];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut seed);
        let premine = (1..=crate::cli::dev::DEV_NOTES)
            .map(|i| PremineJson {
                pkr: pk.derive_pkr_with(&Scalar::from(i)).to_string(),
                value: crate::cli::dev::DEV_NOTE_VALUE.to_string(),
            })
            .collect();
        let g = GenesisJson {
            name: format!("sero-testnet-{}", args.nodes),
            time: now(),
            seed: hex::encode(seed),
            // A local development network, on the development parameters
            // unless --params names a ceremony's.
            dev: params_dir.is_none(),
            vk_hash: hex::encode(vk_hash),
            params: Some(PARAMS_FILE.into()),
            premine,
            validators,
            consensus: BaParams::devnet(),
            license: None,
            checkpoint_interval: args.checkpoint_interval,
            anchor_window: args.anchor_window,
        };
        Genesis::from_json(g.clone()).map_err(fail)?;
        std::fs::write(
            &genesis_path,
            serde_json::to_string_pretty(&g).map_err(fail)?,
        )
        .map_err(fail)?;
    }
    Ok((genesis_path, plans))
}

fn validator_json(
    keys: &ValidatorKeys,
    stake: u64,
    pk: &sero_keys::PaymentAddress,
    i: u32,
) -> ValidatorJson {
    ValidatorJson {
        vote_key: hex::encode(keys.vote.public_key().to_bytes()),
        vrf_key: hex::encode(keys.vrf.public_key().to_bytes()),
        stake,
        refund: pk
            .derive_pkr_with(&Scalar::from(1000 + i as u64))
            .to_string(),
    }
}

/// Starts `sero <args>` (this executable) with its output in
/// `dir/node.log`, logging at `RUST_LOG` (default `info`).
pub fn spawn_node(args: &[String], dir: &Path) -> Result<Child, CliError> {
    let exe = std::env::current_exe().map_err(fail)?;
    let log = std::fs::File::create(dir.join("node.log")).map_err(fail)?;
    Command::new(&exe)
        .args(args)
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
        )
        .stdout(log.try_clone().map_err(fail)?)
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| fail(format!("cannot start {}: {e}", exe.display())))
}

struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub fn run(cli: TestnetCli) -> Result<Report, CliError> {
    let args = cli.args;
    if args.reset && args.dir.exists() {
        std::fs::remove_dir_all(&args.dir)
            .map_err(|e| fail(format!("cannot reset {}: {e}", args.dir.display())))?;
    }
    let (genesis, plans) = init_with(&args, cli.params.as_deref())?;
    let commands: Vec<Vec<String>> = plans.iter().map(|p| p.args(&genesis)).collect();
    if args.init_only {
        let human = commands
            .iter()
            .map(|c| format!("sero {}", c.join(" ")))
            .collect::<Vec<_>>()
            .join("\n");
        return Ok(Report::new(
            human,
            json!({
                "genesis": genesis.display().to_string(),
                "dev_mnemonic": crate::cli::dev::dev_mnemonic(),
                "nodes": plans.iter().zip(&commands).map(|(p, c)| json!({
                    "datadir": p.dir.display().to_string(),
                    "rpc": format!("http://{}", p.rpc),
                    "listen": p.listen,
                    "args": c,
                })).collect::<Vec<_>>(),
            }),
        ));
    }
    let mut children = Children(vec![]);
    println!("SERO local testnet: {} validators on loopback", plans.len());
    println!("  genesis : {}", genesis.display());
    for (p, c) in plans.iter().zip(&commands) {
        let child = spawn_node(c, &p.dir)?;
        println!(
            "  node    : rpc http://{}  p2p {}  log {}",
            p.rpc,
            p.listen,
            p.dir.join("node.log").display()
        );
        children.0.push(child);
    }
    println!("Ctrl-C stops every node.");
    let rt = tokio::runtime::Runtime::new().map_err(fail)?;
    rt.block_on(async {
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            for (i, c) in children.0.iter_mut().enumerate() {
                if let Ok(Some(status)) = c.try_wait() {
                    eprintln!("node {i} exited ({status}); see its node.log");
                }
            }
        }
    });
    drop(children);
    Ok(Report::new("testnet stopped", json!({ "stopped": true })))
}
