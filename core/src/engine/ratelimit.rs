//! Detects targets that rate-limit their ICMP errors, and paces probes to them.
//!
//! Linux answers closed UDP ports with a burst of about six port-unreachables per source
//! address and then one per `net.ipv4.icmp_ratelimit` (1 s by default); a probe that finds no
//! token gets no answer at all, which looks exactly like an `open|filtered` port. The signature
//! is unmistakable, though: most ICMP replies then answer *retransmissions*. Once at least 8
//! ICMP replies have come from a host and 30 % of them answered a retransmission, the replies
//! since the first such drop arrived at the target's token rate (we were sending faster), so
//! `interval = elapsed / replies` is the time the target needs per error, for all our source
//! addresses together. From then on each source address sends to that host at most once per
//! `interval * sources * 1.05`, so every probe finds a token, and silence means silence again.

use crate::timing::Pacer;
use std::time::{Duration, Instant};

/// ICMP replies needed before judging.
const MIN_REPLIES: u32 = 8;
/// Share of ICMP replies answering retransmissions that means rate limiting (30 %).
const DROP_SHARE: (u32, u32) = (3, 10);
/// Replies after the first drop needed to measure the rate, per source address. The rate is
/// taken over the second half of them, when every source's burst allowance is long spent.
/// Measuring costs little: while we saturate the target, every token still decides a port.
const MEASURED_PER_SOURCE: usize = 8;
/// The second half of the measurement must span at least this long.
const MIN_SPAN: Duration = Duration::from_millis(300);
/// Reply times kept while measuring.
const MAX_SAMPLES: usize = 8192;
/// Safety margin on the measured interval.
const MARGIN: f64 = 1.05;
/// Interval growth when a paced probe still found no token.
const SLOWER: f64 = 1.1;
/// Interval shrink after a streak of clean paced replies (the estimate may be cautious).
const FASTER: f64 = 0.97;
const CLEAN_STREAK: u32 = 30;
/// At most one slow-down per this many intervals (drops come in bunches, like losses in TCP,
/// which also backs off once per round trip), and never slower than this many times the
/// measured interval.
const SLOWDOWN_SPACING: u32 = 20;
const SLOWEST: f64 = 8.0;

/// Per-host detector and, once limited, one pacer per source address.
#[derive(Debug, Clone)]
pub struct RateLimit {
    sources: usize,
    replies: u32,
    drops: u32,
    first_drop: Option<Instant>,
    /// Arrival times of the ICMP replies since the first drop.
    after_drop: Vec<Instant>,
    pacers: Option<Vec<Pacer>>,
    interval: Duration,
    /// Replies before this instant may answer probes sent before pacing began: they say
    /// nothing about the paced rate.
    grace_until: Option<Instant>,
    /// Paced ICMP replies since the interval last changed, none of them a drop.
    clean: u32,
    /// The interval first measured, and when the pace was last slowed.
    measured: Duration,
    last_slowdown: Option<Instant>,
}

impl RateLimit {
    /// A detector for a host reached from `sources` source addresses.
    pub fn new(sources: usize) -> RateLimit {
        RateLimit {
            sources: sources.max(1),
            replies: 0,
            drops: 0,
            first_drop: None,
            after_drop: Vec::new(),
            pacers: None,
            interval: Duration::ZERO,
            grace_until: None,
            clean: 0,
            measured: Duration::ZERO,
            last_slowdown: None,
        }
    }

