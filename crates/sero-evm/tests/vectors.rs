//! Pinned vectors of the address model and of the byte orders
//! (docs/contracts.md §§2–3). Inputs use asymmetric bytes so that any
//! reversal shows.

use ark_ff::{BigInteger, PrimeField};
use sero_assets::{Category, Currency, Ticket, TicketId};
use sero_evm::{contract_address, short_address_bytes, ticket_id, Address, StateKey};

fn seq(n: usize, start: u8) -> Vec<u8> {
    (0..n).map(|i| start.wrapping_add(i as u8)).collect()
}

fn fe_hex<F: PrimeField>(f: F) -> String {
    hex::encode(f.into_bigint().to_bytes_be())
}

#[test]
fn address_vectors() {
    let pkr: [u8; 96] = seq(96, 0).try_into().unwrap(); // 00 01 … 5f
    assert_eq!(
        short_address_bytes(&pkr).to_string(),
        "0xC5AC4c0a4a024b032a941c8ad96E3E1b9e7d69Bb"
    );
    assert_eq!(
        contract_address(&pkr, 1).to_string(),
        "0x5AB123B5Dbf37837D7D6e56F2034F94BC5250214"
    );
    assert_eq!(
        contract_address(&pkr, 2).to_string(),
        "0x9b9191b3c95A08EB607E9CF9DCe2eEcf516E4e44"
    );
    let c = Address::from_slice(&seq(20, 1)); // 01 02 … 14
    let cat = Category::new("KITTY").unwrap();
    assert_eq!(
        hex::encode(ticket_id(&c, &cat.to_bytes(), 0)),
        "9e275cf93253ad9f769a8dca9d88eb6960fd258d5e6612923028e9a87756ac9c"
    );
}

#[test]
fn byte_order_vectors() {
    // Solidity bytes32 0x000102…1f is the ticket id with byte i = i.
    let id = TicketId(seq(32, 0).try_into().unwrap());
    let t = Ticket {
        category: Category::new("KITTY").unwrap(),
        id,
    };
    let fe = t.field_elements();
    // Category "KITTY": name bytes first, zero padding; halves little-endian.
    assert_eq!(
        fe_hex(fe[0]),
        "000000000000000000000000000000000000000000000000000000595454494b"
    );
    assert_eq!(fe_hex(fe[1]), "0".repeat(64));
    // Id: bytes 0..16 read little-endian, then bytes 16..32.
    assert_eq!(
        fe_hex(fe[2]),
        "000000000000000000000000000000000f0e0d0c0b0a09080706050403020100"
    );
    assert_eq!(
        fe_hex(fe[3]),
        "000000000000000000000000000000001f1e1d1c1b1a19181716151413121110"
    );
    // Currency word "COIN" = Solidity bytes32("COIN") = 434f494e 00…00.
    let cur = Currency::new("COIN").unwrap();
    assert_eq!(&cur.to_bytes()[..5], b"COIN\0");
    assert_eq!(
        fe_hex(cur.field_elements()[0]),
        "000000000000000000000000000000000000000000000000000000004e494f43"
    );
    // A book key: kind 04 ‖ contract ‖ currency word.
    assert_eq!(
        hex::encode(StateKey::Book(Address::from_slice(&seq(20, 1)), cur).encode()),
        "040102030405060708090a0b0c0d0e0f1011121314434f494e00000000000000000000000000000000000000000000000000000000"
    );
}

/// The state root (`docs/contracts.md` §6): the empty state, one entry, two
/// entries in either order, and the same two after an update and its undo.
#[test]
fn state_root_vectors() {
    use sero_evm::{state_root, LtHash};
    let empty = hex::encode(LtHash::default().root());
    let one = vec![(vec![0x01, 0x02, 0x03], vec![0xa0, 0xb1])];
    let two = vec![
        (vec![0x01, 0x02, 0x03], vec![0xa0, 0xb1]),
        (vec![0x09], vec![0x00; 32]),
    ];
    let r1 = hex::encode(state_root(one.clone()));
    let r2 = hex::encode(state_root(two.clone()));
    assert_eq!(
        empty,
        "5ff7d9d396a0e5b94af9fbd228f0c4a204519fd8ce0ad6ee80e913ebe88151f5"
    );
    assert_eq!(
        r1,
        "acc5b72b54f35bf3d1f37e62a1730e4f4f9d95336398f0bb2650f1048bc0de39"
    );
    assert_eq!(
        r2,
        "6f838b3b074cd579ff41c12c33f905f1392171d30989a7af6dc48c8e7856b181"
    );
    assert_eq!(
        hex::encode(state_root(two.iter().rev().cloned())),
        r2,
        "order-free"
    );
    let mut acc = LtHash::of(two.clone());
    acc.update(&[0x09], Some(&[0x00; 32]), Some(&[0x01]));
    assert_ne!(hex::encode(acc.root()), r2);
    acc.update(&[0x09], Some(&[0x01]), None);
    assert_eq!(hex::encode(acc.root()), r1);
    // The first lanes of the one-entry accumulator, little-endian u16.
    let bytes = LtHash::of(one).to_bytes();
    assert_eq!(bytes.len(), 2048);
    assert_eq!(hex::encode(&bytes[..8]), "47e6df383ebfabc6");
}

/// A spent-set entry of the state root (`docs/protocol.md` §8.4): the
/// digest and first lanes of one nullifier, the same bytes as a til (a
/// different entry), and the root of one contract entry plus both.
#[test]
fn spent_entry_vectors() {
    use sero_evm::{spent_digest, LtHash, Spent};
    let id: [u8; 32] = seq(32, 0x40).try_into().unwrap(); // 40 41 … 5f
    assert_eq!(
        hex::encode(spent_digest(Spent::Nullifier, &id)),
        "a4f4c545efb099a40d9582607f24a6839ae38ba8153c8801f491f5c79e6bbc33"
    );
    assert_eq!(
        hex::encode(spent_digest(Spent::Til, &id)),
        "0394263be3f3941b9c0a0a01f1ac4ae2eab3f0259a07018b80ab5016e8cc2177"
    );
    let mut acc = LtHash::default();
    acc.add_spent(Spent::Nullifier, &id);
    assert_eq!(hex::encode(&acc.to_bytes()[..8]), "8f30a2c1f9fe6e6d");
    acc.add(&[0x01, 0x02, 0x03], &[0xa0, 0xb1]);
    acc.add_spent(Spent::Til, &id);
    assert_eq!(
        hex::encode(acc.root()),
        "e4e326d58c8df4dce82467a6342caae062a92b6fa0b1a807e482bc9f08bea5bf"
    );
    // Order-free across kinds, and removable.
    let mut other = LtHash::default();
    other.add_spent(Spent::Til, &id);
    other.add(&[0x01, 0x02, 0x03], &[0xa0, 0xb1]);
    other.add_spent(Spent::Nullifier, &id);
    assert_eq!(other, acc);
    other.remove_spent(Spent::Til, &id);
    other.remove_spent(Spent::Nullifier, &id);
    assert_eq!(
        other,
        LtHash::of([(vec![0x01, 0x02, 0x03], vec![0xa0, 0xb1])])
    );
}
