//! The TCP ACK technique (`-sA`): a lone ACK, which open and closed ports alike answer with RST,
//! so it maps firewall rules (`unfiltered` or `filtered`) rather than open ports.
//!
//! Needs `CAP_NET_RAW`. Probe: 20-byte TCP header, ACK, sequence number = cookie, acknowledgement
//! number = cookie, window 1024. The reset of a segment with ACK takes its sequence number from
//! the segment's acknowledgement number (RFC 793), so a RST's `seq` is the echo. RST:
//! `unfiltered` (`reset`); ICMP unreachable / time exceeded: `filtered`; silence: `filtered`.
//! See [`flags`](crate::flags) for the rules.

use crate::flags::{flag_technique, RstMeaning};
use scanfw_core::packet::tcp_flags;

/// The ACK technique.
#[derive(Debug, Default, Clone, Copy)]
pub struct Ack;

flag_technique!(
    Ack,
    "ack",
    'A',
    "TCP ACK scan: raw ACK probes, RST means unfiltered, silence filtered",
    tcp_flags::ACK,
    RstMeaning::Unfiltered
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::testkit::*;
    use scanfw_core::technique::Echo;
    use scanfw_core::{PortState, Reason};

    #[test]
    fn descriptor_and_contract() {
        check_descriptor(&Ack, "ack", 'A', PortState::Filtered);
    }

    #[test]
    fn probe_bytes() {
        #[rustfmt::skip]
        let expected: [u8; 20] = [
            0x9c, 0x40, 0x01, 0xbb, // ports 40000 -> 443
            0xde, 0xad, 0xbe, 0xef, // seq = cookie
            0xde, 0xad, 0xbe, 0xef, // ack = cookie
            0x50, 0x10,             // data offset 5, ACK
            0x04, 0x00,             // window 1024
            0xe6, 0x61,             // checksum
            0, 0,                   // urgent pointer
        ];
        check_probe(&Ack, tcp_flags::ACK, &expected);
    }

    #[test]
    fn rst_is_unfiltered() {
        for v6 in [false, true] {
            let from = target(v6);
            // As the stack sends it: RST without ACK, seq = our ack number = cookie.
            let rst = stack_rst(&Ack, v6, 0);
            assert_eq!(&rst[4..8], &COOKIE.to_be_bytes());
            assert_eq!(rst[13], 0x04);
            let m = classify(&Ack, from, 6, &rst);
            expect(
                m,
                v6,
                Echo::Cookie(COOKIE),
                PortState::Unfiltered,
                Reason::Reset,
            );
            // Window and a (non-RFC) ACK flag change nothing; the sequence number is the echo.
            let odd = tcp_reply(v6, |h| {
                h.rst = true;
                h.ack = true;
                h.sequence_number = COOKIE;
                h.acknowledgment_number = 99;
                h.window_size = 512;
            });
            let m = classify(&Ack, from, 6, &odd);
            expect(
                m,
                v6,
                Echo::Cookie(COOKIE),
                PortState::Unfiltered,
                Reason::Reset,
            );
        }
    }

    #[test]
    fn other_tcp_replies_are_ignored() {
        check_non_rst_ignored(&Ack);
    }

    #[test]
    fn icmp_errors() {
        check_icmp(&Ack);
    }

    #[test]
    fn truncated_and_garbage() {
        check_truncated_and_garbage(&Ack, &[PortState::Unfiltered]);
    }
}
