//! SERO's instruction-table entries: LOGn with a system topic, CALL with
//! assets, BALANCE = 0, CREATE/CREATE2/SELFDESTRUCT disabled.

use crate::address::u256_to_addr;
use crate::engine::{Armed, PendingMove, Resume, SeroCtx, SysKey, Tables, Value};
use crate::error::{SeroHalt, ViewError};
use crate::names;
use crate::state::{StateView, TicketState};
use crate::U256Ext;
use revm::bytecode::opcode;
use revm::context::ContextError;
use revm::context_interface::JournalTr;
use revm::handler::instructions::EthInstructions;
use revm::interpreter::instructions::{contract::call, host::log};
use revm::interpreter::interpreter::EthInterpreter;
use revm::interpreter::interpreter_types::{
    InputsTr, Jumps, LoopControl, MemoryTr, ReturnData, RuntimeFlag,
};
use revm::interpreter::{
    CallInput, CallInputs, CallScheme, CallValue, FrameInput, Host, Instruction,
    InstructionContext, InstructionResult, InterpreterAction,
};
use revm::primitives::{Address, Bytes, U256};
use sero_assets::{Ticket, TicketId};

type Ictx<'a, V> = InstructionContext<'a, SeroCtx<V>, EthInterpreter>;
type R = Result<(), InstructionResult>;

/// Extra gas of `send` and of CALLs carrying an asset.
pub const SEND_GAS: u64 = 9000;
/// Extra gas kept by `allotTicket` when it mints.
pub const MINT_GAS: u64 = 250_000;
/// Extra gas of `closePkg` (decrypting, decoding and re-committing the
/// contents: a few hash-to-curve points and scalar multiplications).
pub const CLOSE_PKG_GAS: u64 = 20_000;
/// Gas given free to the callee of a `send` or asset CALL.
pub const STIPEND: u64 = 2300;

/// The system topics of `SeroInterface` (sero-contract-abi.md §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SysTopic {
    IssueToken,
    BalanceOf,
    Send,
    Currency,
    Category,
    Ticket,
    AllotTicket,
    SetCallValues,
    SetTokenRate,
    ClosePkg,
    TransferPkg,
    TxHash,
}

macro_rules! hex32 {
    ($s:literal) => {
        U256::from_be_bytes(const_hex32($s))
    };
}

const fn nib(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => 0,
    }
}
const fn const_hex32(s: &str) -> [u8; 32] {
    let b = s.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = nib(b[2 + 2 * i]) << 4 | nib(b[3 + 2 * i]);
        i += 1;
    }
    out
}

impl SysTopic {
    pub const ALL: [SysTopic; 12] = [
        SysTopic::IssueToken,
        SysTopic::BalanceOf,
        SysTopic::Send,
        SysTopic::Currency,
        SysTopic::Category,
        SysTopic::Ticket,
        SysTopic::AllotTicket,
        SysTopic::SetCallValues,
        SysTopic::SetTokenRate,
        SysTopic::ClosePkg,
        SysTopic::TransferPkg,
        SysTopic::TxHash,
    ];

    /// The topic word.
    pub fn word(self) -> U256 {
        match self {
            SysTopic::IssueToken => {
                hex32!("0x3be6bf24d822bcd6f6348f6f5a5c2d3108f04991ee63e80cde49a8c4746a0ef3")
            }
            SysTopic::BalanceOf => {
                hex32!("0xcf19eb4256453a4e30b6a06d651f1970c223fb6bd1826a28ed861f0e602db9b8")
            }
            SysTopic::Send => {
                hex32!("0x868bd6629e7c2e3d2ccf7b9968fad79b448e7a2bfb3ee20ed1acbc695c3c8b23")
            }
            SysTopic::Currency => {
                hex32!("0x7c98e64bd943448b4e24ef8c2cdec7b8b1275970cfe10daf2a9bfa4b04dce905")
            }
            SysTopic::Category => {
                hex32!("0xf1964f6690a0536daa42e5c575091297d2479edcc96f721ad85b95358644d276")
            }
            SysTopic::Ticket => {
                hex32!("0x9ab0d7c07029f006485cf3468ce7811aa8743b5a108599f6bec9367c50ac6aad")
            }
            SysTopic::AllotTicket => {
                hex32!("0xa6a366f1a72e1aef5d8d52ee240a476f619d15be7bc62d3df37496025b83459f")
            }
            SysTopic::SetCallValues => {
                hex32!("0xa6cafc6282f61eff9032603a017e652f68410d3d3c69f0a3eeca8f181aec1d17")
            }
            SysTopic::SetTokenRate => {
                hex32!("0x6800e94e36131c049eaeb631e4530829b0d3d20d5b637c8015a8dc9cedd70aed")
            }
            SysTopic::ClosePkg => {
                hex32!("0xbbf1aa2159b035802d0a4d44611849d5d4ada0329c81580477d5ec3e82f4f0a6")
            }
            SysTopic::TransferPkg => {
                hex32!("0xa8b83585a613dcf6c905ad7e0ce34cd07d1283cc72906d1fe78037d49adae455")
            }
            SysTopic::TxHash => {
                hex32!("0xa6cb2bbe89e8b5f0c4e2d557b612ed99f5573b419fd9b304b87129514ccc35b2")
            }
        }
    }

