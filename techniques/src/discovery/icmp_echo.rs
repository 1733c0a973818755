//! ICMP echo discovery (`-PE`, registry name `icmp-echo`): the classic ping, for both families.
//!
//! Probe: an ICMPv4 echo request (type 8) to an IPv4 target, an ICMPv6 echo request (type 128)
//! to an IPv6 one; identifier = keyed local port, sequence number = low 16 bits of the cookie,
//! 16 data bytes: the cookie, then the fixed text `scanfw-probe`. 24 bytes in all. The checksum
//! is ICMPv4's over the message, or ICMPv6's over the IPv6 pseudo-header too (the kernel
//! recomputes that one for raw ICMPv6 sockets; it is written correctly anyway).
//!
//! An echo reply (type 0 / 129) copying identifier, sequence and cookie means the host is up
//! (`echo-reply`). Echo requests, ours seen on loopback included, are not replies. ICMP errors
//! quoting the request follow [the shared rules](super::icmp). The IP protocol is 1 over IPv4
//! and 58 over IPv6 ([`RawProbe::ip_protocol_for`]).

use super::icmp::{Query, Types};
use super::{no_ports, NO_PORTS};
use scanfw_core::discovery::{DiscoveryMethod, DiscoveryTechnique};
use scanfw_core::packet::{IPPROTO_ICMP, IPPROTO_ICMPV6};
use scanfw_core::registry::DiscoveryDescriptor;
use scanfw_core::technique::{ProbeBuildError, ProbeContext, RawMatch, RawProbe, ReplyContext};
use scanfw_core::Reason;

const NAME: &str = "icmp-echo";

/// Cookie placeholder, then a fixed text.
const BODY: &[u8; 16] = b"\0\0\0\0scanfw-probe";

const ECHO: Query = Query {
    name: "ICMP echo request",
    v4: Types {
        request: 8,
        reply: 0,
    },
    v6: Some(Types {
        request: 128,
        reply: 129,
    }),
    reason: Reason::EchoReply,
    body: BODY,
    echoes_cookie: true,
    reply_len: 12,
};

/// The ICMP echo discovery plugin.
#[derive(Debug, Default, Clone, Copy)]
pub struct IcmpEcho;

impl IcmpEcho {
    /// The plugin; it takes no ports, so `ports` must be empty.
    pub fn new(ports: &[u16]) -> Result<IcmpEcho, String> {
        no_ports(NAME, ports).map(|()| IcmpEcho)
    }
}

inventory::submit! {
    DiscoveryDescriptor {
        name: NAME,
        nmap_letter: Some('E'),
        summary: "ICMP echo request (ping), IPv4 and IPv6: an echo reply means up",
        needs_privilege: true,
        default_ports: None,
        constructor: |p| IcmpEcho::new(p).map(|t| Box::new(t) as Box<dyn DiscoveryTechnique>),
    }
}

impl DiscoveryTechnique for IcmpEcho {
    fn name(&self) -> &'static str {
        NAME
    }
    fn method(&self) -> DiscoveryMethod<'_> {
        DiscoveryMethod::Raw(self)
    }
    fn ports(&self) -> &[u16] {
        NO_PORTS
    }
}

