//! From a merged [`Layer`] to the final [`Config`].

use crate::error::ConfigError;
use crate::layer::{Layer, ResolveMode};
use crate::output::{check_outputs, OutputSpec};
use scanfw_core::reporter::ReportOptions;
use scanfw_core::target::read_target_file;
use scanfw_core::timing::Timing;
use scanfw_core::PortSpec;

/// The final, checked configuration of a scan.
#[derive(Debug, Clone)]
pub struct Config {
    /// Targets as given (not yet resolved), target files' entries appended.
    pub targets: Vec<String>,
    /// Exclusions as given, exclusion files' entries appended.
    pub excludes: Vec<String>,
    /// Ports to scan, if given.
    pub ports: Option<PortSpec>,
    /// Scan the N most common ports, if given.
    pub top_ports: Option<usize>,
    /// Ports never to scan, if given.
    pub exclude_ports: Option<PortSpec>,
    /// Technique names, at least one.
    pub techniques: Vec<String>,
    /// Timing: the template's values with explicit values applied, validated.
    pub timing: Timing,
    /// Outputs, at least one; at most one to standard output, no file twice.
    pub outputs: Vec<OutputSpec>,
    /// Presentation options for every reporter.
    pub report: ReportOptions,
    /// Host discovery.
    pub discovery: DiscoveryConfig,
    /// Reverse DNS.
    pub resolve: ResolveMode,
    /// DNS servers for reverse lookups as given (empty: the system's).
    pub dns_servers: Vec<String>,
    /// Scopes every target must lie in (empty: no scope).
    pub scopes: Vec<crate::ScopeSpec>,
    /// An earlier report (scanfw JSON or XML, nmap XML) to compare the run with.
    pub baseline: Option<std::path::PathBuf>,
    /// The state file that keeps the scan's progress (`--state`), if any.
    pub state: Option<std::path::PathBuf>,
    /// Audit rules (`[[expect]]`), in profile order; empty: no audit.
    pub expect: Vec<scanfw_core::audit::ExpectRule>,
    /// Seed of the keyed probe order; `None`: a new random one per run.
    pub seed: Option<u64>,
    /// Source addresses for raw probes as given (addresses or CIDR blocks; empty: the
    /// routing table's choice). Checked against this host's addresses when the scan is planned.
    pub source_ip: Vec<String>,
    /// Custom TCP flags for raw TCP probes (`None`: each technique's own).
    pub scanflags: Option<u8>,
    /// No ICMP rate-limit pacing; silent UDP ports are reported `closed|filtered`.
    pub defeat_icmp_ratelimit: bool,
    /// Fall back to an unprivileged technique when raw sockets are unavailable.
    pub fallback: bool,
    /// Whether raw sockets are assumed or probed for.
    pub privileges: crate::PrivilegeMode,
}

/// How hosts are found up.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DiscoveryConfig {
    /// Every target is up (`-Pn`).
    pub skip: bool,
    /// Discovery only (`-sn`): no port scan.
    pub only: bool,
    /// Methods as given (`name` or `name:ports`); `None`: the default set.
    pub methods: Option<Vec<String>>,
    /// ARP / Neighbor Discovery for on-link targets.
    pub arp: bool,
}

