//! What the lab configures on each TCP and UDP port of the target (plus optional random
//! loss, extra target and scanner addresses and ICMP rate limiting), and what each
//! technique (connect, SYN, the raw flag scans FIN, NULL, Xmas, ACK, Window, Maimon, and
//! UDP) is expected to report for each port (ground truth from nmap 7.93, see
//! docs/lab.md).

use std::collections::BTreeMap;

pub use super::block::Block;

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

    /// `(state, reason)` that `technique` must report for this port in `family`: the
    /// ground truth of docs/lab.md ("Ground truth: raw flag scans" for FIN, NULL, Xmas,
    /// ACK, Window and Maimon; [`PortKind::expected_connect`] and
    /// [`PortKind::expected_syn`] for connect and SYN).
    ///
    /// Flag scans (nmap 7.93 `-sF/-sN/-sX/-sA/-sW/-sM --reason` against this lab, the
    /// same in both families): the target's kernel answers every probe with RST unless
    /// the firewall intervenes, except FIN, NULL and Xmas to an open port, which RFC 793
    /// says to ignore. So
    /// * FIN/NULL/Xmas: open and DROP are `open|filtered`/`no-response`; closed and
    ///   tcp-reset are `closed`/`reset`;
    /// * Maimon (FIN+ACK): Linux answers RST even on an open port, so open, closed and
    ///   tcp-reset are all `closed`/`reset`; only DROP is `open|filtered`;
    /// * ACK: every RST is `unfiltered`/`reset` (open, closed, tcp-reset), DROP is
    ///   `filtered`/`no-response`;
    /// * Window: Linux's RSTs carry window 0, so open, closed and tcp-reset are all
    ///   `closed`/`reset`; DROP is `filtered`/`no-response`;
    /// * every ICMP reject is `filtered` with the ICMP reason, as for SYN:
    ///   `admin-prohibited`, `host-unreach` (ICMPv6 address-unreachable included),
    ///   `port-unreach`.
    pub fn expected_for(
        self,
        technique: Technique,
        family: Family,
    ) -> (&'static str, &'static str) {
        use Technique::*;
        match technique {
            Connect => return self.expected_connect(family),
            Syn => return self.expected_syn(family),
            _ => {}
        }
        match self {
            PortKind::RejectAdminProhibited => return ("filtered", "admin-prohibited"),
            PortKind::RejectHostUnreachable => return ("filtered", "host-unreach"),
            PortKind::RejectPortUnreachable => return ("filtered", "port-unreach"),
            _ => {}
        }
        let silent = match technique {
            Fin | Null | Xmas | Maimon => ("open|filtered", "no-response"),
            _ => ("filtered", "no-response"),
        };
        let rst = match technique {
            Ack => ("unfiltered", "reset"),
            _ => ("closed", "reset"),
        };
        match (self, technique) {
            (PortKind::Drop, _) => silent,
            (PortKind::Open, Fin | Null | Xmas) => silent,
            // Open under ACK/Window/Maimon, closed and tcp-reset: the kernel's RST.
            _ => rst,
        }
    }

    pub fn is_firewalled(self) -> bool {
        !matches!(self, PortKind::Open | PortKind::Closed)
    }
}

/// A TCP scan technique with a ground-truth column in docs/lab.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Technique {
    Connect,
    Syn,
    Fin,
    Null,
    Xmas,
    Ack,
    Window,
    Maimon,
}

impl Technique {
    /// The raw flag-probe techniques (no handshake): FIN, NULL, Xmas, ACK, Window, Maimon.
    pub const FLAG_SCANS: [Technique; 6] = [
        Technique::Fin,
        Technique::Null,
        Technique::Xmas,
        Technique::Ack,
        Technique::Window,
        Technique::Maimon,
    ];

    /// The nmap (and scanfw) option: `-sT`, `-sS`, `-sF`, ...
    pub fn option(self) -> &'static str {
        match self {
            Technique::Connect => "-sT",
            Technique::Syn => "-sS",
            Technique::Fin => "-sF",
            Technique::Null => "-sN",
            Technique::Xmas => "-sX",
            Technique::Ack => "-sA",
            Technique::Window => "-sW",
            Technique::Maimon => "-sM",
        }
    }

    /// scanfw's technique name (`--list-techniques`, the JSON `scans[].type`).
    pub fn name(self) -> &'static str {
        match self {
            Technique::Connect => "connect",
            Technique::Syn => "syn",
            Technique::Fin => "fin",
            Technique::Null => "null",
            Technique::Xmas => "xmas",
            Technique::Ack => "ack",
            Technique::Window => "window",
            Technique::Maimon => "maimon",
        }
    }
}

