//! The UDP scan (`-sU`): a datagram to each port, with a protocol payload where scanfw has one
//! (see `udp_payloads` and docs/udp-payloads.md) and an empty datagram elsewhere.
//!
//! A UDP datagram back from the probed port is `open` (`udp-response`). ICMP port unreachable
//! from the target itself is `closed`; from any other host (a router) it is `filtered`, as is
//! every other ICMP unreachable. Silence is `open|filtered`.
//!
//! UDP carries no sequence number, so how a datagram proves its probe depends on the payload:
//! * a payload whose protocol echoes a request field (DNS ID, RPC xid, SNMP request-id, NTP
//!   transmit timestamp, ...) carries keyed bits of the probe's cookie there, and a reply must
//!   echo them: [`Echo::Stamp`], which the engine verifies. A reply from such a port without the
//!   field (too short, unparseable, another message) is not a match at all, so forged junk
//!   never opens a port;
//! * an empty datagram, or a payload without such a field (SSDP, RIP, TFTP): the keyed source
//!   port alone ([`Echo::Flow`], `seq` 0), which the engine counts as unverified.
//!
//! ICMP errors quoting a probe are [`Echo::Flow`] too: the engine checks the keyed IPv4
//! identification or IPv6 flow label of the quoted header itself.

use crate::udp_payloads::{build_payload, payload_for, reply_echo};
use scanfw_core::packet::{self, parse_icmp_error, reply_icmp_verdict, IcmpError};
use scanfw_core::registry::TechniqueDescriptor;
use scanfw_core::technique::{
    Echo, ProbeBuildError, ProbeContext, ProbeMethod, RawMatch, RawProbe, ReplyContext,
};
use scanfw_core::{PortState, Protocol, Reason, ScanTechnique, Verdict};
use std::net::SocketAddr;

const UDP_HEADER: usize = 8;

/// The UDP technique.
#[derive(Debug, Default, Clone, Copy)]
pub struct Udp;

inventory::submit! {
    TechniqueDescriptor {
        name: "udp",
        nmap_letter: Some('U'),
        summary: "UDP scan: protocol payloads for common services, ICMP rate limits detected and paced to",
        needs_privilege: true,
        fallback: None,
        constructor: |o| o.plain("udp").map(|()| Box::new(Udp) as Box<dyn scanfw_core::ScanTechnique>),
    }
}

impl ScanTechnique for Udp {
    fn name(&self) -> &'static str {
        "udp"
    }
    fn protocol(&self) -> Protocol {
        Protocol::Udp
    }
    fn scan_type(&self) -> &'static str {
        "udp"
    }
    fn on_silence(&self) -> Verdict {
        Verdict::new(PortState::OpenFiltered, Reason::NoResponse)
    }
    fn probe(&self) -> ProbeMethod<'_> {
        ProbeMethod::Raw(self)
    }
}

impl RawProbe for Udp {
    fn ip_protocol(&self) -> u8 {
        packet::IPPROTO_UDP
    }

    fn build(&self, ctx: &ProbeContext, buf: &mut [u8]) -> Result<usize, ProbeBuildError> {
        if ctx.src.is_ipv4() != ctx.dst.is_ipv4() {
            return Err(ProbeBuildError::FamilyMismatch);
        }
        let port = ctx.dst.port();
        let len = UDP_HEADER + payload_for(port).len();
        if buf.len() < len {
            return Err(ProbeBuildError::BufferTooSmall(len));
        }
        let wire_len = u16::try_from(len).map_err(|_| ProbeBuildError::BufferTooSmall(len))?;
        buf[0..2].copy_from_slice(&ctx.src.port().to_be_bytes());
        buf[2..4].copy_from_slice(&port.to_be_bytes());
        buf[4..6].copy_from_slice(&wire_len.to_be_bytes());
        buf[6..8].copy_from_slice(&[0, 0]);
        build_payload(port, ctx.cookie, &mut buf[UDP_HEADER..len])
            .ok_or(ProbeBuildError::BufferTooSmall(len))?;
        let sum = packet::udp_checksum(ctx.src.ip(), ctx.dst.ip(), &buf[..len]);
        buf[6..8].copy_from_slice(&sum.to_be_bytes());
        Ok(len)
    }

