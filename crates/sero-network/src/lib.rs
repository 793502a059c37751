//! SERO peer-to-peer layer on [rust-libp2p](https://docs.rs/libp2p).
//!
//! The crate is payload-agnostic: it moves bytes. The node decodes and
//! validates every message and tells the network whether to relay it.
//!
//! # Transport and identity
//!
//! TCP, authenticated and encrypted with Noise (XX) and multiplexed with
//! Yamux. A node's identity is an ed25519 key ([`NodeKey`]), stored as the raw
//! 32-byte secret in a file created with mode 0600
//! ([`NodeKey::load_or_create`]); its [`PeerId`] is derived from it. Besides
//! gossipsub and the sync protocol, every connection runs `identify` and
//! `ping`.
//!
//! # Chain scoping
//!
//! [`NetworkConfig::chain_id`] (the genesis hash) is built into every name:
//! gossip topics are `/sero/<hex8>/tx/1`, `/sero/<hex8>/proposal/1` and
//! `/sero/<hex8>/vote/1`, the sync protocol is `/sero/<hex8>/sync/1` (`<hex8>`
//! = the first 4 bytes of the chain id in hex), and identify announces
//! `sero/1/<chain id hex>`. Nodes of different chains share no topic or
//! protocol, and a peer whose identify protocol version differs from ours is
//! disconnected and banned for [`NetworkLimits::ban_duration`] (logged at
//! warn).
//!
//! # Gossip topics and limits
//!
//! | [`Topic`] | default payload limit |
//! |---|---|
//! | [`Topic::Transactions`] | 128 KiB + 4 KiB ([`TRANSACTION_SLACK`]) |
//! | [`Topic::Proposals`] | 4 KiB |
//! | [`Topic::Votes`] | 1 KiB |
//!
//! All limits live in [`NetworkLimits`]. [`NetworkHandle::publish`] refuses a
//! payload over its topic's limit with [`NetworkError::MessageTooLarge`].
//! Gossipsub's per-topic `max_transmit_size` is the limit plus
//! [`GOSSIP_WIRE_OVERHEAD`] for framing: a received message over *that* is
//! discarded by gossipsub itself (and counts as an invalid message for the
//! sender's score); one over the payload limit but within the framing slack is
//! dropped by the swarm task with a `warn` naming the peer and reported as
//! [`Validation::Reject`]. Either way it never reaches the application and
//! never crashes anything.
//!
//! Sync requests and responses are framed as a 4-byte big-endian length and
//! the bytes, limited to [`NetworkLimits::max_request_size`] (64 KiB) and
//! [`NetworkLimits::max_response_size`] (32 MiB); the length is checked before
//! anything is allocated, and a whole exchange must complete within
//! [`NetworkLimits::request_timeout`].
//!
//! # Validation flow
//!
//! Gossip is anonymous (`MessageAuthenticity::Anonymous`, `ValidationMode::
//! Anonymous`): messages carry no author, sequence number or signature, so a
//! transaction cannot be linked to the node that first sent it; proposals and
//! votes carry their own validator signatures inside the payload. Message ids
//! are content hashes (BLAKE2b-256 of topic and payload), so the same bytes are
//! deduplicated whoever relays them.
//!
//! Gossipsub runs with `validate_messages()`: **nothing is forwarded before the
//! application accepts it.**
//!
//! 1. A message arrives; gossipsub checks framing and deduplicates it.
//! 2. The swarm task checks the payload limit, then emits
//!    [`NetworkEvent::Gossip`] `{ topic, data, source, id }` (`source` is the
//!    peer that forwarded it).
//! 3. The node decodes and verifies it and calls
//!    [`NetworkHandle::validate`]`(id, source, verdict)`:
//!    [`Validation::Accept`] relays it to the mesh; [`Validation::Reject`]
//!    (provably invalid) drops it and penalises every peer that sent it;
//!    [`Validation::Ignore`] (duplicate, stale, cannot judge) drops it without
//!    penalty.
//! 4. A message with no verdict within [`NetworkLimits::validation_window`]
//!    is forgotten without being relayed.
//!
//! # Peer scoring
//!
//! Gossipsub peer scoring is on (parameters in [`scoring`]). Each topic
//! rewards time in the mesh (P₁, 0.01/s) and first deliveries (P₂, weight 1,
//! cap 50); the positive total is capped at 100. Mesh-delivery-rate penalties
//! (P₃, P₃b) are off: traffic is low and bursty, and they would punish honest
//! peers. Invalid messages (P₄, every [`Validation::Reject`] and every
//! malformed or oversized message) weigh −100 on a squared counter that
//! decays to 1% over 30 minutes, so `n` rejections cost `100·n²`:
//!
//! | threshold | score | reached after |
//! |---|---|---|
//! | gossip (no IHAVE/IWANT exchanged) | −500 | 3 rejections |
//! | publish (no flood publishing to it) | −1000 | 4 rejections |
//! | graylist (all its RPCs ignored) | −2000 | 5 rejections |
//!
//! rust-libp2p's gossipsub never disconnects anyone by itself, so, as
//! Lighthouse's peer manager does, the swarm task checks scores every
//! heartbeat and bans a peer below the graylist threshold: it is disconnected,
//! refused for [`NetworkLimits::ban_duration`], and the reason and score are
//! logged at warn. Scores are retained for an hour after a disconnect, so a
//! peer that comes back too soon is banned again.
//!
//! # Mesh
//!
//! Parameters suit small validator networks: `D = 4`, `D_lo = 2`,
//! `D_hi = 8`, `D_out = 1`, heartbeat [`NetworkLimits::heartbeat_interval`]
//! (200 ms), and flood publishing: a node publishes its own messages to every
//! subscribed peer, so a 4-node network delivers promptly.
//!
//! # Connectivity
//!
//! Bootnodes ([`NetworkConfig::bootnodes`], each with `/p2p/<peer id>`) are
//! dialled at start and every [`NetworkLimits::redial_interval`] while
//! disconnected (and not banned), so a peer that restarts, even on the same
//! port, is found again. Connections are capped at
//! [`NetworkLimits::max_connections`] (2 per peer).
//!
//! # Discovery and the peer store
//!
//! A node needs to know one bootnode; it finds the rest with Kademlia
//! (`/sero/<hex8>/kad/1`, server mode, used for peer routing only: records
//! from others are never stored). A peer's listen addresses, from
//! identify, enter the routing table once identify confirmed its chain;
//! every [`NetworkLimits::discovery_interval`] a node with fewer than
//! [`NetworkLimits::target_peers`] connections looks itself up (the peers
//! it asks answer with the peers closest to it) and dials every known peer
//! it is not connected to, as it does when a lookup adds a peer. Banned
//! peers leave the routing table and the store.
//!
//! Confirmed peers and their addresses are kept in a [`PeerStore`]
//! persisted in [`NetworkConfig::peer_store`] (the node uses `peers.json`
//! in its data directory): saved every discovery interval and at shutdown
//! (atomically), reloaded at start, bounded to
//! [`NetworkLimits::max_stored_peers`] peers of [`MAX_ADDRS_PER_PEER`]
//! addresses, at most [`MAX_PEER_FILE_BYTES`] read; bad entries are skipped
//! and a corrupt file is set aside, with a warning, never a failure.
//!
//! # Channels and backpressure
//!
//! Both channels are bounded, and the swarm task never waits on the
//! application.
//!
//! * Events ([`NetworkLimits::event_buffer`]): when the channel is full the
//!   event is dropped with a `warn`. A dropped gossip message is reported as
//!   [`Validation::Ignore`] (not relayed, no penalty); a dropped request's
//!   channel is closed, so the requester's call fails at once; the peer set
//!   stays available through [`NetworkHandle::peers`].
//! * Commands ([`NetworkLimits::command_buffer`]): [`NetworkHandle::publish`],
//!   [`NetworkHandle::validate`], [`NetworkHandle::respond`] and
//!   [`NetworkHandle::dial`] are synchronous and never block; when the
//!   channel is full they drop the command with a `warn` (`publish` and
//!   `dial` also return [`NetworkError::Busy`]). The async methods
//!   ([`NetworkHandle::request`], [`NetworkHandle::publish_with_status`],
//!   [`NetworkHandle::listen_addrs`], [`NetworkHandle::peer_score`]) wait for
//!   room instead.
//!
//! # Example
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use sero_network::{Network, NetworkConfig, NetworkEvent, NodeKey, Topic, Validation};
//!
//! let key = NodeKey::load_or_create("/var/lib/sero/node.key")?;
//! let config = NetworkConfig::new("/ip4/0.0.0.0/tcp/7600".parse()?, vec![], [0u8; 32]);
//! let (net, mut events) = Network::start(config, key)?;
//! net.publish(Topic::Votes, b"vote bytes".to_vec())?;
//! while let Some(event) = events.recv().await {
//!     match event {
//!         NetworkEvent::Gossip { id, source, .. } => net.validate(id, source, Validation::Accept),
//!         NetworkEvent::Request { channel, .. } => net.respond(channel, vec![]),
//!         NetworkEvent::PeerConnected(_) | NetworkEvent::PeerDisconnected(_) => {}
//!     }
//! }
//! net.shutdown().await;
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod codec;
mod config;
mod error;
mod key;
mod peers;
pub mod scoring;
mod service;

pub use config::{NetworkConfig, NetworkLimits, Topic, GOSSIP_WIRE_OVERHEAD, TRANSACTION_SLACK};
pub use error::NetworkError;
pub use key::{NodeKey, NodeKeyError, NODE_KEY_LEN};
pub use peers::{
    dialable, KnownPeer, LoadReport, PeerStore, MAX_ADDRS_PER_PEER, MAX_PEER_FILE_BYTES,
    PEER_FILE_VERSION,
};
pub use service::{
    Network, NetworkEvent, NetworkHandle, PublishStatus, ResponseChannel, Shutdown, Validation,
};

pub use libp2p::gossipsub::MessageId;
pub use libp2p::multiaddr::Protocol;
pub use libp2p::{Multiaddr, PeerId};
