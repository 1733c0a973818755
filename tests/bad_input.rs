//! Bad input of every kind gets a one-line message naming the problem and exit code 2, and
//! nothing is scanned (no output is begun).
//!
//! Each run is bounded in time (a case that hangs or spins is killed and reported) and in
//! memory (a file read without bound fails instead of exhausting the host), and runs in a
//! scratch directory whose contents are compared before and after, so an output file that was
//! begun is caught.

use scanfw_reporters as _;
use scanfw_techniques as _;

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Longest a bad-input run may take (they normally take milliseconds); a run still going is
/// killed and counted as a failure, so a hang or spin that came back fails instead of blocking.
const RUN_LIMIT: Duration = Duration::from_secs(20);

/// Address space each run may use: far more than scanfw needs to refuse bad input, far less
/// than an unbounded read of `/dev/zero` would take.
const MEMORY_LIMIT: u64 = 2 << 30;

struct Case {
    args: &'static [&'static str],
    /// Profile text written to `profile.toml` in a temp dir (referenced as PROFILE in args).
    profile: Option<&'static str>,
    expect: &'static str,
}

const fn case(args: &'static [&'static str], expect: &'static str) -> Case {
    Case {
        args,
        profile: None,
        expect,
    }
}

const fn prof(text: &'static str, expect: &'static str) -> Case {
    Case {
        args: &["-c", "PROFILE"],
        profile: Some(text),
        expect,
    }
}

/// What a bounded run of scanfw gave.
struct Run {
    /// `None`: killed after [`RUN_LIMIT`].
    status: Option<ExitStatus>,
    stdout: Vec<u8>,
    stderr: String,
    took: Duration,
}

/// Runs scanfw in `cwd` with a time and memory limit; its output goes to files in `logs`.
fn run(args: &[String], cwd: &Path, logs: &Path) -> Run {
    let out_path = logs.join("stdout");
    let err_path = logs.join("stderr");
    let stdout = std::fs::File::create(&out_path).expect("stdout file");
    let stderr = std::fs::File::create(&err_path).expect("stderr file");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scanfw"));
    cmd.args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::from(stderr));
    // SAFETY: setrlimit is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: MEMORY_LIMIT,
                rlim_max: MEMORY_LIMIT,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let started = Instant::now();
    let mut child = cmd.spawn().expect("run scanfw");
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for scanfw") {
            break Some(status);
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Run {
        status,
        took: started.elapsed(),
        stdout: std::fs::read(&out_path).unwrap_or_default(),
        stderr: String::from_utf8_lossy(&std::fs::read(&err_path).unwrap_or_default()).into_owned(),
    }
}

/// Names and sizes of everything under `dir`, sorted (symbolic links not followed).
fn listing(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let meta = std::fs::symlink_metadata(e.path()).expect("metadata");
            if meta.is_dir() {
                stack.push(e.path());
            }
            let rel = e.path().strip_prefix(dir).expect("inside").to_path_buf();
            out.push((rel, if meta.is_file() { meta.len() } else { 0 }));
        }
    }
    out.sort();
    out
}