    /// Records an ICMP error reply (`dropped`: it answered a retransmission). Returns true when
    /// this reply shows the host rate-limits: pacing starts now.
    pub fn icmp_reply(&mut self, dropped: bool, at: Instant) -> bool {
        if let Some(pacers) = self.pacers.as_mut() {
            // Paced, yet a probe found no token: the estimate was a little fast. Slow down
            // by a tenth (tokens the target saves while we probe open ports are the slack).
            // Additive-increase, multiplicative-decrease around the measured rate: a little
            // faster after a clean streak, a tenth slower after a probe found no token.
            let spaced = self
                .last_slowdown
                .is_none_or(|t| at >= t + self.interval * SLOWDOWN_SPACING);
            let factor = if dropped && self.grace_until.is_none_or(|g| at >= g) {
                (spaced && self.interval < self.measured.mul_f64(SLOWEST)).then(|| {
                    self.last_slowdown = Some(at);
                    SLOWER
                })
            } else if !dropped {
                self.clean += 1;
                (self.clean >= CLEAN_STREAK).then_some(FASTER)
            } else {
                None
            };
            if let Some(f) = factor {
                self.clean = 0;
                self.interval = self.interval.mul_f64(f);
                for p in pacers.iter_mut() {
                    p.set_interval(self.interval);
                }
            }
            return false;
        }
        self.replies += 1;
        self.drops += u32::from(dropped);
        match self.first_drop {
            None if dropped => {
                self.first_drop = Some(at);
                return false;
            }
            None => return false,
            Some(_) => self.after_drop.push(at),
        }
        let limited =
            self.replies >= MIN_REPLIES && self.drops * DROP_SHARE.1 >= self.replies * DROP_SHARE.0;
        // Kernels refill their ICMP budgets per clock tick and a global budget allows bursts
        // of 50: a short window sees clumps, not the rate. Measure over at least MIN_SPAN.
        let n = self.after_drop.len();
        let needed = MEASURED_PER_SOURCE * self.sources;
        if !limited || n < needed {
            return false;
        }
        let half = n / 2;
        let span = self.after_drop[n - 1].saturating_duration_since(self.after_drop[half]);
        if span < MIN_SPAN {
            if n >= MAX_SAMPLES {
                // Thousands of replies in a blink: no meaningful limit; drop the oldest half.
                self.after_drop.drain(..half);
            }
            return false;
        }
        let per_reply = span / u32::try_from(n - 1 - half).unwrap_or(1).max(1);
        if per_reply.is_zero() {
            return false;
        }
        self.after_drop = Vec::new();
        self.interval = per_reply.mul_f64(self.sources as f64 * MARGIN);
        self.measured = self.interval;
        self.pacers = Some(vec![Pacer::new(self.interval); self.sources]);
        true
    }

    /// Ignore drops until `until` (probes sent before pacing are still being answered).
    pub fn grace(&mut self, until: Instant) {
        self.grace_until = Some(until);
    }

    /// Whether the host is paced.
    pub fn paced(&self) -> bool {
        self.pacers.is_some()
    }

    /// Per-source interval in force (zero when not paced).
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// A source address that may send now, or the earliest time one can.
    pub fn ready(&self, now: Instant) -> Result<usize, Instant> {
        let Some(pacers) = &self.pacers else {
            return Ok(0);
        };
        let mut earliest = None;
        for (i, p) in pacers.iter().enumerate() {
            match p.ready_at(now) {
                None => return Ok(i),
                Some(t) => earliest = Some(earliest.map_or(t, |e: Instant| e.min(t))),
            }
        }
        Err(earliest.unwrap_or(now))
    }

