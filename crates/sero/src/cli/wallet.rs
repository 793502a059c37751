//! `sero wallet`: encrypted keystores (create, restore), scan the chain with
//! a trace key over JSON-RPC, show balances and history, send payments,
//! stake and unbond in the public validator registry, audit with a TK.
//!
//! Commands that act for an account take exactly one of `--mnemonic` and
//! `--keystore FILE`. A keystore's passphrase comes from `--passphrase`,
//! else `SERO_PASSPHRASE`, else one line of stdin when stdin is not a
//! terminal, else a prompt. `receive --keystore` needs no passphrase: the
//! payment address is stored in clear.

use crate::output::{fail, CliError, Report};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use rand_core::OsRng;
use serde_json::json;
use sero_assets::package::{
    open as open_package, package_ticket, PackageContents, PackageKey, SealedPackage,
    MAX_PACKAGE_DATA,
};
use sero_assets::{Asset, AssetCommitment, Category, Currency, Ticket, TicketId};
use sero_crypto::curve::encode_base;
use sero_keys::{OneTimeAddress, PaymentAddress, SecretKey, Seed, TraceKey};
use sero_ledger::builder::{
    build_transaction_ext, register_action, stake_refund_pkr, Extras, Network, PackageRequest,
    Recipient, SpendableNote,
};
use sero_ledger::note_plaintext::open_sealed;
use sero_ledger::package::created_id;
use sero_ledger::{PackageAction, StakeAction};
use sero_node::scan::OutputRecord;
use sero_rpc::{SeroApiClient, TilEntry};
use sero_tree::cm_auth;
use sero_wallet::pending::{PendingStore, PendingTx};
use sero_wallet::{Keystore, WalletError};
use sero_zk::note::{nullifier, trace_tag, Note};
use sero_zk::params::{Parameters, DEV_SEED, DEV_VK_HASH};
use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::time::Duration;
use zeroize::Zeroizing;

pub(crate) type Client = sero_rpc::jsonrpsee::http_client::HttpClient;

/// How a command reaches the network: the node, the parameters it proves
/// with, and where it records what it sends (shared by `sero wallet` and
/// `sero contract`).
#[derive(Args)]
pub(crate) struct NodeOpts {
    /// The node's JSON-RPC URL.
    #[arg(
        long,
        global = true,
        env = "SERO_RPC",
        default_value = "http://127.0.0.1:9545"
    )]
    rpc: String,
    /// The network's zk parameter file (needed to send on a network that
    /// does not run on the development parameters). Its verifying-key hash
    /// must be the node's.
    #[arg(long, global = true, env = "SERO_PARAMS", value_name = "FILE")]
    params: Option<PathBuf>,
    /// Where the wallet keeps the transactions it sent until they are in a
    /// block (recorded before they are submitted; see `wallet pending`).
    #[arg(
        long,
        global = true,
        env = "SERO_WALLET_DIR",
        value_name = "DIR",
        default_value = ".sero-wallet"
    )]
    wallet_dir: PathBuf,
    /// The network's genesis file, trusted: the wallet verifies every
    /// header the node sends from it (BA★ certificates, validator-set
    /// changes) and every block against its header. Without it the wallet
    /// uses the genesis pinned in its directory, else trusts the node's on
    /// first use and pins it. A dev chain has none (unverified).
    #[arg(long, global = true, env = "SERO_GENESIS", value_name = "FILE")]
    genesis: Option<PathBuf>,
}

impl NodeOpts {
    /// The RPC client and the send options.
    pub(crate) fn connect(&self) -> Result<(Client, SendOpts), CliError> {
        let client =
            sero_rpc::client(&self.rpc).map_err(|e| CliError::Usage(format!("--rpc: {e}")))?;
        let mut opts = SendOpts::new(self.params.clone(), &self.wallet_dir);
        opts.genesis = self.genesis.clone();
        Ok((client, opts))
    }
}

#[derive(Args)]
pub struct WalletArgs {
    #[command(flatten)]
    node: NodeOpts,
    #[command(subcommand)]
    cmd: WalletCommand,
}

/// The account a command acts for: exactly one of `--mnemonic` and
/// `--keystore` (clap refuses both or neither with exit 2).
#[derive(Args)]
#[group(id = "account", required = true, multiple = false, args = ["mnemonic", "keystore"])]
pub(crate) struct Account {
    /// The account's 24-word mnemonic.
    #[arg(long, env = "SERO_MNEMONIC", hide_env_values = true)]
    mnemonic: Option<String>,
    /// An encrypted keystore (see `sero wallet create`), instead of
    /// --mnemonic (SERO_MNEMONIC counts as --mnemonic: unset it).
    #[arg(long, value_name = "FILE")]
    keystore: Option<PathBuf>,
    #[command(flatten)]
    passphrase: Passphrase,
}

/// Where a keystore passphrase comes from.
#[derive(Args)]
struct Passphrase {
    /// The keystore's passphrase. Without it (and without SERO_PASSPHRASE)
    /// it is read as one line from stdin when stdin is not a terminal, or
    /// prompted for. A command-line value is visible to other local users:
    /// prefer the environment variable or stdin.
    #[arg(long, env = "SERO_PASSPHRASE", hide_env_values = true)]
    passphrase: Option<String>,
}

