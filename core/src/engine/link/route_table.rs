//! The kernel's routing tables as `/proc/net/route` (IPv4) and `/proc/net/ipv6_route` (IPv6)
//! print them, and the route the kernel would pick for a destination.
//!
//! Only what [`on_link`](super::on_link) needs is kept: the prefix, the interface, the metric
//! and whether the route is direct (no gateway), via a gateway, or not a way out at all (reject,
//! blackhole, prohibit, and the local and anycast routes of our own addresses). Routes that are
//! not up, and IPv6 source-specific routes, are left out. Lines that do not parse are skipped.
//! Policy routing is not modelled: `/proc/net/route` shows the main table only.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `RTF_UP`: the route is usable.
const RTF_UP: u32 = 0x0001;
/// `RTF_GATEWAY`: the destination is reached through a next hop.
const RTF_GATEWAY: u32 = 0x0002;
/// `RTF_REJECT`: unreachable, blackhole or prohibit.
const RTF_REJECT: u32 = 0x0200;
/// `RTF_ANYCAST` (IPv6): one of our anycast addresses.
const RTF_ANYCAST: u32 = 0x0010_0000;
/// `RTF_LOCAL` (IPv6): one of our own addresses.
const RTF_LOCAL: u32 = 0x8000_0000;

/// What a route does with the packets it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RouteKind {
    /// Delivered on the interface's link, to the destination itself.
    Direct,
    /// Sent to a gateway.
    Gateway,
    /// Not sent anywhere (reject routes, our own addresses).
    Other,
}

/// One route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Route {
    /// Interface name (`*` for reject routes in the IPv4 table).
    pub ifname: String,
    /// Network address.
    pub net: IpAddr,
    /// Prefix length.
    pub prefix: u8,
    /// Metric (lower wins among routes of the same prefix length).
    pub metric: u32,
    /// What it does.
    pub kind: RouteKind,
}

/// Whether `addr` lies in `net/prefix` (same family only).
pub(super) fn in_prefix(net: IpAddr, prefix: u8, addr: IpAddr) -> bool {
    match (net, addr) {
        (IpAddr::V4(n), IpAddr::V4(a)) if prefix <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) if prefix <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

/// The route the kernel picks for `dst`: the longest matching prefix, then the lowest metric,
/// then the first listed.
pub(super) fn best(routes: &[Route], dst: IpAddr) -> Option<&Route> {
    let mut found: Option<&Route> = None;
    for r in routes.iter().filter(|r| in_prefix(r.net, r.prefix, dst)) {
        let better = match found {
            None => true,
            Some(b) => r.prefix > b.prefix || (r.prefix == b.prefix && r.metric < b.metric),
        };
        if better {
            found = Some(r);
        }
    }
    found
}

/// Parses `/proc/net/route`: a header line, then `Iface Destination Gateway Flags RefCnt Use
/// Metric Mask MTU Window IRTT`, the addresses as 8 hex digits of the 32-bit value in host byte
/// order (so little-endian on x86 and arm64: `0102A8C0` is 192.168.2.1).
pub(super) fn parse_ipv4(text: &str) -> Vec<Route> {
    text.lines().skip(1).filter_map(parse_ipv4_line).collect()
}

fn parse_ipv4_line(line: &str) -> Option<Route> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [ifname, net, gateway, flags, _refcnt, _use, metric, mask, ..] = fields.as_slice() else {
        return None;
    };
    let flags = u32::from_str_radix(flags, 16).ok()?;
    if flags & RTF_UP == 0 {
        return None;
    }
    let net = hex_ipv4(net)?;
    let gateway = hex_ipv4(gateway)?;
    let prefix = mask_len(u32::from(hex_ipv4(mask)?))?;
    let kind = if flags & RTF_REJECT != 0 {
        RouteKind::Other
    } else if flags & RTF_GATEWAY != 0 || !gateway.is_unspecified() {
        RouteKind::Gateway
    } else {
        RouteKind::Direct
    };
    Some(Route {
        ifname: (*ifname).to_string(),
        net: IpAddr::V4(net),
        prefix,
        metric: metric.parse().ok()?,
        kind,
    })
}

/// An address printed as the hex value of a network-order `u32` read in host byte order.
fn hex_ipv4(s: &str) -> Option<Ipv4Addr> {
    if s.len() != 8 {
        return None;
    }
    let v = u32::from_str_radix(s, 16).ok()?;
    Some(Ipv4Addr::from(v.to_ne_bytes()))
}

