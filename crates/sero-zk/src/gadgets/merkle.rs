//! Witness-tree membership in R1CS, mirroring `sero_tree`.

use super::poseidon::poseidon_tagged_var;
use super::FrVar;
use ark_r1cs_std::{alloc::AllocVar, boolean::Boolean};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use sero_crypto::poseidon::tags;
use sero_crypto::Base;
use sero_tree::DEPTH;

/// Recomputes the root from a leaf, the position bits (little-endian, bit i
/// set = the node is a right child at level i) and witnessed siblings.
/// Cost per level: one 2-input Poseidon plus one constraint for the swap.
pub fn root_var(
    cs: ConstraintSystemRef<Base>,
    leaf: &FrVar,
    position_bits: &[Boolean<Base>],
    siblings: impl FnOnce() -> Vec<Base>,
) -> Result<FrVar, SynthesisError> {
    assert_eq!(position_bits.len(), DEPTH);
    let sibs = if cs.is_in_setup_mode() {
        vec![Base::from(0u64); DEPTH]
    } else {
        siblings()
    };
    let mut cur = leaf.clone();
    for (bit, sib) in position_bits.iter().zip(sibs) {
        let sib = FrVar::new_witness(cs.clone(), || Ok(sib))?;
        // left = bit ? sib : cur ; right = cur + sib − left
        let left = bit.select(&sib, &cur)?;
        let right = &cur + &sib - &left;
        cur = poseidon_tagged_var(tags::NODE, &[left, right])?;
    }
    Ok(cur)
}
