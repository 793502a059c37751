//! The light client's header verifier: what a wallet that holds no chain
//! state checks before it believes anything an untrusted node tells it
//! (`docs/protocol.md` §18.5). Pure: no IO, no clocks.
//!
//! Trust starts at the genesis, which the wallet gets out of band (the
//! network's genesis file: it computes the genesis header, the round seed
//! `seed_0`, the validator set, the BA★ parameters and the licence rule
//! itself). From there [`HeaderVerifier::verify_next`] takes each later
//! header in order with its BA★ certificate and checks:
//!
//! 1. the height is the last verified one plus one, the parent hash is the
//!    last verified header's hash, the time does not go back;
//! 2. the seal ([`check_seal`], the same function the node runs): the
//!    proposer's credential and seed proof against the chained round seed,
//!    its signature, the licence — or the canonical empty block;
//! 3. the certificate: for this round and this header's hash, every vote
//!    valid for the round's validator set and seed, distinct voters, weight
//!    over the threshold of a Final (or a deciding Tentative) step
//!    ([`verify_certificate`]);
//! 4. the validator set of the next round: unchanged while the header's
//!    `validators_hash` equals the current set's hash; otherwise the node
//!    must supply the new set, and its hash must be the header's. A set
//!    whose hash is not the header's is refused even when the hash did not
//!    change, so a node cannot invent stake changes.
//!
//! A Final certificate at height `h` makes every header up to `h` final
//! ([`LightState::finalized`]); a Tentative one proves agreement but could
//! still lose to a fork, so a wallet commits only to final headers.
//! The header then vouches for the block's `note_root`, `leaf_count`,
//! `state_root` and `tx_root`: a node can withhold blocks, not invent them.

use crate::block::{validators_hash, BlockHeader, Seal};
use crate::license::LicenseConfig;
use crate::seal::{check_seal, SealError};
use sero_consensus::ba::{
    verify_certificate, BaParams, Certificate, DecisionKind, MessageError, RoundContext, Validator,
    ValidatorSet, VotePublicKey,
};
use sero_consensus::VrfPublicKey;
use std::sync::Arc;
use thiserror::Error;

/// A validator as a header commits to it: (vote key, VRF key, stake).
pub type ValidatorEntry = ([u8; 32], [u8; 32], u64);

/// Why a header (or the data that came with it) is refused.
#[derive(Debug, Error)]
pub enum LightError {
    #[error("expected header {expected}, got {got}")]
    Height { expected: u64, got: u64 },
    #[error("header {0} does not extend the verified chain (parent hash differs)")]
    Parent(u64),
    #[error("header {0}: time before its parent's")]
    Time(u64),
    #[error("header {0}: the genesis is not the trusted one: {1}")]
    Genesis(u64, String),
    #[error("header {0}: no validators (a dev chain has no certificates to verify)")]
    NoValidators(u64),
    #[error("header {0}: bad seal: {1}")]
    Seal(u64, SealError),
    #[error("header {0}: the certificate is for another block or round")]
    CertificateForAnotherBlock(u64),
    #[error("header {0}: bad certificate: {1}")]
    Certificate(u64, MessageError),
    #[error("header {0}: its validators hash changed but no validator set came with it")]
    MissingValidatorSet(u64),
    #[error("header {0}: the validator set does not match the header's validators hash")]
    ValidatorSetMismatch(u64),
    #[error("header {0}: invalid validator set: {1}")]
    BadValidatorSet(u64, String),
    #[error("malformed light-client state: {0}")]
    State(String),
}

/// What a light client knows after verifying up to a header: that header,
/// its round seed, the validator set of the next round (committed by the
/// header's `validators_hash`) and the highest final height.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LightState {
    pub header: BlockHeader,
    /// `header.hash()`.
    pub hash: [u8; 32],
    /// The round seed of `header`'s round (`seed_h`).
    pub seed: [u8; 32],
    /// The validators of round `header.height + 1`, sorted by vote key.
    pub validators: Vec<ValidatorEntry>,
    /// Every header up to this height is final (a Final certificate at it
    /// or above it in the verified chain; 0: only the genesis).
    pub finalized: u64,
}

