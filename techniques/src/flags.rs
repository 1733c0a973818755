//! Shared logic of the flag-probe techniques: FIN (`-sF`), NULL (`-sN`), Xmas (`-sX`), ACK
//! (`-sA`), Window (`-sW`) and Maimon (`-sM`).
//!
//! Each of them sends one bare TCP header (20 bytes, no options, window 1024, sequence number =
//! the engine's cookie) that differs only in its flags, and learns from RST replies, ICMP errors
//! and silence. A technique file declares its unit struct and `inventory` registration, and
//! names its flags and a [`RstMeaning`]; `flag_technique!` writes its `ScanTechnique` and
//! `RawProbe` impls from them.
//!
//! # Which field of a RST carries the cookie
//!
//! RFC 793, section 3.4 ("Reset Generation"), group 1: a segment for a connection that does not
//! exist (a closed port) draws a reset unless it is itself a reset, built from the segment:
//!
//! * segment **with** ACK: `<SEQ=SEG.ACK><CTL=RST>`: the RST's *sequence* number is the probe's
//!   acknowledgement number and the RST carries no ACK flag;
//! * segment **without** ACK: `<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>`, where SEG.LEN counts
//!   the data octets plus one for SYN and one for FIN (section 3.3).
//!
//! Linux builds resets the same way (`tcp_v4_send_reset` / `tcp_v6_send_response`: `seq =
//! th->ack_seq` when the segment has ACK, else ACK set and `ack_seq = seq + syn + fin + data
//! length`), with a zero window. So the cookie comes back as follows ([`rst_echo`]):
//!
//! | technique | probe flags | probe ack | RST from a closed port | cookie = |
//! |---|---|---|---|---|
//! | FIN | FIN | 0 | RST+ACK, ack = cookie + 1 | `ack - 1` |
//! | NULL | none | 0 | RST+ACK, ack = cookie | `ack` |
//! | Xmas | FIN PSH URG | 0 | RST+ACK, ack = cookie + 1 | `ack - 1` |
//! | ACK | ACK | cookie | RST, seq = cookie | `seq` |
//! | Window | ACK | cookie | RST, seq = cookie | `seq` |
//! | Maimon | FIN ACK | cookie | RST, seq = cookie | `seq` |
//!
//! A RST without ACK answering a probe without ACK acknowledges nothing, cannot prove which probe
//! it answers, and is ignored. For probes with ACK the RST's sequence number is used whether or
//! not the RST also has ACK set (RFC stacks do not set it); the engine's cookie check decides.
//!
//! # Why open ports differ (RFC 793 section 3.9, "SEGMENT ARRIVES", state LISTEN)
//!
//! A listening socket ignores RST, answers any segment with ACK by `<SEQ=SEG.ACK><CTL=RST>`, and
//! silently drops a segment with neither SYN nor ACK. Hence FIN, NULL and Xmas probes get a RST
//! only from closed ports (silence is `open|filtered`), and ACK probes get a RST from open and
//! closed ports alike (`unfiltered`). Maimon's FIN+ACK should draw a RST from both by the RFC;
//! many BSD-derived stacks drop it at open ports, which is what the scan detects. Linux follows
//! the RFC here (`tcp_rcv_state_process`: LISTEN and ACK set -> reset), so Maimon shows every
//! reachable Linux port as closed. The Window scan reads the RST's window: some stacks put a
//! non-zero window in resets from open ports (`open`), zero otherwise (`closed`); Linux always
//! sends zero.
//!
//! ICMP errors quoting a probe (TCP, quoted sequence number = cookie) are `filtered` with the
//! reason of `shared/reference/port-states.md`, through
//! [`reply_icmp_verdict`]; a TCP probe is never `closed` by ICMP.

use scanfw_core::packet::{
    self, build_tcp, parse_icmp_error, parse_tcp, reply_icmp_verdict, tcp_flags, TcpFields,
};
use scanfw_core::technique::{Echo, ProbeBuildError, ProbeContext, RawMatch, ReplyContext};
use scanfw_core::{PortState, Reason, Verdict};
use std::net::SocketAddr;

/// Window size of every flag probe.
pub(crate) const PROBE_WINDOW: u16 = 1024;

