use scanfw_techniques as _;
// (kept apart so rustfmt does not reorder: the technique and reporter crates are linked
// for their inventory registrations)
use scanfw_reporters as _;

// `scanfw diff OLD NEW`: comparisons of report files, no scanning, no root.

use std::path::Path;
use std::process::{Command, Output};

const SCANFW: &str = env!("CARGO_BIN_EXE_scanfw");

/// An nmap XML report: 198.18.0.2 with 22 and 80 open of 1-1000.
const OLD_XML: &str = r#"<?xml version="1.0"?>
<nmaprun scanner="nmap" args="nmap" start="1" version="7.93" xmloutputversion="1.05">
<scaninfo type="syn" protocol="tcp" numservices="1000" services="1-1000"/>
<host><status state="up" reason="syn-ack" reason_ttl="64"/><address addr="198.18.0.2" addrtype="ipv4"/>
<ports><extraports state="closed" count="998"/>
<port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="64"/></port>
<port protocol="tcp" portid="80"><state state="open" reason="syn-ack" reason_ttl="64"/></port>
</ports></host></nmaprun>
"#;

fn new_json(open: &[u16]) -> String {
    let ports: Vec<String> = open
        .iter()
        .map(|p| {
            format!(
                r#"{{"protocol":"tcp","port":{p},"state":"open","reason":"syn-ack","reason_ttl":64,"service":null}}"#
            )
        })
        .collect();
    format!(
        r#"{{"scanner":"scanfw","version":"0","args":[],"start":1,"startstr":"","scans":[{{"type":"syn","protocol":"tcp","numservices":1000,"services":"1-1000"}}],"scopes":[],
"hosts":[{{"address":"198.18.0.2","addrtype":"ipv4","mac":null,"hostnames":[],"status":{{"state":"up","reason":"syn-ack","reason_ttl":64}},"starttime":1,"endtime":1,"timedout":false,"partial":false,"times":null,"ports":[{}]}}],"stats":{{}}}}"#,
        ports.join(",")
    )
}

fn diff(dir: &Path, old: &str, new: &str, extra: &[&str]) -> Output {
    std::fs::write(dir.join("old"), old).expect("write");
    std::fs::write(dir.join("new"), new).expect("write");
    Command::new(SCANFW)
        .arg("diff")
        .arg(dir.join("old"))
        .arg(dir.join("new"))
        .args(extra)
        .output()
        .expect("run scanfw diff")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn same_is_0_changed_is_3_with_the_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let same = diff(dir.path(), OLD_XML, &new_json(&[22, 80]), &[]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stderr));
    assert!(
        text(&same.stdout).contains("No change."),
        "{}",
        text(&same.stdout)
    );
    let changed = diff(dir.path(), OLD_XML, &new_json(&[22, 443]), &[]);
    assert_eq!(changed.status.code(), Some(3));
    let out = text(&changed.stdout);
    assert!(
        out.contains("closed-since 198.18.0.2 80/tcp  closed"),
        "{out}"
    );
    assert!(
        out.contains("new-open     198.18.0.2 443/tcp open"),
        "{out}"
    );
    assert!(out.contains("2 changes."), "{out}");
}

#[test]
fn json_and_xml_outputs_list_the_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let xml_path = dir.path().join("d.xml");
    let spec = format!("xml={}", xml_path.display());
    let r = diff(
        dir.path(),
        OLD_XML,
        &new_json(&[22]),
        &["-o", "json", "-o", &spec],
    );
    assert_eq!(r.status.code(), Some(3), "{}", text(&r.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&r.stdout).expect("json");
    let f = &doc["audit"]["findings"];
    assert_eq!(f.as_array().map(Vec::len), Some(1), "{doc}");
    assert_eq!(
        (&f[0]["kind"], &f[0]["port"], &f[0]["state"]),
        (&"closed-since".into(), &80.into(), &"closed".into())
    );
    assert_eq!(doc["audit"]["compliant"], false);
    let xml = std::fs::read_to_string(&xml_path).expect("xml written");
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut findings = 0;
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Empty(e) if e.name().as_ref() == "finding" => findings += 1,
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(findings, 1, "{xml}");
}

#[test]
fn bad_input_is_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (old, new, extra, want) in [
        ("", OLD_XML, &[][..], "starts with neither"),
        ("{\"scanner\":\"nmap\"}", OLD_XML, &[], "scanner"),
        (
            OLD_XML,
            OLD_XML,
            &["-o", "html"],
            "unknown diff output format",
        ),
        (
            OLD_XML,
            OLD_XML,
            &["-o", "json", "-o", "table"],
            "at most one diff output",
        ),
        (
            OLD_XML,
            OLD_XML,
            &["-o", "json="],
            "path after `=` is empty",
        ),
    ] {
        let r = diff(dir.path(), old, new, extra);
        assert_eq!(r.status.code(), Some(2), "{extra:?}: {}", text(&r.stderr));
        assert!(
            text(&r.stderr).contains(want),
            "{extra:?}: {}",
            text(&r.stderr)
        );
    }
    let missing = Command::new(SCANFW)
        .args(["diff", "/nonexistent/a.xml", "/nonexistent/b.xml"])
        .output()
        .expect("run");
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("cannot read report"));
    let one = Command::new(SCANFW)
        .args(["diff", "a.xml"])
        .output()
        .expect("run");
    assert_eq!(one.status.code(), Some(2), "a missing operand is bad usage");
}
