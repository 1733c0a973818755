//! TCP connect discovery (registry name `tcp-connect`, no nmap letter): the unprivileged
//! host discovery, a `connect()` to each port, default 80 and 443 as nmap does without raw
//! sockets.
//!
//! A completed handshake (`syn-ack`) and a refused connection (`conn-refused`: the host's stack
//! sent a RST) both mean the host is up. `EHOSTUNREACH` and `EHOSTDOWN` (`host-unreach`) and
//! `ENETUNREACH` (`net-unreach`) mean it was reported unreachable. Every other error says
//! nothing about the host.

use super::discovery_plugin;
use scanfw_core::technique::{ConnectOutcome, ConnectProbe};
use scanfw_core::{Reason, Verdict};

discovery_plugin! {
    /// The TCP connect discovery plugin.
    pub struct TcpConnectPing { ports: Vec<u16> = [80, 443] }
    name: "tcp-connect", letter: None, privileged: false,
    summary: "TCP connect() to each port (default 80, 443), no privileges: connected or refused means up",
    method: Connect,
}

impl ConnectProbe for TcpConnectPing {
    fn classify(&self, outcome: ConnectOutcome) -> Option<Verdict> {
        match outcome {
            ConnectOutcome::Established => Some(Verdict::host_up(Reason::SynAck, 0)),
            ConnectOutcome::Failed(libc::ECONNREFUSED) => {
                Some(Verdict::host_up(Reason::ConnRefused, 0))
            }
            ConnectOutcome::Failed(libc::EHOSTUNREACH | libc::EHOSTDOWN) => {
                Some(Verdict::host_down(Reason::HostUnreach, 0))
            }
            ConnectOutcome::Failed(libc::ENETUNREACH) => {
                Some(Verdict::host_down(Reason::NetUnreach, 0))
            }
            ConnectOutcome::Failed(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scanfw_core::discovery::{DiscoveryMethod, DiscoveryTechnique, HostAnswer};

    #[test]
    fn contract() {
        let t = TcpConnectPing::new(&[]).expect("defaults");
        assert_eq!((t.name(), t.ports()), ("tcp-connect", &[80, 443][..]));
        assert!(matches!(t.method(), DiscoveryMethod::Connect(_)));
        assert!(t.supports(false) && t.supports(true));
        assert_eq!(TcpConnectPing::new(&[22]).expect("ports").ports(), [22]);
        assert!(TcpConnectPing::new(&[0, 22]).is_err());
    }

    #[test]
    fn outcomes() {
        let t = TcpConnectPing::new(&[]).expect("defaults");
        let v = |o| t.classify(o);
        use ConnectOutcome::{Established, Failed};
        assert_eq!(v(Established), Some(Verdict::host_up(Reason::SynAck, 0)));
        assert_eq!(
            v(Failed(libc::ECONNREFUSED)),
            Some(Verdict::host_up(Reason::ConnRefused, 0))
        );
        for e in [libc::EHOSTUNREACH, libc::EHOSTDOWN] {
            assert_eq!(
                v(Failed(e)),
                Some(Verdict::host_down(Reason::HostUnreach, 0))
            );
        }
        assert_eq!(
            v(Failed(libc::ENETUNREACH)),
            Some(Verdict::host_down(Reason::NetUnreach, 0))
        );
        for e in [
            libc::ETIMEDOUT,
            libc::EACCES,
            libc::EPERM,
            libc::EINVAL,
            libc::ENETDOWN,
            0,
        ] {
            assert_eq!(v(Failed(e)), None, "errno {e}");
        }
        let up = v(Established).expect("up");
        assert_eq!(HostAnswer::of(&up), HostAnswer::Up);
        let down = v(Failed(libc::EHOSTUNREACH)).expect("down");
        assert_eq!(HostAnswer::of(&down), HostAnswer::Down);
    }
}
