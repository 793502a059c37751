//! The local wallet: keystores under `<wallet dir>/keystores/NAME.json`
//! (argon2id + ChaCha20-Poly1305, the CLI's format), one unlocked account
//! at a time, held in this process only. Every page here is behind the
//! access-token gate of `lib.rs`; every POST also checks the `csrf` form
//! field (or the `x-sero-token` header).

use crate::layout::{page, short};
use crate::{blocking, error_page, now_f64, same, App};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use maud::{html, Markup, PreEscaped};
use sero_keys::{OneTimeAddress, PaymentAddress, SecretKey, Seed, TraceKey};
use sero_wallet::{Keystore, WalletError};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use zeroize::Zeroizing;

/// A note of an account, as the backend found it.
#[derive(Clone, Debug)]
pub struct NoteRow {
    pub position: u64,
    pub currency: String,
    pub value: u128,
    /// `CATEGORY:ID`.
    pub ticket: Option<String>,
    /// The memo of a shielded note (UTF-8 or hex).
    pub memo: Option<String>,
    /// With the spending key: whether it can spend the note.
    pub spendable: Option<bool>,
    /// (txid, height) of the spend.
    pub spent: Option<(String, u64)>,
}

/// Everything the backend found for a trace key.
#[derive(Clone, Debug, Default)]
pub struct WalletScan {
    pub notes: Vec<NoteRow>,
}

/// A payment to make.
#[derive(Clone, Debug)]
pub struct SendRequest {
    /// A PK or a PKr.
    pub to: String,
    pub amount: u128,
    pub currency: String,
    /// `CATEGORY:ID`.
    pub ticket: Option<String>,
    pub fee: u128,
    pub memo: String,
}

/// A contract call to make (from the ABI form).
#[derive(Clone, Debug)]
pub struct CallRequest {
    /// The contract, 0x + 40 hex digits.
    pub to: String,
    /// The function's signature, e.g. `buy(uint256)`.
    pub function: String,
    /// Its arguments as a JSON array.
    pub args: String,
    /// The asset the call brings (msg.value), 0 for none.
    pub amount: u128,
    pub currency: String,
}

/// Gas a web contract call buys, and so its fee ([`sero_ledger::contract::min_fee`]).
pub const CALL_GAS: u64 = 1_000_000;

/// Scanning and proving, done by the `sero` binary with the CLI wallet's
/// code. Methods block (they are called off the async workers).
pub trait WalletBackend: Send + Sync + 'static {
    /// Every note of `tk`; with `sk`, whether each is spendable.
    fn scan(&self, tk: &TraceKey, sk: Option<&SecretKey>) -> Result<WalletScan, String>;
    /// Scans, proves, records (pending store) and submits a payment;
    /// reports `progress(stage, done, total)`; returns the txid (hex).
    fn send(
        &self,
        sk: &SecretKey,
        req: &SendRequest,
        progress: &(dyn Fn(&str, usize, usize) + Sync),
    ) -> Result<String, String>;
    /// The fee a payment pays, in SERO.
    fn default_fee(&self) -> u128 {
        10
    }
    /// Proves and submits a contract call ([`CALL_GAS`] gas, paid in
    /// SERO); returns the txid.
    fn call_contract(
        &self,
        _sk: &SecretKey,
        _req: &CallRequest,
        _progress: &(dyn Fn(&str, usize, usize) + Sync),
    ) -> Result<String, String> {
        Err("contract calls are not supported by this node".into())
    }
}

/// Marks a request whose `x-sero-token` header carried the token.
#[derive(Clone, Copy)]
pub(crate) struct HeaderToken;

struct Unlocked {
    name: String,
    sk: SecretKey,
    pk: String,
}

struct Creating {
    name: String,
    seed: Seed,
    passphrase: Zeroizing<String>,
    /// Which word (1-based) the user must type back.
    check: usize,
}

/// A payment in progress or done.
pub(crate) struct Job {
    stage: String,
    done: usize,
    total: usize,
    result: Option<Result<String, String>>,
    summary: String,
    started: f64,
}

#[derive(Default)]
pub(crate) struct WalletState {
    unlocked: Option<Unlocked>,
    creating: HashMap<String, Creating>,
    jobs: BTreeMap<u64, Arc<Mutex<Job>>>,
    next_job: u64,
}

type F = Form<HashMap<String, String>>;
type Tok = Option<Extension<HeaderToken>>;

fn field<'a>(f: &'a HashMap<String, String>, k: &str) -> &'a str {
    f.get(k).map(|s| s.as_str()).unwrap_or("")
}

fn csrf_ok(app: &App, f: &HashMap<String, String>, t: &Tok) -> bool {
    t.is_some() || same(field(f, "csrf"), &app.token)
}

fn csrf_refused() -> Response {
    error_page(
        StatusCode::FORBIDDEN,
        "Request refused",
        "missing or wrong form token (csrf): reload the wallet page and try again",
    )
}

fn csrf(app: &App) -> Markup {
    html! { input type="hidden" name="csrf" value=(app.token); }
}

