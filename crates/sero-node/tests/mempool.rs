//! The mempool rules with real (proved) transactions: admission, duplicate,
//! conflict by nullifier and replace-by-fee, the capacity bound, fee order
//! of `select`, and `prune` after a block.
//!
//! To keep proving cheap every transaction spends one 1,000 SERO genesis
//! note in full to a plain output (no change): one input proof and the two
//! zero-value output proofs every transaction has. Which note a transaction spends is fixed by giving the builder
//! that note alone.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_assets::Asset;
use sero_ledger::block::Seal;
use sero_ledger::builder::{build_transaction, Network, Recipient, SpendableNote};
use sero_ledger::Transaction;
use sero_node::mempool::MempoolError;
use sero_node::{Chain, Mempool};

mod common;
use common::{key, notes};

const NOTE_VALUE: u128 = 1_000;

/// A chain whose genesis gives `key(1)` `notes` notes of 1,000 SERO.
fn open(dir: &std::path::Path, notes: usize) -> Chain {
    common::open_chain(dir, notes)
}

/// Spends `note` of `key(1)` entirely: `1,000 − fee` to a plain output of
/// `key(2)`, `fee` to the producer. `seed` makes otherwise equal
/// transactions distinct (fresh PKr, randomness).
fn spend(chain: &Chain, note: &SpendableNote, fee: u128, seed: u64) -> Transaction {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let pkr = key(2).payment_address().derive_pkr(&mut rng);
    let tx = build_transaction(
        Network {
            chain_id: chain.chain_id(),
            params: chain.params(),
        },
        &key(1),
        std::slice::from_ref(note),
        vec![Recipient {
            pkr,
            asset: Asset::sero(NOTE_VALUE - fee),
            memo: vec![],
            plain: true,
        }],
        fee,
        &mut rng,
        &|_, _| {},
    )
    .unwrap();
    // No change: the two shielded outputs every transaction has are
    // zero-value notes to self.
    assert_eq!((tx.inputs.len(), tx.outputs.len()), (1, 2));
    tx
}

fn fees(txs: &[Transaction]) -> Vec<u128> {
    txs.iter().map(|t| t.fee).collect()
}

#[test]
fn admission_duplicates_conflicts_and_replace_by_fee() {
    let dir = tempfile::tempdir().unwrap();
    let chain = open(dir.path(), 2);
    let ns = notes(&chain, &key(1));
    let mut pool = Mempool::new(100);
    assert!(pool.is_empty());

    // A valid transaction is admitted under its txid.
    let t1 = spend(&chain, &ns[0], 10, 1);
    let id1 = pool.admit(t1.clone(), &chain).unwrap();
    assert_eq!(id1, t1.txid());
    assert!(pool.contains(&id1));
    assert_eq!(pool.len(), 1);

    // The same transaction again.
    assert_eq!(
        pool.admit(t1.clone(), &chain),
        Err(MempoolError::AlreadyKnown)
    );

    // Another transaction spending the same note (same nullifier), with an
    // equal or a lower fee: refused, the pending one stays.
    let same_fee = spend(&chain, &ns[0], 10, 2);
    assert_ne!(same_fee.txid(), id1);
    assert_eq!(
        same_fee.nullifiers().collect::<Vec<_>>(),
        t1.nullifiers().collect::<Vec<_>>()
    );
    assert_eq!(pool.admit(same_fee, &chain), Err(MempoolError::Conflict));
    let lower_fee = spend(&chain, &ns[0], 5, 3);
    assert_eq!(pool.admit(lower_fee, &chain), Err(MempoolError::Conflict));
    assert!(pool.contains(&id1));
    assert_eq!(pool.len(), 1);

    // A higher fee replaces it.
    let higher = spend(&chain, &ns[0], 20, 4);
    let id_higher = pool.admit(higher, &chain).unwrap();
    assert!(pool.contains(&id_higher));
    assert!(!pool.contains(&id1));
    assert_eq!(pool.len(), 1);
    // The replaced transaction is now the conflicting one with a lower fee.
    assert_eq!(pool.admit(t1, &chain), Err(MempoolError::Conflict));

    // A transaction spending another note does not conflict.
    let other = spend(&chain, &ns[1], 1, 5);
    let id_other = pool.admit(other, &chain).unwrap();
    assert_eq!(pool.len(), 2);
    assert!(pool.contains(&id_other) && pool.contains(&id_higher));
}