    fn classify(&self, reply: &ReplyContext<'_>) -> Option<RawMatch> {
        match reply.ip_protocol {
            packet::IPPROTO_UDP => {
                let d = reply.payload;
                if d.len() < UDP_HEADER {
                    return None;
                }
                let src_port = u16::from_be_bytes([d[0], d[1]]);
                let dst_port = u16::from_be_bytes([d[2], d[3]]);
                Some(RawMatch {
                    target: SocketAddr::new(reply.from, src_port),
                    local_port: dst_port,
                    echo: reply_echo(src_port, udp_data(d))?,
                    verdict: Verdict {
                        state: PortState::Open,
                        reason: Reason::UdpResponse,
                        reason_ttl: reply.ttl,
                    },
                })
            }
            packet::IPPROTO_ICMP | packet::IPPROTO_ICMPV6 => {
                let (err, quoted) = parse_icmp_error(reply)?;
                if quoted.protocol != packet::IPPROTO_UDP {
                    return None;
                }
                let (sport, dport) = (quoted.src_port()?, quoted.dst_port()?);
                let port_unreach = matches!(
                    (reply.ip_protocol, err),
                    (packet::IPPROTO_ICMP, IcmpError::DestUnreachable { code: 3 })
                        | (
                            packet::IPPROTO_ICMPV6,
                            IcmpError::DestUnreachable { code: 4 }
                        )
                );
                let verdict = if port_unreach && reply.from == quoted.dst {
                    // Only the target itself says its port is closed.
                    Verdict {
                        state: PortState::Closed,
                        reason: Reason::PortUnreach,
                        reason_ttl: reply.ttl,
                    }
                } else {
                    reply_icmp_verdict(reply, &err)?
                };
                Some(RawMatch {
                    target: SocketAddr::new(quoted.dst, dport),
                    local_port: sport,
                    echo: Echo::Flow { seq: 0 },
                    verdict,
                })
            }
            _ => None,
        }
    }
}

