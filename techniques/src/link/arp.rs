//! ARP discovery (`-PR` for IPv4 targets, registry name `arp`).
//!
//! Probe: one 42-byte Ethernet frame (the driver pads it to the 60-byte minimum):
//!
//! | bytes | field | value |
//! |---|---|---|
//! | 0..6 | Ethernet destination | `ff:ff:ff:ff:ff:ff` (broadcast) |
//! | 6..12 | Ethernet source | our interface's hardware address |
//! | 12..14 | EtherType | `0x0806` (ARP) |
//! | 14..16 | hardware type | 1 (Ethernet) |
//! | 16..18 | protocol type | `0x0800` (IPv4) |
//! | 18, 19 | address sizes | 6, 4 |
//! | 20..22 | operation | 1 (request) |
//! | 22..28, 28..32 | sender addresses | our hardware address, our IPv4 address |
//! | 32..38, 38..42 | target addresses | zeros (unknown), the target's IPv4 address |
//!
//! An ARP reply (operation 2) for Ethernet and IPv4 (hardware type 1, protocol type `0x0800`,
//! sizes 6 and 4) whose sender hardware address is a unicast one is an answer about its sender
//! protocol address: that host is up (`arp-response`) with the sender hardware address. Frames
//! may be longer (padding); requests, RARP and other EtherTypes are not answers.

use super::{
    be16_at, mac_at, unicast_mac, write_eth, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETH_HEADER_LEN,
};
use crate::discovery::discovery_plugin;
use scanfw_core::discovery::{LinkContext, LinkMatch, LinkProbe};
use scanfw_core::technique::ProbeBuildError;
use scanfw_core::{Reason, Verdict};
use std::net::{IpAddr, Ipv4Addr};

/// Length of the request frame: Ethernet header and the 28-byte ARP message.
pub(crate) const ARP_FRAME_LEN: usize = ETH_HEADER_LEN + 28;
/// ARP hardware type of Ethernet.
const HTYPE_ETHERNET: u16 = 1;
/// ARP operations.
const OP_REQUEST: u16 = 1;
const OP_REPLY: u16 = 2;

discovery_plugin! {
    /// The ARP discovery plugin (IPv4 neighbours).
    pub struct Arp;
    name: "arp", letter: Some('R'), privileged: true,
    summary: "ARP request to an IPv4 neighbour on the local Ethernet: an ARP reply means up",
    method: Link, supports: |v6| !v6,
}

impl LinkProbe for Arp {
    fn ipv6(&self) -> bool {
        false
    }

    fn build(&self, ctx: &LinkContext, buf: &mut [u8]) -> Result<usize, ProbeBuildError> {
        let (IpAddr::V4(src), IpAddr::V4(dst)) = (ctx.src_ip, ctx.dst_ip) else {
            return Err(ProbeBuildError::FamilyMismatch);
        };
        let buf = buf
            .get_mut(..ARP_FRAME_LEN)
            .ok_or(ProbeBuildError::BufferTooSmall(ARP_FRAME_LEN))?;
        write_eth(buf, [0xff; 6], ctx.src_mac, ETHERTYPE_ARP);
        let arp = &mut buf[ETH_HEADER_LEN..];
        arp[0..2].copy_from_slice(&HTYPE_ETHERNET.to_be_bytes());
        arp[2..4].copy_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
        arp[4] = 6;
        arp[5] = 4;
        arp[6..8].copy_from_slice(&OP_REQUEST.to_be_bytes());
        arp[8..14].copy_from_slice(&ctx.src_mac);
        arp[14..18].copy_from_slice(&src.octets());
        arp[18..24].fill(0);
        arp[24..28].copy_from_slice(&dst.octets());
        Ok(ARP_FRAME_LEN)
    }

