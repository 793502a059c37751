//! The SERO node's core: [`chain::Chain`] (validation and atomic
//! application of blocks on the redb state, with the witness tree and the
//! anchor window in memory), [`registry`] (the stake registry's rules) and
//! [`mempool::Mempool`].

pub mod chain;
pub mod contract;
pub mod genesis;
pub mod journal;
pub mod mempool;
pub mod registry;
pub mod scan;
pub mod seal;
pub mod service;
pub mod txqueue;
pub mod wire;

pub use chain::{genesis_block, genesis_config_hash, Chain, ChainConfig, ChainError, GenesisBlock};
pub use mempool::Mempool;
pub use registry::{GenesisValidator, Registry, RegistryError};
/// The execution crate, for the RPC's read-only calls.
pub use sero_evm as evm;

/// A node's shared state: the chain and its mempool (served by RPC, driven
/// by the consensus service or the dev block producer).
pub struct Node {
    pub chain: Chain,
    pub mempool: Mempool,
}
