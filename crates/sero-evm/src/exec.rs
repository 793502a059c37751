//! Executing one contract call or creation: the handler, the precompile
//! hook and the outcome.

use crate::address::{contract_address, short_address_bytes, u256_to_addr};
use crate::engine::{
    ticket_from_words, ticket_word, typed_value, PendingMove, SeroChain, SeroCtx, SeroDb, SysKey,
    Tables, Value, NOTE_WORDS, SYS_NOTES, SYS_STATE,
};
use crate::error::{ExecError, SeroHalt, ViewError};
use crate::instructions::sero_instructions;
use crate::state::{ChangeSet, StateKey, StateValue, StateView, TicketState};
use crate::U256Ext;
use revm::context::result::{EVMError, ExecutionResult, HaltReason, Output};
use revm::context::{BlockEnv, CfgEnv, Context, Journal, LocalContext, LocalContextTr, TxEnv};
use revm::context_interface::FrameStack;
use revm::context_interface::{ContextTr, JournalTr};
use revm::handler::instructions::EthInstructions;
use revm::handler::{execution, EthFrame, EthPrecompiles, EvmTr, Handler, PrecompileProvider};
use revm::interpreter::interpreter::EthInterpreter;
use revm::interpreter::interpreter_action::FrameInit;
use revm::interpreter::{
    CallScheme, CallValue, CreateScheme, FrameInput, Gas, GasTracker, InstructionResult,
    InterpreterResult, SharedMemory,
};
use revm::primitives::hardfork::SpecId;
use revm::primitives::{Address, AddressSet, Bytes, Log, TxKind, B256, KECCAK_EMPTY, U256};
use revm::state::EvmState;
use sero_assets::{Asset, Currency};
use sero_keys::OneTimeAddress;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

/// The hard fork whose gas schedule and opcodes SERO contracts run under
/// (go-sero forked geth's Byzantium/Constantinople table: no PUSH0,
/// SELFBALANCE, CHAINID or BASEFEE; SLOAD 200; no access lists).
pub const SPEC: SpecId = SpecId::PETERSBURG;

/// 1 SERO in its smallest unit (18 decimals, as in go-sero).
pub const ONE_SERO: u128 = 1_000_000_000_000_000_000;

/// Chain parameters of the engine.
#[derive(Clone, Debug)]
pub struct EvmConfig {
    /// The flat fee of registering a token name (`issueToken`), taken from
    /// the issuing contract's SERO book and credited to
    /// [`crate::address::FEE_SINK`].
    pub issue_fee: U256,
    /// CHAINID is not enabled under [`SPEC`]; kept for the node's receipts.
    pub chain_id: u64,
    /// The network's chain id (genesis hash) that packages are sealed to
    /// (`sero_ClosePkg` decrypts with it).
    pub network: [u8; 32],
}

impl Default for EvmConfig {
    fn default() -> Self {
        EvmConfig {
            issue_fee: U256::from(ONE_SERO),
            chain_id: 0x5e40,
            network: [0; 32],
        }
    }
}

/// What a transaction asks the engine to do.
#[derive(Clone, Debug)]
pub enum Action {
    /// Call contract `to` with `data` = input prefix ‖ calldata (§2).
    Call { to: Address, data: Vec<u8> },
    /// Create a contract from `data` = input prefix ‖ init code ‖ constructor args.
    Create { data: Vec<u8> },
}

/// The environment of one execution.
#[derive(Clone, Debug)]
pub struct Env {
    pub height: u64,
    pub time: u64,
    pub tx_hash: [u8; 32],
    pub gas_limit: u64,
    /// The transaction's `From` PKr (msg.sender is its short address).
    pub from: OneTimeAddress,
    /// The asset the call brings out of the shielded pool (a token amount
    /// of any currency, value 0 meaning none, and/or a ticket).
    pub asset: Option<Asset>,
    pub action: Action,
}

/// A note the node adds to the tree: a plain output for `pkr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub pkr: OneTimeAddress,
    pub asset: Asset,
}

/// How the call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Success,
    Revert,
    Halt(String),
}

