//! Keyed probe identities: source port and cookie are SipHash values of the flow under a
//! per-scan secret, so a reply proves which probe (and which try) it answers and a forged or
//! stale reply is rejected without any lookup table.

use siphasher::sip::SipHasher13;
use std::hash::Hasher;
use std::net::{IpAddr, SocketAddr};

/// Tries are encoded in 4 bits (0-15).
pub const MAX_TRY: u8 = 15;
/// Source ports are `BASE_PORT + h % PORT_SPAN + try`.
const BASE_PORT: u16 = 33000;
const PORT_SPAN: u16 = 27000;
/// Every source port a probe can have: replies go to one of these.
pub const LOCAL_PORTS: (u16, u16) = (BASE_PORT, BASE_PORT + PORT_SPAN - 1 + MAX_TRY as u16);

/// What one transmission carried: its try, cookie and IP-header tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// The try (0-15).
    pub try_no: u8,
    /// The cookie (the try in its low four bits).
    pub cookie: u32,
    /// The IPv4 identification or IPv6 flow label.
    pub tag: u32,
}

impl Sent {
    /// Whether `value` carries the cookie's bits `mask`; a mask without the four try bits
    /// cannot name a try and proves nothing.
    pub fn echoes(&self, value: u32, mask: u32) -> bool {
        mask & 0xF == 0xF && (self.cookie ^ value) & mask == 0
    }
}

/// The per-scan secret.
#[derive(Debug, Clone, Copy)]
pub struct CookieKey {
    k0: u64,
    k1: u64,
}

fn write_ip(h: &mut SipHasher13, ip: IpAddr) {
    match ip {
        IpAddr::V4(a) => h.write(&a.octets()),
        IpAddr::V6(a) => h.write(&a.octets()),
    }
}

impl CookieKey {
    /// A key from two secret words.
    pub fn new(k0: u64, k1: u64) -> CookieKey {
        CookieKey { k0, k1 }
    }

    /// The key of a unit's probes: units with different flavors never share source ports or
    /// cookies, so a reply names the unit as well as the probe (flavor 0 is the key itself).
    pub fn flavored(self, flavor: u8) -> CookieKey {
        if flavor == 0 {
            return self;
        }
        let f = u64::from(flavor);
        CookieKey {
            k0: self.k0 ^ f.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            k1: self.k1 ^ f.wrapping_mul(0xC2B2_AE3D_27D4_EB4F),
        }
    }

    fn hash(&self, local: IpAddr, remote: SocketAddr, lport: Option<u16>) -> u64 {
        let mut h = SipHasher13::new_with_keys(self.k0, self.k1);
        write_ip(&mut h, local);
        write_ip(&mut h, remote.ip());
        h.write_u16(remote.port());
        if let Some(p) = lport {
            h.write_u16(p);
        }
        h.finish()
    }

    fn base_port(&self, local: IpAddr, remote: SocketAddr) -> u16 {
        BASE_PORT + (self.hash(local, remote, None) % u64::from(PORT_SPAN)) as u16
    }

    /// Source port of transmission `try_no` of the probe from `local` to `remote`.
    pub fn local_port(&self, local: IpAddr, remote: SocketAddr, try_no: u8) -> u16 {
        self.base_port(local, remote) + u16::from(try_no.min(MAX_TRY))
    }

    /// The try a source port encodes, if it belongs to this flow at all.
    pub fn try_of_port(&self, local: IpAddr, remote: SocketAddr, lport: u16) -> Option<u8> {
        let d = lport.wrapping_sub(self.base_port(local, remote));
        u8::try_from(d).ok().filter(|&t| t <= MAX_TRY)
    }

    /// The cookie (e.g. TCP sequence number) of transmission `try_no`.
    pub fn cookie(&self, local: IpAddr, remote: SocketAddr, try_no: u8) -> u32 {
        self.probe(local, remote, try_no).0
    }

    /// The cookie of transmission `try_no` and the keyed bits of its IP header: 16 bits for
    /// the IPv4 identification (never 0, which the kernel would replace), 20 for the IPv6 flow
    /// label. Both come from one hash.
    pub fn probe(&self, local: IpAddr, remote: SocketAddr, try_no: u8) -> (u32, u32) {
        let try_no = try_no.min(MAX_TRY);
        let lport = self.local_port(local, remote, try_no);
        let s = self.sent_at(local, remote, try_no, lport);
        (s.cookie, s.tag)
    }

    /// The keyed values of transmission `try_no`, sent from `lport` (one hash).
    fn sent_at(&self, local: IpAddr, remote: SocketAddr, try_no: u8, lport: u16) -> Sent {
        let h = self.hash(local, remote, Some(lport));
        let tag = if remote.is_ipv6() {
            ((h >> 32) as u32) & 0x000f_ffff
        } else {
            u32::from(((h >> 32) as u16).max(1))
        };
        Sent {
            try_no,
            cookie: ((h as u32) & !0xF) | u32::from(try_no),
            tag,
        }
    }

    /// What the probe of this flow sent from `lport` carried, if `lport` is one of the flow's
    /// keyed ports: everything a reply to it is checked against, for two hashes.
    pub fn sent(&self, local: IpAddr, remote: SocketAddr, lport: u16) -> Option<Sent> {
        let try_no = self.try_of_port(local, remote, lport)?;
        Some(self.sent_at(local, remote, try_no, lport))
    }

    /// The try an echoed cookie names, if it is genuine for this flow and source port.
    #[cfg(test)]
    pub fn verify(&self, local: IpAddr, remote: SocketAddr, lport: u16, echoed: u32) -> Option<u8> {
        self.verify_bits(local, remote, lport, echoed, u32::MAX)
    }

