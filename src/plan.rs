//! Turns the merged configuration into an engine job: techniques from the registry, port sets
//! per technique, resolved targets. Everything here is validation of user input (exit 2).

use anyhow::{bail, Context, Result};
use scanfw_config::Config;
use scanfw_core::engine::{ScanJob, ScanUnit};
use scanfw_core::target::TargetSet;
use scanfw_core::{registry, services, PortSet, PortSpec, Protocol, ScanTypeInfo};
use std::sync::Arc;

/// The ports one protocol scans under the configuration (`-p`, `--top-ports`,
/// `--exclude-ports`; top 1000 by default). With both `-p` and `--top-ports`, the N best-ranked
/// ports inside the `-p` set are chosen, as nmap does.
pub fn ports_for(config: &Config, proto: Protocol) -> Result<PortSet> {
    let mut set = match (&config.ports, config.top_ports) {
        (Some(spec), None) => spec.for_protocol(proto),
        (None, top) => PortSpec::top(proto, top.unwrap_or(1000))?,
        (Some(spec), Some(n)) => {
            let within = spec.for_protocol(proto);
            PortSpec::top(proto, n)?; // validates the range of N
            services::top_ports(proto)
                .iter()
                .copied()
                .filter(|p| within.contains(*p))
                .take(n)
                .collect()
        }
    };
    if let Some(ex) = &config.exclude_ports {
        set.subtract(&ex.for_protocol(proto));
    }
    Ok(set)
}

/// How techniques that need raw sockets are handled.
#[derive(Debug, Clone, Copy)]
pub struct Privileges {
    /// Raw sockets can be opened (CAP_NET_RAW).
    pub raw: bool,
    /// Use a technique's unprivileged fallback instead of refusing.
    pub allow_fallback: bool,
}

/// Builds the engine job, or explains which input is wrong. Returns notices for the user
/// (e.g. a fallback to connect).
pub fn build(
    config: &Config,
    seed: u64,
    privileges: Privileges,
) -> Result<(ScanJob, Vec<ScanTypeInfo>, Vec<String>)> {
    let mut units = Vec::new();
    let mut infos = Vec::new();
    let mut notices = Vec::new();
    for name in &config.techniques {
        let mut desc = registry::technique(name)?;
        if desc.needs_privilege && !privileges.raw {
            match desc.fallback {
                Some(fallback) if privileges.allow_fallback => {
                    notices.push(format!(
                        "the {} technique needs raw-socket privileges (root or CAP_NET_RAW); falling back to {fallback}",
                        desc.name
                    ));
                    desc = registry::technique(fallback)?;
                }
                _ => bail!(
                    "the {} technique needs raw-socket privileges: run as root or grant CAP_NET_RAW (setcap cap_net_raw+ep)",
                    desc.name
                ),
            }
        }
        if units
            .iter()
            .any(|u: &ScanUnit| u.technique.name() == desc.name)
        {
            bail!("technique `{}` was given twice", desc.name);
        }
        let technique: Arc<dyn scanfw_core::ScanTechnique> = Arc::from((desc.constructor)());
        let proto = technique.protocol();
        let ports = ports_for(config, proto)?;
        if ports.is_empty() {
            bail!(
                "no {proto} ports left to scan for technique `{}`: check -p (T:/U: qualifiers) and --exclude-ports",
                desc.name
            );
        }
        if units
            .iter()
            .any(|u: &ScanUnit| u.technique.protocol() == proto)
        {
            bail!(
                "two {proto} techniques in one scan (`{}` and another): pick one per protocol",
                desc.name
            );
        }
        infos.push(ScanTypeInfo {
            scan_type: technique.scan_type().to_string(),
            protocol: proto,
            ports: ports.clone(),
        });
        units.push(ScanUnit { technique, ports });
    }
    let targets = TargetSet::build(&config.targets, &config.excludes).context("targets")?;
    Ok((
        ScanJob {
            targets,
            units,
            timing: config.timing.clone(),
            seed,
        },
        infos,
        notices,
    ))
}
