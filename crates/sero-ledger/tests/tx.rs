//! Transactions end to end at the library level: a real payment with real
//! proofs validates, the recipient opens it, and each way to cheat is
//! rejected with its own error.

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_assets::{Asset, Currency};
use sero_crypto::{Base, Scalar};
use sero_keys::{SecretKey, Seed};
use sero_ledger::builder::{build_transaction, Network, Recipient, SpendableNote};
use sero_ledger::note_plaintext::{memo_hash, open_output};
use sero_ledger::validate::{
    check_block_nullifiers, check_structure_and_signatures_batch, stateless_batch_ok,
    validate_stateful, validate_stateless, validate_stateless_batch, LedgerView,
};
use sero_ledger::verified::VerifiedCache;
use sero_ledger::{DecodeError, Transaction, TxError};
use sero_tree::WitnessTree;
use sero_zk::note::Note;
use sero_zk::params::Parameters;
use std::collections::HashSet;
use std::sync::OnceLock;

struct View {
    chain_id: [u8; 32],
    anchors: HashSet<Base>,
    spent: HashSet<Base>,
}

impl LedgerView for View {
    fn chain_id(&self) -> [u8; 32] {
        self.chain_id
    }
    fn is_known_anchor(&self, root: &Base) -> bool {
        self.anchors.contains(root)
    }
    fn is_spent(&self, nil: &Base) -> bool {
        self.spent.contains(nil)
    }
}

/// The network the test transactions are built for.
const TEST_CHAIN: [u8; 32] = [0xc4; 32];

fn alice() -> SecretKey {
    SecretKey::from_seed(&Seed::from_bytes([0xa1; 32]))
}
fn bob() -> SecretKey {
    SecretKey::from_seed(&Seed::from_bytes([0xb0; 32]))
}
fn gold() -> Currency {
    Currency::new("GOLD").unwrap()
}

/// Alice's notes in a tree: 1,000 SERO and 50 GOLD (plus unrelated leaves).
fn wallet() -> (Vec<SpendableNote>, WitnessTree) {
    let a = alice();
    let notes = [Asset::sero(1000), Asset::token(gold(), 50), Asset::sero(7)];
    let mut tree = WitnessTree::new();
    tree.append(Base::from(1u64)).unwrap();
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
    let spendable = placed
        .into_iter()
        .map(|(note, pos)| SpendableNote {
            note,
            path: tree.path(pos).unwrap(),
        })
        .collect();
    (spendable, tree)
}

/// Alice pays Bob 300 SERO and 20 GOLD (shielded) plus 5 SERO plain, fee 10.
fn payment() -> &'static (Transaction, WitnessTree) {
    static TX: OnceLock<(Transaction, WitnessTree)> = OnceLock::new();
    TX.get_or_init(|| {
        let (notes, tree) = wallet();
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let b = bob().payment_address();
        let recipients = vec![
            Recipient {
                pkr: b.derive_pkr(&mut rng),
                asset: Asset::sero(300),
                memo: b"rent".to_vec(),
                plain: false,
            },
            Recipient {
                pkr: b.derive_pkr(&mut rng),
                asset: Asset::token(gold(), 20),
                memo: vec![],
                plain: false,
            },
            Recipient {
                pkr: b.derive_pkr(&mut rng),
                asset: Asset::sero(5),
                memo: vec![],
                plain: true,
            },
        ];
        let tx = build_transaction(
            Network {
                chain_id: TEST_CHAIN,
                params: Parameters::dev(),
            },
            &alice(),
            &notes,
            recipients,
            10,
            &mut rng,
            &|_, _| {},
        )
        .unwrap();
        (tx, tree)
    })
}

fn view(tree: &WitnessTree) -> View {
    View {
        anchors: [tree.root()].into_iter().collect(),
        spent: HashSet::new(),
        chain_id: TEST_CHAIN,
    }
}

