//! The connect() driver: probes are TCP connection attempts made through the operating system.
//!
//! Per host: a slot per (technique, port), an RTT estimator and the highest try that ever drew a
//! reply (which bounds how often silent ports are retried, as nmap does). Globally: a congestion
//! window, a pacer, the descriptor budget and a FIFO of retransmissions that go before new probes.
//! Sockets use zero linger, so an established connection is reset on close and leaves no
//! TIME_WAIT behind; local resource errors (EMFILE, EADDRNOTAVAIL, ...) shrink the window and
//! requeue the probe instead of failing.

use super::{limits, sockopt, EngineEvent, EngineStats, ScanJob};
use crate::result::{HostResult, HostStatus, Hostname, HostnameKind, PortResult, RttTimes};
use crate::state::{Reason, Verdict};
use crate::target::Target;
use crate::technique::{ConnectOutcome, ConnectProbe, ProbeMethod};
use crate::timing::{CongestionWindow, Pacer, RttEstimator};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};
use tokio::net::TcpSocket;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

/// Default ceiling on connections in flight per template (the descriptor budget may lower it).
fn default_parallelism(template: u8) -> u32 {
    match template {
        0..=2 => 1,
        3 => 1024,
        4 => 2048,
        _ => 4096,
    }
}

/// Hosts scanned side by side.
const HOSTGROUP: usize = 256;
/// Minimum gap between progress events.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy)]
struct Slot {
    unit: u8,
    port: u16,
    verdict: Option<Verdict>,
}

#[derive(Debug)]
struct HostState {
    target: Target,
    slots: Vec<Slot>,
    next_new: usize,
    undecided: usize,
    in_flight: usize,
    rtt: RttEstimator,
    max_ok_try: u8,
    started: Instant,
    started_wall: SystemTime,
}

/// A probe: which host and slot, and which transmission.
#[derive(Debug, Clone, Copy)]
struct Probe {
    host: u64,
    slot: usize,
    try_no: u8,
}

enum Attempt {
    Outcome(ConnectOutcome),
    Timeout,
    /// A local resource error: not information about the port.
    Resource(i32),
}

fn is_resource_error(errno: i32) -> bool {
    [
        libc::EMFILE,
        libc::ENFILE,
        libc::ENOBUFS,
        libc::ENOMEM,
        libc::EADDRNOTAVAIL,
        libc::EAGAIN,
    ]
    .contains(&errno)
}

async fn attempt(addr: SocketAddr, timeout: Duration) -> Attempt {
    let errno = |e: std::io::Error| e.raw_os_error().unwrap_or(libc::EIO);
    let sock = match if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    } {
        Ok(s) => s,
        Err(e) => return Attempt::Resource(errno(e)),
    };
    if let Err(e) = sock.set_zero_linger() {
        return Attempt::Resource(errno(e));
    }
    // Without it, an ICMP error that arrives while connect() still holds the socket lock is
    // only recorded as a soft error and surfaces after the first SYN retransmission.
    if let Err(e) = sockopt::set_recv_err(&sock, addr.is_ipv6()) {
        return Attempt::Resource(errno(e));
    }
    match tokio::time::timeout(timeout, sock.connect(addr)).await {
        // Dropping the stream with zero linger resets the connection.
        Ok(Ok(_stream)) => Attempt::Outcome(ConnectOutcome::Established),
        Ok(Err(e)) => match errno(e) {
            n if is_resource_error(n) => Attempt::Resource(n),
            n => Attempt::Outcome(ConnectOutcome::Failed(n)),
        },
        Err(_) => Attempt::Timeout,
    }
}

pub(super) struct ConnectDriver<'a> {
    job: &'a ScanJob,
    probes: Vec<&'a dyn ConnectProbe>,
    events: &'a mpsc::UnboundedSender<EngineEvent>,
    stop: watch::Receiver<bool>,
    targets: Box<dyn Iterator<Item = Target> + Send + 'a>,
    targets_left: bool,
    hosts: HashMap<u64, HostState>,
    order: VecDeque<u64>,
    next_host_id: u64,
    retransmit: VecDeque<Probe>,
    tasks: JoinSet<(Probe, Instant, Attempt)>,
    in_flight: usize,
    cwnd: CongestionWindow,
    fd_budget: usize,
    pacer: Pacer,
    resource_notice: bool,
    resource_pause: Option<Instant>,
    stats: EngineStats,
    decided: u64,
    total: Option<u64>,
    last_progress: Instant,
    started: Instant,
}

