//! TCP ACK discovery (`-PA`, registry name `tcp-ack`): a lone ACK to each port, default 80 as
//! nmap's `-PA` without a list. It gets through stateless filters that drop incoming SYNs.
//!
//! The probe and the reading of replies are the ACK scan's ([`Ack`]): a 20-byte ACK whose
//! sequence and acknowledgement numbers are both the cookie. A stack answers an ACK for no
//! connection, at an open or closed port alike, with a RST whose sequence number is the
//! segment's acknowledgement number (RFC 793 section 3.4), so the RST's sequence number is the
//! cookie: the host is up (`reset`). ICMP errors quoting the ACK (the quoted sequence number is
//! the cookie): up when sent by the target itself, down when sent by a router. See
//! [`host_answer`].

use super::{host_answer, port_list};
use crate::Ack;
use scanfw_core::discovery::{DiscoveryMethod, DiscoveryTechnique};
use scanfw_core::registry::DiscoveryDescriptor;
use scanfw_core::technique::{ProbeBuildError, ProbeContext, RawMatch, RawProbe, ReplyContext};

const NAME: &str = "tcp-ack";
const DEFAULT_PORTS: &[u16] = &[80];

/// The TCP ACK discovery plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpAckPing {
    ports: Vec<u16>,
}

impl TcpAckPing {
    /// The plugin probing `ports` (port 80 when empty); port 0 is refused.
    pub fn new(ports: &[u16]) -> Result<TcpAckPing, String> {
        Ok(TcpAckPing {
            ports: port_list(NAME, ports, DEFAULT_PORTS)?,
        })
    }
}

inventory::submit! {
    DiscoveryDescriptor {
        name: NAME,
        nmap_letter: Some('A'),
        summary: "TCP ACK to each port (default 80): a RST means up",
        needs_privilege: true,
        default_ports: Some(DEFAULT_PORTS),
        constructor: |p| TcpAckPing::new(p).map(|t| Box::new(t) as Box<dyn DiscoveryTechnique>),
    }
}

impl DiscoveryTechnique for TcpAckPing {
    fn name(&self) -> &'static str {
        NAME
    }
    fn method(&self) -> DiscoveryMethod<'_> {
        DiscoveryMethod::Raw(self)
    }
    fn ports(&self) -> &[u16] {
        &self.ports
    }
}

impl RawProbe for TcpAckPing {
    fn ip_protocol(&self) -> u8 {
        Ack.ip_protocol()
    }
    fn build(&self, ctx: &ProbeContext, buf: &mut [u8]) -> Result<usize, ProbeBuildError> {
        Ack.build(ctx, buf)
    }
    fn classify(&self, reply: &ReplyContext<'_>) -> Option<RawMatch> {
        host_answer(reply, Ack.classify(reply)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::testkit::*;
    use etherparse::TcpHeader;
    use scanfw_core::technique::Echo;
    use scanfw_core::Reason;
    use std::net::IpAddr;

    /// The port `flags::testkit::tcp_reply` answers from.
    const PORT: u16 = 443;

    fn plugin() -> TcpAckPing {
        TcpAckPing::new(&[PORT]).expect("plugin")
    }

    fn probe(v6: bool) -> Vec<u8> {
        build(&plugin(), &ctx(v6, PORT))
    }

    fn classify(from: IpAddr, proto: u8, pkt: &[u8]) -> Option<RawMatch> {
        plugin().classify(&reply(from, proto, pkt))
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
    fn contract() {
        let t = TcpAckPing::new(&[]).expect("defaults");
        assert_eq!((t.name(), t.ports()), ("tcp-ack", &[80][..]));
        assert!(t.supports(false) && t.supports(true));
        assert_eq!(t.ip_protocol(), 6);
        assert_eq!(
            TcpAckPing::new(&[8080, 80]).expect("ports").ports(),
            [8080, 80]
        );
        assert!(TcpAckPing::new(&[80, 0]).is_err());
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
        for v6 in [false, true] {
            let t = target(v6);
            let rst = stack_rst(v6);
            assert_eq!(&rst[4..8], &COOKIE.to_be_bytes());
            let m = classify(t, 6, &rst);
            expect_host(m, t, PORT, Echo::Cookie(COOKIE), true, Reason::Reset);
            // Our own ACK seen on loopback, a SYN+ACK, a bare ACK: nothing.
            assert_eq!(classify(t, 6, &probe(v6)), None);
            let synack = tcp_reply(v6, |h| {
                h.syn = true;
                h.ack = true;
            });
            assert_eq!(classify(t, 6, &synack), None);
            assert_eq!(classify(t, 6, &tcp_reply(v6, |h| h.ack = true)), None);
            assert_eq!(classify(t, 17, &rst), None);
        }
    }

    #[test]
    fn icmp_errors() {
        for (v6, proto) in [(false, 1u8), (true, 58u8)] {
            let quoted = sent_packet(v6, 6, &probe(v6));
            let (unreach, host, admin) = if v6 { (1, 3, 1) } else { (3, 1, 13) };
            let m = classify(
                router(v6),
                proto,
                &icmp_error(router(v6), unreach, host, &quoted),
            );
            expect_host(
                m,
                target(v6),
                PORT,
                Echo::Cookie(COOKIE),
                false,
                Reason::HostUnreach,
            );
            let e = icmp_error(router(v6), unreach, admin, &quoted);
            let m = classify(router(v6), proto, &e);
            expect_host(
                m,
                target(v6),
                PORT,
                Echo::Cookie(COOKIE),
                false,
                Reason::AdminProhibited,
            );
            let e = icmp_error(target(v6), unreach, admin, &quoted);
            let m = classify(target(v6), proto, &e);
            expect_host(
                m,
                target(v6),
                PORT,
                Echo::Cookie(COOKIE),
                true,
                Reason::AdminProhibited,
            );
        }
    }

    #[test]
    fn truncated_and_garbage() {
        for v6 in [false, true] {
            check_prefixes(&plugin(), target(v6), 6, &stack_rst(v6), 20);
        }
        let err = icmp_error(router(false), 3, 1, &sent_packet(false, 6, &probe(false)));
        check_prefixes(&plugin(), router(false), 1, &err, 8 + 20 + 8);
        check_garbage(&plugin());
    }
}
