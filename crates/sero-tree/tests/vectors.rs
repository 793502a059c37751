//! Checks `test-vectors/tree.json` against the implementation, both by
//! regeneration and by recomputing each vector from its inputs with plain
//! Poseidon calls. `SERO_WRITE_VECTORS=1 cargo test -p sero-tree --test
//! vectors` rewrites the file first.

use serde_json::Value;
use sero_crypto::poseidon::{hash_tagged, tags};
use sero_tree::{vectors, Base, MerklePath, WitnessTree, DEPTH};
use std::str::FromStr;
use std::sync::Once;

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../test-vectors/tree.json");

fn load() -> Value {
    // Tests run in parallel: write once, before any of them reads.
    static WRITE: Once = Once::new();
    WRITE.call_once(|| {
        if std::env::var_os("SERO_WRITE_VECTORS").is_some() {
            let mut text = serde_json::to_string_pretty(&vectors::vectors()).unwrap();
            text.push('\n');
            std::fs::write(PATH, text).expect("write test-vectors/tree.json");
        }
    });
    let text = std::fs::read_to_string(PATH)
        .expect("test-vectors/tree.json exists (SERO_WRITE_VECTORS=1 cargo test -p sero-tree --test vectors)");
    serde_json::from_str(&text).expect("valid JSON")
}

fn fe(v: &Value) -> Base {
    Base::from_str(v.as_str().expect("decimal string")).expect("field element")
}

fn node(l: Base, r: Base) -> Base {
    hash_tagged(tags::NODE, &[l, r])
}

#[test]
fn file_matches_generator() {
    let file = load();
    assert_eq!(
        file,
        vectors::vectors(),
        "regenerate with SERO_WRITE_VECTORS=1"
    );
    assert_eq!(vectors::generate(), file);
    let text = std::fs::read_to_string(PATH).unwrap();
    assert!(text.ends_with("}\n"), "pretty JSON with a trailing newline");
}

#[test]
fn empty_roots_recomputed() {
    let v = load();
    let roots = v["empty_roots"].as_array().unwrap();
    assert_eq!(roots.len(), DEPTH + 1);
    let mut e = Base::from(0u64);
    for (level, r) in roots.iter().enumerate() {
        assert_eq!(fe(r), e, "level {level}");
        assert_eq!(sero_tree::empty_root(level), e);
        e = node(e, e);
    }
}

#[test]
fn cm_auth_recomputed() {
    let v = &load()["cm_auth"];
    let position = v["position"].as_u64().unwrap();
    let cm_out = fe(&v["cm_out"]);
    let expected = hash_tagged("sero.cmauth.v1", &[Base::from(position), cm_out]);
    assert_eq!(fe(&v["cm_auth"]), expected);
    assert_eq!(sero_tree::cm_auth(position, cm_out), expected);
}

#[test]
fn tree_and_path_recomputed() {
    let v = load();
    let t = &v["tree"];
    assert_eq!(v["depth"], 32);
    assert_eq!(v["node_tag"], "sero.tree.node.v1");
    assert_eq!(v["leaf_tag"], "sero.cmauth.v1");
    let leaves: Vec<Base> = t["leaves"].as_array().unwrap().iter().map(fe).collect();
    assert_eq!(
        leaves,
        vec![Base::from(1u64), Base::from(2u64), Base::from(3u64)]
    );

    // By hand: H(H(1, 2), H(3, 0)) then beside empty subtrees.
    let zero = Base::from(0u64);
    let mut empty = vec![zero];
    for i in 0..DEPTH {
        empty.push(node(empty[i], empty[i]));
    }
    let right = node(leaves[2], zero);
    let mut root = node(node(leaves[0], leaves[1]), right);
    for e in &empty[2..DEPTH] {
        root = node(root, *e);
    }
    assert_eq!(fe(&t["root"]), root);

    // Path of position 1: leaf 0, then H(3, 0), then empty subtrees.
    let p = &t["path"];
    assert_eq!(p["position"], 1);
    assert_eq!(fe(&p["leaf"]), leaves[1]);
    let siblings: Vec<Base> = p["siblings"].as_array().unwrap().iter().map(fe).collect();
    let mut expected = vec![leaves[0], right];
    expected.extend_from_slice(&empty[2..DEPTH]);
    assert_eq!(siblings, expected);
    // Climb by hand: position 1 is a right child at level 0 only.
    let mut acc = node(siblings[0], leaves[1]);
    for s in &siblings[1..] {
        acc = node(acc, *s);
    }
    assert_eq!(acc, root);

    // Encodings decode to the same values.
    let path_bytes = hex::decode(p["bytes"].as_str().unwrap()).unwrap();
    let mut manual = 1u32.to_le_bytes().to_vec();
    for s in &siblings {
        manual.extend_from_slice(&sero_crypto::curve::encode_base(s));
    }
    assert_eq!(path_bytes, manual);
    let path = MerklePath::from_bytes(&path_bytes).unwrap();
    assert!(path.verify(leaves[1], root));

    let tree_bytes = hex::decode(t["bytes"].as_str().unwrap()).unwrap();
    let mut manual = b"SEROTREE\x01".to_vec();
    manual.extend_from_slice(&3u64.to_le_bytes());
    for l in &leaves {
        manual.extend_from_slice(&sero_crypto::curve::encode_base(l));
    }
    assert_eq!(tree_bytes, manual);
    assert_eq!(WitnessTree::from_bytes(&tree_bytes).unwrap().root(), root);

    // Frontier after 3 leaves: last position 2 = 0b10, leaf 3, ommer H(1, 2).
    let frontier_bytes = hex::decode(t["frontier_bytes"].as_str().unwrap()).unwrap();
    let mut manual = b"SEROFRNT\x01".to_vec();
    manual.extend_from_slice(&3u64.to_le_bytes());
    manual.extend_from_slice(&sero_crypto::curve::encode_base(&leaves[2]));
    manual.extend_from_slice(&sero_crypto::curve::encode_base(&node(
        leaves[0], leaves[1],
    )));
    assert_eq!(frontier_bytes, manual);
    assert_eq!(
        sero_tree::Frontier::from_bytes(&frontier_bytes)
            .unwrap()
            .root(),
        root
    );
}
