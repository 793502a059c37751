//! The keystore: round trips, wrong passphrases, every field tampered with,
//! truncated and garbage files. Cheap Argon2id parameters (m_cost 256 KiB)
//! keep it fast; one test runs the real ones.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};
use sero_keys::{SecretKey, Seed};
use sero_wallet::{KdfParams, Keystore, WalletError};

const FAST: KdfParams = KdfParams {
    m_cost: 256,
    t_cost: 1,
    p_cost: 1,
};

fn fixture() -> (Seed, Keystore) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let seed = Seed::random(&mut rng);
    let ks = Keystore::create_with_params(&seed, "correct horse", FAST, &mut rng).unwrap();
    (seed, ks)
}

fn json_of(ks: &Keystore) -> Value {
    serde_json::from_str(&ks.to_json()).unwrap()
}

/// Parses an edited keystore and tries to unlock it with the right
/// passphrase.
fn open(v: &Value) -> Result<Seed, WalletError> {
    Keystore::from_json(&v.to_string())?.unlock("correct horse")
}

/// Flips one bit of a hex field, keeping its length.
fn flip_hex(v: &mut Value, field: &str, byte: usize) {
    let mut b = hex::decode(v[field].as_str().unwrap()).unwrap();
    b[byte] ^= 0x01;
    v[field] = json!(hex::encode(b));
}

#[test]
fn round_trip_through_json_and_a_file() {
    let (seed, ks) = fixture();
    let pk = SecretKey::from_seed(&seed).payment_address();
    assert_eq!(ks.payment_address(), pk);
    assert_eq!(ks.params(), FAST);

    let v = json_of(&ks);
    assert_eq!(v["version"], 1);
    assert_eq!(v["kdf"], "argon2id");
    assert_eq!(
        v["kdf_params"],
        json!({"m_cost": 256, "t_cost": 1, "p_cost": 1})
    );
    assert_eq!(v["pk"], pk.to_string());
    assert_eq!(v["salt"].as_str().unwrap().len(), 32);
    assert_eq!(v["nonce"].as_str().unwrap().len(), 24);
    assert_eq!(v["ciphertext"].as_str().unwrap().len(), 96);
    assert_eq!(v.as_object().unwrap().len(), 7);

    let back = Keystore::from_json(&ks.to_json()).unwrap();
    assert_eq!(back, ks);
    assert_eq!(back.unlock("correct horse").unwrap(), seed);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.json");
    ks.save(&path).unwrap();
    let loaded = Keystore::load(&path).unwrap();
    assert_eq!(loaded, ks);
    assert_eq!(loaded.unlock("correct horse").unwrap(), seed);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Saving again replaces the file atomically and leaves no temporary.
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let other = Keystore::create_with_params(&seed, "new passphrase", FAST, &mut rng).unwrap();
    other.save(&path).unwrap();
    assert_eq!(Keystore::load(&path).unwrap(), other);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("k.json")]);
    // A relative path in the current folder works too (no parent).
    assert!(matches!(
        Keystore::load(&dir.path().join("missing.json")),
        Err(WalletError::Io { .. })
    ));
    assert!(matches!(
        ks.save(&dir.path().join("no/such/dir/k.json")),
        Err(WalletError::Io { .. })
    ));
}

#[test]
fn fresh_salt_and_nonce_every_time() {
    let (seed, a) = fixture();
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let b = Keystore::create_with_params(&seed, "correct horse", FAST, &mut rng).unwrap();
    let (va, vb) = (json_of(&a), json_of(&b));
    assert_ne!(va["salt"], vb["salt"]);
    assert_ne!(va["nonce"], vb["nonce"]);
    assert_ne!(va["ciphertext"], vb["ciphertext"]);
}

