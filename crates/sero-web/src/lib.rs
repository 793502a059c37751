//! The web wallet and block explorer that a SERO node serves (`sero dev`,
//! `sero node --web ADDR`).
//!
//! * **Explorer** (`/`, `/block/{id}`, `/tx/{txid}`, `/search?q=`,
//!   `/contract/{addr}`): read-only pages for anyone, server-rendered HTML
//!   (maud) with SVG charts drawn here. It shows only what the chain makes
//!   public: nullifiers, commitments, plain outputs, fees, contract calls
//!   and logs, sizes — never the amount, the address or the currency of a
//!   shielded note (it has none of them).
//! * **Wallet** (`/wallet/…`): for the keystores on this machine
//!   (`<wallet dir>/keystores/NAME.json`, the argon2id format of
//!   `sero wallet create`). Served only when the server listens on
//!   loopback (unless told otherwise), and only to a browser that opened
//!   the URL with the access token printed at start: the token becomes an
//!   HttpOnly SameSite=Strict cookie, and every POST must also carry it in
//!   a form field (`csrf`) or an `x-sero-token` header, which another
//!   origin cannot read (CSRF). The Host header must name a loopback host
//!   (DNS rebinding) and a POST's Origin, when present, this server.
//! * **Headers**: a strict Content-Security-Policy (`default-src 'none'`,
//!   scripts and styles only from this server, no inline script or style),
//!   `X-Frame-Options: DENY`, `Referrer-Policy: same-origin` (with `no-referrer` browsers send `Origin: null` on forms), `nosniff`.
//!   Every asset is compiled into the binary: the pages work offline.
//!
//! The crate renders and routes; scanning and proving are the
//! [`WalletBackend`]'s (the `sero` binary implements it with the CLI
//! wallet's code).

mod charts;
mod explorer;
mod layout;
mod wallet;

pub use wallet::{CallRequest, NoteRow, SendRequest, WalletBackend, WalletScan, CALL_GAS};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use sero_rpc::Node;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How the web app is served.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// Listen address, e.g. `127.0.0.1:9546` (port 0: any free port).
    pub addr: String,
    /// Where the wallet keeps keystores (`keystores/`) and pending sends.
    pub wallet_dir: PathBuf,
    /// Serve the wallet on a non-loopback address too (never by default).
    pub wallet_on_any_address: bool,
    /// The access token (random when `None`).
    pub token: Option<String>,
}

/// A running web server.
pub struct WebHandle {
    /// The bound address.
    pub addr: SocketAddr,
    /// The access token.
    pub token: String,
    /// Whether the wallet routes are served.
    pub wallet: bool,
    task: tokio::task::JoinHandle<()>,
}

impl WebHandle {
    /// The URL to open: the explorer, and the wallet with the token.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
    /// The wallet URL carrying the token (open once; it becomes a cookie).
    pub fn wallet_url(&self) -> String {
        format!("http://{}/wallet?token={}", self.addr, self.token)
    }
    /// Stops the server.
    pub fn stop(&self) {
        self.task.abort();
    }
}

/// Shared server state.
pub(crate) struct App {
    pub node: Arc<Mutex<Node>>,
    pub rpc: sero_rpc::RpcImpl,
    pub token: String,
    pub cookie_name: String,
    pub loopback: bool,
    pub port: u16,
    pub wallet_enabled: bool,
    pub wallet_dir: PathBuf,
    pub backend: Arc<dyn WalletBackend>,
    pub wallet: Mutex<wallet::WalletState>,
    /// Height → when this server first saw the block final (unix seconds,
    /// fractional): the "time to finality" chart.
    pub finality: Mutex<BTreeMap<u64, f64>>,
}

