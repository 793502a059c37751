//! Proposals, votes and certificates, and their canonical encodings.
//!
//! Every encoding starts with a version byte ([`WIRE_VERSION`]) and a type
//! byte; integers are little-endian; decoding rejects unknown versions and
//! types, truncated input, trailing bytes, invalid enum codes, vote keys
//! that are not canonical or are weak, and inputs over the size limits.
//!
//! ```text
//! Proposal (250 B)  01 01 ‖ LE64 round ‖ prev_hash ‖ block_hash ‖ proposer ‖ credential(80) ‖ signature(64)
//! Vote     (255 B)  01 02 ‖ LE64 round ‖ step(5) ‖ prev_hash ‖ value ‖ voter ‖ credential(80) ‖ signature(64)
//! step              code ‖ LE32 (period << 16 | n): 01 0 Reduction1, 02 0 Reduction2,
//!                   03 s Binary(1 ≤ s ≤ 0xFFFF), 04 0 Final; `period` (16 bits) is the
//!                   BA★ recovery period (0 for the round's first run, see
//!                   [`super::Agreement`]), so period-0 encodings have zero high bits
//! Certificate       01 03 ‖ LE64 round ‖ value ‖ kind (01 Final, 02 Tentative) ‖ step(5) ‖ LE32 count ‖ count × Vote
//! ```
//!
//! A signature is ed25519 (`verify_strict`) over
//! `H256(tag; encoding without the signature)`, with the tag
//! [`TAG_PROPOSAL_SIG`] or [`TAG_VOTE_SIG`]: it covers every other field,
//! the version and the type.

use super::keys::{VotePublicKey, VoteSecretKey};
use super::verify::MessageError;
use crate::credential::Step;
use crate::vrf::PROOF_LEN;

/// The version byte of every encoding.
pub const WIRE_VERSION: u8 = 1;
/// BLAKE2b personalisation of the hash a proposal signature signs.
pub const TAG_PROPOSAL_SIG: &[u8; 16] = b"SERO_BaPropSig_1";
/// BLAKE2b personalisation of the hash a vote signature signs.
pub const TAG_VOTE_SIG: &[u8; 16] = b"SERO_BaVoteSig_1";
/// Length of an encoded [`Proposal`].
pub const PROPOSAL_LEN: usize = 250;
/// Length of an encoded [`Vote`].
pub const VOTE_LEN: usize = 255;
/// Most votes a [`Certificate`] may carry. A certificate needs at most one
/// vote per validator, so this bounds the validators one can name
/// (16384 × 255 B ≈ 4 MiB).
pub const MAX_CERTIFICATE_VOTES: usize = 16_384;
/// Length of a certificate's header.
pub const CERTIFICATE_HEADER_LEN: usize = 2 + 8 + 32 + 1 + 5 + 4;
/// Largest encoded [`Certificate`].
pub const MAX_CERTIFICATE_LEN: usize = CERTIFICATE_HEADER_LEN + MAX_CERTIFICATE_VOTES * VOTE_LEN;

const TYPE_PROPOSAL: u8 = 1;
const TYPE_VOTE: u8 = 2;
const TYPE_CERTIFICATE: u8 = 3;

/// A step of BA★ in which validators vote.
///
/// Mapping to sortition roles ([`VoteStep::sortition_step`]):
/// `Reduction1 → Committee(1)`, `Reduction2 → Committee(2)`,
/// `Binary(s) → Committee(s + 2)`, `Final → Final`. Every step therefore
/// draws its own committee, and a credential is valid for one step only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VoteStep {
    /// Reduction step 1: vote for the best proposal's block.
    Reduction1,
    /// Reduction step 2: re-vote the popular value (or the empty block).
    Reduction2,
    /// Binary BA★ step `s ≥ 1`.
    Binary(u32),
    /// The final-certification vote.
    Final,
}

