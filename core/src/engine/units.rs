//! The engine's table of probe units: port techniques and discovery plugins side by side, with
//! the slot layout every host shares.
//!
//! A host's slots are numbered: first the ports of every port technique (technique by
//! technique, ports ascending, so a slot index is a rank), then one slot per (discovery method,
//! port). Transports ask this table how to send a unit's probes; the scheduler asks it what
//! silence means and which port a slot is. Nothing here names a technique.

use super::ScanJob;
use crate::discovery::{DiscoveryMethod, LinkProbe};
use crate::ports::{PortIndex, Protocol};
use crate::state::{PortState, Reason, Verdict};
use crate::technique::{ConnectProbe, ProbeMethod, RawProbe};

/// How a unit's probes travel.
#[derive(Clone, Copy)]
pub(super) enum Method<'a> {
    Raw(&'a dyn RawProbe),
    Connect(&'a dyn ConnectProbe),
    Link(&'a dyn LinkProbe),
}

/// What a unit is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A port technique: its slots are reported ports.
    Port,
    /// A discovery method probing IP (every target).
    Discovery,
    /// A link-level discovery method (targets on a directly attached network).
    Link,
}

pub(super) struct Unit<'a> {
    pub kind: Kind,
    pub method: Method<'a>,
    /// Ports in rank order (slot `base + i` probes `ports[i]`).
    pub ports: Vec<u16>,
    pub base: u32,
    index: Option<PortIndex>,
    /// The verdict after every try went unanswered.
    pub silence: Verdict,
    pub silence_is_open: bool,
    pub protocol: Option<Protocol>,
    pub v4: bool,
    pub v6: bool,
    /// Salt of its cookies: probes of different units to the same port never share a cookie.
    pub flavor: u8,
}

pub(super) struct Units<'a> {
    pub list: Vec<Unit<'a>>,
    /// Slots of port techniques (the first slots of every host).
    pub port_slots: u32,
    /// All slots.
    pub slots: u32,
}

impl<'a> Units<'a> {
    pub fn new(job: &'a ScanJob) -> Units<'a> {
        let mut list = Vec::new();
        let mut base = 0u32;
        for u in &job.units {
            let t = u.technique.as_ref();
            let ports: Vec<u16> = u.ports.iter().collect();
            let mut silence = Verdict {
                reason_ttl: 0,
                ..t.on_silence()
            };
            let silence_is_open = t.silence_is_open();
            if job.defeat_icmp_ratelimit && silence.state == PortState::OpenFiltered {
                // The user traded accuracy for speed: a port whose ICMP error may have been
                // rate-limited away is `closed|filtered` (nmap's --defeat-icmp-ratelimit).
                silence.state = PortState::ClosedFiltered;
            }
            let n = ports.len() as u32;
            list.push(Unit {
                kind: Kind::Port,
                method: match t.probe() {
                    ProbeMethod::Raw(p) => Method::Raw(p),
                    ProbeMethod::Connect(c) => Method::Connect(c),
                },
                index: Some(PortIndex::new(&u.ports)),
                ports,
                base,
                silence,
                silence_is_open,
                protocol: Some(t.protocol()),
                v4: true,
                v6: true,
                flavor: 0,
            });
            base += n;
        }
        let port_slots = base;
        for (i, d) in job.discovery.methods.iter().enumerate() {
            let (kind, method) = match d.method() {
                DiscoveryMethod::Raw(p) => (Kind::Discovery, Method::Raw(p)),
                DiscoveryMethod::Connect(c) => (Kind::Discovery, Method::Connect(c)),
                DiscoveryMethod::Link(l) => (Kind::Link, Method::Link(l)),
            };
            let ports: Vec<u16> = if d.ports().is_empty() {
                vec![0]
            } else {
                d.ports().to_vec()
            };
            let n = ports.len() as u32;
            list.push(Unit {
                kind,
                method,
                ports,
                base,
                index: None,
                silence: Verdict::new(PortState::Filtered, Reason::NoResponse),
                silence_is_open: false,
                protocol: None,
                v4: d.supports(false),
                v6: d.supports(true),
                flavor: u8::try_from(i + 1).unwrap_or(u8::MAX),
            });
            base += n;
        }
        Units {
            list,
            port_slots,
            slots: base,
        }
    }

    /// The unit a slot belongs to (few units: a linear walk).
    pub fn unit_of(&self, slot: u32) -> usize {
        self.list.iter().rposition(|u| u.base <= slot).unwrap_or(0)
    }

    /// The destination port of a slot.
    pub fn port_of(&self, slot: u32) -> u16 {
        let u = &self.list[self.unit_of(slot)];
        u.ports.get((slot - u.base) as usize).copied().unwrap_or(0)
    }

    /// The slot of (`unit`, `port`), if the unit probes that port.
    pub fn slot(&self, unit: usize, port: u16) -> Option<u32> {
        let u = self.list.get(unit)?;
        let rank = match &u.index {
            Some(index) => index.rank(port)?,
            None => u.ports.iter().position(|&p| p == port)? as u32,
        };
        Some(u.base + rank)
    }

    /// Discovery slots for a target of this family: link methods when it is on the link (and
    /// there are any for its family), IP methods otherwise (`ip` false: none of those).
    pub fn discovery_slots(&self, v6: bool, on_link: bool, ip: bool) -> Vec<u32> {
        let fits = |u: &Unit<'_>| if v6 { u.v6 } else { u.v4 };
        let of = |kind: Kind| -> Vec<u32> {
            self.list
                .iter()
                .filter(|u| u.kind == kind && fits(u))
                .flat_map(|u| u.base..u.base + u.ports.len() as u32)
                .collect()
        };
        if on_link {
            let link = of(Kind::Link);
            if !link.is_empty() {
                return link;
            }
        }
        if ip {
            of(Kind::Discovery)
        } else {
            Vec::new()
        }
    }

    /// Whether any unit is a link-level method.
    pub fn has_link(&self) -> bool {
        self.list.iter().any(|u| u.kind == Kind::Link)
    }
}