pub(crate) fn now_f64() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn random_token() -> String {
    use rand_core::RngCore;
    let mut b = [0u8; 24];
    rand_core::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// Starts the web server over `node` (explorer) and `backend` (wallet).
pub async fn serve(
    node: Arc<Mutex<Node>>,
    backend: Arc<dyn WalletBackend>,
    cfg: WebConfig,
) -> Result<WebHandle, std::io::Error> {
    let listener = tokio::net::TcpListener::bind(&cfg.addr).await?;
    let addr = listener.local_addr()?;
    let loopback = addr.ip().is_loopback();
    let wallet_enabled = loopback || cfg.wallet_on_any_address;
    if !wallet_enabled {
        tracing::warn!(%addr, "web: not on loopback, serving the explorer only (no wallet)");
    }
    let token = cfg.token.clone().unwrap_or_else(random_token);
    let app = Arc::new(App {
        rpc: sero_rpc::RpcImpl::new(node.clone(), 0),
        node,
        cookie_name: format!("sero_token_{}", addr.port()),
        token: token.clone(),
        loopback,
        port: addr.port(),
        wallet_enabled,
        wallet_dir: cfg.wallet_dir.clone(),
        backend,
        wallet: Mutex::new(wallet::WalletState::default()),
        finality: Mutex::new(BTreeMap::new()),
    });
    // Watch finality (for the chart): when each height is first seen final.
    let watch = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            tick.tick().await;
            let w = watch.clone();
            let fin = tokio::task::spawn_blocking(move || {
                w.node
                    .lock()
                    .ok()
                    .and_then(|n| n.chain.db().finalized_height().ok())
            })
            .await
            .ok()
            .flatten();
            if let (Some(f), Ok(mut map)) = (fin, watch.finality.lock()) {
                let t = now_f64();
                let from = map.keys().next_back().map(|h| h + 1).unwrap_or(f);
                for h in from..=f {
                    map.insert(h, t);
                }
                while map.len() > 2000 {
                    map.pop_first();
                }
            }
        }
    });
    let router = router(app.clone());
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        {
            tracing::error!("web server stopped: {e}");
        }
    });
    tracing::info!(%addr, "web: explorer and wallet");
    Ok(WebHandle {
        addr,
        token,
        wallet: wallet_enabled,
        task,
    })
}

fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(explorer::front))
        .route("/fragment/front", get(explorer::front_fragment))
        .route("/block/{id}", get(explorer::block))
        .route(
            "/fragment/block/{height}/status",
            get(explorer::block_status),
        )
        .route("/tx/{txid}", get(explorer::tx))
        .route("/contract/{addr}", get(explorer::contract))
        .route("/search", get(explorer::search))
        .route("/assets/app.js", get(asset_js))
        .route("/assets/style.css", get(asset_css))
        .route("/wallet", get(wallet::home))
        .route("/wallet/create", post(wallet::create))
        .route("/wallet/create/confirm", post(wallet::create_confirm))
        .route("/wallet/restore", post(wallet::restore))
        .route("/wallet/unlock", post(wallet::unlock))
        .route("/wallet/lock", post(wallet::lock))
        .route("/wallet/send", post(wallet::send_review))
        .route("/wallet/send/confirm", post(wallet::send_confirm))
        .route("/wallet/job/{id}", get(wallet::job_page))
        .route("/fragment/wallet/job/{id}", get(wallet::job_fragment))
        .route(
            "/wallet/contract",
            get(wallet::contract_page).post(wallet::contract_abi),
        )
        .route("/wallet/contract/call", post(wallet::contract_call))
        .route("/wallet/audit", get(wallet::audit).post(wallet::audit_post))
        .fallback(explorer::not_found)
        .layer(axum::middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}

const JS: &str = include_str!("../assets/app.js");
const CSS: &str = include_str!("../assets/style.css");

async fn asset_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        JS,
    )
        .into_response()
}

async fn asset_css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}

pub(crate) const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
base-uri 'none'";

/// A plain error page with its status.
pub(crate) fn error_page(status: StatusCode, title: &str, msg: &str) -> Response {
    let body = layout::page(
        title,
        maud::html! {
            h1 { (title) }
            p.error { (msg) }
            p { a href="/" { "Explorer" } " · " a href="/wallet" { "Wallet" } }
        },
    );
    (status, body).into_response()
}

