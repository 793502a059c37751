//! Poseidon over BN254 `Fr` with circomlib's parameters (x^5 S-box, 8 full
//! rounds, width-dependent partial rounds), as in `light-poseidon`'s
//! `new_circom` / circomlib's `PoseidonEx`. Every SERO use puts its domain
//! tag in the capacity element (circomlib's `initialState`), which separates
//! uses at no cost in constraints. Parameters are loaded once per width and
//! shared; the permutation is re-implemented here so circuits reuse the exact
//! same constants (a test checks it against `light-poseidon`).

use crate::curve::Base;
use ark_ff::{Field, One, PrimeField, Zero};
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

/// `H_tag(inputs)`: Poseidon with the tag's element as capacity. The
/// elements of the tags in [`tags::ALL`] are computed once.
pub fn hash_tagged(tag: &str, inputs: &[Base]) -> Base {
    hash_with_domain(cached_tag_element(tag), inputs)
}

/// [`tag_element`], from a table for the tags of [`tags::ALL`].
fn cached_tag_element(tag: &str) -> Base {
    static ELEMENTS: OnceLock<Vec<Base>> = OnceLock::new();
    match tags::ALL.iter().position(|t| *t == tag) {
        Some(i) => ELEMENTS.get_or_init(|| tags::ALL.iter().map(|t| tag_element(t)).collect())[i],
        None => tag_element(tag),
    }
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
///
/// Computed with the optimised partial rounds of the Poseidon paper
/// (Grassi et al., appendix B, as circomlib's `poseidon_opt`), see
/// `Optimized` in the source. The output is bit-identical to the textbook permutation
/// ([`reference::hash_with_domain`], checked by the tests).
pub fn hash_with_domain(domain: Base, inputs: &[Base]) -> Base {
    match inputs.len() {
        1 => permute::<2>(domain, inputs),
        2 => permute::<3>(domain, inputs),
        3 => permute::<4>(domain, inputs),
        4 => permute::<5>(domain, inputs),
        5 => permute::<6>(domain, inputs),
        6 => permute::<7>(domain, inputs),
        7 => permute::<8>(domain, inputs),
        8 => permute::<9>(domain, inputs),
        9 => permute::<10>(domain, inputs),
        10 => permute::<11>(domain, inputs),
        11 => permute::<12>(domain, inputs),
        12 => permute::<13>(domain, inputs),
        _ => panic!("Poseidon supports 1..=12 inputs"),
    }
}

/// The permutation's constants rearranged for the optimised partial rounds,
/// derived once per width from circomlib's plain constants
/// ([`parameters`]); `t` is the width, `R_P` the number of partial rounds,
/// `M` the MDS matrix.
///
/// * Round constants: in a partial round only element 0 goes through the
///   S-box, so the other elements of its round constant pass through it
///   unchanged and can be added after the matrix instead (`M c'`), that is
///   folded into the next round's constant. Each partial round then adds one
///   constant (to element 0); what is left after the last one joins the
///   constant of the first full round of the second half.
/// * Matrices: write `M·A = [[a, bᵀ], [c, D]]` (`A` the block still to apply,
///   initially the identity). Then `M·A = diag(1, D) · [[a, bᵀ], [D⁻¹c, I]]`,
///   and `diag(1, D)` commutes with the next partial round's S-box and
///   constant (it leaves element 0 alone), so each partial round applies the
///   sparse right factor (`2t − 1` multiplications instead of `t²`) and hands
///   `A = diag(1, D)` on; the last partial round applies `M·A` densely.
struct Optimized {
    /// Rounds of each half of the full rounds (`R_F / 2`).
    half_full: usize,
    /// Round constants of the full rounds, `t` per round, first half then
    /// second half (including the constants carried out of the partial rounds).
    full_ark: Vec<Base>,
    /// The single round constant (element 0) of each partial round.
    partial_ark: Vec<Base>,
    /// MDS matrix, row-major.
    mds: Vec<Base>,
    /// Sparse factors of partial rounds `0..R_P - 1`, `2t − 1` elements each:
    /// the dense first row `[a, b…]` then the first column below it `w = D⁻¹c`.
    sparse: Vec<Base>,
    /// The dense matrix of the last partial round, row-major.
    last: Vec<Base>,
}

/// `m · a`, both `n × n` row-major.
fn mat_mul(n: usize, m: &[Base], a: &[Base]) -> Vec<Base> {
    let mut out = vec![Base::zero(); n * n];
    for i in 0..n {
        for j in 0..n {
            out[i * n + j] = (0..n).map(|k| m[i * n + k] * a[k * n + j]).sum();
        }
    }
    out
}

/// Inverse of an invertible `n × n` row-major matrix (Gauss–Jordan).
fn mat_inverse(n: usize, m: &[Base]) -> Vec<Base> {
    let mut a = m.to_vec();
    let mut inv = vec![Base::zero(); n * n];
    for i in 0..n {
        inv[i * n + i] = Base::one();
    }
    for col in 0..n {
        let pivot = (col..n)
            .find(|&r| !a[r * n + col].is_zero())
            .expect("MDS submatrices are invertible");
        for k in 0..n {
            a.swap(col * n + k, pivot * n + k);
            inv.swap(col * n + k, pivot * n + k);
        }
        let f = a[col * n + col].inverse().expect("non-zero pivot");
        for k in 0..n {
            a[col * n + k] *= f;
            inv[col * n + k] *= f;
        }
        for r in 0..n {
            if r != col && !a[r * n + col].is_zero() {
                let g = a[r * n + col];
                for k in 0..n {
                    let (x, y) = (a[col * n + k], inv[col * n + k]);
                    a[r * n + k] -= g * x;
                    inv[r * n + k] -= g * y;
                }
            }
        }
    }
    inv
}

impl Optimized {
    fn new(p: &PoseidonParameters<Base>) -> Self {
        let t = p.width;
        let half_full = p.full_rounds / 2;
        let rp = p.partial_rounds;
        assert!(rp >= 1 && p.ark.len() == (p.full_rounds + rp) * t);
        let mds: Vec<Base> = p.mds.iter().flatten().copied().collect();
        let round = |r: usize| &p.ark[r * t..(r + 1) * t];

        // Constants: carry the non-first elements of each partial round's
        // constant through the MDS matrix into the next round.
        let mut full_ark = Vec::with_capacity(p.full_rounds * t);
        for r in 0..half_full {
            full_ark.extend_from_slice(round(r));
        }
        let mut partial_ark = Vec::with_capacity(rp);
        let mut carry = vec![Base::zero(); t];
        for r in half_full..half_full + rp {
            let c: Vec<Base> = round(r).iter().zip(&carry).map(|(c, d)| *c + d).collect();
            partial_ark.push(c[0]);
            for (i, d) in carry.iter_mut().enumerate() {
                *d = (1..t).map(|j| mds[i * t + j] * c[j]).sum();
            }
        }
        for r in half_full + rp..p.full_rounds + rp {
            let c = round(r);
            if r == half_full + rp {
                full_ark.extend(c.iter().zip(&carry).map(|(c, d)| *c + d));
            } else {
                full_ark.extend_from_slice(c);
            }
        }

        // Matrices. With M = [[m00, m0ᵀ], [mc, Mr]] and A = diag(1, D_prev),
        // M·A = [[m00, m0ᵀ·D_prev], [mc, Mr·D_prev]], so D = Mr·D_prev and
        // D⁻¹ = D_prev⁻¹·Mr⁻¹.
        let n = t - 1;
        let mr: Vec<Base> = (1..t)
            .flat_map(|i| mds[i * t + 1..(i + 1) * t].to_vec())
            .collect();
        let mr_inv = mat_inverse(n, &mr);
        let mc: Vec<Base> = (1..t).map(|i| mds[i * t]).collect();
        let mut d_prev = vec![Base::zero(); n * n];
        for i in 0..n {
            d_prev[i * n + i] = Base::one();
        }
        let mut d_prev_inv = d_prev.clone();
        let first_row = |d_prev: &[Base]| -> Vec<Base> {
            let mut row = vec![mds[0]];
            row.extend(
                (0..n).map(|j| (0..n).map(|k| mds[1 + k] * d_prev[k * n + j]).sum::<Base>()),
            );
            row
        };
        let mut sparse = Vec::with_capacity((rp - 1) * (2 * t - 1));
        for _ in 0..rp - 1 {
            let d = mat_mul(n, &mr, &d_prev);
            let d_inv = mat_mul(n, &d_prev_inv, &mr_inv);
            sparse.extend(first_row(&d_prev));
            sparse.extend((0..n).map(|i| (0..n).map(|k| d_inv[i * n + k] * mc[k]).sum::<Base>()));
            d_prev = d;
            d_prev_inv = d_inv;
        }
        let mut last = first_row(&d_prev);
        let rest = mat_mul(n, &mr, &d_prev);
        for i in 0..n {
            last.push(mc[i]);
            last.extend_from_slice(&rest[i * n..(i + 1) * n]);
        }
        Optimized {
            half_full,
            full_ark,
            partial_ark,
            mds,
            sparse,
            last,
        }
    }
}

/// Cached optimised constants for `inputs` inputs.
fn optimized(inputs: usize) -> &'static Optimized {
    static CACHE: [OnceLock<Optimized>; MAX_INPUTS] = [const { OnceLock::new() }; MAX_INPUTS];
    CACHE[inputs - 1].get_or_init(|| Optimized::new(parameters(inputs)))
}

