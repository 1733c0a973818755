//! Resumable scans: `--state FILE` keeps a scan's progress in FILE, `--resume FILE` continues
//! it (docs/auditing.md, "Resuming an interrupted audit").
//!
//! The file (JSON, replaced atomically: written beside it, then renamed) holds the command
//! line, a fingerprint of what the scan probes, and every host finished so far: the complete
//! results of up hosts, the results of hosts cut short by an interruption (`partial`: their
//! decided ports are not probed again), and the addresses of down hosts as merged ranges (a
//! sparse /8 stays small). It is written every [`EVERY`] while hosts finish, and once more
//! when the scan ends, interrupted or not; a crash or a reboot loses at most the last few
//! seconds.
//!
//! A resumed scan runs with the stored arguments, refuses a file whose fingerprint differs
//! from its own plan (another profile, other targets or ports), excludes the finished hosts
//! from its targets, hands the partial ones to the engine with their decided ports, and
//! writes the stored hosts to its outputs first, so the outputs equal an uninterrupted run's.

mod ranges;
mod record;

pub use ranges::Ranges;

use scanfw_core::result::{HostResult, HostStatus};
use scanfw_core::target::{TargetError, TargetSet};
use scanfw_core::Reason;
use serde_json::{json, Value};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, UNIX_EPOCH};
use thiserror::Error;

/// How often the file is rewritten while hosts finish.
pub const EVERY: Duration = Duration::from_secs(3);
/// Format version written in the file.
const VERSION: u64 = 1;
/// The largest state file read (1 GiB).
const MAX_STATE: u64 = 1 << 30;

/// Why a state file cannot be used.
#[derive(Debug, Error)]
pub enum StateError {
    /// It could not be read or written.
    #[error("state file `{path}`: {detail}")]
    Io {
        /// The path.
        path: String,
        /// What went wrong.
        detail: String,
    },
    /// It is not a scanfw state file, or it is damaged.
    #[error("`{path}` is not a usable scanfw state file: {detail}")]
    Format {
        /// The path.
        path: String,
        /// What is wrong.
        detail: String,
    },
    /// It belongs to another scan.
    #[error("state file `{path}` was written by another scan ({detail}): resume it with the same profile and files, or start a new scan with another --state file")]
    Mismatch {
        /// The path.
        path: String,
        /// What differs.
        detail: String,
    },
}

/// A scan's saved progress.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Saved {
    /// The command line after the program name.
    pub args: Vec<String>,
    /// What the scan probes (see [`fingerprint`]).
    pub fingerprint: String,
    /// Complete results of up hosts, in the order they finished.
    pub up: Vec<HostResult>,
    /// Hosts cut short by an interruption, with their decided ports.
    pub partial: Vec<HostResult>,
    /// Addresses of hosts found down.
    pub down: Ranges,
}

impl Saved {
    /// Every address already finished (up or down; not the partial ones).
    pub fn finished(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.up.iter().map(|h| h.addr)
    }
}

/// A description of what a scan probes, compared on resume: the targets and exclusions as
/// resolved, and each technique with its protocol and ports, and the discovery setting.
pub fn fingerprint(
    targets: &[String],
    excludes: &[String],
    scans: &[String],
    discovery: &str,
) -> String {
    format!(
        "targets={}; exclude={}; scans={}; discovery={discovery}",
        targets.join(","),
        excludes.join(","),
        scans.join(",")
    )
}

