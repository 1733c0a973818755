//! Forged replies for the lab's forgery tests: Ethernet frames that look like the target's
//! answers to probes the scanner may have in flight, sent from the target namespace through
//! an `AF_PACKET` socket on its veth (so they bypass the target's own stack and firewall).
//!
//! A [`Spray`] thread enters the target namespace (`setns`, only that thread), binds an
//! `AF_PACKET` socket to the veth and sends the frames over and over, one full pass (a
//! *sweep*) after another, until stopped. The frames go only to the scanner's veth MAC and
//! addresses; nothing can leave the lab.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use etherparse::{icmpv4, icmpv6, Icmpv4Type, Icmpv6Type, PacketBuilder};

use super::services::enter_netns;

/// Every source port a scanfw probe can have (core/src/engine/raw/cookie.rs): a forger who
/// cannot see the probes sweeps them all.
pub const LOCAL_PORTS: std::ops::RangeInclusive<u16> = 33000..=60015;

/// The two ends of the veth: who the forged frames claim to be and who they go to.
#[derive(Debug, Clone, Copy)]
pub struct Ends {
    pub target_mac: [u8; 6],
    pub scanner_mac: [u8; 6],
    pub target: IpAddr,
    pub scanner: IpAddr,
}

/// What a forged frame pretends to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forgery {
    /// A TCP SYN without ACK from the port (a split handshake).
    BareSyn,
    /// A SYN+ACK with a random acknowledgement number.
    SynAck,
    /// A UDP datagram from the port, random bytes.
    UdpJunk,
    /// ICMP (v6) destination unreachable from the target quoting a TCP SYN to the port
    /// (random sequence number and IPv4 identification / flow label); `code` as sent.
    IcmpQuotingTcp { code: u8 },
    /// ICMP (v6) port unreachable from the target quoting a UDP datagram to the port.
    IcmpQuotingUdp,
}

/// A small xorshift generator: forged fields only need to be unpredictable to the scanner,
/// not secure.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn u32(&mut self) -> u32 {
        self.next() as u32
    }
}

/// The packet the scanner would have sent (our probe from `local` to `port`), as an ICMP
/// error quotes it: IP header and the first transport bytes.
fn quoted_probe(e: &Ends, tcp: bool, local: u16, port: u16, rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    let b = match (e.scanner, e.target) {
        (IpAddr::V4(s), IpAddr::V4(t)) => {
            let mut ip = etherparse::Ipv4Header::new(
                0,
                64,
                etherparse::IpNumber::TCP,
                s.octets(),
                t.octets(),
            )
            .expect("ipv4 header");
            ip.identification = rng.u32() as u16;
            PacketBuilder::ip(etherparse::IpHeaders::Ipv4(ip, Default::default()))
        }
        (IpAddr::V6(s), IpAddr::V6(t)) => {
            let ip = etherparse::Ipv6Header {
                flow_label: etherparse::Ipv6FlowLabel::try_new(rng.u32() & 0xf_ffff)
                    .expect("20 bits"),
                hop_limit: 64,
                source: s.octets(),
                destination: t.octets(),
                ..Default::default()
            };
            PacketBuilder::ip(etherparse::IpHeaders::Ipv6(ip, Default::default()))
        }
        _ => panic!("mixed families"),
    };
    let r = if tcp {
        b.tcp(local, port, rng.u32(), 1024)
            .syn()
            .write(&mut out, &[])
    } else {
        b.udp(local, port).write(&mut out, &[])
    };
    r.expect("quoted probe");
    out
}

