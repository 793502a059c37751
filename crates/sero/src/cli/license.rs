//! `sero license`: the mining licence of whitepaper §3.3
//! (`docs/protocol.md` §12): issuer keys, issuing and verifying licences.
//!
//! Hex arguments are parsed by clap (malformed: exit 2); a licence or
//! issuer key that is well-formed hex but not a canonical encoding is
//! malformed too (exit 2); a licence that does not verify is a negative
//! answer (exit 1).

use crate::output::{fail, CliError, Report};
use clap::{Args, Subcommand};
use rand_core::OsRng;
use serde_json::json;
use sero_ledger::license::{License, LicenseIssuerPublic, LicenseIssuerSecret};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Args)]
#[command(
    after_help = "Exit codes: 0 success or a valid licence; 1 an invalid or expired licence, or \
a failed operation; 2 malformed arguments. With --json, errors are {\"error\": ...} on stdout."
)]
pub struct LicenseArgs {
    #[command(subcommand)]
    command: LicenseCommand,
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum LicenseCommand {
    /// Create an issuer key pair; prints the public key (for the genesis).
    ///
    /// With --out the 64-byte secret is written there as hex (the file
    /// must not exist; mode 0600); without it the secret is printed.
    Keygen {
        /// File to write the issuer secret to.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Issue a licence for a validator's vote key, valid up to height PROP.
    Issue {
        /// File holding the issuer secret (hex, as written by keygen --out).
        #[arg(long, value_name = "FILE")]
        issuer_key: PathBuf,
        /// The validator's 32-byte vote key, hex.
        #[arg(long, value_name = "HEX", value_parser = parse_hex32)]
        validator: [u8; 32],
        /// The last height at which the licence is valid.
        #[arg(long, value_name = "N")]
        prop: u64,
    },
    /// Verify a licence: "valid" (exit 0) or "invalid: <reason>" (exit 1).
    Verify {
        /// The issuer's 64-byte public key, hex.
        #[arg(long, value_name = "HEX", value_parser = parse_issuer)]
        issuer: LicenseIssuerPublic,
        /// The validator's 32-byte vote key, hex.
        #[arg(long, value_name = "HEX", value_parser = parse_hex32)]
        validator: [u8; 32],
        /// The licence (72 bytes), hex.
        #[arg(long = "licence", alias = "license", value_name = "HEX", value_parser = parse_licence)]
        licence: License,
        /// Also require the licence to be valid at this block height.
        #[arg(long, value_name = "H")]
        height: Option<u64>,
    },
}

fn hex_bytes(s: &str) -> Result<Vec<u8>, String> {
    let s = s.trim();
    let s = s.strip_prefix("0x").unwrap_or(s);
    hex::decode(s).map_err(|e| format!("not hex: {e}"))
}

fn parse_hex32(s: &str) -> Result<[u8; 32], String> {
    let b = hex_bytes(s)?;
    b.as_slice()
        .try_into()
        .map_err(|_| format!("expected 32 bytes (64 hex digits), got {}", b.len()))
}

fn parse_issuer(s: &str) -> Result<LicenseIssuerPublic, String> {
    LicenseIssuerPublic::from_bytes(&hex_bytes(s)?).map_err(|e| e.to_string())
}

fn parse_licence(s: &str) -> Result<License, String> {
    License::from_bytes(&hex_bytes(s)?).map_err(|e| e.to_string())
}

/// Writes `text` to a new file readable by its owner only.
fn write_new(path: &Path, text: &str) -> Result<(), CliError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| fail(format!("cannot create {}: {e}", path.display())))?;
    f.write_all(text.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| fail(format!("cannot write {}: {e}", path.display())))
}

fn read_secret(path: &Path) -> Result<LicenseIssuerSecret, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| fail(format!("cannot read {}: {e}", path.display())))?;
    let bytes = hex_bytes(&text)
        .map_err(|e| CliError::Usage(format!("--issuer-key {}: {e}", path.display())))?;
    LicenseIssuerSecret::from_bytes(&bytes)
        .map_err(|e| CliError::Usage(format!("--issuer-key {}: {e}", path.display())))
}

pub fn run(args: LicenseArgs) -> Result<Report, CliError> {
    match args.command {
        LicenseCommand::Keygen { out } => {
            let sk = LicenseIssuerSecret::generate(&mut OsRng);
            let public = hex::encode(sk.public().to_bytes());
            let secret = hex::encode(sk.to_bytes());
            match out {
                Some(path) => {
                    write_new(&path, &format!("{secret}\n"))?;
                    Ok(Report::new(
                        format!(
                            "issuer public key: {public}\nsecret written to {}",
                            path.display()
                        ),
                        json!({ "public": public, "out": path.display().to_string() }),
                    ))
                }
                None => Ok(Report::new(
                    format!(
                        "issuer public key: {public}\nissuer secret    : {secret}\n\
                         (keep the secret offline: it issues licences)"
                    ),
                    json!({ "public": public, "secret": secret }),
                )),
            }
        }
        LicenseCommand::Issue {
            issuer_key,
            validator,
            prop,
        } => {
            let sk = read_secret(&issuer_key)?;
            let lic = sk.issue(&validator, prop, &mut OsRng);
            let l = hex::encode(lic.to_bytes());
            Ok(Report::new(
                l.clone(),
                json!({
                    "licence": l,
                    "validator": hex::encode(validator),
                    "prop": prop,
                    "issuer": hex::encode(sk.public().to_bytes()),
                }),
            ))
        }
        LicenseCommand::Verify {
            issuer,
            validator,
            licence,
            height,
        } => {
            let r = match height {
                Some(h) => licence.check(&issuer, &validator, h),
                None => licence.verify(&issuer, &validator),
            };
            Ok(match r {
                Ok(()) => Report::new("valid", json!({ "valid": true, "prop": licence.prop })),
                Err(e) => Report::new(
                    format!("invalid: {e}"),
                    json!({ "valid": false, "reason": e.to_string(), "prop": licence.prop }),
                )
                .negative(),
            })
        }
    }
}
