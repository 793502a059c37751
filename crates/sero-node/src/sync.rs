//! Catching up: a range of blocks with their agreement certificates, as a
//! peer serves it ([`serve_blocks`]), verified and applied in order
//! ([`apply_range`]). This is the whole of request-response sync but the
//! network: the consensus [`service`](crate::service) calls it for every
//! range a peer sends, and `sero bench sync` calls it on the ranges a
//! store serves, so the benchmark times the node's own code.
//!
//! Per range, as a pipeline of two stages (see [`apply_range`]): every
//! block is decoded once, chunk by chunk, and the transactions of each
//! chunk are verified as one batch ([`VerifiedCache::preverify`]:
//! signatures and proofs, no blame; when it fails nothing is remembered
//! and each block is validated on its own), while the blocks of the chunks
//! before are applied. Per block, in order: height, parent, the
//! certificate (for this block, of this round, enough valid votes of the
//! validators at the parent), the seal ([`verify_seal`]), every ledger rule
//! with the block's apply ([`Chain::apply_block_with`], one atomic write,
//! with the finalized height when the certificate is Final), and the mempool
//! pruned of what the block spent. The first block that fails stops the
//! range: the blocks before it stay applied, nothing of it or after it is.
//!
//! [`VerifiedCache::preverify`]: sero_ledger::verified::VerifiedCache::preverify

use crate::seal::{validator_set, verify_seal};
use crate::wire::SyncedBlock;
use crate::{Chain, Node};
use rayon::prelude::*;
use sero_consensus::ba::{verify_certificate, BaParams, Certificate, DecisionKind, RoundContext};
use sero_ledger::block::Block;
use sero_ledger::license::LicenseConfig;
use sero_ledger::tx::Transaction;
use sero_ledger::DecodeError;
use std::fmt::Display;
use std::sync::Mutex;
use thiserror::Error;

/// Most bytes of one served range (headers, bodies and certificates); the
/// block that crosses it is the last one served.
pub const MAX_RANGE_BYTES: usize = 8 << 20;

/// A store or lock failure: the node cannot go on (not the peer's fault).
#[derive(Debug, Error)]
#[error("{0}")]
pub struct SyncError(pub String);

fn fatal(e: impl Display) -> SyncError {
    SyncError(e.to_string())
}

/// What [`apply_range`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RangeOutcome {
    /// Blocks applied, from the first of the range on.
    pub applied: usize,
    /// The range's first block is at the next height but does not extend
    /// our tip: the peer's chain forks below it (the caller decides whether
    /// to roll back its tentative blocks). Nothing was applied.
    pub fork: bool,
}

/// The round after `chain`'s tip: its number, parent hash and seed, the
/// empty block's hash, and the validators (the registry after the tip).
pub fn round_context(chain: &Chain) -> Result<RoundContext, SyncError> {
    let (tip, prev_hash) = chain.tip();
    let round = tip + 1;
    let seed = chain
        .seed(tip)
        .map_err(fatal)?
        .ok_or_else(|| fatal("no seed stored for the tip"))?;
    let parent = chain
        .header(tip)
        .map_err(fatal)?
        .ok_or_else(|| fatal("missing tip header"))?;
    Ok(RoundContext {
        round,
        prev_hash,
        seed,
        empty_hash: Block::empty(round, &parent).hash(),
        validators: validator_set(chain).map_err(fatal)?,
    })
}

/// The blocks `from..from + count` of `chain` (up to its tip, the first
/// missing body, or [`MAX_RANGE_BYTES`]) with their stored certificates
/// (empty where none is stored): a `Blocks` sync answer.
pub fn serve_blocks(chain: &Chain, from: u64, count: u32) -> Vec<SyncedBlock> {
    let mut out = vec![];
    let mut size = 0usize;
    for h in from..from.saturating_add(count as u64).min(chain.tip().0 + 1) {
        let Ok(Some(b)) = chain.db().block_by_height(h) else {
            break;
        };
        let certificate = chain.db().certificate(h).ok().flatten().unwrap_or_default();
        size += b.header.len() + b.body.len() + certificate.len();
        out.push(SyncedBlock {
            header: b.header,
            body: b.body,
            certificate,
        });
        if size > MAX_RANGE_BYTES {
            break;
        }
    }
    out
}

/// Bytes of block bodies (whole blocks) decoded and verified as one batch
/// of the pipeline in [`apply_range`].
pub const PIPELINE_CHUNK_BYTES: usize = 64 << 10;