/// Everything the node needs from one execution.
#[derive(Clone, Debug)]
pub struct ExecutionOutcome {
    pub status: Status,
    pub gas_used: u64,
    /// Return data (or revert data).
    pub output: Bytes,
    /// Plain logs (never system calls); empty unless `Success`.
    pub logs: Vec<Log>,
    /// State changes with old values; on failure only the contract nonce
    /// of a creation.
    pub changes: ChangeSet,
    /// Notes to create, in order. On failure: the call's asset back to `From`.
    pub notes: Vec<Note>,
    /// The new contract of a successful creation.
    pub created: Option<Address>,
}

impl ExecutionOutcome {
    pub fn is_success(&self) -> bool {
        self.status == Status::Success
    }
}

/// revm's EVM type for SERO.
pub type SeroRevm<V> = revm::context::Evm<
    SeroCtx<V>,
    (),
    EthInstructions<EthInterpreter, SeroCtx<V>>,
    SeroPrecompiles,
    EthFrame<EthInterpreter>,
>;

/// Ethereum's precompiles plus SERO's per-frame hook: every call frame
/// passes here after its checkpoint is taken, so the asset move of an
/// asset-carrying CALL (or `send`) happens inside the callee's checkpoint
/// and a revert of the callee undoes it.
#[derive(Debug)]
pub struct SeroPrecompiles {
    inner: EthPrecompiles,
}

impl<V: StateView> PrecompileProvider<SeroCtx<V>> for SeroPrecompiles {
    type Output = InterpreterResult;

    fn set_spec(&mut self, spec: SpecId) -> bool {
        <EthPrecompiles as PrecompileProvider<SeroCtx<V>>>::set_spec(&mut self.inner, spec)
    }

    fn run(
        &mut self,
        ctx: &mut SeroCtx<V>,
        inputs: &revm::interpreter::CallInputs,
    ) -> Result<Option<InterpreterResult>, String> {
        let depth = ctx.journaled_state.depth();
        let mv = ctx.chain.next_call.take();
        if let Some(top) = ctx.chain.top_pending.take() {
            ctx.chain.start_frame(depth, top);
            return <EthPrecompiles as PrecompileProvider<SeroCtx<V>>>::run(
                &mut self.inner,
                ctx,
                inputs,
            );
        }
        let asset = match inputs.scheme {
            CallScheme::DelegateCall => ctx.chain.frame_asset(depth.saturating_sub(1)).cloned(),
            CallScheme::StaticCall => None,
            _ => mv.as_ref().map(|m| m.value.clone()),
        };
        ctx.chain.start_frame(depth, asset);
        if let Some(PendingMove { from, to, value }) = mv {
            match Tables::move_value(ctx, from, to, &value) {
                Ok(true) => {}
                Ok(false) => {
                    return Ok(Some(InterpreterResult {
                        result: InstructionResult::Revert,
                        gas: Gas::new(inputs.gas_limit),
                        output: Bytes::new(),
                    }))
                }
                Err(e) => {
                    ctx.error = Err(revm::context::ContextError::Db(e));
                    return Ok(Some(InterpreterResult {
                        result: InstructionResult::FatalExternalError,
                        gas: Gas::new(inputs.gas_limit),
                        output: Bytes::new(),
                    }));
                }
            }
        }
        <EthPrecompiles as PrecompileProvider<SeroCtx<V>>>::run(&mut self.inner, ctx, inputs)
    }

    fn warm_addresses(&self) -> &AddressSet {
        <EthPrecompiles as PrecompileProvider<SeroCtx<V>>>::warm_addresses(&self.inner)
    }
}

/// The interpreter frames (each with a 32 KiB stack) and the shared memory
/// buffer of the last execution on this thread, reused by the next one:
/// allocating and freeing them made up most of the time of a small call.
/// Neither depends on the state view, and revm resets both when a
/// transaction starts, exactly as when one `Evm` runs many transactions.
struct Pool {
    frames: FrameStack<EthFrame<EthInterpreter>>,
    memory: Rc<RefCell<Vec<u8>>>,
}

thread_local! {
    static POOL: RefCell<Option<Pool>> = const { RefCell::new(None) };
}

impl Pool {
    fn take() -> Pool {
        let pool = POOL.with(|p| p.borrow_mut().take());
        let pool = pool.unwrap_or_else(|| Pool {
            frames: FrameStack::new_prealloc(8),
            memory: Rc::new(RefCell::new(Vec::with_capacity(4 * 1024))),
        });
        pool.memory.borrow_mut().clear();
        pool
    }

