//! The genesis configuration shared by every node of a network: premined
//! notes, the validators that seed the stake registry, the consensus
//! parameters, the optional mining licence and the zk verifying-key hash.
//!
//! It is a JSON file (`genesis.json`). Its canonical binary encoding (not
//! the JSON text, so whitespace and key order do not matter) is the chain
//! configuration's `genesis_extra`, which the genesis seal's config hash
//! covers together with the validators and the licence rule (see
//! [`genesis_config_hash`](crate::chain::genesis_config_hash)): nodes started
//! from different configurations are on different chains, and since the
//! network's chain id is the genesis block hash, their gossip topics differ.
//!
//! ```text
//! extra = "SERO-genesis-v3" ‖ u8 dev (0|1) ‖ LE64(time) ‖ seed (32) ‖ vk_hash (32)
//!         ‖ LE32(n) ‖ n × (PKr (96) ‖ LE128(value))
//!         ‖ consensus params (9 × LE64: τ_proposer, τ_step, T_step‰, τ_final,
//!           T_final‰, MaxSteps, λ_proposal, λ_block, λ_step in ms)
//!         ‖ LE64(checkpoint_interval)
//! ```
//!
//! `checkpoint_interval` (`K`, default [`DEFAULT_CHECKPOINT_INTERVAL`]) is
//! the distance between finality checkpoints (`docs/protocol.md` §18.9):
//! the validators sign every `K`-th final block, which lets a new node
//! check a snapshot's header chain with one signature set per `K` blocks.
//!
//! The zk parameters are a file (`params`, a path relative to the genesis
//! file, or `sero node --params`) that the genesis names by its
//! verifying-key hash `vk_hash`. A genesis not marked `dev` refuses the
//! insecure development parameters ([`Genesis::check_params`]): with them
//! anyone can forge proofs and mint.

use crate::chain::{genesis_block, ChainConfig, ChainError, GenesisBlock};
use crate::registry::GenesisValidator;
use serde::{Deserialize, Serialize};
use sero_consensus::ba::BaParams;
use sero_keys::OneTimeAddress;
use sero_ledger::license::{LicenseConfig, LicenseIssuerPublic};
use sero_zk::params::{Parameters, DEV_VK_HASH, INSECURE_PARAMS_WARNING};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why a genesis file cannot be used.
#[derive(Debug, Error)]
pub enum GenesisError {
    #[error("cannot read {0}: {1}")]
    Io(String, std::io::Error),
    #[error("genesis file is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("genesis field {field}: {msg}")]
    Field { field: String, msg: String },
    #[error("refusing to run: {0}")]
    InsecureParams(String),
    #[error("zk parameters: {0}")]
    Params(String),
}

fn field(field: impl Into<String>, msg: impl std::fmt::Display) -> GenesisError {
    GenesisError::Field {
        field: field.into(),
        msg: msg.to_string(),
    }
}

/// A premined note.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PremineJson {
    /// The one-time address (base58 PKr).
    pub pkr: String,
    /// SERO, as a decimal string (values exceed JSON's exact integers).
    pub value: String,
}

/// A validator of the genesis stake registry.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ValidatorJson {
    /// The ed25519 vote key, hex.
    pub vote_key: String,
    /// The ristretto255 VRF key, hex.
    pub vrf_key: String,
    /// The stake weight.
    pub stake: u64,
    /// Where an unbonded stake is returned (base58 PKr).
    pub refund: String,
}

/// The mining licence section.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LicenseJson {
    /// The issuer's public key `(PK_zpk, PK_prop)`, hex (64 bytes).
    pub issuer: String,
    /// The last height at which a proposer needs a licence.
    pub required_until: u64,
}