#[test]
fn honest_payment_validates_and_is_readable_by_the_right_keys() {
    let (tx, tree) = payment();
    validate_stateless(tx, Parameters::dev()).unwrap();
    validate_stateful(tx, &view(tree)).unwrap();
    assert_eq!(tx.inputs.len(), 2, "1,000 SERO and 50 GOLD notes");
    // Bob reads his two shielded outputs; Alice reads her change (680 SERO, 30 GOLD).
    let (mut bob_got, mut alice_got) = (vec![], vec![]);
    for o in &tx.outputs {
        assert!(bob().trace_key().is_mine(&o.pkr) != alice().trace_key().is_mine(&o.pkr));
        if let Some((pt, _)) = open_output(&bob().trace_key(), o) {
            bob_got.push(pt.asset);
        }
        if let Some((pt, _)) = open_output(&alice().trace_key(), o) {
            alice_got.push(pt.asset);
        }
    }
    bob_got.sort_by_key(|a| a.value);
    alice_got.sort_by_key(|a| a.value);
    assert_eq!(bob_got, vec![Asset::token(gold(), 20), Asset::sero(300)]);
    assert_eq!(alice_got, vec![Asset::token(gold(), 30), Asset::sero(685)]);
    assert_eq!(tx.plain_outputs[0].asset, Asset::sero(5));
}

#[test]
fn encoding_roundtrip_and_ids() {
    let (tx, _) = payment();
    let bytes = tx.to_bytes();
    let back = Transaction::from_bytes(&bytes).unwrap();
    assert_eq!(&back, tx);
    assert_eq!(back.txid(), tx.txid());
    // The txid ignores proofs and signatures; the full hash does not.
    let mut other = tx.clone();
    other.inputs[0].proof = tx.outputs[0].proof.clone();
    assert_eq!(other.txid(), tx.txid());
    assert_ne!(other.full_hash(), tx.full_hash());
    // Any effect changes the txid.
    let mut other = tx.clone();
    other.fee += 1;
    assert_ne!(other.txid(), tx.txid());
}

#[test]
fn double_spend_and_replay_are_rejected() {
    let (tx, tree) = payment();
    let mut v = view(tree);
    validate_stateful(tx, &v).unwrap();
    // Applying the transaction records its nullifiers; the same transaction
    // (a replay) or any other spending one of its notes is then refused.
    v.spent.extend(tx.nullifiers().copied());
    assert!(matches!(
        validate_stateful(tx, &v),
        Err(TxError::AlreadySpent(_))
    ));
    // Two transactions of one block spending the same note.
    assert!(matches!(
        check_block_nullifiers(&[tx.clone(), tx.clone()]),
        Err(TxError::DuplicateNullifier(_))
    ));
    check_block_nullifiers(std::slice::from_ref(tx)).unwrap();
}

#[test]
fn a_transaction_of_another_network_is_rejected_and_cannot_be_moved_to_it() {
    let (tx, tree) = payment();
    assert_eq!(tx.chain_id, TEST_CHAIN);
    // Another network (or a network started from another genesis) refuses
    // it: the replay across networks.
    let mut v = view(tree);
    v.chain_id = [0xc5; 32];
    assert!(matches!(
        validate_stateful(tx, &v),
        Err(TxError::WrongChain { .. })
    ));
    // Rewriting its chain id changes the sighash, so both signatures fail.
    let mut moved = tx.clone();
    moved.chain_id = [0xc5; 32];
    assert_ne!(moved.txid(), tx.txid());
    assert_ne!(moved.sighash(), tx.sighash());
    assert!(matches!(
        validate_stateless(&moved, Parameters::dev()),
        Err(TxError::BadFromSignature)
    ));
    // The chain id is in the encoding right after the version byte.
    let bytes = tx.to_bytes();
    assert_eq!(bytes[0], 3);
    assert_eq!(&bytes[1..33], &TEST_CHAIN);
    // A transaction in the old formats (no chain id) is refused with a
    // reason.
    for legacy in [1u8, 2] {
        let mut old = bytes.clone();
        old[0] = legacy;
        assert!(matches!(
            Transaction::from_bytes(&old),
            Err(DecodeError::LegacyVersion(v)) if v == legacy
        ));
    }
}

