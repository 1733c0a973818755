//! Reading a [`Snapshot`] from a report file: scanfw JSON, or scanfw / nmap XML (both follow
//! nmap's DTD). The format is recognised by the first non-blank byte.

use super::{SnapHost, Snapshot};
use quick_xml::events::{BytesStart, Event};
use scanfw_core::ports::PortSpec;
use scanfw_core::{PortState, Protocol};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;
use thiserror::Error;

/// The largest report read (256 MiB).
const MAX_REPORT: u64 = 256 << 20;

/// Why a report could not be read.
#[derive(Debug, Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read report `{path}`: {detail}")]
    Read {
        /// The path.
        path: String,
        /// What went wrong.
        detail: String,
    },
    /// The file is not a report scanfw understands.
    #[error("`{path}` is not a scanfw JSON, scanfw XML or nmap XML report: {detail}")]
    Format {
        /// The path.
        path: String,
        /// What is wrong with it.
        detail: String,
    },
}

/// Reads the report at `path`.
pub fn load(path: &Path) -> Result<Snapshot, LoadError> {
    let shown = path.display().to_string();
    let text =
        scanfw_core::target::read_bounded(path, MAX_REPORT).map_err(|e| LoadError::Read {
            path: shown.clone(),
            detail: match e {
                scanfw_core::target::Bounded::Io(e) => e.to_string(),
                scanfw_core::target::Bounded::TooLarge => {
                    format!("it is larger than {} MiB", MAX_REPORT >> 20)
                }
            },
        })?;
    parse(&text, &shown)
}

/// Parses report text; `source` names it in messages.
pub fn parse(text: &str, source: &str) -> Result<Snapshot, LoadError> {
    let format = |detail: String| LoadError::Format {
        path: source.to_string(),
        detail,
    };
    let mut snap = match text.trim_start().as_bytes().first() {
        Some(b'{') => json(text).map_err(format)?,
        Some(b'<') => xml(text).map_err(format)?,
        _ => return Err(format("it starts with neither `{` nor `<`".to_string())),
    };
    snap.source = source.to_string();
    Ok(snap)
}

fn protocol(s: &str) -> Result<Protocol, String> {
    match s {
        "tcp" => Ok(Protocol::Tcp),
        "udp" => Ok(Protocol::Udp),
        other => Err(format!("unknown protocol `{other}`")),
    }
}

fn state(s: &str) -> Result<PortState, String> {
    PortState::parse(s).ok_or_else(|| format!("unknown port state `{s}`"))
}

fn address(s: &str) -> Result<IpAddr, String> {
    s.parse().map_err(|_| format!("bad address `{s}`"))
}

/// Adds the ports of a `services` range list (`1-1000,8080`) to `snap.scanned`.
fn scanned(snap: &mut Snapshot, proto: Protocol, services: &str) -> Result<(), String> {
    if services.trim().is_empty() {
        return Ok(());
    }
    let spec = PortSpec::parse(services).map_err(|e| format!("bad services `{services}`: {e}"))?;
    for p in spec.for_protocol(proto).iter() {
        snap.scanned.insert((proto, p));
    }
    Ok(())
}

fn json(text: &str) -> Result<Snapshot, String> {
    let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if doc.get("scanner").and_then(|v| v.as_str()) != Some("scanfw") {
        return Err("a JSON document without `\"scanner\": \"scanfw\"`".to_string());
    }
    let mut snap = Snapshot::default();
    let str_of = |v: &serde_json::Value, k: &str| -> Result<String, String> {
        v.get(k)
            .and_then(|x| x.as_str())
            .map(str::to_string)
            .ok_or_else(|| format!("missing string `{k}`"))
    };
    for s in doc
        .get("scans")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        let proto = protocol(&str_of(s, "protocol")?)?;
        scanned(&mut snap, proto, &str_of(s, "services")?)?;
    }
    let hosts = doc
        .get("hosts")
        .and_then(|v| v.as_array())
        .ok_or("missing `hosts` array")?;
    for h in hosts {
        let addr = address(&str_of(h, "address")?)?;
        let up = h
            .get("status")
            .map(|s| str_of(s, "state"))
            .transpose()?
            .is_some_and(|s| s == "up");
        let flag = |k: &str| h.get(k).and_then(|v| v.as_bool()).unwrap_or(false);
        let mut host = SnapHost {
            up,
            partial: flag("timedout") || flag("partial"),
            ..SnapHost::default()
        };
        for p in h
            .get("ports")
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten()
        {
            let proto = protocol(&str_of(p, "protocol")?)?;
            let port = p
                .get("port")
                .and_then(|v| v.as_u64())
                .and_then(|n| u16::try_from(n).ok())
                .ok_or("bad `port`")?;
            host.ports
                .insert((proto, port), state(&str_of(p, "state")?)?);
        }
        snap.hosts.insert(addr, host);
    }
    Ok(snap)
}

