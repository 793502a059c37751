//! `sero node`: a full node (and, with a validator key, a validator) of a
//! multi-node SERO network: SE-Random consensus over libp2p, JSON-RPC on
//! loopback.

use crate::output::{fail, CliError, Report};
use clap::Args;
use sero_consensus::ba::ValidatorKeys;
use sero_keys::PaymentAddress;
use sero_ledger::license::License;
use sero_network::{Multiaddr, Network, NetworkConfig, NodeKey};
use sero_node::genesis::Genesis;
use sero_node::journal::VoteJournal;
use sero_node::service::{Service, ServiceConfig};
use sero_node::{Chain, Mempool, Node};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

#[derive(Args)]
pub struct NodeArgs {
    /// Data directory: chain.redb (the chain), votes.redb (this validator's
    /// vote journal), p2p.key (the node identity). Created if missing.
    #[arg(long)]
    pub datadir: PathBuf,
    /// The network's genesis file (the same on every node).
    #[arg(long)]
    pub genesis: PathBuf,
    /// This validator's key file (64 hex characters: the seed of its vote
    /// and VRF keys). Without it the node follows the chain but does not vote.
    #[arg(long)]
    pub validator_key: Option<PathBuf>,
    /// libp2p listen address.
    #[arg(long, default_value = "/ip4/127.0.0.1/tcp/30333")]
    pub listen: String,
    /// A peer to connect to, as /ip4/…/tcp/…/p2p/<peer id> (repeatable).
    #[arg(long = "bootnode")]
    pub bootnodes: Vec<String>,
    /// JSON-RPC address (loopback by default; port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:9545")]
    pub rpc_addr: String,
    /// Payment address (PK) that receives this validator's block rewards
    /// (default: the development account of `sero dev`).
    #[arg(long)]
    pub payout: Option<String>,
    /// This validator's mining licence (hex), when the genesis requires one.
    #[arg(long)]
    pub license: Option<String>,
    /// The zk parameter file (default: the genesis's "params", relative to
    /// the genesis file). It must have the genesis's vk_hash; a genesis not
    /// marked "dev" refuses the insecure development parameters.
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Prune block bodies: keep only those of the last N blocks (and of
    /// every block not yet final). Headers, certificates, outputs, spends
    /// and all state stay, so the node validates new blocks, and serves
    /// compact blocks and headers from genesis, but serves full blocks
    /// (RPC, p2p sync) only from its lowest kept body on. Default: an
    /// archive node (keeps every body).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub prune_depth: Option<u64>,
    /// Start from a state snapshot instead of replaying every block: a
    /// snapshot file, or the JSON-RPC URL of any node of the network
    /// (`http://host:port`; its `sero_getSnapshot`). Used only when the
    /// data directory holds no chain yet. Nothing in it is trusted: the
    /// headers are verified from the genesis by their links and the
    /// finality checkpoints (a signature set every K blocks; the BA★
    /// certificates where none covers them), then the whole state against the final tip header (note root,
    /// state root incl. the spent set, validators); a snapshot that fails
    /// is deleted and the node does not start. Blocks after it are synced
    /// from peers as usual; bodies below it are not stored.
    #[arg(long, value_name = "FILE|URL")]
    pub snapshot: Option<String>,
    #[command(flatten)]
    pub web: super::web::WebArgs,
}

/// Reads a validator key file (64 hex characters).
pub fn read_validator_key(path: &Path) -> Result<ValidatorKeys, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| fail(format!("cannot read {}: {e}", path.display())))?;
    let seed: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| {
            CliError::Usage(format!(
                "{}: a validator key is 64 hex characters",
                path.display()
            ))
        })?;
    Ok(ValidatorKeys::from_seed(&seed))
}

