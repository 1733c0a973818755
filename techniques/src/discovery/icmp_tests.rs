//! What the three ICMP query plugins (`icmp-echo`, `icmp-timestamp`, `icmp-netmask`) must all
//! do, checked over one table ([`cases`]) whose rows spell out each plugin's facts
//! independently of its [`Query`](super::icmp::Query): families, types, lengths, echo and
//! reason. Each plugin's own file checks its probe byte for byte.

use super::testkit::*;
use super::{IcmpEcho, IcmpNetmask, IcmpTimestamp};
use scanfw_core::technique::{Echo, ProbeBuildError, RawMatch};
use scanfw_core::Reason;
use std::net::IpAddr;

/// One ICMP plugin and what it must do.
struct Case {
    plugin: &'static dyn Plugin,
    name: &'static str,
    /// Whether `new` accepts this port list.
    new_accepts: fn(&[u16]) -> bool,
    /// ICMPv4 types of the request and of its answer.
    v4: (u8, u8),
    /// ICMPv6 types, or the `UnsupportedFamily` name of IPv6 builds.
    v6: Result<(u8, u8), &'static str>,
    /// Probe length and shortest answer.
    probe_len: usize,
    answer_len: usize,
    /// Whether answers (and fully quoted requests) carry the cookie, rather than the flow.
    cookie: bool,
    reason: Reason,
    /// Bytes the target writes into its answer, and where.
    fill: (usize, &'static [u8]),
}

fn cases() -> [Case; 3] {
    [
        Case {
            plugin: &IcmpEcho,
            name: "icmp-echo",
            new_accepts: |p| IcmpEcho::new(p).is_ok(),
            v4: (8, 0),
            v6: Ok((128, 129)),
            probe_len: 24,
            answer_len: 12,
            cookie: true,
            reason: Reason::EchoReply,
            fill: (24, &[]),
        },
        Case {
            plugin: &IcmpTimestamp,
            name: "icmp-timestamp",
            new_accepts: |p| IcmpTimestamp::new(p).is_ok(),
            v4: (13, 14),
            v6: Err("ICMP timestamp request"),
            probe_len: 20,
            answer_len: 20,
            cookie: true,
            reason: Reason::TimestampReply,
            // Receive and transmit timestamps.
            fill: (12, &[0, 0x12, 0x34, 0x56, 0, 0x12, 0x34, 0x57]),
        },
        Case {
            plugin: &IcmpNetmask,
            name: "icmp-netmask",
            new_accepts: |p| IcmpNetmask::new(p).is_ok(),
            v4: (17, 18),
            v6: Err("ICMP address mask request"),
            probe_len: 12,
            answer_len: 12,
            cookie: false,
            reason: Reason::AddressmaskReply,
            // A mask of 255.255.255.0.
            fill: (8, &[255, 255, 255, 0]),
        },
    ]
}

impl Case {
    /// The families it probes, with the IP protocol of its messages in each.
    fn families(&self) -> &'static [(bool, u8)] {
        if self.v6.is_ok() {
            &FAMILIES
        } else {
            &FAMILIES[..1]
        }
    }

    /// Request and answer types in family `v6` (one it probes).
    fn types(&self, v6: bool) -> (u8, u8) {
        if v6 {
            self.v6.expect("an IPv6 query")
        } else {
            self.v4
        }
    }

    fn probe(&self, v6: bool) -> Vec<u8> {
        build(self.plugin, &ctx(v6, 0))
    }

    /// Our request turned into the target's answer: type changed, data filled in, checksum
    /// left alone (not verified).
    fn answer(&self, v6: bool) -> Vec<u8> {
        let mut p = self.probe(v6);
        p[0] = self.types(v6).1;
        let (at, fill) = self.fill;
        p[at..at + fill.len()].copy_from_slice(fill);
        p
    }

    fn classify(&self, from: IpAddr, proto: u8, pkt: &[u8]) -> Option<RawMatch> {
        classify(self.plugin, from, proto, pkt)
    }

    /// Asserts that `pkt` from `from` under `proto` is no answer; `what` names the case.
    fn expect_ignored(&self, from: IpAddr, proto: u8, pkt: &[u8], what: &str) {
        assert_eq!(
            self.classify(from, proto, pkt),
            None,
            "{}: {what}",
            self.name
        );
    }

