//! NTP (port 123): a client-mode (mode 3) request, NTPv4.
//!
//! Written from RFC 5905 s7.3 (packet header variables and their layout), s6 (64-bit timestamp
//! format) and s7.2 (MINPOLL 4 .. MAXPOLL 17). A server answers mode 3 with a mode 4 packet whose
//! origin timestamp is our transmit timestamp (s8, on-wire protocol; Appendix A, `fast_xmit`:
//! `x.org = r.xmt`); it keeps no per-client state for that.
//!
//! The transmit timestamp is a nonce, not a time (a server only copies it back): seconds `SCFW`,
//! fraction the probe's whole 32-bit cookie. A reply proves its request by carrying it as origin
//! timestamp ([`ECHO`]); a UDP echo service returns the request itself, with the nonce still in
//! the transmit timestamp, and is believed too.

use super::echo::{marked_at, put_marked, EchoField, Echoed};
use super::{be32, cat};

/// LI=0 (no warning), VN=4, Mode=3 (client): `00 100 011`.
const LI_VN_MODE: u8 = 0x23;
/// Poll: log2 of the poll interval, 6 (64 s, the usual minimum).
const POLL: u8 = 6;
/// Precision: log2 seconds, -20 (about one microsecond).
const PRECISION: u8 = (-20i8) as u8;
/// Transmit timestamp of the template: seconds `SCFW` (the keyed fields' marker), fraction 1;
/// each probe's fraction is its cookie.
const XMT_SECONDS: u32 = 0x5343_4657;
const XMT_FRACTION: u32 = 1;
/// Offsets of the origin and transmit timestamps in the header (s7.3).
const ORIGIN_AT: usize = 24;
const TRANSMIT_AT: usize = 40;
/// The header's length: the shortest valid NTP packet.
const HEADER_LEN: usize = 48;
/// The modes of a request (client) and of its answer (server).
const MODE_CLIENT: u8 = 3;
const MODE_SERVER: u8 = 4;

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

/// The transmit timestamp: 32 keyed bits, returned as the reply's origin timestamp.
pub(super) const ECHO: EchoField = EchoField {
    field: "transmit timestamp (returned as origin timestamp)",
    bits: 32,
    stamp: |cookie, payload| put_marked(payload, TRANSMIT_AT, cookie),
    echoed: origin,
};

/// The nonce of a whole NTP header: in the origin timestamp of a server-mode reply, in the
/// transmit timestamp of a client-mode packet (our request, reflected by an echo service). Any
/// other mode, or a timestamp without the `SCFW` seconds, echoes nothing.
fn origin(reply: &[u8]) -> Option<Echoed> {
    if reply.len() < HEADER_LEN {
        return None;
    }
    match reply[0] & 7 {
        MODE_SERVER => marked_at(reply, ORIGIN_AT),
        MODE_CLIENT => marked_at(reply, TRANSMIT_AT),
        _ => None,
    }
}
