//! CoAP (port 5683): confirmable `GET /.well-known/core`.
//!
//! Written from RFC 7252 s3 (4-byte header: Ver=1, T=0 CON, TKL, Code, Message ID; then the
//! token), s12.1.1 (method code 0.01 GET), s3.1 (option encoding: 4-bit delta and length
//! nibbles), s5.10.1 (Uri-Path = option 11, one option per path segment) and RFC 6690 s4
//! (`/.well-known/core` lists the server's resources). The server piggybacks its 2.05 Content
//! reply on the ACK (RFC 7252 s5.2.1). A GET is safe (s5.8.1).
//!
//! Two fields are keyed: the 4-byte token carries the probe's whole 32-bit cookie, and the
//! Message ID its low 16 bits. The server "MUST echo" the token "(without modification) in any
//! resulting response" (s5.3.1, matching rules s5.3.2); an empty ACK or a Reset has no token but
//! "MUST echo the Message ID" of the request (s4.2). So a reply proves its request by either
//! ([`ECHO`]).

use super::echo::{put, u16_at, u32_at, EchoField, Echoed};
use super::{be16, cat};

/// Message ID of the template, `SC`; each probe's is the cookie's low 16 bits.
const MESSAGE_ID: u16 = 0x5343;
/// Token of the template, `SCFW`; each probe's is its cookie.
const TOKEN: u32 = 0x5343_4657;
/// Token length (TKL): four octets, one cookie.
const TKL: u8 = 4;
/// Offsets of the Message ID and the token.
const MESSAGE_ID_AT: usize = 2;
const TOKEN_AT: usize = 4;
/// Message types (s3): Acknowledgement, Reset.
const ACK: u8 = 2;
const RESET: u8 = 3;

/// CON GET /.well-known/core, 4-byte token, no payload; 25 bytes.
pub const COAP_WELL_KNOWN_CORE: [u8; 25] = cat(&[
    &[0x40 | TKL],     // Ver=1 (01), T=CON (00), TKL=4
    &[0x01],           // Code 0.01 GET
    &be16(MESSAGE_ID), // Message ID
    &TOKEN.to_be_bytes(),
    &[0xbb], // Uri-Path: delta 11 (0 + 11), length 11
    b".well-known",
    &[0x04], // Uri-Path: delta 0, length 4
    b"core",
]);

/// The token (32 keyed bits) and Message ID (16), echoed by a response or an empty ACK / RST.
pub(super) const ECHO: EchoField = EchoField {
    field: "token (4 bytes; Message ID also keyed)",
    bits: 32,
    stamp: stamp_fields,
    echoed: token_or_message_id,
};

/// Writes the cookie into the token and its low 16 bits into the Message ID.
fn stamp_fields(cookie: u32, payload: &mut [u8]) {
    put(payload, MESSAGE_ID_AT, &(cookie as u16).to_be_bytes());
    put(payload, TOKEN_AT, &cookie.to_be_bytes());
}

/// A version-1 message's 4-byte token (a response, piggybacked or separate, or our request
/// reflected by an echo service), or the Message ID of a tokenless ACK or Reset. Any other
/// token length is not ours.
fn token_or_message_id(reply: &[u8]) -> Option<Echoed> {
    let (&first, _) = reply.split_first()?;
    if first >> 6 != 1 {
        return None;
    }
    let kind = (first >> 4) & 3;
    match first & 0xf {
        TKL => u32_at(reply, TOKEN_AT).map(Echoed::full),
        0 if matches!(kind, ACK | RESET) => u16_at(reply, MESSAGE_ID_AT).map(Echoed::low16),
        _ => None,
    }
}
