//! ICMP address mask discovery (`-PM`, registry name `icmp-netmask`), IPv4 only.
//!
//! Probe (12 bytes): type 17, code 0, identifier = keyed local port, sequence number = low 16
//! bits of the cookie, address mask 0. An address mask reply (type 18, 12 bytes) to one of our
//! identifiers means the host is up (`addressmask-reply`, nmap's name for it). Nothing 32-bit
//! is copied back, so the answer proves its probe by the identifier and the sequence number
//! ([`Echo::Stamp`](scanfw_core::technique::Echo::Stamp), 16 bits). ICMP errors quoting the
//! request follow [the shared rules](super::icmp).
//!
//! ICMPv6 has no address mask message:
//! [`supports`](scanfw_core::discovery::DiscoveryTechnique::supports) is false for IPv6, and
//! building a probe for an IPv6 target fails with
//! [`UnsupportedFamily`](scanfw_core::technique::ProbeBuildError::UnsupportedFamily).

use super::discovery_plugin;
use super::icmp::{Query, Types};
use scanfw_core::Reason;

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

discovery_plugin! {
    /// The ICMP address mask discovery plugin.
    pub struct IcmpNetmask;
    name: "icmp-netmask", letter: Some('M'), privileged: true,
    summary: "ICMP address mask request, IPv4 only: an address mask reply means up",
    method: Raw(NETMASK), supports: |v6| !v6 || NETMASK.has_v6(),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::testkit::*;

    #[test]
    fn probe_bytes() {
        let p = build(&IcmpNetmask, &ctx(false, 0));
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
}
