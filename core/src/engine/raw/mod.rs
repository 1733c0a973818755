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

use super::link::{LinkChannel, LinkRoute, LinkTable};
use super::sched::{Next, Probe, ReplyInfo, Scheduler};
use super::units::Method;
use super::{EngineError, EngineEvent, EngineStats, ReplyCounts, ScanJob};
use crate::discovery::LinkContext;
use crate::packet::{ip_header_len, parse_icmp_error, write_ip_header};
use crate::technique::{Echo, ProbeContext, RawMatch, RawProbe, ReplyContext};
use cookie::CookieKey;
use socket::RawSocket;
use std::cell::RefCell;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::RawFd;
use std::rc::Rc;
use std::time::{Duration, Instant, SystemTime};
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

/// Targets looked at to find the interfaces that need a link-layer channel.
const LINK_LOOKAHEAD: u128 = 1 << 16;

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
    /// For an ICMP error: the IPv4 identification or IPv6 flow label of the header it quotes.
    tag: Option<u32>,
}

/// A receive socket and the units whose replies may arrive on it.
struct Listener {
    sock: RawSocket,
    units: Vec<usize>,
}

/// On-link lookups, shared by the scheduler (is this target on the link?) and the driver (how
/// to send it frames); cached per address, cleared when large.
type Routes = Rc<RefCell<(LinkTable, HashMap<IpAddr, Option<LinkRoute>>)>>;

fn route_of(routes: &Routes, dst: IpAddr) -> Option<LinkRoute> {
    let mut guard = routes.borrow_mut();
    let (table, cache) = &mut *guard;
    if cache.len() >= SOURCE_CACHE {
        cache.clear();
    }
    cache
        .entry(dst)
        .or_insert_with(|| table.on_link(dst))
        .clone()
}

struct Driver<'a> {
    job: &'a ScanJob,
    sched: Scheduler<'a>,
    key: CookieKey,
    listeners: Vec<Listener>,
    /// Header-included send sockets, IPv4 and IPv6 (`None` where the family is unavailable).
    send4: Option<RawSocket>,
    send6: Option<RawSocket>,
    sources: HashMap<IpAddr, Option<IpAddr>>,
    routes: Routes,
    /// Link-layer channels by interface name, all opened before the first probe.
    links: HashMap<String, LinkChannel>,
    /// Why the channel of an interface could not be opened.
    link_errors: HashMap<String, String>,
    link_units: Vec<usize>,
    buf: Vec<u8>,
    rbuf: Vec<u8>,
    send_notice: bool,
    /// Probes that could not be sent.
    failed: u64,
    /// Reply counts by how they were proven.
    counts: ReplyCounts,
    /// Challenges sent per flow and source port, bounded (see [`MAX_CHALLENGES`]).
    challenged: HashMap<(SocketAddr, u16), u8>,
}

/// Challenges sent for one probe's source port: a genuine peer answers the first; more are
/// only what a flood of forged SYNs would draw.
const MAX_CHALLENGES: u8 = 2;

/// Runs a scan whose units all send raw packets or link-layer frames. Blocks the calling
/// worker thread (the runtime moves its other tasks elsewhere).
pub(super) async fn run(
    job: &ScanJob,
    events: &mpsc::UnboundedSender<EngineEvent>,
    stop: watch::Receiver<bool>,
) -> Result<EngineStats, EngineError> {
    let multi = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    let go = || {
        let mut d = Driver::open(job, events)?;
        // Every raw socket and link-layer channel is open: privileges may go now.
        job.opened()?;
        d.run(&stop)
    };
    if multi {
        tokio::task::block_in_place(go)
    } else {
        go()
    }
}

