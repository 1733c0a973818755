//! ICMP timestamp discovery (`-PP`, registry name `icmp-timestamp`), IPv4 only: hosts that
//! filter echo requests sometimes still answer timestamp requests.
//!
//! Probe (20 bytes): type 13, code 0, identifier = keyed local port, sequence number = low 16
//! bits of the cookie, originate timestamp = the cookie (the answer copies it back), receive and
//! transmit timestamps 0. A timestamp reply (type 14, 20 bytes) copying identifier, sequence and
//! originate timestamp means the host is up (`timestamp-reply`). ICMP errors quoting the request
//! follow [the shared rules](super::icmp).
//!
//! ICMPv6 has no timestamp message: [`supports`](DiscoveryTechnique::supports) is false for
//! IPv6, and building a probe for an IPv6 target fails with
//! [`ProbeBuildError::UnsupportedFamily`].

use super::icmp::{Query, Types};
use super::{no_ports, NO_PORTS};
use scanfw_core::discovery::{DiscoveryMethod, DiscoveryTechnique};
use scanfw_core::packet::IPPROTO_ICMP;
use scanfw_core::registry::DiscoveryDescriptor;
use scanfw_core::technique::{ProbeBuildError, ProbeContext, RawMatch, RawProbe, ReplyContext};
use scanfw_core::Reason;

const NAME: &str = "icmp-timestamp";

const TIMESTAMP: Query = Query {
    name: "ICMP timestamp request",
    v4: Types {
        request: 13,
        reply: 14,
    },
    v6: None,
    reason: Reason::TimestampReply,
    // Originate (the cookie), receive and transmit timestamps.
    body: &[0; 12],
    echoes_cookie: true,
    reply_len: 20,
};

/// The ICMP timestamp discovery plugin.
#[derive(Debug, Default, Clone, Copy)]
pub struct IcmpTimestamp;

impl IcmpTimestamp {
    /// The plugin; it takes no ports, so `ports` must be empty.
    pub fn new(ports: &[u16]) -> Result<IcmpTimestamp, String> {
        no_ports(NAME, ports).map(|()| IcmpTimestamp)
    }
}

inventory::submit! {
    DiscoveryDescriptor {
        name: NAME,
        nmap_letter: Some('P'),
        summary: "ICMP timestamp request, IPv4 only: a timestamp reply means up",
        needs_privilege: true,
        default_ports: None,
        constructor: |p| IcmpTimestamp::new(p).map(|t| Box::new(t) as Box<dyn DiscoveryTechnique>),
    }
}

impl DiscoveryTechnique for IcmpTimestamp {
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
        !v6 || TIMESTAMP.has_v6()
    }
}

