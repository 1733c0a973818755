//! Port specifications as nmap users write them.
//!
//! `22,80,1000-2000`, open ranges (`-1024`, `60000-`), `-` for 1-65535, service names from
//! scanfw's own table (`http,ssh`), and protocol qualifiers (`T:21-25,80,U:53,161`). Ports before
//! any qualifier apply to every protocol being scanned, as in nmap.

use crate::services;
use std::fmt;
use thiserror::Error;

/// Transport protocol of a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// TCP
    Tcp,
    /// UDP
    Udp,
}

impl Protocol {
    /// Lower-case name as nmap prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of ports 1-65535 as a fixed 8 KiB bitmap: O(1) insert and lookup, iteration in
/// ascending order.
#[derive(Clone, PartialEq, Eq)]
pub struct PortSet {
    bits: Box<[u64; 1024]>,
    len: u32,
}

impl Default for PortSet {
    fn default() -> Self {
        PortSet {
            bits: Box::new([0; 1024]),
            len: 0,
        }
    }
}

impl fmt::Debug for PortSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PortSet({})", self.to_ranges())
    }
}

impl PortSet {
    /// An empty set.
    pub fn new() -> PortSet {
        PortSet::default()
    }

    /// All ports 1-65535.
    pub fn all() -> PortSet {
        let mut s = PortSet::new();
        s.insert_range(1, 65535);
        s
    }

    /// Adds one port; returns whether it was new.
    pub fn insert(&mut self, port: u16) -> bool {
        let (w, b) = (usize::from(port / 64), port % 64);
        let fresh = self.bits[w] & (1 << b) == 0;
        if fresh {
            self.bits[w] |= 1 << b;
            self.len += 1;
        }
        fresh
    }

    /// Adds every port of `lo..=hi`.
    pub fn insert_range(&mut self, lo: u16, hi: u16) {
        for p in lo..=hi {
            self.insert(p);
        }
    }

    /// Removes one port.
    pub fn remove(&mut self, port: u16) {
        let (w, b) = (usize::from(port / 64), port % 64);
        if self.bits[w] & (1 << b) != 0 {
            self.bits[w] &= !(1 << b);
            self.len -= 1;
        }
    }

    /// Whether the port is in the set.
    pub fn contains(&self, port: u16) -> bool {
        self.bits[usize::from(port / 64)] & (1 << (port % 64)) != 0
    }

    /// Number of ports.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds every port of `other`.
    pub fn union_with(&mut self, other: &PortSet) {
        for p in other.iter() {
            self.insert(p);
        }
    }

    /// Removes every port of `other`.
    pub fn subtract(&mut self, other: &PortSet) {
        for p in other.iter() {
            self.remove(p);
        }
    }

    /// Ports in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = u16> + '_ {
        self.bits.iter().enumerate().flat_map(|(w, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let b = rest.trailing_zeros();
                rest &= rest - 1;
                // w < 1024 and b < 64, so the value fits u16.
                Some((w as u32 * 64 + b) as u16)
            })
        })
    }

    /// Compact nmap-style text, e.g. `1-1024,8080`.
    pub fn to_ranges(&self) -> String {
        let mut out = String::new();
        let mut run: Option<(u16, u16)> = None;
        let flush = |out: &mut String, (a, b): (u16, u16)| {
            if !out.is_empty() {
                out.push(',');
            }
            if a == b {
                out.push_str(&a.to_string());
            } else {
                out.push_str(&format!("{a}-{b}"));
            }
        };
        for p in self.iter() {
            run = match run {
                Some((a, b)) if p == b + 1 => Some((a, p)),
                Some(r) => {
                    flush(&mut out, r);
                    Some((p, p))
                }
                None => Some((p, p)),
            };
        }
        if let Some(r) = run {
            flush(&mut out, r);
        }
        out
    }
}

/// Constant-time rank queries on a [`PortSet`]: the position of a port among the set's ports in
/// ascending order (a prefix popcount per 64-port word).
#[derive(Debug, Clone)]
pub struct PortIndex {
    bits: Box<[u64; 1024]>,
    before: Box<[u32; 1024]>,
}

