//! The contract action of a transaction: a call of a contract, or the
//! creation of one, with the asset it brings out of the shielded pool
//! (`docs/protocol.md` §8.6).
//!
//! Three stages, as for every action:
//! * [`check_stateless`]: limits (gas, data), the fee that pays the gas,
//!   the asset's shape; reads no state. The asset itself is bound by the
//!   balance signature (rule 4 of [`crate::validate`]): it leaves the
//!   inputs as a public value, like the fee and like a plain output, so a
//!   call can bring only what the inputs hold and nothing can be minted.
//! * [`check_historical`]: against the contract state of the parent block
//!   ([`ContractView`]): a ticket the call brings must not be held by a
//!   contract (it comes from a note).
//! * execute: the node runs the EVM (`sero-node`'s `contract` module, over
//!   `sero-evm`) in block order; this crate does no execution.
//!
//! Encoding (inside a version-5 transaction, after the plain outputs):
//!
//! ```text
//! contract = kind u8 (1 call | 2 create) ‖ [to (20), call only]
//!            ‖ gas_limit u64 ‖ u8 flags ‖ [asset, if flags bit 0]
//!            ‖ [currency (32) ‖ amount u128, if flags bit 1: token fee]
//!            ‖ u32 len ‖ data (len)
//! ```
//! `flags` has no other bits set (0 and 1 are the encodings of the first
//! version, unchanged).
//! `data` is the input prefix of `docs/contracts.md` §2 followed by the
//! calldata (call) or the init code and constructor arguments (create).
//! An asset, when present, is not empty (a value or a ticket) and a zero
//! value has the currency SERO, so that every action has one encoding.

use crate::codec::{put_asset, Reader};
use crate::error::{DecodeError, TxError};
use crate::tx::Transaction;
use sero_assets::{Asset, Currency, Ticket};

/// Longest `data` of a contract action.
pub const MAX_CONTRACT_DATA: usize = 96 * 1024;
/// Most gas one transaction may buy (also the smallest block gas limit).
pub const MAX_TX_GAS: u64 = 10_000_000;
/// Least gas of a contract action (the EVM's intrinsic 21000).
pub const MIN_TX_GAS: u64 = 21_000;
/// Gas bought by one unit of fee (SERO's smallest unit): the fee of a
/// transaction with a contract action is at least
/// `ceil(gas_limit / GAS_PER_FEE_UNIT)`.
pub const GAS_PER_FEE_UNIT: u64 = 10_000;

const KIND_CALL: u8 = 1;
const KIND_CREATE: u8 = 2;
const FLAG_ASSET: u8 = 1;
const FLAG_TOKEN_FEE: u8 = 2;

/// Gas paid in a contract's token ("gas on behalf", whitepaper roadmap;
/// `sero_setTokenRate`, `docs/contracts.md` §8): `amount` units of
/// `currency` leave the inputs as a public value (like the call's asset)
/// and go to the called contract's book; the contract pays the gas in SERO
/// from its own book at the rate it set, `amount · ta / tokens`, which must
/// buy at least the action's `gas_limit` ([`min_fee`]). The transaction's
/// own SERO fee may then be zero: a caller needs no SERO at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenFee {
    pub currency: Currency,
    pub amount: u128,
}

/// What the action runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContractTarget {
    /// Call the contract at this 20-byte address.
    Call([u8; 20]),
    /// Create a contract from the init code in `data`.
    Create,
}

/// A contract call or creation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractAction {
    pub target: ContractTarget,
    /// Gas the transaction buys (paid by the fee, see [`min_fee`]).
    pub gas_limit: u64,
    /// The asset the call brings (a token amount and/or a ticket), taken
    /// from the inputs as a public value; `msg.value` is its amount.
    pub asset: Option<Asset>,
    /// The gas paid in the called contract's token, if it is not paid by
    /// the transaction's SERO fee ([`TokenFee`]).
    pub token_fee: Option<TokenFee>,
    /// Input prefix ‖ calldata, or input prefix ‖ init code.
    pub data: Vec<u8>,
}

/// The least fee that buys `gas_limit`.
pub fn min_fee(gas_limit: u64) -> u128 {
    (gas_limit as u128).div_ceil(GAS_PER_FEE_UNIT as u128)
}

impl ContractAction {
    /// Appends the canonical encoding.
    pub fn put(&self, out: &mut Vec<u8>) {
        match self.target {
            ContractTarget::Call(to) => {
                out.push(KIND_CALL);
                out.extend_from_slice(&to);
            }
            ContractTarget::Create => out.push(KIND_CREATE),
        }
        out.extend_from_slice(&self.gas_limit.to_le_bytes());
        let flags = if self.asset.is_some() { FLAG_ASSET } else { 0 }
            | if self.token_fee.is_some() {
                FLAG_TOKEN_FEE
            } else {
                0
            };
        out.push(flags);
        if let Some(a) = &self.asset {
            put_asset(out, a);
        }
        if let Some(f) = &self.token_fee {
            out.extend_from_slice(&f.currency.to_bytes());
            out.extend_from_slice(&f.amount.to_le_bytes());
        }
        out.extend_from_slice(&(self.data.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.data);
    }

    /// The asset's ticket, if any.
    pub fn ticket(&self) -> Option<Ticket> {
        self.asset.and_then(|a| a.ticket)
    }

    /// What the action takes out of the inputs as public values: its asset
    /// and its token fee.
    pub fn public_assets(&self) -> impl Iterator<Item = Asset> + '_ {
        self.asset
            .into_iter()
            .chain(self.token_fee.map(|f| Asset::token(f.currency, f.amount)))
    }
}

