//! Fixtures shared by the link-layer plugins' unit tests: hardware addresses, the probe
//! context, and the checks both `arp` and `nd` pass (contract, build errors, truncation).
//! Frames to compare with are built by etherparse, a second implementation.

use scanfw_core::discovery::{DiscoveryTechnique, LinkContext, LinkProbe};
use scanfw_core::technique::ProbeBuildError;
use std::net::IpAddr;

pub(crate) const MY_MAC: [u8; 6] = [0x02, 0x5c, 0xaf, 0x00, 0x00, 0x01];
pub(crate) const HIS_MAC: [u8; 6] = [0x02, 0x5c, 0xaf, 0x00, 0x00, 0x02];

/// A probe from us (`MY_MAC`, `me`) asking for `him`.
pub(crate) fn link_ctx(me: impl Into<IpAddr>, him: impl Into<IpAddr>) -> LinkContext {
    LinkContext {
        src_mac: MY_MAC,
        src_ip: me.into(),
        dst_ip: him.into(),
    }
}

/// The frame `p` builds for `ctx`.
pub(crate) fn frame(p: &dyn LinkProbe, ctx: &LinkContext) -> Vec<u8> {
    let mut buf = [0u8; 1514];
    let n = p.build(ctx, &mut buf).expect("build");
    buf[..n].to_vec()
}

/// Name, no ports (`new` refuses `ports`, with an error naming the plugin), the one family it
/// supports (`v6`), and the link method.
pub(crate) fn check_contract<T: DiscoveryTechnique + LinkProbe>(
    p: &T,
    new: fn(&[u16]) -> Result<T, String>,
    name: &str,
    v6: bool,
    ports: &[u16],
) {
    assert_eq!(p.name(), name);
    assert_eq!(p.ports(), [0]);
    assert!(p.supports(v6) && !p.supports(!v6));
    assert_eq!(LinkProbe::ipv6(p), v6);
    assert_eq!(format!("{:?}", p.method()), "Link");
    assert!(new(&[]).is_ok());
    let e = new(ports).map(|_| ()).expect_err("ports");
    assert!(e.contains(name), "{e}");
}

/// `ctx` needs a buffer of `len` bytes, and any address of the `other` family, as source,
/// target or both, is refused.
pub(crate) fn check_build_errors(p: &dyn LinkProbe, ctx: &LinkContext, len: usize, other: IpAddr) {
    assert_eq!(
        p.build(ctx, &mut vec![0u8; len - 1]),
        Err(ProbeBuildError::BufferTooSmall(len))
    );
    assert_eq!(p.build(ctx, &mut vec![0u8; len]), Ok(len));
    for (src_ip, dst_ip) in [(other, ctx.dst_ip), (ctx.src_ip, other), (other, other)] {
        let c = LinkContext {
            src_ip,
            dst_ip,
            ..*ctx
        };
        assert_eq!(
            p.build(&c, &mut [0u8; 128]),
            Err(ProbeBuildError::FamilyMismatch)
        );
    }
}

/// No strict prefix of the answer `frame` is one.
pub(crate) fn check_truncated(p: &dyn LinkProbe, frame: &[u8]) {
    for n in 0..frame.len() {
        assert_eq!(p.classify(&frame[..n]), None, "{n} bytes");
    }
}
