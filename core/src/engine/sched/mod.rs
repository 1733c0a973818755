//! The scheduler shared by every transport: which probe goes next, what a reply or a timeout
//! means for the port or the host, when a host is finished.
//!
//! Per host: discovery slots first (until some method finds the host up), then one slot per
//! (technique, port) visited in a keyed pseudo-random order; an RTT estimator; the highest try
//! that ever drew a reply and the measured share of lost transmissions (together they bound
//! how often silent ports are retried: nmap's rule, and enough tries that random loss alone
//! leaves no answering port silent); its ICMP rate-limit guard ([`icmp`]). Globally: the
//! congestion window, the loss monitor that tells random loss from congestion, the pacer, the
//! in-flight limit of the transport, the probe timers, a FIFO of retransmissions that go before
//! new probes, and a scan-wide RTT estimate that hosts which never answered use (as nmap's
//! group timing).
//!
//! The scheduler never reads the clock: every call takes `now`, so unit tests drive it through
//! loss, RTT changes, dead hosts, host timeouts and interruption without a network. Transports
//! only send, receive and report back.

mod host;
mod icmp;
#[cfg(test)]
mod tests;

use super::loss::{Congestion, DropRate, Window};
use super::order::PortOrder;
use super::units::{Kind, Method, Units};
use super::{EngineEvent, EngineStats, ScanJob};
use crate::discovery::HostAnswer;
use crate::result::{HostResult, HostStatus, PortResult, RttTimes};
use crate::state::{PortState, Reason, Verdict};
use crate::target::Target;
use crate::timing::{CongestionWindow, Pacer, RttEstimator};
use host::{Host, InFlight, Phase, Verdicts};
use icmp::IcmpGuard;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::mpsc;

/// The active host group is at least this large (unless the template is serial) ...
const MIN_GROUP: usize = 256;
/// ... and at most this large.
const MAX_GROUP: usize = 16384;
/// Slot bytes the active group may hold (one byte per slot and host).
const GROUP_SLOT_BYTES: usize = 16 << 20;
/// Minimum gap between progress events.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);
/// How often hosts with deferred ports are looked at.
const SETTLE_EVERY: Duration = Duration::from_millis(20);

/// One transmission: host, slot and try number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct Probe {
    pub host: u64,
    pub slot: u32,
    pub try_no: u8,
    /// Index of the source address it leaves from (0 when only one).
    pub src: u8,
}

/// What the transport should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Next {
    /// Send this probe now.
    Send(Probe),
    /// Nothing may be sent before this instant.
    WaitUntil(Instant),
    /// The window or the transport limit is full, or nothing is ready: wait for completions.
    Blocked,
}

/// What the transport knows about a reply besides its verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct ReplyInfo {
    /// It is an ICMP error (what targets rate-limit).
    pub icmp: bool,
    /// It came from this host's own stack (e.g. host-unreachable after a failed ARP/ND).
    pub from_self: bool,
    /// The target's hardware address (link-level discovery).
    pub mac: Option<[u8; 6]>,
}

/// How a discovery slot ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DiscAnswer {
    Up,
    Down,
    Silent,
}

pub(super) struct Scheduler<'a> {
    job: &'a ScanJob,
    events: &'a mpsc::UnboundedSender<EngineEvent>,
    units: Units<'a>,
    targets: Box<dyn Iterator<Item = Target> + Send + 'a>,
    targets_left: bool,
    /// Targets whose address is already active (replies are matched by address): they start
    /// when the earlier one is done.
    later: VecDeque<Target>,
    /// Whether a target is on a directly attached network (link-level discovery applies).
    on_link: Box<dyn FnMut(IpAddr) -> bool + 'a>,
    hosts: HashMap<u64, Host>,
    by_addr: HashMap<IpAddr, u64>,
    /// Hosts that may have a probe to send (ids of finished hosts are skipped).
    ready: VecDeque<u64>,
    /// Hosts paced to their ICMP rate limit.
    paced: Vec<u64>,
    /// Hosts with deferred ports.
    deferring: Vec<u64>,
    next_host_id: u64,
    retransmit: VecDeque<Probe>,
    timers: BinaryHeap<Reverse<(Instant, Probe)>>,
    host_deadlines: BinaryHeap<Reverse<(Instant, u64)>>,
    in_flight: usize,
    limit: usize,
    cwnd: CongestionWindow,
    loss: Congestion,
    /// The window every new host starts with.
    host_cwnd: CongestionWindow,
    /// RTT over every host: the timeout of hosts that never answered.
    group_rtt: RttEstimator,
    pacer: Pacer,
    resource_notice: bool,
    resource_pause: Option<Instant>,
    stats: EngineStats,
    decided: u64,
    total: Option<u64>,
    last_progress: Option<Instant>,
    last_settle: Option<Instant>,
    started: Instant,
    started_wall: SystemTime,
}

