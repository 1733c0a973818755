//! mDNS (port 5353): DNS-SD service type enumeration, `_services._dns-sd._udp.local. PTR`.
//!
//! Written from RFC 6763 s9 (the meta-query that lists every service type a host advertises) and
//! RFC 6762 (Multicast DNS): the query goes by unicast straight to port 5353 (s5.5) from an
//! ephemeral port, which s6.7 calls a "legacy unicast" query; the responder must answer by unicast
//! to the query's source address and port, repeating the query id and the question. Message layout
//! per RFC 1035 s4.1; mDNS header rules per RFC 6762 s18 (flags zero in a query). TYPE PTR = 12
//! (RFC 1035 s3.2.2).
//!
//! The ID carries the probe cookie's low 16 bits: a legacy unicast response "MUST repeat the
//! query ID" (s6.7), so a reply proves its query ([`ECHO`]). The probe's source port is never
//! 5353 (the engine's keyed ports are far above it), so the query is always a legacy one.

use super::echo::EchoField;
use super::{be16, cat, dns};

/// Query id of the template, `SC`; each probe's is the cookie's low 16 bits.
const ID: u16 = 0x5343;

/// `_services._dns-sd._udp.local. IN PTR`; 46 bytes.
pub const MDNS_SERVICES: [u8; 46] = cat(&[
    &be16(ID),
    &be16(0), // flags: standard query (RFC 6762 s18.2-18.11: all zero)
    &be16(1), // QDCOUNT
    &be16(0), // ANCOUNT
    &be16(0), // NSCOUNT
    &be16(0), // ARCOUNT
    &[9],
    b"_services",
    &[7],
    b"_dns-sd",
    &[4],
    b"_udp",
    &[5],
    b"local",
    &[0],
    &be16(12), // QTYPE PTR
    &be16(1),  // QCLASS IN, unicast-response bit clear (the reply is unicast anyway, s6.7)
]);

/// The ID: 16 keyed bits, repeated by a legacy unicast response (RFC 6762 s6.7).
pub(super) const ECHO: EchoField = EchoField {
    field: "ID",
    bits: 16,
    stamp: dns::stamp_id,
    echoed: dns::header_id,
};
