//! JSON-RPC in the `sero_` namespace (jsonrpsee). Binary values travel as
//! lowercase hex; errors are JSON-RPC errors with clear messages:
//! `-32602` for malformed parameters, `-32000` for a refused transaction,
//! `-32001` for a missing object, `-32002` for a block body this node
//! pruned (the message names the lowest height it keeps; headers, outputs,
//! compact blocks and spends of pruned blocks are still served), `-32603`
//! for internal errors.
//!
//! | method | params | result |
//! | --- | --- | --- |
//! | `sero_chainInfo` | — | `{chain_id, vk_hash, insecure_params}`: what a wallet signs for and proves with |
//! | `sero_blockNumber` | — | tip height |
//! | `sero_getBlockByNumber` | height | block summary or null |
//! | `sero_getBlockByHash` | hash hex | block summary or null |
//! | `sero_sendRawTransaction` | tx hex | txid hex |
//! | `sero_getTransactionStatus` | txid hex | `{status: pending|included|unknown, height?}` |
//! | `sero_getTransaction` | txid hex | `{status, height?, index?, raw}` or null |
//! | `sero_getOutputsByBlock` | from, to (heights, inclusive, ≤ 1,000 blocks) | `[{position, record}]` |
//! | `sero_getOutputs` | from, to (positions, end exclusive, ≤ 10,000) | `[{position, record}]` |
//! | `sero_leafCount` | — | number of notes in the tree |
//! | `sero_getWitness` | position | `{anchor, path}` (path: 1028-byte encoding) |
//! | `sero_getNullifierStatus` | nil hex | height of the spending block or null |
//! | `sero_getTil` | til hex | `{txid, height}` or null |
//! | `sero_getSpendsByBlock` | from, to (heights, inclusive, ≤ 1,000 blocks) | `[{height, txid, nil, til}]`: every spend published in those blocks, so a wallet tests its own notes locally without naming them |
//! | `sero_getCompactBlocks` | from, to (heights, inclusive, ≤ 1,000 blocks) | `[{height, hash, note_root, start, outputs, spends}]`: per block, its output records from position `start` and its spends `{txid, nil, til}`; stops after the block that reaches 10,000 outputs (at least one block), so a light wallet resumes from the last height + 1 |
//! | `sero_servedHeights` | — | `{tip, finalized, bodies_from, prune_depth}`: what this node serves — block bodies (`getBlockBy*`, `getTransaction`, p2p sync) from `bodies_from` on, headers, outputs, compact blocks and spends from 0; `prune_depth` null on an archive node |
//! | `sero_getHeaders` | from, to (heights, inclusive, ≤ 1,000 blocks) | `[{height, header, certificate, validators?}]`: per block its header bytes and BA★ certificate (hex; empty for the genesis and dev blocks) and, for the genesis and each block whose `validators_hash` differs from its parent's, the validator set after it `[{vote_key, vrf_key, stake}]`: what a light client verifies (`sero_ledger::light`) |
//! | `sero_getGenesis` | — | the network's genesis file (JSON) or null (a dev chain): a wallet that knows only the chain id checks it by computing the genesis block |
//! | `sero_getSnapshot` | — | `{height, hash, bytes}`: a state snapshot of a final tip (`docs/protocol.md` §18.8) this node keeps for joining nodes, made on request when the kept one is more than 1,000 blocks behind the final tip; "serves no snapshots" on a node without a data directory (`sero dev`, tests) |
//! | `sero_getSnapshotChunk` | height, offset | hex of the snapshot's bytes `offset..offset + 1 MiB` (fewer at the end); an error for a height this node does not keep (ask `sero_getSnapshot` again) |
//! | `sero_servedOutputs` | — | output records this server has sent (`getOutputs`, `getOutputsByBlock`, `getCompactBlocks`) since it started: what a wallet's sync cost the node |
//!
//! ## Limits ([`RpcLimits`], defaults in brackets)
//!
//! * **Connections**: at most `max_connections` [256] open TCP connections
//!   in all and `max_connections_per_ip` [16] from one IP address; one over
//!   either limit is answered `429 Too Many Requests` and closed at once, so
//!   one client holding many connections cannot lock others out.
//! * **Slow requests**: a request's body must arrive, and its call be
//!   answered, within `request_timeout` [15 s], else `408 Request Timeout`
//!   and the connection is closed (a client trickling a large body holds
//!   its slot no longer). A new connection must send its first request
//!   within 30 s (jsonrpsee). Bodies are limited to 4 MiB, responses to
//!   64 MiB.
//! * **Parameters**: positional (an array) or named (an object); a call
//!   with more parameters than its method takes is refused with `-32602`,
//!   also for methods that take none; a parameter of the wrong type or a
//!   missing one is `-32602` too (jsonrpsee).
//! * **Batches**: at most `max_batch` [32] calls; a larger batch is answered
//!   with one error (`-32010`, "The batch request was too large").
//! * **Rejected transactions**: `sero_sendRawTransaction` remembers the last
//!   `rejected_cache` [1,024] transactions (by full hash, so proofs and
//!   signatures count) that failed a rule that depends on the transaction
//!   alone (encoding, chain id, signatures, balance, proofs); resubmitting
//!   one gets the same error at once, without verifying proofs again, with
//!   `data: {"cached": true}`. Failures that depend on the chain's state
//!   (unknown anchor, spent nullifier, stake registry, mempool full or
//!   conflict) are not remembered.
//!
//! Not bounded in time: a kept-alive connection idle between requests (it
//! keeps its per-IP slot until the client closes it), and the headers of a
//! later request on such a connection; a WebSocket connection stops
//! counting once upgraded. Per-IP means per address, also for IPv6 (no
//! grouping by prefix).
//!
//! Contract methods (`sero_getTransactionReceipt`, `sero_call`) and the
//! `eth_` subset are in [`eth`].

pub mod eth;
pub mod fuzz;

use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::types::ErrorObjectOwned;
use serde::{Deserialize, Serialize};
use sero_crypto::curve::{base_from_canonical, encode_base};
use sero_ledger::Transaction;
use sero_node::Chain;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A block as served over RPC.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BlockSummary {
    pub height: u64,
    pub hash: String,
    pub parent: String,
    pub time: u64,
    pub tx_root: String,
    pub note_root: String,
    pub leaf_count: u64,
    /// The contract state's root after the block.
    pub state_root: String,
    pub txids: Vec<String>,
    pub coinbase_outputs: usize,
}

