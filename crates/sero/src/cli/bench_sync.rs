//! `sero bench sync`: a fresh node catching up on finalized blocks *with
//! transactions*, in one process. The source is a store of a real network
//! (by default node 0 of a finished `sero bench load` run: blocks full of
//! private transfers, each with its BA★ certificate). Its blocks are read
//! as a peer serves them ([`sero_node::sync::serve_blocks`], ranges of
//! [`MAX_SYNC_BLOCKS`]), encoded and decoded as the `Blocks` sync message,
//! and applied to a fresh store of the same genesis by
//! [`sero_node::sync::apply_range`], the function the node's service calls
//! for every range a peer sends: the range's transactions verified as one
//! batch, then per block certificate, seal, every ledger rule, the redb
//! commit, the finalized height and the mempool prune.
//!
//! What it leaves out of networked sync: the transfer (libp2p
//! request-response on loopback, one request per range) and the service's
//! wait between ranges. `sero bench network` measures those on empty
//! blocks.

use super::{cpu_since, load_average, process_cpu_s, progress, TempDir};
use crate::output::{fail, CliError, Report};
use clap::Args;
use serde_json::json;
use sero_node::genesis::Genesis;
use sero_node::sync::{apply_range, serve_blocks};
use sero_node::wire::{SyncResponse, SyncedBlock, MAX_SYNC_BLOCKS};
use sero_node::{Chain, Mempool, Node};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Args)]
pub struct SyncArgs {
    /// A `sero bench load` directory: its genesis.json and the store of
    /// node 0 (see --store) are the source.
    #[arg(long, default_value = ".sero-bench-load")]
    from: PathBuf,
    /// The source store (default: FROM/node0/chain.redb). Only read: a
    /// copy is opened.
    #[arg(long)]
    store: Option<PathBuf>,
    /// The genesis file (default: FROM/genesis.json).
    #[arg(long)]
    genesis: Option<PathBuf>,
    /// Fresh syncs timed (the median is reported).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    runs: u32,
    /// One run (what the tests run).
    #[arg(long)]
    quick: bool,
}

struct Run {
    wall: f64,
    cpu: Option<f64>,
    blocks: u64,
    txs: u64,
    /// Input and output proofs of the applied transactions.
    proofs: u64,
}

