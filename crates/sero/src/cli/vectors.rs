//! `sero vectors`: writes (or checks) the protocol test vectors under
//! `test-vectors/`, which the crates' tests compare against the code.

use crate::output::{CliError, Report};
use clap::Args;
use serde_json::{json, Value};
use std::path::PathBuf;

#[derive(Args)]
pub struct VectorsArgs {
    /// Directory to write the vector files (crypto, keys, assets, tree, sortition, license) into.
    #[arg(long, default_value = "test-vectors")]
    out: PathBuf,
    /// Compare the files with freshly generated vectors instead of writing;
    /// exit 1 if any differs.
    #[arg(long)]
    check: bool,
}

fn all() -> Vec<(&'static str, Value)> {
    vec![
        ("crypto.json", sero_crypto::vectors::generate()),
        ("keys.json", sero_keys::vectors::generate()),
        ("assets.json", sero_assets::vectors::generate()),
        ("tree.json", sero_tree::vectors::generate()),
        ("sortition.json", sero_consensus::vectors::generate()),
        ("license.json", sero_ledger::license::vectors()),
        ("transaction.json", sero_ledger::vectors::vectors()),
        ("package.json", sero_ledger::package::vectors()),
    ]
}

pub fn run(args: VectorsArgs) -> Result<Report, CliError> {
    let mut written = vec![];
    let mut differing = vec![];
    for (name, value) in all() {
        let path = args.out.join(name);
        if args.check {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| CliError::Failed(format!("cannot read {}: {e}", path.display())))?;
            let found: Value = serde_json::from_str(&text).map_err(|e| {
                CliError::Failed(format!("{} is not valid JSON: {e}", path.display()))
            })?;
            if found != value {
                differing.push(path.display().to_string());
            }
        } else {
            std::fs::create_dir_all(&args.out).map_err(|e| {
                CliError::Failed(format!("cannot create {}: {e}", args.out.display()))
            })?;
            let mut text = serde_json::to_string_pretty(&value).expect("JSON values serialise");
            text.push('\n');
            std::fs::write(&path, text)
                .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", path.display())))?;
            written.push(path.display().to_string());
        }
    }
    if args.check {
        let report = if differing.is_empty() {
            Report::new(
                "test vectors match the implementation",
                json!({ "ok": true }),
            )
        } else {
            Report::new(
                format!("test vectors differ: {}", differing.join(", ")),
                json!({ "ok": false, "differing": differing }),
            )
            .negative()
        };
        return Ok(report);
    }
    Ok(Report::new(
        format!("wrote {}", written.join(", ")),
        json!({ "written": written }),
    ))
}
