//! Timing: nmap's templates, RTT estimation (RFC 6298 as nmap does it), a congestion window and
//! rate pacing on the monotonic clock.

use std::time::{Duration, Instant};
use thiserror::Error;

/// Timing parameters of a scan, after templates and explicit options were applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// Template number 0-5 the values started from.
    pub template: u8,
    /// One probe at a time (T0-T2).
    pub serial: bool,
    /// Minimum time between probes.
    pub scan_delay: Duration,
    /// Upper bound for a scan delay grown after drops.
    pub max_scan_delay: Duration,
    /// Probe timeout before any RTT sample.
    pub initial_rtt_timeout: Duration,
    /// Lower clamp of the probe timeout.
    pub min_rtt_timeout: Duration,
    /// Upper clamp of the probe timeout.
    pub max_rtt_timeout: Duration,
    /// Retransmissions allowed for a probe.
    pub max_retries: u32,
    /// Send at least this many probes per second (overrides the congestion window).
    pub min_rate: Option<f64>,
    /// Send at most this many probes per second.
    pub max_rate: Option<f64>,
    /// Give up a host after this long.
    pub host_timeout: Option<Duration>,
    /// Upper bound on probes in flight.
    pub max_parallelism: Option<u32>,
    /// Lower bound on probes in flight.
    pub min_parallelism: Option<u32>,
}

/// A bad timing value.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TimingError {
    /// Template outside 0-5.
    #[error("timing template must be 0-5 (or paranoid, sneaky, polite, normal, aggressive, insane), not `{0}`")]
    Template(String),
    /// A malformed time such as `5x`.
    #[error("invalid time `{0}`: use a number with an optional unit ms, s, m or h (e.g. 500ms, 30s, 2h)")]
    Time(String),
    /// A time longer than [`MAX_DURATION`].
    #[error("time `{0}` is too long: at most 30 days (720h)")]
    TooLong(String),
    /// Options that contradict each other, or a value out of its range.
    #[error("{0}")]
    Conflict(String),
}

/// The lowest rate `--min-rate` and `--max-rate` accept, in probes per second.
pub const MIN_RATE: f64 = 0.001;
/// The highest rate `--min-rate` and `--max-rate` accept, in probes per second.
pub const MAX_RATE: f64 = 100_000_000.0;
/// The accepted range of rates, as error messages say it.
pub const RATE_RANGE: &str = "between 0.001 and 100000000 probes per second";
/// The longest time any timing option accepts: 30 days. Also the longest interval a [`Pacer`]
/// waits.
pub const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 3600);

/// Whether `rate` (probes per second) is within [`MIN_RATE`]..=[`MAX_RATE`] (NaN is not).
pub fn rate_in_range(rate: f64) -> bool {
    (MIN_RATE..=MAX_RATE).contains(&rate)
}

const fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

impl Timing {
    /// The values of template `t` (0 paranoid ... 5 insane), per nmap's table.
    pub fn template(t: u8) -> Result<Timing, TimingError> {
        // (serial, scan delay, initial, min, max RTT timeout, retries, max scan delay)
        let (serial, delay, initial, min, max, retries, max_delay) = match t {
            0 => (
                true,
                ms(300_000),
                ms(300_000),
                ms(100),
                ms(300_000),
                10,
                ms(1000),
            ),
            1 => (
                true,
                ms(15_000),
                ms(15_000),
                ms(100),
                ms(15_000),
                10,
                ms(1000),
            ),
            2 => (true, ms(400), ms(1000), ms(100), ms(10_000), 10, ms(1000)),
            3 => (false, ms(0), ms(1000), ms(100), ms(10_000), 10, ms(1000)),
            4 => (false, ms(0), ms(500), ms(100), ms(1250), 6, ms(10)),
            5 => (false, ms(0), ms(250), ms(50), ms(300), 2, ms(5)),
            _ => return Err(TimingError::Template(t.to_string())),
        };
        Ok(Timing {
            template: t,
            serial,
            scan_delay: delay,
            max_scan_delay: max_delay,
            initial_rtt_timeout: initial,
            min_rtt_timeout: min,
            max_rtt_timeout: max,
            max_retries: retries,
            min_rate: None,
            max_rate: None,
            host_timeout: None,
            max_parallelism: None,
            min_parallelism: None,
        })
    }

