//! `--check`: the plan of a scan, printed instead of run.
//!
//! Everything up to the plan is the real run flow (profile, merge, target expansion and name
//! resolution, scope check, expectations, baseline), so a profile that passes `--check` fails a
//! real run only on what needs the run itself (an output file that cannot be created, a socket
//! that cannot be opened). `--check` stops before the outputs are created and the engine
//! starts: nothing is sent, no output file is written, and no raw socket is opened — whether
//! raw sockets would be available is read from the capability set instead.
//!
//! The summary is for the person deciding whether the profile does what they mean; it is not a
//! stable machine format.

use anyhow::{bail, Result};
use scanfw_config::{Config, OutputSpec, ResolveMode};
use scanfw_core::engine::ScanJob;
use scanfw_core::{registry, ScanTypeInfo};
use std::fmt::Write as _;

/// Target sets up to this size are counted exactly (as the run counts planned hosts).
const COUNT_LIMIT: u128 = 1 << 20;

/// Longest port list printed in full; a longer one is cut (its count is always exact).
const PORTS_SHOWN: usize = 60;

/// `CAP_NET_RAW`'s bit in the capability sets.
const CAP_NET_RAW: u32 = 13;

/// Whether this process could open raw sockets, from its effective capabilities
/// (`/proc/self/status`), without opening one. Without `/proc`, root is assumed able.
pub fn raw_capable() -> bool {
    match std::fs::read_to_string("/proc/self/status") {
        Ok(status) => has_net_raw(&status),
        // SAFETY: geteuid has no preconditions.
        Err(_) => unsafe { libc::geteuid() == 0 },
    }
}

/// Whether a `/proc/PID/status` text shows `CAP_NET_RAW` in `CapEff`.
fn has_net_raw(status: &str) -> bool {
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << CAP_NET_RAW) != 0)
}

/// What a real run checks when it creates its outputs, without creating them: a known
/// format, a file path that is not a directory, in a directory that exists.
pub fn check_outputs(specs: &[OutputSpec]) -> Result<()> {
    for spec in specs {
        registry::reporter(&spec.format)?;
        let Some(path) = &spec.path else { continue };
        if path.is_dir() {
            bail!(
                "output path `{}` is a directory: give a file name",
                path.display()
            );
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => std::path::Path::new("."),
        };
        if !dir.is_dir() {
            bail!(
                "cannot create output file `{}`: directory `{}` does not exist",
                path.display(),
                dir.display()
            );
        }
    }
    Ok(())
}

/// The summary `--check` prints: one `what: value` line each.
pub fn summary(config: &Config, job: &ScanJob, scans: &[ScanTypeInfo], raw: bool) -> String {
    let mut s =
        String::from("scanfw --check: the scan is valid; nothing was sent, no file was written\n");
    let bound = job.targets.upper_bound();
    let _ = if bound <= COUNT_LIMIT {
        writeln!(s, "hosts: {} (exact count)", job.targets.iter().count())
    } else {
        writeln!(
            s,
            "hosts: at most {bound} (an upper bound: too many to count, exclusions not subtracted)"
        )
    };
    if scans.is_empty() {
        s.push_str("ports: none (host discovery only)\ntechniques: none (host discovery only)\n");
    } else {
        let ports: Vec<String> = scans
            .iter()
            .map(|i| {
                let list = i.ports.to_ranges();
                let list = match list.char_indices().nth(PORTS_SHOWN) {
                    Some((cut, _)) => format!("{},...", &list[..cut]),
                    None => list,
                };
                format!("{} {} ports ({list})", i.ports.len(), i.protocol)
            })
            .collect();
        let _ = writeln!(s, "ports: {}", ports.join("; "));
        let techniques: Vec<String> = job
            .units
            .iter()
            .map(|u| format!("{} ({})", u.technique.name(), u.technique.protocol()))
            .collect();
        let _ = writeln!(s, "techniques: {}", techniques.join(", "));
    }
    let _ = writeln!(s, "discovery: {}", discovery(job));
    let _ = writeln!(s, "reverse dns: {}", names(config));
    let _ = writeln!(s, "outputs: {}", outputs(&config.outputs));
    let scopes: Vec<String> = config.scopes.iter().map(|sc| sc.describe()).collect();
    let _ = writeln!(s, "scopes: {}", or_none(&scopes.join("; ")));
    let rules: Vec<&str> = config.expect.iter().map(|r| r.name.as_str()).collect();
    let _ = match rules.len() {
        0 => writeln!(s, "expect: none"),
        1 => writeln!(s, "expect: 1 rule: {}", rules[0]),
        n => writeln!(s, "expect: {n} rules: {}", rules.join(", ")),
    };
    let baseline = config
        .baseline
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let _ = writeln!(s, "baseline: {}", or_none(&baseline));
    let _ = writeln!(s, "timing: {}", timing(&config.timing));
    let _ = writeln!(s, "sending: {}", sending(config, job, raw));
    s
}

