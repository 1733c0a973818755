//! The scheduler driven on a simulated clock: no network, no sleeping. A tiny "network"
//! answers the probes to live addresses after a fixed delay; everything else is silent.

use super::*;
use crate::discovery::{DiscoveryMethod, DiscoveryTechnique};
use crate::engine::{Discovery, ScanUnit};
use crate::ports::{PortSpec, Protocol};
use crate::target::TargetSet;
use crate::technique::{
    ProbeBuildError, ProbeContext, ProbeMethod, RawMatch, RawProbe, ReplyContext, ScanTechnique,
};
use crate::timing::Timing;
use std::sync::Arc;

mod loss;

struct NoBytes;

impl RawProbe for NoBytes {
    fn ip_protocol(&self) -> u8 {
        6
    }
    fn build(&self, _: &ProbeContext, _: &mut [u8]) -> Result<usize, ProbeBuildError> {
        Ok(0)
    }
    fn classify(&self, _: &ReplyContext<'_>) -> Option<RawMatch> {
        None
    }
}

#[derive(Debug)]
struct Tech;

impl ScanTechnique for Tech {
    fn name(&self) -> &'static str {
        "fake"
    }
    fn protocol(&self) -> Protocol {
        Protocol::Tcp
    }
    fn scan_type(&self) -> &'static str {
        "syn"
    }
    fn on_silence(&self) -> Verdict {
        Verdict::new(PortState::Filtered, Reason::NoResponse)
    }
    fn probe(&self) -> ProbeMethod<'_> {
        ProbeMethod::Raw(&NoBytes)
    }
}

#[derive(Debug)]
struct Ping;

impl DiscoveryTechnique for Ping {
    fn name(&self) -> &'static str {
        "ping"
    }
    fn method(&self) -> DiscoveryMethod<'_> {
        DiscoveryMethod::Raw(&NoBytes)
    }
    fn ports(&self) -> &[u16] {
        &[0]
    }
}

const OPEN: Verdict = Verdict {
    state: PortState::Open,
    reason: Reason::SynAck,
    reason_ttl: 64,
};
const UP: Verdict = Verdict::host_up(Reason::EchoReply, 64);

fn job(targets: &str, ports: &str, discover: bool, timing: Timing) -> ScanJob {
    let units = if ports.is_empty() {
        Vec::new()
    } else {
        vec![ScanUnit {
            technique: Arc::new(Tech),
            ports: PortSpec::parse(ports)
                .expect("ports")
                .for_protocol(Protocol::Tcp),
        }]
    };
    let discovery = if discover {
        Discovery {
            methods: vec![Arc::new(Ping)],
            assume_up: false,
            local: Vec::new(),
        }
    } else {
        Discovery::none()
    };
    ScanJob {
        targets: TargetSet::build(&[targets], &[]).expect("targets"),
        units,
        discovery,
        timing,
        seed: 7,
        sources: Vec::new(),
        defeat_icmp_ratelimit: false,
        after_open: None,
        resume: Vec::new(),
    }
}

fn t3() -> Timing {
    Timing::template(3).expect("T3")
}

/// What the simulation saw.
struct Run {
    hosts: Vec<HostResult>,
    end: Instant,
    sent: Vec<(SocketAddr, u8)>,
    stats: EngineStats,
}

/// Runs the scan to the end. Probes to addresses for which `live` holds are answered after
/// `rtt` (discovery probes, to port 0, with an echo reply; ports with `OPEN`). `stop_at`
/// interrupts the scan at that instant.
fn simulate(
    job: &ScanJob,
    t0: Instant,
    live: impl Fn(IpAddr) -> bool,
    rtt: Duration,
    stop_at: Option<Instant>,
) -> Run {
    simulate_lossy(job, t0, live, rtt, stop_at, |_| false)
}

