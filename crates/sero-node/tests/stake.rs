//! The stake registry through real blocks: registration, unbonding and the
//! delayed refund, one test per way to cheat, rollback; and the block seal
//! rules (proposer, licence, empty blocks, dev seals, genesis).

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sero_assets::Asset;
use sero_consensus::ba::ValidatorKeys;
use sero_crypto::Scalar;
use sero_keys::SecretKey;
use sero_ledger::block::{tx_root, Block, ProposerSeal, Seal};
use sero_ledger::builder::{build_transaction_with, register_action, Network, SpendableNote};
use sero_ledger::license::{LicenseConfig, LicenseError, LicenseIssuerSecret};
use sero_ledger::tx::PlainOutput;
use sero_ledger::{StakeAction, Transaction, TxError};
use sero_node::chain::genesis_block;
use sero_node::mempool::MempoolError;
use sero_node::registry::refund_memo_hash;
use sero_node::{
    genesis_config_hash, Chain, ChainConfig, ChainError, GenesisValidator, Mempool, RegistryError,
};
use sero_state::StateError;

mod common;
use common::{key, params, spendable};

/// What a refused block's error must look like.
type Expect = fn(&ChainError) -> bool;

/// Notes above u64::MAX, so a registration beyond the largest weight can be
/// built honestly.
const BIG: u128 = u64::MAX as u128 * 2;
/// Validator keys from a one-byte seed.
fn vkeys(i: u8) -> ValidatorKeys {
    ValidatorKeys::from_seed(&[i; 32])
}

/// The vote key of the validator the tests register.
fn vote_v() -> [u8; 32] {
    vkeys(1).vote_public().to_bytes()
}

fn genesis_validator() -> GenesisValidator {
    GenesisValidator {
        vote_key: vkeys(0xa0).vote_public().to_bytes(),
        vrf_key: vkeys(0xa0).vrf_public().to_bytes(),
        stake: 5000,
        refund: key(7)
            .payment_address()
            .derive_pkr_with(&Scalar::from(1u64)),
    }
}

fn open(dir: &std::path::Path, cfg: &ChainConfig) -> Chain {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let a = key(1).payment_address();
    let b = key(2).payment_address();
    let mut pkrs: Vec<_> = (0..7).map(|_| a.derive_pkr(&mut rng)).collect();
    pkrs.extend((0..2).map(|_| b.derive_pkr(&mut rng)));
    let c = cfg.clone();
    Chain::open(&dir.join("chain.redb"), params(), cfg.clone(), move || {
        let premine: Vec<_> = pkrs.iter().map(|p| (*p, BIG)).collect();
        genesis_block(&premine, &[genesis_validator()], 0, &c)
    })
    .unwrap()
}

fn stake(
    chain: &Chain,
    sk: &SecretKey,
    notes: &[SpendableNote],
    action: StakeAction,
    fee: u128,
    seed: u64,
) -> Transaction {
    build_transaction_with(
        Network {
            chain_id: chain.chain_id(),
            params: chain.params(),
        },
        sk,
        notes,
        vec![],
        fee,
        Some(action),
        &mut ChaCha20Rng::seed_from_u64(seed),
        &|_, _| {},
    )
    .unwrap()
}

/// A registration of `vkeys(i)` by `sk`, with its proof of possession.
fn register(chain: &Chain, sk: &SecretKey, i: u8, amount: u128) -> StakeAction {
    register_action(sk, &chain.chain_id(), &vkeys(i), amount)
}

fn miner() -> sero_keys::OneTimeAddress {
    key(9)
        .payment_address()
        .derive_pkr(&mut ChaCha20Rng::seed_from_u64(99))
}

/// Recomputes the tx root, note root and leaf count after a manual edit.
fn reseal(chain: &Chain, mut b: Block) -> Block {
    b.header.tx_root = tx_root(&b.coinbase, &b.txs);
    let mut f = chain.tree().clone();
    for cm in b.new_notes().unwrap() {
        let pos = f.len();
        f.append(sero_tree::cm_auth(pos, cm)).unwrap();
    }
    b.header.note_root = f.root();
    b.header.leaf_count = f.len();
    b
}

