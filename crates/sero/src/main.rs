//! `sero`: the SERO command-line tool.
//!
//! `main` sets up logging, parses the command line and hands it to [`run`],
//! which dispatches to one module per subcommand under `cli/`. Every
//! subcommand returns a [`Report`] (human text plus a JSON object) or a
//! [`CliError`]; `output` prints either in the chosen format.

mod cli;
mod output;

use clap::{Parser, Subcommand};
use output::{CliError, Report};
use std::process::ExitCode;

const ABOUT: &str =
    "SERO: a privacy blockchain. Accounts, one-time addresses, sealed messages and signatures.";

const LONG_ABOUT: &str = "\
SERO is a privacy-preserving blockchain in which neither the recipient, the \
amount nor the asset type of a transaction is visible on chain. An account \
is a 32-byte seed, backed up as a 24-word mnemonic, from which follow the \
secret key SK (spends), the trace key TK (recognises and opens incoming \
outputs but cannot spend) and the payment address PK (shared with payers). \
A payer never writes PK on chain: for every output it derives a fresh, \
unlinkable one-time address PKr from it, which only the matching TK can \
recognise, seals the output's details to that PKr, and the owner later \
proves ownership with a PKr signature made from SK; amounts and asset types \
are hidden by zero-knowledge proofs.";

const AFTER_HELP: &str = "\
Exit codes:
  0  success (and positive answers: \"mine\", \"valid\")
  1  a well-formed question with a negative answer (\"not mine\", \"invalid\")
     or an operation that failed (a message that cannot be opened, signing
     for a PKr of another key)
  2  malformed arguments: unknown flags, missing values, and values that do
     not parse (bad base58, bad checksum, wrong key type, wrong length,
     non-canonical points or scalars, bad hex, a sealed message shorter than
     its 48-byte overhead, a mnemonic that is not 24 valid words)

With --json, stdout carries exactly one JSON object, errors included:
{\"error\": \"...\"}, with the same exit codes. Without --json, errors go
to stderr. Logging (RUST_LOG, default \"warn\") always goes to stderr.";

#[derive(Parser)]
#[command(name = "sero", version, about = ABOUT, long_about = LONG_ABOUT, after_help = AFTER_HELP)]
struct Cli {
    /// Print one JSON object on stdout instead of human-readable text; errors
    /// are printed on stdout as {"error": "..."}.
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Accounts and addresses: create, show, derive one-time addresses,
    /// recognise, seal and open messages, sign and verify.
    Keys(Box<cli::keys::KeysArgs>),
    /// Write or check the protocol test vectors (test-vectors/*.json).
    Vectors(cli::vectors::VectorsArgs),
    /// Run a single-node development chain: embedded store, a funded
    /// development account, a block every few seconds, JSON-RPC on loopback.
    Dev(cli::dev::DevArgs),
    /// Run a node of a multi-node network: SE-Random consensus (VRF
    /// sortition + BA★) over libp2p, JSON-RPC on loopback. With
    /// --validator-key it proposes and votes.
    Node(Box<cli::node::NodeArgs>),
    /// Start a local network of N validators on loopback with a shared
    /// genesis (or, with --init-only, write the genesis and print the node
    /// command lines).
    Testnet(cli::testnet::TestnetCli),
    /// The wallet: scan with the trace key, balances, send, audit.
    Wallet(Box<cli::wallet::WalletArgs>),
    /// Contracts: deploy, call with an asset from the wallet, read-only
    /// calls, receipts.
    Contract(Box<cli::contract::ContractArgs>),
    /// Measure performance: `sero bench zk` (proving, verification, batch
    /// verification, peak memory of both circuits) and `sero bench ledger`
    /// (transaction validation, block apply, wallet scan rate).
    Bench(cli::bench::BenchArgs),
    /// Simulate BA★ on many seeds (faults, Byzantine validators) and check safety and liveness.
    Sim(cli::sim::SimArgs),
    /// Mining licences (whitepaper §3.3): issuer keys, issue, verify.
    License(cli::license::LicenseArgs),
    /// The trusted-setup ceremony: Powers of Tau (phase 1) and per-circuit
    /// phase 2 — contribute, beacon, verify, export the parameters.
    Ceremony(cli::ceremony::CeremonyArgs),
    /// State snapshots: download the one a node serves (`sero node
    /// --snapshot FILE|URL` joins a network from it, verified).
    Snapshot(cli::snapshot::SnapshotArgs),
}

fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let report: Report = match cli.command {
        Command::Keys(args) => cli::keys::run(*args)?,
        Command::Vectors(args) => cli::vectors::run(args)?,
        Command::Bench(args) => cli::bench::run(args, cli.json)?,
        Command::Sim(args) => cli::sim::run(args)?,
        Command::Dev(args) => cli::dev::run(args)?,
        Command::Node(args) => cli::node::run(*args)?,
        Command::Testnet(args) => cli::testnet::run(args)?,
        Command::Wallet(args) => cli::wallet::run(*args, cli.json)?,
        Command::Contract(args) => cli::contract::run(*args, cli.json)?,
        Command::License(args) => cli::license::run(args)?,
        Command::Ceremony(args) => cli::ceremony::run(args)?,
        Command::Snapshot(args) => cli::snapshot::run(args)?,
    };
    Ok(report.print(cli.json))
}

fn main() -> ExitCode {
    init_tracing();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return output::clap_error(&e, output::json_requested()),
    };
    let json = cli.json;
    run(cli).unwrap_or_else(|e| e.print(json))
}

/// Logs to stderr, filtered by `RUST_LOG` (default `warn`). arkworks'
/// constraint-system spans are always off: recording one span per
/// constraint makes parameter generation and proving orders of magnitude
/// slower once `info` is enabled.
fn init_tracing() {
    let base = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into());
    let filter = tracing_subscriber::EnvFilter::try_new(format!("{base},r1cs=off,gr1cs=off"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
