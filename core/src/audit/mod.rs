//! Audit expectations and their findings (docs/auditing.md).
//!
//! A profile's `[[expect]]` rules say which ports of which hosts must be open, which may be
//! open, and whether a host must answer. After the scan the [`Auditor`] holds every finished
//! host against the rules and produces an [`AuditReport`]: the findings every reporter renders
//! and the verdict behind exit code 3. The types live in core because reporters depend on core
//! only; the evaluation is pure logic (no clock, no I/O), so it is tested on hand-built hosts.

mod eval;
mod plan;
mod rule;

pub use eval::Auditor;
pub use plan::{check_plan, AuditPlanError};
pub use rule::{ExpectRule, HostPattern, HostPatternError};

use crate::ports::Protocol;
use crate::state::PortState;
use std::fmt;
use std::net::IpAddr;

/// What a finding says. The names (`as_str`) are the JSON, XML and JUnit vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FindingKind {
    /// A port is open that no matching rule lists in `open` or `allowed`.
    UnexpectedOpen,
    /// A port a rule lists in `open` is not open (its state says what it is).
    MissingOpen,
    /// The scan could not prove a claim either way: an `open|filtered` or `unfiltered` port,
    /// a port without a verdict (interrupted host), or a host that timed out.
    Unverified,
    /// A host that must answer (`up = true`, or a rule with `open` ports) did not.
    HostDown,
    /// A host that must not answer (`up = false`) did.
    HostUp,
    /// Reserved for baselines: open now, not open in the baseline.
    NewOpen,
    /// Reserved for baselines: open in the baseline, not open now.
    ClosedSince,
    /// Reserved for baselines: up now, not in the baseline.
    NewHost,
    /// Reserved for baselines: in the baseline, not up now.
    GoneHost,
}

impl FindingKind {
    /// Every kind, in declaration order.
    pub const ALL: [FindingKind; 9] = [
        FindingKind::UnexpectedOpen,
        FindingKind::MissingOpen,
        FindingKind::Unverified,
        FindingKind::HostDown,
        FindingKind::HostUp,
        FindingKind::NewOpen,
        FindingKind::ClosedSince,
        FindingKind::NewHost,
        FindingKind::GoneHost,
    ];

    /// The kind's name: `unexpected-open`, `missing-open`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::UnexpectedOpen => "unexpected-open",
            FindingKind::MissingOpen => "missing-open",
            FindingKind::Unverified => "unverified",
            FindingKind::HostDown => "host-down",
            FindingKind::HostUp => "host-up",
            FindingKind::NewOpen => "new-open",
            FindingKind::ClosedSince => "closed-since",
            FindingKind::NewHost => "new-host",
            FindingKind::GoneHost => "gone-host",
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the scan saw where a finding points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Observed {
    /// A port's nmap state.
    Port(PortState),
    /// The host answered.
    Up,
    /// The host did not answer.
    Down,
    /// The host hit `--host-timeout`: none of its ports has a verdict.
    TimedOut,
    /// The port has no verdict (the scan was interrupted while the host was in progress).
    Undecided,
}

impl Observed {
    /// Every value that is not a port state: the rest of the `state` vocabulary.
    pub const HOST_STATES: [Observed; 4] = [
        Observed::Up,
        Observed::Down,
        Observed::TimedOut,
        Observed::Undecided,
    ];

    /// The state's name: a port state (`open`, `open|filtered`, ...), `up`, `down`,
    /// `timed-out` or `undecided`.
    pub fn as_str(self) -> &'static str {
        match self {
            Observed::Port(s) => s.as_str(),
            Observed::Up => "up",
            Observed::Down => "down",
            Observed::TimedOut => "timed-out",
            Observed::Undecided => "undecided",
        }
    }
}

impl fmt::Display for Observed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One difference between the expectations and the scan.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Finding {
    /// What is wrong.
    pub kind: FindingKind,
    /// The host it is about.
    pub host: IpAddr,
    /// The port's protocol; `None` for a finding about the host (`host-down`, `host-up`, a
    /// timed-out host).
    pub protocol: Option<Protocol>,
    /// The port; `None` for a finding about the host.
    pub port: Option<u16>,
    /// What the scan saw.
    pub state: Observed,
    /// The rule that makes the claim: `expect[N] HOSTS` (N counts the profile's `[[expect]]`
    /// sections from 1; HOSTS as written there).
    pub rule: String,
}