/// Constant-time equality of two strings.
pub(crate) fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn host_ok(app: &App, host: Option<&str>) -> bool {
    if !app.loopback {
        return true;
    }
    let Some(host) = host else { return false };
    let p = app.port;
    [
        format!("127.0.0.1:{p}"),
        format!("localhost:{p}"),
        format!("[::1]:{p}"),
    ]
    .iter()
    .any(|h| h.eq_ignore_ascii_case(host))
}

pub(crate) fn cookie_token<'a>(app: &App, headers: &'a HeaderMap) -> Option<&'a str> {
    for v in headers.get_all(header::COOKIE) {
        let Ok(s) = v.to_str() else { continue };
        for part in s.split(';') {
            if let Some((k, v)) = part.trim().split_once('=') {
                if k == app.cookie_name {
                    return Some(v);
                }
            }
        }
    }
    None
}

/// Every request: Host check (DNS rebinding), wallet gate (loopback,
/// token cookie, Origin on POST), security headers on every answer.
async fn guard(
    State(app): State<Arc<App>>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);
    let path = req.uri().path().to_string();
    let is_wallet =
        path == "/wallet" || path.starts_with("/wallet/") || path.starts_with("/fragment/wallet/");
    let mut resp = if !host_ok(&app, host.as_deref()) {
        tracing::debug!(%remote, ?host, "web: refused Host");
        error_page(
            StatusCode::MISDIRECTED_REQUEST,
            "Wrong host",
            "this server answers only to 127.0.0.1, localhost or [::1] (DNS rebinding protection)",
        )
    } else if is_wallet {
        wallet_gate(&app, host.as_deref().unwrap_or_default(), req, next).await
    } else if req.method() != Method::GET && req.method() != Method::HEAD {
        error_page(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            "the explorer is read-only",
        )
    } else {
        next.run(req).await
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if is_wallet {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

async fn wallet_gate(app: &Arc<App>, host: &str, req: Request, next: Next) -> Response {
    if !app.wallet_enabled {
        return error_page(
            StatusCode::NOT_FOUND,
            "No wallet here",
            "the wallet is served only on a loopback address",
        );
    }
    // The token in the URL, once: it becomes a cookie and disappears from
    // the address bar.
    if req.method() == Method::GET && req.uri().path() == "/wallet" {
        if let Some(q) = req.uri().query() {
            if let Some(t) = q
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| *k == "token")
                .map(|(_, v)| v)
            {
                if !same(t, &app.token) {
                    return error_page(
                        StatusCode::FORBIDDEN,
                        "Wrong token",
                        "this access token is not the one the node printed at start",
                    );
                }
                let cookie = format!(
                    "{}={}; HttpOnly; SameSite=Strict; Path=/",
                    app.cookie_name, app.token
                );
                let mut r =
                    (StatusCode::SEE_OTHER, [(header::LOCATION, "/wallet")]).into_response();
                if let Ok(v) = HeaderValue::from_str(&cookie) {
                    r.headers_mut().insert(header::SET_COOKIE, v);
                }
                return r;
            }
        }
    }
    let ok_cookie = cookie_token(app, req.headers()).is_some_and(|t| same(t, &app.token));
    if !ok_cookie {
        return error_page(
            StatusCode::FORBIDDEN,
            "Access token needed",
            "open the wallet with the URL (with ?token=…) that the node printed at start",
        );
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        if let Some(origin) = req.headers().get(header::ORIGIN) {
            let expected = format!("http://{host}");
            if origin.to_str().map(|o| o != expected).unwrap_or(true) {
                return error_page(
                    StatusCode::FORBIDDEN,
                    "Cross-origin request refused",
                    "a page of another origin may not act on this wallet",
                );
            }
        }
        let header_token = req
            .headers()
            .get("x-sero-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        // The form field is checked by each handler (wallet::Csrf) unless
        // the header carries the token.
        if let Some(t) = header_token {
            if !same(&t, &app.token) {
                return error_page(
                    StatusCode::FORBIDDEN,
                    "Wrong token",
                    "x-sero-token mismatch",
                );
            }
            let mut req = req;
            req.extensions_mut().insert(wallet::HeaderToken);
            return next.run(req).await;
        }
    }
    next.run(req).await
}

/// Runs a blocking read of the node off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| format!("internal error: {e}"))?
}
