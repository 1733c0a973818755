use scanfw_techniques as _;
// (kept apart so rustfmt does not reorder: the technique and reporter crates are linked
// for their inventory registrations)
use scanfw_reporters as _;

mod lab;

// Scopes (docs/profiles.md, "[scope]"): a target outside the scope is refused before any
// packet. The lab's target owns two addresses, .2 and .3; the scope allows .2 only (or
// denies .3). Every frame of the scanner namespace is captured during each run, and not one
// may be sent to .3 or ask about it (ARP, Neighbor Solicitation, DNS PTR), whether the
// out-of-scope target comes from the command line, from a profile, or over a profile. An
// in-scope run is the control: the capture does see its frames to .2.
//
// Needs root, `ip`, `nft`. Without them the tests print `SKIP (lab unavailable): ...` and
// pass, except under `CI=true`, where they fail.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use lab::inject::{mentions, Capture};
use lab::{Family, Lab, Layout, PortKind, RunOutput};

const SCANFW: &str = env!("CARGO_BIN_EXE_scanfw");

/// The lab's two target addresses in `family`: (in scope, out of scope).
fn pair(lab: &Lab, family: Family) -> (IpAddr, IpAddr) {
    let hosts = lab.target_hosts(family);
    let parse = |s: &String| s.parse::<IpAddr>().expect("address");
    (parse(&hosts[0]), parse(&hosts[1]))
}

/// Runs scanfw in the scanner namespace while capturing; returns the run and the frames
/// that mention `watched`, plus how many frames mention `control`.
fn captured(
    lab: &Lab,
    args: &[String],
    watched: IpAddr,
    control: IpAddr,
) -> (RunOutput, usize, usize) {
    let cap = Capture::start(&lab.scanner_ns).unwrap_or_else(|e| panic!("capture: {e}"));
    let r = lab
        .run_in_scanner_timeout(SCANFW, args, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("running scanfw: {e}"));
    let frames = cap.stop().unwrap_or_else(|e| panic!("capture: {e}"));
    let bad = frames.iter().filter(|f| mentions(f, watched)).count();
    let good = frames.iter().filter(|f| mentions(f, control)).count();
    eprintln!(
        "`{}`: exit {}, {} frames captured, {bad} to {watched}, {good} to {control}\n{}",
        r.cmdline,
        r.status,
        frames.len(),
        r.stderr.trim_end()
    );
    (r, bad, good)
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p.display().to_string()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn refused(r: &RunOutput, out: IpAddr, what: &str) {
    assert_eq!(
        r.status.code(),
        Some(2),
        "{what}: exit 2 expected\n{}",
        r.stderr
    );
    let line = r
        .stderr
        .lines()
        .find(|l| l.contains("scope"))
        .unwrap_or_default();
    assert!(
        line.contains(&format!("target {out} ")) && line.contains("nothing was sent"),
        "{what}: the message names the target and the scope: {}",
        r.stderr
    );
    assert_eq!(
        r.stderr.trim().lines().count(),
        1,
        "{what}: one line: {}",
        r.stderr
    );
}

fn scope_refusals(family: Family) {
    let Some(lab) = lab::require(
        Layout::new()
            .with(PortKind::Open, &[80])
            .with_extra_hosts(1),
    ) else {
        return;
    };
    let (inside, outside) = pair(&lab, family);
    let dir = tempfile::tempdir().expect("tempdir");
    let scope = write(
        dir.path(),
        "scope.toml",
        &format!("[scope]\nallow = [\"{inside}\"]\n"),
    );
    let dns = lab.dns_server(family).unwrap_or_else(|| inside.to_string());
    let common = ["-p", "80", "-R", "--dns-servers", dns.as_str()];

    // 1. Both on the command line, with --scope: raw scan with discovery, ARP/ND and PTR.
    let mut a = args(&["--scope", &scope, "-sS"]);
    a.extend(args(&common));
    a.extend([inside.to_string(), outside.to_string()]);
    let (r, bad, _) = captured(&lab, &a, outside, inside);
    refused(&r, outside, "command line");
    assert_eq!(bad, 0, "frames were sent to {outside}");

    // 2. From a profile that carries its own scope and targets.
    let profile = write(
        dir.path(),
        "audit.toml",
        &format!(
            "targets = [\"{inside}\", \"{outside}\"]\nports = \"80\"\n\n[scope]\nallow = [\"{inside}\"]\n"
        ),
    );
    let (r, bad, _) = captured(&lab, &args(&["-c", &profile, "-sS"]), outside, inside);
    refused(&r, outside, "profile");
    assert_eq!(bad, 0, "frames were sent to {outside}");

    // 3. An in-scope profile, the out-of-scope target given over it on the command line.
    let profile = write(
        dir.path(),
        "inscope.toml",
        &format!("targets = [\"{inside}\"]\nports = \"80\"\n\n[scope]\nallow = [\"{inside}\"]\n"),
    );
    let mut a = args(&["-c", &profile, "-sS", "-sn"]);
    a.retain(|s| s != "-sS");
    a.push(outside.to_string());
    let (r, bad, _) = captured(&lab, &a, outside, inside);
    refused(&r, outside, "command line over a profile");
    assert_eq!(bad, 0, "frames were sent to {outside}");

    // 4. Denied inside an allowed block, the block given as the target.
    let block = match family {
        Family::V4 => format!("{}/29", inside),
        Family::V6 => format!("{}/125", inside),
    };
    let deny = write(
        dir.path(),
        "deny.toml",
        &format!("[scope]\nallow = [\"{block}\"]\ndeny = [\"{outside}\"]\n"),
    );
    let mut a = args(&["--scope", &deny, "-sT"]);
    a.extend(args(&common));
    a.push(block.clone());
    let (r, bad, _) = captured(&lab, &a, outside, inside);
    refused(&r, outside, "denied");
    assert!(r.stderr.contains("is denied by the scope"), "{}", r.stderr);
    assert_eq!(bad, 0, "frames were sent to {outside}");

    // The control: in scope, the same kind of scan runs and the capture sees it.
    let mut a = args(&["--scope", &scope, "-sS", "-oJ", "-"]);
    a.extend(args(&common));
    a.push(inside.to_string());
    let (r, bad, good) = captured(&lab, &a, outside, inside);
    assert!(r.success(), "the in-scope scan runs: {}", r.stderr);
    assert_eq!(bad, 0);
    assert!(good > 0, "the capture saw no frame of the in-scope scan");
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let scopes = doc["scopes"].as_array().expect("scopes").clone();
    assert_eq!(scopes.len(), 1);
    assert!(
        scopes[0]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("allow {inside}")),
        "{scopes:?}"
    );
}

#[test]
fn a_scope_refusals_ipv4() {
    scope_refusals(Family::V4);
}

#[test]
fn b_scope_refusals_ipv6() {
    scope_refusals(Family::V6);
}
