//! The revm context, database adapter and journaled SERO tables.
//!
//! SERO's tables (books, ticket holders, registries, rates, the short
//! address table, ticket nonces) live during execution as storage slots of
//! the system account [`SYS_STATE`] inside revm's journal, and the notes a
//! call creates as slots of [`SYS_NOTES`]: a reverted frame drops their
//! changes exactly as it drops ordinary storage. A word gets the next free
//! slot number (1, 2, ...) the first time an execution touches it: the
//! database adapter keeps the word of each slot to answer loads from the
//! typed [`StateView`], and the engine maps changed slots back to typed
//! entries at the end. The numbering lives and dies with one execution (no
//! hashing: these slots never reach the persistent state).

use crate::address::{addr_to_u256, sys_address, u256_to_addr};
use crate::error::{SeroHalt, ViewError};
use crate::state::{StateKey, StateValue, StateView, TicketState};
use crate::U256Ext;
use revm::bytecode::Bytecode;
use revm::context::{BlockEnv, CfgEnv, Context, Journal, TxEnv};
use revm::database_interface::Database;
use revm::primitives::{Address, HashMap, B256, KECCAK_EMPTY, U256};
use revm::state::AccountInfo;
use sero_assets::{Category, Currency, Ticket, TicketId};

/// The system account holding the SERO tables during execution.
pub const SYS_STATE: Address = sys_address(1);
/// The system account holding the notes a call creates (never persisted).
pub const SYS_NOTES: Address = sys_address(2);

/// A word of a SERO table.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum SysKey {
    Book(Address, Currency),
    Ticket(Ticket),
    TokenOwner(Currency),
    CategoryOwner(Category),
    RateTokens(Address, Currency),
    RateTa(Address, Currency),
    Short(Address, u8),
    TicketNonce(Address),
    /// 1 once a package is opened (its record lives in the view).
    PackageOpened([u8; 32]),
}

/// Ticket word: 0 unknown, 1 held as a note, HELD_FLAG | contract.
const TICKET_IN_NOTES: u64 = 1;
fn held_flag() -> U256 {
    U256::from(1u8) << 200
}

impl SysKey {
    pub(crate) fn state_key(&self) -> StateKey {
        match self {
            SysKey::Book(a, c) => StateKey::Book(*a, *c),
            SysKey::Ticket(t) => StateKey::Ticket(*t),
            SysKey::TokenOwner(c) => StateKey::TokenOwner(*c),
            SysKey::CategoryOwner(c) => StateKey::CategoryOwner(*c),
            SysKey::RateTokens(a, c) | SysKey::RateTa(a, c) => StateKey::Rate(*a, *c),
            SysKey::Short(a, _) => StateKey::ShortAddr(*a),
            SysKey::TicketNonce(a) => StateKey::TicketNonce(*a),
            SysKey::PackageOpened(id) => StateKey::Package(*id),
        }
    }

    /// The word's value in `view` (the state before execution).
    pub(crate) fn read<V: StateView>(&self, view: &V) -> Result<U256, ViewError> {
        Ok(match self {
            SysKey::Book(a, c) => view.book(a, c)?,
            SysKey::Ticket(t) => ticket_word(view.ticket(t)?),
            SysKey::TokenOwner(c) => view
                .token_owner(c)?
                .map(|a| addr_to_u256(&a))
                .unwrap_or_default(),
            SysKey::CategoryOwner(c) => view
                .category_owner(c)?
                .map(|a| addr_to_u256(&a))
                .unwrap_or_default(),
            SysKey::RateTokens(a, c) => view.token_rate(a, c)?.map(|r| r.0).unwrap_or_default(),
            SysKey::RateTa(a, c) => view.token_rate(a, c)?.map(|r| r.1).unwrap_or_default(),
            SysKey::Short(a, i) => match view.short_pkr(a)? {
                Some(p) => {
                    let i = *i as usize * 32;
                    U256::from_be_slice(&p[i..i + 32])
                }
                None => U256::ZERO,
            },
            SysKey::TicketNonce(a) => U256::from(view.ticket_nonce(a)?),
            SysKey::PackageOpened(id) => {
                U256::from(view.package(id)?.is_some_and(|r| r.opened) as u8)
            }
        })
    }
}

pub(crate) fn ticket_word(s: TicketState) -> U256 {
    match s {
        TicketState::Unknown => U256::ZERO,
        TicketState::InNotes => U256::from(TICKET_IN_NOTES),
        TicketState::Held(a) => held_flag() | addr_to_u256(&a),
    }
}

