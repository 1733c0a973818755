//! Raw IP sockets (socket2), non-blocking, driven by one thread with `ppoll`.
//!
//! One socket per (family, IP protocol) receives packets; one header-included socket per family
//! sends every probe, whole IP header written by the engine. IPv4 raw sockets deliver the IP
//! header with the payload; IPv6 raw sockets deliver the payload only, so the hop limit comes
//! from an `IPV6_HOPLIMIT` control message and the source from the address.

use socket2::{Domain, MaybeUninitSlice, MsgHdrMut, Protocol, SockAddr, Socket, Type};
use std::io;
use std::mem::MaybeUninit;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

/// Receive buffer asked for: replies to a fast scan arrive in bursts.
const RECV_BUFFER: usize = 8 << 20;

/// A packet as received: source, destination, TTL/hop limit, protocol and payload range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// Source address.
    pub from: IpAddr,
    /// Destination address (unspecified where the socket does not tell).
    pub to: IpAddr,
    /// TTL or hop limit.
    pub ttl: u8,
    /// IP protocol of the payload.
    pub protocol: u8,
    /// Offset of the payload in the buffer.
    pub start: usize,
    /// End of the payload in the buffer.
    pub end: usize,
}

/// A raw socket for one family and IP protocol.
#[derive(Debug)]
pub struct RawSocket {
    sock: Socket,
    v6: bool,
    protocol: u8,
}

