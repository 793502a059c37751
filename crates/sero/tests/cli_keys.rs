//! Runs the real `sero` binary: `sero keys ...`.

use serde_json::Value;
use std::process::{Command, Output};

fn sero(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sero"))
        .args(args)
        .env_remove("SERO_MNEMONIC")
        .env_remove("RUST_LOG")
        .output()
        .expect("run sero")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("sero exited by a signal")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .trim_end()
        .to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Runs with `--json`; returns the exit code and the one JSON object.
fn sero_json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let o = sero(&all);
    let v: Value = serde_json::from_str(&stdout(&o))
        .unwrap_or_else(|e| panic!("stdout of {args:?} is not one JSON object ({e}): {o:?}"));
    (code(&o), v)
}

/// Runs a command that must succeed; returns its trimmed stdout.
fn ok(args: &[&str]) -> String {
    let o = sero(args);
    assert_eq!(code(&o), 0, "{args:?}: {o:?}");
    stdout(&o)
}

/// Asserts exit code 2 and an error naming `arg` and containing `reason`,
/// both as text on stderr and as {"error"} on stdout with --json.
fn assert_malformed(args: &[&str], arg: &str, reason: &str) {
    let o = sero(args);
    assert_eq!(code(&o), 2, "{args:?}: {o:?}");
    let err = stderr(&o);
    assert!(
        err.contains(arg),
        "{args:?}: error does not name {arg}: {err}"
    );
    assert!(
        err.contains(reason),
        "{args:?}: error lacks {reason:?}: {err}"
    );
    assert!(o.stdout.is_empty(), "{args:?}: {o:?}");

    let (c, v) = sero_json(args);
    assert_eq!(c, 2, "{args:?} --json: {v}");
    let msg = v["error"].as_str().expect("error field");
    assert!(msg.contains(arg) && msg.contains(reason), "{args:?}: {msg}");
}

struct Account {
    mnemonic: String,
    pk: String,
    tk: String,
}

fn new_account() -> Account {
    let (c, v) = sero_json(&["keys", "new"]);
    assert_eq!(c, 0, "{v}");
    let field = |k: &str| {
        v[k].as_str()
            .unwrap_or_else(|| panic!("no {k} in {v}"))
            .to_string()
    };
    Account {
        mnemonic: field("mnemonic"),
        pk: field("pk"),
        tk: field("tk"),
    }
}

fn pkr(pk: &str) -> String {
    ok(&["keys", "pkr", pk])
}

#[test]
fn new_then_show_gives_the_same_keys() {
    let a = new_account();
    assert_eq!(a.mnemonic.split(' ').count(), 24);

    let (c, v) = sero_json(&["keys", "show", "--mnemonic", &a.mnemonic]);
    assert_eq!(c, 0, "{v}");
    assert_eq!(v["pk"], a.pk.as_str());
    assert_eq!(v["tk"], a.tk.as_str());
    assert!(v.get("sk").is_none(), "SK shown without --show-secret: {v}");

    let (c, v) = sero_json(&["keys", "show", "--show-secret", "--mnemonic", &a.mnemonic]);
    assert_eq!(c, 0);
    assert_eq!(v["pk"], a.pk.as_str());
    let sk = v["sk"].as_str().expect("sk");
    assert!(!sk.is_empty() && sk != a.pk && sk != a.tk);

    // Human output: no SK unless asked for.
    let text = ok(&["keys", "show", "--mnemonic", &a.mnemonic]);
    // (The label, not the letters: a base58 key may contain "SK".)
    assert!(text.contains(&a.pk) && text.contains(&a.tk));
    assert!(!text.lines().any(|l| l.starts_with("SK:")), "{text}");

    // The mnemonic may come from the environment; the flag wins over it.
    let o = Command::new(env!("CARGO_BIN_EXE_sero"))
        .args(["--json", "keys", "show"])
        .env("SERO_MNEMONIC", &a.mnemonic)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{o:?}");
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["pk"], a.pk.as_str());
    let b = new_account();
    let o = Command::new(env!("CARGO_BIN_EXE_sero"))
        .args(["--json", "keys", "show", "--mnemonic", &b.mnemonic])
        .env("SERO_MNEMONIC", &a.mnemonic)
        .output()
        .unwrap();
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["pk"], b.pk.as_str());
}