/// One output record for scanning.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct OutputEntry {
    pub position: u64,
    pub record: String,
}

/// A note's witness against the current root.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Witness {
    pub anchor: String,
    pub path: String,
}

/// Where a transaction is.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TxStatus {
    pub status: String,
    pub height: Option<u64>,
}

/// A transaction with where it is.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TxEntry {
    pub status: String,
    pub height: Option<u64>,
    pub index: Option<u32>,
    pub raw: String,
}

/// The spend a trace tag points at.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TilEntry {
    pub txid: String,
    pub height: u64,
}

/// An active validator of the stake registry (its weight for the next
/// round).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ValidatorEntry {
    /// ed25519 vote key, hex.
    pub vote_key: String,
    /// ristretto255 VRF key, hex.
    pub vrf_key: String,
    /// Stake weight.
    pub stake: u64,
}

/// The network a node is on: what a wallet needs to build a transaction.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ChainInfo {
    /// The genesis block hash, hex: every transaction signs it.
    pub chain_id: String,
    /// The hash of the zk verifying keys, hex.
    pub vk_hash: String,
    /// True when the node runs on the insecure development parameters.
    pub insecure_params: bool,
}

#[rpc(server, client, namespace = "sero")]
pub trait SeroApi {
    #[method(name = "chainInfo")]
    fn chain_info(&self) -> RpcResult<ChainInfo>;
    #[method(name = "blockNumber")]
    fn block_number(&self) -> RpcResult<u64>;
    #[method(name = "getBlockByNumber")]
    fn block_by_number(&self, height: u64) -> RpcResult<Option<BlockSummary>>;
    #[method(name = "getBlockByHash")]
    fn block_by_hash(&self, hash: String) -> RpcResult<Option<BlockSummary>>;
    #[method(name = "sendRawTransaction", blocking)]
    fn send_raw_transaction(&self, tx: String) -> RpcResult<String>;
    #[method(name = "getTransactionStatus")]
    fn transaction_status(&self, txid: String) -> RpcResult<TxStatus>;
    #[method(name = "getTransaction")]
    fn transaction(&self, txid: String) -> RpcResult<Option<TxEntry>>;
    #[method(name = "getOutputsByBlock")]
    fn outputs_by_block(&self, from: u64, to: u64) -> RpcResult<Vec<OutputEntry>>;
    #[method(name = "getOutputs")]
    fn outputs(&self, from: u64, to: u64) -> RpcResult<Vec<OutputEntry>>;
    #[method(name = "leafCount")]
    fn leaf_count(&self) -> RpcResult<u64>;
    /// The highest block with a Final agreement certificate (every block
    /// below it is final too); 0 on a single-node dev chain.
    #[method(name = "finalizedNumber")]
    fn finalized_number(&self) -> RpcResult<u64>;
    /// The active validators at the tip: the weights of the next round.
    #[method(name = "getValidators")]
    fn validators(&self) -> RpcResult<Vec<ValidatorEntry>>;
    #[method(name = "getWitness")]
    fn witness(&self, position: u64) -> RpcResult<Witness>;
    #[method(name = "getNullifierStatus")]
    fn nullifier_status(&self, nil: String) -> RpcResult<Option<u64>>;
    #[method(name = "getTil")]
    fn til(&self, til: String) -> RpcResult<Option<TilEntry>>;
    #[method(name = "getSpendsByBlock")]
    fn spends_by_block(&self, from: u64, to: u64) -> RpcResult<Vec<SpendEntry>>;
    /// A package at the tip (`docs/protocol.md` §17): its commitment and
    /// ciphertext (what a holder decrypts with the key), and whether it is
    /// opened.
    #[method(name = "getPackage")]
    fn package(&self, id: String) -> RpcResult<Option<PackageEntry>>;
    /// Compact blocks for light wallets (`docs/protocol.md` §18.2): the
    /// blocks `from..=to` (at most 1,000), cut after the block that reaches
    /// [`COMPACT_MAX_OUTPUTS`] outputs. The same reply for every asker of
    /// the range: it reveals only the range.
    #[method(name = "getCompactBlocks")]
    fn compact_blocks(&self, from: u64, to: u64) -> RpcResult<Vec<CompactBlock>>;
    /// Headers with their certificates and validator-set changes, for light
    /// clients (`docs/protocol.md` §18.5): the blocks `from..=to` (at most
    /// 1,000) that exist.
    #[method(name = "getHeaders")]
    fn headers(&self, from: u64, to: u64) -> RpcResult<Vec<HeaderEntry>>;
    /// The genesis file the node was started from (null on a dev chain).
    #[method(name = "getGenesis")]
    fn genesis(&self) -> RpcResult<Option<sero_node::genesis::GenesisJson>>;
    /// Output records sent since the server started.
    #[method(name = "servedOutputs")]
    fn served_outputs(&self) -> RpcResult<u64>;
    /// Which heights this node serves (see [`ServedHeights`]).
    #[method(name = "servedHeights")]
    fn served_heights(&self) -> RpcResult<ServedHeights>;
    /// A state snapshot of a final tip for a joining node
    /// (`docs/protocol.md` §18.8): the one this node keeps if it is at
    /// most [`SNAPSHOT_REFRESH`] blocks behind the final tip, else a new
    /// one (written to the node's data directory first). Download it with
    /// [`snapshot_chunk`](Self::snapshot_chunk).
    #[method(name = "getSnapshot", blocking)]
    fn snapshot(&self) -> RpcResult<SnapshotEntry>;
    /// `SNAPSHOT_CHUNK` bytes (fewer at the end) of the snapshot at
    /// `height` from byte `offset`, hex.
    #[method(name = "getSnapshotChunk", blocking)]
    fn snapshot_chunk(&self, height: u64, offset: u64) -> RpcResult<String>;
}

/// A snapshot this node serves ([`SeroApiServer::snapshot`]).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SnapshotEntry {
    /// Height of its tip (final).
    pub height: u64,
    /// The tip's block hash, hex.
    pub hash: String,
    /// Its length in bytes.
    pub bytes: u64,
}

/// Bytes per [`SeroApiServer::snapshot_chunk`] answer (before hex).
pub const SNAPSHOT_CHUNK: u64 = 1 << 20;
/// How far behind the final tip a kept snapshot may be before a request
/// makes a new one.
pub const SNAPSHOT_REFRESH: u64 = 1_000;

/// Where a node keeps the snapshot it serves, and which one it is.
pub struct Snapshots {
    dir: std::path::PathBuf,
    current: Mutex<Option<sero_state::SnapshotInfo>>,
}

