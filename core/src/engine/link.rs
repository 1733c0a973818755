//! The link-layer transport: Ethernet frames to neighbours on a directly attached network, for
//! the [`LinkProbe`](crate::discovery::LinkProbe) discovery plugins (ARP, Neighbor Discovery).
//!
//! Two pieces, both Linux-only and both for the engine's single-threaded raw driver:
//!
//! * [`on_link`] says whether a target can be asked for on the link at all, and if so from which
//!   interface, hardware address and source address ([`LinkRoute`]). It reads the calling
//!   thread's routing tables (`/proc/thread-self/net/route` and `ipv6_route`, which are
//!   `/proc/net/...` for an ordinary process) and the interface list on every call and caches
//!   nothing: one call costs two small file reads and one `getifaddrs`, cheap enough once per
//!   target; the engine caches per target.
//! * [`LinkChannel`] sends whole Ethernet frames on one interface and receives the ARP and
//!   ICMPv6 frames that arrive on it. A packet socket cannot be drained without blocking through
//!   `pnet_datalink`, so a receiver thread reads it and queues frames for the driver; the driver
//!   polls [`LinkChannel::wake_fd`] together with its raw sockets in `ppoll`, and takes frames
//!   with [`LinkChannel::try_recv`] on its own thread. Only ARP and ICMPv6 frames (the answers
//!   link probes can recognise) reach user space, and never our own outgoing frames: a kernel
//!   filter on the socket drops everything else, so a busy interface costs nothing.
//!
//! Both need `CAP_NET_RAW` for the channel only; [`on_link`] needs no privileges.

mod capture;
mod channel;
mod route;
mod route_table;
mod wake;

pub use channel::LinkChannel;
pub use route::{on_link, LinkRoute, LinkTable};