#[derive(Subcommand)]
enum WalletCommand {
    /// Create a new account in an encrypted keystore file and print its
    /// mnemonic, once, for the offline backup.
    Create {
        /// The keystore file to write (must not exist).
        #[arg(long, value_name = "FILE")]
        keystore: PathBuf,
        #[command(flatten)]
        passphrase: Passphrase,
    },
    /// Write an existing account (from its mnemonic) into an encrypted
    /// keystore file.
    Restore {
        /// The keystore file to write (must not exist).
        #[arg(long, value_name = "FILE")]
        keystore: PathBuf,
        /// The account's 24-word mnemonic.
        #[arg(long, env = "SERO_MNEMONIC", hide_env_values = true)]
        mnemonic: String,
        #[command(flatten)]
        passphrase: Passphrase,
    },
    /// Print the payment address (PK) to receive payments (a keystore needs
    /// no passphrase for this).
    Receive {
        #[command(flatten)]
        account: Account,
    },
    /// Scan the chain and print balances per currency and the unspent notes.
    Balance {
        #[command(flatten)]
        account: Account,
    },
    /// Every note received, with its memo and, once spent, the spending
    /// transaction and block.
    History {
        #[command(flatten)]
        account: Account,
    },
    /// Pay someone: proves and submits a private transaction.
    Send {
        #[command(flatten)]
        account: Account,
        /// The recipient's payment address (PK) or one-time address (PKr).
        #[arg(long)]
        to: String,
        /// Amount of `--currency` (may be 0 when sending only a ticket).
        #[arg(long, default_value_t = 0)]
        amount: u128,
        #[arg(long, default_value = "SERO")]
        currency: Currency,
        /// A ticket to send with the payment, as CATEGORY:ID (ID: 64 hex digits).
        #[arg(long, value_parser = parse_ticket)]
        ticket: Option<Ticket>,
        /// A package to send (its id, 64 hex digits): a private transfer
        /// of its ticket, like any ticket's.
        #[arg(long, value_name = "ID", value_parser = parse_hex32, conflicts_with = "ticket")]
        package: Option<[u8; 32]>,
        /// Fee in SERO.
        #[arg(long, default_value_t = 10)]
        fee: u128,
        #[arg(long, default_value = "")]
        memo: String,
        /// Wait until the transaction is in a block.
        #[arg(long)]
        wait: bool,
        /// Do not submit: print the signed transaction as hex (for another
        /// machine, or `sero_sendRawTransaction`).
        #[arg(long, conflicts_with = "wait")]
        raw: bool,
    },
    /// Become a validator: lock --amount SERO (public, taken from the notes
    /// like the fee) in the stake registry under the vote key and VRF key
    /// of a validator key file, with a proof of possession of both keys
    /// (docs/protocol.md §11.1). The refund address is a one-time address
    /// of this account derived from the vote key, so `unbond` needs nothing
    /// but the account.
    Stake {
        #[command(flatten)]
        account: Account,
        /// The validator key file (64 hex characters, as `sero node
        /// --validator-key` reads): its vote and VRF keys are registered and
        /// sign the proof of possession.
        #[arg(long, value_name = "FILE")]
        validator_key: PathBuf,
        /// SERO to lock (at least the chain's minimum stake, at most 2^64 − 1).
        #[arg(long)]
        amount: u128,
        /// Fee in SERO.
        #[arg(long, default_value_t = 10)]
        fee: u128,
        /// Wait until the transaction is in a block.
        #[arg(long)]
        wait: bool,
        /// Do not submit: print the signed transaction as hex.
        #[arg(long, conflicts_with = "wait")]
        raw: bool,
    },
    /// Stop validating: the stake stops counting from the next block and
    /// is paid back to the refund address after the chain's unbonding
    /// delay. Only the account that staked can unbond.
    Unbond {
        #[command(flatten)]
        account: Account,
        /// The validator's vote key (32 bytes, hex).
        #[arg(long, value_name = "HEX", value_parser = parse_hex32)]
        vote_key: [u8; 32],
        /// Fee in SERO.
        #[arg(long, default_value_t = 10)]
        fee: u128,
        /// Wait until the transaction is in a block.
        #[arg(long)]
        wait: bool,
        /// Do not submit: print the signed transaction as hex.
        #[arg(long, conflicts_with = "wait")]
        raw: bool,
    },
    /// The transactions this wallet sent that are not yet in a block:
    /// checks each with the node, rebroadcasts those the node does not know
    /// (after a node restart or a lost connection), and forgets those
    /// included or no longer includable. Run it, rather than paying again,
    /// when a send ended without a clear answer.
    Pending,
    /// Packages: sealed bundles of assets and data that move privately and
    /// open with a key.
    Package {
        #[command(subcommand)]
        cmd: PackageCommand,
    },
    /// Watch-only view with a trace key: incoming notes and, through their
    /// trace tags, which were spent. Cannot spend, and cannot tell whether a
    /// note is spendable (that needs the spending key: `balance`, `history`).
    Audit {
        #[arg(long)]
        tk: TraceKey,
    },
}

#[derive(Subcommand)]
enum PackageCommand {
    /// Seal assets and/or data into a new package under a fresh key; its
    /// ticket goes to this account. Prints the package id and the key
    /// (give the key to whoever should open it, off chain).
    Create {
        #[command(flatten)]
        account: Account,
        /// Amount of `--currency` to seal.
        #[arg(long, default_value_t = 0)]
        amount: u128,
        #[arg(long, default_value = "SERO")]
        currency: Currency,
        /// A ticket to seal, as CATEGORY:ID.
        #[arg(long, value_parser = parse_ticket)]
        ticket: Option<Ticket>,
        /// A file of up to 4096 bytes to seal.
        #[arg(long, value_name = "FILE")]
        data: Option<PathBuf>,
        /// Fee in SERO.
        #[arg(long, default_value_t = 10)]
        fee: u128,
        /// Wait until the transaction is in a block.
        #[arg(long)]
        wait: bool,
    },
    /// Open a package this account holds with its key: its assets become
    /// ordinary notes of this account, its data is printed (and written
    /// to --out).
    Open {
        #[command(flatten)]
        account: Account,
        /// The package id (64 hex digits).
        #[arg(value_parser = parse_hex32)]
        id: [u8; 32],
        /// The package key (64 hex digits).
        #[arg(long)]
        key: PackageKey,
        /// Write the package's data to this file.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Fee in SERO.
        #[arg(long, default_value_t = 10)]
        fee: u128,
        /// Wait until the transaction is in a block.
        #[arg(long)]
        wait: bool,
    },
}

/// Parses `CATEGORY:ID` (ID: 64 hex digits, optional 0x).
fn parse_ticket(s: &str) -> Result<Ticket, String> {
    let (cat, id) = s
        .split_once(':')
        .ok_or_else(|| "expected CATEGORY:ID".to_string())?;
    Ok(Ticket {
        category: Category::new(cat).map_err(|e| e.to_string())?,
        id: id.parse::<TicketId>().map_err(|e| e.to_string())?,
    })
}

/// Parses 32 bytes of hex (optional 0x).
fn parse_hex32(s: &str) -> Result<[u8; 32], String> {
    let h = s.strip_prefix("0x").unwrap_or(s);
    let b = hex::decode(h).map_err(|e| format!("not hex: {e}"))?;
    b.as_slice()
        .try_into()
        .map_err(|_| format!("expected 32 bytes (64 hex digits), got {}", b.len()))
}

fn seed(mnemonic: &str) -> Result<Seed, CliError> {
    Seed::from_mnemonic(mnemonic).map_err(|e| CliError::Usage(format!("--mnemonic: {e}")))
}

fn key(mnemonic: &str) -> Result<SecretKey, CliError> {
    Ok(SecretKey::from_seed(&seed(mnemonic)?))
}

/// A keystore error as the CLI prints it: "keystore FILE: ...".
fn keystore_error(path: &Path, e: WalletError) -> CliError {
    let msg = match e {
        WalletError::Io { source, .. } => source.to_string(),
        e => e.to_string(),
    };
    fail(format!("keystore {}: {msg}", path.display()))
}

fn load(path: &Path) -> Result<Keystore, CliError> {
    Keystore::load(path).map_err(|e| keystore_error(path, e))
}

