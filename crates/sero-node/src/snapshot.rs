//! Joining a network from a state snapshot (`docs/protocol.md` §18.8):
//! import a snapshot that anyone may have served, then believe it only
//! after checking it against the genesis the node was given.
//!
//! [`join`] imports the stream into a temporary store ([`import`]:
//! `sero_state::StateDb::import_snapshot` checks the framing, key order,
//! lengths and checksum and hashes the tree nodes from the leaves as they
//! are written, giving their root; then one scan of the contract state and
//! spent set gives the state accumulator, recorded as the tip's), opens it
//! as a chain of the genesis's configuration, and checks:
//!
//! 1. the header chain from the genesis to the snapshot's tip
//!    ([`verify_headers`]): every header's links, stored hash, root and
//!    chained seed; then trust carried from the genesis by the finality
//!    checkpoints (`docs/protocol.md` §18.9: one certificate of the
//!    previous checkpoint's validators per `K` blocks), and where a
//!    checkpoint is missing or incomplete, header by header with the
//!    light-client verifier ([`HeaderVerifier`], the same the verifying
//!    wallet runs: each seal against the chained round seed, each BA★
//!    certificate against its round's validator set, the validator-set
//!    changes); the tip must be final;
//! 2. that the stored round seeds are the chained ones — the seeds decide
//!    every later sortition;
//! 3. [`verify_state`] against the tip header
//!    ([`Chain::verify_imported_state`]): the note root the import
//!    computed from the leaves it wrote and the leaf count, each output
//!    record against its leaf, the accumulator of the scan (state root),
//!    the active validators (validators hash). Each leaf and entry is
//!    hashed once in the whole join: the import's tree and the scan's
//!    accumulator are this process's own work on the stored records, so
//!    they are not recomputed ([`Chain::verify_state`] is the same check
//!    for a store of unknown history, hashing everything itself).
//!
//! Only then is the store moved to its place; on any failure it is deleted
//! and the node has no chain, as before. What a snapshot carries that no
//! header commits to (the transaction index, inactive registry records) is
//! listed in §18.7.

use crate::checkpoint;
use crate::genesis::Genesis;
use sero_chain::chain::{scan_state_acc, Chain, ChainError};
use sero_chain::evm::LtHash;
use sero_consensus::ba::Certificate;
use sero_consensus::checkpoint::{CheckpointCertificate, CheckpointError};
use sero_consensus::{round_seed, vrf};
use sero_crypto::curve::encode_base;
use sero_ledger::block::{validators_hash, BlockHeader, Seal};
use sero_ledger::light::{HeaderVerifier, LightState, ValidatorEntry};
use sero_state::{SnapshotInfo, StateDb};
use sero_zk::params::Parameters;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Why a snapshot was refused.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error("{0} already holds a chain; joining from a snapshot needs an empty data directory")]
    Exists(String),
    #[error("the snapshot is malformed: {0}")]
    Import(sero_state::StateError),
    #[error("the snapshot is not of this network: {0}")]
    Genesis(String),
    #[error("the snapshot's headers do not verify from the genesis: block {height}: {reason}")]
    Headers { height: u64, reason: String },
    #[error("the snapshot's tip {tip} is not final (final up to {finalized})")]
    NotFinal { tip: u64, finalized: u64 },
    #[error("the snapshot's state does not match its verified tip header: {0}")]
    State(String),
    #[error("a development chain has no certificates: it cannot be joined from a snapshot")]
    Dev,
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// What [`join`] did, with the time of each step.
#[derive(Clone, Debug)]
pub struct JoinReport {
    pub info: SnapshotInfo,
    pub import: Duration,
    pub headers: Duration,
    pub state: Duration,
    /// How the header chain was checked.
    pub header_report: HeaderReport,
}

/// How [`verify_headers`] checked the header chain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeaderReport {
    /// Headers checked by their hash links only (their parent links, stored
    /// hashes and roots).
    pub linked: u64,
    /// Finality checkpoints whose certificates carried the trust forward.
    pub checkpoints: u64,
    /// Headers verified one by one (seal and BA★ certificate): where no
    /// complete checkpoint certificate was stored, and after the last one.
    pub certified: u64,
}

