//! Fuzzing property of the consensus message decoders, shared by the
//! cargo-fuzz target `decode_consensus` (`fuzz/`) and the corpus replay
//! test `tests/fuzz_corpus.rs`.

use crate::ba::{Certificate, Message, Proposal, Vote};
use crate::checkpoint::{CheckpointCertificate, CheckpointVote};

/// The messages peers gossip (`ba::{Vote, Proposal, Message,
/// Certificate}::from_bytes`, `checkpoint::{CheckpointVote,
/// CheckpointCertificate}::from_bytes`) on arbitrary bytes: no panic, and an
/// accepted message is canonical (re-encodes to exactly `data`).
pub fn decode_consensus(data: &[u8]) {
    if let Ok(v) = Vote::from_bytes(data) {
        assert_eq!(v.to_bytes(), data, "vote is not canonical");
        let _ = v.signing_hash();
    }
    if let Ok(p) = Proposal::from_bytes(data) {
        assert_eq!(p.to_bytes(), data, "proposal is not canonical");
    }
    if let Ok(m) = Message::from_bytes(data) {
        assert_eq!(m.to_bytes(), data, "message is not canonical");
    }
    if let Ok(c) = Certificate::from_bytes(data) {
        assert_eq!(c.to_bytes(), data, "certificate is not canonical");
    }
    if let Ok(v) = CheckpointVote::from_bytes(data) {
        assert_eq!(v.to_bytes(), data, "checkpoint vote is not canonical");
        let _ = v.signature_ok();
    }
    if let Ok(c) = CheckpointCertificate::from_bytes(data) {
        assert_eq!(
            c.to_bytes(),
            data,
            "checkpoint certificate is not canonical"
        );
    }
}
