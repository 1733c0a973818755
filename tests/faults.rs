//! A hostile environment: too few file descriptors, closed or full stdout and stderr, output
//! files that cannot be written, probes that cannot be sent, source addresses and targets
//! that cannot work together. Never a panic; the exit code says what happened (0 for a
//! listing into a closed pipe, 1 for a runtime failure, 2 for bad input, with nothing sent).
//!
//! Packets go to loopback only; the cases that need a route-less host run in a fresh network
//! namespace (`unshare -n`, root), where nothing can leave at all.

use scanfw_reporters as _;
use scanfw_techniques as _;

use std::fs::File;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Output, Stdio};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_scanfw")
}

fn run(cmd: &mut Command) -> (Option<i32>, String) {
    let out: Output = cmd.stdin(Stdio::null()).output().expect("run scanfw");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!err.contains("panicked"), "panic: {err}");
    (out.status.code(), err)
}

fn scanfw(args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.args(args);
    c
}

/// A pipe whose read end is already closed: writing gets EPIPE.
fn closed_pipe() -> OwnedFd {
    let mut fds = [0; 2];
    // SAFETY: pipe(2) fills two fresh descriptors, which we then own.
    unsafe {
        assert_eq!(libc::pipe(fds.as_mut_ptr()), 0, "pipe");
        drop(OwnedFd::from_raw_fd(fds[0]));
        OwnedFd::from_raw_fd(fds[1])
    }
}

fn dev_full() -> File {
    File::options()
        .write(true)
        .open("/dev/full")
        .expect("open /dev/full")
}

