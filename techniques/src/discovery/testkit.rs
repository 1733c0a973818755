//! Fixtures shared by the discovery plugins' unit tests. Addresses, ports, cookie and TTL are
//! the flag techniques' (`flags::testkit`); packets are built by etherparse, a second
//! implementation. The ICMP error tables ([`ERRORS`], [`SILENT_ERRORS`]) are what every raw
//! plugin must make of an error quoting its probe ([`check_errors`]).

pub(crate) use crate::flags::testkit::{
    reply, router, target, tcp_reply, COOKIE, ME4, ME6, ROUTER6, SPORT, TARGET4, TARGET6, TTL,
};
use etherparse::{IpNumber, Ipv4Header, Ipv6Header, PacketBuilder};
use scanfw_core::discovery::{DiscoveryTechnique, HostAnswer};
use scanfw_core::technique::{Echo, ProbeContext, RawMatch, RawProbe};
use scanfw_core::{PortState, Reason, Verdict};
use std::net::{IpAddr, SocketAddr};

/// A raw discovery plugin under test.
pub(crate) trait Plugin: DiscoveryTechnique + RawProbe {}
impl<T: DiscoveryTechnique + RawProbe> Plugin for T {}

/// Both families, with the IP protocol of ICMP errors in each.
pub(crate) const FAMILIES: [(bool, u8); 2] = [(false, 1), (true, 58)];

/// The echo of a reply proven by the keyed local port alone.
pub(crate) const FLOW: Echo = Echo::Flow { seq: 0 };
/// The echo of an ICMP answer that copies only the sequence number: the cookie's low 16 bits.
pub(crate) const SEQ_STAMP: Echo = Echo::Stamp {
    value: COOKIE & 0xffff,
    mask: 0xffff,
};

/// A probe from our keyed port [`SPORT`] to the target's `dport` with [`COOKIE`].
pub(crate) fn ctx(v6: bool, dport: u16) -> ProbeContext {
    let me = if v6 {
        IpAddr::from(ME6)
    } else {
        IpAddr::from(ME4)
    };
    ProbeContext {
        src: SocketAddr::new(me, SPORT),
        dst: SocketAddr::new(target(v6), dport),
        cookie: COOKIE,
    }
}

/// An IPv4 source with an IPv6 destination.
pub(crate) fn mixed_ctx() -> ProbeContext {
    ProbeContext {
        src: ctx(false, 80).src,
        dst: ctx(true, 80).dst,
        cookie: 1,
    }
}

/// The probe `p` builds for `ctx`.
pub(crate) fn build(p: &dyn RawProbe, ctx: &ProbeContext) -> Vec<u8> {
    let mut buf = [0u8; 1500];
    let n = p.build(ctx, &mut buf).expect("build");
    buf[..n].to_vec()
}

/// What `p` makes of `pkt` from `from` under IP protocol `proto`.
pub(crate) fn classify(p: &dyn RawProbe, from: IpAddr, proto: u8, pkt: &[u8]) -> Option<RawMatch> {
    p.classify(&reply(from, proto, pkt))
}

/// Length of the IP header etherparse writes (no options, no extension headers).
pub(crate) fn ip_len(v6: bool) -> usize {
    if v6 {
        40
    } else {
        20
    }
}

/// `transport` from us to the target under an IP header with protocol `proto`: the packet the
/// kernel sent, as an ICMP error quotes it.
pub(crate) fn sent_packet(v6: bool, proto: u8, transport: &[u8]) -> Vec<u8> {
    let len = u16::try_from(transport.len()).expect("length");
    let mut out = if v6 {
        Ipv6Header {
            payload_length: len,
            next_header: IpNumber(proto),
            hop_limit: 64,
            source: ME6,
            destination: TARGET6,
            ..Default::default()
        }
        .to_bytes()
        .to_vec()
    } else {
        Ipv4Header::new(len, 64, IpNumber(proto), ME4, TARGET4)
            .expect("ip")
            .to_bytes()
            .to_vec()
    };
    out.extend_from_slice(transport);
    out
}

/// An ICMP (`v6` false) or ICMPv6 error of type `ty` and `code` from `from` to us, quoting
/// `quoted`; the IP payload, checksummed by etherparse.
pub(crate) fn icmp_error(from: IpAddr, ty: u8, code: u8, quoted: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match from {
        IpAddr::V4(f) => PacketBuilder::ipv4(f.octets(), ME4, TTL)
            .icmpv4_raw(ty, code, [0; 4])
            .write(&mut out, quoted),
        IpAddr::V6(f) => PacketBuilder::ipv6(f.octets(), ME6, TTL)
            .icmpv6_raw(ty, code, [0; 4])
            .write(&mut out, quoted),
    }
    .expect("write");
    out.split_off(ip_len(from.is_ipv6()))
}

/// A UDP datagram from the target's `sport` to our `dport`.
pub(crate) fn udp_reply(v6: bool, sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let ip = if v6 {
        PacketBuilder::ipv6(TARGET6, ME6, TTL)
    } else {
        PacketBuilder::ipv4(TARGET4, ME4, TTL)
    };
    let mut out = Vec::new();
    ip.udp(sport, dport).write(&mut out, data).expect("write");
    out.split_off(ip_len(v6))
}

