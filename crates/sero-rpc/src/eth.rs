//! Contract methods: `sero_getTransactionReceipt` and `sero_call`, and the
//! `eth_` subset Ethereum read tooling needs. Merged into the server by
//! [`crate::serve`].
//!
//! | method | params | result |
//! | --- | --- | --- |
//! | `sero_getTransactionReceipt` | txid hex | receipt (status, gas used, logs, created address, notes with their leaf positions) or null |
//! | `sero_call` | `{to, data, from?, currency?, value?}` | `{status, gas_used, output, error?}`: a read-only call on the tip state |
//! | `eth_chainId` | — | `"0x5e40"` |
//! | `eth_blockNumber` | — | tip height, hex quantity |
//! | `eth_call` | `{to, data}`, block tag (ignored: the tip) | return data hex; a revert is error 3 with the data |
//! | `eth_estimateGas` | `{to, data}`, block tag (ignored) | the least gas limit (hex quantity) with which the call succeeds on the tip state; a revert is error 3 |
//! | `eth_getCode` | address, block tag | code hex (`"0x"` if none) |
//! | `eth_getStorageAt` | address, slot, block tag | 32-byte word hex |
//! | `eth_getLogs` | `{fromBlock?, toBlock?, address?, topics?}` (≤ 1,000 blocks) | Ethereum log objects |
//!
//! Calldata here is plain ABI calldata: the node prepends an empty input
//! prefix (`docs/contracts.md` §2). Read-only calls come from `from` (a
//! PKr) or a fixed anonymous PKr; nothing they do is stored.

use crate::{bad_params, hex32, internal, RpcImpl};
use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::types::ErrorObjectOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sero_node::contract::{anonymous_pkr, evm_config, read_only_call, Receipt};
use sero_node::evm::{make_prefix, Action, Address, Env, StateView, Status, U256};

/// A read-only call.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct CallRequest {
    /// The contract (0x + 40 hex digits).
    pub to: String,
    /// ABI calldata, hex.
    #[serde(default)]
    pub data: String,
    /// The caller's PKr (base58); a fixed anonymous one if absent.
    #[serde(default)]
    pub from: Option<String>,
    /// The currency of `value` (default SERO).
    #[serde(default)]
    pub currency: Option<String>,
    /// An amount brought by the call (decimal), for `msg.value`.
    #[serde(default)]
    pub value: Option<String>,
}

/// What a read-only call returned.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CallResult {
    /// "success", "revert" or "halt".
    pub status: String,
    pub gas_used: u64,
    /// Return (or revert) data, 0x-hex.
    pub output: String,
    pub error: Option<String>,
}

#[rpc(server, client, namespace = "sero")]
pub trait ContractApi {
    #[method(name = "getTransactionReceipt")]
    fn transaction_receipt(&self, txid: String) -> RpcResult<Option<Receipt>>;
    #[method(name = "call")]
    fn call(&self, req: CallRequest) -> RpcResult<CallResult>;
}

#[rpc(server, client, namespace = "eth")]
pub trait EthApi {
    #[method(name = "chainId")]
    fn chain_id(&self) -> RpcResult<String>;
    #[method(name = "blockNumber")]
    fn block_number(&self) -> RpcResult<String>;
    #[method(name = "call")]
    fn call(&self, req: Value, block: Option<Value>) -> RpcResult<String>;
    #[method(name = "estimateGas")]
    fn estimate_gas(&self, req: Value, block: Option<Value>) -> RpcResult<String>;
    #[method(name = "getCode")]
    fn get_code(&self, address: String, block: Option<Value>) -> RpcResult<String>;
    #[method(name = "getStorageAt")]
    fn get_storage_at(
        &self,
        address: String,
        slot: String,
        block: Option<Value>,
    ) -> RpcResult<String>;
    #[method(name = "getLogs")]
    fn get_logs(&self, filter: Value) -> RpcResult<Vec<Value>>;
}

