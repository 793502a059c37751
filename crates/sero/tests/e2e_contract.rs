//! End to end with real processes: a contract compiled by the real Solidity
//! compiler (solcjs from the npm registry) issues a token on `sero dev`,
//! a buyer pays SERO out of its shielded notes and finds the token note in
//! `sero wallet balance`, then spends it privately to a third party. Along
//! the way: `sero contract read`, receipts, the `eth_` methods, and bad
//! input (unknown contract, ABI mismatch, garbage bytecode) refused with a
//! clear error.

use serde_json::Value;
use std::process::Command;

mod common;

use common::{compile_contract as compile, new_account, sero_cli as sero, start, DevNode, SERO};

fn balance(node: &DevNode, mnemonic: &str, cur: &str) -> u128 {
    let (code, v) = sero(node, "wallet", &["balance", "--mnemonic", mnemonic]);
    assert_eq!(code, 0, "{v}");
    v["balances"][cur]
        .as_str()
        .map(|s| s.parse().unwrap())
        .unwrap_or(0)
}

fn rpc(node: &DevNode, method: &str, params: Value) -> Value {
    let c = sero_rpc::client(&node.url).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sero_rpc::jsonrpsee::core::client::ClientT;
        let p: Vec<Value> = params.as_array().cloned().unwrap_or_default();
        let mut b = sero_rpc::jsonrpsee::core::params::ArrayParams::new();
        for x in p {
            b.insert(x).unwrap();
        }
        match c.request::<Value, _>(method, b).await {
            Ok(v) => v,
            Err(e) => serde_json::json!({ "error": e.to_string() }),
        }
    })
}

