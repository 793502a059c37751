//! SERO consensus core, part 2: BA★, the Byzantine agreement of
//! SE-Random (after Algorand: Gilad et al., SOSP 2017, Algorithms 3–9),
//! as a pure state machine. No IO, no clocks (the host passes times in
//! milliseconds), no floating point.
//!
//! * [`BaParams`]: committee sizes, thresholds (integer permille) and
//!   timeouts; [`BaParams::production`] has the paper's values,
//!   [`BaParams::devnet`] full committees for a few validators.
//! * Keys: [`VoteSecretKey`]/[`VotePublicKey`] (ed25519, strict
//!   verification, weak and non-canonical keys rejected) and
//!   [`ValidatorKeys`] (vote + VRF key, derivable from a seed).
//! * [`ValidatorSet`] and [`RoundContext`]: who votes with what stake in
//!   the round, on which chain, with which seed.
//! * Messages ([`Proposal`], [`Vote`], [`Message`], [`Certificate`]) with
//!   canonical encodings; [`verify_proposal`], [`verify_vote`] and
//!   [`verify_certificate`] check them once, at the host's edge ("validate
//!   before relay"), returning [`MessageError`] for the host's logs and
//!   peer scoring. See [`verify`] for the replay and equivocation defence.
//! * [`Agreement`]: one round for one node.

mod agreement;
mod keys;
mod message;
mod params;
mod validators;
pub mod verify;

pub use agreement::{Agreement, Decision, Output};
pub use keys::{ValidatorKeys, VoteKeyError, VotePublicKey, VoteSecretKey, TAG_VALIDATOR_KEYS};
pub use message::{
    Certificate, DecisionKind, Message, Proposal, Vote, VoteStep, CERTIFICATE_HEADER_LEN,
    MAX_CERTIFICATE_LEN, MAX_CERTIFICATE_VOTES, PROPOSAL_LEN, TAG_PROPOSAL_SIG, TAG_VOTE_SIG,
    VOTE_LEN, WIRE_VERSION,
};
pub use params::{BaParams, ParamsError, FULL_COMMITTEE, MAX_BACKOFF};
pub use validators::{RoundContext, Validator, ValidatorSet, ValidatorSetError};
pub use verify::{
    is_deciding, proposer_credential, sign_proposal, sign_vote, sign_vote_in, verify_certificate,
    verify_proposal, verify_vote, MessageError, VerifiedProposal, VerifiedVote, TAG_COIN,
};
