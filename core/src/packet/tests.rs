//! Unit tests of the packet helpers; fixtures come from etherparse, a second implementation.

use super::*;
use crate::state::{PortState, Reason, Verdict};
use crate::technique::{ProbeBuildError, ProbeContext, ReplyContext};
use etherparse::{IpNumber, Ipv4Header, Ipv6Header, TcpHeader, TcpOptionElement};
use std::net::{IpAddr, SocketAddr};

const A4: [u8; 4] = [10, 0, 0, 1];
const B4: [u8; 4] = [10, 0, 0, 2];
const A6: [u8; 16] = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const B6: [u8; 16] = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

fn ctx(v6: bool) -> ProbeContext {
    let (a, b) = if v6 {
        (IpAddr::from(A6), IpAddr::from(B6))
    } else {
        (IpAddr::from(A4), IpAddr::from(B4))
    };
    ProbeContext {
        src: SocketAddr::new(a, 1234),
        dst: SocketAddr::new(b, 80),
        cookie: 0x0102_0304,
    }
}

#[test]
fn build_tcp_pads_options_and_checksums() {
    for v6 in [false, true] {
        let mut buf = [0xaau8; 80];
        // 3 option bytes (NOP NOP EOL-less window scale cut) -> padded to 4.
        let n = build_tcp(
            &mut buf,
            &ctx(v6),
            tcp_flags::SYN | tcp_flags::ECE | tcp_flags::CWR,
            7,
            512,
            &[1, 1, 1],
        )
        .expect("build");
        assert_eq!(n, 24);
        assert_eq!(&buf[20..24], &[1, 1, 1, 0]);
        assert_eq!(buf[24], 0xaa, "nothing written past the header");
        let (h, _) = TcpHeader::from_slice(&buf[..n]).expect("parse");
        assert_eq!(h.sequence_number, 0x0102_0304);
        assert_eq!(h.acknowledgment_number, 7);
        assert!(h.syn && h.ece && h.cwr && !h.ack);
        assert_eq!(h.window_size, 512);
        let sum = if v6 {
            h.calc_checksum_ipv6_raw(A6, B6, &[])
        } else {
            h.calc_checksum_ipv4_raw(A4, B4, &[])
        };
        assert_eq!(Ok(h.checksum), sum);
        // Without options: 20 bytes, data offset 5.
        let n = build_tcp(&mut buf, &ctx(v6), tcp_flags::ACK, 1, 0, &[]).expect("build");
        assert_eq!(n, 20);
        assert_eq!(buf[12], 0x50);
        let f = parse_tcp(&buf[..n]).expect("parse");
        assert_eq!(
            f,
            TcpFields {
                src_port: 1234,
                dst_port: 80,
                seq: 0x0102_0304,
                ack: 1,
                flags: tcp_flags::ACK,
                window: 0,
            }
        );
    }
    // Forty bytes of options: data offset 15.
    let mut buf = [0u8; 60];
    let opts = [1u8; 40];
    assert_eq!(build_tcp(&mut buf, &ctx(false), 0, 0, 0, &opts), Ok(60));
    assert_eq!(buf[12] >> 4, 15);
    assert_eq!(
        build_tcp(&mut buf[..59], &ctx(false), 0, 0, 0, &opts),
        Err(ProbeBuildError::BufferTooSmall(60))
    );
    let mixed = ProbeContext {
        src: ctx(false).src,
        dst: ctx(true).dst,
        cookie: 0,
    };
    assert_eq!(
        build_tcp(&mut buf, &mixed, 0, 0, 0, &[]),
        Err(ProbeBuildError::FamilyMismatch)
    );
}

#[test]
fn parse_tcp_checks_lengths() {
    let mut h = TcpHeader::new(5, 6, 7, 8);
    h.set_options(&[TcpOptionElement::MaximumSegmentSize(1400)])
        .expect("options");
    h.syn = true;
    let bytes = h.to_bytes().to_vec();
    assert_eq!(bytes.len(), 24);
    let f = parse_tcp(&bytes).expect("parse");
    assert_eq!((f.src_port, f.dst_port, f.seq, f.window), (5, 6, 7, 8));
    assert_eq!(f.flags, tcp_flags::SYN);
    // Data offset says 24 bytes: 20..23 bytes are not enough.
    for n in 0..24 {
        assert_eq!(parse_tcp(&bytes[..n]), None, "{n}");
    }
    let mut bad = bytes.clone();
    for off in 0u8..16 {
        bad[12] = off << 4;
        assert_eq!(parse_tcp(&bad).is_some(), (5..=6).contains(&off), "{off}");
    }
}

