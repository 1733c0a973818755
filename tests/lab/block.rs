//! The block lab: a whole sparse network owned by the target namespace (see docs/lab.md,
//! "The block lab").
//!
//! With [`Layout::with_block`](super::Layout::with_block) the target owns every address
//! of `198.19.0.0/P` (and `fd00:5ca1::/(96+P)`) through an AnyIP route (`ip route add
//! local 198.19.0.0/P dev lo`), the scanner reaches the block through a route via the
//! target's veth address (never a default route), and nftables rules in the target make
//! most of the addresses dead:
//!
//! * address index `i` (its offset in the block: `198.19.0.0 + i`, `fd00:5ca1:: + i`) is
//!   **live** iff `0 < i < size - 1` and `low32(h(i)) % live_every == 0`, where
//!   `h(i) = splitmix64(key ^ i)` ([`Block::hash`]); the same index is live in both
//!   families;
//! * a dead address drops everything (TCP, UDP, ICMP): no answer at all;
//! * a live address answers ICMP echo (and, IPv4, timestamp) requests, unless it is one of
//!   the optional ping-silent hosts; with `b = h(i) >> 32`:
//!   * TCP 22 is open on every live host,
//!   * TCP 80 is open if `b & 1`, else closed (RST): half of them,
//!   * TCP 443 is open if `(b >> 1) & 3 == 0` (a quarter), dropped (filtered) if it is 1
//!     (a quarter), closed (RST) otherwise (half),
//!   * every other TCP port is closed (RST), every UDP port closed (ICMP port
//!     unreachable; over IPv6 that error leaves from the target's veth address, see
//!     docs/lab.md),
//!   * ping-silent (only with `ping_silent_every = N > 0`): `((b >> 8) & 0xffff) % N == 0`;
//!     such a host drops ICMP echo and timestamp requests but answers TCP as above,
//!   * with the lab's DNS server ([`Layout::with_dns`](super::Layout::with_dns)), a live
//!     host has a name (A/AAAA and PTR records) iff `(b >> 3) & 1`: `b<i>.block.sfwlab.test`.
//!
//! bench/block.py implements the same rule for the benchmark (`tests/lab_block.rs`
//! checks that both agree).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::layout::{Family, PortKind};

/// First address of the IPv4 block: 198.19.0.0 (RFC 2544, the upper half of
/// 198.18.0.0/15; the lab's veth subnets are in 198.18.0.0/16).
pub const V4_BASE: Ipv4Addr = Ipv4Addr::new(198, 19, 0, 0);
/// First address of the IPv6 block: fd00:5ca1:: (ULA; the veth subnets are
/// fd00:5ca0:X::/64).
pub const V6_BASE: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x5ca1, 0, 0, 0, 0, 0, 0);
/// The TCP ports that differ between live hosts (22, 80, 443); they get wildcard
/// listeners in the target.
pub const PORTS: [u16; 3] = [22, 80, 443];
/// Default key of the liveness hash.
pub const DEFAULT_KEY: u64 = 0x5ca1_ab1e_0b10_c4ed;
/// DNS domain of the lab's names.
pub const DOMAIN: &str = "sfwlab.test";

/// A sparse network owned by the target namespace. See the module documentation for the
/// rule that decides which addresses are live and what their ports are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// IPv4 prefix length: the block is `198.19.0.0/v4_prefix` (16..=30; 16, 18 and 24
    /// are the sizes of the benchmark and the tests).
    pub v4_prefix: u8,
    /// Also install the IPv6 block `fd00:5ca1::/(96 + v4_prefix)` (the same number of
    /// addresses; `/16` gives `/112`).
    pub v6: bool,
    /// One address in `live_every` (on average, by the keyed hash) is live; 1 makes every
    /// address but the first and the last live.
    pub live_every: u32,
    /// 0: every live host answers ping. N: about one live host in N drops ICMP echo and
    /// timestamp requests (but answers TCP).
    pub ping_silent_every: u32,
    /// Key of the hash (a different key gives a different set of live hosts).
    pub key: u64,
}

