use super::*;
use crate::ports::{PortSet, PortSpec, Protocol};
use crate::reporter::ScanTypeInfo;
use crate::result::{HostResult, HostStatus, PortResult};
use crate::state::{PortState, Reason};
use std::time::UNIX_EPOCH;

fn rule(
    n: usize,
    hosts: &[&str],
    open: Option<&str>,
    allowed: Option<&str>,
    up: Option<bool>,
) -> ExpectRule {
    let spec = |s: &str| {
        if s.is_empty() {
            PortSpec::default()
        } else {
            PortSpec::parse(s).expect("test port list")
        }
    };
    ExpectRule {
        name: format!("expect[{n}] {}", hosts.join(",")),
        origin: format!("audit.toml:{n}:1"),
        hosts: hosts
            .iter()
            .map(|h| HostPattern::parse(h).expect("test pattern"))
            .collect(),
        open: open.map(spec),
        allowed: allowed.map(spec),
        up,
    }
}

fn scans(tcp: &str, udp: Option<&str>) -> Vec<ScanTypeInfo> {
    let set = |s: &str| {
        PortSpec::parse(s)
            .expect("ports")
            .for_protocol(Protocol::Tcp)
    };
    let mut v = vec![ScanTypeInfo {
        scan_type: "syn".into(),
        protocol: Protocol::Tcp,
        ports: set(tcp),
    }];
    if let Some(u) = udp {
        v.push(ScanTypeInfo {
            scan_type: "udp".into(),
            protocol: Protocol::Udp,
            ports: set(u),
        });
    }
    v
}

fn port(proto: Protocol, port: u16, state: PortState) -> PortResult {
    PortResult {
        protocol: proto,
        port,
        state,
        reason: Reason::NoResponse,
        reason_ttl: 0,
    }
}

fn tcp(p: u16, state: PortState) -> PortResult {
    port(Protocol::Tcp, p, state)
}

/// An up host with TCP ports 1-100 closed except those given.
fn host(addr: &str, special: &[PortResult]) -> HostResult {
    let mut ports: Vec<PortResult> = (1..=100).map(|p| tcp(p, PortState::Closed)).collect();
    for s in special {
        match ports
            .iter_mut()
            .find(|p| p.protocol == s.protocol && p.port == s.port)
        {
            Some(p) => *p = *s,
            None => ports.push(*s),
        }
    }
    ports.sort_by_key(|p| (p.protocol, p.port));
    HostResult {
        addr: addr.parse().expect("test address"),
        hostnames: Vec::new(),
        status: HostStatus {
            up: true,
            reason: Reason::SynAck,
            reason_ttl: 64,
        },
        mac: None,
        ports,
        start: UNIX_EPOCH,
        end: UNIX_EPOCH,
        timed_out: false,
        partial: false,
        times: None,
    }
}

fn down(addr: &str) -> HostResult {
    let mut h = host(addr, &[]);
    h.ports.clear();
    h.status.up = false;
    h
}

fn audit(rules: Vec<ExpectRule>, scan: &[ScanTypeInfo], hosts: &[HostResult]) -> AuditReport {
    let mut a = Auditor::new(rules, scan);
    for h in hosts {
        a.observe(h);
    }
    a.finish(true)
}

/// (kind, host, port label, state, rule) of every finding.
fn summary(r: &AuditReport) -> Vec<(String, String, String, String, String)> {
    r.findings
        .iter()
        .map(|f| {
            (
                f.kind.to_string(),
                f.host.to_string(),
                f.port_label(),
                f.state.to_string(),
                f.rule.clone(),
            )
        })
        .collect()
}

fn f(
    kind: &str,
    host: &str,
    port: &str,
    state: &str,
    rule: &str,
) -> (String, String, String, String, String) {
    (
        kind.into(),
        host.into(),
        port.into(),
        state.into(),
        rule.into(),
    )
}

