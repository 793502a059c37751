//! Stake actions at the ledger level: the version-4 encoding, the txid
//! covering the action, and the balance equation taking the locked amount
//! like the fee.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_assets::Asset;
use sero_consensus::ba::ValidatorKeys;
use sero_crypto::{Base, Scalar};
use sero_keys::{SecretKey, Seed};
use sero_ledger::builder::{
    build_transaction, build_transaction_with, register_action, stake_refund_pkr, BuildError,
    Network, SpendableNote,
};
use sero_ledger::note_plaintext::memo_hash;
use sero_ledger::validate::{check_possession, validate_stateless};
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

fn validator() -> ValidatorKeys {
    ValidatorKeys::from_seed(&[0x11; 32])
}

fn vote() -> [u8; 32] {
    validator().vote_public().to_bytes()
}

fn vrf() -> [u8; 32] {
    validator().vrf_public().to_bytes()
}

fn build_with(action: StakeAction) -> Result<Transaction, BuildError> {
    build_transaction_with(
        Network {
            chain_id: TEST_CHAIN,
            params: Parameters::dev(),
        },
        &alice(),
        &wallet(),
        vec![],
        10,
        Some(action),
        &mut ChaCha20Rng::seed_from_u64(1),
        &|_, _| {},
    )
}

fn register(amount: u128) -> Result<Transaction, BuildError> {
    build_with(register_action(&alice(), &TEST_CHAIN, &validator(), amount))
}

fn pop_of(tx: &Transaction) -> sero_consensus::pop::ProofOfPossession {
    match tx.stake {
        Some(StakeAction::Register { pop: Some(p), .. }) => p,
        _ => panic!("a registration with a proof"),
    }
}

fn registration() -> &'static Transaction {
    static TX: OnceLock<Transaction> = OnceLock::new();
    TX.get_or_init(|| register(1100).unwrap())
}

#[test]
fn registration_validates_and_round_trips_as_version_4() {
    let tx = registration();
    validate_stateless(tx, Parameters::dev()).unwrap();
    assert_eq!(tx.from, stake_refund_pkr(&alice(), &vote()));
    assert_eq!(tx.public_sero(), Some(1110));
    let bytes = tx.to_bytes();
    assert_eq!(bytes[0], 4);
    assert_eq!(&Transaction::from_bytes(&bytes).unwrap(), tx);
    // The change is exactly 1,300 − 1,100 − 10, and a zero-value note to
    // self makes the second shielded output every transaction has.
    assert_eq!(tx.outputs.len(), 2);
    // Every truncation fails; an unknown stake kind fails.
    let sigs = 128;
    let stake_at = bytes.len() - sigs - (1 + 32 + 32 + 16 + 144);
    assert_eq!(bytes[stake_at], 3);
    for n in [stake_at, stake_at + 1, stake_at + 40, bytes.len() - 1] {
        assert!(Transaction::from_bytes(&bytes[..n]).is_err());
    }
    let mut bad = bytes.clone();
    bad[stake_at] = 4;
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
        vrf_key: vrf(),
        amount: 1100,
        pop: Some(pop_of(tx)),
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
                    vote_key: vote(),
                    vrf_key: vrf(),
                    amount: 1,
                    pop: Some(pop_of(tx)),
                })
            }
            1 => {
                t.stake = Some(StakeAction::Register {
                    vote_key: vote(),
                    vrf_key: vrf(),
                    amount: 5000,
                    pop: Some(pop_of(tx)),
                })
            }
            _ => t.stake = Some(StakeAction::Unbond { vote_key: vote() }),
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
        vote_key: vote(),
        vrf_key: vrf(),
        amount: u64::MAX as u128 + 1,
        pop: Some(pop_of(tx)),
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
        Some(StakeAction::Unbond { vote_key: vote() }),
        &mut ChaCha20Rng::seed_from_u64(4),
        &|_, _| {},
    )
    .unwrap();
    validate_stateless(&tx, Parameters::dev()).unwrap();
    assert_eq!(tx.from, stake_refund_pkr(&alice(), &vote()));
    assert_eq!(tx.from, registration().from);
    assert_ne!(
        stake_refund_pkr(&alice(), &[0x12; 32]),
        stake_refund_pkr(&alice(), &vote())
    );
    let b = tx.to_bytes();
    assert_eq!(Transaction::from_bytes(&b).unwrap(), tx);
}

