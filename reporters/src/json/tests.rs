use super::JsonReporter;
use crate::fixtures::{
    discovery_start, host, named, on_link, port, render, start, summary, thousand_ports, Capture,
};
use scanfw_core::{PortState, Reason, ReportOptions, Reporter, VERSION};
use serde_json::{json, Value};

pub(crate) fn json_doc(
    opts: ReportOptions,
    hosts: &[scanfw_core::HostResult],
    interrupted: Option<&str>,
) -> String {
    let up = hosts.iter().filter(|h| h.status.up).count() as u64;
    let down = hosts.len() as u64 - up;
    render(
        JsonReporter::boxed,
        opts,
        &start("1-1000"),
        hosts,
        &summary(up, down, interrupted),
    )
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("reporter output is valid JSON")
}

#[test]
fn json_document_lists_every_port_with_nmap_values() {
    let h = named(host("127.0.0.1", thousand_ports()), "localhost");
    let doc = parse(&json_doc(ReportOptions::default(), &[h], None));
    assert_eq!(doc["scanner"], "scanfw");
    assert_eq!(doc["version"], VERSION);
    assert_eq!(doc["args"][1], "-sT");
    assert_eq!(doc["start"], 1_710_000_000);
    assert_eq!(doc["startstr"], "Sat Mar  9 16:00:00 2024");
    assert_eq!(
        doc["scans"],
        json!([{"type": "connect", "protocol": "tcp", "numservices": 1000, "services": "1-1000"}])
    );
    let h = &doc["hosts"][0];
    assert_eq!(h["address"], "127.0.0.1");
    assert_eq!(h["addrtype"], "ipv4");
    assert_eq!(h["mac"], Value::Null, "no MAC address off the local link");
    assert_eq!(
        h["hostnames"],
        json!([{"name": "localhost", "type": "user"}])
    );
    assert_eq!(
        h["status"],
        json!({"state": "up", "reason": "user-set", "reason_ttl": 0})
    );
    assert_eq!(h["starttime"], 1_710_000_000);
    assert_eq!(h["endtime"], 1_710_000_001);
    assert_eq!(h["timedout"], false);
    assert_eq!(h["partial"], false);
    assert_eq!(
        h["times"],
        json!({"srtt_us": 120, "rttvar_us": 50, "timeout_us": 100000})
    );
    let ports = h["ports"].as_array().expect("ports array");
    assert_eq!(ports.len(), 1000);
    assert_eq!(
        ports[21],
        json!({"protocol": "tcp", "port": 22, "state": "open", "reason": "syn-ack",
               "reason_ttl": 0, "service": "ssh"})
    );
    assert_eq!(ports[442]["state"], "filtered");
    assert_eq!(ports[442]["reason"], "no-response");
    assert_eq!(
        doc["stats"],
        json!({"end": 1_710_000_001, "elapsed": 0.523,
               "hosts": {"up": 1, "down": 0, "total": 1},
               "probes_sent": 1002, "retransmissions": 2,
               "replies": {"verified": 990, "unverified": 3, "rejected": 7, "challenges": 1},
               "exit": "success", "interrupted_reason": null})
    );
}

#[test]
fn json_service_is_null_when_unknown() {
    let p = (1024..=u16::MAX)
        .find(|&p| scanfw_core::services::name(scanfw_core::Protocol::Tcp, p).is_none())
        .expect("some port has no service name");
    let h = host("10.0.0.1", vec![port(p, PortState::Open, Reason::SynAck)]);
    let doc = parse(&json_doc(ReportOptions::default(), &[h], None));
    assert_eq!(doc["hosts"][0]["ports"][0]["service"], Value::Null);
}

