//! Packages at the transaction level (`docs/protocol.md` §17): a creation
//! takes its contents out of the notes (hidden behind `C_pkg`) and mints
//! the package ticket into a shielded note; an opening spends that note,
//! burns the ticket and brings back exactly `C_pkg`. Negative tests:
//! inflation at creation and at opening, opening without the ticket,
//! twice, with a wrong key, to other contents, malformed actions.

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_assets::package::{
    open, package_ticket, seal_with, PackageContents, PackageKey, SealedPackage, MAX_CIPHERTEXT,
};
use sero_assets::{Asset, AssetCommitment, BalanceSignature, Currency};
use sero_crypto::{Base, Scalar};
use sero_keys::{SecretKey, Seed};
use sero_ledger::builder::{
    build_transaction_ext, BuildError, Extras, Network, PackageRequest, SpendableNote,
};
use sero_ledger::note_plaintext::memo_hash;
use sero_ledger::package::{
    balance_terms, check_historical, created_id, PackageEffect, PackageRecord, PackageView,
};
use sero_ledger::validate::validate_stateless;
use sero_ledger::{DecodeError, PackageAction, Transaction, TxError};
use sero_tree::WitnessTree;
use sero_zk::note::Note;
use sero_zk::params::Parameters;
use std::sync::OnceLock;

const TEST_CHAIN: [u8; 32] = [0xc6; 32];

fn alice() -> SecretKey {
    SecretKey::from_seed(&Seed::from_bytes([0xa2; 32]))
}
fn coin() -> Currency {
    Currency::new("COIN").unwrap()
}

/// Alice's notes: the given assets, placed in one tree.
fn notes(assets: &[Asset]) -> Vec<SpendableNote> {
    let a = alice();
    let mut tree = WitnessTree::new();
    let mut placed = vec![];
    for (k, asset) in assets.iter().enumerate() {
        let note = Note {
            asset: *asset,
            pkr: a
                .payment_address()
                .derive_pkr_with(&Scalar::from(20 + k as u64)),
            memo_hash: memo_hash(b""),
            rsk: Base::from(199 + k as u64),
        };
        let pos = tree.len();
        tree.append(sero_tree::cm_auth(pos, note.cm_out().unwrap()))
            .unwrap();
        placed.push((note, pos));
    }
    placed
        .into_iter()
        .map(|(note, pos)| SpendableNote {
            note,
            path: tree.path(pos).unwrap(),
        })
        .collect()
}

fn contents() -> PackageContents {
    PackageContents {
        assets: vec![Asset::token(coin(), 500)],
        data: b"sealed bid".to_vec(),
    }
}

const KEY: PackageKey = PackageKey([0x4b; 32]);

fn blinding() -> Scalar {
    Scalar::from(0x5151u64)
}

fn build(
    available: &[SpendableNote],
    fee: u128,
    req: PackageRequest,
) -> Result<Transaction, BuildError> {
    build_transaction_ext(
        Network {
            chain_id: TEST_CHAIN,
            params: Parameters::dev(),
        },
        &alice(),
        available,
        vec![],
        fee,
        Extras {
            package: Some(req),
            ..Extras::default()
        },
        &mut ChaCha20Rng::seed_from_u64(3),
        &|_, _| {},
    )
}

/// A creation sealing 500 COIN and some data, from 1000 SERO + 800 COIN.
fn creation() -> &'static Transaction {
    static TX: OnceLock<Transaction> = OnceLock::new();
    TX.get_or_init(|| {
        build(
            &notes(&[Asset::sero(1000), Asset::token(coin(), 800)]),
            10,
            PackageRequest::Create {
                contents: contents(),
                blinding: blinding(),
                key: KEY,
            },
        )
        .unwrap()
    })
}

fn sealed_of(tx: &Transaction) -> SealedPackage {
    match tx.package.as_ref().unwrap() {
        PackageAction::Create(s) => s.clone(),
        _ => panic!("a creation"),
    }
}

fn id() -> [u8; 32] {
    let tx = creation();
    created_id(tx, &sealed_of(tx)).unwrap()
}

