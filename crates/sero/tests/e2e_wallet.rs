//! End to end with real processes: the encrypted keystore. `sero wallet
//! create` writes a keystore and shows the mnemonic once; `receive` reads the
//! PK without the passphrase; the dev account pays it; `balance`, `history`
//! (with the memo and, once spent, the spending transaction) and `send`
//! unlock it with the passphrase from the argument, the environment or
//! stdin; a wrong passphrase exits 1; `restore` from the mnemonic gives the
//! same account; giving both or neither of --mnemonic and --keystore exits 2.

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

mod common;

use common::{start, DevNode, SERO};

/// `sero --json wallet --rpc URL args…` with `env` set, `stdin` written to
/// its standard input (closed when `None`), in `dir`.
fn wallet_with(
    node: &DevNode,
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: Option<&str>,
) -> (i32, Value) {
    let mut cmd = Command::new(SERO);
    cmd.args(["--json", "wallet", "--rpc", &node.url])
        .args(args)
        .current_dir(dir)
        .env_remove("SERO_MNEMONIC")
        .env_remove("SERO_PASSPHRASE")
        .envs(env.iter().copied())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(input.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap_or(-1), v)
}

fn wallet(node: &DevNode, dir: &Path, args: &[&str]) -> (i32, Value) {
    wallet_with(node, dir, args, &[], None)
}

fn sero_balance(v: &Value) -> u128 {
    v["balances"]["SERO"]
        .as_str()
        .map(|s| s.parse().unwrap())
        .unwrap_or(0)
}

