//! # scanfw-config
//!
//! scanfw's configuration: **defaults < profile < command line**, merged into one immutable
//! [`Config`].
//!
//! * [`Layer`] is one source of settings where every field is optional; [`Layer::over`] merges
//!   two layers (the port selection, target and exclusion groups are merged as a whole).
//! * [`defaults`] is the bottom layer.
//! * [`load_profile`] / [`parse_profile`] read a TOML audit profile (see `docs/profiles.md`) into
//!   a layer; every error names the file, line, column and key.
//! * [`resolve`] reads target files, applies the timing template and explicit timing values,
//!   and checks the result.
//!
//! The binary builds a layer from its flags and calls
//! `resolve(cli.over(profile.over(defaults())))`.

mod error;
mod layer;
mod output;
mod profile;
mod resolve;
mod scope;
mod value;

pub use error::ConfigError;
pub use layer::{defaults, Layer, PrivilegeMode, ResolveMode};
pub use output::OutputSpec;
pub use profile::{load_profile, load_scope, parse_profile, parse_scope, Known, MAX_PROFILE};
pub use resolve::{resolve, Config, DiscoveryConfig};
pub use scope::ScopeSpec;
