//! Results the engine produces and reporters consume.

use crate::audit::AuditReport;
use crate::ports::Protocol;
use crate::state::{PortState, Reason};
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

/// The final state of one port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortResult {
    /// Transport protocol.
    pub protocol: Protocol,
    /// Port number.
    pub port: u16,
    /// nmap state.
    pub state: PortState,
    /// nmap reason.
    pub reason: Reason,
    /// TTL of the reply that decided the state (0 without a packet).
    pub reason_ttl: u8,
}

/// Where a host name came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostnameKind {
    /// The user typed it as a target.
    User,
    /// A reverse (PTR) lookup.
    Ptr,
}

impl HostnameKind {
    /// nmap's name (`user`, `PTR`).
    pub fn as_str(self) -> &'static str {
        match self {
            HostnameKind::User => "user",
            HostnameKind::Ptr => "PTR",
        }
    }
}

/// A host name and its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hostname {
    /// The name.
    pub name: String,
    /// Its origin.
    pub kind: HostnameKind,
}

/// Whether a host is considered up, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostStatus {
    /// Up or down.
    pub up: bool,
    /// nmap reason (`user-set` when no host discovery was done, as with nmap's `-Pn`).
    pub reason: Reason,
    /// TTL of the reply that decided it.
    pub reason_ttl: u8,
}

/// Round-trip statistics of one host, as nmap's `<times>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RttTimes {
    /// Smoothed RTT.
    pub srtt: Duration,
    /// RTT variance.
    pub rttvar: Duration,
    /// Probe timeout in force at the end.
    pub timeout: Duration,
}

/// Everything known about one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostResult {
    /// The scanned address.
    pub addr: IpAddr,
    /// Names of the host.
    pub hostnames: Vec<Hostname>,
    /// Up or down.
    pub status: HostStatus,
    /// Hardware address, when the host was found on a directly attached network (ARP/ND).
    pub mac: Option<[u8; 6]>,
    /// One entry per scanned port, sorted by protocol then port.
    pub ports: Vec<PortResult>,
    /// When scanning this host started.
    pub start: SystemTime,
    /// When it ended.
    pub end: SystemTime,
    /// The host hit `--host-timeout`: its ports are not reported.
    pub timed_out: bool,
    /// The scan was interrupted before this host was finished: `ports` are the ones decided so far.
    pub partial: bool,
    /// RTT statistics, if any reply was timed.
    pub times: Option<RttTimes>,
}

impl HostResult {
    /// Ports of `proto`.
    pub fn ports_of(&self, proto: Protocol) -> impl Iterator<Item = &PortResult> {
        self.ports.iter().filter(move |p| p.protocol == proto)
    }
}

/// Totals for the end of a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanSummary {
    /// When the scan ended.
    pub end: SystemTime,
    /// Wall time from start to end.
    pub elapsed: Duration,
    /// Hosts scanned (or started, if interrupted).
    pub hosts_total: u64,
    /// Hosts up.
    pub hosts_up: u64,
    /// Hosts down.
    pub hosts_down: u64,
    /// Set when the scan stopped early; the text says why.
    pub interrupted: Option<String>,
    /// Probes sent, retransmissions included.
    pub probes_sent: u64,
    /// Retransmissions.
    pub retransmissions: u64,
    /// Replies by how they proved which probe they answer.
    pub replies: ReplyCounts,
    /// The verdict against the profile's `[[expect]]` rules; `None` when there are none.
    pub audit: Option<AuditReport>,
}

/// Replies that named one of our probes, by how they proved it (docs/architecture.md,
/// "What proves a reply").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReplyCounts {
    /// Proven by keyed bits the reply echoes (a cookie, a protocol field, a quoted header).
    pub verified: u64,
    /// Believed on the keyed local port alone: the reply carries nothing more to check (a UDP
    /// reply to an empty probe).
    pub unverified: u64,
    /// Arrived at a keyed port of the flow it names but failed the rest of its proof: forged,
    /// stale, or rewritten on the way; ignored.
    pub rejected: u64,
    /// Challenges sent to packets that had to prove themselves (split-handshake SYNs).
    pub challenges: u64,
}
