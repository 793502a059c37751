//! The node's long-term ed25519 identity.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use libp2p::identity::{ed25519, Keypair, PublicKey};
use libp2p::PeerId;
use zeroize::Zeroizing;

/// Length in bytes of a node key file: the raw ed25519 secret key.
pub const NODE_KEY_LEN: usize = 32;

/// Errors loading or creating a [`NodeKey`] file.
#[derive(Debug, thiserror::Error)]
pub enum NodeKeyError {
    /// Reading, creating or writing the key file failed.
    #[error("node key file {path}: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The underlying IO error.
        #[source]
        source: io::Error,
    },
    /// The file exists but does not hold a 32-byte ed25519 secret key.
    #[error(
        "node key file {path} is corrupt: expected exactly {NODE_KEY_LEN} bytes (a raw ed25519 \
         secret key), found {len}; move it away to generate a new identity"
    )]
    Corrupt {
        /// The key file.
        path: PathBuf,
        /// The file's actual length.
        len: usize,
    },
}

/// The node's ed25519 identity: its [`PeerId`] and the key that authenticates
/// its Noise handshakes.
///
/// It never signs gossip (gossip is anonymous, see the crate docs).
#[derive(Clone)]
pub struct NodeKey {
    keypair: Keypair,
}

impl NodeKey {
    /// A fresh random identity (not persisted).
    pub fn generate() -> Self {
        Self {
            keypair: Keypair::generate_ed25519(),
        }
    }

    /// The identity whose ed25519 secret key is `secret`.
    pub fn from_secret_bytes(mut secret: [u8; NODE_KEY_LEN]) -> Self {
        // `SecretKey::try_from_bytes` zeroizes its input and only fails on a
        // wrong length, which the array type rules out.
        let secret = match ed25519::SecretKey::try_from_bytes(&mut secret) {
            Ok(secret) => secret,
            Err(_) => unreachable!("a 32-byte array is always a valid ed25519 secret key"),
        };
        Self {
            keypair: Keypair::from(ed25519::Keypair::from(secret)),
        }
    }

    /// Loads the identity stored at `path`, or creates a new random one there
    /// (file mode 0600 on Unix, written atomically through a temporary file)
    /// if the file does not exist.
    ///
    /// The file holds the raw 32-byte ed25519 secret key. A file of any other
    /// length is reported as [`NodeKeyError::Corrupt`] and left untouched.
    pub fn load_or_create(path: impl AsRef<Path>) -> Result<Self, NodeKeyError> {
        let path = path.as_ref();
        match fs::read(path) {
            Ok(bytes) => {
                let bytes = Zeroizing::new(bytes);
                warn_if_readable_by_others(path);
                let secret: [u8; NODE_KEY_LEN] =
                    bytes
                        .as_slice()
                        .try_into()
                        .map_err(|_| NodeKeyError::Corrupt {
                            path: path.to_path_buf(),
                            len: bytes.len(),
                        })?;
                Ok(Self::from_secret_bytes(secret))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let key = Self::generate();
                key.write_new(path).map_err(|source| NodeKeyError::Io {
                    path: path.to_path_buf(),
                    source,
                })?;
                tracing::info!(path = %path.display(), peer = %key.peer_id(), "created new node key");
                Ok(key)
            }
            Err(source) => Err(NodeKeyError::Io {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    fn write_new(&self, path: &Path) -> io::Result<()> {
        if let Some(parent) = path.parent() {
            if !parent.as_os_str().is_empty() {
                fs::create_dir_all(parent)?;
            }
        }
        let secret = self.secret_bytes();
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let _ = fs::remove_file(&tmp);
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let result = (|| {
            let mut file = options.open(&tmp)?;
            file.write_all(secret.as_slice())?;
            file.sync_all()?;
            fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    fn secret_bytes(&self) -> Zeroizing<[u8; NODE_KEY_LEN]> {
        let mut out = Zeroizing::new([0u8; NODE_KEY_LEN]);
        match self.keypair.clone().try_into_ed25519() {
            Ok(kp) => out.copy_from_slice(kp.secret().as_ref()),
            Err(_) => unreachable!("NodeKey only ever holds ed25519 keys"),
        }
        out
    }

    /// The peer id derived from the public key.
    pub fn peer_id(&self) -> PeerId {
        self.keypair.public().to_peer_id()
    }

    /// The public key.
    pub fn public(&self) -> PublicKey {
        self.keypair.public()
    }

    pub(crate) fn keypair(&self) -> &Keypair {
        &self.keypair
    }
}

impl fmt::Debug for NodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeKey")
            .field("peer_id", &self.peer_id())
            .finish_non_exhaustive()
    }
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{mode:o}"),
                "node key file is accessible by other users; chmod 600 it"
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}