impl<'a> Scheduler<'a> {
    /// `limit` is the transport's hard cap on probes in flight (descriptors, buffers);
    /// `host_ceiling` a host's window ceiling when the user set no `--max-parallelism` (the
    /// scan's window may grow to eight times that over many hosts). `now` and `wall` are the
    /// scan's start on the monotonic and the wall clock.
    pub fn new(
        job: &'a ScanJob,
        events: &'a mpsc::UnboundedSender<EngineEvent>,
        limit: usize,
        host_ceiling: u32,
        now: Instant,
        wall: SystemTime,
    ) -> Self {
        let t = &job.timing;
        let cap = u32::try_from(limit).unwrap_or(u32::MAX).max(1);
        let (host_max, scan_max) = match (t.serial, t.max_parallelism) {
            (true, _) => (1, 1),
            (false, Some(m)) => (m, m),
            (false, None) => (host_ceiling, host_ceiling.saturating_mul(8)),
        };
        let (host_max, scan_max) = (host_max.min(cap).max(1), scan_max.min(cap).max(1));
        let floor = t.min_parallelism.unwrap_or(1);
        let units = Units::new(job);
        let host_count =
            (job.targets.upper_bound() <= 1 << 20).then(|| job.targets.iter().count() as u64);
        Scheduler {
            job,
            events,
            targets: Box::new(job.targets.iter()),
            targets_left: true,
            later: VecDeque::new(),
            on_link: Box::new(|_| false),
            hosts: HashMap::new(),
            by_addr: HashMap::new(),
            ready: VecDeque::new(),
            paced: Vec::new(),
            deferring: Vec::new(),
            next_host_id: 0,
            retransmit: VecDeque::new(),
            timers: BinaryHeap::new(),
            host_deadlines: BinaryHeap::new(),
            in_flight: 0,
            limit,
            cwnd: CongestionWindow::new(floor.min(scan_max), scan_max),
            loss: Congestion::default(),
            host_cwnd: CongestionWindow::new(floor.min(host_max), host_max),
            group_rtt: RttEstimator::new(t),
            pacer: Pacer::for_timing(t),
            resource_notice: false,
            resource_pause: None,
            stats: EngineStats::default(),
            decided: 0,
            // Progress counts ports; a discovery-only scan counts hosts.
            total: host_count.map(|h| h * u64::from(units.port_slots.max(1))),
            units,
            last_progress: None,
            last_settle: None,
            started: now,
            started_wall: wall,
        }
    }

    /// Sets the test for targets on a directly attached network (the raw transport's; without
    /// one no target is on-link and link-level discovery never runs).
    pub fn set_on_link(&mut self, f: impl FnMut(IpAddr) -> bool + 'a) {
        self.on_link = Box::new(f);
    }

    /// How unit `u` sends its probes, and the salt of its cookies.
    pub fn method(&self, u: usize) -> Option<(Method<'a>, u8)> {
        self.units.list.get(u).map(|x| (x.method, x.flavor))
    }

    /// Every unit, for transports that hand each received packet to all of them.
    pub fn unit_count(&self) -> usize {
        self.units.list.len()
    }

    /// Everything is decided and reported.
    pub fn is_done(&self) -> bool {
        self.in_flight == 0
            && self.retransmit.is_empty()
            && self.hosts.is_empty()
            && !self.targets_left
            && self.later.is_empty()
    }

    /// The next thing to do, given the window, the pacer and the transport limit.
    pub fn next(&mut self, now: Instant) -> Next {
        let t = &self.job.timing;
        if let Some(until) = self.resource_pause.filter(|&u| u > now) {
            return Next::WaitUntil(until);
        }
        let behind_min_rate = t.min_rate.is_some_and(|r| {
            (self.stats.probes_sent as f64)
                < r * now.saturating_duration_since(self.started).as_secs_f64()
        });
        let window_open = self.in_flight < self.cwnd.allowed() || (behind_min_rate && !t.serial);
        if !window_open || self.in_flight >= self.limit {
            return Next::Blocked;
        }
        if let Some(at) = self.pacer.ready_at(now) {
            return Next::WaitUntil(at);
        }
        self.pick(now)
    }

    fn wanted(&self, h: &Host, slot: u32) -> bool {
        let phase = if slot < self.units.port_slots {
            Phase::Ports
        } else {
            Phase::Discovery
        };
        h.phase == phase && h.verdicts.get(slot).is_none() && !h.in_flight.contains_key(&slot)
    }