/// An opening of the package by its holder (a note with the package
/// ticket, and a SERO note for the fee).
fn opening() -> &'static Transaction {
    static TX: OnceLock<Transaction> = OnceLock::new();
    TX.get_or_init(|| {
        let sealed = sealed_of(creation());
        let plaintext = open(&sealed, &KEY, &TEST_CHAIN).unwrap();
        build(
            &notes(&[Asset::ticket(package_ticket(&id())), Asset::sero(50)]),
            10,
            PackageRequest::Open {
                id: id(),
                cm: sealed.cm,
                key: KEY,
                plaintext,
            },
        )
        .unwrap()
    })
}

/// A package table with one entry.
struct Table(Option<PackageRecord>);
impl PackageView for Table {
    fn package(&self, want: &[u8; 32]) -> Result<Option<PackageRecord>, String> {
        Ok(self.0.clone().filter(|_| *want == id()))
    }
}

fn sealed_record() -> PackageRecord {
    PackageRecord {
        opened: false,
        height: 3,
        creator: [1; 20],
        sealed: sealed_of(creation()),
    }
}

fn resign(tx: &mut Transaction) {
    tx.from_sig = alice()
        .sign(&tx.from, &tx.sighash(), &mut ChaCha20Rng::seed_from_u64(9))
        .unwrap();
}

#[test]
fn a_creation_validates_round_trips_and_hides_its_contents() {
    let tx = creation();
    validate_stateless(tx, Parameters::dev()).unwrap();
    let b = tx.to_bytes();
    assert_eq!(b[0], 6, "version 6 carries a package action");
    assert_eq!(&Transaction::from_bytes(&b).unwrap(), tx);
    // Nothing public but the commitment and the ciphertext: no plain
    // output, and neither the value nor the data appear in the bytes.
    assert!(tx.plain_outputs.is_empty());
    let s = sealed_of(tx);
    assert_eq!(s.ciphertext.len(), 256 + 16);
    assert!(!b.windows(10).any(|w| w == b"sealed bid"));
    assert!(!b.windows(16).any(|w| w == 500u128.to_le_bytes()));
    // Outputs: change SERO, change COIN, the package ticket (shielded).
    assert_eq!(tx.outputs.len(), 3);
    // The id and the stateful check of a new id.
    assert_eq!(
        check_historical(tx, tx.package.as_ref().unwrap(), &Table(None)).unwrap(),
        PackageEffect::Created { id: id() }
    );
    assert!(check_historical(
        tx,
        tx.package.as_ref().unwrap(),
        &Table(Some(sealed_record()))
    )
    .is_err());
}

#[test]
fn a_creation_cannot_inflate_or_hide_less_than_it_takes() {
    // The forger re-signs `from`; only B-Sign stands in the way.
    let tx = creation();
    let s = sealed_of(tx);
    // A commitment to fewer coins (the 500 taken would be minted back).
    for fewer in [100u128, 0, 499] {
        let mut t = tx.clone();
        let c = PackageContents {
            assets: vec![Asset::token(coin(), fewer.max(1))],
            data: vec![1],
        };
        let forged = seal_with(&c, blinding(), &KEY, &TEST_CHAIN).unwrap();
        t.package = Some(PackageAction::Create(forged));
        resign(&mut t);
        assert_eq!(
            validate_stateless(&t, Parameters::dev()),
            Err(TxError::Unbalanced),
            "{fewer}"
        );
    }
    // Dropping the action (the ticket minted from nowhere, the 500 COIN
    // vanish) or swapping the commitment for the identity.
    let mut t = tx.clone();
    t.package = None;
    resign(&mut t);
    assert_eq!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::Unbalanced)
    );
    let mut t = tx.clone();
    t.package = Some(PackageAction::Create(SealedPackage {
        cm: AssetCommitment::commit(&Asset::sero(0), &Scalar::from(0u64)).unwrap(),
        ciphertext: s.ciphertext.clone(),
    }));
    resign(&mut t);
    assert!(validate_stateless(&t, Parameters::dev()).is_err());
    // Another ciphertext gives another id: the minted ticket no longer
    // matches the one in the output.
    let mut t = tx.clone();
    let mut s2 = s.clone();
    s2.ciphertext[0] ^= 1;
    t.package = Some(PackageAction::Create(s2));
    resign(&mut t);
    assert_eq!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::Unbalanced)
    );
    // Without the signature refresh the From signature breaks first.
    let mut t = tx.clone();
    t.package = None;
    assert_eq!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::BadFromSignature)
    );
}

