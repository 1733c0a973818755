//! Just enough BER (X.690 s8.1) to find the request id of an SNMP reply and the messageID of an
//! LDAP one: single-octet tags, definite lengths, INTEGER contents. Both protocols forbid the
//! indefinite length form (RFC 4511 s5.1; SNMP messages are definite-length by RFC 3417 s8), so a
//! reply using it is malformed. Every read is bounds-checked: replies are untrusted bytes.

/// The request ids scanfw sends: the cookie's low 30 bits under bit 30 (see [`positive_id`]).
pub(super) const ID_MASK: u32 = 0x3fff_ffff;

/// A request id carrying the cookie's low 30 bits, with bit 30 set and bit 31 clear: the value
/// is positive and its minimal two's-complement encoding is always exactly four octets (X.690
/// s8.3.2), so the payload keeps its length and stays valid for strict decoders. It is below
/// 2^31, within SNMP's `Integer32` request-id (RFC 3416 s3) and LDAP's `MessageID`
/// (`0 .. maxInt`, RFC 4511 s4.1.1), and never 0 (reserved in LDAP for unsolicited
/// notifications).
pub(super) const fn positive_id(cookie: u32) -> u32 {
    (cookie & ID_MASK) | 0x4000_0000
}

/// One TLV at the start of `b`: its tag, contents and the bytes after it. `None` for a
/// high-tag-number tag, the indefinite length, a length of more than four octets, or contents
/// running past the end of `b`.
pub(super) fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (octets, rest) = rest.split_at(n);
        let len = octets
            .iter()
            .fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
        (usize::try_from(len).ok()?, rest)
    };
    if rest.len() < len {
        return None;
    }
    let (contents, rest) = rest.split_at(len);
    Some((tag, contents, rest))
}

/// The contents of a TLV with tag `tag` at the start of `b`, and the bytes after it.
pub(super) fn expect(b: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    match tlv(b)? {
        (t, contents, rest) if t == tag => Some((contents, rest)),
        _ => None,
    }
}

/// The value of INTEGER contents (X.690 s8.3: big-endian two's complement, at least one octet)
/// when it is non-negative and fits 32 bits; `None` otherwise.
pub(super) fn uint32(contents: &[u8]) -> Option<u32> {
    let (&first, _) = contents.split_first()?;
    if first & 0x80 != 0 || contents.len() > 8 {
        return None;
    }
    let v = contents
        .iter()
        .fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
    u32::try_from(v).ok()
}

/// The six octets of an INTEGER TLV holding `id` in four content octets; `id` must be one of
/// [`positive_id`]'s values for the encoding to be minimal.
pub(super) const fn integer4(id: u32) -> [u8; 6] {
    let v = id.to_be_bytes();
    [0x02, 0x04, v[0], v[1], v[2], v[3]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positive_ids_keep_the_low_30_bits_and_encode_in_four_octets() {
        for cookie in [
            0u32,
            1,
            0xf,
            0x3fff_ffff,
            0x4000_0000,
            0xffff_ffff,
            0xdead_beef,
        ] {
            let id = positive_id(cookie);
            assert_eq!((id ^ cookie) & ID_MASK, 0);
            assert!((0x4000_0000..0x8000_0000).contains(&id), "{id:#x}");
            let enc = integer4(id);
            assert_eq!(expect(&enc, 0x02).and_then(|(c, _)| uint32(c)), Some(id));
        }
        assert_eq!(ID_MASK & 0xf, 0xf, "the try bits are covered");
    }

    #[test]
    fn lengths_short_and_long_forms() {
        assert_eq!(
            tlv(&[0x04, 2, b'a', b'b', 9]),
            Some((4, &b"ab"[..], &[9][..]))
        );
        let mut long = vec![0x30, 0x81, 200];
        long.extend([7u8; 200]);
        assert_eq!(
            tlv(&long).map(|(_, c, r)| (c.len(), r.len())),
            Some((200, 0))
        );
        let two = [0x30, 0x82, 0x00, 0x01, 5];
        assert_eq!(tlv(&two), Some((0x30, &[5][..], &[][..])));
        for bad in [
            &[][..],
            &[0x30],
            &[0x30, 0x80, 0, 0],             // indefinite
            &[0x30, 0x85, 0, 0, 0, 0, 1, 0], // five length octets
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0x30, 3, 1, 2],    // contents past the end
            &[0x1f, 1, 0],       // high tag number form
            &[0x30, 0x82, 0x01], // length octets cut
        ] {
            assert_eq!(tlv(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn integers() {
        assert_eq!(uint32(&[0]), Some(0));
        assert_eq!(uint32(&[0x7f, 0xff, 0xff, 0xff]), Some(0x7fff_ffff));
        assert_eq!(uint32(&[0, 0xff, 0xff, 0xff, 0xff]), Some(u32::MAX));
        assert_eq!(uint32(&[1, 0, 0, 0, 0]), None, "over 32 bits");
        assert_eq!(uint32(&[0x80]), None, "negative");
        assert_eq!(uint32(&[]), None);
        assert_eq!(uint32(&[0; 9]), None);
    }
}