    fn classify(&self, frame: &[u8]) -> Option<LinkMatch> {
        if frame.len() < ARP_FRAME_LEN || be16_at(frame, 12)? != ETHERTYPE_ARP {
            return None;
        }
        let arp = &frame[ETH_HEADER_LEN..];
        let ethernet_ipv4 = be16_at(arp, 0)? == HTYPE_ETHERNET
            && be16_at(arp, 2)? == ETHERTYPE_IPV4
            && arp[4] == 6
            && arp[5] == 4;
        if !ethernet_ipv4 || be16_at(arp, 6)? != OP_REPLY {
            return None;
        }
        let mac = mac_at(arp, 8)?;
        if !unicast_mac(&mac) {
            return None;
        }
        let spa: [u8; 4] = arp.get(14..18)?.try_into().ok()?;
        Some(LinkMatch {
            target: IpAddr::V4(Ipv4Addr::from(spa)),
            mac,
            to_mac: mac_at(frame, 0)?,
            verdict: Verdict::host_up(Reason::ArpResponse, 0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::testkit::*;
    use etherparse::{
        ArpEthIpv4Packet, ArpOperation, ArpPacket, EtherType, Ethernet2HeaderSlice, PacketBuilder,
    };
    use scanfw_core::discovery::HostAnswer;

    const ME: [u8; 4] = [192, 0, 2, 1];
    const HIM: [u8; 4] = [192, 0, 2, 77];

    fn ctx() -> LinkContext {
        link_ctx(ME, HIM)
    }

    fn request() -> Vec<u8> {
        frame(&Arp, &ctx())
    }

    /// The target's reply, built by etherparse: `operation` from `sender_mac`/`sender_ipv4`
    /// to us.
    fn reply_with(operation: ArpOperation, sender_mac: [u8; 6], sender_ipv4: [u8; 4]) -> Vec<u8> {
        let arp = ArpEthIpv4Packet {
            operation,
            sender_mac,
            sender_ipv4,
            target_mac: MY_MAC,
            target_ipv4: ME,
        };
        let mut out = Vec::new();
        let frame = PacketBuilder::ethernet2(sender_mac, MY_MAC).arp(arp.into());
        frame.write(&mut out).expect("write");
        out
    }

    fn reply() -> Vec<u8> {
        reply_with(ArpOperation::REPLY, HIS_MAC, HIM)
    }

    #[test]
    fn contract() {
        check_contract(&Arp, Arp::new, "arp", false, &[80]);
    }

    #[test]
    fn request_bytes() {
        let f = request();
        #[rustfmt::skip]
        let want: [u8; 42] = [
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // broadcast
            0x02, 0x5c, 0xaf, 0x00, 0x00, 0x01, // our MAC
            0x08, 0x06,                         // ARP
            0x00, 0x01, 0x08, 0x00, 6, 4,       // Ethernet / IPv4
            0x00, 0x01,                         // request
            0x02, 0x5c, 0xaf, 0x00, 0x00, 0x01, 192, 0, 2, 1,
            0, 0, 0, 0, 0, 0, 192, 0, 2, 77,
        ];
        assert_eq!(f, want);
        let eth = Ethernet2HeaderSlice::from_slice(&f).expect("ethernet");
        assert_eq!(eth.destination(), [0xff; 6]);
        assert_eq!(eth.source(), MY_MAC);
        assert_eq!(eth.ether_type(), EtherType::ARP);
        let arp = ArpPacket::from_slice(&f[14..]).expect("arp");
        assert_eq!(arp.packet_len(), 28);
        let arp = arp.try_eth_ipv4().expect("ethernet/ipv4");
        assert_eq!(arp.operation, ArpOperation::REQUEST);
        assert_eq!(arp.sender_mac, MY_MAC);
        assert_eq!(arp.sender_ipv4, ME);
        assert_eq!(arp.target_mac, [0; 6]);
        assert_eq!(arp.target_ipv4, HIM);
    }

    #[test]
    fn build_errors() {
        let v6: IpAddr = "2001:db8::1".parse().expect("v6");
        check_build_errors(&Arp, &ctx(), 42, v6);
    }

    #[test]
    fn replies_are_up() {
        let m = Arp.classify(&reply()).expect("reply");
        assert_eq!(
            m,
            LinkMatch {
                target: IpAddr::from(HIM),
                mac: HIS_MAC,
                to_mac: MY_MAC,
                verdict: Verdict::host_up(Reason::ArpResponse, 0),
            }
        );
        assert_eq!(HostAnswer::of(&m.verdict), HostAnswer::Up);
        // Padded to the Ethernet minimum, as replies arrive.
        let mut padded = reply();
        padded.resize(60, 0);
        assert_eq!(Arp.classify(&padded), Some(m));
        // The engine decides whether the frame was for us: to_mac is whatever it was sent to.
        let mut broadcast = reply();
        broadcast[0..6].fill(0xff);
        assert_eq!(Arp.classify(&broadcast).map(|m| m.to_mac), Some([0xff; 6]));
        // The sender hardware address, not the Ethernet source, names the host.
        let mut proxied = reply();
        proxied[6..12].copy_from_slice(&[2, 0, 0, 0, 0, 9]);
        assert_eq!(Arp.classify(&proxied).map(|m| m.mac), Some(HIS_MAC));
    }

    #[test]
    fn non_replies_are_ignored() {
        assert_eq!(Arp.classify(&request()), None, "our own request");
        assert_eq!(
            Arp.classify(&reply_with(ArpOperation::REQUEST, HIS_MAC, HIM)),
            None
        );
        for op in [0u16, 3, 4, 8, 9, 0x0102] {
            let mut r = reply();
            r[20..22].copy_from_slice(&op.to_be_bytes());
            assert_eq!(Arp.classify(&r), None, "operation {op}");
        }
        for ethertype in [0x0800u16, 0x86dd, 0x8035, 0x8100, 0x0000] {
            let mut r = reply();
            r[12..14].copy_from_slice(&ethertype.to_be_bytes());
            assert_eq!(Arp.classify(&r), None, "EtherType {ethertype:#06x}");
        }
        // Other hardware and protocol types and sizes.
        for (at, value) in [
            (14, 6u8),
            (15, 6),
            (16, 0x86),
            (17, 0xdd),
            (18, 8),
            (19, 16),
        ] {
            let mut r = reply();
            r[at] = value;
            assert_eq!(Arp.classify(&r), None, "byte {at} = {value}");
        }
        // Senders without a host hardware address.
        for sha in [[0u8; 6], [0xff; 6], [0x01, 0x00, 0x5e, 0, 0, 1]] {
            let r = reply_with(ArpOperation::REPLY, sha, HIM);
            assert_eq!(Arp.classify(&r), None, "{sha:?}");
        }
    }

    #[test]
    fn truncated() {
        check_truncated(&Arp, &reply());
    }
}