    pub fn from_word(w: &U256) -> Option<SysTopic> {
        SysTopic::ALL.into_iter().find(|t| t.word() == *w)
    }

    /// The exact data length L (None: not checked).
    pub fn data_len(self) -> Option<usize> {
        Some(match self {
            SysTopic::IssueToken => 64,
            SysTopic::BalanceOf => 32,
            SysTopic::Send => 160,
            SysTopic::Currency | SysTopic::Category | SysTopic::Ticket => 32,
            SysTopic::AllotTicket => 96,
            SysTopic::SetCallValues => 128,
            SysTopic::SetTokenRate => 96,
            SysTopic::ClosePkg => 256,
            SysTopic::TransferPkg => 64,
            SysTopic::TxHash => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            SysTopic::IssueToken => "issueToken",
            SysTopic::BalanceOf => "balanceOf",
            SysTopic::Send => "send",
            SysTopic::Currency => "currency",
            SysTopic::Category => "category",
            SysTopic::Ticket => "ticket",
            SysTopic::AllotTicket => "allotTicket",
            SysTopic::SetCallValues => "setCallValues",
            SysTopic::SetTokenRate => "setTokenRate",
            SysTopic::ClosePkg => "closePkg",
            SysTopic::TransferPkg => "transferPkg",
            SysTopic::TxHash => "txHash",
        }
    }
}

/// The instruction table of SERO execution.
pub fn sero_instructions<V: StateView>(
    spec: revm::primitives::hardfork::SpecId,
) -> EthInstructions<EthInterpreter, SeroCtx<V>> {
    let mut ins = EthInstructions::new_mainnet_with_spec(spec);
    let gas = *revm::handler::instructions::InstructionProvider::gas_table(&ins);
    let mut put = |op: u8, f: fn(Ictx<'_, V>) -> R| {
        ins.insert_instruction(op, Instruction::new(f), gas[op as usize]);
    };
    put(opcode::LOG1, sero_log::<1, V>);
    put(opcode::LOG2, sero_log::<2, V>);
    put(opcode::LOG3, sero_log::<3, V>);
    put(opcode::LOG4, sero_log::<4, V>);
    put(opcode::CALL, sero_call::<{ opcode::CALL }, V>);
    // go-sero executes CALLCODE as a plain CALL.
    put(opcode::CALLCODE, sero_call::<{ opcode::CALL }, V>);
    put(
        opcode::DELEGATECALL,
        sero_call::<{ opcode::DELEGATECALL }, V>,
    );
    put(opcode::STATICCALL, sero_call::<{ opcode::STATICCALL }, V>);
    put(opcode::BALANCE, balance_zero::<V>);
    put(opcode::SELFBALANCE, selfbalance_zero::<V>);
    put(opcode::CREATE, disabled_create::<V>);
    put(opcode::CREATE2, disabled_create2::<V>);
    put(opcode::SELFDESTRUCT, disabled_selfdestruct::<V>);
    ins
}

fn depth<V: StateView>(c: &Ictx<'_, V>) -> usize {
    c.host.journaled_state.depth()
}

fn halt<V: StateView>(c: &mut Ictx<'_, V>, h: SeroHalt) -> R {
    let d = depth(c);
    c.host.chain.halt = Some((d, h));
    Err(InstructionResult::InvalidFEOpcode)
}

/// A store failure: fatal for the transaction (the context carries it).
fn fatal<V: StateView>(c: &mut Ictx<'_, V>, e: ViewError) -> InstructionResult {
    c.host.error = Err(ContextError::Db(e));
    InstructionResult::FatalExternalError
}

macro_rules! tryv {
    ($c:expr, $e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return Err(fatal(&mut $c, e)),
        }
    };
}

fn gas<V: StateView>(c: &mut Ictx<'_, V>, g: u64) -> R {
    if c.interpreter.gas.record_regular_cost(g) {
        Ok(())
    } else {
        Err(InstructionResult::OutOfGas)
    }
}

