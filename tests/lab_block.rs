use scanfw_techniques as _;
// (kept apart so rustfmt does not reorder: the technique and reporter crates are linked
// for their inventory registrations)
use scanfw_reporters as _;

mod lab;

// Self-tests of the block lab (docs/lab.md, "The block lab") and of the lab's DNS server:
// nmap, run in the scanner namespace, must see exactly what `lab::Block` claims: the live
// hosts of a sparse /24 (and its IPv6 twin), the state of 22, 80 and 443 on them, silence
// from the dead addresses, the lab's names through the DNS server; and bench/block.py
// (the benchmark's copy of the rule) must agree with the Rust one.
//
// Needs root, `ip`, `nft`, nmap, dnsmasq (Debian dnsmasq-base), getent and python3;
// without them the tests print `SKIP (lab unavailable): ...` and pass, except under
// `CI=true`, where they fail. Packets go only to the lab's namespaces (no default route).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use lab::check::{read, summarize};
use lab::report::{parse_nmap_xml, HostPorts};
use lab::{Block, Family, Lab, Layout, PortKind};

/// Run nmap in the scanner namespace with `-oX <dir>/<name>.xml`; returns the parsed hosts.
fn nmap_xml(lab: &Lab, nmap: &Path, dir: &Path, name: &str, args: &[&str]) -> Vec<HostPorts> {
    let xml = dir.join(format!("{name}.xml"));
    let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    a.push("-oX".into());
    a.push(xml.display().to_string());
    let r = lab
        .run_in_scanner_timeout(nmap, &a, Duration::from_secs(120))
        .unwrap_or_else(|e| panic!("running nmap: {e}"));
    r.assert_success();
    eprintln!("timing: `{}` took {:.2?}", r.cmdline, r.elapsed);
    parse_nmap_xml(&read(&xml)).unwrap_or_else(|e| panic!("{name}.xml: {e}"))
}

/// The addresses nmap reports up, as a set.
fn up_hosts(hosts: &[HostPorts]) -> BTreeSet<String> {
    hosts
        .iter()
        .filter(|h| h.status == "up")
        .map(|h| h.address.clone())
        .collect()
}

/// A few live hosts of the block covering every combination of 80 (open, closed) and 443
/// (open, dropped, closed) that occurs, plus the first two dead addresses after .0.
fn sample(b: &Block) -> (Vec<u32>, Vec<u32>) {
    let mut seen = BTreeSet::new();
    let mut live = Vec::new();
    for h in b.live_hosts() {
        if seen.insert((h.port80, h.port443)) {
            live.push(h.index);
        }
    }
    let dead: Vec<u32> = (1..b.size()).filter(|&i| !b.is_live(i)).take(2).collect();
    (live, dead)
}

/// Compare nmap's `-sS -Pn -p 22,80,443` result for `idx` with the block's truth;
/// returns mismatch lines.
fn port_mismatches(b: &Block, fam: Family, idx: &[u32], hosts: &[HostPorts]) -> Vec<String> {
    let by_addr: BTreeMap<&str, &HostPorts> =
        hosts.iter().map(|h| (h.address.as_str(), h)).collect();
    let mut bad = Vec::new();
    for &i in idx {
        let addr = b.addr(i, fam);
        let a = addr.to_string();
        let Some(h) = by_addr.get(a.as_str()) else {
            bad.push(format!("{a}: not in nmap's report"));
            continue;
        };
        let got = h.by_port("tcp").expect("ports");
        for p in lab::block::PORTS {
            let want = b.expected_syn(addr, p);
            let g = got
                .get(&p)
                .map(|(s, r)| (s.as_str(), r.as_str()))
                .or_else(|| {
                    // nmap collapses a common state into <extraports>.
                    let [(state, _, reasons)] = h.extraports.as_slice() else {
                        return None;
                    };
                    Some((state.as_str(), reasons.first().map(String::as_str)?))
                });
            if g != Some(want) {
                bad.push(format!(
                    "{a} (index {i}, {:?}) port {p}: nmap {g:?}, lab says {want:?}",
                    b.tcp_kind(i, p)
                ));
            }
        }
    }
    bad
}

