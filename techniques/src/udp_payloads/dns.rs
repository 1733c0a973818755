//! DNS (port 53): a standard query for the root zone's NS records.
//!
//! Written from RFC 1035: s4.1.1 (header), s4.1.2 (question), s3.1 (the root is the empty label),
//! s3.2.2 (TYPE NS = 2), s3.2.4 (CLASS IN = 1). Every recursive resolver has the root NS set
//! (it primes itself with it), and an authoritative-only server answers it too, with a referral
//! or `REFUSED`: either way a reply. A read-only query changes nothing on the server.
//!
//! The ID carries the probe cookie's low 16 bits: s4.1.1 has the server copy it into the
//! corresponding reply, so a reply proves its query ([`ECHO`]).

use super::echo::{put, u16_at, EchoField, Echoed};
use super::{be16, cat};

/// Query id of the template, `SC`; each probe's is the cookie's low 16 bits.
const ID: u16 = 0x5343;
/// QR=0 (query), OPCODE=0 (QUERY), AA=0, TC=0, RD=1, RA=0, Z=0, RCODE=0.
const FLAGS: u16 = 0x0100;

/// `. IN NS`, recursion desired; 17 bytes.
pub const DNS_ROOT_NS: [u8; 17] = cat(&[
    &be16(ID),
    &be16(FLAGS),
    &be16(1), // QDCOUNT
    &be16(0), // ANCOUNT
    &be16(0), // NSCOUNT
    &be16(0), // ARCOUNT
    &[0],     // QNAME: the root, a single zero-length label
    &be16(2), // QTYPE NS
    &be16(1), // QCLASS IN
]);

/// The ID: 16 keyed bits, echoed by every reply (RFC 1035 s4.1.1).
pub(super) const ECHO: EchoField = EchoField {
    field: "ID",
    bits: 16,
    stamp: stamp_id,
    echoed: header_id,
};

/// Writes the cookie's low 16 bits into the ID, the first two octets of a DNS-shaped header
/// (DNS, mDNS, NetBIOS-NS).
pub(super) fn stamp_id(cookie: u32, payload: &mut [u8]) {
    put(payload, 0, &(cookie as u16).to_be_bytes());
}

/// The ID of a reply with a whole 12-octet DNS-shaped header (RFC 1035 s4.1.1, RFC 1002
/// s4.2.1.1); a UDP echo service's copy of the query has it in the same place.
pub(super) fn header_id(reply: &[u8]) -> Option<Echoed> {
    if reply.len() < 12 {
        return None;
    }
    u16_at(reply, 0).map(Echoed::low16)
}
