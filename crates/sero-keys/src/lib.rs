//! SERO accounts (whitepaper §3.3 "Account System").
//!
//! ```text
//! seed (32 bytes, BIP-39 backup)
//!   zsk = H_zsk(seed) mod ℓ, vsk = H_vsk(seed) mod ℓ, zvsk = zsk·vsk
//!   SK  = (zsk, vsk)
//!   PK  = (ZPK, VPK) = (zsk·G, vsk·ZPK)          payment address, 64 bytes
//!   TK  = (ZPK, vsk)                              trace (viewing) key
//!   PKr = (ZPKr, VPKr, BASEr) = r·(ZPK, VPK, G)   one-time address
//! ```
//!
//! A TK recognises its PKr by `VPKr == vsk·ZPKr`; messages are sealed to a
//! PKr by ECDH (`BASEs = s·ZPKr`, `SECRET = s·VPKr = vsk·BASEs`) and
//! ChaCha20-Poly1305; the holder of SK signs for a PKr with key
//! `zvsk` on base `BASEr` (`VPKr = zvsk·BASEr`).
//!
//! This crate does no IO.

mod account;
mod encoding;
mod error;
mod scan;
mod seal;
pub mod vectors;

pub use account::{
    OneTimeAddress, PaymentAddress, PkrSignature, SecretKey, Seed, TraceKey, PKR_SIG_TAGS,
};
pub use encoding::{decode_typed, encode_typed, KeyType};
pub use error::KeyError;
pub use scan::Scanner;
pub use seal::{open, seal, seal_with, SEAL_OVERHEAD};
