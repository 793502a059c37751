//! The engine-speed comparison shared by `cargo bench -p sero-evm --bench
//! evm` and `sero bench evm`: ERC-20-style transfers of the same bytecode
//! through the SERO engine and through plain revm, each side doing the same
//! work per transfer (execute, then commit the state changes).
//!
//! The bytecode is solc 0.4.26 output committed under `contracts/build/`
//! (a test recompiles the sources and checks the files match), so nothing
//! here needs a compiler at run time.

use crate::exec::{execute, make_prefix, Action, Env, EvmConfig};
use crate::state::MemState;
use crate::{short_address, ExecError};
use revm::context::result::ExecutionResult;
use revm::context::{CfgEnv, Context, TxEnv};
use revm::database::InMemoryDB;
use revm::handler::{ExecuteCommitEvm, MainBuilder, MainContext};
use revm::primitives::{Address, Bytes, TxKind, U256};
use sero_keys::OneTimeAddress;

/// Creation code of `contracts/test/Erc20.sol` (hex; constructor argument:
/// the supply, credited to the creator).
pub const ERC20_HEX: &str = include_str!("../../../contracts/build/Erc20.hex");
/// Creation code of `contracts/TokenSale.sol` (hex; constructor argument:
/// the rate).
pub const TOKEN_SALE_HEX: &str = include_str!("../../../contracts/build/TokenSale.hex");

/// Decodes one of the committed hex files.
pub fn bytecode(hex_text: &str) -> Vec<u8> {
    hex::decode(hex_text.trim()).expect("committed bytecode is hex")
}

/// The first four bytes of keccak256 of a function signature.
pub fn selector(sig: &str) -> [u8; 4] {
    let h = crate::engine_keccak(sig.as_bytes());
    [h[0], h[1], h[2], h[3]]
}

/// Calldata of `transfer(address,uint256)`.
pub fn transfer_calldata(to: Address, amount: u64) -> Vec<u8> {
    let mut v = selector("transfer(address,uint256)").to_vec();
    v.extend_from_slice(&[0u8; 12]);
    v.extend_from_slice(to.as_slice());
    v.extend_from_slice(&U256::from(amount).to_be_bytes::<32>());
    v
}

/// Supply minted to the sender; each transfer moves one unit.
const SUPPLY: u64 = 1 << 60;
const GAS_LIMIT: u64 = 5_000_000;

/// Two chains holding the same ERC-20 contract: one executed by the SERO
/// engine over a [`MemState`], one by plain revm over an `InMemoryDB`, both
/// with the same spec and the same sender (the short address of `from`).
pub struct TransferBench {
    state: MemState,
    cfg: EvmConfig,
    env: Env,
    plain: PlainEvm,
    plain_tx: TxEnv,
    /// Gas of one steady-state transfer (the recipient already holds some).
    pub gas_per_transfer: u64,
}

type PlainEvm = revm::context::Evm<
    Context<revm::context::BlockEnv, TxEnv, CfgEnv, InMemoryDB>,
    (),
    revm::handler::instructions::EthInstructions<
        revm::interpreter::interpreter::EthInterpreter,
        Context<revm::context::BlockEnv, TxEnv, CfgEnv, InMemoryDB>,
    >,
    revm::handler::EthPrecompiles,
    revm::handler::EthFrame<revm::interpreter::interpreter::EthInterpreter>,
>;

impl TransferBench {
    /// Deploys `erc20_init` (creation code without arguments) on both sides
    /// and makes one transfer on each, so that the timed ones all change
    /// existing storage words.
    pub fn new(erc20_init: &[u8], from: OneTimeAddress) -> Result<Self, String> {
        let mut init = erc20_init.to_vec();
        init.extend_from_slice(&U256::from(SUPPLY).to_be_bytes::<32>());
        let transfer = transfer_calldata(Address::repeat_byte(0x42), 1);

        let mut state = MemState::new();
        let cfg = EvmConfig::default();
        let env = |action| Env {
            height: 1,
            time: 1_700_000_000,
            tx_hash: [0xaa; 32],
            gas_limit: GAS_LIMIT,
            from,
            asset: None,
            action,
        };
        let created = execute(
            &state,
            &cfg,
            &env(Action::Create {
                data: make_prefix([0; 16], &[], &init),
            }),
        )
        .map_err(|e| e.to_string())?;
        if !created.is_success() {
            return Err(format!("deploy through the engine: {:?}", created.status));
        }
        state.apply(&created.changes);
        let token = created.created.ok_or("no contract created")?;
        let env = env(Action::Call {
            to: token,
            data: make_prefix([0; 16], &[], &transfer),
        });

        let caller = short_address(&from);
        let mut spec = CfgEnv::new_with_spec(crate::SPEC);
        spec.disable_nonce_check = true;
        let mut plain = Context::mainnet()
            .with_db(InMemoryDB::default())
            .with_cfg(spec)
            .build_mainnet();
        let deployed = plain
            .transact_commit(TxEnv {
                caller,
                gas_limit: GAS_LIMIT,
                kind: TxKind::Create,
                data: Bytes::from(init),
                ..Default::default()
            })
            .map_err(|e| e.to_string())?;
        let plain_token = match deployed {
            ExecutionResult::Success { output, .. } => output
                .address()
                .copied()
                .ok_or("plain revm created no contract")?,
            r => return Err(format!("deploy through plain revm: {r:?}")),
        };
        let plain_tx = TxEnv {
            caller,
            gas_limit: GAS_LIMIT,
            kind: TxKind::Call(plain_token),
            data: Bytes::from(transfer),
            ..Default::default()
        };
        let mut b = TransferBench {
            state,
            cfg,
            env,
            plain,
            plain_tx,
            gas_per_transfer: 0,
        };
        b.sero_transfer().map_err(|e| e.to_string())?;
        b.plain_transfer()?;
        let sero = b.sero_transfer().map_err(|e| e.to_string())?;
        let plain = b.plain_transfer()?;
        if sero != plain {
            return Err(format!(
                "gas differs: engine {sero}, plain revm {plain} (same bytecode and spec)"
            ));
        }
        b.gas_per_transfer = sero;
        Ok(b)
    }

    /// One transfer through the SERO engine, its change set applied to the
    /// state: the gas used.
    pub fn sero_transfer(&mut self) -> Result<u64, ExecError> {
        let out = execute(&self.state, &self.cfg, &self.env)?;
        if !out.is_success() {
            return Err(ExecError::Engine(format!("transfer: {:?}", out.status)));
        }
        self.state.apply(&out.changes);
        Ok(out.gas_used)
    }

    /// One transfer through plain revm, committed to its database: the gas
    /// used.
    pub fn plain_transfer(&mut self) -> Result<u64, String> {
        match self.plain.transact_commit(self.plain_tx.clone()) {
            Ok(r @ ExecutionResult::Success { .. }) => Ok(r.tx_gas_used()),
            Ok(r) => Err(format!("plain transfer: {r:?}")),
            Err(e) => Err(e.to_string()),
        }
    }
}