    /// Parses a template as a number or nmap's name (`-T4`, `aggressive`, `T4`).
    pub fn parse_template(s: &str) -> Result<u8, TimingError> {
        let names = [
            "paranoid",
            "sneaky",
            "polite",
            "normal",
            "aggressive",
            "insane",
        ];
        let t = s.trim();
        let digits = t.strip_prefix(['T', 't']).unwrap_or(t);
        match digits.parse::<u8>() {
            Ok(n) if n <= 5 => Ok(n),
            _ => names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(t))
                .map(|i| i as u8)
                .ok_or_else(|| TimingError::Template(s.to_string())),
        }
    }

    /// Checks that the values are consistent.
    pub fn validate(&self) -> Result<(), TimingError> {
        for (name, rate) in [("--min-rate", self.min_rate), ("--max-rate", self.max_rate)] {
            if rate.is_some_and(|r| !rate_in_range(r)) {
                return Err(TimingError::Conflict(format!(
                    "{name} must be {RATE_RANGE}"
                )));
            }
        }
        for (name, d) in [
            ("--scan-delay", Some(self.scan_delay)),
            ("--max-scan-delay", Some(self.max_scan_delay)),
            ("--initial-rtt-timeout", Some(self.initial_rtt_timeout)),
            ("--min-rtt-timeout", Some(self.min_rtt_timeout)),
            ("--max-rtt-timeout", Some(self.max_rtt_timeout)),
            ("--host-timeout", self.host_timeout),
        ] {
            if d.is_some_and(|d| d > MAX_DURATION) {
                return Err(TimingError::Conflict(format!(
                    "{name} must be at most 30 days (720h)"
                )));
            }
        }
        if let (Some(lo), Some(hi)) = (self.min_rate, self.max_rate) {
            if lo > hi {
                return Err(TimingError::Conflict(format!(
                    "--min-rate ({lo}) is above --max-rate ({hi}): lower --min-rate or raise --max-rate"
                )));
            }
        }
        if let (Some(lo), Some(hi)) = (self.min_parallelism, self.max_parallelism) {
            if lo > hi {
                return Err(TimingError::Conflict(
                    "--min-parallelism is above --max-parallelism".into(),
                ));
            }
        }
        if self.max_parallelism == Some(0) {
            return Err(TimingError::Conflict(
                "--max-parallelism must be at least 1".into(),
            ));
        }
        if self.min_rtt_timeout > self.max_rtt_timeout {
            return Err(TimingError::Conflict(
                "--min-rtt-timeout is above --max-rtt-timeout".into(),
            ));
        }
        Ok(())
    }
}

/// Parses an nmap-style time: a number with an optional unit `ms`, `s`, `m` or `h`; a bare
/// number is seconds, as in nmap. At most [`MAX_DURATION`] (30 days).
pub fn parse_duration(s: &str) -> Result<Duration, TimingError> {
    let t = s.trim();
    let bad = || TimingError::Time(s.to_string());
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| bad())?;
    let secs = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(bad()),
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(bad());
    }
    if secs > MAX_DURATION.as_secs_f64() {
        return Err(TimingError::TooLong(s.trim().to_string()));
    }
    Duration::try_from_secs_f64(secs).map_err(|_| bad())
}

/// Per-host RTT estimator and probe timeout, RFC 6298 as nmap applies it.
#[derive(Debug, Clone, Copy)]
pub struct RttEstimator {
    srtt: Option<Duration>,
    rttvar: Duration,
    initial: Duration,
    min: Duration,
    max: Duration,
}

impl RttEstimator {
    /// An estimator with no samples, using the template's clamps.
    pub fn new(timing: &Timing) -> RttEstimator {
        RttEstimator {
            srtt: None,
            rttvar: Duration::ZERO,
            initial: timing.initial_rtt_timeout,
            min: timing.min_rtt_timeout,
            max: timing.max_rtt_timeout,
        }
    }

    /// Adds a clean sample (a reply known to answer a given transmission).
    pub fn sample(&mut self, d: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(d);
                self.rttvar = d.clamp(ms(5), ms(2000));
            }
            Some(srtt) => {
                let diff = d.abs_diff(srtt);
                let srtt = if d > srtt {
                    srtt + (d - srtt) / 8
                } else {
                    srtt - (srtt - d) / 8
                };
                self.rttvar = if diff > self.rttvar {
                    self.rttvar + (diff - self.rttvar) / 4
                } else {
                    self.rttvar - (self.rttvar - diff) / 4
                };
                self.srtt = Some(srtt);
            }
        }
    }

    /// The probe timeout now: the initial timeout before any sample, then
    /// `clamp(srtt + 4 * rttvar, min, max)`.
    pub fn timeout(&self) -> Duration {
        match self.srtt {
            None => self.initial,
            Some(srtt) => (srtt + self.rttvar * 4).clamp(self.min, self.max),
        }
    }

    /// Smoothed RTT and variance, if any sample was taken.
    pub fn stats(&self) -> Option<(Duration, Duration)> {
        self.srtt.map(|s| (s, self.rttvar))
    }
}

