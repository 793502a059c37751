//! Configuration, topics and protocol names.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use libp2p::Multiaddr;

/// Extra bytes allowed on top of the 128 KiB transaction limit (encoding
/// overhead of the node's transaction envelope).
pub const TRANSACTION_SLACK: usize = 4 * 1024;

/// Bytes a gossipsub wire message may carry beyond its payload limit (the
/// protobuf framing and the topic string). Payloads between the application
/// limit and limit + this slack reach the swarm task, which drops them with a
/// warning; larger ones are dropped (and penalised) by gossipsub itself.
pub const GOSSIP_WIRE_OVERHEAD: usize = 1024;

/// The gossip topics. Each has its own payload size limit, see
/// [`NetworkLimits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    /// Shielded transactions (mempool gossip).
    Transactions,
    /// Block proposals.
    Proposals,
    /// Consensus votes.
    Votes,
}

impl Topic {
    /// Every topic, in a fixed order.
    pub const ALL: [Topic; 3] = [Topic::Transactions, Topic::Proposals, Topic::Votes];

    /// The short name used in the topic string (`tx`, `proposal`, `vote`).
    pub fn short_name(self) -> &'static str {
        match self {
            Topic::Transactions => "tx",
            Topic::Proposals => "proposal",
            Topic::Votes => "vote",
        }
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short_name())
    }
}

/// Size limits, buffer sizes and timings. [`Default`] gives the production
/// values documented on each field.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkLimits {
    /// Largest transaction gossip payload (default 128 KiB + 4 KiB slack).
    pub max_transaction_size: usize,
    /// Largest proposal gossip payload (default 4 KiB).
    pub max_proposal_size: usize,
    /// Largest vote gossip payload (default 1 KiB).
    pub max_vote_size: usize,
    /// Largest sync request, in either direction (default 64 KiB).
    pub max_request_size: usize,
    /// Largest sync response, in either direction (default 32 MiB).
    pub max_response_size: usize,
    /// Time for a whole request/response exchange, sending the request
    /// included (default 30 s).
    pub request_timeout: Duration,
    /// Concurrent inbound plus outbound sync streams per connection
    /// (default 32).
    pub max_concurrent_requests: usize,
    /// Capacity of the event channel to the application (default 4096).
    /// When it is full, new events are dropped with a warning (see the
    /// crate docs); the swarm never blocks on the application.
    pub event_buffer: usize,
    /// Capacity of the command channel from [`crate::NetworkHandle`]s
    /// (default 4096). When it is full, fire-and-forget commands (publish,
    /// validate, respond, dial) are dropped with a warning and methods that
    /// await a reply wait for room.
    pub command_buffer: usize,
    /// Most established connections, inbound and outbound (default 64).
    pub max_connections: u32,
    /// Gossipsub heartbeat (default 200 ms): meshes form and repair, and
    /// IHAVE gossip is emitted, once per heartbeat.
    pub heartbeat_interval: Duration,
    /// How long a received gossip message waits for the application's
    /// verdict before it is forgotten (never relayed; default 12 s).
    pub validation_window: Duration,
    /// How often bootnodes that are not connected are redialled (default 5 s).
    pub redial_interval: Duration,
    /// How long a peer banned for its gossip score or for being on another
    /// chain is refused (default 10 min).
    pub ban_duration: Duration,
    /// Idle connections (no mesh membership, no open streams) are closed after
    /// this (default 10 min).
    pub idle_connection_timeout: Duration,
    /// Peer discovery (Kademlia): how often a node with fewer than
    /// [`NetworkLimits::target_peers`] connections runs a Kademlia bootstrap
    /// (a lookup of its own id) and dials the peers it learned, and how often
    /// the peer store is saved (default 10 s).
    pub discovery_interval: Duration,
    /// Connections that discovery aims for; it dials no more once this many
    /// peers are connected (default 32, at most `max_connections`). 0 turns
    /// discovery off: only bootnodes (and explicit dials) connect.
    pub target_peers: usize,
    /// Peers kept in the persisted peer store (default 256).
    pub max_stored_peers: usize,
}

impl Default for NetworkLimits {
    fn default() -> Self {
        Self {
            max_transaction_size: 128 * 1024 + TRANSACTION_SLACK,
            max_proposal_size: 4 * 1024,
            max_vote_size: 1024,
            max_request_size: 64 * 1024,
            max_response_size: 32 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_concurrent_requests: 32,
            event_buffer: 4096,
            command_buffer: 4096,
            max_connections: 64,
            heartbeat_interval: Duration::from_millis(200),
            validation_window: Duration::from_secs(12),
            redial_interval: Duration::from_secs(5),
            ban_duration: Duration::from_secs(600),
            idle_connection_timeout: Duration::from_secs(600),
            discovery_interval: Duration::from_secs(10),
            target_peers: 32,
            max_stored_peers: 256,
        }
    }
}