impl<'a> ConnectDriver<'a> {
    pub(super) fn new(
        job: &'a ScanJob,
        events: &'a mpsc::UnboundedSender<EngineEvent>,
        stop: watch::Receiver<bool>,
    ) -> Self {
        let t = &job.timing;
        let fd_budget = limits::raise_fd_limit();
        let ceiling = if t.serial {
            1
        } else {
            t.max_parallelism
                .unwrap_or_else(|| default_parallelism(t.template))
        };
        let ceiling = ceiling.min(u32::try_from(fd_budget).unwrap_or(u32::MAX));
        let floor = t.min_parallelism.unwrap_or(1).min(ceiling);
        let ports_per_host: u64 = job.units.iter().map(|u| u.ports.len() as u64).sum();
        let host_count =
            (job.targets.upper_bound() <= 1 << 20).then(|| job.targets.iter().count() as u64);
        let probes = job
            .units
            .iter()
            .filter_map(|u| match u.technique.probe() {
                ProbeMethod::Connect(p) => Some(p),
                ProbeMethod::Raw(_) => None,
            })
            .collect();
        ConnectDriver {
            job,
            probes,
            events,
            stop,
            targets: Box::new(job.targets.iter()),
            targets_left: true,
            hosts: HashMap::new(),
            order: VecDeque::new(),
            next_host_id: 0,
            retransmit: VecDeque::new(),
            tasks: JoinSet::new(),
            in_flight: 0,
            cwnd: CongestionWindow::new(floor, ceiling),
            fd_budget,
            pacer: Pacer::for_timing(t),
            resource_notice: false,
            resource_pause: None,
            stats: EngineStats::default(),
            decided: 0,
            total: host_count.map(|h| h * ports_per_host),
            last_progress: Instant::now(),
            started: Instant::now(),
        }
    }

    pub(super) async fn run(mut self) -> EngineStats {
        loop {
            if *self.stop.borrow() {
                self.interrupt();
                break;
            }
            self.expire_hosts();
            let wake = self.launch();
            if self.in_flight == 0
                && self.retransmit.is_empty()
                && self.hosts.is_empty()
                && !self.targets_left
            {
                break;
            }
            let sleep_until = wake.unwrap_or_else(|| Instant::now() + Duration::from_millis(250));
            tokio::select! {
                joined = self.tasks.join_next(), if self.in_flight > 0 => {
                    if let Some(Ok((probe, sent, result))) = joined {
                        self.in_flight -= 1;
                        self.complete(probe, sent, result);
                    } else if joined.is_some() {
                        // A probe task panicked or was cancelled: it holds no state of ours.
                        self.in_flight = self.in_flight.saturating_sub(1);
                    }
                }
                _ = tokio::time::sleep_until(sleep_until.into()) => {}
                changed = self.stop.changed() => {
                    if changed.is_err() {
                        // The stop sender is gone: nobody can stop us any more; keep scanning.
                        self.stop = watch::channel(false).1;
                    }
                }
            }
        }
        self.progress(true);
        self.stats
    }

    /// Starts as many probes as window, pacing and budget allow. Returns when to look again if
    /// something is waiting on the clock.
    fn launch(&mut self) -> Option<Instant> {
        let t = &self.job.timing;
        loop {
            let now = Instant::now();
            if let Some(until) = self.resource_pause.filter(|&u| u > now) {
                return Some(until);
            }
            let behind_min_rate = t.min_rate.is_some_and(|r| {
                (self.stats.probes_sent as f64) < r * self.started.elapsed().as_secs_f64()
            });
            let window_open =
                self.in_flight < self.cwnd.allowed() || (behind_min_rate && !t.serial);
            if !window_open || self.in_flight >= self.fd_budget {
                return None;
            }
            if let Some(at) = self.pacer.ready_at(now) {
                return Some(at);
            }
            let probe = self.next_probe()?;
            self.send(probe, now);
        }
    }

