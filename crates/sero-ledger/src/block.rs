//! Blocks: a header committing to the parent, height, time, the block's
//! transactions, the note-tree root after the block and the consensus seal,
//! and a body of coinbase outputs and transactions.
//!
//! ```text
//! header = version u8 (4) ‖ height u64 ‖ parent (32) ‖ time u64 (unix s)
//!          ‖ tx_root (32) ‖ note_root (32) ‖ leaf_count u64
//!          ‖ state_root (32) ‖ validators_hash (32) ‖ seal
//! seal   = 0x00 ‖ config_hash (32)                                 genesis
//!        | 0x01                                                    empty block
//!        | 0x02 ‖ proposer (32) ‖ seed_proof (80) ‖ credential (80)
//!               ‖ 0x00 | 0x01 ‖ licence (72) ‖ signature (64)      proposed
//!        | 0x03                                                    dev chain
//! body   = u16 c ‖ c × plain output ‖ u32 n ‖ n × (u32 len ‖ transaction)
//! hash         = BLAKE2b-256("SERO_BlockHdr_v1"; header)
//! signing hash = BLAKE2b-256("SERO_BlockSign_1"; header with the 64
//!                signature bytes zeroed)
//! ```
//! `tx_root` is a binary Merkle tree over BLAKE2b leaves
//! `H("SERO_TxRootLeaf1"; kind ‖ bytes)` for each coinbase output (kind 0)
//! and each transaction's full encoding (kind 1), inner nodes
//! `H("SERO_TxRootNode1"; left ‖ right)`, an odd node paired with itself;
//! the empty root is 32 zero bytes. `note_root` and `leaf_count` let a
//! light client check note paths against headers alone. `state_root` is
//! the contract state's root after the block (`sero_evm::state_root`),
//! so every node's execution of the block's contract actions is checked.
//! `validators_hash` ([`validators_hash`]) commits to the active validator
//! set after the block — the set that votes in the next round — so a light
//! client that trusts this header can check the next round's certificate
//! without chain state (as CometBFT's `NextValidatorsHash`).
//!
//! This crate only encodes the seal canonically; the node verifies the
//! proposer's VRF proofs and signature (crate `sero-consensus`) and the
//! licence ([`crate::license::check_proposer_license`]).
//!
//! New notes enter the tree in block order: coinbase outputs, then for each
//! transaction its Z-outputs, then its plain outputs.

use crate::codec::{put_plain_output, Reader};
use crate::error::DecodeError;
use crate::license::License;
use crate::tx::{PlainOutput, Transaction, MAX_TX_BYTES};
use ark_ec::CurveGroup;
use rayon::prelude::*;
use sero_crypto::curve::encode_base;
use sero_crypto::hash::{hash256, tags};
use sero_crypto::Base;
use sero_zk::note::{note_commitment, pkr_hash};

/// Most transactions in a block.
pub const MAX_BLOCK_TXS: usize = 1000;
/// Most coinbase outputs in a block.
pub const MAX_COINBASE_OUTPUTS: usize = 16;
/// Longest encoded block body.
pub const MAX_BLOCK_BYTES: usize = 16 * 1024 * 1024;
/// The header version this crate writes and reads.
pub const HEADER_VERSION: u8 = 4;

const SEAL_GENESIS: u8 = 0;
const SEAL_EMPTY: u8 = 1;
const SEAL_PROPOSED: u8 = 2;
const SEAL_DEV: u8 = 3;

/// What a block proposer attaches: its vote key, the VRF proof of the
/// round seed, the VRF proof of its proposer sortition, an optional mining
/// licence and its signature over [`BlockHeader::signing_hash`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProposerSeal {
    /// The proposer's vote key (ed25519 public key).
    pub proposer: [u8; 32],
    /// VRF proof on the round-seed input.
    pub seed_proof: [u8; 80],
    /// VRF proof of the proposer sortition.
    pub credential: [u8; 80],
    /// The proposer's mining licence, if it shows one.
    pub license: Option<License>,
    /// ed25519 signature over the header's signing hash.
    pub signature: [u8; 64],
}

