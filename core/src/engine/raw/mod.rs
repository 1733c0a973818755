//! The raw-packet transport: probes built by the technique are sent on raw IP sockets, and
//! every received packet is handed to the techniques; the driver accepts a recognised reply only
//! if its keyed cookie (or keyed source port) proves which probe and which try it answers.
//!
//! One thread does everything: it sends a batch, drains the sockets without blocking, and
//! sleeps in `ppoll` only when there is nothing to send and nothing to read. Handing packets
//! between threads would cost a wake-up per reply, which is more than the reply itself costs.
//! Timeouts are kept in a deadline heap; the shared [`Scheduler`] does the rest.

mod cookie;
mod socket;

pub use socket::raw_available;

use super::sched::{Next, Probe, Scheduler};
use super::{EngineError, EngineEvent, EngineStats, ScanJob};
use crate::technique::{Echo, ProbeContext, ProbeMethod, RawMatch, ReplyContext, ScanTechnique};
use cookie::CookieKey;
use socket::RawSocket;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// Default ceiling on probes in flight per template.
fn default_parallelism(template: u8) -> u32 {
    match template {
        0..=2 => 1,
        3 => 4096,
        4 => 8192,
        _ => 16384,
    }
}

const ICMP: u8 = 1;
const ICMPV6: u8 = 58;
/// Cached route lookups before the cache is cleared (bounded memory for many-host scans).
const SOURCE_CACHE: usize = 65536;

/// Probes sent between two looks at the receive sockets.
const SEND_BATCH: usize = 64;
/// Packets read from one socket before sending again.
const RECV_BATCH: usize = 256;
/// Longest sleep before the stop flag is looked at again.
const STOP_CHECK: Duration = Duration::from_millis(50);

/// A packet a technique recognised, stamped when it arrived.
struct Reply {
    unit: usize,
    m: RawMatch,
    from: IpAddr,
    to: IpAddr,
    at: Instant,
    /// It came in on an ICMP socket (an error: what targets rate-limit).
    icmp: bool,
}

fn raw_protocol(t: &dyn ScanTechnique) -> Option<u8> {
    match t.probe() {
        ProbeMethod::Raw(p) => Some(p.ip_protocol()),
        ProbeMethod::Connect(_) => None,
    }
}

/// A receive socket and the technique units whose replies may arrive on it.
struct Listener {
    sock: RawSocket,
    units: Vec<usize>,
}

struct Driver<'a> {
    job: &'a ScanJob,
    sched: Scheduler<'a>,
    key: CookieKey,
    listeners: Vec<Listener>,
    /// Index into `listeners` of the socket that sends each (IPv6?, protocol).
    senders: HashMap<(bool, u8), usize>,
    /// Send-only sockets bound to each `--source-ip` address, per protocol.
    bound: HashMap<(IpAddr, u8), RawSocket>,
    sources: HashMap<IpAddr, Option<IpAddr>>,
    timers: BinaryHeap<Reverse<(Instant, Probe)>>,
    buf: Vec<u8>,
    rbuf: Vec<u8>,
    send_notice: bool,
}

/// Runs a scan whose techniques all send raw packets. Blocks the calling worker thread (the
/// runtime moves its other tasks elsewhere).
pub(super) async fn run(
    job: &ScanJob,
    events: &mpsc::UnboundedSender<EngineEvent>,
    stop: watch::Receiver<bool>,
) -> Result<EngineStats, EngineError> {
    let mut d = Driver::open(job, events)?;
    let multi = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi {
        tokio::task::block_in_place(|| d.run(&stop))
    } else {
        d.run(&stop)
    }
}