impl LightState {
    /// `u32 len ‖ header ‖ seed (32) ‖ u64 finalized ‖ u32 n ‖ n × (vote
    /// (32) ‖ vrf (32) ‖ u64 stake)`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let h = self.header.to_bytes();
        let mut b = Vec::with_capacity(4 + h.len() + 44 + self.validators.len() * 72);
        b.extend_from_slice(&(h.len() as u32).to_le_bytes());
        b.extend_from_slice(&h);
        b.extend_from_slice(&self.seed);
        b.extend_from_slice(&self.finalized.to_le_bytes());
        b.extend_from_slice(&(self.validators.len() as u32).to_le_bytes());
        for (vote, vrf, stake) in &self.validators {
            b.extend_from_slice(vote);
            b.extend_from_slice(vrf);
            b.extend_from_slice(&stake.to_le_bytes());
        }
        b
    }

    /// Decodes [`to_bytes`](Self::to_bytes) strictly.
    pub fn from_bytes(b: &[u8]) -> Result<Self, LightError> {
        let bad = |w: &str| LightError::State(w.to_string());
        let mut pos = 0usize;
        let mut take = |n: usize| -> Result<&[u8], LightError> {
            let end = pos.checked_add(n).filter(|&e| e <= b.len());
            let end = end.ok_or_else(|| bad("truncated"))?;
            let s = &b[pos..end];
            pos = end;
            Ok(s)
        };
        let u32_ = |s: &[u8]| u32::from_le_bytes(s.try_into().expect("4")) as usize;
        let u64_ = |s: &[u8]| u64::from_le_bytes(s.try_into().expect("8"));
        let hl = u32_(take(4)?);
        let header = BlockHeader::from_bytes(take(hl)?).map_err(|e| bad(&e.to_string()))?;
        let seed: [u8; 32] = take(32)?.try_into().expect("32");
        let finalized = u64_(take(8)?);
        let n = u32_(take(4)?);
        if n > 1 << 20 {
            return Err(bad("too many validators"));
        }
        let mut validators = Vec::with_capacity(n);
        for _ in 0..n {
            let vote: [u8; 32] = take(32)?.try_into().expect("32");
            let vrf: [u8; 32] = take(32)?.try_into().expect("32");
            validators.push((vote, vrf, u64_(take(8)?)));
        }
        if pos != b.len() {
            return Err(bad("trailing bytes"));
        }
        if validators_hash(&validators) != header.validators_hash {
            return Err(bad("the validators do not match the header"));
        }
        Ok(LightState {
            hash: header.hash(),
            header,
            seed,
            validators,
            finalized,
        })
    }
}

/// Checks headers one after another from a trusted start (module docs).
#[derive(Clone, Debug)]
pub struct HeaderVerifier {
    params: BaParams,
    license: Option<LicenseConfig>,
    state: LightState,
    /// `state.validators` as a set (`None` when empty: a dev chain).
    set: Option<Arc<ValidatorSet>>,
}

fn to_set(h: u64, entries: &[ValidatorEntry]) -> Result<Option<Arc<ValidatorSet>>, LightError> {
    if entries.is_empty() {
        return Ok(None);
    }
    let bad = |e: String| LightError::BadValidatorSet(h, e);
    let mut vs = Vec::with_capacity(entries.len());
    for (vote, vrf, stake) in entries {
        vs.push(Validator {
            vote_key: VotePublicKey::from_bytes(vote).map_err(|e| bad(e.to_string()))?,
            vrf_key: VrfPublicKey::from_bytes(vrf).map_err(|e| bad(e.to_string()))?,
            stake: *stake,
        });
    }
    Ok(Some(Arc::new(
        ValidatorSet::new(vs).map_err(|e| bad(e.to_string()))?,
    )))
}

fn sorted(entries: &[ValidatorEntry]) -> Vec<ValidatorEntry> {
    let mut v = entries.to_vec();
    v.sort_by_key(|e| e.0);
    v
}

