//! NetBIOS Name Service (port 137): NODE STATUS REQUEST (NBSTAT) for the wildcard name `*`.
//!
//! Written from RFC 1002 s4.2.1.1 (header), s4.2.1.2 (question section), s4.1 (name format: the
//! encoded name as one 32-byte label, then the scope), s4.2.17 (NODE STATUS REQUEST:
//! QUESTION_TYPE NBSTAT = 0x0021, QUESTION_CLASS IN = 0x0001, B flag clear for a unicast query)
//! and RFC 1001 s14.1 (first-level encoding: each half-octet of the 16-byte NetBIOS name plus
//! 'A'). The name asked about is the NetBIOS wildcard, `*` padded with 15 NULs, which encodes to
//! `CK` followed by thirty `A`s. The answer lists the node's registered names; a status query
//! changes nothing.
//!
//! NAME_TRN_ID carries the probe cookie's low 16 bits: by s4.2.1.1 the "responder puts
//! NAME_TRN_ID value from request packet in response packet", so a reply proves its request
//! ([`ECHO`]).

use super::echo::EchoField;
use super::{be16, cat, dns};

/// NAME_TRN_ID of the template, `SC`; each probe's is the cookie's low 16 bits.
const TRN_ID: u16 = 0x5343;
/// R=0 (request), OPCODE=0 (query), NM_FLAGS=0 (AA, TC, RD, RA, B all clear), RCODE=0.
const FLAGS: u16 = 0x0000;

/// `*` padded with NULs, first-level encoded (RFC 1001 s14.1): 0x2A -> "CK", 0x00 -> "AA".
const ENCODED_WILDCARD: [u8; 32] = cat(&[b"CK", &[b'A'; 30]]);

/// NBSTAT query for `*`; 50 bytes.
pub const NBNS_NBSTAT: [u8; 50] = cat(&[
    &be16(TRN_ID),
    &be16(FLAGS),
    &be16(1), // QDCOUNT
    &be16(0), // ANCOUNT
    &be16(0), // NSCOUNT
    &be16(0), // ARCOUNT
    &[32],    // QUESTION_NAME: one 32-byte label ...
    &ENCODED_WILDCARD,
    &[0],          // ... and an empty scope
    &be16(0x0021), // QUESTION_TYPE NBSTAT
    &be16(0x0001), // QUESTION_CLASS IN
]);

/// NAME_TRN_ID: 16 keyed bits, copied into the response (RFC 1002 s4.2.1.1). The header is
/// DNS's, so DNS's reading of it serves.
pub(super) const ECHO: EchoField = EchoField {
    field: "NAME_TRN_ID",
    bits: 16,
    stamp: dns::stamp_id,
    echoed: dns::header_id,
};