/// Proof of possession (`docs/protocol.md` §11.1): one rejection per way
/// to cheat, at the ledger's stateless validation.
#[test]
fn registrations_without_a_valid_proof_of_possession_are_refused() {
    let tx = registration();
    assert_eq!(check_possession(tx), Ok(()));
    let other = ValidatorKeys::from_seed(&[0x12; 32]);
    let (ov, or) = (
        other.vote_public().to_bytes(),
        other.vrf_public().to_bytes(),
    );
    let from = tx.from.to_bytes();
    let good = pop_of(tx);
    let with = |vote_key: [u8; 32], vrf_key: [u8; 32], pop| {
        let mut t = tx.clone();
        t.stake = Some(StakeAction::Register {
            vote_key,
            vrf_key,
            amount: 1100,
            pop,
        });
        check_possession(&t)
    };
    let refused = |r: Result<(), TxError>, what: &str| match r {
        Err(TxError::Stake(m)) => assert!(m.contains(what), "{m} / {what}"),
        other => panic!("{what}: {other:?}"),
    };
    // 1. Missing (the legacy encoding).
    refused(with(vote(), vrf(), None), "without a proof of possession");
    // 2. Squatting another's vote key with one's own VRF key and proof.
    refused(
        with(ov, vrf(), Some(good)),
        "vote key proof of possession does not verify",
    );
    // 3. Another's VRF key (a rogue copy): the VRF proof cannot be made.
    let mut m = validator().prove_possession(&TEST_CHAIN, &from);
    m.vrf_proof = other.prove_possession(&TEST_CHAIN, &from).vrf_proof;
    refused(
        with(vote(), or, Some(m)),
        "vote key proof of possession does not verify",
    );
    // 4. A proof made for another network.
    refused(
        with(
            vote(),
            vrf(),
            Some(validator().prove_possession(&[0xc5; 32], &from)),
        ),
        "vote key proof of possession does not verify",
    );
    // 5. A proof made for another registrant (lifted from someone else's
    //    registration).
    refused(
        with(
            vote(),
            vrf(),
            Some(validator().prove_possession(&TEST_CHAIN, &[7; 96])),
        ),
        "vote key proof of possession does not verify",
    );
    // 6. Swapped: the two keys exchanged, and each proof in the other's slot.
    refused(with(vrf(), vote(), Some(good)), "registration:");
    let mut swapped = good;
    swapped.vrf_proof[..64].copy_from_slice(&good.vote_sig);
    refused(
        with(vote(), vrf(), Some(swapped)),
        "VRF key proof of possession does not verify",
    );
    // 7. A wrong VRF proof (another registration's) with a right signature.
    let mut crossed = good;
    crossed.vrf_proof = other.prove_possession(&TEST_CHAIN, &from).vrf_proof;
    refused(
        with(vote(), vrf(), Some(crossed)),
        "VRF key proof of possession does not verify",
    );
    // 8. Rogue keys: a small-order vote key, a VRF key that is no point.
    let mut weak = [0u8; 32];
    weak[0] = 1;
    refused(with(weak, vrf(), Some(good)), "vote key is not canonical");
    refused(
        with(vote(), [0xff; 32], Some(good)),
        "VRF key is not a valid",
    );
    // End to end: a fully signed transaction with a bad proof is refused
    // by validate_stateless, and the legacy kind still decodes (then fails).
    let mut action = register_action(&alice(), &TEST_CHAIN, &validator(), 1100);
    if let StakeAction::Register { pop, .. } = &mut action {
        *pop = Some(validator().prove_possession(&[0xc5; 32], &from));
    }
    let bad = build_with(action).unwrap();
    assert!(matches!(
        validate_stateless(&bad, Parameters::dev()),
        Err(TxError::Stake(_))
    ));
    if let StakeAction::Register { pop, .. } = &mut action {
        *pop = None;
    }
    let legacy = build_with(action).unwrap();
    let decoded = Transaction::from_bytes(&legacy.to_bytes()).unwrap();
    assert_eq!(decoded, legacy);
    refused(
        validate_stateless(&decoded, Parameters::dev()),
        "without a proof of possession",
    );
}
