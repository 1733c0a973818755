//! The scheduler shared by every transport: which probe goes next, what a reply or a timeout
//! means for the port, when a host is finished.
//!
//! Per host: one slot per (technique, port) visited in a keyed pseudo-random order, an RTT
//! estimator, and the highest try that ever drew a reply (it bounds how often silent ports are
//! retried, as nmap does). Globally: the congestion window, the loss monitor that tells random
//! loss from congestion, the pacer, the in-flight limit of the transport, and a FIFO of
//! retransmissions that go before new probes. Transports only send and report back.

use super::loss::LossMonitor;
use super::order::PortOrder;
use super::ratelimit::RateLimit;
use super::{EngineEvent, EngineStats, ScanJob};
use crate::ports::PortIndex;
use crate::result::{HostResult, HostStatus, Hostname, HostnameKind, PortResult, RttTimes};
use crate::state::{PortState, Reason, Verdict};
use crate::target::Target;
use crate::timing::{CongestionWindow, Pacer, RttEstimator};
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::mpsc;

/// Hosts scanned side by side.
const HOSTGROUP: usize = 256;
/// A host that sent an ICMP error this recently may be rate-limiting the rest.
const ICMP_QUIET: Duration = Duration::from_secs(2);
/// How often a deferred silent port is probed again while its host is suspect.
const DEFER_EVERY: Duration = Duration::from_secs(1);

/// Minimum gap between progress events.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// One transmission: host, slot and try number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct Probe {
    pub host: u64,
    pub slot: u32,
    pub try_no: u8,
    /// Index of the source address it leaves from (0 when only one).
    pub src: u8,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    unit: u8,
    port: u16,
    verdict: Option<Verdict>,
    /// The transmission in flight, if any, and when it left.
    in_flight: Option<(u8, Instant)>,
    /// The first try sent while the host was paced: only a reply to a later try proves a
    /// paced probe found no token.
    paced_try: Option<u8>,
}

#[derive(Debug)]
struct Host {
    target: Target,
    slots: Vec<Slot>,
    order: PortOrder,
    undecided: usize,
    in_flight: usize,
    rtt: RttEstimator,
    /// The host's own window (the scan's window bounds all hosts together).
    cwnd: CongestionWindow,
    loss: LossMonitor,
    /// ICMP rate-limit detection and, once limited, per-source pacing.
    limit: RateLimit,
    /// Retransmissions of a paced host (they wait for its pacer, not the global queue).
    retry: VecDeque<Probe>,
    /// Source addresses it is reached from, and the next one to use.
    sources: u8,
    next_src: u8,
    /// Until when the host counts as possibly rate-limiting its ICMP errors (it answered a
    /// closed port with one recently): silence from it is not final yet.
    suspect_until: Option<Instant>,
    /// Ports whose every try went unanswered while the host was suspect, with when to probe
    /// them again. They are decided as silent once the host has been quiet for a while, or
    /// probed afresh once it turns out to be rate-limited.
    deferred: VecDeque<(Instant, Probe)>,
    max_ok_try: u8,
    started: Instant,
    started_wall: SystemTime,
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

pub(super) struct Scheduler<'a> {
    job: &'a ScanJob,
    events: &'a mpsc::UnboundedSender<EngineEvent>,
    targets: Box<dyn Iterator<Item = Target> + Send + 'a>,
    targets_left: bool,
    hosts: HashMap<u64, Host>,
    by_addr: HashMap<IpAddr, u64>,
    rotation: VecDeque<u64>,
    next_host_id: u64,
    retransmit: VecDeque<Probe>,
    in_flight: usize,
    limit: usize,
    cwnd: CongestionWindow,
    loss: LossMonitor,
    /// The window every new host starts with.
    host_cwnd: CongestionWindow,
    /// Per technique: index of its first slot and the rank index of its ports.
    slot_index: Vec<(u32, PortIndex)>,
    pacer: Pacer,
    seed: u64,
    resource_notice: bool,
    resource_pause: Option<Instant>,
    stats: EngineStats,
    decided: u64,
    total: Option<u64>,
    last_progress: Instant,
    started: Instant,
}

