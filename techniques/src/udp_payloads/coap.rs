//! CoAP (port 5683): confirmable `GET /.well-known/core`.
//!
//! Written from RFC 7252 s3 (4-byte header: Ver=1, T=0 CON, TKL, Code, Message ID), s12.1.1
//! (method code 0.01 GET), s3.1 (option encoding: 4-bit delta and length nibbles), s5.10.1
//! (Uri-Path = option 11, one option per path segment) and RFC 6690 s4 (`/.well-known/core`
//! lists the server's resources). The server piggybacks its 2.05 Content reply on the ACK
//! (RFC 7252 s5.2.1). A GET is safe (s5.8.1).

use super::{be16, cat};

/// Message ID, fixed: `SC`; the ACK echoes it.
const MESSAGE_ID: u16 = 0x5343;

/// CON GET /.well-known/core, empty token, no payload; 21 bytes.
pub const COAP_WELL_KNOWN_CORE: [u8; 21] = cat(&[
    &[0x40],           // Ver=1 (01), T=CON (00), TKL=0
    &[0x01],           // Code 0.01 GET
    &be16(MESSAGE_ID), // Message ID
    &[0xbb],           // Uri-Path: delta 11 (0 + 11), length 11
    b".well-known",
    &[0x04], // Uri-Path: delta 0, length 4
    b"core",
]);
