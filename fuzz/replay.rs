//! The corpus replay shared by every crate's `tests/fuzz_corpus.rs`
//! (included with `#[path]`): every file of a target's committed corpus
//! (`fuzz/corpus/<target>/`) and seeds (`fuzz/seeds/<target>/`) through the
//! property function the cargo-fuzz target runs, on stable, in the normal
//! test run. A failing file is named in the panic message.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Every file of the target's corpus and seeds, sorted.
pub fn corpus(target: &str) -> Vec<PathBuf> {
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
pub fn replay(target: &str, property: impl Fn(&[u8])) -> Vec<Vec<u8>> {
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
