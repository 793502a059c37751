//! A small HTTP/1.1 client over `std::net` and a WebDriver client on top
//! of it for Debian's `chromium` + `chromium-driver` (headless). No
//! dependency beyond `serde_json` and `base64`: WebDriver is plain HTTP
//! with JSON bodies.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An HTTP answer.
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = vec![];
    while let Some(i) = b.windows(2).position(|w| w == b"\r\n") {
        let size_s = String::from_utf8_lossy(&b[..i]);
        let size =
            usize::from_str_radix(size_s.split(';').next().unwrap_or("0").trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = i + 2;
        out.extend_from_slice(&b[start..(start + size).min(b.len())]);
        b = &b[(start + size + 2).min(b.len())..];
    }
    out
}

/// One request to `addr` (host:port); `headers` are added as given
/// (a `Host` among them replaces the default).
pub fn http(
    method: &str,
    addr: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> HttpResponse {
    let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(300))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = body.unwrap_or("");
    if method != "GET" || !body.is_empty() {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    // Read the head, then the body by its Content-Length (some servers
    // keep the connection open despite `Connection: close`), else to EOF.
    let mut raw = vec![];
    let mut buf = [0u8; 16384];
    let split = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "connection closed before an HTTP answer");
        raw.extend_from_slice(&buf[..n]);
    };
    let head_text = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    let length = head_text
        .split("\r\n")
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    match length {
        Some(len) => {
            while raw.len() < split + 4 + len {
                let n = s.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                raw.extend_from_slice(&buf[..n]);
            }
        }
        None if method == "HEAD" => {}
        None => {
            s.read_to_end(&mut raw).unwrap();
        }
    }
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    }) {
        body = dechunk(&body);
    }
    HttpResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    }
}

