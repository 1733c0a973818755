//! The host-discovery plugin contract.
//!
//! Before ports are scanned, the engine finds which targets are up (nmap's "ping scan"). Each
//! discovery method (ICMP echo, TCP SYN to 443, ARP, ...) is a plugin, pure logic like a port
//! technique: it builds probes into buffers the engine gives it and recognises and classifies
//! the replies. The engine sends them with the same timing, retries and keyed cookies as port
//! probes, and names none of them.
//!
//! A discovery plugin speaks through [`Verdict`]s so that the raw and connect transports can
//! carry its replies unchanged: a verdict whose state is [`PortState::Open`] means **the host
//! is up** (its reason, e.g. `echo-reply` or `reset`, becomes the host's reason), and a
//! verdict whose state is [`PortState::Filtered`] means **the host was reported unreachable**
//! (e.g. a router's `host-unreach`). [`Verdict::host_up`] and [`Verdict::host_down`] build
//! them. Any other state is ignored.

use crate::state::{PortState, Reason, Verdict};
use crate::technique::{ConnectProbe, ProbeBuildError, RawProbe};
use std::fmt;
use std::net::IpAddr;

impl Verdict {
    /// A discovery reply saying the host is up.
    pub const fn host_up(reason: Reason, ttl: u8) -> Verdict {
        Verdict {
            state: PortState::Open,
            reason,
            reason_ttl: ttl,
        }
    }

    /// A discovery reply saying the host cannot be reached.
    pub const fn host_down(reason: Reason, ttl: u8) -> Verdict {
        Verdict {
            state: PortState::Filtered,
            reason,
            reason_ttl: ttl,
        }
    }
}

/// What a discovery verdict says about its host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostAnswer {
    /// The host answered: it is up.
    Up,
    /// Something reported the host unreachable.
    Down,
    /// Nothing about the host.
    Nothing,
}

impl HostAnswer {
    /// Reads a discovery verdict (see the module documentation).
    pub fn of(v: &Verdict) -> HostAnswer {
        match v.state {
            PortState::Open => HostAnswer::Up,
            PortState::Filtered => HostAnswer::Down,
            _ => HostAnswer::Nothing,
        }
    }
}

/// Addresses of one link-layer probe, chosen by the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkContext {
    /// Hardware address of the interface the frame leaves from.
    pub src_mac: [u8; 6],
    /// Our address on that interface (same family as `dst_ip`).
    pub src_ip: IpAddr,
    /// The neighbour asked for.
    pub dst_ip: IpAddr,
}

/// A frame a link-layer probe recognised as an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkMatch {
    /// The address the answer is about (the probed neighbour).
    pub target: IpAddr,
    /// Its hardware address.
    pub mac: [u8; 6],
    /// Our hardware address the answer was sent to (the engine checks it is ours).
    pub to_mac: [u8; 6],
    /// Host verdict (`arp-response`, `nd-response`).
    pub verdict: Verdict,
}

/// Builds link-layer (Ethernet) probes and recognises their answers: ARP for IPv4 and
/// Neighbor Discovery for IPv6 neighbours on the same link. Pure logic over bytes.
pub trait LinkProbe: Send + Sync {
    /// Whether it asks for IPv6 neighbours (true) or IPv4 ones.
    fn ipv6(&self) -> bool;
    /// Writes a whole Ethernet frame into `buf` and returns its length.
    fn build(&self, ctx: &LinkContext, buf: &mut [u8]) -> Result<usize, ProbeBuildError>;
    /// Recognises an answer in a received Ethernet frame; `None` for anything else. Must not
    /// panic on any input.
    fn classify(&self, frame: &[u8]) -> Option<LinkMatch>;
}

/// How a discovery plugin probes.
#[derive(Clone, Copy)]
pub enum DiscoveryMethod<'a> {
    /// Raw IP packets (ICMP echo, TCP SYN/ACK, UDP), verified by keyed cookies.
    Raw(&'a dyn RawProbe),
    /// The operating system's `connect()` (unprivileged discovery).
    Connect(&'a dyn ConnectProbe),
    /// Ethernet frames to neighbours on the link (ARP, Neighbor Discovery).
    Link(&'a dyn LinkProbe),
}

impl fmt::Debug for DiscoveryMethod<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DiscoveryMethod::Raw(_) => "Raw",
            DiscoveryMethod::Connect(_) => "Connect",
            DiscoveryMethod::Link(_) => "Link",
        })
    }
}

/// A host-discovery plugin.
///
/// Contract:
/// * pure and cheap, like [`ScanTechnique`](crate::ScanTechnique);
/// * `ports()` are the destination ports it probes (`-PS22,80`); methods without ports (ICMP,
///   ARP) return one entry, 0;
/// * its replies are [`Verdict`]s read by [`HostAnswer::of`].
pub trait DiscoveryTechnique: Send + Sync + fmt::Debug {
    /// Registry name (`icmp-echo`, `tcp-syn`, `arp`, ...).
    fn name(&self) -> &'static str;
    /// How probes are sent and replies classified.
    fn method(&self) -> DiscoveryMethod<'_>;
    /// Destination ports probed on every host (`[0]` for port-less methods).
    fn ports(&self) -> &[u16];
    /// Whether it can probe an IPv6 (`v6`) or IPv4 target (ICMP timestamp and address-mask
    /// requests exist only in IPv4, ARP only for IPv4 and Neighbor Discovery only for IPv6).
    fn supports(&self, v6: bool) -> bool {
        let _ = v6;
        true
    }
}
