use super::TableReporter;
use crate::fixtures::{
    discovery_start, host, named, on_link, port, render, start, summary, thousand_ports,
};
use scanfw_core::{PortState, Reason, ReportOptions, Reporter, VERSION};

fn table(opts: ReportOptions, hosts: &[scanfw_core::HostResult]) -> String {
    let up = hosts.iter().filter(|h| h.status.up).count() as u64;
    let down = hosts.len() as u64 - up;
    render(
        TableReporter::boxed,
        opts,
        &start("1-1000"),
        hosts,
        &summary(up, down, None),
    )
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

#[test]
fn table_full_report_matches_nmap_layout() {
    let h = named(host("127.0.0.1", thousand_ports()), "localhost");
    let out = table(ReportOptions::default(), &[h]);
    let expected = format!(
        "Starting scanfw {VERSION} at 2024-03-09 16:00 UTC\n\
         scanfw scan report for localhost (127.0.0.1)\n\
         Host is up (0.00012s latency).\n\
         Not shown: 997 closed tcp ports (conn-refused)\n\
         PORT    STATE    SERVICE\n\
         22/tcp  open     ssh\n\
         80/tcp  open     http\n\
         443/tcp filtered https\n\
         \n\
         scanfw done: 1 IP address (1 host up) scanned in 0.52 seconds\n"
    );
    assert_eq!(out, expected);
}

#[test]
fn table_lists_25_ports_of_a_state_and_folds_26() {
    let ports = |n: u16| {
        (1..=n)
            .map(|p| port(p, PortState::Closed, Reason::ConnRefused))
            .chain([port(8080, PortState::Open, Reason::SynAck)])
            .collect::<Vec<_>>()
    };
    let out = table(ReportOptions::default(), &[host("10.0.0.1", ports(25))]);
    assert!(!out.contains("Not shown"), "{out}");
    assert!(out.contains("\n25/tcp   closed"), "{out}");
    assert_eq!(out.matches("/tcp").count(), 26);

    let out = table(ReportOptions::default(), &[host("10.0.0.1", ports(26))]);
    assert!(
        out.contains("\nNot shown: 26 closed tcp ports (conn-refused)\nPORT"),
        "{out}"
    );
    assert_eq!(out.matches("/tcp").count(), 1);
}

#[test]
fn table_all_ports_ignored_lists_each_reason_group() {
    let ports = (1..=1000)
        .map(|p| match p {
            7 | 9 => port(p, PortState::Filtered, Reason::HostUnreach),
            _ => port(p, PortState::Filtered, Reason::NoResponse),
        })
        .collect();
    let out = table(ReportOptions::default(), &[host("10.0.0.2", ports)]);
    let l = lines(&out);
    assert_eq!(
        l[3],
        "All 1000 scanned ports on 10.0.0.2 are in ignored states."
    );
    assert_eq!(
        l[4],
        "Not shown: 998 filtered tcp ports (no-response), 2 filtered tcp ports (host-unreach)"
    );
    assert_eq!(l[5], "");
    assert!(!out.contains("PORT"));
}

#[test]
fn table_joins_several_folded_states_on_one_line() {
    let ports = (1..=100)
        .map(|p| match p {
            1..=30 => port(p, PortState::Filtered, Reason::NoResponse),
            31 => port(p, PortState::Open, Reason::SynAck),
            _ => port(p, PortState::Closed, Reason::ConnRefused),
        })
        .collect();
    let out = table(ReportOptions::default(), &[host("10.0.0.3", ports)]);
    assert!(
        out.contains(
            "Not shown: 69 closed tcp ports (conn-refused), 30 filtered tcp ports (no-response)\n"
        ),
        "{out}"
    );
}

#[test]
fn table_open_only_hides_and_counts_the_rest() {
    let ports = vec![
        port(21, PortState::Closed, Reason::ConnRefused),
        port(22, PortState::Open, Reason::SynAck),
        port(23, PortState::Filtered, Reason::NoResponse),
        port(24, PortState::OpenFiltered, Reason::NoResponse),
    ];
    let opts = ReportOptions {
        open_only: true,
        reason: false,
    };
    let out = table(opts, &[host("10.0.0.4", ports)]);
    let l = lines(&out);
    assert_eq!(
        l[3],
        "Not shown: 1 closed tcp port (conn-refused), 1 filtered tcp port (no-response)"
    );
    assert_eq!(l[4], "PORT   STATE         SERVICE");
    assert!(l[5].starts_with("22/tcp open          "), "{out}");
    assert!(l[6].starts_with("24/tcp open|filtered "), "{out}");
    assert_eq!(l[7], "");
}

#[test]
fn table_reason_column_shows_ttl_when_known() {
    let mut closed = port(23, PortState::Closed, Reason::Reset);
    closed.reason_ttl = 64;
    let ports = vec![port(22, PortState::Open, Reason::SynAck), closed];
    let opts = ReportOptions {
        open_only: false,
        reason: true,
    };
    let out = table(opts, &[host("10.0.0.5", ports)]);
    let l = lines(&out);
    assert_eq!(l[2], "Host is up, received user-set (0.00012s latency).");
    assert_eq!(l[3], "");
    assert_eq!(l[4], "PORT   STATE  SERVICE REASON");
    assert_eq!(l[5], "22/tcp open   ssh     syn-ack");
    assert_eq!(l[6], "23/tcp closed telnet  reset ttl 64");
}

#[test]
fn table_ipv6_timeout_partial_and_down_hosts() {
    let mut v6 = host(
        "2001:db8::1",
        vec![port(22, PortState::Open, Reason::SynAck)],
    );
    v6.times = None;
    let mut slow = host("10.0.0.6", thousand_ports());
    slow.timed_out = true;
    let mut cut = host("10.0.0.7", vec![port(80, PortState::Open, Reason::SynAck)]);
    cut.partial = true;
    let mut down = host("10.0.0.8", Vec::new());
    down.status.up = false;
    let out = table(ReportOptions::default(), &[v6, slow, cut, down]);
    let l = lines(&out);
    assert_eq!(l[1], "scanfw scan report for 2001:db8::1");
    assert_eq!(l[2], "Host is up.");
    assert_eq!(l[7], "scanfw scan report for 10.0.0.6");
    assert_eq!(l[9], "Skipping host 10.0.0.6 due to host timeout");
    assert_eq!(l[10], "");
    assert_eq!(l[11], "scanfw scan report for 10.0.0.7");
    assert_eq!(
        l[13],
        "Scan interrupted: results for this host are incomplete."
    );
    assert!(
        !out.contains("10.0.0.8"),
        "down hosts are not listed: {out}"
    );
    assert_eq!(
        *l.last().expect("last line"),
        "scanfw done: 4 IP addresses (3 hosts up) scanned in 0.52 seconds"
    );
}

#[test]
fn table_interrupted_scan_says_so_before_the_done_line() {
    let out = render(
        TableReporter::boxed,
        ReportOptions::default(),
        &start("1-1000"),
        &[],
        &summary(0, 0, Some("SIGINT received")),
    );
    let l = lines(&out);
    assert_eq!(
        l[1..],
        [
            "Scan interrupted: SIGINT received; results above are complete up to this point.",
            "scanfw done: 0 IP addresses (0 hosts up) scanned in 0.52 seconds",
        ]
    );
}

#[test]
fn table_has_no_trailing_spaces() {
    let opts = ReportOptions {
        open_only: false,
        reason: true,
    };
    let hosts = [
        named(host("127.0.0.1", thousand_ports()), "localhost"),
        host("::1", vec![port(65535, PortState::Open, Reason::SynAck)]),
    ];
    let out = table(opts, &hosts);
    for line in out.lines() {
        assert_eq!(line, line.trim_end(), "trailing space in {line:?}");
    }
}

#[test]
fn table_rejects_events_out_of_order() {
    let mut r = TableReporter::new(ReportOptions::default(), Box::new(std::io::sink()));
    assert!(r.host(&host("10.0.0.1", Vec::new())).is_err());
    assert!(r.begin(&start("1")).is_ok());
    assert!(r.begin(&start("1")).is_err());
    assert!(r.finish(&summary(0, 0, None)).is_ok());
    assert!(r.finish(&summary(0, 0, None)).is_err());
}

/// A discovery-only (`-sn`) scan of a /24 with `hosts` up.
fn sn_table(opts: ReportOptions, hosts: &[scanfw_core::HostResult]) -> String {
    let up = hosts.len() as u64;
    render(
        TableReporter::boxed,
        opts,
        &discovery_start(),
        hosts,
        &summary(up, 256 - up, None),
    )
}

#[test]
fn table_discovery_only_scan_matches_nmap_sn_layout() {
    let mut local = named(host("127.0.0.1", Vec::new()), "localhost");
    local.status.reason = Reason::LocalhostResponse;
    let out = sn_table(
        ReportOptions::default(),
        &[on_link("192.0.2.1", Vec::new()), local],
    );
    // nmap -sn: report line, "Host is up", the MAC line when known, and no blank line
    // between hosts or before the done line.
    let expected = format!(
        "Starting scanfw {VERSION} at 2024-03-09 16:00 UTC\n\
         scanfw scan report for 192.0.2.1\n\
         Host is up (0.00012s latency).\n\
         MAC Address: 02:42:C6:12:00:02 (Unknown)\n\
         scanfw scan report for localhost (127.0.0.1)\n\
         Host is up (0.00012s latency).\n\
         scanfw done: 256 IP addresses (2 hosts up) scanned in 0.52 seconds\n"
    );
    assert_eq!(out, expected);
}

#[test]
fn table_discovery_only_with_reason_and_without_latency() {
    let opts = ReportOptions {
        open_only: false,
        reason: true,
    };
    let mut quiet = on_link("192.0.2.9", Vec::new());
    quiet.times = None;
    let out = sn_table(opts, &[on_link("192.0.2.1", Vec::new()), quiet]);
    let l = lines(&out);
    assert_eq!(
        l[1..],
        [
            "scanfw scan report for 192.0.2.1",
            "Host is up, received arp-response (0.00012s latency).",
            "MAC Address: 02:42:C6:12:00:02 (Unknown)",
            "scanfw scan report for 192.0.2.9",
            "Host is up, received arp-response.",
            "MAC Address: 02:42:C6:12:00:02 (Unknown)",
            "scanfw done: 256 IP addresses (2 hosts up) scanned in 0.52 seconds",
        ]
    );
}

#[test]
fn table_discovery_only_empty_scan_is_header_and_done_line() {
    let out = sn_table(ReportOptions::default(), &[]);
    assert_eq!(
        lines(&out)[1..],
        ["scanfw done: 256 IP addresses (0 hosts up) scanned in 0.52 seconds"]
    );
}

#[test]
fn table_mac_line_follows_the_port_lines_of_a_port_scan() {
    let out = table(
        ReportOptions::default(),
        &[named(on_link("192.0.2.1", thousand_ports()), "gw.example")],
    );
    let expected = format!(
        "Starting scanfw {VERSION} at 2024-03-09 16:00 UTC\n\
         scanfw scan report for gw.example (192.0.2.1)\n\
         Host is up (0.00012s latency).\n\
         Not shown: 997 closed tcp ports (conn-refused)\n\
         PORT    STATE    SERVICE\n\
         22/tcp  open     ssh\n\
         80/tcp  open     http\n\
         443/tcp filtered https\n\
         MAC Address: 02:42:C6:12:00:02 (Unknown)\n\
         \n\
         scanfw done: 1 IP address (1 host up) scanned in 0.52 seconds\n"
    );
    assert_eq!(out, expected);
}

#[test]
fn table_mac_line_after_ignored_ports_and_not_for_timed_out_hosts() {
    let filtered = (1..=1000)
        .map(|p| port(p, PortState::Filtered, Reason::NoResponse))
        .collect();
    let mut slow = on_link("192.0.2.2", thousand_ports());
    slow.timed_out = true;
    let out = table(
        ReportOptions::default(),
        &[on_link("192.0.2.1", filtered), slow],
    );
    let l = lines(&out);
    assert_eq!(
        l[1..],
        [
            "scanfw scan report for 192.0.2.1",
            "Host is up (0.00012s latency).",
            "All 1000 scanned ports on 192.0.2.1 are in ignored states.",
            "Not shown: 1000 filtered tcp ports (no-response)",
            "MAC Address: 02:42:C6:12:00:02 (Unknown)",
            "",
            "scanfw scan report for 192.0.2.2",
            "Host is up (0.00012s latency).",
            "Skipping host 192.0.2.2 due to host timeout",
            "",
            "scanfw done: 2 IP addresses (2 hosts up) scanned in 0.52 seconds",
        ]
    );
}

#[test]
fn table_port_scan_host_without_ports_keeps_its_blank_line() {
    let out = table(
        ReportOptions::default(),
        &[on_link("192.0.2.1", Vec::new())],
    );
    assert_eq!(
        lines(&out)[1..],
        [
            "scanfw scan report for 192.0.2.1",
            "Host is up (0.00012s latency).",
            "MAC Address: 02:42:C6:12:00:02 (Unknown)",
            "",
            "scanfw done: 1 IP address (1 host up) scanned in 0.52 seconds",
        ]
    );
}

#[test]
fn table_names_the_scopes_after_the_start_line() {
    let mut scan = start("22");
    scan.scopes = vec![
        "audit.toml:4 (allow 198.18.0.0/24; deny 198.18.0.1)".to_string(),
        "scope.toml:1 (allow 198.18.0.0/15)".to_string(),
    ];
    let out = render(
        TableReporter::boxed,
        ReportOptions::default(),
        &scan,
        &[],
        &summary(0, 0, None),
    );
    let l = lines(&out);
    assert!(l[0].starts_with("Starting scanfw"), "{out}");
    assert_eq!(
        l[1],
        "Scope: audit.toml:4 (allow 198.18.0.0/24; deny 198.18.0.1)"
    );
    assert_eq!(l[2], "Scope: scope.toml:1 (allow 198.18.0.0/15)");
}
