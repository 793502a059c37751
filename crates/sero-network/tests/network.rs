//! End-to-end tests on real loopback sockets.
//!
//! Every node runs a small "application" task that records what it sees,
//! accepts gossip unless the payload starts with `bad`, and answers sync
//! requests. Assertions poll with generous timeouts instead of sleeping for a
//! fixed time, so they hold on a loaded machine.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sero_network::{
    Multiaddr, Network, NetworkConfig, NetworkError, NetworkEvent, NetworkHandle, NetworkLimits,
    NodeKey, PeerId, Protocol, PublishStatus, Topic, Validation,
};
use tokio::task::JoinHandle;

const CHAIN: [u8; 32] = [0x5e; 32];
const OTHER_CHAIN: [u8; 32] = [0x77; 32];
const WAIT: Duration = Duration::from_secs(60);

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "sero_network=warn".into()),
        )
        .with_test_writer()
        .try_init();
}

fn test_limits() -> NetworkLimits {
    NetworkLimits {
        redial_interval: Duration::from_millis(300),
        ban_duration: Duration::from_secs(120),
        request_timeout: Duration::from_secs(20),
        ..NetworkLimits::default()
    }
}

#[derive(Default)]
struct Log {
    gossip: Vec<(Topic, Vec<u8>, PeerId)>,
    connected: Vec<PeerId>,
    disconnected: Vec<PeerId>,
}

struct Node {
    handle: NetworkHandle,
    peer: PeerId,
    /// Listen address with `/p2p/<peer>`.
    addr: Multiaddr,
    log: Arc<Mutex<Log>>,
    app: JoinHandle<()>,
}

impl Node {
    fn received(&self, data: &[u8]) -> bool {
        self.log
            .lock()
            .unwrap()
            .gossip
            .iter()
            .any(|(_, d, _)| d == data)
    }

    fn received_with_prefix(&self, prefix: &[u8]) -> Vec<Vec<u8>> {
        self.log
            .lock()
            .unwrap()
            .gossip
            .iter()
            .filter(|(_, d, _)| d.starts_with(prefix))
            .map(|(_, d, _)| d.clone())
            .collect()
    }

    fn has_peer(&self, peer: PeerId) -> bool {
        self.handle.peers().contains(&peer)
    }

    async fn stop(self) {
        // Resolves once the swarm is dropped and the port is free.
        self.handle.shutdown().await;
        // The event channel closes with the swarm, ending the app task.
        tokio::time::timeout(WAIT, self.app)
            .await
            .expect("app task ends after shutdown")
            .unwrap();
    }
}

async fn start_node(
    chain_id: [u8; 32],
    listen: Multiaddr,
    bootnodes: Vec<Multiaddr>,
    limits: NetworkLimits,
    key: NodeKey,
) -> Node {
    start_node_with_store(chain_id, listen, bootnodes, limits, key, None).await
}

