//! Neighbor Discovery (`-PR` for IPv6 targets, registry name `nd`): an ICMPv6 Neighbor
//! Solicitation (RFC 4861 section 4.3), as the kernel sends to resolve a neighbour.
//!
//! Probe: one 86-byte Ethernet frame:
//!
//! | bytes | field | value |
//! |---|---|---|
//! | 0..6 | Ethernet destination | `33:33:ff:XX:XX:XX`: the solicited-node group's (RFC 2464) |
//! | 6..12 | Ethernet source | our interface's hardware address |
//! | 12..14 | EtherType | `0x86dd` (IPv6) |
//! | 14..54 | IPv6 header | version 6, traffic class and flow label 0, payload length 32, next header 58, hop limit 255, from our address to the target's solicited-node group `ff02::1:ffXX:XXXX` (its low 24 bits) |
//! | 54..62 | ICMPv6 | type 135, code 0, checksum over the IPv6 pseudo-header, 4 reserved zero bytes |
//! | 62..78 | target address | the target |
//! | 78..86 | option 1 | source link-layer address (length 1: our hardware address) |
//!
//! An answer is a Neighbor Advertisement passing RFC 4861 section 7.1.2's checks: IPv6 with
//! ICMPv6 as next header (no extension headers), hop limit 255, type 136, code 0, an ICMPv6
//! length of at least 24 within the frame (trailing bytes are padding), a correct checksum,
//! a target address that is not multicast, the solicited flag clear when sent to a multicast
//! group, and well-formed options (none of length 0, none past the end). It is about its target
//! address, which is up (`nd-response`), with the hardware address of its target link-layer
//! address option (type 2, the first one) or else the Ethernet source; a hardware address that
//! is zero or multicast makes it no answer.

use super::{be16_at, mac_at, unicast_mac, write_eth, ETHERTYPE_IPV6, ETH_HEADER_LEN};
use crate::discovery::discovery_plugin;
use scanfw_core::discovery::{LinkContext, LinkMatch, LinkProbe};
use scanfw_core::packet::{icmp_checksum, IPPROTO_ICMPV6};
use scanfw_core::technique::ProbeBuildError;
use scanfw_core::{Reason, Verdict};
use std::net::{IpAddr, Ipv6Addr};

/// Length of an IPv6 header.
const IPV6_HEADER_LEN: usize = 40;
/// ICMPv6 Neighbor Solicitation: 8-byte header, target address, one 8-byte option.
const NS_LEN: usize = 8 + 16 + 8;
/// Length of the probe frame.
pub(crate) const ND_FRAME_LEN: usize = ETH_HEADER_LEN + IPV6_HEADER_LEN + NS_LEN;
/// Shortest Neighbor Advertisement: 8-byte header and the target address.
const NA_MIN_LEN: usize = 24;
/// ICMPv6 types.
const TYPE_NS: u8 = 135;
const TYPE_NA: u8 = 136;
/// Hop limit of every Neighbor Discovery message (proof it was not forwarded).
const HOP_LIMIT: u8 = 255;
/// Neighbor Discovery options.
const OPT_SOURCE_LLADDR: u8 = 1;
const OPT_TARGET_LLADDR: u8 = 2;
/// Neighbor Advertisement flag: solicited.
const FLAG_SOLICITED: u8 = 0x40;

/// The solicited-node multicast group of `target`: `ff02::1:ff00:0/104` and its low 24 bits.
pub(crate) fn solicited_node(target: Ipv6Addr) -> Ipv6Addr {
    let t = target.octets();
    let mut g = [0u8; 16];
    g[0] = 0xff;
    g[1] = 0x02;
    g[11] = 0x01;
    g[12] = 0xff;
    g[13..16].copy_from_slice(&t[13..16]);
    Ipv6Addr::from(g)
}

/// The Ethernet address of the IPv6 multicast group `group`: `33:33` and its low 32 bits.
fn multicast_mac(group: Ipv6Addr) -> [u8; 6] {
    let g = group.octets();
    [0x33, 0x33, g[12], g[13], g[14], g[15]]
}

