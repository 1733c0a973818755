//! The scan engine: everything stateful or timed.
//!
//! The engine owns target order, pacing, the in-flight table, RTT estimation and timeouts,
//! retransmission, reply matching, deduplication and the transport. Techniques only classify;
//! reporters only receive [`EngineEvent`]s. The engine never prints and never names a technique:
//! it dispatches on [`ProbeMethod`](crate::technique::ProbeMethod) alone.

mod connect;
mod limits;
mod loss;
mod order;
mod ratelimit;
mod raw;
mod sched;
mod sockopt;

pub use limits::raise_fd_limit;
pub use raw::raw_available;

use crate::ports::PortSet;
use crate::result::HostResult;
use crate::target::TargetSet;
use crate::technique::{ProbeMethod, ScanTechnique};
use crate::timing::Timing;
use std::sync::Arc;
use thiserror::Error;
use tokio::sync::{mpsc, watch};

/// One technique and the ports it scans on every host.
#[derive(Debug, Clone)]
pub struct ScanUnit {
    /// The technique.
    pub technique: Arc<dyn ScanTechnique>,
    /// Its ports.
    pub ports: PortSet,
}

/// Everything the engine needs for one scan; immutable while it runs.
#[derive(Debug, Clone)]
pub struct ScanJob {
    /// Hosts.
    pub targets: TargetSet,
    /// Techniques with their ports.
    pub units: Vec<ScanUnit>,
    /// Timing.
    pub timing: Timing,
    /// Seed of the keyed probe order (`--seed`); the same seed gives the same order.
    pub seed: u64,
    /// Source addresses to send raw probes from (`--source-ip`); empty: the routing table's.
    /// Targets that rate-limit ICMP give each source address its own budget.
    pub sources: Vec<std::net::IpAddr>,
    /// Do not pace to ICMP rate limits; report silence as `closed|filtered` where it would be
    /// `open|filtered` (nmap's `--defeat-icmp-ratelimit`).
    pub defeat_icmp_ratelimit: bool,
}

/// What the engine tells the outside world while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineEvent {
    /// A host is final (or partial, when the scan was stopped).
    HostDone(HostResult),
    /// Progress: ports decided so far and in all, when known.
    Progress {
        /// Ports decided.
        done: u64,
        /// Ports in the whole scan, if the host count is known.
        total: Option<u64>,
    },
    /// Something the user should know that is not an error (e.g. local resource limits hit).
    Notice(String),
}

/// Totals of a finished engine run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EngineStats {
    /// Hosts started.
    pub hosts: u64,
    /// Probes sent, retransmissions included.
    pub probes_sent: u64,
    /// Retransmissions.
    pub retransmissions: u64,
    /// The scan was stopped before the end.
    pub interrupted: bool,
}

/// Why the engine could not run.
#[derive(Debug, Error)]
pub enum EngineError {
    /// No technique was given.
    #[error("no technique to run")]
    NoTechnique,
    /// Connect and raw techniques in one scan.
    #[error(
        "connect() and raw-packet techniques cannot be mixed in one scan: run them separately"
    )]
    MixedMethods,
    /// The connect transport failed.
    #[error("connect transport: {0}")]
    Transport(String),
    /// The raw transport failed.
    #[error("raw sockets: {0} (raw techniques need root or CAP_NET_RAW)")]
    Raw(String),
}

/// Runs a scan to the end, or until `stop` turns true. Events go to `events`; a closed receiver
/// is not an error (the scan just runs silently).
pub async fn run(
    job: &ScanJob,
    events: &mpsc::UnboundedSender<EngineEvent>,
    stop: watch::Receiver<bool>,
) -> Result<EngineStats, EngineError> {
    if job.units.is_empty() {
        return Err(EngineError::NoTechnique);
    }
    let raw = job
        .units
        .iter()
        .filter(|u| matches!(u.technique.probe(), ProbeMethod::Raw(_)))
        .count();
    match raw {
        0 => connect::run(job, events, stop).await,
        n if n == job.units.len() => raw::run(job, events, stop).await,
        _ => Err(EngineError::MixedMethods),
    }
}
