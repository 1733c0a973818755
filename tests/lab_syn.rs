use scanfw_techniques as _;
// (kept apart so rustfmt does not reorder: the technique and reporter crates are linked
// for their inventory registrations)
use scanfw_reporters as _;

mod lab;

// SYN-scan (`-sS`) tests against the network-namespace lab (tests/lab, docs/lab.md), on
// loopback, and the unprivileged fallback to connect.
//
// Needs root, `ip`, `nft`; (f) also `setpriv` or `runuser`. Without them the tests print
// `SKIP (lab unavailable): ...` and pass, except under `CI=true`, where they fail.
// Packets go only to loopback or to the lab's namespaces (no default route there).

use std::ffi::OsString;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use lab::check::{
    port_list, ports_of, read, scan_types, single_host, summarize, tcp_mismatches, TARGET_TTL,
};
use lab::report::{parse_scanfw_json, parse_scanfw_stats, PortLine};
use lab::{Family, Lab, Layout};

const SCANFW: &str = env!("CARGO_BIN_EXE_scanfw");

/// Run `scanfw -sS -n --reason <extra> -oJ <json> <target>` in the scanner namespace and
/// assert exit 0. Returns the JSON text.
fn syn_scan(lab: &Lab, extra: &[&str], json: &Path, target: &str, timeout: Duration) -> String {
    let mut args: Vec<String> = ["-sS", "-n", "--reason"]
        .iter()
        .chain(extra)
        .map(|s| s.to_string())
        .collect();
    args.extend([
        "-oJ".to_string(),
        json.display().to_string(),
        target.to_string(),
    ]);
    let r = lab
        .run_in_scanner_timeout(SCANFW, &args, timeout)
        .unwrap_or_else(|e| panic!("running scanfw: {e}"));
    eprintln!(
        "timing: `{}` took {:.2?} (exit {})",
        r.cmdline, r.elapsed, r.status
    );
    r.assert_success();
    if !r.stderr.trim().is_empty() {
        eprintln!("scanfw stderr:\n{}", r.stderr.trim_end());
    }
    read(json)
}

/// Full range (`-p-`) by SYN against `layout`; every port exact.
fn full_range(layout: Layout, family: Family, label: &str) {
    let t0 = Instant::now();
    let Some(lab) = lab::require(layout) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("scan.json");
    let target = lab.target(family);
    let text = syn_scan(&lab, &["-p-"], &json, &target, Duration::from_secs(110));
    assert_eq!(
        scan_types(&text),
        ["syn"],
        "scan type (no fallback as root)"
    );
    let stats = parse_scanfw_stats(&text).unwrap_or_else(|e| panic!("scanfw JSON: {e}"));
    eprintln!(
        "stats ({label}): elapsed {:.2} s, probes_sent {}, retransmissions {} ({:.2}% of 65535), exit {}",
        stats.elapsed,
        stats.probes_sent,
        stats.retransmissions,
        stats.retransmissions as f64 * 100.0 / 65535.0,
        stats.exit
    );
    let host = single_host(
        parse_scanfw_json(&text).unwrap_or_else(|e| panic!("scanfw JSON: {e}")),
        &target,
        "",
    );
    let got = ports_of(&host, "tcp", &["tcp"], label);
    assert_eq!(
        got.len(),
        65535,
        "{label}: every TCP port must be listed exactly once (got {} distinct)",
        got.len()
    );
    let all: Vec<u16> = (1..=65535).collect();
    let bad = tcp_mismatches(&lab.layout, &all, &got, label, Some(TARGET_TTL), &|p| {
        lab.layout.expected_syn(p, family)
    });
    assert!(
        bad.is_empty(),
        "{label}: -p- SYN scan: {} problems:\n{}",
        bad.len(),
        summarize(&bad)
    );
    assert_eq!(stats.exit, "success", "{label}: stats.exit");
    if let Some(pct) = lab.layout.loss_percent {
        let dropped = lab
            .loss_dropped()
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        eprintln!(
            "loss ({label}): the target's {pct}% loss rule dropped {dropped} packets; scanfw sent {} probes",
            stats.probes_sent
        );
        // The rule must really have been in effect (about pct% of ~65.5k probes).
        assert!(
            dropped as f64 >= 65535.0 * f64::from(pct) / 100.0 / 2.0,
            "{label}: the loss rule dropped only {dropped} packets"
        );
    }
    eprintln!("timing: {label} test total {:.2?}", t0.elapsed());
}