#[test]
fn capacity_fee_order_and_prune_after_a_block() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = open(dir.path(), 4);
    let ns = notes(&chain, &key(1));
    let a = spend(&chain, &ns[0], 5, 10);
    let b = spend(&chain, &ns[1], 7, 11);
    let c = spend(&chain, &ns[2], 9, 12);
    let d = spend(&chain, &ns[3], 1, 13);

    // Capacity 2: full with a (5) and b (7).
    let mut small = Mempool::new(2);
    small.admit(a.clone(), &chain).unwrap();
    small.admit(b.clone(), &chain).unwrap();
    // A lower fee than every pending one: Full, nothing changes.
    assert_eq!(small.admit(d.clone(), &chain), Err(MempoolError::Full));
    // A fee equal to the lowest is not enough either.
    let a_like = spend(&chain, &ns[3], 5, 14);
    assert_eq!(small.admit(a_like, &chain), Err(MempoolError::Full));
    assert_eq!(small.len(), 2);
    // A higher fee evicts the lowest (a).
    small.admit(c.clone(), &chain).unwrap();
    assert_eq!(small.len(), 2);
    assert!(!small.contains(&a.txid()));
    assert!(small.contains(&b.txid()) && small.contains(&c.txid()));
    assert_eq!(fees(&small.select(10)), vec![9, 7]);

    // select(): highest fee first, at most `max`.
    let mut pool = Mempool::new(100);
    for t in [&a, &b, &c, &d] {
        pool.admit(t.clone(), &chain).unwrap();
    }
    assert_eq!(fees(&pool.select(10)), vec![9, 7, 5, 1]);
    assert_eq!(fees(&pool.select(2)), vec![9, 7]);
    assert!(pool.select(0).is_empty());

    // A block with c (from the pool) and a rival of b spending b's note
    // (not from the pool): after it, prune() drops c (included) and b (its
    // note is now spent), and keeps a and d.
    let rival_b = spend(&chain, &ns[1], 3, 15);
    let cb = key(9)
        .payment_address()
        .derive_pkr(&mut ChaCha20Rng::seed_from_u64(16));
    let block = chain
        .build_block(vec![c.clone(), rival_b.clone()], &cb, 1, Seal::Dev)
        .unwrap();
    assert_eq!(block.txs.len(), 2);
    chain.apply_block(&block).unwrap();
    assert_eq!(pool.len(), 4);
    pool.prune(&chain);
    assert_eq!(pool.len(), 2);
    assert!(!pool.contains(&c.txid()), "included transaction kept");
    assert!(
        !pool.contains(&b.txid()),
        "now-conflicting transaction kept"
    );
    assert!(pool.contains(&a.txid()) && pool.contains(&d.txid()));
    assert_eq!(fees(&pool.select(10)), vec![5, 1]);
    // Neither can come back: their nullifiers are spent.
    for t in [c, b] {
        assert!(matches!(
            pool.admit(t, &chain),
            Err(MempoolError::Invalid(_))
        ));
    }
    assert_eq!(pool.len(), 2);
}

