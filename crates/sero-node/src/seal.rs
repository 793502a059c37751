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

use crate::chain::Chain;
use sero_consensus::ba::{BaParams, ValidatorSet, VotePublicKey};
use sero_consensus::{
    round_seed, seed_alpha, verify_selection, vrf, SortitionParams, Step, VrfPublicKey,
};
use sero_ledger::block::{Block, Seal};
use sero_ledger::license::{check_proposer_license, LicenseConfig};
use std::sync::Arc;
use thiserror::Error;

/// Why a seal is refused.
#[derive(Debug, Error)]
pub enum SealError {
    #[error("an empty block must equal the round's deterministic empty block")]
    NotEmpty,
    #[error("a genesis or dev seal after genesis")]
    Kind,
    #[error("the proposer is not a registered validator")]
    UnknownProposer,
    #[error("bad proposer credential: {0}")]
    Credential(String),
    #[error("bad seed proof: {0}")]
    SeedProof(String),
    #[error("bad proposer signature")]
    Signature,
    #[error("licence: {0}")]
    License(String),
    #[error("chain: {0}")]
    Chain(String),
}

/// The validator set for the round after the chain's tip.
pub fn validator_set(chain: &Chain) -> Result<Arc<ValidatorSet>, SealError> {
    let vals = chain
        .validators()
        .map_err(|e| SealError::Chain(e.to_string()))?;
    let mut out = vec![];
    for v in vals {
        let vote_key =
            VotePublicKey::from_bytes(&v.vote_key).map_err(|e| SealError::Chain(e.to_string()))?;
        let vrf_key =
            VrfPublicKey::from_bytes(&v.vrf_key).map_err(|e| SealError::Chain(e.to_string()))?;
        out.push(sero_consensus::ba::Validator {
            vote_key,
            vrf_key,
            stake: v.stake,
        });
    }
    Ok(Arc::new(
        ValidatorSet::new(out).map_err(|e| SealError::Chain(e.to_string()))?,
    ))
}

/// Checks `block`'s seal as the next block of `chain` and returns its round
/// seed.
pub fn verify_seal(
    chain: &Chain,
    validators: &ValidatorSet,
    params: &BaParams,
    license: Option<&LicenseConfig>,
    block: &Block,
) -> Result<[u8; 32], SealError> {
    let (tip, _) = chain.tip();
    let h = block.header.height;
    let prev_seed = chain
        .seed(tip)
        .map_err(|e| SealError::Chain(e.to_string()))?
        .ok_or_else(|| SealError::Chain("no seed stored for the tip".into()))?;
    match &block.header.seal {
        Seal::Empty => {
            let parent = chain
                .header(tip)
                .map_err(|e| SealError::Chain(e.to_string()))?
                .ok_or_else(|| SealError::Chain("missing tip header".into()))?;
            if *block != Block::empty(h, &parent) {
                return Err(SealError::NotEmpty);
            }
            Ok(round_seed(&prev_seed, None, h))
        }
        Seal::Proposed(s) => {
            let vote_key =
                VotePublicKey::from_bytes(&s.proposer).map_err(|_| SealError::UnknownProposer)?;
            let v = validators
                .get(&vote_key)
                .ok_or(SealError::UnknownProposer)?;
            let sp = SortitionParams {
                stake: v.stake,
                total: validators.total(),
                tau: params.tau_proposer,
            };
            verify_selection(
                &v.vrf_key,
                &prev_seed,
                h,
                Step::Proposer,
                &sp,
                &s.credential,
            )
            .map_err(|e| SealError::Credential(e.to_string()))?;
            let beta = vrf::verify(&v.vrf_key, &seed_alpha(&prev_seed, h), &s.seed_proof)
                .map_err(|e| SealError::SeedProof(e.to_string()))?;
            if !vote_key.verify(&block.header.signing_hash(), &s.signature) {
                return Err(SealError::Signature);
            }
            if let Some(cfg) = license {
                check_proposer_license(cfg, h, &s.proposer, s.license.as_ref())
                    .map_err(|e| SealError::License(e.to_string()))?;
            }
            Ok(round_seed(&prev_seed, Some(&beta), h))
        }
        _ => Err(SealError::Kind),
    }
}
