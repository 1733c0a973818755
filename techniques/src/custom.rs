//! Custom TCP flags (nmap's `--scanflags`): a raw TCP probe with the user's flags, whose
//! replies are read the way the chosen technique reads them (SYN semantics by default, as in
//! nmap; `-sA --scanflags ...` reads RST as `unfiltered`, and so on). The technique name and
//! nmap scan type stay those of the chosen technique.

use crate::flags::{self, RstMeaning};
use scanfw_core::technique::{
    ProbeBuildError, ProbeContext, ProbeMethod, RawMatch, RawProbe, ReplyContext,
};
use scanfw_core::{packet, Protocol, ScanTechnique, Verdict};

/// A flag technique with custom flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Custom {
    flags: u8,
    base: &'static str,
    meaning: RstMeaning,
}

impl Custom {
    /// Probes with `flags`, replies read as `base` reads them.
    pub(crate) fn new(flags: u8, base: &'static str, meaning: RstMeaning) -> Custom {
        Custom {
            flags,
            base,
            meaning,
        }
    }

    /// The flags its probes carry.
    pub fn flags(&self) -> u8 {
        self.flags
    }
}

impl ScanTechnique for Custom {
    fn name(&self) -> &'static str {
        self.base
    }
    fn protocol(&self) -> Protocol {
        Protocol::Tcp
    }
    fn scan_type(&self) -> &'static str {
        self.base
    }
    fn on_silence(&self) -> Verdict {
        self.meaning.on_silence()
    }
    fn probe(&self) -> ProbeMethod<'_> {
        ProbeMethod::Raw(self)
    }
}

impl RawProbe for Custom {
    fn ip_protocol(&self) -> u8 {
        packet::IPPROTO_TCP
    }
    fn build(&self, ctx: &ProbeContext, buf: &mut [u8]) -> Result<usize, ProbeBuildError> {
        flags::build(ctx, buf, self.flags)
    }
    fn classify(&self, reply: &ReplyContext<'_>) -> Option<RawMatch> {
        flags::classify(reply, self.flags, self.meaning)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scanfw_core::packet::{parse_tcp, tcp_flags};
    use scanfw_core::registry::{self, TechniqueOptions};
    use scanfw_core::technique::Echo;
    use scanfw_core::{PortState, Reason};
    use std::net::{IpAddr, SocketAddr};

    fn ctx() -> ProbeContext {
        ProbeContext {
            src: "192.0.2.1:40000".parse().expect("sa"),
            dst: "198.51.100.7:443".parse().expect("sa"),
            cookie: 0x1234_5670,
        }
    }

    fn reply(flags: u8, seq: u32, ack: u32) -> Vec<u8> {
        let mut b = vec![0u8; 20];
        b[0..2].copy_from_slice(&443u16.to_be_bytes());
        b[2..4].copy_from_slice(&40000u16.to_be_bytes());
        b[4..8].copy_from_slice(&seq.to_be_bytes());
        b[8..12].copy_from_slice(&ack.to_be_bytes());
        b[12] = 5 << 4;
        b[13] = flags;
        b
    }

    fn classify(t: &dyn ScanTechnique, payload: &[u8]) -> Option<RawMatch> {
        let ProbeMethod::Raw(p) = t.probe() else {
            return None;
        };
        let from: IpAddr = "198.51.100.7".parse().expect("ip");
        let to: IpAddr = "192.0.2.1".parse().expect("ip");
        p.classify(&ReplyContext {
            from,
            to,
            ttl: 60,
            ip_protocol: 6,
            payload,
        })
    }

    #[test]
    fn every_raw_tcp_technique_takes_custom_flags() {
        let opts = TechniqueOptions {
            tcp_flags: Some(tcp_flags::SYN | tcp_flags::FIN),
        };
        for name in ["syn", "fin", "null", "xmas", "ack", "window", "maimon"] {
            let desc = registry::technique(name).expect("registered");
            let t = (desc.constructor)(&opts).expect("takes flags");
            assert_eq!((t.name(), t.scan_type()), (name, name));
            let ProbeMethod::Raw(p) = t.probe() else {
                panic!("raw")
            };
            let mut buf = [0u8; 64];
            let n = p.build(&ctx(), &mut buf).expect("build");
            let tcp = parse_tcp(&buf[..n]).expect("tcp");
            assert_eq!(tcp.flags, tcp_flags::SYN | tcp_flags::FIN, "{name}");
            assert_eq!(tcp.seq, ctx().cookie);
        }
        for name in ["connect", "udp"] {
            let desc = registry::technique(name).expect("registered");
            let err = (desc.constructor)(&opts).expect_err("no flags");
            assert!(err.contains("--scanflags does not apply"), "{err}");
        }
    }

    #[test]
    fn syn_semantics_with_custom_flags() {
        let t = Custom::new(tcp_flags::SYN | tcp_flags::FIN, "syn", RstMeaning::Syn);
        let cookie = ctx().cookie;
        let open =
            classify(&t, &reply(tcp_flags::SYN | tcp_flags::ACK, 7, cookie + 2)).expect("syn-ack");
        assert_eq!(
            open.echo,
            Echo::Cookie(cookie),
            "SYN and FIN each consume one"
        );
        assert_eq!(
            (open.verdict.state, open.verdict.reason),
            (PortState::Open, Reason::SynAck)
        );
        assert_eq!(
            open.target,
            SocketAddr::new("198.51.100.7".parse().expect("ip"), 443)
        );
        let closed =
            classify(&t, &reply(tcp_flags::RST | tcp_flags::ACK, 0, cookie + 2)).expect("rst");
        assert_eq!(
            (closed.verdict.state, closed.echo),
            (PortState::Closed, Echo::Cookie(cookie))
        );
        assert_eq!(t.on_silence().state, PortState::Filtered);
        let ack_based = Custom::new(
            tcp_flags::ACK | tcp_flags::PSH,
            "ack",
            RstMeaning::Unfiltered,
        );
        let r = classify(&ack_based, &reply(tcp_flags::RST, cookie, 0)).expect("rst");
        assert_eq!(
            (r.verdict.state, r.echo),
            (PortState::Unfiltered, Echo::Cookie(cookie))
        );
    }
}
