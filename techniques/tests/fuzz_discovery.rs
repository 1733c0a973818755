//! Random and mutated packets through every raw host-discovery plugin's classifier: whatever
//! the bytes, no panic, and any verdict is a host answer a discovery plugin can give.
//!
//! Every packet goes to every plugin, as the engine hands each received packet to every unit
//! listening on its socket. Seeds are built from each plugin's own probes: the probe itself (as
//! seen on loopback), the target's answer, and ICMP errors quoting it from a router and from the
//! target. Reproducible: a fixed-seed xorshift generator (`SCANFW_FUZZ_SEED` overrides the seed,
//! `SCANFW_FUZZ_ROUNDS` the number of rounds per seed packet).

mod common;
use common::{
    any_label, byte_variants, check_totals, fuzz_config, ip, ip_payload, mutated, noise, prefixes,
    received, relabel, ME4, ME6, TARGET4, TARGET6,
};
use etherparse::{IpNumber, TcpHeader};
use scanfw_core::discovery::{DiscoveryMethod, DiscoveryTechnique};
use scanfw_core::registry;
use scanfw_core::technique::{ProbeContext, RawProbe};
use scanfw_core::{PortState, Reason};
use std::net::{IpAddr, SocketAddr};
// Registration happens at link time: name the plugin crate.
use scanfw_techniques as _;

const ROUTER4: [u8; 4] = [203, 0, 113, 1];
const ROUTER6: [u8; 16] = [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99];
const SPORT: u16 = 40000;
const COOKIE: u32 = 0x0bad_cafe;
const DEFAULT_SEED: u64 = 0x5ca7_f00d_2024_0002;
/// Bytes worth mutating often: ICMP type and code, identifier, TCP flags, the quoted IP
/// version, protocol (IPv4) and next header (IPv6), the quoted ICMP type.
const HOT: &[usize] = &[0, 1, 4, 5, 13, 8, 17, 14, 28, 48];
/// Every reason a discovery plugin may give.
const REASONS: &[Reason] = &[
    Reason::EchoReply,
    Reason::TimestampReply,
    Reason::AddressmaskReply,
    Reason::SynAck,
    Reason::Reset,
    Reason::SplitHandshakeSyn,
    Reason::UdpResponse,
    Reason::NetUnreach,
    Reason::HostUnreach,
    Reason::ProtoUnreach,
    Reason::PortUnreach,
    Reason::NetProhibited,
    Reason::HostProhibited,
    Reason::AdminProhibited,
    Reason::TimeExceeded,
    Reason::NoRoute,
    Reason::BeyondScope,
    Reason::RejectRoute,
];

/// Every linked raw discovery plugin, with its default ports.
fn plugins() -> Vec<Box<dyn DiscoveryTechnique>> {
    let all = registry::discovery().expect("registry");
    let raw: Vec<_> = all
        .iter()
        .map(|d| (d.constructor)(&[]).expect(d.name))
        .filter(|p| matches!(p.method(), DiscoveryMethod::Raw(_)))
        .collect();
    let names: Vec<_> = raw.iter().map(|p| p.name()).collect();
    for want in [
        "icmp-echo",
        "icmp-netmask",
        "icmp-timestamp",
        "tcp-ack",
        "tcp-syn",
        "udp",
    ] {
        assert!(names.contains(&want), "{want} not registered: {names:?}");
    }
    raw
}

fn raw(p: &dyn DiscoveryTechnique) -> &dyn RawProbe {
    match p.method() {
        DiscoveryMethod::Raw(r) => r,
        _ => unreachable!("filtered in plugins()"),
    }
}

fn addrs(v6: bool) -> (IpAddr, IpAddr, IpAddr) {
    if v6 {
        (ME6.into(), TARGET6.into(), ROUTER6.into())
    } else {
        (ME4.into(), TARGET4.into(), ROUTER4.into())
    }
}

/// A seed: IP protocol label, IP payload, whether it comes from an IPv6 address, and which
/// plugin (by name) must recognise it unmutated, if any.
struct Seed {
    proto: u8,
    pkt: Vec<u8>,
    v6: bool,
    from_router: bool,
    owner: Option<&'static str>,
}

/// `transport` under the IP header we sent it with.
fn sent(v6: bool, proto: u8, transport: &[u8]) -> Vec<u8> {
    let (me, target, _) = addrs(v6);
    let mut out = Vec::new();
    ip(me, target)
        .write(&mut out, IpNumber(proto), transport)
        .expect("ip");
    out
}

