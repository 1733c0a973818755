//! # scanfw-techniques
//!
//! The technique plugins, and the host-discovery plugins for IP targets ([`discovery`]). Each
//! plugin is one small file of pure logic (what to send, what a reply means) and registers
//! itself with the core registry through `inventory`; the engine in `scanfw-core` does all
//! sending, timing and matching. Link this crate by naming it (`use scanfw_techniques as _;`) to
//! make its plugins available.

mod ack;
mod connect;
mod custom;
pub mod discovery;
mod fin;
mod flags;
mod link;
mod maimon;
mod null;
mod syn;
mod udp;
pub mod udp_payloads;
mod window;
mod xmas;

pub use ack::Ack;
pub use connect::Connect;
pub use custom::Custom;
pub use discovery::{
    IcmpEcho, IcmpNetmask, IcmpTimestamp, TcpAckPing, TcpConnectPing, TcpSynPing, UdpPing,
};
pub use fin::Fin;
pub use link::{Arp, Nd};
pub use maimon::Maimon;
pub use null::Null;
pub use syn::Syn;
pub use udp::Udp;
pub use window::Window;
pub use xmas::Xmas;