    fn pick(&mut self, now: Instant) -> Next {
        while let Some(p) = self.retransmit.pop_front() {
            let Some(h) = self.hosts.get_mut(&p.host) else {
                continue;
            };
            if h.icmp.paced() {
                h.icmp.retry.push_back(p); // became paced meanwhile: its pacer decides
                continue;
            }
            if self.wanted(&self.hosts[&p.host], p.slot) {
                return Next::Send(p);
            }
        }
        let mut earliest: Option<Instant> = None;
        let mut soonest = |t: Instant| earliest = Some(earliest.map_or(t, |e: Instant| e.min(t)));
        if let Some(p) = self.pick_paced(now, &mut soonest) {
            return Next::Send(p);
        }
        for _ in 0..self.ready.len() {
            let Some(id) = self.ready.pop_front() else {
                break;
            };
            let Some(h) = self.hosts.get_mut(&id) else {
                continue;
            };
            if h.icmp.paced() {
                h.queued = false; // its pacer decides (see `paced`)
                continue;
            }
            if h.in_flight.len() >= h.cwnd.allowed() {
                h.queued = false; // queued again when one of its probes completes
                continue;
            }
            match h.icmp.due(now) {
                Ok(p) => {
                    self.ready.push_back(id);
                    return Next::Send(p);
                }
                Err(Some(due)) => soonest(due),
                Err(None) => {}
            }
            if let Some(p) = self.fresh(id) {
                self.ready.push_back(id);
                return Next::Send(p);
            }
            let Some(h) = self.hosts.get_mut(&id) else {
                continue;
            };
            if h.icmp.has_deferred() {
                self.ready.push_back(id);
            } else {
                h.queued = false;
            }
        }
        while let Some(id) = self.activate_host(now) {
            if let Some(p) = self.fresh(id) {
                return Next::Send(p);
            }
        }
        earliest.map_or(Next::Blocked, Next::WaitUntil)
    }

    /// A probe of a paced host whose pacer allows one now.
    fn pick_paced(&mut self, now: Instant, soonest: &mut impl FnMut(Instant)) -> Option<Probe> {
        let mut i = 0;
        while i < self.paced.len() {
            let id = self.paced[i];
            let Some(h) = self.hosts.get_mut(&id) else {
                self.paced.swap_remove(i);
                continue;
            };
            i += 1;
            let src = match h.icmp.limit.ready(now) {
                Ok(src) => u8::try_from(src).unwrap_or(0),
                Err(t) => {
                    soonest(t);
                    continue;
                }
            };
            while let Some(p) = self
                .hosts
                .get_mut(&id)
                .and_then(|h| h.icmp.retry.pop_front())
            {
                if self.wanted(&self.hosts[&id], p.slot) {
                    return Some(Probe { src, ..p });
                }
            }
            if let Some(p) = self.fresh(id) {
                return Some(Probe { src, ..p });
            }
        }
        None
    }

    /// The host's next fresh probe in its phase (a discovery method, or the next port in the
    /// keyed order), if its window allows one.
    fn fresh(&mut self, id: u64) -> Option<Probe> {
        let h = self.hosts.get_mut(&id)?;
        if h.in_flight.len() >= h.cwnd.allowed() && !h.icmp.paced() {
            return None;
        }
        let slot = match h.phase {
            Phase::Discovery => {
                let s = h.disc.get(h.disc_next).copied()?;
                h.disc_next += 1;
                s
            }
            // Slots decided before the probe was due (a resumed host's) are skipped.
            Phase::Ports => loop {
                let s = h.order.next()?;
                if h.verdicts.get(s).is_none() {
                    break s;
                }
            },
        };
        let src = h.next_src;
        h.next_src = (h.next_src + 1) % h.sources.max(1);
        Some(Probe {
            host: id,
            slot,
            try_no: 0,
            src,
        })
    }

    /// How many hosts may be active: enough to fill the window when each has few probes to
    /// send, bounded by memory (one byte per slot) and the template.
    fn group_limit(&self) -> usize {
        if self.job.timing.serial {
            return 1;
        }
        let slots = (self.units.slots as usize).max(1);
        let by_memory = (GROUP_SLOT_BYTES / slots).max(16);
        let by_window = 2 * self.cwnd.allowed() / slots.min(10);
        by_window.clamp(MIN_GROUP, MAX_GROUP).min(by_memory)
    }