#[test]
fn the_default_parameters_are_written_and_work() {
    let seed = Seed::from_bytes([9; 32]);
    let ks = Keystore::create(&seed, "pw");
    assert_eq!(ks.params(), KdfParams::DEFAULT);
    assert_eq!(
        json_of(&ks)["kdf_params"],
        json!({"m_cost": 65536, "t_cost": 3, "p_cost": 1})
    );
    assert_eq!(ks.unlock("pw").unwrap(), seed);
    assert!(matches!(ks.unlock("pW"), Err(WalletError::WrongPassphrase)));
}

#[test]
fn wrong_passphrase_is_a_clear_error() {
    let (seed, ks) = fixture();
    for wrong in ["", "correct horse ", "Correct horse", "correct hors", "x"] {
        let e = ks.unlock(wrong).unwrap_err();
        assert!(matches!(e, WalletError::WrongPassphrase), "{wrong:?}: {e}");
        assert!(e.to_string().starts_with("wrong passphrase"), "{e}");
    }
    assert_eq!(ks.unlock("correct horse").unwrap(), seed);
}

#[test]
fn every_tampered_field_is_refused() {
    let (_, ks) = fixture();
    let good = json_of(&ks);
    let other_pk = SecretKey::from_seed(&Seed::from_bytes([1; 32]))
        .payment_address()
        .to_string();

    // Each edit and the error it must give.
    type Edit = Box<dyn Fn(&mut Value)>;
    type Check<'a> = &'a dyn Fn(&WalletError) -> bool;
    let wrong = |e: &WalletError| matches!(e, WalletError::WrongPassphrase);
    let malformed = |e: &WalletError| matches!(e, WalletError::Malformed(_));
    let cases: Vec<(&str, Edit, Check)> = vec![
        // Authenticated fields: the tag no longer verifies.
        ("salt bit", Box::new(|v| flip_hex(v, "salt", 0)), &wrong),
        (
            "salt last bit",
            Box::new(|v| flip_hex(v, "salt", 15)),
            &wrong,
        ),
        ("nonce bit", Box::new(|v| flip_hex(v, "nonce", 0)), &wrong),
        (
            "nonce last bit",
            Box::new(|v| flip_hex(v, "nonce", 11)),
            &wrong,
        ),
        (
            "ciphertext bit",
            Box::new(|v| flip_hex(v, "ciphertext", 0)),
            &wrong,
        ),
        (
            "ciphertext seed end",
            Box::new(|v| flip_hex(v, "ciphertext", 31)),
            &wrong,
        ),
        (
            "tag bit",
            Box::new(|v| flip_hex(v, "ciphertext", 47)),
            &wrong,
        ),
        (
            "pk: another account",
            Box::new(move |v| v["pk"] = json!(other_pk)),
            &wrong,
        ),
        (
            "m_cost",
            Box::new(|v| v["kdf_params"]["m_cost"] = json!(512)),
            &wrong,
        ),
        (
            "t_cost",
            Box::new(|v| v["kdf_params"]["t_cost"] = json!(2)),
            &wrong,
        ),
        (
            "p_cost",
            Box::new(|v| v["kdf_params"]["p_cost"] = json!(2)),
            &wrong,
        ),
        // Version and KDF.
        ("version 2", Box::new(|v| v["version"] = json!(2)), &|e| {
            matches!(e, WalletError::UnsupportedVersion(2))
        }),
        ("version 0", Box::new(|v| v["version"] = json!(0)), &|e| {
            matches!(e, WalletError::UnsupportedVersion(0))
        }),
        (
            "version string",
            Box::new(|v| v["version"] = json!("1")),
            &malformed,
        ),
        (
            "version float",
            Box::new(|v| v["version"] = json!(1.5)),
            &malformed,
        ),
        (
            "version negative",
            Box::new(|v| v["version"] = json!(-1)),
            &malformed,
        ),
        (
            "kdf scrypt",
            Box::new(|v| v["kdf"] = json!("scrypt")),
            &|e| matches!(e, WalletError::UnsupportedKdf(k) if k == "scrypt"),
        ),
        (
            "kdf argon2i",
            Box::new(|v| v["kdf"] = json!("argon2i")),
            &|e| matches!(e, WalletError::UnsupportedKdf(_)),
        ),
        ("kdf number", Box::new(|v| v["kdf"] = json!(1)), &malformed),
        // Malformed values.
        (
            "pk garbage",
            Box::new(|v| v["pk"] = json!("notbase58!")),
            &malformed,
        ),
        ("pk empty", Box::new(|v| v["pk"] = json!("")), &malformed),
        (
            "salt short",
            Box::new(|v| v["salt"] = json!("00112233")),
            &malformed,
        ),
        (
            "salt long",
            Box::new(|v| v["salt"] = json!("00".repeat(17))),
            &malformed,
        ),
        (
            "salt odd hex",
            Box::new(|v| v["salt"] = json!("0".repeat(31))),
            &malformed,
        ),
        (
            "salt not hex",
            Box::new(|v| v["salt"] = json!("zz".repeat(16))),
            &malformed,
        ),
        (
            "nonce short",
            Box::new(|v| v["nonce"] = json!("00".repeat(11))),
            &malformed,
        ),
        (
            "nonce long",
            Box::new(|v| v["nonce"] = json!("00".repeat(13))),
            &malformed,
        ),
        (
            "ciphertext truncated",
            Box::new(|v| {
                let s = v["ciphertext"].as_str().unwrap()[..94].to_string();
                v["ciphertext"] = json!(s);
            }),
            &malformed,
        ),
        (
            "ciphertext no tag",
            Box::new(|v| {
                let s = v["ciphertext"].as_str().unwrap()[..64].to_string();
                v["ciphertext"] = json!(s);
            }),
            &malformed,
        ),
        (
            "ciphertext extended",
            Box::new(|v| {
                let s = format!("{}00", v["ciphertext"].as_str().unwrap());
                v["ciphertext"] = json!(s);
            }),
            &malformed,
        ),
        (
            "m_cost 0",
            Box::new(|v| v["kdf_params"]["m_cost"] = json!(0)),
            &malformed,
        ),
        (
            "m_cost huge",
            Box::new(|v| v["kdf_params"]["m_cost"] = json!(u32::MAX)),
            &malformed,
        ),
        (
            "m_cost overflow",
            Box::new(|v| v["kdf_params"]["m_cost"] = json!(1u64 << 40)),
            &malformed,
        ),
        (
            "t_cost 0",
            Box::new(|v| v["kdf_params"]["t_cost"] = json!(0)),
            &malformed,
        ),
        (
            "t_cost huge",
            Box::new(|v| v["kdf_params"]["t_cost"] = json!(1000)),
            &malformed,
        ),
        (
            "p_cost 0",
            Box::new(|v| v["kdf_params"]["p_cost"] = json!(0)),
            &malformed,
        ),
        (
            "p_cost huge",
            Box::new(|v| v["kdf_params"]["p_cost"] = json!(1000)),
            &malformed,
        ),
        (
            "kdf_params extra",
            Box::new(|v| v["kdf_params"]["secret"] = json!(1)),
            &malformed,
        ),
        (
            "kdf_params missing",
            Box::new(|v| {
                v["kdf_params"].as_object_mut().unwrap().remove("t_cost");
            }),
            &malformed,
        ),
        (
            "extra field",
            Box::new(|v| v["mnemonic"] = json!("oops")),
            &malformed,
        ),
    ];
    for field in [
        "version",
        "pk",
        "kdf",
        "kdf_params",
        "salt",
        "nonce",
        "ciphertext",
    ] {
        let mut v = good.clone();
        v.as_object_mut().unwrap().remove(field);
        let e = open(&v).unwrap_err();
        assert!(
            matches!(e, WalletError::Malformed(_)),
            "missing {field}: {e}"
        );
        let mut v = good.clone();
        v[field] = Value::Null;
        let e = open(&v).unwrap_err();
        assert!(matches!(e, WalletError::Malformed(_)), "null {field}: {e}");
    }
    for (name, edit, expect) in cases {
        let mut v = good.clone();
        edit(&mut v);
        assert_ne!(v, good, "{name}: no change");
        let e = open(&v).unwrap_err();
        assert!(expect(&e), "{name}: unexpected {e:?}");
        assert!(!e.to_string().is_empty());
    }
    // Every byte of the ciphertext is authenticated.
    for byte in 0..48 {
        let mut v = good.clone();
        flip_hex(&mut v, "ciphertext", byte);
        assert!(
            matches!(open(&v), Err(WalletError::WrongPassphrase)),
            "byte {byte}"
        );
    }
    // Untouched, it opens.
    open(&good).unwrap();
}