impl Passphrase {
    /// The passphrase: from the argument or environment, else one line of
    /// stdin when it is not a terminal, else a prompt. `new`: a passphrase
    /// for a keystore about to be written (prompted twice, not empty).
    fn read(&self, new: bool) -> Result<Zeroizing<String>, CliError> {
        let prompt_error = |e: std::io::Error| fail(format!("reading the passphrase: {e}"));
        let pw = match &self.passphrase {
            Some(p) => Zeroizing::new(p.clone()),
            None if std::io::stdin().is_terminal() => {
                let p = Zeroizing::new(
                    rpassword::prompt_password(if new {
                        "new keystore passphrase: "
                    } else {
                        "keystore passphrase: "
                    })
                    .map_err(prompt_error)?,
                );
                if new {
                    let again = Zeroizing::new(
                        rpassword::prompt_password("repeat the passphrase: ")
                            .map_err(prompt_error)?,
                    );
                    if *again != *p {
                        return Err(CliError::Usage("the two passphrases differ".into()));
                    }
                }
                p
            }
            None => {
                let mut line = Zeroizing::new(String::new());
                let n = std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .map_err(prompt_error)?;
                if n == 0 {
                    return Err(CliError::Usage(
                        "no passphrase: give --passphrase, set SERO_PASSPHRASE, or write it \
                         as one line on stdin"
                            .into(),
                    ));
                }
                let l = line.strip_suffix('\n').unwrap_or(&line);
                Zeroizing::new(l.strip_suffix('\r').unwrap_or(l).to_string())
            }
        };
        if new && pw.is_empty() {
            return Err(CliError::Usage("--passphrase: must not be empty".into()));
        }
        Ok(pw)
    }
}

impl Account {
    /// The payment address; from a keystore without its passphrase.
    fn payment_address(&self) -> Result<PaymentAddress, CliError> {
        match (&self.mnemonic, &self.keystore) {
            (Some(m), _) => Ok(key(m)?.payment_address()),
            (None, Some(path)) => Ok(load(path)?.payment_address()),
            (None, None) => Err(no_account()),
        }
    }

    /// The spending key; a keystore is unlocked with its passphrase.
    pub(crate) fn secret_key(&self) -> Result<SecretKey, CliError> {
        match (&self.mnemonic, &self.keystore) {
            (Some(m), _) => key(m),
            (None, Some(path)) => {
                let ks = load(path)?;
                let pw = self.passphrase.read(false)?;
                let seed = ks.unlock(&pw).map_err(|e| keystore_error(path, e))?;
                Ok(SecretKey::from_seed(&seed))
            }
            (None, None) => Err(no_account()),
        }
    }
}

fn no_account() -> CliError {
    CliError::Usage("give --mnemonic or --keystore".into())
}

/// Refuses to replace an existing file with a new keystore.
fn refuse_existing(path: &Path) -> Result<(), CliError> {
    if path.exists() || path.is_symlink() {
        return Err(fail(format!(
            "{} already exists: refusing to overwrite it (a keystore may be the only copy \
             of an account); choose another file",
            path.display()
        )));
    }
    Ok(())
}

const MNEMONIC_WARNING: &str = "WARNING: this mnemonic is shown only this once. Write it down \
and keep it offline: it restores the account without the keystore or its passphrase, and \
anyone who sees it can spend the account's funds.";

/// Writes `seed` into a new keystore at `path` and describes the account.
fn write_keystore(
    path: &Path,
    seed: &Seed,
    passphrase: &Passphrase,
) -> Result<(String, serde_json::Value), CliError> {
    refuse_existing(path)?;
    let pw = passphrase.read(true)?;
    Keystore::create(seed, &pw)
        .save(path)
        .map_err(|e| keystore_error(path, e))?;
    let sk = SecretKey::from_seed(seed);
    let (pk, tk) = (sk.payment_address().to_string(), sk.trace_key().to_string());
    Ok((
        format!(
            "keystore : {}\npk       : {pk}\ntk       : {tk}",
            path.display()
        ),
        json!({ "keystore": path.display().to_string(), "pk": pk, "tk": tk }),
    ))
}

/// Commands that need no node.
fn run_local(cmd: &WalletCommand) -> Option<Result<Report, CliError>> {
    Some(match cmd {
        WalletCommand::Create {
            keystore,
            passphrase,
        } => (|| {
            let seed = Seed::random(&mut OsRng);
            let (human, mut j) = write_keystore(keystore, &seed, passphrase)?;
            let mnemonic = seed.to_mnemonic();
            j["mnemonic"] = json!(mnemonic);
            j["warning"] = json!(MNEMONIC_WARNING);
            Ok(Report::new(
                format!("{human}\n\nmnemonic : {mnemonic}\n\n{MNEMONIC_WARNING}"),
                j,
            ))
        })(),
        WalletCommand::Restore {
            keystore,
            mnemonic,
            passphrase,
        } => (|| {
            let restored = seed(mnemonic)?;
            let (human, j) = write_keystore(keystore, &restored, passphrase)?;
            Ok(Report::new(human, j))
        })(),
        WalletCommand::Receive { account } => account.payment_address().map(|pk| {
            let pk = pk.to_string();
            Report::new(pk.clone(), json!({ "pk": pk }))
        }),
        _ => return None,
    })
}

fn bar(len: u64, msg: &str, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} {elapsed}")
            .expect("template")
            .progress_chars("=> "),
    );
    pb.set_message(msg.to_string());
    pb
}

/// A note of ours on chain.
struct Found {
    pos: u64,
    note: Note,
    /// The memo of a shielded output, when asked for (a plain output only
    /// has its hash on chain).
    memo: Option<Vec<u8>>,
}

/// What a scan learned, asking the node only for data that is the same
/// for every wallet (compact blocks: all outputs, all spends of a height
/// range), kept locally between commands (`wallet_sync`): the wallet's
/// notes, their Merkle paths (computed here, not asked for by position)
/// and their spends (found here through the trace tags, not asked for by
/// nullifier or trace tag).
struct Scanned {
    found: Vec<Found>,
    /// Position → path against the synced root.
    paths: std::collections::HashMap<u64, sero_tree::MerklePath>,
    /// Nullifier → (height, txid) of the spends of our notes.
    spent: std::collections::HashMap<[u8; 32], (u64, String)>,
    /// Trace tag → (height, txid) of the spends of our notes.
    tils: std::collections::HashMap<[u8; 32], (u64, String)>,
    /// `{height, blocks, outputs}`: the synced height and what this sync
    /// downloaded.
    sync: serde_json::Value,
}

impl Scanned {
    /// The spend of a note of ours, found locally through its trace tag.
    fn spend_of(&self, tk: &TraceKey, pos: u64, n: &Note) -> Result<Option<TilEntry>, CliError> {
        let til = encode_base(&trace_tag(&tk.vsk(), leaf(pos, n)?));
        Ok(self.tils.get(&til).map(|(height, txid)| TilEntry {
            txid: txid.clone(),
            height: *height,
        }))
    }