#[test]
fn bounded_in_bytes_with_eviction_by_fee_per_byte() {
    let dir = tempfile::tempdir().unwrap();
    let chain = open(dir.path(), 3);
    let ns = notes(&chain, &key(1));
    let a = spend(&chain, &ns[0], 5, 20);
    let b = spend(&chain, &ns[1], 7, 21);
    let c = spend(&chain, &ns[2], 9, 22);
    let size = a.to_bytes().len();
    assert_eq!(size, b.to_bytes().len());
    // Room for two transactions' bytes, whatever the count.
    let mut pool = Mempool::with_limits(100, 2 * size + size / 2);
    pool.admit(a.clone(), &chain).unwrap();
    pool.admit(b.clone(), &chain).unwrap();
    assert_eq!(pool.bytes(), 2 * size);
    // c pays more per byte: it evicts a, the lowest.
    pool.admit(c.clone(), &chain).unwrap();
    assert_eq!(pool.len(), 2);
    assert!(!pool.contains(&a.txid()));
    assert_eq!(pool.bytes(), 2 * size);
    // a cannot come back: its fee per byte is below every pending one.
    assert_eq!(pool.admit(a, &chain), Err(MempoolError::Full));
    // Larger than the whole pool.
    let mut tiny = Mempool::with_limits(100, size - 1);
    assert_eq!(tiny.admit(b, &chain), Err(MempoolError::Full));
}

#[test]
fn a_durable_mempool_survives_a_restart_and_forgets_what_was_included() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = open(dir.path(), 3);
    let ns = notes(&chain, &key(1));
    let a = spend(&chain, &ns[0], 5, 30);
    let b = spend(&chain, &ns[1], 7, 31);
    let path = dir.path().join("mempool.redb");
    {
        let (mut pool, restored) = Mempool::open(&path, 100, 1 << 20, &chain).unwrap();
        assert_eq!(restored, 0);
        pool.admit(a.clone(), &chain).unwrap();
        pool.admit(b.clone(), &chain).unwrap();
        // Dropped without any shutdown step: what a crash leaves.
    }
    let (pool, restored) = Mempool::open(&path, 100, 1 << 20, &chain).unwrap();
    assert_eq!(restored, 2);
    assert!(pool.contains(&a.txid()) && pool.contains(&b.txid()));
    drop(pool);
    // b is included in a block while the node is down: on restart it is
    // dropped (its note is spent), a stays pending.
    let cb = key(9)
        .payment_address()
        .derive_pkr(&mut ChaCha20Rng::seed_from_u64(32));
    let block = chain
        .build_block(vec![b.clone()], &cb, 1, Seal::Dev)
        .unwrap();
    chain.apply_block(&block).unwrap();
    let (pool, restored) = Mempool::open(&path, 100, 1 << 20, &chain).unwrap();
    assert_eq!(restored, 1);
    assert!(pool.contains(&a.txid()) && !pool.contains(&b.txid()));
    drop(pool);
    let (_, restored) = Mempool::open(&path, 100, 1 << 20, &chain).unwrap();
    assert_eq!(
        restored, 1,
        "the included transaction was removed from the store"
    );
}

