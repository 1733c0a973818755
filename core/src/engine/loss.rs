//! Tells random packet loss from congestion.
//!
//! A drop is a reply to a retransmission (the reply names its try, so the earlier transmissions
//! were lost). nmap treats every drop as congestion and slows down, which makes a link with a
//! few percent of random loss crawl. Here drops are counted per epoch of replies; the lowest
//! drop fraction seen is the link's random-loss floor, and only an epoch whose drop fraction is
//! clearly above that floor (loss that grows with the sending rate) counts as congestion.

/// Replies per epoch.
const EPOCH: u32 = 128;
/// An epoch is congested above `floor * FACTOR + MARGIN`.
const FACTOR: f64 = 2.0;
const MARGIN: f64 = 0.03;

/// Drop statistics over epochs of replies.
#[derive(Debug, Clone, Copy, Default)]
pub struct LossMonitor {
    replies: u32,
    drops: u32,
    floor: Option<f64>,
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
        let floor = self.floor.map_or(fraction, |f| f.min(fraction));
        self.floor = Some(floor);
        fraction > floor * FACTOR + MARGIN
    }

    /// The random-loss floor measured so far.
    pub fn floor(&self) -> Option<f64> {
        self.floor
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
        for _ in 0..50 {
            assert!(!epoch(&mut m, 7), "5% loss every epoch");
        }
        assert!(m.floor().is_some_and(|f| (f - 7.0 / 128.0).abs() < 1e-9));
    }

    #[test]
    fn loss_that_grows_is_congestion() {
        let mut m = LossMonitor::default();
        assert!(!epoch(&mut m, 6));
        assert!(!epoch(&mut m, 10));
        assert!(epoch(&mut m, 30), "23% against a 5% floor");
        let mut clean = LossMonitor::default();
        assert!(!epoch(&mut clean, 0));
        assert!(epoch(&mut clean, 8), "6% against a 0% floor");
    }
}