/// The JSON genesis file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct GenesisJson {
    /// A human-readable network name (not hashed).
    pub name: String,
    /// Genesis time, unix seconds.
    pub time: u64,
    /// The initial round seed, hex (32 bytes).
    pub seed: String,
    /// A development network: only such a genesis may use the insecure
    /// development zk parameters. Absent means `false`.
    #[serde(default)]
    pub dev: bool,
    /// Hash of the zk verifying keys, hex: a node with other parameters
    /// refuses to start.
    pub vk_hash: String,
    /// The parameter file, relative to the genesis file (optional: `sero
    /// node --params` names it too; a dev genesis on the development
    /// parameters may omit it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<String>,
    pub premine: Vec<PremineJson>,
    pub validators: Vec<ValidatorJson>,
    pub consensus: BaParams,
    pub license: Option<LicenseJson>,
    /// Blocks between finality checkpoints (≥ 1; absent means
    /// [`DEFAULT_CHECKPOINT_INTERVAL`]).
    #[serde(default = "default_checkpoint_interval")]
    pub checkpoint_interval: u64,
    /// How many recent note-tree roots are valid anchors (1 to
    /// [`MAX_ANCHOR_WINDOW`]; absent means
    /// [`sero_tree::DEFAULT_ANCHOR_WINDOW`]). A chain rule: the genesis
    /// seal's config hash covers it.
    #[serde(default = "default_anchor_window")]
    pub anchor_window: u64,
}

/// The checkpoint interval of a genesis that names none.
pub const DEFAULT_CHECKPOINT_INTERVAL: u64 = 1000;

/// The largest anchor window a genesis may set: a validator keeps that
/// many roots (32 bytes each) and reads them in one range of its store
/// when it opens it (`sero_state::MAX_RANGE`).
pub const MAX_ANCHOR_WINDOW: u64 = sero_state::MAX_RANGE;

fn default_checkpoint_interval() -> u64 {
    DEFAULT_CHECKPOINT_INTERVAL
}

fn default_anchor_window() -> u64 {
    sero_tree::DEFAULT_ANCHOR_WINDOW as u64
}

/// A parsed, checked genesis configuration.
#[derive(Clone, Debug)]
pub struct Genesis {
    pub json: GenesisJson,
    pub dev: bool,
    pub time: u64,
    pub seed: [u8; 32],
    pub vk_hash: [u8; 32],
    pub premine: Vec<(OneTimeAddress, u128)>,
    pub validators: Vec<GenesisValidator>,
    pub consensus: BaParams,
    pub license: Option<LicenseConfig>,
    /// Blocks between finality checkpoints (module docs).
    pub checkpoint_interval: u64,
}

fn hex_n<const N: usize>(s: &str, what: &str) -> Result<[u8; N], GenesisError> {
    let v = hex::decode(s.strip_prefix("0x").unwrap_or(s)).map_err(|e| field(what, e))?;
    v.try_into()
        .map_err(|_| field(what, format!("expected {N} bytes")))
}

