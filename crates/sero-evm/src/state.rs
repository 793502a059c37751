//! Contract account state: typed keys and values, the read trait the engine
//! executes against, change sets (with old values, for undo), an in-memory
//! implementation for tests and the state root.
//!
//! Byte layouts (also in `docs/contracts.md`). Keys: one kind byte, then
//! fixed-width fields; values: fixed-width big-endian fields.
//!
//! | kind | key | value |
//! |---|---|---|
//! | 0x01 account | address (20) | nonce (8) ‖ code hash keccak256 (32) |
//! | 0x02 code | code hash (32) | code bytes |
//! | 0x03 storage | address (20) ‖ slot (32) | word (32), never zero |
//! | 0x04 book | contract (20) ‖ currency (32) | balance (32), never zero |
//! | 0x05 ticket | category (32) ‖ id (32) | 0x00 (held as a note) or 0x01 ‖ contract (20) |
//! | 0x06 token registry | currency (32) | registrant contract (20) |
//! | 0x07 category registry | category (32) | registrant contract (20) |
//! | 0x08 token rate | contract (20) ‖ currency (32) | tokens (32) ‖ ta (32) |
//! | 0x09 short address | short (20) | PKr (96) |
//! | 0x0a ticket nonce | contract (20) | next nonce (8) |
//! | 0x0b contract nonce | (none) | last nonce used (8) |
//! | 0x0c package | id (32) | opened (1) ‖ height (8) ‖ creator (20) ‖ C_pkg (32) ‖ ciphertext |

use crate::error::ViewError;
use revm::primitives::{Address, Bytes, B256, U256};
use sero_assets::{Category, Currency, Ticket, TicketId};
use std::collections::BTreeMap;

/// A key of the contract account state.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StateKey {
    /// A contract account (nonce and code hash). Accounts without code are
    /// not stored.
    Account(Address),
    /// Code by its keccak256 hash.
    Code(B256),
    /// A storage slot of a contract.
    Storage(Address, U256),
    /// The balance of `currency` in a contract's book.
    Book(Address, Currency),
    /// Where a ticket is; absent if it never existed.
    Ticket(Ticket),
    /// The contract that registered a token name.
    TokenOwner(Currency),
    /// The contract that registered a ticket category.
    CategoryOwner(Category),
    /// A contract's rate for paying gas in `currency`.
    Rate(Address, Currency),
    /// The PKr behind a short address.
    ShortAddr(Address),
    /// The next ticket nonce of a contract.
    TicketNonce(Address),
    /// The global contract nonce (the last one used).
    ContractNonce,
    /// A package (`sero_assets::package`), sealed or opened.
    Package([u8; 32]),
}

/// A value of the contract account state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateValue {
    Account {
        nonce: u64,
        code_hash: B256,
    },
    Code(Bytes),
    /// A storage word or a book balance.
    Word(U256),
    /// `None`: the ticket exists but is held as a note; `Some(c)`: contract `c` holds it.
    TicketHolder(Option<Address>),
    /// A registrant contract.
    Owner(Address),
    Rate {
        tokens: U256,
        ta: U256,
    },
    Pkr([u8; 96]),
    Nonce(u64),
    Package(sero_assets::package::PackageRecord),
}

/// Where [`StateKey::encode_into`] writes.
trait KeyOut {
    fn push(&mut self, b: u8);
    fn extend_from_slice(&mut self, s: &[u8]);
}

impl KeyOut for Vec<u8> {
    fn push(&mut self, b: u8) {
        Vec::push(self, b)
    }
    fn extend_from_slice(&mut self, s: &[u8]) {
        Vec::extend_from_slice(self, s)
    }
}