#[test]
fn new_human_output_warns_about_the_mnemonic() {
    let text = ok(&["keys", "new"]);
    assert!(
        text.contains("WARNING") && text.contains("only backup"),
        "{text}"
    );
}

#[test]
fn pkr_is_fresh_and_recognised_only_by_its_tk() {
    let a = new_account();
    let b = new_account();
    let p1 = pkr(&a.pk);
    let p2 = pkr(&a.pk);
    assert_ne!(p1, p2);

    for p in [&p1, &p2] {
        let o = sero(&["keys", "is-mine", "--tk", &a.tk, p]);
        assert_eq!((code(&o), stdout(&o).as_str()), (0, "mine"), "{o:?}");
        let o = sero(&["keys", "is-mine", "--tk", &b.tk, p]);
        assert_eq!((code(&o), stdout(&o).as_str()), (1, "not mine"), "{o:?}");
    }
    assert_eq!(
        sero_json(&["keys", "is-mine", "--tk", &a.tk, &p1]),
        (0, serde_json::json!({ "mine": true }))
    );
    assert_eq!(
        sero_json(&["keys", "is-mine", "--tk", &b.tk, &p1]),
        (1, serde_json::json!({ "mine": false }))
    );
    let (c, v) = sero_json(&["keys", "pkr", &a.pk]);
    assert_eq!(c, 0);
    assert_eq!(
        code(&sero(&[
            "keys",
            "is-mine",
            "--tk",
            &a.tk,
            v["pkr"].as_str().unwrap()
        ])),
        0
    );
}