/// `Σ row[j]·s[j]` for a row of `T` elements (one Montgomery reduction per
/// three products, see `ark_ff`'s `sum_of_products`).
#[inline(always)]
fn dot<const T: usize>(row: &[Base], s: &[Base; T]) -> Base {
    let row: &[Base; T] = row.try_into().expect("row of T elements");
    Base::sum_of_products(row, s)
}

/// `m · s` for a dense row-major `T × T` matrix.
#[inline(always)]
fn mat_vec<const T: usize>(m: &[Base], s: &[Base; T]) -> [Base; T] {
    std::array::from_fn(|i| dot(&m[i * T..(i + 1) * T], s))
}

/// The permutation of width `T` (`T - 1` inputs), first output.
fn permute<const T: usize>(domain: Base, inputs: &[Base]) -> Base {
    let o = optimized(T - 1);
    let mut s = [Base::zero(); T];
    s[0] = domain;
    s[1..].copy_from_slice(inputs);
    let (first, second) = o.full_ark.split_at(o.half_full * T);

    for c in first.chunks_exact(T) {
        for (x, c) in s.iter_mut().zip(c) {
            *x = sbox(*x + c);
        }
        s = mat_vec(&o.mds, &s);
    }

    let (last_c, partial_c) = o.partial_ark.split_last().expect("partial rounds");
    for (c, m) in partial_c.iter().zip(o.sparse.chunks_exact(2 * T - 1)) {
        let s0 = sbox(s[0] + c);
        s[0] = s0;
        let (row, w) = m.split_at(T);
        let new0 = dot(row, &s);
        for (x, w) in s[1..].iter_mut().zip(w) {
            *x += *w * s0;
        }
        s[0] = new0;
    }
    s[0] = sbox(s[0] + last_c);
    s = mat_vec(&o.last, &s);

    let (second, final_c) = second.split_at(second.len() - T);
    for c in second.chunks_exact(T) {
        for (x, c) in s.iter_mut().zip(c) {
            *x = sbox(*x + c);
        }
        s = mat_vec(&o.mds, &s);
    }
    // The last round: only the first output is needed.
    for (x, c) in s.iter_mut().zip(final_c) {
        *x = sbox(*x + c);
    }
    dot(&o.mds[..T], &s)
}

