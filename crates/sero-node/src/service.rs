//! The consensus service: drives one [`Agreement`] (BA★) per round over the
//! libp2p network, builds and validates proposed blocks, applies decided
//! blocks with their certificates, gossips transactions and catches up by
//! request-response sync.
//!
//! Message flow (every gossip message is validated here **before** the
//! network relays it; `Reject` lowers the sender's peer score, `Ignore`
//! neither relays nor punishes):
//!
//! | topic     | checks                                                    | outcome        |
//! |-----------|-----------------------------------------------------------|----------------|
//! | tx        | decodes; stateless and stateful rules (mempool admission) | Accept/Reject  |
//! | proposal  | decodes; round; credential, signature; header matches     | Accept/Reject  |
//! | vote      | decodes; round; credential, signature                     | Accept/Reject  |
//!
//! Messages of an older round, or of another chain tip, are ignored (they
//! may be honest but late); messages of the next rounds are held (bounded)
//! and validated when the round starts. A validator's own votes are written
//! to the [`VoteJournal`] before they are published.

use crate::checkpoint;
use crate::journal::VoteJournal;
use crate::seal::verify_seal;
use crate::sync;
use crate::wire::{ProposalGossip, SyncRequest, SyncResponse, SyncedBlock, MAX_SYNC_BLOCKS};
use crate::{Chain, Node};
use sero_consensus::ba::{
    verify_proposal, verify_vote, Agreement, BaParams, Certificate, Decision, DecisionKind,
    Message, MessageError, Output, Proposal, RoundContext, ValidatorKeys, Vote,
};
use sero_consensus::checkpoint::CheckpointVote;
use sero_consensus::{round_seed, seed_alpha, vrf};
use sero_keys::PaymentAddress;
use sero_ledger::block::{Block, BlockHeader, ProposerSeal, Seal};
use sero_ledger::license::{License, LicenseConfig};
use sero_ledger::tx::Transaction;
use sero_network::{NetworkEvent, NetworkHandle, PeerId, Topic, Validation};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use thiserror::Error;
use tokio::sync::mpsc;

/// Most held messages of future rounds.
const MAX_FUTURE: usize = 4096;
/// How far ahead a held message may be.
const MAX_FUTURE_ROUNDS: u64 = 2;

/// What the service needs besides the chain and the network.
pub struct ServiceConfig {
    /// This node's validator keys (`None`: a non-voting full node).
    pub keys: Option<ValidatorKeys>,
    /// Where this validator's block rewards go.
    pub payout: PaymentAddress,
    pub params: BaParams,
    /// The genesis licence rule.
    pub license: Option<LicenseConfig>,
    /// This validator's licence, attached to its proposals.
    pub own_license: Option<License>,
    /// The vote journal.
    pub journal: VoteJournal,
    /// Transactions per proposed block.
    pub max_block_txs: usize,
    /// Blocks between finality checkpoints (the genesis's
    /// `checkpoint_interval`, ≥ 1).
    pub checkpoint_interval: u64,
}

/// Most checkpoint votes kept for heights not final here yet.
const MAX_EARLY_CHECKPOINT_VOTES: usize = 1024;

/// A fatal service error.
#[derive(Debug, Error)]
pub enum ServiceError {
    #[error("{0}")]
    Fatal(String),
}

