//! Target specifications as nmap users write them.
//!
//! Accepted forms: IPv4 and IPv6 literals, CIDR blocks for both families (network and broadcast
//! addresses included, as nmap does), nmap octet ranges (`198.18.0.1-20`, `10.0.0-3.*`,
//! `10.0.1,3.1`), host names (resolved once, when the target list is built; `name/24` works too),
//! target files (`-iL`) and exclusions. Addresses are produced lazily, so a large block costs no
//! memory, and excluded runs of addresses are jumped over (one step per merged run of excluded
//! blocks, per octet-range exclusion), so a large excluded part costs no time: whether anything
//! is left to scan is known before the scan at any size.

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
pub(crate) type Octet = Vec<(u8, u8)>;

/// One target or exclusion entry: a block (with the host name it came from, if any) or an
/// IPv4 octet-range product.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    Net(IpNet, Option<String>),
    Octets(Box<[Octet; 4]>),
}

impl Item {
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
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

    pub(crate) fn count(&self) -> u128 {
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

    /// Where iteration over this block starts.
    fn cursor(&self) -> Cursor<'_> {
        match self {
            Item::Net(net, name) => {
                let (pos, end) = match net {
                    IpNet::V4(n) => (
                        u128::from(u32::from(n.network())),
                        u128::from(u32::from(n.broadcast())),
                    ),
                    IpNet::V6(n) => (u128::from(n.network()), u128::from(n.broadcast())),
                };
                Cursor::Net {
                    v6: net.addr().is_ipv6(),
                    pos,
                    end,
                    name: (net.prefix_len() == net.max_prefix_len())
                        .then_some(name.as_ref())
                        .flatten(),
                    done: false,
                }
            }
            Item::Octets(o) => Cursor::Octets {
                o,
                ri: [0; 4],
                v: [o[0][0].0, o[1][0].0, o[2][0].0, o[3][0].0],
                done: false,
            },
        }
    }

    /// As an octet exclusion containing `ip`: the last address (as a number) of an interval
    /// of excluded addresses that contains `ip`.
    fn excluded_through(&self, ip: Ipv4Addr) -> Option<u128> {
        let (k, hi) = self.excluded_block(ip)?;
        let mut last = ip.octets();
        last[k] = hi;
        last[k + 1..].fill(255);
        Some(u128::from(u32::from(Ipv4Addr::from(last))))
    }

    /// As an octet exclusion containing `ip`: an octet `k` and value `hi >= ip[k]` such that
    /// every address with `ip`'s octets before `k`, octet `k` in `ip[k]..=hi` and any later
    /// octets is excluded. The exclusion must be [`normalized`](Item::normalized).
    fn excluded_block(&self, ip: Ipv4Addr) -> Option<(usize, u8)> {
        let b = ip.octets();
        match self {
            Item::Octets(o) if self.contains(IpAddr::V4(ip)) => {
                // The last octet that is not all of 0-255 (octet 0 if every one is).
                let k = (0..4)
                    .rev()
                    .find(|&i| o[i].as_slice() != [(0, 255)])
                    .unwrap_or(0);
                let hi = o[k]
                    .iter()
                    .find(|&&(lo, hi)| (lo..=hi).contains(&b[k]))
                    .map_or(b[k], |&(_, hi)| hi);
                Some((k, hi))
            }
            _ => None,
        }
    }

    /// The same set with each octet's ranges sorted and merged (the order of an exclusion's
    /// ranges does not matter; merged ranges make [`excluded_block`](Item::excluded_block)
    /// jump as far as possible).
    fn normalized(self) -> Item {
        match self {
            Item::Octets(mut o) => {
                for ranges in o.iter_mut() {
                    normalize_ranges(ranges);
                }
                Item::Octets(o)
            }
            net => net,
        }
    }
}

/// The exclusions of a set, prepared for jumping: blocks merged into sorted, disjoint,
/// non-adjacent ranges per family (looked up by binary search, so adjacent or overlapping
/// blocks are one jump and many exclusions cost no scan), octet ranges kept as given.
#[derive(Debug, Clone, Default)]
pub(crate) struct Exclusions {
    v4: Vec<(u128, u128)>,
    v6: Vec<(u128, u128)>,
    octets: Vec<Item>,
}