impl PortIndex {
    /// The index of `set`.
    pub fn new(set: &PortSet) -> PortIndex {
        let mut before = Box::new([0u32; 1024]);
        let mut sum = 0;
        for (w, word) in set.bits.iter().enumerate() {
            before[w] = sum;
            sum += word.count_ones();
        }
        PortIndex {
            bits: set.bits.clone(),
            before,
        }
    }

    /// How many ports of the set are below `port`, if `port` is in the set.
    pub fn rank(&self, port: u16) -> Option<u32> {
        let (w, b) = (usize::from(port / 64), port % 64);
        let word = self.bits[w];
        if word & (1 << b) == 0 {
            return None;
        }
        Some(self.before[w] + (word & ((1u64 << b) - 1)).count_ones())
    }
}

impl FromIterator<u16> for PortSet {
    fn from_iter<I: IntoIterator<Item = u16>>(iter: I) -> Self {
        let mut s = PortSet::new();
        for p in iter {
            s.insert(p);
        }
        s
    }
}

/// Why a port specification was rejected.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PortSpecError {
    /// Nothing was given.
    #[error("empty port specification")]
    Empty,
    /// A number outside 1-65535 or not a number.
    #[error("invalid port `{0}`: ports are numbers 1-65535 or service names")]
    BadPort(String),
    /// A range whose start is above its end.
    #[error("invalid port range `{0}`: start is above end")]
    Reversed(String),
    /// An unknown qualifier such as `X:`.
    #[error("unknown protocol qualifier `{0}:` (use T: for TCP or U: for UDP)")]
    BadQualifier(String),
    /// A service name not in scanfw's table.
    #[error("unknown service name `{0}` in port list")]
    UnknownService(String),
    /// `--top-ports` outside the list.
    #[error("--top-ports must be between 1 and {max}, not {given}")]
    TopPortsRange {
        /// Largest allowed value.
        max: usize,
        /// What was given.
        given: usize,
    },
}

/// A parsed port specification: ports for any protocol plus per-protocol ports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortSpec {
    /// Ports given before any qualifier: they apply to every scanned protocol.
    pub any: PortSet,
    /// Ports after `T:`.
    pub tcp: PortSet,
    /// Ports after `U:`.
    pub udp: PortSet,
}

impl PortSpec {
    /// Parses a specification such as `22,80,1000-2000`, `-`, `http,ssh` or `T:80,U:53`.
    pub fn parse(spec: &str) -> Result<PortSpec, PortSpecError> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err(PortSpecError::Empty);
        }
        let mut out = PortSpec::default();
        let mut current: Option<Protocol> = None;
        for raw in spec.split(',') {
            let mut item = raw.trim();
            if let Some((q, rest)) = item.split_once(':') {
                current = Some(match q.trim() {
                    "T" | "t" => Protocol::Tcp,
                    "U" | "u" => Protocol::Udp,
                    other => return Err(PortSpecError::BadQualifier(other.to_string())),
                });
                item = rest.trim();
            }
            if item.is_empty() {
                return Err(PortSpecError::BadPort(raw.trim().to_string()));
            }
            let set = match current {
                None => &mut out.any,
                Some(Protocol::Tcp) => &mut out.tcp,
                Some(Protocol::Udp) => &mut out.udp,
            };
            parse_item(item, current, set)?;
        }
        Ok(out)
    }

    /// The ports to scan for `proto`.
    pub fn for_protocol(&self, proto: Protocol) -> PortSet {
        let mut s = self.any.clone();
        s.union_with(match proto {
            Protocol::Tcp => &self.tcp,
            Protocol::Udp => &self.udp,
        });
        s
    }

    /// Whether no port at all was given.
    pub fn is_empty(&self) -> bool {
        self.any.is_empty() && self.tcp.is_empty() && self.udp.is_empty()
    }

    /// The first `n` ports of scanfw's own ranking for `proto` (see docs/services.md).
    pub fn top(proto: Protocol, n: usize) -> Result<PortSet, PortSpecError> {
        let list = services::top_ports(proto);
        if n == 0 || n > list.len() {
            return Err(PortSpecError::TopPortsRange {
                max: list.len(),
                given: n,
            });
        }
        Ok(list[..n].iter().copied().collect())
    }
}

