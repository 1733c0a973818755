use super::{comment_safe, xml_safe, XmlReporter};
use crate::fixtures::{
    discovery_start, host, named, on_link, port, render, start, summary, thousand_ports,
};
use scanfw_core::{HostResult, PortState, Reason, ReportOptions, VERSION};

pub(crate) fn xml_doc(
    opts: ReportOptions,
    hosts: &[HostResult],
    interrupted: Option<&str>,
) -> String {
    let up = hosts.iter().filter(|h| h.status.up).count() as u64;
    let down = hosts.len() as u64 - up;
    render(
        XmlReporter::boxed,
        opts,
        &start("1-1000"),
        hosts,
        &summary(up, down, interrupted),
    )
}

#[test]
fn xml_document_matches_nmap_shape() {
    let h = named(host("127.0.0.1", thousand_ports()), "localhost");
    let out = xml_doc(ReportOptions::default(), &[h], None);
    let expected = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<?xml-stylesheet href="file:///usr/share/nmap/nmap.xsl" type="text/xsl"?>
<!-- scanfw {VERSION} scan initiated Sat Mar  9 16:00:00 2024 as: scanfw -sT -&#45;top-ports 1000 127.0.0.1 -->
<nmaprun scanner="nmap" args="scanfw -sT --top-ports 1000 127.0.0.1" start="1710000000" startstr="Sat Mar  9 16:00:00 2024" version="{VERSION}" xmloutputversion="1.05">
<scaninfo type="connect" protocol="tcp" numservices="1000" services="1-1000"/>
<verbose level="0"/>
<debugging level="0"/>
<host starttime="1710000000" endtime="1710000001"><status state="up" reason="user-set" reason_ttl="0"/>
<address addr="127.0.0.1" addrtype="ipv4"/>
<hostnames>
<hostname name="localhost" type="user"/>
</hostnames>
<ports><extraports state="closed" count="997">
<extrareasons reason="conn-refused" count="997" proto="tcp" ports="1-21,23-79,81-442,444-1000"/>
</extraports>
<port protocol="tcp" portid="22"><state state="open" reason="syn-ack" reason_ttl="0"/><service name="ssh" method="table" conf="3"/></port>
<port protocol="tcp" portid="80"><state state="open" reason="syn-ack" reason_ttl="0"/><service name="http" method="table" conf="3"/></port>
<port protocol="tcp" portid="443"><state state="filtered" reason="no-response" reason_ttl="0"/><service name="https" method="table" conf="3"/></port>
</ports>
<times srtt="120" rttvar="50" to="100000"/>
</host>
<runstats><finished time="1710000001" timestr="Sat Mar  9 16:00:01 2024" summary="scanfw done at Sat Mar  9 16:00:01 2024; 1 IP address (1 host up) scanned in 0.52 seconds" elapsed="0.52" exit="success"/><hosts up="1" down="0" total="1"/>
</runstats>
</nmaprun>
"#
    );
    assert_eq!(out, expected);
}

fn closed_then_open(n: u16) -> Vec<scanfw_core::PortResult> {
    (1..=n)
        .map(|p| port(p, PortState::Closed, Reason::ConnRefused))
        .chain([port(8080, PortState::Open, Reason::SynAck)])
        .collect()
}

#[test]
fn xml_folds_26_ports_of_a_state_but_not_25() {
    let out = xml_doc(
        ReportOptions::default(),
        &[host("10.0.0.1", closed_then_open(25))],
        None,
    );
    assert!(!out.contains("<extraports"), "{out}");
    assert_eq!(out.matches("<port ").count(), 26);

    let out = xml_doc(
        ReportOptions::default(),
        &[host("10.0.0.1", closed_then_open(26))],
        None,
    );
    assert!(out.contains(
        "<extraports state=\"closed\" count=\"26\">\n<extrareasons reason=\"conn-refused\" count=\"26\" proto=\"tcp\" ports=\"1-26\"/>\n</extraports>"
    ));
    assert_eq!(out.matches("<port ").count(), 1);
}

#[test]
fn xml_open_only_counts_hidden_ports_into_extraports() {
    let mut ports = vec![
        port(21, PortState::Closed, Reason::ConnRefused),
        port(22, PortState::Open, Reason::SynAck),
        port(24, PortState::OpenFiltered, Reason::NoResponse),
    ];
    let mut reset = port(23, PortState::Filtered, Reason::HostUnreach);
    reset.reason_ttl = 61;
    ports.insert(2, reset);
    let opts = ReportOptions {
        open_only: true,
        reason: false,
    };
    let out = xml_doc(opts, &[host("10.0.0.2", ports)], None);
    assert!(out.contains("<extraports state=\"closed\" count=\"1\">\n<extrareasons reason=\"conn-refused\" count=\"1\" proto=\"tcp\" ports=\"21\"/>"), "{out}");
    assert!(out.contains("<extraports state=\"filtered\" count=\"1\">\n<extrareasons reason=\"host-unreach\" count=\"1\" proto=\"tcp\" ports=\"23\"/>"), "{out}");
    assert!(out.contains("portid=\"22\""));
    assert!(out.contains("<port protocol=\"tcp\" portid=\"24\"><state state=\"open|filtered\" reason=\"no-response\" reason_ttl=\"0\"/>"));
    assert_eq!(out.matches("<port ").count(), 2);
}

