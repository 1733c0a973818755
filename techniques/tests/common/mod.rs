//! Helpers shared by the fuzz tests: fixed addresses, a reproducible PRNG and its settings,
//! packet mutation, the loops every fuzz test runs (mutations, noise, single-byte variants) and
//! IP packet builders.
//!
//! A fuzz test is reproducible: its generator starts from a fixed seed, which
//! `SCANFW_FUZZ_SEED` overrides, and runs a number of rounds per seed packet, which
//! `SCANFW_FUZZ_ROUNDS` overrides ([`fuzz_config`]); the seed is printed.
#![allow(dead_code)]

use etherparse::{IpHeaders, PacketBuilder, PacketBuilderStep};
use scanfw_core::technique::ReplyContext;
use std::net::IpAddr;

pub const ME4: [u8; 4] = [192, 0, 2, 1];
pub const TARGET4: [u8; 4] = [198, 51, 100, 7];
pub const ME6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
pub const TARGET6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7];

/// xorshift64*: tiny, fast, good enough to pick bytes.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}

pub fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

pub fn ip_payload(packet: &[u8]) -> Vec<u8> {
    etherparse::IpSlice::from_slice(packet)
        .expect("ip")
        .payload()
        .payload
        .to_vec()
}

/// One random change: flip bytes, set a header length nibble, truncate, extend, splice.
pub fn mutate(rng: &mut Rng, pkt: &mut Vec<u8>, hot: &[usize]) {
    match rng.below(8) {
        0 | 1 => {
            for _ in 0..=rng.below(4) {
                if !pkt.is_empty() {
                    let i = rng.below(pkt.len());
                    pkt[i] ^= 1 << rng.below(8);
                }
            }
        }
        2 => {
            if !pkt.is_empty() {
                let i = rng.below(pkt.len());
                pkt[i] = rng.byte();
            }
        }
        // TCP data offset, quoted IPv4 version/IHL, quoted IPv4 total length.
        3 => {
            let (at, keep_high) = match rng.below(3) {
                0 => (12, false),
                1 => (8, true),
                _ => (10, false),
            };
            if let Some(b) = pkt.get_mut(at) {
                *b = if keep_high {
                    (*b & 0xf0) | (rng.byte() & 0x0f)
                } else {
                    rng.byte()
                };
            }
        }
        4 => {
            let n = rng.below(pkt.len() + 1);
            pkt.truncate(n);
        }
        5 => {
            for _ in 0..rng.below(64) {
                pkt.push(rng.byte());
            }
        }
        6 => {
            // Hot bytes: ICMP type and code, TCP flags, ... as the caller lists them.
            let at = hot[rng.below(hot.len())];
            if let Some(b) = pkt.get_mut(at) {
                *b = rng.byte();
            }
        }
        _ => {
            if pkt.len() > 1 {
                let a = rng.below(pkt.len());
                let b = rng.below(pkt.len());
                pkt.swap(a, b);
            }
        }
    }
}

/// The generator and the number of rounds per seed packet of a fuzz test: `SCANFW_FUZZ_SEED`
/// and `SCANFW_FUZZ_ROUNDS`, else these defaults. Prints the seed.
pub fn fuzz_config(default_seed: u64, default_rounds: u64) -> (Rng, usize) {
    let seed = env_u64("SCANFW_FUZZ_SEED").unwrap_or(default_seed);
    let rounds = env_u64("SCANFW_FUZZ_ROUNDS").unwrap_or(default_rounds) as usize;
    println!("fuzz seed {seed:#x} ({rounds} rounds per seed packet)");
    (Rng(seed | 1), rounds)
}

/// A copy of `pkt` after one to three [`mutate`] changes.
pub fn mutated(rng: &mut Rng, pkt: &[u8], hot: &[usize]) -> Vec<u8> {
    let mut p = pkt.to_vec();
    for _ in 0..=rng.below(3) {
        mutate(rng, &mut p, hot);
    }
    p
}

/// `proto`, or one time in ten ICMP, TCP, UDP or ICMPv6: the same bytes under another label.
pub fn relabel(rng: &mut Rng, proto: u8) -> u8 {
    match rng.below(10) {
        0 => [1u8, 6, 17, 58][rng.below(4)],
        _ => proto,
    }
}

/// Fewer than `max` random bytes.
pub fn noise(rng: &mut Rng, max: usize) -> Vec<u8> {
    let len = rng.below(max);
    (0..len).map(|_| rng.byte()).collect()
}

/// A label for noise: ICMP, TCP, UDP, ICMPv6 or any byte.
pub fn any_label(rng: &mut Rng) -> u8 {
    [1u8, 6, 17, 58, rng.byte()][rng.below(5)]
}

/// Calls `f` on every prefix of `pkt`, the empty one and `pkt` itself included, and returns
/// how many there were.
pub fn prefixes(pkt: &[u8], mut f: impl FnMut(&[u8])) -> usize {
    for n in 0..=pkt.len() {
        f(&pkt[..n]);
    }
    pkt.len() + 1
}

/// Calls `f` on every single-byte substitution of `pkt` (every value at every offset) and
/// returns how many there were.
pub fn byte_variants(pkt: &[u8], mut f: impl FnMut(&[u8])) -> usize {
    let mut p = pkt.to_vec();
    for (i, &orig) in pkt.iter().enumerate() {
        for b in 0..=255u8 {
            p[i] = b;
            f(&p);
        }
        p[i] = orig;
    }
    pkt.len() * 256
}

/// The end of a fuzz test: prints how many packets went through and how many were classified,
/// and checks that some were and, at the default rounds or more (`full`), that at least
/// `min_total` went through.
pub fn check_totals(total: usize, matched: usize, full: bool, min_total: usize) {
    println!("{total} packets, {matched} classified");
    assert!(!full || total >= min_total, "{total}");
    assert!(matched > 0);
}

/// `payload` received from `from` by us ([`ME4`] or [`ME6`]) under IP protocol `proto`, with
/// `ttl`.
pub fn received(from: IpAddr, proto: u8, ttl: u8, payload: &[u8]) -> ReplyContext<'_> {
    let to = if from.is_ipv4() {
        IpAddr::from(ME4)
    } else {
        IpAddr::from(ME6)
    };
    ReplyContext {
        from,
        to,
        ttl,
        ip_protocol: proto,
        payload,
    }
}

/// An IP packet builder from `src` to `dst` (one family) with hop limit 64.
pub fn ip(src: IpAddr, dst: IpAddr) -> PacketBuilderStep<IpHeaders> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => PacketBuilder::ipv4(s.octets(), d.octets(), 64),
        (IpAddr::V6(s), IpAddr::V6(d)) => PacketBuilder::ipv6(s.octets(), d.octets(), 64),
        _ => panic!("{src} and {dst} are of different families"),
    }
}