impl Snapshots {
    /// Snapshots written under `dir` (created when first needed); one
    /// kept at a time.
    pub fn new(dir: std::path::PathBuf) -> Self {
        Snapshots {
            dir,
            current: Mutex::new(None),
        }
    }

    fn file(&self, height: u64) -> std::path::PathBuf {
        self.dir.join(format!("snapshot-{height}.bin"))
    }
}

/// What a node serves ([`SeroApiServer::served_heights`]).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ServedHeights {
    pub tip: u64,
    pub finalized: u64,
    /// Lowest height whose block body is stored (0: archive).
    pub bodies_from: u64,
    /// Bodies kept behind the tip when pruning; `None` on an archive node.
    pub prune_depth: Option<u64>,
}

/// `-32002`: the block body was pruned.
pub const PRUNED_CODE: i32 = -32002;

/// A chain error as an RPC error: a pruned body is [`PRUNED_CODE`] with
/// the store's message, anything else internal.
pub fn chain_error(e: sero_node::ChainError) -> ErrorObjectOwned {
    match e {
        sero_node::ChainError::State(s @ sero_state::StateError::Pruned { .. }) => {
            ErrorObjectOwned::owned(PRUNED_CODE, s.to_string(), None::<()>)
        }
        other => internal(other),
    }
}

/// Outputs after which [`SeroApiServer::compact_blocks`] ends its reply.
pub const COMPACT_MAX_OUTPUTS: usize = 10_000;

/// A spend in a compact block.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CompactSpend {
    pub txid: String,
    pub nil: String,
    pub til: String,
}

/// A block as a light wallet needs it: the output records (each holds
/// the one-time address, the commitment and the sealed note or plain
/// asset, all a trace key needs to recognise and open a note) from leaf
/// position `start`, the spends, and the note root after it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CompactBlock {
    pub height: u64,
    pub hash: String,
    pub note_root: String,
    /// Leaf position of the first output (the leaf count before the block).
    pub start: u64,
    /// Output records, hex, in tree order.
    pub outputs: Vec<String>,
    pub spends: Vec<CompactSpend>,
}

/// A header as a light client downloads it ([`SeroApiServer::headers`]).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct HeaderEntry {
    pub height: u64,
    /// The header bytes, hex.
    pub header: String,
    /// The block's BA★ certificate, hex (empty: none).
    pub certificate: String,
    /// The active validators after the block, when they differ from those
    /// after its parent (and for the genesis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validators: Option<Vec<ValidatorEntry>>,
}

/// A package as the chain stores it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PackageEntry {
    pub id: String,
    pub opened: bool,
    /// The height of the creating block.
    pub height: u64,
    /// Short address of the creating transaction's `From`, 0x-hex.
    pub creator: String,
    /// `C_pkg`, hex.
    pub commitment: String,
    /// The sealed contents, hex.
    pub ciphertext: String,
}

/// A spend published in a block: what a light wallet downloads to find
/// its own spent notes (by nullifier) or, watch-only, its spends (by trace
/// tag) without telling the node which notes it owns.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SpendEntry {
    pub height: u64,
    pub txid: String,
    pub nil: String,
    pub til: String,
}

/// What the RPC serves: the chain and its mempool.
pub use sero_node::Node;

/// The RPC server's state.
#[derive(Clone)]
pub struct RpcImpl {
    pub node: Arc<Mutex<Node>>,
    rejected: Arc<Mutex<RejectedTxs>>,
    /// Output records sent ([`SeroApiServer::served_outputs`]).
    served: Arc<std::sync::atomic::AtomicU64>,
    /// Admission: concurrent submissions are verified as one batch.
    submitter: sero_node::mempool::Submitter,
    /// The genesis file ([`SeroApiServer::genesis`]).
    genesis: Option<Arc<sero_node::genesis::GenesisJson>>,
    /// The snapshots it serves (none: `getSnapshot` says so).
    snapshots: Option<Arc<Snapshots>>,
}

impl RpcImpl {
    /// The server state over `node`, remembering up to `rejected_cache`
    /// rejected transactions.
    pub fn new(node: Arc<Mutex<Node>>, rejected_cache: usize) -> Self {
        RpcImpl {
            submitter: sero_node::mempool::Submitter::new(node.clone()),
            node,
            rejected: Arc::new(Mutex::new(RejectedTxs::new(rejected_cache))),
            served: Default::default(),
            genesis: None,
            snapshots: None,
        }
    }

    /// Serves state snapshots written under `dir`.
    pub fn with_snapshots(mut self, dir: std::path::PathBuf) -> Self {
        self.snapshots = Some(Arc::new(Snapshots::new(dir)));
        self
    }

    /// Serves `genesis` as the network's genesis file.
    pub fn with_genesis(mut self, genesis: Option<sero_node::genesis::GenesisJson>) -> Self {
        self.genesis = genesis.map(Arc::new);
        self
    }

    fn count_served(&self, n: usize) {
        self.served
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Transactions that failed a rule that depends on them alone, by full
/// hash, with their error; least recently used first out.
struct RejectedTxs {
    capacity: usize,
    clock: u64,
    by_hash: HashMap<[u8; 32], (String, u64)>,
    by_use: BTreeMap<u64, [u8; 32]>,
}

impl RejectedTxs {
    fn new(capacity: usize) -> Self {
        RejectedTxs {
            capacity,
            clock: 0,
            by_hash: HashMap::new(),
            by_use: BTreeMap::new(),
        }
    }

    fn get(&mut self, h: &[u8; 32]) -> Option<String> {
        self.clock += 1;
        let (msg, used) = self.by_hash.get_mut(h)?;
        self.by_use.remove(used);
        *used = self.clock;
        self.by_use.insert(self.clock, *h);
        Some(msg.clone())
    }

    fn insert(&mut self, h: [u8; 32], msg: String) {
        if self.capacity == 0 || self.get(&h).is_some() {
            return;
        }
        while self.by_hash.len() >= self.capacity {
            let Some((_, old)) = self.by_use.pop_first() else {
                break;
            };
            self.by_hash.remove(&old);
        }
        self.clock += 1;
        self.by_use.insert(self.clock, h);
        self.by_hash.insert(h, (msg, self.clock));
    }
}

/// True for a failure that depends on the transaction alone (so it fails
/// the same way whenever it is resubmitted).
fn intrinsic(e: &sero_node::mempool::MempoolError) -> bool {
    use sero_ledger::TxError as T;
    matches!(
        e,
        sero_node::mempool::MempoolError::Invalid(
            T::Decode(_)
                | T::WrongChain { .. }
                | T::NoInputs
                | T::DuplicateNullifier(_)
                | T::BadFromSignature
                | T::Unbalanced
                | T::BadInputProof
                | T::BadOutputProof
                | T::Asset(_)
        )
    )
}

fn bad_params(msg: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(-32602, msg.into(), None::<()>)
}

fn internal(msg: impl std::fmt::Display) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(-32603, format!("internal error: {msg}"), None::<()>)
}

fn rejected(msg: impl std::fmt::Display) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(-32000, format!("transaction rejected: {msg}"), None::<()>)
}

