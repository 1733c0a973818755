//! Command-line interface: clap definitions, nmap-habit normalisation and conversion into a
//! configuration layer.

use anyhow::{bail, Context, Result};
use clap::Parser;
use scanfw_config::{Layer, OutputSpec, PrivilegeMode, ResolveMode};
use scanfw_core::timing::{parse_duration, Timing};
use scanfw_core::PortSpec;
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  scanfw 127.0.0.1                         top 1000 TCP ports by connect, table to stdout
  scanfw -sT --top-ports 100 --reason localhost
  scanfw -p 22,80,443,8000-8100 198.18.0.0/30 -oX scan.xml
  scanfw -p- -T4 --open -o table -o json=scan.json 2001:db8::10
  scanfw -c examples/audit-web.toml        run a saved audit profile
  scanfw -c audit.toml -T5 10.1.2.3        profile, overridden from the command line
  scanfw -c examples/localhost-audit.toml -o junit=audit.xml
                                           check [[expect]] rules; JUnit XML for CI
  scanfw -c audit.toml --check             validate profile and scope, show the plan, send nothing

nmap habits that work: -sS/-sT/-sU/-sF/-sN/-sX/-sA/-sW/-sM, -sn, -Pn, -PE/-PP/-PM/-PR,
-PS/-PA/-PU[ports], --disable-arp-ping, -n, -R, --dns-servers, -p-, -T0..-T5,
-oN/-oX/-oJ FILE, -oA BASE, -iL FILE, --exclude, --excludefile, --top-ports, --open, --reason.
Exit codes: 0 done (and compliant with the profile's [[expect]] rules), 3 drift found (audit
findings), 1 runtime failure, 2 bad usage or input, 130 interrupted; --check: 0 or 2.
Scan only hosts you are authorized to scan.";

/// scanfw: a port-scan framework with nmap's semantics.
#[derive(Debug, Parser)]
#[command(name = "scanfw", version, about, after_help = EXAMPLES, max_term_width = 100)]
pub struct Cli {
    /// Hosts to scan: addresses, CIDR blocks, octet ranges (198.18.0.1-20), host names
    #[arg(value_name = "TARGETS")]
    pub targets: Vec<String>,

