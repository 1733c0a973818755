//! The TCP Window technique (`-sW`): the ACK scan's probe, but the RST's window tells open from
//! closed on stacks that put a non-zero window in resets from open ports.
//!
//! Needs `CAP_NET_RAW`. Probe: identical to [`Ack`](crate::Ack)'s (ACK, sequence and
//! acknowledgement numbers = cookie, window 1024); a RST's `seq` is the echo. RST with window
//! != 0: `open` (`reset`); with window 0: `closed` (`reset`); ICMP unreachable / time exceeded:
//! `filtered`; silence: `filtered`. Stacks that always send window 0 (Linux) show every port
//! closed. See [`flags`](crate::flags) for the rules.

use crate::flags::{flag_technique, RstMeaning};
use scanfw_core::packet::tcp_flags;

/// The Window technique.
#[derive(Debug, Default, Clone, Copy)]
pub struct Window;

flag_technique!(
    Window,
    "window",
    'W',
    "TCP Window scan: raw ACK probes, RST window non-zero means open, zero closed",
    tcp_flags::ACK,
    RstMeaning::ByWindow
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::testkit::*;
    use scanfw_core::technique::Echo;
    use scanfw_core::{PortState, Reason};

    #[test]
    fn descriptor_and_contract() {
        check_descriptor(&Window, "window", 'W', PortState::Filtered);
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
        check_probe(&Window, tcp_flags::ACK, &expected);
        assert_eq!(probe(&Window, true), probe(&crate::Ack, true));
    }

    #[test]
    fn rst_window_decides() {
        for v6 in [false, true] {
            let from = target(v6);
            for (window, state) in [
                (0, PortState::Closed),
                (1, PortState::Open),
                (1024, PortState::Open),
                (u16::MAX, PortState::Open),
            ] {
                // As the stack sends it: RST without ACK, seq = our ack number = cookie.
                let rst = stack_rst(&Window, v6, window);
                assert_eq!(&rst[4..8], &COOKIE.to_be_bytes());
                assert_eq!(rst[13], 0x04);
                let m = classify(&Window, from, 6, &rst);
                expect(m, v6, Echo::Cookie(COOKIE), state, Reason::Reset);
            }
        }
    }

    #[test]
    fn other_tcp_replies_are_ignored() {
        check_non_rst_ignored(&Window);
    }

    #[test]
    fn icmp_errors() {
        check_icmp(&Window);
    }

    #[test]
    fn truncated_and_garbage() {
        check_truncated_and_garbage(&Window, &[PortState::Open, PortState::Closed]);
    }
}
