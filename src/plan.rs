//! Turns the merged configuration into an engine job: techniques from the registry, port sets
//! per technique, resolved targets. Everything here is validation of user input (exit 2).

use anyhow::{bail, Context, Result};
use scanfw_config::Config;
use scanfw_core::engine::{ScanJob, ScanUnit};
use scanfw_core::target::TargetSet;
use scanfw_core::{registry, services, PortSet, PortSpec, Protocol, ScanTypeInfo};
use std::net::IpAddr;
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

/// Options that shape the raw transport.
#[derive(Debug, Clone, Default)]
pub struct RawOptions {
    /// `--source-ip` entries as given.
    pub source_ip: Vec<String>,
    /// `--defeat-icmp-ratelimit`.
    pub defeat_icmp_ratelimit: bool,
}

/// Parses `--source-ip` entries (addresses or CIDR blocks, comma-separated) and checks that
/// each address belongs to this host.
pub fn source_addresses(entries: &[String]) -> Result<Vec<IpAddr>> {
    let mut out = Vec::new();
    for entry in entries
        .iter()
        .flat_map(|e| scanfw_core::target::split_list(e))
    {
        let addrs: Vec<IpAddr> = if let Ok(ip) = entry.parse::<IpAddr>() {
            vec![ip]
        } else if let Ok(net) = entry.parse::<ipnet::IpNet>() {
            let hosts: Vec<IpAddr> = net.hosts().take(257).collect();
            if hosts.len() > 256 {
                bail!("--source-ip {entry}: at most 256 source addresses");
            }
            hosts
        } else {
            bail!("--source-ip: `{entry}` is not an IP address or CIDR block");
        };
        for ip in addrs {
            // Binding fails unless the address is one of this host's.
            std::net::UdpSocket::bind((ip, 0))
                .with_context(|| format!("--source-ip {ip} is not an address of this host"))?;
            if !out.contains(&ip) {
                out.push(ip);
            }
        }
    }
    Ok(out)
}

/// How techniques that need raw sockets are handled.
#[derive(Debug, Clone, Copy)]
pub struct Privileges {
    /// Raw sockets can be opened (CAP_NET_RAW).
    pub raw: bool,
    /// Use a technique's unprivileged fallback instead of refusing.
    pub allow_fallback: bool,
    /// Options every technique is built with (`--scanflags`).
    pub options: scanfw_core::TechniqueOptions,
}

/// Builds the engine job, or explains which input is wrong. Returns notices for the user
/// (e.g. a fallback to connect).
pub fn build(
    config: &Config,
    seed: u64,
    privileges: Privileges,
    raw: &RawOptions,
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
        let built = (desc.constructor)(&privileges.options).map_err(anyhow::Error::msg)?;
        let technique: Arc<dyn scanfw_core::ScanTechnique> = Arc::from(built);
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
            sources: source_addresses(&raw.source_ip)?,
            defeat_icmp_ratelimit: raw.defeat_icmp_ratelimit,
        },
        infos,
        notices,
    ))
}
