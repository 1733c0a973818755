//! One source of settings, and the merge of two sources.

use crate::output::OutputSpec;
use scanfw_core::PortSpec;
use std::path::PathBuf;
use std::time::Duration;

/// Settings from one source (built-in defaults, a profile, the command line). `None` means "not
/// set here". Merge layers with [`Layer::over`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layer {
    /// Targets (addresses, blocks, ranges, names). Grouped with `target_files`.
    pub targets: Option<Vec<String>>,
    /// Files of targets (`-iL`). Grouped with `targets`.
    pub target_files: Option<Vec<PathBuf>>,
    /// Excluded targets. Grouped with `exclude_files`.
    pub exclude: Option<Vec<String>>,
    /// Files of excluded targets (`--excludefile`). Grouped with `exclude`.
    pub exclude_files: Option<Vec<PathBuf>>,
    /// Ports to scan (`-p`). Grouped with `top_ports`.
    pub ports: Option<PortSpec>,
    /// Scan the N most common ports (`--top-ports`). Grouped with `ports`.
    pub top_ports: Option<usize>,
    /// Ports never to scan (`--exclude-ports`).
    pub exclude_ports: Option<PortSpec>,
    /// Scan techniques by name.
    pub techniques: Option<Vec<String>>,
    /// Timing template 0-5.
    pub template: Option<u8>,
    /// Retransmissions per probe.
    pub max_retries: Option<u32>,
    /// Minimum probes per second.
    pub min_rate: Option<f64>,
    /// Maximum probes per second.
    pub max_rate: Option<f64>,
    /// Give up a host after this long.
    pub host_timeout: Option<Duration>,
    /// Minimum time between probes.
    pub scan_delay: Option<Duration>,
    /// Probe timeout before any RTT sample.
    pub initial_rtt_timeout: Option<Duration>,
    /// Lower clamp of the probe timeout.
    pub min_rtt_timeout: Option<Duration>,
    /// Upper clamp of the probe timeout.
    pub max_rtt_timeout: Option<Duration>,
    /// Lower bound on probes in flight.
    pub min_parallelism: Option<u32>,
    /// Upper bound on probes in flight.
    pub max_parallelism: Option<u32>,
    /// Outputs.
    pub outputs: Option<Vec<OutputSpec>>,
    /// Show only open ports (`--open`).
    pub open_only: Option<bool>,
    /// Show reasons (`--reason`).
    pub reason: Option<bool>,
    /// Skip host discovery: every target is up (`-Pn`).
    pub no_ping: Option<bool>,
    /// Host discovery only, no port scan (`-sn`).
    pub ping_only: Option<bool>,
    /// Discovery methods (`-PE`, `-PS22,80`, ...), each `name` or `name:ports`; replaces the
    /// default set.
    pub ping_methods: Option<Vec<String>>,
    /// ARP / Neighbor Discovery for targets on a directly attached network (false:
    /// `--disable-arp-ping`).
    pub arp_ping: Option<bool>,
    /// Reverse DNS: never (`-n`), for up hosts (the default) or for every target (`-R`).
    pub resolve: Option<ResolveMode>,
    /// DNS servers for reverse lookups (`--dns-servers`), instead of the system's.
    pub dns_servers: Option<Vec<String>>,
    /// Scopes (`[scope]`, `--scope FILE`). Unlike every other setting these accumulate
    /// across layers: each one given narrows what may be probed, none can widen another.
    pub scopes: Vec<crate::ScopeSpec>,
    /// An earlier report to compare the run with (`--baseline`).
    pub baseline: Option<PathBuf>,
    /// Where the scan keeps its progress, to be resumed (`--state`).
    pub state: Option<PathBuf>,
    /// Audit rules (`[groups]` and `[[expect]]`, profile only), in profile order.
    pub expect: Option<Vec<scanfw_core::audit::ExpectRule>>,
    /// Seed of the keyed probe order (`--seed`); unset: a new one per run.
    pub seed: Option<u64>,
    /// Local source addresses for raw probes (`--source-ip`), each an address or CIDR block.
    pub source_ip: Option<Vec<String>>,
    /// Custom TCP flags for raw TCP probes (`--scanflags`), already parsed.
    pub scanflags: Option<u8>,
    /// No ICMP rate-limit pacing: silent UDP ports are `closed|filtered`
    /// (`--defeat-icmp-ratelimit`).
    pub defeat_icmp_ratelimit: Option<bool>,
    /// Fall back to an unprivileged technique when raw sockets are unavailable (false:
    /// `--no-fallback`).
    pub fallback: Option<bool>,
    /// Whether raw sockets are assumed (`--privileged`, `--unprivileged`) or probed for.
    pub privileges: Option<PrivilegeMode>,
}

