//! One module per `sero` subcommand.

pub mod keys;
pub mod vectors;