fn hex32(s: &str, what: &str) -> Result<[u8; 32], ErrorObjectOwned> {
    let v = hex::decode(s.strip_prefix("0x").unwrap_or(s))
        .map_err(|e| bad_params(format!("{what}: not hex ({e})")))?;
    v.try_into()
        .map_err(|_| bad_params(format!("{what}: expected 32 bytes")))
}

fn summary(chain: &Chain, height: u64) -> RpcResult<Option<BlockSummary>> {
    let Some(b) = chain.block(height).map_err(chain_error)? else {
        return Ok(None);
    };
    Ok(Some(BlockSummary {
        height,
        hash: hex::encode(b.hash()),
        parent: hex::encode(b.header.parent),
        time: b.header.time,
        tx_root: hex::encode(b.header.tx_root),
        note_root: hex::encode(encode_base(&b.header.note_root)),
        leaf_count: b.header.leaf_count,
        state_root: hex::encode(b.header.state_root),
        txids: b.txs.iter().map(|t| hex::encode(t.txid())).collect(),
        coinbase_outputs: b.coinbase.len(),
    }))
}

impl RpcImpl {
    fn lock(&self) -> RpcResult<std::sync::MutexGuard<'_, Node>> {
        self.node.lock().map_err(|_| internal("node lock poisoned"))
    }
}

impl SeroApiServer for RpcImpl {
    fn chain_info(&self) -> RpcResult<ChainInfo> {
        let node = self.lock()?;
        let params = node.chain.params();
        Ok(ChainInfo {
            chain_id: hex::encode(node.chain.chain_id()),
            vk_hash: hex::encode(params.vk_hash()),
            insecure_params: params.is_insecure(),
        })
    }

    fn block_number(&self) -> RpcResult<u64> {
        Ok(self.lock()?.chain.tip().0)
    }

    fn block_by_number(&self, height: u64) -> RpcResult<Option<BlockSummary>> {
        summary(&self.lock()?.chain, height)
    }

    fn block_by_hash(&self, hash: String) -> RpcResult<Option<BlockSummary>> {
        let h = hex32(&hash, "hash")?;
        let node = self.lock()?;
        match node
            .chain
            .db()
            .block_by_hash(&h)
            .map_err(|e| chain_error(e.into()))?
        {
            Some(b) => summary(&node.chain, b.height),
            None => Ok(None),
        }
    }

    fn send_raw_transaction(&self, tx: String) -> RpcResult<String> {
        if tx.len() > 2 * sero_ledger::tx::MAX_TX_BYTES + 2 {
            return Err(bad_params("transaction too large"));
        }
        let bytes = hex::decode(tx.strip_prefix("0x").unwrap_or(&tx))
            .map_err(|e| bad_params(format!("transaction: not hex ({e})")))?;
        let tx =
            Transaction::from_bytes(&bytes).map_err(|e| bad_params(format!("transaction: {e}")))?;
        let full = tx.full_hash();
        let cached = self
            .rejected
            .lock()
            .map_err(|_| internal("cache lock poisoned"))?
            .get(&full);
        if let Some(msg) = cached {
            return Err(ErrorObjectOwned::owned(
                -32000,
                msg,
                Some(serde_json::json!({ "cached": true })),
            ));
        }
        // Cheap checks under the lock, proofs outside it, batched with the
        // other submissions waiting.
        let id = match self.submitter.submit(tx) {
            Ok(id) => id,
            Err(e) => {
                let err = rejected(&e);
                if intrinsic(&e) {
                    if let Ok(mut c) = self.rejected.lock() {
                        c.insert(full, err.message().to_string());
                    }
                }
                return Err(err);
            }
        };
        tracing::info!(txid = %hex::encode(id), "transaction admitted to the mempool");
        Ok(hex::encode(id))
    }

    fn transaction_status(&self, txid: String) -> RpcResult<TxStatus> {
        let id = hex32(&txid, "txid")?;
        let node = self.lock()?;
        if node.mempool.contains(&id) {
            return Ok(TxStatus {
                status: "pending".into(),
                height: None,
            });
        }
        Ok(match node.chain.db().tx_location(&id).map_err(internal)? {
            Some((h, _)) => TxStatus {
                status: "included".into(),
                height: Some(h),
            },
            None => TxStatus {
                status: "unknown".into(),
                height: None,
            },
        })
    }

    fn transaction(&self, txid: String) -> RpcResult<Option<TxEntry>> {
        let id = hex32(&txid, "txid")?;
        let node = self.lock()?;
        if let Some(t) = node.mempool.get(&id) {
            return Ok(Some(TxEntry {
                status: "pending".into(),
                height: None,
                index: None,
                raw: hex::encode(t.to_bytes()),
            }));
        }
        let Some((height, index)) = node.chain.db().tx_location(&id).map_err(internal)? else {
            return Ok(None);
        };
        let block = node
            .chain
            .block(height)
            .map_err(chain_error)?
            .ok_or_else(|| internal("indexed block missing"))?;
        let tx = block
            .txs
            .get(index as usize)
            .ok_or_else(|| internal("indexed transaction missing"))?;
        Ok(Some(TxEntry {
            status: "included".into(),
            height: Some(height),
            index: Some(index),
            raw: hex::encode(tx.to_bytes()),
        }))
    }

