//! The `scanfw` binary: a thin shell around [`app::main`]. Plugin crates are linked here by
//! name, which is what registers their techniques and reporters.

use scanfw_reporters as _;
use scanfw_techniques as _;

mod app;
mod cli;
mod outputs;
mod plan;
mod progress;
mod rdns;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Result<Vec<String>, _> = std::env::args_os().map(|a| a.into_string()).collect();
    let Ok(args) = args else {
        eprintln!("scanfw: an argument is not valid UTF-8");
        return ExitCode::from(app::EXIT_USAGE);
    };
    match app::main(args) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("scanfw: {:#}", failure.error);
            ExitCode::from(failure.code)
        }
    }
}
