//! The XML reporter's output checked with the real tools: `xmllint` against nmap's DTD, and
//! nmap's `ndiff`. Without the tools the tests fail under `CI=true` and are skipped (loudly)
//! otherwise.

use crate::fixtures::{
    discovery_start, host, named, on_link, port, render, start, summary, thousand_ports,
};
use crate::xml::tests::xml_doc;
use crate::xml::XmlReporter;
use scanfw_core::{HostResult, PortResult, PortSet, PortState, Protocol, Reason, ReportOptions};
use scanfw_core::{ScanSummary, ScanTypeInfo};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DTD: &str = "/usr/share/nmap/nmap.dtd";

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
}

/// Whether xmllint, ndiff and the DTD are present; panics under `CI=true` when they are not.
fn tools_present(test: &str) -> bool {
    let mut missing: Vec<&str> = ["xmllint", "ndiff"]
        .into_iter()
        .filter(|t| !on_path(t))
        .collect();
    if !Path::new(DTD).is_file() {
        missing.push(DTD);
    }
    if missing.is_empty() {
        return true;
    }
    let msg = format!(
        "{test}: missing {} (Debian/Ubuntu: apt-get install libxml2-utils ndiff nmap)",
        missing.join(", ")
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}");
    }
    eprintln!("\n*** SKIP *** {msg}\n");
    false
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write temp file");
    path
}

fn xmllint(file: &Path) -> Output {
    Command::new("xmllint")
        .args(["--noout", "--dtdvalid", DTD])
        .arg(file)
        .output()
        .expect("run xmllint")
}

fn udp(p: u16, state: PortState, reason: Reason) -> PortResult {
    PortResult {
        protocol: Protocol::Udp,
        ..port(p, state, reason)
    }
}

/// A TCP + UDP scan with every state, several reasons and TTLs.
fn mixed_scan() -> String {
    let mut scan = start("1-1000");
    let mut udp_ports = PortSet::new();
    udp_ports.insert_range(1, 100);
    scan.scans.push(ScanTypeInfo {
        scan_type: "udp".into(),
        protocol: Protocol::Udp,
        ports: udp_ports,
    });
    let mut ports = thousand_ports();
    ports[0].state = PortState::Unfiltered;
    ports[1].state = PortState::ClosedFiltered;
    ports[2].reason_ttl = 64;
    ports.extend((1..=100).map(|p| match p {
        53 => udp(p, PortState::Open, Reason::UdpResponse),
        1..=40 => udp(p, PortState::Closed, Reason::PortUnreach),
        _ => udp(p, PortState::OpenFiltered, Reason::NoResponse),
    }));
    let h = named(host("192.0.2.10", ports), "mixed.example");
    let end = ScanSummary {
        hosts_total: 1,
        ..summary(1, 0, None)
    };
    render(
        XmlReporter::boxed,
        ReportOptions::default(),
        &scan,
        &[h],
        &end,
    )
}

fn assorted_hosts() -> Vec<HostResult> {
    let mut v6 = named(
        host(
            "2001:db8::1",
            vec![port(22, PortState::Open, Reason::SynAck)],
        ),
        "v6.example",
    );
    v6.times = None;
    let mut slow = host("10.0.0.3", thousand_ports());
    slow.timed_out = true;
    let mut cut = host("10.0.0.4", vec![port(80, PortState::Open, Reason::SynAck)]);
    cut.partial = true;
    let mut down = host("10.0.0.5", Vec::new());
    down.status.up = false;
    down.status.reason = Reason::NoResponse;
    vec![v6, slow, cut, down]
}

/// Hosts found on the local link, each with a MAC address: a port-scanned IPv4 host, an IPv6
/// host found by Neighbor Discovery and a timed-out one.
fn on_link_hosts() -> Vec<HostResult> {
    let mut v6 = on_link(
        "fe80::42:c6ff:fe12:2",
        vec![port(22, PortState::Open, Reason::SynAck)],
    );
    v6.status.reason = Reason::NdResponse;
    let mut slow = on_link("192.0.2.3", thousand_ports());
    slow.timed_out = true;
    vec![
        named(on_link("192.0.2.1", thousand_ports()), "gw.example"),
        v6,
        slow,
    ]
}

