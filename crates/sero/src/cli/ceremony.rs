//! `sero ceremony`: the trusted-setup ceremony (crate `sero-ceremony`,
//! `docs/ceremony.md`). Phase 1 (Powers of Tau) and phase 2 (per circuit):
//! create, contribute, beacon, verify; export the parameter file a genesis
//! names by its vk hash. This module does the file IO and the progress
//! bars; the crate does the rest.

use crate::output::{fail, CliError, Report};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use rand_core::{OsRng, RngCore};
use serde_json::json;
use sero_ceremony::phase1::Verified;
use sero_ceremony::phase2::{self, Phase2};
use sero_ceremony::{
    format_hash, participant_rng, CeremonyError, Circuit, Phase1, Progress, Source,
};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

#[derive(Args)]
#[command(
    after_help = "Exit codes: 0 success or a transcript that verifies; 1 a transcript that does \
not verify or a failed operation; 2 malformed arguments. See docs/ceremony.md."
)]
pub struct CeremonyArgs {
    /// No progress bars.
    #[arg(long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Phase,
}

#[derive(Subcommand)]
enum Phase {
    /// Phase 1: Powers of Tau (circuit independent).
    #[command(subcommand)]
    Phase1(Phase1Cmd),
    /// Phase 2: the proving and verifying keys of one circuit.
    #[command(subcommand)]
    Phase2(Phase2Cmd),
    /// Write a circuit's constraint system as a circom/snarkjs .r1cs file.
    R1cs {
        #[arg(long, value_parser = parse_circuit)]
        circuit: Circuit,
        /// Where to write the .r1cs file (must not exist).
        output: PathBuf,
    },
}

#[derive(Args)]
struct ContributeArgs {
    /// The transcript to contribute to.
    input: PathBuf,
    /// Where to write the new transcript (must not exist).
    output: PathBuf,
    /// A public label for your contribution (a name, a handle).
    #[arg(long, default_value = "")]
    name: String,
    /// Also ask for typed random text, mixed with the operating system's
    /// randomness.
    #[arg(long)]
    entropy: bool,
}

#[derive(Args)]
struct BeaconArgs {
    /// The transcript to apply the beacon to.
    input: PathBuf,
    /// Where to write the new transcript (must not exist).
    output: PathBuf,
    /// The beacon value, hex (e.g. the hash of a block announced in
    /// advance).
    #[arg(long, value_name = "HEX", value_parser = parse_hex)]
    value: HexBytes,
    /// The value is hashed 2^N times.
    #[arg(long, value_name = "N", default_value_t = 10)]
    iterations_exp: u8,
}

