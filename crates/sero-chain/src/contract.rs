//! The execute stage of contract actions (`sero_ledger::contract` holds
//! the stateless and historical stages): runs `sero_evm::execute` for each
//! contract transaction of a block, in block order, against the parent's
//! contract state plus the block's earlier changes ([`BlockExec`]).
//! Validation and block building both go through [`BlockExec::execute_tx`].
//!
//! What an execution yields:
//! * the notes the contract pays (and, after a revert or halt, the call's
//!   asset back to `From`), as plain outputs with a zero memo hash,
//!   appended to the witness tree after the transaction's own outputs;
//! * its contract-state changes (merged into the block's overlay, written
//!   in the block's one atomic write, undone by a rollback);
//! * a [`Receipt`] (stored per txid; not part of consensus).

use serde::{Deserialize, Serialize};
use sero_crypto::Base;
use sero_evm::{
    execute, Action, Address, Env, EvmConfig, ExecError, StateKey, StateValue, StateView, Status,
    TicketState, ViewError,
};
use sero_ledger::contract::{ContractTarget, ContractView};
use sero_ledger::tx::{PlainOutput, Transaction};
use sero_ledger::TxError;
use sero_state::{EvmSnapshot, StateDb};
use std::collections::BTreeMap;

/// Most gas the contract actions of one block may buy (the sum of their
/// gas limits).
pub const BLOCK_GAS_LIMIT: u64 = 30_000_000;

/// The fee, in SERO's smallest unit, of registering a token name
/// (`sero_issueToken`), taken from the issuing contract's SERO book.
pub const ISSUE_FEE: u128 = 100;

/// The engine parameters of this chain.
pub fn evm_config() -> EvmConfig {
    EvmConfig {
        issue_fee: sero_evm::U256::from(ISSUE_FEE),
        ..EvmConfig::default()
    }
}

/// Contract-state writes not yet stored: key bytes → value bytes (`None`
/// deletes).
pub type Overlay = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// The contract state of a store snapshot with an overlay of pending
/// writes.
pub struct OverlayView<'a> {
    pub base: &'a EvmSnapshot,
    pub overlay: &'a Overlay,
}

impl StateView for OverlayView<'_> {
    fn get(&self, key: &StateKey) -> Result<Option<StateValue>, ViewError> {
        let k = key.encode();
        let raw = match self.overlay.get(&k) {
            Some(v) => v.clone(),
            None => self
                .base
                .get(&k)
                .map_err(|e| ViewError::Store(e.to_string()))?,
        };
        raw.map(|b| StateValue::decode(key, &b)).transpose()
    }
}

/// The contract state at one block, owned: a store snapshot that readers
/// (RPC read-only calls, `eth_getCode`, …) use without holding the node's
/// lock ([`crate::Chain::contract_view`]).
pub struct TipView {
    snap: EvmSnapshot,
}

impl TipView {
    pub fn new(snap: EvmSnapshot) -> Self {
        TipView { snap }
    }

    /// The view as an [`OverlayView`] with nothing pending.
    pub fn view(&self) -> OverlayView<'_> {
        OverlayView {
            base: &self.snap,
            overlay: &EMPTY_OVERLAY,
        }
    }
}

impl StateView for TipView {
    fn get(&self, key: &StateKey) -> Result<Option<StateValue>, ViewError> {
        self.view().get(key)
    }
}

impl ContractView for OverlayView<'_> {
    fn ticket_held_by_contract(&self, ticket: &sero_assets::Ticket) -> bool {
        // A store error counts as held: refuse rather than duplicate.
        !matches!(
            self.ticket(ticket),
            Ok(TicketState::InNotes) | Ok(TicketState::Unknown)
        )
    }

    fn gas_on_behalf(&self, to: &[u8; 20], fee: &sero_ledger::contract::TokenFee) -> Option<u128> {
        // A store error counts as "does not pay": refuse rather than mint.
        let taval = sero_evm::gas_on_behalf_writes(
            self,
            &Address::from(*to),
            &fee.currency,
            sero_evm::U256::from(fee.amount),
        )
        .ok()??
        .0;
        Some(taval.try_into().unwrap_or(u128::MAX))
    }
}

impl sero_ledger::package::PackageView for OverlayView<'_> {
    fn package(
        &self,
        id: &[u8; 32],
    ) -> Result<Option<sero_ledger::package::PackageRecord>, String> {
        StateView::package(self, id).map_err(|e| e.to_string())
    }
}

/// One log of a receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptLog {
    /// The emitting contract (0x-hex, 20 bytes).
    pub address: String,
    /// 0x-hex topics.
    pub topics: Vec<String>,
    /// 0x-hex data.
    pub data: String,
}

/// A note a contract action created (or refunded).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptNote {
    /// Its leaf position in the witness tree.
    pub position: u64,
    /// The receiving PKr (base58).
    pub pkr: String,
    pub currency: String,
    pub value: String,
    /// `CATEGORY:ID`.
    pub ticket: Option<String>,
}