fn parse_item(item: &str, proto: Option<Protocol>, set: &mut PortSet) -> Result<(), PortSpecError> {
    let bad = || PortSpecError::BadPort(item.to_string());
    if item == "-" {
        set.insert_range(1, 65535);
        return Ok(());
    }
    if item.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
        let (lo, hi) = match item.split_once('-') {
            None => {
                let p = number(item).ok_or_else(bad)?;
                (p, p)
            }
            Some((a, b)) => {
                let lo = if a.is_empty() {
                    1
                } else {
                    number(a).ok_or_else(bad)?
                };
                let hi = if b.is_empty() {
                    65535
                } else {
                    number(b).ok_or_else(bad)?
                };
                (lo, hi)
            }
        };
        if lo > hi {
            return Err(PortSpecError::Reversed(item.to_string()));
        }
        set.insert_range(lo, hi);
        return Ok(());
    }
    let found = services::ports_named(item, proto);
    if found.is_empty() {
        return Err(PortSpecError::UnknownService(item.to_string()));
    }
    for p in found {
        set.insert(p);
    }
    Ok(())
}

fn number(s: &str) -> Option<u16> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match s.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Some(n as u16),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports(spec: &str, proto: Protocol) -> String {
        PortSpec::parse(spec)
            .expect("valid")
            .for_protocol(proto)
            .to_ranges()
    }

    #[test]
    fn parses_nmap_forms() {
        assert_eq!(ports("22,80,1000-2000", Protocol::Tcp), "22,80,1000-2000");
        assert_eq!(ports("-", Protocol::Tcp), "1-65535");
        assert_eq!(ports("-100", Protocol::Tcp), "1-100");
        assert_eq!(ports("65000-", Protocol::Tcp), "65000-65535");
        assert_eq!(ports("80,80,79-81", Protocol::Tcp), "79-81");
        assert_eq!(ports("T:21-25,80,U:53,161", Protocol::Tcp), "21-25,80");
        assert_eq!(ports("T:21-25,80,U:53,161", Protocol::Udp), "53,161");
        assert_eq!(ports("443,T:22,U:53", Protocol::Udp), "53,443");
        assert_eq!(ports("ssh,http", Protocol::Tcp), "22,80");
        assert_eq!(PortSpec::parse("-").expect("valid").any.len(), 65535);
    }

    #[test]
    fn rejects_bad_specs() {
        for bad in [
            "", "0", "65536", "abc-def", "80-22", "X:80", "1,,2", "22-80-90", "+5", "T:",
        ] {
            assert!(PortSpec::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert_eq!(
            PortSpec::parse("80-22"),
            Err(PortSpecError::Reversed("80-22".into()))
        );
    }

    #[test]
    fn bitmap_iteration_and_ranges() {
        let s: PortSet = [65535, 1, 64, 63, 2].into_iter().collect();
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![1, 2, 63, 64, 65535]);
        assert_eq!(s.to_ranges(), "1-2,63-64,65535");
        assert_eq!(s.len(), 5);
        let mut t = PortSet::all();
        t.subtract(&s);
        assert_eq!(t.len(), 65530);
        assert!(!t.contains(64) && t.contains(65));
    }

    #[test]
    fn rank_is_the_position_in_ascending_order() {
        let s: PortSet = [1, 5, 64, 65, 1000, 65535].into_iter().collect();
        let idx = PortIndex::new(&s);
        for (i, p) in s.iter().enumerate() {
            assert_eq!(idx.rank(p), Some(i as u32), "port {p}");
        }
        assert_eq!(idx.rank(2), None);
        let all = PortIndex::new(&PortSet::all());
        assert_eq!(all.rank(1), Some(0));
        assert_eq!(all.rank(65535), Some(65534));
    }

    #[test]
    fn top_ports_bounds() {
        assert_eq!(
            PortSpec::top(Protocol::Tcp, 10).expect("in range").len(),
            10
        );
        assert!(PortSpec::top(Protocol::Tcp, 0).is_err());
        assert!(PortSpec::top(Protocol::Tcp, 100_000).is_err());
    }
}
