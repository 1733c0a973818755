//! Which ports a human-oriented or nmap-compatible report lists one by one, and which it folds
//! into "Not shown" / `<extraports>` groups.
//!
//! Rules (nmap's): `open` is never folded; any other state is folded when more than
//! [`FOLD_THRESHOLD`] ports of the host share it (counted across protocols). With `open_only`
//! (nmap's `--open`) every state other than `open` and `open|filtered` is folded whatever its
//! count. A folded state is split into groups by (protocol, reason).

use scanfw_core::{PortResult, PortSet, PortState, Protocol, Reason};
use std::cmp::Reverse;

/// More ports than this in one non-open state are folded.
pub(crate) const FOLD_THRESHOLD: usize = 25;

/// Ports of one folded state sharing a protocol and a reason.
#[derive(Debug, Clone)]
pub(crate) struct ReasonGroup {
    pub proto: Protocol,
    pub reason: Reason,
    pub ports: PortSet,
}

/// One folded state.
#[derive(Debug, Clone)]
pub(crate) struct Folded {
    pub state: PortState,
    pub count: usize,
    /// Largest group first.
    pub groups: Vec<ReasonGroup>,
}

/// A host's ports split into listed and folded ones.
#[derive(Debug)]
pub(crate) struct Layout<'a> {
    /// Listed one by one, in scan order.
    pub shown: Vec<&'a PortResult>,
    /// Largest state first.
    pub folded: Vec<Folded>,
}

/// Whether `state` is listed under `open_only`.
pub(crate) fn visible_when_open_only(state: PortState) -> bool {
    matches!(state, PortState::Open | PortState::OpenFiltered)
}

/// Splits `ports` into listed and folded ones.
pub(crate) fn layout(ports: &[PortResult], open_only: bool) -> Layout<'_> {
    let count = |st: PortState| ports.iter().filter(|p| p.state == st).count();
    let is_folded = |st: PortState| {
        st != PortState::Open
            && (count(st) > FOLD_THRESHOLD || (open_only && !visible_when_open_only(st)))
    };
    let folded_states: Vec<PortState> = PortState::ALL
        .into_iter()
        .filter(|&st| count(st) > 0 && is_folded(st))
        .collect();

    let shown = ports
        .iter()
        .filter(|p| !folded_states.contains(&p.state))
        .collect();

    let mut folded: Vec<Folded> = folded_states
        .into_iter()
        .map(|state| fold_state(ports, state))
        .collect();
    folded.sort_by_key(|f| (Reverse(f.count), f.state));
    Layout { shown, folded }
}

fn fold_state(ports: &[PortResult], state: PortState) -> Folded {
    let mut groups: Vec<ReasonGroup> = Vec::new();
    let mut count = 0;
    for p in ports.iter().filter(|p| p.state == state) {
        count += 1;
        match groups
            .iter_mut()
            .find(|g| g.proto == p.protocol && g.reason == p.reason)
        {
            Some(g) => {
                g.ports.insert(p.port);
            }
            None => {
                let mut set = PortSet::new();
                set.insert(p.port);
                groups.push(ReasonGroup {
                    proto: p.protocol,
                    reason: p.reason,
                    ports: set,
                });
            }
        }
    }
    groups.sort_by_key(|g| (Reverse(g.ports.len()), g.proto, g.reason));
    Folded {
        state,
        count,
        groups,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::port;

    fn closed_run(n: u16) -> Vec<PortResult> {
        (1..=n)
            .map(|p| port(p, PortState::Closed, Reason::ConnRefused))
            .collect()
    }

    #[test]
    fn twenty_five_ports_are_listed_twenty_six_are_folded() {
        let ports = closed_run(25);
        let l = layout(&ports, false);
        assert_eq!(l.shown.len(), 25);
        assert!(l.folded.is_empty());

        let ports = closed_run(26);
        let l = layout(&ports, false);
        assert!(l.shown.is_empty());
        assert_eq!(l.folded.len(), 1);
        assert_eq!(l.folded[0].count, 26);
        assert_eq!(l.folded[0].groups[0].ports.to_ranges(), "1-26");
    }

    #[test]
    fn open_is_never_folded_and_reasons_are_grouped() {
        let mut ports: Vec<PortResult> = (1..=40)
            .map(|p| port(p, PortState::Open, Reason::SynAck))
            .collect();
        ports.extend((41..=70).map(|p| port(p, PortState::Filtered, Reason::NoResponse)));
        ports.push(port(71, PortState::Filtered, Reason::HostUnreach));
        let l = layout(&ports, false);
        assert_eq!(l.shown.len(), 40);
        assert_eq!(l.folded.len(), 1);
        let f = &l.folded[0];
        assert_eq!((f.state, f.count), (PortState::Filtered, 31));
        let groups: Vec<_> = f.groups.iter().map(|g| (g.reason, g.ports.len())).collect();
        assert_eq!(groups, [(Reason::NoResponse, 30), (Reason::HostUnreach, 1)]);
    }

    #[test]
    fn open_only_folds_every_hidden_state() {
        let ports = vec![
            port(22, PortState::Open, Reason::SynAck),
            port(23, PortState::Closed, Reason::ConnRefused),
            port(24, PortState::Filtered, Reason::NoResponse),
            port(25, PortState::OpenFiltered, Reason::NoResponse),
        ];
        let l = layout(&ports, true);
        let shown: Vec<u16> = l.shown.iter().map(|p| p.port).collect();
        assert_eq!(shown, [22, 25]);
        let states: Vec<_> = l.folded.iter().map(|f| f.state).collect();
        assert_eq!(states, [PortState::Closed, PortState::Filtered]);
    }
}
