//! The TCP Xmas technique (`-sX`): FIN, PSH and URG set ("lit up like a Christmas tree"), which
//! RFC 793 stacks answer with RST from closed ports and drop at open ones.
//!
//! Needs `CAP_NET_RAW`. Probe: 20-byte TCP header, FIN|PSH|URG, sequence number = cookie, ack 0,
//! window 1024, urgent pointer 0. RST+ACK is `closed` (`reset`); its acknowledgement number is
//! cookie + 1 (FIN counts one; PSH and URG add nothing), so the echo is `ack - 1`. ICMP
//! unreachable / time exceeded: `filtered`; silence: `open|filtered`. See
//! [`flags`](crate::flags) for the rules.

use crate::flags::{flag_technique, RstMeaning};
use scanfw_core::packet::tcp_flags::{FIN, PSH, URG};

/// The Xmas technique.
#[derive(Debug, Default, Clone, Copy)]
pub struct Xmas;

flag_technique!(
    Xmas,
    "xmas",
    'X',
    "TCP Xmas scan: raw FIN+PSH+URG probes, RST means closed, silence open|filtered",
    FIN | PSH | URG,
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
        check_descriptor(&Xmas, "xmas", 'X', PortState::OpenFiltered);
    }

    #[test]
    fn probe_bytes() {
        #[rustfmt::skip]
        let expected: [u8; 20] = [
            0x9c, 0x40, 0x01, 0xbb, // ports 40000 -> 443
            0xde, 0xad, 0xbe, 0xef, // seq = cookie
            0, 0, 0, 0,             // ack
            0x50, 0x29,             // data offset 5, URG|PSH|FIN
            0x04, 0x00,             // window 1024
            0x83, 0xe6,             // checksum
            0, 0,                   // urgent pointer
        ];
        check_probe(&Xmas, FIN | PSH | URG, &expected);
    }

    #[test]
    fn rst_is_closed() {
        for v6 in [false, true] {
            let from = target(v6);
            // As the stack sends it: RST+ACK, seq 0, ack = cookie + 1.
            let rst = stack_rst(&Xmas, v6, 0);
            assert_eq!(&rst[8..12], &COOKIE.wrapping_add(1).to_be_bytes());
            assert_eq!(rst[13], 0x14);
            let m = classify(&Xmas, from, 6, &rst);
            expect(
                m,
                v6,
                Echo::Cookie(COOKIE),
                PortState::Closed,
                Reason::Reset,
            );
            let m = classify(&Xmas, from, 6, &stack_rst(&Xmas, v6, 4096));
            expect(
                m,
                v6,
                Echo::Cookie(COOKIE),
                PortState::Closed,
                Reason::Reset,
            );
            let bare = tcp_reply(v6, |h| {
                h.rst = true;
                h.sequence_number = COOKIE;
            });
            assert_eq!(classify(&Xmas, from, 6, &bare), None);
        }
    }

    #[test]
    fn other_tcp_replies_are_ignored() {
        check_non_rst_ignored(&Xmas);
    }

    #[test]
    fn icmp_errors() {
        check_icmp(&Xmas);
    }

    #[test]
    fn truncated_and_garbage() {
        check_truncated_and_garbage(&Xmas, &[PortState::Closed]);
    }
}