/// A store [`import`] made from a snapshot, with what it computed from
/// the records it wrote: the root of the leaves ([`SnapshotInfo::note_root`])
/// and the accumulator of the contract state and spent set. Only
/// [`import`] makes one (its fields are private), so [`verify_state`]
/// compares the header with values this process computed itself.
#[derive(Debug)]
pub struct Imported {
    info: SnapshotInfo,
    state_acc: LtHash,
    import: Duration,
    scan: Duration,
}

impl Imported {
    /// What the snapshot is of, with the note root computed on import.
    pub fn info(&self) -> &SnapshotInfo {
        &self.info
    }

    /// Time of the import proper (reading, writing, the tree nodes).
    pub fn import_time(&self) -> Duration {
        self.import
    }

    /// Time of the scan of the contract state and spent set.
    pub fn scan_time(&self) -> Duration {
        self.scan
    }
}

/// Creates the store `path` (which must not exist) from the snapshot `r`
/// (`StateDb::import_snapshot`, which also hashes the tree nodes from the
/// leaves), then scans its contract state and spent set into a fresh
/// state accumulator ([`scan_state_acc`]) and records it as the tip's, so
/// that `Chain::open` reads it instead of scanning again. Nothing is
/// checked against a header yet ([`verify_state`]); on an error the store
/// is removed. `progress` gets the bytes read.
pub fn import(path: &Path, r: impl Read, progress: impl FnMut(u64)) -> Result<Imported, JoinError> {
    let t0 = Instant::now();
    let (db, info) = StateDb::import_snapshot(path, r, progress).map_err(JoinError::Import)?;
    let import = t0.elapsed();
    let t1 = Instant::now();
    let scanned = (|| {
        let acc = scan_state_acc(&db)?;
        db.put_state_acc(&info.hash, &acc.to_bytes())?;
        Ok::<_, ChainError>(acc)
    })();
    drop(db);
    match scanned {
        Ok(state_acc) => Ok(Imported {
            info,
            state_acc,
            import,
            scan: t1.elapsed(),
        }),
        Err(e) => {
            let _ = std::fs::remove_file(path);
            Err(JoinError::State(e.to_string()))
        }
    }
}

/// Step 3 of [`join`] (module docs): `chain`, opened on the store
/// `imported` made, against its tip header, with
/// [`Chain::verify_imported_state`] and what the import computed.
pub fn verify_state(chain: &Chain, imported: &Imported) -> Result<(), JoinError> {
    if chain.tip() != (imported.info.height, imported.info.hash) {
        return Err(JoinError::State(
            "the chain is not the store this import made".into(),
        ));
    }
    chain
        .verify_imported_state(&imported.info.note_root, &imported.state_acc)
        .map_err(|e| JoinError::State(e.to_string()))
}

