//! The TCP SYN technique (`-sS`): half-open scanning with raw SYN probes.
//!
//! Needs `CAP_NET_RAW`. A probe is a 24-byte SYN (window 1024, one MSS option of 1460) whose
//! sequence number is the engine's cookie. States and reasons follow nmap: SYN+ACK is `open`
//! (`syn-ack`), RST+ACK is `closed` (`reset`), ICMP unreachable and time exceeded are `filtered`
//! with the ICMP reason (port unreachable included: a TCP probe is never `closed` by ICMP),
//! silence is `filtered` (`no-response`).
//!
//! A SYN without ACK (the split handshake: the target answers a SYN with a SYN of its own) is
//! `open` (`split-handshake-syn`) as in nmap, but only once proven: such a SYN acknowledges
//! nothing, so anyone who guesses a keyed source port could forge it. It is classified as
//! [`Echo::Challenge`]; the engine has [`RawProbe::challenge`] answer it with a SYN+ACK whose
//! sequence number is a challenge cookie, and only the target's ACK acknowledging that cookie
//! ([`Echo::Answer`]) decides the port. A stack that gives up on the split handshake when our
//! own kernel resets its SYN (our kernel has no such connection) never answers the challenge,
//! and its port reads as silence.
//!
//! The scanning host's own kernel answers each SYN+ACK with a RST, since it knows no such
//! connection; that is harmless for the scan (the port is already classified).

use scanfw_core::packet::{self, build_tcp, parse_tcp, tcp_flags};
use scanfw_core::registry::TechniqueDescriptor;
use scanfw_core::technique::{
    Echo, ProbeBuildError, ProbeContext, ProbeMethod, RawMatch, RawProbe, ReplyContext,
};
use scanfw_core::{PortState, Protocol, Reason, ScanTechnique, Verdict};
use std::net::SocketAddr;

/// Window size of a SYN probe.
const PROBE_WINDOW: u16 = 1024;
/// The probe's one TCP option: maximum segment size 1460.
const MSS_OPTION: [u8; 4] = [2, 4, 0x05, 0xb4];

/// The SYN technique.
#[derive(Debug, Default, Clone, Copy)]
pub struct Syn;

inventory::submit! {
    TechniqueDescriptor {
        name: "syn",
        nmap_letter: Some('S'),
        summary: "TCP SYN (half-open) scan: raw SYN probes, needs CAP_NET_RAW",
        needs_privilege: true,
        fallback: Some("connect"),
        constructor: |o| Ok(match o.tcp_flags {
            None => Box::new(Syn),
            Some(flags) => Box::new(crate::custom::Custom::new(flags, "syn", crate::flags::RstMeaning::Syn)),
        }),
    }
}

impl ScanTechnique for Syn {
    fn name(&self) -> &'static str {
        "syn"
    }
    fn protocol(&self) -> Protocol {
        Protocol::Tcp
    }
    fn scan_type(&self) -> &'static str {
        "syn"
    }
    fn on_silence(&self) -> Verdict {
        Verdict::new(PortState::Filtered, Reason::NoResponse)
    }
    fn probe(&self) -> ProbeMethod<'_> {
        ProbeMethod::Raw(self)
    }
}

impl RawProbe for Syn {
    fn ip_protocol(&self) -> u8 {
        packet::IPPROTO_TCP
    }

    fn build(&self, ctx: &ProbeContext, buf: &mut [u8]) -> Result<usize, ProbeBuildError> {
        build_tcp(buf, ctx, tcp_flags::SYN, 0, PROBE_WINDOW, &MSS_OPTION)
    }

    fn classify(&self, reply: &ReplyContext<'_>) -> Option<RawMatch> {
        match reply.ip_protocol {
            packet::IPPROTO_TCP => classify_tcp(reply),
            packet::IPPROTO_ICMP | packet::IPPROTO_ICMPV6 => crate::flags::classify_icmp(reply),
            _ => None,
        }
    }

    /// The SYN+ACK that completes a split handshake: the challenge cookie as sequence number,
    /// acknowledging the target's SYN.
    fn challenge(
        &self,
        ctx: &ProbeContext,
        seq: u32,
        buf: &mut [u8],
    ) -> Result<usize, ProbeBuildError> {
        build_tcp(
            buf,
            ctx,
            tcp_flags::SYN | tcp_flags::ACK,
            seq.wrapping_add(1),
            PROBE_WINDOW,
            &MSS_OPTION,
        )
    }
}