fn address(s: &str, what: &str) -> Result<Address, ErrorObjectOwned> {
    let h = s.strip_prefix("0x").unwrap_or(s);
    let b = hex::decode(h).map_err(|e| bad_params(format!("{what}: not hex ({e})")))?;
    if b.len() != 20 {
        return Err(bad_params(format!(
            "{what}: expected a 20-byte address, got {} bytes",
            b.len()
        )));
    }
    Ok(Address::from_slice(&b))
}

fn hex_bytes(s: &str, what: &str) -> Result<Vec<u8>, ErrorObjectOwned> {
    if s.len() > 2 * sero_ledger::contract::MAX_CONTRACT_DATA + 2 {
        return Err(bad_params(format!("{what}: too long")));
    }
    hex::decode(s.strip_prefix("0x").unwrap_or(s))
        .map_err(|e| bad_params(format!("{what}: not hex ({e})")))
}

fn quantity(v: &Value, what: &str, latest: u64) -> Result<u64, ErrorObjectOwned> {
    match v {
        Value::String(s) if s == "latest" || s == "pending" || s == "safe" || s == "finalized" => {
            Ok(latest)
        }
        Value::String(s) if s == "earliest" => Ok(0),
        Value::String(s) => u64::from_str_radix(s.strip_prefix("0x").unwrap_or(s), 16)
            .map_err(|_| bad_params(format!("{what}: not a hex quantity or block tag"))),
        Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| bad_params(format!("{what}: not a block number"))),
        _ => Err(bad_params(format!("{what}: not a block number"))),
    }
}

impl RpcImpl {
    fn read_call(&self, req: &CallRequest) -> RpcResult<sero_node::evm::ExecutionOutcome> {
        self.read_call_with(req, sero_ledger::contract::MAX_TX_GAS)
    }