pub(crate) fn ticket_state(w: U256) -> TicketState {
    if w.is_zero() {
        TicketState::Unknown
    } else if w == U256::from(TICKET_IN_NOTES) {
        TicketState::InNotes
    } else {
        TicketState::Held(u256_to_addr(&w))
    }
}

/// Builds the typed value of `key` from its words (`word(i)` gives word i).
pub(crate) fn typed_value(
    key: &StateKey,
    mut word: impl FnMut(&SysKey) -> Result<U256, ViewError>,
) -> Result<Option<StateValue>, ViewError> {
    Ok(match key {
        StateKey::Book(a, c) => {
            let w = word(&SysKey::Book(*a, *c))?;
            (!w.is_zero()).then_some(StateValue::Word(w))
        }
        StateKey::Ticket(t) => match ticket_state(word(&SysKey::Ticket(*t))?) {
            TicketState::Unknown => None,
            TicketState::InNotes => Some(StateValue::TicketHolder(None)),
            TicketState::Held(a) => Some(StateValue::TicketHolder(Some(a))),
        },
        StateKey::TokenOwner(c) => {
            let w = word(&SysKey::TokenOwner(*c))?;
            (!w.is_zero()).then(|| StateValue::Owner(u256_to_addr(&w)))
        }
        StateKey::CategoryOwner(c) => {
            let w = word(&SysKey::CategoryOwner(*c))?;
            (!w.is_zero()).then(|| StateValue::Owner(u256_to_addr(&w)))
        }
        StateKey::Rate(a, c) => {
            let tokens = word(&SysKey::RateTokens(*a, *c))?;
            let ta = word(&SysKey::RateTa(*a, *c))?;
            (!(tokens.is_zero() && ta.is_zero())).then_some(StateValue::Rate { tokens, ta })
        }
        StateKey::ShortAddr(a) => {
            let mut p = [0u8; 96];
            for i in 0..3u8 {
                let w = word(&SysKey::Short(*a, i))?;
                p[i as usize * 32..(i as usize + 1) * 32].copy_from_slice(&w.to_be_bytes::<32>());
            }
            (p != [0u8; 96]).then_some(StateValue::Pkr(p))
        }
        StateKey::TicketNonce(a) => {
            let w = word(&SysKey::TicketNonce(*a))?;
            (!w.is_zero()).then(|| StateValue::Nonce(w.saturating_u64()))
        }
        _ => None,
    })
}

/// Analysed code (the jump table revm builds before running it) by code
/// hash, kept per thread across executions: code is stored by its hash, so
/// the same hash always means the same bytes and the same analysis. The
/// bytes are still read from the view every time (a missing code stays an
/// error); only the analysis is reused.
fn analyzed(code_hash: B256, bytes: revm::primitives::Bytes) -> Bytecode {
    use std::cell::RefCell;
    /// Codes kept per thread (at most 24 KiB each under EIP-170 sizes).
    const KEEP: usize = 256;
    thread_local! {
        static CODES: RefCell<HashMap<B256, Bytecode>> = RefCell::new(HashMap::default());
    }
    CODES.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(b) = c.get(&code_hash) {
            if b.original_byte_slice() == &bytes[..] {
                return b.clone();
            }
        }
        // Always legacy code, as under SPEC (go-sero's Byzantium table):
        // code that starts with EIP-7702's 0xef01 is no delegation, and
        // `Bytecode::new_raw` would panic on a malformed one (found by the
        // `evm_engine` fuzz target: deployable code took every node down).
        let b = Bytecode::new_legacy(bytes);
        if c.len() >= KEEP {
            c.clear();
        }
        c.insert(code_hash, b.clone());
        b
    })
}

/// revm's database over a [`StateView`].
#[derive(Debug)]
pub struct SeroDb<V> {
    pub(crate) view: V,
    /// The word of slot `i + 1` of [`SYS_STATE`].
    pub(crate) preimages: Vec<SysKey>,
    /// The slot of each word touched so far.
    pub(crate) slots: HashMap<SysKey, U256>,
}

impl<V: StateView> SeroDb<V> {
    pub(crate) fn new(view: V) -> Self {
        SeroDb {
            view,
            preimages: Vec::new(),
            slots: HashMap::default(),
        }
    }

