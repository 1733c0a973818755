//! SNMP (port 161): GetRequest for `sysDescr.0` (1.3.6.1.2.1.1.1.0), community `public`.
//!
//! Two payloads, BER-encoded by hand (X.690 s8: definite short-form lengths; INTEGER s8.3,
//! OCTET STRING s8.7, NULL s8.8, SEQUENCE s8.9, OBJECT IDENTIFIER s8.19):
//! * SNMPv2c (the default for port 161): the community message of RFC 1901 s3 (version 1)
//!   carrying the GetRequest-PDU of RFC 3416 s3 (`[0] IMPLICIT`, request-id, error-status 0,
//!   error-index 0, variable-bindings with a NULL value, s4.2.1).
//! * SNMPv1: the Message of RFC 1157 s4 (version 0) with the same GetRequest-PDU (s4.1.2).
//!
//! `sysDescr` is defined in RFC 3418 (SNMPv2-MIB) as `system 1`, i.e. 1.3.6.1.2.1.1.1. A Get
//! is read-only. A server that does not accept `public` stays silent; nothing else is tried.
//!
//! The request-id carries the probe cookie's low 30 bits (bit 30 set, bit 31 clear: a positive
//! INTEGER of exactly four content octets, see `ber::positive_id`). The Response-PDU's
//! request-id is the request's (RFC 3416 s4.2.1; RFC 1157 s4.1.2), so a reply proves its
//! request ([`ECHO`]).

use super::echo::{put, EchoField, Echoed};
use super::{ber, cat};

/// `request-id INTEGER` of the template: `SCFW` (0x53434657, itself a `positive_id` value);
/// each probe's is `positive_id(cookie)`.
const REQUEST_ID: [u8; 6] = ber::integer4(0x5343_4657);
/// Where the request-id's four content octets start: after the Message's SEQUENCE header,
/// the version, the community, the PDU's header and the INTEGER's tag and length.
const REQUEST_ID_AT: usize = 2 + 3 + COMMUNITY.len() + 2 + 2;
/// BER tags: SEQUENCE, INTEGER, OCTET STRING.
const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
/// PDU tags (`[CONTEXT n]` constructed) of GetRequest (ours, reflected by an echo service) and
/// Response (RFC 3416 s3; GetResponse in RFC 1157 s4.1.4).
const GET_REQUEST: u8 = 0xa0;
const RESPONSE: u8 = 0xa2;

/// The GetRequest-PDU for sysDescr.0, shared by both versions; 30 bytes.
const GET_SYSDESCR_PDU: [u8; 30] = cat(&[
    &[0xa0, 28], // GetRequest-PDU: [CONTEXT 0] constructed, 28 content octets
    &REQUEST_ID,
    &[0x02, 0x01, 0x00], // error-status noError(0)
    &[0x02, 0x01, 0x00], // error-index 0
    &[0x30, 14],         // variable-bindings: SEQUENCE OF, 14 octets
    &[0x30, 12],         // VarBind: SEQUENCE, 12 octets
    // name: OBJECT IDENTIFIER 1.3.6.1.2.1.1.1.0 (first two arcs packed as 40*1+3 = 0x2b)
    &[0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00],
    &[0x05, 0x00], // value: NULL (unSpecified in a request)
]);

/// `community OCTET STRING "public"`.
const COMMUNITY: [u8; 8] = cat(&[&[0x04, 6], b"public"]);

/// SNMPv2c GetRequest sysDescr.0, community `public`; 43 bytes.
pub const SNMPV2C_GET_SYSDESCR: [u8; 43] = cat(&[
    &[0x30, 41],         // Message: SEQUENCE, 41 content octets
    &[0x02, 0x01, 0x01], // version: version-2c(1)
    &COMMUNITY,
    &GET_SYSDESCR_PDU,
]);

/// SNMPv1 GetRequest sysDescr.0, community `public`; 43 bytes.
pub const SNMPV1_GET_SYSDESCR: [u8; 43] = cat(&[
    &[0x30, 41],         // Message: SEQUENCE, 41 content octets
    &[0x02, 0x01, 0x00], // version: version-1(0)
    &COMMUNITY,
    &GET_SYSDESCR_PDU,
]);

/// The request-id: 30 keyed bits, copied into the Response-PDU (RFC 3416 s4.2.1).
pub(super) const ECHO: EchoField = EchoField {
    field: "request-id",
    bits: 30,
    stamp: |cookie, payload| {
        put(
            payload,
            REQUEST_ID_AT,
            &ber::positive_id(cookie).to_be_bytes(),
        )
    },
    echoed: request_id,
};

/// The request-id of an SNMPv1 or v2c message `SEQUENCE { version INTEGER, community OCTET
/// STRING, PDU }` whose PDU is a Response (or our GetRequest, reflected) beginning with its
/// request-id INTEGER. Anything else (SNMPv3, a v1 Trap, bad BER) echoes nothing.
fn request_id(reply: &[u8]) -> Option<Echoed> {
    let (message, _) = ber::expect(reply, SEQUENCE)?;
    let (_, rest) = ber::expect(message, INTEGER)?;
    let (_, rest) = ber::expect(rest, OCTET_STRING)?;
    let (tag, pdu, _) = ber::tlv(rest)?;
    if !matches!(tag, GET_REQUEST | RESPONSE) {
        return None;
    }
    let (id, _) = ber::expect(pdu, INTEGER)?;
    Some(Echoed {
        value: ber::uint32(id)?,
        mask: ber::ID_MASK,
    })
}