impl<'a> Scheduler<'a> {
    /// `limit` is the transport's hard cap on probes in flight (descriptors, buffers);
    /// `default_ceiling` the window ceiling when the user set no `--max-parallelism`.
    pub fn new(
        job: &'a ScanJob,
        events: &'a mpsc::UnboundedSender<EngineEvent>,
        limit: usize,
        default_ceiling: u32,
    ) -> Self {
        let t = &job.timing;
        let ceiling = if t.serial {
            1
        } else {
            t.max_parallelism.unwrap_or(default_ceiling)
        };
        let ceiling = ceiling.min(u32::try_from(limit).unwrap_or(u32::MAX)).max(1);
        let floor = t.min_parallelism.unwrap_or(1).min(ceiling);
        let ports_per_host: u64 = job.units.iter().map(|u| u.ports.len() as u64).sum();
        let host_count =
            (job.targets.upper_bound() <= 1 << 20).then(|| job.targets.iter().count() as u64);
        Scheduler {
            job,
            events,
            targets: Box::new(job.targets.iter()),
            targets_left: true,
            hosts: HashMap::new(),
            by_addr: HashMap::new(),
            rotation: VecDeque::new(),
            next_host_id: 0,
            retransmit: VecDeque::new(),
            in_flight: 0,
            limit,
            cwnd: CongestionWindow::new(floor, ceiling),
            loss: LossMonitor::default(),
            host_cwnd: CongestionWindow::new(floor, ceiling),
            slot_index: {
                let mut base = 0u32;
                job.units
                    .iter()
                    .map(|u| {
                        let entry = (base, PortIndex::new(&u.ports));
                        base += u.ports.len() as u32;
                        entry
                    })
                    .collect()
            },
            pacer: Pacer::for_timing(t),
            seed: job.seed,
            resource_notice: false,
            resource_pause: None,
            stats: EngineStats::default(),
            decided: 0,
            total: host_count.map(|h| h * ports_per_host),
            last_progress: Instant::now(),
            started: Instant::now(),
        }
    }

    /// Everything is decided and reported.
    pub fn is_done(&self) -> bool {
        self.in_flight == 0
            && self.retransmit.is_empty()
            && self.hosts.is_empty()
            && !self.targets_left
    }