    fn give_back(frames: FrameStack<EthFrame<EthInterpreter>>, memory: Rc<RefCell<Vec<u8>>>) {
        // A buffer grown by a memory-hungry call is not kept.
        if memory.borrow().capacity() <= 1 << 20 {
            POOL.with(|p| *p.borrow_mut() = Some(Pool { frames, memory }));
        }
    }
}

/// What the first frame needs: registrations and the entering asset.
struct TopSetup {
    create_address: Option<Address>,
    target: Address,
    register: Vec<[u8; 96]>,
    asset: Value,
}

struct SeroHandler<V> {
    setup: TopSetup,
    _v: std::marker::PhantomData<V>,
}

impl<V: StateView> Handler for SeroHandler<V> {
    type Evm = SeroRevm<V>;
    type Error = EVMError<ViewError>;
    type HaltReason = HaltReason;

    fn first_frame_input(
        &mut self,
        evm: &mut Self::Evm,
        gas: &mut GasTracker,
    ) -> Result<Option<FrameInit>, Self::Error> {
        let ctx = evm.ctx_mut();
        // Registrations and the entering asset, at transaction level: on a
        // top-level failure the engine drops every change anyway.
        let mut touched: Vec<Address> = Vec::new();
        for p in &self.setup.register {
            let short = short_address_bytes(p);
            // Nothing has run yet: the view holds the current value, and
            // a PKr already registered needs no write (the same value
            // would leave no change anyway).
            if !touched.contains(&short)
                && ctx.journaled_state.database.view.short_pkr(&short)? == Some(*p)
            {
                continue;
            }
            Tables::set_short_pkr(ctx, short, p)?;
            touched.push(short);
        }
        let target = self.setup.target;
        let v = &self.setup.asset;
        if let Some((cur, amt)) = v.token {
            let b = Tables::get(ctx, SysKey::Book(target, cur))?;
            let nb = b
                .checked_add(amt)
                .ok_or_else(|| EVMError::Custom("book overflow on entry".into()))?;
            Tables::set(ctx, SysKey::Book(target, cur), nb)?;
        }
        if let Some(t) = v.ticket {
            Tables::set(
                ctx,
                SysKey::Ticket(t),
                ticket_word(TicketState::Held(target)),
            )?;
        }
        // This runs inside the runtime-gas checkpoint, committed before the
        // first frame takes its own: the first frame has this depth.
        let first_depth = ctx.journaled_state.depth();
        let top = (!v.is_empty()).then(|| v.clone());
        ctx.chain.start_frame(first_depth, top.clone());
        ctx.chain.next_call = None;
        if self.setup.create_address.is_none() {
            // A call passes the frame hook, which must not clear it.
            ctx.chain.top_pending = Some(top);
        }

        let mut memory = SharedMemory::new_with_buffer(ctx.local().shared_memory_buffer().clone());
        memory.set_memory_limit(revm::context_interface::Cfg::memory_limit(ctx.cfg()));
        let Some(mut frame_input) = execution::create_init_frame(ctx, gas)? else {
            return Ok(None);
        };
        match &mut frame_input {
            FrameInput::Create(inputs) => {
                if let Some(a) = self.setup.create_address {
                    inputs.set_scheme(CreateScheme::Custom { address: a });
                }
            }
            FrameInput::Call(inputs) => {
                inputs.value = CallValue::Apparent(v.amount());
            }
            _ => {}
        }
        Ok(Some(FrameInit {
            depth: 0,
            memory,
            frame_input,
        }))
    }
}

/// Splits the input prefix (§2): 16 bytes, a 2-byte big-endian count n,
/// n PKrs of 96 bytes, then the calldata or init code.
pub fn split_prefix(data: &[u8]) -> Result<(Vec<[u8; 96]>, &[u8]), SeroHalt> {
    if data.len() < 18 {
        return Err(SeroHalt::ShortPrefix);
    }
    let n = u16::from_be_bytes([data[16], data[17]]) as usize;
    let end = 18 + 96 * n;
    if data.len() < end {
        return Err(SeroHalt::ShortPrefix);
    }
    let mut pkrs = Vec::with_capacity(n);
    for i in 0..n {
        let p: [u8; 96] = data[18 + 96 * i..18 + 96 * (i + 1)]
            .try_into()
            .expect("96 bytes");
        OneTimeAddress::from_bytes(&p).map_err(|_| SeroHalt::BadPrefixPkr)?;
        pkrs.push(p);
    }
    Ok((pkrs, &data[end..]))
}