fn balance_zero<V: StateView>(c: Ictx<'_, V>) -> R {
    let Some(top) = c.interpreter.stack.top() else {
        return Err(InstructionResult::StackUnderflow);
    };
    *top = U256::ZERO;
    Ok(())
}

fn selfbalance_zero<V: StateView>(c: Ictx<'_, V>) -> R {
    // Not in go-sero's table: an unknown opcode.
    let _ = c;
    Err(InstructionResult::OpcodeNotFound)
}

fn disabled_create<V: StateView>(mut c: Ictx<'_, V>) -> R {
    halt(&mut c, SeroHalt::Disabled("CREATE"))
}
fn disabled_create2<V: StateView>(mut c: Ictx<'_, V>) -> R {
    halt(&mut c, SeroHalt::Disabled("CREATE2"))
}
fn disabled_selfdestruct<V: StateView>(mut c: Ictx<'_, V>) -> R {
    halt(&mut c, SeroHalt::Disabled("SELFDESTRUCT"))
}

fn mem_word<V: StateView>(c: &Ictx<'_, V>, off: usize) -> U256 {
    // Only called inside the checked region [S, S+L).
    U256::from_be_slice(&c.interpreter.memory.slice_len(off, 32))
}

fn mem_set<V: StateView>(c: &mut Ictx<'_, V>, off: usize, data: &[u8]) {
    c.interpreter.memory.set(off, data);
}

/// Reads the Solidity memory string at `ptr`: halts (never panics) if any
/// byte of its length word or content is outside the frame's memory.
fn read_str<V: StateView>(c: &mut Ictx<'_, V>, ptr: U256, topic: SysTopic) -> Result<Vec<u8>, R> {
    let size = c.interpreter.memory.size();
    let bad = SeroHalt::BadPointer {
        topic: topic.name(),
    };
    let Some(p) = ptr.checked_usize() else {
        return Err(halt(c, bad));
    };
    if p > size || size - p < 32 {
        return Err(halt(c, bad));
    }
    let n = U256::from_be_slice(&c.interpreter.memory.slice_len(p, 32));
    let Some(n) = n.checked_usize() else {
        return Err(halt(c, bad));
    };
    if n > size - p - 32 {
        return Err(halt(c, bad));
    }
    Ok(c.interpreter.memory.slice_len(p + 32, n).to_vec())
}

/// Name bytes given to `send`/`setCallValues`: `Ok(None)` empty, `Err(())`
/// a name that cannot exist.
fn loose_opt(raw: &[u8]) -> Result<Option<[u8; 32]>, ()> {
    if raw.is_empty() {
        return Ok(None);
    }
    names::loose(raw).map(Some).ok_or(())
}

/// Builds the value of `send`/`setCallValues`: empty name or zero amount
/// drops the token; empty category or zero id drops the ticket.
fn build_value(cur: &[u8], amt: U256, cat: &[u8], tkt: U256) -> Result<Value, ()> {
    let mut v = Value::default();
    if !amt.is_zero() {
        if let Some(c) = loose_opt(cur)? {
            v.token = Some((names::currency(c), amt));
        }
    }
    if !tkt.is_zero() {
        if let Some(c) = loose_opt(cat)? {
            v.ticket = Some(Ticket {
                category: names::category(c),
                id: TicketId(tkt.to_be_bytes::<32>()),
            });
        }
    }
    Ok(v)
}

fn has_code<V: StateView>(c: &mut Ictx<'_, V>, a: Address) -> Result<bool, ViewError> {
    let acc = c.host.journaled_state.load_account_with_code(a)?;
    Ok(acc
        .data
        .info
        .code
        .as_ref()
        .map(|b| !b.is_empty())
        .unwrap_or(false))
}

fn bool_word(b: bool) -> [u8; 32] {
    U256::from(b as u8).to_be_bytes::<32>()
}