    /// The path of our note at `pos`, kept current by the sync.
    fn path(&self, pos: u64) -> Result<sero_tree::MerklePath, CliError> {
        self.paths
            .get(&pos)
            .copied()
            .ok_or_else(|| fail(format!("no path for note #{pos}")))
    }
}

/// All notes of `tk` on chain, with their positions.
async fn scan(
    client: &Client,
    tk: &TraceKey,
    opts: &SendOpts,
    quiet: bool,
) -> Result<Scanned, CliError> {
    scan_notes(client, tk, false, opts, quiet).await
}

fn hex32(s: &str) -> Option<[u8; 32]> {
    hex::decode(s).ok()?.try_into().ok()
}

/// All notes of `tk` on chain, with their memos if `memos`: syncs the
/// local state under the wallet directory (only the blocks since the last
/// command are downloaded), then reads it.
async fn scan_notes(
    client: &Client,
    tk: &TraceKey,
    memos: bool,
    opts: &SendOpts,
    quiet: bool,
) -> Result<Scanned, CliError> {
    let (st, stats) =
        super::wallet_sync::sync(client, tk, &opts.sync_dir, opts.genesis.as_deref(), quiet)
            .await?;
    tracing::debug!(
        blocks = stats.blocks,
        outputs = stats.outputs,
        "wallet synced"
    );
    let mut s = Scanned {
        found: vec![],
        paths: Default::default(),
        spent: Default::default(),
        tils: Default::default(),
        sync: json!({
            "height": st.height(),
            "blocks": stats.blocks,
            "outputs": stats.outputs,
            "verified": st.verified(),
            "node_tip": stats.node_tip,
        }),
    };
    for (n, til) in st.notes.into_iter().zip(st.tils) {
        let memo = match &n.record {
            OutputRecord::Shielded {
                pkr,
                cm_out,
                sealed_note,
            } if memos => open_sealed(tk, pkr, cm_out, sealed_note).map(|(pt, _)| pt.memo),
            _ => None,
        };
        if let Some(sp) = &n.spent {
            let nil =
                hex32(&sp.nil).ok_or_else(|| fail("malformed nullifier in the sync state"))?;
            s.spent.insert(nil, (sp.height, sp.txid.clone()));
            s.tils.insert(til, (sp.height, sp.txid.clone()));
        }
        s.paths.insert(n.pos, n.path);
        s.found.push(Found {
            pos: n.pos,
            note: n.note,
            memo,
        });
    }
    Ok(s)
}

fn leaf(pos: u64, note: &Note) -> Result<sero_crypto::Base, CliError> {
    Ok(cm_auth(pos, note.cm_out().map_err(fail)?))
}

/// The unspent notes of `sk` that hold something: those it can spend, and
/// apart those it recognises but can never spend (a one-time address with
/// `ZPKr ≠ zsk·BASEr`, which only a payer crafting it can produce): they
/// count in no balance and are never selected.
async fn unspent(
    client: &Client,
    sk: &SecretKey,
    opts: &SendOpts,
    quiet: bool,
) -> Result<Unspent, CliError> {
    let scanned = scan(client, &sk.trace_key(), opts, quiet).await?;
    let mut out = vec![];
    let mut unspendable = vec![];
    for f in &scanned.found {
        let (pos, note) = (f.pos, f.note);
        if note.asset.value == 0 && note.asset.ticket.is_none() {
            // A zero-value note (the builder's second output when there is
            // no change): nothing to count or spend.
            continue;
        }
        if !sk.can_spend(&note.pkr) {
            unspendable.push((pos, note));
            continue;
        }
        // Spent or not, decided here from the spends every wallet
        // downloads: the node is not asked about this nullifier.
        let nil = encode_base(&nullifier(&sk.zsk(), leaf(pos, &note)?));
        if !scanned.spent.contains_key(&nil) {
            out.push((pos, note));
        }
    }
    Ok(Unspent {
        spendable: out,
        unspendable,
        scanned,
    })
}

/// What [`unspent`] found.
struct Unspent {
    spendable: Vec<(u64, Note)>,
    unspendable: Vec<(u64, Note)>,
    scanned: Scanned,
}

fn balances(notes: &[(u64, Note)]) -> (BTreeMap<String, u128>, Vec<String>) {
    let mut b: BTreeMap<String, u128> = BTreeMap::new();
    let mut tickets = vec![];
    for (_, n) in notes {
        if n.asset.value > 0 {
            *b.entry(n.asset.currency.to_string()).or_default() += n.asset.value;
        }
        if let Some(t) = n.asset.ticket {
            tickets.push(format!("{}:{}", t.category, t.id));
        }
    }
    (b, tickets)
}

fn note_json(pos: u64, n: &Note) -> serde_json::Value {
    json!({
        "position": pos,
        "currency": n.asset.currency.to_string(),
        "value": n.asset.value.to_string(),
        "ticket": n.asset.ticket.map(|t| format!("{}:{}", t.category, t.id)),
    })
}

fn asset_text(n: &Note) -> String {
    format!(
        "{} {}{}",
        n.asset.value,
        n.asset.currency,
        n.asset
            .ticket
            .map(|t| format!(" + ticket {}:{}", t.category, t.id))
            .unwrap_or_default()
    )
}

fn spend_text(spent: &Option<TilEntry>) -> String {
    match spent {
        Some(s) => format!("spent in {} at block {}", s.txid, s.height),
        None => "unspent".into(),
    }
}

/// A memo for a terminal: quoted with control characters escaped (a
/// sender chooses it), or hex when it is not UTF-8.
fn memo_text(memo: &[u8]) -> String {
    match std::str::from_utf8(memo) {
        Ok(s) => format!("{s:?}"),
        Err(_) => format!("0x{}", hex::encode(memo)),
    }
}

/// Why a watch-only view cannot say whether a note is spendable.
const SPENDABILITY_UNVERIFIED: &str = "spendability unverified: a trace key recognises a note \
by VPKr = vsk·ZPKr but cannot check ZPKr = zsk·BASEr, so a payer can send notes listed here \
that nobody can spend (the spending key's `wallet balance` and `history` set them apart)";

