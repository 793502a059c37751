//! Proof of possession of a validator's keys, carried by the stake
//! registry's `Register` action (`docs/protocol.md` §11.1).
//!
//! Without it anyone could register someone else's vote key (squatting:
//! the owner could then never register it, and the squatter would hold a
//! seat it cannot use) or a key it does not control (a rogue key, e.g. a
//! copy of another validator's VRF key or a crafted point). With it, the
//! registrant must hold both secret keys:
//!
//! ```text
//! m        = H256("SERO_RegisterPoP"; chain_id ‖ LE16 |registrant| ‖ registrant ‖ vote_key ‖ vrf_key)
//! vote_sig = Ed25519-Sign(vote_sk, H256("SERO_RegPoPVote1"; m))            64 B, verify_strict
//! vrf_pop  = ECVRF-Prove(vrf_sk, alpha = "SERO_RegPoPVrf_1" ‖ m)           80 B (RFC 9381, ristretto255)
//! ```
//!
//! `registrant` is the transaction's signed `From` PKr (the refund
//! address, 96 bytes), so a proof cannot be lifted into another account's
//! registration, and `chain_id` (the genesis hash) keeps it to one
//! network. Each key proves over its own domain tag, so neither proof can
//! stand in for the other or for a vote, proposal or sortition message.

use crate::ba::{ValidatorKeys, VotePublicKey};
use crate::credential::h256;
use crate::vrf::{self, VrfPublicKey, PROOF_LEN};
use thiserror::Error;

/// BLAKE2b personalisation of the message both proofs are over.
pub const TAG_REGISTER_POP: &[u8; 16] = b"SERO_RegisterPoP";
/// BLAKE2b personalisation of the hash the vote key signs.
pub const TAG_POP_VOTE: &[u8; 16] = b"SERO_RegPoPVote1";
/// Prefix of the VRF input the VRF key proves.
pub const TAG_POP_VRF: &[u8; 16] = b"SERO_RegPoPVrf_1";
/// Length of an encoded [`ProofOfPossession`]: `vote_sig ‖ vrf_proof`.
pub const POP_LEN: usize = 64 + PROOF_LEN;

/// The two proofs of a registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProofOfPossession {
    /// Ed25519 signature by the vote key.
    pub vote_sig: [u8; 64],
    /// ECVRF proof by the VRF key.
    pub vrf_proof: [u8; PROOF_LEN],
}

/// Why a proof of possession is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PopError {
    /// The vote key is not a canonical ed25519 point, or is weak.
    #[error("vote key is not canonical or has small order")]
    BadVoteKey,
    /// The VRF key is not a canonical ristretto255 point.
    #[error("VRF key is not a valid ristretto255 point")]
    BadVrfKey,
    /// The vote key's signature does not verify for this registration.
    #[error("vote key proof of possession does not verify")]
    BadVoteSignature,
    /// The VRF proof is malformed or does not verify for this registration.
    #[error("VRF key proof of possession does not verify")]
    BadVrfProof,
}

impl ProofOfPossession {
    /// `vote_sig ‖ vrf_proof` ([`POP_LEN`] bytes).
    pub fn to_bytes(&self) -> [u8; POP_LEN] {
        let mut b = [0u8; POP_LEN];
        b[..64].copy_from_slice(&self.vote_sig);
        b[64..].copy_from_slice(&self.vrf_proof);
        b
    }

    /// The inverse of [`ProofOfPossession::to_bytes`].
    pub fn from_bytes(b: &[u8; POP_LEN]) -> Self {
        let mut vote_sig = [0u8; 64];
        let mut vrf_proof = [0u8; PROOF_LEN];
        vote_sig.copy_from_slice(&b[..64]);
        vrf_proof.copy_from_slice(&b[64..]);
        ProofOfPossession {
            vote_sig,
            vrf_proof,
        }
    }
}