fn setsockopt_int(
    sock: &Socket,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: the descriptor is owned by `sock` and open; the value is a live c_int whose size
    // is passed exactly.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            level,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

impl RawSocket {
    /// The descriptor, for polling.
    pub fn fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    /// Opens a raw socket for `protocol` (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6). Needs CAP_NET_RAW.
    pub fn open(v6: bool, protocol: u8) -> io::Result<RawSocket> {
        let domain = if v6 { Domain::IPV6 } else { Domain::IPV4 };
        let sock = Socket::new(domain, Type::RAW, Some(Protocol::from(i32::from(protocol))))?;
        sock.set_nonblocking(true)?;
        if sock.set_recv_buffer_size(RECV_BUFFER).is_err() {
            // Not fatal: the kernel default still works, only bursts may overflow it.
        }
        // As root, go past net.core.rmem_max (ignored where not permitted).
        let _ = setsockopt_int(
            &sock,
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            RECV_BUFFER as libc::c_int,
        );
        if v6 {
            setsockopt_int(&sock, libc::IPPROTO_IPV6, libc::IPV6_RECVHOPLIMIT, 1)?;
        }
        Ok(RawSocket { sock, v6, protocol })
    }

    /// A socket that only sends, whole IP packets (header included: `IPPROTO_RAW` implies
    /// `IP_HDRINCL` and its IPv6 twin), so the engine writes the source address and the keyed
    /// identification or flow label itself. It queues nothing it receives.
    pub fn open_sender(v6: bool) -> io::Result<RawSocket> {
        let domain = if v6 { Domain::IPV6 } else { Domain::IPV4 };
        let sock = Socket::new(domain, Type::RAW, Some(Protocol::from(libc::IPPROTO_RAW)))?;
        sock.set_nonblocking(true)?;
        // The kernel's default send buffer: when it is full, sending fails with ENOBUFS or
        // EAGAIN and the scheduler backs off, instead of the packets being dropped further
        // down (a larger buffer only moves the overflow to the receiving side's backlog).
        sock.attach_filter(&[socket2::SockFilter::new(0x06, 0, 0, 0)])?;
        Ok(RawSocket {
            sock,
            v6,
            protocol: libc::IPPROTO_RAW as u8,
        })
    }

    /// Kernel-side filtering for TCP and UDP sockets: only packets whose destination port lies
    /// in `lo..=hi` (where every reply to our probes goes) are queued to this socket, so a
    /// busy host's other traffic, and on loopback most of our own probes, never reach us.
    pub fn only_ports(&self, lo: u16, hi: u16) -> io::Result<()> {
        use socket2::SockFilter as F;
        const LD: u16 = 0x00;
        const LDX: u16 = 0x01;
        const JMP: u16 = 0x05;
        const RET: u16 = 0x06;
        const H: u16 = 0x08;
        const B: u16 = 0x10;
        const ABS: u16 = 0x20;
        const IND: u16 = 0x40;
        const MSH: u16 = 0xa0;
        const JGT: u16 = 0x20;
        const JGE: u16 = 0x30;
        let (lo, hi) = (u32::from(lo), u32::from(hi));
        // IPv4 raw sockets see the IP header first (X = its length); IPv6 ones start at the
        // transport header. The destination port is 2 bytes into TCP and UDP headers alike.
        let load_port = if self.v6 {
            vec![F::new(LD | H | ABS, 0, 0, 2)]
        } else {
            vec![
                F::new(LDX | B | MSH, 0, 0, 0),
                F::new(LD | H | IND, 0, 0, 2),
            ]
        };
        let mut prog = load_port;
        prog.extend([
            F::new(JMP | JGE, 0, 2, lo),    // below lo: reject
            F::new(JMP | JGT, 1, 0, hi),    // above hi: reject
            F::new(RET, 0, 0, 0x0004_0000), // accept (up to 256 KiB)
            F::new(RET, 0, 0, 0),           // reject
        ]);
        self.sock.attach_filter(&prog)
    }

    /// Sends one packet to `dst`: a whole IP packet on a [`open_sender`](Self::open_sender)
    /// socket. Never blocks: `WouldBlock` and `ENOBUFS` are for the caller to treat as
    /// back-pressure.
    pub fn send_to(&self, segment: &[u8], dst: IpAddr) -> io::Result<usize> {
        self.sock
            .send_to(segment, &SockAddr::from(SocketAddr::new(dst, 0)))
    }

    /// Reads one waiting packet into `buf`: `Ok(None)` for a packet that is not IP as
    /// expected, `Err(WouldBlock)` when none is waiting.
    pub fn recv_now(&self, buf: &mut [u8]) -> io::Result<Option<Received>> {
        if self.v6 {
            recv_v6(&self.sock, buf, self.protocol)
        } else {
            recv_v4(&self.sock, buf)
        }
    }
}

/// Waits until one of `sockets` has a packet or `timeout` passes (microsecond precision).
pub fn wait_readable(fds: &[RawFd], timeout: Duration) -> io::Result<()> {
    let mut fds: Vec<libc::pollfd> = fds
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let ts = libc::timespec {
        tv_sec: libc::time_t::try_from(timeout.as_secs()).unwrap_or(libc::time_t::MAX),
        tv_nsec: libc::c_long::from(timeout.subsec_nanos() as i32),
    };
    // SAFETY: `fds` is a live, correctly sized array of pollfd for the duration of the call;
    // `ts` is a valid timespec; a null signal mask keeps the current one.
    let rc = unsafe {
        libc::ppoll(
            fds.as_mut_ptr(),
            fds.len() as libc::nfds_t,
            &ts,
            std::ptr::null(),
        )
    };
    if rc < 0 {
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    Ok(())
}

fn as_uninit(buf: &mut [u8]) -> &mut [MaybeUninit<u8>] {
    // SAFETY: u8 and MaybeUninit<u8> have the same layout, and the socket only writes
    // initialised bytes into the slice; `buf` stays initialised.
    unsafe { &mut *(buf as *mut [u8] as *mut [MaybeUninit<u8>]) }
}

fn recv_v4(sock: &Socket, buf: &mut [u8]) -> io::Result<Option<Received>> {
    let n = sock.recv(as_uninit(buf))?;
    let pkt = &buf[..n.min(buf.len())];
    if pkt.len() < 20 || pkt[0] >> 4 != 4 {
        return Ok(None);
    }
    let ihl = usize::from(pkt[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([pkt[2], pkt[3]]));
    if ihl < 20 || ihl > pkt.len() {
        return Ok(None);
    }
    let end = if total >= ihl && total <= pkt.len() {
        total
    } else {
        pkt.len()
    };
    let src = Ipv4Addr::new(pkt[12], pkt[13], pkt[14], pkt[15]);
    let dst = Ipv4Addr::new(pkt[16], pkt[17], pkt[18], pkt[19]);
    Ok(Some(Received {
        from: src.into(),
        to: dst.into(),
        ttl: pkt[8],
        protocol: pkt[9],
        start: ihl,
        end,
    }))
}

fn recv_v6(sock: &Socket, buf: &mut [u8], protocol: u8) -> io::Result<Option<Received>> {
    let mut control = [0u8; 128];
    let mut addr_storage = SockAddr::from(SocketAddr::new(
        IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
        0,
    ));
    let (n, control_len) = {
        let mut bufs = [MaybeUninitSlice::new(as_uninit(buf))];
        let mut msg = MsgHdrMut::new()
            .with_addr(&mut addr_storage)
            .with_buffers(&mut bufs)
            .with_control(as_uninit(&mut control));
        let n = sock.recvmsg(&mut msg, 0)?;
        (n, msg.control_len())
    };
    let Some(src) = addr_storage.as_socket().map(|s| s.ip()) else {
        return Ok(None);
    };
    let ttl = hop_limit(&control[..control_len.min(control.len())]).unwrap_or(0);
    Ok(Some(Received {
        from: src,
        to: IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
        ttl,
        protocol,
        start: 0,
        end: n.min(buf.len()),
    }))
}

/// Finds the `IPV6_HOPLIMIT` value in a control buffer (Linux `cmsghdr` layout).
fn hop_limit(control: &[u8]) -> Option<u8> {
    let hdr = std::mem::size_of::<libc::cmsghdr>();
    let align = std::mem::size_of::<usize>();
    let mut off = 0;
    while off + hdr <= control.len() {
        let len_bytes: [u8; 8] = control.get(off..off + 8)?.try_into().ok()?;
        let len = usize::try_from(u64::from_ne_bytes(len_bytes)).ok()?;
        let level = i32::from_ne_bytes(control.get(off + 8..off + 12)?.try_into().ok()?);
        let kind = i32::from_ne_bytes(control.get(off + 12..off + 16)?.try_into().ok()?);
        if len < hdr || len > control.len() - off {
            return None;
        }
        if level == libc::IPPROTO_IPV6 && kind == libc::IPV6_HOPLIMIT {
            let v = i32::from_ne_bytes(control.get(off + hdr..off + hdr + 4)?.try_into().ok()?);
            return u8::try_from(v).ok();
        }
        off = off.checked_add(len.div_ceil(align).checked_mul(align)?)?;
    }
    None
}

/// Whether this process may open raw sockets (CAP_NET_RAW).
pub fn raw_available() -> bool {
    Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::TCP)).is_ok()
}

/// The source address the kernel's routing picks for `dst` (a connected UDP socket sends
/// nothing; it only asks the routing table).
pub fn source_for(dst: IpAddr) -> io::Result<IpAddr> {
    let domain = if dst.is_ipv6() {
        Domain::IPV6
    } else {
        Domain::IPV4
    };
    let sock = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    sock.connect(&SockAddr::from(SocketAddr::new(dst, 9)))?;
    sock.local_addr()?
        .as_socket()
        .map(|s| s.ip())
        .ok_or_else(|| io::Error::other("no local address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_limit_is_found_in_a_control_buffer() {
        let mut c = vec![0u8; 64];
        let hdr = std::mem::size_of::<libc::cmsghdr>();
        c[..8].copy_from_slice(&((hdr + 4) as u64).to_ne_bytes());
        c[8..12].copy_from_slice(&libc::IPPROTO_IPV6.to_ne_bytes());
        c[12..16].copy_from_slice(&libc::IPV6_HOPLIMIT.to_ne_bytes());
        c[hdr..hdr + 4].copy_from_slice(&57i32.to_ne_bytes());
        assert_eq!(hop_limit(&c), Some(57));
        assert_eq!(hop_limit(&c[..10]), None);
        assert_eq!(
            hop_limit(&[0xff; 40]),
            None,
            "garbage never panics nor loops"
        );
        let mut huge = c.clone();
        huge[..8].copy_from_slice(&u64::MAX.to_ne_bytes());
        assert_eq!(
            hop_limit(&huge),
            None,
            "a length past the buffer ends the walk"
        );
    }

    #[test]
    fn source_for_loopback_is_loopback() {
        assert_eq!(
            source_for("127.0.0.1".parse().expect("addr")).ok(),
            Some("127.0.0.1".parse().expect("addr"))
        );
    }
}