    fn outputs_by_block(&self, from: u64, to: u64) -> RpcResult<Vec<OutputEntry>> {
        if from > to || to - from >= 1_000 {
            return Err(bad_params(
                "range must satisfy from <= to and cover at most 1000 blocks",
            ));
        }
        let node = self.lock()?;
        let tip = node.chain.tip().0;
        if from > tip {
            return Ok(vec![]);
        }
        let to = to.min(tip);
        let leaf_count_after = |h: u64| -> RpcResult<u64> {
            Ok(node
                .chain
                .header(h)
                .map_err(internal)?
                .ok_or_else(|| internal("block missing"))?
                .leaf_count)
        };
        let start = if from == 0 {
            0
        } else {
            leaf_count_after(from - 1)?
        };
        let end = leaf_count_after(to)?;
        let mut out = vec![];
        let mut pos = start;
        while pos < end {
            let next = (pos + 10_000).min(end);
            for (position, b) in node.chain.db().outputs(pos, next).map_err(internal)? {
                out.push(OutputEntry {
                    position,
                    record: hex::encode(b),
                });
            }
            pos = next;
        }
        self.count_served(out.len());
        Ok(out)
    }

    fn outputs(&self, from: u64, to: u64) -> RpcResult<Vec<OutputEntry>> {
        if from > to || to - from > sero_state_max_range() {
            return Err(bad_params(
                "range must satisfy from <= to and to - from <= 10000",
            ));
        }
        let node = self.lock()?;
        let items = node.chain.db().outputs(from, to).map_err(internal)?;
        self.count_served(items.len());
        Ok(items
            .into_iter()
            .map(|(position, b)| OutputEntry {
                position,
                record: hex::encode(b),
            })
            .collect())
    }

    fn leaf_count(&self) -> RpcResult<u64> {
        Ok(self.lock()?.chain.tree().len())
    }

    fn finalized_number(&self) -> RpcResult<u64> {
        self.lock()?.chain.db().finalized_height().map_err(internal)
    }

    fn witness(&self, position: u64) -> RpcResult<Witness> {
        let node = self.lock()?;
        let path = node.chain.path(position).ok_or_else(|| {
            ErrorObjectOwned::owned(
                -32001,
                format!("no note at position {position}"),
                None::<()>,
            )
        })?;
        let bytes = path.to_bytes().map_err(internal)?;
        Ok(Witness {
            anchor: hex::encode(encode_base(&node.chain.tree().root())),
            path: hex::encode(bytes),
        })
    }

    fn nullifier_status(&self, nil: String) -> RpcResult<Option<u64>> {
        let n = hex32(&nil, "nullifier")?;
        base_from_canonical(&n).map_err(|e| bad_params(format!("nullifier: {e}")))?;
        self.lock()?
            .chain
            .db()
            .nullifier_height(&n)
            .map_err(internal)
    }

    fn validators(&self) -> RpcResult<Vec<ValidatorEntry>> {
        Ok(self
            .lock()?
            .chain
            .validators()
            .map_err(internal)?
            .into_iter()
            .map(|v| ValidatorEntry {
                vote_key: hex::encode(v.vote_key),
                vrf_key: hex::encode(v.vrf_key),
                stake: v.stake,
            })
            .collect())
    }

    fn spends_by_block(&self, from: u64, to: u64) -> RpcResult<Vec<SpendEntry>> {
        if to < from || to - from >= 1_000 {
            return Err(bad_params("a range of 1 to 1,000 blocks (from ≤ to)"));
        }
        let node = self.lock()?;
        let tip = node.chain.tip().0;
        let mut out = vec![];
        for h in from..=to.min(tip) {
            let Some(spends) = node.chain.spends(h).map_err(internal)? else {
                break;
            };
            for (txid, nil, til) in spends {
                out.push(SpendEntry {
                    height: h,
                    txid: hex::encode(txid),
                    nil: hex::encode(nil),
                    til: hex::encode(til),
                });
            }
        }
        Ok(out)
    }

    fn til(&self, til: String) -> RpcResult<Option<TilEntry>> {
        let t = hex32(&til, "til")?;
        Ok(self
            .lock()?
            .chain
            .db()
            .til(&t)
            .map_err(internal)?
            .map(|(txid, height)| TilEntry {
                txid: hex::encode(txid),
                height,
            }))
    }

    fn package(&self, id: String) -> RpcResult<Option<PackageEntry>> {
        use sero_node::evm::StateView;
        let id = hex32(&id, "package id")?;
        let view = self.lock()?.chain.contract_view().map_err(internal)?;
        let r = StateView::package(&view, &id).map_err(internal)?;
        Ok(r.map(|r| PackageEntry {
            id: hex::encode(id),
            opened: r.opened,
            height: r.height,
            creator: format!("0x{}", hex::encode(r.creator)),
            commitment: hex::encode(r.sealed.cm.to_bytes()),
            ciphertext: hex::encode(&r.sealed.ciphertext),
        }))
    }

    fn compact_blocks(&self, from: u64, to: u64) -> RpcResult<Vec<CompactBlock>> {
        self.compact_blocks_impl(from, to)
    }

    fn served_outputs(&self) -> RpcResult<u64> {
        Ok(self.served.load(std::sync::atomic::Ordering::Relaxed))
    }

    fn served_heights(&self) -> RpcResult<ServedHeights> {
        let node = self.lock()?;
        let db = node.chain.db();
        Ok(ServedHeights {
            tip: node.chain.tip().0,
            finalized: db.finalized_height().map_err(internal)?,
            bodies_from: db.pruned_below().map_err(internal)?,
            prune_depth: node.chain.prune_depth(),
        })
    }

