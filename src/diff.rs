//! `scanfw diff OLD NEW`: the baseline comparison between two report files, without scanning
//! (see `crate::baseline`). Each report may be scanfw JSON, scanfw XML or nmap XML. The result
//! goes to every `-o FORMAT[=PATH]` (table, json or xml; a table on standard output by
//! default). Exit 0 when nothing changed, 3 when something did, 2 for bad input, 1 when an
//! output cannot be written.

use crate::app::{EXIT_DRIFT, EXIT_RUNTIME, EXIT_USAGE};
use crate::baseline::{compare, load, Snapshot};
use crate::progress::say;
use clap::Parser;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, Event};
use scanfw_core::audit::Finding;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Compare two scan reports (scanfw JSON/XML or nmap XML) host by host, by address.
#[derive(Debug, Parser)]
#[command(
    name = "scanfw diff",
    about = "Compare two scan reports (scanfw JSON or XML, nmap XML) by address: new and closed open ports, new and gone hosts",
    after_help = "Exit status: 0 the same, 3 changed, 2 bad input, 1 an output could not be written.\nService names are not compared, only states."
)]
struct DiffCli {
    /// The earlier report
    old: PathBuf,
    /// The later report
    new: PathBuf,
    /// Output FORMAT[=PATH]: table, json or xml; PATH - is standard output (repeatable)
    #[arg(short = 'o', long = "output", value_name = "FORMAT[=PATH]")]
    outputs: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Table,
    Json,
    Xml,
}

/// One output: its format and file (`None`: standard output).
fn output(spec: &str) -> Result<(Format, Option<PathBuf>), String> {
    let (name, path) = match spec.split_once('=') {
        Some((n, p)) if p.trim().is_empty() => {
            return Err(format!(
                "output `{spec}`: the path after `=` is empty ({n}=FILE)"
            ))
        }
        Some((n, "-")) => (n, None),
        Some((n, p)) => (n, Some(PathBuf::from(p))),
        None => (spec, None),
    };
    let format = match name {
        "table" => Format::Table,
        "json" => Format::Json,
        "xml" => Format::Xml,
        other => {
            return Err(format!(
                "unknown diff output format `{other}` (available: table, json, xml)"
            ))
        }
    };
    Ok((format, path))
}

/// The hosts both reports know of.
fn compared(old: &Snapshot, new: &Snapshot) -> usize {
    let all: BTreeSet<_> = old.hosts.keys().chain(new.hosts.keys()).collect();
    all.len()
}