/// Builds an input prefix (wallets and tests).
pub fn make_prefix(rand: [u8; 16], pkrs: &[OneTimeAddress], rest: &[u8]) -> Vec<u8> {
    let mut v = rand.to_vec();
    v.extend_from_slice(&(pkrs.len() as u16).to_be_bytes());
    for p in pkrs {
        v.extend_from_slice(&p.to_bytes());
    }
    v.extend_from_slice(rest);
    v
}

fn asset_value(a: &Option<Asset>) -> Value {
    match a {
        None => Value::default(),
        Some(a) => Value {
            token: (a.value != 0).then_some((a.currency, U256::from(a.value))),
            ticket: a.ticket,
        },
    }
}

fn failure(
    env: &Env,
    status: Status,
    gas_used: u64,
    output: Bytes,
    changes: ChangeSet,
) -> ExecutionOutcome {
    let notes = match env.asset {
        Some(a) if a.value != 0 || a.ticket.is_some() => vec![Note {
            pkr: env.from,
            asset: a,
        }],
        _ => vec![],
    };
    ExecutionOutcome {
        status,
        gas_used,
        output,
        logs: vec![],
        changes,
        notes,
        created: None,
    }
}

/// `pkr.to_bytes()`, remembering the last one on this thread (encoding
/// three points costs more than comparing them, and one `From` often sends
/// many transactions in a row).
fn pkr_bytes(pkr: &OneTimeAddress) -> [u8; 96] {
    thread_local! {
        static LAST: std::cell::Cell<Option<(OneTimeAddress, [u8; 96])>> =
            const { std::cell::Cell::new(None) };
    }
    if let Some((p, b)) = LAST.get() {
        if p == *pkr {
            return b;
        }
    }
    let b = pkr.to_bytes();
    LAST.set(Some((*pkr, b)));
    b
}