/// A TCP-like congestion window counted in probes.
#[derive(Debug, Clone, Copy)]
pub struct CongestionWindow {
    cwnd: f64,
    ssthresh: f64,
    min: f64,
    max: f64,
}

impl CongestionWindow {
    /// Starts at 10 probes (or the bounds), with slow start up to `max`.
    pub fn new(min: u32, max: u32) -> CongestionWindow {
        let (min, max) = (f64::from(min.max(1)), f64::from(max.max(1)));
        CongestionWindow {
            cwnd: 10f64.clamp(min, max),
            ssthresh: max,
            min,
            max,
        }
    }

    /// Probes allowed in flight now.
    pub fn allowed(&self) -> usize {
        self.cwnd as usize
    }

    /// A probe completed without sign of loss: slow start (+1) below the threshold, congestion
    /// avoidance (+1/cwnd) above it.
    pub fn on_success(&mut self) {
        let inc = if self.cwnd < self.ssthresh {
            1.0
        } else {
            1.0 / self.cwnd
        };
        self.cwnd = (self.cwnd + inc).min(self.max);
    }

    /// A drop was detected: halve the window and the threshold.
    pub fn on_drop(&mut self) {
        self.ssthresh = (self.cwnd / 2.0).max(2.0).max(self.min);
        self.cwnd = self.ssthresh;
    }

    /// Caps the window, e.g. on local resource exhaustion.
    pub fn cap(&mut self, limit: usize) {
        let limit = (limit as f64).max(self.min);
        self.cwnd = self.cwnd.min(limit);
        self.ssthresh = self.ssthresh.min(limit.max(2.0));
    }
}

/// Paces probes to a maximum rate on the monotonic clock. Time not used is not banked: after an
/// idle period the pacer does not burst to catch up.
#[derive(Debug, Clone, Copy)]
pub struct Pacer {
    interval: Duration,
    next: Option<Instant>,
}

impl Pacer {
    /// A pacer allowing one send per `interval` (zero for unpaced; at most [`MAX_DURATION`],
    /// longer intervals are cut to it).
    pub fn new(interval: Duration) -> Pacer {
        Pacer {
            interval: interval.min(MAX_DURATION),
            next: None,
        }
    }

    /// From the scan delay and `--max-rate`: whichever is slower wins. Any rate is safe here
    /// (a rate too low for a `Duration`, zero or NaN waits [`MAX_DURATION`]); the
    /// configuration refuses rates outside [`MIN_RATE`]..=[`MAX_RATE`] anyway.
    pub fn for_timing(t: &Timing) -> Pacer {
        let by_rate = t.max_rate.map_or(Duration::ZERO, |r| {
            Duration::try_from_secs_f64(1.0 / r).unwrap_or(MAX_DURATION)
        });
        Pacer::new(by_rate.max(t.scan_delay))
    }

    /// Changes the interval (at most [`MAX_DURATION`]); the next send time already granted
    /// stays.
    pub fn set_interval(&mut self, interval: Duration) {
        self.interval = interval.min(MAX_DURATION);
    }

    /// When the next send may happen (`None`: now).
    pub fn ready_at(&self, now: Instant) -> Option<Instant> {
        self.next.filter(|&n| n > now)
    }

    /// Records a send at `now`.
    pub fn sent(&mut self, now: Instant) {
        if !self.interval.is_zero() {
            let base = self.next.map_or(now, |n| n.max(now));
            self.next = Some(add_saturating(base, self.interval));
        }
    }
}