impl<'a> Driver<'a> {
    fn open(
        job: &'a ScanJob,
        events: &'a mpsc::UnboundedSender<EngineEvent>,
    ) -> Result<Self, EngineError> {
        let mut sched = Scheduler::new(
            job,
            events,
            usize::MAX,
            default_parallelism(job.timing.template),
            Instant::now(),
            SystemTime::now(),
        );
        let link_units: Vec<usize> = (0..sched.unit_count())
            .filter(|&u| matches!(sched.method(u), Some((Method::Link(_), _))))
            .collect();
        let table = if link_units.is_empty() {
            LinkTable::default()
        } else {
            LinkTable::load()
        };
        // Link-layer channels are opened now, on every interface a target will be asked for on
        // (every candidate interface when the targets are too many to look at), so that nothing
        // needs privileges once the scan runs. One that cannot be opened is remembered: its
        // targets' probes fail with that reason.
        let wanted: Vec<String> = if link_units.is_empty() {
            Vec::new()
        } else if job.targets.upper_bound() <= LINK_LOOKAHEAD {
            let mut names: Vec<String> = job
                .targets
                .iter()
                .filter_map(|t| table.on_link(t.addr).map(|r| r.ifname))
                .collect();
            names.sort_unstable();
            names.dedup();
            names
        } else {
            table.interfaces()
        };
        let mut links = HashMap::new();
        let mut link_errors = HashMap::new();
        for ifname in wanted {
            match LinkChannel::open(&ifname) {
                Ok(c) => {
                    links.insert(ifname, c);
                }
                Err(e) => {
                    link_errors.insert(ifname, e.to_string());
                }
            }
        }
        let routes: Routes = Rc::new(RefCell::new((table, HashMap::new())));
        if !link_units.is_empty() {
            let r = Rc::clone(&routes);
            sched.set_on_link(move |dst| route_of(&r, dst).is_some());
        }
        let mut listeners = Vec::new();
        for v6 in [false, true] {
            let icmp = if v6 { ICMPV6 } else { ICMP };
            let mut wanted: Vec<u8> = (0..sched.unit_count())
                .filter_map(|u| match sched.method(u) {
                    Some((Method::Raw(p), _)) => Some(p.ip_protocol_for(v6)),
                    _ => None,
                })
                .collect();
            wanted.push(icmp);
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
                if proto != icmp {
                    let (lo, hi) = cookie::LOCAL_PORTS;
                    // Without the filter everything still works, only with more to read.
                    let _ = sock.only_ports(lo, hi);
                }
                // An ICMP socket hears errors quoting any probe, and ICMP replies.
                let units = (0..sched.unit_count())
                    .filter(|&u| match sched.method(u) {
                        Some((Method::Raw(p), _)) => {
                            proto == icmp || p.ip_protocol_for(v6) == proto
                        }
                        _ => false,
                    })
                    .collect();
                listeners.push(Listener { sock, units });
            }
        }
        let any_raw =
            (0..sched.unit_count()).any(|u| matches!(sched.method(u), Some((Method::Raw(_), _))));
        let (send4, send6) = if any_raw {
            let send4 =
                RawSocket::open_sender(false).map_err(|e| EngineError::Raw(e.to_string()))?;
            (Some(send4), RawSocket::open_sender(true).ok())
        } else {
            (None, None)
        };
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
            sched,
            key,
            listeners,
            send4,
            send6,
            sources: HashMap::new(),
            routes,
            links,
            link_errors,
            link_units,
            buf: vec![0u8; 2048],
            rbuf: vec![0u8; 65536],
            send_notice: false,
            failed: 0,
            counts: ReplyCounts::default(),
            challenged: HashMap::new(),
        })
    }

    fn run(&mut self, stop: &watch::Receiver<bool>) -> Result<EngineStats, EngineError> {
        loop {
            if *stop.borrow() {
                self.sched.interrupt(Instant::now());
                break;
            }
            let received = self.drain() + self.drain_links();
            self.sched.expire(Instant::now(), |_| {});
            let (sent, wake) = self.launch();
            if self.sched.is_done() {
                break;
            }
            if sent == 0 && received == 0 {
                let now = Instant::now();
                let until = [wake, self.sched.next_deadline()]
                    .into_iter()
                    .flatten()
                    .min()
                    .unwrap_or(now + STOP_CHECK);
                let mut fds: Vec<RawFd> = self.listeners.iter().map(|l| l.sock.fd()).collect();
                fds.extend(self.links.values().map(LinkChannel::wake_fd));
                socket::wait_readable(&fds, until.saturating_duration_since(now).min(STOP_CHECK))
                    .map_err(|e| EngineError::Raw(e.to_string()))?;
            }
        }
        self.sched.progress(Instant::now(), true);
        if self.counts.rejected > 0 {
            self.sched.notice(format!(
                "{} replies named our probes but did not prove it (forged, stale, or rewritten on the way) and were ignored",
                self.counts.rejected
            ));
        }
        let mut stats = self.sched.stats();
        stats.probes_failed = self.failed;
        stats.replies = self.counts;
        Ok(stats)
    }

    /// Reads what is waiting on every socket (a bounded batch each); returns packets read.
    fn drain(&mut self) -> usize {
        // The buffer leaves `self` while packets are read, so replies can be handed on
        // without copying them (nothing is allocated per packet).
        let mut rbuf = std::mem::take(&mut self.rbuf);
        let mut total = 0;
        for i in 0..self.listeners.len() {
            for _ in 0..RECV_BATCH {
                let r = match self.listeners[i].sock.recv_now(&mut rbuf) {
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
                    payload: &rbuf[r.start..r.end],
                };
                let icmp = matches!(r.protocol, ICMP | ICMPV6);
                // The engine checks the quoted header of every ICMP error itself.
                let tag = if icmp {
                    parse_icmp_error(&ctx).map(|(_, q)| q.ip_tag)
                } else {
                    None
                };
                // Several units may recognise a packet (an ICMP error quotes a TCP probe, and
                // a port technique and a discovery method both send TCP to port 443): the first
                // whose keyed cookie verifies takes it.
                for k in 0..self.listeners[i].units.len() {
                    let unit = self.listeners[i].units[k];
                    let Some((Method::Raw(p), _)) = self.sched.method(unit) else {
                        continue;
                    };
                    let Some(m) = p.classify(&ctx) else {
                        continue;
                    };
                    let reply = Reply {
                        unit,
                        m,
                        from: r.from,
                        to: r.to,
                        at,
                        icmp,
                        tag,
                    };
                    if self.reply(reply) {
                        break;
                    }
                }
            }
        }
        self.rbuf = rbuf;
        total
    }

    /// Reads the frames waiting on every link-layer channel; returns frames read.
    fn drain_links(&mut self) -> usize {
        // Take what waits first (nothing is allocated when no frame came), then read it.
        let mut frames = Vec::new();
        for c in self.links.values_mut() {
            frames.extend(std::iter::from_fn(|| c.try_recv()).take(RECV_BATCH));
        }
        let total = frames.len();
        let at = Instant::now();
        for frame in frames {
            for &unit in &self.link_units {
                let Some((Method::Link(p), _)) = self.sched.method(unit) else {
                    continue;
                };
                let Some(m) = p.classify(&frame) else {
                    continue;
                };
                // No cookie exists at this layer: the answer must be addressed to us and be
                // about a host we are asking for right now.
                let ours = route_of(&self.routes, m.target).is_some_and(|r| r.mac == m.to_mac);
                let Some((host, slot)) = self.sched.lookup(m.target, unit, 0) else {
                    continue;
                };
                let Some(try_no) = self.sched.in_flight_try(host, slot) else {
                    continue;
                };
                if ours {
                    let info = ReplyInfo {
                        mac: Some(m.mac),
                        ..ReplyInfo::default()
                    };
                    self.sched.reply(host, slot, try_no, m.verdict, at, info);
                    break;
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
        let result = match self.sched.method(unit) {
            Some((Method::Raw(probe), flavor)) => self.send_raw(p, dst, probe, flavor, now),
            Some((Method::Link(probe), _)) => self.send_link(dst.ip(), probe),
            _ => return,
        };
        if matches!(result, Sent::Failed(_)) {
            self.failed += 1;
        }
        match result {
            Sent::Requeued => return,
            Sent::Failed(why) if !self.send_notice => {
                // The probe counts as sent and unanswered: the port ends as the technique's
                // silence, as nmap reports ports it could not reach.
                self.send_notice = true;
                self.sched
                    .notice(format!("{why}; affected ports are reported as unanswered"));
            }
            _ => {}
        }
        self.sched.sent(p, now);
    }

    fn send_raw(
        &mut self,
        p: Probe,
        dst: SocketAddr,
        probe: &dyn RawProbe,
        flavor: u8,
        now: Instant,
    ) -> Sent {
        let try_no = p.try_no.min(cookie::MAX_TRY);
        let Some(local) = self.local(dst.ip(), p.src) else {
            return Sent::Failed(format!("no route to {}", dst.ip()));
        };
        let key = self.key.flavored(flavor);
        let (cookie, tag) = key.probe(local, dst, try_no);
        let ctx = ProbeContext {
            src: SocketAddr::new(local, key.local_port(local, dst, try_no)),
            dst,
            cookie,
        };
        let proto = probe.ip_protocol_for(dst.is_ipv6());
        let hdr = ip_header_len(dst.ip());
        let len = match probe.build(&ctx, &mut self.buf[hdr..]) {
            Ok(len) => len,
            Err(e) => return Sent::Failed(e.to_string()),
        };
        match self.transmit(local, dst.ip(), proto, tag, len) {
            Ok(()) => Sent::Ok,
            Err(e) => {
                let errno = e.raw_os_error().unwrap_or(libc::EIO);
                if [libc::EAGAIN, libc::ENOBUFS, libc::ENOMEM].contains(&errno) {
                    self.sched.resource_error(p, errno, now);
                    return Sent::Requeued;
                }
                Sent::Failed(format!("sending to {dst}: {e}"))
            }
        }
    }

    /// Puts the IP header in front of the `len` transport bytes waiting in the buffer after
    /// its room, and sends the packet.
    fn transmit(
        &mut self,
        src: IpAddr,
        dst: IpAddr,
        proto: u8,
        tag: u32,
        len: usize,
    ) -> std::io::Result<()> {
        let sock = if dst.is_ipv6() {
            self.send6.as_ref()
        } else {
            self.send4.as_ref()
        };
        let Some(sock) = sock else {
            return Err(std::io::Error::other(format!(
                "no raw socket for {dst} (is IPv6 enabled?)"
            )));
        };
        let hdr = write_ip_header(&mut self.buf, src, dst, proto, tag, len)
            .ok_or_else(|| std::io::Error::other("probe too long for an IP packet"))?;
        sock.send_to(&self.buf[..hdr + len], dst).map(|_| ())
    }

    fn send_link(&mut self, dst: IpAddr, probe: &dyn crate::discovery::LinkProbe) -> Sent {
        let Some(route) = route_of(&self.routes, dst) else {
            return Sent::Failed(format!("{dst} is no longer on a directly attached network"));
        };
        let ctx = LinkContext {
            src_mac: route.mac,
            src_ip: route.src_ip,
            dst_ip: dst,
        };
        let len = match probe.build(&ctx, &mut self.buf) {
            Ok(len) => len,
            Err(e) => return Sent::Failed(e.to_string()),
        };
        if let Some(e) = self.link_errors.get(&route.ifname) {
            return Sent::Failed(format!("link layer on {}: {e}", route.ifname));
        }
        match self
            .links
            .get_mut(&route.ifname)
            .map(|c| c.send(&self.buf[..len]))
        {
            Some(Ok(())) => Sent::Ok,
            Some(Err(e)) => Sent::Failed(format!("sending on {}: {e}", route.ifname)),
            // An interface that appeared after the scan started.
            None => Sent::Failed(format!("no link-layer channel on {}", route.ifname)),
        }
    }

    /// Verifies a recognised packet and hands it to the scheduler; false when it proves
    /// nothing (another unit may still own it).
    fn reply(&mut self, r: Reply) -> bool {
        let m = r.m;
        let Some((host, slot)) = self.sched.lookup(m.target.ip(), r.unit, m.target.port()) else {
            return false;
        };
        let Some((Method::Raw(probe), flavor)) = self.sched.method(r.unit) else {
            return false;
        };
        let key = self.key.flavored(flavor);
        if let Echo::Flow { seq } | Echo::Challenge { seq } = m.echo {
            if own_probe(&key, &r, seq) {
                return true;
            }
        }
        // The reply is addressed to one of our source addresses: the routing table's, or one
        // of the --source-ip addresses of that family (no allocation on this per-reply path).
        // `Err` when the local port is a keyed port of the flow but the rest of the proof
        // fails; `Ok(None)` when it names none of our probes at all.
        let verify = |local: IpAddr| -> Result<Option<(IpAddr, u8)>, ()> {
            let Some(sent) = key.sent(local, m.target, m.local_port) else {
                return Ok(None);
            };
            let proven = match m.echo {
                Echo::Cookie(c) => sent.echoes(c, u32::MAX),
                Echo::Stamp { value, mask } => sent.echoes(value, mask),
                Echo::Answer(c) => c == key.challenge_cookie(local, m.target, sent.try_no),
                Echo::Flow { .. } | Echo::Challenge { .. } => true,
            };
            // An ICMP error must also quote the IP header the probe was sent with.
            let quoted = r.tag.is_none_or(|tag| tag == sent.tag);
            if proven && quoted {
                Ok(Some((local, sent.try_no)))
            } else {
                Err(())
            }
        };
        let v4 = m.target.is_ipv4();
        let mut failed = false;
        let mut attempt = |local: IpAddr| match verify(local) {
            Ok(found) => found,
            Err(()) => {
                failed = true;
                None
            }
        };
        let (found, from_self) = if self.job.sources.iter().any(|s| s.is_ipv4() == v4) {
            let mine = self.job.sources.iter().filter(|s| s.is_ipv4() == v4);
            (
                mine.clone().find_map(|&local| attempt(local)),
                mine.clone().any(|&l| l == r.from),
            )
        } else {
            let local = self.source(m.target.ip());
            (local.and_then(&mut attempt), local == Some(r.from))
        };
        let Some((local, try_no)) = found else {
            if failed {
                self.counts.rejected += 1;
            }
            return false;
        };
        match m.echo {
            Echo::Challenge { seq } => {
                self.challenge(probe, key, local, &m, try_no, seq);
                return true;
            }
            // An ICMP error quoting the probe was proven by the quoted header's keyed bits.
            Echo::Flow { .. } if r.tag.is_none() => self.counts.unverified += 1,
            _ => self.counts.verified += 1,
        }
        let info = ReplyInfo {
            icmp: r.icmp,
            from_self: from_self && r.from != m.target.ip(),
            mac: None,
        };
        self.sched.reply(host, slot, try_no, m.verdict, r.at, info);
        true
    }

    /// Answers a packet that can be put to the test (see `Echo::Challenge`) with the
    /// technique's challenge, which carries the challenge cookie of the flow and try.
    fn challenge(
        &mut self,
        probe: &dyn RawProbe,
        key: CookieKey,
        local: IpAddr,
        m: &RawMatch,
        try_no: u8,
        seq: u32,
    ) {
        if self.challenged.len() >= SOURCE_CACHE {
            self.challenged.clear();
        }
        let sent = self.challenged.entry((m.target, m.local_port)).or_insert(0);
        if *sent >= MAX_CHALLENGES {
            return;
        }
        *sent += 1;
        let ctx = ProbeContext {
            src: SocketAddr::new(local, m.local_port),
            dst: m.target,
            cookie: key.challenge_cookie(local, m.target, try_no),
        };
        let hdr = ip_header_len(m.target.ip());
        let Ok(len) = probe.challenge(&ctx, seq, &mut self.buf[hdr..]) else {
            return;
        };
        let (_, tag) = key.probe(local, m.target, try_no);
        let proto = probe.ip_protocol_for(m.target.is_ipv6());
        if self.transmit(local, m.target.ip(), proto, tag, len).is_ok() {
            self.counts.challenges += 1;
        }
    }
}

/// How a send went.
enum Sent {
    Ok,
    /// A full queue: the scheduler requeued the probe.
    Requeued,
    Failed(String),
}

/// Whether a cookie-less packet is one of our own probes seen again (loopback): read the
/// other way round, its source port is our keyed port and its sequence number our cookie.
fn own_probe(key: &CookieKey, r: &Reply, seq: u32) -> bool {
    let local = r.from;
    let dst_ip = if r.to.is_unspecified() { r.from } else { r.to };
    let remote = SocketAddr::new(dst_ip, r.m.local_port);
    match key.try_of_port(local, remote, r.m.target.port()) {
        Some(t) => seq == 0 || key.cookie(local, remote, t) == seq,
        None => false,
    }
}