impl<'a> Driver<'a> {
    fn open(
        job: &'a ScanJob,
        events: &'a mpsc::UnboundedSender<EngineEvent>,
    ) -> Result<Self, EngineError> {
        let mut listeners = Vec::new();
        let mut senders = HashMap::new();
        let protocols: Vec<u8> = job
            .units
            .iter()
            .filter_map(|u| raw_protocol(u.technique.as_ref()))
            .collect();
        for v6 in [false, true] {
            let mut wanted = protocols.clone();
            wanted.push(if v6 { ICMPV6 } else { ICMP });
            wanted.sort_unstable();
            wanted.dedup();
            for proto in wanted {
                let sock = match RawSocket::open(v6, proto) {
                    Ok(s) => s,
                    // IPv6 may be disabled on this host: only IPv6 targets suffer (their
                    // probes fail with a notice), so this is not fatal.
                    Err(_) if v6 => continue,
                    Err(e) => return Err(EngineError::Raw(e.to_string())),
                };
                if proto != ICMP && proto != ICMPV6 {
                    let (lo, hi) = cookie::LOCAL_PORTS;
                    // Without the filter everything still works, only with more to read.
                    let _ = sock.only_ports(lo, hi);
                }
                let units = job
                    .units
                    .iter()
                    .enumerate()
                    .filter(|(_, u)| {
                        proto == ICMP
                            || proto == ICMPV6
                            || raw_protocol(u.technique.as_ref()) == Some(proto)
                    })
                    .map(|(i, _)| i)
                    .collect();
                senders.insert((v6, proto), listeners.len());
                listeners.push(Listener { sock, units });
            }
        }
        let mut bound = HashMap::new();
        for &src in &job.sources {
            for &proto in &protocols {
                let sock = RawSocket::open_sender(proto, src)
                    .map_err(|e| EngineError::Raw(format!("source address {src}: {e}")))?;
                bound.insert((src, proto), sock);
            }
        }
        let key = {
            use std::hash::{BuildHasher, Hasher};
            let rs = std::collections::hash_map::RandomState::new();
            let mut a = rs.build_hasher();
            a.write_u64(job.seed);
            let mut b = rs.build_hasher();
            b.write_u64(!job.seed);
            CookieKey::new(a.finish(), b.finish())
        };
        Ok(Driver {
            job,
            sched: Scheduler::new(
                job,
                events,
                usize::MAX,
                default_parallelism(job.timing.template),
            ),
            key,
            listeners,
            senders,
            bound,
            sources: HashMap::new(),
            timers: BinaryHeap::new(),
            buf: vec![0u8; 2048],
            rbuf: vec![0u8; 65536],
            send_notice: false,
        })
    }

    fn run(&mut self, stop: &watch::Receiver<bool>) -> Result<EngineStats, EngineError> {
        loop {
            if *stop.borrow() {
                self.sched.interrupt();
                break;
            }
            self.sched.expire_hosts();
            let received = self.drain();
            self.expire_probes();
            let (sent, wake) = self.launch();
            if self.sched.is_done() {
                break;
            }
            if sent == 0 && received == 0 {
                let now = Instant::now();
                let next_timer = self.timers.peek().map(|Reverse((t, ..))| *t);
                let until = [wake, next_timer]
                    .into_iter()
                    .flatten()
                    .min()
                    .unwrap_or(now + STOP_CHECK);
                let socks: Vec<&RawSocket> = self.listeners.iter().map(|l| &l.sock).collect();
                socket::wait_readable(&socks, until.saturating_duration_since(now).min(STOP_CHECK))
                    .map_err(|e| EngineError::Raw(e.to_string()))?;
            }
        }
        self.sched.progress(true);
        Ok(self.sched.stats())
    }

    /// Reads what is waiting on every socket (a bounded batch each); returns packets read.
    fn drain(&mut self) -> usize {
        let mut total = 0;
        for i in 0..self.listeners.len() {
            for _ in 0..RECV_BATCH {
                let r = match self.listeners[i].sock.recv_now(&mut self.rbuf) {
                    Ok(Some(r)) => r,
                    Ok(None) => continue,
                    // WouldBlock, or a receive error: try again next round.
                    Err(_) => break,
                };
                total += 1;
                let at = Instant::now();
                let ctx = ReplyContext {
                    from: r.from,
                    to: r.to,
                    ttl: r.ttl,
                    ip_protocol: r.protocol,
                    payload: &self.rbuf[r.start..r.end],
                };
                let mut found = None;
                for &unit in &self.listeners[i].units {
                    if let ProbeMethod::Raw(p) = self.job.units[unit].technique.probe() {
                        if let Some(m) = p.classify(&ctx) {
                            found = Some(Reply {
                                unit,
                                m,
                                from: r.from,
                                to: r.to,
                                at,
                                icmp: matches!(r.protocol, ICMP | ICMPV6),
                            });
                            break;
                        }
                    }
                }
                if let Some(reply) = found {
                    self.reply(reply);
                }
            }
        }
        total
    }

    /// The local address probe source `src` uses toward `dst`: the `src`-th `--source-ip`
    /// of the same family, or the routing table's choice when none was given.
    fn local(&mut self, dst: IpAddr, src: u8) -> Option<IpAddr> {
        let mut same = self
            .job
            .sources
            .iter()
            .filter(|s| s.is_ipv4() == dst.is_ipv4());
        match same.clone().next() {
            Some(_) => same.nth(usize::from(src)).copied(),
            None => self.source(dst),
        }
    }

    fn source(&mut self, dst: IpAddr) -> Option<IpAddr> {
        if self.sources.len() >= SOURCE_CACHE {
            self.sources.clear();
        }
        *self
            .sources
            .entry(dst)
            .or_insert_with(|| socket::source_for(dst).ok())
    }

