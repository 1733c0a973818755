//! The audit step of a run (docs/auditing.md): every finished host, up or down, is held
//! against the profile's `[[expect]]` rules while the scan goes on; the report goes to every
//! reporter with the scan summary, and findings make the exit code 3 once all outputs are
//! written.

use crate::baseline::RunBaseline;
use scanfw_core::audit::{AuditReport, Auditor, ExpectRule, Finding, RuleOutcome};
use scanfw_core::{HostResult, ScanTypeInfo};
use std::collections::BTreeSet;

/// The run's auditor and baseline; does nothing when the profile has no rules and no
/// baseline was given.
#[derive(Debug)]
pub struct RunAudit {
    rules: Option<Auditor>,
    baseline: Option<RunBaseline>,
}

impl RunAudit {
    /// An audit of `rules` for the scan made of `scans` (the planned port scans), and a
    /// comparison with `baseline` when given.
    pub fn new(
        rules: &[ExpectRule],
        scans: &[ScanTypeInfo],
        baseline: Option<RunBaseline>,
    ) -> RunAudit {
        RunAudit {
            rules: (!rules.is_empty()).then(|| Auditor::new(rules.to_vec(), scans)),
            baseline,
        }
    }

    /// Whether it judges anything (rules or a baseline).
    pub fn is_active(&self) -> bool {
        self.rules.is_some() || self.baseline.is_some()
    }

    /// A host is final (up or down, before down hosts are dropped from the outputs).
    pub fn observe(&mut self, host: &HostResult) {
        if let Some(a) = &mut self.rules {
            a.observe(host);
        }
        if let Some(b) = &mut self.baseline {
            b.observe(host);
        }
    }

    /// The report, `None` without rules or baseline. `complete`: the scan was not
    /// interrupted. Baseline changes are findings like the rules' (their rule is
    /// `baseline FILE`), and the baseline is one more entry of `rules`.
    pub fn finish(self, complete: bool) -> Option<AuditReport> {
        let report = self.rules.map(|a| a.finish(complete));
        let Some(baseline) = self.baseline else {
            return report;
        };
        let rule = format!("baseline {}", baseline.source());
        let (found, hosts) = baseline.finish(complete);
        let mut report = report.unwrap_or(AuditReport {
            compliant: complete,
            findings: Vec::new(),
            checked_hosts: 0,
            rules: Vec::new(),
        });
        report.findings.extend(found);
        Finding::sort(&mut report.findings);
        report.rules.push(RuleOutcome { rule, hosts });
        let checked: BTreeSet<_> = report.rules.iter().flat_map(|r| r.hosts.iter()).collect();
        report.checked_hosts = checked.len() as u64;
        report.compliant = complete && report.findings.is_empty();
        Some(report)
    }
}

/// Notices for rules that checked no host: a rule that silently checks nothing must not look
/// like a rule that held.
pub fn notices(report: &AuditReport) -> Vec<String> {
    report
        .rules
        .iter()
        .filter(|r| r.hosts.is_empty())
        .map(|r| {
            format!(
                "{} checked no host: no scanned target matched it, or every match was down and the rule says nothing about down hosts",
                r.rule
            )
        })
        .collect()
}

/// Whether the report holds findings (exit code 3).
pub fn drift(report: Option<&AuditReport>) -> bool {
    report.is_some_and(|r| !r.findings.is_empty())
}