    fn snapshot(&self) -> RpcResult<SnapshotEntry> {
        let snaps = self
            .snapshots
            .as_ref()
            .ok_or_else(|| bad_params("this node serves no snapshots"))?;
        let entry = |i: &sero_state::SnapshotInfo| SnapshotEntry {
            height: i.height,
            hash: hex::encode(i.hash),
            bytes: i.bytes,
        };
        let mut current = snaps
            .current
            .lock()
            .map_err(|_| internal("snapshot lock poisoned"))?;
        let finalized = self
            .lock()?
            .chain
            .db()
            .finalized_height()
            .map_err(internal)?;
        if let Some(c) = current.as_ref() {
            if c.height + SNAPSHOT_REFRESH >= finalized {
                return Ok(entry(c));
            }
        }
        // A consistent view of a final tip; the node lock is held only to
        // open it (the tip may be ahead of the final height for a moment).
        let mut source = None;
        for _ in 0..50 {
            match self.lock()?.chain.db().begin_snapshot() {
                Ok(s) => {
                    source = Some(s);
                    break;
                }
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(100)),
            }
        }
        let source = source.ok_or_else(|| internal("the tip did not become final"))?;
        std::fs::create_dir_all(&snaps.dir).map_err(internal)?;
        let path = snaps.file(source.height());
        let tmp = path.with_extension("tmp");
        let file = std::fs::File::create(&tmp).map_err(internal)?;
        let info = source.write(file, |_| {}).map_err(internal)?;
        std::fs::rename(&tmp, &path).map_err(internal)?;
        if let Some(old) = current.replace(info.clone()) {
            if old.height != info.height {
                let _ = std::fs::remove_file(snaps.file(old.height));
            }
        }
        tracing::info!(
            height = info.height,
            bytes = info.bytes,
            "wrote a state snapshot to serve"
        );
        Ok(entry(&info))
    }

    fn snapshot_chunk(&self, height: u64, offset: u64) -> RpcResult<String> {
        use std::io::{Read, Seek};
        let snaps = self
            .snapshots
            .as_ref()
            .ok_or_else(|| bad_params("this node serves no snapshots"))?;
        let size = match snaps
            .current
            .lock()
            .map_err(|_| internal("snapshot lock poisoned"))?
            .as_ref()
        {
            Some(c) if c.height == height => c.bytes,
            _ => {
                return Err(bad_params(format!(
                    "no snapshot at height {height}: ask sero_getSnapshot"
                )))
            }
        };
        if offset > size {
            return Err(bad_params(format!(
                "offset {offset} beyond the snapshot's {size} bytes"
            )));
        }
        let len = SNAPSHOT_CHUNK.min(size - offset);
        let mut f = std::fs::File::open(snaps.file(height)).map_err(internal)?;
        f.seek(std::io::SeekFrom::Start(offset)).map_err(internal)?;
        let mut buf = vec![0u8; len as usize];
        f.read_exact(&mut buf).map_err(internal)?;
        Ok(hex::encode(buf))
    }

    fn headers(&self, from: u64, to: u64) -> RpcResult<Vec<HeaderEntry>> {
        if from > to || to - from >= 1_000 {
            return Err(bad_params(
                "range must satisfy from <= to and cover at most 1000 blocks",
            ));
        }
        let node = self.lock()?;
        let chain = &node.chain;
        let tip = chain.tip().0;
        let mut out = vec![];
        let mut prev = match from.checked_sub(1) {
            Some(p) => chain.header(p).map_err(internal)?,
            None => None,
        };
        for h in from..=to.min(tip) {
            let Some(header) = chain.header(h).map_err(internal)? else {
                break;
            };
            let changed = prev
                .as_ref()
                .is_none_or(|p| p.validators_hash != header.validators_hash);
            let validators = if changed {
                let vals = chain.registry().validators_at(h).map_err(internal)?;
                Some(
                    vals.iter()
                        .map(|v| ValidatorEntry {
                            vote_key: hex::encode(v.vote_key),
                            vrf_key: hex::encode(v.vrf_key),
                            stake: v.stake,
                        })
                        .collect(),
                )
            } else {
                None
            };
            let certificate = chain.db().certificate(h).map_err(internal)?;
            out.push(HeaderEntry {
                height: h,
                header: hex::encode(header.to_bytes()),
                certificate: hex::encode(certificate.unwrap_or_default()),
                validators,
            });
            prev = Some(header);
        }
        Ok(out)
    }

    fn genesis(&self) -> RpcResult<Option<sero_node::genesis::GenesisJson>> {
        Ok(self.genesis.as_deref().cloned())
    }
}

impl RpcImpl {
    fn compact_blocks_impl(&self, from: u64, to: u64) -> RpcResult<Vec<CompactBlock>> {
        if from > to || to - from >= 1_000 {
            return Err(bad_params(
                "range must satisfy from <= to and cover at most 1000 blocks",
            ));
        }
        let node = self.lock()?;
        let tip = node.chain.tip().0;
        let mut out = vec![];
        let mut served = 0usize;
        for h in from..=to.min(tip) {
            // Headers, outputs and spends: all kept when the body is pruned.
            let (Some(hash), Some(header)) = (
                node.chain.db().hash_at(h).map_err(internal)?,
                node.chain.header(h).map_err(internal)?,
            ) else {
                break;
            };
            let start = match h.checked_sub(1) {
                None => 0,
                Some(p) => {
                    node.chain
                        .header(p)
                        .map_err(internal)?
                        .ok_or_else(|| internal("block missing"))?
                        .leaf_count
                }
            };
            let end = header.leaf_count;
            let mut outputs = Vec::with_capacity(end.saturating_sub(start) as usize);
            let mut pos = start;
            while pos < end {
                let next = (pos + sero_state_max_range()).min(end);
                for (_, r) in node.chain.db().outputs(pos, next).map_err(internal)? {
                    outputs.push(hex::encode(r));
                }
                pos = next;
            }
            let spends = node
                .chain
                .spends(h)
                .map_err(internal)?
                .unwrap_or_default()
                .into_iter()
                .map(|(txid, nil, til)| CompactSpend {
                    txid: hex::encode(txid),
                    nil: hex::encode(nil),
                    til: hex::encode(til),
                })
                .collect();
            served += outputs.len();
            out.push(CompactBlock {
                height: h,
                hash: hex::encode(hash),
                note_root: hex::encode(encode_base(&header.note_root)),
                start,
                outputs,
                spends,
            });
            if served >= COMPACT_MAX_OUTPUTS {
                break;
            }
        }
        self.count_served(served);
        Ok(out)
    }
}

fn sero_state_max_range() -> u64 {
    10_000
}

/// The server's limits (see the crate documentation).
#[derive(Clone, Debug)]
pub struct RpcLimits {
    /// Open TCP connections in all.
    pub max_connections: u32,
    /// Open TCP connections from one IP address.
    pub max_connections_per_ip: usize,
    /// Time for a request's body to arrive and its call to be answered.
    pub request_timeout: Duration,
    /// Calls in one batch.
    pub max_batch: u32,
    /// Request body bytes.
    pub max_request_body: u32,
    /// Response body bytes.
    pub max_response_body: u32,
    /// Rejected transactions remembered.
    pub rejected_cache: usize,
}

impl Default for RpcLimits {
    fn default() -> Self {
        RpcLimits {
            max_connections: 256,
            max_connections_per_ip: 16,
            request_timeout: Duration::from_secs(15),
            max_batch: 32,
            max_request_body: 4 * 1024 * 1024,
            max_response_body: 64 * 1024 * 1024,
            rejected_cache: 1024,
        }
    }
}

