//! Holding finished hosts against the rules.
//!
//! Hosts are judged one by one as the scan finishes them, so memory grows with the findings
//! and the checked addresses, not with the ports scanned. The rules, in short
//! (docs/auditing.md has the full text):
//!
//! * a rule applies to the scanned hosts its `hosts` names; a host may match several rules;
//! * `up`: a host that must answer and did not is `host-down`, one that must not and did is
//!   `host-up`; a down host is judged on nothing else;
//! * every port in a matching rule's `open` must be open: `missing-open` (with its state)
//!   when it is `closed`, `filtered` or `closed|filtered`, `unverified` when it is
//!   `open|filtered` or `unfiltered`, or has no verdict;
//! * when some matching rule gives `open` or `allowed`, every other port must not be open: an
//!   `open` port that no matching rule lists in `open` or `allowed` is `unexpected-open`, an
//!   `open|filtered` or `unfiltered` one `unverified` (not proven closed);
//! * a timed-out host has no port verdicts: one `unverified` finding (`timed-out`) instead.
//!
//! A claim two rules make is reported once, under the first rule (profile order) that makes
//! it; an unexpected port is reported under the first matching rule that judges ports.

use super::{AuditReport, ExpectRule, Finding, FindingKind, Observed, RuleOutcome};
use crate::ports::{PortSet, Protocol};
use crate::reporter::ScanTypeInfo;
use crate::result::HostResult;
use crate::state::PortState;
use std::collections::HashSet;
use std::net::IpAddr;

/// A rule with its port lists expanded for the protocols the scan covers.
#[derive(Debug)]
struct Prepared {
    rule: ExpectRule,
    /// Ports that must be open, per scanned protocol.
    open: Vec<(Protocol, PortSet)>,
    /// Ports that may be open (`open` and `allowed`), per scanned protocol.
    allowed: Vec<(Protocol, PortSet)>,
    /// Hosts this rule checked.
    checked: Vec<IpAddr>,
}

impl Prepared {
    fn allows(&self, proto: Protocol, port: u16) -> bool {
        self.allowed
            .iter()
            .any(|(p, set)| *p == proto && set.contains(port))
    }
}

/// Judges finished hosts against the rules; [`Auditor::finish`] gives the report.
#[derive(Debug)]
pub struct Auditor {
    rules: Vec<Prepared>,
    findings: Vec<Finding>,
    /// (kind, host, protocol, port) already reported.
    seen: HashSet<(FindingKind, IpAddr, Option<Protocol>, Option<u16>)>,
    checked_hosts: u64,
}

impl Auditor {
    /// An auditor of `rules` for a scan made of `scans` (which protocols were port-scanned
    /// decides what an unqualified port in a rule means).
    pub fn new(rules: Vec<ExpectRule>, scans: &[ScanTypeInfo]) -> Auditor {
        let mut protocols: Vec<Protocol> = scans.iter().map(|s| s.protocol).collect();
        protocols.sort();
        protocols.dedup();
        let rules = rules
            .into_iter()
            .map(|rule| {
                let expand = |spec: Option<&crate::PortSpec>| -> Vec<(Protocol, PortSet)> {
                    protocols
                        .iter()
                        .map(|&p| (p, spec.map(|s| s.for_protocol(p)).unwrap_or_default()))
                        .collect()
                };
                let open = expand(rule.open.as_ref());
                let mut allowed = expand(rule.allowed.as_ref());
                for ((_, a), (_, o)) in allowed.iter_mut().zip(&open) {
                    a.union_with(o);
                }
                Prepared {
                    rule,
                    open,
                    allowed,
                    checked: Vec::new(),
                }
            })
            .collect();
        Auditor {
            rules,
            findings: Vec::new(),
            seen: HashSet::new(),
            checked_hosts: 0,
        }
    }