    /// The next thing to do, given the window, the pacer and the transport limit.
    pub fn next(&mut self, now: Instant) -> Next {
        let t = &self.job.timing;
        if let Some(until) = self.resource_pause.filter(|&u| u > now) {
            return Next::WaitUntil(until);
        }
        let behind_min_rate = t.min_rate.is_some_and(|r| {
            (self.stats.probes_sent as f64) < r * self.started.elapsed().as_secs_f64()
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

    fn pick(&mut self, now: Instant) -> Next {
        while let Some(p) = self.retransmit.pop_front() {
            if let Some(h) = self.hosts.get_mut(&p.host) {
                if h.limit.paced() {
                    h.retry.push_back(p); // became paced meanwhile: its pacer decides
                } else if h.slots[p.slot as usize].verdict.is_none() {
                    return Next::Send(p);
                }
            }
        }
        let mut earliest: Option<Instant> = None;
        loop {
            for _ in 0..self.rotation.len() {
                let Some(id) = self.rotation.pop_front() else {
                    return Next::Blocked;
                };
                self.rotation.push_back(id);
                let Some(h) = self.hosts.get_mut(&id) else {
                    continue;
                };
                if h.limit.paced() {
                    let src = match h.limit.ready(now) {
                        Ok(src) => src,
                        Err(t) => {
                            earliest = Some(earliest.map_or(t, |e| e.min(t)));
                            continue;
                        }
                    };
                    let src = u8::try_from(src).unwrap_or(0);
                    while let Some(p) = h.retry.pop_front() {
                        let slot = &h.slots[p.slot as usize];
                        if slot.verdict.is_none() && slot.in_flight.is_none() {
                            return Next::Send(Probe { src, ..p });
                        }
                    }
                    if let Some(slot) = h.order.next() {
                        return Next::Send(Probe {
                            host: id,
                            slot,
                            try_no: 0,
                            src,
                        });
                    }
                    continue;
                }
                if h.in_flight >= h.cwnd.allowed() {
                    continue; // this host's window is full; others may still send
                }
                if let Some(&(due, p)) = h.deferred.front() {
                    if due <= now {
                        h.deferred.pop_front();
                        let try_no = p.try_no.saturating_add(1).min(15);
                        return Next::Send(Probe { try_no, ..p });
                    }
                    earliest = Some(earliest.map_or(due, |e| e.min(due)));
                }
                if let Some(slot) = h.order.next() {
                    let src = h.next_src;
                    h.next_src = (h.next_src + 1) % h.sources.max(1);
                    return Next::Send(Probe {
                        host: id,
                        slot,
                        try_no: 0,
                        src,
                    });
                }
            }
            if !self.activate_host() {
                return earliest.map_or(Next::Blocked, Next::WaitUntil);
            }
        }
    }

    /// Brings the next target into the active group; false when none can be added now.
    fn activate_host(&mut self) -> bool {
        let group = if self.job.timing.serial { 1 } else { HOSTGROUP };
        if !self.targets_left || self.hosts.len() >= group {
            return false;
        }
        let Some(target) = self.targets.next() else {
            self.targets_left = false;
            return false;
        };
        let mut slots = Vec::new();
        for (i, unit) in self.job.units.iter().enumerate() {
            let unit_no = u8::try_from(i).unwrap_or(u8::MAX);
            slots.extend(unit.ports.iter().map(|port| Slot {
                unit: unit_no,
                port,
                verdict: None,
                in_flight: None,
                paced_try: None,
            }));
        }
        let id = self.next_host_id;
        self.next_host_id += 1;
        self.stats.hosts += 1;
        let sources = self
            .job
            .sources
            .iter()
            .filter(|s| s.is_ipv4() == target.addr.is_ipv4())
            .count()
            .max(1);
        let order = PortOrder::new(slots.len() as u32, self.seed, &target.addr);
        let host = Host {
            target,
            undecided: slots.len(),
            slots,
            order,
            in_flight: 0,
            rtt: RttEstimator::new(&self.job.timing),
            cwnd: self.host_cwnd,
            loss: LossMonitor::default(),
            limit: RateLimit::new(sources),
            retry: VecDeque::new(),
            sources: u8::try_from(sources).unwrap_or(u8::MAX),
            next_src: 0,
            suspect_until: None,
            deferred: VecDeque::new(),
            max_ok_try: 0,
            started: Instant::now(),
            started_wall: SystemTime::now(),
        };
        let empty = host.slots.is_empty();
        // The same address twice in one group: the later one waits for the earlier (replies
        // are matched by address).
        self.by_addr.entry(host.target.addr).or_insert(id);
        self.hosts.insert(id, host);
        self.rotation.push_back(id);
        if empty {
            self.finish_host(id, false);
        }
        true
    }

    /// Where a probe goes.
    pub fn destination(&self, p: Probe) -> Option<SocketAddr> {
        let h = self.hosts.get(&p.host)?;
        Some(SocketAddr::new(
            h.target.addr,
            h.slots[p.slot as usize].port,
        ))
    }

    /// Which technique unit a probe belongs to.
    pub fn unit_of(&self, p: Probe) -> Option<usize> {
        self.hosts
            .get(&p.host)
            .map(|h| usize::from(h.slots[p.slot as usize].unit))
    }

    /// The probe timeout for a host now.
    pub fn timeout_for(&self, host: u64) -> Duration {
        self.hosts
            .get(&host)
            .map_or(self.job.timing.initial_rtt_timeout, |h| h.rtt.timeout())
    }

    /// Finds the slot of (`unit`, `port`) on the active host with address `addr`.
    pub fn lookup(&self, addr: IpAddr, unit: usize, port: u16) -> Option<(u64, u32)> {
        let id = *self.by_addr.get(&addr)?;
        // Slots are laid out by technique, then port ascending: the index is a rank.
        let (base, index) = self.slot_index.get(unit)?;
        let idx = base + index.rank(port)?;
        self.hosts.contains_key(&id).then_some((id, idx))
    }

    /// The try currently in flight for a slot.
    pub fn in_flight_try(&self, host: u64, slot: u32) -> Option<u8> {
        self.hosts
            .get(&host)?
            .slots
            .get(slot as usize)?
            .in_flight
            .map(|(t, _)| t)
    }

    /// A probe left at `now`.
    pub fn sent(&mut self, p: Probe, now: Instant) {
        let Some(h) = self.hosts.get_mut(&p.host) else {
            return;
        };
        let slot = &mut h.slots[p.slot as usize];
        if slot.in_flight.is_none() {
            h.in_flight += 1;
            self.in_flight += 1;
        }
        slot.in_flight = Some((p.try_no, now));
        if h.limit.paced() && slot.paced_try.is_none() {
            slot.paced_try = Some(p.try_no);
        }
        h.limit.sent(usize::from(p.src), now);
        self.stats.probes_sent += 1;
        if p.try_no > 0 {
            self.stats.retransmissions += 1;
        }
        self.pacer.sent(now);
    }

    fn complete(&mut self, host: u64, slot: u32) -> Option<(u8, Instant)> {
        let h = self.hosts.get_mut(&host)?;
        let taken = h.slots[slot as usize].in_flight.take();
        if taken.is_some() {
            h.in_flight -= 1;
            self.in_flight -= 1;
        }
        taken
    }

    /// A reply that answers transmission `try_no` of a slot (a reply naming its transmission,
    /// or a connect() outcome). Replies to earlier transmissions still count; duplicates only
    /// change the state where nmap's rules allow.
    ///
    /// `icmp` says the reply was an ICMP error: those are what targets rate-limit.
    pub fn reply(
        &mut self,
        host: u64,
        slot: u32,
        try_no: u8,
        verdict: Verdict,
        now: Instant,
        icmp: bool,
    ) {
        let in_flight = self.complete(host, slot);
        let Some(h) = self.hosts.get_mut(&host) else {
            return;
        };
        let dropped = match h.slots[slot as usize].paced_try {
            _ if !h.limit.paced() => try_no > 0,
            Some(first) => try_no > first,
            None => false, // sent before pacing began: says nothing about the paced rate
        };
        // Only a technique whose closed ports answer with ICMP errors (UDP) can lose closed
        // ports to a rate limit; RSTs are never rate-limited.
        if icmp && verdict.state == PortState::Closed && !self.job.defeat_icmp_ratelimit {
            h.suspect_until = Some(now + ICMP_QUIET);
        }
        if icmp && !self.job.defeat_icmp_ratelimit && h.limit.icmp_reply(dropped, now) {
            self.start_pacing(host);
        }
        let Some(h) = self.hosts.get_mut(&host) else {
            return;
        };
        if let Some((t, sent)) = in_flight {
            if t == try_no {
                h.rtt.sample(now.saturating_duration_since(sent));
            }
            h.max_ok_try = h.max_ok_try.max(try_no);
            let dropped = try_no > 0;
            if h.loss.record(dropped) {
                h.cwnd.on_drop();
            } else {
                h.cwnd.on_success();
            }
            if self.loss.record(dropped) {
                self.cwnd.on_drop();
            } else {
                self.cwnd.on_success();
            }
        }
        self.decide(host, slot, verdict);
    }

    /// Transmission `try_no` of a slot went unanswered for its timeout.
    pub fn timeout(&mut self, p: Probe) {
        if self.in_flight_try(p.host, p.slot) != Some(p.try_no) {
            return; // answered meanwhile, or an older transmission
        }
        self.complete(p.host, p.slot);
        let max_retries = self.job.timing.max_retries;
        let Some(h) = self.hosts.get_mut(&p.host) else {
            return;
        };
        // A paced host gets at least two retransmissions: its silence must be sure.
        let floor = if h.limit.paced() { 2 } else { 1 };
        let allowed = u32::from(h.max_ok_try)
            .saturating_add(1)
            .max(floor)
            .min(max_retries.max(if h.limit.paced() { floor } else { 0 }));
        // On a paced host only paced tries count: a probe sent before pacing began (or a
        // deferred one with a high try number) proves nothing and starts over at try 0.
        let (tries_done, next_try) = if h.limit.paced() {
            match h.slots[p.slot as usize].paced_try {
                Some(first) if p.try_no >= first => (p.try_no - first, p.try_no.saturating_add(1)),
                _ => (0, 0),
            }
        } else {
            (p.try_no, p.try_no.saturating_add(1))
        };
        let fresh_start = h.limit.paced() && next_try == 0;
        if fresh_start || u32::from(tries_done) < allowed {
            let next = Probe {
                try_no: next_try,
                ..p
            };
            if h.limit.paced() {
                h.retry.push_back(next);
            } else {
                self.retransmit.push_back(next);
            }
        } else if self.job.units[usize::from(h.slots[p.slot as usize].unit)]
            .technique
            .silence_is_open()
            && !h.limit.paced()
            && h.suspect_until.is_some_and(|t| t > Instant::now())
        {
            // The host answers closed ports with ICMP errors and went quiet: a rate limit may
            // have swallowed this port's answer. Keep probing it now and then until we know.
            h.deferred.push_back((Instant::now() + DEFER_EVERY, p));
        } else {
            // Silence after every try is an answer too (the port is filtered): it is no sign
            // of congestion, and a window that only grew on replies would crawl on a
            // firewalled host.
            h.cwnd.on_success();
            self.cwnd.on_success();
            let silence = silence_of(self.job, usize::from(h.slots[p.slot as usize].unit));
            self.decide(p.host, p.slot, silence);
        }
    }

    /// The host was found to rate-limit its ICMP errors: pace it, start its retries afresh,
    /// and look again at every port it left silent while it was not paced (a probe that found
    /// no token got no answer, which proves nothing).
    fn start_pacing(&mut self, host: u64) {
        let Some(h) = self.hosts.get_mut(&host) else {
            return;
        };
        h.max_ok_try = 0;
        // Probes from before are answered within a couple of timeouts.
        let grace = Instant::now() + h.rtt.timeout() * 2 + h.limit.interval();
        h.limit.grace(grace);
        let mut reopened = 0u64;
        for (i, s) in h.slots.iter_mut().enumerate() {
            let silence = silence_of(self.job, usize::from(s.unit));
            if s.verdict
                .is_some_and(|v| v.state == silence.state && v.reason == silence.reason)
            {
                s.verdict = None;
                h.undecided += 1;
                reopened += 1;
                h.retry.push_back(Probe {
                    host,
                    slot: i as u32,
                    try_no: 0,
                    src: 0,
                });
            }
        }
        self.decided = self.decided.saturating_sub(reopened);
        let deferred: Vec<Probe> = h
            .deferred
            .drain(..)
            .map(|(_, p)| Probe { try_no: 0, ..p })
            .collect();
        h.retry.extend(deferred);
        // Queued retransmissions start again at try 0: paced tries are counted afresh.
        let moved: Vec<Probe> = self
            .retransmit
            .iter()
            .filter(|p| p.host == host)
            .map(|p| Probe { try_no: 0, ..*p })
            .collect();
        self.retransmit.retain(|p| p.host != host);
        h.retry.extend(moved);
        let per_second = 1.0 / h.limit.interval().as_secs_f64().max(1e-9);
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
    pub fn resource_error(&mut self, p: Probe, errno: i32) {
        self.complete(p.host, p.slot);
        self.retransmit.push_front(p);
        if [libc::ENOBUFS, libc::EAGAIN, libc::ENOMEM].contains(&errno) {
            self.resource_pause = Some(Instant::now() + Duration::from_micros(500));
            return;
        }
        self.cwnd.cap((self.in_flight * 3 / 4).max(1));
        if self.in_flight == 0 {
            self.resource_pause = Some(Instant::now() + Duration::from_millis(20));
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

    fn decide(&mut self, host: u64, slot: u32, verdict: Verdict) {
        let Some(h) = self.hosts.get_mut(&host) else {
            return;
        };
        let s = &mut h.slots[slot as usize];
        let silence_is_open = self.job.units[usize::from(s.unit)]
            .technique
            .silence_is_open();
        match s.verdict {
            None => {
                s.verdict = Some(verdict);
                h.undecided -= 1;
                self.decided += 1;
                if s.in_flight.take().is_some() {
                    h.in_flight -= 1;
                    self.in_flight -= 1;
                }
            }
            Some(old) if old.state.may_become(verdict.state, silence_is_open) => {
                s.verdict = Some(verdict)
            }
            Some(_) => {}
        }
        if h.undecided == 0 && h.in_flight == 0 {
            self.finish_host(host, false);
        }
        self.progress(false);
    }

    /// Abandons hosts over `--host-timeout`.
    pub fn expire_hosts(&mut self) {
        self.settle_deferred();
        let Some(limit) = self.job.timing.host_timeout else {
            return;
        };
        let expired: Vec<u64> = self
            .hosts
            .iter()
            .filter(|(_, h)| h.started.elapsed() >= limit)
            .map(|(&id, _)| id)
            .collect();
        for id in expired {
            self.finish_host(id, true);
        }
    }

    /// Hosts that have been quiet long enough: their deferred ports are silent after all.
    fn settle_deferred(&mut self) {
        let now = Instant::now();
        let quiet: Vec<u64> = self
            .hosts
            .iter()
            .filter(|(_, h)| !h.deferred.is_empty() && h.suspect_until.is_none_or(|t| t <= now))
            .map(|(&id, _)| id)
            .collect();
        for id in quiet {
            let Some(h) = self.hosts.get_mut(&id) else {
                continue;
            };
            let settled: Vec<Probe> = h.deferred.drain(..).map(|(_, p)| p).collect();
            for p in settled {
                let Some(h) = self.hosts.get(&id) else { break };
                let silence = silence_of(self.job, usize::from(h.slots[p.slot as usize].unit));
                self.decide(p.host, p.slot, silence);
            }
        }
    }

    fn finish_host(&mut self, id: u64, timed_out: bool) {
        let Some(host) = self.hosts.remove(&id) else {
            return;
        };
        self.in_flight -= host.in_flight;
        self.rotation.retain(|&h| h != id);
        if self.by_addr.get(&host.target.addr) == Some(&id) {
            self.by_addr.remove(&host.target.addr);
            // Another active host with the same address takes over reply matching.
            if let Some((&other, _)) = self
                .hosts
                .iter()
                .find(|(_, h)| h.target.addr == host.target.addr)
            {
                self.by_addr.insert(host.target.addr, other);
            }
        }
        let partial = !timed_out && host.undecided > 0;
        let result = self.host_result(host, timed_out, partial);
        self.emit(EngineEvent::HostDone(result));
    }

    fn host_result(&self, host: Host, timed_out: bool, partial: bool) -> HostResult {
        let mut ports: Vec<PortResult> = if timed_out {
            Vec::new()
        } else {
            host.slots
                .iter()
                .filter_map(|s| {
                    s.verdict.map(|v| PortResult {
                        protocol: self.job.units[usize::from(s.unit)].technique.protocol(),
                        port: s.port,
                        state: v.state,
                        reason: v.reason,
                        reason_ttl: v.reason_ttl,
                    })
                })
                .collect()
        };
        ports.sort_by_key(|p| (p.protocol, p.port));
        let times = host.rtt.stats().map(|(srtt, rttvar)| RttTimes {
            srtt,
            rttvar,
            timeout: host.rtt.timeout(),
        });
        HostResult {
            addr: host.target.addr,
            hostnames: host
                .target
                .hostname
                .map(|name| {
                    vec![Hostname {
                        name,
                        kind: HostnameKind::User,
                    }]
                })
                .unwrap_or_default(),
            status: HostStatus {
                up: true,
                reason: Reason::UserSet,
                reason_ttl: 0,
            },
            ports,
            start: host.started_wall,
            end: SystemTime::now(),
            timed_out,
            partial,
            times,
        }
    }

    /// Stops: every active host is reported with what is decided so far.
    pub fn interrupt(&mut self) {
        self.stats.interrupted = true;
        self.retransmit.clear();
        let mut ids: Vec<u64> = self.hosts.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            self.finish_host(id, false);
        }
        self.in_flight = 0;
        self.targets_left = false;
    }

    /// Sends a progress event, at most every 100 ms unless forced.
    pub fn progress(&mut self, force: bool) {
        if force || self.last_progress.elapsed() >= PROGRESS_EVERY {
            self.last_progress = Instant::now();
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

/// What silence means for technique `unit`: its own verdict (reason `no-response`, no TTL),
/// except that with `--defeat-icmp-ratelimit` the user traded accuracy for speed, and a port
/// whose ICMP error may have been rate-limited away is `closed|filtered` rather than
/// `open|filtered`.
fn silence_of(job: &ScanJob, unit: usize) -> Verdict {
    let mut v = Verdict {
        reason_ttl: 0,
        ..job.units[unit].technique.on_silence()
    };
    if job.defeat_icmp_ratelimit && v.state == PortState::OpenFiltered {
        v.state = PortState::ClosedFiltered;
    }
    v
}
