//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`, and the
//! seeds in `fuzz/seeds/<target>/` where there are any) through the same
//! property functions the cargo-fuzz targets run, so that every input the
//! fuzzer kept is checked on stable in the normal test run. A failing file
//! is named in the panic message.

#[path = "../../../fuzz/replay.rs"]
mod replay;
use replay::replay;

#[test]
fn decode_tx_corpus() {
    let all = replay("decode_tx", sero_ledger::fuzz::decode_tx);
    // The accepting branch is exercised too (the seed at least).
    let ok = all
        .iter()
        .filter(|d| sero_ledger::Transaction::from_bytes(d).is_ok())
        .count();
    assert!(ok > 0, "no corpus transaction decodes");
}

#[test]
fn decode_block_corpus() {
    let all = replay("decode_block", sero_ledger::fuzz::decode_block);
    // The accepting branch is exercised too (the seed at least).
    let ok = all
        .iter()
        .filter_map(|d| d.split_first())
        .filter(|(&at, rest)| {
            let (h, b) = rest.split_at((at as usize).min(rest.len()));
            sero_ledger::block::Block::from_parts(h, b).is_ok()
        })
        .count();
    assert!(ok > 0, "no corpus block decodes");
}
