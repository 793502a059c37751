//! The node's network payloads (the network layer carries opaque bytes).
//!
//! ```text
//! proposal gossip = 0x01 ‖ LE16(len) ‖ proposal ‖ LE16(len) ‖ block header
//! vote gossip     = the vote's own encoding (sero_consensus::ba::Vote)
//! tx gossip       = the transaction's encoding
//!
//! sync request    = 0x01                       status
//!                 | 0x02 ‖ LE64(from) ‖ LE32(n)   n ≤ 64 blocks from height `from`
//!                 | 0x03 ‖ hash (32)            one block (pending or applied)
//! sync response   = 0x81 ‖ LE64(tip) ‖ tip hash (32) ‖ LE64(finalized)
//!                 | 0x82 ‖ LE32(n) ‖ n × (LE32 ‖ header ‖ LE32 ‖ body ‖ LE32 ‖ certificate)
//!                 | 0x83 ‖ 0x00 | 0x01 ‖ LE32 ‖ header ‖ LE32 ‖ body
//!                 | 0xff ‖ UTF-8 error
//! ```
//! Every length is bounded; decoding rejects trailing bytes.

use thiserror::Error;

/// Most blocks in one sync response.
pub const MAX_SYNC_BLOCKS: u32 = 64;
/// Longest encoded header (seal included).
pub const MAX_HEADER_BYTES: usize = 2048;
/// Longest encoded proposal.
pub const MAX_PROPOSAL_BYTES: usize = 1024;
/// Longest certificate.
pub const MAX_CERTIFICATE_BYTES: usize = 4 * 1024 * 1024;

/// A malformed payload.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum WireError {
    #[error("truncated {0}")]
    Truncated(&'static str),
    #[error("unknown message kind {0:#x}")]
    Kind(u8),
    #[error("{what} of {got} bytes exceeds {limit}")]
    TooLarge {
        what: &'static str,
        got: usize,
        limit: usize,
    },
    #[error("trailing bytes")]
    Trailing,
    #[error("{0}")]
    Invalid(&'static str),
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        if self.0.len() < n {
            return Err(WireError::Truncated(what));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u8(&mut self, what: &'static str) -> Result<u8, WireError> {
        Ok(self.take(1, what)?[0])
    }
    fn u16(&mut self, what: &'static str) -> Result<u16, WireError> {
        Ok(u16::from_le_bytes(
            self.take(2, what)?.try_into().expect("2"),
        ))
    }
    fn u32(&mut self, what: &'static str) -> Result<u32, WireError> {
        Ok(u32::from_le_bytes(
            self.take(4, what)?.try_into().expect("4"),
        ))
    }
    fn u64(&mut self, what: &'static str) -> Result<u64, WireError> {
        Ok(u64::from_le_bytes(
            self.take(8, what)?.try_into().expect("8"),
        ))
    }
    fn h32(&mut self, what: &'static str) -> Result<[u8; 32], WireError> {
        Ok(self.take(32, what)?.try_into().expect("32"))
    }
    fn bytes16(&mut self, what: &'static str, limit: usize) -> Result<Vec<u8>, WireError> {
        let n = self.u16(what)? as usize;
        self.bounded(n, what, limit)
    }
    fn bytes32(&mut self, what: &'static str, limit: usize) -> Result<Vec<u8>, WireError> {
        let n = self.u32(what)? as usize;
        self.bounded(n, what, limit)
    }
    fn bounded(
        &mut self,
        n: usize,
        what: &'static str,
        limit: usize,
    ) -> Result<Vec<u8>, WireError> {
        if n > limit {
            return Err(WireError::TooLarge {
                what,
                got: n,
                limit,
            });
        }
        Ok(self.take(n, what)?.to_vec())
    }
    fn finish(self) -> Result<(), WireError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(WireError::Trailing)
        }
    }
}

fn put32(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

/// A proposal with the header of its block (the body is fetched).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProposalGossip {
    pub proposal: Vec<u8>,
    pub header: Vec<u8>,
}