/// Executes one contract call or creation against `view`.
///
/// `Err` only for store failures and malformed environments (the
/// transaction cannot be included); every contract-level failure is an
/// outcome with status `Revert` or `Halt`, gas charged, and the call's asset
/// returned to `From` as a note.
pub fn execute<V: StateView>(
    view: V,
    cfg: &EvmConfig,
    env: &Env,
) -> Result<ExecutionOutcome, ExecError> {
    let from_bytes = pkr_bytes(&env.from);
    let caller = short_address_bytes(&from_bytes);
    let value = asset_value(&env.asset);
    if let Some(t) = env.asset.and_then(|a| a.ticket) {
        // A ticket that enters comes from a note, never from a contract.
        if let TicketState::Held(_) = view.ticket(&t)? {
            return Err(ExecError::InvalidTx(
                "the call's ticket is held by a contract".into(),
            ));
        }
    }
    let data = match &env.action {
        Action::Call { data, .. } | Action::Create { data } => data,
    };
    let (prefix_pkrs, body) = match split_prefix(data) {
        Ok(x) => x,
        Err(h) => {
            return Ok(failure(
                env,
                Status::Halt(h.to_string()),
                env.gas_limit,
                Bytes::new(),
                ChangeSet::default(),
            ))
        }
    };
    let mut register = vec![from_bytes];
    register.extend(prefix_pkrs);

    let mut nonce_change = ChangeSet::default();
    let (kind, target, create_address) = match &env.action {
        Action::Call { to, .. } => {
            let has_code = view
                .account(to)?
                .map(|(_, h)| h != KECCAK_EMPTY)
                .unwrap_or(false);
            if !has_code {
                return Ok(failure(
                    env,
                    Status::Halt(SeroHalt::NotAContract.to_string()),
                    0,
                    Bytes::new(),
                    ChangeSet::default(),
                ));
            }
            (TxKind::Call(*to), *to, None)
        }
        Action::Create { .. } => {
            let old = view.contract_nonce()?;
            let n = old
                .checked_add(1)
                .ok_or_else(|| ExecError::Engine("contract nonce".into()))?;
            let a = contract_address(&from_bytes, n);
            nonce_change.push(
                StateKey::ContractNonce,
                (old != 0).then_some(StateValue::Nonce(old)),
                Some(StateValue::Nonce(n)),
            );
            (TxKind::Create, a, Some(a))
        }
    };

    let mut cfg_env = CfgEnv::new_with_spec(SPEC);
    cfg_env.chain_id = cfg.chain_id;
    cfg_env.disable_nonce_check = true;
    cfg_env.tx_chain_id_check = false;
    let block = BlockEnv {
        number: U256::from(env.height),
        timestamp: U256::from(env.time),
        gas_limit: env.gas_limit,
        basefee: 0,
        ..Default::default()
    };
    let tx = TxEnv {
        caller,
        gas_limit: env.gas_limit,
        gas_price: 0,
        kind,
        value: U256::ZERO,
        data: Bytes::copy_from_slice(body),
        nonce: 0,
        chain_id: None,
        ..Default::default()
    };
    let mut journal = Journal::new(SeroDb::new(view));
    journal.set_spec_id(SPEC);
    let chain = SeroChain {
        issue_fee: cfg.issue_fee,
        tx_hash: env.tx_hash,
        network: cfg.network,
        ..Default::default()
    };
    let mut ctx: SeroCtx<V> = Context {
        block,
        tx,
        cfg: cfg_env,
        journaled_state: journal,
        chain,
        local: LocalContext::default(),
        error: Ok(()),
    };
    let pool = Pool::take();
    ctx.local.shared_memory_buffer = pool.memory;
    let mut evm: SeroRevm<V> = revm::context::Evm {
        ctx,
        inspector: (),
        instruction: sero_instructions::<V>(SPEC),
        precompiles: SeroPrecompiles {
            inner: EthPrecompiles::new(SPEC),
        },
        frame_stack: pool.frames,
    };
    let mut handler = SeroHandler::<V> {
        setup: TopSetup {
            create_address,
            target,
            register,
            asset: value,
        },
        _v: std::marker::PhantomData,
    };
    let result = handler.run(&mut evm);
    let state = evm.ctx.journaled_state.finalize();
    Pool::give_back(
        std::mem::take(&mut evm.frame_stack),
        std::mem::take(&mut evm.ctx.local.shared_memory_buffer),
    );
    let result = match result {
        Ok(r) => r,
        Err(EVMError::Database(e)) => return Err(ExecError::View(e)),
        Err(EVMError::Transaction(e)) => return Err(ExecError::InvalidTx(e.to_string())),
        Err(e) => return Err(ExecError::Engine(e.to_string())),
    };
    let view = &evm.ctx.journaled_state.database.view;
    match result {
        ExecutionResult::Success {
            gas, logs, output, ..
        } => {
            let created = match &output {
                Output::Create(_, a) => *a,
                Output::Call(_) => None,
            };
            let out = output.into_data();
            let mut changes = collect_changes(view, &evm.ctx.journaled_state.database, &state)?;
            changes.changes.extend(nonce_change.changes);
            changes.finish();
            let notes = collect_notes(&state)?;
            Ok(ExecutionOutcome {
                status: Status::Success,
                gas_used: gas.tx_gas_used(),
                output: out,
                logs,
                changes,
                notes,
                created,
            })
        }
        ExecutionResult::Revert { gas, output, .. } => Ok(failure(
            env,
            Status::Revert,
            gas.tx_gas_used(),
            output,
            nonce_change,
        )),
        ExecutionResult::Halt { reason, gas, .. } => {
            let top = evm.ctx.chain.halt.take();
            let msg = match top {
                Some((d, h)) if d <= 1 => h.to_string(),
                _ => format!("{reason:?}"),
            };
            Ok(failure(
                env,
                Status::Halt(msg),
                gas.tx_gas_used(),
                Bytes::new(),
                nonce_change,
            ))
        }
    }
}

