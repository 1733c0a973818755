//! The reporter plugin contract.
//!
//! Reporters are pushed events in this order: [`Reporter::begin`] once, [`Reporter::host`] for
//! each host as soon as it is final (in scan order), then [`Reporter::finish`] once. `finish` is
//! called even when the scan is interrupted, so every reporter can close its document: the
//! output must then be valid and hold everything finished so far. Reporters write to the
//! `Write` they were constructed with and never touch the network or the engine.

use crate::ports::{PortSet, Protocol};
use crate::result::{HostResult, ScanSummary};
use std::time::SystemTime;
use thiserror::Error;

/// One technique's part of a scan, as nmap's `<scaninfo>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanTypeInfo {
    /// nmap scan type (`connect`, `syn`, `udp`, ...).
    pub scan_type: String,
    /// Protocol scanned.
    pub protocol: Protocol,
    /// Ports scanned.
    pub ports: PortSet,
}

/// What a reporter learns when the scan begins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanStart {
    /// The command line, program name first.
    pub args: Vec<String>,
    /// When the scan started.
    pub start: SystemTime,
    /// One entry per technique.
    pub scans: Vec<ScanTypeInfo>,
    /// Number of hosts to scan, if known.
    pub hosts_planned: Option<u64>,
    /// The scopes every target was checked against, each as `file:line (allow ...; deny ...)`
    /// (empty: no scope was given).
    pub scopes: Vec<String>,
}

/// Presentation options shared by every reporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportOptions {
    /// Show only ports that are open (`open`, `open|filtered`), as nmap's `--open`.
    pub open_only: bool,
    /// Show the reason column in human-readable output, as nmap's `--reason`.
    pub reason: bool,
}

/// A reporter failed to write.
#[derive(Debug, Error)]
pub enum ReportError {
    /// The underlying writer failed.
    #[error("cannot write report: {0}")]
    Io(#[from] std::io::Error),
    /// The format could not be produced.
    #[error("cannot format report: {0}")]
    Format(String),
}

/// A reporter: receives scan events and writes one output format.
pub trait Reporter: Send {
    /// The scan begins.
    fn begin(&mut self, scan: &ScanStart) -> Result<(), ReportError>;
    /// A host is final (or, when interrupted, as complete as it will get).
    fn host(&mut self, host: &HostResult) -> Result<(), ReportError>;
    /// The scan ended (normally or not); close the document and flush. When the profile has
    /// `[[expect]]` rules, `summary.audit` holds the verdict and its findings, which every
    /// reporter must render (docs/output-formats.md); `None` means no audit, and nothing about
    /// it is written.
    fn finish(&mut self, summary: &ScanSummary) -> Result<(), ReportError>;
}
