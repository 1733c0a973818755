//! The changes between two snapshots, as audit findings.

use super::Snapshot;
use scanfw_core::audit::{Finding, FindingKind, Observed};
use scanfw_core::PortState;
use std::collections::BTreeSet;

/// The findings from `old` to `new` (see the [module docs](super)), sorted by host, then
/// port. Each finding's rule names the baseline: `baseline OLD`.
pub fn compare(old: &Snapshot, new: &Snapshot) -> Vec<Finding> {
    let rule = format!("baseline {}", old.source);
    let mut out = Vec::new();
    let both: BTreeSet<_> = old.scanned.intersection(&new.scanned).copied().collect();
    let addrs: BTreeSet<_> = old.hosts.keys().chain(new.hosts.keys()).copied().collect();
    for addr in addrs {
        let (o, n) = (old.hosts.get(&addr), new.hosts.get(&addr));
        let (was_up, is_up) = (o.is_some_and(|h| h.up), n.is_some_and(|h| h.up));
        let host_finding = |kind, state| Finding {
            kind,
            host: addr,
            protocol: None,
            port: None,
            state,
            rule: rule.clone(),
        };
        match (was_up, is_up) {
            (false, true) => out.push(host_finding(FindingKind::NewHost, Observed::Up)),
            (true, false) => out.push(host_finding(FindingKind::GoneHost, Observed::Down)),
            _ => {}
        }
        let (Some(o), Some(n)) = (o, n) else { continue };
        if !(was_up && is_up) || o.partial || n.partial {
            continue;
        }
        for &key in &both {
            let (was, is) = (o.is_open(key), n.is_open(key));
            if was == is {
                continue;
            }
            let now = n.state(key).unwrap_or(PortState::Closed);
            out.push(Finding {
                kind: if is {
                    FindingKind::NewOpen
                } else {
                    FindingKind::ClosedSince
                },
                host: addr,
                protocol: Some(key.0),
                port: Some(key.1),
                state: Observed::Port(now),
                rule: rule.clone(),
            });
        }
    }
    out
}