/// How many parameters each method takes (for [`StrictParams`]).
/// A method not listed here (another namespace) is not checked.
pub const METHOD_ARITY: &[(&str, usize)] = &[
    ("sero_chainInfo", 0),
    ("sero_blockNumber", 0),
    ("sero_getBlockByNumber", 1),
    ("sero_getBlockByHash", 1),
    ("sero_sendRawTransaction", 1),
    ("sero_getTransactionStatus", 1),
    ("sero_getTransaction", 1),
    ("sero_getOutputsByBlock", 2),
    ("sero_getOutputs", 2),
    ("sero_leafCount", 0),
    ("sero_finalizedNumber", 0),
    ("sero_getValidators", 0),
    ("sero_getWitness", 1),
    ("sero_getNullifierStatus", 1),
    ("sero_getTil", 1),
    ("sero_getSpendsByBlock", 2),
    ("sero_getPackage", 1),
    ("sero_getCompactBlocks", 2),
    ("sero_servedOutputs", 0),
    ("sero_servedHeights", 0),
    ("sero_getHeaders", 2),
    ("sero_getGenesis", 0),
    ("sero_getSnapshot", 0),
    ("sero_getSnapshotChunk", 2),
    ("sero_getTransactionReceipt", 1),
    ("sero_call", 1),
    ("eth_chainId", 0),
    ("eth_blockNumber", 0),
    ("eth_call", 2),
    ("eth_estimateGas", 2),
    ("eth_getCode", 2),
    ("eth_getStorageAt", 3),
    ("eth_getLogs", 1),
];

/// Why a call's parameters are refused before its method runs: more than
/// the method takes (jsonrpsee ignores extra positional parameters, and
/// any parameters of a method that takes none).
fn excess_params(method: &str, params: Option<&str>) -> Option<ErrorObjectOwned> {
    let (_, arity) = METHOD_ARITY.iter().find(|(m, _)| *m == method)?;
    let raw = params.map(str::trim).unwrap_or("null");
    let given = if raw == "null" {
        0
    } else if raw.starts_with('[') {
        serde_json::from_str::<Vec<&serde_json::value::RawValue>>(raw)
            .map(|v| v.len())
            .ok()?
    } else if raw.starts_with('{') {
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(raw)
            .map(|m| m.len())
            .ok()?
    } else {
        return Some(bad_params("params must be an array or an object"));
    };
    (given > *arity).then(|| {
        bad_params(format!(
            "{method} takes {arity} parameter{}, got {given}",
            if *arity == 1 { "" } else { "s" }
        ))
    })
}

/// RPC middleware refusing calls with more parameters than their method
/// takes ([`METHOD_ARITY`]), alone and inside batches.
#[derive(Clone)]
pub struct StrictParams<S> {
    inner: S,
}

impl<S> StrictParams<S> {
    pub fn new(inner: S) -> Self {
        StrictParams { inner }
    }
}

use jsonrpsee::server::middleware::rpc::{
    Batch, BatchEntry, BatchEntryErr, MethodResponse, Notification, Request, RpcServiceT,
};

impl<S> RpcServiceT for StrictParams<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Send
        + Sync
        + Clone
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(
        &self,
        req: Request<'a>,
    ) -> impl std::future::Future<Output = MethodResponse> + Send + 'a {
        let refused = excess_params(req.method_name(), req.params.as_deref().map(|p| p.get()));
        let inner = self.inner.clone();
        async move {
            match refused {
                Some(e) => MethodResponse::error(req.id, e),
                None => inner.call(req).await,
            }
        }
    }

    fn batch<'a>(
        &self,
        mut batch: Batch<'a>,
    ) -> impl std::future::Future<Output = MethodResponse> + Send + 'a {
        for entry in batch.iter_mut() {
            if let Ok(BatchEntry::Call(req)) = entry {
                if let Some(e) =
                    excess_params(req.method_name(), req.params.as_deref().map(|p| p.get()))
                {
                    *entry = Err(BatchEntryErr::new(req.id.clone(), e));
                }
            }
        }
        self.inner.batch(batch)
    }

    fn notification<'a>(
        &self,
        n: Notification<'a>,
    ) -> impl std::future::Future<Output = MethodResponse> + Send + 'a {
        self.inner.notification(n)
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// HTTP middleware: a request whose body has not arrived and been answered
/// within the timeout gets `408 Request Timeout` and its connection closes.
#[derive(Clone)]
struct RequestTimeout<S> {
    inner: S,
    timeout: Duration,
}

impl<S, B> tower::Service<jsonrpsee::server::HttpRequest<B>> for RequestTimeout<S>
where
    S: tower::Service<
        jsonrpsee::server::HttpRequest<B>,
        Response = jsonrpsee::server::HttpResponse,
        Error = BoxError,
    >,
    S::Future: Send + 'static,
{
    type Response = jsonrpsee::server::HttpResponse;
    type Error = BoxError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, BoxError>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: jsonrpsee::server::HttpRequest<B>) -> Self::Future {
        let fut = self.inner.call(req);
        let timeout = self.timeout;
        Box::pin(async move {
            match tokio::time::timeout(timeout, fut).await {
                Ok(r) => r,
                Err(_) => {
                    let mut r = jsonrpsee::server::HttpResponse::new(
                        jsonrpsee::server::HttpBody::from(format!(
                            "request not received and answered within {} s",
                            timeout.as_secs_f64()
                        )),
                    );
                    *r.status_mut() = http::StatusCode::REQUEST_TIMEOUT;
                    r.headers_mut().insert(
                        http::header::CONNECTION,
                        http::HeaderValue::from_static("close"),
                    );
                    Ok(r)
                }
            }
        })
    }
}

#[derive(Clone)]
struct RequestTimeoutLayer(Duration);

impl<S> tower::Layer<S> for RequestTimeoutLayer {
    type Service = RequestTimeout<S>;
    fn layer(&self, inner: S) -> RequestTimeout<S> {
        RequestTimeout {
            inner,
            timeout: self.0,
        }
    }
}