#[test]
fn an_opening_validates_and_returns_exactly_the_contents() {
    let tx = opening();
    validate_stateless(tx, Parameters::dev()).unwrap();
    assert_eq!(&Transaction::from_bytes(&tx.to_bytes()).unwrap(), tx);
    let p = tx.package.as_ref().unwrap();
    match check_historical(tx, p, &Table(Some(sealed_record()))).unwrap() {
        PackageEffect::Opened { id: got, plaintext } => {
            assert_eq!(got, id());
            assert_eq!(plaintext.contents, contents());
        }
        e => panic!("{e:?}"),
    }
    // The balance terms: C_pkg in, the package ticket burnt.
    let t = balance_terms(tx, p).unwrap();
    assert_eq!(t.inputs, vec![sealed_of(creation()).cm]);
    assert!(t.outputs.is_empty() && t.public_in.is_empty());
    assert_eq!(t.public_out, vec![Asset::ticket(package_ticket(&id()))]);
}

#[test]
fn an_opening_cannot_take_more_than_was_sealed() {
    let tx = opening();
    let PackageAction::Open { id, key, .. } = tx.package.clone().unwrap() else {
        panic!()
    };
    // A larger commitment named by the opener: B-Sign fails.
    let bigger = PackageContents {
        assets: vec![Asset::token(coin(), 5000)],
        data: vec![],
    }
    .commit(&blinding())
    .unwrap();
    let mut t = tx.clone();
    t.package = Some(PackageAction::Open {
        id,
        cm: bigger,
        key,
    });
    resign(&mut t);
    assert_eq!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::Unbalanced)
    );
    // ...and the table refuses it too (not the package's commitment).
    assert!(check_historical(
        &t,
        t.package.as_ref().unwrap(),
        &Table(Some(sealed_record()))
    )
    .is_err());
}

#[test]
fn opening_needs_the_ticket_the_key_and_a_sealed_package() {
    let tx = opening();
    let p = tx.package.as_ref().unwrap();
    // Opened twice.
    let mut rec = sealed_record();
    rec.opened = true;
    let e = check_historical(tx, p, &Table(Some(rec))).unwrap_err();
    assert!(e.to_string().contains("already opened"), "{e}");
    // Unknown package.
    assert!(check_historical(tx, p, &Table(None)).is_err());
    // A wrong key.
    let PackageAction::Open { id, cm, .. } = p.clone() else {
        panic!()
    };
    let wrong = PackageAction::Open {
        id,
        cm,
        key: PackageKey([0; 32]),
    };
    let e = check_historical(tx, &wrong, &Table(Some(sealed_record()))).unwrap_err();
    assert!(e.to_string().contains("does not open"), "{e}");
    // A truncated stored ciphertext.
    let mut rec = sealed_record();
    rec.sealed.ciphertext.truncate(100);
    assert!(check_historical(tx, p, &Table(Some(rec))).is_err());
    // Without the ticket the builder refuses, and a forged opening whose
    // inputs do not hold the ticket does not balance.
    let sealed = sealed_of(creation());
    let plaintext = open(&sealed, &KEY, &TEST_CHAIN).unwrap();
    let req = PackageRequest::Open {
        id,
        cm,
        key: KEY,
        plaintext: plaintext.clone(),
    };
    assert!(matches!(
        build(&notes(&[Asset::sero(50)]), 10, req),
        Err(BuildError::MissingTicket(_))
    ));
    let mut t = build(
        &notes(&[Asset::sero(50)]),
        10,
        PackageRequest::Create {
            contents: PackageContents {
                assets: vec![],
                data: b"x".to_vec(),
            },
            blinding: Scalar::from(1u64),
            key: KEY,
        },
    )
    .unwrap();
    t.package = Some(p.clone());
    resign(&mut t);
    assert_eq!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::Unbalanced)
    );
}

