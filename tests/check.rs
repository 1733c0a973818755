//! `scanfw --check` (docs/profiles.md, "Checking a profile"): a valid profile gives exit 0 and
//! the plan's summary, a bad one the run's own one-line error and exit 2; nothing is written
//! either way, even when the profile names output files, and the scan itself never starts.
//!
//! Targets are loopback addresses only. The one real run here (the control that shows the same
//! profile does write its output without `--check`) is a connect() scan of 127.0.0.1.

use scanfw_reporters as _;
use scanfw_techniques as _;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SCANFW: &str = env!("CARGO_BIN_EXE_scanfw");

/// Longest a check may take: it scans nothing, so a huge target set or all ports on a slow
/// timing template still end at once (a check that ran the scan would not).
const CHECK_LIMIT: Duration = Duration::from_secs(20);

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs scanfw in `cwd`; a run still going after [`CHECK_LIMIT`] is killed (code `None`).
fn run(cwd: &Path, args: &[&str]) -> Run {
    let mut child = Command::new(SCANFW)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run scanfw");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > CHECK_LIMIT {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().expect("output");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every path under `dir`, sorted.
fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            }
            out.push(e.path());
        }
    }
    out.sort();
    out
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p.display().to_string()
}

/// A loopback audit with a scope, two outputs (one a file), a group and a rule.
const AUDIT: &str = r#"targets = ["127.0.0.1", "127.0.0.8/30"]
ports = "22,80,443,8000-8100"
technique = "connect"
seed = 42

[discovery]
skip = true

[dns]
resolve = "never"

[timing]
max_retries = 0

[scope]
allow = ["127.0.0.0/8"]

[[output]]
format = "xml"
path = "out/scan.xml"

[[output]]
format = "table"

[groups]
local = ["127.0.0.1"]

[[expect]]
hosts = "local"
allowed = "T:22"
"#;

fn line<'a>(stdout: &'a str, key: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.starts_with(&format!("{key}: ")))
        .unwrap_or_else(|| panic!("no `{key}:` line in\n{stdout}"))
}

#[test]
fn a_valid_profile_prints_its_plan_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let work = dir.path();
    std::fs::create_dir(work.join("out")).expect("out dir");
    let profile = write(work, "audit.toml", AUDIT);
    let before = listing(work);
    let r = run(work, &["-c", &profile, "--check"]);
    assert_eq!(r.code, Some(0), "stderr {}\nstdout {}", r.stderr, r.stdout);
    assert_eq!(
        r.stderr, "",
        "a check of a valid profile says nothing on stderr"
    );
    assert_eq!(listing(work), before, "--check created or removed a file");
    let out = &r.stdout;
    assert!(
        out.starts_with("scanfw --check: the scan is valid; nothing was sent"),
        "{out}"
    );
    assert_eq!(line(out, "hosts"), "hosts: 5 (exact count)");
    assert_eq!(
        line(out, "ports"),
        "ports: 104 tcp ports (22,80,443,8000-8100)"
    );
    assert_eq!(line(out, "techniques"), "techniques: connect (tcp)");
    assert_eq!(
        line(out, "discovery"),
        "discovery: none, every target is treated as up"
    );
    assert_eq!(line(out, "reverse dns"), "reverse dns: never");
    assert_eq!(
        line(out, "outputs"),
        format!(
            "outputs: xml to {}, table to standard output",
            work.join("out/scan.xml").display()
        )
    );
    assert_eq!(
        line(out, "scopes"),
        format!("scopes: {profile}:15 (allow 127.0.0.0/8)")
    );
    assert_eq!(line(out, "expect"), "expect: 1 rule: expect[1] local");
    assert_eq!(line(out, "baseline"), "baseline: none");
    assert_eq!(line(out, "timing"), "timing: T3, max_retries 0");
    assert!(
        line(out, "sending").ends_with(", seed 42"),
        "{}",
        line(out, "sending")
    );

    // Command-line options apply over the profile in a check as in a run.
    let r = run(
        work,
        &["-c", &profile, "--check", "-p", "T:1-10", "127.0.0.1"],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(line(&r.stdout, "hosts"), "hosts: 1 (exact count)");
    assert_eq!(line(&r.stdout, "ports"), "ports: 10 tcp ports (1-10)");
    assert_eq!(listing(work), before, "--check created or removed a file");

    // The control: the same profile without --check writes its output file (a connect()
    // scan of loopback ports; the rule may find drift, exit 3).
    let r = run(
        work,
        &[
            "-c",
            &profile,
            "-p",
            "T:1",
            "127.0.0.1",
            "--max-retries",
            "0",
        ],
    );
    assert!(matches!(r.code, Some(0 | 3)), "{}", r.stderr);
    assert!(
        work.join("out/scan.xml").is_file(),
        "the run without --check should write out/scan.xml"
    );
}