/// Every note of `tk` with its spend; with memos for `history`. With the
/// spending key `sk`, notes it cannot spend are marked "unspendable";
/// without it (watch-only) spendability is reported as unverified.
async fn notes_report(
    client: &Client,
    tk: &TraceKey,
    sk: Option<&SecretKey>,
    memos: bool,
    opts: &SendOpts,
    quiet: bool,
) -> Result<Report, CliError> {
    let scanned = scan_notes(client, tk, memos, opts, quiet).await?;
    let notes = &scanned.found;
    let mut rows = vec![];
    let mut human = vec![];
    for f in notes {
        let (pos, n) = (f.pos, &f.note);
        let spent = scanned.spend_of(tk, pos, n)?;
        let mut j = note_json(pos, n);
        let mut line = format!("note #{pos}: {}", asset_text(n));
        if memos {
            match &f.memo {
                Some(m) if m.is_empty() => {}
                Some(m) => line.push_str(&format!(", memo {}", memo_text(m))),
                None => line.push_str(", plain output (memo not on chain)"),
            }
            j["memo"] = json!(f
                .memo
                .as_ref()
                .and_then(|m| String::from_utf8(m.clone()).ok()));
            j["memo_hex"] = json!(f.memo.as_ref().map(hex::encode));
        }
        let spendable = sk.map(|k| k.can_spend(&n.pkr));
        if spendable == Some(false) {
            line.push_str(" — UNSPENDABLE (malformed one-time address: not counted)");
        }
        j["spendable"] = json!(spendable);
        human.push(format!("{line} — {}", spend_text(&spent)));
        j["spent_in"] = json!(spent.as_ref().map(|s| &s.txid));
        j["spent_at"] = json!(spent.as_ref().map(|s| s.height));
        rows.push(j);
    }
    if human.is_empty() {
        human.push("no notes".into());
    }
    let mut j = json!({ "notes": rows });
    if sk.is_none() {
        human.push(format!("note: {SPENDABILITY_UNVERIFIED}"));
        j["spendability"] = json!(SPENDABILITY_UNVERIFIED);
    }
    Ok(Report::new(human.join("\n"), j))
}

pub fn run(args: WalletArgs, quiet: bool) -> Result<Report, CliError> {
    if let Some(r) = run_local(&args.cmd) {
        return r;
    }
    let rt = tokio::runtime::Runtime::new().map_err(fail)?;
    let (client, opts) = args.node.connect()?;
    let opts = &opts;
    rt.block_on(async move {
        match args.cmd {
            WalletCommand::Create { .. }
            | WalletCommand::Restore { .. }
            | WalletCommand::Receive { .. } => unreachable!("run_local handles it"),
            WalletCommand::Balance { account } => {
                let sk = account.secret_key()?;
                let Unspent {
                    spendable: notes,
                    unspendable,
                    scanned,
                } = unspent(&client, &sk, opts, quiet).await?;
                let (b, tickets) = balances(&notes);
                let mut human: Vec<String> = b.iter().map(|(c, v)| format!("{v} {c}")).collect();
                human.extend(tickets.iter().map(|t| format!("ticket {t}")));
                if human.is_empty() {
                    human.push("no funds".into());
                }
                for (p, n) in &unspendable {
                    human.push(format!(
                        "unspendable note #{p}: {} (malformed one-time address: not counted)",
                        asset_text(n)
                    ));
                }
                Ok(Report::new(
                    human.join("\n"),
                    json!({
                        "balances": b.iter().map(|(c, v)| (c.clone(), v.to_string())).collect::<BTreeMap<_, _>>(),
                        "tickets": tickets,
                        "notes": notes.iter().map(|(p, n)| note_json(*p, n)).collect::<Vec<_>>(),
                        "unspendable": unspendable.iter().map(|(p, n)| note_json(*p, n)).collect::<Vec<_>>(),
                        "sync": scanned.sync,
                    }),
                ))
            }
            WalletCommand::Audit { tk } => notes_report(&client, &tk, None, false, opts, quiet).await,
            WalletCommand::Pending => pending_report(&client, opts).await,
            WalletCommand::History { account } => {
                let sk = account.secret_key()?;
                notes_report(&client, &sk.trace_key(), Some(&sk), true, opts, quiet).await
            }
            WalletCommand::Package { cmd } => package(&client, opts, cmd, quiet).await,
            WalletCommand::Send { account, to, amount, currency, ticket, package, fee, memo, wait, raw } => {
                let ticket = ticket.or(package.map(|id| package_ticket(&id)));
                if amount == 0 && ticket.is_none() {
                    return Err(CliError::Usage("nothing to send: give --amount and/or --ticket or --package".into()));
                }
                let pkr = match to.parse::<PaymentAddress>() {
                    Ok(pk) => pk.derive_pkr(&mut OsRng),
                    Err(_) => to.parse::<OneTimeAddress>().map_err(|e| {
                        CliError::Usage(format!("--to: not a payment address (PK) nor a one-time address (PKr): {e}"))
                    })?,
                };
                let sk = account.secret_key()?;
                let recipients = vec![Recipient {
                    pkr,
                    asset: Asset { currency, value: amount, ticket },
                    memo: memo.into_bytes(),
                    plain: false,
                }];
                let (txid, height) =
                    match submit(&client, opts, &sk, recipients, fee, None, wait, raw, quiet).await? {
                        Submitted::Raw(report) => return Ok(report),
                        Submitted::Sent { txid, height, .. } => (txid, height),
                    };
                let human = match height {
                    Some(h) => format!("sent {amount} {currency}: transaction {txid} included in block {h}"),
                    None => format!("sent {amount} {currency}: transaction {txid} pending"),
                };
                Ok(Report::new(human, json!({ "txid": txid, "height": height })))
            }
            WalletCommand::Stake { account, validator_key, amount, fee, wait, raw } => {
                if amount == 0 || amount > u64::MAX as u128 {
                    return Err(CliError::Usage(format!(
                        "--amount: must be between 1 and {} (the largest stake weight)",
                        u64::MAX
                    )));
                }
                let keys = crate::cli::node::read_validator_key(&validator_key)?;
                let sk = account.secret_key()?;
                let vote_key = keys.vote_public().to_bytes();
                let chain_id = chain_id_of(&client).await?;
                let action = register_action(&sk, &chain_id, &keys, amount);
                let refund = stake_refund_pkr(&sk, &vote_key).to_string();
                let (txid, height) =
                    match submit(&client, opts, &sk, vec![], fee, Some(action), wait, raw, quiet).await? {
                        Submitted::Raw(report) => return Ok(report),
                        Submitted::Sent { txid, height, .. } => (txid, height),
                    };
                let vk = hex::encode(vote_key);
                let human = match height {
                    Some(h) => format!("staked {amount} SERO for validator {vk}: transaction {txid} included in block {h}"),
                    None => format!("staked {amount} SERO for validator {vk}: transaction {txid} pending"),
                };
                Ok(Report::new(human, json!({
                    "txid": txid, "height": height, "vote_key": vk,
                    "amount": amount.to_string(), "refund": refund,
                })))
            }
            WalletCommand::Unbond { account, vote_key, fee, wait, raw } => {
                let sk = account.secret_key()?;
                let action = StakeAction::Unbond { vote_key };
                let (txid, height) =
                    match submit(&client, opts, &sk, vec![], fee, Some(action), wait, raw, quiet).await? {
                        Submitted::Raw(report) => return Ok(report),
                        Submitted::Sent { txid, height, .. } => (txid, height),
                    };
                let vk = hex::encode(vote_key);
                let human = match height {
                    Some(h) => format!("unbonding validator {vk}: transaction {txid} included in block {h}"),
                    None => format!("unbonding validator {vk}: transaction {txid} pending"),
                };
                Ok(Report::new(human, json!({ "txid": txid, "height": height, "vote_key": vk })))
            }
        }
    })
}

