//! `sero bench history`: what a node and a wallet pay as history grows.
//!
//! One store is grown through each size of `--notes` with synthetic blocks
//! ([`synthetic`]: no proofs, not consensus code). At each size it
//! measures: `Chain::open` time and the resident memory it adds, the store
//! file size, the commit of a 100-output block (`StateDb::apply_block`,
//! tree nodes included, fsync), a wallet catching up one block from its
//! saved state (the `wallet_sync` code of `sero wallet`, fed from the
//! store instead of RPC), and a wallet's full first scan rate (outputs/s,
//! over the first outputs; the full first sync is extrapolated), and a
//! join from a state snapshot (write, then `sero_node::snapshot::join`:
//! import, the header chain from the genesis through the finality
//! checkpoints the synthetic blocks carry, the state check). With
//! `--svg FILE` it draws each figure against the number of notes.

pub mod synthetic;

use crate::cli::wallet_sync::SyncState;
use crate::output::{CliError, Report};
use clap::Args;
use serde_json::{json, Value};
use sero_consensus::ba::{BaParams, ValidatorKeys};
use sero_crypto::curve::encode_base;
use sero_keys::{SecretKey, Seed};
use sero_ledger::block::BlockHeader;
use sero_node::genesis::{Genesis, GenesisJson, PremineJson, ValidatorJson};
use sero_node::Chain;
use sero_rpc::CompactBlock;
use sero_state::StateDb;
use sero_zk::params::{Parameters, DEV_SEED, DEV_VK_HASH};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[derive(Args)]
pub struct HistoryArgs {
    /// Store sizes (notes) to measure, ascending; repeat the flag.
    /// Default: 100000 and 1000000.
    #[arg(long = "notes")]
    notes: Vec<u64>,
    /// Outputs per synthetic block.
    #[arg(long, default_value_t = 1000)]
    per_block: u64,
    /// Small sizes (2,000 and 5,000 notes, 500 per block): checks that the
    /// command works, in seconds.
    #[arg(long)]
    quick: bool,
    /// Keep the store here (default: a temporary directory, removed).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Write the growth plot (SVG) here.
    #[arg(long)]
    svg: Option<PathBuf>,
    /// Blocks between finality checkpoints of the synthetic chain (signed
    /// by its 4 validators); a join checks the headers through them.
    #[arg(long, default_value_t = sero_node::genesis::DEFAULT_CHECKPOINT_INTERVAL,
          value_parser = clap::value_parser!(u64).range(1..))]
    checkpoint_interval: u64,
    /// (internal) only open the chain at --dir and report the time and the
    /// resident memory it added, in this fresh process.
    #[arg(long, hide = true)]
    open_only: bool,
    /// Draw the plot (--svg) from the rows of earlier `--json` runs saved
    /// in these files (repeat the flag), sorted by notes, instead of
    /// running: one plot over sizes measured in separate runs.
    #[arg(long, value_name = "FILE")]
    plot_from: Vec<PathBuf>,
}

fn fail(e: impl std::fmt::Display) -> CliError {
    CliError::Failed(e.to_string())
}

/// Resident memory (VmRSS) of this process, bytes.
fn vm_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// CPU time (user + system, all threads) of this process so far, seconds
/// (`/proc/self/stat`, in clock ticks of 1/100 s).
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // After the command name (in parentheses): state is field 3, utime 14,
    // stime 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    f.get(11)
        .zip(f.get(12))
        .map_or(0.0, |(u, s)| (u + s) as f64 / 100.0)
}

/// The compact block at `h`, read from the store as `sero_getCompactBlocks`
/// serves it (synthetic blocks have no spends).
fn compact(db: &StateDb, h: u64) -> Result<CompactBlock, CliError> {
    let header = |h: u64| -> Result<BlockHeader, CliError> {
        let b = db
            .block_by_height(h)
            .map_err(fail)?
            .ok_or_else(|| fail("block missing"))?;
        BlockHeader::from_bytes(&b.header).map_err(fail)
    };
    let hd = header(h)?;
    let start = match h.checked_sub(1) {
        None => 0,
        Some(p) => header(p)?.leaf_count,
    };
    let mut outputs = vec![];
    let mut pos = start;
    while pos < hd.leaf_count {
        let next = (pos + 10_000).min(hd.leaf_count);
        for (_, r) in db.outputs(pos, next).map_err(fail)? {
            outputs.push(hex::encode(r));
        }
        pos = next;
    }
    Ok(CompactBlock {
        height: h,
        hash: hex::encode(hd.hash()),
        note_root: hex::encode(encode_base(&hd.note_root)),
        start,
        outputs,
        spends: vec![],
    })
}

