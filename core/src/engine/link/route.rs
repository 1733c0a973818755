//! Whether a target is a neighbour on a directly attached Ethernet network, and how to ask
//! for it there.

use super::route_table::{self, in_prefix, Route, RouteKind};
use std::net::IpAddr;

/// How to reach a neighbour on its link: the interface to send frames on, its hardware
/// address, and our address on it to ask from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRoute {
    /// Interface name (`eth0`), for [`LinkChannel::open`](super::LinkChannel::open).
    pub ifname: String,
    /// Interface index.
    pub ifindex: u32,
    /// The interface's hardware address: the source of our frames, the destination of the
    /// answers.
    pub mac: [u8; 6],
    /// Our address on that interface, in the target's family: IPv4, one in the target's subnet
    /// (else the interface's first); IPv6, a non-link-local one whose prefix holds the target,
    /// else the interface's link-local one.
    pub src_ip: IpAddr,
}

/// How to ask for `dst` on its link, or `None` when link-layer discovery cannot apply.
///
/// `Some` only when all hold: `dst` is a unicast address (not unspecified, loopback,
/// multicast, broadcast or IPv4-mapped); it is not one of this host's own addresses; the best
/// matching route of the calling thread's network namespace (longest prefix, then lowest
/// metric) delivers it directly on an interface, without a gateway; that interface is up, not
/// loopback, not point-to-point, resolves neighbours (no `NOARP`), has a unicast hardware
/// address, and has an address of `dst`'s family to ask from (see [`LinkRoute::src_ip`]).
///
/// Caches nothing: each call reads the routing table of `dst`'s family and the interface list
/// (no privileges needed). IPv6 link-local targets carry no zone here, so they resolve to the
/// interface whose `fe80::/64` route wins.
pub fn on_link(dst: IpAddr) -> Option<LinkRoute> {
    LinkTable::load().on_link(dst)
}

/// The routing tables and interfaces read once, so that many targets are looked up without
/// reading `/proc` and the interface list again for each (a scan of a /16 asks 65536 times).
#[derive(Debug, Clone, Default)]
pub struct LinkTable {
    v4: Vec<Route>,
    v6: Vec<Route>,
    ifaces: Vec<Iface>,
}

impl LinkTable {
    /// Reads the calling thread's routing tables and interfaces now.
    pub fn load() -> LinkTable {
        LinkTable {
            v4: read_routes(false).unwrap_or_default(),
            v6: read_routes(true).unwrap_or_default(),
            ifaces: pnet_datalink::interfaces()
                .iter()
                .map(Iface::from)
                .collect(),
        }
    }

    /// As [`on_link`], from the tables read by [`load`](LinkTable::load).
    pub fn on_link(&self, dst: IpAddr) -> Option<LinkRoute> {
        if !unicast(dst) {
            return None;
        }
        let routes = if dst.is_ipv6() { &self.v6 } else { &self.v4 };
        resolve(dst, routes, &self.ifaces)
    }

    /// Every interface [`on_link`](LinkTable::on_link) may name for some target: up, not
    /// loopback, not point-to-point, resolving neighbours, with a unicast hardware address and
    /// at least one address. A scan opens a channel on each before its first probe.
    pub fn interfaces(&self) -> Vec<String> {
        self.ifaces
            .iter()
            .filter(|i| {
                i.neighbours
                    && !i.addrs.is_empty()
                    && i.mac.is_some_and(|m| m != [0; 6] && m[0] & 1 == 0)
            })
            .map(|i| i.name.clone())
            .collect()
    }
}

fn unicast(dst: IpAddr) -> bool {
    match dst {
        IpAddr::V4(a) => {
            !(a.is_unspecified() || a.is_loopback() || a.is_multicast() || a.is_broadcast())
        }
        IpAddr::V6(a) => {
            !(a.is_unspecified()
                || a.is_loopback()
                || a.is_multicast()
                || a.to_ipv4_mapped().is_some())
        }
    }
}