/// The data of the UDP datagram `d` (header included): up to the header's length field when
/// that is consistent, else everything after the header (a length of 0 is an IPv6 jumbogram's,
/// RFC 2675 s4; a larger one than the bytes is a truncated capture).
fn udp_data(d: &[u8]) -> &[u8] {
    let len = d
        .get(4..6)
        .map_or(0, |l| usize::from(u16::from_be_bytes([l[0], l[1]])));
    d.get(UDP_HEADER..len)
        .or_else(|| d.get(UDP_HEADER..))
        .unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{IpNumber, Ipv4Header, Ipv6Header, PacketBuilder, UdpHeader};
    use std::net::IpAddr;

    fn ctx(v6: bool, dport: u16) -> ProbeContext {
        let (src, dst): (IpAddr, IpAddr) = if v6 {
            (
                "2001:db8::1".parse().expect("ip"),
                "2001:db8::7".parse().expect("ip"),
            )
        } else {
            (
                "192.0.2.1".parse().expect("ip"),
                "198.51.100.7".parse().expect("ip"),
            )
        };
        ProbeContext {
            src: SocketAddr::new(src, 40001),
            dst: SocketAddr::new(dst, dport),
            cookie: COOKIE,
        }
    }

    /// The cookie of the test probes; its low 16 bits are what a DNS ID echoes.
    const COOKIE: u32 = 0x1234_5673;

    #[test]
    fn descriptor_and_contract() {
        assert_eq!(
            scanfw_core::registry::technique("U").map(|d| d.name).ok(),
            Some("udp")
        );
        let u = Udp;
        assert_eq!(
            (u.name(), u.scan_type(), u.protocol()),
            ("udp", "udp", Protocol::Udp)
        );
        assert_eq!(
            u.on_silence(),
            Verdict::new(PortState::OpenFiltered, Reason::NoResponse)
        );
        assert!(u.silence_is_open());
    }

    #[test]
    fn probes_carry_the_payload_and_a_valid_checksum() {
        for v6 in [false, true] {
            for port in [53u16, 161, 9999] {
                let c = ctx(v6, port);
                let mut buf = [0u8; 1500];
                let n = Udp.build(&c, &mut buf).expect("build");
                let mut payload = [0u8; 512];
                let len = build_payload(port, COOKIE, &mut payload).expect("payload");
                assert_eq!((n, len), (8 + payload_for(port).len(), n - 8));
                assert_eq!(&buf[8..n], &payload[..len], "the keyed payload");
                let (hdr, _) = UdpHeader::from_slice(&buf[..n]).expect("udp header");
                assert_eq!(
                    (
                        hdr.source_port,
                        hdr.destination_port,
                        usize::from(hdr.length)
                    ),
                    (40001, port, n)
                );
                let expect = match (c.src.ip(), c.dst.ip()) {
                    (IpAddr::V4(s), IpAddr::V4(d)) => {
                        let ip =
                            Ipv4Header::new(hdr.length, 64, IpNumber::UDP, s.octets(), d.octets())
                                .expect("ip4");
                        hdr.calc_checksum_ipv4(&ip, &buf[8..n]).expect("sum")
                    }
                    (IpAddr::V6(s), IpAddr::V6(d)) => {
                        let ip = Ipv6Header {
                            payload_length: hdr.length,
                            next_header: IpNumber::UDP,
                            hop_limit: 64,
                            source: s.octets(),
                            destination: d.octets(),
                            ..Default::default()
                        };
                        hdr.calc_checksum_ipv6(&ip, &buf[8..n]).expect("sum")
                    }
                    _ => unreachable!(),
                };
                assert_eq!(hdr.checksum, expect, "v6={v6} port={port}");
            }
        }
        let mut tiny = [0u8; 10];
        assert_eq!(
            Udp.build(&ctx(false, 53), &mut tiny),
            Err(ProbeBuildError::BufferTooSmall(25))
        );
    }

    fn reply<'a>(from: IpAddr, proto: u8, payload: &'a [u8]) -> ReplyContext<'a> {
        let to: IpAddr = if from.is_ipv4() {
            "192.0.2.1".parse().expect("ip")
        } else {
            "2001:db8::1".parse().expect("ip")
        };
        ReplyContext {
            from,
            to,
            ttl: 61,
            ip_protocol: proto,
            payload,
        }
    }

    /// A datagram from 198.51.100.7:`sport` to our port 40001, as its IP payload.
    fn datagram(sport: u16, data: &[u8]) -> Vec<u8> {
        let mut pkt = Vec::new();
        PacketBuilder::ipv4([198, 51, 100, 7], [192, 0, 2, 1], 61)
            .udp(sport, 40001)
            .write(&mut pkt, data)
            .expect("build");
        pkt.split_off(20)
    }

    #[test]
    fn a_datagram_back_is_open() {
        let from: IpAddr = "198.51.100.7".parse().expect("ip");
        let pkt = datagram(9999, b"answer");
        let m = Udp.classify(&reply(from, 17, &pkt)).expect("match");
        assert_eq!(m.target, SocketAddr::new(from, 9999));
        assert_eq!(m.local_port, 40001);
        assert_eq!(m.echo, Echo::Flow { seq: 0 }, "no payload, no stamp");
        assert_eq!(
            m.verdict,
            Verdict {
                state: PortState::Open,
                reason: Reason::UdpResponse,
                reason_ttl: 61
            }
        );
        assert_eq!(
            Udp.classify(&reply(from, 17, &pkt[..7])),
            None,
            "truncated header"
        );
        let ssdp = Udp
            .classify(&reply(
                from,
                17,
                &datagram(1900, b"HTTP/1.1 200 OK\r\n\r\n"),
            ))
            .expect("SSDP has no echoed field");
        assert_eq!(ssdp.echo, Echo::Flow { seq: 0 });
    }

    #[test]
    fn a_payload_port_reply_must_echo_its_field() {
        let from: IpAddr = "198.51.100.7".parse().expect("ip");
        // A DNS reply header: ID, QR|RD|RA, no records.
        let mut dns = vec![0x56, 0x73, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0];
        let m = Udp
            .classify(&reply(from, 17, &datagram(53, &dns)))
            .expect("match");
        let stamp = Echo::Stamp {
            value: COOKIE & 0xffff,
            mask: 0xffff,
        };
        assert_eq!(m.echo, stamp);
        assert_eq!(
            (m.verdict.state, m.verdict.reason),
            (PortState::Open, Reason::UdpResponse)
        );
        dns[0] ^= 0x80;
        let other = Udp
            .classify(&reply(from, 17, &datagram(53, &dns)))
            .expect("match");
        let Echo::Stamp { value, mask } = other.echo else {
            panic!("{:?}", other.echo);
        };
        assert_ne!((value ^ COOKIE) & mask, 0, "another ID does not verify");
        for junk in [&b""[..], b"answer", &dns[..11]] {
            assert_eq!(
                Udp.classify(&reply(from, 17, &datagram(53, junk))),
                None,
                "{junk:?}"
            );
        }
        // The header's length field bounds the data: trailing bytes are not the message.
        let mut long = datagram(53, &dns[..11]);
        long.push(0);
        assert_eq!(
            Udp.classify(&reply(from, 17, &long)),
            None,
            "padding is not data"
        );
        long[4..6].copy_from_slice(&0u16.to_be_bytes());
        assert!(
            Udp.classify(&reply(from, 17, &long)).is_some(),
            "length 0: all of it"
        );
    }

    /// An ICMPv4 error from `from` quoting our probe to 198.51.100.7:`dport`.
    fn icmp4(from: [u8; 4], kind: u8, code: u8, dport: u16) -> Vec<u8> {
        let mut quoted = Vec::new();
        PacketBuilder::ipv4([192, 0, 2, 1], [198, 51, 100, 7], 64)
            .udp(40001, dport)
            .write(&mut quoted, b"")
            .expect("q");
        let mut msg = vec![kind, code, 0, 0, 0, 0, 0, 0];
        msg.extend_from_slice(&quoted);
        let _ = from;
        msg
    }

    #[test]
    fn port_unreachable_from_the_target_is_closed_from_a_router_filtered() {
        let target: IpAddr = "198.51.100.7".parse().expect("ip");
        let router: IpAddr = "203.0.113.9".parse().expect("ip");
        let msg = icmp4([198, 51, 100, 7], 3, 3, 161);
        let m = Udp.classify(&reply(target, 1, &msg)).expect("match");
        assert_eq!(
            (m.target, m.local_port),
            (SocketAddr::new(target, 161), 40001)
        );
        assert_eq!(
            (m.verdict.state, m.verdict.reason, m.verdict.reason_ttl),
            (PortState::Closed, Reason::PortUnreach, 61)
        );
        let m = Udp.classify(&reply(router, 1, &msg)).expect("match");
        assert_eq!(
            (m.verdict.state, m.verdict.reason),
            (PortState::Filtered, Reason::PortUnreach)
        );
        for (code, reason) in [
            (0, Reason::NetUnreach),
            (1, Reason::HostUnreach),
            (13, Reason::AdminProhibited),
            (10, Reason::HostProhibited),
        ] {
            let m = Udp
                .classify(&reply(target, 1, &icmp4([0; 4], 3, code, 161)))
                .expect("match");
            assert_eq!(
                (m.verdict.state, m.verdict.reason),
                (PortState::Filtered, reason),
                "code {code}"
            );
        }
        assert_eq!(
            Udp.classify(&reply(target, 1, &icmp4([0; 4], 3, 4, 161))),
            None,
            "ignored code"
        );
        let m = Udp
            .classify(&reply(router, 1, &icmp4([0; 4], 11, 0, 161)))
            .expect("time exceeded");
        assert_eq!(
            (m.verdict.state, m.verdict.reason),
            (PortState::Filtered, Reason::TimeExceeded)
        );
    }

    #[test]
    fn icmpv6_port_unreachable_from_the_target_is_closed() {
        let target: IpAddr = "2001:db8::7".parse().expect("ip");
        let mut quoted = Vec::new();
        PacketBuilder::ipv6(
            "2001:db8::1"
                .parse::<std::net::Ipv6Addr>()
                .expect("ip")
                .octets(),
            "2001:db8::7"
                .parse::<std::net::Ipv6Addr>()
                .expect("ip")
                .octets(),
            64,
        )
        .udp(40001, 53)
        .write(&mut quoted, b"")
        .expect("q");
        let mut msg = vec![1, 4, 0, 0, 0, 0, 0, 0];
        msg.extend_from_slice(&quoted);
        let m = Udp.classify(&reply(target, 58, &msg)).expect("match");
        assert_eq!(
            (m.verdict.state, m.verdict.reason),
            (PortState::Closed, Reason::PortUnreach)
        );
        msg[1] = 1;
        let m = Udp.classify(&reply(target, 58, &msg)).expect("match");
        assert_eq!(
            (m.verdict.state, m.verdict.reason),
            (PortState::Filtered, Reason::AdminProhibited)
        );
    }

    #[test]
    fn garbage_and_tcp_quotes_never_match() {
        let target: IpAddr = "198.51.100.7".parse().expect("ip");
        let mut quoted = Vec::new();
        PacketBuilder::ipv4([192, 0, 2, 1], [198, 51, 100, 7], 64)
            .tcp(40001, 80, 1, 1024)
            .write(&mut quoted, b"")
            .expect("q");
        let mut msg = vec![3, 3, 0, 0, 0, 0, 0, 0];
        msg.extend_from_slice(&quoted);
        assert_eq!(
            Udp.classify(&reply(target, 1, &msg)),
            None,
            "a TCP probe's error is not ours"
        );
        let full = icmp4([0; 4], 3, 3, 53);
        for cut in 0..full.len() {
            let _ = Udp.classify(&reply(target, 1, &full[..cut]));
        }
        assert_eq!(Udp.classify(&reply(target, 6, &full)), None);
    }
}
