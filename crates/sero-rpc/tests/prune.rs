//! A pruning node (`Chain::set_prune_depth`) on real blocks with real
//! private transactions: old bodies are gone from the store, yet the node
//! validates new blocks (a spend of a note received in a pruned block, a
//! replay of a pruned block's transaction refused), serves headers,
//! compact blocks and spends from genesis, answers a pruned block with the
//! `-32002` error, and says which heights it serves.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_assets::Asset;
use sero_crypto::curve::encode_base;
use sero_keys::{SecretKey, Seed};
use sero_ledger::block::{Block, Seal};
use sero_ledger::builder::{build_transaction, Network, Recipient, SpendableNote};
use sero_ledger::Transaction;
use sero_node::mempool::MempoolError;
use sero_node::scan::{find_notes, OutputRecord};
use sero_node::{genesis_block, Chain, ChainConfig, ChainError, Mempool, Node};
use sero_rpc::{RpcImpl, SeroApiServer, PRUNED_CODE};
use std::sync::{Arc, Mutex};

fn key(b: u8) -> SecretKey {
    SecretKey::from_seed(&Seed::from_bytes([b; 32]))
}

fn open(dir: &std::path::Path) -> Chain {
    let a = key(1).payment_address();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let premine: Vec<_> = (0..2).map(|_| (a.derive_pkr(&mut rng), 1_000)).collect();
    let mut chain = Chain::open(
        &dir.join("chain.redb"),
        Arc::new(sero_zk::params::Parameters::dev().clone()),
        ChainConfig::dev(),
        || genesis_block(&premine, &[], 0, &ChainConfig::dev()),
    )
    .unwrap();
    chain.set_prune_depth(Some(2));
    chain
}

/// `sk`'s unspent notes, found from the stored outputs (kept when bodies
/// are pruned), with their paths.
fn spendable(chain: &Chain, sk: &SecretKey) -> Vec<SpendableNote> {
    let n = chain.db().leaf_count().unwrap();
    let records: Vec<(u64, OutputRecord)> = chain
        .db()
        .outputs(0, n)
        .unwrap()
        .into_iter()
        .map(|(p, b)| (p, OutputRecord::from_bytes(&b).unwrap()))
        .collect();
    find_notes(&sk.trace_key(), &records)
        .into_iter()
        .map(|(pos, note)| SpendableNote {
            note,
            path: chain.path(pos).unwrap(),
        })
        .filter(|n| {
            let leaf = sero_tree::cm_auth(n.path.position, n.note.cm_out().unwrap());
            let nil = sero_zk::note::nullifier(&sk.zsk(), leaf);
            chain
                .db()
                .nullifier_height(&encode_base(&nil))
                .unwrap()
                .is_none()
        })
        .collect()
}

fn pay(chain: &Chain, from: &SecretKey, to: &SecretKey, amount: u128, seed: u64) -> Transaction {
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
            memo: vec![],
            plain: false,
        }],
        1,
        &mut rng,
        &|_, _| {},
    )
    .unwrap()
}

/// Builds, applies and finalizes the next block with `txs` (as `sero dev`
/// does: every block final at once).
fn produce(chain: &mut Chain, txs: Vec<Transaction>) -> Block {
    let mut rng = ChaCha20Rng::seed_from_u64(chain.tip().0 + 100);
    let cb = key(9).payment_address().derive_pkr(&mut rng);
    let h = chain.tip().0 + 1;
    let b = chain.build_block(txs, &cb, h, Seal::Dev).unwrap();
    chain.apply_block(&b).unwrap();
    chain.db().set_finalized(h).unwrap();
    b
}

fn spends_of(b: &Block) -> Vec<([u8; 32], [u8; 32], [u8; 32])> {
    b.txs
        .iter()
        .flat_map(|t| {
            let id = t.txid();
            t.inputs
                .iter()
                .map(move |i| (id, encode_base(&i.nil), encode_base(&i.til)))
        })
        .collect()
}

