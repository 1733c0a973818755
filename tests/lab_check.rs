use scanfw_techniques as _;
// (kept apart so rustfmt does not reorder: the technique and reporter crates are linked
// for their inventory registrations)
use scanfw_reporters as _;

mod lab;

// `--check` sends nothing (docs/profiles.md, "Checking a profile"): a profile that asks for
// everything that sends — a raw SYN scan, raw discovery with ARP / Neighbor Discovery, reverse
// DNS of every target through a named server — is checked as root in the lab's scanner
// namespace while every frame there is captured, and not one frame may go to the target or
// ask about it. The same profile run without `--check` is the control: the capture sees its
// frames, and its output file appears.
//
// Needs root, `ip`, `nft`. Without them the tests print `SKIP (lab unavailable): ...` and
// pass, except under `CI=true`, where they fail.

use std::net::IpAddr;
use std::time::Duration;

use lab::inject::{mentions, Capture};
use lab::{Family, Lab, Layout, PortKind, RunOutput};

const SCANFW: &str = env!("CARGO_BIN_EXE_scanfw");

/// Runs scanfw in the scanner namespace while capturing; returns the run and the number of
/// frames that mention `target` (the namespace's kernel sends a few frames of its own,
/// Neighbor Discovery and the like, so frames are not counted otherwise).
fn captured(lab: &Lab, args: &[String], target: IpAddr) -> (RunOutput, usize) {
    let cap = Capture::start(&lab.scanner_ns).unwrap_or_else(|e| panic!("capture: {e}"));
    let r = lab
        .run_in_scanner_timeout(SCANFW, args, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("running scanfw: {e}"));
    let frames = cap.stop().unwrap_or_else(|e| panic!("capture: {e}"));
    let about = frames.iter().filter(|f| mentions(f, target)).count();
    eprintln!(
        "`{}`: exit {}, {} frames captured, {about} about {target}\n{}",
        r.cmdline,
        r.status,
        frames.len(),
        r.stderr.trim_end()
    );
    (r, about)
}

fn check_sends_nothing(family: Family) {
    let Some(lab) = lab::require(Layout::new().with(PortKind::Open, &[80])) else {
        return;
    };
    let target: IpAddr = lab.target_hosts(family)[0].parse().expect("address");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("scan.xml");
    let profile = dir.path().join("audit.toml");
    // The target is also the DNS server: a PTR query would be a frame to it.
    let server = match target {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => format!("[{a}]"),
    };
    std::fs::write(
        &profile,
        format!(
            "targets = [\"{target}\"]\nports = \"80,443\"\ntechnique = \"syn\"\nprivileges = \"privileged\"\n\n[dns]\nresolve = \"always\"\nservers = [\"{server}\"]\n\n[scope]\nallow = [\"{target}\"]\n\n[[output]]\nformat = \"xml\"\npath = \"scan.xml\"\n"
        ),
    )
    .expect("write profile");
    let profile = profile.display().to_string();

    let check = vec!["-c".to_string(), profile.clone(), "--check".to_string()];
    let (r, about) = captured(&lab, &check, target);
    assert!(r.success(), "the check passes: {}", r.stderr);
    assert!(
        r.stdout.contains("techniques: syn (tcp)") && r.stdout.contains("hosts: 1 (exact count)"),
        "{}",
        r.stdout
    );
    assert_eq!(about, 0, "--check sent {about} frames to or about {target}");
    assert!(!out.exists(), "--check wrote {}", out.display());

    // The control: the same profile, run.
    let (r, about) = captured(&lab, &[String::from("-c"), profile], target);
    assert!(r.success(), "the scan runs: {}", r.stderr);
    assert!(about > 0, "the capture saw no frame of the real scan");
    assert!(out.is_file(), "the real scan writes {}", out.display());
}

#[test]
fn a_check_sends_nothing_ipv4() {
    check_sends_nothing(Family::V4);
}

#[test]
fn b_check_sends_nothing_ipv6() {
    check_sends_nothing(Family::V6);
}