#[test]
fn keystore_create_receive_balance_history_restore() {
    let chain = tempfile::tempdir().unwrap();
    let node = start(chain.path());
    let home = tempfile::tempdir().unwrap();
    let d = home.path();
    let dev = node.mnemonic.clone();

    // Create: the mnemonic and PK, once; the file is private.
    let (code, v) = wallet(
        &node,
        d,
        &["create", "--keystore", "k.json", "--passphrase", "pw"],
    );
    assert_eq!(code, 0, "{v}");
    let mnemonic = v["mnemonic"].as_str().unwrap().to_string();
    let pk = v["pk"].as_str().unwrap().to_string();
    assert_eq!(mnemonic.split(' ').count(), 24);
    assert!(v["warning"].as_str().unwrap().contains("only this once"));
    let file = std::fs::read_to_string(d.join("k.json")).unwrap();
    assert!(!file.contains(&mnemonic));
    let ks: Value = serde_json::from_str(&file).unwrap();
    assert_eq!(ks["pk"], pk.as_str());
    assert_eq!(ks["kdf"], "argon2id");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("k.json")).unwrap().permissions();
        assert_eq!(mode.mode() & 0o777, 0o600);
    }
    // Never over an existing file.
    let (code, v) = wallet(
        &node,
        d,
        &["create", "--keystore", "k.json", "--passphrase", "pw"],
    );
    assert_eq!(code, 1, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("already exists"),
        "{v}"
    );

    // Receive: no passphrase anywhere (stdin is closed, nothing in the env).
    let (code, v) = wallet(&node, d, &["receive", "--keystore", "k.json"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["pk"], pk.as_str());

    // The dev account pays the keystore's PK, with a memo.
    let memo = "rent for March ☂";
    let (code, v) = wallet(
        &node,
        d,
        &[
            "send",
            "--mnemonic",
            &dev,
            "--to",
            &pk,
            "--amount",
            "5000",
            "--memo",
            memo,
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    let (code, v) = wallet(&node, d, &["receive", "--mnemonic", &dev]);
    assert_eq!(code, 0, "{v}");
    let dev_pk = v["pk"].as_str().unwrap().to_string();

    // Balance with the passphrase as an argument, from stdin, from the env.
    let (code, v) = wallet(
        &node,
        d,
        &["balance", "--keystore", "k.json", "--passphrase", "pw"],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(sero_balance(&v), 5000);
    let (code, v) = wallet_with(
        &node,
        d,
        &["balance", "--keystore", "k.json"],
        &[],
        Some("pw\n"),
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(sero_balance(&v), 5000);

    // A wrong passphrase: exit 1 and a clear message, from every source.
    let (code, v) = wallet(
        &node,
        d,
        &["balance", "--keystore", "k.json", "--passphrase", "pW"],
    );
    assert_eq!(code, 1, "{v}");
    let e = v["error"].as_str().unwrap();
    assert!(
        e.contains("k.json") && e.contains("wrong passphrase"),
        "{e}"
    );
    let (code, v) = wallet_with(
        &node,
        d,
        &["history", "--keystore", "k.json"],
        &[],
        Some("nope\n"),
    );
    assert_eq!(code, 1, "{v}");
    assert!(v["error"].as_str().unwrap().contains("wrong passphrase"));
    // No passphrase at all (stdin closed): a usage error.
    let (code, v) = wallet(&node, d, &["balance", "--keystore", "k.json"]);
    assert_eq!(code, 2, "{v}");
    assert!(v["error"].as_str().unwrap().contains("passphrase"), "{v}");

    // History: the note with its memo, unspent.
    let (code, v) = wallet_with(
        &node,
        d,
        &["history", "--keystore", "k.json"],
        &[("SERO_PASSPHRASE", "pw")],
        None,
    );
    assert_eq!(code, 0, "{v}");
    let notes = v["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{v}");
    let received = &notes[0];
    assert_eq!(received["value"], "5000");
    assert_eq!(received["currency"], "SERO");
    assert_eq!(received["memo"], memo);
    assert_eq!(received["memo_hex"], hex::encode(memo));
    assert!(received["spent_in"].is_null());

    // Spend from the keystore; history then shows the spending transaction
    // and block, and the change note.
    let (code, v) = wallet(
        &node,
        d,
        &[
            "send",
            "--keystore",
            "k.json",
            "--passphrase",
            "pw",
            "--to",
            &dev_pk,
            "--amount",
            "1000",
            "--memo",
            "back",
            "--wait",
        ],
    );
    assert_eq!(code, 0, "{v}");
    let txid = v["txid"].as_str().unwrap().to_string();
    let height = v["height"].as_u64().unwrap();
    let (code, v) = wallet(
        &node,
        d,
        &["history", "--keystore", "k.json", "--passphrase", "pw"],
    );
    assert_eq!(code, 0, "{v}");
    let notes = v["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 2, "{v}");
    let received = notes.iter().find(|n| n["value"] == "5000").unwrap();
    assert_eq!(received["memo"], memo);
    assert_eq!(received["spent_in"], txid.as_str());
    assert_eq!(received["spent_at"], height);
    let change = notes.iter().find(|n| n["value"] == "3990").unwrap();
    assert!(change["spent_in"].is_null());

    // Restore from the mnemonic into another file: the same account.
    let (code, v) = wallet(
        &node,
        d,
        &[
            "restore",
            "--keystore",
            "k2.json",
            "--mnemonic",
            &mnemonic,
            "--passphrase",
            "other pw",
        ],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["pk"], pk.as_str());
    assert!(v.get("mnemonic").is_none());
    let (code, v) = wallet(&node, d, &["receive", "--keystore", "k2.json"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["pk"], pk.as_str());
    let (code, v) = wallet(
        &node,
        d,
        &[
            "balance",
            "--keystore",
            "k2.json",
            "--passphrase",
            "other pw",
        ],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(sero_balance(&v), 3990);
    // A bad mnemonic is a usage error and writes nothing.
    let (code, v) = wallet(
        &node,
        d,
        &[
            "restore",
            "--keystore",
            "k3.json",
            "--mnemonic",
            "abandon abandon",
            "--passphrase",
            "pw",
        ],
    );
    assert_eq!(code, 2, "{v}");
    assert!(!d.join("k3.json").exists());

    // Exactly one of --mnemonic and --keystore.
    for args in [
        &["receive", "--keystore", "k.json", "--mnemonic", &mnemonic][..],
        &[
            "balance",
            "--keystore",
            "k.json",
            "--passphrase",
            "pw",
            "--mnemonic",
            &mnemonic,
        ],
        &["history"],
        &["send", "--to", &dev_pk, "--amount", "1"],
    ] {
        let (code, v) = wallet(&node, d, args);
        assert_eq!(code, 2, "{args:?}: {v}");
        assert!(v["error"].as_str().unwrap().contains("--keystore"), "{v}");
    }
    // The environment's mnemonic counts as --mnemonic.
    let (code, _) = wallet_with(
        &node,
        d,
        &["receive", "--keystore", "k.json"],
        &[("SERO_MNEMONIC", &mnemonic)],
        None,
    );
    assert_eq!(code, 2);
}

/// A payer sends to a crafted one-time address of Bob's that his trace key
/// recognises (`VPKr = vsk·ZPKr`) but that no key can spend (`ZPKr ≠
/// zsk·BASEr`): `balance` does not count it and lists it as unspendable,
/// `send` never selects it, `history` marks it, and the watch-only `audit`
/// says that it cannot verify spendability.
#[test]
fn crafted_pkr_note_is_set_apart() {
    use sero_keys::{OneTimeAddress, SecretKey, Seed};
    let chain = tempfile::tempdir().unwrap();
    let node = start(chain.path());
    let home = tempfile::tempdir().unwrap();
    let d = home.path();
    let dev = node.mnemonic.clone();
    let bob_seed = Seed::from_bytes([42; 32]);
    let bob = bob_seed.to_mnemonic();
    let sk = SecretKey::from_seed(&bob_seed);
    let pk = sk.payment_address();
    let r = sero_crypto::Scalar::from(1234u64);
    let crafted = OneTimeAddress {
        zpkr: sero_crypto::curve::mul(&pk.zpk, &r),
        vpkr: sero_crypto::curve::mul(&pk.vpk, &r),
        baser: sero_crypto::curve::mul(
            &sero_crypto::curve::generator(),
            &sero_crypto::Scalar::from(999u64),
        ),
    };
    assert!(sk.trace_key().is_mine(&crafted) && !sk.can_spend(&crafted));
    for (to, amount) in [(crafted.to_string(), "7000"), (pk.to_string(), "3000")] {
        let (code, v) = wallet(
            &node,
            d,
            &[
                "send",
                "--mnemonic",
                &dev,
                "--to",
                &to,
                "--amount",
                amount,
                "--wait",
            ],
        );
        assert_eq!(code, 0, "{v}");
    }
    let (code, v) = wallet(&node, d, &["balance", "--mnemonic", &bob]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(sero_balance(&v), 3000, "{v}");
    let unspendable = v["unspendable"].as_array().unwrap();
    assert_eq!(unspendable.len(), 1, "{v}");
    assert_eq!(unspendable[0]["value"], "7000");
    assert!(v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| n["value"] != "7000"));
    // Sending more than the spendable notes hold fails on funds; it never
    // tries (and fails) to prove a spend of the crafted note.
    let dev_pk = wallet(&node, d, &["receive", "--mnemonic", &dev]).1["pk"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, v) = wallet(
        &node,
        d,
        &[
            "send",
            "--mnemonic",
            &bob,
            "--to",
            &dev_pk,
            "--amount",
            "5000",
        ],
    );
    assert_eq!(code, 1, "{v}");
    assert!(v["error"].as_str().unwrap().contains("insufficient"), "{v}");
    let (code, v) = wallet(&node, d, &["history", "--mnemonic", &bob]);
    assert_eq!(code, 0, "{v}");
    let notes = v["notes"].as_array().unwrap();
    let bad = notes.iter().find(|n| n["value"] == "7000").unwrap();
    assert_eq!(bad["spendable"], false, "{v}");
    let good = notes.iter().find(|n| n["value"] == "3000").unwrap();
    assert_eq!(good["spendable"], true, "{v}");
    let tk = sk.trace_key().to_string();
    let (code, v) = wallet(&node, d, &["audit", "--tk", &tk]);
    assert_eq!(code, 0, "{v}");
    assert!(
        v["spendability"].as_str().unwrap().contains("unverified"),
        "{v}"
    );
    assert!(
        v["notes"].as_array().unwrap()[0]["spendable"].is_null(),
        "{v}"
    );
}
