//! ICMP timestamp discovery (`-PP`, registry name `icmp-timestamp`), IPv4 only: hosts that
//! filter echo requests sometimes still answer timestamp requests.
//!
//! Probe (20 bytes): type 13, code 0, identifier = keyed local port, sequence number = low 16
//! bits of the cookie, originate timestamp = the cookie (the answer copies it back), receive and
//! transmit timestamps 0. A timestamp reply (type 14, 20 bytes) copying identifier, sequence and
//! originate timestamp means the host is up (`timestamp-reply`). ICMP errors quoting the request
//! follow [the shared rules](super::icmp).
//!
//! ICMPv6 has no timestamp message:
//! [`supports`](scanfw_core::discovery::DiscoveryTechnique::supports) is false for IPv6, and
//! building a probe for an IPv6 target fails with
//! [`UnsupportedFamily`](scanfw_core::technique::ProbeBuildError::UnsupportedFamily).

use super::discovery_plugin;
use super::icmp::{Query, Types};
use scanfw_core::Reason;

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

discovery_plugin! {
    /// The ICMP timestamp discovery plugin.
    pub struct IcmpTimestamp;
    name: "icmp-timestamp", letter: Some('P'), privileged: true,
    summary: "ICMP timestamp request, IPv4 only: a timestamp reply means up",
    method: Raw(TIMESTAMP), supports: |v6| !v6 || TIMESTAMP.has_v6(),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::testkit::*;
    use etherparse::{Icmpv4Slice, Icmpv4Type};

    #[test]
    fn probe_bytes() {
        let p = build(&IcmpTimestamp, &ctx(false, 0));
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
}
