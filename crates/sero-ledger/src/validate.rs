//! Validation in two layers. A rejected transaction changes nothing: these
//! functions only read.
//!
//! Stateless (needs no chain state; cacheable, parallel):
//! 1. at least one input (the fee is paid from notes);
//! 2. no nullifier twice in the transaction;
//! 3. the `From` PKr signature over the sighash;
//! 4. the balance signature over the sighash against
//!    `Σ CM_in − Σ CM_out − Σ plain − (fee + stake)·G_SERO`, where `stake` is
//!    the amount a stake registration locks (a registration's amount must
//!    fit in a u64) and the asset a contract action brings counts like a
//!    plain output (public value: `crate::contract`), after the contract
//!    action's own stateless rules ([`crate::contract::check_stateless`]);
//!    a package action adds its commitment and its ticket
//!    ([`crate::package::balance_terms`]);
//! 5. every input and output proof, batch-verified (one batch per circuit,
//!    across all the transactions given).
//!
//! (Encodings — canonical points, scalars, field elements, names, limits —
//! are checked by the decoder before any of this.)
//!
//! Stateful (against the ledger):
//! 0. the transaction's chain id is this network's (cheapest; checked
//!    first, also on its own by [`check_chain`] before any proof);
//! 6. every anchor is a recent note-tree root;
//! 7. no nullifier is already spent;
//! 8. the stake action, if any, against the registry
//!    ([`LedgerView::check_stake`]);
//! 9. the contract action, if any, against the parent's contract state
//!    ([`LedgerView::check_contract`]; executing it is the node's stage);
//! 10. the package action, if any, against the parent's package table
//!    ([`LedgerView::check_package`]: a new id; an open of a sealed
//!    package whose ciphertext the key opens to contents that re-commit
//!    to its `C_pkg`).
//!
//! Nullifiers repeated across the transactions of one block are the
//! block's rule (`check_block_nullifiers`).

use crate::error::TxError;
use crate::tx::{StakeAction, Transaction, ZInput, ZOutput};
use rand_core::OsRng;
use rayon::prelude::*;
use sero_assets::{balance_point_ext, AssetCommitment};
use sero_crypto::curve::encode_base;
use sero_crypto::schnorr;
use sero_crypto::{Base, Point};
use sero_zk::note::{pkr_hash, pkr_hash_many};
use sero_zk::params::Parameters;
use sero_zk::{batch_verify_groups, verify, InputProofPublic, OutputProofPublic, ZkProof};
use std::collections::HashSet;

/// What stateful validation needs from the ledger.
pub trait LedgerView {
    /// The network's chain id (the genesis block hash).
    fn chain_id(&self) -> [u8; 32];
    /// Whether `root` is among the recent note-tree roots.
    fn is_known_anchor(&self, root: &Base) -> bool;
    /// Whether `nil` was spent on chain.
    fn is_spent(&self, nil: &Base) -> bool;
    /// The stake registry's rules for `tx.stake` (called only when it is
    /// `Some`). Views without a registry accept.
    fn check_stake(&self, _tx: &Transaction) -> Result<(), TxError> {
        Ok(())
    }
    /// The contract action's historical rules
    /// ([`crate::contract::check_historical`]; called only when it is
    /// `Some`). Views without contract state accept.
    fn check_contract(&self, _c: &crate::contract::ContractAction) -> Result<(), TxError> {
        Ok(())
    }
    /// The package action's historical rules
    /// ([`crate::package::check_historical`]; called only when it is
    /// `Some`). Views without a package table accept.
    fn check_package(&self, _tx: &Transaction) -> Result<(), TxError> {
        Ok(())
    }
}

fn hex32(f: &Base) -> String {
    hex::encode(encode_base(f))
}