/// `H_tag` of every row of `inputs` (each `N` = 1..=12 elements), as
/// [`hash_tagged`] of each: eight hashes per vector pass where the CPU has
/// AVX-512 IFMA ([`crate::ifma`]; the same optimised rounds in Montgomery
/// form, radix 2^52), one at a time otherwise.
pub fn hash_tagged_many<const N: usize>(tag: &str, inputs: &[[Base; N]]) -> Vec<Base> {
    let domain = cached_tag_element(tag);
    #[cfg(target_arch = "x86_64")]
    if let (Some(m), true) = (crate::ifma::base_modulus(), inputs.len() >= 2) {
        return lanes::hash_many(m, domain, inputs);
    }
    inputs
        .iter()
        .map(|row| hash_with_domain(domain, row))
        .collect()
}

/// The optimised permutation in IFMA lanes (see [`hash_tagged_many`]).
#[cfg(target_arch = "x86_64")]
mod lanes {
    use super::*;
    use crate::ifma::{self, load, store, Fe, Lanes, Modulus, Rows, LANES};

    /// [`Optimized`]'s constants in Montgomery form (canonical limbs).
    pub(super) struct Consts {
        full_ark: Vec<[u64; 5]>,
        partial_ark: Vec<[u64; 5]>,
        mds: Vec<[u64; 5]>,
        sparse: Vec<[u64; 5]>,
        last: Vec<[u64; 5]>,
    }