#[test]
fn a_batch_is_admitted_in_order_with_one_commit_that_survives_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let chain = open(dir.path(), 3);
    let ns = notes(&chain, &key(1));
    let a = spend(&chain, &ns[0], 5, 50);
    // The same note at a higher fee: replaces a within the batch.
    let a2 = spend(&chain, &ns[0], 9, 51);
    let b = spend(&chain, &ns[1], 7, 52);
    let path = dir.path().join("mempool.redb");
    {
        let (mut pool, _) = Mempool::open(&path, 100, 1 << 20, &chain).unwrap();
        let r = pool.admit_verified_many(
            vec![a.clone(), a2.clone(), b.clone(), a.clone(), b.clone()],
            &chain,
        );
        assert_eq!(
            r,
            vec![
                Ok(a.txid()),
                Ok(a2.txid()),
                Ok(b.txid()),
                // a again: a2 spends its note at a higher fee.
                Err(MempoolError::Conflict),
                Err(MempoolError::AlreadyKnown),
            ]
        );
        assert_eq!(pool.len(), 2);
        assert!(!pool.contains(&a.txid()));
        assert_eq!(pool.bytes(), a2.to_bytes().len() + b.to_bytes().len());
        // Dropped without any shutdown step: what a crash leaves.
    }
    // The store applied the batch's changes in order: a inserted, then
    // removed by a2.
    let (pool, restored) = Mempool::open(&path, 100, 1 << 20, &chain).unwrap();
    assert_eq!(restored, 2);
    assert!(pool.contains(&a2.txid()) && pool.contains(&b.txid()));
    assert!(!pool.contains(&a.txid()));
    // A saved transaction that no longer verifies (the file tampered
    // with: a fee changed under its signature) is dropped on restart and
    // removed from the store, in the same batch as the valid ones.
    drop(pool);
    let mut forged = b.clone();
    forged.fee += 1;
    {
        use redb::{Database, TableDefinition};
        let t: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("pending_txs");
        let db = Database::create(&path).unwrap();
        let w = db.begin_write().unwrap();
        w.open_table(t)
            .unwrap()
            .insert(&forged.txid(), forged.to_bytes().as_slice())
            .unwrap();
        w.commit().unwrap();
    }
    let (pool, restored) = Mempool::open(&path, 100, 1 << 20, &chain).unwrap();
    assert_eq!(restored, 2);
    assert!(!pool.contains(&forged.txid()));
    drop(pool);
    let (pool, restored) = Mempool::open(&path, 100, 1 << 20, &chain).unwrap();
    assert_eq!(restored, 2, "the forged one left the store");
    // An empty batch, or one refused entirely, changes nothing.
    let mut pool = pool;
    assert!(pool.admit_verified_many(vec![], &chain).is_empty());
    assert_eq!(
        pool.admit_verified_many(vec![b.clone()], &chain),
        vec![Err(MempoolError::AlreadyKnown)]
    );
    assert_eq!(pool.len(), 2);
}

#[test]
fn submit_checks_cheap_rules_first_and_classifies_misbehaviour() {
    let dir = tempfile::tempdir().unwrap();
    let chain = open(dir.path(), 2);
    let ns = notes(&chain, &key(1));
    let good = spend(&chain, &ns[0], 5, 40);
    // A transaction for another network: refused by the cheap rule, and it
    // is misbehaviour (a peer relaying it is scored).
    let mut foreign = spend(&chain, &ns[1], 5, 41);
    foreign.chain_id[0] ^= 1;
    // A broken proof with a spent... (unknown) anchor: the cheap anchor
    // rule answers first, and an expired anchor is an honest race.
    let mut stale = good.clone();
    stale.inputs[0].anchor = sero_crypto::Base::from(7u64);
    stale.inputs[0].proof = good.inputs[0].proof.clone();
    let node = std::sync::Mutex::new(sero_node::Node {
        chain,
        mempool: Mempool::new(100),
    });
    let e = sero_node::mempool::submit(&node, foreign).unwrap_err();
    assert!(matches!(
        e,
        MempoolError::Invalid(sero_ledger::TxError::WrongChain { .. })
    ));
    assert!(e.is_misbehaviour());
    let e = sero_node::mempool::submit(&node, stale).unwrap_err();
    assert!(matches!(
        e,
        MempoolError::Invalid(sero_ledger::TxError::UnknownAnchor(_))
    ));
    assert!(!e.is_misbehaviour(), "an expired anchor is not an attack");
    // A bad signature (tampered fee) is misbehaviour, found after the cheap
    // checks pass.
    let mut forged = good.clone();
    forged.fee += 1;
    let e = sero_node::mempool::submit(&node, forged).unwrap_err();
    assert!(e.is_misbehaviour(), "{e}");
    // The honest one is admitted.
    let id = sero_node::mempool::submit(&node, good.clone()).unwrap();
    assert_eq!(id, good.txid());
    assert_eq!(
        sero_node::mempool::submit(&node, good),
        Err(MempoolError::AlreadyKnown)
    );
}

