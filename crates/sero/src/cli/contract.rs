//! `sero contract`: deploy a contract, call one with an asset taken from
//! the wallet's notes, and read one without a transaction.
//!
//! Privacy: each transaction comes from a fresh one-time `From` address
//! (`msg.sender` is its short address), so two calls of one wallet cannot
//! be linked by the contract. `--identity` uses one fixed `From` of the
//! account instead, for a contract owner whose address the contract
//! remembers (`owner = msg.sender`).

use crate::cli::wallet::{submit_ext, Account, Client, NodeOpts, SendOpts, Submitted};
use crate::output::{fail, CliError, Report};
use alloy_dyn_abi::{DynSolType, DynSolValue};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use sero_assets::{Asset, Category, Currency, Ticket, TicketId};
use sero_evm::{engine_keccak, make_prefix, short_address, Address, U256};
use sero_keys::{OneTimeAddress, SecretKey};
use sero_ledger::builder::Extras;
use sero_ledger::contract::{min_fee, ContractAction, ContractTarget, TokenFee};
use sero_rpc::eth::{CallRequest, ContractApiClient};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args)]
pub struct ContractArgs {
    #[command(flatten)]
    node: NodeOpts,
    #[command(subcommand)]
    cmd: ContractCommand,
}

/// What a transaction of `deploy` or `call` spends and how.
#[derive(Args)]
struct TxOptions {
    #[command(flatten)]
    account: Account,
    /// Gas the transaction buys; the fee must pay for it (at least
    /// gas/10,000 SERO units).
    #[arg(long, default_value_t = 1_000_000)]
    gas: u64,
    /// Fee in SERO (default: the least that pays for --gas; 0 with
    /// --fee-token).
    #[arg(long)]
    fee: Option<u128>,
    /// Pay the gas in the called contract's token instead of SERO ("gas on
    /// behalf"), as CURRENCY:AMOUNT: AMOUNT units go into the contract's
    /// book and the contract pays the gas in SERO at the rate it set with
    /// sero_setTokenRate (AMOUNT·ta/tokens must cover gas/10,000). The
    /// caller then needs no SERO at all. Calls only.
    #[arg(long, value_name = "CUR:AMOUNT", value_parser = parse_token_fee)]
    fee_token: Option<TokenFee>,
    /// Amount of --currency the call brings (msg.value), taken from the
    /// wallet's notes as a public value.
    #[arg(long, default_value_t = 0)]
    amount: u128,
    #[arg(long, default_value = "SERO")]
    currency: Currency,
    /// A ticket the call brings, as CATEGORY:ID (ID: 64 hex digits).
    #[arg(long, value_parser = parse_ticket)]
    ticket: Option<Ticket>,
    /// A package the call brings (its id, 64 hex digits): the contract
    /// receives its ticket (`sero_msg_category` is "#PKG",
    /// `sero_msg_ticket` the id) and may open it with `sero_ClosePkg`.
    #[arg(long, value_name = "ID", value_parser = parse_package, conflicts_with = "ticket")]
    package: Option<Ticket>,
    /// Act as this account's fixed identity: `From` (msg.sender) is the
    /// same one-time address in every transaction, so a contract can
    /// recognise its owner. Without it every transaction has a fresh,
    /// unlinkable `From`.
    #[arg(long)]
    identity: bool,
    /// Wait until the transaction is in a block and print its receipt.
    #[arg(long)]
    wait: bool,
}