    fn consts(m: &Modulus, inputs: usize) -> &'static Consts {
        static CACHE: [OnceLock<Consts>; MAX_INPUTS] = [const { OnceLock::new() }; MAX_INPUTS];
        CACHE[inputs - 1].get_or_init(|| {
            let o = optimized(inputs);
            let conv = |v: &[Base]| v.iter().map(|x| m.mont(*x)).collect::<Vec<_>>();
            Consts {
                full_ark: conv(&o.full_ark),
                partial_ark: conv(&o.partial_ark),
                mds: conv(&o.mds),
                sparse: conv(&o.sparse),
                last: conv(&o.last),
            }
        })
    }

    pub(super) fn hash_many<const N: usize>(
        m: &Modulus,
        domain: Base,
        inputs: &[[Base; N]],
    ) -> Vec<Base> {
        assert!(ifma::available(), "IFMA lanes on this CPU");
        let half_full = optimized(N).half_full;
        let c = consts(m, N);
        let domain = ifma::limbs_of(domain);
        let mut out = Vec::with_capacity(inputs.len());
        for chunk in inputs.chunks(LANES) {
            let mut rows = vec![[[0u64; LANES]; 5]; N + 1];
            for (l, row) in chunk.iter().enumerate() {
                rows[0].iter_mut().zip(domain).for_each(|(r, d)| r[l] = d);
                for (i, x) in row.iter().enumerate() {
                    let limbs = ifma::limbs_of(*x);
                    for k in 0..5 {
                        rows[i + 1][k][l] = limbs[k];
                    }
                }
            }
            // SAFETY: the CPU has the instructions (checked above).
            let r = unsafe {
                match N + 1 {
                    2 => permute_rows::<2>(m, c, half_full, &rows),
                    3 => permute_rows::<3>(m, c, half_full, &rows),
                    4 => permute_rows::<4>(m, c, half_full, &rows),
                    5 => permute_rows::<5>(m, c, half_full, &rows),
                    6 => permute_rows::<6>(m, c, half_full, &rows),
                    7 => permute_rows::<7>(m, c, half_full, &rows),
                    8 => permute_rows::<8>(m, c, half_full, &rows),
                    9 => permute_rows::<9>(m, c, half_full, &rows),
                    10 => permute_rows::<10>(m, c, half_full, &rows),
                    11 => permute_rows::<11>(m, c, half_full, &rows),
                    12 => permute_rows::<12>(m, c, half_full, &rows),
                    13 => permute_rows::<13>(m, c, half_full, &rows),
                    _ => panic!("Poseidon supports 1..=12 inputs"),
                }
            };
            out.extend((0..chunk.len()).map(|l| {
                ifma::field_of::<Base>(ifma::canonical(core::array::from_fn(|k| r[k][l]), &m.p))
            }));
        }
        out
    }

    /// `Σ row[j]·s[j]`, below 2p (inputs below 2p).
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn dot<const T: usize>(f: &Lanes, row: &[[u64; 5]], s: &[Fe; T]) -> Fe {
        let mut acc = f.mul(&ifma::splat(&row[0]), &s[0]);
        for j in 1..T {
            acc = f.add_r(&acc, &f.mul(&ifma::splat(&row[j]), &s[j]));
        }
        acc
    }

    /// `(x + c)^5`, below 2p (x below 2p, c canonical: x + c below 3p).
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn sbox(f: &Lanes, x: &Fe, c: &[u64; 5]) -> Fe {
        let a = f.add(x, &ifma::splat(c));
        let a2 = f.sq(&a);
        f.mul(&f.sq(&a2), &a)
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn mat_vec<const T: usize>(f: &Lanes, m: &[[u64; 5]], s: &[Fe; T]) -> [Fe; T] {
        core::array::from_fn(|i| dot(f, &m[i * T..(i + 1) * T], s))
    }

    /// Eight permutations of width `T` (rows: canonical limbs of the
    /// state, domain first); the first output of each, canonical limbs
    /// below 2p. The same rounds as [`super::permute`].
    #[target_feature(enable = "avx512f,avx512ifma,avx512vl")]
    fn permute_rows<const T: usize>(
        m: &Modulus,
        c: &Consts,
        half_full: usize,
        rows: &[Rows],
    ) -> Rows {
        let f = Lanes::new(m);
        let r2 = ifma::splat(&m.r2);
        let mut s: [Fe; T] = core::array::from_fn(|i| f.mul(&load(&rows[i]), &r2));
        let (first, second) = c.full_ark.split_at(half_full * T);
        for k in first.chunks_exact(T) {
            let t: [Fe; T] = core::array::from_fn(|i| sbox(&f, &s[i], &k[i]));
            s = mat_vec(&f, &c.mds, &t);
        }
        let (last_c, partial_c) = c.partial_ark.split_last().expect("partial rounds");
        for (k, w) in partial_c.iter().zip(c.sparse.chunks_exact(2 * T - 1)) {
            let s0 = sbox(&f, &s[0], k);
            s[0] = s0;
            let (row, w) = w.split_at(T);
            let new0 = dot(&f, row, &s);
            for (x, w) in s[1..].iter_mut().zip(w) {
                *x = f.add_r(x, &f.mul(&ifma::splat(w), &s0));
            }
            s[0] = new0;
        }
        s[0] = sbox(&f, &s[0], last_c);
        s = mat_vec(&f, &c.last, &s);
        let (second, final_c) = second.split_at(second.len() - T);
        for k in second.chunks_exact(T) {
            let t: [Fe; T] = core::array::from_fn(|i| sbox(&f, &s[i], &k[i]));
            s = mat_vec(&f, &c.mds, &t);
        }
        let t: [Fe; T] = core::array::from_fn(|i| sbox(&f, &s[i], &final_c[i]));
        let out = dot(&f, &c.mds[..T], &t);
        // Out of Montgomery form: multiply by 1.
        store(&f.mul(&out, &ifma::splat(&[1, 0, 0, 0, 0])))
    }
}