/// Checks the header chain of `chain` from `genesis` to its tip (module
/// docs, steps 1 and 2). `progress` gets each verified height.
///
/// 1. **Links**, every header: its height, its parent hash (the previous
///    header's hash), its time not before its parent's, and the stored
///    block hash and note root are the header's.
/// 2. **Trust**, from the genesis, one checkpoint interval `K` at a time:
///    from a trusted header `c` (a multiple of `K`) whose validators (the
///    registry's set after `c`) hash to its `validators_hash`, a stored
///    certificate for `c + K` signed by more than two thirds of that set
///    makes header `c + K` and its stored seed trusted (§18.9); otherwise
///    (no certificate, or not enough signatures yet) every header up to
///    `c + K` is verified with its seal and BA★ certificate by the light
///    client's [`HeaderVerifier`], as a wallet would. A certificate with a
///    bad signature or an outside signer is refused outright.
/// 3. The tip must be final: reached by a checkpoint, or a Final
///    certificate at or above it.
pub fn verify_headers(
    chain: &Chain,
    genesis: &Genesis,
    mut progress: impl FnMut(u64),
) -> Result<HeaderReport, JoinError> {
    if genesis.validators.is_empty() {
        return Err(JoinError::Dev);
    }
    let bad = |height: u64, reason: String| JoinError::Headers { height, reason };
    let ce = |height: u64| move |e: ChainError| bad(height, e.to_string());
    let g = genesis
        .block()
        .map_err(|e| JoinError::Genesis(e.to_string()))?;
    let stored = chain.header(0).map_err(ce(0))?;
    if stored.as_ref() != Some(&g.block.header) {
        return Err(JoinError::Genesis(
            "its genesis header is not this genesis's".into(),
        ));
    }
    let db = chain.db();
    let header_at = |h: u64| {
        chain
            .header(h)
            .map_err(ce(h))?
            .ok_or_else(|| bad(h, "header missing".into()))
    };
    let se = |h: u64| move |e: sero_state::StateError| bad(h, e.to_string());
    if db.seed_at(0).map_err(se(0))? != Some(genesis.seed) {
        return Err(bad(0, "the stored round seed is not the genesis's".into()));
    }
    let tip = chain.tip().0;
    let mut report = HeaderReport::default();

    // 1. Links.
    let mut parent = g.block.header.clone();
    let mut parent_hash = g.block.hash();
    let mut seed = genesis.seed;
    if db.hash_at(0).map_err(se(0))? != Some(parent_hash) {
        return Err(bad(0, "the stored block hash is not the header's".into()));
    }
    let mut failure: Option<JoinError> = None;
    let walked = db.for_each_header(1, tip, |h, stored_hash, bytes, root, stored_seed| {
        let checked = (|| {
            let header = BlockHeader::from_bytes(bytes).map_err(|e| bad(h, e.to_string()))?;
            if header.height != h {
                return Err(bad(h, format!("the header says height {}", header.height)));
            }
            if header.parent != parent_hash {
                return Err(bad(
                    h,
                    "its parent hash is not the previous header's".into(),
                ));
            }
            if header.time < parent.time {
                return Err(bad(h, "its time is before its parent's".into()));
            }
            let hash = header.hash();
            if *stored_hash != hash {
                return Err(bad(h, "the stored block hash is not the header's".into()));
            }
            if root != Some(&encode_base(&header.note_root)) {
                return Err(bad(h, "the stored note root is not the header's".into()));
            }
            // The round seed chained through the seals' seed proofs (their
            // outputs, unverified here: a checkpoint signs the seed it
            // reaches, and step 2 verifies every proof it does not cover).
            let beta = match &header.seal {
                Seal::Empty => None,
                Seal::Proposed(p) => Some(
                    vrf::output_unchecked(&p.seed_proof)
                        .map_err(|e| bad(h, format!("seed proof: {e}")))?,
                ),
                _ => return Err(bad(h, "not an empty or proposed block's seal".into())),
            };
            seed = round_seed(&seed, beta.as_ref(), h);
            if stored_seed != Some(&seed) {
                return Err(bad(
                    h,
                    "the stored round seed is not the chained one".into(),
                ));
            }
            parent = header;
            parent_hash = hash;
            report.linked += 1;
            Ok(())
        })();
        checked.map_err(|e| {
            failure = Some(e);
            sero_state::StateError::Corrupt("header walk stopped".into())
        })
    });
    if let Some(e) = failure {
        return Err(e);
    }
    walked.map_err(|e| bad(0, e.to_string()))?;

    // 2. Trust, one interval at a time.
    let k = genesis.checkpoint_interval;
    let entries = |vals: &[sero_chain::registry::GenesisValidator]| {
        let mut e: Vec<ValidatorEntry> = vals
            .iter()
            .map(|x| (x.vote_key, x.vrf_key, x.stake))
            .collect();
        e.sort_by_key(|x| x.0);
        e
    };
    let set_after = |h: u64| {
        chain
            .registry()
            .validators_at(h)
            .map_err(|e| bad(h, e.to_string()))
    };
    let mut v = HeaderVerifier::from_genesis(
        g.block.header.clone(),
        genesis.seed,
        &entries(&set_after(0)?),
        genesis.consensus,
        genesis.license,
    )
    .map_err(|e| bad(0, format!("the registry's genesis validators: {e}")))?;
    let mut cur = 0u64;
    while cur < tip {
        let next = cur + k;
        if next <= tip {
            if let Some(bytes) = db.checkpoint(next).map_err(se(next))? {
                let cert = CheckpointCertificate::from_bytes(&bytes)
                    .map_err(|e| bad(next, format!("bad checkpoint certificate: {e}")))?;
                // The signing set: the validators after the trusted header
                // `cur`, which the verifier holds already checked against
                // that header's `validators_hash`.
                let set = v
                    .next_validators()
                    .cloned()
                    .ok_or_else(|| bad(cur, "no validators".into()))?;
                let (hash, seed) = checkpoint::block_and_seed(chain, next)
                    .map_err(|e| bad(next, e))?
                    .ok_or_else(|| bad(next, "no hash or seed stored".into()))?;
                match cert.verify(next, &hash, &seed, &set) {
                    Ok(_) => {
                        let header = header_at(next)?;
                        let after = entries(&set_after(next)?);
                        if validators_hash(&after) != header.validators_hash {
                            return Err(bad(
                                next,
                                "the registry's validators are not the header's validators hash"
                                    .into(),
                            ));
                        }
                        let state = LightState {
                            header,
                            hash,
                            seed,
                            validators: after,
                            finalized: next,
                        };
                        v = HeaderVerifier::resume(state, genesis.consensus, genesis.license)
                            .map_err(|e| bad(next, e.to_string()))?;
                        report.checkpoints += 1;
                        cur = next;
                        progress(cur);
                        continue;
                    }
                    Err(CheckpointError::Incomplete { .. }) => {}
                    Err(e) => return Err(bad(next, format!("bad checkpoint certificate: {e}"))),
                }
            }
        }
        // No complete checkpoint: every header of the interval.
        for h in cur + 1..=next.min(tip) {
            let header = header_at(h)?;
            let cert = db
                .certificate(h)
                .map_err(se(h))?
                .ok_or_else(|| bad(h, "no certificate".into()))?;
            let cert = Certificate::from_bytes(&cert).map_err(|e| bad(h, e.to_string()))?;
            let changed = if header.validators_hash != v.state().header.validators_hash {
                Some(entries(&set_after(h)?))
            } else {
                None
            };
            v.verify_next(&header, &cert, changed.as_deref())
                .map_err(|e| bad(h, e.to_string()))?;
            if db.seed_at(h).map_err(se(h))? != Some(v.state().seed) {
                return Err(bad(
                    h,
                    "the stored round seed is not the verified one".into(),
                ));
            }
            report.certified += 1;
            if h.is_multiple_of(1_000) {
                progress(h);
            }
        }
        cur = next.min(tip);
    }
    progress(tip);
    let finalized = v.state().finalized;
    if finalized < tip {
        return Err(JoinError::NotFinal { tip, finalized });
    }
    Ok(report)
}