impl Finding {
    /// The order findings are reported in: host, protocol, port, kind.
    pub fn sort(findings: &mut [Finding]) {
        findings.sort_by(|a, b| {
            (a.host, a.protocol, a.port, a.kind).cmp(&(b.host, b.protocol, b.port, b.kind))
        });
    }

    /// `22/tcp`, or `-` for a finding about the host.
    pub fn port_label(&self) -> String {
        match (self.port, self.protocol) {
            (Some(port), Some(proto)) => format!("{port}/{proto}"),
            _ => "-".to_string(),
        }
    }

    /// One line for people: `unexpected-open 198.18.0.2 8080/tcp (open), expect[1] web`.
    pub fn describe(&self) -> String {
        let at = match (self.port, self.protocol) {
            (Some(_), Some(_)) => format!("{} {}", self.host, self.port_label()),
            _ => self.host.to_string(),
        };
        format!("{} {at} ({}), {}", self.kind, self.state, self.rule)
    }

    /// A sentence saying what the finding means, for reports read by people (JUnit failure
    /// texts): `8080/tcp is open on 198.18.0.2; no rule for the host lists it in open or
    /// allowed (expect[1] web)`.
    pub fn explain(&self) -> String {
        let (host, port, state, rule) = (self.host, self.port_label(), self.state, &self.rule);
        match (self.kind, self.port) {
            (FindingKind::UnexpectedOpen, _) => format!(
                "{port} is open on {host}; no rule for the host lists it in open or allowed ({rule})"
            ),
            (FindingKind::MissingOpen, _) => {
                format!("{port} must be open on {host} ({rule}), and is {state}")
            }
            (FindingKind::Unverified, None) => format!(
                "{host} timed out: none of its ports has a verdict, so {rule} could not be checked"
            ),
            (FindingKind::Unverified, Some(_)) => format!(
                "{port} on {host} is {state}: the scan did not prove whether it is open ({rule})"
            ),
            (FindingKind::HostDown, _) => {
                format!("{host} must answer ({rule}), and did not")
            }
            (FindingKind::HostUp, _) => format!("{host} must not answer ({rule}), and did"),
            _ => self.describe(),
        }
    }
}

/// What one rule checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleOutcome {
    /// The rule's name (`expect[N] HOSTS`), as in [`Finding::rule`].
    pub rule: String,
    /// The hosts this rule checked, ascending. Empty: no scanned host matched, or every
    /// matched host was down and the rule makes no claim about down hosts.
    pub hosts: Vec<IpAddr>,
}

/// The verdict of a scan against its expectations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    /// No finding, and the scan was not interrupted (an interrupted scan proves nothing about
    /// the hosts it did not reach).
    pub compliant: bool,
    /// Every finding, sorted by host, protocol, port and kind; at most one per (kind, host,
    /// protocol, port).
    pub findings: Vec<Finding>,
    /// Hosts at least one rule checked.
    pub checked_hosts: u64,
    /// One entry per rule, in profile order.
    pub rules: Vec<RuleOutcome>,
}

impl AuditReport {
    /// The findings attributed to `rule`.
    pub fn findings_of<'a>(&'a self, rule: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.rule == rule)
    }

    /// `compliant (0 findings on 3 checked hosts)`, `NOT COMPLIANT (2 findings on ...)`, or
    /// `not proven, the scan was interrupted (...)`.
    pub fn verdict_line(&self) -> String {
        let n = self.findings.len();
        let verdict = match (self.compliant, n) {
            (true, _) => "compliant",
            (false, 0) => "not proven, the scan was interrupted",
            (false, _) => "NOT COMPLIANT",
        };
        format!(
            "{verdict} ({n} finding{} on {} checked host{})",
            if n == 1 { "" } else { "s" },
            self.checked_hosts,
            if self.checked_hosts == 1 { "" } else { "s" },
        )
    }
}

#[cfg(test)]
mod tests;