#[test]
fn a_pruned_node_validates_and_serves_what_it_claims() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (key(1), key(2), key(3));
    let mut chain = open(dir.path());
    // Block 1: A pays B (a private transaction), then empty blocks.
    let t1 = pay(&chain, &a, &b, 400, 7);
    let b1 = produce(&mut chain, vec![t1.clone()]);
    for _ in 0..4 {
        produce(&mut chain, vec![]);
    }
    // Tip 5, depth 2: bodies of 4 and 5 kept, 0..=3 pruned.
    assert_eq!(chain.db().pruned_below().unwrap(), 4);
    for h in 0..4 {
        match chain.block(h) {
            Err(ChainError::State(sero_state::StateError::Pruned { height, lowest })) => {
                assert_eq!((height, lowest), (h, 4))
            }
            other => panic!("block {h}: {other:?}"),
        }
        assert!(chain.header(h).unwrap().is_some());
    }
    assert_eq!(chain.header(1).unwrap().unwrap(), b1.header);
    assert_eq!(chain.spends(1).unwrap().unwrap(), spends_of(&b1));
    assert!(chain.block(4).unwrap().is_some());

    // Still validates: the replay of the pruned block's transaction is
    // refused (its nullifiers stay), and B spends the note it received in
    // the pruned block 1.
    let mut pool = Mempool::new(10);
    assert!(matches!(
        pool.admit(t1.clone(), &chain),
        Err(MempoolError::Invalid(_))
    ));
    let t2 = pay(&chain, &b, &c, 150, 8);
    pool.admit(t2.clone(), &chain).unwrap();
    let b6 = produce(&mut chain, pool.select(10));
    assert_eq!(b6.txs.len(), 1);
    assert_eq!(
        spendable(&chain, &c)
            .iter()
            .map(|n| n.note.asset.value)
            .sum::<u128>(),
        150
    );
    assert_eq!(chain.db().pruned_below().unwrap(), 5);

    // Survives a restart (the setting is the node's; the store keeps what
    // was pruned).
    let tip = chain.tip();
    drop(chain);
    let chain = open(dir.path());
    assert_eq!(chain.tip(), tip);
    assert_eq!(chain.db().pruned_below().unwrap(), 5);

    // The RPC: a clear error for pruned bodies; headers' data, compact
    // blocks and spends from genesis.
    let rpc = RpcImpl::new(
        Arc::new(Mutex::new(Node {
            chain,
            mempool: Mempool::new(10),
        })),
        16,
    );
    let e = rpc.block_by_number(1).unwrap_err();
    assert_eq!(e.code(), PRUNED_CODE);
    assert!(
        e.message().contains("pruned") && e.message().contains("from height 5"),
        "{}",
        e.message()
    );
    assert_eq!(
        rpc.block_by_hash(hex::encode(b1.hash()))
            .unwrap_err()
            .code(),
        PRUNED_CODE
    );
    assert_eq!(
        rpc.transaction(hex::encode(t1.txid())).unwrap_err().code(),
        PRUNED_CODE
    );
    assert_eq!(rpc.block_by_number(6).unwrap().unwrap().txids.len(), 1);
    let compact = rpc.compact_blocks(0, 6).unwrap();
    assert_eq!(compact.len(), 7);
    assert_eq!(compact[1].hash, hex::encode(b1.hash()));
    assert_eq!(compact[1].spends.len(), t1.inputs.len());
    assert_eq!(compact[1].spends[0].txid, hex::encode(t1.txid()));
    assert_eq!(
        compact[1].outputs.len() as u64,
        b1.header.leaf_count - compact[1].start
    );
    assert_eq!(compact[6].spends.len(), t2.inputs.len());
    let spends = rpc.spends_by_block(0, 6).unwrap();
    assert_eq!(spends.len(), t1.inputs.len() + t2.inputs.len());
    assert_eq!(spends[0].height, 1);
    let outs = rpc.outputs_by_block(1, 1).unwrap();
    assert_eq!(outs.len(), compact[1].outputs.len());
    let served = rpc.served_heights().unwrap();
    assert_eq!(
        (
            served.tip,
            served.finalized,
            served.bodies_from,
            served.prune_depth
        ),
        (6, 6, 5, Some(2))
    );
}

#[test]
fn an_archive_node_keeps_every_body() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = open(dir.path());
    chain.set_prune_depth(None);
    for _ in 0..4 {
        produce(&mut chain, vec![]);
    }
    assert_eq!(chain.db().pruned_below().unwrap(), 0);
    for h in 0..=4 {
        assert!(chain.block(h).unwrap().is_some());
    }
}

