//! The configuration error type.

use scanfw_core::target::TargetError;
use scanfw_core::timing::TimingError;
use thiserror::Error;

/// Why a configuration was rejected. `Display` is one line, ready to print (the binary exits
/// with status 2).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The profile file could not be read.
    #[error("cannot read profile `{path}`: {detail}")]
    ReadProfile {
        /// The path as given.
        path: String,
        /// The I/O error.
        detail: String,
    },
    /// A profile is malformed or holds a bad value.
    #[error("{file}:{line}:{column}: {message}")]
    Profile {
        /// The profile path as given.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
        /// What is wrong, naming the key.
        message: String,
    },
    /// A bad `FORMAT[=PATH]` output specification.
    #[error("invalid output `{spec}`: {reason}")]
    Output {
        /// The specification as given.
        spec: String,
        /// What is wrong.
        reason: String,
    },
    /// Nothing to scan.
    #[error("no targets given: name hosts on the command line, with -iL FILE, or in the profile's targets")]
    NoTargets,
    /// A target or exclusion file could not be read.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// Inconsistent timing values.
    #[error(transparent)]
    Timing(#[from] TimingError),
    /// No scan technique selected.
    #[error("no scan technique selected: name at least one technique")]
    NoTechniques,
    /// No output selected.
    #[error("no output selected: give at least one output")]
    NoOutputs,
    /// Two outputs both write to standard output.
    #[error("only one output can go to standard output: `{first}` and `{second}` both do (write one of them to a file with FORMAT=PATH)")]
    StdoutTwice {
        /// Format of the first output.
        first: String,
        /// Format of the second output.
        second: String,
    },
    /// Two outputs write to the same file (the same path, or two paths that resolve to one
    /// file: `./x` and `x`, `d/../x`, a symbolic or hard link).
    #[error("two outputs write to the same file `{path}`{}", also_as(.path, .first))]
    SamePath {
        /// The later output's path, as given.
        path: String,
        /// The earlier output's path, as given (may be spelled differently).
        first: String,
    },
}

/// `" (also given as `first`)"` when the two spellings differ.
fn also_as(path: &str, first: &str) -> String {
    if path == first {
        String::new()
    } else {
        format!(" (also given as `{first}`)")
    }
}