/// The network the node is on: its chain id (which the transaction signs)
/// and its zk parameters — `params_file`, checked against the node's
/// verifying-key hash, or the development parameters when the node runs on
/// them.
/// The chain id (genesis hash) the node serves.
async fn chain_id_of(client: &Client) -> Result<[u8; 32], CliError> {
    let info = client.chain_info().await.map_err(fail)?;
    hex::decode(&info.chain_id)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| fail("the node sent a malformed chain id"))
}

/// The development parameters, from the wallet's cache file when it holds
/// them (checked against [`DEV_VK_HASH`] like any parameter file), else
/// generated from the public seed and cached: generating costs about a
/// second of CPU per command, reading the file a fraction of it.
fn dev_params(cache: &Path) -> Result<Parameters, CliError> {
    if let Ok(p) = Parameters::load_checked(cache, &DEV_VK_HASH) {
        return Ok(p);
    }
    let p = Parameters::generate_insecure(DEV_SEED).map_err(fail)?;
    // Best effort: a wallet directory that cannot be written only costs
    // the next command the generation again.
    let write = || -> std::io::Result<()> {
        if let Some(d) = cache.parent() {
            std::fs::create_dir_all(d)?;
        }
        let tmp = cache.with_extension(format!("tmp{}", std::process::id()));
        let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        p.write(&mut f).map_err(std::io::Error::other)?;
        f.into_inner()?.sync_all()?;
        std::fs::rename(&tmp, cache)
    };
    if let Err(e) = write() {
        tracing::debug!(
            "cannot cache the development parameters in {}: {e}",
            cache.display()
        );
    }
    Ok(p)
}

async fn network(client: &Client, opts: &SendOpts) -> Result<([u8; 32], Parameters), CliError> {
    let params_file = opts.params_file.as_deref();
    let info = client.chain_info().await.map_err(fail)?;
    let hex32 = |s: &str, what: &str| -> Result<[u8; 32], CliError> {
        hex::decode(s)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| fail(format!("the node sent a malformed {what}")))
    };
    let chain_id = hex32(&info.chain_id, "chain id")?;
    let vk_hash = hex32(&info.vk_hash, "vk hash")?;
    let params = match params_file {
        Some(path) => Parameters::load_checked(path, &vk_hash).map_err(fail)?,
        None if vk_hash == DEV_VK_HASH => {
            tracing::warn!("the node runs on the INSECURE development zk parameters");
            dev_params(&opts.dev_params_cache)?
        }
        None => {
            return Err(CliError::Usage(format!(
                "the node's network uses zk parameters with vk hash {}: pass --params FILE",
                info.vk_hash
            )))
        }
    };
    Ok((chain_id, params))
}

/// Where a send finds its parameters and records what it sends.
pub(crate) struct SendOpts {
    params_file: Option<PathBuf>,
    pending_dir: PathBuf,
    /// The wallets' local sync states (`wallet_sync`).
    pub(crate) sync_dir: PathBuf,
    /// Where the development parameters are cached (`dev_params`).
    dev_params_cache: PathBuf,
    /// The trusted genesis file (`--genesis`), if given.
    pub(crate) genesis: Option<PathBuf>,
}

impl SendOpts {
    /// Parameters from `params_file` (or the development ones when the
    /// node runs on them); pending records under `wallet_dir`.
    pub(crate) fn new(params_file: Option<PathBuf>, wallet_dir: &Path) -> Self {
        SendOpts {
            params_file,
            pending_dir: wallet_dir.join("pending"),
            sync_dir: wallet_dir.join("sync"),
            dev_params_cache: wallet_dir.join("dev-params.bin"),
            genesis: None,
        }
    }
}

/// `wallet pending`: the true status of every recorded transaction;
/// rebroadcasts the ones the node does not know.
async fn pending_report(client: &Client, opts: &SendOpts) -> Result<Report, CliError> {
    let store = PendingStore::open(&opts.pending_dir).map_err(fail)?;
    let (txs, damaged) = store.list().map_err(fail)?;
    let mut rows = vec![];
    let mut human = vec![];
    for p in txs {
        let txid = hex::encode(p.txid);
        let s = client
            .transaction_status(txid.clone())
            .await
            .map_err(|e| fail(format!("node unreachable: {e}")))?;
        let (status, height, note) = match s.status.as_str() {
            "included" => {
                store.remove(&p.txid).map_err(fail)?;
                ("included", s.height, String::new())
            }
            "pending" => ("pending", None, String::new()),
            _ => match client.send_raw_transaction(hex::encode(&p.raw)).await {
                Ok(_) => ("rebroadcast", None, String::new()),
                Err(sero_rpc::jsonrpsee::core::ClientError::Call(e)) => {
                    // Its notes were spent or its anchor expired: it can
                    // never be included, so the payment did not happen.
                    store.remove(&p.txid).map_err(fail)?;
                    ("failed", None, e.message().to_string())
                }
                Err(e) => return Err(fail(format!("node unreachable: {e}"))),
            },
        };
        human.push(match height {
            Some(h) => format!("{txid} {status} in block {h}"),
            None if note.is_empty() => format!("{txid} {status}"),
            None => format!("{txid} {status}: {note}"),
        });
        rows.push(json!({ "txid": txid, "status": status, "height": height, "reason": note }));
    }
    for d in &damaged {
        human.push(format!("{d}: damaged record, skipped"));
    }
    if human.is_empty() {
        human.push("no pending transactions".into());
    }
    Ok(Report::new(
        human.join("\n"),
        json!({ "transactions": rows, "damaged": damaged }),
    ))
}

/// What [`submit`] did.
pub(crate) enum Submitted {
    /// `--raw`: the report with the signed transaction.
    Raw(Report),
    /// Submitted; the block height when waited for; the id of the package
    /// it creates, if it creates one.
    Sent {
        txid: String,
        height: Option<u64>,
        package_id: Option<[u8; 32]>,
    },
}

/// Scans `sk`'s unspent notes, proves and signs a transaction paying
/// `recipients` and `fee` with an optional stake action, then submits it
/// (waiting for its block if `wait`) or, with `raw`, returns it as hex.
#[allow(clippy::too_many_arguments)]
async fn submit(
    client: &Client,
    opts: &SendOpts,
    sk: &SecretKey,
    recipients: Vec<Recipient>,
    fee: u128,
    stake: Option<StakeAction>,
    wait: bool,
    raw: bool,
    quiet: bool,
) -> Result<Submitted, CliError> {
    let extras = Extras {
        stake,
        ..Extras::default()
    };
    submit_ext(client, opts, sk, recipients, fee, extras, wait, raw, quiet).await
}

