use scanfw_techniques as _;
// (kept apart so rustfmt does not reorder: the technique and reporter crates are linked
// for their inventory registrations)
use scanfw_reporters as _;

mod lab;

// Forged replies (docs/architecture.md, "What proves a reply"): while a SYN scan and a UDP
// scan run, the target namespace sprays the scanner with frames that look like the target's
// answers, for every source port a probe can have: bare SYNs (split handshakes), SYN+ACKs
// with random acknowledgements, UDP datagrams of random bytes to ports whose probes carry a
// protocol payload, and ICMP errors quoting probes that were never sent that way (random
// sequence numbers, IPv4 identifications and flow labels). Every port must stay exactly what
// the lab makes it, and the scan must have seen and rejected forgeries. Both families.
//
// Needs root, `ip`, `nft`. Without them the tests print `SKIP (lab unavailable): ...` and
// pass, except under `CI=true`, where they fail. Frames go only to the scanner's veth.

use std::path::Path;
use std::time::Duration;

use lab::check::{ports_of, read, single_host, summarize, tcp_mismatches, udp_mismatches};
use lab::inject::{sweep, veth_mac, Ends, Forgery, Spray};
use lab::report::{parse_scanfw_json, parse_scanfw_stats};
use lab::{Family, Lab, Layout, PortKind, UdpKind};

const SCANFW: &str = env!("CARGO_BIN_EXE_scanfw");

/// TCP ports scanned: open, closed, dropped and ICMP-rejected ones.
const TCP_PORTS: [u16; 10] = [22, 80, 135, 139, 445, 1234, 4444, 23, 25, 1000];
/// TCP ports sprayed: the dropped ones (whose probes wait longest) and one open, one closed.
const TCP_SPRAYED: [u16; 7] = [135, 139, 445, 1234, 4444, 22, 1000];
/// UDP ports scanned.
const UDP_PORTS: [u16; 11] = [53, 111, 123, 137, 161, 389, 500, 138, 1234, 7, 1000];
/// UDP ports whose probes carry a payload with an echoed field: datagrams to them are
/// sprayed (a datagram to a port probed with an empty datagram carries nothing to check,
/// and cannot be told from a real one; docs/architecture.md says so).
const UDP_STAMPED: [u16; 7] = [53, 111, 123, 137, 161, 389, 500];

fn layout() -> Layout {
    Layout::standard()
        .with(PortKind::Drop, &[445, 1234])
        .with_udp(UdpKind::Dns, &[53])
        .with_udp(UdpKind::Drop, &[111, 123, 137, 161, 500, 138, 1234])
        .with_udp(UdpKind::Silent, &[389])
}

fn ends(lab: &Lab, family: Family) -> Ends {
    let mac = |ns: &str| veth_mac(ns).unwrap_or_else(|e| panic!("{e}"));
    let (target, scanner) = match family {
        Family::V4 => (lab.target_v4().into(), lab.scanner_v4().into()),
        Family::V6 => (lab.target_v6().into(), lab.scanner_v6().into()),
    };
    Ends {
        target_mac: mac(&lab.target_ns),
        scanner_mac: mac(&lab.scanner_ns),
        target,
        scanner,
    }
}

/// Runs the scan in the scanner namespace while `frames` are sprayed; returns the JSON
/// text and the sweeps completed during the scan.
fn scan_under_fire(
    lab: &Lab,
    family: Family,
    args: &[&str],
    frames: Vec<Vec<u8>>,
    json: &Path,
) -> (String, u64) {
    let spray = Spray::start(&lab.target_ns, lab::IFACE, frames)
        .unwrap_or_else(|e| panic!("starting the spray: {e}"));
    let mut all: Vec<String> = ["-n", "--reason", "--max-retries", "4"]
        .iter()
        .chain(args)
        .map(|s| s.to_string())
        .collect();
    all.extend(["-oJ".into(), json.display().to_string(), lab.target(family)]);
    let before = spray.sweeps();
    let r = lab
        .run_in_scanner_timeout(SCANFW, &all, Duration::from_secs(180))
        .unwrap_or_else(|e| panic!("running scanfw: {e}"));
    let during = spray.sweeps() - before;
    let sent = spray.stop().unwrap_or_else(|e| panic!("spray: {e}"));
    eprintln!(
        "`{}`: {:.2?}, exit {}, {sent} forged frames sent, {during} full sweeps during the scan",
        r.cmdline, r.elapsed, r.status
    );
    r.assert_success();
    eprintln!("stderr:\n{}", r.stderr.trim_end());
    (read(json), during)
}

fn check_stats(text: &str, what: &str, challenges: bool) {
    let st = parse_scanfw_stats(text).unwrap_or_else(|e| panic!("{what}: {e}"));
    let (verified, unverified, rejected, challenged) = st.replies;
    eprintln!(
        "{what}: replies verified {verified}, unverified {unverified}, rejected {rejected}, challenges {challenged}"
    );
    assert!(
        rejected > 0,
        "{what}: no forged reply was seen and rejected"
    );
    assert!(verified > 0, "{what}: no reply verified");
    if challenges {
        assert!(challenged > 0, "{what}: no forged SYN was challenged");
    }
}

