//! What the ICMP discovery plugins share: building a query message (echo, timestamp, address
//! mask) and recognising its answer, or an ICMP error quoting it.
//!
//! A plugin is one [`Query`]: its request and reply types in each family, the reason an answer
//! gives, the data it sends and whether the answer echoes the cookie. [`Query`]'s [`RawProbe`]
//! impl is the whole probe; the plugin's file declares it (`method: Raw(QUERY)`, see
//! [`discovery_plugin!`](super::discovery_plugin)).
//!
//! # The probe
//!
//! An 8-byte query header followed by the query's data ([`Query::body`]):
//!
//! | bytes | field | value |
//! |---|---|---|
//! | 0 | type | the request type of the target's family |
//! | 1 | code | 0 |
//! | 2..4 | checksum | ICMPv4: over the message; ICMPv6: also over the IPv6 pseudo-header |
//! | 4..6 | identifier | the probe's keyed local port (`ctx.src.port()`) |
//! | 6..8 | sequence number | the low 16 bits of the cookie |
//! | 8.. | data | [`Query::body`], its first four bytes replaced by the cookie (big-endian) when [`Query::echoes_cookie`] |
//!
//! An ICMP query has no ports, so the identifier carries the keyed port: the engine verifies it
//! as it verifies a TCP or UDP source port. Echo and timestamp requests also carry the whole
//! cookie where the answer copies it back (echo data, originate timestamp); the address mask
//! request has no such field.
//!
//! # The answer
//!
//! A message of the reply type, at least [`Query::reply_len`] bytes long, whose identifier is in
//! [`LOCAL_PORTS`] (anything else is someone else's ping: the ICMP socket sees every ICMP
//! packet of the host, including our own requests on loopback, which are not replies). The match
//! is `target = (sender, 0)`, `local_port = identifier`, and the echo is the copied cookie
//! (checked first against the sequence number, which holds its low 16 bits) or, without one,
//! the sequence number itself ([`Echo::Stamp`] of the cookie's low 16 bits, which the engine
//! verifies with the identifier). The host is up,
//! with the query's reason. The code is not checked (every query uses 0, and the proof is the
//! identifier and cookie), nor is the checksum (see
//! [`parse_tcp`](scanfw_core::packet::parse_tcp) for why).
//!
//! # ICMP errors
//!
//! An error (destination unreachable, time exceeded) quoting one of our requests of this type:
//! `target = (quoted destination, 0)`, `local_port = quoted identifier` (in [`LOCAL_PORTS`]).
//! Only the first eight bytes of the quoted message are guaranteed; when the sender quoted more
//! and the query echoes the cookie, the quoted cookie is the echo (after the same sequence
//! check), otherwise the quoted sequence number ([`Echo::Stamp`], 16 bits). The verdict is the
//! shared ICMP table's reason,
//! host up when the error comes from the probed address itself, down when from anyone else.

use scanfw_core::packet::{
    icmp_checksum, parse_icmp_error, parse_icmp_query, reply_icmp_verdict, IcmpQuery,
    ICMP_QUERY_HEADER_LEN, IPPROTO_ICMP, IPPROTO_ICMPV6,
};
use scanfw_core::technique::{
    Echo, ProbeBuildError, ProbeContext, RawMatch, RawProbe, ReplyContext,
};
use scanfw_core::{Reason, Verdict};
use std::net::SocketAddr;
use std::ops::RangeInclusive;

/// The engine's keyed local ports (33000-60015): probe source ports, and our query identifiers.
pub(crate) const LOCAL_PORTS: RangeInclusive<u16> = 33000..=60015;

/// Where the cookie sits in a message that carries it: the first data bytes.
const COOKIE_AT: usize = ICMP_QUERY_HEADER_LEN;
const COOKIE_LEN: usize = 4;

/// Request and reply type of a query in one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Types {
    /// Type of our request.
    pub(crate) request: u8,
    /// Type of its answer.
    pub(crate) reply: u8,
}

