//! Checks shared by the lab tests: reading reports, picking out hosts and ports, and
//! comparing reported ports with the layout's ground truth (docs/lab.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::layout::Layout;
use super::report::{HostPorts, PortLine};

/// TTL (IPv4) / hop limit (IPv6) of every packet the target's kernel sends: Linux default.
pub const TARGET_TTL: u8 = 64;

/// `"{what}: "`, or nothing when `what` is empty (message prefix).
fn prefix(what: &str) -> String {
    if what.is_empty() {
        String::new()
    } else {
        format!("{what}: ")
    }
}

/// The whole file at `path`; panics with the path on failure.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The `type` of every scan in scanfw's JSON head (e.g. `["syn", "udp"]`).
pub fn scan_types(text: &str) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_str(text).expect("JSON");
    doc.get("scans")
        .and_then(|s| s.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| s.get("type").and_then(|t| t.as_str()).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The one host of a report, which must have address `addr`. `what` (may be empty)
/// prefixes the messages.
pub fn single_host(hosts: Vec<HostPorts>, addr: &str, what: &str) -> HostPorts {
    let pre = prefix(what);
    assert_eq!(
        hosts.len(),
        1,
        "{pre}expected exactly one host, got {}",
        hosts.len()
    );
    let h = hosts.into_iter().next().expect("one host");
    assert_eq!(h.address, addr, "{pre}host address");
    h
}

/// Port -> line for one host's ports of `protocol`; panics on duplicates and on
/// protocols not in `allowed`.
pub fn ports_of<'a>(
    h: &'a HostPorts,
    protocol: &str,
    allowed: &[&str],
    what: &str,
) -> BTreeMap<u16, &'a PortLine> {
    let mut m = BTreeMap::new();
    for p in &h.ports {
        assert!(
            allowed.contains(&p.protocol.as_str()),
            "{what}: unexpected protocol in {p:?} (allowed {allowed:?})"
        );
        if p.protocol != protocol {
            continue;
        }
        assert!(
            m.insert(p.port, p).is_none(),
            "{what}: port {}/{protocol} listed more than once",
            p.port
        );
    }
    m
}

/// A reported port as [`mismatches`] reads it: a report line, or a (state, reason) pair
/// (which has no reason_ttl).
pub trait Reported {
    fn state_reason(&self) -> (&str, &str);
    fn reason_ttl(&self) -> Option<u8>;
}

impl Reported for PortLine {
    fn state_reason(&self) -> (&str, &str) {
        (&self.state, &self.reason)
    }
    fn reason_ttl(&self) -> Option<u8> {
        self.reason_ttl
    }
}

impl Reported for (String, String) {
    fn state_reason(&self) -> (&str, &str) {
        (&self.0, &self.1)
    }
    fn reason_ttl(&self) -> Option<u8> {
        None
    }
}

impl<T: Reported + ?Sized> Reported for &T {
    fn state_reason(&self) -> (&str, &str) {
        (**self).state_reason()
    }
    fn reason_ttl(&self) -> Option<u8> {
        (**self).reason_ttl()
    }
}

/// Compare `got` with `expect(port)` = (state, reason, the port's layout kind for
/// messages) for exactly `ports` of protocol `proto`: state, reason and, when `ttl` is
/// given, reason_ttl (`ttl` for any reply, 0 for no-response); also lists ports reported
/// but not requested. `what` (may be empty) prefixes the lines. Returns human-readable
/// mismatch lines.
pub fn mismatches<R: Reported>(
    ports: &[u16],
    got: &BTreeMap<u16, R>,
    proto: &str,
    what: &str,
    ttl: Option<u8>,
    expect: &dyn Fn(u16) -> (&'static str, &'static str, String),
) -> Vec<String> {
    let lead = if what.is_empty() {
        String::new()
    } else {
        format!("{what} ")
    };
    let mut bad = Vec::new();
    for &p in ports {
        let (es, er, kind) = expect(p);
        let Some(l) = got.get(&p) else {
            bad.push(format!(
                "{lead}{p}/{proto} missing (expected {es}/{er}, layout {kind})"
            ));
            continue;
        };
        let (s, r) = l.state_reason();
        let lt = l.reason_ttl();
        if s != es || r != er {
            bad.push(format!(
                "{lead}{p}/{proto}: got {s}/{r} (ttl {lt:?}), expected {es}/{er} (layout {kind})"
            ));
        } else if let Some(t) = ttl {
            let ettl = if er == "no-response" { 0 } else { t };
            if lt != Some(ettl) {
                bad.push(format!(
                    "{lead}{p}/{proto}: {s}/{r} with reason_ttl {lt:?}, expected {ettl} (layout {kind})"
                ));
            }
        }
    }
    let wanted: BTreeSet<u16> = ports.iter().copied().collect();
    let extra: Vec<u16> = got
        .keys()
        .copied()
        .filter(|p| !wanted.contains(p))
        .collect();
    if !extra.is_empty() {
        bad.push(format!(
            "{}{proto} ports reported that were not requested: {extra:?}",
            prefix(what)
        ));
    }
    bad
}

/// [`mismatches`] for TCP ports against one of the layout's TCP tables (`expected`);
/// messages name the port's [`PortKind`](super::PortKind).
pub fn tcp_mismatches<R: Reported>(
    layout: &Layout,
    ports: &[u16],
    got: &BTreeMap<u16, R>,
    what: &str,
    ttl: Option<u8>,
    expected: &dyn Fn(u16) -> (&'static str, &'static str),
) -> Vec<String> {
    mismatches(ports, got, "tcp", what, ttl, &|p| {
        let (s, r) = expected(p);
        (s, r, format!("{:?}", layout.kind(p)))
    })
}

/// [`mismatches`] for UDP ports against the layout's UDP table over `family`, with
/// reason_ttl [`TARGET_TTL`]; messages name the port's [`UdpKind`](super::UdpKind).
pub fn udp_mismatches<R: Reported>(
    layout: &Layout,
    family: super::Family,
    ports: &[u16],
    got: &BTreeMap<u16, R>,
    what: &str,
) -> Vec<String> {
    mismatches(ports, got, "udp", what, Some(TARGET_TTL), &|p| {
        let (s, r) = layout.expected_udp(p, family);
        (s, r, format!("{:?}", layout.udp_kind(p)))
    })
}

/// The first 60 mismatch lines, indented, and how many more there are.
pub fn summarize(bad: &[String]) -> String {
    let mut s: String = bad.iter().take(60).map(|l| format!("  {l}\n")).collect();
    if bad.len() > 60 {
        s += &format!("  ... and {} more\n", bad.len() - 60);
    }
    s
}

/// Ports for the smaller scans: 1-2000 plus every special port of the layout; returns
/// (the `-p` spec, the ports).
pub fn port_list(layout: &Layout) -> (String, Vec<u16>) {
    let high: Vec<u16> = layout
        .special_ports()
        .into_iter()
        .filter(|&p| p > 2000)
        .collect();
    let mut ports: Vec<u16> = (1..=2000).collect();
    ports.extend(&high);
    let spec = std::iter::once("1-2000".to_string())
        .chain(high.iter().map(u16::to_string))
        .collect::<Vec<_>>()
        .join(",");
    (spec, ports)
}
