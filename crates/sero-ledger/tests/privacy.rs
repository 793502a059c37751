//! What an outside analyst can tell change from payment by (issue 9 item
//! 6). A generated mixed set of payments — 1 and 2 recipients, amounts from
//! exact (no change) to small, memos from empty to the longest, SERO and a
//! second currency — is built by the wallet's builder; the analyst sees only
//! the public transactions and applies the heuristics that told every change
//! output apart on the old builder:
//!
//! * "change is the last output" (the old builder appended it);
//! * "the longest sealed note is change" (its memo `change` was 6 bytes
//!   longer than an empty payment memo and shows through the ciphertext);
//! * "a transaction with one shielded output has no change" (and reveals
//!   what its inputs held to whoever links them).
//!
//! The ground truth comes from the sender's trace key. Each heuristic must
//! do no better than chance: the hit rate of "last is change" within 4
//! standard deviations of the rate a random guess gets, every sealed note of
//! one length (the "longest" guess is then a random pick among ties), no
//! transaction with fewer than two shielded outputs.
//!
//! The transactions are built without proofs (`build_unproven`: the same
//! code path up to proving, so the same public shape); one exact payment is
//! also proved and validated, to show that the zero-value outputs it needs
//! pass the circuits and the balance. Figures:
//! `cargo test -p sero-ledger --test privacy -- --nocapture`
//! prints them (recorded in docs/reliability.md and docs/benchmarks.md).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sero_assets::{Asset, Currency};
use sero_crypto::{Base, Scalar};
use sero_keys::{SecretKey, Seed};
use sero_ledger::builder::{
    build_transaction, build_unproven, Network, Recipient, SpendableNote, MIN_SHIELDED_OUTPUTS,
};
use sero_ledger::note_plaintext::{memo_hash, open_output, MAX_MEMO, SEALED_NOTE_LEN};
use sero_ledger::validate::validate_stateless;
use sero_ledger::Transaction;
use sero_tree::WitnessTree;
use sero_zk::note::Note;
use sero_zk::params::Parameters;

const CHAIN: [u8; 32] = [0x5e; 32];
const TXS: usize = 400;

fn alice() -> SecretKey {
    SecretKey::from_seed(&Seed::from_bytes([0xa1; 32]))
}
fn bob() -> SecretKey {
    SecretKey::from_seed(&Seed::from_bytes([0xb0; 32]))
}
fn carol() -> SecretKey {
    SecretKey::from_seed(&Seed::from_bytes([0xca; 32]))
}
fn gold() -> Currency {
    Currency::new("GOLD").unwrap()
}