impl RawProbe for IcmpEcho {
    fn ip_protocol(&self) -> u8 {
        IPPROTO_ICMP
    }
    fn ip_protocol_for(&self, v6: bool) -> u8 {
        if v6 {
            IPPROTO_ICMPV6
        } else {
            IPPROTO_ICMP
        }
    }
    fn build(&self, ctx: &ProbeContext, buf: &mut [u8]) -> Result<usize, ProbeBuildError> {
        ECHO.build(ctx, buf)
    }
    fn classify(&self, reply: &ReplyContext<'_>) -> Option<RawMatch> {
        ECHO.classify(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::testkit::*;
    use etherparse::{Icmpv4Slice, Icmpv4Type, Icmpv6Slice, Icmpv6Type};
    use scanfw_core::technique::Echo;

    fn probe(v6: bool) -> Vec<u8> {
        build(&IcmpEcho, &ctx(v6, 0))
    }

    /// Our request turned into the target's reply: type changed, checksum left alone (not
    /// verified).
    fn echo_reply(v6: bool) -> Vec<u8> {
        let mut p = probe(v6);
        p[0] = if v6 { 129 } else { 0 };
        p
    }

    fn classify(from: IpAddr, proto: u8, pkt: &[u8]) -> Option<RawMatch> {
        IcmpEcho.classify(&reply(from, proto, pkt))
    }

    use std::net::IpAddr;

    #[test]
    fn contract() {
        assert_eq!(IcmpEcho.name(), "icmp-echo");
        assert_eq!(IcmpEcho.ports(), [0]);
        assert!(IcmpEcho.supports(false) && IcmpEcho.supports(true));
        assert_eq!(IcmpEcho.ip_protocol(), 1);
        assert_eq!(IcmpEcho.ip_protocol_for(false), 1);
        assert_eq!(IcmpEcho.ip_protocol_for(true), 58);
        assert!(IcmpEcho::new(&[]).is_ok());
        assert!(IcmpEcho::new(&[80]).is_err());
    }

    #[test]
    fn probe_bytes_v4() {
        let p = probe(false);
        #[rustfmt::skip]
        let want: [u8; 24] = [
            8, 0,                   // echo request, code 0
            0xc1, 0xa3,             // checksum
            0x9c, 0x40,             // identifier = local port 40000
            0xbe, 0xef,             // sequence = low half of the cookie
            0xde, 0xad, 0xbe, 0xef, // cookie
            b's', b'c', b'a', b'n', b'f', b'w', b'-', b'p', b'r', b'o', b'b', b'e',
        ];
        assert_eq!(p, want);
        let s = Icmpv4Slice::from_slice(&p).expect("parse");
        let Icmpv4Type::EchoRequest(h) = s.icmp_type() else {
            panic!("{:?}", s.icmp_type())
        };
        assert_eq!((h.id, h.seq), (SPORT, 0xbeef));
        assert_eq!(s.payload(), &p[8..]);
        let sum = etherparse::Icmpv4Header::with_checksum(s.icmp_type(), s.payload()).checksum;
        assert_eq!(s.checksum(), sum);
    }

    #[test]
    fn probe_bytes_v6() {
        let p = probe(true);
        assert_eq!(p.len(), 24);
        assert_eq!((p[0], p[1]), (128, 0));
        assert_eq!(&p[4..], &probe(false)[4..], "same fields as IPv4");
        let s = Icmpv6Slice::from_slice(&p).expect("parse");
        let Icmpv6Type::EchoRequest(h) = s.icmp_type() else {
            panic!("{:?}", s.icmp_type())
        };
        assert_eq!((h.id, h.seq), (SPORT, 0xbeef));
        assert!(s.is_checksum_valid(ME6, TARGET6), "pseudo-header checksum");
        assert!(!s.is_checksum_valid(ME6, ROUTER6));
        assert_eq!(&p[2..4], &[0xed, 0xd6]);
    }

    #[test]
    fn build_errors() {
        assert_eq!(
            IcmpEcho.build(&ctx(false, 0), &mut [0u8; 23]),
            Err(ProbeBuildError::BufferTooSmall(24))
        );
        assert_eq!(
            IcmpEcho.build(&mixed_ctx(), &mut [0u8; 64]),
            Err(ProbeBuildError::FamilyMismatch)
        );
    }

    #[test]
    fn echo_reply_is_up() {
        for (v6, proto) in [(false, 1), (true, 58)] {
            let m = classify(target(v6), proto, &echo_reply(v6));
            expect_host(
                m,
                target(v6),
                0,
                Echo::Cookie(COOKIE),
                true,
                Reason::EchoReply,
            );
            // A reply from another address names that address: the engine's cookie check
            // (keyed by target) rejects it.
            let m = classify(router(v6), proto, &echo_reply(v6)).expect("match");
            assert_eq!(m.target.ip(), router(v6));
            // The reply is only a reply under its own family's protocol number.
            let other = if v6 { 1 } else { 58 };
            assert_eq!(classify(target(v6), other, &echo_reply(v6)), None);
            for p in [6u8, 17, 0] {
                assert_eq!(classify(target(v6), p, &echo_reply(v6)), None);
            }
        }
    }

    #[test]
    fn requests_and_strangers_are_ignored() {
        for (v6, proto) in [(false, 1), (true, 58)] {
            // Our own request on loopback.
            assert_eq!(classify(target(v6), proto, &probe(v6)), None);
            // Identifiers outside the keyed ports: someone else's ping.
            for id in [0u16, 1234, 32999, 60016, 65535] {
                let mut r = echo_reply(v6);
                r[4..6].copy_from_slice(&id.to_be_bytes());
                assert_eq!(classify(target(v6), proto, &r), None, "id {id}");
            }
            for id in [33000u16, 60015] {
                let mut r = echo_reply(v6);
                r[4..6].copy_from_slice(&id.to_be_bytes());
                let m = classify(target(v6), proto, &r).expect("in range");
                assert_eq!(m.local_port, id);
            }
            // A sequence number that disagrees with the copied cookie.
            let mut r = echo_reply(v6);
            r[7] ^= 1;
            assert_eq!(classify(target(v6), proto, &r), None);
            // Other query replies.
            for ty in [14u8, 18, 130, 136] {
                let mut r = echo_reply(v6);
                r[0] = ty;
                assert_eq!(classify(target(v6), proto, &r), None, "type {ty}");
            }
        }
    }

    #[test]
    fn errors_from_routers_and_from_the_target() {
        for (v6, proto) in [(false, 1u8), (true, 58u8)] {
            let quoted = sent_packet(v6, proto, &probe(v6));
            let (unreach, host, port, exceeded) = if v6 { (1, 3, 4, 3) } else { (3, 1, 3, 11) };
            let cases = [
                (router(v6), unreach, host, false, Reason::HostUnreach),
                (router(v6), exceeded, 0, false, Reason::TimeExceeded),
                (target(v6), unreach, port, true, Reason::PortUnreach),
            ];
            for (from, ty, code, up, reason) in cases {
                let err = icmp_error(from, ty, code, &quoted);
                let m = classify(from, proto, &err);
                expect_host(m, target(v6), 0, Echo::Cookie(COOKIE), up, reason);
                // Only the first 8 bytes quoted: the flow is the proof.
                let short = icmp_error(from, ty, code, &quoted[..quoted.len() - 16]);
                let m = classify(from, proto, &short);
                expect_host(m, target(v6), 0, Echo::Flow { seq: 0 }, up, reason);
            }
            if !v6 {
                let net = icmp_error(router(v6), 3, 0, &quoted);
                let m = classify(router(v6), 1, &net);
                expect_host(
                    m,
                    target(v6),
                    0,
                    Echo::Cookie(COOKIE),
                    false,
                    Reason::NetUnreach,
                );
                let proto_unreach = icmp_error(target(v6), 3, 2, &quoted);
                let m = classify(target(v6), 1, &proto_unreach);
                expect_host(
                    m,
                    target(v6),
                    0,
                    Echo::Cookie(COOKIE),
                    true,
                    Reason::ProtoUnreach,
                );
                // Fragmentation needed and parameter problem say nothing.
                for (ty, code) in [(3u8, 4u8), (12, 0)] {
                    let e = icmp_error(router(v6), ty, code, &quoted);
                    assert_eq!(classify(router(v6), 1, &e), None, "{ty}/{code}");
                }
            }
            // Errors quoting something else: a quoted reply, a quoted stranger's request, a
            // quoted TCP segment.
            let mut p = probe(v6);
            p[0] = if v6 { 129 } else { 0 };
            let e = icmp_error(router(v6), unreach, host, &sent_packet(v6, proto, &p));
            assert_eq!(classify(router(v6), proto, &e), None);
            let mut p = probe(v6);
            p[4..6].copy_from_slice(&1u16.to_be_bytes());
            let e = icmp_error(router(v6), unreach, host, &sent_packet(v6, proto, &p));
            assert_eq!(classify(router(v6), proto, &e), None);
            let e = icmp_error(router(v6), unreach, host, &sent_packet(v6, 6, &probe(v6)));
            assert_eq!(classify(router(v6), proto, &e), None);
        }
    }

    #[test]
    fn truncated_and_garbage() {
        for (v6, proto) in [(false, 1u8), (true, 58u8)] {
            check_prefixes(&IcmpEcho, target(v6), proto, &echo_reply(v6), 12);
            let quoted = sent_packet(v6, proto, &probe(v6));
            let (ty, code, ip_len) = if v6 { (1, 3, 40) } else { (3, 1, 20) };
            let err = icmp_error(router(v6), ty, code, &quoted);
            check_prefixes(&IcmpEcho, router(v6), proto, &err, 8 + ip_len + 8);
        }
        check_garbage(&IcmpEcho);
    }
}
