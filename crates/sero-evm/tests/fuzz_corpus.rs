//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`, and the
//! seeds in `fuzz/seeds/<target>/` where there are any) through the same
//! property functions the cargo-fuzz targets run, so that every input the
//! fuzzer kept is checked on stable in the normal test run. A failing file
//! is named in the panic message.

#[path = "../../../fuzz/replay.rs"]
mod replay;
use replay::replay;

#[test]
fn evm_syscall_corpus() {
    replay("evm_syscall", |d| {
        let _ = sero_evm::fuzz::syscall(d);
    });
}

#[test]
fn evm_engine_corpus() {
    replay("evm_engine", |d| {
        let _ = sero_evm::fuzz::engine(d);
    });
}