/// One forged frame of kind `f` about the target's `port` and the scanner's `local` port.
pub fn frame(e: &Ends, f: Forgery, port: u16, local: u16, rng: &mut Rng) -> Vec<u8> {
    let eth = PacketBuilder::ethernet2(e.target_mac, e.scanner_mac);
    let ip = match (e.target, e.scanner) {
        (IpAddr::V4(t), IpAddr::V4(s)) => eth.ipv4(t.octets(), s.octets(), 64),
        (IpAddr::V6(t), IpAddr::V6(s)) => eth.ipv6(t.octets(), s.octets(), 64),
        _ => panic!("mixed families"),
    };
    let v6 = e.target.is_ipv6();
    let mut out = Vec::new();
    let r = match f {
        Forgery::BareSyn => ip
            .tcp(port, local, rng.u32(), 64240)
            .syn()
            .write(&mut out, &[]),
        Forgery::SynAck => ip
            .tcp(port, local, rng.u32(), 64240)
            .syn()
            .ack(rng.u32())
            .write(&mut out, &[]),
        Forgery::UdpJunk => {
            let n = 8 + (rng.next() % 40) as usize;
            let junk: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            ip.udp(port, local).write(&mut out, &junk)
        }
        Forgery::IcmpQuotingTcp { .. } | Forgery::IcmpQuotingUdp => {
            let tcp = matches!(f, Forgery::IcmpQuotingTcp { .. });
            let code = match f {
                Forgery::IcmpQuotingTcp { code } => code,
                _ if v6 => 4,
                _ => 3,
            };
            let quote = quoted_probe(e, tcp, local, port, rng);
            if v6 {
                let c = icmpv6::DestUnreachableCode::from_u8(code).expect("ICMPv6 code");
                ip.icmpv6(Icmpv6Type::DestinationUnreachable(c))
                    .write(&mut out, &quote)
            } else {
                let c = icmpv4::DestUnreachableHeader::from_values(code, 0).expect("ICMP code");
                ip.icmpv4(Icmpv4Type::DestinationUnreachable(c))
                    .write(&mut out, &quote)
            }
        }
    };
    r.expect("forged frame");
    out
}

/// Frames of every kind in `kinds` about every port in `ports`, for every local port.
pub fn sweep(e: &Ends, kinds: &[Forgery], ports: &[u16], seed: u64) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(kinds.len() * ports.len() * LOCAL_PORTS.len());
    for local in LOCAL_PORTS {
        for &port in ports {
            for &k in kinds {
                out.push(frame(e, k, port, local, &mut rng));
            }
        }
    }
    out
}

/// A thread sending forged frames in the target namespace until stopped.
/// A thread inside a namespace with an `AF_PACKET` socket, stopped (and joined) when it is
/// finished or dropped: what [`Spray`], [`SplitResponder`] and [`Capture`] run on.
#[derive(Debug)]
struct Worker<T> {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<T, String>>>,
}

impl<T: Send + 'static> Worker<T> {
    /// Enters `netns` on a new thread, opens an `AF_PACKET` socket (bound to `iface` if given;
    /// receiving every protocol, with a 50 ms receive timeout, if `receive`) and runs `body`
    /// with it and the stop flag. Returns once the socket is open, or with why it is not.
    fn start(
        netns: &str,
        iface: Option<&str>,
        receive: bool,
        body: impl FnOnce(libc::c_int, &AtomicBool) -> T + Send + 'static,
    ) -> Result<Worker<T>, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let s = Arc::clone(&stop);
        let (netns, iface) = (netns.to_string(), iface.map(str::to_string));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let fd =
                match enter_netns(&netns).and_then(|()| packet_socket(iface.as_deref(), receive)) {
                    Ok(fd) => fd,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.clone()));
                        return Err(e);
                    }
                };
            let _ = ready_tx.send(Ok(()));
            let out = body(fd, &s);
            // SAFETY: the descriptor is ours and closed once.
            unsafe { libc::close(fd) };
            Ok(out)
        });
        ready_rx
            .recv()
            .map_err(|e| format!("lab packet thread: {e}"))??;
        Ok(Worker {
            stop,
            thread: Some(thread),
        })
    }

    /// Stops the thread and returns what its body returned.
    fn finish(mut self) -> Result<T, String> {
        self.stop.store(true, Ordering::Relaxed);
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err("lab packet thread panicked".to_string()),
            None => Err("lab packet thread already stopped".to_string()),
        }
    }
}

impl<T> Drop for Worker<T> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A thread sending forged frames in the target namespace until stopped.
#[derive(Debug)]
pub struct Spray {
    sweeps: Arc<AtomicU64>,
    worker: Worker<u64>,
}

