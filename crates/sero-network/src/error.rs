//! Errors.

use libp2p::{Multiaddr, PeerId};

use crate::config::Topic;

/// Errors from starting or using the network.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// [`crate::Network::start`] was called outside a tokio runtime.
    #[error("Network::start must be called from within a tokio runtime")]
    NoRuntime,
    /// The configuration is inconsistent.
    #[error("invalid network configuration: {0}")]
    Config(String),
    /// A bootnode address lacks its `/p2p/<peer id>` suffix.
    #[error("bootnode address {0} must end in /p2p/<peer id>")]
    InvalidBootnode(Multiaddr),
    /// Building the transport or a protocol behaviour failed.
    #[error("network setup failed: {0}")]
    Setup(String),
    /// Listening on the configured address failed (e.g. port in use).
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The listen address.
        addr: Multiaddr,
        /// Why.
        reason: String,
    },
    /// A dial could not be started.
    #[error("cannot dial {addr}: {reason}")]
    Dial {
        /// The address.
        addr: Multiaddr,
        /// Why.
        reason: String,
    },
    /// A gossip payload over its topic's limit; nothing was sent.
    #[error("{topic} message of {size} bytes exceeds the limit of {max} bytes")]
    MessageTooLarge {
        /// The topic.
        topic: Topic,
        /// The payload size.
        size: usize,
        /// The topic's limit.
        max: usize,
    },
    /// Gossipsub refused to publish (e.g. every peer's send queue is full).
    #[error("publish on {topic} failed: {reason}")]
    Publish {
        /// The topic.
        topic: Topic,
        /// Why.
        reason: String,
    },
    /// A sync request over the request limit; nothing was sent.
    #[error("request of {size} bytes exceeds the limit of {max} bytes")]
    RequestTooLarge {
        /// The request size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A sync response over the response limit (our own, or one the peer
    /// announced, in which case it was not read).
    #[error("response of {size} bytes exceeds the limit of {max} bytes")]
    ResponseTooLarge {
        /// The (announced) response size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// No response within [`crate::NetworkLimits::request_timeout`].
    #[error("request to {0} timed out")]
    RequestTimeout(PeerId),
    /// The peer could not be reached to send the request.
    #[error("cannot reach peer {0}")]
    PeerUnreachable(PeerId),
    /// The connection closed before the response arrived.
    #[error("connection to {0} closed before the response arrived")]
    ConnectionClosed(PeerId),
    /// The peer does not speak this chain's sync protocol.
    #[error("peer {0} does not support this chain's sync protocol")]
    UnsupportedProtocol(PeerId),
    /// Any other failure of a request stream (e.g. the peer reset it,
    /// having dropped the request without answering).
    #[error("request to {peer} failed: {reason}")]
    Request {
        /// The peer.
        peer: PeerId,
        /// Why.
        reason: String,
    },
    /// The command channel is full (the swarm task is not keeping up); the
    /// command was dropped.
    #[error("network command channel full; command dropped")]
    Busy,
    /// The network task has stopped (after [`crate::NetworkHandle::shutdown`]).
    #[error("the network has shut down")]
    Shutdown,
}