    fn expire_probes(&mut self) {
        let now = Instant::now();
        while let Some(&Reverse((t, p))) = self.timers.peek() {
            if t > now {
                break;
            }
            self.timers.pop();
            self.sched.timeout(p);
        }
    }

    /// Sends up to a batch of what the scheduler allows; returns how many were sent and when
    /// to look again if waiting on the clock.
    fn launch(&mut self) -> (usize, Option<Instant>) {
        for sent in 0..SEND_BATCH {
            let now = Instant::now();
            match self.sched.next(now) {
                Next::Send(p) => self.send(p, now),
                Next::WaitUntil(t) => return (sent, Some(t)),
                Next::Blocked => return (sent, None),
            }
        }
        (SEND_BATCH, None)
    }

    fn send(&mut self, p: Probe, now: Instant) {
        let (Some(dst), Some(unit)) = (self.sched.destination(p), self.sched.unit_of(p)) else {
            return;
        };
        let tech = &self.job.units[unit].technique;
        let ProbeMethod::Raw(probe) = tech.probe() else {
            return;
        };
        let try_no = p.try_no.min(cookie::MAX_TRY);
        let result = match self.local(dst.ip(), p.src) {
            None => Err(format!("no route to {}", dst.ip())),
            Some(local) => {
                let ctx = ProbeContext {
                    src: SocketAddr::new(local, self.key.local_port(local, dst, try_no)),
                    dst,
                    cookie: self.key.cookie(local, dst, try_no),
                };
                let proto = probe.ip_protocol();
                let sender = match self.bound.get(&(local, proto)) {
                    Some(s) => Some(s),
                    None => self
                        .senders
                        .get(&(dst.is_ipv6(), proto))
                        .map(|&i| &self.listeners[i].sock),
                };
                match (probe.build(&ctx, &mut self.buf), sender) {
                    (Err(e), _) => Err(e.to_string()),
                    (_, None) => Err(format!("no raw socket for {} (is IPv6 enabled?)", dst.ip())),
                    (Ok(len), Some(sock)) => match sock.send_to(&self.buf[..len], dst.ip()) {
                        Ok(_) => Ok(()),
                        Err(e) => {
                            let errno = e.raw_os_error().unwrap_or(libc::EIO);
                            if [libc::EAGAIN, libc::ENOBUFS, libc::ENOMEM].contains(&errno) {
                                self.sched.resource_error(p, errno);
                                return;
                            }
                            Err(format!("sending to {dst}: {e}"))
                        }
                    },
                }
            }
        };
        if let Err(why) = result {
            // The probe counts as sent and unanswered: the port ends as the technique's
            // silence, as nmap reports ports it could not reach.
            if !self.send_notice {
                self.send_notice = true;
                self.sched
                    .notice(format!("{why}; affected ports are reported as unanswered"));
            }
        }
        let timeout = self.sched.timeout_for(p.host);
        self.sched.sent(p, now);
        self.timers.push(Reverse((now + timeout, p)));
    }

    fn reply(&mut self, r: Reply) {
        let m = r.m;
        let Some((host, slot)) = self.sched.lookup(m.target.ip(), r.unit, m.target.port()) else {
            return;
        };
        if let Echo::Flow { seq } = m.echo {
            if self.own_probe(&r, seq) {
                return;
            }
        }
        // The reply is addressed to one of our source addresses: the routing table's, or one
        // of the --source-ip addresses of that family (no allocation on this per-reply path).
        let key = self.key;
        let verify = |local: IpAddr| match m.echo {
            Echo::Cookie(c) => key.verify(local, m.target, m.local_port, c),
            Echo::Flow { .. } => key.try_of_port(local, m.target, m.local_port),
        };
        let v4 = m.target.is_ipv4();
        let try_no = if self.job.sources.iter().any(|s| s.is_ipv4() == v4) {
            self.job
                .sources
                .iter()
                .filter(|s| s.is_ipv4() == v4)
                .find_map(|&local| verify(local))
        } else {
            self.source(m.target.ip()).and_then(verify)
        };
        let Some(try_no) = try_no else { return };
        self.sched
            .reply(host, slot, try_no, m.verdict, r.at, r.icmp);
    }

    /// Whether a cookie-less packet is one of our own probes seen again (loopback): read the
    /// other way round, its source port is our keyed port and its sequence number our cookie.
    fn own_probe(&self, r: &Reply, seq: u32) -> bool {
        let local = r.from;
        let dst_ip = if r.to.is_unspecified() { r.from } else { r.to };
        let remote = SocketAddr::new(dst_ip, r.m.local_port);
        match self.key.try_of_port(local, remote, r.m.target.port()) {
            Some(t) => seq == 0 || self.key.cookie(local, remote, t) == seq,
            None => false,
        }
    }
}
