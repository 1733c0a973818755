//! nftables ruleset for the target namespace (an `inet` table, so one rule set covers
//! IPv4 and IPv6; TCP rules match `tcp dport`, UDP rules `udp dport`).

use super::layout::{Layout, PortKind, UdpKind};

/// Name of the table the lab installs inside the target namespace.
pub const TABLE: &str = "scanfw_lab";

fn set(ports: &[u16]) -> String {
    let list: Vec<String> = ports.iter().map(u16::to_string).collect();
    format!("{{ {} }}", list.join(", "))
}

/// The ruleset, for `nft -f -` inside the target namespace. Empty table (no rules) when
/// the layout has no firewalled port and no loss. With `loss_percent`, the first rule drops
/// that share of every packet entering through the veth (before any per-port rule, so
/// probes to every kind of port are lost alike; ARP is not in the `inet` family and is
/// not affected, IPv6 neighbour discovery is). With a block (`Layout::with_block`), the
/// block's sets and rules come next (see `block::nft_parts`), and a last rule resets the
/// block's listener ports (22, 80, 443) on the lab's own addresses where the layout leaves
/// them closed.
pub fn ruleset(layout: &Layout) -> String {
    let mut rules = Vec::new();
    if let Some(n) = layout.loss_percent.filter(|&n| n > 0) {
        rules.push(format!(
            "iifname \"{}\" numgen random mod 100 < {n} counter drop",
            super::IFACE
        ));
    }
    // The block (docs/lab.md, "The block lab"): its rules decide everything for its
    // addresses and end with `accept`, so the per-port rules below never see them.
    let mut sets = String::new();
    if let Some(b) = &layout.block {
        let others: Vec<u16> = layout
            .open_ports()
            .into_iter()
            .filter(|p| !super::block::PORTS.contains(p))
            .collect();
        let (s, r) = super::block::nft_parts(b, &others);
        sets = s;
        rules.extend(r);
    }
    let mut add = |kind: PortKind, v4: &str, v6: &str| {
        let ports = layout.ports_of(kind);
        if ports.is_empty() {
            return;
        }
        let s = set(&ports);
        if v4 == v6 {
            rules.push(format!("tcp dport {s} {v4}"));
        } else {
            rules.push(format!("meta nfproto ipv4 tcp dport {s} {v4}"));
            rules.push(format!("meta nfproto ipv6 tcp dport {s} {v6}"));
        }
    };
    add(PortKind::Drop, "drop", "drop");
    add(
        PortKind::RejectAdminProhibited,
        "reject with icmp type admin-prohibited",
        "reject with icmpv6 type admin-prohibited",
    );
    add(
        PortKind::RejectHostUnreachable,
        "reject with icmp type host-unreachable",
        // ICMPv6 has no "host unreachable"; address-unreachable is its equivalent
        // (and what nft's `icmpx type host-unreachable` maps to).
        "reject with icmpv6 type addr-unreachable",
    );
    add(
        PortKind::RejectTcpReset,
        "reject with tcp reset",
        "reject with tcp reset",
    );
    add(
        PortKind::RejectPortUnreachable,
        "reject with icmp type port-unreachable",
        "reject with icmpv6 type port-unreachable",
    );
    // UDP ports (`udp dport`; the TCP rules above match only TCP).
    let mut add_udp = |kind: UdpKind, v4: &str, v6: &str| {
        let ports = layout.udp_ports_of(kind);
        if ports.is_empty() {
            return;
        }
        let s = set(&ports);
        if v4 == v6 {
            rules.push(format!("udp dport {s} {v4}"));
        } else {
            rules.push(format!("meta nfproto ipv4 udp dport {s} {v4}"));
            rules.push(format!("meta nfproto ipv6 udp dport {s} {v6}"));
        }
    };
    add_udp(UdpKind::Drop, "drop", "drop");
    add_udp(
        UdpKind::RejectAdminProhibited,
        "reject with icmp type admin-prohibited",
        "reject with icmpv6 type admin-prohibited",
    );
    add_udp(
        UdpKind::RejectHostUnreachable,
        "reject with icmp type host-unreachable",
        "reject with icmpv6 type addr-unreachable",
    );
    add_udp(
        UdpKind::RejectPortUnreachable,
        "reject with icmp type port-unreachable",
        "reject with icmpv6 type port-unreachable",
    );
    // The block's wildcard listeners (22, 80, 443) also answer on the lab's own
    // addresses; where the layout does not make such a port open (or firewall it, above),
    // it must stay closed there.
    if layout.block.is_some() {
        let closed: Vec<u16> = super::block::PORTS
            .iter()
            .copied()
            .filter(|&p| layout.kind(p) == PortKind::Closed)
            .collect();
        if !closed.is_empty() {
            rules.push(format!("tcp dport {} reject with tcp reset", set(&closed)));
        }
    }
    let body: String = rules.iter().map(|r| format!("    {r}\n")).collect();
    format!(
        "table inet {TABLE} {{\n{sets}  chain input {{\n    type filter hook input priority 0; policy accept;\n{body}  }}\n}}\n"
    )
}