#[test]
fn json_open_only_keeps_open_and_open_filtered() {
    let ports = vec![
        port(21, PortState::Closed, Reason::ConnRefused),
        port(22, PortState::Open, Reason::SynAck),
        port(23, PortState::Filtered, Reason::NoResponse),
        port(24, PortState::OpenFiltered, Reason::NoResponse),
        port(25, PortState::Unfiltered, Reason::Reset),
    ];
    let opts = ReportOptions {
        open_only: true,
        reason: false,
    };
    let doc = parse(&json_doc(opts, &[host("10.0.0.1", ports)], None));
    let kept: Vec<&Value> = doc["hosts"][0]["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .map(|p| &p["port"])
        .collect();
    assert_eq!(kept, [&json!(22), &json!(24)]);
}

#[test]
fn json_interrupted_document_is_complete() {
    let mut cut = host("10.0.0.2", vec![port(22, PortState::Open, Reason::SynAck)]);
    cut.partial = true;
    let text = json_doc(ReportOptions::default(), &[cut], Some("SIGINT received"));
    let doc = parse(&text);
    assert_eq!(doc["hosts"][0]["partial"], true);
    assert_eq!(doc["stats"]["exit"], "interrupted");
    assert_eq!(doc["stats"]["interrupted_reason"], "SIGINT received");
    assert!(text.ends_with("}\n"));
}

#[test]
fn json_empty_host_list_and_ipv6_host() {
    let doc = parse(&json_doc(ReportOptions::default(), &[], None));
    assert_eq!(doc["hosts"], json!([]));
    assert_eq!(doc["stats"]["hosts"]["total"], 0);

    let mut v6 = host(
        "2001:db8::1",
        vec![port(443, PortState::Open, Reason::SynAck)],
    );
    v6.times = None;
    let doc = parse(&json_doc(ReportOptions::default(), &[v6], None));
    assert_eq!(doc["hosts"][0]["address"], "2001:db8::1");
    assert_eq!(doc["hosts"][0]["addrtype"], "ipv6");
    assert_eq!(doc["hosts"][0]["times"], Value::Null);
}

#[test]
fn json_timed_out_and_down_hosts() {
    let mut slow = host("10.0.0.3", thousand_ports());
    slow.timed_out = true;
    let mut down = host("10.0.0.4", Vec::new());
    down.status.up = false;
    down.status.reason = Reason::NoResponse;
    down.times = None;
    let doc = parse(&json_doc(ReportOptions::default(), &[slow, down], None));
    assert_eq!(doc["hosts"][0]["timedout"], true);
    assert_eq!(doc["hosts"][0]["ports"], json!([]));
    assert_eq!(doc["hosts"][1]["status"]["state"], "down");
    assert_eq!(
        doc["stats"]["hosts"],
        json!({"up": 1, "down": 1, "total": 2})
    );
}

#[test]
fn json_streams_one_host_per_line() {
    let cap = Capture::default();
    let mut r = JsonReporter::new(ReportOptions::default(), Box::new(cap.clone()));
    r.begin(&start("22")).expect("begin");
    assert!(cap.text().ends_with("\"hosts\":["), "{}", cap.text());
    let h = host("10.0.0.5", vec![port(22, PortState::Open, Reason::SynAck)]);
    r.host(&h).expect("host");
    r.host(&h).expect("host");
    let partial = cap.text();
    assert_eq!(partial.lines().count(), 3, "{partial}");
    let first = partial.lines().nth(1).unwrap_or_default();
    assert!(
        first.starts_with("{\"address\":\"10.0.0.5\"") && first.ends_with("]},"),
        "{partial}"
    );
    r.finish(&summary(2, 0, None)).expect("finish");
    let doc = parse(&cap.text());
    assert_eq!(doc["hosts"].as_array().map(Vec::len), Some(2));
}

#[test]
fn json_mac_is_lower_case_and_follows_addrtype() {
    let mut v6 = on_link(
        "fe80::42:c6ff:fe12:2",
        vec![port(22, PortState::Open, Reason::SynAck)],
    );
    v6.status.reason = Reason::NdResponse;
    let text = json_doc(
        ReportOptions::default(),
        &[
            on_link("192.0.2.1", Vec::new()),
            v6,
            host("192.0.2.3", Vec::new()),
        ],
        None,
    );
    let doc = parse(&text);
    assert_eq!(doc["hosts"][0]["mac"], "02:42:c6:12:00:02");
    assert_eq!(doc["hosts"][0]["status"]["reason"], "arp-response");
    assert_eq!(doc["hosts"][1]["mac"], "02:42:c6:12:00:02");
    assert_eq!(doc["hosts"][1]["status"]["reason"], "nd-response");
    assert_eq!(doc["hosts"][2]["mac"], Value::Null);
    assert!(
        text.contains("{\"address\":\"192.0.2.1\",\"addrtype\":\"ipv4\",\"mac\":\"02:42:c6:12:00:02\",\"hostnames\":"),
        "{text}"
    );
}

#[test]
fn json_discovery_only_scan_has_no_scans_and_no_ports() {
    let text = render(
        JsonReporter::boxed,
        ReportOptions::default(),
        &discovery_start(),
        &[on_link("192.0.2.1", Vec::new())],
        &summary(1, 255, None),
    );
    let doc = parse(&text);
    assert_eq!(doc["scans"], json!([]));
    assert_eq!(doc["hosts"][0]["ports"], json!([]));
    assert_eq!(doc["hosts"][0]["mac"], "02:42:c6:12:00:02");
    assert_eq!(
        doc["stats"]["hosts"],
        json!({"up": 1, "down": 255, "total": 256})
    );
}

#[test]
fn json_names_the_scopes() {
    let mut scan = start("22");
    let out = render(
        JsonReporter::boxed,
        ReportOptions::default(),
        &scan,
        &[],
        &summary(0, 0, None),
    );
    assert_eq!(parse(&out)["scopes"], json!([]), "always present");
    scan.scopes = vec!["audit.toml:4 (allow 198.18.0.0/24)".to_string()];
    let out = render(
        JsonReporter::boxed,
        ReportOptions::default(),
        &scan,
        &[],
        &summary(0, 0, None),
    );
    assert_eq!(
        parse(&out)["scopes"],
        json!(["audit.toml:4 (allow 198.18.0.0/24)"])
    );
}
