use scanfw_techniques as _;
// (kept apart so rustfmt does not reorder: the technique and reporter crates are linked
// for their inventory registrations)
use scanfw_reporters as _;

mod lab;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use lab::report::{parse_nmap_xml, HostPorts};
use lab::{Family, Lab, Layout, PortKind};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

const KINDS: [PortKind; 7] = [
    PortKind::Open,
    PortKind::Closed,
    PortKind::Drop,
    PortKind::RejectAdminProhibited,
    PortKind::RejectHostUnreachable,
    PortKind::RejectTcpReset,
    PortKind::RejectPortUnreachable,
];

fn nmap_dump(lab: &Lab, nmap: &Path, flag: &str, family: Family, ports: &str, dir: &Path) -> HostPorts {
    let x = dir.join(format!("{flag}-{family:?}-{}.xml", ports.len()));
    let mut args: Vec<String> = Vec::new();
    if family == Family::V6 {
        args.push("-6".into());
    }
    for a in [flag, "-Pn", "-n", "--reason", "-p", ports, "-oX"] {
        args.push(a.into());
    }
    args.push(x.display().to_string());
    args.push(lab.target(family));
    let r = lab.run_in_scanner(nmap, &args).expect("nmap");
    r.assert_success();
    eprintln!("timing: `{}` took {:.2?}", r.cmdline, r.elapsed);
    let mut h = parse_nmap_xml(&read(&x)).expect("xml");
    assert_eq!(h.len(), 1);
    h.remove(0)
}

#[test]
#[ignore]
fn z_dump_nmap_ground_truth() {
    let nmap = Path::new("/usr/bin/nmap");
    let dir = Path::new("/tmp/stealth");
    let layout = Layout::standard();
    let mut small: Vec<u16> = layout.special_ports();
    small.extend([2, 3, 4, 1000, 65534]);
    small.sort();
    let small_spec = small.iter().map(u16::to_string).collect::<Vec<_>>().join(",");
    for flag in ["-sF", "-sN", "-sX", "-sA", "-sW", "-sM"] {
        for family in [Family::V4, Family::V6] {
            let lab = lab::require(Layout::standard()).expect("lab");
            let full = nmap_dump(&lab, nmap, flag, family, "-", dir);
            let few = nmap_dump(&lab, nmap, flag, family, &small_spec, dir);
            let mut by_kind: BTreeMap<PortKind, BTreeSet<String>> = BTreeMap::new();
            for p in &full.ports {
                by_kind
                    .entry(lab.layout.kind(p.port))
                    .or_default()
                    .insert(format!("{}/{}", p.state, p.reason));
            }
            let mut ttl: BTreeMap<PortKind, BTreeSet<String>> = BTreeMap::new();
            for p in &few.ports {
                ttl.entry(lab.layout.kind(p.port))
                    .or_default()
                    .insert(format!("{}/{} ttl {:?}", p.state, p.reason, p.reason_ttl));
            }
            println!("== {flag} {family:?}: extraports {:?}", full.extraports);
            for k in KINDS {
                println!("   {k:?}: full {:?}  small {:?}", by_kind.get(&k), ttl.get(&k));
            }
            let _ = Duration::ZERO;
            let _ = Instant::now();
        }
    }
}