    /// The try named by a reply that echoes the bits `mask` of the cookie, if they are genuine.
    /// A mask without the four try bits cannot name a try and verifies nothing.
    #[cfg(test)]
    pub fn verify_bits(
        &self,
        local: IpAddr,
        remote: SocketAddr,
        lport: u16,
        value: u32,
        mask: u32,
    ) -> Option<u8> {
        let s = self.sent(local, remote, lport)?;
        s.echoes(value, mask).then_some(s.try_no)
    }

    /// Whether `tag`, read from the IP header an ICMP error quotes, is the one transmission
    /// `try_no` of the flow was sent with.
    #[cfg(test)]
    pub fn verify_tag(&self, local: IpAddr, remote: SocketAddr, try_no: u8, tag: u32) -> bool {
        self.probe(local, remote, try_no).1 == tag
    }

    /// The challenge cookie of transmission `try_no` (see `Echo::Challenge`): keyed like the
    /// cookie but under another key, so an answer to a challenge can never pass for a reply to
    /// a probe, nor the reverse. The try is in the low four bits.
    pub fn challenge_cookie(&self, local: IpAddr, remote: SocketAddr, try_no: u8) -> u32 {
        let try_no = try_no.min(MAX_TRY);
        let lport = self.local_port(local, remote, try_no);
        let other = CookieKey {
            k0: self.k0.rotate_left(17) ^ 0x5343_4657_4348_4c47,
            k1: self.k1.rotate_left(29) ^ 0x4348_414c_4c45_4e47,
        };
        ((other.hash(local, remote, Some(lport)) as u32) & !0xF) | u32::from(try_no)
    }

    /// The try an answer to a challenge names, if the challenge cookie it echoes is genuine.
    #[cfg(test)]
    pub fn verify_answer(
        &self,
        local: IpAddr,
        remote: SocketAddr,
        lport: u16,
        echoed: u32,
    ) -> Option<u8> {
        let try_no = self.try_of_port(local, remote, lport)?;
        (self.challenge_cookie(local, remote, try_no) == echoed).then_some(try_no)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_and_ip_tags_verify_only_their_bits() {
        let key = CookieKey::new(5, 6);
        let local: IpAddr = "198.18.0.1".parse().expect("ip");
        let remote: SocketAddr = "198.18.0.2:53".parse().expect("sa");
        for t in [0u8, 3, 15] {
            let port = key.local_port(local, remote, t);
            let c = key.cookie(local, remote, t);
            let low = c & 0xffff;
            assert_eq!(key.verify_bits(local, remote, port, low, 0xffff), Some(t));
            assert_eq!(
                key.verify_bits(local, remote, port, low ^ 0x10, 0xffff),
                None,
                "a flipped keyed bit"
            );
            assert_eq!(
                key.verify_bits(local, remote, port, low | 0xdead_0000, 0xffff),
                Some(t),
                "bits outside the mask are not looked at"
            );
            assert_eq!(
                key.verify_bits(local, remote, port, c, 0xffff_fff0),
                None,
                "no try bits, no try"
            );
            let (_, tag) = key.probe(local, remote, t);
            assert!(tag != 0 && tag <= 0xffff, "IPv4 identification");
            assert!(key.verify_tag(local, remote, t, tag));
            assert!(!key.verify_tag(local, remote, t, tag ^ 1));
            let v6: SocketAddr = "[fd00::2]:53".parse().expect("sa");
            let (_, tag6) = key.probe("fd00::1".parse().expect("ip"), v6, t);
            assert!(tag6 <= 0xf_ffff, "IPv6 flow label");
        }
        // The tags of many flows are spread (not a constant).
        let tags: std::collections::HashSet<u32> = (1..200u16)
            .map(|p| key.probe(local, SocketAddr::new(remote.ip(), p), 0).1)
            .collect();
        assert!(tags.len() > 190, "{} distinct tags of 199", tags.len());
    }

    #[test]
    fn cookies_name_their_try_and_reject_forgeries() {
        let key = CookieKey::new(1, 2);
        let local: IpAddr = "198.18.0.1".parse().expect("ip");
        let remote: SocketAddr = "198.18.0.2:443".parse().expect("sa");
        for t in [0u8, 1, 7, 15] {
            let port = key.local_port(local, remote, t);
            assert!((33000..=60015).contains(&port));
            let c = key.cookie(local, remote, t);
            assert_eq!(key.verify(local, remote, port, c), Some(t));
            assert_eq!(
                key.verify(local, remote, port, c ^ 0x100),
                None,
                "flipped bit"
            );
            assert_eq!(
                key.verify(local, remote, port.wrapping_add(1), c),
                None,
                "wrong port"
            );
        }
        let other: SocketAddr = "198.18.0.2:444".parse().expect("sa");
        let c = key.cookie(local, remote, 0);
        assert_eq!(
            key.verify(local, other, key.local_port(local, other, 0), c),
            None,
            "other flow"
        );
        let flavored = key.flavored(3);
        assert_eq!(
            flavored.verify(local, remote, key.local_port(local, remote, 0), c),
            None,
            "another unit"
        );
        let port0 = key.local_port(local, remote, 0);
        let answer = key.challenge_cookie(local, remote, 0);
        assert_ne!(answer, c);
        assert_eq!(key.verify_answer(local, remote, port0, answer), Some(0));
        assert_eq!(
            key.verify_answer(local, remote, port0, c),
            None,
            "a cookie is no answer"
        );
        assert_eq!(
            key.verify(local, remote, port0, answer),
            None,
            "an answer is no cookie"
        );
        let key2 = CookieKey::new(3, 4);
        assert_eq!(
            key2.verify(local, remote, key.local_port(local, remote, 0), c),
            None,
            "other scan"
        );
    }
}
