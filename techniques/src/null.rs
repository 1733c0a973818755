//! The TCP NULL technique (`-sN`): a segment with no flags at all, which RFC 793 stacks answer
//! with RST from closed ports and drop at open ones.
//!
//! Needs `CAP_NET_RAW`. Probe: 20-byte TCP header, no flags, sequence number = cookie, ack 0,
//! window 1024. RST+ACK is `closed` (`reset`); the segment length is zero, so its
//! acknowledgement number is the cookie itself and the echo is `ack`. ICMP unreachable / time
//! exceeded: `filtered`; silence: `open|filtered`. See [`flags`](crate::flags) for the rules.

use crate::flags::{flag_technique, RstMeaning};

/// The NULL technique.
#[derive(Debug, Default, Clone, Copy)]
pub struct Null;

flag_technique!(
    Null,
    "null",
    'N',
    "TCP NULL scan: raw probes without flags, RST means closed, silence open|filtered",
    0,
    RstMeaning::Closed
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::testkit::*;
    use scanfw_core::technique::Echo;
    use scanfw_core::{PortState, Reason};

    #[test]
    fn descriptor_and_contract() {
        check_descriptor(&Null, "null", 'N', PortState::OpenFiltered);
    }

    #[test]
    fn probe_bytes() {
        #[rustfmt::skip]
        let expected: [u8; 20] = [
            0x9c, 0x40, 0x01, 0xbb, // ports 40000 -> 443
            0xde, 0xad, 0xbe, 0xef, // seq = cookie
            0, 0, 0, 0,             // ack
            0x50, 0x00,             // data offset 5, no flags
            0x04, 0x00,             // window 1024
            0x84, 0x0f,             // checksum
            0, 0,                   // urgent pointer
        ];
        check_probe(&Null, 0, &expected);
    }

    #[test]
    fn rst_is_closed() {
        for v6 in [false, true] {
            let from = target(v6);
            // As the stack sends it: RST+ACK, seq 0, ack = cookie (nothing to acknowledge).
            let rst = stack_rst(&Null, v6, 0);
            assert_eq!(&rst[8..12], &COOKIE.to_be_bytes());
            assert_eq!(rst[13], 0x14);
            let m = classify(&Null, from, 6, &rst);
            expect(
                m,
                v6,
                Echo::Cookie(COOKIE),
                PortState::Closed,
                Reason::Reset,
            );
            let m = classify(&Null, from, 6, &stack_rst(&Null, v6, 1));
            expect(
                m,
                v6,
                Echo::Cookie(COOKIE),
                PortState::Closed,
                Reason::Reset,
            );
            // Acknowledging cookie + 1 (as for FIN) echoes a different value.
            let off = tcp_reply(v6, |h| {
                h.rst = true;
                h.ack = true;
                h.acknowledgment_number = COOKIE.wrapping_add(1);
            });
            let m = classify(&Null, from, 6, &off).expect("match");
            assert_eq!(m.echo, Echo::Cookie(COOKIE.wrapping_add(1)));
            let bare = tcp_reply(v6, |h| {
                h.rst = true;
                h.sequence_number = COOKIE;
            });
            assert_eq!(classify(&Null, from, 6, &bare), None);
        }
    }

    #[test]
    fn other_tcp_replies_are_ignored() {
        check_non_rst_ignored(&Null);
    }

    #[test]
    fn icmp_errors() {
        check_icmp(&Null);
    }

    #[test]
    fn truncated_and_garbage() {
        check_truncated_and_garbage(&Null, &[PortState::Closed]);
    }
}
