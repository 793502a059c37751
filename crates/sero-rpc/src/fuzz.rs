//! Fuzzing property of the JSON-RPC parameter handling, shared by the
//! cargo-fuzz target `rpc_params` (`fuzz/`) and the corpus replay test
//! `tests/fuzz_corpus.rs`.
//!
//! Each input is one request through the server's real method table
//! ([`methods`](crate::methods): every `sero_`, contract and `eth_` method)
//! over a real chain, in the order the server handles it: the request is
//! parsed as jsonrpsee parses it, refused if it has more parameters than
//! its method takes (what the [`StrictParams`](crate::StrictParams)
//! middleware does), else dispatched (`Methods::raw_json_request`: the
//! generated parameter decoding, then the method with its own checks). No
//! socket and no HTTP: what those layers add is jsonrpsee's, and per input
//! the only IO is redb's reads of a small database in the page cache.
//!
//! The chain ([`Harness::new`]) is a development chain whose genesis pays
//! four notes, opened once per process in a temporary folder that is
//! deleted at once (the open file stays readable), with an empty mempool.

use crate::{excess_params, methods, METHOD_ARITY};
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::Methods;
use serde_json::Value;
use sero_keys::{SecretKey, Seed};
use sero_node::{genesis_block, Chain, ChainConfig, Mempool, Node};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The RPC methods over a development chain.
pub struct Harness {
    methods: Methods,
    node: Arc<Mutex<Node>>,
    tip: (u64, [u8; 32]),
    /// Blocking methods (`sero_sendRawTransaction`) run on its blocking
    /// pool, as they do in the server.
    rt: tokio::runtime::Runtime,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    /// A development chain at height 0 whose genesis pays four notes.
    pub fn new() -> Harness {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sero-rpc-fuzz-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let pk = SecretKey::from_seed(&Seed::from_bytes([0xa1; 32])).payment_address();
        let premine: Vec<_> = (1..=4u64)
            .map(|i| {
                (
                    pk.derive_pkr_with(&sero_crypto::Scalar::from(i)),
                    1_000 * i as u128,
                )
            })
            .collect();
        let chain = Chain::open(
            &dir.join("chain.redb"),
            Arc::new(sero_zk::params::Parameters::dev().clone()),
            ChainConfig::dev(),
            || genesis_block(&premine, &[], 0, &ChainConfig::dev()),
        )
        .expect("a development chain opens");
        // The database stays open; nothing is left behind.
        let _ = std::fs::remove_dir_all(&dir);
        let tip = chain.tip();
        let node = Arc::new(Mutex::new(Node {
            chain,
            mempool: Mempool::new(100),
        }));
        Harness {
            methods: methods(node.clone(), 16).expect("the method names are distinct"),
            node,
            tip,
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime"),
        }
    }

    /// One harness per process (the fuzz target's).
    pub fn shared() -> &'static Harness {
        static H: OnceLock<Harness> = OnceLock::new();
        H.get_or_init(Harness::new)
    }

    /// The response to one request body, as the server answers it, or
    /// `None` for a body the server cannot parse as a request (answered
    /// with a parse error by jsonrpsee before any of our code).
    pub fn call(&self, body: &str) -> Option<Value> {
        let req: jsonrpsee::types::Request = serde_json::from_str(body).ok()?;
        if let Some(e) = excess_params(req.method_name(), req.params.as_deref().map(|p| p.get())) {
            return Some(error_response(&req.id, e));
        }
        let (resp, _subscriptions) = self
            .rt
            .block_on(self.methods.raw_json_request(body, 1))
            .expect("the request parsed above");
        Some(serde_json::from_str(resp.get()).expect("a response is JSON"))
    }
}

fn error_response(id: &jsonrpsee::types::Id<'_>, e: ErrorObjectOwned) -> Value {
    serde_json::json!({ "jsonrpc": "2.0", "id": id, "error": e })
}

/// The request body an input stands for: the first byte picks a method of
/// [`METHOD_ARITY`] (every method served) and the rest is its `params`
/// (JSON text, inserted as is), or, for the last choice, the rest is the
/// whole body.
pub fn request_body(data: &[u8]) -> Option<String> {
    let (&sel, rest) = data.split_first()?;
    let rest = std::str::from_utf8(rest).ok()?;
    let i = sel as usize % (METHOD_ARITY.len() + 1);
    Some(match METHOD_ARITY.get(i) {
        Some((method, _)) => {
            format!(r#"{{"jsonrpc":"2.0","id":7,"method":"{method}","params":{rest}}}"#)
        }
        None => rest.to_string(),
    })
}

/// One fuzzed request ([`request_body`]) through [`Harness::call`]: no
/// panic and no hang; the answer is a JSON-RPC 2.0 response with the
/// request's id and either a result or an error with an integer code and a
/// message; malformed parameters never cause an internal error (-32603);
/// the chain and the mempool are unchanged (no request without a valid,
/// proven transaction can change them).
pub fn rpc_request(h: &Harness, data: &[u8]) {
    let Some(body) = request_body(data) else {
        return;
    };
    let Some(resp) = h.call(&body) else {
        return;
    };
    // The id as jsonrpsee read it (not through `Value`: the body may hold
    // numbers `Value` refuses, e.g. 1e999, in parameters jsonrpsee keeps raw).
    let req: jsonrpsee::types::Request = serde_json::from_str(&body).expect("jsonrpsee parsed it");
    let id = serde_json::to_value(&req.id).expect("an id serialises");
    assert_eq!(resp["jsonrpc"], "2.0", "{resp}");
    assert_eq!(resp["id"], id, "the response has another id: {resp}");
    match (resp.get("result"), resp.get("error")) {
        (Some(_), None) => {}
        (None, Some(e)) => {
            let code = e["code"].as_i64().expect("an integer error code");
            assert!(e["message"].is_string(), "{resp}");
            assert_ne!(code, -32603, "an internal error: {body} -> {resp}");
        }
        _ => panic!("neither a result nor an error: {resp}"),
    }
    let node = h.node.lock().expect("the node lock is not poisoned");
    assert_eq!(node.chain.tip(), h.tip, "a request changed the chain");
    assert!(node.mempool.is_empty(), "a request entered the mempool");
}
