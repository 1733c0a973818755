//! `junit`: the audit as JUnit XML, the test-report format CI systems read (Jenkins, GitLab,
//! GitHub Actions test reporters), so an audit's drift fails a pipeline and shows per rule.
//!
//! One `<testsuite>` per `[[expect]]` rule: a failing `<testcase>` per finding the rule owns and
//! a passing one per host the rule checked without a finding (a rule that checked no host gets
//! one skipped case, so it cannot pass unseen). A last suite, `scan`, has one case that fails
//! with an `<error>` when the scan was interrupted. Nothing is known before the scan ends, so
//! the whole document is written by `finish`; `begin` and `host` only take notes.

use crate::sink::Sink;
use crate::timefmt;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use scanfw_core::audit::{AuditReport, Finding};
use scanfw_core::registry::ReporterDescriptor;
use scanfw_core::{HostResult, ReportError, ReportOptions, Reporter, ScanStart, ScanSummary};
use std::collections::HashSet;
use std::io::Write;
use std::time::SystemTime;

inventory::submit! {
    ReporterDescriptor {
        name: "junit",
        nmap_letter: None,
        summary: "JUnit XML for CI: a test suite per [[expect]] rule, a failing test case per finding",
        constructor: JunitReporter::boxed,
    }
}

/// The name of the suite that says whether the scan itself completed.
pub(crate) const SCAN_SUITE: &str = "scan";

/// Writes the audit as one JUnit XML document.
#[derive(Debug)]
pub struct JunitReporter {
    sink: Sink,
    start: Option<SystemTime>,
    args: String,
}

impl JunitReporter {
    /// A JUnit reporter writing to `out` (the presentation options do not apply).
    pub fn new(_opts: ReportOptions, out: Box<dyn Write + Send>) -> JunitReporter {
        JunitReporter {
            sink: Sink::new(out),
            start: None,
            args: String::new(),
        }
    }

    pub(crate) fn boxed(opts: ReportOptions, out: Box<dyn Write + Send>) -> Box<dyn Reporter> {
        Box::new(JunitReporter::new(opts, out))
    }
}

/// One `<testcase>`.
struct Case {
    name: String,
    outcome: Outcome,
}

enum Outcome {
    Passed,
    Failed {
        kind: String,
        message: String,
        text: String,
    },
    Skipped(String),
    Error(String),
}

/// One `<testsuite>`.
struct Suite {
    name: String,
    cases: Vec<Case>,
}

impl Suite {
    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.cases.iter().filter(|c| f(&c.outcome)).count()
    }
    fn failures(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed { .. }))
    }
    fn errors(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Error(_)))
    }
    fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Skipped(_)))
    }
}

fn failed(f: &Finding) -> Case {
    Case {
        name: match f.port {
            Some(_) => format!("{} {} {}", f.host, f.port_label(), f.kind),
            None => format!("{} {}", f.host, f.kind),
        },
        outcome: Outcome::Failed {
            kind: f.kind.to_string(),
            message: f.describe(),
            text: f.explain(),
        },
    }
}

/// The suites of the audit: one per rule, in profile order.
fn rule_suites(report: &AuditReport) -> Vec<Suite> {
    report
        .rules
        .iter()
        .map(|r| {
            let mut cases: Vec<Case> = report.findings_of(&r.rule).map(failed).collect();
            let failing: HashSet<_> = report.findings_of(&r.rule).map(|f| f.host).collect();
            cases.extend(r.hosts.iter().filter(|h| !failing.contains(h)).map(|h| Case {
                name: h.to_string(),
                outcome: Outcome::Passed,
            }));
            if r.hosts.is_empty() && cases.is_empty() {
                cases.push(Case {
                    name: "no host checked".to_string(),
                    outcome: Outcome::Skipped(
                        "no scanned target matched this rule, or every match was down and the rule says nothing about down hosts"
                            .to_string(),
                    ),
                });
            }
            Suite {
                name: r.rule.clone(),
                cases,
            }
        })
        .collect()
}

fn scan_suite(summary: &ScanSummary) -> Suite {
    Suite {
        name: SCAN_SUITE.to_string(),
        cases: vec![Case {
            name: "scan completed".to_string(),
            outcome: match &summary.interrupted {
                Some(reason) => Outcome::Error(format!("Scan interrupted: {reason}")),
                None => Outcome::Passed,
            },
        }],
    }
}

/// `2024-03-09T16:00:00` (JUnit's timestamp: ISO 8601, no zone; UTC here).
fn iso(t: SystemTime) -> String {
    let c = timefmt::civil(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// Control characters XML 1.0 cannot carry become U+FFFD.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 => '\u{FFFD}',
            c => c,
        })
        .collect()
}