    fn next_probe(&mut self) -> Option<Probe> {
        while let Some(p) = self.retransmit.pop_front() {
            if self.hosts.contains_key(&p.host) {
                return Some(p);
            }
        }
        loop {
            for _ in 0..self.order.len() {
                let id = self.order.pop_front()?;
                self.order.push_back(id);
                if let Some(h) = self.hosts.get_mut(&id) {
                    if h.next_new < h.slots.len() {
                        h.next_new += 1;
                        return Some(Probe {
                            host: id,
                            slot: h.next_new - 1,
                            try_no: 0,
                        });
                    }
                }
            }
            if !self.activate_host() {
                return None;
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
            }));
        }
        let id = self.next_host_id;
        self.next_host_id += 1;
        self.stats.hosts += 1;
        let host = HostState {
            target,
            undecided: slots.len(),
            slots,
            next_new: 0,
            in_flight: 0,
            rtt: RttEstimator::new(&self.job.timing),
            max_ok_try: 0,
            started: Instant::now(),
            started_wall: SystemTime::now(),
        };
        let empty = host.slots.is_empty();
        self.hosts.insert(id, host);
        self.order.push_back(id);
        if empty {
            self.finish_host(id, false);
        }
        true
    }

    fn send(&mut self, probe: Probe, now: Instant) {
        let Some(host) = self.hosts.get_mut(&probe.host) else {
            return;
        };
        let addr = SocketAddr::new(host.target.addr, host.slots[probe.slot].port);
        let timeout = host.rtt.timeout();
        host.in_flight += 1;
        self.in_flight += 1;
        self.stats.probes_sent += 1;
        if probe.try_no > 0 {
            self.stats.retransmissions += 1;
        }
        self.pacer.sent(now);
        self.tasks.spawn(async move {
            let sent = Instant::now();
            let result = attempt(addr, timeout).await;
            (probe, sent, result)
        });
    }

    fn complete(&mut self, probe: Probe, sent: Instant, result: Attempt) {
        let max_retries = self.job.timing.max_retries;
        let Some(host) = self.hosts.get_mut(&probe.host) else {
            return;
        };
        host.in_flight -= 1;
        let slot = host.slots[probe.slot];
        let verdict = match result {
            Attempt::Resource(errno) => {
                self.retransmit.push_front(probe);
                self.back_off(errno);
                return;
            }
            Attempt::Timeout => None,
            Attempt::Outcome(outcome) => self.probes[usize::from(slot.unit)].classify(outcome),
        };
        match verdict {
            Some(v) => {
                host.rtt.sample(sent.elapsed());
                host.max_ok_try = host.max_ok_try.max(probe.try_no);
                if probe.try_no > 0 {
                    self.cwnd.on_drop();
                } else {
                    self.cwnd.on_success();
                }
                self.decide(probe, v);
            }
            None => {
                let allowed = u32::from(host.max_ok_try)
                    .saturating_add(1)
                    .max(1)
                    .min(max_retries);
                if u32::from(probe.try_no) < allowed {
                    self.retransmit.push_back(Probe {
                        try_no: probe.try_no.saturating_add(1),
                        ..probe
                    });
                } else {
                    self.cwnd.on_success();
                    let silence = self.job.units[usize::from(slot.unit)]
                        .technique
                        .on_silence();
                    self.decide(
                        probe,
                        Verdict {
                            reason_ttl: 0,
                            ..silence
                        },
                    );
                }
            }
        }
    }

    fn back_off(&mut self, errno: i32) {
        self.cwnd.cap((self.in_flight * 3 / 4).max(1));
        if self.in_flight == 0 {
            self.resource_pause = Some(Instant::now() + Duration::from_millis(20));
        }
        if !self.resource_notice {
            self.resource_notice = true;
            let what = std::io::Error::from_raw_os_error(errno);
            self.emit(EngineEvent::Notice(format!(
                "local resource limit reached ({what}); slowing down to {} parallel connections",
                self.cwnd.allowed()
            )));
        }
    }

    fn decide(&mut self, probe: Probe, verdict: Verdict) {
        let Some(host) = self.hosts.get_mut(&probe.host) else {
            return;
        };
        let slot = &mut host.slots[probe.slot];
        let silence_is_open = self.job.units[usize::from(slot.unit)]
            .technique
            .silence_is_open();
        match slot.verdict {
            None => {
                slot.verdict = Some(verdict);
                host.undecided -= 1;
                self.decided += 1;
            }
            Some(old) if old.state.may_become(verdict.state, silence_is_open) => {
                slot.verdict = Some(verdict)
            }
            Some(_) => {}
        }
        let done = host.undecided == 0 && host.in_flight == 0;
        if done {
            self.finish_host(probe.host, false);
        }
        self.progress(false);
    }

    fn expire_hosts(&mut self) {
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

    fn finish_host(&mut self, id: u64, timed_out: bool) {
        let Some(host) = self.hosts.remove(&id) else {
            return;
        };
        self.order.retain(|&h| h != id);
        let partial = !timed_out && host.undecided > 0;
        let result = self.host_result(host, timed_out, partial);
        self.emit(EngineEvent::HostDone(result));
    }

    fn host_result(&self, host: HostState, timed_out: bool, partial: bool) -> HostResult {
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

    fn interrupt(&mut self) {
        self.stats.interrupted = true;
        self.tasks.abort_all();
        self.in_flight = 0;
        self.retransmit.clear();
        let mut ids: Vec<u64> = self.hosts.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            self.finish_host(id, false);
        }
        self.targets_left = false;
    }

    fn progress(&mut self, force: bool) {
        if force || self.last_progress.elapsed() >= PROGRESS_EVERY {
            self.last_progress = Instant::now();
            self.emit(EngineEvent::Progress {
                done: self.decided,
                total: self.total,
            });
        }
    }

    fn emit(&self, event: EngineEvent) {
        // A closed receiver only means nobody listens any more.
        let _ = self.events.send(event);
    }
}
