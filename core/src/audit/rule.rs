//! One `[[expect]]` rule, already checked by the profile loader.

use crate::ports::PortSpec;
use ipnet::IpNet;
use std::fmt;
use std::net::IpAddr;
use thiserror::Error;

/// A group member or a rule's `hosts`: an IP address or a CIDR block. Host names and octet
/// ranges are not accepted: a rule must name exactly the addresses it judges, without a
/// lookup that could answer differently from one run to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostPattern(IpNet);

/// Why a host pattern was refused.
#[derive(Debug, Error, PartialEq, Eq)]
#[error(
    "`{0}` is not an IP address or CIDR block (host names and octet ranges cannot be used here)"
)]
pub struct HostPatternError(pub String);

impl HostPattern {
    /// Parses `198.18.0.2`, `198.18.0.8/29`, `fd00::2` or `fd00::/64` (host bits in a block
    /// are ignored, as in nmap: `198.18.0.9/29` is 198.18.0.8-15).
    pub fn parse(text: &str) -> Result<HostPattern, HostPatternError> {
        let t = text.trim();
        if let Ok(ip) = t.parse::<IpAddr>() {
            return Ok(HostPattern(IpNet::from(ip)));
        }
        t.parse::<IpNet>()
            .map(|n| HostPattern(n.trunc()))
            .map_err(|_| HostPatternError(text.to_string()))
    }

    /// Whether `addr` is this address or inside this block.
    pub fn contains(&self, addr: IpAddr) -> bool {
        self.0.contains(&addr)
    }
}

impl fmt::Display for HostPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.prefix_len() == self.0.max_prefix_len() {
            write!(f, "{}", self.0.addr())
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// One rule: the hosts it applies to and what it expects of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectRule {
    /// `expect[N] HOSTS`: N counts the profile's `[[expect]]` sections from 1, HOSTS is the
    /// `hosts` value as written (a group name, an address or a block). Findings name it.
    pub name: String,
    /// Where the rule is written (`file:line:column` of its section), for messages about it
    /// after the profile was read.
    pub origin: String,
    /// The addresses the rule applies to (a group's members, or the one address or block).
    pub hosts: Vec<HostPattern>,
    /// Ports that must be open. Ports without a `T:`/`U:` qualifier apply to every protocol
    /// the scan covers, as in a port list.
    pub open: Option<PortSpec>,
    /// Ports that may be open. When `open` or `allowed` is given, every other scanned port
    /// must not be open.
    pub allowed: Option<PortSpec>,
    /// `Some(true)`: the host must answer; `Some(false)`: it must not.
    pub up: Option<bool>,
}

impl ExpectRule {
    /// Whether the rule applies to `addr`.
    pub fn matches(&self, addr: IpAddr) -> bool {
        self.hosts.iter().any(|h| h.contains(addr))
    }

    /// Whether the rule judges ports (it gives `open` or `allowed`).
    pub fn checks_ports(&self) -> bool {
        self.open.is_some() || self.allowed.is_some()
    }

    /// Whether the host must answer: `up` as given; otherwise a rule with ports that must be
    /// open needs the host up (a down host has no open port, which must not pass unseen).
    pub fn must_be_up(&self) -> Option<bool> {
        self.up
            .or_else(|| self.open.as_ref().filter(|o| !o.is_empty()).map(|_| true))
    }
}
