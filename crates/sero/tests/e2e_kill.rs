//! Faults measured (issue 15, item 4): SIGKILL at random moments, for three
//! roles, then restart on the same data directory and check that nothing
//! was lost or corrupted.
//!
//! * **dev node** (`sero dev`, 1 s blocks): killed while it applies blocks
//!   and while a `wallet send` is in flight. After the restart every block
//!   seen before the kill is still there with the same hash, the payee's
//!   balance at those blocks is unchanged, and once `wallet pending` has
//!   settled the in-flight payment the payee holds every payment at most
//!   once.
//! * **validator** (one of four `sero node` validators): killed at a random
//!   moment of consensus; after the restart it catches up and every node
//!   agrees on every block, and the network keeps finalising.
//! * **syncing follower** (a `sero node` without a validator key): killed
//!   while it syncs; after the restart it reaches the validators' height
//!   and agrees on every block.
//!
//! `SERO_KILLS=N` kills per role (default 2); `SERO_KILL_SEED` seeds the
//! moments. Each role prints one line `KILLS {json}`; `scripts/kill-test.sh`
//! runs many and writes the table of `docs/reliability.md`. Waits use
//! generous timeouts only; nothing is timed.

use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::time::Duration;

mod common;

use common::net::{
    block_hash, finalized, free_port, height, init_testnet, plan_nodes, spawn, wait_until, Proc,
};
use common::{start_with, DevNode, SERO};

struct Rng(u64);