/// Creates the chain at `path` from the snapshot `r` and verifies it
/// against `genesis` (module docs); on success the chain is open and
/// final at the snapshot's tip, with no block body below it. `progress`
/// gets a phase name and a count (bytes read, then heights verified).
pub fn join(
    path: &Path,
    genesis: &Genesis,
    params: Arc<Parameters>,
    r: impl Read,
    mut progress: impl FnMut(&str, u64),
) -> Result<(Chain, JoinReport), JoinError> {
    if path.exists() {
        return Err(JoinError::Exists(path.display().to_string()));
    }
    let tmp = path.with_extension("joining");
    if tmp.exists() {
        std::fs::remove_file(&tmp)?;
    }
    let imported = import(&tmp, r, |b| progress("import", b))?;
    let checked = (|| {
        let chain = Chain::open(&tmp, params.clone(), genesis.chain_config(), || {
            genesis.block()
        })
        .map_err(|e| JoinError::Genesis(e.to_string()))?;
        let t1 = Instant::now();
        let header_report = verify_headers(&chain, genesis, |h| progress("headers", h))?;
        let headers = t1.elapsed();
        let t2 = Instant::now();
        verify_state(&chain, &imported)?;
        Ok::<_, JoinError>((headers, imported.scan + t2.elapsed(), header_report))
    })();
    let (headers, state, header_report) = match checked {
        Ok(t) => t,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    std::fs::rename(&tmp, path)?;
    let chain = Chain::open(path, params, genesis.chain_config(), || genesis.block())
        .map_err(|e| JoinError::Genesis(e.to_string()))?;
    Ok((
        chain,
        JoinReport {
            info: imported.info,
            import: imported.import,
            headers,
            state,
            header_report,
        },
    ))
}