fn classify_tcp(reply: &ReplyContext<'_>) -> Option<RawMatch> {
    use tcp_flags::{ACK, FIN, RST, SYN};
    let tcp = parse_tcp(reply.payload)?;
    let has = |f: u8| tcp.flags & f != 0;
    // RST wins over SYN, as in a TCP stack receiving it in SYN-SENT.
    let (state, reason, echo) = if has(RST) {
        if !has(ACK) {
            // Acknowledges nothing, so it cannot prove which probe it answers.
            return None;
        }
        (
            PortState::Closed,
            Reason::Reset,
            Echo::Cookie(tcp.ack.wrapping_sub(1)),
        )
    } else if has(SYN) && has(ACK) {
        (
            PortState::Open,
            Reason::SynAck,
            Echo::Cookie(tcp.ack.wrapping_sub(1)),
        )
    } else if has(SYN) {
        (
            PortState::Open,
            Reason::SplitHandshakeSyn,
            Echo::Challenge { seq: tcp.seq },
        )
    } else if has(ACK) && !has(FIN) {
        // The end of a split handshake: the ACK of our challenge SYN+ACK.
        (
            PortState::Open,
            Reason::SplitHandshakeSyn,
            Echo::Answer(tcp.ack.wrapping_sub(1)),
        )
    } else {
        return None;
    };
    Some(RawMatch {
        target: SocketAddr::new(reply.from, tcp.src_port),
        local_port: tcp.dst_port,
        echo,
        verdict: Verdict {
            state,
            reason,
            reason_ttl: reply.ttl,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{
        icmpv4, icmpv6, Icmpv4Type, Icmpv6Type, IpNumber, Ipv4Header, Ipv6Header, PacketBuilder,
        TcpHeader, TcpOptionElement,
    };
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    const ME4: [u8; 4] = [192, 0, 2, 1];
    const TARGET4: [u8; 4] = [198, 51, 100, 7];
    const ROUTER4: [u8; 4] = [203, 0, 113, 9];
    const ME6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    const TARGET6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7];
    const ROUTER6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9];
    const SPORT: u16 = 40000;
    const DPORT: u16 = 443;
    const COOKIE: u32 = 0xdead_beef;

    fn ctx4() -> ProbeContext {
        ProbeContext {
            src: SocketAddr::new(IpAddr::V4(ME4.into()), SPORT),
            dst: SocketAddr::new(IpAddr::V4(TARGET4.into()), DPORT),
            cookie: COOKIE,
        }
    }

    fn ctx6() -> ProbeContext {
        ProbeContext {
            src: SocketAddr::new(IpAddr::V6(ME6.into()), SPORT),
            dst: SocketAddr::new(IpAddr::V6(TARGET6.into()), DPORT),
            cookie: COOKIE,
        }
    }

    fn probe(ctx: &ProbeContext) -> Vec<u8> {
        let mut buf = [0u8; 64];
        let n = Syn.build(ctx, &mut buf).expect("build");
        buf[..n].to_vec()
    }

    /// The IP payload of a full packet built by etherparse.
    fn ip_payload(packet: &[u8]) -> Vec<u8> {
        etherparse::IpSlice::from_slice(packet)
            .expect("ip")
            .payload()
            .payload
            .to_vec()
    }

    fn reply<'a>(from: IpAddr, proto: u8, payload: &'a [u8]) -> ReplyContext<'a> {
        let to = if from.is_ipv4() {
            IpAddr::V4(ME4.into())
        } else {
            IpAddr::V6(ME6.into())
        };
        ReplyContext {
            from,
            to,
            ttl: 57,
            ip_protocol: proto,
            payload,
        }
    }

    /// A TCP reply from the target to our probe's port, flags set by `f`.
    fn tcp_reply_v4(f: impl FnOnce(TcpHeader) -> TcpHeader) -> Vec<u8> {
        let tcp = f(TcpHeader::new(DPORT, SPORT, 0x1234_5678, 65535));
        let mut out = Vec::new();
        PacketBuilder::ipv4(TARGET4, ME4, 57)
            .tcp_header(tcp)
            .write(&mut out, &[])
            .expect("write");
        ip_payload(&out)
    }

    fn tcp_reply_v6(f: impl FnOnce(TcpHeader) -> TcpHeader) -> Vec<u8> {
        let tcp = f(TcpHeader::new(DPORT, SPORT, 0x1234_5678, 65535));
        let mut out = Vec::new();
        PacketBuilder::ipv6(TARGET6, ME6, 57)
            .tcp_header(tcp)
            .write(&mut out, &[])
            .expect("write");
        ip_payload(&out)
    }

    /// Our probe as the kernel would send it, with its IPv4 header.
    fn probe_packet_v4() -> Vec<u8> {
        let seg = probe(&ctx4());
        let ip = Ipv4Header::new(seg.len() as u16, 64, IpNumber::TCP, ME4, TARGET4).expect("ip");
        let mut out = ip.to_bytes().to_vec();
        out.extend_from_slice(&seg);
        out
    }

    fn probe_packet_v6() -> Vec<u8> {
        let seg = probe(&ctx6());
        let ip = Ipv6Header {
            traffic_class: 0,
            flow_label: Default::default(),
            payload_length: seg.len() as u16,
            next_header: IpNumber::TCP,
            hop_limit: 64,
            source: ME6,
            destination: TARGET6,
        };
        let mut out = ip.to_bytes().to_vec();
        out.extend_from_slice(&seg);
        out
    }

    fn icmp4(from: [u8; 4], t: Icmpv4Type) -> Vec<u8> {
        let mut out = Vec::new();
        PacketBuilder::ipv4(from, ME4, 57)
            .icmpv4(t)
            .write(&mut out, &probe_packet_v4())
            .expect("write");
        ip_payload(&out)
    }

    fn icmp6(from: [u8; 16], t: Icmpv6Type) -> Vec<u8> {
        let mut out = Vec::new();
        PacketBuilder::ipv6(from, ME6, 57)
            .icmpv6(t)
            .write(&mut out, &probe_packet_v6())
            .expect("write");
        ip_payload(&out)
    }

    fn classify(from: IpAddr, proto: u8, payload: &[u8]) -> Option<RawMatch> {
        Syn.classify(&reply(from, proto, payload))
    }

    #[test]
    fn descriptor_and_contract() {
        assert_eq!(Syn.name(), "syn");
        assert_eq!(Syn.scan_type(), "syn");
        assert_eq!(Syn.protocol(), Protocol::Tcp);
        assert_eq!(
            Syn.on_silence(),
            Verdict::new(PortState::Filtered, Reason::NoResponse)
        );
        assert!(!Syn.silence_is_open());
        assert!(matches!(Syn.probe(), ProbeMethod::Raw(_)));
        assert_eq!(Syn.ip_protocol(), 6);
        let d = scanfw_core::registry::technique("S").expect("-sS");
        assert_eq!(d.name, "syn");
        assert!(d.needs_privilege);
        assert_eq!(
            (d.constructor)(&Default::default()).map(|t| t.name()),
            Ok("syn")
        );
    }

    #[test]
    fn probe_bytes_v4() {
        let p = probe(&ctx4());
        #[rustfmt::skip]
        let expected: [u8; 24] = [
            0x9c, 0x40, 0x01, 0xbb, // ports 40000 -> 443
            0xde, 0xad, 0xbe, 0xef, // seq = cookie
            0, 0, 0, 0,             // ack
            0x60, 0x02,             // data offset 6, SYN
            0x04, 0x00,             // window 1024
            0x6c, 0x51,             // checksum
            0, 0,                   // urgent pointer
            2, 4, 0x05, 0xb4,       // MSS 1460
        ];
        assert_eq!(p, expected);
    }

    #[test]
    fn probe_bytes_v6() {
        let p = probe(&ctx6());
        assert_eq!(p.len(), 24);
        let mut no_sum = p.clone();
        no_sum[16..18].fill(0);
        #[rustfmt::skip]
        let expected: [u8; 24] = [
            0x9c, 0x40, 0x01, 0xbb, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0,
            0x60, 0x02, 0x04, 0x00, 0, 0, 0, 0, 2, 4, 0x05, 0xb4,
        ];
        assert_eq!(no_sum, expected);
        assert_eq!(&p[16..18], &[0xfd, 0x13]);
    }

    /// Our probes, parsed and checksummed by a second implementation.
    #[test]
    fn probe_agrees_with_etherparse() {
        for (ctx, v6) in [(ctx4(), false), (ctx6(), true)] {
            let p = probe(&ctx);
            let (h, rest) = TcpHeader::from_slice(&p).expect("parse");
            assert!(rest.is_empty());
            assert_eq!(h.source_port, SPORT);
            assert_eq!(h.destination_port, DPORT);
            assert_eq!(h.sequence_number, COOKIE);
            assert_eq!(h.acknowledgment_number, 0);
            assert!(h.syn && !h.ack && !h.rst && !h.fin && !h.psh && !h.urg);
            assert_eq!(h.window_size, 1024);
            assert_eq!(h.urgent_pointer, 0);
            let opts: Vec<_> = h.options_iterator().collect();
            assert_eq!(opts, [Ok(TcpOptionElement::MaximumSegmentSize(1460))]);
            let sum = if v6 {
                h.calc_checksum_ipv6_raw(ME6, TARGET6, &[])
            } else {
                h.calc_checksum_ipv4_raw(ME4, TARGET4, &[])
            }
            .expect("checksum");
            assert_eq!(h.checksum, sum, "v6={v6}");
        }
    }

    /// The challenge to a split-handshake SYN: a SYN+ACK from the probe's ports whose sequence
    /// number is the challenge cookie and which acknowledges the target's SYN.
    #[test]
    fn challenge_is_a_syn_ack_carrying_the_challenge_cookie() {
        for ctx in [ctx4(), ctx6()] {
            let mut buf = [0u8; 64];
            let n = Syn.challenge(&ctx, 0xffff_ffff, &mut buf).expect("build");
            let (h, rest) = TcpHeader::from_slice(&buf[..n]).expect("parse");
            assert!(rest.is_empty());
            assert!(h.syn && h.ack && !h.rst && !h.fin);
            assert_eq!((h.source_port, h.destination_port), (SPORT, DPORT));
            assert_eq!(h.sequence_number, COOKIE);
            assert_eq!(h.acknowledgment_number, 0, "wraps: acknowledges seq + 1");
            let sum = match (ctx.src.ip(), ctx.dst.ip()) {
                (IpAddr::V4(_), _) => h.calc_checksum_ipv4_raw(ME4, TARGET4, &[]),
                _ => h.calc_checksum_ipv6_raw(ME6, TARGET6, &[]),
            }
            .expect("checksum");
            assert_eq!(h.checksum, sum);
        }
    }

    #[test]
    fn probe_build_errors() {
        let mut small = [0u8; 23];
        assert_eq!(
            Syn.build(&ctx4(), &mut small),
            Err(ProbeBuildError::BufferTooSmall(24))
        );
        let mixed = ProbeContext {
            src: ctx4().src,
            dst: ctx6().dst,
            cookie: 1,
        };
        assert_eq!(
            Syn.build(&mixed, &mut [0u8; 64]),
            Err(ProbeBuildError::FamilyMismatch)
        );
    }

    fn expect(m: Option<RawMatch>, target: IpAddr, echo: Echo, state: PortState, reason: Reason) {
        let m = m.expect("a match");
        assert_eq!(m.target, SocketAddr::new(target, DPORT));
        assert_eq!(m.local_port, SPORT);
        assert_eq!(m.echo, echo);
        assert_eq!(
            m.verdict,
            Verdict {
                state,
                reason,
                reason_ttl: 57
            }
        );
    }

    #[test]
    fn tcp_replies() {
        let t4 = IpAddr::V4(TARGET4.into());
        let t6 = IpAddr::V6(TARGET6.into());
        let cookie = Echo::Cookie(COOKIE);
        type Build = fn(fn(TcpHeader) -> TcpHeader) -> Vec<u8>;
        for (target, build) in [(t4, tcp_reply_v4 as Build), (t6, tcp_reply_v6 as Build)] {
            let synack = build(|mut h| {
                h.syn = true;
                h.ack = true;
                h.acknowledgment_number = COOKIE.wrapping_add(1);
                h
            });
            expect(
                classify(target, 6, &synack),
                target,
                cookie,
                PortState::Open,
                Reason::SynAck,
            );
            let rstack = build(|mut h| {
                h.rst = true;
                h.ack = true;
                h.acknowledgment_number = COOKIE.wrapping_add(1);
                h
            });
            expect(
                classify(target, 6, &rstack),
                target,
                cookie,
                PortState::Closed,
                Reason::Reset,
            );
            let rst = build(|mut h| {
                h.rst = true;
                h
            });
            assert_eq!(classify(target, 6, &rst), None);
            let split = build(|mut h| {
                h.syn = true;
                h
            });
            expect(
                classify(target, 6, &split),
                target,
                Echo::Challenge { seq: 0x1234_5678 },
                PortState::Open,
                Reason::SplitHandshakeSyn,
            );
            // The ACK that answers our challenge SYN+ACK.
            let answer = build(|mut h| {
                h.ack = true;
                h.acknowledgment_number = COOKIE.wrapping_add(1);
                h
            });
            expect(
                classify(target, 6, &answer),
                target,
                Echo::Answer(COOKIE),
                PortState::Open,
                Reason::SplitHandshakeSyn,
            );
            for f in [
                (|mut h: TcpHeader| {
                    h.fin = true;
                    h
                }) as fn(TcpHeader) -> TcpHeader,
                |mut h| {
                    h.fin = true;
                    h.ack = true;
                    h
                },
                |h| h,
            ] {
                assert_eq!(classify(target, 6, &build(f)), None);
            }
            // The wrap-around of the acknowledgement number.
            let wrap = build(|mut h| {
                h.syn = true;
                h.ack = true;
                h.acknowledgment_number = 0;
                h
            });
            let m = classify(target, 6, &wrap).expect("match");
            assert_eq!(m.echo, Echo::Cookie(u32::MAX));
            // Wrong IP protocol for TCP bytes.
            assert_eq!(classify(target, 17, &synack), None);
        }
    }

    #[test]
    fn icmpv4_unreachable_codes() {
        use icmpv4::DestUnreachableHeader as D;
        let router = IpAddr::V4(ROUTER4.into());
        let target = IpAddr::V4(TARGET4.into());
        let codes = [
            (D::Network, Some(Reason::NetUnreach)),
            (D::Host, Some(Reason::HostUnreach)),
            (D::Protocol, Some(Reason::ProtoUnreach)),
            (D::Port, Some(Reason::PortUnreach)),
            (D::FragmentationNeeded { next_hop_mtu: 1400 }, None),
            (D::SourceRouteFailed, None),
            (D::NetworkUnknown, None),
            (D::HostUnknown, None),
            (D::Isolated, None),
            (D::NetworkProhibited, Some(Reason::NetProhibited)),
            (D::HostProhibited, Some(Reason::HostProhibited)),
            (D::TosNetwork, None),
            (D::TosHost, None),
            (D::FilterProhibited, Some(Reason::AdminProhibited)),
            (D::HostPrecedenceViolation, None),
            (D::PrecedenceCutoff, None),
        ];
        for (code, (header, reason)) in codes.into_iter().enumerate() {
            assert_eq!(header.code_u8() as usize, code);
            let pkt = icmp4(ROUTER4, Icmpv4Type::DestinationUnreachable(header.clone()));
            let m = classify(router, 1, &pkt);
            match reason {
                // Port unreachable too: a TCP probe is filtered, never closed, by ICMP.
                Some(r) => expect(m, target, Echo::Cookie(COOKIE), PortState::Filtered, r),
                None => assert_eq!(m, None, "code {code}"),
            }
            // Same from the target itself.
            let pkt = icmp4(TARGET4, Icmpv4Type::DestinationUnreachable(header));
            assert_eq!(
                classify(target, 1, &pkt).map(|m| (m.verdict.state, m.verdict.reason)),
                reason.map(|r| (PortState::Filtered, r))
            );
        }
    }

    #[test]
    fn icmpv4_time_exceeded_and_others() {
        let router = IpAddr::V4(ROUTER4.into());
        let target = IpAddr::V4(TARGET4.into());
        for code in [
            icmpv4::TimeExceededCode::TtlExceededInTransit,
            icmpv4::TimeExceededCode::FragmentReassemblyTimeExceeded,
        ] {
            let pkt = icmp4(ROUTER4, Icmpv4Type::TimeExceeded(code));
            expect(
                classify(router, 1, &pkt),
                target,
                Echo::Cookie(COOKIE),
                PortState::Filtered,
                Reason::TimeExceeded,
            );
        }
        let pp = icmp4(
            ROUTER4,
            Icmpv4Type::ParameterProblem(icmpv4::ParameterProblemHeader::PointerIndicatesError(0)),
        );
        assert_eq!(classify(router, 1, &pp), None);
        // An echo reply carrying probe-looking bytes is not an error.
        let echo = icmp4(
            ROUTER4,
            Icmpv4Type::EchoReply(etherparse::IcmpEchoHeader { id: 1, seq: 2 }),
        );
        assert_eq!(classify(router, 1, &echo), None);
        // ICMPv4 bytes labelled as ICMPv6 do not parse as ICMPv6 errors.
        let unreach = icmp4(
            ROUTER4,
            Icmpv4Type::DestinationUnreachable(icmpv4::DestUnreachableHeader::Host),
        );
        assert_eq!(classify(router, 58, &unreach), None);
    }

    #[test]
    fn icmpv6_unreachable_codes() {
        use icmpv6::DestUnreachableCode as D;
        let router = IpAddr::V6(ROUTER6.into());
        let target = IpAddr::V6(TARGET6.into());
        let codes = [
            (D::NoRoute, Reason::NoRoute),
            (D::Prohibited, Reason::AdminProhibited),
            (D::BeyondScope, Reason::BeyondScope),
            (D::Address, Reason::HostUnreach),
            (D::Port, Reason::PortUnreach),
            (D::SourceAddressFailedPolicy, Reason::AdminProhibited),
            (D::RejectRoute, Reason::RejectRoute),
        ];
        for (code, (c, reason)) in codes.into_iter().enumerate() {
            assert_eq!(c as usize, code);
            let pkt = icmp6(ROUTER6, Icmpv6Type::DestinationUnreachable(c));
            expect(
                classify(router, 58, &pkt),
                target,
                Echo::Cookie(COOKIE),
                PortState::Filtered,
                reason,
            );
        }
        // An unknown code (7) is ignored.
        let mut pkt = icmp6(ROUTER6, Icmpv6Type::DestinationUnreachable(D::NoRoute));
        pkt[1] = 7;
        assert_eq!(classify(router, 58, &pkt), None);
        let te = icmp6(
            ROUTER6,
            Icmpv6Type::TimeExceeded(icmpv6::TimeExceededCode::HopLimitExceeded),
        );
        expect(
            classify(router, 58, &te),
            target,
            Echo::Cookie(COOKIE),
            PortState::Filtered,
            Reason::TimeExceeded,
        );
        let big = icmp6(ROUTER6, Icmpv6Type::PacketTooBig { mtu: 1280 });
        assert_eq!(classify(router, 58, &big), None);
    }

    /// Quotes of something else than our TCP probe match nothing.
    #[test]
    fn icmp_quoting_other_protocols() {
        let router = IpAddr::V4(ROUTER4.into());
        let mut quoted = Vec::new();
        PacketBuilder::ipv4(ME4, TARGET4, 64)
            .udp(SPORT, DPORT)
            .write(&mut quoted, b"hello")
            .expect("udp");
        let mut out = Vec::new();
        PacketBuilder::ipv4(ROUTER4, ME4, 57)
            .icmpv4(Icmpv4Type::DestinationUnreachable(
                icmpv4::DestUnreachableHeader::Port,
            ))
            .write(&mut out, &quoted)
            .expect("icmp");
        assert_eq!(classify(router, 1, &ip_payload(&out)), None);
    }

    /// Every prefix of every valid reply, and some garbage: no panic, and never a verdict from a
    /// reply cut inside the bytes that prove it.
    #[test]
    fn truncated_and_garbage() {
        let r4 = IpAddr::V4(ROUTER4.into());
        let r6 = IpAddr::V6(ROUTER6.into());
        let valid: Vec<(IpAddr, u8, Vec<u8>)> = vec![
            (
                r4,
                6,
                tcp_reply_v4(|mut h| {
                    h.syn = true;
                    h.ack = true;
                    h
                }),
            ),
            (
                r6,
                6,
                tcp_reply_v6(|mut h| {
                    h.rst = true;
                    h.ack = true;
                    h
                }),
            ),
            (
                r4,
                1,
                icmp4(
                    ROUTER4,
                    Icmpv4Type::DestinationUnreachable(icmpv4::DestUnreachableHeader::Host),
                ),
            ),
            (
                r6,
                58,
                icmp6(
                    ROUTER6,
                    Icmpv6Type::DestinationUnreachable(icmpv6::DestUnreachableCode::NoRoute),
                ),
            ),
        ];
        for (from, proto, pkt) in &valid {
            assert!(classify(*from, *proto, pkt).is_some());
            // The shortest prefix that still matches: 20 TCP bytes; ICMP header 8 + quoted IP
            // header + 8 transport bytes.
            let min = match proto {
                6 => 20,
                1 => 8 + 20 + 8,
                _ => 8 + 40 + 8,
            };
            for n in 0..pkt.len() {
                let m = classify(*from, *proto, &pkt[..n]);
                assert_eq!(m.is_some(), n >= min, "proto {proto} prefix {n}");
                if let Some(m) = m {
                    assert_eq!(m.local_port, SPORT);
                }
            }
        }
        for proto in [0u8, 1, 6, 17, 58, 255] {
            for len in 0..80 {
                let zeros = vec![0u8; len];
                let ones = vec![0xffu8; len];
                let ramp: Vec<u8> = (0..len).map(|i| i as u8).collect();
                for g in [zeros, ones, ramp] {
                    if let Some(m) = classify(r4, proto, &g) {
                        assert!(matches!(
                            m.verdict.state,
                            PortState::Open | PortState::Closed | PortState::Filtered
                        ));
                    }
                }
            }
        }
    }

    /// Checksums of the shared helpers agree with etherparse for odd lengths and both families.
    #[test]
    fn checksums_agree_with_etherparse() {
        use scanfw_core::packet::{tcp_checksum, udp_checksum};
        for payload_len in [0usize, 1, 2, 3, 7, 100, 1001] {
            let payload: Vec<u8> = (0..payload_len).map(|i| (i * 37 + 11) as u8).collect();
            let tcp = TcpHeader::new(1, 2, 3, 4);
            let mut seg = tcp.to_bytes().to_vec();
            seg.extend_from_slice(&payload);
            assert_eq!(
                tcp_checksum(IpAddr::V4(ME4.into()), IpAddr::V4(TARGET4.into()), &seg),
                tcp.calc_checksum_ipv4_raw(ME4, TARGET4, &payload)
                    .expect("sum")
            );
            assert_eq!(
                tcp_checksum(IpAddr::V6(ME6.into()), IpAddr::V6(TARGET6.into()), &seg),
                tcp.calc_checksum_ipv6_raw(ME6, TARGET6, &payload)
                    .expect("sum")
            );
            let udp = etherparse::UdpHeader {
                source_port: 5,
                destination_port: 6,
                length: (8 + payload_len) as u16,
                checksum: 0xabcd,
            };
            let mut dgram = udp.to_bytes().to_vec();
            dgram.extend_from_slice(&payload);
            assert_eq!(
                udp_checksum(IpAddr::V4(ME4.into()), IpAddr::V4(TARGET4.into()), &dgram),
                udp.calc_checksum_ipv4_raw(ME4, TARGET4, &payload)
                    .expect("sum")
            );
            assert_eq!(
                udp_checksum(IpAddr::V6(ME6.into()), IpAddr::V6(TARGET6.into()), &dgram),
                udp.calc_checksum_ipv6_raw(ME6, TARGET6, &payload)
                    .expect("sum")
            );
        }
        let _ = (Ipv4Addr::LOCALHOST, Ipv6Addr::LOCALHOST);
    }
}