fn which(name: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var("PATH").ok()?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// A headless Chromium driven over WebDriver; closed when dropped.
pub struct Browser {
    driver: Child,
    addr: String,
    session: String,
}

/// `true` when the browser tests are explicitly skipped.
pub fn skip_browser() -> bool {
    std::env::var("SERO_SKIP_BROWSER").is_ok_and(|v| v == "1")
}

impl Browser {
    /// Starts chromedriver and a 1280×800 headless Chromium. Panics (the
    /// test fails) when they are missing, unless `SERO_SKIP_BROWSER=1`,
    /// in which case it returns `None`.
    pub fn start() -> Option<Browser> {
        if skip_browser() {
            eprintln!("SERO_SKIP_BROWSER=1: browser test skipped");
            return None;
        }
        let driver_bin = std::env::var("CHROMEDRIVER")
            .ok()
            .map(Into::into)
            .or_else(|| which("chromedriver"))
            .expect(
                "chromedriver not found: install Debian's chromium and chromium-driver \
                 (apt-get install -y chromium chromium-driver), or set SERO_SKIP_BROWSER=1",
            );
        let chrome = std::env::var("CHROMIUM")
            .ok()
            .map(Into::into)
            .or_else(|| which("chromium"))
            .or_else(|| which("chromium-browser"))
            .expect(
                "chromium not found: apt-get install -y chromium chromium-driver, \
                 or set SERO_SKIP_BROWSER=1",
            );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let addr = format!("127.0.0.1:{port}");
        let t0 = Instant::now();
        loop {
            if TcpStream::connect(&addr).is_ok() {
                let r = http("GET", &addr, "/status", &[], None);
                if r.status == 200 && r.body.contains("\"ready\":true") {
                    break;
                }
            }
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut b = Browser {
            driver,
            addr,
            session: String::new(),
        };
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chrome.to_string_lossy(),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,800",
                         "--hide-scrollbars", "--force-device-scale-factor=1"]
            }
        }}});
        let v = b.raw("POST", "/session", Some(caps));
        b.session = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {v}"))
            .to_string();
        b.cmd(
            "POST",
            "/window/rect",
            json!({ "width": 1280, "height": 800 }),
        );
        Some(b)
    }

    fn raw(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.map(|b| b.to_string());
        let r = http(
            method,
            &self.addr,
            path,
            &[("Content-Type", "application/json")],
            body.as_deref(),
        );
        let v: Value = serde_json::from_str(&r.body)
            .unwrap_or_else(|_| panic!("chromedriver sent no JSON: {}", r.body));
        v["value"].clone()
    }

    fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        let p = format!("/session/{}{path}", self.session);
        let v = self.raw(
            method,
            &p,
            if method == "GET" || method == "DELETE" {
                None
            } else {
                Some(body)
            },
        );
        if v.get("error").is_some() {
            panic!("WebDriver {method} {path}: {v}");
        }
        v
    }

    fn try_cmd(&self, method: &str, path: &str, body: Value) -> Option<Value> {
        let p = format!("/session/{}{path}", self.session);
        let body = (method != "GET").then_some(body);
        let v = self.raw(method, &p, body);
        v.get("error").is_none().then_some(v)
    }

    pub fn goto(&self, url: &str) {
        self.cmd("POST", "/url", json!({ "url": url }));
    }

    pub fn url(&self) -> String {
        self.cmd("GET", "/url", Value::Null)
            .as_str()
            .unwrap()
            .to_string()
    }

    pub fn source(&self) -> String {
        self.cmd("GET", "/source", Value::Null)
            .as_str()
            .unwrap()
            .to_string()
    }

    pub fn try_find(&self, css: &str) -> Option<String> {
        let v = self.try_cmd(
            "POST",
            "/element",
            json!({ "using": "css selector", "value": css }),
        )?;
        v.as_object()?.values().next()?.as_str().map(str::to_string)
    }

    pub fn find(&self, css: &str) -> String {
        self.try_find(css)
            .unwrap_or_else(|| panic!("no element {css} on {}", self.url()))
    }

    /// Waits up to `secs` for an element.
    pub fn wait(&self, css: &str, secs: u64) -> String {
        let t0 = Instant::now();
        loop {
            if let Some(e) = self.try_find(css) {
                return e;
            }
            if t0.elapsed() > Duration::from_secs(secs) {
                panic!(
                    "no element {css} after {secs} s on {}:\n{}",
                    self.url(),
                    self.text("body")
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn click(&self, css: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/click"), json!({}));
    }

    /// Clears the field and types `text`. The pages refresh parts of
    /// themselves live (a new block), which can replace the element between
    /// finding it and typing: then it is found again (a few times at most).
    pub fn type_into(&self, css: &str, text: &str) {
        for _ in 0..4 {
            // A page that is still loading (after a click that navigates)
            // may not have the element yet: wait for it.
            let e = self.wait(css, 10);
            if self
                .try_cmd("POST", &format!("/element/{e}/clear"), json!({}))
                .is_some()
                && self
                    .try_cmd(
                        "POST",
                        &format!("/element/{e}/value"),
                        json!({ "text": text }),
                    )
                    .is_some()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("cannot type into {css}: the element keeps going stale");
    }

    pub fn text(&self, css: &str) -> String {
        match self.try_find(css) {
            Some(e) => self
                .try_cmd("GET", &format!("/element/{e}/text"), Value::Null)
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            None => String::new(),
        }
    }

    pub fn attr(&self, css: &str, name: &str) -> String {
        let e = self.find(css);
        self.cmd(
            "GET",
            &format!("/element/{e}/attribute/{name}"),
            Value::Null,
        )
        .as_str()
        .unwrap_or("")
        .to_string()
    }

    /// Waits up to `secs` until `css`'s text satisfies `ok`; returns it.
    pub fn wait_text(&self, css: &str, secs: u64, ok: impl Fn(&str) -> bool) -> String {
        let t0 = Instant::now();
        loop {
            let t = self.text(css);
            if ok(&t) {
                return t;
            }
            if t0.elapsed() > Duration::from_secs(secs) {
                panic!(
                    "{css} is {t:?} after {secs} s on {}:\n{}",
                    self.url(),
                    self.text("body")
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Runs a script in the page and returns its value.
    pub fn script(&self, js: &str) -> Value {
        self.cmd("POST", "/execute/sync", json!({ "script": js, "args": [] }))
    }

    /// Runs an asynchronous script (its last argument is the callback).
    pub fn script_async(&self, js: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/async",
            json!({ "script": js, "args": [] }),
        )
    }

    /// A PNG screenshot of the viewport.
    pub fn screenshot(&self, path: &Path) {
        use base64::Engine;
        let v = self.cmd("GET", "/screenshot", Value::Null);
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap();
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let p = format!("/session/{}", self.session);
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                http("DELETE", &self.addr, &p, &[], None)
            }));
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