/// The targets a resumed scan still has to probe: its own minus the hosts finished (up or
/// down; hosts cut short stay in, for the engine to finish). `None` when nothing is left.
pub fn remaining(
    targets: &[String],
    excludes: &[String],
    saved: &Saved,
) -> Result<Option<TargetSet>, TargetError> {
    let mut ex = excludes.to_vec();
    ex.extend(saved.finished().map(|a| a.to_string()));
    ex.extend(saved.down.blocks());
    match TargetSet::build(targets, &ex) {
        Ok(t) => Ok(Some(t)),
        Err(TargetError::Empty) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A host found down in an earlier run, as the audit sees it again (the state file keeps
/// only the address of a down host).
pub fn down_host(addr: IpAddr) -> HostResult {
    HostResult {
        addr,
        hostnames: Vec::new(),
        status: HostStatus {
            up: false,
            reason: Reason::NoResponse,
            reason_ttl: 0,
        },
        mac: None,
        ports: Vec::new(),
        start: UNIX_EPOCH,
        end: UNIX_EPOCH,
        timed_out: false,
        partial: false,
        times: None,
    }
}

/// Reads a state file.
pub fn load(path: &Path) -> Result<Saved, StateError> {
    let shown = path.display().to_string();
    let text = scanfw_core::target::read_bounded(path, MAX_STATE).map_err(|e| StateError::Io {
        path: shown.clone(),
        detail: match e {
            scanfw_core::target::Bounded::Io(e) => e.to_string(),
            scanfw_core::target::Bounded::TooLarge => "larger than 1 GiB".to_string(),
        },
    })?;
    parse(&text).map_err(|detail| StateError::Format {
        path: shown,
        detail,
    })
}

fn parse(text: &str) -> Result<Saved, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if v["scanfw_state"].as_u64() != Some(VERSION) {
        return Err(format!("no `scanfw_state: {VERSION}` marker"));
    }
    let strings = |k: &str| -> Result<Vec<String>, String> {
        v[k].as_array()
            .ok_or_else(|| format!("`{k}`: expected a list"))?
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or(format!("`{k}`: expected strings"))
            })
            .collect()
    };
    let hosts = |k: &str| -> Result<Vec<HostResult>, String> {
        v[k].as_array()
            .ok_or_else(|| format!("`{k}`: expected a list"))?
            .iter()
            .map(record::from_json)
            .collect()
    };
    Ok(Saved {
        args: strings("args")?,
        fingerprint: v["fingerprint"]
            .as_str()
            .ok_or("`fingerprint`: expected a string")?
            .to_string(),
        up: hosts("up")?,
        partial: hosts("partial")?,
        down: Ranges::from_json(&v["down"])?,
    })
}

/// Keeps the state file of a running scan.
#[derive(Debug)]
pub struct Recorder {
    path: PathBuf,
    saved: Saved,
    last: Instant,
    dirty: bool,
}

impl Recorder {
    /// Starts recording into `path` (what a resumed scan already knows is `saved`).
    pub fn new(path: PathBuf, saved: Saved) -> Recorder {
        Recorder {
            path,
            saved,
            last: Instant::now(),
            dirty: true,
        }
    }

    /// A host is final: kept, and the file rewritten if the last write is old enough.
    pub fn observe(&mut self, host: &HostResult) {
        // A host finished now is no longer partial from an earlier run.
        self.saved.partial.retain(|h| h.addr != host.addr);
        if !host.status.up {
            self.saved.down.insert(host.addr);
        } else if host.partial {
            self.saved.partial.push(host.clone());
        } else {
            self.saved.up.push(host.clone());
        }
        self.dirty = true;
        if self.last.elapsed() >= EVERY {
            // A failed periodic write is retried at the next host and at the end.
            let _ = self.write();
        }
    }

    /// Writes the file now (atomically) if anything changed since the last write.
    pub fn write(&mut self) -> Result<(), StateError> {
        if !self.dirty {
            return Ok(());
        }
        let doc = json!({
            "scanfw_state": VERSION,
            "args": self.saved.args,
            "fingerprint": self.saved.fingerprint,
            "up": self.saved.up.iter().map(record::to_json).collect::<Vec<_>>(),
            "partial": self.saved.partial.iter().map(record::to_json).collect::<Vec<_>>(),
            "down": self.saved.down.to_json(),
        });
        let io = |e: std::io::Error| StateError::Io {
            path: self.path.display().to_string(),
            detail: e.to_string(),
        };
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, format!("{doc}\n")).map_err(io)?;
        std::fs::rename(&tmp, &self.path).map_err(io)?;
        self.last = Instant::now();
        self.dirty = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
