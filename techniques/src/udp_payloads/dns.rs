//! DNS (port 53): a standard query for the root zone's NS records.
//!
//! Written from RFC 1035: s4.1.1 (header), s4.1.2 (question), s3.1 (the root is the empty label),
//! s3.2.2 (TYPE NS = 2), s3.2.4 (CLASS IN = 1). Every recursive resolver has the root NS set
//! (it primes itself with it), and an authoritative-only server answers it too, with a referral
//! or `REFUSED`: either way a reply. A read-only query changes nothing on the server.

use super::{be16, cat};

/// Query id, fixed: `SC`.
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
