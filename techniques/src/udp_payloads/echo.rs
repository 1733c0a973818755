//! Keyed bits in a payload, and the same bits found again in a reply.
//!
//! UDP has no sequence number: a datagram from the probed port proves only that someone knew the
//! keyed source port. Most payload protocols, though, copy a field of the request into their
//! reply so that a client can match the two (a DNS ID, an RPC XID, an NTP transmit timestamp
//! returned as origin timestamp, ...). Each such payload is built per probe with bits of the
//! probe's keyed cookie in that field ([`EchoField::stamp`]), and a reply is believed only when
//! it carries them back ([`EchoField::echoed`], checked by the engine as
//! [`Echo::Stamp`](scanfw_core::technique::Echo::Stamp)). The cookie's low four bits are the try
//! number, and every field carries at least the low 16 bits, so every mask covers them.
//!
//! Where a field is 64 bits wide (IKE initiator cookie, OpenVPN session ID, NTP timestamp), its
//! first half is the fixed marker [`MARKER`] (`SCFW`) and its second half the whole cookie: the
//! marker keeps the field non-zero (ISAKMP cookies and NTP timestamps must be) and recognisable
//! in a capture.

/// The first half of the 64-bit keyed fields: `SCFW`.
pub(super) const MARKER: [u8; 4] = *b"SCFW";

/// Where a payload carries keyed bits of the probe's cookie, and how to find them in a reply.
#[derive(Debug, Clone, Copy)]
pub struct EchoField {
    /// The request field, as its specification names it (`"ID"`, `"request-id"`).
    pub field: &'static str,
    /// How many bits of the cookie a reply echoes (at most, for CoAP whose empty ACK or RST
    /// echoes only the 16-bit Message ID).
    pub bits: u32,
    /// Writes the keyed bits of `cookie` into `payload`, a copy of the payload's template.
    pub stamp: fn(cookie: u32, payload: &mut [u8]),
    /// The bits a reply datagram's payload echoes, or `None` when it has no such field (too
    /// short, malformed, another kind of message). Never panics, whatever the bytes.
    pub echoed: fn(reply: &[u8]) -> Option<Echoed>,
}

/// Cookie bits found in a reply: `value` holds them in the cookie's own bit positions, `mask`
/// says which they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Echoed {
    /// The echoed bits.
    pub value: u32,
    /// Which bits of the cookie they are.
    pub mask: u32,
}

impl Echoed {
    /// All 32 bits of the cookie.
    pub(super) const fn full(value: u32) -> Echoed {
        Echoed {
            value,
            mask: u32::MAX,
        }
    }

    /// The cookie's low 16 bits, from a 16-bit id.
    pub(super) const fn low16(id: u16) -> Echoed {
        Echoed {
            value: id as u32,
            mask: 0xffff,
        }
    }
}

/// Copies `bytes` into `payload` at `at`. The offsets are the templates' own, fixed at compile
/// time and checked by the tests; a wrong one writes nothing rather than panic.
pub(super) fn put(payload: &mut [u8], at: usize, bytes: &[u8]) {
    let end = at.saturating_add(bytes.len());
    debug_assert!(end <= payload.len(), "keyed field outside the payload");
    if let Some(field) = payload.get_mut(at..end) {
        field.copy_from_slice(bytes);
    }
}

/// Writes a 64-bit keyed field at `at`: [`MARKER`], then the cookie, big-endian.
pub(super) fn put_marked(payload: &mut [u8], at: usize, cookie: u32) {
    put(payload, at, &MARKER);
    put(payload, at.saturating_add(4), &cookie.to_be_bytes());
}

/// The big-endian `u16` at `at`, if the bytes are there.
pub(super) fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let x = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([x[0], x[1]]))
}

/// The big-endian `u32` at `at`, if the bytes are there.
pub(super) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let x = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([x[0], x[1], x[2], x[3]]))
}

/// The cookie in a 64-bit keyed field at `at` (see [`put_marked`]), if the field is there and
/// starts with [`MARKER`].
pub(super) fn marked_at(b: &[u8], at: usize) -> Option<Echoed> {
    if b.get(at..at.checked_add(4)?)? != MARKER {
        return None;
    }
    u32_at(b, at + 4).map(Echoed::full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_and_short_input_is_none() {
        let mut p = [0u8; 12];
        put_marked(&mut p, 2, 0x0102_0304);
        assert_eq!(&p[2..10], b"SCFW\x01\x02\x03\x04");
        assert_eq!(marked_at(&p, 2), Some(Echoed::full(0x0102_0304)));
        assert_eq!(marked_at(&p, 3), None, "no marker");
        assert_eq!(marked_at(&p[..9], 2), None, "truncated");
        assert_eq!(u16_at(&p, 0), Some(0));
        assert_eq!(u16_at(&p, 11), None);
        assert_eq!(u32_at(&p, usize::MAX), None);
        assert_eq!(marked_at(&p, usize::MAX - 2), None);
        assert_eq!(Echoed::low16(0xabcd).value, 0xabcd);
    }
}
