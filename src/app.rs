//! One scanfw run: parse, configure, validate, scan, report. Input errors surface before the
//! first probe; reporters always get `finish`, so outputs stay complete after an interruption.
//!
//! Signals (`signals.rs`): SIGINT, SIGTERM or SIGHUP at any moment sets the stop flag: the
//! engine winds down, every output closes its document (or is abandoned after
//! [`outputs::GRACE`] if its reader stalls) and the exit code is 130.

use crate::audit::RunAudit;
use crate::outputs::{Outcome, Outputs, Patience};
use crate::progress::{say, Progress};
use crate::signals::{check_open_files, install_signals, release_signals, signalled};
use crate::{cli, plan, rdns, resume};
use anyhow::{Context, Result};
use clap::Parser;
use scanfw_config::{
    defaults, load_profile, resolve, Known, OutputSpec, PrivilegeMode, ResolveMode,
};
use scanfw_core::engine::{self, EngineEvent};
use scanfw_core::{registry, ReportOptions, ScanStart, ScanSummary};
use std::io::Write;
use std::process::ExitCode;
use std::time::{Instant, SystemTime};
use tokio::sync::{mpsc, watch};

/// Exit code for bad usage or input.
pub const EXIT_USAGE: u8 = 2;
/// Exit code for a failure while scanning or writing.
pub const EXIT_RUNTIME: u8 = 1;
/// Exit code after an interruption (output is still complete so far).
pub const EXIT_INTERRUPTED: u8 = 130;
/// Exit code when the scan ended normally and the audit found drift (policy findings).
pub const EXIT_DRIFT: u8 = 3;

/// A failure with the exit code it maps to.
pub struct Failure {
    pub code: u8,
    pub error: anyhow::Error,
}

fn usage(error: anyhow::Error) -> Failure {
    Failure {
        code: EXIT_USAGE,
        error,
    }
}

pub(crate) fn runtime_failure(error: anyhow::Error) -> Failure {
    Failure {
        code: EXIT_RUNTIME,
        error,
    }
}

/// Runs scanfw with the process arguments.
pub fn main(args: Vec<String>) -> Result<ExitCode, Failure> {
    let setup = || -> Result<_, Failure> {
        check_open_files()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")
            .map_err(runtime_failure)?;
        let (stop_tx, stop_rx) = watch::channel(false);
        {
            let _inside = runtime.enter();
            install_signals(stop_tx)
                .context("cannot install signal handlers")
                .map_err(runtime_failure)?;
        }
        Ok((runtime, stop_rx))
    };
    let setup = setup();
    release_signals();
    let (runtime, stop) = setup?;
    let result = run(args, &runtime, stop, None);
    // Output threads still blocked (abandoned after a signal) do not hold the exit.
    runtime.shutdown_background();
    if signalled().is_none() {
        return result;
    }
    // After a signal the exit code is 130 whatever else went wrong, except bad input (found
    // before anything started).
    match result {
        Err(f) if f.code == EXIT_USAGE => Err(f),
        Err(f) => {
            say(&format!("{:#}", f.error));
            Ok(ExitCode::from(EXIT_INTERRUPTED))
        }
        Ok(_) => Ok(ExitCode::from(EXIT_INTERRUPTED)),
    }
}

/// Writes a listing to stdout: a closed pipe (`| head`) ends it quietly; any other failure
/// (a full disk) is an error.
fn print_listing(text: &str) -> Result<ExitCode, Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(runtime_failure(anyhow::anyhow!(
            "cannot write to stdout: {e}"
        ))),
    }
}

