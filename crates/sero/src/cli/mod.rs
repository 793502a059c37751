//! One module per `sero` subcommand.

pub mod bench;
pub mod dev;
pub mod keys;
pub mod vectors;
pub mod wallet;
