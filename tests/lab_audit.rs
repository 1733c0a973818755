use scanfw_techniques as _;
// (kept apart so rustfmt does not reorder: the technique and reporter crates are linked
// for their inventory registrations)
use scanfw_reporters as _;

mod lab;

// Audit profiles ([groups], [[expect]]) against the network-namespace lab (tests/lab,
// docs/lab.md): a profile whose expectations match the lab exits 0; one with wrong
// expectations exits 3 and reports exactly the expected findings, in JSON, XML (valid against
// nmap's DTD), JUnit and the table.
//
// Needs root, `ip`, `nft`, and `xmllint` with nmap's DTD. Without them the tests print
// `SKIP (lab unavailable): ...` and pass, except under `CI=true`, where they fail. Packets go
// only to the lab's namespaces (no default route there).

use lab::{Lab, Layout, UdpKind};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const SCANFW: &str = env!("CARGO_BIN_EXE_scanfw");
const DTD: &str = "/usr/share/nmap/nmap.dtd";

/// The standard TCP layout (open 1, 22, 80, 443, 8080, ...; 135 dropped) plus a silent UDP
/// listener on 9999 (open|filtered to a UDP scan; every other UDP port closed).
fn layout() -> Layout {
    Layout::standard().with_udp(UdpKind::Silent, &[9999])
}

/// What one run left behind.
struct Run {
    code: Option<i32>,
    stdout: String,
    json: Value,
    xml: String,
    junit: String,
}

/// Writes `profile` to a temp dir and runs `scanfw -n -c PROFILE` in the scanner namespace
/// with a table on stdout and JSON, XML and JUnit files.
fn audit(lab: &Lab, profile: &str) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name).display().to_string();
    std::fs::write(dir.path().join("audit.toml"), profile).expect("write profile");
    let args = [
        "-n".to_string(),
        "-c".to_string(),
        path("audit.toml"),
        "-o".to_string(),
        "table".to_string(),
        "-o".to_string(),
        format!("json={}", path("audit.json")),
        "-o".to_string(),
        format!("xml={}", path("audit.xml")),
        "-o".to_string(),
        format!("junit={}", path("audit.junit.xml")),
    ];
    let r = lab
        .run_in_scanner_timeout(SCANFW, &args, Duration::from_secs(120))
        .unwrap_or_else(|e| panic!("running scanfw: {e}"));
    eprintln!(
        "timing: `{}` took {:.2?} (exit {})\n{}",
        r.cmdline, r.elapsed, r.status, r.stderr
    );
    let read = |name: &str| {
        std::fs::read_to_string(dir.path().join(name))
            .unwrap_or_else(|e| panic!("{name} not written ({e}); stderr:\n{}", r.stderr))
    };
    let json = serde_json::from_str(&read("audit.json")).expect("valid JSON");
    let xml = read("audit.xml");
    let junit = read("audit.junit.xml");
    xml_validates(&dir.path().join("audit.xml"), &xml);
    Run {
        code: r.status.code(),
        stdout: r.stdout.clone(),
        json,
        xml,
        junit,
    }
}

