//! `table`: nmap-like normal output for people (nmap's `-oN`).

use crate::fold::{self, Folded};
use crate::mac;
use crate::sink::Sink;
use crate::timefmt;
use comfy_table::{presets::NOTHING, Table};
use scanfw_core::registry::ReporterDescriptor;
use scanfw_core::{
    services, HostResult, PortResult, ReportError, ReportOptions, Reporter, ScanStart, ScanSummary,
    SCANNER_NAME, VERSION,
};
use std::io::Write;

mod audit;

inventory::submit! {
    ReporterDescriptor {
        name: "table",
        nmap_letter: Some('N'),
        summary: "nmap-like normal output: one port table per host, folded 'Not shown' lines",
        constructor: TableReporter::boxed,
    }
}

/// Writes nmap-like normal output.
#[derive(Debug)]
pub struct TableReporter {
    opts: ReportOptions,
    sink: Sink,
    /// The scan runs no port scan technique (nmap's `-sn`): hosts are not separated by blank
    /// lines, as in nmap.
    discovery_only: bool,
}

impl TableReporter {
    /// A table reporter writing to `out`.
    pub fn new(opts: ReportOptions, out: Box<dyn Write + Send>) -> TableReporter {
        TableReporter {
            opts,
            sink: Sink::new(out),
            discovery_only: false,
        }
    }

    pub(crate) fn boxed(opts: ReportOptions, out: Box<dyn Write + Send>) -> Box<dyn Reporter> {
        Box::new(TableReporter::new(opts, out))
    }
}

/// `name (addr)` or `addr`.
fn label(host: &HostResult) -> String {
    match host.hostnames.first() {
        Some(h) => format!("{} ({})", h.name, host.addr),
        None => host.addr.to_string(),
    }
}

/// `syn-ack` or `reset ttl 64`.
fn reason_text(reason: scanfw_core::Reason, ttl: u8) -> String {
    if ttl > 0 {
        format!("{reason} ttl {ttl}")
    } else {
        reason.to_string()
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn up_line(host: &HostResult, with_reason: bool) -> String {
    let received = if with_reason {
        format!(
            ", received {}",
            reason_text(host.status.reason, host.status.reason_ttl)
        )
    } else {
        String::new()
    };
    match host.times {
        Some(t) => format!(
            "Host is up{received} ({}s latency).",
            timefmt::secs_2sig(t.srtt)
        ),
        None => format!("Host is up{received}."),
    }
}

/// `Not shown: 998 closed tcp ports (conn-refused), 2 filtered tcp ports (no-response)`.
fn not_shown_line(folded: &[Folded]) -> String {
    let parts: Vec<String> = folded
        .iter()
        .flat_map(|f| {
            f.groups.iter().map(move |g| {
                let what = format!("{} {} port", f.state, g.proto);
                format!(
                    "{} ({})",
                    plural(g.ports.len(), &what, &format!("{what}s")),
                    g.reason
                )
            })
        })
        .collect();
    format!("Not shown: {}", parts.join(", "))
}

fn port_table(ports: &[&PortResult], with_reason: bool) -> Vec<String> {
    let mut table = Table::new();
    table.load_style(NOTHING);
    let mut header = vec!["PORT", "STATE", "SERVICE"];
    if with_reason {
        header.push("REASON");
    }
    table.set_header(header);
    for p in ports {
        let service = services::name(p.protocol, p.port).unwrap_or("unknown");
        let mut row = vec![
            format!("{}/{}", p.port, p.protocol),
            p.state.to_string(),
            service.to_string(),
        ];
        if with_reason {
            row.push(reason_text(p.reason, p.reason_ttl));
        }
        table.add_row(row);
    }
    for col in table.column_iter_mut() {
        col.set_padding((0, 1));
    }
    table.lines().map(|l| l.trim_end().to_string()).collect()
}

/// `MAC Address: 02:42:C6:12:00:02 (Unknown)`: nmap names the vendor in the brackets, and says
/// `Unknown` when its table has none; scanfw has no vendor table.
fn mac_line(mac: [u8; 6]) -> String {
    format!("MAC Address: {} (Unknown)", mac::upper(mac))
}

/// The lines of one host's report. A port scan's host block ends with a blank line; in a
/// discovery-only scan the blocks follow one another directly, as nmap's `-sn` output does.
fn host_lines(host: &HostResult, opts: ReportOptions, discovery_only: bool) -> Vec<String> {
    let name = label(host);
    let mut lines = vec![format!("{SCANNER_NAME} scan report for {name}")];
    lines.push(up_line(host, opts.reason));
    if host.partial {
        lines.push("Scan interrupted: results for this host are incomplete.".to_string());
    }
    if host.timed_out {
        lines.push(format!("Skipping host {} due to host timeout", host.addr));
    } else if !host.ports.is_empty() {
        let layout = fold::layout(&host.ports, opts.open_only);
        if layout.shown.is_empty() {
            lines.push(format!(
                "All {} scanned ports on {name} are in ignored states.",
                host.ports.len()
            ));
            lines.push(not_shown_line(&layout.folded));
        } else {
            if layout.folded.is_empty() {
                lines.push(String::new());
            } else {
                lines.push(not_shown_line(&layout.folded));
            }
            lines.extend(port_table(&layout.shown, opts.reason));
        }
    }
    // After the ports, as nmap; like nmap, not for a host skipped for its timeout.
    if let (Some(mac), false) = (host.mac, host.timed_out) {
        lines.push(mac_line(mac));
    }
    if !discovery_only {
        lines.push(String::new());
    }
    lines
}

fn write_lines(out: &mut impl Write, lines: &[String]) -> Result<(), ReportError> {
    for line in lines {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

impl Reporter for TableReporter {
    fn begin(&mut self, scan: &ScanStart) -> Result<(), ReportError> {
        self.sink.start()?;
        self.discovery_only = scan.scans.is_empty();
        let mut lines = vec![format!(
            "Starting {SCANNER_NAME} {VERSION} at {}",
            timefmt::minute_utc(scan.start)
        )];
        lines.extend(scan.scopes.iter().map(|s| format!("Scope: {s}")));
        write_lines(self.sink.out(), &lines)?;
        self.sink.flush()
    }

    /// Down hosts are not listed (as nmap without `-v`); the final line counts them.
    fn host(&mut self, host: &HostResult) -> Result<(), ReportError> {
        self.sink.expect_open()?;
        if !host.status.up {
            return Ok(());
        }
        write_lines(
            self.sink.out(),
            &host_lines(host, self.opts, self.discovery_only),
        )?;
        self.sink.flush()
    }

    fn finish(&mut self, summary: &ScanSummary) -> Result<(), ReportError> {
        self.sink.close()?;
        let mut lines = summary
            .audit
            .as_ref()
            .map(audit::audit_lines)
            .unwrap_or_default();
        if let Some(reason) = &summary.interrupted {
            lines.push(format!(
                "Scan interrupted: {reason}; results above are complete up to this point."
            ));
        }
        lines.push(format!(
            "{SCANNER_NAME} done: {} ({} up) scanned in {} seconds",
            plural(summary.hosts_total as usize, "IP address", "IP addresses"),
            plural(summary.hosts_up as usize, "host", "hosts"),
            timefmt::secs_2dp(summary.elapsed)
        ));
        write_lines(self.sink.out(), &lines)?;
        self.sink.flush()
    }
}

#[cfg(test)]
mod tests;
