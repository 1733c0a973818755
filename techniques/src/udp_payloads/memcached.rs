//! memcached (port 11211): the ASCII `version` command with the UDP frame header.
//!
//! Written from memcached's doc/protocol.txt: section "UDP protocol" (every datagram starts with
//! an 8-byte frame header: request id, sequence number, total number of datagrams in this
//! message, reserved; 16-bit big-endian each) and the "version" command under "Statistics" /
//! "Other commands" (answers `VERSION <version>\r\n`). Read-only.

use super::{be16, cat};

/// Request id, fixed: `SC`; the server copies it into its reply's frame header.
const REQUEST_ID: u16 = 0x5343;

/// `version\r\n` in one datagram; 17 bytes.
pub const MEMCACHED_VERSION: [u8; 17] = cat(&[
    &be16(REQUEST_ID),
    &be16(0), // sequence number
    &be16(1), // total datagrams in this message
    &be16(0), // reserved, must be 0
    b"version\r\n",
]);