/// LOGn (n >= 1): a system call if the first topic is a system topic.
fn sero_log<const N: usize, V: StateView>(mut c: Ictx<'_, V>) -> R {
    let d = depth(&c);
    if let Some(r) = c.host.chain.take_resume(d) {
        return finish_resume(c, r);
    }
    let data = c.interpreter.stack.data();
    if data.len() < 2 + N {
        return Err(InstructionResult::StackUnderflow);
    }
    let Some(topic) = SysTopic::from_word(&data[data.len() - 3]) else {
        return log::<N, _>(c);
    };
    if c.interpreter.runtime_flag.is_static() {
        return Err(InstructionResult::StateChangeDuringStaticCall);
    }
    let Some([offset, len]) = c.interpreter.stack.popn::<2>() else {
        return Err(InstructionResult::StackUnderflow);
    };
    if c.interpreter.stack.popn::<N>().is_none() {
        return Err(InstructionResult::StackUnderflow);
    }
    let Some(len) = len.checked_usize() else {
        return Err(InstructionResult::InvalidOperandOOG);
    };
    let log_gas = c.host.gas_params().log_cost(N as u8, len as u64);
    gas(&mut c, log_gas)?;
    if let Some(expected) = topic.data_len() {
        if len != expected {
            return halt(
                &mut c,
                SeroHalt::BadLength {
                    topic: topic.name(),
                    got: len,
                    expected,
                },
            );
        }
    }
    let Some(s) = offset.checked_usize() else {
        return Err(InstructionResult::InvalidOperandOOG);
    };
    let region = len.max(32);
    let gp = c.host.gas_params().clone();
    c.interpreter.resize_memory(&gp, s, region)?;
    match topic {
        SysTopic::IssueToken => issue_token(c, s),
        SysTopic::BalanceOf => {
            let ptr = mem_word(&c, s);
            let raw = match read_str(&mut c, ptr, topic) {
                Ok(r) => r,
                Err(e) => return e,
            };
            let bal = match names::loose(&raw) {
                Some(n) if !raw.is_empty() => {
                    let this = c.interpreter.input.target_address();
                    tryv!(
                        c,
                        Tables::get(c.host, SysKey::Book(this, names::currency(n)))
                    )
                }
                _ => U256::ZERO,
            };
            mem_set(&mut c, s, &bal.to_be_bytes::<32>());
            Ok(())
        }
        SysTopic::Send => send(c, s),
        SysTopic::Currency | SysTopic::Category | SysTopic::Ticket => {
            let asset = c.host.chain.frame_asset(d).cloned().unwrap_or_default();
            match topic {
                SysTopic::Currency => {
                    if let Some((cur, _)) = asset.token {
                        let n = cur.name().len();
                        mem_set(&mut c, s, &cur.to_bytes()[..n]);
                    }
                }
                SysTopic::Category => {
                    if let Some(t) = asset.ticket {
                        let n = t.category.name().len();
                        mem_set(&mut c, s, &t.category.to_bytes()[..n]);
                    }
                }
                _ => {
                    if let Some(t) = asset.ticket {
                        mem_set(&mut c, s, &t.id.0);
                    }
                }
            }
            Ok(())
        }
        SysTopic::AllotTicket => allot_ticket(c, s),
        SysTopic::SetCallValues => {
            let (p_cur, amt, p_cat, tkt) = (
                mem_word(&c, s),
                mem_word(&c, s + 32),
                mem_word(&c, s + 64),
                mem_word(&c, s + 96),
            );
            let cur = match read_str(&mut c, p_cur, topic) {
                Ok(r) => r,
                Err(e) => return e,
            };
            let cat = match read_str(&mut c, p_cat, topic) {
                Ok(r) => r,
                Err(e) => return e,
            };
            let armed = match build_value(&cur, amt, &cat, tkt) {
                Ok(value) => Armed {
                    value,
                    invalid: false,
                },
                Err(()) => Armed {
                    value: Value::default(),
                    invalid: true,
                },
            };
            c.host.chain.set_armed(d, Some(armed));
            Ok(())
        }
        SysTopic::SetTokenRate => {
            let (ptr, tokens, ta) = (mem_word(&c, s), mem_word(&c, s + 32), mem_word(&c, s + 64));
            let raw = match read_str(&mut c, ptr, topic) {
                Ok(r) => r,
                Err(e) => return e,
            };
            let Some(n) = names::strict(&raw) else {
                return halt(
                    &mut c,
                    SeroHalt::BadName {
                        topic: topic.name(),
                        reason: "empty or not ^[A-Z][A-Z0-9_]{0,31}$",
                    },
                );
            };
            let cur = names::currency(n);
            let registered = !tryv!(c, Tables::get(c.host, SysKey::TokenOwner(cur))).is_zero();
            if registered {
                let this = c.interpreter.input.target_address();
                tryv!(
                    c,
                    Tables::set(c.host, SysKey::RateTokens(this, cur), tokens)
                );
                tryv!(c, Tables::set(c.host, SysKey::RateTa(this, cur), ta));
            }
            mem_set(&mut c, s + 64, &bool_word(registered));
            Ok(())
        }
        SysTopic::ClosePkg => close_pkg(c, s),
        SysTopic::TransferPkg => transfer_pkg(c, s),
        SysTopic::TxHash => {
            let h = c.host.chain.tx_hash;
            mem_set(&mut c, s, &h);
            Ok(())
        }
    }
}

