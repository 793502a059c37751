//! State snapshots from the command line: `sero snapshot fetch` downloads
//! one from a node's JSON-RPC, and `sero node --snapshot FILE|URL` joins a
//! network from one (`sero_node::snapshot::join`: nothing in it trusted
//! before the headers and the state are verified from the genesis).

use crate::output::{fail, CliError, Report};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use sero_node::genesis::Genesis;
use sero_node::Chain;
use sero_rpc::SeroApiClient;
use sero_zk::params::Parameters;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Args)]
pub struct SnapshotArgs {
    #[command(subcommand)]
    cmd: SnapshotCommand,
}

#[derive(Subcommand)]
enum SnapshotCommand {
    /// Download the state snapshot a node serves (`sero_getSnapshot`) to a
    /// file, for `sero node --snapshot FILE` (verified there, not here).
    Fetch {
        /// The node's JSON-RPC URL.
        #[arg(long, default_value = "http://127.0.0.1:9545")]
        rpc: String,
        /// Where to write the snapshot.
        #[arg(long)]
        out: PathBuf,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
}

pub fn run(args: SnapshotArgs) -> Result<Report, CliError> {
    match args.cmd {
        SnapshotCommand::Fetch { rpc, out, quiet } => {
            let (height, hash, bytes) = fetch(&rpc, &out, quiet)?;
            Ok(Report::new(
                format!(
                    "snapshot of block {height} ({hash}), {bytes} bytes, written to {}",
                    out.display()
                ),
                serde_json::json!({
                    "height": height,
                    "hash": hash,
                    "bytes": bytes,
                    "file": out,
                }),
            ))
        }
    }
}

fn bytes_bar(len: u64, msg: &'static str, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(
            "{msg:>12} [{bar:30}] {bytes}/{total_bytes}, {bytes_per_sec}, eta {eta}",
        )
        .expect("template")
        .progress_chars("=> "),
    );
    pb.set_message(msg);
    pb
}

/// Downloads the snapshot `rpc` serves to `out` (through `out.part`);
/// returns its height, hash and length.
pub fn fetch(rpc: &str, out: &Path, quiet: bool) -> Result<(u64, String, u64), CliError> {
    let client = sero_rpc::client(rpc).map_err(|e| CliError::Usage(format!("{rpc}: {e}")))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(fail)?;
    rt.block_on(async {
        // A node makes its snapshot on the first request (about 25 s for
        // 10^7 notes), longer than its RPC request timeout (15 s, then
        // `408`): it goes on writing, so ask again until it is ready.
        let started = std::time::Instant::now();
        let entry = loop {
            match client.snapshot().await {
                Ok(e) => break e,
                Err(e)
                    if e.to_string().contains("408")
                        && started.elapsed() < std::time::Duration::from_secs(1800) =>
                {
                    if !quiet {
                        eprintln!("  the node is writing its snapshot; asking again…");
                    }
                    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                }
                Err(e) => return Err(fail(format!("{rpc}: sero_getSnapshot: {e}"))),
            }
        };
        let part = out.with_extension("part");
        let mut file = std::io::BufWriter::new(
            std::fs::File::create(&part).map_err(|e| fail(format!("{}: {e}", part.display())))?,
        );
        let pb = bytes_bar(entry.bytes, "download", quiet);
        let mut offset = 0u64;
        while offset < entry.bytes {
            let chunk = client
                .snapshot_chunk(entry.height, offset)
                .await
                .map_err(|e| fail(format!("{rpc}: sero_getSnapshotChunk: {e}")))?;
            let data = hex::decode(&chunk).map_err(|_| fail("the node sent a malformed chunk"))?;
            if data.is_empty() || data.len() as u64 > entry.bytes - offset {
                return Err(fail("the node sent a chunk of the wrong length"));
            }
            file.write_all(&data).map_err(fail)?;
            offset += data.len() as u64;
            pb.set_position(offset);
        }
        file.flush().map_err(fail)?;
        drop(file);
        pb.finish_and_clear();
        std::fs::rename(&part, out).map_err(fail)?;
        Ok((entry.height, entry.hash, entry.bytes))
    })
}

/// Creates the chain at `chain_path` from the snapshot `src` (a file, or
/// a node's `http(s)://` RPC URL, downloaded under `datadir` first) and
/// verifies it against `genesis`; prints what it did.
pub fn join(
    src: &str,
    datadir: &Path,
    chain_path: &Path,
    genesis: &Genesis,
    params: Arc<Parameters>,
) -> Result<Chain, CliError> {
    let (file, downloaded) = if src.starts_with("http://") || src.starts_with("https://") {
        let f = datadir.join("snapshot.download");
        let t = std::time::Instant::now();
        let (h, _, bytes) = fetch(src, &f, false)?;
        println!(
            "  snapshot       : block {h}, {bytes} bytes downloaded from {src} in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        (f, true)
    } else {
        (PathBuf::from(src), false)
    };
    let r = std::fs::File::open(&file)
        .map_err(|e| CliError::Usage(format!("--snapshot {}: {e}", file.display())))?;
    let len = r.metadata().map(|m| m.len()).unwrap_or(0);
    let import = bytes_bar(len, "import", false);
    let mut headers: Option<ProgressBar> = None;
    let res = sero_node::snapshot::join(chain_path, genesis, params, r, |phase, n| {
        if phase == "import" {
            import.set_position(n);
            return;
        }
        let pb = headers.get_or_insert_with(|| {
            import.finish_and_clear();
            let pb = ProgressBar::new_spinner();
            pb.set_style(
                ProgressStyle::with_template("{spinner} verifying headers: block {pos}, {per_sec}")
                    .expect("template"),
            );
            pb
        });
        pb.set_position(n);
    });
    import.finish_and_clear();
    if let Some(pb) = headers {
        pb.finish_and_clear();
    }
    if downloaded {
        let _ = std::fs::remove_file(&file);
    }
    let (chain, rep) = res.map_err(|e| fail(format!("--snapshot: {e}")))?;
    println!(
        "  snapshot       : joined at block {} ({} notes): import {:.1} s, headers verified {:.1} s \
         ({} linked, {} finality checkpoints, {} certified one by one), state verified {:.1} s",
        rep.info.height,
        rep.info.leaf_count,
        rep.import.as_secs_f64(),
        rep.headers.as_secs_f64(),
        rep.header_report.linked,
        rep.header_report.checkpoints,
        rep.header_report.certified,
        rep.state.as_secs_f64()
    );
    tracing::info!(
        height = rep.info.height,
        notes = rep.info.leaf_count,
        bytes = rep.info.bytes,
        checkpoints = rep.header_report.checkpoints,
        certified = rep.header_report.certified,
        "joined from a verified snapshot"
    );
    Ok(chain)
}