/// [`submit`] with every optional part of a transaction ([`Extras`]: a
/// contract action, a fixed `From`).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn submit_ext(
    client: &Client,
    opts: &SendOpts,
    sk: &SecretKey,
    recipients: Vec<Recipient>,
    fee: u128,
    extras: Extras,
    wait: bool,
    raw: bool,
    quiet: bool,
) -> Result<Submitted, CliError> {
    submit_reporting(
        client, opts, sk, recipients, fee, extras, wait, raw, quiet, None,
    )
    .await
}

/// What a long send reports as it goes: `(stage, done, total)`.
pub(crate) type OnProgress<'a> = Option<&'a (dyn Fn(&str, usize, usize) + Sync)>;

/// [`submit_ext`] reporting its stages ("scanning", "proving" with the
/// proofs done, "submitting") to `on_progress` (the web wallet).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn submit_reporting(
    client: &Client,
    opts: &SendOpts,
    sk: &SecretKey,
    recipients: Vec<Recipient>,
    fee: u128,
    extras: Extras,
    wait: bool,
    raw: bool,
    quiet: bool,
    on_progress: OnProgress<'_>,
) -> Result<Submitted, CliError> {
    let report = |stage: &str, done: usize, total: usize| {
        if let Some(f) = on_progress {
            f(stage, done, total)
        }
    };
    report("scanning", 0, 0);
    let Unspent {
        spendable: notes,
        scanned,
        ..
    } = unspent(client, sk, opts, quiet).await?;
    // Paths kept locally by the sync: the node is never told which
    // positions are ours.
    let mut spendable = vec![];
    for (pos, note) in notes {
        let path = scanned.path(pos)?;
        spendable.push(SpendableNote { note, path });
    }
    let t_params = std::time::Instant::now();
    let (chain_id, params) = network(client, opts).await?;
    tracing::debug!(
        ms = t_params.elapsed().as_millis() as u64,
        "zk parameters ready"
    );
    let t_prove = std::time::Instant::now();
    let pb = bar(0, "proving", quiet);
    report("proving", 0, 0);
    let progress = |done: usize, total: usize| {
        pb.set_length(total as u64);
        pb.set_position(done as u64);
        report("proving", done, total);
    };
    let network = Network {
        chain_id,
        params: &params,
    };
    let tx = build_transaction_ext(
        network, sk, &spendable, recipients, fee, extras, &mut OsRng, &progress,
    )
    .map_err(fail)?;
    pb.finish_and_clear();
    tracing::debug!(
        ms = t_prove.elapsed().as_millis() as u64,
        "transaction proved and signed"
    );
    if raw {
        let hex_tx = hex::encode(tx.to_bytes());
        return Ok(Submitted::Raw(Report::new(
            hex_tx.clone(),
            json!({ "raw": hex_tx, "txid": hex::encode(tx.txid()) }),
        )));
    }
    // Record, then announce, then submit: whatever happens next (the node
    // or the connection dies), the wallet knows this txid.
    let txid = hex::encode(tx.txid());
    let store = PendingStore::open(&opts.pending_dir).map_err(fail)?;
    store
        .record(&PendingTx {
            txid: tx.txid(),
            raw: tx.to_bytes(),
        })
        .map_err(fail)?;
    // On stderr even with --json: a script must learn the txid before the
    // outcome, whatever the outcome.
    if !quiet || on_progress.is_none() {
        eprintln!("submitting transaction {txid}");
    }
    report("submitting", 0, 0);
    let unsure = |e: &dyn std::fmt::Display| {
        fail(format!(
            "transaction {txid} was recorded but its status is unknown ({e}); it may still \
             be included: run `sero wallet pending` to check and rebroadcast it, do not pay again"
        ))
    };
    match client
        .send_raw_transaction(hex::encode(tx.to_bytes()))
        .await
    {
        Ok(_) => {}
        // The node answered and refused it: nothing was sent.
        Err(sero_rpc::jsonrpsee::core::ClientError::Call(e)) => {
            store.remove(&tx.txid()).map_err(fail)?;
            return Err(fail(format!(
                "the node refused the transaction: {}",
                e.message()
            )));
        }
        Err(e) => return Err(unsure(&e)),
    }
    let mut height = None;
    if wait {
        // Every 50 ms for the first 5 s (a dev chain includes at once, a
        // BA★ network within a few seconds), then every 500 ms.
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_secs(120) {
            let s = client
                .transaction_status(txid.clone())
                .await
                .map_err(|e| unsure(&e))?;
            if s.status == "included" {
                height = s.height;
                store.remove(&tx.txid()).map_err(fail)?;
                break;
            }
            let step = if start.elapsed() < Duration::from_secs(5) {
                50
            } else {
                500
            };
            tokio::time::sleep(Duration::from_millis(step)).await;
        }
        if height.is_none() {
            return Err(fail(format!(
                "transaction {txid} not included within 120 s (recorded: see `sero wallet pending`)"
            )));
        }
    }
    let package_id = match &tx.package {
        Some(PackageAction::Create(s)) => created_id(&tx, s),
        _ => None,
    };
    Ok(Submitted::Sent {
        txid,
        height,
        package_id,
    })
}