discovery_plugin! {
    /// The Neighbor Discovery plugin (IPv6 neighbours).
    pub struct Nd;
    name: "nd", letter: Some('R'), privileged: true,
    summary: "ICMPv6 neighbor solicitation to an IPv6 neighbour on the local Ethernet: a neighbor advertisement means up",
    method: Link, supports: |v6| v6,
}

impl LinkProbe for Nd {
    fn ipv6(&self) -> bool {
        true
    }

    fn build(&self, ctx: &LinkContext, buf: &mut [u8]) -> Result<usize, ProbeBuildError> {
        let (IpAddr::V6(src), IpAddr::V6(target)) = (ctx.src_ip, ctx.dst_ip) else {
            return Err(ProbeBuildError::FamilyMismatch);
        };
        let buf = buf
            .get_mut(..ND_FRAME_LEN)
            .ok_or(ProbeBuildError::BufferTooSmall(ND_FRAME_LEN))?;
        let group = solicited_node(target);
        write_eth(buf, multicast_mac(group), ctx.src_mac, ETHERTYPE_IPV6);

        let ip = &mut buf[ETH_HEADER_LEN..ETH_HEADER_LEN + IPV6_HEADER_LEN];
        ip[0..4].copy_from_slice(&[0x60, 0, 0, 0]);
        ip[4..6].copy_from_slice(&(NS_LEN as u16).to_be_bytes());
        ip[6] = IPPROTO_ICMPV6;
        ip[7] = HOP_LIMIT;
        ip[8..24].copy_from_slice(&src.octets());
        ip[24..40].copy_from_slice(&group.octets());

        let ns = &mut buf[ETH_HEADER_LEN + IPV6_HEADER_LEN..];
        ns[0] = TYPE_NS;
        ns[1] = 0;
        ns[2..8].fill(0);
        ns[8..24].copy_from_slice(&target.octets());
        ns[24] = OPT_SOURCE_LLADDR;
        ns[25] = 1;
        ns[26..32].copy_from_slice(&ctx.src_mac);
        let sum = icmp_checksum(IpAddr::V6(src), IpAddr::V6(group), ns);
        ns[2..4].copy_from_slice(&sum.to_be_bytes());
        Ok(ND_FRAME_LEN)
    }

    fn classify(&self, frame: &[u8]) -> Option<LinkMatch> {
        if be16_at(frame, 12)? != ETHERTYPE_IPV6 {
            return None;
        }
        let ip = frame.get(ETH_HEADER_LEN..ETH_HEADER_LEN + IPV6_HEADER_LEN)?;
        if ip[0] >> 4 != 6 || ip[6] != IPPROTO_ICMPV6 || ip[7] != HOP_LIMIT {
            return None;
        }
        let len = usize::from(be16_at(ip, 4)?);
        let start = ETH_HEADER_LEN + IPV6_HEADER_LEN;
        let na = frame.get(start..start + len)?;
        if len < NA_MIN_LEN || na[0] != TYPE_NA || na[1] != 0 {
            return None;
        }
        let src: [u8; 16] = ip[8..24].try_into().ok()?;
        let dst: [u8; 16] = ip[24..40].try_into().ok()?;
        let (src, dst) = (Ipv6Addr::from(src), Ipv6Addr::from(dst));
        if icmp_checksum(IpAddr::V6(src), IpAddr::V6(dst), na) != be16_at(na, 2)? {
            return None;
        }
        if dst.is_multicast() && na[4] & FLAG_SOLICITED != 0 {
            return None;
        }
        let target: [u8; 16] = na[8..24].try_into().ok()?;
        let target = Ipv6Addr::from(target);
        if target.is_multicast() {
            return None;
        }
        let mac = match target_lladdr(&na[NA_MIN_LEN..])? {
            Some(m) => m,
            None => mac_at(frame, 6)?,
        };
        if !unicast_mac(&mac) {
            return None;
        }
        Some(LinkMatch {
            target: IpAddr::V6(target),
            mac,
            to_mac: mac_at(frame, 0)?,
            verdict: Verdict::host_up(Reason::NdResponse, 0),
        })
    }
}

