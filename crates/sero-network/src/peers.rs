//! The persisted peer store: peers this node has talked to (and whose
//! identify confirmed our chain), with their listen addresses, kept in a
//! small JSON file in the node's data directory and reloaded on restart,
//! so a node finds the network again without its bootnodes.
//!
//! The file is untrusted input: it is read only up to
//! [`MAX_PEER_FILE_BYTES`]; an unreadable or corrupt file is set aside
//! (renamed `*.corrupt`) and the node starts with an empty store; a bad
//! entry (unparseable peer id or address, an address that is not TCP, an
//! address naming another peer) is skipped with a warning; at most
//! `max_peers` entries of at most [`MAX_ADDRS_PER_PEER`] addresses each are
//! kept, the most recently seen first. Writes go to a temporary file that
//! is renamed over the old one, so a crash never leaves a torn file.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};
use serde::{Deserialize, Serialize};

/// Largest peer file read (bytes); a larger one is set aside.
pub const MAX_PEER_FILE_BYTES: u64 = 1024 * 1024;
/// Addresses kept per peer.
pub const MAX_ADDRS_PER_PEER: usize = 4;
/// Version of the file format.
pub const PEER_FILE_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct FileEntry {
    peer: String,
    addrs: Vec<String>,
    last_seen: u64,
}

#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    peers: Vec<FileEntry>,
}

/// One known peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownPeer {
    /// Its dialable addresses (without `/p2p/`).
    pub addrs: Vec<Multiaddr>,
    /// When it was last seen connected (UNIX seconds).
    pub last_seen: u64,
}

/// What [`PeerStore::load`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Entries loaded.
    pub loaded: usize,
    /// Entries or addresses skipped as invalid.
    pub skipped: usize,
    /// The file was unreadable, too large or corrupt and was set aside.
    pub set_aside: bool,
}

/// Known peers, bounded, optionally backed by a file.
#[derive(Debug)]
pub struct PeerStore {
    path: Option<PathBuf>,
    max_peers: usize,
    peers: HashMap<PeerId, KnownPeer>,
    dirty: bool,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A dialable TCP address without a `/p2p/` suffix, or `None`: it must
/// name an IP (or DNS) host and a non-zero TCP port, may end in
/// `/p2p/<peer>` only for `peer` itself, and must not be unspecified
/// (`0.0.0.0`, `::`).
pub fn dialable(addr: &Multiaddr, peer: &PeerId) -> Option<Multiaddr> {
    let mut out = Multiaddr::empty();
    let (mut host, mut port) = (false, false);
    for p in addr.iter() {
        match p {
            Protocol::Ip4(ip) if !ip.is_unspecified() && !ip.is_multicast() => host = true,
            Protocol::Ip6(ip) if !ip.is_unspecified() && !ip.is_multicast() => host = true,
            Protocol::Dns(_) | Protocol::Dns4(_) | Protocol::Dns6(_) => host = true,
            Protocol::Tcp(n) if n != 0 && host => port = true,
            Protocol::P2p(id) if id == *peer && host && port => continue,
            _ => return None,
        }
        out.push(p);
    }
    (host && port).then_some(out)
}

impl PeerStore {
    /// An empty store that is never written (`path` = `None`) or written to
    /// `path` on [`PeerStore::save`].
    pub fn new(path: Option<PathBuf>, max_peers: usize) -> Self {
        PeerStore {
            path,
            max_peers: max_peers.max(1),
            peers: HashMap::new(),
            dirty: false,
        }
    }

    /// Loads `path` (a missing file is an empty store). Never fails: bad
    /// input is reported in the [`LoadReport`] and logged.
    pub fn load(path: &Path, max_peers: usize) -> (Self, LoadReport) {
        let mut store = PeerStore::new(Some(path.to_path_buf()), max_peers);
        let mut report = LoadReport::default();
        let text = match read_limited(path) {
            Ok(None) => return (store, report),
            Ok(Some(t)) => t,
            Err(reason) => {
                store.set_aside(path, &reason);
                report.set_aside = true;
                return (store, report);
            }
        };
        let file: File = match serde_json::from_str(&text) {
            Ok(f) => f,
            Err(e) => {
                store.set_aside(path, &format!("not a peer file: {e}"));
                report.set_aside = true;
                return (store, report);
            }
        };
        if file.version != PEER_FILE_VERSION {
            store.set_aside(path, &format!("unknown version {}", file.version));
            report.set_aside = true;
            return (store, report);
        }
        let mut entries = file.peers;
        entries.sort_by_key(|e| std::cmp::Reverse(e.last_seen));
        for e in entries {
            let Ok(peer) = e.peer.parse::<PeerId>() else {
                tracing::warn!(peer = %e.peer.chars().take(80).collect::<String>(), "peer file: skipping an entry with an invalid peer id");
                report.skipped += 1;
                continue;
            };
            let mut addrs = Vec::new();
            for a in e.addrs.iter() {
                match a
                    .parse::<Multiaddr>()
                    .ok()
                    .and_then(|m| dialable(&m, &peer))
                {
                    Some(m) if addrs.len() < MAX_ADDRS_PER_PEER && !addrs.contains(&m) => {
                        addrs.push(m)
                    }
                    Some(_) => {}
                    None => {
                        tracing::warn!(%peer, addr = %a.chars().take(120).collect::<String>(), "peer file: skipping an invalid address");
                        report.skipped += 1;
                    }
                }
            }
            if addrs.is_empty() || store.peers.contains_key(&peer) {
                report.skipped += usize::from(addrs.is_empty());
                continue;
            }
            if store.peers.len() >= store.max_peers {
                report.skipped += 1;
                continue;
            }
            store.peers.insert(
                peer,
                KnownPeer {
                    addrs,
                    last_seen: e.last_seen.min(now_secs()),
                },
            );
            report.loaded += 1;
        }
        tracing::info!(
            path = %path.display(),
            loaded = report.loaded,
            skipped = report.skipped,
            "peer store loaded"
        );
        (store, report)
    }

