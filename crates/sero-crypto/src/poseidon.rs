//! Poseidon over BN254 `Fr` with circomlib's parameters (x^5 S-box, 8 full
//! rounds, width-dependent partial rounds), as in `light-poseidon`'s
//! `new_circom` / circomlib's `PoseidonEx`. Every SERO use puts its domain
//! tag in the capacity element (circomlib's `initialState`), which separates
//! uses at no cost in constraints. Parameters are loaded once per width and
//! shared; the permutation is re-implemented here so circuits reuse the exact
//! same constants (a test checks it against `light-poseidon`).

use crate::curve::Base;
use ark_ff::{Field, PrimeField, Zero};
use light_poseidon::PoseidonParameters;
use std::sync::OnceLock;

/// Largest number of inputs supported (circomlib width 13).
pub const MAX_INPUTS: usize = 12;

/// Poseidon domain tags: the capacity element of every SERO Poseidon use, a
/// field element made from an ASCII string (little-endian). See
/// `docs/protocol.md`.
pub mod tags {
    /// Token generators: H_TOKEN(currency_lo, currency_hi).
    pub const H2C_TOKEN: &str = "sero.h2c.token.v1";
    /// Ticket generators: H_TICKET(cat_lo, cat_hi, id_lo, id_hi).
    pub const H2C_TICKET: &str = "sero.h2c.ticket.v1";
    /// The randomness generator G_r: H_RAND(0).
    pub const H2C_RAND: &str = "sero.h2c.rand.v1";
    /// Hash of a one-time address: H_PKR(ZPKr.x, ZPKr.y, VPKr.x, VPKr.y, BASEr.x, BASEr.y).
    pub const PKR: &str = "sero.pkr.v1";
    /// Note commitment: H_NOTE(CC.x, CC.y, pkr_hash, memo_hash, rsk).
    pub const NOTE: &str = "sero.note.v1";
    /// Witness-tree leaf: H_AUTH(position, CMout).
    pub const AUTH: &str = "sero.cmauth.v1";
    /// Witness-tree inner node: H_NODE(left, right).
    pub const NODE: &str = "sero.tree.node.v1";
    /// Nullifier: H_NIL(zsk, CMauth).
    pub const NIL: &str = "sero.nil.v1";
    /// Trace tag: H_TIL(vsk, CMauth).
    pub const TIL: &str = "sero.til.v1";

    /// All tags, for the uniqueness test.
    pub const ALL: &[&str] = &[
        H2C_TOKEN, H2C_TICKET, H2C_RAND, PKR, NOTE, AUTH, NODE, NIL, TIL,
    ];
}

/// The field element of an ASCII domain tag (at most 31 bytes).
pub fn tag_element(tag: &str) -> Base {
    assert!(tag.len() <= 31, "Poseidon tag longer than 31 bytes");
    Base::from_le_bytes_mod_order(tag.as_bytes())
}

/// `H_tag(inputs)`: Poseidon with the tag's element as capacity.
pub fn hash_tagged(tag: &str, inputs: &[Base]) -> Base {
    hash_with_domain(tag_element(tag), inputs)
}

/// Cached circomlib parameters for `inputs` inputs.
pub fn parameters(inputs: usize) -> &'static PoseidonParameters<Base> {
    static CACHE: [OnceLock<PoseidonParameters<Base>>; MAX_INPUTS] =
        [const { OnceLock::new() }; MAX_INPUTS];
    assert!(
        (1..=MAX_INPUTS).contains(&inputs),
        "Poseidon supports 1..=12 inputs"
    );
    CACHE[inputs - 1].get_or_init(|| {
        light_poseidon::parameters::bn254_x5::get_poseidon_parameters::<Base>((inputs + 1) as u8)
            .expect("circomlib parameters exist for widths 2..=13")
    })
}

#[inline(always)]
fn sbox(a: Base) -> Base {
    let a2 = a.square();
    a2.square() * a
}

/// Poseidon hash of 1..=12 field elements with capacity element 0 (plain
/// circomlib `Poseidon`).
pub fn hash(inputs: &[Base]) -> Base {
    hash_with_domain(Base::zero(), inputs)
}

/// Poseidon of 1..=12 field elements with `domain` as the capacity element
/// (circomlib `PoseidonEx` with `initialState = domain`, first output).
pub fn hash_with_domain(domain: Base, inputs: &[Base]) -> Base {
    let p = parameters(inputs.len());
    let w = p.width;
    let mut state = Vec::with_capacity(w);
    state.push(domain);
    state.extend_from_slice(inputs);
    let half = p.full_rounds / 2;
    let total = p.full_rounds + p.partial_rounds;
    let mut tmp = vec![Base::zero(); w];
    for round in 0..total {
        for (i, s) in state.iter_mut().enumerate() {
            *s += p.ark[round * w + i];
        }
        if round < half || round >= half + p.partial_rounds {
            for s in state.iter_mut() {
                *s = sbox(*s);
            }
        } else {
            state[0] = sbox(state[0]);
        }
        for (i, t) in tmp.iter_mut().enumerate() {
            *t = state
                .iter()
                .zip(&p.mds[i])
                .fold(Base::zero(), |acc, (s, m)| acc + *s * m);
        }
        std::mem::swap(&mut state, &mut tmp);
    }
    state[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use light_poseidon::{Poseidon, PoseidonHasher};
    use rand::SeedableRng;

    #[test]
    fn matches_light_poseidon_for_all_widths() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        for n in 1..=MAX_INPUTS {
            let inputs: Vec<Base> = (0..n).map(|_| Base::rand(&mut rng)).collect();
            let mut lp = Poseidon::<Base>::new_circom(n).unwrap();
            assert_eq!(hash(&inputs), lp.hash(&inputs).unwrap(), "width {}", n + 1);
        }
    }

    #[test]
    fn domain_in_capacity_matches_light_poseidon() {
        let d = tag_element(tags::NODE);
        let inputs = [Base::from(5u64), Base::from(6u64)];
        let mut lp = Poseidon::<Base>::with_domain_tag_circom(2, d).unwrap();
        assert_eq!(hash_with_domain(d, &inputs), lp.hash(&inputs).unwrap());
        assert_ne!(hash_with_domain(d, &inputs), hash(&inputs));
    }

    #[test]
    fn circomlib_known_answer() {
        // circomlibjs: poseidon([1, 2]) =
        // 7853200120776062878684798364095072458815029376092732009249414926327459813530
        let h = hash(&[Base::from(1u64), Base::from(2u64)]);
        assert_eq!(
            h.to_string(),
            "7853200120776062878684798364095072458815029376092732009249414926327459813530"
        );
    }

    #[test]
    fn tags_unique() {
        let set: std::collections::HashSet<_> = tags::ALL.iter().map(|t| tag_element(t)).collect();
        assert_eq!(set.len(), tags::ALL.len());
    }
}