/// What a RST answering a probe means, and with it what silence means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RstMeaning {
    /// FIN, NULL, Xmas, Maimon: RST is `closed`; open ports are silent, so silence is
    /// `open|filtered`.
    Closed,
    /// ACK: open and closed ports both reset, so RST is `unfiltered`; silence is `filtered`.
    Unfiltered,
    /// Window: RST with a non-zero window is `open`, with a zero window `closed`; silence is
    /// `filtered`.
    ByWindow,
    /// SYN semantics, for `--scanflags` on a SYN scan: SYN+ACK is `open`, RST `closed`,
    /// silence `filtered`.
    Syn,
}

impl RstMeaning {
    /// The state a RST with this window means.
    pub(crate) fn state(self, window: u16) -> PortState {
        match self {
            RstMeaning::Closed | RstMeaning::Syn => PortState::Closed,
            RstMeaning::Unfiltered => PortState::Unfiltered,
            RstMeaning::ByWindow if window != 0 => PortState::Open,
            RstMeaning::ByWindow => PortState::Closed,
        }
    }

    /// The verdict for a port that never answered.
    pub(crate) fn on_silence(self) -> Verdict {
        let state = match self {
            RstMeaning::Closed => PortState::OpenFiltered,
            RstMeaning::Unfiltered | RstMeaning::ByWindow | RstMeaning::Syn => PortState::Filtered,
        };
        Verdict::new(state, Reason::NoResponse)
    }
}

/// Writes a flag probe: 20-byte TCP header, `flags`, sequence number = cookie, window 1024, and
/// acknowledgement number = cookie when `flags` has ACK (0 otherwise), so that the RST's sequence
/// number echoes the cookie.
pub(crate) fn build(
    ctx: &ProbeContext,
    buf: &mut [u8],
    flags: u8,
) -> Result<usize, ProbeBuildError> {
    let ack = if flags & tcp_flags::ACK != 0 {
        ctx.cookie
    } else {
        0
    };
    build_tcp(buf, ctx, flags, ack, PROBE_WINDOW, &[])
}

/// The cookie a RST answering a probe with `probe_flags` echoes (see the module docs), or
/// `None` when it echoes none (no ACK on either side).
pub(crate) fn rst_echo(probe_flags: u8, rst: &TcpFields) -> Option<u32> {
    use tcp_flags::{ACK, FIN, SYN};
    if probe_flags & ACK != 0 {
        return Some(rst.seq);
    }
    if rst.flags & ACK == 0 {
        return None;
    }
    let seg_len = u32::from(probe_flags & SYN != 0) + u32::from(probe_flags & FIN != 0);
    Some(rst.ack.wrapping_sub(seg_len))
}

/// Recognises and classifies a reply to a flag probe with `probe_flags`.
pub(crate) fn classify(
    reply: &ReplyContext<'_>,
    probe_flags: u8,
    meaning: RstMeaning,
) -> Option<RawMatch> {
    match reply.ip_protocol {
        packet::IPPROTO_TCP => classify_tcp(reply, probe_flags, meaning),
        packet::IPPROTO_ICMP | packet::IPPROTO_ICMPV6 => classify_icmp(reply),
        _ => None,
    }
}

fn classify_tcp(
    reply: &ReplyContext<'_>,
    probe_flags: u8,
    meaning: RstMeaning,
) -> Option<RawMatch> {
    let tcp = parse_tcp(reply.payload)?;
    let syn_ack = tcp_flags::SYN | tcp_flags::ACK;
    if meaning == RstMeaning::Syn && tcp.flags & (syn_ack | tcp_flags::RST) == syn_ack {
        // A SYN+ACK acknowledges our sequence space: ack = cookie + what the probe consumed.
        let seg_len = u32::from(probe_flags & tcp_flags::SYN != 0)
            + u32::from(probe_flags & tcp_flags::FIN != 0);
        return Some(RawMatch {
            target: SocketAddr::new(reply.from, tcp.src_port),
            local_port: tcp.dst_port,
            echo: Echo::Cookie(tcp.ack.wrapping_sub(seg_len)),
            verdict: Verdict {
                state: PortState::Open,
                reason: Reason::SynAck,
                reason_ttl: reply.ttl,
            },
        });
    }
    // Only resets carry information; anything else (our own probe seen on loopback, a stray
    // segment) is none.
    if tcp.flags & tcp_flags::RST == 0 {
        return None;
    }
    let cookie = rst_echo(probe_flags, &tcp)?;
    Some(RawMatch {
        target: SocketAddr::new(reply.from, tcp.src_port),
        local_port: tcp.dst_port,
        echo: Echo::Cookie(cookie),
        verdict: Verdict {
            state: meaning.state(tcp.window),
            reason: Reason::Reset,
            reason_ttl: reply.ttl,
        },
    })
}

