//! Recognising one's own outputs at scanning speed.

use crate::account::{OneTimeAddress, TraceKey};
use rayon::prelude::*;
use sero_crypto::curve::{decode_point_on_curve, encode_point};
use sero_crypto::scan::FixedScalar;

/// A trace key prepared for scanning many PKr: the `vsk` NAF is computed
/// once and the checks run in parallel.
#[derive(Clone, Debug)]
pub struct Scanner {
    vsk: FixedScalar,
}

impl Scanner {
    pub fn new(tk: &TraceKey) -> Self {
        Scanner {
            vsk: FixedScalar::new(&tk.vsk()),
        }
    }

    /// `VPKr == vsk·ZPKr` for a decoded PKr.
    pub fn is_mine(&self, pkr: &OneTimeAddress) -> bool {
        self.vsk.mul_eq(&pkr.zpkr, &pkr.vpkr)
    }

    /// Recognition straight from the 96 encoded bytes of a PKr taken from
    /// the chain (already validated by consensus, so the subgroup checks are
    /// skipped; only ZPKr is decompressed). Malformed bytes are "not mine".
    pub fn is_mine_bytes(&self, pkr: &[u8; 96]) -> bool {
        let Ok(zpkr) = decode_point_on_curve(&pkr[..32]) else {
            return false;
        };
        let prod = self.vsk.mul(&zpkr);
        // Compare encodings: one inversion instead of a second square root.
        use ark_ec::CurveGroup;
        encode_point(&prod.into_affine()) == pkr[32..64]
    }

    /// Recognises a batch of decoded PKr in parallel.
    pub fn scan(&self, pkrs: &[OneTimeAddress]) -> Vec<bool> {
        pkrs.par_iter().map(|p| self.is_mine(p)).collect()
    }

    /// Recognises a batch of encoded PKr in parallel.
    pub fn scan_bytes(&self, pkrs: &[[u8; 96]]) -> Vec<bool> {
        pkrs.par_iter().map(|p| self.is_mine_bytes(p)).collect()
    }
}
