//! # scanfw
//!
//! The scanfw command line as a library: argument parsing (nmap's habits included), profiles,
//! planning, the run with its outputs, audits, baselines, `scanfw diff` and resumable scans.
//! It links no plugin: the techniques and reporters a binary offers are the plugin crates that
//! binary names, since their `inventory` registrations are what the registry finds. The
//! `scanfw` binary is this library plus the built-in plugins (`src/main.rs`); a binary with
//! plugins of its own is the same few lines naming its crates too:
//!
//! ```ignore
//! use scanfw_reporters as _;
//! use scanfw_techniques as _;
//! use my_plugins as _;
//!
//! fn main() -> std::process::ExitCode {
//!     scanfw::main()
//! }
//! ```

// The library's own tests use the built-in plugins (the option table, profile examples).
#[cfg(test)]
use scanfw_reporters as _;
#[cfg(test)]
use scanfw_techniques as _;

mod app;
mod audit;
mod baseline;
mod check;
mod cli;
mod diff;
mod outputs;
mod plan;
mod privileges;
mod progress;
mod rdns;
mod resume;
mod signals;

use std::process::ExitCode;

pub use app::{EXIT_DRIFT, EXIT_INTERRUPTED, EXIT_RUNTIME, EXIT_USAGE};

/// Runs scanfw with the process's arguments and returns its exit status: 0 done (compliant),
/// 3 drift found, 1 runtime failure, 2 bad usage or input, 130 interrupted. Call it first
/// thing in `main`: it holds SIGINT, SIGTERM and SIGHUP until its handlers are in place.
pub fn main() -> ExitCode {
    // First of all: a SIGINT, SIGTERM or SIGHUP from now on waits until the handlers are in
    // place, and then stops the scan like any other (outputs complete, exit 130).
    signals::hold_signals();
    let args: Result<Vec<String>, _> = std::env::args_os().map(|a| a.into_string()).collect();
    let Ok(args) = args else {
        progress::say("an argument is not valid UTF-8");
        return ExitCode::from(app::EXIT_USAGE);
    };
    run(args)
}

/// Runs scanfw with `args` (the program name first) as [`main`] does with the process's.
pub fn run(args: Vec<String>) -> ExitCode {
    // `scanfw diff OLD NEW`: compares two reports, scans nothing.
    if args.get(1).map(String::as_str) == Some("diff") {
        let mut rest = vec![format!("{} diff", args[0])];
        rest.extend(args[2..].iter().cloned());
        return diff::main(&rest);
    }
    match app::main(args) {
        Ok(code) => code,
        Err(failure) => {
            progress::say(&format!("{:#}", failure.error));
            ExitCode::from(failure.code)
        }
    }
}
