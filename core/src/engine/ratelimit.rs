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
//!
//! While paced, a probe can still go unanswered: the link lost it, or the target's budget
//! shrank. The two differ in how they depend on the pace (random loss takes the same share at
//! any pace, a shortage vanishes when we slow down), so the pace is judged per epoch of
//! replies against a baseline of random loss, and only an epoch well above it slows the pace.

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
/// Interval growth when paced probes found no token.
const SLOWER: f64 = 1.1;
/// Interval shrink after an epoch with no sign of a shortage (the estimate may be cautious;
/// never faster than the measured rate itself, i.e. the margin may be used up).
const FASTER: f64 = 0.97;
/// Paced ICMP replies per judgement of the pace.
const EPOCH: u32 = 20;
/// An epoch shows a shortage of tokens when its drops exceed what the random-loss baseline
/// explains by this many standard deviations, plus one drop.
const SIGMAS: f64 = 3.0;
/// The first epoch has no baseline yet: above this share of drops it shows a shortage.
const FIRST_SHORT: f64 = 0.25;
/// Weight of an epoch in the random-loss baseline, and of an epoch that showed a shortage (it
/// teaches the baseline only slowly: a real shortage is cured by slowing down long before).
const WEIGHT: f64 = 0.25;
const SHORT_WEIGHT: f64 = 0.05;
/// Never slower than this many times the measured interval.
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
    /// The interval first measured.
    measured: Duration,
    /// Paced replies and drops in the current epoch.
    epoch_replies: u32,
    epoch_drops: u32,
    /// The share of paced replies that answer a retransmission because of random loss
    /// alone (an average over epochs without a shortage).
    baseline: Option<f64>,
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
            measured: Duration::ZERO,
            epoch_replies: 0,
            epoch_drops: 0,
            baseline: None,
        }
    }

    /// Records an ICMP error reply (`dropped`: it answered a retransmission). Returns true when
    /// this reply shows the host rate-limits: pacing starts now.
    pub fn icmp_reply(&mut self, dropped: bool, at: Instant) -> bool {
        if self.pacers.is_some() {
            self.paced_reply(dropped, at);
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

    /// A paced ICMP reply: the pace is judged once per epoch of replies.
    ///
    /// A paced probe goes unanswered either because the link lost it or because the target
    /// had no token left. Random loss takes the same share of probes at any pace; a pace too
    /// fast for the target's budget adds drops that vanish when it slows down. So drops are
    /// compared with a baseline, the share random loss alone explains: an epoch well above
    /// it (by binomial noise) slows the pace by a tenth; any other epoch teaches the
    /// baseline and speeds the pace up a little, never past the measured rate. A steady
    /// 5 % loss thus keeps the measured pace; slowing on every drop would make it crawl.
    fn paced_reply(&mut self, dropped: bool, at: Instant) {
        if self.grace_until.is_some_and(|g| at < g) {
            return;
        }
        self.epoch_replies += 1;
        self.epoch_drops += u32::from(dropped);
        if self.epoch_replies < EPOCH {
            return;
        }
        let (n, d) = (f64::from(self.epoch_replies), f64::from(self.epoch_drops));
        self.epoch_replies = 0;
        self.epoch_drops = 0;
        let limit = match self.baseline {
            None => FIRST_SHORT * n,
            Some(b) => b * n + SIGMAS * (b * (1.0 - b) * n).sqrt() + 1.0,
        };
        let factor = if d > limit {
            // A shortage that persists at every pace is random loss after all (the link got
            // worse); one that slowing cures is not. Such epochs raise the baseline slowly, and
            // no further than their limit.
            if let Some(b) = self.baseline {
                self.baseline = Some(b + ((limit / n).min(1.0) - b) * SHORT_WEIGHT);
            }
            (self.interval < self.measured.mul_f64(SLOWEST)).then_some(SLOWER)
        } else {
            // A first epoch starts the baseline with one drop and one clean reply added: one
            // clean epoch does not promise a clean link.
            self.baseline = Some(match self.baseline {
                Some(b) => b + (d / n - b) * WEIGHT,
                None => (d + 1.0) / (n + 2.0),
            });
            Some(FASTER)
        };
        if let Some(f) = factor {
            let fastest = self.measured.div_f64(MARGIN);
            self.interval = self.interval.mul_f64(f).max(fastest);
            if let Some(pacers) = self.pacers.as_mut() {
                for p in pacers.iter_mut() {
                    p.set_interval(self.interval);
                }
            }
        }
    }

    /// Ignore replies until `until` (probes sent before pacing are still being answered).
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
        let measured = r.interval();
        assert!(!r.icmp_reply(true, now), "already paced");
        assert_eq!(r.interval(), measured, "one drop alone changes nothing");
        // An epoch of drops well above what random loss explains: a shortage, slow down.
        epoch(&mut r, EPOCH - 1, now);
        let slower = measured.mul_f64(SLOWER);
        assert_eq!(r.interval(), slower, "a shortage slows the pace by a tenth");
        // Clean epochs speed up a little, but never past the measured rate itself.
        epoch(&mut r, 0, now);
        assert_eq!(r.interval(), slower.mul_f64(FASTER));
        for _ in 0..20 {
            epoch(&mut r, 0, now);
        }
        assert_eq!(r.interval(), measured.div_f64(MARGIN));
    }

    /// One epoch of paced replies, `drops` of them answering retransmissions.
    fn epoch(r: &mut RateLimit, drops: u32, at: Instant) {
        for i in 0..EPOCH {
            assert!(!r.icmp_reply(i < drops, at), "already paced");
        }
    }

    /// A host paced at one error per second (detected as in the test above).
    fn paced_at_one_per_second(t0: Instant) -> RateLimit {
        let mut r = RateLimit::new(1);
        for i in 0..6 {
            r.icmp_reply(false, t0 + Duration::from_millis(i));
        }
        let mut s = 1;
        while !r.icmp_reply(true, t0 + Duration::from_secs(s)) {
            s += 1;
        }
        r
    }

    /// Keyed pseudo-random drops: about `percent` % of the replies.
    fn lossy(key: u64, i: u64, percent: u64) -> bool {
        let z = (key ^ i).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        ((z ^ (z >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9) >> 40) % 100 < percent
    }

    #[test]
    fn random_loss_while_paced_keeps_the_pace() {
        // 5 % of the paced probes are lost on the link, at every pace: thousands of replies
        // later the pace is still the measured one (give or take one slow-down), where
        // slowing on every drop would have crawled to the slowest pace.
        let t0 = Instant::now();
        for key in 1..=20u64 {
            let mut r = paced_at_one_per_second(t0);
            let measured = r.interval();
            let mut slowest = measured;
            let at = t0 + Duration::from_secs(100);
            let mut drops = 0;
            for i in 0..5000u64 {
                let d = lossy(key, i, 5);
                drops += u32::from(d);
                r.icmp_reply(d, at);
                slowest = slowest.max(r.interval());
            }
            assert!((150..350).contains(&drops), "key {key}: {drops} drops");
            assert!(
                r.interval() <= measured.mul_f64(SLOWER),
                "key {key}: {:?} against {measured:?}",
                r.interval()
            );
            assert!(
                slowest <= measured.mul_f64(SLOWER * SLOWER),
                "key {key}: slowed to {slowest:?} against {measured:?}"
            );
        }
    }

    #[test]
    fn a_shortage_on_a_lossy_link_still_slows_the_pace() {
        // The baseline learned 5 % random loss; then the target's budget shrinks and a third
        // of the paced probes find no token: the pace slows, epoch after epoch.
        let t0 = Instant::now();
        let mut r = paced_at_one_per_second(t0);
        let measured = r.interval();
        let at = t0 + Duration::from_secs(100);
        for i in 0..400u64 {
            r.icmp_reply(lossy(3, i, 5), at);
        }
        assert!(r.interval() <= measured.mul_f64(SLOWER));
        for i in 0..5 * u64::from(EPOCH) {
            r.icmp_reply(lossy(3, i, 35), at);
        }
        assert!(
            r.interval() >= measured.mul_f64(1.3),
            "{:?} against {measured:?}",
            r.interval()
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
        let mut r = paced_at_one_per_second(t0);
        let measured = r.interval();
        let mut at = t0 + Duration::from_secs(30);
        for _ in 0..10_000 {
            at += Duration::from_secs(1);
            r.icmp_reply(true, at);
        }
        assert!(
            r.interval() > measured.mul_f64(SLOWEST / SLOWER),
            "every reply a drop: {:?} vs {measured:?}",
            r.interval()
        );
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