/// A discovery-only (`-sn`) scan: no `<scaninfo>`, hosts without ports, one with a MAC.
fn discovery_scan() -> String {
    let mut local = named(host("127.0.0.1", Vec::new()), "localhost");
    local.status.reason = Reason::LocalhostResponse;
    render(
        XmlReporter::boxed,
        ReportOptions::default(),
        &discovery_start(),
        &[on_link("192.0.2.1", Vec::new()), local],
        &summary(2, 254, None),
    )
}

fn ndiff(a: &Path, b: &Path) -> Output {
    Command::new("ndiff")
        .arg(a)
        .arg(b)
        .output()
        .expect("run ndiff")
}

#[test]
fn xml_with_mac_addresses_validates_and_ndiff_reads_it() {
    if !tools_present("xml_with_mac_addresses_validates_and_ndiff_reads_it") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let before = xml_doc(ReportOptions::default(), &on_link_hosts(), None);
    let sn = discovery_scan();
    for (name, text) in [("mac.xml", &before), ("discovery.xml", &sn)] {
        let out = xmllint(&write(dir.path(), name, text));
        assert!(
            out.status.success(),
            "{name} does not validate against {DTD}:\n{}\n{text}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // The same scan where the first host answers from another hardware address.
    let mut hosts = on_link_hosts();
    hosts[0].mac = Some([0x02, 0x42, 0xc6, 0x12, 0x00, 0x03]);
    let after = xml_doc(ReportOptions::default(), &hosts, None);
    let a = write(dir.path(), "a.xml", &before);
    let b = write(dir.path(), "b.xml", &after);
    let out = ndiff(&a, &b);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "ndiff should see a difference:\n{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("02:42:C6:12:00:02"),
        "ndiff output:\n{stdout}"
    );
    assert!(
        stdout.contains("02:42:C6:12:00:03"),
        "ndiff output:\n{stdout}"
    );

    // Identical scans, the discovery-only one included, compare equal.
    let s = write(dir.path(), "sn.xml", &sn);
    for file in [&a, &s] {
        let same = ndiff(file, file);
        assert_eq!(
            same.status.code(),
            Some(0),
            "{}\n{}",
            String::from_utf8_lossy(&same.stderr),
            String::from_utf8_lossy(&same.stdout)
        );
    }
}

#[test]
fn xml_validates_against_nmap_dtd() {
    if !tools_present("xml_validates_against_nmap_dtd") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let open_only = ReportOptions {
        open_only: true,
        reason: false,
    };
    let docs = [
        (
            "normal.xml",
            xml_doc(
                ReportOptions::default(),
                &[named(host("127.0.0.1", thousand_ports()), "localhost")],
                None,
            ),
        ),
        ("empty.xml", xml_doc(ReportOptions::default(), &[], None)),
        (
            "interrupted.xml",
            xml_doc(
                ReportOptions::default(),
                &assorted_hosts(),
                Some("SIGINT -- stopped by user"),
            ),
        ),
        (
            "open_only.xml",
            xml_doc(open_only, &[host("127.0.0.1", thousand_ports())], None),
        ),
        ("mixed.xml", mixed_scan()),
    ];
    for (name, text) in docs {
        let file = write(dir.path(), name, &text);
        let out = xmllint(&file);
        assert!(
            out.status.success(),
            "{name} does not validate against {DTD}:\n{}\n{text}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn xmllint_rejects_a_broken_document() {
    if !tools_present("xmllint_rejects_a_broken_document") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let good = xml_doc(ReportOptions::default(), &assorted_hosts(), None);
    let not_nmap = good.replace("scanner=\"nmap\"", "scanner=\"scanfw\"");
    let truncated = good.replace("</nmaprun>", "");
    let no_runstats = good.replace("<runstats>", "<runstat>");
    let with_mac = xml_doc(ReportOptions::default(), &on_link_hosts(), None);
    let bad_addrtype = with_mac.replace("addrtype=\"mac\"", "addrtype=\"ether\"");
    for (name, text) in [
        ("scanner.xml", not_nmap),
        ("truncated.xml", truncated),
        ("runstats.xml", no_runstats),
        ("addrtype.xml", bad_addrtype),
    ] {
        let file = write(dir.path(), name, &text);
        assert!(
            !xmllint(&file).status.success(),
            "xmllint accepted broken document {name}"
        );
    }
    // The unbroken original passes, so the failures above come from the breakage.
    assert!(xmllint(&write(dir.path(), "good.xml", &good))
        .status
        .success());
    assert!(xmllint(&write(dir.path(), "mac.xml", &with_mac))
        .status
        .success());
}

#[test]
fn ndiff_reads_and_compares_two_scans() {
    if !tools_present("ndiff_reads_and_compares_two_scans") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let before = xml_doc(
        ReportOptions::default(),
        &[named(host("127.0.0.1", thousand_ports()), "localhost")],
        None,
    );
    let mut changed = thousand_ports();
    changed[21] = port(22, PortState::Closed, Reason::ConnRefused); // 22 open -> closed
    changed[999] = port(1000, PortState::Open, Reason::SynAck); // 1000 closed -> open
    let after = xml_doc(
        ReportOptions::default(),
        &[named(host("127.0.0.1", changed), "localhost")],
        None,
    );
    let a = write(dir.path(), "a.xml", &before);
    let b = write(dir.path(), "b.xml", &after);
    let out = Command::new("ndiff")
        .arg(&a)
        .arg(&b)
        .output()
        .expect("run ndiff");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "ndiff failed ({:?}):\n{stderr}\n{stdout}",
        out.status
    );
    assert!(stdout.contains("22/tcp"), "ndiff output:\n{stdout}");
    assert!(stdout.contains("1000/tcp"), "ndiff output:\n{stdout}");

    // Identical scans: ndiff exits 0 and reports no port change.
    let same = Command::new("ndiff")
        .arg(&a)
        .arg(&a)
        .output()
        .expect("run ndiff");
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stderr)
    );
}