/// How a block was agreed on.
// One seal per header, never in bulk: not boxing the proposed seal keeps
// construction and matching plain.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seal {
    /// Block 0: the hash of the genesis configuration, so that different
    /// configurations give different chains.
    Genesis { config_hash: [u8; 32] },
    /// The deterministic empty block of a round that agreed on no proposal
    /// ([`Block::empty`]).
    Empty,
    /// A block proposed by a validator.
    Proposed(ProposerSeal),
    /// A block of the single-node development chain (accepted only by a
    /// chain configured in dev mode).
    Dev,
}

/// A block header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockHeader {
    pub height: u64,
    pub parent: [u8; 32],
    pub time: u64,
    pub tx_root: [u8; 32],
    pub note_root: Base,
    pub leaf_count: u64,
    /// Root of the contract state after the block (header version 3).
    pub state_root: [u8; 32],
    /// [`validators_hash`] of the active validators after the block: the
    /// weights of round `height + 1` (header version 4).
    pub validators_hash: [u8; 32],
    pub seal: Seal,
}

/// A block.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub header: BlockHeader,
    pub coinbase: Vec<PlainOutput>,
    pub txs: Vec<Transaction>,
}

impl Seal {
    fn put(&self, out: &mut Vec<u8>, zero_signature: bool) {
        match self {
            Seal::Genesis { config_hash } => {
                out.push(SEAL_GENESIS);
                out.extend_from_slice(config_hash);
            }
            Seal::Empty => out.push(SEAL_EMPTY),
            Seal::Proposed(p) => {
                out.push(SEAL_PROPOSED);
                out.extend_from_slice(&p.proposer);
                out.extend_from_slice(&p.seed_proof);
                out.extend_from_slice(&p.credential);
                match &p.license {
                    Some(l) => {
                        out.push(1);
                        out.extend_from_slice(&l.to_bytes());
                    }
                    None => out.push(0),
                }
                if zero_signature {
                    out.extend_from_slice(&[0; 64]);
                } else {
                    out.extend_from_slice(&p.signature);
                }
            }
            Seal::Dev => out.push(SEAL_DEV),
        }
    }
}

impl Reader<'_> {
    fn seal(&mut self) -> Result<Seal, DecodeError> {
        Ok(match self.u8("seal kind")? {
            SEAL_GENESIS => Seal::Genesis {
                config_hash: self.array("genesis config hash")?,
            },
            SEAL_EMPTY => Seal::Empty,
            SEAL_PROPOSED => {
                let proposer = self.array("proposer")?;
                let seed_proof = self.array("seed proof")?;
                let credential = self.array("credential")?;
                let license = match self.u8("licence flag")? {
                    0 => None,
                    1 => Some(
                        License::from_bytes(self.take(License::LEN, "licence")?)
                            .map_err(|e| crate::codec::invalid("licence", e))?,
                    ),
                    f => {
                        return Err(crate::codec::invalid(
                            "licence flag",
                            format!("{f} is neither 0 nor 1"),
                        ))
                    }
                };
                Seal::Proposed(ProposerSeal {
                    proposer,
                    seed_proof,
                    credential,
                    license,
                    signature: self.array("block signature")?,
                })
            }
            SEAL_DEV => Seal::Dev,
            k => {
                return Err(crate::codec::invalid(
                    "seal kind",
                    format!("unknown kind {k}"),
                ))
            }
        })
    }
}

impl BlockHeader {
    /// Length of the fields before the seal.
    pub const FIXED_LEN: usize = 1 + 8 + 32 + 8 + 32 + 32 + 8 + 32 + 32;

    fn encode(&self, zero_signature: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::FIXED_LEN + 330);
        out.push(HEADER_VERSION);
        out.extend_from_slice(&self.height.to_le_bytes());
        out.extend_from_slice(&self.parent);
        out.extend_from_slice(&self.time.to_le_bytes());
        out.extend_from_slice(&self.tx_root);
        out.extend_from_slice(&encode_base(&self.note_root));
        out.extend_from_slice(&self.leaf_count.to_le_bytes());
        out.extend_from_slice(&self.state_root);
        out.extend_from_slice(&self.validators_hash);
        self.seal.put(&mut out, zero_signature);
        out
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.encode(false)
    }

    /// Decodes a header: version 4, every length exact, a known seal kind,
    /// a canonical licence, no trailing bytes.
    pub fn from_bytes(b: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(b);
        let v = r.u8("header version")?;
        if v != HEADER_VERSION {
            return Err(DecodeError::Version(v));
        }
        let height = r.u64("height")?;
        let parent = r.array("parent")?;
        let time = r.u64("time")?;
        let tx_root = r.array("tx root")?;
        let note_root = r.base("note root")?;
        let leaf_count = r.u64("leaf count")?;
        let state_root = r.array("state root")?;
        let validators_hash = r.array("validators hash")?;
        let seal = r.seal()?;
        r.finish()?;
        Ok(BlockHeader {
            height,
            parent,
            time,
            tx_root,
            note_root,
            leaf_count,
            state_root,
            validators_hash,
            seal,
        })
    }

    /// The block hash: `BLAKE2b-256("SERO_BlockHdr_v1"; header)`.
    pub fn hash(&self) -> [u8; 32] {
        hash256(tags::BLOCK_HEADER, &[&self.to_bytes()])
    }

    /// What the proposer signs: `BLAKE2b-256("SERO_BlockSign_1"; header)`
    /// with a proposed seal's 64 signature bytes set to zero.
    pub fn signing_hash(&self) -> [u8; 32] {
        hash256(tags::BLOCK_SIGN, &[&self.encode(true)])
    }
}