impl Reader<'_> {
    pub(crate) fn contract(&mut self) -> Result<ContractAction, DecodeError> {
        let target = match self.u8("contract kind")? {
            KIND_CALL => ContractTarget::Call(self.array("contract address")?),
            KIND_CREATE => ContractTarget::Create,
            k => {
                return Err(crate::codec::invalid(
                    "contract kind",
                    format!("unknown kind {k}"),
                ))
            }
        };
        let gas_limit = self.u64("gas limit")?;
        let flags = self.u8("contract flags")?;
        if flags & !(FLAG_ASSET | FLAG_TOKEN_FEE) != 0 {
            return Err(crate::codec::invalid(
                "contract flags",
                format!("unknown flags {flags:#04x}"),
            ));
        }
        let asset = match flags & FLAG_ASSET {
            0 => None,
            _ => {
                let a = self.asset()?;
                if a.value == 0 && a.ticket.is_none() {
                    return Err(crate::codec::invalid(
                        "contract asset",
                        "an empty asset is encoded as no asset",
                    ));
                }
                if a.value == 0 && a.currency != Currency::sero() {
                    return Err(crate::codec::invalid(
                        "contract asset",
                        "a zero value must have the currency SERO",
                    ));
                }
                Some(a)
            }
        };
        let token_fee = match flags & FLAG_TOKEN_FEE {
            0 => None,
            _ => {
                let currency = Currency::from_bytes(&self.array("token fee currency")?)
                    .map_err(|e| crate::codec::invalid("token fee currency", e))?;
                let amount = self.u128("token fee amount")?;
                if currency == Currency::sero() || amount == 0 {
                    return Err(crate::codec::invalid(
                        "token fee",
                        "a token fee is a non-zero amount of a currency other than SERO",
                    ));
                }
                Some(TokenFee { currency, amount })
            }
        };
        let len = u32::from_le_bytes(self.array("contract data length")?) as usize;
        if len > MAX_CONTRACT_DATA {
            return Err(DecodeError::TooMany {
                what: "contract data bytes",
                got: len,
                limit: MAX_CONTRACT_DATA,
            });
        }
        let data = self.take(len, "contract data")?.to_vec();
        Ok(ContractAction {
            target,
            gas_limit,
            asset,
            token_fee,
            data,
        })
    }
}

/// Stage 1 (stateless): gas within [`MIN_TX_GAS`, `MAX_TX_GAS`], a fee
/// of at least [`min_fee`] (or a [`TokenFee`] on a call, whose worth is
/// checked at execution against the contract's rate), init code present
/// for a creation. The asset and the token fee are balanced by rule 4 of
/// [`crate::validate`].
pub fn check_stateless(tx: &Transaction, c: &ContractAction) -> Result<(), TxError> {
    if c.gas_limit < MIN_TX_GAS || c.gas_limit > MAX_TX_GAS {
        return Err(TxError::Contract(format!(
            "gas limit {} outside {MIN_TX_GAS}..={MAX_TX_GAS}",
            c.gas_limit
        )));
    }
    if c.token_fee.is_some() {
        if c.target == ContractTarget::Create {
            return Err(TxError::Contract(
                "a creation pays its gas in SERO (a token fee needs a contract that set a rate)"
                    .into(),
            ));
        }
        return Ok(());
    }
    let need = min_fee(c.gas_limit);
    if tx.fee < need {
        return Err(TxError::Contract(format!(
            "fee {} does not pay for {} gas (at least {need})",
            tx.fee, c.gas_limit
        )));
    }
    if c.target == ContractTarget::Create && c.data.len() <= 18 {
        return Err(TxError::Contract(
            "a creation needs the input prefix and init code".into(),
        ));
    }
    Ok(())
}

/// What [`check_historical`] reads: the contract state after the parent
/// block.
pub trait ContractView {
    /// Whether a contract holds `ticket` (so no note can carry it).
    fn ticket_held_by_contract(&self, ticket: &Ticket) -> bool;

    /// The SERO contract `to` would pay for the gas of a call whose fee is
    /// `fee` (its rate applied, `None` if it set no rate for the currency
    /// or its SERO book cannot pay). Views without contract state: `None`.
    fn gas_on_behalf(&self, _to: &[u8; 20], _fee: &TokenFee) -> Option<u128> {
        None
    }
}

/// Stage 2 (against the parent state): a ticket the call brings is held
/// as a note, not by a contract; a token fee buys the action's gas at the
/// called contract's rate from a SERO book that can pay it.
pub fn check_historical(c: &ContractAction, view: &impl ContractView) -> Result<(), TxError> {
    if let Some(t) = c.ticket() {
        if view.ticket_held_by_contract(&t) {
            return Err(TxError::Contract(format!(
                "ticket {}:{} is held by a contract",
                t.category, t.id
            )));
        }
    }
    if let (Some(f), ContractTarget::Call(to)) = (&c.token_fee, c.target) {
        let Some(sero) = view.gas_on_behalf(&to, f) else {
            return Err(TxError::Contract(format!(
                "contract 0x{} pays no gas in {} (it set no rate, or its SERO book is short)",
                hex::encode(to),
                f.currency
            )));
        };
        let need = min_fee(c.gas_limit);
        if sero < need {
            return Err(TxError::Contract(format!(
                "{} {} buy {sero} SERO of gas at the contract's rate, less than the {need} that {} gas costs",
                f.amount, f.currency, c.gas_limit
            )));
        }
    }
    Ok(())
}
