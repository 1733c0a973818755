//! Sets of addresses as sorted, merged ranges: the down hosts of a sparse network, which come
//! out of the scan roughly in order, cost a few ranges instead of one entry each.

use serde_json::{json, Value};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A set of addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ranges {
    v4: Vec<(u128, u128)>,
    v6: Vec<(u128, u128)>,
}

fn num(a: IpAddr) -> (bool, u128) {
    match a {
        IpAddr::V4(a) => (false, u128::from(u32::from(a))),
        IpAddr::V6(a) => (true, u128::from(a)),
    }
}

fn addr(v6: bool, n: u128) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(n))
    } else {
        IpAddr::V4(Ipv4Addr::from(n as u32))
    }
}

impl Ranges {
    fn list(&mut self, v6: bool) -> &mut Vec<(u128, u128)> {
        if v6 {
            &mut self.v6
        } else {
            &mut self.v4
        }
    }

    /// Adds one address, merging it with its neighbours.
    pub fn insert(&mut self, a: IpAddr) {
        let (v6, x) = num(a);
        let list = self.list(v6);
        let i = list.partition_point(|&(lo, _)| lo <= x);
        if i > 0 && list[i - 1].1 >= x {
            return; // already there
        }
        let joins_left = i > 0 && list[i - 1].1.checked_add(1) == Some(x);
        let joins_right = i < list.len() && x.checked_add(1) == Some(list[i].0);
        match (joins_left, joins_right) {
            (true, true) => {
                list[i - 1].1 = list[i].1;
                list.remove(i);
            }
            (true, false) => list[i - 1].1 = x,
            (false, true) => list[i].0 = x,
            (false, false) => list.insert(i, (x, x)),
        }
    }

    /// Whether `a` is in the set.
    #[cfg(test)]
    pub fn contains(&self, a: IpAddr) -> bool {
        let (v6, x) = num(a);
        let list = if v6 { &self.v6 } else { &self.v4 };
        let i = list.partition_point(|&(lo, _)| lo <= x);
        i > 0 && list[i - 1].1 >= x
    }

    /// Number of addresses (saturating).
    pub fn len(&self) -> u128 {
        self.v4
            .iter()
            .chain(&self.v6)
            .fold(0u128, |n, &(lo, hi)| n.saturating_add(hi - lo + 1))
    }

    /// The set as CIDR blocks that cover it exactly (for target exclusions).
    pub fn blocks(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (v6, list) in [(false, &self.v4), (true, &self.v6)] {
            let bits: u32 = if v6 { 128 } else { 32 };
            for &(lo, hi) in list {
                let mut x = lo;
                loop {
                    // The largest block aligned at x that ends by hi (a /0 of IPv6 is given
                    // as two /1, which u128 arithmetic can express).
                    let mut k = if x == 0 {
                        bits.min(127)
                    } else {
                        x.trailing_zeros().min(bits)
                    };
                    while k > 0 && x + ((1u128 << k) - 1) > hi {
                        k -= 1;
                    }
                    out.push(format!("{}/{}", addr(v6, x), bits - k));
                    let end = x + ((1u128 << k) - 1);
                    if end >= hi {
                        break;
                    }
                    x = end + 1;
                }
            }
        }
        out
    }

    /// Every address, in order (for feeding an audit; a large set is long).
    pub fn iter(&self) -> impl Iterator<Item = IpAddr> + '_ {
        let v4 = self
            .v4
            .iter()
            .flat_map(|&(lo, hi)| (lo..=hi).map(|n| addr(false, n)));
        let v6 = self
            .v6
            .iter()
            .flat_map(|&(lo, hi)| (lo..=hi).map(|n| addr(true, n)));
        v4.chain(v6)
    }

    /// As JSON: `[["198.18.0.1", "198.18.0.9"], ...]`.
    pub fn to_json(&self) -> Value {
        let pairs: Vec<Value> = [(false, &self.v4), (true, &self.v6)]
            .iter()
            .flat_map(|(v6, list)| {
                list.iter()
                    .map(|&(lo, hi)| json!([addr(*v6, lo).to_string(), addr(*v6, hi).to_string()]))
            })
            .collect();
        Value::Array(pairs)
    }

    /// From [`to_json`](Self::to_json).
    pub fn from_json(v: &Value) -> Result<Ranges, String> {
        let mut r = Ranges::default();
        for pair in v.as_array().ok_or("`down`: expected a list")? {
            let get = |i: usize| -> Result<IpAddr, String> {
                pair[i]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| format!("`down`: bad range {pair}"))
            };
            let (a, b) = (get(0)?, get(1)?);
            let ((v6a, lo), (v6b, hi)) = (num(a), num(b));
            if v6a != v6b || lo > hi {
                return Err(format!("`down`: bad range {pair}"));
            }
            let list = r.list(v6a);
            if list.last().is_some_and(|&(_, last)| last >= lo) {
                return Err("`down`: ranges out of order".to_string());
            }
            list.push((lo, hi));
        }
        Ok(r)
    }
}
