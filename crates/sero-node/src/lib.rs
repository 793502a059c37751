//! The SERO node's core: [`chain::Chain`] (validation and atomic
//! application of blocks on the redb state, with the witness tree and the
//! anchor window in memory) and [`mempool::Mempool`].

pub mod chain;
pub mod mempool;
pub mod scan;

pub use chain::{Chain, ChainConfig, ChainError};
pub use mempool::Mempool;
