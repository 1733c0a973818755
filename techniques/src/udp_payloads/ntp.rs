//! NTP (port 123): a client-mode (mode 3) request, NTPv4.
//!
//! Written from RFC 5905 s7.3 (packet header variables and their layout), s6 (64-bit timestamp
//! format) and s7.2 (MINPOLL 4 .. MAXPOLL 17). A server answers mode 3 with a mode 4 packet whose
//! origin timestamp is our transmit timestamp (s8, on-wire protocol); it keeps no per-client state
//! for that.

use super::{be32, cat};

/// LI=0 (no warning), VN=4, Mode=3 (client): `00 100 011`.
const LI_VN_MODE: u8 = 0x23;
/// Poll: log2 of the poll interval, 6 (64 s, the usual minimum).
const POLL: u8 = 6;
/// Precision: log2 seconds, -20 (about one microsecond).
const PRECISION: u8 = (-20i8) as u8;
/// Transmit timestamp: a fixed nonce, seconds `SCFW`, fraction 1; the server echoes it back in
/// its origin timestamp field.
const XMT_SECONDS: u32 = 0x5343_4657;
const XMT_FRACTION: u32 = 1;

/// NTPv4 client request, 48 bytes (the header alone: no extension fields, no MAC).
pub const NTP_CLIENT: [u8; 48] = cat(&[
    &[LI_VN_MODE, 0, POLL, PRECISION], // stratum 0: unspecified, as a client sends
    &be32(0),                          // root delay
    &be32(0),                          // root dispersion
    &be32(0),                          // reference id
    &[0; 8],                           // reference timestamp
    &[0; 8],                           // origin timestamp
    &[0; 8],                           // receive timestamp
    &be32(XMT_SECONDS),
    &be32(XMT_FRACTION),
]);
