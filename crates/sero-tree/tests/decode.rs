//! Every malformed encoding is rejected with its own error, and no input
//! panics.

use ark_ff::{BigInteger, PrimeField};
use sero_tree::{Base, Frontier, MerklePath, TreeError, WitnessTree, DEPTH};

fn tree(n: u64) -> WitnessTree {
    WitnessTree::from_leaves((0..n).map(|i| Base::from(i * 7 + 1)).collect()).unwrap()
}

/// The 32-byte little-endian encoding of `p` (the smallest non-canonical
/// value).
fn modulus_le() -> [u8; 32] {
    Base::MODULUS.to_bytes_le().try_into().unwrap()
}

fn with_count(mut bytes: Vec<u8>, count: u64) -> Vec<u8> {
    bytes[9..17].copy_from_slice(&count.to_le_bytes());
    bytes
}

#[test]
fn tree_truncated_at_every_length() {
    let bytes = tree(5).to_bytes();
    assert_eq!(bytes.len(), 17 + 5 * 32);
    for len in 0..bytes.len() {
        match WitnessTree::from_bytes(&bytes[..len]) {
            Err(TreeError::Truncated {
                what: "witness tree",
                expected,
                got,
            }) => {
                assert_eq!(got, len);
                assert!(expected > len);
            }
            other => panic!("length {len}: {other:?}"),
        }
    }
    assert_eq!(WitnessTree::from_bytes(&bytes), Ok(tree(5)));
}

#[test]
fn tree_header_errors() {
    let bytes = tree(3).to_bytes();
    let mut bad = bytes.clone();
    bad[0] = b'X';
    assert!(matches!(
        WitnessTree::from_bytes(&bad),
        Err(TreeError::BadMagic {
            what: "witness tree",
            ..
        })
    ));
    assert!(matches!(
        WitnessTree::from_bytes(b"SEROTRX"),
        Err(TreeError::BadMagic { .. })
    ));
    // A frontier is not a tree.
    assert!(matches!(
        WitnessTree::from_bytes(&tree(3).frontier().to_bytes()),
        Err(TreeError::BadMagic { .. })
    ));
    for version in [0u8, 2, 255] {
        let mut bad = bytes.clone();
        bad[8] = version;
        assert_eq!(
            WitnessTree::from_bytes(&bad),
            Err(TreeError::UnsupportedVersion {
                what: "witness tree",
                version,
                supported: 1
            })
        );
    }
    for count in [(1u64 << 32) + 1, u64::MAX] {
        assert_eq!(
            WitnessTree::from_bytes(&with_count(bytes.clone(), count)),
            Err(TreeError::CountTooLarge {
                what: "witness tree",
                count
            })
        );
    }
    // 2^32 leaves is a valid count, but the data is short: no allocation.
    assert_eq!(
        WitnessTree::from_bytes(&with_count(bytes.clone(), 1 << 32)),
        Err(TreeError::Truncated {
            what: "witness tree",
            expected: 17 + (1usize << 32) * 32,
            got: bytes.len()
        })
    );
}

#[test]
fn tree_body_errors() {
    let bytes = tree(3).to_bytes();
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(
        WitnessTree::from_bytes(&long),
        Err(TreeError::TrailingBytes {
            what: "witness tree",
            expected: bytes.len(),
            got: bytes.len() + 1
        })
    );
    assert_eq!(
        WitnessTree::from_bytes(&with_count(bytes.clone(), 2)),
        Err(TreeError::TrailingBytes {
            what: "witness tree",
            expected: bytes.len() - 32,
            got: bytes.len()
        })
    );
    for value in [modulus_le(), [0xff; 32]] {
        let mut bad = bytes.clone();
        bad[17 + 2 * 32..].copy_from_slice(&value);
        assert_eq!(
            WitnessTree::from_bytes(&bad),
            Err(TreeError::NonCanonical {
                what: "witness tree",
                index: 2
            })
        );
    }
    // p - 1 is canonical.
    let mut ok = bytes.clone();
    let mut pm1 = modulus_le();
    pm1[0] -= 1;
    ok[17..49].copy_from_slice(&pm1);
    let t = WitnessTree::from_bytes(&ok).unwrap();
    assert_eq!(t.leaf(0), Ok(-Base::from(1u64)));
}

