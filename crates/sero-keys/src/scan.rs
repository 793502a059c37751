//! Recognising one's own outputs at scanning speed.
//!
//! A batch scan runs in two stages. A filter works on the encoded bytes
//! only: the y-only Montgomery ladder of [`sero_crypto::ladder`] checks
//! `y(VPKr) == y(vsk·ZPKr)` for eight PKr at a time in AVX-512 IFMA lanes
//! where the CPU has them (arkworks' field arithmetic otherwise), with no
//! point decompression. It never misses a PKr of the account, and it lets
//! through the rare PKr with `VPKr == −vsk·ZPKr`; each candidate is then
//! decoded in full (canonical, in the subgroup, not the identity) and
//! checked exactly. Wallet-side only: what is recognised is unchanged.

use crate::account::{OneTimeAddress, TraceKey};
use rayon::prelude::*;
use sero_crypto::curve::{decode_point_on_curve, encode_point};
use sero_crypto::ladder::{Backend, LadderScalar};
use sero_crypto::scan::FixedScalar;

/// PKr per parallel task: a multiple of the eight SIMD lanes, small enough
/// to share the work between cores on short batches.
const CHUNK: usize = 64;

/// A trace key prepared for scanning many PKr: the `vsk` NAF and ladder
/// schedule are computed once and the checks run in parallel.
#[derive(Clone, Debug)]
pub struct Scanner {
    vsk: FixedScalar,
    ladder: LadderScalar,
}

impl Scanner {
    /// A scanner on the fastest filter backend this CPU has.
    pub fn new(tk: &TraceKey) -> Self {
        Self::with_backend(tk, Backend::detect())
    }

    /// A scanner whose filter runs on `backend` (or on
    /// [`Backend::Portable`] when the CPU lacks it): for tests and
    /// benchmarks.
    pub fn with_backend(tk: &TraceKey, backend: Backend) -> Self {
        Scanner {
            vsk: FixedScalar::new(&tk.vsk()),
            ladder: LadderScalar::with_backend(&tk.vsk(), backend),
        }
    }

