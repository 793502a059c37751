//! Finality checkpoints (`docs/protocol.md` §18.9): every `K`-th final
//! block (`K` = the genesis's `checkpoint_interval`) is signed by the
//! validators of the previous checkpoint, so a new node can check a long
//! header chain by its hash links and one signature set per `K` blocks
//! instead of a BA★ certificate per block.
//!
//! A validator signs checkpoint `c` (`c ≡ 0 mod K`, `c > 0`) once block
//! `c` is final in its chain, iff it is in the set *after block `c − K`*
//! (the validators of round `c − K + 1`, committed by header `c − K`'s
//! `validators_hash`). It signs, with its vote key (ed25519,
//! `verify_strict`),
//!
//! ```text
//! m = BLAKE2b-256(personal "SERO_Checkpnt_v1"; LE64(c) ‖ hash_c ‖ seed_c)
//! ```
//!
//! where `hash_c` is block `c`'s hash and `seed_c` the round seed of round
//! `c` (the seed a node uses for round `c + 1`'s sortition). A
//! [`CheckpointCertificate`] gathers such signatures; it is complete when
//! its distinct signers hold **more than two thirds** of the signing set's
//! stake (`3·signed > 2·total`).
//!
//! Why one certificate per `K` blocks suffices: honest validators sign only
//! a block final in their chain, whose hash commits to every earlier header
//! (parent links) and whose seed is the chained one; with more than two
//! thirds of the signing set's stake honest — the assumption under which a
//! BA★ certificate means anything — a complete certificate names the
//! network's block and seed at height `c`. The verifier then learns the
//! next signing set from the registry, checked against header `c`'s
//! `validators_hash`. Seeds are signed, not re-derived: without the
//! intermediate seals verified, a forged chain could grind its seeds, and
//! the signature removes that freedom.
//!
//! ```text
//! vote        = 01 04 ‖ LE64 c ‖ hash_c (32) ‖ seed_c (32) ‖ voter (32) ‖ signature (64)    (170 B)
//! certificate = 01 05 ‖ LE64 c ‖ hash_c (32) ‖ seed_c (32) ‖ LE32 n ‖ n × (voter ‖ signature)
//! ```
//!
//! The `n` signers of a certificate are in strictly increasing byte order
//! of their vote keys (so one signer appears once and the encoding is
//! canonical); `1 ≤ n ≤` [`MAX_CHECKPOINT_SIGNERS`].

use crate::ba::{ValidatorSet, VotePublicKey, VoteSecretKey, WIRE_VERSION};
use blake2b_simd::Params;
use thiserror::Error;

/// BLAKE2b personalisation of the message a checkpoint signature signs.
pub const TAG_CHECKPOINT_SIG: &[u8; 16] = b"SERO_Checkpnt_v1";
/// Length of an encoded [`CheckpointVote`].
pub const CHECKPOINT_VOTE_LEN: usize = 2 + 8 + 32 + 32 + 32 + 64;
/// Most signers one certificate may name.
pub const MAX_CHECKPOINT_SIGNERS: usize = 16_384;
/// Length of a certificate's header (before the signers).
pub const CHECKPOINT_CERT_HEADER_LEN: usize = 2 + 8 + 32 + 32 + 4;
/// Length of one signer entry.
pub const CHECKPOINT_SIGNER_LEN: usize = 32 + 64;
/// The type byte of a checkpoint vote (after [`WIRE_VERSION`]); BA★
/// messages use 1–3.
pub const TYPE_CHECKPOINT_VOTE: u8 = 4;
/// The type byte of a checkpoint certificate.
pub const TYPE_CHECKPOINT_CERT: u8 = 5;

/// Why a checkpoint vote or certificate is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CheckpointError {
    /// Bytes that do not decode.
    #[error("malformed checkpoint message: {0}")]
    Malformed(&'static str),
    /// The height is not a positive multiple of the interval.
    #[error("height {0} is not a checkpoint height")]
    NotCheckpoint(u64),
    /// For another block or seed than the verifier's.
    #[error("the checkpoint names another block or seed at height {0}")]
    WrongBlock(u64),
    /// A signer outside the signing set.
    #[error("a checkpoint signer is not in the signing set")]
    UnknownSigner,
    /// A signature that does not verify.
    #[error("a checkpoint signature does not verify")]
    BadSignature,
    /// Signers not in strictly increasing order (a duplicate, or not
    /// canonical).
    #[error("checkpoint signers repeated or out of order")]
    SignerOrder,
    /// Valid signatures, but not more than two thirds of the stake.
    #[error("checkpoint signed by {signed} of {total} stake (more than two thirds needed)")]
    Incomplete { signed: u64, total: u64 },
}