fn last_err(what: &str) -> String {
    format!("{what}: {}", std::io::Error::last_os_error())
}

/// An `AF_PACKET` socket: bound to `iface` when given, and when `receive`, for every protocol
/// with a 50 ms receive timeout (so its thread sees its stop flag); otherwise send-only.
fn packet_socket(iface: Option<&str>, receive: bool) -> Result<libc::c_int, String> {
    let protocol = if receive {
        (libc::ETH_P_ALL as u16).to_be()
    } else {
        0
    };
    // SAFETY: plain syscalls with valid arguments; the name is NUL-terminated; `sll` and `tv`
    // are live for the calls that read them.
    unsafe {
        let fd = libc::socket(libc::AF_PACKET, libc::SOCK_RAW, i32::from(protocol));
        if fd < 0 {
            return Err(last_err("socket(AF_PACKET)"));
        }
        if let Some(iface) = iface {
            let name = std::ffi::CString::new(iface).map_err(|e| e.to_string())?;
            let index = libc::if_nametoindex(name.as_ptr());
            if index == 0 {
                libc::close(fd);
                return Err(last_err(&format!("if_nametoindex({iface})")));
            }
            let mut sll: libc::sockaddr_ll = std::mem::zeroed();
            sll.sll_family = libc::AF_PACKET as u16;
            sll.sll_protocol = protocol;
            sll.sll_ifindex = index as i32;
            let rc = libc::bind(
                fd,
                (&sll as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            );
            if rc != 0 {
                libc::close(fd);
                return Err(last_err("bind(AF_PACKET)"));
            }
        }
        if receive {
            let tv = libc::timeval {
                tv_sec: 0,
                tv_usec: 50_000,
            };
            let rc = libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&tv as *const libc::timeval).cast(),
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            );
            if rc != 0 {
                libc::close(fd);
                return Err(last_err("SO_RCVTIMEO"));
            }
        }
        Ok(fd)
    }
}

impl Spray {
    /// Starts sending `frames` on `iface` in namespace `netns`, sweep after sweep.
    pub fn start(netns: &str, iface: &str, frames: Vec<Vec<u8>>) -> Result<Spray, String> {
        let sweeps = Arc::new(AtomicU64::new(0));
        let w = Arc::clone(&sweeps);
        let worker = Worker::start(netns, Some(iface), false, move |fd, stop| {
            let mut sent = 0u64;
            'outer: loop {
                for f in &frames {
                    if stop.load(Ordering::Relaxed) {
                        break 'outer;
                    }
                    // SAFETY: a valid buffer and length on an open socket.
                    let rc = unsafe { libc::send(fd, f.as_ptr().cast(), f.len(), 0) };
                    if rc > 0 {
                        sent += 1;
                    }
                }
                w.fetch_add(1, Ordering::Relaxed);
            }
            sent
        })?;
        Ok(Spray { sweeps, worker })
    }

    /// Full passes over the frames so far.
    pub fn sweeps(&self) -> u64 {
        self.sweeps.load(Ordering::Relaxed)
    }

    /// Stops the thread; returns the frames sent.
    pub fn stop(self) -> Result<u64, String> {
        self.worker.finish()
    }
}

