//! `sero bench evm`: (a) gas/s of ERC-20-style transfers through the SERO
//! engine and through plain revm on the same bytecode, in the same run;
//! (b) validation and apply time per transaction of a block of real
//! version-5 contract calls, each bringing a private asset (SERO taken
//! from a note) to a token sale that pays the buyer with a note.
//!
//! The bytecode is the solc 0.4.26 output committed under
//! `contracts/build/` (`sero_evm::bench`): no compiler is needed here.

use super::{all_records, cost, median, progress, TempDir};
use crate::output::{CliError, Report};
use clap::Args;
use rand_core::OsRng;
use serde_json::json;
use sero_assets::{Asset, Currency};
use sero_crypto::Scalar;
use sero_evm::bench::{bytecode, selector, TransferBench, ERC20_HEX, TOKEN_SALE_HEX};
use sero_evm::{make_prefix, Action, Address, Env, U256};
use sero_keys::{OneTimeAddress, SecretKey, Seed};
use sero_ledger::block::{Seal, MAX_BLOCK_TXS};
use sero_ledger::builder::{build_transaction_ext, Extras, Network, SpendableNote};
use sero_ledger::contract::{min_fee, ContractAction, ContractTarget};
use sero_ledger::Transaction;
use sero_node::chain::genesis_block;
use sero_node::contract::{evm_config, Receipt, ISSUE_FEE};
use sero_node::scan::find_notes;
use sero_node::{Chain, ChainConfig};
use sero_zk::params::{Parameters, DEV_SEED};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

#[derive(Args)]
pub struct EvmArgs {
    /// A short run (a few hundred transfers, 2 contract calls): checks that
    /// everything works, its figures are rough.
    #[arg(long)]
    quick: bool,
    /// Transfers per side and round (5 rounds; the median round counts).
    #[arg(long, default_value_t = 20_000)]
    transfers: usize,
    /// Contract calls in the timed block (each one is proved: about a
    /// second each on 2 cores).
    #[arg(long, default_value_t = 20)]
    calls: usize,
}

/// The sale's rate: COIN units per SERO unit.
const RATE: u64 = 10;
/// SERO each buyer brings.
const BUY: u128 = 500;
/// Value of each genesis note (one per transaction).
const NOTE_VALUE: u128 = 100_000;
const DEPLOY_GAS: u64 = 1_500_000;
const CALL_GAS: u64 = 200_000;

/// Part (a): per-transfer time of each side, in alternating rounds.
fn transfers(per_round: usize, rounds: usize, quiet: bool) -> Result<serde_json::Value, CliError> {
    let failed = |e: &dyn std::fmt::Display| CliError::Failed(e.to_string());
    let from = SecretKey::from_seed(&Seed::from_bytes([5; 32]))
        .payment_address()
        .derive_pkr_with(&Scalar::from(1u64));
    let mut b = TransferBench::new(&bytecode(ERC20_HEX), from).map_err(|e| failed(&e))?;
    let gas = b.gas_per_transfer;
    let pb = progress(2 * rounds as u64, "ERC-20 transfers", quiet);
    let (mut sero, mut plain) = (vec![], vec![]);
    for _ in 0..rounds {
        let t = Instant::now();
        for _ in 0..per_round {
            b.sero_transfer().map_err(|e| failed(&e))?;
        }
        sero.push(t.elapsed().as_secs_f64() / per_round as f64);
        pb.inc(1);
        let t = Instant::now();
        for _ in 0..per_round {
            b.plain_transfer().map_err(|e| failed(&e))?;
        }
        plain.push(t.elapsed().as_secs_f64() / per_round as f64);
        pb.inc(1);
    }
    pb.finish_and_clear();
    let (s, p) = (median(sero), median(plain));
    Ok(json!({
        "gas_per_transfer": gas,
        "transfers_per_round": per_round,
        "rounds": rounds,
        "sero_us_per_transfer": s * 1e6,
        "plain_us_per_transfer": p * 1e6,
        "sero_gas_per_s": gas as f64 / s,
        "plain_gas_per_s": gas as f64 / p,
        "ratio": p / s,
    }))
}

fn word(v: u128) -> [u8; 32] {
    U256::from(v).to_be_bytes::<32>()
}

