//! memcached (port 11211): the ASCII `version` command with the UDP frame header.
//!
//! Written from memcached's doc/protocol.txt: section "UDP protocol" (every datagram starts with
//! an 8-byte frame header: request id, sequence number, total number of datagrams in this
//! message, reserved; 16-bit big-endian each) and the "version" command under "Statistics" /
//! "Other commands" (answers `VERSION <version>\r\n`). Read-only.
//!
//! The request id carries the probe cookie's low 16 bits: "the server's response will contain
//! the same ID as the incoming request" (protocol.txt, "UDP protocol"), so a reply proves its
//! request ([`ECHO`]).

use super::echo::{put, u16_at, EchoField, Echoed};
use super::{be16, cat};

/// Frame header length: request id, sequence number, datagram count, reserved.
const FRAME_HEADER: usize = 8;
/// Request id of the template, `SC`; each probe's is the cookie's low 16 bits.
const REQUEST_ID: u16 = 0x5343;

/// `version\r\n` in one datagram; 17 bytes.
pub const MEMCACHED_VERSION: [u8; 17] = cat(&[
    &be16(REQUEST_ID),
    &be16(0), // sequence number
    &be16(1), // total datagrams in this message
    &be16(0), // reserved, must be 0
    b"version\r\n",
]);

/// The frame header's request id: 16 keyed bits, copied into every reply datagram.
pub(super) const ECHO: EchoField = EchoField {
    field: "request ID (UDP frame header)",
    bits: 16,
    stamp: |cookie, payload| put(payload, 0, &(cookie as u16).to_be_bytes()),
    echoed: frame_request_id,
};

/// The request id of a datagram with a whole frame header.
fn frame_request_id(reply: &[u8]) -> Option<Echoed> {
    if reply.len() < FRAME_HEADER {
        return None;
    }
    u16_at(reply, 0).map(Echoed::low16)
}
