//! The link-layer discovery plugins (`arp`, `nd`) through their public contract: registration,
//! the frames they build as etherparse reads them, and random and mutated frames through both
//! classifiers (as the engine hands every received frame to every link unit): whatever the
//! bytes, no panic, and any answer is one the plugin can give. Reproducible: a fixed-seed
//! xorshift generator (`SCANFW_FUZZ_SEED` overrides the seed, `SCANFW_FUZZ_ROUNDS` the number of
//! rounds per seed frame).

mod common;
use common::{fuzz_config, mutated, noise, prefixes, ME4, ME6, TARGET4, TARGET6};
use etherparse::icmpv6::NeighborAdvertisementHeader;
use etherparse::{
    ArpHardwareId, ArpOperation, ArpPacket, EtherType, Icmpv6Type, NetSlice, PacketBuilder,
    SlicedPacket, TransportSlice,
};
use scanfw_core::discovery::{DiscoveryMethod, HostAnswer, LinkContext, LinkMatch, LinkProbe};
use scanfw_core::registry;
use scanfw_core::technique::ProbeBuildError;
use scanfw_core::{Reason, Verdict};
use scanfw_techniques::{Arp, Nd};
use std::net::IpAddr;

const MY_MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];
const HIS_MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x07];
const DEFAULT_SEED: u64 = 0x5ca7_f00d_2024_0011;
const DEFAULT_ROUNDS: u64 = 600;
/// Bytes worth mutating often: EtherType, ARP types, sizes and operation, the IPv6 version,
/// payload length, next header and hop limit, the ICMPv6 type, code and flags, the first
/// option's type and length.
const HOT: &[usize] = &[12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 54, 55, 58, 78, 79];

fn ctx(v6: bool) -> LinkContext {
    let (src_ip, dst_ip) = if v6 {
        (IpAddr::from(ME6), IpAddr::from(TARGET6))
    } else {
        (IpAddr::from(ME4), IpAddr::from(TARGET4))
    };
    LinkContext {
        src_mac: MY_MAC,
        src_ip,
        dst_ip,
    }
}

fn build(p: &dyn LinkProbe, v6: bool) -> Vec<u8> {
    let mut buf = [0u8; 1514];
    let n = p.build(&ctx(v6), &mut buf).expect("build");
    buf[..n].to_vec()
}

fn arp_reply() -> Vec<u8> {
    let arp = ArpPacket::new(
        ArpHardwareId::ETHERNET,
        EtherType::IPV4,
        ArpOperation::REPLY,
        &HIS_MAC,
        &TARGET4,
        &MY_MAC,
        &ME4,
    )
    .expect("arp");
    let mut out = Vec::new();
    PacketBuilder::ethernet2(HIS_MAC, MY_MAC)
        .arp(arp)
        .write(&mut out)
        .expect("write");
    out
}

fn neighbor_advert(options: &[u8]) -> Vec<u8> {
    let header = NeighborAdvertisementHeader {
        router: false,
        solicited: true,
        r#override: true,
    };
    let mut payload = TARGET6.to_vec();
    payload.extend_from_slice(options);
    let mut out = Vec::new();
    PacketBuilder::ethernet2(HIS_MAC, MY_MAC)
        .ipv6(TARGET6, ME6, 255)
        .icmpv6(Icmpv6Type::NeighborAdvertisement(header))
        .write(&mut out, &payload)
        .expect("write");
    out
}

fn tlla(mac: [u8; 6]) -> Vec<u8> {
    let mut o = vec![2, 1];
    o.extend_from_slice(&mac);
    o
}

#[test]
fn registrations() {
    for (name, v6) in [("arp", false), ("nd", true)] {
        let d = registry::discovery_method(name).expect(name);
        assert_eq!(d.name, name);
        assert_eq!(d.nmap_letter, Some('R'));
        assert!(d.needs_privilege);
        assert_eq!(d.default_ports, None);
        assert!(!d.summary.is_empty() && !d.summary.contains('\n'));
        let p = (d.constructor)(&[]).expect("no ports");
        assert!((d.constructor)(&[80]).is_err(), "{name} takes no ports");
        assert_eq!(p.name(), name);
        assert_eq!(p.ports(), [0]);
        assert_eq!((p.supports(v6), p.supports(!v6)), (true, false), "{name}");
        let DiscoveryMethod::Link(l) = p.method() else {
            panic!("{name}: {:?}", p.method())
        };
        assert_eq!(l.ipv6(), v6);
        // The wrong family, through the registered plugin.
        let c = ctx(!v6);
        assert_eq!(
            l.build(&c, &mut [0u8; 128]),
            Err(ProbeBuildError::FamilyMismatch)
        );
    }
    // `-PR` is one letter for both; a lookup by letter finds the first by name.
    assert_eq!(registry::discovery_method("R").map(|d| d.name), Ok("arp"));
}

