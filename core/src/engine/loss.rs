//! Tells random packet loss from congestion ([`LossMonitor`], [`Congestion`]), and measures
//! it to bound retries ([`DropRate`]).
//!
//! A drop is a reply to a retransmission (the reply names its try, so the earlier transmissions
//! were lost). nmap treats every drop as congestion and slows down, which makes a link with a
//! few percent of random loss crawl. Here drops are counted per epoch of replies and compared
//! with the long-run drop fraction (an exponentially weighted average over epochs). Random loss
//! keeps every epoch near that average whatever the sending rate; congestion makes loss grow
//! with the rate, so an epoch well above the average (and above an absolute minimum) counts as
//! congestion. Drops are only detected a timeout after they happen, so the average is
//! initialised from the first epochs that can see them rather than assumed zero, and replies
//! are judged by when their transmissions left ([`Congestion`]).

use std::time::{Duration, Instant};

/// Replies per epoch.
const EPOCH: u32 = 128;
/// An epoch is congested above `max(average * FACTOR + MARGIN, MINIMUM)`.
const FACTOR: f64 = 2.0;
const MARGIN: f64 = 0.04;
const MINIMUM: f64 = 0.10;
/// Weight of a new epoch in the long-run average.
const WEIGHT: f64 = 0.125;

/// Drop statistics over epochs of replies.
#[derive(Debug, Clone, Copy, Default)]
pub struct LossMonitor {
    replies: u32,
    drops: u32,
    average: Option<f64>,
}

impl LossMonitor {
    /// Records one reply (`dropped`: it answered a retransmission). When it closes an epoch,
    /// returns whether that epoch was congested.
    pub fn record(&mut self, dropped: bool) -> Option<bool> {
        self.replies += 1;
        self.drops += u32::from(dropped);
        if self.replies < EPOCH {
            return None;
        }
        let fraction = f64::from(self.drops) / f64::from(self.replies);
        self.replies = 0;
        self.drops = 0;
        let average = self.average.unwrap_or(fraction);
        let congested = fraction > (average * FACTOR + MARGIN).max(MINIMUM);
        // Congested epochs are not allowed to raise the baseline much, or congestion would
        // teach the monitor to accept itself.
        let sample = if congested {
            average * FACTOR + MARGIN
        } else {
            fraction
        };
        self.average = Some(average + (sample - average) * WEIGHT);
        Some(congested)
    }
}

/// What a reply means for a congestion window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// An epoch closed congested: shrink once.
    Shrink,
    /// No sign of congestion: grow.
    Grow,
    /// Leave it: the reply is about a loss from before the last judgement, or an epoch looked
    /// congested and the next one decides.
    Keep,
}

/// A [`LossMonitor`] fed only with replies whose losses it can already see, which shrinks a
/// window only when a congested epoch is confirmed by the next one.
///
/// A drop is seen a timeout after the loss: the lost transmission left about a timeout before
/// the retransmission that drew the reply. An epoch of replies thus sets drops of
/// transmissions from a timeout ago against fresh replies to transmissions from now, which
/// only agree while the rate stays the same. It does not: for a timeout after the first
/// reply there are no visible drops yet (an epoch would teach the monitor that nothing is
/// lost); lost probes then hold window slots until they time out, so the rate falls just
/// as their drops arrive; after a shrink the drops of the old, faster rate keep coming; and
/// at the end of a scan nothing fresh is left. Read as congestion, each of these halved the
/// window again: a connect() scan through a 5 % lossy link fell from 8192 probes to 30
/// within a second. So replies count only once their losses are visible, a timeout after
/// the first reply or the last judgement (before that the window grows on fresh replies and
/// keeps its size on drops of transmissions from before), and a congested epoch only makes
/// the next one, about transmissions sent after it, decide: congested again, the window
/// shrinks (at most once per two timeouts; TCP, too, shrinks at most once per round trip).
#[derive(Debug, Clone, Copy, Default)]
pub struct Congestion {
    monitor: LossMonitor,
    /// The first reply, or the last congested epoch.
    origin: Option<Instant>,
    /// The last judged epoch was congested: the next decides.
    suspect: bool,
}

