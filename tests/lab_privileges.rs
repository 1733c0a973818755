use scanfw_techniques as _;
// (kept apart so rustfmt does not reorder: the technique and reporter crates are linked
// for their inventory registrations)
use scanfw_reporters as _;

mod lab;

// Privileges (issue 9): a root scan drops what it does not need once its sockets and outputs
// are open: no capabilities, no_new_privs, and the sudo caller's user and group when started
// through sudo (SUDO_UID / SUDO_GID). The scan goes on with the sockets already open.
//
// The lab tests need root, `ip` and `nft`; without them they print `SKIP (lab unavailable):
// ...` and pass, except under `CI=true`. The loopback tests need nothing.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lab::{Lab, Layout, PortKind};
use serde_json::Value;

const SCANFW: &str = env!("CARGO_BIN_EXE_scanfw");

/// The fields of /proc/PID/status this test looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Creds {
    uid: String,
    gid: String,
    cap_eff: String,
    cap_prm: String,
    no_new_privs: String,
}

fn creds(status: &str) -> Option<Creds> {
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
    };
    Some(Creds {
        uid: field("Uid:")?,
        gid: field("Gid:")?,
        cap_eff: field("CapEff:")?,
        cap_prm: field("CapPrm:")?,
        no_new_privs: field("NoNewPrivs:")?,
    })
}

/// Starts `scanfw args...` in the scanner namespace without waiting, with `sudo` set as
/// SUDO_UID / SUDO_GID (or neither), stdout piped.
fn spawn_in_scanner(lab: &Lab, args: &[&str], sudo: Option<u32>) -> Child {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &lab.scanner_ns, SCANFW])
        .args(args)
        .env_remove("SUDO_UID")
        .env_remove("SUDO_GID")
        .env_remove("SUDO_USER")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(id) = sudo {
        cmd.env("SUDO_UID", id.to_string())
            .env("SUDO_GID", id.to_string());
    }
    cmd.spawn().expect("spawn ip netns exec scanfw")
}

fn comm(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|c| c.trim().to_string())
}

/// The pid of the scanfw process started through `ip netns exec` as `child`: the child itself
/// once it has exec'd scanfw, or a descendant named scanfw.
fn scanfw_pid(child: u32) -> Option<u32> {
    if comm(child).as_deref() == Some("scanfw") {
        return Some(child);
    }
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(child) && comm(pid).as_deref() == Some("scanfw") {
            return Some(pid);
        }
    }
    None
}

/// Every thread's credentials of process `pid`, by thread name.
fn thread_creds(pid: u32) -> Vec<(String, Creds)> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|t| {
            let status = std::fs::read_to_string(t.path().join("status")).ok()?;
            let name = std::fs::read_to_string(t.path().join("comm")).ok()?;
            Some((name.trim().to_string(), creds(&status)?))
        })
        .collect()
}

const NO_CAPS: &str = "0000000000000000";