fn icmp_reply(proto: u8, payload: &[u8]) -> ReplyContext<'_> {
    let (from, to) = if proto == IPPROTO_ICMPV6 {
        (IpAddr::from(B6), IpAddr::from(A6))
    } else {
        (IpAddr::from(B4), IpAddr::from(A4))
    };
    ReplyContext {
        from,
        to,
        ttl: 3,
        ip_protocol: proto,
        payload,
    }
}

/// An ICMPv4 error of `ty`/`code` quoting an IPv4 packet with `ip_options` and `transport`.
fn icmp4(ty: u8, code: u8, ip_options: &[u8], transport: &[u8]) -> Vec<u8> {
    let mut ip = Ipv4Header::new(transport.len() as u16, 64, IpNumber::TCP, A4, B4).expect("ip");
    ip.options = ip_options.try_into().expect("options");
    ip.set_payload_len(transport.len()).expect("length");
    let mut msg = vec![ty, code, 0, 0, 0, 0, 0, 0];
    msg.extend_from_slice(&ip.to_bytes());
    msg.extend_from_slice(transport);
    msg
}

fn icmp6(ty: u8, code: u8, next_header: IpNumber, transport: &[u8]) -> Vec<u8> {
    let ip = Ipv6Header {
        traffic_class: 0,
        flow_label: Default::default(),
        payload_length: transport.len() as u16,
        next_header,
        hop_limit: 64,
        source: A6,
        destination: B6,
    };
    let mut msg = vec![ty, code, 0, 0, 0, 0, 0, 0];
    msg.extend_from_slice(&ip.to_bytes());
    msg.extend_from_slice(transport);
    msg
}

const TRANSPORT: [u8; 8] = [0x04, 0xd2, 0x00, 0x50, 1, 2, 3, 4];

#[test]
fn icmpv4_quote_with_ip_options() {
    for opts in [&[][..], &[1, 1, 1, 0][..], &[1u8; 40][..]] {
        let msg = icmp4(3, 13, opts, &TRANSPORT);
        let (err, q) = parse_icmp_error(&icmp_reply(1, &msg)).expect("parse");
        assert_eq!(err, IcmpError::DestUnreachable { code: 13 });
        assert_eq!(q.src, IpAddr::from(A4));
        assert_eq!(q.dst, IpAddr::from(B4));
        assert_eq!(q.protocol, 6);
        assert_eq!(q.transport, &TRANSPORT);
        assert_eq!((q.src_port(), q.dst_port()), (Some(1234), Some(80)));
    }
    for (ty, err) in [
        (11, IcmpError::TimeExceeded { code: 0 }),
        (12, IcmpError::ParamProblem { code: 0 }),
    ] {
        let msg = icmp4(ty, 0, &[], &TRANSPORT);
        assert_eq!(
            parse_icmp_error(&icmp_reply(1, &msg)).map(|(e, _)| e),
            Some(err)
        );
    }
    for ty in [0u8, 4, 5, 8, 13, 255] {
        let msg = icmp4(ty, 0, &[], &TRANSPORT);
        assert_eq!(parse_icmp_error(&icmp_reply(1, &msg)), None, "type {ty}");
    }
}

#[test]
fn icmpv4_quote_edge_cases() {
    // Seven transport bytes are not enough.
    let msg = icmp4(3, 3, &[], &TRANSPORT[..7]);
    assert_eq!(parse_icmp_error(&icmp_reply(1, &msg)), None);
    // Bad IHL (< 5 or past the quote), bad version.
    for (at, byte) in [(8, 0x44u8), (8, 0x4f), (8, 0x65), (8, 0x05)] {
        let mut m = icmp4(3, 3, &[], &TRANSPORT);
        m[at] = byte;
        assert_eq!(parse_icmp_error(&icmp_reply(1, &m)), None, "{byte:#x}");
    }
    // A later fragment quotes no transport header.
    let mut m = icmp4(3, 3, &[], &TRANSPORT);
    m[8 + 7] = 1;
    assert_eq!(parse_icmp_error(&icmp_reply(1, &m)), None);
    // Quoted bytes past the total length are cut off; a mangled total length is ignored.
    let mut long = TRANSPORT.to_vec();
    long.extend_from_slice(&[9; 12]);
    let mut m = icmp4(3, 3, &[], &long);
    m[8 + 2..8 + 4].copy_from_slice(&28u16.to_be_bytes());
    let (_, q) = parse_icmp_error(&icmp_reply(1, &m)).expect("parse");
    assert_eq!(q.transport, &TRANSPORT);
    for bogus in [0u16, 20, 27, 0xffff, 0x1c00] {
        m[8 + 2..8 + 4].copy_from_slice(&bogus.to_be_bytes());
        let (_, q) = parse_icmp_error(&icmp_reply(1, &m)).expect("parse");
        assert_eq!(q.transport.len(), 20, "{bogus}");
    }
    // An IPv6 quote in an ICMPv4 error, and ICMPv4 labelled as something else.
    let m6 = icmp6(3, 0, IpNumber::TCP, &TRANSPORT);
    assert_eq!(parse_icmp_error(&icmp_reply(1, &m6)), None);
    let m = icmp4(3, 3, &[], &TRANSPORT);
    for proto in [0u8, 6, 17, 58] {
        assert_eq!(parse_icmp_error(&icmp_reply(proto, &m)), None, "{proto}");
    }
}