fn root() -> bool {
    // SAFETY: geteuid(2) cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// `unshare` exists and works here (root): a network namespace with nothing in it.
fn netns() -> bool {
    root()
        && Command::new("unshare")
            .args(["-n", "true"])
            .status()
            .is_ok_and(|s| s.success())
}

#[test]
fn too_few_descriptors_are_refused_in_one_line() {
    for n in ["7", "8", "20"] {
        let script = format!("ulimit -n {n}; exec \"$0\" -n -p 80 127.0.0.1");
        let (code, err) = run(Command::new("bash").args(["-c", &script, bin()]));
        assert_eq!(code, Some(1), "ulimit -n {n}: {err}");
        assert!(
            err.contains("too few open files") && err.contains("at least 64"),
            "ulimit -n {n}: {err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    }
}

#[test]
fn a_low_soft_limit_is_raised_to_the_hard_one() {
    let hard = Command::new("bash")
        .args(["-c", "ulimit -H -n"])
        .output()
        .expect("bash");
    let hard = String::from_utf8_lossy(&hard.stdout).trim().to_string();
    if hard != "unlimited" && hard.parse::<u64>().unwrap_or(0) < 64 {
        eprintln!("SKIP: the hard open-files limit is {hard}");
        return;
    }
    let script = "ulimit -S -n 7; exec \"$0\" -n -sT -p 80 127.0.0.1";
    let (code, err) = run(Command::new("bash")
        .args(["-c", script, bin()])
        .stdout(Stdio::null()));
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn listing_into_a_closed_pipe_exits_0() {
    for flag in [
        "--list-techniques",
        "--list-reporters",
        "--list-discovery",
        "--help",
    ] {
        let (code, err) = run(scanfw(&[flag]).stdout(Stdio::from(closed_pipe())));
        assert_eq!(code, Some(0), "{flag}: {err}");
    }
}

#[test]
fn listing_into_a_full_stdout_is_an_error_not_a_panic() {
    let (code, err) = run(scanfw(&["--list-techniques"]).stdout(dev_full()));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("No space left"), "{err}");
}

#[test]
fn usage_errors_with_stderr_on_dev_full_exit_2() {
    for args in [
        &["--no-such-flag"][..],
        &["-p", "99999", "127.0.0.1"],
        &[
            "-sT",
            "-p",
            "80",
            "-oJ",
            "/nonexistent-dir/x.json",
            "127.0.0.1",
        ],
    ] {
        let out = scanfw(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(dev_full())
            .status()
            .expect("run scanfw");
        assert_eq!(out.code(), Some(2), "{args:?}");
    }
}

#[test]
fn a_scan_whose_stdout_fails_exits_1() {
    let (code, err) = run(scanfw(&["-n", "-sT", "-p", "80", "127.0.0.1"]).stdout(closed_pipe()));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("stdout"), "{err}");
    let (code, err) =
        run(scanfw(&["-n", "-sT", "-p", "80", "-oJ", "-", "127.0.0.1"]).stdout(dev_full()));
    assert_eq!(code, Some(1), "{err}");
    // With stderr gone too: still exit 1, no crash.
    let status = scanfw(&["-n", "-sT", "-p", "80", "127.0.0.1"])
        .stdout(dev_full())
        .stderr(dev_full())
        .status()
        .expect("run scanfw");
    assert_eq!(status.code(), Some(1));
}

#[test]
fn a_write_failure_names_the_output_once() {
    let (code, err) = run(&mut scanfw(&[
        "-n",
        "-sT",
        "-p",
        "80",
        "-o",
        "json=/dev/full",
        "127.0.0.1",
    ]));
    assert_eq!(code, Some(1), "{err}");
    let line = err.trim_end();
    assert_eq!(line.lines().count(), 1, "{err}");
    assert_eq!(line.matches("/dev/full").count(), 1, "{err}");
    assert_eq!(line.matches("No space left on device").count(), 1, "{err}");
}

#[test]
fn unspecified_source_addresses_are_refused() {
    for (src, target) in [("0.0.0.0", "127.0.0.1"), ("::", "::1")] {
        for technique in ["-sT", "-sS"] {
            let (code, err) = run(&mut scanfw(&[
                "-n",
                technique,
                "-p",
                "80",
                "--source-ip",
                src,
                target,
            ]));
            assert_eq!(code, Some(2), "{src}: {err}");
            assert!(err.contains("unspecified address"), "{err}");
        }
    }
}

#[test]
fn ipv4_mapped_targets_are_refused_for_raw_techniques() {
    if !root() {
        eprintln!("SKIP: raw techniques need root");
        return;
    }
    let (code, err) = run(&mut scanfw(&["-n", "-sS", "-p", "80", "::ffff:127.0.0.1"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("use the IPv4 address 127.0.0.1"), "{err}");
    // connect() reaches a mapped address through the dual-stack socket: allowed.
    let (code, err) =
        run(scanfw(&["-n", "-sT", "-p", "80", "::ffff:127.0.0.1"]).stdout(Stdio::null()));
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn a_loopback_source_for_another_host_is_refused() {
    if !netns() {
        eprintln!("SKIP: needs root and unshare -n (the target must be unreachable)");
        return;
    }
    // In an empty network namespace with only `lo` up: 198.18.0.2 has no route at all, so
    // even a wrong answer here could not send anything anywhere.
    let script = "ip link set lo up && exec \"$0\" -n -sS -p 80 --source-ip 127.0.0.1 198.18.0.2";
    let (code, err) = run(Command::new("unshare").args(["-n", "sh", "-c", script, bin()]));
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--source-ip 127.0.0.1 is a loopback address"),
        "{err}"
    );
    // Loopback to loopback is fine.
    let script = "ip link set lo up && exec \"$0\" -n -sS -p 80 --source-ip 127.0.0.1 127.0.0.3";
    let (code, err) = run(Command::new("unshare")
        .args(["-n", "sh", "-c", script, bin()])
        .stdout(Stdio::null()));
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn every_probe_failing_to_send_is_exit_1() {
    if !netns() {
        eprintln!("SKIP: needs root and unshare -n (a host without routes)");
        return;
    }
    // `lo` is down in a fresh namespace: no route even to 127.0.0.1.
    for technique in ["-sT", "-sS", "-sU"] {
        let (code, err) = run(Command::new("unshare")
            .args([
                "-n",
                bin(),
                "-n",
                "-Pn",
                technique,
                "-p",
                "80,443",
                "127.0.0.1",
            ])
            .stdout(Stdio::null()));
        assert_eq!(code, Some(1), "{technique}: {err}");
        let last = err.trim_end().lines().last().unwrap_or_default();
        assert!(
            last.starts_with("scanfw: every probe failed to send: "),
            "{technique}: {err}"
        );
    }
}