fn issue_token<V: StateView>(mut c: Ictx<'_, V>, s: usize) -> R {
    let ptr = mem_word(&c, s);
    let total = mem_word(&c, s + 32);
    let raw = match read_str(&mut c, ptr, SysTopic::IssueToken) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let this = c.interpreter.input.target_address();
    let ok = (|| -> Result<bool, ViewError> {
        let Some(n) = names::issuable(&raw) else {
            return Ok(false);
        };
        let cur = names::currency(n);
        // All checks before any write: a failed issue changes nothing.
        if sero_assets::generators::token_generator(&cur).is_err() {
            return Ok(false);
        }
        let owner = Tables::get(c.host, SysKey::TokenOwner(cur))?;
        let book = Tables::get(c.host, SysKey::Book(this, cur))?;
        let Some(new_book) = book.checked_add(total) else {
            return Ok(false);
        };
        if owner.is_zero() {
            let fee = c.host.chain.issue_fee;
            let sero = sero_assets::Currency::sero();
            let fee_move = Value {
                token: (!fee.is_zero()).then_some((sero, fee)),
                ticket: None,
            };
            if !Tables::move_value(c.host, this, crate::address::FEE_SINK, &fee_move)? {
                return Ok(false);
            }
            Tables::set(
                c.host,
                SysKey::TokenOwner(cur),
                crate::address::addr_to_u256(&this),
            )?;
        } else if u256_to_addr(&owner) != this {
            return Ok(false);
        }
        Tables::set(c.host, SysKey::Book(this, cur), new_book)?;
        Ok(true)
    })();
    let ok = tryv!(c, ok);
    mem_set(&mut c, s + 32, &bool_word(ok));
    Ok(())
}

/// Where a payment goes.
enum Dest {
    Myself,
    Contract,
    Pkr([u8; 96]),
    Unknown,
}

fn resolve<V: StateView>(c: &mut Ictx<'_, V>, to: Address) -> Result<Dest, ViewError> {
    if to == c.interpreter.input.target_address() {
        return Ok(Dest::Myself);
    }
    if has_code(c, to)? {
        return Ok(Dest::Contract);
    }
    Ok(match Tables::short_pkr(c.host, to)? {
        Some(p) => Dest::Pkr(p),
        None => Dest::Unknown,
    })
}

/// Starts the fallback frame of `to` with `value` (moved inside the new
/// frame's checkpoint by the precompile hook), then resumes this LOG.
fn start_fallback<V: StateView>(
    mut c: Ictx<'_, V>,
    to: Address,
    value: Value,
    resume: Resume,
) -> R {
    let d = depth(&c);
    if d > revm::primitives::constants::CALL_STACK_LIMIT as usize {
        return Err(InstructionResult::CallTooDeep);
    }
    let this = c.interpreter.input.target_address();
    let (code_hash, code) = {
        let acc = tryv!(c, c.host.journaled_state.load_account_with_code(to));
        let info = &acc.data.info;
        (info.code_hash, info.code.clone().unwrap_or_default())
    };
    let amount = value.amount();
    c.host.chain.next_call = Some(PendingMove {
        from: this,
        to,
        value,
    });
    c.host.chain.set_resume(d, Some(resume));
    let reservoir = c.interpreter.gas.reservoir();
    c.interpreter
        .bytecode
        .set_action(InterpreterAction::NewFrame(FrameInput::Call(Box::new(
            CallInputs {
                input: CallInput::Bytes(Bytes::new()),
                return_memory_offset: 0..0,
                gas_limit: STIPEND,
                reservoir,
                bytecode_address: to,
                known_bytecode: (code_hash, code),
                target_address: to,
                caller: this,
                value: CallValue::Apparent(amount),
                scheme: CallScheme::Call,
                is_static: false,
                charged_new_account_state_gas: false,
            },
        ))));
    // Execute this LOG again when the frame returns: it then finds the
    // resume record, pops the call's success flag and writes the output.
    c.interpreter.bytecode.relative_jump(-1);
    Err(InstructionResult::Suspend)
}

fn finish_resume<V: StateView>(mut c: Ictx<'_, V>, r: Resume) -> R {
    // The LOG's static gas was charged again on re-entry: give it back.
    let Ok(ok) = c.interpreter.stack.pop() else {
        return Err(InstructionResult::StackUnderflow);
    };
    let ok = !ok.is_zero();
    match r {
        Resume::Send { out } => mem_set(&mut c, out, &bool_word(ok)),
        Resume::Allot { out, id, minted } => {
            let w = if ok || minted { id } else { [0u8; 32] };
            mem_set(&mut c, out, &w);
        }
    }
    c.interpreter.gas.erase_cost(375);
    Ok(())
}

