//! `xml`: nmap-compatible XML (nmap's `-oX`, xmloutputversion 1.05).
//!
//! The document validates against nmap's DTD (`/usr/share/nmap/nmap.dtd`) and is read by
//! `ndiff`. The DTD fixes `scanner="nmap"`; scanfw names itself in a comment and in `args`.
//! Streamed: `begin` writes everything up to `<debugging/>`, each host is one `<host>` element,
//! `finish` writes `<runstats>` and closes `<nmaprun>`, also after an interruption.

use crate::fold::{self, Folded};
use crate::mac;
use crate::sink::Sink;
use crate::timefmt;
use quick_xml::events::{BytesDecl, BytesEnd, BytesPI, BytesStart, BytesText, Event};
use quick_xml::Writer;
use scanfw_core::registry::ReporterDescriptor;
use scanfw_core::{
    services, HostResult, PortResult, ReportError, ReportOptions, Reporter, ScanStart, ScanSummary,
    SCANNER_NAME, VERSION,
};
use std::io::Write;
use std::net::IpAddr;

mod audit;

inventory::submit! {
    ReporterDescriptor {
        name: "xml",
        nmap_letter: Some('X'),
        summary: "nmap-compatible XML (validates against nmap.dtd, readable by ndiff)",
        constructor: XmlReporter::boxed,
    }
}

/// The stylesheet nmap's Debian package installs.
const STYLESHEET: &str = "file:///usr/share/nmap/nmap.xsl";

/// Writes nmap-compatible XML.
#[derive(Debug)]
pub struct XmlReporter {
    opts: ReportOptions,
    sink: Sink,
    /// A discovery-only scan (`-sn`, no technique): hosts carry no `<ports>`, as in nmap.
    discovery_only: bool,
}

impl XmlReporter {
    /// An XML reporter writing to `out`.
    pub fn new(opts: ReportOptions, out: Box<dyn Write + Send>) -> XmlReporter {
        XmlReporter {
            opts,
            sink: Sink::new(out),
            discovery_only: false,
        }
    }

    pub(crate) fn boxed(opts: ReportOptions, out: Box<dyn Write + Send>) -> Box<dyn Reporter> {
        Box::new(XmlReporter::new(opts, out))
    }
}

/// Replaces characters XML 1.0 cannot carry (control characters; tab and line breaks become
/// spaces, since attribute values are normalised anyway).
fn xml_safe(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => ' ',
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// Comment text: `--` may not occur inside a comment, so every second dash of a run is written
/// as the character reference `&#45;` (which comments do not decode, as in nmap's files).
fn comment_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_dash = false;
    for c in xml_safe(s).chars() {
        if c == '-' && prev_dash {
            out.push_str("&#45;");
            prev_dash = false;
        } else {
            out.push(c);
            prev_dash = c == '-';
        }
    }
    out
}

/// A thin helper over quick-xml's writer (which escapes attribute values).
struct Xml<W: Write>(Writer<W>);

