//! Readers for scan results: scanfw's JSON document (`-oJ`) and nmap's XML (`-oX`).

use std::collections::BTreeMap;

/// One port line of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortLine {
    pub protocol: String,
    pub port: u16,
    pub state: String,
    pub reason: String,
    /// TTL / hop limit of the reply that decided the state (scanfw JSON `reason_ttl`;
    /// nmap XML `reason_ttl`); `None` when the document has none.
    pub reason_ttl: Option<u8>,
}

/// The ports of one host, as listed in a report (duplicates kept, in document order).
#[derive(Debug, Clone, Default)]
pub struct HostPorts {
    pub address: String,
    pub ports: Vec<PortLine>,
    /// nmap `<extraports state="closed" count="N">` groups (port -> not listed). For XML
    /// only; scanfw's JSON lists every port.
    pub extraports: Vec<(String, u32, Vec<String>)>,
    /// nmap XML `<status state="...">` of the host (`up`, `down`); empty when the
    /// document has none (scanfw's JSON).
    pub status: String,
    /// nmap XML `<hostname name="..." type="...">` entries: (name, type), e.g.
    /// `("b37.block.sfwlab.test", "PTR")`.
    pub hostnames: Vec<(String, String)>,
}

impl HostPorts {
    /// Map port -> (state, reason) for one protocol. Errors on duplicates.
    pub fn by_port(&self, protocol: &str) -> Result<BTreeMap<u16, (String, String)>, String> {
        let mut m = BTreeMap::new();
        for p in self.ports.iter().filter(|p| p.protocol == protocol) {
            if m.insert(p.port, (p.state.clone(), p.reason.clone()))
                .is_some()
            {
                return Err(format!(
                    "port {}/{} listed more than once",
                    p.port, protocol
                ));
            }
        }
        Ok(m)
    }
}

/// Parse scanfw's JSON document; returns its hosts.
pub fn parse_scanfw_json(text: &str) -> Result<Vec<HostPorts>, String> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    if doc.get("scanner").and_then(|v| v.as_str()) != Some("scanfw") {
        return Err(format!(
            "JSON `scanner` is not \"scanfw\": {:?}",
            doc.get("scanner")
        ));
    }
    let hosts = doc
        .get("hosts")
        .and_then(|v| v.as_array())
        .ok_or("JSON has no `hosts` array")?;
    let mut out = Vec::new();
    for h in hosts {
        let address = h
            .get("address")
            .and_then(|v| v.as_str())
            .ok_or("host without `address`")?
            .to_string();
        let ports = h
            .get("ports")
            .and_then(|v| v.as_array())
            .ok_or("host without `ports` array")?;
        let mut hp = HostPorts {
            address,
            ..Default::default()
        };
        for p in ports {
            let s = |k: &str| -> Result<String, String> {
                p.get(k)
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
                    .ok_or_else(|| format!("port entry without string `{k}`: {p}"))
            };
            let port = p
                .get("port")
                .and_then(|v| v.as_u64())
                .filter(|n| (1..=65535).contains(n))
                .ok_or_else(|| format!("port entry with bad `port`: {p}"))?
                as u16;
            hp.ports.push(PortLine {
                protocol: s("protocol")?,
                port,
                state: s("state")?,
                reason: s("reason")?,
                reason_ttl: p
                    .get("reason_ttl")
                    .and_then(|v| v.as_u64())
                    .and_then(|n| u8::try_from(n).ok()),
            });
        }
        out.push(hp);
    }
    Ok(out)
}

/// The `stats` object of scanfw's JSON document (run statistics).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanStats {
    pub elapsed: f64,
    pub probes_sent: u64,
    pub retransmissions: u64,
    pub hosts_up: u64,
    pub hosts_total: u64,
    pub exit: String,
    /// `stats.replies`: (verified, unverified, rejected, challenges).
    pub replies: (u64, u64, u64, u64),
}

/// Parse the `stats` object of scanfw's JSON document.
pub fn parse_scanfw_stats(text: &str) -> Result<ScanStats, String> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let st = doc.get("stats").ok_or("JSON has no `stats` object")?;
    let u = |k: &str| -> Result<u64, String> {
        st.get(k)
            .and_then(|v| v.as_u64())
            .ok_or_else(|| format!("stats without integer `{k}`: {st}"))
    };
    let hosts = st.get("hosts").ok_or("stats without `hosts`")?;
    let hu = |k: &str| -> Result<u64, String> {
        hosts
            .get(k)
            .and_then(|v| v.as_u64())
            .ok_or_else(|| format!("stats.hosts without integer `{k}`: {hosts}"))
    };
    Ok(ScanStats {
        elapsed: st
            .get("elapsed")
            .and_then(|v| v.as_f64())
            .ok_or("stats without `elapsed`")?,
        probes_sent: u("probes_sent")?,
        retransmissions: u("retransmissions")?,
        hosts_up: hu("up")?,
        hosts_total: hu("total")?,
        replies: {
            let r = st.get("replies").ok_or("stats without `replies`")?;
            let n = |k: &str| {
                r.get(k)
                    .and_then(|v| v.as_u64())
                    .ok_or_else(|| format!("stats.replies without integer `{k}`: {r}"))
            };
            (
                n("verified")?,
                n("unverified")?,
                n("rejected")?,
                n("challenges")?,
            )
        },
        exit: st
            .get("exit")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string(),
    })
}

