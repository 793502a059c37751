//! The two circuits of SERO. Public inputs are allocated in the order of
//! each `*ProofPublic::to_field_elements`.

pub mod input;
pub mod output;

use ark_ff::{BigInteger, PrimeField};
use sero_assets::Asset;
use sero_crypto::Base;

/// The asset identifiers as field elements: currency (2), ticket presence,
/// ticket (4; zeros when absent).
pub(crate) fn asset_fields(asset: &Asset) -> ([Base; 2], bool, [Base; 4]) {
    let cur = asset.currency.field_elements();
    match &asset.ticket {
        Some(t) => (cur, true, t.field_elements()),
        None => (cur, false, [Base::from(0u64); 4]),
    }
}

/// The 128 little-endian bits of a value.
pub(crate) fn value_bits(v: u128) -> Vec<bool> {
    let b = Base::from(v).into_bigint().to_bits_le();
    b.into_iter().take(128).collect()
}
