//! Test fixtures for the audit: an [`AuditReport`] made by core's auditor from hand-built
//! hosts, so the reporters render what a real run would hand them.

use crate::fixtures::{host, port, thousand_ports};
use scanfw_core::audit::{AuditReport, Auditor, ExpectRule, HostPattern};
use scanfw_core::{PortSpec, PortState, Protocol, Reason, ScanSummary};

fn rule(
    n: usize,
    hosts: &str,
    open: Option<&str>,
    allowed: Option<&str>,
    up: Option<bool>,
) -> ExpectRule {
    let spec = |s: &str| PortSpec::parse(s).expect("test port list");
    ExpectRule {
        name: format!("expect[{n}] {hosts}"),
        origin: format!("audit.toml:{n}:1"),
        hosts: vec![HostPattern::parse(hosts).expect("test pattern")],
        open: open.map(spec),
        allowed: allowed.map(spec),
        up,
    }
}

/// Four rules over three hosts, with findings of every kind this release produces:
/// `expect[1] 127.0.0.1` (open T:22,443 — 443 is filtered; allowed T:80 — fine),
/// `expect[2] 10.0.0.0/30` (nothing may be open: 10.0.0.1 has 8080 open and 9 open|filtered;
/// 10.0.0.2 holds; 10.0.0.3 is down: not checked), `expect[3] 10.0.0.3` (up: it is down) and
/// `expect[4] 192.0.2.0/24` (matches no host: checked nothing).
pub(crate) fn failing_report() -> AuditReport {
    let rules = vec![
        rule(1, "127.0.0.1", Some("T:22,443"), Some("T:80"), None),
        rule(2, "10.0.0.0/30", None, Some("T:2000"), None),
        rule(3, "10.0.0.3", None, None, Some(true)),
        rule(4, "192.0.2.0/24", None, None, Some(true)),
    ];
    let scans = crate::fixtures::start("1-1000,8080").scans;
    let mut a = Auditor::new(rules, &scans);
    a.observe(&host("127.0.0.1", thousand_ports()));
    let mut ports = vec![
        port(9, PortState::OpenFiltered, Reason::NoResponse),
        port(22, PortState::Closed, Reason::ConnRefused),
        port(8080, PortState::Open, Reason::SynAck),
    ];
    ports.sort_by_key(|p| (p.protocol, p.port));
    a.observe(&host("10.0.0.1", ports));
    a.observe(&host(
        "10.0.0.2",
        vec![port(22, PortState::Closed, Reason::ConnRefused)],
    ));
    let mut down = host("10.0.0.3", Vec::new());
    down.status.up = false;
    a.observe(&down);
    let r = a.finish(true);
    assert_eq!(r.findings.len(), 4, "fixture: {r:?}");
    assert!(r
        .findings
        .iter()
        .all(|f| f.protocol.is_none_or(|p| p == Protocol::Tcp)));
    r
}

/// One rule that holds on one host.
pub(crate) fn passing_report() -> AuditReport {
    let scans = crate::fixtures::start("1-1000").scans;
    let mut a = Auditor::new(
        vec![rule(
            1,
            "127.0.0.1",
            Some("T:22,80"),
            Some("T:443"),
            Some(true),
        )],
        &scans,
    );
    a.observe(&host("127.0.0.1", thousand_ports()));
    let r = a.finish(true);
    assert!(r.compliant, "fixture: {r:?}");
    r
}

/// `summary(up, down, interrupted)` carrying `report`.
pub(crate) fn with_audit(mut s: ScanSummary, report: AuditReport) -> ScanSummary {
    s.audit = Some(report);
    s
}