impl VoteStep {
    /// The sortition role of this step (see the type's documentation).
    pub fn sortition_step(self) -> Step {
        match self {
            VoteStep::Reduction1 => Step::Committee(1),
            VoteStep::Reduction2 => Step::Committee(2),
            VoteStep::Binary(s) => Step::Committee(s.saturating_add(2)),
            VoteStep::Final => Step::Final,
        }
    }

    /// The order of the step in the round (`Reduction1` = 1, `Reduction2` =
    /// 2, `Binary(s)` = `s + 2`); `None` for `Final`, which runs beside the
    /// binary steps.
    pub fn index(self) -> Option<u64> {
        match self {
            VoteStep::Reduction1 => Some(1),
            VoteStep::Reduction2 => Some(2),
            VoteStep::Binary(s) => Some(u64::from(s) + 2),
            VoteStep::Final => None,
        }
    }

    /// The sortition role of this step in recovery period `period`:
    /// [`VoteStep::sortition_step`] in period 0; in a period `p ≥ 1`,
    /// `Committee(p << 16 | i)` with `i` the step's [`VoteStep::index`]
    /// (`0xFFFF` for `Final`), so every period draws fresh committees
    /// (binary steps never reach `0xFFFF`: `max_steps ≤ 10000`).
    pub fn sortition_step_in(self, period: u16) -> Step {
        if period == 0 {
            return self.sortition_step();
        }
        let i = self.index().map_or(0xFFFF, |i| i.min(0xFFFE) as u32);
        Step::Committee((u32::from(period) << 16) | i)
    }

    /// Encodes the step of `period` (5 bytes). A binary step above
    /// `0xFFFF` is encoded as `0xFFFF` (no valid vote has one).
    fn encode(self, period: u16, out: &mut Vec<u8>) {
        let (code, n) = match self {
            VoteStep::Reduction1 => (1u8, 0u32),
            VoteStep::Reduction2 => (2, 0),
            VoteStep::Binary(s) => (3, s.min(0xFFFF)),
            VoteStep::Final => (4, 0),
        };
        out.push(code);
        out.extend_from_slice(&((u32::from(period) << 16) | n).to_le_bytes());
    }

    fn decode(r: &mut Reader<'_>) -> Result<(Self, u16), MessageError> {
        let code = r.u8()?;
        let raw = u32::from_le_bytes(r.array()?);
        let (period, n) = ((raw >> 16) as u16, raw & 0xFFFF);
        let step = match (code, n) {
            (1, 0) => VoteStep::Reduction1,
            (2, 0) => VoteStep::Reduction2,
            (3, s) if s >= 1 => VoteStep::Binary(s),
            (4, 0) => VoteStep::Final,
            _ => return Err(MessageError::Malformed("invalid vote step")),
        };
        Ok((step, period))
    }
}

/// A block proposal: the proposer's credential for `Step::Proposer` and
/// the hash of its block (the body travels separately).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// The round.
    pub round: u64,
    /// The previous block's hash.
    pub prev_hash: [u8; 32],
    /// The proposed block's hash.
    pub block_hash: [u8; 32],
    /// The proposer's vote key.
    pub proposer: VotePublicKey,
    /// VRF proof of the proposer's sortition for `Step::Proposer`.
    pub credential: [u8; PROOF_LEN],
    /// ed25519 signature (see the module documentation).
    pub signature: [u8; 64],
}

/// A vote of one committee member for `value` in `step`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vote {
    /// The round.
    pub round: u64,
    /// The step.
    pub step: VoteStep,
    /// The recovery period (0: the round's first run of BA★).
    pub period: u16,
    /// The previous block's hash.
    pub prev_hash: [u8; 32],
    /// The block hash voted for (possibly the round's empty block).
    pub value: [u8; 32],
    /// The voter's vote key.
    pub voter: VotePublicKey,
    /// VRF proof of the voter's sortition for `step.sortition_step()`.
    pub credential: [u8; PROOF_LEN],
    /// ed25519 signature (see the module documentation).
    pub signature: [u8; 64],
}

/// A consensus message as gossiped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A block proposal.
    Proposal(Proposal),
    /// A vote.
    Vote(Vote),
}