impl Exclusions {
    pub(crate) fn new(items: Vec<Item>) -> Exclusions {
        let mut ex = Exclusions::default();
        for item in items {
            match item {
                Item::Net(IpNet::V4(n), _) => ex.v4.push((
                    u128::from(u32::from(n.network())),
                    u128::from(u32::from(n.broadcast())),
                )),
                Item::Net(IpNet::V6(n), _) => ex
                    .v6
                    .push((u128::from(n.network()), u128::from(n.broadcast()))),
                octets => ex.octets.push(octets.normalized()),
            }
        }
        ex.octets = merge_octets(std::mem::take(&mut ex.octets));
        // Octet ranges that are one interval (`10.0.0.*`, `10.0.1-3.*`) join the blocks.
        ex.octets.retain(|item| match octets_interval(item) {
            Some(range) => {
                ex.v4.push(range);
                false
            }
            None => true,
        });
        for ranges in [&mut ex.v4, &mut ex.v6] {
            ranges.sort_unstable();
            let mut merged: Vec<(u128, u128)> = Vec::with_capacity(ranges.len());
            for &(lo, hi) in ranges.iter() {
                match merged.last_mut() {
                    Some(last) if last.1 == u128::MAX || lo <= last.1 + 1 => {
                        last.1 = last.1.max(hi);
                    }
                    _ => merged.push((lo, hi)),
                }
            }
            *ranges = merged;
        }
        ex
    }

    /// The merged range of excluded blocks containing `x` (a number of `ip`'s family).
    fn range(&self, ip: IpAddr) -> Option<(u128, u128)> {
        let (ranges, x) = match ip {
            IpAddr::V4(a) => (&self.v4, u128::from(u32::from(a))),
            IpAddr::V6(a) => (&self.v6, u128::from(a)),
        };
        let i = ranges.partition_point(|&(lo, _)| lo <= x);
        ranges[..i].last().copied().filter(|&(_, hi)| hi >= x)
    }

    fn contains(&self, ip: IpAddr) -> bool {
        self.range(ip).is_some() || self.octets.iter().any(|e| e.contains(ip))
    }

    /// If `ip` is excluded: the last address (as a number) of an excluded run containing it.
    fn run_end(&self, ip: IpAddr) -> Option<u128> {
        if let Some((_, hi)) = self.range(ip) {
            return Some(hi);
        }
        match ip {
            IpAddr::V4(a) => self.octets.iter().find_map(|e| e.excluded_through(a)),
            IpAddr::V6(_) => None,
        }
    }

    /// If the IPv4 address `ip` is excluded: an octet `k` and value `hi >= ip[k]` such that
    /// every address with `ip`'s octets before `k`, octet `k` in `ip[k]..=hi` and any later
    /// octets is excluded (as large a block as one exclusion allows).
    fn block(&self, ip: Ipv4Addr) -> Option<(usize, u8)> {
        if let Some((lo, hi)) = self.range(IpAddr::V4(ip)) {
            // A V4 range's numbers never exceed u32::MAX.
            return Some(block_in_range(u32::from(ip), lo as u32, hi as u32));
        }
        self.octets.iter().find_map(|e| e.excluded_block(ip))
    }
}

/// Merges octet exclusions that differ in one octet only into one (`*.*.*.1` and `*.*.*.2`
/// become `*.*.*.1-2`), until none can be merged: their union is the same set, and every jump
/// over it is as long as one exclusion allows. Items must be normalized; the results are.
fn merge_octets(items: Vec<Item>) -> Vec<Item> {
    use std::collections::HashMap;
    let mut items: Vec<[Octet; 4]> = items
        .into_iter()
        .filter_map(|i| match i {
            Item::Octets(o) => Some(*o),
            Item::Net(..) => None,
        })
        .collect();
    loop {
        let before = items.len();
        for d in 0..4 {
            let mut groups: HashMap<Vec<Octet>, usize> = HashMap::new();
            let mut merged: Vec<[Octet; 4]> = Vec::with_capacity(items.len());
            for o in items {
                let key: Vec<Octet> = (0..4).filter(|&i| i != d).map(|i| o[i].clone()).collect();
                match groups.get(&key) {
                    Some(&at) => {
                        merged[at][d].extend_from_slice(&o[d]);
                        normalize_ranges(&mut merged[at][d]);
                    }
                    None => {
                        groups.insert(key, merged.len());
                        merged.push(o);
                    }
                }
            }
            items = merged;
        }
        if items.len() == before {
            break;
        }
    }
    items
        .into_iter()
        .map(|o| Item::Octets(Box::new(o)))
        .collect()
}

/// A normalized octet item that is one interval of addresses: single values, then one range,
/// then full octets (`10.0.0.*`, `10.0.1-3.*`, `10.0.0.5-9`).
fn octets_interval(item: &Item) -> Option<(u128, u128)> {
    let Item::Octets(o) = item else {
        return None;
    };
    let k = (0..4)
        .rev()
        .find(|&i| o[i].as_slice() != [(0, 255)])
        .unwrap_or(0);
    if o[k].len() != 1 || (0..k).any(|i| o[i].len() != 1 || o[i][0].0 != o[i][0].1) {
        return None;
    }
    let mut lo = [0u8; 4];
    let mut hi = [255u8; 4];
    for i in 0..k {
        lo[i] = o[i][0].0;
        hi[i] = o[i][0].0;
    }
    lo[k] = o[k][0].0;
    hi[k] = o[k][0].1;
    let num = |b: [u8; 4]| u128::from(u32::from(Ipv4Addr::from(b)));
    Some((num(lo), num(hi)))
}