#[test]
fn xml_ipv6_timed_out_partial_and_down_hosts() {
    let mut v6 = host(
        "2001:db8::1",
        vec![port(22, PortState::Open, Reason::SynAck)],
    );
    v6.times = None;
    let mut slow = host("10.0.0.3", thousand_ports());
    slow.timed_out = true;
    let mut cut = host("10.0.0.4", vec![port(80, PortState::Open, Reason::SynAck)]);
    cut.partial = true;
    let mut down = host("10.0.0.5", Vec::new());
    down.status.up = false;
    down.status.reason = Reason::NoResponse;
    down.times = None;
    let out = xml_doc(ReportOptions::default(), &[v6, slow, cut, down], None);
    assert!(out.contains(
        "<address addr=\"2001:db8::1\" addrtype=\"ipv6\"/>\n<hostnames>\n</hostnames>\n<ports>"
    ));
    assert!(out.contains(
        "<host starttime=\"1710000000\" endtime=\"1710000001\" timedout=\"true\"><status"
    ));
    assert_eq!(
        out.matches("<ports>").count(),
        2,
        "no ports for timed-out/down hosts"
    );
    assert!(out.contains("comment=\"scan interrupted: results for this host are incomplete\""));
    assert!(out.contains("<status state=\"down\" reason=\"no-response\" reason_ttl=\"0\"/>\n<address addr=\"10.0.0.5\" addrtype=\"ipv4\"/>\n<hostnames>\n</hostnames>\n</host>"));
    assert!(out.contains("<hosts up=\"3\" down=\"1\" total=\"4\"/>"));
}

#[test]
fn xml_interrupted_document_is_closed() {
    let out = xml_doc(ReportOptions::default(), &[], Some("SIGINT <ctrl-c>"));
    assert!(
        out.contains("exit=\"error\" errormsg=\"Scan interrupted: SIGINT &lt;ctrl-c&gt;\"/>"),
        "{out}"
    );
    assert!(out.contains("summary=\"scanfw done at Sat Mar  9 16:00:01 2024; 0 IP addresses (0 hosts up) scanned in 0.52 seconds\""));
    assert!(out.ends_with("</runstats>\n</nmaprun>\n"));
}

#[test]
fn xml_text_is_escaped_and_comments_never_hold_double_dashes() {
    assert_eq!(comment_safe(" a --b ---c - "), " a -&#45;b -&#45;-c - ");
    assert_eq!(xml_safe("a\u{1}b\nc"), "a\u{FFFD}b c");
    let h = named(host("10.0.0.6", Vec::new()), "x\"<&>.example");
    let out = xml_doc(ReportOptions::default(), &[h], None);
    assert!(out.contains("<hostname name=\"x&quot;&lt;&amp;&gt;.example\" type=\"user\"/>"));
}

#[test]
fn xml_mac_address_follows_the_ip_address() {
    let mut v6 = on_link(
        "fe80::42:c6ff:fe12:2",
        vec![port(22, PortState::Open, Reason::SynAck)],
    );
    v6.status.reason = Reason::NdResponse;
    let out = xml_doc(
        ReportOptions::default(),
        &[
            named(on_link("192.0.2.1", thousand_ports()), "gw.example"),
            v6,
            host("192.0.2.3", Vec::new()),
        ],
        None,
    );
    assert!(
        out.contains(
            "<status state=\"up\" reason=\"arp-response\" reason_ttl=\"0\"/>\n\
             <address addr=\"192.0.2.1\" addrtype=\"ipv4\"/>\n\
             <address addr=\"02:42:C6:12:00:02\" addrtype=\"mac\"/>\n\
             <hostnames>\n<hostname name=\"gw.example\" type=\"user\"/>"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "<status state=\"up\" reason=\"nd-response\" reason_ttl=\"0\"/>\n\
             <address addr=\"fe80::42:c6ff:fe12:2\" addrtype=\"ipv6\"/>\n\
             <address addr=\"02:42:C6:12:00:02\" addrtype=\"mac\"/>\n<hostnames>"
        ),
        "{out}"
    );
    assert!(
        out.contains("<address addr=\"192.0.2.3\" addrtype=\"ipv4\"/>\n<hostnames>"),
        "a host without a MAC has one address: {out}"
    );
    assert_eq!(out.matches("addrtype=\"mac\"").count(), 2);
    assert!(
        !out.contains("vendor="),
        "scanfw has no vendor table: {out}"
    );
}

#[test]
fn xml_timed_out_host_keeps_its_mac_address() {
    // nmap writes a timed-out host's addresses (the MAC included), only its ports go.
    let mut slow = on_link("192.0.2.2", thousand_ports());
    slow.timed_out = true;
    let out = xml_doc(ReportOptions::default(), &[slow], None);
    assert!(
        out.contains("<address addr=\"02:42:C6:12:00:02\" addrtype=\"mac\"/>"),
        "{out}"
    );
    assert!(!out.contains("<ports>"), "{out}");
}

#[test]
fn xml_discovery_only_scan_has_no_scaninfo() {
    let out = render(
        XmlReporter::boxed,
        ReportOptions::default(),
        &discovery_start(),
        &[on_link("192.0.2.1", Vec::new())],
        &summary(1, 255, None),
    );
    assert!(!out.contains("<scaninfo"), "{out}");
    assert!(
        out.contains("<address addr=\"02:42:C6:12:00:02\" addrtype=\"mac\"/>"),
        "{out}"
    );
    assert!(out.contains("<hosts up=\"1\" down=\"255\" total=\"256\"/>"));
    // As nmap: a discovery-only host has no <ports> element at all.
    assert!(!out.contains("<ports"), "{out}");
}
