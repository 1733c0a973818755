//! Host-discovery plugins for IP targets: nmap's `-PE`, `-PP`, `-PM`, `-PS`, `-PA`, `-PU` and the
//! unprivileged connect ping. (ARP and Neighbor Discovery live elsewhere.)
//!
//! Each plugin implements [`DiscoveryTechnique`](scanfw_core::discovery::DiscoveryTechnique) and
//! registers a [`DiscoveryDescriptor`](scanfw_core::registry::DiscoveryDescriptor):
//!
//! | name | nmap | probe | host up | default ports |
//! |---|---|---|---|---|
//! | `icmp-echo` | `-PE` | ICMP / ICMPv6 echo request | `echo-reply` | none |
//! | `icmp-timestamp` | `-PP` | ICMP timestamp request (IPv4 only) | `timestamp-reply` | none |
//! | `icmp-netmask` | `-PM` | ICMP address mask request (IPv4 only) | `addressmask-reply` | none |
//! | `tcp-syn` | `-PS` | TCP SYN | `syn-ack`, `reset` | 80 |
//! | `tcp-ack` | `-PA` | TCP ACK | `reset` | 80 |
//! | `udp` | `-PU` | UDP datagram | `udp-response`, `port-unreach` | 40125 |
//! | `tcp-connect` | none | `connect()` | `syn-ack`, `conn-refused` | 80, 443 |
//!
//! The raw ones need `CAP_NET_RAW`. The TCP and UDP plugins send exactly the probes of the
//! SYN, ACK and UDP port scans and read their replies with the same code (the port techniques'
//! [`RawProbe`](scanfw_core::technique::RawProbe) impls); `host_answer` then turns the port
//! verdict into a host verdict. The ICMP plugins share one query builder and reader
//! (`icmp.rs`, whose docs give the probe layout and the matching rules).
//!
//! # ICMP errors
//!
//! An ICMP error quoting one of our probes says something about the host only through whoever
//! sent it. When it comes from the probed address itself (`port-unreach` for a UDP or TCP
//! probe, `proto-unreach`, ...), the host answered: it is up, with the ICMP reason. When it
//! comes from any other address (a router's `host-unreach`, `net-unreach`, `time-exceeded`,
//! ...), the host is reported unreachable with that reason. ICMP types and codes that the shared
//! table ([`icmp_verdict`](scanfw_core::packet::icmp_verdict)) gives no reason (fragmentation
//! needed, parameter problem, ...) say nothing.
//!
//! # Ports
//!
//! A plugin with ports is built from the user's list (`-PS22,80`); an empty list means the
//! descriptor's default ports. Port 0 is refused, duplicates are dropped (first occurrence
//! kept). A port-less plugin refuses any list, and its `ports()` is `[0]`.

mod icmp;
mod icmp_echo;
mod icmp_netmask;
mod icmp_timestamp;
mod tcp_ack;
mod tcp_connect;
mod tcp_syn;
#[cfg(test)]
mod testkit;
mod udp;

pub use icmp_echo::IcmpEcho;
pub use icmp_netmask::IcmpNetmask;
pub use icmp_timestamp::IcmpTimestamp;
pub use tcp_ack::TcpAckPing;
pub use tcp_connect::TcpConnectPing;
pub use tcp_syn::TcpSynPing;
pub use udp::UdpPing;

use scanfw_core::packet::{IPPROTO_ICMP, IPPROTO_ICMPV6};
use scanfw_core::technique::{RawMatch, ReplyContext};
use scanfw_core::{PortState, Verdict};

/// `ports()` of a port-less plugin.
pub(crate) const NO_PORTS: &[u16] = &[0];