/// How one UDP port of the target namespace is set up (independent of the TCP port with
/// the same number). Ground truth (nmap 7.93 `-sU --reason`, docs/lab.md, "UDP") in
/// [`UdpKind::expected_udp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UdpKind {
    /// Nothing bound, no firewall rule: the kernel answers ICMP port unreachable.
    Closed,
    /// A tiny DNS server: parses each query and answers with the same id (QR set, the
    /// question copied; NOTIMP for other opcodes, FORMERR for malformed questions).
    Dns,
    /// UDP echo: every datagram is sent back unchanged (also an empty one).
    Echo,
    /// A bound socket that reads and never answers. On Linux a bound port draws no ICMP
    /// port unreachable, so to a scanner it is as silent as a DROP.
    Silent,
    /// nftables `udp dport ... drop`.
    Drop,
    /// nftables `reject with icmp type admin-prohibited` / `icmpv6 type admin-prohibited`.
    RejectAdminProhibited,
    /// nftables `reject with icmp type host-unreachable` / `icmpv6 type addr-unreachable`.
    RejectHostUnreachable,
    /// nftables `reject with icmp type port-unreachable` / `icmpv6 type port-unreachable`
    /// (on the wire the same as [`UdpKind::Closed`]).
    RejectPortUnreachable,
}

impl UdpKind {
    /// `(state, reason)` that a UDP scan (`-sU`) must report for this port, in both
    /// families (nmap 7.93 `-sU --reason` against this lab, ICMP rate limits off;
    /// docs/lab.md): any datagram back is `open`/`udp-response`; the target's own ICMP
    /// port unreachable (kernel or nftables) is `closed`/`port-unreach`; the other ICMP
    /// rejects are `filtered` with their reason (ICMPv6 address-unreachable reads
    /// `host-unreach`); silence, bound-but-mute socket or DROP, is
    /// `open|filtered`/`no-response`.
    pub fn expected_udp(self, _family: Family) -> (&'static str, &'static str) {
        match self {
            UdpKind::Dns | UdpKind::Echo => ("open", "udp-response"),
            UdpKind::Closed | UdpKind::RejectPortUnreachable => ("closed", "port-unreach"),
            UdpKind::Silent | UdpKind::Drop => ("open|filtered", "no-response"),
            UdpKind::RejectAdminProhibited => ("filtered", "admin-prohibited"),
            UdpKind::RejectHostUnreachable => ("filtered", "host-unreach"),
        }
    }

    /// True for the kinds served by a socket in the target (DNS, echo, silent).
    pub fn is_bound(self) -> bool {
        matches!(self, UdpKind::Dns | UdpKind::Echo | UdpKind::Silent)
    }

    /// True for the kinds whose answer is an ICMP error (closed and the ICMP rejects):
    /// the ports a target's ICMP rate limit applies to.
    pub fn answers_icmp(self) -> bool {
        matches!(
            self,
            UdpKind::Closed
                | UdpKind::RejectAdminProhibited
                | UdpKind::RejectHostUnreachable
                | UdpKind::RejectPortUnreachable
        )
    }
}

