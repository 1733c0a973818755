//! The TCP FIN technique (`-sF`): a lone FIN, which RFC 793 stacks answer with RST from closed
//! ports and drop at open ones.
//!
//! Needs `CAP_NET_RAW`. Probe: 20-byte TCP header, FIN, sequence number = cookie, ack 0, window
//! 1024. RST+ACK is `closed` (`reset`); its acknowledgement number is cookie + 1 (FIN counts one),
//! so the echo is `ack - 1`. ICMP unreachable / time exceeded: `filtered`; silence:
//! `open|filtered`. See [`flags`](crate::flags) for the rules.

use crate::flags::{flag_technique, RstMeaning};
use scanfw_core::packet::tcp_flags;

/// The FIN technique.
#[derive(Debug, Default, Clone, Copy)]
pub struct Fin;

flag_technique!(
    Fin,
    "fin",
    'F',
    "TCP FIN scan: raw FIN probes, RST means closed, silence open|filtered",
    tcp_flags::FIN,
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
        check_descriptor(&Fin, "fin", 'F', PortState::OpenFiltered);
    }

    #[test]
    fn probe_bytes() {
        #[rustfmt::skip]
        let expected: [u8; 20] = [
            0x9c, 0x40, 0x01, 0xbb, // ports 40000 -> 443
            0xde, 0xad, 0xbe, 0xef, // seq = cookie
            0, 0, 0, 0,             // ack
            0x50, 0x01,             // data offset 5, FIN
            0x04, 0x00,             // window 1024
            0x84, 0x0e,             // checksum
            0, 0,                   // urgent pointer
        ];
        check_probe(&Fin, tcp_flags::FIN, &expected);
    }

    #[test]
    fn rst_is_closed() {
        for v6 in [false, true] {
            let from = target(v6);
            // As the stack sends it: RST+ACK, seq 0, ack = cookie + 1.
            let rst = stack_rst(&Fin, v6, 0);
            assert_eq!(&rst[8..12], &COOKIE.wrapping_add(1).to_be_bytes());
            assert_eq!(rst[13], 0x14);
            let m = classify(&Fin, from, 6, &rst);
            expect(
                m,
                v6,
                Echo::Cookie(COOKIE),
                PortState::Closed,
                Reason::Reset,
            );
            // The window does not matter.
            let m = classify(&Fin, from, 6, &stack_rst(&Fin, v6, 8192));
            expect(
                m,
                v6,
                Echo::Cookie(COOKIE),
                PortState::Closed,
                Reason::Reset,
            );
            // A RST without ACK proves nothing.
            let bare = tcp_reply(v6, |h| {
                h.rst = true;
                h.sequence_number = COOKIE;
            });
            assert_eq!(classify(&Fin, from, 6, &bare), None);
        }
    }

    #[test]
    fn other_tcp_replies_are_ignored() {
        check_non_rst_ignored(&Fin);
    }

    #[test]
    fn icmp_errors() {
        check_icmp(&Fin);
    }

    #[test]
    fn truncated_and_garbage() {
        check_truncated_and_garbage(&Fin, &[PortState::Closed]);
    }
}
