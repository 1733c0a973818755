use super::JunitReporter;
use crate::audit_fixtures::{failing_report, passing_report, with_audit};
use crate::fixtures::{host, render, start, summary, thousand_ports};
use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use scanfw_core::{ReportOptions, ScanSummary};
use std::collections::BTreeMap;

fn junit(end: &ScanSummary) -> String {
    render(
        JunitReporter::boxed,
        ReportOptions::default(),
        &start("1-1000"),
        &[host("127.0.0.1", thousand_ports())],
        end,
    )
}

/// What a CI system reads from the document.
#[derive(Debug, Default)]
struct Parsed {
    /// Attributes of `<testsuites>`.
    totals: BTreeMap<String, String>,
    /// Per suite: its attributes and its cases.
    suites: Vec<(BTreeMap<String, String>, Vec<CaseRow>)>,
}

/// A test case: its name and its outcome (`failure`, `skipped`, `error` or `passed`).
type CaseRow = (String, String);

fn attrs(e: &quick_xml::events::BytesStart<'_>) -> BTreeMap<String, String> {
    e.attributes()
        .map(|a| {
            let a = a.expect("well-formed attribute");
            (
                a.key.as_ref().to_string(),
                a.normalized_value(XmlVersion::Implicit1_0)
                    .expect("escaped value")
                    .into_owned(),
            )
        })
        .collect()
}

/// Parses the whole document with a strict reader (end tags checked): a malformed document
/// fails the test.
fn parse(text: &str) -> Parsed {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut p = Parsed::default();
    let mut depth = 0;
    loop {
        let (e, empty) = match reader.read_event().expect("well-formed JUnit XML") {
            Event::Eof => break,
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                depth -= 1;
                continue;
            }
            _ => continue,
        };
        let name = e.name().as_ref().to_string();
        match (depth, name.as_str()) {
            (0, "testsuites") => p.totals = attrs(&e),
            (1, "testsuite") => p.suites.push((attrs(&e), Vec::new())),
            (2, "testcase") => {
                let case = attrs(&e)["name"].clone();
                let suite = p.suites.last_mut().expect("case inside a suite");
                suite.1.push((case, "passed".to_string()));
            }
            (3, outcome @ ("failure" | "skipped" | "error")) => {
                let suite = p.suites.last_mut().expect("inside a suite");
                let case = suite.1.last_mut().expect("inside a case");
                case.1 = outcome.to_string();
            }
            (2, "properties") | (3, "property") => {}
            (d, other) => panic!("unexpected <{other}> at depth {d}:\n{text}"),
        }
        if !empty {
            depth += 1;
        }
    }
    assert_eq!(depth, 0, "unclosed elements:\n{text}");
    p
}

#[test]
fn junit_has_a_suite_per_rule_and_a_failing_case_per_finding() {
    let text = junit(&with_audit(summary(3, 1, None), failing_report()));
    let p = parse(&text);
    assert_eq!(p.totals["name"], "scanfw audit");
    // 1 + 3 + 1 + 1 (skipped) rule cases, and the scan case.
    assert_eq!(p.totals["tests"], "7", "{text}");
    assert_eq!(p.totals["failures"], "4");
    assert_eq!(p.totals["errors"], "0");
    assert_eq!(p.totals["skipped"], "1");
    let names: Vec<&str> = p.suites.iter().map(|s| s.0["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "expect[1] 127.0.0.1",
            "expect[2] 10.0.0.0/30",
            "expect[3] 10.0.0.3",
            "expect[4] 192.0.2.0/24",
            "scan"
        ]
    );
    let cases = |i: usize| -> Vec<(&str, &str)> {
        p.suites[i]
            .1
            .iter()
            .map(|(n, o)| (n.as_str(), o.as_str()))
            .collect()
    };
    assert_eq!(cases(0), [("127.0.0.1 443/tcp missing-open", "failure")]);
    assert_eq!(
        cases(1),
        [
            ("10.0.0.1 9/tcp unverified", "failure"),
            ("10.0.0.1 8080/tcp unexpected-open", "failure"),
            ("10.0.0.2", "passed"),
        ]
    );
    assert_eq!(cases(2), [("10.0.0.3 host-down", "failure")]);
    assert_eq!(cases(3), [("no host checked", "skipped")]);
    assert_eq!(cases(4), [("scan completed", "passed")]);
    for (suite, _) in &p.suites {
        let n: usize = suite["tests"].parse().expect("count");
        assert!(n >= 1, "{suite:?}");
        assert_eq!(suite["timestamp"], "2024-03-09T16:00:00");
        assert_eq!(suite["time"], "0.523");
    }
    assert_eq!(p.suites[1].0["failures"], "2");
    assert!(
        text.contains(
            "message=\"unexpected-open 10.0.0.1 8080/tcp (open), expect[2] 10.0.0.0/30\">8080/tcp is open on 10.0.0.1; no rule for the host lists it in open or allowed (expect[2] 10.0.0.0/30)</failure>"
        ),
        "{text}"
    );
}

#[test]
fn junit_passing_audit_and_interrupted_scan() {
    let p = parse(&junit(&with_audit(summary(1, 0, None), passing_report())));
    assert_eq!(
        (p.totals["tests"].as_str(), p.totals["failures"].as_str()),
        ("2", "0")
    );
    assert_eq!(
        p.suites[0].1,
        [("127.0.0.1".to_string(), "passed".to_string())]
    );

    let text = junit(&with_audit(
        summary(1, 0, Some("interrupted by SIGINT")),
        passing_report(),
    ));
    let p = parse(&text);
    assert_eq!(p.totals["errors"], "1", "{text}");
    let scan = p.suites.last().expect("scan suite");
    assert_eq!(
        scan.1,
        [("scan completed".to_string(), "error".to_string())]
    );
    assert!(text.contains("message=\"Scan interrupted: interrupted by SIGINT\""));
}

#[test]
fn junit_without_rules_has_only_the_scan_suite() {
    let text = junit(&summary(1, 0, None));
    let p = parse(&text);
    assert_eq!(p.suites.len(), 1, "{text}");
    assert_eq!(p.suites[0].0["name"], "scan");
    assert_eq!(p.totals["tests"], "1");
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
    assert!(
        text.contains("<property name=\"args\" value=\"scanfw -sT --top-ports 1000 127.0.0.1\"/>")
    );
}

#[test]
fn junit_rejects_events_out_of_order() {
    use scanfw_core::Reporter;
    let mut r = JunitReporter::new(ReportOptions::default(), Box::new(std::io::sink()));
    assert!(r.host(&host("127.0.0.1", Vec::new())).is_err());
    assert!(r.finish(&summary(0, 0, None)).is_err());
}