/// The hardware address of the first Ethernet-sized target link-layer address option in
/// `options`: `Some(None)` when there is none, `None` when the options are malformed (an
/// option of length 0 or one running past the end).
fn target_lladdr(mut options: &[u8]) -> Option<Option<[u8; 6]>> {
    let mut found = None;
    while !options.is_empty() {
        let kind = *options.first()?;
        let len = usize::from(*options.get(1)?) * 8;
        if len == 0 {
            return None;
        }
        let opt = options.get(..len)?;
        if kind == OPT_TARGET_LLADDR && len == 8 && found.is_none() {
            found = mac_at(opt, 2);
        }
        options = &options[len..];
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::testkit::*;
    use etherparse::icmpv6::{NdpOptionSlice, NeighborAdvertisementHeader};
    use etherparse::{
        EtherType, Icmpv6Slice, Icmpv6Type, IpNumber, LinkSlice, NetSlice, PacketBuilder,
        SlicedPacket, TransportSlice,
    };
    use scanfw_core::discovery::HostAnswer;

    const ME: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    const HIM: [u8; 16] = [
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
    ];

    fn ctx() -> LinkContext {
        link_ctx(ME, HIM)
    }

    fn solicitation() -> Vec<u8> {
        frame(&Nd, &ctx())
    }

    /// A Neighbor Advertisement built by etherparse: from `src` to `dst` with `hop_limit`,
    /// flags `solicited`, about `target`, with `options`.
    fn advert(
        dst: [u8; 16],
        hop_limit: u8,
        solicited: bool,
        target: [u8; 16],
        options: &[u8],
    ) -> Vec<u8> {
        let header = NeighborAdvertisementHeader {
            router: false,
            solicited,
            r#override: true,
        };
        let mut payload = target.to_vec();
        payload.extend_from_slice(options);
        let mut out = Vec::new();
        PacketBuilder::ethernet2(HIS_MAC, MY_MAC)
            .ipv6(HIM, dst, hop_limit)
            .icmpv6(Icmpv6Type::NeighborAdvertisement(header))
            .write(&mut out, &payload)
            .expect("write");
        out
    }

    const TLLA: [u8; 8] = [2, 1, 0x02, 0x5c, 0xaf, 0x00, 0x00, 0x77];
    const TLLA_MAC: [u8; 6] = [0x02, 0x5c, 0xaf, 0x00, 0x00, 0x77];

    /// The usual answer: solicited, unicast to us, with the target link-layer address.
    fn reply() -> Vec<u8> {
        advert(ME, 255, true, HIM, &TLLA)
    }

    #[test]
    fn contract() {
        check_contract(&Nd, Nd::new, "nd", true, &[1, 2]);
    }

    #[test]
    fn groups() {
        let t: Ipv6Addr = "fd00:5caf::2".parse().expect("addr");
        assert_eq!(
            solicited_node(t),
            "ff02::1:ff00:2".parse::<Ipv6Addr>().expect("addr")
        );
        let t = Ipv6Addr::from(HIM);
        let g = solicited_node(t);
        assert_eq!(g, "ff02::1:ffbc:def0".parse::<Ipv6Addr>().expect("addr"));
        assert_eq!(multicast_mac(g), [0x33, 0x33, 0xff, 0xbc, 0xde, 0xf0]);
    }

    #[test]
    fn solicitation_fields() {
        let f = solicitation();
        assert_eq!(f.len(), 86);
        let group = [
            0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xbc, 0xde, 0xf0,
        ];
        let p = SlicedPacket::from_ethernet(&f).expect("parse");
        let Some(LinkSlice::Ethernet2(eth)) = &p.link else {
            panic!("{:?}", p.link)
        };
        assert_eq!(eth.destination(), [0x33, 0x33, 0xff, 0xbc, 0xde, 0xf0]);
        assert_eq!(eth.source(), MY_MAC);
        assert_eq!(eth.ether_type(), EtherType::IPV6);
        let Some(NetSlice::Ipv6(ip)) = &p.net else {
            panic!("{:?}", p.net)
        };
        let h = ip.header();
        assert_eq!(h.version(), 6);
        assert_eq!(h.traffic_class(), 0);
        assert_eq!(h.flow_label().value(), 0);
        assert_eq!(h.payload_length(), 32);
        assert_eq!(h.next_header(), IpNumber::IPV6_ICMP);
        assert_eq!(h.hop_limit(), 255);
        assert_eq!(h.source(), ME);
        assert_eq!(h.destination(), group);
        assert!(ip.extensions().is_empty());
        let Some(TransportSlice::Icmpv6(icmp)) = &p.transport else {
            panic!("{:?}", p.transport)
        };
        assert_eq!(icmp.icmp_type(), Icmpv6Type::NeighborSolicitation);
        assert_eq!((icmp.type_u8(), icmp.code_u8()), (135, 0));
        assert_eq!(icmp.bytes5to8(), [0; 4], "reserved");
        assert!(icmp.is_checksum_valid(ME, group), "pseudo-header checksum");
        assert!(!icmp.is_checksum_valid(ME, HIM));
        let Ok(etherparse::icmpv6::Icmpv6PayloadSlice::NeighborSolicitation(ns)) =
            icmp.payload_slice()
        else {
            panic!("{:?}", icmp.payload_slice())
        };
        assert_eq!(ns.target_address(), Ipv6Addr::from(HIM));
        let opts: Vec<_> = ns.options_iterator().collect();
        assert_eq!(opts.len(), 1);
        let Ok(NdpOptionSlice::SourceLinkLayerAddress(o)) = &opts[0] else {
            panic!("{:?}", opts[0])
        };
        assert_eq!(o.link_layer_address(), MY_MAC);
        // The checksum, as a fixed value computed by etherparse.
        let sum = etherparse::Icmpv6Header::with_checksum(
            Icmpv6Type::NeighborSolicitation,
            ME,
            group,
            icmp.payload(),
        )
        .expect("checksum")
        .checksum;
        assert_eq!(icmp.checksum(), sum);
        assert_eq!(u16::from_be_bytes([f[56], f[57]]), sum);
    }

    #[test]
    fn link_local_source() {
        let c = LinkContext {
            src_ip: "fe80::5caf:1".parse().expect("addr"),
            ..ctx()
        };
        let mut buf = [0u8; 86];
        assert_eq!(Nd.build(&c, &mut buf), Ok(86));
        let icmp = Icmpv6Slice::from_slice(&buf[54..]).expect("icmp");
        let src: Ipv6Addr = "fe80::5caf:1".parse().expect("addr");
        assert_eq!(&buf[22..38], &src.octets());
        let group = solicited_node(Ipv6Addr::from(HIM)).octets();
        assert!(icmp.is_checksum_valid(src.octets(), group));
    }

    #[test]
    fn build_errors() {
        check_build_errors(&Nd, &ctx(), 86, IpAddr::from([192, 0, 2, 1]));
    }

    #[test]
    fn advertisements_are_up() {
        let want = LinkMatch {
            target: IpAddr::from(HIM),
            mac: TLLA_MAC,
            to_mac: MY_MAC,
            verdict: Verdict::host_up(Reason::NdResponse, 0),
        };
        assert_eq!(Nd.classify(&reply()), Some(want));
        assert_eq!(HostAnswer::of(&want.verdict), HostAnswer::Up);
        // No option: the Ethernet source.
        let m = Nd
            .classify(&advert(ME, 255, true, HIM, &[]))
            .expect("no option");
        assert_eq!(m.mac, HIS_MAC);
        // Other options around it; the first target link-layer address wins.
        let mut opts = vec![1, 1, 9, 9, 9, 9, 9, 8];
        opts.extend_from_slice(&[25, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        opts.extend_from_slice(&TLLA);
        opts.extend_from_slice(&[2, 1, 0x02, 0, 0, 0, 0, 0x88]);
        let m = Nd
            .classify(&advert(ME, 255, true, HIM, &opts))
            .expect("options");
        assert_eq!(m.mac, TLLA_MAC);
        // A target link-layer address of another size is not Ethernet's: ignored.
        let m = Nd
            .classify(&advert(
                ME,
                255,
                true,
                HIM,
                &[2, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
            ))
            .expect("long option");
        assert_eq!(m.mac, HIS_MAC);
        // Unsolicited, to all nodes: an answer, whose to_mac the engine rejects.
        let all_nodes = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let mut f = advert(all_nodes, 255, false, HIM, &TLLA);
        f[0..6].copy_from_slice(&[0x33, 0x33, 0, 0, 0, 1]);
        let m = Nd.classify(&f).expect("unsolicited");
        assert_eq!(m.to_mac, [0x33, 0x33, 0, 0, 0, 1]);
        // Ethernet padding after the message.
        let mut padded = advert(ME, 255, true, HIM, &[]);
        padded.extend_from_slice(&[0; 6]);
        assert_eq!(Nd.classify(&padded).map(|m| m.mac), Some(HIS_MAC));
    }

    #[test]
    fn non_advertisements_are_ignored() {
        assert_eq!(Nd.classify(&solicitation()), None, "our own solicitation");
        for hop in [0u8, 1, 64, 254] {
            assert_eq!(
                Nd.classify(&advert(ME, hop, true, HIM, &TLLA)),
                None,
                "hop limit {hop}"
            );
        }
        // Other ICMPv6 types and codes (checksums fixed up, so only the type decides).
        for (ty, code) in [
            (135u8, 0u8),
            (134, 0),
            (133, 0),
            (137, 0),
            (129, 0),
            (136, 1),
        ] {
            let mut f = reply();
            f[54] = ty;
            f[55] = code;
            fix_checksum(&mut f);
            assert_eq!(Nd.classify(&f), None, "type {ty} code {code}");
        }
        for ethertype in [0x0800u16, 0x0806, 0x86de, 0x8100] {
            let mut f = reply();
            f[12..14].copy_from_slice(&ethertype.to_be_bytes());
            assert_eq!(Nd.classify(&f), None, "EtherType {ethertype:#06x}");
        }
        // Not IPv6 version 6, or not ICMPv6 directly (a hop-by-hop header first).
        let mut f = reply();
        f[14] = 0x40;
        assert_eq!(Nd.classify(&f), None, "version");
        let mut f = reply();
        f[20] = 0;
        assert_eq!(Nd.classify(&f), None, "next header");
        // A bad checksum.
        let mut f = reply();
        f[57] ^= 1;
        assert_eq!(Nd.classify(&f), None, "checksum");
        // Payload length: shorter than an advertisement, past the frame.
        let mut f = advert(ME, 255, true, HIM, &[]);
        f[18..20].copy_from_slice(&20u16.to_be_bytes());
        fix_checksum(&mut f);
        assert_eq!(Nd.classify(&f), None, "short length");
        let mut f = reply();
        f[18..20].copy_from_slice(&40u16.to_be_bytes());
        assert_eq!(Nd.classify(&f), None, "length past the frame");
        // RFC 4861 validity: a multicast target, solicited to a multicast address, options of
        // length 0 or running past the end.
        let mc = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        assert_eq!(Nd.classify(&advert(ME, 255, true, mc, &TLLA)), None);
        assert_eq!(Nd.classify(&advert(mc, 255, true, HIM, &TLLA)), None);
        assert_eq!(
            Nd.classify(&advert(ME, 255, true, HIM, &[2, 0, 1, 2, 3, 4, 5, 6])),
            None
        );
        assert_eq!(
            Nd.classify(&advert(ME, 255, true, HIM, &[2, 2, 1, 2, 3, 4, 5, 6])),
            None
        );
        assert_eq!(Nd.classify(&advert(ME, 255, true, HIM, &[2])), None);
        // A zero or multicast hardware address.
        for mac in [[0u8; 6], [0xff; 6], [0x33, 0x33, 0, 0, 0, 1]] {
            let mut o = vec![2, 1];
            o.extend_from_slice(&mac);
            assert_eq!(
                Nd.classify(&advert(ME, 255, true, HIM, &o)),
                None,
                "{mac:?}"
            );
        }
    }

    /// Recomputes the ICMPv6 checksum of a frame built by `advert` after an edit.
    fn fix_checksum(f: &mut [u8]) {
        let len = usize::from(u16::from_be_bytes([f[18], f[19]]));
        let src: [u8; 16] = f[22..38].try_into().expect("src");
        let dst: [u8; 16] = f[38..54].try_into().expect("dst");
        let end = (54 + len).min(f.len());
        let sum = icmp_checksum(IpAddr::from(src), IpAddr::from(dst), &f[54..end]);
        f[56..58].copy_from_slice(&sum.to_be_bytes());
    }

    #[test]
    fn truncated() {
        check_truncated(&Nd, &reply());
    }
}