/// `true` when `h` is a checkpoint height for the interval `k` (`k ≥ 1`).
pub fn is_checkpoint(h: u64, k: u64) -> bool {
    k > 0 && h > 0 && h.is_multiple_of(k)
}

/// The 32-byte message a checkpoint signature signs (module docs).
pub fn checkpoint_message(height: u64, block_hash: &[u8; 32], seed: &[u8; 32]) -> [u8; 32] {
    let h = Params::new()
        .hash_length(32)
        .personal(TAG_CHECKPOINT_SIG)
        .to_state()
        .update(&height.to_le_bytes())
        .update(block_hash)
        .update(seed)
        .finalize();
    let mut m = [0u8; 32];
    m.copy_from_slice(h.as_bytes());
    m
}

/// One validator's signature of a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointVote {
    pub height: u64,
    pub block_hash: [u8; 32],
    pub seed: [u8; 32],
    pub voter: VotePublicKey,
    pub signature: [u8; 64],
}

impl CheckpointVote {
    /// Signs checkpoint `height` with `key`.
    pub fn sign(key: &VoteSecretKey, height: u64, block_hash: [u8; 32], seed: [u8; 32]) -> Self {
        CheckpointVote {
            height,
            block_hash,
            seed,
            voter: key.public_key(),
            signature: key.sign(&checkpoint_message(height, &block_hash, &seed)),
        }
    }

    /// Whether the signature verifies (the signer's membership is the
    /// caller's to check).
    pub fn signature_ok(&self) -> bool {
        self.voter.verify(
            &checkpoint_message(self.height, &self.block_hash, &self.seed),
            &self.signature,
        )
    }

    /// The canonical encoding ([`CHECKPOINT_VOTE_LEN`] bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(CHECKPOINT_VOTE_LEN);
        b.extend_from_slice(&[WIRE_VERSION, TYPE_CHECKPOINT_VOTE]);
        b.extend_from_slice(&self.height.to_le_bytes());
        b.extend_from_slice(&self.block_hash);
        b.extend_from_slice(&self.seed);
        b.extend_from_slice(self.voter.as_bytes());
        b.extend_from_slice(&self.signature);
        b
    }

    /// Decodes the canonical encoding (the voter key must be canonical and
    /// not weak; the signature is not checked here).
    pub fn from_bytes(b: &[u8]) -> Result<Self, CheckpointError> {
        if b.len() != CHECKPOINT_VOTE_LEN {
            return Err(CheckpointError::Malformed("wrong length"));
        }
        let mut r = Reader(b);
        r.header(TYPE_CHECKPOINT_VOTE)?;
        let v = CheckpointVote {
            height: r.u64()?,
            block_hash: r.array()?,
            seed: r.array()?,
            voter: r.key()?,
            signature: r.array()?,
        };
        r.end()?;
        Ok(v)
    }

    /// Whether `b` looks like a checkpoint vote (version and type bytes), so
    /// a host can route it apart from BA★ votes on the same topic.
    pub fn is_checkpoint_vote(b: &[u8]) -> bool {
        b.len() >= 2 && b[0] == WIRE_VERSION && b[1] == TYPE_CHECKPOINT_VOTE
    }
}

/// The signatures gathered for one checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointCertificate {
    pub height: u64,
    pub block_hash: [u8; 32],
    pub seed: [u8; 32],
    /// Sorted by vote key, distinct.
    pub signers: Vec<(VotePublicKey, [u8; 64])>,
}

impl CheckpointCertificate {
    /// An empty certificate for the block `block_hash` with seed `seed`.
    pub fn new(height: u64, block_hash: [u8; 32], seed: [u8; 32]) -> Self {
        CheckpointCertificate {
            height,
            block_hash,
            seed,
            signers: vec![],
        }
    }

    /// Adds a vote for this checkpoint, keeping the signers sorted; `false`
    /// (nothing changes) when the vote is for another checkpoint, its
    /// signer is already present or the certificate is full. The vote's
    /// signature is the caller's to have checked.
    pub fn add(&mut self, v: &CheckpointVote) -> bool {
        if v.height != self.height
            || v.block_hash != self.block_hash
            || v.seed != self.seed
            || self.signers.len() >= MAX_CHECKPOINT_SIGNERS
        {
            return false;
        }
        match self.signers.binary_search_by(|(k, _)| k.cmp(&v.voter)) {
            Ok(_) => false,
            Err(i) => {
                self.signers.insert(i, (v.voter, v.signature));
                true
            }
        }
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(
            CHECKPOINT_CERT_HEADER_LEN + self.signers.len() * CHECKPOINT_SIGNER_LEN,
        );
        b.extend_from_slice(&[WIRE_VERSION, TYPE_CHECKPOINT_CERT]);
        b.extend_from_slice(&self.height.to_le_bytes());
        b.extend_from_slice(&self.block_hash);
        b.extend_from_slice(&self.seed);
        b.extend_from_slice(&(self.signers.len() as u32).to_le_bytes());
        for (k, s) in &self.signers {
            b.extend_from_slice(k.as_bytes());
            b.extend_from_slice(s);
        }
        b
    }

