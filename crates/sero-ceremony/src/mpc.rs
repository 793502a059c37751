//! snarkjs's phase 2 contribution scheme, bit for bit, so that `snarkjs
//! zkey verify` checks our contributions and we check snarkjs's:
//!
//! * the **circuit hash** `csHash` (BLAKE2b-512 over the initial key, see
//!   [`cs_hash`]) opens the transcript;
//! * a contribution of secret `x` publishes `g1_s` (any point), `g1_sx =
//!   x·g1_s`, `transcript = BLAKE2b-512(csHash ‖ pubkey₁ ‖ … ‖ pubkeyₖ ‖
//!   U(g1_s) ‖ U(g1_sx))` (`pubkeyᵢ = U(δᵢ·G1) ‖ U(g1_s) ‖ U(g1_sx) ‖
//!   U(g2_spx) ‖ transcriptᵢ`, `U` the big-endian uncompressed encoding)
//!   and `g2_spx = x·g2_sp` with `g2_sp` [`hash_to_g2`]`(transcript)`;
//! * a beacon's secret and `g1_s` come from [`beacon_rng`] (SHA-256
//!   iterated `2^e` times) through ffjavascript's ChaCha20 ([`FfjsRng`]).
//!
//! ffjavascript draws field elements as raw Montgomery limbs
//! ([`fq_from_rng`]) and points by try-and-increment with a sign bit
//! ([`g1_from_rng`], [`g2_from_rng`]); the ports below follow its source
//! (`chacha.js`, `wasm_field1.js`, `wasm_curve.js`) and wasmcurves'
//! (`_isNegative`, `_LEMtoU`).

use crate::{Fr, G1A, G2A};
use ark_bn254::{Fq, Fq2};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{BigInteger, BigInteger256, Field, PrimeField, Zero};
use ark_groth16::ProvingKey;
use sha2::Digest;

/// ffjavascript's ChaCha20 generator: the 8 seed words are the key, words
/// 12–15 a 128-bit block counter from 0, no nonce; `next_u64` is the first
/// word times 2³² plus the second.
pub struct FfjsRng {
    state: [u32; 16],
    buf: [u32; 16],
    idx: usize,
}

fn quarter(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(12);
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(7);
}

impl FfjsRng {
    pub fn new(seed: [u32; 8]) -> Self {
        let mut state = [0u32; 16];
        state[..4].copy_from_slice(&[0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]);
        state[4..12].copy_from_slice(&seed);
        FfjsRng {
            state,
            buf: [0; 16],
            idx: 16,
        }
    }

    /// Seeded with the first 32 bytes of `h` as big-endian words (how
    /// snarkjs seeds it from a hash).
    pub fn from_hash(h: &[u8]) -> Self {
        Self::new(std::array::from_fn(|i| {
            u32::from_be_bytes(h[4 * i..4 * i + 4].try_into().expect("4"))
        }))
    }

    fn update(&mut self) {
        let mut b = self.state;
        for _ in 0..10 {
            quarter(&mut b, 0, 4, 8, 12);
            quarter(&mut b, 1, 5, 9, 13);
            quarter(&mut b, 2, 6, 10, 14);
            quarter(&mut b, 3, 7, 11, 15);
            quarter(&mut b, 0, 5, 10, 15);
            quarter(&mut b, 1, 6, 11, 12);
            quarter(&mut b, 2, 7, 8, 13);
            quarter(&mut b, 3, 4, 9, 14);
        }
        for (o, s) in b.iter_mut().zip(self.state.iter()) {
            *o = o.wrapping_add(*s);
        }
        self.buf = b;
        self.idx = 0;
        for w in 12..16 {
            self.state[w] = self.state[w].wrapping_add(1);
            if self.state[w] != 0 {
                break;
            }
        }
    }

    pub fn next_u32(&mut self) -> u32 {
        if self.idx == 16 {
            self.update();
        }
        let v = self.buf[self.idx];
        self.idx += 1;
        v
    }

    pub fn next_u64(&mut self) -> u64 {
        let hi = self.next_u32() as u64;
        let lo = self.next_u32() as u64;
        (hi << 32) | lo
    }

    pub fn next_bool(&mut self) -> bool {
        self.next_u32() & 1 == 1
    }
}

/// Four `next_u64` as little-endian limbs, masked to 254 bits, retried
/// while not below the modulus — and then taken as the *Montgomery* form
/// (ffjavascript's wasm fields store Montgomery limbs and draw them raw).
fn limbs_from_rng(rng: &mut FfjsRng, modulus: &BigInteger256) -> BigInteger256 {
    loop {
        let mut l: [u64; 4] = std::array::from_fn(|_| rng.next_u64());
        l[3] &= (1u64 << 62) - 1; // both BN254 moduli have 254 bits
        let v = BigInteger256::new(l);
        if v < *modulus {
            return v;
        }
    }
}

