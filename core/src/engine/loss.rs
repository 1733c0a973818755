//! Tells random packet loss from congestion.
//!
//! A drop is a reply to a retransmission (the reply names its try, so the earlier transmissions
//! were lost). nmap treats every drop as congestion and slows down, which makes a link with a
//! few percent of random loss crawl. Here drops are counted per epoch of replies and compared
//! with the long-run drop fraction (an exponentially weighted average over epochs). Random loss
//! keeps every epoch near that average whatever the sending rate; congestion makes loss grow
//! with the rate, so an epoch well above the average (and above an absolute minimum) counts as
//! congestion. Drops are only detected a timeout after they happen, so the average is
//! initialised from the first epochs rather than assumed zero.

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
    /// Records one reply (`dropped`: it answered a retransmission). Returns true when an epoch
    /// closes congested: the caller should shrink its window once.
    pub fn record(&mut self, dropped: bool) -> bool {
        self.replies += 1;
        self.drops += u32::from(dropped);
        if self.replies < EPOCH {
            return false;
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
        congested
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(m: &mut LossMonitor, drops: u32) -> bool {
        let mut congested = false;
        for i in 0..EPOCH {
            congested |= m.record(i < drops);
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
