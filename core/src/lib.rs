//! # scanfw-core
//!
//! The shared heart of scanfw. Everything a technique or reporter plugin needs to agree on lives
//! here, so that plugins never depend on each other:
//!
//! * [`state`]: the six nmap port states, nmap's reason names and the rules for how a port's state
//!   may change when several replies arrive;
//! * [`ports`] and [`target`]: parsing of nmap-style port and target specifications;
//! * [`services`]: scanfw's own port-to-service-name table and top-ports ranking;
//! * [`result`]: per-port and per-host results and the scan summary handed to reporters;
//! * [`audit`]: `[[expect]]` rules, their evaluation after the scan and the findings;
//! * [`technique`] and [`reporter`]: the plugin contracts;
//! * [`registry`]: the `inventory`-based plugin registry;
//! * [`timing`]: timing templates, RTT estimation and rate pacing;
//! * [`engine`]: the engine that owns sockets, clocks, retries and pacing.
//!
//! Why one crate: the engine, the types it produces and the traits it drives change together, and
//! plugin crates must be able to depend on a single, stable surface.

pub mod audit;
pub mod discovery;
pub mod engine;
pub mod packet;
pub mod ports;
pub mod registry;
pub mod reporter;
pub mod result;
pub mod scope;
pub mod services;
pub mod state;
pub mod target;
pub mod technique;
pub mod timing;

pub use discovery::{DiscoveryTechnique, HostAnswer};
pub use ports::{PortIndex, PortSet, PortSpec, Protocol};
pub use registry::{
    DiscoveryDescriptor, ReporterDescriptor, TechniqueDescriptor, TechniqueOptions,
};
pub use reporter::{ReportError, ReportOptions, Reporter, ScanStart, ScanTypeInfo};
pub use result::{HostResult, HostStatus, Hostname, HostnameKind, PortResult, ScanSummary};
pub use state::{PortState, Reason, Verdict};
pub use technique::ScanTechnique;

/// The scanner name used in every output.
pub const SCANNER_NAME: &str = "scanfw";
/// The version of scanfw, shared by every output format.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
