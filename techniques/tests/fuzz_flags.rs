//! Random and mutated packets through the six flag-probe classifiers (FIN, NULL, Xmas, ACK,
//! Window, Maimon): whatever the bytes, no panic, and any verdict is one the technique can give,
//! with the echo the RST rule of RFC 793 gives for its probe.
//!
//! Same approach as `fuzz_replies.rs`: a fixed-seed xorshift generator (`SCANFW_FUZZ_SEED`
//! overrides the seed, `SCANFW_FUZZ_ROUNDS` the number of rounds per seed packet).

mod common;
use common::{env_u64, ip_payload, mutate, Rng, ME4, ME6, TARGET4, TARGET6};
use etherparse::{icmpv4, icmpv6, Icmpv4Type, Icmpv6Type, IpNumber, PacketBuilder, TcpHeader};
use scanfw_core::technique::{Echo, ProbeContext, RawProbe, ReplyContext};
use scanfw_core::{PortState, Reason, ScanTechnique};
use scanfw_techniques::{Ack, Fin, Maimon, Null, Window, Xmas};
use std::net::{IpAddr, SocketAddr};

/// Bytes worth mutating often: ICMP type and code, TCP flags, TCP window.
const HOT: &[usize] = &[0, 1, 13, 14, 15];
const DEFAULT_SEED: u64 = 0x5ca7_f00d_2024_0002;
const COOKIE: u32 = 0x0bad_cafe;

trait Tech: ScanTechnique + RawProbe {}
impl<T: ScanTechnique + RawProbe> Tech for T {}

/// Each technique with the states a RST may give it.
fn techniques() -> Vec<(&'static dyn Tech, &'static [PortState])> {
    vec![
        (&Fin, &[PortState::Closed]),
        (&Null, &[PortState::Closed]),
        (&Xmas, &[PortState::Closed]),
        (&Ack, &[PortState::Unfiltered]),
        (&Window, &[PortState::Open, PortState::Closed]),
        (&Maimon, &[PortState::Closed]),
    ]
}

fn probe(t: &dyn Tech, v6: bool) -> Vec<u8> {
    let (src, dst) = if v6 {
        (IpAddr::from(ME6), IpAddr::from(TARGET6))
    } else {
        (IpAddr::from(ME4), IpAddr::from(TARGET4))
    };
    let ctx = ProbeContext {
        src: SocketAddr::new(src, 40000),
        dst: SocketAddr::new(dst, 80),
        cookie: COOKIE,
    };
    let mut buf = [0u8; 64];
    let n = t.build(&ctx, &mut buf).expect("build");
    buf[..n].to_vec()
}

/// Valid replies to `t`'s probes (IP protocol, IP payload) to mutate.
fn seeds(t: &dyn Tech) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    let tcp = |f: &dyn Fn(&mut TcpHeader), v6: bool| {
        let mut h = TcpHeader::new(80, 40000, 0, 0);
        f(&mut h);
        let mut pkt = Vec::new();
        if v6 {
            PacketBuilder::ipv6(TARGET6, ME6, 64)
                .tcp_header(h)
                .write(&mut pkt, &[])
        } else {
            PacketBuilder::ipv4(TARGET4, ME4, 64)
                .tcp_header(h)
                .write(&mut pkt, &[])
        }
        .expect("tcp");
        (6u8, ip_payload(&pkt))
    };
    for v6 in [false, true] {
        // Resets as an RFC 793 stack sends them for either kind of probe, two windows.
        for window in [0u16, 4096] {
            out.push(tcp(
                &|h| {
                    h.rst = true;
                    h.ack = true;
                    h.acknowledgment_number = COOKIE.wrapping_add(1);
                    h.window_size = window;
                },
                v6,
            ));
            out.push(tcp(
                &|h| {
                    h.rst = true;
                    h.sequence_number = COOKIE;
                    h.window_size = window;
                },
                v6,
            ));
        }
        out.push(tcp(
            &|h| {
                h.syn = true;
                h.ack = true;
            },
            v6,
        ));
        out.push((6, probe(t, v6)));
    }
    let quoted = |v6: bool| {
        let seg = probe(t, v6);
        let mut v = if v6 {
            etherparse::Ipv6Header {
                traffic_class: 0,
                flow_label: Default::default(),
                payload_length: seg.len() as u16,
                next_header: IpNumber::TCP,
                hop_limit: 64,
                source: ME6,
                destination: TARGET6,
            }
            .to_bytes()
            .to_vec()
        } else {
            etherparse::Ipv4Header::new(seg.len() as u16, 64, IpNumber::TCP, ME4, TARGET4)
                .expect("ip")
                .to_bytes()
                .to_vec()
        };
        v.extend_from_slice(&seg);
        v
    };
    for ty in [
        Icmpv4Type::DestinationUnreachable(icmpv4::DestUnreachableHeader::Port),
        Icmpv4Type::DestinationUnreachable(icmpv4::DestUnreachableHeader::FilterProhibited),
        Icmpv4Type::TimeExceeded(icmpv4::TimeExceededCode::TtlExceededInTransit),
    ] {
        let mut pkt = Vec::new();
        PacketBuilder::ipv4([203, 0, 113, 1], ME4, 64)
            .icmpv4(ty)
            .write(&mut pkt, &quoted(false))
            .expect("icmp");
        out.push((1, ip_payload(&pkt)));
    }
    for ty in [
        Icmpv6Type::DestinationUnreachable(icmpv6::DestUnreachableCode::Prohibited),
        Icmpv6Type::DestinationUnreachable(icmpv6::DestUnreachableCode::Port),
        Icmpv6Type::TimeExceeded(icmpv6::TimeExceededCode::HopLimitExceeded),
    ] {
        let mut pkt = Vec::new();
        PacketBuilder::ipv6(
            [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99],
            ME6,
            64,
        )
        .icmpv6(ty)
        .write(&mut pkt, &quoted(true))
        .expect("icmp");
        out.push((58, ip_payload(&pkt)));
    }
    out
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// Classifies and checks the invariants; whether it matched.
fn check(
    t: &dyn Tech,
    rst_states: &[PortState],
    proto: u8,
    payload: &[u8],
    v6: bool,
    ttl: u8,
) -> bool {
    let (from, to) = if v6 {
        (IpAddr::from(TARGET6), IpAddr::from(ME6))
    } else {
        (IpAddr::from(TARGET4), IpAddr::from(ME4))
    };
    let reply = ReplyContext {
        from,
        to,
        ttl,
        ip_protocol: proto,
        payload,
    };
    let Some(m) = t.classify(&reply) else {
        return false;
    };
    let v = m.verdict;
    assert_eq!(v.reason_ttl, ttl);
    match proto {
        6 => {
            assert_eq!(v.reason, Reason::Reset, "{}", t.name());
            assert!(rst_states.contains(&v.state), "{} {:?}", t.name(), v);
            let flags = payload[13];
            assert_ne!(flags & 0x04, 0, "only resets classify");
            assert_eq!(
                m.target,
                SocketAddr::new(from, u16::from_be_bytes([payload[0], payload[1]]))
            );
            assert_eq!(m.local_port, u16::from_be_bytes([payload[2], payload[3]]));
            // The echo rule, worked out here from the probe's flags.
            let probe_flags = probe(t, false)[13];
            let expected = if probe_flags & 0x10 != 0 {
                be32(payload, 4)
            } else {
                assert_ne!(flags & 0x10, 0, "a RST without ACK proves nothing here");
                be32(payload, 8).wrapping_sub(u32::from(probe_flags & 0x01))
            };
            assert_eq!(m.echo, Echo::Cookie(expected));
            if t.name() == "window" {
                let window = u16::from_be_bytes([payload[14], payload[15]]);
                let state = if window != 0 {
                    PortState::Open
                } else {
                    PortState::Closed
                };
                assert_eq!(v.state, state);
            }
        }
        1 | 58 => assert_eq!(v.state, PortState::Filtered),
        other => panic!("{} matched IP protocol {other}", t.name()),
    }
    true
}