fn send<V: StateView>(mut c: Ictx<'_, V>, s: usize) -> R {
    gas(&mut c, SEND_GAS)?;
    let to = u256_to_addr(&mem_word(&c, s));
    let (p_cur, amt, p_cat, tkt) = (
        mem_word(&c, s + 32),
        mem_word(&c, s + 64),
        mem_word(&c, s + 96),
        mem_word(&c, s + 128),
    );
    let cur = match read_str(&mut c, p_cur, SysTopic::Send) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let cat = match read_str(&mut c, p_cat, SysTopic::Send) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let out = s + 128;
    let this = c.interpreter.input.target_address();
    let Ok(value) = build_value(&cur, amt, &cat, tkt) else {
        mem_set(&mut c, out, &bool_word(false));
        return Ok(());
    };
    if value.is_empty() {
        mem_set(&mut c, out, &bool_word(true));
        return Ok(());
    }
    if !tryv!(c, Tables::can_pay(c.host, this, &value)) {
        mem_set(&mut c, out, &bool_word(false));
        return Ok(());
    }
    let ok = match tryv!(c, resolve(&mut c, to)) {
        Dest::Myself => true,
        Dest::Unknown => false,
        Dest::Pkr(p) => tryv!(c, Tables::pay_note(c.host, this, &p, &value)),
        Dest::Contract => {
            if depth(&c) > revm::primitives::constants::CALL_STACK_LIMIT as usize {
                false
            } else {
                return start_fallback(c, to, value, Resume::Send { out });
            }
        }
    };
    mem_set(&mut c, out, &bool_word(ok));
    Ok(())
}

fn allot_ticket<V: StateView>(mut c: Ictx<'_, V>, s: usize) -> R {
    gas(&mut c, SEND_GAS)?;
    let value = mem_word(&c, s);
    let to = u256_to_addr(&mem_word(&c, s + 32));
    let ptr = mem_word(&c, s + 64);
    let raw = match read_str(&mut c, ptr, SysTopic::AllotTicket) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let out = s + 64;
    let this = c.interpreter.input.target_address();
    let zero = [0u8; 32];
    if value.is_zero() {
        // Mint.
        let Some(n) = names::issuable(&raw) else {
            mem_set(&mut c, out, &zero);
            return Ok(());
        };
        let cat = names::category(n);
        let owner = tryv!(c, Tables::get(c.host, SysKey::CategoryOwner(cat)));
        if !owner.is_zero() && u256_to_addr(&owner) != this {
            mem_set(&mut c, out, &zero);
            return Ok(());
        }
        gas(&mut c, MINT_GAS)?;
        let nonce = tryv!(c, Tables::get(c.host, SysKey::TicketNonce(this))).saturating_u64();
        let id = crate::address::ticket_id(&this, &cat.to_bytes(), nonce);
        let ticket = Ticket {
            category: cat,
            id: TicketId(id),
        };
        let exists = !tryv!(c, Tables::get(c.host, SysKey::Ticket(ticket))).is_zero();
        if exists || sero_assets::generators::ticket_generator(&ticket).is_err() {
            mem_set(&mut c, out, &zero);
            return Ok(());
        }
        if owner.is_zero() {
            let w = crate::address::addr_to_u256(&this);
            tryv!(c, Tables::set(c.host, SysKey::CategoryOwner(cat), w));
        }
        let next = U256::from(nonce.saturating_add(1));
        tryv!(c, Tables::set(c.host, SysKey::TicketNonce(this), next));
        let held = crate::engine::ticket_word(TicketState::Held(this));
        tryv!(c, Tables::set(c.host, SysKey::Ticket(ticket), held));
        let v = Value {
            token: None,
            ticket: Some(ticket),
        };
        match tryv!(c, resolve(&mut c, to)) {
            Dest::Myself | Dest::Unknown => {}
            Dest::Pkr(p) => {
                tryv!(c, Tables::pay_note(c.host, this, &p, &v));
            }
            Dest::Contract => {
                if depth(&c) <= revm::primitives::constants::CALL_STACK_LIMIT as usize {
                    let r = Resume::Allot {
                        out,
                        id,
                        minted: true,
                    };
                    return start_fallback(c, to, v, r);
                }
            }
        }
        mem_set(&mut c, out, &id);
        return Ok(());
    }
    // Transfer an existing ticket.
    let id = value.to_be_bytes::<32>();
    let Some(n) = (!raw.is_empty()).then(|| names::loose(&raw)).flatten() else {
        mem_set(&mut c, out, &zero);
        return Ok(());
    };
    let ticket = Ticket {
        category: names::category(n),
        id: TicketId(id),
    };
    let v = Value {
        token: None,
        ticket: Some(ticket),
    };
    let w = match tryv!(c, resolve(&mut c, to)) {
        Dest::Myself | Dest::Unknown => id,
        Dest::Pkr(p) => {
            if tryv!(c, Tables::pay_note(c.host, this, &p, &v)) {
                id
            } else {
                zero
            }
        }
        Dest::Contract => {
            if tryv!(c, Tables::can_pay(c.host, this, &v))
                && depth(&c) <= revm::primitives::constants::CALL_STACK_LIMIT as usize
            {
                let r = Resume::Allot {
                    out,
                    id,
                    minted: false,
                };
                return start_fallback(c, to, v, r);
            }
            zero
        }
    };
    mem_set(&mut c, out, &w);
    Ok(())
}

