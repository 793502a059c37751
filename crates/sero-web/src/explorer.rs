//! The explorer: front page (live), block, transaction, contract and
//! search. Only public data: a shielded output is a commitment, a spend
//! is a nullifier.

use crate::layout::{page, short, time};
use crate::{blocking, charts, error_page, App};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use sero_crypto::curve::encode_base;
use sero_ledger::block::{Block, Seal};
use sero_ledger::Transaction;
use sero_node::Chain;
use std::collections::HashMap;
use std::sync::Arc;

/// Blocks listed on the front page.
const RECENT_BLOCKS: u64 = 20;
/// Blocks the charts cover.
pub(crate) const CHART_BLOCKS: u64 = 60;

/// A block as the tables show it.
pub(crate) struct BlockRow {
    pub height: u64,
    pub hash: String,
    pub time: u64,
    pub proposer: String,
    pub proposer_full: String,
    pub is_final: bool,
    pub txs: usize,
}

/// A transaction as the front page lists it.
pub(crate) struct TxRow {
    pub txid: String,
    pub height: u64,
    pub inputs: usize,
    pub outputs: usize,
    pub fee: u128,
    pub size: usize,
}

/// What the front page shows.
pub(crate) struct Front {
    pub head: u64,
    pub finalized: u64,
    pub blocks: Vec<BlockRow>,
    pub txs: Vec<TxRow>,
    /// (height, time, txs) over the last [`CHART_BLOCKS`].
    pub series: Vec<(u64, u64, usize)>,
    /// (vote key hex, stake).
    pub stakes: Vec<(String, u64)>,
}

fn proposer(seal: &Seal) -> (String, String) {
    match seal {
        Seal::Genesis { .. } => ("genesis".into(), "block 0".into()),
        Seal::Empty => ("empty round".into(), "no proposal agreed".into()),
        Seal::Dev => (
            "dev producer".into(),
            "single-node development chain".into(),
        ),
        Seal::Proposed(p) => (
            hex::encode(&p.credential[..6]),
            format!(
                "credential {} by validator {}",
                hex::encode(p.credential),
                hex::encode(p.proposer)
            ),
        ),
    }
}

fn row(b: &Block, finalized: u64) -> BlockRow {
    let (proposer, proposer_full) = proposer(&b.header.seal);
    BlockRow {
        height: b.header.height,
        hash: hex::encode(b.hash()),
        time: b.header.time,
        proposer,
        proposer_full,
        is_final: b.header.height <= finalized,
        txs: b.txs.len(),
    }
}

fn lock(app: &App) -> Result<std::sync::MutexGuard<'_, sero_rpc::Node>, String> {
    app.node
        .lock()
        .map_err(|_| "node lock poisoned".to_string())
}

fn chain_err(e: impl std::fmt::Display) -> String {
    format!("chain read failed: {e}")
}

pub(crate) fn front_data(app: &App) -> Result<Front, String> {
    let node = lock(app)?;
    let chain: &Chain = &node.chain;
    let head = chain.tip().0;
    let finalized = chain.db().finalized_height().map_err(chain_err)?;
    let mut blocks = vec![];
    let mut txs = vec![];
    let mut series = vec![];
    let lowest = head.saturating_sub(CHART_BLOCKS.max(RECENT_BLOCKS));
    for h in (lowest..=head).rev() {
        let Some(b) = chain.block(h).map_err(chain_err)? else {
            continue;
        };
        if head - h < RECENT_BLOCKS {
            blocks.push(row(&b, finalized));
        }
        if head - h < CHART_BLOCKS {
            series.push((h, b.header.time, b.txs.len()));
        }
        for t in b.txs.iter().rev() {
            if txs.len() < 20 {
                txs.push(TxRow {
                    txid: hex::encode(t.txid()),
                    height: h,
                    inputs: t.inputs.len(),
                    outputs: t.outputs.len() + t.plain_outputs.len(),
                    fee: t.fee,
                    size: t.to_bytes().len(),
                });
            }
        }
    }
    series.reverse();
    let stakes = chain
        .validators()
        .map_err(chain_err)?
        .into_iter()
        .map(|v| (hex::encode(v.vote_key), v.stake))
        .collect();
    Ok(Front {
        head,
        finalized,
        blocks,
        txs,
        series,
        stakes,
    })
}

fn status(is_final: bool) -> Markup {
    if is_final {
        html! { span.final { "Final" } }
    } else {
        html! { span.tentative { "Tentative" } }
    }
}

