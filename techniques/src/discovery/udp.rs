//! UDP discovery (`-PU`, registry name `udp`): a datagram to each port, default 40125 as
//! nmap's `-PU` without a list (a port unlikely to be open, so that a closed port's ICMP port
//! unreachable answers).
//!
//! The probe and the reading of replies are the UDP scan's ([`Udp`]): an empty datagram, or
//! the protocol payload scanfw has for a well-known port (`-PU53` sends a DNS query), from the
//! keyed local port. Any datagram back (`udp-response`) and an ICMP port unreachable from the
//! target itself (`port-unreach`, the port is closed but the host is there) mean up; so does
//! any other ICMP error from the target itself, with its reason. ICMP errors from a router are
//! down with their reason. UDP carries no cookie: replies prove their probe by the keyed local
//! port ([`Echo::Flow`](scanfw_core::technique::Echo::Flow), `seq` 0). See [`host_answer`].

use super::{host_answer, port_list};
use crate::Udp;
use scanfw_core::discovery::{DiscoveryMethod, DiscoveryTechnique};
use scanfw_core::registry::DiscoveryDescriptor;
use scanfw_core::technique::{ProbeBuildError, ProbeContext, RawMatch, RawProbe, ReplyContext};

const NAME: &str = "udp";
const DEFAULT_PORTS: &[u16] = &[40125];

/// The UDP discovery plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpPing {
    ports: Vec<u16>,
}

impl UdpPing {
    /// The plugin probing `ports` (port 40125 when empty); port 0 is refused.
    pub fn new(ports: &[u16]) -> Result<UdpPing, String> {
        Ok(UdpPing {
            ports: port_list(NAME, ports, DEFAULT_PORTS)?,
        })
    }
}

inventory::submit! {
    DiscoveryDescriptor {
        name: NAME,
        nmap_letter: Some('U'),
        summary: "UDP datagram to each port (default 40125): a reply or port unreachable means up",
        needs_privilege: true,
        default_ports: Some(DEFAULT_PORTS),
        constructor: |p| UdpPing::new(p).map(|t| Box::new(t) as Box<dyn DiscoveryTechnique>),
    }
}

impl DiscoveryTechnique for UdpPing {
    fn name(&self) -> &'static str {
        NAME
    }
    fn method(&self) -> DiscoveryMethod<'_> {
        DiscoveryMethod::Raw(self)
    }
    fn ports(&self) -> &[u16] {
        &self.ports
    }
}

impl RawProbe for UdpPing {
    fn ip_protocol(&self) -> u8 {
        Udp.ip_protocol()
    }
    fn build(&self, ctx: &ProbeContext, buf: &mut [u8]) -> Result<usize, ProbeBuildError> {
        Udp.build(ctx, buf)
    }
    fn classify(&self, reply: &ReplyContext<'_>) -> Option<RawMatch> {
        host_answer(reply, Udp.classify(reply)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::testkit::*;
    use etherparse::{IpNumber, Ipv4Header, Ipv6Header, UdpHeader};
    use scanfw_core::technique::Echo;
    use scanfw_core::Reason;
    use std::net::IpAddr;

    const PORT: u16 = 40125;
    const FLOW: Echo = Echo::Flow { seq: 0 };

    fn plugin() -> UdpPing {
        UdpPing::new(&[]).expect("plugin")
    }

    fn probe(v6: bool, port: u16) -> Vec<u8> {
        build(&plugin(), &ctx(v6, port))
    }

    fn classify(from: IpAddr, proto: u8, pkt: &[u8]) -> Option<RawMatch> {
        plugin().classify(&reply(from, proto, pkt))
    }

    #[test]
    fn contract() {
        let t = plugin();
        assert_eq!((t.name(), t.ports()), ("udp", &[40125][..]));
        assert!(t.supports(false) && t.supports(true));
        assert_eq!(t.ip_protocol(), 17);
        assert_eq!(UdpPing::new(&[53, 161]).expect("ports").ports(), [53, 161]);
        assert!(UdpPing::new(&[0]).is_err());
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
                assert_eq!(data, crate::udp_payloads::payload_for(port));
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
        for v6 in [false, true] {
            let r = udp_reply(v6, PORT, SPORT, b"hi");
            expect_host(
                classify(target(v6), 17, &r),
                target(v6),
                PORT,
                FLOW,
                true,
                Reason::UdpResponse,
            );
            let empty = udp_reply(v6, PORT, SPORT, b"");
            assert!(classify(target(v6), 17, &empty).is_some());
            assert_eq!(classify(target(v6), 6, &r), None);
        }
    }

    #[test]
    fn icmp_errors() {
        for (v6, proto) in [(false, 1u8), (true, 58u8)] {
            let quoted = sent_packet(v6, 17, &probe(v6, PORT));
            let (unreach, host, port) = if v6 { (1, 3, 4) } else { (3, 1, 3) };
            let cases = [
                (target(v6), unreach, port, true, Reason::PortUnreach),
                (target(v6), unreach, host, true, Reason::HostUnreach),
                (router(v6), unreach, port, false, Reason::PortUnreach),
                (router(v6), unreach, host, false, Reason::HostUnreach),
            ];
            for (from, ty, code, up, reason) in cases {
                let m = classify(from, proto, &icmp_error(from, ty, code, &quoted));
                expect_host(m, target(v6), PORT, FLOW, up, reason);
            }
            // An error quoting TCP is not ours.
            let tcp = sent_packet(v6, 6, &[0x9c, 0x40, 0x9c, 0xbd, 0, 0, 0, 1]);
            let e = icmp_error(target(v6), unreach, port, &tcp);
            assert_eq!(classify(target(v6), proto, &e), None);
        }
        let quoted = sent_packet(false, 17, &probe(false, PORT));
        let e = icmp_error(target(false), 3, 2, &quoted);
        let m = classify(target(false), 1, &e);
        expect_host(m, target(false), PORT, FLOW, true, Reason::ProtoUnreach);
        let e = icmp_error(router(false), 11, 0, &quoted);
        let m = classify(router(false), 1, &e);
        expect_host(m, target(false), PORT, FLOW, false, Reason::TimeExceeded);
    }

    #[test]
    fn truncated_and_garbage() {
        for (v6, proto) in [(false, 1u8), (true, 58u8)] {
            check_prefixes(
                &plugin(),
                target(v6),
                17,
                &udp_reply(v6, PORT, SPORT, b"x"),
                8,
            );
            let quoted = sent_packet(v6, 17, &probe(v6, PORT));
            let (ty, code, ip_len) = if v6 { (1, 4, 40) } else { (3, 3, 20) };
            let err = icmp_error(target(v6), ty, code, &quoted);
            check_prefixes(&plugin(), target(v6), proto, &err, 8 + ip_len + 8);
        }
        check_garbage(&plugin());
    }
}