/// The commitment of a header to a validator set (`validators_hash`):
/// `BLAKE2b-256("SERO_ValSetHash1"; u32 n ‖ n × (vote_key (32) ‖ vrf_key
/// (32) ‖ u64 stake))`, the entries `(vote key, VRF key, stake)` sorted by
/// vote key (this function sorts them). The empty set (a dev chain) hashes
/// `n = 0`.
pub fn validators_hash(entries: &[([u8; 32], [u8; 32], u64)]) -> [u8; 32] {
    let mut sorted = entries.to_vec();
    sorted.sort_by_key(|e| e.0);
    let mut b = Vec::with_capacity(4 + sorted.len() * 72);
    b.extend_from_slice(&(sorted.len() as u32).to_le_bytes());
    for (vote, vrf, stake) in &sorted {
        b.extend_from_slice(vote);
        b.extend_from_slice(vrf);
        b.extend_from_slice(&stake.to_le_bytes());
    }
    hash256(tags::VALIDATOR_SET, &[&b])
}

/// The note commitment of a plain output (`rsk = 0`): computed by the node.
pub fn plain_cm_out(p: &PlainOutput) -> Result<Base, sero_assets::AssetError> {
    let cc = sero_assets::asset_part(&p.asset)?.into_affine();
    Ok(note_commitment(
        &cc,
        pkr_hash(&p.pkr),
        p.memo_hash,
        Base::from(0u64),
    ))
}

/// The Merkle root over coinbase outputs and transactions.
pub fn tx_root(coinbase: &[PlainOutput], txs: &[Transaction]) -> [u8; 32] {
    let mut level: Vec<[u8; 32]> = coinbase
        .iter()
        .map(|p| {
            let mut b = vec![];
            put_plain_output(&mut b, p);
            hash256(tags::TX_ROOT_LEAF, &[&[0], &b])
        })
        .chain(
            txs.par_iter()
                .map(|t| hash256(tags::TX_ROOT_LEAF, &[&[1], &t.to_bytes()]))
                .collect::<Vec<_>>(),
        )
        .collect();
    if level.is_empty() {
        return [0; 32];
    }
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|c| hash256(tags::TX_ROOT_NODE, &[&c[0], c.get(1).unwrap_or(&c[0])]))
            .collect();
    }
    level[0]
}

impl Block {
    pub fn hash(&self) -> [u8; 32] {
        self.header.hash()
    }

    /// The deterministic empty block at `height` on `parent`: no coinbase,
    /// no transactions, the parent's note root, leaf count, state root,
    /// validators hash and time, seal
    /// [`Seal::Empty`]. Every node computes the same hash for it.
    pub fn empty(height: u64, parent: &BlockHeader) -> Block {
        Block {
            header: BlockHeader {
                height,
                parent: parent.hash(),
                time: parent.time,
                tx_root: tx_root(&[], &[]),
                note_root: parent.note_root,
                leaf_count: parent.leaf_count,
                state_root: parent.state_root,
                validators_hash: parent.validators_hash,
                seal: Seal::Empty,
            },
            coinbase: vec![],
            txs: vec![],
        }
    }

