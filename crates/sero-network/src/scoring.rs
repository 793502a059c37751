//! Gossipsub peer-scoring parameters (see the crate docs for the rationale).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use libp2p::gossipsub::{
    score_parameter_decay_with_base, PeerScoreParams, PeerScoreThresholds, TopicHash,
    TopicScoreParams,
};

/// Weight of the invalid-message counter (P₄) in every topic. The counter is
/// squared, so `n` rejected messages cost `n² × 100`.
pub const INVALID_MESSAGE_WEIGHT: f64 = -100.0;
/// The invalid-message counter decays to 1% over this period.
pub const INVALID_MESSAGE_DECAY_TIME: Duration = Duration::from_secs(30 * 60);
/// Below this score no IHAVE/IWANT gossip is exchanged with the peer
/// (3 rejected messages).
pub const GOSSIP_THRESHOLD: f64 = -500.0;
/// Below this score we do not flood-publish to the peer (4 rejected messages).
pub const PUBLISH_THRESHOLD: f64 = -1000.0;
/// Below this score the peer's RPCs are ignored, and the swarm task bans it
/// for [`crate::NetworkLimits::ban_duration`] (5 rejected messages, even
/// with the maximal positive score).
pub const GRAYLIST_THRESHOLD: f64 = -2000.0;
/// Cap on the positive part of a peer's score summed over topics.
pub const TOPIC_SCORE_CAP: f64 = 100.0;

const DECAY_INTERVAL: Duration = Duration::from_secs(1);
const DECAY_TO_ZERO: f64 = 0.01;

fn decay(over: Duration) -> f64 {
    score_parameter_decay_with_base(over, DECAY_INTERVAL, DECAY_TO_ZERO)
}

/// The score thresholds.
pub fn thresholds() -> PeerScoreThresholds {
    PeerScoreThresholds {
        gossip_threshold: GOSSIP_THRESHOLD,
        publish_threshold: PUBLISH_THRESHOLD,
        graylist_threshold: GRAYLIST_THRESHOLD,
        accept_px_threshold: 100.0,
        opportunistic_graft_threshold: 5.0,
    }
}

/// Per-topic parameters: a small reward for time in mesh (P₁) and first
/// deliveries (P₂), no mesh-delivery-rate penalties (P₃/P₃b: traffic is
/// bursty and low, they would punish honest peers), and a strongly negative
/// invalid-message weight (P₄).
pub fn topic_params() -> TopicScoreParams {
    TopicScoreParams {
        topic_weight: 1.0,
        time_in_mesh_weight: 0.01,
        time_in_mesh_quantum: Duration::from_secs(1),
        time_in_mesh_cap: 3600.0,
        first_message_deliveries_weight: 1.0,
        first_message_deliveries_decay: decay(Duration::from_secs(10 * 60)),
        first_message_deliveries_cap: 50.0,
        mesh_message_deliveries_weight: 0.0,
        mesh_failure_penalty_weight: 0.0,
        invalid_message_deliveries_weight: INVALID_MESSAGE_WEIGHT,
        invalid_message_deliveries_decay: decay(INVALID_MESSAGE_DECAY_TIME),
        ..TopicScoreParams::default()
    }
}

/// Global parameters with `topics` scored by [`topic_params`].
pub fn peer_score_params(topics: impl IntoIterator<Item = TopicHash>) -> PeerScoreParams {
    PeerScoreParams {
        topics: topics.into_iter().map(|t| (t, topic_params())).collect(),
        topic_score_cap: TOPIC_SCORE_CAP,
        app_specific_weight: 0.0,
        // More than 10 peers behind one IP are penalised, except on loopback
        // (local devnets).
        ip_colocation_factor_weight: -5.0,
        ip_colocation_factor_threshold: 10.0,
        ip_colocation_factor_whitelist: [
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ]
        .into_iter()
        .collect(),
        decay_interval: DECAY_INTERVAL,
        decay_to_zero: DECAY_TO_ZERO,
        retain_score: Duration::from_secs(3600),
        ..PeerScoreParams::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_valid_and_five_rejections_graylist() {
        let params = peer_score_params([TopicHash::from_raw("t")]);
        params.validate().unwrap();
        thresholds().validate().unwrap();
        let p4 = |n: f64| n * n * INVALID_MESSAGE_WEIGHT;
        assert!(p4(4.0) + TOPIC_SCORE_CAP > GRAYLIST_THRESHOLD);
        assert!(p4(5.0) + TOPIC_SCORE_CAP < GRAYLIST_THRESHOLD);
        assert!(p4(1.0) + TOPIC_SCORE_CAP >= 0.0);
    }
}