    /// A probe left from source `src`.
    pub fn sent(&mut self, src: usize, now: Instant) {
        if let Some(p) = self.pacers.as_mut().and_then(|v| v.get_mut(src)) {
            p.sent(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linux_style_limit_is_detected_and_measured() {
        let t0 = Instant::now();
        let mut r = RateLimit::new(1);
        // Burst of six answers to first transmissions.
        for i in 0..6 {
            assert!(!r.icmp_reply(false, t0 + Duration::from_millis(i)));
        }
        // Then one answer per second, each to a retransmission.
        let mut detected_at = None;
        for s in 1..=20u64 {
            if r.icmp_reply(true, t0 + Duration::from_secs(s)) {
                detected_at = Some(s);
                break;
            }
        }
        assert_eq!(
            detected_at,
            Some(9),
            "first drop at 1 s, eight more to measure"
        );
        assert!(r.paced());
        let ms = r.interval().as_millis();
        assert!((1040..=1060).contains(&ms), "{ms} ms");
        let now = t0 + Duration::from_secs(10);
        assert_eq!(r.ready(now), Ok(0));
        r.sent(0, now);
        assert_eq!(r.ready(now), Err(now + r.interval()));
        let before = r.interval();
        assert!(!r.icmp_reply(true, now), "already paced");
        assert_eq!(
            r.interval(),
            before.mul_f64(SLOWER),
            "a drop while paced slows down"
        );
        assert!(!r.icmp_reply(true, now));
        assert_eq!(
            r.interval(),
            before.mul_f64(SLOWER),
            "one slow-down per bunch of drops"
        );
        let slower = before.mul_f64(SLOWER);
        for _ in 0..CLEAN_STREAK - 1 {
            assert!(!r.icmp_reply(false, now));
        }
        assert_eq!(r.interval(), slower, "a short clean streak changes nothing");
        r.icmp_reply(false, now);
        assert_eq!(
            r.interval(),
            slower.mul_f64(FASTER),
            "a full clean streak speeds up a little"
        );
    }

    #[test]
    fn several_sources_each_get_their_share() {
        let t0 = Instant::now();
        let mut r = RateLimit::new(2);
        for i in 0..6 {
            r.icmp_reply(false, t0 + Duration::from_millis(i));
        }
        // Two sources: two tokens a second in all.
        let mut paced = false;
        for k in 1..=40u64 {
            paced |= r.icmp_reply(true, t0 + Duration::from_millis(500 * k));
            if paced {
                break;
            }
        }
        assert!(paced);
        let ms = r.interval().as_millis();
        assert!(
            (1040..=1060).contains(&ms),
            "each source once a second: {ms} ms"
        );
        let now = t0 + Duration::from_secs(30);
        r.sent(0, now);
        assert_eq!(r.ready(now), Ok(1));
    }

    #[test]
    fn slow_downs_are_bounded() {
        let t0 = Instant::now();
        let mut r = RateLimit::new(1);
        for i in 0..6 {
            r.icmp_reply(false, t0 + Duration::from_millis(i));
        }
        let mut s = 1;
        while !r.icmp_reply(true, t0 + Duration::from_secs(s)) {
            s += 1;
        }
        let measured = r.interval();
        let mut at = t0 + Duration::from_secs(s);
        for _ in 0..10_000 {
            at += Duration::from_secs(1);
            r.icmp_reply(true, at);
        }
        assert!(
            r.interval() <= measured.mul_f64(SLOWEST * SLOWER),
            "{:?} vs {measured:?}",
            r.interval()
        );
    }

    #[test]
    fn clumped_replies_are_measured_over_a_long_enough_span() {
        // A global budget of 1000/s refilled every 4 ms tick: replies come four at a time.
        let t0 = Instant::now();
        let mut r = RateLimit::new(1);
        for i in 0..50 {
            r.icmp_reply(false, t0 + Duration::from_micros(i));
        }
        let mut at = t0;
        let mut paced = false;
        'outer: for tick in 1..1000u64 {
            at = t0 + Duration::from_millis(4 * tick);
            for _ in 0..4 {
                if r.icmp_reply(true, at) {
                    paced = true;
                    break 'outer;
                }
            }
        }
        assert!(paced, "detected by {at:?}");
        let per_second = 1.0 / r.interval().as_secs_f64();
        assert!((850.0..=1000.0).contains(&per_second), "{per_second}/s");
    }

    #[test]
    fn occasional_loss_is_not_a_rate_limit() {
        let t0 = Instant::now();
        let mut r = RateLimit::new(1);
        for i in 0..1000u64 {
            // 5 % of replies answer retransmissions.
            assert!(!r.icmp_reply(i % 20 == 0, t0 + Duration::from_micros(100 * i)));
        }
        assert!(!r.paced());
    }
}