#[derive(Subcommand)]
enum ContractCommand {
    /// Deploy a contract from its creation bytecode.
    Deploy {
        /// A file with the creation bytecode as hex (solc's .bin output).
        #[arg(
            long,
            value_name = "FILE",
            conflicts_with = "hex",
            required_unless_present = "hex"
        )]
        bin: Option<PathBuf>,
        /// The creation bytecode as hex.
        #[arg(long)]
        hex: Option<String>,
        /// The constructor's signature, e.g. 'constructor(uint256,string)'.
        #[arg(long = "ctor", default_value = "constructor()")]
        ctor: String,
        /// The constructor's arguments as a JSON array.
        #[arg(long, default_value = "[]")]
        args: String,
        #[command(flatten)]
        tx: TxOptions,
    },
    /// Call a contract in a transaction, optionally bringing an asset.
    Call {
        /// The contract's address (0x + 40 hex digits).
        #[arg(long)]
        to: String,
        /// The function, e.g. 'buy(uint256)'.
        #[arg(long = "fn")]
        function: String,
        /// Its arguments as a JSON array, e.g. '[5]'. An address argument
        /// may be a 0x address or a PKr (its short address).
        #[arg(long, default_value = "[]")]
        args: String,
        /// An ABI JSON file to check the function against (optional).
        #[arg(long, value_name = "FILE")]
        abi: Option<PathBuf>,
        #[command(flatten)]
        tx: TxOptions,
    },
    /// Run a call read-only on the node's tip state (no transaction).
    Read {
        #[arg(long)]
        to: String,
        #[arg(long = "fn")]
        function: String,
        #[arg(long, default_value = "[]")]
        args: String,
        #[arg(long, value_name = "FILE")]
        abi: Option<PathBuf>,
    },
    /// The receipt of a contract transaction.
    Receipt {
        /// The transaction id (hex).
        txid: String,
    },
}

fn usage(e: impl std::fmt::Display) -> CliError {
    CliError::Usage(e.to_string())
}
fn parse_package(s: &str) -> Result<Ticket, String> {
    let h = s.strip_prefix("0x").unwrap_or(s);
    let b: [u8; 32] = hex::decode(h)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| "expected a package id of 64 hex digits".to_string())?;
    Ok(sero_assets::package::package_ticket(&b))
}

fn parse_ticket(s: &str) -> Result<Ticket, String> {
    let (cat, id) = s
        .split_once(':')
        .ok_or_else(|| "expected CATEGORY:ID".to_string())?;
    Ok(Ticket {
        category: Category::new(cat).map_err(|e| e.to_string())?,
        id: id.parse::<TicketId>().map_err(|e| e.to_string())?,
    })
}

fn parse_token_fee(s: &str) -> Result<TokenFee, String> {
    let (cur, amount) = s
        .split_once(':')
        .ok_or_else(|| "expected CURRENCY:AMOUNT, e.g. COIN:100".to_string())?;
    let currency = Currency::new(cur).map_err(|e| e.to_string())?;
    if currency == Currency::sero() {
        return Err(
            "the gas is paid in SERO by --fee; --fee-token names a contract's token".into(),
        );
    }
    let amount: u128 = amount
        .parse()
        .map_err(|e| format!("amount {amount:?}: {e}"))?;
    if amount == 0 {
        return Err("the token fee must be more than 0".into());
    }
    Ok(TokenFee { currency, amount })
}

fn parse_address(s: &str, what: &str) -> Result<Address, CliError> {
    if let Ok(p) = s.parse::<OneTimeAddress>() {
        return Ok(short_address(&p));
    }
    let h = s.strip_prefix("0x").unwrap_or(s);
    let b = hex::decode(h).map_err(|e| usage(format!("{what}: not hex ({e})")))?;
    if b.len() != 20 {
        return Err(usage(format!(
            "{what}: expected 20 bytes (40 hex digits), got {}",
            b.len()
        )));
    }
    Ok(Address::from_slice(&b))
}

/// `name(type,...)` → (name, types).
fn split_signature(sig: &str) -> Result<(String, Vec<String>), CliError> {
    let sig = sig.trim();
    let open = sig
        .find('(')
        .ok_or_else(|| usage(format!("--fn: '{sig}' is not name(type,...)")))?;
    if !sig.ends_with(')') {
        return Err(usage(format!("--fn: '{sig}' is not name(type,...)")));
    }
    let name = sig[..open].trim().to_string();
    let inner = &sig[open + 1..sig.len() - 1];
    // Split at the commas outside parentheses (tuple types).
    let mut types = vec![];
    let (mut depth, mut cur) = (0i32, String::new());
    for ch in inner.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                types.push(std::mem::take(&mut cur).trim().to_string());
                continue;
            }
            _ => {}
        }
        if depth < 0 {
            return Err(usage(format!("--fn: '{sig}' has unbalanced parentheses")));
        }
        cur.push(ch);
    }
    if depth != 0 {
        return Err(usage(format!("--fn: '{sig}' has unbalanced parentheses")));
    }
    if !cur.trim().is_empty() || !types.is_empty() {
        types.push(cur.trim().to_string());
    }
    if types.iter().any(|t| t.is_empty()) {
        return Err(usage(format!("--fn: '{sig}' has an empty parameter type")));
    }
    Ok((name, types))
}