impl Default for Block {
    /// A /24 (and a /120), one live host in 16, all of them answering ping.
    fn default() -> Block {
        Block {
            v4_prefix: 24,
            v6: true,
            live_every: 16,
            ping_silent_every: 0,
            key: DEFAULT_KEY,
        }
    }
}

/// What one live address of the block does (see [`Block::host`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHost {
    /// Offset in the block.
    pub index: u32,
    /// Answers ICMP echo (and timestamp) requests.
    pub answers_ping: bool,
    /// Port 80: `Open` or `Closed`.
    pub port80: PortKind,
    /// Port 443: `Open`, `Drop` or `Closed`.
    pub port443: PortKind,
    /// Has a name in the lab's DNS (only served with `Layout::with_dns`).
    pub named: bool,
}

/// splitmix64 (Steele, Lea, Flood 2014): the finaliser of Java's SplittableRandom.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Block {
    /// A block of `198.19.0.0/prefix` with the defaults otherwise.
    pub fn v4(prefix: u8) -> Block {
        Block {
            v4_prefix: prefix,
            ..Block::default()
        }
    }

    pub(crate) fn validate(&self) {
        assert!(
            (16..=30).contains(&self.v4_prefix),
            "block prefix must be 16..=30 (got /{})",
            self.v4_prefix
        );
        assert!(self.live_every >= 1, "live_every must be at least 1");
    }

    /// Number of addresses in the block (per family).
    pub fn size(&self) -> u32 {
        1u32 << (32 - u32::from(self.v4_prefix))
    }

    /// IPv6 prefix length of the IPv6 block: `96 + v4_prefix`.
    pub fn v6_prefix(&self) -> u8 {
        96 + self.v4_prefix
    }

    /// The block in CIDR notation: `198.19.0.0/24`, `fd00:5ca1::/120`.
    pub fn cidr(&self, family: Family) -> String {
        match family {
            Family::V4 => format!("{V4_BASE}/{}", self.v4_prefix),
            Family::V6 => format!("{V6_BASE}/{}", self.v6_prefix()),
        }
    }

    /// The address with offset `index` in the block.
    pub fn addr(&self, index: u32, family: Family) -> IpAddr {
        assert!(index < self.size(), "index {index} outside the block");
        match family {
            Family::V4 => IpAddr::V4(Ipv4Addr::from(u32::from(V4_BASE) + index)),
            Family::V6 => IpAddr::V6(Ipv6Addr::from(u128::from(V6_BASE) + u128::from(index))),
        }
    }

    /// Offset of `addr` in the block, or `None` outside it (and for IPv6 addresses
    /// without `v6`).
    pub fn index_of(&self, addr: IpAddr) -> Option<u32> {
        let i = match addr {
            IpAddr::V4(a) => u64::from(u32::from(a)).checked_sub(u64::from(u32::from(V4_BASE)))?,
            IpAddr::V6(a) if self.v6 => {
                let d = u128::from(a).checked_sub(u128::from(V6_BASE))?;
                u64::try_from(d).ok()?
            }
            IpAddr::V6(_) => return None,
        };
        (i < u64::from(self.size())).then_some(i as u32)
    }

    /// [`Block::index_of`] for an address written as text (`None` if it does not parse).
    pub fn index_of_str(&self, addr: &str) -> Option<u32> {
        self.index_of(addr.parse().ok()?)
    }

    /// The keyed hash of an index: `splitmix64(key ^ index)`.
    pub fn hash(&self, index: u32) -> u64 {
        splitmix64(self.key ^ u64::from(index))
    }

    /// Whether offset `index` is a live host (never the first or last address).
    pub fn is_live(&self, index: u32) -> bool {
        index > 0
            && index < self.size() - 1
            && (self.hash(index) & 0xffff_ffff) % u64::from(self.live_every) == 0
    }

    /// What the live host at `index` does, `None` for a dead (or out-of-block) index.
    pub fn host(&self, index: u32) -> Option<BlockHost> {
        if index >= self.size() || !self.is_live(index) {
            return None;
        }
        let b = self.hash(index) >> 32;
        Some(BlockHost {
            index,
            answers_ping: self.ping_silent_every == 0
                || ((b >> 8) & 0xffff) % u64::from(self.ping_silent_every) != 0,
            port80: if b & 1 == 1 {
                PortKind::Open
            } else {
                PortKind::Closed
            },
            port443: match (b >> 1) & 3 {
                0 => PortKind::Open,
                1 => PortKind::Drop,
                _ => PortKind::Closed,
            },
            named: (b >> 3) & 1 == 1,
        })
    }

    /// [`Block::host`] by address.
    pub fn host_at(&self, addr: IpAddr) -> Option<BlockHost> {
        self.host(self.index_of(addr)?)
    }

    /// Offsets of every live host, ascending.
    pub fn live_indices(&self) -> Vec<u32> {
        (0..self.size()).filter(|&i| self.is_live(i)).collect()
    }

    /// Every live host of the block.
    pub fn live_hosts(&self) -> Vec<BlockHost> {
        (0..self.size()).filter_map(|i| self.host(i)).collect()
    }

    /// The live addresses of `family`, ascending (what `nmap -sn` finds).
    pub fn live_addrs(&self, family: Family) -> Vec<IpAddr> {
        self.live_indices()
            .into_iter()
            .map(|i| self.addr(i, family))
            .collect()
    }

    /// [`Block::live_addrs`] as strings.
    pub fn live_addr_strings(&self, family: Family) -> Vec<String> {
        self.live_addrs(family)
            .iter()
            .map(IpAddr::to_string)
            .collect()
    }

    /// Whether `addr` (in the block) is live.
    pub fn is_live_addr(&self, addr: IpAddr) -> bool {
        self.index_of(addr).is_some_and(|i| self.is_live(i))
    }

    /// How the target treats TCP `port` at `index`: `None` for a dead address (every
    /// packet dropped), otherwise `Open`, `Closed` (RST) or `Drop`.
    pub fn tcp_kind(&self, index: u32, port: u16) -> Option<PortKind> {
        let h = self.host(index)?;
        Some(match port {
            22 => PortKind::Open,
            80 => h.port80,
            443 => h.port443,
            _ => PortKind::Closed,
        })
    }

    /// `(state, reason)` of a SYN scan with `-Pn` (every address scanned): a dead address
    /// and a dropped port are `filtered`/`no-response`, open `open`/`syn-ack`, closed
    /// `closed`/`reset`. Panics outside the block.
    pub fn expected_syn(&self, addr: IpAddr, port: u16) -> (&'static str, &'static str) {
        let i = self
            .index_of(addr)
            .unwrap_or_else(|| panic!("{addr} is not in the block"));
        self.tcp_kind(i, port)
            .unwrap_or(PortKind::Drop)
            .expected_syn(family_of(addr))
    }

    /// `(state, reason)` of a connect scan with `-Pn` (as [`Block::expected_syn`], closed
    /// is `closed`/`conn-refused`).
    pub fn expected_connect(&self, addr: IpAddr, port: u16) -> (&'static str, &'static str) {
        let i = self
            .index_of(addr)
            .unwrap_or_else(|| panic!("{addr} is not in the block"));
        self.tcp_kind(i, port)
            .unwrap_or(PortKind::Drop)
            .expected_connect(family_of(addr))
    }

    /// The open TCP ports of `addr` (empty for a dead address or one outside the block).
    pub fn open_ports(&self, addr: IpAddr) -> Vec<u16> {
        let Some(i) = self.index_of(addr) else {
            return Vec::new();
        };
        PORTS
            .iter()
            .copied()
            .filter(|&p| self.tcp_kind(i, p) == Some(PortKind::Open))
            .collect()
    }

    /// Every `(address, port)` that is open, over `family`, in address order.
    pub fn open_pairs(&self, family: Family) -> Vec<(IpAddr, u16)> {
        self.live_addrs(family)
            .into_iter()
            .flat_map(|a| self.open_ports(a).into_iter().map(move |p| (a, p)))
            .collect()
    }

    /// DNS name of the live host at `index` if it has one (`b<index>.block.sfwlab.test`,
    /// the same for its IPv4 and IPv6 address). Served only with `Layout::with_dns`.
    pub fn name(&self, index: u32) -> Option<String> {
        let h = self.host(index)?;
        h.named.then(|| format!("b{index}.block.{DOMAIN}"))
    }

    /// [`Block::name`] by address.
    pub fn name_of(&self, addr: IpAddr) -> Option<String> {
        self.name(self.index_of(addr)?)
    }
}

