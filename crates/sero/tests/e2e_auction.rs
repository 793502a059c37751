//! End to end with real processes: a sealed-bid auction whose bids are
//! packages (`contracts/SealedBidAuction.sol`, compiled by solcjs) on
//! `sero dev`. Alice bids 300 SERO and Bob 500, each sealed in a package
//! that the contract receives (`sero contract call --package`) without
//! learning the amount; after the seller closes the bidding, each reveals
//! the key and the contract opens the package (`sero_ClosePkg`); Carol
//! never reveals. On `finish()`, Bob wins the LOT ticket, the seller gets
//! 500, Alice is refunded 300, and Carol's package comes back unopened
//! (`sero_TransferPkg`) and she opens it herself. A wrong key does not
//! open a package in a contract either.

use serde_json::Value;

mod common;

use common::{compile_contract, new_account, sero_cli as sero, start, DevNode};

fn ok(node: &DevNode, group: &str, args: &[&str]) -> Value {
    let (code, v) = sero(node, group, args);
    assert_eq!(code, 0, "{args:?}: {v}");
    v
}

fn wallet_balance(node: &DevNode, mnemonic: &str) -> Value {
    ok(node, "wallet", &["balance", "--mnemonic", mnemonic])
}

fn sero_of(v: &Value) -> u128 {
    v["balances"]["SERO"]
        .as_str()
        .map(|s| s.parse().unwrap())
        .unwrap_or(0)
}

fn tickets(v: &Value) -> Vec<String> {
    v["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn sealed_bid_auction_with_packages() {
    let chain = tempfile::tempdir().unwrap();
    let node = start(chain.path());
    let build = tempfile::tempdir().unwrap();
    let (bin, abi) = compile_contract(build.path(), "SealedBidAuction", &[]);
    let abi = abi.to_str().unwrap().to_string();
    let dev = node.mnemonic.clone();
    let bidders: Vec<(String, String)> = (0..3).map(|_| new_account()).collect();
    for (_, pk) in &bidders {
        ok(
            &node,
            "wallet",
            &[
                "send",
                "--mnemonic",
                &dev,
                "--to",
                pk,
                "--amount",
                "2000",
                "--wait",
            ],
        );
    }

    // The seller deploys and mints the lot, as its fixed identity.
    let v = ok(
        &node,
        "contract",
        &[
            "deploy",
            "--bin",
            bin.to_str().unwrap(),
            "--gas",
            "4000000",
            "--mnemonic",
            &dev,
            "--identity",
            "--wait",
        ],
    );
    assert_eq!(v["status"], "success", "{v}");
    let auction = v["contract_address"].as_str().unwrap().to_string();
    let seller_call = |f: &str| {
        let v = ok(
            &node,
            "contract",
            &[
                "call",
                "--to",
                &auction,
                "--abi",
                &abi,
                "--fn",
                f,
                "--mnemonic",
                &dev,
                "--identity",
                "--wait",
            ],
        );
        assert_eq!(v["status"], "success", "{f}: {v}");
    };
    seller_call("mintLot()");
    let v = ok(
        &node,
        "contract",
        &["read", "--to", &auction, "--fn", "lot()"],
    );
    let lot_word = v["words"][0].as_str().unwrap().to_string();

    // Bids: packages of 300, 500 and 400 SERO, brought to bid().
    let amounts = ["300", "500", "400"];
    let mut packages = vec![];
    for ((m, _), amount) in bidders.iter().zip(amounts) {
        let v = ok(
            &node,
            "wallet",
            &[
                "package",
                "create",
                "--mnemonic",
                m,
                "--amount",
                amount,
                "--wait",
            ],
        );
        let (id, key) = (
            v["id"].as_str().unwrap().to_string(),
            v["key"].as_str().unwrap().to_string(),
        );
        let v = ok(
            &node,
            "contract",
            &[
                "call",
                "--to",
                &auction,
                "--abi",
                &abi,
                "--fn",
                "bid()",
                "--package",
                &id,
                "--mnemonic",
                m,
                "--wait",
            ],
        );
        assert_eq!(v["status"], "success", "{v}");
        packages.push((id, key));
    }
    let v = ok(
        &node,
        "contract",
        &["read", "--to", &auction, "--fn", "bids()"],
    );
    assert_eq!(v["words"][0], "3");
    // Nobody has seen an amount: nothing is revealed yet.
    let v = ok(
        &node,
        "contract",
        &["read", "--to", &auction, "--fn", "highest()"],
    );
    assert_eq!(v["words"][0], "0");

    seller_call("close()");

    // A wrong key: the contract cannot open the package (the call reverts).
    let (alice, _) = &bidders[0];
    let arg = |id: &str, key: &str| format!("[\"0x{id}\",\"0x{key}\"]");
    let (code, v) = sero(
        &node,
        "contract",
        &[
            "call",
            "--to",
            &auction,
            "--abi",
            &abi,
            "--fn",
            "reveal(bytes32,bytes32)",
            "--args",
            &arg(&packages[0].0, &"11".repeat(32)),
            "--mnemonic",
            alice,
            "--wait",
        ],
    );
    assert!(code != 0 || v["status"] != "success", "{v}");

    // Alice and Bob reveal; Carol does not.
    for ((m, _), (id, key)) in bidders.iter().zip(&packages).take(2) {
        let v = ok(
            &node,
            "contract",
            &[
                "call",
                "--to",
                &auction,
                "--abi",
                &abi,
                "--fn",
                "reveal(bytes32,bytes32)",
                "--args",
                &arg(id, key),
                "--mnemonic",
                m,
                "--wait",
            ],
        );
        assert_eq!(v["status"], "success", "{v}");
    }
    let v = ok(
        &node,
        "contract",
        &["read", "--to", &auction, "--fn", "highest()"],
    );
    assert_eq!(v["words"][0], "500");

    let before: Vec<u128> = bidders
        .iter()
        .map(|(m, _)| sero_of(&wallet_balance(&node, m)))
        .collect();
    seller_call("finish()");

    // Bob (500) wins the lot; Alice gets her 300 back; Carol gets her
    // package back, unopened, and opens it herself.
    let b = wallet_balance(&node, &bidders[1].0);
    assert!(
        tickets(&b).iter().any(|t| t.starts_with("LOT:")),
        "{b} (lot {lot_word})"
    );
    assert_eq!(sero_of(&b), before[1]);
    let a = wallet_balance(&node, &bidders[0].0);
    assert_eq!(sero_of(&a), before[0] + 300);
    let c = wallet_balance(&node, &bidders[2].0);
    let carol_ticket = format!("#PKG:{}", packages[2].0);
    assert!(tickets(&c).contains(&carol_ticket), "{c}");
    let v = ok(
        &node,
        "wallet",
        &[
            "package",
            "open",
            &packages[2].0,
            "--key",
            &packages[2].1,
            "--mnemonic",
            &bidders[2].0,
            "--wait",
        ],
    );
    assert_eq!(v["assets"][0]["value"], "400");
    assert_eq!(
        sero_of(&wallet_balance(&node, &bidders[2].0)),
        before[2] + 400 - 10
    );
    // Bob's and Alice's packages were opened in the contract: opening them
    // again is refused.
    let (code, v) = sero(
        &node,
        "wallet",
        &[
            "package",
            "open",
            &packages[1].0,
            "--key",
            &packages[1].1,
            "--mnemonic",
            &bidders[1].0,
        ],
    );
    assert_eq!(code, 1, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("already opened"),
        "{v}"
    );
}
