//! The SERO node's networked service around the block state transition of
//! `sero-chain` (re-exported here as [`chain`], [`contract`], [`registry`],
//! [`scan`]): the durable [`mempool::Mempool`], the consensus [`service`],
//! its [`wire`] messages and [`journal`], and the [`seal`] rules.

pub mod checkpoint;
pub mod fuzz;
pub mod genesis;
pub mod journal;
pub mod mempool;
pub mod seal;
pub mod service;
pub mod snapshot;
pub mod sync;
pub mod txqueue;
pub mod wire;

pub use chain::{genesis_block, genesis_config_hash, Chain, ChainConfig, ChainError, GenesisBlock};
pub use mempool::Mempool;
pub use registry::{GenesisValidator, Registry, RegistryError};
pub use sero_chain::{chain, contract, registry, scan};
/// The execution crate, for the RPC's read-only calls.
pub use sero_evm as evm;

/// A node's shared state: the chain and its mempool (served by RPC, driven
/// by the consensus service or the dev block producer).
pub struct Node {
    pub chain: Chain,
    pub mempool: Mempool,
}