/// For `x` in `lo..=hi`: the smallest octet `k` and the largest value `h >= x[k]` such that
/// every address with `x`'s octets before `k`, octet `k` in `x[k]..=h` and any later octets is
/// within `lo..=hi` (octet 3 always qualifies, with `h >= x[3]`).
fn block_in_range(x: u32, lo: u32, hi: u32) -> (usize, u8) {
    let (x, lo, hi) = (u64::from(x), u64::from(lo), u64::from(hi));
    for k in 0..4usize {
        let shift = 8 * (3 - k as u32); // bits of the octets after k
        let below = (1u64 << shift) - 1;
        let xk = (x >> shift) & 0xff;
        if x & !below < lo {
            continue; // the block would start before the range
        }
        let h = if hi >> (shift + 8) == x >> (shift + 8) {
            // The range ends inside this prefix: up to its octet k, or one less when its later
            // octets do not reach their end.
            let hk = (hi >> shift) & 0xff;
            if hi & below == below {
                hk
            } else if hk > xk {
                hk - 1
            } else {
                continue;
            }
        } else {
            255
        };
        if h >= xk {
            return (k, h as u8);
        }
    }
    // Not reached: at octet 3 the block is `x` itself, inside the range.
    (3, (x & 0xff) as u8)
}

/// Sorts one octet's ranges and merges those that overlap or touch.
fn normalize_ranges(ranges: &mut Octet) {
    ranges.sort_unstable();
    let mut merged: Octet = Vec::with_capacity(ranges.len());
    for &(lo, hi) in ranges.iter() {
        match merged.last_mut() {
            Some(last) if u16::from(lo) <= u16::from(last.1) + 1 => {
                last.1 = last.1.max(hi);
            }
            _ => merged.push((lo, hi)),
        }
    }
    *ranges = merged;
}

/// A position inside one included block.
enum Cursor<'a> {
    /// The addresses `pos..=end` of a block (as numbers of its family).
    Net {
        v6: bool,
        pos: u128,
        end: u128,
        name: Option<&'a String>,
        done: bool,
    },
    /// An octet range: per octet the index of the current range and the current value.
    Octets {
        o: &'a [Octet; 4],
        ri: [usize; 4],
        v: [u8; 4],
        done: bool,
    },
}

impl Cursor<'_> {
    /// The next address not excluded. An excluded run of addresses is jumped over in one step
    /// (per exclusion that covers part of it), never address by address.
    fn next(&mut self, exclude: &Exclusions) -> Option<Target> {
        match self {
            Cursor::Net {
                v6,
                pos,
                end,
                name,
                done,
            } => loop {
                if *done {
                    return None;
                }
                let x = *pos;
                let addr = if *v6 {
                    IpAddr::V6(x.into())
                } else {
                    // A V4 block's numbers never exceed u32::MAX.
                    IpAddr::V4(Ipv4Addr::from(x as u32))
                };
                match exclude.run_end(addr) {
                    Some(last) => {
                        if last >= *end {
                            *done = true;
                        } else {
                            *pos = last + 1;
                        }
                    }
                    None => {
                        if x >= *end {
                            *done = true;
                        } else {
                            *pos = x + 1;
                        }
                        return Some(Target {
                            addr,
                            hostname: name.cloned(),
                        });
                    }
                }
            },
            Cursor::Octets { o, ri, v, done } => loop {
                if *done {
                    return None;
                }
                let ip = Ipv4Addr::from(*v);
                match exclude.block(ip) {
                    Some((k, hi)) => {
                        v[k] = hi.min(o[k][ri[k]].1);
                        *done = !step(o, ri, v, k);
                    }
                    None => {
                        *done = !step(o, ri, v, 3);
                        return Some(Target {
                            addr: IpAddr::V4(ip),
                            hostname: None,
                        });
                    }
                }
            },
        }
    }
}

/// Moves an octet-range position past every position that shares its octets up to `level`
/// (in iteration order: later octets vary fastest, each octet's ranges in the order given).
/// Returns false when none is left.
fn step(o: &[Octet; 4], ri: &mut [usize; 4], v: &mut [u8; 4], level: usize) -> bool {
    for j in (0..=level).rev() {
        let advanced = if v[j] < o[j][ri[j]].1 {
            v[j] += 1;
            true
        } else if ri[j] + 1 < o[j].len() {
            ri[j] += 1;
            v[j] = o[j][ri[j]].0;
            true
        } else {
            false
        };
        if advanced {
            for i in j + 1..4 {
                ri[i] = 0;
                v[i] = o[i][0].0;
            }
            return true;
        }
    }
    false
}