fn live(app: &App, f: &Front) -> Markup {
    let finality: Vec<(u64, f64)> = {
        let map = app.finality.lock().map(|m| m.clone()).unwrap_or_default();
        f.series
            .iter()
            .filter_map(|(h, t, _)| map.get(h).map(|s| (*h, (s - *t as f64).max(0.0))))
            .collect()
    };
    html! {
        section.stats {
            div.stat { div.label { "Head" } div.value #head-height { (f.head) } }
            div.stat { div.label { "Finalized" } div.value #final-height { (f.finalized) } }
            div.stat { div.label { "Validators" } div.value { (f.stakes.len()) } }
        }
        section.charts {
            figure {
                figcaption { "Block interval (s), last " (f.series.len()) " blocks" }
                (charts::interval(&f.series))
            }
            figure {
                figcaption { "Time to finality (s) seen by this node" }
                (charts::finality(&finality))
            }
            figure {
                figcaption { "Transactions per block" }
                (charts::tx_counts(&f.series))
            }
            figure {
                figcaption { "Validator stake shares" }
                (charts::stakes(&f.stakes))
            }
        }
        section {
            h2 { "Recent blocks" }
            table #blocks {
                thead { tr { th { "Height" } th { "Hash" } th { "Time (UTC)" } th { "Proposer credential" } th { "Status" } th { "Txs" } } }
                tbody {
                    @for b in &f.blocks {
                        tr {
                            td { a href={ "/block/" (b.height) } { (b.height) } }
                            td { a href={ "/block/" (b.hash) } { (short(&b.hash)) } }
                            td { (time(b.time)) }
                            td title=(b.proposer_full) { (b.proposer) }
                            td { (status(b.is_final)) }
                            td { (b.txs) }
                        }
                    }
                }
            }
        }
        section {
            h2 { "Recent transactions" }
            @if f.txs.is_empty() {
                p.muted { "No transactions in the last " (CHART_BLOCKS.max(RECENT_BLOCKS)) " blocks." }
            } @else {
                table #txs {
                    thead { tr { th { "Txid" } th { "Block" } th { "Spends" } th { "Outputs" } th { "Fee" } th { "Size (bytes)" } } }
                    tbody {
                        @for t in &f.txs {
                            tr {
                                td { a href={ "/tx/" (t.txid) } { (short(&t.txid)) } }
                                td { a href={ "/block/" (t.height) } { (t.height) } }
                                td { (t.inputs) }
                                td { (t.outputs) }
                                td { (t.fee) }
                                td { (t.size) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn failed(e: String) -> Response {
    error_page(StatusCode::SERVICE_UNAVAILABLE, "Node busy or failing", &e)
}

pub(crate) async fn front(State(app): State<Arc<App>>) -> Response {
    let a = app.clone();
    match blocking(move || front_data(&a)).await {
        Ok(f) => page(
            "Explorer",
            html! {
                h1 { "Explorer" }
                div #live data-live="/fragment/front" { (live(&app, &f)) }
            },
        )
        .into_response(),
        Err(e) => failed(e),
    }
}

pub(crate) async fn front_fragment(State(app): State<Arc<App>>) -> Response {
    let a = app.clone();
    match blocking(move || front_data(&a)).await {
        Ok(f) => live(&app, &f).into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e).into_response(),
    }
}

fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    if s.len() != 64 {
        return None;
    }
    hex::decode(s).ok()?.try_into().ok()
}

pub(crate) async fn block(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let a = app.clone();
    let id2 = id.clone();
    let r = blocking(move || {
        let node = lock(&a)?;
        let chain = &node.chain;
        let height = if let Ok(h) = id2.parse::<u64>() {
            h
        } else if let Some(hash) = parse_hex32(&id2) {
            match chain.db().block_by_hash(&hash).map_err(chain_err)? {
                Some(b) => b.height,
                None => return Ok(None),
            }
        } else {
            return Err("bad".into());
        };
        let finalized = chain.db().finalized_height().map_err(chain_err)?;
        let head = chain.tip().0;
        Ok(chain
            .block(height)
            .map_err(chain_err)?
            .map(|b| (b, finalized, head)))
    })
    .await;
    let (b, finalized, head) = match r {
        Ok(Some(x)) => x,
        Ok(None) => {
            return error_page(
                StatusCode::NOT_FOUND,
                "No such block",
                &format!("no block {id} on this chain"),
            )
        }
        Err(e) if e == "bad" => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "Bad block id",
                "a block is named by its height (a number) or its hash (64 hex digits)",
            )
        }
        Err(e) => return failed(e),
    };
    let r = row(&b, finalized);
    let h = b.header.height;
    page(
        &format!("Block {h}"),
        html! {
            h1 { "Block " (h) }
            p.nav {
                @if h > 0 { a href={ "/block/" (h - 1) } { "← " (h - 1) } " " }
                @if h < head { a href={ "/block/" (h + 1) } { (h + 1) " →" } }
            }
            table.kv {
                tr { th { "Status" } td #block-status data-live={ "/fragment/block/" (h) "/status" } { (status(r.is_final)) } }
                tr { th { "Hash" } td.hex { (r.hash) } }
                tr { th { "Parent" } td.hex { a href={ "/block/" (hex::encode(b.header.parent)) } { (hex::encode(b.header.parent)) } } }
                tr { th { "Time (UTC)" } td { (time(r.time)) } }
                tr { th { "Proposer" } td.hex { (r.proposer_full) } }
                tr { th { "Transactions" } td { (r.txs) } }
                tr { th { "Coinbase outputs" } td { (b.coinbase.len()) } }
                tr { th { "Notes in the tree after it" } td { (b.header.leaf_count) } }
                tr { th { "Note root" } td.hex { (hex::encode(encode_base(&b.header.note_root))) } }
                tr { th { "Transaction root" } td.hex { (hex::encode(b.header.tx_root)) } }
                tr { th { "State root" } td.hex { (hex::encode(b.header.state_root)) } }
            }
            h2 { "Transactions" }
            @if b.txs.is_empty() { p.muted { "None." } } @else {
                table {
                    thead { tr { th { "Txid" } th { "Spends" } th { "Shielded outputs" } th { "Plain outputs" } th { "Fee" } th { "Size (bytes)" } } }
                    tbody {
                        @for t in &b.txs {
                            @let id = hex::encode(t.txid());
                            tr {
                                td { a href={ "/tx/" (id) } { (short(&id)) } }
                                td { (t.inputs.len()) }
                                td { (t.outputs.len()) }
                                td { (t.plain_outputs.len()) }
                                td { (t.fee) }
                                td { (t.to_bytes().len()) }
                            }
                        }
                    }
                }
            }
            @if !b.coinbase.is_empty() {
                h2 { "Coinbase (plain outputs, public)" }
                table {
                    thead { tr { th { "One-time address" } th { "Asset" } } }
                    tbody {
                        @for o in &b.coinbase {
                            tr { td { (short(&o.pkr.to_string())) } td { (asset(&o.asset)) } }
                        }
                    }
                }
            }
        },
    )
    .into_response()
}

pub(crate) async fn block_status(
    State(app): State<Arc<App>>,
    Path(height): Path<String>,
) -> Response {
    let Ok(height) = height.parse::<u64>() else {
        return (StatusCode::BAD_REQUEST, "height: not a number").into_response();
    };
    let r = blocking(move || {
        let node = lock(&app)?;
        if height > node.chain.tip().0 {
            return Ok(None);
        }
        Ok(Some(
            height <= node.chain.db().finalized_height().map_err(chain_err)?,
        ))
    })
    .await;
    match r {
        Ok(Some(f)) => status(f).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "no such block (rolled back?)").into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e).into_response(),
    }
}

fn asset(a: &sero_assets::Asset) -> String {
    let mut s = format!("{} {}", a.value, a.currency);
    if let Some(t) = a.ticket {
        s.push_str(&format!(" + ticket {}:{}", t.category, t.id));
    }
    s
}

struct TxView {
    tx: Transaction,
    status: String,
    height: Option<u64>,
    is_final: bool,
    receipt: Option<sero_node::contract::Receipt>,
}

pub(crate) async fn tx(State(app): State<Arc<App>>, Path(txid): Path<String>) -> Response {
    if parse_hex32(&txid).is_none() {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Bad transaction id",
            "a txid is 64 hex digits",
        );
    }
    let a = app.clone();
    let id = txid.clone();
    let r = blocking(move || {
        use sero_rpc::eth::ContractApiServer;
        use sero_rpc::SeroApiServer;
        let Some(e) =
            SeroApiServer::transaction(&a.rpc, id.clone()).map_err(|e| e.message().to_string())?
        else {
            return Ok(None);
        };
        let raw = hex::decode(&e.raw).map_err(chain_err)?;
        let tx = Transaction::from_bytes(&raw).map_err(chain_err)?;
        let finalized = lock(&a)?.chain.db().finalized_height().map_err(chain_err)?;
        let receipt = ContractApiServer::transaction_receipt(&a.rpc, id).unwrap_or(None);
        Ok(Some(TxView {
            tx,
            is_final: e.height.is_some_and(|h| h <= finalized),
            status: e.status,
            height: e.height,
            receipt,
        }))
    })
    .await;
    let v = match r {
        Ok(Some(v)) => v,
        Ok(None) => {
            return error_page(
                StatusCode::NOT_FOUND,
                "No such transaction",
                &format!("transaction {txid} is neither in a block nor pending on this node"),
            )
        }
        Err(e) => return failed(e),
    };
    let t = &v.tx;
    let id = hex::encode(t.txid());
    page(
        "Transaction",
        html! {
            h1 { "Transaction" }
            table.kv {
                tr { th { "Txid" } td.hex #txid { (id) } }
                tr { th { "Status" } td #tx-status {
                    @match v.height {
                        Some(h) => {
                            "included in block " a href={ "/block/" (h) } { (h) } " · "
                            span data-live={ "/fragment/block/" (h) "/status" } { (status(v.is_final)) }
                        }
                        None => { (v.status) }
                    }
                } }
                tr { th { "Size" } td { (t.to_bytes().len()) " bytes" } }
                tr { th { "Fee" } td { (t.fee) " (public, in SERO)" } }
                tr { th { "From (one-time address)" } td.hex { (t.from.to_string()) } }
            }
            h2 { "Spends (" (t.inputs.len()) ")" }
            p.muted { "A spend publishes a nullifier and a trace tag; which note it spends is hidden." }
            table {
                thead { tr { th { "Nullifier" } th { "Trace tag" } th { "Anchor" } } }
                tbody {
                    @for i in &t.inputs {
                        tr {
                            td.hex { (hex::encode(encode_base(&i.nil))) }
                            td.hex { (short(&hex::encode(encode_base(&i.til)))) }
                            td.hex { (short(&hex::encode(encode_base(&i.anchor)))) }
                        }
                    }
                }
            }
            h2 { "Shielded outputs (" (t.outputs.len()) ")" }
            p.muted { "Receiver, amount and currency are hidden: only commitments are public." }
            table {
                thead { tr { th { "Note commitment" } th { "Asset commitment" } } }
                tbody {
                    @for o in &t.outputs {
                        tr {
                            td.hex { (hex::encode(encode_base(&o.cm_out))) }
                            td.hex { (short(&hex::encode(o.cm_asset.to_bytes()))) }
                        }
                    }
                }
            }
            @if !t.plain_outputs.is_empty() {
                h2 { "Plain outputs (public)" }
                table {
                    thead { tr { th { "One-time address" } th { "Asset" } } }
                    tbody {
                        @for o in &t.plain_outputs {
                            tr { td { (short(&o.pkr.to_string())) } td { (asset(&o.asset)) } }
                        }
                    }
                }
            }
            @if let Some(s) = &t.stake {
                h2 { "Stake action" }
                p.hex { (format!("{s:?}")) }
            }
            @if let Some(c) = &t.contract {
                h2 { "Contract " @if matches!(c.target, sero_ledger::contract::ContractTarget::Create) { "creation" } @else { "call" } }
                table.kv {
                    @if let sero_ledger::contract::ContractTarget::Call(to) = c.target {
                        @let a = format!("0x{}", hex::encode(to));
                        tr { th { "To" } td.hex { a href={ "/contract/" (a) } { (a) } } }
                    }
                    tr { th { "Gas limit" } td { (c.gas_limit) } }
                    tr { th { "Asset brought (public)" } td { @match &c.asset { Some(x) => (asset(x)), None => "none" } } }
                    tr { th { "Input" } td { (c.data.len()) " bytes" } }
                }
            }
            @if let Some(r) = &v.receipt {
                h2 { "Receipt" }
                table.kv {
                    tr { th { "Status" } td { (r.status) @if let Some(e) = &r.error { " (" (e) ")" } } }
                    tr { th { "Gas used" } td { (r.gas_used) } }
                    @if let Some(a) = &r.contract_address { tr { th { "Created" } td.hex { a href={ "/contract/" (a) } { (a) } } } }
                    tr { th { "Output" } td.hex { (r.output) } }
                }
                h3 { "Logs (" (r.logs.len()) ")" }
                @for l in &r.logs {
                    div.log {
                        div { "address " span.hex { (l.address) } }
                        @for tp in &l.topics { div { "topic " span.hex { (tp) } } }
                        div { "data " span.hex { (l.data) } }
                    }
                }
                @if !r.notes.is_empty() {
                    h3 { "Notes the contract paid (plain outputs, public)" }
                    table {
                        thead { tr { th { "Position" } th { "One-time address" } th { "Asset" } } }
                        tbody {
                            @for n in &r.notes {
                                tr { td { (n.position) } td { (short(&n.pkr)) } td { (n.value) " " (n.currency) @if let Some(t) = &n.ticket { " + ticket " (t) } } }
                            }
                        }
                    }
                }
            }
        },
    )
    .into_response()
}

pub(crate) async fn contract(State(app): State<Arc<App>>, Path(addr): Path<String>) -> Response {
    let a = app.clone();
    let ad = addr.clone();
    let r = blocking(move || {
        use sero_rpc::eth::EthApiServer;
        EthApiServer::get_code(&a.rpc, ad, None).map_err(|e| e.message().to_string())
    })
    .await;
    match r {
        Ok(code) => {
            let bytes = code.len().saturating_sub(2) / 2;
            if bytes == 0 {
                return error_page(
                    StatusCode::NOT_FOUND,
                    "No contract",
                    &format!("no contract code at {addr}"),
                );
            }
            page(
                "Contract",
                html! {
                    h1 { "Contract" }
                    table.kv {
                        tr { th { "Address" } td.hex { (addr) } }
                        tr { th { "Code" } td { (bytes) " bytes" } }
                    }
                    details { summary { "Bytecode" } p.hex.wrap { (code) } }
                },
            )
            .into_response()
        }
        Err(e) => error_page(StatusCode::BAD_REQUEST, "Bad contract address", &e),
    }
}

enum Found {
    Block(u64),
    Tx(String),
    Contract(String),
}

fn find(app: &App, q: &str) -> Result<Option<Found>, String> {
    if let Ok(h) = q.parse::<u64>() {
        let node = lock(app)?;
        return Ok((h <= node.chain.tip().0).then_some(Found::Block(h)));
    }
    if q.starts_with("0x") && q.len() == 42 {
        return Ok(Some(Found::Contract(q.to_string())));
    }
    let Some(id) = parse_hex32(q) else {
        return Err(
            "not a height, a block hash, a txid, a nullifier (64 hex digits) nor a contract \
             address (0x and 40 hex digits)"
                .into(),
        );
    };
    let node = lock(app)?;
    let db = node.chain.db();
    if let Some(b) = db.block_by_hash(&id).map_err(chain_err)? {
        return Ok(Some(Found::Block(b.height)));
    }
    if db.tx_location(&id).map_err(chain_err)?.is_some() || node.mempool.contains(&id) {
        return Ok(Some(Found::Tx(hex::encode(id))));
    }
    if let Some(h) = db.nullifier_height(&id).map_err(chain_err)? {
        if let Some(b) = node.chain.block(h).map_err(chain_err)? {
            for t in &b.txs {
                if t.inputs.iter().any(|i| encode_base(&i.nil) == id) {
                    return Ok(Some(Found::Tx(hex::encode(t.txid()))));
                }
            }
        }
    }
    Ok(None)
}

pub(crate) async fn search(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let query = q.get("q").map(|s| s.trim().to_string()).unwrap_or_default();
    if query.is_empty() {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Empty search",
            "type a height, a hash, a txid, a nullifier or a contract address",
        );
    }
    let q2 = query.clone();
    match blocking(move || find(&app, &q2)).await {
        Ok(Some(Found::Block(h))) => Redirect::to(&format!("/block/{h}")).into_response(),
        Ok(Some(Found::Tx(t))) => Redirect::to(&format!("/tx/{t}")).into_response(),
        Ok(Some(Found::Contract(a))) => Redirect::to(&format!("/contract/{a}")).into_response(),
        Ok(None) => error_page(
            StatusCode::NOT_FOUND,
            "Not found",
            &format!("nothing on this chain is named {query}"),
        ),
        Err(e) => error_page(StatusCode::BAD_REQUEST, "Bad search", &e),
    }
}

pub(crate) async fn not_found() -> Response {
    let mut r = error_page(StatusCode::NOT_FOUND, "Not found", "no such page");
    r.headers_mut().remove(header::CACHE_CONTROL);
    r
}
