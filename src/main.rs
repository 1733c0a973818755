//! The `scanfw` binary: the scanfw library ([`scanfw::main`]) with the built-in plugins. The
//! plugin crates are linked here by name, which is what registers their techniques and
//! reporters.

use scanfw_reporters as _;
use scanfw_techniques as _;

fn main() -> std::process::ExitCode {
    scanfw::main()
}