#[test]
fn icmpv6_quotes() {
    let msg = icmp6(1, 4, IpNumber::TCP, &TRANSPORT);
    let (err, q) = parse_icmp_error(&icmp_reply(58, &msg)).expect("v6");
    assert_eq!(err, IcmpError::DestUnreachable { code: 4 });
    assert_eq!((q.src, q.dst), (IpAddr::from(A6), IpAddr::from(B6)));
    assert_eq!((q.protocol, q.transport), (6, &TRANSPORT[..]));
    for (ty, e) in [
        (3, IcmpError::TimeExceeded { code: 0 }),
        (4, IcmpError::ParamProblem { code: 0 }),
    ] {
        let m = icmp6(ty, 0, IpNumber::UDP, &TRANSPORT);
        assert_eq!(
            parse_icmp_error(&icmp_reply(58, &m)).map(|(e, q)| (e, q.protocol)),
            Some((e, 17))
        );
    }
    // Extension headers are not skipped: the quoted protocol is the next header as sent.
    let m = icmp6(
        1,
        0,
        IpNumber::IPV6_HEADER_HOP_BY_HOP,
        &[6, 0, 1, 4, 0, 0, 0, 0, 4, 0xd2, 0, 80, 1, 2, 3, 4],
    );
    assert_eq!(
        parse_icmp_error(&icmp_reply(58, &m)).map(|(_, q)| q.protocol),
        Some(0)
    );
    for ty in [2u8, 128, 129, 135] {
        let m = icmp6(ty, 0, IpNumber::TCP, &TRANSPORT);
        assert_eq!(parse_icmp_error(&icmp_reply(58, &m)), None, "type {ty}");
    }
    let m = icmp6(1, 0, IpNumber::TCP, &TRANSPORT[..7]);
    assert_eq!(parse_icmp_error(&icmp_reply(58, &m)), None);
    let m4 = icmp4(1, 0, &[], &TRANSPORT);
    assert_eq!(parse_icmp_error(&icmp_reply(58, &m4)), None);
}

#[test]
fn icmp_verdict_tables() {
    use Reason::*;
    let v4: [Option<Reason>; 16] = [
        Some(NetUnreach),
        Some(HostUnreach),
        Some(ProtoUnreach),
        Some(PortUnreach),
        None,
        None,
        None,
        None,
        None,
        Some(NetProhibited),
        Some(HostProhibited),
        None,
        None,
        Some(AdminProhibited),
        None,
        None,
    ];
    let v6: [Option<Reason>; 8] = [
        Some(NoRoute),
        Some(AdminProhibited),
        Some(BeyondScope),
        Some(HostUnreach),
        Some(PortUnreach),
        Some(AdminProhibited),
        Some(RejectRoute),
        None,
    ];
    let filtered = |r: Reason| Verdict::new(PortState::Filtered, r);
    for code in 0..=255u8 {
        let e = IcmpError::DestUnreachable { code };
        let want4 = v4.get(usize::from(code)).copied().flatten();
        let want6 = v6.get(usize::from(code)).copied().flatten();
        assert_eq!(icmp_verdict(&e, false), want4.map(filtered), "v4 {code}");
        assert_eq!(icmp_verdict(&e, true), want6.map(filtered), "v6 {code}");
        for v6 in [false, true] {
            assert_eq!(
                icmp_verdict(&IcmpError::TimeExceeded { code }, v6),
                Some(filtered(TimeExceeded))
            );
            assert_eq!(icmp_verdict(&IcmpError::ParamProblem { code }, v6), None);
        }
    }
    let msg = icmp6(1, 3, IpNumber::TCP, &TRANSPORT);
    let reply = icmp_reply(58, &msg);
    let (err, _) = parse_icmp_error(&reply).expect("parse");
    assert_eq!(
        reply_icmp_verdict(&reply, &err),
        Some(Verdict {
            state: PortState::Filtered,
            reason: HostUnreach,
            reason_ttl: 3
        })
    );
}

