//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`, and the
//! seeds in `fuzz/seeds/<target>/` where there are any) through the same
//! property functions the cargo-fuzz targets run, so that every input the
//! fuzzer kept is checked on stable in the normal test run. A failing file
//! is named in the panic message.

use std::path::{Path, PathBuf};

/// Every file of the target's corpus and seeds, sorted.
fn corpus(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut files: Vec<PathBuf> = ["corpus", "seeds"]
        .iter()
        .filter_map(|d| std::fs::read_dir(root.join(d).join(target)).ok())
        .flatten()
        .map(|e| e.expect("a readable corpus folder").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no corpus for {target} under {}",
        root.display()
    );
    files
}

/// Runs `property` on every file of `target`'s corpus; returns the files'
/// contents.
fn replay(target: &str, property: impl Fn(&[u8])) -> Vec<Vec<u8>> {
    let mut all = vec![];
    for path in corpus(target) {
        let data = std::fs::read(&path).expect("a readable corpus file");
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| property(&data))).is_err() {
            panic!("{target}: the property fails on {}", path.display());
        }
        all.push(data);
    }
    all
}

#[test]
fn rpc_params_corpus() {
    let h = sero_rpc::fuzz::Harness::new();
    let all = replay("rpc_params", |d| sero_rpc::fuzz::rpc_request(&h, d));
    // Both answers are exercised: some inputs get a result, some an error.
    let answers: Vec<_> = all
        .iter()
        .filter_map(|d| sero_rpc::fuzz::request_body(d))
        .filter_map(|b| h.call(&b))
        .collect();
    assert!(answers.iter().any(|r| r.get("result").is_some()));
    assert!(answers.iter().any(|r| r.get("error").is_some()));
}

/// The one crash the `rpc_params` run found, in the harness, not in the
/// server: `sero_getPackage` with a parameter that is a number beyond
/// `f64` (386 digits), which jsonrpsee keeps as raw JSON, made the
/// property's own re-parse through `serde_json::Value` fail. The property
/// now takes the id from jsonrpsee's `Request`; the server answers with
/// an invalid-parameters error.
#[test]
fn rpc_params_crash_number_out_of_range() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds/rpc_params/regression-number-out-of-range");
    let data = std::fs::read(path).unwrap();
    let h = sero_rpc::fuzz::Harness::new();
    sero_rpc::fuzz::rpc_request(&h, &data);
    let body = sero_rpc::fuzz::request_body(&data).unwrap();
    let resp = h.call(&body).expect("jsonrpsee parses the request");
    assert_eq!(resp["error"]["code"], -32602, "{resp}");
}