/// The routing table of the calling thread's network namespace (a thread that entered another
/// namespace sees that namespace's table in `/proc/thread-self`, not in `/proc/net`).
fn read_routes(v6: bool) -> Option<Vec<Route>> {
    let name = if v6 { "ipv6_route" } else { "route" };
    let text = std::fs::read_to_string(format!("/proc/thread-self/net/{name}"))
        .or_else(|_| std::fs::read_to_string(format!("/proc/net/{name}")))
        .ok()?;
    Some(if v6 {
        route_table::parse_ipv6(&text)
    } else {
        route_table::parse_ipv4(&text)
    })
}

/// What [`resolve`] needs to know about an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Iface {
    pub name: String,
    pub index: u32,
    pub mac: Option<[u8; 6]>,
    /// Up, not loopback, not point-to-point, resolves neighbours.
    pub neighbours: bool,
    /// Addresses with their prefix lengths.
    pub addrs: Vec<(IpAddr, u8)>,
}

impl From<&pnet_datalink::NetworkInterface> for Iface {
    fn from(i: &pnet_datalink::NetworkInterface) -> Iface {
        let noarp = i.flags & (libc::IFF_NOARP as u32) != 0;
        Iface {
            name: i.name.clone(),
            index: i.index,
            mac: i.mac.map(|m| m.octets()),
            neighbours: i.is_up() && !i.is_loopback() && !i.is_point_to_point() && !noarp,
            addrs: i.ips.iter().map(|n| (n.ip(), n.prefix())).collect(),
        }
    }
}

/// [`on_link`] over a given routing table and interface list.
pub(super) fn resolve(dst: IpAddr, routes: &[Route], ifaces: &[Iface]) -> Option<LinkRoute> {
    if ifaces
        .iter()
        .any(|i| i.addrs.iter().any(|(a, _)| *a == dst))
    {
        return None;
    }
    let route = route_table::best(routes, dst)?;
    if route.kind != RouteKind::Direct {
        return None;
    }
    let iface = ifaces.iter().find(|i| i.name == route.ifname)?;
    if !iface.neighbours {
        return None;
    }
    let mac = iface.mac.filter(|m| *m != [0; 6] && m[0] & 1 == 0)?;
    Some(LinkRoute {
        ifname: iface.name.clone(),
        ifindex: iface.index,
        mac,
        src_ip: source(iface, dst)?,
    })
}