const CASES: &[Case] = &[
    // host discovery and names
    case(&["-PS0", "127.0.0.1"], "-PS0: invalid port list `0`"),
    case(&["-PSabc", "127.0.0.1"], "-PSabc: invalid port list `abc`"),
    case(&["-PA80,,81", "127.0.0.1"], "-PA80,,81: invalid port list"),
    case(&["-PE80", "127.0.0.1"], "-PE80: -PE takes no ports"),
    case(&["-PY", "127.0.0.1"], "scanfw does no SCTP discovery (-PY)"),
    case(
        &["-PO", "127.0.0.1"],
        "scanfw does no IP protocol ping (-PO)",
    ),
    case(&["-PQ", "127.0.0.1"], "unknown discovery option -PQ"),
    case(
        &["-sn", "-p", "80", "127.0.0.1"],
        "-sn (host discovery only) cannot be combined",
    ),
    case(
        &["-sn", "-sT", "127.0.0.1"],
        "-sn (host discovery only) cannot be combined",
    ),
    case(
        &["--dns-servers", "a.b", "127.0.0.1"],
        "--dns-servers: `a.b` is not an IP address",
    ),
    case(
        &["--dns-servers", "1.2.3.4:0", "127.0.0.1"],
        "--dns-servers: `1.2.3.4:0` has an invalid port",
    ),
    case(&["-n", "-R", "127.0.0.1"], "cannot be used with"),
    case(
        &["-sT", "-PE", "127.0.0.1"],
        "cannot run with a connect() scan (-sT)",
    ),
    prof(
        "targets = [\"127.0.0.1\"]\n[discovery]\nmethods = [\"icmp-echoo\"]\n",
        "unknown discovery method `icmp-echoo`",
    ),
    // targets
    case(&[], "no targets given"),
    case(&["300.1.1.1"], "invalid octet range in `300.1.1.1`"),
    case(&["1.2.3.4/33"], "invalid prefix length in `1.2.3.4/33`"),
    case(&["::1/129"], "invalid prefix length in `::1/129`"),
    case(&["10.0.0.5-1"], "invalid octet range in `10.0.0.5-1`"),
    case(&["fe80:::1"], "invalid target `fe80:::1`"),
    case(&["a..b"], "invalid target `a..b`"),
    case(
        &["127.0.0.1", "--exclude", "127.0.0.0/8"],
        "no targets to scan",
    ),
    // An empty set after exclusions is found at any size, without enumerating it (these hung,
    // or stalled for 100 s).
    case(
        &["-p", "80", "fd5f:5ca9::/64", "--exclude", "fd5f:5ca9::/64"],
        "no targets to scan",
    ),
    case(
        &["-p", "80", "0.0.0.0/0", "--exclude", "0.0.0.0/0"],
        "no targets to scan",
    ),
    case(&["-p", "80", "::/0", "--exclude", "::/0"], "no targets to scan"),
    case(
        &["-p", "80", "*.*.*.*", "--exclude", "0.0.0.0/1,128.0.0.0/1"],
        "no targets to scan",
    ),
    case(
        &["127.0.0.1", "--exclude", ""],
        "--exclude: the list is empty",
    ),
    case(
        &["127.0.0.1", "--exclude", " , "],
        "--exclude: the list is empty",
    ),
    // Files read with a size limit (these read /dev/zero without end).
    case(
        &["-iL", "/dev/zero"],
        "cannot read target file `/dev/zero`: it is larger than 64 MiB, the limit for target files",
    ),
    case(
        &["127.0.0.1", "--excludefile", "/dev/zero"],
        "cannot read target file `/dev/zero`: it is larger than 64 MiB, the limit for target files",
    ),
    case(
        &["-c", "/dev/zero", "127.0.0.1"],
        "cannot read profile `/dev/zero`: it is larger than 1 MiB, the limit for profiles",
    ),
    case(
        &["-iL", "/nonexistent/targets.txt"],
        "cannot read target file `/nonexistent/targets.txt`",
    ),
    case(
        &["127.0.0.1", "--excludefile", "/nonexistent/ex.txt"],
        "cannot read target file `/nonexistent/ex.txt`",
    ),
    // ports
    case(&["-p", "0", "127.0.0.1"], "invalid port `0`"),
    case(&["-p", "65536", "127.0.0.1"], "invalid port `65536`"),
    case(&["-p", "80-22", "127.0.0.1"], "invalid port range `80-22`"),
    case(
        &["-p", "X:80", "127.0.0.1"],
        "unknown protocol qualifier `X:`",
    ),
    case(&["-p", "1,,2", "127.0.0.1"], "invalid port"),
    case(
        &["-p", "nosuchservice", "127.0.0.1"],
        "unknown service name `nosuchservice`",
    ),
    case(&["-p", "U:53", "127.0.0.1"], "no tcp ports left to scan"),
    case(
        &["-p", "80", "--exclude-ports", "80", "127.0.0.1"],
        "no tcp ports left to scan",
    ),
    case(
        &["--top-ports", "0", "127.0.0.1"],
        "--top-ports must be between 1 and 1000",
    ),
    case(
        &["--top-ports", "5000", "127.0.0.1"],
        "--top-ports must be between 1 and 1000",
    ),
    // flags
    case(&["--bogus", "127.0.0.1"], "unexpected argument '--bogus'"),
    case(&["-sZ", "127.0.0.1"], "unknown technique `Z`"),
    case(&["-s", "warp", "127.0.0.1"], "unknown technique `warp`"),
    case(&["-T9", "127.0.0.1"], "timing template must be 0-5"),
    case(&["--max-retries", "-1", "127.0.0.1"], "--max-retries"),
    case(&["--host-timeout", "5x", "127.0.0.1"], "invalid time `5x`"),
    case(
        &["--min-rate", "100", "--max-rate", "10", "127.0.0.1"],
        "--min-rate (100) is above --max-rate (10)",
    ),
    case(
        &["--max-rate", "0", "127.0.0.1"],
        "--max-rate must be between 0.001 and 100000000 probes per second",
    ),
    // Rates and times out of range (these panicked converting to a Duration).
    case(
        &["--max-rate", "1e-300", "127.0.0.1"],
        "--max-rate must be between 0.001 and 100000000 probes per second",
    ),
    case(
        &["--min-rate", "1e-19", "127.0.0.1"],
        "--min-rate must be between 0.001 and 100000000 probes per second",
    ),
    case(
        &["--max-rate", "1e9", "127.0.0.1"],
        "--max-rate must be between 0.001 and 100000000 probes per second",
    ),
    case(
        &["--max-rate", "NaN", "127.0.0.1"],
        "--max-rate must be between 0.001 and 100000000 probes per second",
    ),
    case(
        &["--host-timeout", "1000000000", "127.0.0.1"],
        "--host-timeout: time `1000000000` is too long: at most 30 days (720h)",
    ),
    case(
        &["--scan-delay", "721h", "127.0.0.1"],
        "--scan-delay: time `721h` is too long: at most 30 days (720h)",
    ),
    case(
        &["--max-rtt-timeout", "99999999999999999999h", "127.0.0.1"],
        "--max-rtt-timeout: time `99999999999999999999h` is too long",
    ),
    case(&["-o", "yaml", "127.0.0.1"], "unknown reporter `yaml`"),
    case(&["-oQ", "x", "127.0.0.1"], "unknown output option -oQ"),
    case(&["-oX"], "-oX needs a file name"),
    case(
        &["-o", "table", "-o", "json", "127.0.0.1"],
        "only one output can go to standard output",
    ),
    case(
        &["-oX", "/nonexistent/dir/out.xml", "127.0.0.1"],
        "cannot create output file `/nonexistent/dir/out.xml`",
    ),
    case(&["-oX", "/tmp", "127.0.0.1"], "is a directory"),
    // Two outputs to one file, however spelled.
    case(
        &["-o", "json=same.out", "-o", "xml=./same.out", "127.0.0.1"],
        "two outputs write to the same file `./same.out` (also given as `same.out`)",
    ),
    case(
        &["-oJ", "d/../same.out", "-oX", "same.out", "127.0.0.1"],
        "two outputs write to the same file `same.out` (also given as `d/../same.out`)",
    ),
    case(
        &["-o", "json=existing.out", "-o", "xml=link.out", "127.0.0.1"],
        "two outputs write to the same file `link.out` (also given as `existing.out`)",
    ),
    case(
        &["-o", "json=existing.out", "-o", "xml=hard.out", "127.0.0.1"],
        "two outputs write to the same file `hard.out` (also given as `existing.out`)",
    ),
    case(
        &["-o", "json=  ", "127.0.0.1"],
        "invalid output `json=  `: the path after `=` is empty",
    ),
    case(
        &["-sT", "-s", "connect", "127.0.0.1"],
        "technique `connect` was given twice",
    ),
    case(
        &["-c", "/nonexistent/profile.toml"],
        "cannot read profile `/nonexistent/profile.toml`",
    ),
    case(
        &["--scanflags", "SYNX", "127.0.0.1"],
        "invalid --scanflags `SYNX`",
    ),
    case(
        &["-sT", "--scanflags", "SYN", "127.0.0.1"],
        "--scanflags does not apply to the connect technique",
    ),
    case(
        &["--source-ip", "nonsense", "127.0.0.1"],
        "`nonsense` is not an IP address or CIDR block",
    ),
    case(
        &["--source-ip", "198.51.100.200", "127.0.0.1"],
        "--source-ip 198.51.100.200 is not an address of this host",
    ),
    // profiles
    prof(
        "targets = [\"127.0.0.1\"]\nprots = \"80\"\n",
        "profile.toml:2:1: unknown key `prots`",
    ),
    prof(
        "targets = [\"127.0.0.1\"]\nports = \"abc\"\n",
        "profile.toml:2:9: invalid value for `ports`",
    ),
    prof(
        "targets = [\"127.0.0.1\"]\n[timing]\ntemplate = 7\n",
        "profile.toml:3:12: invalid value for `timing.template`",
    ),
    prof(
        "targets = [\"127.0.0.1\"]\ntechnique = \"warp\"\n",
        "profile.toml:2:13: unknown technique `warp`",
    ),
    prof("targets = [\"127.0.0.1\"\n", "profile.toml:1:"),
    prof("targets = \"127.0.0.1\"\n", "profile.toml:1:11:"),
    prof(
        "targets = [\"127.0.0.1\"]\n[timing]\nmax_retries = \"x\"\n",
        "profile.toml:3:15:",
    ),
    prof(
        "targets = [\"127.0.0.1\"]\n[timing]\nmax_rate = 1e-300\n",
        "profile.toml:3:12: invalid value for `timing.max_rate`: must be between 0.001 and 100000000 probes per second",
    ),
    prof(
        "targets = [\"127.0.0.1\"]\n[timing]\nmin_rate = 1e-19\n",
        "profile.toml:3:12: invalid value for `timing.min_rate`: must be between 0.001 and 100000000 probes per second",
    ),
    prof(
        "targets = [\"127.0.0.1\"]\n[timing]\nhost_timeout = \"721h\"\n",
        "profile.toml:3:16: invalid value for `timing.host_timeout`: time `721h` is too long",
    ),
    prof(
        "targets = [\"fd5f:5ca9::/64\"]\nexclude = [\"fd5f:5ca9::/64\"]\n",
        "no targets to scan",
    ),
    // the keys of the options that used to be command-line only
    prof(
        "targets = [\"127.0.0.1\"]\nscanflags = \"SYNX\"\n",
        "profile.toml:2:13: invalid value for `scanflags`: `SYNX`",
    ),
    prof(
        "targets = [\"127.0.0.1\"]\nseed = -1\n",
        "profile.toml:2:8: invalid value for `seed`: -1 is out of range",
    ),
    prof(
        "targets = [\"127.0.0.1\"]\nsource_ip = [\"nonsense\"]\n",
        "profile.toml:2:14: invalid value for `source_ip`: `nonsense` is not an IP address or CIDR block",
    ),
    prof(
        "targets = [\"127.0.0.1\"]\ntechnique = \"connect\"\nsource_ip = [\"198.51.100.200\"]\n",
        "--source-ip 198.51.100.200 is not an address of this host",
    ),
    prof(
        "targets = [\"127.0.0.1\"]\ntechnique = \"syn\"\nprivileges = \"unprivileged\"\nfallback = false\n",
        "the syn technique needs raw-socket privileges",
    ),
    // audit expectations ([groups], [[expect]])
    prof(
        "targets = [\"127.0.0.1\"]\n[[expect]]\nhosts = \"web\"\nup = true\n",
        "profile.toml:3:9: unknown group `web` for `expect.hosts`",
    ),
    prof(
        "targets = [\"127.0.0.1\"]\n[[expect]]\nhosts = \"127.0.0.1\"\nopen = \"T:22,0\"\n",
        "profile.toml:4:8: invalid value for `expect.open`: invalid port `0`",
    ),
    prof(
        "targets = [\"127.0.0.1\"]\n[[expect]]\nhosts = \"127.0.0.1\"\nclosed = \"T:23\"\n",
        "profile.toml:4:1: unknown key `expect.closed` (expected one of: hosts, open, allowed, up)",
    ),
    prof(
        "targets = [\"127.0.0.1\"]\n[groups]\nweb = [\"www.example\"]\n",
        "profile.toml:3:8: invalid value for `groups.web`: `www.example` is not an IP address or CIDR block",
    ),
    prof(
        "targets = [\"127.0.0.1\"]\nports = \"T:80\"\n[[expect]]\nhosts = \"127.0.0.1\"\nopen = \"T:22,80\"\n",
        "profile.toml:3:1: expect[1] 127.0.0.1: `open` lists tcp ports this scan does not probe: 22 (it probes tcp 80)",
    ),
    Case {
        args: &["-c", "PROFILE", "-Pn"],
        profile: Some("targets = [\"127.0.0.1\"]\n[[expect]]\nhosts = \"127.0.0.1\"\nup = true\n"),
        expect: "profile.toml:2:1: expect[1] 127.0.0.1: `up` cannot be checked when host discovery is skipped",
    },
];

