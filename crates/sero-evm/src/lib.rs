//! SERO contract execution: revm (as a dependency) with SERO's system calls.
//!
//! A LOGn (n >= 1) whose first topic is a system topic of `SeroInterface`
//! is a call into the node (issue tokens, mint tickets, pay PKrs and
//! contracts, read the call's asset); contract books, ticket holders,
//! registries, rates and the short-address table are journaled with revm's
//! own journal, so a reverted frame drops its book changes, ticket moves
//! and notes. See `docs/contracts.md` for every format and rule.
//!
//! Pure: no file or network IO. The node calls [`execute`] with a
//! [`StateView`] and an [`Env`], applies the [`ExecutionOutcome`]'s
//! [`ChangeSet`] and notes, and puts [`state_root`] in the header.

pub mod address;
pub mod bench;
pub mod engine;
pub mod error;
pub mod exec;
pub mod fuzz;
pub mod instructions;
pub mod names;
pub mod rate;
pub mod root;
pub mod state;

pub use address::{contract_address, short_address, short_address_bytes, ticket_id, FEE_SINK};
pub use error::{ExecError, SeroHalt, ViewError};
pub use exec::{
    execute, make_prefix, split_prefix, Action, Env, EvmConfig, ExecutionOutcome, Note, Status,
    ONE_SERO, SPEC,
};
pub use instructions::SysTopic;
pub use rate::{gas_on_behalf, gas_on_behalf_writes};
pub use revm::primitives::{Address, Bytes, Log, B256, U256};
pub use root::{spent_digest, LtHash, Spent};
pub use state::{
    state_root, Change, ChangeSet, MemState, StateKey, StateValue, StateView, TicketState,
};

pub(crate) trait U256Ext {
    fn checked_usize(&self) -> Option<usize>;
    fn saturating_u64(&self) -> u64;
}

impl U256Ext for U256 {
    fn checked_usize(&self) -> Option<usize> {
        usize::try_from(*self).ok()
    }
    fn saturating_u64(&self) -> u64 {
        u64::try_from(*self).unwrap_or(u64::MAX)
    }
}

/// keccak256 (for ABI selectors in tools and tests).
pub fn engine_keccak(data: &[u8]) -> [u8; 32] {
    revm::primitives::keccak256(data).0
}