/// An ICMP error quoting one of our TCP probes: the quoted sequence number is the cookie. Shared
/// by every raw TCP technique.
pub(crate) fn classify_icmp(reply: &ReplyContext<'_>) -> Option<RawMatch> {
    let (err, quoted) = parse_icmp_error(reply)?;
    if quoted.protocol != packet::IPPROTO_TCP {
        return None;
    }
    let t = quoted.transport;
    let sport = quoted.src_port()?;
    let dport = quoted.dst_port()?;
    let seq = u32::from_be_bytes(t.get(4..8)?.try_into().ok()?);
    let verdict = reply_icmp_verdict(reply, &err)?;
    Some(RawMatch {
        target: SocketAddr::new(quoted.dst, dport),
        local_port: sport,
        echo: Echo::Cookie(seq),
        verdict,
    })
}

/// Implements [`ScanTechnique`](scanfw_core::ScanTechnique) and [`RawProbe`] for a unit struct
/// of a flag-probe technique: `flag_technique!(Type, "name", flags, RstMeaning::...)`. The name
/// is also the `scan_type` (nmap's DTD values `fin`, `null`, `xmas`, `ack`, `window`, `maimon`
/// equal the registry names). The struct and its `inventory` registration stay in the
/// technique's file.
macro_rules! flag_technique {
    ($ty:ident, $name:literal, $letter:literal, $summary:literal, $flags:expr, $meaning:expr $(,)?) => {
        ::inventory::submit! {
            ::scanfw_core::registry::TechniqueDescriptor {
                name: $name,
                nmap_letter: Some($letter),
                summary: $summary,
                needs_privilege: true,
                fallback: None,
                // With --scanflags: the user's flags, this technique's reading of replies.
                constructor: |o| {
                    Ok(match o.tcp_flags {
                        None => Box::new($ty),
                        Some(flags) => Box::new($crate::custom::Custom::new(flags, $name, $meaning)),
                    })
                },
            }
        }

        impl $ty {
            /// The TCP flags of its probes.
            pub const FLAGS: u8 = $flags;
            const RST_MEANING: $crate::flags::RstMeaning = $meaning;
        }

        impl ::scanfw_core::ScanTechnique for $ty {
            fn name(&self) -> &'static str {
                $name
            }
            fn protocol(&self) -> ::scanfw_core::Protocol {
                ::scanfw_core::Protocol::Tcp
            }
            fn scan_type(&self) -> &'static str {
                $name
            }
            fn on_silence(&self) -> ::scanfw_core::Verdict {
                Self::RST_MEANING.on_silence()
            }
            fn probe(&self) -> ::scanfw_core::technique::ProbeMethod<'_> {
                ::scanfw_core::technique::ProbeMethod::Raw(self)
            }
        }

        impl ::scanfw_core::technique::RawProbe for $ty {
            fn ip_protocol(&self) -> u8 {
                ::scanfw_core::packet::IPPROTO_TCP
            }
            fn build(
                &self,
                ctx: &::scanfw_core::technique::ProbeContext,
                buf: &mut [u8],
            ) -> ::std::result::Result<usize, ::scanfw_core::technique::ProbeBuildError> {
                $crate::flags::build(ctx, buf, Self::FLAGS)
            }
            fn classify(
                &self,
                reply: &::scanfw_core::technique::ReplyContext<'_>,
            ) -> ::std::option::Option<::scanfw_core::technique::RawMatch> {
                $crate::flags::classify(reply, Self::FLAGS, Self::RST_MEANING)
            }
        }
    };
}
pub(crate) use flag_technique;

/// Test helpers shared by the six technique files: fixed addresses and cookie, probes and the
/// replies a real stack would send, and checks every flag technique must pass.
#[cfg(test)]
pub(crate) mod testkit {
    use super::*;
    use etherparse::{
        icmpv4, icmpv6, Icmpv4Type, Icmpv6Type, IpNumber, Ipv4Header, Ipv6Header, PacketBuilder,
        TcpHeader,
    };
    use scanfw_core::packet::IcmpError;
    use scanfw_core::technique::RawProbe;
    use scanfw_core::ScanTechnique;
    use std::net::IpAddr;

