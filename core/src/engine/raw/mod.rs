//! The raw-packet transport: probes built by the technique are sent on raw IP sockets; a
//! receiver task per socket hands every packet to the techniques, and the driver accepts a
//! recognised reply only if its keyed cookie (or keyed source port) proves which probe and which
//! try it answers. Timeouts are kept in a deadline heap; the shared [`Scheduler`] does the rest.

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
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

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

/// A packet a technique recognised, stamped when it arrived.
struct Reply {
    unit: usize,
    m: RawMatch,
    from: IpAddr,
    to: IpAddr,
    at: Instant,
}

fn raw_protocol(t: &dyn ScanTechnique) -> Option<u8> {
    match t.probe() {
        ProbeMethod::Raw(p) => Some(p.ip_protocol()),
        ProbeMethod::Connect(_) => None,
    }
}

/// Reads one socket forever, classifying every packet with the techniques that may own it.
async fn receive(
    sock: Arc<RawSocket>,
    units: Vec<(usize, Arc<dyn ScanTechnique>)>,
    tx: mpsc::UnboundedSender<Reply>,
) {
    let mut buf = vec![0u8; 65536];
    loop {
        let Ok(r) = sock.recv(&mut buf).await else {
            // A receive error on a raw socket is not recoverable; probes then time out.
            return;
        };
        let at = Instant::now();
        let ctx = ReplyContext {
            from: r.from,
            to: r.to,
            ttl: r.ttl,
            ip_protocol: r.protocol,
            payload: &buf[r.start..r.end],
        };
        for (unit, tech) in &units {
            if let ProbeMethod::Raw(p) = tech.probe() {
                if let Some(m) = p.classify(&ctx) {
                    if tx
                        .send(Reply {
                            unit: *unit,
                            m,
                            from: r.from,
                            to: r.to,
                            at,
                        })
                        .is_err()
                    {
                        return;
                    }
                    break;
                }
            }
        }
    }
}

struct Driver<'a> {
    job: &'a ScanJob,
    sched: Scheduler<'a>,
    key: CookieKey,
    sockets: HashMap<(bool, u8), Arc<RawSocket>>,
    sources: HashMap<IpAddr, Option<IpAddr>>,
    timers: BinaryHeap<Reverse<(Instant, u64, u32, u8)>>,
    buf: Vec<u8>,
    send_notice: bool,
}

/// Runs a scan whose techniques all send raw packets.
pub(super) async fn run(
    job: &ScanJob,
    events: &mpsc::UnboundedSender<EngineEvent>,
    mut stop: watch::Receiver<bool>,
) -> Result<EngineStats, EngineError> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut sockets = HashMap::new();
    let mut receivers: Vec<JoinHandle<()>> = Vec::new();
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
                Ok(s) => Arc::new(s),
                // IPv6 may be disabled on this host: only IPv6 targets suffer (they time out
                // with a notice), so this is not fatal.
                Err(_) if v6 => continue,
                Err(e) => return Err(EngineError::Raw(e.to_string())),
            };
            let units: Vec<(usize, Arc<dyn ScanTechnique>)> = job
                .units
                .iter()
                .enumerate()
                .filter(|(_, u)| {
                    let p = raw_protocol(u.technique.as_ref());
                    proto == ICMP || proto == ICMPV6 || p == Some(proto)
                })
                .map(|(i, u)| (i, Arc::clone(&u.technique)))
                .collect();
            receivers.push(tokio::spawn(receive(Arc::clone(&sock), units, tx.clone())));
            sockets.insert((v6, proto), sock);
        }
    }
    drop(tx);
    let key = {
        use std::hash::{BuildHasher, Hasher};
        let rs = std::collections::hash_map::RandomState::new();
        let mut a = rs.build_hasher();
        a.write_u64(job.seed);
        let mut b = rs.build_hasher();
        b.write_u64(!job.seed);
        CookieKey::new(a.finish(), b.finish())
    };
    let mut d = Driver {
        job,
        sched: Scheduler::new(
            job,
            events,
            usize::MAX,
            default_parallelism(job.timing.template),
        ),
        key,
        sockets,
        sources: HashMap::new(),
        timers: BinaryHeap::new(),
        buf: vec![0u8; 2048],
        send_notice: false,
    };
    loop {
        if *stop.borrow() {
            d.sched.interrupt();
            break;
        }
        d.sched.expire_hosts();
        while let Ok(reply) = rx.try_recv() {
            d.reply(reply);
        }
        d.expire_probes();
        let wake = d.launch();
        if d.sched.is_done() {
            break;
        }
        let now = Instant::now();
        let next_timer = d.timers.peek().map(|Reverse((t, ..))| *t);
        let deadline = [wake, next_timer]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(now + Duration::from_millis(250));
        tokio::select! {
            reply = rx.recv() => match reply {
                Some(r) => d.reply(r),
                None => {
                    // Every receiver stopped: nothing can answer any more.
                    for h in &receivers { h.abort(); }
                    return Err(EngineError::Raw("every raw receive socket failed".into()));
                }
            },
            _ = tokio::time::sleep_until(deadline.into()) => {}
            changed = stop.changed() => {
                if changed.is_err() {
                    stop = watch::channel(false).1;
                }
            }
        }
    }
    for h in &receivers {
        h.abort();
    }
    d.sched.progress(true);
    Ok(d.sched.stats())
}

impl Driver<'_> {
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
        while let Some(&Reverse((t, host, slot, try_no))) = self.timers.peek() {
            if t > now {
                break;
            }
            self.timers.pop();
            self.sched.timeout(Probe { host, slot, try_no });
        }
    }

    /// Sends what the scheduler allows; returns when to look again if waiting on the clock.
    fn launch(&mut self) -> Option<Instant> {
        loop {
            let now = Instant::now();
            match self.sched.next(now) {
                Next::Send(p) => self.send(p, now),
                Next::WaitUntil(t) => return Some(t),
                Next::Blocked => return None,
            }
        }
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
        let result = match self.source(dst.ip()) {
            None => Err(format!("no route to {}", dst.ip())),
            Some(local) => {
                let ctx = ProbeContext {
                    src: SocketAddr::new(local, self.key.local_port(local, dst, try_no)),
                    dst,
                    cookie: self.key.cookie(local, dst, try_no),
                };
                match (
                    probe.build(&ctx, &mut self.buf),
                    self.sockets.get(&(dst.is_ipv6(), probe.ip_protocol())),
                ) {
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
        self.timers
            .push(Reverse((now + timeout, p.host, p.slot, p.try_no)));
    }

    fn reply(&mut self, r: Reply) {
        let m = r.m;
        let Some((host, slot)) = self.sched.lookup(m.target.ip(), r.unit, m.target.port()) else {
            return;
        };
        let Some(local) = self.source(m.target.ip()) else {
            return;
        };
        let try_no = match m.echo {
            Echo::Cookie(c) => self.key.verify(local, m.target, m.local_port, c),
            Echo::Flow { seq } => {
                if self.own_probe(&r, seq) {
                    return;
                }
                self.key.try_of_port(local, m.target, m.local_port)
            }
        };
        let Some(try_no) = try_no else { return };
        self.sched.reply(host, slot, try_no, m.verdict, r.at);
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
