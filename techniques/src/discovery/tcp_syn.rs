//! TCP SYN discovery (`-PS`, registry name `tcp-syn`): a SYN to each port, default 80 as
//! nmap's `-PS` without a list.
//!
//! The probe and the reading of replies are the SYN scan's ([`Syn`]): a 24-byte SYN whose
//! sequence number is the cookie. Any answer from the target's stack proves the host is up:
//! SYN+ACK (`syn-ack`, port open) or RST+ACK (`reset`, port closed), both acknowledging
//! cookie + 1; a bare SYN (split handshake) counts as well (`split-handshake-syn`, verified by
//! the keyed port). ICMP errors quoting the SYN (the quoted sequence number is the cookie):
//! up when sent by the target itself, down (with the ICMP reason) when sent by a router. See
//! [`host_answer`].

use super::{host_answer, port_list};
use crate::Syn;
use scanfw_core::discovery::{DiscoveryMethod, DiscoveryTechnique};
use scanfw_core::registry::DiscoveryDescriptor;
use scanfw_core::technique::{ProbeBuildError, ProbeContext, RawMatch, RawProbe, ReplyContext};

const NAME: &str = "tcp-syn";
const DEFAULT_PORTS: &[u16] = &[80];

/// The TCP SYN discovery plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpSynPing {
    ports: Vec<u16>,
}

impl TcpSynPing {
    /// The plugin probing `ports` (port 80 when empty); port 0 is refused.
    pub fn new(ports: &[u16]) -> Result<TcpSynPing, String> {
        Ok(TcpSynPing {
            ports: port_list(NAME, ports, DEFAULT_PORTS)?,
        })
    }
}

inventory::submit! {
    DiscoveryDescriptor {
        name: NAME,
        nmap_letter: Some('S'),
        summary: "TCP SYN to each port (default 80): SYN+ACK or RST means up",
        needs_privilege: true,
        default_ports: Some(DEFAULT_PORTS),
        constructor: |p| TcpSynPing::new(p).map(|t| Box::new(t) as Box<dyn DiscoveryTechnique>),
    }
}