fn tag(name: &str, attrs: &[(&str, String)]) -> BytesStart<'static> {
    let mut e = BytesStart::new(name.to_string());
    for (k, v) in attrs {
        e.push_attribute((*k, clean(v).replace(['\n', '\r', '\t'], " ").as_str()));
    }
    e
}

fn write_doc<W: Write>(
    w: &mut Writer<W>,
    suites: &[Suite],
    summary: &ScanSummary,
    start: Option<SystemTime>,
    args: &str,
) -> std::io::Result<()> {
    let nl = |w: &mut Writer<W>| w.write_event(Event::Text(BytesText::from_escaped("\n")));
    let time = format!("{:.3}", summary.elapsed.as_secs_f64());
    let total = |f: fn(&Suite) -> usize| suites.iter().map(f).sum::<usize>().to_string();
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    nl(w)?;
    w.write_event(Event::Start(tag(
        "testsuites",
        &[
            ("name", "scanfw audit".to_string()),
            ("tests", total(|s| s.cases.len())),
            ("failures", total(Suite::failures)),
            ("errors", total(Suite::errors)),
            ("skipped", total(Suite::skipped)),
            ("time", time.clone()),
        ],
    )))?;
    nl(w)?;
    let timestamp = iso(start.unwrap_or(summary.end));
    for s in suites {
        w.write_event(Event::Start(tag(
            "testsuite",
            &[
                ("name", s.name.clone()),
                ("tests", s.cases.len().to_string()),
                ("failures", s.failures().to_string()),
                ("errors", s.errors().to_string()),
                ("skipped", s.skipped().to_string()),
                ("time", time.clone()),
                ("timestamp", timestamp.clone()),
            ],
        )))?;
        nl(w)?;
        if s.name == SCAN_SUITE && !args.is_empty() {
            w.write_event(Event::Start(tag("properties", &[])))?;
            w.write_event(Event::Empty(tag(
                "property",
                &[("name", "args".to_string()), ("value", args.to_string())],
            )))?;
            w.write_event(Event::End(BytesEnd::new("properties")))?;
            nl(w)?;
        }
        for c in &s.cases {
            let head = tag(
                "testcase",
                &[("classname", s.name.clone()), ("name", c.name.clone())],
            );
            match &c.outcome {
                Outcome::Passed => w.write_event(Event::Empty(head))?,
                Outcome::Failed {
                    kind,
                    message,
                    text,
                } => {
                    w.write_event(Event::Start(head))?;
                    w.write_event(Event::Start(tag(
                        "failure",
                        &[("type", kind.clone()), ("message", message.clone())],
                    )))?;
                    w.write_event(Event::Text(BytesText::new(&clean(text))))?;
                    w.write_event(Event::End(BytesEnd::new("failure")))?;
                    w.write_event(Event::End(BytesEnd::new("testcase")))?;
                }
                Outcome::Skipped(why) => {
                    w.write_event(Event::Start(head))?;
                    w.write_event(Event::Empty(tag("skipped", &[("message", why.clone())])))?;
                    w.write_event(Event::End(BytesEnd::new("testcase")))?;
                }
                Outcome::Error(why) => {
                    w.write_event(Event::Start(head))?;
                    w.write_event(Event::Empty(tag(
                        "error",
                        &[
                            ("type", "interrupted".to_string()),
                            ("message", why.clone()),
                        ],
                    )))?;
                    w.write_event(Event::End(BytesEnd::new("testcase")))?;
                }
            }
            nl(w)?;
        }
        w.write_event(Event::End(BytesEnd::new("testsuite")))?;
        nl(w)?;
    }
    w.write_event(Event::End(BytesEnd::new("testsuites")))?;
    nl(w)
}

impl Reporter for JunitReporter {
    fn begin(&mut self, scan: &ScanStart) -> Result<(), ReportError> {
        self.sink.start()?;
        self.start = Some(scan.start);
        self.args = scan.args.join(" ");
        Ok(())
    }

    fn host(&mut self, _host: &HostResult) -> Result<(), ReportError> {
        self.sink.expect_open()
    }

    fn finish(&mut self, summary: &ScanSummary) -> Result<(), ReportError> {
        self.sink.close()?;
        let mut suites = summary.audit.as_ref().map(rule_suites).unwrap_or_default();
        suites.push(scan_suite(summary));
        write_doc(
            &mut Writer::new(self.sink.out()),
            &suites,
            summary,
            self.start,
            &self.args,
        )?;
        self.sink.flush()
    }
}

#[cfg(test)]
mod tests;
