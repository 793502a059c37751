//! One module per `sero` subcommand.

pub mod bench;
pub mod keys;
pub mod vectors;