    pub(crate) const ME4: [u8; 4] = [192, 0, 2, 1];
    pub(crate) const TARGET4: [u8; 4] = [198, 51, 100, 7];
    pub(crate) const ROUTER4: [u8; 4] = [203, 0, 113, 9];
    pub(crate) const ME6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    pub(crate) const TARGET6: [u8; 16] =
        [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7];
    pub(crate) const ROUTER6: [u8; 16] =
        [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9];
    pub(crate) const SPORT: u16 = 40000;
    pub(crate) const DPORT: u16 = 443;
    pub(crate) const COOKIE: u32 = 0xdead_beef;
    pub(crate) const TTL: u8 = 57;

    /// A flag technique under test.
    pub(crate) trait Tech: ScanTechnique + RawProbe {}
    impl<T: ScanTechnique + RawProbe> Tech for T {}

    pub(crate) fn ctx(v6: bool) -> ProbeContext {
        let (me, target) = if v6 {
            (IpAddr::from(ME6), IpAddr::from(TARGET6))
        } else {
            (IpAddr::from(ME4), IpAddr::from(TARGET4))
        };
        ProbeContext {
            src: SocketAddr::new(me, SPORT),
            dst: SocketAddr::new(target, DPORT),
            cookie: COOKIE,
        }
    }

    pub(crate) fn target(v6: bool) -> IpAddr {
        if v6 {
            IpAddr::from(TARGET6)
        } else {
            IpAddr::from(TARGET4)
        }
    }

    pub(crate) fn router(v6: bool) -> IpAddr {
        if v6 {
            IpAddr::from(ROUTER6)
        } else {
            IpAddr::from(ROUTER4)
        }
    }

    pub(crate) fn probe(t: &dyn Tech, v6: bool) -> Vec<u8> {
        let mut buf = [0u8; 64];
        let n = t.build(&ctx(v6), &mut buf).expect("build");
        buf[..n].to_vec()
    }

    fn ip_payload(packet: &[u8]) -> Vec<u8> {
        etherparse::IpSlice::from_slice(packet)
            .expect("ip")
            .payload()
            .payload
            .to_vec()
    }