impl HeaderVerifier {
    /// Starts from the trusted genesis: its header (height 0, a genesis
    /// seal), its round seed `seed_0` and validators (which must match the
    /// header's `validators_hash`), the network's BA★ parameters and
    /// licence rule. An empty validator set is a dev chain: nothing after
    /// the genesis can be verified.
    pub fn from_genesis(
        genesis: BlockHeader,
        seed0: [u8; 32],
        validators: &[ValidatorEntry],
        params: BaParams,
        license: Option<LicenseConfig>,
    ) -> Result<Self, LightError> {
        if genesis.height != 0 || !matches!(genesis.seal, Seal::Genesis { .. }) {
            return Err(LightError::Genesis(
                genesis.height,
                "not a genesis header".into(),
            ));
        }
        if validators_hash(validators) != genesis.validators_hash {
            return Err(LightError::ValidatorSetMismatch(0));
        }
        let state = LightState {
            hash: genesis.hash(),
            header: genesis,
            seed: seed0,
            validators: sorted(validators),
            finalized: 0,
        };
        Self::resume(state, params, license)
    }

    /// Continues from a state saved earlier ([`LightState::from_bytes`]
    /// checks it against its header).
    pub fn resume(
        state: LightState,
        params: BaParams,
        license: Option<LicenseConfig>,
    ) -> Result<Self, LightError> {
        let set = to_set(state.header.height, &state.validators)?;
        Ok(HeaderVerifier {
            params,
            license,
            state,
            set,
        })
    }

    /// The verified state.
    pub fn state(&self) -> &LightState {
        &self.state
    }

    /// The validator set of the round after the verified header
    /// (`state().validators`, checked against its `validators_hash`);
    /// `None` on a dev chain.
    pub fn next_validators(&self) -> Option<&Arc<ValidatorSet>> {
        self.set.as_ref()
    }

    /// The last verified height.
    pub fn height(&self) -> u64 {
        self.state.header.height
    }

    /// Verifies `header` as the next one, with its certificate and, when
    /// its `validators_hash` differs from the current set's, the new set.
    /// On success the verifier moves to `header`; on failure it is
    /// unchanged. Returns the certificate's kind.
    pub fn verify_next(
        &mut self,
        header: &BlockHeader,
        cert: &Certificate,
        next_validators: Option<&[ValidatorEntry]>,
    ) -> Result<DecisionKind, LightError> {
        let parent = &self.state.header;
        let h = parent.height + 1;
        if header.height != h {
            return Err(LightError::Height {
                expected: h,
                got: header.height,
            });
        }
        if header.parent != self.state.hash {
            return Err(LightError::Parent(h));
        }
        if header.time < parent.time {
            return Err(LightError::Time(h));
        }
        let set = self.set.clone().ok_or(LightError::NoValidators(h))?;
        let seed = check_seal(
            parent,
            &self.state.seed,
            &set,
            &self.params,
            self.license.as_ref(),
            header,
        )
        .map_err(|e| LightError::Seal(h, e))?;
        let hash = header.hash();
        if cert.round != h || cert.value != hash {
            return Err(LightError::CertificateForAnotherBlock(h));
        }
        let ctx = RoundContext {
            round: h,
            prev_hash: self.state.hash,
            seed: self.state.seed,
            empty_hash: crate::block::Block::empty(h, parent).hash(),
            validators: set,
        };
        verify_certificate(&ctx, &self.params, cert).map_err(|e| LightError::Certificate(h, e))?;
        let (validators, next_set) = match next_validators {
            Some(v) => {
                if validators_hash(v) != header.validators_hash {
                    return Err(LightError::ValidatorSetMismatch(h));
                }
                (sorted(v), to_set(h, v)?)
            }
            None if header.validators_hash == parent.validators_hash => {
                (self.state.validators.clone(), self.set.clone())
            }
            None => return Err(LightError::MissingValidatorSet(h)),
        };
        let finalized = if cert.kind == DecisionKind::Final {
            h
        } else {
            self.state.finalized
        };
        self.state = LightState {
            header: header.clone(),
            hash,
            seed,
            validators,
            finalized,
        };
        self.set = next_set;
        Ok(cert.kind)
    }
}