    /// Decodes the canonical encoding: at least one signer, at most
    /// [`MAX_CHECKPOINT_SIGNERS`], in strictly increasing key order, every
    /// key canonical and not weak. Signatures are not checked here.
    pub fn from_bytes(b: &[u8]) -> Result<Self, CheckpointError> {
        if b.len() < CHECKPOINT_CERT_HEADER_LEN {
            return Err(CheckpointError::Malformed("truncated"));
        }
        let mut r = Reader(b);
        r.header(TYPE_CHECKPOINT_CERT)?;
        let height = r.u64()?;
        let block_hash = r.array()?;
        let seed = r.array()?;
        let n = u32::from_le_bytes(r.array()?) as usize;
        if n == 0 || n > MAX_CHECKPOINT_SIGNERS {
            return Err(CheckpointError::Malformed("signer count out of range"));
        }
        if b.len() != CHECKPOINT_CERT_HEADER_LEN + n * CHECKPOINT_SIGNER_LEN {
            return Err(CheckpointError::Malformed(
                "length does not match the signer count",
            ));
        }
        let mut signers: Vec<(VotePublicKey, [u8; 64])> = Vec::with_capacity(n);
        for _ in 0..n {
            let k = r.key()?;
            let s = r.array()?;
            if signers.last().is_some_and(|(p, _)| *p >= k) {
                return Err(CheckpointError::SignerOrder);
            }
            signers.push((k, s));
        }
        r.end()?;
        Ok(CheckpointCertificate {
            height,
            block_hash,
            seed,
            signers,
        })
    }

    /// Verifies the certificate as the one for block `block_hash` with
    /// seed `seed` at `height`, signed by `set` (the validators after block
    /// `height − K`): every signer in the set, signers strictly increasing,
    /// every signature valid, and more than two thirds of the
    /// set's stake. Returns the signed stake.
    pub fn verify(
        &self,
        height: u64,
        block_hash: &[u8; 32],
        seed: &[u8; 32],
        set: &ValidatorSet,
    ) -> Result<u64, CheckpointError> {
        if self.height != height || self.block_hash != *block_hash || self.seed != *seed {
            return Err(CheckpointError::WrongBlock(height));
        }
        let mut signed: u128 = 0;
        for (i, (k, _)) in self.signers.iter().enumerate() {
            if i > 0 && self.signers[i - 1].0 >= *k {
                return Err(CheckpointError::SignerOrder);
            }
            signed += set.get(k).ok_or(CheckpointError::UnknownSigner)?.stake as u128;
        }
        let m = checkpoint_message(height, block_hash, seed);
        if !each_verifies(&m, &self.signers) {
            return Err(CheckpointError::BadSignature);
        }
        let total = set.total() as u128;
        if 3 * signed <= 2 * total {
            return Err(CheckpointError::Incomplete {
                signed: signed as u64,
                total: total as u64,
            });
        }
        Ok(signed as u64)
    }
}

/// Every signature over one message, each with `verify_strict` (not an
/// ed25519 batch equation: those accept some signatures with small-order
/// components that single strict checks refuse, and a consensus rule must
/// not depend on which one a node ran).
fn each_verifies(m: &[u8; 32], signers: &[(VotePublicKey, [u8; 64])]) -> bool {
    signers.iter().all(|(k, s)| k.verify(m, s))
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], CheckpointError> {
        if self.0.len() < n {
            return Err(CheckpointError::Malformed("truncated"));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], CheckpointError> {
        Ok(self.take(N)?.try_into().expect("N bytes"))
    }
    fn u64(&mut self) -> Result<u64, CheckpointError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn key(&mut self) -> Result<VotePublicKey, CheckpointError> {
        VotePublicKey::from_bytes(&self.array()?)
            .map_err(|_| CheckpointError::Malformed("invalid vote key"))
    }
    fn header(&mut self, ty: u8) -> Result<(), CheckpointError> {
        let [v, t] = self.array()?;
        if v != WIRE_VERSION {
            return Err(CheckpointError::Malformed("unknown version"));
        }
        if t != ty {
            return Err(CheckpointError::Malformed("wrong message type"));
        }
        Ok(())
    }
    fn end(&self) -> Result<(), CheckpointError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(CheckpointError::Malformed("trailing bytes"))
        }
    }
}
