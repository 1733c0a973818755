//! The IP header the engine puts in front of every raw probe.
//!
//! The engine writes it itself (the sockets are header-included) so that the header carries
//! keyed bits that an ICMP error must quote back: the IPv4 identification or the IPv6 flow
//! label. Everything else is fixed: no options, no extension headers, TTL / hop limit 64, and
//! no "don't fragment" bit (probes are far below any MTU). The kernel fills in the IPv4 header
//! checksum and total length again on sending; both are correct here anyway.

use pnet_packet::ip::IpNextHeaderProtocol;
use pnet_packet::ipv4::{self, MutableIpv4Packet};
use pnet_packet::ipv6::MutableIpv6Packet;
use std::net::IpAddr;

/// Length of the IPv4 header written (no options).
pub const IPV4_HEADER_LEN: usize = 20;
/// Length of the IPv6 header written (no extension headers).
pub const IPV6_HEADER_LEN: usize = 40;
/// TTL and hop limit of every probe.
pub const PROBE_TTL: u8 = 64;

/// Length of the header [`write_ip_header`] writes for a packet to `dst`.
pub fn ip_header_len(dst: IpAddr) -> usize {
    match dst {
        IpAddr::V4(_) => IPV4_HEADER_LEN,
        IpAddr::V6(_) => IPV6_HEADER_LEN,
    }
}

/// Writes the IP header of a packet from `src` to `dst` carrying `payload_len` bytes of IP
/// protocol `protocol` into the start of `buf`, with `tag` as the IPv4 identification (its low
/// 16 bits) or the IPv6 flow label (its low 20 bits). Returns the header length, or `None` when
/// the families differ, `buf` is shorter than the header or the length does not fit the header.
pub fn write_ip_header(
    buf: &mut [u8],
    src: IpAddr,
    dst: IpAddr,
    protocol: u8,
    tag: u32,
    payload_len: usize,
) -> Option<usize> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let total = u16::try_from(IPV4_HEADER_LEN.checked_add(payload_len)?).ok()?;
            let mut p = MutableIpv4Packet::new(buf.get_mut(..IPV4_HEADER_LEN)?)?;
            p.set_version(4);
            p.set_header_length(5);
            p.set_dscp(0);
            p.set_ecn(0);
            p.set_total_length(total);
            p.set_identification(tag as u16);
            p.set_flags(0);
            p.set_fragment_offset(0);
            p.set_ttl(PROBE_TTL);
            p.set_next_level_protocol(IpNextHeaderProtocol::new(protocol));
            p.set_source(s);
            p.set_destination(d);
            p.set_checksum(0);
            let sum = ipv4::checksum(&p.to_immutable());
            p.set_checksum(sum);
            Some(IPV4_HEADER_LEN)
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let len = u16::try_from(payload_len).ok()?;
            let mut p = MutableIpv6Packet::new(buf.get_mut(..IPV6_HEADER_LEN)?)?;
            p.set_version(6);
            p.set_traffic_class(0);
            p.set_flow_label(tag & 0x000f_ffff);
            p.set_payload_length(len);
            p.set_next_header(IpNextHeaderProtocol::new(protocol));
            p.set_hop_limit(PROBE_TTL);
            p.set_source(s);
            p.set_destination(d);
            Some(IPV6_HEADER_LEN)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{IpNumber, Ipv4HeaderSlice, Ipv6HeaderSlice};

    #[test]
    fn ipv4_header_carries_the_tag_and_a_valid_checksum() {
        let mut buf = [0xffu8; 64];
        let (s, d) = (
            "198.18.0.1".parse().expect("ip"),
            "198.18.0.2".parse().expect("ip"),
        );
        let n = write_ip_header(&mut buf, s, d, 17, 0xabcd_1234, 30).expect("header");
        assert_eq!(n, 20);
        let h = Ipv4HeaderSlice::from_slice(&buf[..n]).expect("parse");
        assert_eq!(h.identification(), 0x1234);
        assert_eq!(
            (h.total_len(), h.ttl(), h.protocol()),
            (50, 64, IpNumber::UDP)
        );
        assert!(!h.dont_fragment() && !h.more_fragments() && h.fragments_offset().value() == 0);
        assert_eq!(h.header_checksum(), h.to_header().calc_header_checksum());
        assert_eq!(
            (h.source(), h.destination()),
            ([198, 18, 0, 1], [198, 18, 0, 2])
        );
    }

    #[test]
    fn ipv6_header_carries_the_flow_label() {
        let mut buf = [0xffu8; 64];
        let (s, d) = (
            "fd00::1".parse().expect("ip"),
            "fd00::2".parse().expect("ip"),
        );
        let n = write_ip_header(&mut buf, s, d, 6, 0xfff5_4321, 24).expect("header");
        assert_eq!(n, 40);
        let h = Ipv6HeaderSlice::from_slice(&buf[..n]).expect("parse");
        assert_eq!(h.flow_label().value(), 0x5_4321);
        assert_eq!((h.payload_length(), h.hop_limit()), (24, 64));
        assert_eq!((h.next_header(), h.traffic_class()), (IpNumber::TCP, 0));
    }

    #[test]
    fn bad_arguments_write_nothing() {
        let (v4, v6): (IpAddr, IpAddr) = (
            "198.18.0.1".parse().expect("ip"),
            "fd00::1".parse().expect("ip"),
        );
        assert_eq!(write_ip_header(&mut [0; 64], v4, v6, 6, 0, 0), None);
        assert_eq!(write_ip_header(&mut [0; 19], v4, v4, 6, 0, 0), None);
        assert_eq!(write_ip_header(&mut [0; 64], v4, v4, 6, 0, 65_516), None);
        assert_eq!(write_ip_header(&mut [0; 64], v6, v6, 6, 0, 65_536), None);
    }
}
