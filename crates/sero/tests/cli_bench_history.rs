//! `sero bench history --quick --json`: the store is built, opened, synced,
//! committed to and joined from a snapshot at two sizes, every figure is
//! reported and the plot is written. No assertion on timings.

use serde_json::Value;
use std::process::Command;

const SERO: &str = env!("CARGO_BIN_EXE_sero");

/// `sero --json bench history ARGS`, which must succeed: its report and
/// its standard output.
fn history<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (Value, Vec<u8>) {
    let out = Command::new(SERO)
        .args(["--json", "bench", "history"])
        .args(args)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&out.stdout)));
    assert!(out.status.success(), "{v}");
    (v, out.stdout)
}

#[test]
fn quick_history_bench_reports_every_figure() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("history.svg");
    let store = dir.path().join("store");
    let (v, stdout) = history(&[
        "--quick".as_ref(),
        "--svg".as_ref(),
        svg.as_os_str(),
        "--dir".as_ref(),
        store.as_os_str(),
    ]);
    assert_eq!(v["quick"], true);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{v}");
    assert!(rows[0]["notes"].as_u64().unwrap() >= 2_000);
    assert!(rows[1]["notes"].as_u64().unwrap() >= 5_000);
    for r in rows {
        for k in [
            "open_ms",
            "disk_bytes",
            "commit_ms_per_100_output_block",
            "sync_one_block_ms",
            "full_scan_outputs_per_s",
            "snapshot_bytes",
            "snapshot_write_s",
            "snapshot_import_s",
            "snapshot_verify_state_s",
            "join_headers_s",
            "join_s",
        ] {
            let x = r[k].as_f64().unwrap_or_else(|| panic!("{k}: {r}"));
            assert!(x.is_finite() && x > 0.0, "{k} = {x}");
        }
        assert_eq!(r["sync_one_block_outputs"], 500, "{r}");
        // The synthetic wallet notes are found by the scan.
        assert!(
            r["full_scan_sample_notes_found"].as_u64().unwrap() > 0,
            "{r}"
        );
    }
    let plot = std::fs::read_to_string(&svg).unwrap();
    assert!(plot.starts_with("<svg") && plot.contains("polyline"));
    // The plot again, from the saved report (`--plot-from`).
    let saved = dir.path().join("rows.json");
    std::fs::write(&saved, &stdout).unwrap();
    let svg2 = dir.path().join("again.svg");
    history(&[
        "--plot-from".as_ref(),
        saved.as_os_str(),
        "--svg".as_ref(),
        svg2.as_os_str(),
    ]);
    assert_eq!(std::fs::read_to_string(&svg2).unwrap(), plot);
}

#[test]
fn ten_notes_per_block_work() {
    // The shape of the goal's chain (10 notes a block): many small blocks,
    // written in batches; the join's figures and CPU times are reported.
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let (v, _) = history(&[
        "--notes".as_ref(),
        "300".as_ref(),
        "--notes".as_ref(),
        "3000".as_ref(),
        "--per-block".as_ref(),
        "10".as_ref(),
        "--checkpoint-interval".as_ref(),
        "10".as_ref(),
        "--dir".as_ref(),
        store.as_os_str(),
    ]);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{v}");
    // The genesis, 30 blocks; then 10 blocks of 100 (the commit figure;
    // the tip, 40, is a checkpoint: no padding before the snapshot) and
    // 170 more blocks of 10.
    assert_eq!(
        (&rows[0]["notes"], &rows[0]["blocks"]),
        (&301.into(), &31.into())
    );
    assert_eq!(
        (&rows[1]["notes"], &rows[1]["blocks"]),
        (&3_001.into(), &211.into())
    );
    for r in rows {
        assert_eq!(r["sync_one_block_outputs"], 10, "{r}");
        // The join checked the headers through the checkpoints only.
        assert!(r["join_headers_checkpoints"].as_u64().unwrap() >= 4, "{r}");
        assert_eq!(r["join_headers_certified"], 0, "{r}");
        for k in ["build_cpu_s", "join_cpu_s", "join_headers_s"] {
            assert!(r[k].as_f64().is_some_and(|x| x >= 0.0), "{k}: {r}");
        }
    }
}

#[test]
fn bad_sizes_exit_2() {
    let out = Command::new(SERO)
        .args(["bench", "history", "--notes", "100", "--notes", "50"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
