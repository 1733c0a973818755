//! The example audit profile (examples/localhost-audit.toml) runs without privileges against
//! 127.0.0.1 and gives a verdict in seconds, and exit code 3 follows the findings: a listener
//! this test opens on a port the policy does not allow is found; a closed port is not.
//! Packets go to loopback only.

use scanfw_reporters as _;
use scanfw_techniques as _;

use serde_json::Value;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/localhost-audit.toml");

/// The ports the example allows.
const ALLOWED: &[u16] = &[
    22, 25, 53, 80, 111, 139, 443, 445, 587, 631, 3306, 5432, 8080,
];

fn scanfw(extra: &[&str], json: &Path) -> (Output, Value) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_scanfw"))
        .args(["--unprivileged", "-c", EXAMPLE])
        .args(extra)
        .arg("-o")
        .arg("table")
        .arg("-o")
        .arg(format!("json={}", json.display()))
        .output()
        .expect("run scanfw");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the example took {:?}",
        started.elapsed()
    );
    let text = std::fs::read_to_string(json).expect("JSON output written");
    let doc: Value = serde_json::from_str(&text).expect("valid JSON");
    (out, doc)
}

fn findings(doc: &Value) -> Vec<(String, String, u64, String, String)> {
    doc["audit"]["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap_or_default().to_string(),
                f["host"].as_str().unwrap_or_default().to_string(),
                f["port"].as_u64().unwrap_or_default(),
                f["state"].as_str().unwrap_or_default().to_string(),
                f["rule"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_example_gives_a_verdict_consistent_with_its_exit_code() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (out, doc) = scanfw(&[], &dir.path().join("audit.json"));
    let code = out.status.code();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(matches!(code, Some(0 | 3)), "exit {code:?}: {stderr}");
    let audit = &doc["audit"];
    assert_eq!(audit["checked_hosts"], 1, "{audit}");
    assert_eq!(audit["compliant"], code == Some(0), "{audit}");
    // Whatever this machine runs on loopback, the only possible findings are open ports the
    // policy does not allow (127.0.0.1 always answers).
    for (kind, host, port, state, rule) in findings(&doc) {
        assert_eq!(
            (kind.as_str(), host.as_str(), state.as_str(), rule.as_str()),
            ("unexpected-open", "127.0.0.1", "open", "expect[1] loopback")
        );
        assert!(!ALLOWED.contains(&(port as u16)), "{port} is allowed");
    }
    let verdict = stdout
        .lines()
        .find(|l| l.starts_with("Audit: "))
        .unwrap_or_else(|| panic!("no audit section in the table:\n{stdout}"));
    let expected = if code == Some(0) {
        "Audit: compliant (0 findings on 1 checked host)"
    } else {
        "Audit: NOT COMPLIANT"
    };
    assert!(verdict.starts_with(expected), "{verdict}");
}

#[test]
fn an_unexpected_listener_exits_3_and_a_closed_port_exits_0() {
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen on loopback");
    let port = listener.local_addr().expect("address").port();
    assert!(!ALLOWED.contains(&port));
    let spec = format!("T:{port}");
    let (out, doc) = scanfw(&["-p", &spec], &dir.path().join("open.json"));
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        findings(&doc),
        [(
            "unexpected-open".to_string(),
            "127.0.0.1".to_string(),
            u64::from(port),
            "open".to_string(),
            "expect[1] loopback".to_string()
        )]
    );
    assert_eq!(doc["audit"]["compliant"], false);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "unexpected-open 127.0.0.1 {port}/tcp open  expect[1] loopback"
        )),
        "{stdout}"
    );

    // The same port closed: nothing open that is not allowed.
    drop(listener);
    let (out, doc) = scanfw(&["-p", &spec], &dir.path().join("closed.json"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(findings(&doc), []);
    assert_eq!(doc["audit"]["compliant"], true);
}