#[test]
fn a_gossip_batch_is_verified_together_and_each_transaction_gets_its_own_verdict() {
    // submit_batch: cheap rules per transaction, one proof batch for the
    // survivors, exact blame when it fails, then admission in order; the
    // admitted ones are in the chain's cache, so the block that includes
    // them does not verify them again.
    let dir = tempfile::tempdir().unwrap();
    let chain = open(dir.path(), 4);
    let ns = notes(&chain, &key(1));
    let good = spend(&chain, &ns[0], 5, 50);
    let other = spend(&chain, &ns[1], 5, 51);
    let mut bad_proof = spend(&chain, &ns[2], 5, 52);
    bad_proof.inputs[0].proof = good.inputs[0].proof.clone();
    let mut foreign = spend(&chain, &ns[3], 5, 53);
    foreign.chain_id[0] ^= 1;
    // Spends the same note as `good` with the same fee: a conflict.
    let rival = spend(&chain, &ns[0], 5, 54);
    let node = std::sync::Mutex::new(sero_node::Node {
        chain,
        mempool: Mempool::new(100),
    });
    let r = sero_node::mempool::submit_batch(
        &node,
        vec![
            good.clone(),
            bad_proof,
            foreign,
            other.clone(),
            rival,
            good.clone(),
        ],
    );
    assert_eq!(r[0], Ok(good.txid()));
    assert_eq!(
        r[1],
        Err(MempoolError::Invalid(sero_ledger::TxError::BadInputProof))
    );
    assert!(matches!(
        r[2],
        Err(MempoolError::Invalid(
            sero_ledger::TxError::WrongChain { .. }
        ))
    ));
    assert_eq!(r[3], Ok(other.txid()));
    assert_eq!(r[4], Err(MempoolError::Conflict));
    assert_eq!(r[5], Err(MempoolError::AlreadyKnown));
    let mut n = node.lock().unwrap();
    assert_eq!(n.mempool.len(), 2);
    let cache = n.chain.verified_cache();
    assert!(cache.contains(&good.full_hash()) && cache.contains(&other.full_hash()));
    // The block holding them finds both verified.
    let misses = cache.stats().misses;
    let sero_node::Node { chain, mempool } = &mut *n;
    let coinbase = key(3).payment_address().derive_pkr(&mut rand_core::OsRng);
    let block = chain
        .build_block(mempool.select(10), &coinbase, 1, Seal::Dev)
        .unwrap();
    chain.apply_block(&block).unwrap();
    assert_eq!(block.txs.len(), 2);
    assert_eq!(cache.stats().misses, misses, "nothing verified twice");
}

#[test]
fn the_rpc_submitter_batches_concurrent_submissions_and_answers_each() {
    let dir = tempfile::tempdir().unwrap();
    let chain = open(dir.path(), 3);
    let ns = notes(&chain, &key(1));
    let good = spend(&chain, &ns[0], 5, 60);
    let other = spend(&chain, &ns[1], 5, 61);
    let mut forged = spend(&chain, &ns[2], 5, 62);
    forged.fee += 1; // breaks the signatures
    let node = std::sync::Arc::new(std::sync::Mutex::new(sero_node::Node {
        chain,
        mempool: Mempool::new(100),
    }));
    let submitter = sero_node::mempool::Submitter::new(node.clone());
    let handles: Vec<_> = [good.clone(), forged, other.clone()]
        .into_iter()
        .map(|t| {
            let s = submitter.clone();
            std::thread::spawn(move || s.submit(t))
        })
        .collect();
    let r: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(r[0], Ok(good.txid()));
    assert!(
        matches!(r[1], Err(ref e) if e.is_misbehaviour()),
        "{:?}",
        r[1]
    );
    assert_eq!(r[2], Ok(other.txid()));
    assert_eq!(submitter.submit(good), Err(MempoolError::AlreadyKnown));
    assert_eq!(node.lock().unwrap().mempool.len(), 2);
}