/// Our address on `iface` to ask for `dst` from.
fn source(iface: &Iface, dst: IpAddr) -> Option<IpAddr> {
    let same_family = || {
        iface
            .addrs
            .iter()
            .filter(|(a, _)| a.is_ipv6() == dst.is_ipv6())
    };
    let link_local =
        |a: &IpAddr| matches!(a, IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80);
    let in_subnet = same_family()
        .find(|(a, p)| !link_local(a) && in_prefix(*a, *p, dst))
        .map(|(a, _)| *a);
    in_subnet.or_else(|| match dst {
        IpAddr::V4(_) => same_family().map(|(a, _)| *a).next(),
        IpAddr::V6(_) => same_family().map(|(a, _)| *a).find(link_local),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    fn route(ifname: &str, net: &str, prefix: u8, kind: RouteKind) -> Route {
        Route {
            ifname: ifname.into(),
            net: ip(net),
            prefix,
            metric: 0,
            kind,
        }
    }

    fn iface(name: &str, index: u32, addrs: &[(&str, u8)]) -> Iface {
        Iface {
            name: name.into(),
            index,
            mac: Some([2, 0, 0, 0, 0, index as u8]),
            neighbours: true,
            addrs: addrs.iter().map(|(a, p)| (ip(a), *p)).collect(),
        }
    }

    fn table() -> (Vec<Route>, Vec<Iface>) {
        let routes = vec![
            route("eth0", "0.0.0.0", 0, RouteKind::Gateway),
            route("eth0", "192.0.2.0", 24, RouteKind::Direct),
            route("eth1", "198.51.100.0", 24, RouteKind::Direct),
            route("eth1", "203.0.113.0", 24, RouteKind::Direct),
            route("lo", "127.0.0.0", 8, RouteKind::Direct),
            route("tun0", "10.8.0.0", 24, RouteKind::Direct),
            route("nomac", "10.9.0.0", 24, RouteKind::Direct),
            route("eth0", "2001:db8:1::", 64, RouteKind::Direct),
            route("eth0", "2001:db8:2::", 64, RouteKind::Direct),
            route("eth0", "fe80::", 64, RouteKind::Direct),
            route("eth0", "::", 0, RouteKind::Gateway),
        ];
        let mut lo = iface("lo", 1, &[("127.0.0.1", 8)]);
        lo.neighbours = false;
        let mut tun = iface("tun0", 4, &[("10.8.0.1", 24)]);
        tun.neighbours = false;
        let mut nomac = iface("nomac", 5, &[("10.9.0.1", 24)]);
        nomac.mac = None;
        let ifaces = vec![
            lo,
            iface(
                "eth0",
                2,
                &[("192.0.2.10", 24), ("fe80::1", 64), ("2001:db8:1::10", 64)],
            ),
            iface("eth1", 3, &[("198.51.100.5", 24)]),
            tun,
            nomac,
        ];
        (routes, ifaces)
    }

    #[test]
    fn neighbours_on_an_ethernet_link_resolve() {
        let (routes, ifaces) = table();
        let r = resolve(ip("192.0.2.77"), &routes, &ifaces).expect("on link");
        assert_eq!(
            r,
            LinkRoute {
                ifname: "eth0".into(),
                ifindex: 2,
                mac: [2, 0, 0, 0, 0, 2],
                src_ip: ip("192.0.2.10"),
            }
        );
        let r = resolve(ip("198.51.100.9"), &routes, &ifaces).expect("on link");
        assert_eq!((r.ifname.as_str(), r.src_ip), ("eth1", ip("198.51.100.5")));
    }

    #[test]
    fn ipv4_source_falls_back_to_the_interface_address() {
        // A route on eth1 without an address of eth1 in that subnet.
        let (routes, ifaces) = table();
        let r = resolve(ip("203.0.113.4"), &routes, &ifaces).expect("on link");
        assert_eq!(r.src_ip, ip("198.51.100.5"));
    }

    #[test]
    fn ipv6_source_prefers_the_target_prefix_then_link_local() {
        let (routes, ifaces) = table();
        let src = |a: &str| resolve(ip(a), &routes, &ifaces).map(|r| r.src_ip);
        assert_eq!(src("2001:db8:1::99"), Some(ip("2001:db8:1::10")));
        assert_eq!(src("2001:db8:2::99"), Some(ip("fe80::1")));
        assert_eq!(src("fe80::99"), Some(ip("fe80::1")));
    }

    #[test]
    fn not_on_link() {
        let (routes, ifaces) = table();
        let none = |a: &str| resolve(ip(a), &routes, &ifaces);
        assert_eq!(none("8.8.8.8"), None, "via a gateway");
        assert_eq!(none("2001:db8:99::1"), None, "via a gateway");
        assert_eq!(none("192.0.2.10"), None, "our own address");
        assert_eq!(none("2001:db8:1::10"), None, "our own address");
        assert_eq!(none("127.0.0.5"), None, "loopback interface");
        assert_eq!(none("10.8.0.7"), None, "point-to-point interface");
        assert_eq!(none("10.9.0.7"), None, "no hardware address");
        let (routes, mut ifaces) = table();
        ifaces[2].addrs.clear();
        assert_eq!(
            resolve(ip("198.51.100.9"), &routes, &ifaces),
            None,
            "no IPv4 address to ask from"
        );
        let only_global = [route("eth9", "2001:db8:5::", 64, RouteKind::Direct)];
        let eth9 = [iface("eth9", 9, &[("2001:db8:6::1", 64)])];
        assert_eq!(
            resolve(ip("2001:db8:5::1"), &only_global, &eth9),
            None,
            "no IPv6 address in the prefix and no link-local one"
        );
        let mut zero = table().1;
        zero[1].mac = Some([0; 6]);
        assert_eq!(resolve(ip("192.0.2.77"), &routes, &zero), None);
    }

    #[test]
    fn special_addresses_are_never_neighbours() {
        for a in [
            "0.0.0.0",
            "127.0.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "ff02::1",
            "::ffff:192.0.2.1",
        ] {
            assert!(!unicast(ip(a)), "{a}");
            assert_eq!(on_link(ip(a)), None, "{a}");
        }
        assert!(unicast(ip("192.0.2.1")));
        assert!(unicast(ip("fe80::1")));
    }
}