/// Rules 1–2 and what rules 3–4 need: the structure, the sighash and the
/// balance point, whose signatures [`Signed::verify`] (one transaction) or
/// [`check_structure_and_signatures_batch`] (many) then check.
pub fn check_structure(tx: &Transaction) -> Result<Signed, TxError> {
    if tx.inputs.is_empty() {
        return Err(TxError::NoInputs);
    }
    let mut seen = HashSet::new();
    for n in tx.nullifiers() {
        if !seen.insert(*n) {
            return Err(TxError::DuplicateNullifier(hex32(n)));
        }
    }
    if let Some(StakeAction::Register { amount, .. }) = &tx.stake {
        if *amount > u64::MAX as u128 {
            return Err(TxError::Stake(format!(
                "stake amount {amount} exceeds the largest weight {}",
                u64::MAX
            )));
        }
    }
    if let Some(p) = &tx.package {
        if tx.stake.is_some() || tx.contract.is_some() {
            return Err(TxError::Package(
                "a transaction carries one action: stake, contract or package".into(),
            ));
        }
        crate::package::check_stateless(tx, p)?;
    }
    if let Some(c) = &tx.contract {
        if tx.stake.is_some() {
            return Err(TxError::Contract(
                "a transaction carries a stake or a contract action, not both".into(),
            ));
        }
        crate::contract::check_stateless(tx, c)?;
    }
    let public = tx
        .public_sero()
        .ok_or_else(|| TxError::Stake("fee plus stake overflows".into()))?;
    let mut ins: Vec<AssetCommitment> = tx.inputs.iter().map(|i| i.cm_asset).collect();
    let mut outs: Vec<AssetCommitment> = tx.outputs.iter().map(|o| o.cm_asset).collect();
    // A package action: its commitment and its ticket (docs/protocol.md §13).
    let (mut public_in, mut public_out) = (vec![], vec![]);
    if let Some(p) = &tx.package {
        let t = crate::package::balance_terms(tx, p)?;
        ins.extend(t.inputs);
        outs.extend(t.outputs);
        public_in = t.public_in;
        public_out = t.public_out;
    }
    // The contract action's asset and token fee leave the shielded pool
    // as public values, exactly like a plain output's.
    let plain: Vec<_> = tx
        .plain_outputs
        .iter()
        .map(|p| p.asset)
        .chain(tx.contract.iter().flat_map(|c| c.public_assets()))
        .chain(public_out)
        .collect();
    let bp = balance_point_ext(&ins, &outs, &plain, &public_in, public)
        .map_err(|e| TxError::Asset(e.to_string()))?;
    Ok(Signed {
        sighash: tx.sighash(),
        balance_point: bp,
    })
}

/// What rules 3 and 4 check with the transaction's two signatures: its
/// sighash and balance point ([`check_structure`]).
pub struct Signed {
    pub sighash: [u8; 32],
    pub balance_point: Point,
}

impl Signed {
    /// Rules 3 and 4 one signature at a time, with the precise error.
    pub fn verify(&self, tx: &Transaction) -> Result<(), TxError> {
        tx.from
            .verify(&self.sighash, &tx.from_sig)
            .map_err(|_| TxError::BadFromSignature)?;
        tx.balance_sig
            .verify(&self.balance_point, &self.sighash)
            .map_err(|_| TxError::Unbalanced)
    }

    /// Its two signatures as batch entries ([`schnorr::verify_batch`]).
    pub fn entries<'a>(&'a self, tx: &Transaction) -> [schnorr::BatchEntry<'a>; 2] {
        [
            tx.from.batch_entry(&self.sighash, &tx.from_sig),
            tx.balance_sig
                .batch_entry(&self.balance_point, &self.sighash),
        ]
    }
}

/// Rules 1–4 (structure, the `From` signature, the balance signature) and
/// a registration's proof of possession.
pub fn check_structure_and_signatures(tx: &Transaction) -> Result<(), TxError> {
    check_structure(tx)?.verify(tx)?;
    check_possession(tx)
}

/// Rules 1–4 for many transactions, the signatures of all of them verified
/// as one batch (when the batch fails, one at a time to blame the bad
/// ones), then each registration's proof of possession.
pub fn check_structure_and_signatures_batch(txs: &[Transaction]) -> Vec<Result<(), TxError>> {
    let signed: Vec<Result<Signed, TxError>> = txs.par_iter().map(check_structure).collect();
    let entries: Vec<schnorr::BatchEntry<'_>> = signed
        .iter()
        .zip(txs)
        .filter_map(|(s, tx)| s.as_ref().ok().map(|s| s.entries(tx)))
        .flatten()
        .collect();
    let batch_ok = schnorr::verify_batch(&entries, &mut OsRng).is_ok();
    signed
        .into_par_iter()
        .zip(txs.par_iter())
        .map(|(s, tx)| {
            let s = s?;
            if !batch_ok {
                s.verify(tx)?;
            }
            check_possession(tx)
        })
        .collect()
}

