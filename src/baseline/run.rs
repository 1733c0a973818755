//! `--baseline FILE` during a run: the finished hosts build the run's own [`Snapshot`], and at
//! the end it is compared with the baseline. Only baseline hosts that are targets of this run
//! are compared (a smaller scan does not make the rest "gone"), and after an interruption no
//! host is called gone (the scan may not have reached it).

use super::{compare, SnapHost, Snapshot};
use scanfw_core::audit::{Finding, FindingKind};
use scanfw_core::target::TargetSet;
use scanfw_core::{HostResult, ScanTypeInfo};
use std::collections::BTreeSet;
use std::net::IpAddr;

/// A baseline being compared with the run.
#[derive(Debug)]
pub struct RunBaseline {
    old: Snapshot,
    now: Snapshot,
}

impl RunBaseline {
    /// Compares `old` with the run scanning `targets` with `scans`.
    pub fn new(mut old: Snapshot, targets: &TargetSet, scans: &[ScanTypeInfo]) -> RunBaseline {
        old.hosts.retain(|addr, _| targets.contains(*addr));
        let mut now = Snapshot {
            source: "this run".to_string(),
            ..Snapshot::default()
        };
        for s in scans {
            now.scanned.extend(s.ports.iter().map(|p| (s.protocol, p)));
        }
        RunBaseline { old, now }
    }

    /// Where the baseline was read from.
    pub fn source(&self) -> &str {
        &self.old.source
    }

    /// A host is final. Down hosts are not kept (absent means not up).
    pub fn observe(&mut self, host: &HostResult) {
        if !host.status.up {
            return;
        }
        let snap = SnapHost {
            up: true,
            partial: host.timed_out || host.partial,
            ports: host
                .ports
                .iter()
                .map(|p| ((p.protocol, p.port), p.state))
                .collect(),
            unlisted: None,
        };
        self.now.hosts.insert(host.addr, snap);
    }

    /// The findings, and the hosts compared. `complete`: the scan was not interrupted.
    pub fn finish(self, complete: bool) -> (Vec<Finding>, Vec<IpAddr>) {
        let mut findings = compare(&self.old, &self.now);
        if !complete {
            findings.retain(|f| f.kind != FindingKind::GoneHost);
        }
        let hosts: BTreeSet<IpAddr> = self
            .old
            .hosts
            .keys()
            .chain(self.now.hosts.keys())
            .copied()
            .collect();
        (findings, hosts.into_iter().collect())
    }
}