#[test]
fn truncated_and_garbage_files_are_malformed() {
    let (_, ks) = fixture();
    let text = ks.to_json();
    for cut in 0..text.len() {
        match Keystore::from_json(&text[..cut]) {
            Err(WalletError::Malformed(_)) => {}
            other => panic!("prefix of {cut} bytes: {other:?}"),
        }
    }
    // Surrounding whitespace is fine.
    assert_eq!(Keystore::from_json(&format!("\n {text}\n\n")).unwrap(), ks);
    for garbage in [
        "",
        "null",
        "[]",
        "{}",
        "1",
        "\"keystore\"",
        "{\"version\": 1}",
        "{\"version\": 1, \"kdf\": \"argon2id\"}",
        "\u{0}\u{1}\u{2}",
        &format!("{text}{text}"),
        &format!("[{text}]"),
    ] {
        assert!(
            matches!(Keystore::from_json(garbage), Err(WalletError::Malformed(_))),
            "{garbage:?}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.json");
    std::fs::write(&path, &text.as_bytes()[..text.len() / 2]).unwrap();
    assert!(matches!(
        Keystore::load(&path),
        Err(WalletError::Malformed(_))
    ));
    std::fs::write(&path, [0xff, 0xfe, 0x00, 0x80]).unwrap();
    assert!(matches!(
        Keystore::load(&path),
        Err(WalletError::Malformed(_))
    ));
    std::fs::write(&path, vec![b' '; 70 * 1024]).unwrap();
    assert!(matches!(
        Keystore::load(&path),
        Err(WalletError::Malformed(_))
    ));
}

/// The Argon2id parameters come from the file, so whoever wrote it chose
/// them: reading checks them against the limits and runs no KDF, so a file
/// at the limits (4 GiB × 64 passes × 64 lanes, minutes of work if derived)
/// reads at once, and one a step over any limit is refused by the reader,
/// before `unlock` could derive anything with it. (Found while writing the
/// `keystore` fuzz target, which relies on it to stay fast.)
#[test]
fn kdf_parameters_are_bounded_before_any_kdf_work() {
    use sero_wallet::{MAX_M_COST, MAX_P_COST, MAX_T_COST};
    use std::time::{Duration, Instant};
    let (_, ks) = fixture();
    let mut v = json_of(&ks);
    v["kdf_params"] = json!({"m_cost": MAX_M_COST, "t_cost": MAX_T_COST, "p_cost": MAX_P_COST});
    let t = Instant::now();
    let at_limits = Keystore::from_json(&v.to_string()).unwrap();
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    assert_eq!(
        at_limits.params(),
        KdfParams {
            m_cost: MAX_M_COST,
            t_cost: MAX_T_COST,
            p_cost: MAX_P_COST
        }
    );
    for (k, over) in [
        ("m_cost", MAX_M_COST + 1),
        ("t_cost", MAX_T_COST + 1),
        ("p_cost", MAX_P_COST + 1),
    ] {
        let mut w = v.clone();
        w["kdf_params"][k] = json!(over);
        let t = Instant::now();
        match Keystore::from_json(&w.to_string()) {
            Err(WalletError::Malformed(m)) => assert!(m.contains("above the limits"), "{k}: {m}"),
            other => panic!("{k} = {over}: {other:?}"),
        }
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "{k}: {:?}",
            t.elapsed()
        );
    }
}