#[test]
fn malformed_package_actions_are_refused() {
    let tx = creation();
    let b = tx.to_bytes();
    let mut enc = vec![];
    tx.package.as_ref().unwrap().put(&mut enc);
    let at = b.len() - 128 - enc.len();
    assert_eq!(b[at], 1);
    let mut x = b.clone();
    x[at] = 3;
    assert!(matches!(
        Transaction::from_bytes(&x),
        Err(DecodeError::Invalid {
            what: "package kind",
            ..
        })
    ));
    for n in at..b.len() {
        assert!(
            Transaction::from_bytes(&b[..n]).is_err(),
            "truncated at {n}"
        );
    }
    // An oversize ciphertext is refused by the decoder, a truncated one
    // (not whole blocks) by the stateless rules; both clear errors.
    let mut t = tx.clone();
    let mut s = sealed_of(tx);
    s.ciphertext = vec![0; MAX_CIPHERTEXT + 256];
    t.package = Some(PackageAction::Create(s));
    assert!(matches!(
        Transaction::from_bytes(&t.to_bytes()),
        Err(DecodeError::TooMany { .. })
    ));
    let mut t = tx.clone();
    let mut s = sealed_of(tx);
    s.ciphertext.truncate(200);
    t.package = Some(PackageAction::Create(s));
    let e = validate_stateless(&t, Parameters::dev()).unwrap_err();
    assert!(matches!(e, TxError::Package(_)), "{e}");
    // Oversize data or an empty package: the builder refuses.
    let big = PackageRequest::Create {
        contents: PackageContents {
            assets: vec![],
            data: vec![0; 4097],
        },
        blinding: Scalar::from(1u64),
        key: KEY,
    };
    assert!(matches!(
        build(&notes(&[Asset::sero(50)]), 10, big),
        Err(BuildError::Package(_))
    ));
    // Two actions in one transaction.
    let mut t = tx.clone();
    t.stake = Some(sero_ledger::StakeAction::Unbond { vote_key: [0; 32] });
    assert!(validate_stateless(&t, Parameters::dev()).is_err());
}

/// What the balance equation lets out of a package: with a fixed set of
/// input notes, a creation balances exactly when inputs = outputs +
/// contents + fee per currency, and an opening exactly when outputs =
/// contents (+ the ticket burnt). So across create and open the pool's
/// supply is notes + unopened packages, unchanged.
fn balances(
    ins: &[(Asset, u64)],
    outs: &[(Asset, u64)],
    pkg: &PackageContents,
    r_pkg: u64,
    pkg_out: bool,
    fee: u128,
) -> bool {
    let cm = |(a, r): &(Asset, u64)| AssetCommitment::commit(a, &Scalar::from(*r)).unwrap();
    let mut i: Vec<AssetCommitment> = ins.iter().map(cm).collect();
    let mut o: Vec<AssetCommitment> = outs.iter().map(cm).collect();
    let c = pkg.commit(&Scalar::from(r_pkg)).unwrap();
    let mut r: Scalar = ins.iter().map(|x| Scalar::from(x.1)).sum::<Scalar>()
        - outs.iter().map(|x| Scalar::from(x.1)).sum::<Scalar>();
    if pkg_out {
        o.push(c);
        r -= Scalar::from(r_pkg);
    } else {
        i.push(c);
        r += Scalar::from(r_pkg);
    }
    let bp = sero_assets::balance_point(&i, &o, &[], fee).unwrap();
    BalanceSignature::sign_with_aux(&r, b"m", &[1; 32])
        .verify(&bp, b"m")
        .is_ok()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn supply_is_notes_plus_unopened_packages(
        held in 1u64..1_000_000, sealed in 1u64..1_000_000, fee in 0u64..100,
        delta in -3i64..=3, rs in proptest::array::uniform4(1u64..u64::MAX),
    ) {
        let held = held as u128 + sealed as u128;
        let pkg = PackageContents { assets: vec![Asset::token(coin(), sealed as u128)], data: vec![] };
        let change = (held - sealed as u128) as i128 + delta as i128;
        prop_assume!(change >= 0);
        // Create: 'held' COIN and 'fee' SERO in, COIN change out, 'sealed'
        // into the package, the fee paid.
        let fee = fee as u128;
        let ok = balances(
            &[(Asset::token(coin(), held), rs[0]), (Asset::sero(fee), 5)],
            &[(Asset::token(coin(), change as u128), rs[1])],
            &pkg, rs[2], true, fee,
        );
        prop_assert_eq!(ok, delta == 0);
        // Open: the package's 'sealed' comes back as one note.
        let back = sealed as i128 + delta as i128;
        prop_assume!(back >= 0);
        let ok = balances(
            &[], &[(Asset::token(coin(), back as u128), rs[3])], &pkg, rs[2], false, 0,
        );
        prop_assert_eq!(ok, delta == 0);
    }
}