    /// Brings the next target into the active group; `None` when none can be added now.
    fn activate_host(&mut self, now: Instant) -> Option<u64> {
        if self.hosts.len() >= self.group_limit() {
            return None;
        }
        let waiting = self
            .later
            .iter()
            .position(|t| !self.by_addr.contains_key(&t.addr));
        let target = match waiting {
            Some(i) => self.later.remove(i)?,
            None => loop {
                if !self.targets_left {
                    return None;
                }
                let Some(t) = self.targets.next() else {
                    self.targets_left = false;
                    return None;
                };
                if self.by_addr.contains_key(&t.addr) {
                    self.later.push_back(t);
                    continue;
                }
                break t;
            },
        };
        let id = self.next_host_id;
        self.next_host_id += 1;
        self.stats.hosts += 1;
        let addr = target.addr;
        let v6 = addr.is_ipv6();
        let d = &self.job.discovery;
        let local = addr.is_loopback() || d.local.contains(&addr);
        let pending = HostStatus {
            up: false,
            reason: Reason::NoResponse,
            reason_ttl: 0,
        };
        let (phase, status, disc) = if local {
            let reason = if d.assume_up {
                Reason::UserSet
            } else {
                Reason::LocalhostResponse
            };
            let up = HostStatus {
                up: true,
                reason,
                reason_ttl: 0,
            };
            (Phase::Ports, up, Vec::new())
        } else {
            let on_link = self.units.has_link() && (self.on_link)(addr);
            let disc = self.units.discovery_slots(v6, on_link, !d.assume_up);
            match (disc.is_empty(), d.assume_up) {
                (true, true) => (Phase::Ports, Host::assumed_up(), disc),
                _ => (Phase::Discovery, pending, disc),
            }
        };
        let sources = self
            .job
            .sources
            .iter()
            .filter(|s| s.is_ipv6() == v6)
            .count()
            .clamp(1, 255);
        let mut host = Host {
            phase,
            status,
            mac: None,
            verdicts: Verdicts::new(self.units.slots),
            in_flight: HashMap::new(),
            order: PortOrder::new(self.units.port_slots, self.job.seed, &addr),
            disc_left: disc.len(),
            disc,
            disc_next: 0,
            down_reason: None,
            undecided: self.units.port_slots as usize,
            rtt: RttEstimator::new(&self.job.timing),
            cwnd: self.host_cwnd,
            loss: Congestion::default(),
            drops: DropRate::default(),
            icmp: IcmpGuard::new(sources),
            sources: sources as u8,
            next_src: 0,
            max_ok_try: 0,
            answered: false,
            queued: true,
            started_wall: self.wall(now),
            target,
        };
        self.resume_host(&mut host);
        self.by_addr.insert(addr, id);
        if let Some(limit) = self.job.timing.host_timeout {
            self.host_deadlines.push(Reverse((now + limit, id)));
        }
        let no_methods = host.phase == Phase::Discovery && host.disc.is_empty();
        let no_ports = host.phase == Phase::Ports && host.undecided == 0;
        self.hosts.insert(id, host);
        self.ready.push_back(id);
        if no_methods {
            self.host_down(id, now); // no discovery method applies to its family
        } else if no_ports {
            self.finish_host(id, now, false);
        }
        Some(id)
    }

    /// A host a resumed scan had begun (`ScanJob::resume`): it is up as it was then, its
    /// decided ports keep their verdicts and only the others are probed.
    fn resume_host(&self, host: &mut Host) {
        let Ok(i) = self
            .job
            .resume
            .binary_search_by_key(&host.target.addr, |r| r.addr)
        else {
            return;
        };
        let old = &self.job.resume[i];
        host.phase = Phase::Ports;
        host.status = old.status;
        host.mac = old.mac;
        for p in &old.ports {
            let slot = self.units.list.iter().enumerate().find_map(|(u, unit)| {
                (unit.kind == Kind::Port && unit.protocol == Some(p.protocol))
                    .then(|| self.units.slot(u, p.port))
                    .flatten()
            });
            if let Some(slot) = slot {
                if host.verdicts.get(slot).is_none() {
                    host.verdicts.set(
                        slot,
                        Verdict {
                            state: p.state,
                            reason: p.reason,
                            reason_ttl: p.reason_ttl,
                        },
                    );
                    host.undecided = host.undecided.saturating_sub(1);
                }
            }
        }
    }

    fn wall(&self, now: Instant) -> SystemTime {
        self.started_wall + now.saturating_duration_since(self.started)
    }

    /// Where a probe goes.
    pub fn destination(&self, p: Probe) -> Option<SocketAddr> {
        let h = self.hosts.get(&p.host)?;
        Some(SocketAddr::new(h.target.addr, self.units.port_of(p.slot)))
    }

    /// Which unit a probe belongs to.
    pub fn unit_of(&self, p: Probe) -> Option<usize> {
        self.hosts
            .contains_key(&p.host)
            .then(|| self.units.unit_of(p.slot))
    }

    fn timeout_of(&self, h: &Host) -> Duration {
        match h.rtt.stats() {
            Some(_) => h.rtt.timeout(),
            // Never answered: the scan-wide estimate, as nmap's group timing.
            None => self.group_rtt.timeout(),
        }
    }

    /// The timeout of one slot: the host's (or the scan's) estimate, except that a neighbour
    /// on the same link answers ARP/ND within microseconds, so link-level probes wait at most
    /// four times the template's minimum timeout.
    fn timeout_of_slot(&self, h: &Host, slot: u32) -> Duration {
        let t = self.timeout_of(h);
        match self.units.list[self.units.unit_of(slot)].kind {
            Kind::Link => t.min(self.job.timing.min_rtt_timeout * 4),
            _ => t,
        }
    }

    /// The probe timeout for a host now.
    pub fn timeout_for(&self, host: u64) -> Duration {
        self.hosts
            .get(&host)
            .map_or(self.group_rtt.timeout(), |h| self.timeout_of(h))
    }

    /// Finds the slot of (`unit`, `port`) on the active host with address `addr`.
    pub fn lookup(&self, addr: IpAddr, unit: usize, port: u16) -> Option<(u64, u32)> {
        let id = *self.by_addr.get(&addr)?;
        let slot = self.units.slot(unit, port)?;
        self.hosts.contains_key(&id).then_some((id, slot))
    }

