//! The swarm task and the handle that drives it.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::StreamExt;
use libp2p::core::ConnectedPoint;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance, MessageId, TopicHash};
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, OutboundFailure, OutboundRequestId, ProtocolSupport};
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{
    allow_block_list, connection_limits, identify, kad, noise, ping, tcp, yamux, Multiaddr, PeerId,
    StreamProtocol, Swarm, SwarmBuilder,
};
use tokio::sync::{mpsc, oneshot, watch};

use crate::codec::{frame_too_large, BytesCodec};
use crate::config::{NetworkConfig, NetworkLimits, Topic, GOSSIP_WIRE_OVERHEAD};
use crate::error::NetworkError;
use crate::key::NodeKey;
use crate::peers::{dialable, PeerStore};
use crate::scoring;

/// The application's verdict on a received gossip message, reported with
/// [`NetworkHandle::validate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validation {
    /// Valid: relay it to the mesh.
    Accept,
    /// Provably invalid (bad signature, malformed, invalid proof): drop it and
    /// penalise the peer that sent it (see the crate docs on scoring).
    Reject,
    /// Not relayed but not the peer's fault (duplicate, stale, already known,
    /// or we cannot judge it): drop it without penalty.
    Ignore,
}

impl From<Validation> for MessageAcceptance {
    fn from(v: Validation) -> Self {
        match v {
            Validation::Accept => MessageAcceptance::Accept,
            Validation::Reject => MessageAcceptance::Reject,
            Validation::Ignore => MessageAcceptance::Ignore,
        }
    }
}

/// What [`NetworkHandle::publish_with_status`] did. None of these needs
/// handling by the node; they are informative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishStatus {
    /// Sent to at least one peer.
    Published,
    /// No connected peer is subscribed to the topic yet; nothing was sent
    /// (logged at debug). The message is not queued: gossip is best effort,
    /// and sync recovers whatever a node missed.
    InsufficientPeers,
    /// The same bytes were already published or received on this topic
    /// recently (message ids are content hashes); nothing was sent again.
    Duplicate,
}

/// Answers one inbound sync request; hand it back to
/// [`NetworkHandle::respond`]. Dropping it without responding makes the
/// requester's call fail.
pub struct ResponseChannel {
    peer: PeerId,
    inner: request_response::ResponseChannel<Vec<u8>>,
}

impl ResponseChannel {
    /// The peer that sent the request.
    pub fn peer(&self) -> PeerId {
        self.peer
    }
}

impl fmt::Debug for ResponseChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseChannel")
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

/// Events from the network to the application.
#[derive(Debug)]
pub enum NetworkEvent {
    /// A gossip message that passed the size check. Nothing is relayed until
    /// the application reports its verdict with [`NetworkHandle::validate`]
    /// (within [`NetworkLimits::validation_window`]).
    Gossip {
        /// The topic it arrived on.
        topic: Topic,
        /// The payload.
        data: Vec<u8>,
        /// The peer that forwarded it to us (not necessarily its author).
        source: PeerId,
        /// Its id (a hash of topic and payload), for [`NetworkHandle::validate`].
        id: MessageId,
    },
    /// A sync request; answer with [`NetworkHandle::respond`] within
    /// [`NetworkLimits::request_timeout`].
    Request {
        /// The requesting peer.
        peer: PeerId,
        /// The request bytes.
        request: Vec<u8>,
        /// Where the response goes.
        channel: ResponseChannel,
    },
    /// A peer on our chain connected (sent after identify confirmed its chain).
    PeerConnected(PeerId),
    /// A peer previously reported connected lost its last connection.
    PeerDisconnected(PeerId),
}

enum Command {
    Publish {
        topic: Topic,
        data: Vec<u8>,
        reply: Option<oneshot::Sender<Result<PublishStatus, NetworkError>>>,
    },
    Validate {
        id: MessageId,
        source: PeerId,
        validation: Validation,
    },
    Request {
        peer: PeerId,
        request: Vec<u8>,
        reply: oneshot::Sender<Result<Vec<u8>, NetworkError>>,
    },
    Respond {
        channel: ResponseChannel,
        response: Vec<u8>,
    },
    PeerScore(PeerId, oneshot::Sender<Option<f64>>),
    ListenAddrs(oneshot::Sender<Vec<Multiaddr>>),
    Dial(Multiaddr),
    KnownPeers(oneshot::Sender<Vec<PeerId>>),
}

impl Command {
    fn name(&self) -> &'static str {
        match self {
            Command::Publish { .. } => "publish",
            Command::Validate { .. } => "validate",
            Command::Request { .. } => "request",
            Command::Respond { .. } => "respond",
            Command::PeerScore(..) => "peer_score",
            Command::ListenAddrs(_) => "listen_addrs",
            Command::Dial(_) => "dial",
            Command::KnownPeers(_) => "known_peers",
        }
    }
}