/// How a round ended for a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DecisionKind {
    /// Final: a quorum of final votes; the block is never rolled back.
    Final,
    /// Tentative: binary BA★ decided, but no final quorum was seen; the
    /// block may be replaced if the network was partitioned.
    Tentative,
}

/// The evidence for a decision: votes of one step for one value whose
/// weight passes the step's threshold. `Final` certificates carry
/// `VoteStep::Final` votes; `Tentative` ones the votes of the deciding
/// binary step (`Binary(s)` with `s ≡ 1 (mod 3)` and a non-empty value, or
/// `s ≡ 2 (mod 3)` and the empty block).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    /// The round.
    pub round: u64,
    /// The decided block hash.
    pub value: [u8; 32],
    /// Final or tentative.
    pub kind: DecisionKind,
    /// The step every vote is for.
    pub step: VoteStep,
    /// The recovery period every vote is for.
    pub period: u16,
    /// The votes, from distinct voters.
    pub votes: Vec<Vote>,
}

pub(crate) use crate::credential::h256;

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], MessageError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or(MessageError::Malformed("truncated"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, MessageError> {
        Ok(self.take(1)?[0])
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], MessageError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u64(&mut self) -> Result<u64, MessageError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn header(&mut self, ty: u8) -> Result<(), MessageError> {
        if self.u8()? != WIRE_VERSION {
            return Err(MessageError::Malformed("unknown version"));
        }
        if self.u8()? != ty {
            return Err(MessageError::Malformed("wrong message type"));
        }
        Ok(())
    }
    fn key(&mut self) -> Result<VotePublicKey, MessageError> {
        VotePublicKey::from_bytes(&self.array()?)
            .map_err(|_| MessageError::Malformed("invalid vote key"))
    }
    fn end(&self) -> Result<(), MessageError> {
        if self.pos == self.buf.len() {
            Ok(())
        } else {
            Err(MessageError::Malformed("trailing bytes"))
        }
    }
}

fn check_len(bytes: &[u8], max: usize) -> Result<(), MessageError> {
    if bytes.len() > max {
        Err(MessageError::Malformed("too long"))
    } else {
        Ok(())
    }
}

impl Proposal {
    fn encode_unsigned(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[WIRE_VERSION, TYPE_PROPOSAL]);
        out.extend_from_slice(&self.round.to_le_bytes());
        out.extend_from_slice(&self.prev_hash);
        out.extend_from_slice(&self.block_hash);
        out.extend_from_slice(self.proposer.as_bytes());
        out.extend_from_slice(&self.credential);
    }

    /// The hash the signature signs.
    pub fn signing_hash(&self) -> [u8; 32] {
        let mut b = Vec::with_capacity(PROPOSAL_LEN);
        self.encode_unsigned(&mut b);
        h256(TAG_PROPOSAL_SIG, &[&b])
    }

    /// Signs the proposal with `key` (sets `signature`; `proposer` should
    /// be `key`'s public key).
    pub fn sign(&mut self, key: &VoteSecretKey) {
        self.signature = key.sign(&self.signing_hash());
    }

    /// The canonical encoding ([`PROPOSAL_LEN`] bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(PROPOSAL_LEN);
        self.encode_unsigned(&mut b);
        b.extend_from_slice(&self.signature);
        b
    }

    /// Decodes the canonical encoding (exactly [`PROPOSAL_LEN`] bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MessageError> {
        check_len(bytes, PROPOSAL_LEN)?;
        let mut r = Reader::new(bytes);
        let p = Self::decode(&mut r)?;
        r.end()?;
        Ok(p)
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, MessageError> {
        r.header(TYPE_PROPOSAL)?;
        Ok(Proposal {
            round: r.u64()?,
            prev_hash: r.array()?,
            block_hash: r.array()?,
            proposer: r.key()?,
            credential: r.array()?,
            signature: r.array()?,
        })
    }
}

