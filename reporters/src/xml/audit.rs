//! The audit as nmap's post-scan script output: `<postscript><script id="scanfw-audit">`,
//! which nmap's DTD allows between the hosts and `<runstats>`, so the document still
//! validates, and `ndiff` compares it like any script result. The `output` attribute holds
//! the verdict and one line per finding (lines joined by `&#xa;`, as nmap writes script
//! output); the `<elem>`/`<table>` children carry the same data as the JSON `audit` object.

use super::{xml_safe, Xml};
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesStart, BytesText, Event};
use quick_xml::name::QName;
use scanfw_core::audit::{AuditReport, Finding};
use std::borrow::Cow;
use std::io::Write;

/// The script id, as NSE scripts are named.
pub(super) const SCRIPT_ID: &str = "scanfw-audit";

/// The human-readable `output`: the verdict, then a line per finding.
fn output_text(report: &AuditReport) -> String {
    let mut lines = vec![format!("Audit: {}", report.verdict_line())];
    lines.extend(
        report
            .findings
            .iter()
            .map(|f| format!("  {}", f.describe())),
    );
    lines.join("\n")
}

/// An attribute value with its line breaks kept as `&#xa;` (escaping everything else).
fn multiline_attr<'a>(key: &'a str, value: &str) -> Attribute<'a> {
    let escaped: Vec<String> = value
        .split('\n')
        .map(|line| quick_xml::escape::escape(xml_safe(line)).into_owned())
        .collect();
    Attribute {
        key: QName(key),
        value: Cow::Owned(escaped.join("&#xa;")),
    }
}

fn elem<W: Write>(x: &mut Xml<W>, key: &str, text: &str) -> std::io::Result<()> {
    x.start("elem", &[("key", key.to_string())])?;
    x.0.write_event(Event::Text(BytesText::new(&xml_safe(text))))?;
    x.end("elem")?;
    x.nl()
}

fn finding<W: Write>(x: &mut Xml<W>, f: &Finding) -> std::io::Result<()> {
    x.start("table", &[])?;
    x.nl()?;
    elem(x, "kind", f.kind.as_str())?;
    elem(x, "host", &f.host.to_string())?;
    // As NSE does with absent values, a finding about the host has no protocol and port.
    if let (Some(proto), Some(port)) = (f.protocol, f.port) {
        elem(x, "protocol", proto.as_str())?;
        elem(x, "port", &port.to_string())?;
    }
    elem(x, "state", f.state.as_str())?;
    elem(x, "rule", &f.rule)?;
    x.end("table")?;
    x.nl()
}

/// Writes the `<postscript>` element.
pub(super) fn write_postscript<W: Write>(
    x: &mut Xml<W>,
    report: &AuditReport,
) -> std::io::Result<()> {
    x.start("postscript", &[])?;
    let mut script = BytesStart::new("script");
    script.push_attribute(("id", SCRIPT_ID));
    script.push_attribute(multiline_attr("output", &output_text(report)));
    x.0.write_event(Event::Start(script))?;
    x.nl()?;
    elem(
        x,
        "compliant",
        if report.compliant { "true" } else { "false" },
    )?;
    elem(x, "checked_hosts", &report.checked_hosts.to_string())?;
    x.start("table", &[("key", "findings".to_string())])?;
    x.nl()?;
    for f in &report.findings {
        finding(x, f)?;
    }
    x.end("table")?;
    x.nl()?;
    x.end("script")?;
    x.end("postscript")?;
    x.nl()
}
