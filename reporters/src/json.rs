//! `json`: one JSON document per scan (`docs/scanfw-report.schema.json` describes it).
//!
//! Streamed: `begin` writes the head up to `"hosts":[`, each host appends one line, `finish`
//! writes `"stats"` (and `"audit"`, when the profile has rules) and closes the object, so an
//! interrupted scan still ends with a complete, parseable document.

use crate::fold::visible_when_open_only;
use crate::mac;
use crate::sink::Sink;
use crate::timefmt;
use scanfw_core::registry::ReporterDescriptor;
use scanfw_core::result::ReplyCounts;
use scanfw_core::{
    services, HostResult, ReportError, ReportOptions, Reporter, ScanStart, ScanSummary,
    SCANNER_NAME, VERSION,
};
use serde::Serialize;
use std::io::Write;
use std::net::IpAddr;

mod audit;

inventory::submit! {
    ReporterDescriptor {
        name: "json",
        nmap_letter: Some('J'),
        summary: "one JSON document (docs/scanfw-report.schema.json), every scanned port listed",
        constructor: JsonReporter::boxed,
    }
}

/// Writes one JSON document.
#[derive(Debug)]
pub struct JsonReporter {
    opts: ReportOptions,
    sink: Sink,
    hosts_written: u64,
}

impl JsonReporter {
    /// A JSON reporter writing to `out`.
    pub fn new(opts: ReportOptions, out: Box<dyn Write + Send>) -> JsonReporter {
        JsonReporter {
            opts,
            sink: Sink::new(out),
            hosts_written: 0,
        }
    }

    pub(crate) fn boxed(opts: ReportOptions, out: Box<dyn Write + Send>) -> Box<dyn Reporter> {
        Box::new(JsonReporter::new(opts, out))
    }
}

#[derive(Serialize)]
struct Head<'a> {
    scanner: &'static str,
    version: &'static str,
    args: &'a [String],
    start: u64,
    startstr: String,
    scans: Vec<Scan<'a>>,
    scopes: &'a [String],
}

#[derive(Serialize)]
struct Scan<'a> {
    #[serde(rename = "type")]
    scan_type: &'a str,
    protocol: &'static str,
    numservices: usize,
    services: String,
}

#[derive(Serialize)]
struct Host<'a> {
    address: String,
    addrtype: &'static str,
    /// Hardware address (lower case), `null` unless found on the local link by ARP / ND.
    mac: Option<String>,
    hostnames: Vec<Name<'a>>,
    status: Status,
    starttime: u64,
    endtime: u64,
    timedout: bool,
    partial: bool,
    times: Option<Times>,
    ports: Vec<Port>,
}

#[derive(Serialize)]
struct Name<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Status {
    state: &'static str,
    reason: &'static str,
    reason_ttl: u8,
}

#[derive(Serialize)]
struct Times {
    srtt_us: u64,
    rttvar_us: u64,
    timeout_us: u64,
}

#[derive(Serialize)]
struct Port {
    protocol: &'static str,
    port: u16,
    state: &'static str,
    reason: &'static str,
    reason_ttl: u8,
    service: Option<&'static str>,
}

#[derive(Serialize)]
struct Stats<'a> {
    end: u64,
    elapsed: f64,
    hosts: HostCounts,
    probes_sent: u64,
    retransmissions: u64,
    replies: ReplyCounts,
    exit: &'static str,
    interrupted_reason: Option<&'a str>,
}

#[derive(Serialize)]
struct HostCounts {
    up: u64,
    down: u64,
    total: u64,
}

fn json_err(e: serde_json::Error) -> ReportError {
    if e.is_io() {
        ReportError::Io(e.into())
    } else {
        ReportError::Format(e.to_string())
    }
}

