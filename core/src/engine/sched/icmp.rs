//! Per-host handling of ICMP rate limits: detection and pacing ([`RateLimit`]), the paced
//! host's own retry queue, and the deferral of silent ports while the host may still be
//! swallowing ICMP errors.
//!
//! A port of a silence-means-open technique (UDP) whose tries all went unanswered is not
//! decided while its host answered a closed port with an ICMP error in the last
//! [`ICMP_QUIET`]: it is probed again every [`DEFER_EVERY`] and decided only once the host has
//! been quiet that long, or probed afresh once the host turns out to be rate-limited.

use super::super::ratelimit::RateLimit;
use super::Probe;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// A host that sent an ICMP error this recently may be rate-limiting the rest.
pub(super) const ICMP_QUIET: Duration = Duration::from_secs(2);
/// How often a deferred silent port is probed again while its host is suspect.
pub(super) const DEFER_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub(super) struct IcmpGuard {
    pub limit: RateLimit,
    /// Retransmissions of a paced host (they wait for its pacer, not the scan's queue).
    pub retry: VecDeque<Probe>,
    /// The first try of each slot sent while paced: only a reply to a later try proves a paced
    /// probe found no token.
    paced_try: HashMap<u32, u8>,
    /// Until when the host counts as possibly rate-limiting its ICMP errors.
    suspect_until: Option<Instant>,
    /// Silent ports waiting for the host to prove quiet, with when to probe them again.
    deferred: VecDeque<(Instant, Probe)>,
}

impl IcmpGuard {
    pub fn new(sources: usize) -> IcmpGuard {
        IcmpGuard {
            limit: RateLimit::new(sources),
            retry: VecDeque::new(),
            paced_try: HashMap::new(),
            suspect_until: None,
            deferred: VecDeque::new(),
        }
    }

    pub fn paced(&self) -> bool {
        self.limit.paced()
    }

    /// A probe of `slot` left from source `src`.
    pub fn sent(&mut self, slot: u32, try_no: u8, src: u8, now: Instant) {
        if self.paced() {
            self.paced_try.entry(slot).or_insert(try_no);
        }
        self.limit.sent(usize::from(src), now);
    }

    /// Whether a reply to try `try_no` of `slot` shows an earlier transmission was lost.
    pub fn dropped(&self, slot: u32, try_no: u8) -> bool {
        if !self.paced() {
            return try_no > 0;
        }
        // Sent before pacing began: says nothing about the paced rate.
        self.paced_try
            .get(&slot)
            .is_some_and(|&first| try_no > first)
    }

    /// An ICMP error arrived; `closed` when it decided a port closed. Returns true when the host
    /// was just found to rate-limit its errors (the caller starts pacing it).
    pub fn icmp_reply(&mut self, closed: bool, dropped: bool, now: Instant) -> bool {
        if closed {
            self.suspect_until = Some(now + ICMP_QUIET);
        }
        self.limit.icmp_reply(dropped, now)
    }

    /// Tries done and the next try number for a timed-out probe: on a paced host only paced
    /// tries count, and a probe sent before pacing began starts over at try 0.
    pub fn tries(&self, slot: u32, try_no: u8) -> (u8, u8) {
        if !self.paced() {
            return (try_no, try_no.saturating_add(1));
        }
        match self.paced_try.get(&slot) {
            Some(&first) if try_no >= first => (try_no - first, try_no.saturating_add(1)),
            _ => (0, 0),
        }
    }

    /// Whether a port whose tries all went unanswered must wait: its technique reads silence
    /// as open and the host recently answered a closed port with an ICMP error.
    pub fn must_defer(&self, silence_is_open: bool, now: Instant) -> bool {
        silence_is_open && !self.paced() && self.suspect_until.is_some_and(|t| t > now)
    }

    pub fn defer(&mut self, p: Probe, now: Instant) {
        self.deferred.push_back((now + DEFER_EVERY, p));
    }

    pub fn has_deferred(&self) -> bool {
        !self.deferred.is_empty()
    }

    /// A deferred probe due now (with its next try), or when the next one is due.
    pub fn due(&mut self, now: Instant) -> Result<Probe, Option<Instant>> {
        match self.deferred.front() {
            Some(&(due, p)) if due <= now => {
                self.deferred.pop_front();
                Ok(Probe {
                    try_no: p.try_no.saturating_add(1).min(15),
                    ..p
                })
            }
            Some(&(due, _)) => Err(Some(due)),
            None => Err(None),
        }
    }

    /// The deferred ports, once the host has been quiet long enough: they are silent after all.
    pub fn settle(&mut self, now: Instant) -> Vec<Probe> {
        if self.deferred.is_empty() || self.suspect_until.is_some_and(|t| t > now) {
            return Vec::new();
        }
        self.deferred.drain(..).map(|(_, p)| p).collect()
    }

    /// Pacing starts: probes from before are answered within `grace`; deferred ports and the
    /// given queued retransmissions go to the paced queue, starting again at try 0.
    pub fn start_pacing(&mut self, grace: Instant, queued: impl IntoIterator<Item = Probe>) {
        self.limit.grace(grace);
        let deferred: Vec<Probe> = self
            .deferred
            .drain(..)
            .map(|(_, p)| Probe { try_no: 0, ..p })
            .collect();
        self.retry.extend(deferred);
        self.retry
            .extend(queued.into_iter().map(|p| Probe { try_no: 0, ..p }));
    }
}