/// The message `m` both proofs are over (see the module documentation).
///
/// # Panics
/// If `registrant` is longer than `u16::MAX` bytes (a PKr is 96).
pub fn pop_message(
    chain_id: &[u8; 32],
    registrant: &[u8],
    vote_key: &[u8; 32],
    vrf_key: &[u8; 32],
) -> [u8; 32] {
    let len = u16::try_from(registrant.len()).expect("registrant fits a u16 length");
    h256(
        TAG_REGISTER_POP,
        &[chain_id, &len.to_le_bytes(), registrant, vote_key, vrf_key],
    )
}

fn vrf_alpha(m: &[u8; 32]) -> Vec<u8> {
    let mut a = Vec::with_capacity(48);
    a.extend_from_slice(TAG_POP_VRF);
    a.extend_from_slice(m);
    a
}

impl ValidatorKeys {
    /// Proves possession of both keys for a registration by `registrant`
    /// on the network `chain_id`.
    pub fn prove_possession(&self, chain_id: &[u8; 32], registrant: &[u8]) -> ProofOfPossession {
        let m = pop_message(
            chain_id,
            registrant,
            &self.vote_public().to_bytes(),
            &self.vrf_public().to_bytes(),
        );
        let vote_sig = self.vote.sign(&h256(TAG_POP_VOTE, &[&m]));
        let (_, vrf_proof) = vrf::prove(&self.vrf, &vrf_alpha(&m));
        ProofOfPossession {
            vote_sig,
            vrf_proof,
        }
    }
}

/// Checks a registration's proof of possession: both keys decode (the
/// vote key canonical and not weak), the vote key signed and the VRF key
/// proved this registration's message.
pub fn verify_possession(
    chain_id: &[u8; 32],
    registrant: &[u8],
    vote_key: &[u8; 32],
    vrf_key: &[u8; 32],
    pop: &ProofOfPossession,
) -> Result<(), PopError> {
    let vk = VotePublicKey::from_bytes(vote_key).map_err(|_| PopError::BadVoteKey)?;
    let rk = VrfPublicKey::from_bytes(vrf_key).map_err(|_| PopError::BadVrfKey)?;
    let m = pop_message(chain_id, registrant, vote_key, vrf_key);
    if !vk.verify(&h256(TAG_POP_VOTE, &[&m]), &pop.vote_sig) {
        return Err(PopError::BadVoteSignature);
    }
    vrf::verify(&rk, &vrf_alpha(&m), &pop.vrf_proof).map_err(|_| PopError::BadVrfProof)?;
    Ok(())
}