/// The MAC address of the lab's veth in namespace `netns`.
pub fn veth_mac(netns: &str) -> Result<[u8; 6], String> {
    let out = std::process::Command::new("ip")
        .args(["-n", netns, "-o", "link", "show", super::IFACE])
        .output()
        .map_err(|e| format!("ip link: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mac = text
        .split_whitespace()
        .skip_while(|w| *w != "link/ether")
        .nth(1)
        .ok_or_else(|| format!("no MAC in: {text}"))?;
    let bytes: Vec<u8> = mac
        .split(':')
        .map(|h| u8::from_str_radix(h, 16))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("MAC {mac}: {e}"))?;
    bytes
        .try_into()
        .map_err(|_| format!("MAC {mac}: not 6 bytes"))
}

/// A split-handshake TCP "server" on one port of the target, in user space: every SYN to the
/// port draws a bare SYN back (no ACK), and with `complete`, the scanner's SYN+ACK that
/// acknowledges it draws the final ACK. The port must be dropped by the target's firewall so
/// its kernel stays silent (an `AF_PACKET` socket sees frames before the firewall does).
/// Without `complete`, it behaves as a forger would: the SYN comes, the proof never does.
#[derive(Debug)]
pub struct SplitResponder {
    answered: Arc<AtomicU64>,
    _worker: Worker<()>,
}

/// Our sequence number in the split handshake's SYN.
const SPLIT_SEQ: u32 = 0x5343_0000;

fn split_reply(frame: &[u8], ends: &Ends, port: u16, complete: bool) -> Option<Vec<u8>> {
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};
    let p = SlicedPacket::from_ethernet(frame).ok()?;
    let (src, dst) = match p.net? {
        NetSlice::Ipv4(ip) => (
            IpAddr::from(ip.header().source_addr()),
            IpAddr::from(ip.header().destination_addr()),
        ),
        NetSlice::Ipv6(ip) => (
            IpAddr::from(ip.header().source_addr()),
            IpAddr::from(ip.header().destination_addr()),
        ),
        _ => return None,
    };
    let Some(TransportSlice::Tcp(tcp)) = p.transport else {
        return None;
    };
    if dst != ends.target || src != ends.scanner || tcp.destination_port() != port {
        return None;
    }
    let (syn, ack, rst) = (tcp.syn(), tcp.ack(), tcp.rst());
    let eth = PacketBuilder::ethernet2(ends.target_mac, ends.scanner_mac);
    let ip = match (ends.target, ends.scanner) {
        (IpAddr::V4(t), IpAddr::V4(s)) => eth.ipv4(t.octets(), s.octets(), 64),
        (IpAddr::V6(t), IpAddr::V6(s)) => eth.ipv6(t.octets(), s.octets(), 64),
        _ => return None,
    };
    let back = tcp.source_port();
    let mut out = Vec::new();
    if syn && !ack && !rst {
        ip.tcp(port, back, SPLIT_SEQ, 64240)
            .syn()
            .write(&mut out, &[])
            .ok()?;
    } else if syn && ack && !rst && complete && tcp.acknowledgment_number() == SPLIT_SEQ + 1 {
        ip.tcp(port, back, SPLIT_SEQ + 1, 64240)
            .ack(tcp.sequence_number().wrapping_add(1))
            .write(&mut out, &[])
            .ok()?;
    } else {
        return None;
    }
    Some(out)
}

impl SplitResponder {
    /// Starts answering SYNs to `port` in namespace `netns` on `iface`.
    pub fn start(
        netns: &str,
        iface: &str,
        ends: Ends,
        port: u16,
        complete: bool,
    ) -> Result<SplitResponder, String> {
        let answered = Arc::new(AtomicU64::new(0));
        let a = Arc::clone(&answered);
        let worker = Worker::start(netns, Some(iface), true, move |fd, stop| {
            let mut buf = vec![0u8; 65536];
            while !stop.load(Ordering::Relaxed) {
                // SAFETY: a valid buffer and length on an open socket.
                let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
                let Ok(n) = usize::try_from(n) else { continue };
                if let Some(reply) = split_reply(&buf[..n], &ends, port, complete) {
                    // SAFETY: as above.
                    let rc = unsafe { libc::send(fd, reply.as_ptr().cast(), reply.len(), 0) };
                    if rc > 0 {
                        a.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        })?;
        Ok(SplitResponder {
            answered,
            _worker: worker,
        })
    }

    /// Segments sent so far (SYNs and final ACKs).
    pub fn answered(&self) -> u64 {
        self.answered.load(Ordering::Relaxed)
    }
}

/// Every frame seen on every interface of a namespace (an `AF_PACKET` socket for all
/// protocols), from [`Capture::start`] until [`Capture::stop`]: what the scope tests read to
/// prove that nothing was sent to an address.
#[derive(Debug)]
pub struct Capture {
    worker: Worker<Vec<Vec<u8>>>,
}

/// Frames kept at most (the rest are counted but dropped).
const CAPTURE_MAX: usize = 200_000;

impl Capture {
    /// Starts capturing in namespace `netns`.
    pub fn start(netns: &str) -> Result<Capture, String> {
        /// Reads one frame into `frames` (kept while under the cap); false when none came.
        fn read(fd: libc::c_int, buf: &mut [u8], flags: i32, frames: &mut Vec<Vec<u8>>) -> bool {
            // SAFETY: a valid buffer and length on an open socket.
            let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), flags) };
            let Ok(n) = usize::try_from(n) else {
                return false;
            };
            if frames.len() < CAPTURE_MAX {
                frames.push(buf[..n].to_vec());
            }
            true
        }
        let worker = Worker::start(netns, None, true, |fd, stop| {
            let mut frames = Vec::new();
            let mut buf = vec![0u8; 65536];
            while !stop.load(Ordering::Relaxed) {
                read(fd, &mut buf, 0, &mut frames);
            }
            // Whatever is still queued.
            while read(fd, &mut buf, libc::MSG_DONTWAIT, &mut frames) {}
            frames
        })?;
        Ok(Capture { worker })
    }