/// A dev block holding exactly `txs` (no filtering), coinbase paid right.
fn forced(chain: &Chain, txs: Vec<Transaction>) -> Block {
    let (h, _) = chain.tip();
    let mut b = chain
        .build_block(vec![], &miner(), h + 1, Seal::Dev)
        .unwrap();
    b.coinbase[0].asset.value += txs.iter().map(|t| t.fee).sum::<u128>();
    b.txs = txs;
    reseal(chain, b)
}

/// `apply_block` must fail and leave the tip and leaves alone.
fn refused(chain: &mut Chain, block: &Block, name: &str) -> ChainError {
    let tip = chain.tip();
    let leaves = chain.db().leaf_count().unwrap();
    let err = chain.apply_block(block).expect_err(name);
    eprintln!("{name}: {err}");
    assert_eq!(chain.tip(), tip, "{name}");
    assert_eq!(chain.db().leaf_count().unwrap(), leaves, "{name}");
    err
}

fn produce(chain: &mut Chain, txs: Vec<Transaction>) -> Block {
    let (h, _) = chain.tip();
    let b = chain.build_block(txs, &miner(), h + 1, Seal::Dev).unwrap();
    chain.apply_block(&b).unwrap();
    b
}

#[test]
fn stake_lifecycle_every_cheat_and_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = ChainConfig {
        min_stake: 100,
        unbond_delay: 2,
        ..ChainConfig::dev()
    };
    let (a, b) = (key(1), key(2));
    let mut chain = open(dir.path(), &cfg);
    assert_eq!(chain.validators().unwrap(), vec![genesis_validator()]);
    assert_eq!(chain.total_stake(), 5000);

    let na = spendable(&chain, &a);
    let nb = spendable(&chain, &b);
    assert_eq!((na.len(), nb.len()), (7, 2));
    let reg = stake(&chain, &a, &na[0..1], register(&chain, &a, 1, 500), 10, 1);
    let dup = stake(&chain, &a, &na[1..2], register(&chain, &a, 1, 700), 5, 2);
    let low = stake(&chain, &a, &na[2..3], register(&chain, &a, 4, 99), 10, 3);
    let huge = stake(
        &chain,
        &a,
        &na[3..4],
        register(&chain, &a, 4, u64::MAX as u128 + 1),
        10,
        4,
    );
    let unknown = stake(
        &chain,
        &a,
        &na[4..5],
        StakeAction::Unbond { vote_key: [9; 32] },
        10,
        5,
    );
    let stranger = stake(
        &chain,
        &b,
        &nb[0..1],
        StakeAction::Unbond { vote_key: vote_v() },
        10,
        6,
    );
    let again = stake(
        &chain,
        &a,
        &na[5..6],
        StakeAction::Unbond { vote_key: vote_v() },
        10,
        7,
    );
    let taken = stake(
        &chain,
        &b,
        &nb[1..2],
        register(&chain, &b, 0xa0, 500),
        10,
        8,
    );

    // Mempool admission applies the registry rules against the tip.
    let mut pool = Mempool::new(100);
    pool.admit(reg.clone(), &chain).unwrap();
    pool.admit(dup.clone(), &chain).unwrap();
    for (name, t) in [
        ("below min", &low),
        ("above u64", &huge),
        ("unknown", &unknown),
        ("taken key", &taken),
    ] {
        assert!(
            matches!(
                pool.admit(t.clone(), &chain),
                Err(MempoolError::Invalid(TxError::Stake(_)))
            ),
            "{name}"
        );
    }
    // Two actions for one vote key in one block.
    let both = forced(&chain, vec![reg.clone(), dup.clone()]);
    assert!(matches!(
        refused(&mut chain, &both, "two actions"),
        ChainError::Stake {
            index: 1,
            error: RegistryError::TwoActions(_)
        }
    ));
    // Each registry cheat in a block of its own.
    let cases: Vec<(&str, Transaction, Expect)> = vec![
        ("below min", low, |e| {
            matches!(
                e,
                ChainError::Stake {
                    error: RegistryError::BelowMinimum { .. },
                    ..
                }
            )
        }),
        // The registry's rule runs before the proofs (cheap checks first);
        // the stateless rule refuses the same amount in the mempool.
        ("above u64", huge, |e| {
            matches!(
                e,
                ChainError::Stake { .. }
                    | ChainError::Tx {
                        error: TxError::Stake(_),
                        ..
                    }
            )
        }),
        ("unknown key", unknown, |e| {
            matches!(
                e,
                ChainError::Stake {
                    error: RegistryError::UnknownValidator(_),
                    ..
                }
            )
        }),
        ("not the refund owner", stranger.clone(), |e| {
            matches!(
                e,
                ChainError::Stake {
                    error: RegistryError::UnknownValidator(_),
                    ..
                }
            )
        }),
        ("duplicate of a genesis key", taken, |e| {
            matches!(
                e,
                ChainError::Stake {
                    error: RegistryError::DuplicateVoteKey(_),
                    ..
                }
            )
        }),
    ];
    for (name, t, ok) in cases {
        let blk = forced(&chain, vec![t]);
        let e = refused(&mut chain, &blk, name);
        // The registry rules also run as the stateful check against the
        // parent's registry (`LedgerView::check_stake`), which may refuse
        // first with the same rule's message.
        let stateful = matches!(
            &e,
            ChainError::Tx {
                error: TxError::Stake(_),
                ..
            }
        );
        assert!(ok(&e) || stateful, "{name}: {e}");
    }

    // Block 1: the producer takes one of the two registrations (the
    // higher fee) and skips the other.
    let b1 = produce(&mut chain, pool.select(10));
    assert_eq!(b1.txs, vec![reg.clone()]);
    pool.prune(&chain);
    assert!(pool.is_empty(), "the second registration is now invalid");
    let v = GenesisValidator {
        vote_key: vote_v(),
        vrf_key: vkeys(1).vrf_public().to_bytes(),
        stake: 500,
        refund: reg.from,
    };
    let mut expected = vec![genesis_validator(), v.clone()];
    expected.sort_by_key(|x| x.vote_key);
    assert_eq!(chain.validators().unwrap(), expected);
    assert_eq!(chain.total_stake(), 5500);
    let rec = chain.db().validator(&vote_v()).unwrap().unwrap();
    assert_eq!((rec.registered_at, rec.unbond_at), (1, None));
    // Now a duplicate; and the stranger may not unbond it.
    let blk = forced(&chain, vec![dup]);
    assert!(matches!(
        refused(&mut chain, &blk, "duplicate"),
        ChainError::Stake {
            error: RegistryError::DuplicateVoteKey(_),
            ..
        } | ChainError::Tx {
            error: TxError::Stake(_),
            ..
        }
    ));
    let blk = forced(&chain, vec![stranger]);
    assert!(matches!(
        refused(&mut chain, &blk, "stranger unbonds"),
        ChainError::Stake {
            error: RegistryError::NotRefundOwner(_),
            ..
        } | ChainError::Tx {
            error: TxError::Stake(_),
            ..
        }
    ));

    // Snapshot after block 1, for the rollback.
    let after1 = (
        chain.tip(),
        chain.tree().root(),
        chain.registry().clone(),
        chain.db().stats().unwrap(),
        chain.db().all_validators().unwrap(),
    );

    // Block 2: the owner unbonds; a second unbond is refused.
    let na = spendable(&chain, &a);
    let unbond = stake(
        &chain,
        &a,
        &na[0..1],
        StakeAction::Unbond { vote_key: vote_v() },
        10,
        9,
    );
    let b2 = produce(&mut chain, vec![unbond.clone()]);
    assert_eq!(b2.txs.len(), 1);
    assert_eq!(chain.validators().unwrap(), vec![genesis_validator()]);
    assert_eq!(
        chain.db().validator(&vote_v()).unwrap().unwrap().unbond_at,
        Some(2)
    );
    let blk = forced(&chain, vec![again]);
    assert!(matches!(
        refused(&mut chain, &blk, "unbond twice"),
        ChainError::Stake {
            error: RegistryError::AlreadyUnbonding(_),
            ..
        } | ChainError::Tx {
            error: TxError::Stake(_),
            ..
        }
    ));

    // Block 3: nothing due yet (due from height 2 + 2); a refund paid early
    // is refused.
    let refund = PlainOutput {
        pkr: reg.from,
        asset: Asset::sero(500),
        memo_hash: refund_memo_hash(&vote_v()),
    };
    let mut early = chain.build_block(vec![], &miner(), 3, Seal::Dev).unwrap();
    assert_eq!(early.coinbase.len(), 1);
    early.coinbase.push(refund.clone());
    let early = reseal(&chain, early);
    assert!(matches!(
        refused(&mut chain, &early, "refund too early"),
        ChainError::Refund(_)
    ));
    let b3 = produce(&mut chain, vec![]);
    let tip3 = chain.tip();

    // Roll back blocks 2 and 3: the state after block 1, exactly.
    let unbond_nil = sero_crypto::curve::encode_base(&unbond.inputs[0].nil);
    assert_eq!(chain.db().nullifier_height(&unbond_nil).unwrap(), Some(2));
    chain.rollback_to(1).unwrap();
    assert_eq!(chain.tip(), after1.0);
    assert_eq!(chain.tree().root(), after1.1);
    assert_eq!(chain.registry(), &after1.2);
    assert_eq!(chain.db().stats().unwrap(), after1.3);
    assert_eq!(chain.db().all_validators().unwrap(), after1.4);
    assert_eq!(chain.db().nullifier_height(&unbond_nil).unwrap(), None);
    assert_eq!(chain.validators().unwrap(), expected);
    // The unbonding is valid again, and the same blocks re-apply.
    pool.admit(unbond.clone(), &chain).unwrap();
    chain.apply_block(&b2).unwrap();
    chain.apply_block(&b3).unwrap();
    assert_eq!(chain.tip(), tip3);
    // Finality bounds rollbacks.
    chain.db().set_finalized(2).unwrap();
    assert!(matches!(
        chain.rollback_to(1),
        Err(ChainError::State(StateError::RollbackBelowFinalized { .. }))
    ));
    assert_eq!(chain.tip(), tip3);

    // Block 4: an empty block carries no refund; one with contents is refused.
    let mut bad_empty = Block::empty(4, chain.tip_header());
    bad_empty.coinbase.push(refund.clone());
    let bad_empty = reseal(&chain, bad_empty);
    assert!(matches!(
        refused(&mut chain, &bad_empty, "empty with a refund"),
        ChainError::Seal(_)
    ));
    let empty = chain
        .build_block(vec![], &miner(), 99, Seal::Empty)
        .unwrap();
    assert_eq!(empty, Block::empty(4, chain.tip_header()));
    chain.apply_block(&empty).unwrap();
    assert!(!chain.db().validator(&vote_v()).unwrap().unwrap().released);

    // Block 5 must pay it, after the reward output.
    let good = chain.build_block(vec![], &miner(), 5, Seal::Dev).unwrap();
    assert_eq!(good.coinbase.len(), 2);
    assert_eq!(good.coinbase[1], refund);
    let mut cases: Vec<(&str, Block)> = vec![];
    let mut x = good.clone();
    x.coinbase.pop();
    cases.push(("refund missing", reseal(&chain, x)));
    let mut x = good.clone();
    x.coinbase[1].asset.value += 1;
    cases.push(("refund amount", reseal(&chain, x)));
    let mut x = good.clone();
    x.coinbase[1].pkr = miner();
    cases.push(("refund PKr", reseal(&chain, x)));
    let mut x = good.clone();
    x.coinbase.swap(0, 1);
    cases.push(("refund before the reward", reseal(&chain, x)));
    for (name, blk) in cases {
        assert!(
            matches!(refused(&mut chain, &blk, name), ChainError::Refund(_)),
            "{name}"
        );
    }
    let before: u128 = spendable(&chain, &a)
        .iter()
        .map(|n| n.note.asset.value)
        .sum();
    chain.apply_block(&good).unwrap();
    assert!(chain.db().validator(&vote_v()).unwrap().unwrap().released);
    let after: u128 = spendable(&chain, &a)
        .iter()
        .map(|n| n.note.asset.value)
        .sum();
    assert_eq!(after, before + 500, "the owner's wallet sees the refund");

    // Block 6: paying it twice is refused.
    let mut twice = chain.build_block(vec![], &miner(), 6, Seal::Dev).unwrap();
    assert_eq!(twice.coinbase.len(), 1);
    twice.coinbase.push(refund.clone());
    let twice = reseal(&chain, twice);
    assert!(matches!(
        refused(&mut chain, &twice, "refund twice"),
        ChainError::Refund(_)
    ));

    // Restart: the registry is read back.
    let reg_now = chain.registry().clone();
    drop(chain);
    let chain = open(dir.path(), &cfg);
    assert_eq!(chain.registry(), &reg_now);
    assert_eq!(chain.db().finalized_height().unwrap(), 2);
    drop(chain);
    // Reopening with another configuration is refused.
    let other = ChainConfig {
        min_stake: 101,
        ..cfg.clone()
    };
    let r = Chain::open(
        &dir.path().join("chain.redb"),
        params(),
        other.clone(),
        || genesis_block(&[], &[genesis_validator()], 0, &other),
    );
    assert!(matches!(r, Err(ChainError::Genesis(_))));
}

