//! Paying gas in a contract's token (`sero_setTokenRate`, §5).

use crate::error::ViewError;
use crate::state::StateView;
use revm::primitives::{Address, U256};
use sero_assets::Currency;

/// The SERO (`taval = fee * ta / tokens`) that contract `to` pays on behalf
/// of a caller whose fee is `fee` units of `currency`, if `to` set a rate
/// with both parts non-zero and its SERO book holds `taval`. The node then
/// credits `fee` tokens to the contract's book and debits `taval` SERO
/// (gas = taval / gas price); unused gas goes back per §5.
pub fn gas_on_behalf<V: StateView>(
    view: &V,
    to: &Address,
    currency: &Currency,
    fee: U256,
) -> Result<Option<U256>, ViewError> {
    let Some((tokens, ta)) = view.token_rate(to, currency)? else {
        return Ok(None);
    };
    if tokens.is_zero() || ta.is_zero() {
        return Ok(None);
    }
    let Some(prod) = fee.checked_mul(ta) else {
        return Ok(None);
    };
    let taval = prod / tokens;
    if view.book(to, &Currency::sero())? < taval {
        return Ok(None);
    }
    Ok(Some(taval))
}
