//! The chain on a real redb store: payments A → B → C through the mempool
//! and blocks, restart, and every block rule rejecting without writing.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_assets::Asset;
use sero_crypto::Base;
use sero_keys::SecretKey;
use sero_ledger::block::{Block, Seal};
use sero_ledger::builder::{build_transaction, Network, Recipient};
use sero_ledger::TxError;
use sero_node::mempool::MempoolError;
use sero_node::{Chain, ChainError, Mempool};

mod common;
use common::{key, spendable};

fn open(dir: &std::path::Path) -> Chain {
    common::open_chain(dir, 3)
}

fn pay(
    chain: &Chain,
    from: &SecretKey,
    to: &SecretKey,
    amount: u128,
    fee: u128,
    seed: u64,
) -> sero_ledger::Transaction {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let notes = spendable(chain, from);
    let pkr = to.payment_address().derive_pkr(&mut rng);
    build_transaction(
        Network {
            chain_id: chain.chain_id(),
            params: chain.params(),
        },
        from,
        &notes,
        vec![Recipient {
            pkr,
            asset: Asset::sero(amount),
            memo: b"hi".to_vec(),
            plain: false,
        }],
        fee,
        &mut rng,
        &|_, _| {},
    )
    .unwrap()
}

fn balance(chain: &Chain, sk: &SecretKey) -> u128 {
    spendable(chain, sk)
        .iter()
        .map(|n| n.note.asset.value)
        .sum()
}

fn produce(chain: &mut Chain, pool: &mut Mempool, producer: &SecretKey) -> Block {
    let mut rng = ChaCha20Rng::seed_from_u64(chain.tip().0 + 100);
    let cb = producer.payment_address().derive_pkr(&mut rng);
    let (h, _) = chain.tip();
    let b = chain
        .build_block(pool.select(100), &cb, h + 1, Seal::Dev)
        .unwrap();
    chain.apply_block(&b).unwrap();
    pool.prune(chain);
    b
}

#[test]
fn payments_flow_through_mempool_and_blocks_and_survive_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c, miner) = (key(1), key(2), key(3), key(9));
    let mut chain = open(dir.path());
    assert_eq!(chain.tip().0, 0);
    assert_eq!(balance(&chain, &a), 3_000);

    let mut pool = Mempool::new(100);
    let t1 = pay(&chain, &a, &b, 400, 10, 7);
    pool.admit(t1.clone(), &chain).unwrap();
    assert_eq!(
        pool.admit(t1.clone(), &chain),
        Err(MempoolError::AlreadyKnown)
    );
    // Another transaction spending the same notes with the same fee conflicts.
    let t1b = pay(&chain, &a, &b, 400, 10, 8);
    assert_eq!(pool.admit(t1b, &chain), Err(MempoolError::Conflict));
    let block1 = produce(&mut chain, &mut pool, &miner);
    assert_eq!(block1.txs.len(), 1);
    assert!(pool.is_empty());
    assert_eq!(balance(&chain, &b), 400);
    assert_eq!(balance(&chain, &a), 3_000 - 410);
    assert_eq!(balance(&chain, &miner), 1_000 + 10);

    // Replay of t1 after inclusion: its nullifiers are spent.
    match pool.admit(t1.clone(), &chain) {
        Err(MempoolError::Invalid(TxError::AlreadySpent(_))) => {}
        other => panic!("replay accepted: {other:?}"),
    }

    // B pays C.
    let t2 = pay(&chain, &b, &c, 150, 5, 8);
    pool.admit(t2, &chain).unwrap();
    produce(&mut chain, &mut pool, &miner);
    assert_eq!(balance(&chain, &c), 150);
    assert_eq!(balance(&chain, &b), 400 - 155);

    // Restart: same tip, same tree, same balances.
    let tip = chain.tip();
    let root = chain.tree().root();
    drop(chain);
    let chain = open(dir.path());
    assert_eq!(chain.tip(), tip);
    assert_eq!(chain.tree().root(), root);
    assert_eq!(balance(&chain, &c), 150);
}

#[test]
fn bad_blocks_are_rejected_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, miner) = (key(1), key(2), key(9));
    let mut chain = open(dir.path());
    let t = pay(&chain, &a, &b, 100, 1, 3);
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let cb = miner.payment_address().derive_pkr(&mut rng);
    let good = chain
        .build_block(vec![t.clone()], &cb, 1, Seal::Dev)
        .unwrap();
    let tip = chain.tip();
    let leaves = chain.db().leaf_count().unwrap();

    let mut cases: Vec<(&str, Block)> = vec![];
    let mut x = good.clone();
    x.header.height = 5;
    cases.push(("height", x));
    let mut x = good.clone();
    x.header.parent = [7; 32];
    cases.push(("parent", x));
    let mut x = good.clone();
    x.header.tx_root = [1; 32];
    cases.push(("tx root", x));
    let mut x = good.clone();
    x.header.note_root = Base::from(3u64);
    cases.push(("note root", x));
    let mut x = good.clone();
    x.header.validators_hash[0] ^= 1;
    cases.push(("validators hash", x));
    let mut x = good.clone();
    x.coinbase[0].asset.value += 1;
    x.header.tx_root = sero_ledger::block::tx_root(&x.coinbase, &x.txs);
    cases.push(("coinbase too large", x));
    let mut x = good.clone();
    x.txs.push(t.clone());
    x.header.tx_root = sero_ledger::block::tx_root(&x.coinbase, &x.txs);
    cases.push(("same nullifier twice", x));
    let mut x = good.clone();
    x.txs[0].outputs[0].proof = x.txs[0].inputs[0].proof.clone();
    x.header.tx_root = sero_ledger::block::tx_root(&x.coinbase, &x.txs);
    cases.push(("bad proof", x));
    for (name, block) in cases {
        let err = chain.apply_block(&block).expect_err(name);
        eprintln!("{name}: {err}");
        assert_eq!(chain.tip(), tip, "{name}");
        assert_eq!(chain.db().leaf_count().unwrap(), leaves, "{name}");
    }
    assert!(matches!(
        chain.apply_block(&{
            let mut x = good.clone();
            x.header.parent = [7; 32];
            x
        }),
        Err(ChainError::Parent)
    ));
    // The header must commit to the validators after the block (light
    // clients check the next round's certificate against it).
    assert!(matches!(
        chain.apply_block(&{
            let mut x = good.clone();
            x.header.validators_hash = [0; 32];
            x
        }),
        Err(ChainError::ValidatorsHash)
    ));
    chain.apply_block(&good).unwrap();
    assert_eq!(chain.tip().0, 1);
    // Block encoding round trip through the store.
    let stored = chain.block(1).unwrap().unwrap();
    assert_eq!(stored, good);
}
