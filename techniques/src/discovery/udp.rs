//! UDP discovery (`-PU`, registry name `udp`): a datagram to each port, default 40125 as
//! nmap's `-PU` without a list (a port unlikely to be open, so that a closed port's ICMP port
//! unreachable answers).
//!
//! The probe and the reading of replies are the UDP scan's ([`Udp`]): an empty datagram, or
//! the protocol payload scanfw has for a well-known port (`-PU53` sends a DNS query), from the
//! keyed local port. Any datagram back (`udp-response`) and an ICMP port unreachable from the
//! target itself (`port-unreach`, the port is closed but the host is there) mean up; so does
//! any other ICMP error from the target itself, with its reason. ICMP errors from a router are
//! down with their reason. How a datagram proves its probe is the UDP scan's too: a payload
//! whose protocol echoes a request field (the DNS ID of `-PU53`, an SNMP request-id, ...)
//! carries keyed cookie bits there and a reply must echo them
//! ([`Echo::Stamp`](scanfw_core::technique::Echo::Stamp); a reply without them is no match); an
//! empty datagram or a payload without such a field is proven by the keyed local port alone
//! ([`Echo::Flow`](scanfw_core::technique::Echo::Flow), `seq` 0), as are ICMP errors (whose
//! quoted IP header the engine checks). See [`port_ping`](super::port_ping).

use super::discovery_plugin;
use super::port_ping::AsPing;
use crate::Udp;

discovery_plugin! {
    /// The UDP discovery plugin.
    pub struct UdpPing { ports: Vec<u16> = [40125] }
    name: "udp", letter: Some('U'), privileged: true,
    summary: "UDP datagram to each port (default 40125): a reply or port unreachable means up",
    method: Raw(AsPing(Udp)),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::testkit::*;
    use etherparse::{IpNumber, Ipv4Header, Ipv6Header, UdpHeader};
    use scanfw_core::technique::Echo;
    use scanfw_core::Reason;

    const PORT: u16 = 40125;

    fn probe(v6: bool, port: u16) -> Vec<u8> {
        build(&UdpPing::new(&[]).expect("plugin"), &ctx(v6, port))
    }

    #[test]
    fn probe_bytes() {
        let p = probe(false, PORT);
        #[rustfmt::skip]
        let want: [u8; 8] = [
            0x9c, 0x40, 0x9c, 0xbd, // ports 40000 -> 40125
            0x00, 0x08,             // length: header only
            0xda, 0xa3,             // checksum
        ];
        assert_eq!(p, want);
        for v6 in [false, true] {
            for port in [PORT, 53] {
                let p = probe(v6, port);
                let (h, data) = UdpHeader::from_slice(&p).expect("parse");
                assert_eq!((h.source_port, h.destination_port), (SPORT, port));
                assert_eq!(usize::from(h.length), p.len());
                let mut keyed = [0u8; 512];
                let n =
                    crate::udp_payloads::build_payload(port, COOKIE, &mut keyed).expect("payload");
                assert_eq!(data, &keyed[..n], "the scan's keyed payload");
                let sum = if v6 {
                    let ip = Ipv6Header {
                        payload_length: h.length,
                        next_header: IpNumber::UDP,
                        source: ME6,
                        destination: TARGET6,
                        ..Default::default()
                    };
                    h.calc_checksum_ipv6(&ip, data)
                } else {
                    let ip =
                        Ipv4Header::new(h.length, 64, IpNumber::UDP, ME4, TARGET4).expect("ip");
                    h.calc_checksum_ipv4(&ip, data)
                };
                assert_eq!(Ok(h.checksum), sum, "v6={v6} port={port}");
            }
        }
        assert!(!probe(false, 53)[8..].is_empty(), "a DNS query to port 53");
    }

    #[test]
    fn a_datagram_back_is_up() {
        let p = UdpPing::new(&[]).expect("plugin");
        for v6 in [false, true] {
            let r = udp_reply(v6, PORT, SPORT, b"hi");
            expect_host(
                classify(&p, target(v6), 17, &r),
                target(v6),
                PORT,
                FLOW,
                true,
                Reason::UdpResponse,
            );
            let empty = udp_reply(v6, PORT, SPORT, b"");
            assert!(classify(&p, target(v6), 17, &empty).is_some());
        }
    }

    #[test]
    fn a_payload_port_reply_must_echo_the_keyed_field() {
        let p = UdpPing::new(&[53]).expect("plugin");
        // A DNS reply header with the probe's ID: QR|RD|RA, no records.
        let id = (COOKIE as u16).to_be_bytes();
        let dns = [id[0], id[1], 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0];
        let stamp = Echo::Stamp {
            value: COOKIE & 0xffff,
            mask: 0xffff,
        };
        for v6 in [false, true] {
            let r = udp_reply(v6, 53, SPORT, &dns);
            expect_host(
                classify(&p, target(v6), 17, &r),
                target(v6),
                53,
                stamp,
                true,
                Reason::UdpResponse,
            );
            let junk = udp_reply(v6, 53, SPORT, b"hi");
            assert_eq!(classify(&p, target(v6), 17, &junk), None, "no ID, no match");
        }
    }
}