/// Bytes per private transaction and per note, archive vs pruned: the same
/// blocks of real 1-input, 2-output private payments (real Groth16 proofs
/// on the development parameters: the sizes are those of any parameters)
/// applied to an archive store and to a store pruning with depth 1.
/// Prints the encoded sizes and the redb file growth; figures in
/// `docs/benchmarks.md` ("Bytes per transaction and per note").
/// `cargo test -p sero-rpc --test prune bytes_per -- --ignored --nocapture`
#[test]
#[ignore = "a measurement (proves 16 transactions): run with --ignored"]
fn bytes_per_private_transaction() {
    const TXS: usize = 16;
    const PER_BLOCK: usize = 4;
    let dir = tempfile::tempdir().unwrap();
    let a = key(1).payment_address();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let premine: Vec<_> = (0..TXS).map(|_| (a.derive_pkr(&mut rng), 1_000)).collect();
    let open_at = |name: &str, depth: Option<u64>| {
        let mut c = Chain::open(
            &dir.path().join(name).join("chain.redb"),
            Arc::new(sero_zk::params::Parameters::dev().clone()),
            ChainConfig::dev(),
            || genesis_block(&premine, &[], 0, &ChainConfig::dev()),
        )
        .unwrap();
        c.set_prune_depth(depth);
        c
    };
    let mut archive = open_at("archive", None);
    let mut pruned = open_at("pruned", Some(1));
    let file = |name: &str| {
        std::fs::metadata(dir.path().join(name).join("chain.redb"))
            .unwrap()
            .len()
    };
    // Warm up both stores with a few empty blocks (redb's first pages).
    for _ in 0..3 {
        let b = produce(&mut archive, vec![]);
        pruned.apply_block(&b).unwrap();
        pruned.db().set_finalized(b.header.height).unwrap();
    }
    let (fa0, fp0) = (file("archive"), file("pruned"));
    let notes = spendable(&archive, &key(1));
    assert_eq!(notes.len(), TXS);
    let mut body_bytes = 0usize;
    let mut output_record_bytes = 0usize;
    let (mut inputs, mut outs) = (0usize, 0usize);
    let mut header_bytes = 0usize;
    let mut blocks = 0usize;
    for chunk in notes.chunks(PER_BLOCK) {
        let txs: Vec<Transaction> = chunk
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let mut rng = ChaCha20Rng::seed_from_u64(1_000 + n.path.position + i as u64);
                let pkr = key(2).payment_address().derive_pkr(&mut rng);
                build_transaction(
                    Network {
                        chain_id: archive.chain_id(),
                        params: archive.params(),
                    },
                    &key(1),
                    std::slice::from_ref(n),
                    vec![Recipient {
                        pkr,
                        asset: Asset::sero(400),
                        memo: vec![],
                        plain: false,
                    }],
                    1,
                    &mut rng,
                    &|_, _| {},
                )
                .unwrap()
            })
            .collect();
        let leaves_before = archive.db().leaf_count().unwrap();
        let b = produce(&mut archive, txs);
        pruned.apply_block(&b).unwrap();
        pruned.db().set_finalized(b.header.height).unwrap();
        assert_eq!(b.txs.len(), chunk.len());
        body_bytes += b.txs.iter().map(|t| t.to_bytes().len()).sum::<usize>();
        inputs += b.txs.iter().map(|t| t.inputs.len()).sum::<usize>();
        outs += b.txs.iter().map(|t| t.outputs.len()).sum::<usize>();
        header_bytes += b.header.to_bytes().len();
        blocks += 1;
        let leaves_after = archive.db().leaf_count().unwrap();
        for (_, r) in archive.db().outputs(leaves_before, leaves_after).unwrap() {
            output_record_bytes += r.len();
        }
    }
    // One more empty block so the pruned store prunes the last tx block.
    let b = produce(&mut archive, vec![]);
    pruned.apply_block(&b).unwrap();
    pruned.db().set_finalized(b.header.height).unwrap();
    let notes_added = archive.db().leaf_count().unwrap() as usize - TXS;
    drop((archive, pruned));
    let (fa, fp) = (file("archive") - fa0, file("pruned") - fp0);
    let t = TXS as f64;
    println!(
        "private transactions: {TXS} (1 input, 2 outputs each), {blocks} blocks of {PER_BLOCK}"
    );
    println!(
        "  encoded transaction (body share)  : {:.0} B/tx",
        body_bytes as f64 / t
    );
    println!("  inputs, shielded outputs          : {inputs}, {outs}");
    println!("  output record (kept when pruned)  : {:.0} B/note over {notes_added} notes (incl. coinbase)", output_record_bytes as f64 / notes_added as f64);
    println!(
        "  header                            : {:.0} B/block",
        header_bytes as f64 / blocks as f64
    );
    println!(
        "  redb file growth, archive         : {fa} B = {:.0} B/tx",
        fa as f64 / t
    );
    println!(
        "  redb file growth, pruned (depth 1): {fp} B = {:.0} B/tx",
        fp as f64 / t
    );
}