#[test]
fn a_baseline_from_the_profile_is_read_and_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let work = dir.path();
    // A baseline: a real (loopback, connect) scan's JSON.
    let r = run(
        work,
        &[
            "-sT",
            "-Pn",
            "-n",
            "-p",
            "1",
            "--max-retries",
            "0",
            "-oJ",
            "last.json",
            "127.0.0.1",
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let profile = write(
        work,
        "audit.toml",
        "targets = [\"127.0.0.1\"]\nports = \"1\"\ntechnique = \"connect\"\nbaseline = \"last.json\"\n",
    );
    let before = listing(work);
    let r = run(work, &["-c", &profile, "--check"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        line(&r.stdout, "baseline"),
        format!("baseline: {}", work.join("last.json").display())
    );
    assert_eq!(listing(work), before);

    // A baseline that cannot be read is the run's error, exit 2.
    std::fs::write(work.join("last.json"), "not a report").expect("write");
    let r = run(work, &["-c", &profile, "--check"]);
    assert_eq!(r.code, Some(2), "{}", r.stdout);
    assert_eq!(r.stdout, "");
}

#[test]
fn flags_alone_are_checked_too_and_huge_sets_are_bounded() {
    let dir = tempfile::tempdir().expect("temp dir");
    let work = dir.path();
    // All ports of 2^24 addresses at the paranoid template: a check ends at once.
    let r = run(
        work,
        &[
            "--check",
            "-sT",
            "-Pn",
            "-n",
            "-p-",
            "-T0",
            "--seed",
            "7",
            "127.0.0.0/8",
        ],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        line(&r.stdout, "hosts"),
        "hosts: at most 16777216 (an upper bound: too many to count, exclusions not subtracted)"
    );
    assert_eq!(line(&r.stdout, "ports"), "ports: 65535 tcp ports (1-65535)");
    assert_eq!(line(&r.stdout, "scopes"), "scopes: none");
    assert!(line(&r.stdout, "sending").contains("seed 7"));

    let r = run(work, &["--check", "-sn", "--unprivileged", "127.0.0.1"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        line(&r.stdout, "ports"),
        "ports: none (host discovery only)"
    );
    assert_eq!(
        line(&r.stdout, "discovery"),
        "discovery: tcp-connect:80,443"
    );
    assert!(line(&r.stdout, "sending").starts_with("sending: no raw sockets"));
    assert_eq!(listing(work), Vec::<PathBuf>::new());
}

/// Bad profiles and options fail a check exactly as they fail a run: exit 2, one line on
/// stderr, nothing on stdout, no file.
#[test]
fn bad_input_fails_the_check_with_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let work = dir.path();
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "targets = [\"127.0.0.1\", \"127.0.0.2\"]\ntechnique = \"connect\"\n[scope]\nallow = [\"127.0.0.1\"]\n",
            &[],
            "target 127.0.0.2 is outside the scope",
        ),
        (
            "targets = [\"127.0.0.1\"]\nprots = \"80\"\n",
            &[],
            "profile.toml:2:1: unknown key `prots`",
        ),
        (
            "targets = [\"127.0.0.1\"]\nscanflags = \"SYNX\"\n",
            &[],
            "profile.toml:2:13: invalid value for `scanflags`",
        ),
        (
            "targets = [\"127.0.0.1\"]\nprivileges = \"root\"\n",
            &[],
            "profile.toml:2:14: invalid value for `privileges`",
        ),
        (
            "targets = [\"127.0.0.1\"]\ntechnique = \"connect\"\nscanflags = \"SYN\"\n",
            &[],
            "--scanflags does not apply to the connect technique",
        ),
        (
            "targets = [\"127.0.0.1\"]\ntechnique = \"connect\"\nsource_ip = [\"198.51.100.200\"]\n",
            &[],
            "--source-ip 198.51.100.200 is not an address of this host",
        ),
        (
            "targets = [\"127.0.0.1\"]\ntechnique = \"syn\"\nprivileges = \"unprivileged\"\nfallback = false\n",
            &[],
            "the syn technique needs raw-socket privileges",
        ),
        (
            "targets = [\"127.0.0.1\"]\ntechnique = \"connect\"\n[[output]]\nformat = \"xml\"\npath = \"missing/scan.xml\"\n",
            &[],
            "does not exist",
        ),
        (
            "targets = [\"127.0.0.1\"]\ntechnique = \"connect\"\n[[expect]]\nhosts = \"127.0.0.1\"\nup = true\n",
            &["-Pn"],
            "`up` cannot be checked when host discovery is skipped",
        ),
        (
            "targets = [\"127.0.0.1\"]\ntechnique = \"connect\"\nbaseline = \"nowhere.json\"\n",
            &[],
            "nowhere.json",
        ),
    ];
    let mut failures = Vec::new();
    for (text, extra, expect) in cases {
        let profile = write(work, "profile.toml", text);
        let before = listing(work);
        let mut args = vec!["-c", profile.as_str(), "--check"];
        args.extend_from_slice(extra);
        let r = run(work, &args);
        let ok = r.code == Some(2)
            && r.stderr.starts_with("scanfw: ")
            && r.stderr.contains(expect)
            && r.stderr.trim_end().lines().count() == 1
            && r.stdout.is_empty()
            && listing(work) == before;
        if !ok {
            failures.push(format!(
                "{text:?} {extra:?}: exit {:?}, stderr {:?}, stdout {:?}; expected {expect:?}",
                r.code, r.stderr, r.stdout
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
