//! Node key file handling.

use sero_network::{NodeKey, NodeKeyError, NODE_KEY_LEN};

#[test]
fn load_or_create_roundtrip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/dir/node.key");
    let created = NodeKey::load_or_create(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len(), NODE_KEY_LEN);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let loaded = NodeKey::load_or_create(&path).unwrap();
    assert_eq!(created.peer_id(), loaded.peer_id());
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "loading must not rewrite"
    );

    let secret: [u8; NODE_KEY_LEN] = bytes.as_slice().try_into().unwrap();
    assert_eq!(
        NodeKey::from_secret_bytes(secret).peer_id(),
        created.peer_id()
    );
    assert_ne!(NodeKey::generate().peer_id(), created.peer_id());
    // Debug never shows the secret.
    let debug = format!("{created:?}");
    assert!(debug.contains(&created.peer_id().to_string()));
    assert!(!debug.contains(&format!("{:?}", &bytes[..4])));
}

#[test]
fn corrupt_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    for content in [&b""[..], &[7u8; 31][..], &[7u8; 33][..], &[b'a'; 64][..]] {
        let path = dir.path().join("node.key");
        std::fs::write(&path, content).unwrap();
        match NodeKey::load_or_create(&path) {
            Err(err @ NodeKeyError::Corrupt { len, .. }) => {
                assert_eq!(len, content.len());
                let msg = err.to_string();
                assert!(msg.contains("corrupt") && msg.contains("node.key"), "{msg}");
            }
            other => panic!("expected Corrupt, got {other:?}"),
        }
        // The corrupt file is left alone.
        assert_eq!(std::fs::read(&path).unwrap(), content);
    }
}

#[test]
fn unreadable_path_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the file should be.
    let err = NodeKey::load_or_create(dir.path()).unwrap_err();
    assert!(matches!(err, NodeKeyError::Io { .. }), "{err:?}");
}