/// `t + d`, or the latest instant this clock can represent on the way there: never panics.
fn add_saturating(t: Instant, d: Duration) -> Instant {
    let mut d = d;
    loop {
        if let Some(later) = t.checked_add(d) {
            return later;
        }
        d /= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_nmap_table() {
        let t4 = Timing::template(4).expect("T4");
        assert_eq!(
            (t4.initial_rtt_timeout, t4.max_rtt_timeout, t4.max_retries),
            (ms(500), ms(1250), 6)
        );
        let t5 = Timing::template(5).expect("T5");
        assert_eq!(
            (t5.min_rtt_timeout, t5.max_retries, t5.max_scan_delay),
            (ms(50), 2, ms(5))
        );
        assert!(
            Timing::template(2).expect("T2").serial && !Timing::template(3).expect("T3").serial
        );
        assert_eq!(Timing::template(0).expect("T0").scan_delay, ms(300_000));
        assert!(Timing::template(6).is_err());
        assert_eq!(Timing::parse_template("aggressive"), Ok(4));
        assert_eq!(Timing::parse_template("T2"), Ok(2));
        assert!(Timing::parse_template("9").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(ms(500)));
        assert_eq!(parse_duration("2"), Ok(ms(2000)));
        assert_eq!(parse_duration("1.5m"), Ok(ms(90_000)));
        assert_eq!(parse_duration("2h"), Ok(ms(7_200_000)));
        for bad in ["", "x", "5x", "-1s", "1e400", "1.2.3", "."] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_duration("720h"), Ok(MAX_DURATION));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        for long in [
            "721h",
            "2592001",
            "1000000000",
            "99999999999999999999999999h",
        ] {
            assert_eq!(
                parse_duration(long),
                Err(TimingError::TooLong(long.to_string())),
                "{long}"
            );
        }
        assert_eq!(
            parse_duration("721h").expect_err("long").to_string(),
            "time `721h` is too long: at most 30 days (720h)"
        );
    }

    #[test]
    fn rtt_follows_rfc6298() {
        let mut r = RttEstimator::new(&Timing::template(3).expect("T3"));
        assert_eq!(r.timeout(), ms(1000));
        r.sample(ms(40));
        // srtt 40, rttvar 40 -> 200 ms
        assert_eq!(r.timeout(), ms(200));
        r.sample(ms(40));
        // rttvar 40 - 40/4 = 30 -> 40 + 120
        assert_eq!(r.timeout(), ms(160));
        let mut tiny = RttEstimator::new(&Timing::template(3).expect("T3"));
        tiny.sample(Duration::from_micros(50));
        assert_eq!(tiny.timeout(), ms(100), "clamped to the template minimum");
    }

    #[test]
    fn window_grows_and_halves() {
        let mut w = CongestionWindow::new(1, 1000);
        assert_eq!(w.allowed(), 10);
        for _ in 0..10 {
            w.on_success();
        }
        assert_eq!(w.allowed(), 20);
        w.on_drop();
        assert_eq!(w.allowed(), 10);
        w.on_success();
        assert_eq!(w.allowed(), 10, "congestion avoidance grows by 1/cwnd");
    }

    #[test]
    fn rates_and_durations_are_range_checked() {
        let mut t = Timing::template(3).expect("T3");
        assert!(t.validate().is_ok());
        for (min, max, msg) in [
            (
                None,
                Some(1e-300),
                "--max-rate must be between 0.001 and 100000000 probes per second",
            ),
            (
                Some(1e-19),
                None,
                "--min-rate must be between 0.001 and 100000000 probes per second",
            ),
            (None, Some(0.0), "--max-rate must be between"),
            (None, Some(f64::NAN), "--max-rate must be between"),
            (None, Some(f64::INFINITY), "--max-rate must be between"),
            (Some(-1.0), None, "--min-rate must be between"),
            (Some(1e9), None, "--min-rate must be between"),
            (Some(1e-19), Some(10.0), "--min-rate must be between"),
        ] {
            t.min_rate = min;
            t.max_rate = max;
            let e = t.validate().expect_err(msg).to_string();
            assert!(e.starts_with(msg), "{e}");
        }
        t.min_rate = Some(MIN_RATE);
        t.max_rate = Some(MAX_RATE);
        assert!(t.validate().is_ok());
        t.host_timeout = Some(MAX_DURATION + ms(1));
        assert_eq!(
            t.validate().expect_err("long").to_string(),
            "--host-timeout must be at most 30 days (720h)"
        );
    }

    #[test]
    fn pacer_never_panics() {
        let now = Instant::now();
        for rate in [1e-300, 1e-19, 0.0, -1.0, f64::NAN, f64::MIN_POSITIVE, 1e300] {
            let mut t = Timing::template(3).expect("T3");
            t.max_rate = Some(rate);
            let mut p = Pacer::for_timing(&t);
            p.sent(now);
            p.sent(now);
            let _ = p.ready_at(now);
        }
        let mut p = Pacer::new(Duration::MAX);
        p.set_interval(Duration::MAX);
        for _ in 0..1000 {
            p.sent(now);
        }
        assert!(p.ready_at(now).is_some_and(|t| t > now));
        assert_eq!(add_saturating(now, ms(5)), now + ms(5));
        assert!(add_saturating(now, Duration::MAX) > now);
    }

    #[test]
    fn pacer_does_not_catch_up() {
        let mut p = Pacer::new(ms(10));
        let t0 = Instant::now();
        assert_eq!(p.ready_at(t0), None);
        p.sent(t0);
        assert_eq!(p.ready_at(t0), Some(t0 + ms(10)));
        // after a long idle period only one send is due, not a burst
        let later = t0 + ms(1000);
        assert_eq!(p.ready_at(later), None);
        p.sent(later);
        assert_eq!(p.ready_at(later), Some(later + ms(10)));
    }
}