    /// The slot of `key` in [`SYS_STATE`], numbered on first use.
    pub(crate) fn slot_of(&mut self, key: SysKey) -> U256 {
        if let Some(s) = self.slots.get(&key) {
            return *s;
        }
        self.preimages.push(key.clone());
        let s = U256::from(self.preimages.len());
        self.slots.insert(key, s);
        s
    }

    /// The word behind a slot of [`SYS_STATE`].
    pub(crate) fn preimage(&self, slot: &U256) -> Option<&SysKey> {
        let i = usize::try_from(*slot).ok()?.checked_sub(1)?;
        self.preimages.get(i)
    }
}

impl<V: StateView> Database for SeroDb<V> {
    type Error = ViewError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, ViewError> {
        if address == SYS_STATE || address == SYS_NOTES {
            // non-empty so that no state-clear rule ever touches them
            return Ok(Some(AccountInfo {
                nonce: 1,
                ..Default::default()
            }));
        }
        let Some((nonce, code_hash)) = self.view.account(&address)? else {
            return Ok(None);
        };
        let code = if code_hash == KECCAK_EMPTY {
            Bytecode::default()
        } else {
            let bytes = self.view.code(&code_hash)?.ok_or_else(|| {
                ViewError::Corrupt(format!("code {code_hash} of {address} missing"))
            })?;
            analyzed(code_hash, bytes)
        };
        Ok(Some(AccountInfo {
            nonce,
            balance: U256::ZERO,
            code_hash,
            code: Some(code),
            ..Default::default()
        }))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, ViewError> {
        if code_hash == KECCAK_EMPTY {
            return Ok(Bytecode::default());
        }
        let bytes = self
            .view
            .code(&code_hash)?
            .ok_or_else(|| ViewError::Corrupt(format!("code {code_hash} missing")))?;
        Ok(analyzed(code_hash, bytes))
    }

    fn storage(&mut self, address: Address, index: U256) -> Result<U256, ViewError> {
        if address == SYS_NOTES {
            return Ok(U256::ZERO);
        }
        if address == SYS_STATE {
            return match self.preimage(&index) {
                Some(k) => k.read(&self.view),
                None => Ok(U256::ZERO),
            };
        }
        self.view.storage(&address, &index)
    }

    fn block_hash(&mut self, _number: u64) -> Result<B256, ViewError> {
        Ok(B256::ZERO)
    }
}

/// What a frame carries or a move transfers: an optional token amount and
/// an optional ticket.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Value {
    pub token: Option<(Currency, U256)>,
    pub ticket: Option<Ticket>,
}

impl Value {
    pub fn is_empty(&self) -> bool {
        self.token.is_none() && self.ticket.is_none()
    }
    pub fn amount(&self) -> U256 {
        self.token.map(|t| t.1).unwrap_or_default()
    }
}

/// An asset armed by `sero_setCallValues` for the next CALL.
#[derive(Clone, Debug)]
pub(crate) struct Armed {
    pub value: Value,
    /// A name that cannot exist: the CALL fails (returns 0).
    pub invalid: bool,
}

/// A move the next frame performs inside its checkpoint.
#[derive(Clone, Debug)]
pub(crate) struct PendingMove {
    pub from: Address,
    pub to: Address,
    pub value: Value,
}

/// A system call waiting for the fallback frame it started.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Resume {
    /// `send`: write the success bool at `out`.
    Send { out: usize },
    /// `allotTicket`: write `id` at `out` (always when `minted`, else only
    /// when the transfer succeeded).
    Allot {
        out: usize,
        id: [u8; 32],
        minted: bool,
    },
}

/// Per-transaction scratch of the SERO hooks (not journaled: indexed by the
/// journal depth of the frame it belongs to).
#[derive(Debug, Default)]
pub struct SeroChain {
    pub(crate) issue_fee: U256,
    pub(crate) tx_hash: [u8; 32],
    /// The network's chain id (genesis hash): packages are sealed to it.
    pub(crate) network: [u8; 32],
    pub(crate) frame_assets: Vec<Option<Value>>,
    pub(crate) armed: Vec<Option<Armed>>,
    pub(crate) resume: Vec<Option<Resume>>,
    pub(crate) next_call: Option<PendingMove>,
    /// The top-level call's asset, for the first pass through the frame hook.
    pub(crate) top_pending: Option<Option<Value>>,
    /// The last SERO halt and the journal depth where it happened.
    pub(crate) halt: Option<(usize, SeroHalt)>,
}