    /// Whether there is anything to audit (no rules: no report).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    fn report(
        &mut self,
        rule: usize,
        kind: FindingKind,
        host: IpAddr,
        at: Option<(Protocol, u16)>,
        state: Observed,
    ) {
        let (protocol, port) = (at.map(|a| a.0), at.map(|a| a.1));
        if self.seen.insert((kind, host, protocol, port)) {
            self.findings.push(Finding {
                kind,
                host,
                protocol,
                port,
                state,
                rule: self.rules[rule].rule.name.clone(),
            });
        }
    }

    /// Judges one finished host (up or down). Hosts no rule matches are ignored.
    pub fn observe(&mut self, host: &HostResult) {
        let addr = host.addr;
        let matching: Vec<usize> = (0..self.rules.len())
            .filter(|&i| self.rules[i].rule.matches(addr))
            .collect();
        if matching.is_empty() {
            return;
        }
        let mut checkers: Vec<usize> = Vec::new();
        // Up or down.
        for &i in &matching {
            match (self.rules[i].rule.must_be_up(), host.status.up) {
                (Some(true), false) => {
                    self.report(i, FindingKind::HostDown, addr, None, Observed::Down)
                }
                (Some(false), true) => {
                    self.report(i, FindingKind::HostUp, addr, None, Observed::Up)
                }
                _ => {}
            }
            if self.rules[i].rule.must_be_up().is_some() || host.status.up {
                checkers.push(i);
            }
        }
        if host.status.up {
            self.ports(host, &matching);
        }
        if !checkers.is_empty() {
            self.checked_hosts += 1;
            for i in checkers {
                self.rules[i].checked.push(addr);
            }
        }
    }

    /// The port claims of the `matching` rules on an up host.
    fn ports(&mut self, host: &HostResult, matching: &[usize]) {
        let addr = host.addr;
        let port_rules: Vec<usize> = matching
            .iter()
            .copied()
            .filter(|&i| self.rules[i].rule.checks_ports())
            .collect();
        let Some(&first) = port_rules.first() else {
            return;
        };
        if host.timed_out {
            self.report(
                first,
                FindingKind::Unverified,
                addr,
                None,
                Observed::TimedOut,
            );
            return;
        }
        let state_of = |proto: Protocol, port: u16| {
            host.ports
                .binary_search_by_key(&(proto, port), |p| (p.protocol, p.port))
                .ok()
                .map(|i| host.ports[i].state)
        };
        // Ports that must be open.
        let mut claims: Vec<(usize, Protocol, u16)> = Vec::new();
        for &i in &port_rules {
            for (proto, set) in &self.rules[i].open {
                claims.extend(set.iter().map(|port| (i, *proto, port)));
            }
        }
        for (i, proto, port) in claims {
            let verdict = match state_of(proto, port) {
                Some(PortState::Open) => None,
                Some(s @ (PortState::OpenFiltered | PortState::Unfiltered)) => {
                    Some((FindingKind::Unverified, Observed::Port(s)))
                }
                Some(s @ (PortState::Closed | PortState::Filtered | PortState::ClosedFiltered)) => {
                    Some((FindingKind::MissingOpen, Observed::Port(s)))
                }
                None => Some((FindingKind::Unverified, Observed::Undecided)),
            };
            if let Some((kind, state)) = verdict {
                self.report(i, kind, addr, Some((proto, port)), state);
            }
        }
        // Everything else must not be open.
        for p in &host.ports {
            let kind = match p.state {
                PortState::Open => FindingKind::UnexpectedOpen,
                PortState::OpenFiltered | PortState::Unfiltered => FindingKind::Unverified,
                _ => continue,
            };
            let allowed = port_rules
                .iter()
                .any(|&i| self.rules[i].allows(p.protocol, p.port));
            if !allowed {
                self.report(
                    first,
                    kind,
                    addr,
                    Some((p.protocol, p.port)),
                    Observed::Port(p.state),
                );
            }
        }
    }

    /// The report. `complete` is false after an interruption: the report is then not
    /// compliant, whatever it found, since hosts not reached were not checked.
    pub fn finish(self, complete: bool) -> AuditReport {
        let mut findings = self.findings;
        Finding::sort(&mut findings);
        AuditReport {
            compliant: complete && findings.is_empty(),
            findings,
            checked_hosts: self.checked_hosts,
            rules: self
                .rules
                .into_iter()
                .map(|r| {
                    let mut hosts = r.checked;
                    hosts.sort();
                    RuleOutcome {
                        rule: r.rule.name,
                        hosts,
                    }
                })
                .collect(),
        }
    }
}