impl Congestion {
    /// One reply: `retransmission` is when the transmission it answers left, if that was a
    /// retransmission (the reply is a drop); `timeout` is the probe timeout in force.
    pub fn reply(
        &mut self,
        retransmission: Option<Instant>,
        timeout: Duration,
        now: Instant,
    ) -> Window {
        let origin = *self.origin.get_or_insert(now);
        if retransmission.is_some_and(|sent| sent < origin + timeout) {
            return Window::Keep; // lost before the origin
        }
        if now < origin + timeout {
            return Window::Grow;
        }
        match self.monitor.record(retransmission.is_some()) {
            None => return Window::Grow,
            Some(false) => {
                self.suspect = false;
                return Window::Grow;
            }
            Some(true) => {}
        }
        self.origin = Some(now);
        self.suspect = !self.suspect;
        if self.suspect {
            Window::Keep
        } else {
            Window::Shrink
        }
    }
}

/// Expected ports of one host reported silent although they answer, that the retry count is
/// chosen for (see [`DropRate::retries_needed`]).
const MISSES: f64 = 0.001;
/// Loss share assumed at most: beyond it the template's retry limit decides alone.
const MAX_SHARE: f64 = 0.5;

/// One host's replies and drops (replies to a retransmission) since its tries were last
/// counted afresh: the measured chance that a transmission is lost, which bounds how often a
/// silent port must be tried before its silence is believed.
///
/// nmap retries a silent port one more time than the highest try that ever drew a reply on
/// its host. Through a lossy link that races: the first port whose first k tries are all lost
/// is decided before any port has shown that try k can still be answered, and a port that
/// answers is reported filtered. With 5 % loss over 65535 ports, some port loses three tries
/// in most scans. The measured share decides instead: `p^tries * ports` stays below
/// [`MISSES`].
#[derive(Debug, Clone, Copy, Default)]
pub struct DropRate {
    replies: u32,
    drops: u32,
}

impl DropRate {
    /// Records one reply (`dropped`: it answered a retransmission).
    pub fn record(&mut self, dropped: bool) {
        self.replies = self.replies.saturating_add(1);
        self.drops = self.drops.saturating_add(u32::from(dropped));
    }

    /// Counts afresh (the host's tries are counted afresh too, e.g. once it is paced).
    pub fn reset(&mut self) {
        *self = DropRate::default();
    }

