//! Stop signals and the open-files floor, set up before anything can be interrupted.
//!
//! SIGINT, SIGTERM and SIGHUP are blocked from the first instruction of `main` until the
//! runtime's handlers are installed (a signal in between waits, it is not lost); from then on
//! one of them at any moment sets the stop flag. A second SIGINT or SIGTERM while winding down
//! ends the process at once; repeated SIGHUPs are ignored; a signal ignored at start (`nohup`)
//! stays ignored.

use crate::app::{runtime_failure, Failure, EXIT_INTERRUPTED};
use crate::progress::say;
use std::sync::OnceLock;
use tokio::sync::watch;

/// Fewest open files scanfw runs with (`ulimit -n`): standard streams, the runtime (poller,
/// waker, signal pipe), raw sockets, outputs and a few connections.
pub const MIN_OPEN_FILES: u64 = 64;

/// The soft and hard `RLIMIT_NOFILE` as `/proc/self/limits` shows them.
fn open_files_limit() -> std::io::Result<Option<(u64, u64)>> {
    let text = std::fs::read_to_string("/proc/self/limits")?;
    let value = |v: &str| match v {
        "unlimited" => Some(u64::MAX),
        n => n.parse().ok(),
    };
    Ok(text.lines().find_map(|line| {
        let rest = line.strip_prefix("Max open files")?;
        let mut it = rest.split_whitespace();
        Some((value(it.next()?)?, value(it.next()?)?))
    }))
}

/// Raises the soft open-files limit to the hard one, and refuses to run below
/// [`MIN_OPEN_FILES`] (the runtime would fail in ways that explain nothing).
pub fn check_open_files() -> Result<(), Failure> {
    scanfw_core::engine::raise_fd_limit();
    let (soft, hard) = match open_files_limit() {
        Ok(Some(limits)) => limits,
        // Not even /proc/self/limits can be opened: far too few descriptors.
        Err(e) if e.raw_os_error() == Some(libc::EMFILE) => (3, 3),
        // No /proc: let the run find out.
        _ => return Ok(()),
    };
    if soft >= MIN_OPEN_FILES {
        return Ok(());
    }
    Err(runtime_failure(anyhow::anyhow!(
        "too few open files allowed: the limit is {soft} (ulimit -n, hard limit {hard}) and scanfw needs at least {MIN_OPEN_FILES}"
    )))
}

/// Which signal stopped the run, once one did.
static SIGNALLED: OnceLock<&'static str> = OnceLock::new();

/// The name of the signal that asked the run to stop, if any came.
pub fn signalled() -> Option<&'static str> {
    SIGNALLED.get().copied()
}

/// The stop signals: name, number, tokio's kind.
fn stop_signals() -> [(&'static str, i32, tokio::signal::unix::SignalKind); 3] {
    use tokio::signal::unix::SignalKind;
    [
        ("SIGINT", libc::SIGINT, SignalKind::interrupt()),
        ("SIGTERM", libc::SIGTERM, SignalKind::terminate()),
        ("SIGHUP", libc::SIGHUP, SignalKind::hangup()),
    ]
}

/// Blocks the stop signals in this (the main) thread until [`release_signals`]; called first
/// thing in `main`. Threads started meanwhile (the runtime's) keep them blocked, so the main
/// thread is the one that takes them.
pub fn hold_signals() {
    let mut set = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
    let mut old = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: `set` is initialised by sigemptyset before use; pthread_sigmask fills `old` on
    // success; both point to live sigset_t values.
    let ok = unsafe {
        libc::sigemptyset(set.as_mut_ptr()) == 0
            && stop_signals()
                .iter()
                .all(|&(_, n, _)| libc::sigaddset(set.as_mut_ptr(), n) == 0)
            && libc::pthread_sigmask(libc::SIG_BLOCK, set.as_ptr(), old.as_mut_ptr()) == 0
    };
    if ok {
        // SAFETY: pthread_sigmask succeeded, so `old` holds the previous mask.
        let _ = SAVED_MASK.set(SigMask(unsafe { old.assume_init() }));
    }
}

/// The signal mask [`hold_signals`] found.
struct SigMask(libc::sigset_t);
static SAVED_MASK: OnceLock<SigMask> = OnceLock::new();

/// Restores the signal mask [`hold_signals`] found; signals that came meanwhile are delivered
/// now (to the handlers).
pub fn release_signals() {
    if let Some(old) = SAVED_MASK.get() {
        // SAFETY: `old` is a mask pthread_sigmask filled in; restoring it only changes this
        // thread's signal mask.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &old.0, std::ptr::null_mut());
        }
    }
}

/// Signals that were ignored when the process started (`SigIgn` of /proc/self/status).
fn ignored_signals() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("SigIgn:"))
                .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        })
        .unwrap_or(0)
}

/// Installs the stop-signal handlers (inside the runtime); each signal sets `stop`.
pub fn install_signals(stop: watch::Sender<bool>) -> std::io::Result<()> {
    let stop = std::sync::Arc::new(stop);
    let ignored = ignored_signals();
    for (name, number, kind) in stop_signals() {
        if ignored & (1 << (number - 1)) != 0 {
            continue;
        }
        let mut stream = tokio::signal::unix::signal(kind)?;
        let stop = std::sync::Arc::clone(&stop);
        tokio::spawn(async move {
            while stream.recv().await.is_some() {
                on_signal(name, &stop);
            }
        });
    }
    Ok(())
}

fn on_signal(name: &'static str, stop: &watch::Sender<bool>) {
    match SIGNALLED.set(name) {
        Ok(()) => {
            stop.send_replace(true);
        }
        // A hang-up often comes twice (the shell, then the kernel): not a second request.
        Err(_) if name == "SIGHUP" => {}
        Err(_) => {
            say(&format!(
                "{name} while stopping: exiting now (outputs may be incomplete)"
            ));
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    }
}