pub fn run(args: SyncArgs, quiet: bool) -> Result<Report, CliError> {
    let runs = if args.quick { 1 } else { args.runs };
    let genesis_path = args
        .genesis
        .clone()
        .unwrap_or_else(|| args.from.join("genesis.json"));
    let store = args
        .store
        .clone()
        .unwrap_or_else(|| args.from.join("node0").join("chain.redb"));
    if !store.exists() {
        return Err(CliError::Usage(format!(
            "no store at {} (run `sero bench load --dir {}` first, or pass --store)",
            store.display(),
            args.from.display()
        )));
    }
    let genesis = Genesis::load(&genesis_path).map_err(|e| CliError::Usage(e.to_string()))?;
    let params = Arc::new(genesis.load_params(&genesis_path, None).map_err(fail)?);
    let scratch =
        TempDir(std::env::temp_dir().join(format!("sero-bench-sync-{}", std::process::id())));
    std::fs::create_dir_all(scratch.path()).map_err(fail)?;
    let open = |path: &std::path::Path| {
        Chain::open(path, params.clone(), genesis.chain_config(), || {
            genesis.block()
        })
        .map_err(fail)
    };

    // The source's ranges, as they travel: one `Blocks` message each.
    let copy = scratch.path().join("source.redb");
    std::fs::copy(&store, &copy)
        .map_err(|e| fail(format!("cannot copy {}: {e}", store.display())))?;
    let source = open(&copy)?;
    let (tip, _) = source.tip();
    let final_height = source.db().finalized_height().map_err(fail)?;
    let mut messages: Vec<Vec<u8>> = vec![];
    let mut from = 1;
    while from <= tip {
        let range = serve_blocks(&source, from, MAX_SYNC_BLOCKS);
        if range.is_empty() {
            break;
        }
        from += range.len() as u64;
        messages.push(SyncResponse::Blocks(range).to_bytes());
    }
    drop(source);
    let bytes: usize = messages.iter().map(Vec::len).sum();
    // Transactions per block of each range, counted before the clock runs.
    let counts: Vec<Vec<[u64; 2]>> = messages
        .iter()
        .map(|m| match SyncResponse::from_bytes(m) {
            Ok(SyncResponse::Blocks(range)) => range.iter().map(tx_count).collect(),
            _ => vec![],
        })
        .collect();
    let source_txs: u64 = counts.iter().flatten().map(|c| c[0]).sum();

    let mut results = vec![];
    for i in 0..runs {
        let dir = scratch.path().join(format!("run{i}"));
        std::fs::create_dir_all(&dir).map_err(fail)?;
        let chain = open(&dir.join("chain.redb"))?;
        let node = Mutex::new(Node {
            chain,
            mempool: Mempool::new(sero_node::mempool::DEFAULT_MAX_TXS),
        });
        let pb = progress(tip, &format!("sync run {}/{runs}", i + 1), quiet);
        let cpu0 = process_cpu_s();
        let t = Instant::now();
        let (mut blocks, mut txs, mut proofs) = (0u64, 0u64, 0u64);
        for (m, in_range) in messages.iter().zip(&counts) {
            // Decoding the message is part of the work of a syncing node.
            let Ok(SyncResponse::Blocks(range)) = SyncResponse::from_bytes(m) else {
                return Err(fail("the source's range does not decode"));
            };
            let n = range.len();
            let out = apply_range(
                &node,
                &genesis.consensus,
                genesis.license.as_ref(),
                &"source",
                range,
            )
            .map_err(fail)?;
            blocks += out.applied as u64;
            txs += in_range[..out.applied].iter().map(|c| c[0]).sum::<u64>();
            proofs += in_range[..out.applied].iter().map(|c| c[1]).sum::<u64>();
            pb.set_position(blocks);
            if out.applied < n {
                break;
            }
        }
        let wall = t.elapsed().as_secs_f64();
        let (cpu, _) = cpu_since(cpu0, 1);
        pb.finish_and_clear();
        let node = node.into_inner().map_err(|_| fail("node lock poisoned"))?;
        let synced = node.chain.tip().0;
        let finalized = node.chain.db().finalized_height().map_err(fail)?;
        if synced < final_height || finalized < final_height {
            return Err(fail(format!(
                "synced to #{synced} (final #{finalized}); the source is final at #{final_height} (tip #{tip})"
            )));
        }
        drop(node);
        let _ = std::fs::remove_dir_all(&dir);
        if !quiet {
            eprintln!(
                "run {}: {blocks} blocks, {txs} transactions in {wall:.3} s ({:.0} tx/s)",
                i + 1,
                txs as f64 / wall.max(1e-9)
            );
        }
        results.push(Run {
            wall,
            cpu,
            blocks,
            txs,
            proofs,
        });
    }
    results.sort_by(|a, b| a.wall.partial_cmp(&b.wall).expect("no NaN"));
    let m = &results[results.len() / 2];
    let tps = m.txs as f64 / m.wall.max(1e-9);
    let bps = m.blocks as f64 / m.wall.max(1e-9);
    let cpu_per_tx_ms = m.cpu.filter(|_| m.txs > 0).map(|c| 1e3 * c / m.txs as f64);
    let load = load_average();
    let walls: Vec<f64> = results.iter().map(|r| r.wall).collect();
    let human = format!(
        "source: {} (tip #{tip}, final #{final_height}, {source_txs} transactions, {:.1} MiB in {} ranges)\n\
         fresh node, median of {runs}: {} blocks, {} transactions ({} input and output proofs) in {:.3} s\n\
         {bps:.1} blocks/s, {tps:.0} tx/s, CPU {} per transaction ({} s in all)\n\
         load average: {}",
        store.display(),
        bytes as f64 / (1 << 20) as f64,
        messages.len(),
        m.blocks,
        m.txs,
        m.proofs,
        m.wall,
        cpu_per_tx_ms
            .map(|c| format!("{c:.2} ms"))
            .unwrap_or_else(|| "-".into()),
        m.cpu.map(|c| format!("{c:.2}")).unwrap_or_else(|| "-".into()),
        load.map(|l| format!("{:.2} {:.2} {:.2}", l[0], l[1], l[2]))
            .unwrap_or_else(|| "-".into()),
    );
    Ok(Report::new(
        human,
        json!({
            "source": store.display().to_string(),
            "source_tip": tip,
            "source_final": final_height,
            "source_txs": source_txs,
            "ranges": messages.len(),
            "bytes": bytes,
            "runs": runs,
            "blocks": m.blocks,
            "txs": m.txs,
            "proofs": m.proofs,
            "wall_s": m.wall,
            "wall_s_all": walls,
            "blocks_per_s": bps,
            "tx_per_s": tps,
            "cpu_s": m.cpu,
            "cpu_per_tx_ms": cpu_per_tx_ms,
            "load_average": load,
        }),
    ))
}

/// Transactions and proofs (inputs + outputs) in a served block (none when
/// the body does not decode: the apply refuses it anyway).
fn tx_count(sb: &SyncedBlock) -> [u64; 2] {
    sero_ledger::block::Block::from_parts(&sb.header, &sb.body).map_or([0, 0], |b| {
        [
            b.txs.len() as u64,
            b.txs
                .iter()
                .map(|t| (t.inputs.len() + t.outputs.len()) as u64)
                .sum(),
        ]
    })
}
