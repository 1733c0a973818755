//! Helpers shared by the fuzz tests: fixed addresses, a reproducible PRNG, packet mutation.
#![allow(dead_code)]

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
