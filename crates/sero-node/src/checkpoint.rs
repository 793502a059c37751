//! Finality checkpoints on a node (`docs/protocol.md` §18.9; the message
//! and the certificate are `sero_consensus::checkpoint`).
//!
//! * A validator signs checkpoint `c` once block `c` is final, iff its
//!   vote key is in the signing set (the registry's set after block
//!   `c − K`), and gossips the vote on the vote topic ([`sign`]).
//! * A node records every valid vote for a final checkpoint of its own
//!   chain into the certificate stored for `c` ([`check_vote`],
//!   [`record`]); a vote for a height it has not finalised yet waits.
//! * A joining node checks a snapshot's header chain with the stored
//!   certificates ([`crate::snapshot::verify_headers`]).

use sero_chain::chain::Chain;
use sero_chain::registry::GenesisValidator;
use sero_consensus::ba::{Validator, ValidatorKeys, ValidatorSet, VotePublicKey};
use sero_consensus::checkpoint::{
    is_checkpoint, CheckpointCertificate, CheckpointError, CheckpointVote,
};
use sero_consensus::VrfPublicKey;

/// Why a checkpoint vote is not recorded.
#[derive(Debug, thiserror::Error)]
pub enum VoteError {
    /// Forged, outside the signing set, not a checkpoint height: the
    /// relaying peer is to blame.
    #[error("invalid checkpoint vote: {0}")]
    Invalid(CheckpointError),
    /// For a block not final here yet (a valid signature of a member of
    /// the signing set, for the next checkpoint): keep it for later.
    #[error("checkpoint {0} is not final here yet")]
    NotYet(u64),
    /// For a checkpoint beyond the next one: this node is behind and cannot
    /// check the signer yet; not recorded, nobody blamed.
    #[error("checkpoint {0} is beyond this node's next checkpoint")]
    TooFar(u64),
    /// For another block than ours at a final height (another fork, or a
    /// stale chain here): not recorded, nobody blamed.
    #[error("checkpoint vote for another block at {0}")]
    OtherBlock(u64),
    /// The store failed.
    #[error("{0}")]
    Store(String),
}

fn store(e: impl std::fmt::Display) -> VoteError {
    VoteError::Store(e.to_string())
}

/// The validators as a set (the registry's records are valid keys; a
/// record that is not is a store error).
pub fn set_of(vals: &[GenesisValidator]) -> Result<ValidatorSet, String> {
    let mut out = Vec::with_capacity(vals.len());
    for v in vals {
        out.push(Validator {
            vote_key: VotePublicKey::from_bytes(&v.vote_key).map_err(|e| e.to_string())?,
            vrf_key: VrfPublicKey::from_bytes(&v.vrf_key).map_err(|e| e.to_string())?,
            stake: v.stake,
        });
    }
    ValidatorSet::new(out).map_err(|e| e.to_string())
}

/// The set that signs checkpoint `c` with interval `k`: the validators
/// after block `c − k` (`c` a checkpoint height).
pub fn signing_set(chain: &Chain, c: u64, k: u64) -> Result<ValidatorSet, String> {
    let vals = chain
        .registry()
        .validators_at(c - k)
        .map_err(|e| e.to_string())?;
    set_of(&vals)
}

/// A block hash and its round seed.
pub type BlockAndSeed = ([u8; 32], [u8; 32]);

/// The block hash and round seed stored for `h`.
pub fn block_and_seed(chain: &Chain, h: u64) -> Result<Option<BlockAndSeed>, String> {
    let db = chain.db();
    let hash = db.hash_at(h).map_err(|e| e.to_string())?;
    let seed = db.seed_at(h).map_err(|e| e.to_string())?;
    Ok(hash.zip(seed))
}

/// Checks a gossiped vote against this node's chain: a checkpoint height,
/// by a member of the signing set, with a valid signature, then final
/// here and for our block and seed. The signer and the signature are
/// checked first, so only a validator's own vote can wait for its block
/// ([`VoteError::NotYet`], at most the next checkpoint).
pub fn check_vote(chain: &Chain, k: u64, v: &CheckpointVote) -> Result<(), VoteError> {
    if !is_checkpoint(v.height, k) {
        return Err(VoteError::Invalid(CheckpointError::NotCheckpoint(v.height)));
    }
    let finalized = chain.db().finalized_height().map_err(store)?;
    if v.height - k > finalized {
        return Err(VoteError::TooFar(v.height));
    }
    let set = signing_set(chain, v.height, k).map_err(store)?;
    if set.get(&v.voter).is_none() {
        return Err(VoteError::Invalid(CheckpointError::UnknownSigner));
    }
    if !v.signature_ok() {
        return Err(VoteError::Invalid(CheckpointError::BadSignature));
    }
    if v.height > finalized {
        return Err(VoteError::NotYet(v.height));
    }
    match block_and_seed(chain, v.height).map_err(store)? {
        Some((hash, seed)) if hash == v.block_hash && seed == v.seed => Ok(()),
        _ => Err(VoteError::OtherBlock(v.height)),
    }
}

/// Adds a checked vote to the certificate stored for its height; `false`
/// when its signer was already there.
pub fn record(chain: &Chain, v: &CheckpointVote) -> Result<bool, VoteError> {
    let db = chain.db();
    let mut cert = match db.checkpoint(v.height).map_err(store)? {
        Some(b) => match CheckpointCertificate::from_bytes(&b) {
            Ok(c) if c.block_hash == v.block_hash && c.seed == v.seed => c,
            // Unreadable or for another block (cannot happen for a final
            // block): start over with this vote.
            _ => CheckpointCertificate::new(v.height, v.block_hash, v.seed),
        },
        None => CheckpointCertificate::new(v.height, v.block_hash, v.seed),
    };
    if !cert.add(v) {
        return Ok(false);
    }
    db.put_checkpoint(v.height, &cert.to_bytes())
        .map_err(store)?;
    Ok(true)
}

/// This validator's vote for checkpoint `c` (final here), if its key is in
/// the signing set; the vote is recorded before it is returned for
/// gossip.
pub fn sign(
    chain: &Chain,
    k: u64,
    keys: &ValidatorKeys,
    c: u64,
) -> Result<Option<CheckpointVote>, VoteError> {
    let set = signing_set(chain, c, k).map_err(store)?;
    if set.get(&keys.vote_public()).is_none() {
        return Ok(None);
    }
    let Some((hash, seed)) = block_and_seed(chain, c).map_err(store)? else {
        return Ok(None);
    };
    let v = CheckpointVote::sign(&keys.vote, c, hash, seed);
    record(chain, &v)?;
    Ok(Some(v))
}