#[test]
fn matching_expectations_are_compliant() {
    let r = audit(
        vec![rule(
            1,
            &["10.0.0.0/30"],
            Some("T:22,80"),
            Some("T:443"),
            Some(true),
        )],
        &scans("1-100,443", None),
        &[
            host(
                "10.0.0.1",
                &[tcp(22, PortState::Open), tcp(80, PortState::Open)],
            ),
            host(
                "10.0.0.2",
                &[
                    tcp(22, PortState::Open),
                    tcp(80, PortState::Open),
                    tcp(443, PortState::Open),
                ],
            ),
            // Not matched: ignored, whatever is open.
            host("10.0.0.9", &[tcp(23, PortState::Open)]),
        ],
    );
    assert!(r.compliant, "{r:?}");
    assert!(r.findings.is_empty());
    assert_eq!(r.checked_hosts, 2);
    assert_eq!(r.rules.len(), 1);
    assert_eq!(r.rules[0].hosts.len(), 2);
    assert_eq!(
        r.verdict_line(),
        "compliant (0 findings on 2 checked hosts)"
    );
}

#[test]
fn each_port_finding_kind() {
    let r = audit(
        vec![rule(
            1,
            &["10.0.0.1"],
            Some("T:21,22,23,24,25,26"),
            Some("T:80,U:53"),
            None,
        )],
        &scans("1-100", Some("53,161,162")),
        &[host(
            "10.0.0.1",
            &[
                tcp(21, PortState::Open),
                tcp(22, PortState::Filtered),
                // 23 stays closed
                tcp(24, PortState::ClosedFiltered),
                tcp(25, PortState::OpenFiltered),
                tcp(26, PortState::Unfiltered),
                tcp(80, PortState::OpenFiltered), // allowed: may be anything
                tcp(99, PortState::Open),
                tcp(98, PortState::Unfiltered),
                port(Protocol::Udp, 53, PortState::Open),
                port(Protocol::Udp, 161, PortState::OpenFiltered),
                port(Protocol::Udp, 162, PortState::Closed),
            ],
        )],
    );
    let rule1 = "expect[1] 10.0.0.1";
    assert_eq!(
        summary(&r),
        [
            f("missing-open", "10.0.0.1", "22/tcp", "filtered", rule1),
            f("missing-open", "10.0.0.1", "23/tcp", "closed", rule1),
            f(
                "missing-open",
                "10.0.0.1",
                "24/tcp",
                "closed|filtered",
                rule1
            ),
            f("unverified", "10.0.0.1", "25/tcp", "open|filtered", rule1),
            f("unverified", "10.0.0.1", "26/tcp", "unfiltered", rule1),
            f("unverified", "10.0.0.1", "98/tcp", "unfiltered", rule1),
            f("unexpected-open", "10.0.0.1", "99/tcp", "open", rule1),
            f("unverified", "10.0.0.1", "161/udp", "open|filtered", rule1),
        ]
    );
    assert!(!r.compliant);
    assert_eq!(r.checked_hosts, 1);
}

#[test]
fn up_claims_and_down_hosts() {
    let rules = vec![
        rule(1, &["10.0.0.1"], None, None, Some(true)),
        rule(2, &["10.0.0.2"], None, None, Some(false)),
        rule(3, &["10.0.0.3"], None, Some("T:22"), None),
        // `open` ports imply the host must answer.
        rule(4, &["10.0.0.4"], Some("T:22"), None, None),
    ];
    let r = audit(
        rules,
        &scans("1-100", None),
        &[
            down("10.0.0.1"),
            host("10.0.0.2", &[]),
            down("10.0.0.3"), // nothing claimed about being up: not checked at all
            down("10.0.0.4"),
        ],
    );
    assert_eq!(
        summary(&r),
        [
            f("host-down", "10.0.0.1", "-", "down", "expect[1] 10.0.0.1"),
            f("host-up", "10.0.0.2", "-", "up", "expect[2] 10.0.0.2"),
            f("host-down", "10.0.0.4", "-", "down", "expect[4] 10.0.0.4"),
        ]
    );
    // A down host is judged on nothing but `up`: no missing-open for 10.0.0.4's port 22.
    assert_eq!(r.checked_hosts, 3);
    assert!(r.rules[2].hosts.is_empty(), "{:?}", r.rules[2]);

    // The same claims, held: compliant.
    let r = audit(
        vec![
            rule(1, &["10.0.0.1"], None, None, Some(true)),
            rule(2, &["10.0.0.2"], None, None, Some(false)),
        ],
        &scans("1-100", None),
        &[host("10.0.0.1", &[]), down("10.0.0.2")],
    );
    assert!(r.compliant, "{r:?}");
    assert_eq!(r.checked_hosts, 2);
}

