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
