//! The address model: 20-byte Solidity addresses for PKrs and contracts.

use revm::primitives::{Address, U256};
use sero_crypto::hash::{hash256, tags};
use sero_keys::OneTimeAddress;

/// `short(PKr)`: the first 20 bytes of BLAKE2b-256 under `SERO_EvmShortPkr`
/// of the 96-byte PKr (ZPKr ‖ VPKr ‖ BASEr).
pub fn short_address_bytes(pkr: &[u8; 96]) -> Address {
    // The same `From` usually sends many transactions in a row: remember
    // the last PKr hashed on this thread.
    thread_local! {
        static LAST: std::cell::Cell<Option<([u8; 96], Address)>> =
            const { std::cell::Cell::new(None) };
    }
    if let Some((p, a)) = LAST.get() {
        if p == *pkr {
            return a;
        }
    }
    let h = hash256(tags::EVM_SHORT_ADDR, &[pkr]);
    let a = Address::from_slice(&h[..20]);
    LAST.set(Some((*pkr, a)));
    a
}

/// `short(PKr)` of a decoded one-time address.
pub fn short_address(pkr: &OneTimeAddress) -> Address {
    short_address_bytes(&pkr.to_bytes())
}

/// The address of the contract created by `creator` (its `From` PKr) when
/// the global contract nonce becomes `nonce` (the first contract gets 1):
/// the first 20 bytes of BLAKE2b-256 under `SERO_EvmContract` of
/// `creator (96 B) ‖ nonce (8 B, big-endian)`.
pub fn contract_address(creator: &[u8; 96], nonce: u64) -> Address {
    let h = hash256(tags::EVM_CONTRACT_ADDR, &[creator, &nonce.to_be_bytes()]);
    Address::from_slice(&h[..20])
}

/// The id of the `nonce`-th ticket (from 0) that `contract` mints in
/// `category`: BLAKE2b-256 under `SERO_EvmTicketId` of
/// `contract (20 B) ‖ category (32 B, name then zero padding) ‖ nonce (8 B, big-endian)`.
pub fn ticket_id(contract: &Address, category: &[u8; 32], nonce: u64) -> [u8; 32] {
    hash256(
        tags::EVM_TICKET_ID,
        &[contract.as_slice(), category, &nonce.to_be_bytes()],
    )
}

/// The reserved account whose SERO book receives the token issue fees.
/// No key or code controls it: the fee is in effect burned, and stays
/// visible in the state (so that supply = notes + books still holds).
pub const FEE_SINK: Address = sys_address(0xfe);

/// System accounts whose storage holds the SERO tables inside revm's
/// journal (so that a reverted frame drops their changes). They never reach
/// the persistent state as accounts: the engine maps their slots back to
/// typed entries (see `state::StateKey`).
pub(crate) const fn sys_address(n: u8) -> Address {
    let mut b = [0u8; 20];
    b[0] = 0x5e;
    b[1] = 0x40;
    b[19] = n;
    Address::new(b)
}

pub(crate) fn addr_to_u256(a: &Address) -> U256 {
    U256::from_be_slice(a.as_slice())
}

pub(crate) fn u256_to_addr(v: &U256) -> Address {
    Address::from_word(v.to_be_bytes::<32>().into())
}