    /// The try currently in flight for a slot.
    pub fn in_flight_try(&self, host: u64, slot: u32) -> Option<u8> {
        Some(self.hosts.get(&host)?.in_flight.get(&slot)?.try_no)
    }

    /// A probe left at `now`; its timer starts.
    pub fn sent(&mut self, p: Probe, now: Instant) {
        let Some(h) = self.hosts.get_mut(&p.host) else {
            return;
        };
        let flight = InFlight {
            try_no: p.try_no,
            sent: now,
        };
        if h.in_flight.insert(p.slot, flight).is_none() {
            self.in_flight += 1;
        }
        h.icmp.sent(p.slot, p.try_no, p.src, now);
        self.stats.probes_sent += 1;
        if p.try_no > 0 {
            self.stats.retransmissions += 1;
        }
        self.pacer.sent(now);
        // A host that never answered takes the scan's estimate, which may still shrink (the
        // first samples arrive): look again at the earliest any estimate could expire it.
        let h = &self.hosts[&p.host];
        let wait = match h.rtt.stats() {
            Some(_) => self.timeout_of_slot(h, p.slot),
            None => self
                .timeout_of_slot(h, p.slot)
                .min(self.job.timing.min_rtt_timeout),
        };
        self.timers.push(Reverse((now + wait, p)));
    }

    /// When the transport must call [`expire`](Self::expire) next at the latest.
    pub fn next_deadline(&self) -> Option<Instant> {
        let t = self.timers.peek().map(|Reverse((t, _))| *t);
        let h = self.host_deadlines.peek().map(|Reverse((t, _))| *t);
        t.into_iter().chain(h).min()
    }

    /// Handles every timer due at `now`: host timeouts, deferred ports of quiet hosts, and
    /// probes whose timeout (by the current estimate, not the one at send time) has passed;
    /// `on_expired` sees each of those before it counts as silence (the connect transport
    /// closes its socket).
    pub fn expire(&mut self, now: Instant, mut on_expired: impl FnMut(Probe)) {
        while let Some(&Reverse((t, id))) = self.host_deadlines.peek() {
            if t > now {
                break;
            }
            self.host_deadlines.pop();
            self.finish_host(id, now, true);
        }
        self.settle_deferred(now);
        while let Some(&Reverse((t, p))) = self.timers.peek() {
            if t > now {
                break;
            }
            self.timers.pop();
            let Some(h) = self.hosts.get(&p.host) else {
                continue;
            };
            let Some(f) = h.in_flight.get(&p.slot).filter(|f| f.try_no == p.try_no) else {
                continue; // answered meanwhile, or an older transmission
            };
            let deadline = f.sent + self.timeout_of_slot(h, p.slot);
            if deadline > now {
                self.timers.push(Reverse((deadline, p))); // not yet, by the current estimate
                continue;
            }
            on_expired(p);
            self.timeout(p, now);
        }
    }

    fn complete(&mut self, host: u64, slot: u32) -> Option<InFlight> {
        let h = self.hosts.get_mut(&host)?;
        let f = h.in_flight.remove(&slot)?;
        self.in_flight -= 1;
        if !h.queued && !h.icmp.paced() && (h.has_fresh() || h.icmp.has_deferred()) {
            h.queued = true;
            self.ready.push_back(host);
        }
        Some(f)
    }

    /// A reply that answers transmission `try_no` of a slot (a reply naming its transmission,
    /// or a connect() outcome). Replies to earlier transmissions still count; duplicates only
    /// change the state where nmap's rules allow.
    pub fn reply(
        &mut self,
        host: u64,
        slot: u32,
        try_no: u8,
        verdict: Verdict,
        now: Instant,
        info: ReplyInfo,
    ) {
        let Some(h) = self.hosts.get(&host) else {
            return;
        };
        if info.from_self && verdict.reason == Reason::HostUnreach && !h.answered {
            // Our own stack: the neighbour never answered ARP/ND. The host is down, not
            // rate-limiting ICMP.
            self.complete(host, slot);
            self.unreachable(host, verdict, now);
            return;
        }
        let timeout = self.timeout_of(h);
        let in_flight = self.complete(host, slot);
        let defeat = self.job.defeat_icmp_ratelimit;
        let Some(h) = self.hosts.get_mut(&host) else {
            return;
        };
        if !info.from_self {
            h.answered = true;
        }
        if info.mac.is_some() {
            h.mac = info.mac;
        }
        let dropped = h.icmp.dropped(slot, try_no);
        let closed = verdict.state == PortState::Closed;
        let pacing_starts =
            info.icmp && !info.from_self && !defeat && h.icmp.icmp_reply(closed, dropped, now);
        if pacing_starts {
            self.start_pacing(host, now);
        }
        let Some(h) = self.hosts.get_mut(&host) else {
            return;
        };
        if let Some(f) = in_flight {
            if f.try_no == try_no {
                let d = now.saturating_duration_since(f.sent);
                h.rtt.sample(d);
                self.group_rtt.sample(d);
            }
            h.max_ok_try = h.max_ok_try.max(try_no);
            if !pacing_starts {
                // (The reply that showed the limit answered a probe from before pacing.)
                h.drops.record(dropped);
            }
            // A paced host's missing ICMP errors are its pacer's business (random loss, or a
            // token it did not have), never a sign of congestion on the path.
            let dropped = try_no > 0 && !(info.icmp && h.icmp.paced());
            let retransmission = dropped.then_some(f.sent);
            apply(&mut h.cwnd, h.loss.reply(retransmission, timeout, now));
            apply(
                &mut self.cwnd,
                self.loss.reply(retransmission, timeout, now),
            );
        }
        if slot >= self.units.port_slots {
            let answer = match HostAnswer::of(&verdict) {
                HostAnswer::Up => DiscAnswer::Up,
                HostAnswer::Down => DiscAnswer::Down,
                HostAnswer::Nothing => DiscAnswer::Silent,
            };
            self.discovered(host, slot, verdict, answer, now);
        } else {
            self.decide(host, slot, verdict, now);
        }
    }