impl Genesis {
    /// Checks a JSON configuration.
    pub fn from_json(json: GenesisJson) -> Result<Genesis, GenesisError> {
        let seed = hex_n::<32>(&json.seed, "seed")?;
        let vk_hash = hex_n::<32>(&json.vk_hash, "vk_hash")?;
        if vk_hash == DEV_VK_HASH && !json.dev {
            return Err(GenesisError::InsecureParams(format!(
                "the genesis is not marked \"dev\" but names the development zk parameters \
                 (vk_hash {}); {INSECURE_PARAMS_WARNING}. A real network needs parameters from \
                 a multi-party ceremony; a development network sets \"dev\": true",
                hex::encode(vk_hash)
            )));
        }
        let mut premine = vec![];
        for (i, p) in json.premine.iter().enumerate() {
            let pkr: OneTimeAddress = p
                .pkr
                .parse()
                .map_err(|e| field(format!("premine[{i}].pkr"), e))?;
            let value: u128 = p
                .value
                .parse()
                .map_err(|e| field(format!("premine[{i}].value"), e))?;
            premine.push((pkr, value));
        }
        if premine.len() > sero_ledger::block::MAX_COINBASE_OUTPUTS {
            return Err(field(
                "premine",
                format!("at most {} notes", sero_ledger::block::MAX_COINBASE_OUTPUTS),
            ));
        }
        let mut validators = vec![];
        let mut total: u64 = 0;
        for (i, v) in json.validators.iter().enumerate() {
            let vote_key = hex_n::<32>(&v.vote_key, &format!("validators[{i}].vote_key"))?;
            sero_consensus::ba::VotePublicKey::from_bytes(&vote_key)
                .map_err(|e| field(format!("validators[{i}].vote_key"), e))?;
            let vrf_key = hex_n::<32>(&v.vrf_key, &format!("validators[{i}].vrf_key"))?;
            sero_consensus::VrfPublicKey::from_bytes(&vrf_key)
                .map_err(|e| field(format!("validators[{i}].vrf_key"), e))?;
            let refund: OneTimeAddress = v
                .refund
                .parse()
                .map_err(|e| field(format!("validators[{i}].refund"), e))?;
            if v.stake == 0 {
                return Err(field(format!("validators[{i}].stake"), "must be positive"));
            }
            total = total
                .checked_add(v.stake)
                .ok_or_else(|| field("validators", "total stake overflows u64"))?;
            if validators
                .iter()
                .any(|g: &GenesisValidator| g.vote_key == vote_key)
            {
                return Err(field(
                    format!("validators[{i}].vote_key"),
                    "duplicate vote key",
                ));
            }
            validators.push(GenesisValidator {
                vote_key,
                vrf_key,
                stake: v.stake,
                refund,
            });
        }
        if validators.is_empty() {
            return Err(field("validators", "at least one validator is needed"));
        }
        let consensus = json.consensus;
        consensus.validate().map_err(|e| field("consensus", e))?;
        if json.checkpoint_interval == 0 {
            return Err(field("checkpoint_interval", "must be at least 1"));
        }
        if !(1..=MAX_ANCHOR_WINDOW).contains(&json.anchor_window) {
            return Err(field(
                "anchor_window",
                format!("must be 1 to {MAX_ANCHOR_WINDOW}"),
            ));
        }
        let license = match &json.license {
            None => None,
            Some(l) => {
                let issuer = hex::decode(&l.issuer).map_err(|e| field("license.issuer", e))?;
                let issuer = LicenseIssuerPublic::from_bytes(&issuer)
                    .map_err(|e| field("license.issuer", e))?;
                Some(LicenseConfig {
                    issuer,
                    required_until: l.required_until,
                })
            }
        };
        Ok(Genesis {
            dev: json.dev,
            time: json.time,
            seed,
            vk_hash,
            premine,
            validators,
            consensus,
            license,
            checkpoint_interval: json.checkpoint_interval,
            json,
        })
    }

