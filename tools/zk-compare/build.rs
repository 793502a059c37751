//! Records, at build time, the exact versions of the proving-system crates
//! (from this tool's own Cargo.lock) and the rustc version, so that every
//! report says precisely what was measured.

use std::{env, fs, path::Path, process::Command};

/// Crates whose resolved versions are embedded as `ZKC_VER_<NAME>`.
const TRACKED: &[&str] = &[
    "sapling-crypto",
    "bellman",
    "groth16",
    "bls12_381",
    "jubjub",
    "pairing",
    "sero-zk",
    "ark-groth16",
    "ark-bn254",
    "ark-relations",
];

fn main() {
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let lock_path = Path::new(&manifest_dir).join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock_path.display());
    println!("cargo:rerun-if-changed=build.rs");

    let lock = fs::read_to_string(&lock_path).unwrap_or_default();
    for name in TRACKED {
        let version = locked_version(&lock, name).unwrap_or_else(|| "unknown".to_string());
        println!("cargo:rustc-env=ZKC_VER_{}={version}", env_key(name));
    }

    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let rustc_version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=ZKC_RUSTC_VERSION={rustc_version}");
    let profile = env::var("PROFILE").unwrap_or_else(|_| "unknown".to_string());
    println!("cargo:rustc-env=ZKC_PROFILE={profile}");
}

fn env_key(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

/// Finds `version = "..."` of the first `[[package]]` entry named `name`.
fn locked_version(lock: &str, name: &str) -> Option<String> {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            for next in lines.by_ref() {
                let next = next.trim();
                if let Some(v) = next.strip_prefix("version = \"") {
                    return Some(v.trim_end_matches('"').to_string());
                }
                if next.is_empty() || next.starts_with('[') {
                    break;
                }
            }
        }
    }
    None
}
