//! SERO transactions (whitepaper §3.5, DESIGN.md "Transactions").
//!
//! * [`tx`]: Z-inputs, Z-outputs, plain outputs, fee, `From` PKr, balance
//!   signature; the transaction id over effects only and a second hash over
//!   everything.
//! * [`codec`]: the canonical binary encoding with size limits; the decoder
//!   checks every point, scalar, field element and name.
//! * [`note_plaintext`]: what a Z-output seals to its recipient.
//! * [`validate`]: stateless rules (encodings, batched proofs, signatures,
//!   balance) and stateful rules (anchor, nullifiers) — each a typed error.
//! * [`builder`]: selects notes, makes change, proves inputs and outputs in
//!   parallel and signs.
//! * [`contract`]: the contract action (call or creation with an asset),
//!   its encoding and its stateless and historical rules.
//! * [`package`]: the package action (create, open), its encoding, how
//!   it enters the balance, and its stateless and historical rules.
//! * [`block`]: block headers with their consensus seal, bodies, the
//!   deterministic empty block.
//! * [`verified`]: stateless verdicts remembered from mempool admission to
//!   block apply (a transaction is verified once).
//! * [`license`]: the mining licence of whitepaper §3.3 (issue, encode,
//!   verify, the proposer rule).
//!
//! This crate does no IO.

pub mod block;
pub mod builder;
pub mod codec;
pub mod contract;
mod error;
pub mod fuzz;
pub mod license;
pub mod light;
pub mod note_plaintext;
pub mod package;
pub mod seal;
pub mod tx;
pub mod validate;
pub mod vectors;
pub mod verified;

pub use contract::{ContractAction, ContractTarget};
pub use error::{DecodeError, TxError};
pub use package::PackageAction;
pub use tx::{PlainOutput, StakeAction, Transaction, ZInput, ZOutput};