#[test]
fn random_and_mutated_replies_never_panic() {
    let seed = env_u64("SCANFW_FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let rounds = env_u64("SCANFW_FUZZ_ROUNDS").unwrap_or(3_000) as usize;
    println!("fuzz seed {seed:#x} ({rounds} rounds per seed packet)");
    let mut rng = Rng(seed | 1);
    let mut total = 0usize;
    let mut matched = 0usize;
    for (t, states) in techniques() {
        let seeds = seeds(t);
        // Unmutated seeds: every reset whose echo field fits the probe, and every ICMP error,
        // is recognised; SYN+ACK and our own probe are not.
        let with_ack = probe(t, false)[13] & 0x10 != 0;
        for (proto, pkt) in &seeds {
            let flags = pkt.get(13).copied().unwrap_or(0);
            let want = match proto {
                6 => flags & 0x04 != 0 && (with_ack || flags & 0x10 != 0),
                _ => true,
            };
            assert_eq!(
                check(t, states, *proto, pkt, *proto == 58, 64),
                want,
                "{} seed proto {proto} flags {flags:#x}",
                t.name()
            );
        }
        for (proto, pkt) in &seeds {
            for _ in 0..rounds {
                let mut p = pkt.clone();
                for _ in 0..=rng.below(3) {
                    mutate(&mut rng, &mut p, HOT);
                }
                let label = match rng.below(10) {
                    0 => [1u8, 6, 17, 58][rng.below(4)],
                    _ => *proto,
                };
                let v6 = rng.below(2) == 0;
                let ttl = rng.byte();
                matched += usize::from(check(t, states, label, &p, v6, ttl));
                total += 1;
            }
        }
        for _ in 0..rounds * 4 {
            let len = rng.below(120);
            let mut p: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
            if len > 8 && rng.below(2) == 0 {
                p[0] = [3u8, 11, 12, 1, 3, 4][rng.below(6)];
                p[8] = [0x45u8, 0x4f, 0x60, 0x46][rng.below(4)];
            }
            let proto = [1u8, 6, 17, 58, rng.byte()][rng.below(5)];
            let v6 = rng.below(2) == 0;
            matched += usize::from(check(t, states, proto, &p, v6, rng.byte()));
            total += 1;
        }
        for (proto, pkt) in &seeds {
            for n in 0..=pkt.len() {
                check(t, states, *proto, &pkt[..n], *proto == 58, 1);
                total += 1;
            }
        }
    }
    println!("{total} packets, {matched} classified");
    if rounds >= 3_000 {
        assert!(total >= 300_000, "{total}");
    }
    assert!(matched > 0);
}

/// Exhaustive single-byte substitutions: every value at every offset of every seed, for every
/// technique.
#[test]
fn every_byte_value_at_every_offset() {
    let mut total = 0usize;
    for (t, states) in techniques() {
        for (proto, pkt) in seeds(t) {
            let mut p = pkt.clone();
            for i in 0..p.len() {
                let orig = p[i];
                for b in 0..=255u8 {
                    p[i] = b;
                    check(t, states, proto, &p, proto == 58, 9);
                    total += 1;
                }
                p[i] = orig;
            }
        }
    }
    println!("{total} single-byte variants");
    assert!(total > 500_000, "{total}");
}