    /// The host cannot be reached at all (our own stack said so before it ever answered): down
    /// while discovering; with discovery skipped (`-Pn`), every open question gets that answer.
    fn unreachable(&mut self, host: u64, verdict: Verdict, now: Instant) {
        let port_slots = self.units.port_slots;
        let Some(h) = self.hosts.get_mut(&host) else {
            return;
        };
        match h.phase {
            Phase::Discovery => {
                h.down_reason = Some(verdict);
                self.host_down(host, now);
            }
            Phase::Ports => {
                let open: Vec<u32> = h.verdicts.undecided(port_slots).collect();
                let v = Verdict {
                    state: PortState::Filtered,
                    ..verdict
                };
                for slot in open {
                    h.verdicts.set(slot, v);
                }
                self.decided += h.undecided as u64;
                h.undecided = 0;
                self.finish_host(host, now, false);
            }
        }
    }

    /// Transmission `p` went unanswered for its timeout.
    pub fn timeout(&mut self, p: Probe, now: Instant) {
        if self.in_flight_try(p.host, p.slot) != Some(p.try_no) {
            return;
        }
        self.complete(p.host, p.slot);
        let max_retries = self.job.timing.max_retries;
        let (kind, silence, silence_is_open) = {
            let unit = &self.units.list[self.units.unit_of(p.slot)];
            (unit.kind, unit.silence, unit.silence_is_open)
        };
        let Some(h) = self.hosts.get_mut(&p.host) else {
            return;
        };
        let paced = h.icmp.paced();
        // A paced host gets at least two retransmissions: its silence must be sure. A host
        // that lost probes gets as many as its measured loss needs (see `DropRate`).
        let floor = if paced { 2 } else { 1 };
        let allowed = u32::from(h.max_ok_try)
            .saturating_add(1)
            .max(h.drops.retries_needed(self.units.port_slots))
            .max(floor)
            .min(max_retries.max(if paced { floor } else { 0 }));
        let (tries_done, next_try) = h.icmp.tries(p.slot, p.try_no);
        let fresh_start = paced && next_try == 0;
        if !h.answered {
            // Silence from a host that never answered says nothing about congestion: it must
            // not hold back the scan's window, or a sparse network would crawl.
            self.cwnd.on_success();
        }
        if fresh_start || u32::from(tries_done) < allowed {
            let next = Probe {
                try_no: next_try,
                ..p
            };
            if paced {
                h.icmp.retry.push_back(next);
            } else {
                self.retransmit.push_back(next);
            }
        } else if kind == Kind::Port && h.icmp.must_defer(silence_is_open, now) {
            // The host answers closed ports with ICMP errors and went quiet: a rate limit may
            // have swallowed this port's answer. Keep probing it now and then until we know.
            if !h.icmp.has_deferred() {
                self.deferring.push(p.host);
            }
            h.icmp.defer(p, now);
            if !h.queued {
                h.queued = true;
                self.ready.push_back(p.host);
            }
        } else {
            // Silence after every try is an answer too (the port is filtered): it is no sign
            // of congestion, and a window that only grew on replies would crawl on a
            // firewalled host.
            h.cwnd.on_success();
            if h.answered {
                self.cwnd.on_success();
            }
            if kind == Kind::Port {
                self.decide(p.host, p.slot, silence, now);
            } else {
                self.discovered(p.host, p.slot, silence, DiscAnswer::Silent, now);
            }
        }
    }

    /// A discovery slot has its answer.
    fn discovered(&mut self, host: u64, slot: u32, v: Verdict, answer: DiscAnswer, now: Instant) {
        let Some(h) = self.hosts.get_mut(&host) else {
            return;
        };
        if h.phase != Phase::Discovery || h.verdicts.get(slot).is_some() {
            return; // a late answer, the host is decided
        }
        h.verdicts.set(slot, v);
        if h.in_flight.remove(&slot).is_some() {
            self.in_flight -= 1;
        }
        match answer {
            DiscAnswer::Up => return self.host_up(host, v, now),
            DiscAnswer::Down => h.down_reason = Some(v),
            DiscAnswer::Silent => {}
        }
        h.disc_left = h.disc_left.saturating_sub(1);
        if h.disc_left == 0 {
            if self.job.discovery.assume_up {
                self.host_up(host, Verdict::new(PortState::Open, Reason::UserSet), now);
            } else {
                self.host_down(host, now);
            }
        }
    }

