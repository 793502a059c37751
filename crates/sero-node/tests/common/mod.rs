//! Helpers shared by the node's integration tests: keys, the development
//! parameters and the notes an account holds on a chain.
#![allow(dead_code)]

use sero_keys::{SecretKey, Seed};
use sero_ledger::builder::SpendableNote;
use sero_node::scan::{find_notes, OutputRecord};
use sero_node::Chain;
use sero_zk::params::Parameters;
use std::sync::Arc;

/// The account with seed `[b; 32]`.
pub fn key(b: u8) -> SecretKey {
    SecretKey::from_seed(&Seed::from_bytes([b; 32]))
}

/// The development zk parameters.
pub fn params() -> Arc<Parameters> {
    Arc::new(Parameters::dev().clone())
}

/// The notes of `sk` on chain (spent or not), in position order, with
/// their paths against the current root.
pub fn notes(chain: &Chain, sk: &SecretKey) -> Vec<SpendableNote> {
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
        .collect()
}

/// The notes of `sk` whose nullifier is not on chain.
pub fn spendable(chain: &Chain, sk: &SecretKey) -> Vec<SpendableNote> {
    notes(chain, sk)
        .into_iter()
        .filter(|n| {
            let leaf = sero_tree::cm_auth(n.path.position, n.note.cm_out().unwrap());
            let nil = sero_zk::note::nullifier(&sk.zsk(), leaf);
            chain
                .db()
                .nullifier_height(&sero_crypto::curve::encode_base(&nil))
                .unwrap()
                .is_none()
        })
        .collect()
}

/// A development chain in `dir` whose genesis gives `key(1)` `notes` notes
/// of 1,000 SERO (one-time addresses from a fixed seed).
#[allow(dead_code)]
pub fn open_chain(dir: &std::path::Path, notes: usize) -> Chain {
    use rand::SeedableRng;
    let a = key(1).payment_address();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let pkrs: Vec<_> = (0..notes).map(|_| a.derive_pkr(&mut rng)).collect();
    let cfg = sero_node::ChainConfig::dev();
    Chain::open(&dir.join("chain.redb"), params(), cfg.clone(), || {
        let premine: Vec<_> = pkrs.iter().map(|p| (*p, 1_000)).collect();
        sero_node::chain::genesis_block(&premine, &[], 0, &cfg)
    })
    .unwrap()
}