fn family_of(addr: IpAddr) -> Family {
    match addr {
        IpAddr::V4(_) => Family::V4,
        IpAddr::V6(_) => Family::V6,
    }
}

/// The nftables set declarations and input-chain rules for the block (placed before the
/// layout's own rules; they end with `accept` for the block's addresses, so the layout's
/// per-port rules never apply to them). `other_listeners`: the layout's open TCP ports
/// that are not block ports (their wildcard listeners would answer on the block's
/// addresses too; the block resets them).
pub fn nft_parts(b: &Block, other_listeners: &[u16]) -> (String, Vec<String>) {
    let mut sets = String::new();
    let mut rules = Vec::new();
    let hosts = b.live_hosts();
    let fams: &[Family] = if b.v6 {
        &[Family::V4, Family::V6]
    } else {
        &[Family::V4]
    };
    for &fam in fams {
        let (sfx, ty, daddr) = match fam {
            Family::V4 => ("4", "ipv4_addr", "ip daddr"),
            Family::V6 => ("6", "ipv6_addr", "ip6 daddr"),
        };
        let mut set = |name: &str, pick: &dyn Fn(&BlockHost) -> bool| -> bool {
            let elems: Vec<String> = hosts
                .iter()
                .filter(|h| pick(h))
                .map(|h| b.addr(h.index, fam).to_string())
                .collect();
            sets += &format!("  set {name}{sfx} {{\n    type {ty}\n");
            if !elems.is_empty() {
                sets += &format!("    elements = {{ {} }}\n", elems.join(", "));
            }
            sets += "  }\n";
            !elems.is_empty()
        };
        set("block_live", &|_| true);
        let quiet = set("block_quiet", &|h| !h.answers_ping);
        let c80 = set("block_closed80_", &|h| h.port80 == PortKind::Closed);
        let d443 = set("block_drop443_", &|h| h.port443 == PortKind::Drop);
        let c443 = set("block_closed443_", &|h| h.port443 == PortKind::Closed);
        let net = b.cidr(fam);
        rules.push(format!("{daddr} {net} {daddr} != @block_live{sfx} drop"));
        if quiet {
            let icmp = match fam {
                Family::V4 => "icmp type { echo-request, timestamp-request }",
                Family::V6 => "icmpv6 type echo-request",
            };
            rules.push(format!("{daddr} @block_quiet{sfx} {icmp} drop"));
        }
        if c80 {
            rules.push(format!(
                "{daddr} @block_closed80_{sfx} tcp dport 80 reject with tcp reset"
            ));
        }
        if d443 {
            rules.push(format!("{daddr} @block_drop443_{sfx} tcp dport 443 drop"));
        }
        if c443 {
            rules.push(format!(
                "{daddr} @block_closed443_{sfx} tcp dport 443 reject with tcp reset"
            ));
        }
        if !other_listeners.is_empty() {
            let list: Vec<String> = other_listeners.iter().map(u16::to_string).collect();
            rules.push(format!(
                "{daddr} {net} tcp dport {{ {} }} reject with tcp reset",
                list.join(", ")
            ));
        }
        rules.push(format!("{daddr} {net} accept"));
    }
    (sets, rules)
}
