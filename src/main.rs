//! The `scanfw` binary: a thin shell around [`app::main`]. Plugin crates are linked here by
//! name, which is what registers their techniques and reporters.

use scanfw_reporters as _;
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

fn main() -> ExitCode {
    // First of all: a SIGINT, SIGTERM or SIGHUP from now on waits until the handlers are in
    // place, and then stops the scan like any other (outputs complete, exit 130).
    signals::hold_signals();
    let args: Result<Vec<String>, _> = std::env::args_os().map(|a| a.into_string()).collect();
    let Ok(args) = args else {
        progress::say("an argument is not valid UTF-8");
        return ExitCode::from(app::EXIT_USAGE);
    };
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