    fn echo(&self) -> Echo {
        if self.cookie {
            Echo::Cookie(COOKIE)
        } else {
            SEQ_STAMP
        }
    }
}

#[test]
fn contract() {
    for c in cases() {
        let p = c.plugin;
        assert_eq!(p.name(), c.name);
        assert_eq!(p.ports(), [0]);
        assert!(p.supports(false));
        assert_eq!(p.supports(true), c.v6.is_ok(), "{}", c.name);
        assert_eq!(p.ip_protocol(), 1);
        assert_eq!(p.ip_protocol_for(false), 1);
        if c.v6.is_ok() {
            assert_eq!(p.ip_protocol_for(true), 58);
        }
        assert!((c.new_accepts)(&[]), "{}", c.name);
        for ports in [&[80][..], &[443], &[1]] {
            assert!(!(c.new_accepts)(ports), "{} {ports:?}", c.name);
        }
    }
}

#[test]
fn build_errors() {
    for c in cases() {
        let too_small = c
            .plugin
            .build(&ctx(false, 0), &mut vec![0u8; c.probe_len - 1]);
        assert_eq!(too_small, Err(ProbeBuildError::BufferTooSmall(c.probe_len)));
        let exact = c.plugin.build(&ctx(false, 0), &mut vec![0u8; c.probe_len]);
        assert_eq!(exact, Ok(c.probe_len), "{}", c.name);
        assert_eq!(
            c.plugin.build(&mixed_ctx(), &mut [0u8; 64]),
            Err(ProbeBuildError::FamilyMismatch)
        );
        let v6 = c.plugin.build(&ctx(true, 0), &mut [0u8; 64]);
        match c.v6 {
            Ok(_) => assert_eq!(v6, Ok(c.probe_len)),
            Err(name) => assert_eq!(v6, Err(ProbeBuildError::UnsupportedFamily(name))),
        }
    }
}

#[test]
fn answers_are_up() {
    for c in cases() {
        for &(v6, proto) in c.families() {
            let m = c.classify(target(v6), proto, &c.answer(v6));
            expect_host(m, target(v6), 0, c.echo(), true, c.reason);
        }
    }
}

#[test]
fn answers_name_their_sender() {
    // A reply from another address names that address: the engine's cookie check (keyed by
    // target) rejects it.
    for c in cases() {
        for &(v6, proto) in c.families() {
            let m = c.classify(router(v6), proto, &c.answer(v6)).expect("match");
            assert_eq!(m.target.ip(), router(v6), "{}", c.name);
        }
    }
}

#[test]
fn answers_under_other_labels_are_ignored() {
    // An answer is only one under its own family's protocol number.
    for c in cases() {
        for &(v6, _) in c.families() {
            let other = if v6 { 1 } else { 58 };
            let t = target(v6);
            for (from, p) in [(t, other), (target(!v6), other), (t, 6), (t, 17), (t, 0)] {
                c.expect_ignored(
                    from,
                    p,
                    &c.answer(v6),
                    &format!("answer under {p} from {from}"),
                );
            }
        }
    }
}

#[test]
fn own_requests_are_ignored() {
    // Our own request on loopback.
    for c in cases() {
        for &(v6, proto) in c.families() {
            c.expect_ignored(target(v6), proto, &c.probe(v6), "our own request");
        }
    }
}

#[test]
fn identifiers_outside_the_keyed_ports_are_ignored() {
    for c in cases() {
        for &(v6, proto) in c.families() {
            // Someone else's ping.
            for id in [0u16, 1234, 32999, 60016, 65535] {
                let mut r = c.answer(v6);
                r[4..6].copy_from_slice(&id.to_be_bytes());
                c.expect_ignored(target(v6), proto, &r, &format!("id {id}"));
            }
            for id in [33000u16, 60015] {
                let mut r = c.answer(v6);
                r[4..6].copy_from_slice(&id.to_be_bytes());
                let m = c.classify(target(v6), proto, &r).expect("in range");
                assert_eq!(m.local_port, id);
            }
        }
    }
}