struct Dir(PathBuf, bool);

impl Drop for Dir {
    fn drop(&mut self) {
        if self.1 {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

pub fn run(a: HistoryArgs, _json: bool) -> Result<Report, CliError> {
    if !a.plot_from.is_empty() {
        let svg = a
            .svg
            .as_ref()
            .ok_or_else(|| CliError::Usage("--plot-from needs --svg FILE".into()))?;
        let mut rows: Vec<Value> = vec![];
        for f in &a.plot_from {
            let text = std::fs::read_to_string(f)
                .map_err(|e| CliError::Usage(format!("{}: {e}", f.display())))?;
            let v: Value = serde_json::from_str(&text)
                .map_err(|e| CliError::Usage(format!("{}: {e}", f.display())))?;
            let r = v["rows"]
                .as_array()
                .ok_or_else(|| CliError::Usage(format!("{}: no \"rows\"", f.display())))?;
            rows.extend(r.iter().cloned());
        }
        rows.sort_by_key(|r| r["notes"].as_u64().unwrap_or(0));
        std::fs::write(svg, plot(&rows)).map_err(fail)?;
        let j = json!({ "plot": svg, "rows": rows.len() });
        return Ok(Report::new(format!("plot: {}", svg.display()), j));
    }
    let (sizes, per_block) = if a.quick {
        (vec![2_000, 5_000], 500)
    } else if a.notes.is_empty() {
        (vec![100_000, 1_000_000], a.per_block)
    } else {
        (a.notes.clone(), a.per_block)
    };
    if per_block == 0 || sizes.windows(2).any(|w| w[0] >= w[1]) {
        return Err(CliError::Usage(
            "--notes must be ascending and --per-block positive".into(),
        ));
    }
    let dir = match &a.dir {
        Some(d) => Dir(d.clone(), false),
        None => Dir(
            std::env::temp_dir().join(format!("sero-bench-history-{}", std::process::id())),
            true,
        ),
    };
    std::fs::create_dir_all(&dir.0).map_err(fail)?;
    let path = dir.0.join("chain.redb");
    let params = Arc::new(Parameters::generate_insecure(DEV_SEED).map_err(fail)?);
    let wallet = SecretKey::from_seed(&Seed::from_bytes([7; 32]));
    let tk = wallet.trace_key();
    let premine_pkr = wallet
        .payment_address()
        .derive_pkr_with(&sero_crypto::Scalar::from(5u64));
    let interval = if a.quick { 2 } else { a.checkpoint_interval };
    let keys: Vec<ValidatorKeys> = (1u8..=4)
        .map(|i| ValidatorKeys::from_seed(&[0x60 + i; 32]))
        .collect();
    let signers = synthetic::Signers {
        keys: &keys,
        interval,
    };
    let genesis = bench_genesis(&keys, &premine_pkr, interval)?;
    // The genesis file of the synthetic chain, so that a `sero node
    // --datadir DIR --genesis DIR/genesis.json` can serve it (e.g. its
    // snapshot, to time `sero snapshot fetch` over loopback).
    std::fs::write(
        dir.0.join("genesis.json"),
        serde_json::to_string_pretty(&genesis.json).map_err(fail)?,
    )
    .map_err(fail)?;
    let open = || {
        Chain::open(&path, params.clone(), genesis.chain_config(), || {
            genesis.block()
        })
        .map_err(fail)
    };
    if a.open_only {
        let rss0 = vm_rss().unwrap_or(0);
        let t = Instant::now();
        let chain = open()?;
        let open_ms = t.elapsed().as_secs_f64() * 1e3;
        let rss = vm_rss().unwrap_or(0).saturating_sub(rss0);
        let j = json!({ "open_ms": open_ms, "open_rss_bytes": rss, "notes": chain.tree().len() });
        return Ok(Report::new(j.to_string(), j));
    }
    drop(open()?); // the genesis
    let mut rows = vec![];
    let mut human = vec![format!(
        "{:>10} {:>7} {:>9} {:>10} {:>10} {:>10} {:>12} {:>12} {:>12} {:>8} {:>8} {:>10}",
        "notes",
        "blocks",
        "build s",
        "open ms",
        "open RSS",
        "disk MB",
        "commit ms",
        "sync 1 blk",
        "full sync",
        "snap MB",
        "join s",
        "headers s"
    )];
    for &n in &sizes {
        let t = Instant::now();
        let c = cpu_s();
        {
            let db = StateDb::open(&path).map_err(fail)?;
            synthetic::extend(
                &db,
                n,
                per_block,
                &wallet.payment_address(),
                10_000,
                &signers,
                |_| {},
            )
            .map_err(fail)?;
        }
        let build_s = t.elapsed().as_secs_f64();
        let build_cpu_s = cpu_s() - c;

        // Open: what a restart costs, measured in a fresh process.
        let child = std::process::Command::new(std::env::current_exe().map_err(fail)?)
            .args(["--json", "bench", "history", "--open-only", "--dir"])
            .arg(&dir.0)
            .arg("--checkpoint-interval")
            .arg(interval.to_string())
            .output()
            .map_err(fail)?;
        let cj: Value = serde_json::from_slice(&child.stdout).map_err(|_| {
            fail(format!(
                "open-only: {}",
                String::from_utf8_lossy(&child.stderr)
            ))
        })?;
        let open_ms = cj["open_ms"]
            .as_f64()
            .ok_or_else(|| fail(format!("open-only: {cj}")))?;
        let open_rss = cj["open_rss_bytes"].as_u64().unwrap_or(0);
        let chain = open()?;
        let (tip, _) = chain.tip();
        let leaves = chain.tree().len();
        let disk = std::fs::metadata(&path).map_err(fail)?.len();

        // A wallet one block behind catches up (the saved-state path).
        let db = chain.db();
        let before = compact(db, tip - 1)?;
        let count = before.start + before.outputs.len() as u64;
        let hash: [u8; 32] = hex::decode(&before.hash)
            .ok()
            .and_then(|h| h.try_into().ok())
            .ok_or_else(|| fail("hash"))?;
        let mut st = SyncState::resume(tip - 1, hash, db.tree_frontier_at(count).map_err(fail)?);
        let last = compact(db, tip)?;
        let t = Instant::now();
        st.apply(&tk, &last)?;
        let sync_ms = t.elapsed().as_secs_f64() * 1e3;

        // A new wallet's first scan: the rate over the first outputs.
        let sample = n.min(20_000);
        let mut st = SyncState::empty();
        let (mut h, mut scanned) = (0, 0u64);
        let t = Instant::now();
        while scanned < sample && h <= tip {
            let b = compact(db, h)?;
            scanned += b.outputs.len() as u64;
            st.apply(&tk, &b)?;
            h += 1;
        }
        let rate = scanned as f64 / t.elapsed().as_secs_f64().max(1e-9);
        let found = st.notes.len();

        // Commit cost of new blocks (100 outputs each) on this history.
        drop(chain);
        let commit_ms = {
            let db = StateDb::open(&path).map_err(fail)?;
            let blocks = 10u64;
            let mut times = vec![];
            let mut target = db.leaf_count().map_err(fail)?;
            for _ in 0..blocks {
                target += 100;
                let t = Instant::now();
                synthetic::extend(
                    &db,
                    target,
                    100,
                    &wallet.payment_address(),
                    10_000,
                    &signers,
                    |_| {},
                )
                .map_err(fail)?;
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
            times.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
            times[times.len() / 2]
        };

        // Join from a snapshot: blocks without outputs up to the next
        // checkpoint (the synthetic seals are not valid, so the snapshot
        // must end on a checkpoint, final), write the snapshot, then join
        // from it as `sero node --snapshot` does: import, the header chain
        // from the genesis (links of every header, the checkpoints'
        // certificates), the state against the tip header.
        let (snap_bytes, export_s, rep, join_cpu_s) = {
            let db = StateDb::open(&path).map_err(fail)?;
            synthetic::pad_to_checkpoint(&db, &signers).map_err(fail)?;
            let snap = dir.0.join("snapshot.bin");
            let t = Instant::now();
            let file = std::fs::File::create(&snap).map_err(fail)?;
            let info = db.write_snapshot(file, |_| {}).map_err(fail)?;
            let export_s = t.elapsed().as_secs_f64();
            drop(db);
            let joined = dir.0.join("joined.redb");
            let _ = std::fs::remove_file(&joined);
            let file = std::io::BufReader::new(std::fs::File::open(&snap).map_err(fail)?);
            let c0 = cpu_s();
            let (chain, rep) =
                sero_node::snapshot::join(&joined, &genesis, params.clone(), file, |_, _| {})
                    .map_err(fail)?;
            let join_cpu_s = cpu_s() - c0;
            drop(chain);
            let _ = std::fs::remove_file(&joined);
            let _ = std::fs::remove_file(&snap);
            (info.bytes, export_s, rep, join_cpu_s)
        };
        let (import_s, headers_s, verify_s) = (
            rep.import.as_secs_f64(),
            rep.headers.as_secs_f64(),
            rep.state.as_secs_f64(),
        );
        human.push(format!(
            "{:>10} {:>7} {:>9.1} {:>10.1} {:>7.1} MB {:>10.1} {:>12.2} {:>9.2} ms {:>10.0} s {:>8.1} {:>8.1} {:>10.2}",
            leaves,
            tip + 1,
            build_s,
            open_ms,
            open_rss as f64 / 1e6,
            disk as f64 / 1e6,
            commit_ms,
            sync_ms,
            leaves as f64 / rate,
            snap_bytes as f64 / 1e6,
            import_s + headers_s + verify_s,
            headers_s
        ));
        rows.push(json!({
            "notes": leaves,
            "blocks": tip + 1,
            "build_s": build_s,
            "build_cpu_s": build_cpu_s,
            "open_ms": open_ms,
            "open_rss_bytes": open_rss,
            "disk_bytes": disk,
            "disk_bytes_per_note": disk as f64 / leaves as f64,
            "commit_ms_per_100_output_block": commit_ms,
            "sync_one_block_ms": sync_ms,
            "sync_one_block_outputs": last.outputs.len(),
            "full_scan_outputs_per_s": rate,
            "full_scan_s_extrapolated": leaves as f64 / rate,
            "full_scan_sample_notes_found": found,
            "snapshot_bytes": snap_bytes,
            "snapshot_write_s": export_s,
            "snapshot_import_s": import_s,
            "snapshot_verify_state_s": verify_s,
            "join_blocks": rep.info.height + 1,
            "join_headers_s": headers_s,
            "join_headers_checkpoints": rep.header_report.checkpoints,
            "join_headers_certified": rep.header_report.certified,
            "join_cpu_s": join_cpu_s,
            "load_average": std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim(),
            "join_s_without_headers": import_s + verify_s,
            "join_s": import_s + headers_s + verify_s,
        }));
    }
    if let Some(svg) = &a.svg {
        std::fs::write(svg, plot(&rows)).map_err(fail)?;
        human.push(format!("plot: {}", svg.display()));
    }
    let j = json!({ "quick": a.quick, "per_block": per_block, "rows": rows });
    Ok(Report::new(human.join("\n"), j))
}

/// One panel per figure, notes on a log axis.
fn plot(rows: &[Value]) -> String {
    let figures: [(&str, &str, f64); 8] = [
        ("open_ms", "Chain::open (ms)", 1.0),
        ("open_rss_bytes", "RSS added by open (MB)", 1e-6),
        ("disk_bytes", "store on disk (MB)", 1e-6),
        (
            "commit_ms_per_100_output_block",
            "commit, 100-output block (ms)",
            1.0,
        ),
        ("sync_one_block_ms", "wallet: sync one block (ms)", 1.0),
        (
            "full_scan_s_extrapolated",
            "wallet: first full scan (s)",
            1.0,
        ),
        ("join_s", "join: import + headers + state check (s)", 1.0),
        ("snapshot_bytes", "snapshot size (MB)", 1e-6),
    ];
    let (pw, ph, m) = (300.0, 200.0, 50.0);
    let cols = 3usize;
    let width = cols as f64 * (pw + m) + m;
    let height = figures.len().div_ceil(cols) as f64 * (ph + m + 20.0) + m;
    let xs: Vec<f64> = rows
        .iter()
        .map(|r| r["notes"].as_f64().unwrap_or(1.0).max(1.0).log10())
        .collect();
    let (xmin, xmax) = (
        xs.iter().cloned().fold(f64::INFINITY, f64::min).floor(),
        xs.iter()
            .cloned()
            .fold(f64::NEG_INFINITY, f64::max)
            .ceil()
            .max(1.0),
    );
    let xmax = if xmax <= xmin { xmin + 1.0 } else { xmax };
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    for (i, (key, title, scale)) in figures.iter().enumerate() {
        let ox = m + (i % cols) as f64 * (pw + m);
        let oy = m + (i / cols) as f64 * (ph + m + 20.0);
        let ys: Vec<f64> = rows
            .iter()
            .map(|r| r[*key].as_f64().unwrap_or(0.0) * scale)
            .collect();
        let ymax = ys.iter().cloned().fold(0.0, f64::max).max(1e-9) * 1.15;
        let px = |x: f64| ox + (x - xmin) / (xmax - xmin) * pw;
        let py = |y: f64| oy + ph - y / ymax * ph;
        s += &format!(
            "<text x=\"{ox}\" y=\"{}\" font-weight=\"bold\">{title}</text>\n\
             <rect x=\"{ox}\" y=\"{oy}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#999\"/>\n",
            oy - 8.0
        );
        let mut d = xmin;
        while d <= xmax + 1e-9 {
            s += &format!(
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">1e{d}</text>\n",
                px(d),
                oy + ph + 14.0
            );
            d += 1.0;
        }
        for k in 0..=4 {
            let y = ymax * k as f64 / 4.0;
            s += &format!(
                "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                ox - 4.0,
                py(y) + 4.0,
                fmt_num(y)
            );
        }
        let pts: Vec<String> = xs
            .iter()
            .zip(&ys)
            .map(|(x, y)| format!("{:.1},{:.1}", px(*x), py(*y)))
            .collect();
        s += &format!(
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n",
            pts.join(" ")
        );
        for p in &pts {
            let (x, y) = p.split_once(',').unwrap_or(("0", "0"));
            s += &format!("<circle cx=\"{x}\" cy=\"{y}\" r=\"3\" fill=\"#1f77b4\"/>\n");
        }
    }
    s += &format!(
        "<text x=\"{m}\" y=\"{}\">x: notes in the store (log scale). sero bench history</text>\n</svg>\n",
        height - 10.0
    );
    s
}

fn fmt_num(y: f64) -> String {
    if y >= 100.0 {
        format!("{y:.0}")
    } else if y >= 1.0 {
        format!("{y:.1}")
    } else {
        format!("{y:.3}")
    }
}

/// The benchmark's genesis: a development network (the insecure
/// development parameters) with four validators whose keys the benchmark
/// holds, to sign the synthetic chain's finality checkpoints.
fn bench_genesis(
    keys: &[ValidatorKeys],
    premine: &sero_keys::OneTimeAddress,
    interval: u64,
) -> Result<Genesis, CliError> {
    let json = GenesisJson {
        name: "sero-bench-history".into(),
        time: 0,
        seed: hex::encode([0x5e; 32]),
        dev: true,
        vk_hash: hex::encode(DEV_VK_HASH),
        params: None,
        premine: vec![PremineJson {
            pkr: premine.to_string(),
            value: "1000".into(),
        }],
        validators: keys
            .iter()
            .map(|k| ValidatorJson {
                vote_key: hex::encode(k.vote_public().to_bytes()),
                vrf_key: hex::encode(k.vrf_public().to_bytes()),
                stake: 1000,
                refund: premine.to_string(),
            })
            .collect(),
        consensus: BaParams::devnet(),
        license: None,
        checkpoint_interval: interval,
        anchor_window: sero_tree::DEFAULT_ANCHOR_WINDOW as u64,
    };
    Genesis::from_json(json).map_err(fail)
}