impl StateKey {
    /// The canonical key bytes (the order of the state root and of the store).
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(65);
        self.encode_into(&mut v);
        v
    }

    /// [`StateKey::encode`] into a buffer on the stack (at most 65 bytes):
    /// for lookups, which need no allocation.
    pub fn encode_array(&self) -> ([u8; 65], usize) {
        struct Buf([u8; 65], usize);
        impl KeyOut for Buf {
            fn push(&mut self, b: u8) {
                self.0[self.1] = b;
                self.1 += 1;
            }
            fn extend_from_slice(&mut self, s: &[u8]) {
                self.0[self.1..self.1 + s.len()].copy_from_slice(s);
                self.1 += s.len();
            }
        }
        let mut b = Buf([0; 65], 0);
        self.encode_into(&mut b);
        (b.0, b.1)
    }

    fn encode_into<O: KeyOut>(&self, v: &mut O) {
        match self {
            StateKey::Account(a) => {
                v.push(0x01);
                v.extend_from_slice(a.as_slice());
            }
            StateKey::Code(h) => {
                v.push(0x02);
                v.extend_from_slice(h.as_slice());
            }
            StateKey::Storage(a, k) => {
                v.push(0x03);
                v.extend_from_slice(a.as_slice());
                v.extend_from_slice(&k.to_be_bytes::<32>());
            }
            StateKey::Book(a, c) => {
                v.push(0x04);
                v.extend_from_slice(a.as_slice());
                v.extend_from_slice(&c.to_bytes());
            }
            StateKey::Ticket(t) => {
                v.push(0x05);
                v.extend_from_slice(&t.category.to_bytes());
                v.extend_from_slice(&t.id.0);
            }
            StateKey::TokenOwner(c) => {
                v.push(0x06);
                v.extend_from_slice(&c.to_bytes());
            }
            StateKey::CategoryOwner(c) => {
                v.push(0x07);
                v.extend_from_slice(&c.to_bytes());
            }
            StateKey::Rate(a, c) => {
                v.push(0x08);
                v.extend_from_slice(a.as_slice());
                v.extend_from_slice(&c.to_bytes());
            }
            StateKey::ShortAddr(a) => {
                v.push(0x09);
                v.extend_from_slice(a.as_slice());
            }
            StateKey::TicketNonce(a) => {
                v.push(0x0a);
                v.extend_from_slice(a.as_slice());
            }
            StateKey::ContractNonce => v.push(0x0b),
            StateKey::Package(id) => {
                v.push(0x0c);
                v.extend_from_slice(id);
            }
        }
    }

    /// Decodes [`StateKey::encode`].
    pub fn decode(b: &[u8]) -> Result<Self, ViewError> {
        let bad = || ViewError::Corrupt(format!("state key {}", hex::encode(b)));
        let (&kind, rest) = b.split_first().ok_or_else(bad)?;
        let addr = |r: &[u8]| Address::from_slice(&r[..20]);
        let w32 = |r: &[u8]| -> [u8; 32] { r[..32].try_into().expect("32 bytes") };
        let need = |n: usize| if rest.len() == n { Ok(()) } else { Err(bad()) };
        Ok(match kind {
            0x01 => {
                need(20)?;
                StateKey::Account(addr(rest))
            }
            0x02 => {
                need(32)?;
                StateKey::Code(B256::from(w32(rest)))
            }
            0x03 => {
                need(52)?;
                StateKey::Storage(addr(rest), U256::from_be_bytes(w32(&rest[20..])))
            }
            0x04 => {
                need(52)?;
                StateKey::Book(
                    addr(rest),
                    Currency::from_bytes(&w32(&rest[20..])).map_err(|_| bad())?,
                )
            }
            0x05 => {
                need(64)?;
                StateKey::Ticket(Ticket {
                    category: Category::from_bytes(&w32(rest)).map_err(|_| bad())?,
                    id: TicketId(w32(&rest[32..])),
                })
            }
            0x06 => {
                need(32)?;
                StateKey::TokenOwner(Currency::from_bytes(&w32(rest)).map_err(|_| bad())?)
            }
            0x07 => {
                need(32)?;
                StateKey::CategoryOwner(Category::from_bytes(&w32(rest)).map_err(|_| bad())?)
            }
            0x08 => {
                need(52)?;
                StateKey::Rate(
                    addr(rest),
                    Currency::from_bytes(&w32(&rest[20..])).map_err(|_| bad())?,
                )
            }
            0x09 => {
                need(20)?;
                StateKey::ShortAddr(addr(rest))
            }
            0x0a => {
                need(20)?;
                StateKey::TicketNonce(addr(rest))
            }
            0x0b => {
                need(0)?;
                StateKey::ContractNonce
            }
            0x0c => {
                need(32)?;
                StateKey::Package(w32(rest))
            }
            _ => return Err(bad()),
        })
    }
}