/// `test-vectors/package.json`: regenerated, and recomputed through the
/// public API (open with the key, re-commit, id, action decoding).
#[test]
fn package_vectors_match_and_recompute() {
    const PATH: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../test-vectors/package.json"
    );
    if std::env::var_os("SERO_WRITE_VECTORS").is_some() {
        let mut text = serde_json::to_string_pretty(&sero_ledger::package::vectors()).unwrap();
        text.push('\n');
        std::fs::write(PATH, text).unwrap();
    }
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(PATH).expect("test-vectors/package.json"))
            .unwrap();
    assert_eq!(
        v,
        sero_ledger::package::vectors(),
        "regenerate with SERO_WRITE_VECTORS=1"
    );
    let h = |k: &str| hex::decode(v[k].as_str().unwrap()).unwrap();
    let arr = |k: &str| -> [u8; 32] { h(k).try_into().unwrap() };
    let chain: [u8; 32] = arr("chain_id");
    let sealed = SealedPackage {
        cm: AssetCommitment::from_bytes(&h("commitment")).unwrap(),
        ciphertext: h("ciphertext"),
    };
    let key: PackageKey = v["key"].as_str().unwrap().parse().unwrap();
    let p = open(&sealed, &key, &chain).unwrap();
    assert_eq!(p.encode(), h("plaintext"));
    assert_eq!(p.contents.data, b"sealed bid: 500 COIN");
    assert_eq!(p.contents.assets[0].value, 500);
    assert_eq!(
        sero_assets::package::package_id(&chain, &arr("unique"), &sealed),
        arr("id")
    );
    assert!(open(&sealed, &PackageKey([0; 32]), &chain).is_err());
}

/// Sizes and costs for `docs/benchmarks.md` (run with `--ignored
/// --nocapture`; timings are of this machine, not asserted).
#[test]
#[ignore]
fn package_sizes_and_costs() {
    use std::time::Instant;
    let t = Instant::now();
    let c = creation();
    let build_create = t.elapsed();
    let t = Instant::now();
    let o = opening();
    let build_open = t.elapsed();
    let t = Instant::now();
    for _ in 0..10 {
        validate_stateless(c, Parameters::dev()).unwrap();
    }
    let v_create = t.elapsed() / 10;
    let t = Instant::now();
    for _ in 0..10 {
        validate_stateless(o, Parameters::dev()).unwrap();
    }
    let v_open = t.elapsed() / 10;
    let rec = sealed_record();
    let t = Instant::now();
    for _ in 0..100 {
        check_historical(o, o.package.as_ref().unwrap(), &Table(Some(rec.clone()))).unwrap();
    }
    let hist = t.elapsed() / 100;
    let mut enc = vec![];
    c.package.as_ref().unwrap().put(&mut enc);
    let mut enc_o = vec![];
    o.package.as_ref().unwrap().put(&mut enc_o);
    println!(
        "create: tx {} B ({} in, {} out), action {} B, record {} B; build+prove {:?}; stateless validation {:?}",
        c.to_bytes().len(),
        c.inputs.len(),
        c.outputs.len(),
        enc.len(),
        rec.encode().len(),
        build_create,
        v_create
    );
    println!(
        "open: tx {} B ({} in, {} out), action {} B; build+prove {:?}; stateless validation {:?}; open check (decrypt+decode+re-commit) {:?}",
        o.to_bytes().len(),
        o.inputs.len(),
        o.outputs.len(),
        enc_o.len(),
        build_open,
        v_open,
        hist
    );
}