#[test]
fn unknown_anchor_is_rejected() {
    let (tx, _) = payment();
    let v = View {
        anchors: [Base::from(12345u64)].into_iter().collect(),
        spent: HashSet::new(),
        chain_id: TEST_CHAIN,
    };
    assert!(matches!(
        validate_stateful(tx, &v),
        Err(TxError::UnknownAnchor(_))
    ));
}

#[test]
fn duplicate_input_is_rejected() {
    let (tx, _) = payment();
    let mut t = tx.clone();
    t.inputs.push(t.inputs[0].clone());
    assert!(matches!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::DuplicateNullifier(_))
    ));
}

#[test]
fn no_inputs_is_rejected() {
    let (tx, _) = payment();
    let mut t = tx.clone();
    t.inputs.clear();
    assert_eq!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::NoInputs)
    );
}

#[test]
fn bad_proofs_are_rejected() {
    let (tx, _) = payment();
    // Proofs are not signed: swapping them keeps the signatures valid, so the
    // proofs themselves must catch it.
    let mut t = tx.clone();
    t.outputs.swap(0, 1);
    let p0 = t.outputs[0].proof.clone();
    t.outputs[0].proof = t.outputs[1].proof.clone();
    t.outputs[1].proof = p0;
    t.outputs.swap(0, 1);
    assert_eq!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::BadOutputProof)
    );
    let mut t = tx.clone();
    let p0 = t.inputs[0].proof.clone();
    t.inputs[0].proof = t.inputs[1].proof.clone();
    t.inputs[1].proof = p0;
    assert_eq!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::BadInputProof)
    );
    // A batch with one bad transaction blames only that one.
    let results = validate_stateless_batch(&[tx.clone(), t, tx.clone()], Parameters::dev());
    assert!(results[0].is_ok() && results[2].is_ok());
    assert_eq!(results[1], Err(TxError::BadInputProof));
}

#[test]
fn tampered_effects_break_the_signatures() {
    let (tx, _) = payment();
    // A relay changes an output's note commitment, PKr, a plain output or the fee.
    let mut t = tx.clone();
    t.outputs[0].cm_out += Base::from(1u64);
    assert_eq!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::BadFromSignature)
    );
    let mut t = tx.clone();
    t.outputs[0].pkr = bob().payment_address().derive_pkr_with(&Scalar::from(3u64));
    assert_eq!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::BadFromSignature)
    );
    let mut t = tx.clone();
    t.plain_outputs[0].asset.value += 1;
    assert_eq!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::BadFromSignature)
    );
}

#[test]
fn sender_cannot_inflate_even_re_signing_from() {
    // The sender holds SK and can re-sign From, but not balance a changed
    // amount: B-Sign needs r_bal for the new balance point.
    let (tx, _) = payment();
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    for change in 0..3 {
        let mut t = tx.clone();
        match change {
            0 => t.plain_outputs[0].asset.value += 1_000_000,
            1 => t.fee = 0,
            _ => t.plain_outputs[0].asset.currency = gold(),
        }
        t.from_sig = alice().sign(&t.from, &t.sighash(), &mut rng).unwrap();
        assert_eq!(
            validate_stateless(&t, Parameters::dev()),
            Err(TxError::Unbalanced),
            "change {change}"
        );
    }
}

