//! The block's state transition, apart from the networked service: a
//! [`chain::Chain`] validates a block against its state view (stateless
//! checks, then the ledger's stateful rules, the stake [`registry`] and the
//! contracts' execution in [`contract`]) into one set of effects, and
//! applies those effects to the redb state in one atomic write. The node's
//! consensus service, `sero dev`, sync and the benchmarks all call this one
//! function ([`Chain::validate_block`] → [`Chain::apply_block_with`]).
//!
//! [`scan`] holds the records a wallet downloads to find its notes.

pub mod chain;
pub mod contract;
pub mod registry;
pub mod scan;

pub use chain::{genesis_block, genesis_config_hash, Chain, ChainConfig, ChainError, GenesisBlock};
pub use registry::{GenesisValidator, Registry, RegistryError};
/// The execution crate, for the RPC's read-only calls.
pub use sero_evm as evm;
