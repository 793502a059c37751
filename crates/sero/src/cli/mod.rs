//! One module per `sero` subcommand.

pub mod bench;
pub mod bench_net;
pub mod ceremony;
pub mod contract;
pub mod dev;
pub mod keys;
pub mod license;
pub mod node;
pub mod sim;
pub mod snapshot;
pub mod testnet;
pub mod vectors;
pub mod wallet;
pub(crate) mod wallet_sync;
pub mod web;