/// (a) IPv4, all 65535 ports by SYN: state, reason and reason_ttl of every port.
#[test]
fn a_syn_ipv4_all_ports() {
    full_range(Layout::standard(), Family::V4, "IPv4 -sS -p-");
}

/// (b) The same over IPv6.
#[test]
fn b_syn_ipv6_all_ports() {
    full_range(Layout::standard(), Family::V6, "IPv6 -sS -p-");
}

/// (c) 5% random loss on packets entering the target; all ports over IPv4 must still be
/// exact (retransmissions recover lost probes; a lost probe's ICMP error is re-drawn by
/// the retransmission).
#[test]
fn c_syn_ipv4_lossy_link() {
    full_range(
        Layout::standard().with_loss(5),
        Family::V4,
        "IPv4 -sS -p- with 5% loss",
    );
}

/// (e) Eight target addresses (198.18.X.2-9) in one run, octet-range syntax; every host
/// and every port exact.
#[test]
fn e_syn_many_hosts() {
    let t0 = Instant::now();
    let Some(lab) = lab::require(Layout::standard().with_extra_hosts(7)) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("scan.json");
    let (spec, ports) = port_list(&lab.layout);
    let hosts = lab.target_hosts(Family::V4);
    assert_eq!(hosts.len(), 8);
    let target = format!("198.18.{}.2-9", lab.subnet);
    let text = syn_scan(
        &lab,
        &["-p", &spec],
        &json,
        &target,
        Duration::from_secs(60),
    );
    assert_eq!(scan_types(&text), ["syn"], "scan type");
    let stats = parse_scanfw_stats(&text).unwrap_or_else(|e| panic!("scanfw JSON: {e}"));
    eprintln!(
        "stats (8 hosts x {} ports): elapsed {:.2} s, probes_sent {}, retransmissions {}, hosts up {}/{}",
        ports.len(),
        stats.elapsed,
        stats.probes_sent,
        stats.retransmissions,
        stats.hosts_up,
        stats.hosts_total
    );
    let got_hosts = parse_scanfw_json(&text).unwrap_or_else(|e| panic!("scanfw JSON: {e}"));
    let addrs: Vec<&str> = got_hosts.iter().map(|h| h.address.as_str()).collect();
    let mut sorted = addrs.clone();
    sorted.sort_by_key(|a| a.parse::<Ipv4Addr>().ok());
    sorted.dedup();
    assert_eq!(
        sorted, hosts,
        "hosts in the report (in document order: {addrs:?})"
    );
    let mut bad = Vec::new();
    for h in &got_hosts {
        let got = ports_of(h, "tcp", &["tcp"], &h.address);
        bad.extend(tcp_mismatches(
            &lab.layout,
            &ports,
            &got,
            &h.address,
            Some(TARGET_TTL),
            &|p| lab.layout.expected_syn(p, Family::V4),
        ));
    }
    assert!(
        bad.is_empty(),
        "8-host SYN scan: {} problems:\n{}",
        bad.len(),
        summarize(&bad)
    );
    assert_eq!(stats.hosts_total, 8, "stats.hosts.total");
    eprintln!("timing: many-hosts test total {:.2?}", t0.elapsed());
}

/// Root check for the tests that run outside the lab (loopback), with the lab's policy.
fn require_root(what: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        lab::skip_or_panic(&format!("{what}: not running as root"));
        return false;
    }
    true
}

