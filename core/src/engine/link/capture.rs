//! The packet socket of one interface (`AF_PACKET` through `pnet_datalink`), with a kernel
//! filter that queues only what link probes can answer to.

use pnet_datalink::{Channel, Config, DataLinkReceiver, DataLinkSender};
use socket2::{Domain, SockFilter, Socket, Type};
use std::io;
use std::os::fd::IntoRawFd;
use std::time::Duration;

/// Receive buffer asked for: an ARP sweep of a large subnet answers in bursts.
const RECV_BUFFER: usize = 4 << 20;
/// Bytes read per frame: more than any Ethernet frame the link probes can answer with.
const READ_BUFFER: usize = 65536;

/// EtherType of ARP.
pub(super) const ETHERTYPE_ARP: u16 = 0x0806;
/// EtherType of IPv6.
pub(super) const ETHERTYPE_IPV6: u16 = 0x86dd;
/// IPv6 next header of ICMPv6.
pub(super) const NEXT_HEADER_ICMPV6: u8 = 58;

/// Classic BPF: accept frames that arrived (not our own outgoing ones) and are ARP, or IPv6
/// whose first next header is ICMPv6; drop everything else.
fn filter() -> [SockFilter; 9] {
    const LD_W_ABS: u16 = 0x20;
    const LD_H_ABS: u16 = 0x28;
    const LD_B_ABS: u16 = 0x30;
    const JEQ_K: u16 = 0x15;
    const RET_K: u16 = 0x06;
    /// `SKF_AD_OFF + SKF_AD_PKTTYPE`: the packet type (`PACKET_OUTGOING` is 4).
    const PKTTYPE: u32 = 0xffff_f000 + 4;
    const PACKET_OUTGOING: u32 = 4;
    [
        SockFilter::new(LD_W_ABS, 0, 0, PKTTYPE),
        SockFilter::new(JEQ_K, 6, 0, PACKET_OUTGOING), // ours: drop
        SockFilter::new(LD_H_ABS, 0, 0, 12),           // EtherType
        SockFilter::new(JEQ_K, 3, 0, u32::from(ETHERTYPE_ARP)),
        SockFilter::new(JEQ_K, 0, 3, u32::from(ETHERTYPE_IPV6)),
        SockFilter::new(LD_B_ABS, 0, 0, 14 + 6), // IPv6 next header
        SockFilter::new(JEQ_K, 0, 1, u32::from(NEXT_HEADER_ICMPV6)),
        SockFilter::new(RET_K, 0, 0, READ_BUFFER as u32), // accept
        SockFilter::new(RET_K, 0, 0, 0),                  // drop
    ]
}

/// Whether a frame is one the filter lets through (the same test in user space, for kernels
/// or paths where the filter did not apply).
pub(super) fn wanted(frame: &[u8]) -> bool {
    match frame.get(12..14) {
        Some([0x08, 0x06]) => true,
        Some([0x86, 0xdd]) => frame.get(14 + 6) == Some(&NEXT_HEADER_ICMPV6),
        _ => false,
    }
}

/// Opens an Ethernet channel on `ifname`: non-promiscuous, reads waiting at most
/// `read_timeout`, sends that never wait (a full queue is `TimedOut` from pnet).
pub(super) fn open(
    ifname: &str,
    read_timeout: Duration,
) -> io::Result<(Box<dyn DataLinkSender>, Box<dyn DataLinkReceiver>)> {
    let iface = pnet_datalink::interfaces()
        .into_iter()
        .find(|i| i.name == ifname)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("no network interface named `{ifname}`"),
            )
        })?;
    // Protocol 0: nothing is queued until pnet binds it to the interface, by which time the
    // filter is in place.
    let sock = Socket::new(Domain::PACKET, Type::RAW, None)?;
    sock.attach_filter(&filter())?;
    // Not fatal: the default buffer works, only long bursts may overflow it.
    let _ = sock.set_recv_buffer_size(RECV_BUFFER);
    let config = Config {
        read_buffer_size: READ_BUFFER,
        read_timeout: Some(read_timeout),
        write_timeout: Some(Duration::ZERO),
        promiscuous: false,
        // pnet owns the descriptor from here on, and closes it on every error path.
        socket_fd: Some(sock.into_raw_fd()),
        ..Config::default()
    };
    match pnet_datalink::channel(&iface, config)? {
        Channel::Ethernet(tx, rx) => Ok((tx, rx)),
        _ => Err(io::Error::other(
            "pnet_datalink gave a channel that is not Ethernet",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_space_filter_matches_the_kernel_one() {
        let mut arp = vec![0u8; 42];
        arp[12..14].copy_from_slice(&[0x08, 0x06]);
        assert!(wanted(&arp));
        let mut v6 = vec![0u8; 54];
        v6[12..14].copy_from_slice(&[0x86, 0xdd]);
        v6[20] = 58;
        assert!(wanted(&v6));
        v6[20] = 6;
        assert!(!wanted(&v6), "IPv6 TCP");
        let mut v4 = vec![0u8; 34];
        v4[12..14].copy_from_slice(&[0x08, 0x00]);
        assert!(!wanted(&v4));
        assert!(!wanted(&[0x86, 0xdd]));
        assert!(!wanted(&v6[..20]), "truncated IPv6");
        assert_eq!(filter().len(), 9);
    }
}
