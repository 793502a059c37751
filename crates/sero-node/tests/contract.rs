//! Contract actions in the block's state transition on a real store:
//! creation and calls executed in block order, the state root in the
//! header checked, a call's asset booked to the contract, a reverted call's
//! asset returned to `From` as a note of the tree, receipts stored, and a
//! rollback restoring the contract state.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_assets::Asset;
use sero_evm::{Address, StateView, U256};
use sero_keys::SecretKey;
use sero_ledger::block::{Block, Seal};
use sero_ledger::builder::{build_transaction_ext, Extras, Network};
use sero_ledger::{ContractAction, ContractTarget, Transaction};
use sero_node::chain::genesis_block;
use sero_node::contract::Receipt;
use sero_node::{Chain, ChainConfig, ChainError};

mod common;
use common::{key, notes, params, spendable};

fn open(dir: &std::path::Path) -> Chain {
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

/// Init code returning `runtime`.
fn init_code(runtime: &[u8]) -> Vec<u8> {
    let mut c = vec![
        0x60,
        runtime.len() as u8,
        0x80,
        0x60,
        0x0b,
        0x60,
        0x00,
        0x39,
        0x60,
        0x00,
        0xf3,
    ];
    c.extend_from_slice(runtime);
    c
}

/// Stores calldata word 0 in slot 0.
const STORE: [u8; 7] = [0x60, 0x00, 0x35, 0x60, 0x00, 0x55, 0x00];
/// Always reverts.
const REVERT: [u8; 5] = [0x60, 0x00, 0x60, 0x00, 0xfd];

fn action(chain: &Chain, sk: &SecretKey, c: ContractAction, seed: u64) -> Transaction {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    build_transaction_ext(
        Network {
            chain_id: chain.chain_id(),
            params: chain.params(),
        },
        sk,
        &spendable(chain, sk),
        vec![],
        100,
        Extras {
            contract: Some(c),
            ..Extras::default()
        },
        &mut rng,
        &|_, _| {},
    )
    .unwrap()
}

fn create(chain: &Chain, runtime: &[u8], seed: u64) -> Transaction {
    let data = sero_evm::make_prefix([0; 16], &[], &init_code(runtime));
    action(
        chain,
        &key(1),
        ContractAction {
            target: ContractTarget::Create,
            gas_limit: 1_000_000,
            asset: None,
            token_fee: None,
            data,
        },
        seed,
    )
}

fn call(chain: &Chain, to: Address, word: u64, asset: Option<Asset>, seed: u64) -> Transaction {
    let data = sero_evm::make_prefix([0; 16], &[], &U256::from(word).to_be_bytes::<32>());
    action(
        chain,
        &key(1),
        ContractAction {
            target: ContractTarget::Call(to.0 .0),
            gas_limit: 1_000_000,
            asset,
            token_fee: None,
            data,
        },
        seed,
    )
}

fn block(chain: &Chain, txs: Vec<Transaction>) -> Block {
    let (h, _) = chain.tip();
    let miner = key(9)
        .payment_address()
        .derive_pkr_with(&sero_crypto::Scalar::from(3u64));
    let b = chain
        .build_block(txs.clone(), &miner, h + 1, Seal::Dev)
        .unwrap();
    assert_eq!(b.txs.len(), txs.len(), "the builder kept every transaction");
    b
}

fn receipt(chain: &Chain, tx: &Transaction) -> Option<Receipt> {
    chain
        .db()
        .receipt(&tx.txid())
        .unwrap()
        .map(|b| serde_json::from_slice(&b).unwrap())
}

fn addr(s: &str) -> Address {
    Address::from_slice(&hex::decode(s.strip_prefix("0x").unwrap()).unwrap())
}

#[test]
fn contracts_in_blocks_state_root_refund_and_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = open(dir.path());
    let empty_root = chain.tip_header().state_root;

    // Deploy the two contracts, one block each (both spend key(1)'s notes).
    let d1 = create(&chain, &STORE, 1);
    let b = block(&chain, vec![d1.clone()]);
    assert_ne!(b.header.state_root, empty_root);
    chain.apply_block(&b).unwrap();
    let r1 = receipt(&chain, &d1).expect("receipt");
    assert_eq!(r1.status, "success", "{r1:?}");
    let store = addr(r1.contract_address.as_ref().unwrap());
    let d2 = create(&chain, &REVERT, 3);
    chain.apply_block(&block(&chain, vec![d2.clone()])).unwrap();
    let reverter = addr(
        receipt(&chain, &d2)
            .unwrap()
            .contract_address
            .as_ref()
            .unwrap(),
    );
    let h_deployed = chain.tip().0;

    // A call bringing 30 SERO stores 42; the contract's book holds 30.
    let c = call(&chain, store, 42, Some(Asset::sero(30)), 4);
    let b = block(&chain, vec![c.clone()]);
    // A tampered state root is refused and changes nothing.
    let mut bad = b.clone();
    bad.header.state_root[0] ^= 1;
    assert!(matches!(
        chain.apply_block(&bad),
        Err(ChainError::StateRoot)
    ));
    assert_eq!(chain.tip().0, h_deployed);
    chain.apply_block(&b).unwrap();
    let v = chain.contract_view().unwrap();
    assert_eq!(v.storage(&store, &U256::ZERO).unwrap(), U256::from(42u64));
    assert_eq!(
        v.book(&store, &sero_assets::Currency::sero()).unwrap(),
        U256::from(30u64)
    );
    assert_eq!(receipt(&chain, &c).unwrap().status, "success");

    // A reverted call with 50 SERO: gas charged (the fee), the 50 back to
    // From as a plain note in the tree, found by the wallet's scan.
    let before: u128 = notes(&chain, &key(1))
        .iter()
        .filter(|n| n.note.asset.value == 50)
        .count() as u128;
    let r = call(&chain, reverter, 1, Some(Asset::sero(50)), 5);
    chain.apply_block(&block(&chain, vec![r.clone()])).unwrap();
    let rr = receipt(&chain, &r).unwrap();
    assert_eq!(rr.status, "revert");
    assert_eq!(rr.notes.len(), 1);
    assert_eq!(rr.notes[0].value, "50");
    assert_eq!(rr.notes[0].pkr, r.from.to_string());
    let after = notes(&chain, &key(1))
        .iter()
        .filter(|n| n.note.asset.value == 50)
        .count() as u128;
    assert_eq!(after, before + 1, "the refund note is the sender's");

    // Rollback to before the storing call: the slot, the book and the
    // receipts are gone; the state root is the deployed one again.
    let root_deployed = chain.header(h_deployed).unwrap().unwrap().state_root;
    chain.rollback_to(h_deployed).unwrap();
    let v = chain.contract_view().unwrap();
    assert_eq!(v.storage(&store, &U256::ZERO).unwrap(), U256::ZERO);
    assert_eq!(
        v.book(&store, &sero_assets::Currency::sero()).unwrap(),
        U256::ZERO
    );
    assert!(receipt(&chain, &c).is_none());
    assert!(receipt(&chain, &r).is_none());
    // The stored contract state and spent set, scanned afresh, give it.
    assert_eq!(chain.tip_header().state_root, root_deployed);
    chain.verify_state().unwrap();
    // And the same call applies again.
    let c2 = call(&chain, store, 7, None, 6);
    chain.apply_block(&block(&chain, vec![c2])).unwrap();
    assert_eq!(
        chain
            .contract_view()
            .unwrap()
            .storage(&store, &U256::ZERO)
            .unwrap(),
        U256::from(7u64)
    );
}