fn proposed(proposer: [u8; 32], license: Option<sero_ledger::license::License>) -> Seal {
    Seal::Proposed(ProposerSeal {
        proposer,
        seed_proof: [3; 80],
        credential: [4; 80],
        license,
        signature: [0; 64],
    })
}

#[test]
fn seals_licences_empty_blocks_seeds_and_genesis() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let issuer = LicenseIssuerSecret::generate(&mut rng);
    let cfg = ChainConfig {
        license: Some(LicenseConfig {
            issuer: issuer.public(),
            required_until: 3,
        }),
        ..ChainConfig::default()
    };
    let g = genesis_validator().vote_key;
    let mut chain = open(dir.path(), &cfg);
    assert_eq!(
        chain.seed(0).unwrap(),
        Some(chain.tip().1),
        "seed_0 = genesis hash"
    );
    let build = |chain: &Chain, seal: Seal| chain.build_block(vec![], &miner(), 10, seal).unwrap();

    let lic = issuer.issue(&g, 10, &mut rng);
    let cases: Vec<(&str, Seal, Expect)> = vec![
        ("dev seal off dev mode", Seal::Dev, |e| {
            matches!(e, ChainError::Seal(_))
        }),
        ("unknown proposer", proposed([0x55; 32], None), |e| {
            matches!(e, ChainError::Seal(_))
        }),
        ("no licence", proposed(g, None), |e| {
            matches!(e, ChainError::License(LicenseError::Missing { .. }))
        }),
        (
            "licence of another validator",
            proposed(g, Some(issuer.issue(&[0x55; 32], 10, &mut rng))),
            |e| matches!(e, ChainError::License(LicenseError::Invalid)),
        ),
        (
            "licence of another issuer",
            proposed(
                g,
                Some(LicenseIssuerSecret::generate(&mut rng).issue(&g, 10, &mut rng)),
            ),
            |e| matches!(e, ChainError::License(LicenseError::Invalid)),
        ),
        (
            "expired licence",
            proposed(g, Some(issuer.issue(&g, 0, &mut rng))),
            |e| matches!(e, ChainError::License(LicenseError::Expired { .. })),
        ),
        (
            "genesis seal",
            Seal::Genesis {
                config_hash: [0; 32],
            },
            |e| matches!(e, ChainError::Seal(_)),
        ),
    ];
    for (name, seal, ok) in cases {
        let mut b = build(&chain, proposed(g, Some(lic)));
        b.header.seal = seal;
        let e = refused(&mut chain, &b, name);
        assert!(ok(&e), "{name}: {e}");
    }
    // Block 1, licensed, with a seed and a certificate.
    let b1 = build(&chain, proposed(g, Some(lic)));
    chain
        .apply_block_with(&b1, [7; 32], b"cert".to_vec(), false)
        .unwrap();
    assert_eq!(chain.seed(1).unwrap(), Some([7; 32]));
    assert_eq!(chain.db().certificate(1).unwrap(), Some(b"cert".to_vec()));
    assert_eq!(chain.header(1).unwrap().unwrap(), b1.header);
    assert_eq!(chain.block(1).unwrap().unwrap(), b1);
    assert_eq!(chain.header(2).unwrap(), None);

    // Block 2: empty; its time must be the parent's, and it has no contents.
    let mut late = Block::empty(2, chain.tip_header());
    late.header.time += 1;
    assert!(matches!(
        refused(&mut chain, &late, "empty block, other time"),
        ChainError::Seal(_)
    ));
    let e2 = Block::empty(2, chain.tip_header());
    chain.apply_block(&e2).unwrap();
    assert_eq!(
        chain.seed(2).unwrap(),
        Some([7; 32]),
        "apply_block keeps the seed"
    );
    assert_eq!(chain.tip().1, e2.hash());

    // Block 3: time may not go back; build_block clamps it.
    let mut back = build(&chain, proposed(g, Some(lic)));
    back.header.time = b1.header.time - 1;
    assert!(matches!(
        refused(&mut chain, &back, "time going back"),
        ChainError::Seal(_)
    ));
    let b3 = chain
        .build_block(vec![], &miner(), 0, proposed(g, Some(lic)))
        .unwrap();
    assert_eq!(b3.header.time, b1.header.time);
    chain.apply_block(&b3).unwrap();

    // Block 4: past `required_until`, no licence needed.
    let b4 = build(&chain, proposed(g, None));
    chain.apply_block(&b4).unwrap();

    // Genesis: the seal commits to the configuration and the validators.
    let vs = [genesis_validator()];
    let h = genesis_config_hash(&cfg, &vs);
    assert_ne!(h, genesis_config_hash(&ChainConfig::default(), &vs));
    assert_ne!(h, genesis_config_hash(&cfg, &[]));
    let mut other = cfg.clone();
    other.genesis_extra = b"testnet-2".to_vec();
    assert_ne!(h, genesis_config_hash(&other, &vs));
    let two = [
        genesis_validator(),
        GenesisValidator {
            vote_key: [0x01; 32],
            ..genesis_validator()
        },
    ];
    let mut rev = two.clone();
    rev.reverse();
    assert_eq!(
        genesis_block(&[], &two, 0, &cfg).unwrap(),
        genesis_block(&[], &rev, 0, &cfg).unwrap(),
        "sorted by vote key"
    );
    let dup = [genesis_validator(), genesis_validator()];
    assert!(matches!(
        genesis_block(&[], &dup, 0, &cfg),
        Err(ChainError::Genesis(_))
    ));
    let zero = [GenesisValidator {
        stake: 0,
        ..genesis_validator()
    }];
    assert!(matches!(
        genesis_block(&[], &zero, 0, &cfg),
        Err(ChainError::Genesis(_))
    ));
    let overflow = [
        GenesisValidator {
            stake: u64::MAX,
            ..genesis_validator()
        },
        GenesisValidator {
            vote_key: [1; 32],
            stake: 1,
            ..genesis_validator()
        },
    ];
    assert!(matches!(
        genesis_block(&[], &overflow, 0, &cfg),
        Err(ChainError::Genesis(_))
    ));
    // A genesis made for another configuration is refused.
    let dir2 = tempfile::tempdir().unwrap();
    let r = Chain::open(&dir2.path().join("c.redb"), params(), cfg.clone(), || {
        genesis_block(&[], &vs, 0, &ChainConfig::default())
    });
    assert!(matches!(r, Err(ChainError::Genesis(_))));
    // The caller may choose seed_0.
    let c = Chain::open(&dir2.path().join("d.redb"), params(), cfg.clone(), || {
        let mut g = genesis_block(&[], &vs, 0, &cfg)?;
        g.seed = [0x5e; 32];
        Ok(g)
    })
    .unwrap();
    assert_eq!(c.seed(0).unwrap(), Some([0x5e; 32]));
    assert_eq!(c.validators().unwrap(), vs.to_vec());
}
