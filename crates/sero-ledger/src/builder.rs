//! Building a transaction: note selection, change, proofs in parallel,
//! signatures.

use crate::contract::ContractAction;
use crate::note_plaintext::{memo_hash, NotePlaintext, MAX_MEMO};
use crate::package::PackageAction;
use crate::tx::{PlainOutput, StakeAction, Transaction, ZInput, ZOutput, MAX_INPUTS, MAX_OUTPUTS};
use ark_ff::{UniformRand, Zero};
use rand_core::{CryptoRng, RngCore};
use sero_assets::package::{
    package_id, package_ticket, seal_with, PackageContents, PackageKey, PackagePlaintext,
};
use sero_assets::{Asset, AssetCommitment, BalanceSignature, Currency, Ticket};
use sero_crypto::curve::{encode_base, encode_scalar, random_scalar};
use sero_crypto::hash::{hash_to_scalar, tags};
use sero_crypto::{Base, Scalar};
use sero_keys::{OneTimeAddress, SecretKey};
use sero_tree::MerklePath;
use sero_zk::note::Note;
use sero_zk::params::Parameters;
use sero_zk::proof::{prove_jobs, ProofJob};
use sero_zk::{InputCircuit, OutputCircuit};
use std::collections::BTreeMap;
use thiserror::Error;

/// A note the wallet owns, with its current path.
#[derive(Clone, Debug)]
pub struct SpendableNote {
    pub note: Note,
    pub path: MerklePath,
}

/// One payment.
#[derive(Clone, Debug)]
pub struct Recipient {
    pub pkr: OneTimeAddress,
    pub asset: Asset,
    pub memo: Vec<u8>,
    /// A plain output (public asset) instead of a shielded one.
    pub plain: bool,
}

