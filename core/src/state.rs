//! Port states, reasons and state transitions, exactly as nmap reports them.
//!
//! The facts come from `shared/reference/port-states.md`: six states, nmap's reason vocabulary
//! (singular forms) and the rules that decide whether a later reply may change a port's state.

use std::fmt;

/// The six port states nmap reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PortState {
    /// An application accepts connections or datagrams on the port.
    Open,
    /// The port is reachable but nothing listens.
    Closed,
    /// A firewall or the network prevents telling open from closed.
    Filtered,
    /// Reachable, open or closed unknown (ACK and Window scans only).
    Unfiltered,
    /// Silence where silence can mean open (UDP, FIN, NULL, Xmas, Maimon).
    OpenFiltered,
    /// Only when the user trades accuracy for speed against ICMP rate limiting.
    ClosedFiltered,
}

impl PortState {
    /// Every state, in a stable order.
    pub const ALL: [PortState; 6] = [
        PortState::Open,
        PortState::Closed,
        PortState::Filtered,
        PortState::Unfiltered,
        PortState::OpenFiltered,
        PortState::ClosedFiltered,
    ];

    /// nmap's name for the state (`open|filtered`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            PortState::Open => "open",
            PortState::Closed => "closed",
            PortState::Filtered => "filtered",
            PortState::Unfiltered => "unfiltered",
            PortState::OpenFiltered => "open|filtered",
            PortState::ClosedFiltered => "closed|filtered",
        }
    }

    /// Parses nmap's name of a state.
    pub fn parse(s: &str) -> Option<PortState> {
        PortState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether a port in state `self` may change to `new` when a later reply arrives.
    ///
    /// `silence_is_open` is true for techniques where no reply means `open|filtered` (UDP, FIN,
    /// NULL, Xmas, Maimon). The rules are nmap's:
    /// * `closed` never becomes `filtered`;
    /// * where silence means open, `open` and `closed` are final and `filtered` never becomes
    ///   `open`;
    /// * `unfiltered` may only become `open` or `closed`;
    /// * `open|filtered` accepts any newer state;
    /// * otherwise the newer reply wins.
    pub fn may_become(self, new: PortState, silence_is_open: bool) -> bool {
        use PortState::*;
        if self == new {
            return false;
        }
        match self {
            OpenFiltered => true,
            Closed if new == Filtered => false,
            Open | Closed if silence_is_open => false,
            Filtered if silence_is_open && new == Open => false,
            Unfiltered => matches!(new, Open | Closed),
            _ => true,
        }
    }
}

impl fmt::Display for PortState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! reasons {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// nmap's reason vocabulary (singular forms), exactly as nmap spells it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Reason { $($variant),* }

        impl Reason {
            /// Every reason nmap knows.
            pub const ALL: &'static [Reason] = &[$(Reason::$variant),*];

            /// nmap's name for the reason.
            pub fn as_str(self) -> &'static str {
                match self { $(Reason::$variant => $name),* }
            }
        }
    };
}

reasons! {
    Reset => "reset",
    ConnRefused => "conn-refused",
    SynAck => "syn-ack",
    SplitHandshakeSyn => "split-handshake-syn",
    UdpResponse => "udp-response",
    ProtoResponse => "proto-response",
    PermDenied => "perm-denied",
    NetUnreach => "net-unreach",
    HostUnreach => "host-unreach",
    ProtoUnreach => "proto-unreach",
    PortUnreach => "port-unreach",
    EchoReply => "echo-reply",
    DestUnreach => "dest-unreach",
    SourceQuench => "source-quench",
    NetProhibited => "net-prohibited",
    HostProhibited => "host-prohibited",
    AdminProhibited => "admin-prohibited",
    TimeExceeded => "time-exceeded",
    TimestampReply => "timestamp-reply",
    AddressmaskReply => "addressmask-reply",
    ArpResponse => "arp-response",
    NdResponse => "nd-response",
    TcpResponse => "tcp-response",
    NoResponse => "no-response",
    InitAck => "init-ack",
    Abort => "abort",
    LocalhostResponse => "localhost-response",
    UnknownResponse => "unknown-response",
    UserSet => "user-set",
    NoRoute => "no-route",
    BeyondScope => "beyond-scope",
    RejectRoute => "reject-route",
    ParamProblem => "param-problem",
}

impl Reason {
    /// Parses nmap's name of a reason.
    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.iter().copied().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A technique's judgement of one reply: state, reason and the TTL (hop limit) of the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// The state the reply implies.
    pub state: PortState,
    /// Why, in nmap's words.
    pub reason: Reason,
    /// TTL or hop limit of the reply; 0 where there was no packet (silence, connect()).
    pub reason_ttl: u8,
}

impl Verdict {
    /// A verdict without a reply TTL.
    pub const fn new(state: PortState, reason: Reason) -> Verdict {
        Verdict {
            state,
            reason,
            reason_ttl: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PortState::*;
    use super::*;

    #[test]
    fn names_round_trip() {
        for st in PortState::ALL {
            assert_eq!(PortState::parse(st.as_str()), Some(st));
        }
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.as_str()), Some(*r));
        }
        assert_eq!(Reason::ALL.len(), 33);
        assert_eq!(OpenFiltered.as_str(), "open|filtered");
    }

    #[test]
    fn transitions_follow_nmap() {
        // (old, new, silence_is_open, allowed)
        let table = [
            (Closed, Filtered, false, false),
            (Closed, Filtered, true, false),
            (Closed, Open, false, true),
            (Open, Closed, false, true),
            (Open, Closed, true, false),
            (Closed, Open, true, false),
            (Open, Filtered, true, false),
            (Filtered, Open, true, false),
            (Filtered, Closed, true, true),
            (Filtered, Open, false, true),
            (Unfiltered, Open, false, true),
            (Unfiltered, Closed, false, true),
            (Unfiltered, Filtered, false, false),
            (OpenFiltered, Open, true, true),
            (OpenFiltered, Closed, true, true),
            (OpenFiltered, Filtered, true, true),
            (Open, Open, false, false),
        ];
        for (old, new, silent_open, allowed) in table {
            assert_eq!(
                old.may_become(new, silent_open),
                allowed,
                "{old} -> {new} ({silent_open})"
            );
        }
    }
}