    fn set_aside(&self, path: &Path, reason: &str) {
        let aside = path.with_extension("corrupt");
        tracing::warn!(path = %path.display(), reason, moved_to = %aside.display(), "peer file unusable; starting with no stored peers");
        if let Err(e) = std::fs::rename(path, &aside) {
            tracing::warn!(path = %path.display(), error = %e, "could not set the peer file aside");
        }
    }

    /// The known peers, most recently seen first.
    pub fn peers(&self) -> Vec<(PeerId, KnownPeer)> {
        let mut v: Vec<_> = self.peers.iter().map(|(p, k)| (*p, k.clone())).collect();
        v.sort_by(|a, b| b.1.last_seen.cmp(&a.1.last_seen).then(a.0.cmp(&b.0)));
        v
    }

    /// Number of known peers.
    pub fn len(&self) -> usize {
        self.peers.len()
    }

    /// Whether no peer is known.
    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }

    /// Records that `peer` is connected and listens on `addrs` (invalid
    /// ones are dropped; a peer with none is not recorded). Evicts the
    /// least recently seen peer when full.
    pub fn record(&mut self, peer: PeerId, addrs: &[Multiaddr]) {
        let mut valid: Vec<Multiaddr> = Vec::new();
        for a in addrs {
            if let Some(m) = dialable(a, &peer) {
                if !valid.contains(&m) && valid.len() < MAX_ADDRS_PER_PEER {
                    valid.push(m);
                }
            }
        }
        if valid.is_empty() {
            return;
        }
        if !self.peers.contains_key(&peer) && self.peers.len() >= self.max_peers {
            if let Some(oldest) = self
                .peers
                .iter()
                .min_by_key(|(p, k)| (k.last_seen, **p))
                .map(|(p, _)| *p)
            {
                self.peers.remove(&oldest);
            }
        }
        self.peers.insert(
            peer,
            KnownPeer {
                addrs: valid,
                last_seen: now_secs(),
            },
        );
        self.dirty = true;
    }

    /// Forgets `peer` (banned, or on another chain).
    pub fn remove(&mut self, peer: &PeerId) {
        if self.peers.remove(peer).is_some() {
            self.dirty = true;
        }
    }

    /// Writes the store to its file (atomically) if it changed; a store
    /// without a file does nothing.
    pub fn save(&mut self) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if !self.dirty {
            return Ok(());
        }
        let file = File {
            version: PEER_FILE_VERSION,
            peers: self
                .peers()
                .into_iter()
                .map(|(p, k)| FileEntry {
                    peer: p.to_string(),
                    addrs: k.addrs.iter().map(ToString::to_string).collect(),
                    last_seen: k.last_seen,
                })
                .collect(),
        };
        let text = serde_json::to_string_pretty(&file).map_err(std::io::Error::other)?;
        let tmp = path.with_extension("tmp");
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        self.dirty = false;
        Ok(())
    }
}

