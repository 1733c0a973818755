//! TCP SYN discovery (`-PS`, registry name `tcp-syn`): a SYN to each port, default 80 as
//! nmap's `-PS` without a list.
//!
//! The probe and the reading of replies are the SYN scan's ([`Syn`]): a 24-byte SYN whose
//! sequence number is the cookie. Any answer from the target's stack proves the host is up:
//! SYN+ACK (`syn-ack`, port open) or RST+ACK (`reset`, port closed), both acknowledging
//! cookie + 1; a bare SYN (split handshake) counts as well (`split-handshake-syn`), once it
//! answers the engine's challenge as in the SYN scan. ICMP errors quoting the SYN (the quoted sequence number is the cookie):
//! up when sent by the target itself, down (with the ICMP reason) when sent by a router. See
//! [`port_ping`](super::port_ping).

use super::discovery_plugin;
use super::port_ping::AsPing;
use crate::Syn;

discovery_plugin! {
    /// The TCP SYN discovery plugin.
    pub struct TcpSynPing { ports: Vec<u16> = [80] }
    name: "tcp-syn", letter: Some('S'), privileged: true,
    summary: "TCP SYN to each port (default 80): SYN+ACK or RST means up",
    method: Raw(AsPing(Syn)),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::testkit::*;
    use etherparse::{TcpHeader, TcpOptionElement};
    use scanfw_core::technique::{Echo, ProbeBuildError, RawProbe};
    use scanfw_core::Reason;

    /// The port `flags::testkit::tcp_reply` answers from.
    const PORT: u16 = 443;

    /// The SYN scan's probe byte for byte, to each port of the list. (The SYN scan's tests
    /// check this very probe's checksum with etherparse: same addresses, ports and cookie.)
    #[test]
    fn probe_is_a_syn_carrying_the_cookie() {
        let plugin = TcpSynPing::new(&[PORT]).expect("plugin");
        for v6 in [false, true] {
            let p = build(&plugin, &ctx(v6, PORT));
            assert_eq!(p, build(&Syn, &ctx(v6, PORT)), "v6={v6}");
            let (h, rest) = TcpHeader::from_slice(&p).expect("parse");
            let fields = (h.source_port, h.destination_port, h.sequence_number);
            assert_eq!(fields, (SPORT, PORT, COOKIE));
            assert_eq!(
                (rest.len(), h.acknowledgment_number, h.window_size),
                (0, 0, 1024)
            );
            assert!(h.syn && !h.ack && !h.rst && !h.fin && !h.psh && !h.urg);
            let opts: Vec<_> = h.options_iterator().collect();
            assert_eq!(opts, [Ok(TcpOptionElement::MaximumSegmentSize(1460))]);
        }
        assert_eq!(
            plugin.build(&mixed_ctx(), &mut [0u8; 64]),
            Err(ProbeBuildError::FamilyMismatch)
        );
    }

    /// Answers from the target's stack: SYN+ACK and RST+ACK acknowledging the SYN, a bare SYN
    /// (split handshake, proven by the keyed port).
    fn answers(v6: bool) -> [(Vec<u8>, Echo, Reason); 3] {
        let acked = |syn: bool| {
            tcp_reply(v6, |h| {
                (h.syn, h.rst, h.ack) = (syn, !syn, true);
                h.acknowledgment_number = COOKIE.wrapping_add(1);
            })
        };
        let split = tcp_reply(v6, |h| {
            h.syn = true;
            h.sequence_number = 77;
        });
        [
            (acked(true), Echo::Cookie(COOKIE), Reason::SynAck),
            (acked(false), Echo::Cookie(COOKIE), Reason::Reset),
            (
                split,
                Echo::Challenge { seq: 77 },
                Reason::SplitHandshakeSyn,
            ),
        ]
    }

    #[test]
    fn syn_ack_and_reset_are_up() {
        let p = TcpSynPing::new(&[PORT]).expect("plugin");
        for v6 in [false, true] {
            let t = target(v6);
            for (answer, echo, reason) in answers(v6) {
                expect_host(classify(&p, t, 6, &answer), t, PORT, echo, true, reason);
                // TCP bytes under another protocol label.
                for proto in [1u8, 17, 58] {
                    assert_eq!(classify(&p, t, proto, &answer), None, "proto {proto}");
                }
            }
            // The ACK answering a challenge (the end of a split handshake) is up too.
            let answer = tcp_reply(v6, |h| {
                h.ack = true;
                h.acknowledgment_number = COOKIE.wrapping_add(1);
            });
            let m = classify(&p, t, 6, &answer);
            let reason = Reason::SplitHandshakeSyn;
            expect_host(m, t, PORT, Echo::Answer(COOKIE), true, reason);
            // A bare RST acknowledges nothing; FIN and empty segments say nothing.
            for f in [
                (|h: &mut TcpHeader| h.rst = true) as fn(&mut TcpHeader),
                |h| (h.ack, h.fin) = (true, true),
                |h| h.fin = true,
                |_| {},
            ] {
                assert_eq!(classify(&p, t, 6, &tcp_reply(v6, f)), None);
            }
        }
    }
}