/// Prefix length of a contiguous netmask; `None` for a non-contiguous one.
fn mask_len(mask: u32) -> Option<u8> {
    let n = mask.leading_ones();
    let canonical = u32::MAX.checked_shl(32 - n).unwrap_or(0);
    (mask == canonical).then_some(n as u8)
}

/// Parses `/proc/net/ipv6_route`: no header; `destination prefix-length source
/// source-prefix-length next-hop metric refcnt use flags iface`, addresses as 32 hex digits in
/// network order, the numbers in hex.
pub(super) fn parse_ipv6(text: &str) -> Vec<Route> {
    text.lines().filter_map(parse_ipv6_line).collect()
}

fn parse_ipv6_line(line: &str) -> Option<Route> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [net, prefix, _src, src_prefix, next_hop, metric, _refcnt, _use, flags, ifname] =
        fields.as_slice()
    else {
        return None;
    };
    let flags = u32::from_str_radix(flags, 16).ok()?;
    if flags & RTF_UP == 0 || u8::from_str_radix(src_prefix, 16).ok()? != 0 {
        return None;
    }
    let prefix = u8::from_str_radix(prefix, 16).ok().filter(|p| *p <= 128)?;
    let next_hop = hex_ipv6(next_hop)?;
    let kind = if flags & (RTF_REJECT | RTF_LOCAL | RTF_ANYCAST) != 0 {
        RouteKind::Other
    } else if flags & RTF_GATEWAY != 0 || !next_hop.is_unspecified() {
        RouteKind::Gateway
    } else {
        RouteKind::Direct
    };
    Some(Route {
        ifname: (*ifname).to_string(),
        net: IpAddr::V6(hex_ipv6(net)?),
        prefix,
        metric: u32::from_str_radix(metric, 16).ok()?,
        kind,
    })
}

