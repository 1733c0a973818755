//! ICMP address mask discovery (`-PM`, registry name `icmp-netmask`), IPv4 only.
//!
//! Probe (12 bytes): type 17, code 0, identifier = keyed local port, sequence number = low 16
//! bits of the cookie, address mask 0. An address mask reply (type 18, 12 bytes) to one of our
//! identifiers means the host is up (`addressmask-reply`, nmap's name for it). Nothing 32-bit
//! is copied back, so the answer proves its probe by the identifier alone
//! ([`Echo::Flow`](scanfw_core::technique::Echo::Flow), `seq` 0). ICMP errors quoting the
//! request follow [the shared rules](super::icmp).
//!
//! ICMPv6 has no address mask message: [`supports`](DiscoveryTechnique::supports) is false for
//! IPv6, and building a probe for an IPv6 target fails with
//! [`ProbeBuildError::UnsupportedFamily`].

use super::icmp::{Query, Types};
use super::{no_ports, NO_PORTS};
use scanfw_core::discovery::{DiscoveryMethod, DiscoveryTechnique};
use scanfw_core::packet::IPPROTO_ICMP;
use scanfw_core::registry::DiscoveryDescriptor;
use scanfw_core::technique::{ProbeBuildError, ProbeContext, RawMatch, RawProbe, ReplyContext};
use scanfw_core::Reason;

const NAME: &str = "icmp-netmask";

const NETMASK: Query = Query {
    name: "ICMP address mask request",
    v4: Types {
        request: 17,
        reply: 18,
    },
    v6: None,
    reason: Reason::AddressmaskReply,
    // The address mask, 0 in a request.
    body: &[0; 4],
    echoes_cookie: false,
    reply_len: 12,
};

/// The ICMP address mask discovery plugin.
#[derive(Debug, Default, Clone, Copy)]
pub struct IcmpNetmask;

impl IcmpNetmask {
    /// The plugin; it takes no ports, so `ports` must be empty.
    pub fn new(ports: &[u16]) -> Result<IcmpNetmask, String> {
        no_ports(NAME, ports).map(|()| IcmpNetmask)
    }
}

inventory::submit! {
    DiscoveryDescriptor {
        name: NAME,
        nmap_letter: Some('M'),
        summary: "ICMP address mask request, IPv4 only: an address mask reply means up",
        needs_privilege: true,
        default_ports: None,
        constructor: |p| IcmpNetmask::new(p).map(|t| Box::new(t) as Box<dyn DiscoveryTechnique>),
    }
}

impl DiscoveryTechnique for IcmpNetmask {
    fn name(&self) -> &'static str {
        NAME
    }
    fn method(&self) -> DiscoveryMethod<'_> {
        DiscoveryMethod::Raw(self)
    }
    fn ports(&self) -> &[u16] {
        NO_PORTS
    }
    fn supports(&self, v6: bool) -> bool {
        !v6 || NETMASK.has_v6()
    }
}