/// Part (b): a token sale deployed and issued on a throwaway chain, then a
/// block of `n` `buy()` calls, each bringing `BUY` SERO from a note.
fn calls(n: usize, quiet: bool) -> Result<serde_json::Value, CliError> {
    let failed = |e: &dyn std::fmt::Display| CliError::Failed(e.to_string());
    let t = Instant::now();
    let params = Parameters::generate_insecure(DEV_SEED).map_err(|e| failed(&e))?;
    let setup_s = t.elapsed().as_secs_f64();

    let owner = SecretKey::from_seed(&Seed::from_bytes([1; 32]));
    let miner = SecretKey::from_seed(&Seed::from_bytes([4; 32]));
    let dir = TempDir(std::env::temp_dir().join(format!(
        "sero-bench-evm-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    )));
    std::fs::create_dir_all(&dir.0).map_err(|e| failed(&e))?;
    let owner_pk = owner.payment_address();
    // One note for the deployment, one for the issue, one per call.
    let genesis_pkrs: Vec<_> = (0..n + 2)
        .map(|_| owner_pk.derive_pkr(&mut OsRng))
        .collect();
    let cfg = ChainConfig::dev();
    let mut chain = Chain::open(
        &dir.0.join("chain.redb"),
        Arc::new(params),
        cfg.clone(),
        || {
            let premine: Vec<_> = genesis_pkrs.iter().map(|p| (*p, NOTE_VALUE)).collect();
            genesis_block(&premine, &[], 0, &cfg)
        },
    )
    .map_err(|e| failed(&e))?;
    let records = all_records(&chain)?;
    let notes: Vec<SpendableNote> = find_notes(&owner.trace_key(), &records)
        .into_iter()
        .map(|(pos, note)| {
            chain
                .path(pos)
                .map(|path| SpendableNote { note, path })
                .ok_or_else(|| CliError::Failed(format!("no path for note {pos}")))
        })
        .collect::<Result<_, _>>()?;
    if notes.len() != n + 2 {
        return Err(CliError::Failed(format!(
            "found {} genesis notes, expected {}",
            notes.len(),
            n + 2
        )));
    }
    // The owner's fixed identity: TokenSale remembers msg.sender as owner.
    let identity = owner_pk.derive_pkr_with(&Scalar::from(7u64));
    let coinbase = miner.payment_address().derive_pkr(&mut OsRng);
    let mut height = 0u64;

    let build = |chain: &Chain,
                 note: &SpendableNote,
                 from: Option<OneTimeAddress>,
                 action: ContractAction|
     -> Result<Transaction, CliError> {
        let fee = min_fee(action.gas_limit);
        build_transaction_ext(
            Network {
                chain_id: chain.chain_id(),
                params: chain.params(),
            },
            &owner,
            std::slice::from_ref(note),
            vec![],
            fee,
            Extras {
                contract: Some(action),
                from,
                ..Extras::default()
            },
            &mut OsRng,
            &|_, _| {},
        )
        .map_err(|e| failed(&e))
    };
    let receipt = |chain: &Chain, tx: &Transaction| -> Result<Receipt, CliError> {
        let bytes = chain
            .db()
            .receipt(&tx.txid())
            .map_err(|e| failed(&e))?
            .ok_or_else(|| CliError::Failed("no receipt".into()))?;
        serde_json::from_slice(&bytes).map_err(|e| failed(&e))
    };
    let mut apply = |chain: &mut Chain, txs: Vec<Transaction>| -> Result<(), CliError> {
        height += 1;
        let block = chain
            .build_block(txs, &coinbase, height, Seal::Dev)
            .map_err(|e| failed(&e))?;
        chain.apply_block(&block).map_err(|e| failed(&e))
    };

    let pb = progress(n as u64 + 2, "proving contract calls", quiet);
    // Deploy TokenSale(RATE), then issue COIN bringing the issue fee.
    let mut init = bytecode(TOKEN_SALE_HEX);
    init.extend_from_slice(&word(RATE as u128));
    let deploy = build(
        &chain,
        &notes[0],
        Some(identity),
        ContractAction {
            target: ContractTarget::Create,
            gas_limit: DEPLOY_GAS,
            asset: None,
            token_fee: None,
            data: make_prefix([0; 16], &[], &init),
        },
    )?;
    pb.inc(1);
    apply(&mut chain, vec![deploy.clone()])?;
    let r = receipt(&chain, &deploy)?;
    let sale = match (r.status.as_str(), &r.contract_address) {
        ("success", Some(a)) => {
            let b = hex::decode(a.trim_start_matches("0x")).map_err(|e| failed(&e))?;
            if b.len() != 20 {
                return Err(CliError::Failed(format!("contract address {a}")));
            }
            Address::from_slice(&b)
        }
        _ => return Err(CliError::Failed(format!("deploy: {r:?}"))),
    };
    let mut issue = selector("issue(uint256)").to_vec();
    issue.extend_from_slice(&word(u64::MAX as u128));
    let issue = build(
        &chain,
        &notes[1],
        Some(identity),
        ContractAction {
            target: ContractTarget::Call(sale.0 .0),
            gas_limit: CALL_GAS,
            asset: Some(Asset::sero(ISSUE_FEE)),
            token_fee: None,
            data: make_prefix([0; 16], &[], &issue),
        },
    )?;
    pb.inc(1);
    apply(&mut chain, vec![issue.clone()])?;
    let r = receipt(&chain, &issue)?;
    if r.status != "success" {
        return Err(CliError::Failed(format!("issue: {r:?}")));
    }

    // N buy() calls, each from a fresh From, each bringing BUY SERO.
    let buy_data = make_prefix([0; 16], &[], &selector("buy()"));
    let mut txs = Vec::with_capacity(n);
    for note in &notes[2..] {
        txs.push(build(
            &chain,
            note,
            None,
            ContractAction {
                target: ContractTarget::Call(sale.0 .0),
                gas_limit: CALL_GAS,
                asset: Some(Asset::sero(BUY)),
                token_fee: None,
                data: buy_data.clone(),
            },
        )?);
        pb.inc(1);
    }
    pb.finish_and_clear();
    let tx_bytes = txs.iter().map(|t| t.to_bytes().len()).sum::<usize>() / n;
    height += 1;
    let block = chain
        .build_block(txs.clone(), &coinbase, height, Seal::Dev)
        .map_err(|e| failed(&e))?;
    if block.txs.len() != n {
        return Err(CliError::Failed(format!(
            "the block holds {} of the {n} calls",
            block.txs.len()
        )));
    }
    let (validated, validate_cost) = cost(|| chain.validate_block(&block));
    validated.map_err(|e| failed(&e))?;
    let (applied, apply_cost) = cost(|| chain.apply_block(&block));
    applied.map_err(|e| failed(&e))?;
    let mut gas = 0u64;
    for tx in &txs {
        let r = receipt(&chain, tx)?;
        let paid = r.notes.iter().any(|n| n.currency == "COIN");
        if r.status != "success" || !paid {
            return Err(CliError::Failed(format!("buy: {r:?}")));
        }
        gas += r.gas_used;
    }

    // The engine alone: the same call executed over the chain's contract
    // state (no proofs, no store), repeated.
    let env = Env {
        height: height + 1,
        time: height + 1,
        tx_hash: [7; 32],
        gas_limit: CALL_GAS,
        from: owner_pk.derive_pkr(&mut OsRng),
        asset: Some(Asset::sero(BUY)),
        action: Action::Call {
            to: sale,
            data: buy_data,
        },
    };
    let ecfg = evm_config();
    let runs = 200;
    let view = chain.contract_view().map_err(|e| failed(&e))?;
    let t = Instant::now();
    for _ in 0..runs {
        let out = sero_evm::execute(&view, &ecfg, &env).map_err(|e| failed(&e))?;
        let coin = Currency::new("COIN").map_err(|e| failed(&e))?;
        if !out.is_success() || out.notes.first().map(|x| x.asset.currency) != Some(coin) {
            return Err(CliError::Failed(format!("engine buy: {:?}", out.status)));
        }
    }
    let exec_s = t.elapsed().as_secs_f64() / runs as f64;
    drop(chain);
    drop(dir);
    Ok(json!({
        "calls": n,
        "tx_bytes": tx_bytes,
        "gas_per_call": gas / n as u64,
        "setup_s": setup_s,
        "validate_block": validate_cost.json(n),
        "apply_block": apply_cost.json(n),
        "validate_ms_per_tx": validate_cost.wall_s * 1e3 / n as f64,
        "apply_ms_per_tx": apply_cost.wall_s * 1e3 / n as f64,
        "engine_only_ms_per_call": exec_s * 1e3,
    }))
}

pub fn run(args: EvmArgs, quiet: bool) -> Result<Report, CliError> {
    let (per_round, rounds, n) = if args.quick {
        (300, 3, 2)
    } else {
        (args.transfers.max(1), 5, args.calls)
    };
    if n == 0 || n + 2 > MAX_BLOCK_TXS {
        return Err(CliError::Usage(format!(
            "--calls must be between 1 and {}",
            MAX_BLOCK_TXS - 2
        )));
    }
    let a = transfers(per_round, rounds, quiet)?;
    let b = calls(n, quiet)?;
    let f = |v: &serde_json::Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let human = format!(
        "ERC-20 transfer ({} gas, solc 0.4.26), {} per side x {} rounds, state committed:\n\
         {:<28} {:>9.2} us/transfer {:>8.2} G gas/s\n\
         {:<28} {:>9.2} us/transfer {:>8.2} G gas/s\n\
         ratio (engine / plain gas/s): {:.2} (goal >= 0.9)\n\
         token sale buy() with {BUY} SERO from a note, block of {n} calls ({} gas each, {} bytes each):\n\
         {:<28} {:>9.2} ms/tx\n\
         {:<28} {:>9.2} ms/tx\n\
         {:<28} {:>9.3} ms/call",
        a["gas_per_transfer"],
        per_round,
        rounds,
        "SERO engine",
        f(&a, "sero_us_per_transfer"),
        f(&a, "sero_gas_per_s") / 1e9,
        "plain revm",
        f(&a, "plain_us_per_transfer"),
        f(&a, "plain_gas_per_s") / 1e9,
        f(&a, "ratio"),
        b["gas_per_call"],
        b["tx_bytes"],
        "Chain::validate_block",
        f(&b, "validate_ms_per_tx"),
        "Chain::apply_block",
        f(&b, "apply_ms_per_tx"),
        "engine alone (execute)",
        f(&b, "engine_only_ms_per_call"),
    );
    Ok(Report::new(
        human,
        json!({
            "quick": args.quick,
            "threads": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            "erc20": a,
            "contract_calls": b,
        }),
    ))
}
