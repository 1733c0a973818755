//! SIP (port 5060): an `OPTIONS` request that no element may forward.
//!
//! Written from RFC 3261: s7.1 (request line), s8.1.1 (the six header fields every request must
//! carry: To, From, CSeq, Call-ID, Max-Forwards, Via), s8.1.1.7 (Via branch starting with the
//! magic cookie `z9hG4bK`), s8.1.1.3 (From tag), s11 (OPTIONS: capabilities query; Contact and
//! Accept as in the s11.1 example), s18.3 / s20.14 (Content-Length, recommended over UDP) and
//! s16.3 item 3 (a proxy may answer an OPTIONS whose Max-Forwards is 0 itself; otherwise it
//! answers 483 Too Many Hops). `Max-Forwards: 0` therefore guarantees a reply from the probed
//! element and no forwarding. The Via header carries `rport` (RFC 3581 s3/s4), so the answer
//! goes back to the datagram's source port rather than to port 5060 of the sent-by host.
//!
//! Names under the reserved `.invalid` TLD (RFC 6761 s6.4) never resolve. The Via branch
//! (`z9hG4bK-scanfw-` and eight hex digits), the From tag and the Call-ID (`<hex>@scanfw.invalid`)
//! carry the probe's whole 32-bit cookie as eight lowercase hex digits (the template's are
//! `53434657`, `SCFW`); CSeq is 1. A response's Via header fields "MUST equal the Via header
//! field values in the request" (s8.2.6.2) and a client matches a response to its transaction by
//! the top Via's branch (s17.1.3), so the branch proves the request ([`ECHO`]). Keyed per probe,
//! the branch and Call-ID are also unique, as s8.1.1.7 and s8.1.1.4 ask.

use super::echo::{put, EchoField, Echoed};

/// OPTIONS capabilities query; 337 bytes.
pub const SIP_OPTIONS: [u8; 337] = *b"OPTIONS sip:scanfw.invalid SIP/2.0\r\n\
Via: SIP/2.0/UDP scanfw.invalid:5060;branch=z9hG4bK-scanfw-53434657;rport\r\n\
Max-Forwards: 0\r\n\
To: <sip:scanfw.invalid>\r\n\
From: <sip:scanfw@scanfw.invalid>;tag=53434657\r\n\
Call-ID: 53434657@scanfw.invalid\r\n\
CSeq: 1 OPTIONS\r\n\
Contact: <sip:scanfw@scanfw.invalid>\r\n\
Accept: application/sdp\r\n\
Content-Length: 0\r\n\
\r\n";

/// What precedes the keyed hex digits of the branch.
const BRANCH_PREFIX: &[u8] = b"z9hG4bK-scanfw-";
/// The keyed fields: eight hex digits each, at these offsets of the template.
const BRANCH_AT: usize = end_of(&SIP_OPTIONS, BRANCH_PREFIX);
const TAG_AT: usize = end_of(&SIP_OPTIONS, b";tag=");
const CALL_ID_AT: usize = end_of(&SIP_OPTIONS, b"Call-ID: ");
const HEX_DIGITS: usize = 8;

/// The offset just after the first `needle` in `hay`; fails the build when there is none.
const fn end_of(hay: &[u8], needle: &[u8]) -> usize {
    let mut at = 0;
    while at + needle.len() <= hay.len() {
        let mut i = 0;
        while i < needle.len() && hay[at + i] == needle[i] {
            i += 1;
        }
        if i == needle.len() {
            return at + i;
        }
        at += 1;
    }
    panic!("field not in the SIP template");
}

/// The Via branch: 32 keyed bits, copied into every response (RFC 3261 s8.2.6.2).
pub(super) const ECHO: EchoField = EchoField {
    field: "Via branch (also From tag, Call-ID), 8 hex digits",
    bits: 32,
    stamp: stamp_fields,
    echoed: branch,
};

/// Writes the cookie as eight lowercase hex digits into the branch, the tag and the Call-ID.
fn stamp_fields(cookie: u32, payload: &mut [u8]) {
    let hex = hex8(cookie);
    for at in [BRANCH_AT, TAG_AT, CALL_ID_AT] {
        put(payload, at, &hex);
    }
}

/// `v` as eight lowercase hex digits.
fn hex8(v: u32) -> [u8; HEX_DIGITS] {
    let mut out = [0u8; HEX_DIGITS];
    for (i, d) in out.iter_mut().enumerate() {
        let nibble = (v >> (28 - 4 * i)) & 0xf;
        *d = b"0123456789abcdef"[nibble as usize];
    }
    out
}

/// The cookie in our branch, found in the header section of a SIP response (status line
/// `SIP/2.0 ...`) or of our OPTIONS reflected by an echo service: [`BRANCH_PREFIX`], then
/// exactly eight hex digits (either case).
fn branch(reply: &[u8]) -> Option<Echoed> {
    let start = reply.get(..8)?;
    if !start.eq_ignore_ascii_case(b"SIP/2.0 ") && start != b"OPTIONS " {
        return None;
    }
    let head = find(reply, b"\r\n\r\n").map_or(reply, |end| &reply[..end]);
    let at = find(head, BRANCH_PREFIX)? + BRANCH_PREFIX.len();
    let digits = head.get(at..at + HEX_DIGITS)?;
    if head.get(at + HEX_DIGITS).is_some_and(u8::is_ascii_hexdigit) {
        return None;
    }
    let value = digits.iter().try_fold(0u32, |acc, &d| {
        let nibble = char::from(d).to_digit(16)?;
        Some((acc << 4) | nibble)
    })?;
    Some(Echoed::full(value))
}

/// The offset of the first `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keyed_fields_sit_where_the_template_has_its_hex() {
        for at in [BRANCH_AT, TAG_AT, CALL_ID_AT] {
            assert_eq!(&SIP_OPTIONS[at..at + HEX_DIGITS], b"53434657");
        }
        assert_eq!(hex8(0x0a1b_2c3d), *b"0a1b2c3d");
        assert_eq!(hex8(0x5343_4657), *b"53434657");
    }
}