/// A JSON argument as a value of `t`: arrays and tuples as JSON arrays,
/// element by element; scalars through alloy's coercion (`coerce_str`) of
/// the number or string, a PKr standing for its short address (0x…).
fn arg_value(v: &Value, t: &DynSolType) -> Result<DynSolValue, String> {
    let items = |n: Option<usize>| -> Result<&Vec<Value>, String> {
        let a = v
            .as_array()
            .ok_or_else(|| format!("{v} is not a JSON array for {}", t.sol_type_name()))?;
        match n {
            Some(n) if a.len() != n => Err(format!("{} values for {}", a.len(), t.sol_type_name())),
            _ => Ok(a),
        }
    };
    Ok(match t {
        DynSolType::Array(e) => DynSolValue::Array(
            items(None)?
                .iter()
                .map(|x| arg_value(x, e))
                .collect::<Result<_, _>>()?,
        ),
        DynSolType::FixedArray(e, n) => DynSolValue::FixedArray(
            items(Some(*n))?
                .iter()
                .map(|x| arg_value(x, e))
                .collect::<Result<_, _>>()?,
        ),
        DynSolType::Tuple(ts) => DynSolValue::Tuple(
            items(Some(ts.len()))?
                .iter()
                .zip(ts)
                .map(|(x, t)| arg_value(x, t))
                .collect::<Result<_, _>>()?,
        ),
        _ => {
            let text = match v {
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::String(s) => match s.parse::<OneTimeAddress>() {
                    Ok(p) => format!("{}", short_address(&p)),
                    Err(_) => s.clone(),
                },
                other => return Err(format!("{other} is not a {}", t.sol_type_name())),
            };
            t.coerce_str(&text)
                .map_err(|e| format!("{v} is not a {} ({e})", t.sol_type_name()))?
        }
    })
}

/// ABI-encodes `args` (JSON values) as the parameters `types` (any Solidity
/// type: uintN/intN with range checks, address — a 0x address or a PKr,
/// which is its short address — bool, bytesN, bytes, string, arrays and
/// tuples), with alloy's dynamic ABI.
pub fn abi_encode(types: &[String], args: &[Value]) -> Result<Vec<u8>, CliError> {
    if types.len() != args.len() {
        return Err(usage(format!(
            "--args: {} values for {} parameters",
            args.len(),
            types.len()
        )));
    }
    let mut values = Vec::with_capacity(types.len());
    for (ty, v) in types.iter().zip(args) {
        let t = DynSolType::parse(ty).map_err(|e| usage(format!("--fn: type {ty}: {e}")))?;
        values.push(arg_value(v, &t).map_err(|e| usage(format!("--args: {e}")))?);
    }
    Ok(DynSolValue::Tuple(values).abi_encode_params())
}

