//! SERO side added by the lead engineer, using the sero-zk crate's public API.
//!
//! Nothing is measured here yet and there are deliberately no numbers of any
//! kind: an empty registry means the report contains only Sapling.
//!
//! How to plug SERO in (arkworks 0.6 Groth16 on BN254):
//!
//! 1. Add the SERO crates to `tools/zk-compare/Cargo.toml` as path
//!    dependencies (e.g. `sero-zk = { path = "../../crates/sero-zk" }`); this
//!    tool stays its own workspace, so that does not touch the main one.
//! 2. For each SERO circuit, write a `bench(&Config) -> Result<CircuitBench>`
//!    that fills *every* field the Sapling side fills, measured the same way
//!    (see `bellman_groth16::bench`): setup = CRS generation wall time;
//!    prove = median of `cfg.runs` proofs including witness synthesis;
//!    verify = median of `cfg.verify_runs` verifications with a prepared
//!    verifying key; batch = one batch of `cfg.batch` proofs (say how many
//!    distinct) divided by `cfg.batch`; parameters cached in
//!    `cfg.params_dir` so the memory child only loads them.
//! 3. Write a `prove_once(&Config) -> Result<MemReport>` that records
//!    `measure::vm_hwm()` at start, after loading the proving key (plus
//!    `measure::vm_rss()`), and after one proof.
//! 4. Register both in [`circuits`] below (names such as `sero-transfer`)
//!    and list the comparisons to report in [`RATIO_PAIRS`], e.g.
//!    `("sero-transfer", "sapling-spend")`. `--only` accepts the new names
//!    automatically.

use crate::report::CircuitSpec;

/// SERO circuits to benchmark; empty until the lead engineer adds them.
pub fn circuits() -> Vec<CircuitSpec> {
    Vec::new()
}

/// `(numerator, denominator)` circuit pairs for the `ratios` section;
/// empty until SERO circuits exist.
pub const RATIO_PAIRS: &[(&str, &str)] = &[];
