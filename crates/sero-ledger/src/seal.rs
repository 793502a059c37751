//! The consensus rules of a block header's seal, pure (no chain state):
//! the node calls [`check_seal`] for proposals and synced blocks
//! (`sero_node::seal::verify_seal` supplies the tip's header, seed and
//! validator set), and a light client calls it for every header it
//! verifies ([`crate::light::HeaderVerifier`]) — one function for both.
//!
//! * **Empty**: the header equals [`Block::empty`]'s header of its round
//!   (same notes, time, roots and validators hash as the parent); the node
//!   checks in addition that the body is empty.
//! * **Proposed**: the proposer is a validator of the round (the weights of
//!   round `h` are the registry after block `h − 1`); its proposer
//!   credential is a valid sortition proof for `(seed_{h−1}, h, Proposer)`
//!   with `j ≥ 1`; its seed proof is a valid VRF proof on
//!   `seed_alpha(seed_{h−1}, h)`, whose output chains the next seed; the
//!   ed25519 signature of its vote key covers the header's signing hash;
//!   and, while the genesis requires it, a licence from the issuer.
//! * Genesis and dev seals are refused after block 0.
//!
//! The result is the block's round seed `seed_h`.

use crate::block::{Block, BlockHeader, Seal};
use crate::license::{check_proposer_license, LicenseConfig};
use sero_consensus::ba::{BaParams, ValidatorSet, VotePublicKey};
use sero_consensus::{round_seed, seed_alpha, verify_selection, vrf, SortitionParams, Step};
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

/// Checks `header`'s seal as the child of `parent` (whose round seed is
/// `prev_seed`), with the round's `validators`, and returns its round seed.
pub fn check_seal(
    parent: &BlockHeader,
    prev_seed: &[u8; 32],
    validators: &ValidatorSet,
    params: &BaParams,
    license: Option<&LicenseConfig>,
    header: &BlockHeader,
) -> Result<[u8; 32], SealError> {
    let h = header.height;
    match &header.seal {
        Seal::Empty => {
            if *header != Block::empty(h, parent).header {
                return Err(SealError::NotEmpty);
            }
            Ok(round_seed(prev_seed, None, h))
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
            verify_selection(&v.vrf_key, prev_seed, h, Step::Proposer, &sp, &s.credential)
                .map_err(|e| SealError::Credential(e.to_string()))?;
            let beta = vrf::verify(&v.vrf_key, &seed_alpha(prev_seed, h), &s.seed_proof)
                .map_err(|e| SealError::SeedProof(e.to_string()))?;
            if !vote_key.verify(&header.signing_hash(), &s.signature) {
                return Err(SealError::Signature);
            }
            if let Some(cfg) = license {
                check_proposer_license(cfg, h, &s.proposer, s.license.as_ref())
                    .map_err(|e| SealError::License(e.to_string()))?;
            }
            Ok(round_seed(prev_seed, Some(&beta), h))
        }
        _ => Err(SealError::Kind),
    }
}