pub fn fq_from_rng(rng: &mut FfjsRng) -> Fq {
    Fq::new_unchecked(limbs_from_rng(rng, &Fq::MODULUS))
}

pub fn fr_from_rng(rng: &mut FfjsRng) -> Fr {
    Fr::new_unchecked(limbs_from_rng(rng, &Fr::MODULUS))
}

/// wasmcurves' `_isNegative` in Fq: the standard value is above (p−1)/2.
fn fq_negative(x: &Fq) -> bool {
    x.into_bigint() > Fq::MODULUS_MINUS_ONE_DIV_TWO
}

/// In Fq2: the sign of `c1`, or of `c0` when `c1` is zero.
fn fq2_negative(x: &Fq2) -> bool {
    if x.c1.is_zero() {
        fq_negative(&x.c0)
    } else {
        fq_negative(&x.c1)
    }
}

/// ffjavascript's `G1.fromRng` (no cofactor on BN254's G1).
pub fn g1_from_rng(rng: &mut FfjsRng) -> G1A {
    let b = <ark_bn254::g1::Config as ark_ec::short_weierstrass::SWCurveConfig>::COEFF_B;
    loop {
        let x = fq_from_rng(rng);
        let greatest = rng.next_bool();
        let x3b = x.square() * x + b;
        if let Some(mut y) = x3b.sqrt() {
            if greatest ^ fq_negative(&y) {
                y = -y;
            }
            return G1A::new_unchecked(x, y);
        }
    }
}

/// BN254's G2 cofactor as ffjavascript multiplies by it.
const G2_COFACTOR: [u64; 4] = [
    0x345f2299c0f9fa8d,
    0x06ceecda572a2489,
    0xb85045b68181585e,
    0x30644e72e131a029,
];

/// ffjavascript's `G2.fromRng`: a point of the twist, times the cofactor.
pub fn g2_from_rng(rng: &mut FfjsRng) -> G2A {
    let b = <ark_bn254::g2::Config as ark_ec::short_weierstrass::SWCurveConfig>::COEFF_B;
    loop {
        let x = Fq2::new(fq_from_rng(rng), fq_from_rng(rng));
        let greatest = rng.next_bool();
        let x3b = x.square() * x + b;
        if let Some(mut y) = x3b.sqrt() {
            if greatest ^ fq2_negative(&y) {
                y = -y;
            }
            return G2A::new_unchecked(x, y)
                .mul_bigint(G2_COFACTOR)
                .into_affine();
        }
    }
}

/// snarkjs's `hashToG2`: a G2 point from a 64-byte transcript hash.
pub fn hash_to_g2(transcript: &[u8; 64]) -> G2A {
    g2_from_rng(&mut FfjsRng::from_hash(transcript))
}

/// snarkjs's beacon generator: `value` hashed with SHA-256 `2^e` times.
pub fn beacon_rng(value: &[u8], iterations_exp: u8) -> FfjsRng {
    let mut h = sha2::Sha256::digest(value);
    for _ in 1..(1u64 << iterations_exp) {
        h = sha2::Sha256::digest(h);
    }
    FfjsRng::from_hash(&h)
}

/// A beacon's secret and `g1_s`, as snarkjs's `zkey beacon` draws them.
pub fn beacon_secret(value: &[u8], iterations_exp: u8) -> (Fr, G1A) {
    let mut rng = beacon_rng(value, iterations_exp);
    let x = fr_from_rng(&mut rng);
    let g1_s = g1_from_rng(&mut rng);
    (x, g1_s)
}

fn fq_be(x: &Fq, out: &mut Vec<u8>) {
    out.extend_from_slice(&x.into_bigint().to_bytes_be());
}

/// ffjavascript's uncompressed G1 encoding: `x ‖ y` big-endian, the
/// identity as zeros.
pub fn g1_u(p: &G1A, out: &mut Vec<u8>) {
    match p.xy() {
        Some((x, y)) => {
            fq_be(&x, out);
            fq_be(&y, out);
        }
        None => out.extend_from_slice(&[0; 64]),
    }
}

/// The uncompressed G2 encoding: `x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0` big-endian.
pub fn g2_u(p: &G2A, out: &mut Vec<u8>) {
    match p.xy() {
        Some((x, y)) => {
            fq_be(&x.c1, out);
            fq_be(&x.c0, out);
            fq_be(&y.c1, out);
            fq_be(&y.c0, out);
        }
        None => out.extend_from_slice(&[0; 128]),
    }
}

pub fn blake2b512(parts: &[&[u8]]) -> [u8; 64] {
    let mut st = blake2b_simd::Params::new().hash_length(64).to_state();
    for p in parts {
        st.update(p);
    }
    let mut out = [0u8; 64];
    out.copy_from_slice(st.finalize().as_bytes());
    out
}