/// Drives the network from the application. Cheap to clone, `Send` and
/// `Sync`; the network runs until [`NetworkHandle::shutdown`] or until every
/// handle is dropped.
///
/// The fire-and-forget methods ([`publish`](Self::publish),
/// [`validate`](Self::validate), [`respond`](Self::respond),
/// [`dial`](Self::dial)) never block: they queue a command on the bounded
/// command channel ([`NetworkLimits::command_buffer`]) and, if it is full,
/// drop it with a warning.
#[derive(Clone)]
pub struct NetworkHandle {
    commands: mpsc::Sender<Command>,
    local_peer_id: PeerId,
    limits: NetworkLimits,
    peers: Arc<Mutex<HashSet<PeerId>>>,
    stop: Arc<watch::Sender<bool>>,
    stopped: watch::Receiver<bool>,
}

impl fmt::Debug for NetworkHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetworkHandle")
            .field("local_peer_id", &self.local_peer_id)
            .finish_non_exhaustive()
    }
}

/// Resolves once the network task has stopped and its sockets are closed;
/// returned by [`NetworkHandle::shutdown`]. Awaiting it is optional.
pub struct Shutdown(Pin<Box<dyn Future<Output = ()> + Send>>);

impl Future for Shutdown {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}

impl fmt::Debug for Shutdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Shutdown")
    }
}

impl NetworkHandle {
    /// Queues `cmd` without waiting.
    fn queue(&self, cmd: Command) -> Result<(), NetworkError> {
        match self.commands.try_send(cmd) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(cmd)) => {
                tracing::warn!(
                    command = cmd.name(),
                    capacity = self.limits.command_buffer,
                    "network command channel full; dropping command"
                );
                Err(NetworkError::Busy)
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(NetworkError::Shutdown),
        }
    }

    /// Sends a command that expects a reply, waiting for room in the queue.
    async fn call<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> Option<T> {
        let (tx, rx) = oneshot::channel();
        self.commands.send(make(tx)).await.ok()?;
        rx.await.ok()
    }

    /// This node's peer id.
    pub fn local_peer_id(&self) -> PeerId {
        self.local_peer_id
    }

    /// Gossips `data` on `topic` (flood-published to every subscribed peer
    /// whose score allows it). Returns once queued.
    ///
    /// Fails with [`NetworkError::MessageTooLarge`] (nothing sent) if `data`
    /// exceeds the topic's limit, [`NetworkError::Busy`] if the command queue
    /// is full, [`NetworkError::Shutdown`] after shutdown. Having no peers yet
    /// is **not** an error: the message is not sent, and that is logged at
    /// debug (use [`publish_with_status`](Self::publish_with_status) to learn
    /// the outcome).
    pub fn publish(&self, topic: Topic, data: Vec<u8>) -> Result<(), NetworkError> {
        self.check_gossip_size(topic, &data)?;
        self.queue(Command::Publish {
            topic,
            data,
            reply: None,
        })
    }

    /// Like [`publish`](Self::publish), but waits for the swarm and reports
    /// what happened ([`PublishStatus::InsufficientPeers`] when no peer is
    /// subscribed yet).
    pub async fn publish_with_status(
        &self,
        topic: Topic,
        data: Vec<u8>,
    ) -> Result<PublishStatus, NetworkError> {
        self.check_gossip_size(topic, &data)?;
        self.call(|reply| Command::Publish {
            topic,
            data,
            reply: Some(reply),
        })
        .await
        .unwrap_or(Err(NetworkError::Shutdown))
    }

    fn check_gossip_size(&self, topic: Topic, data: &[u8]) -> Result<(), NetworkError> {
        let max = self.limits.max_gossip_size(topic);
        if data.len() > max {
            return Err(NetworkError::MessageTooLarge {
                topic,
                size: data.len(),
                max,
            });
        }
        Ok(())
    }

    /// Reports the application's verdict on the gossip message `id` received
    /// from `source` (both from [`NetworkEvent::Gossip`]). Call it exactly
    /// once per message. Never blocks; a verdict that cannot be queued (full
    /// channel, logged) or that arrives after the validation window has no
    /// effect: the message is then never relayed and nobody is penalised.
    pub fn validate(&self, id: MessageId, source: PeerId, validation: Validation) {
        let _ = self.queue(Command::Validate {
            id,
            source,
            validation,
        });
    }

    /// Sends a sync request to `peer` and waits for its response (dialling
    /// the peer if it is not connected and its address is known), for at
    /// most [`NetworkLimits::request_timeout`].
    pub async fn request(&self, peer: PeerId, request: Vec<u8>) -> Result<Vec<u8>, NetworkError> {
        let max = self.limits.max_request_size;
        if request.len() > max {
            return Err(NetworkError::RequestTooLarge {
                size: request.len(),
                max,
            });
        }
        self.call(|reply| Command::Request {
            peer,
            request,
            reply,
        })
        .await
        .unwrap_or(Err(NetworkError::Shutdown))
    }

    /// Answers the request that came with `channel`. Never blocks. A
    /// response over [`NetworkLimits::max_response_size`], or one that cannot
    /// be delivered (request timed out, connection closed, full command
    /// channel), is dropped with a warning and the requester's call fails.
    pub fn respond(&self, channel: ResponseChannel, response: Vec<u8>) {
        let max = self.limits.max_response_size;
        if response.len() > max {
            tracing::warn!(
                peer = %channel.peer,
                size = response.len(),
                max,
                "sync response exceeds the limit; not sent"
            );
            return;
        }
        let _ = self.queue(Command::Respond { channel, response });
    }

    /// The connected peers whose chain identify has confirmed (empty after
    /// shutdown).
    pub fn peers(&self) -> Vec<PeerId> {
        lock(&self.peers).iter().copied().collect()
    }

    /// The gossipsub score of a connected (or recently connected) peer.
    pub async fn peer_score(&self, peer: PeerId) -> Option<f64> {
        self.call(|reply| Command::PeerScore(peer, reply))
            .await
            .flatten()
    }

    /// The addresses we listen on, waiting until the listener is up (empty
    /// if the network shut down or the listener failed).
    pub async fn listen_addrs(&self) -> Vec<Multiaddr> {
        self.call(Command::ListenAddrs).await.unwrap_or_default()
    }

    /// The peers in the discovery routing table (Kademlia), connected or
    /// not: every peer this node knows how to reach.
    pub async fn known_peers(&self) -> Vec<PeerId> {
        self.call(Command::KnownPeers).await.unwrap_or_default()
    }

    /// Dials `addr` once (not redialled; only bootnodes are). With a
    /// `/p2p/<peer id>` suffix the remote's identity is checked. Failures
    /// are logged.
    pub fn dial(&self, addr: Multiaddr) -> Result<(), NetworkError> {
        self.queue(Command::Dial(addr))
    }

    /// Stops the network: every connection and the listener close. Returns
    /// at once; await the returned [`Shutdown`] to know when the task has
    /// stopped and the port is free. Afterwards, calls on any handle fail
    /// with [`NetworkError::Shutdown`] or return empty results.
    pub fn shutdown(&self) -> Shutdown {
        self.stop.send_replace(true);
        let mut stopped = self.stopped.clone();
        Shutdown(Box::pin(async move {
            let _ = stopped.wait_for(|stopped| *stopped).await;
        }))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(NetworkBehaviour)]
