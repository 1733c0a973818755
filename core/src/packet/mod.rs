//! Packet building and parsing shared by the raw techniques (SYN now; UDP, FIN, NULL, Xmas, ACK,
//! Window and Maimon later).
//!
//! Everything here is pure logic over byte slices: no sockets, no clocks. Parsers take untrusted
//! bytes of any length and never panic; they return `None` for anything they cannot read.
//!
//! * [`tcp_checksum`] and [`udp_checksum`]: transport checksums over the IPv4 or IPv6
//!   pseudo-header;
//! * [`build_tcp`] and [`parse_tcp`]: a TCP header with options, and the fields of a received one;
//! * [`parse_icmp_error`] and [`icmp_verdict`]: ICMPv4 and ICMPv6 errors, the original probe they
//!   quote, and what they mean for a port (`shared/reference/port-states.md`);
//! * [`icmp_checksum`] and [`parse_icmp_query`]: ICMP query messages (echo, timestamp, address
//!   mask), sent by host discovery, and their headers received or quoted in an error
//!   ([`Quoted::icmp_query`]);
//! * [`write_ip_header`]: the IP header of every raw probe, with the engine's keyed bits.

mod checksum;
mod icmp;
mod ip;
mod tcp;

pub use checksum::{icmp_checksum, tcp_checksum, udp_checksum};
pub use icmp::{
    icmp_verdict, parse_icmp_error, parse_icmp_query, reply_icmp_verdict, IcmpError, IcmpQuery,
    Quoted, ICMP_QUERY_HEADER_LEN, IPPROTO_ICMP, IPPROTO_ICMPV6,
};
pub use ip::{ip_header_len, write_ip_header, IPV4_HEADER_LEN, IPV6_HEADER_LEN, PROBE_TTL};
pub use tcp::{build_tcp, parse_tcp, tcp_flags, TcpFields, IPPROTO_TCP, TCP_HEADER_LEN};

/// IP protocol number of UDP.
pub const IPPROTO_UDP: u8 = 17;

/// Reads a big-endian `u16` at `at`, `None` past the end.
pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

/// Reads a big-endian `u32` at `at`, `None` past the end.
pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

#[cfg(test)]
mod tests;