fn run(
    args: Vec<String>,
    runtime: &tokio::runtime::Runtime,
    stop: watch::Receiver<bool>,
    resumed: Option<resume::Saved>,
) -> Result<ExitCode, Failure> {
    use std::fmt::Write as _;
    let techniques = registry::techniques().map_err(|e| usage(e.into()))?;
    let reporters = registry::reporters().map_err(|e| usage(e.into()))?;
    let letters: Vec<(char, &str, &str)> = reporters
        .iter()
        .filter_map(|d| d.nmap_letter.map(|l| (l, d.name, extension(d.name))))
        .collect();
    let argv = cli::normalize(args.clone(), &letters).map_err(usage)?;
    let cli = match cli::Cli::try_parse_from(&argv) {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => return Err(usage(clap_one_line(&e))),
    };
    if let Some(path) = &cli.resume {
        return resume_scan(&args, path, runtime, stop, resumed.is_some());
    }
    let discovery = registry::discovery().map_err(|e| usage(e.into()))?;
    if cli.list_techniques || cli.list_reporters || cli.list_discovery {
        let mut text = String::new();
        if cli.list_techniques {
            for d in &techniques {
                let letter = d.nmap_letter.map(|l| format!("-s{l}")).unwrap_or_default();
                let privilege = if d.needs_privilege {
                    "  (needs CAP_NET_RAW)"
                } else {
                    ""
                };
                let _ = writeln!(
                    text,
                    "{:<10} {:<4} {}{}",
                    d.name, letter, d.summary, privilege
                );
            }
        }
        if cli.list_reporters {
            for d in &reporters {
                let letter = d.nmap_letter.map(|l| format!("-o{l}")).unwrap_or_default();
                let _ = writeln!(text, "{:<10} {:<4} {}", d.name, letter, d.summary);
            }
        }
        if cli.list_discovery {
            for d in &discovery {
                let letter = d.nmap_letter.map(|l| format!("-P{l}")).unwrap_or_default();
                let ports = d
                    .default_ports
                    .map(|p| {
                        let list: Vec<String> = p.iter().map(u16::to_string).collect();
                        format!(" (default ports {})", list.join(","))
                    })
                    .unwrap_or_default();
                let privilege = if d.needs_privilege {
                    "  (needs CAP_NET_RAW)"
                } else {
                    ""
                };
                let _ = writeln!(
                    text,
                    "{:<15} {:<4} {}{ports}{privilege}",
                    d.name, letter, d.summary
                );
            }
        }
        return print_listing(&text);
    }

    let mut known_t: Vec<String> = techniques.iter().map(|d| d.name.to_string()).collect();
    known_t.extend(
        techniques
            .iter()
            .filter_map(|d| d.nmap_letter.map(String::from)),
    );
    let mut known_r: Vec<String> = reporters.iter().map(|d| d.name.to_string()).collect();
    known_r.extend(
        reporters
            .iter()
            .filter_map(|d| d.nmap_letter.map(String::from)),
    );
    let mut known_d: Vec<String> = discovery.iter().map(|d| d.name.to_string()).collect();
    known_d.extend(
        discovery
            .iter()
            .filter_map(|d| d.nmap_letter.map(String::from)),
    );
    let known_t: Vec<&str> = known_t.iter().map(String::as_str).collect();
    let known_r: Vec<&str> = known_r.iter().map(String::as_str).collect();
    let known_d: Vec<&str> = known_d.iter().map(String::as_str).collect();
    let known = Known {
        techniques: &known_t,
        reporters: &known_r,
        discovery: &known_d,
    };

    let cli_layer = cli.to_layer().map_err(usage)?;
    let profile = match &cli.config {
        Some(path) => load_profile(path, &known).map_err(|e| usage(e.into()))?,
        None => Default::default(),
    };
    // SYN is the default when raw sockets are available, connect otherwise (as in nmap), so
    // whether they are (`privileges`, from the command line or the profile) is settled before
    // the defaults. `--check` reads the capability set instead of opening a raw socket.
    let given = cli_layer.over(profile);
    let raw = match given.privileges.unwrap_or_default() {
        PrivilegeMode::Unprivileged => false,
        PrivilegeMode::Privileged => true,
        PrivilegeMode::Auto if cli.check => crate::check::raw_capable(),
        PrivilegeMode::Auto => engine::raw_available(),
    };
    let mut base = defaults();
    base.techniques = Some(vec![if raw { "syn" } else { "connect" }.to_string()]);
    let config = resolve(given.over(base)).map_err(|e| usage(e.into()))?;
    let seed = config.seed.unwrap_or_else(random_seed);
    let privileges = plan::Privileges {
        options: scanfw_core::TechniqueOptions {
            tcp_flags: config.scanflags,
        },
        raw,
        allow_fallback: config.fallback,
    };
    let raw_options = plan::RawOptions {
        source_ip: config.source_ip.clone(),
        defeat_icmp_ratelimit: config.defeat_icmp_ratelimit,
    };
    if cli.ping_only
        && (!cli.techniques.is_empty() || cli.ports.is_some() || cli.top_ports.is_some())
    {
        return Err(usage(anyhow::anyhow!(
            "-sn (host discovery only) cannot be combined with a port scan (-s TECHNIQUE, -p, --top-ports): drop one of them"
        )));
    }
    let (mut job, scans, notices) =
        plan::build(&config, seed, privileges, &raw_options).map_err(usage)?;
    // Expectations the planned scan cannot judge are bad input, found before anything is sent.
    scanfw_core::audit::check_plan(&config.expect, &scans, config.discovery.skip)
        .map_err(|e| usage(e.into()))?;
    // A state file: what a resumed scan already holds is left out of its targets.
    let stored_args: Vec<String> = args.iter().skip(1).cloned().collect();
    let fingerprint = resume::fingerprint(
        &config.targets,
        &config.excludes,
        &scans
            .iter()
            .map(|s| {
                format!(
                    "{}/{}/{}",
                    s.scan_type,
                    s.protocol.as_str(),
                    s.ports.to_ranges()
                )
            })
            .collect::<Vec<_>>(),
        &format!("{:?}", config.discovery),
    );
    if let Some(saved) = &resumed {
        if saved.fingerprint != fingerprint {
            let path = config.state.as_deref().unwrap_or(std::path::Path::new("?"));
            return Err(usage(
                resume::StateError::Mismatch {
                    path: path.display().to_string(),
                    detail: "its targets, ports, techniques or discovery differ from the stored arguments' now (was a profile or target file changed?)".to_string(),
                }
                .into(),
            ));
        }
    }
    let remaining = match &resumed {
        Some(saved) => resume::remaining(&config.targets, &config.excludes, saved)
            .map_err(|e| usage(e.into()))?,
        None => Some(job.targets.clone()),
    };
    if let Some(saved) = &resumed {
        job.resume = saved.partial.clone();
        job.resume.sort_by_key(|h| h.addr);
    }
    let baseline = match &config.baseline {
        Some(path) => {
            let old = crate::baseline::load(path).map_err(|e| usage(e.into()))?;
            Some(crate::baseline::RunBaseline::new(old, &job.targets, &scans))
        }
        None => None,
    };
    let audit = RunAudit::new(&config.expect, &scans, baseline);
    // Once the engine has opened its sockets (and the outputs are open), the scan goes on with
    // no capabilities, and as the sudo user when started through sudo.
    job.after_open = Some(engine::AfterOpen(std::sync::Arc::new(|| {
        crate::privileges::drop_privileges().map_err(|e| format!("cannot drop privileges: {e}"))
    })));
    let servers = config
        .dns_servers
        .iter()
        .map(|s| rdns::parse_dns_servers(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| usage(e.into()))?
        .concat();
    for n in notices {
        say(&n);
    }
    if cli.check {
        // The plan is complete and checked: print it instead of running it.
        crate::check::check_outputs(&config.outputs).map_err(usage)?;
        return print_listing(&crate::check::summary(&config, &job, &scans, raw));
    }
    let options = ReportOptions {
        open_only: config.report.open_only,
        reason: config.report.reason,
    };
    let start = ScanStart {
        args,
        start: SystemTime::now(),
        scans,
        hosts_planned: (job.targets.upper_bound() <= 1 << 20)
            .then(|| job.targets.iter().count() as u64),
        scopes: config.scopes.iter().map(|s| s.describe()).collect(),
    };
    let names = Names {
        mode: config.resolve,
        servers,
    };
    let recorder = match &config.state {
        Some(path) => {
            if resumed.is_none() && path.exists() {
                say(&format!(
                    "state file {} exists: this scan starts over (scanfw --resume {} continues the scan it holds)",
                    path.display(),
                    path.display()
                ));
            }
            let saved = resumed.clone().unwrap_or_else(|| resume::Saved {
                args: stored_args,
                fingerprint: fingerprint.clone(),
                ..resume::Saved::default()
            });
            let mut r = resume::Recorder::new(path.clone(), saved);
            // Written at once: a state file that cannot be written is found before the scan.
            r.write().map_err(|e| usage(e.into()))?;
            Some(r)
        }
        None => None,
    };
    let job = remaining.map(|targets| engine::ScanJob { targets, ..job });
    runtime.block_on(scan(
        job,
        start,
        &config.outputs,
        options,
        names,
        audit,
        Resumption {
            replay: resumed,
            recorder,
        },
        stop,
    ))
}

/// `scanfw --resume FILE`: runs again with the arguments FILE stores, holding what it holds.
fn resume_scan(
    args: &[String],
    path: &std::path::Path,
    runtime: &tokio::runtime::Runtime,
    stop: watch::Receiver<bool>,
    nested: bool,
) -> Result<ExitCode, Failure> {
    if nested || args.len() > 3 || (args.len() == 3 && !args[1].starts_with("--resume")) {
        return Err(usage(anyhow::anyhow!(
            "--resume FILE takes no other arguments: the scan goes on with the arguments stored in FILE"
        )));
    }
    let saved = resume::load(path).map_err(|e| usage(e.into()))?;
    let mut again = vec![args
        .first()
        .cloned()
        .unwrap_or_else(|| "scanfw".to_string())];
    again.extend(saved.args.iter().cloned());
    if !saved
        .args
        .iter()
        .any(|a| a == "--state" || a.starts_with("--state="))
    {
        again.push("--state".to_string());
        again.push(path.display().to_string());
    }
    run(again, runtime, stop, Some(saved))
}

/// What a resumed scan holds already, and where the scan keeps its progress.
struct Resumption {
    /// The stored results, written to the outputs before the new ones.
    replay: Option<resume::Saved>,
    /// The state file being kept (`--state`).
    recorder: Option<resume::Recorder>,
}

/// A per-run random seed (the standard library's randomly keyed hasher).
fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

fn extension(format: &str) -> &'static str {
    match format {
        "table" => "nmap",
        "xml" => "xml",
        "json" => "json",
        _ => "out",
    }
}