    /// Reads and checks `genesis.json`.
    pub fn load(path: &Path) -> Result<Genesis, GenesisError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| GenesisError::Io(path.display().to_string(), e))?;
        Genesis::parse(&text)
    }

    /// Parses and checks the text of a genesis file (what [`Genesis::load`]
    /// does after reading it). Never panics.
    pub fn parse(text: &str) -> Result<Genesis, GenesisError> {
        Genesis::from_json(serde_json::from_str(text)?)
    }

    /// The canonical encoding (module docs).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut b = b"SERO-genesis-v3".to_vec();
        b.push(self.dev as u8);
        b.extend_from_slice(&self.time.to_le_bytes());
        b.extend_from_slice(&self.seed);
        b.extend_from_slice(&self.vk_hash);
        b.extend_from_slice(&(self.premine.len() as u32).to_le_bytes());
        for (pkr, v) in &self.premine {
            b.extend_from_slice(&pkr.to_bytes());
            b.extend_from_slice(&v.to_le_bytes());
        }
        let c = &self.consensus;
        for x in [
            c.tau_proposer,
            c.tau_step,
            c.t_step_permille,
            c.tau_final,
            c.t_final_permille,
            c.max_steps as u64,
            c.lambda_proposal_ms,
            c.lambda_block_ms,
            c.lambda_step_ms,
        ] {
            b.extend_from_slice(&x.to_le_bytes());
        }
        b.extend_from_slice(&self.checkpoint_interval.to_le_bytes());
        b
    }

    /// Checks that `params` are the ones this genesis names and that a
    /// network not marked `dev` does not run on insecure parameters.
    pub fn check_params(&self, params: &Parameters) -> Result<(), GenesisError> {
        let got = params.vk_hash();
        if got != self.vk_hash {
            return Err(GenesisError::Params(format!(
                "the parameters have vk hash {}, the genesis names {}",
                hex::encode(got),
                hex::encode(self.vk_hash)
            )));
        }
        if params.is_insecure() && !self.dev {
            return Err(GenesisError::InsecureParams(format!(
                "the genesis is not marked \"dev\"; {INSECURE_PARAMS_WARNING}"
            )));
        }
        Ok(())
    }

    /// The parameter file to load: `explicit` (`--params`), else the
    /// genesis's `params` relative to `genesis_path`'s directory. `None`
    /// when neither names one.
    pub fn params_path(&self, genesis_path: &Path, explicit: Option<&Path>) -> Option<PathBuf> {
        if let Some(p) = explicit {
            return Some(p.to_path_buf());
        }
        let rel = self.json.params.as_ref()?;
        let dir = genesis_path.parent().unwrap_or(Path::new("."));
        Some(dir.join(rel))
    }

    /// Loads and checks this network's parameters: the file
    /// [`Genesis::params_path`] names, or, for a `dev` genesis on the
    /// development parameters without a file, the development parameters
    /// regenerated from their public seed.
    pub fn load_params(
        &self,
        genesis_path: &Path,
        explicit: Option<&Path>,
    ) -> Result<Parameters, GenesisError> {
        let params = match self.params_path(genesis_path, explicit) {
            Some(path) => Parameters::load_checked(&path, &self.vk_hash)
                .map_err(|e| GenesisError::Params(e.to_string()))?,
            None if self.dev && self.vk_hash == DEV_VK_HASH => {
                Parameters::generate_insecure(sero_zk::params::DEV_SEED)
                    .map_err(|e| GenesisError::Params(e.to_string()))?
            }
            None => {
                return Err(GenesisError::Params(format!(
                    "the genesis names parameters with vk hash {} but no file: set \"params\" in \
                     the genesis or pass --params FILE",
                    hex::encode(self.vk_hash)
                )))
            }
        };
        self.check_params(&params)?;
        Ok(params)
    }

    /// The chain configuration of this network.
    pub fn chain_config(&self) -> ChainConfig {
        ChainConfig {
            license: self.license,
            anchor_window: self.json.anchor_window as usize,
            genesis_extra: self.canonical_bytes(),
            ..ChainConfig::default()
        }
    }

    /// The genesis block, with the configured `seed_0`.
    pub fn block(&self) -> Result<GenesisBlock, ChainError> {
        let mut g = genesis_block(
            &self.premine,
            &self.validators,
            self.time,
            &self.chain_config(),
        )?;
        g.seed = self.seed;
        Ok(g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sero_consensus::ba::ValidatorKeys;
    use sero_keys::{SecretKey, Seed};

    fn sample() -> GenesisJson {
        let pk = SecretKey::from_seed(&Seed::from_bytes([5; 32])).payment_address();
        let pkr = |i: u64| {
            pk.derive_pkr_with(&sero_crypto::Scalar::from(i))
                .to_string()
        };
        let validators = (1..=3u8)
            .map(|i| {
                let k = ValidatorKeys::from_seed(&[i; 32]);
                ValidatorJson {
                    vote_key: hex::encode(k.vote.public_key().to_bytes()),
                    vrf_key: hex::encode(k.vrf.public_key().to_bytes()),
                    stake: 1000,
                    refund: pkr(100 + i as u64),
                }
            })
            .collect();
        GenesisJson {
            name: "t".into(),
            time: 1,
            seed: hex::encode([7u8; 32]),
            dev: false,
            vk_hash: hex::encode([8u8; 32]),
            params: None,
            premine: vec![PremineJson {
                pkr: pkr(1),
                value: "1000000".into(),
            }],
            validators,
            consensus: BaParams::devnet(),
            license: None,
            checkpoint_interval: 7,
            anchor_window: 100,
        }
    }

    #[test]
    fn a_valid_file_parses_and_its_encoding_covers_every_field() {
        let g = Genesis::from_json(sample()).unwrap();
        assert_eq!(g.validators.len(), 3);
        assert_eq!(g.seed, [7; 32]);
        // The JSON round-trips, and every hashed field changes the encoding.
        let text = serde_json::to_string(&g.json).unwrap();
        let again = Genesis::from_json(serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(again.canonical_bytes(), g.canonical_bytes());
        let mut j = sample();
        j.seed = hex::encode([6u8; 32]);
        assert_ne!(
            Genesis::from_json(j).unwrap().canonical_bytes(),
            g.canonical_bytes()
        );
        let mut j = sample();
        j.consensus.lambda_step_ms += 1;
        assert_ne!(
            Genesis::from_json(j).unwrap().canonical_bytes(),
            g.canonical_bytes()
        );
        let mut j = sample();
        j.checkpoint_interval = 8;
        assert_ne!(
            Genesis::from_json(j).unwrap().canonical_bytes(),
            g.canonical_bytes()
        );
        // Absent from the JSON: the default.
        let mut v = serde_json::to_value(sample()).unwrap();
        v.as_object_mut().unwrap().remove("checkpoint_interval");
        let d = Genesis::from_json(serde_json::from_value(v).unwrap()).unwrap();
        assert_eq!(d.checkpoint_interval, DEFAULT_CHECKPOINT_INTERVAL);
        let mut j = sample();
        j.dev = true;
        assert_ne!(
            Genesis::from_json(j).unwrap().canonical_bytes(),
            g.canonical_bytes()
        );
        let mut j = sample();
        j.premine[0].value = "1000001".into();
        assert_ne!(
            Genesis::from_json(j).unwrap().canonical_bytes(),
            g.canonical_bytes()
        );
    }

    #[test]
    fn the_anchor_window_is_a_chain_rule_with_a_default() {
        let g = Genesis::from_json(sample()).unwrap();
        assert_eq!(g.chain_config().anchor_window, 100);
        let mut j = sample();
        j.anchor_window = 4096;
        let wide = Genesis::from_json(j).unwrap();
        assert_eq!(wide.chain_config().anchor_window, 4096);
        // Another window is another chain: the genesis seal differs.
        assert_ne!(
            wide.block().unwrap().block.hash(),
            g.block().unwrap().block.hash()
        );
        // Absent from the JSON: the default window, the same chain.
        let mut v = serde_json::to_value(sample()).unwrap();
        v.as_object_mut().unwrap().remove("anchor_window");
        let d = Genesis::from_json(serde_json::from_value(v).unwrap()).unwrap();
        assert_eq!(
            d.chain_config().anchor_window,
            sero_tree::DEFAULT_ANCHOR_WINDOW
        );
        assert_eq!(
            d.block().unwrap().block.hash(),
            g.block().unwrap().block.hash()
        );
    }

    #[test]
    fn bad_fields_are_named_errors() {
        type Edit = Box<dyn Fn(&mut GenesisJson)>;
        let cases: Vec<(&str, Edit)> = vec![
            ("seed", Box::new(|j| j.seed = "zz".into())),
            (
                "checkpoint_interval",
                Box::new(|j| j.checkpoint_interval = 0),
            ),
            ("anchor_window", Box::new(|j| j.anchor_window = 0)),
            (
                "anchor_window",
                Box::new(|j| j.anchor_window = MAX_ANCHOR_WINDOW + 1),
            ),
            ("vk_hash", Box::new(|j| j.vk_hash = "00".into())),
            (
                "premine[0].pkr",
                Box::new(|j| j.premine[0].pkr = "x".into()),
            ),
            (
                "premine[0].value",
                Box::new(|j| j.premine[0].value = "-1".into()),
            ),
            (
                "validators[0].vote_key",
                Box::new(|j| j.validators[0].vote_key = hex::encode([0u8; 32])),
            ),
            (
                "validators[0].vrf_key",
                Box::new(|j| j.validators[0].vrf_key = "ab".into()),
            ),
            (
                "validators[0].refund",
                Box::new(|j| j.validators[0].refund = "x".into()),
            ),
            (
                "validators[0].stake",
                Box::new(|j| j.validators[0].stake = 0),
            ),
            (
                "validators[1].vote_key",
                Box::new(|j| j.validators[1].vote_key = j.validators[0].vote_key.clone()),
            ),
            ("validators", Box::new(|j| j.validators.clear())),
            (
                "validators",
                Box::new(|j| {
                    j.validators[0].stake = u64::MAX;
                    j.validators[1].stake = u64::MAX;
                }),
            ),
            ("consensus", Box::new(|j| j.consensus.t_step_permille = 400)),
            (
                "license.issuer",
                Box::new(|j| {
                    j.license = Some(LicenseJson {
                        issuer: "00".into(),
                        required_until: 5,
                    })
                }),
            ),
        ];
        for (name, f) in cases {
            let mut j = sample();
            f(&mut j);
            match Genesis::from_json(j) {
                Err(GenesisError::Field { field, .. }) => assert_eq!(field, name),
                other => panic!("{name}: {other:?}"),
            }
        }
        assert!(matches!(
            serde_json::from_str::<GenesisJson>("{").map_err(GenesisError::from),
            Err(GenesisError::Json(_))
        ));
    }

    #[test]
    fn a_genesis_not_marked_dev_refuses_the_development_parameters() {
        // Named by hash in the file: refused before anything is loaded.
        let mut j = sample();
        j.vk_hash = hex::encode(DEV_VK_HASH);
        let e = Genesis::from_json(j.clone()).unwrap_err();
        assert!(matches!(e, GenesisError::InsecureParams(_)), "{e}");
        assert!(e.to_string().contains("INSECURE"), "{e}");
        // Marked dev, the same genesis runs on them, with or without a file.
        j.dev = true;
        let g = Genesis::from_json(j).unwrap();
        let params = g.load_params(Path::new("genesis.json"), None).unwrap();
        assert!(params.is_insecure());
        g.check_params(&params).unwrap();
        // Insecure parameters under another hash (a seed-derived set whose
        // file says so) are refused by a non-dev genesis too.
        let mut other = params.clone();
        std::mem::swap(&mut other.input, &mut other.output);
        let mut j = sample();
        j.vk_hash = hex::encode(other.vk_hash());
        let g = Genesis::from_json(j).unwrap();
        assert!(matches!(
            g.check_params(&other),
            Err(GenesisError::InsecureParams(_))
        ));
        // Parameters with another hash than the genesis names are refused.
        assert!(matches!(
            Genesis::from_json(sample()).unwrap().check_params(&params),
            Err(GenesisError::Params(_))
        ));
        // A non-dev genesis without a parameter file is a clear error.
        let e = Genesis::from_json(sample())
            .unwrap()
            .load_params(Path::new("genesis.json"), None)
            .unwrap_err();
        assert!(e.to_string().contains("--params"), "{e}");
    }

    #[test]
    fn the_parameter_file_is_found_next_to_the_genesis_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let params = Parameters::dev();
        let file = dir.path().join("params.bin");
        params.write(std::fs::File::create(&file).unwrap()).unwrap();
        let mut j = sample();
        j.dev = true;
        j.vk_hash = hex::encode(DEV_VK_HASH);
        j.params = Some("params.bin".into());
        let g = Genesis::from_json(j).unwrap();
        let gpath = dir.path().join("genesis.json");
        assert_eq!(g.params_path(&gpath, None).unwrap(), file);
        let loaded = g.load_params(&gpath, None).unwrap();
        assert_eq!(loaded.vk_hash(), DEV_VK_HASH);
        // A damaged file is refused with the reason.
        let mut bytes = std::fs::read(&file).unwrap();
        bytes.truncate(bytes.len() - 1);
        std::fs::write(&file, bytes).unwrap();
        let e = g.load_params(&gpath, None).unwrap_err();
        assert!(e.to_string().contains("params.bin"), "{e}");
    }
}