    /// The body encoding (coinbase and transactions).
    pub fn body_bytes(&self) -> Vec<u8> {
        let mut out = vec![];
        out.extend_from_slice(&(self.coinbase.len() as u16).to_le_bytes());
        for p in &self.coinbase {
            put_plain_output(&mut out, p);
        }
        out.extend_from_slice(&(self.txs.len() as u32).to_le_bytes());
        for t in &self.txs {
            let b = t.to_bytes();
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(&b);
        }
        out
    }

    /// Decodes a block from its header and body bytes.
    pub fn from_parts(header: &[u8], body: &[u8]) -> Result<Self, DecodeError> {
        Self::from_parts_with(header, body, &|_| None)
    }

    /// [`from_parts`](Self::from_parts), taking a transaction from `known`
    /// when it returns one for the transaction's bytes instead of decoding
    /// them; `known` must return only a transaction whose canonical
    /// encoding is exactly those bytes (as
    /// [`VerifiedCache::decoded`](crate::verified::VerifiedCache::decoded)
    /// does, by full hash), so the block is the same either way. A node
    /// decodes a proposed block's transactions once, when they arrive by
    /// gossip: decoding is most of a block's check (a subgroup check per
    /// point, ≈ 15 per transaction). The others are decoded in parallel.
    pub fn from_parts_with(
        header: &[u8],
        body: &[u8],
        known: &(dyn Fn(&[u8]) -> Option<Transaction> + Sync),
    ) -> Result<Self, DecodeError> {
        if body.len() > MAX_BLOCK_BYTES {
            return Err(DecodeError::TooLarge(body.len(), MAX_BLOCK_BYTES));
        }
        let header = BlockHeader::from_bytes(header)?;
        let mut r = Reader::new(body);
        let c = u16::from_le_bytes(r.take(2, "coinbase count")?.try_into().expect("2")) as usize;
        if c > MAX_COINBASE_OUTPUTS {
            return Err(DecodeError::TooMany {
                what: "coinbase outputs",
                got: c,
                limit: MAX_COINBASE_OUTPUTS,
            });
        }
        let mut coinbase = Vec::with_capacity(c);
        for _ in 0..c {
            coinbase.push(r.plain_output("coinbase PKr")?);
        }
        let n = u32::from_le_bytes(r.take(4, "transaction count")?.try_into().expect("4")) as usize;
        if n > MAX_BLOCK_TXS {
            return Err(DecodeError::TooMany {
                what: "transactions",
                got: n,
                limit: MAX_BLOCK_TXS,
            });
        }
        // The transactions' bytes first (cheap), then their decoding (point
        // decompression and subgroup checks) in parallel; the first error in
        // block order is the block's, as when decoding in order.
        let mut raw = Vec::with_capacity(n);
        for _ in 0..n {
            let len = u32::from_le_bytes(r.take(4, "transaction length")?.try_into().expect("4"))
                as usize;
            if len > MAX_TX_BYTES {
                return Err(DecodeError::TooLarge(len, MAX_TX_BYTES));
            }
            raw.push(r.take(len, "transaction")?);
        }
        r.finish()?;
        // The proofs' `B` points of all the transactions are checked in G2
        // together (eight per vector pass), up to the first transaction that
        // fails to decode: so the first error in block order is still the
        // block's.
        let decoded = raw
            .par_iter()
            .map(|b| match known(b) {
                Some(tx) => Ok((tx, Vec::new())),
                None => crate::codec::decode_deferred(b),
            })
            .collect::<Vec<_>>();
        let first_err = decoded.iter().position(|d| d.is_err());
        let pending: Vec<crate::codec::PendingG2> = decoded
            .iter()
            .take(first_err.unwrap_or(decoded.len()))
            .flat_map(|d| {
                d.as_ref()
                    .map(|(_, p)| p.iter().copied())
                    .into_iter()
                    .flatten()
            })
            .collect();
        crate::codec::check_pending_g2(&pending)?;
        let txs = decoded
            .into_iter()
            .map(|d| d.map(|(tx, _)| tx))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Block {
            header,
            coinbase,
            txs,
        })
    }

    /// The block's new note commitments, in tree order.
    pub fn new_notes(&self) -> Result<Vec<Base>, sero_assets::AssetError> {
        let mut out = vec![];
        for p in &self.coinbase {
            out.push(plain_cm_out(p)?);
        }
        for t in &self.txs {
            out.extend(t.outputs.iter().map(|o| o.cm_out));
            for p in &t.plain_outputs {
                out.push(plain_cm_out(p)?);
            }
        }
        Ok(out)
    }
}
