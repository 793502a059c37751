//! Proofs of knowledge of a contribution's secret `x`, bound to the
//! transcript before it (the scheme of the Zcash and snarkjs ceremonies):
//! a random `s`, `g1_s = s·G1`, `g1_sx = x·g1_s`, a G2 point `g2_sp`
//! hashed from the challenge and `g1_s ‖ g1_sx` (no one knows its discrete
//! logarithm), and `g2_spx = x·g2_sp`. It verifies when
//! `e(g1_s, g2_spx) = e(g1_sx, g2_sp)`; `g2_sp, g2_spx` then also serve
//! to check that a contribution multiplied the previous state by the same
//! `x`.

use crate::codec::{Reader, Writer};
use crate::{same_ratio, CeremonyError, Fr, G1, G1A, G2A};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::PrimeField;
use rand_core::RngCore;

/// A proof of knowledge of a secret scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pok {
    pub g1_s: G1A,
    pub g1_sx: G1A,
    pub g2_spx: G2A,
}

/// Hashes to a G2 point of unknown discrete logarithm: try-and-increment on
/// the x-coordinate, then cofactor clearing.
pub fn hash_to_g2(data: &[u8]) -> G2A {
    for ctr in 0u32.. {
        let h = |p: &[u8; 16]| {
            blake2b_simd::Params::new()
                .hash_length(64)
                .personal(p)
                .to_state()
                .update(data)
                .update(&ctr.to_le_bytes())
                .finalize()
        };
        let h0 = h(b"SERO_CerHashG2_0");
        let h1 = h(b"SERO_CerHashG2_1");
        let x = ark_bn254::Fq2::new(
            ark_bn254::Fq::from_le_bytes_mod_order(h0.as_bytes()),
            ark_bn254::Fq::from_le_bytes_mod_order(h1.as_bytes()),
        );
        if let Some(p) = G2A::get_point_from_x_unchecked(x, h0.as_bytes()[0] & 1 == 1) {
            let q = p.clear_cofactor();
            if !q.is_zero() {
                return q;
            }
        }
    }
    unreachable!("a point is found long before the counter wraps")
}

impl Pok {
    /// Proves knowledge of `x` for `challenge` and a `label` naming the
    /// secret (`tau`, `alpha`, …), so that proofs cannot be swapped.
    pub fn create<R: RngCore>(x: &Fr, challenge: &[u8; 32], label: &str, rng: &mut R) -> Pok {
        let s = crate::nonzero_scalar(rng);
        let g1_s = (G1::generator() * s).into_affine();
        let g1_sx = (g1_s * x).into_affine();
        let g2_sp = g2_sp(challenge, label, &g1_s, &g1_sx);
        let g2_spx = (g2_sp * x).into_affine();
        Pok {
            g1_s,
            g1_sx,
            g2_spx,
        }
    }

    /// The G2 base of this proof if it verifies.
    pub fn verify(&self, challenge: &[u8; 32], label: &str) -> Option<G2A> {
        if self.g1_s.is_zero() || self.g1_sx.is_zero() || self.g2_spx.is_zero() {
            return None;
        }
        let sp = g2_sp(challenge, label, &self.g1_s, &self.g1_sx);
        same_ratio(self.g1_s, self.g1_sx, sp, self.g2_spx).then_some(sp)
    }

    /// Whether the proven secret is `x` (for beacons, whose secrets anyone
    /// can recompute).
    pub fn secret_is(&self, x: &Fr) -> bool {
        (self.g1_s * x).into_affine() == self.g1_sx
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.point(&self.g1_s);
        w.point(&self.g1_sx);
        w.point(&self.g2_spx);
    }

    pub(crate) fn read(r: &mut Reader, what: &str) -> Result<Pok, CeremonyError> {
        Ok(Pok {
            g1_s: r.g1(what)?,
            g1_sx: r.g1(what)?,
            g2_spx: r.g2(what)?,
        })
    }
}

fn g2_sp(challenge: &[u8; 32], label: &str, g1_s: &G1A, g1_sx: &G1A) -> G2A {
    let mut w = Writer::new();
    w.bytes(challenge);
    w.var(label.as_bytes());
    w.point(g1_s);
    w.point(g1_sx);
    hash_to_g2(&w.0)
}