/// Reads at most [`MAX_PEER_FILE_BYTES`]; `Ok(None)` if the file does not
/// exist.
fn read_limited(path: &Path) -> Result<Option<String>, String> {
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot open: {e}")),
    };
    let mut buf = Vec::new();
    f.take(MAX_PEER_FILE_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read: {e}"))?;
    if buf.len() as u64 > MAX_PEER_FILE_BYTES {
        return Err(format!("larger than {MAX_PEER_FILE_BYTES} bytes"));
    }
    String::from_utf8(buf)
        .map(Some)
        .map_err(|_| "not UTF-8".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid(i: u8) -> PeerId {
        crate::NodeKey::from_secret_bytes([i; 32]).peer_id()
    }

    fn addr(port: u16) -> Multiaddr {
        format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap()
    }

    #[test]
    fn dialable_addresses() {
        let p = pid(1);
        assert_eq!(dialable(&addr(5), &p), Some(addr(5)));
        let with_self: Multiaddr = format!("/ip4/127.0.0.1/tcp/5/p2p/{p}").parse().unwrap();
        assert_eq!(dialable(&with_self, &p), Some(addr(5)));
        let other: Multiaddr = format!("/ip4/127.0.0.1/tcp/5/p2p/{}", pid(2))
            .parse()
            .unwrap();
        for bad in [
            other,
            "/ip4/0.0.0.0/tcp/5".parse().unwrap(),
            "/ip4/127.0.0.1/tcp/0".parse().unwrap(),
            "/ip4/127.0.0.1/udp/5".parse().unwrap(),
            "/tcp/5".parse().unwrap(),
            "/ip4/127.0.0.1".parse().unwrap(),
            "/ip4/127.0.0.1/tcp/5/ws".parse().unwrap(),
        ] {
            assert_eq!(dialable(&bad, &p), None, "{bad}");
        }
    }

    #[test]
    fn round_trip_bounds_and_eviction() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("peers.json");
        let mut s = PeerStore::new(Some(path.clone()), 3);
        for i in 1..=4u8 {
            let addrs: Vec<_> = (0..10).map(|k| addr(1000 * u16::from(i) + k)).collect();
            s.record(pid(i), &addrs);
        }
        assert_eq!(s.len(), 3, "bounded");
        assert!(s
            .peers()
            .iter()
            .all(|(_, k)| k.addrs.len() == MAX_ADDRS_PER_PEER));
        s.record(pid(9), &["/ip4/0.0.0.0/tcp/1".parse().unwrap()]);
        assert_eq!(s.len(), 3, "a peer without a dialable address is not kept");
        s.save().unwrap();
        let (t, r) = PeerStore::load(&path, 10);
        assert_eq!((r.loaded, r.skipped, r.set_aside), (3, 0, false));
        assert_eq!(t.peers(), s.peers());
        s.remove(&pid(4));
        s.save().unwrap();
        assert_eq!(PeerStore::load(&path, 10).0.len(), 2);
        // A smaller limit keeps the most recent.
        assert_eq!(PeerStore::load(&path, 1).0.len(), 1);
    }

    #[test]
    fn bad_entries_are_skipped_and_bad_files_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("peers.json");
        let good = pid(1);
        let text = serde_json::json!({
            "version": 1,
            "peers": [
                {"peer": good.to_string(), "addrs": ["/ip4/127.0.0.1/tcp/7", "garbage", "/ip4/0.0.0.0/tcp/7"], "last_seen": 5},
                {"peer": "not a peer id", "addrs": ["/ip4/127.0.0.1/tcp/8"], "last_seen": 6},
                {"peer": pid(2).to_string(), "addrs": [], "last_seen": 7},
                {"peer": pid(3).to_string(), "addrs": [format!("/ip4/127.0.0.1/tcp/9/p2p/{}", pid(4))], "last_seen": 8},
            ]
        });
        std::fs::write(&path, text.to_string()).unwrap();
        let (s, r) = PeerStore::load(&path, 10);
        assert_eq!(s.len(), 1);
        assert_eq!(s.peers()[0].0, good);
        assert_eq!(s.peers()[0].1.addrs, vec![addr(7)]);
        assert!(r.skipped >= 4, "{r:?}");
        assert!(!r.set_aside);
        // Corrupt JSON, a wrong version, a wrong shape, a huge file: set
        // aside, empty store, no panic.
        let huge = "x".repeat(MAX_PEER_FILE_BYTES as usize + 1);
        for content in [
            "{not json".to_string(),
            r#"{"version": 2, "peers": []}"#.to_string(),
            r#"{"version": 1, "peers": 5}"#.to_string(),
            huge,
        ] {
            std::fs::write(&path, &content).unwrap();
            let (s, r) = PeerStore::load(&path, 10);
            assert!(s.is_empty());
            assert!(r.set_aside);
            assert!(!path.exists());
            assert!(path.with_extension("corrupt").exists());
        }
        // Binary garbage.
        std::fs::write(&path, [0xff, 0xfe, 0x00]).unwrap();
        assert!(PeerStore::load(&path, 10).1.set_aside);
        // Missing file: empty, nothing set aside.
        std::fs::remove_file(path.with_extension("corrupt")).unwrap();
        let (s, r) = PeerStore::load(&dir.path().join("none.json"), 10);
        assert!(s.is_empty() && !r.set_aside);
    }
}