/// CALL/CALLCODE (as CALL), DELEGATECALL, STATICCALL with SERO assets.
fn sero_call<const KIND: u8, V: StateView>(mut c: Ictx<'_, V>) -> R {
    let d = depth(&c);
    if KIND != opcode::CALL {
        c.host.chain.next_call = None;
        return call::<KIND, _, _>(c);
    }
    let armed = c.host.chain.take_armed(d);
    let data = c.interpreter.stack.data();
    let n = data.len();
    if n < 7 {
        return Err(InstructionResult::StackUnderflow);
    }
    let to = u256_to_addr(&data[n - 2]);
    let stack_value = data[n - 3];
    let (value, invalid) = match armed {
        Some(a) => (a.value, a.invalid),
        None if !stack_value.is_zero() => (
            Value {
                token: Some((sero_assets::Currency::sero(), stack_value)),
                ticket: None,
            },
            false,
        ),
        None => (Value::default(), false),
    };
    c.host.chain.next_call = None;
    if value.is_empty() && !invalid {
        // The stack value is zero or was an armed empty asset: plain call.
        let n = c.interpreter.stack.data().len();
        c.interpreter.stack.data_mut()[n - 3] = U256::ZERO;
        return call::<{ opcode::CALL }, _, _>(c);
    }
    if c.interpreter.runtime_flag.is_static() {
        return Err(InstructionResult::CallNotAllowedInsideStatic);
    }
    gas(&mut c, SEND_GAS)?;
    let this = c.interpreter.input.target_address();
    let payable = !invalid && tryv!(c, Tables::can_pay(c.host, this, &value));
    let dest = if payable {
        tryv!(c, resolve(&mut c, to))
    } else {
        Dest::Unknown
    };
    match dest {
        Dest::Contract | Dest::Myself if payable => {
            let amount = value.amount();
            let n = c.interpreter.stack.data().len();
            c.interpreter.stack.data_mut()[n - 3] = U256::ZERO;
            let res = call::<{ opcode::CALL }, _, _>(InstructionContext {
                interpreter: &mut *c.interpreter,
                host: &mut *c.host,
            });
            if res != Err(InstructionResult::Suspend) {
                return res;
            }
            if let Some(InterpreterAction::NewFrame(FrameInput::Call(inputs))) =
                c.interpreter.bytecode.action()
            {
                inputs.value = CallValue::Apparent(amount);
                inputs.gas_limit = inputs.gas_limit.saturating_add(STIPEND);
                c.host.chain.next_call = Some(PendingMove {
                    from: this,
                    to,
                    value,
                });
            }
            Err(InstructionResult::Suspend)
        }
        Dest::Unknown if payable => halt(&mut c, SeroHalt::UnknownAddress),
        dest => {
            // No frame: pay a PKr, or fail softly (returns 0).
            let ok = match dest {
                Dest::Pkr(p) => tryv!(c, Tables::pay_note(c.host, this, &p, &value)),
                _ => false,
            };
            if c.interpreter.stack.popn::<7>().is_none() {
                return Err(InstructionResult::StackUnderflow);
            }
            c.interpreter.return_data.clear();
            if !c.interpreter.stack.push(U256::from(ok as u8)) {
                return Err(InstructionResult::StackOverflow);
            }
            Ok(())
        }
    }
}

