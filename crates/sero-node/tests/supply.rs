//! Supply at the chain level (issue 10): over chains of random contract
//! calls (buying a contract-issued token, failed purchases whose asset comes
//! back, withdrawals from a contract's book, calls whose gas a contract
//! pays) and private transfers of SERO and of the token, all in real blocks
//! with real proofs, the supply of every currency equals the unspent notes
//! (decrypted with the accounts' keys) plus the contract books:
//!
//! * SERO: premine + block rewards;
//! * COIN: what the contract issued.
//!
//! The TokenSale contract is compiled from `contracts/` by the real solc.

mod common;
#[path = "../../sero-evm/tests/common/mod.rs"]
mod evm_common;

use common::{key, params, spendable};
use evm_common::{calldata, code, encode, u, Tok};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_assets::{Asset, Currency};
use sero_evm::{make_prefix, Address, StateKey, StateValue};
use sero_keys::{OneTimeAddress, SecretKey};
use sero_ledger::block::Seal;
use sero_ledger::builder::{build_transaction_ext, Extras, Network, Recipient};
use sero_ledger::contract::TokenFee;
use sero_ledger::{ContractAction, ContractTarget, Transaction};
use sero_node::chain::genesis_block;
use sero_node::contract::Receipt;
use sero_node::{Chain, ChainConfig};
use std::collections::BTreeMap;

const PREMINE: u128 = 50_000;
const ISSUED: u128 = 1_000_000;

fn coin() -> Currency {
    Currency::new("COIN").unwrap()
}

/// The owner's fixed identity (`msg.sender` of deploy and owner-only calls).
fn owner_pkr() -> OneTimeAddress {
    key(1)
        .payment_address()
        .derive_pkr_with(&sero_crypto::Scalar::from(77u64))
}

fn miner() -> OneTimeAddress {
    key(9)
        .payment_address()
        .derive_pkr_with(&sero_crypto::Scalar::from(3u64))
}

struct World {
    _dir: tempfile::TempDir,
    chain: Chain,
    seed: u64,
    /// Non-empty blocks applied (each mints the block reward).
    blocks: u128,
    sale: Address,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let premine: Vec<_> = [1u8, 2]
            .iter()
            .flat_map(|k| {
                let a = key(*k).payment_address();
                (0..2)
                    .map(|_| (a.derive_pkr(&mut rng), PREMINE / 4))
                    .collect::<Vec<_>>()
            })
            .collect();
        let chain = Chain::open(
            &dir.path().join("chain.redb"),
            params(),
            ChainConfig::dev(),
            || genesis_block(&premine, &[], 0, &ChainConfig::dev()),
        )
        .unwrap();
        let mut w = World {
            _dir: dir,
            chain,
            seed: 100,
            blocks: 0,
            sale: Address::ZERO,
        };
        // Deploy TokenSale(10) and issue COIN as the owner; let callers pay
        // their gas in COIN at 1 COIN per SERO unit.
        let mut init = code("TokenSale");
        init.extend(encode(&[u(10)]));
        let deploy = ContractAction {
            target: ContractTarget::Create,
            gas_limit: 3_000_000,
            asset: None,
            token_fee: None,
            data: make_prefix([0; 16], &[], &init),
        };
        let tx = w.tx(1, vec![], 300, Some(deploy), true);
        let r = w.block(tx).expect("deployed");
        w.sale = r.contract_address.unwrap().parse().unwrap();
        let issue = w.call("issue(uint256)", &[u(ISSUED)], Some(Asset::sero(100)), None);
        let tx = w.tx(1, vec![], 100, Some(issue), true);
        assert_eq!(w.block(tx).unwrap().status, "success");
        let rate = w.call("sponsorGas(uint256,uint256)", &[u(1), u(1)], None, None);
        let tx = w.tx(1, vec![], 100, Some(rate), true);
        assert_eq!(w.block(tx).unwrap().status, "success");
        w
    }

    fn call(
        &self,
        sig: &str,
        args: &[Tok],
        asset: Option<Asset>,
        token_fee: Option<TokenFee>,
    ) -> ContractAction {
        ContractAction {
            target: ContractTarget::Call(self.sale.0 .0),
            gas_limit: 1_000_000,
            asset,
            token_fee,
            data: make_prefix([0; 16], &[], &calldata(sig, args)),
        }
    }

    /// A transaction of account `k`; `None` if its notes do not cover it.
    fn tx(
        &mut self,
        k: u8,
        recipients: Vec<Recipient>,
        fee: u128,
        contract: Option<ContractAction>,
        as_owner: bool,
    ) -> Option<Transaction> {
        self.seed += 1;
        let sk: SecretKey = key(k);
        let mut rng = ChaCha20Rng::seed_from_u64(self.seed);
        build_transaction_ext(
            Network {
                chain_id: self.chain.chain_id(),
                params: self.chain.params(),
            },
            &sk,
            &spendable(&self.chain, &sk),
            recipients,
            fee,
            Extras {
                contract,
                from: as_owner.then(owner_pkr),
                ..Extras::default()
            },
            &mut rng,
            &|_, _| {},
        )
        .ok()
    }

    /// Puts `tx` (if any) into the next block; its receipt, if it has one.
    fn block(&mut self, tx: Option<Transaction>) -> Option<Receipt> {
        let tx = tx?;
        let (h, _) = self.chain.tip();
        let b = self
            .chain
            .build_block(vec![tx.clone()], &miner(), h + 1, Seal::Dev)
            .unwrap();
        self.chain.apply_block(&b).unwrap();
        self.blocks += 1;
        if b.txs.is_empty() {
            return None;
        }
        self.chain
            .db()
            .receipt(&tx.txid())
            .unwrap()
            .map(|r| serde_json::from_slice(&r).unwrap())
    }

    /// Σ unspent notes of every key that can hold any + Σ books, per currency.
    fn supply(&self) -> BTreeMap<Currency, u128> {
        let mut m: BTreeMap<Currency, u128> = BTreeMap::new();
        for k in [1u8, 2, 9] {
            for n in spendable(&self.chain, &key(k)) {
                *m.entry(n.note.asset.currency).or_default() += n.note.asset.value;
            }
        }
        let overlay = Default::default();
        for (kb, vb) in self.chain.db().evm_entries_with(&overlay).unwrap() {
            let k = StateKey::decode(&kb).unwrap();
            if let StateKey::Book(_, c) = k {
                let StateValue::Word(w) = StateValue::decode(&k, &vb).unwrap() else {
                    panic!("a book is a word")
                };
                *m.entry(c).or_default() += u128::try_from(w).unwrap();
            }
        }
        m.retain(|_, v| *v > 0);
        m
    }

    fn expected(&self) -> BTreeMap<Currency, u128> {
        BTreeMap::from([
            (
                Currency::sero(),
                PREMINE + self.blocks * ChainConfig::dev().block_reward,
            ),
            (coin(), ISSUED),
        ])
    }
}

