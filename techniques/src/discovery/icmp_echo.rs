//! ICMP echo discovery (`-PE`, registry name `icmp-echo`): the classic ping, for both families.
//!
//! Probe: an ICMPv4 echo request (type 8) to an IPv4 target, an ICMPv6 echo request (type 128)
//! to an IPv6 one; identifier = keyed local port, sequence number = low 16 bits of the cookie,
//! 16 data bytes: the cookie, then the fixed text `scanfw-probe`. 24 bytes in all. The checksum
//! is ICMPv4's over the message, or ICMPv6's over the IPv6 pseudo-header too (the kernel
//! recomputes that one for raw ICMPv6 sockets; it is written correctly anyway).
//!
//! An echo reply (type 0 / 129) copying identifier, sequence and cookie means the host is up
//! (`echo-reply`). Echo requests, ours seen on loopback included, are not replies. ICMP errors
//! quoting the request follow [the shared rules](super::icmp). The IP protocol is 1 over IPv4
//! and 58 over IPv6 ([`ip_protocol_for`](scanfw_core::technique::RawProbe::ip_protocol_for)).

use super::discovery_plugin;
use super::icmp::{Query, Types};
use scanfw_core::Reason;

const ECHO: Query = Query {
    name: "ICMP echo request",
    v4: Types {
        request: 8,
        reply: 0,
    },
    v6: Some(Types {
        request: 128,
        reply: 129,
    }),
    reason: Reason::EchoReply,
    // Cookie placeholder, then a fixed text.
    body: b"\0\0\0\0scanfw-probe",
    echoes_cookie: true,
    reply_len: 12,
};

discovery_plugin! {
    /// The ICMP echo discovery plugin.
    pub struct IcmpEcho;
    name: "icmp-echo", letter: Some('E'), privileged: true,
    summary: "ICMP echo request (ping), IPv4 and IPv6: an echo reply means up",
    method: Raw(ECHO), supports: |v6| !v6 || ECHO.has_v6(),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::testkit::*;
    use etherparse::{Icmpv4Slice, Icmpv4Type, Icmpv6Slice, Icmpv6Type};

    fn probe(v6: bool) -> Vec<u8> {
        build(&IcmpEcho, &ctx(v6, 0))
    }

    #[test]
    fn probe_bytes_v4() {
        let p = probe(false);
        #[rustfmt::skip]
        let want: [u8; 24] = [
            8, 0,                   // echo request, code 0
            0xc1, 0xa3,             // checksum
            0x9c, 0x40,             // identifier = local port 40000
            0xbe, 0xef,             // sequence = low half of the cookie
            0xde, 0xad, 0xbe, 0xef, // cookie
            b's', b'c', b'a', b'n', b'f', b'w', b'-', b'p', b'r', b'o', b'b', b'e',
        ];
        assert_eq!(p, want);
        let s = Icmpv4Slice::from_slice(&p).expect("parse");
        let Icmpv4Type::EchoRequest(h) = s.icmp_type() else {
            panic!("{:?}", s.icmp_type())
        };
        assert_eq!((h.id, h.seq), (SPORT, 0xbeef));
        assert_eq!(s.payload(), &p[8..]);
        let sum = etherparse::Icmpv4Header::with_checksum(s.icmp_type(), s.payload()).checksum;
        assert_eq!(s.checksum(), sum);
    }

    #[test]
    fn probe_bytes_v6() {
        let p = probe(true);
        assert_eq!(p.len(), 24);
        assert_eq!((p[0], p[1]), (128, 0));
        assert_eq!(&p[4..], &probe(false)[4..], "same fields as IPv4");
        let s = Icmpv6Slice::from_slice(&p).expect("parse");
        let Icmpv6Type::EchoRequest(h) = s.icmp_type() else {
            panic!("{:?}", s.icmp_type())
        };
        assert_eq!((h.id, h.seq), (SPORT, 0xbeef));
        assert!(s.is_checksum_valid(ME6, TARGET6), "pseudo-header checksum");
        assert!(!s.is_checksum_valid(ME6, ROUTER6));
        assert_eq!(&p[2..4], &[0xed, 0xd6]);
    }
}