/// ICMP errors quoting `quoted`, from a router and from the target: host unreachable, port
/// unreachable and time exceeded, with etherparse's checksums.
fn errors(v6: bool, quoted: &[u8], owner: &'static str) -> Vec<Seed> {
    let (me, target, router) = addrs(v6);
    let (proto, kinds) = if v6 {
        (58, [(1, 3), (1, 4), (3, 0)])
    } else {
        (1, [(3, 1), (3, 3), (11, 0)])
    };
    let mut out = Vec::new();
    for (from, from_router) in [(router, true), (target, false)] {
        for (ty, code) in kinds {
            let mut pkt = Vec::new();
            let ip = ip(from, me);
            if v6 {
                ip.icmpv6_raw(ty, code, [0; 4]).write(&mut pkt, quoted)
            } else {
                ip.icmpv4_raw(ty, code, [0; 4]).write(&mut pkt, quoted)
            }
            .expect("icmp");
            out.push(Seed {
                proto,
                pkt: ip_payload(&pkt),
                v6,
                from_router,
                owner: Some(owner),
            });
        }
    }
    out
}

/// The target's answers to a probe of protocol `proto` to `dport`.
fn answers(v6: bool, proto: u8, probe: &[u8], dport: u16) -> Vec<(u8, Vec<u8>)> {
    let (me, target, _) = addrs(v6);
    let tcp = |f: fn(&mut TcpHeader)| {
        let mut h = TcpHeader::new(dport, SPORT, 77, 29200);
        f(&mut h);
        let mut pkt = Vec::new();
        ip(target, me)
            .tcp_header(h)
            .write(&mut pkt, &[])
            .expect("tcp");
        (6u8, ip_payload(&pkt))
    };
    match proto {
        1 | 58 => {
            let mut r = probe.to_vec();
            r[0] = match r[0] {
                8 => 0,
                13 => 14,
                17 => 18,
                128 => 129,
                other => panic!("unknown request type {other}"),
            };
            vec![(proto, r)]
        }
        6 => vec![
            tcp(|h| {
                h.syn = true;
                h.ack = true;
                h.acknowledgment_number = COOKIE.wrapping_add(1);
            }),
            tcp(|h| {
                h.rst = true;
                h.ack = true;
                h.acknowledgment_number = COOKIE.wrapping_add(1);
            }),
            tcp(|h| {
                h.rst = true;
                h.sequence_number = COOKIE;
            }),
        ],
        17 => {
            let mut pkt = Vec::new();
            let udp = ip(target, me).udp(dport, SPORT);
            udp.write(&mut pkt, b"answer").expect("udp");
            vec![(17, ip_payload(&pkt))]
        }
        other => panic!("unknown protocol {other}"),
    }
}

fn seeds(plugins: &[Box<dyn DiscoveryTechnique>]) -> Vec<Seed> {
    let mut out = Vec::new();
    for p in plugins {
        let r = raw(p.as_ref());
        for v6 in [false, true] {
            if !p.supports(v6) {
                continue;
            }
            let (me, target, _) = addrs(v6);
            let dport = p.ports()[0];
            let ctx = ProbeContext {
                src: SocketAddr::new(me, SPORT),
                dst: SocketAddr::new(target, dport),
                cookie: COOKIE,
            };
            let mut buf = [0u8; 1500];
            let n = r
                .build(&ctx, &mut buf)
                .unwrap_or_else(|e| panic!("{}: {e}", p.name()));
            let probe = buf[..n].to_vec();
            let proto = r.ip_protocol_for(v6);
            out.push(Seed {
                proto,
                pkt: probe.clone(),
                v6,
                from_router: false,
                owner: None,
            });
            for (label, pkt) in answers(v6, proto, &probe, dport) {
                // A bare RST (seq = cookie) answers the ACK probe; SYN+ACK and RST+ACK
                // (ack = cookie + 1) answer the SYN probe.
                let bare_rst = label == 6 && pkt[13] == 0x04;
                let owner = (label != 6 || bare_rst == (p.name() == "tcp-ack")).then_some(p.name());
                out.push(Seed {
                    proto: label,
                    pkt,
                    v6,
                    from_router: false,
                    owner,
                });
            }
            out.extend(errors(v6, &sent(v6, proto, &probe), p.name()));
        }
    }
    out
}

