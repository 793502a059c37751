//! Stake actions at the ledger level: the version-4 encoding, the txid
//! covering the action, and the balance equation taking the locked amount
//! like the fee.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_assets::Asset;
use sero_crypto::{Base, Scalar};
use sero_keys::{SecretKey, Seed};
use sero_ledger::builder::{
    build_transaction, build_transaction_with, stake_refund_pkr, BuildError, Network, SpendableNote,
};
use sero_ledger::note_plaintext::memo_hash;
use sero_ledger::validate::validate_stateless;
use sero_ledger::{DecodeError, StakeAction, Transaction, TxError};
use sero_tree::WitnessTree;
use sero_zk::note::Note;
use sero_zk::params::Parameters;
use std::sync::OnceLock;

/// The network the test transactions are built for.
const TEST_CHAIN: [u8; 32] = [0xc4; 32];

fn alice() -> SecretKey {
    SecretKey::from_seed(&Seed::from_bytes([0xa1; 32]))
}

/// Alice's notes: 1,000 and 300 SERO.
fn wallet() -> Vec<SpendableNote> {
    let a = alice();
    let mut tree = WitnessTree::new();
    let mut placed = vec![];
    for (k, v) in [1000u128, 300].into_iter().enumerate() {
        let note = Note {
            asset: Asset::sero(v),
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

const VOTE: [u8; 32] = [0x11; 32];

fn register(amount: u128) -> Result<Transaction, BuildError> {
    build_transaction_with(
        Network {
            chain_id: TEST_CHAIN,
            params: Parameters::dev(),
        },
        &alice(),
        &wallet(),
        vec![],
        10,
        Some(StakeAction::Register {
            vote_key: VOTE,
            vrf_key: [0x22; 32],
            amount,
        }),
        &mut ChaCha20Rng::seed_from_u64(1),
        &|_, _| {},
    )
}

fn registration() -> &'static Transaction {
    static TX: OnceLock<Transaction> = OnceLock::new();
    TX.get_or_init(|| register(1100).unwrap())
}

#[test]
fn registration_validates_and_round_trips_as_version_4() {
    let tx = registration();
    validate_stateless(tx, Parameters::dev()).unwrap();
    assert_eq!(tx.from, stake_refund_pkr(&alice(), &VOTE));
    assert_eq!(tx.public_sero(), Some(1110));
    let bytes = tx.to_bytes();
    assert_eq!(bytes[0], 4);
    assert_eq!(&Transaction::from_bytes(&bytes).unwrap(), tx);
    // The change is exactly 1,300 − 1,100 − 10, and a zero-value note to
    // self makes the second shielded output every transaction has.
    assert_eq!(tx.outputs.len(), 2);
    // Every truncation fails; an unknown stake kind fails.
    let sigs = 128;
    let stake_at = bytes.len() - sigs - (1 + 32 + 32 + 16);
    assert_eq!(bytes[stake_at], 1);
    for n in [stake_at, stake_at + 1, stake_at + 40, bytes.len() - 1] {
        assert!(Transaction::from_bytes(&bytes[..n]).is_err());
    }
    let mut bad = bytes.clone();
    bad[stake_at] = 3;
    assert!(matches!(
        Transaction::from_bytes(&bad),
        Err(DecodeError::Invalid {
            what: "stake kind",
            ..
        })
    ));
    // Version 3 with the stake bytes present: trailing bytes.
    let mut v3 = bytes.clone();
    v3[0] = 3;
    assert!(Transaction::from_bytes(&v3).is_err());
    assert!(Transaction::from_bytes(&{
        let mut b = bytes;
        b[0] = 5;
        b
    })
    .is_err());
}

#[test]
fn a_transaction_without_stake_is_version_3() {
    let tx = build_transaction(
        Network {
            chain_id: TEST_CHAIN,
            params: Parameters::dev(),
        },
        &alice(),
        &wallet(),
        vec![],
        5,
        &mut ChaCha20Rng::seed_from_u64(2),
        &|_, _| {},
    )
    .unwrap();
    assert!(tx.stake.is_none());
    let b = tx.to_bytes();
    assert_eq!(b[0], 3);
    assert_eq!(Transaction::from_bytes(&b).unwrap(), tx);
}

#[test]
fn the_action_is_signed_and_the_amount_balanced() {
    let tx = registration();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    // Any change to the action changes the txid and breaks the signatures.
    let mut t = tx.clone();
    t.stake = Some(StakeAction::Register {
        vote_key: [0x33; 32],
        vrf_key: [0x22; 32],
        amount: 1100,
    });
    assert_ne!(t.txid(), tx.txid());
    assert_eq!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::BadFromSignature)
    );
    // The sender re-signs From but cannot balance another amount (more or
    // less than the inputs cover), nor drop the action.
    for change in 0..3 {
        let mut t = tx.clone();
        match change {
            0 => {
                t.stake = Some(StakeAction::Register {
                    vote_key: VOTE,
                    vrf_key: [0x22; 32],
                    amount: 1,
                })
            }
            1 => {
                t.stake = Some(StakeAction::Register {
                    vote_key: VOTE,
                    vrf_key: [0x22; 32],
                    amount: 5000,
                })
            }
            _ => t.stake = Some(StakeAction::Unbond { vote_key: VOTE }),
        }
        t.from_sig = alice().sign(&t.from, &t.sighash(), &mut rng).unwrap();
        assert_eq!(
            validate_stateless(&t, Parameters::dev()),
            Err(TxError::Unbalanced),
            "change {change}"
        );
    }
    // Above u64::MAX: refused before anything else.
    let mut t = tx.clone();
    t.stake = Some(StakeAction::Register {
        vote_key: VOTE,
        vrf_key: [0x22; 32],
        amount: u64::MAX as u128 + 1,
    });
    t.from_sig = alice().sign(&t.from, &t.sighash(), &mut rng).unwrap();
    assert!(matches!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::Stake(_))
    ));
    // Fee + amount overflowing u128.
    let mut t = tx.clone();
    t.fee = u128::MAX;
    t.from_sig = alice().sign(&t.from, &t.sighash(), &mut rng).unwrap();
    assert!(matches!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::Stake(_))
    ));
}

#[test]
fn a_registration_the_notes_do_not_cover_is_not_built() {
    assert!(matches!(
        register(1291),
        Err(BuildError::InsufficientFunds { .. })
    ));
    assert!(matches!(register(u128::MAX), Err(BuildError::Overflow)));
}

#[test]
fn unbonding_signs_from_the_refund_pkr() {
    let tx = build_transaction_with(
        Network {
            chain_id: TEST_CHAIN,
            params: Parameters::dev(),
        },
        &alice(),
        &wallet()[1..],
        vec![],
        10,
        Some(StakeAction::Unbond { vote_key: VOTE }),
        &mut ChaCha20Rng::seed_from_u64(4),
        &|_, _| {},
    )
    .unwrap();
    validate_stateless(&tx, Parameters::dev()).unwrap();
    assert_eq!(tx.from, stake_refund_pkr(&alice(), &VOTE));
    assert_eq!(tx.from, registration().from);
    assert_ne!(
        stake_refund_pkr(&alice(), &[0x12; 32]),
        stake_refund_pkr(&alice(), &VOTE)
    );
    let b = tx.to_bytes();
    assert_eq!(Transaction::from_bytes(&b).unwrap(), tx);
}
