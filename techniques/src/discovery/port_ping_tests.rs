//! What the three port-technique pings (`tcp-syn`, `tcp-ack`, `udp`) must all do, checked over
//! one table ([`cases`]): contract, port lists, answers under other labels, ICMP errors,
//! truncation and garbage. Each plugin's own file checks its probe and the TCP or UDP answers
//! it reads.

use super::testkit::*;
use super::{TcpAckPing, TcpSynPing, UdpPing};
use scanfw_core::technique::Echo;

/// A plugin's constructor, boxed.
type New = fn(&[u16]) -> Result<Box<dyn Plugin>, String>;

/// One port ping and what it must do.
struct Case {
    name: &'static str,
    /// The plugin from a port list.
    new: New,
    /// Its port without a list.
    default_port: u16,
    /// TCP (probed at 443, answers and quotes carry the cookie) or UDP (probed at its default
    /// port, proven by the flow).
    tcp: bool,
    /// The target's answer to the probe, and its shortest prefix that is still one.
    answer: fn(bool) -> Vec<u8>,
    answer_len: usize,
}

/// A RST from the target: RST+ACK acknowledging a SYN (`acked`), or a bare RST whose sequence
/// number is an ACK's acknowledgement number, the cookie.
fn rst(v6: bool, acked: bool) -> Vec<u8> {
    tcp_reply(v6, |h| {
        h.rst = true;
        if acked {
            h.ack = true;
            h.acknowledgment_number = COOKIE.wrapping_add(1);
        } else {
            h.sequence_number = COOKIE;
        }
    })
}

fn cases() -> [Case; 3] {
    [
        Case {
            name: "tcp-syn",
            new: |p| Ok(Box::new(TcpSynPing::new(p)?)),
            default_port: 80,
            tcp: true,
            answer: |v6| rst(v6, true),
            answer_len: 20,
        },
        Case {
            name: "tcp-ack",
            new: |p| Ok(Box::new(TcpAckPing::new(p)?)),
            default_port: 80,
            tcp: true,
            answer: |v6| rst(v6, false),
            answer_len: 20,
        },
        Case {
            name: "udp",
            new: |p| Ok(Box::new(UdpPing::new(p)?)),
            default_port: 40125,
            tcp: false,
            answer: |v6| udp_reply(v6, 40125, SPORT, b"x"),
            answer_len: 8,
        },
    ]
}

impl Case {
    /// The port probed here: the one `flags::testkit::tcp_reply` answers from, or the default.
    fn port(&self) -> u16 {
        if self.tcp {
            443
        } else {
            self.default_port
        }
    }

    fn proto(&self) -> u8 {
        if self.tcp {
            6
        } else {
            17
        }
    }

    /// The echo of the target's answer and of an ICMP error quoting the probe.
    fn echo(&self) -> Echo {
        if self.tcp {
            Echo::Cookie(COOKIE)
        } else {
            FLOW
        }
    }

    fn plugin(&self) -> Box<dyn Plugin> {
        (self.new)(&[self.port()]).expect("plugin")
    }

    /// The probe under the IP header it was sent with.
    fn quoted(&self, v6: bool) -> Vec<u8> {
        let probe = build(self.plugin().as_ref(), &ctx(v6, self.port()));
        sent_packet(v6, self.proto(), &probe)
    }
}

#[test]
fn contract() {
    for c in cases() {
        let t = (c.new)(&[]).expect("defaults");
        assert_eq!((t.name(), t.ports()), (c.name, &[c.default_port][..]));
        assert!(t.supports(false) && t.supports(true), "{}", c.name);
        assert_eq!(t.ip_protocol(), c.proto());
        assert_eq!(t.ip_protocol_for(false), c.proto());
        assert_eq!(t.ip_protocol_for(true), c.proto());
        assert_eq!(c.plugin().ports(), [c.port()]);
    }
}

#[test]
fn port_lists() {
    for c in cases() {
        for ports in [&[8080, 80][..], &[53, 161], &[443]] {
            assert_eq!((c.new)(ports).expect("ports").ports(), ports);
        }
        for ports in [&[0][..], &[80, 0], &[0, 22]] {
            let e = (c.new)(ports).map(|_| ()).expect_err("port 0");
            assert!(e.contains(c.name), "{e}");
        }
    }
}

#[test]
fn answers_under_other_labels_are_ignored() {
    for c in cases() {
        for (v6, _) in FAMILIES {
            for proto in [1u8, 6, 17, 58].into_iter().filter(|&p| p != c.proto()) {
                let m = classify(c.plugin().as_ref(), target(v6), proto, &(c.answer)(v6));
                assert_eq!(m, None, "{} answer as {proto}", c.name);
            }
        }
    }
}

#[test]
fn errors_about_the_host() {
    // Up when the target itself sends the error, down when a router does.
    for c in cases() {
        for (v6, _) in FAMILIES {
            for from_target in [false, true] {
                let p = c.plugin();
                check_errors(
                    p.as_ref(),
                    v6,
                    from_target,
                    &c.quoted(v6),
                    c.port(),
                    c.echo(),
                );
            }
        }
    }
}

#[test]
fn errors_that_say_nothing() {
    // Fragmentation needed and parameter problem.
    for c in cases() {
        for (v6, _) in FAMILIES {
            check_silent_errors(c.plugin().as_ref(), v6, &c.quoted(v6));
        }
    }
}

#[test]
fn errors_quoting_the_other_transport_are_ignored() {
    // The probe's first 8 bytes quoted as UDP (for TCP probes) or TCP (for UDP ones).
    for c in cases() {
        let other = if c.proto() == 6 { 17 } else { 6 };
        for (v6, proto) in FAMILIES {
            let quoted = sent_packet(v6, other, &c.quoted(v6)[ip_len(v6)..][..8]);
            let (unreach, host, port) = if v6 { (1, 3, 4) } else { (3, 1, 3) };
            for (from, code) in [(router(v6), host), (target(v6), port)] {
                let e = icmp_error(from, unreach, code, &quoted);
                let m = classify(c.plugin().as_ref(), from, proto, &e);
                assert_eq!(m, None, "{} quoted as {other}", c.name);
            }
        }
    }
}

#[test]
fn truncated_answers() {
    for c in cases() {
        for (v6, _) in FAMILIES {
            let (p, answer) = (c.plugin(), (c.answer)(v6));
            check_prefixes(p.as_ref(), target(v6), c.proto(), &answer, c.answer_len);
        }
    }
}

#[test]
fn truncated_errors() {
    for c in cases() {
        for (v6, proto) in FAMILIES {
            let (unreach, host, port) = if v6 { (1, 3, 4) } else { (3, 1, 3) };
            for (from, code) in [(router(v6), host), (target(v6), port)] {
                let err = icmp_error(from, unreach, code, &c.quoted(v6));
                let min = 8 + ip_len(v6) + 8;
                check_prefixes(c.plugin().as_ref(), from, proto, &err, min);
            }
        }
    }
}

#[test]
fn garbage() {
    for c in cases() {
        check_garbage(c.plugin().as_ref());
    }
}