    /// Run a saved TOML audit profile (every scan option has a key, see docs/profiles.md);
    /// command-line options override it
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Refuse targets outside the [scope] of this file (adds to a profile's scope)
    #[arg(long = "scope", value_name = "FILE")]
    pub scope: Option<PathBuf>,

    /// Compare with an earlier report (scanfw JSON/XML, nmap XML): changes exit 3
    #[arg(long = "baseline", value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Keep the scan's progress in FILE, so that --resume FILE can continue it
    #[arg(long = "state", value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// Continue the scan whose progress FILE keeps, with the arguments stored there
    #[arg(long = "resume", value_name = "FILE")]
    pub resume: Option<PathBuf>,

    /// Technique by name or nmap letter (-sT); repeat for several
    #[arg(short = 's', long = "technique", value_name = "NAME")]
    pub techniques: Vec<String>,

    /// Ports: 22,80,1000-2000, - for all, service names, T:/U: qualifiers
    #[arg(
        short = 'p',
        long = "ports",
        value_name = "SPEC",
        allow_hyphen_values = true
    )]
    pub ports: Option<String>,

    /// Scan the N most common ports of scanfw's own ranking (default 1000)
    #[arg(long = "top-ports", value_name = "N", allow_negative_numbers = true)]
    pub top_ports: Option<usize>,

    /// Ports never to scan
    #[arg(
        long = "exclude-ports",
        value_name = "SPEC",
        allow_hyphen_values = true
    )]
    pub exclude_ports: Option<String>,

    /// Output: FORMAT[=PATH] (table, json, xml, junit; no path or - is stdout); repeat for several
    #[arg(short = 'o', long = "output", value_name = "FORMAT[=PATH]")]
    pub outputs: Vec<String>,

    /// Timing template 0-5 (paranoid, sneaky, polite, normal, aggressive, insane)
    #[arg(short = 'T', long = "timing", value_name = "0-5")]
    pub timing: Option<String>,

    /// Retransmissions allowed per probe
    #[arg(long = "max-retries", value_name = "N", allow_negative_numbers = true)]
    pub max_retries: Option<u32>,

    /// Send at least this many probes per second
    #[arg(long = "min-rate", value_name = "RATE", allow_negative_numbers = true)]
    pub min_rate: Option<f64>,

    /// Send at most this many probes per second
    #[arg(long = "max-rate", value_name = "RATE", allow_negative_numbers = true)]
    pub max_rate: Option<f64>,

    /// Give up on a host after this long (e.g. 30s, 15m; 0 is no limit)
    #[arg(long = "host-timeout", value_name = "TIME")]
    pub host_timeout: Option<String>,

    /// Wait at least this long between probes
    #[arg(long = "scan-delay", value_name = "TIME")]
    pub scan_delay: Option<String>,

    /// Probe timeout before any RTT was measured
    #[arg(long = "initial-rtt-timeout", value_name = "TIME")]
    pub initial_rtt_timeout: Option<String>,

    /// Lower bound of the probe timeout
    #[arg(long = "min-rtt-timeout", value_name = "TIME")]
    pub min_rtt_timeout: Option<String>,

    /// Upper bound of the probe timeout
    #[arg(long = "max-rtt-timeout", value_name = "TIME")]
    pub max_rtt_timeout: Option<String>,

    /// At least this many probes in flight
    #[arg(
        long = "min-parallelism",
        value_name = "N",
        allow_negative_numbers = true
    )]
    pub min_parallelism: Option<u32>,

    /// At most this many probes in flight
    #[arg(
        long = "max-parallelism",
        value_name = "N",
        allow_negative_numbers = true
    )]
    pub max_parallelism: Option<u32>,

    /// Custom TCP flags for the probes (e.g. SYNFIN, URGPSHFIN, or a number); replies are read
    /// as the chosen technique reads them (SYN by default)
    #[arg(long = "scanflags", value_name = "FLAGS")]
    pub scanflags: Option<String>,

    /// Send raw probes from these local addresses (comma-separated, CIDR allowed); a target
    /// that rate-limits ICMP gives each its own budget
    #[arg(long = "source-ip", value_name = "LIST")]
    pub source_ip: Vec<String>,

    /// Do not wait for ICMP rate limits: report silent UDP ports as closed|filtered
    #[arg(long = "defeat-icmp-ratelimit")]
    pub defeat_icmp_ratelimit: bool,

    /// Refuse (exit 2) instead of falling back to connect when raw sockets are unavailable
    #[arg(long = "no-fallback")]
    pub no_fallback: bool,

    /// Assume raw sockets are available (as nmap's --privileged): SYN scan and raw discovery
    /// by default; failing to open them is an error
    #[arg(long = "privileged", conflicts_with = "unprivileged")]
    pub privileged: bool,

    /// Behave as if raw sockets were unavailable (as nmap's --unprivileged): connect() scan and
    /// connect() discovery, no raw socket is opened
    #[arg(long = "unprivileged")]
    pub unprivileged: bool,

    /// Seed of the keyed probe order: the same seed sends probes in the same order
    #[arg(long = "seed", value_name = "N")]
    pub seed: Option<u64>,

    /// Read targets from FILE (nmap's -iL)
    #[arg(long = "input-file", value_name = "FILE")]
    pub input_files: Vec<PathBuf>,

    /// Exclude hosts: comma-separated addresses, blocks, ranges or names
    #[arg(long = "exclude", value_name = "LIST")]
    pub exclude: Vec<String>,

    /// Exclude the hosts listed in FILE
    #[arg(long = "excludefile", value_name = "FILE")]
    pub exclude_files: Vec<PathBuf>,

    /// Never do reverse DNS resolution (nmap's -n)
    #[arg(short = 'n', conflicts_with = "resolve_all")]
    pub no_dns: bool,

    /// Reverse-resolve every target, also those found down (nmap's -R)
    #[arg(short = 'R')]
    pub resolve_all: bool,

    /// DNS servers for reverse lookups instead of the system's (ADDR[:PORT],...)
    #[arg(long = "dns-servers", value_name = "LIST")]
    pub dns_servers: Option<String>,

    /// Skip host discovery: treat every target as up (nmap's -Pn)
    #[arg(long = "Pn", hide = true)]
    pub no_ping: bool,

    /// Host discovery only, no port scan (nmap's -sn)
    #[arg(long = "sn", hide = true)]
    pub ping_only: bool,

    /// Discovery probes, as nmap's -PE -PP -PM -PR -PS[ports] -PA[ports] -PU[ports]
    #[arg(long = "ping", hide = true, value_name = "LETTER[:PORTS]")]
    pub ping: Vec<String>,

    /// No ARP / Neighbor Discovery for targets on a directly attached network
    #[arg(long = "disable-arp-ping")]
    pub disable_arp_ping: bool,

    /// Show only open (and open|filtered) ports
    #[arg(long = "open")]
    pub open: bool,

    /// Show why each port has its state
    #[arg(long = "reason")]
    pub reason: bool,

    /// List the registered techniques and exit
    #[arg(long = "list-techniques")]
    pub list_techniques: bool,

    /// List the registered reporters and exit
    #[arg(long = "list-reporters")]
    pub list_reporters: bool,

    /// List the registered host-discovery methods and exit
    #[arg(long = "list-discovery")]
    pub list_discovery: bool,

    /// Check the profile and options and plan the scan (scope included), print what it would
    /// probe and write, then exit 0 (or 2): nothing is sent, no output file is written
    #[arg(long = "check")]
    pub check: bool,
}

