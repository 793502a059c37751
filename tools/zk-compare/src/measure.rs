//! System-independent measurement helpers: wall-clock timing, medians,
//! `/proc` memory counters and the fresh-child-process peak-memory protocol.

use std::{
    fs,
    path::Path,
    process::{Command, Stdio},
    time::Instant,
};

use crate::Result;

/// Runs `f` once and returns its result with the elapsed wall-clock seconds.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed().as_secs_f64())
}

/// Median of a non-empty sample (mean of the two middle values for even sizes).
pub fn median(samples: &[f64]) -> f64 {
    assert!(!samples.is_empty(), "median of an empty sample");
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let mid = s.len() / 2;
    if s.len() % 2 == 1 {
        s[mid]
    } else {
        (s[mid - 1] + s[mid]) / 2.0
    }
}

/// Reads a `kB` field such as `VmHWM` or `VmRSS` from `/proc/self/status`, in bytes.
pub fn proc_status_bytes(field: &str) -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        let kib: u64 = rest.trim().strip_suffix("kB")?.trim().parse().ok()?;
        Some(kib * 1024)
    })
}

/// Memory high-water mark (`VmHWM`) of this process so far, in bytes.
pub fn vm_hwm() -> u64 {
    proc_status_bytes("VmHWM").unwrap_or(0)
}

/// Current resident set size (`VmRSS`), in bytes.
pub fn vm_rss() -> u64 {
    proc_status_bytes("VmRSS").unwrap_or(0)
}

/// What a `prove-once` child process reports about its own memory.
#[derive(Clone, Debug, Default)]
pub struct MemReport {
    /// `VmHWM` at child start, before anything circuit-specific happens.
    pub baseline_hwm: u64,
    /// `VmHWM` right after the proving parameters were loaded.
    pub loaded_hwm: u64,
    /// `VmRSS` right after the proving parameters were loaded.
    pub loaded_rss: u64,
    /// `VmHWM` right after one proof was created: the peak memory of proving.
    pub peak_hwm: u64,
    /// Wall time of that single proof inside the child (cold caches).
    pub prove_s: f64,
    /// Whether the child had to generate parameters itself (cache missing),
    /// in which case `loaded_hwm` includes parameter generation.
    pub generated_params: bool,
}

/// Prefix of the one machine-readable line a `prove-once` child prints.
pub const MEM_LINE_PREFIX: &str = "ZKC_MEM";

impl MemReport {
    pub fn to_line(&self) -> String {
        format!(
            "{MEM_LINE_PREFIX} baseline_hwm={} loaded_hwm={} loaded_rss={} peak_hwm={} prove_s={} generated_params={}",
            self.baseline_hwm,
            self.loaded_hwm,
            self.loaded_rss,
            self.peak_hwm,
            self.prove_s,
            u8::from(self.generated_params)
        )
    }

    pub fn parse_line(line: &str) -> Option<Self> {
        let rest = line.strip_prefix(MEM_LINE_PREFIX)?;
        let mut r = MemReport::default();
        for kv in rest.split_whitespace() {
            let (k, v) = kv.split_once('=')?;
            match k {
                "baseline_hwm" => r.baseline_hwm = v.parse().ok()?,
                "loaded_hwm" => r.loaded_hwm = v.parse().ok()?,
                "loaded_rss" => r.loaded_rss = v.parse().ok()?,
                "peak_hwm" => r.peak_hwm = v.parse().ok()?,
                "prove_s" => r.prove_s = v.parse().ok()?,
                "generated_params" => r.generated_params = v == "1",
                _ => {}
            }
        }
        Some(r)
    }
}

/// Re-executes this binary as `zk-compare prove-once <circuit> --params-dir <dir>
/// --seed <seed>` and parses the child's [`MemReport`] line. The child is a
/// fresh process, so its `VmHWM` reflects only that one circuit's proving.
pub fn measure_in_child(circuit: &str, params_dir: &Path, seed: u64) -> Result<MemReport> {
    let exe = std::env::current_exe()?;
    let output = Command::new(exe)
        .arg("prove-once")
        .arg(circuit)
        .arg("--params-dir")
        .arg(params_dir)
        .arg("--seed")
        .arg(seed.to_string())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "prove-once child for {circuit} failed with {}; stdout: {stdout}",
            output.status
        )
        .into());
    }
    stdout
        .lines()
        .find_map(MemReport::parse_line)
        .ok_or_else(|| {
            format!("prove-once child for {circuit} printed no {MEM_LINE_PREFIX} line: {stdout}")
                .into()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_odd_even() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn mem_line_round_trip() {
        let r = MemReport {
            baseline_hwm: 1,
            loaded_hwm: 2,
            loaded_rss: 3,
            peak_hwm: 4,
            prove_s: 0.5,
            generated_params: true,
        };
        let back = MemReport::parse_line(&r.to_line()).unwrap();
        assert_eq!(back.peak_hwm, 4);
        assert_eq!(back.loaded_rss, 3);
        assert_eq!(back.prove_s, 0.5);
        assert!(back.generated_params);
    }

    #[test]
    fn reads_own_hwm() {
        assert!(vm_hwm() > 0);
        assert!(vm_rss() > 0);
    }
}