#[test]
fn the_verified_cache_skips_only_the_exact_transaction_it_verified() {
    // Mempool admission remembers a verified transaction by its full hash
    // (proofs and signatures included); block validation then skips it.
    // Any other byte string — a swapped proof, a bad signature — misses
    // the cache and is verified, so the cache never changes a verdict.
    let (tx, _) = payment();
    let cache = VerifiedCache::new(16);
    assert_eq!(cache.validate(tx, Parameters::dev()), Ok(()));
    assert!(cache.contains(&tx.full_hash()));
    assert_eq!(cache.stats().misses, 1);
    assert_eq!(cache.validate(tx, Parameters::dev()), Ok(()));
    assert_eq!(cache.stats().hits, 1, "the second validation is a hit");

    let mut swapped = tx.clone();
    let p0 = swapped.inputs[0].proof.clone();
    swapped.inputs[0].proof = swapped.inputs[1].proof.clone();
    swapped.inputs[1].proof = p0;
    assert_eq!(swapped.txid(), tx.txid(), "proofs are outside the txid");
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let mut bad_sig = tx.clone();
    bad_sig.from_sig = alice().sign(&bad_sig.from, b"other", &mut rng).unwrap();
    let r = cache.validate_batch(
        &[tx.clone(), swapped.clone(), bad_sig.clone()],
        Parameters::dev(),
    );
    assert_eq!(
        r,
        vec![
            Ok(()),
            Err(TxError::BadInputProof),
            Err(TxError::BadFromSignature)
        ]
    );
    // Failures are not remembered: asked again, the same verdicts.
    assert!(!cache.contains(&swapped.full_hash()) && !cache.contains(&bad_sig.full_hash()));
    assert_eq!(
        cache.validate(&swapped, Parameters::dev()),
        Err(TxError::BadInputProof)
    );
    // A forgotten entry (capacity 1) is verified again, with the same result.
    let small = VerifiedCache::new(1);
    assert_eq!(small.validate(tx, Parameters::dev()), Ok(()));
    small.insert([7; 32]);
    assert!(!small.contains(&tx.full_hash()));
    assert_eq!(
        small.validate(&bad_sig, Parameters::dev()),
        Err(TxError::BadFromSignature)
    );
    assert_eq!(small.validate(tx, Parameters::dev()), Ok(()));
}

#[test]
fn a_range_preverified_as_one_batch_holds_only_if_every_transaction_does() {
    // A syncing node verifies a whole range of blocks' transactions as one
    // batch without blame; one bad proof or signature anywhere fails it and
    // nothing is remembered (each block is then validated with blame).
    let (tx, _) = payment();
    assert!(stateless_batch_ok(
        &[tx.clone(), tx.clone()],
        Parameters::dev()
    ));
    assert!(stateless_batch_ok(&[], Parameters::dev()));
    let mut bad_proof = tx.clone();
    bad_proof.outputs[0].proof = bad_proof.outputs[1].proof.clone();
    assert!(!stateless_batch_ok(
        &[tx.clone(), bad_proof.clone()],
        Parameters::dev()
    ));
    let mut rng = ChaCha20Rng::seed_from_u64(10);
    let mut bad_sig = tx.clone();
    bad_sig.from_sig = alice().sign(&bad_sig.from, b"other", &mut rng).unwrap();
    assert!(!stateless_batch_ok(
        &[bad_sig.clone(), tx.clone()],
        Parameters::dev()
    ));
    let mut unbalanced = tx.clone();
    unbalanced.fee += 1;
    unbalanced.from_sig = alice()
        .sign(&unbalanced.from, &unbalanced.sighash(), &mut rng)
        .unwrap();
    assert!(!stateless_batch_ok(&[unbalanced], Parameters::dev()));

    let cache = VerifiedCache::new(16);
    assert!(!cache.preverify(&[tx.clone(), bad_proof.clone()], Parameters::dev()));
    assert_eq!(cache.stats().len, 0, "a failed range remembers nothing");
    assert!(cache.preverify(std::slice::from_ref(tx), Parameters::dev()));
    assert!(cache.contains(&tx.full_hash()));
    assert_eq!(
        cache.validate_batch(&[tx.clone(), bad_proof], Parameters::dev())[1],
        Err(TxError::BadOutputProof)
    );
}

