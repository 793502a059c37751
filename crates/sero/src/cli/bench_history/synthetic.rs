//! Synthetic history for `sero bench history`: blocks and output records
//! written straight into the store with [`StateDb::apply_block`], with no
//! transaction, proof or validation. NOT consensus code: nothing here is
//! used by a node; it only makes a store of a given size quickly.
//!
//! Each synthetic block is an empty block header (`Block::empty`) whose
//! `leaf_count` and `note_root` are set for `per_block` plain output
//! records (1 SERO to a one-time address from a small pool, the
//! commitment random). One output in `wallet_every` goes to the
//! benchmark wallet instead, so a sync finds notes and keeps their paths.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use sero_assets::Asset;
use sero_crypto::curve::encode_base;
use sero_crypto::Base;
use sero_keys::{OneTimeAddress, PaymentAddress};
use sero_ledger::block::{Block, BlockHeader};
use sero_node::scan::OutputRecord;
use sero_state::{BlockEffects, StateDb};
use sero_tree::{cm_auth, Frontier};

/// Appends blocks of `per_block` synthetic outputs to `db` until it holds
/// at least `notes` leaves; `progress(leaves)` after each batch of blocks
/// written.
pub fn extend(
    db: &StateDb,
    notes: u64,
    per_block: u64,
    wallet: &PaymentAddress,
    wallet_every: u64,
    mut progress: impl FnMut(u64),
) -> Result<(), String> {
    let e = |x: &dyn std::fmt::Display| x.to_string();
    let (tip, _) = db.tip().map_err(|x| e(&x))?.ok_or("empty store")?;
    let stored = db
        .block_by_height(tip)
        .map_err(|x| e(&x))?
        .ok_or("no tip")?;
    let mut parent = BlockHeader::from_bytes(&stored.header).map_err(|x| e(&x))?;
    let mut frontier: Frontier = db.tree_frontier().map_err(|x| e(&x))?;
    let mut rng = ChaCha20Rng::seed_from_u64(frontier.len());
    let other = sero_keys::SecretKey::from_seed(&sero_keys::Seed::from_bytes([9; 32]));
    let pool: Vec<OneTimeAddress> = (0..16)
        .map(|_| other.payment_address().derive_pkr(&mut rng))
        .collect();
    let mine: Vec<OneTimeAddress> = (0..4).map(|_| wallet.derive_pkr(&mut rng)).collect();
    let seed = db.seed_at(tip).map_err(|x| e(&x))?.unwrap_or_default();
    let acc = db
        .state_acc(&stored.hash)
        .map_err(|x| e(&x))?
        .unwrap_or_default();
    // Blocks are made and written in batches of about `BATCH_NOTES` notes
    // (one write transaction each, the tree nodes updated once): the
    // commitments, records and block roots are hashed in parallel; only
    // the frontier appends are sequential.
    const BATCH_NOTES: u64 = 50_000;
    let batch_blocks = (BATCH_NOTES / per_block).max(1);
    while frontier.len() < notes {
        let blocks = (notes - frontier.len())
            .div_ceil(per_block)
            .min(batch_blocks);
        let first = frontier.len();
        // The outputs, in the order of the random draws of one block after
        // the other (the same store as block by block).
        let mut drawn = Vec::with_capacity((blocks * per_block) as usize);
        for i in 0..blocks * per_block {
            let pos = first + i;
            let ours = pos % wallet_every == wallet_every / 2;
            let pkr = if ours {
                mine[(pos / wallet_every) as usize % mine.len()]
            } else {
                pool[(rng.next_u64() % pool.len() as u64) as usize]
            };
            // The wallet's notes get their true commitment (a wallet checks
            // that a note it recognises opens to the served commitment);
            // the others any field element (nobody opens them).
            let cm_out = if ours {
                sero_ledger::block::plain_cm_out(&sero_ledger::PlainOutput {
                    pkr,
                    asset: Asset::sero(1),
                    memo_hash: Base::from(0u64),
                })
                .map_err(|x| e(&x))?
            } else {
                Base::from(rng.next_u64()) * Base::from(rng.next_u64())
            };
            drawn.push((pos, pkr, cm_out));
        }
        let made: Vec<(Base, Vec<u8>)> = drawn
            .par_iter()
            .map(|(pos, pkr, cm_out)| {
                let r = OutputRecord::Plain {
                    pkr: *pkr,
                    cm_out: *cm_out,
                    asset: Asset::sero(1),
                    memo_hash: Base::from(0u64),
                };
                (cm_auth(*pos, *cm_out), r.to_bytes())
            })
            .collect();
        // The frontier after each block, then each block's root.
        let mut ends = Vec::with_capacity(blocks as usize);
        for (i, (leaf, _)) in made.iter().enumerate() {
            frontier.append(*leaf).map_err(|x| e(&x))?;
            if (i as u64 + 1).is_multiple_of(per_block) {
                ends.push(frontier.clone());
            }
        }
        let roots: Vec<(u64, Base)> = ends.par_iter().map(|f| (f.len(), f.root())).collect();
        let mut made = made.into_iter();
        let mut effects = Vec::with_capacity(blocks as usize);
        for (leaf_count, note_root) in roots {
            let height = parent.height + 1;
            let (leaves, outputs): (Vec<[u8; 32]>, Vec<Vec<u8>>) = made
                .by_ref()
                .take(per_block as usize)
                .map(|(l, o)| (encode_base(&l), o))
                .unzip();
            let mut block = Block::empty(height, &parent);
            block.header.leaf_count = leaf_count;
            block.header.note_root = note_root;
            effects.push(BlockEffects {
                height,
                hash: block.hash(),
                parent: parent.hash(),
                header: block.header.to_bytes(),
                body: block.body_bytes(),
                note_root: encode_base(&note_root),
                leaves,
                outputs,
                seed,
                state_acc: acc.clone(),
                ..Default::default()
            });
            parent = block.header;
        }
        db.apply_blocks(&effects).map_err(|x| e(&x))?;
        progress(frontier.len());
    }
    Ok(())
}