#[derive(Subcommand)]
enum Phase1Cmd {
    /// Start a phase 1 of power K (circuits up to 2^(K-1) constraints).
    New {
        #[arg(long, value_name = "K")]
        power: u32,
        /// Where to write the transcript (must not exist).
        output: PathBuf,
    },
    /// Contribute secret randomness; prints the contribution hash to publish.
    Contribute(ContributeArgs),
    /// Apply a public random beacon (the last step).
    Beacon(BeaconArgs),
    /// Verify every contribution and the final powers.
    Verify { transcript: PathBuf },
    /// Write the powers as a prepared snarkjs `.ptau` (with the Lagrange
    /// sections), for `snarkjs zkey verify` of a phase 2 made from them.
    /// Its contribution section is empty: `phase1 verify` checks ours.
    Ptau {
        transcript: PathBuf,
        /// Where to write the .ptau (must not exist).
        output: PathBuf,
    },
    /// Start from a snarkjs Powers of Tau (.ptau over bn128, e.g. a public
    /// one), truncated to power K; contributions then continue on it.
    Import {
        #[arg(long, value_name = "K")]
        power: u32,
        /// The .ptau file.
        ptau: PathBuf,
        /// Where to write the phase 1 transcript (must not exist).
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum Phase2Cmd {
    /// Start phase 2 of a circuit from a phase 1 transcript (verified first).
    New {
        #[arg(long, value_parser = parse_circuit)]
        circuit: Circuit,
        /// The final phase 1 transcript.
        phase1: PathBuf,
        /// Where to write the phase 2 transcript (must not exist).
        output: PathBuf,
        /// Do not verify the phase 1 transcript first.
        #[arg(long)]
        skip_phase1_verify: bool,
    },
    /// Contribute secret randomness; prints the contribution hash to publish.
    Contribute(ContributeArgs),
    /// Apply a public random beacon (the last step).
    Beacon(BeaconArgs),
    /// Verify a phase 2 transcript against our circuit and the phase 1.
    Verify {
        /// The phase 1 transcript it starts from.
        #[arg(long)]
        phase1: PathBuf,
        transcript: PathBuf,
    },
    /// Write a phase 2 transcript as a snarkjs `.zkey` (the key and every
    /// contribution), so that anyone can check it with `snarkjs zkey verify
    /// CIRCUIT.r1cs PHASE1.ptau FILE.zkey` (`sero ceremony r1cs` writes the
    /// .r1cs; the .ptau is the one phase 1 was imported from).
    Zkey {
        transcript: PathBuf,
        /// Where to write the .zkey (must not exist).
        output: PathBuf,
    },
    /// Verify both circuits' transcripts and write DIR/params.bin, the
    /// parameter file whose vk hash a genesis pins.
    Export {
        /// The phase 1 transcript both start from.
        #[arg(long)]
        phase1: PathBuf,
        /// The output circuit's final transcript.
        output_transcript: PathBuf,
        /// The input circuit's final transcript.
        input_transcript: PathBuf,
        /// The directory to write params.bin into.
        dir: PathBuf,
    },
}

/// Bytes given in hex on the command line.
#[derive(Clone)]
struct HexBytes(Vec<u8>);

fn parse_hex(s: &str) -> Result<HexBytes, String> {
    let b = hex::decode(s.trim_start_matches("0x")).map_err(|e| format!("not hex: {e}"))?;
    if b.is_empty() || b.len() > 1024 {
        return Err("between 1 and 1024 bytes".into());
    }
    Ok(HexBytes(b))
}

fn parse_circuit(s: &str) -> Result<Circuit, String> {
    Circuit::parse(s).ok_or_else(|| format!("{s:?}: expected output or input"))
}

fn ceremony_err(e: CeremonyError) -> CliError {
    match e {
        CeremonyError::Usage(m) => CliError::Usage(m),
        e => CliError::Failed(e.to_string()),
    }
}

/// Progress bars on stderr, one per stage.
struct Bars {
    quiet: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Bars {
    fn new(quiet: bool) -> Self {
        Bars {
            quiet,
            bar: Mutex::new(None),
        }
    }
    fn finish(&self) {
        if let Some(b) = self.bar.lock().expect("lock").take() {
            b.finish();
        }
    }
}

impl Progress for Bars {
    fn begin(&self, stage: &str, total: u64) {
        let mut g = self.bar.lock().expect("lock");
        if let Some(b) = g.take() {
            b.finish();
        }
        if self.quiet {
            return;
        }
        let b = ProgressBar::new(total);
        b.set_style(
            ProgressStyle::with_template("{msg:>24} [{bar:30}] {pos}/{len} {elapsed}")
                .expect("template")
                .progress_chars("=> "),
        );
        b.set_message(stage.to_string());
        *g = Some(b);
    }
    fn advance(&self, units: u64) {
        if let Some(b) = self.bar.lock().expect("lock").as_ref() {
            b.inc(units);
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| fail(format!("cannot read {}: {e}", path.display())))
}

fn read_phase1(path: &Path) -> Result<Phase1, CliError> {
    Phase1::from_bytes(&read(path)?).map_err(|e| fail(format!("{}: {e}", path.display())))
}

fn read_phase2(path: &Path) -> Result<Phase2, CliError> {
    Phase2::from_bytes(&read(path)?).map_err(|e| fail(format!("{}: {e}", path.display())))
}

/// Writes `bytes` to a new file (through a temporary file and a rename).
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    if path.exists() {
        return Err(fail(format!(
            "{} exists: choose a new file",
            path.display()
        )));
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| fail(format!("cannot write {}: {e}", path.display())))
}

/// Operating-system randomness, plus typed text if asked for.
fn contributor_rng(entropy: bool) -> Result<rand_chacha::ChaCha20Rng, CliError> {
    let mut os = [0u8; 32];
    OsRng.fill_bytes(&mut os);
    let typed = if entropy {
        rpassword::prompt_password("Type some random text (not echoed), then Enter: ")
            .map_err(|e| fail(format!("cannot read the typed entropy: {e}")))?
    } else {
        String::new()
    };
    let rng = participant_rng(&os, typed.as_bytes());
    zeroize::Zeroize::zeroize(&mut os);
    Ok(rng)
}

fn verified_json(v: &[Verified]) -> serde_json::Value {
    json!(v
        .iter()
        .map(|c| json!({
            "index": c.index,
            "name": c.name,
            "beacon": matches!(c.source, Source::Beacon { .. }),
            "hash": hex::encode(c.hash),
        }))
        .collect::<Vec<_>>())
}

fn verified_human(v: &[Verified]) -> String {
    v.iter()
        .map(|c| {
            let kind = match &c.source {
                Source::Participant => String::new(),
                Source::Beacon {
                    value,
                    iterations_exp,
                } => format!(
                    " [beacon {} hashed 2^{iterations_exp} times]",
                    hex::encode(value)
                ),
                Source::Imported { file_hash } => format!(
                    " [snarkjs ptau {}: check its contributions with `snarkjs powersoftau verify`]",
                    hex::encode(file_hash)
                ),
            };
            format!(
                "  #{} {:?}{kind}\n     {}",
                c.index,
                c.name,
                format_hash(&c.hash)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn contributed(what: &str, path: &Path, hash: [u8; 32], index: usize, secs: f64) -> Report {
    Report::new(
        format!(
            "{what} #{index} written to {}\nYour contribution hash (publish it):\n  {}\n({secs:.1} s)",
            path.display(),
            format_hash(&hash)
        ),
        json!({
            "output": path.display().to_string(),
            "index": index,
            "contribution_hash": hex::encode(hash),
            "seconds": secs,
        }),
    )
}

pub fn run(args: CeremonyArgs) -> Result<Report, CliError> {
    let bars = Bars::new(args.quiet);
    let r = run_inner(args.command, &bars);
    bars.finish();
    r
}

fn run_inner(cmd: Phase, bars: &Bars) -> Result<Report, CliError> {
    let start = Instant::now();
    let secs = || start.elapsed().as_secs_f64();
    match cmd {
        Phase::Phase1(Phase1Cmd::New { power, output }) => {
            let p = Phase1::new(power).map_err(ceremony_err)?;
            write_new(&output, &p.to_bytes())?;
            Ok(Report::new(
                format!(
                    "phase 1 of power {power} (circuits up to 2^{} constraints) written to {}",
                    power.saturating_sub(1),
                    output.display()
                ),
                json!({"output": output.display().to_string(), "power": power}),
            ))
        }
        Phase::R1cs { circuit, output } => {
            let r1cs = circuit.r1cs().map_err(ceremony_err)?;
            write_new(&output, &sero_ceremony::snarkjs::r1cs_bytes(&r1cs))?;
            Ok(Report::new(
                format!(
                    "{} circuit: {} constraints, {} wires, {} public inputs written to {}",
                    circuit.name(),
                    r1cs.num_constraints,
                    r1cs.num_variables(),
                    r1cs.num_instance - 1,
                    output.display()
                ),
                json!({
                    "output": output.display().to_string(),
                    "constraints": r1cs.num_constraints,
                    "wires": r1cs.num_variables(),
                    "public_inputs": r1cs.num_instance - 1,
                }),
            ))
        }
        Phase::Phase1(Phase1Cmd::Import {
            power,
            ptau,
            output,
        }) => {
            let p = Phase1::import_ptau(&read(&ptau)?, power)
                .map_err(|e| fail(format!("{}: {e}", ptau.display())))?;
            write_new(&output, &p.to_bytes())?;
            let h = p.chain_hash();
            Ok(contributed(
                "phase 1 import of a snarkjs ptau",
                &output,
                h,
                1,
                secs(),
            ))
        }
        Phase::Phase1(Phase1Cmd::Contribute(a)) => {
            let mut p = read_phase1(&a.input)?;
            let mut rng = contributor_rng(a.entropy)?;
            let h = p
                .contribute(&a.name, &mut rng, bars)
                .map_err(ceremony_err)?;
            write_new(&a.output, &p.to_bytes())?;
            Ok(contributed(
                "phase 1 contribution",
                &a.output,
                h,
                p.contributions.len(),
                secs(),
            ))
        }
        Phase::Phase1(Phase1Cmd::Beacon(a)) => {
            let mut p = read_phase1(&a.input)?;
            let h = p
                .beacon(&a.value.0, a.iterations_exp, bars)
                .map_err(ceremony_err)?;
            write_new(&a.output, &p.to_bytes())?;
            Ok(contributed(
                "phase 1 beacon",
                &a.output,
                h,
                p.contributions.len(),
                secs(),
            ))
        }
        Phase::Phase1(Phase1Cmd::Ptau { transcript, output }) => {
            let p = read_phase1(&transcript)?;
            let bytes = sero_ceremony::snarkjs::ptau_bytes(&p.accumulator);
            write_new(&output, &bytes)?;
            Ok(Report::new(
                format!(
                    "phase 1 of power {} written to {} for snarkjs ({} bytes)",
                    p.power(),
                    output.display(),
                    bytes.len()
                ),
                json!({
                    "output": output.display().to_string(),
                    "power": p.power(),
                    "bytes": bytes.len(),
                }),
            ))
        }
        Phase::Phase1(Phase1Cmd::Verify { transcript }) => {
            let p = read_phase1(&transcript)?;
            let v = p.verify(&mut OsRng, bars).map_err(ceremony_err)?;
            let warn = if v.is_empty() {
                "\nWARNING: no contributions: these powers are the generators, not secure"
            } else {
                ""
            };
            Ok(Report::new(
                format!(
                    "phase 1 of power {} verifies: {} contributions\n{}\ntranscript hash {}{warn}",
                    p.power(),
                    v.len(),
                    verified_human(&v),
                    format_hash(&p.chain_hash())
                ),
                json!({
                    "valid": true,
                    "power": p.power(),
                    "contributions": verified_json(&v),
                    "transcript_hash": hex::encode(p.chain_hash()),
                    "seconds": secs(),
                }),
            ))
        }
        Phase::Phase2(Phase2Cmd::New {
            circuit,
            phase1,
            output,
            skip_phase1_verify,
        }) => {
            let p1 = read_phase1(&phase1)?;
            if !skip_phase1_verify {
                p1.verify(&mut OsRng, bars).map_err(ceremony_err)?;
            }
            let r1cs = circuit.r1cs().map_err(ceremony_err)?;
            let p2 = Phase2::new(circuit, &r1cs, &p1, bars).map_err(ceremony_err)?;
            write_new(&output, &p2.to_bytes())?;
            Ok(Report::new(
                format!(
                    "phase 2 of the {} circuit ({} constraints, domain {}) written to {}",
                    circuit.name(),
                    r1cs.num_constraints,
                    r1cs.domain_size(),
                    output.display()
                ),
                json!({
                    "output": output.display().to_string(),
                    "circuit": circuit.name(),
                    "constraints": r1cs.num_constraints,
                    "seconds": secs(),
                }),
            ))
        }
        Phase::Phase2(Phase2Cmd::Contribute(a)) => {
            let mut p = read_phase2(&a.input)?;
            let mut rng = contributor_rng(a.entropy)?;
            let h = p
                .contribute(&a.name, &mut rng, bars)
                .map_err(ceremony_err)?;
            write_new(&a.output, &p.to_bytes())?;
            let what = format!("phase 2 ({}) contribution", p.circuit.name());
            Ok(contributed(
                &what,
                &a.output,
                h,
                p.contributions.len(),
                secs(),
            ))
        }
        Phase::Phase2(Phase2Cmd::Beacon(a)) => {
            let mut p = read_phase2(&a.input)?;
            let h = p
                .beacon(&a.value.0, a.iterations_exp, bars)
                .map_err(ceremony_err)?;
            write_new(&a.output, &p.to_bytes())?;
            let what = format!("phase 2 ({}) beacon", p.circuit.name());
            Ok(contributed(
                &what,
                &a.output,
                h,
                p.contributions.len(),
                secs(),
            ))
        }
        Phase::Phase2(Phase2Cmd::Verify { phase1, transcript }) => {
            let p1 = read_phase1(&phase1)?;
            let p2 = read_phase2(&transcript)?;
            let r1cs = p2.circuit.r1cs().map_err(ceremony_err)?;
            let v = p2
                .verify(&p1, &r1cs, &mut OsRng, bars)
                .map_err(ceremony_err)?;
            Ok(Report::new(
                format!(
                    "phase 2 of the {} circuit verifies: {} contributions\n{}\ntranscript hash {}",
                    p2.circuit.name(),
                    v.len(),
                    verified_human(&v),
                    format_hash(&p2.chain_hash())
                ),
                json!({
                    "valid": true,
                    "circuit": p2.circuit.name(),
                    "contributions": verified_json(&v),
                    "transcript_hash": hex::encode(p2.chain_hash()),
                    "seconds": secs(),
                }),
            ))
        }
        Phase::Phase2(Phase2Cmd::Zkey { transcript, output }) => {
            let p2 = read_phase2(&transcript)?;
            let r1cs = p2.circuit.r1cs().map_err(ceremony_err)?;
            let bytes = sero_ceremony::snarkjs::zkey_bytes(&p2, &r1cs).map_err(ceremony_err)?;
            write_new(&output, &bytes)?;
            Ok(Report::new(
                format!(
                    "{} circuit's phase 2 ({} contributions) written to {} for snarkjs",
                    p2.circuit.name(),
                    p2.contributions.len(),
                    output.display()
                ),
                json!({
                    "output": output.display().to_string(),
                    "circuit": p2.circuit.name(),
                    "contributions": p2.contributions.len(),
                    "cs_hash": hex::encode(p2.cs_hash),
                }),
            ))
        }
        Phase::Phase2(Phase2Cmd::Export {
            phase1,
            output_transcript,
            input_transcript,
            dir,
        }) => {
            let p1 = read_phase1(&phase1)?;
            p1.verify(&mut OsRng, bars).map_err(ceremony_err)?;
            let o = read_phase2(&output_transcript)?;
            let i = read_phase2(&input_transcript)?;
            for (p, path) in [(&o, &output_transcript), (&i, &input_transcript)] {
                let r1cs = p.circuit.r1cs().map_err(ceremony_err)?;
                p.verify(&p1, &r1cs, &mut OsRng, bars)
                    .map_err(|e| fail(format!("{}: {e}", path.display())))?;
            }
            let params = phase2::parameters(&o, &i).map_err(ceremony_err)?;
            let mut bytes = vec![];
            params.write(&mut bytes).map_err(fail)?;
            std::fs::create_dir_all(&dir)
                .map_err(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
            let path = dir.join(crate::cli::testnet::PARAMS_FILE);
            write_new(&path, &bytes)?;
            let vk = hex::encode(params.vk_hash());
            Ok(Report::new(
                format!(
                    "parameters written to {}\nvk_hash {vk}\n(put it in the genesis as \"vk_hash\"; \
                     `sero testnet --params {}` does)",
                    path.display(),
                    dir.display()
                ),
                json!({"params": path.display().to_string(), "vk_hash": vk}),
            ))
        }
    }
}