/// Every plugin classifies the packet; returns how many recognised it, and whether `owner`
/// did.
fn check(
    plugins: &[Box<dyn DiscoveryTechnique>],
    proto: u8,
    payload: &[u8],
    from: IpAddr,
    ttl: u8,
    owner: Option<&str>,
) -> (usize, bool) {
    let reply = received(from, proto, ttl, payload);
    let mut matched = 0;
    let mut owned = false;
    for p in plugins {
        let r = raw(p.as_ref());
        let Some(m) = r.classify(&reply) else {
            continue;
        };
        matched += 1;
        owned |= owner == Some(p.name());
        let v = m.verdict;
        assert_eq!(v.reason_ttl, ttl, "{}", p.name());
        assert!(REASONS.contains(&v.reason), "{}: {:?}", p.name(), v.reason);
        match v.state {
            PortState::Open => {}
            PortState::Filtered => assert!(matches!(proto, 1 | 58), "{}", p.name()),
            other => panic!("{} gave {other}", p.name()),
        }
        if matches!(r.ip_protocol_for(from.is_ipv6()), 1 | 58) {
            assert_eq!(m.target.port(), 0, "{}", p.name());
            assert!(
                (33000..=60015).contains(&m.local_port),
                "{}: identifier {}",
                p.name(),
                m.local_port
            );
        }
    }
    (matched, owned)
}

fn from_of(seed: &Seed) -> IpAddr {
    let (_, target, router) = addrs(seed.v6);
    if seed.from_router {
        router
    } else {
        target
    }
}

#[test]
fn random_and_mutated_replies_never_panic() {
    let (mut rng, rounds) = fuzz_config(DEFAULT_SEED, 12_000);
    let plugins = plugins();
    let seeds = seeds(&plugins);
    let mut total = 0usize;
    let mut matched = 0usize;

    // Every answer and error is recognised by the plugin whose probe it answers; our own
    // probes seen again are recognised by none.
    for s in &seeds {
        let (n, owned) = check(&plugins, s.proto, &s.pkt, from_of(s), 64, s.owner);
        match s.owner {
            Some(o) => assert!(owned, "{o} missed its seed (proto {})", s.proto),
            // A SYN or datagram of ours reads like the target's (the engine drops those by
            // their keyed ports); a bare RST answers only the ACK probe.
            None if s.proto == 6 || s.proto == 17 => {}
            None => assert_eq!(n, 0, "own probe recognised (proto {})", s.proto),
        }
    }

    // Mutations of valid packets, sometimes under another protocol label or family.
    for s in &seeds {
        for _ in 0..rounds {
            let p = mutated(&mut rng, &s.pkt, HOT);
            let label = relabel(&mut rng, s.proto);
            let from = match rng.below(4) {
                0 => addrs(rng.below(2) == 0).2,
                1 => addrs(!s.v6).1,
                _ => from_of(s),
            };
            matched += check(&plugins, label, &p, from, rng.byte(), None).0;
            total += 1;
        }
    }

    // Pure noise, biased towards plausible ICMP first bytes and quoted IP headers.
    for _ in 0..rounds * 4 {
        let mut p = noise(&mut rng, 120);
        if p.len() > 30 && rng.below(2) == 0 {
            p[0] = [0u8, 3, 11, 12, 14, 18, 1, 129][rng.below(8)];
            p[8] = [0x45u8, 0x46, 0x4f, 0x60][rng.below(4)];
            p[17] = [1u8, 6, 17, 58][rng.below(4)];
            p[28] = [8u8, 13, 17, 128][rng.below(4)];
        }
        let proto = any_label(&mut rng);
        let from = addrs(rng.below(2) == 0).1;
        matched += check(&plugins, proto, &p, from, rng.byte(), None).0;
        total += 1;
    }

    // Every prefix of every seed.
    for s in &seeds {
        total += prefixes(&s.pkt, |p| {
            check(&plugins, s.proto, p, from_of(s), 1, None);
        });
    }

    check_totals(total, matched, rounds >= 12_000, 500_000);
}

/// Exhaustive single-byte substitutions: every value at every offset of every seed.
#[test]
fn every_byte_value_at_every_offset() {
    let plugins = plugins();
    let mut total = 0usize;
    for s in seeds(&plugins) {
        let from = from_of(&s);
        total += byte_variants(&s.pkt, |p| {
            check(&plugins, s.proto, p, from, 9, None);
        });
    }
    println!("{total} single-byte variants");
    assert!(total > 100_000, "{total}");
}
