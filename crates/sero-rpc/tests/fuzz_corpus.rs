//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`, and the
//! seeds in `fuzz/seeds/<target>/` where there are any) through the same
//! property functions the cargo-fuzz targets run, so that every input the
//! fuzzer kept is checked on stable in the normal test run. A failing file
//! is named in the panic message.

#[path = "../../../fuzz/replay.rs"]
mod replay;
use replay::replay;

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