struct Behaviour {
    // Connection gating first, so a denied connection never reaches the
    // protocol behaviours.
    blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    limits: connection_limits::Behaviour,
    gossipsub: gossipsub::Behaviour,
    sync: request_response::Behaviour<BytesCodec>,
    identify: identify::Behaviour,
    /// Discovery; absent when `target_peers` is 0.
    kad: Toggle<kad::Behaviour<kad::store::MemoryStore>>,
    ping: ping::Behaviour,
}

/// Entry point; see [`Network::start`].
#[derive(Debug)]
pub struct Network;

impl Network {
    /// Starts the network on the current tokio runtime: listens on
    /// `config.listen`, dials the bootnodes, subscribes to every [`Topic`],
    /// and returns the handle and the event stream.
    ///
    /// Fails on an invalid configuration, a bootnode without `/p2p/`, a
    /// listen address that cannot be bound, or outside a tokio runtime.
    pub fn start(
        config: NetworkConfig,
        key: NodeKey,
    ) -> Result<(NetworkHandle, mpsc::Receiver<NetworkEvent>), NetworkError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| NetworkError::NoRuntime)?;
        config.limits.validate().map_err(NetworkError::Config)?;
        let limits = config.limits.clone();

        let local = key.peer_id();
        let mut bootnodes = Vec::with_capacity(config.bootnodes.len());
        for addr in &config.bootnodes {
            match addr.iter().last() {
                // A shared bootnode list may name this node itself.
                Some(Protocol::P2p(peer)) if peer == local => {}
                Some(Protocol::P2p(peer)) => bootnodes.push((peer, addr.clone())),
                _ => return Err(NetworkError::InvalidBootnode(addr.clone())),
            }
        }

        let topics: HashMap<TopicHash, Topic> = Topic::ALL
            .into_iter()
            .map(|t| (IdentTopic::new(config.topic_name(t)).hash(), t))
            .collect();
        let behaviour = build_behaviour(&config, &key, &topics)?;

        let mut swarm = SwarmBuilder::with_existing_identity(key.keypair().clone())
            .with_tokio()
            .with_tcp(
                tcp::Config::default().nodelay(true),
                noise::Config::new,
                yamux::Config::default,
            )
            .map_err(|e| NetworkError::Setup(format!("noise: {e}")))?
            .with_behaviour(|_| behaviour)
            .map_err(|e| NetworkError::Setup(e.to_string()))?
            .with_swarm_config(|c| c.with_idle_connection_timeout(limits.idle_connection_timeout))
            .build();

        for (hash, topic) in &topics {
            swarm
                .behaviour_mut()
                .gossipsub
                .subscribe(&IdentTopic::new(hash.as_str()))
                .map_err(|e| NetworkError::Setup(format!("subscribe to {topic}: {e}")))?;
        }
        for (peer, addr) in &bootnodes {
            swarm.add_peer_address(*peer, addr.clone());
            if let (Some(a), Some(kad)) = (dialable(addr, peer), swarm.behaviour_mut().kad.as_mut())
            {
                kad.add_address(peer, a);
            }
        }
        // Peers remembered from earlier runs: known to discovery, dialled
        // at the first discovery tick.
        let peer_store = match &config.peer_store {
            Some(path) => PeerStore::load(path, limits.max_stored_peers).0,
            None => PeerStore::new(None, limits.max_stored_peers),
        };
        for (peer, known) in peer_store.peers() {
            if peer == local {
                continue;
            }
            for a in known.addrs {
                swarm.add_peer_address(peer, a.clone());
                if let Some(kad) = swarm.behaviour_mut().kad.as_mut() {
                    kad.add_address(&peer, a);
                }
            }
        }
        probe_listen_addr(&config.listen).map_err(|reason| NetworkError::Listen {
            addr: config.listen.clone(),
            reason,
        })?;
        swarm
            .listen_on(config.listen.clone())
            .map_err(|e| NetworkError::Listen {
                addr: config.listen.clone(),
                reason: e.to_string(),
            })?;

        let (command_tx, command_rx) = mpsc::channel(limits.command_buffer);
        let (stop_tx, stop_rx) = watch::channel(false);
        let (stopped_tx, stopped_rx) = watch::channel(false);
        let peers = Arc::new(Mutex::new(HashSet::new()));
        let (event_tx, event_rx) = mpsc::channel(limits.event_buffer);
        let local_peer_id = *swarm.local_peer_id();
        tracing::info!(peer = %local_peer_id, listen = %config.listen, chain = %config.chain_tag(), "starting network");

        let worker = Worker {
            swarm,
            commands: command_rx,
            events: event_tx,
            topics,
            limits: limits.clone(),
            identify_version: config.identify_protocol_version(),
            bootnodes,
            pending_requests: HashMap::new(),
            listen_waiters: Vec::new(),
            listen_addrs: Vec::new(),
            confirmed: peers.clone(),
            banned: HashMap::new(),
            peer_store,
            stop: stop_rx,
            stopped: stopped_tx,
        };
        runtime.spawn(worker.run());

        Ok((
            NetworkHandle {
                commands: command_tx,
                local_peer_id,
                limits,
                peers,
                stop: Arc::new(stop_tx),
                stopped: stopped_rx,
            },
            event_rx,
        ))
    }
}

