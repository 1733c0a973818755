//! ICMPv4 and ICMPv6 error messages: which probe they quote and what they mean for its port.

use super::be16;
use crate::state::{PortState, Reason, Verdict};
use crate::technique::ReplyContext;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IP protocol number of ICMP (IPv4).
pub const IPPROTO_ICMP: u8 = 1;
/// IP protocol number (next header) of ICMPv6.
pub const IPPROTO_ICMPV6: u8 = 58;

/// Length of the ICMP error header before the quoted packet (type, code, checksum, 4 more bytes).
const ICMP_ERROR_HEADER_LEN: usize = 8;
/// Transport bytes an ICMP error must quote for it to be matched to a probe (RFC 792 minimum).
const MIN_QUOTED_TRANSPORT: usize = 8;
const IPV4_MIN_HEADER: usize = 20;
const IPV6_HEADER: usize = 40;

/// An ICMP error, by family-specific type; codes are kept as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcmpError {
    /// ICMPv4 type 3 or ICMPv6 type 1.
    DestUnreachable {
        /// The ICMP code.
        code: u8,
    },
    /// ICMPv4 type 11 or ICMPv6 type 3.
    TimeExceeded {
        /// The ICMP code (0 TTL / hop limit exceeded, 1 reassembly time exceeded).
        code: u8,
    },
    /// ICMPv4 type 12 or ICMPv6 type 4.
    ParamProblem {
        /// The ICMP code.
        code: u8,
    },
}

/// The original packet quoted inside an ICMP error: its IP addresses, protocol and at least its
/// first eight transport bytes (ports, and for TCP the sequence number; for ICMP the query
/// header, see [`Quoted::icmp_query`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quoted<'a> {
    /// Source address of the quoted packet (ours, for a reply to one of our probes).
    pub src: IpAddr,
    /// Destination address of the quoted packet (the probe's target).
    pub dst: IpAddr,
    /// IP protocol (IPv4) or next header (IPv6) of the quoted packet.
    pub protocol: u8,
    /// The quoted packet's IPv4 identification, or its IPv6 flow label (20 bits): the engine
    /// writes keyed bits there in every probe and checks them here.
    pub ip_tag: u32,
    /// The quoted transport bytes, at least eight.
    pub transport: &'a [u8],
}

impl Quoted<'_> {
    /// Source port of the quoted TCP or UDP header.
    pub fn src_port(&self) -> Option<u16> {
        be16(self.transport, 0)
    }
    /// Destination port of the quoted TCP or UDP header.
    pub fn dst_port(&self) -> Option<u16> {
        be16(self.transport, 2)
    }
    /// The header of the quoted ICMP query message (one of our echo, timestamp or address mask
    /// requests), when the quoted packet is ICMP of its own family: ICMPv4 inside IPv4, ICMPv6
    /// inside IPv6. The quote guarantees these eight bytes; what follows them (the query's
    /// data) is in [`transport`](Self::transport) as far as the sender quoted it.
    pub fn icmp_query(&self) -> Option<IcmpQuery> {
        let own = match self.dst {
            IpAddr::V4(_) => IPPROTO_ICMP,
            IpAddr::V6(_) => IPPROTO_ICMPV6,
        };
        if self.protocol != own {
            return None;
        }
        parse_icmp_query(self.transport)
    }
}

/// Length of the header every ICMP query message starts with: type, code, checksum,
/// identifier, sequence number.
pub const ICMP_QUERY_HEADER_LEN: usize = 8;

/// The header of an ICMP query message (RFC 792 echo, timestamp and address mask; RFC 4443
/// echo): type, code, identifier and sequence number. The checksum is not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpQuery {
    /// ICMP type (8 echo request, 0 echo reply, 13/14 timestamp, 17/18 address mask; ICMPv6
    /// 128/129 echo).
    pub icmp_type: u8,
    /// ICMP code (0 for every query).
    pub code: u8,
    /// Identifier.
    pub id: u16,
    /// Sequence number.
    pub seq: u16,
}

/// Reads the header of an ICMP query message: `None` when `msg` is shorter than
/// [`ICMP_QUERY_HEADER_LEN`]. Any type is read (the caller checks it); the checksum is not
/// verified, for the reason given at [`parse_icmp_error`].
pub fn parse_icmp_query(msg: &[u8]) -> Option<IcmpQuery> {
    if msg.len() < ICMP_QUERY_HEADER_LEN {
        return None;
    }
    Some(IcmpQuery {
        icmp_type: *msg.first()?,
        code: *msg.get(1)?,
        id: be16(msg, 4)?,
        seq: be16(msg, 6)?,
    })
}

/// Reads an ICMP error and the packet it quotes.
///
/// `reply.ip_protocol` selects the family: 1 for ICMPv4 (types 3, 11, 12), 58 for ICMPv6 (types
/// 1, 3, 4); anything else, or any other ICMP type, is `None`. The quoted packet must be a
/// complete IP header of the same family followed by at least eight transport bytes:
///
/// * IPv4: version 4, IHL of at least five words and within the quote, not a later fragment
///   (a non-zero fragment offset quotes no transport header). When the quoted total length is
///   sane, transport bytes past it (e.g. RFC 4884 extensions) are cut off.
/// * IPv6: version 6 and the fixed 40-byte header. Extension headers are **not** skipped:
///   `protocol` is the quoted next-header value, so a quoted packet carrying extension headers
///   does not look like TCP or UDP and matches no probe (scanfw's probes carry none).
///
/// The ICMP checksum is not verified (see [`parse_tcp`](super::parse_tcp) for why); the quoted
/// sequence number or keyed port is what the engine verifies.
pub fn parse_icmp_error<'a>(reply: &ReplyContext<'a>) -> Option<(IcmpError, Quoted<'a>)> {
    let msg = reply.payload;
    let (&icmp_type, &code) = (msg.first()?, msg.get(1)?);
    let quote = msg.get(ICMP_ERROR_HEADER_LEN..)?;
    match reply.ip_protocol {
        IPPROTO_ICMP => {
            let err = match icmp_type {
                3 => IcmpError::DestUnreachable { code },
                11 => IcmpError::TimeExceeded { code },
                12 => IcmpError::ParamProblem { code },
                _ => return None,
            };
            Some((err, quoted_v4(quote)?))
        }
        IPPROTO_ICMPV6 => {
            let err = match icmp_type {
                1 => IcmpError::DestUnreachable { code },
                3 => IcmpError::TimeExceeded { code },
                4 => IcmpError::ParamProblem { code },
                _ => return None,
            };
            Some((err, quoted_v6(quote)?))
        }
        _ => None,
    }
}