impl NetworkLimits {
    /// The payload limit of `topic`.
    pub fn max_gossip_size(&self, topic: Topic) -> usize {
        match topic {
            Topic::Transactions => self.max_transaction_size,
            Topic::Proposals => self.max_proposal_size,
            Topic::Votes => self.max_vote_size,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), String> {
        for topic in Topic::ALL {
            if self.max_gossip_size(topic) == 0 {
                return Err(format!("max size of topic {topic} must be positive"));
            }
        }
        if self.max_request_size == 0 || self.max_response_size == 0 {
            return Err("request and response limits must be positive".into());
        }
        if u32::try_from(self.max_request_size).is_err()
            || u32::try_from(self.max_response_size).is_err()
        {
            return Err("request and response limits must fit in 32 bits".into());
        }
        if self.event_buffer == 0 || self.command_buffer == 0 {
            return Err("channel buffers must be positive".into());
        }
        if self.max_concurrent_requests == 0 || self.max_connections == 0 {
            return Err("max_concurrent_requests and max_connections must be positive".into());
        }
        for (name, d) in [
            ("request_timeout", self.request_timeout),
            ("heartbeat_interval", self.heartbeat_interval),
            ("validation_window", self.validation_window),
            ("redial_interval", self.redial_interval),
            ("discovery_interval", self.discovery_interval),
        ] {
            if d.is_zero() {
                return Err(format!("{name} must be positive"));
            }
        }
        Ok(())
    }
}

/// What [`crate::Network::start`] needs.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkConfig {
    /// Address to listen on, e.g. `/ip4/0.0.0.0/tcp/7600` (`/tcp/0` picks a
    /// free port; see [`crate::NetworkHandle::listen_addrs`]).
    pub listen: Multiaddr,
    /// Peers dialled at start and redialled whenever they are not connected.
    /// Each must end in `/p2p/<peer id>`.
    pub bootnodes: Vec<Multiaddr>,
    /// The chain's genesis hash; scopes topics, the sync protocol and the
    /// identify protocol version, so nodes of different chains never mix.
    pub chain_id: [u8; 32],
    /// Size limits, buffers and timings.
    pub limits: NetworkLimits,
    /// Where the peer store is persisted (a JSON file in the node's data
    /// directory, see [`crate::PeerStore`]); `None` keeps it in memory.
    pub peer_store: Option<PathBuf>,
}

impl NetworkConfig {
    /// A config with default limits.
    pub fn new(listen: Multiaddr, bootnodes: Vec<Multiaddr>, chain_id: [u8; 32]) -> Self {
        Self {
            listen,
            bootnodes,
            chain_id,
            limits: NetworkLimits::default(),
            peer_store: None,
        }
    }

    /// Persists the peer store in `path` (builder style).
    pub fn with_peer_store(mut self, path: PathBuf) -> Self {
        self.peer_store = Some(path);
        self
    }

    /// The first 4 bytes of the chain id as 8 hex digits.
    pub fn chain_tag(&self) -> String {
        hex::encode(&self.chain_id[..4])
    }

    /// The gossipsub topic string of `topic`: `/sero/<hex8>/tx/1`,
    /// `/sero/<hex8>/proposal/1`, `/sero/<hex8>/vote/1`.
    pub fn topic_name(&self, topic: Topic) -> String {
        format!("/sero/{}/{}/1", self.chain_tag(), topic.short_name())
    }

    /// The request-response protocol name: `/sero/<hex8>/sync/1`.
    pub fn sync_protocol(&self) -> String {
        format!("/sero/{}/sync/1", self.chain_tag())
    }

    /// The Kademlia protocol name: `/sero/<hex8>/kad/1` (a node of another
    /// chain does not speak it, so it never enters the routing table).
    pub fn kad_protocol(&self) -> String {
        format!("/sero/{}/kad/1", self.chain_tag())
    }

    /// The identify protocol version: `sero/1/<full chain id hex>`. A peer
    /// announcing anything else is disconnected and banned.
    pub fn identify_protocol_version(&self) -> String {
        format!("sero/1/{}", hex::encode(self.chain_id))
    }
}