/// The range cut into chunks of whole blocks of at least
/// [`PIPELINE_CHUNK_BYTES`] of bodies (the last one may be smaller).
fn chunks(blocks: Vec<SyncedBlock>) -> Vec<Vec<SyncedBlock>> {
    let mut out = vec![];
    let mut cur = vec![];
    let mut size = 0usize;
    for b in blocks {
        size += b.body.len();
        cur.push(b);
        if size >= PIPELINE_CHUNK_BYTES {
            out.push(std::mem::take(&mut cur));
            size = 0;
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A chunk decoded and its transactions verified as one batch (`false`:
/// the batch failed, each block is validated on its own, with blame).
type Prepared = (Vec<SyncedBlock>, Vec<Result<Block, DecodeError>>, bool);

/// Verifies and applies the synced `blocks` in order as the next blocks of
/// `node`'s chain, each under the node's lock (taken per block, so RPC
/// readers get in between), with the consensus `params` and the genesis
/// licence rule; `peer` names the source in the logs. See the module
/// documentation for the checks. Blocking: call it off an async runtime's
/// reactor (`tokio::task::block_in_place`).
///
/// A pipeline of two stages: a scoped thread decodes the range chunk by
/// chunk ([`PIPELINE_CHUNK_BYTES`] of whole blocks; the blocks of a chunk,
/// and inside each the transactions, in parallel) and verifies each
/// chunk's transactions as one batch, while this thread applies the
/// blocks of the chunks before, in order (the apply is serial: each block
/// builds on the state of the one before). The first block that fails
/// stops the range, and the decoder with it.
pub fn apply_range(
    node: &Mutex<Node>,
    params: &BaParams,
    license: Option<&LicenseConfig>,
    peer: &dyn Display,
    blocks: Vec<SyncedBlock>,
) -> Result<RangeOutcome, SyncError> {
    // Transactions this node already verified (a node a few blocks behind
    // got them by gossip) are taken decoded from the chain's cache.
    let (chain_params, verified) = {
        let node = node.lock().map_err(|_| fatal("node lock poisoned"))?;
        (node.chain.params_arc(), node.chain.verified_cache())
    };
    let chunks = chunks(blocks);
    // At most one prepared chunk waits while the next is prepared.
    let (send, receive) = std::sync::mpsc::sync_channel::<Prepared>(1);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for chunk in chunks {
                // Point decompression and subgroup checks are half the CPU
                // of a range of private transfers: all cores.
                let decoded: Vec<_> = chunk
                    .par_iter()
                    .map(|sb| {
                        Block::from_parts_with(&sb.header, &sb.body, &|e| verified.decoded(e))
                    })
                    .collect();
                // The chunk's transactions in one batch (signatures and
                // proofs), without the node's lock: each block's apply
                // then finds them verified (the chain's cache).
                let txs: Vec<Transaction> = decoded
                    .iter()
                    .filter_map(|b| b.as_ref().ok())
                    .flat_map(|b| b.txs.iter().cloned())
                    .collect();
                let ok = txs.is_empty() || verified.preverify(&txs, &chain_params);
                if send.send((chunk, decoded, ok)).is_err() {
                    // The applier stopped (a bad block, a fork): so do we.
                    break;
                }
            }
        });
        let mut applied = 0;
        for (chunk, decoded, ok) in receive {
            if !ok {
                tracing::debug!(%peer, "sync: a batch failed; validating its blocks one by one");
            }
            for (sb, block) in chunk.into_iter().zip(decoded) {
                match apply_one(node, params, license, peer, sb, block, applied == 0)? {
                    Step::Applied => applied += 1,
                    Step::Fork => {
                        return Ok(RangeOutcome {
                            applied: 0,
                            fork: true,
                        })
                    }
                    Step::Stop => {
                        return Ok(RangeOutcome {
                            applied,
                            fork: false,
                        })
                    }
                }
            }
        }
        Ok(RangeOutcome {
            applied,
            fork: false,
        })
    })
}

/// What became of one block of a range.
enum Step {
    Applied,
    /// The range's first block does not extend our tip.
    Fork,
    /// Refused (logged): the range stops here.
    Stop,
}

/// Checks and applies one decoded block of a range (see [`apply_range`]).
fn apply_one(
    node: &Mutex<Node>,
    params: &BaParams,
    license: Option<&LicenseConfig>,
    peer: &dyn Display,
    sb: SyncedBlock,
    block: Result<Block, DecodeError>,
    first: bool,
) -> Result<Step, SyncError> {
    let mut node = node.lock().map_err(|_| fatal("node lock poisoned"))?;
    let ctx = round_context(&node.chain)?;
    let block = match block {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(%peer, "sync: malformed block: {e}");
            return Ok(Step::Stop);
        }
    };
    if block.header.height != ctx.round {
        return Ok(Step::Stop);
    }
    if first && block.header.parent != ctx.prev_hash {
        return Ok(Step::Fork);
    }
    let cert = match Certificate::from_bytes(&sb.certificate) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(%peer, height = ctx.round, "sync: malformed certificate: {e}");
            return Ok(Step::Stop);
        }
    };
    if cert.round != ctx.round || cert.value != block.hash() {
        tracing::warn!(%peer, height = ctx.round, "sync: certificate is for another block");
        return Ok(Step::Stop);
    }
    if let Err(e) = verify_certificate(&ctx, params, &cert) {
        tracing::warn!(%peer, height = ctx.round, "sync: bad certificate: {e}");
        return Ok(Step::Stop);
    }
    let seed = match verify_seal(&node.chain, &ctx.validators, params, license, &block) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(%peer, height = ctx.round, "sync: bad seal: {e}");
            return Ok(Step::Stop);
        }
    };
    let Node { chain, mempool } = &mut *node;
    let finalize = cert.kind == DecisionKind::Final;
    if let Err(e) = chain.apply_block_with(&block, seed, sb.certificate, finalize) {
        tracing::warn!(%peer, height = ctx.round, "sync: block refused: {e}");
        return Ok(Step::Stop);
    }
    mempool.prune(chain);
    Ok(Step::Applied)
}