#[test]
fn every_bad_input_exits_2_with_a_clear_message() {
    assert!(CASES.len() >= 30, "the table must keep at least 30 cases");
    let dir = tempfile::tempdir().expect("temp dir");
    let logs = tempfile::tempdir().expect("temp dir");
    // Files that cases refer to: an existing output, a symbolic and a hard link to it, and a
    // directory.
    let work = dir.path();
    std::fs::File::create(work.join("existing.out")).expect("fixture");
    std::os::unix::fs::symlink("existing.out", work.join("link.out")).expect("fixture");
    std::fs::hard_link(work.join("existing.out"), work.join("hard.out")).expect("fixture");
    std::fs::create_dir(work.join("d")).expect("fixture");
    let profile = work.join("profile.toml");
    let mut failures = Vec::new();
    for c in CASES {
        if let Some(text) = c.profile {
            let mut f = std::fs::File::create(&profile).expect("write profile");
            f.write_all(text.as_bytes()).expect("write profile");
        }
        let before = listing(work);
        let args: Vec<String> = c
            .args
            .iter()
            .map(|a| {
                if *a == "PROFILE" {
                    profile.display().to_string()
                } else {
                    a.to_string()
                }
            })
            .collect();
        let out = run(&args, work, logs.path());
        let after = listing(work);
        let stderr = &out.stderr;
        let ok = out.status.and_then(|s| s.code()) == Some(2)
            && stderr.contains(c.expect)
            && stderr.trim_end().lines().count() == 1
            && stderr.starts_with("scanfw: ")
            && out.stdout.is_empty()
            && before == after;
        if !ok {
            let status = match out.status {
                Some(s) => format!("{s}"),
                None => format!("killed after {:?} (hang or spin)", out.took),
            };
            let created = if before == after {
                String::new()
            } else {
                format!(", files changed: {before:?} -> {after:?}")
            };
            failures.push(format!(
                "args {:?}: {status}, stderr {:?}, stdout {} bytes{created}; expected {:?}",
                c.args,
                stderr.chars().take(500).collect::<String>(),
                out.stdout.len(),
                c.expect
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

/// A host left after a huge block was excluded entirely is scanned, and the scan ends: the
/// target iterator jumps over the excluded block instead of spinning through 2^64 addresses
/// after the first host. Only 127.0.0.1 is probed (the excluded block is never sent to).
#[test]
fn a_huge_excluded_block_after_a_host_does_not_spin() {
    let dir = tempfile::tempdir().expect("temp dir");
    let logs = tempfile::tempdir().expect("temp dir");
    let args: Vec<String> = [
        "-sT",
        "-Pn",
        "-n",
        "-p",
        "1",
        "--max-retries",
        "0",
        "127.0.0.1",
        "fd5f:5ca9::/64",
        "--exclude",
        "fd5f:5ca9::/64",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = run(&args, dir.path(), logs.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.is_some(),
        "killed after {:?}: the scan did not end (stdout {stdout:?}, stderr {:?})",
        out.took,
        out.stderr
    );
    assert_eq!(
        out.status.and_then(|s| s.code()),
        Some(0),
        "stderr {:?}",
        out.stderr
    );
    assert!(stdout.contains("127.0.0.1"), "{stdout}");
    assert!(!stdout.contains("fd5f"), "{stdout}");
}
