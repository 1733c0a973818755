//! Target specifications as nmap users write them.
//!
//! Accepted forms: IPv4 and IPv6 literals, CIDR blocks for both families (network and broadcast
//! addresses included, as nmap does), nmap octet ranges (`198.18.0.1-20`, `10.0.0-3.*`,
//! `10.0.1,3.1`), host names (resolved once, when the target list is built; `name/24` works too),
//! target files (`-iL`) and exclusions. Addresses are produced lazily, so a large block costs no
//! memory.

use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs};
use std::path::Path;
use thiserror::Error;

/// Why a target specification was rejected.
#[derive(Debug, Error)]
pub enum TargetError {
    /// Not a literal, block, range or plausible host name.
    #[error("invalid target `{0}`: expected an IP address, CIDR block, octet range or host name")]
    Invalid(String),
    /// A CIDR prefix longer than the address.
    #[error("invalid prefix length in `{0}` (at most /32 for IPv4, /128 for IPv6)")]
    BadPrefix(String),
    /// An octet range outside 0-255 or reversed.
    #[error("invalid octet range in `{0}`: each octet is 0-255, a range a-b with a <= b, or *")]
    BadOctet(String),
    /// A host name that did not resolve.
    #[error("cannot resolve host name `{name}`: {detail}")]
    Resolve {
        /// The name.
        name: String,
        /// The resolver's message.
        detail: String,
    },
    /// A target file that could not be read.
    #[error("cannot read target file `{path}`: {detail}")]
    File {
        /// The path.
        path: String,
        /// The I/O error.
        detail: String,
    },
    /// Nothing to scan.
    #[error(
        "no targets to scan: give addresses, host names or -iL FILE (all may have been excluded)"
    )]
    Empty,
}

/// One host to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The address probes go to.
    pub addr: IpAddr,
    /// The name the user gave, if the target was a host name.
    pub hostname: Option<String>,
}

/// Inclusive value ranges for one IPv4 octet.
type Octet = Vec<(u8, u8)>;

#[derive(Debug, Clone)]
enum Item {
    Net(IpNet, Option<String>),
    Octets(Box<[Octet; 4]>),
}

impl Item {
    fn contains(&self, ip: IpAddr) -> bool {
        match self {
            Item::Net(net, _) => net.contains(&ip),
            Item::Octets(o) => match ip {
                IpAddr::V4(v4) => v4
                    .octets()
                    .iter()
                    .zip(o.iter())
                    .all(|(b, ranges)| ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(b))),
                IpAddr::V6(_) => false,
            },
        }
    }

    fn count(&self) -> u128 {
        match self {
            Item::Net(IpNet::V4(n), _) => 1u128 << (32 - n.prefix_len()),
            Item::Net(IpNet::V6(n), _) => {
                let bits = 128 - u32::from(n.prefix_len());
                if bits == 128 {
                    u128::MAX
                } else {
                    1u128 << bits
                }
            }
            Item::Octets(o) => o
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|&(lo, hi)| u128::from(hi - lo) + 1)
                        .sum::<u128>()
                })
                .product(),
        }
    }

    fn iter(&self) -> Box<dyn Iterator<Item = Target> + Send + '_> {
        match self {
            Item::Net(net, name) => Box::new(net_addrs(*net).map(move |addr| Target {
                addr,
                hostname: if net.prefix_len() == net.max_prefix_len() {
                    name.clone()
                } else {
                    None
                },
            })),
            Item::Octets(o) => {
                let vals = |i: usize| o[i].iter().flat_map(|&(lo, hi)| lo..=hi);
                Box::new(vals(0).flat_map(move |a| {
                    vals(1).flat_map(move |b| {
                        vals(2).flat_map(move |c| {
                            vals(3).map(move |d| Target {
                                addr: IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
                                hostname: None,
                            })
                        })
                    })
                }))
            }
        }
    }
}

