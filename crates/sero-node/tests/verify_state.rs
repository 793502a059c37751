//! `Chain::verify_state`: the check a node runs on a state it did not
//! build itself (a snapshot) — the stored leaves, output records, contract
//! state, spent set (nullifiers and tils) and registry must give the tip
//! header's note root, leaf count, state root and validators hash. An
//! honest store passes; each tampered copy fails with the commitment it
//! breaks.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_assets::Asset;
use sero_ledger::block::Seal;
use sero_ledger::builder::{build_transaction, Network, Recipient};
use sero_node::Chain;
use sero_state::redb;
use sero_state::redb::ReadableTable;
use sero_state::tables::{EVM_STATE, NULLIFIERS, OUTPUTS, TILS, VALIDATORS};
use std::path::Path;

mod common;
use common::{key, spendable};

/// A payment of 10 SERO from `key(1)` to `key(2)`: spends one note.
fn payment(chain: &Chain) -> sero_ledger::Transaction {
    let mut rng = ChaCha20Rng::seed_from_u64(77);
    let notes = spendable(chain, &key(1));
    build_transaction(
        Network {
            chain_id: chain.chain_id(),
            params: chain.params(),
        },
        &key(1),
        &notes[..1],
        vec![Recipient {
            pkr: key(2).payment_address().derive_pkr(&mut rng),
            asset: Asset::sero(10),
            memo: vec![],
            plain: false,
        }],
        1,
        &mut rng,
        &|_, _| {},
    )
    .unwrap()
}

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

/// A snapshot's records `(table id, key, value)`.
fn records(b: &[u8]) -> Vec<(u8, Vec<u8>, Vec<u8>)> {
    let mut at = 8 + 4 + 8 + 32 + 8;
    let mut out = vec![];
    let u32_at = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize;
    while b[at] != 0 {
        let t = b[at];
        let kl = u32_at(at + 1);
        let k = b[at + 5..at + 5 + kl].to_vec();
        let vat = at + 5 + kl;
        let vl = u32_at(vat);
        out.push((t, k, b[vat + 4..vat + 4 + vl].to_vec()));
        at = vat + 4 + vl;
    }
    out
}