/// Rewrites nmap's multi-letter single-dash options into their scanfw forms so clap can parse
/// them: `-oX FILE` (any reporter's nmap letter), `-oA BASE`, `-iL FILE`, `-Pn`.
pub fn normalize(args: Vec<String>, letters: &[(char, &str, &str)]) -> Result<Vec<String>> {
    let mut out = Vec::with_capacity(args.len());
    let mut it = args.into_iter();
    if let Some(program) = it.next() {
        out.push(program);
    }
    while let Some(arg) = it.next() {
        if arg == "--" {
            out.push(arg);
            out.extend(it);
            break;
        }
        if let Some(letter) = arg
            .strip_prefix("-o")
            .filter(|l| l.len() == 1 && l.chars().all(|c| c.is_ascii_uppercase()))
        {
            let path = it
                .next()
                .with_context(|| format!("{arg} needs a file name (use - for standard output)"))?;
            if letter == "A" {
                for &(_, name, ext) in letters {
                    out.push("--output".into());
                    out.push(format!("{name}={path}.{ext}"));
                }
                continue;
            }
            let c = letter.chars().next().unwrap_or('?');
            let Some(&(_, name, _)) = letters.iter().find(|(l, _, _)| *l == c) else {
                let known: Vec<String> = letters.iter().map(|(l, _, _)| format!("-o{l}")).collect();
                bail!(
                    "unknown output option {arg} (use {} or -oA)",
                    known.join(", ")
                );
            };
            out.push("--output".into());
            out.push(format!("{name}={path}"));
            continue;
        }
        match arg.as_str() {
            "-iL" => out.push("--input-file".into()),
            "-Pn" | "-P0" => out.push("--Pn".into()),
            "-sn" | "-sP" => out.push("--sn".into()),
            _ => match ping_flag(&arg) {
                Some(spec) => {
                    out.push("--ping".into());
                    out.push(spec?);
                }
                None => out.push(arg),
            },
        }
    }
    Ok(out)
}

/// nmap's discovery flags: `-PE`, `-PP`, `-PM`, `-PR`, `-PS[ports]`, `-PA[ports]`,
/// `-PU[ports]` become `LETTER` or `LETTER:ports` (the registry knows the letters).
fn ping_flag(arg: &str) -> Option<Result<String>> {
    let rest = arg.strip_prefix("-P")?;
    let letter = rest.chars().next().filter(char::is_ascii_uppercase)?;
    let ports = &rest[1..];
    Some(match (letter, ports.is_empty()) {
        ('E' | 'P' | 'M' | 'R', true) => Ok(letter.to_string()),
        ('S' | 'A' | 'U', true) => Ok(letter.to_string()),
        ('S' | 'A' | 'U', false) => {
            if ports.split(',').all(|p| {
                !p.is_empty() && p.split('-').all(|n| n.parse::<u16>().is_ok_and(|n| n > 0))
            }) {
                Ok(format!("{letter}:{ports}"))
            } else {
                Err(anyhow::anyhow!(
                    "{arg}: invalid port list `{ports}` (use e.g. -P{letter}22,80,443)"
                ))
            }
        }
        ('E' | 'P' | 'M' | 'R', false) => Err(anyhow::anyhow!("{arg}: -P{letter} takes no ports")),
        ('Y', _) => Err(anyhow::anyhow!(
            "scanfw does no SCTP discovery (-PY): use -PS, -PA, -PU or -PE"
        )),
        ('O', _) => Err(anyhow::anyhow!(
            "scanfw does no IP protocol ping (-PO): use -PS, -PA, -PU or -PE"
        )),
        _ => Err(anyhow::anyhow!(
            "unknown discovery option {arg} (use -Pn, -PE, -PP, -PM, -PR, -PS, -PA or -PU)"
        )),
    })
}

