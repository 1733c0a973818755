//! Keyed pseudo-random probe order.
//!
//! Each host's slots are visited in a permutation derived from the scan seed and the host's
//! address: a 4-round Feistel network over the smallest power of two covering the slot count,
//! skipping the values outside the range. Same seed, same order (reproducible scans); no table of
//! the permutation is stored, so memory stays constant per host.

use siphasher::sip::SipHasher13;
use std::hash::Hasher;
use std::net::IpAddr;

/// Iterates `0..n` in a keyed pseudo-random order.
#[derive(Debug, Clone)]
pub struct PortOrder {
    n: u32,
    half_bits: u32,
    keys: [u64; 4],
    index: u64,
}

impl PortOrder {
    /// The order for `n` slots of the host `addr` under `seed`.
    pub fn new(n: u32, seed: u64, addr: &IpAddr) -> PortOrder {
        let bits = 32 - n.max(2).saturating_sub(1).leading_zeros();
        let half_bits = bits.div_ceil(2);
        let mut keys = [0u64; 4];
        for (round, k) in keys.iter_mut().enumerate() {
            let mut h = SipHasher13::new_with_keys(seed, round as u64);
            match addr {
                IpAddr::V4(a) => h.write(&a.octets()),
                IpAddr::V6(a) => h.write(&a.octets()),
            }
            *k = h.finish();
        }
        PortOrder {
            n,
            half_bits,
            keys,
            index: 0,
        }
    }

    /// Whether every slot was handed out (a few indices may remain that map out of range).
    pub fn is_done(&self) -> bool {
        self.n == 0 || self.index >= 1u64 << (2 * self.half_bits)
    }

    fn permute(&self, x: u32) -> u32 {
        let mask = (1u32 << self.half_bits) - 1;
        let (mut l, mut r) = (x >> self.half_bits, x & mask);
        for k in self.keys {
            let mut h = SipHasher13::new_with_keys(k, 0);
            h.write_u32(r);
            let f = (h.finish() as u32) & mask;
            (l, r) = (r, l ^ f);
        }
        (l << self.half_bits) | r
    }
}

impl Iterator for PortOrder {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let domain = 1u64 << (2 * self.half_bits);
        while self.index < domain {
            let x = self.index as u32;
            self.index += 1;
            let y = self.permute(x);
            if y < self.n {
                return Some(y);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_a_permutation_and_reproducible() {
        let addr: IpAddr = [198, 18, 0, 2].into();
        for n in [0u32, 1, 2, 3, 1000, 65535] {
            let v: Vec<u32> = PortOrder::new(n, 7, &addr).collect();
            let mut sorted = v.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..n).collect::<Vec<_>>(), "n = {n}");
            assert_eq!(v, PortOrder::new(n, 7, &addr).collect::<Vec<_>>());
        }
        let a: Vec<u32> = PortOrder::new(1000, 7, &addr).collect();
        let b: Vec<u32> = PortOrder::new(1000, 8, &addr).collect();
        assert_ne!(a, b, "another seed gives another order");
        assert_ne!(a, (0..1000).collect::<Vec<_>>(), "not the identity");
    }
}