/// The XML output validates against nmap's DTD (skip policy when xmllint or the DTD is
/// missing).
fn xml_validates(file: &Path, text: &str) {
    if lab::which("xmllint").is_none() || !Path::new(DTD).is_file() {
        lab::skip_or_panic("xmllint or nmap's DTD is missing: the XML output was not validated");
        return;
    }
    let out = Command::new("xmllint")
        .args(["--noout", "--dtdvalid", DTD])
        .arg(file)
        .output()
        .expect("run xmllint");
    assert!(
        out.status.success(),
        "the XML output does not validate against {DTD}:\n{}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// (kind, host, protocol, port, state, rule) of every JSON finding.
fn findings(json: &Value) -> Vec<String> {
    json["audit"]["findings"]
        .as_array()
        .expect("audit.findings")
        .iter()
        .map(|f| {
            format!(
                "{} {} {}/{} {} {}",
                f["kind"].as_str().unwrap_or("?"),
                f["host"].as_str().unwrap_or("?"),
                f["port"],
                f["protocol"].as_str().unwrap_or("-"),
                f["state"].as_str().unwrap_or("?"),
                f["rule"].as_str().unwrap_or("?"),
            )
        })
        .collect()
}

/// `name="N"` of the `<testsuites>` element.
fn junit_total(junit: &str, name: &str) -> String {
    let head = junit
        .lines()
        .find(|l| l.starts_with("<testsuites "))
        .unwrap_or_else(|| panic!("no <testsuites>:\n{junit}"));
    let key = format!(" {name}=\"");
    let from = head.find(&key).map(|i| i + key.len()).unwrap_or(0);
    head[from..].split('"').next().unwrap_or("").to_string()
}

/// (a) Expectations that match the lab: exit 0, compliant in every output.
#[test]
fn lab_audit_matching_expectations_exit_0() {
    let Some(lab) = lab::require(layout()) else {
        return;
    };
    let t = lab.target_v4();
    let profile = format!(
        r#"targets = ["{t}"]
ports = "T:1-1024,8080"
technique = "syn"

[groups]
lab = ["{t}"]

[[expect]]
hosts = "lab"
up = true
open = "T:22,80,443"
allowed = "T:1,8080"
"#
    );
    let r = audit(&lab, &profile);
    assert_eq!(r.code, Some(0), "stdout:\n{}", r.stdout);
    assert_eq!(
        r.json["audit"],
        serde_json::json!({"compliant": true, "findings": [], "checked_hosts": 1})
    );
    assert!(
        r.stdout
            .contains("\nAudit: compliant (0 findings on 1 checked host)\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.xml.contains("<elem key=\"compliant\">true</elem>"),
        "{}",
        r.xml
    );
    assert_eq!(junit_total(&r.junit, "failures"), "0", "{}", r.junit);
    assert_eq!(junit_total(&r.junit, "tests"), "2", "{}", r.junit);
}

/// (b) Wrong expectations: exit 3 and exactly these findings: a port expected open that the
/// firewall drops, an open port nobody allowed, a UDP port that stays open|filtered, a host
/// that must answer and does not (198.18.X.3 does not exist), and one that must not answer
/// and does.
#[test]
fn lab_audit_wrong_expectations_exit_3_with_exactly_the_findings() {
    let Some(lab) = lab::require(layout()) else {
        return;
    };
    let t = lab.target_v4();
    let x = lab.subnet;
    let profile = format!(
        r#"targets = ["{t}", "198.18.{x}.3"]
ports = "T:1-1024,8080,U:53,9999"
techniques = ["syn", "udp"]

[timing]
template = 4

[groups]
lab = ["{t}"]

[[expect]]
hosts = "lab"
open = "T:22,80,443,135,U:9999"
allowed = "T:8080,U:53"

[[expect]]
hosts = "198.18.{x}.3"
up = true

[[expect]]
hosts = "198.18.{x}.0/30"
up = false
"#
    );
    let r = audit(&lab, &profile);
    assert_eq!(r.code, Some(3), "stdout:\n{}", r.stdout);
    assert_eq!(r.json["audit"]["compliant"], false);
    assert_eq!(r.json["audit"]["checked_hosts"], 2);
    assert_eq!(
        findings(&r.json),
        [
            format!("host-up {t} null/- up expect[3] 198.18.{x}.0/30"),
            format!("unexpected-open {t} 1/tcp open expect[1] lab"),
            format!("missing-open {t} 135/tcp filtered expect[1] lab"),
            format!("unverified {t} 9999/udp open|filtered expect[1] lab"),
            format!("host-down 198.18.{x}.3 null/- down expect[2] 198.18.{x}.3"),
        ],
        "{}",
        r.json["audit"]
    );
    // The same five in the other outputs.
    assert!(
        r.stdout
            .contains("\nAudit: NOT COMPLIANT (5 findings on 2 checked hosts)\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!(
            "missing-open    {t} 135/tcp  filtered      expect[1] lab"
        )),
        "{}",
        r.stdout
    );
    assert_eq!(r.xml.matches("<elem key=\"kind\">").count(), 5, "{}", r.xml);
    assert_eq!(junit_total(&r.junit, "failures"), "5", "{}", r.junit);
    for suite in [
        "expect[1] lab".to_string(),
        format!("expect[2] 198.18.{x}.3"),
        format!("expect[3] 198.18.{x}.0/30"),
    ] {
        assert!(
            r.junit.contains(&format!("<testsuite name=\"{suite}\"")),
            "{suite}:\n{}",
            r.junit
        );
    }
    // expect[3] checked both hosts: .2 fails (it answered), .3 passes (it did not).
    assert!(
        r.junit.contains(&format!(
            "<testcase classname=\"expect[3] 198.18.{x}.0/30\" name=\"198.18.{x}.3\"/>"
        )),
        "{}",
        r.junit
    );
}

/// A TCP listener on `port` of every address of namespace `netns` (the kernel completes the
/// handshakes; nothing needs to accept). The port is open while the listener lives.
fn listen_in(netns: &str, port: u16) -> std::net::TcpListener {
    let ns = netns.to_string();
    std::thread::spawn(move || {
        lab::services::enter_netns(&ns)?;
        std::net::TcpListener::bind(("0.0.0.0", port)).map_err(|e| e.to_string())
    })
    .join()
    .expect("listener thread")
    .unwrap_or_else(|e| panic!("listen in {netns}: {e}"))
}

/// (c) Baselines: a port opened after a baseline scan is exactly one `new-open` finding,
/// exit 3, in JSON, XML (valid against nmap's DTD) and JUnit, with a scanfw JSON, a scanfw
/// XML or an nmap XML baseline; `scanfw diff` of the two runs agrees; the same scan with
/// itself as the baseline is compliant.
#[test]
fn lab_audit_baseline_new_open_exit_3_and_diff_agrees() {
    let Some(lab) = lab::require(layout()) else {
        return;
    };
    let t = lab.target_v4().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name).display().to_string();
    let scan = |extra: &[String]| {
        let mut args: Vec<String> = ["-n", "-sS", "-p", "22,80,7777"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(extra.iter().cloned());
        args.push(t.clone());
        let r = lab
            .run_in_scanner_timeout(SCANFW, &args, Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("running scanfw: {e}"));
        eprintln!("`{}`: exit {}\n{}", r.cmdline, r.status, r.stderr);
        r
    };
    // The baseline, with 7777 closed: scanfw JSON and XML, and nmap's XML when nmap is here.
    let r = scan(&[
        "-o".into(),
        format!("json={}", path("base.json")),
        "-o".into(),
        format!("xml={}", path("base.xml")),
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", r.stderr);
    let mut baselines = vec![path("base.json"), path("base.xml")];
    if lab::which("nmap").is_some() {
        let args = [
            "-n",
            "-Pn",
            "-sS",
            "-p",
            "22,80,7777",
            "-oX",
            &path("nmap.xml"),
            &t,
        ];
        let r = lab
            .run_in_scanner_timeout("nmap", args, Duration::from_secs(120))
            .unwrap_or_else(|e| panic!("running nmap: {e}"));
        assert!(r.success(), "nmap: {}", r.stderr);
        baselines.push(path("nmap.xml"));
    } else {
        lab::skip_or_panic("nmap is missing: no nmap XML baseline");
    }
    // The same network again: compliant with each baseline.
    for b in &baselines {
        let r = scan(&["--baseline".into(), b.clone(), "-o".into(), "table".into()]);
        assert_eq!(r.status.code(), Some(0), "unchanged vs {b}:\n{}", r.stdout);
    }
    // Port 7777 opens.
    let _open = listen_in(&lab.target_ns, 7777);
    for b in &baselines {
        let r = scan(&[
            "--baseline".into(),
            b.clone(),
            "-o".into(),
            format!("json={}", path("now.json")),
            "-o".into(),
            format!("xml={}", path("now.xml")),
            "-o".into(),
            format!("junit={}", path("now.junit.xml")),
        ]);
        assert_eq!(r.status.code(), Some(3), "vs {b}: {}", r.stderr);
        let read = |n: &str| std::fs::read_to_string(path(n)).expect(n);
        let json: Value = serde_json::from_str(&read("now.json")).expect("json");
        assert_eq!(
            findings(&json),
            [format!("new-open {t} 7777/tcp open baseline {b}")],
            "vs {b}"
        );
        assert_eq!(json["audit"]["compliant"], false);
        let xml = read("now.xml");
        xml_validates(Path::new(&path("now.xml")), &xml);
        assert_eq!(
            xml.matches("<elem key=\"kind\">new-open</elem>").count(),
            1,
            "{xml}"
        );
        assert_eq!(xml.matches("<elem key=\"kind\">").count(), 1, "{xml}");
        let junit = read("now.junit.xml");
        assert_eq!(junit_total(&junit, "failures"), "1", "{junit}");
        assert!(junit.contains("7777/tcp"), "{junit}");
    }
    // scanfw diff of the baseline and the later run: the same one change, exit 3.
    let out = Command::new(SCANFW)
        .args(["diff", &path("base.xml"), &path("now.json"), "-o", "json"])
        .output()
        .expect("run scanfw diff");
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let diff: Value = serde_json::from_slice(&out.stdout).expect("diff json");
    assert_eq!(
        findings(&diff),
        [format!(
            "new-open {t} 7777/tcp open baseline {}",
            path("base.xml")
        )]
    );
    let same = Command::new(SCANFW)
        .args(["diff", &path("base.json"), &path("base.xml")])
        .output()
        .expect("run scanfw diff");
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stdout)
    );
}

/// (d) Resume: a SYN audit of the lab stopped half-way (SIGTERM) and resumed with
/// `--resume` writes the JSON of one uninterrupted run: the same hosts, ports, states,
/// reasons, host counts and audit object.
#[test]
fn lab_audit_interrupted_and_resumed_equals_one_run() {
    let Some(lab) = lab::require(layout()) else {
        return;
    };
    let t = lab.target_v4();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name).display().to_string();
    let profile = |json: &str, state: &str| {
        format!(
            r#"targets = ["{t}"]
ports = "T:1-20000"
technique = "syn"
state = "{state}"

[timing]
max_rate = 4000

[[expect]]
hosts = "{t}"
open = "T:22,80,443"
allowed = "T:1,8080"

[[output]]
format = "json"
path = "{json}"
"#
        )
    };
    std::fs::write(
        path("one.toml"),
        profile(&path("one.json"), &path("one.state")),
    )
    .expect("w");
    std::fs::write(
        path("two.toml"),
        profile(&path("two.json"), &path("two.state")),
    )
    .expect("w");
    let run = |args: Vec<String>| {
        let r = lab
            .run_in_scanner_timeout(SCANFW, &args, Duration::from_secs(120))
            .unwrap_or_else(|e| panic!("running scanfw: {e}"));
        eprintln!(
            "`{}`: {:.2?}, exit {}\n{}",
            r.cmdline, r.elapsed, r.status, r.stderr
        );
        r
    };
    let one = run(vec!["-n".into(), "-c".into(), path("one.toml")]);
    assert_eq!(
        one.status.code(),
        Some(0),
        "the lab's open ports below 20000 are the allowed ones"
    );
    // The same audit, stopped half-way through.
    let scanner_ns = lab.scanner_ns.clone();
    let two_toml = path("two.toml");
    let child = std::process::Command::new("ip")
        .args(["netns", "exec", &scanner_ns, SCANFW, "-n", "-c", &two_toml])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(one.elapsed / 2);
    // SAFETY: signalling our own child (`ip netns exec` execs scanfw in place).
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let first = child.wait_with_output().expect("wait");
    assert_eq!(
        first.status.code(),
        Some(130),
        "interrupted: {}",
        String::from_utf8_lossy(&first.stderr)
    );
    let cut: Value =
        serde_json::from_str(&std::fs::read_to_string(path("two.json")).expect("json"))
            .expect("json");
    assert_eq!(
        cut["audit"]["compliant"], false,
        "an interrupted audit is not compliant"
    );
    let resumed = run(vec!["--resume".into(), path("two.state")]);
    assert_eq!(resumed.status.code(), Some(0), "{}", resumed.stderr);
    let read = |n: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(path(n)).expect("json")).expect("json")
    };
    let (a, b) = (read("one.json"), read("two.json"));
    let ports = |v: &Value| v["hosts"][0]["ports"].clone();
    assert_eq!(ports(&a).as_array().map(Vec::len), Some(20000));
    assert_eq!(ports(&b), ports(&a), "resumed ports differ from one run");
    assert_eq!(b["hosts"][0]["status"], a["hosts"][0]["status"]);
    assert_eq!(b["stats"]["hosts"], a["stats"]["hosts"]);
    assert_eq!(b["audit"], a["audit"], "the audit object");
    assert_eq!(b["audit"]["compliant"], true);
}