/// The one-time addresses (PKr) given as arguments: listed in the call's
/// input prefix so that the node registers them in the short-address table
/// and the contract can pay them (docs/contracts.md, input prefix).
fn pkr_args(args: &str) -> Vec<OneTimeAddress> {
    let mut out: Vec<OneTimeAddress> = vec![];
    fn walk(v: &Value, out: &mut Vec<OneTimeAddress>) {
        match v {
            Value::String(s) => {
                if let Ok(p) = s.parse::<OneTimeAddress>() {
                    if !out.contains(&p) {
                        out.push(p);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    if let Ok(v) = serde_json::from_str::<Value>(args) {
        walk(&v, &mut out);
    }
    out
}

fn parse_args(args: &str) -> Result<Vec<Value>, CliError> {
    match serde_json::from_str::<Value>(args) {
        Ok(Value::Array(a)) => Ok(a),
        Ok(_) => Err(usage("--args: expected a JSON array")),
        Err(e) => Err(usage(format!("--args: not JSON ({e})"))),
    }
}

/// Checks `name(types)` against an ABI JSON file.
fn check_abi(path: &PathBuf, name: &str, types: &[String]) -> Result<(), CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| usage(format!("--abi {}: {e}", path.display())))?;
    let abi: Value = serde_json::from_str(&text)
        .map_err(|e| usage(format!("--abi {}: not JSON ({e})", path.display())))?;
    let items = abi
        .as_array()
        .ok_or_else(|| usage("--abi: expected a JSON array"))?;
    let found = items.iter().any(|f| {
        f["type"].as_str().unwrap_or("function") == "function"
            && f["name"].as_str() == Some(name)
            && f["inputs"]
                .as_array()
                .map(|ins| {
                    ins.len() == types.len()
                        && ins
                            .iter()
                            .zip(types)
                            .all(|(i, t)| i["type"].as_str() == Some(t.as_str()))
                })
                .unwrap_or(false)
    });
    if !found {
        return Err(usage(format!(
            "--fn: {name}({}) is not a function of {}",
            types.join(","),
            path.display()
        )));
    }
    Ok(())
}

/// Selector ‖ arguments.
fn calldata(function: &str, args: &str, abi: &Option<PathBuf>) -> Result<Vec<u8>, CliError> {
    let (name, types) = split_signature(function)?;
    if let Some(p) = abi {
        check_abi(p, &name, &types)?;
    }
    // The selector hashes the canonical type names (`uint` → `uint256`).
    let canon: Vec<String> = types
        .iter()
        .map(|t| {
            DynSolType::parse(t)
                .map(|t| t.sol_type_name().into_owned())
                .map_err(|e| usage(format!("--fn: type {t}: {e}")))
        })
        .collect::<Result<_, _>>()?;
    let canon = format!("{name}({})", canon.join(","));
    let mut data = engine_keccak(canon.as_bytes())[..4].to_vec();
    data.extend(abi_encode(&types, &parse_args(args)?)?);
    Ok(data)
}

/// The fixed `From` of `--identity`: `derive_pkr_with(r)` with
/// `r = H_ℓ("SERO_IdentityPkr"; LE(vsk))`.
fn identity_pkr(sk: &SecretKey) -> OneTimeAddress {
    let r = sero_crypto::hash::hash_to_scalar(
        b"SERO_IdentityPkr",
        &[&sero_crypto::curve::encode_scalar(&sk.vsk())],
    );
    sk.payment_address().derive_pkr_with(&r)
}

fn words(out: &str) -> Vec<String> {
    let b = hex::decode(out.strip_prefix("0x").unwrap_or(out)).unwrap_or_default();
    b.chunks(32)
        .filter(|c| c.len() == 32)
        .map(|c| U256::from_be_slice(c).to_string())
        .collect()
}

async fn wait_receipt(
    client: &Client,
    txid: &str,
) -> Result<sero_node::contract::Receipt, CliError> {
    for _ in 0..240 {
        if let Some(r) = client
            .transaction_receipt(txid.to_string())
            .await
            .map_err(fail)?
        {
            return Ok(r);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(fail(format!(
        "transaction {txid} not included within 120 s"
    )))
}

fn receipt_report(r: &sero_node::contract::Receipt) -> Report {
    let mut human = vec![format!(
        "transaction {} in block {}: {}{} (gas used {})",
        r.txid,
        r.height,
        r.status,
        r.error
            .as_ref()
            .map(|e| format!(": {e}"))
            .unwrap_or_default(),
        r.gas_used
    )];
    if let Some(a) = &r.contract_address {
        human.push(format!("contract {a}"));
    }
    if let Some(g) = &r.gas_on_behalf {
        human.push(format!(
            "gas paid on behalf: {} {} to the contract, which paid {} SERO",
            g.tokens, g.currency, g.sero
        ));
    }
    for n in &r.notes {
        human.push(format!(
            "note #{} to {}: {} {}{}",
            n.position,
            n.pkr,
            n.value,
            n.currency,
            n.ticket
                .as_ref()
                .map(|t| format!(" + ticket {t}"))
                .unwrap_or_default()
        ));
    }
    for l in &r.logs {
        human.push(format!(
            "log {} topics {:?} data {}",
            l.address, l.topics, l.data
        ));
    }
    if r.output.len() > 2 && r.contract_address.is_none() {
        human.push(format!("output {} = {:?}", r.output, words(&r.output)));
    }
    Report::new(
        human.join("\n"),
        serde_json::to_value(r).unwrap_or(json!(null)),
    )
}

#[allow(clippy::too_many_arguments)]
async fn send(
    client: &Client,
    opts: &SendOpts,
    tx: TxOptions,
    target: ContractTarget,
    body: Vec<u8>,
    pkrs: &[OneTimeAddress],
    quiet: bool,
) -> Result<Report, CliError> {
    let sk = tx.account.secret_key()?;
    let mut asset = Asset::token(tx.currency, tx.amount);
    asset.ticket = tx.ticket.or(tx.package);
    if tx.amount == 0 {
        asset.currency = Currency::sero();
    }
    let asset = (tx.amount > 0 || asset.ticket.is_some()).then_some(asset);
    if tx.fee_token.is_some() && target == ContractTarget::Create {
        return Err(usage(
            "--fee-token pays a call's gas through the called contract; a deploy pays in SERO",
        ));
    }
    let fee = match (tx.fee, tx.fee_token) {
        (Some(f), _) => f,
        (None, Some(_)) => 0,
        (None, None) => min_fee(tx.gas).max(10),
    };
    let action = ContractAction {
        target,
        gas_limit: tx.gas,
        asset,
        token_fee: tx.fee_token,
        data: make_prefix([0; 16], pkrs, &body),
    };
    let extras = Extras {
        contract: Some(action),
        from: tx.identity.then(|| identity_pkr(&sk)),
        ..Extras::default()
    };
    let txid = match submit_ext(client, opts, &sk, vec![], fee, extras, false, false, quiet).await?
    {
        Submitted::Raw(r) => return Ok(r),
        Submitted::Sent { txid, .. } => txid,
    };
    if !tx.wait {
        return Ok(Report::new(
            format!("transaction {txid} pending"),
            json!({ "txid": txid }),
        ));
    }
    Ok(receipt_report(&wait_receipt(client, &txid).await?))
}

/// The web wallet's contract call: `function` (a signature such as
/// `buy(uint256)`) with `args` (a JSON array) at `to`, bringing `amount`
/// of `currency`; 1,000,000 gas paid in SERO; returns the txid.
pub(crate) async fn web_call(
    client: &Client,
    opts: &SendOpts,
    sk: &SecretKey,
    req: &sero_web::CallRequest,
    on_progress: &(dyn Fn(&str, usize, usize) + Sync),
) -> Result<String, CliError> {
    let to = parse_address(&req.to, "contract address")?;
    let data = calldata(&req.function, &req.args, &None)?;
    let pkrs = pkr_args(&req.args);
    let currency: Currency = req
        .currency
        .parse()
        .map_err(|e| usage(format!("currency: {e}")))?;
    let asset = (req.amount > 0).then(|| Asset::token(currency, req.amount));
    let gas = 1_000_000;
    let action = ContractAction {
        target: ContractTarget::Call(to.0 .0),
        gas_limit: gas,
        asset,
        token_fee: None,
        data: make_prefix([0; 16], &pkrs, &data),
    };
    let extras = Extras {
        contract: Some(action),
        ..Extras::default()
    };
    let fee = min_fee(gas).max(10);
    match crate::cli::wallet::submit_reporting(
        client,
        opts,
        sk,
        vec![],
        fee,
        extras,
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

fn bytecode(bin: &Option<PathBuf>, hexs: &Option<String>) -> Result<Vec<u8>, CliError> {
    let text = match (bin, hexs) {
        (Some(p), _) => {
            std::fs::read_to_string(p).map_err(|e| usage(format!("--bin {}: {e}", p.display())))?
        }
        (None, Some(h)) => h.clone(),
        (None, None) => return Err(usage("give --bin FILE or --hex HEX")),
    };
    let t = text.trim();
    let code = hex::decode(t.strip_prefix("0x").unwrap_or(t))
        .map_err(|e| usage(format!("bytecode: not hex ({e})")))?;
    if code.is_empty() {
        return Err(usage("bytecode: empty"));
    }
    Ok(code)
}

pub fn run(args: ContractArgs, quiet: bool) -> Result<Report, CliError> {
    let rt = tokio::runtime::Runtime::new().map_err(fail)?;
    let (client, opts) = args.node.connect()?;
    let opts = &opts;
    rt.block_on(async move {
        match args.cmd {
            ContractCommand::Deploy { bin, hex, ctor, args: a, tx } => {
                let mut code = bytecode(&bin, &hex)?;
                let (_, types) = split_signature(&ctor)?;
                code.extend(abi_encode(&types, &parse_args(&a)?)?);
                let pkrs = pkr_args(&a);
                send(&client, opts, tx, ContractTarget::Create, code, &pkrs, quiet).await
            }
            ContractCommand::Call { to, function, args: a, abi, tx } => {
                let to = parse_address(&to, "--to")?;
                let data = calldata(&function, &a, &abi)?;
                let target = ContractTarget::Call(to.0 .0);
                let pkrs = pkr_args(&a);
                send(&client, opts, tx, target, data, &pkrs, quiet).await
            }
            ContractCommand::Read { to, function, args: a, abi } => {
                let addr = parse_address(&to, "--to")?;
                let data = calldata(&function, &a, &abi)?;
                let r = ContractApiClient::call(
                    &client,
                    CallRequest {
                        to: format!("0x{}", hex::encode(addr)),
                        data: format!("0x{}", hex::encode(data)),
                        ..CallRequest::default()
                    },
                )
                .await
                .map_err(fail)?;
                let w = words(&r.output);
                let human = format!(
                    "{}{}: {} {:?}",
                    r.status,
                    r.error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default(),
                    r.output,
                    w
                );
                let j = json!({"status": r.status, "output": r.output, "words": w, "gas_used": r.gas_used, "error": r.error});
                if r.status != "success" {
                    return Err(fail(human));
                }
                Ok(Report::new(human, j))
            }
            ContractCommand::Receipt { txid } => {
                match client.transaction_receipt(txid.clone()).await.map_err(fail)? {
                    Some(r) => Ok(receipt_report(&r)),
                    None => Err(fail(format!("no receipt for {txid}"))),
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(sig: &str, args: &str) -> Result<String, CliError> {
        calldata(sig, args, &None).map(hex::encode)
    }

    #[test]
    fn calldata_is_solidity_abi() {
        // transfer(address,uint256): selector a9059cbb.
        assert_eq!(
            enc(
                "transfer(address,uint256)",
                r#"["0x00000000000000000000000000000000000000aa", 5]"#
            )
            .unwrap(),
            format!("a9059cbb{:0>64}{:0>64}", "aa", "5")
        );
        // `uint` is uint256 in the selector; a decimal string is a number.
        assert_eq!(
            enc("f(uint)", r#"["300"]"#).unwrap(),
            enc("f(uint256)", "[300]").unwrap()
        );
        // A string: offset, length, padded bytes.
        assert_eq!(
            &enc("g(string)", r#"["COIN"]"#).unwrap()[8..],
            format!("{:0>64}{:0>64}{:0<64}", "20", "4", "434f494e")
        );
        // Negative ints, arrays and tuples.
        assert!(enc("h(int8)", "[-1]").unwrap().ends_with(&"f".repeat(64)));
        assert_eq!(
            &enc("k(uint256[])", "[[1, 2]]").unwrap()[8..],
            format!("{:0>64}{:0>64}{:0>64}{:0>64}", "20", "2", "1", "2")
        );
        assert_eq!(
            &enc("t((uint8,bool),uint16)", "[[7, true], 9]").unwrap()[8..],
            format!("{:0>64}{:0>64}{:0>64}", "7", "1", "9")
        );
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        for (sig, args) in [
            ("f(uint8)", "[256]"),             // out of range
            ("f(uint256)", "[-1]"),            // negative for unsigned
            ("f(address)", r#"["0x1234"]"#),   // short address
            ("f(bool)", r#"["maybe"]"#),       // not a bool
            ("f(bytes2)", r#"["0x123456"]"#),  // too long
            ("f(uint256,uint256)", "[1]"),     // arity
            ("f(uint257)", "[1]"),             // no such type
            ("f((uint8,bool)", "[[1, true]]"), // unbalanced
            ("f(uint8,)", "[1, 2]"),           // empty type
            ("f(uint8)", "{"),                 // not JSON
            ("f(uint8)", r#"[{"a": 1}]"#),     // an object
        ] {
            assert!(
                matches!(enc(sig, args), Err(CliError::Usage(_))),
                "{sig} {args}"
            );
        }
    }
}