fn or_none(text: &str) -> &str {
    if text.is_empty() {
        "none"
    } else {
        text
    }
}

fn discovery(job: &ScanJob) -> String {
    let methods: Vec<String> = job
        .discovery
        .methods
        .iter()
        .map(|m| match m.ports() {
            [] | [0] => m.name().to_string(),
            ports => {
                let list: Vec<String> = ports.iter().map(u16::to_string).collect();
                format!("{}:{}", m.name(), list.join(","))
            }
        })
        .collect();
    match (job.discovery.assume_up, methods.is_empty()) {
        (true, true) => "none, every target is treated as up".to_string(),
        (true, false) => format!(
            "none, every target is treated as up ({} for on-link targets' hardware addresses)",
            methods.join(", ")
        ),
        (false, _) => methods.join(", "),
    }
}

fn names(config: &Config) -> String {
    let when = match config.resolve {
        ResolveMode::Never => return "never".to_string(),
        ResolveMode::Up => "hosts found up",
        ResolveMode::Always => "every target",
    };
    if config.dns_servers.is_empty() {
        format!("{when}, the system's resolvers")
    } else {
        format!("{when}, servers {}", config.dns_servers.join(", "))
    }
}

fn outputs(specs: &[OutputSpec]) -> String {
    let list: Vec<String> = specs
        .iter()
        .map(|o| match &o.path {
            None => format!("{} to standard output", o.format),
            Some(p) => format!("{} to {}", o.format, p.display()),
        })
        .collect();
    list.join(", ")
}

fn timing(t: &scanfw_core::timing::Timing) -> String {
    let mut s = format!("T{}, max_retries {}", t.template, t.max_retries);
    if let Some(r) = t.min_rate {
        let _ = write!(s, ", min_rate {r}");
    }
    if let Some(r) = t.max_rate {
        let _ = write!(s, ", max_rate {r}");
    }
    if let Some(d) = t.host_timeout {
        let _ = write!(s, ", host_timeout {}s", d.as_secs_f64());
    }
    s
}

fn sending(config: &Config, job: &ScanJob, raw: bool) -> String {
    let mut s = String::from(if raw { "raw sockets" } else { "no raw sockets" });
    match config.seed {
        Some(seed) => {
            let _ = write!(s, ", seed {seed}");
        }
        None => s.push_str(", a random seed"),
    }
    if let Some(flags) = config.scanflags {
        let _ = write!(s, ", scanflags {flags:#04x}");
    }
    if !job.sources.is_empty() {
        let list: Vec<String> = job.sources.iter().map(ToString::to_string).collect();
        let _ = write!(s, ", source addresses {}", list.join(", "));
    }
    if config.defeat_icmp_ratelimit {
        s.push_str(", no ICMP rate-limit pacing");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::has_net_raw;

    #[test]
    fn the_effective_set_decides() {
        assert!(has_net_raw("Name:\tx\nCapEff:\t000001ffffffffff\n"));
        assert!(has_net_raw("CapPrm:\t0\nCapEff:\t0000000000002000\n"));
        assert!(!has_net_raw(
            "CapPrm:\t0000000000002000\nCapEff:\t0000000000000000\n"
        ));
        assert!(!has_net_raw("Name:\tx\n"));
    }
}
