//! Paying gas in a contract's token (`sero_setTokenRate`, §5).

use crate::error::ViewError;
use crate::state::{StateKey, StateValue, StateView};
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

/// State writes: key → new value (`None` deletes).
pub type Writes = Vec<(StateKey, Option<StateValue>)>;

/// The state writes of gas paid on behalf: `fee` units of `currency` into
/// contract `to`'s book and `taval` SERO out of it. `Ok(None)` when `to`
/// pays no gas in `currency` ([`gas_on_behalf`]) or its token book would
/// overflow.
pub fn gas_on_behalf_writes<V: StateView>(
    view: &V,
    to: &Address,
    currency: &Currency,
    fee: U256,
) -> Result<Option<(U256, Writes)>, ViewError> {
    let Some(taval) = gas_on_behalf(view, to, currency, fee)? else {
        return Ok(None);
    };
    let sero = view.book(to, &Currency::sero())? - taval;
    let Some(tokens) = view.book(to, currency)?.checked_add(fee) else {
        return Ok(None);
    };
    let word = |w: U256| (!w.is_zero()).then_some(StateValue::Word(w));
    Ok(Some((
        taval,
        vec![
            (StateKey::Book(*to, Currency::sero()), word(sero)),
            (StateKey::Book(*to, *currency), word(tokens)),
        ],
    )))
}
