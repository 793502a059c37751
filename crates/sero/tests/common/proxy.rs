//! A JSON-RPC proxy on a real socket between a wallet and a node, for the
//! tests of wallets against untrusted nodes: it forwards each HTTP/1.1
//! request (one per connection) and lets the test rewrite the reply of
//! each call — a lying node (`e2e_verifying_wallet`).

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// Rewrites `result` of a call to `method` with `params`.
pub type Rewrite = Box<dyn Fn(&str, &Value, Value) -> Value + Send>;

/// A running proxy: its URL and the rewrite it applies (none: honest).
pub struct Proxy {
    pub url: String,
    rewrite: Arc<Mutex<Option<Rewrite>>>,
}

impl Proxy {
    /// Starts a proxy to `upstream` (`http://host:port`).
    pub fn start(upstream: &str) -> Proxy {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        let rewrite: Arc<Mutex<Option<Rewrite>>> = Arc::new(Mutex::new(None));
        let (up, rw) = (upstream.to_string(), rewrite.clone());
        std::thread::spawn(move || {
            for c in l.incoming() {
                let Ok(c) = c else { continue };
                let (up, rw) = (up.clone(), rw.clone());
                std::thread::spawn(move || {
                    let _ = relay(c, &up, &rw);
                });
            }
        });
        Proxy { url, rewrite }
    }

    /// From now on, replies go through `f`.
    pub fn lie(&self, f: impl Fn(&str, &Value, Value) -> Value + Send + 'static) {
        *self.rewrite.lock().unwrap() = Some(Box::new(f));
    }

    /// From now on, replies pass unchanged.
    pub fn honest(&self) {
        *self.rewrite.lock().unwrap() = None;
    }
}

fn relay(
    client: TcpStream,
    upstream: &str,
    rewrite: &Mutex<Option<Rewrite>>,
) -> std::io::Result<()> {
    let mut r = BufReader::new(client.try_clone()?);
    let mut head = String::new();
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
        if !lower.starts_with("connection:") {
            head.push_str(&line);
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut up = TcpStream::connect(upstream.strip_prefix("http://").unwrap())?;
    up.write_all(head.as_bytes())?;
    up.write_all(b"Connection: close\r\n\r\n")?;
    up.write_all(&body)?;
    let mut resp = vec![];
    up.read_to_end(&mut resp)?;
    let split = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
        .unwrap_or(resp.len());
    let mut reply: Value = serde_json::from_slice(&resp[split..]).unwrap_or(Value::Null);
    if let Some(f) = rewrite.lock().unwrap().as_ref() {
        let method = request["method"].as_str().unwrap_or("");
        if let Some(result) = reply.get_mut("result") {
            *result = f(method, &request["params"], result.take());
        }
    }
    let out = serde_json::to_vec(&reply).unwrap();
    let mut c = client;
    write!(
        c,
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        out.len()
    )?;
    c.write_all(&out)?;
    Ok(())
}