fn collect_changes<V: StateView>(
    view: &V,
    db: &SeroDb<V>,
    state: &EvmState,
) -> Result<ChangeSet, ViewError> {
    let mut cs = ChangeSet::default();
    let mut typed: BTreeSet<Vec<u8>> = BTreeSet::new();
    let mut typed_keys = Vec::new();
    let sys = state.get(&SYS_STATE);
    if let Some(acc) = sys {
        for (slot, s) in acc.storage.iter() {
            if s.present_value() != s.original_value() {
                if let Some(k) = db.preimage(slot) {
                    let sk = k.state_key();
                    if typed.insert(sk.encode()) {
                        typed_keys.push(sk);
                    }
                }
            }
        }
    }
    let current = |k: &SysKey| -> Result<U256, ViewError> {
        if let Some(acc) = sys {
            if let Some(s) = db.slots.get(k).and_then(|slot| acc.storage.get(slot)) {
                return Ok(s.present_value());
            }
        }
        typed_value_word(view, k)
    };
    for sk in typed_keys {
        let old = view.get(&sk)?;
        let new = match (&sk, &old) {
            // A package opened by sero_ClosePkg: the stored record, opened.
            (StateKey::Package(id), Some(StateValue::Package(r))) => {
                let mut r = r.clone();
                r.opened = !current(&SysKey::PackageOpened(*id))?.is_zero();
                Some(StateValue::Package(r))
            }
            _ => typed_value(&sk, current)?,
        };
        cs.push(sk, old, new);
    }
    for (addr, acc) in state.iter() {
        if *addr == SYS_STATE || *addr == SYS_NOTES {
            continue;
        }
        let code_hash = acc.info.code_hash;
        if code_hash == KECCAK_EMPTY || code_hash == B256::ZERO {
            continue; // accounts without code are not stored
        }
        let key = StateKey::Account(*addr);
        let old = view.get(&key)?;
        let new = Some(StateValue::Account {
            nonce: acc.info.nonce,
            code_hash,
        });
        if old != new {
            if let Some(code) = &acc.info.code {
                let ck = StateKey::Code(code_hash);
                let old_code = view.get(&ck)?;
                cs.push(ck, old_code, Some(StateValue::Code(code.original_bytes())));
            }
            cs.push(key, old, new);
        }
        for (slot, s) in acc.storage.iter() {
            if s.present_value() != s.original_value() {
                let k = StateKey::Storage(*addr, *slot);
                // The journal loaded the original word from the view.
                let o = s.original_value();
                let old = (!o.is_zero()).then_some(StateValue::Word(o));
                let v = s.present_value();
                cs.push(k, old, (!v.is_zero()).then_some(StateValue::Word(v)));
            }
        }
    }
    Ok(cs)
}

fn typed_value_word<V: StateView>(view: &V, k: &SysKey) -> Result<U256, ViewError> {
    // The word's value before execution.
    k.read(view)
}

fn collect_notes(state: &EvmState) -> Result<Vec<Note>, ViewError> {
    let Some(acc) = state.get(&SYS_NOTES) else {
        return Ok(vec![]);
    };
    let w = |i: U256| {
        acc.storage
            .get(&i)
            .map(|s| s.present_value())
            .unwrap_or_default()
    };
    let n = w(U256::ZERO).saturating_u64();
    let mut out = Vec::new();
    for i in 0..n {
        let base = 1 + i as usize * NOTE_WORDS;
        let ws: Vec<U256> = (0..NOTE_WORDS).map(|j| w(U256::from(base + j))).collect();
        let mut p = [0u8; 96];
        for j in 0..3 {
            p[j * 32..(j + 1) * 32].copy_from_slice(&ws[j].to_be_bytes::<32>());
        }
        let pkr = OneTimeAddress::from_bytes(&p)
            .map_err(|e| ViewError::Corrupt(format!("note PKr: {e}")))?;
        let currency = Currency::from_bytes(&ws[3].to_be_bytes::<32>())
            .map_err(|e| ViewError::Corrupt(format!("note currency: {e}")))?;
        let value: u128 = ws[4]
            .try_into()
            .map_err(|_| ViewError::Corrupt("note value".into()))?;
        let ticket = if ws[7].is_zero() {
            None
        } else {
            Some(
                ticket_from_words(ws[5], ws[6])
                    .ok_or_else(|| ViewError::Corrupt("note ticket".into()))?,
            )
        };
        out.push(Note {
            pkr,
            asset: Asset {
                currency,
                value,
                ticket,
            },
        });
    }
    let _ = u256_to_addr;
    Ok(out)
}
