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
//! 1. the header chain from the genesis to the snapshot's tip with the
//!    light-client verifier ([`HeaderVerifier`], the same the verifying
//!    wallet runs): parent links, each seal against the chained round
//!    seed, each BA★ certificate against the validator set of its round,
//!    the validator-set changes (the registry's set at each change must
//!    have the header's `validators_hash`); the tip must be final (a Final
//!    certificate at or above it);
//! 2. that the stored block hashes, roots and round seeds are the verified
//!    headers' (hash, `note_root`) and the seeds the verifier chained —
//!    the seeds decide every later sortition;
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

use crate::genesis::Genesis;
use sero_chain::chain::{scan_state_acc, Chain, ChainError};
use sero_chain::evm::LtHash;
use sero_consensus::ba::Certificate;
use sero_crypto::curve::encode_base;
use sero_ledger::light::{HeaderVerifier, ValidatorEntry};
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
pub fn verify_headers(
    chain: &Chain,
    genesis: &Genesis,
    mut progress: impl FnMut(u64),
) -> Result<(), JoinError> {
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
    let vals: Vec<ValidatorEntry> = genesis
        .validators
        .iter()
        .map(|v| (v.vote_key, v.vrf_key, v.stake))
        .collect();
    let mut v = HeaderVerifier::from_genesis(
        g.block.header.clone(),
        genesis.seed,
        &vals,
        genesis.consensus,
        genesis.license,
    )
    .map_err(|e| bad(0, e.to_string()))?;
    let db = chain.db();
    let check_stored = |h: u64, hash: [u8; 32], root: [u8; 32], seed: [u8; 32]| {
        if db.hash_at(h).map_err(|e| bad(h, e.to_string()))? != Some(hash) {
            return Err(bad(h, "the stored block hash is not the header's".into()));
        }
        if db.root_at(h).map_err(|e| bad(h, e.to_string()))? != Some(root) {
            return Err(bad(h, "the stored note root is not the header's".into()));
        }
        if db.seed_at(h).map_err(|e| bad(h, e.to_string()))? != Some(seed) {
            return Err(bad(
                h,
                "the stored round seed is not the verified one".into(),
            ));
        }
        Ok(())
    };
    check_stored(
        0,
        g.block.hash(),
        encode_base(&g.block.header.note_root),
        genesis.seed,
    )?;
    let tip = chain.tip().0;
    for h in 1..=tip {
        let header = chain
            .header(h)
            .map_err(ce(h))?
            .ok_or_else(|| bad(h, "header missing".into()))?;
        let cert = db
            .certificate(h)
            .map_err(|e| bad(h, e.to_string()))?
            .ok_or_else(|| bad(h, "no certificate".into()))?;
        let cert = Certificate::from_bytes(&cert).map_err(|e| bad(h, e.to_string()))?;
        let next = if header.validators_hash != v.state().header.validators_hash {
            let set = chain
                .registry()
                .validators_at(h)
                .map_err(|e| bad(h, e.to_string()))?;
            Some(
                set.iter()
                    .map(|x| (x.vote_key, x.vrf_key, x.stake))
                    .collect::<Vec<ValidatorEntry>>(),
            )
        } else {
            None
        };
        v.verify_next(&header, &cert, next.as_deref())
            .map_err(|e| bad(h, e.to_string()))?;
        check_stored(
            h,
            v.state().hash,
            encode_base(&header.note_root),
            v.state().seed,
        )?;
        if h.is_multiple_of(1_000) {
            progress(h);
        }
    }
    progress(tip);
    let finalized = v.state().finalized;
    if finalized < tip {
        return Err(JoinError::NotFinal { tip, finalized });
    }
    Ok(())
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
        verify_headers(&chain, genesis, |h| progress("headers", h))?;
        let headers = t1.elapsed();
        let t2 = Instant::now();
        verify_state(&chain, &imported)?;
        Ok::<_, JoinError>((headers, imported.scan + t2.elapsed()))
    })();
    let (headers, state) = match checked {
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
        },
    ))
}
