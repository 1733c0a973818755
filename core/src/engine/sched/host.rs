//! One active host: its slots, in-flight probes, timing state and discovery progress.
//!
//! Memory per host does not grow with the port range beyond one byte per slot: a decided slot
//! holds the index of its verdict in a small per-host table (a host has few distinct
//! verdicts), and only probes in flight have an entry of their own.

use super::super::loss::{Congestion, DropRate};
use super::super::order::PortOrder;
use super::icmp::IcmpGuard;
use crate::result::{HostStatus, Hostname, HostnameKind};
use crate::state::{Reason, Verdict};
use crate::target::Target;
use crate::timing::{CongestionWindow, RttEstimator};
use std::collections::HashMap;
use std::time::{Instant, SystemTime};

/// Where a host stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Discovery probes are out; no port is probed yet.
    Discovery,
    /// The host is up (or assumed up): its ports are probed.
    Ports,
}

/// Distinct verdicts one host can hold before near-duplicates share an entry.
const TABLE_MAX: usize = 255;

/// Verdicts of every slot, one byte each.
#[derive(Debug)]
pub(super) struct Verdicts {
    /// 0: undecided; k: `table[k - 1]`.
    pub(super) codes: Vec<u8>,
    table: Vec<Verdict>,
}

impl Verdicts {
    pub fn new(slots: u32) -> Verdicts {
        Verdicts {
            codes: vec![0; slots as usize],
            table: Vec::new(),
        }
    }

    pub fn get(&self, slot: u32) -> Option<Verdict> {
        match self.codes.get(slot as usize).copied() {
            None | Some(0) => None,
            Some(k) => self.table.get(usize::from(k) - 1).copied(),
        }
    }

    pub fn set(&mut self, slot: u32, v: Verdict) {
        let code = match self.table.iter().position(|t| *t == v) {
            Some(i) => i + 1,
            None if self.table.len() < TABLE_MAX => {
                self.table.push(v);
                self.table.len()
            }
            // A full table (hundreds of distinct reply TTLs): keep state and reason exact.
            None => {
                self.table
                    .iter()
                    .position(|t| t.state == v.state && t.reason == v.reason)
                    .unwrap_or(0)
                    + 1
            }
        };
        if let Some(c) = self.codes.get_mut(slot as usize) {
            *c = u8::try_from(code).unwrap_or(u8::MAX);
        }
    }

    pub fn clear(&mut self, slot: u32) {
        if let Some(c) = self.codes.get_mut(slot as usize) {
            *c = 0;
        }
    }

    /// Decided slots below `end`, with their verdicts.
    pub fn decided(&self, end: u32) -> impl Iterator<Item = (u32, Verdict)> + '_ {
        self.codes
            .iter()
            .take(end as usize)
            .enumerate()
            .filter(|(_, &c)| c != 0)
            .filter_map(|(i, &c)| Some((i as u32, *self.table.get(usize::from(c) - 1)?)))
    }

    /// Undecided slots below `end`.
    pub fn undecided(&self, end: u32) -> impl Iterator<Item = u32> + '_ {
        self.codes
            .iter()
            .take(end as usize)
            .enumerate()
            .filter(|(_, &c)| c == 0)
            .map(|(i, _)| i as u32)
    }
}

/// A transmission waiting for its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct InFlight {
    pub try_no: u8,
    pub sent: Instant,
}

#[derive(Debug)]
pub(super) struct Host {
    pub target: Target,
    pub phase: Phase,
    pub status: HostStatus,
    pub mac: Option<[u8; 6]>,
    pub verdicts: Verdicts,
    pub in_flight: HashMap<u32, InFlight>,
    pub order: PortOrder,
    /// Discovery slots used for this host, the next one to send, and how many are undecided.
    pub disc: Vec<u32>,
    pub disc_next: usize,
    pub disc_left: usize,
    /// The last "unreachable" discovery answer (a router's host-unreach), the reason if the
    /// host ends down.
    pub down_reason: Option<Verdict>,
    /// Port slots not decided yet.
    pub undecided: usize,
    pub rtt: RttEstimator,
    /// The host's own window (the scan's window bounds all hosts together).
    pub cwnd: CongestionWindow,
    pub loss: Congestion,
    /// Its measured loss, which bounds the retries of its silent ports.
    pub drops: DropRate,
    pub icmp: IcmpGuard,
    /// Source addresses it is reached from, and the next one to use.
    pub sources: u8,
    pub next_src: u8,
    pub max_ok_try: u8,
    /// Some reply (not our own stack's) came from it.
    pub answered: bool,
    /// It is in the scheduler's ready queue.
    pub queued: bool,
    pub started_wall: SystemTime,
}

impl Host {
    pub fn user_hostnames(&self) -> Vec<Hostname> {
        self.target
            .hostname
            .iter()
            .map(|name| Hostname {
                name: name.clone(),
                kind: HostnameKind::User,
            })
            .collect()
    }

    /// Status of a host treated as up without discovery.
    pub fn assumed_up() -> HostStatus {
        HostStatus {
            up: true,
            reason: Reason::UserSet,
            reason_ttl: 0,
        }
    }

    /// Whether it has a fresh probe to send in its current phase.
    pub fn has_fresh(&self) -> bool {
        match self.phase {
            Phase::Discovery => self.disc_next < self.disc.len(),
            Phase::Ports => !self.order.is_done(),
        }
    }
}
