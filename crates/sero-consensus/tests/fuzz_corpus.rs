//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`, and the
//! seeds in `fuzz/seeds/<target>/` where there are any) through the same
//! property functions the cargo-fuzz targets run, so that every input the
//! fuzzer kept is checked on stable in the normal test run. A failing file
//! is named in the panic message.

#[path = "../../../fuzz/replay.rs"]
mod replay;
use replay::replay;

#[test]
fn decode_consensus_corpus() {
    let all = replay("decode_consensus", sero_consensus::fuzz::decode_consensus);
    // The accepting branches are exercised too (the seeds at least).
    use sero_consensus::ba::{Certificate, Proposal, Vote};
    assert!(all.iter().any(|d| Vote::from_bytes(d).is_ok()));
    assert!(all.iter().any(|d| Proposal::from_bytes(d).is_ok()));
    assert!(all.iter().any(|d| Certificate::from_bytes(d).is_ok()));
}
