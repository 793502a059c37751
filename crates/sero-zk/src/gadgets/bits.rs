//! Witnessing integers and scalars as bits, with canonical-range checks.

use super::FrVar;
use ark_ff::{BigInteger, PrimeField};
use ark_r1cs_std::{alloc::AllocVar, boolean::Boolean};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use sero_crypto::{Base, Scalar};

/// Number of bits of the subgroup order ℓ.
pub const SCALAR_BITS: usize = 251;

/// Witnesses the `n` low bits of `value` (little-endian).
pub fn witness_bits(
    cs: ConstraintSystemRef<Base>,
    bits: impl FnOnce() -> Vec<bool>,
    n: usize,
) -> Result<Vec<Boolean<Base>>, SynthesisError> {
    let values = if cs.is_in_setup_mode() {
        vec![false; n]
    } else {
        let mut v = bits();
        v.resize(n, false);
        v
    };
    values
        .into_iter()
        .map(|b| Boolean::new_witness(cs.clone(), || Ok(b)))
        .collect()
}

/// The little-endian bits of a scalar (251 of them).
pub fn scalar_bits(s: &Scalar) -> Vec<bool> {
    let mut bits = s.into_bigint().to_bits_le();
    bits.truncate(SCALAR_BITS);
    bits
}

/// Witnesses a scalar's 251 bits **and enforces that they encode an integer
/// below ℓ**, so that a key has exactly one in-circuit representation
/// (otherwise `zsk` and `zsk + ℓ` would open the same point but give two
/// nullifiers). Returns the bits and their value as a field element.
pub fn witness_canonical_scalar(
    cs: ConstraintSystemRef<Base>,
    bits: impl FnOnce() -> Vec<bool>,
) -> Result<(Vec<Boolean<Base>>, FrVar), SynthesisError> {
    let bits = witness_bits(cs, bits, SCALAR_BITS)?;
    let mut l_minus_one = Scalar::MODULUS;
    l_minus_one.sub_with_borrow(&1u64.into());
    Boolean::enforce_smaller_or_equal_than_le(&bits, l_minus_one)?;
    let fe = Boolean::le_bits_to_fp(&bits)?;
    Ok((bits, fe))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_r1cs_std::GR1CSVar;
    use ark_relations::gr1cs::ConstraintSystem;

    #[test]
    fn canonical_scalar_range() {
        let ok = -Scalar::from(1u64); // ℓ − 1
        let cs = ConstraintSystem::<Base>::new_ref();
        let (_, fe) = witness_canonical_scalar(cs.clone(), || scalar_bits(&ok)).unwrap();
        assert!(cs.is_satisfied().unwrap());
        assert_eq!(fe.value().unwrap(), crate::note::scalar_to_base(&ok));
        // ℓ itself (the bits of ℓ) and ℓ + 5 are refused.
        for extra in [0u64, 5] {
            let mut big = Scalar::MODULUS;
            big.add_with_carry(&extra.into());
            let bits: Vec<bool> = big.to_bits_le().into_iter().take(SCALAR_BITS).collect();
            let cs = ConstraintSystem::<Base>::new_ref();
            let _ = witness_canonical_scalar(cs.clone(), || bits).unwrap();
            assert!(!cs.is_satisfied().unwrap(), "ℓ + {extra} accepted");
        }
    }
}