pub fn run(args: NodeArgs) -> Result<Report, CliError> {
    let genesis = Genesis::load(&args.genesis).map_err(|e| CliError::Usage(e.to_string()))?;
    let keys = args
        .validator_key
        .as_deref()
        .map(read_validator_key)
        .transpose()?;
    let payout: PaymentAddress = match &args.payout {
        Some(s) => s
            .parse()
            .map_err(|e| CliError::Usage(format!("--payout: {e}")))?,
        None => crate::cli::dev::dev_account().payment_address(),
    };
    let own_license = args
        .license
        .as_deref()
        .map(|h| {
            hex::decode(h)
                .ok()
                .and_then(|b| License::from_bytes(&b).ok())
                .ok_or_else(|| CliError::Usage("--license: not a licence".into()))
        })
        .transpose()?;
    let listen: Multiaddr = args
        .listen
        .parse()
        .map_err(|e| CliError::Usage(format!("--listen: {e}")))?;
    let bootnodes = args
        .bootnodes
        .iter()
        .map(|b| {
            b.parse::<Multiaddr>()
                .map_err(|e| CliError::Usage(format!("--bootnode {b}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    std::fs::create_dir_all(&args.datadir)
        .map_err(|e| fail(format!("cannot create {}: {e}", args.datadir.display())))?;

    let params = Arc::new(
        genesis
            .load_params(&args.genesis, args.params.as_deref())
            .map_err(fail)?,
    );
    let insecure = params.is_insecure();
    if insecure {
        tracing::warn!(
            "development network: {}",
            sero_zk::params::INSECURE_PARAMS_WARNING
        );
    }
    let chain_path = args.datadir.join("chain.redb");
    let mut chain = match &args.snapshot {
        Some(src) if !chain_path.exists() => {
            super::snapshot::join(src, &args.datadir, &chain_path, &genesis, params)?
        }
        other => {
            if other.is_some() {
                println!(
                    "  snapshot       : not used ({} already holds a chain)",
                    chain_path.display()
                );
            }
            Chain::open(&chain_path, params, genesis.chain_config(), || {
                genesis.block()
            })
            .map_err(fail)?
        }
    };
    chain.set_prune_depth(args.prune_depth);
    let genesis_hash = chain.db().hash_at(0).map_err(fail)?.unwrap_or_default();
    let journal = VoteJournal::open(&args.datadir.join("votes.redb")).map_err(fail)?;
    let node_key = NodeKey::load_or_create(args.datadir.join("p2p.key")).map_err(fail)?;
    println!("SERO node ({})", genesis.json.name);
    println!("  data directory : {}", args.datadir.display());
    println!("  genesis        : {}", hex::encode(genesis_hash));
    println!("  zk vk hash     : {}", hex::encode(genesis.vk_hash));
    if insecure {
        println!(
            "  WARNING: development network on INSECURE zk parameters (anyone can forge proofs)"
        );
    }
    println!("  tip            : #{}", chain.tip().0);
    println!("  {}", super::dev::pruning_line(&chain));
    match &keys {
        Some(k) => println!(
            "  validator      : {}",
            hex::encode(k.vote.public_key().to_bytes())
        ),
        None => println!("  validator      : none (following only)"),
    }
    // The mempool is durable: pending transactions survive a restart.
    let (mempool, restored) = Mempool::open(
        &args.datadir.join("mempool.redb"),
        sero_node::mempool::DEFAULT_MAX_TXS,
        sero_node::mempool::DEFAULT_MAX_BYTES,
        &chain,
    )
    .map_err(fail)?;
    if restored > 0 {
        println!("  mempool        : {restored} pending transactions restored");
    }
    let node = Arc::new(Mutex::new(Node { chain, mempool }));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(fail)?;
    rt.block_on(async move {
        // Peers found by discovery are remembered across restarts.
        let net_cfg = NetworkConfig::new(listen, bootnodes, genesis_hash)
            .with_peer_store(args.datadir.join("peers.json"));
        let (net, events) = Network::start(net_cfg, node_key).map_err(fail)?;
        println!("  peer id        : {}", net.local_peer_id());
        for a in net.listen_addrs().await {
            println!("  p2p            : {a}/p2p/{}", net.local_peer_id());
        }
        let (addr, rpc) = sero_rpc::serve_network(
            node.clone(),
            &args.rpc_addr,
            genesis.json.clone(),
            args.datadir.join("snapshots"),
        )
        .await
        .map_err(|e| fail(format!("cannot serve JSON-RPC on {}: {e}", args.rpc_addr)))?;
        println!("  rpc            : http://{addr}");
        let web = match (&args.web.no_web, &args.web.web) {
            (false, Some(a)) => {
                Some(super::web::start(node.clone(), addr, a, args.web.wallet_dir.clone()).await?)
            }
            _ => None,
        };
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            let _ = stop_tx.send(true);
        });
        let svc = ServiceConfig {
            keys,
            payout,
            params: genesis.consensus,
            license: genesis.license,
            own_license,
            journal,
            max_block_txs: 500,
            checkpoint_interval: genesis.checkpoint_interval,
        };
        let r = Service::run(node, net.clone(), events, svc, stop_rx).await;
        let _ = rpc.stop();
        if let Some(w) = web {
            w.stop();
        }
        net.shutdown();
        r.map_err(fail)
    })?;
    Ok(Report::new(
        "stopped",
        serde_json::json!({ "stopped": true }),
    ))
}
