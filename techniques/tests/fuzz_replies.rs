//! Random and mutated packets through the SYN classifier and the ICMP error parser: whatever the
//! bytes, no panic, and any verdict is one a SYN scan can give.
//!
//! Reproducible: a fixed-seed xorshift generator (`SCANFW_FUZZ_SEED` overrides the seed,
//! `SCANFW_FUZZ_ROUNDS` the number of rounds per seed packet).

mod common;
use common::{env_u64, ip_payload, mutate, Rng, ME4, ME6, TARGET4, TARGET6};
use etherparse::{icmpv4, icmpv6, Icmpv4Type, Icmpv6Type, IpNumber, PacketBuilder, TcpHeader};
use scanfw_core::packet::{parse_icmp_error, parse_tcp};
use scanfw_core::technique::{ProbeContext, RawProbe, ReplyContext};
use scanfw_core::{PortState, Reason};
use scanfw_techniques::Syn;
use std::net::{IpAddr, SocketAddr};

/// Bytes worth mutating often: ICMP type and code, TCP flags.
const HOT: &[usize] = &[0, 1, 13];
const DEFAULT_SEED: u64 = 0x5ca7_f00d_2024_0001;

fn probe(v6: bool) -> Vec<u8> {
    let (src, dst) = if v6 {
        (IpAddr::from(ME6), IpAddr::from(TARGET6))
    } else {
        (IpAddr::from(ME4), IpAddr::from(TARGET4))
    };
    let ctx = ProbeContext {
        src: SocketAddr::new(src, 40000),
        dst: SocketAddr::new(dst, 80),
        cookie: 0x0bad_cafe,
    };
    let mut buf = [0u8; 64];
    let n = Syn.build(&ctx, &mut buf).expect("build");
    buf[..n].to_vec()
}

/// Valid replies (IP protocol, IP payload) to mutate.
fn seeds() -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    let tcp = |f: fn(&mut TcpHeader), v6: bool| {
        let mut h = TcpHeader::new(80, 40000, 77, 29200);
        h.acknowledgment_number = 0x0bad_caff;
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
        out.push(tcp(
            |h| {
                h.syn = true;
                h.ack = true;
            },
            v6,
        ));
        out.push(tcp(
            |h| {
                h.rst = true;
                h.ack = true;
            },
            v6,
        ));
        out.push(tcp(|h| h.syn = true, v6));
        out.push(tcp(|h| h.rst = true, v6));
    }
    let quoted4 = {
        let seg = probe(false);
        let ip = etherparse::Ipv4Header::new(seg.len() as u16, 64, IpNumber::TCP, ME4, TARGET4)
            .expect("ip");
        let mut v = ip.to_bytes().to_vec();
        v.extend_from_slice(&seg);
        v
    };
    let quoted6 = {
        let seg = probe(true);
        let ip = etherparse::Ipv6Header {
            traffic_class: 0,
            flow_label: Default::default(),
            payload_length: seg.len() as u16,
            next_header: IpNumber::TCP,
            hop_limit: 64,
            source: ME6,
            destination: TARGET6,
        };
        let mut v = ip.to_bytes().to_vec();
        v.extend_from_slice(&seg);
        v
    };
    for t in [
        Icmpv4Type::DestinationUnreachable(icmpv4::DestUnreachableHeader::Port),
        Icmpv4Type::DestinationUnreachable(icmpv4::DestUnreachableHeader::FilterProhibited),
        Icmpv4Type::TimeExceeded(icmpv4::TimeExceededCode::TtlExceededInTransit),
    ] {
        let mut pkt = Vec::new();
        PacketBuilder::ipv4([203, 0, 113, 1], ME4, 64)
            .icmpv4(t)
            .write(&mut pkt, &quoted4)
            .expect("icmp");
        out.push((1, ip_payload(&pkt)));
    }
    for t in [
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
        .icmpv6(t)
        .write(&mut pkt, &quoted6)
        .expect("icmp");
        out.push((58, ip_payload(&pkt)));
    }
    out
}

fn check(proto: u8, payload: &[u8], v6_addrs: bool, ttl: u8) -> bool {
    let (from, to) = if v6_addrs {
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
    let _ = parse_tcp(payload);
    if let Some((_, q)) = parse_icmp_error(&reply) {
        assert!(q.transport.len() >= 8);
        assert_eq!(q.src.is_ipv4(), q.dst.is_ipv4());
    }
    match Syn.classify(&reply) {
        Some(m) => {
            let v = m.verdict;
            assert_eq!(v.reason_ttl, ttl);
            match v.state {
                PortState::Open => {
                    assert!(matches!(
                        v.reason,
                        Reason::SynAck | Reason::SplitHandshakeSyn
                    ))
                }
                PortState::Closed => assert_eq!(v.reason, Reason::Reset),
                PortState::Filtered => assert!(matches!(proto, 1 | 58)),
                other => panic!("SYN never reports {other}"),
            }
            true
        }
        None => false,
    }
}

#[test]
fn random_and_mutated_replies_never_panic() {
    let seed = env_u64("SCANFW_FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let rounds = env_u64("SCANFW_FUZZ_ROUNDS").unwrap_or(12_000) as usize;
    println!("fuzz seed {seed:#x} ({rounds} rounds per seed packet)");
    let mut rng = Rng(seed | 1);
    let seeds = seeds();
    let mut total = 0usize;
    let mut matched = 0usize;

    // Every seed is recognised unmutated (else the fuzzing below would prove little).
    for (proto, pkt) in &seeds {
        let ok = check(*proto, pkt, *proto == 58, 64);
        // RST without ACK is the one valid-looking seed a SYN scan ignores.
        let rst_only = *proto == 6 && pkt.get(13) == Some(&0x04);
        assert_eq!(ok, !rst_only, "seed proto {proto}");
    }

    // Mutations of valid replies, under every IP protocol label.
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
            matched += usize::from(check(label, &p, rng.below(2) == 0, rng.byte()));
            total += 1;
        }
    }

    // Pure noise, biased towards plausible first bytes.
    for _ in 0..rounds * 6 {
        let len = rng.below(120);
        let mut p: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
        if len > 8 && rng.below(2) == 0 {
            p[0] = [3u8, 11, 12, 1, 3, 4][rng.below(6)];
            p[8] = [0x45u8, 0x4f, 0x60, 0x46][rng.below(4)];
        }
        let proto = [1u8, 6, 17, 58, rng.byte()][rng.below(5)];
        matched += usize::from(check(proto, &p, rng.below(2) == 0, rng.byte()));
        total += 1;
    }

    // Every prefix of every seed.
    for (proto, pkt) in &seeds {
        for n in 0..=pkt.len() {
            check(*proto, &pkt[..n], *proto == 58, 1);
            total += 1;
        }
    }

    println!("{total} packets, {matched} classified");
    if rounds >= 12_000 {
        assert!(total >= 200_000, "{total}");
    }
    assert!(matched > 0);
}

/// Exhaustive single-byte substitutions: every value at every offset of every seed.
#[test]
fn every_byte_value_at_every_offset() {
    let mut total = 0usize;
    for (proto, pkt) in seeds() {
        let mut p = pkt.clone();
        for i in 0..p.len() {
            let orig = p[i];
            for b in 0..=255u8 {
                p[i] = b;
                check(proto, &p, proto == 58, 9);
                total += 1;
            }
            p[i] = orig;
        }
    }
    println!("{total} single-byte variants");
    assert!(total > 100_000, "{total}");
}