#[test]
fn built_frames_parse() {
    let arp = build(&Arp, false);
    assert_eq!(arp.len(), 42);
    let p = SlicedPacket::from_ethernet(&arp).expect("arp frame");
    let Some(NetSlice::Arp(a)) = &p.net else {
        panic!("{:?}", p.net)
    };
    let a = a.to_packet().try_eth_ipv4().expect("ethernet/ipv4");
    assert_eq!(a.operation, ArpOperation::REQUEST);
    assert_eq!((a.sender_mac, a.sender_ipv4), (MY_MAC, ME4));
    assert_eq!((a.target_mac, a.target_ipv4), ([0; 6], TARGET4));

    let ns = build(&Nd, true);
    assert_eq!(ns.len(), 86);
    let p = SlicedPacket::from_ethernet(&ns).expect("nd frame");
    let Some(NetSlice::Ipv6(ip)) = &p.net else {
        panic!("{:?}", p.net)
    };
    let group = [
        0xff,
        2,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        1,
        0xff,
        TARGET6[13],
        TARGET6[14],
        TARGET6[15],
    ];
    assert_eq!(ip.header().destination(), group);
    assert_eq!(ip.header().hop_limit(), 255);
    let Some(TransportSlice::Icmpv6(icmp)) = &p.transport else {
        panic!("{:?}", p.transport)
    };
    assert_eq!(icmp.icmp_type(), Icmpv6Type::NeighborSolicitation);
    assert!(icmp.is_checksum_valid(ME6, group));
    assert_eq!(
        &ns[0..6],
        &[0x33, 0x33, 0xff, group[13], group[14], group[15]]
    );
}

#[test]
fn hand_built_answers() {
    let arp = Arp.classify(&arp_reply()).expect("arp reply");
    assert_eq!(
        arp,
        LinkMatch {
            target: IpAddr::from(TARGET4),
            mac: HIS_MAC,
            to_mac: MY_MAC,
            verdict: Verdict::host_up(Reason::ArpResponse, 0),
        }
    );
    let nd = Nd.classify(&neighbor_advert(&tlla(HIS_MAC))).expect("na");
    assert_eq!(
        nd,
        LinkMatch {
            target: IpAddr::from(TARGET6),
            mac: HIS_MAC,
            to_mac: MY_MAC,
            verdict: Verdict::host_up(Reason::NdResponse, 0),
        }
    );
    // Each plugin only reads its own family's answers.
    assert_eq!(Nd.classify(&arp_reply()), None);
    assert_eq!(Arp.classify(&neighbor_advert(&[])), None);
    // Requests are not answers, to either.
    for f in [build(&Arp, false), build(&Nd, true)] {
        assert_eq!(Arp.classify(&f), None);
        assert_eq!(Nd.classify(&f), None);
    }
}

/// Checks one frame through both plugins: never a panic, and any answer is of the plugin's
/// family, a host-up verdict with its reason, carries a host hardware address, and comes from
/// a frame of the plugin's EtherType. Returns how many plugins answered.
fn check(frame: &[u8]) -> usize {
    let mut answered = 0;
    let plugins: [(&dyn LinkProbe, Reason, [u8; 2]); 2] = [
        (&Arp, Reason::ArpResponse, [0x08, 0x06]),
        (&Nd, Reason::NdResponse, [0x86, 0xdd]),
    ];
    for (p, reason, ethertype) in plugins {
        let Some(m) = p.classify(frame) else {
            continue;
        };
        answered += 1;
        assert_eq!(m.target.is_ipv6(), p.ipv6(), "{frame:02x?}");
        assert_eq!(m.verdict, Verdict::host_up(reason, 0), "{frame:02x?}");
        assert_eq!(HostAnswer::of(&m.verdict), HostAnswer::Up);
        assert!(m.mac != [0; 6] && m.mac[0] & 1 == 0, "{frame:02x?}");
        assert_eq!(frame.get(12..14), Some(&ethertype[..]), "{frame:02x?}");
        assert_eq!(frame.get(0..6), Some(&m.to_mac[..]), "{frame:02x?}");
    }
    answered
}

#[test]
fn random_and_mutated_frames_never_panic() {
    let (mut rng, rounds) = fuzz_config(DEFAULT_SEED, DEFAULT_ROUNDS);
    let seeds = [
        build(&Arp, false),
        build(&Nd, true),
        arp_reply(),
        neighbor_advert(&[]),
        neighbor_advert(&tlla(HIS_MAC)),
        neighbor_advert(&[1, 1, 1, 2, 3, 4, 5, 6, 2, 1, 2, 0, 0, 0, 0, 9]),
    ];
    let (mut total, mut answers) = (0u64, 0u64);
    for s in &seeds {
        assert!(check(s) <= 1);
        for _ in 0..rounds {
            answers += check(&mutated(&mut rng, s, HOT)) as u64;
            total += 1;
        }
    }
    // Pure noise, and noise behind a plausible header.
    for _ in 0..rounds * 4 {
        let mut f = noise(&mut rng, 128);
        match rng.below(3) {
            0 if f.len() >= 14 => f[12..14].copy_from_slice(&[0x08, 0x06]),
            1 if f.len() >= 22 => {
                f[12..14].copy_from_slice(&[0x86, 0xdd]);
                f[14] = 0x60;
                f[20] = 58;
                f[21] = 255;
            }
            _ => {}
        }
        answers += check(&f) as u64;
        total += 1;
    }
    // Every prefix of every seed.
    for s in &seeds {
        total += prefixes(s, |f| {
            check(f);
        }) as u64;
    }
    assert!(total >= 5000, "{total} frames");
    // Mutations that keep a reply valid (a flipped padding bit, a changed MAC) still answer.
    assert!(answers > 0, "no mutated reply was still an answer");
    eprintln!("link fixtures: {total} frames, {answers} answers");
}
