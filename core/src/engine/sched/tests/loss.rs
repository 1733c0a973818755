//! Random loss on a simulated clock (issue 9, "Loss"): a target whose ports each answer in
//! their own way, a per-peer ICMP token bucket as Linux keeps one, and a link that loses a
//! keyed-random share of the probes. Random loss must neither read as ICMP rate limiting
//! (a pace that keeps slowing down) nor as congestion, and a lost probe must never decide a
//! port: every port exact, with and without loss.

use super::*;

/// What one simulated target port does with a probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// A datagram back (UDP open) or a SYN+ACK: not rate-limited.
    Reply(Verdict),
    /// An ICMP error, drawn from the target's ICMP token bucket.
    Icmp(Verdict),
    /// Nothing ever (a DROP rule, a mute socket).
    Silent,
}

const UDP_OPEN: Verdict = Verdict {
    state: PortState::Open,
    reason: Reason::UdpResponse,
    reason_ttl: 64,
};
const UDP_CLOSED: Verdict = Verdict {
    state: PortState::Closed,
    reason: Reason::PortUnreach,
    reason_ttl: 64,
};
const ADMIN: Verdict = Verdict {
    state: PortState::Filtered,
    reason: Reason::AdminProhibited,
    reason_ttl: 64,
};
const TCP_CLOSED: Verdict = Verdict {
    state: PortState::Closed,
    reason: Reason::Reset,
    reason_ttl: 64,
};

/// The UDP lab's kinds below 200 (docs/lab.md, "UDP"): DNS 53 and echo 7 answer, 135 is
/// dropped, 199 is a mute socket, 138 rejects admin-prohibited; every other port is closed.
fn udp_port(port: u16) -> Answer {
    match port {
        7 | 53 => Answer::Reply(UDP_OPEN),
        135 | 199 => Answer::Silent,
        138 => Answer::Icmp(ADMIN),
        _ => Answer::Icmp(UDP_CLOSED),
    }
}

/// What each port must be reported as.
fn expected(answer: Answer, silence: Verdict) -> Verdict {
    match answer {
        Answer::Reply(v) | Answer::Icmp(v) => v,
        Answer::Silent => silence,
    }
}

#[derive(Debug)]
struct Udp;

impl ScanTechnique for Udp {
    fn name(&self) -> &'static str {
        "fake-udp"
    }
    fn protocol(&self) -> Protocol {
        Protocol::Udp
    }
    fn scan_type(&self) -> &'static str {
        "udp"
    }
    fn on_silence(&self) -> Verdict {
        Verdict::new(PortState::OpenFiltered, Reason::NoResponse)
    }
    fn probe(&self) -> ProbeMethod<'_> {
        ProbeMethod::Raw(&NoBytes)
    }
}

fn udp_job(ports: &str) -> ScanJob {
    let mut j = job("198.18.0.2", "", false, t3());
    j.units = vec![ScanUnit {
        technique: Arc::new(Udp),
        ports: PortSpec::parse(ports)
            .expect("ports")
            .for_protocol(Protocol::Udp),
    }];
    j
}

/// Linux's per-peer ICMP limit (`inet_peer_xrlim_allow`): credit grows with time up to six
/// intervals; an error costs one interval of credit, and is not sent without it.
struct TokenBucket {
    interval: Duration,
    credit: Duration,
    last: Option<Instant>,
}

impl TokenBucket {
    fn new(interval: Duration) -> TokenBucket {
        TokenBucket {
            interval,
            credit: interval * 6,
            last: None,
        }
    }

    fn allow(&mut self, now: Instant) -> bool {
        if self.interval.is_zero() {
            return true;
        }
        let since = self
            .last
            .map_or(Duration::ZERO, |l| now.saturating_duration_since(l));
        self.last = Some(now);
        self.credit = (self.credit + since).min(self.interval * 6);
        if self.credit < self.interval {
            return false;
        }
        self.credit -= self.interval;
        true
    }
}

/// A keyed random loss of transmissions: `percent` % of them, by the n-th send.
fn random_loss(key: u64, percent: u64) -> impl Fn(usize) -> bool {
    move |n| {
        let mut z = key ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % 100 < percent
    }
}

/// What one simulated scan did.
struct Outcome {
    host: HostResult,
    /// Simulated time from start to the end of the scan.
    took: Duration,
    stats: EngineStats,
    /// Simulated time from start to the last ICMP error delivered.
    last_icmp: Duration,
    paced_notice: bool,
    /// The smallest congestion window, the scan's or the host's, once a probe was lost.
    min_window: usize,
}

