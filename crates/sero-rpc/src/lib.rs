//! JSON-RPC in the `sero_` namespace (jsonrpsee). Binary values travel as
//! lowercase hex; errors are JSON-RPC errors with clear messages:
//! `-32602` for malformed parameters, `-32000` for a refused transaction,
//! `-32001` for a missing object, `-32603` for internal errors.
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
//!
//! Contract methods (`sero_getTransactionReceipt`, `sero_call`) and the
//! `eth_` subset are in [`eth`].

pub mod eth;

use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::types::ErrorObjectOwned;
use serde::{Deserialize, Serialize};
use sero_crypto::curve::{base_from_canonical, encode_base};
use sero_ledger::Transaction;
use sero_node::Chain;
use std::sync::{Arc, Mutex};

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
    #[method(name = "sendRawTransaction")]
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
}

/// What the RPC serves: the chain and its mempool.
pub use sero_node::Node;

/// The RPC server's state.
#[derive(Clone)]
pub struct RpcImpl {
    pub node: Arc<Mutex<Node>>,
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
    let Some(b) = chain.block(height).map_err(internal)? else {
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
        match node.chain.db().block_by_hash(&h).map_err(internal)? {
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
        let mut node = self.lock()?;
        let Node { chain, mempool } = &mut *node;
        let id = mempool.admit(tx, chain).map_err(rejected)?;
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
            .map_err(internal)?
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
                .block(h)
                .map_err(internal)?
                .ok_or_else(|| internal("block missing"))?
                .header
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
}

fn sero_state_max_range() -> u64 {
    10_000
}

/// Starts the server on `addr` (e.g. `127.0.0.1:9545`); returns the bound
/// address and a handle that stops it when dropped or stopped.
pub async fn serve(
    node: Arc<Mutex<Node>>,
    addr: &str,
) -> Result<(std::net::SocketAddr, jsonrpsee::server::ServerHandle), std::io::Error> {
    let config = jsonrpsee::server::ServerConfigBuilder::new()
        .max_request_body_size(4 * 1024 * 1024)
        .max_response_body_size(64 * 1024 * 1024)
        .build();
    let server = jsonrpsee::server::Server::builder()
        .set_config(config)
        .build(addr)
        .await?;
    let local = server.local_addr()?;
    let rpc = RpcImpl { node };
    let mut module = SeroApiServer::into_rpc(rpc.clone());
    module
        .merge(eth::ContractApiServer::into_rpc(rpc.clone()))
        .map_err(std::io::Error::other)?;
    module
        .merge(eth::EthApiServer::into_rpc(rpc))
        .map_err(std::io::Error::other)?;
    let handle = server.start(module);
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
