//! Turns the merged configuration into an engine job: techniques from the registry, port sets
//! per technique, resolved targets. Everything here is validation of user input (exit 2).

use anyhow::{bail, Context, Result};
use scanfw_config::Config;
use scanfw_core::engine::{Discovery, ScanJob, ScanUnit};
use scanfw_core::scope::{Outside, Scope};
use scanfw_core::target::TargetSet;
use scanfw_core::{
    registry, services, DiscoveryDescriptor, DiscoveryTechnique, PortSet, PortSpec, Protocol,
    ScanTypeInfo,
};
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
            if ip.is_unspecified() {
                bail!(
                    "--source-ip {ip} is the unspecified address, not a source: give an address of this host, or leave --source-ip out"
                );
            }
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

/// Targets looked at by [`check_addresses`] (a bound for huge target sets; what lies beyond
/// still fails to send, which the run reports).
const CHECKED_TARGETS: usize = 1 << 16;

/// Refuses what cannot work before anything is sent: a loopback `--source-ip` for a target
/// that is not loopback (its packets never leave this host), and an IPv4-mapped IPv6 target
/// (`::ffff:a.b.c.d`) for raw packets (no IPv6 packet reaches an IPv4 host).
fn check_addresses(targets: &TargetSet, sources: &[IpAddr], raw: bool) -> Result<()> {
    for t in targets.iter().take(CHECKED_TARGETS) {
        if let IpAddr::V6(v6) = t.addr {
            if let (true, Some(v4)) = (raw, v6.to_ipv4_mapped()) {
                bail!(
                    "target {v6} is an IPv4-mapped IPv6 address, which raw-packet techniques cannot send to: use the IPv4 address {v4}"
                );
            }
        }
        if t.addr.is_loopback() {
            continue;
        }
        if let Some(src) = sources
            .iter()
            .find(|s| s.is_loopback() && s.is_ipv4() == t.addr.is_ipv4())
        {
            bail!(
                "--source-ip {src} is a loopback address and target {} is not: packets from it never leave this host; give an address of the interface toward the target",
                t.addr
            );
        }
    }
    Ok(())
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
    let techniques: &[String] = if config.discovery.only {
        &[]
    } else {
        &config.techniques
    };
    for name in techniques {
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
    check_scopes(&targets, &config.scopes)?;
    let connect_scan = units.iter().any(|u| {
        matches!(
            u.technique.probe(),
            scanfw_core::technique::ProbeMethod::Connect(_)
        )
    });
    let raw_scan = units.iter().any(|u| {
        matches!(
            u.technique.probe(),
            scanfw_core::technique::ProbeMethod::Raw(_)
        )
    });
    let discovery = discovery(config, privileges.raw, connect_scan, raw_scan)?;
    let sources = source_addresses(&raw.source_ip)?;
    let raw_transport = raw_scan
        || discovery.methods.iter().any(|m| {
            !matches!(
                m.method(),
                scanfw_core::discovery::DiscoveryMethod::Connect(_)
            )
        });
    check_addresses(&targets, &sources, raw_transport)?;
    Ok((
        ScanJob {
            targets,
            units,
            discovery,
            timing: config.timing.clone(),
            seed,
            sources,
            defeat_icmp_ratelimit: raw.defeat_icmp_ratelimit,
            after_open: None,
            resume: Vec::new(),
        },
        infos,
        notices,
    ))
}

/// Refuses the scan when a target (exclusions removed) lies outside a scope: one line naming
/// the first such target and the scope. Nothing has been sent yet.
fn check_scopes(targets: &TargetSet, scopes: &[scanfw_config::ScopeSpec]) -> Result<()> {
    for spec in scopes {
        let scope = Scope::build(&spec.allow, &spec.deny)
            .with_context(|| format!("scope {}", spec.origin))?;
        if let Some((t, why)) = scope.first_outside(targets) {
            let who = match &t.hostname {
                Some(name) => format!("{name} ({})", t.addr),
                None => t.addr.to_string(),
            };
            let what = match why {
                Outside::NotAllowed => "is outside the scope",
                Outside::Denied => "is denied by the scope",
            };
            bail!(
                "target {who} {what} {}: nothing was sent; remove or --exclude it, or fix the scope",
                spec.describe()
            );
        }
    }
    Ok(())
}

/// Names of the default discovery methods, as nmap's: privileged, ICMP echo, TCP SYN to 443,
/// TCP ACK to 80 and ICMP timestamp (the last IPv4 only), with ARP / Neighbor Discovery for
/// on-link targets; unprivileged, connect() to 80 and 443.
const DEFAULT_RAW: &[&str] = &["icmp-echo", "tcp-syn:443", "tcp-ack:80", "icmp-timestamp"];
const DEFAULT_CONNECT: &[&str] = &["tcp-connect"];
/// The link-level methods' nmap letter.
const LINK_LETTER: char = 'R';

/// One discovery method as given: a registered name or an nmap letter, with optional ports.
fn discovery_methods(entry: &str) -> Result<(Vec<&'static DiscoveryDescriptor>, Vec<u16>)> {
    let (name, ports) = match entry.split_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (entry, None),
    };
    let descs: Vec<&'static DiscoveryDescriptor> = if name.chars().count() == 1 {
        let letter = name.chars().next().unwrap_or('?');
        let all: Vec<_> = registry::discovery()?
            .into_iter()
            .filter(|d| d.nmap_letter == Some(letter))
            .collect();
        if all.is_empty() {
            bail!("no discovery method answers to -P{letter} (see scanfw --list-discovery)");
        }
        all
    } else {
        vec![registry::discovery_method(name)?]
    };
    let ports = match ports {
        None => Vec::new(),
        Some(list) => {
            let set = PortSpec::parse(list)
                .with_context(|| format!("discovery method `{entry}`"))?
                .for_protocol(Protocol::Tcp);
            set.iter().collect()
        }
    };
    Ok((descs, ports))
}