#[test]
fn udp_checksum_zero_is_sent_as_ffff() {
    // Find a datagram whose checksum computes to zero by fixing two payload bytes.
    let a = IpAddr::from(A4);
    let b = IpAddr::from(B4);
    let mut d = vec![0, 1, 0, 2, 0, 10, 0, 0, 0, 0];
    let partial = udp_checksum(a, b, &d);
    // Adding the one's-complement sum's complement makes the sum 0xffff, checksum 0.
    d[8..10].copy_from_slice(&partial.to_be_bytes());
    assert_eq!(udp_checksum(a, b, &d), 0xffff);
}

#[test]
fn icmp_checksum_agrees_with_etherparse() {
    use etherparse::{IcmpEchoHeader, Icmpv4Header, Icmpv4Type, Icmpv6Header, Icmpv6Type};
    let echo = IcmpEchoHeader {
        id: 0x8123,
        seq: 0x0304,
    };
    let data = [0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5];
    // ICMPv4: over the message alone; an odd length is padded with a zero byte.
    let mut msg = vec![8, 0, 0xff, 0xff, 0x81, 0x23, 0x03, 0x04];
    msg.extend_from_slice(&data);
    let want = Icmpv4Header::with_checksum(Icmpv4Type::EchoRequest(echo), &data).checksum;
    assert_eq!(icmp_checksum(A4.into(), B4.into(), &msg), want);
    assert_eq!(
        icmp_checksum(B4.into(), A4.into(), &msg),
        want,
        "no addresses"
    );
    // ICMPv6: over the pseudo-header too.
    msg[0] = 128;
    let want = Icmpv6Header::with_checksum(Icmpv6Type::EchoRequest(echo), A6, B6, &data)
        .expect("sum")
        .checksum;
    assert_eq!(icmp_checksum(A6.into(), B6.into(), &msg), want);
    assert_ne!(icmp_checksum(B6.into(), A6.into(), &msg[..16]), want);
}

#[test]
fn icmp_query_headers_received_and_quoted() {
    let msg = [0u8, 0, 0x12, 0x34, 0x81, 0x23, 0x03, 0x04, 9];
    let want = IcmpQuery {
        icmp_type: 0,
        code: 0,
        id: 0x8123,
        seq: 0x0304,
    };
    assert_eq!(parse_icmp_query(&msg), Some(want));
    for n in 0..ICMP_QUERY_HEADER_LEN {
        assert_eq!(parse_icmp_query(&msg[..n]), None, "{n}");
    }
    // An echo request quoted by an ICMPv4 error: read only when the quote is ICMP in IPv4.
    let request = [8u8, 0, 0, 0, 0x81, 0x23, 0x03, 0x04];
    let mut m = icmp4(3, 1, &[], &request);
    let (_, q) = parse_icmp_error(&icmp_reply(1, &m)).expect("parse");
    assert_eq!(q.icmp_query(), None, "quoted protocol still says TCP");
    m[8 + 9] = IPPROTO_ICMP;
    let (_, q) = parse_icmp_error(&icmp_reply(1, &m)).expect("parse");
    assert_eq!(
        q.icmp_query().map(|h| (h.icmp_type, h.id, h.seq)),
        Some((8, 0x8123, 0x0304))
    );
    m[8 + 9] = IPPROTO_ICMPV6;
    let (_, q) = parse_icmp_error(&icmp_reply(1, &m)).expect("parse");
    assert_eq!(q.icmp_query(), None, "ICMPv6 inside IPv4");
    // ICMPv6 inside IPv6, and ICMPv4's number inside IPv6.
    let m6 = icmp6(1, 3, IpNumber::IPV6_ICMP, &request);
    let (_, q) = parse_icmp_error(&icmp_reply(58, &m6)).expect("v6");
    assert_eq!(q.icmp_query().map(|h| h.id), Some(0x8123));
    let m6 = icmp6(1, 3, IpNumber::ICMP, &request);
    let (_, q) = parse_icmp_error(&icmp_reply(58, &m6)).expect("v6");
    assert_eq!(q.icmp_query(), None);
}
