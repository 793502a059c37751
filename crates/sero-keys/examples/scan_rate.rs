//! Wallet scan rate in CPU time, which a loaded shared machine distorts less
//! than wall time: `cargo run -p sero-keys --example scan_rate -- [N]`.
//! Scans N encoded PKr (not this key's) on all cores with each filter
//! backend and prints outputs per CPU-second; on C idle cores the wall rate
//! is about C times that.

use rand::SeedableRng;
use sero_crypto::ladder::Backend;
use sero_keys::{Scanner, SecretKey, Seed};

/// User + system CPU time of this process, in seconds (from /proc).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 (utime, stime) are at 11 and 12 after the ")".
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| f.get(i)?.parse::<f64>().ok())
        .sum();
    ticks / 100.0
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(65536);
    let tk = SecretKey::from_seed(&Seed::from_bytes([1; 32])).trace_key();
    let other = SecretKey::from_seed(&Seed::from_bytes([2; 32])).payment_address();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    let distinct: Vec<[u8; 96]> = (0..1024)
        .map(|_| other.derive_pkr(&mut rng).to_bytes())
        .collect();
    let bytes: Vec<[u8; 96]> = (0..n).map(|i| distinct[i % distinct.len()]).collect();
    let threads = rayon::current_num_threads();
    {
        // The former path: one decompression and wNAF multiplication per PKr.
        use rayon::prelude::*;
        let s = Scanner::new(&tk);
        let m = n / 8;
        measure("reference", m, threads, || {
            bytes[..m].par_iter().filter(|p| s.is_mine_bytes(p)).count()
        });
    }
    for backend in [Backend::Ifma, Backend::Portable] {
        if !backend.available() {
            println!("{backend:?}: not available on this CPU");
            continue;
        }
        let s = Scanner::with_backend(&tk, backend);
        let m = if backend == Backend::Portable {
            n / 8
        } else {
            n
        };
        measure(&format!("{backend:?}"), m, threads, || {
            s.scan_bytes(&bytes[..m]).iter().filter(|&&x| x).count()
        });
    }
}

/// Runs `scan` over `m` PKr (none of them ours) and prints its wall and CPU
/// rates.
fn measure(label: &str, m: usize, threads: usize, scan: impl FnOnce() -> usize) {
    let (c0, t0) = (cpu_seconds(), std::time::Instant::now());
    let found = scan();
    let (cpu, wall) = (cpu_seconds() - c0, t0.elapsed().as_secs_f64());
    assert_eq!(found, 0);
    println!(
        "{label}: {m} PKr, {threads} threads, wall {wall:.3} s ({:.0}/s), CPU {cpu:.2} s ({:.0} per CPU-second)",
        m as f64 / wall,
        m as f64 / cpu
    );
}