#[test]
fn several_rules_allow_together_and_report_once() {
    let rules = vec![
        rule(1, &["10.0.0.0/24"], None, Some("T:22"), Some(true)),
        rule(2, &["10.0.0.5"], Some("T:80,81"), None, None),
        rule(3, &["10.0.0.5"], Some("T:81"), Some("T:443"), None),
    ];
    let r = audit(
        rules,
        &scans("1-100,443", None),
        &[
            host(
                "10.0.0.5",
                &[
                    tcp(22, PortState::Open),  // allowed by rule 1
                    tcp(80, PortState::Open),  // open by rule 2
                    tcp(443, PortState::Open), // allowed by rule 3
                    tcp(8, PortState::Open),   // allowed by none: under rule 1, the first
                ],
            ),
            // Only rule 1 applies here: 80 is not allowed.
            host("10.0.0.6", &[tcp(80, PortState::Open)]),
        ],
    );
    assert_eq!(
        summary(&r),
        [
            f(
                "unexpected-open",
                "10.0.0.5",
                "8/tcp",
                "open",
                "expect[1] 10.0.0.0/24"
            ),
            // 81 is claimed by rules 2 and 3: reported once, under rule 2.
            f(
                "missing-open",
                "10.0.0.5",
                "81/tcp",
                "closed",
                "expect[2] 10.0.0.5"
            ),
            f(
                "unexpected-open",
                "10.0.0.6",
                "80/tcp",
                "open",
                "expect[1] 10.0.0.0/24"
            ),
        ]
    );
    assert_eq!(r.checked_hosts, 2);
    let hosts = |i: usize| {
        r.rules[i]
            .hosts
            .iter()
            .map(|h| h.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(hosts(0), ["10.0.0.5", "10.0.0.6"]);
    assert_eq!(hosts(1), ["10.0.0.5"]);
    assert_eq!(r.findings_of("expect[2] 10.0.0.5").count(), 1);
}

#[test]
fn empty_allowed_means_nothing_may_be_open_and_up_only_rules_ignore_ports() {
    let r = audit(
        vec![
            rule(1, &["10.0.0.1"], None, Some(""), None),
            rule(2, &["10.0.0.2"], None, None, Some(true)),
        ],
        &scans("1-100", None),
        &[
            host("10.0.0.1", &[tcp(7, PortState::Open)]),
            host("10.0.0.2", &[tcp(7, PortState::Open)]),
        ],
    );
    assert_eq!(
        summary(&r),
        [f(
            "unexpected-open",
            "10.0.0.1",
            "7/tcp",
            "open",
            "expect[1] 10.0.0.1"
        )]
    );
}

#[test]
fn unqualified_ports_apply_to_every_scanned_protocol() {
    let r = audit(
        vec![rule(1, &["10.0.0.1"], Some("53"), None, None)],
        &scans("1-100", Some("53")),
        &[host(
            "10.0.0.1",
            &[port(Protocol::Udp, 53, PortState::Open)],
        )],
    );
    assert_eq!(
        summary(&r),
        [f(
            "missing-open",
            "10.0.0.1",
            "53/tcp",
            "closed",
            "expect[1] 10.0.0.1"
        )]
    );
}

#[test]
fn timed_out_partial_and_interrupted() {
    let mut slow = host("10.0.0.1", &[]);
    slow.timed_out = true;
    slow.ports.clear();
    let mut cut = host("10.0.0.2", &[]);
    cut.partial = true;
    cut.ports.retain(|p| p.port < 50);
    let mut a = Auditor::new(
        vec![rule(1, &["10.0.0.0/30"], Some("T:22,60"), Some(""), None)],
        &scans("1-100", None),
    );
    a.observe(&slow);
    a.observe(&cut);
    let r = a.finish(false);
    assert_eq!(
        summary(&r),
        [
            f(
                "unverified",
                "10.0.0.1",
                "-",
                "timed-out",
                "expect[1] 10.0.0.0/30"
            ),
            f(
                "missing-open",
                "10.0.0.2",
                "22/tcp",
                "closed",
                "expect[1] 10.0.0.0/30"
            ),
            f(
                "unverified",
                "10.0.0.2",
                "60/tcp",
                "undecided",
                "expect[1] 10.0.0.0/30"
            ),
        ]
    );
    assert!(!r.compliant);

    // Interrupted without findings: still not compliant.
    let a = Auditor::new(vec![rule(1, &["10.0.0.9"], None, None, Some(true))], &[]);
    let r = a.finish(false);
    assert!(!r.compliant && r.findings.is_empty());
    assert_eq!(
        r.verdict_line(),
        "not proven, the scan was interrupted (0 findings on 0 checked hosts)"
    );
}

#[test]
fn findings_are_sorted_whatever_the_host_order() {
    let rules = || vec![rule(1, &["10.0.0.0/24", "fd00::/64"], None, Some(""), None)];
    let hosts = [
        host("fd00::2", &[tcp(5, PortState::Open)]),
        host(
            "10.0.0.9",
            &[tcp(6, PortState::Open), tcp(2, PortState::Open)],
        ),
        host("10.0.0.3", &[tcp(9, PortState::Open)]),
    ];
    let mut reversed = hosts.clone();
    reversed.reverse();
    let a = audit(rules(), &scans("1-100", None), &hosts);
    let b = audit(rules(), &scans("1-100", None), &reversed);
    assert_eq!(a, b);
    let order: Vec<String> = a.findings.iter().map(Finding::describe).collect();
    assert_eq!(
        order,
        [
            "unexpected-open 10.0.0.3 9/tcp (open), expect[1] 10.0.0.0/24,fd00::/64",
            "unexpected-open 10.0.0.9 2/tcp (open), expect[1] 10.0.0.0/24,fd00::/64",
            "unexpected-open 10.0.0.9 6/tcp (open), expect[1] 10.0.0.0/24,fd00::/64",
            "unexpected-open fd00::2 5/tcp (open), expect[1] 10.0.0.0/24,fd00::/64",
        ]
    );
}

#[test]
fn host_patterns() {
    let p = |s: &str| HostPattern::parse(s);
    let ip = |s: &str| s.parse::<std::net::IpAddr>().expect("address");
    let block = p("198.18.0.9/29").expect("block with host bits");
    assert_eq!(block.to_string(), "198.18.0.8/29");
    assert!(block.contains(ip("198.18.0.8")) && block.contains(ip("198.18.0.15")));
    assert!(!block.contains(ip("198.18.0.16")) && !block.contains(ip("fd00::1")));
    assert_eq!(
        p(" 198.18.0.2 ").expect("address").to_string(),
        "198.18.0.2"
    );
    assert!(p("fd00::/64").expect("v6 block").contains(ip("fd00::99")));
    for bad in [
        "web.example",
        "198.18.0.1-20",
        "198.18.0.0/33",
        "",
        "10.0.0.*",
    ] {
        assert_eq!(p(bad), Err(HostPatternError(bad.to_string())), "{bad:?}");
    }
}

#[test]
fn plan_refuses_claims_the_scan_cannot_judge() {
    let s = scans("1-1000", None);
    assert_eq!(
        check_plan(
            &[rule(
                1,
                &["10.0.0.1"],
                Some("T:22,80"),
                Some("U:53"),
                Some(true)
            )],
            &s,
            false
        ),
        Ok(())
    );

    let e = check_plan(
        &[rule(2, &["10.0.0.1"], Some("T:22,2000-2001"), None, None)],
        &s,
        false,
    )
    .expect_err("2000-2001 not scanned");
    assert_eq!(
        e.to_string(),
        "audit.toml:2:1: expect[2] 10.0.0.1: `open` lists tcp ports this scan does not probe: 2000-2001 (it probes tcp 1-1000); add them to the scanned ports (`ports`, -p) or drop them from `open`"
    );
    let e = check_plan(
        &[rule(1, &["10.0.0.1"], Some("U:53"), None, None)],
        &s,
        false,
    )
    .expect_err("no UDP scan");
    assert!(
        e.to_string()
            .contains("udp ports this scan does not probe: 53 (it probes no udp ports)"),
        "{e}"
    );
    // Unqualified ports are needed in every scanned protocol.
    let both = scans("1-1000", Some("53"));
    assert!(check_plan(
        &[rule(1, &["10.0.0.1"], Some("53"), None, None)],
        &both,
        false
    )
    .is_ok());
    let e = check_plan(
        &[rule(1, &["10.0.0.1"], Some("54"), None, None)],
        &both,
        false,
    )
    .expect_err("U:54");
    assert!(
        matches!(
            e,
            AuditPlanError::NotScanned {
                protocol: Protocol::Udp,
                ..
            }
        ),
        "{e}"
    );

    assert!(matches!(
        check_plan(&[rule(1, &["10.0.0.1"], None, None, Some(false))], &s, true),
        Err(AuditPlanError::UpWithoutDiscovery { .. })
    ));
    // Implied `up` (from `open`) is fine with -Pn.
    assert!(check_plan(
        &[rule(1, &["10.0.0.1"], Some("T:22"), None, None)],
        &s,
        true
    )
    .is_ok());
    assert!(matches!(
        check_plan(
            &[rule(1, &["10.0.0.1"], None, Some("T:22"), None)],
            &[],
            false
        ),
        Err(AuditPlanError::NoPortScan { .. })
    ));
    assert!(check_plan(
        &[rule(1, &["10.0.0.1"], None, None, Some(true))],
        &[],
        false
    )
    .is_ok());
    let mut odd = PortSet::new();
    for p in (1..=2000).step_by(2) {
        odd.insert(p);
    }
    let odd_scan = [ScanTypeInfo {
        scan_type: "syn".into(),
        protocol: Protocol::Tcp,
        ports: odd,
    }];
    let e = check_plan(
        &[rule(1, &["10.0.0.1"], Some("T:1-65535"), None, None)],
        &odd_scan,
        false,
    )
    .expect_err("most ports missing");
    let text = e.to_string();
    assert!(text.contains("does not probe: 2,4,6,"), "{text}");
    assert!(
        text.contains(", ... (64535 ports) (it probes tcp 1,3,5,"),
        "{text}"
    );
    assert!(text.contains(", ... (1000 ports))"), "{text}");
    assert!(text.len() < 400, "{text}");
}

#[test]
fn vocabularies() {
    let names: Vec<&str> = FindingKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "unexpected-open",
            "missing-open",
            "unverified",
            "host-down",
            "host-up",
            "new-open",
            "closed-since",
            "new-host",
            "gone-host"
        ]
    );
    let states: Vec<&str> = Observed::HOST_STATES.iter().map(|s| s.as_str()).collect();
    assert_eq!(states, ["up", "down", "timed-out", "undecided"]);
    assert_eq!(
        Observed::Port(PortState::OpenFiltered).as_str(),
        "open|filtered"
    );
}