#[test]
fn token_sale_compiled_by_solc_pays_a_private_token_note() {
    let chain = tempfile::tempdir().unwrap();
    let node = start(chain.path());
    let build = tempfile::tempdir().unwrap();
    let (bin, abi) = compile(build.path(), "TokenSale", &[]);
    let dev = node.mnemonic.clone();
    let (bob, bob_pk) = new_account();
    let (carol, carol_pk) = new_account();

    // Deploy as the dev account's fixed identity (owner = msg.sender).
    let (code, v) = sero(
        &node,
        "contract",
        &[
            "deploy",
            "--bin",
            bin.to_str().unwrap(),
            "--ctor",
            "constructor(uint256)",
            "--args",
            "[10]",
            "--mnemonic",
            &dev,
            "--identity",
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["status"], "success", "{v}");
    let sale = v["contract_address"].as_str().unwrap().to_string();

    // The owner issues COIN, bringing the issue fee in SERO.
    let (code, v) = sero(
        &node,
        "contract",
        &[
            "call",
            "--to",
            &sale,
            "--abi",
            abi.to_str().unwrap(),
            "--fn",
            "issue(uint256)",
            "--args",
            "[1000000]",
            "--amount",
            "100",
            "--mnemonic",
            &dev,
            "--identity",
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["status"], "success", "{v}");
    let (code, v) = sero(
        &node,
        "contract",
        &["read", "--to", &sale, "--fn", "coinBalance()"],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["words"][0], "1000000");

    // Bob gets SERO, buys COIN with 500 of it from a fresh From.
    let (code, v) = sero(
        &node,
        "wallet",
        &[
            "send",
            "--mnemonic",
            &dev,
            "--to",
            &bob_pk,
            "--amount",
            "5000",
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    let (code, v) = sero(
        &node,
        "contract",
        &[
            "call",
            "--to",
            &sale,
            "--fn",
            "buy()",
            "--amount",
            "500",
            "--mnemonic",
            &bob,
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["status"], "success", "{v}");
    assert_eq!(v["notes"][0]["currency"], "COIN");
    assert_eq!(v["notes"][0]["value"], "5000");
    let txid = v["txid"].as_str().unwrap().to_string();
    assert_eq!(balance(&node, &bob, "COIN"), 5000);
    assert_eq!(balance(&node, &bob, "SERO"), 5000 - 500 - 100);
    // The receipt over RPC.
    let r = rpc(
        &node,
        "sero_getTransactionReceipt",
        serde_json::json!([txid]),
    );
    assert_eq!(r["status"], "success", "{r}");

    // Bob spends the token note privately to Carol.
    let (code, v) = sero(
        &node,
        "wallet",
        &[
            "send",
            "--mnemonic",
            &bob,
            "--to",
            &carol_pk,
            "--amount",
            "1200",
            "--currency",
            "COIN",
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(balance(&node, &carol, "COIN"), 1200);
    assert_eq!(balance(&node, &bob, "COIN"), 3800);
    assert_eq!(balance(&node, &carol, "SERO"), 0);

    // Gas on behalf: Carol holds COIN and no SERO. Before the sale sets a
    // rate, a call paying its gas in COIN is refused at submission.
    let carol_call = |fee: &str| {
        sero(
            &node,
            "contract",
            &[
                "call",
                "--to",
                &sale,
                "--fn",
                "coinBalance()",
                "--fee-token",
                fee,
                "--mnemonic",
                &carol,
                "--wait",
            ],
        )
    };
    let (code, v) = carol_call("COIN:100");
    assert_ne!(code, 0, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap_or_default()
            .contains("pays no gas"),
        "{v}"
    );
    let (code, v) = sero(
        &node,
        "contract",
        &[
            "call",
            "--to",
            &sale,
            "--fn",
            "sponsorGas(uint256,uint256)",
            "--args",
            "[1, 1]",
            "--mnemonic",
            &dev,
            "--identity",
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["status"], "success", "{v}");
    // 99 COIN buy 99 SERO units of gas: less than 1,000,000 gas costs.
    let (code, v) = carol_call("COIN:99");
    assert_ne!(code, 0, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap_or_default()
            .contains("less than"),
        "{v}"
    );
    let (code, v) = sero(
        &node,
        "contract",
        &["read", "--to", &sale, "--fn", "coinBalance()"],
    );
    assert_eq!(code, 0, "{v}");
    let coin_book: u128 = v["words"][0].as_str().unwrap().parse().unwrap();
    let (code, v) = carol_call("COIN:100");
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["status"], "success", "{v}");
    assert_eq!(v["gas_on_behalf"]["currency"], "COIN", "{v}");
    assert_eq!(v["gas_on_behalf"]["tokens"], "100", "{v}");
    assert_eq!(v["gas_on_behalf"]["sero"], "100", "{v}");
    assert_eq!(balance(&node, &carol, "COIN"), 1100);
    assert_eq!(balance(&node, &carol, "SERO"), 0);
    let (code, v) = sero(
        &node,
        "contract",
        &["read", "--to", &sale, "--fn", "coinBalance()"],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["words"][0], (coin_book + 100).to_string());
    // A deploy cannot pay in tokens (usage error, nothing sent).
    let (code, v) = sero(
        &node,
        "contract",
        &[
            "deploy",
            "--hex",
            "6000",
            "--fee-token",
            "COIN:100",
            "--mnemonic",
            &carol,
        ],
    );
    assert_eq!(code, 2, "{v}");

    // Ethereum read methods.
    let n = rpc(&node, "eth_blockNumber", serde_json::json!([]));
    assert!(n.as_str().unwrap().starts_with("0x"), "{n}");
    assert_eq!(rpc(&node, "eth_chainId", serde_json::json!([])), "0x5e40");
    let code_hex = rpc(&node, "eth_getCode", serde_json::json!([sale, "latest"]));
    assert!(code_hex.as_str().unwrap().len() > 100, "{code_hex}");
    // TokenSale's storage slot 0x0d is `rate`.
    let w = rpc(
        &node,
        "eth_getStorageAt",
        serde_json::json!([sale, "0xd", "latest"]),
    );
    assert_eq!(
        w,
        "0x000000000000000000000000000000000000000000000000000000000000000a"
    );
    // rate() through eth_call.
    let r = rpc(
        &node,
        "eth_call",
        serde_json::json!([{"to": sale, "data": "0x2c4e722e"}, "latest"]),
    );
    assert_eq!(
        r,
        "0x000000000000000000000000000000000000000000000000000000000000000a"
    );

    // eth_estimateGas: the least gas with which buy() (bringing nothing, so
    // paying nothing) succeeds; a reverting call is Ethereum's error 3.
    let g = rpc(
        &node,
        "eth_estimateGas",
        serde_json::json!([{"to": sale, "data": "0x2c4e722e"}]),
    );
    let g = u64::from_str_radix(g.as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    assert!((21_000..100_000).contains(&g), "{g}");
    // buyThenRevert(): its selector from its signature.
    let revert_sel = format!(
        "0x{}",
        hex::encode(&sero_evm::engine_keccak(b"buyThenRevert()")[..4])
    );
    let e = rpc(
        &node,
        "eth_estimateGas",
        serde_json::json!([{"to": sale, "data": revert_sel}]),
    );
    assert!(
        e["error"].as_str().unwrap_or_default().contains("revert"),
        "{e}"
    );
    let e = rpc(&node, "eth_estimateGas", serde_json::json!(["nope"]));
    assert!(e["error"].as_str().is_some(), "{e}");

    // Bad input: unknown contract, ABI mismatch, garbage bytecode.
    let (code, v) = sero(
        &node,
        "contract",
        &[
            "read",
            "--to",
            "0x00000000000000000000000000000000000000aa",
            "--fn",
            "rate()",
        ],
    );
    assert_ne!(code, 0, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap_or_default()
            .contains("no contract"),
        "{v}"
    );
    let (code, v) = sero(
        &node,
        "contract",
        &[
            "call",
            "--to",
            &sale,
            "--abi",
            abi.to_str().unwrap(),
            "--fn",
            "steal(uint256)",
            "--args",
            "[1]",
            "--mnemonic",
            &bob,
        ],
    );
    assert_eq!(code, 2, "{v}");
    let (code, v) = sero(
        &node,
        "contract",
        &["deploy", "--hex", "zz", "--mnemonic", &bob],
    );
    assert_eq!(code, 2, "{v}");
    let (code, v) = sero(
        &node,
        "contract",
        &[
            "call",
            "--to",
            &sale,
            "--fn",
            "buy()",
            "--args",
            "{",
            "--mnemonic",
            &bob,
        ],
    );
    assert_eq!(code, 2, "{v}");
    // Nothing of those changed Bob's funds.
    assert_eq!(balance(&node, &bob, "COIN"), 3800);
}

fn fresh_pkr(pk: &str) -> String {
    let out = Command::new(SERO)
        .args(["--json", "keys", "pkr", pk])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["pkr"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_string()
}

fn tickets(node: &DevNode, mnemonic: &str) -> Vec<String> {
    let (code, v) = sero(node, "wallet", &["balance", "--mnemonic", mnemonic]);
    assert_eq!(code, 0, "{v}");
    v["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect()
}

/// Issue 10, scenario 3 on a real `sero dev`: a kitty-like contract mints a
/// ticket with `sero_allotTicket(to, 0, "KITTY")` to a one-time address
/// listed in the call (registered through the input prefix); its owner's
/// wallet finds the ticket and sends it privately; the new holder brings
/// it into `give(to)` (`sero_msg_category`, `sero_msg_ticket`) and the
/// contract sends it on to a third party, whose wallet finds it.
#[test]
fn kitty_tickets_minted_moved_privately_and_passed_on_by_a_contract() {
    let chain = tempfile::tempdir().unwrap();
    let node = start(chain.path());
    let build = tempfile::tempdir().unwrap();
    let (bin, _) = compile(build.path(), "Kitty", &["TicketRelay.sol"]);
    let relay_bin = build.path().join("TicketRelay_sol_TicketRelay.bin");
    let dev = node.mnemonic.clone();
    let (alice, alice_pk) = new_account();
    let (bob, bob_pk) = new_account();
    let (carol, carol_pk) = new_account();

    let (code, v) = sero(
        &node,
        "contract",
        &[
            "deploy",
            "--bin",
            bin.to_str().unwrap(),
            "--mnemonic",
            &dev,
            "--identity",
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["status"], "success", "{v}");
    let kitty = v["contract_address"].as_str().unwrap().to_string();

    // Mint a kitty to a fresh one-time address of Alice's.
    let to = fresh_pkr(&alice_pk);
    let args = format!("[\"{to}\", 7]");
    let (code, v) = sero(
        &node,
        "contract",
        &[
            "call",
            "--to",
            &kitty,
            "--fn",
            "mint(address,uint256)",
            "--args",
            &args,
            "--mnemonic",
            &dev,
            "--identity",
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["status"], "success", "{v}");
    let minted = tickets(&node, &alice);
    assert_eq!(minted.len(), 1, "{minted:?}");
    let kitty_ticket = minted[0].clone();
    assert!(kitty_ticket.starts_with("KITTY:"), "{kitty_ticket}");

    // Alice pays Bob the kitty, privately, like any payment (with SERO for
    // his fees).
    let (code, v) = sero(
        &node,
        "wallet",
        &[
            "send",
            "--mnemonic",
            &dev,
            "--to",
            &alice_pk,
            "--amount",
            "1000",
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    let (code, v) = sero(
        &node,
        "wallet",
        &[
            "send",
            "--mnemonic",
            &alice,
            "--to",
            &bob_pk,
            "--ticket",
            &kitty_ticket,
            "--amount",
            "300",
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    assert!(tickets(&node, &alice).is_empty());
    assert_eq!(tickets(&node, &bob), vec![kitty_ticket.clone()]);

    // Bob brings it into give(carol): the contract reads the ticket it was
    // given and sends it on.
    let carol_pkr = fresh_pkr(&carol_pk);
    let args = format!("[\"{carol_pkr}\"]");
    let (code, v) = sero(
        &node,
        "contract",
        &[
            "call",
            "--to",
            &kitty,
            "--fn",
            "give(address)",
            "--args",
            &args,
            "--ticket",
            &kitty_ticket,
            "--mnemonic",
            &bob,
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["status"], "success", "{v}");
    assert!(tickets(&node, &bob).is_empty());
    assert_eq!(tickets(&node, &carol), vec![kitty_ticket.clone()]);

    // Contract to contract: Carol brings the kitty into giveVia(relay,
    // dave); Kitty passes it with sero_setCallValues to TicketRelay, which
    // reads it (sero_msg_category, sero_msg_ticket) and sends it to Dave.
    let (dave, dave_pk) = new_account();
    let (code, v) = sero(
        &node,
        "contract",
        &[
            "deploy",
            "--bin",
            relay_bin.to_str().unwrap(),
            "--mnemonic",
            &dev,
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["status"], "success", "{v}");
    let relay = v["contract_address"].as_str().unwrap().to_string();
    let (code, v) = sero(
        &node,
        "wallet",
        &[
            "send",
            "--mnemonic",
            &dev,
            "--to",
            &carol_pk,
            "--amount",
            "1000",
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    let dave_pkr = fresh_pkr(&dave_pk);
    let args = format!("[\"{relay}\", \"{dave_pkr}\"]");
    let (code, v) = sero(
        &node,
        "contract",
        &[
            "call",
            "--to",
            &kitty,
            "--fn",
            "giveVia(address,address)",
            "--args",
            &args,
            "--ticket",
            &kitty_ticket,
            "--mnemonic",
            &carol,
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["status"], "success", "{v}");
    assert_eq!(v["notes"][0]["pkr"], dave_pkr, "{v}");
    assert!(tickets(&node, &carol).is_empty());
    assert_eq!(tickets(&node, &dave), vec![kitty_ticket.clone()]);
    let (code, v) = sero(
        &node,
        "contract",
        &["read", "--to", &relay, "--fn", "relayed()"],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["words"][0], "1");
    let id = kitty_ticket.split_once(':').unwrap().1;
    let (code, v) = sero(
        &node,
        "contract",
        &["read", "--to", &relay, "--fn", "lastTicket()"],
    );
    assert_eq!(code, 0, "{v}");
    assert!(
        v["output"].as_str().unwrap().ends_with(id),
        "the relay saw the ticket id {id}: {v}"
    );
}

/// A published-style SRC20 runs unchanged: it issues its whole supply in
/// its constructor (the deploying transaction brings the issue fee) and
/// sends it to `msg.sender`, the deployer's fresh `From`, whose wallet finds
/// the note.
#[test]
fn src20_issues_in_its_constructor_and_pays_the_deployer() {
    let chain = tempfile::tempdir().unwrap();
    let node = start(chain.path());
    let build = tempfile::tempdir().unwrap();
    let (bin, _) = compile(build.path(), "Src20", &[]);
    let dev = node.mnemonic.clone();
    let (code, v) = sero(
        &node,
        "contract",
        &[
            "deploy",
            "--bin",
            bin.to_str().unwrap(),
            "--ctor",
            "constructor(uint256,string)",
            "--args",
            r#"[21000000, "GOLD"]"#,
            "--amount",
            "100",
            "--mnemonic",
            &dev,
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["status"], "success", "{v}");
    assert_eq!(v["notes"][0]["currency"], "GOLD", "{v}");
    assert_eq!(v["notes"][0]["value"], "21000000", "{v}");
    assert_eq!(balance(&node, &dev, "GOLD"), 21_000_000);
    let token = v["contract_address"].as_str().unwrap().to_string();
    let (code, v) = sero(
        &node,
        "contract",
        &["read", "--to", &token, "--fn", "totalSupply()"],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["words"][0], "21000000");
    // GOLD is now taken: a second SRC20 with the same name fails, and its
    // issue fee comes back to the deployer as a note.
    let (code, v) = sero(
        &node,
        "contract",
        &[
            "deploy",
            "--bin",
            bin.to_str().unwrap(),
            "--ctor",
            "constructor(uint256,string)",
            "--args",
            r#"[5, "GOLD"]"#,
            "--amount",
            "100",
            "--mnemonic",
            &dev,
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["status"], "revert", "{v}");
    assert_eq!(v["notes"][0]["currency"], "SERO", "{v}");
    assert_eq!(v["notes"][0]["value"], "100", "{v}");
    assert_eq!(balance(&node, &dev, "GOLD"), 21_000_000);
}