/// snarkjs's circuit hash of an initial phase 2 key (`δ = γ = 1`) made
/// from `tau_g1`, as `zkey new` computes it: α₁, β₁, β₂, γ₂, δ₁, δ₂, then
/// IC, the points `τ^(i+n)·G1 − τ^i·G1` of the `H` check, `L` (snarkjs's
/// `C`), `A`, `B₁`, `B₂`, each list after its length (big-endian `u32`).
/// The `H` list repeats snarkjs's chunking: chunks of `min(n−1, 2¹⁴)`
/// points from each multiple of 2¹⁴ below `n − 1`.
/// `None` when `tau_g1` is too short for those points.
pub fn cs_hash(init: &ProvingKey<ark_bn254::Bn254>, tau_g1: &[G1A]) -> Option<[u8; 64]> {
    let n = init.h_query.len();
    const CHUNK: usize = 1 << 14;
    if n < 2 {
        return None;
    }
    let per = (n - 1).min(CHUNK);
    let chunks = (n - 1).div_ceil(CHUNK);
    if (chunks - 1) * CHUNK + per + n > tau_g1.len() {
        return None;
    }
    let mut st = blake2b_simd::Params::new().hash_length(64).to_state();
    let mut buf = vec![];
    g1_u(&init.vk.alpha_g1, &mut buf);
    g1_u(&init.beta_g1, &mut buf);
    g2_u(&init.vk.beta_g2, &mut buf);
    g2_u(&G2A::generator(), &mut buf);
    g1_u(&G1A::generator(), &mut buf);
    g2_u(&G2A::generator(), &mut buf);
    st.update(&buf);
    let g1_list = |st: &mut blake2b_simd::State, pts: &[G1A]| {
        st.update(&(pts.len() as u32).to_be_bytes());
        let mut b = Vec::with_capacity(64 * pts.len());
        for p in pts {
            g1_u(p, &mut b);
        }
        st.update(&b);
    };
    g1_list(&mut st, &init.vk.gamma_abc_g1);
    st.update(&((n - 1) as u32).to_be_bytes());
    let mut hpts: Vec<ark_bn254::G1Projective> = vec![];
    let mut i = 0;
    while i < n - 1 {
        hpts.extend((i..i + per).map(|k| tau_g1[k + n].into_group() - tau_g1[k]));
        i += CHUNK;
    }
    let hpts: Vec<G1A> = ark_bn254::G1Projective::normalize_batch(&hpts);
    let mut b = Vec::with_capacity(64 * hpts.len());
    for p in &hpts {
        g1_u(p, &mut b);
    }
    st.update(&b);
    g1_list(&mut st, &init.l_query);
    g1_list(&mut st, &init.a_query);
    g1_list(&mut st, &init.b_g1_query);
    st.update(&(init.b_g2_query.len() as u32).to_be_bytes());
    let mut b = Vec::with_capacity(128 * init.b_g2_query.len());
    for p in &init.b_g2_query {
        g2_u(p, &mut b);
    }
    st.update(&b);
    let mut out = [0u8; 64];
    out.copy_from_slice(st.finalize().as_bytes());
    Some(out)
}

/// A contribution's public key as the snarkjs transcript hashes it.
pub fn pubkey_bytes(
    delta_after: &G1A,
    g1_s: &G1A,
    g1_sx: &G1A,
    g2_spx: &G2A,
    transcript: &[u8; 64],
) -> Vec<u8> {
    let mut b = vec![];
    g1_u(delta_after, &mut b);
    g1_u(g1_s, &mut b);
    g1_u(g1_sx, &mut b);
    g2_u(g2_spx, &mut b);
    b.extend_from_slice(transcript);
    b
}

/// The transcript hash of a contribution after `acc` (`csHash` and the
/// previous public keys).
pub fn transcript(acc: &[u8], g1_s: &G1A, g1_sx: &G1A) -> [u8; 64] {
    let mut b = vec![];
    g1_u(g1_s, &mut b);
    g1_u(g1_sx, &mut b);
    blake2b512(&[acc, &b])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chacha_zero_key_block_is_the_known_keystream() {
        // ChaCha20, all-zero key and nonce, block 0 (RFC 8439 A.1 #1).
        let mut r = FfjsRng::new([0; 8]);
        let first: Vec<u32> = (0..4).map(|_| r.next_u32()).collect();
        assert_eq!(first, [0xade0b876, 0x903df1a0, 0xe56a5d40, 0x28bd8653]);
    }

    #[test]
    fn points_from_rng_are_in_the_groups() {
        let mut r = FfjsRng::from_hash(&[7u8; 64]);
        for _ in 0..4 {
            let p = g1_from_rng(&mut r);
            assert!(p.is_on_curve());
            let q = g2_from_rng(&mut r);
            assert!(q.is_on_curve() && q.is_in_correct_subgroup_assuming_on_curve());
            assert!(!q.is_zero());
        }
    }
}