/// A registration's proof of possession of both keys, bound to this
/// network and to the registrant (`from`): no squatting of another's key,
/// no rogue key (`docs/protocol.md` §11.1).
pub fn check_possession(tx: &Transaction) -> Result<(), TxError> {
    let Some(StakeAction::Register {
        vote_key,
        vrf_key,
        pop,
        ..
    }) = &tx.stake
    else {
        return Ok(());
    };
    let pop = pop.as_ref().ok_or_else(|| {
        TxError::Stake("registration without a proof of possession of its keys".into())
    })?;
    sero_consensus::pop::verify_possession(
        &tx.chain_id,
        &tx.from.to_bytes(),
        vote_key,
        vrf_key,
        pop,
    )
    .map_err(|e| TxError::Stake(format!("registration: {e}")))
}

type Statements = Vec<(Vec<Base>, ZkProof)>;

/// The proof statements of a transaction: (input statements, output statements).
pub fn proof_statements(tx: &Transaction) -> (Statements, Statements) {
    let ins = tx.inputs.iter().map(input_statement).collect();
    let outs = tx
        .outputs
        .iter()
        .map(|o| output_statement(o, pkr_hash(&o.pkr)))
        .collect();
    (ins, outs)
}

/// An input proof's public inputs, with the proof.
fn input_statement(i: &ZInput) -> (Vec<Base>, ZkProof) {
    let public = InputProofPublic {
        anchor: i.anchor,
        nil: i.nil,
        til: i.til,
        cm_asset: i.cm_asset.0,
    };
    (public.to_field_elements(), i.proof.clone())
}

/// An output proof's public inputs (its PKr's hash given), with the proof.
fn output_statement(o: &ZOutput, pkr_hash: Base) -> (Vec<Base>, ZkProof) {
    let public = OutputProofPublic {
        cm_asset: o.cm_asset.0,
        cm_out: o.cm_out,
        pkr_hash,
    };
    (public.to_field_elements(), o.proof.clone())
}

fn verify_one_tx_proofs(tx: &Transaction, params: &Parameters) -> Result<(), TxError> {
    let (ins, outs) = proof_statements(tx);
    for (p, proof) in &ins {
        verify(&params.input, p, proof).map_err(|_| TxError::BadInputProof)?;
    }
    for (p, proof) in &outs {
        verify(&params.output, p, proof).map_err(|_| TxError::BadOutputProof)?;
    }
    Ok(())
}

/// Stateless validation of many transactions: rules 1–4 in parallel, then
/// all proofs in one batch (both circuits, one final exponentiation). If
/// the batch fails, the proofs are checked one transaction at a time to
/// blame the right ones. Returns one result per transaction.
pub fn validate_stateless_batch(
    txs: &[Transaction],
    params: &Parameters,
) -> Vec<Result<(), TxError>> {
    let mut results = check_structure_and_signatures_batch(txs);
    let ok: Vec<usize> = (0..txs.len()).filter(|i| results[*i].is_ok()).collect();
    let batch: Vec<&Transaction> = ok.iter().map(|&i| &txs[i]).collect();
    if !proofs_batch_ok(&batch, params) {
        let blame: Vec<(usize, Result<(), TxError>)> = ok
            .par_iter()
            .map(|&i| (i, verify_one_tx_proofs(&txs[i], params)))
            .collect();
        for (i, r) in blame {
            results[i] = r;
        }
    }
    results
}