/// libp2p's TCP listener sets `SO_REUSEPORT`, so on Linux a second node could
/// silently share a port already in use. Binding a plain socket first turns
/// that into an error.
fn probe_listen_addr(addr: &Multiaddr) -> Result<(), String> {
    let mut ip = None;
    let mut port = None;
    for protocol in addr.iter() {
        match protocol {
            Protocol::Ip4(a) => ip = Some(IpAddr::V4(a)),
            Protocol::Ip6(a) => ip = Some(IpAddr::V6(a)),
            Protocol::Tcp(p) => port = Some(p),
            _ => {}
        }
    }
    match (ip, port) {
        (Some(ip), Some(port)) if port != 0 => std::net::TcpListener::bind((ip, port))
            .map(drop)
            .map_err(|e| e.to_string()),
        _ => Ok(()),
    }
}

/// The content-based message id: BLAKE2b-256 over the length-prefixed topic
/// and the payload.
fn content_message_id(message: &gossipsub::Message) -> MessageId {
    let topic = message.topic.as_str().as_bytes();
    let mut state = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(b"sero-gossip-id")
        .to_state();
    state.update(&(topic.len() as u64).to_le_bytes());
    state.update(topic);
    state.update(&message.data);
    MessageId::new(state.finalize().as_bytes())
}