/// A scan of the target long enough to look at it mid-way: ARP discovery on the lab's link,
/// then a SYN scan of 3000 ports at 600 probes a second.
fn long_scan(lab: &Lab, sudo: Option<u32>, want: &Creds) {
    let target = lab.target_v4().to_string();
    let args = [
        "-sS",
        "-p",
        "1-3000",
        "--max-rate",
        "600",
        "-n",
        "-o",
        "json",
        target.as_str(),
    ];
    let mut child = spawn_in_scanner(lab, &args, sudo);
    let started = Instant::now();
    let mut seen: Option<Vec<(String, Creds)>> = None;
    let mut last = Vec::new();
    while started.elapsed() < Duration::from_secs(4) {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if let Some(pid) = scanfw_pid(child.id()) {
            // Give it time to open its sockets and drop; then every thread must show it.
            if started.elapsed() > Duration::from_millis(1500) {
                last = thread_creds(pid);
                if !last.is_empty() {
                    seen = Some(last.clone());
                    break;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let still_running = matches!(child.try_wait(), Ok(None));
    let out = child.wait_with_output().expect("wait for scanfw");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "scanfw failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(still_running, "the scan ended before it could be looked at");
    let threads = seen.unwrap_or_else(|| panic!("no scanfw process seen mid-scan: {last:?}"));
    for (name, c) in &threads {
        assert_eq!(c, want, "thread {name} mid-scan");
    }
    eprintln!("mid-scan: {} threads, all {:?}", threads.len(), want);
    let doc: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("scanfw JSON: {e}\n{stdout}"));
    let host = &doc["hosts"][0];
    assert_eq!(host["address"], target.as_str(), "{doc}");
    assert!(
        host["mac"].is_string(),
        "ARP over the channel opened before the drop: {host}"
    );
    let state = |port: u16| {
        host["ports"]
            .as_array()
            .expect("ports")
            .iter()
            .find(|p| p["port"] == port)
            .map(|p| p["state"].as_str().unwrap_or_default().to_string())
    };
    assert_eq!(state(80).as_deref(), Some("open"), "{host}");
    assert_eq!(state(22).as_deref(), Some("open"), "{host}");
    assert_eq!(state(135).as_deref(), Some("filtered"), "{host}");
    assert_ne!(state(81).as_deref(), Some("open"), "{host}");
}

fn layout() -> Layout {
    Layout::new()
        .with(PortKind::Open, &[22, 80])
        .with(PortKind::Drop, &[135])
}

#[test]
fn a_sudo_scan_runs_as_the_sudo_user_without_capabilities() {
    let Some(lab) = lab::require(layout()) else {
        return;
    };
    let nobody = "65534 65534 65534 65534".to_string();
    long_scan(
        &lab,
        Some(65534),
        &Creds {
            uid: nobody.clone(),
            gid: nobody,
            cap_eff: NO_CAPS.into(),
            cap_prm: NO_CAPS.into(),
            no_new_privs: "1".into(),
        },
    );
}

#[test]
fn a_root_scan_keeps_uid_0_without_capabilities() {
    let Some(lab) = lab::require(layout()) else {
        return;
    };
    let root = "0 0 0 0".to_string();
    long_scan(
        &lab,
        None,
        &Creds {
            uid: root.clone(),
            gid: root,
            cap_eff: NO_CAPS.into(),
            cap_prm: NO_CAPS.into(),
            no_new_privs: "1".into(),
        },
    );
}

#[test]
fn a_non_numeric_sudo_uid_stops_the_scan() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        // Not root: there is nothing to drop to, and SUDO_UID is not looked at.
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port().to_string();
    let out = Command::new(SCANFW)
        .args(["-sT", "-Pn", "-n", "-p", &port, "127.0.0.1"])
        .env("SUDO_UID", "nobody")
        .env("SUDO_GID", "65534")
        .output()
        .expect("run scanfw");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot drop privileges"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("open"));
}

#[test]
fn unprivileged_falls_back_to_connect() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let p = port.to_string();
    let out = Command::new(SCANFW)
        .args(["--unprivileged", "-sS", "-n", "-p", &p, "127.0.0.1"])
        .output()
        .expect("run scanfw");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("falling back to connect"), "{stderr}");
    assert!(
        stdout.contains(&format!("{port}/tcp open")),
        "{stdout}\n{stderr}"
    );
    // Without -s, --unprivileged means the connect scan (as if raw sockets were unavailable).
    let out = Command::new(SCANFW)
        .args(["--unprivileged", "-n", "-p", &p, "-o", "json", "127.0.0.1"])
        .output()
        .expect("run scanfw");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let doc: Value = serde_json::from_str(&stdout).expect("json");
    assert!(doc.to_string().contains("connect"), "{doc}");
}

#[test]
fn unprivileged_without_fallback_is_refused() {
    let out = Command::new(SCANFW)
        .args([
            "--unprivileged",
            "--no-fallback",
            "-sS",
            "-n",
            "-p",
            "80",
            "127.0.0.1",
        ])
        .output()
        .expect("run scanfw");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("needs raw-socket privileges"), "{stderr}");
    assert!(out.stdout.is_empty() || !String::from_utf8_lossy(&out.stdout).contains("open"));
}

#[test]
fn privileged_and_unprivileged_conflict() {
    let out = Command::new(SCANFW)
        .args(["--privileged", "--unprivileged", "-p", "80", "127.0.0.1"])
        .output()
        .expect("run scanfw");
    assert_eq!(out.status.code(), Some(2));
}