fn slot_mut<T: Default>(v: &mut Vec<T>, i: usize) -> &mut T {
    if v.len() <= i {
        v.resize_with(i + 1, T::default);
    }
    &mut v[i]
}

impl SeroChain {
    pub(crate) fn frame_asset(&self, depth: usize) -> Option<&Value> {
        self.frame_assets.get(depth).and_then(|v| v.as_ref())
    }
    pub(crate) fn set_frame_asset(&mut self, depth: usize, v: Option<Value>) {
        *slot_mut(&mut self.frame_assets, depth) = v;
    }
    pub(crate) fn take_armed(&mut self, depth: usize) -> Option<Armed> {
        self.armed.get_mut(depth).and_then(|a| a.take())
    }
    pub(crate) fn set_armed(&mut self, depth: usize, a: Option<Armed>) {
        *slot_mut(&mut self.armed, depth) = a;
    }
    pub(crate) fn take_resume(&mut self, depth: usize) -> Option<Resume> {
        self.resume.get_mut(depth).and_then(|a| a.take())
    }
    pub(crate) fn set_resume(&mut self, depth: usize, r: Option<Resume>) {
        *slot_mut(&mut self.resume, depth) = r;
    }
    /// A new frame starts at `depth`: nothing of an older sibling survives.
    pub(crate) fn start_frame(&mut self, depth: usize, asset: Option<Value>) {
        self.set_frame_asset(depth, asset);
        self.set_armed(depth, None);
        self.set_resume(depth, None);
    }
}

/// The revm context of SERO execution.
pub type SeroCtx<V> = Context<BlockEnv, TxEnv, CfgEnv, SeroDb<V>, Journal<SeroDb<V>>, SeroChain>;

/// Journaled access to the SERO tables.
pub(crate) struct Tables;

impl Tables {
    pub(crate) fn get<V: StateView>(ctx: &mut SeroCtx<V>, key: SysKey) -> Result<U256, ViewError> {
        use revm::context_interface::JournalTr;
        let slot = ctx.journaled_state.db_mut().slot_of(key);
        ctx.journaled_state.load_account(SYS_STATE)?;
        Ok(ctx.journaled_state.sload(SYS_STATE, slot)?.data)
    }

    pub(crate) fn set<V: StateView>(
        ctx: &mut SeroCtx<V>,
        key: SysKey,
        value: U256,
    ) -> Result<(), ViewError> {
        use revm::context_interface::JournalTr;
        let slot = ctx.journaled_state.db_mut().slot_of(key);
        ctx.journaled_state.load_account(SYS_STATE)?;
        ctx.journaled_state.sstore(SYS_STATE, slot, value)?;
        Ok(())
    }

    pub(crate) fn short_pkr<V: StateView>(
        ctx: &mut SeroCtx<V>,
        short: Address,
    ) -> Result<Option<[u8; 96]>, ViewError> {
        let mut p = [0u8; 96];
        for i in 0..3u8 {
            let w = Self::get(ctx, SysKey::Short(short, i))?;
            p[i as usize * 32..(i as usize + 1) * 32].copy_from_slice(&w.to_be_bytes::<32>());
        }
        Ok((p != [0u8; 96]).then_some(p))
    }

    pub(crate) fn set_short_pkr<V: StateView>(
        ctx: &mut SeroCtx<V>,
        short: Address,
        pkr: &[u8; 96],
    ) -> Result<(), ViewError> {
        for i in 0..3u8 {
            let w = U256::from_be_slice(&pkr[i as usize * 32..(i as usize + 1) * 32]);
            Self::set(ctx, SysKey::Short(short, i), w)?;
        }
        Ok(())
    }

    /// Appends a note (journaled: a reverted frame drops it).
    pub(crate) fn push_note<V: StateView>(
        ctx: &mut SeroCtx<V>,
        pkr: &[u8; 96],
        value: &Value,
    ) -> Result<(), ViewError> {
        use revm::context_interface::JournalTr;
        let j = &mut ctx.journaled_state;
        j.load_account(SYS_NOTES)?;
        let n = j.sload(SYS_NOTES, U256::ZERO)?.data;
        let base = U256::from(1u8) + n * U256::from(NOTE_WORDS);
        let (cur, amt) = value.token.unwrap_or((Currency::sero(), U256::ZERO));
        let words: [U256; NOTE_WORDS] = [
            U256::from_be_slice(&pkr[..32]),
            U256::from_be_slice(&pkr[32..64]),
            U256::from_be_slice(&pkr[64..]),
            U256::from_be_bytes(cur.to_bytes()),
            amt,
            value
                .ticket
                .map(|t| U256::from_be_bytes(t.category.to_bytes()))
                .unwrap_or_default(),
            value
                .ticket
                .map(|t| U256::from_be_bytes(t.id.0))
                .unwrap_or_default(),
            U256::from(value.ticket.is_some() as u8),
        ];
        for (i, w) in words.iter().enumerate() {
            j.sstore(SYS_NOTES, base + U256::from(i), *w)?;
        }
        j.sstore(SYS_NOTES, U256::ZERO, n + U256::from(1u8))?;
        Ok(())
    }