/// The textbook permutation (every round adds `t` constants and multiplies
/// by the dense MDS matrix), kept as the reference the optimised one is
/// tested (and benchmarked) against.
#[doc(hidden)]
pub mod reference {
    use super::*;

    /// Same as [`super::hash_with_domain`], computed round by round.
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
    fn matches_reference_on_random_inputs() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2);
        let domains = [
            Base::zero(),
            tag_element(tags::NODE),
            tag_element(tags::AUTH),
            -Base::one(),
        ];
        for n in 1..=MAX_INPUTS {
            for i in 0..64 {
                let d = if i < domains.len() {
                    domains[i]
                } else {
                    Base::rand(&mut rng)
                };
                let inputs: Vec<Base> = (0..n)
                    .map(|j| match (i + j) % 7 {
                        0 => Base::zero(),
                        1 => -Base::one(),
                        _ => Base::rand(&mut rng),
                    })
                    .collect();
                assert_eq!(
                    hash_with_domain(d, &inputs),
                    reference::hash_with_domain(d, &inputs),
                    "width {}, case {i}",
                    n + 1
                );
            }
        }
    }

    #[test]
    fn domain_matches_light_poseidon_for_all_widths() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        for n in 1..=MAX_INPUTS {
            let d = Base::rand(&mut rng);
            let inputs: Vec<Base> = (0..n).map(|_| Base::rand(&mut rng)).collect();
            let mut lp = Poseidon::<Base>::with_domain_tag_circom(n, d).unwrap();
            assert_eq!(
                hash_with_domain(d, &inputs),
                lp.hash(&inputs).unwrap(),
                "width {}",
                n + 1
            );
        }
    }

    fn many_case<const N: usize>(r: &mut impl rand::RngCore) {
        use ark_ff::UniformRand;
        for n in [0usize, 1, 2, 7, 8, 9, 17] {
            let rows: Vec<[Base; N]> = (0..n)
                .map(|i| {
                    core::array::from_fn(|j| match (i + j) % 5 {
                        // Edge values: 0, −1, and random elements.
                        0 => Base::zero(),
                        1 => -Base::one(),
                        _ => Base::rand(r),
                    })
                })
                .collect();
            for tag in [tags::NODE, tags::PKR, "sero.test.other"] {
                let want: Vec<Base> = rows.iter().map(|x| hash_tagged(tag, x)).collect();
                assert_eq!(hash_tagged_many(tag, &rows), want, "{N} inputs, {n} rows");
            }
        }
    }

    #[test]
    fn many_at_once_equal_one_at_a_time() {
        let mut r = rand_chacha::ChaCha20Rng::seed_from_u64(11);
        many_case::<1>(&mut r);
        many_case::<2>(&mut r);
        many_case::<3>(&mut r);
        many_case::<4>(&mut r);
        many_case::<5>(&mut r);
        many_case::<6>(&mut r);
        many_case::<7>(&mut r);
        many_case::<12>(&mut r);
    }

    #[test]
    fn cached_tag_elements() {
        for t in tags::ALL.iter().chain(&["sero.not.a.tag", ""]) {
            assert_eq!(cached_tag_element(t), tag_element(t), "{t}");
        }
    }

    #[test]
    fn tags_unique() {
        let set: std::collections::HashSet<_> = tags::ALL.iter().map(|t| tag_element(t)).collect();
        assert_eq!(set.len(), tags::ALL.len());
    }
}