/// (a) IPv4 /24: `nmap -sn -n` finds exactly the live hosts; `nmap -sS -Pn -n -p
/// 22,80,443` on a sample of live and dead addresses gives exactly the expected states.
/// The layout's own ports stay as the layout says on the veth address (the block's
/// wildcard listeners must not open 22/80 there), and the layout's open port 8080 is
/// closed on the block.
#[test]
fn a_block_ipv4_discovery_and_ports() {
    let Some(nmap) = lab::require_tool("nmap") else {
        return;
    };
    let layout = Layout::new()
        .with(PortKind::Open, &[8080])
        .with(PortKind::Drop, &[443])
        .with_block(Block::v4(24));
    let Some(lab) = lab::require(layout) else {
        return;
    };
    let b = *lab.block();
    let dir = tempfile::tempdir().expect("tempdir");

    let hosts = nmap_xml(
        &lab,
        &nmap,
        dir.path(),
        "sn",
        &["-sn", "-n", &b.cidr(Family::V4)],
    );
    let got = up_hosts(&hosts);
    let want: BTreeSet<String> = b.live_addr_strings(Family::V4).into_iter().collect();
    assert!(
        want.len() >= 8,
        "the default /24 should hold a dozen or more live hosts, has {}",
        want.len()
    );
    assert_eq!(
        got,
        want,
        "nmap -sn: up hosts differ from the block's live hosts (missed {:?}, extra {:?})",
        want.difference(&got).collect::<Vec<_>>(),
        got.difference(&want).collect::<Vec<_>>()
    );
    eprintln!(
        "nmap -sn: {} of {} up, as the lab says",
        got.len(),
        b.size()
    );

    let (live, dead) = sample(&b);
    assert_eq!(
        live.len(),
        6,
        "the /24 should show all six 80/443 combinations"
    );
    let mut targets: Vec<String> = live
        .iter()
        .chain(&dead)
        .map(|&i| b.addr(i, Family::V4).to_string())
        .collect();
    targets.push(lab.target(Family::V4));
    let mut args = vec!["-sS", "-Pn", "-n", "--reason", "-p", "22,80,443,8080"];
    args.extend(targets.iter().map(String::as_str));
    let hosts = nmap_xml(&lab, &nmap, dir.path(), "ss", &args);
    let all: Vec<u32> = live.iter().chain(&dead).copied().collect();
    let mut bad = port_mismatches(&b, Family::V4, &all, &hosts);
    // 8080 (a layout port) on the block: closed; the veth address: the layout.
    for h in &hosts {
        let ports = h.by_port("tcp").expect("ports");
        let get = |p: u16| ports.get(&p).map(|(s, r)| (s.as_str(), r.as_str()));
        let idx = b.index_of_str(&h.address);
        let expect: Vec<(u16, (&str, &str))> = match idx {
            Some(i) if b.is_live(i) => vec![(8080, ("closed", "reset"))],
            Some(_) => vec![(8080, ("filtered", "no-response"))],
            None => [22, 80, 443, 8080]
                .iter()
                .map(|&p| (p, lab.layout.expected_syn(p, Family::V4)))
                .collect(),
        };
        for (p, want) in expect {
            let g = get(p).or_else(|| {
                let [(state, _, reasons)] = h.extraports.as_slice() else {
                    return None;
                };
                Some((state.as_str(), reasons.first().map(String::as_str)?))
            });
            if g != Some(want) {
                bad.push(format!(
                    "{} port {p}: nmap {g:?}, expected {want:?}",
                    h.address
                ));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "nmap -sS -Pn disagrees with the lab:\n{}",
        summarize(&bad)
    );
}

/// (b) The IPv6 twin, fd00:5ca1::/120: the same live hosts by `nmap -6 -sn -n` and the
/// same port states.
#[test]
fn b_block_ipv6_discovery_and_ports() {
    let Some(nmap) = lab::require_tool("nmap") else {
        return;
    };
    let Some(lab) = lab::require(Layout::new().with_block(Block::v4(24))) else {
        return;
    };
    let b = *lab.block();
    let dir = tempfile::tempdir().expect("tempdir");
    let hosts = nmap_xml(
        &lab,
        &nmap,
        dir.path(),
        "sn6",
        &["-6", "-sn", "-n", &b.cidr(Family::V6)],
    );
    let got = up_hosts(&hosts);
    let want: BTreeSet<String> = b.live_addr_strings(Family::V6).into_iter().collect();
    assert_eq!(
        got,
        want,
        "nmap -6 -sn: up hosts differ (missed {:?}, extra {:?})",
        want.difference(&got).collect::<Vec<_>>(),
        got.difference(&want).collect::<Vec<_>>()
    );
    let (live, dead) = sample(&b);
    let all: Vec<u32> = live.iter().chain(&dead).copied().collect();
    let targets: Vec<String> = all
        .iter()
        .map(|&i| b.addr(i, Family::V6).to_string())
        .collect();
    let mut args = vec!["-6", "-sS", "-Pn", "-n", "--reason", "-p", "22,80,443"];
    args.extend(targets.iter().map(String::as_str));
    let hosts = nmap_xml(&lab, &nmap, dir.path(), "ss6", &args);
    let bad = port_mismatches(&b, Family::V6, &all, &hosts);
    assert!(
        bad.is_empty(),
        "nmap -6 -sS -Pn disagrees with the lab:\n{}",
        summarize(&bad)
    );
}

/// (c) Ping-silent hosts (`ping_silent_every`): `nmap -sn -PE` (echo only) misses exactly
/// them, nmap's default discovery (echo, SYN 443, ACK 80, timestamp) still finds every
/// live host.
#[test]
fn c_block_ping_silent_hosts() {
    let Some(nmap) = lab::require_tool("nmap") else {
        return;
    };
    let block = Block {
        ping_silent_every: 3,
        ..Block::v4(24)
    };
    let Some(lab) = lab::require(Layout::new().with_block(block)) else {
        return;
    };
    let b = *lab.block();
    let silent: BTreeSet<String> = b
        .live_hosts()
        .iter()
        .filter(|h| !h.answers_ping)
        .map(|h| b.addr(h.index, Family::V4).to_string())
        .collect();
    assert!(!silent.is_empty(), "no ping-silent host in the /24");
    let dir = tempfile::tempdir().expect("tempdir");
    let net = b.cidr(Family::V4);
    let all: BTreeSet<String> = b.live_addr_strings(Family::V4).into_iter().collect();
    let pe = up_hosts(&nmap_xml(
        &lab,
        &nmap,
        dir.path(),
        "pe",
        &["-sn", "-PE", "-n", &net],
    ));
    let want_pe: BTreeSet<String> = all.difference(&silent).cloned().collect();
    assert_eq!(
        pe, want_pe,
        "nmap -sn -PE: up hosts (ping-silent: {silent:?})"
    );
    let dflt = up_hosts(&nmap_xml(
        &lab,
        &nmap,
        dir.path(),
        "sn",
        &["-sn", "-n", &net],
    ));
    assert_eq!(dflt, all, "nmap -sn (default probes): up hosts");
    eprintln!(
        "ping-silent: {} of {} live hosts; -PE found {}, default discovery {}",
        silent.len(),
        all.len(),
        pe.len(),
        dflt.len()
    );
}

/// Resolve `addr` (or a name) with `getent hosts` in the scanner namespace: `Some(line)`
/// or `None` (exit 2: not found).
fn getent(lab: &Lab, key: &str) -> Option<String> {
    let r = lab
        .run_in_scanner_timeout("getent", ["hosts", key], Duration::from_secs(30))
        .expect("getent");
    match r.status.code() {
        Some(0) => Some(r.stdout.trim().to_string()),
        Some(2) => None,
        c => panic!("getent hosts {key}: exit {c:?}: {}", r.stderr),
    }
}

/// (d) The lab's DNS server: `getent hosts` in the scanner namespace resolves the PTR
/// names of named live hosts and the lab's own addresses (and the names forward), finds
/// nothing for unnamed ones; `nmap -sL -R` over the /24 and its IPv6 twin reports exactly
/// the names `Block::name` gives; the scanner's resolv.conf goes away with the lab.
#[test]
fn d_dns_server_names() {
    let Some(nmap) = lab::require_tool("nmap") else {
        return;
    };
    if lab::require_tool("getent").is_none() {
        return;
    }
    let Some(lab) = lab::require(Layout::new().with_block(Block::v4(24)).with_dns()) else {
        return;
    };
    let b = *lab.block();
    let resolv = format!("/etc/netns/{}/resolv.conf", lab.scanner_ns);
    assert!(Path::new(&resolv).is_file(), "{resolv} missing");

    let named: Vec<u32> = b
        .live_indices()
        .into_iter()
        .filter(|&i| b.name(i).is_some())
        .collect();
    let unnamed_live = b
        .live_indices()
        .into_iter()
        .find(|&i| b.name(i).is_none())
        .expect("an unnamed live host");
    assert!(!named.is_empty(), "no named host in the /24");
    for fam in [Family::V4, Family::V6] {
        let a = b.addr(named[0], fam).to_string();
        let name = b.name(named[0]).expect("a named host");
        let line = getent(&lab, &a).unwrap_or_else(|| panic!("getent hosts {a}: not found"));
        assert!(
            line.split_whitespace().nth(1) == Some(name.as_str()),
            "getent hosts {a}: {line:?}, expected {name}"
        );
        assert_eq!(lab.name_of(&a).as_deref(), Some(name.as_str()));
        let u = b.addr(unnamed_live, fam).to_string();
        assert_eq!(
            getent(&lab, &u),
            None,
            "getent hosts {u}: should have no name"
        );
        let t = lab.target(fam);
        let line = getent(&lab, &t).unwrap_or_else(|| panic!("getent hosts {t}: not found"));
        assert!(
            line.contains("target.sfwlab.test"),
            "getent hosts {t}: {line:?}"
        );
    }
    // Forward: the name gives both addresses (getent ahosts lists A and AAAA).
    let name = b.name(named[0]).expect("a named host");
    let r = lab
        .run_in_scanner("getent", ["ahosts", &name])
        .expect("getent ahosts");
    r.assert_success();
    for fam in [Family::V4, Family::V6] {
        let a = b.addr(named[0], fam).to_string();
        assert!(r.stdout.contains(&a), "getent ahosts {name}: {}", r.stdout);
    }

    // nmap's own resolver (reads the bind-mounted resolv.conf): every name of the /24.
    let dir = tempfile::tempdir().expect("tempdir");
    for fam in [Family::V4, Family::V6] {
        let net = b.cidr(fam);
        let mut args = vec!["-sL", "-R"];
        if fam == Family::V6 {
            args.insert(0, "-6");
        }
        args.push(&net);
        let hosts = nmap_xml(&lab, &nmap, dir.path(), &format!("sl-{fam:?}"), &args);
        assert_eq!(hosts.len() as u32, b.size(), "nmap -sL lists every address");
        let mut bad = Vec::new();
        let mut n = 0;
        for h in &hosts {
            let ptr: Vec<&str> = h
                .hostnames
                .iter()
                .filter(|(_, t)| t == "PTR")
                .map(|(n, _)| n.as_str())
                .collect();
            let a: IpAddr = h.address.parse().expect("address");
            let want = b.name_of(a);
            n += usize::from(want.is_some());
            if ptr != want.iter().map(String::as_str).collect::<Vec<_>>() {
                bad.push(format!("{}: nmap -R {ptr:?}, lab {want:?}", h.address));
            }
        }
        assert!(bad.is_empty(), "nmap -sL -R {net}:\n{}", summarize(&bad));
        eprintln!("nmap -sL -R {net}: {n} names, as the lab says");
    }
    drop(lab);
    assert!(!Path::new(&resolv).exists(), "{resolv} left behind");
}

/// (e) bench/block.py (the benchmark's truth) agrees with `lab::Block` on a /16: the
/// same live hosts, the same states of 80 and 443, the same names.
#[test]
fn e_bench_truth_agrees() {
    let Some(python) = lab::require_tool("python3") else {
        return;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/block.py");
    let out = std::process::Command::new(python)
        .arg(&script)
        .args(["truth", "--prefix", "16"])
        .output()
        .expect("run bench/block.py");
    assert!(
        out.status.success(),
        "block.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let b = Block::v4(16);
    let state = |k: PortKind| match k {
        PortKind::Open => "open",
        PortKind::Closed => "closed",
        PortKind::Drop => "filtered",
        _ => unreachable!(),
    };
    let want: Vec<String> = b
        .live_hosts()
        .iter()
        .map(|h| {
            format!(
                "{} {} {} {} {}",
                h.index,
                b.addr(h.index, Family::V4),
                state(h.port80),
                state(h.port443),
                u8::from(h.named)
            )
        })
        .collect();
    let got: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(got.len(), want.len(), "number of live hosts in the /16");
    assert_eq!(got, want, "bench/block.py and tests/lab/block.rs disagree");
    // Sanity of the rule itself: about 1 in 16 live, the shares of the port states.
    let n = want.len() as f64;
    assert!((3500.0..4700.0).contains(&n), "{n} live hosts in a /16");
    let hosts = b.live_hosts();
    let share =
        |f: &dyn Fn(&lab::BlockHost) -> bool| hosts.iter().filter(|h| f(h)).count() as f64 / n;
    let s80 = share(&|h| h.port80 == PortKind::Open);
    let s443o = share(&|h| h.port443 == PortKind::Open);
    let s443d = share(&|h| h.port443 == PortKind::Drop);
    assert!((0.45..0.55).contains(&s80), "80 open on {s80}");
    assert!((0.2..0.3).contains(&s443o), "443 open on {s443o}");
    assert!((0.2..0.3).contains(&s443d), "443 dropped on {s443d}");
    eprintln!("block /16: {n} live; 80 open {s80:.3}, 443 open {s443o:.3}, dropped {s443d:.3}");
}

/// (z) A /16 block with the DNS server (the benchmark's size): builds, its live set has
/// every live host, the last named host resolves. Prints the build time. Ignored (about a
/// second; the other tests use a /24): `cargo test --release --test lab_block --
/// --ignored --nocapture`.
#[test]
#[ignore = "a /16 block lab with DNS: build time (about 1 s)"]
fn z_block16_with_dns_builds() {
    if lab::require_tool("getent").is_none() {
        return;
    }
    let Some(lab) = lab::require(Layout::new().with_block(Block::v4(16)).with_dns()) else {
        return;
    };
    let b = *lab.block();
    eprintln!(
        "block /16: {} live hosts, {} DNS records, lab built in {:?}",
        b.live_indices().len(),
        lab.dns_records().len(),
        lab.setup_time
    );
    let r = lab
        .run_in_target("nft", ["list", "set", "inet", "scanfw_lab", "block_live4"])
        .expect("nft list set");
    r.assert_success();
    let listed = r.stdout.matches("198.19.").count();
    assert_eq!(listed, b.live_indices().len(), "elements of block_live4");
    let last = *b
        .live_indices()
        .iter()
        .rev()
        .find(|&&i| b.name(i).is_some())
        .expect("a named host");
    let a = b.addr(last, Family::V4).to_string();
    let line = getent(&lab, &a).unwrap_or_else(|| panic!("getent hosts {a}: not found"));
    assert!(
        line.ends_with(&b.name(last).expect("a named host")),
        "getent hosts {a}: {line}"
    );
}
