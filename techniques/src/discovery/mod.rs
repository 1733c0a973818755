//! Host-discovery plugins for IP targets: nmap's `-PE`, `-PP`, `-PM`, `-PS`, `-PA`, `-PU` and the
//! unprivileged connect ping. (ARP and Neighbor Discovery live elsewhere.)
//!
//! Each plugin implements [`DiscoveryTechnique`](scanfw_core::discovery::DiscoveryTechnique) and
//! registers a [`DiscoveryDescriptor`](scanfw_core::registry::DiscoveryDescriptor):
//!
//! | name | nmap | probe | host up | default ports |
//! |---|---|---|---|---|
//! | `icmp-echo` | `-PE` | ICMP / ICMPv6 echo request | `echo-reply` | none |
//! | `icmp-timestamp` | `-PP` | ICMP timestamp request (IPv4 only) | `timestamp-reply` | none |
//! | `icmp-netmask` | `-PM` | ICMP address mask request (IPv4 only) | `addressmask-reply` | none |
//! | `tcp-syn` | `-PS` | TCP SYN | `syn-ack`, `reset` | 80 |
//! | `tcp-ack` | `-PA` | TCP ACK | `reset` | 80 |
//! | `udp` | `-PU` | UDP datagram | `udp-response`, `port-unreach` | 40125 |
//! | `tcp-connect` | none | `connect()` | `syn-ack`, `conn-refused` | 80, 443 |
//!
//! The raw ones need `CAP_NET_RAW`. The TCP and UDP plugins send exactly the probes of the
//! SYN, ACK and UDP port scans and read their replies with the same code (the port techniques'
//! [`RawProbe`](scanfw_core::technique::RawProbe) impls); `port_ping.rs` then turns the port
//! verdict into a host verdict. The ICMP plugins are one query builder and reader
//! (`icmp.rs`, whose docs give the probe layout and the matching rules) with each its own
//! request and reply types, reason and echoed data. Every plugin, the link-layer ones too, is
//! declared by one macro (`plugin.rs`: type, port list, registration); a plugin's file holds
//! only what is its own.
//!
//! # ICMP errors
//!
//! An ICMP error quoting one of our probes says something about the host only through whoever
//! sent it. When it comes from the probed address itself (`port-unreach` for a UDP or TCP
//! probe, `proto-unreach`, ...), the host answered: it is up, with the ICMP reason. When it
//! comes from any other address (a router's `host-unreach`, `net-unreach`, `time-exceeded`,
//! ...), the host is reported unreachable with that reason. ICMP types and codes that the shared
//! table ([`icmp_verdict`](scanfw_core::packet::icmp_verdict)) gives no reason (fragmentation
//! needed, parameter problem, ...) say nothing.
//!
//! # Ports
//!
//! A plugin with ports is built from the user's list (`-PS22,80`); an empty list means the
//! descriptor's default ports. Port 0 is refused, duplicates are dropped (first occurrence
//! kept). A port-less plugin refuses any list, and its `ports()` is `[0]`.

mod icmp;
mod icmp_echo;
mod icmp_netmask;
#[cfg(test)]
mod icmp_tests;
mod icmp_timestamp;
mod plugin;
mod port_ping;
#[cfg(test)]
mod port_ping_tests;
mod tcp_ack;
mod tcp_connect;
mod tcp_syn;
#[cfg(test)]
mod testkit;
mod udp;

pub use icmp_echo::IcmpEcho;
pub use icmp_netmask::IcmpNetmask;
pub use icmp_timestamp::IcmpTimestamp;
pub use tcp_ack::TcpAckPing;
pub use tcp_connect::TcpConnectPing;
pub use tcp_syn::TcpSynPing;
pub use udp::UdpPing;

pub(crate) use plugin::{discovery_plugin, no_ports, port_list, NO_PORTS};
