//! Out-of-circuit hashing: BLAKE2b with a distinct 16-byte personalisation
//! for every use. The complete list of tags lives in [`tags`]; a test checks
//! that no two uses share one.

use crate::curve::Scalar;
use ark_ff::PrimeField;

/// Every BLAKE2b personalisation used by SERO. Each is exactly 16 bytes.
pub mod tags {
    /// zsk = H(seed) mod ℓ.
    pub const ZSK: &[u8; 16] = b"SERO_ZskDerive01";
    /// vsk = H(seed) mod ℓ.
    pub const VSK: &[u8; 16] = b"SERO_VskDerive01";
    /// AEAD key from the ECDH secret of a sealed message or note.
    pub const SEAL_KEY: &[u8; 16] = b"SERO_SealKey_v01";
    /// Nonce of a PKr signature.
    pub const PKR_SIG_NONCE: &[u8; 16] = b"SERO_PKrSigNonce";
    /// Challenge of a PKr signature.
    pub const PKR_SIG_CHALLENGE: &[u8; 16] = b"SERO_PKrSigChall";
    /// Nonce of the balance signature (B-Sign).
    pub const BAL_SIG_NONCE: &[u8; 16] = b"SERO_BalSigNonce";
    /// Challenge of the balance signature (B-Sign).
    pub const BAL_SIG_CHALLENGE: &[u8; 16] = b"SERO_BalSigChall";
    /// Checksum of the typed base58 encodings.
    pub const BASE58_CHECK: &[u8; 16] = b"SERO_Base58Check";
    /// Seed of the development (insecure) Groth16 parameters.
    pub const ZK_DEV_PARAMS: &[u8; 16] = b"SERO_ZkDevParams";
    /// Hash of the verifying keys (pinned by a chain's genesis).
    pub const ZK_VK_HASH: &[u8; 16] = b"SERO_ZkVkHash_v1";
    /// Integrity hash of a parameter file.
    pub const ZK_PARAMS_FILE: &[u8; 16] = b"SERO_ZkParamFile";
    /// Transaction id: hash of a transaction's effects (no proofs, no signatures).
    pub const TX_ID: &[u8; 16] = b"SERO_TxId_v1____";
    /// Hash of a whole transaction, proofs and signatures included.
    pub const TX_FULL: &[u8; 16] = b"SERO_TxFull_v1__";
    /// Block hash: hash of the encoded header.
    pub const BLOCK_HEADER: &[u8; 16] = b"SERO_BlockHdr_v1";
    /// Leaves of the transaction Merkle root of a block.
    pub const TX_ROOT_LEAF: &[u8; 16] = b"SERO_TxRootLeaf1";
    /// Inner nodes of the transaction Merkle root of a block.
    pub const TX_ROOT_NODE: &[u8; 16] = b"SERO_TxRootNode1";
    /// Memo hash of a note (reduced to a field element).
    pub const MEMO_HASH: &[u8; 16] = b"SERO_MemoHash_v1";
    /// Signing hash of a block header (the seal's signature bytes zeroed).
    pub const BLOCK_SIGN: &[u8; 16] = b"SERO_BlockSign_1";
    /// Hash of a chain's genesis configuration (the genesis seal).
    pub const GENESIS_CONFIG: &[u8; 16] = b"SERO_GenesisCfg1";
    /// Mining licence: the validator-key scalar `H(zpk)`.
    pub const LICENSE_ZPK: &[u8; 16] = b"SERO_LicenseZpk1";
    /// Mining licence: the Schnorr-style challenge binding `R`.
    pub const LICENSE_CHALLENGE: &[u8; 16] = b"SERO_LicenseChal";
    /// Memo hash of a stake refund (a coinbase plain output).
    pub const STAKE_REFUND_MEMO: &[u8; 16] = b"SERO_StakeRefund";
    /// The wallet's refund PKr of a stake: `r = H(vsk ‖ vote_key) mod ℓ`.
    pub const STAKE_REFUND_PKR: &[u8; 16] = b"SERO_StakeRefPkr";
    /// Contracts: the 20-byte Solidity short address of a PKr (first 20 bytes).
    pub const EVM_SHORT_ADDR: &[u8; 16] = b"SERO_EvmShortPkr";
    /// Contracts: the address of a new contract from its creator and the global nonce.
    pub const EVM_CONTRACT_ADDR: &[u8; 16] = b"SERO_EvmContract";
    /// Contracts: the id of a ticket minted by `sero_allotTicket`.
    pub const EVM_TICKET_ID: &[u8; 16] = b"SERO_EvmTicketId";
    /// Block headers: the state root, of the LtHash accumulator over the
    /// contract state and the spent set (the name is historical).
    pub const EVM_STATE_ROOT: &[u8; 16] = b"SERO_EvmStateRt2";
    /// Contracts: the digest of one state entry (LtHash input).
    pub const EVM_LTHASH_ENTRY: &[u8; 16] = b"SERO_EvmLtEntry1";
    /// Contracts: the expansion of an entry digest into LtHash lanes.
    pub const EVM_LTHASH_LANES: &[u8; 16] = b"SERO_EvmLtLanes1";
    /// The state root: the digest of one spent-set entry (a spent nullifier
    /// or a til; LtHash input). A tag of its own, so that no contract-state
    /// entry, whatever its bytes, has the digest of a spent-set entry.
    pub const SPENT_LTHASH_ENTRY: &[u8; 16] = b"SERO_SpentLtEnt1";
    /// Block headers: the commitment to the validator set of the next round
    /// (`validators_hash`).
    pub const VALIDATOR_SET: &[u8; 16] = b"SERO_ValSetHash1";