fn keystore_dir(app: &App) -> PathBuf {
    app.wallet_dir.join("keystores")
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 32
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn keystore_names(app: &App) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(keystore_dir(app))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let n = e.file_name().to_string_lossy().to_string();
                    n.strip_suffix(".json").map(str::to_string)
                })
                .filter(|n| valid_name(n))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn start_page(app: &App, status: StatusCode, error: Option<&str>) -> Response {
    let names = keystore_names(app);
    let body = html! {
        h1 { "Wallet" }
        @if let Some(e) = error { p.error #wallet-error { (e) } }
        p.muted { "Keystores in " (keystore_dir(app).display()) " (the format of " code { "sero wallet create" } "). Keys stay in this node process." }
        div.cards {
            section.card {
                h2 { "Unlock" }
                @if names.is_empty() { p.muted { "No keystore yet: create or restore one." } } @else {
                    form method="post" action="/wallet/unlock" #unlock-form {
                        (csrf(app))
                        label { "Account " select name="name" #unlock-name { @for n in &names { option value=(n) { (n) } } } }
                        label { "Passphrase " input type="password" name="passphrase" #unlock-passphrase autocomplete="current-password"; }
                        button type="submit" #unlock-go { "Unlock" }
                    }
                }
            }
            section.card {
                h2 { "Create" }
                form method="post" action="/wallet/create" #create-form {
                    (csrf(app))
                    label { "Name " input type="text" name="name" #create-name pattern="[A-Za-z0-9_-]{1,32}" required; }
                    label { "Passphrase " input type="password" name="passphrase" #create-passphrase autocomplete="new-password" required; }
                    label { "Repeat " input type="password" name="passphrase2" #create-passphrase2 autocomplete="new-password" required; }
                    button type="submit" #create-go { "Create" }
                }
            }
            section.card {
                h2 { "Restore" }
                form method="post" action="/wallet/restore" #restore-form {
                    (csrf(app))
                    label { "Name " input type="text" name="name" #restore-name required; }
                    label { "Mnemonic (24 words) " textarea name="mnemonic" #restore-mnemonic rows="3" autocomplete="off" {} }
                    label { "Passphrase " input type="password" name="passphrase" #restore-passphrase autocomplete="new-password" required; }
                    label { "Repeat " input type="password" name="passphrase2" #restore-passphrase2 autocomplete="new-password" required; }
                    button type="submit" #restore-go { "Restore" }
                }
            }
            section.card {
                h2 { "Audit" }
                p { a href="/wallet/audit" #audit-link { "Watch an account with its trace key (TK)" } }
            }
        }
    };
    (status, page("Wallet", body)).into_response()
}

fn qr_svg(text: &str) -> Markup {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(180, 180)
                .quiet_zone(true)
                .build();
            // Drop the XML declaration: the SVG goes inline.
            let svg = match svg.find("<svg") {
                Some(i) => svg[i..].to_string(),
                None => svg,
            };
            html! { div.qr #pk-qr { (PreEscaped(svg)) } }
        }
        Err(e) => html! { p.error { "no QR code: " (e.to_string()) } },
    }
}

/// The block that created note `position` (the first whose leaf count
/// exceeds it).
fn note_height(app: &App, position: u64) -> Option<u64> {
    let node = app.node.lock().ok()?;
    let (mut lo, mut hi) = (0u64, node.chain.tip().0);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let lc = node.chain.header(mid).ok()??.leaf_count;
        if lc > position {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Some(lo)
}

fn status_of(app: &App, txid: &str) -> (String, Option<u64>) {
    use sero_rpc::SeroApiServer;
    let Ok(s) = SeroApiServer::transaction_status(&app.rpc, txid.to_string()) else {
        return ("unknown".into(), None);
    };
    match (s.status.as_str(), s.height) {
        ("included", Some(h)) => {
            let fin = app
                .node
                .lock()
                .ok()
                .and_then(|n| n.chain.db().finalized_height().ok())
                .unwrap_or(0);
            (if h <= fin { "final" } else { "included" }.into(), Some(h))
        }
        ("pending", _) => ("pending".into(), None),
        _ => ("not known to the node".into(), None),
    }
}

fn height_status(app: &App, h: u64) -> &'static str {
    let fin = app
        .node
        .lock()
        .ok()
        .and_then(|n| n.chain.db().finalized_height().ok())
        .unwrap_or(0);
    if h <= fin {
        "final"
    } else {
        "included"
    }
}

struct HistoryRow {
    kind: &'static str,
    what: String,
    txid: Option<String>,
    height: Option<u64>,
    status: String,
}

struct Dashboard {
    name: String,
    pk: String,
    balances: BTreeMap<String, u128>,
    tickets: Vec<String>,
    unspendable: usize,
    history: Vec<HistoryRow>,
}

fn note_asset(n: &NoteRow) -> String {
    let mut s = format!("{} {}", n.value, n.currency);
    if let Some(t) = &n.ticket {
        s.push_str(&format!(" + ticket {t}"));
    }
    s
}

fn balances(scan: &WalletScan) -> (BTreeMap<String, u128>, Vec<String>, usize) {
    let mut b = BTreeMap::new();
    let mut tickets = vec![];
    let mut unspendable = 0;
    for n in &scan.notes {
        if n.spent.is_some() || (n.value == 0 && n.ticket.is_none()) {
            continue;
        }
        if n.spendable == Some(false) {
            unspendable += 1;
            continue;
        }
        if n.value > 0 {
            *b.entry(n.currency.clone()).or_insert(0u128) += n.value;
        }
        if let Some(t) = &n.ticket {
            tickets.push(t.clone());
        }
    }
    (b, tickets, unspendable)
}

fn dashboard_data(app: &Arc<App>) -> Result<Option<Dashboard>, String> {
    let (name, sk, pk) = {
        let w = app.wallet.lock().map_err(|_| "wallet lock poisoned")?;
        match &w.unlocked {
            Some(u) => (u.name.clone(), u.sk.clone(), u.pk.clone()),
            None => return Ok(None),
        }
    };
    let scan = app.backend.scan(&sk.trace_key(), Some(&sk))?;
    let (balances, tickets, unspendable) = balances(&scan);
    let mut history = vec![];
    let jobs: Vec<Arc<Mutex<Job>>> = app
        .wallet
        .lock()
        .map_err(|_| "wallet lock poisoned")?
        .jobs
        .values()
        .rev()
        .cloned()
        .collect();
    for j in jobs {
        let (summary, result) = {
            let j = j.lock().map_err(|_| "job lock poisoned")?;
            (j.summary.clone(), j.result.clone())
        };
        match result {
            Some(Ok(txid)) => {
                let (status, height) = status_of(app, &txid);
                history.push(HistoryRow {
                    kind: "sent",
                    what: summary,
                    txid: Some(txid),
                    height,
                    status,
                });
            }
            Some(Err(e)) => history.push(HistoryRow {
                kind: "sent",
                what: summary,
                txid: None,
                height: None,
                status: format!("failed: {e}"),
            }),
            None => history.push(HistoryRow {
                kind: "sent",
                what: summary,
                txid: None,
                height: None,
                status: "proving".into(),
            }),
        }
    }
    for n in scan.notes.iter().rev() {
        if n.value == 0 && n.ticket.is_none() {
            continue;
        }
        let h = note_height(app, n.position);
        let mut what = note_asset(n);
        if let Some(m) = &n.memo {
            if !m.is_empty() {
                what.push_str(&format!(" — memo {m:?}"));
            }
        }
        if n.spendable == Some(false) {
            what.push_str(" — UNSPENDABLE (malformed one-time address)");
        }
        if let Some((txid, sh)) = &n.spent {
            history.push(HistoryRow {
                kind: "spent",
                what: what.clone(),
                txid: Some(txid.clone()),
                height: Some(*sh),
                status: height_status(app, *sh).into(),
            });
        }
        history.push(HistoryRow {
            kind: "received",
            what,
            txid: None,
            height: h,
            status: h
                .map(|h| height_status(app, h))
                .unwrap_or("included")
                .into(),
        });
    }
    Ok(Some(Dashboard {
        name,
        pk,
        balances,
        tickets,
        unspendable,
        history,
    }))
}

fn dashboard(app: &App, d: &Dashboard, error: Option<&str>) -> Markup {
    html! {
        h1 { "Wallet · " span #account-name { (d.name) } }
        form.inline method="post" action="/wallet/lock" { (csrf(app)) button type="submit" #lock-go { "Lock" } }
        " " a href="/wallet/contract" #contract-link { "Call a contract" } " · " a href="/wallet/audit" { "Audit with a TK" }
        @if let Some(e) = error { p.error #wallet-error { (e) } }
        div.cards {
            section.card {
                h2 { "Balances" }
                table #balances {
                    @if d.balances.is_empty() && d.tickets.is_empty() { tr { td.muted { "no funds" } } }
                    @for (c, v) in &d.balances { tr { td.currency { (c) } td.amount data-currency=(c) { (v) } } }
                    @for t in &d.tickets { tr { td { "ticket" } td.hex { (t) } } }
                }
                @if d.unspendable > 0 { p.muted { (d.unspendable) " unspendable note(s) not counted" } }
            }
            section.card {
                h2 { "Receive" }
                p { "Your payment address (PK): give it to payers; each payment goes to a fresh one-time address only you recognise." }
                p.hex.wrap #pk { (d.pk) }
                (qr_svg(&d.pk))
            }
            section.card {
                h2 { "Send" }
                form method="post" action="/wallet/send" #send-form {
                    (csrf(app))
                    label { "To (PK or PKr) " input type="text" name="to" #send-to required; }
                    label { "Amount " input type="text" name="amount" #send-amount inputmode="numeric" value="0"; }
                    label { "Currency " input type="text" name="currency" #send-currency value="SERO"; }
                    label { "Ticket (CATEGORY:ID, optional) " input type="text" name="ticket" #send-ticket; }
                    label { "Memo " input type="text" name="memo" #send-memo; }
                    button type="submit" #send-go { "Review" }
                }
            }
        }
        section {
            h2 { "History" }
            table #history {
                thead { tr { th { "" } th { "Asset" } th { "Transaction" } th { "Block" } th { "Status" } } }
                tbody {
                    @for r in &d.history {
                        tr {
                            td { (r.kind) }
                            td { (r.what) }
                            td { @if let Some(t) = &r.txid { a href={ "/tx/" (t) } { (short(t)) } } }
                            td { @if let Some(h) = r.height { a href={ "/block/" (h) } { (h) } } }
                            td class={ "status " (r.status.split(':').next().unwrap_or("").replace(' ', "-")) } { (r.status) }
                        }
                    }
                }
            }
        }
    }
}

pub(crate) async fn home(State(app): State<Arc<App>>) -> Response {
    let a = app.clone();
    match blocking(move || dashboard_data(&a)).await {
        Ok(Some(d)) => page("Wallet", dashboard(&app, &d, None)).into_response(),
        Ok(None) => start_page(&app, StatusCode::OK, None),
        Err(e) => error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Wallet unavailable",
            &format!("node unreachable or failing: {e}"),
        ),
    }
}

fn unlock_as(app: &App, name: &str, sk: SecretKey) {
    let pk = sk.payment_address().to_string();
    if let Ok(mut w) = app.wallet.lock() {
        w.unlocked = Some(Unlocked {
            name: name.to_string(),
            sk,
            pk,
        });
    }
}

pub(crate) async fn create(State(app): State<Arc<App>>, t: Tok, Form(f): F) -> Response {
    if !csrf_ok(&app, &f, &t) {
        return csrf_refused();
    }
    let name = field(&f, "name").trim();
    if !valid_name(name) {
        return start_page(
            &app,
            StatusCode::BAD_REQUEST,
            Some("name: 1 to 32 letters, digits, '-' or '_'"),
        );
    }
    if keystore_dir(&app).join(format!("{name}.json")).exists() {
        return start_page(
            &app,
            StatusCode::CONFLICT,
            Some(&format!("a keystore named {name} exists already")),
        );
    }
    let pw = field(&f, "passphrase");
    if pw.is_empty() || pw != field(&f, "passphrase2") {
        return start_page(
            &app,
            StatusCode::BAD_REQUEST,
            Some("the passphrases are empty or differ"),
        );
    }
    let seed = Seed::random(&mut rand_core::OsRng);
    let check = {
        use rand_core::RngCore;
        (rand_core::OsRng.next_u32() % 24) as usize + 1
    };
    let nonce = {
        use rand_core::RngCore;
        let mut b = [0u8; 16];
        rand_core::OsRng.fill_bytes(&mut b);
        hex::encode(b)
    };
    let c = Creating {
        name: name.to_string(),
        seed,
        passphrase: Zeroizing::new(pw.to_string()),
        check,
    };
    let body = confirm_page(&app, &nonce, &c, None);
    if let Ok(mut w) = app.wallet.lock() {
        w.creating.clear();
        w.creating.insert(nonce, c);
    }
    page("New account", body).into_response()
}

fn confirm_page(app: &App, nonce: &str, c: &Creating, error: Option<&str>) -> Markup {
    let mnemonic = Zeroizing::new(c.seed.to_mnemonic());
    html! {
        h1 { "Your recovery phrase" }
        @if let Some(e) = error { p.error #wallet-error { (e) } }
        p.warning { "Shown only now. Write these 24 words down and keep them offline: they restore the account without the keystore or passphrase, and anyone who sees them can spend its funds." }
        ol.mnemonic #mnemonic {
            @for w in mnemonic.split_whitespace() { li { (w) } }
        }
        form method="post" action="/wallet/create/confirm" #confirm-form {
            (csrf(app))
            input type="hidden" name="nonce" value=(nonce);
            label #confirm-label data-index=(c.check) { "Type word number " (c.check) " to confirm " input type="text" name="word" #confirm-word autocomplete="off" required; }
            button type="submit" #confirm-go { "I wrote it down — create the keystore" }
        }
    }
}

pub(crate) async fn create_confirm(State(app): State<Arc<App>>, t: Tok, Form(f): F) -> Response {
    if !csrf_ok(&app, &f, &t) {
        return csrf_refused();
    }
    let nonce = field(&f, "nonce").to_string();
    let c = match app
        .wallet
        .lock()
        .ok()
        .and_then(|mut w| w.creating.remove(&nonce))
    {
        Some(c) => c,
        None => {
            return start_page(
                &app,
                StatusCode::BAD_REQUEST,
                Some("this account creation expired: start again"),
            )
        }
    };
    let words = Zeroizing::new(c.seed.to_mnemonic());
    let expected = words.split_whitespace().nth(c.check - 1).unwrap_or("");
    if field(&f, "word").trim() != expected {
        let body = confirm_page(
            &app,
            &nonce,
            &c,
            Some(&format!("word {} does not match", c.check)),
        );
        if let Ok(mut w) = app.wallet.lock() {
            w.creating.insert(nonce, c);
        }
        return (StatusCode::BAD_REQUEST, page("New account", body)).into_response();
    }
    save_and_unlock(app, c.name.clone(), c.seed.clone(), c.passphrase.clone()).await
}

async fn save_and_unlock(
    app: Arc<App>,
    name: String,
    seed: Seed,
    pw: Zeroizing<String>,
) -> Response {
    let dir = keystore_dir(&app);
    let path = dir.join(format!("{name}.json"));
    let r = blocking(move || {
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        if path.exists() {
            return Err(format!("a keystore named {name} exists already"));
        }
        Keystore::create(&seed, &pw)
            .save(&path)
            .map_err(|e| e.to_string())?;
        tracing::info!(keystore = %path.display(), "web wallet: keystore written");
        Ok((name, SecretKey::from_seed(&seed)))
    })
    .await;
    match r {
        Ok((name, sk)) => {
            unlock_as(&app, &name, sk);
            Redirect::to("/wallet").into_response()
        }
        Err(e) => start_page(&app, StatusCode::BAD_REQUEST, Some(&e)),
    }
}

pub(crate) async fn restore(State(app): State<Arc<App>>, t: Tok, Form(f): F) -> Response {
    if !csrf_ok(&app, &f, &t) {
        return csrf_refused();
    }
    let name = field(&f, "name").trim().to_string();
    if !valid_name(&name) {
        return start_page(
            &app,
            StatusCode::BAD_REQUEST,
            Some("name: 1 to 32 letters, digits, '-' or '_'"),
        );
    }
    let pw = field(&f, "passphrase");
    if pw.is_empty() || pw != field(&f, "passphrase2") {
        return start_page(
            &app,
            StatusCode::BAD_REQUEST,
            Some("the passphrases are empty or differ"),
        );
    }
    let words = field(&f, "mnemonic")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let seed = match Seed::from_mnemonic(&words) {
        Ok(s) => s,
        Err(e) => {
            return start_page(
                &app,
                StatusCode::BAD_REQUEST,
                Some(&format!("mnemonic: {e}")),
            )
        }
    };
    save_and_unlock(app, name, seed, Zeroizing::new(pw.to_string())).await
}

pub(crate) async fn unlock(State(app): State<Arc<App>>, t: Tok, Form(f): F) -> Response {
    if !csrf_ok(&app, &f, &t) {
        return csrf_refused();
    }
    let name = field(&f, "name").to_string();
    if !valid_name(&name) {
        return start_page(&app, StatusCode::BAD_REQUEST, Some("no such keystore"));
    }
    let path = keystore_dir(&app).join(format!("{name}.json"));
    let pw = Zeroizing::new(field(&f, "passphrase").to_string());
    let r = blocking(move || {
        let ks = Keystore::load(&path).map_err(|e| match e {
            WalletError::Io { .. } => format!("no keystore named {name}"),
            e => e.to_string(),
        })?;
        let seed = ks.unlock(&pw).map_err(|e| match e {
            WalletError::WrongPassphrase => "wrong passphrase".to_string(),
            e => e.to_string(),
        })?;
        Ok((name, SecretKey::from_seed(&seed)))
    })
    .await;
    match r {
        Ok((name, sk)) => {
            unlock_as(&app, &name, sk);
            Redirect::to("/wallet").into_response()
        }
        Err(e) => start_page(&app, StatusCode::UNAUTHORIZED, Some(&e)),
    }
}

pub(crate) async fn lock(State(app): State<Arc<App>>, t: Tok, Form(f): F) -> Response {
    if !csrf_ok(&app, &f, &t) {
        return csrf_refused();
    }
    if let Ok(mut w) = app.wallet.lock() {
        w.unlocked = None;
    }
    Redirect::to("/wallet").into_response()
}

/// A checked payment form.
fn parse_send(app: &App, f: &HashMap<String, String>) -> Result<SendRequest, String> {
    let to = field(f, "to").trim().to_string();
    if to.parse::<PaymentAddress>().is_err() && to.parse::<OneTimeAddress>().is_err() {
        return Err("bad address: not a payment address (PK) nor a one-time address (PKr)".into());
    }
    let amount_s = field(f, "amount").trim();
    let amount: u128 = if amount_s.is_empty() {
        0
    } else {
        amount_s
            .parse()
            .map_err(|_| format!("amount: {amount_s:?} is not a whole number"))?
    };
    let currency = match field(f, "currency").trim() {
        "" => "SERO".to_string(),
        c => c
            .parse::<sero_assets::Currency>()
            .map_err(|e| format!("currency: {e}"))?
            .to_string(),
    };
    let ticket = match field(f, "ticket").trim() {
        "" => None,
        t => {
            let (cat, id) = t.split_once(':').ok_or("ticket: expected CATEGORY:ID")?;
            sero_assets::Category::new(cat).map_err(|e| format!("ticket category: {e}"))?;
            id.parse::<sero_assets::TicketId>()
                .map_err(|e| format!("ticket id: {e}"))?;
            Some(t.to_string())
        }
    };
    if amount == 0 && ticket.is_none() {
        return Err("nothing to send: give an amount and/or a ticket".into());
    }
    let memo = field(f, "memo").to_string();
    if memo.len() > 64 {
        return Err("memo: at most 64 bytes".into());
    }
    Ok(SendRequest {
        to,
        amount,
        currency,
        ticket,
        fee: app.backend.default_fee(),
        memo,
    })
}

fn unlocked(app: &App) -> Option<(String, SecretKey)> {
    let w = app.wallet.lock().ok()?;
    w.unlocked.as_ref().map(|u| (u.name.clone(), u.sk.clone()))
}

fn funds_check(
    req: &SendRequest,
    b: &BTreeMap<String, u128>,
    tickets: &[String],
) -> Result<(), String> {
    let mut need: BTreeMap<String, u128> = BTreeMap::new();
    *need.entry("SERO".into()).or_default() += req.fee;
    if req.amount > 0 {
        *need.entry(req.currency.clone()).or_default() += req.amount;
    }
    for (c, n) in need {
        let have = b.get(&c).copied().unwrap_or(0);
        if have < n {
            return Err(format!(
                "insufficient funds: need {n} {c} (fee included), have {have} {c}"
            ));
        }
    }
    if let Some(t) = &req.ticket {
        if !tickets.iter().any(|x| x.eq_ignore_ascii_case(t)) {
            return Err(format!(
                "insufficient funds: ticket {t} is not in this wallet"
            ));
        }
    }
    Ok(())
}

async fn dashboard_with_error(app: Arc<App>, status: StatusCode, e: String) -> Response {
    let a = app.clone();
    match blocking(move || dashboard_data(&a)).await {
        Ok(Some(d)) => (status, page("Wallet", dashboard(&app, &d, Some(&e)))).into_response(),
        Ok(None) => start_page(&app, status, Some(&e)),
        Err(e2) => error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Wallet unavailable",
            &format!("{e}; node unreachable: {e2}"),
        ),
    }
}

pub(crate) async fn send_review(State(app): State<Arc<App>>, t: Tok, Form(f): F) -> Response {
    if !csrf_ok(&app, &f, &t) {
        return csrf_refused();
    }
    let Some((_, sk)) = unlocked(&app) else {
        return start_page(&app, StatusCode::UNAUTHORIZED, Some("the wallet is locked"));
    };
    let req = match parse_send(&app, &f) {
        Ok(r) => r,
        Err(e) => return dashboard_with_error(app, StatusCode::BAD_REQUEST, e).await,
    };
    let a = app.clone();
    let scan = blocking(move || a.backend.scan(&sk.trace_key(), Some(&sk))).await;
    let scan = match scan {
        Ok(s) => s,
        Err(e) => {
            return error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Node unreachable",
                &format!("node unreachable: {e}"),
            )
        }
    };
    let (b, tickets, _) = balances(&scan);
    if let Err(e) = funds_check(&req, &b, &tickets) {
        return dashboard_with_error(app, StatusCode::BAD_REQUEST, e).await;
    }
    page(
        "Confirm payment",
        html! {
            h1 { "Confirm payment" }
            table.kv #review {
                tr { th { "To" } td.hex.wrap { (req.to) } }
                tr { th { "Amount" } td #review-amount { (req.amount) " " (req.currency) } }
                @if let Some(t) = &req.ticket { tr { th { "Ticket" } td.hex { (t) } } }
                @if !req.memo.is_empty() { tr { th { "Memo" } td { (req.memo) } } }
                tr { th { "Fee" } td #fee { (req.fee) " SERO" } }
            }
            p.muted { "The proofs take a few seconds per note spent." }
            form method="post" action="/wallet/send/confirm" #confirm-send-form {
                (csrf(&app))
                input type="hidden" name="to" value=(req.to);
                input type="hidden" name="amount" value=(req.amount);
                input type="hidden" name="currency" value=(req.currency);
                input type="hidden" name="ticket" value=(req.ticket.clone().unwrap_or_default());
                input type="hidden" name="memo" value=(req.memo);
                input type="hidden" name="fee" value=(req.fee);
                button type="submit" #send-confirm { "Send" }
                " " a href="/wallet" { "Cancel" }
            }
        },
    )
    .into_response()
}

pub(crate) async fn send_confirm(State(app): State<Arc<App>>, t: Tok, Form(f): F) -> Response {
    if !csrf_ok(&app, &f, &t) {
        return csrf_refused();
    }
    let Some((_, sk)) = unlocked(&app) else {
        return start_page(&app, StatusCode::UNAUTHORIZED, Some("the wallet is locked"));
    };
    let req = match parse_send(&app, &f) {
        Ok(r) => r,
        Err(e) => return dashboard_with_error(app, StatusCode::BAD_REQUEST, e).await,
    };
    if field(&f, "fee") != req.fee.to_string() {
        return dashboard_with_error(
            app,
            StatusCode::CONFLICT,
            "the fee changed since the review: review again".into(),
        )
        .await;
    }
    let summary = format!(
        "{} {}{} to {}…",
        req.amount,
        req.currency,
        req.ticket
            .as_ref()
            .map(|t| format!(" + ticket {t}"))
            .unwrap_or_default(),
        &req.to[..12.min(req.to.len())]
    );
    let backend = app.backend.clone();
    start_job(&app, summary, move |progress| {
        backend.send(&sk, &req, progress)
    })
}

/// Runs `work` (a payment or a call) off the async workers as a job whose
/// progress the job page shows; redirects there.
fn start_job(
    app: &App,
    summary: String,
    work: impl FnOnce(&(dyn Fn(&str, usize, usize) + Sync)) -> Result<String, String> + Send + 'static,
) -> Response {
    let job = Arc::new(Mutex::new(Job {
        stage: "scanning".into(),
        done: 0,
        total: 0,
        result: None,
        summary,
        started: now_f64(),
    }));
    let id = match app.wallet.lock() {
        Ok(mut w) => {
            w.next_job += 1;
            let id = w.next_job;
            w.jobs.insert(id, job.clone());
            id
        }
        Err(_) => {
            return error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal error",
                "wallet lock poisoned",
            )
        }
    };
    tokio::task::spawn_blocking(move || {
        let j = job.clone();
        let progress = move |stage: &str, done: usize, total: usize| {
            if let Ok(mut j) = j.lock() {
                j.stage = stage.to_string();
                j.done = done;
                j.total = total;
            }
        };
        let r = work(&progress);
        match &r {
            Ok(txid) => tracing::info!(%txid, "web wallet: sent"),
            Err(e) => tracing::warn!("web wallet: send failed: {e}"),
        }
        if let Ok(mut j) = job.lock() {
            j.result = Some(r);
        }
    });
    Redirect::to(&format!("/wallet/job/{id}")).into_response()
}

/// One function of a pasted ABI: (signature, [(name, type)]).
type AbiFunction = (String, Vec<(String, String)>);

/// The functions of an ABI JSON (tuple parameters are not offered).
fn abi_functions(abi: &str) -> Result<Vec<AbiFunction>, String> {
    let v: serde_json::Value =
        serde_json::from_str(abi).map_err(|e| format!("ABI: not JSON ({e})"))?;
    let items = v.as_array().ok_or("ABI: expected a JSON array")?;
    let mut out = vec![];
    for it in items {
        let kind = it
            .get("type")
            .and_then(|t| t.as_str())
            .unwrap_or("function");
        if kind != "function" {
            continue;
        }
        let Some(name) = it.get("name").and_then(|n| n.as_str()) else {
            continue;
        };
        let mut params = vec![];
        let mut ok = true;
        for (i, p) in it
            .get("inputs")
            .and_then(|x| x.as_array())
            .cloned()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let ty = p.get("type").and_then(|t| t.as_str()).unwrap_or("");
            if ty.is_empty() || ty.starts_with("tuple") {
                ok = false;
                break;
            }
            let n = p
                .get("name")
                .and_then(|t| t.as_str())
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| format!("arg{i}"));
            params.push((n, ty.to_string()));
        }
        if ok {
            let types: Vec<&str> = params.iter().map(|p| p.1.as_str()).collect();
            out.push((format!("{name}({})", types.join(",")), params));
        }
    }
    if out.is_empty() {
        return Err("ABI: no callable function in it".into());
    }
    Ok(out)
}

fn contract_form(app: &App, to: &str, abi: &str, error: Option<&str>) -> Markup {
    html! {
        h1 { "Call a contract" }
        @if let Some(e) = error { p.error #contract-error { (e) } }
        form method="post" action="/wallet/contract" #abi-form {
            (csrf(app))
            label { "Contract address (0x…) " input type="text" name="to" #contract-to value=(to); }
            label { "ABI (JSON, as solc writes it) " textarea name="abi" #contract-abi rows="6" { (abi) } }
            button type="submit" #abi-go { "Show functions" }
        }
    }
}

pub(crate) async fn contract_page(State(app): State<Arc<App>>) -> Response {
    page("Contract", contract_form(&app, "", "", None)).into_response()
}

pub(crate) async fn contract_abi(State(app): State<Arc<App>>, t: Tok, Form(f): F) -> Response {
    if !csrf_ok(&app, &f, &t) {
        return csrf_refused();
    }
    let to = field(&f, "to").trim().to_string();
    let abi = field(&f, "abi").to_string();
    let bad = |e: &str| {
        (
            StatusCode::BAD_REQUEST,
            page("Contract", contract_form(&app, &to, &abi, Some(e))),
        )
            .into_response()
    };
    if !(to.starts_with("0x") && to.len() == 42 && hex::decode(&to[2..]).is_ok()) {
        return bad("contract address: 0x and 40 hex digits");
    }
    let fns = match abi_functions(&abi) {
        Ok(f) => f,
        Err(e) => return bad(&e),
    };
    let fee = sero_ledger::contract::min_fee(CALL_GAS).max(10);
    page(
        "Contract",
        html! {
            (contract_form(&app, &to, &abi, None))
            h2 { "Functions" }
            p.muted { "Each call buys " (CALL_GAS) " gas: fee " span #call-fee { (fee) " SERO" } ". An argument is JSON (a number, \"text\", [1,2], true) or plain text." }
            div.cards {
                @for (sig, params) in &fns {
                    section.card {
                        h3.hex { (sig) }
                        form method="post" action="/wallet/contract/call" id={ "call-" (sig.split('(').next().unwrap_or("")) } {
                            (csrf(&app))
                            input type="hidden" name="to" value=(to);
                            input type="hidden" name="function" value=(sig);
                            input type="hidden" name="nargs" value=(params.len());
                            @for (i, (n, ty)) in params.iter().enumerate() {
                                label { (n) " (" (ty) ") " input type="text" name={ "arg" (i) }; }
                            }
                            label { "Amount brought (msg.value) " input type="text" name="amount" value="0"; }
                            label { "Currency " input type="text" name="currency" value="SERO"; }
                            button type="submit" { "Call" }
                        }
                    }
                }
            }
        },
    )
    .into_response()
}

pub(crate) async fn contract_call(State(app): State<Arc<App>>, t: Tok, Form(f): F) -> Response {
    if !csrf_ok(&app, &f, &t) {
        return csrf_refused();
    }
    let Some((_, sk)) = unlocked(&app) else {
        return start_page(&app, StatusCode::UNAUTHORIZED, Some("the wallet is locked"));
    };
    let err = |e: String| error_page(StatusCode::BAD_REQUEST, "Bad contract call", &e);
    let n: usize = match field(&f, "nargs").parse() {
        Ok(n) if n <= 64 => n,
        _ => return err("nargs: not a number".into()),
    };
    let mut args = vec![];
    for i in 0..n {
        let raw = field(&f, &format!("arg{i}")).trim();
        args.push(
            serde_json::from_str::<serde_json::Value>(raw)
                .unwrap_or_else(|_| serde_json::Value::String(raw.to_string())),
        );
    }
    let amount_s = field(&f, "amount").trim();
    let amount: u128 = match amount_s {
        "" => 0,
        a => match a.parse() {
            Ok(v) => v,
            Err(_) => return err(format!("amount: {a:?} is not a whole number")),
        },
    };
    let req = CallRequest {
        to: field(&f, "to").trim().to_string(),
        function: field(&f, "function").trim().to_string(),
        args: serde_json::Value::Array(args).to_string(),
        amount,
        currency: match field(&f, "currency").trim() {
            "" => "SERO".into(),
            c => c.to_string(),
        },
    };
    let summary = format!("call {} on {}", req.function, req.to);
    let backend = app.backend.clone();
    start_job(&app, summary, move |progress| {
        backend.call_contract(&sk, &req, progress)
    })
}

fn job_of(app: &App, id: &str) -> Option<Arc<Mutex<Job>>> {
    let id: u64 = id.parse().ok()?;
    app.wallet.lock().ok()?.jobs.get(&id).cloned()
}

fn job_markup(app: &App, j: &Job) -> Markup {
    let elapsed = now_f64() - j.started;
    html! {
        p #job-summary { "Payment: " (j.summary) }
        @match &j.result {
            None => {
                p #job-stage { (j.stage) " · " (format!("{elapsed:.0}")) " s" }
                @if j.total > 0 {
                    progress #job-progress max=(j.total) value=(j.done) { (j.done) "/" (j.total) }
                    span { " " (j.done) " of " (j.total) " proofs" }
                } @else {
                    progress #job-progress {}
                }
            }
            Some(Ok(txid)) => {
                @let (status, height) = status_of(app, txid);
                p #job-done data-stop=(if status == "final" { "1" } else { "" }) {
                    "Sent: transaction " a #job-txid href={ "/tx/" (txid) } { (txid) } " — "
                    span #job-status { (status) }
                    @if let Some(h) = height { " in block " a href={ "/block/" (h) } { (h) } }
                }
            }
            Some(Err(e)) => {
                p.error #send-error data-stop="1" { (e) }
            }
        }
    }
}

pub(crate) async fn job_page(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let Some(job) = job_of(&app, &id) else {
        return error_page(
            StatusCode::NOT_FOUND,
            "No such payment",
            "unknown payment id",
        );
    };
    let a = app.clone();
    let m = blocking(move || {
        let j = job.lock().map_err(|_| "job lock poisoned".to_string())?;
        Ok(job_markup(&a, &j))
    })
    .await;
    match m {
        Ok(m) => page(
            "Payment",
            html! {
                h1 { "Payment" }
                div #job data-live={ "/fragment/wallet/job/" (id) } { (m) }
                p { a href="/wallet" #back-to-wallet { "Back to the wallet" } }
            },
        )
        .into_response(),
        Err(e) => error_page(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", &e),
    }
}

pub(crate) async fn job_fragment(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let Some(job) = job_of(&app, &id) else {
        return (StatusCode::NOT_FOUND, "unknown payment id").into_response();
    };
    let a = app.clone();
    match blocking(move || {
        let j = job.lock().map_err(|_| "job lock poisoned".to_string())?;
        Ok(job_markup(&a, &j))
    })
    .await
    {
        Ok(m) => m.into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    }
}

fn audit_form(app: &App, tk: &str, error: Option<&str>) -> Markup {
    html! {
        h1 { "Audit with a trace key" }
        p.muted { "A trace key (TK) sees an account's incoming notes and their spends; it cannot spend." }
        @if let Some(e) = error { p.error #audit-error { (e) } }
        form method="post" action="/wallet/audit" #audit-form {
            (csrf(app))
            label { "TK " input type="text" name="tk" #audit-tk value=(tk) autocomplete="off"; }
            button type="submit" #audit-go { "Show" }
        }
    }
}

pub(crate) async fn audit(State(app): State<Arc<App>>) -> Response {
    page("Audit", audit_form(&app, "", None)).into_response()
}

pub(crate) async fn audit_post(State(app): State<Arc<App>>, t: Tok, Form(f): F) -> Response {
    if !csrf_ok(&app, &f, &t) {
        return csrf_refused();
    }
    let tk_s = field(&f, "tk").trim().to_string();
    let tk = match tk_s.parse::<TraceKey>() {
        Ok(tk) => tk,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                page(
                    "Audit",
                    audit_form(&app, &tk_s, Some(&format!("not a trace key: {e}"))),
                ),
            )
                .into_response()
        }
    };
    let a = app.clone();
    let r = blocking(move || {
        let scan = a.backend.scan(&tk, None)?;
        let rows: Vec<(NoteRow, Option<u64>)> = scan
            .notes
            .into_iter()
            .filter(|n| n.value > 0 || n.ticket.is_some())
            .map(|n| {
                let h = note_height(&a, n.position);
                (n, h)
            })
            .collect();
        Ok(rows)
    })
    .await;
    match r {
        Ok(rows) => page(
            "Audit",
            html! {
                (audit_form(&app, &tk_s, None))
                h2 { "Incoming notes and spends (read-only)" }
                p.muted { "Spendability unverified: a trace key cannot check that a note's one-time address is spendable." }
                table #audit-notes {
                    thead { tr { th { "Note" } th { "Asset" } th { "Memo" } th { "Received in block" } th { "Spent" } } }
                    tbody {
                        @for (n, h) in &rows {
                            tr {
                                td { "#" (n.position) }
                                td { (note_asset(n)) }
                                td { (n.memo.clone().unwrap_or_default()) }
                                td { @if let Some(h) = h { a href={ "/block/" (h) } { (h) } } }
                                td { @match &n.spent { Some((tx, sh)) => { a href={ "/tx/" (tx) } { (short(tx)) } " in block " (sh) }, None => "unspent" } }
                            }
                        }
                    }
                }
            },
        )
        .into_response(),
        Err(e) => error_page(StatusCode::SERVICE_UNAVAILABLE, "Node unreachable", &format!("node unreachable: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn funds_check_names_what_is_missing() {
        let req = SendRequest {
            to: String::new(),
            amount: 100,
            currency: "SERO".into(),
            ticket: None,
            fee: 10,
            memo: String::new(),
        };
        let mut b = BTreeMap::new();
        b.insert("SERO".to_string(), 105u128);
        let e = funds_check(&req, &b, &[]).unwrap_err();
        assert!(
            e.contains("insufficient funds") && e.contains("need 110 SERO"),
            "{e}"
        );
        b.insert("SERO".to_string(), 110u128);
        assert!(funds_check(&req, &b, &[]).is_ok());
    }

    #[test]
    fn abi_functions_make_signatures() {
        let abi = r#"[{"type":"constructor","inputs":[]},
            {"type":"function","name":"buy","inputs":[]},
            {"type":"function","name":"issue","inputs":[{"name":"n","type":"uint256"},{"name":"","type":"address"}]},
            {"type":"event","name":"E","inputs":[]}]"#;
        let f = abi_functions(abi).unwrap();
        assert_eq!(f[0].0, "buy()");
        assert_eq!(f[1].0, "issue(uint256,address)");
        assert_eq!(f[1].1[1].0, "arg1");
        assert!(abi_functions("{").unwrap_err().contains("not JSON"));
        assert!(abi_functions("[]").unwrap_err().contains("no callable"));
    }

    #[test]
    fn names_are_checked() {
        assert!(valid_name("alice_2"));
        assert!(!valid_name("../x"));
        assert!(!valid_name(""));
    }
}