impl StateValue {
    /// The canonical value bytes.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            StateValue::Account { nonce, code_hash } => {
                let mut v = nonce.to_be_bytes().to_vec();
                v.extend_from_slice(code_hash.as_slice());
                v
            }
            StateValue::Code(c) => c.to_vec(),
            StateValue::Word(w) => w.to_be_bytes::<32>().to_vec(),
            StateValue::TicketHolder(None) => vec![0],
            StateValue::TicketHolder(Some(a)) => {
                let mut v = vec![1];
                v.extend_from_slice(a.as_slice());
                v
            }
            StateValue::Owner(a) => a.to_vec(),
            StateValue::Rate { tokens, ta } => {
                let mut v = tokens.to_be_bytes::<32>().to_vec();
                v.extend_from_slice(&ta.to_be_bytes::<32>());
                v
            }
            StateValue::Pkr(p) => p.to_vec(),
            StateValue::Nonce(n) => n.to_be_bytes().to_vec(),
            StateValue::Package(r) => r.encode(),
        }
    }

    /// Decodes a value stored under `key`.
    pub fn decode(key: &StateKey, b: &[u8]) -> Result<Self, ViewError> {
        let bad = || ViewError::Corrupt(format!("state value {}", hex::encode(b)));
        let need = |n: usize| if b.len() == n { Ok(()) } else { Err(bad()) };
        let w = |r: &[u8]| U256::from_be_slice(&r[..32]);
        Ok(match key {
            StateKey::Account(_) => {
                need(40)?;
                StateValue::Account {
                    nonce: u64::from_be_bytes(b[..8].try_into().expect("8")),
                    code_hash: B256::from_slice(&b[8..]),
                }
            }
            StateKey::Code(_) => StateValue::Code(Bytes::copy_from_slice(b)),
            StateKey::Storage(..) | StateKey::Book(..) => {
                need(32)?;
                StateValue::Word(w(b))
            }
            StateKey::Ticket(_) => match b {
                [0] => StateValue::TicketHolder(None),
                [1, rest @ ..] if rest.len() == 20 => {
                    StateValue::TicketHolder(Some(Address::from_slice(rest)))
                }
                _ => return Err(bad()),
            },
            StateKey::TokenOwner(_) | StateKey::CategoryOwner(_) => {
                need(20)?;
                StateValue::Owner(Address::from_slice(b))
            }
            StateKey::Rate(..) => {
                need(64)?;
                StateValue::Rate {
                    tokens: w(b),
                    ta: w(&b[32..]),
                }
            }
            StateKey::ShortAddr(_) => {
                need(96)?;
                StateValue::Pkr(b.try_into().expect("96"))
            }
            StateKey::TicketNonce(_) | StateKey::ContractNonce => {
                need(8)?;
                StateValue::Nonce(u64::from_be_bytes(b.try_into().expect("8")))
            }
            StateKey::Package(_) => {
                StateValue::Package(sero_assets::package::PackageRecord::decode(b).ok_or_else(bad)?)
            }
        })
    }
}

/// One state change: `old` is the value before (for undo), `new` after;
/// `None` means absent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub key: StateKey,
    pub old: Option<StateValue>,
    pub new: Option<StateValue>,
}

/// The state changes of one execution, sorted by encoded key, each key once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeSet {
    pub changes: Vec<Change>,
}

impl ChangeSet {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The new value of `key` if this set changes it.
    pub fn get(&self, key: &StateKey) -> Option<&Change> {
        self.changes.iter().find(|c| &c.key == key)
    }

    pub(crate) fn push(&mut self, key: StateKey, old: Option<StateValue>, new: Option<StateValue>) {
        if old != new {
            self.changes.push(Change { key, old, new });
        }
    }

    pub(crate) fn finish(&mut self) {
        // The derived order of `StateKey` is the order of its encoding
        // (variants in kind order, fields big-endian): no encoding needed.
        self.changes.sort_by(|a, b| a.key.cmp(&b.key));
        self.changes.dedup_by(|b, a| {
            // keep the first old and the last new of a key
            if a.key == b.key {
                a.new = b.new.take();
                true
            } else {
                false
            }
        });
        self.changes.retain(|c| c.old != c.new);
    }
}

/// Where a ticket is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketState {
    /// Never minted or brought in.
    Unknown,
    /// Exists, held as a note (outside every contract).
    InNotes,
    /// Held by this contract.
    Held(Address),
}

/// Read access to the contract account state (the node implements `get`
/// over its store; the typed helpers follow).
pub trait StateView {
    /// The value under `key`, if any.
    fn get(&self, key: &StateKey) -> Result<Option<StateValue>, ViewError>;

