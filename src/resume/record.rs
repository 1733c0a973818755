//! Host results as the state file stores them (JSON), and back: every field a reporter reads,
//! so that a resumed scan's outputs are the ones an uninterrupted run would have written.

use scanfw_core::result::{HostResult, HostStatus, Hostname, HostnameKind, PortResult, RttTimes};
use scanfw_core::{PortState, Protocol, Reason};
use serde_json::{json, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn micros(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

fn dur(d: Duration) -> u64 {
    d.as_micros() as u64
}

/// A host result as JSON.
pub fn to_json(h: &HostResult) -> Value {
    json!({
        "addr": h.addr.to_string(),
        "hostnames": h.hostnames.iter().map(|n| json!([n.name, n.kind.as_str()])).collect::<Vec<_>>(),
        "status": [h.status.up, h.status.reason.as_str(), h.status.reason_ttl],
        "mac": h.mac.map(|m| m.to_vec()),
        "ports": h.ports.iter().map(|p| json!([p.protocol.as_str(), p.port, p.state.as_str(), p.reason.as_str(), p.reason_ttl])).collect::<Vec<_>>(),
        "start_us": micros(h.start),
        "end_us": micros(h.end),
        "timed_out": h.timed_out,
        "partial": h.partial,
        "times_us": h.times.map(|t| [dur(t.srtt), dur(t.rttvar), dur(t.timeout)]),
    })
}

fn s<'a>(v: &'a Value, what: &str) -> Result<&'a str, String> {
    v.as_str()
        .ok_or_else(|| format!("{what}: expected a string"))
}

fn n(v: &Value, what: &str) -> Result<u64, String> {
    v.as_u64()
        .ok_or_else(|| format!("{what}: expected a number"))
}

fn b(v: &Value, what: &str) -> Result<bool, String> {
    v.as_bool()
        .ok_or_else(|| format!("{what}: expected true or false"))
}

fn u8_of(v: &Value, what: &str) -> Result<u8, String> {
    u8::try_from(n(v, what)?).map_err(|_| format!("{what}: out of range"))
}

fn reason(v: &Value) -> Result<Reason, String> {
    let r = s(v, "reason")?;
    Reason::parse(r).ok_or_else(|| format!("unknown reason `{r}`"))
}

fn time(v: &Value, what: &str) -> Result<SystemTime, String> {
    Ok(UNIX_EPOCH + Duration::from_micros(n(v, what)?))
}

/// A host result from JSON written by [`to_json`].
pub fn from_json(v: &Value) -> Result<HostResult, String> {
    let addr = s(&v["addr"], "addr")?;
    let addr = addr.parse().map_err(|_| format!("bad address `{addr}`"))?;
    let mut hostnames = Vec::new();
    for h in v["hostnames"]
        .as_array()
        .ok_or("hostnames: expected a list")?
    {
        let kind = match s(&h[1], "hostname kind")? {
            "user" => HostnameKind::User,
            "PTR" => HostnameKind::Ptr,
            other => return Err(format!("unknown host name kind `{other}`")),
        };
        hostnames.push(Hostname {
            name: s(&h[0], "hostname")?.to_string(),
            kind,
        });
    }
    let st = &v["status"];
    let status = HostStatus {
        up: b(&st[0], "status")?,
        reason: reason(&st[1])?,
        reason_ttl: u8_of(&st[2], "status ttl")?,
    };
    let mac = match &v["mac"] {
        Value::Null => None,
        m => {
            let bytes: Vec<u8> = m
                .as_array()
                .ok_or("mac: expected a list")?
                .iter()
                .map(|x| u8_of(x, "mac"))
                .collect::<Result<_, _>>()?;
            Some(bytes.try_into().map_err(|_| "mac: not 6 bytes")?)
        }
    };
    let mut ports = Vec::new();
    for p in v["ports"].as_array().ok_or("ports: expected a list")? {
        let protocol = match s(&p[0], "protocol")? {
            "tcp" => Protocol::Tcp,
            "udp" => Protocol::Udp,
            other => return Err(format!("unknown protocol `{other}`")),
        };
        let state = s(&p[2], "state")?;
        ports.push(PortResult {
            protocol,
            port: u16::try_from(n(&p[1], "port")?).map_err(|_| "port: out of range")?,
            state: PortState::parse(state).ok_or_else(|| format!("unknown state `{state}`"))?,
            reason: reason(&p[3])?,
            reason_ttl: u8_of(&p[4], "port ttl")?,
        });
    }
    let times = match &v["times_us"] {
        Value::Null => None,
        t => Some(RttTimes {
            srtt: Duration::from_micros(n(&t[0], "srtt")?),
            rttvar: Duration::from_micros(n(&t[1], "rttvar")?),
            timeout: Duration::from_micros(n(&t[2], "timeout")?),
        }),
    };
    Ok(HostResult {
        addr,
        hostnames,
        status,
        mac,
        ports,
        start: time(&v["start_us"], "start")?,
        end: time(&v["end_us"], "end")?,
        timed_out: b(&v["timed_out"], "timed_out")?,
        partial: b(&v["partial"], "partial")?,
        times,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> HostResult {
        HostResult {
            addr: "198.18.0.2".parse().expect("ip"),
            hostnames: vec![
                Hostname {
                    name: "web".into(),
                    kind: HostnameKind::User,
                },
                Hostname {
                    name: "web.example".into(),
                    kind: HostnameKind::Ptr,
                },
            ],
            status: HostStatus {
                up: true,
                reason: Reason::SynAck,
                reason_ttl: 64,
            },
            mac: Some([2, 0, 0, 0, 0, 9]),
            ports: vec![
                PortResult {
                    protocol: Protocol::Tcp,
                    port: 22,
                    state: PortState::Open,
                    reason: Reason::SynAck,
                    reason_ttl: 64,
                },
                PortResult {
                    protocol: Protocol::Udp,
                    port: 53,
                    state: PortState::OpenFiltered,
                    reason: Reason::NoResponse,
                    reason_ttl: 0,
                },
            ],
            start: UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456),
            end: UNIX_EPOCH + Duration::from_micros(1_700_000_001_000_001),
            timed_out: false,
            partial: true,
            times: Some(RttTimes {
                srtt: Duration::from_micros(120),
                rttvar: Duration::from_micros(50),
                timeout: Duration::from_millis(100),
            }),
        }
    }

    #[test]
    fn a_host_survives_the_round_trip() {
        let h = host();
        assert_eq!(from_json(&to_json(&h)), Ok(h.clone()));
        let bare = HostResult {
            mac: None,
            times: None,
            hostnames: vec![],
            ports: vec![],
            ..h
        };
        assert_eq!(from_json(&to_json(&bare)), Ok(bare));
    }

    #[test]
    fn damaged_records_are_errors() {
        let good = to_json(&host());
        for (key, bad) in [
            ("addr", json!("nope")),
            ("status", json!([true, "no-such-reason", 1])),
            ("ports", json!([["sctp", 1, "open", "syn-ack", 0]])),
            ("mac", json!([1, 2, 3])),
            ("partial", json!("yes")),
        ] {
            let mut v = good.clone();
            v[key] = bad;
            assert!(from_json(&v).is_err(), "{key}");
        }
    }
}
