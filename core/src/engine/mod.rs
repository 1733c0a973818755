//! The scan engine: everything stateful or timed.
//!
//! The engine owns target order, pacing, the in-flight table, RTT estimation and timeouts,
//! retransmission, reply matching, deduplication and the transport. Techniques only classify;
//! reporters only receive [`EngineEvent`]s. The engine never prints and never names a technique:
//! it dispatches on [`ProbeMethod`](crate::technique::ProbeMethod) alone.

mod connect;
mod limits;
pub mod link;
mod loss;
mod order;
mod ratelimit;
mod raw;
mod sched;
mod sockopt;
mod units;

pub use limits::raise_fd_limit;

/// This host's own addresses (every interface), for targets that answer at once
/// (`localhost-response`).
pub fn local_addresses() -> Vec<std::net::IpAddr> {
    pnet_datalink::interfaces()
        .iter()
        .flat_map(|i| i.ips.iter().map(|n| n.ip()))
        .collect()
}
pub use crate::result::ReplyCounts;
pub use raw::raw_available;

use crate::discovery::{DiscoveryMethod, DiscoveryTechnique};
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

/// How hosts are found up before their ports are scanned.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// Discovery plugins: IP-level ones (ICMP echo, TCP SYN/ACK, UDP, connect) probe every
    /// target; link-level ones (ARP, Neighbor Discovery) are used instead of them for targets on
    /// a directly attached Ethernet network, as nmap does.
    pub methods: Vec<Arc<dyn DiscoveryTechnique>>,
    /// Every target counts as up (`-Pn`, reason `user-set`); link-level methods still run for
    /// on-link targets to learn their hardware address.
    pub assume_up: bool,
    /// This host's own addresses: such targets are up at once (`localhost-response`).
    pub local: Vec<std::net::IpAddr>,
}

impl Discovery {
    /// No discovery at all: every host is up (`user-set`), as `-Pn` with no link methods.
    pub fn none() -> Discovery {
        Discovery {
            assume_up: true,
            ..Discovery::default()
        }
    }
}

/// Everything the engine needs for one scan; immutable while it runs.
#[derive(Debug, Clone)]
pub struct ScanJob {
    /// Hosts.
    pub targets: TargetSet,
    /// Techniques with their ports; empty for a discovery-only scan (`-sn`).
    pub units: Vec<ScanUnit>,
    /// Host discovery.
    pub discovery: Discovery,
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
    /// Called once, on the engine's thread, when every socket and channel the scan needs is
    /// open and before the first probe is sent (the binary drops its privileges here). An error
    /// stops the scan with [`EngineError::AfterOpen`] before anything is sent.
    pub after_open: Option<AfterOpen>,
    /// Hosts a resumed scan had begun (`partial` results of an earlier run), sorted by
    /// address: they are up, and their decided ports are kept and not probed again.
    pub resume: Vec<crate::result::HostResult>,
}

/// The [`ScanJob::after_open`] hook.
#[derive(Clone)]
pub struct AfterOpen(pub Arc<dyn Fn() -> Result<(), String> + Send + Sync>);

impl std::fmt::Debug for AfterOpen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AfterOpen(..)")
    }
}

impl ScanJob {
    /// Runs the [`after_open`](ScanJob::after_open) hook, if any.
    pub(crate) fn opened(&self) -> Result<(), EngineError> {
        match &self.after_open {
            Some(hook) => (hook.0)().map_err(EngineError::AfterOpen),
            None => Ok(()),
        }
    }
}

/// What the engine tells the outside world while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineEvent {
    /// A host is final (or partial, when the scan was stopped); down hosts too.
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
    /// Hosts found up.
    pub hosts_up: u64,
    /// Probes sent, retransmissions included.
    pub probes_sent: u64,
    /// Retransmissions.
    pub retransmissions: u64,
    /// Probes that could not be sent at all (no route, no socket, a send error other than a
    /// full queue); they are counted in `probes_sent` too and end as unanswered.
    pub probes_failed: u64,
    /// Replies by how they proved which probe they answer (raw transport only).
    pub replies: ReplyCounts,
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
    /// The [`ScanJob::after_open`] hook failed; nothing was sent.
    #[error("{0}")]
    AfterOpen(String),
}

/// Runs a scan to the end, or until `stop` turns true. Events go to `events`; a closed receiver
/// is not an error (the scan just runs silently).
pub async fn run(
    job: &ScanJob,
    events: &mpsc::UnboundedSender<EngineEvent>,
    stop: watch::Receiver<bool>,
) -> Result<EngineStats, EngineError> {
    if job.units.is_empty() && job.discovery.methods.is_empty() && job.discovery.assume_up {
        return Err(EngineError::NoTechnique);
    }
    let mut raw = 0;
    let mut connect = 0;
    for u in &job.units {
        match u.technique.probe() {
            ProbeMethod::Raw(_) => raw += 1,
            ProbeMethod::Connect(_) => connect += 1,
        }
    }
    for d in &job.discovery.methods {
        match d.method() {
            DiscoveryMethod::Raw(_) | DiscoveryMethod::Link(_) => raw += 1,
            DiscoveryMethod::Connect(_) => connect += 1,
        }
    }
    match (raw, connect) {
        (0, _) => connect::run(job, events, stop).await,
        (_, 0) => raw::run(job, events, stop).await,
        _ => Err(EngineError::MixedMethods),
    }
}