#[test]
fn a_batch_of_signatures_blames_exactly_the_bad_transactions() {
    // Rules 3 and 4 are verified for a whole batch at once (one
    // multi-scalar multiplication); a bad From signature and an unbalanced
    // transaction among good ones fail the batch, and only they are blamed,
    // each with its own error.
    let (tx, _) = payment();
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let mut bad_from = tx.clone();
    bad_from.from_sig = alice().sign(&bad_from.from, b"other", &mut rng).unwrap();
    let mut unbalanced = tx.clone();
    unbalanced.fee += 1;
    unbalanced.from_sig = alice()
        .sign(&unbalanced.from, &unbalanced.sighash(), &mut rng)
        .unwrap();
    let batch = [tx.clone(), bad_from, tx.clone(), unbalanced, tx.clone()];
    let r = check_structure_and_signatures_batch(&batch);
    assert_eq!(
        r,
        vec![
            Ok(()),
            Err(TxError::BadFromSignature),
            Ok(()),
            Err(TxError::Unbalanced),
            Ok(())
        ]
    );
    let r = validate_stateless_batch(&batch, Parameters::dev());
    assert_eq!(r[1], Err(TxError::BadFromSignature));
    assert_eq!(r[3], Err(TxError::Unbalanced));
    assert!(r[0].is_ok() && r[2].is_ok() && r[4].is_ok());
    // All good: the batch passes.
    assert!(
        check_structure_and_signatures_batch(&[tx.clone(), tx.clone()])
            .iter()
            .all(Result::is_ok)
    );
}

#[test]
fn bad_from_signature_is_rejected() {
    let (tx, _) = payment();
    let mut t = tx.clone();
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    t.from_sig = alice().sign(&t.from, b"something else", &mut rng).unwrap();
    assert_eq!(
        validate_stateless(&t, Parameters::dev()),
        Err(TxError::BadFromSignature)
    );
}

#[test]
fn insufficient_funds_and_missing_ticket_are_clear_errors() {
    let (notes, _) = wallet();
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let pkr = bob().payment_address().derive_pkr(&mut rng);
    let r = build_transaction(
        Network {
            chain_id: TEST_CHAIN,
            params: Parameters::dev(),
        },
        &alice(),
        &notes,
        vec![Recipient {
            pkr,
            asset: Asset::sero(5000),
            memo: vec![],
            plain: false,
        }],
        1,
        &mut rng,
        &|_, _| {},
    );
    assert!(matches!(
        r,
        Err(sero_ledger::builder::BuildError::InsufficientFunds { .. })
    ));
}

