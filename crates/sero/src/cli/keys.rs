//! `sero keys`: accounts, one-time addresses, sealing and PKr signatures.
//!
//! Key and address arguments are parsed by clap through their `FromStr`
//! implementations, so a malformed value is reported by clap, naming the
//! argument and the reason, with exit code 2. The mnemonic is parsed here
//! instead, so that an invalid one is never echoed back.

use crate::output::{CliError, Report};
use clap::{Args, Subcommand};
use rand_core::OsRng;
use serde_json::json;
use sero_keys::{
    KeyError, OneTimeAddress, PaymentAddress, PkrSignature, SecretKey, Seed, TraceKey,
    SEAL_OVERHEAD,
};

const MNEMONIC_WARNING: &str = "The mnemonic is the only backup of this account: anyone who \
sees it can spend its funds, and if it is lost the funds are lost. Write it down and keep it \
offline.";

#[derive(Args)]
#[command(
    after_help = "Exit codes: 0 success; 1 a negative answer (\"not mine\", \"invalid\") or a \
failed operation; 2 malformed arguments. With --json, errors are {\"error\": ...} on stdout. \
See `sero --help`."
)]
pub struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a new random account: mnemonic, payment address (PK), trace key (TK).
    New,

    /// Show an account's PK and TK (and SK on request) from its mnemonic.
    ///
    /// The mnemonic comes from --mnemonic or, when the flag is absent, from
    /// the SERO_MNEMONIC environment variable (which keeps it out of the
    /// shell history and the process list).
    Show {
        #[command(flatten)]
        mnemonic: MnemonicArg,
        /// Also print the secret key (SK), which can spend the account's funds.
        #[arg(long)]
        show_secret: bool,
    },

    /// Derive a fresh one-time address (PKr) from a payment address (PK).
    ///
    /// Every call gives a different PKr; no one but the holder of the
    /// matching TK can link it to the PK.
    Pkr {
        /// The payment address (PK) to derive from.
        #[arg(value_name = "PK")]
        pk: PaymentAddress,
    },

    /// Check whether a one-time address belongs to a trace key.
    ///
    /// Prints "mine" (exit 0) or "not mine" (exit 1).
    IsMine {
        /// The trace key (TK) of the account.
        #[arg(long, value_name = "TK")]
        tk: TraceKey,
        /// The one-time address to check.
        #[arg(value_name = "PKr")]
        pkr: OneTimeAddress,
    },

    /// Seal (encrypt) a text to a one-time address; prints hex.
    ///
    /// Only the trace key of the PKr's owner can open the result.
    Seal {
        /// The one-time address (PKr) to seal to.
        #[arg(long, value_name = "PKr")]
        to: OneTimeAddress,
        /// The text to seal.
        text: String,
    },

    /// Open a sealed message with a trace key; prints the plaintext.
    ///
    /// A plaintext that is not UTF-8 is printed as hex, with a note saying
    /// so (JSON: "plaintext_hex" instead of "plaintext"). Exit 1 if the
    /// message cannot be opened (wrong key or tampered data); exit 2 if the
    /// hex is malformed or shorter than the 48-byte overhead of a sealed
    /// message.
    Open {
        /// The trace key (TK) of the recipient.
        #[arg(long, value_name = "TK")]
        tk: TraceKey,
        /// The sealed message, as printed by `sero keys seal`.
        #[arg(value_name = "SEALED_HEX", value_parser = parse_sealed)]
        sealed: Sealed,
    },

    /// Sign a message for one of the account's one-time addresses.
    ///
    /// Prints the 64-byte signature as hex. Exit 1 if the PKr belongs to
    /// another key. The mnemonic may come from SERO_MNEMONIC, as for `show`.
    Sign {
        #[command(flatten)]
        mnemonic: MnemonicArg,
        /// The one-time address to sign for.
        #[arg(long, value_name = "PKr")]
        pkr: OneTimeAddress,
        /// The message to sign.
        msg: String,
    },

    /// Verify a signature made for a one-time address.
    ///
    /// Prints "valid" (exit 0) or "invalid: <reason>" (exit 1). A signature
    /// that is not 64 bytes of canonical encoding is malformed (exit 2).
    Verify {
        /// The one-time address the signature is for.
        #[arg(long, value_name = "PKr")]
        pkr: OneTimeAddress,
        /// The signature, 64 bytes as hex.
        #[arg(long, value_name = "HEX", value_parser = parse_signature)]
        sig: PkrSignature,
        /// The signed message.
        msg: String,
    },
}

#[derive(Args)]
struct MnemonicArg {
    /// The account's 24-word mnemonic (quote it as one argument).
    #[arg(
        long,
        env = "SERO_MNEMONIC",
        hide_env_values = true,
        value_name = "WORDS"
    )]
    mnemonic: String,
}

impl MnemonicArg {
    /// Parses the mnemonic; an invalid one is a usage error (exit 2) whose
    /// message does not repeat the words.
    fn secret_key(&self) -> Result<SecretKey, CliError> {
        let seed = Seed::from_mnemonic(&self.mnemonic)
            .map_err(|e| CliError::Usage(format!("invalid value for '--mnemonic <WORDS>': {e}")))?;
        Ok(SecretKey::from_seed(&seed))
    }
}