/// Parse nmap's XML output (`-oX`): per host, its address and listed `<port>`s with
/// state and reason, plus `<extraports>` summaries.
pub fn parse_nmap_xml(text: &str) -> Result<Vec<HostPorts>, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut hosts: Vec<HostPorts> = Vec::new();
    let mut cur_port: Option<PortLine> = None;
    let mut cur_extra: Option<(String, u32, Vec<String>)> = None;
    // Inside `<hosthint>` (nmap announces hosts found up during discovery with a status
    // and an address of their own): skipped, the `<host>` element follows.
    let mut in_hint = false;
    fn attrs(e: &quick_xml::events::BytesStart<'_>) -> Result<BTreeMap<String, String>, String> {
        let mut m = BTreeMap::new();
        for a in e.attributes() {
            let a = a.map_err(|e| format!("bad XML attribute: {e}"))?;
            // Raw values: the ones we read (addresses, states, reasons, numbers) never
            // contain entities.
            m.insert(a.key.as_ref().to_string(), a.value.to_string());
        }
        Ok(m)
    }
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| format!("bad XML at {}: {e}", reader.buffer_position()))?;
        let (e, empty) = match &ev {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                match e.name().as_ref() {
                    "hosthint" => in_hint = false,
                    "port" => {
                        if let (Some(p), Some(h)) = (cur_port.take(), hosts.last_mut()) {
                            h.ports.push(p);
                        }
                    }
                    "extraports" => {
                        if let (Some(x), Some(h)) = (cur_extra.take(), hosts.last_mut()) {
                            h.extraports.push(x);
                        }
                    }
                    _ => {}
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        if e.name().as_ref() == "hosthint" {
            in_hint = !empty;
            continue;
        }
        if in_hint {
            continue;
        }
        let a = attrs(e)?;
        match e.name().as_ref() {
            "host" => hosts.push(HostPorts::default()),
            "address" => {
                if let Some(h) = hosts.last_mut() {
                    if matches!(a.get("addrtype").map(String::as_str), Some("ipv4" | "ipv6")) {
                        h.address = a.get("addr").cloned().unwrap_or_default();
                    }
                }
            }
            "port" => {
                let port = a
                    .get("portid")
                    .and_then(|p| p.parse().ok())
                    .ok_or_else(|| format!("<port> without valid portid: {a:?}"))?;
                let p = PortLine {
                    protocol: a.get("protocol").cloned().unwrap_or_default(),
                    port,
                    state: String::new(),
                    reason: String::new(),
                    reason_ttl: None,
                };
                if empty {
                    if let Some(h) = hosts.last_mut() {
                        h.ports.push(p);
                    }
                } else {
                    cur_port = Some(p);
                }
            }
            "state" => {
                if let Some(p) = cur_port.as_mut() {
                    p.state = a.get("state").cloned().unwrap_or_default();
                    p.reason = a.get("reason").cloned().unwrap_or_default();
                    p.reason_ttl = a.get("reason_ttl").and_then(|t| t.parse().ok());
                }
            }
            "extraports" => {
                let x = (
                    a.get("state").cloned().unwrap_or_default(),
                    a.get("count").and_then(|c| c.parse().ok()).unwrap_or(0),
                    Vec::new(),
                );
                if empty {
                    if let Some(h) = hosts.last_mut() {
                        h.extraports.push(x);
                    }
                } else {
                    cur_extra = Some(x);
                }
            }
            "status" => {
                if let Some(h) = hosts.last_mut() {
                    h.status = a.get("state").cloned().unwrap_or_default();
                }
            }
            "hostname" => {
                if let Some(h) = hosts.last_mut() {
                    h.hostnames.push((
                        a.get("name").cloned().unwrap_or_default(),
                        a.get("type").cloned().unwrap_or_default(),
                    ));
                }
            }
            "extrareasons" => {
                if let Some(x) = cur_extra.as_mut() {
                    x.2.push(a.get("reason").cloned().unwrap_or_default());
                }
            }
            _ => {}
        }
    }
    Ok(hosts)
}