#[derive(Clone, Debug)]
enum Op {
    /// Account (1 or 2) buys COIN with this much SERO.
    Buy(u8, u16),
    /// A purchase that reverts: the SERO comes back as a note.
    BuyRevert(u8, u16),
    /// The owner withdraws SERO from the contract's book.
    Withdraw(u16),
    /// A private transfer between the accounts, of SERO or COIN.
    Send(u8, bool, u16),
    /// A call whose gas is paid in COIN by the contract.
    OnBehalf(u8),
}

fn op() -> impl Strategy<Value = Op> {
    let who = 1u8..=2;
    prop_oneof![
        (who.clone(), 1u16..2_000).prop_map(|(k, x)| Op::Buy(k, x)),
        (who.clone(), 1u16..2_000).prop_map(|(k, x)| Op::BuyRevert(k, x)),
        (1u16..2_000).prop_map(Op::Withdraw),
        (who.clone(), any::<bool>(), 1u16..5_000).prop_map(|(k, c, x)| Op::Send(k, c, x)),
        who.prop_map(Op::OnBehalf),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3, ..ProptestConfig::default() })]

    #[test]
    fn supply_is_notes_plus_books_over_random_calls_and_transfers(
        ops in proptest::collection::vec(op(), 3..7)
    ) {
        let mut w = World::new();
        prop_assert_eq!(w.supply(), w.expected());
        // Both accounts buy COIN first, so that every kind of operation can
        // follow.
        let start = [Op::Buy(1, 500), Op::Buy(2, 700)];
        for o in start.into_iter().chain(ops) {
            let tx = match o {
                Op::Buy(k, x) => {
                    let c = w.call("buy()", &[], Some(Asset::sero(x as u128)), None);
                    w.tx(k, vec![], 100, Some(c), false)
                }
                Op::BuyRevert(k, x) => {
                    let c = w.call("buyThenRevert()", &[], Some(Asset::sero(x as u128)), None);
                    w.tx(k, vec![], 100, Some(c), false)
                }
                Op::Withdraw(x) => {
                    let c = w.call("withdraw(uint256)", &[u(x as u128)], None, None);
                    w.tx(1, vec![], 100, Some(c), true)
                }
                Op::Send(k, token, x) => {
                    let to = key(3 - k).payment_address().derive_pkr(&mut ChaCha20Rng::seed_from_u64(x as u64));
                    let asset = if token { Asset::token(coin(), x as u128) } else { Asset::sero(x as u128) };
                    w.tx(k, vec![Recipient { pkr: to, asset, memo: vec![], plain: false }], 10, None, false)
                }
                Op::OnBehalf(k) => {
                    let c = w.call(
                        "coinBalance()",
                        &[],
                        None,
                        Some(TokenFee { currency: coin(), amount: 100 }),
                    );
                    w.tx(k, vec![], 0, Some(c), false)
                }
            };
            w.block(tx);
            prop_assert_eq!(w.supply(), w.expected(), "after {:?}", o);
        }
        // Deploy, issue, rate and the two purchases made blocks.
        prop_assert!(w.blocks >= 5, "only {} blocks", w.blocks);
    }
}
