//! TCP ACK discovery (`-PA`, registry name `tcp-ack`): a lone ACK to each port, default 80 as
//! nmap's `-PA` without a list. It gets through stateless filters that drop incoming SYNs.
//!
//! The probe and the reading of replies are the ACK scan's ([`Ack`]): a 20-byte ACK whose
//! sequence and acknowledgement numbers are both the cookie. A stack answers an ACK for no
//! connection, at an open or closed port alike, with a RST whose sequence number is the
//! segment's acknowledgement number (RFC 793 section 3.4), so the RST's sequence number is the
//! cookie: the host is up (`reset`). ICMP errors quoting the ACK (the quoted sequence number is
//! the cookie): up when sent by the target itself, down when sent by a router. See
//! [`port_ping`](super::port_ping).

use super::discovery_plugin;
use super::port_ping::AsPing;
use crate::Ack;

discovery_plugin! {
    /// The TCP ACK discovery plugin.
    pub struct TcpAckPing { ports: Vec<u16> = [80] }
    name: "tcp-ack", letter: Some('A'), privileged: true,
    summary: "TCP ACK to each port (default 80): a RST means up",
    method: Raw(AsPing(Ack)),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::testkit::*;
    use etherparse::TcpHeader;
    use scanfw_core::technique::Echo;
    use scanfw_core::Reason;

    /// The port `flags::testkit::tcp_reply` answers from.
    const PORT: u16 = 443;

    fn probe(v6: bool) -> Vec<u8> {
        build(&TcpAckPing::new(&[PORT]).expect("plugin"), &ctx(v6, PORT))
    }

    /// The RST a stack sends for our ACK (RFC 793: seq = the ACK's acknowledgement number, no
    /// ACK flag), from the probe as etherparse reads it.
    fn stack_rst(v6: bool) -> Vec<u8> {
        let (p, _) = TcpHeader::from_slice(&probe(v6)).expect("probe");
        tcp_reply(v6, |h| {
            h.rst = true;
            h.sequence_number = p.acknowledgment_number;
        })
    }

    #[test]
    fn probe_bytes() {
        let p = probe(false);
        #[rustfmt::skip]
        let want: [u8; 20] = [
            0x9c, 0x40, 0x01, 0xbb, // ports 40000 -> 443
            0xde, 0xad, 0xbe, 0xef, // seq = cookie
            0xde, 0xad, 0xbe, 0xef, // ack = cookie, echoed as the RST's seq
            0x50, 0x10,             // data offset 5, ACK
            0x04, 0x00,             // window 1024
            0xe6, 0x61,             // checksum (the ACK scan's probe exactly)
            0, 0,                   // urgent pointer
        ];
        assert_eq!(p, want);
        for v6 in [false, true] {
            let p = probe(v6);
            let (h, _) = TcpHeader::from_slice(&p).expect("parse");
            assert!(h.ack && !h.syn && !h.rst && !h.fin);
            let sum = if v6 {
                h.calc_checksum_ipv6_raw(ME6, TARGET6, &[])
            } else {
                h.calc_checksum_ipv4_raw(ME4, TARGET4, &[])
            };
            assert_eq!(Ok(h.checksum), sum, "v6={v6}");
        }
    }

    #[test]
    fn reset_is_up() {
        let p = TcpAckPing::new(&[PORT]).expect("plugin");
        for v6 in [false, true] {
            let t = target(v6);
            let rst = stack_rst(v6);
            assert_eq!(&rst[4..8], &COOKIE.to_be_bytes());
            let m = classify(&p, t, 6, &rst);
            expect_host(m, t, PORT, Echo::Cookie(COOKIE), true, Reason::Reset);
            // Our own ACK seen on loopback, a SYN+ACK, a bare ACK: nothing.
            assert_eq!(classify(&p, t, 6, &probe(v6)), None);
            let synack = tcp_reply(v6, |h| {
                h.syn = true;
                h.ack = true;
            });
            assert_eq!(classify(&p, t, 6, &synack), None);
            assert_eq!(classify(&p, t, 6, &tcp_reply(v6, |h| h.ack = true)), None);
        }
    }
}