    /// The least gas limit with which `req` succeeds (binary search between
    /// the gas used with the most gas a transaction may buy and that most:
    /// a call may need more than it uses, e.g. for the 63/64 rule of
    /// nested calls).
    fn estimate(&self, req: &CallRequest) -> RpcResult<u64> {
        let max = sero_ledger::contract::MAX_TX_GAS;
        let out = self.read_call_with(req, max)?;
        reverted(&out)?;
        let (mut lo, mut hi) = (out.gas_used.max(sero_ledger::contract::MIN_TX_GAS), max);
        // Invariant: `hi` succeeds; below `lo` nothing can.
        if matches!(self.read_call_with(req, lo)?.status, Status::Success) {
            return Ok(lo);
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if matches!(self.read_call_with(req, mid)?.status, Status::Success) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(hi)
    }

    fn read_call_with(
        &self,
        req: &CallRequest,
        gas_limit: u64,
    ) -> RpcResult<sero_node::evm::ExecutionOutcome> {
        let to = address(&req.to, "to")?;
        let data = hex_bytes(&req.data, "data")?;
        let from = match &req.from {
            Some(p) => p
                .parse()
                .map_err(|e| bad_params(format!("from: not a PKr ({e})")))?,
            None => anonymous_pkr(),
        };
        let asset = match &req.value {
            None => None,
            Some(v) => {
                let value: u128 = v
                    .parse()
                    .map_err(|_| bad_params("value: not a decimal amount"))?;
                let currency = match &req.currency {
                    Some(c) => sero_assets_currency(c)?,
                    None => sero_assets::Currency::sero(),
                };
                (value > 0).then_some(sero_assets::Asset::token(currency, value))
            }
        };
        // The tip and a snapshot of its contract state under the lock; the
        // call itself runs without it (blocks are applied meanwhile).
        let (h, time, view) = {
            let node = self.lock()?;
            let (h, _) = node.chain.tip();
            let view = node.chain.contract_view().map_err(internal)?;
            (h, node.chain.tip_header().time, view)
        };
        let env = Env {
            height: h + 1,
            time,
            tx_hash: [0; 32],
            gas_limit,
            from,
            asset,
            action: Action::Call {
                to,
                data: make_prefix([0; 16], &[], &data),
            },
        };
        if view.account(&to).map_err(internal)?.is_none() {
            return Err(ErrorObjectOwned::owned(
                -32001,
                format!("no contract at {}", req.to),
                None::<()>,
            ));
        }
        read_only_call(&view, &env).map_err(|e| bad_params(format!("call: {e}")))
    }
}

/// The `{to, data|input}` of an Ethereum call object.
fn eth_request(req: &Value) -> Result<CallRequest, ErrorObjectOwned> {
    if !req.is_object() {
        return Err(bad_params("the call must be an object {to, data}"));
    }
    let get = |k: &str| req.get(k).and_then(|v| v.as_str()).map(str::to_string);
    Ok(CallRequest {
        to: get("to").ok_or_else(|| bad_params("to: missing"))?,
        data: get("data").or_else(|| get("input")).unwrap_or_default(),
        ..CallRequest::default()
    })
}

/// A revert as Ethereum's error 3 (with the revert data), a halt as -32000.
fn reverted(out: &sero_node::evm::ExecutionOutcome) -> Result<(), ErrorObjectOwned> {
    match &out.status {
        Status::Success => Ok(()),
        Status::Revert => Err(ErrorObjectOwned::owned(
            3,
            "execution reverted",
            Some(format!("0x{}", hex::encode(&out.output))),
        )),
        Status::Halt(m) => Err(ErrorObjectOwned::owned(
            -32000,
            format!("execution halted: {m}"),
            None::<()>,
        )),
    }
}

fn sero_assets_currency(c: &str) -> Result<sero_assets::Currency, ErrorObjectOwned> {
    sero_assets::Currency::new(c).map_err(|e| bad_params(format!("currency: {e}")))
}

impl ContractApiServer for RpcImpl {
    fn transaction_receipt(&self, txid: String) -> RpcResult<Option<Receipt>> {
        let id = hex32(&txid, "txid")?;
        let node = self.lock()?;
        match node.chain.db().receipt(&id).map_err(internal)? {
            Some(b) => Ok(Some(serde_json::from_slice(&b).map_err(internal)?)),
            None => Ok(None),
        }
    }

    fn call(&self, req: CallRequest) -> RpcResult<CallResult> {
        let out = self.read_call(&req)?;
        let (status, error) = match &out.status {
            Status::Success => ("success", None),
            Status::Revert => ("revert", None),
            Status::Halt(m) => ("halt", Some(m.clone())),
        };
        Ok(CallResult {
            status: status.into(),
            gas_used: out.gas_used,
            output: format!("0x{}", hex::encode(&out.output)),
            error,
        })
    }
}

impl EthApiServer for RpcImpl {
    fn chain_id(&self) -> RpcResult<String> {
        Ok(format!("0x{:x}", evm_config().chain_id))
    }

    fn block_number(&self) -> RpcResult<String> {
        Ok(format!("0x{:x}", self.lock()?.chain.tip().0))
    }

    fn call(&self, req: Value, _block: Option<Value>) -> RpcResult<String> {
        let r = eth_request(&req)?;
        let out = self.read_call(&r)?;
        reverted(&out)?;
        Ok(format!("0x{}", hex::encode(&out.output)))
    }

    fn estimate_gas(&self, req: Value, _block: Option<Value>) -> RpcResult<String> {
        let r = eth_request(&req)?;
        Ok(format!("0x{:x}", self.estimate(&r)?))
    }

    fn get_code(&self, a: String, _block: Option<Value>) -> RpcResult<String> {
        let a = address(&a, "address")?;
        let v = self.lock()?.chain.contract_view().map_err(internal)?;
        let code = match v.account(&a).map_err(internal)? {
            Some((_, h)) => v.code(&h).map_err(internal)?.unwrap_or_default(),
            None => Default::default(),
        };
        Ok(format!("0x{}", hex::encode(&code)))
    }

