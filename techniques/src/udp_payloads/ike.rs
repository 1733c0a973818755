//! IKE (port 500): the first message of an IKEv1 Main Mode exchange, header and SA payload.
//!
//! Written from RFC 2408 (ISAKMP) s3.1 (28-byte header: initiator and responder cookies, next
//! payload, version 1.0, exchange type, flags, message id, length), s3.2 (generic payload
//! header), s3.4 (SA payload: DOI, situation), s3.5 (proposal payload), s3.6 (transform payload)
//! and s3.3 (data attributes, TV form: AF bit set, 16-bit value); RFC 2409 (IKE) s5 (Main Mode,
//! first message HDR + SA) and Appendix A (attribute classes and values); RFC 2407 (IPsec DOI)
//! s4 (IPsec DOI = 1), s4.2 (SIT_IDENTITY_ONLY = 1), s4.4.1 (PROTO_ISAKMP = 1), s4.4.2
//! (KEY_IKE = 1); AES-CBC = 7 from RFC 3602 s5; MODP group 14 from RFC 3526 s3. Exchange type 2
//! is Identity Protection (Main Mode), RFC 2408 s3.1 / s4.5.
//!
//! One proposal, one transform: AES-CBC-128, SHA-1, pre-shared key authentication, 2048-bit MODP
//! group 14, lifetime 28800 s. A responder answers with its chosen SA or a NO-PROPOSAL-CHOSEN
//! notification; the half-open state it keeps expires on its own, as for any first message.
//!
//! The initiator cookie is `SCFW` followed by the probe's whole 32-bit cookie. The responder
//! copies it into the header of every message of the exchange (s3.1: the cookies identify the
//! ISAKMP SA; its notifications carry them too), and so does an IKEv2 responder (RFC 7296 s3.1,
//! the initiator's SPI), so a reply proves its request ([`ECHO`]). Keyed per probe, the cookie
//! is also what s2.5.3 asks of one: unique per peer and exchange, and hard to predict.

use super::echo::{marked_at, put_marked, EchoField, Echoed};
use super::{be16, be32, cat};

/// Initiator cookie of the template: `SCFW` 0 0 0 1 (non-zero, RFC 2408 s2.5.3); each probe's
/// last four octets are its cookie.
const INITIATOR_COOKIE: [u8; 8] = [0x53, 0x43, 0x46, 0x57, 0, 0, 0, 1];
/// The ISAKMP header's length (s3.1); the initiator cookie is its first field.
const HEADER_LEN: usize = 28;

/// A TV-form data attribute (RFC 2408 s3.3): AF=1, type, 16-bit value.
const fn tv(attr_type: u16, value: u16) -> [u8; 4] {
    let t = (0x8000 | attr_type).to_be_bytes();
    let v = value.to_be_bytes();
    [t[0], t[1], v[0], v[1]]
}

/// Transform attributes (RFC 2409 Appendix A); 7 x 4 = 28 bytes.
const ATTRIBUTES: [u8; 28] = cat(&[
    &tv(1, 7),       // Encryption Algorithm: AES-CBC (RFC 3602)
    &tv(14, 128),    // Key Length: 128 bits
    &tv(2, 2),       // Hash Algorithm: SHA
    &tv(3, 1),       // Authentication Method: pre-shared key
    &tv(4, 14),      // Group Description: MODP 2048 (group 14, RFC 3526)
    &tv(11, 1),      // Life Type: seconds
    &tv(12, 28_800), // Life Duration: 8 hours
]);

const TRANSFORM_LEN: u16 = 8 + ATTRIBUTES.len() as u16; // 36
const PROPOSAL_LEN: u16 = 8 + TRANSFORM_LEN; // 44
const SA_LEN: u16 = 12 + PROPOSAL_LEN; // 56
const MESSAGE_LEN: u32 = 28 + SA_LEN as u32; // 84

/// IKEv1 Main Mode message 1; 84 bytes.
pub const IKEV1_MAIN_MODE: [u8; 84] = cat(&[
    // ISAKMP header (RFC 2408 s3.1)
    &INITIATOR_COOKIE,
    &[0; 8],  // responder cookie: zero in the first message
    &[1],     // next payload: SA
    &[0x10],  // version: major 1, minor 0
    &[2],     // exchange type: Identity Protection (Main Mode)
    &[0],     // flags: none (not encrypted, no commit, no authentication only)
    &be32(0), // message id: zero in phase 1
    &be32(MESSAGE_LEN),
    // SA payload (s3.4)
    &[0, 0], // next payload: none; reserved
    &be16(SA_LEN),
    &be32(1), // DOI: IPsec
    &be32(1), // situation: SIT_IDENTITY_ONLY
    // Proposal payload (s3.5)
    &[0, 0], // next payload: none (last proposal); reserved
    &be16(PROPOSAL_LEN),
    &[1, 1, 0, 1], // proposal #1, protocol PROTO_ISAKMP, SPI size 0, 1 transform
    // Transform payload (s3.6)
    &[0, 0], // next payload: none (last transform); reserved
    &be16(TRANSFORM_LEN),
    &[1, 1], // transform #1, transform id KEY_IKE
    &[0, 0], // reserved
    &ATTRIBUTES,
]);

/// The initiator cookie: 32 keyed bits, copied into every reply's header (RFC 2408 s3.1).
pub(super) const ECHO: EchoField = EchoField {
    field: "initiator cookie (SPI)",
    bits: 32,
    stamp: |cookie, payload| put_marked(payload, 0, cookie),
    echoed: initiator_cookie,
};

/// The initiator cookie of a message with a whole ISAKMP (or IKEv2) header; an echo
/// service's copy of the request has it in the same place.
fn initiator_cookie(reply: &[u8]) -> Option<Echoed> {
    if reply.len() < HEADER_LEN {
        return None;
    }
    marked_at(reply, 0)
}