/// Whether *every* transaction of `txs` is statelessly valid (rules 1–5),
/// without blame: one signature batch and one proof batch (both
/// circuits), and `false` as soon as anything fails, without finding out which transaction
/// did (that is [`validate_stateless_batch`]'s job). A syncing node uses it
/// to verify a whole range of blocks at once; a `false` costs it nothing
/// more than the batch, and each block is then validated on its own.
pub fn stateless_batch_ok(txs: &[Transaction], params: &Parameters) -> bool {
    let signed: Result<Vec<Signed>, TxError> = txs.par_iter().map(check_structure).collect();
    let Ok(signed) = signed else {
        return false;
    };
    let entries: Vec<schnorr::BatchEntry<'_>> = signed
        .iter()
        .zip(txs)
        .flat_map(|(s, tx)| s.entries(tx))
        .collect();
    if schnorr::verify_batch(&entries, &mut OsRng).is_err()
        || !txs.par_iter().all(|t| check_possession(t).is_ok())
    {
        return false;
    }
    proofs_batch_ok(&txs.iter().collect::<Vec<_>>(), params)
}

/// Whether all proofs of `txs` pass as one batch over both circuits (one
/// final exponentiation, [`batch_verify_groups`]), without blame.
/// [`proof_statements`] of every transaction, concatenated in order: the
/// outputs' `pkr_hash` (one Poseidon each) computed eight at a time in
/// lanes ([`pkr_hash_many`]) and in parallel.
pub fn proof_statements_many(txs: &[&Transaction]) -> (Statements, Statements) {
    let ins = txs
        .iter()
        .flat_map(|t| t.inputs.iter())
        .map(input_statement)
        .collect();
    let outputs: Vec<&ZOutput> = txs.iter().flat_map(|t| t.outputs.iter()).collect();
    let hashes: Vec<Base> = outputs
        .par_chunks(32)
        .flat_map_iter(|c| pkr_hash_many(&c.iter().map(|o| &o.pkr).collect::<Vec<_>>()))
        .collect();
    let outs = outputs
        .iter()
        .zip(hashes)
        .map(|(o, h)| output_statement(o, h))
        .collect();
    (ins, outs)
}

fn proofs_batch_ok(txs: &[&Transaction], params: &Parameters) -> bool {
    let (ins, outs) = proof_statements_many(txs);
    batch_verify_groups(
        &[
            (&params.input, ins.as_slice()),
            (&params.output, outs.as_slice()),
        ],
        &mut OsRng,
    )
    .is_ok()
}

/// Stateless validation of one transaction (rules 1–5).
pub fn validate_stateless(tx: &Transaction, params: &Parameters) -> Result<(), TxError> {
    validate_stateless_batch(std::slice::from_ref(tx), params)
        .pop()
        .expect("one result")
}

/// Rule 0: the transaction is for the network `chain_id`.
pub fn check_chain(tx: &Transaction, chain_id: &[u8; 32]) -> Result<(), TxError> {
    if &tx.chain_id != chain_id {
        return Err(TxError::WrongChain {
            expected: hex::encode(chain_id),
            got: hex::encode(tx.chain_id),
        });
    }
    Ok(())
}

/// Stateful validation (rules 0 and 6–8).
pub fn validate_stateful(tx: &Transaction, view: &impl LedgerView) -> Result<(), TxError> {
    check_chain(tx, &view.chain_id())?;
    for i in &tx.inputs {
        if !view.is_known_anchor(&i.anchor) {
            return Err(TxError::UnknownAnchor(hex32(&i.anchor)));
        }
        if view.is_spent(&i.nil) {
            return Err(TxError::AlreadySpent(hex32(&i.nil)));
        }
    }
    if tx.stake.is_some() {
        view.check_stake(tx)?;
    }
    if let Some(c) = &tx.contract {
        view.check_contract(c)?;
    }
    if tx.package.is_some() {
        view.check_package(tx)?;
    }
    Ok(())
}

/// Block rule: no nullifier appears in two transactions of one block.
pub fn check_block_nullifiers(txs: &[Transaction]) -> Result<(), TxError> {
    let mut seen = HashSet::new();
    for n in txs.iter().flat_map(|t| t.nullifiers()) {
        if !seen.insert(*n) {
            return Err(TxError::DuplicateNullifier(hex32(n)));
        }
    }
    Ok(())
}