/// Sealed bytes, at least [`SEAL_OVERHEAD`] long.
#[derive(Clone)]
struct Sealed(Vec<u8>);

fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let s = s.trim();
    let s = s.strip_prefix("0x").unwrap_or(s);
    hex::decode(s).map_err(|e| format!("invalid hex: {e}"))
}

fn parse_sealed(s: &str) -> Result<Sealed, String> {
    let bytes = parse_hex(s)?;
    if bytes.len() < SEAL_OVERHEAD {
        return Err(format!(
            "{} (a sealed message has at least {SEAL_OVERHEAD})",
            KeyError::SealedTooShort(bytes.len())
        ));
    }
    Ok(Sealed(bytes))
}

fn parse_signature(s: &str) -> Result<PkrSignature, String> {
    let bytes = parse_hex(s)?;
    PkrSignature::from_bytes(&bytes).map_err(|e| format!("invalid signature: {e}"))
}

pub fn run(args: KeysArgs) -> Result<Report, CliError> {
    match args.command {
        KeysCommand::New => Ok(new()),
        KeysCommand::Show {
            mnemonic,
            show_secret,
        } => show(&mnemonic.secret_key()?, show_secret),
        KeysCommand::Pkr { pk } => Ok(pkr(&pk)),
        KeysCommand::IsMine { tk, pkr } => Ok(is_mine(&tk, &pkr)),
        KeysCommand::Seal { to, text } => Ok(seal(&to, &text)),
        KeysCommand::Open { tk, sealed } => open(&tk, &sealed.0),
        KeysCommand::Sign { mnemonic, pkr, msg } => sign(&mnemonic.secret_key()?, &pkr, &msg),
        KeysCommand::Verify { pkr, sig, msg } => Ok(verify(&pkr, &sig, &msg)),
    }
}

fn new() -> Report {
    let seed = Seed::random(&mut OsRng);
    let sk = SecretKey::from_seed(&seed);
    let mnemonic = seed.to_mnemonic();
    let (pk, tk) = (sk.payment_address().to_string(), sk.trace_key().to_string());
    Report::new(
        format!(
            "Mnemonic (24 words):\n  {mnemonic}\n\
             PK (payment address, share it):  {pk}\n\
             TK (trace key, can view, not spend): {tk}\n\n\
             WARNING: {MNEMONIC_WARNING}"
        ),
        json!({ "mnemonic": mnemonic, "pk": pk, "tk": tk, "warning": MNEMONIC_WARNING }),
    )
}

fn show(sk: &SecretKey, show_secret: bool) -> Result<Report, CliError> {
    let (pk, tk) = (sk.payment_address().to_string(), sk.trace_key().to_string());
    let mut human = format!("PK: {pk}\nTK: {tk}");
    let mut obj = json!({ "pk": pk, "tk": tk });
    if show_secret {
        let sk = sk.to_string();
        human.push_str(&format!("\nSK: {sk}"));
        obj["sk"] = json!(sk);
    }
    Ok(Report::new(human, obj))
}

fn pkr(pk: &PaymentAddress) -> Report {
    let pkr = pk.derive_pkr(&mut OsRng).to_string();
    Report::new(pkr.clone(), json!({ "pkr": pkr }))
}

fn is_mine(tk: &TraceKey, pkr: &OneTimeAddress) -> Report {
    let mine = tk.is_mine(pkr);
    let report = Report::new(
        if mine { "mine" } else { "not mine" },
        json!({ "mine": mine }),
    );
    if mine {
        report
    } else {
        report.negative()
    }
}

fn seal(pkr: &OneTimeAddress, text: &str) -> Report {
    let sealed = hex::encode(sero_keys::seal(pkr, text.as_bytes(), b"", &mut OsRng));
    Report::new(sealed.clone(), json!({ "sealed": sealed }))
}

fn open(tk: &TraceKey, sealed: &[u8]) -> Result<Report, CliError> {
    let plain = sero_keys::open(tk, sealed, b"")
        .map_err(|e| CliError::Failed(format!("cannot open the sealed message: {e}")))?;
    Ok(match String::from_utf8(plain) {
        Ok(text) => Report::new(text.clone(), json!({ "plaintext": text })),
        Err(e) => {
            let hex = hex::encode(e.as_bytes());
            Report::new(
                format!("(plaintext is not UTF-8; hex follows)\n{hex}"),
                json!({ "plaintext_hex": hex }),
            )
        }
    })
}

fn sign(sk: &SecretKey, pkr: &OneTimeAddress, msg: &str) -> Result<Report, CliError> {
    let sig = sk
        .sign(pkr, msg.as_bytes(), &mut OsRng)
        .map_err(|e| CliError::Failed(format!("cannot sign: {e}")))?;
    let sig = hex::encode(sig.to_bytes());
    Ok(Report::new(sig.clone(), json!({ "signature": sig })))
}

fn verify(pkr: &OneTimeAddress, sig: &PkrSignature, msg: &str) -> Report {
    match pkr.verify(msg.as_bytes(), sig) {
        Ok(()) => Report::new("valid", json!({ "valid": true })),
        Err(e) => {
            let reason = match e {
                KeyError::Crypto { source, .. } => source.to_string(),
                other => other.to_string(),
            };
            Report::new(
                format!("invalid: {reason}"),
                json!({ "valid": false, "reason": reason }),
            )
            .negative()
        }
    }
}