#[test]
fn xml_with_an_audit_postscript_validates_and_ndiff_compares_it() {
    use crate::audit_fixtures::{failing_report, passing_report, with_audit};
    if !tools_present("xml_with_an_audit_postscript_validates_and_ndiff_compares_it") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let doc = |end: &ScanSummary| {
        render(
            XmlReporter::boxed,
            ReportOptions::default(),
            &start("1-1000"),
            &[named(host("127.0.0.1", thousand_ports()), "localhost")],
            end,
        )
    };
    let failing = doc(&with_audit(summary(3, 1, None), failing_report()));
    let passing = doc(&with_audit(summary(1, 0, None), passing_report()));
    let interrupted = doc(&with_audit(
        summary(1, 0, Some("interrupted by SIGINT")),
        passing_report(),
    ));
    assert!(failing.contains("<postscript><script id=\"scanfw-audit\""));
    for (name, text) in [
        ("failing.xml", &failing),
        ("passing.xml", &passing),
        ("interrupted.xml", &interrupted),
    ] {
        let out = xmllint(&write(dir.path(), name, text));
        assert!(
            out.status.success(),
            "{name} does not validate against {DTD}:\n{}\n{text}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The DTD is really consulted: a postscript after <runstats>, or a script without its
    // required `output`, is refused.
    let misplaced = {
        let start = failing.find("<postscript>").expect("postscript");
        let end = failing.find("</postscript>\n").expect("end") + "</postscript>\n".len();
        let block = &failing[start..end];
        failing
            .replacen(block, "", 1)
            .replace("</runstats>\n", &format!("</runstats>\n{block}"))
    };
    let no_output = failing.replacen(" output=\"", " outpt=\"", 1);
    for (name, text) in [("misplaced.xml", misplaced), ("no_output.xml", no_output)] {
        assert!(
            !xmllint(&write(dir.path(), name, &text)).status.success(),
            "xmllint accepted broken document {name}"
        );
    }
    // ndiff reads the postscript and shows the audit changing between two scans (its exit
    // code speaks of hosts and ports only: 0 here, as the ports are the same).
    let a = write(dir.path(), "a.xml", &passing);
    let b = write(dir.path(), "b.xml", &failing);
    let out = ndiff(&a, &b);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("-|_ scanfw-audit: Audit: compliant (0 findings on 1 checked host)"),
        "ndiff output:\n{stdout}"
    );
    assert!(
        stdout.contains("+|  scanfw-audit: Audit: NOT COMPLIANT (4 findings on 4 checked hosts)"),
        "ndiff output:\n{stdout}"
    );
    assert!(
        stdout.contains("+|    host-down 10.0.0.3 (down), expect[3] 10.0.0.3"),
        "ndiff output:\n{stdout}"
    );
    let same = ndiff(&b, &b);
    assert_eq!(same.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&same.stdout).contains("scanfw-audit"));
}