    /// Retransmissions a silent port of a host with `ports` ports needs before its silence is
    /// believed; 0 while nothing was ever lost (the caller's other rules decide). The share is
    /// estimated with one drop and one clean reply added, so a few early replies do not
    /// promise a clean link.
    pub fn retries_needed(&self, ports: u32) -> u32 {
        if self.drops == 0 {
            return 0;
        }
        let share = (f64::from(self.drops) + 1.0) / (f64::from(self.replies) + 2.0);
        let share = share.min(MAX_SHARE);
        let tries = (MISSES / f64::from(ports.max(1))).ln() / share.ln();
        // At most 255 tries, as the try number is a byte.
        (tries.ceil().clamp(1.0, 255.0) as u32) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_confirmed_congestion_with_visible_losses_shrinks() {
        let t0 = Instant::now();
        let timeout = Duration::from_millis(100);
        let ms = Duration::from_millis;
        let mut c = Congestion::default();
        // The first timeout: fresh replies only (their losses show up later): not learned.
        for _ in 0..20 * EPOCH {
            assert_eq!(c.reply(None, timeout, t0), Window::Grow);
        }
        // Then a clean stretch, learned.
        for _ in 0..20 * EPOCH {
            assert_eq!(c.reply(None, timeout, t0 + timeout), Window::Grow);
        }
        // A wave of drops, their retransmissions sent at `wave`: one congested epoch, then
        // the rest of the wave is about transmissions from before it.
        let wave = t0 + timeout * 2;
        let at = wave + ms(1);
        let seen: Vec<Window> = (0..10 * EPOCH)
            .map(|_| c.reply(Some(wave), timeout, at))
            .collect();
        assert!(!seen.contains(&Window::Shrink), "one epoch is no proof");
        assert_eq!(seen.last(), Some(&Window::Keep), "the rest are stale");
        // A timeout later, transmissions sent after the suspicion are lost as much: shrink,
        // once.
        let later = at + timeout;
        let seen: Vec<Window> = (0..10 * EPOCH)
            .map(|_| c.reply(Some(later), timeout, later))
            .collect();
        let shrinks = seen.iter().filter(|w| **w == Window::Shrink).count();
        assert_eq!(shrinks, 1, "confirmed: one shrink");
        // A suspicion the next epoch does not confirm is forgotten.
        let mut d = Congestion::default();
        for _ in 0..20 * EPOCH {
            d.reply(None, timeout, t0);
        }
        for _ in 0..20 * EPOCH {
            d.reply(None, timeout, t0 + timeout);
        }
        assert!((0..EPOCH).all(|_| d.reply(Some(at), timeout, at) != Window::Shrink));
        let clean = t0 + timeout * 4;
        for _ in 0..5 * EPOCH {
            assert_eq!(d.reply(None, timeout, clean), Window::Grow);
        }
        assert!((0..EPOCH).all(|_| d.reply(Some(clean), timeout, clean) != Window::Shrink));
    }

    fn rate(replies: u32, drops: u32) -> DropRate {
        let mut r = DropRate::default();
        for i in 0..replies {
            r.record(i < drops);
        }
        r
    }

    #[test]
    fn retries_follow_the_measured_loss() {
        assert_eq!(rate(10_000, 0).retries_needed(65535), 0, "no loss seen");
        // 5 % over 65535 ports: 0.05^7 * 65535 < 0.001 <= 0.05^6 * 65535.
        let lossy = rate(10_000, 500);
        assert_eq!(lossy.retries_needed(65535), 6);
        // Fewer ports, fewer tries for the same loss.
        assert_eq!(lossy.retries_needed(300), 4);
        // Rare loss (0.1 %): two retransmissions, as nmap gives once any try 1 was answered.
        assert_eq!(rate(100_000, 100).retries_needed(65535), 2);
        // One drop in three replies: read as 40 % loss until more replies come.
        let early = rate(3, 1);
        assert_eq!(early.retries_needed(1000), 15);
        assert_eq!(
            rate(10, 9).retries_needed(10_000),
            23,
            "at most a 50 % share is assumed"
        );
        let mut reset = lossy;
        reset.reset();
        assert_eq!(reset.retries_needed(65535), 0);
    }

    fn epoch(m: &mut LossMonitor, drops: u32) -> bool {
        let mut congested = false;
        for i in 0..EPOCH {
            congested |= m.record(i < drops) == Some(true);
        }
        congested
    }

    #[test]
    fn steady_random_loss_is_not_congestion() {
        let mut m = LossMonitor::default();
        // Drops show up late: the first epochs see none.
        for _ in 0..5 {
            assert!(!epoch(&mut m, 0));
        }
        for i in 0..200 {
            // 5% on average, with binomial-sized wobble.
            let drops = [4, 6, 7, 9, 5, 8, 6, 10][i % 8];
            assert!(
                !epoch(&mut m, drops),
                "epoch {i}: 5% random loss is not congestion"
            );
        }
        let avg = m.average.expect("average");
        assert!((0.04..0.07).contains(&avg), "{avg}");
    }

    #[test]
    fn loss_that_grows_is_congestion() {
        let mut m = LossMonitor::default();
        for _ in 0..20 {
            assert!(!epoch(&mut m, 6));
        }
        assert!(epoch(&mut m, 30), "23% against a 5% average");
        assert!(
            epoch(&mut m, 30),
            "still congested: the average did not learn it"
        );
        let mut clean = LossMonitor::default();
        for _ in 0..20 {
            assert!(!epoch(&mut clean, 0));
        }
        assert!(!epoch(&mut clean, 10), "8% is below the absolute minimum");
        assert!(epoch(&mut clean, 20), "16% against a 0% average");
    }
}
