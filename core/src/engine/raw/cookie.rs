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
        let lport = self.local_port(local, remote, try_no);
        ((self.hash(local, remote, Some(lport)) as u32) & !0xF) | u32::from(try_no.min(MAX_TRY))
    }

    /// The try an echoed cookie names, if it is genuine for this flow and source port.
    pub fn verify(&self, local: IpAddr, remote: SocketAddr, lport: u16, echoed: u32) -> Option<u8> {
        let try_no = self.try_of_port(local, remote, lport)?;
        (self.cookie(local, remote, try_no) == echoed).then_some(try_no)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let key2 = CookieKey::new(3, 4);
        assert_eq!(
            key2.verify(local, remote, key.local_port(local, remote, 0), c),
            None,
            "other scan"
        );
    }
}
