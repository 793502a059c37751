//! The web wallet and explorer (`sero-web`) as `sero dev` and `sero node`
//! serve them: the wallet backend is the CLI wallet's code, talking to the
//! node's own JSON-RPC like `sero wallet` does.

use super::wallet::{web_scan, web_send, SendOpts};
use crate::output::CliError;
use clap::Args;
use sero_keys::{SecretKey, TraceKey};
use sero_rpc::Node;
use sero_web::{SendRequest, WalletBackend, WalletScan, WebConfig, WebHandle};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Web options shared by `sero dev` and `sero node`.
#[derive(Args, Clone)]
pub struct WebArgs {
    /// Serve the web wallet and explorer on this address (`sero dev`: the
    /// RPC address's next port, 127.0.0.1:9546 by default, or a free port
    /// when the RPC port is 0, unless --no-web; `sero node`: off unless
    /// given).
    /// The wallet is served only on a loopback address.
    #[arg(long, value_name = "ADDR")]
    pub web: Option<String>,
    /// Do not serve the web app.
    #[arg(long, conflicts_with = "web")]
    pub no_web: bool,
    /// Where the web wallet keeps its keystores (`keystores/NAME.json`) and
    /// the transactions it sent until they are in a block (`pending/`).
    #[arg(
        long,
        env = "SERO_WALLET_DIR",
        value_name = "DIR",
        default_value = ".sero-wallet"
    )]
    pub wallet_dir: PathBuf,
}

/// The CLI wallet as the web wallet's backend.
struct CliWallet {
    rpc: String,
    wallet_dir: PathBuf,
    handle: tokio::runtime::Handle,
}

/// "node unreachable" for transport failures, the message otherwise.
fn message(e: CliError) -> String {
    let m = e.to_string();
    let l = m.to_lowercase();
    if l.contains("connect")
        || l.contains("transport")
        || l.contains("networking")
        || l.contains("timed out")
    {
        format!("node unreachable: {m}")
    } else {
        m
    }
}

impl CliWallet {
    fn client(&self) -> Result<super::wallet::Client, String> {
        sero_rpc::client(&self.rpc).map_err(|e| format!("node unreachable: {e}"))
    }
}

impl WalletBackend for CliWallet {
    fn scan(&self, tk: &TraceKey, sk: Option<&SecretKey>) -> Result<WalletScan, String> {
        let client = self.client()?;
        let opts = SendOpts::new(None, &self.wallet_dir);
        self.handle
            .block_on(web_scan(&client, &opts, tk, sk))
            .map_err(message)
    }

    fn send(
        &self,
        sk: &SecretKey,
        req: &SendRequest,
        progress: &(dyn Fn(&str, usize, usize) + Sync),
    ) -> Result<String, String> {
        let client = self.client()?;
        let opts = SendOpts::new(None, &self.wallet_dir);
        self.handle
            .block_on(web_send(&client, &opts, sk, req, progress))
            .map_err(message)
    }

    fn call_contract(
        &self,
        sk: &SecretKey,
        req: &sero_web::CallRequest,
        progress: &(dyn Fn(&str, usize, usize) + Sync),
    ) -> Result<String, String> {
        let client = self.client()?;
        let opts = SendOpts::new(None, &self.wallet_dir);
        self.handle
            .block_on(super::contract::web_call(&client, &opts, sk, req, progress))
            .map_err(message)
    }
}

/// The web address beside the RPC server bound at `rpc` (asked for as
/// `asked`): the next port, or a free port when the RPC port was asked as 0.
pub fn default_addr(asked: &str, rpc: SocketAddr) -> String {
    let any = asked.rsplit(':').next().is_some_and(|p| p == "0");
    let port = if any {
        0
    } else {
        rpc.port().checked_add(1).unwrap_or(0)
    };
    SocketAddr::new(rpc.ip(), port).to_string()
}

/// Starts the web app next to the JSON-RPC server at `rpc` and prints
/// where to open it. Call inside the node's runtime.
pub async fn start(
    node: Arc<Mutex<Node>>,
    rpc: SocketAddr,
    addr: &str,
    wallet_dir: PathBuf,
) -> Result<WebHandle, CliError> {
    let backend = Arc::new(CliWallet {
        rpc: format!("http://{rpc}"),
        wallet_dir: wallet_dir.clone(),
        handle: tokio::runtime::Handle::current(),
    });
    let cfg = WebConfig {
        addr: addr.to_string(),
        wallet_dir,
        wallet_on_any_address: false,
        token: None,
    };
    let web = sero_web::serve(node, backend, cfg)
        .await
        .map_err(|e| CliError::Failed(format!("cannot serve the web app on {addr}: {e}")))?;
    println!("  web            : {}", web.url());
    if web.wallet {
        println!("  wallet         : {}", web.wallet_url());
    } else {
        println!("  wallet         : not served (the web address is not loopback)");
    }
    println!("open {}", web.url());
    Ok(web)
}