/// A listener on 127.0.0.1:0 and a port that was free a moment ago (closed).
fn loopback_ports() -> (TcpListener, u16, u16) {
    let open = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let open_port = open.local_addr().expect("local_addr").port();
    let closed_port = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let p: SocketAddr = l.local_addr().expect("local_addr");
        p.port()
    };
    (open, open_port, closed_port)
}

fn show(cmd: &[OsString]) -> String {
    cmd.iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Run a command on the host (loopback scans only) and time it.
fn run_host(cmd: &[OsString]) -> (Output, Duration) {
    let t0 = Instant::now();
    let out = Command::new(&cmd[0])
        .args(&cmd[1..])
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{}`: {e}", show(cmd)));
    let el = t0.elapsed();
    eprintln!(
        "timing: `{}` took {el:.2?} (exit {})",
        show(cmd),
        out.status
    );
    (out, el)
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// (d) SYN scan of 127.0.0.1 on the host's loopback as root: an open and a closed port.
/// The raw socket also sees our own SYNs on `lo`; they must be discarded (a SYN without
/// ACK from the probed port would otherwise read as `split-handshake-syn`).
#[test]
fn d_syn_loopback() {
    let t0 = Instant::now();
    if !require_root("SYN scan of 127.0.0.1") {
        return;
    }
    let (listener, open_port, closed_port) = loopback_ports();
    let spec = format!("{open_port},{closed_port}");
    let cmd = os(&[
        SCANFW,
        "-sS",
        "-n",
        "--reason",
        "-p",
        &spec,
        "-oJ",
        "-",
        "127.0.0.1",
    ]);
    let (out, _) = run_host(&cmd);
    drop(listener);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "scanfw failed ({}):\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        out.status
    );
    assert_eq!(
        scan_types(&stdout),
        ["syn"],
        "as root, -sS must not fall back (stderr: {stderr})"
    );
    let h = single_host(
        parse_scanfw_json(&stdout).unwrap_or_else(|e| panic!("scanfw JSON: {e}")),
        "127.0.0.1",
        "",
    );
    let split: Vec<&PortLine> = h
        .ports
        .iter()
        .filter(|p| p.reason == "split-handshake-syn")
        .collect();
    assert!(
        split.is_empty(),
        "own SYN probes seen on lo were taken for replies: {split:?}"
    );
    let got = ports_of(&h, "tcp", &["tcp"], "127.0.0.1");
    let line = |p: u16| {
        got.get(&p)
            .map(|l| (l.state.as_str(), l.reason.as_str(), l.reason_ttl))
    };
    assert_eq!(
        line(open_port),
        Some(("open", "syn-ack", Some(TARGET_TTL))),
        "open port {open_port} (listener on 127.0.0.1)"
    );
    assert_eq!(
        line(closed_port),
        Some(("closed", "reset", Some(TARGET_TTL))),
        "closed port {closed_port}"
    );
    assert_eq!(got.len(), 2, "exactly the two requested ports: {got:?}");
    eprintln!("timing: loopback SYN test total {:.2?}", t0.elapsed());
}

/// `[program, args...]` prefix that runs a command as nobody (65534) without any
/// capability, or `None` if no tool for that exists.
fn unprivileged_prefix() -> Option<Vec<OsString>> {
    if let Some(p) = lab::which("setpriv") {
        return Some(vec![
            p.into_os_string(),
            "--reuid=65534".into(),
            "--regid=65534".into(),
            "--clear-groups".into(),
            "--inh-caps=-all".into(),
            "--".into(),
        ]);
    }
    if let Some(p) = lab::which("runuser") {
        return Some(vec![
            p.into_os_string(),
            "-u".into(),
            "nobody".into(),
            "--".into(),
        ]);
    }
    None
}

/// The scanfw binary at a path nobody can execute: the build output itself if it can,
/// else a mode-755 copy in `dir` (which is made world-searchable).
fn binary_for_nobody(prefix: &[OsString], dir: &Path) -> PathBuf {
    let mut probe = prefix.to_vec();
    probe.extend([OsString::from(SCANFW), "--version".into()]);
    let ok = Command::new(&probe[0])
        .args(&probe[1..])
        .stdin(Stdio::null())
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        return PathBuf::from(SCANFW);
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod dir");
    let copy = dir.join("scanfw");
    std::fs::copy(SCANFW, &copy).expect("copy scanfw");
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).expect("chmod bin");
    eprintln!("fallback test: using a mode-755 copy at {}", copy.display());
    copy
}

/// Non-empty lines of stderr.
fn lines(s: &str) -> Vec<&str> {
    s.lines().filter(|l| !l.trim().is_empty()).collect()
}

/// (f) Unprivileged `-sS`: falls back to connect with a one-line notice; with
/// `--no-fallback` exits 2 with a one-line message.
#[test]
fn f_unprivileged_fallback() {
    let t0 = Instant::now();
    if !require_root("dropping privileges for the fallback test") {
        return;
    }
    let Some(prefix) = unprivileged_prefix() else {
        lab::skip_or_panic("neither `setpriv` nor `runuser` found in PATH");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = binary_for_nobody(&prefix, dir.path());
    let (listener, open_port, closed_port) = loopback_ports();
    let spec = format!("{open_port},{closed_port}");

    let mut cmd = prefix.clone();
    cmd.push(bin.clone().into_os_string());
    cmd.extend(os(&[
        "-sS",
        "-n",
        "--reason",
        "-p",
        &spec,
        "-oJ",
        "-",
        "127.0.0.1",
    ]));
    let (out, _) = run_host(&cmd);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!("fallback stderr: {:?}", stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "unprivileged -sS should fall back and exit 0:\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
    );
    let notice = lines(&stderr);
    assert_eq!(
        notice.len(),
        1,
        "expected a one-line fallback notice on stderr, got {notice:?}"
    );
    let low = notice[0].to_lowercase();
    assert!(
        low.contains("fall") && low.contains("connect"),
        "notice does not mention falling back to connect: {:?}",
        notice[0]
    );
    assert_eq!(scan_types(&stdout), ["connect"], "scan type after fallback");
    let h = single_host(
        parse_scanfw_json(&stdout).unwrap_or_else(|e| panic!("scanfw JSON: {e}")),
        "127.0.0.1",
        "",
    );
    let got = ports_of(&h, "tcp", &["tcp"], "127.0.0.1");
    let line = |p: u16| got.get(&p).map(|l| (l.state.as_str(), l.reason.as_str()));
    assert_eq!(
        line(open_port),
        Some(("open", "syn-ack")),
        "open port {open_port}"
    );
    assert_eq!(
        line(closed_port),
        Some(("closed", "conn-refused")),
        "closed port {closed_port}"
    );
    assert_eq!(got.len(), 2, "exactly the two requested ports: {got:?}");

    let mut cmd = prefix.clone();
    cmd.push(bin.into_os_string());
    cmd.extend(os(&[
        "-sS",
        "--no-fallback",
        "-n",
        "--reason",
        "-p",
        &spec,
        "-oJ",
        "-",
        "127.0.0.1",
    ]));
    let (out, _) = run_host(&cmd);
    drop(listener);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!("--no-fallback stderr: {:?}", stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "unprivileged -sS --no-fallback must exit 2 (stdout: {}, stderr: {stderr})",
        String::from_utf8_lossy(&out.stdout)
    );
    let msg = lines(&stderr);
    assert_eq!(
        msg.len(),
        1,
        "expected a one-line message on stderr, got {msg:?}"
    );
    eprintln!("timing: fallback test total {:.2?}", t0.elapsed());
}