/// Per-port configuration of the lab target. Ports not listed are [`PortKind::Closed`]
/// (TCP) and [`UdpKind::Closed`] (UDP).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    pub ports: BTreeMap<u16, PortKind>,
    /// UDP ports (a separate number space from `ports`; not listed = [`UdpKind::Closed`]).
    pub udp_ports: BTreeMap<u16, UdpKind>,
    /// `Some(ms)`: the target keeps Linux's ICMP rate limiting, one error per `ms` per peer
    /// address after a burst of 6 (`net.ipv4.icmp_ratelimit` and `net.ipv6.icmp.ratelimit`
    /// = ms, default rate masks). `None` (default): rate limits off.
    pub icmp_ratelimit_ms: Option<u32>,
    /// Extra addresses on the scanner's veth besides .1 / ::1: 198.18.X.11.. and
    /// fd00:5ca0:X::11.. (see `Lab::scanner_addrs`), e.g. for `--source-ip`.
    pub extra_scanner_addrs: u8,
    /// Random loss: the target drops this percentage of the packets entering it on its veth
    /// (nftables `numgen random mod 100 < N drop`, before the per-port rules). `None` (and
    /// `Some(0)`) means no loss rule. Only incoming packets are dropped: the target's own
    /// replies (SYN+ACK, RST, ICMP errors) are not, but the probe that draws them may be.
    pub loss_percent: Option<u8>,
    /// Extra addresses on the target's veth besides .2 / ::2: 198.18.X.3.. and
    /// fd00:5ca0:X::3.. (so `7` gives 198.18.X.2-9). The listeners (bound to the wildcard
    /// addresses) and the firewall rules serve every address alike.
    pub extra_target_hosts: u8,
    /// A sparse network owned by the target (`198.19.0.0/P`, `fd00:5ca1::/(96+P)`), see
    /// [`Block`] and docs/lab.md, "The block lab". `None` (default): no block.
    pub block: Option<Block>,
    /// Run the lab's DNS server (dnsmasq in the target on 198.18.X.53 and
    /// fd00:5ca0:X::53, names and PTR records only for the lab's own addresses) and point
    /// the scanner namespace's resolver at it (`/etc/netns/<scanner>/resolv.conf`).
    pub dns: bool,
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

    /// Builder: set UDP `kind` on each of `ports` (later calls override earlier ones).
    pub fn with_udp(mut self, kind: UdpKind, ports: &[u16]) -> Layout {
        for &p in ports {
            assert!(p != 0, "port 0 cannot be configured");
            self.udp_ports.insert(p, kind);
        }
        self
    }

    /// The UDP ports of the UDP tests: DNS 53; echo 7, 7007; silent listeners 199, 9999,
    /// 65535; DROP 135, 250, 60000; admin-prohibited 138, 40000; host-unreachable 139,
    /// 45000; port-unreachable 111, 50000. Every other UDP port closed.
    pub fn udp_standard() -> Layout {
        Layout::new().with_udp_standard()
    }

    /// Builder: add the [`Layout::udp_standard`] UDP ports (TCP ports untouched).
    pub fn with_udp_standard(self) -> Layout {
        self.with_udp(UdpKind::Dns, &[53])
            .with_udp(UdpKind::Echo, &[7, 7007])
            .with_udp(UdpKind::Silent, &[199, 9999, 65535])
            .with_udp(UdpKind::Drop, &[135, 250, 60000])
            .with_udp(UdpKind::RejectAdminProhibited, &[138, 40000])
            .with_udp(UdpKind::RejectHostUnreachable, &[139, 45000])
            .with_udp(UdpKind::RejectPortUnreachable, &[111, 50000])
    }

    /// Builder: keep ICMP rate limiting on in the target, one error per `ms` per peer
    /// (see [`Layout::icmp_ratelimit_ms`]); `100` is 10 per second.
    pub fn with_icmp_ratelimit_ms(mut self, ms: u32) -> Layout {
        self.icmp_ratelimit_ms = Some(ms);
        self
    }

    /// Builder: `n` extra scanner addresses (see [`Layout::extra_scanner_addrs`]).
    pub fn with_extra_scanner_addrs(mut self, n: u8) -> Layout {
        assert!(
            n <= 100,
            "at most 100 extra scanner addresses (198.18.X.11-110)"
        );
        self.extra_scanner_addrs = n;
        self
    }

    /// Builder: make the target own the sparse network `block` (see [`Block`]).
    pub fn with_block(mut self, block: Block) -> Layout {
        block.validate();
        self.block = Some(block);
        self
    }

    /// Builder: run the lab's DNS server (see [`Layout::dns`]); needs `dnsmasq`
    /// (Debian package dnsmasq-base).
    pub fn with_dns(mut self) -> Layout {
        self.dns = true;
        self
    }

    /// Every TCP port with a listener in the target: the layout's open ports and, with a
    /// block, the block's ports (22, 80, 443), ascending.
    pub fn listener_ports(&self) -> Vec<u16> {
        let mut v = self.open_ports();
        if self.block.is_some() {
            v.extend(super::block::PORTS);
        }
        v.sort_unstable();
        v.dedup();
        v
    }

    pub fn udp_kind(&self, port: u16) -> UdpKind {
        self.udp_ports
            .get(&port)
            .copied()
            .unwrap_or(UdpKind::Closed)
    }

    pub fn udp_ports_of(&self, kind: UdpKind) -> Vec<u16> {
        self.udp_ports
            .iter()
            .filter(|(_, k)| **k == kind)
            .map(|(p, _)| *p)
            .collect()
    }

    /// Every explicitly configured UDP port (any kind), ascending.
    pub fn udp_special_ports(&self) -> Vec<u16> {
        self.udp_ports.keys().copied().collect()
    }

    pub fn expected_udp(&self, port: u16, family: Family) -> (&'static str, &'static str) {
        self.udp_kind(port).expected_udp(family)
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

    pub fn expected_for(
        &self,
        port: u16,
        technique: Technique,
        family: Family,
    ) -> (&'static str, &'static str) {
        self.kind(port).expected_for(technique, family)
    }
}