/// One kind of ICMP query, as a discovery probe.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Query {
    /// Name for errors (`echo request`, ...).
    pub(crate) name: &'static str,
    /// ICMPv4 types.
    pub(crate) v4: Types,
    /// ICMPv6 types, `None` when the query does not exist in ICMPv6.
    pub(crate) v6: Option<Types>,
    /// The host's reason when the answer comes.
    pub(crate) reason: Reason,
    /// The data after the 8-byte header, as sent (cookie bytes, if any, are overwritten).
    pub(crate) body: &'static [u8],
    /// Whether the first four data bytes carry the cookie and the answer copies them back.
    pub(crate) echoes_cookie: bool,
    /// Shortest answer that is one: the RFC length of the reply message, or for an echo the
    /// header and the copied cookie.
    pub(crate) reply_len: usize,
}

impl Query {
    fn types(&self, v6: bool) -> Option<Types> {
        if v6 {
            self.v6
        } else {
            Some(self.v4)
        }
    }

    /// Whether the query exists for IPv6 targets.
    pub(crate) const fn has_v6(&self) -> bool {
        self.v6.is_some()
    }

    fn answer(&self, reply: &ReplyContext<'_>, head: &IcmpQuery) -> Option<RawMatch> {
        if reply.payload.len() < self.reply_len || !LOCAL_PORTS.contains(&head.id) {
            return None;
        }
        Some(RawMatch {
            target: SocketAddr::new(reply.from, 0),
            local_port: head.id,
            echo: self.echo(reply.payload, head.seq)?,
            verdict: Verdict::host_up(self.reason, reply.ttl),
        })
    }

    fn error(&self, reply: &ReplyContext<'_>, request: u8) -> Option<RawMatch> {
        let (err, quoted) = parse_icmp_error(reply)?;
        let head = quoted.icmp_query()?;
        if head.icmp_type != request || head.code != 0 || !LOCAL_PORTS.contains(&head.id) {
            return None;
        }
        let echo = if quoted.transport.len() >= COOKIE_AT + COOKIE_LEN {
            self.echo(quoted.transport, head.seq)?
        } else {
            seq_stamp(head.seq)
        };
        let v = reply_icmp_verdict(reply, &err)?;
        let verdict = if reply.from == quoted.dst {
            Verdict::host_up(v.reason, v.reason_ttl)
        } else {
            Verdict::host_down(v.reason, v.reason_ttl)
        };
        Some(RawMatch {
            target: SocketAddr::new(quoted.dst, 0),
            local_port: head.id,
            echo,
            verdict,
        })
    }

    /// The echo of a message (received or quoted) with sequence number `seq`: its cookie, if
    /// the query carries one and it agrees with `seq` (`None` if not); else the flow.
    fn echo(&self, msg: &[u8], seq: u16) -> Option<Echo> {
        if !self.echoes_cookie {
            return Some(seq_stamp(seq));
        }
        let bytes: [u8; COOKIE_LEN] = msg
            .get(COOKIE_AT..COOKIE_AT + COOKIE_LEN)?
            .try_into()
            .ok()?;
        let cookie = u32::from_be_bytes(bytes);
        (cookie as u16 == seq).then_some(Echo::Cookie(cookie))
    }
}

/// A sequence number as proof: it holds the cookie's low 16 bits.
fn seq_stamp(seq: u16) -> Echo {
    Echo::Stamp {
        value: u32::from(seq),
        mask: 0xffff,
    }
}

/// The query as a probe: ICMP (1) to IPv4 targets, ICMPv6 (58) to IPv6 ones where the query
/// exists (its IPv4 number otherwise, as a probe that exists in one family only).
impl RawProbe for Query {
    fn ip_protocol(&self) -> u8 {
        IPPROTO_ICMP
    }

    fn ip_protocol_for(&self, v6: bool) -> u8 {
        if v6 && self.has_v6() {
            IPPROTO_ICMPV6
        } else {
            IPPROTO_ICMP
        }
    }

