//! Packages in the block's state transition on a real store
//! (`docs/protocol.md` §17): create (the contents leave the notes, the
//! ticket is a shielded note), transfer (an ordinary private ticket
//! payment), open by the new holder (the contents come back as notes,
//! once). At every step the supply — unspent notes plus unopened packages
//! — equals the premine plus the block rewards. Negative: a wrong key, a
//! second opening, a rollback.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_assets::package::{
    open as open_pkg, package_ticket, PackageContents, PackageKey, SealedPackage,
};
use sero_assets::{Asset, Currency};
use sero_evm::StateView;
use sero_keys::SecretKey;
use sero_ledger::block::{Block, Seal};
use sero_ledger::builder::{
    build_transaction, build_transaction_ext, Extras, Network, PackageRequest, Recipient,
};
use sero_ledger::package::created_id;
use sero_ledger::validate::{validate_stateful, LedgerView};
use sero_ledger::{PackageAction, Transaction};
use sero_node::chain::genesis_block;
use sero_node::{Chain, ChainConfig, ChainError};

mod common;
use common::{key, params, spendable};

fn open_chain(dir: &std::path::Path) -> Chain {
    let a = key(1).payment_address();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let pkrs: Vec<_> = (0..3).map(|_| a.derive_pkr(&mut rng)).collect();
    Chain::open(
        &dir.join("chain.redb"),
        params(),
        ChainConfig::dev(),
        || {
            let premine: Vec<_> = pkrs.iter().map(|p| (*p, 1_000)).collect();
            genesis_block(&premine, &[], 0, &ChainConfig::dev())
        },
    )
    .unwrap()
}

fn net(chain: &Chain) -> Network<'_> {
    Network {
        chain_id: chain.chain_id(),
        params: chain.params(),
    }
}

fn package_tx(chain: &Chain, sk: &SecretKey, req: PackageRequest, seed: u64) -> Transaction {
    build_transaction_ext(
        net(chain),
        sk,
        &spendable(chain, sk),
        vec![],
        10,
        Extras {
            package: Some(req),
            ..Extras::default()
        },
        &mut ChaCha20Rng::seed_from_u64(seed),
        &|_, _| {},
    )
    .unwrap()
}

fn block(chain: &Chain, txs: Vec<Transaction>) -> Block {
    let (h, _) = chain.tip();
    let miner = key(9)
        .payment_address()
        .derive_pkr_with(&sero_crypto::Scalar::from(3u64));
    chain.build_block(txs, &miner, h + 1, Seal::Dev).unwrap()
}

fn sero_of(chain: &Chain, sk: &SecretKey) -> u128 {
    spendable(chain, sk)
        .iter()
        .filter(|n| n.note.asset.currency == Currency::sero())
        .map(|n| n.note.asset.value)
        .sum()
}

/// Unspent notes of every account plus the SERO sealed in unopened
/// packages (opened here with their keys).
fn supply(chain: &Chain, packages: &[([u8; 32], PackageKey)]) -> u128 {
    let notes: u128 = [1u8, 2, 9].iter().map(|b| sero_of(chain, &key(*b))).sum();
    let sealed: u128 = packages
        .iter()
        .filter_map(|(id, k)| {
            let r = StateView::package(&chain.contract_view().unwrap(), id).unwrap()?;
            if r.opened {
                return None;
            }
            let p = open_pkg(&r.sealed, k, &chain.chain_id()).unwrap();
            Some(p.contents.assets.iter().map(|a| a.value).sum::<u128>())
        })
        .sum();
    notes + sealed
}

fn expected_supply(chain: &Chain) -> u128 {
    3_000 + chain.config().block_reward * chain.tip().0 as u128
}

