//! Results, errors and how they are printed (human text or one JSON object).

use serde_json::{json, Value};
use std::fmt;
use std::io::Write;
use std::process::ExitCode;

/// Exit code of a negative answer or a failed operation.
pub const EXIT_NEGATIVE: u8 = 1;
/// Exit code of malformed arguments (the same as clap's).
pub const EXIT_USAGE: u8 = 2;

/// What a command prints on success: human text, the equivalent JSON object
/// and the exit code (0, or 1 for a negative answer such as "not mine").
pub struct Report {
    human: String,
    json: Value,
    code: u8,
}

impl Report {
    pub fn new(human: impl Into<String>, json: Value) -> Self {
        Report {
            human: human.into(),
            json,
            code: 0,
        }
    }

    /// A well-formed question with a negative answer: exit code 1.
    pub fn negative(mut self) -> Self {
        self.code = EXIT_NEGATIVE;
        self
    }

    /// Prints the report on stdout and returns its exit code.
    pub fn print(&self, json: bool) -> ExitCode {
        if json {
            stdout_line(&self.json.to_string());
        } else {
            stdout_line(&self.human);
        }
        ExitCode::from(self.code)
    }
}

/// A command that could not produce a report.
#[derive(Debug)]
pub enum CliError {
    /// A malformed argument that clap's parsers did not catch (exit 2).
    Usage(String),
    /// An operation that failed on well-formed input (exit 1).
    Failed(String),
}

impl CliError {
    pub fn code(&self) -> u8 {
        match self {
            CliError::Usage(_) => EXIT_USAGE,
            CliError::Failed(_) => EXIT_NEGATIVE,
        }
    }

    /// Prints the error (JSON on stdout, or text on stderr) and returns its
    /// exit code.
    pub fn print(&self, json: bool) -> ExitCode {
        print_error(&self.to_string(), json);
        ExitCode::from(self.code())
    }
}

/// A command that could not do its work, with the cause's message.
pub(crate) fn fail(e: impl fmt::Display) -> CliError {
    CliError::Failed(e.to_string())
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(m) | CliError::Failed(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for CliError {}

fn print_error(msg: &str, json: bool) {
    if json {
        stdout_line(&json!({ "error": msg }).to_string());
    } else {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "error: {msg}");
    }
}

/// Writes a line on stdout, ignoring IO errors (a closed pipe must not panic).
fn stdout_line(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{s}");
    let _ = out.flush();
}

/// Whether `--json` appears among the raw arguments (before any `--`); used
/// to format errors clap reports before the command line is parsed.
pub fn json_requested() -> bool {
    std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

/// Prints a clap error or help text. Help and version go to stdout as text
/// (exit 0); real errors become `{"error": ...}` in JSON mode (exit 2).
pub fn clap_error(e: &clap::Error, json: bool) -> ExitCode {
    let code = e.exit_code();
    if code == 0 || !json {
        let _ = e.print();
    } else if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        print_error("a subcommand is required (see --help)", true);
    } else {
        print_error(&clap_message(e), true);
    }
    ExitCode::from(u8::try_from(code).unwrap_or(EXIT_USAGE))
}

/// clap's message without the "error: " prefix, the usage line and the
/// "--help" hint, on one line.
fn clap_message(e: &clap::Error) -> String {
    let text = e.to_string();
    let body = text
        .split("\n\nUsage:")
        .next()
        .unwrap_or_default()
        .split("\n\nFor more information")
        .next()
        .unwrap_or_default();
    let body = body.trim().strip_prefix("error: ").unwrap_or(body.trim());
    body.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
