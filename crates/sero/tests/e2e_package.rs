//! End to end with real processes: packages on `sero dev`. The dev account
//! seals 500 SERO and a file into a package (`wallet package create`),
//! sends it privately to Bob (`wallet send --package`), and Bob, given the
//! key off chain, opens it (`wallet package open`): the 500 SERO become
//! his notes, the data is printed and written out. A wrong key, a second
//! opening, an unknown package and oversize data are clear errors that
//! change nothing.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};

mod common;

use common::{start, DevNode, SERO};

fn wallet(node: &DevNode, dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = Command::new(SERO)
        .args(["--json", "wallet", "--rpc", &node.url])
        .args(args)
        .current_dir(dir)
        .env_remove("SERO_MNEMONIC")
        .env_remove("SERO_PASSPHRASE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap_or(-1), v)
}

fn balance(node: &DevNode, dir: &Path, mnemonic: &str) -> Value {
    let (code, v) = wallet(node, dir, &["balance", "--mnemonic", mnemonic]);
    assert_eq!(code, 0, "{v}");
    v
}

fn sero(v: &Value) -> u128 {
    v["balances"]["SERO"]
        .as_str()
        .map(|s| s.parse().unwrap())
        .unwrap_or(0)
}

fn has_ticket(v: &Value, t: &str) -> bool {
    v["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x.as_str() == Some(t))
}

#[test]
fn create_send_and_open_a_package() {
    let chain = tempfile::tempdir().unwrap();
    let node = start(chain.path());
    let home = tempfile::tempdir().unwrap();
    let d = home.path();
    let dev = node.mnemonic.clone();

    // Bob: a fresh account.
    let (code, v) = wallet(
        &node,
        d,
        &["create", "--keystore", "bob.json", "--passphrase", "pw"],
    );
    assert_eq!(code, 0, "{v}");
    let bob = v["mnemonic"].as_str().unwrap().to_string();
    let bob_pk = v["pk"].as_str().unwrap().to_string();

    // Oversize data: a usage error before anything is built.
    std::fs::write(d.join("big.bin"), vec![1u8; 4097]).unwrap();
    let (code, v) = wallet(
        &node,
        d,
        &[
            "package",
            "create",
            "--mnemonic",
            &dev,
            "--amount",
            "1",
            "--data",
            "big.bin",
        ],
    );
    assert_eq!(code, 2, "{v}");
    assert!(v["error"].as_str().unwrap().contains("4096"), "{v}");

    // Create: 500 SERO and a file.
    let secret = "the combination is 31-7-22";
    std::fs::write(d.join("note.txt"), secret).unwrap();
    let before = sero(&balance(&node, d, &dev));
    let (code, v) = wallet(
        &node,
        d,
        &[
            "package",
            "create",
            "--mnemonic",
            &dev,
            "--amount",
            "500",
            "--currency",
            "SERO",
            "--data",
            "note.txt",
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let key = v["key"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 64);
    assert_eq!(key.len(), 64);
    let ticket = format!("#PKG:{id}");
    let after = balance(&node, d, &dev);
    // The dev account also earns block rewards meanwhile: at least the 500
    // and the fee left it, and it holds the package ticket.
    assert!(has_ticket(&after, &ticket), "{after}");
    let _ = before;

    // Send it privately to Bob, with 100 SERO for his fee.
    let (code, v) = wallet(
        &node,
        d,
        &[
            "send",
            "--mnemonic",
            &dev,
            "--to",
            &bob_pk,
            "--package",
            &id,
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    let (code, v) = wallet(
        &node,
        d,
        &[
            "send",
            "--mnemonic",
            &dev,
            "--to",
            &bob_pk,
            "--amount",
            "100",
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    let b = balance(&node, d, &bob);
    assert!(has_ticket(&b, &ticket), "{b}");
    assert_eq!(sero(&b), 100);
    assert!(!has_ticket(&balance(&node, d, &dev), &ticket));

    // A wrong key: a clear error, nothing sent.
    let wrong = "11".repeat(32);
    let (code, v) = wallet(
        &node,
        d,
        &[
            "package",
            "open",
            &id,
            "--key",
            &wrong,
            "--mnemonic",
            &bob,
            "--wait",
        ],
    );
    assert_eq!(code, 1, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("does not open"),
        "{v}"
    );
    // A malformed key: a usage error.
    let (code, _) = wallet(
        &node,
        d,
        &["package", "open", &id, "--key", "abc", "--mnemonic", &bob],
    );
    assert_eq!(code, 2);
    let b = balance(&node, d, &bob);
    assert!(has_ticket(&b, &ticket));
    assert_eq!(sero(&b), 100);

    // Open with the key: the 500 SERO are Bob's, the data comes out.
    let (code, v) = wallet(
        &node,
        d,
        &[
            "package",
            "open",
            &id,
            "--key",
            &key,
            "--mnemonic",
            &bob,
            "--out",
            "got.txt",
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["data"], secret);
    assert_eq!(v["assets"][0]["value"], "500");
    assert_eq!(std::fs::read_to_string(d.join("got.txt")).unwrap(), secret);
    let b = balance(&node, d, &bob);
    assert_eq!(sero(&b), 100 + 500 - 10);
    assert!(!has_ticket(&b, &ticket));

    // Twice: refused.
    let (code, v) = wallet(
        &node,
        d,
        &["package", "open", &id, "--key", &key, "--mnemonic", &bob],
    );
    assert_eq!(code, 1, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("already opened"),
        "{v}"
    );
    // An unknown package.
    let (code, v) = wallet(
        &node,
        d,
        &[
            "package",
            "open",
            &"22".repeat(32),
            "--key",
            &key,
            "--mnemonic",
            &bob,
        ],
    );
    assert_eq!(code, 1, "{v}");
    assert!(v["error"].as_str().unwrap().contains("no package"), "{v}");
}
