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

use super::cat;

/// `request-id INTEGER`: fixed, `SCFW` (0x53434657, positive, four content octets).
const REQUEST_ID: [u8; 6] = [0x02, 0x04, 0x53, 0x43, 0x46, 0x57];

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
