//! `Chain::verify_state`: the check a node runs on a state it did not
//! build itself (a snapshot) — the stored leaves, output records, contract
//! state and registry must give the tip header's note root, leaf count,
//! state root and validators hash. An honest store passes; each tampered
//! copy fails with the commitment it breaks.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_ledger::block::Seal;
use sero_node::Chain;
use sero_state::redb;
use sero_state::redb::ReadableTable;
use sero_state::tables::{EVM_STATE, OUTPUTS, VALIDATORS};
use std::path::Path;

mod common;
use common::key;

fn open(dir: &Path) -> Chain {
    common::open_chain(dir, 3)
}

/// A copy of the store in `dir/name`, changed by `tamper`.
fn tampered(src: &Path, name: &str, tamper: impl FnOnce(&redb::WriteTransaction)) -> Chain {
    let dir = src.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(src.join("chain.redb"), dir.join("chain.redb")).unwrap();
    {
        let db = redb::Database::create(dir.join("chain.redb")).unwrap();
        let w = db.begin_write().unwrap();
        tamper(&w);
        w.commit().unwrap();
    }
    open(&dir)
}

#[test]
fn verify_state_accepts_the_honest_store_and_refuses_tampered_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = open(dir.path());
    for h in 1..=3 {
        let mut rng = ChaCha20Rng::seed_from_u64(h);
        let cb = key(9).payment_address().derive_pkr(&mut rng);
        let b = chain.build_block(vec![], &cb, h, Seal::Dev).unwrap();
        chain.apply_block(&b).unwrap();
    }
    chain.verify_state().unwrap();
    drop(chain);

    let expect = |c: Chain, what: &str| {
        let e = c.verify_state().expect_err(what).to_string();
        assert!(e.contains(what), "{e}");
    };
    // An output record swapped for another position's.
    let c = tampered(dir.path(), "outputs", |w| {
        let mut t = w.open_table(OUTPUTS).unwrap();
        let other = t.get(1).unwrap().unwrap().value().to_vec();
        t.insert(0, other.as_slice()).unwrap();
    });
    expect(c, "output record 0 does not match its leaf");
    // A contract-state entry nobody wrote.
    let c = tampered(dir.path(), "evm", |w| {
        let mut t = w.open_table(EVM_STATE).unwrap();
        t.insert(&b"forged key"[..], &b"forged value"[..]).unwrap();
    });
    expect(c, "state root");
    // A validator nobody registered.
    let c = tampered(dir.path(), "registry", |w| {
        let mut t = w.open_table(VALIDATORS).unwrap();
        let rec = sero_state::codec::encode_validator(&sero_state::ValidatorRecord {
            stake: 5_000,
            ..Default::default()
        });
        t.insert(&[7u8; 32], &rec[..]).unwrap();
    });
    expect(c, "validators hash");
}
