//! Scopes: the addresses an audit is allowed to probe (`[scope]` in a profile, `--scope`).
//!
//! A scope is a list of allowed entries and a list of denied ones, written as targets are
//! (addresses, CIDR blocks, IPv4 octet ranges, host names). A scan may start only when every
//! target left after the exclusions lies in an allowed entry and in no denied one. The check
//! never enumerates the targets: the targets outside `allow` are the targets with `allow`
//! added to their exclusions, found by the same jumping iteration that finds the first host
//! of a huge, mostly excluded block; the denied ones are the intersections of each target
//! entry with each denied entry (blocks nest or are disjoint, octet ranges intersect octet by
//! octet), minus the exclusions. So `0.0.0.0/0` or an IPv6 /64 costs a few steps.
//!
//! A denied host name counts with every address it resolves to; an allowed one with every
//! address too (a target given by any of them is allowed).

use crate::target::{is_host_name, is_octet_form, net, parse, Exclusions, Item, Octet, Target};
use crate::target::{TargetError, TargetSet};
use ipnet::IpNet;
use std::net::{IpAddr, ToSocketAddrs};

/// Why a target is out of scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outside {
    /// In no allowed entry.
    NotAllowed,
    /// In a denied entry.
    Denied,
}

/// A parsed scope.
#[derive(Debug, Clone)]
pub struct Scope {
    allow: Vec<Item>,
    deny: Vec<Item>,
}

/// An entry's host part and prefix, and whether it is a host name (resolved when the scope
/// is built) rather than an address, block or octet range (checked by the target parser).
fn split(spec: &str) -> (&str, Option<&str>, bool) {
    let (host, prefix) = match spec.split_once('/') {
        Some((h, p)) => (h, Some(p)),
        None => (spec, None),
    };
    let literal = host.parse::<IpAddr>().is_ok() || host.contains(':') || is_octet_form(host);
    (host, prefix, !literal && is_host_name(host))
}

/// Parses one scope entry; a host name gives one entry per address it resolves to.
fn entries(spec: &str) -> Result<Vec<Item>, TargetError> {
    let spec = spec.trim();
    let (host, prefix, name) = split(spec);
    if !name {
        return Ok(vec![parse(spec)?]);
    }
    let prefix = match prefix {
        None => None,
        Some(p) => Some(
            p.parse::<u8>()
                .map_err(|_| TargetError::BadPrefix(spec.to_string()))?,
        ),
    };
    let addrs: Vec<IpAddr> = (host, 0u16)
        .to_socket_addrs()
        .map_err(|e| TargetError::Resolve {
            name: host.to_string(),
            detail: e.to_string(),
        })?
        .map(|sa| sa.ip())
        .collect();
    if addrs.is_empty() {
        return Err(TargetError::Resolve {
            name: host.to_string(),
            detail: "no addresses".to_string(),
        });
    }
    addrs
        .into_iter()
        .map(|a| net(a, prefix, None, spec))
        .collect()
}

/// An IPv4 block as an octet-range product (every CIDR block is one).
fn v4_octets(n: &ipnet::Ipv4Net) -> [Octet; 4] {
    let lo = n.network().octets();
    let hi = n.broadcast().octets();
    [0, 1, 2, 3].map(|i| vec![(lo[i], hi[i])])
}

/// The ranges both octet range lists contain.
fn intersect_octet(a: &Octet, b: &Octet) -> Octet {
    let mut out = Vec::new();
    for &(alo, ahi) in a {
        for &(blo, bhi) in b {
            let (lo, hi) = (alo.max(blo), ahi.min(bhi));
            if lo <= hi {
                out.push((lo, hi));
            }
        }
    }
    out
}

/// The addresses two entries share, as one entry, or `None` when they share none.
fn intersect(a: &Item, b: &Item) -> Option<Item> {
    let octets = |i: &Item| -> Option<[Octet; 4]> {
        match i {
            Item::Net(IpNet::V4(n), _) => Some(v4_octets(n)),
            Item::Octets(o) => Some((**o).clone()),
            Item::Net(IpNet::V6(_), _) => None,
        }
    };
    match (a, b) {
        (Item::Net(IpNet::V6(x), _), Item::Net(IpNet::V6(y), _)) => {
            if x.contains(y) {
                Some(b.clone())
            } else if y.contains(x) {
                Some(a.clone())
            } else {
                None
            }
        }
        _ => {
            let (x, y) = (octets(a)?, octets(b)?);
            let both: [Octet; 4] = [0, 1, 2, 3].map(|i| intersect_octet(&x[i], &y[i]));
            both.iter()
                .all(|o| !o.is_empty())
                .then(|| Item::Octets(Box::new(both)))
        }
    }
}