/// Whether scanfw may use raw sockets, as nmap's `--privileged` / `--unprivileged`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PrivilegeMode {
    /// Find out: raw sockets if they can be opened (root or CAP_NET_RAW).
    #[default]
    Auto,
    /// Assume they are available (`--privileged`); failing to open them is an error.
    Privileged,
    /// Behave as if they were not (`--unprivileged`): no raw socket is opened.
    Unprivileged,
}

/// When host names are looked up (PTR records), as nmap's `-n` / `-R`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ResolveMode {
    /// Never (`-n`).
    Never,
    /// For hosts found up (nmap's default).
    #[default]
    Up,
    /// For every target, down ones too (`-R`).
    Always,
}

/// Picks a whole group: if `top` sets any member, all of `top`'s members win (unset ones stay
/// unset); otherwise `base`'s.
fn group<A, B>(
    top: (Option<A>, Option<B>),
    base: (Option<A>, Option<B>),
) -> (Option<A>, Option<B>) {
    if top.0.is_some() || top.1.is_some() {
        top
    } else {
        base
    }
}

impl Layer {
    /// Merges `self` over `base`: every field set in `self` wins. Lists replace, never append,
    /// except `scopes`, which accumulate (a scope only ever narrows).
    ///
    /// Three groups are one setting each: the port selection (`ports`, `top_ports`), the targets
    /// (`targets`, `target_files`) and the exclusions (`exclude`, `exclude_files`). If `self`
    /// sets any member of a group, `base`'s whole group is dropped.
    pub fn over(self, base: Layer) -> Layer {
        let (targets, target_files) = group(
            (self.targets, self.target_files),
            (base.targets, base.target_files),
        );
        let (exclude, exclude_files) = group(
            (self.exclude, self.exclude_files),
            (base.exclude, base.exclude_files),
        );
        let (ports, top_ports) = group((self.ports, self.top_ports), (base.ports, base.top_ports));
        Layer {
            targets,
            target_files,
            exclude,
            exclude_files,
            ports,
            top_ports,
            exclude_ports: self.exclude_ports.or(base.exclude_ports),
            techniques: self.techniques.or(base.techniques),
            template: self.template.or(base.template),
            max_retries: self.max_retries.or(base.max_retries),
            min_rate: self.min_rate.or(base.min_rate),
            max_rate: self.max_rate.or(base.max_rate),
            host_timeout: self.host_timeout.or(base.host_timeout),
            scan_delay: self.scan_delay.or(base.scan_delay),
            initial_rtt_timeout: self.initial_rtt_timeout.or(base.initial_rtt_timeout),
            min_rtt_timeout: self.min_rtt_timeout.or(base.min_rtt_timeout),
            max_rtt_timeout: self.max_rtt_timeout.or(base.max_rtt_timeout),
            min_parallelism: self.min_parallelism.or(base.min_parallelism),
            max_parallelism: self.max_parallelism.or(base.max_parallelism),
            outputs: self.outputs.or(base.outputs),
            open_only: self.open_only.or(base.open_only),
            reason: self.reason.or(base.reason),
            no_ping: self.no_ping.or(base.no_ping),
            ping_only: self.ping_only.or(base.ping_only),
            ping_methods: self.ping_methods.or(base.ping_methods),
            arp_ping: self.arp_ping.or(base.arp_ping),
            resolve: self.resolve.or(base.resolve),
            dns_servers: self.dns_servers.or(base.dns_servers),
            scopes: base.scopes.into_iter().chain(self.scopes).collect(),
            baseline: self.baseline.or(base.baseline),
            state: self.state.or(base.state),
            expect: self.expect.or(base.expect),
            seed: self.seed.or(base.seed),
            source_ip: self.source_ip.or(base.source_ip),
            scanflags: self.scanflags.or(base.scanflags),
            defeat_icmp_ratelimit: self.defeat_icmp_ratelimit.or(base.defeat_icmp_ratelimit),
            fallback: self.fallback.or(base.fallback),
            privileges: self.privileges.or(base.privileges),
        }
    }
}

/// The built-in defaults: template 3 (normal), the `connect` technique, a table on standard
/// output, no `--open`, no `--reason`. Nothing else is set.
pub fn defaults() -> Layer {
    Layer {
        template: Some(3),
        techniques: Some(vec!["connect".to_string()]),
        outputs: Some(vec![OutputSpec::stdout("table")]),
        open_only: Some(false),
        reason: Some(false),
        ..Layer::default()
    }
}
