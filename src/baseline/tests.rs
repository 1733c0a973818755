use super::*;
use scanfw_core::audit::{FindingKind, Observed};

/// An nmap XML report: 198.18.0.2 up with 22 open, 80 open, the rest closed; 198.18.0.3 up
/// with 443 open; scanned T:1-1000.
const NMAP_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<nmaprun scanner="nmap" args="nmap -p1-1000 198.18.0.2-3" start="1" version="7.93" xmloutputversion="1.05">
<scaninfo type="syn" protocol="tcp" numservices="1000" services="1-1000"/>
<host starttime="1" endtime="2"><status state="up" reason="arp-response" reason_ttl="0"/>
<address addr="198.18.0.2" addrtype="ipv4"/><address addr="02:00:00:00:00:02" addrtype="mac"/>
<hostnames><hostname name="web.example" type="PTR"/></hostnames>
<ports><extraports state="closed" count="998"><extrareasons reason="reset" count="998"/></extraports>
<port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="ssh" method="table" conf="3"/></port>
<port protocol="tcp" portid="80"><state state="open" reason="syn-ack" reason_ttl="64"/><service name="http" method="table" conf="3"/></port>
</ports></host>
<host starttime="1" endtime="2"><status state="up" reason="arp-response" reason_ttl="0"/>
<address addr="198.18.0.3" addrtype="ipv4"/>
<ports><extraports state="filtered" count="999"/>
<port protocol="tcp" portid="443"><state state="open" reason="syn-ack" reason_ttl="64"/></port>
</ports></host>
<runstats><finished time="2"/><hosts up="2" down="0" total="2"/></runstats>
</nmaprun>
"#;

/// The same network later, as scanfw JSON: 22 still open, 80 now closed, 8080 newly open
/// (service name differences do not matter); 198.18.0.3 gone; 198.18.0.4 new.
const SCANFW_JSON: &str = r#"{"scanner":"scanfw","version":"0.1.0","args":["scanfw"],"start":1,
"startstr":"x","scans":[{"type":"syn","protocol":"tcp","numservices":8080,"services":"1-8080"}],
"scopes":[],"hosts":[
{"address":"198.18.0.2","addrtype":"ipv4","mac":null,"hostnames":[],"status":{"state":"up","reason":"arp-response","reason_ttl":0},
 "starttime":1,"endtime":2,"timedout":false,"partial":false,"times":null,"ports":[
 {"protocol":"tcp","port":22,"state":"open","reason":"syn-ack","reason_ttl":64,"service":"renamed"},
 {"protocol":"tcp","port":80,"state":"closed","reason":"reset","reason_ttl":64,"service":"http"},
 {"protocol":"tcp","port":8080,"state":"open","reason":"syn-ack","reason_ttl":64,"service":null}]},
{"address":"198.18.0.4","addrtype":"ipv4","mac":null,"hostnames":[],"status":{"state":"up","reason":"syn-ack","reason_ttl":64},
 "starttime":1,"endtime":2,"timedout":false,"partial":false,"times":null,"ports":[]}],
"stats":{}}"#;

fn kinds(f: &[scanfw_core::audit::Finding]) -> Vec<(FindingKind, String, Option<u16>, Observed)> {
    f.iter()
        .map(|f| (f.kind, f.host.to_string(), f.port, f.state))
        .collect()
}

#[test]
fn nmap_xml_and_scanfw_json_are_read() {
    let old = parse(NMAP_XML, "old.xml").expect("xml");
    assert_eq!(old.hosts.len(), 2);
    assert_eq!(old.scanned.len(), 1000);
    let h = &old.hosts[&"198.18.0.2".parse::<IpAddr>().expect("ip")];
    assert!(h.up && !h.partial);
    assert!(h.is_open((Protocol::Tcp, 22)) && !h.is_open((Protocol::Tcp, 23)));
    assert_eq!(
        h.state((Protocol::Tcp, 23)),
        Some(PortState::Closed),
        "from <extraports>"
    );
    let new = parse(SCANFW_JSON, "new.json").expect("json");
    assert_eq!((new.hosts.len(), new.scanned.len()), (2, 8080));
}

#[test]
fn changes_are_findings_and_only_common_ports_count() {
    let old = parse(NMAP_XML, "old.xml").expect("xml");
    let new = parse(SCANFW_JSON, "new.json").expect("json");
    let f = compare(&old, &new);
    assert_eq!(
        kinds(&f),
        vec![
            (
                FindingKind::ClosedSince,
                "198.18.0.2".into(),
                Some(80),
                Observed::Port(PortState::Closed)
            ),
            (
                FindingKind::GoneHost,
                "198.18.0.3".into(),
                None,
                Observed::Down
            ),
            (
                FindingKind::NewHost,
                "198.18.0.4".into(),
                None,
                Observed::Up
            ),
        ],
        "8080 was not scanned before: not a finding"
    );
    assert!(f.iter().all(|x| x.rule == "baseline old.xml"));
    let back = compare(&new, &old);
    assert_eq!(
        kinds(&back),
        vec![
            (
                FindingKind::NewOpen,
                "198.18.0.2".into(),
                Some(80),
                Observed::Port(PortState::Open)
            ),
            (
                FindingKind::NewHost,
                "198.18.0.3".into(),
                None,
                Observed::Up
            ),
            (
                FindingKind::GoneHost,
                "198.18.0.4".into(),
                None,
                Observed::Down
            ),
        ]
    );
    assert!(compare(&old, &old).is_empty(), "a run equals itself");
}

#[test]
fn incomplete_hosts_are_not_compared_port_by_port() {
    let old = parse(NMAP_XML, "old.xml").expect("xml");
    // An nmap run killed mid-host leaves that host unclosed: read, but as incomplete.
    let cut = NMAP_XML
        .split("</port>\n</ports></host>")
        .next()
        .expect("cut")
        .to_string();
    let new = parse(&cut, "cut.xml").expect("cut XML is read");
    let h = &new.hosts[&"198.18.0.2".parse::<IpAddr>().expect("ip")];
    assert!(h.partial, "the unclosed host is incomplete");
    assert!(compare(&old, &new).iter().all(|x| x.port.is_none()));
    let partial = SCANFW_JSON.replace("\"partial\":false", "\"partial\":true");
    let new = parse(&partial, "p.json").expect("json");
    let f = compare(&old, &new);
    assert!(
        f.iter().all(|x| x.port.is_none()),
        "no port findings for partial hosts: {f:?}"
    );
}

#[test]
fn bad_reports_are_refused_with_a_reason() {
    for (text, want) in [
        ("", "starts with neither"),
        ("{\"scanner\":\"other\"}", "scanner"),
        ("{\"scanner\":\"scanfw\"}", "hosts"),
        ("<html></html>", "without <nmaprun>"),
        ("<nmaprun><host><status state=\"up\"/></host></nmaprun>", "without an IP <address>"),
        (
            "<nmaprun><host><address addr=\"x\" addrtype=\"ipv4\"/></host></nmaprun>",
            "bad address",
        ),
        ("{\"scanner\":\"scanfw\",\"hosts\":[{\"address\":\"198.18.0.2\",\"ports\":[{\"protocol\":\"sctp\",\"port\":1,\"state\":\"open\"}]}]}", "unknown protocol"),
    ] {
        let e = parse(text, "r").expect_err(text).to_string();
        assert!(e.contains(want), "{text}: {e}");
    }
}