/// What a contract action did, stored per txid as JSON
/// ([`sero_state::tables::RECEIPTS`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub txid: String,
    pub height: u64,
    /// Index of the transaction in its block.
    pub index: u32,
    /// "success", "revert" or "halt".
    pub status: String,
    /// The halt reason, if it halted.
    pub error: Option<String>,
    pub gas_used: u64,
    /// The contract created (0x-hex), if a creation succeeded.
    pub contract_address: Option<String>,
    /// The called contract (0x-hex), for a call.
    pub to: Option<String>,
    /// Return (or revert) data, 0x-hex.
    pub output: String,
    pub logs: Vec<ReceiptLog>,
    pub notes: Vec<ReceiptNote>,
    /// Gas paid on behalf (a token fee): the token fee credited to the
    /// contract ("AMOUNT CURRENCY") and the SERO it paid for the gas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_on_behalf: Option<GasOnBehalf>,
}

/// What a contract paid for a caller's gas ([`Receipt::gas_on_behalf`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GasOnBehalf {
    pub currency: String,
    /// Token units the caller paid into the contract's book.
    pub tokens: String,
    /// SERO the contract paid from its book (to the block's producer).
    pub sero: String,
}

/// The result of one transaction's contract action.
pub struct TxExecution {
    /// Notes to append after the transaction's own outputs.
    pub notes: Vec<PlainOutput>,
    /// The receipt, without note positions (filled in by the chain).
    pub receipt: Receipt,
}

/// The execution state of one block: the overlay of contract-state writes,
/// the gas bought so far and the SERO contracts paid for callers' gas
/// (which the producer's coinbase may claim with the fees).
#[derive(Default, Clone)]
pub struct BlockExec {
    pub overlay: Overlay,
    pub gas: u64,
    pub sponsored: u128,
}

/// Why a contract action cannot be in the block at all.
#[derive(Debug)]
pub enum ExecFailure {
    /// The transaction breaks a rule (block invalid / skipped by builders).
    Tx(TxError),
    /// The store failed.
    Store(String),
}

/// The environment of `tx`'s contract action.
pub fn env_for(tx: &Transaction, height: u64, time: u64) -> Option<Env> {
    let c = tx.contract.as_ref()?;
    let action = match c.target {
        ContractTarget::Call(to) => Action::Call {
            to: Address::from(to),
            data: c.data.clone(),
        },
        ContractTarget::Create => Action::Create {
            data: c.data.clone(),
        },
    };
    Some(Env {
        height,
        time,
        tx_hash: tx.txid(),
        gas_limit: c.gas_limit,
        from: tx.from,
        asset: c.asset,
        action,
    })
}

fn hex0(b: &[u8]) -> String {
    format!("0x{}", hex::encode(b))
}