/// `sero wallet package create|open`.
async fn package(
    client: &Client,
    opts: &SendOpts,
    cmd: PackageCommand,
    quiet: bool,
) -> Result<Report, CliError> {
    match cmd {
        PackageCommand::Create {
            account,
            amount,
            currency,
            ticket,
            data,
            fee,
            wait,
        } => {
            let data = match &data {
                Some(path) => {
                    let len = std::fs::metadata(path)
                        .map_err(|e| CliError::Usage(format!("--data {}: {e}", path.display())))?
                        .len();
                    if len > MAX_PACKAGE_DATA as u64 {
                        return Err(CliError::Usage(format!(
                            "--data {}: {len} bytes exceeds the package limit of {MAX_PACKAGE_DATA}",
                            path.display()
                        )));
                    }
                    std::fs::read(path)
                        .map_err(|e| CliError::Usage(format!("--data {}: {e}", path.display())))?
                }
                None => vec![],
            };
            let mut assets = vec![];
            if amount > 0 || ticket.is_some() {
                let currency = if amount == 0 {
                    Currency::sero()
                } else {
                    currency
                };
                assets.push(Asset {
                    currency,
                    value: amount,
                    ticket,
                });
            }
            let contents = PackageContents { assets, data };
            contents
                .check()
                .map_err(|e| CliError::Usage(format!("package: {e}")))?;
            let sk = account.secret_key()?;
            let key = PackageKey::random(&mut OsRng);
            let extras = Extras {
                package: Some(PackageRequest::Create {
                    contents: contents.clone(),
                    blinding: sero_crypto::curve::random_scalar(&mut OsRng),
                    key,
                }),
                ..Extras::default()
            };
            let Submitted::Sent {
                txid,
                height,
                package_id,
            } = submit_ext(client, opts, &sk, vec![], fee, extras, wait, false, quiet).await?
            else {
                unreachable!("not raw")
            };
            let id = hex::encode(package_id.expect("a creation has an id"));
            let what = match contents.assets.first() {
                Some(a) => format!(
                    "{} {}{}",
                    a.value,
                    a.currency,
                    a.ticket
                        .map(|t| format!(" and ticket {}:{}", t.category, t.id))
                        .unwrap_or_default()
                ),
                None => "no asset".into(),
            };
            let status = match height {
                Some(h) => format!("transaction {txid} included in block {h}"),
                None => format!("transaction {txid} pending"),
            };
            Ok(Report::new(
                format!(
                    "package {id} created ({what}, {} data bytes): {status}\nkey {key}",
                    contents.data.len()
                ),
                json!({ "id": id, "key": key.to_string(), "txid": txid, "height": height }),
            ))
        }
        PackageCommand::Open {
            account,
            id,
            key,
            out,
            fee,
            wait,
        } => {
            let idh = hex::encode(id);
            let entry = client
                .package(idh.clone())
                .await
                .map_err(fail)?
                .ok_or_else(|| fail(format!("no package {idh} on chain")))?;
            if entry.opened {
                return Err(fail(format!("package {idh} is already opened")));
            }
            let bad = || fail(format!("the node sent a malformed package {idh}"));
            let cm = hex::decode(&entry.commitment)
                .ok()
                .and_then(|b| AssetCommitment::from_bytes(&b).ok())
                .ok_or_else(bad)?;
            let ciphertext = hex::decode(&entry.ciphertext).map_err(|_| bad())?;
            let chain_id = chain_id_of(client).await?;
            let plaintext = open_package(&SealedPackage { cm, ciphertext }, &key, &chain_id)
                .map_err(|e| fail(format!("package {idh}: {e}")))?;
            let sk = account.secret_key()?;
            let contents = plaintext.contents.clone();
            let extras = Extras {
                package: Some(PackageRequest::Open {
                    id,
                    cm,
                    key,
                    plaintext,
                }),
                ..Extras::default()
            };
            let Submitted::Sent { txid, height, .. } =
                submit_ext(client, opts, &sk, vec![], fee, extras, wait, false, quiet).await?
            else {
                unreachable!("not raw")
            };
            if let Some(path) = &out {
                std::fs::write(path, &contents.data)
                    .map_err(|e| fail(format!("cannot write {}: {e}", path.display())))?;
            }
            let assets: Vec<String> = contents
                .assets
                .iter()
                .map(|a| {
                    let mut s = format!("{} {}", a.value, a.currency);
                    if let Some(t) = a.ticket {
                        s.push_str(&format!(" + ticket {}:{}", t.category, t.id));
                    }
                    s
                })
                .collect();
            let text = String::from_utf8(contents.data.clone()).ok();
            let status = match height {
                Some(h) => format!("transaction {txid} included in block {h}"),
                None => format!("transaction {txid} pending"),
            };
            let mut human = format!(
                "package {idh} opened: {}; {status}",
                if assets.is_empty() {
                    "no asset".to_string()
                } else {
                    assets.join(", ")
                }
            );
            if !contents.data.is_empty() {
                match &text {
                    Some(t) => human.push_str(&format!("\ndata: {t}")),
                    None => {
                        human.push_str(&format!("\ndata (hex): {}", hex::encode(&contents.data)))
                    }
                }
            }
            Ok(Report::new(
                human,
                json!({
                    "id": idh, "txid": txid, "height": height,
                    "assets": contents.assets.iter().map(|a| json!({
                        "currency": a.currency.to_string(),
                        "value": a.value.to_string(),
                        "ticket": a.ticket.map(|t| format!("{}:{}", t.category, t.id)),
                    })).collect::<Vec<_>>(),
                    "data_hex": hex::encode(&contents.data),
                    "data": text,
                }),
            ))
        }
    }
}

/// The web wallet's scan: every note of `tk` with its memo, its spend and,
/// with `sk`, whether `sk` can spend it (from the wallet directory's
/// incremental state, like `sero wallet balance`).
pub(crate) async fn web_scan(
    client: &Client,
    opts: &SendOpts,
    tk: &TraceKey,
    sk: Option<&SecretKey>,
) -> Result<sero_web::WalletScan, CliError> {
    let scanned = scan_notes(client, tk, true, opts, true).await?;
    let mut notes = vec![];
    for f in &scanned.found {
        let spent = scanned.spend_of(tk, f.pos, &f.note)?;
        notes.push(sero_web::NoteRow {
            position: f.pos,
            currency: f.note.asset.currency.to_string(),
            value: f.note.asset.value,
            ticket: f
                .note
                .asset
                .ticket
                .map(|t| format!("{}:{}", t.category, t.id)),
            memo: f.memo.as_ref().map(|m| match std::str::from_utf8(m) {
                Ok(s) => s.to_string(),
                Err(_) => format!("0x{}", hex::encode(m)),
            }),
            spendable: sk.map(|k| k.can_spend(&f.note.pkr)),
            spent: spent.map(|s| (s.txid, s.height)),
        });
    }
    Ok(sero_web::WalletScan { notes })
}

/// The web wallet's payment: proves, records and submits (no wait).
pub(crate) async fn web_send(
    client: &Client,
    opts: &SendOpts,
    sk: &SecretKey,
    req: &sero_web::SendRequest,
    on_progress: &(dyn Fn(&str, usize, usize) + Sync),
) -> Result<String, CliError> {
    let pkr = match req.to.parse::<PaymentAddress>() {
        Ok(pk) => pk.derive_pkr(&mut OsRng),
        Err(_) => req.to.parse::<OneTimeAddress>().map_err(|e| {
            CliError::Usage(format!(
                "bad address: not a payment address (PK) nor a one-time address (PKr): {e}"
            ))
        })?,
    };
    let currency = req
        .currency
        .parse::<Currency>()
        .map_err(|e| CliError::Usage(format!("currency: {e}")))?;
    let ticket = req
        .ticket
        .as_deref()
        .map(parse_ticket)
        .transpose()
        .map_err(|e| CliError::Usage(format!("ticket: {e}")))?;
    let recipients = vec![Recipient {
        pkr,
        asset: Asset {
            currency,
            value: req.amount,
            ticket,
        },
        memo: req.memo.clone().into_bytes(),
        plain: false,
    }];
    match submit_reporting(
        client,
        opts,
        sk,
        recipients,
        req.fee,
        Extras::default(),
        false,
        false,
        true,
        Some(on_progress),
    )
    .await?
    {
        Submitted::Sent { txid, .. } => Ok(txid),
        Submitted::Raw(_) => Err(fail("unexpected raw transaction")),
    }
}