impl DiscoveryTechnique for TcpSynPing {
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

impl RawProbe for TcpSynPing {
    fn ip_protocol(&self) -> u8 {
        Syn.ip_protocol()
    }
    fn build(&self, ctx: &ProbeContext, buf: &mut [u8]) -> Result<usize, ProbeBuildError> {
        Syn.build(ctx, buf)
    }
    fn classify(&self, reply: &ReplyContext<'_>) -> Option<RawMatch> {
        host_answer(reply, Syn.classify(reply)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::testkit::*;
    use etherparse::{TcpHeader, TcpOptionElement};
    use scanfw_core::technique::Echo;
    use scanfw_core::Reason;
    use std::net::IpAddr;

    const PORT: u16 = 443;

    fn plugin() -> TcpSynPing {
        TcpSynPing::new(&[PORT]).expect("plugin")
    }

    fn probe(v6: bool) -> Vec<u8> {
        build(&plugin(), &ctx(v6, PORT))
    }

    fn classify(from: IpAddr, proto: u8, pkt: &[u8]) -> Option<RawMatch> {
        plugin().classify(&reply(from, proto, pkt))
    }

    #[test]
    fn contract() {
        let t = TcpSynPing::new(&[]).expect("defaults");
        assert_eq!((t.name(), t.ports()), ("tcp-syn", &[80][..]));
        assert!(t.supports(false) && t.supports(true));
        assert_eq!((t.ip_protocol(), t.ip_protocol_for(true)), (6, 6));
        assert_eq!(plugin().ports(), [443]);
        let e = TcpSynPing::new(&[0]).expect_err("port 0");
        assert!(e.contains("tcp-syn"), "{e}");
    }

    #[test]
    fn probe_is_a_syn_carrying_the_cookie() {
        for v6 in [false, true] {
            let p = probe(v6);
            let (h, rest) = TcpHeader::from_slice(&p).expect("parse");
            assert!(rest.is_empty());
            assert_eq!((h.source_port, h.destination_port), (SPORT, PORT));
            assert_eq!((h.sequence_number, h.acknowledgment_number), (COOKIE, 0));
            assert!(h.syn && !h.ack && !h.rst && !h.fin && !h.psh && !h.urg);
            assert_eq!(h.window_size, 1024);
            let opts: Vec<_> = h.options_iterator().collect();
            assert_eq!(opts, [Ok(TcpOptionElement::MaximumSegmentSize(1460))]);
            let sum = if v6 {
                h.calc_checksum_ipv6_raw(ME6, TARGET6, &[])
            } else {
                h.calc_checksum_ipv4_raw(ME4, TARGET4, &[])
            };
            assert_eq!(Ok(h.checksum), sum, "v6={v6}");
        }
        assert_eq!(
            plugin().build(&mixed_ctx(), &mut [0u8; 64]),
            Err(ProbeBuildError::FamilyMismatch)
        );
    }

    #[test]
    fn syn_ack_and_reset_are_up() {
        for v6 in [false, true] {
            let t = target(v6);
            let cookie = Echo::Cookie(COOKIE);
            let synack = tcp_reply(v6, |h| {
                h.syn = true;
                h.ack = true;
                h.acknowledgment_number = COOKIE.wrapping_add(1);
            });
            expect_host(
                classify(t, 6, &synack),
                t,
                PORT,
                cookie,
                true,
                Reason::SynAck,
            );
            let rst = tcp_reply(v6, |h| {
                h.rst = true;
                h.ack = true;
                h.acknowledgment_number = COOKIE.wrapping_add(1);
            });
            expect_host(classify(t, 6, &rst), t, PORT, cookie, true, Reason::Reset);
            let split = tcp_reply(v6, |h| {
                h.syn = true;
                h.sequence_number = 77;
            });
            let m = classify(t, 6, &split);
            expect_host(
                m,
                t,
                PORT,
                Echo::Flow { seq: 77 },
                true,
                Reason::SplitHandshakeSyn,
            );
            // A bare RST acknowledges nothing; ACK, FIN and empty segments say nothing.
            for f in [
                (|h: &mut TcpHeader| h.rst = true) as fn(&mut TcpHeader),
                |h| h.ack = true,
                |h| h.fin = true,
                |_| {},
            ] {
                assert_eq!(classify(t, 6, &tcp_reply(v6, f)), None);
            }
            // TCP bytes under another protocol label.
            for proto in [1u8, 17, 58] {
                assert_eq!(classify(t, proto, &synack), None, "proto {proto}");
            }
        }
    }

    #[test]
    fn icmp_errors() {
        for (v6, proto) in [(false, 1u8), (true, 58u8)] {
            let quoted = sent_packet(v6, 6, &probe(v6));
            let (unreach, host, port, exceeded) = if v6 { (1, 3, 4, 3) } else { (3, 1, 3, 11) };
            let cases = [
                (router(v6), unreach, host, false, Reason::HostUnreach),
                (router(v6), unreach, port, false, Reason::PortUnreach),
                (router(v6), exceeded, 0, false, Reason::TimeExceeded),
                (target(v6), unreach, port, true, Reason::PortUnreach),
                (target(v6), unreach, host, true, Reason::HostUnreach),
            ];
            for (from, ty, code, up, reason) in cases {
                let m = classify(from, proto, &icmp_error(from, ty, code, &quoted));
                expect_host(m, target(v6), PORT, Echo::Cookie(COOKIE), up, reason);
            }
            // Parameter problem says nothing; nor does an error quoting UDP.
            let pp = icmp_error(router(v6), if v6 { 4 } else { 12 }, 0, &quoted);
            assert_eq!(classify(router(v6), proto, &pp), None);
            let udp = sent_packet(v6, 17, &probe(v6)[..8]);
            let e = icmp_error(router(v6), unreach, host, &udp);
            assert_eq!(classify(router(v6), proto, &e), None);
        }
        let quoted = sent_packet(false, 6, &probe(false));
        let e = icmp_error(target(false), 3, 2, &quoted);
        let m = classify(target(false), 1, &e);
        expect_host(
            m,
            target(false),
            PORT,
            Echo::Cookie(COOKIE),
            true,
            Reason::ProtoUnreach,
        );
        let e = icmp_error(router(false), 3, 4, &quoted);
        assert_eq!(classify(router(false), 1, &e), None, "fragmentation needed");
    }

    #[test]
    fn truncated_and_garbage() {
        for (v6, proto) in [(false, 1u8), (true, 58u8)] {
            let rst = tcp_reply(v6, |h| {
                h.rst = true;
                h.ack = true;
                h.acknowledgment_number = COOKIE.wrapping_add(1);
            });
            check_prefixes(&plugin(), target(v6), 6, &rst, 20);
            let quoted = sent_packet(v6, 6, &probe(v6));
            let (ty, code, ip_len) = if v6 { (1, 3, 40) } else { (3, 1, 20) };
            let err = icmp_error(router(v6), ty, code, &quoted);
            check_prefixes(&plugin(), router(v6), proto, &err, 8 + ip_len + 8);
        }
        check_garbage(&plugin());
    }
}