impl BlockExec {
    /// Runs `tx`'s contract action (if any) as the `index`-th transaction
    /// of the block at `height`: the block gas limit, the historical rules,
    /// then the EVM. On success the overlay holds its changes. `Ok(None)`:
    /// no contract action.
    pub fn execute_tx(
        &mut self,
        db: &StateDb,
        tx: &Transaction,
        height: u64,
        time: u64,
        index: u32,
    ) -> Result<Option<TxExecution>, ExecFailure> {
        if let Some(p) = &tx.package {
            self.apply_package(db, tx, p, height)?;
            return Ok(None);
        }
        let Some(c) = &tx.contract else {
            return Ok(None);
        };
        let gas = self
            .gas
            .checked_add(c.gas_limit)
            .filter(|g| *g <= BLOCK_GAS_LIMIT)
            .ok_or_else(|| {
                ExecFailure::Tx(TxError::Contract(format!(
                    "the block's contract actions exceed the block gas limit {BLOCK_GAS_LIMIT}"
                )))
            })?;
        // One read transaction for the whole action.
        let base = db
            .evm_snapshot()
            .map_err(|e| ExecFailure::Store(e.to_string()))?;
        let view = OverlayView {
            base: &base,
            overlay: &self.overlay,
        };
        sero_ledger::contract::check_historical(c, &view).map_err(ExecFailure::Tx)?;
        // Gas on behalf (its worth checked by check_historical above): the
        // token fee goes into the contract's book and the contract pays the
        // gas in SERO from it, before the call runs, whatever its outcome.
        let mut sponsored = None;
        if let (Some(f), ContractTarget::Call(to)) = (&c.token_fee, c.target) {
            let (taval, writes) = sero_evm::gas_on_behalf_writes(
                &view,
                &Address::from(to),
                &f.currency,
                sero_evm::U256::from(f.amount),
            )
            .map_err(|e| ExecFailure::Store(e.to_string()))?
            .ok_or_else(|| ExecFailure::Store("gas on behalf vanished".into()))?;
            for (k, v) in writes {
                self.overlay.insert(k.encode(), v.map(|v| v.encode()));
            }
            sponsored = Some((f, u128::try_from(taval).unwrap_or(u128::MAX)));
        }
        let view = OverlayView {
            base: &base,
            overlay: &self.overlay,
        };
        let env = env_for(tx, height, time).expect("a contract action");
        let cfg = EvmConfig {
            network: tx.chain_id,
            ..evm_config()
        };
        let out = match execute(&view, &cfg, &env) {
            Ok(o) => o,
            Err(ExecError::View(e)) => return Err(ExecFailure::Store(e.to_string())),
            Err(e) => return Err(ExecFailure::Tx(TxError::Contract(e.to_string()))),
        };
        self.gas = gas;
        if let Some((_, taval)) = sponsored {
            self.sponsored = self.sponsored.checked_add(taval).ok_or_else(|| {
                ExecFailure::Tx(TxError::Contract("sponsored gas overflows".into()))
            })?;
        }
        for ch in &out.changes.changes {
            self.overlay
                .insert(ch.key.encode(), ch.new.as_ref().map(|v| v.encode()));
        }
        let notes: Vec<PlainOutput> = out
            .notes
            .iter()
            .map(|n| PlainOutput {
                pkr: n.pkr,
                asset: n.asset,
                memo_hash: Base::from(0u64),
            })
            .collect();
        let (status, error) = match &out.status {
            Status::Success => ("success", None),
            Status::Revert => ("revert", None),
            Status::Halt(m) => ("halt", Some(m.clone())),
        };
        let receipt = Receipt {
            txid: hex::encode(env.tx_hash),
            height,
            index,
            status: status.into(),
            error,
            gas_used: out.gas_used,
            contract_address: out.created.map(|a| hex0(a.as_slice())),
            to: match c.target {
                ContractTarget::Call(to) => Some(hex0(&to)),
                ContractTarget::Create => None,
            },
            output: hex0(&out.output),
            logs: out
                .logs
                .iter()
                .map(|l| ReceiptLog {
                    address: hex0(l.address.as_slice()),
                    topics: l.topics().iter().map(|t| hex0(t.as_slice())).collect(),
                    data: hex0(&l.data.data),
                })
                .collect(),
            notes: vec![],
            gas_on_behalf: sponsored.map(|(f, taval)| GasOnBehalf {
                currency: f.currency.to_string(),
                tokens: f.amount.to_string(),
                sero: taval.to_string(),
            }),
        };
        Ok(Some(TxExecution { notes, receipt }))
    }

    /// A package action (`docs/protocol.md` §17) against the package
    /// table of the parent plus the block's earlier changes: a creation
    /// stores the sealed package, an opening (after the key opened it to
    /// contents that re-commit to `C_pkg`) marks it opened, so a second
    /// opening, in this block or later, is refused.
    fn apply_package(
        &mut self,
        db: &StateDb,
        tx: &Transaction,
        p: &sero_ledger::PackageAction,
        height: u64,
    ) -> Result<(), ExecFailure> {
        use sero_ledger::package::{check_historical, PackageEffect, PackageRecord};
        let base = db
            .evm_snapshot()
            .map_err(|e| ExecFailure::Store(e.to_string()))?;
        let view = OverlayView {
            base: &base,
            overlay: &self.overlay,
        };
        let (id, record) = match check_historical(tx, p, &view).map_err(ExecFailure::Tx)? {
            PackageEffect::Created { id } => {
                let sero_ledger::PackageAction::Create(sealed) = p else {
                    unreachable!("a creation's effect")
                };
                let record = PackageRecord {
                    opened: false,
                    height,
                    creator: sero_evm::short_address(&tx.from).into_array(),
                    sealed: sealed.clone(),
                };
                (id, record)
            }
            PackageEffect::Opened { id, .. } => {
                let mut record = StateView::package(&view, &id)
                    .map_err(|e| ExecFailure::Store(e.to_string()))?
                    .ok_or_else(|| ExecFailure::Store("package vanished".into()))?;
                record.opened = true;
                (id, record)
            }
        };
        let key = StateKey::Package(id);
        self.overlay
            .insert(key.encode(), Some(StateValue::Package(record).encode()));
        Ok(())
    }
}

/// The `From` of read-only calls that name none: a fixed PKr of the
/// all-zero seed's account (it signs nothing; anyone may use it).
pub fn anonymous_pkr() -> sero_keys::OneTimeAddress {
    sero_keys::SecretKey::from_seed(&sero_keys::Seed::from_bytes([0; 32]))
        .payment_address()
        .derive_pkr_with(&sero_crypto::Scalar::from(1u64))
}

/// An empty overlay (reads of the stored state).
pub static EMPTY_OVERLAY: Overlay = Overlay::new();

/// Runs a read-only call (`sero_call`, `eth_call`) against a contract
/// state (the tip's [`TipView`]): nothing is written.
pub fn read_only_call(view: &TipView, env: &Env) -> Result<sero_evm::ExecutionOutcome, ExecError> {
    execute(view.view(), &evm_config(), env)
}