/// Known answers for `test-vectors/register_pop.json`: fixed validator
/// seeds, chain ids and registrants; each with the keys, the message, the
/// proofs and the 144-byte encoding, plus refused variants with the error
/// each must give.
pub fn vectors() -> serde_json::Value {
    use serde_json::json;
    let cases: [([u8; 32], [u8; 32], Vec<u8>); 3] = [
        ([1; 32], [0xc4; 32], vec![0x5a; 96]),
        ([2; 32], [0; 32], (0..96u8).collect()),
        ([0xfe; 32], [0xff; 32], vec![]),
    ];
    let valid: Vec<_> = cases
        .iter()
        .map(|(seed, chain, who)| {
            let k = ValidatorKeys::from_seed(seed);
            let (v, r) = (k.vote_public().to_bytes(), k.vrf_public().to_bytes());
            let pop = k.prove_possession(chain, who);
            json!({
                "validator_seed": hex::encode(seed),
                "chain_id": hex::encode(chain),
                "registrant": hex::encode(who),
                "vote_key": hex::encode(v),
                "vrf_key": hex::encode(r),
                "message": hex::encode(pop_message(chain, who, &v, &r)),
                "vote_sig": hex::encode(pop.vote_sig),
                "vrf_proof": hex::encode(pop.vrf_proof),
                "pop": hex::encode(pop.to_bytes()),
            })
        })
        .collect();
    let (seed, chain, who) = &cases[0];
    let k = ValidatorKeys::from_seed(seed);
    let other = ValidatorKeys::from_seed(&[2; 32]);
    let (v, r) = (k.vote_public().to_bytes(), k.vrf_public().to_bytes());
    let pop = k.prove_possession(chain, who);
    let mut swapped = pop;
    swapped.vrf_proof[..64].copy_from_slice(&pop.vote_sig);
    let mut weak = [0u8; 32];
    weak[0] = 1;
    let bad = |name: &str, chain: &[u8; 32], v: [u8; 32], r: [u8; 32], p: ProofOfPossession| {
        let err = verify_possession(chain, who, &v, &r, &p).expect_err("refused");
        json!({
            "case": name,
            "chain_id": hex::encode(chain),
            "registrant": hex::encode(who),
            "vote_key": hex::encode(v),
            "vrf_key": hex::encode(r),
            "pop": hex::encode(p.to_bytes()),
            "error": err.to_string(),
        })
    };
    let invalid = vec![
        bad(
            "missing (zero bytes)",
            chain,
            v,
            r,
            ProofOfPossession::from_bytes(&[0; POP_LEN]),
        ),
        bad("another chain id", &[0xc5; 32], v, r, pop),
        bad(
            "squatted vote key",
            chain,
            other.vote_public().to_bytes(),
            r,
            pop,
        ),
        bad(
            "copied VRF key",
            chain,
            v,
            other.vrf_public().to_bytes(),
            pop,
        ),
        bad("keys swapped", chain, r, v, pop),
        bad("vote signature in the VRF proof slot", chain, v, r, swapped),
        bad("weak vote key", chain, weak, r, pop),
    ];
    json!({
        "description": "Proof of possession of a validator's vote key (ed25519) and VRF key (ECVRF ristretto255) in a stake Register action (docs/protocol.md §11.1). Keys from ValidatorKeys::from_seed(validator_seed). message = H256(\"SERO_RegisterPoP\"; chain_id || LE16 len(registrant) || registrant || vote_key || vrf_key); vote_sig = Ed25519(vote_sk, H256(\"SERO_RegPoPVote1\"; message)); vrf_proof = ECVRF_prove(vrf_sk, \"SERO_RegPoPVrf_1\" || message); pop = vote_sig || vrf_proof (144 B). H256 = BLAKE2b-256 with the 16-byte personalisation.",
        "valid": valid,
        "invalid": invalid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAIN: [u8; 32] = [0xc1; 32];
    const WHO: [u8; 96] = [0x5a; 96];

    fn keys(i: u8) -> ValidatorKeys {
        ValidatorKeys::from_seed(&[i; 32])
    }

    fn publics(k: &ValidatorKeys) -> ([u8; 32], [u8; 32]) {
        (k.vote_public().to_bytes(), k.vrf_public().to_bytes())
    }

    #[test]
    fn honest_proof_verifies_and_round_trips() {
        let k = keys(1);
        let (v, r) = publics(&k);
        let pop = k.prove_possession(&CHAIN, &WHO);
        assert_eq!(verify_possession(&CHAIN, &WHO, &v, &r, &pop), Ok(()));
        assert_eq!(ProofOfPossession::from_bytes(&pop.to_bytes()), pop);
        // Deterministic.
        assert_eq!(k.prove_possession(&CHAIN, &WHO), pop);
    }

    #[test]
    fn one_rejection_per_way_to_cheat() {
        let (a, b) = (keys(1), keys(2));
        let (va, ra) = publics(&a);
        let (vb, rb) = publics(&b);
        let pop = a.prove_possession(&CHAIN, &WHO);
        // Missing (all zero).
        let zero = ProofOfPossession {
            vote_sig: [0; 64],
            vrf_proof: [0; PROOF_LEN],
        };
        assert!(verify_possession(&CHAIN, &WHO, &va, &ra, &zero).is_err());
        // Another network, another registrant.
        assert_eq!(
            verify_possession(&[0xc2; 32], &WHO, &va, &ra, &pop),
            Err(PopError::BadVoteSignature)
        );
        assert_eq!(
            verify_possession(&CHAIN, &[0x5b; 96], &va, &ra, &pop),
            Err(PopError::BadVoteSignature)
        );
        // Squatting someone's vote key with one's own VRF key and proofs.
        let pb = b.prove_possession(&CHAIN, &WHO);
        assert_eq!(
            verify_possession(&CHAIN, &WHO, &va, &rb, &pb),
            Err(PopError::BadVoteSignature)
        );
        // Copying someone's VRF key: the vote key is one's own, the VRF
        // proof cannot be made.
        let mut mixed = b.prove_possession(&CHAIN, &WHO);
        mixed.vote_sig = {
            let m = pop_message(&CHAIN, &WHO, &vb, &ra);
            b.vote.sign(&h256(TAG_POP_VOTE, &[&m]))
        };
        assert_eq!(
            verify_possession(&CHAIN, &WHO, &vb, &ra, &mixed),
            Err(PopError::BadVrfProof)
        );
        // Swapped keys (vote and VRF fields exchanged).
        assert!(verify_possession(&CHAIN, &WHO, &ra, &va, &pop).is_err());
        // A proof by the VRF key placed where the vote signature goes, and
        // the vote signature reused as a VRF proof.
        let mut swapped = pop;
        swapped.vote_sig.copy_from_slice(&pop.vrf_proof[..64]);
        assert_eq!(
            verify_possession(&CHAIN, &WHO, &va, &ra, &swapped),
            Err(PopError::BadVoteSignature)
        );
        let mut swapped = pop;
        swapped.vrf_proof[..64].copy_from_slice(&pop.vote_sig);
        assert_eq!(
            verify_possession(&CHAIN, &WHO, &va, &ra, &swapped),
            Err(PopError::BadVrfProof)
        );
        // Proofs of two registrations exchanged.
        let mut crossed = pop;
        crossed.vrf_proof = pb.vrf_proof;
        assert_eq!(
            verify_possession(&CHAIN, &WHO, &va, &ra, &crossed),
            Err(PopError::BadVrfProof)
        );
        // Rogue keys: a weak (small-order) vote key, an invalid VRF point.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            verify_possession(&CHAIN, &WHO, &identity, &ra, &pop),
            Err(PopError::BadVoteKey)
        );
        assert_eq!(
            verify_possession(&CHAIN, &WHO, &va, &[0xff; 32], &pop),
            Err(PopError::BadVrfKey)
        );
        // A flipped bit anywhere in either proof.
        for i in 0..POP_LEN {
            let mut bytes = pop.to_bytes();
            bytes[i] ^= 1;
            let bad = ProofOfPossession::from_bytes(&bytes);
            assert!(
                verify_possession(&CHAIN, &WHO, &va, &ra, &bad).is_err(),
                "byte {i}"
            );
        }
    }

    #[test]
    fn tags_differ_from_every_other_tag() {
        let ours = [TAG_REGISTER_POP, TAG_POP_VOTE, TAG_POP_VRF];
        let others = [
            crate::credential::TAG_SEED,
            crate::credential::TAG_PRIORITY,
            crate::credential::ALPHA_SORTITION,
            crate::credential::ALPHA_SEED,
            crate::vrf::TAG_KEY_DERIVE,
            crate::ba::TAG_VALIDATOR_KEYS,
            crate::ba::TAG_PROPOSAL_SIG,
            crate::ba::TAG_VOTE_SIG,
            crate::ba::TAG_COIN,
        ];
        for (i, a) in ours.iter().enumerate() {
            for b in ours[i + 1..].iter().chain(others.iter()) {
                assert_ne!(&a[..], &b[..]);
            }
        }
    }
}