fn table(old: &Snapshot, new: &Snapshot, findings: &[Finding]) -> String {
    let mut out = format!(
        "scanfw diff {} -> {}\n{} compared, {} ports scanned in both\n",
        old.source,
        new.source,
        match compared(old, new) {
            1 => "1 host".to_string(),
            n => format!("{n} hosts"),
        },
        old.scanned.intersection(&new.scanned).count()
    );
    if findings.is_empty() {
        out.push_str("No change.\n");
        return out;
    }
    let rows: Vec<[String; 4]> = findings
        .iter()
        .map(|f| {
            [
                f.kind.to_string(),
                f.host.to_string(),
                f.port_label(),
                f.state.to_string(),
            ]
        })
        .collect();
    let head = ["CHANGE", "HOST", "PORT", "STATE"].map(String::from);
    let width: Vec<usize> = (0..4)
        .map(|i| {
            rows.iter()
                .chain(std::iter::once(&head))
                .map(|r| r[i].len())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in std::iter::once(&head).chain(rows.iter()) {
        let line = format!(
            "{:w0$} {:w1$} {:w2$} {}",
            r[0],
            r[1],
            r[2],
            r[3],
            w0 = width[0],
            w1 = width[1],
            w2 = width[2]
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let n = findings.len();
    out.push_str(&format!("{n} change{}.\n", if n == 1 { "" } else { "s" }));
    out
}

fn json(old: &Snapshot, new: &Snapshot, findings: &[Finding]) -> String {
    let items: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            serde_json::json!({
                "kind": f.kind.as_str(),
                "host": f.host.to_string(),
                "protocol": f.protocol.map(|p| p.as_str()),
                "port": f.port,
                "state": f.state.as_str(),
                "rule": f.rule,
            })
        })
        .collect();
    let doc = serde_json::json!({
        "scanner": "scanfw",
        "version": scanfw_core::VERSION,
        "diff": {"old": old.source, "new": new.source},
        "audit": {
            "compliant": findings.is_empty(),
            "findings": items,
            "checked_hosts": compared(old, new),
        },
    });
    format!("{doc}\n")
}

fn xml(old: &Snapshot, new: &Snapshot, findings: &[Finding]) -> Result<String, String> {
    let mut w = quick_xml::Writer::new_with_indent(Vec::new(), b' ', 1);
    let e = |r: Result<(), std::io::Error>| r.map_err(|e| e.to_string());
    e(w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))))?;
    let checked = compared(old, new).to_string();
    let mut root = BytesStart::new("scanfwdiff");
    root.push_attribute(("old", old.source.as_str()));
    root.push_attribute(("new", new.source.as_str()));
    root.push_attribute(("version", scanfw_core::VERSION));
    root.push_attribute((
        "compliant",
        if findings.is_empty() { "true" } else { "false" },
    ));
    root.push_attribute(("checked_hosts", checked.as_str()));
    e(w.write_event(Event::Start(root)))?;
    for f in findings {
        let mut el = BytesStart::new("finding");
        let host = f.host.to_string();
        let port = f.port.map(|p| p.to_string());
        el.push_attribute(("kind", f.kind.as_str()));
        el.push_attribute(("host", host.as_str()));
        if let (Some(proto), Some(port)) = (f.protocol, port.as_deref()) {
            el.push_attribute(("protocol", proto.as_str()));
            el.push_attribute(("port", port));
        }
        el.push_attribute(("state", f.state.as_str()));
        e(w.write_event(Event::Empty(el)))?;
    }
    e(w.write_event(Event::End(BytesEnd::new("scanfwdiff"))))?;
    let mut text = String::from_utf8(w.into_inner()).map_err(|e| e.to_string())?;
    text.push('\n');
    Ok(text)
}

/// Runs `scanfw diff` with the arguments after `diff` (`args[0]` is the program name).
pub fn main(args: &[String]) -> ExitCode {
    let cli = match DiffCli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let specs = if cli.outputs.is_empty() {
        vec!["table".to_string()]
    } else {
        cli.outputs.clone()
    };
    let outputs = match specs
        .iter()
        .map(|s| output(s))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(o) => o,
        Err(e) => {
            say(&e);
            return ExitCode::from(EXIT_USAGE);
        }
    };
    if outputs.iter().filter(|(_, p)| p.is_none()).count() > 1 {
        say("at most one diff output may go to standard output: give the others a path (FORMAT=FILE)");
        return ExitCode::from(EXIT_USAGE);
    }
    let (old, new) = match (load(&cli.old), load(&cli.new)) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(e), _) | (_, Err(e)) => {
            say(&e.to_string());
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let findings = compare(&old, &new);
    for (format, path) in outputs {
        let text = match format {
            Format::Table => Ok(table(&old, &new, &findings)),
            Format::Json => Ok(json(&old, &new, &findings)),
            Format::Xml => xml(&old, &new, &findings),
        };
        let written = text.and_then(|t| match &path {
            Some(p) => std::fs::write(p, t).map_err(|e| format!("{}: {e}", p.display())),
            None => {
                let mut out = std::io::stdout().lock();
                match out.write_all(t.as_bytes()).and_then(|()| out.flush()) {
                    Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.to_string()),
                    _ => Ok(()),
                }
            }
        });
        if let Err(e) = written {
            say(&format!("cannot write the diff: {e}"));
            return ExitCode::from(EXIT_RUNTIME);
        }
    }
    if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_DRIFT)
    }
}