impl Vote {
    fn encode_unsigned(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[WIRE_VERSION, TYPE_VOTE]);
        out.extend_from_slice(&self.round.to_le_bytes());
        self.step.encode(self.period, out);
        out.extend_from_slice(&self.prev_hash);
        out.extend_from_slice(&self.value);
        out.extend_from_slice(self.voter.as_bytes());
        out.extend_from_slice(&self.credential);
    }

    fn encode(&self, out: &mut Vec<u8>) {
        self.encode_unsigned(out);
        out.extend_from_slice(&self.signature);
    }

    /// The hash the signature signs.
    pub fn signing_hash(&self) -> [u8; 32] {
        let mut b = Vec::with_capacity(VOTE_LEN);
        self.encode_unsigned(&mut b);
        h256(TAG_VOTE_SIG, &[&b])
    }

    /// Signs the vote with `key` (sets `signature`; `voter` should be
    /// `key`'s public key).
    pub fn sign(&mut self, key: &VoteSecretKey) {
        self.signature = key.sign(&self.signing_hash());
    }

    /// The canonical encoding ([`VOTE_LEN`] bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(VOTE_LEN);
        self.encode(&mut b);
        b
    }

    /// Decodes the canonical encoding (exactly [`VOTE_LEN`] bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MessageError> {
        check_len(bytes, VOTE_LEN)?;
        let mut r = Reader::new(bytes);
        let v = Self::decode(&mut r)?;
        r.end()?;
        Ok(v)
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, MessageError> {
        r.header(TYPE_VOTE)?;
        let round = r.u64()?;
        let (step, period) = VoteStep::decode(r)?;
        Ok(Vote {
            round,
            step,
            period,
            prev_hash: r.array()?,
            value: r.array()?,
            voter: r.key()?,
            credential: r.array()?,
            signature: r.array()?,
        })
    }
}

impl Message {
    /// The canonical encoding of the proposal or vote.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Message::Proposal(p) => p.to_bytes(),
            Message::Vote(v) => v.to_bytes(),
        }
    }

    /// Decodes a proposal or a vote (dispatching on the type byte).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MessageError> {
        match bytes.get(1) {
            Some(&TYPE_PROPOSAL) => Proposal::from_bytes(bytes).map(Message::Proposal),
            Some(&TYPE_VOTE) => Vote::from_bytes(bytes).map(Message::Vote),
            _ if bytes.len() < 2 => Err(MessageError::Malformed("truncated")),
            _ => Err(MessageError::Malformed("wrong message type")),
        }
    }

    /// The round the message is for.
    pub fn round(&self) -> u64 {
        match self {
            Message::Proposal(p) => p.round,
            Message::Vote(v) => v.round,
        }
    }
}

impl Certificate {
    /// The canonical encoding (at most [`MAX_CERTIFICATE_LEN`] bytes).
    ///
    /// # Panics
    /// If the certificate holds more than [`MAX_CERTIFICATE_VOTES`] votes
    /// (the agreement never builds one).
    pub fn to_bytes(&self) -> Vec<u8> {
        assert!(self.votes.len() <= MAX_CERTIFICATE_VOTES);
        let mut b = Vec::with_capacity(CERTIFICATE_HEADER_LEN + self.votes.len() * VOTE_LEN);
        b.extend_from_slice(&[WIRE_VERSION, TYPE_CERTIFICATE]);
        b.extend_from_slice(&self.round.to_le_bytes());
        b.extend_from_slice(&self.value);
        b.push(match self.kind {
            DecisionKind::Final => 1,
            DecisionKind::Tentative => 2,
        });
        self.step.encode(self.period, &mut b);
        b.extend_from_slice(&(self.votes.len() as u32).to_le_bytes());
        for v in &self.votes {
            v.encode(&mut b);
        }
        b
    }