#[test]
fn decoder_rejects_every_truncation_and_trailing_byte() {
    let (tx, _) = payment();
    let bytes = tx.to_bytes();
    for n in 0..bytes.len() {
        assert!(
            Transaction::from_bytes(&bytes[..n]).is_err(),
            "truncated at {n}"
        );
    }
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(
        Transaction::from_bytes(&long),
        Err(DecodeError::TrailingBytes(1))
    );
    let mut v = bytes.clone();
    v[0] = 7;
    assert_eq!(Transaction::from_bytes(&v), Err(DecodeError::Version(7)));
    // Version 6 announces a package action the bytes do not hold.
    let mut v = bytes.clone();
    v[0] = 6;
    assert!(Transaction::from_bytes(&v).is_err());
    // Version 5 announces a contract action the bytes do not hold.
    let mut v = bytes.clone();
    v[0] = 5;
    assert!(Transaction::from_bytes(&v).is_err());
    // Version 4 announces a stake action the bytes do not hold.
    let mut v = bytes.clone();
    v[0] = 4;
    assert!(Transaction::from_bytes(&v).is_err());
    // Input count over the limit.
    let mut c = bytes.clone();
    c[1 + 32 + 16 + 96] = 0xff;
    c[1 + 32 + 16 + 96 + 1] = 0xff;
    assert!(matches!(
        Transaction::from_bytes(&c),
        Err(DecodeError::TooMany { .. })
    ));
    assert!(matches!(
        Transaction::from_bytes(&vec![0u8; 200_000]),
        Err(DecodeError::TooLarge(..))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn decoder_never_panics_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = Transaction::from_bytes(&bytes);
    }

    #[test]
    fn decoder_never_panics_on_mutations(i in 0usize..10_000, b in any::<u8>()) {
        let (tx, _) = payment();
        let mut bytes = tx.to_bytes();
        let k = i % bytes.len();
        bytes[k] = b;
        if let Ok(t) = Transaction::from_bytes(&bytes) {
            // Whatever decodes re-encodes to the same bytes (canonical).
            prop_assert_eq!(t.to_bytes(), bytes);
        }
    }
}

#[test]
fn a_block_takes_verified_transactions_decoded_and_decodes_the_others() {
    // A node keeps the transactions it verified decoded, by full hash; a
    // proposed block's body then reuses them instead of decoding their
    // points again. Only the exact bytes hit, the block is the same as a
    // plain decode, and the transactions not held are decoded (and a
    // malformed one still fails the block).
    use sero_ledger::block::Block;
    let (tx, _) = payment();
    let cache = VerifiedCache::new(16);
    let bytes = tx.to_bytes();
    assert!(cache.decoded(&bytes).is_none(), "not verified yet");
    assert_eq!(cache.validate(tx, Parameters::dev()), Ok(()));
    assert_eq!(cache.decoded(&bytes).as_ref(), Some(tx));
    let mut flipped = bytes.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    assert!(cache.decoded(&flipped).is_none(), "other bytes miss");
    assert!(cache.decoded(&bytes[..bytes.len() - 1]).is_none());

    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let mut unverified = tx.clone();
    unverified.from_sig = alice().sign(&unverified.from, b"other", &mut rng).unwrap();
    let block = Block {
        header: sample_header(),
        coinbase: vec![],
        txs: vec![unverified.clone(), tx.clone(), unverified],
    };
    let (header, body) = (block.header.to_bytes(), block.body_bytes());
    let hits = std::sync::atomic::AtomicUsize::new(0);
    let known = |e: &[u8]| {
        let t = cache.decoded(e);
        if t.is_some() {
            hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        t
    };
    let via_cache = Block::from_parts_with(&header, &body, &known).unwrap();
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(via_cache, block);
    assert_eq!(Block::from_parts(&header, &body).unwrap(), block);

    // The first transaction's last byte (inside its encoding) changed: the
    // block fails with or without the cache, with the same error.
    let first_len = u32::from_le_bytes(body[6..10].try_into().unwrap()) as usize;
    let mut bad = body.clone();
    bad[10 + first_len - 1] ^= 0xff;
    let plain = Block::from_parts(&header, &bad);
    assert!(plain.is_err());
    assert_eq!(
        Block::from_parts_with(&header, &bad, &known).map_err(|e| e.to_string()),
        plain.map_err(|e| e.to_string())
    );
}

#[test]
fn a_proof_whose_b_is_outside_g2_fails_its_transaction_and_block_in_order() {
    // Decoding checks the `B` points of a transaction's (a block's) proofs
    // together, after the rest of the bytes: a `B` on the twist but outside
    // G2 must still fail the transaction, and a block fails at its first
    // failing transaction in block order.
    use ark_bn254::{Fq2, G2Affine};
    use ark_std::UniformRand;
    use sero_ledger::block::Block;
    let (tx, _) = payment();
    let good = tx.to_bytes();
    let mut r = ChaCha20Rng::seed_from_u64(31);
    let off = loop {
        let x = Fq2::rand(&mut r);
        if let Some(q) = G2Affine::get_point_from_x_unchecked(x, false) {
            break q;
        }
    };
    assert!(!off.is_in_correct_subgroup_assuming_on_curve());
    let proofs: Vec<_> = tx
        .inputs
        .iter()
        .map(|i| &i.proof)
        .chain(tx.outputs.iter().map(|o| &o.proof))
        .collect();
    assert!(proofs.len() >= 3, "enough proofs for the lane check");
    let header = sample_header().to_bytes();
    let body = |txs: &[&[u8]]| {
        let mut b = vec![0u8, 0];
        b.extend_from_slice(&(txs.len() as u32).to_le_bytes());
        for t in txs {
            b.extend_from_slice(&(t.len() as u32).to_le_bytes());
            b.extend_from_slice(t);
        }
        b
    };
    let truncated = &good[..good.len() - 1];
    let truncated_err = Transaction::from_bytes(truncated).unwrap_err().to_string();
    assert!(!truncated_err.contains("subgroup"), "{truncated_err}");
    for (k, proof) in proofs.iter().enumerate() {
        let mut forged = (*proof).clone();
        forged.0.b = off;
        let at = good
            .windows(128)
            .position(|w| w == proof.to_bytes())
            .expect("the proof's bytes");
        let mut bad = good.clone();
        bad[at..at + 128].copy_from_slice(&forged.to_bytes());
        let err = Transaction::from_bytes(&bad).unwrap_err().to_string();
        assert!(
            err.contains("not in its prime-order subgroup"),
            "proof {k}: {err}"
        );
        // In a block, among honest transactions, and before or after one
        // that fails to decode: the first failing one is the block's error.
        let e = Block::from_parts(&header, &body(&[&good, &bad, &good])).unwrap_err();
        assert_eq!(e.to_string(), err, "proof {k}");
        let e = Block::from_parts(&header, &body(&[&good, &bad, truncated])).unwrap_err();
        assert_eq!(e.to_string(), err, "proof {k}");
        let e = Block::from_parts(&header, &body(&[truncated, &bad])).unwrap_err();
        assert_eq!(e.to_string(), truncated_err, "proof {k}");
    }
    // The honest ones still decode, alone and in a block.
    assert_eq!(&Transaction::from_bytes(&good).unwrap(), tx);
    let b = Block::from_parts(&header, &body(&[&good, &good, &good, &good])).unwrap();
    assert_eq!(b.txs.len(), 4);
}

/// A header for decoding tests (its fields are not checked by decoding).
fn sample_header() -> sero_ledger::block::BlockHeader {
    sero_ledger::block::BlockHeader {
        height: 3,
        parent: [7; 32],
        time: 11,
        tx_root: [5; 32],
        note_root: Base::from(6u64),
        leaf_count: 2,
        state_root: [1; 32],
        validators_hash: [2; 32],
        seal: sero_ledger::block::Seal::Empty,
    }
}

#[test]
fn statements_of_many_transactions_are_each_ones_in_order() {
    // The batch's statements (output `pkr_hash`es eight at a time in
    // lanes) are every transaction's own, concatenated in order.
    let [a, b] = sero_ledger::vectors::vector_chain_ids();
    let mut t1 = sero_ledger::vectors::sample_transaction(a);
    let t2 = sero_ledger::vectors::sample_transaction(b);
    for _ in 0..9 {
        t1.outputs.push(t2.outputs[0].clone());
    }
    let txs = [&t1, &t2, &payment().0, &t1];
    let (mut ins, mut outs) = (vec![], vec![]);
    for t in txs {
        let (i, o) = sero_ledger::validate::proof_statements(t);
        ins.extend(i);
        outs.extend(o);
    }
    assert!(outs.len() > 2 * 8, "more than two vector passes");
    assert_eq!(
        sero_ledger::validate::proof_statements_many(&txs),
        (ins, outs)
    );
}