/// As [`simulate`], and `lost` says which transmissions (n-th probe sent) the network drops.
fn simulate_lossy(
    job: &ScanJob,
    t0: Instant,
    live: impl Fn(IpAddr) -> bool,
    rtt: Duration,
    stop_at: Option<Instant>,
    lost: impl Fn(usize) -> bool,
) -> Run {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut s = Scheduler::new(job, &tx, usize::MAX, 4096, t0, SystemTime::UNIX_EPOCH);
    let mut now = t0;
    let mut pending: Vec<(Instant, Probe)> = Vec::new();
    let mut sent = Vec::new();
    for _ in 0..1_000_000 {
        if stop_at.is_some_and(|t| now >= t) {
            s.interrupt(now);
            break;
        }
        let mut wait = None;
        loop {
            match s.next(now) {
                Next::Send(p) => {
                    let dst = s.destination(p).expect("destination");
                    s.sent(p, now);
                    sent.push((dst, p.try_no));
                    if live(dst.ip()) && !lost(sent.len()) {
                        pending.push((now + rtt, p));
                    }
                }
                Next::WaitUntil(t) => {
                    wait = Some(t);
                    break;
                }
                Next::Blocked => break,
            }
        }
        if s.is_done() {
            break;
        }
        let next_reply = pending.iter().map(|(t, _)| *t).min();
        now = [next_reply, s.next_deadline(), wait, stop_at]
            .into_iter()
            .flatten()
            .min()
            .expect("something to wait for");
        let (due, rest): (Vec<_>, Vec<_>) = pending.into_iter().partition(|(t, _)| *t <= now);
        pending = rest;
        for (_, p) in due {
            let port = s.destination(p).map_or(0, |d| d.port());
            let v = if port == 0 { UP } else { OPEN };
            s.reply(p.host, p.slot, p.try_no, v, now, ReplyInfo::default());
        }
        s.expire(now, |_| {});
    }
    let stats = s.stats();
    drop(s);
    drop(tx);
    let mut hosts = Vec::new();
    while let Ok(e) = rx.try_recv() {
        if let EngineEvent::HostDone(h) = e {
            hosts.push(h);
        }
    }
    Run {
        hosts,
        end: now,
        sent,
        stats,
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn last_octet(ip: IpAddr) -> u8 {
    match ip {
        IpAddr::V4(a) => a.octets()[3],
        IpAddr::V6(a) => a.octets()[15],
    }
}

#[test]
fn a_dead_host_is_retried_once_per_port() {
    let job = job("198.18.0.9", "1-3", false, t3());
    let r = simulate(&job, Instant::now(), |_| false, ms(1), None);
    assert_eq!(r.stats.probes_sent, 6, "{:?}", r.sent);
    assert_eq!(r.stats.retransmissions, 3);
    assert_eq!(r.hosts.len(), 1);
    let h = &r.hosts[0];
    assert!(h.status.up && h.status.reason == Reason::UserSet);
    assert_eq!(h.ports.len(), 3);
    assert!(h.ports.iter().all(|p| p.state == PortState::Filtered));
}

#[test]
fn hosts_that_never_answered_use_the_scan_wide_rtt() {
    let t0 = Instant::now();
    // .1 answers in 10 ms; the others never do.
    let job = job("198.18.0.0/26", "1-3", false, t3());
    let r = simulate(&job, t0, |ip| last_octet(ip) == 1, ms(10), None);
    assert_eq!(r.hosts.len(), 64);
    let live = r
        .hosts
        .iter()
        .filter(|h| h.ports.iter().any(|p| p.state == PortState::Open));
    assert_eq!(live.count(), 1);
    // Once .1 answered, every probe to the others is judged by the scan's estimate (the
    // 100 ms floor), also those sent before that first sample with the 1 s initial timeout:
    // two tries of 100 ms, not a second each (a few rounds more while the window opens).
    let end = r.end.saturating_duration_since(t0);
    assert!(end < ms(1000), "took {end:?}");
    assert!(end >= ms(200), "took {end:?}: fewer than two tries");
}

#[test]
fn without_any_answer_the_initial_timeout_holds() {
    let t0 = Instant::now();
    let job = job("198.18.0.0/30", "1", false, t3());
    let r = simulate(&job, t0, |_| false, ms(1), None);
    // Nothing ever answered: two tries of the template's initial 1 s.
    let end = r.end.saturating_duration_since(t0);
    assert!(end >= ms(2000) && end < ms(2100), "took {end:?}");
}

#[test]
fn timeouts_follow_the_current_estimate() {
    let t0 = Instant::now();
    // One host answering in 300 ms: its first probes leave with the 1 s initial timeout, later
    // ones with srtt + 4 rttvar; none is retransmitted (no reply is ever late).
    let job = job("198.18.0.1", "1-50", false, t3());
    let r = simulate(&job, t0, |_| true, ms(300), None);
    assert_eq!(r.stats.retransmissions, 0, "{:?}", r.sent);
    assert!(r.hosts[0].ports.iter().all(|p| p.state == PortState::Open));
    let times = r.hosts[0].times.expect("rtt times");
    assert_eq!(times.srtt, ms(300));
}

#[test]
fn discovery_finds_live_hosts_and_scans_only_those() {
    let t0 = Instant::now();
    let job = job("198.18.0.0/28", "1-5", true, t3());
    let r = simulate(&job, t0, |ip| last_octet(ip) % 4 == 1, ms(5), None);
    assert_eq!(r.hosts.len(), 16);
    let up: Vec<&HostResult> = r.hosts.iter().filter(|h| h.status.up).collect();
    assert_eq!(up.len(), 4);
    for h in &up {
        assert_eq!(h.status.reason, Reason::EchoReply);
        assert_eq!(h.status.reason_ttl, 64);
        assert_eq!(h.ports.len(), 5);
        assert!(h.ports.iter().all(|p| p.state == PortState::Open));
    }
    for h in r.hosts.iter().filter(|h| !h.status.up) {
        assert_eq!(h.status.reason, Reason::NoResponse);
        assert!(h.ports.is_empty());
    }
    // No port probe ever went to a dead host: only the ping and its retransmission.
    let dead_ports = r
        .sent
        .iter()
        .filter(|(d, _)| last_octet(d.ip()) % 4 != 1 && d.port() != 0)
        .count();
    assert_eq!(dead_ports, 0);
    let dead_pings = r
        .sent
        .iter()
        .filter(|(d, _)| last_octet(d.ip()) % 4 != 1)
        .count();
    assert_eq!(dead_pings, 12 * 2);
}

#[test]
fn ping_only_reports_hosts_without_ports() {
    let job = job("198.18.0.0/29", "", true, t3());
    let r = simulate(&job, Instant::now(), |ip| last_octet(ip) == 3, ms(2), None);
    assert_eq!(r.hosts.len(), 8);
    assert_eq!(r.hosts.iter().filter(|h| h.status.up).count(), 1);
    assert!(r.hosts.iter().all(|h| h.ports.is_empty()));
    assert_eq!(r.stats.hosts_up, 1);
}

#[test]
fn a_host_over_its_timeout_is_reported_timed_out() {
    let mut timing = t3();
    timing.host_timeout = Some(ms(500));
    let t0 = Instant::now();
    let job = job("198.18.0.5", "1-1000", false, timing);
    let r = simulate(&job, t0, |_| false, ms(1), None);
    assert_eq!(r.hosts.len(), 1);
    assert!(r.hosts[0].timed_out && r.hosts[0].ports.is_empty());
    let end = r.end.saturating_duration_since(t0);
    assert!(end >= ms(500) && end < ms(600), "{end:?}");
}

#[test]
fn an_interrupted_scan_reports_what_it_decided() {
    let t0 = Instant::now();
    let job = job("198.18.0.0/30", "1-200", true, t3());
    // .1 is up and answers slowly; the others never answer discovery.
    // The others' discovery timeout is 40 + 4 x 40 ms: still pending at the interruption.
    let r = simulate(
        &job,
        t0,
        |ip| last_octet(ip) == 1,
        ms(40),
        Some(t0 + ms(150)),
    );
    assert!(r.stats.interrupted);
    // Hosts still being discovered are neither up nor down: not reported.
    assert_eq!(r.hosts.len(), 1, "{:?}", r.hosts);
    let h = &r.hosts[0];
    assert!(h.status.up && h.partial);
    assert!(!h.ports.is_empty() && h.ports.len() < 200);
}

#[test]
fn our_own_host_unreachable_ends_the_host() {
    let t0 = Instant::now();
    let job = job("198.18.0.3", "1-1000", false, t3());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut s = Scheduler::new(&job, &tx, usize::MAX, 4096, t0, SystemTime::UNIX_EPOCH);
    let Next::Send(p) = s.next(t0) else {
        panic!("nothing to send")
    };
    s.sent(p, t0);
    let unreach = Verdict::new(PortState::Filtered, Reason::HostUnreach);
    let info = ReplyInfo {
        icmp: true,
        from_self: true,
        mac: None,
    };
    s.reply(p.host, p.slot, 0, unreach, t0 + ms(3000), info);
    assert!(s.is_done() || !s.hosts.contains_key(&p.host));
    drop(s);
    drop(tx);
    let Some(EngineEvent::HostDone(h)) =
        std::iter::from_fn(|| rx.try_recv().ok()).find(|e| matches!(e, EngineEvent::HostDone(_)))
    else {
        panic!("no host reported")
    };
    assert_eq!(h.ports.len(), 1000);
    assert!(h
        .ports
        .iter()
        .all(|p| p.state == PortState::Filtered && p.reason == Reason::HostUnreach));
}

#[test]
fn many_sparse_hosts_finish_in_a_few_timeouts() {
    let t0 = Instant::now();
    // 4096 addresses, 1 in 16 alive, 3 ports: the group grows with the window, dead hosts use
    // the scan's RTT, so the whole block takes a few timeouts, not one second per host.
    let job = job("198.18.0.0/20", "22,80,443", false, t3());
    let r = simulate(&job, t0, |ip| last_octet(ip) % 16 == 1, ms(2), None);
    assert_eq!(r.hosts.len(), 4096);
    let open = r
        .hosts
        .iter()
        .flat_map(|h| h.ports.iter())
        .filter(|p| p.state == PortState::Open)
        .count();
    assert_eq!(open, 256 * 3);
    let end = r.end.saturating_duration_since(t0);
    assert!(end < Duration::from_secs(4), "took {end:?}");
    // Dead hosts get one retransmission per port, never more.
    assert!(
        r.stats.retransmissions <= 3840 * 3,
        "{}",
        r.stats.retransmissions
    );
}

#[test]
fn random_loss_is_not_congestion() {
    let t0 = Instant::now();
    let job = job("198.18.0.1", "1-20000", false, t3());
    let clean = simulate(&job, t0, |_| true, ms(2), None);
    // 5 % of the transmissions are lost, spread evenly (a keyed hash of the send number).
    let lossy = simulate_lossy(
        &job,
        t0,
        |_| true,
        ms(2),
        None,
        |n| ((n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) % 20 == 0,
    );
    for r in [&clean, &lossy] {
        assert_eq!(r.hosts.len(), 1);
        assert_eq!(r.hosts[0].ports.len(), 20000);
        assert!(r.hosts[0].ports.iter().all(|p| p.state == PortState::Open));
    }
    assert!(
        lossy.stats.retransmissions >= 500,
        "{}",
        lossy.stats.retransmissions
    );
    let (c, l) = (
        clean.end.saturating_duration_since(t0),
        lossy.end.saturating_duration_since(t0),
    );
    // The window stays open: losses cost their retransmissions, not a crawl.
    assert!(l < c * 3 + ms(500), "clean {c:?}, lossy {l:?}");
}

#[test]
fn verdicts_take_one_byte_per_slot_and_keep_state_and_reason() {
    let mut v = Verdicts::new(1000);
    for (i, ttl) in (0..1000u32).zip((0..=255u8).cycle()) {
        let state = if i % 2 == 0 {
            PortState::Open
        } else {
            PortState::Closed
        };
        v.set(
            i,
            Verdict {
                state,
                reason: Reason::SynAck,
                reason_ttl: ttl,
            },
        );
    }
    assert_eq!(v.codes.len(), 1000);
    for i in 0..1000u32 {
        let got = v.get(i).expect("decided");
        let want = if i % 2 == 0 {
            PortState::Open
        } else {
            PortState::Closed
        };
        assert_eq!((got.state, got.reason), (want, Reason::SynAck), "slot {i}");
    }
    assert_eq!(v.get(5).map(|x| x.reason_ttl), Some(5));
    assert_eq!(v.undecided(1000).count(), 0);
    v.clear(7);
    assert_eq!(v.undecided(1000).collect::<Vec<_>>(), vec![7]);
}

/// A resumed host (`ScanJob::resume`): up as before without discovery, its decided ports
/// kept and never probed again, the others probed; the result holds all of them.
#[test]
fn a_resumed_host_probes_only_its_undecided_ports() {
    let mut job = job("198.18.0.7", "1-10", true, t3());
    let old = HostResult {
        addr: "198.18.0.7".parse().expect("ip"),
        hostnames: vec![],
        status: HostStatus {
            up: true,
            reason: Reason::EchoReply,
            reason_ttl: 61,
        },
        mac: None,
        ports: (1..=4)
            .map(|port| PortResult {
                protocol: Protocol::Tcp,
                port,
                state: PortState::Closed,
                reason: Reason::Reset,
                reason_ttl: 61,
            })
            .collect(),
        start: SystemTime::UNIX_EPOCH,
        end: SystemTime::UNIX_EPOCH,
        timed_out: false,
        partial: true,
        times: None,
    };
    job.resume = vec![old];
    let r = simulate(&job, Instant::now(), |_| true, ms(1), None);
    let probed: std::collections::BTreeSet<u16> = r.sent.iter().map(|(d, _)| d.port()).collect();
    assert_eq!(
        probed,
        (5..=10).collect(),
        "no discovery probe (port 0) and no decided port again: {:?}",
        r.sent
    );
    assert_eq!(r.hosts.len(), 1);
    let h = &r.hosts[0];
    assert!(!h.partial && h.status.up && h.status.reason == Reason::EchoReply);
    let states: Vec<(u16, PortState)> = h.ports.iter().map(|p| (p.port, p.state)).collect();
    let mut want: Vec<(u16, PortState)> = (1..=4).map(|p| (p, PortState::Closed)).collect();
    want.extend((5..=10).map(|p| (p, PortState::Open)));
    assert_eq!(states, want);
}
