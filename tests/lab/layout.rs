//! What the lab configures on each TCP port of the target (plus optional random loss and
//! extra target addresses), and what a connect scan (`-sT`) and a SYN scan (`-sS`) are
//! expected to report for each port (ground truth from nmap 7.93, see docs/lab.md).

use std::collections::BTreeMap;

/// How one TCP port of the target namespace is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PortKind {
    /// A listener accepts (and immediately drops) connections.
    Open,
    /// Nothing listens, no firewall rule: the kernel answers RST.
    Closed,
    /// nftables `drop`.
    Drop,
    /// nftables `reject with icmp type admin-prohibited` / `icmpv6 type admin-prohibited`.
    RejectAdminProhibited,
    /// nftables `reject with icmp type host-unreachable` / `icmpv6 type addr-unreachable`.
    RejectHostUnreachable,
    /// nftables `reject with tcp reset`.
    RejectTcpReset,
    /// nftables `reject with icmp type port-unreachable` / `icmpv6 type port-unreachable`.
    RejectPortUnreachable,
}

/// Address family of a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

impl PortKind {
    /// `(state, reason)` that a TCP connect scan (`-sT`) must report for this port.
    ///
    /// Ground truth: nmap 7.93 `-sT --reason` against this lab (docs/lab.md). Linux maps
    /// ICMP errors to errno, and nmap derives the reason from errno:
    /// v4 admin-prohibited (ICMP 3/13) becomes EHOSTUNREACH -> `host-unreach`, while v6
    /// admin-prohibited (ICMPv6 1/1) becomes EACCES -> `admin-prohibited`; port-unreachable
    /// becomes ECONNREFUSED -> `closed`/`conn-refused` in both families.
    pub fn expected_connect(self, family: Family) -> (&'static str, &'static str) {
        match (self, family) {
            (PortKind::Open, _) => ("open", "syn-ack"),
            (PortKind::Closed, _) => ("closed", "conn-refused"),
            (PortKind::Drop, _) => ("filtered", "no-response"),
            (PortKind::RejectAdminProhibited, Family::V4) => ("filtered", "host-unreach"),
            (PortKind::RejectAdminProhibited, Family::V6) => ("filtered", "admin-prohibited"),
            (PortKind::RejectHostUnreachable, _) => ("filtered", "host-unreach"),
            (PortKind::RejectTcpReset, _) => ("closed", "conn-refused"),
            (PortKind::RejectPortUnreachable, _) => ("closed", "conn-refused"),
        }
    }

    /// `(state, reason)` that a SYN scan (`-sS`) must report for this port, in both
    /// families (nmap 7.93 `-sS --reason` against this lab, docs/lab.md): the raw reply is
    /// classified directly, so ICMP port-unreachable is `filtered` (a TCP probe is never
    /// closed by ICMP) and ICMPv6 address-unreachable is reported as `host-unreach`.
    pub fn expected_syn(self, _family: Family) -> (&'static str, &'static str) {
        match self {
            PortKind::Open => ("open", "syn-ack"),
            PortKind::Closed => ("closed", "reset"),
            PortKind::Drop => ("filtered", "no-response"),
            PortKind::RejectAdminProhibited => ("filtered", "admin-prohibited"),
            PortKind::RejectHostUnreachable => ("filtered", "host-unreach"),
            PortKind::RejectTcpReset => ("closed", "reset"),
            PortKind::RejectPortUnreachable => ("filtered", "port-unreach"),
        }
    }

    pub fn is_firewalled(self) -> bool {
        !matches!(self, PortKind::Open | PortKind::Closed)
    }
}

/// Per-port configuration of the lab target. Ports not listed are [`PortKind::Closed`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    pub ports: BTreeMap<u16, PortKind>,
    /// Random loss: the target drops this percentage of the packets entering it on its veth
    /// (nftables `numgen random mod 100 < N drop`, before the per-port rules). `None` (and
    /// `Some(0)`) means no loss rule. Only incoming packets are dropped: the target's own
    /// replies (SYN+ACK, RST, ICMP errors) are not, but the probe that draws them may be.
    pub loss_percent: Option<u8>,
    /// Extra addresses on the target's veth besides .2 / ::2: 198.18.X.3.. and
    /// fd00:5ca0:X::3.. (so `7` gives 198.18.X.2-9). The listeners (bound to the wildcard
    /// addresses) and the firewall rules serve every address alike.
    pub extra_target_hosts: u8,
}

impl Layout {
    pub fn new() -> Layout {
        Layout::default()
    }

    /// Builder: set `kind` on each of `ports` (later calls override earlier ones).
    pub fn with(mut self, kind: PortKind, ports: &[u16]) -> Layout {
        for &p in ports {
            assert!(p != 0, "port 0 cannot be configured");
            self.ports.insert(p, kind);
        }
        self
    }

    /// The layout used by the full-range (`-p-`) tests: 8 open, 4 DROP,
    /// 3 admin-prohibited, 2 host-unreachable, 2 tcp-reset and 1 port-unreachable port.
    pub fn standard() -> Layout {
        Layout::new()
            .with(PortKind::Open, &[1, 22, 80, 443, 8080, 31337, 50000, 65535])
            .with(PortKind::Drop, &[135, 139, 4444, 60000])
            .with(PortKind::RejectAdminProhibited, &[23, 3389, 40000])
            .with(PortKind::RejectHostUnreachable, &[25, 45000])
            .with(PortKind::RejectTcpReset, &[110, 55555])
            .with(PortKind::RejectPortUnreachable, &[111])
    }

    /// Builder: random loss of `percent` % of the packets entering the target.
    pub fn with_loss(mut self, percent: u8) -> Layout {
        assert!(percent <= 100, "loss percentage above 100");
        self.loss_percent = Some(percent);
        self
    }

    /// Builder: `n` extra target addresses (see [`Layout::extra_target_hosts`]).
    pub fn with_extra_hosts(mut self, n: u8) -> Layout {
        assert!(
            n <= 250,
            "at most 250 extra target addresses (198.18.X.3-252)"
        );
        self.extra_target_hosts = n;
        self
    }

    pub fn kind(&self, port: u16) -> PortKind {
        self.ports.get(&port).copied().unwrap_or(PortKind::Closed)
    }

    pub fn ports_of(&self, kind: PortKind) -> Vec<u16> {
        self.ports
            .iter()
            .filter(|(_, k)| **k == kind)
            .map(|(p, _)| *p)
            .collect()
    }

    /// Every explicitly configured port (any kind), ascending.
    pub fn special_ports(&self) -> Vec<u16> {
        self.ports.keys().copied().collect()
    }

    pub fn open_ports(&self) -> Vec<u16> {
        self.ports_of(PortKind::Open)
    }

    pub fn expected_connect(&self, port: u16, family: Family) -> (&'static str, &'static str) {
        self.kind(port).expected_connect(family)
    }

    pub fn expected_syn(&self, port: u16, family: Family) -> (&'static str, &'static str) {
        self.kind(port).expected_syn(family)
    }
}
