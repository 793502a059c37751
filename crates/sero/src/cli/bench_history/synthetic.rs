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
//!
//! Round seeds are chained as for empty blocks, and every checkpoint
//! height gets a complete finality checkpoint certificate signed by the
//! benchmark's validators ([`Signers`]), the block being made final: a
//! snapshot of the store then verifies from the genesis through the
//! checkpoints (`sero_node::snapshot::verify_headers`), as a real chain's
//! would. The headers' seals are not valid (an empty seal over a block
//! with notes), so a snapshot must end on a checkpoint
//! ([`pad_to_checkpoint`]).

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use sero_assets::Asset;
use sero_consensus::ba::ValidatorKeys;
use sero_consensus::checkpoint::{is_checkpoint, CheckpointCertificate, CheckpointVote};
use sero_consensus::round_seed;
use sero_crypto::curve::encode_base;
use sero_crypto::Base;
use sero_keys::{OneTimeAddress, PaymentAddress};
use sero_ledger::block::{Block, BlockHeader};
use sero_node::scan::OutputRecord;
use sero_state::{BlockEffects, StateDb};
use sero_tree::{cm_auth, Frontier};

/// The validators that sign the synthetic checkpoints (all of the
/// genesis's), every `interval` blocks.
pub struct Signers<'a> {
    pub keys: &'a [ValidatorKeys],
    pub interval: u64,
}

impl Signers<'_> {
    /// After block `height`: at a checkpoint height, makes it final and
    /// stores the certificate every validator signs.
    fn after(
        &self,
        db: &StateDb,
        height: u64,
        hash: [u8; 32],
        seed: [u8; 32],
    ) -> Result<(), String> {
        if !is_checkpoint(height, self.interval) {
            return Ok(());
        }
        let e = |x: &dyn std::fmt::Display| x.to_string();
        db.set_finalized(height).map_err(|x| e(&x))?;
        let mut c = CheckpointCertificate::new(height, hash, seed);
        for k in self.keys {
            c.add(&CheckpointVote::sign(&k.vote, height, hash, seed));
        }
        db.put_checkpoint(height, &c.to_bytes()).map_err(|x| e(&x))
    }
}

/// Writes `effects` (consecutive blocks) in as few durable writes as the
/// checkpoints allow: each checkpoint block ends a write, then is made
/// final and signed.
fn write(db: &StateDb, effects: &[BlockEffects], signers: &Signers) -> Result<(), String> {
    let e = |x: &dyn std::fmt::Display| x.to_string();
    let mut from = 0;
    for (i, b) in effects.iter().enumerate() {
        if is_checkpoint(b.height, signers.interval) {
            db.apply_blocks(&effects[from..=i]).map_err(|x| e(&x))?;
            signers.after(db, b.height, b.hash, b.seed)?;
            from = i + 1;
        }
    }
    if from < effects.len() {
        db.apply_blocks(&effects[from..]).map_err(|x| e(&x))?;
    }
    Ok(())
}

/// The tip's header, hash and round seed.
fn tip(db: &StateDb) -> Result<(BlockHeader, [u8; 32], [u8; 32]), String> {
    let e = |x: &dyn std::fmt::Display| x.to_string();
    let (tip, _) = db.tip().map_err(|x| e(&x))?.ok_or("empty store")?;
    let stored = db
        .block_by_height(tip)
        .map_err(|x| e(&x))?
        .ok_or("no tip")?;
    let header = BlockHeader::from_bytes(&stored.header).map_err(|x| e(&x))?;
    let seed = db.seed_at(tip).map_err(|x| e(&x))?.unwrap_or_default();
    Ok((header, stored.hash, seed))
}

/// The synthetic block after `parent` with the leaves and outputs given:
/// an empty block's header with the note root and leaf count set, the
/// round seed chained as an empty block's.
fn block(
    parent: &BlockHeader,
    prev_seed: &[u8; 32],
    leaf_count: u64,
    note_root: Base,
    leaves: Vec<[u8; 32]>,
    outputs: Vec<Vec<u8>>,
    acc: &[u8],
) -> (BlockEffects, BlockHeader) {
    let height = parent.height + 1;
    let mut block = Block::empty(height, parent);
    block.header.leaf_count = leaf_count;
    block.header.note_root = note_root;
    let effects = BlockEffects {
        height,
        hash: block.hash(),
        parent: parent.hash(),
        header: block.header.to_bytes(),
        body: block.body_bytes(),
        note_root: encode_base(&note_root),
        leaves,
        outputs,
        seed: round_seed(prev_seed, None, height),
        state_acc: acc.to_vec(),
        ..Default::default()
    };
    (effects, block.header)
}

/// Appends blocks without outputs until the tip is a checkpoint height.
pub fn pad_to_checkpoint(db: &StateDb, signers: &Signers) -> Result<(), String> {
    let e = |x: &dyn std::fmt::Display| x.to_string();
    let (mut parent, hash, mut seed) = tip(db)?;
    let acc = db.state_acc(&hash).map_err(|x| e(&x))?.unwrap_or_default();
    let mut effects = vec![];
    while !is_checkpoint(parent.height, signers.interval) {
        let (b, h) = block(
            &parent,
            &seed,
            parent.leaf_count,
            parent.note_root,
            vec![],
            vec![],
            &acc,
        );
        seed = b.seed;
        parent = h;
        effects.push(b);
    }
    write(db, &effects, signers)
}

/// Appends blocks of `per_block` synthetic outputs to `db` until it holds
/// at least `notes` leaves; `progress(leaves)` after each batch of blocks
/// written.
pub fn extend(
    db: &StateDb,
    notes: u64,
    per_block: u64,
    wallet: &PaymentAddress,
    wallet_every: u64,
    signers: &Signers,
    mut progress: impl FnMut(u64),
) -> Result<(), String> {
    let e = |x: &dyn std::fmt::Display| x.to_string();
    let (mut parent, hash, mut seed) = tip(db)?;
    let mut frontier: Frontier = db.tree_frontier().map_err(|x| e(&x))?;
    let mut rng = ChaCha20Rng::seed_from_u64(frontier.len());
    let other = sero_keys::SecretKey::from_seed(&sero_keys::Seed::from_bytes([9; 32]));
    let pool: Vec<OneTimeAddress> = (0..16)
        .map(|_| other.payment_address().derive_pkr(&mut rng))
        .collect();
    let mine: Vec<OneTimeAddress> = (0..4).map(|_| wallet.derive_pkr(&mut rng)).collect();
    let acc = db.state_acc(&hash).map_err(|x| e(&x))?.unwrap_or_default();
    // Blocks are made and written in batches of about `BATCH_NOTES` notes
    // (one write transaction each, split at checkpoints; the tree nodes
    // updated once): the commitments, records and block roots are hashed
    // in parallel; only the frontier appends are sequential.
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
            let (leaves, outputs): (Vec<[u8; 32]>, Vec<Vec<u8>>) = made
                .by_ref()
                .take(per_block as usize)
                .map(|(l, o)| (encode_base(&l), o))
                .unzip();
            let (b, h) = block(&parent, &seed, leaf_count, note_root, leaves, outputs, &acc);
            seed = b.seed;
            parent = h;
            effects.push(b);
        }
        write(db, &effects, signers)?;
        progress(frontier.len());
    }
    Ok(())
}