fn build_behaviour(
    config: &NetworkConfig,
    key: &NodeKey,
    topics: &HashMap<TopicHash, Topic>,
) -> Result<Behaviour, NetworkError> {
    let limits = &config.limits;
    let heartbeat = limits.heartbeat_interval;
    // Keep received messages for the validation window.
    let history_length =
        usize::try_from(limits.validation_window.as_millis() / heartbeat.as_millis().max(1))
            .unwrap_or(usize::MAX)
            .clamp(5, 1000);
    let largest = Topic::ALL
        .into_iter()
        .map(|t| limits.max_gossip_size(t))
        .max()
        .unwrap_or(0);

    let mut builder = gossipsub::ConfigBuilder::default();
    builder
        .validation_mode(gossipsub::ValidationMode::Anonymous)
        .validate_messages()
        .message_id_fn(content_message_id)
        .heartbeat_interval(heartbeat)
        .heartbeat_initial_delay(heartbeat)
        .history_length(history_length)
        .history_gossip(3)
        .mesh_n(4)
        .mesh_n_low(2)
        .mesh_n_high(8)
        .mesh_outbound_min(1)
        .gossip_lazy(4)
        .flood_publish(true)
        .duplicate_cache_time(Duration::from_secs(120))
        // Whole RPC frames: the largest message plus control traffic.
        .max_transmit_size(largest + GOSSIP_WIRE_OVERHEAD + 32 * 1024);
    for (hash, topic) in topics {
        builder.max_transmit_size_for_topic(
            limits.max_gossip_size(*topic) + GOSSIP_WIRE_OVERHEAD,
            hash.clone(),
        );
    }
    let gossip_config = builder
        .build()
        .map_err(|e| NetworkError::Config(format!("gossipsub: {e}")))?;
    let mut gossipsub =
        gossipsub::Behaviour::new(gossipsub::MessageAuthenticity::Anonymous, gossip_config)
            .map_err(|e| NetworkError::Setup(format!("gossipsub: {e}")))?;
    gossipsub
        .with_peer_score(
            scoring::peer_score_params(topics.keys().cloned()),
            scoring::thresholds(),
        )
        .map_err(|e| NetworkError::Setup(format!("gossipsub scoring: {e}")))?;

    let protocol = StreamProtocol::try_from_owned(config.sync_protocol())
        .map_err(|e| NetworkError::Setup(format!("sync protocol name: {e}")))?;
    let sync = request_response::Behaviour::with_codec(
        BytesCodec {
            max_request: limits.max_request_size,
            max_response: limits.max_response_size,
        },
        [(protocol, ProtocolSupport::Full)],
        request_response::Config::default()
            .with_request_timeout(limits.request_timeout)
            .with_max_concurrent_streams(limits.max_concurrent_requests),
    );

    let identify = identify::Behaviour::new(
        identify::Config::new(config.identify_protocol_version(), key.public())
            .with_agent_version(format!("sero-rs/{}", env!("CARGO_PKG_VERSION"))),
    );

    // Kademlia for peer discovery only: chain-scoped protocol name, server
    // mode (answer lookups even without a confirmed external address: the
    // nodes of a testnet are on one host or a LAN), records and provider
    // records from others are never stored (no storage to fill), no
    // periodic bootstrap of its own (the worker runs it while under
    // `target_peers`).
    let kad_protocol = StreamProtocol::try_from_owned(config.kad_protocol())
        .map_err(|e| NetworkError::Setup(format!("kad protocol name: {e}")))?;
    let mut kad_config = kad::Config::new(kad_protocol);
    kad_config
        .set_query_timeout(Duration::from_secs(30))
        .set_record_filtering(kad::StoreInserts::FilterBoth)
        .set_periodic_bootstrap_interval(None);
    let local = key.peer_id();
    let mut kad =
        kad::Behaviour::with_config(local, kad::store::MemoryStore::new(local), kad_config);
    kad.set_mode(Some(kad::Mode::Server));

    let connection_limits = connection_limits::Behaviour::new(
        connection_limits::ConnectionLimits::default()
            .with_max_established(Some(limits.max_connections))
            .with_max_established_per_peer(Some(2))
            .with_max_pending_incoming(Some(limits.max_connections)),
    );

    Ok(Behaviour {
        blocked: allow_block_list::Behaviour::default(),
        limits: connection_limits,
        gossipsub,
        sync,
        identify,
        kad: Toggle::from((limits.target_peers > 0).then_some(kad)),
        ping: ping::Behaviour::default(),
    })
}

type RequestReply = oneshot::Sender<Result<Vec<u8>, NetworkError>>;

struct Worker {
    swarm: Swarm<Behaviour>,
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<NetworkEvent>,
    topics: HashMap<TopicHash, Topic>,
    limits: NetworkLimits,
    identify_version: String,
    bootnodes: Vec<(PeerId, Multiaddr)>,
    pending_requests: HashMap<OutboundRequestId, RequestReply>,
    listen_waiters: Vec<oneshot::Sender<Vec<Multiaddr>>>,
    listen_addrs: Vec<Multiaddr>,
    /// Connected peers whose identify confirmed our chain (shared with the
    /// handles).
    confirmed: Arc<Mutex<HashSet<PeerId>>>,
    /// Banned peers and when their ban ends.
    banned: HashMap<PeerId, Instant>,
    /// Peers confirmed on our chain, persisted for the next start.
    peer_store: PeerStore,
    /// Set by [`NetworkHandle::shutdown`].
    stop: watch::Receiver<bool>,
    /// Set once the swarm is dropped.
    stopped: watch::Sender<bool>,
}