impl RawProbe for IcmpTimestamp {
    fn ip_protocol(&self) -> u8 {
        IPPROTO_ICMP
    }
    fn build(&self, ctx: &ProbeContext, buf: &mut [u8]) -> Result<usize, ProbeBuildError> {
        TIMESTAMP.build(ctx, buf)
    }
    fn classify(&self, reply: &ReplyContext<'_>) -> Option<RawMatch> {
        TIMESTAMP.classify(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::testkit::*;
    use etherparse::{Icmpv4Slice, Icmpv4Type};
    use scanfw_core::technique::Echo;
    use std::net::IpAddr;

    fn probe() -> Vec<u8> {
        build(&IcmpTimestamp, &ctx(false, 0))
    }

    /// The target's answer: type 14, originate copied, receive and transmit filled in.
    fn timestamp_reply() -> Vec<u8> {
        let mut p = probe();
        p[0] = 14;
        p[12..20].copy_from_slice(&[0, 0x12, 0x34, 0x56, 0, 0x12, 0x34, 0x57]);
        p
    }

    fn classify(from: IpAddr, proto: u8, pkt: &[u8]) -> Option<RawMatch> {
        IcmpTimestamp.classify(&reply(from, proto, pkt))
    }

    #[test]
    fn contract() {
        assert_eq!(IcmpTimestamp.name(), "icmp-timestamp");
        assert_eq!(IcmpTimestamp.ports(), [0]);
        assert!(IcmpTimestamp.supports(false));
        assert!(!IcmpTimestamp.supports(true));
        assert_eq!(IcmpTimestamp.ip_protocol(), 1);
        assert_eq!(IcmpTimestamp.ip_protocol_for(false), 1);
        assert!(IcmpTimestamp::new(&[443]).is_err());
    }

    #[test]
    fn probe_bytes() {
        let p = probe();
        #[rustfmt::skip]
        let want: [u8; 20] = [
            13, 0,                  // timestamp request, code 0
            0xfa, 0x31,             // checksum
            0x9c, 0x40,             // identifier = local port 40000
            0xbe, 0xef,             // sequence = low half of the cookie
            0xde, 0xad, 0xbe, 0xef, // originate timestamp = cookie
            0, 0, 0, 0,             // receive timestamp
            0, 0, 0, 0,             // transmit timestamp
        ];
        assert_eq!(p, want);
        let s = Icmpv4Slice::from_slice(&p).expect("parse");
        let Icmpv4Type::TimestampRequest(t) = s.icmp_type() else {
            panic!("{:?}", s.icmp_type())
        };
        assert_eq!(
            (t.id, t.seq, t.originate_timestamp),
            (SPORT, 0xbeef, COOKIE)
        );
        assert_eq!((t.receive_timestamp, t.transmit_timestamp), (0, 0));
        let sum = etherparse::Icmpv4Header::with_checksum(s.icmp_type(), s.payload()).checksum;
        assert_eq!(s.checksum(), sum);
    }

    #[test]
    fn no_ipv6_probe() {
        assert_eq!(
            IcmpTimestamp.build(&ctx(true, 0), &mut [0u8; 64]),
            Err(ProbeBuildError::UnsupportedFamily("ICMP timestamp request"))
        );
        assert_eq!(
            IcmpTimestamp.build(&ctx(false, 0), &mut [0u8; 19]),
            Err(ProbeBuildError::BufferTooSmall(20))
        );
        assert_eq!(
            IcmpTimestamp.build(&mixed_ctx(), &mut [0u8; 64]),
            Err(ProbeBuildError::FamilyMismatch)
        );
    }

    #[test]
    fn timestamp_reply_is_up() {
        let m = classify(target(false), 1, &timestamp_reply());
        expect_host(
            m,
            target(false),
            0,
            Echo::Cookie(COOKIE),
            true,
            Reason::TimestampReply,
        );
        // ICMPv6 type 14 is nothing of ours, nor is ICMPv4 labelled as ICMPv6.
        assert_eq!(classify(target(true), 58, &timestamp_reply()), None);
        // Our request on loopback, echo replies, other identifiers, a disagreeing sequence.
        assert_eq!(classify(target(false), 1, &probe()), None);
        let mut r = timestamp_reply();
        r[0] = 0;
        assert_eq!(classify(target(false), 1, &r), None);
        for id in [32999u16, 60016] {
            let mut r = timestamp_reply();
            r[4..6].copy_from_slice(&id.to_be_bytes());
            assert_eq!(classify(target(false), 1, &r), None, "id {id}");
        }
        let mut r = timestamp_reply();
        r[11] ^= 0x80;
        assert_eq!(classify(target(false), 1, &r), None);
    }

    #[test]
    fn errors_quoting_the_request() {
        let quoted = sent_packet(false, 1, &probe());
        let down = icmp_error(router(false), 3, 1, &quoted);
        let m = classify(router(false), 1, &down);
        expect_host(
            m,
            target(false),
            0,
            Echo::Cookie(COOKIE),
            false,
            Reason::HostUnreach,
        );
        let up = icmp_error(target(false), 3, 2, &quoted);
        let m = classify(target(false), 1, &up);
        expect_host(
            m,
            target(false),
            0,
            Echo::Cookie(COOKIE),
            true,
            Reason::ProtoUnreach,
        );
        let short = icmp_error(router(false), 11, 0, &quoted[..28]);
        let m = classify(router(false), 1, &short);
        expect_host(
            m,
            target(false),
            0,
            Echo::Flow { seq: 0 },
            false,
            Reason::TimeExceeded,
        );
        // An error quoting an echo request is the echo plugin's.
        let mut echo = probe();
        echo[0] = 8;
        let e = icmp_error(router(false), 3, 1, &sent_packet(false, 1, &echo));
        assert_eq!(classify(router(false), 1, &e), None);
    }

    #[test]
    fn truncated_and_garbage() {
        check_prefixes(&IcmpTimestamp, target(false), 1, &timestamp_reply(), 20);
        let err = icmp_error(router(false), 3, 1, &sent_packet(false, 1, &probe()));
        check_prefixes(&IcmpTimestamp, router(false), 1, &err, 8 + 20 + 8);
        check_garbage(&IcmpTimestamp);
    }
}
