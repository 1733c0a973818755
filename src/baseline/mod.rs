//! Baselines: what an earlier run found, and what changed since (`--baseline FILE`,
//! `scanfw diff OLD NEW`).
//!
//! A [`Snapshot`] is read from a scanfw JSON document, a scanfw XML document or an nmap XML
//! document ([`load`]); [`compare`] lists the changes between two as audit findings:
//! `new-open` (open now, not open before), `closed-since` (open before, not open now),
//! `new-host` (up now, not up before) and `gone-host` (up before, not up now). Hosts are
//! matched by address, never by name. Only ports both runs scanned are compared (a port the
//! later run did not probe says nothing), hosts whose result is incomplete in either run
//! (timed out, interrupted) are compared as hosts but not port by port, and service names
//! never count: only states.

mod compare;
mod load;
mod run;

#[allow(unused_imports)] // wired into the binary with --baseline and `scanfw diff`
pub use compare::compare;
#[allow(unused_imports)]
pub use load::{load, parse, LoadError};
pub use run::RunBaseline;

use scanfw_core::{PortState, Protocol};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// One host as a run saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapHost {
    /// The host answered.
    pub up: bool,
    /// Its result is incomplete (timed out or interrupted): its ports prove nothing.
    pub partial: bool,
    /// The ports listed with their state.
    pub ports: BTreeMap<(Protocol, u16), PortState>,
    /// The state of ports not listed (XML `<extraports>`): the most numerous one.
    pub unlisted: Option<PortState>,
}

impl SnapHost {
    /// The state of a port of this host (listed, or folded into `<extraports>`).
    pub fn state(&self, key: (Protocol, u16)) -> Option<PortState> {
        self.ports.get(&key).copied().or(self.unlisted)
    }
    /// Whether the port is open.
    pub fn is_open(&self, key: (Protocol, u16)) -> bool {
        self.ports.get(&key) == Some(&PortState::Open)
    }
}

/// What one run found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Where it was read from, for messages and finding rules.
    pub source: String,
    /// Hosts by address.
    pub hosts: BTreeMap<IpAddr, SnapHost>,
    /// Every (protocol, port) the run scanned.
    pub scanned: BTreeSet<(Protocol, u16)>,
}

#[cfg(test)]
mod tests;