    fn account(&self, a: &Address) -> Result<Option<(u64, B256)>, ViewError> {
        Ok(match self.get(&StateKey::Account(*a))? {
            Some(StateValue::Account { nonce, code_hash }) => Some((nonce, code_hash)),
            _ => None,
        })
    }
    fn code(&self, h: &B256) -> Result<Option<Bytes>, ViewError> {
        Ok(match self.get(&StateKey::Code(*h))? {
            Some(StateValue::Code(c)) => Some(c),
            _ => None,
        })
    }
    fn storage(&self, a: &Address, k: &U256) -> Result<U256, ViewError> {
        word(self.get(&StateKey::Storage(*a, *k))?)
    }
    fn book(&self, a: &Address, c: &Currency) -> Result<U256, ViewError> {
        word(self.get(&StateKey::Book(*a, *c))?)
    }
    fn ticket(&self, t: &Ticket) -> Result<TicketState, ViewError> {
        Ok(match self.get(&StateKey::Ticket(*t))? {
            Some(StateValue::TicketHolder(Some(a))) => TicketState::Held(a),
            Some(_) => TicketState::InNotes,
            None => TicketState::Unknown,
        })
    }
    fn token_owner(&self, c: &Currency) -> Result<Option<Address>, ViewError> {
        owner(self.get(&StateKey::TokenOwner(*c))?)
    }
    fn category_owner(&self, c: &Category) -> Result<Option<Address>, ViewError> {
        owner(self.get(&StateKey::CategoryOwner(*c))?)
    }
    /// `(tokens, ta)` as set by `sero_setTokenRate`.
    fn token_rate(&self, a: &Address, c: &Currency) -> Result<Option<(U256, U256)>, ViewError> {
        Ok(match self.get(&StateKey::Rate(*a, *c))? {
            Some(StateValue::Rate { tokens, ta }) => Some((tokens, ta)),
            _ => None,
        })
    }
    fn short_pkr(&self, a: &Address) -> Result<Option<[u8; 96]>, ViewError> {
        Ok(match self.get(&StateKey::ShortAddr(*a))? {
            Some(StateValue::Pkr(p)) => Some(p),
            _ => None,
        })
    }
    fn ticket_nonce(&self, a: &Address) -> Result<u64, ViewError> {
        nonce(self.get(&StateKey::TicketNonce(*a))?)
    }
    fn contract_nonce(&self) -> Result<u64, ViewError> {
        nonce(self.get(&StateKey::ContractNonce)?)
    }
    fn package(
        &self,
        id: &[u8; 32],
    ) -> Result<Option<sero_assets::package::PackageRecord>, ViewError> {
        Ok(match self.get(&StateKey::Package(*id))? {
            Some(StateValue::Package(r)) => Some(r),
            _ => None,
        })
    }
}

fn word(v: Option<StateValue>) -> Result<U256, ViewError> {
    Ok(match v {
        Some(StateValue::Word(w)) => w,
        _ => U256::ZERO,
    })
}
fn owner(v: Option<StateValue>) -> Result<Option<Address>, ViewError> {
    Ok(match v {
        Some(StateValue::Owner(a)) => Some(a),
        _ => None,
    })
}
fn nonce(v: Option<StateValue>) -> Result<u64, ViewError> {
    Ok(match v {
        Some(StateValue::Nonce(n)) => n,
        _ => 0,
    })
}

impl<T: StateView + ?Sized> StateView for &T {
    fn get(&self, key: &StateKey) -> Result<Option<StateValue>, ViewError> {
        (**self).get(key)
    }
}

/// The in-memory state (tests, benchmarks, `eth_call` scratch state).
///
/// Ordered by `StateKey`'s derived order, which is the order of the
/// encoded key bytes (variants in kind order, fields big-endian; a test
/// checks it): lookups need no encoding, iteration is in state-root order.
#[derive(Clone, Debug, Default)]
pub struct MemState {
    entries: BTreeMap<StateKey, StateValue>,
}

impl MemState {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets (or with `None` removes) one entry.
    pub fn set(&mut self, key: StateKey, value: Option<StateValue>) {
        match value {
            Some(v) => {
                self.entries.insert(key, v);
            }
            None => {
                self.entries.remove(&key);
            }
        }
    }

    /// Applies a change set (its `new` values).
    pub fn apply(&mut self, cs: &ChangeSet) {
        for c in &cs.changes {
            if let Some(new) = &c.new {
                if let Some(e) = self.entries.get_mut(&c.key) {
                    *e = new.clone();
                    continue;
                }
            }
            self.set(c.key.clone(), c.new.clone());
        }
    }

    /// Undoes a change set applied last (its `old` values).
    pub fn undo(&mut self, cs: &ChangeSet) {
        for c in cs.changes.iter().rev() {
            self.set(c.key.clone(), c.old.clone());
        }
    }

    /// Every entry in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&StateKey, &StateValue)> {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The state root of this state (see [`state_root`]).
    pub fn state_root(&self) -> [u8; 32] {
        state_root(self.entries.iter().map(|(k, v)| (k.encode(), v.encode())))
    }
}

impl StateView for MemState {
    fn get(&self, key: &StateKey) -> Result<Option<StateValue>, ViewError> {
        Ok(self.entries.get(key).cloned())
    }
}

/// The state root of `entries` (each key once, any order): the root of
/// their [`LtHash`](crate::root::LtHash) accumulator (`docs/contracts.md`
/// §6). Nodes keep the accumulator and update it by the changed entries
/// only.
pub fn state_root(entries: impl IntoIterator<Item = (Vec<u8>, Vec<u8>)>) -> [u8; 32] {
    crate::root::LtHash::of(entries).root()
}