    pub(crate) fn reply(from: IpAddr, proto: u8, payload: &[u8]) -> ReplyContext<'_> {
        let to = if from.is_ipv4() {
            IpAddr::from(ME4)
        } else {
            IpAddr::from(ME6)
        };
        ReplyContext {
            from,
            to,
            ttl: TTL,
            ip_protocol: proto,
            payload,
        }
    }

    pub(crate) fn classify(t: &dyn Tech, from: IpAddr, proto: u8, p: &[u8]) -> Option<RawMatch> {
        t.classify(&reply(from, proto, p))
    }

    /// A TCP segment from the target's probed port to ours; `f` sets flags and numbers.
    pub(crate) fn tcp_reply(v6: bool, f: impl FnOnce(&mut TcpHeader)) -> Vec<u8> {
        let mut h = TcpHeader::new(DPORT, SPORT, 0, 0);
        f(&mut h);
        let mut out = Vec::new();
        if v6 {
            PacketBuilder::ipv6(TARGET6, ME6, TTL)
                .tcp_header(h)
                .write(&mut out, &[])
        } else {
            PacketBuilder::ipv4(TARGET4, ME4, TTL)
                .tcp_header(h)
                .write(&mut out, &[])
        }
        .expect("write");
        ip_payload(&out)
    }

    /// The reset a closed port's stack sends for our probe, by RFC 793 section 3.4, worked out
    /// from the probe as etherparse reads it (independently of [`rst_echo`]), with `window`.
    pub(crate) fn stack_rst(t: &dyn Tech, v6: bool, window: u16) -> Vec<u8> {
        let seg = probe(t, v6);
        let (p, data) = TcpHeader::from_slice(&seg).expect("probe parses");
        tcp_reply(v6, |h| {
            h.rst = true;
            h.window_size = window;
            if p.ack {
                h.sequence_number = p.acknowledgment_number;
            } else {
                h.ack = true;
                h.acknowledgment_number = p
                    .sequence_number
                    .wrapping_add(u32::from(p.syn) + u32::from(p.fin) + data.len() as u32);
            }
        })
    }

    /// Our probe with its IP header, as an ICMP error quotes it.
    pub(crate) fn probe_packet(t: &dyn Tech, v6: bool) -> Vec<u8> {
        let seg = probe(t, v6);
        let mut out = if v6 {
            Ipv6Header {
                traffic_class: 0,
                flow_label: Default::default(),
                payload_length: seg.len() as u16,
                next_header: IpNumber::TCP,
                hop_limit: 64,
                source: ME6,
                destination: TARGET6,
            }
            .to_bytes()
            .to_vec()
        } else {
            Ipv4Header::new(seg.len() as u16, 64, IpNumber::TCP, ME4, TARGET4)
                .expect("ip")
                .to_bytes()
                .to_vec()
        };
        out.extend_from_slice(&seg);
        out
    }

    pub(crate) fn icmp4(t: &dyn Tech, from: [u8; 4], ty: Icmpv4Type) -> Vec<u8> {
        let mut out = Vec::new();
        PacketBuilder::ipv4(from, ME4, TTL)
            .icmpv4(ty)
            .write(&mut out, &probe_packet(t, false))
            .expect("write");
        ip_payload(&out)
    }

    pub(crate) fn icmp6(t: &dyn Tech, from: [u8; 16], ty: Icmpv6Type) -> Vec<u8> {
        let mut out = Vec::new();
        PacketBuilder::ipv6(from, ME6, TTL)
            .icmpv6(ty)
            .write(&mut out, &probe_packet(t, true))
            .expect("write");
        ip_payload(&out)
    }

    /// Asserts a match for our flow with this echo and verdict (reason_ttl = [`TTL`]).
    pub(crate) fn expect(m: Option<RawMatch>, v6: bool, echo: Echo, state: PortState, r: Reason) {
        let m = m.expect("a match");
        assert_eq!(m.target, SocketAddr::new(target(v6), DPORT));
        assert_eq!(m.local_port, SPORT);
        assert_eq!(m.echo, echo);
        assert_eq!(
            m.verdict,
            Verdict {
                state,
                reason: r,
                reason_ttl: TTL
            }
        );
    }

    /// Name, scan type, protocol, silence and registration.
    pub(crate) fn check_descriptor(t: &dyn Tech, name: &str, letter: char, silence: PortState) {
        assert_eq!(t.name(), name);
        assert_eq!(t.scan_type(), name);
        assert!(
            ["fin", "null", "xmas", "ack", "window", "maimon"].contains(&t.scan_type()),
            "not in nmap's DTD"
        );
        assert_eq!(t.protocol(), scanfw_core::Protocol::Tcp);
        assert_eq!(t.on_silence(), Verdict::new(silence, Reason::NoResponse));
        assert_eq!(t.silence_is_open(), silence == PortState::OpenFiltered);
        assert!(matches!(
            t.probe(),
            scanfw_core::technique::ProbeMethod::Raw(_)
        ));
        assert_eq!(t.ip_protocol(), 6);
        for key in [name.to_string(), letter.to_string()] {
            let d = scanfw_core::registry::technique(&key).expect("registered");
            assert_eq!(d.name, name);
            assert_eq!(d.nmap_letter, Some(letter));
            assert!(d.needs_privilege);
            assert_eq!(d.fallback, None);
            assert_eq!(
                (d.constructor)(&Default::default()).map(|t| t.name()),
                Ok(name)
            );
        }
    }

    /// The probe is `expected_v4` byte for byte (checksum included); both families parse with
    /// etherparse to the right fields and a checksum etherparse agrees with; build errors.
    pub(crate) fn check_probe(t: &dyn Tech, flags: u8, expected_v4: &[u8; 20]) {
        assert_eq!(probe(t, false), expected_v4);
        for v6 in [false, true] {
            let p = probe(t, v6);
            assert_eq!(p.len(), 20);
            let (h, rest) = TcpHeader::from_slice(&p).expect("parse");
            assert!(rest.is_empty());
            assert_eq!(h.source_port, SPORT);
            assert_eq!(h.destination_port, DPORT);
            assert_eq!(h.sequence_number, COOKIE);
            let has = |f: u8| flags & f != 0;
            use tcp_flags::*;
            assert_eq!(
                (h.fin, h.syn, h.rst, h.psh, h.ack, h.urg, h.ece, h.cwr),
                (
                    has(FIN),
                    has(SYN),
                    has(RST),
                    has(PSH),
                    has(ACK),
                    has(URG),
                    has(ECE),
                    has(CWR)
                )
            );
            let ack = if has(ACK) { COOKIE } else { 0 };
            assert_eq!(h.acknowledgment_number, ack);
            assert_eq!(h.window_size, 1024);
            assert_eq!(h.urgent_pointer, 0);
            assert_eq!(h.options_iterator().count(), 0);
            let sum = if v6 {
                h.calc_checksum_ipv6_raw(ME6, TARGET6, &[])
            } else {
                h.calc_checksum_ipv4_raw(ME4, TARGET4, &[])
            }
            .expect("checksum");
            assert_eq!(h.checksum, sum, "v6={v6}");
        }
        let mut small = [0u8; 19];
        assert_eq!(
            t.build(&ctx(false), &mut small),
            Err(ProbeBuildError::BufferTooSmall(20))
        );
        let mixed = ProbeContext {
            src: ctx(false).src,
            dst: ctx(true).dst,
            cookie: 1,
        };
        assert_eq!(
            t.build(&mixed, &mut [0u8; 64]),
            Err(ProbeBuildError::FamilyMismatch)
        );
    }

    /// Replies that are not resets say nothing, for both families; nor do TCP bytes under
    /// another protocol label.
    pub(crate) fn check_non_rst_ignored(t: &dyn Tech) {
        for v6 in [false, true] {
            let from = target(v6);
            let variants: [fn(&mut TcpHeader); 6] = [
                |h| {
                    h.syn = true;
                    h.ack = true;
                    h.acknowledgment_number = COOKIE.wrapping_add(1);
                },
                |h| h.syn = true,
                |h| {
                    h.ack = true;
                    h.sequence_number = COOKIE;
                    h.acknowledgment_number = COOKIE.wrapping_add(1);
                },
                |h| {
                    h.fin = true;
                    h.ack = true;
                    h.acknowledgment_number = COOKIE.wrapping_add(1);
                },
                |h| {
                    h.fin = true;
                    h.psh = true;
                    h.urg = true;
                },
                |_| {},
            ];
            for f in variants {
                assert_eq!(classify(t, from, 6, &tcp_reply(v6, f)), None);
            }
            // Our own probe, seen again on loopback.
            assert_eq!(classify(t, from, 6, &probe(t, v6)), None);
            let rst = stack_rst(t, v6, 0);
            assert!(classify(t, from, 6, &rst).is_some());
            for proto in [0u8, 1, 17, 58] {
                assert_eq!(classify(t, from, proto, &rst), None, "proto {proto}");
            }
        }
    }

    /// Every ICMPv4 and ICMPv6 unreachable code, time exceeded and a few non-errors, from a
    /// router and from the target: the port-states.md table, and the same as
    /// [`reply_icmp_verdict`]; the echo is the quoted sequence number.
    pub(crate) fn check_icmp(t: &dyn Tech) {
        use icmpv4::DestUnreachableHeader as D4;
        use icmpv6::DestUnreachableCode as D6;
        let v4 = [
            (D4::Network, Some(Reason::NetUnreach)),
            (D4::Host, Some(Reason::HostUnreach)),
            (D4::Protocol, Some(Reason::ProtoUnreach)),
            (D4::Port, Some(Reason::PortUnreach)),
            (D4::FragmentationNeeded { next_hop_mtu: 1400 }, None),
            (D4::SourceRouteFailed, None),
            (D4::NetworkUnknown, None),
            (D4::HostUnknown, None),
            (D4::Isolated, None),
            (D4::NetworkProhibited, Some(Reason::NetProhibited)),
            (D4::HostProhibited, Some(Reason::HostProhibited)),
            (D4::TosNetwork, None),
            (D4::TosHost, None),
            (D4::FilterProhibited, Some(Reason::AdminProhibited)),
            (D4::HostPrecedenceViolation, None),
            (D4::PrecedenceCutoff, None),
        ];
        for (code, (header, reason)) in v4.into_iter().enumerate() {
            assert_eq!(header.code_u8() as usize, code);
            for from in [ROUTER4, TARGET4] {
                let pkt = icmp4(t, from, Icmpv4Type::DestinationUnreachable(header.clone()));
                let r = reply(IpAddr::from(from), 1, &pkt);
                let m = t.classify(&r);
                let table =
                    reply_icmp_verdict(&r, &IcmpError::DestUnreachable { code: code as u8 });
                assert_eq!(m.map(|m| m.verdict), table, "code {code}");
                match reason {
                    Some(r) => expect(m, false, Echo::Cookie(COOKIE), PortState::Filtered, r),
                    None => assert_eq!(m, None, "code {code}"),
                }
            }
        }
        let v6 = [
            (D6::NoRoute, Reason::NoRoute),
            (D6::Prohibited, Reason::AdminProhibited),
            (D6::BeyondScope, Reason::BeyondScope),
            (D6::Address, Reason::HostUnreach),
            (D6::Port, Reason::PortUnreach),
            (D6::SourceAddressFailedPolicy, Reason::AdminProhibited),
            (D6::RejectRoute, Reason::RejectRoute),
        ];
        for (code, (c, reason)) in v6.into_iter().enumerate() {
            assert_eq!(c as usize, code);
            for from in [ROUTER6, TARGET6] {
                let pkt = icmp6(t, from, Icmpv6Type::DestinationUnreachable(c));
                let r = reply(IpAddr::from(from), 58, &pkt);
                let m = t.classify(&r);
                let table =
                    reply_icmp_verdict(&r, &IcmpError::DestUnreachable { code: code as u8 });
                assert_eq!(m.map(|m| m.verdict), table);
                expect(m, true, Echo::Cookie(COOKIE), PortState::Filtered, reason);
            }
        }
        let mut unknown6 = icmp6(t, ROUTER6, Icmpv6Type::DestinationUnreachable(D6::NoRoute));
        unknown6[1] = 7;
        assert_eq!(classify(t, router(true), 58, &unknown6), None);
        let te4 = icmp4(
            t,
            ROUTER4,
            Icmpv4Type::TimeExceeded(icmpv4::TimeExceededCode::TtlExceededInTransit),
        );
        let te6 = icmp6(
            t,
            ROUTER6,
            Icmpv6Type::TimeExceeded(icmpv6::TimeExceededCode::HopLimitExceeded),
        );
        for (v6, proto, pkt) in [(false, 1, &te4), (true, 58, &te6)] {
            expect(
                classify(t, router(v6), proto, pkt),
                v6,
                Echo::Cookie(COOKIE),
                PortState::Filtered,
                Reason::TimeExceeded,
            );
        }
        let pp = icmp4(
            t,
            ROUTER4,
            Icmpv4Type::ParameterProblem(icmpv4::ParameterProblemHeader::PointerIndicatesError(0)),
        );
        assert_eq!(classify(t, router(false), 1, &pp), None);
        let big = icmp6(t, ROUTER6, Icmpv6Type::PacketTooBig { mtu: 1280 });
        assert_eq!(classify(t, router(true), 58, &big), None);
        // ICMPv4 bytes labelled ICMPv6 and the reverse.
        assert_eq!(classify(t, router(false), 58, &te4), None);
        assert_eq!(classify(t, router(true), 1, &te6), None);
        // A quote of a UDP datagram between the same ports.
        let mut quoted = Vec::new();
        PacketBuilder::ipv4(ME4, TARGET4, 64)
            .udp(SPORT, DPORT)
            .write(&mut quoted, b"hello")
            .expect("udp");
        let mut out = Vec::new();
        PacketBuilder::ipv4(ROUTER4, ME4, TTL)
            .icmpv4(Icmpv4Type::DestinationUnreachable(D4::Port))
            .write(&mut out, &quoted)
            .expect("icmp");
        assert_eq!(classify(t, router(false), 1, &ip_payload(&out)), None);
    }

    /// Every prefix of a RST and of ICMP errors matches exactly from the length that holds the
    /// proof on; garbage of every protocol label never panics and never yields a state the
    /// technique cannot give.
    pub(crate) fn check_truncated_and_garbage(t: &dyn Tech, states: &[PortState]) {
        let valid = [
            (target(false), 6u8, stack_rst(t, false, 0), 20usize),
            (target(true), 6, stack_rst(t, true, 512), 20),
            (
                router(false),
                1,
                icmp4(
                    t,
                    ROUTER4,
                    Icmpv4Type::DestinationUnreachable(icmpv4::DestUnreachableHeader::Host),
                ),
                8 + 20 + 8,
            ),
            (
                router(true),
                58,
                icmp6(
                    t,
                    ROUTER6,
                    Icmpv6Type::DestinationUnreachable(icmpv6::DestUnreachableCode::NoRoute),
                ),
                8 + 40 + 8,
            ),
        ];
        for (from, proto, pkt, min) in &valid {
            for n in 0..=pkt.len() {
                let m = classify(t, *from, *proto, &pkt[..n]);
                assert_eq!(m.is_some(), n >= *min, "proto {proto} prefix {n}");
                if let Some(m) = m {
                    assert_eq!(m.local_port, SPORT);
                    assert_eq!(m.echo, Echo::Cookie(COOKIE));
                }
            }
        }
        for proto in [0u8, 1, 6, 17, 58, 255] {
            for len in 0..80 {
                let zeros = vec![0u8; len];
                let ones = vec![0xffu8; len];
                let ramp: Vec<u8> = (0..len).map(|i| i as u8).collect();
                for g in [zeros, ones, ramp] {
                    if let Some(m) = classify(t, router(false), proto, &g) {
                        assert!(
                            states.contains(&m.verdict.state)
                                || m.verdict.state == PortState::Filtered,
                            "{:?}",
                            m.verdict
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tcp_flags::{ACK, FIN, PSH, RST, SYN, URG};

    fn rst(flags: u8, seq: u32, ack: u32) -> TcpFields {
        TcpFields {
            src_port: 1,
            dst_port: 2,
            seq,
            ack,
            flags: RST | flags,
            window: 0,
        }
    }

    /// The echo rule of the module docs' table, case by case, wrap-around included.
    #[test]
    fn rst_echo_follows_rfc_793() {
        let c = 0xdead_beef;
        // Probes without ACK: the RST must acknowledge; FIN and SYN count one each.
        assert_eq!(rst_echo(FIN, &rst(ACK, 0, c + 1)), Some(c));
        assert_eq!(rst_echo(0, &rst(ACK, 0, c)), Some(c));
        assert_eq!(rst_echo(FIN | PSH | URG, &rst(ACK, 0, c + 1)), Some(c));
        assert_eq!(rst_echo(SYN, &rst(ACK, 0, c + 1)), Some(c));
        assert_eq!(rst_echo(SYN | FIN, &rst(ACK, 0, c + 2)), Some(c));
        assert_eq!(rst_echo(FIN, &rst(ACK, 7, 0)), Some(u32::MAX));
        for f in [FIN, 0, FIN | PSH | URG] {
            assert_eq!(rst_echo(f, &rst(0, c, c + 1)), None, "flags {f:#x}");
        }
        // Probes with ACK: the RST's sequence number, ACK flag or not.
        for f in [ACK, FIN | ACK] {
            assert_eq!(rst_echo(f, &rst(0, c, 5)), Some(c));
            assert_eq!(rst_echo(f, &rst(ACK, c, 5)), Some(c));
        }
    }

    #[test]
    fn rst_meanings_and_silence() {
        use PortState::*;
        assert_eq!(RstMeaning::Closed.state(0), Closed);
        assert_eq!(RstMeaning::Closed.state(9), Closed);
        assert_eq!(RstMeaning::Unfiltered.state(0), Unfiltered);
        assert_eq!(RstMeaning::Unfiltered.state(9), Unfiltered);
        assert_eq!(RstMeaning::ByWindow.state(0), Closed);
        assert_eq!(RstMeaning::ByWindow.state(1), Open);
        assert_eq!(RstMeaning::ByWindow.state(u16::MAX), Open);
        let s = |m: RstMeaning| m.on_silence();
        assert_eq!(
            s(RstMeaning::Closed),
            Verdict::new(OpenFiltered, Reason::NoResponse)
        );
        assert_eq!(
            s(RstMeaning::Unfiltered),
            Verdict::new(Filtered, Reason::NoResponse)
        );
        assert_eq!(
            s(RstMeaning::ByWindow),
            Verdict::new(Filtered, Reason::NoResponse)
        );
    }

    /// The ack number is the cookie exactly when the probe has ACK.
    #[test]
    fn probe_ack_number() {
        let ctx = testkit::ctx(false);
        for (flags, ack) in [(FIN, 0), (0, 0), (ACK, ctx.cookie), (FIN | ACK, ctx.cookie)] {
            let mut buf = [0u8; 20];
            assert_eq!(build(&ctx, &mut buf, flags), Ok(20));
            let t = parse_tcp(&buf).expect("parse");
            assert_eq!(
                (t.seq, t.ack, t.flags, t.window),
                (ctx.cookie, ack, flags, 1024)
            );
        }
    }
}
