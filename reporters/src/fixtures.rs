//! Test fixtures: hand-built scan events and a capturing writer.

use scanfw_core::result::RttTimes;
use scanfw_core::{
    HostResult, HostStatus, Hostname, HostnameKind, PortResult, PortSet, PortState, Protocol,
    Reason, ReportOptions, Reporter, ScanStart, ScanSummary, ScanTypeInfo,
};
use std::io::Write;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 2024-03-09 16:00:00 UTC.
pub(crate) const T0: u64 = 1_710_000_000;

pub(crate) fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

pub(crate) fn port(port: u16, state: PortState, reason: Reason) -> PortResult {
    PortResult {
        protocol: Protocol::Tcp,
        port,
        state,
        reason,
        reason_ttl: 0,
    }
}

/// An up host at `addr` with `ports` and RTT 120 µs.
pub(crate) fn host(addr: &str, ports: Vec<PortResult>) -> HostResult {
    let addr: IpAddr = addr.parse().expect("test address");
    HostResult {
        addr,
        hostnames: Vec::new(),
        status: HostStatus {
            up: true,
            reason: Reason::UserSet,
            reason_ttl: 0,
        },
        mac: None,
        ports,
        start: at(T0),
        end: at(T0 + 1),
        timed_out: false,
        partial: false,
        times: Some(RttTimes {
            srtt: Duration::from_micros(120),
            rttvar: Duration::from_micros(50),
            timeout: Duration::from_millis(100),
        }),
    }
}

/// The hardware address the tests give hosts found on the local link.
pub(crate) const MAC: [u8; 6] = [0x02, 0x42, 0xc6, 0x12, 0x00, 0x02];

/// An up host at `addr` found by ARP (reason `arp-response`, hardware address [`MAC`]) with
/// `ports`; no ports is what a discovery-only (`-sn`) scan reports.
pub(crate) fn on_link(addr: &str, ports: Vec<PortResult>) -> HostResult {
    let mut h = host(addr, ports);
    h.status.reason = Reason::ArpResponse;
    h.mac = Some(MAC);
    h
}

/// The start of a discovery-only (`-sn`) scan: no port scan techniques.
pub(crate) fn discovery_start() -> ScanStart {
    ScanStart {
        args: vec!["scanfw".into(), "-sn".into(), "192.0.2.0/24".into()],
        scans: Vec::new(),
        hosts_planned: Some(256),
        scopes: Vec::new(),
        ..start("1")
    }
}

pub(crate) fn named(mut h: HostResult, name: &str) -> HostResult {
    h.hostnames.push(Hostname {
        name: name.to_string(),
        kind: HostnameKind::User,
    });
    h
}

/// Ports 1..=1000: 22 and 80 open, 443 filtered, the rest closed (conn-refused).
pub(crate) fn thousand_ports() -> Vec<PortResult> {
    (1..=1000)
        .map(|p| match p {
            22 | 80 => port(p, PortState::Open, Reason::SynAck),
            443 => port(p, PortState::Filtered, Reason::NoResponse),
            _ => port(p, PortState::Closed, Reason::ConnRefused),
        })
        .collect()
}

pub(crate) fn start(ports: &str) -> ScanStart {
    let mut set = PortSet::new();
    for part in ports.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                set.insert_range(a.parse().expect("test port"), b.parse().expect("test port"))
            }
            None => {
                set.insert(part.parse().expect("test port"));
            }
        }
    }
    ScanStart {
        args: vec![
            "scanfw".into(),
            "-sT".into(),
            "--top-ports".into(),
            "1000".into(),
            "127.0.0.1".into(),
        ],
        start: at(T0),
        scans: vec![ScanTypeInfo {
            scan_type: "connect".into(),
            protocol: Protocol::Tcp,
            ports: set,
        }],
        hosts_planned: Some(1),
        scopes: Vec::new(),
    }
}

pub(crate) fn summary(up: u64, down: u64, interrupted: Option<&str>) -> ScanSummary {
    ScanSummary {
        end: at(T0 + 1),
        elapsed: Duration::from_millis(523),
        hosts_total: up + down,
        hosts_up: up,
        hosts_down: down,
        interrupted: interrupted.map(str::to_string),
        probes_sent: 1002,
        retransmissions: 2,
        replies: scanfw_core::result::ReplyCounts {
            verified: 990,
            unverified: 3,
            rejected: 7,
            challenges: 1,
        },
        audit: None,
    }
}

/// A `Write` whose bytes the test can read after the reporter is done with it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    pub(crate) fn text(&self) -> String {
        let bytes = self.0.lock().expect("capture lock").clone();
        String::from_utf8(bytes).expect("utf-8 output")
    }
}

pub(crate) type Ctor = fn(ReportOptions, Box<dyn Write + Send>) -> Box<dyn Reporter>;

/// Runs a whole scan through the reporter built by `ctor` and returns what it wrote.
pub(crate) fn render(
    ctor: Ctor,
    opts: ReportOptions,
    scan: &ScanStart,
    hosts: &[HostResult],
    end: &ScanSummary,
) -> String {
    let cap = Capture::default();
    let mut r = ctor(opts, Box::new(cap.clone()));
    r.begin(scan).expect("begin");
    for h in hosts {
        r.host(h).expect("host");
    }
    r.finish(end).expect("finish");
    cap.text()
}