impl ProposalGossip {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![1];
        out.extend_from_slice(&(self.proposal.len() as u16).to_le_bytes());
        out.extend_from_slice(&self.proposal);
        out.extend_from_slice(&(self.header.len() as u16).to_le_bytes());
        out.extend_from_slice(&self.header);
        out
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader(b);
        let k = r.u8("kind")?;
        if k != 1 {
            return Err(WireError::Kind(k));
        }
        let proposal = r.bytes16("proposal", MAX_PROPOSAL_BYTES)?;
        let header = r.bytes16("header", MAX_HEADER_BYTES)?;
        r.finish()?;
        Ok(ProposalGossip { proposal, header })
    }
}

/// A sync request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncRequest {
    Status,
    Blocks { from: u64, count: u32 },
    Block { hash: [u8; 32] },
}

/// A block with its agreement certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncedBlock {
    pub header: Vec<u8>,
    pub body: Vec<u8>,
    pub certificate: Vec<u8>,
}

/// A sync response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncResponse {
    /// The peer's tip and finalized height, and the lowest height whose
    /// block body it still stores (0: an archive node; a pruned node serves
    /// `Blocks` only from there on, so a syncing node asks another peer).
    Status {
        tip: u64,
        tip_hash: [u8; 32],
        finalized: u64,
        bodies_from: u64,
    },
    Blocks(Vec<SyncedBlock>),
    Block(Option<(Vec<u8>, Vec<u8>)>),
    Error(String),
}

impl SyncRequest {
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            SyncRequest::Status => vec![1],
            SyncRequest::Blocks { from, count } => {
                let mut out = vec![2];
                out.extend_from_slice(&from.to_le_bytes());
                out.extend_from_slice(&count.to_le_bytes());
                out
            }
            SyncRequest::Block { hash } => {
                let mut out = vec![3];
                out.extend_from_slice(hash);
                out
            }
        }
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader(b);
        let req = match r.u8("kind")? {
            1 => SyncRequest::Status,
            2 => {
                let from = r.u64("from")?;
                let count = r.u32("count")?;
                if count == 0 || count > MAX_SYNC_BLOCKS {
                    return Err(WireError::Invalid("block count out of range"));
                }
                SyncRequest::Blocks { from, count }
            }
            3 => SyncRequest::Block {
                hash: r.h32("hash")?,
            },
            k => return Err(WireError::Kind(k)),
        };
        r.finish()?;
        Ok(req)
    }
}