async fn start_node_with_store(
    chain_id: [u8; 32],
    listen: Multiaddr,
    bootnodes: Vec<Multiaddr>,
    limits: NetworkLimits,
    key: NodeKey,
    peer_store: Option<std::path::PathBuf>,
) -> Node {
    init_tracing();
    let config = NetworkConfig {
        listen,
        bootnodes,
        chain_id,
        limits,
        peer_store,
    };
    let (handle, mut events) = Network::start(config, key).expect("network starts");
    let peer = handle.local_peer_id();
    let listen = tokio::time::timeout(WAIT, handle.listen_addrs())
        .await
        .expect("listening");
    let addr = listen
        .first()
        .cloned()
        .expect("a listen address")
        .with(Protocol::P2p(peer));
    let log = Arc::new(Mutex::new(Log::default()));
    let app_log = log.clone();
    let app_handle = handle.clone();
    let app = tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            match event {
                NetworkEvent::Gossip {
                    topic,
                    data,
                    source,
                    id,
                } => {
                    let verdict = if data.starts_with(b"bad") {
                        Validation::Reject
                    } else {
                        Validation::Accept
                    };
                    // Verdict first, so a test that sees the message logged
                    // can rely on the verdict having reached the network.
                    app_handle.validate(id, source, verdict);
                    app_log.lock().unwrap().gossip.push((topic, data, source));
                }
                NetworkEvent::Request {
                    request, channel, ..
                } => {
                    // `ping` -> `pong`, `big:<n>` -> n bytes, anything
                    // else (`silent`) -> no answer (the channel is dropped).
                    let response = if request == b"ping" {
                        Some(b"pong".to_vec())
                    } else if let Some(n) = request.strip_prefix(b"big:") {
                        let n: usize = std::str::from_utf8(n).unwrap().parse().unwrap();
                        Some(vec![0xab; n])
                    } else {
                        None
                    };
                    if let Some(response) = response {
                        app_handle.respond(channel, response);
                    }
                }
                NetworkEvent::PeerConnected(p) => app_log.lock().unwrap().connected.push(p),
                NetworkEvent::PeerDisconnected(p) => app_log.lock().unwrap().disconnected.push(p),
            }
        }
    });
    Node {
        handle,
        peer,
        addr,
        log,
        app,
    }
}

async fn node(bootnodes: &[&Node]) -> Node {
    node_on(CHAIN, bootnodes, test_limits()).await
}

async fn node_on(chain_id: [u8; 32], bootnodes: &[&Node], limits: NetworkLimits) -> Node {
    start_node(
        chain_id,
        "/ip4/127.0.0.1/tcp/0".parse().unwrap(),
        bootnodes.iter().map(|n| n.addr.clone()).collect(),
        limits,
        NodeKey::generate(),
    )
    .await
}

