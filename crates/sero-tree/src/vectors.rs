//! Test vectors of this crate (`test-vectors/tree.json`), checked by
//! `tests/vectors.rs` (which rewrites the file when `SERO_WRITE_VECTORS=1`).

use crate::{cm_auth, empty_roots, Base, WitnessTree, DEPTH};
use serde_json::{json, Value};
use sero_crypto::poseidon::tags;

fn fe(f: &Base) -> String {
    f.to_string()
}

/// Deterministic vectors: empty roots for levels `0..=32`, the tree of leaves
/// 1, 2, 3 (root, the path of position 1, encodings) and `cm_auth(5, 7)`.
pub fn vectors() -> Value {
    let leaves: Vec<Base> = (1..=3u64).map(Base::from).collect();
    let mut tree = WitnessTree::new();
    for leaf in &leaves {
        tree.append(*leaf).expect("not full");
    }
    let path = tree.path(1).expect("position 1 exists");
    json!({
        "depth": DEPTH,
        "leaf_tag": tags::AUTH,
        "node_tag": tags::NODE,
        "empty_roots": empty_roots().iter().map(fe).collect::<Vec<_>>(),
        "cm_auth": {
            "position": 5,
            "cm_out": fe(&Base::from(7u64)),
            "cm_auth": fe(&cm_auth(5, Base::from(7u64))),
        },
        "tree": {
            "leaves": leaves.iter().map(fe).collect::<Vec<_>>(),
            "root": fe(&tree.root()),
            "bytes": hex::encode(tree.to_bytes()),
            "frontier_bytes": hex::encode(tree.frontier().to_bytes()),
            "path": {
                "position": path.position,
                "leaf": fe(&leaves[1]),
                "siblings": path.siblings.iter().map(fe).collect::<Vec<_>>(),
                "bytes": hex::encode(path.to_bytes().expect("position < 2^32")),
            },
        },
    })
}

/// The same as [`vectors`], under the name the other SERO crates use
/// (`sero_crypto::vectors::generate`, …), for `sero vectors`.
pub fn generate() -> Value {
    vectors()
}
