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

/// Appends blocks without outputs until the tip is a checkpoint height.
pub fn pad_to_checkpoint(
    db: &StateDb,
    wallet: &PaymentAddress,
    signers: &Signers,
) -> Result<(), String> {
    let e = |x: &dyn std::fmt::Display| x.to_string();
    loop {
        let (tip, _) = db.tip().map_err(|x| e(&x))?.ok_or("empty store")?;
        if is_checkpoint(tip, signers.interval) {
            return Ok(());
        }
        let leaves = db.leaf_count().map_err(|x| e(&x))?;
        extend_blocks(db, leaves, 0, 1, wallet, 10_000, signers, |_| {})?;
    }
}

/// Appends blocks of `per_block` synthetic outputs to `db` until it holds
/// at least `notes` leaves; `progress(leaves)` after each block.
#[allow(clippy::too_many_arguments)]
pub fn extend(
    db: &StateDb,
    notes: u64,
    per_block: u64,
    wallet: &PaymentAddress,
    wallet_every: u64,
    signers: &Signers,
    progress: impl FnMut(u64),
) -> Result<(), String> {
    extend_blocks(db, notes, per_block, u64::MAX, wallet, wallet_every, signers, progress)
}

/// [`extend`], stopping also after `max_blocks` blocks.
#[allow(clippy::too_many_arguments)]
fn extend_blocks(
    db: &StateDb,
    notes: u64,
    per_block: u64,
    max_blocks: u64,
    wallet: &PaymentAddress,
    wallet_every: u64,
    signers: &Signers,
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
    let mut seed = db.seed_at(tip).map_err(|x| e(&x))?.unwrap_or_default();
    let mut made = 0u64;
    let mut batch: Vec<BlockEffects> = Vec::new();
    let acc = db
        .state_acc(&stored.hash)
        .map_err(|x| e(&x))?
        .unwrap_or_default();
    while (frontier.len() < notes || made == 0 && per_block == 0) && made < max_blocks {
        made += 1;
        let height = parent.height + 1;
        seed = round_seed(&seed, None, height);
        let mut leaves = Vec::with_capacity(per_block as usize);
        let mut outputs = Vec::with_capacity(per_block as usize);
        for _ in 0..per_block {
            let pos = frontier.len();
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
            let r = OutputRecord::Plain {
                pkr,
                cm_out,
                asset: Asset::sero(1),
                memo_hash: Base::from(0u64),
            };
            let leaf = cm_auth(pos, cm_out);
            frontier.append(leaf).map_err(|x| e(&x))?;
            leaves.push(encode_base(&leaf));
            outputs.push(r.to_bytes());
        }
        let mut block = Block::empty(height, &parent);
        block.header.leaf_count = frontier.len();
        block.header.note_root = frontier.root();
        let effects = BlockEffects {
            height,
            hash: block.hash(),
            parent: parent.hash(),
            header: block.header.to_bytes(),
            body: block.body_bytes(),
            note_root: encode_base(&block.header.note_root),
            leaves,
            outputs,
            seed,
            state_acc: acc.clone(),
            ..Default::default()
        };
        let hash = effects.hash;
        batch.push(effects);
        parent = block.header;
        // Up to 512 blocks per durable write; a checkpoint is signed once
        // its block is stored.
        let done = !((frontier.len() < notes || per_block == 0) && made < max_blocks);
        let checkpoint = is_checkpoint(height, signers.interval);
        if checkpoint || done || batch.len() >= 512 {
            db.apply_blocks(&batch).map_err(|x| e(&x))?;
            batch.clear();
            progress(frontier.len());
        }
        if checkpoint {
            signers.after(db, height, hash, seed)?;
        }
    }
    if !batch.is_empty() {
        db.apply_blocks(&batch).map_err(|x| e(&x))?;
    }
    Ok(())
}
