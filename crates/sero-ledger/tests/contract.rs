//! The contract action of a transaction: a call bringing SERO and GOLD out
//! of the shielded inputs validates; its asset is bound by the balance
//! signature (no minting), its data by both signatures; malformed
//! encodings are refused.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_assets::{Asset, Category, Currency, Ticket, TicketId};
use sero_crypto::{Base, Scalar};
use sero_keys::{SecretKey, Seed};
use sero_ledger::builder::{build_transaction_ext, Extras, Network, SpendableNote};
use sero_ledger::contract::{check_historical, min_fee, ContractView, TokenFee, MAX_CONTRACT_DATA};
use sero_ledger::note_plaintext::memo_hash;
use sero_ledger::validate::validate_stateless;
use sero_ledger::{ContractAction, ContractTarget, DecodeError, Transaction, TxError};
use sero_tree::WitnessTree;
use sero_zk::note::Note;
use sero_zk::params::Parameters;
use std::sync::OnceLock;

const TEST_CHAIN: [u8; 32] = [0xc5; 32];

fn alice() -> SecretKey {
    SecretKey::from_seed(&Seed::from_bytes([0xa1; 32]))
}
fn gold() -> Currency {
    Currency::new("GOLD").unwrap()
}

/// Alice's notes: 1,000 SERO and 50 GOLD.
fn wallet() -> Vec<SpendableNote> {
    let a = alice();
    let notes = [Asset::sero(1000), Asset::token(gold(), 50)];
    let mut tree = WitnessTree::new();
    let mut placed = vec![];
    for (k, asset) in notes.iter().enumerate() {
        let note = Note {
            asset: *asset,
            pkr: a
                .payment_address()
                .derive_pkr_with(&Scalar::from(10 + k as u64)),
            memo_hash: memo_hash(b""),
            rsk: Base::from(99 + k as u64),
        };
        let pos = tree.len();
        tree.append(sero_tree::cm_auth(pos, note.cm_out().unwrap()))
            .unwrap();
        placed.push((note, pos));
    }
    placed
        .into_iter()
        .map(|(note, pos)| SpendableNote {
            note,
            path: tree.path(pos).unwrap(),
        })
        .collect()
}

fn call(asset: Option<Asset>) -> ContractAction {
    ContractAction {
        target: ContractTarget::Call([0x42; 20]),
        gas_limit: 1_000_000,
        asset,
        token_fee: None,
        data: vec![0xab; 18 + 4],
    }
}

fn build(c: ContractAction, fee: u128) -> Result<Transaction, sero_ledger::builder::BuildError> {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    build_transaction_ext(
        Network {
            chain_id: TEST_CHAIN,
            params: Parameters::dev(),
        },
        &alice(),
        &wallet(),
        vec![],
        fee,
        Extras {
            contract: Some(c),
            ..Extras::default()
        },
        &mut rng,
        &|_, _| {},
    )
}

/// A call bringing 500 SERO, fee 100.
fn sero_call() -> &'static Transaction {
    static TX: OnceLock<Transaction> = OnceLock::new();
    TX.get_or_init(|| build(call(Some(Asset::sero(500))), 100).unwrap())
}

#[test]
fn a_call_with_an_asset_validates_and_round_trips() {
    let tx = sero_call();
    validate_stateless(tx, Parameters::dev()).unwrap();
    let b = tx.to_bytes();
    assert_eq!(b[0], 5, "version 5 carries a contract action");
    assert_eq!(
        &b[1..33],
        &TEST_CHAIN,
        "the chain id right after the version"
    );
    assert_eq!(&Transaction::from_bytes(&b).unwrap(), tx);
    // The change: 1000 − 500 − 100 SERO back to Alice, no plain output.
    assert!(tx.plain_outputs.is_empty());
    // A token asset (GOLD) works the same way; msg.value is its amount.
    let g = build(call(Some(Asset::token(gold(), 20))), 100).unwrap();
    validate_stateless(&g, Parameters::dev()).unwrap();
}

#[test]
fn an_asset_the_inputs_do_not_cover_fails_the_balance_signature() {
    // The forger owns `from` and re-signs it; only B-Sign stands in the way.
    for forged in [
        Asset::sero(900),          // more SERO than was taken
        Asset::token(gold(), 500), // a currency swapped in
        Asset::ticket(Ticket {
            category: Category::new("KITTY").unwrap(),
            id: TicketId([0x11; 32]),
        }), // a ticket out of nowhere
    ] {
        let mut tx = sero_call().clone();
        tx.contract.as_mut().unwrap().asset = Some(forged);
        tx.from_sig = alice()
            .sign(&tx.from, &tx.sighash(), &mut ChaCha20Rng::seed_from_u64(1))
            .unwrap();
        assert_eq!(
            validate_stateless(&tx, Parameters::dev()),
            Err(TxError::Unbalanced),
            "{forged:?}"
        );
    }
    // The builder refuses what the wallet does not hold.
    assert!(build(call(Some(Asset::sero(5000))), 100).is_err());
}