/// Every address of a block, network and broadcast included.
fn net_addrs(net: IpNet) -> Box<dyn Iterator<Item = IpAddr> + Send> {
    match net {
        IpNet::V4(n) => {
            let start = u32::from(n.network());
            let end = u32::from(n.broadcast());
            Box::new((start..=end).map(|v| IpAddr::V4(v.into())))
        }
        IpNet::V6(n) => {
            let start = u128::from(n.network());
            let end = u128::from(n.broadcast());
            Box::new((start..=end).map(|v| IpAddr::V6(v.into())))
        }
    }
}

/// The hosts of a scan: targets minus exclusions, produced lazily in the order given.
#[derive(Debug, Clone, Default)]
pub struct TargetSet {
    include: Vec<Item>,
    exclude: Vec<Item>,
}

impl TargetSet {
    /// Builds the set, resolving host names once. Fails on any malformed entry, and when
    /// nothing remains to scan.
    pub fn build<S: AsRef<str>>(targets: &[S], excludes: &[S]) -> Result<TargetSet, TargetError> {
        let include = targets
            .iter()
            .map(|s| parse(s.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let exclude = excludes
            .iter()
            .map(|s| parse(s.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let set = TargetSet { include, exclude };
        if set.iter().next().is_none() {
            return Err(TargetError::Empty);
        }
        Ok(set)
    }

    /// Hosts to scan, in the order given, exclusions removed.
    pub fn iter(&self) -> impl Iterator<Item = Target> + Send + '_ {
        self.include
            .iter()
            .flat_map(Item::iter)
            .filter(|t| !self.exclude.iter().any(|e| e.contains(t.addr)))
    }

    /// Number of hosts before exclusions (an upper bound; saturating).
    pub fn upper_bound(&self) -> u128 {
        self.include
            .iter()
            .fold(0u128, |acc, i| acc.saturating_add(i.count()))
    }

    /// Whether `addr` is excluded.
    pub fn is_excluded(&self, addr: IpAddr) -> bool {
        self.exclude.iter().any(|e| e.contains(addr))
    }
}

/// Reads a target or exclusion file: entries separated by white space or commas, `#` comments.
pub fn read_target_file(path: &Path) -> Result<Vec<String>, TargetError> {
    let text = std::fs::read_to_string(path).map_err(|e| TargetError::File {
        path: path.display().to_string(),
        detail: e.to_string(),
    })?;
    Ok(split_list(
        &text
            .lines()
            .map(|l| l.split('#').next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n"),
    ))
}

/// Splits a comma- or white-space-separated list (as `--exclude` takes) into entries.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn parse(spec: &str) -> Result<Item, TargetError> {
    let spec = spec.trim();
    let invalid = || TargetError::Invalid(spec.to_string());
    if spec.is_empty() {
        return Err(invalid());
    }
    let (host, prefix) = match spec.split_once('/') {
        Some((h, p)) => {
            let p: u8 = p.parse().map_err(|_| {
                if p.bytes().all(|b| b.is_ascii_digit()) {
                    TargetError::BadPrefix(spec.into())
                } else {
                    invalid()
                }
            })?;
            (h, Some(p))
        }
        None => (spec, None),
    };
    if let Ok(addr) = host.parse::<IpAddr>() {
        return net(addr, prefix, None, spec);
    }
    if host.contains(':') {
        return Err(invalid());
    }
    if is_octet_form(host) {
        if prefix.is_some() {
            return Err(invalid());
        }
        return octets(host).ok_or_else(|| TargetError::BadOctet(spec.to_string()));
    }
    if !is_host_name(host) {
        return Err(invalid());
    }
    let addr = resolve(host)?;
    net(addr, prefix, Some(host.to_string()), spec)
}

fn net(
    addr: IpAddr,
    prefix: Option<u8>,
    name: Option<String>,
    spec: &str,
) -> Result<Item, TargetError> {
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = prefix.unwrap_or(max);
    let n = IpNet::new(addr, len).map_err(|_| TargetError::BadPrefix(spec.to_string()))?;
    Ok(Item::Net(n.trunc(), name))
}

/// Four dot-separated parts made of digits, `-`, `,` and `*`, with at least one non-literal.
fn is_octet_form(host: &str) -> bool {
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit() || b"-,*".contains(&b)))
}

fn octets(host: &str) -> Option<Item> {
    let mut out: [Octet; 4] = Default::default();
    for (slot, part) in out.iter_mut().zip(host.split('.')) {
        for piece in part.split(',') {
            let range = match piece {
                "*" => (0, 255),
                p => match p.split_once('-') {
                    None => {
                        let v = p.parse().ok()?;
                        (v, v)
                    }
                    Some((a, b)) => (
                        if a.is_empty() { 0 } else { a.parse().ok()? },
                        if b.is_empty() { 255 } else { b.parse().ok()? },
                    ),
                },
            };
            if range.0 > range.1 {
                return None;
            }
            slot.push(range);
        }
    }
    Some(Item::Octets(Box::new(out)))
}

fn is_host_name(host: &str) -> bool {
    host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        && !host.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

/// Resolves once; prefers an IPv4 address as nmap does without `-6`.
fn resolve(name: &str) -> Result<IpAddr, TargetError> {
    let err = |detail: String| TargetError::Resolve {
        name: name.to_string(),
        detail,
    };
    let addrs: Vec<IpAddr> = (name, 0u16)
        .to_socket_addrs()
        .map_err(|e| err(e.to_string()))?
        .map(|sa| sa.ip())
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .ok_or_else(|| err("no addresses".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(specs: &[&str], ex: &[&str]) -> Vec<String> {
        TargetSet::build(specs, ex)
            .expect("valid")
            .iter()
            .map(|t| t.addr.to_string())
            .collect()
    }

    #[test]
    fn literals_and_blocks() {
        assert_eq!(hosts(&["127.0.0.1"], &[]), ["127.0.0.1"]);
        assert_eq!(hosts(&["::1"], &[]), ["::1"]);
        assert_eq!(
            hosts(&["198.18.0.5/30"], &[]),
            ["198.18.0.4", "198.18.0.5", "198.18.0.6", "198.18.0.7"]
        );
        assert_eq!(hosts(&["fd00::1/127"], &[]), ["fd00::", "fd00::1"]);
        assert_eq!(
            TargetSet::build(&["10.0.0.0/8"], &[])
                .expect("valid")
                .upper_bound(),
            1 << 24
        );
    }

    #[test]
    fn octet_ranges() {
        assert_eq!(
            hosts(&["198.18.0.1-3"], &[]),
            ["198.18.0.1", "198.18.0.2", "198.18.0.3"]
        );
        let v = hosts(&["10.0.0-3.*"], &[]);
        assert_eq!(v.len(), 4 * 256);
        assert_eq!(v[0], "10.0.0.0");
        assert_eq!(v[1023], "10.0.3.255");
        assert_eq!(hosts(&["10.0.1,3.7"], &[]), ["10.0.1.7", "10.0.3.7"]);
        assert_eq!(
            hosts(&["10.0.0.-2"], &[]),
            ["10.0.0.0", "10.0.0.1", "10.0.0.2"]
        );
    }

    #[test]
    fn exclusions_and_names() {
        assert_eq!(
            hosts(&["198.18.0.0/30"], &["198.18.0.1", "198.18.0.2/31"]),
            ["198.18.0.0"]
        );
        let t = TargetSet::build(&["localhost"], &[]).expect("localhost resolves");
        let first = t.iter().next().expect("one host");
        assert!(first.addr.is_loopback());
        assert_eq!(first.hostname.as_deref(), Some("localhost"));
        assert!(matches!(
            TargetSet::build(&["127.0.0.1"], &["127.0.0.0/8"]),
            Err(TargetError::Empty)
        ));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "300.1.1.1",
            "1.2.3.4/33",
            "::1/129",
            "10.0.0.5-1",
            "10.0.0.256-300",
            "1.2.3",
            "a..b",
            "-host",
            "1.2.3.4/x",
            "fe80:::1",
            "10.0.*.1/24",
            "host name",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