/// Why a transaction could not be built.
#[derive(Debug, Error)]
pub enum BuildError {
    #[error("insufficient {currency}: need {needed}, have {available}")]
    InsufficientFunds {
        currency: String,
        needed: u128,
        available: u128,
    },
    #[error("the wallet does not hold ticket {0}")]
    MissingTicket(String),
    #[error("too many {0} for one transaction")]
    TooMany(&'static str),
    #[error("memo of {0} bytes exceeds the limit of {MAX_MEMO}")]
    MemoTooLong(usize),
    #[error("amount overflow")]
    Overflow,
    #[error("the From address is not one of this account's")]
    NotOwnFrom,
    #[error("package: {0}")]
    Package(String),
    #[error("proof error: {0}")]
    Zk(#[from] sero_zk::ZkError),
}

/// Picks notes covering `needs` (per currency) and `tickets`: first the
/// notes that carry a wanted ticket, then per currency the largest notes.
pub fn select_notes(
    available: &[SpendableNote],
    needs: &BTreeMap<Currency, u128>,
    tickets: &[Ticket],
) -> Result<Vec<usize>, BuildError> {
    let mut chosen: Vec<usize> = vec![];
    for t in tickets {
        let i = available
            .iter()
            .position(|n| n.note.asset.ticket.as_ref() == Some(t))
            .ok_or_else(|| BuildError::MissingTicket(format!("{}:{}", t.category, t.id)))?;
        if !chosen.contains(&i) {
            chosen.push(i);
        }
    }
    for (cur, need) in needs {
        let mut have: u128 = chosen
            .iter()
            .map(|i| &available[*i].note.asset)
            .filter(|a| a.currency == *cur)
            .map(|a| a.value)
            .sum();
        let mut candidates: Vec<usize> = (0..available.len())
            .filter(|i| !chosen.contains(i) && available[*i].note.asset.currency == *cur)
            .filter(|i| available[*i].note.asset.value > 0)
            .collect();
        candidates.sort_by_key(|i| std::cmp::Reverse(available[*i].note.asset.value));
        let total: u128 = candidates
            .iter()
            .map(|i| available[*i].note.asset.value)
            .fold(have, |a, v| a.saturating_add(v));
        if total < *need {
            return Err(BuildError::InsufficientFunds {
                currency: cur.to_string(),
                needed: *need,
                available: total,
            });
        }
        for i in candidates {
            if have >= *need {
                break;
            }
            have += available[i].note.asset.value;
            chosen.push(i);
        }
    }
    if chosen.len() > MAX_INPUTS {
        return Err(BuildError::TooMany("inputs"));
    }
    Ok(chosen)
}

/// Every transaction the builder makes has at least this many shielded
/// outputs.
pub const MIN_SHIELDED_OUTPUTS: usize = 2;

/// Fisher–Yates with `rng` (index bias below 2⁻⁵⁷ for the ≤ 64 outputs).
fn shuffle<T, R: RngCore>(v: &mut [T], rng: &mut R) {
    for i in (1..v.len()).rev() {
        let j = ((rng.next_u64() as u128 * (i as u128 + 1)) >> 64) as usize;
        v.swap(i, j);
    }
}

/// The refund PKr of `sk`'s stake for `vote_key`: the `from` of the
/// registration and of the unbonding, derived again from the key so a
/// wallet needs no state to unbond: `PKr = derive_pkr_with(r)` with
/// `r = H_ℓ("SERO_StakeRefPkr"; LE(vsk) ‖ vote_key)` (1 if that is 0).
pub fn stake_refund_pkr(sk: &SecretKey, vote_key: &[u8; 32]) -> OneTimeAddress {
    let mut r = hash_to_scalar(
        tags::STAKE_REFUND_PKR,
        &[&encode_scalar(&sk.vsk()), vote_key],
    );
    if r.is_zero() {
        r = Scalar::from(1u64);
    }
    sk.payment_address().derive_pkr_with(&r)
}

/// A registration of the validator `keys` with `amount` SERO by `sk`'s
/// account on the network `chain_id`, with its proof of possession over
/// the registration's `from` ([`stake_refund_pkr`]).
pub fn register_action(
    sk: &SecretKey,
    chain_id: &[u8; 32],
    keys: &sero_consensus::ba::ValidatorKeys,
    amount: u128,
) -> StakeAction {
    let vote_key = keys.vote_public().to_bytes();
    let from = stake_refund_pkr(sk, &vote_key);
    StakeAction::Register {
        vote_key,
        vrf_key: keys.vrf_public().to_bytes(),
        amount,
        pop: Some(keys.prove_possession(chain_id, &from.to_bytes())),
    }
}

/// The network a transaction is built for: its chain id (genesis hash),
/// which the signatures bind, and its proving parameters.
#[derive(Clone, Copy)]
pub struct Network<'a> {
    pub chain_id: [u8; 32],
    pub params: &'a Parameters,
}

/// Builds, proves and signs a transaction paying `recipients` and `fee`
/// (SERO) from `available` notes of `sk`; change goes to fresh PKr of `sk`.
/// The shielded outputs (payments and change, at least
/// [`MIN_SHIELDED_OUTPUTS`], topped up with zero-value notes to `sk`) come
/// in an order drawn from `rng`; plain outputs follow the recipients' order.
/// `progress(done, total)` is called as proofs complete.
pub fn build_transaction<R: RngCore + CryptoRng>(
    network: Network<'_>,
    sk: &SecretKey,
    available: &[SpendableNote],
    recipients: Vec<Recipient>,
    fee: u128,
    rng: &mut R,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Transaction, BuildError> {
    build_transaction_with(network, sk, available, recipients, fee, None, rng, progress)
}

/// [`build_transaction`] with an optional stake action. A registration's
/// amount is taken from the notes like the fee; with any stake action the
/// transaction's `from` is [`stake_refund_pkr`] of its vote key (the
/// registry's refund address, and the proof of ownership when unbonding).
#[allow(clippy::too_many_arguments)]
pub fn build_transaction_with<R: RngCore + CryptoRng>(
    network: Network<'_>,
    sk: &SecretKey,
    available: &[SpendableNote],
    recipients: Vec<Recipient>,
    fee: u128,
    stake: Option<StakeAction>,
    rng: &mut R,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Transaction, BuildError> {
    let extras = Extras {
        stake,
        ..Extras::default()
    };
    build_transaction_ext(
        network, sk, available, recipients, fee, extras, rng, progress,
    )
}

/// The optional parts of a transaction besides its payments.
#[derive(Clone, Debug, Default)]
pub struct Extras {
    /// A stake action (its `from` is [`stake_refund_pkr`]).
    pub stake: Option<StakeAction>,
    /// A contract call or creation; its asset is taken from the notes
    /// like the fee. Not together with a stake action.
    pub contract: Option<ContractAction>,
    /// The `from` PKr (one of `sk`'s) when the caller wants a fixed
    /// identity; by default a fresh one per transaction.
    pub from: Option<OneTimeAddress>,
    /// A package to create or open. Not together with a stake or contract
    /// action.
    pub package: Option<PackageRequest>,
}

/// A package action for the builder (`crate::package`).
#[derive(Clone, Debug)]
pub enum PackageRequest {
    /// Seal `contents` (taken from the notes like a payment) under
    /// `key` with `blinding`; the package ticket goes to a fresh PKr of
    /// the sender.
    Create {
        contents: PackageContents,
        blinding: Scalar,
        key: PackageKey,
    },
    /// Open package `id` (its ticket is one of the sender's notes) with
    /// `key`; `plaintext` is what the key opens (the contents come back to
    /// the sender as notes).
    Open {
        id: [u8; 32],
        cm: AssetCommitment,
        key: PackageKey,
        plaintext: PackagePlaintext,
    },
}

/// [`build_transaction_with`] with every optional part ([`Extras`]).
#[allow(clippy::too_many_arguments)]
pub fn build_transaction_ext<R: RngCore + CryptoRng>(
    network: Network<'_>,
    sk: &SecretKey,
    available: &[SpendableNote],
    recipients: Vec<Recipient>,
    fee: u128,
    extras: Extras,
    rng: &mut R,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Transaction, BuildError> {
    build_inner(
        network.chain_id,
        Some(network.params),
        sk,
        available,
        recipients,
        fee,
        extras,
        rng,
        progress,
    )
}

/// [`build_transaction_with`] without the proofs (placeholders, and the
/// circuits are not checked): the transaction's public shape exactly as the
/// builder makes it — output order, sealed notes, counts — cheaply, for
/// tests and analyses of what an observer sees. It does not validate.
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub fn build_unproven<R: RngCore + CryptoRng>(
    chain_id: [u8; 32],
    sk: &SecretKey,
    available: &[SpendableNote],
    recipients: Vec<Recipient>,
    fee: u128,
    stake: Option<StakeAction>,
    rng: &mut R,
) -> Result<Transaction, BuildError> {
    build_inner(
        chain_id,
        None,
        sk,
        available,
        recipients,
        fee,
        Extras {
            stake,
            ..Extras::default()
        },
        rng,
        &|_, _| {},
    )
}

/// The builder; `params: None` leaves the proofs out.
#[allow(clippy::too_many_arguments)]
fn build_inner<R: RngCore + CryptoRng>(
    chain_id: [u8; 32],
    params: Option<&Parameters>,
    sk: &SecretKey,
    available: &[SpendableNote],
    recipients: Vec<Recipient>,
    fee: u128,
    extras: Extras,
    rng: &mut R,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Transaction, BuildError> {
    let Extras {
        stake,
        contract,
        from: fixed_from,
        package,
    } = extras;
    if [stake.is_some(), contract.is_some(), package.is_some()]
        .iter()
        .filter(|x| **x)
        .count()
        > 1
    {
        return Err(BuildError::TooMany("actions (stake, contract, package)"));
    }
    let mut needs: BTreeMap<Currency, u128> = BTreeMap::new();
    let mut tickets = vec![];
    for r in &recipients {
        if r.memo.len() > MAX_MEMO {
            return Err(BuildError::MemoTooLong(r.memo.len()));
        }
        if r.asset.value > 0 {
            let e = needs.entry(r.asset.currency).or_default();
            *e = e.checked_add(r.asset.value).ok_or(BuildError::Overflow)?;
        }
        if let Some(t) = r.asset.ticket {
            tickets.push(t);
        }
    }
    let public = fee
        .checked_add(stake.map_or(0, |s| s.locked_amount()))
        .ok_or(BuildError::Overflow)?;
    if public > 0 {
        let e = needs.entry(Currency::sero()).or_default();
        *e = e.checked_add(public).ok_or(BuildError::Overflow)?;
    }
    for a in contract.iter().flat_map(|c| c.public_assets()) {
        if a.value > 0 {
            let e = needs.entry(a.currency).or_default();
            *e = e.checked_add(a.value).ok_or(BuildError::Overflow)?;
        }
        if let Some(t) = a.ticket {
            tickets.push(t);
        }
    }
    // Package contents leave the notes like a payment; an opened
    // package's contents come back as change.
    let mut returned: Vec<Asset> = vec![];
    match &package {
        Some(PackageRequest::Create { contents, .. }) => {
            contents
                .check()
                .map_err(|e| BuildError::Package(e.to_string()))?;
            for a in &contents.assets {
                if a.value > 0 {
                    let e = needs.entry(a.currency).or_default();
                    *e = e.checked_add(a.value).ok_or(BuildError::Overflow)?;
                }
                if let Some(t) = a.ticket {
                    tickets.push(t);
                }
            }
        }
        Some(PackageRequest::Open { id, plaintext, .. }) => {
            tickets.push(package_ticket(id));
            returned = plaintext.contents.assets.clone();
        }
        None => {}
    }
    let chosen = select_notes(available, &needs, &tickets)?;
    let spent: Vec<&SpendableNote> = chosen.iter().map(|i| &available[*i]).collect();

    // Change: token surplus per currency, and tickets not sent.
    let pk = sk.payment_address();
    let mut change = vec![];
    let mut have: BTreeMap<Currency, u128> = BTreeMap::new();
    for s in &spent {
        *have.entry(s.note.asset.currency).or_default() += s.note.asset.value;
        if let Some(t) = s.note.asset.ticket {
            if !tickets.contains(&t) {
                change.push(Asset::ticket(t));
            }
        }
    }
    for (cur, h) in have {
        let surplus = h - needs.get(&cur).copied().unwrap_or(0);
        if surplus > 0 {
            change.push(Asset::token(cur, surplus));
        }
    }
    change.extend(returned);
    // The inputs' proofs first: a package's id binds the first nullifier.
    let mut r_bal = Scalar::zero();
    let mut input_circuits = vec![];
    for s in &spent {
        let ar = random_scalar(rng);
        r_bal += ar;
        input_circuits.push(InputCircuit::for_note(
            s.note,
            s.path,
            sk.zsk(),
            sk.vsk(),
            ar,
        )?);
    }
    let package_action = match package {
        Some(PackageRequest::Create {
            contents,
            blinding,
            key,
        }) => {
            let sealed = seal_with(&contents, blinding, &key, &chain_id)
                .map_err(|e| BuildError::Package(e.to_string()))?;
            let first = input_circuits
                .first()
                .ok_or(BuildError::TooMany("inputs (none)"))?;
            let id = package_id(&chain_id, &encode_base(&first.public.nil), &sealed);
            change.push(Asset::ticket(package_ticket(&id)));
            r_bal -= blinding;
            Some(PackageAction::Create(sealed))
        }
        Some(PackageRequest::Open {
            id,
            cm,
            key,
            plaintext,
        }) => {
            r_bal += plaintext.blinding;
            Some(PackageAction::Open { id, cm, key })
        }
        None => None,
    };
    let (plain, mut all): (Vec<Recipient>, Vec<Recipient>) =
        recipients.into_iter().partition(|r| r.plain);
    for a in change {
        all.push(Recipient {
            pkr: pk.derive_pkr(rng),
            asset: a,
            memo: b"change".to_vec(),
            plain: false,
        });
    }
    // Privacy of the shielded outputs (docs/protocol.md §8.2): at least
    // two, so that a transaction never shows that one output took all its
    // inputs held (zero-value change to self when needed), in random
    // order, so that change is not told by its position (and every sealed
    // note has one length, so not by its size either).
    while all.len() < MIN_SHIELDED_OUTPUTS {
        all.push(Recipient {
            pkr: pk.derive_pkr(rng),
            asset: Asset::sero(0),
            memo: b"change".to_vec(),
            plain: false,
        });
    }
    if all.len() > MAX_OUTPUTS {
        return Err(BuildError::TooMany("outputs"));
    }
    shuffle(&mut all, rng);
    all.extend(plain);

    // Output statements.
    let mut output_circuits = vec![];
    let mut sealed = vec![];
    let mut plain_outputs = vec![];
    for r in &all {
        if r.plain {
            plain_outputs.push(PlainOutput {
                pkr: r.pkr,
                asset: r.asset,
                memo_hash: memo_hash(&r.memo),
            });
            continue;
        }
        let ar = random_scalar(rng);
        r_bal -= ar;
        let pt = NotePlaintext {
            asset: r.asset,
            rsk: Base::rand(rng),
            memo: r.memo.clone(),
        };
        let c = OutputCircuit::for_note(r.asset, &r.pkr, ar, memo_hash(&r.memo), pt.rsk)?;
        sealed.push((r.pkr, pt.seal(&r.pkr, &c.public.cm_out, rng)));
        output_circuits.push(c);
    }

    // Effects first: the sighash does not cover proofs or signatures.
    let placeholder = sero_zk::ZkProof(Default::default());
    let from = match (&stake, fixed_from) {
        (Some(s), _) => stake_refund_pkr(sk, s.vote_key()),
        (None, Some(f)) => f,
        (None, None) => pk.derive_pkr(rng),
    };
    let mut tx = Transaction {
        chain_id,
        fee,
        from,
        inputs: input_circuits
            .iter()
            .map(|c| ZInput {
                anchor: c.public.anchor,
                nil: c.public.nil,
                til: c.public.til,
                cm_asset: AssetCommitment(c.public.cm_asset),
                proof: placeholder.clone(),
            })
            .collect(),
        outputs: output_circuits
            .iter()
            .zip(&sealed)
            .map(|(c, (pkr, s))| ZOutput {
                cm_asset: AssetCommitment(c.public.cm_asset),
                cm_out: c.public.cm_out,
                pkr: *pkr,
                sealed_note: s.clone(),
                proof: placeholder.clone(),
            })
            .collect(),
        plain_outputs,
        stake,
        contract,
        package: package_action,
        balance_sig: BalanceSignature::sign_with_aux(&Scalar::zero(), b"", &[0; 32]),
        from_sig: sk
            .sign_with_aux(&from, b"", &[0; 32])
            .map_err(|_| BuildError::NotOwnFrom)?,
    };
    let sighash = tx.sighash();
    tx.balance_sig = BalanceSignature::sign(&r_bal, &sighash, rng);
    tx.from_sig = sk
        .sign(&from, &sighash, rng)
        .map_err(|_| BuildError::NotOwnFrom)?;
    let Some(params) = params else {
        return Ok(tx);
    };

    // Proofs, in parallel: both circuits' statements in one schedule, each
    // verified before it is kept (a bad witness is named, not submitted).
    let (n_in, total) = (
        input_circuits.len(),
        input_circuits.len() + output_circuits.len(),
    );
    let done = std::sync::atomic::AtomicUsize::new(0);
    progress(0, total);
    let jobs = input_circuits
        .into_iter()
        .map(|c| {
            let public = c.public.to_field_elements();
            ProofJob::checked(&params.input, c, public)
        })
        .chain(output_circuits.into_iter().map(|c| {
            let public = c.public.to_field_elements();
            ProofJob::checked(&params.output, c, public)
        }))
        .collect();
    let mut proofs = prove_jobs(jobs, &mut rand_core::OsRng, &|| {
        progress(
            done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1,
            total,
        )
    })?;
    let op = proofs.split_off(n_in);
    let ip = proofs;
    for (i, p) in tx.inputs.iter_mut().zip(ip) {
        i.proof = p;
    }
    for (o, p) in tx.outputs.iter_mut().zip(op) {
        o.proof = p;
    }
    Ok(tx)
}