#[test]
fn tampered_calldata_target_or_gas_break_the_signatures() {
    let tx = sero_call();
    let mut t = tx.clone();
    t.contract.as_mut().unwrap().data[20] ^= 1;
    assert_eq!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::BadFromSignature)
    );
    let mut t = tx.clone();
    t.contract.as_mut().unwrap().target = ContractTarget::Call([0x43; 20]);
    assert_eq!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::BadFromSignature)
    );
    let mut t = tx.clone();
    t.contract.as_mut().unwrap().gas_limit -= 1;
    assert_eq!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::BadFromSignature)
    );
    // Dropping the action entirely changes the txid as well.
    let mut t = tx.clone();
    t.contract = None;
    assert_ne!(t.txid(), tx.txid());
    assert!(validate_stateless(&t, Parameters::dev()).is_err());
}

#[test]
fn gas_limits_and_the_fee_for_gas_are_enforced() {
    assert_eq!(min_fee(1_000_000), 100);
    assert_eq!(min_fee(1_000_001), 101);
    let low_fee = build(call(None), 99).unwrap();
    assert!(matches!(
        validate_stateless(&low_fee, Parameters::dev()),
        Err(TxError::Contract(_))
    ));
    let mut c = call(None);
    c.gas_limit = 20_000;
    let t = build(c, 100).unwrap();
    assert!(matches!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::Contract(_))
    ));
    let mut c = call(None);
    c.gas_limit = 10_000_001;
    let t = build(c, 900).unwrap();
    assert!(matches!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::Contract(_))
    ));
}

#[test]
fn a_ticket_held_by_a_contract_cannot_be_brought_by_a_call() {
    struct Held;
    impl ContractView for Held {
        fn ticket_held_by_contract(&self, _: &Ticket) -> bool {
            true
        }
    }
    let t = Ticket {
        category: Category::new("KITTY").unwrap(),
        id: TicketId([0x12; 32]),
    };
    assert!(check_historical(&call(Some(Asset::ticket(t))), &Held).is_err());
    assert!(check_historical(&call(Some(Asset::sero(1))), &Held).is_ok());
}

/// Offset of the contract action in `tx`'s encoding (it has no plain
/// outputs, no stake; the action follows the plain-output count).
fn action_offset(tx: &Transaction) -> usize {
    let b = tx.to_bytes();
    let mut c = vec![];
    tx.contract.as_ref().unwrap().put(&mut c);
    b.len() - 128 - c.len()
}

#[test]
fn malformed_contract_encodings_are_refused() {
    let tx = sero_call();
    let b = tx.to_bytes();
    let at = action_offset(tx);
    // Unknown kind.
    let mut x = b.clone();
    x[at] = 3;
    assert!(matches!(
        Transaction::from_bytes(&x),
        Err(DecodeError::Invalid {
            what: "contract kind",
            ..
        })
    ));
    // Flags with an unknown bit (kind 1, 20-byte address, 8-byte gas).
    let flag = at + 1 + 20 + 8;
    assert_eq!(b[flag], 1);
    for bad in [4, 0x81, 0xff] {
        let mut x = b.clone();
        x[flag] = bad;
        assert!(matches!(
            Transaction::from_bytes(&x),
            Err(DecodeError::Invalid {
                what: "contract flags",
                ..
            })
        ));
    }
    // An empty asset must be encoded as "no asset": value 0, no ticket.
    let mut c = tx.contract.clone().unwrap();
    c.asset = Some(Asset::sero(0));
    let mut t = tx.clone();
    t.contract = Some(c);
    assert!(matches!(
        Transaction::from_bytes(&t.to_bytes()),
        Err(DecodeError::Invalid {
            what: "contract asset",
            ..
        })
    ));
    // Every truncation and a trailing byte.
    for n in at..b.len() {
        assert!(
            Transaction::from_bytes(&b[..n]).is_err(),
            "truncated at {n}"
        );
    }
    let mut long = b.clone();
    long.push(0);
    assert!(Transaction::from_bytes(&long).is_err());
    // Data over the limit.
    let mut c = tx.contract.clone().unwrap();
    c.data = vec![0; MAX_CONTRACT_DATA + 1];
    let mut t = tx.clone();
    t.contract = Some(c);
    assert!(matches!(
        Transaction::from_bytes(&t.to_bytes()),
        Err(DecodeError::TooMany { .. }) | Err(DecodeError::TooLarge(..))
    ));
    // A creation round-trips too.
    let mut t = tx.clone();
    t.contract.as_mut().unwrap().target = ContractTarget::Create;
    assert_eq!(Transaction::from_bytes(&t.to_bytes()).unwrap(), t);
}

#[test]
fn stake_and_contract_actions_do_not_mix() {
    let mut tx = sero_call().clone();
    tx.stake = Some(sero_ledger::StakeAction::Unbond { vote_key: [1; 32] });
    assert!(matches!(
        validate_stateless(&tx, Parameters::dev()),
        Err(TxError::Contract(_))
    ));
}

