//! The top-level `"audit"` object: the verdict against the profile's `[[expect]]` rules
//! (`$defs/audit` in docs/scanfw-report.schema.json). Only written when the profile has rules.

use scanfw_core::audit::AuditReport;
use serde::Serialize;

#[derive(Serialize)]
pub(super) struct Audit<'a> {
    compliant: bool,
    findings: Vec<Finding<'a>>,
    checked_hosts: u64,
}

#[derive(Serialize)]
struct Finding<'a> {
    kind: &'static str,
    host: String,
    /// `null` for a finding about the host.
    protocol: Option<&'static str>,
    /// `null` for a finding about the host.
    port: Option<u16>,
    state: &'static str,
    rule: &'a str,
}

pub(super) fn audit_value(report: &AuditReport) -> Audit<'_> {
    Audit {
        compliant: report.compliant,
        findings: report
            .findings
            .iter()
            .map(|f| Finding {
                kind: f.kind.as_str(),
                host: f.host.to_string(),
                protocol: f.protocol.map(|p| p.as_str()),
                port: f.port,
                state: f.state.as_str(),
                rule: &f.rule,
            })
            .collect(),
        checked_hosts: report.checked_hosts,
    }
}
