//! The audit as table, JSON and XML render it (JUnit has its own tests in `junit/tests.rs`;
//! the schema and DTD checks are in `json_schema_tests.rs` and `xml_tool_tests.rs`).

use crate::audit_fixtures::{failing_report, passing_report, with_audit};
use crate::fixtures::{host, render, start, summary, thousand_ports, Ctor};
use crate::{JsonReporter, TableReporter, XmlReporter};
use scanfw_core::{ReportOptions, ScanSummary};
use serde_json::{json, Value};

fn doc(ctor: Ctor, end: &ScanSummary) -> String {
    render(
        ctor,
        ReportOptions::default(),
        &start("1-1000"),
        &[host("127.0.0.1", thousand_ports())],
        end,
    )
}

#[test]
fn table_ends_with_the_audit_section() {
    let out = doc(
        TableReporter::boxed,
        &with_audit(summary(3, 1, None), failing_report()),
    );
    let tail: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("Audit:"))
        .collect();
    assert_eq!(
        tail,
        [
            "Audit: NOT COMPLIANT (4 findings on 4 checked hosts)",
            "FINDING         HOST      PORT     STATE         RULE",
            "unverified      10.0.0.1  9/tcp    open|filtered expect[2] 10.0.0.0/30",
            "unexpected-open 10.0.0.1  8080/tcp open          expect[2] 10.0.0.0/30",
            "host-down       10.0.0.3  -        down          expect[3] 10.0.0.3",
            "missing-open    127.0.0.1 443/tcp  filtered      expect[1] 127.0.0.1",
            "Rule expect[4] 192.0.2.0/24 checked no host.",
            "",
            "scanfw done: 4 IP addresses (3 hosts up) scanned in 0.52 seconds",
        ],
        "{out}"
    );

    let out = doc(
        TableReporter::boxed,
        &with_audit(summary(1, 0, None), passing_report()),
    );
    assert!(
        out.ends_with(
            "\nAudit: compliant (0 findings on 1 checked host)\n\nscanfw done: 1 IP address (1 host up) scanned in 0.52 seconds\n"
        ),
        "{out}"
    );
    // Without rules, no section.
    let out = doc(TableReporter::boxed, &summary(1, 0, None));
    assert!(!out.contains("Audit"), "{out}");
}

#[test]
fn table_audit_section_comes_before_the_interruption_line() {
    let end = with_audit(
        summary(1, 0, Some("interrupted by SIGINT")),
        passing_report(),
    );
    let mut report = passing_report();
    report.compliant = false;
    let out = doc(
        TableReporter::boxed,
        &ScanSummary {
            audit: Some(report),
            ..end
        },
    );
    let l: Vec<&str> = out.lines().collect();
    let n = l.len();
    assert_eq!(
        &l[n - 4..],
        [
            "Audit: not proven, the scan was interrupted (0 findings on 1 checked host)",
            "",
            "Scan interrupted: interrupted by SIGINT; results above are complete up to this point.",
            "scanfw done: 1 IP address (1 host up) scanned in 0.52 seconds",
        ]
    );
}

#[test]
fn json_has_a_top_level_audit_object() {
    let out = doc(
        JsonReporter::boxed,
        &with_audit(summary(3, 1, None), failing_report()),
    );
    let v: Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(
        v["audit"],
        json!({
            "compliant": false,
            "findings": [
                {"kind": "unverified", "host": "10.0.0.1", "protocol": "tcp", "port": 9, "state": "open|filtered", "rule": "expect[2] 10.0.0.0/30"},
                {"kind": "unexpected-open", "host": "10.0.0.1", "protocol": "tcp", "port": 8080, "state": "open", "rule": "expect[2] 10.0.0.0/30"},
                {"kind": "host-down", "host": "10.0.0.3", "protocol": null, "port": null, "state": "down", "rule": "expect[3] 10.0.0.3"},
                {"kind": "missing-open", "host": "127.0.0.1", "protocol": "tcp", "port": 443, "state": "filtered", "rule": "expect[1] 127.0.0.1"},
            ],
            "checked_hosts": 4,
        })
    );
    // After the stats, on a line of its own; the document still ends with `}\n`.
    assert!(
        out.contains("\"interrupted_reason\":null},\n\"audit\":{\"compliant\":false,"),
        "{out}"
    );
    assert!(out.ends_with("}\n"));

    let v: Value = serde_json::from_str(&doc(
        JsonReporter::boxed,
        &with_audit(summary(1, 0, None), passing_report()),
    ))
    .expect("valid JSON");
    assert_eq!(
        v["audit"],
        json!({"compliant": true, "findings": [], "checked_hosts": 1})
    );
    let v: Value =
        serde_json::from_str(&doc(JsonReporter::boxed, &summary(1, 0, None))).expect("valid JSON");
    assert!(v.get("audit").is_none(), "no rules, no audit object: {v}");
}

#[test]
fn xml_writes_the_audit_as_a_postscript_before_runstats() {
    let out = doc(
        XmlReporter::boxed,
        &with_audit(summary(3, 1, None), failing_report()),
    );
    let expected = "</host>\n<postscript><script id=\"scanfw-audit\" output=\"Audit: NOT COMPLIANT (4 findings on 4 checked hosts)&#xa;  unverified 10.0.0.1 9/tcp (open|filtered), expect[2] 10.0.0.0/30&#xa;  unexpected-open 10.0.0.1 8080/tcp (open), expect[2] 10.0.0.0/30&#xa;  host-down 10.0.0.3 (down), expect[3] 10.0.0.3&#xa;  missing-open 127.0.0.1 443/tcp (filtered), expect[1] 127.0.0.1\">
<elem key=\"compliant\">false</elem>
<elem key=\"checked_hosts\">4</elem>
<table key=\"findings\">
<table>
<elem key=\"kind\">unverified</elem>
<elem key=\"host\">10.0.0.1</elem>
<elem key=\"protocol\">tcp</elem>
<elem key=\"port\">9</elem>
<elem key=\"state\">open|filtered</elem>
<elem key=\"rule\">expect[2] 10.0.0.0/30</elem>
</table>
";
    assert!(out.contains(expected), "{out}");
    // A finding about the host has no protocol and port.
    assert!(
        out.contains("<table>\n<elem key=\"kind\">host-down</elem>\n<elem key=\"host\">10.0.0.3</elem>\n<elem key=\"state\">down</elem>\n"),
        "{out}"
    );
    assert!(
        out.contains("</table>\n</table>\n</script></postscript>\n<runstats>"),
        "{out}"
    );
    assert_eq!(out.matches("<postscript>").count(), 1);
    assert!(!doc(XmlReporter::boxed, &summary(1, 0, None)).contains("postscript"));
}
