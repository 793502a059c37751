//! The consensus rules of a block's seal (checked before the chain's ledger
//! rules, for proposals and for synced blocks alike):
//!
//! * **Empty**: the block equals [`Block::empty`] of its round: same notes,
//!   time and root as the parent, nothing minted.
//! * **Proposed**: the proposer is a registered validator at the parent
//!   (the weights of round `h` are the registry after block `h − 1`); its
//!   proposer credential is a valid sortition proof for `(seed_{h−1}, h,
//!   Proposer)` with `j ≥ 1`; its seed proof is a valid VRF proof on
//!   `seed_alpha(seed_{h−1}, h)`, whose output chains the next seed; the
//!   ed25519 signature of its vote key covers the header's signing hash;
//!   and, while the genesis requires it, a licence from the issuer.
//!
//! The result is the block's round seed `seed_h`, stored with the block.
//! The rules themselves are pure and shared with light clients
//! ([`sero_ledger::seal::check_seal`]); this module feeds them the chain's
//! tip.

use crate::chain::Chain;
use sero_consensus::ba::{BaParams, ValidatorSet};
use sero_ledger::block::{Block, Seal};
use sero_ledger::license::LicenseConfig;
pub use sero_ledger::seal::{check_seal, SealError};
use std::sync::Arc;

/// The validator set for the round after the chain's tip.
pub fn validator_set(chain: &Chain) -> Result<Arc<ValidatorSet>, SealError> {
    let vals = chain
        .validators()
        .map_err(|e| SealError::Chain(e.to_string()))?;
    crate::checkpoint::set_of(&vals)
        .map(Arc::new)
        .map_err(SealError::Chain)
}

/// Checks `block`'s seal as the next block of `chain` and returns its round
/// seed: [`check_seal`] (the rules a light client checks too) against the
/// tip's header and seed, and for an empty block an empty body.
pub fn verify_seal(
    chain: &Chain,
    validators: &ValidatorSet,
    params: &BaParams,
    license: Option<&LicenseConfig>,
    block: &Block,
) -> Result<[u8; 32], SealError> {
    let (tip, _) = chain.tip();
    let prev_seed = chain
        .seed(tip)
        .map_err(|e| SealError::Chain(e.to_string()))?
        .ok_or_else(|| SealError::Chain("no seed stored for the tip".into()))?;
    let parent = chain
        .header(tip)
        .map_err(|e| SealError::Chain(e.to_string()))?
        .ok_or_else(|| SealError::Chain("missing tip header".into()))?;
    if block.header.seal == Seal::Empty && (!block.coinbase.is_empty() || !block.txs.is_empty()) {
        return Err(SealError::NotEmpty);
    }
    check_seal(
        &parent,
        &prev_seed,
        validators,
        params,
        license,
        &block.header,
    )
}