#[test]
fn create_transfer_open_once_with_supply_conserved() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = open_chain(dir.path());
    let (alice, bob) = (key(1), key(2));
    let key_k = PackageKey([0x77; 32]);
    let contents = PackageContents {
        assets: vec![Asset::sero(500)],
        data: b"the bid of alice".to_vec(),
    };

    // Create: 500 SERO sealed, fee 10.
    let c = package_tx(
        &chain,
        &alice,
        PackageRequest::Create {
            contents: contents.clone(),
            blinding: sero_crypto::Scalar::from(1234u64),
            key: key_k,
        },
        1,
    );
    let PackageAction::Create(sealed) = c.package.clone().unwrap() else {
        panic!()
    };
    let id = created_id(&c, &sealed).unwrap();
    let b = block(&chain, vec![c.clone()]);
    assert_eq!(b.txs.len(), 1);
    chain.apply_block(&b).unwrap();
    let pk = [(id, key_k)];
    assert_eq!(sero_of(&chain, &alice), 3_000 - 500 - 10);
    assert_eq!(supply(&chain, &pk), expected_supply(&chain));
    let rec = StateView::package(&chain.contract_view().unwrap(), &id)
        .unwrap()
        .expect("stored");
    assert!(!rec.opened);
    assert_eq!(rec.sealed, sealed);
    // The chain shows only the ciphertext: the data is nowhere in the block.
    let body = b.body_bytes();
    assert!(!body.windows(16).any(|w| w == b"the bid of alice"));
    let ticket = package_ticket(&id);
    assert!(spendable(&chain, &alice)
        .iter()
        .any(|n| n.note.asset.ticket == Some(ticket)));

    // Transfer to Bob with 100 SERO for his fee: an ordinary version-3
    // transaction, nothing package-specific in it.
    let to_bob = |a: Asset| Recipient {
        pkr: bob
            .payment_address()
            .derive_pkr(&mut ChaCha20Rng::seed_from_u64(a.value as u64)),
        asset: a,
        memo: vec![],
        plain: false,
    };
    let t = build_transaction(
        net(&chain),
        &alice,
        &spendable(&chain, &alice),
        vec![to_bob(Asset::ticket(ticket)), to_bob(Asset::sero(100))],
        10,
        &mut ChaCha20Rng::seed_from_u64(2),
        &|_, _| {},
    )
    .unwrap();
    assert_eq!(t.to_bytes()[0], 3, "a plain version-3 transaction");
    assert!(t.package.is_none() && t.plain_outputs.is_empty());
    chain.apply_block(&block(&chain, vec![t])).unwrap();
    assert!(spendable(&chain, &bob)
        .iter()
        .any(|n| n.note.asset.ticket == Some(ticket)));
    assert_eq!(supply(&chain, &pk), expected_supply(&chain));
    let h_before_open = chain.tip().0;
    let root_before_open = chain.tip_header().state_root;

    // A wrong key: refused by the mempool rules and by block validation;
    // the builder leaves it out; nothing changes.
    let plaintext = open_pkg(&sealed, &key_k, &chain.chain_id()).unwrap();
    let wrong = package_tx(
        &chain,
        &bob,
        PackageRequest::Open {
            id,
            cm: sealed.cm,
            key: PackageKey([0x78; 32]),
            plaintext: plaintext.clone(),
        },
        3,
    );
    let e = validate_stateful(&wrong, &chain).unwrap_err();
    assert!(e.to_string().contains("does not open"), "{e}");
    assert!(block(&chain, vec![wrong.clone()]).txs.is_empty());
    let mut forced = block(&chain, vec![]);
    forced.txs.push(wrong);
    forced.header.tx_root = sero_ledger::block::tx_root(&forced.coinbase, &forced.txs);
    assert!(matches!(
        chain.apply_block(&forced),
        Err(ChainError::Tx { .. })
    ));
    assert_eq!(chain.tip().0, h_before_open);

    // Bob opens with the key: 500 SERO come back to him, once.
    let o = package_tx(
        &chain,
        &bob,
        PackageRequest::Open {
            id,
            cm: sealed.cm,
            key: key_k,
            plaintext,
        },
        4,
    );
    validate_stateful(&o, &chain).unwrap();
    chain.apply_block(&block(&chain, vec![o.clone()])).unwrap();
    assert_eq!(sero_of(&chain, &bob), 100 + 500 - 10);
    let rec = StateView::package(&chain.contract_view().unwrap(), &id)
        .unwrap()
        .unwrap();
    assert!(rec.opened);
    assert_eq!(supply(&chain, &pk), expected_supply(&chain));
    assert!(!spendable(&chain, &bob)
        .iter()
        .any(|n| n.note.asset.ticket == Some(ticket)));
    // Opened twice: refused (the package is opened; the ticket is burnt).
    let e = chain.check_package(&o).unwrap_err();
    assert!(e.to_string().contains("already opened"), "{e}");

    // A rollback restores the sealed package and the state root.
    chain.rollback_to(h_before_open).unwrap();
    assert!(
        !StateView::package(&chain.contract_view().unwrap(), &id)
            .unwrap()
            .unwrap()
            .opened
    );
    assert_eq!(chain.tip_header().state_root, root_before_open);
    assert_eq!(supply(&chain, &pk), expected_supply(&chain));
}

#[test]
fn a_package_of_data_only_and_a_truncated_ciphertext() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = open_chain(dir.path());
    let alice = key(1);
    let req = PackageRequest::Create {
        contents: PackageContents {
            assets: vec![],
            data: vec![7; 3000],
        },
        blinding: sero_crypto::Scalar::from(5u64),
        key: PackageKey([1; 32]),
    };
    let c = package_tx(&chain, &alice, req, 7);
    let PackageAction::Create(s) = c.package.clone().unwrap() else {
        panic!()
    };
    assert_eq!(s.ciphertext.len(), 3072 + 16);
    // Truncated: a clear error, no block takes it.
    let mut bad = c.clone();
    bad.package = Some(PackageAction::Create(SealedPackage {
        cm: s.cm,
        ciphertext: s.ciphertext[..1000].to_vec(),
    }));
    assert!(block(&chain, vec![bad]).txs.is_empty());
    chain.apply_block(&block(&chain, vec![c])).unwrap();
    assert_eq!(sero_of(&chain, &alice), 3_000 - 10);
}