#[test]
fn the_sequence_number_must_agree_with_a_copied_cookie() {
    // Without a cookie the sequence number cannot be checked (the engine checks the
    // identifier).
    for c in cases() {
        for &(v6, proto) in c.families() {
            let edits: [fn(&mut Vec<u8>); 3] =
                [|r| r[7] ^= 1, |r| r[11] ^= 0x80, |r| r[6..8].fill(0)];
            for edit in edits {
                let mut r = c.answer(v6);
                edit(&mut r);
                let m = c.classify(target(v6), proto, &r);
                assert_eq!(m.is_some(), !c.cookie, "{}", c.name);
            }
        }
    }
}

#[test]
fn other_query_replies_are_ignored() {
    for c in cases() {
        for &(v6, proto) in c.families() {
            for ty in [0u8, 14, 18, 129, 130, 136] {
                if ty == c.types(v6).1 {
                    continue;
                }
                let mut r = c.answer(v6);
                r[0] = ty;
                c.expect_ignored(target(v6), proto, &r, &format!("type {ty}"));
            }
        }
    }
}

#[test]
fn errors_about_the_host() {
    // Up when the target itself sends the error, down when a router does.
    for c in cases() {
        for &(v6, proto) in c.families() {
            let quoted = sent_packet(v6, proto, &c.probe(v6));
            for from_target in [false, true] {
                check_errors(c.plugin, v6, from_target, &quoted, 0, c.echo());
            }
        }
    }
}

#[test]
fn short_quotes_are_proven_by_the_sequence_number() {
    // Only the first 8 bytes quoted: the identifier and sequence number are the proof.
    for c in cases() {
        for &(v6, proto) in c.families() {
            let quoted = sent_packet(v6, proto, &c.probe(v6));
            for from_target in [false, true] {
                check_errors(
                    c.plugin,
                    v6,
                    from_target,
                    &quoted[..ip_len(v6) + 8],
                    0,
                    SEQ_STAMP,
                );
            }
        }
    }
}

#[test]
fn errors_that_say_nothing() {
    // Fragmentation needed and parameter problem.
    for c in cases() {
        for &(v6, proto) in c.families() {
            check_silent_errors(c.plugin, v6, &sent_packet(v6, proto, &c.probe(v6)));
        }
    }
}

#[test]
fn errors_quoting_other_messages_are_ignored() {
    for c in cases() {
        for &(v6, proto) in c.families() {
            let host_unreach = |quoted: &[u8]| {
                let (ty, code) = if v6 { (1, 3) } else { (3, 1) };
                let e = icmp_error(router(v6), ty, code, quoted);
                c.classify(router(v6), proto, &e)
            };
            // A quoted answer, a quoted request of another kind, a quoted stranger's request.
            let mut edited: Vec<Vec<u8>> = vec![c.answer(v6)];
            for ty in [8u8, 13, 17, 128] {
                if ty != c.types(v6).0 {
                    let mut p = c.probe(v6);
                    p[0] = ty;
                    edited.push(p);
                }
            }
            let mut stranger = c.probe(v6);
            stranger[4..6].copy_from_slice(&1u16.to_be_bytes());
            edited.push(stranger);
            for p in &edited {
                let m = host_unreach(&sent_packet(v6, proto, p));
                assert_eq!(m, None, "{} quoting {p:02x?}", c.name);
            }
            // Our request quoted as a TCP segment.
            assert_eq!(host_unreach(&sent_packet(v6, 6, &c.probe(v6))), None);
        }
    }
}

#[test]
fn truncated_answers() {
    for c in cases() {
        for &(v6, proto) in c.families() {
            check_prefixes(c.plugin, target(v6), proto, &c.answer(v6), c.answer_len);
        }
    }
}

#[test]
fn truncated_errors() {
    for c in cases() {
        for &(v6, proto) in c.families() {
            let quoted = sent_packet(v6, proto, &c.probe(v6));
            let (ty, code) = if v6 { (1, 3) } else { (3, 1) };
            let err = icmp_error(router(v6), ty, code, &quoted);
            check_prefixes(c.plugin, router(v6), proto, &err, 8 + ip_len(v6) + 8);
        }
    }
}

#[test]
fn garbage() {
    for c in cases() {
        check_garbage(c.plugin);
    }
}