impl Rng {
    fn from_env() -> Rng {
        let seed = std::env::var("SERO_KILL_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(15);
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi` milliseconds.
    fn ms(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(lo + self.next() % (hi - lo + 1))
    }
}

fn kills() -> usize {
    std::env::var("SERO_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2)
}

/// The hashes of blocks `0..=tip` (`None` if the node does not answer).
fn hashes(url: &str) -> Option<Vec<String>> {
    let tip = height(url)?;
    (0..=tip).map(|h| block_hash(url, h)).collect()
}

fn sero(args: &[&str]) -> (i32, Value) {
    let out = Command::new(SERO)
        .arg("--json")
        .args(args)
        .env_remove("SERO_MNEMONIC")
        // Not the working directory's wallet: each run is a new network,
        // and a wallet pins its network's genesis.
        .env(
            "SERO_WALLET_DIR",
            std::env::temp_dir().join(format!("sero-e2e-kill-{}", std::process::id())),
        )
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), v)
}

fn balance(url: &str, mnemonic: &str) -> Option<u128> {
    let (code, v) = sero(&["wallet", "--rpc", url, "balance", "--mnemonic", mnemonic]);
    if code != 0 {
        return None;
    }
    Some(
        v["balances"]["SERO"]
            .as_str()
            .map(|s| s.parse().unwrap())
            .unwrap_or(0),
    )
}

/// Every block in `before` is in `after` with the same hash.
fn assert_prefix(role: &str, before: &[String], after: &[String]) {
    assert!(
        after.len() >= before.len(),
        "{role}: lost blocks: {} before the kill, {} after",
        before.len(),
        after.len()
    );
    for (h, (a, b)) in before.iter().zip(after).enumerate() {
        assert_eq!(a, b, "{role}: block {h} changed across the kill");
    }
}

fn report(role: &str, tried: usize, held: usize, what: &str, extra: Value) {
    println!(
        "\nKILLS {}",
        json!({"role": role, "kills": tried, "held": held, "checked": what, "detail": extra})
    );
}

/// `sero dev`: SIGKILL during block application and during a wallet send.
#[test]
fn dev_node_survives_sigkill_during_blocks_and_sends() {
    let mut rng = Rng::from_env();
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("dev");
    let mut node: DevNode = start_with(&datadir, 1);
    let (_, bob) = sero(&["keys", "new"]);
    let (bob_pk, bob_words) = (
        bob["pk"].as_str().unwrap().to_string(),
        bob["mnemonic"].as_str().unwrap().to_string(),
    );
    let dev = node.mnemonic.clone();
    let wallet_dir = dir.path().join("wallet");
    let amount = 7u128;
    let n = kills();
    let (mut held, mut during_send) = (0, 0);
    for k in 0..n {
        // A payment in flight (not waited for) while blocks are applied.
        let url = node.url.clone();
        let send = Command::new(SERO)
            .args(["--json", "wallet", "--rpc", &url, "--wallet-dir"])
            .arg(&wallet_dir)
            .args(["send", "--mnemonic", &dev, "--to", &bob_pk, "--amount"])
            .arg(amount.to_string())
            .arg("--wait")
            .env_remove("SERO_MNEMONIC")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut send = Proc(send);
        // Wait a random moment: block application runs every second, and
        // the send builds its proofs and submits meanwhile.
        std::thread::sleep(rng.ms(200, 2500));
        let before = hashes(&url).expect("node answers before the kill");
        let bob_before = balance(&url, &bob_words).expect("balance before");
        if send.0.try_wait().unwrap().is_none() {
            during_send += 1;
        }
        node.child.kill().unwrap(); // SIGKILL
        node.child.wait().unwrap();
        let _ = send.0.wait();
        drop(send);

        node = start_with(&datadir, 1);
        let after = hashes(&node.url).expect("node answers after the restart");
        assert_prefix("dev", &before, &after);
        let bob_after = balance(&node.url, &bob_words).expect("balance after");
        assert!(
            bob_after >= bob_before,
            "dev kill {k}: payee balance went from {bob_before} to {bob_after}"
        );
        // Settle the payment that may have been cut off.
        let (code, v) = sero(&[
            "wallet",
            "--rpc",
            &node.url,
            "--wallet-dir",
            wallet_dir.to_str().unwrap(),
            "pending",
        ]);
        assert_eq!(code, 0, "wallet pending after kill {k}: {v}");
        held += 1;
    }
    // Every payment lands at most once: the payee's balance is a multiple
    // of the amount and at most one per send.
    let tip = height(&node.url).unwrap();
    wait_until("two more blocks", 120, || {
        height(&node.url).is_some_and(|h| h >= tip + 2)
    });
    let b = balance(&node.url, &bob_words).unwrap();
    assert_eq!(b % amount, 0, "payee balance {b}");
    assert!(b / amount <= n as u128, "payee paid twice: {b}");
    report(
        "dev node",
        n,
        held,
        "blocks before the kill kept with their hashes; payee balance not lower; payments at most once",
        json!({"killed_during_a_send": during_send, "payments_landed": b / amount, "blocks": height(&node.url)}),
    );
}

fn agree(urls: &[String]) -> Option<u64> {
    let low = urls.iter().map(|u| height(u)).collect::<Option<Vec<_>>>()?;
    let low = *low.iter().min()?;
    for h in 0..=low {
        let hs: Vec<String> = urls
            .iter()
            .map(|u| block_hash(u, h))
            .collect::<Option<_>>()?;
        assert!(
            hs.iter().all(|x| *x == hs[0]),
            "nodes disagree at height {h}: {hs:?}"
        );
    }
    Some(low)
}

/// A validator and a syncing follower of a four-validator testnet.
#[test]
fn validator_and_syncing_follower_survive_sigkill() {
    let mut rng = Rng::from_env();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("net");
    let (plan, _) = init_testnet(&d, 4);
    let (args, urls) = plan_nodes(&plan);
    let logs: Vec<_> = (0..4).map(|i| d.join(format!("node{i}.log"))).collect();
    let mut procs: Vec<Proc> = args.iter().zip(&logs).map(|(a, l)| spawn(a, l)).collect();
    wait_until("four validators to finalise block 2", 240, || {
        urls.iter().all(|u| finalized(u).is_some_and(|f| f >= 2))
    });

    // Validator 3: SIGKILL at a random moment, restart, catch up, agree.
    let n = kills();
    let mut held = 0;
    for k in 0..n {
        std::thread::sleep(rng.ms(300, 4000));
        let before = hashes(&urls[3]).expect("validator answers");
        procs[3].0.kill().unwrap();
        procs[3].0.wait().unwrap();
        procs[3] = spawn(&args[3], &logs[3]);
        wait_until("the validator to answer again", 120, || {
            height(&urls[3]).is_some()
        });
        let after = hashes(&urls[3]).expect("validator answers after restart");
        assert_prefix("validator", &before, &after);
        let target = urls.iter().filter_map(|u| finalized(u)).max().unwrap() + 1;
        wait_until(
            &format!("validator kill {k}: all finalise {target}"),
            240,
            || {
                urls.iter()
                    .all(|u| finalized(u).is_some_and(|f| f >= target))
            },
        );
        agree(&urls).expect("all answer");
        held += 1;
    }
    report(
        "validator",
        n,
        held,
        "restarts, blocks before the kill kept, catches up, all 4 agree on every block, finality continues",
        json!({"final_height": urls.iter().filter_map(|u| finalized(u)).min()}),
    );

    // A follower (no validator key) syncing from the validators: killed
    // while it syncs.
    let fdir = d.join("follower");
    let frpc = format!("127.0.0.1:{}", free_port());
    let furl = format!("http://{frpc}");
    let mut fargs: Vec<String> = Vec::new();
    let mut it = args[0].iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--validator-key" => {
                it.next();
            }
            "--datadir" => {
                it.next();
                fargs.extend(["--datadir".into(), fdir.display().to_string()]);
            }
            "--listen" => {
                it.next();
                fargs.extend([
                    "--listen".into(),
                    format!("/ip4/127.0.0.1/tcp/{}", free_port()),
                ]);
            }
            "--rpc-addr" => {
                it.next();
                fargs.extend(["--rpc-addr".into(), frpc.clone()]);
            }
            _ => fargs.push(a.clone()),
        }
    }
    let flog = d.join("follower.log");
    let mut follower = spawn(&fargs, &flog);
    let (mut fheld, mut during_sync) = (0, 0);
    for k in 0..n {
        // Kill it early in the sync (or, once synced, while it follows).
        std::thread::sleep(rng.ms(200, 3000));
        let before = hashes(&furl).unwrap_or_default();
        let tip = urls.iter().filter_map(|u| height(u)).max().unwrap_or(0);
        if (before.len() as u64) <= tip {
            during_sync += 1;
        }
        follower.0.kill().unwrap();
        follower.0.wait().unwrap();
        follower = spawn(&fargs, &flog);
        wait_until("the follower to answer again", 120, || {
            height(&furl).is_some()
        });
        let after = hashes(&furl).expect("follower answers");
        assert_prefix("follower", &before, &after);
        let target = urls.iter().filter_map(|u| height(u)).max().unwrap();
        wait_until(
            &format!("follower kill {k}: synced to {target}"),
            240,
            || height(&furl).is_some_and(|h| h >= target),
        );
        let mut all = urls.clone();
        all.push(furl.clone());
        agree(&all).expect("all answer");
        fheld += 1;
    }
    report(
        "syncing follower",
        n,
        fheld,
        "restarts, blocks before the kill kept, syncs to the validators' height, agrees on every block",
        json!({"killed_while_behind": during_sync}),
    );
    drop(follower);
    drop(procs);
}