impl Scope {
    /// Checks one entry's syntax without resolving anything: an address, block or octet range
    /// as targets take them, or a well-formed host name (with an optional prefix).
    pub fn check_entry(spec: &str) -> Result<(), TargetError> {
        let spec = spec.trim();
        let (_, prefix, name) = split(spec);
        if !name {
            return parse(spec).map(|_| ());
        }
        match prefix.map(str::parse::<u8>) {
            Some(Err(_)) => Err(TargetError::BadPrefix(spec.to_string())),
            Some(Ok(p)) if p > 128 => Err(TargetError::BadPrefix(spec.to_string())),
            _ => Ok(()),
        }
    }

    /// Whether the entry `outer` covers every address of `inner`, for two address, block or
    /// octet-range entries (host names are never compared: they resolve only at scan time).
    /// A profile uses it to refuse a `deny` entry that leaves an `allow` entry nothing.
    pub fn covers(outer: &str, inner: &str) -> bool {
        let literal = |s: &str| {
            let host = s.trim().split('/').next().unwrap_or("");
            host.parse::<IpAddr>().is_ok() || is_octet_form(host)
        };
        if !literal(outer) || !literal(inner) {
            return false;
        }
        match (parse(outer), parse(inner)) {
            (Ok(o), Ok(i)) => intersect(&o, &i).is_some_and(|both| both.count() == i.count()),
            _ => false,
        }
    }

    /// Parses the allowed and denied entries, resolving host names (every address).
    pub fn build<S: AsRef<str>>(allow: &[S], deny: &[S]) -> Result<Scope, TargetError> {
        let list = |specs: &[S]| -> Result<Vec<Item>, TargetError> {
            let mut out = Vec::new();
            for s in specs {
                out.extend(entries(s.as_ref())?);
            }
            Ok(out)
        };
        Ok(Scope {
            allow: list(allow)?,
            deny: list(deny)?,
        })
    }

    /// Whether one address is in scope.
    pub fn contains(&self, addr: IpAddr) -> bool {
        self.allow.iter().any(|i| i.contains(addr)) && !self.deny.iter().any(|i| i.contains(addr))
    }

