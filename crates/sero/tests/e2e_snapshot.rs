//! End to end (issue 16, "join"): a new node joins a running network from
//! a state snapshot. Four `sero node` validators on loopback finalise a
//! private payment; node 0 serves a snapshot (`sero_getSnapshot`), which
//! `sero snapshot fetch` downloads. Copies of it damaged in each way that
//! matters — a spent nullifier dropped (a double spend waiting to happen),
//! an output record changed, a round seed changed, a finality checkpoint
//! signature forged, the checkpoints and a BA★ certificate dropped, a
//! validator's stake changed, bytes flipped — are refused by `sero node
//! --snapshot FILE`, which exits with a clear error and leaves no chain
//! behind. Then a fifth node (no validator key) started with `--snapshot
//! <node 0's RPC URL>` verifies the snapshot from the genesis (hash links,
//! the finality checkpoints every 4 blocks, the BA★ certificates after the
//! last one; protocol §18.9), syncs the
//! blocks after it from its peers over libp2p and finalises the same
//! blocks as the others, while its bodies below the snapshot are not
//! stored (a pruned node's answer).

use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::net::{
    block_hash, finalized, free_port, rpc, send_wait, spawn, start_testnet_with, wait_until,
};
use common::{new_account, SERO};

/// Offsets `(at, table id, key, value)` of each record of a snapshot
/// (format in `docs/protocol.md` §18.8).
fn records(b: &[u8]) -> Vec<(usize, u8, Vec<u8>, Vec<u8>)> {
    let mut at = 8 + 4 + 8 + 32 + 8;
    let mut out = vec![];
    while b[at] != 0 {
        let kl = u32::from_le_bytes(b[at + 1..at + 5].try_into().unwrap()) as usize;
        let key = b[at + 5..at + 5 + kl].to_vec();
        let vat = at + 5 + kl;
        let vl = u32::from_le_bytes(b[vat..vat + 4].try_into().unwrap()) as usize;
        let val = b[vat + 4..vat + 4 + vl].to_vec();
        out.push((at, b[at], key, val));
        at = vat + 4 + vl;
    }
    out
}

/// The snapshot `b` rewritten record by record through `f` (`None` drops
/// a record), with a valid trailer, so that only the verification against
/// the headers can refuse it.
fn rewrite(b: &[u8], mut f: impl FnMut(u8, &[u8], &[u8]) -> Option<(Vec<u8>, Vec<u8>)>) -> Vec<u8> {
    let head = 8 + 4 + 8 + 32 + 8;
    let mut out = b[..head].to_vec();
    let mut n = 0u64;
    for (_, t, k, v) in records(b) {
        if let Some((k, v)) = f(t, &k, &v) {
            out.push(t);
            out.extend_from_slice(&(k.len() as u32).to_le_bytes());
            out.extend_from_slice(&k);
            out.extend_from_slice(&(v.len() as u32).to_le_bytes());
            out.extend_from_slice(&v);
            n += 1;
        }
    }
    out.push(0);
    out.extend_from_slice(&n.to_le_bytes());
    let d = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(b"SERO_Snapshot_v1")
        .hash(&out);
    out.extend_from_slice(d.as_bytes());
    out
}

/// The follower's command line: node 1's without its validator key, with
/// its own directory and ports.
fn follower_args(template: &[String], datadir: &Path, snapshot: &str) -> (Vec<String>, String) {
    let rpc_port = free_port();
    let mut a = vec![];
    let mut it = template.iter();
    while let Some(x) = it.next() {
        match x.as_str() {
            "--validator-key" => {
                it.next();
            }
            "--datadir" => {
                it.next();
                a.push(x.clone());
                a.push(datadir.display().to_string());
            }
            "--listen" => {
                it.next();
                a.push(x.clone());
                a.push(format!("/ip4/127.0.0.1/tcp/{}", free_port()));
            }
            "--rpc-addr" => {
                it.next();
                a.push(x.clone());
                a.push(format!("127.0.0.1:{rpc_port}"));
            }
            _ => a.push(x.clone()),
        }
    }
    a.push("--snapshot".into());
    a.push(snapshot.into());
    (a, format!("http://127.0.0.1:{rpc_port}"))
}