/// `sero_ClosePkg(id, key)` (L = 256): opens package `id`, whose ticket
/// this contract holds, with `key` (`docs/protocol.md` §17): the key must
/// decrypt the stored ciphertext to contents that re-commit to `C_pkg`.
/// The package is marked opened, its ticket burnt, and its contents
/// credited to this contract's book (tokens) and holdings (tickets). Out:
/// +0 currency, +32 amount (the first token asset), +64 category, +96
/// ticket id (the first ticket), +128 creator short address, +160
/// creation height, +192..256 the first 64 bytes of the data. On any
/// failure (unknown, opened, not held, wrong key, a book overflow) the 256
/// bytes are zero and nothing changes.
fn close_pkg<V: StateView>(mut c: Ictx<'_, V>, s: usize) -> R {
    gas(&mut c, CLOSE_PKG_GAS)?;
    let id = mem_word(&c, s).to_be_bytes::<32>();
    let key = mem_word(&c, s + 32).to_be_bytes::<32>();
    mem_set(&mut c, s, &[0u8; 256]);
    let this = c.interpreter.input.target_address();
    let Some((record, opened)) = tryv!(c, Tables::package(c.host, &id)) else {
        return Ok(());
    };
    let pkg_ticket = sero_assets::package::package_ticket(&id);
    if opened
        || record.opened
        || crate::engine::ticket_state(tryv!(c, Tables::get(c.host, SysKey::Ticket(pkg_ticket))))
            != TicketState::Held(this)
    {
        return Ok(());
    }
    let network = c.host.chain.network;
    let Ok(p) = sero_assets::package::open(
        &record.sealed,
        &sero_assets::package::PackageKey(key),
        &network,
    ) else {
        return Ok(());
    };
    // Check every credit first: all or nothing.
    let mut books: Vec<(sero_assets::Currency, U256)> = vec![];
    for a in &p.contents.assets {
        if a.value == 0 {
            continue;
        }
        let have = match books.iter().position(|(cur, _)| *cur == a.currency) {
            Some(i) => books[i].1,
            None => tryv!(c, Tables::get(c.host, SysKey::Book(this, a.currency))),
        };
        let Some(new) = have.checked_add(U256::from(a.value)) else {
            return Ok(());
        };
        match books.iter().position(|(cur, _)| *cur == a.currency) {
            Some(i) => books[i].1 = new,
            None => books.push((a.currency, new)),
        }
    }
    for (cur, v) in books {
        tryv!(c, Tables::set(c.host, SysKey::Book(this, cur), v));
    }
    for t in p.contents.assets.iter().filter_map(|a| a.ticket) {
        tryv!(
            c,
            Tables::set(
                c.host,
                SysKey::Ticket(t),
                crate::engine::ticket_word(TicketState::Held(this))
            )
        );
    }
    tryv!(
        c,
        Tables::set(c.host, SysKey::PackageOpened(id), U256::from(1u8))
    );
    tryv!(
        c,
        Tables::set(c.host, SysKey::Ticket(pkg_ticket), U256::ZERO)
    );
    let mut out = [0u8; 256];
    if let Some(a) = p.contents.assets.iter().find(|a| a.value > 0) {
        out[..32].copy_from_slice(&a.currency.to_bytes());
        out[32..64].copy_from_slice(&U256::from(a.value).to_be_bytes::<32>());
    }
    if let Some(t) = p.contents.assets.iter().find_map(|a| a.ticket) {
        out[64..96].copy_from_slice(&t.category.to_bytes());
        out[96..128].copy_from_slice(&t.id.0);
    }
    out[140..160].copy_from_slice(&record.creator);
    out[160..192].copy_from_slice(&U256::from(record.height).to_be_bytes::<32>());
    let n = p.contents.data.len().min(64);
    out[192..192 + n].copy_from_slice(&p.contents.data[..n]);
    mem_set(&mut c, s, &out);
    Ok(())
}

/// `sero_TransferPkg(id, to)` (L = 64): passes package `id`, whose ticket
/// this contract holds and which is still sealed, to `to`: a PKr gets the
/// package ticket as a note, a contract gets it in its holdings (its code
/// does not run). Halts if `to` is unknown; out +32 false if the package
/// is missing, opened or not held.
fn transfer_pkg<V: StateView>(mut c: Ictx<'_, V>, s: usize) -> R {
    gas(&mut c, SEND_GAS)?;
    let id = mem_word(&c, s).to_be_bytes::<32>();
    let to = u256_to_addr(&mem_word(&c, s + 32));
    let out = s + 32;
    let this = c.interpreter.input.target_address();
    let dest = tryv!(c, resolve(&mut c, to));
    if matches!(dest, Dest::Unknown) {
        return halt(&mut c, SeroHalt::UnknownPkgRecipient);
    }
    let pkg_ticket = sero_assets::package::package_ticket(&id);
    let sealed = matches!(
        tryv!(c, Tables::package(c.host, &id)),
        Some((r, false)) if !r.opened
    );
    let value = Value {
        token: None,
        ticket: Some(pkg_ticket),
    };
    let ok = sealed
        && match dest {
            Dest::Myself => tryv!(c, Tables::can_pay(c.host, this, &value)),
            Dest::Unknown => false,
            Dest::Pkr(p) => tryv!(c, Tables::pay_note(c.host, this, &p, &value)),
            Dest::Contract => tryv!(c, Tables::move_value(c.host, this, to, &value)),
        };
    mem_set(&mut c, out, &bool_word(ok));
    Ok(())
}