/// Resolves a merged layer (normally `cli.over(profile.over(defaults()))`): reads target and
/// exclusion files, builds the timing and checks everything. Host names are not resolved and
/// port sets are not computed here.
pub fn resolve(layer: Layer) -> Result<Config, ConfigError> {
    let timing = timing(&layer)?;
    let mut targets = layer.targets.unwrap_or_default();
    for f in layer.target_files.iter().flatten() {
        targets.extend(read_target_file(f)?);
    }
    if targets.is_empty() {
        return Err(ConfigError::NoTargets);
    }
    let mut excludes = layer.exclude.unwrap_or_default();
    for f in layer.exclude_files.iter().flatten() {
        excludes.extend(read_target_file(f)?);
    }

    let techniques = layer.techniques.unwrap_or_default();
    if techniques.is_empty() {
        return Err(ConfigError::NoTechniques);
    }
    let outputs = layer.outputs.unwrap_or_default();
    if outputs.is_empty() {
        return Err(ConfigError::NoOutputs);
    }
    check_outputs(&outputs)?;

    Ok(Config {
        targets,
        excludes,
        ports: layer.ports,
        top_ports: layer.top_ports,
        exclude_ports: layer.exclude_ports,
        techniques,
        timing,
        outputs,
        report: ReportOptions {
            open_only: layer.open_only.unwrap_or(false),
            reason: layer.reason.unwrap_or(false),
        },
        discovery: DiscoveryConfig {
            skip: layer.no_ping.unwrap_or(false),
            only: layer.ping_only.unwrap_or(false),
            methods: layer.ping_methods,
            arp: layer.arp_ping.unwrap_or(true),
        },
        resolve: layer.resolve.unwrap_or_default(),
        dns_servers: layer.dns_servers.unwrap_or_default(),
        scopes: layer.scopes,
        baseline: layer.baseline,
        state: layer.state,
        expect: layer.expect.unwrap_or_default(),
        seed: layer.seed,
        source_ip: layer.source_ip.unwrap_or_default(),
        scanflags: layer.scanflags,
        defeat_icmp_ratelimit: layer.defeat_icmp_ratelimit.unwrap_or(false),
        fallback: layer.fallback.unwrap_or(true),
        privileges: layer.privileges.unwrap_or_default(),
    })
}

/// The template's values, then each explicit value. As in nmap, a template value that
/// contradicts an explicit one gives way: an explicit `min_rtt_timeout` above the template's
/// maximum raises the maximum, an explicit `max_rtt_timeout` below the template's minimum
/// lowers it, a template initial timeout is kept inside the bounds (and the template's bounds
/// widen to an explicit initial timeout), and a scan delay above the template's maximum scan
/// delay raises that maximum. Two explicit values that contradict each other are an error.
fn timing(layer: &Layer) -> Result<Timing, ConfigError> {
    let mut t = Timing::template(layer.template.unwrap_or(3))?;
    if let Some(v) = layer.max_retries {
        t.max_retries = v;
    }
    t.min_rate = layer.min_rate.or(t.min_rate);
    t.max_rate = layer.max_rate.or(t.max_rate);
    // `--host-timeout 0` is no limit, as in nmap (also over a profile's limit).
    t.host_timeout = match layer.host_timeout {
        Some(d) if d.is_zero() => None,
        Some(d) => Some(d),
        None => t.host_timeout,
    };
    t.min_parallelism = layer.min_parallelism.or(t.min_parallelism);
    t.max_parallelism = layer.max_parallelism.or(t.max_parallelism);
    if let Some(d) = layer.scan_delay {
        t.scan_delay = d;
        t.max_scan_delay = t.max_scan_delay.max(d);
    }

    let (min, max, init) = (
        layer.min_rtt_timeout,
        layer.max_rtt_timeout,
        layer.initial_rtt_timeout,
    );
    if let Some(v) = min {
        t.min_rtt_timeout = v;
    }
    if let Some(v) = max {
        t.max_rtt_timeout = v;
    }
    if let Some(v) = init {
        t.initial_rtt_timeout = v;
    }
    // Template bounds give way to explicit values.
    match (min, max) {
        (Some(_), None) => t.max_rtt_timeout = t.max_rtt_timeout.max(t.min_rtt_timeout),
        (None, Some(_)) => t.min_rtt_timeout = t.min_rtt_timeout.min(t.max_rtt_timeout),
        _ => {}
    }
    match init {
        None if t.min_rtt_timeout <= t.max_rtt_timeout => {
            t.initial_rtt_timeout = t
                .initial_rtt_timeout
                .clamp(t.min_rtt_timeout, t.max_rtt_timeout);
        }
        Some(i) => {
            if min.is_none() {
                t.min_rtt_timeout = t.min_rtt_timeout.min(i);
            }
            if max.is_none() {
                t.max_rtt_timeout = t.max_rtt_timeout.max(i);
            }
        }
        None => {}
    }
    t.validate()?;
    Ok(t)
}
