//! The transaction structure and its two hashes.

use crate::codec;
use sero_assets::{Asset, AssetCommitment, BalanceSignature};
use sero_crypto::hash::{hash256, tags};
use sero_crypto::Base;
use sero_keys::{OneTimeAddress, PkrSignature};
use sero_zk::ZkProof;

/// Limits that keep a transaction's validation cost bounded.
pub const MAX_INPUTS: usize = 64;
pub const MAX_OUTPUTS: usize = 64;
pub const MAX_PLAIN_OUTPUTS: usize = 64;
/// Longest sealed note (plaintext limit plus the 48-byte sealing overhead).
pub const MAX_SEALED_NOTE: usize = 1024;
/// Longest encoded transaction.
pub const MAX_TX_BYTES: usize = 128 * 1024;

/// A shielded input: spends a note of the witness tree.
#[derive(Clone, Debug, PartialEq)]
pub struct ZInput {
    pub anchor: Base,
    pub nil: Base,
    pub til: Base,
    pub cm_asset: AssetCommitment,
    pub proof: ZkProof,
}

/// A shielded output: a new note for `pkr`, sealed to it.
#[derive(Clone, Debug, PartialEq)]
pub struct ZOutput {
    pub cm_asset: AssetCommitment,
    pub cm_out: Base,
    pub pkr: OneTimeAddress,
    pub sealed_note: Vec<u8>,
    pub proof: ZkProof,
}

/// A plain output: the asset is public (a payment to a contract's PKr, or a
/// coinbase). Its note enters the same tree with `rsk = 0`, so spending it
/// later is as private as spending any note.
#[derive(Clone, Debug, PartialEq)]
pub struct PlainOutput {
    pub pkr: OneTimeAddress,
    pub asset: Asset,
    pub memo_hash: Base,
}

/// A public action on the stake registry (`docs/protocol.md` §11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StakeAction {
    /// Lock `amount` SERO (public value taken from the inputs like the fee)
    /// for a new validator with these keys; the refund goes to the
    /// transaction's signed `from` PKr.
    Register {
        /// The validator's vote key (ed25519 public key).
        vote_key: [u8; 32],
        /// The validator's VRF public key (ristretto255).
        vrf_key: [u8; 32],
        /// SERO locked; the stake weight is `amount` as a u64.
        amount: u128,
        /// Proof of possession of both keys over the chain id and the
        /// transaction's `from` ([`sero_consensus::pop`]); `None` only for
        /// the legacy encoding (kind 1), which validation refuses.
        pop: Option<sero_consensus::pop::ProofOfPossession>,
    },
    /// Start unbonding: only the owner of the refund PKr (`from` equal to
    /// it, proven by the From signature) may do it.
    Unbond {
        /// The validator's vote key.
        vote_key: [u8; 32],
    },
}

impl StakeAction {
    /// The vote key the action is about.
    pub fn vote_key(&self) -> &[u8; 32] {
        match self {
            StakeAction::Register { vote_key, .. } | StakeAction::Unbond { vote_key } => vote_key,
        }
    }

    /// SERO the action takes from the inputs (besides the fee).
    pub fn locked_amount(&self) -> u128 {
        match self {
            StakeAction::Register { amount, .. } => *amount,
            StakeAction::Unbond { .. } => 0,
        }
    }
}

/// A SERO transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct Transaction {
    /// The network this transaction is for: the hash of its genesis block.
    /// It is part of the effects, so both signatures and the txid commit to
    /// it and a transaction cannot be replayed on another network.
    pub chain_id: [u8; 32],
    /// Fee in SERO.
    pub fee: u128,
    /// A PKr of the sender's, signed, that a contract may pay back to.
    pub from: OneTimeAddress,
    pub inputs: Vec<ZInput>,
    pub outputs: Vec<ZOutput>,
    pub plain_outputs: Vec<PlainOutput>,
    /// An optional stake-registry action (encoded only in version 2).
    pub stake: Option<StakeAction>,
    /// An optional contract call or creation (encoded only in version 5;
    /// never together with a stake action). Its rules live in
    /// [`crate::contract`].
    pub contract: Option<crate::contract::ContractAction>,
    /// An optional package action (encoded only in version 6; never
    /// together with a stake or contract action). Its rules live in
    /// [`crate::package`].
    pub package: Option<crate::package::PackageAction>,
    /// B-Sign over the sighash.
    pub balance_sig: BalanceSignature,
    /// PKr signature of `from` over the sighash.
    pub from_sig: PkrSignature,
}

impl Transaction {
    /// `BLAKE2b-256("SERO_TxId_v1____"; effects)`: every effect, no proof
    /// and no signature (those are malleable). It is also the sighash. The
    /// effects begin with the chain id, so the txid of the same payment
    /// differs from network to network.
    pub fn txid(&self) -> [u8; 32] {
        hash256(tags::TX_ID, &[&codec::encode_effects(self)])
    }

    /// `BLAKE2b-256("SERO_TxFull_v1__"; encoding)`: the whole transaction.
    pub fn full_hash(&self) -> [u8; 32] {
        Self::full_hash_of(&self.to_bytes())
    }

    /// [`full_hash`](Self::full_hash) of a transaction's encoding, without
    /// decoding it.
    pub fn full_hash_of(encoding: &[u8]) -> [u8; 32] {
        hash256(tags::TX_FULL, &[encoding])
    }

    /// What both signatures sign.
    pub fn sighash(&self) -> [u8; 32] {
        self.txid()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        codec::encode(self)
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, crate::DecodeError> {
        codec::decode(b)
    }

    pub fn nullifiers(&self) -> impl Iterator<Item = &Base> {
        self.inputs.iter().map(|i| &i.nil)
    }

    /// The public SERO value leaving the shielded pool besides the plain
    /// outputs: fee plus stake locked (`None` on overflow).
    pub fn public_sero(&self) -> Option<u128> {
        self.fee
            .checked_add(self.stake.map_or(0, |s| s.locked_amount()))
    }
}