    /// All tags, for the uniqueness test and the protocol document.
    pub const ALL: &[(&str, &[u8; 16])] = &[
        ("ZSK", ZSK),
        ("VSK", VSK),
        ("SEAL_KEY", SEAL_KEY),
        ("PKR_SIG_NONCE", PKR_SIG_NONCE),
        ("PKR_SIG_CHALLENGE", PKR_SIG_CHALLENGE),
        ("BAL_SIG_NONCE", BAL_SIG_NONCE),
        ("BAL_SIG_CHALLENGE", BAL_SIG_CHALLENGE),
        ("BASE58_CHECK", BASE58_CHECK),
        ("ZK_DEV_PARAMS", ZK_DEV_PARAMS),
        ("ZK_VK_HASH", ZK_VK_HASH),
        ("ZK_PARAMS_FILE", ZK_PARAMS_FILE),
        ("TX_ID", TX_ID),
        ("TX_FULL", TX_FULL),
        ("MEMO_HASH", MEMO_HASH),
        ("BLOCK_HEADER", BLOCK_HEADER),
        ("TX_ROOT_LEAF", TX_ROOT_LEAF),
        ("TX_ROOT_NODE", TX_ROOT_NODE),
        ("BLOCK_SIGN", BLOCK_SIGN),
        ("GENESIS_CONFIG", GENESIS_CONFIG),
        ("LICENSE_ZPK", LICENSE_ZPK),
        ("LICENSE_CHALLENGE", LICENSE_CHALLENGE),
        ("STAKE_REFUND_MEMO", STAKE_REFUND_MEMO),
        ("STAKE_REFUND_PKR", STAKE_REFUND_PKR),
        ("EVM_SHORT_ADDR", EVM_SHORT_ADDR),
        ("EVM_CONTRACT_ADDR", EVM_CONTRACT_ADDR),
        ("EVM_TICKET_ID", EVM_TICKET_ID),
        ("EVM_STATE_ROOT", EVM_STATE_ROOT),
        ("EVM_LTHASH_ENTRY", EVM_LTHASH_ENTRY),
        ("EVM_LTHASH_LANES", EVM_LTHASH_LANES),
        ("SPENT_LTHASH_ENTRY", SPENT_LTHASH_ENTRY),
        ("VALIDATOR_SET", VALIDATOR_SET),
    ];
}

fn state(tag: &[u8; 16], len: usize) -> blake2b_simd::State {
    blake2b_simd::Params::new()
        .hash_length(len)
        .personal(tag)
        .to_state()
}

/// BLAKE2b-512 of the concatenation of `parts` under `tag`.
pub fn hash512(tag: &[u8; 16], parts: &[&[u8]]) -> [u8; 64] {
    let mut st = state(tag, 64);
    for p in parts {
        st.update(p);
    }
    let mut out = [0u8; 64];
    out.copy_from_slice(st.finalize().as_bytes());
    out
}

/// BLAKE2b-256 of the concatenation of `parts` under `tag`.
pub fn hash256(tag: &[u8; 16], parts: &[&[u8]]) -> [u8; 32] {
    let mut st = state(tag, 32);
    for p in parts {
        st.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(st.finalize().as_bytes());
    out
}

/// A scalar from BLAKE2b-512 reduced mod ℓ (bias below 2^-250).
pub fn hash_to_scalar(tag: &[u8; 16], parts: &[&[u8]]) -> Scalar {
    Scalar::from_le_bytes_mod_order(&hash512(tag, parts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn tags_are_unique_and_16_bytes() {
        let set: HashSet<_> = tags::ALL.iter().map(|(_, t)| **t).collect();
        assert_eq!(set.len(), tags::ALL.len());
        for (_, t) in tags::ALL {
            assert!(t.starts_with(b"SERO_"));
        }
    }

    #[test]
    fn domain_separation() {
        assert_ne!(hash256(tags::ZSK, &[b"x"]), hash256(tags::VSK, &[b"x"]));
        assert_eq!(
            hash256(tags::ZSK, &[b"ab", b"c"]),
            hash256(tags::ZSK, &[b"abc"])
        );
    }
}
