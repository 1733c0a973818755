//! The audit section at the end of the table: the verdict, then one row per finding, then a
//! line per rule that checked no host, as nmap puts its post-scan script results before the
//! done line.

use comfy_table::{presets::NOTHING, Table};
use scanfw_core::audit::AuditReport;

/// The section's lines, ending with a blank line.
pub(super) fn audit_lines(report: &AuditReport) -> Vec<String> {
    let mut lines = vec![format!("Audit: {}", report.verdict_line())];
    if !report.findings.is_empty() {
        let mut table = Table::new();
        table.load_style(NOTHING);
        table.set_header(["FINDING", "HOST", "PORT", "STATE", "RULE"]);
        for f in &report.findings {
            table.add_row([
                f.kind.to_string(),
                f.host.to_string(),
                f.port_label(),
                f.state.to_string(),
                f.rule.clone(),
            ]);
        }
        for col in table.column_iter_mut() {
            col.set_padding((0, 1));
        }
        lines.extend(table.lines().map(|l| l.trim_end().to_string()));
    }
    for r in report.rules.iter().filter(|r| r.hosts.is_empty()) {
        lines.push(format!("Rule {} checked no host.", r.rule));
    }
    lines.push(String::new());
    lines
}