fn quoted_v4(q: &[u8]) -> Option<Quoted<'_>> {
    let first = *q.first()?;
    if first >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(first & 0x0f) * 4;
    if ihl < IPV4_MIN_HEADER || q.len() < ihl {
        return None;
    }
    let frag_offset = be16(q, 6)? & 0x1fff;
    if frag_offset != 0 {
        return None;
    }
    let total_len = usize::from(be16(q, 2)?);
    let mut transport = q.get(ihl..)?;
    // Some stacks quote more than the original datagram (extensions, padding); some mangle the
    // length field. Trust it only to shorten, and only when it still leaves the ports.
    if total_len >= ihl + MIN_QUOTED_TRANSPORT && total_len - ihl < transport.len() {
        transport = transport.get(..total_len - ihl)?;
    }
    if transport.len() < MIN_QUOTED_TRANSPORT {
        return None;
    }
    let src: [u8; 4] = q.get(12..16)?.try_into().ok()?;
    let dst: [u8; 4] = q.get(16..20)?.try_into().ok()?;
    Some(Quoted {
        src: IpAddr::V4(Ipv4Addr::from(src)),
        dst: IpAddr::V4(Ipv4Addr::from(dst)),
        protocol: *q.get(9)?,
        ip_tag: u32::from(be16(q, 4)?),
        transport,
    })
}

fn quoted_v6(q: &[u8]) -> Option<Quoted<'_>> {
    if *q.first()? >> 4 != 6 {
        return None;
    }
    let transport = q.get(IPV6_HEADER..)?;
    if transport.len() < MIN_QUOTED_TRANSPORT {
        return None;
    }
    let src: [u8; 16] = q.get(8..24)?.try_into().ok()?;
    let dst: [u8; 16] = q.get(24..40)?.try_into().ok()?;
    Some(Quoted {
        src: IpAddr::V6(Ipv6Addr::from(src)),
        dst: IpAddr::V6(Ipv6Addr::from(dst)),
        protocol: *q.get(6)?,
        ip_tag: super::be32(q, 0)? & 0x000f_ffff,
        transport,
    })
}

/// What an ICMP error quoting a probe means for the probed port, by nmap's tables
/// (`shared/reference/port-states.md`); `v6` says whether it is ICMPv6.
///
/// * ICMPv4 destination unreachable: codes 0, 1, 2, 3, 9, 10, 13 are `filtered` with reasons
///   net-unreach, host-unreach, proto-unreach, port-unreach, net-prohibited, host-prohibited,
///   admin-prohibited; codes 4-8, 11, 12, 14, 15 (and anything above) are `None`, ignored.
/// * ICMPv6 destination unreachable: codes 0-6 are `filtered` with reasons no-route,
///   admin-prohibited, beyond-scope, host-unreach, port-unreach, admin-prohibited, reject-route;
///   other codes are `None`.
/// * Time exceeded (either family, any code): `filtered`, time-exceeded.
/// * Parameter problem: `None` (the reference gives it no state).
///
/// The state is what a TCP probe gets; the technique decides its own special cases (a UDP probe
/// drawing port unreachable from the target itself is `closed`). `reason_ttl` is 0 here: set it
/// to the ICMP packet's TTL, or use [`reply_icmp_verdict`], which does.
pub fn icmp_verdict(err: &IcmpError, v6: bool) -> Option<Verdict> {
    let reason = match (*err, v6) {
        (IcmpError::DestUnreachable { code }, false) => match code {
            0 => Reason::NetUnreach,
            1 => Reason::HostUnreach,
            2 => Reason::ProtoUnreach,
            3 => Reason::PortUnreach,
            9 => Reason::NetProhibited,
            10 => Reason::HostProhibited,
            13 => Reason::AdminProhibited,
            _ => return None,
        },
        (IcmpError::DestUnreachable { code }, true) => match code {
            0 => Reason::NoRoute,
            1 => Reason::AdminProhibited,
            2 => Reason::BeyondScope,
            3 => Reason::HostUnreach,
            4 => Reason::PortUnreach,
            5 => Reason::AdminProhibited,
            6 => Reason::RejectRoute,
            _ => return None,
        },
        (IcmpError::TimeExceeded { .. }, _) => Reason::TimeExceeded,
        (IcmpError::ParamProblem { .. }, _) => return None,
    };
    Some(Verdict::new(PortState::Filtered, reason))
}

/// [`icmp_verdict`] for an error read from `reply`: the family from `reply.ip_protocol` and
/// `reason_ttl` from `reply.ttl`.
pub fn reply_icmp_verdict(reply: &ReplyContext<'_>, err: &IcmpError) -> Option<Verdict> {
    let mut v = icmp_verdict(err, reply.ip_protocol == IPPROTO_ICMPV6)?;
    v.reason_ttl = reply.ttl;
    Some(v)
}