fn hex_ipv6(s: &str) -> Option<Ipv6Addr> {
    if s.len() != 32 {
        return None;
    }
    u128::from_str_radix(s, 16).ok().map(Ipv6Addr::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    /// A laptop-like IPv4 table: default via 192.168.2.1 on wlan0, the /24 on link, a more
    /// specific /25 through another router, a host route, and an unreachable /16.
    #[cfg(target_endian = "little")]
    const ROUTE: &str = "\
Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
wlan0\t00000000\t0102A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
wlan0\t0002A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0
eth1\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
wlan0\t8002A8C0\tFE02A8C0\t0003\t0\t0\t0\t80FFFFFF\t0\t0\t0
eth1\t0A0A0A0A\t00000000\t0005\t0\t0\t0\tFFFFFFFF\t0\t0\t0
*\t00001BAC\t00000000\t0201\t0\t0\t0\t0000FFFF\t0\t0\t0
down0\t00000A0A\t00000000\t0000\t0\t0\t0\t0000FFFF\t0\t0\t0
eth2\t00000B0A\t00000000\t0001\t0\t0\t0\t00FF00FF\t0\t0\t0
garbage line
";

    #[test]
    #[cfg(target_endian = "little")]
    fn ipv4_table_parses_little_endian_hex() {
        let routes = parse_ipv4(ROUTE);
        // The header, the route that is not up, the non-contiguous mask and the garbage are
        // skipped.
        assert_eq!(routes.len(), 6);
        assert_eq!(
            routes[0],
            Route {
                ifname: "wlan0".into(),
                net: ip("0.0.0.0"),
                prefix: 0,
                metric: 600,
                kind: RouteKind::Gateway,
            }
        );
        assert_eq!(routes[1].net, ip("192.168.2.0"));
        assert_eq!(routes[1].prefix, 24);
        assert_eq!(routes[1].kind, RouteKind::Direct);
        assert_eq!(routes[3].net, ip("192.168.2.128"));
        assert_eq!(routes[3].prefix, 25);
        assert_eq!(routes[4].prefix, 32);
        assert_eq!(routes[5].kind, RouteKind::Other);
        assert_eq!(routes[5].net, ip("172.27.0.0"));
    }

    #[test]
    #[cfg(target_endian = "little")]
    fn ipv4_longest_prefix_then_metric_wins() {
        let routes = parse_ipv4(ROUTE);
        let pick = |a: &str| best(&routes, ip(a)).map(|r| (r.ifname.as_str(), r.prefix, r.kind));
        // On the /24: the lower metric of two equal prefixes.
        assert_eq!(pick("192.168.2.7"), Some(("eth1", 24, RouteKind::Direct)));
        // The /25 is longer than the /24: through a gateway.
        assert_eq!(
            pick("192.168.2.200"),
            Some(("wlan0", 25, RouteKind::Gateway))
        );
        // The host route beats the default.
        assert_eq!(pick("10.10.10.10"), Some(("eth1", 32, RouteKind::Direct)));
        // Anything else: the default route, via the gateway.
        assert_eq!(pick("8.8.8.8"), Some(("wlan0", 0, RouteKind::Gateway)));
        // An unreachable route is the best match, not a way out.
        assert_eq!(pick("172.27.3.4"), Some(("*", 16, RouteKind::Other)));
        // The route that is not up does not count.
        assert_eq!(pick("10.10.3.3"), Some(("wlan0", 0, RouteKind::Gateway)));
        // No IPv6 answer from an IPv4 table.
        assert_eq!(best(&routes, ip("::1")), None);
    }

    const IPV6_ROUTE: &str = "\
20010db8000100000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
20010db8000100000000000000000000 30 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth0
20010db8000100020000000000000000 50 00000000000000000000000000000000 00 fe800000000000000000000000000002 00000000 00000001 00000000 00000003     eth0
fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000080 00000001 00000000 00000001     eth1
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00450003     eth0
20010db8000100000000000000000005 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001     eth0
20010db8000900000000000000000000 40 20010db8000a00000000000000000000 40 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
20010db8000b00000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200201       lo
20010db8000c00000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000000     eth0
short line
";

    #[test]
    fn ipv6_table_parses() {
        let routes = parse_ipv6(IPV6_ROUTE);
        // Skipped: the source-specific route, the one not up, the short line.
        assert_eq!(routes.len(), 8);
        assert_eq!(
            routes[0],
            Route {
                ifname: "eth0".into(),
                net: ip("2001:db8:1::"),
                prefix: 64,
                metric: 256,
                kind: RouteKind::Direct,
            }
        );
        assert_eq!(routes[1].kind, RouteKind::Gateway);
        assert_eq!(routes[5].prefix, 0);
        assert_eq!(routes[6].kind, RouteKind::Other, "local route");
        assert_eq!(routes[7].kind, RouteKind::Other, "reject route");
        assert_eq!(routes[7].ifname, "lo");
    }

    #[test]
    fn ipv6_longest_prefix_then_metric_wins() {
        let routes = parse_ipv6(IPV6_ROUTE);
        let pick = |a: &str| best(&routes, ip(a)).map(|r| (r.ifname.as_str(), r.prefix, r.kind));
        // The on-link /64 beats the /48 via a router.
        assert_eq!(pick("2001:db8:1::7"), Some(("eth0", 64, RouteKind::Direct)));
        // Inside the /48 but outside the /64: via the router.
        assert_eq!(
            pick("2001:db8:1:5::7"),
            Some(("eth0", 48, RouteKind::Gateway))
        );
        // A /80 through another router beats the /48.
        assert_eq!(
            pick("2001:db8:1:2::9"),
            Some(("eth0", 80, RouteKind::Gateway))
        );
        // Link-local: the lower metric of the two interfaces.
        assert_eq!(pick("fe80::1234"), Some(("eth1", 64, RouteKind::Direct)));
        // Our own address: its local /128.
        assert_eq!(pick("2001:db8:1::5"), Some(("eth0", 128, RouteKind::Other)));
        assert_eq!(pick("2001:db8:b::1"), Some(("lo", 64, RouteKind::Other)));
        // The source-specific route is not used: the default route is.
        assert_eq!(pick("2001:db8:9::1"), Some(("eth0", 0, RouteKind::Gateway)));
        assert_eq!(best(&routes, ip("10.0.0.1")), None);
    }

    #[test]
    fn prefixes_and_masks() {
        assert!(in_prefix(ip("10.0.0.0"), 8, ip("10.255.1.2")));
        assert!(!in_prefix(ip("10.0.0.0"), 8, ip("11.0.0.1")));
        assert!(in_prefix(ip("0.0.0.0"), 0, ip("1.2.3.4")));
        assert!(in_prefix(ip("::"), 0, ip("2001:db8::1")));
        assert!(!in_prefix(ip("::"), 0, ip("1.2.3.4")), "families differ");
        assert!(
            !in_prefix(ip("10.0.0.0"), 33, ip("10.0.0.0")),
            "prefix too long"
        );
        assert_eq!(mask_len(0), Some(0));
        assert_eq!(mask_len(u32::MAX), Some(32));
        assert_eq!(mask_len(0xffff_ff00), Some(24));
        assert_eq!(mask_len(0xff00_ff00), None);
        assert_eq!(hex_ipv4("0102A8C"), None);
        assert_eq!(hex_ipv6("zz"), None);
    }
}