fn clap_one_line(e: &clap::Error) -> anyhow::Error {
    let text = e.to_string();
    let first = text
        .lines()
        .next()
        .unwrap_or("invalid usage")
        .trim_start_matches("error: ")
        .to_string();
    anyhow::anyhow!("{first} (see scanfw --help)")
}

/// How host names are looked up.
struct Names {
    mode: ResolveMode,
    servers: Vec<std::net::SocketAddr>,
}

/// Longest wait for one reverse lookup (a dead resolver never stalls the scan longer).
const PTR_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// The text of an engine notice about probes that could not be sent, without what it says
/// about the affected ports: `<reason>; affected ports are ...`.
fn send_failure(notice: &str) -> Option<&str> {
    notice
        .split_once("; affected ports are ")
        .map(|(why, _)| why)
}

// One run's parts, each from a different stage of `run`; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
async fn scan(
    job: Option<engine::ScanJob>,
    start: ScanStart,
    specs: &[OutputSpec],
    options: ReportOptions,
    names: Names,
    mut audit: RunAudit,
    resumption: Resumption,
    stop: watch::Receiver<bool>,
) -> Result<ExitCode, Failure> {
    let Resumption {
        replay,
        mut recorder,
    } = resumption;
    use futures_util::stream::{FuturesUnordered, StreamExt};
    let mut outputs = Outputs::open(specs, options).map_err(usage)?;
    let mut patience = Patience::new(stop.clone());
    for label in outputs.opened(&mut patience).await.map_err(usage)? {
        say(&format!(
            "output {label} could not be opened before the signal (no reader?): it is left out"
        ));
    }
    outputs.begin(start.clone());
    let progress = Progress::new(start.hosts_planned);
    let resolver = match names.mode {
        ResolveMode::Never => None,
        _ => match rdns::ReverseDns::new(&names.servers, PTR_TIMEOUT) {
            Ok(r) if r.has_nameservers() => Some(std::sync::Arc::new(r)),
            Ok(_) => {
                progress.notice("no DNS servers found (/etc/resolv.conf); reverse DNS is off (-n hides this notice, --dns-servers names servers)");
                None
            }
            Err(e) => {
                progress.notice(&format!("reverse DNS is off: {e}"));
                None
            }
        },
    };
    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
    let started = Instant::now();
    // A signal that came before this point stops the engine before its first probe.
    let engine_stop = stop.clone();
    let engine_task = tokio::spawn(async move {
        let result = match job {
            Some(job) => engine::run(&job, &ev_tx, engine_stop).await,
            // A resumed scan with nothing left to probe.
            None => Ok(engine::EngineStats::default()),
        };
        drop(ev_tx);
        result
    });

    let (mut up, mut down) = (0u64, 0u64);
    // A resumed scan's finished hosts go first, as they went in the first run.
    if let Some(saved) = &replay {
        for host in &saved.up {
            progress.host_done();
            audit.observe(host);
            up += 1;
            outputs.host(host.clone());
        }
        // Down hosts are only counted, unless an audit judges them (a sparse /8 holds
        // millions).
        if audit.is_active() {
            for addr in saved.down.iter() {
                audit.observe(&resume::down_host(addr));
            }
        }
        let n = u64::try_from(saved.down.len()).unwrap_or(u64::MAX);
        progress.hosts_done(n);
        down += n;
    }
    let mut first_failure: Option<String> = None;
    let mut lookups = FuturesUnordered::new();
    let mut engine_open = true;
    loop {
        let host = tokio::select! {
            event = ev_rx.recv(), if engine_open => match event {
                None => { engine_open = false; continue; }
                Some(EngineEvent::Progress { done, total }) => { progress.ports(done, total); continue; }
                Some(EngineEvent::Notice(text)) => {
                    if first_failure.is_none() {
                        first_failure = send_failure(&text).map(str::to_string);
                    }
                    progress.notice(&text);
                    continue;
                }
                Some(EngineEvent::HostDone(host)) => {
                    let wanted = match names.mode {
                        ResolveMode::Never => false,
                        ResolveMode::Up => host.status.up,
                        ResolveMode::Always => true,
                    };
                    match (&resolver, wanted) {
                        (Some(r), true) => {
                            let r = std::sync::Arc::clone(r);
                            lookups.push(async move {
                                let mut host = host;
                                rdns::resolve_names(&r, &mut host).await;
                                host
                            });
                            continue;
                        }
                        _ => host,
                    }
                }
            },
            Some(host) = lookups.next(), if !lookups.is_empty() => host,
            else => break,
        };
        progress.host_done();
        audit.observe(&host);
        if let Some(r) = recorder.as_mut() {
            r.observe(&host);
        }
        if host.status.up {
            up += 1;
        } else {
            down += 1;
            continue; // down hosts are counted, not listed (as nmap does)
        }
        outputs.host(host);
    }
    progress.finish();
    let (stats, engine_error) = match engine_task.await {
        Ok(Ok(stats)) => (stats, None),
        Ok(Err(e @ engine::EngineError::AfterOpen(_))) => (
            engine::EngineStats::default(),
            Some(runtime_failure(e.into())),
        ),
        Ok(Err(e)) => (engine::EngineStats::default(), Some(usage(e.into()))),
        Err(e) => (
            engine::EngineStats::default(),
            Some(runtime_failure(
                anyhow::Error::new(e).context("the scan engine stopped unexpectedly"),
            )),
        ),
    };
    let interrupted = match (&engine_error, signalled()) {
        (Some(f), _) => Some(format!("the scan failed: {:#}", f.error)),
        (None, Some(name)) if stats.interrupted => Some(format!("interrupted by {name}")),
        (None, _) if stats.interrupted => Some("interrupted".to_string()),
        _ => None,
    };
    if let Some(r) = recorder.as_mut() {
        if let Err(e) = r.write() {
            say(&e.to_string());
        }
    }
    let audit = audit.finish(interrupted.is_none());
    for n in audit.iter().flat_map(crate::audit::notices) {
        say(&n);
    }
    let drift = crate::audit::drift(audit.as_ref());
    let summary = ScanSummary {
        end: SystemTime::now(),
        elapsed: started.elapsed(),
        hosts_total: stats.hosts.max(up + down),
        hosts_up: up,
        hosts_down: down,
        interrupted,
        probes_sent: stats.probes_sent,
        retransmissions: stats.retransmissions,
        replies: stats.replies,
        audit,
    };
    let mut write_error = None;
    let mut patience = Patience::new(stop);
    for (label, outcome) in outputs.finish(summary, &mut patience).await {
        match outcome {
            Outcome::Written => {}
            Outcome::Failed(e) => {
                if write_error.is_some() || engine_error.is_some() {
                    say(&e);
                } else {
                    write_error = Some(e);
                }
            }
            Outcome::Abandoned => say(&format!(
                "output {label} still blocked {} s after the signal: abandoned, its document may be incomplete",
                crate::outputs::GRACE.as_secs()
            )),
        }
    }
    if let Some(f) = engine_error {
        return Err(f);
    }
    if let Some(e) = write_error {
        return Err(runtime_failure(anyhow::anyhow!(e)));
    }
    if stats.probes_sent > 0 && stats.probes_failed == stats.probes_sent {
        let why = first_failure.unwrap_or_else(|| "see the notices above".to_string());
        return Err(runtime_failure(anyhow::anyhow!(
            "every probe failed to send: {why}"
        )));
    }
    Ok(if stats.interrupted || signalled().is_some() {
        ExitCode::from(EXIT_INTERRUPTED)
    } else if drift {
        ExitCode::from(EXIT_DRIFT)
    } else {
        ExitCode::SUCCESS
    })
}