fn attr(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, String> {
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        // Raw values: the attributes read here (addresses, states, numbers, port ranges)
        // never contain entities.
        if a.key.as_ref() == name {
            return Ok(Some(a.value.to_string()));
        }
    }
    Ok(None)
}

fn need(e: &BytesStart<'_>, name: &str) -> Result<String, String> {
    attr(e, name)?.ok_or_else(|| format!("<{}> without `{name}`", e.name().as_ref()))
}

/// A host being read: its address, whether up, whether timed out, its ports and the
/// `<extraports>` counts by state.
#[derive(Default)]
struct XmlHost {
    addr: Option<IpAddr>,
    host: SnapHost,
    extra: BTreeMap<PortState, u64>,
    port: Option<(Protocol, u16)>,
}

fn xml(text: &str) -> Result<Snapshot, String> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut snap = Snapshot::default();
    let mut root = false;
    let mut cur: Option<XmlHost> = None;
    loop {
        let ev = reader.read_event().map_err(|e| e.to_string())?;
        let (e, empty) = match &ev {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                match e.name().as_ref() {
                    "host" => {
                        let h = cur.take().ok_or("</host> without <host>")?;
                        let mut host = h.host;
                        host.unlisted = h.extra.iter().max_by_key(|(_, &n)| n).map(|(&s, _)| s);
                        let addr = h.addr.ok_or("a <host> without an IP <address>")?;
                        snap.hosts.insert(addr, host);
                    }
                    "port" => {
                        if let Some(h) = cur.as_mut() {
                            h.port = None;
                        }
                    }
                    _ => {}
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        match e.name().as_ref() {
            "nmaprun" => root = true,
            "scaninfo" => {
                let proto = protocol(&need(e, "protocol")?)?;
                scanned(&mut snap, proto, &attr(e, "services")?.unwrap_or_default())?;
            }
            "host" if !empty => {
                let mut h = XmlHost::default();
                // Hosts that hit --host-timeout carry `timedout="true"` on <host>.
                h.host.partial = attr(e, "timedout")?.as_deref() == Some("true");
                cur = Some(h);
            }
            "address" => {
                if let Some(h) = cur.as_mut() {
                    let kind = attr(e, "addrtype")?.unwrap_or_default();
                    if kind == "ipv4" || kind == "ipv6" {
                        h.addr = Some(address(&need(e, "addr")?)?);
                    }
                }
            }
            "status" => {
                if let Some(h) = cur.as_mut() {
                    h.host.up = need(e, "state")? == "up";
                }
            }
            "port" => {
                if let Some(h) = cur.as_mut() {
                    let proto = protocol(&need(e, "protocol")?)?;
                    let id = need(e, "portid")?;
                    let port = id.parse().map_err(|_| format!("bad portid `{id}`"))?;
                    h.port = (!empty).then_some((proto, port));
                }
            }
            "state" => {
                if let Some(h) = cur.as_mut() {
                    if let Some(key) = h.port {
                        h.host.ports.insert(key, state(&need(e, "state")?)?);
                    }
                }
            }
            "extraports" => {
                if let Some(h) = cur.as_mut() {
                    let s = state(&need(e, "state")?)?;
                    let n = attr(e, "count")?.and_then(|c| c.parse().ok()).unwrap_or(0);
                    *h.extra.entry(s).or_insert(0) += n;
                }
            }
            _ => {}
        }
    }
    if !root {
        return Err("an XML document without <nmaprun>".to_string());
    }
    // A run cut short leaves its last host open (no </host>): it is incomplete.
    if let Some(h) = cur {
        if let Some(addr) = h.addr {
            let mut host = h.host;
            host.partial = true;
            snap.hosts.insert(addr, host);
        }
    }
    Ok(snap)
}