/// A call whose gas is paid with 20 GOLD (gas on behalf), SERO fee 0.
fn gold_fee_call() -> &'static Transaction {
    static TX: OnceLock<Transaction> = OnceLock::new();
    TX.get_or_init(|| {
        let mut c = call(None);
        c.token_fee = Some(TokenFee {
            currency: gold(),
            amount: 20,
        });
        build(c, 0).unwrap()
    })
}

#[test]
fn a_token_fee_pays_for_gas_without_sero_and_round_trips() {
    let tx = gold_fee_call();
    assert_eq!(tx.fee, 0);
    validate_stateless(tx, Parameters::dev()).unwrap();
    assert_eq!(&Transaction::from_bytes(&tx.to_bytes()).unwrap(), tx);
    // Flags: bit 1 (token fee) only.
    assert_eq!(tx.to_bytes()[action_offset(tx) + 1 + 20 + 8], 2);
    // Without the token fee, the zero SERO fee buys no gas.
    let mut t = tx.clone();
    t.contract.as_mut().unwrap().token_fee = None;
    t.from_sig = alice()
        .sign(&t.from, &t.sighash(), &mut ChaCha20Rng::seed_from_u64(1))
        .unwrap();
    assert!(matches!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::Contract(_))
    ));
}

#[test]
fn a_token_fee_the_inputs_do_not_cover_fails_the_balance_signature() {
    for forged in [
        TokenFee {
            currency: gold(),
            amount: 21,
        },
        TokenFee {
            currency: Currency::new("COIN").unwrap(),
            amount: 20,
        },
    ] {
        let mut t = gold_fee_call().clone();
        t.contract.as_mut().unwrap().token_fee = Some(forged);
        t.from_sig = alice()
            .sign(&t.from, &t.sighash(), &mut ChaCha20Rng::seed_from_u64(1))
            .unwrap();
        assert_eq!(
            validate_stateless(&t, Parameters::dev()),
            Err(TxError::Unbalanced),
            "{forged:?}"
        );
    }
    // Tampering without re-signing breaks From's signature.
    let mut t = gold_fee_call().clone();
    t.contract
        .as_mut()
        .unwrap()
        .token_fee
        .as_mut()
        .unwrap()
        .amount = 19;
    assert_eq!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::BadFromSignature)
    );
}

#[test]
fn a_creation_cannot_pay_its_gas_in_tokens() {
    let mut t = gold_fee_call().clone();
    t.contract.as_mut().unwrap().target = ContractTarget::Create;
    t.from_sig = alice()
        .sign(&t.from, &t.sighash(), &mut ChaCha20Rng::seed_from_u64(1))
        .unwrap();
    assert!(matches!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::Contract(m)) if m.contains("creation")
    ));
}

#[test]
fn a_token_fee_must_buy_the_gas_at_the_contracts_rate() {
    /// A contract that pays `sero` SERO for any token fee (or nothing).
    struct Rate(Option<u128>);
    impl ContractView for Rate {
        fn ticket_held_by_contract(&self, _: &Ticket) -> bool {
            false
        }
        fn gas_on_behalf(&self, _: &[u8; 20], _: &TokenFee) -> Option<u128> {
            self.0
        }
    }
    let c = gold_fee_call().contract.clone().unwrap();
    // 1,000,000 gas costs 100 SERO units.
    assert!(check_historical(&c, &Rate(Some(100))).is_ok());
    let e = check_historical(&c, &Rate(Some(99))).unwrap_err();
    assert!(
        matches!(&e, TxError::Contract(m) if m.contains("less than")),
        "{e}"
    );
    let e = check_historical(&c, &Rate(None)).unwrap_err();
    assert!(
        matches!(&e, TxError::Contract(m) if m.contains("pays no gas")),
        "{e}"
    );
}

#[test]
fn malformed_token_fees_are_refused() {
    let tx = gold_fee_call();
    let b = tx.to_bytes();
    let at = action_offset(tx) + 1 + 20 + 8 + 1;
    // currency (32) ‖ amount u128 LE: SERO, or an amount of zero.
    let mut x = b.clone();
    x[at..at + 32].copy_from_slice(&Currency::sero().to_bytes());
    assert!(matches!(
        Transaction::from_bytes(&x),
        Err(DecodeError::Invalid {
            what: "token fee",
            ..
        })
    ));
    let mut x = b.clone();
    x[at + 32..at + 48].fill(0);
    assert!(matches!(
        Transaction::from_bytes(&x),
        Err(DecodeError::Invalid {
            what: "token fee",
            ..
        })
    ));
    let mut x = b.clone();
    x[at] = b'a'; // not a valid name
    assert!(matches!(
        Transaction::from_bytes(&x),
        Err(DecodeError::Invalid {
            what: "token fee currency",
            ..
        })
    ));
    for n in at..b.len() {
        assert!(
            Transaction::from_bytes(&b[..n]).is_err(),
            "truncated at {n}"
        );
    }
}