/// Alice's notes (`assets`) in a fresh tree.
fn notes(assets: &[Asset]) -> Vec<SpendableNote> {
    let a = alice().payment_address();
    let mut tree = WitnessTree::new();
    let mut placed = vec![];
    for (k, asset) in assets.iter().enumerate() {
        let note = Note {
            asset: *asset,
            pkr: a.derive_pkr_with(&Scalar::from(100 + k as u64)),
            memo_hash: memo_hash(b""),
            rsk: Base::from(7 + k as u64),
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

/// One generated payment: Alice's wallet for it, the recipients, the fee.
fn scenario(rng: &mut ChaCha20Rng) -> (Vec<SpendableNote>, Vec<Recipient>, u128) {
    let fee = 10;
    let two = rng.gen_bool(0.4);
    let currency = if rng.gen_bool(0.25) {
        gold()
    } else {
        Currency::sero()
    };
    let n_recipients = if two { 2 } else { 1 };
    let memos: [&[u8]; 4] = [b"", b"rent", b"invoice 2026-11 #4471", &[b'x'; MAX_MEMO]];
    let mut recipients = vec![];
    let mut total = 0u128;
    for k in 0..n_recipients {
        let value = match rng.gen_range(0..4) {
            0 => rng.gen_range(1..10),
            1 => rng.gen_range(10..1_000),
            _ => rng.gen_range(1_000..100_000),
        };
        total += value;
        let to = if k == 0 { bob() } else { carol() };
        recipients.push(Recipient {
            pkr: to.payment_address().derive_pkr(rng),
            asset: Asset::token(currency, value),
            memo: memos[rng.gen_range(0..memos.len())].to_vec(),
            plain: false,
        });
    }
    // A third of the payments spend exactly what a note holds (no change).
    let exact = rng.gen_bool(1.0 / 3.0);
    let extra = if exact { 0 } else { rng.gen_range(1..50_000) };
    let assets = if currency == Currency::sero() {
        vec![Asset::sero(total + fee + extra)]
    } else {
        let sero_extra = if exact { 0 } else { rng.gen_range(1..500) };
        vec![
            Asset::token(gold(), total + extra),
            Asset::sero(fee + sero_extra),
        ]
    };
    (notes(&assets), recipients, fee)
}

/// Hits, their expectation under a random guess, and its variance.
#[derive(Default)]
struct Rate {
    n: usize,
    hits: f64,
    expected: f64,
    variance: f64,
}

impl Rate {
    fn add(&mut self, hit: bool, p: f64) {
        self.n += 1;
        self.hits += hit as u8 as f64;
        self.expected += p;
        self.variance += p * (1.0 - p);
    }
    fn sigmas(&self) -> f64 {
        (self.hits - self.expected) / self.variance.sqrt()
    }
    fn line(&self, what: &str) -> String {
        format!(
            "{what}: {} hits of {} = {:.1} % (chance {:.1} %, {:+.2} σ)",
            self.hits,
            self.n,
            100.0 * self.hits / self.n as f64,
            100.0 * self.expected / self.n as f64,
            self.sigmas()
        )
    }
}

#[test]
fn change_cannot_be_told_from_payment() {
    let mut rng = ChaCha20Rng::seed_from_u64(2026);
    let alice_tk = alice().trace_key();
    let mut last = Rate::default();
    let mut longest = Rate::default();
    let mut first = Rate::default();
    let mut by_shape = std::collections::BTreeMap::<(usize, usize), Vec<usize>>::new();
    let mut lengths = std::collections::BTreeSet::new();
    let mut single_output = 0;
    let mut no_change = 0;
    for _ in 0..TXS {
        let (available, recipients, fee) = scenario(&mut rng);
        let tx =
            build_unproven(CHAIN, &alice(), &available, recipients, fee, None, &mut rng).unwrap();
        let k = tx.outputs.len();
        if k < 2 {
            single_output += 1;
        }
        // Truth: Alice's outputs are the change (zero-value ones included).
        let change: Vec<bool> = tx
            .outputs
            .iter()
            .map(|o| alice_tk.is_mine(&o.pkr))
            .collect();
        let c = change.iter().filter(|c| **c).count();
        assert!(c < k, "every payment has a payee");
        let lens: Vec<usize> = tx.outputs.iter().map(|o| o.sealed_note.len()).collect();
        lengths.extend(lens.iter().copied());
        if c == 0 {
            // Two payees paid exactly: no change to find.
            no_change += 1;
            continue;
        }
        let p = c as f64 / k as f64;
        // Heuristic 1: the last output is change (and, for symmetry, the first).
        last.add(change[k - 1], p);
        first.add(change[0], p);
        // Heuristic 2: the longest sealed note is change; ties broken at
        // random, as an analyst without other information would.
        let max = *lens.iter().max().unwrap();
        let tied: Vec<usize> = (0..k).filter(|i| lens[*i] == max).collect();
        let pick = tied[rng.gen_range(0..tied.len())];
        longest.add(change[pick], p);
        for (i, is_change) in change.iter().enumerate() {
            if *is_change {
                by_shape.entry((k, c)).or_insert_with(|| vec![0; k])[i] += 1;
            }
        }
    }
    let report = [
        last.line("\"change is the last output\""),
        first.line("\"change is the first output\""),
        longest.line("\"the longest sealed note is change\""),
        format!("sealed note lengths seen: {lengths:?}"),
        format!("transactions with fewer than {MIN_SHIELDED_OUTPUTS} shielded outputs: {single_output} of {TXS}"),
        format!("transactions without change (two payees paid exactly): {no_change}"),
        format!("change position counts by (outputs, change outputs): {by_shape:?}"),
    ];
    for l in &report {
        println!("{l}");
    }
    assert_eq!(single_output, 0, "{report:#?}");
    assert_eq!(
        lengths.into_iter().collect::<Vec<_>>(),
        vec![SEALED_NOTE_LEN],
        "{report:#?}"
    );
    for r in [&last, &first, &longest] {
        assert!(r.sigmas().abs() <= 4.0, "{report:#?}");
    }
    // Position of change uniform within tolerance for each shape.
    for ((k, c), counts) in &by_shape {
        let total: usize = counts.iter().sum();
        let n_tx = total / c;
        if n_tx < 30 {
            continue;
        }
        let p = *c as f64 / *k as f64;
        let sd = (n_tx as f64 * p * (1.0 - p)).sqrt();
        for x in counts {
            let z = (*x as f64 - n_tx as f64 * p) / sd;
            assert!(
                z.abs() <= 4.0,
                "shape ({k}, {c}) counts {counts:?}: {report:#?}"
            );
        }
    }
}

/// An exact payment (no change) gets a zero-value note to self as its
/// second shielded output; with real proofs the transaction validates, the
/// payee opens its note and the payer its zero-value one.
#[test]
fn exact_payment_gets_a_zero_value_output_that_validates() {
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let available = notes(&[Asset::sero(1_010)]);
    let params = Parameters::dev();
    let tx: Transaction = build_transaction(
        Network {
            chain_id: CHAIN,
            params,
        },
        &alice(),
        &available,
        vec![Recipient {
            pkr: bob().payment_address().derive_pkr(&mut rng),
            asset: Asset::sero(1_000),
            memo: b"exact".to_vec(),
            plain: false,
        }],
        10,
        &mut rng,
        &|_, _| {},
    )
    .unwrap();
    validate_stateless(&tx, params).unwrap();
    assert_eq!(tx.outputs.len(), 2);
    let mut got = vec![];
    for o in &tx.outputs {
        assert_eq!(o.sealed_note.len(), SEALED_NOTE_LEN);
        for (who, sk) in [("bob", bob()), ("alice", alice())] {
            if let Some((pt, _)) = open_output(&sk.trace_key(), o) {
                got.push((who, pt.asset.value));
            }
        }
    }
    got.sort();
    assert_eq!(got, vec![("alice", 0), ("bob", 1_000)]);
}