#[test]
fn findings_explain_themselves() {
    let finding = |kind, protocol, port, state| Finding {
        kind,
        host: "10.0.0.1".parse().expect("address"),
        protocol,
        port,
        state,
        rule: "expect[1] web".to_string(),
    };
    let tcp = Some(Protocol::Tcp);
    let cases = [
        (
            finding(FindingKind::UnexpectedOpen, tcp, Some(8080), Observed::Port(PortState::Open)),
            "8080/tcp is open on 10.0.0.1; no rule for the host lists it in open or allowed (expect[1] web)",
        ),
        (
            finding(FindingKind::MissingOpen, tcp, Some(443), Observed::Port(PortState::Filtered)),
            "443/tcp must be open on 10.0.0.1 (expect[1] web), and is filtered",
        ),
        (
            finding(FindingKind::Unverified, Some(Protocol::Udp), Some(53), Observed::Port(PortState::OpenFiltered)),
            "53/udp on 10.0.0.1 is open|filtered: the scan did not prove whether it is open (expect[1] web)",
        ),
        (
            finding(FindingKind::Unverified, None, None, Observed::TimedOut),
            "10.0.0.1 timed out: none of its ports has a verdict, so expect[1] web could not be checked",
        ),
        (
            finding(FindingKind::HostDown, None, None, Observed::Down),
            "10.0.0.1 must answer (expect[1] web), and did not",
        ),
        (
            finding(FindingKind::HostUp, None, None, Observed::Up),
            "10.0.0.1 must not answer (expect[1] web), and did",
        ),
    ];
    for (f, text) in cases {
        assert_eq!(f.explain(), text);
    }
    let f = finding(FindingKind::HostDown, None, None, Observed::Down);
    assert_eq!(f.describe(), "host-down 10.0.0.1 (down), expect[1] web");
    assert_eq!(f.port_label(), "-");
}