/// Open connections, in all and per IP address.
struct Connections {
    max: usize,
    max_per_ip: usize,
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// One open connection; closing it (drop) frees its slot.
struct ConnectionSlot {
    conns: Arc<Connections>,
    ip: IpAddr,
}

impl Connections {
    fn acquire(self: &Arc<Self>, ip: IpAddr) -> Option<ConnectionSlot> {
        let mut g = self.open.lock().ok()?;
        let (total, per_ip) = &mut *g;
        let n = per_ip.entry(ip).or_default();
        if *total >= self.max || *n >= self.max_per_ip {
            if *n == 0 {
                per_ip.remove(&ip);
            }
            return None;
        }
        *n += 1;
        *total += 1;
        Some(ConnectionSlot {
            conns: self.clone(),
            ip,
        })
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        if let Ok(mut g) = self.conns.open.lock() {
            let (total, per_ip) = &mut *g;
            *total -= 1;
            if let Some(n) = per_ip.get_mut(&self.ip) {
                *n -= 1;
                if *n == 0 {
                    per_ip.remove(&self.ip);
                }
            }
        }
    }
}

const TOO_MANY_CONNECTIONS: &[u8] =
    b"HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain\r\n\
content-length: 33\r\nconnection: close\r\n\r\ntoo many connections from this IP";

/// Starts the server on `addr` (e.g. `127.0.0.1:9545`) with the default
/// [`RpcLimits`]; returns the bound address and a handle that stops it when
/// dropped or stopped.
pub async fn serve(
    node: Arc<Mutex<Node>>,
    addr: &str,
) -> Result<(std::net::SocketAddr, jsonrpsee::server::ServerHandle), std::io::Error> {
    serve_with(node, addr, RpcLimits::default()).await
}

/// [`serve`] for a node of a network started from `genesis` (served by
/// `sero_getGenesis`), serving state snapshots written under
/// `snapshot_dir` (`sero_getSnapshot`).
pub async fn serve_network(
    node: Arc<Mutex<Node>>,
    addr: &str,
    genesis: sero_node::genesis::GenesisJson,
    snapshot_dir: std::path::PathBuf,
) -> Result<(std::net::SocketAddr, jsonrpsee::server::ServerHandle), std::io::Error> {
    let limits = RpcLimits::default();
    let rpc = RpcImpl::new(node, limits.rejected_cache)
        .with_genesis(Some(genesis))
        .with_snapshots(snapshot_dir);
    serve_rpc(rpc, addr, limits).await
}

/// Every method the server answers (`sero_`, contract and `eth_`), over
/// `node`, with a cache of `rejected_cache` refused transaction ids.
pub fn methods(
    node: Arc<Mutex<Node>>,
    rejected_cache: usize,
) -> Result<jsonrpsee::Methods, std::io::Error> {
    rpc_methods(RpcImpl::new(node, rejected_cache))
}

fn rpc_methods(rpc: RpcImpl) -> Result<jsonrpsee::Methods, std::io::Error> {
    let mut module = SeroApiServer::into_rpc(rpc.clone());
    module
        .merge(eth::ContractApiServer::into_rpc(rpc.clone()))
        .map_err(std::io::Error::other)?;
    module
        .merge(eth::EthApiServer::into_rpc(rpc))
        .map_err(std::io::Error::other)?;
    Ok(module.into())
}

/// [`serve`] with the given limits.
pub async fn serve_with(
    node: Arc<Mutex<Node>>,
    addr: &str,
    limits: RpcLimits,
) -> Result<(std::net::SocketAddr, jsonrpsee::server::ServerHandle), std::io::Error> {
    serve_rpc(RpcImpl::new(node, limits.rejected_cache), addr, limits).await
}

async fn serve_rpc(
    rpc: RpcImpl,
    addr: &str,
    limits: RpcLimits,
) -> Result<(std::net::SocketAddr, jsonrpsee::server::ServerHandle), std::io::Error> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let methods = rpc_methods(rpc)?;
    let config = jsonrpsee::server::ServerConfigBuilder::new()
        .max_request_body_size(limits.max_request_body)
        .max_response_body_size(limits.max_response_body)
        .max_connections(limits.max_connections)
        .set_batch_request_config(jsonrpsee::server::BatchRequestConfig::Limit(
            limits.max_batch,
        ))
        .build();
    let service = jsonrpsee::server::Server::builder()
        .set_config(config)
        .set_rpc_middleware(
            jsonrpsee::server::middleware::rpc::RpcServiceBuilder::new()
                .layer_fn(StrictParams::new),
        )
        .set_http_middleware(
            tower::ServiceBuilder::new().layer(RequestTimeoutLayer(limits.request_timeout)),
        )
        .to_service_builder();
    let conns = Arc::new(Connections {
        max: limits.max_connections as usize,
        max_per_ip: limits.max_connections_per_ip,
        open: Mutex::new((0, HashMap::new())),
    });
    let (stop, handle) = jsonrpsee::server::stop_channel();
    tokio::spawn(async move {
        let stopped = stop.clone().shutdown();
        tokio::pin!(stopped);
        loop {
            let (socket, remote) = tokio::select! {
                r = listener.accept() => match r {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::debug!("rpc accept: {e}");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                },
                _ = &mut stopped => break,
            };
            let Some(slot) = conns.acquire(remote.ip()) else {
                tracing::debug!(%remote, "rpc connection refused: connection limit");
                // Answer 429, close our side, and drain briefly what the
                // client already sent so that the close is not a reset that
                // loses the answer.
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let mut socket = socket;
                    let _ = tokio::time::timeout(Duration::from_secs(1), async {
                        socket.write_all(TOO_MANY_CONNECTIONS).await?;
                        socket.shutdown().await?;
                        let mut buf = [0u8; 4096];
                        let mut left: usize = 64 * 1024;
                        while left > 0 {
                            let n = socket.read(&mut buf).await?;
                            if n == 0 {
                                break;
                            }
                            left = left.saturating_sub(n);
                        }
                        Ok::<(), std::io::Error>(())
                    })
                    .await;
                });
                continue;
            };
            let _ = socket.set_nodelay(true);
            let svc = service.clone().build(methods.clone(), stop.clone());
            let stop = stop.clone();
            tokio::spawn(async move {
                let _slot = slot;
                if let Err(e) =
                    jsonrpsee::server::serve_with_graceful_shutdown(socket, svc, stop.shutdown())
                        .await
                {
                    tracing::debug!(%remote, "rpc connection: {e}");
                }
            });
        }
    });
    Ok((local, handle))
}

/// A client for `url` (e.g. `http://127.0.0.1:9545`).
pub fn client(
    url: &str,
) -> Result<jsonrpsee::http_client::HttpClient, jsonrpsee::core::ClientError> {
    jsonrpsee::http_client::HttpClientBuilder::default()
        .max_request_size(4 * 1024 * 1024)
        .max_response_size(64 * 1024 * 1024)
        .build(url)
}

pub use jsonrpsee;
