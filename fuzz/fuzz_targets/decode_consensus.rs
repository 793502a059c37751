//! The consensus messages gossiped by peers (`sero_consensus::ba`): votes,
//! proposals and certificates from untrusted bytes. Decoding must never
//! panic, and an accepted message must be canonical: it re-encodes to the
//! same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sero_consensus::ba::{Certificate, Message, Proposal, Vote};

fuzz_target!(|data: &[u8]| {
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
});