    /// Decodes the canonical encoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MessageError> {
        check_len(bytes, MAX_CERTIFICATE_LEN)?;
        let mut r = Reader::new(bytes);
        r.header(TYPE_CERTIFICATE)?;
        let round = r.u64()?;
        let value = r.array()?;
        let kind = match r.u8()? {
            1 => DecisionKind::Final,
            2 => DecisionKind::Tentative,
            _ => return Err(MessageError::Malformed("invalid decision kind")),
        };
        let (step, period) = VoteStep::decode(&mut r)?;
        let n = u32::from_le_bytes(r.array()?) as usize;
        if n > MAX_CERTIFICATE_VOTES {
            return Err(MessageError::Malformed("too many votes"));
        }
        if bytes.len() != CERTIFICATE_HEADER_LEN + n * VOTE_LEN {
            return Err(MessageError::Malformed(
                "length does not match the vote count",
            ));
        }
        let mut votes = Vec::with_capacity(n);
        for _ in 0..n {
            votes.push(Vote::decode(&mut r)?);
        }
        r.end()?;
        Ok(Certificate {
            round,
            value,
            kind,
            step,
            period,
            votes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_mapping_and_order() {
        assert_eq!(VoteStep::Reduction1.sortition_step(), Step::Committee(1));
        assert_eq!(VoteStep::Reduction2.sortition_step(), Step::Committee(2));
        assert_eq!(VoteStep::Binary(1).sortition_step(), Step::Committee(3));
        assert_eq!(VoteStep::Binary(150).sortition_step(), Step::Committee(152));
        assert_eq!(VoteStep::Final.sortition_step(), Step::Final);
        assert_eq!(VoteStep::Reduction1.index(), Some(1));
        assert_eq!(VoteStep::Binary(4).index(), Some(6));
        assert_eq!(VoteStep::Final.index(), None);
    }

    #[test]
    fn step_codes_round_trip() {
        for s in [
            VoteStep::Reduction1,
            VoteStep::Reduction2,
            VoteStep::Binary(1),
            VoteStep::Binary(0xFFFF),
            VoteStep::Final,
        ] {
            for period in [0u16, 1, 7, u16::MAX] {
                let mut b = Vec::new();
                s.encode(period, &mut b);
                assert_eq!(b.len(), 5);
                let mut r = Reader::new(&b);
                assert_eq!(VoteStep::decode(&mut r).unwrap(), (s, period));
                r.end().unwrap();
            }
        }
        // Period 0 keeps the original encoding.
        let mut b = Vec::new();
        VoteStep::Binary(5).encode(0, &mut b);
        assert_eq!(b, [3, 5, 0, 0, 0]);
        let mut b = Vec::new();
        VoteStep::Final.encode(2, &mut b);
        assert_eq!(b, [4, 0, 0, 2, 0]);
        // Binary(0) of any period, and stray low bits on other codes, fail.
        for bad in [[3u8, 0, 0, 1, 0], [1, 1, 0, 1, 0], [4, 0xff, 0xff, 0, 0]] {
            assert!(VoteStep::decode(&mut Reader::new(&bad)).is_err());
        }
    }

    #[test]
    fn recovery_periods_draw_distinct_committees() {
        let steps = [
            VoteStep::Reduction1,
            VoteStep::Reduction2,
            VoteStep::Binary(1),
            VoteStep::Binary(10_003),
            VoteStep::Final,
        ];
        let mut seen = std::collections::HashSet::new();
        for p in [0u16, 1, 2, u16::MAX] {
            for s in steps {
                assert!(seen.insert(s.sortition_step_in(p)), "{s:?} {p}");
            }
        }
        assert_eq!(VoteStep::Final.sortition_step_in(0), Step::Final);
        assert_eq!(
            VoteStep::Binary(1).sortition_step_in(1),
            Step::Committee(0x1_0003)
        );
    }

    #[test]
    fn all_tags_are_distinct() {
        let tags = [
            crate::credential::TAG_SEED,
            crate::credential::TAG_PRIORITY,
            crate::credential::ALPHA_SORTITION,
            crate::credential::ALPHA_SEED,
            crate::vrf::TAG_KEY_DERIVE,
            super::super::keys::TAG_VALIDATOR_KEYS,
            TAG_PROPOSAL_SIG,
            TAG_VOTE_SIG,
            super::super::verify::TAG_COIN,
        ];
        for (i, a) in tags.iter().enumerate() {
            for b in &tags[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
