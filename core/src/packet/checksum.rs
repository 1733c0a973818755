//! Internet checksums of TCP and UDP over the IPv4 and IPv6 pseudo-headers, and of ICMP
//! (ICMPv4 over the message alone, ICMPv6 over the IPv6 pseudo-header).

use pnet_packet::ip::{IpNextHeaderProtocol, IpNextHeaderProtocols};
use pnet_packet::util::{checksum, ipv4_checksum, ipv6_checksum};
use std::net::IpAddr;

/// Word index of the checksum field in a TCP header (bytes 16..18).
const TCP_CHECKSUM_WORD: usize = 8;
/// Word index of the checksum field in a UDP header (bytes 6..8).
const UDP_CHECKSUM_WORD: usize = 3;
/// Word index of the checksum field in an ICMP or ICMPv6 message (bytes 2..4).
const ICMP_CHECKSUM_WORD: usize = 1;

fn pseudo_checksum(
    src: IpAddr,
    dst: IpAddr,
    segment: &[u8],
    skipword: usize,
    proto: IpNextHeaderProtocol,
) -> u16 {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => ipv4_checksum(segment, skipword, &[], &s, &d, proto),
        // Mixed families never reach the wire; compute something defined rather than panic.
        (s, d) => ipv6_checksum(segment, skipword, &[], &to_v6(s), &to_v6(d), proto),
    }
}

fn to_v6(a: IpAddr) -> std::net::Ipv6Addr {
    match a {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    }
}

/// The TCP checksum of `segment` (header and payload) between `src` and `dst`.
///
/// The checksum field of `segment` (bytes 16..18) is treated as zero, so the result is the value
/// to write there, and a received segment is intact when the result equals the field. The
/// pseudo-header is IPv4's when both addresses are IPv4, IPv6's otherwise (an IPv4 address in a
/// mixed pair is taken as IPv4-mapped; such a pair is a caller error).
pub fn tcp_checksum(src: IpAddr, dst: IpAddr, segment: &[u8]) -> u16 {
    pseudo_checksum(
        src,
        dst,
        segment,
        TCP_CHECKSUM_WORD,
        IpNextHeaderProtocols::Tcp,
    )
}

/// The UDP checksum of `datagram` (header and payload) between `src` and `dst`.
///
/// The checksum field (bytes 6..8) is treated as zero. A computed checksum of zero is returned as
/// `0xffff`, since zero on the wire means "no checksum" (IPv4) or is invalid (IPv6).
pub fn udp_checksum(src: IpAddr, dst: IpAddr, datagram: &[u8]) -> u16 {
    match pseudo_checksum(
        src,
        dst,
        datagram,
        UDP_CHECKSUM_WORD,
        IpNextHeaderProtocols::Udp,
    ) {
        0 => 0xffff,
        c => c,
    }
}

/// The checksum of the ICMP message `msg` (header and data) sent from `src` to `dst`.
///
/// The checksum field of `msg` (bytes 2..4) is treated as zero, so the result is the value to
/// write there. Toward an IPv4 `dst` it is the ICMPv4 checksum, over the message alone (the
/// addresses are not used); toward an IPv6 `dst` it is the ICMPv6 checksum, which also covers
/// the IPv6 pseudo-header of `src` and `dst` with next header 58 (RFC 4443 section 2.3; an IPv4
/// `src` in that case is taken as IPv4-mapped, a caller error).
pub fn icmp_checksum(src: IpAddr, dst: IpAddr, msg: &[u8]) -> u16 {
    match dst {
        IpAddr::V4(_) => checksum(msg, ICMP_CHECKSUM_WORD),
        IpAddr::V6(d) => ipv6_checksum(
            msg,
            ICMP_CHECKSUM_WORD,
            &[],
            &to_v6(src),
            &d,
            IpNextHeaderProtocols::Icmpv6,
        ),
    }
}