/// Runs `sero` with `args`, which must exit (with failure) within 120 s;
/// returns its combined output.
fn must_fail(args: &[String]) -> String {
    let mut child = Command::new(SERO)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let end = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(!status.success(), "accepted: {text}");
            return text;
        }
        if Instant::now() > end {
            let _ = child.kill();
            panic!(
                "`sero {}` kept running: the snapshot was accepted",
                args.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_node_joins_a_running_testnet_from_a_verified_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("net");
    let (plan, args, urls, _procs) = start_testnet_with(&d, 4, 2, &["--checkpoint-interval", "4"]);
    let url = urls[0].clone();

    // A private payment, so that the state has a spent nullifier and a til.
    let (_, to) = new_account();
    let sent = send_wait(
        &url,
        &dir.path().join("payer"),
        plan["dev_mnemonic"].as_str().unwrap(),
        &to,
        777,
    );
    let paid_at = sent["height"].as_u64().unwrap();
    // Past two checkpoints (4 and 8), and a block more for their votes.
    wait_until("the payment and two checkpoints to be final", 120, || {
        finalized(&url).is_some_and(|f| f > paid_at && f >= 9)
    });

    // Download the snapshot node 0 serves.
    let file = dir.path().join("snap.bin");
    let out = Command::new(SERO)
        .args([
            "--json", "snapshot", "fetch", "--quiet", "--rpc", &url, "--out",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fetched: Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = fetched["height"].as_u64().unwrap();
    assert!(s > paid_at, "{fetched}");
    let good = std::fs::read(&file).unwrap();
    assert_eq!(good.len() as u64, fetched["bytes"].as_u64().unwrap());
    let recs = records(&good);
    let count = |t: u8| recs.iter().filter(|r| r.1 == t).count();
    assert!(count(5) >= 1, "the snapshot holds the payment's nullifier");
    // Finality checkpoints (table 13): a certificate is
    // 01 05 ‖ LE64 ‖ hash ‖ seed ‖ LE32 n ‖ n × (key ‖ signature); 3 of the
    // 4 equal stakes complete one.
    let signers = |v: &[u8]| u32::from_le_bytes(v[74..78].try_into().unwrap());
    assert!(
        recs.iter().any(|r| r.1 == 13 && signers(&r.3) >= 3),
        "no complete checkpoint certificate in the snapshot"
    );
    let mut first_checkpoint = true;

    // Each damaged copy is refused; no chain is left behind.
    let mut first_nullifier = true;
    let mut first_output = true;
    let damaged: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "an output record changed",
            rewrite(&good, |t, k, v| {
                let mut v = v.to_vec();
                if t == 8 && std::mem::take(&mut first_output) {
                    // Record: kind (1) ‖ PKr (96) ‖ cm_out (32) ‖ …
                    v[1 + 96 + 3] ^= 1;
                }
                Some((k.to_vec(), v))
            }),
            "state",
        ),
        (
            "a round seed changed",
            rewrite(&good, |t, k, v| {
                let mut v = v.to_vec();
                if t == 10 && k == 1u64.to_le_bytes() {
                    v[0] ^= 1;
                }
                Some((k.to_vec(), v))
            }),
            "seed",
        ),
        (
            // Without the checkpoints every header needs its certificate.
            "the checkpoints and a certificate dropped",
            rewrite(&good, |t, k, v| {
                if t == 13 || (t == 11 && k == 2u64.to_le_bytes()) {
                    return None;
                }
                Some((k.to_vec(), v.to_vec()))
            }),
            "no certificate",
        ),
        (
            // A checkpoint of one signer (a quarter of the stake) is not
            // trusted: the headers it would cover need their certificates.
            "the checkpoints cut to one signer and a certificate dropped",
            rewrite(&good, |t, k, v| {
                if t == 11 && k == 2u64.to_le_bytes() {
                    return None;
                }
                if t == 13 {
                    let mut c = v[..78 + 96].to_vec();
                    c[74..78].copy_from_slice(&1u32.to_le_bytes());
                    return Some((k.to_vec(), c));
                }
                Some((k.to_vec(), v.to_vec()))
            }),
            "no certificate",
        ),
        (
            "a checkpoint signature forged",
            rewrite(&good, |t, k, v| {
                let mut v = v.to_vec();
                if t == 13 && std::mem::take(&mut first_checkpoint) {
                    // The first signer's signature (after its key).
                    v[78 + 32 + 5] ^= 1;
                }
                Some((k.to_vec(), v))
            }),
            "bad checkpoint certificate",
        ),
        (
            "a validator's stake raised",
            rewrite(&good, |t, k, v| {
                let mut v = v.to_vec();
                if t == 9 {
                    // Record: vrf_key (32) ‖ stake u64 ‖ …
                    v[32] = v[32].wrapping_add(1);
                }
                Some((k.to_vec(), v))
            }),
            "",
        ),
        (
            "a byte flipped",
            {
                let mut b = good.clone();
                let n = b.len();
                b[n / 2] ^= 0x10;
                b
            },
            "snapshot",
        ),
        (
            "a spent nullifier dropped",
            rewrite(&good, |t, k, v| {
                if t == 5 && std::mem::take(&mut first_nullifier) {
                    return None;
                }
                Some((k.to_vec(), v.to_vec()))
            }),
            "state",
        ),
    ];
    for (i, (what, bytes, expect)) in damaged.iter().enumerate() {
        let f = dir.path().join(format!("bad{i}.bin"));
        std::fs::write(&f, bytes).unwrap();
        let datadir = dir.path().join(format!("bad{i}"));
        let (a, _) = follower_args(&args[1], &datadir, f.to_str().unwrap());
        let text = must_fail(&a);
        assert!(
            text.contains("--snapshot") && text.contains(expect),
            "{what}: {text}"
        );
        assert!(
            !datadir.join("chain.redb").exists(),
            "{what}: a refused snapshot left a chain"
        );
        assert!(
            !datadir.join("chain.joining").exists(),
            "{what}: a refused snapshot left its import"
        );
        eprintln!("refused ({what}): {}", text.lines().last().unwrap_or(""));
    }

    // The real join, from node 0's RPC.
    let datadir = dir.path().join("joiner");
    let (a, jurl) = follower_args(&args[1], &datadir, &url);
    let log = d.join("joiner.log");
    let t0 = Instant::now();
    let _joiner = spawn(&a, &log);
    wait_until("the joiner to answer RPC", 180, || {
        finalized(&jurl).is_some()
    });
    let joined_in = t0.elapsed();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("joined at block"), "{text}");
    // The header chain was checked by its finality checkpoints.
    let used = text
        .split(" finality checkpoints")
        .next()
        .and_then(|a| a.rsplit(' ').next())
        .and_then(|n| n.parse::<u64>().ok());
    assert!(used.is_some_and(|n| n >= 1), "{text}");
    let target = finalized(&url).unwrap() + 3;
    wait_until("the joiner to finalise with the others", 240, || {
        finalized(&jurl).is_some_and(|f| f >= target)
    });
    for h in [0, s, s + 1, target] {
        assert_eq!(
            rpc(&jurl, "sero_getHeaders", json!([h, h])).unwrap()[0]["header"],
            rpc(&url, "sero_getHeaders", json!([h, h])).unwrap()[0]["header"],
            "header {h}"
        );
    }
    for h in s + 1..=target {
        assert_eq!(block_hash(&jurl, h), block_hash(&url, h), "block {h}");
    }
    // Below the snapshot it keeps headers, not bodies.
    assert!(block_hash(&jurl, 1).is_none());
    let served = rpc(&jurl, "sero_servedHeights", json!([])).unwrap();
    assert_eq!(served["bodies_from"], s + 1, "{served}");
    eprintln!(
        "snapshot of block {s}: {} bytes, {} records; joiner answering after {:.1} s",
        good.len(),
        recs.len(),
        joined_in.as_secs_f64()
    );
}
