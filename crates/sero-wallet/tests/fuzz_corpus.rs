//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`, and the
//! seeds in `fuzz/seeds/<target>/` where there are any) through the same
//! property functions the cargo-fuzz targets run, so that every input the
//! fuzzer kept is checked on stable in the normal test run. A failing file
//! is named in the panic message.

#[path = "../../../fuzz/replay.rs"]
mod replay;
use replay::replay;

#[test]
fn keystore_corpus() {
    let all = replay("keystore", sero_wallet::fuzz::keystore_file);
    // The accepting branch is exercised too (the seeds at least).
    let ok = all
        .iter()
        .filter_map(|d| std::str::from_utf8(d).ok())
        .filter(|t| sero_wallet::Keystore::from_json(t).is_ok())
        .count();
    assert!(ok > 0, "no corpus keystore is accepted");
}