/// The snapshot `b` with its records replaced by `recs`, resealed (count
/// and checksum), so that only the checks against the header can refuse
/// it.
fn resealed(b: &[u8], recs: &[(u8, Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut out = b[..8 + 4 + 8 + 32 + 8].to_vec();
    for (t, k, v) in recs {
        out.push(*t);
        out.extend_from_slice(&(k.len() as u32).to_le_bytes());
        out.extend_from_slice(k);
        out.extend_from_slice(&(v.len() as u32).to_le_bytes());
        out.extend_from_slice(v);
    }
    out.push(0);
    out.extend_from_slice(&(recs.len() as u64).to_le_bytes());
    let d = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(sero_state::snapshot::SNAPSHOT_CHECKSUM_TAG)
        .hash(&out);
    out.extend_from_slice(d.as_bytes());
    out
}

/// Three blocks on `key(1)`'s genesis, the second spending a note (so the
/// state root covers a nullifier and a til), final at the tip.
fn grown(dir: &Path) -> Chain {
    let mut chain = open(dir);
    for h in 1..=3 {
        let mut rng = ChaCha20Rng::seed_from_u64(h);
        let cb = key(9).payment_address().derive_pkr(&mut rng);
        let txs = if h == 2 {
            vec![payment(&chain)]
        } else {
            vec![]
        };
        let b = chain.build_block(txs, &cb, h, Seal::Dev).unwrap();
        chain.apply_block(&b).unwrap();
    }
    chain.db().set_finalized(3).unwrap();
    chain
}

#[test]
fn a_joining_node_compares_the_roots_its_import_computed() {
    // `sero_node::snapshot::{import, verify_state}`: the join's own path,
    // which does not hash the leaves or scan the state twice. What it
    // takes from the import (the tree root it hashed from the leaves it
    // wrote, the accumulator of its scan) is compared with the header; a
    // damaged snapshot or store is still refused.
    let dir = tempfile::tempdir().unwrap();
    let chain = grown(dir.path());
    let mut good = vec![];
    chain.db().write_snapshot(&mut good, |_| {}).unwrap();
    drop(chain);
    let join = |name: &str, bytes: &[u8]| -> Result<(), String> {
        let d = dir.path().join(name);
        let imported = sero_node::snapshot::import(&d.join("chain.redb"), bytes, |_| {})
            .map_err(|e| e.to_string())?;
        let c = open(&d);
        sero_node::snapshot::verify_state(&c, &imported).map_err(|e| e.to_string())?;
        // The general check agrees.
        c.verify_state().map_err(|e| e.to_string())
    };
    join("good", &good).unwrap();
    let recs = records(&good);

    // A leaf and its output record replaced by a consistent pair (the
    // record's commitment changed, the leaf its `CMauth`), and the last
    // stored root by the root of the changed leaves: every record matches
    // its leaf and the store opens, but the root the import hashed is not
    // the header's.
    let mut bad = recs.clone();
    let out0 = bad.iter().position(|r| r.0 == 8).unwrap();
    bad[out0].2[1 + 96 + 3] ^= 1;
    let cm_out = sero_node::scan::OutputRecord::cm_out_of(&bad[out0].2).unwrap();
    let leaf0 = bad.iter().position(|r| r.0 == 3).unwrap();
    let forged = sero_tree::cm_auth(0, cm_out);
    bad[leaf0].2 = sero_crypto::curve::encode_base(&forged).to_vec();
    let mut frontier = sero_tree::Frontier::new();
    for (t, _, v) in &bad {
        if *t == 3 {
            let l = sero_crypto::curve::base_from_canonical(v.as_slice().try_into().unwrap());
            frontier.append(l.unwrap()).unwrap();
        }
    }
    let last_root = bad.iter().rposition(|r| r.0 == 4).unwrap();
    bad[last_root].2 = sero_crypto::curve::encode_base(&frontier.root()).to_vec();
    let e = join("forged-leaf", &resealed(&good, &bad)).unwrap_err();
    assert!(e.contains("note root"), "{e}");

    // A spent nullifier dropped: the import's scan misses it.
    let mut bad = recs.clone();
    bad.remove(bad.iter().position(|r| r.0 == 5).unwrap());
    let e = join("nullifier-dropped", &resealed(&good, &bad)).unwrap_err();
    assert!(e.contains("state root"), "{e}");

    // A leaf changed in the store after the import: its record no longer
    // matches it.
    let d = dir.path().join("leaf-after-import");
    let imported = sero_node::snapshot::import(&d.join("chain.redb"), &good[..], |_| {}).unwrap();
    {
        let db = redb::Database::create(d.join("chain.redb")).unwrap();
        let w = db.begin_write().unwrap();
        {
            let mut t = w.open_table(sero_state::tables::LEAVES).unwrap();
            let mut l = *t.get(0).unwrap().unwrap().value();
            l[3] ^= 1;
            t.insert(0, &l).unwrap();
        }
        w.commit().unwrap();
    }
    let e = sero_node::snapshot::verify_state(&open(&d), &imported)
        .unwrap_err()
        .to_string();
    assert!(e.contains("output record 0 does not match its leaf"), "{e}");
}

#[test]
fn verify_state_accepts_the_honest_store_and_refuses_tampered_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = open(dir.path());
    let mut spend_block = None;
    for h in 1..=3 {
        let mut rng = ChaCha20Rng::seed_from_u64(h);
        let cb = key(9).payment_address().derive_pkr(&mut rng);
        // Block 2 spends a note: the state root then covers a nullifier
        // and a til.
        let txs = if h == 2 {
            vec![payment(&chain)]
        } else {
            vec![]
        };
        let b = chain.build_block(txs, &cb, h, Seal::Dev).unwrap();
        assert_eq!(b.txs.len(), usize::from(h == 2));
        chain.apply_block(&b).unwrap();
        if h == 2 {
            spend_block = Some(b);
        }
    }
    let spend_block = spend_block.unwrap();
    let nil = sero_crypto::curve::encode_base(&spend_block.txs[0].inputs[0].nil);
    let til = sero_crypto::curve::encode_base(&spend_block.txs[0].inputs[0].til);
    assert_eq!(chain.db().nullifier_height(&nil).unwrap(), Some(2));
    assert_ne!(
        spend_block.header.state_root,
        sero_node::chain::empty_state_root(),
        "the spend changed the state root"
    );
    chain.verify_state().unwrap();
    // A rollback below the spend recomputes the accumulator by a scan;
    // the spend then applies again to the same root.
    chain.rollback_to(1).unwrap();
    chain.verify_state().unwrap();
    chain.apply_block(&spend_block).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let cb = key(9).payment_address().derive_pkr(&mut rng);
    let b = chain.build_block(vec![], &cb, 3, Seal::Dev).unwrap();
    chain.apply_block(&b).unwrap();
    chain.verify_state().unwrap();
    drop(chain);
    // Reopened: the persisted accumulator is the tip's.
    open(dir.path()).verify_state().unwrap();

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
    // A spent nullifier left out (what would allow a double spend of it).
    let c = tampered(dir.path(), "nullifier-removed", |w| {
        let mut t = w.open_table(NULLIFIERS).unwrap();
        assert!(t.remove(&nil).unwrap().is_some());
    });
    expect(c, "spent set do not give the header's state root");
    // A nullifier nobody spent (would refuse an honest spend).
    let c = tampered(dir.path(), "nullifier-added", |w| {
        let mut t = w.open_table(NULLIFIERS).unwrap();
        t.insert(&[7u8; 32], 2).unwrap();
    });
    expect(c, "spent set do not give the header's state root");
    // A nullifier altered (one spent set for another of the same size).
    let c = tampered(dir.path(), "nullifier-altered", |w| {
        let mut t = w.open_table(NULLIFIERS).unwrap();
        let height = t.remove(&nil).unwrap().unwrap().value();
        let mut other = nil;
        other[0] ^= 1;
        t.insert(&other, height).unwrap();
    });
    expect(c, "spent set do not give the header's state root");
    // A til left out.
    let c = tampered(dir.path(), "til-removed", |w| {
        let mut t = w.open_table(TILS).unwrap();
        assert!(t.remove(&til).unwrap().is_some());
    });
    expect(c, "spent set do not give the header's state root");
    // The nullifier moved into the contract state under a key of its own
    // bytes: spent-set entries have a digest of their own, so no
    // contract-state entry stands in for one.
    let c = tampered(dir.path(), "nullifier-as-contract-entry", |w| {
        let mut t = w.open_table(NULLIFIERS).unwrap();
        assert!(t.remove(&nil).unwrap().is_some());
        let mut e = w.open_table(EVM_STATE).unwrap();
        let mut k = b"nf".to_vec();
        k.extend_from_slice(&nil);
        e.insert(k.as_slice(), &[][..]).unwrap();
    });
    expect(c, "spent set do not give the header's state root");
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
