//! The TCP Maimon technique (`-sM`): FIN+ACK, named after Uriel Maimon, who observed that many
//! BSD-derived stacks drop it at open ports while RFC 793 wants a RST from every port.
//!
//! Needs `CAP_NET_RAW`. Probe: 20-byte TCP header, FIN|ACK, sequence and acknowledgement numbers
//! = cookie, window 1024. The reset of a segment with ACK takes its sequence number from the
//! segment's acknowledgement number, so a RST's `seq` is the echo. RST: `closed` (`reset`);
//! ICMP unreachable / time exceeded: `filtered`; silence: `open|filtered`. Linux answers at open
//! ports too (every reachable port shows closed). See [`flags`](crate::flags) for the rules.

use crate::flags::{flag_technique, RstMeaning};
use scanfw_core::packet::tcp_flags::{ACK, FIN};

/// The Maimon technique.
#[derive(Debug, Default, Clone, Copy)]
pub struct Maimon;

flag_technique!(
    Maimon,
    "maimon",
    'M',
    "TCP Maimon scan: raw FIN+ACK probes, RST means closed, silence open|filtered",
    FIN | ACK,
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
        check_descriptor(&Maimon, "maimon", 'M', PortState::OpenFiltered);
    }

    #[test]
    fn probe_bytes() {
        #[rustfmt::skip]
        let expected: [u8; 20] = [
            0x9c, 0x40, 0x01, 0xbb, // ports 40000 -> 443
            0xde, 0xad, 0xbe, 0xef, // seq = cookie
            0xde, 0xad, 0xbe, 0xef, // ack = cookie
            0x50, 0x11,             // data offset 5, ACK|FIN
            0x04, 0x00,             // window 1024
            0xe6, 0x60,             // checksum
            0, 0,                   // urgent pointer
        ];
        check_probe(&Maimon, FIN | ACK, &expected);
    }

    #[test]
    fn rst_is_closed() {
        for v6 in [false, true] {
            let from = target(v6);
            // As the stack sends it: RST without ACK, seq = our ack number = cookie (the FIN
            // does not shift it: only the ack field of a reset answering a segment without ACK
            // counts the FIN).
            let rst = stack_rst(&Maimon, v6, 0);
            assert_eq!(&rst[4..8], &COOKIE.to_be_bytes());
            assert_eq!(rst[13], 0x04);
            let m = classify(&Maimon, from, 6, &rst);
            expect(
                m,
                v6,
                Echo::Cookie(COOKIE),
                PortState::Closed,
                Reason::Reset,
            );
            let m = classify(&Maimon, from, 6, &stack_rst(&Maimon, v6, 2048));
            expect(
                m,
                v6,
                Echo::Cookie(COOKIE),
                PortState::Closed,
                Reason::Reset,
            );
        }
    }

    #[test]
    fn other_tcp_replies_are_ignored() {
        check_non_rst_ignored(&Maimon);
    }

    #[test]
    fn icmp_errors() {
        check_icmp(&Maimon);
    }

    #[test]
    fn truncated_and_garbage() {
        check_truncated_and_garbage(&Maimon, &[PortState::Closed]);
    }
}
