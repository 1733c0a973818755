use scanfw_techniques as _;
// (kept apart so rustfmt does not reorder: the technique and reporter crates are linked
// for their inventory registrations)
use scanfw_reporters as _;

mod lab;

// Host discovery, reverse DNS and sparse networks, in the block lab (docs/lab.md, "The block
// lab"): the target namespace owns a sparse /24 (and its IPv6 twin) where about one address
// in 16 is live. scanfw runs in the scanner namespace (no default route) and must report
// exactly the block's live hosts, with nmap's host reasons, and exactly their ports; on the
// lab's own link it must find the target by ARP / Neighbor Discovery and report its MAC.
//
// Needs root, `ip`, `nft`, dnsmasq (Debian dnsmasq-base) and setpriv (util-linux); without
// them the tests print `SKIP (lab unavailable): ...` and pass, except under `CI=true`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use lab::{Block, Family, Lab, Layout, PortKind};
use serde_json::Value;

const SCANFW: &str = env!("CARGO_BIN_EXE_scanfw");

/// One host of a scanfw JSON report.
#[derive(Debug)]
struct Host {
    address: String,
    reason: String,
    mac: Option<String>,
    names: Vec<(String, String)>,
    ports: BTreeMap<u16, (String, String)>,
}

/// Runs scanfw in the scanner namespace with `-o json` on stdout (as nobody, without any
/// capability, when `unprivileged`); returns the hosts listed and the whole document.
fn scan(lab: &Lab, args: &[&str], unprivileged: bool) -> (Vec<Host>, Value) {
    let mut a: Vec<String> = Vec::new();
    let program = if unprivileged {
        a.extend(
            [
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
                SCANFW,
            ]
            .map(String::from),
        );
        "setpriv"
    } else {
        SCANFW
    };
    a.extend(args.iter().map(|s| s.to_string()));
    a.extend(["-o".to_string(), "json".to_string()]);
    let r = lab
        .run_in_scanner_timeout(program, &a, Duration::from_secs(240))
        .unwrap_or_else(|e| panic!("running scanfw: {e}"));
    r.assert_success();
    eprintln!("timing: `{}` took {:.2?}", r.cmdline, r.elapsed);
    let doc: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("scanfw JSON: {e}\n{}", r.stdout));
    let hosts = doc["hosts"]
        .as_array()
        .expect("hosts")
        .iter()
        .map(|h| Host {
            address: h["address"].as_str().unwrap_or_default().to_string(),
            reason: h["status"]["reason"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            mac: h["mac"].as_str().map(String::from),
            names: h["hostnames"]
                .as_array()
                .map(|v| {
                    v.iter()
                        .map(|n| {
                            (
                                n["name"].as_str().unwrap_or_default().to_string(),
                                n["type"].as_str().unwrap_or_default().to_string(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
            ports: h["ports"]
                .as_array()
                .map(|v| {
                    v.iter()
                        .map(|p| {
                            (
                                p["port"].as_u64().unwrap_or(0) as u16,
                                (
                                    p["state"].as_str().unwrap_or_default().to_string(),
                                    p["reason"].as_str().unwrap_or_default().to_string(),
                                ),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    (hosts, doc)
}

fn addresses(hosts: &[Host]) -> BTreeSet<String> {
    hosts.iter().map(|h| h.address.clone()).collect()
}

fn missed_extra(want: &BTreeSet<String>, got: &BTreeSet<String>) -> String {
    format!(
        "missed {:?}, extra {:?}",
        want.difference(got).collect::<Vec<_>>(),
        got.difference(want).collect::<Vec<_>>()
    )
}

/// The summary's host counts: (up, down, total).
fn counts(doc: &Value) -> (u64, u64, u64) {
    let s = &doc["stats"]["hosts"];
    let get = |k: &str| s[k].as_u64().unwrap_or(u64::MAX);
    (get("up"), get("down"), get("total"))
}

fn block_lab(block: Block) -> Option<Lab> {
    lab::require(
        Layout::new()
            .with(PortKind::Open, &[8080])
            .with_block(block),
    )
}

/// `-sn` over the block finds exactly the live hosts, over IPv4 and IPv6, with nmap's
/// reasons (`echo-reply` when they answer ping; a host that drops pings is found by the TCP
/// probes, `reset` or `syn-ack`); without privileges (connect() to 80 and 443) too; the dead
/// addresses are counted down, not listed.
#[test]
fn ping_scan_finds_exactly_the_live_hosts() {
    if lab::which("setpriv").is_none() {
        lab::skip_or_panic("setpriv (util-linux) not found");
        return;
    }
    let block = Block {
        ping_silent_every: 4,
        ..Block::default()
    };
    let Some(lab) = block_lab(block) else {
        return;
    };
    let b = *lab.block();
    for fam in [Family::V4, Family::V6] {
        let want: BTreeSet<String> = b.live_addr_strings(fam).into_iter().collect();
        assert!(want.len() >= 8, "{} live hosts only", want.len());
        let target = b.cidr(fam);
        for unprivileged in [false, true] {
            let (hosts, doc) = scan(&lab, &["-sn", "-n", &target], unprivileged);
            let got = addresses(&hosts);
            assert_eq!(
                got,
                want,
                "-sn {target} (unprivileged: {unprivileged}): {}",
                missed_extra(&want, &got)
            );
            let (up, down, total) = counts(&doc);
            assert_eq!(
                (up, down, total),
                (
                    want.len() as u64,
                    u64::from(b.size()) - want.len() as u64,
                    u64::from(b.size())
                ),
                "host counts of -sn {target}"
            );
            for h in &hosts {
                assert!(h.ports.is_empty(), "{}: ports in a -sn scan", h.address);
                let host = b
                    .host_at(h.address.parse().expect("address"))
                    .expect("a live host");
                let ok: &[&str] = if unprivileged {
                    // connect() to 80 and 443: 80 is open or closed on every live host.
                    &["syn-ack", "conn-refused"]
                } else if host.answers_ping {
                    // Every probe goes out at once and the first answer decides, as in nmap.
                    &["echo-reply", "timestamp-reply", "reset", "syn-ack"]
                } else {
                    // TCP ACK to 80 draws a RST; SYN to 443 a SYN+ACK or a RST.
                    &["reset", "syn-ack"]
                };
                assert!(
                    ok.contains(&h.reason.as_str()),
                    "{} (answers ping: {}, unprivileged: {unprivileged}): reason {}",
                    h.address,
                    host.answers_ping,
                    h.reason
                );
            }
        }
    }
}

/// A port scan of the sparse block with discovery reports exactly the live hosts and their
/// ports; the same scan with `-Pn` (every address probed) is exact too and lists every
/// address of the block.
#[test]
fn port_scans_of_a_sparse_block_are_exact() {
    let Some(lab) = block_lab(Block::default()) else {
        return;
    };
    let b = *lab.block();
    for fam in [Family::V4, Family::V6] {
        let target = b.cidr(fam);
        let want: BTreeSet<String> = b.live_addr_strings(fam).into_iter().collect();
        for pn in [false, true] {
            let mut args = vec!["-sS", "-n", "--reason", "-p", "22,80,443,8080", &target];
            if pn {
                args.push("-Pn");
            }
            let (hosts, doc) = scan(&lab, &args, false);
            let got = addresses(&hosts);
            if pn {
                assert_eq!(hosts.len() as u32, b.size(), "-Pn lists every address");
                assert!(hosts.iter().all(|h| h.reason == "user-set"));
            } else {
                assert_eq!(got, want, "{target}: {}", missed_extra(&want, &got));
                assert_eq!(counts(&doc).0, want.len() as u64);
            }
            let mut bad = Vec::new();
            for h in &hosts {
                let addr: std::net::IpAddr = h.address.parse().expect("address");
                for port in [22u16, 80, 443, 8080] {
                    let want = b.expected_syn(addr, port);
                    let got = h.ports.get(&port).map(|(s, r)| (s.as_str(), r.as_str()));
                    if got != Some(want) {
                        bad.push(format!("{addr}:{port}: scanfw {got:?}, lab {want:?}"));
                    }
                }
            }
            assert!(
                bad.is_empty(),
                "{target} (-Pn: {pn}): {} wrong ports:\n{}",
                bad.len(),
                bad.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
            );
        }
    }
}

/// The lab's target is on the scanner's link: ARP (IPv4) and Neighbor Discovery (IPv6) find
/// it, with its MAC address; an unused address of the link is down (and quickly); with
/// `-Pn` the MAC is still learnt; `--disable-arp-ping` uses the IP probes instead.
#[test]
fn arp_and_nd_find_the_target_on_the_link() {
    let Some(lab) = lab::require(Layout::new().with(PortKind::Open, &[22])) else {
        return;
    };
    let mac = lab
        .run_in_target("cat", ["/sys/class/net/veth0/address"])
        .expect("target MAC")
        .stdout
        .trim()
        .to_string();
    let dead4 = format!("198.18.{}.77", lab.subnet);
    let dead6 = format!("fd00:5ca0:{:x}::77", lab.subnet);
    for (target, dead, reason) in [
        (lab.target(Family::V4), dead4, "arp-response"),
        (lab.target(Family::V6), dead6, "nd-response"),
    ] {
        let (hosts, doc) = scan(&lab, &["-n", "-p", "22", &target, &dead], false);
        assert_eq!(hosts.len(), 1, "{hosts:?}");
        let h = &hosts[0];
        assert_eq!(h.address, target);
        assert_eq!(h.reason, reason);
        assert_eq!(h.mac.as_deref(), Some(mac.as_str()));
        assert_eq!(h.ports.get(&22).map(|p| p.0.as_str()), Some("open"));
        assert_eq!(counts(&doc), (1, 1, 2));
        let (hosts, _) = scan(&lab, &["-n", "-Pn", "-p", "22", &target], false);
        assert_eq!(hosts[0].reason, "user-set");
        assert_eq!(
            hosts[0].mac.as_deref(),
            Some(mac.as_str()),
            "-Pn still learns the MAC"
        );
        let (hosts, _) = scan(
            &lab,
            &["-n", "--disable-arp-ping", "-p", "22", &target],
            false,
        );
        // The IP probes: whichever answer came first (the target answers them all).
        let ip_reasons = ["echo-reply", "timestamp-reply", "reset", "syn-ack"];
        assert!(
            ip_reasons.contains(&hosts[0].reason.as_str()),
            "{}",
            hosts[0].reason
        );
        assert_eq!(hosts[0].mac, None);
        let (hosts, _) = scan(
            &lab,
            &["-n", "--disable-arp-ping", "-PE", "-p", "22", &target],
            false,
        );
        assert_eq!(hosts[0].reason, "echo-reply", "-PE alone");
    }
}

/// Up hosts get their PTR names from the lab's DNS server (the scanner namespace's
/// resolv.conf points at it), in JSON and XML; `-n` asks nothing; `--dns-servers` names the
/// server directly.
#[test]
fn reverse_dns_names_appear() {
    let layout = Layout::new()
        .with(PortKind::Open, &[8080])
        .with_block(Block::default())
        .with_dns();
    let Some(lab) = lab::require(layout) else {
        return;
    };
    let b = *lab.block();
    let target = b.cidr(Family::V4);
    let (hosts, _) = scan(&lab, &["-sn", &target], false);
    let mut named = 0;
    for h in &hosts {
        let want = lab.name_of(&h.address);
        let got: Vec<&str> = h
            .names
            .iter()
            .filter(|(_, t)| t == "PTR")
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(
            got,
            want.as_deref().into_iter().collect::<Vec<_>>(),
            "{}",
            h.address
        );
        named += usize::from(want.is_some());
    }
    assert!(named >= 3, "only {named} named hosts in the lab");
    let (hosts, _) = scan(&lab, &["-sn", "-n", &target], false);
    assert!(
        hosts.iter().all(|h| h.names.is_empty()),
        "-n resolved names"
    );
    let server = lab.dns_server(Family::V4).expect("dns server");
    let (hosts, _) = scan(&lab, &["-sn", "--dns-servers", &server, &target], false);
    assert!(
        hosts.iter().any(|h| !h.names.is_empty()),
        "--dns-servers found no name"
    );
    // The XML carries them as nmap's PTR host names.
    let dir = tempfile::tempdir().expect("tempdir");
    let xml = dir.path().join("names.xml");
    let xml_s = xml.display().to_string();
    let r = lab
        .run_in_scanner(SCANFW, ["-sn", &target, "-oX", &xml_s])
        .expect("scanfw");
    r.assert_success();
    let text = std::fs::read_to_string(&xml).expect("xml");
    let first = hosts
        .iter()
        .find_map(|h| lab.name_of(&h.address))
        .expect("a named host");
    assert!(
        text.contains(&format!("<hostname name=\"{first}\" type=\"PTR\"/>")),
        "{first} not in the XML"
    );
}