impl Worker {
    async fn run(mut self) {
        let mut redial = tokio::time::interval(self.limits.redial_interval);
        redial.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut maintenance = tokio::time::interval(
            self.limits
                .heartbeat_interval
                .clamp(Duration::from_millis(100), Duration::from_secs(1)),
        );
        maintenance.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut discovery = tokio::time::interval(self.limits.discovery_interval);
        discovery.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = self.commands.recv() => match command {
                    Some(command) => self.on_command(command),
                    // Every handle is gone.
                    None => break,
                },
                changed = self.stop.changed() => {
                    if changed.is_err() || *self.stop.borrow() {
                        break;
                    }
                }
                _ = redial.tick() => self.redial_bootnodes(),
                _ = maintenance.tick() => self.maintain(),
                _ = discovery.tick() => self.discover(),
            }
        }
        self.save_peers();
        let peer = *self.swarm.local_peer_id();
        for (_, reply) in self.pending_requests.drain() {
            let _ = reply.send(Err(NetworkError::Shutdown));
        }
        lock(&self.confirmed).clear();
        // Refuse further commands, then drop the swarm: that closes the
        // listener and every connection.
        self.commands.close();
        drop(self.swarm);
        tracing::info!(%peer, "network stopped");
        self.stopped.send_replace(true);
    }

    /// Delivers `event` without ever blocking the swarm; false if it was
    /// dropped because the application is not keeping up (logged) or has
    /// gone away. The caller decides what dropping it means.
    fn emit(&self, event: NetworkEvent) -> bool {
        match self.events.try_send(event) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!(
                    capacity = self.limits.event_buffer,
                    "network event channel full; dropping event"
                );
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Publish { topic, data, reply } => {
                let result = self.publish(topic, data);
                match reply {
                    Some(reply) => {
                        let _ = reply.send(result);
                    }
                    None => match result {
                        Ok(PublishStatus::Published) => {}
                        Ok(status) => tracing::debug!(%topic, ?status, "gossip not sent"),
                        Err(e) => tracing::warn!(%topic, error = %e, "publish failed"),
                    },
                }
            }
            Command::Validate {
                id,
                source,
                validation,
            } => {
                if !self
                    .swarm
                    .behaviour_mut()
                    .gossipsub
                    .report_message_validation_result(&id, &source, validation.into())
                {
                    tracing::debug!(message = %id, "validated message no longer cached");
                }
            }
            Command::Request {
                peer,
                request,
                reply,
            } => {
                let id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
                self.pending_requests.insert(id, reply);
            }
            Command::Respond { channel, response } => {
                let peer = channel.peer;
                if self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_response(channel.inner, response)
                    .is_err()
                {
                    tracing::warn!(%peer, "sync response not sent: the request timed out or its connection closed");
                }
            }
            Command::PeerScore(peer, reply) => {
                let _ = reply.send(self.swarm.behaviour().gossipsub.peer_score(&peer));
            }
            Command::ListenAddrs(reply) => {
                if self.listen_addrs.is_empty() {
                    self.listen_waiters.push(reply);
                } else {
                    let _ = reply.send(self.listen_addrs.clone());
                }
            }
            Command::Dial(addr) => {
                if let Err(e) = self.swarm.dial(addr.clone()) {
                    tracing::warn!(%addr, error = %e, "dial failed");
                }
            }
            Command::KnownPeers(reply) => {
                let peers = self
                    .routing_table()
                    .into_iter()
                    .map(|(peer, _)| peer)
                    .collect();
                let _ = reply.send(peers);
            }
        }
    }

    /// The discovery routing table: peers and their addresses.
    fn routing_table(&mut self) -> Vec<(PeerId, Vec<Multiaddr>)> {
        let Some(kad) = self.swarm.behaviour_mut().kad.as_mut() else {
            return Vec::new();
        };
        kad.kbuckets()
            .flat_map(|b| {
                b.iter()
                    .map(|e| {
                        (
                            *e.node.key.preimage(),
                            e.node.value.iter().cloned().collect(),
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn save_peers(&mut self) {
        if let Err(e) = self.peer_store.save() {
            tracing::warn!(error = %e, "could not save the peer store");
        }
    }

    /// Whether discovery may dial `peer` now.
    fn may_dial(&self, peer: &PeerId) -> bool {
        peer != self.swarm.local_peer_id()
            && !self.swarm.is_connected(peer)
            && self.banned.get(peer).is_none_or(|t| *t <= Instant::now())
            && self.swarm.connected_peers().count() < self.target_peers()
    }

    fn target_peers(&self) -> usize {
        self.limits
            .target_peers
            .min(self.limits.max_connections as usize)
    }

    fn dial_discovered(&mut self, peer: PeerId, addrs: Vec<Multiaddr>) {
        if !self.may_dial(&peer) || addrs.is_empty() {
            return;
        }
        tracing::debug!(%peer, "dialling a discovered peer");
        let opts = DialOpts::peer_id(peer)
            .addresses(addrs)
            .condition(PeerCondition::DisconnectedAndNotDialing)
            .allocate_new_port()
            .build();
        if let Err(e) = self.swarm.dial(opts) {
            tracing::debug!(%peer, error = %e, "discovered peer dial not started");
        }
    }

    /// Peer discovery: while under `target_peers`, look ourselves up in
    /// the DHT (which asks the known peers for the peers closest to us, and
    /// fills the routing table) and dial every known peer not connected;
    /// save the peer store.
    fn discover(&mut self) {
        if self.swarm.connected_peers().count() < self.target_peers() {
            if let Some(Err(e)) = self
                .swarm
                .behaviour_mut()
                .kad
                .as_mut()
                .map(|k| k.bootstrap())
            {
                tracing::debug!(error = ?e, "discovery: no known peers yet");
            }
            let known = self.routing_table();
            for (peer, addrs) in known {
                self.dial_discovered(peer, addrs);
            }
        }
        self.save_peers();
    }

    fn on_kad(&mut self, event: kad::Event) {
        match event {
            kad::Event::RoutingUpdated {
                peer, addresses, ..
            } => {
                tracing::debug!(%peer, "discovery: routing table updated");
                self.dial_discovered(peer, addresses.into_vec());
            }
            kad::Event::OutboundQueryProgressed { result, .. } => {
                tracing::trace!(?result, "discovery query progressed");
            }
            other => tracing::trace!(event = ?other, "kad event"),
        }
    }

    fn publish(&mut self, topic: Topic, data: Vec<u8>) -> Result<PublishStatus, NetworkError> {
        let hash = self
            .topics
            .iter()
            .find(|(_, t)| **t == topic)
            .map(|(h, _)| h.clone())
            .ok_or_else(|| NetworkError::Publish {
                topic,
                reason: "not subscribed".into(),
            })?;
        match self.swarm.behaviour_mut().gossipsub.publish(hash, data) {
            Ok(_) => Ok(PublishStatus::Published),
            Err(gossipsub::PublishError::NoPeersSubscribedToTopic) => {
                tracing::debug!(%topic, "no peers subscribed yet; gossip not sent");
                Ok(PublishStatus::InsufficientPeers)
            }
            Err(gossipsub::PublishError::Duplicate) => Ok(PublishStatus::Duplicate),
            Err(gossipsub::PublishError::MessageTooLarge) => Err(NetworkError::Publish {
                topic,
                reason: "message too large for gossipsub".into(),
            }),
            Err(e) => Err(NetworkError::Publish {
                topic,
                reason: e.to_string(),
            }),
        }
    }

    fn redial_bootnodes(&mut self) {
        let now = Instant::now();
        for (peer, addr) in self.bootnodes.clone() {
            if self.swarm.is_connected(&peer) || self.banned.get(&peer).is_some_and(|t| *t > now) {
                continue;
            }
            tracing::debug!(%peer, %addr, "dialling bootnode");
            let opts = DialOpts::peer_id(peer)
                .addresses(vec![addr.clone()])
                .condition(PeerCondition::DisconnectedAndNotDialing)
                // A fresh source port: reusing the listen port could collide
                // with a TIME_WAIT of the previous connection to a restarted
                // peer.
                .allocate_new_port()
                .build();
            if let Err(e) = self.swarm.dial(opts) {
                tracing::debug!(%peer, %addr, error = %e, "bootnode dial not started");
            }
        }
    }

    /// Bans peers whose gossip score fell below the graylist threshold and
    /// lifts expired bans.
    fn maintain(&mut self) {
        let now = Instant::now();
        let expired: Vec<PeerId> = self
            .banned
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(p, _)| *p)
            .collect();
        for peer in expired {
            self.banned.remove(&peer);
            self.swarm.behaviour_mut().blocked.unblock_peer(peer);
            tracing::info!(%peer, "ban expired");
        }
        let bad: Vec<(PeerId, f64)> = self
            .swarm
            .connected_peers()
            .filter_map(|p| {
                let score = self.swarm.behaviour().gossipsub.peer_score(p)?;
                (score < scoring::GRAYLIST_THRESHOLD).then_some((*p, score))
            })
            .collect();
        for (peer, score) in bad {
            self.ban(
                peer,
                &format!(
                    "gossip score {score:.0} below graylist threshold {} (invalid messages)",
                    scoring::GRAYLIST_THRESHOLD
                ),
            );
        }
    }

    fn ban(&mut self, peer: PeerId, reason: &str) {
        tracing::warn!(%peer, reason, ban_secs = self.limits.ban_duration.as_secs(), "disconnecting and banning peer");
        if let Some(kad) = self.swarm.behaviour_mut().kad.as_mut() {
            kad.remove_peer(&peer);
        }
        self.peer_store.remove(&peer);
        self.banned
            .insert(peer, Instant::now() + self.limits.ban_duration);
        // Closes every connection to the peer and refuses new ones.
        self.swarm.behaviour_mut().blocked.block_peer(peer);
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(event)) => self.on_gossip(event),
            SwarmEvent::Behaviour(BehaviourEvent::Sync(event)) => self.on_sync(event),
            SwarmEvent::Behaviour(BehaviourEvent::Identify(event)) => self.on_identify(event),
            SwarmEvent::Behaviour(BehaviourEvent::Kad(event)) => self.on_kad(event),
            SwarmEvent::Behaviour(BehaviourEvent::Ping(_)) => {}
            SwarmEvent::Behaviour(BehaviourEvent::Blocked(never)) => match never {},
            SwarmEvent::Behaviour(BehaviourEvent::Limits(never)) => match never {},
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(%address, "listening");
                self.listen_addrs.push(address);
                for waiter in self.listen_waiters.drain(..) {
                    let _ = waiter.send(self.listen_addrs.clone());
                }
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => {
                self.listen_addrs.retain(|a| *a != address);
            }
            SwarmEvent::ListenerClosed { reason, .. } => {
                if let Err(e) = reason {
                    tracing::warn!(error = %e, "listener closed");
                }
                if self.listen_addrs.is_empty() {
                    // Wake the waiters with an empty list rather than hang.
                    self.listen_waiters.clear();
                }
            }
            SwarmEvent::ListenerError { error, .. } => {
                tracing::warn!(error = %error, "listener error");
            }
            SwarmEvent::ConnectionEstablished {
                peer_id, endpoint, ..
            } => {
                let dir = match endpoint {
                    ConnectedPoint::Dialer { .. } => "outbound",
                    ConnectedPoint::Listener { .. } => "inbound",
                };
                tracing::debug!(peer = %peer_id, dir, addr = %endpoint.get_remote_address(), "connection established");
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established,
                cause,
                ..
            } => {
                tracing::debug!(peer = %peer_id, cause = ?cause, "connection closed");
                if num_established == 0 && lock(&self.confirmed).remove(&peer_id) {
                    tracing::info!(peer = %peer_id, "peer disconnected");
                    if !self.emit(NetworkEvent::PeerDisconnected(peer_id)) {
                        tracing::warn!(peer = %peer_id, "PeerDisconnected event dropped");
                    }
                }
            }
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                tracing::debug!(peer = ?peer_id, error = %error, "outgoing connection failed");
            }
            SwarmEvent::IncomingConnectionError { error, .. } => {
                tracing::debug!(error = %error, "incoming connection failed");
            }
            _ => {}
        }
    }

    fn on_identify(&mut self, event: identify::Event) {
        let identify::Event::Received { peer_id, info, .. } = event else {
            return;
        };
        if info.protocol_version != self.identify_version {
            let reason = format!(
                "peer is on another chain or version: it announces {:?}, we run {:?}",
                info.protocol_version, self.identify_version
            );
            self.ban(peer_id, &reason);
            return;
        }
        // Its listen addresses (at most a few, dialable ones only) feed
        // discovery and the peer store: peers on our chain only.
        let addrs: Vec<Multiaddr> = info
            .listen_addrs
            .iter()
            .filter_map(|a| dialable(a, &peer_id))
            .take(crate::peers::MAX_ADDRS_PER_PEER)
            .collect();
        if let Some(kad) = self.swarm.behaviour_mut().kad.as_mut() {
            for a in &addrs {
                kad.add_address(&peer_id, a.clone());
            }
        }
        self.peer_store.record(peer_id, &addrs);
        if self.swarm.is_connected(&peer_id) && lock(&self.confirmed).insert(peer_id) {
            tracing::info!(peer = %peer_id, agent = %info.agent_version, "peer connected");
            if !self.emit(NetworkEvent::PeerConnected(peer_id)) {
                tracing::warn!(peer = %peer_id, "PeerConnected event dropped");
            }
        }
    }

    fn on_gossip(&mut self, event: gossipsub::Event) {
        match event {
            gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            } => {
                let verdict = match self.topics.get(&message.topic) {
                    None => {
                        tracing::debug!(peer = %propagation_source, topic = %message.topic, "gossip on unknown topic");
                        Some(MessageAcceptance::Ignore)
                    }
                    Some(&topic) => {
                        let max = self.limits.max_gossip_size(topic);
                        if message.data.len() > max {
                            tracing::warn!(
                                peer = %propagation_source,
                                %topic,
                                size = message.data.len(),
                                max,
                                "dropping oversized gossip message"
                            );
                            Some(MessageAcceptance::Reject)
                        } else {
                            let event = NetworkEvent::Gossip {
                                topic,
                                data: message.data,
                                source: propagation_source,
                                id: message_id.clone(),
                            };
                            // Not delivered: release it from the cache
                            // without penalising the sender.
                            (!self.emit(event)).then_some(MessageAcceptance::Ignore)
                        }
                    }
                };
                if let Some(verdict) = verdict {
                    self.swarm
                        .behaviour_mut()
                        .gossipsub
                        .report_message_validation_result(
                            &message_id,
                            &propagation_source,
                            verdict,
                        );
                }
            }
            gossipsub::Event::Subscribed { peer_id, topic, .. } => {
                tracing::debug!(peer = %peer_id, %topic, "peer subscribed");
            }
            gossipsub::Event::Unsubscribed { peer_id, topic } => {
                tracing::debug!(peer = %peer_id, %topic, "peer unsubscribed");
            }
            gossipsub::Event::GossipsubNotSupported { peer_id } => {
                tracing::debug!(peer = %peer_id, "peer does not support gossipsub");
            }
            gossipsub::Event::SlowPeer {
                peer_id,
                failed_messages,
            } => {
                tracing::warn!(peer = %peer_id, ?failed_messages, "slow peer: gossip queue full");
            }
            // Variants behind optional gossipsub features (partial messages).
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }

    fn on_sync(&mut self, event: request_response::Event<Vec<u8>, Vec<u8>>) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => {
                    let event = NetworkEvent::Request {
                        peer,
                        request,
                        channel: ResponseChannel {
                            peer,
                            inner: channel,
                        },
                    };
                    // If dropped, the channel closes and the requester's
                    // call fails promptly.
                    let _ = self.emit(event);
                }
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    if let Some(reply) = self.pending_requests.remove(&request_id) {
                        let _ = reply.send(Ok(response));
                    }
                }
            },
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                tracing::debug!(%peer, %error, "sync request failed");
                if let Some(reply) = self.pending_requests.remove(&request_id) {
                    let _ = reply.send(Err(outbound_error(peer, error)));
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                tracing::debug!(%peer, %error, "inbound sync request failed");
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }
}

fn outbound_error(peer: PeerId, error: OutboundFailure) -> NetworkError {
    match error {
        OutboundFailure::DialFailure => NetworkError::PeerUnreachable(peer),
        OutboundFailure::Timeout => NetworkError::RequestTimeout(peer),
        OutboundFailure::ConnectionClosed => NetworkError::ConnectionClosed(peer),
        OutboundFailure::UnsupportedProtocols => NetworkError::UnsupportedProtocol(peer),
        OutboundFailure::Io(e) => match frame_too_large(&e) {
            Some(too_large) => NetworkError::ResponseTooLarge {
                size: too_large.size,
                max: too_large.max,
            },
            None => NetworkError::Request {
                peer,
                reason: e.to_string(),
            },
        },
    }
}