/// Polls `cond` every 50 ms until it holds, panicking after [`WAIT`].
async fn wait_until<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    while !cond().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Publishes fresh messages `<prefix>-<i>` from `from` every 200 ms until `to`
/// receives one; returns the one received. Meshes need a heartbeat or two
/// after connecting, and a publish before the peer's subscription is known is
/// not sent at all, so retrying is the robust way to wait for a working path.
async fn gossip_until_received(from: &Node, to: &Node, topic: Topic, prefix: &str) -> Vec<u8> {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut sent = Vec::new();
    for i in 0.. {
        let msg = format!("{prefix}-{i}").into_bytes();
        from.handle.publish(topic, msg.clone()).unwrap();
        sent.push(msg);
        for _ in 0..4 {
            if let Some(got) = sent.iter().find(|m| to.received(m)) {
                return got.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out: no {prefix} gossip reached the peer"
        );
    }
    unreachable!()
}

/// Limits with discovery off, for tests that need a fixed topology.
fn no_discovery() -> NetworkLimits {
    NetworkLimits {
        target_peers: 0,
        ..test_limits()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_relays_accepted_gossip_and_bans_garbage_sender() {
    let b = node_on(CHAIN, &[], no_discovery()).await;
    let a = node_on(CHAIN, &[&b], no_discovery()).await;
    let c = node_on(CHAIN, &[&b], no_discovery()).await; // C only knows B (no discovery)
    wait_until("B sees A and C", || async {
        b.has_peer(a.peer) && b.has_peer(c.peer)
    })
    .await;
    assert!(!c.has_peer(a.peer), "C must not know A directly");

    // Accepted by B, relayed to C (which only hears from B).
    let got = gossip_until_received(&a, &c, Topic::Transactions, "good").await;
    let from = c
        .log
        .lock()
        .unwrap()
        .gossip
        .iter()
        .find(|(_, d, _)| *d == got)
        .map(|(_, _, s)| *s);
    assert_eq!(from, Some(b.peer), "C gets it from B");
    assert!(b.received(&got));

    // Rejected by B: not relayed. A later accepted message on the same path
    // arrives, so the rejected one had every chance to.
    let status = a
        .handle
        .publish_with_status(Topic::Transactions, b"bad-0".to_vec())
        .await
        .unwrap();
    assert_eq!(status, PublishStatus::Published);
    wait_until("B sees bad-0", || async { b.received(b"bad-0") }).await;
    let score = b
        .handle
        .peer_score(a.peer)
        .await
        .expect("A has a score at B");
    assert!(score < 0.0, "a rejected message costs score, got {score}");
    a.handle
        .publish(Topic::Transactions, b"after-bad".to_vec())
        .unwrap();
    wait_until("C gets the next good message", || async {
        c.received(b"after-bad")
    })
    .await;
    assert!(c.received_with_prefix(b"bad").is_empty());

    // Repeated garbage: B bans A.
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut i = 1;
    while b.has_peer(a.peer) {
        assert!(tokio::time::Instant::now() < deadline, "B never dropped A");
        // A may already be cut off: publishing then reports no peers.
        let _ = a
            .handle
            .publish(Topic::Transactions, format!("bad-{i}").into_bytes());
        i += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rejected = b.received_with_prefix(b"bad").len();
    // Five rejections graylist A (a few more may be in flight meanwhile).
    assert!(
        (5..=20).contains(&rejected),
        "graylisted after about five rejections, saw {rejected}"
    );
    wait_until("B reports A disconnected", || async {
        b.log.lock().unwrap().disconnected.contains(&a.peer)
    })
    .await;
    // A keeps redialling B (every 300 ms) but stays banned.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!b.has_peer(a.peer), "banned peer reconnected");
    assert!(!a.has_peer(b.peer));
    // C is unaffected and never saw garbage.
    assert!(b.has_peer(c.peer));
    assert!(c.received_with_prefix(b"bad").is_empty());

    for n in [a, b, c] {
        n.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_publish_is_rejected_locally() {
    let n = node(&[]).await;
    let limits = NetworkLimits::default();
    for topic in Topic::ALL {
        let max = limits.max_gossip_size(topic);
        assert!(matches!(
            n.handle.publish(topic, vec![1; max + 1]),
            Err(NetworkError::MessageTooLarge { .. })
        ));
        match n.handle.publish_with_status(topic, vec![1; max + 1]).await {
            Err(NetworkError::MessageTooLarge {
                topic: t,
                size,
                max: m,
            }) => assert_eq!((t, size, m), (topic, max + 1, max)),
            other => panic!("expected MessageTooLarge, got {other:?}"),
        }
        // At the limit it is fine; with no peers it is simply not sent.
        let status = n
            .handle
            .publish_with_status(topic, vec![2; max])
            .await
            .unwrap();
        assert_eq!(status, PublishStatus::InsufficientPeers);
        n.handle.publish(topic, vec![3; max]).unwrap();
    }
    assert_eq!(limits.max_transaction_size, 128 * 1024 + 4 * 1024);
    assert_eq!(limits.max_proposal_size, 4 * 1024);
    assert_eq!(limits.max_vote_size, 1024);
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_received_gossip_is_dropped() {
    let b = node(&[]).await;
    // A misconfigured (or malicious) sender that allows larger votes.
    let a = node_on(
        CHAIN,
        &[&b],
        NetworkLimits {
            max_vote_size: 8 * 1024,
            ..test_limits()
        },
    )
    .await;
    gossip_until_received(&a, &b, Topic::Votes, "vote").await;

    // Just over B's limit (within the wire slack: dropped by the swarm task
    // with a warning) and far over it (dropped by gossipsub).
    let mut slightly = b"oversized".to_vec();
    slightly.resize(1500, 1);
    let mut far = b"oversized".to_vec();
    far.resize(6000, 2);
    for msg in [slightly, far] {
        let status = a
            .handle
            .publish_with_status(Topic::Votes, msg)
            .await
            .unwrap();
        assert_eq!(status, PublishStatus::Published);
    }
    a.handle.publish(Topic::Votes, b"marker".to_vec()).unwrap();
    wait_until("B gets the marker", || async { b.received(b"marker") }).await;
    assert!(b.received_with_prefix(b"oversized").is_empty());
    // B survived and still talks to A.
    assert!(b.has_peer(a.peer));
    let score = b.handle.peer_score(a.peer).await.unwrap();
    assert!(score < 0.0, "oversized messages cost score, got {score}");

    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_response_roundtrip_and_limits() {
    let b = node_on(
        CHAIN,
        &[],
        NetworkLimits {
            max_response_size: 2 * 1024 * 1024,
            ..test_limits()
        },
    )
    .await;
    let a = node_on(
        CHAIN,
        &[&b],
        NetworkLimits {
            max_response_size: 1024 * 1024,
            request_timeout: Duration::from_secs(5),
            ..test_limits()
        },
    )
    .await;
    wait_until("A sees B", || async { a.has_peer(b.peer) }).await;

    let response = a.handle.request(b.peer, b"ping".to_vec()).await.unwrap();
    assert_eq!(response, b"pong");
    // Exactly at A's response limit.
    let response = a
        .handle
        .request(b.peer, format!("big:{}", 1024 * 1024).into_bytes())
        .await
        .unwrap();
    assert_eq!(response.len(), 1024 * 1024);
    // The other direction works too.
    assert_eq!(
        b.handle.request(a.peer, b"ping".to_vec()).await.unwrap(),
        b"pong"
    );

    // B may send 1.5 MiB, A accepts only 1 MiB: refused from the length
    // prefix.
    match a
        .handle
        .request(b.peer, format!("big:{}", 1536 * 1024).into_bytes())
        .await
    {
        Err(NetworkError::ResponseTooLarge { size, max }) => {
            assert_eq!((size, max), (1536 * 1024, 1024 * 1024))
        }
        other => panic!("expected ResponseTooLarge, got {other:?}"),
    }
    // Over B's own limit: B's respond() drops it (with a warning), and A's
    // request fails.
    let err = a
        .handle
        .request(b.peer, format!("big:{}", 3 * 1024 * 1024).into_bytes())
        .await
        .unwrap_err();
    assert!(!matches!(err, NetworkError::Shutdown), "{err:?}");

    // No answer at all.
    let err = a.handle.request(b.peer, b"silent".to_vec()).await;
    assert!(err.is_err(), "{err:?}");

    // Oversized request: refused before sending.
    match a.handle.request(b.peer, vec![0; 64 * 1024 + 1]).await {
        Err(NetworkError::RequestTooLarge { size, max }) => {
            assert_eq!((size, max), (64 * 1024 + 1, 64 * 1024))
        }
        other => panic!("expected RequestTooLarge, got {other:?}"),
    }
    // Unknown peer.
    let stranger = NodeKey::generate().peer_id();
    match a.handle.request(stranger, b"ping".to_vec()).await {
        Err(NetworkError::PeerUnreachable(p)) => assert_eq!(p, stranger),
        other => panic!("expected PeerUnreachable, got {other:?}"),
    }

    // The connection survived all of it.
    assert_eq!(
        a.handle.request(b.peer, b"ping".to_vec()).await.unwrap(),
        b"pong"
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_of_another_chain_exchanges_no_gossip() {
    let a = node(&[]).await;
    let b = node(&[&a]).await;
    let x = node_on(OTHER_CHAIN, &[&a], test_limits()).await;
    gossip_until_received(&a, &b, Topic::Proposals, "proposal").await;

    // X is disconnected as soon as identify shows its chain, and stays out.
    for _ in 0..10 {
        a.handle
            .publish(Topic::Proposals, b"for-this-chain".to_vec())
            .unwrap();
        let status = x
            .handle
            .publish_with_status(Topic::Proposals, b"from-other-chain".to_vec())
            .await
            .unwrap();
        assert_ne!(status, PublishStatus::Published);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(x.log.lock().unwrap().gossip.is_empty());
    assert!(!a.received(b"from-other-chain"));
    assert!(!b.received(b"from-other-chain"));
    assert!(!a.has_peer(x.peer));
    assert!(x.handle.peers().is_empty());
    assert!(!a.log.lock().unwrap().connected.contains(&x.peer));
    assert!(x.log.lock().unwrap().connected.is_empty());
    // Other-chain peers cannot use our sync protocol either.
    assert!(x.handle.request(a.peer, b"ping".to_vec()).await.is_err());

    for n in [a, b, x] {
        n.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_hub_is_redialled_and_network_heals() {
    let hub_key = NodeKey::generate();
    let hub = start_node(
        CHAIN,
        "/ip4/127.0.0.1/tcp/0".parse().unwrap(),
        vec![],
        no_discovery(),
        hub_key.clone(),
    )
    .await;
    // A star (discovery off): the leaves know only the hub.
    let a = node_on(CHAIN, &[&hub], no_discovery()).await;
    let c = node_on(CHAIN, &[&hub], no_discovery()).await;
    let d = node_on(CHAIN, &[&hub], no_discovery()).await;
    wait_until("hub sees three peers", || async {
        hub.handle.peers().len() == 3
    })
    .await;
    gossip_until_received(&a, &d, Topic::Transactions, "before").await;

    // Kill the hub; everyone loses it.
    let hub_addr = hub.addr.clone();
    let listen: Multiaddr = hub_addr
        .iter()
        .filter(|p| !matches!(p, Protocol::P2p(_)))
        .collect();
    hub.stop().await;
    wait_until("leaves lose the hub", || async {
        a.handle.peers().is_empty() && c.handle.peers().is_empty() && d.handle.peers().is_empty()
    })
    .await;

    // Same key, same port: the leaves redial it.
    let hub = start_node(CHAIN, listen, vec![], no_discovery(), hub_key).await;
    assert_eq!(hub.addr, hub_addr);
    wait_until("hub sees three peers again", || async {
        hub.handle.peers().len() == 3
    })
    .await;
    gossip_until_received(&a, &d, Topic::Transactions, "after").await;
    gossip_until_received(&d, &c, Topic::Votes, "vote-after").await;

    for n in [a, c, d, hub] {
        n.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_rejects_bad_config_and_busy_port() {
    let n = node(&[]).await;
    // Bootnode without /p2p.
    let mut config = NetworkConfig::new(
        "/ip4/127.0.0.1/tcp/0".parse().unwrap(),
        vec!["/ip4/127.0.0.1/tcp/1".parse().unwrap()],
        CHAIN,
    );
    assert!(matches!(
        Network::start(config.clone(), NodeKey::generate()),
        Err(NetworkError::InvalidBootnode(_))
    ));
    // Port in use.
    config.bootnodes.clear();
    config.listen = n
        .addr
        .iter()
        .filter(|p| !matches!(p, Protocol::P2p(_)))
        .collect();
    assert!(matches!(
        Network::start(config.clone(), NodeKey::generate()),
        Err(NetworkError::Listen { .. })
    ));
    // Nonsense limits.
    config.listen = "/ip4/127.0.0.1/tcp/0".parse().unwrap();
    config.limits.max_vote_size = 0;
    assert!(matches!(
        Network::start(config, NodeKey::generate()),
        Err(NetworkError::Config(_))
    ));
    // After shutdown every call fails cleanly.
    let handle = n.handle.clone();
    let n_peer = n.peer;
    n.stop().await;
    assert!(matches!(
        handle.publish(Topic::Votes, vec![1]),
        Err(NetworkError::Shutdown)
    ));
    assert!(matches!(
        handle.request(n_peer, b"ping".to_vec()).await,
        Err(NetworkError::Shutdown)
    ));
    assert!(handle.peers().is_empty());
    assert!(handle.listen_addrs().await.is_empty());
    // Shutting down twice is harmless.
    handle.shutdown().await;
}

fn discovery_limits() -> NetworkLimits {
    NetworkLimits {
        discovery_interval: Duration::from_millis(500),
        ..test_limits()
    }
}

/// Peer discovery beyond bootnodes: six nodes that each know only node 0
/// (the bootnode) end up connected to all five others (a full mesh), and
/// every node's routing table knows every other node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn six_nodes_knowing_one_bootnode_form_a_full_mesh() {
    let boot = node_on(CHAIN, &[], discovery_limits()).await;
    let mut nodes = vec![boot];
    for _ in 1..6 {
        let n = node_on(CHAIN, &[&nodes[0]], discovery_limits()).await;
        nodes.push(n);
    }
    let ids: Vec<PeerId> = nodes.iter().map(|n| n.peer).collect();
    for (i, n) in nodes.iter().enumerate() {
        let others: Vec<PeerId> = ids.iter().copied().filter(|p| *p != n.peer).collect();
        wait_until(&format!("node {i} connected to all 5 others"), || async {
            others.iter().all(|p| n.has_peer(*p))
        })
        .await;
        let known = n.handle.known_peers().await;
        for p in &others {
            assert!(known.contains(p), "node {i} knows {p}");
        }
    }
    // Gossip now reaches everyone (flood publishing to direct peers).
    nodes[5]
        .handle
        .publish(Topic::Transactions, b"mesh".to_vec())
        .unwrap();
    for (i, n) in nodes.iter().enumerate().take(5) {
        wait_until(&format!("node {i} receives"), || async {
            n.received(b"mesh")
        })
        .await;
    }
    for n in nodes {
        n.stop().await;
    }
}

/// The peer store: a node restarted with no bootnode at all finds its
/// peers again from the file it saved; a corrupt file does not stop it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_node_reconnects_from_its_peer_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("peers.json");
    let a = node_on(CHAIN, &[], discovery_limits()).await;
    let b = node_on(CHAIN, &[&a], discovery_limits()).await;
    let key_bytes = [0x42u8; 32];
    let key = NodeKey::from_secret_bytes(key_bytes);
    let c = start_node_with_store(
        CHAIN,
        "/ip4/127.0.0.1/tcp/0".parse().unwrap(),
        vec![a.addr.clone()],
        discovery_limits(),
        key,
        Some(store.clone()),
    )
    .await;
    wait_until("C meets A and B", || async {
        c.has_peer(a.peer) && c.has_peer(b.peer)
    })
    .await;
    c.stop().await;
    let saved = std::fs::read_to_string(&store).expect("peer store saved");
    assert!(saved.contains(&a.peer.to_string()) && saved.contains(&b.peer.to_string()));

    // Restart with no bootnode: the store alone reconnects it.
    let c = start_node_with_store(
        CHAIN,
        "/ip4/127.0.0.1/tcp/0".parse().unwrap(),
        vec![],
        discovery_limits(),
        NodeKey::from_secret_bytes(key_bytes),
        Some(store.clone()),
    )
    .await;
    wait_until("C reconnects to A and B from its store", || async {
        c.has_peer(a.peer) && c.has_peer(b.peer)
    })
    .await;
    c.stop().await;

    // A corrupt store: set aside, the node starts anyway (with its bootnode).
    std::fs::write(&store, b"{ not json").unwrap();
    let c = start_node_with_store(
        CHAIN,
        "/ip4/127.0.0.1/tcp/0".parse().unwrap(),
        vec![a.addr.clone()],
        discovery_limits(),
        NodeKey::from_secret_bytes(key_bytes),
        Some(store.clone()),
    )
    .await;
    assert!(store.with_extension("corrupt").exists());
    wait_until("C connects through its bootnode", || async {
        c.has_peer(a.peer)
    })
    .await;
    c.stop().await;
    a.stop().await;
    b.stop().await;
}
