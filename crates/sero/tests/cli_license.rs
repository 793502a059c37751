//! Runs the real `sero` binary: `sero license ...` (keygen, issue, verify
//! with its exit codes) and the argument checks of `sero wallet stake` and
//! `sero wallet unbond` that need no node.

use serde_json::Value;
use std::process::Command;

const SERO: &str = env!("CARGO_BIN_EXE_sero");

fn run(args: &[&str]) -> (i32, Value) {
    let out = Command::new(SERO)
        .arg("--json")
        .args(args)
        .env_remove("SERO_MNEMONIC")
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), v)
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str()
        .unwrap_or_else(|| panic!("{k} in {v}"))
        .to_string()
}

#[test]
fn keygen_issue_verify_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("issuer.key");
    let key = key.to_str().unwrap();
    let (code, k) = run(&["license", "keygen", "--out", key]);
    assert_eq!(code, 0, "{k}");
    let public = s(&k, "public");
    assert!(k.get("secret").is_none(), "the secret stays in the file");
    // Never overwrites.
    let (code, _) = run(&["license", "keygen", "--out", key]);
    assert_eq!(code, 1);

    let validator = "ab".repeat(32);
    let (code, l) = run(&[
        "license",
        "issue",
        "--issuer-key",
        key,
        "--validator",
        &validator,
        "--prop",
        "100",
    ]);
    assert_eq!(code, 0, "{l}");
    assert_eq!(s(&l, "issuer"), public);
    let licence = s(&l, "licence");
    assert_eq!(licence.len(), 144);

    let verify = |validator: &str, licence: &str, height: Option<&str>| {
        let mut a = vec![
            "license",
            "verify",
            "--issuer",
            &public,
            "--validator",
            validator,
            "--licence",
            licence,
        ];
        if let Some(h) = height {
            a.extend(["--height", h]);
        }
        run(&a)
    };
    let (code, v) = verify(&validator, &licence, Some("100"));
    assert_eq!((code, v["valid"].clone()), (0, Value::Bool(true)), "{v}");
    let (code, v) = verify(&validator, &licence, Some("101"));
    assert_eq!(code, 1, "expired: {v}");
    assert!(s(&v, "reason").contains("expired"));
    let (code, v) = verify(&"ac".repeat(32), &licence, None);
    assert_eq!((code, v["valid"].clone()), (1, Value::Bool(false)), "{v}");
    // Another prop in the same bytes: invalid.
    let mut other = licence.clone();
    other.replace_range(0..2, "65");
    let (code, _) = verify(&validator, &other, None);
    assert_eq!(code, 1);
    // Malformed: short hex, bad point, bad validator.
    let (code, v) = verify(&validator, &licence[..142], None);
    assert_eq!(code, 2, "{v}");
    let mut bad_r = licence.clone();
    bad_r.replace_range(16..80, &"ff".repeat(32));
    let (code, v) = verify(&validator, &bad_r, None);
    assert_eq!(code, 2, "{v}");
    assert!(s(&v, "error").contains("--licence"));
    let (code, v) = verify("abcd", &licence, None);
    assert_eq!(code, 2, "{v}");
    // A corrupt issuer key file.
    let bad = dir.path().join("bad.key");
    std::fs::write(&bad, "00".repeat(64)).unwrap();
    let (code, v) = run(&[
        "license",
        "issue",
        "--issuer-key",
        bad.to_str().unwrap(),
        "--validator",
        &validator,
        "--prop",
        "1",
    ]);
    assert_eq!(code, 2, "{v}");
}

#[test]
fn stake_and_unbond_reject_bad_arguments_without_a_node() {
    let (_, k) = run(&["keys", "new"]);
    let m = s(&k, "mnemonic");
    let vk = "11".repeat(32);
    let base = |cmd: &'static str| {
        vec![
            "wallet".to_string(),
            "--rpc".into(),
            "http://127.0.0.1:9".into(),
            cmd.into(),
            "--mnemonic".into(),
            m.clone(),
        ]
    };
    let go = |a: Vec<String>| run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    // A validator key file that is not 64 hex characters.
    let dir = tempfile::tempdir().unwrap();
    let bad_key = dir.path().join("bad.key");
    std::fs::write(&bad_key, "1234").unwrap();
    let good_key = dir.path().join("good.key");
    std::fs::write(&good_key, &vk).unwrap();
    let mut a = base("stake");
    a.extend(["--validator-key".into(), bad_key.display().to_string()]);
    a.extend(["--amount".into(), "5".into()]);
    let (code, v) = go(a);
    assert_eq!(code, 2, "{v}");
    assert!(s(&v, "error").contains("validator key"), "{v}");
    for amount in ["0", "18446744073709551616"] {
        let mut a = base("stake");
        a.extend(["--validator-key".into(), good_key.display().to_string()]);
        a.extend(["--amount".into(), amount.into()]);
        let (code, v) = go(a);
        assert_eq!(code, 2, "{amount}: {v}");
        assert!(s(&v, "error").contains("--amount"), "{v}");
    }
    let mut a = base("unbond");
    a.extend(["--vote-key".into(), "zz".repeat(32)]);
    let (code, v) = go(a);
    assert_eq!(code, 2, "{v}");
}
