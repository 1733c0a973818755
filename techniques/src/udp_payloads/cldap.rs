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

use super::cat;

/// SearchRequest for the root DSE, `(objectClass=*)`, all user attributes; 39 bytes.
pub const CLDAP_ROOT_DSE: [u8; 39] = cat(&[
    &[0x30, 37],         // LDAPMessage: SEQUENCE, 37 content octets
    &[0x02, 0x01, 0x01], // messageID 1 (fixed)
    &[0x63, 32],         // searchRequest: [APPLICATION 3] constructed, 32 content octets
    &[0x04, 0x00],       // baseObject: "" (root DSE)
    &[0x0a, 0x01, 0x00], // scope: baseObject
    &[0x0a, 0x01, 0x00], // derefAliases: neverDerefAliases
    &[0x02, 0x01, 0x00], // sizeLimit 0 (none requested)
    &[0x02, 0x01, 0x00], // timeLimit 0 (none requested)
    &[0x01, 0x01, 0x00], // typesOnly FALSE
    &[0x87, 11],         // filter: present [CONTEXT 7] primitive, 11 octets
    b"objectClass",
    &[0x30, 0x00], // attributes: empty SEQUENCE OF (all user attributes)
]);