#[test]
fn seal_then_open() {
    let a = new_account();
    let b = new_account();
    let p = pkr(&a.pk);
    let text = "héllo, SERO ✓";
    let sealed = ok(&["keys", "seal", "--to", &p, text]);
    assert!(sealed
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_eq!(ok(&["keys", "open", "--tk", &a.tk, &sealed]), text);

    let (c, v) = sero_json(&["keys", "seal", "--to", &p, text]);
    assert_eq!(c, 0);
    let sealed2 = v["sealed"].as_str().unwrap();
    assert_ne!(sealed2, sealed, "sealing is randomised");
    assert_eq!(
        sero_json(&["keys", "open", "--tk", &a.tk, sealed2]),
        (0, serde_json::json!({ "plaintext": text }))
    );

    // The wrong trace key cannot open it.
    let o = sero(&["keys", "open", "--tk", &b.tk, &sealed]);
    assert_eq!(code(&o), 1, "{o:?}");
    assert!(stderr(&o).contains("could not be opened"), "{o:?}");
    let (c, v) = sero_json(&["keys", "open", "--tk", &b.tk, &sealed]);
    assert_eq!(c, 1);
    assert!(v["error"].as_str().unwrap().contains("could not be opened"));

    // Tampering with the ciphertext, the tag, or BASEs is detected.
    for pos in [sealed.len() - 1, 70, 0] {
        let mut t = sealed.clone().into_bytes();
        t[pos] = if t[pos] == b'0' { b'1' } else { b'0' };
        let t = String::from_utf8(t).unwrap();
        let o = sero(&["keys", "open", "--tk", &a.tk, &t]);
        assert_eq!(code(&o), 1, "tampered at {pos}: {o:?}");
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn sign_then_verify() {
    let a = new_account();
    let b = new_account();
    let p = pkr(&a.pk);
    let sig = ok(&[
        "keys",
        "sign",
        "--mnemonic",
        &a.mnemonic,
        "--pkr",
        &p,
        "pay 5 SERO",
    ]);
    assert_eq!(sig.len(), 128);
    assert_eq!(
        ok(&["keys", "verify", "--pkr", &p, "--sig", &sig, "pay 5 SERO"]),
        "valid"
    );
    assert_eq!(
        sero_json(&["keys", "verify", "--pkr", &p, "--sig", &sig, "pay 5 SERO"]),
        (0, serde_json::json!({ "valid": true }))
    );

    // Another message.
    let o = sero(&["keys", "verify", "--pkr", &p, "--sig", &sig, "pay 6 SERO"]);
    assert_eq!(code(&o), 1, "{o:?}");
    assert!(stdout(&o).starts_with("invalid: "), "{o:?}");
    let (c, v) = sero_json(&["keys", "verify", "--pkr", &p, "--sig", &sig, "pay 6 SERO"]);
    assert_eq!((c, &v["valid"]), (1, &Value::Bool(false)));
    assert!(v["reason"].is_string());

    // Another PKr, of the same account and of another.
    for other in [pkr(&a.pk), pkr(&b.pk)] {
        let o = sero(&[
            "keys",
            "verify",
            "--pkr",
            &other,
            "--sig",
            &sig,
            "pay 5 SERO",
        ]);
        assert_eq!(code(&o), 1, "{o:?}");
    }

    // Signing for a PKr of another key fails.
    let o = sero(&[
        "keys",
        "sign",
        "--mnemonic",
        &b.mnemonic,
        "--pkr",
        &p,
        "pay 5 SERO",
    ]);
    assert_eq!(code(&o), 1, "{o:?}");
    assert!(stderr(&o).contains("does not belong"), "{o:?}");
    assert!(o.stdout.is_empty());
    let (c, v) = sero_json(&["keys", "sign", "--mnemonic", &b.mnemonic, "--pkr", &p, "x"]);
    assert_eq!(c, 1);
    assert!(v["error"].as_str().unwrap().contains("does not belong"));

    // JSON signing, and the mnemonic from the environment.
    let o = Command::new(env!("CARGO_BIN_EXE_sero"))
        .args(["--json", "keys", "sign", "--pkr", &p, "m"])
        .env("SERO_MNEMONIC", &a.mnemonic)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{o:?}");
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let sig = v["signature"].as_str().unwrap();
    assert_eq!(
        ok(&["keys", "verify", "--pkr", &p, "--sig", sig, "m"]),
        "valid"
    );
}

/// Changes one character in the middle of a base58 string.
fn typo(s: &str) -> String {
    let mut c: Vec<char> = s.chars().collect();
    let i = c.len() / 2;
    c[i] = if c[i] == 'x' { 'y' } else { 'x' };
    c.into_iter().collect()
}

#[test]
fn malformed_arguments_exit_2() {
    let a = new_account();
    let p = pkr(&a.pk);
    let sealed = ok(&["keys", "seal", "--to", &p, "hi"]);
    let sig = ok(&["keys", "sign", "--mnemonic", &a.mnemonic, "--pkr", &p, "m"]);

    // Garbage base58.
    assert_malformed(&["keys", "pkr", "0OIl"], "<PK>", "invalid base58");
    assert_malformed(&["keys", "pkr", ""], "<PK>", "base58");
    assert_malformed(
        &["keys", "is-mine", "--tk", &a.tk, "hello world"],
        "<PKr>",
        "base58",
    );
    // A PK where a TK is expected, a TK where a PKr is expected.
    assert_malformed(
        &["keys", "is-mine", "--tk", &a.pk, &p],
        "--tk",
        "wrong key type",
    );
    assert_malformed(
        &["keys", "is-mine", "--tk", &a.tk, &a.tk],
        "<PKr>",
        "wrong key type",
    );
    assert_malformed(
        &["keys", "seal", "--to", &a.pk, "x"],
        "--to",
        "wrong key type",
    );
    // A one-character typo.
    assert_malformed(&["keys", "pkr", &typo(&a.pk)], "<PK>", "checksum");
    assert_malformed(
        &["keys", "open", "--tk", &typo(&a.tk), &sealed],
        "--tk",
        "checksum",
    );
    assert_malformed(
        &["keys", "verify", "--pkr", &typo(&p), "--sig", &sig, "m"],
        "--pkr",
        "checksum",
    );
    // Truncated.
    assert_malformed(&["keys", "pkr", &a.pk[..a.pk.len() - 1]], "<PK>", "");
    // Odd-length and non-hex.
    assert_malformed(
        &["keys", "open", "--tk", &a.tk, &sealed[1..]],
        "<SEALED_HEX>",
        "hex",
    );
    assert_malformed(
        &["keys", "verify", "--pkr", &p, "--sig", &sig[1..], "m"],
        "--sig",
        "hex",
    );
    assert_malformed(
        &["keys", "verify", "--pkr", &p, "--sig", "zz", "m"],
        "--sig",
        "hex",
    );
    // Sealed hex shorter than the 48-byte overhead: exit 2 (documented).
    assert_malformed(
        &["keys", "open", "--tk", &a.tk, &sealed[..94]],
        "<SEALED_HEX>",
        "too short",
    );
    assert_malformed(
        &["keys", "open", "--tk", &a.tk, ""],
        "<SEALED_HEX>",
        "too short",
    );
    // Signature of the wrong length, or not canonical (s >= ℓ).
    assert_malformed(
        &["keys", "verify", "--pkr", &p, "--sig", &sig[..126], "m"],
        "--sig",
        "64 bytes",
    );
    let bad_s = format!("{}{}", &sig[..64], "ff".repeat(32));
    assert_malformed(
        &["keys", "verify", "--pkr", &p, "--sig", &bad_s, "m"],
        "--sig",
        "non-canonical",
    );
    // A 12-word mnemonic (valid BIP-39, but seeds are 24 words), and junk.
    let twelve = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    assert_malformed(
        &["keys", "show", "--mnemonic", twelve],
        "--mnemonic",
        "24 words",
    );
    assert_malformed(
        &["keys", "sign", "--mnemonic", twelve, "--pkr", &p, "m"],
        "--mnemonic",
        "mnemonic",
    );
    assert_malformed(
        &["keys", "show", "--mnemonic", "not a mnemonic"],
        "--mnemonic",
        "invalid mnemonic",
    );
    // The error does not echo the mnemonic.
    let o = sero(&["keys", "show", "--mnemonic", twelve]);
    assert!(!stderr(&o).contains(twelve));
    // Missing arguments and unknown flags.
    assert_malformed(&["keys", "is-mine", &p], "--tk", "required");
    assert_malformed(&["keys", "show"], "--mnemonic", "required");
    assert_malformed(&["keys", "new", "--bogus"], "--bogus", "unexpected");
}

#[test]
fn help_for_every_subcommand_exits_0() {
    let top = ok(&["--help"]);
    assert!(
        top.contains("privacy") && top.contains("Exit codes"),
        "{top}"
    );
    for sub in [
        &["keys"][..],
        &["keys", "new"],
        &["keys", "show"],
        &["keys", "pkr"],
        &["keys", "is-mine"],
        &["keys", "seal"],
        &["keys", "open"],
        &["keys", "sign"],
        &["keys", "verify"],
    ] {
        for flag in ["--help", "-h"] {
            let mut args = sub.to_vec();
            args.push(flag);
            let text = ok(&args);
            assert!(text.contains("Usage: sero"), "{args:?}: {text}");
        }
        let mut args = vec!["help"];
        args.extend_from_slice(sub);
        ok(&args);
    }
    assert!(ok(&["--version"]).starts_with("sero "));
}