/// Asserts a match for target `(target, port)` and our port, with `echo` and a host verdict
/// (`up` or down) for `reason` at [`TTL`].
pub(crate) fn expect_host(
    m: Option<RawMatch>,
    target: IpAddr,
    port: u16,
    echo: Echo,
    up: bool,
    reason: Reason,
) {
    let m = m.expect("a match");
    assert_eq!(m.target, SocketAddr::new(target, port));
    assert_eq!(m.local_port, SPORT);
    assert_eq!(m.echo, echo);
    let want = if up {
        Verdict::host_up(reason, TTL)
    } else {
        Verdict::host_down(reason, TTL)
    };
    assert_eq!(m.verdict, want);
    let answer = if up { HostAnswer::Up } else { HostAnswer::Down };
    assert_eq!(HostAnswer::of(&m.verdict), answer);
}

/// An ICMP error with a reason in the shared table: whether the target itself sends it (else a
/// router), its ICMPv4 type and code, its ICMPv6 ones (`None`: tested over IPv4 only), reason.
pub(crate) type ErrorCase = (bool, (u8, u8), Option<(u8, u8)>, Reason);

/// Errors every raw plugin reads the same way: the reason, host up from the target, down
/// from a router.
pub(crate) const ERRORS: &[ErrorCase] = &[
    (false, (3, 0), None, Reason::NetUnreach),
    (false, (3, 1), Some((1, 3)), Reason::HostUnreach),
    (false, (3, 3), Some((1, 4)), Reason::PortUnreach),
    (false, (3, 13), Some((1, 1)), Reason::AdminProhibited),
    (false, (11, 0), Some((3, 0)), Reason::TimeExceeded),
    (true, (3, 1), Some((1, 3)), Reason::HostUnreach),
    (true, (3, 2), None, Reason::ProtoUnreach),
    (true, (3, 3), Some((1, 4)), Reason::PortUnreach),
    (true, (3, 13), Some((1, 1)), Reason::AdminProhibited),
];

/// Errors that say nothing about the host, from a router: `(v6, type, code)`: fragmentation
/// needed and parameter problem (ICMPv4), parameter problem (ICMPv6).
pub(crate) const SILENT_ERRORS: &[(bool, u8, u8)] = &[(false, 3, 4), (false, 12, 0), (true, 4, 0)];

/// Every [`ERRORS`] case of family `v6` sent by the target (`from_target`) or a router, quoting
/// `quoted` (our probe under its IP header): a match for `(target, port)` with `echo` and the
/// case's verdict.
pub(crate) fn check_errors(
    p: &dyn RawProbe,
    v6: bool,
    from_target: bool,
    quoted: &[u8],
    port: u16,
    echo: Echo,
) {
    let proto = if v6 { 58 } else { 1 };
    let from = if from_target { target(v6) } else { router(v6) };
    for &(by_target, v4_type, v6_type, reason) in ERRORS {
        let Some((ty, code)) = (if v6 { v6_type } else { Some(v4_type) }) else {
            continue;
        };
        if by_target != from_target {
            continue;
        }
        let m = classify(p, from, proto, &icmp_error(from, ty, code, quoted));
        expect_host(m, target(v6), port, echo, from_target, reason);
    }
}

/// Every [`SILENT_ERRORS`] case of family `v6` quoting `quoted` gives no match.
pub(crate) fn check_silent_errors(p: &dyn RawProbe, v6: bool, quoted: &[u8]) {
    let proto = if v6 { 58 } else { 1 };
    for &(_, ty, code) in SILENT_ERRORS.iter().filter(|e| e.0 == v6) {
        let e = icmp_error(router(v6), ty, code, quoted);
        assert_eq!(classify(p, router(v6), proto, &e), None, "{ty}/{code}");
    }
}

/// Every prefix of `pkt` matches exactly from `min` bytes on.
pub(crate) fn check_prefixes(p: &dyn RawProbe, from: IpAddr, proto: u8, pkt: &[u8], min: usize) {
    for n in 0..=pkt.len() {
        let m = p.classify(&reply(from, proto, &pkt[..n]));
        assert_eq!(
            m.is_some(),
            n >= min,
            "proto {proto} prefix {n} of {}",
            pkt.len()
        );
    }
}

/// Zeros, ones and ramps of every length up to 80 under every protocol label, from the target
/// and a router of both families: no panic, and any match is a host answer (`open` or
/// `filtered`).
pub(crate) fn check_garbage(p: &dyn RawProbe) {
    for from in [target(false), router(false), target(true), router(true)] {
        for proto in [0u8, 1, 6, 17, 58, 255] {
            for len in 0..80 {
                let ramp: Vec<u8> = (0..len).map(|i| i as u8).collect();
                for g in [vec![0u8; len], vec![0xffu8; len], ramp] {
                    if let Some(m) = p.classify(&reply(from, proto, &g)) {
                        assert!(
                            matches!(m.verdict.state, PortState::Open | PortState::Filtered),
                            "{:?}",
                            m.verdict
                        );
                    }
                }
            }
        }
    }
}