impl SyncResponse {
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            SyncResponse::Status {
                tip,
                tip_hash,
                finalized,
                bodies_from,
            } => {
                let mut out = vec![0x81];
                out.extend_from_slice(&tip.to_le_bytes());
                out.extend_from_slice(tip_hash);
                out.extend_from_slice(&finalized.to_le_bytes());
                out.extend_from_slice(&bodies_from.to_le_bytes());
                out
            }
            SyncResponse::Blocks(blocks) => {
                let mut out = vec![0x82];
                out.extend_from_slice(&(blocks.len() as u32).to_le_bytes());
                for b in blocks {
                    put32(&mut out, &b.header);
                    put32(&mut out, &b.body);
                    put32(&mut out, &b.certificate);
                }
                out
            }
            SyncResponse::Block(b) => {
                let mut out = vec![0x83];
                match b {
                    None => out.push(0),
                    Some((h, body)) => {
                        out.push(1);
                        put32(&mut out, h);
                        put32(&mut out, body);
                    }
                }
                out
            }
            SyncResponse::Error(e) => {
                let mut out = vec![0xff];
                out.extend_from_slice(e.as_bytes());
                out
            }
        }
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, WireError> {
        let body_limit = sero_ledger::block::MAX_BLOCK_BYTES;
        let mut r = Reader(b);
        let resp = match r.u8("kind")? {
            0x81 => SyncResponse::Status {
                tip: r.u64("tip")?,
                tip_hash: r.h32("tip hash")?,
                finalized: r.u64("finalized")?,
                bodies_from: r.u64("bodies from")?,
            },
            0x82 => {
                let n = r.u32("block count")?;
                if n > MAX_SYNC_BLOCKS {
                    return Err(WireError::TooLarge {
                        what: "block count",
                        got: n as usize,
                        limit: MAX_SYNC_BLOCKS as usize,
                    });
                }
                let mut blocks = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    blocks.push(SyncedBlock {
                        header: r.bytes32("header", MAX_HEADER_BYTES)?,
                        body: r.bytes32("body", body_limit)?,
                        certificate: r.bytes32("certificate", MAX_CERTIFICATE_BYTES)?,
                    });
                }
                SyncResponse::Blocks(blocks)
            }
            0x83 => match r.u8("presence")? {
                0 => SyncResponse::Block(None),
                1 => SyncResponse::Block(Some((
                    r.bytes32("header", MAX_HEADER_BYTES)?,
                    r.bytes32("body", body_limit)?,
                ))),
                _ => return Err(WireError::Invalid("presence byte")),
            },
            0xff => {
                let s = String::from_utf8_lossy(r.0).chars().take(200).collect();
                r.0 = &[];
                SyncResponse::Error(s)
            }
            k => return Err(WireError::Kind(k)),
        };
        r.finish()?;
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let p = ProposalGossip {
            proposal: vec![1, 2, 3],
            header: vec![4; 100],
        };
        assert_eq!(ProposalGossip::from_bytes(&p.to_bytes()).unwrap(), p);
        for r in [
            SyncRequest::Status,
            SyncRequest::Blocks { from: 5, count: 3 },
            SyncRequest::Block { hash: [7; 32] },
        ] {
            assert_eq!(SyncRequest::from_bytes(&r.to_bytes()).unwrap(), r);
        }
        for r in [
            SyncResponse::Status {
                tip: 4,
                tip_hash: [1; 32],
                finalized: 3,
                bodies_from: 2,
            },
            SyncResponse::Blocks(vec![SyncedBlock {
                header: vec![1],
                body: vec![2, 2],
                certificate: vec![3, 3, 3],
            }]),
            SyncResponse::Block(None),
            SyncResponse::Block(Some((vec![1], vec![2]))),
            SyncResponse::Error("no".into()),
        ] {
            assert_eq!(SyncResponse::from_bytes(&r.to_bytes()).unwrap(), r);
        }
    }

    #[test]
    fn rejects_garbage() {
        assert!(ProposalGossip::from_bytes(&[]).is_err());
        assert!(ProposalGossip::from_bytes(&[2, 0, 0, 0, 0]).is_err());
        let mut p = ProposalGossip {
            proposal: vec![1],
            header: vec![2],
        }
        .to_bytes();
        p.push(0);
        assert_eq!(ProposalGossip::from_bytes(&p), Err(WireError::Trailing));
        let mut big = vec![1];
        big.extend_from_slice(&(MAX_PROPOSAL_BYTES as u16 + 1).to_le_bytes());
        assert!(matches!(
            ProposalGossip::from_bytes(&big),
            Err(WireError::TooLarge { .. })
        ));
        assert!(SyncRequest::from_bytes(&[2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(SyncRequest::from_bytes(&[9]).is_err());
        let mut many = vec![0x82];
        many.extend_from_slice(&(MAX_SYNC_BLOCKS + 1).to_le_bytes());
        assert!(SyncResponse::from_bytes(&many).is_err());
        let mut huge = vec![0x82, 1, 0, 0, 0];
        huge.extend_from_slice(&(MAX_HEADER_BYTES as u32 + 1).to_le_bytes());
        assert!(SyncResponse::from_bytes(&huge).is_err());
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any bytes: the decoders never panic, and what they accept
        /// re-encodes to the same bytes (one encoding per message).
        #[test]
        fn decoders_are_total_and_canonical(data in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(g) = ProposalGossip::from_bytes(&data) {
                prop_assert_eq!(g.to_bytes(), data.clone());
            }
            if let Ok(r) = SyncRequest::from_bytes(&data) {
                prop_assert_eq!(r.to_bytes(), data.clone());
            }
            if let Ok(r) = SyncResponse::from_bytes(&data) {
                if !matches!(r, SyncResponse::Error(_)) {
                    prop_assert_eq!(r.to_bytes(), data.clone());
                }
            }
        }

        /// Valid-looking prefixes with random tails.
        #[test]
        fn kinds_with_random_tails(kind in proptest::sample::select(vec![1u8, 2, 3, 0x81, 0x82, 0x83, 0xff]),
                                   tail in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut data = vec![kind];
            data.extend_from_slice(&tail);
            let _ = ProposalGossip::from_bytes(&data);
            let _ = SyncRequest::from_bytes(&data);
            let _ = SyncResponse::from_bytes(&data);
        }
    }
}
