//! `sero dev`: a single-node development chain on an embedded store.

use crate::output::{fail, CliError, Report};
use clap::Args;
use sero_crypto::Scalar;
use sero_keys::{SecretKey, Seed};
use sero_ledger::block::Seal;
use sero_node::chain::genesis_block;
use sero_node::{Chain, ChainConfig, Mempool};
use sero_rpc::Node;
use sero_zk::params::{Parameters, DEV_SEED};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The development account's seed: public, funded at genesis. Never use it
/// for anything of value.
pub const DEV_ACCOUNT_SEED: [u8; 32] = [0x5e; 32];
/// SERO in each of the development account's genesis notes.
pub const DEV_NOTE_VALUE: u128 = 1_000_000;
/// Number of genesis notes.
pub const DEV_NOTES: u64 = 8;

/// The development account (public seed): funded by `sero dev` and by
/// every `sero testnet` genesis.
pub fn dev_account() -> SecretKey {
    SecretKey::from_seed(&Seed::from_bytes(DEV_ACCOUNT_SEED))
}

/// The development account's mnemonic.
pub fn dev_mnemonic() -> String {
    Seed::from_bytes(DEV_ACCOUNT_SEED).to_mnemonic().to_string()
}

#[derive(Args)]
pub struct DevArgs {
    /// Data directory (created if missing, reused if present).
    #[arg(long, default_value = ".sero-dev")]
    datadir: PathBuf,
    /// Address of the JSON-RPC server (loopback by default). The web app
    /// listens on the next port unless --web says otherwise.
    #[arg(long, default_value = "127.0.0.1:9545")]
    rpc_addr: String,
    /// Seconds between blocks when nothing is pending (a pending
    /// transaction gets a block at once, see --interval-only).
    #[arg(long, default_value_t = 3)]
    block_time: u64,
    /// Produce blocks only every --block-time seconds. By default a block
    /// is also made as soon as a transaction is pending (within 50 ms of
    /// its admission, as anvil's and Hardhat's automine do), so a
    /// `wallet send --wait` returns without waiting out the interval.
    #[arg(long)]
    interval_only: bool,
    /// Delete the data directory first (a fresh chain).
    #[arg(long)]
    reset: bool,
    /// Stop after this many new blocks (default: run until Ctrl-C).
    #[arg(long)]
    blocks: Option<u64>,
    /// Prune block bodies: keep only those of the last N blocks (and of
    /// every block not yet final). Headers, certificates, outputs, spends
    /// and all state stay, so the node validates new blocks, and serves
    /// compact blocks and headers from genesis, but serves full blocks
    /// (RPC, p2p sync) only from its lowest kept body on. Default: an
    /// archive node (keeps every body).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    prune_depth: Option<u64>,
    #[command(flatten)]
    web: super::web::WebArgs,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub fn run(args: DevArgs) -> Result<Report, CliError> {
    if args.reset && args.datadir.exists() {
        std::fs::remove_dir_all(&args.datadir)
            .map_err(|e| fail(format!("cannot reset {}: {e}", args.datadir.display())))?;
    }
    std::fs::create_dir_all(&args.datadir)
        .map_err(|e| fail(format!("cannot create {}: {e}", args.datadir.display())))?;
    let dev = SecretKey::from_seed(&Seed::from_bytes(DEV_ACCOUNT_SEED));
    let pk = dev.payment_address();
    println!("SERO development chain");
    println!("  data directory : {}", args.datadir.display());
    println!("  dev account    : {pk}");
    println!(
        "  dev mnemonic   : {}",
        Seed::from_bytes(DEV_ACCOUNT_SEED).to_mnemonic()
    );
    println!("  dev trace key  : {}", dev.trace_key());
    println!("  WARNING: the dev account and the zk parameters are public and INSECURE.");

    tracing::warn!("generating INSECURE development zk parameters from a public seed");
    let params = Arc::new(Parameters::generate_insecure(DEV_SEED).map_err(fail)?);
    println!("  zk vk hash     : {}", hex::encode(params.vk_hash()));
    let genesis_pkrs: Vec<_> = (1..=DEV_NOTES)
        .map(|i| pk.derive_pkr_with(&Scalar::from(i)))
        .collect();
    let cfg = ChainConfig::dev();
    let mut chain = Chain::open(
        &args.datadir.join("chain.redb"),
        params,
        cfg.clone(),
        || {
            let premine: Vec<_> = genesis_pkrs.iter().map(|p| (*p, DEV_NOTE_VALUE)).collect();
            genesis_block(&premine, &[], now(), &cfg)
        },
    )
    .map_err(fail)?;
    chain.set_prune_depth(args.prune_depth);
    println!("  tip            : #{}", chain.tip().0);
    println!("  {}", pruning_line(&chain));
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

    let rt = tokio::runtime::Runtime::new().map_err(fail)?;
    rt.block_on(async move {
        let (addr, handle) = sero_rpc::serve(node.clone(), &args.rpc_addr)
            .await
            .map_err(|e| fail(format!("cannot serve JSON-RPC on {}: {e}", args.rpc_addr)))?;
        println!("  rpc            : http://{addr}");
        let web = match (&args.web.no_web, &args.web.web) {
            (true, _) => None,
            (false, Some(a)) => {
                Some(super::web::start(node.clone(), addr, a, args.web.wallet_dir.clone()).await?)
            }
            // Not asked for: beside the RPC port (a free port when the RPC
            // took one), and a busy port only costs the web app.
            (false, None) => {
                let a = super::web::default_addr(&args.rpc_addr, addr);
                match super::web::start(node.clone(), addr, &a, args.web.wallet_dir.clone()).await {
                    Ok(w) => Some(w),
                    Err(e) => {
                        println!("  web            : not served ({e}; pass --web ADDR)");
                        None
                    }
                }
            }
        };
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let mut produced = 0u64;
        let interval = Duration::from_secs(args.block_time.max(1));
        // Polled every 50 ms: a block when the interval has passed, or at
        // once when a transaction is pending (unless --interval-only).
        let mut poll = tokio::time::interval(Duration::from_millis(50));
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last = tokio::time::Instant::now();
        let mut offered: std::collections::HashSet<[u8; 32]> = Default::default();
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        loop {
            tokio::select! {
                _ = poll.tick() => {}
                _ = &mut ctrl_c => break,
            }
            let due = last.elapsed() >= interval;
            // Only transactions that arrived since the last block count: one
            // that a block could not take (a failing contract call, say)
            // waits for the interval instead of making a block every poll.
            let pending = !args.interval_only
                && node
                    .lock()
                    .map(|n| n.mempool.ids().any(|id| !offered.contains(id)))
                    .unwrap_or(false);
            if !due && !pending {
                continue;
            }
            last = tokio::time::Instant::now();
            if let Ok(n) = node.lock() {
                offered = n.mempool.ids().copied().collect();
            }
            let node = node.clone();
            let r = tokio::task::spawn_blocking(move || produce(&node, &pk)).await;
            match r {
                Ok(Ok(line)) => {
                    println!("{line}");
                    let _ = std::io::stdout().flush();
                }
                Ok(Err(e)) => tracing::error!("block production failed: {e}"),
                Err(e) => tracing::error!("block production task failed: {e}"),
            }
            produced += 1;
            if args.blocks.is_some_and(|n| produced >= n) {
                break;
            }
        }
        let _ = handle.stop();
        if let Some(w) = web {
            w.stop();
        }
        Ok::<(), CliError>(())
    })?;
    Ok(Report::new(
        "stopped",
        serde_json::json!({ "stopped": true }),
    ))
}

/// The banner line about pruning.
pub fn pruning_line(chain: &Chain) -> String {
    let from = chain.db().pruned_below().unwrap_or(0);
    match chain.prune_depth() {
        None if from == 0 => "pruning        : none (archive node)".to_string(),
        None => format!("pruning        : off (bodies below #{from} were pruned earlier)"),
        Some(d) => format!(
            "pruning        : keep the bodies of the last {d} blocks (bodies stored from #{from})"
        ),
    }
}

fn produce(node: &Mutex<Node>, pk: &sero_keys::PaymentAddress) -> Result<String, CliError> {
    let mut guard = node.lock().map_err(|_| fail("node lock poisoned"))?;
    let Node { chain, mempool } = &mut *guard;
    let coinbase = pk.derive_pkr(&mut rand_core::OsRng);
    let block = chain
        .build_block(mempool.select(500), &coinbase, now(), Seal::Dev)
        .map_err(fail)?;
    // A single producer: every block is final at once (drops its undo
    // record), in the block's own write.
    chain.apply_final_block(&block).map_err(fail)?;
    mempool.prune(chain);
    let mut line = format!(
        "block #{} {} txs={} notes={} pending={}",
        block.header.height,
        hex::encode(&block.hash()[..8]),
        block.txs.len(),
        block.header.leaf_count,
        mempool.len()
    );
    for t in &block.txs {
        line.push_str(&format!(
            "\n  tx {} inputs={} outputs={} plain={} fee={}",
            hex::encode(t.txid()),
            t.inputs.len(),
            t.outputs.len(),
            t.plain_outputs.len(),
            t.fee
        ));
    }
    Ok(line)
}
