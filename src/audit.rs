//! The audit step of a run (docs/auditing.md): every finished host, up or down, is held
//! against the profile's `[[expect]]` rules while the scan goes on; the report goes to every
//! reporter with the scan summary, and findings make the exit code 3 once all outputs are
//! written.

use scanfw_core::audit::{AuditReport, Auditor, ExpectRule};
use scanfw_core::{HostResult, ScanTypeInfo};

/// The run's auditor; does nothing when the profile has no rules.
#[derive(Debug)]
pub struct RunAudit(Option<Auditor>);

impl RunAudit {
    /// An audit of `rules` for the scan made of `scans` (the planned port scans).
    pub fn new(rules: &[ExpectRule], scans: &[ScanTypeInfo]) -> RunAudit {
        RunAudit((!rules.is_empty()).then(|| Auditor::new(rules.to_vec(), scans)))
    }

    /// A host is final (up or down, before down hosts are dropped from the outputs).
    pub fn observe(&mut self, host: &HostResult) {
        if let Some(a) = &mut self.0 {
            a.observe(host);
        }
    }

    /// The report, `None` without rules. `complete`: the scan was not interrupted.
    pub fn finish(self, complete: bool) -> Option<AuditReport> {
        self.0.map(|a| a.finish(complete))
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
