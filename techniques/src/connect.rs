//! The full-connect technique (`-sT`): the operating system completes a TCP handshake.
//!
//! Needs no privileges. States and reasons follow nmap: an established connection is `open`
//! (`syn-ack`), `ECONNREFUSED` is `closed` (`conn-refused`), unreachable errors are `filtered`
//! with the matching reason, silence is `filtered` (`no-response`).

use scanfw_core::registry::TechniqueDescriptor;
use scanfw_core::technique::{ConnectOutcome, ConnectProbe, ProbeMethod};
use scanfw_core::{PortState, Protocol, Reason, ScanTechnique, Verdict};

/// The connect technique.
#[derive(Debug, Default, Clone, Copy)]
pub struct Connect;

inventory::submit! {
    TechniqueDescriptor {
        name: "connect",
        nmap_letter: Some('T'),
        summary: "TCP connect() scan: full handshake through the OS, no privileges needed",
        needs_privilege: false,
        fallback: None,
        constructor: |o| o.plain("connect").map(|()| Box::new(Connect) as Box<dyn scanfw_core::ScanTechnique>),
    }
}

impl ScanTechnique for Connect {
    fn name(&self) -> &'static str {
        "connect"
    }
    fn protocol(&self) -> Protocol {
        Protocol::Tcp
    }
    fn scan_type(&self) -> &'static str {
        "connect"
    }
    fn on_silence(&self) -> Verdict {
        Verdict::new(PortState::Filtered, Reason::NoResponse)
    }
    fn probe(&self) -> ProbeMethod<'_> {
        ProbeMethod::Connect(self)
    }
}

impl ConnectProbe for Connect {
    fn classify(&self, outcome: ConnectOutcome) -> Option<Verdict> {
        let (state, reason) = match outcome {
            ConnectOutcome::Established => (PortState::Open, Reason::SynAck),
            ConnectOutcome::Failed(errno) => match errno {
                libc::ECONNREFUSED => (PortState::Closed, Reason::ConnRefused),
                libc::EHOSTUNREACH | libc::EHOSTDOWN => (PortState::Filtered, Reason::HostUnreach),
                libc::ENETUNREACH | libc::ENETDOWN => (PortState::Filtered, Reason::NetUnreach),
                libc::EACCES | libc::EPERM => (PortState::Filtered, Reason::AdminProhibited),
                libc::ENOPROTOOPT => (PortState::Filtered, Reason::ProtoUnreach),
                libc::ETIMEDOUT => (PortState::Filtered, Reason::NoResponse),
                _ => return None,
            },
        };
        Some(Verdict::new(state, reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_like_nmap() {
        let c = Connect;
        let v = |o| {
            c.classify(o)
                .map(|v: Verdict| (v.state, v.reason, v.reason_ttl))
        };
        assert_eq!(
            v(ConnectOutcome::Established),
            Some((PortState::Open, Reason::SynAck, 0))
        );
        assert_eq!(
            v(ConnectOutcome::Failed(libc::ECONNREFUSED)),
            Some((PortState::Closed, Reason::ConnRefused, 0))
        );
        assert_eq!(
            v(ConnectOutcome::Failed(libc::EHOSTUNREACH)),
            Some((PortState::Filtered, Reason::HostUnreach, 0))
        );
        assert_eq!(
            v(ConnectOutcome::Failed(libc::ENETUNREACH)),
            Some((PortState::Filtered, Reason::NetUnreach, 0))
        );
        assert_eq!(
            v(ConnectOutcome::Failed(libc::EACCES)),
            Some((PortState::Filtered, Reason::AdminProhibited, 0))
        );
        assert_eq!(
            v(ConnectOutcome::Failed(libc::EPERM)),
            Some((PortState::Filtered, Reason::AdminProhibited, 0))
        );
        assert_eq!(v(ConnectOutcome::Failed(libc::EINVAL)), None);
        assert_eq!(
            c.on_silence(),
            Verdict::new(PortState::Filtered, Reason::NoResponse)
        );
        assert!(!c.silence_is_open());
    }
}
