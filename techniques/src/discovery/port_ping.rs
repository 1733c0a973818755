//! A port technique used as a ping: the `tcp-syn`, `tcp-ack` and `udp` plugins are the SYN,
//! ACK and UDP scans' probes ([`AsPing`]), whose replies [`host_answer`] turns into host
//! verdicts.
//!
//! # Contract
//!
//! [`AsPing`]`(T)` is `T`'s [`RawProbe`] with the same IP protocol (both families), the same
//! probe bytes, the same challenges and the same matching of replies (cookie, echo, target and
//! local port), and only the verdict changed, by the rules of the [module docs](super):
//!
//! * a TCP or UDP reply whose port state is `open`, `closed` or `unfiltered` (SYN+ACK, RST,
//!   a datagram): the host is up, with the port verdict's reason;
//! * an ICMP error quoting the probe (any state): up when it comes from the probed address,
//!   down otherwise, with the port verdict's reason;
//! * anything else (`filtered` or `open|filtered` TCP or UDP verdicts): no match.
//!
//! The TTL is the port verdict's.

use scanfw_core::packet::{IPPROTO_ICMP, IPPROTO_ICMPV6};
use scanfw_core::technique::{ProbeBuildError, ProbeContext, RawMatch, RawProbe, ReplyContext};
use scanfw_core::{PortState, Verdict};

/// The port technique `T` as a host-discovery probe (see the module docs).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct AsPing<T>(pub(crate) T);

impl<T: RawProbe> RawProbe for AsPing<T> {
    fn ip_protocol(&self) -> u8 {
        self.0.ip_protocol()
    }
    fn build(&self, ctx: &ProbeContext, buf: &mut [u8]) -> Result<usize, ProbeBuildError> {
        self.0.build(ctx, buf)
    }
    fn ip_protocol_for(&self, v6: bool) -> u8 {
        self.0.ip_protocol_for(v6)
    }
    fn classify(&self, reply: &ReplyContext<'_>) -> Option<RawMatch> {
        host_answer(reply, self.0.classify(reply)?)
    }
    fn challenge(
        &self,
        ctx: &ProbeContext,
        seq: u32,
        buf: &mut [u8],
    ) -> Result<usize, ProbeBuildError> {
        self.0.challenge(ctx, seq, buf)
    }
}

/// A port technique's reading `m` of `reply`, as a host verdict (see the module docs). Target,
/// local port and echo are kept, and so is the TTL.
pub(crate) fn host_answer(reply: &ReplyContext<'_>, m: RawMatch) -> Option<RawMatch> {
    let v = m.verdict;
    let up = Verdict::host_up(v.reason, v.reason_ttl);
    let verdict = if matches!(reply.ip_protocol, IPPROTO_ICMP | IPPROTO_ICMPV6) {
        if reply.from == m.target.ip() {
            up
        } else {
            Verdict::host_down(v.reason, v.reason_ttl)
        }
    } else {
        match v.state {
            PortState::Open | PortState::Closed | PortState::Unfiltered => up,
            _ => return None,
        }
    };
    Some(RawMatch { verdict, ..m })
}

#[cfg(test)]
mod tests {
    use super::*;
    use scanfw_core::discovery::HostAnswer;
    use scanfw_core::technique::Echo;
    use scanfw_core::Reason;
    use std::net::{IpAddr, SocketAddr};

    fn m(state: PortState) -> RawMatch {
        RawMatch {
            target: SocketAddr::new(IpAddr::from([198, 51, 100, 7]), 80),
            local_port: 40000,
            echo: Echo::Cookie(5),
            verdict: Verdict {
                state,
                reason: Reason::PortUnreach,
                reason_ttl: 9,
            },
        }
    }

    #[test]
    fn host_answers() {
        let target = IpAddr::from([198, 51, 100, 7]);
        let router = IpAddr::from([203, 0, 113, 9]);
        let ctx = |from, ip_protocol| ReplyContext {
            from,
            to: IpAddr::from([192, 0, 2, 1]),
            ttl: 9,
            ip_protocol,
            payload: &[],
        };
        let up = Verdict::host_up(Reason::PortUnreach, 9);
        let down = Verdict::host_down(Reason::PortUnreach, 9);
        for proto in [6u8, 17] {
            for s in [PortState::Open, PortState::Closed, PortState::Unfiltered] {
                let a = host_answer(&ctx(target, proto), m(s)).expect("up");
                assert_eq!(
                    (a.verdict, a.echo, a.local_port),
                    (up, Echo::Cookie(5), 40000)
                );
                assert_eq!(a.target, m(s).target);
            }
            for s in [PortState::Filtered, PortState::OpenFiltered] {
                assert_eq!(host_answer(&ctx(target, proto), m(s)), None);
            }
        }
        for proto in [1u8, 58] {
            for s in [PortState::Closed, PortState::Filtered] {
                let from_target = host_answer(&ctx(target, proto), m(s)).expect("target");
                assert_eq!(from_target.verdict, up);
                assert_eq!(HostAnswer::of(&from_target.verdict), HostAnswer::Up);
                let from_router = host_answer(&ctx(router, proto), m(s)).expect("router");
                assert_eq!(from_router.verdict, down);
                assert_eq!(HostAnswer::of(&from_router.verdict), HostAnswer::Down);
            }
        }
    }
}