fn syn_under_fire(family: Family) {
    let Some(lab) = lab::require(layout()) else {
        return;
    };
    let e = ends(&lab, family);
    let kinds = [
        Forgery::BareSyn,
        Forgery::SynAck,
        Forgery::IcmpQuotingTcp { code: 3 },
    ];
    let frames = sweep(&e, &kinds, &TCP_SPRAYED, 0x5eed_0001);
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("syn.json");
    let list = TCP_PORTS.map(|p| p.to_string()).join(",");
    let args = ["-sS", "-p", &list, "--min-rtt-timeout", "2500ms"];
    let (text, during) = scan_under_fire(&lab, family, &args, frames, &json);
    assert!(
        during >= 1,
        "the scan ended before one full sweep of forged frames"
    );
    let hosts = parse_scanfw_json(&text).unwrap_or_else(|e| panic!("{e}"));
    let host = single_host(hosts, &lab.target(family), "syn");
    let got = host.by_port("tcp").unwrap_or_else(|e| panic!("{e}"));
    let bad = tcp_mismatches(&lab.layout, &TCP_PORTS, &got, "syn", None, &|p| {
        lab.layout.kind(p).expected_syn(family)
    });
    assert!(
        bad.is_empty(),
        "forged replies changed ports:\n{}",
        summarize(&bad)
    );
    check_stats(&text, "syn", true);
}

fn udp_under_fire(family: Family) {
    let Some(lab) = lab::require(layout()) else {
        return;
    };
    let e = ends(&lab, family);
    let mut frames = sweep(&e, &[Forgery::UdpJunk], &UDP_STAMPED, 0x5eed_0002);
    frames.extend(sweep(
        &e,
        &[Forgery::IcmpQuotingUdp],
        &UDP_PORTS,
        0x5eed_0003,
    ));
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("udp.json");
    let list = UDP_PORTS.map(|p| p.to_string()).join(",");
    let args = ["-sU", "-p", &list, "--min-rtt-timeout", "2500ms"];
    let (text, during) = scan_under_fire(&lab, family, &args, frames, &json);
    assert!(
        during >= 1,
        "the scan ended before one full sweep of forged frames"
    );
    let hosts = parse_scanfw_json(&text).unwrap_or_else(|e| panic!("{e}"));
    let host = single_host(hosts, &lab.target(family), "udp");
    let got = ports_of(&host, "udp", &["udp"], "udp");
    let bad = udp_mismatches(&lab.layout, family, &UDP_PORTS, &got, "udp");
    assert!(
        bad.is_empty(),
        "forged replies changed ports:\n{}",
        summarize(&bad)
    );
    check_stats(&text, "udp", false);
}

#[test]
fn a_syn_ipv4_forged_replies() {
    syn_under_fire(Family::V4);
}

#[test]
fn b_syn_ipv6_forged_replies() {
    syn_under_fire(Family::V6);
}

#[test]
fn c_udp_ipv4_forged_replies() {
    udp_under_fire(Family::V4);
}

#[test]
fn d_udp_ipv6_forged_replies() {
    udp_under_fire(Family::V6);
}

/// A genuine split handshake (the target answers a SYN with a bare SYN, then acknowledges
/// our challenge SYN+ACK) is `open`/`split-handshake-syn`; one that never completes, as a
/// forger's, stays `filtered`/`no-response`.
fn split_handshake(family: Family) {
    let (real, fake) = (7001u16, 7002u16);
    let Some(lab) = lab::require(Layout::new().with(PortKind::Drop, &[real, fake])) else {
        return;
    };
    let e = ends(&lab, family);
    let ns = &lab.target_ns;
    let r1 = lab::inject::SplitResponder::start(ns, lab::IFACE, e, real, true)
        .unwrap_or_else(|e| panic!("{e}"));
    let r2 = lab::inject::SplitResponder::start(ns, lab::IFACE, e, fake, false)
        .unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("split.json");
    let list = format!("{real},{fake},1000");
    let mut args: Vec<String> = ["-sS", "-n", "--reason", "-p", &list, "-oJ"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend([json.display().to_string(), lab.target(family)]);
    let r = lab
        .run_in_scanner_timeout(SCANFW, &args, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("running scanfw: {e}"));
    r.assert_success();
    let text = read(&json);
    let hosts = parse_scanfw_json(&text).unwrap_or_else(|e| panic!("{e}"));
    let host = single_host(hosts, &lab.target(family), "split");
    let got = host.by_port("tcp").unwrap_or_else(|e| panic!("{e}"));
    let state = |p: u16| got.get(&p).map(|(s, r)| (s.as_str(), r.as_str()));
    assert!(
        r1.answered() >= 2,
        "the real responder sent its SYN and ACK"
    );
    assert!(r2.answered() >= 1, "the fake responder sent its SYN");
    assert_eq!(state(real), Some(("open", "split-handshake-syn")), "{text}");
    assert_eq!(state(fake), Some(("filtered", "no-response")), "{text}");
    assert_eq!(state(1000), Some(("closed", "reset")), "{text}");
    let (_, _, _, challenges) = parse_scanfw_stats(&text)
        .unwrap_or_else(|e| panic!("{e}"))
        .replies;
    assert!(challenges >= 2, "both SYNs were challenged: {challenges}");
}

#[test]
fn e_split_handshake_ipv4() {
    split_handshake(Family::V4);
}

#[test]
fn f_split_handshake_ipv6() {
    split_handshake(Family::V6);
}