fn duration(flag: &str, v: &Option<String>) -> Result<Option<std::time::Duration>> {
    v.as_deref()
        .map(|s| parse_duration(s).with_context(|| flag.to_string()))
        .transpose()
}

impl Cli {
    /// The settings given on the command line, as the top configuration layer.
    pub fn to_layer(&self) -> Result<Layer> {
        let some_if = |b: bool| b.then_some(true);
        let ports = |flag: &str, v: &Option<String>| -> Result<Option<PortSpec>> {
            v.as_deref()
                .map(|s| PortSpec::parse(s).with_context(|| flag.to_string()))
                .transpose()
        };
        if self
            .exclude
            .iter()
            .any(|e| scanfw_core::target::split_list(e).is_empty())
        {
            bail!("--exclude: the list is empty (give addresses, blocks, ranges or names, separated by commas)");
        }
        let exclude: Vec<String> = self
            .exclude
            .iter()
            .flat_map(|e| scanfw_core::target::split_list(e))
            .collect();
        Ok(Layer {
            targets: (!self.targets.is_empty()).then(|| self.targets.clone()),
            target_files: (!self.input_files.is_empty()).then(|| self.input_files.clone()),
            exclude: (!exclude.is_empty()).then_some(exclude),
            exclude_files: (!self.exclude_files.is_empty()).then(|| self.exclude_files.clone()),
            ports: ports("-p", &self.ports)?,
            top_ports: self.top_ports,
            exclude_ports: ports("--exclude-ports", &self.exclude_ports)?,
            techniques: (!self.techniques.is_empty()).then(|| self.techniques.clone()),
            template: self
                .timing
                .as_deref()
                .map(Timing::parse_template)
                .transpose()
                .context("-T")?,
            max_retries: self.max_retries,
            min_rate: self.min_rate,
            max_rate: self.max_rate,
            host_timeout: duration("--host-timeout", &self.host_timeout)?,
            scan_delay: duration("--scan-delay", &self.scan_delay)?,
            initial_rtt_timeout: duration("--initial-rtt-timeout", &self.initial_rtt_timeout)?,
            min_rtt_timeout: duration("--min-rtt-timeout", &self.min_rtt_timeout)?,
            max_rtt_timeout: duration("--max-rtt-timeout", &self.max_rtt_timeout)?,
            min_parallelism: self.min_parallelism,
            max_parallelism: self.max_parallelism,
            outputs: if self.outputs.is_empty() {
                None
            } else {
                Some(
                    self.outputs
                        .iter()
                        .map(|o| OutputSpec::parse(o))
                        .collect::<Result<_, _>>()?,
                )
            },
            open_only: some_if(self.open),
            reason: some_if(self.reason),
            no_ping: some_if(self.no_ping),
            ping_only: some_if(self.ping_only),
            ping_methods: (!self.ping.is_empty()).then(|| self.ping.clone()),
            arp_ping: self.disable_arp_ping.then_some(false),
            resolve: if self.no_dns {
                Some(ResolveMode::Never)
            } else if self.resolve_all {
                Some(ResolveMode::Always)
            } else {
                None
            },
            dns_servers: self
                .dns_servers
                .as_ref()
                .map(|s| scanfw_core::target::split_list(s)),
            scopes: match &self.scope {
                Some(path) => vec![scanfw_config::load_scope(path)?],
                None => Vec::new(),
            },
            baseline: self.baseline.clone(),
            state: self.state.clone(),
            // Audit rules come from profiles only.
            expect: None,
            seed: self.seed,
            // One entry per address or block, as the profile's `source_ip` holds them.
            source_ip: (!self.source_ip.is_empty()).then(|| {
                self.source_ip
                    .iter()
                    .flat_map(|e| scanfw_core::target::split_list(e))
                    .collect()
            }),
            scanflags: self
                .scanflags
                .as_deref()
                .map(scanfw_core::TechniqueOptions::parse_scanflags)
                .transpose()
                .map_err(anyhow::Error::msg)?,
            defeat_icmp_ratelimit: some_if(self.defeat_icmp_ratelimit),
            fallback: self.no_fallback.then_some(false),
            privileges: if self.privileged {
                Some(PrivilegeMode::Privileged)
            } else if self.unprivileged {
                Some(PrivilegeMode::Unprivileged)
            } else {
                None
            },
        })
    }
}

#[cfg(test)]
mod profile_keys;