    /// Stops and returns the frames seen.
    pub fn stop(self) -> Result<Vec<Vec<u8>>, String> {
        // Let the last frames in flight arrive.
        std::thread::sleep(std::time::Duration::from_millis(200));
        self.worker.finish()
    }
}

/// The DNS name of `addr`'s PTR record as labels on the wire, without the final `arpa`
/// (`\x013\x010\x0218\x03198\x07in-addr` for 198.18.0.3).
fn ptr_labels(addr: IpAddr) -> Vec<u8> {
    let labels: Vec<String> = match addr {
        IpAddr::V4(a) => {
            let mut l: Vec<String> = a.octets().iter().rev().map(|o| o.to_string()).collect();
            l.push("in-addr".into());
            l
        }
        IpAddr::V6(a) => {
            let mut l: Vec<String> = a
                .octets()
                .iter()
                .rev()
                .flat_map(|b| [format!("{:x}", b & 0xf), format!("{:x}", b >> 4)])
                .collect();
            l.push("ip6".into());
            l
        }
    };
    let mut out = Vec::new();
    for l in labels {
        out.push(l.len() as u8);
        out.extend_from_slice(l.as_bytes());
    }
    out
}

/// Whether a captured frame is sent to `addr` or asks about it: an IPv4/IPv6 packet to it, an
/// ARP request or Neighbor Solicitation for it, or a DNS query for its PTR name.
pub fn mentions(frame: &[u8], addr: IpAddr) -> bool {
    use etherparse::{LinkSlice, NetSlice, SlicedPacket};
    let ptr = ptr_labels(addr);
    if frame.windows(ptr.len()).any(|w| w == ptr.as_slice()) {
        return true;
    }
    let Ok(p) = SlicedPacket::from_ethernet(frame) else {
        return false;
    };
    if let (Some(LinkSlice::Ethernet2(eth)), IpAddr::V4(a)) = (&p.link, addr) {
        // ARP: target protocol address at bytes 24..28 of the ARP message.
        if eth.ether_type() == etherparse::EtherType::ARP {
            let arp = eth.payload_slice();
            return arp.get(24..28) == Some(&a.octets()[..]);
        }
    }
    match (p.net, addr) {
        (Some(NetSlice::Ipv4(ip)), IpAddr::V4(a)) => ip.header().destination_addr() == a,
        (Some(NetSlice::Ipv6(ip)), IpAddr::V6(a)) => {
            let h = ip.header();
            // A Neighbor Solicitation names its target at bytes 8..24 of the ICMPv6 message.
            let ns_target = ip.payload().payload.get(8..24) == Some(&a.octets()[..])
                && ip.payload().payload.first() == Some(&135);
            h.destination_addr() == a || ns_target
        }
        _ => false,
    }
}