    /// Discovery found the host up: its port scan starts (or it is done, for `-sn`).
    fn host_up(&mut self, host: u64, v: Verdict, now: Instant) {
        let port_slots = self.units.port_slots;
        let assume_up = self.job.discovery.assume_up;
        let Some(h) = self.hosts.get_mut(&host) else {
            return;
        };
        h.status = if assume_up {
            Host::assumed_up()
        } else {
            HostStatus {
                up: true,
                reason: v.reason,
                reason_ttl: v.reason_ttl,
            }
        };
        h.phase = Phase::Ports;
        // Other discovery probes still out are answered or not: it no longer matters.
        let before = h.in_flight.len();
        h.in_flight.retain(|&s, _| s < port_slots);
        self.in_flight -= before - h.in_flight.len();
        if h.undecided == 0 {
            self.finish_host(host, now, false);
        } else if !h.queued {
            h.queued = true;
            self.ready.push_back(host);
        }
    }

    fn host_down(&mut self, host: u64, now: Instant) {
        let Some(h) = self.hosts.get_mut(&host) else {
            return;
        };
        let why = h
            .down_reason
            .unwrap_or(Verdict::new(PortState::Filtered, Reason::NoResponse));
        h.status = HostStatus {
            up: false,
            reason: why.reason,
            reason_ttl: why.reason_ttl,
        };
        self.decided += h.undecided as u64;
        h.undecided = 0;
        self.finish_host(host, now, false);
    }

    /// The host was found to rate-limit its ICMP errors: pace it, start its retries afresh,
    /// and look again at every port it left silent while it was not paced (a probe that found
    /// no token got no answer, which proves nothing).
    fn start_pacing(&mut self, host: u64, now: Instant) {
        let timeout = self.timeout_for(host);
        let Some(h) = self.hosts.get_mut(&host) else {
            return;
        };
        h.max_ok_try = 0;
        h.drops.reset();
        let mut reopen = Vec::new();
        for (slot, v) in h.verdicts.decided(self.units.port_slots) {
            let silence = self.units.list[self.units.unit_of(slot)].silence;
            if v.state == silence.state && v.reason == silence.reason {
                reopen.push(slot);
            }
        }
        for &slot in &reopen {
            h.verdicts.clear(slot);
            h.undecided += 1;
            h.icmp.retry.push_back(Probe {
                host,
                slot,
                try_no: 0,
                src: 0,
            });
        }
        self.decided = self.decided.saturating_sub(reopen.len() as u64);
        // Queued retransmissions start again at try 0: paced tries are counted afresh.
        let moved: Vec<Probe> = self
            .retransmit
            .iter()
            .filter(|p| p.host == host)
            .copied()
            .collect();
        self.retransmit.retain(|p| p.host != host);
        // Probes from before are answered within a couple of timeouts.
        let grace = now + timeout * 2 + h.icmp.limit.interval();
        h.icmp.start_pacing(grace, moved);
        self.paced.push(host);
        let per_second = 1.0 / h.icmp.limit.interval().as_secs_f64().max(1e-9);
        let sources = h.sources;
        let addr = h.target.addr;
        let more = if sources > 1 {
            format!("each of the {sources} source addresses gets its own budget")
        } else {
            "several --source-ip addresses multiply the budget; --defeat-icmp-ratelimit trades accuracy for speed".to_string()
        };
        self.emit(EngineEvent::Notice(format!(
            "{addr} rate-limits its ICMP errors to about {per_second:.1} per second per source address; pacing to it ({more})"
        )));
    }

    /// A local resource error on sending: requeue the probe. Running out of descriptors or
    /// local ports shrinks the window (with one notice); a full send buffer or device queue
    /// (`ENOBUFS`, `EAGAIN`) only pauses sending briefly, as the queue drains by itself.
    pub fn resource_error(&mut self, p: Probe, errno: i32, now: Instant) {
        self.complete(p.host, p.slot);
        self.retransmit.push_front(p);
        if [libc::ENOBUFS, libc::EAGAIN, libc::ENOMEM].contains(&errno) {
            self.resource_pause = Some(now + Duration::from_micros(500));
            return;
        }
        self.cwnd.cap((self.in_flight * 3 / 4).max(1));
        if self.in_flight == 0 {
            self.resource_pause = Some(now + Duration::from_millis(20));
        }
        if !self.resource_notice {
            self.resource_notice = true;
            let what = std::io::Error::from_raw_os_error(errno);
            self.emit(EngineEvent::Notice(format!(
                "local resource limit reached ({what}); slowing down to {} probes in flight",
                self.cwnd.allowed()
            )));
        }
    }

