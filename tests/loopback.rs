//! End-to-end runs of the binary against loopback, as an unprivileged user would run it.

use scanfw_reporters as _;
use scanfw_techniques as _;

use serde_json::Value;
use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn scanfw(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scanfw"))
        .args(args)
        .output()
        .expect("run scanfw")
}

/// A listening socket and a port that is certainly closed, on `ip`.
fn open_and_closed(ip: &str) -> Option<(TcpListener, u16, u16)> {
    let listener = TcpListener::bind((ip, 0)).ok()?;
    let open = listener.local_addr().ok()?.port();
    let closed = {
        let probe = TcpListener::bind((ip, 0)).ok()?;
        probe.local_addr().ok()?.port()
    };
    Some((listener, open, closed))
}

fn port_entry(doc: &Value, port: u16) -> &Value {
    doc["hosts"][0]["ports"]
        .as_array()
        .expect("ports array")
        .iter()
        .find(|p| p["port"] == port)
        .unwrap_or_else(|| panic!("port {port} missing in {doc}"))
}

fn check_open_closed(ip: &str) {
    let Some((_listener, open, closed)) = open_and_closed(ip) else {
        eprintln!("SKIP: cannot bind on {ip} (no such loopback address here)");
        return;
    };
    let ports = format!("{open},{closed}");
    let out = scanfw(&["-sT", "-p", &ports, "-oJ", "-", ip]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("one JSON document on stdout");
    assert_eq!(doc["scanner"], "scanfw");
    assert_eq!(doc["hosts"][0]["address"], ip);
    let o = port_entry(&doc, open);
    assert_eq!(
        (o["state"].as_str(), o["reason"].as_str()),
        (Some("open"), Some("syn-ack"))
    );
    let c = port_entry(&doc, closed);
    assert_eq!(
        (c["state"].as_str(), c["reason"].as_str()),
        (Some("closed"), Some("conn-refused"))
    );
    assert_eq!(doc["hosts"][0]["ports"].as_array().map(Vec::len), Some(2));
}

#[test]
fn ipv4_loopback_open_and_closed() {
    check_open_closed("127.0.0.1");
}

#[test]
fn ipv6_loopback_open_and_closed() {
    check_open_closed("::1");
}

#[test]
fn default_table_output_is_nmap_like() {
    let (_listener, open, closed) = open_and_closed("127.0.0.1").expect("loopback");
    let ports = format!("{open},{closed}");
    let out = scanfw(&["-sT", "-p", &ports, "--reason", "localhost"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Starting scanfw "), "{text}");
    assert!(
        text.contains("scan report for localhost (127.0.0.1)"),
        "{text}"
    );
    let open_line = text
        .lines()
        .find(|l| l.starts_with(&format!("{open}/tcp")))
        .expect("open port line");
    assert!(
        open_line.contains(" open ") && open_line.contains("syn-ack"),
        "{open_line}"
    );
    let closed_line = text
        .lines()
        .find(|l| l.starts_with(&format!("{closed}/tcp")))
        .expect("closed port line");
    assert!(
        closed_line.contains(" closed ") && closed_line.contains("conn-refused"),
        "{closed_line}"
    );
    assert!(
        text.contains("scanfw done: 1 IP address (1 host up) scanned in "),
        "{text}"
    );
}

#[test]
fn several_outputs_in_one_run() {
    let (_listener, open, _) = open_and_closed("127.0.0.1").expect("loopback");
    let dir = tempfile::tempdir().expect("tmp");
    let json = dir.path().join("scan.json");
    let xml = dir.path().join("scan.xml");
    let normal = dir.path().join("scan.nmap");
    let ports = format!("1-100,{open}");
    let out = scanfw(&[
        "-sT",
        "-p",
        &ports,
        "-o",
        &format!("json={}", json.display()),
        "-oX",
        &xml.display().to_string(),
        "-oN",
        &normal.display().to_string(),
        "127.0.0.1",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "no stdout output was requested");
    let doc: Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json file")).expect("valid json");
    assert_eq!(
        doc["hosts"][0]["ports"].as_array().map(Vec::len),
        Some(if open <= 100 { 100 } else { 101 })
    );
    let xml_text = std::fs::read_to_string(&xml).expect("xml file");
    assert!(
        xml_text.contains(&format!("portid=\"{open}\"")),
        "{xml_text}"
    );
    assert!(xml_text.trim_end().ends_with("</nmaprun>"));
    let normal_text = std::fs::read_to_string(&normal).expect("normal file");
    assert!(
        normal_text.contains("Not shown: 100 closed tcp ports (conn-refused)") || open <= 100,
        "{normal_text}"
    );
}

#[test]
fn audit_profile_runs_and_cli_overrides_it() {
    let (_listener, open, _) = open_and_closed("127.0.0.1").expect("loopback");
    let dir = tempfile::tempdir().expect("tmp");
    let profile = dir.path().join("audit.toml");
    std::fs::write(
        &profile,
        format!(
            "targets = [\"127.0.0.1\"]\nports = \"{open}\"\nreason = true\n[timing]\ntemplate = 4\n[[output]]\nformat = \"json\"\npath = \"out.json\"\n"
        ),
    )
    .expect("write profile");
    let out = scanfw(&["-c", &profile.display().to_string()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("out.json")).expect("profile output path"),
    )
    .expect("json");
    assert_eq!(port_entry(&doc, open)["state"], "open");
    // The command line replaces the profile's ports and outputs.
    let out = scanfw(&["-c", &profile.display().to_string(), "-p", "1", "-oJ", "-"]);
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json on stdout");
    let ports = doc["hosts"][0]["ports"].as_array().expect("ports");
    assert_eq!(ports.len(), 1);
    assert_eq!(ports[0]["port"], 1);
}

#[test]
fn interrupted_scan_leaves_complete_documents() {
    let dir = tempfile::tempdir().expect("tmp");
    let json = dir.path().join("scan.json");
    let xml = dir.path().join("scan.xml");
    // Serial and slow: 2000 ports at one probe per 5 ms would take 10 s.
    let child = Command::new(env!("CARGO_BIN_EXE_scanfw"))
        .args([
            "-p",
            "1-2000",
            "--scan-delay",
            "5ms",
            "--max-parallelism",
            "1",
            "127.0.0.1",
        ])
        .args([
            "-oJ",
            &json.display().to_string(),
            "-oX",
            &xml.display().to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn scanfw");
    std::thread::sleep(Duration::from_millis(1500));
    // SAFETY: plain kill(2) on our own child's pid.
    let rc = unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    assert_eq!(rc, 0);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(&json).expect("json"))
        .expect("complete JSON document");
    assert_eq!(doc["stats"]["exit"], "interrupted");
    let scanned = doc["hosts"][0]["ports"].as_array().map_or(0, Vec::len);
    assert!(
        scanned > 0 && scanned < 2000,
        "a partial host with some ports: {scanned}"
    );
    assert_eq!(doc["hosts"][0]["partial"], true);
    let xml_text = std::fs::read_to_string(&xml).expect("xml");
    assert!(xml_text.trim_end().ends_with("</nmaprun>"), "{xml_text}");
    assert!(xml_text.contains("exit=\"error\""));
}

#[test]
fn help_and_version() {
    let out = scanfw(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Examples:") && text.contains("--top-ports"),
        "{text}"
    );
    let out = scanfw(&["--version"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("scanfw {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn small_descriptor_limit_still_scans_exactly() {
    // A tiny RLIMIT_NOFILE: the engine sizes its parallelism to it and still finishes exactly.
    let (_listener, open, _) = open_and_closed("127.0.0.1").expect("loopback");
    let ports = format!("1-3000,{open}");
    let out = Command::new("sh")
        .args([
            "-c",
            &format!(
                "ulimit -n 80 -H 2>/dev/null; ulimit -n 80; exec {} -p {ports} -oJ - 127.0.0.1",
                env!("CARGO_BIN_EXE_scanfw")
            ),
        ])
        .output()
        .expect("sh");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let ports = doc["hosts"][0]["ports"].as_array().expect("ports");
    let expected = if open <= 3000 { 3000 } else { 3001 };
    assert_eq!(ports.len(), expected, "every port decided exactly once");
    // Compare with what the kernel says right now (other services may listen on this machine).
    for p in ports {
        let port = p["port"].as_u64().expect("port") as u16;
        let reachable = std::net::TcpStream::connect_timeout(
            &SocketAddr::from(([127, 0, 0, 1], port)),
            Duration::from_secs(1),
        )
        .is_ok();
        let want = if reachable { "open" } else { "closed" };
        assert_eq!(p["state"], want, "port {port}");
    }
}

#[test]
fn host_timeout_reports_the_host_as_timed_out_without_ports() {
    // --max-rate 200 makes 5000 ports take at least 25 s, far past the 300 ms host timeout.
    let out = scanfw(&[
        "-p",
        "1-5000",
        "--max-rate",
        "200",
        "--host-timeout",
        "300ms",
        "-oJ",
        "-",
        "127.0.0.1",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let host = &doc["hosts"][0];
    assert_eq!(host["timedout"], true, "{host}");
    assert_eq!(host["ports"].as_array().map(Vec::len), Some(0));
    let sent = doc["stats"]["probes_sent"].as_u64().expect("probes_sent");
    assert!(sent < 5000, "the host was abandoned early ({sent} probes)");
}

#[test]
fn max_rate_bounds_the_probes_sent() {
    // At most 100 probes per second: a 400 ms host timeout leaves room for roughly 40 probes,
    // never for all 1000 (machine load can only make it fewer).
    let out = scanfw(&[
        "-p",
        "1-1000",
        "--max-rate",
        "100",
        "--host-timeout",
        "400ms",
        "-oJ",
        "-",
        "127.0.0.1",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let sent = doc["stats"]["probes_sent"].as_u64().expect("probes_sent");
    assert!(
        (1..=60).contains(&sent),
        "{sent} probes in 400 ms at --max-rate 100"
    );
}
