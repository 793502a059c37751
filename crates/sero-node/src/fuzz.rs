//! Fuzzing property of the genesis file reader, shared by the cargo-fuzz
//! target `genesis` (`fuzz/`) and the corpus replay test
//! `tests/fuzz_corpus.rs`.

use crate::genesis::{Genesis, GenesisJson};

/// The text of a `genesis.json` through [`Genesis::parse`] (what
/// [`Genesis::load`] does once the file is read; a file that is not UTF-8
/// is refused by the read): no panic, a refused file is an error with a
/// message; an accepted genesis
///
/// * serialises back to JSON that re-reads to the same [`GenesisJson`] and
///   passes the checks again with the same canonical encoding;
/// * has a canonical encoding of the length the module docs give
///   (`15 + 1 + 8 + 32 + 32 + 4 + n·112 + 9·8 + 8` bytes for `n`
///   premined notes), and its checked fields agree with the JSON (counts,
///   `dev`, `time`, `checkpoint_interval` ≥ 1).
pub fn genesis_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let g = match Genesis::parse(text) {
        Ok(g) => g,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    assert_eq!(g.premine.len(), g.json.premine.len());
    assert_eq!(g.validators.len(), g.json.validators.len());
    assert!(!g.validators.is_empty(), "a genesis without validators");
    assert_eq!((g.dev, g.time), (g.json.dev, g.json.time));
    assert_eq!(g.checkpoint_interval, g.json.checkpoint_interval);
    assert!(g.checkpoint_interval >= 1);
    let bytes = g.canonical_bytes();
    assert_eq!(
        bytes.len(),
        15 + 1 + 8 + 32 + 32 + 4 + g.premine.len() * (96 + 16) + 9 * 8 + 8,
        "canonical encoding length"
    );
    let text2 = serde_json::to_string(&g.json).expect("a genesis serialises");
    let json2: GenesisJson = serde_json::from_str(&text2).expect("its JSON re-reads");
    assert_eq!(json2, g.json, "the JSON does not round-trip");
    let g2 = Genesis::from_json(json2).expect("a checked genesis passes again");
    assert_eq!(
        g2.canonical_bytes(),
        bytes,
        "the canonical encoding changed"
    );
    assert_eq!(g.chain_config().genesis_extra, bytes);
}
