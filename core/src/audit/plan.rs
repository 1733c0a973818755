//! Claims the planned scan cannot judge are refused before anything is sent.
//!
//! A port that must be open but is not scanned, or an `up` claim when discovery is skipped
//! (every host then counts as up), would otherwise end in a verdict the scan never proved.
//! The run refuses them with exit 2, naming the rule, so the profile or the command line can
//! be fixed.

use super::ExpectRule;
use crate::ports::{PortSet, Protocol};
use crate::reporter::ScanTypeInfo;
use thiserror::Error;

/// A rule the planned scan cannot judge.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum AuditPlanError {
    /// Ports in `open` that the scan does not probe.
    #[error("{origin}: {rule}: `open` lists {protocol} ports this scan does not probe: {ports} (it probes {scanned}); add them to the scanned ports (`ports`, -p) or drop them from `open`")]
    NotScanned {
        /// Where the rule is.
        origin: String,
        /// The rule's name.
        rule: String,
        /// The protocol of the missing ports.
        protocol: Protocol,
        /// The missing ports, as ranges.
        ports: String,
        /// What the scan covers for that protocol.
        scanned: String,
    },
    /// A rule judges ports, and the scan scans none (`-sn`).
    #[error("{origin}: {rule}: the rule judges ports (`open`/`allowed`), but this scan probes none (host discovery only, -sn)")]
    NoPortScan {
        /// Where the rule is.
        origin: String,
        /// The rule's name.
        rule: String,
    },
    /// `up` given while host discovery is skipped.
    #[error("{origin}: {rule}: `up` cannot be checked when host discovery is skipped (-Pn, discovery.skip): every host counts as up")]
    UpWithoutDiscovery {
        /// Where the rule is.
        origin: String,
        /// The rule's name.
        rule: String,
    },
}

/// Checks that the scan described by `scans` (one entry per port-scan technique; empty for
/// `-sn`) can judge every claim of `rules`; `discovery_skipped` is `-Pn`.
pub fn check_plan(
    rules: &[ExpectRule],
    scans: &[ScanTypeInfo],
    discovery_skipped: bool,
) -> Result<(), AuditPlanError> {
    let scanned = |proto: Protocol| scans.iter().find(|s| s.protocol == proto).map(|s| &s.ports);
    for rule in rules {
        let named = || (rule.origin.clone(), rule.name.clone());
        if discovery_skipped && rule.up.is_some() {
            let (origin, rule) = named();
            return Err(AuditPlanError::UpWithoutDiscovery { origin, rule });
        }
        if rule.checks_ports() && scans.is_empty() {
            let (origin, rule) = named();
            return Err(AuditPlanError::NoPortScan { origin, rule });
        }
        let Some(open) = &rule.open else { continue };
        for proto in [Protocol::Tcp, Protocol::Udp] {
            let mut wanted = match proto {
                Protocol::Tcp => open.tcp.clone(),
                Protocol::Udp => open.udp.clone(),
            };
            // Unqualified ports apply to the protocols the scan covers.
            if scanned(proto).is_some() {
                wanted.union_with(&open.any);
            }
            let mut missing: PortSet = wanted;
            let covered = scanned(proto);
            if let Some(covered) = covered {
                missing.subtract(covered);
            }
            if !missing.is_empty() {
                let (origin, rule) = named();
                return Err(AuditPlanError::NotScanned {
                    origin,
                    rule,
                    protocol: proto,
                    ports: short_ranges(&missing),
                    scanned: match covered {
                        Some(set) => format!("{proto} {}", short_ranges(set)),
                        None => format!("no {proto} ports"),
                    },
                });
            }
        }
    }
    Ok(())
}

/// A port set as ranges, cut after about 60 characters (then ending `, ... (N ports)`).
fn short_ranges(set: &PortSet) -> String {
    let ranges = set.to_ranges();
    if ranges.len() <= 60 {
        return ranges;
    }
    let cut = ranges[..60].rfind(',').unwrap_or(0);
    format!("{}, ... ({} ports)", &ranges[..cut], set.len())
}
