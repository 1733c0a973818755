//! UDP services inside the target namespace: a tiny DNS server, UDP echo and silent
//! listeners (see [`UdpKind`]).
//!
//! One thread per lab enters the target namespace (`setns`, only that thread), binds one
//! socket per UDP service port and target address (IPv4 and IPv6), and serves them in a
//! `poll` loop until the lab is dropped. Sockets are bound to the individual addresses
//! rather than the wildcard so that a reply always leaves from the address the probe was
//! sent to, also with `Layout::with_extra_hosts` (a wildcard socket would answer from the
//! veth's primary address).

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::mpsc::{self, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::Duration;

use super::layout::UdpKind;
use super::services::enter_netns;

#[derive(Debug)]
pub struct UdpServices {
    stop: Sender<()>,
    thread: Option<JoinHandle<()>>,
}

struct Bound {
    kind: UdpKind,
    sock: UdpSocket,
}

fn bind_all(ports: &BTreeMap<u16, UdpKind>, addrs: &[IpAddr]) -> Result<Vec<Bound>, String> {
    let mut out = Vec::new();
    for (&port, &kind) in ports.iter().filter(|(_, k)| k.is_bound()) {
        for &ip in addrs {
            let sa = SocketAddr::new(ip, port);
            let sock = UdpSocket::bind(sa).map_err(|e| format!("bind udp {sa}: {e}"))?;
            sock.set_nonblocking(true)
                .map_err(|e| format!("set_nonblocking udp {sa}: {e}"))?;
            out.push(Bound { kind, sock });
        }
    }
    Ok(out)
}

/// The answer of the lab's DNS server to the message `q`, or `None` when it must stay
/// silent (shorter than a header, or itself a response).
///
/// RFC 1035 s4.1: the id is copied, QR and AA set, the opcode and RD copied. A standard
/// query (opcode 0) with exactly one well-formed question gets NOERROR with the question
/// copied and, for `IN A`, one answer (198.51.100.53, TTL 60; other types: no data);
/// other opcodes get NOTIMP (4), anything else FORMERR (1), header only.
pub fn dns_response(q: &[u8]) -> Option<Vec<u8>> {
    if q.len() < 12 {
        return None;
    }
    let flags = u16::from_be_bytes([q[2], q[3]]);
    if flags & 0x8000 != 0 {
        return None;
    }
    let opcode = (flags >> 11) & 0xf;
    let qdcount = u16::from_be_bytes([q[4], q[5]]);
    // (question bytes, qtype, qclass)
    let question = || -> Option<(&[u8], u16, u16)> {
        let mut i = 12;
        loop {
            let len = *q.get(i)? as usize;
            if len == 0 {
                i += 1;
                break;
            }
            if len > 63 {
                return None; // compression pointers are not used in questions
            }
            i += 1 + len;
        }
        let tail = q.get(i..i + 4)?;
        Some((
            &q[12..i + 4],
            u16::from_be_bytes([tail[0], tail[1]]),
            u16::from_be_bytes([tail[2], tail[3]]),
        ))
    };
    let (rcode, qn) = if opcode != 0 {
        (4u16, None)
    } else if qdcount != 1 {
        (1, None)
    } else {
        match question() {
            Some(x) => (0, Some(x)),
            None => (1, None),
        }
    };
    let answer_a = matches!(qn, Some((_, 1, 1)));
    let out_flags: u16 = 0x8000 | (opcode << 11) | 0x0400 | (flags & 0x0100) | rcode;
    let mut r = Vec::with_capacity(64);
    r.extend_from_slice(&q[0..2]);
    r.extend_from_slice(&out_flags.to_be_bytes());
    r.extend_from_slice(&u16::from(qn.is_some()).to_be_bytes()); // QDCOUNT
    r.extend_from_slice(&u16::from(answer_a).to_be_bytes()); // ANCOUNT
    r.extend_from_slice(&[0, 0, 0, 0]); // NSCOUNT, ARCOUNT
    if let Some((bytes, _, _)) = qn {
        r.extend_from_slice(bytes);
    }
    if answer_a {
        // Name: pointer to the question's name at offset 12; TYPE A, CLASS IN, TTL 60,
        // RDLENGTH 4, 198.51.100.53 (TEST-NET-2).
        r.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 51, 100, 53]);
    }
    Some(r)
}

fn serve(bound: Vec<Bound>, stop: mpsc::Receiver<()>) {
    let mut buf = vec![0u8; 65536];
    loop {
        match stop.try_recv() {
            Ok(()) | Err(TryRecvError::Disconnected) => return,
            Err(TryRecvError::Empty) => {}
        }
        let mut fds: Vec<libc::pollfd> = bound
            .iter()
            .map(|b| libc::pollfd {
                fd: b.sock.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        if fds.is_empty() {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        // SAFETY: fds is a valid array of pollfd; 20 ms so a stop is seen quickly.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 20) };
        if n <= 0 {
            continue;
        }
        for (pfd, b) in fds.iter().zip(&bound) {
            if pfd.revents == 0 {
                continue;
            }
            // Drain: every queued datagram is answered (or, for a silent port, discarded).
            while let Ok((len, from)) = b.sock.recv_from(&mut buf) {
                let reply = match b.kind {
                    UdpKind::Echo => Some(buf[..len].to_vec()),
                    UdpKind::Dns => dns_response(&buf[..len]),
                    _ => None,
                };
                if let Some(r) = reply {
                    let _ = b.sock.send_to(&r, from);
                }
            }
        }
    }
}

impl UdpServices {
    /// Start the UDP service thread in namespace `netns`: every bound kind (DNS, echo,
    /// silent) of `ports` on each of `addrs`. Returns once every socket is bound.
    pub fn start(
        netns: &str,
        ports: BTreeMap<u16, UdpKind>,
        addrs: Vec<IpAddr>,
    ) -> Result<UdpServices, String> {
        let (stop_tx, stop_rx) = mpsc::channel();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
        let ns = netns.to_string();
        let thread = std::thread::Builder::new()
            .name(format!("lab-udp-{netns}"))
            .spawn(move || {
                if let Err(e) = enter_netns(&ns) {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
                match bind_all(&ports, &addrs) {
                    Ok(bound) => {
                        let _ = ready_tx.send(Ok(()));
                        serve(bound, stop_rx);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })
            .map_err(|e| format!("spawn UDP service thread: {e}"))?;
        let r = ready_rx
            .recv_timeout(Duration::from_secs(10))
            .map_err(|e| format!("UDP service thread did not report: {e}"))?;
        let mut s = UdpServices {
            stop: stop_tx,
            thread: Some(thread),
        };
        if let Err(e) = r {
            s.stop();
            return Err(e);
        }
        Ok(s)
    }

    pub fn stop(&mut self) {
        let _ = self.stop.send(());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for UdpServices {
    fn drop(&mut self) {
        self.stop();
    }
}