    /// The first target of `targets` (exclusions removed) that is out of scope, and why:
    /// first any target in no allowed entry, then any in a denied one.
    pub fn first_outside(&self, targets: &TargetSet) -> Option<(Target, Outside)> {
        let mut ex = targets.exclude_items.clone();
        ex.extend(self.allow.iter().cloned());
        let not_allowed = TargetSet {
            include: targets.include.clone(),
            exclude: Exclusions::new(ex),
            exclude_items: Vec::new(),
        };
        if let Some(t) = not_allowed.iter().next() {
            return Some((t, Outside::NotAllowed));
        }
        for item in &targets.include {
            for d in &self.deny {
                let Some(both) = intersect(item, d) else {
                    continue;
                };
                let denied = TargetSet {
                    include: vec![both],
                    exclude: targets.exclude.clone(),
                    exclude_items: Vec::new(),
                };
                let found = denied.iter().next();
                if let Some(mut t) = found {
                    if let Item::Net(n, Some(name)) = item {
                        if n.prefix_len() == n.max_prefix_len() {
                            t.hostname = Some(name.clone());
                        }
                    }
                    return Some((t, Outside::Denied));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(
        allow: &[&str],
        deny: &[&str],
        targets: &[&str],
        ex: &[&str],
    ) -> Option<(String, Outside)> {
        let scope = Scope::build(allow, deny).expect("scope");
        let set = TargetSet::build(targets, ex).expect("targets");
        scope
            .first_outside(&set)
            .map(|(t, why)| (t.addr.to_string(), why))
    }

    #[test]
    fn targets_inside_allow_pass() {
        assert_eq!(
            first(
                &["198.18.0.0/15"],
                &[],
                &["198.18.0.1", "198.19.0.0/16"],
                &[]
            ),
            None
        );
        assert_eq!(first(&["198.18.0.*"], &[], &["198.18.0.0/24"], &[]), None);
        assert_eq!(first(&["fd00::/8"], &[], &["fd00:5ca0::/64"], &[]), None);
        assert_eq!(
            first(
                &["198.18.0.0/25", "198.18.0.128/25"],
                &[],
                &["198.18.0.0/24"],
                &[]
            ),
            None,
            "two halves cover the whole"
        );
    }

    #[test]
    fn the_first_target_outside_allow_is_named() {
        assert_eq!(
            first(
                &["198.18.0.0/24"],
                &[],
                &["198.18.0.250-255", "198.18.1.0/24"],
                &[]
            ),
            Some(("198.18.1.0".into(), Outside::NotAllowed))
        );
        assert_eq!(
            first(
                &["198.18.0.0/24"],
                &[],
                &["198.18.0.0/23"],
                &["198.18.1.0/25"]
            ),
            Some(("198.18.1.128".into(), Outside::NotAllowed)),
            "exclusions only remove targets"
        );
        assert_eq!(
            first(&["198.18.0.0/24"], &[], &["fd00::1"], &[]),
            Some(("fd00::1".into(), Outside::NotAllowed)),
            "the other family is outside"
        );
        assert_eq!(
            first(&["fd00::/64"], &[], &["fd00::/63"], &[]),
            Some(("fd00:0:0:1::".into(), Outside::NotAllowed))
        );
    }

    #[test]
    fn denied_targets_are_found_without_enumerating() {
        assert_eq!(
            first(&["0.0.0.0/0"], &["10.0.0.0/8"], &["0.0.0.0/0"], &[]),
            Some(("10.0.0.0".into(), Outside::Denied))
        );
        assert_eq!(
            first(
                &["0.0.0.0/0"],
                &["10.0.0.0/8"],
                &["0.0.0.0/0"],
                &["10.0.0.0/9"]
            ),
            Some(("10.128.0.0".into(), Outside::Denied))
        );
        assert_eq!(
            first(
                &["0.0.0.0/0"],
                &["10.0.0.0/8"],
                &["0.0.0.0/0"],
                &["10.0.0.0/8"]
            ),
            None,
            "the denied part is excluded"
        );
        assert_eq!(
            first(&["::/0"], &["fd00::5"], &["fd00::/64"], &[]),
            Some(("fd00::5".into(), Outside::Denied))
        );
        assert_eq!(
            first(&["198.18.0.0/16"], &["198.18.*.7"], &["198.18.3.0/24"], &[]),
            Some(("198.18.3.7".into(), Outside::Denied)),
            "octet ranges intersect blocks"
        );
        assert_eq!(
            first(
                &["198.18.0.0/16"],
                &["198.18.*.7"],
                &["198.18.3.1-6,8-255"],
                &[]
            ),
            None
        );
    }

    #[test]
    fn covering_entries() {
        assert!(Scope::covers("198.18.0.0/24", "198.18.0.7"));
        assert!(Scope::covers("198.18.0.0/24", "198.18.0.0/25"));
        assert!(Scope::covers("198.18.0.*", "198.18.0.1-20"));
        assert!(Scope::covers("fd00::/8", "fd00:5ca0::/64"));
        assert!(
            !Scope::covers("198.18.0.0/25", "198.18.0.0/24"),
            "only half"
        );
        assert!(!Scope::covers("198.18.0.1-20", "198.18.0.0/24"));
        assert!(!Scope::covers("fd00::/64", "198.18.0.1"), "other family");
        assert!(
            !Scope::covers("localhost", "127.0.0.1"),
            "names are not compared"
        );
    }

    #[test]
    fn contains_and_bad_entries() {
        let s = Scope::build(&["198.18.0.0/24"], &["198.18.0.9"]).expect("scope");
        let ip = |a: &str| a.parse::<IpAddr>().expect("ip");
        assert!(s.contains(ip("198.18.0.8")));
        assert!(!s.contains(ip("198.18.0.9")));
        assert!(!s.contains(ip("198.18.1.8")));
        assert!(Scope::build(&["198.18.0.0/33"], &[] as &[&str]).is_err());
        assert!(Scope::build(&["not a target"], &[] as &[&str]).is_err());
        assert!(
            Scope::build(&["localhost"], &[] as &[&str]).is_ok(),
            "names resolve"
        );
    }
}
