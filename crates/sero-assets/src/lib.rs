//! SERO assets (whitepaper §3.3 "Assets System", DESIGN.md "Assets and
//! commitments").
//!
//! * [`Currency`]: a token name of up to 32 bytes (`^[A-Z][A-Z0-9_]{0,31}$`);
//!   the native coin is `SERO`.
//! * [`Ticket`]: a unique 256-bit id under a 32-byte category.
//! * [`generators`]: `G_cy = H2C(token, currency)`, `G_tk = H2C(ticket,
//!   category, id)`, `G_r = H2C(rand)` — deterministic, with no known
//!   discrete-log relation.
//! * [`commitment`]: `CM_asset = value·G_cy + [ticket]·G_tk + ar·G_r` with
//!   `value < 2^128`, and the balance signature (B-Sign).
//!
//! This crate does no IO.

pub mod asset;
pub mod commitment;
mod error;
pub mod generators;
pub mod package;
pub mod vectors;

pub use asset::{Asset, Category, Currency, Ticket, TicketId, MAX_NAME_LEN, PACKAGE_CATEGORY};
pub use commitment::{
    asset_part, balance_point, balance_point_ext, AssetCommitment, BalanceSignature,
    BALANCE_SIG_TAGS,
};
pub use error::AssetError;
