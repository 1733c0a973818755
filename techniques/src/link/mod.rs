//! Host-discovery plugins for neighbours on a directly attached Ethernet network: nmap's `-PR`.
//!
//! Both use [`DiscoveryMethod::Link`](scanfw_core::discovery::DiscoveryMethod::Link): they write
//! whole Ethernet frames ([`LinkProbe::build`](scanfw_core::discovery::LinkProbe::build)) that
//! the engine sends on the target's interface (`scanfw_core::engine::link`), and recognise the
//! answers in received frames. No cookie exists at this layer: the engine checks that an answer
//! is addressed to our hardware address and about a host it is asking for right now.
//!
//! | name | nmap | probe | host up | IP family |
//! |---|---|---|---|---|
//! | `arp` | `-PR` | ARP request, Ethernet broadcast | `arp-response` | IPv4 only |
//! | `nd` | `-PR` | ICMPv6 Neighbor Solicitation, solicited-node multicast | `nd-response` | IPv6 only |
//!
//! Both register the letter `R` (nmap's `-PR` means ARP for IPv4 and Neighbor Discovery for
//! IPv6); a lookup by letter finds `arp`, the first by name. Both take no ports (`ports()` is
//! `[0]`), need `CAP_NET_RAW`, and answer [`ProbeBuildError::FamilyMismatch`] for a target or
//! source of the other family. Type, registration and `DiscoveryTechnique` impl are written by
//! the discovery plugins' macro (`discovery_plugin!`); each file holds its `LinkProbe` impl.
//!
//! [`ProbeBuildError::FamilyMismatch`]: scanfw_core::technique::ProbeBuildError::FamilyMismatch

mod arp;
mod nd;
#[cfg(test)]
mod testkit;

pub use arp::Arp;
pub use nd::Nd;

/// Length of an Ethernet II header (destination, source, EtherType; no VLAN tag, no FCS).
pub(crate) const ETH_HEADER_LEN: usize = 14;
/// EtherType of ARP.
pub(crate) const ETHERTYPE_ARP: u16 = 0x0806;
/// EtherType of IPv4 (ARP's protocol type for IPv4 addresses).
pub(crate) const ETHERTYPE_IPV4: u16 = 0x0800;
/// EtherType of IPv6.
pub(crate) const ETHERTYPE_IPV6: u16 = 0x86dd;

/// Writes an Ethernet II header into the first 14 bytes of `buf` (which must hold them).
pub(crate) fn write_eth(buf: &mut [u8], dst: [u8; 6], src: [u8; 6], ethertype: u16) {
    buf[0..6].copy_from_slice(&dst);
    buf[6..12].copy_from_slice(&src);
    buf[12..14].copy_from_slice(&ethertype.to_be_bytes());
}

/// The 6 bytes at `at` as a hardware address, if the frame holds them.
pub(crate) fn mac_at(frame: &[u8], at: usize) -> Option<[u8; 6]> {
    frame.get(at..at.checked_add(6)?)?.try_into().ok()
}

/// The big-endian 16-bit value at `at`, if the frame holds it.
pub(crate) fn be16_at(frame: &[u8], at: usize) -> Option<u16> {
    let b: [u8; 2] = frame.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(u16::from_be_bytes(b))
}

/// A hardware address a host can have: not all zeros, not multicast or broadcast.
pub(crate) fn unicast_mac(mac: &[u8; 6]) -> bool {
    *mac != [0; 6] && mac[0] & 1 == 0
}
