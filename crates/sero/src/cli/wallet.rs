//! `sero wallet`: scan the chain with a trace key over JSON-RPC, show
//! balances, send payments, audit with a TK.

use crate::output::{CliError, Report};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use rand_core::OsRng;
use serde_json::json;
use sero_assets::{Asset, Currency};
use sero_crypto::curve::encode_base;
use sero_keys::{OneTimeAddress, PaymentAddress, SecretKey, Seed, TraceKey};
use sero_ledger::builder::{build_transaction, Recipient, SpendableNote};
use sero_node::scan::{find_notes, OutputRecord};
use sero_rpc::SeroApiClient;
use sero_tree::{cm_auth, MerklePath};
use sero_zk::note::{nullifier, trace_tag, Note};
use sero_zk::params::{Parameters, DEV_SEED};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Args)]
pub struct WalletArgs {
    /// The node's JSON-RPC URL.
    #[arg(
        long,
        global = true,
        env = "SERO_RPC",
        default_value = "http://127.0.0.1:9545"
    )]
    rpc: String,
    #[command(subcommand)]
    cmd: WalletCommand,
}

#[derive(Subcommand)]
enum WalletCommand {
    /// Print the payment address (PK) to receive payments.
    Receive {
        #[arg(long, env = "SERO_MNEMONIC", hide_env_values = true)]
        mnemonic: String,
    },
    /// Scan the chain and print balances per currency and the unspent notes.
    Balance {
        #[arg(long, env = "SERO_MNEMONIC", hide_env_values = true)]
        mnemonic: String,
    },
    /// Pay someone: proves and submits a private transaction.
    Send {
        #[arg(long, env = "SERO_MNEMONIC", hide_env_values = true)]
        mnemonic: String,
        /// The recipient's payment address (PK) or one-time address (PKr).
        #[arg(long)]
        to: String,
        #[arg(long)]
        amount: u128,
        #[arg(long, default_value = "SERO")]
        currency: Currency,
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
    /// Watch-only view with a trace key: incoming notes and, through their
    /// trace tags, which were spent. Cannot spend.
    Audit {
        #[arg(long)]
        tk: TraceKey,
    },
}

fn fail(e: impl std::fmt::Display) -> CliError {
    CliError::Failed(e.to_string())
}

fn key(mnemonic: &str) -> Result<SecretKey, CliError> {
    let seed =
        Seed::from_mnemonic(mnemonic).map_err(|e| CliError::Usage(format!("--mnemonic: {e}")))?;
    Ok(SecretKey::from_seed(&seed))
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

/// All notes of `tk` on chain, with their positions.
async fn scan(
    client: &sero_rpc::jsonrpsee::http_client::HttpClient,
    tk: &TraceKey,
    quiet: bool,
) -> Result<Vec<(u64, Note)>, CliError> {
    let n = client.leaf_count().await.map_err(fail)?;
    let pb = bar(n, "scanning", quiet);
    let mut found = vec![];
    let mut from = 0;
    while from < n {
        let to = (from + 10_000).min(n);
        let mut records = vec![];
        for e in client.outputs(from, to).await.map_err(fail)? {
            let bytes = hex::decode(&e.record).map_err(fail)?;
            let r = OutputRecord::from_bytes(&bytes)
                .ok_or_else(|| fail("node sent a malformed output record"))?;
            records.push((e.position, r));
        }
        found.extend(find_notes(tk, &records));
        pb.set_position(to);
        from = to;
    }
    pb.finish_and_clear();
    Ok(found)
}

fn leaf(pos: u64, note: &Note) -> Result<sero_crypto::Base, CliError> {
    Ok(cm_auth(pos, note.cm_out().map_err(fail)?))
}

async fn unspent(
    client: &sero_rpc::jsonrpsee::http_client::HttpClient,
    sk: &SecretKey,
    quiet: bool,
) -> Result<Vec<(u64, Note)>, CliError> {
    let mut out = vec![];
    for (pos, note) in scan(client, &sk.trace_key(), quiet).await? {
        let nil = nullifier(&sk.zsk(), leaf(pos, &note)?);
        if client
            .nullifier_status(hex::encode(encode_base(&nil)))
            .await
            .map_err(fail)?
            .is_none()
        {
            out.push((pos, note));
        }
    }
    Ok(out)
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

pub fn run(args: WalletArgs, quiet: bool) -> Result<Report, CliError> {
    let rt = tokio::runtime::Runtime::new().map_err(fail)?;
    let client = sero_rpc::client(&args.rpc).map_err(|e| CliError::Usage(format!("--rpc: {e}")))?;
    rt.block_on(async move {
        match args.cmd {
            WalletCommand::Receive { mnemonic } => {
                let pk = key(&mnemonic)?.payment_address().to_string();
                Ok(Report::new(pk.clone(), json!({ "pk": pk })))
            }
            WalletCommand::Balance { mnemonic } => {
                let sk = key(&mnemonic)?;
                let notes = unspent(&client, &sk, quiet).await?;
                let (b, tickets) = balances(&notes);
                let mut human: Vec<String> = b.iter().map(|(c, v)| format!("{v} {c}")).collect();
                human.extend(tickets.iter().map(|t| format!("ticket {t}")));
                if human.is_empty() {
                    human.push("no funds".into());
                }
                Ok(Report::new(
                    human.join("\n"),
                    json!({
                        "balances": b.iter().map(|(c, v)| (c.clone(), v.to_string())).collect::<BTreeMap<_, _>>(),
                        "tickets": tickets,
                        "notes": notes.iter().map(|(p, n)| note_json(*p, n)).collect::<Vec<_>>(),
                    }),
                ))
            }
            WalletCommand::Audit { tk } => {
                let notes = scan(&client, &tk, quiet).await?;
                let mut rows = vec![];
                let mut human = vec![];
                for (pos, n) in &notes {
                    let til = trace_tag(&tk.vsk(), leaf(*pos, n)?);
                    let spent = client.til(hex::encode(encode_base(&til))).await.map_err(fail)?;
                    human.push(format!(
                        "note #{pos}: {} {}{} — {}",
                        n.asset.value,
                        n.asset.currency,
                        n.asset.ticket.map(|t| format!(" + ticket {}:{}", t.category, t.id)).unwrap_or_default(),
                        match &spent {
                            Some(s) => format!("spent in {} at block {}", s.txid, s.height),
                            None => "unspent".into(),
                        }
                    ));
                    let mut j = note_json(*pos, n);
                    j["spent_in"] = json!(spent.as_ref().map(|s| &s.txid));
                    j["spent_at"] = json!(spent.as_ref().map(|s| s.height));
                    rows.push(j);
                }
                if human.is_empty() {
                    human.push("no notes".into());
                }
                Ok(Report::new(human.join("\n"), json!({ "notes": rows })))
            }
            WalletCommand::Send { mnemonic, to, amount, currency, fee, memo, wait, raw } => {
                let sk = key(&mnemonic)?;
                let pkr = match to.parse::<PaymentAddress>() {
                    Ok(pk) => pk.derive_pkr(&mut OsRng),
                    Err(_) => to.parse::<OneTimeAddress>().map_err(|e| {
                        CliError::Usage(format!("--to: not a payment address (PK) nor a one-time address (PKr): {e}"))
                    })?,
                };
                let notes = unspent(&client, &sk, quiet).await?;
                let mut spendable = vec![];
                for (pos, note) in notes {
                    let w = client.witness(pos).await.map_err(fail)?;
                    let path = MerklePath::from_bytes(&hex::decode(&w.path).map_err(fail)?).map_err(fail)?;
                    spendable.push(SpendableNote { note, path });
                }
                tracing::warn!("using the INSECURE development zk parameters");
                let params = Parameters::generate_insecure(DEV_SEED).map_err(fail)?;
                let pb = bar(0, "proving", quiet);
                let progress = |done: usize, total: usize| {
                    pb.set_length(total as u64);
                    pb.set_position(done as u64);
                };
                let tx = build_transaction(
                    &sk,
                    &spendable,
                    vec![Recipient {
                        pkr,
                        asset: Asset::token(currency, amount),
                        memo: memo.into_bytes(),
                        plain: false,
                    }],
                    fee,
                    &params,
                    &mut OsRng,
                    &progress,
                )
                .map_err(fail)?;
                pb.finish_and_clear();
                if raw {
                    let hex_tx = hex::encode(tx.to_bytes());
                    return Ok(Report::new(hex_tx.clone(), json!({ "raw": hex_tx, "txid": hex::encode(tx.txid()) })));
                }
                let txid = client
                    .send_raw_transaction(hex::encode(tx.to_bytes()))
                    .await
                    .map_err(fail)?;
                let mut height = None;
                if wait {
                    for _ in 0..240 {
                        let s = client.transaction_status(txid.clone()).await.map_err(fail)?;
                        if s.status == "included" {
                            height = s.height;
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                    if height.is_none() {
                        return Err(fail(format!("transaction {txid} not included within 120 s")));
                    }
                }
                let human = match height {
                    Some(h) => format!("sent {amount} {currency}: transaction {txid} included in block {h}"),
                    None => format!("sent {amount} {currency}: transaction {txid} pending"),
                };
                Ok(Report::new(human, json!({ "txid": txid, "height": height })))
            }
        }
    })
}