impl RawProbe for IcmpNetmask {
    fn ip_protocol(&self) -> u8 {
        IPPROTO_ICMP
    }
    fn build(&self, ctx: &ProbeContext, buf: &mut [u8]) -> Result<usize, ProbeBuildError> {
        NETMASK.build(ctx, buf)
    }
    fn classify(&self, reply: &ReplyContext<'_>) -> Option<RawMatch> {
        NETMASK.classify(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::testkit::*;
    use scanfw_core::technique::Echo;
    use std::net::IpAddr;

    fn probe() -> Vec<u8> {
        build(&IcmpNetmask, &ctx(false, 0))
    }

    /// The target's answer: type 18, mask 255.255.255.0.
    fn mask_reply() -> Vec<u8> {
        let mut p = probe();
        p[0] = 18;
        p[8..12].copy_from_slice(&[255, 255, 255, 0]);
        p
    }

    fn classify(from: IpAddr, proto: u8, pkt: &[u8]) -> Option<RawMatch> {
        IcmpNetmask.classify(&reply(from, proto, pkt))
    }

    #[test]
    fn contract() {
        assert_eq!(IcmpNetmask.name(), "icmp-netmask");
        assert_eq!(IcmpNetmask.ports(), [0]);
        assert!(IcmpNetmask.supports(false));
        assert!(!IcmpNetmask.supports(true));
        assert_eq!(IcmpNetmask.ip_protocol(), 1);
        assert!(IcmpNetmask::new(&[1]).is_err());
    }

    #[test]
    fn probe_bytes() {
        let p = probe();
        #[rustfmt::skip]
        let want: [u8; 12] = [
            17, 0,                  // address mask request, code 0
            0x93, 0xcf,             // checksum
            0x9c, 0x40,             // identifier = local port 40000
            0xbe, 0xef,             // sequence = low half of the cookie
            0, 0, 0, 0,             // address mask
        ];
        assert_eq!(p, want);
        // etherparse has no address mask type: it reads it as an unknown type with 8 header
        // bytes, and checksums it the same way.
        let s = etherparse::Icmpv4Slice::from_slice(&p).expect("parse");
        assert_eq!((s.type_u8(), s.code_u8()), (17, 0));
        assert_eq!(s.bytes5to8(), [0x9c, 0x40, 0xbe, 0xef]);
        let sum = etherparse::Icmpv4Header::with_checksum(s.icmp_type(), s.payload()).checksum;
        assert_eq!(s.checksum(), sum);
    }

    #[test]
    fn no_ipv6_probe() {
        assert_eq!(
            IcmpNetmask.build(&ctx(true, 0), &mut [0u8; 64]),
            Err(ProbeBuildError::UnsupportedFamily(
                "ICMP address mask request"
            ))
        );
        assert_eq!(
            IcmpNetmask.build(&ctx(false, 0), &mut [0u8; 11]),
            Err(ProbeBuildError::BufferTooSmall(12))
        );
    }

    #[test]
    fn mask_reply_is_up() {
        let m = classify(target(false), 1, &mask_reply());
        expect_host(
            m,
            target(false),
            0,
            Echo::Flow { seq: 0 },
            true,
            Reason::AddressmaskReply,
        );
        assert_eq!(classify(target(true), 58, &mask_reply()), None);
        assert_eq!(
            classify(target(false), 1, &probe()),
            None,
            "our own request"
        );
        for id in [32999u16, 60016] {
            let mut r = mask_reply();
            r[4..6].copy_from_slice(&id.to_be_bytes());
            assert_eq!(classify(target(false), 1, &r), None, "id {id}");
        }
        // The sequence number cannot be checked (the engine checks the identifier).
        let mut r = mask_reply();
        r[6..8].copy_from_slice(&[0, 0]);
        assert!(classify(target(false), 1, &r).is_some());
    }

    #[test]
    fn errors_quoting_the_request() {
        let quoted = sent_packet(false, 1, &probe());
        let down = icmp_error(router(false), 3, 13, &quoted);
        let m = classify(router(false), 1, &down);
        expect_host(
            m,
            target(false),
            0,
            Echo::Flow { seq: 0 },
            false,
            Reason::AdminProhibited,
        );
        let up = icmp_error(target(false), 3, 3, &quoted);
        let m = classify(target(false), 1, &up);
        expect_host(
            m,
            target(false),
            0,
            Echo::Flow { seq: 0 },
            true,
            Reason::PortUnreach,
        );
    }

    #[test]
    fn truncated_and_garbage() {
        check_prefixes(&IcmpNetmask, target(false), 1, &mask_reply(), 12);
        let err = icmp_error(router(false), 3, 1, &sent_packet(false, 1, &probe()));
        check_prefixes(&IcmpNetmask, router(false), 1, &err, 8 + 20 + 8);
        check_garbage(&IcmpNetmask);
    }
}