/// Iterator over a [`TargetSet`].
struct Iter<'a> {
    set: &'a TargetSet,
    next_item: usize,
    cur: Option<Cursor<'a>>,
}

impl Iterator for Iter<'_> {
    type Item = Target;

    fn next(&mut self) -> Option<Target> {
        loop {
            if let Some(t) = self.cur.as_mut()?.next(&self.set.exclude) {
                return Some(t);
            }
            self.cur = self.set.include.get(self.next_item).map(Item::cursor);
            self.next_item += 1;
        }
    }
}

/// The hosts of a scan: targets minus exclusions, produced lazily in the order given.
#[derive(Debug, Clone, Default)]
pub struct TargetSet {
    pub(crate) include: Vec<Item>,
    pub(crate) exclude: Exclusions,
    /// The exclusion entries as given (for [`Scope`](crate::scope::Scope) checks).
    pub(crate) exclude_items: Vec<Item>,
}

impl TargetSet {
    /// Builds the set, resolving host names once. Fails on any malformed entry, and when
    /// nothing remains to scan (found without enumerating the set, see
    /// [`is_empty`](TargetSet::is_empty)).
    pub fn build<S: AsRef<str>>(targets: &[S], excludes: &[S]) -> Result<TargetSet, TargetError> {
        let include = targets
            .iter()
            .map(|s| parse(s.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let exclude = excludes
            .iter()
            .map(|s| parse(s.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let set = TargetSet {
            include,
            exclude: Exclusions::new(exclude.clone()),
            exclude_items: exclude,
        };
        if set.is_empty() {
            return Err(TargetError::Empty);
        }
        Ok(set)
    }

    /// Hosts to scan, in the order given, exclusions removed. Excluded runs of addresses are
    /// skipped in one step each (per exclusion, and per octet range of an octet target), so a
    /// block whose huge part is excluded costs no time for that part.
    pub fn iter(&self) -> impl Iterator<Item = Target> + Send + '_ {
        Iter {
            set: self,
            next_item: 1,
            cur: self.include.first().map(Item::cursor),
        }
    }

    /// Whether nothing is left to scan after the exclusions. Costs one step per excluded run
    /// before the first host left (never one per address): `fd00::/64` minus itself, or
    /// `0.0.0.0/0` minus itself, is one step.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// Number of hosts before exclusions (an upper bound; saturating).
    pub fn upper_bound(&self) -> u128 {
        self.include
            .iter()
            .fold(0u128, |acc, i| acc.saturating_add(i.count()))
    }

    /// Whether `addr` is excluded.
    pub fn is_excluded(&self, addr: IpAddr) -> bool {
        self.exclude.contains(addr)
    }

    /// Whether `addr` is one of the hosts of the set (in a target entry, not excluded).
    pub fn contains(&self, addr: IpAddr) -> bool {
        self.include.iter().any(|i| i.contains(addr)) && !self.exclude.contains(addr)
    }
}

/// The largest target or exclusion file read, in bytes (64 MiB: millions of entries). A larger
/// file (or an endless one such as `/dev/zero`) is refused, and only this much of it is read.
pub const MAX_TARGET_FILE: u64 = 64 << 20;

/// Reads a target or exclusion file: entries separated by white space or commas, `#` comments.
/// At most [`MAX_TARGET_FILE`] bytes are read; a larger file is an error naming the limit.
pub fn read_target_file(path: &Path) -> Result<Vec<String>, TargetError> {
    let err = |detail: String| TargetError::File {
        path: path.display().to_string(),
        detail,
    };
    let text = read_bounded(path, MAX_TARGET_FILE).map_err(|e| match e {
        Bounded::Io(e) => err(e.to_string()),
        Bounded::TooLarge => err(format!(
            "it is larger than {} MiB, the limit for target files",
            MAX_TARGET_FILE >> 20
        )),
    })?;
    Ok(split_list(
        &text
            .lines()
            .map(|l| l.split('#').next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n"),
    ))
}

/// Why [`read_bounded`] failed.
#[derive(Debug)]
pub enum Bounded {
    /// The file could not be opened or read, or is not UTF-8.
    Io(std::io::Error),
    /// The file holds more than the limit.
    TooLarge,
}

/// Reads a UTF-8 text file of at most `limit` bytes, reading no more than `limit + 1` bytes
/// whatever the file is (an endless device, a huge file).
pub fn read_bounded(path: &Path, limit: u64) -> Result<String, Bounded> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(Bounded::Io)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(Bounded::Io)?;
    if bytes.len() as u64 > limit {
        return Err(Bounded::TooLarge);
    }
    String::from_utf8(bytes).map_err(|_| {
        Bounded::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ))
    })
}

/// Splits a comma- or white-space-separated list (as `--exclude` takes) into entries.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

pub(crate) fn parse(spec: &str) -> Result<Item, TargetError> {
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

pub(crate) fn net(
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
pub(crate) fn is_octet_form(host: &str) -> bool {
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

pub(crate) fn is_host_name(host: &str) -> bool {
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

    fn set(specs: &[&str], ex: &[&str]) -> TargetSet {
        let exclude: Vec<Item> = ex.iter().map(|s| parse(s).expect("valid")).collect();
        TargetSet {
            include: specs.iter().map(|s| parse(s).expect("valid")).collect(),
            exclude: Exclusions::new(exclude.clone()),
            exclude_items: exclude,
        }
    }

    #[test]
    fn huge_blocks_minus_themselves_are_empty_at_once() {
        for (inc, ex) in [
            (&["fd5f:5ca9::/64"][..], &["fd5f:5ca9::/64"][..]),
            (&["0.0.0.0/0"], &["0.0.0.0/0"]),
            (&["::/0"], &["::/0"]),
            (&["10.0.0.0/8"], &["10.0.0.0/9", "10.128.0.0/9"]),
            (&["*.*.*.*"], &["0.0.0.0/0"]),
            (&["0.0.0.0/0"], &["*.*.*.*"]),
            (&["10.0.0.0/8"], &["10.*.*.*"]),
            (&["10.*.*.*"], &["10.0-127.*.*", "10.128-255.*.*"]),
        ] {
            let t = set(inc, ex);
            assert!(t.is_empty(), "{inc:?} minus {ex:?}");
            assert!(t.iter().next().is_none());
            assert!(matches!(TargetSet::build(inc, ex), Err(TargetError::Empty)));
        }
        assert!(!set(&["0.0.0.0/0"], &["0.0.0.0/1"]).is_empty());
    }

    #[test]
    fn a_huge_excluded_part_is_jumped_over() {
        // 127.0.0.1, then a /64 excluded entirely: the iterator ends at once instead of
        // spinning through 2^64 addresses.
        let t = set(&["127.0.0.1", "fd5f:5ca9::/64"], &["fd5f:5ca9::/64"]);
        assert_eq!(
            t.iter().map(|t| t.addr.to_string()).collect::<Vec<_>>(),
            ["127.0.0.1"]
        );
        // A /64 minus all but its last two addresses.
        let t = set(
            &["fd00::/64"],
            &[
                "fd00::/65",
                "fd00::8000:0:0:0/66",
                "fd00::c000:0:0:0/67",
                "fd00::e000:0:0:0/68",
                "fd00::f000:0:0:0/69",
                "fd00::f800:0:0:0/70",
                "fd00::fc00:0:0:0/71",
                "fd00::fe00:0:0:0/72",
                "fd00::ff00:0:0:0/73",
                "fd00::ff80:0:0:0/74",
                "fd00::ffc0:0:0:0/75",
                "fd00::ffe0:0:0:0/76",
                "fd00::fff0:0:0:0/77",
                "fd00::fff8:0:0:0/78",
                "fd00::fffc:0:0:0/79",
                "fd00::fffe:0:0:0/80",
                "fd00::ffff:0:0:0/81",
                "fd00::ffff:8000:0:0/82",
                "fd00::ffff:c000:0:0/83",
                "fd00::ffff:e000:0:0/84",
                "fd00::ffff:f000:0:0/85",
                "fd00::ffff:f800:0:0/86",
                "fd00::ffff:fc00:0:0/87",
                "fd00::ffff:fe00:0:0/88",
                "fd00::ffff:ff00:0:0/89",
                "fd00::ffff:ff80:0:0/90",
                "fd00::ffff:ffc0:0:0/91",
                "fd00::ffff:ffe0:0:0/92",
                "fd00::ffff:fff0:0:0/93",
                "fd00::ffff:fff8:0:0/94",
                "fd00::ffff:fffc:0:0/95",
                "fd00::ffff:fffe:0:0/96",
                "fd00::ffff:ffff:0:0/97",
                "fd00::ffff:ffff:8000:0/98",
                "fd00::ffff:ffff:c000:0/99",
                "fd00::ffff:ffff:e000:0/100",
                "fd00::ffff:ffff:f000:0/101",
                "fd00::ffff:ffff:f800:0/102",
                "fd00::ffff:ffff:fc00:0/103",
                "fd00::ffff:ffff:fe00:0/104",
                "fd00::ffff:ffff:ff00:0/105",
                "fd00::ffff:ffff:ff80:0/106",
                "fd00::ffff:ffff:ffc0:0/107",
                "fd00::ffff:ffff:ffe0:0/108",
                "fd00::ffff:ffff:fff0:0/109",
                "fd00::ffff:ffff:fff8:0/110",
                "fd00::ffff:ffff:fffc:0/111",
                "fd00::ffff:ffff:fffe:0/112",
                "fd00::ffff:ffff:ffff:0/113",
                "fd00::ffff:ffff:ffff:8000/114",
                "fd00::ffff:ffff:ffff:c000/115",
                "fd00::ffff:ffff:ffff:e000/116",
                "fd00::ffff:ffff:ffff:f000/117",
                "fd00::ffff:ffff:ffff:f800/118",
                "fd00::ffff:ffff:ffff:fc00/119",
                "fd00::ffff:ffff:ffff:fe00/120",
                "fd00::ffff:ffff:ffff:ff00/121",
                "fd00::ffff:ffff:ffff:ff80/122",
                "fd00::ffff:ffff:ffff:ffc0/123",
                "fd00::ffff:ffff:ffff:ffe0/124",
                "fd00::ffff:ffff:ffff:fff0/125",
                "fd00::ffff:ffff:ffff:fff8/126",
                "fd00::ffff:ffff:ffff:fffc/127",
            ],
        );
        assert_eq!(
            t.iter().map(|t| t.addr.to_string()).collect::<Vec<_>>(),
            ["fd00::ffff:ffff:ffff:fffe", "fd00::ffff:ffff:ffff:ffff"]
        );
        // The whole IPv4 space minus everything but one address in its middle.
        let t = set(
            &["0.0.0.0/0"],
            &[
                "0.0.0.0/1",
                "129-255.*.*.*",
                "128.1-255.*.*",
                "128.0.1-255.*",
                "128.0.0.1-255",
            ],
        );
        assert_eq!(
            t.iter().map(|t| t.addr.to_string()).collect::<Vec<_>>(),
            ["128.0.0.0"]
        );
    }

    #[test]
    fn a_16_minus_its_middle() {
        // 10.0.0.0/16 minus its middle 32768 addresses (10.0.64.0-10.0.191.255, two /18s).
        let t = set(&["10.0.0.0/16"], &["10.0.64.0/18", "10.0.128.0/18"]);
        let v: Vec<Ipv4Addr> = t
            .iter()
            .map(|t| match t.addr {
                IpAddr::V4(a) => a,
                IpAddr::V6(_) => panic!("IPv6 from an IPv4 block"),
            })
            .collect();
        assert_eq!(v.len(), 32768);
        assert_eq!(v[0], Ipv4Addr::new(10, 0, 0, 0));
        assert_eq!(v[16383], Ipv4Addr::new(10, 0, 63, 255));
        assert_eq!(v[16384], Ipv4Addr::new(10, 0, 192, 0));
        assert_eq!(v[32767], Ipv4Addr::new(10, 0, 255, 255));
        assert!(v.windows(2).all(|w| w[0] < w[1]), "in order");
        // Its upper /17 excluded: the lower half is left.
        let t = set(&["10.0.0.0/16"], &["10.0.128.0/17"]);
        assert_eq!(t.iter().count(), 32768);
        assert_eq!(
            t.iter().last().map(|t| t.addr.to_string()).as_deref(),
            Some("10.0.127.255")
        );
        // The same middle as an octet range.
        let t = set(&["10.0.0.0/16"], &["10.0.64-191.*"]);
        assert_eq!(t.iter().count(), 32768);
        assert_eq!(
            t.iter().nth(16384).map(|t| t.addr.to_string()).as_deref(),
            Some("10.0.192.0")
        );
    }

    #[test]
    fn octet_ranges_with_exclusions() {
        // Exclusions by net and by octet range inside an octet target; the order given kept.
        assert_eq!(
            hosts(&["10.0.3,1.1-4"], &["10.0.3.2", "10.0.1.3-4"]),
            ["10.0.3.1", "10.0.3.3", "10.0.3.4", "10.0.1.1", "10.0.1.2"]
        );
        let v = hosts(
            &["10.0-3.*.*"],
            &["10.1.0.0/16", "10.2.*.0-254", "10.3.1-255.*"],
        );
        assert_eq!(v.len(), 65536 + 256 + 256);
        assert_eq!(v[65535], "10.0.255.255");
        assert_eq!(v[65536], "10.2.0.255");
        assert_eq!(v[65537], "10.2.1.255");
        assert_eq!(v[65536 + 255], "10.2.255.255");
        assert_eq!(v[65536 + 256], "10.3.0.0");
        assert_eq!(v.last().map(String::as_str), Some("10.3.0.255"));
        // Unsorted, overlapping exclusion ranges behave as their union.
        assert!(matches!(
            TargetSet::build(&["10.0.0.*"], &["10.0.0.200-255,0-99,100-150,150-199"]),
            Err(TargetError::Empty)
        ));
        assert_eq!(
            hosts(&["10.0.0.*"], &["10.0.0.200-255,0-99,101-150,150-199"]),
            ["10.0.0.100"]
        );
        // Duplicated include ranges are produced as given, as before.
        assert_eq!(hosts(&["10.0.0.1,1"], &[]), ["10.0.0.1", "10.0.0.1"]);
        // Agrees with per-address filtering.
        let inc = ["1-3,7,5.0,255.*.0-2,250-255"];
        let ex = [
            "2.*.*.*",
            "5.255.0-99.*",
            "7.0.*.1",
            "1.0.0.0/22",
            "3.255.128.0/17",
        ];
        let t = set(&inc, &ex);
        let all = set(&inc, &[]);
        let slow: Vec<Target> = all.iter().filter(|a| !t.is_excluded(a.addr)).collect();
        assert_eq!(t.iter().collect::<Vec<_>>(), slow);
        assert!(!slow.is_empty());
    }

    #[test]
    fn adjacent_exclusions_are_one_jump() {
        // A /64 minus the 65536 /80s it is made of: empty, found without 65536 scans of the
        // exclusion list per jump.
        let ex: Vec<String> = (0..65536u32)
            .map(|i| format!("fd00::{i:x}:0:0:0/80"))
            .collect();
        let ex: Vec<&str> = ex.iter().map(String::as_str).collect();
        let started = std::time::Instant::now();
        let t = set(&["fd00::/64"], &ex);
        assert!(t.is_empty());
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // Overlapping and adjacent blocks given in any order merge.
        let t = set(
            &["10.0.0.0/16", "10.1.0.0/30"],
            &[
                "10.0.128.0/17",
                "10.0.0.0/18",
                "10.0.64.0/18",
                "10.0.1.0/24",
                "10.1.0.0/31",
            ],
        );
        assert_eq!(
            t.iter().map(|t| t.addr.to_string()).collect::<Vec<_>>(),
            ["10.1.0.2", "10.1.0.3"]
        );
        // The top of the address space.
        let t = set(&["::/0"], &["::/1", "8000::/1"]);
        assert!(t.is_empty());
        let t = set(&["ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124"], &["::/0"]);
        assert!(t.is_empty());
        let t = set(&["255.255.255.0/24"], &["255.255.255.0/25"]);
        assert_eq!(t.iter().count(), 128);
        assert_eq!(
            t.iter().last().map(|t| t.addr.to_string()).as_deref(),
            Some("255.255.255.255")
        );
    }

    #[test]
    fn octet_exclusions_merge() {
        // 256 exclusions that together are everything: one jump, not 2^32 steps.
        let ex: Vec<String> = (0..256).map(|i| format!("*.*.*.{i}")).collect();
        let ex: Vec<&str> = ex.iter().map(String::as_str).collect();
        let started = std::time::Instant::now();
        assert!(set(&["0.0.0.0/0"], &ex).is_empty());
        assert!(set(&["*.*.*.*"], &ex).is_empty());
        let ex: Vec<String> = (0..256).map(|i| format!("{i}.*.*.0-127")).collect();
        let mut ex: Vec<&str> = ex.iter().map(String::as_str).collect();
        ex.push("*.*.*.128-255");
        assert!(set(&["0.0.0.0/0"], &ex).is_empty());
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // Octet ranges that are intervals join the blocks; others stay.
        let t = set(
            &["10.0.0.0/16"],
            &["10.0.0-127.*", "10.0.128.*", "10.0.129-255.0-254"],
        );
        assert!(t.exclude.octets.len() == 1 && t.exclude.v4.len() == 1);
        assert_eq!(
            t.exclude.v4[0],
            (u128::from(0x0a00_0000u32), u128::from(0x0a00_80ffu32))
        );
        assert_eq!(t.iter().count(), 127);
        assert_eq!(
            t.iter().next().map(|t| t.addr.to_string()).as_deref(),
            Some("10.0.129.255")
        );
    }

    #[test]
    fn block_in_range_is_the_largest_block() {
        let ip = |s: &str| u32::from(s.parse::<Ipv4Addr>().expect("ip"));
        let r = |x: &str, lo: &str, hi: &str| block_in_range(ip(x), ip(lo), ip(hi));
        assert_eq!(r("0.0.0.0", "0.0.0.0", "255.255.255.255"), (0, 255));
        // 10.0.*.*: octet 1 from 0 to 0, any later octets.
        assert_eq!(r("10.0.0.0", "10.0.0.0", "10.0.255.255"), (1, 0));
        assert_eq!(r("10.0.0.5", "10.0.0.0", "10.0.255.255"), (1, 0));
        assert_eq!(r("10.0.0.5", "10.0.0.1", "10.0.255.255"), (3, 255));
        assert_eq!(r("10.0.3.5", "10.0.0.1", "10.0.255.255"), (2, 255));
        assert_eq!(r("10.0.3.5", "10.0.3.1", "10.0.255.255"), (3, 255));
        assert_eq!(r("10.0.1.0", "10.0.0.0", "10.0.7.200"), (2, 6));
        assert_eq!(r("10.0.7.0", "10.0.0.0", "10.0.7.200"), (3, 200));
        assert_eq!(r("10.0.0.0", "10.0.0.0", "12.0.0.0"), (0, 11));
        assert_eq!(r("11.0.0.0", "10.0.0.0", "12.0.0.0"), (0, 11));
        assert_eq!(r("12.0.0.0", "10.0.0.0", "12.0.0.0"), (3, 0));
        assert_eq!(r("10.0.0.9", "10.0.0.9", "10.0.0.9"), (3, 9));
    }

    /// Random sets agree with per-address filtering (a small deterministic generator).
    #[test]
    fn jumping_agrees_with_filtering() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut rnd = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let octet = |rnd: &mut dyn FnMut(u64) -> u64, wide: bool| -> String {
            let n = 1 + rnd(3);
            (0..n)
                .map(|_| match rnd(if wide { 4 } else { 3 }) {
                    0 => rnd(4).to_string(),
                    1 => {
                        let a = rnd(4);
                        format!("{a}-{}", a + rnd(3))
                    }
                    2 if wide => "*".to_string(),
                    _ => format!("{}-{}", rnd(2), 2 + rnd(2)),
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        for round in 0..2000 {
            let mut inc = Vec::new();
            for _ in 0..1 + rnd(3) {
                inc.push(match rnd(3) {
                    0 => format!("10.{}.{}.0/{}", rnd(2), rnd(4), 22 + rnd(11)),
                    1 => format!(
                        "10.{}.{}.{}",
                        octet(&mut rnd, false),
                        octet(&mut rnd, false),
                        octet(&mut rnd, false)
                    ),
                    _ => format!("fd00::{:x}:0/{}", rnd(4), 118 + rnd(11)),
                });
            }
            let mut ex = Vec::new();
            for _ in 0..rnd(6) {
                ex.push(match rnd(3) {
                    0 => format!("10.{}.{}.{}/{}", rnd(2), rnd(4), rnd(256), 14 + rnd(19)),
                    1 => format!(
                        "{}.{}.{}.{}",
                        10,
                        octet(&mut rnd, true),
                        octet(&mut rnd, true),
                        octet(&mut rnd, true)
                    ),
                    _ => format!("fd00::{:x}:{:x}/{}", rnd(4), rnd(1024), 112 + rnd(17)),
                });
            }
            let inc: Vec<&str> = inc.iter().map(String::as_str).collect();
            let ex: Vec<&str> = ex.iter().map(String::as_str).collect();
            let t = set(&inc, &ex);
            let all = set(&inc, &[]);
            let slow: Vec<Target> = all.iter().filter(|a| !t.is_excluded(a.addr)).collect();
            let slow_ex: Vec<Target> = all
                .iter()
                .filter(|a| !ex.iter().any(|e| parse(e).expect("valid").contains(a.addr)))
                .collect();
            assert_eq!(slow, slow_ex, "round {round}: {inc:?} minus {ex:?}");
            assert_eq!(
                t.iter().collect::<Vec<_>>(),
                slow,
                "round {round}: {inc:?} minus {ex:?}"
            );
            assert_eq!(t.is_empty(), slow.is_empty());
        }
    }

    #[test]
    fn target_files_are_bounded() {
        let dir = std::env::temp_dir().join(format!("scanfw-target-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let f = dir.join("t.txt");
        std::fs::write(&f, "127.0.0.1 # one\n::1,127.0.0.2\n").expect("write");
        assert_eq!(
            read_target_file(&f).expect("read"),
            ["127.0.0.1", "::1", "127.0.0.2"]
        );
        std::fs::remove_file(&f).ok();
        std::fs::remove_dir(&dir).ok();
        let e = read_target_file(Path::new("/dev/zero")).expect_err("endless");
        assert_eq!(
            e.to_string(),
            "cannot read target file `/dev/zero`: it is larger than 64 MiB, the limit for target files"
        );
        assert!(matches!(
            read_bounded(Path::new("/dev/zero"), 10),
            Err(Bounded::TooLarge)
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
