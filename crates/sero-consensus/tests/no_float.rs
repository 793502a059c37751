//! The sortition is a consensus rule defined in integer arithmetic: no
//! floating-point type may appear anywhere in this crate (sources, tests,
//! benches, manifest, docs). The forbidden names are built at run time so
//! that this file does not contain them.
//!
//! The check works on identifier-like tokens (`[A-Za-z0-9_]+`), so that hex
//! test vectors which happen to contain the letters do not count: a token is
//! forbidden if it is the type name itself or a numeric literal with the
//! type suffix (as in `1.5` followed by the suffix, whose second token is
//! `5` plus the suffix).

use std::path::Path;

fn scan(dir: &Path, forbidden: &[String], hits: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                scan(&path, forbidden, hits);
            }
        } else if name.ends_with(".rs") || name.ends_with(".toml") || name.ends_with(".md") {
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                let bad = line
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .any(|token| is_float_token(token, forbidden));
                if bad {
                    hits.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
}

fn is_float_token(token: &str, forbidden: &[String]) -> bool {
    forbidden.iter().any(|f| {
        token == f
            || token.strip_suffix(f.as_str()).is_some_and(|lit| {
                lit.starts_with(|c: char| c.is_ascii_digit())
                    && lit
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '_' || c == 'e' || c == 'E')
            })
    })
}

#[test]
fn the_token_rule_catches_float_uses() {
    let forbidden: Vec<String> = [32, 64].iter().map(|bits| format!("f{bits}")).collect();
    let f = |s: &str| is_float_token(s, &forbidden);
    assert!(f(&format!("f{}", 64)));
    assert!(f(&format!("5f{}", 64)));
    assert!(f(&format!("1_0e3f{}", 32)));
    assert!(!f(&format!("8268436f{}b3c", 64)));
    assert!(!f(&format!("cf{}", 64)));
    assert!(!f("u64"));
}

#[test]
fn crate_source_has_no_floating_point() {
    let forbidden: Vec<String> = [32, 64].iter().map(|bits| format!("f{bits}")).collect();
    let mut hits = Vec::new();
    scan(Path::new(env!("CARGO_MANIFEST_DIR")), &forbidden, &mut hits);
    assert!(
        hits.is_empty(),
        "floating point in the crate:\n{}",
        hits.join("\n")
    );
}