    /// Moves `value` between two contract books (journaled). `Ok(false)`
    /// if `from` lacks the amount or the ticket, or `to` would overflow.
    pub(crate) fn move_value<V: StateView>(
        ctx: &mut SeroCtx<V>,
        from: Address,
        to: Address,
        value: &Value,
    ) -> Result<bool, ViewError> {
        if !Self::can_pay(ctx, from, value)? {
            return Ok(false);
        }
        if let Some((cur, amt)) = value.token {
            let b_to = Self::get(ctx, SysKey::Book(to, cur))?;
            if from != to && b_to.checked_add(amt).is_none() {
                return Ok(false);
            }
            let b_from = Self::get(ctx, SysKey::Book(from, cur))?;
            Self::set(ctx, SysKey::Book(from, cur), b_from - amt)?;
            let b_to = Self::get(ctx, SysKey::Book(to, cur))?;
            Self::set(ctx, SysKey::Book(to, cur), b_to + amt)?;
        }
        if let Some(t) = value.ticket {
            Self::set(ctx, SysKey::Ticket(t), ticket_word(TicketState::Held(to)))?;
        }
        Ok(true)
    }

    /// Whether `from`'s book holds `value`.
    pub(crate) fn can_pay<V: StateView>(
        ctx: &mut SeroCtx<V>,
        from: Address,
        value: &Value,
    ) -> Result<bool, ViewError> {
        if let Some((cur, amt)) = value.token {
            if Self::get(ctx, SysKey::Book(from, cur))? < amt {
                return Ok(false);
            }
        }
        if let Some(t) = value.ticket {
            if ticket_state(Self::get(ctx, SysKey::Ticket(t))?) != TicketState::Held(from) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Debits `from` and records a note of `value` for `pkr`. `Ok(false)`
    /// (nothing changed) if the book lacks it or the amount exceeds a note's
    /// 128-bit value.
    pub(crate) fn pay_note<V: StateView>(
        ctx: &mut SeroCtx<V>,
        from: Address,
        pkr: &[u8; 96],
        value: &Value,
    ) -> Result<bool, ViewError> {
        if value.amount() > U256::from(u128::MAX) || !Self::can_pay(ctx, from, value)? {
            return Ok(false);
        }
        if let Some((cur, amt)) = value.token {
            let b = Self::get(ctx, SysKey::Book(from, cur))?;
            Self::set(ctx, SysKey::Book(from, cur), b - amt)?;
        }
        if let Some(t) = value.ticket {
            Self::set(ctx, SysKey::Ticket(t), ticket_word(TicketState::InNotes))?;
        }
        if !value.is_empty() {
            Self::push_note(ctx, pkr, value)?;
        }
        Ok(true)
    }
}

impl Tables {
    /// Package `id` as the state before execution stores it, and whether
    /// it is opened now (journaled).
    pub(crate) fn package<V: StateView>(
        ctx: &mut SeroCtx<V>,
        id: &[u8; 32],
    ) -> Result<Option<(sero_assets::package::PackageRecord, bool)>, ViewError> {
        use revm::context_interface::JournalTr;
        let Some(r) = ctx.journaled_state.db_mut().view.package(id)? else {
            return Ok(None);
        };
        let opened = !Self::get(ctx, SysKey::PackageOpened(*id))?.is_zero();
        Ok(Some((r, opened)))
    }
}

/// Words per pending note in [`SYS_NOTES`]: PKr (3), currency, amount,
/// category, ticket id, has-ticket flag.
pub(crate) const NOTE_WORDS: usize = 8;

pub(crate) fn ticket_from_words(cat: U256, id: U256) -> Option<Ticket> {
    Some(Ticket {
        category: Category::from_bytes(&cat.to_be_bytes::<32>()).ok()?,
        id: TicketId(id.to_be_bytes::<32>()),
    })
}