fn fatal(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Fatal(e.to_string())
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Results of background requests.
enum Internal {
    Fetched {
        round: u64,
        hash: [u8; 32],
        result: Option<(Vec<u8>, Vec<u8>)>,
    },
    Status {
        peer: PeerId,
        response: Option<SyncResponse>,
    },
    Blocks {
        peer: PeerId,
        response: Option<SyncResponse>,
    },
    /// A batch of gossiped transactions verified off the service loop:
    /// per transaction its message id, its relaying peer, its txid and the
    /// verdict.
    TxVerified(Vec<VerifiedJob>),
}

struct VerifiedJob {
    id: sero_network::MessageId,
    source: PeerId,
    txid: [u8; 32],
    result: Result<[u8; 32], crate::mempool::MempoolError>,
}

struct Held {
    topic: Topic,
    round: u64,
    data: Vec<u8>,
    id: sero_network::MessageId,
    source: PeerId,
}

struct Round {
    ctx: RoundContext,
    agreement: Agreement,
    /// Header bytes of proposed blocks, with where they came from.
    headers: HashMap<[u8; 32], (Vec<u8>, Option<PeerId>)>,
    /// Validated blocks with their round seed.
    blocks: HashMap<[u8; 32], (Block, [u8; 32])>,
    invalid: HashSet<[u8; 32]>,
    fetching: HashSet<[u8; 32]>,
    decided: Option<Decision>,
    started: Instant,
}

/// The running service.
pub struct Service {
    node: Arc<Mutex<Node>>,
    net: NetworkHandle,
    cfg: ServiceConfig,
    epoch: Instant,
    round: Option<Round>,
    /// The previous round's agreement while its block is only Tentative:
    /// late Final votes may still certify it.
    tentative: Option<(Agreement, [u8; 32])>,
    held: Vec<Held>,
    /// Transactions (by txid) already gossiped or received by gossip.
    announced: HashSet<[u8; 32]>,
    peers: Vec<PeerId>,
    internal_tx: mpsc::Sender<Internal>,
    syncing: bool,
    behind: bool,
    /// The finalized height the sync peer last reported.
    peer_finalized: u64,
    last_sync: Instant,
    /// Which peer the next status request goes to (round robin).
    sync_turn: usize,
    /// Gossiped transactions waiting for verification, per peer.
    tx_queue: crate::txqueue::TxQueue,
    /// Whether a transaction is being verified.
    verifying: bool,
    /// The highest checkpoint this node has signed or decided not to sign
    /// (0: none yet this run).
    checkpoint_done: u64,
    /// Checkpoint votes for heights not final here yet.
    early_checkpoints: Vec<(CheckpointVote, sero_network::MessageId, PeerId)>,
    /// Consecutive rounds this node saw end with the empty block: the next
    /// round runs with timeouts doubled this often and proposes blocks
    /// halved as often ([`BaParams::backed_off`]); 0 after a block.
    empty_streak: u32,
}

/// Shared counters for status reporting.
#[derive(Clone, Debug, Default)]
pub struct ServiceStatus {
    pub round: u64,
    pub finalized: u64,
    pub peers: usize,
}

impl Service {
    /// Runs until `shutdown` fires.
    pub async fn run(
        node: Arc<Mutex<Node>>,
        net: NetworkHandle,
        mut events: mpsc::Receiver<NetworkEvent>,
        cfg: ServiceConfig,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> Result<(), ServiceError> {
        let (internal_tx, mut internal_rx) = mpsc::channel(256);
        let mut s = Service {
            node,
            net,
            cfg,
            epoch: Instant::now(),
            round: None,
            tentative: None,
            empty_streak: 0,
            held: vec![],
            announced: HashSet::new(),
            peers: vec![],
            internal_tx,
            syncing: false,
            behind: true,
            peer_finalized: 0,
            last_sync: Instant::now() - Duration::from_secs(60),
            sync_turn: 0,
            tx_queue: Default::default(),
            verifying: false,
            checkpoint_done: 0,
            early_checkpoints: vec![],
        };
        s.start_round()?;
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            let deadline = s
                .round
                .as_ref()
                .and_then(|r| r.agreement.next_deadline())
                .map(|ms| s.epoch + Duration::from_millis(ms))
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                ev = events.recv() => match ev {
                    Some(ev) => s.on_network(ev)?,
                    None => return Err(fatal("the network stopped")),
                },
                Some(i) = internal_rx.recv() => s.on_internal(i)?,
                _ = tokio::time::sleep_until(deadline.into()) => {
                    let now = s.now();
                    let outs = match s.round.as_mut() {
                        Some(r) => r.agreement.on_timeout(now),
                        None => vec![],
                    };
                    s.handle(outs)?;
                }
                _ = tick.tick() => s.on_tick()?,
                _ = shutdown.changed() => return Ok(()),
            }
        }
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Node>, ServiceError> {
        self.node.lock().map_err(|_| fatal("node lock poisoned"))
    }

    fn context(chain: &Chain) -> Result<RoundContext, ServiceError> {
        sync::round_context(chain).map_err(fatal)
    }

    /// Starts the round after the chain's tip.
    fn start_round(&mut self) -> Result<(), ServiceError> {
        let ctx = {
            let node = self.lock()?;
            Self::context(&node.chain)?
        };
        let round = ctx.round;
        let prior = self.cfg.journal.votes(round).map_err(fatal)?;
        if !prior.is_empty() {
            tracing::info!(
                round,
                votes = prior.len(),
                "resuming the round with our journaled votes"
            );
        }
        let now = self.now();
        let params = self.cfg.params.backed_off(self.empty_streak);
        if self.empty_streak > 0 {
            tracing::info!(
                round,
                empty_rounds = self.empty_streak,
                lambda_block_ms = params.lambda_block_ms,
                max_txs = self.proposal_cap(),
                "backing off after empty rounds: longer timeouts, smaller proposals"
            );
        }
        let (agreement, outs) =
            Agreement::new(ctx.clone(), params, self.cfg.keys.clone(), now, prior);
        tracing::debug!(round, "round started");
        self.round = Some(Round {
            ctx,
            agreement,
            headers: HashMap::new(),
            blocks: HashMap::new(),
            invalid: HashSet::new(),
            fetching: HashSet::new(),
            decided: None,
            started: Instant::now(),
        });
        self.handle(outs)?;
        // Messages held for this round.
        let held = std::mem::take(&mut self.held);
        for h in held {
            if h.round == round {
                self.on_gossip(h.topic, h.data, h.source, h.id)?;
            } else if h.round > round {
                self.held.push(h);
            } else {
                self.net.validate(h.id, h.source, Validation::Ignore);
            }
        }
        Ok(())
    }

    fn handle(&mut self, outs: Vec<Output>) -> Result<(), ServiceError> {
        let mut queue: std::collections::VecDeque<Output> = outs.into();
        let mut decided = false;
        while let Some(o) = queue.pop_front() {
            match o {
                Output::Propose { credential } => {
                    let now = self.now();
                    match self.own_proposal(&credential) {
                        Ok((block, seed, header)) => {
                            let hash = block.hash();
                            tracing::info!(
                                round = block.header.height,
                                hash = %hex::encode(&hash[..8]),
                                txs = block.txs.len(),
                                "proposing a block"
                            );
                            let r = self.round.as_mut().expect("round");
                            r.headers.insert(hash, (header, None));
                            r.blocks.insert(hash, (block, seed));
                            queue.extend(r.agreement.propose(hash, now));
                        }
                        Err(e) => tracing::error!("cannot build a proposal: {e}"),
                    }
                }
                Output::Broadcast(Message::Proposal(p)) => {
                    let r = self.round.as_ref().expect("round");
                    let Some((header, _)) = r.headers.get(&p.block_hash) else {
                        continue;
                    };
                    let g = ProposalGossip {
                        proposal: p.to_bytes(),
                        header: header.clone(),
                    };
                    self.publish(Topic::Proposals, g.to_bytes());
                }
                Output::Broadcast(Message::Vote(v)) => {
                    // Durable before it leaves the node.
                    if let Err(e) = self.cfg.journal.record(&v) {
                        tracing::error!("not sending a vote that could not be journaled: {e}");
                        continue;
                    }
                    self.publish(Topic::Votes, v.to_bytes());
                }
                Output::FetchBlock { hash } => self.fetch(hash, None),
                Output::Decided(d) => {
                    let r = self.round.as_mut().expect("round");
                    tracing::debug!(
                        round = d.round,
                        kind = ?d.kind,
                        value = %hex::encode(&d.value[..8]),
                        "agreement decided"
                    );
                    r.decided = Some(d);
                    decided = true;
                }
            }
        }
        // Every message of the round (e.g. the votes a deciding node casts
        // for the next steps so that others finish) is out before the next
        // round starts.
        if decided {
            self.try_finish()?;
        }
        Ok(())
    }

    fn publish(&self, topic: Topic, data: Vec<u8>) {
        if let Err(e) = self.net.publish(topic, data) {
            tracing::debug!(?topic, "publish: {e}");
        }
    }

    /// The block to propose: the one journaled for this round if we
    /// proposed before a restart (never a second one), else a new one,
    /// journaled before it is sent.
    fn own_proposal(
        &self,
        credential: &sero_consensus::Credential,
    ) -> Result<(Block, [u8; 32], Vec<u8>), ServiceError> {
        let r = self.round.as_ref().expect("round");
        if let Some((header, body)) = self.cfg.journal.proposal(r.ctx.round).map_err(fatal)? {
            let again = Block::from_parts(&header, &body)
                .map_err(|e| e.to_string())
                .and_then(|b| {
                    let node = self.node.lock().map_err(|_| "lock".to_string())?;
                    let seed = verify_seal(
                        &node.chain,
                        &r.ctx.validators,
                        &self.cfg.params,
                        self.cfg.license.as_ref(),
                        &b,
                    )
                    .map_err(|e| e.to_string())?;
                    node.chain.validate_block(&b).map_err(|e| e.to_string())?;
                    Ok((b, seed))
                });
            match again {
                Ok((b, seed)) => {
                    tracing::info!(round = r.ctx.round, "re-proposing our journaled block");
                    return Ok((b, seed, header));
                }
                Err(e) => {
                    tracing::warn!(
                        round = r.ctx.round,
                        "our journaled proposal no longer fits ({e}); not proposing"
                    );
                    return Err(fatal("journaled proposal unusable"));
                }
            }
        }
        let (block, seed, header) = self.build_proposal(credential)?;
        self.cfg
            .journal
            .record_proposal(block.header.height, &header, &block.body_bytes())
            .map_err(fatal)?;
        Ok((block, seed, header))
    }

    fn build_proposal(
        &self,
        credential: &sero_consensus::Credential,
    ) -> Result<(Block, [u8; 32], Vec<u8>), ServiceError> {
        let keys = self
            .cfg
            .keys
            .as_ref()
            .ok_or_else(|| fatal("no validator keys"))?;
        let ctx = &self.round.as_ref().expect("round").ctx;
        let node = self.lock()?;
        let coinbase = self.cfg.payout.derive_pkr(&mut rand_core::OsRng);
        let txs = node.mempool.select(self.proposal_cap());
        let (beta, seed_proof) = vrf::prove(&keys.vrf, &seed_alpha(&ctx.seed, ctx.round));
        let seal = Seal::Proposed(ProposerSeal {
            proposer: keys.vote.public_key().to_bytes(),
            seed_proof,
            credential: credential.proof,
            license: self.cfg.own_license,
            signature: [0; 64],
        });
        let mut block = node
            .chain
            .build_block(txs, &coinbase, unix_now(), seal)
            .map_err(fatal)?;
        let sig = keys.vote.sign(&block.header.signing_hash());
        if let Seal::Proposed(s) = &mut block.header.seal {
            s.signature = sig;
        }
        let seed = round_seed(&ctx.seed, Some(&beta), ctx.round);
        let header = block.header.to_bytes();
        Ok((block, seed, header))
    }

    /// Transactions to propose this round ([`BaParams::backed_off_txs`]).
    fn proposal_cap(&self) -> usize {
        BaParams::backed_off_txs(self.cfg.max_block_txs, self.empty_streak)
    }

    /// Fetches a block body (and header) by hash from `peer` or any peer.
    fn fetch(&mut self, hash: [u8; 32], peer: Option<PeerId>) {
        let Some(r) = self.round.as_mut() else { return };
        if r.blocks.contains_key(&hash) || r.invalid.contains(&hash) || hash == r.ctx.empty_hash {
            return;
        }
        if !r.fetching.insert(hash) {
            return;
        }
        let round = r.ctx.round;
        let mut candidates: Vec<PeerId> = peer.into_iter().collect();
        if let Some((_, Some(src))) = r.headers.get(&hash) {
            candidates.push(*src);
        }
        candidates.extend(self.peers.iter().copied());
        candidates.dedup();
        let net = self.net.clone();
        let tx = self.internal_tx.clone();
        tokio::spawn(async move {
            let req = SyncRequest::Block { hash }.to_bytes();
            let mut result = None;
            for p in candidates.into_iter().take(4) {
                if let Ok(resp) = net.request(p, req.clone()).await {
                    if let Ok(SyncResponse::Block(Some(b))) = SyncResponse::from_bytes(&resp) {
                        result = Some(b);
                        break;
                    }
                }
            }
            let _ = tx
                .send(Internal::Fetched {
                    round,
                    hash,
                    result,
                })
                .await;
        });
    }

    /// Validates a fetched or received block for the current round and
    /// tells the agreement.
    fn consider_block(
        &mut self,
        hash: [u8; 32],
        header: &[u8],
        body: &[u8],
    ) -> Result<(), ServiceError> {
        let Some(r) = self.round.as_ref() else {
            return Ok(());
        };
        let t0 = Instant::now();
        // The transactions this node already verified (gossip, RPC) are
        // taken decoded from the chain's cache, not decoded again.
        let verified = self.lock()?.chain.verified_cache();
        let decoded = tokio::task::block_in_place(|| {
            Block::from_parts_with(header, body, &|e| verified.decoded(e))
        });
        let verdict = match decoded {
            Err(e) => Err(format!("malformed: {e}")),
            Ok(b) if b.hash() != hash => Err("hash mismatch".to_string()),
            Ok(b) => {
                let node = self.lock()?;
                let res = verify_seal(
                    &node.chain,
                    &r.ctx.validators,
                    &self.cfg.params,
                    self.cfg.license.as_ref(),
                    &b,
                )
                .map_err(|e| e.to_string())
                .and_then(|seed| {
                    tokio::task::block_in_place(|| node.chain.validate_block(&b))
                        .map(|_| seed)
                        .map_err(|e| e.to_string())
                });
                res.map(|seed| (b, seed))
            }
        };
        tracing::debug!(
            hash = %hex::encode(&hash[..8]),
            ms = t0.elapsed().as_millis() as u64,
            since_round_start_ms = r.started.elapsed().as_millis() as u64,
            valid = verdict.is_ok(),
            "proposed block checked"
        );
        let now = self.now();
        let r = self.round.as_mut().expect("round");
        r.fetching.remove(&hash);
        let outs = match verdict {
            Ok((b, seed)) => {
                r.blocks.insert(hash, (b, seed));
                r.agreement.on_block(hash, true, now)
            }
            Err(e) => {
                tracing::warn!(hash = %hex::encode(&hash[..8]), "invalid proposed block: {e}");
                r.invalid.insert(hash);
                r.agreement.on_block(hash, false, now)
            }
        };
        self.handle(outs)?;
        self.try_finish()?;
        Ok(())
    }

    /// Applies the decided block once it is available; returns whether a
    /// new round started.
    fn try_finish(&mut self) -> Result<bool, ServiceError> {
        let Some(r) = self.round.as_ref() else {
            return Ok(false);
        };
        let Some(d) = r.decided.clone() else {
            return Ok(false);
        };
        let (block, seed) = if d.value == r.ctx.empty_hash {
            let node = self.lock()?;
            let parent = node
                .chain
                .header(r.ctx.round - 1)
                .map_err(fatal)?
                .ok_or_else(|| fatal("missing parent header"))?;
            (
                Block::empty(r.ctx.round, &parent),
                round_seed(&r.ctx.seed, None, r.ctx.round),
            )
        } else if let Some((b, s)) = r.blocks.get(&d.value) {
            (b.clone(), *s)
        } else {
            let v = d.value;
            self.fetch(v, None);
            return Ok(false);
        };
        self.apply(&block, seed, &d.certificate, d.kind)?;
        let finished = self.round.take().expect("round");
        self.tentative =
            (d.kind == DecisionKind::Tentative).then_some((finished.agreement, d.value));
        self.start_round()?;
        Ok(true)
    }

    /// A vote of the previous round, whose block is Tentative here: if it
    /// completes a Final quorum for that block, store the Final certificate.
    fn late_vote(&mut self, v: &Vote) -> Result<Option<Validation>, ServiceError> {
        let Some((agreement, value)) = self.tentative.as_mut() else {
            return Ok(None);
        };
        if agreement.context().round != v.round {
            return Ok(None);
        }
        let vv = match verify_vote(agreement.context(), &self.cfg.params, v) {
            Ok(vv) => vv,
            Err(e) => return Ok(Some(verdict_for(&e))),
        };
        let now = self.epoch.elapsed().as_millis() as u64;
        let value = *value;
        for o in agreement.on_vote(vv, now) {
            if let Output::Decided(d) = o {
                if d.kind != DecisionKind::Final {
                    continue;
                }
                if d.value != value {
                    tracing::warn!(
                        round = d.round,
                        "a Final certificate for another block than ours: sync will roll back"
                    );
                    self.behind = true;
                } else {
                    let node = self.lock()?;
                    node.chain
                        .db()
                        .put_certificate(d.round, &d.certificate.to_bytes())
                        .map_err(fatal)?;
                    node.chain.db().set_finalized(d.round).map_err(fatal)?;
                    tracing::info!(height = d.round, "tentative block finalised by late votes");
                }
                self.tentative = None;
                break;
            }
        }
        Ok(Some(Validation::Accept))
    }

    fn apply(
        &mut self,
        block: &Block,
        seed: [u8; 32],
        cert: &Certificate,
        kind: DecisionKind,
    ) -> Result<(), ServiceError> {
        let started = self.round.as_ref().map(|r| r.started.elapsed());
        let mut node = self.lock()?;
        let Node { chain, mempool } = &mut *node;
        // A Final block is finalized in the same write.
        let finalize = kind == DecisionKind::Final;
        tokio::task::block_in_place(|| {
            chain.apply_block_with(block, seed, cert.to_bytes(), finalize)
        })
        .map_err(fatal)?;
        mempool.prune(chain);
        drop(node);
        self.empty_streak = if matches!(block.header.seal, Seal::Empty) {
            self.empty_streak.saturating_add(1)
        } else {
            0
        };
        let _ = self.cfg.journal.prune(block.header.height);
        tracing::info!(
            height = block.header.height,
            hash = %hex::encode(&block.hash()[..8]),
            kind = ?kind,
            txs = block.txs.len(),
            empty = matches!(block.header.seal, Seal::Empty),
            ms = started.map(|d| d.as_millis() as u64).unwrap_or(0),
            "block committed"
        );
        Ok(())
    }

    fn on_network(&mut self, ev: NetworkEvent) -> Result<(), ServiceError> {
        match ev {
            NetworkEvent::Gossip {
                topic,
                data,
                source,
                id,
            } => self.on_gossip(topic, data, source, id)?,
            NetworkEvent::Request {
                peer,
                request,
                channel,
            } => {
                let resp = self.serve(peer, &request);
                self.net.respond(channel, resp.to_bytes());
            }
            NetworkEvent::PeerConnected(p) => {
                if !self.peers.contains(&p) {
                    self.peers.push(p);
                }
                self.behind = true;
            }
            NetworkEvent::PeerDisconnected(p) => self.peers.retain(|q| *q != p),
            #[allow(unreachable_patterns)]
            _ => {}
        }
        Ok(())
    }

    fn current_round(&self) -> u64 {
        self.round.as_ref().map(|r| r.ctx.round).unwrap_or(0)
    }

    /// Holds a message of a later round, or ignores it. Returns true if held.
    fn hold(
        &mut self,
        topic: Topic,
        round: u64,
        data: Vec<u8>,
        source: PeerId,
        id: sero_network::MessageId,
    ) -> bool {
        let cur = self.current_round();
        if round > cur {
            self.behind = true;
        }
        if round > cur + MAX_FUTURE_ROUNDS {
            tracing::info!(%source, round, current = cur, ?topic, "ignoring a message of round {round}: too far ahead");
        } else if round < cur {
            tracing::debug!(%source, round, current = cur, ?topic, "ignoring a message of round {round}: past");
        }
        if round > cur && round <= cur + MAX_FUTURE_ROUNDS && self.held.len() < MAX_FUTURE {
            self.held.push(Held {
                topic,
                round,
                data,
                id,
                source,
            });
            return true;
        }
        self.net.validate(id, source, Validation::Ignore);
        true
    }

    fn on_gossip(
        &mut self,
        topic: Topic,
        data: Vec<u8>,
        source: PeerId,
        id: sero_network::MessageId,
    ) -> Result<(), ServiceError> {
        match topic {
            Topic::Transactions => match Transaction::from_bytes(&data) {
                Err(e) => {
                    tracing::warn!(%source, "dropping a malformed transaction: {e}");
                    self.net.validate(id, source, Validation::Reject);
                }
                Ok(tx) => {
                    let txid = tx.txid();
                    if self.announced.contains(&txid) {
                        self.net.validate(id, source, Validation::Ignore);
                        return Ok(());
                    }
                    let job = crate::txqueue::Job { id, source, tx };
                    if let Err(job) = self.tx_queue.push(job) {
                        tracing::debug!(%source, "transaction queue full: ignoring a transaction");
                        self.net.validate(job.id, job.source, Validation::Ignore);
                    }
                    self.pump_transactions();
                }
            },
            Topic::Proposals => {
                let parsed = ProposalGossip::from_bytes(&data)
                    .map_err(|e| e.to_string())
                    .and_then(|g| {
                        Proposal::from_bytes(&g.proposal)
                            .map(|p| (p, g.header))
                            .map_err(|e| e.to_string())
                    });
                let (p, header) = match parsed {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!(%source, "dropping a malformed proposal: {e}");
                        self.net.validate(id, source, Validation::Reject);
                        return Ok(());
                    }
                };
                let cur = self.current_round();
                if p.round != cur {
                    self.hold(topic, p.round, data, source, id);
                    return Ok(());
                }
                let r = self.round.as_ref().expect("round");
                let checked = verify_proposal(&r.ctx, &self.cfg.params, &p);
                let vp = match checked {
                    Ok(vp) => vp,
                    Err(e) => {
                        let v = verdict_for(&e);
                        if v == Validation::Reject {
                            tracing::warn!(%source, round = p.round, "dropping a bad proposal: {e}");
                        }
                        self.net.validate(id, source, v);
                        return Ok(());
                    }
                };
                let ok_header = BlockHeader::from_bytes(&header)
                    .map(|h| {
                        h.hash() == p.block_hash
                            && h.height == p.round
                            && h.parent == r.ctx.prev_hash
                    })
                    .unwrap_or(false);
                if !ok_header {
                    tracing::warn!(%source, "dropping a proposal whose header does not match");
                    self.net.validate(id, source, Validation::Reject);
                    return Ok(());
                }
                self.net.validate(id, source, Validation::Accept);
                let now = self.now();
                let r = self.round.as_mut().expect("round");
                r.headers
                    .entry(p.block_hash)
                    .or_insert((header, Some(source)));
                // The agreement asks for the body of the best proposal only
                // (`Output::FetchBlock`, with this peer as the first source):
                // validating every proposal of a round would cost each node
                // one block validation per proposer.
                let outs = r.agreement.on_proposal(vp, now);
                self.handle(outs)?;
            }
            Topic::Votes if CheckpointVote::is_checkpoint_vote(&data) => {
                match CheckpointVote::from_bytes(&data) {
                    Ok(v) => self.on_checkpoint_vote(v, id, source)?,
                    Err(e) => {
                        tracing::warn!(%source, "dropping a malformed checkpoint vote: {e}");
                        self.net.validate(id, source, Validation::Reject);
                    }
                }
            }
            Topic::Votes => {
                let v = match Vote::from_bytes(&data) {
                    Ok(v) => v,
                    Err(e) => {
                        tracing::warn!(%source, "dropping a malformed vote: {e}");
                        self.net.validate(id, source, Validation::Reject);
                        return Ok(());
                    }
                };
                let cur = self.current_round();
                if v.round + 1 == cur {
                    if let Some(verdict) = self.late_vote(&v)? {
                        self.net.validate(id, source, verdict);
                        return Ok(());
                    }
                }
                if v.round != cur {
                    self.hold(topic, v.round, data, source, id);
                    return Ok(());
                }
                let r = self.round.as_ref().expect("round");
                match verify_vote(&r.ctx, &self.cfg.params, &v) {
                    Ok(vv) => {
                        self.net.validate(id, source, Validation::Accept);
                        let now = self.now();
                        let outs = self
                            .round
                            .as_mut()
                            .expect("round")
                            .agreement
                            .on_vote(vv, now);
                        self.handle(outs)?;
                    }
                    Err(e) => {
                        let verdict = verdict_for(&e);
                        if verdict == Validation::Reject {
                            tracing::warn!(%source, round = v.round, "dropping a bad vote: {e}");
                        }
                        self.net.validate(id, source, verdict);
                    }
                }
            }
        }
        Ok(())
    }

    fn serve(&self, peer: PeerId, request: &[u8]) -> SyncResponse {
        let req = match SyncRequest::from_bytes(request) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(%peer, "malformed sync request: {e}");
                return SyncResponse::Error(e.to_string());
            }
        };
        let Ok(node) = self.node.lock() else {
            return SyncResponse::Error("busy".into());
        };
        let chain = &node.chain;
        match req {
            SyncRequest::Status => {
                let (tip, tip_hash) = chain.tip();
                SyncResponse::Status {
                    tip,
                    tip_hash,
                    finalized: chain.db().finalized_height().unwrap_or(0),
                    // A store error claims nothing servable.
                    bodies_from: chain.db().pruned_below().unwrap_or(u64::MAX),
                }
            }
            SyncRequest::Blocks { from, count } => {
                SyncResponse::Blocks(sync::serve_blocks(chain, from, count))
            }
            SyncRequest::Block { hash } => {
                if let Some(r) = &self.round {
                    if let Some((b, _)) = r.blocks.get(&hash) {
                        return SyncResponse::Block(Some((b.header.to_bytes(), b.body_bytes())));
                    }
                }
                match chain.db().block_by_hash(&hash) {
                    Ok(Some(b)) => SyncResponse::Block(Some((b.header, b.body))),
                    _ => SyncResponse::Block(None),
                }
            }
        }
    }

    /// Starts verifying the next batch of queued transactions (one batch
    /// at a time, at most [`crate::txqueue::BATCH`], the peers in turn),
    /// signatures and proofs as one batch outside the node's lock.
    fn pump_transactions(&mut self) {
        if self.verifying {
            return;
        }
        let jobs = self.tx_queue.pop_batch(crate::txqueue::BATCH);
        if jobs.is_empty() {
            return;
        }
        self.verifying = true;
        let node = self.node.clone();
        let tx_out = self.internal_tx.clone();
        tokio::spawn(async move {
            let meta: Vec<_> = jobs
                .iter()
                .map(|j| (j.id.clone(), j.source, j.tx.txid()))
                .collect();
            let txs: Vec<Transaction> = jobs.into_iter().map(|j| j.tx).collect();
            let n = txs.len();
            let results =
                tokio::task::spawn_blocking(move || crate::mempool::submit_batch(&node, txs))
                    .await
                    .unwrap_or_else(|e| {
                        (0..n)
                            .map(|_| Err(crate::mempool::MempoolError::Store(e.to_string())))
                            .collect()
                    });
            let done = meta
                .into_iter()
                .zip(results)
                .map(|((id, source, txid), result)| VerifiedJob {
                    id,
                    source,
                    txid,
                    result,
                })
                .collect();
            let _ = tx_out.send(Internal::TxVerified(done)).await;
        });
    }

    fn on_internal(&mut self, i: Internal) -> Result<(), ServiceError> {
        match i {
            Internal::TxVerified(done) => {
                self.verifying = false;
                for VerifiedJob {
                    id,
                    source,
                    txid,
                    result,
                } in done
                {
                    self.announced.insert(txid);
                    let verdict = match result {
                        Ok(id) => {
                            tracing::debug!(txid = %hex::encode(id), "transaction from gossip");
                            Validation::Accept
                        }
                        Err(e) if e.is_misbehaviour() => {
                            tracing::warn!(%source, "dropping an invalid transaction: {e}");
                            Validation::Reject
                        }
                        Err(e) => {
                            // An honest race (anchor just expired, note spent
                            // meanwhile, duplicate, full pool): not an attack.
                            tracing::debug!(%source, "ignoring a transaction: {e}");
                            Validation::Ignore
                        }
                    };
                    self.net.validate(id, source, verdict);
                }
                self.pump_transactions();
            }
            Internal::Fetched {
                round,
                hash,
                result,
            } => {
                if round != self.current_round() {
                    return Ok(());
                }
                match result {
                    Some((header, body)) => self.consider_block(hash, &header, &body)?,
                    None => {
                        if let Some(r) = self.round.as_mut() {
                            r.fetching.remove(&hash);
                        }
                    }
                }
            }
            Internal::Status { peer, response } => {
                self.syncing = false;
                if let Some(SyncResponse::Status {
                    tip,
                    finalized,
                    bodies_from,
                    ..
                }) = response
                {
                    self.peer_finalized = finalized;
                    let mine = self.current_round() - 1;
                    if tip > mine && bodies_from > mine + 1 {
                        // A pruned peer without the bodies we need: the
                        // next tick asks another peer.
                        tracing::info!(%peer, bodies_from, need = mine + 1, "sync: peer pruned the blocks we need; asking another");
                    } else if tip > mine {
                        self.request_blocks(
                            peer,
                            mine + 1,
                            (tip - mine).min(MAX_SYNC_BLOCKS as u64) as u32,
                        );
                    } else {
                        self.behind = false;
                    }
                }
            }
            Internal::Blocks { peer, response } => {
                self.syncing = false;
                match response {
                    Some(SyncResponse::Blocks(blocks)) => {
                        let n = blocks.len();
                        let applied = self.apply_synced(peer, blocks)?;
                        if applied > 0 {
                            tracing::info!(%peer, applied, tip = self.current_round() - 1, "synced blocks");
                            self.start_round()?;
                        }
                        self.behind = applied > 0 && applied == n;
                    }
                    other => tracing::debug!(%peer, "sync failed: {other:?}"),
                }
            }
        }
        Ok(())
    }

    /// Verifies and applies synced blocks in order ([`sync::apply_range`]);
    /// returns how many. A range whose first block forks below our tip
    /// rolls back our tentative blocks when the peer claims a later final
    /// one.
    fn apply_synced(
        &mut self,
        peer: PeerId,
        blocks: Vec<SyncedBlock>,
    ) -> Result<usize, ServiceError> {
        let outcome = tokio::task::block_in_place(|| {
            sync::apply_range(
                &self.node,
                &self.cfg.params,
                self.cfg.license.as_ref(),
                &peer,
                blocks,
            )
        })
        .map_err(fatal)?;
        if outcome.fork {
            // The peer's chain forks below our tip. Only Tentative blocks
            // can lose: roll back to our last Final block if the peer
            // claims a later one, and sync again from there (its blocks
            // are then checked with their certificates).
            let mut node = self.lock()?;
            let fin = node.chain.db().finalized_height().map_err(fatal)?;
            let tip = node.chain.tip().0;
            if tip > fin && self.peer_finalized > fin {
                tracing::warn!(%peer, tip, finalized = fin, "sync: our tentative blocks fork from the peer's chain; rolling back");
                node.chain.rollback_to(fin).map_err(fatal)?;
                drop(node);
                self.start_round()?;
                self.behind = true;
                return Ok(0);
            }
            tracing::warn!(%peer, height = tip + 1, "sync: the peer's block does not extend our chain");
        }
        Ok(outcome.applied)
    }

    fn request_blocks(&mut self, peer: PeerId, from: u64, count: u32) {
        self.syncing = true;
        let net = self.net.clone();
        let tx = self.internal_tx.clone();
        tokio::spawn(async move {
            let response = net
                .request(peer, SyncRequest::Blocks { from, count }.to_bytes())
                .await
                .ok()
                .and_then(|b| SyncResponse::from_bytes(&b).ok());
            let _ = tx.send(Internal::Blocks { peer, response }).await;
        });
    }

    /// A gossiped checkpoint vote: recorded when valid for our final
    /// chain, kept when its height is not final here yet.
    fn on_checkpoint_vote(
        &mut self,
        v: CheckpointVote,
        id: sero_network::MessageId,
        source: PeerId,
    ) -> Result<(), ServiceError> {
        let k = self.cfg.checkpoint_interval;
        let checked = {
            let node = self.lock()?;
            checkpoint::check_vote(&node.chain, k, &v)
                .and_then(|()| checkpoint::record(&node.chain, &v))
        };
        let verdict = {
            match checked {
                Ok(true) => Validation::Accept,
                Ok(false) => Validation::Ignore,
                Err(checkpoint::VoteError::NotYet(_)) => {
                    // One waiting vote per signer and height.
                    let dup = self
                        .early_checkpoints
                        .iter()
                        .any(|(w, _, _)| w.height == v.height && w.voter == v.voter);
                    if !dup && self.early_checkpoints.len() < MAX_EARLY_CHECKPOINT_VOTES {
                        self.early_checkpoints.push((v, id, source));
                        return Ok(());
                    }
                    Validation::Ignore
                }
                Err(checkpoint::VoteError::TooFar(_)) => Validation::Ignore,
                Err(checkpoint::VoteError::OtherBlock(h)) => {
                    tracing::debug!(%source, height = h, "checkpoint vote for another block");
                    Validation::Ignore
                }
                Err(checkpoint::VoteError::Invalid(e)) => {
                    tracing::warn!(%source, height = v.height, "dropping a bad checkpoint vote: {e}");
                    Validation::Reject
                }
                Err(e @ checkpoint::VoteError::Store(_)) => return Err(fatal(e)),
            }
        };
        self.net.validate(id, source, verdict);
        Ok(())
    }

    /// Signs the newest final checkpoint (validators in its signing set)
    /// and retries the votes that arrived before their block was final.
    fn checkpoint_tick(&mut self) -> Result<(), ServiceError> {
        let k = self.cfg.checkpoint_interval;
        let finalized = {
            let node = self.lock()?;
            node.chain.db().finalized_height().map_err(fatal)?
        };
        let latest = finalized / k * k;
        if latest > self.checkpoint_done {
            self.checkpoint_done = latest;
            if let Some(keys) = self.cfg.keys.clone() {
                let vote = {
                    let node = self.lock()?;
                    checkpoint::sign(&node.chain, k, &keys, latest).map_err(fatal)?
                };
                if let Some(v) = vote {
                    tracing::info!(height = latest, "signed the finality checkpoint");
                    self.publish(Topic::Votes, v.to_bytes());
                }
            }
        }
        if self
            .early_checkpoints
            .iter()
            .any(|(v, _, _)| v.height <= finalized)
        {
            let (ready, wait): (Vec<_>, Vec<_>) = std::mem::take(&mut self.early_checkpoints)
                .into_iter()
                .partition(|(v, _, _)| v.height <= finalized);
            self.early_checkpoints = wait;
            for (v, id, source) in ready {
                self.on_checkpoint_vote(v, id, source)?;
            }
        }
        Ok(())
    }

    fn on_tick(&mut self) -> Result<(), ServiceError> {
        self.checkpoint_tick()?;
        // Announce transactions admitted through RPC (by txid; only the
        // new ones are encoded).
        let fresh: Vec<([u8; 32], Vec<u8>)> = {
            let node = self.lock()?;
            node.mempool
                .ids()
                .filter(|id| !self.announced.contains(*id))
                .filter_map(|id| node.mempool.get(id).map(|t| (*id, t.to_bytes())))
                .collect()
        };
        for (id, bytes) in fresh {
            self.announced.insert(id);
            self.publish(Topic::Transactions, bytes);
        }
        if self.announced.len() > 100_000 {
            self.announced.clear();
        }
        // Catch up when peers are ahead or the round is stuck.
        let stuck = self
            .round
            .as_ref()
            .map(|r| r.started.elapsed() > Duration::from_secs(5))
            .unwrap_or(true);
        if !self.syncing
            && (self.behind || stuck)
            && !self.peers.is_empty()
            && self.last_sync.elapsed() > Duration::from_millis(500)
        {
            self.last_sync = Instant::now();
            self.syncing = true;
            // Peers in turn, so a peer that cannot serve us (pruned, or
            // behind) is followed by another.
            self.sync_turn = self.sync_turn.wrapping_add(1);
            let i = self.sync_turn % self.peers.len();
            let peer = self.peers[i];
            let net = self.net.clone();
            let tx = self.internal_tx.clone();
            tokio::spawn(async move {
                let response = net
                    .request(peer, SyncRequest::Status.to_bytes())
                    .await
                    .ok()
                    .and_then(|b| SyncResponse::from_bytes(&b).ok());
                let _ = tx.send(Internal::Status { peer, response }).await;
            });
        }
        Ok(())
    }
}

/// Late or other-fork messages are ignored (maybe honest); forged ones are
/// rejected (the sender loses score).
fn verdict_for(e: &MessageError) -> Validation {
    match e {
        MessageError::WrongRound { .. } | MessageError::WrongPrevHash => Validation::Ignore,
        _ => Validation::Reject,
    }
}