    /// The filter backend in use.
    pub fn backend(&self) -> Backend {
        self.ladder.backend()
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

    /// The exact check of a filter candidate: the PKr decodes in full and
    /// `VPKr == vsk·ZPKr`.
    fn confirm(&self, pkr: &[u8]) -> bool {
        OneTimeAddress::from_bytes(pkr).is_ok_and(|p| self.is_mine(&p))
    }

    /// Recognises a batch of decoded PKr in parallel (same answers as
    /// [`is_mine`](Self::is_mine) for PKr whose ZPKr is in the prime-order
    /// subgroup, as every decoded or derived PKr's is).
    pub fn scan(&self, pkrs: &[OneTimeAddress]) -> Vec<bool> {
        pkrs.par_chunks(CHUNK)
            .flat_map_iter(|c| {
                let bytes: Vec<[u8; 64]> = c
                    .iter()
                    .map(|p| {
                        let mut b = [0u8; 64];
                        b[..32].copy_from_slice(&encode_point(&p.zpkr));
                        b[32..].copy_from_slice(&encode_point(&p.vpkr));
                        b
                    })
                    .collect();
                let cand = self.ladder.candidates(&bytes);
                c.iter()
                    .zip(cand)
                    .map(|(p, k)| k && self.is_mine(p))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Recognises a batch of encoded PKr in parallel: `true` iff the PKr
    /// decodes (canonical points in the subgroup, none the identity) and is
    /// this key's. Garbage from a lying node is "not mine" and never panics.
    pub fn scan_bytes(&self, pkrs: &[[u8; 96]]) -> Vec<bool> {
        self.scan_with(pkrs, |p| p)
    }

    /// [`scan_bytes`](Self::scan_bytes) over any items, `pkr` picking each
    /// one's 96 PKr bytes (any other length: not mine) — for scanning encoded output
    /// records before decoding them.
    pub fn scan_with<T: Sync>(&self, items: &[T], pkr: impl Fn(&T) -> &[u8] + Sync) -> Vec<bool> {
        items
            .par_chunks(CHUNK)
            .flat_map_iter(|c| {
                let bytes: Vec<&[u8]> = c.iter().map(&pkr).collect();
                let cand = self.ladder.candidates(&bytes);
                bytes
                    .iter()
                    .zip(cand)
                    .map(|(b, k)| k && b.len() == 96 && self.confirm(b))
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SecretKey, Seed};
    use rand::SeedableRng;
    use sero_crypto::curve::mul;

    fn backends() -> Vec<Backend> {
        [Backend::Portable, Backend::Ifma]
            .into_iter()
            .filter(|b| b.available())
            .collect()
    }

    #[test]
    fn batch_scan_matches_is_mine() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(21);
        let me = SecretKey::from_seed(&Seed::from_bytes([7; 32]));
        let other = SecretKey::from_seed(&Seed::from_bytes([8; 32])).payment_address();
        let tk = me.trace_key();
        let pk = me.payment_address();
        // 2·CHUNK + 11 PKr: mine at positions covering every lane and chunk
        // edge, a batch length that is not a multiple of 8.
        let n = 2 * CHUNK + 11;
        let mut pkrs = vec![];
        for i in 0..n {
            let p = if i % 3 == 0 || i % 8 == 7 || i == n - 1 {
                pk.derive_pkr(&mut rng)
            } else if i % 5 == 1 {
                // VPKr = −vsk·ZPKr: a filter hit the exact check rejects.
                let mine = pk.derive_pkr(&mut rng);
                OneTimeAddress {
                    vpkr: -mine.vpkr,
                    ..mine
                }
            } else {
                other.derive_pkr(&mut rng)
            };
            pkrs.push(p);
        }
        let bytes: Vec<[u8; 96]> = pkrs.iter().map(|p| p.to_bytes()).collect();
        let want: Vec<bool> = pkrs.iter().map(|p| tk.is_mine(p)).collect();
        assert!(want.iter().filter(|&&w| w).count() > n / 3);
        for b in backends() {
            let s = Scanner::with_backend(&tk, b);
            assert_eq!(s.backend(), b);
            assert_eq!(s.scan(&pkrs), want, "{b:?}");
            assert_eq!(s.scan_bytes(&bytes), want, "{b:?}");
            let wanted_bytes: Vec<bool> = bytes.iter().map(|p| s.is_mine_bytes(p)).collect();
            assert_eq!(wanted_bytes, want);
            assert_eq!(s.scan_bytes(&[]), Vec::<bool>::new());
        }
    }

    #[test]
    fn malformed_bytes_are_not_mine() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(22);
        let me = SecretKey::from_seed(&Seed::from_bytes([7; 32]));
        let tk = me.trace_key();
        let good = me.payment_address().derive_pkr(&mut rng).to_bytes();
        let mut cases = vec![good];
        for (i, f) in [
            |b: &mut [u8; 96]| b[31] |= 0x40,      // ZPKr bit 254
            |b: &mut [u8; 96]| b[63] |= 0x40,      // VPKr bit 254
            |b: &mut [u8; 96]| b[95] |= 0x40,      // BASEr bit 254
            |b: &mut [u8; 96]| b[..32].fill(0xff), // y ≥ p
            |b: &mut [u8; 96]| b[32..64].fill(0xff),
            |b: &mut [u8; 96]| b[0] ^= 1,  // off the curve (or not mine)
            |b: &mut [u8; 96]| b[64] ^= 1, // BASEr broken: not a PKr
            |b: &mut [u8; 96]| b[63] ^= 0x80, // VPKr's sign flipped: −vsk·ZPKr
            |b: &mut [u8; 96]| *b = [0; 96],
            |b: &mut [u8; 96]| {
                // all three the identity (y = 1)
                *b = [0; 96];
                b[0] = 1;
                b[32] = 1;
                b[64] = 1;
            },
        ]
        .iter()
        .enumerate()
        {
            let mut b = good;
            f(&mut b);
            assert_ne!(b, good, "case {i}");
            cases.push(b);
        }
        // A ZPKr outside the prime-order subgroup with VPKr = vsk·ZPKr.
        // 3G + (0, −1) = (−x, −y): on the curve, order 2ℓ.
        let t = mul(
            &sero_crypto::curve::generator(),
            &sero_crypto::Scalar::from(3u64),
        );
        let low = sero_crypto::Point::new_unchecked(-t.x, -t.y);
        assert!(!sero_crypto::curve::is_in_subgroup(&low));
        let mut b = good;
        b[..32].copy_from_slice(&encode_point(&low));
        use ark_ec::CurveGroup;
        let prod = (low * tk.vsk()).into_affine();
        b[32..64].copy_from_slice(&encode_point(&prod));
        cases.push(b);
        let mut want = vec![false; cases.len()];
        want[0] = true;
        for bk in backends() {
            let s = Scanner::with_backend(&tk, bk);
            assert_eq!(s.scan_bytes(&cases), want, "{bk:?}");
            let short: Vec<Vec<u8>> = vec![good[..95].to_vec(), vec![], good.to_vec()];
            assert_eq!(
                s.scan_with(&short, |v| v.as_slice()),
                vec![false, false, true]
            );
        }
    }
}