/// The ports a plugin called `name` probes: `given`, or `default` when `given` is empty;
/// duplicates dropped. An error naming the plugin for port 0.
pub(crate) fn port_list(name: &str, given: &[u16], default: &[u16]) -> Result<Vec<u16>, String> {
    let list = if given.is_empty() { default } else { given };
    if list.contains(&0) {
        return Err(format!(
            "{name} discovery cannot probe port 0: use ports 1-65535"
        ));
    }
    let mut out: Vec<u16> = Vec::with_capacity(list.len());
    for &p in list {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

/// Checks that a port-less plugin called `name` was given no ports.
pub(crate) fn no_ports(name: &str, given: &[u16]) -> Result<(), String> {
    if given.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = given.iter().map(u16::to_string).collect();
    Err(format!(
        "{name} discovery takes no port list (got {}): remove the ports",
        list.join(",")
    ))
}

/// A port technique's reading of a reply, as a host verdict (see the module docs):
///
/// * a TCP or UDP reply whose port state is `open`, `closed` or `unfiltered` (SYN+ACK, RST,
///   a datagram): the host is up, with the port verdict's reason;
/// * an ICMP error (any state): up when it comes from the probed address, down otherwise;
/// * anything else: `None`.
///
/// Target, local port and echo are kept, and so is the TTL.
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
    use scanfw_core::discovery::{DiscoveryMethod, HostAnswer};
    use scanfw_core::registry;
    use scanfw_core::technique::Echo;
    use scanfw_core::Reason;
    use std::net::{IpAddr, SocketAddr};

    #[test]
    fn port_lists() {
        assert_eq!(port_list("tcp-syn", &[], &[80]), Ok(vec![80]));
        assert_eq!(
            port_list("tcp-syn", &[22, 80, 22, 443], &[80]),
            Ok(vec![22, 80, 443])
        );
        let e = port_list("tcp-syn", &[22, 0], &[80]).expect_err("port 0");
        assert!(e.contains("tcp-syn") && e.contains("port 0"), "{e}");
        assert_eq!(no_ports("icmp-echo", &[]), Ok(()));
        let e = no_ports("icmp-echo", &[80, 443]).expect_err("ports");
        assert!(e.contains("icmp-echo") && e.contains("80,443"), "{e}");
    }

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

    /// The exact registered set, letters, privileges and defaults.
    /// Name, nmap letter, needs privilege, default ports, method.
    type Registration = (
        &'static str,
        Option<char>,
        bool,
        Option<&'static [u16]>,
        &'static str,
    );

    #[test]
    fn registrations() {
        let want: [Registration; 7] = [
            ("icmp-echo", Some('E'), true, None, "Raw"),
            ("icmp-netmask", Some('M'), true, None, "Raw"),
            ("icmp-timestamp", Some('P'), true, None, "Raw"),
            ("tcp-ack", Some('A'), true, Some(&[80]), "Raw"),
            ("tcp-connect", None, false, Some(&[80, 443]), "Connect"),
            ("tcp-syn", Some('S'), true, Some(&[80]), "Raw"),
            ("udp", Some('U'), true, Some(&[40125]), "Raw"),
        ];
        for (name, letter, privileged, ports, method) in want {
            let d = registry::discovery_method(name).expect(name);
            assert_eq!(d.name, name);
            assert_eq!(d.nmap_letter, letter, "{name}");
            assert_eq!(d.needs_privilege, privileged, "{name}");
            assert_eq!(d.default_ports, ports, "{name}");
            assert!(!d.summary.is_empty());
            if let Some(l) = letter {
                let by_letter = registry::discovery_method(&l.to_string()).expect("letter");
                assert_eq!(by_letter.name, name);
            }
            let p = (d.constructor)(&[]).expect("defaults");
            assert_eq!(p.name(), name);
            assert_eq!(p.ports(), ports.unwrap_or(NO_PORTS), "{name}");
            assert_eq!(format!("{:?}", p.method()), method, "{name}");
            if let DiscoveryMethod::Raw(r) = p.method() {
                let v4 = r.ip_protocol_for(false);
                assert_eq!(v4, r.ip_protocol(), "{name}");
                if p.supports(true) {
                    let v6 = r.ip_protocol_for(true);
                    assert_eq!(v6 == IPPROTO_ICMPV6, v4 == IPPROTO_ICMP, "{name}");
                }
            }
            match ports {
                Some(_) => {
                    let p = (d.constructor)(&[22, 22, 8080]).expect("ports");
                    assert_eq!(p.ports(), [22, 8080]);
                    assert!((d.constructor)(&[0]).is_err(), "{name}");
                }
                None => assert!((d.constructor)(&[80]).is_err(), "{name}"),
            }
        }
    }
}