/// Scans the one host of `job` to the end: probes not `lost` reach the target, which answers
/// per `port` after `rtt`, its ICMP errors limited by one token per `limit` (zero: no limit).
fn scan(
    job: &ScanJob,
    port: impl Fn(u16) -> Answer,
    limit: Duration,
    rtt: Duration,
    lost: impl Fn(usize) -> bool,
) -> Outcome {
    let t0 = Instant::now();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut s = Scheduler::new(job, &tx, usize::MAX, 4096, t0, SystemTime::UNIX_EPOCH);
    let mut bucket = TokenBucket::new(limit);
    let mut now = t0;
    let mut last_icmp = t0;
    let mut pending: Vec<(Instant, Probe, Verdict, bool)> = Vec::new();
    let mut sent = 0usize;
    let mut min_window = usize::MAX;
    for _ in 0..5_000_000 {
        let mut wait = None;
        loop {
            match s.next(now) {
                Next::Send(p) => {
                    let dst = s.destination(p).expect("destination");
                    s.sent(p, now);
                    sent += 1;
                    if lost(sent) {
                        continue;
                    }
                    let arrives = now + rtt / 2;
                    match port(dst.port()) {
                        Answer::Reply(v) => pending.push((now + rtt, p, v, false)),
                        Answer::Icmp(v) if bucket.allow(arrives) => {
                            pending.push((now + rtt, p, v, true))
                        }
                        Answer::Icmp(_) | Answer::Silent => {}
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
        let next_reply = pending.iter().map(|r| r.0).min();
        now = [next_reply, s.next_deadline(), wait]
            .into_iter()
            .flatten()
            .min()
            .expect("something to wait for");
        let (due, rest): (Vec<_>, Vec<_>) = pending.into_iter().partition(|r| r.0 <= now);
        pending = rest;
        for (_, p, v, icmp) in due {
            if icmp {
                last_icmp = now;
            }
            let info = ReplyInfo {
                icmp,
                ..ReplyInfo::default()
            };
            s.reply(p.host, p.slot, p.try_no, v, now, info);
        }
        s.expire(now, |_| {});
        if s.stats.retransmissions > 0 {
            let host = s.hosts.values().map(|h| h.cwnd.allowed()).min();
            min_window = min_window.min(host.unwrap_or(usize::MAX).min(s.cwnd.allowed()));
        }
    }
    assert!(s.is_done(), "the simulated scan did not finish");
    let stats = s.stats();
    drop(s);
    drop(tx);
    let mut hosts = Vec::new();
    let mut paced_notice = false;
    while let Ok(e) = rx.try_recv() {
        match e {
            EngineEvent::HostDone(h) => hosts.push(h),
            EngineEvent::Notice(n) => paced_notice |= n.contains("rate-limits its ICMP errors"),
            EngineEvent::Progress { .. } => {}
        }
    }
    assert_eq!(hosts.len(), 1);
    Outcome {
        host: hosts.remove(0),
        took: now.saturating_duration_since(t0),
        stats,
        last_icmp: last_icmp.saturating_duration_since(t0),
        paced_notice,
        min_window,
    }
}

/// Ports whose reported state or reason is not what the target does.
fn wrong(o: &Outcome, ports: u16, answer: impl Fn(u16) -> Answer, silence: Verdict) -> Vec<String> {
    let mut bad = Vec::new();
    if o.host.ports.len() != usize::from(ports) {
        bad.push(format!("{} ports reported of {ports}", o.host.ports.len()));
    }
    for p in &o.host.ports {
        let want = expected(answer(p.port), silence);
        if (p.state, p.reason) != (want.state, want.reason) {
            bad.push(format!(
                "{}: {:?}/{:?}, want {:?}/{:?}",
                p.port, p.state, p.reason, want.state, want.reason
            ));
        }
    }
    bad
}

#[test]
fn udp_random_loss_is_neither_a_rate_limit_nor_congestion() {
    // 1000 UDP ports against 10 ICMP errors per second (after a burst of 6), RTT 1 ms: about
    // 100 s without loss. (A pace slowed by a tenth on every drop reached 4x that.)
    let job = udp_job("1-1000");
    let silence = Verdict::new(PortState::OpenFiltered, Reason::NoResponse);
    let limit = ms(100);
    let clean = scan(&job, udp_port, limit, ms(1), |_| false);
    assert!(clean.paced_notice, "the limit is detected without loss");
    let bad = wrong(&clean, 1000, udp_port, silence);
    assert!(bad.is_empty(), "without loss: {bad:?}");
    let icmp_ports = (1..=1000u16)
        .filter(|&p| matches!(udp_port(p), Answer::Icmp(_)))
        .count() as u32;
    // The limit alone needs this long for every ICMP answer after the burst.
    let floor = limit * (icmp_ports - 6);
    assert!(
        clean.last_icmp >= floor,
        "{:?} < {floor:?}",
        clean.last_icmp
    );
    for key in 1..=8u64 {
        let lossy = scan(&job, udp_port, limit, ms(1), random_loss(key, 5));
        let bad = wrong(&lossy, 1000, udp_port, silence);
        assert!(bad.is_empty(), "loss key {key}: {bad:?}");
        assert!(lossy.paced_notice, "loss key {key}: the limit is detected");
        // The loss was real: lost probes were sent again.
        assert!(
            lossy.stats.retransmissions > clean.stats.retransmissions,
            "loss key {key}: {} retransmissions, {} without loss",
            lossy.stats.retransmissions,
            clean.stats.retransmissions
        );
        // 5 % of the probes lost costs about 5 % more tokens' worth of time, not a pace that
        // keeps slowing down: the ICMP answers keep coming close to the target's rate ...
        assert!(
            lossy.last_icmp < clean.last_icmp.mul_f64(1.5),
            "loss key {key}: last ICMP answer at {:?}, {:?} without loss",
            lossy.last_icmp,
            clean.last_icmp
        );
        // ... and the whole scan stays well within three times the loss-free one.
        assert!(
            lossy.took < clean.took * 3,
            "loss key {key}: {:?}, {:?} without loss",
            lossy.took,
            clean.took
        );
    }
}

#[test]
fn random_loss_never_decides_a_port_by_itself() {
    // connect() or SYN through a 5 % lossy link to 20000 closed ports: a port is only
    // reported filtered if it never answered, and with 5 % loss some port's first few tries
    // are all lost in almost every scan. Ten loss patterns, every port closed in each.
    let job = job("198.18.0.2", "1-20000", false, t3());
    let silence = Verdict::new(PortState::Filtered, Reason::NoResponse);
    let closed = |_| Answer::Reply(TCP_CLOSED);
    for key in 1..=10u64 {
        let o = scan(&job, closed, Duration::ZERO, ms(1), random_loss(key, 5));
        assert!(
            o.stats.retransmissions >= 500,
            "loss key {key}: {} retransmissions",
            o.stats.retransmissions
        );
        let bad = wrong(&o, 20000, closed, silence);
        assert!(bad.is_empty(), "loss key {key}: {bad:?}");
    }
}

#[test]
fn random_loss_keeps_the_windows_open() {
    // The same link: drops are seen a timeout after the loss, in waves. Read as congestion
    // they halved the windows again and again, down to a few dozen probes.
    let job = job("198.18.0.2", "1-20000", false, t3());
    let closed = |_| Answer::Reply(TCP_CLOSED);
    for key in 1..=10u64 {
        let o = scan(&job, closed, Duration::ZERO, ms(1), random_loss(key, 5));
        // The host's ceiling is 4096 here: at most a couple of halvings.
        assert!(
            o.min_window >= 1024,
            "loss key {key}: a window fell to {}",
            o.min_window
        );
    }
}

#[test]
fn udp_random_loss_without_a_limit_is_not_one() {
    // The same ports, the target's ICMP errors unlimited: 5 % loss must not look like a rate
    // limit (no pacing), and every port stays exact.
    let job = udp_job("1-1000");
    let silence = Verdict::new(PortState::OpenFiltered, Reason::NoResponse);
    let clean = scan(&job, udp_port, Duration::ZERO, ms(1), |_| false);
    for key in 1..=8u64 {
        let lossy = scan(&job, udp_port, Duration::ZERO, ms(1), random_loss(key, 5));
        assert!(
            !lossy.paced_notice,
            "loss key {key}: random loss read as a limit"
        );
        let bad = wrong(&lossy, 1000, udp_port, silence);
        assert!(bad.is_empty(), "loss key {key}: {bad:?}");
        assert!(
            lossy.took < clean.took * 3,
            "loss key {key}: {:?}, {:?} without loss",
            lossy.took,
            clean.took
        );
    }
}