#[test]
fn path_errors() {
    let t = tree(6);
    let path = t.path(5).unwrap();
    let bytes = path.to_bytes().unwrap();
    assert_eq!(bytes.len(), MerklePath::ENCODED_LEN);
    assert_eq!(&bytes[..4], &5u32.to_le_bytes());
    for len in 0..bytes.len() {
        assert_eq!(
            MerklePath::from_bytes(&bytes[..len]),
            Err(TreeError::Truncated {
                what: "Merkle path",
                expected: MerklePath::ENCODED_LEN,
                got: len
            })
        );
    }
    let mut long = bytes.clone();
    long.push(1);
    assert_eq!(
        MerklePath::from_bytes(&long),
        Err(TreeError::TrailingBytes {
            what: "Merkle path",
            expected: MerklePath::ENCODED_LEN,
            got: MerklePath::ENCODED_LEN + 1
        })
    );
    for level in [0, 17, DEPTH - 1] {
        let mut bad = bytes.clone();
        bad[4 + level * 32..4 + level * 32 + 32].copy_from_slice(&modulus_le());
        assert_eq!(
            MerklePath::from_bytes(&bad),
            Err(TreeError::NonCanonical {
                what: "Merkle path",
                index: level
            })
        );
    }
    let mut far = path;
    far.position = 1 << 32;
    assert_eq!(
        far.to_bytes(),
        Err(TreeError::InvalidPosition { position: 1 << 32 })
    );
    // The largest position encodes.
    far.position = (1 << 32) - 1;
    assert_eq!(MerklePath::from_bytes(&far.to_bytes().unwrap()), Ok(far));
}

#[test]
fn frontier_errors() {
    let f = tree(7).frontier(); // last position 6 = 0b110: leaf + 2 ommers
    let bytes = f.to_bytes();
    assert_eq!(bytes.len(), 17 + 3 * 32);
    for len in 0..bytes.len() {
        assert!(
            matches!(
                Frontier::from_bytes(&bytes[..len]),
                Err(TreeError::Truncated { what: "frontier", got, .. }) if got == len
            ),
            "length {len}"
        );
    }
    let mut long = bytes.clone();
    long.push(0);
    assert!(matches!(
        Frontier::from_bytes(&long),
        Err(TreeError::TrailingBytes {
            what: "frontier",
            ..
        })
    ));
    let mut empty_long = Frontier::new().to_bytes();
    empty_long.push(0);
    assert!(matches!(
        Frontier::from_bytes(&empty_long),
        Err(TreeError::TrailingBytes {
            what: "frontier",
            ..
        })
    ));
    let mut bad = bytes.clone();
    bad[0] = 0;
    assert!(matches!(
        Frontier::from_bytes(&bad),
        Err(TreeError::BadMagic {
            what: "frontier",
            ..
        })
    ));
    assert!(matches!(
        Frontier::from_bytes(&tree(7).to_bytes()),
        Err(TreeError::BadMagic { .. })
    ));
    let mut bad = bytes.clone();
    bad[8] = 9;
    assert!(matches!(
        Frontier::from_bytes(&bad),
        Err(TreeError::UnsupportedVersion { version: 9, .. })
    ));
    assert!(matches!(
        Frontier::from_bytes(&with_count(bytes.clone(), (1 << 32) + 1)),
        Err(TreeError::CountTooLarge {
            what: "frontier",
            ..
        })
    ));
    let mut bad = bytes.clone();
    bad[17 + 64..].copy_from_slice(&modulus_le());
    assert_eq!(
        Frontier::from_bytes(&bad),
        Err(TreeError::NonCanonical {
            what: "frontier",
            index: 2
        })
    );
    assert_eq!(Frontier::from_bytes(&bytes), Ok(f));
}

#[test]
fn out_of_range_positions() {
    let t = tree(4);
    for position in [4u64, 5, 1 << 32, u64::MAX] {
        let e = TreeError::PositionOutOfRange { position, len: 4 };
        assert_eq!(t.path(position), Err(e.clone()));
        assert_eq!(t.leaf(position), Err(e));
    }
}

#[test]
fn messages_are_clear() {
    let cases: Vec<(TreeError, &str)> = vec![
        (
            TreeError::Full,
            "the witness tree is full (it holds 2^32 leaves)",
        ),
        (
            TreeError::PositionOutOfRange {
                position: 9,
                len: 4,
            },
            "position 9 is out of range: the tree has 4 leaves",
        ),
        (
            WitnessTree::from_bytes(b"NOPE").unwrap_err(),
            "not a serialised witness tree: bad magic bytes (expected \"SEROTREE\")",
        ),
        (
            WitnessTree::from_bytes(b"SEROTREE\x02").unwrap_err(),
            "truncated witness tree: expected 17 bytes, got 9",
        ),
        (
            TreeError::UnsupportedVersion {
                what: "frontier",
                version: 2,
                supported: 1,
            },
            "unsupported frontier version 2 (this implementation reads version 1)",
        ),
        (
            TreeError::CountTooLarge {
                what: "witness tree",
                count: 5_000_000_000,
            },
            "witness tree leaf count 5000000000 exceeds the capacity 2^32",
        ),
        (
            TreeError::NonCanonical {
                what: "Merkle path",
                index: 3,
            },
            "non-canonical field element #3 in Merkle path (value >= p)",
        ),
    ];
    for (e, msg) in cases {
        assert_eq!(e.to_string(), msg);
    }
}