    fn get_storage_at(&self, a: String, slot: String, _block: Option<Value>) -> RpcResult<String> {
        let a = address(&a, "address")?;
        let s = slot.strip_prefix("0x").unwrap_or(&slot);
        let slot = U256::from_str_radix(s, 16)
            .map_err(|_| bad_params("slot: not a hex quantity of at most 32 bytes"))?;
        let v = self.lock()?.chain.contract_view().map_err(internal)?;
        let w = v.storage(&a, &slot).map_err(internal)?;
        Ok(format!("0x{}", hex::encode(w.to_be_bytes::<32>())))
    }

    fn get_logs(&self, filter: Value) -> RpcResult<Vec<Value>> {
        let node = self.lock()?;
        let tip = node.chain.tip().0;
        let from = match filter.get("fromBlock") {
            Some(v) => quantity(v, "fromBlock", tip)?,
            None => tip,
        };
        let to = match filter.get("toBlock") {
            Some(v) => quantity(v, "toBlock", tip)?,
            None => tip,
        }
        .min(tip);
        if from > to.saturating_add(1) || to.saturating_sub(from) > 1000 {
            return Err(bad_params("block range: at most 1,000 blocks, from ≤ to"));
        }
        let addrs: Vec<String> = match filter.get("address") {
            None | Some(Value::Null) => vec![],
            Some(Value::String(s)) => vec![format!("0x{}", hex::encode(address(s, "address")?))],
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    let s = v
                        .as_str()
                        .ok_or_else(|| bad_params("address: not a string"))?;
                    Ok(format!("0x{}", hex::encode(address(s, "address")?)))
                })
                .collect::<RpcResult<_>>()?,
            _ => return Err(bad_params("address: a string or an array")),
        };
        let topics: Vec<Option<Vec<String>>> = match filter.get("topics") {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(a)) => a
                .iter()
                .map(|t| match t {
                    Value::Null => Ok(None),
                    Value::String(s) => Ok(Some(vec![s.to_lowercase()])),
                    Value::Array(x) => Ok(Some(
                        x.iter()
                            .filter_map(|v| v.as_str().map(|s| s.to_lowercase()))
                            .collect(),
                    )),
                    _ => Err(bad_params("topics: strings, arrays or null")),
                })
                .collect::<RpcResult<_>>()?,
            _ => return Err(bad_params("topics: an array")),
        };
        let mut out = vec![];
        for h in from..=to {
            let Some(b) = node.chain.block(h).map_err(crate::chain_error)? else {
                continue;
            };
            let bh = format!("0x{}", hex::encode(b.hash()));
            let mut log_index = 0u64;
            for t in &b.txs {
                if t.contract.is_none() {
                    continue;
                }
                let id = t.txid();
                let Some(rb) = node.chain.db().receipt(&id).map_err(internal)? else {
                    continue;
                };
                let r: Receipt = serde_json::from_slice(&rb).map_err(internal)?;
                for l in &r.logs {
                    let i = log_index;
                    log_index += 1;
                    if !addrs.is_empty() && !addrs.contains(&l.address) {
                        continue;
                    }
                    let ok = topics.iter().enumerate().all(|(k, want)| match want {
                        None => true,
                        Some(w) => l.topics.get(k).is_some_and(|t| w.contains(t)),
                    });
                    if !ok {
                        continue;
                    }
                    out.push(json!({
                        "address": l.address,
                        "topics": l.topics,
                        "data": l.data,
                        "blockNumber": format!("0x{h:x}"),
                        "blockHash": bh,
                        "transactionHash": format!("0x{}", r.txid),
                        "transactionIndex": format!("0x{:x}", r.index),
                        "logIndex": format!("0x{i:x}"),
                        "removed": false,
                    }));
                }
            }
        }
        Ok(out)
    }
}