/// The host-discovery part of the job. Raw methods need raw sockets; the engine runs one
/// transport per scan, so a connect() port scan gets connect() discovery.
pub fn discovery(
    config: &Config,
    raw: bool,
    connect_scan: bool,
    raw_scan: bool,
) -> Result<Discovery> {
    let d = &config.discovery;
    let local = scanfw_core::engine::local_addresses();
    let privileged = raw && !connect_scan;
    let link = |out: &mut Vec<Arc<dyn DiscoveryTechnique>>| -> Result<()> {
        if privileged && d.arp {
            for desc in registry::discovery()?
                .into_iter()
                .filter(|x| x.nmap_letter == Some(LINK_LETTER))
            {
                out.push(Arc::from(
                    (desc.constructor)(&[]).map_err(anyhow::Error::msg)?,
                ));
            }
        }
        Ok(())
    };
    let mut methods: Vec<Arc<dyn DiscoveryTechnique>> = Vec::new();
    if d.skip {
        link(&mut methods)?;
        return Ok(Discovery {
            methods,
            assume_up: true,
            local,
        });
    }
    let given: Vec<String> = match &d.methods {
        Some(list) => list.clone(),
        None if privileged => DEFAULT_RAW.iter().map(|s| s.to_string()).collect(),
        None => DEFAULT_CONNECT.iter().map(|s| s.to_string()).collect(),
    };
    let mut names = Vec::new();
    for entry in &given {
        let (descs, ports) = discovery_methods(entry)?;
        for desc in descs {
            if desc.needs_privilege && !raw {
                bail!(
                    "discovery method {} needs raw-socket privileges: run as root, use -Pn, or leave the default (connect() to 80 and 443)",
                    desc.name
                );
            }
            if desc.needs_privilege && connect_scan {
                bail!(
                    "discovery method {} sends raw packets and cannot run with a connect() scan (-sT): use -sS, or -Pn",
                    desc.name
                );
            }
            if !desc.needs_privilege && raw_scan {
                bail!(
                    "discovery method {} uses connect() and cannot run with a raw-packet scan: use -sT, or raw methods such as -PS",
                    desc.name
                );
            }
            if names.contains(&desc.name) {
                continue;
            }
            names.push(desc.name);
            let built = (desc.constructor)(&ports)
                .map_err(|e| anyhow::anyhow!("discovery method {}: {e}", desc.name))?;
            methods.push(Arc::from(built));
        }
    }
    if d.methods.is_none() {
        link(&mut methods)?;
    }
    Ok(Discovery {
        methods,
        assume_up: false,
        local,
    })
}