    fn decide(&mut self, host: u64, slot: u32, verdict: Verdict, now: Instant) {
        let silence_is_open = self.units.list[self.units.unit_of(slot)].silence_is_open;
        let Some(h) = self.hosts.get_mut(&host) else {
            return;
        };
        match h.verdicts.get(slot) {
            None => {
                h.verdicts.set(slot, verdict);
                h.undecided -= 1;
                self.decided += 1;
                if h.in_flight.remove(&slot).is_some() {
                    self.in_flight -= 1;
                }
            }
            Some(old) if old.state.may_become(verdict.state, silence_is_open) => {
                h.verdicts.set(slot, verdict)
            }
            Some(_) => {}
        }
        if h.undecided == 0 && h.in_flight.is_empty() && !h.icmp.has_deferred() {
            self.finish_host(host, now, false);
        }
        self.progress(now, false);
    }

    /// Hosts that have been quiet long enough: their deferred ports are silent after all.
    fn settle_deferred(&mut self, now: Instant) {
        if self.deferring.is_empty()
            || self
                .last_settle
                .is_some_and(|t| now.saturating_duration_since(t) < SETTLE_EVERY)
        {
            return;
        }
        self.last_settle = Some(now);
        let ids = std::mem::take(&mut self.deferring);
        for id in ids {
            let Some(h) = self.hosts.get_mut(&id) else {
                continue;
            };
            let settled = h.icmp.settle(now);
            if h.icmp.has_deferred() {
                self.deferring.push(id);
            }
            for p in settled {
                let silence = self.units.list[self.units.unit_of(p.slot)].silence;
                self.decide(p.host, p.slot, silence, now);
            }
        }
    }

    fn finish_host(&mut self, id: u64, now: Instant, timed_out: bool) {
        let Some(host) = self.hosts.remove(&id) else {
            return;
        };
        self.in_flight -= host.in_flight.len();
        if self.by_addr.get(&host.target.addr) == Some(&id) {
            self.by_addr.remove(&host.target.addr);
        }
        if self.stats.interrupted && host.phase == Phase::Discovery {
            return; // interrupted while discovering: neither up nor down, not reported
        }
        if host.status.up {
            self.stats.hosts_up += 1;
        }
        if self.units.port_slots == 0 {
            self.decided += 1;
            self.progress(now, false);
        }
        let partial = !timed_out && host.status.up && host.undecided > 0;
        let result = self.host_result(host, now, timed_out, partial);
        self.emit(EngineEvent::HostDone(result));
    }

    fn host_result(&self, host: Host, now: Instant, timed_out: bool, partial: bool) -> HostResult {
        let mut ports: Vec<PortResult> = Vec::new();
        if !timed_out && host.status.up {
            for (slot, v) in host.verdicts.decided(self.units.port_slots) {
                let unit = &self.units.list[self.units.unit_of(slot)];
                let Some(protocol) = unit.protocol else {
                    continue;
                };
                ports.push(PortResult {
                    protocol,
                    port: self.units.port_of(slot),
                    state: v.state,
                    reason: v.reason,
                    reason_ttl: v.reason_ttl,
                });
            }
        }
        ports.sort_by_key(|p| (p.protocol, p.port));
        let times = host.rtt.stats().map(|(srtt, rttvar)| RttTimes {
            srtt,
            rttvar,
            timeout: host.rtt.timeout(),
        });
        HostResult {
            addr: host.target.addr,
            hostnames: host.user_hostnames(),
            status: host.status,
            mac: host.mac,
            ports,
            start: host.started_wall,
            end: self.wall(now),
            timed_out,
            partial,
            times,
        }
    }

    /// Stops: every active host is reported with what is decided so far (hosts still being
    /// discovered are neither up nor down, and are not reported).
    pub fn interrupt(&mut self, now: Instant) {
        self.stats.interrupted = true;
        self.retransmit.clear();
        let mut ids: Vec<u64> = self.hosts.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            self.finish_host(id, now, false);
        }
        self.in_flight = 0;
        self.targets_left = false;
        self.later.clear();
    }

    /// Sends a progress event, at most every 100 ms unless forced.
    pub fn progress(&mut self, now: Instant, force: bool) {
        let due = self
            .last_progress
            .is_none_or(|t| now.saturating_duration_since(t) >= PROGRESS_EVERY);
        if force || due {
            self.last_progress = Some(now);
            self.emit(EngineEvent::Progress {
                done: self.decided,
                total: self.total,
            });
        }
    }

    /// A notice for the user.
    pub fn notice(&self, text: String) {
        self.emit(EngineEvent::Notice(text));
    }

    fn emit(&self, event: EngineEvent) {
        // A closed receiver only means nobody listens any more.
        let _ = self.events.send(event);
    }

    /// Totals so far.
    pub fn stats(&self) -> EngineStats {
        self.stats
    }
}

/// Applies a reply's meaning to a congestion window.
fn apply(cwnd: &mut CongestionWindow, w: Window) {
    match w {
        Window::Shrink => cwnd.on_drop(),
        Window::Grow => cwnd.on_success(),
        Window::Keep => {}
    }
}
