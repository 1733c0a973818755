use scanfw_techniques as _;
// (kept apart so rustfmt does not reorder: the technique and reporter crates are linked
// for their inventory registrations)
use scanfw_reporters as _;

// Resumable scans (docs/auditing.md, "Resuming an interrupted audit"): a connect() scan of
// loopback addresses (no root, nothing leaves the machine) with --state, stopped by SIGTERM
// half-way, then `scanfw --resume FILE`: the outputs equal those of one uninterrupted run.
// A state file from other arguments, or a profile changed since, is refused.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const SCANFW: &str = env!("CARGO_BIN_EXE_scanfw");

/// Per host address: its ports as (protocol, port, state, reason).
type Hosts = BTreeMap<String, Vec<(String, u64, String, String)>>;

/// The hosts of a JSON report, and its host counts.
fn summary(path: &Path) -> (Hosts, Value) {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("json")).expect("valid JSON");
    let mut hosts = BTreeMap::new();
    for h in doc["hosts"].as_array().expect("hosts") {
        let ports = h["ports"]
            .as_array()
            .expect("ports")
            .iter()
            .map(|p| {
                (
                    p["protocol"].as_str().unwrap_or("").to_string(),
                    p["port"].as_u64().unwrap_or(0),
                    p["state"].as_str().unwrap_or("").to_string(),
                    p["reason"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        hosts.insert(h["address"].as_str().unwrap_or("").to_string(), ports);
    }
    (hosts, doc["stats"]["hosts"].clone())
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Hosts the state file holds: (finished, cut short).
fn held(state: &Path) -> (usize, usize) {
    let v: Value = std::fs::read_to_string(state)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let n = |k: &str| v[k].as_array().map_or(0, Vec::len);
    (n("up"), n("partial"))
}

#[test]
fn an_interrupted_scan_resumed_equals_one_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = |n: &str| dir.path().join(n);
    let scan = [
        "-n",
        "-sT",
        "--unprivileged",
        "-p",
        "1-12000",
        "127.0.0.0/27",
    ];
    let t_ref = Instant::now();
    let reference = Command::new(SCANFW)
        .args(scan)
        .args(["-o", &format!("json={}", p("one.json").display())])
        .output()
        .expect("run");
    assert_eq!(
        reference.status.code(),
        Some(0),
        "{}",
        text(&reference.stderr)
    );
    let half = t_ref.elapsed() / 2;

    // The same scan with a state file, stopped once a few hosts are done.
    let child = Command::new(SCANFW)
        .args(scan)
        .args(["-o", &format!("json={}", p("two.json").display())])
        .args(["--state", &p("scan.state").display().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Stopped half-way through (hosts are scanned side by side: most end up cut short).
    std::thread::sleep(half);
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let first = child.wait_with_output().expect("wait");
    let (done, partial) = held(&p("scan.state"));
    eprintln!(
        "stopped after {half:?}: {done} hosts finished, {partial} cut short: {}",
        text(&first.stderr)
    );
    assert_eq!(
        first.status.code(),
        Some(130),
        "interrupted: {}",
        text(&first.stderr)
    );
    assert!(
        done < 32,
        "the scan was stopped before the end ({done} hosts)"
    );
    let (cut, _) = summary(&p("two.json"));
    assert!(
        cut.len() < 32,
        "the interrupted run's output holds part of the hosts"
    );

    // Resumed with the stored arguments: the same outputs as one run.
    let resumed = Command::new(SCANFW)
        .args(["--resume", &p("scan.state").display().to_string()])
        .output()
        .expect("resume");
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed.stderr));
    let (one, one_counts) = summary(&p("one.json"));
    let (two, two_counts) = summary(&p("two.json"));
    assert_eq!(one.len(), 32);
    assert_eq!(two, one, "resumed output differs from one run");
    assert_eq!(two_counts, one_counts);

    // Resuming a finished scan changes nothing and probes nothing new.
    let again = Command::new(SCANFW)
        .args(["--resume", &p("scan.state").display().to_string()])
        .output()
        .expect("resume");
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert_eq!(summary(&p("two.json")).0, one);
}

#[test]
fn state_files_of_other_scans_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = |n: &str| dir.path().join(n);
    let state = p("s.state").display().to_string();
    std::fs::write(
        p("audit.toml"),
        "targets = [\"127.0.0.1\"]\nports = \"1-50\"\n",
    )
    .expect("write");
    let first = Command::new(SCANFW)
        .args([
            "-c",
            &p("audit.toml").display().to_string(),
            "-sT",
            "--unprivileged",
        ])
        .args([
            "--state",
            &state,
            "-o",
            &format!("json={}", p("a.json").display()),
        ])
        .output()
        .expect("run");
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    // The profile changes: the stored arguments now mean another scan.
    std::fs::write(
        p("audit.toml"),
        "targets = [\"127.0.0.1\"]\nports = \"1-60\"\n",
    )
    .expect("write");
    let r = Command::new(SCANFW)
        .args(["--resume", &state])
        .output()
        .expect("resume");
    assert_eq!(r.status.code(), Some(2));
    assert!(
        text(&r.stderr).contains("was written by another scan"),
        "{}",
        text(&r.stderr)
    );
    // Extra arguments next to --resume.
    let r = Command::new(SCANFW)
        .args(["--resume", &state, "-p", "80"])
        .output()
        .expect("resume");
    assert_eq!(r.status.code(), Some(2));
    assert!(
        text(&r.stderr).contains("takes no other arguments"),
        "{}",
        text(&r.stderr)
    );
    // Not a state file at all.
    let r = Command::new(SCANFW)
        .args(["--resume", &p("audit.toml").display().to_string()])
        .output()
        .expect("resume");
    assert_eq!(r.status.code(), Some(2));
    assert!(
        text(&r.stderr).contains("not a usable scanfw state file"),
        "{}",
        text(&r.stderr)
    );
}