type Attrs<'a> = &'a [(&'a str, String)];

impl<W: Write> Xml<W> {
    fn tag(name: &str, attrs: Attrs<'_>) -> BytesStart<'static> {
        let mut e = BytesStart::new(name.to_string());
        for (k, v) in attrs {
            e.push_attribute((*k, xml_safe(v).as_str()));
        }
        e
    }

    fn empty(&mut self, name: &str, attrs: Attrs<'_>) -> std::io::Result<()> {
        self.0.write_event(Event::Empty(Self::tag(name, attrs)))
    }

    fn start(&mut self, name: &str, attrs: Attrs<'_>) -> std::io::Result<()> {
        self.0.write_event(Event::Start(Self::tag(name, attrs)))
    }

    fn end(&mut self, name: &str) -> std::io::Result<()> {
        self.0.write_event(Event::End(BytesEnd::new(name)))
    }

    fn nl(&mut self) -> std::io::Result<()> {
        self.0
            .write_event(Event::Text(BytesText::from_escaped("\n")))
    }
}

fn a(key: &'static str, value: impl ToString) -> (&'static str, String) {
    (key, value.to_string())
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn write_head<W: Write>(x: &mut Xml<W>, scan: &ScanStart) -> std::io::Result<()> {
    let args = scan.args.join(" ");
    let startstr = timefmt::ctime_utc(scan.start);
    x.0.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    x.nl()?;
    x.0.write_event(Event::DocType(BytesText::from_escaped("nmaprun")))?;
    x.nl()?;
    x.0.write_event(Event::PI(BytesPI::new(format!(
        "xml-stylesheet href=\"{STYLESHEET}\" type=\"text/xsl\""
    ))))?;
    x.nl()?;
    let comment = comment_safe(&format!(
        " {SCANNER_NAME} {VERSION} scan initiated {startstr} as: {args} "
    ));
    x.0.write_event(Event::Comment(BytesText::from_escaped(comment)))?;
    x.nl()?;
    x.start(
        "nmaprun",
        &[
            a("scanner", "nmap"),
            a("args", &args),
            a("start", timefmt::epoch_secs(scan.start)),
            a("startstr", &startstr),
            a("version", VERSION),
            a("xmloutputversion", "1.05"),
        ],
    )?;
    x.nl()?;
    for s in &scan.scans {
        x.empty(
            "scaninfo",
            &[
                a("type", &s.scan_type),
                a("protocol", s.protocol),
                a("numservices", s.ports.len()),
                a("services", s.ports.to_ranges()),
            ],
        )?;
        x.nl()?;
    }
    x.empty("verbose", &[a("level", 0)])?;
    x.nl()?;
    x.empty("debugging", &[a("level", 0)])?;
    x.nl()
}

fn write_extraports<W: Write>(x: &mut Xml<W>, f: &Folded) -> std::io::Result<()> {
    x.start("extraports", &[a("state", f.state), a("count", f.count)])?;
    x.nl()?;
    for g in &f.groups {
        x.empty(
            "extrareasons",
            &[
                a("reason", g.reason),
                a("count", g.ports.len()),
                a("proto", g.proto),
                a("ports", g.ports.to_ranges()),
            ],
        )?;
        x.nl()?;
    }
    x.end("extraports")?;
    x.nl()
}

fn write_port<W: Write>(x: &mut Xml<W>, p: &PortResult) -> std::io::Result<()> {
    x.start("port", &[a("protocol", p.protocol), a("portid", p.port)])?;
    x.empty(
        "state",
        &[
            a("state", p.state),
            a("reason", p.reason),
            a("reason_ttl", p.reason_ttl),
        ],
    )?;
    if let Some(name) = services::name(p.protocol, p.port) {
        x.empty(
            "service",
            &[a("name", name), a("method", "table"), a("conf", 3)],
        )?;
    }
    x.end("port")?;
    x.nl()
}

fn write_host<W: Write>(
    x: &mut Xml<W>,
    h: &HostResult,
    open_only: bool,
    with_ports: bool,
) -> std::io::Result<()> {
    let mut attrs = vec![
        a("starttime", timefmt::epoch_secs(h.start)),
        a("endtime", timefmt::epoch_secs(h.end)),
    ];
    if h.timed_out {
        attrs.push(a("timedout", "true"));
    }
    if h.partial {
        attrs.push(a(
            "comment",
            "scan interrupted: results for this host are incomplete",
        ));
    }
    x.start("host", &attrs)?;
    x.empty(
        "status",
        &[
            a("state", if h.status.up { "up" } else { "down" }),
            a("reason", h.status.reason),
            a("reason_ttl", h.status.reason_ttl),
        ],
    )?;
    x.nl()?;
    let addrtype = match h.addr {
        IpAddr::V4(_) => "ipv4",
        IpAddr::V6(_) => "ipv6",
    };
    x.empty("address", &[a("addr", h.addr), a("addrtype", addrtype)])?;
    x.nl()?;
    // nmap adds `vendor=` from its OUI table; scanfw has none, and the DTD makes it optional.
    if let Some(hw) = h.mac {
        x.empty(
            "address",
            &[a("addr", mac::upper(hw)), a("addrtype", "mac")],
        )?;
        x.nl()?;
    }
    x.start("hostnames", &[])?;
    x.nl()?;
    for n in &h.hostnames {
        x.empty(
            "hostname",
            &[a("name", &n.name), a("type", n.kind.as_str())],
        )?;
        x.nl()?;
    }
    x.end("hostnames")?;
    x.nl()?;
    if with_ports && h.status.up && !h.timed_out {
        let layout = fold::layout(&h.ports, open_only);
        x.start("ports", &[])?;
        for f in &layout.folded {
            write_extraports(x, f)?;
        }
        for p in &layout.shown {
            write_port(x, p)?;
        }
        x.end("ports")?;
        x.nl()?;
    }
    if let Some(t) = h.times {
        x.empty(
            "times",
            &[
                a("srtt", timefmt::micros(t.srtt)),
                a("rttvar", timefmt::micros(t.rttvar)),
                a("to", timefmt::micros(t.timeout)),
            ],
        )?;
        x.nl()?;
    }
    x.end("host")?;
    x.nl()
}

fn write_tail<W: Write>(x: &mut Xml<W>, s: &ScanSummary) -> std::io::Result<()> {
    let timestr = timefmt::ctime_utc(s.end);
    let elapsed = timefmt::secs_2dp(s.elapsed);
    let summary = format!(
        "{SCANNER_NAME} done at {timestr}; {} ({} up) scanned in {elapsed} seconds",
        plural(s.hosts_total, "IP address", "IP addresses"),
        plural(s.hosts_up, "host", "hosts"),
    );
    let mut attrs = vec![
        a("time", timefmt::epoch_secs(s.end)),
        a("timestr", timestr),
        a("summary", summary),
        a("elapsed", elapsed),
    ];
    match &s.interrupted {
        None => attrs.push(a("exit", "success")),
        Some(reason) => {
            attrs.push(a("exit", "error"));
            attrs.push(a("errormsg", format!("Scan interrupted: {reason}")));
        }
    }
    if let Some(report) = &s.audit {
        audit::write_postscript(x, report)?;
    }
    x.start("runstats", &[])?;
    x.empty("finished", &attrs)?;
    x.empty(
        "hosts",
        &[
            a("up", s.hosts_up),
            a("down", s.hosts_down),
            a("total", s.hosts_total),
        ],
    )?;
    x.nl()?;
    x.end("runstats")?;
    x.nl()?;
    x.end("nmaprun")?;
    x.nl()
}

impl Reporter for XmlReporter {
    fn begin(&mut self, scan: &ScanStart) -> Result<(), ReportError> {
        self.sink.start()?;
        self.discovery_only = scan.scans.is_empty();
        write_head(&mut Xml(Writer::new(self.sink.out())), scan)?;
        self.sink.flush()
    }

    fn host(&mut self, host: &HostResult) -> Result<(), ReportError> {
        self.sink.expect_open()?;
        write_host(
            &mut Xml(Writer::new(self.sink.out())),
            host,
            self.opts.open_only,
            !self.discovery_only,
        )?;
        self.sink.flush()
    }

    fn finish(&mut self, summary: &ScanSummary) -> Result<(), ReportError> {
        self.sink.close()?;
        write_tail(&mut Xml(Writer::new(self.sink.out())), summary)?;
        self.sink.flush()
    }
}

#[cfg(test)]
pub(crate) mod tests;
