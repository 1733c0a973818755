//! CLDAP (port 389/udp): LDAPv3 search of the root DSE.
//!
//! Written from RFC 4511 s4.1.1 (LDAPMessage: messageID, protocolOp), s4.5.1 (SearchRequest:
//! `[APPLICATION 3]`, baseObject "" = the root DSE, scope baseObject(0), derefAliases
//! neverDerefAliases(0), sizeLimit 0, timeLimit 0, typesOnly FALSE, filter, attributes), s4.5.1.7
//! (filter `present [7]`) and s5.1 (BER per X.690, definite lengths), with RFC 4512 s5.1 (the
//! root DSE). Over UDP (connectionless LDAP, RFC 1798 / RFC 3352) an LDAPv3 server takes one
//! LDAPMessage per datagram and answers with searchResEntry and searchResDone; this is what
//! Active Directory's LDAP "ping" uses. The filter `(objectClass=*)` matches any entry; an empty
//! attribute list asks for all user attributes (s4.5.1.8). A search is read-only.
//!
//! The messageID carries the probe cookie's low 30 bits (bit 30 set, bit 31 clear: a positive
//! INTEGER of exactly four content octets, within `0 .. maxInt`, see `ber::positive_id`).
//! "All responses to a request MUST have the same messageID" (s4.1.1.1), so a reply proves its
//! request ([`ECHO`]).

use super::echo::{put, EchoField, Echoed};
use super::{ber, cat};

/// messageID of the template: `SCFW` (0x53434657, itself a `positive_id` value); each probe's
/// is `positive_id(cookie)`.
const MESSAGE_ID: u32 = 0x5343_4657;
/// Where the messageID's four content octets start: after the LDAPMessage's SEQUENCE header and
/// the INTEGER's tag and length.
const MESSAGE_ID_AT: usize = 2 + 2;
/// BER tags: SEQUENCE, INTEGER.
const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;

/// SearchRequest for the root DSE, `(objectClass=*)`, all user attributes; 42 bytes.
pub const CLDAP_ROOT_DSE: [u8; 42] = cat(&[
    &[0x30, 40],                // LDAPMessage: SEQUENCE, 40 content octets
    &ber::integer4(MESSAGE_ID), // messageID
    &[0x63, 32],                // searchRequest: [APPLICATION 3] constructed, 32 octets
    &[0x04, 0x00],              // baseObject: "" (root DSE)
    &[0x0a, 0x01, 0x00],        // scope: baseObject
    &[0x0a, 0x01, 0x00],        // derefAliases: neverDerefAliases
    &[0x02, 0x01, 0x00],        // sizeLimit 0 (none requested)
    &[0x02, 0x01, 0x00],        // timeLimit 0 (none requested)
    &[0x01, 0x01, 0x00],        // typesOnly FALSE
    &[0x87, 11],                // filter: present [CONTEXT 7] primitive, 11 octets
    b"objectClass",
    &[0x30, 0x00], // attributes: empty SEQUENCE OF (all user attributes)
]);

/// The messageID: 30 keyed bits, the same in every response (RFC 4511 s4.1.1.1).
pub(super) const ECHO: EchoField = EchoField {
    field: "messageID",
    bits: 30,
    stamp: |cookie, payload| {
        put(
            payload,
            MESSAGE_ID_AT,
            &ber::positive_id(cookie).to_be_bytes(),
        )
    },
    echoed: message_id,
};

/// The messageID of the first LDAPMessage of a datagram, `SEQUENCE { messageID INTEGER,
/// protocolOp, ... }` (s4.1.1), whose protocolOp is there with an `[APPLICATION n]` tag
/// (searchResEntry, searchResDone, a notice of disconnection; our searchRequest, reflected).
/// A CLDAP server may put several messages in one datagram; they share the messageID.
fn message_id(reply: &[u8]) -> Option<Echoed> {
    let (message, _) = ber::expect(reply, SEQUENCE)?;
    let (id, rest) = ber::expect(message, INTEGER)?;
    let (op, _, _) = ber::tlv(rest)?;
    if op & 0xc0 != 0x40 {
        return None;
    }
    Some(Echoed {
        value: ber::uint32(id)?,
        mask: ber::ID_MASK,
    })
}