    /// Writes the request for `ctx` (see the module docs) and returns its length.
    fn build(&self, ctx: &ProbeContext, buf: &mut [u8]) -> Result<usize, ProbeBuildError> {
        if ctx.src.is_ipv4() != ctx.dst.is_ipv4() {
            return Err(ProbeBuildError::FamilyMismatch);
        }
        let types = self
            .types(ctx.dst.is_ipv6())
            .ok_or(ProbeBuildError::UnsupportedFamily(self.name))?;
        let len = ICMP_QUERY_HEADER_LEN + self.body.len();
        let Some(out) = buf.get_mut(..len) else {
            return Err(ProbeBuildError::BufferTooSmall(len));
        };
        out[0] = types.request;
        out[1] = 0;
        out[2..4].fill(0);
        out[4..6].copy_from_slice(&ctx.src.port().to_be_bytes());
        // The low half of the cookie: the cast keeps exactly those bits.
        out[6..8].copy_from_slice(&(ctx.cookie as u16).to_be_bytes());
        out[ICMP_QUERY_HEADER_LEN..].copy_from_slice(self.body);
        if self.echoes_cookie {
            if let Some(c) = out.get_mut(COOKIE_AT..COOKIE_AT + COOKIE_LEN) {
                c.copy_from_slice(&ctx.cookie.to_be_bytes());
            }
        }
        let sum = icmp_checksum(ctx.src.ip(), ctx.dst.ip(), out);
        out[2..4].copy_from_slice(&sum.to_be_bytes());
        Ok(len)
    }

    /// Recognises an answer to the query or an error quoting it (see the module docs).
    fn classify(&self, reply: &ReplyContext<'_>) -> Option<RawMatch> {
        let v6 = match reply.ip_protocol {
            IPPROTO_ICMP => false,
            IPPROTO_ICMPV6 => true,
            _ => return None,
        };
        let types = self.types(v6)?;
        let head = parse_icmp_query(reply.payload)?;
        if head.icmp_type == types.reply {
            self.answer(reply, &head)
        } else {
            self.error(reply, types.request)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::testkit::*;

    const Q: Query = Query {
        name: "test",
        v4: Types {
            request: 8,
            reply: 0,
        },
        v6: None,
        reason: Reason::EchoReply,
        body: &[0, 0, 0, 0, 0xaa],
        echoes_cookie: true,
        reply_len: 12,
    };

    #[test]
    fn build_writes_header_cookie_and_body() {
        let mut buf = [0x55u8; 32];
        assert_eq!(Q.build(&ctx(false, 0), &mut buf), Ok(13));
        assert_eq!(
            &buf[4..13],
            &[0x9c, 0x40, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef, 0xaa]
        );
        assert_eq!(buf[13], 0x55, "nothing past the message");
        assert_eq!(
            Q.build(&ctx(false, 0), &mut [0u8; 12]),
            Err(ProbeBuildError::BufferTooSmall(13))
        );
        assert_eq!(
            Q.build(&ctx(true, 0), &mut buf),
            Err(ProbeBuildError::UnsupportedFamily("test"))
        );
        assert_eq!(
            Q.build(&mixed_ctx(), &mut buf),
            Err(ProbeBuildError::FamilyMismatch)
        );
    }

    #[test]
    fn echo_needs_a_cookie_that_agrees_with_the_sequence_number() {
        let mut msg = [0u8, 0, 0, 0, 0x9c, 0x40, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef];
        assert_eq!(Q.echo(&msg, 0xbeef), Some(Echo::Cookie(COOKIE)));
        assert_eq!(Q.echo(&msg, 0xbeee), None);
        assert_eq!(Q.echo(&msg[..11], 0xbeef), None);
        msg[11] = 0;
        assert_eq!(Q.echo(&msg, 0xbeef), None);
        let flow = Query {
            echoes_cookie: false,
            ..Q
        };
        assert_eq!(
            flow.echo(&[], 1),
            Some(Echo::Stamp {
                value: 1,
                mask: 0xffff
            })
        );
    }
}
