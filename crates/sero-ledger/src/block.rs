//! Blocks: a header committing to the parent, height, time, the block's
//! transactions and the note-tree root after the block, and a body of
//! coinbase outputs and transactions.
//!
//! ```text
//! header = version u8 (1) ‖ height u64 ‖ parent (32) ‖ time u64 (unix s)
//!          ‖ tx_root (32) ‖ note_root (32) ‖ leaf_count u64
//! body   = u16 c ‖ c × plain output ‖ u32 n ‖ n × (u32 len ‖ transaction)
//! hash   = BLAKE2b-256("SERO_BlockHdr_v1"; header)
//! ```
//! `tx_root` is a binary Merkle tree over BLAKE2b leaves
//! `H("SERO_TxRootLeaf1"; kind ‖ bytes)` for each coinbase output (kind 0)
//! and each transaction's full encoding (kind 1), inner nodes
//! `H("SERO_TxRootNode1"; left ‖ right)`, an odd node paired with itself;
//! the empty root is 32 zero bytes. `note_root` and `leaf_count` let a
//! light client check note paths against headers alone.
//!
//! New notes enter the tree in block order: coinbase outputs, then for each
//! transaction its Z-outputs, then its plain outputs.

use crate::codec::{put_plain_output, Reader};
use crate::error::DecodeError;
use crate::tx::{PlainOutput, Transaction, MAX_TX_BYTES};
use ark_ec::CurveGroup;
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

/// A block header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockHeader {
    pub height: u64,
    pub parent: [u8; 32],
    pub time: u64,
    pub tx_root: [u8; 32],
    pub note_root: Base,
    pub leaf_count: u64,
}

/// A block.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub header: BlockHeader,
    pub coinbase: Vec<PlainOutput>,
    pub txs: Vec<Transaction>,
}

impl BlockHeader {
    pub const LEN: usize = 1 + 8 + 32 + 8 + 32 + 32 + 8;

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::LEN);
        out.push(1);
        out.extend_from_slice(&self.height.to_le_bytes());
        out.extend_from_slice(&self.parent);
        out.extend_from_slice(&self.time.to_le_bytes());
        out.extend_from_slice(&self.tx_root);
        out.extend_from_slice(&encode_base(&self.note_root));
        out.extend_from_slice(&self.leaf_count.to_le_bytes());
        out
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(b);
        let v = r.take(1, "header version")?[0];
        if v != 1 {
            return Err(DecodeError::Version(v));
        }
        let u64_of = |s: &[u8]| u64::from_le_bytes(s.try_into().expect("8 bytes"));
        let height = u64_of(r.take(8, "height")?);
        let parent = r.take(32, "parent")?.try_into().expect("32 bytes");
        let time = u64_of(r.take(8, "time")?);
        let tx_root = r.take(32, "tx root")?.try_into().expect("32 bytes");
        let note_root = r.base("note root")?;
        let leaf_count = u64_of(r.take(8, "leaf count")?);
        r.finish()?;
        Ok(BlockHeader {
            height,
            parent,
            time,
            tx_root,
            note_root,
            leaf_count,
        })
    }

    pub fn hash(&self) -> [u8; 32] {
        hash256(tags::BLOCK_HEADER, &[&self.to_bytes()])
    }
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
            txs.iter()
                .map(|t| hash256(tags::TX_ROOT_LEAF, &[&[1], &t.to_bytes()])),
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
        let mut txs = Vec::with_capacity(n);
        for _ in 0..n {
            let len = u32::from_le_bytes(r.take(4, "transaction length")?.try_into().expect("4"))
                as usize;
            if len > MAX_TX_BYTES {
                return Err(DecodeError::TooLarge(len, MAX_TX_BYTES));
            }
            txs.push(Transaction::from_bytes(r.take(len, "transaction")?)?);
        }
        r.finish()?;
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