fn host_value(host: &HostResult, open_only: bool) -> Host<'_> {
    let ports = if host.timed_out {
        Vec::new()
    } else {
        host.ports
            .iter()
            .filter(|p| !open_only || visible_when_open_only(p.state))
            .map(|p| Port {
                protocol: p.protocol.as_str(),
                port: p.port,
                state: p.state.as_str(),
                reason: p.reason.as_str(),
                reason_ttl: p.reason_ttl,
                service: services::name(p.protocol, p.port),
            })
            .collect()
    };
    Host {
        address: host.addr.to_string(),
        addrtype: match host.addr {
            IpAddr::V4(_) => "ipv4",
            IpAddr::V6(_) => "ipv6",
        },
        mac: host.mac.map(mac::lower),
        hostnames: host
            .hostnames
            .iter()
            .map(|h| Name {
                name: &h.name,
                kind: h.kind.as_str(),
            })
            .collect(),
        status: Status {
            state: if host.status.up { "up" } else { "down" },
            reason: host.status.reason.as_str(),
            reason_ttl: host.status.reason_ttl,
        },
        starttime: timefmt::epoch_secs(host.start),
        endtime: timefmt::epoch_secs(host.end),
        timedout: host.timed_out,
        partial: host.partial,
        times: host.times.map(|t| Times {
            srtt_us: timefmt::micros(t.srtt),
            rttvar_us: timefmt::micros(t.rttvar),
            timeout_us: timefmt::micros(t.timeout),
        }),
        ports,
    }
}

impl Reporter for JsonReporter {
    fn begin(&mut self, scan: &ScanStart) -> Result<(), ReportError> {
        self.sink.start()?;
        let head = Head {
            scanner: SCANNER_NAME,
            version: VERSION,
            args: &scan.args,
            start: timefmt::epoch_secs(scan.start),
            startstr: timefmt::ctime_utc(scan.start),
            scans: scan
                .scans
                .iter()
                .map(|s| Scan {
                    scan_type: &s.scan_type,
                    protocol: s.protocol.as_str(),
                    numservices: s.ports.len(),
                    services: s.ports.to_ranges(),
                })
                .collect(),
            scopes: &scan.scopes,
        };
        let text = serde_json::to_string(&head).map_err(json_err)?;
        // A struct always serialises as `{...}`: reopen it to append the host list.
        let open = text
            .strip_suffix('}')
            .ok_or_else(|| ReportError::Format("JSON head is not an object".to_string()))?;
        write!(self.sink.out(), "{open},\"hosts\":[")?;
        self.sink.flush()
    }

    fn host(&mut self, host: &HostResult) -> Result<(), ReportError> {
        self.sink.expect_open()?;
        let sep = if self.hosts_written == 0 { "\n" } else { ",\n" };
        let out = self.sink.out();
        out.write_all(sep.as_bytes())?;
        serde_json::to_writer(&mut *out, &host_value(host, self.opts.open_only))
            .map_err(json_err)?;
        self.hosts_written += 1;
        self.sink.flush()
    }

    fn finish(&mut self, summary: &ScanSummary) -> Result<(), ReportError> {
        self.sink.close()?;
        let stats = Stats {
            end: timefmt::epoch_secs(summary.end),
            elapsed: summary.elapsed.as_millis() as f64 / 1000.0,
            hosts: HostCounts {
                up: summary.hosts_up,
                down: summary.hosts_down,
                total: summary.hosts_total,
            },
            probes_sent: summary.probes_sent,
            retransmissions: summary.retransmissions,
            replies: summary.replies,
            exit: if summary.interrupted.is_some() {
                "interrupted"
            } else {
                "success"
            },
            interrupted_reason: summary.interrupted.as_deref(),
        };
        let nl = if self.hosts_written == 0 { "" } else { "\n" };
        let out = self.sink.out();
        write!(out, "{nl}],\"stats\":")?;
        serde_json::to_writer(&mut *out, &stats).map_err(json_err)?;
        if let Some(report) = &summary.audit {
            out.write_all(b",\n\"audit\":")?;
            serde_json::to_writer(&mut *out, &audit::audit_value(report)).map_err(json_err)?;
        }
        out.write_all(b"}\n")?;
        self.sink.flush()
    }
}

#[cfg(test)]
pub(crate) mod tests;
